"""The portfolio overview of one week, run once: resolve, read the published briefs, publish.

The same shape as the other reports (:mod:`argo_lib.jobs.unit_health`), for a portfolio
manager instead of a site:

1. :meth:`PortfolioRequest.resolve` checks and resolves the parameters (the week, the sites,
   the output folder) before any work; bad input is a :class:`~argo_lib.errors.UsageError`
   naming what to change.
2. :func:`compute_portfolio` reads each site's published weekly brief of the week
   (``outputs/<site>/<ISO week>/weekly_brief.json``, written by ``argo brief`` or the many-site
   runner) and those of the weeks before, puts them side by side
   (:func:`argo_lib.analytics.portfolio.summarize_portfolio`) and draws the charts. No kernel
   runs per site and no reading is analysed again; a site without a brief is listed as "no
   brief".
3. :func:`publish_portfolio` writes ``portfolio.json`` and the charts, together, into the
   request's output folder, or nowhere when it has none.
4. :func:`run_portfolio` is the operators' run path (``argo portfolio``): it runs
   ``notebooks/portfolio.ipynb``, renders its HTML (and, when asked, its PDF) and writes the
   portfolio manager's e-mail (the overview as HTML and plain text, each site's
   ``weekly_brief.html`` attached and/or linked) into a staging folder that replaces
   ``outputs/portfolio/<ISO week>/`` only when every file is written; then it sends the e-mail
   if asked.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import json
import logging
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from argo_lib import dates
from argo_lib.analytics.portfolio import (
    NO_BRIEF,
    PORTFOLIO_STATUSES,
    PortfolioOverview,
    SiteWeek,
    summarize_portfolio,
)
from argo_lib.config import (
    PROJECT_ROOT,
    Settings,
    SiteSettings,
    get_settings,
    list_sites,
    load_site,
)
from argo_lib.errors import UsageError
from argo_lib.jobs._common import (
    ChartSet,
    SummaryOutputs,
    check_pdf,
    notebook_report,
    output_folder,
    publish_files,
    send_if_asked,
    write_pdf,
)
from argo_lib.jobs.weekly_brief import HISTORY_WEEKS, read_history
from argo_lib.jobs.weekly_brief import default_output_dir as brief_folder
from argo_lib.render import format as fmt
from argo_lib.render import theme, views
from argo_lib.report import outputs

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = [
    "ARTEFACTS",
    "CHARTS",
    "EMAIL_CHARTS",
    "MAX_ATTACHMENTS_BYTES",
    "NOTEBOOK",
    "PDF",
    "PortfolioCharts",
    "PortfolioOutputs",
    "PortfolioRequest",
    "PortfolioResult",
    "build_portfolio_email",
    "compute_portfolio",
    "consumption_table",
    "data_problems_table",
    "default_output_dir",
    "is_portfolio_file",
    "portfolio_subject",
    "publish_portfolio",
    "read_site_week",
    "recurrence_table",
    "render_portfolio_email",
    "run_portfolio",
    "savings_table",
    "status_overview",
    "summarize_portfolio_result",
]

logger = logging.getLogger(__name__)

NOTEBOOK = "portfolio"
"""The notebook, ``notebooks/portfolio.ipynb``."""
CHARTS = ("savings", "consumption", "savings_compact")
"""The charts; each is written as ``<name>.png``."""
EMAIL_CHARTS = ("savings_compact",)
"""Charts shown inline in the e-mail (CID images): narrower, so a phone shows readable text."""
EMAIL_CHART_WIDTH_IN = 4.2
"""Width of the e-mail's chart [in]: 420 px on a desk, and text still readable on a phone."""
ARTEFACTS = (
    "portfolio.json",
    "portfolio.ipynb",
    "portfolio.html",
    "portfolio.eml",
    *(f"{name}.png" for name in CHARTS),
)
"""Every file of a complete run."""
PDF = "portfolio.pdf"
"""The HTML report printed on paper, written when asked."""
MAX_ATTACHMENTS_BYTES = 20 * 1024 * 1024
"""Most bytes of site reports attached to the e-mail; reports past it are linked or named."""
NO_BRIEF_LABEL = "No brief"
"""How the status of a site without a brief for the week is said."""
STATUS_LABELS = {**theme.STATUS_LABELS, NO_BRIEF: NO_BRIEF_LABEL}
"""How each status of the overview is said (the brief's words, and "No brief")."""
STATUS_COLORS = {**theme.STATUS_COLORS, NO_BRIEF: "#98a2b3"}
"""Colour of each status of the overview (the brief's colours, grey for "No brief")."""


def is_portfolio_file(name: str) -> bool:
    """Whether a file name is one a portfolio run writes."""
    return name in ARTEFACTS or name in (PDF, "portfolio.failed.ipynb")


