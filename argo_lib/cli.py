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
from typing import TYPE_CHECKING, Any

from argo_lib import __version__
from argo_lib.errors import EXIT_OK, EXIT_USAGE, UsageError, exit_code

if TYPE_CHECKING:
    import pandas as pd
    from sqlalchemy.engine import Engine

    from argo_lib.ingest import IngestResult

__all__ = ["main"]

logger = logging.getLogger("argo_lib")


def _engine(args: argparse.Namespace) -> Engine:
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
    import json

    from argo_lib import db
    from argo_lib.errors import EXIT_FAILED

    # a check only reads: a missing SQLite file is reported, never created
    engine = db.get_engine(args.database_url, must_exist=True)
    report = db.inspect_database(engine)
    dead: list[int] = []
    if report.schema_version == db.SCHEMA_VERSION and report.tables.get("ingestion_runs"):
        # runs left "running" by a process that died (kill -9, a reboot) are marked as such
        dead = db.reap_abandoned_runs(engine)
    status = {"ok": EXIT_OK, "warning": EXIT_FAILED, "failure": EXIT_USAGE}[report.status]
    if args.json:
        doc = report.to_dict()
        doc["abandoned_runs_marked_failed"] = dead
        doc["exit_status"] = status
        print(json.dumps(doc, indent=2, default=str))
        return status
    print(f"database:        {report.database}")
    print(f"server:          {report.server_version}")
    print(
        f"schema version:  {report.schema_version} "
        f"(this workbook: {report.expected_schema_version})"
    )
    missing = [name for name, there in report.tables.items() if not there]
    if report.schema_version is not None:
        print(
            f"tables:          {len(report.tables) - len(missing)} of {len(report.tables)}"
            + (f" (missing: {', '.join(missing)})" if missing else "")
        )
    if report.row_counts:
        counts = ", ".join(f"{name} {n}" for name, n in report.row_counts.items())
        print(f"rows:            {counts}")
    if report.channels:
        print("channels:")
        for ch in report.channels:
            span = f"{ch['first']} .. {ch['last']}" if ch["readings"] else "no readings"
            print(
                f"  {ch['channel_id']:>10}  {ch['site_id']:<8} {ch['readings']:>9} readings  "
                f"{span}  {ch['name']}"
            )
    if report.tables.get("readings") and report.duplicates is not None:
        print(f"duplicates:      {report.duplicates} ({report.duplicates_note})")
        print(
            f"orphans:         {len(report.orphan_channels)} channels without their site, "
            f"{report.orphan_readings} readings without their channel"
        )
        print(f"off the grid:    {report.off_grid} readings")
        print(f"without data:    {len(report.channels_without_readings)} channels")
    if dead:
        from argo_lib.render.format import plural

        print(
            f"ingestion runs:  {plural(len(dead), 'abandoned run')} marked as failed "
            f"(run id {', '.join(map(str, dead))}): the process had stopped"
        )
    for line in report.failures:
        print(f"failure: {line}", file=sys.stderr)
    for line in report.warnings:
        print(f"warning: {line}", file=sys.stderr)
    print(f"status:          {report.status}")
    return status


def _cmd_db_test_connection(args: argparse.Namespace) -> int:
    from argo_lib import db

    result = db.diagnose_connection(args.database_url, timeout_s=args.timeout)
    if result.ok:
        print(f"ok: {result.message}")
        return EXIT_OK
    print(f"argo db test-connection: {result.problem}: {result.message}", file=sys.stderr)
    return EXIT_USAGE


# --------------------------------------------------------------------------------------------
# demo
# --------------------------------------------------------------------------------------------


def _cmd_demo(args: argparse.Namespace) -> int:
    from argo_lib.sim import demo

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
# brief
# --------------------------------------------------------------------------------------------


def _brief_parameters(args: argparse.Namespace) -> dict:
    """The brief's parameters: the ``--params`` set, then the options that override it."""
    import json

    from argo_lib.jobs.weekly_brief import NOTEBOOK
    from argo_lib.report.notebook import check_parameters, load_parameter_set

    parameters: dict = {}
    if args.params:
        parameters = check_parameters(NOTEBOOK, load_parameter_set(args.params))
    for option, name in (
        ("site", "site_id"),
        ("week", "week"),
        ("baseline_weeks", "baseline_weeks"),
        ("output_dir", "output_dir"),
    ):
        if getattr(args, option) is not None:
            parameters[name] = getattr(args, option)
    overrides = dict(parameters.get("threshold_overrides") or {})
    for item in args.threshold or ():
        name, _, value = item.partition("=")
        if not name or not value:
            raise UsageError(
                f"--threshold takes NAME=VALUE (e.g. after_hours.min_weekly_kwh=20), got {item!r}"
            )
        try:
            overrides[name] = json.loads(value)
        except json.JSONDecodeError:
            overrides[name] = value
    parameters["threshold_overrides"] = overrides
    return parameters


