"""Sync benchmark: the 8 Wilson Center channels from the fake Eniscope server into the database.

The fake server answers every request after a fixed latency (20 ms by default) and serves the
simulated site at 15-minute resolution with the project's 26 fields. Measured:

1. a 90-day backfill with the **fast** settings (31-day windows, 4 concurrent requests, no pause)
   into SQLite and into PostgreSQL (a throwaway local cluster unless ``--postgres-url``), and
   with 7-day windows (the longest the API spec calls safe at 15 minutes) into SQLite;
2. the daily incremental sync after it with the **polite** defaults meant for the production API
   (sequential, at least 1 s between request starts, one site-local day per request);
3. a 3-day rolling sync into an empty database with the polite defaults (what the company's old
   ingestion did in about 83 s, writing about 1,000 readings/s).

A 90-day backfill with the polite defaults takes one request per channel and day, at least 1 s
each: it is not run (about 12 minutes) but extrapolated from the measured time per request of the
polite runs, and the table says so.

Usage::

    .venv/bin/python benchmarks/sync.py [--days 90] [--latency-ms 20] [--update-readme]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import sys
import tempfile
import time

import pandas as pd
from readme_section import update_section

from argo_lib import db, ingest
from argo_lib.pgtemp import TemporaryPostgres
from argo_lib.sim import demo
from argo_lib.sim.fake_eniscope import Faults

MARK_BEGIN = "<!-- sync-benchmark:begin -->"
MARK_END = "<!-- sync-benchmark:end -->"
NOW = pd.Timestamp("2025-12-08T12:00:00Z")  # a Monday noon; 90 days back spans the fall DST change
RESOLUTION_S = 900
OLD_ROLLING_S = 83.0
OLD_ROWS_PER_S = 1000.0


def run_sync(
    url: str, settings, *, profile: str, days: int, window_days: int | None = None
) -> dict:
    """One sync of the site's channels; returns its numbers."""
    engine = db.get_engine(url)
    db.upgrade(engine)
    chosen = ingest.SYNC_PROFILES[profile]
    if window_days is not None:
        chosen = dataclasses.replace(chosen, window_days=window_days)
    with ingest.make_client(settings, profile=chosen) as client:
        result = ingest.sync_site(
            engine,
            client,
            "23271",
            days=days,
            resolution_s=RESOLUTION_S,
            window_days=chosen.window_days,
            now=NOW,
            progress=False,
            source=f"benchmark-{profile}",
        )
    if result.status != "ok":
        raise SystemExit(f"benchmark sync failed: {result.summary()}")
    engine.dispose()
    return {
        "profile": profile,
        "window_days": chosen.window_days,
        "days": days,
        "channels": len(result.channels),
        "requests": result.requests,
        "rows": result.rows_written,
        "seconds": result.elapsed_s,
    }


def _profile_text(name: str, window_days: int) -> str:
    p = ingest.SYNC_PROFILES[name]
    pace = f"≥ {p.min_interval_s:g} s apart" if p.min_interval_s else "no pause"
    return f"{name}: {window_days}-day windows, {p.max_concurrency} at a time, {pace}"


def format_table(rows: list[dict], *, latency_ms: float, days: int) -> str:
    """Markdown table of the runs, then how they were measured."""
    lines = [
        "| run | database | settings | requests | readings written | wall time (s) | readings/s |",
        "|---|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        seconds = f"{r['seconds']:,.1f}" + (" (extrapolated)" if r.get("estimated") else "")
        lines.append(
            f"| {r['label']} | {r['database']} | {_profile_text(r['profile'], r['window_days'])} | "
            f"{r['requests']:,} | {r['rows']:,} | {seconds} | {r['rows'] / r['seconds']:,.0f} |"
        )
    lines += [
        "",
        f"8 Wilson Center channels at 15-minute resolution (26 fields), from the fake Eniscope "
        f"server answering after {latency_ms:g} ms per request; 'now' fixed at {NOW:%Y-%m-%d %H:%M} "
        f"UTC, so the {days}-day backfill includes the fall DST change. Every run also fetches "
        "the metadata (2 requests), validates and logs each channel-window. The polite "
        f"{days}-day backfill was not run: its time is the measured polite time per request "
        "times its request count. Target: fast backfill ≤ 30 s. The company's old ingestion "
        f"took about {OLD_ROLLING_S:.0f} s for a 3-day rolling sync and wrote about "
        f"{OLD_ROWS_PER_S:,.0f} readings/s.",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()} with "
        f"{len(os.sched_getaffinity(0))} cores, Python {platform.python_version()}; "
        "PostgreSQL: throwaway local cluster (fsync off).",
    ]
    return "\n".join(lines)


def update_readme(text: str) -> bool:
    """Write the table into README.md; False when its markers are missing."""
    return update_section("sync-benchmark", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=int, default=90, help="backfill length [d] (default 90)")
    parser.add_argument(
        "--rolling-days", type=int, default=3, help="polite rolling sync length [d] (default 3)"
    )
    parser.add_argument(
        "--latency-ms", type=float, default=20.0, help="fake server delay per request [ms]"
    )
    parser.add_argument("--postgres-url", help="admin URL of an existing server")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    parser.add_argument(
        "--update-readme", action="store_true", help="write the table into README.md"
    )
    args = parser.parse_args(argv)

    rows: list[dict] = []
    faults = Faults(delay_s=args.latency_ms / 1000)
    with (
        demo.fake_server(now=NOW, faults=faults) as settings,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sqlite_url = f"sqlite:///{tmp}/sync.sqlite"
        fast = run_sync(sqlite_url, settings, profile="fast", days=args.days)
        rows.append({**fast, "label": f"{args.days}-day backfill", "database": "SQLite"})
        if not args.no_postgres:
            if args.postgres_url:
                r = run_sync(args.postgres_url, settings, profile="fast", days=args.days)
                rows.append({**r, "label": f"{args.days}-day backfill", "database": "PostgreSQL"})
            else:
                with TemporaryPostgres() as pg:
                    r = run_sync(pg.admin_url, settings, profile="fast", days=args.days)
                rows.append({**r, "label": f"{args.days}-day backfill", "database": "PostgreSQL"})
        week = run_sync(
            f"sqlite:///{tmp}/week.sqlite", settings, profile="fast", days=args.days, window_days=7
        )
        rows.append({**week, "label": f"{args.days}-day backfill", "database": "SQLite"})
        daily = run_sync(sqlite_url, settings, profile="polite", days=args.days)
        rows.append({**daily, "label": "daily incremental sync after it", "database": "SQLite"})
        rolling = run_sync(
            f"sqlite:///{tmp}/rolling.sqlite", settings, profile="polite", days=args.rolling_days
        )
        rows.append(
            {**rolling, "label": f"{args.rolling_days}-day rolling sync", "database": "SQLite"}
        )
    per_request = (daily["seconds"] + rolling["seconds"]) / (
        daily["requests"] + rolling["requests"]
    )
    windows = fast["channels"] * (args.days + 1)  # one per local day, plus today's part
    rows.append(
        {
            "label": f"{args.days}-day backfill",
            "database": "SQLite",
            "profile": "polite",
            "window_days": 1,
            "days": args.days,
            "channels": fast["channels"],
            "requests": windows + 2,
            "rows": fast["rows"],
            "seconds": (windows + 2) * per_request,
            "estimated": True,
        }
    )
    table = format_table(rows, latency_ms=args.latency_ms, days=args.days)
    print(table)
    if args.update_readme and not update_readme(table):
        print(f"README.md has no {MARK_BEGIN} ... {MARK_END} section; not updated", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