def default_output_dir(week: str, *, settings: Settings) -> Path:
    """``outputs/portfolio/<ISO week>/``."""
    return Path(settings.outputs_dir) / "portfolio" / week


# --------------------------------------------------------------------------------------------
# 1. Resolve


def _site_list(sites: str | Sequence[str] | None) -> list[str]:
    if sites is None:
        return []
    items = sites.split(",") if isinstance(sites, str) else [str(s) for s in sites]
    return [item.strip() for item in items if str(item).strip()]


@dataclass(frozen=True)
class PortfolioRequest:
    """One resolved portfolio run: the week, the sites and where their briefs are.

    Attributes
    ----------
    week : str
        The ISO week, e.g. ``"2026-W47"``.
    sites : tuple of SiteSettings
        The sites, in the order asked (every site file's, by file name, when none was named).
    periods : dict
        Site id → the week in that site's time zone (Monday 00:00 to Monday 00:00).
    briefs_dir : pathlib.Path
        The folder holding the sites' published ``<site>/<ISO week>/`` folders.
    all_sites : bool
        Whether the sites are every site file's.
    output_dir : pathlib.Path or None
        Where :func:`publish_portfolio` writes; None: nowhere.
    """

    week: str
    sites: tuple[SiteSettings, ...]
    periods: dict[str, dates.Period]
    briefs_dir: Path
    all_sites: bool = True
    output_dir: Path | None = None

    @classmethod
    def resolve(
        cls,
        *,
        week: str = "last",
        sites: str | Sequence[str] | None = None,
        output_dir: str | Path | None = None,
        as_of: Any = None,
        settings: Settings | None = None,
    ) -> PortfolioRequest:
        """Check the parameters and resolve the run.

        Parameters
        ----------
        week : str
            ``"last"`` (the last week that has ended in every site's time zone), an ISO week
            (``"2026-W47"``) or a date in the week.
        sites : str or sequence of str, optional
            Site ids or site file names (``"23271,depot"`` or a list); empty: every site file
            of ``params/sites``.
        output_dir : str or pathlib.Path, optional
            Folder :func:`publish_portfolio` writes into; ``""`` or None: nothing is written.
        as_of : datetime-like, optional
            "Now", for ``"last"`` and the check that the week has ended (default now).
        settings : Settings, optional
            ``params_dir`` (the site files) and ``outputs_dir`` (the published briefs); default
            :func:`argo_lib.config.get_settings`.

        Raises
        ------
        argo_lib.errors.UsageError
            An unknown site (or an invalid site file), a site named twice, no site at all, a
            bad week, a week that has not ended, or an output folder that holds other files.
        """
        settings = settings or get_settings()
        names = _site_list(sites)
        if names:
            found = [load_site(name, params_dir=settings.params_dir) for name in names]
        else:
            found = list_sites(params_dir=settings.params_dir)
        if not found:
            raise UsageError(
                f"no sites: {settings.params_dir / 'sites'} holds no site file; add "
                "params/sites/<name>.yaml or name the sites with --sites"
            )
        ids = [s.site_id for s in found]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise UsageError(f"site(s) {', '.join(twice)} named more than once; name each once")
        now = (
            pd.Timestamp.now(tz="UTC") if as_of is None else dates.ensure_aware(as_of, name="as_of")
        )
        try:
            labels = {dates.report_week(week, tz=s.timezone, as_of=now).label for s in found}
        except ValueError as exc:
            raise UsageError(f"week: {exc.args[0] if exc.args else exc}") from None
        label = min(labels)  # "last" differs across time zones for a few hours on Monday
        periods = {s.site_id: dates.report_week(label, tz=s.timezone) for s in found}
        late = [s for s in found if periods[s.site_id].end > now]
        if late:
            raise UsageError(
                f"week {label} has not ended yet for {', '.join(s.name for s in late)}; pass "
                "week='last' or an earlier ISO week"
            )
        folder = None
        if output_dir:
            folder = Path(output_dir).expanduser()
            folder = folder if folder.is_absolute() else PROJECT_ROOT / folder
            outputs.check_replaceable(folder, allowed=is_portfolio_file)
        return cls(
            week=label,
            sites=tuple(found),
            periods=periods,
            briefs_dir=Path(settings.outputs_dir),
            all_sites=not names,
            output_dir=folder,
        )

    @property
    def parameters(self) -> dict[str, Any]:
        """The notebook parameters that reproduce this run (an ISO week; [] for every site)."""
        return {
            "week": self.week,
            "sites": [] if self.all_sites else [s.site_id for s in self.sites],
        }

    def settings(self, base: Settings | None = None) -> Settings:
        """Settings whose ``outputs_dir`` is the folder of the published briefs."""
        return dataclasses.replace(base or get_settings(), outputs_dir=self.briefs_dir)

    def __repr__(self) -> str:
        return f"PortfolioRequest(week={self.week}, sites={[s.site_id for s in self.sites]})"

    def _repr_html_(self) -> str:
        first = min(p.start for p in self.periods.values())
        rows = [
            ("Week", f"{self.week}: {fmt.week_range(first, first + pd.DateOffset(weeks=1))}"),
            (
                "Sites",
                ("every site file: " if self.all_sites else "")
                + ", ".join(f"{s.name} ({s.site_id})" for s in self.sites),
            ),
            (
                "Briefs read",
                "each site's published weekly brief of the week, and the "
                f"{HISTORY_WEEKS} weeks before for recurring findings",
            ),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td class='text'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table class='dataframe argo-table argo-run'>{cells}</table>"


# --------------------------------------------------------------------------------------------
# 2. Compute


def read_site_week(site: SiteSettings, period: dates.Period, *, settings: Settings) -> SiteWeek:
    """The brief a site published for a week, and those of the weeks before.

    Parameters
    ----------
    site : SiteSettings
    period : dates.Period
        The week, in the site's time zone.
    settings : Settings
        ``outputs_dir``: the folder of the sites' published ``<site>/<ISO week>/`` folders.

    Returns
    -------
    argo_lib.analytics.portfolio.SiteWeek
        ``brief`` None, with a ``note`` saying why, when the file is missing, unreadable, or
        of another site or week (never an error: the site is listed as "no brief").
    """
    path = brief_folder(site, period, settings=settings) / "weekly_brief.json"
    doc: dict[str, Any] | None = None
    note = ""
    if not path.is_file():
        note = f"no brief published for {period.label}"
    else:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            meta = doc["metadata"] if isinstance(doc, dict) else {}
            same = (
                str(meta["site"]["siteId"]) == str(site.site_id)
                and str(meta["period"]["label"]) == period.label
                and isinstance(doc.get("summary"), dict)
            )
        except (OSError, ValueError, KeyError, TypeError) as exc:
            logger.warning("ignoring %s: %s", path, exc)
            doc, note = None, f"its brief of {period.label} cannot be read ({type(exc).__name__})"
        else:
            if not same:
                logger.warning("ignoring %s: it is not site %s, %s", path, site.site_id, period)
                doc, note = None, f"the brief in its {period.label} folder is of another week"
    history = read_history(site, period, settings=settings) if doc is not None else []
    return SiteWeek(
        site_id=site.site_id, site_name=site.name, brief=doc, history=history, note=note
    )


@dataclass(frozen=True, eq=False)
class PortfolioCharts(ChartSet):
    """The overview's charts: potential savings by site, energy against the baseline.

    ``savings_compact`` is the savings chart drawn narrower, for the e-mail.
    """

    savings: Any
    consumption: Any
    savings_compact: Any


@dataclass(frozen=True, eq=False)
class PortfolioResult:
    """One computed portfolio overview.

    Attributes
    ----------
    request : PortfolioRequest
    overview : argo_lib.analytics.portfolio.PortfolioOverview
    charts : PortfolioCharts
    folders : dict
        Site id → the site's published folder of the week (whether or not it exists).
    """

    request: PortfolioRequest
    overview: PortfolioOverview
    charts: PortfolioCharts
    folders: dict[str, Path]


def compute_portfolio(
    request: PortfolioRequest, *, settings: Settings | None = None
) -> PortfolioResult:
    """Read every site's published brief of the week (and the weeks before) and chart them.

    Parameters
    ----------
    request : PortfolioRequest
        From :meth:`PortfolioRequest.resolve`.
    settings : Settings, optional
        Default :func:`argo_lib.config.get_settings`; the briefs are read from
        ``request.briefs_dir`` whatever its ``outputs_dir``.
    """
    from argo_lib.render.plots import portfolio as plots

    read_from = request.settings(settings)
    weeks = [
        read_site_week(site, request.periods[site.site_id], settings=read_from)
        for site in request.sites
    ]
    overview = summarize_portfolio(weeks, week=request.week)
    charts = PortfolioCharts(
        savings=plots.plot_portfolio_savings(overview),
        consumption=plots.plot_portfolio_consumption(overview),
        savings_compact=plots.plot_portfolio_savings(overview, width_in=EMAIL_CHART_WIDTH_IN),
    )
    folders = {
        s.site_id: brief_folder(s, request.periods[s.site_id], settings=read_from)
        for s in request.sites
    }
    return PortfolioResult(request=request, overview=overview, charts=charts, folders=folders)


# --------------------------------------------------------------------------------------------
# 3. Publish and show


def _clean(value: Any) -> Any:
    if value is None or value is pd.NA:
        return None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float) or hasattr(value, "item"):
        number = value.item() if hasattr(value, "item") else value
        if isinstance(number, float):
            return round(number, 6) if math.isfinite(number) else None
        return number
    return value


