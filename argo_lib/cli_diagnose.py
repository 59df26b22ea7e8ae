"""The ``argo diagnose`` command: is data access working? (environment, Eniscope API, database).

``argo diagnose [--site 23271] [--database-url URL] [--fake | --skip-api] [--json]`` runs the
checks of :func:`argo_lib.diagnose.run_diagnostics` and prints them as a table (check, status,
detail) or, with ``--json``, as a list of ``{"check", "status", "detail"}``. Exit status 0 when
every check is ok, 1 when any is a warning, 2 when any is a failure. No secret is ever printed:
the environment is reported by variable names only.

:func:`add_diagnose_command` adds the command to ``argo``'s command parsers.
"""

from __future__ import annotations

import argparse
import contextlib

__all__ = ["add_diagnose_command"]


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from argo_lib import diagnose
    from argo_lib.config import ConfigError, Settings, get_settings

    try:
        settings = get_settings()
    except ConfigError as exc:  # the message names the variable, never a secret value
        checks = [diagnose.Check("environment", "failure", str(exc).strip().splitlines()[0])]
    else:
        with contextlib.ExitStack() as stack:
            api_settings: Settings | None = None
            if args.fake and not args.skip_api:
                from argo_lib.sim.demo import fake_server  # the simulator, only when asked

                api_settings = stack.enter_context(fake_server())
            checks = diagnose.run_diagnostics(
                settings,
                site=args.site,
                engine_url=args.database_url,
                api_settings=api_settings,
                client_factory=None
                if not args.fake
                else diagnose.default_client_factory(fast=True),
                skip_api=args.skip_api,
            )
    if args.json:
        print(diagnose.format_json(checks))
    else:
        print(diagnose.format_table(checks))
        counts = {s: sum(c.status == s for c in checks) for s in diagnose.STATUSES}
        print(
            f"\n{counts['ok']} ok, {counts['warning']} warning(s), {counts['failure']} "
            f"failure(s): exit status {diagnose.exit_status(checks)}"
        )
    return diagnose.exit_status(checks)


def add_diagnose_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``diagnose`` to the command parsers of ``argo``.

    Parameters
    ----------
    commands : argparse subparsers action
        What ``parser.add_subparsers()`` returned.
    """
    from argo_lib.cli import _add_database_option

    parser = commands.add_parser(
        "diagnose",
        help="check data access: environment, Eniscope API, database (ok/warning/failure)",
        description=(
            "Check that data access works, in order: the environment variables (names only, "
            "never values), the Eniscope API (DNS, TCP, HTTP, authentication, organizations, "
            "the site's channels and the last 24 h of hourly readings per channel) and the "
            "database (connection, schema version, row counts, the latest reading per channel, "
            "the last ingestion runs). Each check is ok, warning or failure with a one-line "
            "detail that says how to fix it. Exit status 0 when all are ok, 1 on any warning, "
            "2 on any failure."
        ),
    )
    _add_database_option(parser)
    parser.add_argument(
        "--site",
        default=None,
        help="site id (23271) or site file name (default: the only site file, if there is one)",
    )
    api = parser.add_mutually_exclusive_group()
    api.add_argument(
        "--fake",
        action="store_true",
        help="check the API checks against a local fake Eniscope server (offline)",
    )
    api.add_argument("--skip-api", action="store_true", help="leave out the Eniscope API checks")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list of {check, status, detail}"
    )
    parser.set_defaults(handler=_cmd_diagnose)