def _cmd_brief(args: argparse.Namespace) -> int:
    from argo_lib import db
    from argo_lib.config import get_settings, load_site
    from argo_lib.jobs import weekly_brief
    from argo_lib.report import email as mail

    if args.all_sites or args.sites is not None:
        return _brief_many_sites(args)
    if args.no_notebook and args.pdf:
        raise UsageError(
            "--pdf prints the notebook's HTML report, which --no-notebook does not render; "
            "leave out one of them"
        )
    settings = get_settings()
    parameters = _brief_parameters(args)
    site_id = parameters.get("site_id", "23271")
    # everything is checked before any work: for --send every mail setting, the output folder,
    # then the site, the week, the database and its schema, and the data
    to = tuple(args.to or ())
    if args.send:
        recipients = weekly_brief.recipients_for(load_site(site_id), to=to, settings=settings)
        mail.check_mail_settings(settings, recipients=recipients)
    if args.pdf:  # a browser to print with is checked before any work too
        from argo_lib.report.pdf import find_chromium

        find_chromium()
    if parameters.get("output_dir"):  # a folder that cannot be written is a setting to fix
        from pathlib import Path

        from argo_lib.report.outputs import check_replaceable

        check_replaceable(Path(parameters["output_dir"]), allowed=weekly_brief.is_brief_file)
    engine = db.get_engine(args.database_url, settings=settings, must_exist=True)
    request = weekly_brief.BriefRequest.resolve(
        site_id=site_id,
        week=parameters.get("week", "last"),
        baseline_weeks=parameters.get("baseline_weeks", 4),
        threshold_overrides=parameters["threshold_overrides"],
        engine=engine,
    )
    if args.no_notebook:
        outputs = weekly_brief.compute_and_publish_brief(
            request,
            engine=engine,
            output_dir=parameters.get("output_dir") or None,
            send=args.send,
            to=to,
            settings=settings,
        )
    else:
        outputs = weekly_brief.run_weekly_brief(
            request,
            database_url=db.url_for_another_process(engine),
            output_dir=parameters.get("output_dir") or None,
            send=args.send,
            to=to,
            pdf=args.pdf,
            paper=args.paper,
            settings=settings,
        )
    summary = outputs.brief["summary"]
    meta = outputs.brief["metadata"]
    print(
        f"{meta['site']['siteName']}, week {meta['period']['label']}: "
        f"{summary['status'].replace('_', ' ')}"
    )
    for line in summary["headline"]:
        print(f"  - {line}")
    print(f"folder:   {outputs.folder}")
    if args.no_notebook:
        print(f"e-mail:   {outputs.eml.name}, JSON: {outputs.json.name} (no notebook, no HTML)")
        if outputs.sent_to:
            print(f"sent to:  {', '.join(outputs.sent_to)}")
        print(f"took {outputs.seconds['total']:.1f} s")
        return EXIT_OK
    print(f"HTML:     {outputs.html.name}, e-mail: {outputs.eml.name}, JSON: {outputs.json.name}")
    if outputs.pdf is not None:
        from argo_lib.report.pdf import paper_for_country

        paper = args.paper or paper_for_country(request.site.country)
        print(f"PDF:      {outputs.pdf.name} ({paper})")
    if outputs.sent_to:
        print(f"sent to:  {', '.join(outputs.sent_to)}")
    seconds = outputs.seconds
    print(
        f"took {seconds['total']:.1f} s (notebook {seconds['notebook']:.1f} s, "
        f"HTML {seconds['html']:.1f} s, "
        + (f"PDF {seconds['pdf']:.1f} s, " if "pdf" in seconds else "")
        + f"e-mail {seconds['email']:.1f} s)"
    )
    return EXIT_OK


def _check_recipients(sites: list[str], *, to: tuple[str, ...], settings: Any) -> None:
    """Before any brief of ``--send``: every site to brief has someone to send it to."""
    from argo_lib.config import ConfigError, load_site
    from argo_lib.jobs.weekly_brief import recipients_for

    nobody = []
    for name in sites:
        try:
            site = load_site(name, params_dir=settings.params_dir)
        except ConfigError:  # the run reports a site file it cannot read, as a failed site
            continue
        if not recipients_for(site, to=to, settings=settings):
            nobody.append(name)
    if nobody:
        raise UsageError(
            f"--send: no recipients for {', '.join(nobody)}: set MAIL_TO, give --to, or add "
            "`recipients` to their site files"
        )


