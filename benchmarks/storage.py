"""Storage benchmark: bulk upsert and read of 1,000,000 readings on SQLite and PostgreSQL.

100 channels x 10,000 hourly intervals (a year and two months) of energy and power, written with
``db.upsert_readings`` into an empty database, read back with ``db.read_readings``, re-sent with
every power changed, then re-sent unchanged (an idempotent re-upsert must leave the row count
unchanged). PostgreSQL is a throwaway
local cluster (``argo_lib.pgtemp``) unless ``--postgres-url`` names a server.

On PostgreSQL the library's upsert (``after``) runs side by side with the implementation it
replaced (``before``: every batch copied into a staging table and merged with ``INSERT ... ON
CONFLICT``), alternating in the same run, each into a fresh database, and the ratio is printed.

Usage::

    .venv/bin/python benchmarks/storage.py [--rows-per-channel 10000] [--rounds 2] [--update-readme]

Targets (issue 2): upsert >= 200,000 rows/s on PostgreSQL and >= 100,000 rows/s on SQLite;
reading 1,000,000 rows into a DataFrame <= 3 s.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
import sqlalchemy as sa
from readme_section import update_section

from argo_lib import db
from argo_lib.fields import READING_COLUMNS
from argo_lib.pgtemp import TemporaryPostgres

Upsert = Callable[[sa.Engine, pd.DataFrame], int]


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


# --- the PostgreSQL upsert as it was before issue 13, kept to measure against -----------------


def _prepare_readings_before(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Validation and deduplication as before issue 13 (pandas drop_duplicates)."""
    values = [c for c in READING_COLUMNS if c in frame.columns]
    micros = frame["timestamp"].dt.tz_convert("UTC").astype("datetime64[us, UTC]").array.asi8
    if (micros % 1_000_000).any():
        raise ValueError("sub-second timestamps")
    out = pd.DataFrame(
        {"channel_id": frame["channel_id"].astype("int64").to_numpy(), "ts": micros // 1_000_000}
    )
    for column in values:
        out[column] = pd.to_numeric(frame[column], errors="raise").astype("float64").to_numpy()
    out = out.drop_duplicates(subset=["channel_id", "ts"], keep="last")
    return out, values


def _upsert_readings_postgres_before(conn: sa.Connection, prepared: pd.DataFrame, values) -> None:
    """Every batch: binary COPY into a temporary staging table, then INSERT ... ON CONFLICT."""
    staging_columns = ", ".join(
        ["channel_id bigint", "ts bigint", *(f'"{c}" double precision' for c in values)]
    )
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE readings_staging ({staging_columns}) ON COMMIT DROP"
    )
    cursor = db._dbapi_cursor(conn)
    try:
        cursor.copy_expert(
            "COPY readings_staging FROM STDIN WITH (FORMAT binary)",
            io.BytesIO(db._pg_binary_copy(prepared, values)),
        )
    finally:
        cursor.close()
    target = ", ".join(f'"{c}"' for c in ["channel_id", "timestamp", *values])

    def source(column: str) -> str:
        expr = f"NULLIF(\"{column}\", 'NaN'::double precision)"
        return f"{expr}::numeric" if column == "cost" else expr

    select = ", ".join(["channel_id", "to_timestamp(ts)", *(source(c) for c in values)])
    update = ", ".join(f'"{c}" = EXCLUDED."{c}"' for c in values)
    conflict = f"DO UPDATE SET {update}" if values else "DO NOTHING"
    conn.exec_driver_sql(
        f"INSERT INTO readings ({target}) SELECT {select} FROM readings_staging "
        f'ON CONFLICT (channel_id, "timestamp") {conflict}'
    )


def upsert_readings_before(engine: sa.Engine, frame: pd.DataFrame) -> int:
    """``db.upsert_readings`` on PostgreSQL as it was before issue 13."""
    prepared, values = _prepare_readings_before(frame)
    if prepared.empty:
        return 0
    with db._connect(engine) as conn:
        db._require_schema(conn, engine)
        db._check_known_channels(conn, prepared["channel_id"].unique())
        _upsert_readings_postgres_before(conn, prepared, values)
    return len(prepared)


# ---------------------------------------------------------------------------------------------


def run_backend(
    url: str, frame: pd.DataFrame, channels: int, upsert: Upsert = db.upsert_readings
) -> dict[str, float]:
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
    upsert(engine, frame)
    upsert_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    back = db.read_readings(engine, site_id="bench")
    read_s = time.perf_counter() - t0
    assert len(back) == len(frame), (len(back), len(frame))
    assert np.array_equal(back["power_kw"].to_numpy(), frame["power_kw"].to_numpy())
    # every stored row re-sent with a new power, then the same batch again (nothing changes)
    changed = frame.assign(power_kw=frame["power_kw"] + 1.0)
    t0 = time.perf_counter()
    upsert(engine, changed)
    changed_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    upsert(engine, changed)
    reupsert_s = time.perf_counter() - t0
    with engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one()
    back = db.read_readings(engine, site_id="bench")
    assert np.array_equal(back["power_kw"].to_numpy(), changed["power_kw"].to_numpy())
    engine.dispose()
    return {
        "rows": len(frame),
        "upsert_s": upsert_s,
        "read_s": read_s,
        "reupsert_s": reupsert_s,
        "changed_s": changed_s,
        "count_after_reupsert": count,
    }


