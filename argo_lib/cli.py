"""Operator commands: ``argo <command> ...`` (or ``python -m argo_lib ...``), each with ``--help``.

The commands are thin: they parse arguments, call the library, print a short report and exit
with status 0 on success, 1 when the work failed (partly) and 2 on bad input or configuration.
Errors are one readable line on stderr (``--debug`` shows the traceback); secrets never appear.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

import pandas as pd

__all__ = ["main"]

logger = logging.getLogger("argo_lib")

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CommandError(Exception):
    """A command cannot do its work; ``exit_code`` says how it ends."""

    def __init__(self, message: str, *, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _engine(args: argparse.Namespace):
    from argo_lib import db

    return db.get_engine(args.database_url)


# --------------------------------------------------------------------------------------------
# db
# --------------------------------------------------------------------------------------------


def _cmd_db_upgrade(args: argparse.Namespace) -> int:
    from argo_lib import db

    engine = _engine(args)
    before = db.schema_version(engine)
    after = db.upgrade(engine)
    where = db.describe_database(engine)
    if before == after:
        print(f"{where}: schema is up to date (version {after})")
    else:
        print(f"{where}: schema upgraded from {before or 'none'} to version {after}")
    return EXIT_OK


def _cmd_db_check(args: argparse.Namespace) -> int:
    from argo_lib import db

    info = db.check_connection(_engine(args))
    print(f"database:        {info['database']}")
    print(f"server:          {info['server_version']}")
    print(
        f"schema version:  {info['schema_version']} "
        f"(this workbook: {info['expected_schema_version']})"
    )
    if info["schema_version"] != info["expected_schema_version"]:
        print("run `argo db upgrade` to create or update the schema", file=sys.stderr)
        return EXIT_FAILED
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from argo_lib import demo

    engine = _engine(args)
    result = demo.build_demo_database(
        engine,
        weeks=args.weeks,
        end_week=args.end_week,
        resolution_s=args.resolution,
        seed=args.seed,
    )
    print(demo.describe_demo(result))
    return EXIT_OK


# --------------------------------------------------------------------------------------------
# Parser
# --------------------------------------------------------------------------------------------


def _add_database_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=None,
        help="SQLAlchemy URL of the database (default: DATABASE_URL, else the embedded SQLite)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``argo`` argument parser with every command."""
    parser = argparse.ArgumentParser(
        prog="argo",
        description="Argo energy analytics workbook: ingestion, database, demo and reports.",
    )
    parser.add_argument(
        "--debug", action="store_true", help="log debug messages and show tracebacks"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    db_parser = commands.add_parser(
        "db", help="database utilities", description="Database utilities."
    )
    db_commands = db_parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_commands.add_parser(
        "upgrade",
        help="create the schema or bring it up to date (idempotent)",
        description="Create the workbook schema or bring it up to date; safe to run any time.",
    )
    _add_database_option(upgrade)
    upgrade.set_defaults(handler=_cmd_db_upgrade)
    check = db_commands.add_parser(
        "check",
        help="check the connection and the schema version",
        description="Connect to the database and report server and schema versions.",
    )
    _add_database_option(check)
    check.set_defaults(handler=_cmd_db_check)

    demo = commands.add_parser(
        "demo",
        help="build the demo database from the simulated site",
        description=(
            "Load the simulated Wilson Center (8 channels, labelled faults in the last week) into "
            "the database: WEEKS weeks ending with END_WEEK."
        ),
    )
    _add_database_option(demo)
    demo.add_argument("--weeks", type=int, default=10, help="weeks of data (default 10)")
    demo.add_argument(
        "--end-week",
        default="last",
        help="last week loaded: 'last' (the last complete week), '2026-W47' or a date in it",
    )
    demo.add_argument(
        "--resolution",
        type=int,
        choices=(900, 3600),
        default=900,
        help="interval length [s] (default 900)",
    )
    demo.add_argument("--seed", type=int, default=7, help="simulation seed (default 7)")
    demo.set_defaults(handler=_cmd_demo)

    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``argo`` command and return its exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.debug:
        for noisy in ("urllib3", "matplotlib", "papermill", "traitlets"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    from argo_lib.config import ConfigError
    from argo_lib.db import DatabaseError

    try:
        return int(args.handler(args))
    except CommandError as exc:
        print(f"argo {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except (ConfigError, ValueError) as exc:
        if args.debug:
            raise
        print(f"argo {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except DatabaseError as exc:
        if args.debug:
            raise
        print(f"argo {args.command}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(
            f"argo {args.command}: interrupted; re-run the same command to finish", file=sys.stderr
        )
        return 130


def _format_table(frame: pd.DataFrame) -> str:
    """Plain-text table for terminal reports."""
    return frame.to_string(index=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
