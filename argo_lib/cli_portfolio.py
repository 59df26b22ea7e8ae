"""``argo portfolio``: the portfolio overview of one week, from the sites' published briefs.

It runs ``notebooks/portfolio.ipynb`` (:func:`argo_lib.jobs.portfolio.run_portfolio`): no kernel
per site and no database, only each site's published ``weekly_brief.json`` of the week (and of
the weeks before, for recurring findings). Exit status 0 when the overview was published (and
sent), 2 on bad input (an unknown site, a bad week, missing mail settings: the message says what
to change), 1 when the work failed part-way (sending failed: re-run the same command).
:func:`argo_lib.cli.build_parser` adds the command with :func:`add_portfolio_command`.
"""

from __future__ import annotations

import argparse

from argo_lib.errors import EXIT_OK, UsageError

__all__ = ["add_portfolio_command"]


def _cmd_portfolio(args: argparse.Namespace) -> int:
    from argo_lib.config import get_settings
    from argo_lib.jobs import portfolio
    from argo_lib.render import format as fmt

    settings = get_settings()
    if args.sites is not None and not args.sites.strip():
        raise UsageError("--sites needs site ids or site file names, e.g. --sites 23271,depot")
    to = tuple(args.to or ())
    if args.email:  # every missing mail setting is told before any work
        from argo_lib.report import email as mail

        mail.check_mail_settings(settings, recipients=to or tuple(settings.mail_to))
    request = portfolio.PortfolioRequest.resolve(
        week=args.week, sites=None if args.all_sites else args.sites, settings=settings
    )
    outputs = portfolio.run_portfolio(
        request,
        output_dir=args.output_dir or None,
        send=args.email,
        to=to,
        attach=not args.no_attach,
        link_base=args.link_base,
        pdf=args.pdf,
        paper=args.paper,
        settings=settings,
    )
    doc = outputs.summary
    counts = ", ".join(
        f"{n} {portfolio.STATUS_LABELS[s].lower()}" for s, n in doc["status_counts"].items() if n
    )
    print(f"Portfolio {doc['week']}: {fmt.plural(len(doc['sites']), 'site')} ({counts})")
    for site in doc["sites"]:
        status = portfolio.STATUS_LABELS[site["status"]]
        if site["status"] == "no_brief":
            print(f"  -  {site['site_name']} ({site['site_id']}): {status}: {site['note']}")
            continue
        money = fmt.money(site["savings_cost"], site["currency"])
        weeks = site["recurring_weeks"] or 1
        again = f", {weeks} weeks in a row" if weeks > 1 else ""
        print(
            f"  {site['savings_rank']:>2}. {site['site_name']} ({site['site_id']}): {status}; "
            f"{money}/week potential; {fmt.plural(site['issues'] or 0, 'data issue')}"
            + (f"; top: {site['top_finding']}{again}" if site["top_finding"] else "")
        )
    print(f"folder:   {outputs.folder}")
    print(
        f"HTML:     {outputs.html.name}, notebook: {outputs.notebook.name}, e-mail: {outputs.eml.name}"
    )
    if outputs.pdf is not None:
        print(f"PDF:      {outputs.pdf.name}")
    if outputs.sent_to:
        print(f"sent to:  {', '.join(outputs.sent_to)}")
    print(f"took {outputs.seconds['total']:.1f} s")
    return EXIT_OK


def add_portfolio_command(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``portfolio`` to the command parsers of ``argo``.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        The subparsers of the ``argo`` parser (``dest="command"``).
    """
    parser = commands.add_parser(
        "portfolio",
        help="the portfolio overview of a week from the sites' published briefs (and e-mail it)",
        description=(
            "Run notebooks/portfolio.ipynb for a week: every site's published weekly brief "
            "(outputs/<site>/<ISO week>/weekly_brief.json, as argo brief writes it) side by "
            "side: sites ranked by potential savings and by data problems, status counts, "
            "coverage and data quality, consumption and cost against the baseline, and for how "
            "many weeks in a row each site's top finding has been reported. A site without a "
            "brief is listed as 'No brief'. The folder outputs/portfolio/<ISO week>/ (notebook, "
            "HTML, portfolio.json, charts and the e-mail portfolio.eml, with each site's "
            "weekly_brief.html attached) is replaced whole when every file is written; --email "
            "also sends it (SMTP settings and MAIL_FROM/MAIL_TO, checked before any work)."
        ),
    )
    parser.add_argument(
        "--week", default="last", help="'last' (default), an ISO week such as 2026-W47, or a date"
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument(
        "--sites", metavar="A,B", help="site ids or site file names, comma-separated"
    )
    which.add_argument(
        "--all-sites", action="store_true", help="every site of params/sites (the default)"
    )
    parser.add_argument(
        "--output-dir",
        help="folder to publish the run in, replaced whole (default outputs/portfolio/<ISO week>/)",
    )
    parser.add_argument(
        "--email", action="store_true", help="send the e-mail through SMTP after publishing"
    )
    parser.add_argument(
        "--to", action="append", metavar="ADDRESS", help="recipient (repeatable; default MAIL_TO)"
    )
    parser.add_argument(
        "--link-base",
        metavar="URL",
        help="URL where the outputs folder is served: each site links to its weekly_brief.html",
    )
    parser.add_argument(
        "--no-attach",
        action="store_true",
        help="do not attach the sites' weekly_brief.html to the e-mail (link them instead)",
    )
    parser.add_argument(
        "--pdf", action="store_true", help="also print the HTML report to portfolio.pdf"
    )
    parser.add_argument(
        "--paper",
        choices=("A4", "Letter"),
        help="the PDF's paper (default Letter for a site in North America, else A4)",
    )
    parser.set_defaults(handler=_cmd_portfolio)
