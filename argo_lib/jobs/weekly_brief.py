"""The weekly exceptions brief, run once: resolve, compute, publish, deliver.

One run computes everything once, in one direction:

1. :meth:`BriefRequest.resolve` checks and resolves the parameters (site, week, baseline,
   threshold overrides, output folder) before any work; bad input is a
   :class:`~argo_lib.errors.UsageError` naming what to change.
2. :func:`compute_brief` reads the readings once, analyses them once
   (:func:`argo_lib.analytics.analyse_site_week`), builds the brief JSON from that analysis and
   draws the charts from it. The notebook displays this one :class:`WeeklyBrief`.
3. :func:`publish_brief` writes the JSON and the charts, together, into the request's output
   folder, or nowhere when it has none (an interactive run or a plain papermill run without
   ``output_dir`` writes nothing official).
4. :func:`run_weekly_brief` is the operators' run path (``argo brief``): it runs
   ``notebooks/weekly_brief.ipynb`` with the resolved parameters, renders its HTML (and, when
   asked, prints it to PDF) and writes the e-mail from the files that run published (the HTML
   report attached, and the PDF when printed), all into a staging folder that replaces
   ``outputs/<site>/<ISO week>/`` only when every file is written; then it sends the e-mail if
   asked.
5. :func:`compute_and_publish_brief` is the kernel-less run path (``argo brief --no-notebook``):
   the same :func:`compute_brief` in this process, its JSON, charts and e-mail published the same
   way, without a notebook, a kernel or the HTML report (for many sites at once,
   :mod:`argo_lib.jobs.many_sites`).

Every artefact of a run therefore comes from the same computation and agrees number for number.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from argo_lib import dates, db
from argo_lib.config import (
    PROJECT_ROOT,
    ConfigError,
    Settings,
    SiteSettings,
    get_settings,
    load_site,
)
from argo_lib.errors import UsageError
from argo_lib.jobs._common import (
    ChartSet,
    ReportFiles,
    check_pdf,
    notebook_report,
    output_folder,
    publish_files,
    send_if_asked,
    write_pdf,
)
from argo_lib.report import outputs

__all__ = [
    "ARTEFACTS",
    "CHARTS",
    "EMAIL_CHARTS",
    "NOTEBOOK",
    "PDF",
    "BriefCharts",
    "BriefOutputs",
    "BriefRequest",
    "WeeklyBrief",
    "HISTORY_WEEKS",
    "compute_and_publish_brief",
    "compute_brief",
    "default_output_dir",
    "is_brief_file",
    "publish_brief",
    "read_history",
    "recipients_for",
    "run_weekly_brief",
]

logger = logging.getLogger(__name__)

NOTEBOOK = "weekly_brief"
"""The brief's notebook, ``notebooks/weekly_brief.ipynb``."""
CHARTS = ("site_load", "after_hours", "week_heatmap", "channels")
"""The brief's charts; each is written as ``<name>.png``."""
EMAIL_CHARTS = ("site_load", "after_hours")
"""Charts shown inline in the e-mail (CID images)."""
ARTEFACTS = (
    "weekly_brief.json",
    "weekly_brief.ipynb",
    "weekly_brief.html",
    "weekly_brief.eml",
    *(f"{name}.png" for name in CHARTS),
)
"""Every file of a complete run of ``argo brief``."""
PDF = "weekly_brief.pdf"
"""The HTML report printed on paper, written when asked (``argo brief --pdf``) and then also
attached to the e-mail."""


def is_brief_file(name: str) -> bool:
    """Whether a file name is one a brief run writes (a published folder may hold only these)."""
    return name in ARTEFACTS or name in (PDF, "weekly_brief.failed.ipynb")


def default_output_dir(site: SiteSettings, period: dates.Period, *, settings: Settings) -> Path:
    """``outputs/<site>/<ISO week>/``: where ``argo brief`` publishes a site-week."""
    return Path(settings.outputs_dir) / str(site.site_id) / period.label


