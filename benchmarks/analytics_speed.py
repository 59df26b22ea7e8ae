"""Speed and memory benchmark of the weekly-brief analytics.

Measures ``analytics.analyse_site_week`` (and ``brief.build_brief``) on simulated data:

1. one site-week of the Wilson Center: 8 channels at 15 min with a 4-week baseline
   (target ≤ 0.05 s; the company's old per-row Python analytics take about 0.5 s, so ≥ 10×);
2. 200 channels at 15 min, one week with its baseline (target ≤ 1.5 s and ≤ 1 GB peak memory,
   measured with ``tracemalloc`` around the analysis);
3. three sizes (50, 100, 200 channels) to show that the cost grows linearly with
   channels × intervals;
4. the site-local calendar (hour of week, business hours, day type) of a million timestamps
   (target ≤ 1 s each).

Every case passes the simulator's outdoor temperature, so the time-of-week-and-temperature model
is fitted (the one-site-week case is also timed without it). Run
``python benchmarks/analytics_speed.py`` (``--quick`` for fewer repetitions, ``--update-readme``
to write the table into README.md, ``--output FILE`` to write it to a file).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from readme_section import update_section

from argo_lib import brief, dates
from argo_lib.analytics import analyse_site_week
from argo_lib.config import ChannelConfig, SiteSettings
from argo_lib.sim import WILSON_CHANNELS, random_faults, simulate_readings, synthetic_channels

TZ = "America/New_York"
WEEK = "2025-W49"
OLD_SECONDS = 0.5  # the old per-row Python analytics for one site-week (issue text)
README = Path(__file__).resolve().parent.parent / "README.md"
MARK_BEGIN, MARK_END = "<!-- analytics-speed:begin -->", "<!-- analytics-speed:end -->"


def _site(channels) -> SiteSettings:
    return SiteSettings(
        site_id="bench",
        name="Benchmark site",
        timezone=TZ,
        holiday_country="US",
        channels=tuple(ChannelConfig(c.channel_id, c.name) for c in channels),
    )


def _data(n_channels: int | None, *, seed: int = 1):
    period = dates.report_week(WEEK, tz=TZ)
    base = dates.baseline_period(period)
    chans = WILSON_CHANNELS if n_channels is None else synthetic_channels(n_channels, seed=seed)
    faults = random_faults(period=period, channels=chans, seed=seed, per_family=1)
    sim = simulate_readings(
        start=base.start,
        end=period.end,
        resolution_s=900,
        channels=chans,
        seed=seed,
        faults=faults,
    )
    # as db.read_channels returns them: the resolution is known, not inferred from readings
    channels = pd.DataFrame(
        {
            "channel_id": [c.channel_id for c in chans],
            "channel_name": [c.name for c in chans],
            "resolution_s": 900,
            "role": "sub",
        }
    )
    return sim.readings, _site(chans), period, base, channels, sim.temperature


def _time(fn, repeat: int) -> tuple[float, float, float]:
    """Median and best wall time and median CPU time of ``fn`` [s]."""
    fn()  # warm-up (imports, caches)
    times, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return statistics.median(times), min(times), statistics.median(cpu)


def _peak_mb(fn) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def update_readme(text: str) -> bool:
    """Write the table into README.md; False when its markers are missing."""
    return update_section("analytics-speed", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--output", help="also write the markdown table to this file")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help=f"write the table into README.md between {MARK_BEGIN} and {MARK_END}",
    )
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else 15
    lines = []

    readings, site, period, base, channels, temperature = _data(None)

    def analyse(temperature=temperature):
        return analyse_site_week(
            readings,
            site=site,
            period=period,
            baseline=base,
            channels=channels,
            temperature=temperature,
        )

    median, best, cpu = _time(analyse, repeat)
    bare_median, bare_best, bare_cpu = _time(lambda: analyse(None), repeat)
    analysis = analyse()
    build = lambda: brief.build_brief(analysis, generated_at=pd.Timestamp.now(tz="UTC"))  # noqa: E731
    brief_median, _, brief_cpu = _time(build, repeat)
    lines += [
        "| case | rows | median [s] | best [s] | CPU median [s] | target | result |",
        "|---|---:|---:|---:|---:|---|---|",
        f"| one site-week: 8 channels, 15 min, 4-week baseline, with temperature "
        f"(TOWT model) | {len(readings):,} | {median:.3f} | {best:.3f} | {cpu:.3f} | "
        f"≤ 0.05 s, ≥ 10× the old 0.5 s | {OLD_SECONDS / median:.0f}× faster, "
        f"{'met' if median <= 0.05 else 'missed'} |",
        f"| the same without temperature (profile only) | {len(readings):,} | "
        f"{bare_median:.3f} | {bare_best:.3f} | {bare_cpu:.3f} | ≤ 0.05 s | "
        f"{'met' if bare_median <= 0.05 else 'missed'} |",
        f"| brief JSON of that week (build only) | – | {brief_median:.3f} | – | "
        f"{brief_cpu:.3f} | – | – |",
    ]

    sizes = (50, 100, 200)
    per_cell = []
    for n in sizes:  # three sizes
        data = _data(n)
        readings = data[0]

        def analyse(data=data):
            readings, site, period, base, channels, temperature = data
            return analyse_site_week(
                readings,
                site=site,
                period=period,
                baseline=base,
                channels=channels,
                temperature=temperature,
            )

        median, best, cpu = _time(analyse, max(2, repeat // 3))
        cells = n * len(
            dates.expected_index(dates.Period(base.start, period.end), resolution_s=900)
        )
        per_cell.append(cpu / cells)
        target = ""
        result = ""
        if n == 200:
            peak = _peak_mb(analyse)
            target = "≤ 1.5 s, ≤ 1 GB peak"
            result = f"peak {peak:.0f} MB; {'met' if median <= 1.5 and peak <= 1024 else 'missed'}"
        lines.append(
            f"| {n} channels, 15 min, week + 4-week baseline, with temperature | "
            f"{len(readings):,} | {median:.3f} | {best:.3f} | {cpu:.3f} | {target} | {result} |"
        )
    # the site-local calendar on a million timestamps (the speed budget that was once a test)
    index = pd.date_range("2020-01-01", periods=1_000_000, freq="15min", tz="UTC")
    holidays = dates.holiday_dates(2020, 2049, country="US")
    for name, call in (
        ("hour_of_week", lambda: dates.hour_of_week(index, tz=TZ)),
        ("business_hours_mask", lambda: dates.business_hours_mask(index, tz=TZ, holidays=holidays)),
        ("day_type", lambda: dates.day_type(index, tz=TZ, holidays=holidays)),
    ):
        median, best, cpu = _time(call, max(2, repeat // 3))
        lines.append(
            f"| calendar: `dates.{name}` of 1,000,000 timestamps (28.5 years at 15 min) | "
            f"{len(index):,} | {median:.3f} | {best:.3f} | {cpu:.3f} | ≤ 1 s | "
            f"{'met' if median <= 1.0 else 'missed'} |"
        )
    spread = max(per_cell) / min(per_cell)
    lines += [
        "",
        "Cost per channel-interval at 50 / 100 / 200 channels: "
        + " / ".join(f"{c * 1e6:.2f} µs" for c in per_cell)
        + f" (largest/smallest {spread:.2f}: linear in channels × intervals).",
    ]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    lines.append(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with "
        f"{os.cpu_count()} CPU(s), Python {platform.python_version()}, {repeat} repetitions "
        f"(medians); load average during the run {load:.2f}: wall times include waiting for "
        "the CPU, CPU times do not. Simulated week "
        f"{WEEK} with one fault of each family; `python benchmarks/analytics_speed.py "
        "--update-readme`."
    )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    if args.update_readme and not update_readme(text):
        print(f"README.md has no {MARK_BEGIN} ... {MARK_END} section; not updated", file=sys.stderr)
    return 0 if np.isfinite(spread) else 1


if __name__ == "__main__":
    sys.exit(main())
