"""``argo db import-legacy`` and ``argo db migrate-legacy``: the company's old database.

``argo db import-legacy [--from URL] [--database-url URL] [--site ID ...] [--timestamps MODE]
[--fix-until INSTANT] [--zeros MODE]`` copies an old PostgreSQL database (``LEGACY_DATABASE_URL``
by default; only read) into the workbook database, one ingestion run per site;
``argo db migrate-legacy`` does it in place: the old tables move to the schema ``legacy`` and
the workbook schema takes their place. The conversions are those of
:mod:`argo_lib.ingest.legacy`. Exit status 0 when every site imported (1 with ``--strict`` when
values were rejected or a warning was printed), 2 for bad input (no legacy schema, an unknown
site, a bad option).

:func:`add_legacy_commands` adds both to the ``db`` command's parsers.
"""

from __future__ import annotations

import argparse

__all__ = ["add_legacy_commands"]


def _print(results: list, strict: bool) -> int:
    status = 0
    for result in results:
        print(result.summary())
        print()
        warned = any(note.startswith("warning:") for note in result.notes)
        status = max(status, result.exit_status(strict=strict), 1 if strict and warned else 0)
    if not results:
        print("the legacy database holds no organization; nothing imported")
    return status


def _options(args: argparse.Namespace) -> dict:
    return {
        "sites": args.site or None,
        "timestamps": args.timestamps,
        "fix_until": args.fix_until,
        "zeros": args.zeros,
    }


def _cmd_import(args: argparse.Namespace) -> int:
    from argo_lib import db
    from argo_lib.config import get_settings
    from argo_lib.ingest import legacy

    url = args.source or get_settings().legacy_database_url
    if not url:
        raise legacy.LegacyError(
            "no legacy database named: set LEGACY_DATABASE_URL (environment or .env) or give "
            "--from postgresql://user@host:5432/dbname (the password from .pgpass or "
            "LEGACY_DATABASE_URL, never the command line)"
        )
    source = db.get_engine(url)
    target = db.get_engine(args.database_url)
    db.upgrade(target)
    return _print(legacy.import_legacy(source, target, **_options(args)), args.strict)


def _cmd_migrate(args: argparse.Namespace) -> int:
    from argo_lib import db
    from argo_lib.ingest import legacy

    engine = db.get_engine(args.database_url)
    results = legacy.migrate_in_place(engine, **_options(args))
    print(
        f"{db.describe_database(engine)}: the old tables are in the schema {legacy.LEGACY_SCHEMA}; "
        f"the workbook schema is version {db.schema_version(engine)}"
    )
    return _print(results, args.strict)


def _add_options(parser: argparse.ArgumentParser) -> None:
    from argo_lib.cli import _add_database_option
    from argo_lib.ingest.legacy import TIMESTAMP_MODES, ZERO_MODES

    _add_database_option(parser)
    parser.add_argument(
        "--site",
        action="append",
        metavar="ID",
        help="organization id to import (repeatable; default every organization)",
    )
    parser.add_argument(
        "--timestamps",
        choices=TIMESTAMP_MODES,
        default="as-stored",
        help="how the old client stored times: as-stored (UTC host, default), local-as-utc "
        "(a host set to the site's time zone), utc-as-local (the time-zone migration run on "
        "UTC values)",
    )
    parser.add_argument(
        "--fix-until",
        metavar="INSTANT",
        help="correct only readings stored before this instant, e.g. 2025-12-01T00:00Z",
    )
    parser.add_argument(
        "--zeros",
        choices=ZERO_MODES,
        default="auto",
        help="energy/power zeros: auto (a zero with nothing else measured or contradicted by "
        "the other value is missing, default), keep, missing",
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 when values were rejected or warned about"
    )


def add_legacy_commands(db_commands: argparse._SubParsersAction) -> None:
    """Add ``import-legacy`` and ``migrate-legacy`` to the ``db`` command's parsers."""
    imp = db_commands.add_parser(
        "import-legacy",
        help="copy the company's old PostgreSQL database into this one",
        description="Read an old-schema PostgreSQL database (LEGACY_DATABASE_URL or --from; "
        "nothing is written there) and import its sites, devices, channels and readings, "
        "converting units, zeros that stood for missing values and mis-stored times; one "
        "ingestion run per site; re-running it changes nothing.",
    )
    imp.add_argument(
        "--from",
        dest="source",
        metavar="URL",
        help="the old database (default LEGACY_DATABASE_URL); keep the password in .pgpass or "
        "the variable",
    )
    _add_options(imp)
    imp.set_defaults(handler=_cmd_import)
    mig = db_commands.add_parser(
        "migrate-legacy",
        help="turn the company's old PostgreSQL database into a workbook database, in place",
        description="Move the old tables of DATABASE_URL to the schema legacy (kept, views "
        "included), create the workbook schema and import the data from there; running it "
        "again resumes or changes nothing.",
    )
    _add_options(mig)
    mig.set_defaults(handler=_cmd_migrate)