def format_table(results: dict[str, dict[str, float]]) -> str:
    lines = [
        "| backend | rows | upsert (s) | upsert rows/s | read into DataFrame (s) | "
        "re-upsert, power changed (s) | re-upsert, unchanged (s) | rows after re-upserts |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rows']:,} | {r['upsert_s']:.2f} | {r['rows'] / r['upsert_s']:,.0f} | "
            f"{r['read_s']:.2f} | {r['changed_s']:.2f} | {r['reupsert_s']:.2f} | "
            f"{r['count_after_reupsert']:,} |"
        )
    lines.append("")
    before = [r for name, r in results.items() if name.endswith(", before")]
    after = [r for name, r in results.items() if name.endswith(", after")]
    if before and after:
        b, a = before[0], after[0]
        lines.append(
            f"PostgreSQL after / before, side by side in this run (median of {int(a['rounds'])} "
            f"alternating rounds, each into a fresh database): upsert into an empty table "
            f"{b['upsert_s'] / a['upsert_s']:.2f}x ({b['rows'] / b['upsert_s']:,.0f} → "
            f"{a['rows'] / a['upsert_s']:,.0f} rows/s), identical re-upsert "
            f"{b['reupsert_s'] / a['reupsert_s']:.2f}x, re-upsert with changed power "
            f"{b['changed_s'] / a['changed_s']:.2f}x."
        )
        lines.append("")
    lines.append(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node() or 'this machine'} "
        f"({platform.machine()}, {_cpus()} cores), Python {platform.python_version()}, "
        "PostgreSQL: throwaway local cluster (fsync off). Targets: upsert ≥ 200,000 rows/s "
        "(PostgreSQL), ≥ 100,000 rows/s (SQLite); read ≤ 3 s. The company's old ingestion wrote "
        "about 1,000 readings/s."
    )
    return "\n".join(lines)


def run_postgres(
    admin_url: str, frame: pd.DataFrame, channels: int, rounds: int
) -> dict[str, dict[str, float]]:
    """Before and after, alternating (before first in even rounds), each in a fresh database."""
    variants: dict[str, Upsert] = {"before": upsert_readings_before, "after": db.upsert_readings}
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in variants}
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    for k in range(rounds):
        order = list(variants) if k % 2 == 0 else list(variants)[::-1]
        for name in order:
            database = f"argo_bench_{name}_{k}"
            with admin.connect() as conn:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database}")
                conn.exec_driver_sql(f"CREATE DATABASE {database}")
            url = sa.make_url(admin_url).set(database=database)
            try:
                result = run_backend(
                    url.render_as_string(hide_password=False), frame, channels, variants[name]
                )
            finally:
                db._ENGINES.clear()
                with admin.connect() as conn:
                    conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            runs[name].append(result)
            print(
                f"round {k + 1}, {name}: {result['rows'] / result['upsert_s']:,.0f} rows/s",
                file=sys.stderr,
            )
    admin.dispose()
    return {
        name: {key: statistics.median(r[key] for r in found) for key in found[0]}
        | {"rows": found[0]["rows"], "count_after_reupsert": found[-1]["count_after_reupsert"]}
        | {"rounds": rounds}
        for name, found in runs.items()
    }


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
        "--postgres-url",
        help="admin URL of a server (databases are created there; default: throwaway)",
    )
    parser.add_argument(
        "--rounds", type=int, default=2, help="PostgreSQL runs of each variant (alternating)"
    )
    parser.add_argument("--skip-sqlite", action="store_true", help="measure PostgreSQL only")
    parser.add_argument(
        "--update-readme", action="store_true", help="write the table into README.md"
    )
    args = parser.parse_args(argv)

    frame = make_readings(args.channels, args.rows_per_channel)
    results = {}
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            results["SQLite"] = run_backend(f"sqlite:///{tmp}/bench.sqlite", frame, args.channels)
    if args.postgres_url:
        found = run_postgres(args.postgres_url, frame, args.channels, args.rounds)
        label = "PostgreSQL"
    else:
        with TemporaryPostgres() as pg:
            found = run_postgres(pg.admin_url, frame, args.channels, args.rounds)
        label = "PostgreSQL 15"
    for name, result in found.items():
        results[f"{label}, {name}"] = result
    table = format_table(results)
    print(table)
    if args.update_readme:
        if not update_readme(table):
            raise SystemExit("README.md has no storage-benchmark section to update")
    return 0


if __name__ == "__main__":
    sys.exit(main())