def summarize_portfolio_result(result: PortfolioResult) -> dict[str, Any]:
    """The overview, as written to ``portfolio.json``.

    Returns
    -------
    dict
        ``week``, ``parameters``, ``status_counts`` (sites per status, ``no_brief``
        included), ``totals`` and ``sites`` (ranked by potential savings; the columns of
        :data:`argo_lib.analytics.portfolio.COLUMNS`, fractions 0 to 1, energy [kWh], money in
        the site's ``currency``, null for not applicable, plus ``brief_folder`` and
        ``brief_html``: whether the site's folder holds its HTML report).
    """
    overview = result.overview
    sites = []
    for row in overview.sites.to_dict("records"):  # one per site
        entry = {key: _clean(value) for key, value in row.items()}
        folder = result.folders[str(row["site_id"])]
        entry["brief_folder"] = str(folder)
        entry["brief_html"] = row["status"] != NO_BRIEF and (folder / "weekly_brief.html").is_file()
        sites.append(entry)
    return {
        "week": overview.week,
        "parameters": result.request.parameters,
        "status_counts": dict(overview.status_counts),
        "totals": {key: _clean(value) for key, value in overview.totals.items()},
        "sites": sites,
    }


def publish_portfolio(result: PortfolioResult) -> Path | None:
    """Write ``portfolio.json`` and the charts together into the request's output folder.

    Returns
    -------
    pathlib.Path or None
        The folder written, or None when the request has no output folder.
    """
    return publish_files(
        result.request.output_dir,
        allowed=is_portfolio_file,
        json_name="portfolio.json",
        doc=summarize_portfolio_result(result),
        charts=result.charts,
        what=f"portfolio {result.request.week}",
    )


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _pill(status: str) -> str:
    return (
        f"<span style='background:{STATUS_COLORS.get(status, theme.MUTED)};color:#ffffff;"
        "border-radius:4px;padding:1px 7px;font-weight:600;white-space:nowrap'>"
        f"{_e(STATUS_LABELS.get(status, status))}</span>"
    )


