"""``argo export monthly`` and ``argo export aggregate``: readings out of the database as files.

They replace the ``export-wilson-raw-monthly`` and ``export-to-csv`` scripts and are meant for
cron: exit status 0 when every file was written, 2 with a one-line message on bad input (an
unknown site, a bad month or date, a format whose package is missing), 1 when the work failed
part-way (a database that is down: re-run the same command). The library functions are in
:mod:`argo_lib.export`; :func:`argo_lib.cli.build_parser` adds these commands with
:func:`add_export_commands`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from argo_lib.errors import EXIT_OK, UsageError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from argo_lib.config import Settings

__all__ = ["add_export_commands"]


def _engine(args: argparse.Namespace, settings: Settings) -> Engine:
    """The database of ``--database-url`` (default the settings'); an SQLite file must exist."""
    from argo_lib import db

    return db.get_engine(args.database_url, settings=settings, must_exist=True)


def _cmd_export_monthly(args: argparse.Namespace) -> int:
    from argo_lib import export
    from argo_lib.config import get_settings

    if args.month and args.months:
        raise UsageError("give --month or --months, not both")
    spec = args.months or args.month or "last"
    option = "--months" if args.months else "--month"
    months = None if spec == "last" else export.parse_months(spec, option=option)
    settings = get_settings()
    engine = _engine(args, settings)
    site = export.resolve_site(engine, args.site)
    if months is None:  # the last complete month in the site's calendar
        months = [export.last_month(tz=site.timezone)]
    started = time.perf_counter()
    results = export.export_monthly(
        engine,
        site.site_id,
        months,
        args.output_dir,
        settings=settings,
    )
    seconds = time.perf_counter() - started
    folder = results[0].readings.parent
    print(f"{site.name} ({site.site_id}), {len(results)} month(s) in {folder}:")
    for result in results:
        summary = result.summary
        note = "" if result.rows else " (no readings stored for this month)"
        print(
            f"  {result.month}: {result.rows} readings of {summary['channels']} channel(s) "
            f"-> {result.readings.name}, {result.summary_path.name}{note}"
        )
    print(f"channels: {results[0].channels.name}; took {seconds:.1f} s")
    return EXIT_OK


def _cmd_export_aggregate(args: argparse.Namespace) -> int:
    from argo_lib import export
    from argo_lib.config import get_settings

    settings = get_settings()
    # the choices and the format's package are checked before the database is opened
    export.check_format(args.format)
    engine = _engine(args, settings)
    site = export.resolve_site(engine, args.site)
    period = export.resolve_period(args.start, args.end, tz=site.timezone)
    started = time.perf_counter()
    result = export.export_aggregated(
        engine,
        site.site_id,
        period,
        args.resolution,
        args.format,
        args.shape,
        Path(args.output),
    )
    seconds = time.perf_counter() - started
    print(
        f"{site.name} ({site.site_id}), {args.start} to {args.end} {args.resolution} "
        f"({args.shape}): {result.rows} rows, {result.energy_kwh:,.1f} kWh -> {result.path}"
    )
    print(f"took {seconds:.1f} s ({result.chunks} database read(s))")
    return EXIT_OK


def add_export_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``export monthly`` and ``export aggregate`` to the ``argo`` command parsers.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``argo`` parser (``dest="command"``).
    """
    from argo_lib.cli import _add_database_option
    from argo_lib.export import FORMATS, RESOLUTIONS, SHAPES

    parser = commands.add_parser(
        "export",
        help="export readings as files: raw monthly CSV, or aggregated CSV/Excel/Parquet",
        description=(
            "Export a site's stored readings. 'monthly' writes one CSV of every reading field per "
            "site-local calendar month, with a JSON summary and the channel list; 'aggregate' "
            "writes energy and power per channel at 15 min, hourly, daily or monthly resolution. "
            "Files are replaced whole (written beside, then moved into place). Exit status 2 on "
            "bad input (the message says what to change), 1 when the work failed part-way "
            "(re-run the same command)."
        ),
    )
    actions = parser.add_subparsers(dest="export_command", metavar="KIND", required=True)

    monthly = actions.add_parser(
        "monthly",
        help="raw readings, one CSV and one JSON summary per site-local calendar month",
        description=(
            "Write <site>_<YYYY-MM>_readings.csv (timestamp_local with offset, timestamp_utc, "
            "channel_id, channel_name and every reading field in the project's units; empty "
            "cells are NULL), <site>_<YYYY-MM>_summary.json (rows, channels, first and last "
            "reading, completeness per channel) and <site>_channels.csv. Re-running a month "
            "replaces its files."
        ),
    )
    _add_database_option(monthly)
    monthly.add_argument("--site", required=True, help="site id (23271) or site file name")
    monthly.add_argument(
        "--month",
        help="one month, YYYY-MM (e.g. 2026-10), or 'last': the last complete month (default)",
    )
    monthly.add_argument(
        "--months",
        help="several months: a range 2026-01..2026-10 (inclusive) or a list 2026-01,2026-03",
    )
    monthly.add_argument(
        "--output-dir",
        metavar="DIR",
        help="folder of the files (default outputs/<site>/exports/monthly/)",
    )
    monthly.set_defaults(handler=_cmd_export_monthly)

    aggregate = actions.add_parser(
        "aggregate",
        help="energy and power per channel at 15min, hourly, daily or monthly resolution",
        description=(
            "Write energy_kwh summed, power_kw_mean and power_kw_max, and the readings counted "
            "(intervals) per channel and interval, site-local days START to END (both "
            "included). Long shape: one row per channel and interval; wide: one energy column "
            "per channel. xlsx needs openpyxl and parquet pyarrow."
        ),
    )
    _add_database_option(aggregate)
    aggregate.add_argument("--site", required=True, help="site id (23271) or site file name")
    aggregate.add_argument(
        "--start", required=True, metavar="DATE", help="first site-local day, e.g. 2026-10-01"
    )
    aggregate.add_argument(
        "--end", required=True, metavar="DATE", help="last site-local day (inclusive)"
    )
    aggregate.add_argument(
        "--resolution",
        choices=RESOLUTIONS,
        default="hourly",
        help="interval of the table (default hourly); daily and monthly follow the site's calendar",
    )
    aggregate.add_argument(
        "--format",
        choices=FORMATS,
        default="csv",
        help="file format (default csv; xlsx needs openpyxl, parquet needs pyarrow)",
    )
    aggregate.add_argument(
        "--shape",
        choices=SHAPES,
        default="long",
        help="long: a row per channel and interval (default); wide: an energy column per channel",
    )
    aggregate.add_argument("--output", required=True, metavar="FILE", help="the file to write")
    aggregate.set_defaults(handler=_cmd_export_aggregate)