def _brief_many_sites(args: argparse.Namespace) -> int:
    """``argo brief --all-sites | --sites a,b,c``: every site's brief in parallel on Dask."""
    import pandas as pd
    from tqdm import tqdm

    from argo_lib import db
    from argo_lib.config import get_settings
    from argo_lib.errors import EXIT_FAILED
    from argo_lib.jobs import many_sites

    if args.all_sites and args.sites is not None:
        raise UsageError("give --all-sites or --sites a,b,c, not both")
    single = [
        f"--{name.replace('_', '-')}"
        for name in ("site", "params", "output_dir", "pdf")
        if getattr(args, name)
    ]
    if single:
        raise UsageError(
            f"{', '.join(single)}: only for one site's brief (--site); with --all-sites or "
            "--sites each site publishes in outputs/<site>/<ISO week>/"
        )
    if args.to and not args.send:
        raise UsageError("--to names the recipients of --send; add --send or leave it out")
    if not args.debug:
        import distributed  # noqa: F401  (its import sets its loggers' levels: set ours after)

        logging.getLogger("distributed").setLevel(logging.WARNING)
    settings = get_settings()
    to = tuple(args.to or ())
    if args.send:  # the server and sender before any work; each site's recipients below
        from argo_lib.report import email as mail

        mail.check_mail_settings(settings, recipients=to or ("(checked per site)",))
    week = args.week or "last"
    overrides = _brief_parameters(args)["threshold_overrides"]
    engine = db.get_engine(args.database_url, settings=settings, must_exist=True)
    now = pd.Timestamp.now(tz="UTC")
    failed_files: list[many_sites.SiteOutcome] = []
    if args.all_sites:
        sites, failed_files = many_sites.sites_with_data(
            week, engine=engine, params_dir=settings.params_dir, as_of=now
        )
        if not sites and not failed_files:
            raise UsageError(
                f"no site in {settings.params_dir / 'sites'} has readings in week {week!r} in "
                f"{db.describe_database(engine)}; load them with `argo ingest`, or name the "
                "sites with --sites"
            )
    else:
        sites = list(dict.fromkeys(s.strip() for s in args.sites.split(",") if s.strip()))
        if not sites:
            raise UsageError("--sites takes site ids or site file names: --sites 23271,wilson")
    if args.send:
        _check_recipients(sites, to=to, settings=settings)
    options = many_sites.PortfolioOptions(
        week=week,
        database_url=db.url_for_another_process(engine),
        notebook=not args.no_notebook,
        baseline_weeks=args.baseline_weeks if args.baseline_weeks is not None else 4,
        threshold_overrides=overrides,
        params_dir=str(settings.params_dir),
        outputs_dir=str(settings.outputs_dir),
        as_of=now,
    )
    scheduler = many_sites.scheduler_address(args.scheduler)
    where = (
        f"the Dask scheduler at {scheduler}"
        if scheduler
        else f"a local Dask cluster of {args.workers or many_sites.default_workers()} workers"
    )
    path = "kernel-less" if args.no_notebook else "notebook"
    from argo_lib.render.format import plural

    print(
        f"briefing {plural(len(sites), 'site')}, week {week} ({path}), on {where}", file=sys.stderr
    )
    with tqdm(total=len(sites), unit="site", desc="briefs", file=sys.stderr) as bar:

        def done(outcome: many_sites.SiteOutcome) -> None:
            bar.update(1)
            if not outcome.ok:
                bar.write(f"{outcome.site}: failed: {outcome.error}", file=sys.stderr)

        outcomes = many_sites.run_sites(
            sites, options, scheduler=scheduler, workers=args.workers, on_done=done
        )
    outcomes = failed_files + outcomes
    print(many_sites.format_outcomes(outcomes))
    failed = sum(not o.ok for o in outcomes)
    print(f"{len(outcomes) - failed} published, {failed} failed")
    unsent = 0
    if args.send:  # from this process: the workers never see the SMTP settings
        sent = many_sites.send_briefs(
            outcomes, settings=settings, to=to, params_dir=settings.params_dir
        )
        for item in sent:
            if item.error:
                print(f"{item.site_id}: e-mail not sent: {item.error}", file=sys.stderr)
        unsent = sum(bool(item.error) for item in sent)
        print(f"{plural(len(sent) - unsent, 'e-mail')} sent, {unsent} not sent")
    return EXIT_FAILED if failed or unsent else EXIT_OK


# --------------------------------------------------------------------------------------------
# period reports (explore, analysis): shared options, checks and printout
# --------------------------------------------------------------------------------------------


def _period_parameters(
    args: argparse.Namespace, notebook: str, options: Sequence[str], allowed: Any
) -> dict:
    """The notebook parameters of a period report: ``--params``, then the options over it.

    Every check that needs no database runs here, before any work: the parameter set, days
    against dates, Chromium for ``--pdf`` and the output folder.
    """
    from argo_lib.report.notebook import check_parameters, load_parameter_set

    parameters: dict = {}
    if args.params:
        parameters = check_parameters(notebook, load_parameter_set(args.params))
    if args.days is not None and (args.start or args.end):
        raise UsageError("give --days or --start/--end, not both")
    if args.days is not None:
        parameters.update(start="", end="", days=args.days)
    for option in ("site", "start", "end", *options):
        if getattr(args, option) is not None:
            parameters["site_id" if option == "site" else option] = getattr(args, option)
    if args.pdf:  # a browser to print with is checked before any work too
        from argo_lib.report.pdf import find_chromium

        find_chromium()
    if args.output_dir:  # a folder that cannot be written is a setting to fix
        from pathlib import Path

        from argo_lib.report.outputs import check_replaceable

        check_replaceable(Path(args.output_dir), allowed=allowed)
    return parameters