def _money(row: Mapping[str, Any], key: str, digits: int = 2) -> str:
    return fmt.money(row[key], row.get("currency"), digits=digits)


def _percent(value: Any, digits: int = 1, *, sign: bool = False) -> str:
    if value is None or pd.isna(value):
        return fmt.MISSING
    number = float(value) * 100.0
    prefix = ("+" if number >= 0 else "−") if sign else ""
    return f"{prefix}{fmt.number(abs(number) if sign else number, digits)}\u00a0%"


def _count(value: Any) -> str:
    return fmt.MISSING if value is None or pd.isna(value) else f"{int(value):,}"


def _site(row: Mapping[str, Any]) -> str:
    return (
        f"<span style='white-space:nowrap'>{_e(row['site_name'])}</span> "
        f"<span style='color:{theme.MUTED};white-space:nowrap'>{_e(row['site_id'])}</span>"
    )


def _nowrap(text: str) -> str:
    return f"<span style='white-space:nowrap'>{_e(text)}</span>"


def _wide(text: str) -> str:
    """A cell of running text that keeps a readable width (the table scrolls on a phone)."""
    return f"<div style='min-width:15em'>{_e(text)}</div>"


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def _rank(column: str) -> Any:
    return lambda r: _count(r[column])


def _recurring(row: Mapping[str, Any]) -> str:
    weeks = row["recurring_weeks"]
    if weeks is None or pd.isna(weeks):
        return fmt.MISSING
    weeks = int(weeks)
    return "new this week" if weeks < 2 else f"{weeks} weeks since {row['since_week']}"


