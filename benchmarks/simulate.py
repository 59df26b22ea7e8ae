"""Speed of the simulator: ten weeks of the Wilson Center's eight channels at 15 minutes.

The demo database, the fake Eniscope server and the detection benchmark all simulate on demand,
so a simulation must stay cheap: the target is well under a second for 8 channels × 10 weeks at
15 min (about 54,000 readings; typically 0.02 s). Tests never assert a wall-clock budget (a
loaded CI runner would make them flaky); this script does. Run ``python benchmarks/simulate.py``;
it exits 1 when the median is over the target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import pandas as pd

from argo_lib.sim import simulate_readings

TZ = "America/New_York"
TARGET_S = 1.0
"""Ten weeks of the eight channels at 15 min must take less than this [s] (median)."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed repetitions (default 7)")
    args = parser.parse_args(argv)
    start = pd.Timestamp("2025-10-01", tz=TZ)
    end = pd.Timestamp("2025-12-10", tz=TZ)
    simulate_readings(start=start, end=end)  # warm-up: imports, holiday calendar cache
    seconds = []
    rows = 0
    for _ in range(args.repeat):
        began = time.perf_counter()
        rows = len(simulate_readings(start=start, end=end).readings)
        seconds.append(time.perf_counter() - began)
    median = statistics.median(seconds)
    met = median < TARGET_S
    print(
        f"8 channels x 10 weeks at 15 min ({rows:,} readings): median {median:.3f} s, "
        f"best {min(seconds):.3f} s over {args.repeat} runs; target < {TARGET_S} s: "
        f"{'met' if met else 'MISSED'}"
    )
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