def _print_report_files(outputs: Any, args: argparse.Namespace, country: str | None) -> None:
    """The published folder, its files and the time of each step."""
    print(f"folder:   {outputs.folder}")
    print(f"HTML:     {outputs.html.name}, notebook: {outputs.notebook.name}")
    if outputs.pdf is not None:
        from argo_lib.report.pdf import paper_for_country

        print(f"PDF:      {outputs.pdf.name} ({args.paper or paper_for_country(country)})")
    seconds = outputs.seconds
    print(
        f"took {seconds['total']:.1f} s (notebook {seconds['notebook']:.1f} s, "
        f"HTML {seconds['html']:.1f} s"
        + (f", PDF {seconds['pdf']:.1f} s" if "pdf" in seconds else "")
        + ")"
    )


def _add_period_options(parser: argparse.ArgumentParser, name: str, example: str) -> None:
    """``--params``, ``--site``, ``--days``, ``--start``, ``--end`` of a period report."""
    _add_database_option(parser)
    parser.add_argument(
        "--params",
        metavar="FILE",
        help=f"parameter set (params/{name}/<site>.yaml); the options below override it",
    )
    parser.add_argument("--site", help="site id or params file name (default 23271)")
    parser.add_argument(
        "--days", type=int, help="the whole site-local days before today (default 28)"
    )
    parser.add_argument("--start", metavar="DATE", help=f"first site-local day, e.g. {example}")
    parser.add_argument("--end", metavar="DATE", help="last site-local day (inclusive)")


def _add_output_options(parser: argparse.ArgumentParser, folder: str, pdf: str) -> None:
    """``--output-dir``, ``--pdf`` and ``--paper`` of a report."""
    parser.add_argument(
        "--output-dir",
        help=f"folder to publish the run in, replaced whole (default {folder})",
    )
    parser.add_argument(
        "--pdf",
        action="store_true",
        help=f"also print the HTML report to {pdf} with headless Chromium",
    )
    parser.add_argument(
        "--paper",
        choices=("A4", "Letter"),
        help="the PDF's paper (default Letter for a site in North America, else A4)",
    )


# --------------------------------------------------------------------------------------------
# explore
# --------------------------------------------------------------------------------------------


def _cmd_explore(args: argparse.Namespace) -> int:
    from argo_lib import db
    from argo_lib.config import get_settings
    from argo_lib.jobs import explore

    settings = get_settings()
    parameters = _period_parameters(args, explore.NOTEBOOK, (), explore.is_explore_file)
    if args.channels is not None:
        parameters["channels"] = _channel_list(" ".join(args.channels))
    engine = db.get_engine(args.database_url, settings=settings, must_exist=True)
    request = explore.ExploreRequest.resolve(
        site_id=parameters.get("site_id", "23271"),
        start=parameters.get("start", ""),
        end=parameters.get("end", ""),
        days=parameters.get("days", 28),
        channels=parameters.get("channels", ()),
        engine=engine,
    )
    outputs = explore.run_explore(
        request,
        database_url=db.url_for_another_process(engine),
        output_dir=args.output_dir or None,
        pdf=args.pdf,
        paper=args.paper,
        settings=settings,
    )
    print(f"{request.site.name}, {request.label.replace('_', ' to ')}:")
    for line in outputs.summary["next_steps"]:
        print(f"  - {line}")
    _print_report_files(outputs, args, request.site.country)
    return EXIT_OK


def _channel_list(text: str) -> list[int]:
    try:
        return [int(item) for item in text.replace(",", " ").split()]
    except ValueError:
        raise UsageError(
            f"--channels takes channel ids, e.g. --channels 162119 162120; got {text!r}"
        ) from None


def _add_explore_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    explore = commands.add_parser(
        "explore",
        help="a first look at a site's channels: notebook, HTML (and PDF)",
        description=(
            "Run notebooks/explore.ipynb for a site and period with papermill and render its "
            "HTML: channel inventory, coverage per day, daily energy, weekday and weekend "
            "profiles, gaps and sensor issues, correlations and what to look at next. The folder "
            "outputs/<site>/explore/<first day>_<last day>/ is replaced whole when every file "
            "is written; --pdf also prints the HTML to explore.pdf. The database is "
            "--database-url, else DATABASE_URL, else the embedded SQLite file."
        ),
    )
    _add_period_options(explore, "explore", "2026-10-26")
    explore.add_argument(
        "--channels",
        nargs="+",
        metavar="ID",
        help="only these channel ids (default every channel)",
    )
    _add_output_options(explore, "outputs/<site>/explore/<first day>_<last day>/", "explore.pdf")
    explore.set_defaults(handler=_cmd_explore)


# --------------------------------------------------------------------------------------------
# unit-health
# --------------------------------------------------------------------------------------------


