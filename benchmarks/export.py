"""Export benchmark: a year of 8 channels at 15 min as monthly raw CSV and as aggregated CSV.

Builds an SQLite database (or uses ``--postgres-url``) with one site of 8 channels and a year of
15-minute readings with every reading field (8 x 35,040 = 280,320 rows, 26 values each), then
runs, each in a fresh process so its peak memory is its own:

- ``monthly``: :func:`argo_lib.export.export_monthly`, 12 monthly readings files and summaries;
- ``aggregate-15min`` / ``aggregate-hourly`` / ``aggregate-daily-wide``:
  :func:`argo_lib.export.export_aggregated` of the whole year to CSV;
- ``monthly-1``: a single month, to show that the peak memory does not grow with the period.

``--channels 100 --resolution 3600`` measures the other case of issue 12: 100 channels for a
year at hourly resolution (876,000 readings).

It prints seconds, the peak RSS of the process (``VmHWM``) and its growth over the RSS
after imports and the first database connection, and names the machine.

Usage::

    .venv/bin/python benchmarks/export.py [--days 365] [--postgres-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from argo_lib import db
from argo_lib.fields import READING_COLUMNS

SITE = "bench"
TZ = "America/New_York"
START = "2025-01-01"
CHANNELS = 8
PHASES = ("monthly", "monthly-1", "aggregate-15min", "aggregate-hourly", "aggregate-daily-wide")


def build(url: str, days: int, channels: int = CHANNELS, resolution_s: int = 900) -> int:
    engine = db.get_engine(url)
    db.upgrade(engine)
    db.upsert_site(engine, {"site_id": SITE, "name": "Benchmark", "timezone": TZ})
    ids = np.arange(1, channels + 1, dtype="int64")
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": ids,
                "site_id": SITE,
                "name": [f"channel {i}" for i in ids],
                "resolution_s": resolution_s,
            }
        ),
    )
    per_day = 86_400 // resolution_s
    index = pd.date_range(
        pd.Timestamp(START, tz=TZ), periods=days * per_day, freq=f"{resolution_s}s"
    ).tz_convert("UTC")
    rng = np.random.default_rng(1)
    rows = 0
    for channel in ids:  # one channel at a time keeps the build's memory small
        frame = pd.DataFrame({"timestamp": index, "channel_id": channel})
        power = rng.gamma(2.0, 1.5, size=len(index))
        for column in READING_COLUMNS:
            frame[column] = rng.random(len(index))
        frame["power_kw"] = power
        frame["energy_kwh"] = power * resolution_s / 3600
        frame["cost"] = np.nan
        rows += db.upsert_readings(engine, frame)
    engine.dispose()
    return rows


def _status_mb(key: str) -> float:
    """``VmRSS`` (now) or ``VmHWM`` (peak) of this process [MB]; unlike ``ru_maxrss``, the peak
    is not inherited from the parent across fork and exec."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(f"{key}:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def worker(url: str, phase: str, folder: Path, days: int) -> dict:
    from argo_lib import export

    engine = db.get_engine(url)
    db.read_channels(engine, site_id=SITE)  # connect, import the driver
    base = _status_mb("VmRSS")
    started = time.perf_counter()
    period = export.resolve_period(
        START, (pd.Timestamp(START) + pd.Timedelta(days=days - 1)).date(), tz=TZ
    )
    first = f"{START[:7]}"
    last = (pd.Timestamp(START) + pd.Timedelta(days=days - 1)).strftime("%Y-%m")
    if phase == "monthly":
        results = export.export_monthly(engine, SITE, f"{first}..{last}", folder / "monthly")
        rows = sum(r.rows for r in results)
    elif phase == "monthly-1":
        results = export.export_monthly(engine, SITE, first, folder / "monthly-1")
        rows = sum(r.rows for r in results)
    else:
        _, resolution, *rest = phase.split("-")
        shape = rest[0] if rest else "long"
        result = export.export_aggregated(
            engine, SITE, period, resolution, "csv", shape, folder / f"{phase}.csv"
        )
        rows = result.rows
    seconds = time.perf_counter() - started
    peak = _status_mb("VmHWM")
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and phase in str(p))
    return {
        "phase": phase,
        "seconds": seconds,
        "rows": rows,
        "rss_base_mb": base,
        "rss_peak_mb": peak,
        "output_mb": size / 1e6,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=365, help="days of readings (default 365)")
    parser.add_argument("--postgres-url", help="use this PostgreSQL database instead of SQLite")
    parser.add_argument(
        "--channels", type=int, default=CHANNELS, help=f"channels (default {CHANNELS})"
    )
    parser.add_argument(
        "--resolution",
        type=int,
        choices=(900, 3600),
        default=900,
        help="interval of the readings [s] (default 900)",
    )
    parser.add_argument(
        "--worker", nargs=3, metavar=("URL", "PHASE", "FOLDER"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        url, phase, folder = args.worker
        print(json.dumps(worker(url, phase, Path(folder), args.days)))
        return 0
    with tempfile.TemporaryDirectory(prefix="argo-export-bench-") as tmp:
        url = args.postgres_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        started = time.perf_counter()
        rows = build(url, args.days, args.channels, args.resolution)
        print(
            f"built {rows:,} readings ({args.channels} channels x {args.days} days at "
            f"{args.resolution // 60} min, "
            f"{len(READING_COLUMNS)} fields) in {time.perf_counter() - started:.1f} s"
        )
        print(f"{'phase':<22}{'seconds':>9}{'rows':>10}{'base MB':>9}{'peak MB':>9}{'out MB':>8}")
        for phase in PHASES:
            out = subprocess.run(
                [sys.executable, __file__, "--days", str(args.days), "--worker", url, phase, tmp],
                capture_output=True, text=True, check=True,
            )  # fmt: skip
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{r['phase']:<22}{r['seconds']:>9.2f}{r['rows']:>10,}{r['rss_base_mb']:>9.0f}"
                  f"{r['rss_peak_mb']:>9.0f}{r['output_mb']:>8.1f}")  # fmt: skip
    load = os.getloadavg()[0]
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({platform.machine()}, "
        f"{len(os.sched_getaffinity(0))} cores, {platform.system()}), Python "
        f"{platform.python_version()}, pandas {pd.__version__}, "
        f"{'PostgreSQL' if args.postgres_url else 'SQLite'}, load average {load:.1f}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
