"""Storage at scale: a site-week read and a day's upsert against 50 million readings (PostgreSQL).

1,000 channels (125 sites of 8) x 5.7 years hourly = 50 million readings, generated server-side
(``generate_series``, time-major like real ingestion: every channel's hour, then the next hour),
with ``energy_kwh`` and ``power_kw`` populated and the other value columns NULL. The same data is
measured in up to three layouts of the ``readings`` table:

``plain``
    the schema as it is: the primary key ``(channel_id, timestamp)`` only;
``brin``
    plus a BRIN index on ``timestamp``;
``partitioned``
    declarative monthly range partitions on ``timestamp`` (each with its primary key).

For each layout: reading one site-week (8 channels, 1,344 rows) with ``db.read_readings`` (several
sites and weeks: the first read, the median and the slowest), upserting one day for every channel
(24,000 rows with ``db.upsert_readings``) both as a new day after the stored ones and as a re-sent
stored day with changed values, and the table and index sizes. PostgreSQL is a throwaway local
cluster (``argo_lib.pgtemp``) unless ``--postgres-url`` names a server (a database
``argo_storage_scale`` is created there and dropped at the end).

Usage::

    .venv/bin/python benchmarks/storage_scale.py                      # 50 M rows (about 25 min)
    .venv/bin/python benchmarks/storage_scale.py --rows 1000000       # small: ~1 M rows
    .venv/bin/python benchmarks/storage_scale.py --channels 80 --years 0.5 --layouts plain,brin

Targets (issue 13): site-week read <= 0.1 s and a day's upsert for 1,000 channels <= 2 s at
50 million readings.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from argo_lib import db
from argo_lib.pgtemp import TemporaryPostgres

START = pd.Timestamp("2020-01-01", tz="UTC")
CHANNELS_PER_SITE = 8
LAYOUTS = ("plain", "brin", "partitioned")
READ_TARGET_S = 0.1
UPSERT_TARGET_S = 2.0


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _timed(action: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def setup_metadata(engine: sa.Engine, channels: int) -> None:
    """Sites of 8 channels each, written through the library like real metadata."""
    db.upgrade(engine)
    for site in range(-(-channels // CHANNELS_PER_SITE)):
        db.upsert_site(engine, {"site_id": f"s{site}", "name": f"Site {site}", "timezone": "UTC"})
    ids = np.arange(1, channels + 1)
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": ids,
                "site_id": [f"s{(i - 1) // CHANNELS_PER_SITE}" for i in ids],
                "name": [f"channel {i}" for i in ids],
                "resolution_s": 3600,
            }
        ),
    )


def load_readings(engine: sa.Engine, channels: int, hours: int) -> float:
    """Fill ``readings`` server-side (time-major); the key is rebuilt after the load."""
    end = START + pd.Timedelta(hours=hours)
    # power is a deterministic pattern per channel and hour [kW]; energy of an hour is the same
    power = "mod(c * 7919 + extract(epoch from t)::bigint / 3600 * 104729, 5000) / 1000.0"
    with db._connect(engine) as conn:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        t0 = time.perf_counter()
        conn.exec_driver_sql("ALTER TABLE readings DROP CONSTRAINT pk_readings")
        conn.exec_driver_sql(
            'INSERT INTO readings (channel_id, "timestamp", energy_kwh, power_kw) '
            f"SELECT c, t, {power}, {power} "
            f"FROM generate_series('{START.isoformat()}'::timestamptz, "
            f"'{end.isoformat()}'::timestamptz - interval '1 hour', interval '1 hour') AS t, "
            f"generate_series(1, {channels}) AS c"
        )
        conn.exec_driver_sql(
            'ALTER TABLE readings ADD CONSTRAINT pk_readings PRIMARY KEY (channel_id, "timestamp")'
        )
        seconds = time.perf_counter() - t0
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE readings")
    return seconds


def make_brin(engine: sa.Engine) -> None:
    """Add a BRIN index on timestamp next to the primary key."""
    with db._connect(engine) as conn:
        conn.exec_driver_sql(
            'CREATE INDEX ix_readings_time_brin ON readings USING brin ("timestamp")'
        )


def drop_brin(engine: sa.Engine) -> None:
    with db._connect(engine) as conn:
        conn.exec_driver_sql("DROP INDEX IF EXISTS ix_readings_time_brin")


def make_partitioned(engine: sa.Engine) -> None:
    """Move the readings into a monthly range-partitioned table of the same name."""
    with db._connect(engine) as conn:
        conn.exec_driver_sql("SET LOCAL maintenance_work_mem = '1GB'")
        lo, hi = conn.exec_driver_sql(
            "SELECT date_trunc('month', min(\"timestamp\") AT TIME ZONE 'UTC'), "
            "date_trunc('month', max(\"timestamp\") AT TIME ZONE 'UTC') FROM readings"
        ).one()
        columns = ", ".join(
            f"{c.name} {c.type.compile(dialect=conn.dialect)}" + ("" if c.nullable else " NOT NULL")
            for c in db.readings.columns
        ).replace("timestamp TIMESTAMP", '"timestamp" TIMESTAMP')
        conn.exec_driver_sql("ALTER TABLE readings RENAME TO readings_plain")
        conn.exec_driver_sql("ALTER TABLE readings_plain RENAME CONSTRAINT pk_readings TO pk_plain")
        conn.exec_driver_sql(f'CREATE TABLE readings ({columns}) PARTITION BY RANGE ("timestamp")')
        month = pd.Timestamp(lo, tz="UTC")
        # two months beyond the data: the new days of the upsert test land in a partition
        last = pd.Timestamp(hi, tz="UTC") + pd.DateOffset(months=2)
        while month <= last:
            following = month + pd.DateOffset(months=1)
            conn.exec_driver_sql(
                f"CREATE TABLE readings_{month:%Y%m} PARTITION OF readings "
                f"FOR VALUES FROM ('{month.isoformat()}') TO ('{following.isoformat()}')"
            )
            month = following
        conn.exec_driver_sql(
            'INSERT INTO readings SELECT * FROM readings_plain ORDER BY "timestamp"'
        )
        conn.exec_driver_sql(
            'ALTER TABLE readings ADD CONSTRAINT pk_readings PRIMARY KEY (channel_id, "timestamp")'
        )
        conn.exec_driver_sql("DROP TABLE readings_plain")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM ANALYZE readings")


def sizes_mb(engine: sa.Engine) -> tuple[float, float]:
    """Heap (with TOAST) and index size of readings and its partitions [MB]."""
    with db._connect(engine, begin=False) as conn:
        table, index = conn.exec_driver_sql(
            "SELECT sum(pg_table_size(relid)), sum(pg_indexes_size(relid)) "
            "FROM pg_partition_tree('readings') WHERE isleaf"
        ).one()
        if table is None:  # not partitioned: the tree is empty
            table, index = conn.exec_driver_sql(
                "SELECT pg_table_size('readings'), pg_indexes_size('readings')"
            ).one()
    return float(table) / 2**20, float(index) / 2**20


def measure_reads(engine: sa.Engine, channels: int, hours: int, *, count: int) -> list[float]:
    """Seconds per site-week read, for ``count`` sites and weeks spread over the data."""
    rng = np.random.default_rng(7)
    sites = -(-channels // CHANNELS_PER_SITE)
    weeks = max(hours // 168 - 1, 1)
    times = []
    for _ in range(count):
        site = f"s{rng.integers(sites)}"
        start = START + pd.Timedelta(weeks=int(rng.integers(weeks)))
        t0 = time.perf_counter()
        frame = db.read_readings(
            engine, site_id=site, start=start, end=start + pd.Timedelta(weeks=1)
        )
        times.append(time.perf_counter() - t0)
        expected = min(CHANNELS_PER_SITE, channels) * min(168, hours)
        assert len(frame) == expected, (site, start, len(frame), expected)
    return times


def day_frame(channels: int, day: pd.Timestamp, *, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range(day, periods=24, freq="h", tz="UTC")
    power = rng.gamma(2.0, 1.5, size=channels * 24)
    return pd.DataFrame(
        {
            "channel_id": np.repeat(np.arange(1, channels + 1, dtype="int64"), 24),
            "timestamp": np.tile(index, channels),
            "energy_kwh": power,
            "power_kw": power,
        }
    )


def measure_upserts(
    engine: sa.Engine, channels: int, hours: int, *, first_new_day: int
) -> dict[str, list[float]]:
    """Seconds to upsert a new day after the data and to re-send a stored day (3 each)."""
    end_day = (START + pd.Timedelta(hours=hours)).ceil("D") + pd.Timedelta(days=first_new_day)
    stored_day = START + pd.Timedelta(days=max(hours // 48, 1))
    result: dict[str, list[float]] = {"new": [], "resent": []}
    for k in range(3):
        new = day_frame(channels, end_day + pd.Timedelta(days=k), seed=first_new_day + k)
        result["new"].append(_timed(lambda new=new: db.upsert_readings(engine, new)))
        resent = day_frame(
            channels, stored_day + pd.Timedelta(days=k), seed=1000 + first_new_day + k
        )
        result["resent"].append(_timed(lambda resent=resent: db.upsert_readings(engine, resent)))
        back = db.read_readings(
            engine, channel_ids=[1], start=resent["timestamp"].iloc[0], end=end_day
        )
        assert np.array_equal(back["power_kw"].to_numpy()[:24], resent["power_kw"].to_numpy()[:24])
    return result


def measure_layout(
    engine: sa.Engine, channels: int, hours: int, reads: int, *, first_new_day: int
) -> dict[str, Any]:
    measure_reads(engine, channels, hours, count=1)  # warm the connection pool and the catalog
    read_times = measure_reads(engine, channels, hours, count=reads)
    upserts = measure_upserts(engine, channels, hours, first_new_day=first_new_day)
    table_mb, index_mb = sizes_mb(engine)
    with db._connect(engine, begin=False) as conn:
        count = conn.exec_driver_sql("SELECT count(*) FROM readings").scalar_one()
    return {
        "rows": count,
        "read_first_s": read_times[0],
        "read_median_s": statistics.median(read_times),
        "read_max_s": max(read_times),
        "new_day_median_s": statistics.median(upserts["new"]),
        "new_day_max_s": max(upserts["new"]),
        "resent_day_median_s": statistics.median(upserts["resent"]),
        "resent_day_max_s": max(upserts["resent"]),
        "table_mb": table_mb,
        "index_mb": index_mb,
    }


def format_table(results: dict[str, dict[str, Any]], load_s: float, channels: int) -> str:
    lines = [
        "| layout | readings | site-week read: first / median / max (s) | new day upsert, "
        f"{channels * 24:,} rows: median / max (s) | re-sent day: median / max (s) | table (MB) | "
        "indexes (MB) | build (s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rows']:,} | {r['read_first_s']:.3f} / {r['read_median_s']:.3f} / "
            f"{r['read_max_s']:.3f} | {r['new_day_median_s']:.2f} / {r['new_day_max_s']:.2f} | "
            f"{r['resent_day_median_s']:.2f} / {r['resent_day_max_s']:.2f} | "
            f"{r['table_mb']:,.0f} | {r['index_mb']:,.0f} | {r['build_s']:.0f} |"
        )
    lines.append("")
    lines.append(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node() or 'this machine'} "
        f"({platform.machine()}, {len(os.sched_getaffinity(0))} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB), "
        f"Python {platform.python_version()}, {channels:,} channels; PostgreSQL: throwaway local "
        f"cluster (fsync off, default shared_buffers); initial load {load_s:.0f} s. Build = time "
        f"to reach the layout from the loaded plain table. Targets: site-week read <= "
        f"{READ_TARGET_S} s, day upsert <= {UPSERT_TARGET_S:.0f} s."
    )
    return "\n".join(lines)


def run(url: str, channels: int, hours: int, layouts: list[str], reads: int) -> str:
    engine = db.get_engine(url)
    setup_metadata(engine, channels)
    _log(f"loading {channels * hours:,} readings")
    load_s = load_readings(engine, channels, hours)
    _log(f"loaded in {load_s:.0f} s")
    results: dict[str, dict[str, Any]] = {}
    for k, layout in enumerate(layouts):
        # the layouts are built in this order on one table: plain, +BRIN, then partitioned
        build = 0.0
        if layout == "brin":
            build = _timed(lambda: make_brin(engine))
        elif layout == "partitioned":
            drop_brin(engine)
            build = _timed(lambda: make_partitioned(engine))
        _log(f"{layout}: built in {build:.0f} s, measuring")
        # each layout's new days follow the days the layouts before it added
        measured = measure_layout(engine, channels, hours, reads, first_new_day=3 * k)
        results[layout] = measured | {"build_s": build}
        _log(f"{layout}: {results[layout]}")
    engine.dispose()
    return format_table(results, load_s, channels)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--years", type=float, default=5.7, help="hourly history per channel")
    parser.add_argument(
        "--rows", type=int, help="total readings instead of --years (channels x hours)"
    )
    parser.add_argument(
        "--layouts", default=",".join(LAYOUTS), help=f"comma-separated, from {LAYOUTS}"
    )
    parser.add_argument("--reads", type=int, default=20, help="site-week reads per layout")
    parser.add_argument(
        "--postgres-url", help="admin URL of an existing server (default: throwaway)"
    )
    args = parser.parse_args(argv)
    layouts = [name.strip() for name in args.layouts.split(",") if name.strip()]
    unknown = sorted(set(layouts) - set(LAYOUTS))
    if unknown:
        parser.error(f"unknown layouts {unknown}; choose from {LAYOUTS}")
    layouts = [name for name in LAYOUTS if name in layouts]  # they build on one another
    hours = args.rows // args.channels if args.rows else round(args.years * 365.25 * 24)
    if hours < 24 * 14:
        parser.error("at least two weeks of history are needed (raise --rows or --years)")
    with ExitStack() as stack:
        admin = args.postgres_url or stack.enter_context(TemporaryPostgres()).admin_url
        admin_engine = sa.create_engine(admin, isolation_level="AUTOCOMMIT")
        name = "argo_storage_scale"
        with admin_engine.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        url = sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
        try:
            table = run(url, args.channels, hours, layouts, args.reads)
        finally:
            with admin_engine.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin_engine.dispose()
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