def _cmd_unit_health(args: argparse.Namespace) -> int:
    from argo_lib import db
    from argo_lib.config import get_settings
    from argo_lib.jobs import unit_health

    settings = get_settings()
    parameters = _period_parameters(args, unit_health.NOTEBOOK, (), unit_health.is_unit_health_file)
    engine = db.get_engine(args.database_url, settings=settings, must_exist=True)
    request = unit_health.UnitHealthRequest.resolve(
        site_id=parameters.get("site_id", "23271"),
        start=parameters.get("start", ""),
        end=parameters.get("end", ""),
        days=parameters.get("days", 28),
        engine=engine,
    )
    outputs = unit_health.run_unit_health(
        request,
        database_url=db.url_for_another_process(engine),
        output_dir=args.output_dir or None,
        pdf=args.pdf,
        paper=args.paper,
        settings=settings,
    )
    summary = outputs.summary
    counts = ", ".join(f"{n} {rating}" for rating, n in summary["ratings"].items())
    print(f"{request.site.name}, {request.label.replace('_', ' to ')}: {counts}")
    for channel in summary["channels"]:
        if channel["rating"] != "green":
            print(f"  {channel['rating']:5}  {channel['channel_name']}: {channel['reasons']}")
    _print_report_files(outputs, args, request.site.country)
    return EXIT_OK


def _add_unit_health_command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    parser = commands.add_parser(
        "unit-health",
        help="each meter's data health with a traffic-light rating: notebook, HTML (and PDF)",
        description=(
            "Run notebooks/unit_health.ipynb for a site and period: per channel coverage, gaps, "
            "outages (zero-filled ones too), catch-up readings, stuck values, ranges, "
            "energy/power consistency, staleness and a green/amber/red rating with its reasons. "
            "The folder outputs/<site>/unit_health/<first day>_<last day>/ is replaced whole "
            "when every file is written."
        ),
    )
    _add_period_options(parser, "unit_health", "2026-10-26")
    _add_output_options(
        parser, "outputs/<site>/unit_health/<first day>_<last day>/", "unit_health.pdf"
    )
    parser.set_defaults(handler=_cmd_unit_health)


# --------------------------------------------------------------------------------------------
# analysis
# --------------------------------------------------------------------------------------------


def _cmd_analysis(args: argparse.Namespace) -> int:
    from argo_lib import db
    from argo_lib.config import get_settings
    from argo_lib.jobs import analysis
    from argo_lib.render import format as fmt

    settings = get_settings()
    options = ("baseline_start", "baseline_end", "change_date")
    parameters = _period_parameters(args, analysis.NOTEBOOK, options, analysis.is_analysis_file)
    engine = db.get_engine(args.database_url, settings=settings, must_exist=True)
    request = analysis.AnalysisRequest.resolve(
        site_id=parameters.get("site_id", "23271"),
        start=parameters.get("start", ""),
        end=parameters.get("end", ""),
        days=parameters.get("days", 28),
        baseline_start=parameters.get("baseline_start", ""),
        baseline_end=parameters.get("baseline_end", ""),
        change_date=parameters.get("change_date", ""),
        engine=engine,
    )
    outputs = analysis.run_analysis(
        request,
        database_url=db.url_for_another_process(engine),
        output_dir=args.output_dir or None,
        pdf=args.pdf,
        paper=args.paper,
        settings=settings,
    )
    facility = outputs.summary["facility"]
    print(
        f"{request.site.name}, {request.label.replace('_', ' to ')}: "
        f"{fmt.number(facility['energy_kwh'], 0)} kWh, "
        f"{fmt.money(facility['total_cost'], facility['currency'], digits=0)}"
    )
    for item in outputs.summary["findings"][:5]:
        print(f"  {item['rank']}. {item['text']}")
    _print_report_files(outputs, args, request.site.country)
    return EXIT_OK


def _add_analysis_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "analysis",
        help="the site deep-dive: notebook, HTML (and PDF)",
        description=(
            "Run notebooks/wilson_center_analysis.ipynb for a site and period with papermill and "
            "render its HTML: facility summary (energy, cost, demand, carbon, load factor), "
            "channels, daily load shape and its trend, date x hour heat map, weekday and weekend "
            "profiles, day of week, month over month, the change against a weather-normalised "
            "baseline (ASHRAE Guideline 14, with its uncertainty) and ranked findings. The folder "
            "outputs/<site>/analysis/<first day>_<last day>/ is replaced whole when every file "
            "is written; --pdf also prints the HTML. The database is --database-url, else "
            "DATABASE_URL, else the embedded SQLite file."
        ),
    )
    _add_period_options(parser, "wilson_center_analysis", "2026-10-01")
    parser.add_argument(
        "--baseline-start",
        metavar="DATE",
        help="first day of the comparison baseline, before the period (default automatic: "
        "the same dates a year earlier, else the weeks before)",
    )
    parser.add_argument(
        "--baseline-end", metavar="DATE", help="last day of that baseline (inclusive)"
    )
    parser.add_argument(
        "--change-date",
        metavar="DATE",
        help="a day inside the period (e.g. a retrofit): compare the days from it with the "
        "days before it",
    )
    _add_output_options(
        parser,
        "outputs/<site>/analysis/<first day>_<last day>/",
        "wilson_center_analysis.pdf",
    )
    parser.set_defaults(handler=_cmd_analysis)