def status_overview(overview: PortfolioOverview) -> views.Html:
    """Sites per status (the brief's words and colours, and "No brief") and the totals."""
    counts = overview.status_counts
    card = (
        f"flex:1 1 120px;border:1px solid {theme.LINE};border-radius:6px;padding:8px 10px;"
        "min-width:0"
    )
    status_cards = "".join(
        f"<div class='argo-kpi' style='{card};border-top:4px solid {STATUS_COLORS[s]}'>"
        f"<div style='font-size:20px;font-weight:700'>{counts[s]}</div>"
        f"<div style='color:{theme.MUTED};font-size:12px'>{_e(STATUS_LABELS[s])}</div></div>"
        for s in PORTFOLIO_STATUSES
    )
    t = overview.totals
    currency = t.get("currency")
    kpis = [
        (fmt.money(t["savings_cost"], currency), "potential savings this week"),
        (fmt.money(t["savings_annual_cost"], currency, digits=0), "per year if they persist"),
        (f"{fmt.number(t['savings_kwh'], 0)} kWh", "potential savings this week"),
        (f"{t['issues']:,} ({t['issues_high']:,} high)", "data issues"),
        (_percent(t["change"], sign=True), "energy against the baseline weeks"),
        (f"{t['recurring_sites']} of {t['with_brief']}", "sites whose top finding recurs"),
    ]
    kpi_cards = "".join(
        f"<div class='argo-kpi' style='{card}'><div style='font-size:18px;font-weight:700'>"
        f"{_e(v)}</div><div style='color:{theme.MUTED};font-size:12px'>{_e(k)}</div></div>"
        for v, k in kpis
    )
    flex = "display:flex;flex-wrap:wrap;gap:8px;margin:8px 0"
    note = ""
    if t["no_brief"]:
        note = (
            f"<p style='color:{theme.MUTED};font-size:13px;margin:6px 0'>"
            f"{fmt.plural(t['no_brief'], 'site')} without a brief for {_e(overview.week)}: "
            "listed below as “No brief”, not counted in the totals.</p>"
        )
    return views.Html(
        f"<div class='argo-kpis' style='{flex}'>{status_cards}</div>"
        f"<div class='argo-kpis' style='{flex}'>{kpi_cards}</div>{note}"
    )


def savings_table(overview: PortfolioOverview) -> views.Html:
    """The sites ranked by potential savings this week, with the top finding of each."""
    rows = _rows(overview.by_savings)
    columns: list[views.Column] = [
        ("#", _rank("savings_rank"), "r"),
        ("Site", _site, "l"),
        ("Status", lambda r: _pill(r["status"]), "l"),
        ("Savings/wk", lambda r: _money(r, "savings_cost"), "r"),
        ("kWh/wk", lambda r: fmt.number(r["savings_kwh"], 1), "r"),
        ("Per year*", lambda r: _money(r, "savings_annual_cost", 0), "r"),
        ("Top finding", lambda r: _wide(r["top_finding"] or r["note"] or fmt.MISSING), "l"),
    ]
    return views.Html(
        views.table(rows, columns, empty="No sites.")
        + f"<p class='argo-note' style='color:{theme.MUTED};font-size:13px;margin:6px 0'>"
        "* if the findings persist for a year. To-investigate standing loads are not savings.</p>"
    )


def data_problems_table(overview: PortfolioOverview) -> views.Html:
    """The sites ranked by data problems: issues by severity, coverage and data quality."""
    rows = _rows(overview.by_data_problems)
    columns: list[views.Column] = [
        ("#", _rank("data_rank"), "r"),
        ("Site", _site, "l"),
        ("Status", lambda r: _pill(r["status"]), "l"),
        ("Issues", lambda r: _count(r["issues"]), "r"),
        ("High", lambda r: _count(r["issues_high"]), "r"),
        ("Medium", lambda r: _count(r["issues_medium"]), "r"),
        ("Low", lambda r: _count(r["issues_low"]), "r"),
        ("Coverage", lambda r: _percent(r["coverage"]), "r"),
        ("Quality", lambda r: _percent(r["quality_index"]), "r"),
        ("Meters", lambda r: _count(r["channels"]), "r"),
    ]
    return views.table(rows, columns, empty="No sites.")


def consumption_table(overview: PortfolioOverview) -> views.Html:
    """Each site's energy and cost this week against its baseline weeks."""
    rows = _rows(overview.by_savings)
    columns: list[views.Column] = [
        ("Site", _site, "l"),
        ("kWh", lambda r: fmt.number(r["energy_kwh"], 0), "r"),
        ("Baseline kWh", lambda r: fmt.number(r["baseline_energy_kwh"], 0), "r"),
        ("Change", lambda r: _percent(r["change"], sign=True), "r"),
        ("Cost", lambda r: _money(r, "cost", 0), "r"),
        ("Baseline cost", lambda r: _money(r, "baseline_cost", 0), "r"),
        ("kg CO2e", lambda r: fmt.number(r["carbon_kg"], 0), "r"),
    ]
    return views.table(rows, columns, empty="No sites.")


def recurrence_table(overview: PortfolioOverview) -> views.Html:
    """Each site's top finding and for how many weeks in a row it has been reported."""
    frame = overview.by_savings
    frame = frame.iloc[
        (-frame["recurring_weeks"].fillna(0).astype(int)).argsort(kind="stable").to_numpy()
    ]
    rows = _rows(frame)
    kinds = {"quick_win": "quick win", "data_issue": "data issue"}
    columns: list[views.Column] = [
        ("Site", _site, "l"),
        ("In a row", lambda r: _nowrap(_recurring(r)), "l"),
        ("Top finding", lambda r: _wide(r["top_finding"] or r["note"] or "no findings"), "l"),
        ("Kind", lambda r: _nowrap(kinds.get(r["top_finding_kind"], "")), "l"),
    ]
    return views.table(rows, columns, empty="No sites.")


