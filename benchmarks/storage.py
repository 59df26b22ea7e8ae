"""Storage benchmark: bulk upsert and read of 1,000,000 readings on SQLite and PostgreSQL.

100 channels x 10,000 hourly intervals (a year and two months) of energy and power, written with
``db.upsert_readings`` into an empty database, read back with ``db.read_readings``, then written
again (an idempotent re-upsert must leave the row count unchanged). PostgreSQL is a throwaway
local cluster (``argo_lib.pgtemp``) unless ``--postgres-url`` names a server.

Usage::

    .venv/bin/python benchmarks/storage.py [--rows-per-channel 10000] [--update-readme]

Targets (issue 2): upsert >= 200,000 rows/s on PostgreSQL and >= 100,000 rows/s on SQLite;
reading 1,000,000 rows into a DataFrame <= 3 s.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time

import numpy as np
import pandas as pd
import sqlalchemy as sa
from readme_section import update_section

from argo_lib import db
from argo_lib.pgtemp import TemporaryPostgres


def make_readings(channels: int, per_channel: int, *, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2025-05-01", periods=per_channel, freq="h", tz="UTC")
    power = rng.gamma(2.0, 1.5, size=channels * per_channel)
    return pd.DataFrame(
        {
            "timestamp": np.tile(index, channels),
            "channel_id": np.repeat(np.arange(1, channels + 1, dtype="int64"), per_channel),
            "energy_kwh": power * 1.0,
            "power_kw": power,
        }
    )


def run_backend(url: str, frame: pd.DataFrame, channels: int) -> dict[str, float]:
    engine = db.get_engine(url)
    db.upgrade(engine)
    db.upsert_site(engine, {"site_id": "bench", "name": "Benchmark", "timezone": "UTC"})
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": np.arange(1, channels + 1),
                "site_id": "bench",
                "name": [f"channel {i}" for i in range(1, channels + 1)],
                "resolution_s": 3600,
            }
        ),
    )
    t0 = time.perf_counter()
    db.upsert_readings(engine, frame)
    upsert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = db.read_readings(engine, site_id="bench")
    read_s = time.perf_counter() - t0
    assert len(back) == len(frame), (len(back), len(frame))
    assert np.array_equal(back["power_kw"].to_numpy(), frame["power_kw"].to_numpy())
    t0 = time.perf_counter()
    db.upsert_readings(engine, frame)
    reupsert_s = time.perf_counter() - t0
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one()
    engine.dispose()
    return {
        "rows": len(frame),
        "upsert_s": upsert_s,
        "read_s": read_s,
        "reupsert_s": reupsert_s,
        "count_after_reupsert": count,
    }


def format_table(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| backend | rows | upsert (s) | upsert rows/s | read into DataFrame (s) | "
        "re-upsert (s) | rows after re-upsert |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rows']:,} | {r['upsert_s']:.2f} | {r['rows'] / r['upsert_s']:,.0f} | "
            f"{r['read_s']:.2f} | {r['reupsert_s']:.2f} | {r['count_after_reupsert']:,} |"
        )
    lines.append("")
    lines.append(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with "
        f"{_cpus()} cores, Python {platform.python_version()}, "
        "PostgreSQL: throwaway local cluster (fsync off). Targets: upsert ≥ 200,000 rows/s "
        "(PostgreSQL), ≥ 100,000 rows/s (SQLite); read ≤ 3 s. The company's old ingestion wrote "
        "about 1,000 readings/s."
    )
    return "\n".join(lines)


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0))


def update_readme(text: str) -> bool:
    """Write the table into README.md; False when its markers are missing."""
    return update_section("storage-benchmark", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--rows-per-channel", type=int, default=10_000)
    parser.add_argument(
        "--postgres-url", help="admin URL of an existing server (default: throwaway)"
    )
    parser.add_argument(
        "--update-readme", action="store_true", help="write the table into README.md"
    )
    args = parser.parse_args(argv)

    frame = make_readings(args.channels, args.rows_per_channel)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["SQLite"] = run_backend(f"sqlite:///{tmp}/bench.sqlite", frame, args.channels)
    if args.postgres_url:
        results["PostgreSQL"] = run_backend(args.postgres_url, frame, args.channels)
    else:
        with TemporaryPostgres() as pg:
            results["PostgreSQL 15"] = run_backend(pg.admin_url, frame, args.channels)
    table = format_table(results)
    print(table)
    if args.update_readme:
        if not update_readme(table):
            raise SystemExit("README.md has no storage-benchmark section to update")
    return 0


if __name__ == "__main__":
    sys.exit(main())