# --------------------------------------------------------------------------------------------
# ingest, import-csv, fake-eniscope
# --------------------------------------------------------------------------------------------


def _cmd_ingest(args: argparse.Namespace) -> int:
    from argo_lib import ingest
    from argo_lib.jobs.ingest import IngestRun, run_ingest

    run = IngestRun.from_parameters(
        site=args.site,
        source="fake" if args.fake else "eniscope",
        days=args.days if args.days is not None else ingest.DEFAULT_DAYS,
        start=args.start or "",
        end=args.end or "",
        resolution_s=args.resolution or 0,
        channels=args.channels or "",
        profile=args.profile or "",
        overlap_h=args.overlap_hours,
        full=args.full,
        database_url=args.database_url or "",
        as_of=args.as_of or "",
    )
    result = run_ingest(run, progress=args.progress)
    print(result.summary())
    return _exit_status(args, result)


def _exit_status(args: argparse.Namespace, result: IngestResult) -> int:
    """An ingestion's exit status; with ``--strict`` rejected values make it 1 (said on stderr)."""
    from argo_lib.render.format import plural

    code = result.exit_status(strict=args.strict)
    if code and not result.exit_code:
        print(
            f"argo {args.command}: --strict: {plural(result.rows_rejected, 'value')} rejected, "
            "exit status 1 (everything valid was written; see the warning above)",
            file=sys.stderr,
        )
    return code


def _cmd_import_csv(args: argparse.Namespace) -> int:
    from argo_lib import db, ingest

    engine = _engine(args)
    db.upgrade(engine)
    result = ingest.import_csv(
        engine,
        args.file,
        site=args.site,
        tz=args.tz,
        resolution_s=args.resolution,
        label=args.label,
    )
    print(result.summary())
    if len(result.rejected):
        shown = result.rejected.head(10)
        print(f"\nrejected values (first {len(shown)} of {len(result.rejected)}):")
        print(_format_table(shown))
    return _exit_status(args, result)


def _cmd_import_weather(args: argparse.Namespace) -> int:
    from argo_lib import db, ingest

    engine = _engine(args)
    db.upgrade(engine)
    written = ingest.import_weather_csv(engine, args.file, site=args.site, tz=args.tz)
    print(
        f"{written} temperature readings written for site {args.site} ({db.describe_database(engine)})"
    )
    return EXIT_OK


def _cmd_fake_eniscope(args: argparse.Namespace) -> int:
    from argo_lib.sim import fake_eniscope

    argv = ["--port", str(args.port), "--seed", str(args.seed), "--lag-hours", str(args.lag_hours)]
    argv += ["--delay", str(args.delay), "--error-rate", str(args.error_rate)]
    if args.now:
        argv += ["--now", args.now]
    if args.tariff is not None:
        argv += ["--tariff", str(args.tariff)]
    return fake_eniscope.main(argv)


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


