"""Legacy import benchmark: the company's old database at its Feb 2026 size, into each backend.

Builds a legacy-schema PostgreSQL database (:mod:`argo_lib.sim.legacy`) the size the spec gives
for February 2026: 17 channels at 15 min from 2025-11-05 to 2026-02-03 (about 151,700 rows,
every field the old ingester stored, a 6-hour zero-filled outage per channel), then times
:func:`argo_lib.ingest.legacy.import_legacy` into an SQLite file and into a second PostgreSQL
database, and :func:`~argo_lib.ingest.legacy.migrate_in_place` on a copy. Everything runs on a
throwaway cluster (``argo_lib.pgtemp``). Prints a markdown table naming the machine.

Usage::

    .venv/bin/python benchmarks/legacy_import.py [--days 90] [--channels 17]
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

from argo_lib import db
from argo_lib.ingest import legacy
from argo_lib.pgtemp import TemporaryPostgres
from argo_lib.sim.legacy import (
    create_legacy_schema,
    legacy_reading_frame,
    write_legacy_metadata,
    write_legacy_readings,
)
from argo_lib.sim.readings import simulate_readings
from argo_lib.sim.site import synthetic_channels

TZ = "America/New_York"


def _database(admin_url: str, name: str) -> str:
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    admin.dispose()
    return sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def build_legacy(url: str, days: int, channels: int) -> int:
    chans = synthetic_channels(channels, seed=5)
    start = pd.Timestamp("2025-11-05", tz=TZ)
    sim = simulate_readings(
        start=start,
        end=start + pd.Timedelta(days=days),
        resolution_s=900,
        channels=chans,
        seed=5,
        fields="all",
    )
    readings = sim.readings
    readings["cost"] = (readings["energy_kwh"] * 0.15).round(2)
    outage = readings["timestamp"].between(
        start + pd.Timedelta(days=20), start + pd.Timedelta(days=20, hours=6), inclusive="left"
    )
    values = [c for c in readings.columns if c not in ("channel_id", "timestamp")]
    readings.loc[outage, values] = np.nan
    engine = db.get_engine(url)
    create_legacy_schema(engine)
    meta = pd.DataFrame(
        {
            "channel_id": [c.channel_id for c in chans],
            "channel_name": [f"Channel {c.channel_id}" for c in chans],
        }
    )
    write_legacy_metadata(
        engine, organization_id="23271", name="Wilson Center", timezone=TZ, channels=meta
    )
    return write_legacy_readings(engine, legacy_reading_frame(readings, timezone=TZ))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--channels", type=int, default=17)
    args = parser.parse_args(argv)
    cluster = TemporaryPostgres()
    rows = []
    try:
        source_url = _database(cluster.admin_url, "legacy_src")
        n = build_legacy(source_url, args.days, args.channels)
        source = db.get_engine(source_url)
        with tempfile.TemporaryDirectory() as folder:
            params = Path(folder)
            targets = {
                "SQLite file": f"sqlite:///{params / 'argo.sqlite'}",
                "PostgreSQL": _database(cluster.admin_url, "argo_target"),
            }
            for label, url in targets.items():
                target = db.get_engine(url)
                db.upgrade(target)
                started = time.perf_counter()
                (result,) = legacy.import_legacy(source, target, params_dir=params)
                first = time.perf_counter() - started
                started = time.perf_counter()
                legacy.import_legacy(source, target, params_dir=params)
                again = time.perf_counter() - started
                rows.append((f"import-legacy → {label}", n, result.rows_written, first, again))
            inplace_url = _database(cluster.admin_url, "legacy_inplace")
            build_legacy(inplace_url, args.days, args.channels)
            engine = db.get_engine(inplace_url)
            started = time.perf_counter()
            (result,) = legacy.migrate_in_place(engine, params_dir=params)
            first = time.perf_counter() - started
            started = time.perf_counter()
            legacy.migrate_in_place(engine, params_dir=params)
            again = time.perf_counter() - started
            rows.append(("migrate-legacy (in place)", n, result.rows_written, first, again))
        for engine_ in list(db._ENGINES.values()):
            engine_.dispose()
    finally:
        cluster.stop()
    print(
        f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {sys.version.split()[0]}; {args.channels} channels x {args.days} days at 15 min"
    )
    print()
    print("| run | legacy rows | rows written | first run [s] | rows/s | re-run [s] |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, received, written, first, again in rows:
        print(
            f"| {label} | {received:,} | {written:,} | {first:.2f} | {written / first:,.0f} | "
            f"{again:.2f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