# --------------------------------------------------------------------------------------------
# 1. Resolve


@dataclass(frozen=True)
class BriefRequest:
    """One resolved weekly-brief run: site, report week, baseline and output folder.

    Build it with :meth:`resolve`, which checks every parameter before any analysis.

    Attributes
    ----------
    site : SiteSettings
        The site, with the threshold overrides applied.
    period : dates.Period
        The report week, Monday 00:00 to Monday 00:00 site-local.
    baseline : dates.Period
        The ``baseline_weeks`` weeks before it.
    baseline_weeks : int
        Weeks of baseline [weeks].
    threshold_overrides : dict
        Threshold overrides applied on top of the site's (dotted names).
    output_dir : pathlib.Path or None
        Where :func:`publish_brief` writes; None: nowhere.
    database : str
        The database, password masked.
    """

    site: SiteSettings
    period: dates.Period
    baseline: dates.Period
    baseline_weeks: int
    threshold_overrides: dict[str, Any] = field(default_factory=dict)
    output_dir: Path | None = None
    database: str = ""

    @classmethod
    def resolve(
        cls,
        *,
        site_id: str,
        week: str,
        baseline_weeks: int = 4,
        threshold_overrides: Mapping[str, Any] | None = None,
        output_dir: str | Path | None = None,
        as_of: Any = None,
        engine: Any = None,
        params_dir: str | Path | None = None,
    ) -> BriefRequest:
        """Check the brief's parameters and resolve the run.

        Parameters
        ----------
        site_id : str
            Site id or params file stem (``"23271"``, ``"wilson_center"``).
        week : str
            ``"last"`` (the last complete week), ``"2026-W47"`` or any date in the week.
        baseline_weeks : int
            Weeks of baseline before the report week, 1 to 12.
        threshold_overrides : mapping, optional
            Threshold overrides by dotted name (``{"after_hours.min_weekly_kwh": 20}``).
        output_dir : str or pathlib.Path, optional
            Folder :func:`publish_brief` writes into (relative paths are under the project
            folder); ``""`` or None: nothing is written.
        as_of : datetime-like, optional
            "Now", for ``"last"`` and the future check (default the current time).
        engine : sqlalchemy.engine.Engine, optional
            Database; default :func:`argo_lib.db.get_engine` (an SQLite file must exist).
        params_dir : str or pathlib.Path, optional
            Folder holding ``sites/*.yaml``; default the settings' (``ARGO_PARAMS_DIR``, else
            the project's ``params/``).

        Returns
        -------
        BriefRequest

        Raises
        ------
        argo_lib.errors.UsageError
            An unknown site, bad threshold overrides, a bad week label, a week that has not
            ended, a week before the site's first reading, a baseline outside 1–12 weeks, a
            missing database or schema, an output folder that holds other files; each message
            says what to pass instead.
        """
        site = load_site(site_id, params_dir=params_dir)
        if isinstance(baseline_weeks, bool) or not isinstance(baseline_weeks, int):
            raise UsageError(
                f"baseline_weeks must be an integer from 1 to 12, got {baseline_weeks!r}"
            )
        if not 1 <= baseline_weeks <= 12:
            raise UsageError(f"baseline_weeks must be from 1 to 12, got {baseline_weeks}")
        now = (
            pd.Timestamp.now(tz="UTC") if as_of is None else dates.ensure_aware(as_of, name="as_of")
        )
        period = dates.report_week(week, tz=site.timezone, as_of=now)
        if period.end > now:
            last = dates.report_week("last", tz=site.timezone, as_of=now)
            raise UsageError(
                f"week {period.label} ({period}) has not ended yet; the last complete week is "
                f"{last.label}: pass week='last' or week='{last.label}'"
            )
        overrides = dict(threshold_overrides or {})
        if overrides:
            try:
                site = site.with_thresholds(overrides)
            except (KeyError, TypeError, ValueError) as exc:
                message = exc.args[0] if exc.args else str(exc)
                raise ConfigError(f"threshold_overrides: {message}") from None
        folder = None
        if output_dir:
            folder = Path(output_dir).expanduser()
            folder = folder if folder.is_absolute() else PROJECT_ROOT / folder
            outputs.check_replaceable(folder, allowed=is_brief_file)
        engine = engine if engine is not None else db.get_engine(must_exist=True)
        _check_site_has_data(engine, site, period)
        return cls(
            site=site,
            period=period,
            baseline=dates.baseline_period(period, weeks=baseline_weeks),
            baseline_weeks=baseline_weeks,
            threshold_overrides=overrides,
            output_dir=folder,
            database=db.describe_database(engine),
        )

    @property
    def parameters(self) -> dict[str, Any]:
        """The notebook parameters that reproduce this run (recorded in the brief's JSON)."""
        return {
            "site_id": str(self.site.site_id),
            "week": self.period.label,
            "baseline_weeks": self.baseline_weeks,
            "threshold_overrides": dict(self.threshold_overrides),
        }

    def __repr__(self) -> str:
        return (
            f"BriefRequest(site={self.site.site_id} {self.site.name!r}, tz={self.site.timezone}, "
            f"week={self.period.label} {self.period}, baseline={self.baseline})"
        )

    def _repr_html_(self) -> str:
        from argo_lib.render import format as fmt

        week = fmt.date_range(self.period.start, self.period.end)
        baseline = fmt.date_range(self.baseline.start, self.baseline.end)
        overrides = self.threshold_overrides
        rows = [
            ("Site", f"{self.site.name} ({self.site.site_id})"),
            ("Report week", f"{self.period.label}: {week}, Monday to Monday 00:00 local time"),
            ("Baseline", f"the {fmt.plural(self.baseline_weeks, 'week')} before: {baseline}"),
            ("Time zone", self.site.timezone),
            ("Threshold overrides", json.dumps(overrides) if overrides else "none"),
            ("Data", self.database),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td class='text'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table class='dataframe argo-table argo-run'>{cells}</table>"


def _check_site_has_data(engine: Any, site: SiteSettings, period: dates.Period) -> None:
    times = db.last_reading_times(engine, site_id=site.site_id)
    if times.empty:
        raise UsageError(
            f"the database ({db.describe_database(engine)}) has no readings for site {site.site_id} "
            f"({site.name}); load them first with `argo ingest --site {site.site_id}` (or `argo demo` "
            "for the simulated site)"
        )
    first = times["first_timestamp"].min()
    if period.end <= first:
        first_week = dates.report_week(first, tz=site.timezone)
        raise UsageError(
            f"week {period.label} is before the site's first reading "
            f"({first.tz_convert(site.tz):%Y-%m-%d %H:%M %Z}); the first week with data is "
            f"{first_week.label}"
        )


# --------------------------------------------------------------------------------------------
# 2. Compute


@dataclass(frozen=True, eq=False)
class BriefCharts(ChartSet):
    """The brief's charts, drawn from its analysis (:mod:`argo_lib.render.plots`).

    Each is a :class:`~argo_lib.render.plots.ChartFigure`: in a notebook, a cell ending with
    ``brief.charts.site_load`` shows it; :meth:`png` gives the same image's bytes.
    """

    site_load: Any
    after_hours: Any
    week_heatmap: Any
    channels: Any


@dataclass(frozen=True, eq=False)
class WeeklyBrief:
    """One computed brief: the analysis, its JSON document and its charts.

    Attributes
    ----------
    request : BriefRequest
    analysis : argo_lib.analytics.SiteWeekAnalysis
        Everything the analytics found (grids, expected band, findings, costs).
    doc : dict
        The brief JSON (``docs/spec/weekly_brief_json.md``), validated against its schema.
    charts : BriefCharts
        The charts, drawn from ``analysis``.
    readings : int
        Readings analysed (baseline and report weeks) [count].
    """

    request: BriefRequest
    analysis: Any
    doc: dict[str, Any]
    charts: BriefCharts
    readings: int


HISTORY_WEEKS = 12
"""Weeks of published briefs :func:`read_history` looks back over for recurring findings."""


def _published_brief(path: Path, site: SiteSettings, period: dates.Period) -> dict[str, Any] | None:
    """The brief published at ``path`` for this site and week, or None (absent or unreadable)."""
    if not path.is_file():
        return None
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        meta = doc["metadata"]
        same = (
            str(meta["site"]["siteId"]) == str(site.site_id)
            and str(meta["period"]["label"]) == period.label
            and isinstance(doc.get("sections"), dict)
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.warning("ignoring %s for recurring findings: %s", path, exc)
        return None
    if not same:
        logger.warning("ignoring %s for recurring findings: it is not %s", path, period.label)
        return None
    return doc


def read_history(
    site: SiteSettings,
    period: dates.Period,
    *,
    settings: Settings | None = None,
    weeks: int = HISTORY_WEEKS,
) -> list[dict[str, Any] | None]:
    """The briefs published for the weeks before a report week, newest first.

    They are read from the site's archive, ``outputs/<site>/<ISO week>/weekly_brief.json`` (the
    folders ``argo brief`` publishes), so a finding can say for how many weeks in a row it has
    been reported (:func:`argo_lib.brief.mark_recurrence`).

    Parameters
    ----------
    site : SiteSettings
        The site.
    period : dates.Period
        The report week.
    settings : Settings, optional
        For ``outputs_dir``; default :func:`argo_lib.config.get_settings`.
    weeks : int
        Weeks to look back [weeks].

    Returns
    -------
    list of dict or None
        ``weeks`` entries, the week before first; None for a week without a readable brief of
        this site and week (a file that cannot be read is logged and skipped, never fatal).
    """
    settings = settings or get_settings()
    monday = period.start.tz_convert(site.tz).date()
    out = []
    for k in range(1, int(weeks) + 1):
        before = dates.week_period(monday - dt.timedelta(days=7 * k), tz=site.timezone)
        folder = default_output_dir(site, before, settings=settings)
        out.append(_published_brief(folder / "weekly_brief.json", site, before))
    return out


def compute_brief(
    request: BriefRequest,
    *,
    engine: Any = None,
    generated_at: Any = None,
    settings: Settings | None = None,
) -> WeeklyBrief:
    """Read, analyse, build the JSON and draw the charts of one site-week, each once.

    Quick wins and data issues are marked with the weeks in a row they have been reported,
    from the briefs published before (:func:`read_history`).

    Parameters
    ----------
    request : BriefRequest
        From :meth:`BriefRequest.resolve`.
    engine : sqlalchemy.engine.Engine, optional
        Default :func:`argo_lib.db.get_engine` (an SQLite file must exist).
    generated_at : datetime-like, optional
        Tz-aware generation time recorded in the brief (default now).
    settings : Settings, optional
        For the published briefs' folder; default :func:`argo_lib.config.get_settings`.

    Returns
    -------
    WeeklyBrief
    """
    from argo_lib import brief as brief_json
    from argo_lib.analytics import analyse_site_week
    from argo_lib.render import plots

    engine = engine if engine is not None else db.get_engine(must_exist=True)
    site = request.site
    start, end = request.baseline.start, request.period.end
    readings = db.read_readings(engine, site_id=site.site_id, start=start, end=end)
    weather = db.read_weather(engine, site_id=site.site_id, start=start, end=end)
    temperature = (
        weather.set_index("timestamp")["temperature_c"]
        if weather["temperature_c"].notna().any()
        else None
    )
    analysis = analyse_site_week(
        readings,
        temperature=temperature,
        site=site,
        period=request.period,
        baseline=request.baseline,
        channels=db.read_channels(engine, site_id=site.site_id),
        thresholds=site.thresholds,
    )
    doc = brief_json.build_brief(analysis, parameters=request.parameters, generated_at=generated_at)
    history = read_history(site, request.period, settings=settings)
    brief_json.mark_recurrence(doc, history, lookback_weeks=HISTORY_WEEKS)
    brief_json.validate_brief(doc)
    charts = BriefCharts(
        site_load=plots.plot_site_load(analysis),
        after_hours=plots.plot_after_hours_by_meter(analysis),
        week_heatmap=plots.plot_week_heatmap(analysis),
        channels=plots.plot_channel_small_multiples(analysis),
    )
    return WeeklyBrief(
        request=request, analysis=analysis, doc=doc, charts=charts, readings=len(readings)
    )


# --------------------------------------------------------------------------------------------
# 3. Publish


def publish_brief(brief: WeeklyBrief) -> Path | None:
    """Write the brief's JSON and charts together into the request's output folder.

    The folder is written whole in a staging folder and then put in place, replacing the
    previous run's folder (:mod:`argo_lib.report.outputs`): it never mixes files of two runs.

    Parameters
    ----------
    brief : WeeklyBrief
        From :func:`compute_brief`.

    Returns
    -------
    pathlib.Path or None
        The folder written, or None when the request has no output folder (nothing is
        written: an interactive run, or papermill without ``output_dir``).
    """
    return publish_files(
        brief.request.output_dir,
        allowed=is_brief_file,
        json_name="weekly_brief.json",
        doc=brief.doc,
        charts=brief.charts,
        what=f"brief {brief.request.period.label}",
    )


# --------------------------------------------------------------------------------------------
# 4. The operators' run path


@dataclass(frozen=True)
class BriefOutputs(ReportFiles):
    """Files of one ``argo brief`` run and how long it took.

    Attributes
    ----------
    folder : pathlib.Path
        The published folder.
    brief : dict
        The brief JSON document.
    seconds : dict
        Wall time of each step [s]: ``notebook``, ``html``, ``pdf``, ``email``, ``send``,
        ``total``.
    sent_to : tuple of str
        Recipients, when the e-mail was sent.
    """

    folder: Path
    brief: dict[str, Any]
    seconds: dict[str, float]
    stem: ClassVar[str] = "weekly_brief"
    sent_to: tuple[str, ...] = ()

    @property
    def json(self) -> Path:
        """The brief JSON."""
        return self.folder / "weekly_brief.json"

    @property
    def eml(self) -> Path:
        """The e-mail message (the HTML report attached, and the PDF when the run printed one)."""
        return self.folder / "weekly_brief.eml"

    @property
    def pdf(self) -> Path | None:
        """The PDF report, or None when the run did not print one."""
        path = self.folder / PDF
        return path if path.is_file() else None


def recipients_for(
    site: SiteSettings, *, to: tuple[str, ...] = (), settings: Settings
) -> tuple[str, ...]:
    """The e-mail's recipients: ``to`` if given, else ``MAIL_TO``, else the site file's."""
    return tuple(to) or tuple(settings.mail_to) or tuple(site.recipients)


def run_weekly_brief(
    request: BriefRequest,
    *,
    database_url: str,
    output_dir: str | Path | None = None,
    send: bool = False,
    to: tuple[str, ...] = (),
    pdf: bool = False,
    paper: str | None = None,
    settings: Settings | None = None,
) -> BriefOutputs:
    """Run the whole weekly brief of a resolved request: notebook, HTML, PDF, e-mail; send it.

    The notebook runs with the request's canonical parameters (``week`` as an ISO week, so a
    run that starts on Sunday night and ends on Monday still reports the same week) and writes
    its JSON and charts into a staging folder; the HTML is rendered from the executed notebook
    (and printed to PDF when asked) and the e-mail from the JSON and charts that run wrote, with
    the HTML report and the PDF attached. Only when all are written does the
    folder replace the published one, so every file agrees with every other.

    Parameters
    ----------
    request : BriefRequest
        From :meth:`BriefRequest.resolve` (its own ``output_dir`` is not used).
    database_url : str
        The database the kernel reads (given to it through its environment, never as a
        notebook parameter).
    output_dir : str or pathlib.Path, optional
        The published folder; default ``outputs/<site>/<ISO week>/``.
    send : bool
        Send the e-mail through SMTP after publishing (check the settings first with
        :func:`argo_lib.report.email.check_mail_settings`).
    to : tuple of str
        Recipients; default ``MAIL_TO``, else the site file's ``recipients``.
    pdf : bool
        Also print the HTML report to ``weekly_brief.pdf`` with headless Chromium
        (:func:`argo_lib.report.pdf.html_to_pdf`) and attach it to the e-mail
        (``application/pdf``, beside the HTML report); the paper and Chromium are checked
        before any work (:func:`argo_lib.jobs._common.check_pdf`).
    paper : {"A4", "Letter"}, optional
        The PDF's paper; default Letter for a site in North America, else A4
        (:func:`argo_lib.report.pdf.paper_for_country`).
    settings : Settings, optional
        Default :func:`argo_lib.config.get_settings`.

    Returns
    -------
    BriefOutputs

    Raises
    ------
    argo_lib.report.outputs.OutputFolderError
        Before any work, when the output folder holds files no run wrote.
    argo_lib.errors.UsageError
        Before any work, when ``pdf`` is asked with an unknown ``paper``.
    argo_lib.report.pdf.ChromiumMissingError
        Before any work, when ``pdf`` is asked and Chromium is not installed.
    argo_lib.report.pdf.PdfError
        If Chromium fails to print; the published folder is unchanged.
    argo_lib.report.notebook.NotebookRunError
        If the notebook fails; the run's files are kept in ``<folder>.failed``.
    argo_lib.report.email.EmailError
        If sending fails (every file is published before).
    """
    from argo_lib.report import email as mail

    settings = settings or get_settings()
    default = default_output_dir(request.site, request.period, settings=settings)
    target = output_folder(output_dir, default, allowed=is_brief_file)  # before any work
    recipients = recipients_for(request.site, to=to, settings=settings)
    if send:
        mail.check_mail_settings(settings, recipients=recipients)
    pdf_paper = check_pdf(pdf, paper, request.site.country)  # None: no PDF asked
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    title = f"Weekly energy brief: {request.site.name}, {request.period.label}"
    with notebook_report(
        target,
        allowed=is_brief_file,
        name=NOTEBOOK,
        publisher="publish_brief",
        parameters=request.parameters,
        database_url=database_url,
        title=title,
        seconds=seconds,
    ) as (work, report_html):
        printed = write_pdf(
            report_html, work, NOTEBOOK, paper=pdf_paper, title=title, seconds=seconds
        )
        t0 = time.perf_counter()
        doc = json.loads((work / "weekly_brief.json").read_text(encoding="utf-8"))
        attachments = {"weekly_brief.html": report_html.read_bytes()}
        if printed is not None:
            attachments[PDF] = printed.read_bytes()
        message = mail.build_email(
            doc,
            sender=settings.mail_from or "Argo Energy Solutions <brief@localhost>",
            recipients=recipients,
            charts={name: (work / f"{name}.png").read_bytes() for name in EMAIL_CHARTS},
            attachments=attachments,
        )
        mail.write_eml(message, work / "weekly_brief.eml")
        seconds["email"] = time.perf_counter() - t0
    sent = send_if_asked(message, settings, recipients, seconds, send)
    seconds["total"] = time.perf_counter() - began
    return BriefOutputs(folder=target, brief=doc, seconds=seconds, sent_to=sent)


# --------------------------------------------------------------------------------------------
# 5. The kernel-less run path


def compute_and_publish_brief(
    request: BriefRequest,
    *,
    engine: Any = None,
    output_dir: str | Path | None = None,
    send: bool = False,
    to: tuple[str, ...] = (),
    settings: Settings | None = None,
    generated_at: Any = None,
) -> BriefOutputs:
    """Compute a resolved brief in this process and publish its JSON, charts and e-mail.

    The same computation as the notebook's (:func:`compute_brief`), without a notebook or a
    kernel: the brief JSON is the one :func:`run_weekly_brief` publishes for the same site,
    week and database, field for field, except ``metadata.generatedAt`` (the time of the run).
    The folder holds ``weekly_brief.json``, the charts (PNG) and ``weekly_brief.eml`` (the
    HTML body with the inline charts and the plain-text alternative; no HTML report is
    attached, as none is rendered); it is written in a staging folder that replaces
    ``outputs/<site>/<ISO week>/`` only when every file is written, as the notebook path does,
    and a failed run keeps its files in ``<ISO week>.failed/``.

    Parameters
    ----------
    request : BriefRequest
        From :meth:`BriefRequest.resolve` (its own ``output_dir`` is not used).
    engine : sqlalchemy.engine.Engine, optional
        Default :func:`argo_lib.db.get_engine` (an SQLite file must exist).
    output_dir : str or pathlib.Path, optional
        The published folder; default ``outputs/<site>/<ISO week>/``.
    send : bool
        Send the e-mail through SMTP after publishing.
    to : tuple of str
        Recipients; default ``MAIL_TO``, else the site file's ``recipients``.
    settings : Settings, optional
        Default :func:`argo_lib.config.get_settings`.
    generated_at : datetime-like, optional
        Tz-aware generation time recorded in the brief (default now).

    Returns
    -------
    BriefOutputs
        ``seconds`` has ``compute``, ``publish``, ``email``, ``send`` (when sent) and ``total``;
        ``notebook`` and ``html`` name files this path does not write.

    Raises
    ------
    argo_lib.report.outputs.OutputFolderError
        Before any work, when the output folder holds files no run wrote.
    argo_lib.report.email.MailSettingsError
        Before any work, when ``send`` is asked without the mail settings.
    argo_lib.report.email.EmailError
        If sending fails (every file is published before).
    """
    from argo_lib.report import email as mail

    settings = settings or get_settings()
    default = default_output_dir(request.site, request.period, settings=settings)
    target = output_folder(output_dir, default, allowed=is_brief_file)  # before any work
    recipients = recipients_for(request.site, to=to, settings=settings)
    if send:
        mail.check_mail_settings(settings, recipients=recipients)
    seconds: dict[str, float] = {}
    began = time.perf_counter()
    with outputs.staged_folder(target, allowed=is_brief_file) as work:
        brief = compute_brief(request, engine=engine, generated_at=generated_at, settings=settings)
        seconds["compute"] = time.perf_counter() - began
        t0 = time.perf_counter()
        # the bytes publish_brief writes, read back as the notebook path reads its file
        text = json.dumps(brief.doc, indent=2, ensure_ascii=False) + "\n"
        (work / "weekly_brief.json").write_text(text, encoding="utf-8")
        doc = json.loads(text)
        pngs = {name: brief.charts.png(name) for name in CHARTS}
        for name, png in pngs.items():
            (work / f"{name}.png").write_bytes(png)
        seconds["publish"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        message = mail.build_email(
            doc,
            sender=settings.mail_from or "Argo Energy Solutions <brief@localhost>",
            recipients=recipients,
            charts={name: pngs[name] for name in EMAIL_CHARTS},
        )
        mail.write_eml(message, work / "weekly_brief.eml")
        seconds["email"] = time.perf_counter() - t0
    logger.info("brief %s published in %s (no notebook)", request.period.label, target)
    sent = send_if_asked(message, settings, recipients, seconds, send)
    seconds["total"] = time.perf_counter() - began
    return BriefOutputs(folder=target, brief=doc, seconds=seconds, sent_to=sent)