def _add_csv_options(parser: argparse.ArgumentParser) -> None:
    """The options every CSV import takes: database, file, site and the file's time zone."""
    _add_database_option(parser)
    parser.add_argument("file", help="the CSV file")
    parser.add_argument("--site", required=True, help="site id (23271) or site file name")
    parser.add_argument(
        "--tz",
        help="time zone of timestamps without offset, e.g. America/New_York (default: the "
        "site's time zone)",
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
    parser.add_argument("--version", action="version", version=f"argo {__version__}")
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
        help="check the connection, the schema and the data's consistency",
        description="Connect to the database and report server and schema versions, tables, "
        "row counts, each channel's readings and time range, duplicates, orphans, readings "
        "off the resolution grid and channels without readings; exit 0 when all is well, 1 "
        "on warnings, 2 on failures (schema missing or old, tables missing).",
    )
    _add_database_option(check)
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(handler=_cmd_db_check)
    test_connection = db_commands.add_parser(
        "test-connection",
        help="try to connect and say what is wrong and how to fix it",
        description="Connect to the database and diagnose a failure in one line (unknown "
        "host, closed port, wrong password, missing database, SSL required, timeout, missing "
        "or foreign SQLite file); exit 0 when connected, 2 otherwise. The password is masked.",
    )
    _add_database_option(test_connection)
    test_connection.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="longest wait for the server to answer (default 10; libpq waits at least 2)",
    )
    test_connection.set_defaults(handler=_cmd_db_test_connection)
    from argo_lib.cli_legacy import add_legacy_commands

    add_legacy_commands(db_commands)

    demo = commands.add_parser(
        "demo",
        help="build the demo database from the simulated site",
        description=(
            "Load the simulated Wilson Center (8 channels, labelled faults in the last week) into "
            "the database: WEEKS weeks ending with END_WEEK. Refuses a database that holds data "
            "of site 23271 the demo did not write (an ingestion, a CSV import): use a database of "
            "its own, e.g. --database-url sqlite:///data/demo.sqlite. Re-running it over its own "
            "data is safe."
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

    brief = commands.add_parser(
        "brief",
        help="run the weekly exceptions brief: notebook, HTML, e-mail file, PDF (and send it)",
        description=(
            "Run notebooks/weekly_brief.ipynb for a site and week with papermill, render its HTML "
            "and write the e-mail; the folder outputs/<site>/<ISO week>/ is replaced whole when "
            "every file is written. --send also sends it (SMTP settings and MAIL_FROM/MAIL_TO "
            "from the environment or .env, checked before any work). The database is "
            "--database-url, else DATABASE_URL, else the embedded SQLite file."
        ),
    )
    _add_database_option(brief)
    brief.add_argument(
        "--params",
        metavar="FILE",
        help="parameter set (params/weekly_brief/<site>.yaml); the options below override it",
    )
    brief.add_argument("--site", help="site id or params file name (default 23271)")
    brief.add_argument(
        "--all-sites",
        action="store_true",
        help="brief every site of params/sites/ that has readings in the week, in parallel",
    )
    brief.add_argument(
        "--sites",
        metavar="A,B,C",
        help="brief these sites (ids or params file names, comma-separated), in parallel",
    )
    brief.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=(
            "with --all-sites/--sites: an existing Dask scheduler, e.g. tcp://host:8786 "
            "(default DASK_SCHEDULER_ADDRESS, else a local cluster of this machine)"
        ),
    )
    brief.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="with --all-sites/--sites: worker processes of the local cluster (default: cores)",
    )
    brief.add_argument(
        "--no-notebook",
        action="store_true",
        help="compute and publish the JSON, charts and e-mail without the notebook (no HTML)",
    )
    brief.add_argument(
        "--week", help="'last' (default), an ISO week such as 2026-W47, or a date in the week"
    )
    brief.add_argument(
        "--baseline-weeks", type=int, help="baseline weeks before the report week (default 4)"
    )
    brief.add_argument(
        "--output-dir",
        help="folder to publish the run in, replaced whole (default outputs/<site>/<ISO week>/)",
    )
    brief.add_argument(
        "--threshold",
        action="append",
        metavar="NAME=VALUE",
        help="override an analytics threshold, e.g. after_hours.min_weekly_kwh=20 (repeatable)",
    )
    brief.add_argument(
        "--pdf",
        action="store_true",
        help="also print the HTML report to weekly_brief.pdf with headless Chromium",
    )
    brief.add_argument(
        "--paper",
        choices=("A4", "Letter"),
        help="the PDF's paper (default Letter for a site in North America, else A4)",
    )
    brief.add_argument("--send", action="store_true", help="send the e-mail through SMTP")
    brief.add_argument(
        "--to", action="append", metavar="ADDRESS", help="recipient (repeatable; default MAIL_TO)"
    )
    brief.set_defaults(handler=_cmd_brief)

    _add_ingest_commands(commands)
    _add_explore_command(commands)
    _add_analysis_command(commands)
    _add_unit_health_command(commands)
    from argo_lib.cli_diagnose import add_diagnose_command

    add_diagnose_command(commands)
    from argo_lib.cli_export import add_export_commands

    add_export_commands(commands)
    from argo_lib.cli_portfolio import add_portfolio_command

    add_portfolio_command(commands)

    return parser


def _add_strict_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--strict",
        action="store_true",
        help="exit 1 when any value was rejected (everything valid is written all the same)",
    )