# --------------------------------------------------------------------------------------------
# 4. The e-mail


@functools.cache
def _environment(*, autoescape: bool) -> Any:
    import jinja2

    from argo_lib.render.email import TEMPLATES_DIR

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
    )


def portfolio_subject(doc: Mapping[str, Any]) -> str:
    """Subject line: the week, the sites and how many need action.

    Examples
    --------
    >>> portfolio_subject({"week": "2026-W47", "status_counts": {"action_required": 1,
    ...     "attention_needed": 0, "operating_normally": 2, "not_assessed": 0, "no_brief": 1}})
    '[Portfolio] 4 sites, 2026-W47: 1 action required, 2 operating normally, 1 no brief'
    """
    counts = doc["status_counts"]
    parts = [f"{n} {STATUS_LABELS[s].lower()}" for s, n in counts.items() if n]
    return f"[Portfolio] {sum(counts.values())} sites, {doc['week']}: {', '.join(parts)}"


def _site_lines(entry: Mapping[str, Any]) -> dict[str, str]:
    """One site of the e-mail in words: its figures, its top finding and its report."""
    if entry["status"] == NO_BRIEF:
        return {"figures": entry.get("note") or "no brief this week", "finding": ""}
    currency = entry.get("currency")
    issues = entry.get("issues") or 0
    figures = [
        f"{fmt.money(entry['savings_cost'], currency)}/week potential "
        f"({fmt.number(entry['savings_kwh'], 0)} kWh)",
        f"{fmt.plural(issues, 'data issue')}"
        + (f" ({entry['issues_high']} high)" if entry.get("issues_high") else ""),
        f"{_percent(entry['coverage'])} coverage",
    ]
    if entry.get("change") is not None:
        figures.append(f"{_percent(entry['change'], sign=True)} energy vs baseline")
    finding = ""
    if entry.get("top_finding"):
        weeks = int(entry.get("recurring_weeks") or 1)
        again = f" ({weeks} weeks in a row)" if weeks > 1 else " (new)"
        finding = f"Top finding: {entry['top_finding']}{again}"
    return {"figures": " · ".join(figures), "finding": finding}


def render_portfolio_email(
    doc: Mapping[str, Any],
    *,
    charts: Mapping[str, str] | None = None,
    reports: Mapping[str, Mapping[str, str]] | None = None,
) -> tuple[str, str]:
    """Render the e-mail's HTML body (inline CSS) and plain-text alternative from the JSON.

    Parameters
    ----------
    doc : mapping
        ``portfolio.json`` (:func:`summarize_portfolio_result`).
    charts : mapping, optional
        Chart name → Content-ID (without angle brackets).
    reports : mapping, optional
        Site id → ``{"text": ..., "href": ...}``: how the site's report reaches the reader
        (attached, a link, or why not); ``href`` empty when there is no link.

    Returns
    -------
    tuple of str
        ``(html, text)``.
    """
    totals = doc["totals"]
    currency = totals.get("currency")
    sites = []
    for entry in doc["sites"]:
        report = dict((reports or {}).get(str(entry["site_id"])) or {"text": "", "href": ""})
        sites.append({**entry, **_site_lines(entry), "report": report})
    context = {
        "doc": doc,
        "week": doc["week"],
        "subject": portfolio_subject(doc),
        "sites": sites,
        "charts": dict(charts or {}),
        "theme": theme,
        "statuses": [
            (STATUS_LABELS[s], STATUS_COLORS[s], doc["status_counts"].get(s, 0))
            for s in PORTFOLIO_STATUSES
        ],
        "status_labels": STATUS_LABELS,
        "status_colors": STATUS_COLORS,
        "kpis": [
            (fmt.money(totals["savings_cost"], currency), "potential savings this week"),
            (fmt.money(totals["savings_annual_cost"], currency, digits=0), "per year*"),
            (f"{totals['issues']:,}", "data issues"),
            (_percent(totals["change"], sign=True), "energy vs baseline"),
        ],
        "no_brief": totals["no_brief"],
        "plural": fmt.plural,
    }
    body = _environment(autoescape=True).get_template("portfolio.html.j2").render(context)
    text = _environment(autoescape=False).get_template("portfolio.txt.j2").render(context)
    return body, text


