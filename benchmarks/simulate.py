"""Speed of the simulator: ten weeks of the Wilson Center's eight channels at 15 minutes.

The demo database, the fake Eniscope server and the detection benchmark all simulate on demand,
so a simulation must stay cheap: the target is well under a second for 8 channels × 10 weeks at
15 min (about 54,000 readings; typically 0.02 s), with or without the real-world phenomena (a
noisy main meter, a dusk-to-dawn load, short-cycling, holiday closures, and zero-filled outages
with their catch-up readings, each of which simulates its channel over the outage once more).
Tests never assert a wall-clock budget (a loaded CI runner would make them flaky); this script
does. Run ``python benchmarks/simulate.py``; it exits 1 when a median is over the target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import pandas as pd

from argo_lib.sim import (
    WILSON_MAIN,
    DuskToDawn,
    Fault,
    MainMeter,
    Phenomena,
    ShortCycling,
    SimSite,
    closure_days,
    simulate_readings,
)

TZ = "America/New_York"
TARGET_S = 1.0
"""Ten weeks of the eight channels at 15 min must take less than this [s] (median)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions (default 7)")
    args = parser.parse_args(argv)
    start = pd.Timestamp("2025-10-01", tz=TZ)
    end = pd.Timestamp("2025-12-10", tz=TZ)
    real = {
        "site": SimSite(closed_days=closure_days(2025, 2025)),
        "phenomena": Phenomena(
            dusk_to_dawn=[DuskToDawn(162320, 3.0)],
            short_cycling=[ShortCycling(162121, 1.0)],
            main_meter=MainMeter(),
        ),
        "faults": [
            Fault(
                WILSON_MAIN.channel_id,
                "outage",
                start + pd.Timedelta(days=d),
                start + pd.Timedelta(days=d, hours=40),
            )  # fmt: skip
            for d in (3, 24, 45)
        ],
    }
    met = True
    for label, kwargs in (
        ("8 channels", {}),
        ("8 channels + main meter, phenomena, 3 outages", real),
    ):
        simulate_readings(start=start, end=end, **kwargs)  # warm-up: imports, holiday cache
        seconds = []
        rows = 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            rows = len(simulate_readings(start=start, end=end, **kwargs).readings)
            seconds.append(time.perf_counter() - began)
        median = statistics.median(seconds)
        met &= median < TARGET_S
        print(
            f"{label} x 10 weeks at 15 min ({rows:,} readings): median {median:.3f} s, "
            f"best {min(seconds):.3f} s over {args.repeat} runs; target < {TARGET_S} s: "
            f"{'met' if median < TARGET_S else 'MISSED'}"
        )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