def _add_ingest_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``ingest``, ``import-csv`` and ``fake-eniscope`` to the command parsers."""
    ingest = commands.add_parser(
        "ingest",
        help="sync a site's channels from the Eniscope API into the database",
        description=(
            "Sync a site from the Eniscope API (credentials from ENISCOPE_* in the environment or "
            ".env): metadata first, then each energy channel from its last stored reading minus "
            "an overlap, validated, logged as an ingestion run. Exit status 1 when any channel "
            "failed (re-run the same command to retry) or another ingest of the site is running; "
            "rejected values are reported on a 'warning:' line (exit 0 unless --strict)."
        ),
    )
    _add_database_option(ingest)
    ingest.add_argument("--site", required=True, help="site id (23271) or site file name")
    period = ingest.add_mutually_exclusive_group()
    period.add_argument(
        "--days", type=int, default=None, help="days back from today, site-local (default 90)"
    )
    period.add_argument("--start", help="first site-local date, e.g. 2025-11-01")
    ingest.add_argument("--end", help="site-local date to stop before (default: now)")
    ingest.add_argument(
        "--channels", help="comma-separated channel ids (default: the site file's channels)"
    )
    ingest.add_argument(
        "--resolution",
        type=int,
        choices=(900, 3600),
        default=None,
        help="interval [s] (default: each channel's stored one, else the site's default)",
    )
    ingest.add_argument(
        "--profile",
        choices=("polite", "fast"),
        default=None,
        help="request pacing: polite (1 request/s, one day per request; the default for the API) "
        "or fast (4 at once, 31-day windows; the default with --fake)",
    )
    ingest.add_argument(
        "--overlap-hours",
        type=float,
        default=48.0,
        help="re-fetch this much before each channel's last reading [h] (default 48)",
    )
    ingest.add_argument(
        "--full", action="store_true", help="re-fetch the whole period, ignoring stored data"
    )
    ingest.add_argument(
        "--fake", action="store_true", help="sync from a local fake Eniscope server (offline demo)"
    )
    ingest.add_argument("--as-of", help="with --fake: the fake server's 'now', ISO with offset")
    ingest.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar on stderr (default: when stderr is a terminal)",
    )
    _add_strict_option(ingest)
    ingest.set_defaults(handler=_cmd_ingest)

    import_csv = commands.add_parser(
        "import-csv",
        help="import readings from a CSV file (long or wide table)",
        description=(
            "Import readings from a CSV file. Long table: timestamp, channel_id, channel_name, "
            "power_kw, energy_kwh and other columns named as in the glossary. Wide table: "
            "timestamp plus one column per channel with the unit in the header, e.g. "
            "'162285 Kitchen [kW]' or 'RTU-1 (kWh)' (kW, W, kWh, Wh). Timestamps keep their UTC "
            "offsets; those without one are in the site's time zone unless --tz says otherwise. Cells "
            "that are empty or read nan, NA, #N/A or NULL are missing readings. Errors name the "
            "line and column."
        ),
    )
    _add_csv_options(import_csv)
    import_csv.add_argument(
        "--resolution", type=int, default=None, help="interval [s] (default: inferred)"
    )
    import_csv.add_argument(
        "--label",
        choices=("start", "end"),
        default="start",
        help="timestamps label interval starts (default) or ends",
    )
    _add_strict_option(import_csv)
    import_csv.set_defaults(handler=_cmd_import_csv)

    weather = commands.add_parser(
        "import-weather",
        help="import outdoor air temperature from a CSV file (temperature-aware baseline)",
        description=(
            "Import a site's outdoor air temperature: columns timestamp and temperature_c [°C] "
            "(or temperature_f [°F]). The weekly brief's time-of-week-and-temperature baseline "
            "uses it where it covers the baseline and report weeks; without it the brief uses "
            "time-of-week profiles. Errors name the line and column; re-importing is safe."
        ),
    )
    _add_csv_options(weather)
    weather.set_defaults(handler=_cmd_import_weather)

    fake = commands.add_parser(
        "fake-eniscope",
        help="serve a fake Eniscope API on loopback (demos, offline work)",
        description=(
            "Serve the fake Eniscope Core API with the simulated Wilson Center on 127.0.0.1 until "
            "Ctrl+C; prints the ENISCOPE_* settings (public test values) that point a client at it."
        ),
    )
    fake.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    fake.add_argument("--seed", type=int, default=7, help="simulator seed (default 7, the demo's)")
    fake.add_argument("--now", help="frozen 'now', ISO with offset (default: the real time)")
    fake.add_argument("--lag-hours", type=float, default=1.0, help="data lag behind now [h]")
    fake.add_argument("--delay", type=float, default=0.0, help="delay per response [s]")
    fake.add_argument("--error-rate", type=float, default=0.0, help="share of HTTP 500s [-]")
    fake.add_argument("--tariff", type=float, default=None, help="attach a tariff [USD/kWh]")
    fake.set_defaults(handler=_cmd_fake_eniscope)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``argo`` command and return its exit status.

    Errors end the command here, in one place: an :class:`~argo_lib.errors.ArgoError` with its
    own status (2 for bad input or configuration, 1 for failed work worth re-running), any other
    exception by :func:`argo_lib.errors.exit_code`; the message is one line on stderr, the
    traceback only with ``--debug``.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.debug:
        for noisy in ("urllib3", "matplotlib", "papermill", "traitlets"):
            logging.getLogger(noisy).setLevel(logging.WARNING)
    from argo_lib.errors import ArgoError

    try:
        return int(args.handler(args))
    except KeyboardInterrupt:
        print(
            f"argo {args.command}: interrupted; re-run the same command to finish", file=sys.stderr
        )
        return 130
    except Exception as exc:
        if args.debug:
            raise
        status = exit_code(exc)
        if isinstance(exc, ArgoError):
            message = str(exc)
        else:
            message = (
                f"unexpected error: {type(exc).__name__}: {exc} (run with --debug for the "
                "traceback and report it)"
            )
        print(f"argo {args.command}: {message}", file=sys.stderr)
        return status


def _format_table(frame: pd.DataFrame) -> str:
    """Plain-text table for terminal reports."""
    return frame.to_string(index=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