def _reports(
    doc: Mapping[str, Any], *, attach: bool, link_base: str | None
) -> tuple[dict[str, dict[str, str]], dict[str, bytes]]:
    """How each site's report reaches the reader, and the files to attach."""
    reports: dict[str, dict[str, str]] = {}
    files: dict[str, bytes] = {}
    size = 0
    for entry in doc["sites"]:
        site_id = str(entry["site_id"])
        # a brief published without its notebook has no HTML report: its e-mail stands in
        kind = "html" if entry["brief_html"] else "eml"
        path = Path(entry["brief_folder"] or ".") / f"weekly_brief.{kind}"
        has = entry["status"] != NO_BRIEF and (kind == "html" or path.is_file())
        href = ""
        if link_base and has:
            href = f"{link_base.rstrip('/')}/{site_id}/{doc['week']}/weekly_brief.{kind}"
        if entry["status"] == NO_BRIEF:
            text = ""
        elif not has:
            text = "no report file (the brief was published without its notebook or e-mail)"
        else:
            name = f"weekly_brief_{site_id}_{doc['week']}.{kind}"
            what = "" if kind == "html" else " (its brief e-mail: no notebook was run)"
            data = path.read_bytes() if attach else b""
            if attach and size + len(data) <= MAX_ATTACHMENTS_BYTES:
                files[name] = data
                size += len(data)
                text = f"attached: {name}{what}"
            elif attach:
                text = "report not attached (the message would be too large)"
            else:
                text = ("full report" if href else "report in its folder") + what
        reports[site_id] = {"text": text, "href": href}
    return reports, files


def build_portfolio_email(
    doc: Mapping[str, Any],
    *,
    sender: str,
    recipients: Sequence[str],
    charts: Mapping[str, bytes] | None = None,
    attach: bool = True,
    link_base: str | None = None,
    attachments: Mapping[str, bytes] | None = None,
) -> EmailMessage:
    """Build the portfolio manager's e-mail: the overview, and each site's report.

    Parameters
    ----------
    doc : mapping
        ``portfolio.json``.
    sender : str
        From address.
    recipients : sequence of str
        To addresses; may be empty for a message that is only written to a file.
    charts : mapping, optional
        Chart name → PNG bytes, shown inline (CID parts).
    attach : bool
        Attach each site's ``weekly_brief.html`` (as ``weekly_brief_<site>_<week>.html``; a
        brief published without its notebook: its ``weekly_brief.eml``, as an attached
        message), up to :data:`MAX_ATTACHMENTS_BYTES` in all.
    link_base : str, optional
        URL of the published outputs folder (e.g. ``https://reports.example.com/outputs``):
        each site's row links to ``<link_base>/<site>/<ISO week>/weekly_brief.html``.
    attachments : mapping, optional
        Further files to attach, after the sites' reports (the overview's own HTML report).

    Returns
    -------
    email.message.EmailMessage

    Raises
    ------
    argo_lib.report.email.MailSettingsError
        Without a sender.
    argo_lib.report.email.EmailError
        When the HTML body exceeds the limit where mail clients clip it.
    """
    import email.policy
    from email.message import EmailMessage
    from email.utils import formatdate, make_msgid

    from argo_lib.report import email as mail

    if not sender:
        raise mail.MailSettingsError("no sender: set MAIL_FROM in the environment or .env")
    cids = {name: make_msgid(domain="argo.portfolio")[1:-1] for name in (charts or {})}
    reports, files = _reports(doc, attach=attach, link_base=link_base)
    body, text = render_portfolio_email(doc, charts=cids, reports=reports)
    size = len(body.encode("utf-8"))
    if size > mail.EMAIL_HTML_LIMIT_BYTES:
        raise mail.EmailError(
            f"the HTML body is {size / 1024:.0f} KB, above "
            f"{mail.EMAIL_HTML_LIMIT_BYTES // 1024} KB where mail clients clip it"
        )
    message = EmailMessage(policy=email.policy.default.clone(max_line_length=998))
    message["Subject"] = portfolio_subject(doc)
    message["From"] = sender
    if recipients:
        message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="argo.portfolio")
    message.set_content(text)
    message.add_alternative(body, subtype="html")
    html_part = list(message.iter_parts())[1]
    for name, png in (charts or {}).items():
        html_part.add_related(
            png, maintype="image", subtype="png", cid=f"<{cids[name]}>", filename=f"{name}.png"
        )
    for filename, data in {**files, **dict(attachments or {})}.items():
        maintype, subtype = mail.ATTACHMENT_TYPES.get(
            Path(filename).suffix.lower(), ("application", "octet-stream")
        )
        if Path(filename).suffix.lower() == ".eml":  # a site's e-mail, as a forwarded message
            from email.parser import BytesParser

            inner = BytesParser(policy=email.policy.default).parsebytes(data)
            message.add_attachment(inner, filename=filename)
        elif maintype == "text":
            message.add_attachment(data.decode("utf-8"), subtype=subtype, filename=filename)
        else:
            message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


# --------------------------------------------------------------------------------------------
# 5. The operators' run path


@dataclass(frozen=True)
class PortfolioOutputs(SummaryOutputs):
    """Files of one portfolio run (``summary``: the contents of ``portfolio.json``).

    Attributes
    ----------
    sent_to : tuple of str
        Recipients, when the e-mail was sent.
    """

    stem: ClassVar[str] = "portfolio"
    sent_to: tuple[str, ...] = ()

    @property
    def eml(self) -> Path:
        """The e-mail message."""
        return self.folder / "portfolio.eml"


def run_portfolio(
    request: PortfolioRequest,
    *,
    output_dir: str | Path | None = None,
    send: bool = False,
    to: tuple[str, ...] = (),
    attach: bool = True,
    link_base: str | None = None,
    pdf: bool = False,
    paper: str | None = None,
    settings: Settings | None = None,
) -> PortfolioOutputs:
    """Run ``notebooks/portfolio.ipynb`` for a resolved request: HTML, e-mail; send it.

    The notebook reads the sites' published briefs (no kernel per site) and writes
    ``portfolio.json`` and the charts into a staging folder; the HTML is rendered from the
    executed notebook (and printed to PDF when asked) and the e-mail from the files that run
    wrote, with each site's ``weekly_brief.html`` attached (and linked, with ``link_base``).
    Only when all are written does the folder replace the published one.

    Parameters
    ----------
    request : PortfolioRequest
        From :meth:`PortfolioRequest.resolve` (its own ``output_dir`` is not used).
    output_dir : str or pathlib.Path, optional
        The published folder; default ``outputs/portfolio/<ISO week>/``.
    send : bool
        Send the e-mail through SMTP after publishing (the settings are checked first).
    to : tuple of str
        Recipients; default ``MAIL_TO``.
    attach : bool
        Attach the sites' HTML reports (see :func:`build_portfolio_email`).
    link_base : str, optional
        URL of the published outputs folder, for a link to each site's report.
    pdf : bool
        Also print the HTML report to ``portfolio.pdf`` (checked before any work).
    paper : {"A4", "Letter"}, optional
        The PDF's paper; default that of the first site's country.
    settings : Settings, optional
        Default :func:`argo_lib.config.get_settings`.

    Returns
    -------
    PortfolioOutputs

    Raises
    ------
    argo_lib.report.outputs.OutputFolderError
        Before any work, when the output folder holds files no run wrote.
    argo_lib.report.email.MailSettingsError
        Before any work, when ``send`` is asked without the mail settings.
    argo_lib.report.notebook.NotebookRunError
        If the notebook fails; the published folder is unchanged.
    argo_lib.report.email.EmailError
        If sending fails (every file is published before).
    """
    from argo_lib.report import email as mail
    from argo_lib.report.notebook import kernel_environment

    settings = settings or get_settings()
    default = default_output_dir(request.week, settings=settings)
    target = output_folder(output_dir, default, allowed=is_portfolio_file)  # before any work
    recipients = tuple(to) or tuple(settings.mail_to)
    if send:
        mail.check_mail_settings(settings, recipients=recipients)
    pdf_paper = check_pdf(pdf, paper, request.sites[0].country)  # None: no PDF asked
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    title = f"Portfolio overview: {len(request.sites)} sites, {request.week}"
    kernel = {
        "ARGO_OUTPUTS_DIR": str(request.briefs_dir),
        "ARGO_PARAMS_DIR": str(settings.params_dir),
    }
    with (
        kernel_environment(kernel),
        notebook_report(
            target,
            allowed=is_portfolio_file,
            name=NOTEBOOK,
            publisher="publish_portfolio",
            parameters=request.parameters,
            database_url="",  # the overview reads published files only, no database
            title=title,
            seconds=seconds,
        ) as (work, report_html),
    ):
        printed = write_pdf(
            report_html, work, NOTEBOOK, paper=pdf_paper, title=title, seconds=seconds
        )
        t0 = time.perf_counter()
        doc = json.loads((work / "portfolio.json").read_text(encoding="utf-8"))
        own = {"portfolio.html": report_html.read_bytes()}
        if printed is not None:
            own[PDF] = printed.read_bytes()
        message = build_portfolio_email(
            doc,
            sender=settings.mail_from or "Argo Energy Solutions <brief@localhost>",
            recipients=recipients,
            charts={name: (work / f"{name}.png").read_bytes() for name in EMAIL_CHARTS},
            attach=attach,
            link_base=link_base,
            attachments=own,
        )
        mail.write_eml(message, work / "portfolio.eml")
        seconds["email"] = time.perf_counter() - t0
    sent = send_if_asked(message, settings, recipients, seconds, send)
    seconds["total"] = time.perf_counter() - began
    return PortfolioOutputs(folder=target, summary=doc, seconds=seconds, sent_to=sent)
