"""The weekly exceptions brief: checked parameters, data, analysis, outputs and delivery.

The notebook ``notebooks/weekly_brief.ipynb`` calls :meth:`WeeklyBriefRun.from_parameters` in its
first cell after the parameters; operators and cron call :func:`run_weekly_brief` (``argo
brief``), which executes that notebook with papermill, renders its HTML and writes the e-mail.
Every output of a run goes to ``outputs/<site>/<ISO week>/``:
``weekly_brief.json`` (validated against the schema), ``weekly_brief.ipynb`` (executed, the audit
trail), ``weekly_brief.html``, ``weekly_brief.eml`` and the e-mail's chart PNGs.
"""

from __future__ import annotations

import html
import json
import logging
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from argo_lib import brief as brief_json
from argo_lib import dates, db
from argo_lib.config import ConfigError, SiteSettings, get_settings, load_site

__all__ = [
    "BriefOutputs",
    "WeeklyBriefRun",
    "run_weekly_brief",
]

logger = logging.getLogger(__name__)

NOTEBOOK = "weekly_brief"
EMAIL_CHARTS = ("site_load", "after_hours")
"""Charts the notebook saves as PNG for the e-mail's inline (CID) images."""


@dataclass(frozen=True)
class WeeklyBriefRun:
    """One resolved weekly-brief run: site, report week, baseline and output folder.

    Build it with :meth:`from_parameters`, which checks every parameter before any analysis.

    Attributes
    ----------
    site : SiteSettings
    period : dates.Period
        The report week, Monday 00:00 to Monday 00:00 site-local.
    baseline : dates.Period
        The ``baseline_weeks`` weeks before it.
    output_dir : pathlib.Path
        Where this run's files go.
    threshold_overrides : dict
        Threshold overrides applied on top of the site's (dotted names).
    parameters : dict
        The notebook parameters as given (recorded in the brief; never secrets).
    database : str
        The database, password masked.
    """

    site: SiteSettings
    period: dates.Period
    baseline: dates.Period
    output_dir: Path
    threshold_overrides: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Any] = field(default_factory=dict)
    database: str = ""

    @classmethod
    def from_parameters(
        cls,
        *,
        site_id: str,
        week: str,
        baseline_weeks: int = 4,
        output_dir: str = "",
        threshold_overrides: Mapping[str, Any] | None = None,
        as_of: Any = None,
        engine=None,
    ) -> WeeklyBriefRun:
        """Check the notebook's parameters and resolve the run.

        Parameters
        ----------
        site_id : str
            Site id or params file stem (``"23271"``, ``"wilson_center"``).
        week : str
            ``"last"`` (the last complete week), ``"2026-W47"`` or any date in the week.
        baseline_weeks : int
            Weeks of baseline before the report week, 1 to 12.
        output_dir : str
            Output folder; ``""`` means ``outputs/<site>/<ISO week>/``.
        threshold_overrides : mapping, optional
            Threshold overrides by dotted name (``{"after_hours.min_weekly_kwh": 20}``).
        as_of : datetime-like, optional
            "Now", for ``"last"`` and the future check (default the current time).
        engine : sqlalchemy.engine.Engine, optional
            Database; default :func:`argo_lib.db.get_engine`.

        Returns
        -------
        WeeklyBriefRun

        Raises
        ------
        argo_lib.config.ConfigError
            Unknown site or bad threshold overrides.
        ValueError
            A bad week label, a week that has not ended yet, a week before the site's first
            reading, or a baseline outside 1–12 weeks; each message says what to pass instead.
        """
        site = load_site(site_id)
        if isinstance(baseline_weeks, bool) or not isinstance(baseline_weeks, int):
            raise ValueError(
                f"baseline_weeks must be an integer from 1 to 12, got {baseline_weeks!r}"
            )
        if not 1 <= baseline_weeks <= 12:
            raise ValueError(f"baseline_weeks must be from 1 to 12, got {baseline_weeks}")
        now = (
            pd.Timestamp.now(tz="UTC") if as_of is None else dates.ensure_aware(as_of, name="as_of")
        )
        period = dates.report_week(week, tz=site.timezone, as_of=now)
        if period.end > now:
            last = dates.report_week("last", tz=site.timezone, as_of=now)
            raise ValueError(
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
        engine = engine if engine is not None else db.get_engine()
        _check_site_has_data(engine, site, period)
        baseline = dates.baseline_period(period, weeks=baseline_weeks)
        settings = get_settings()
        folder = (
            Path(output_dir) if output_dir else settings.outputs_dir / site.site_id / period.label
        )
        parameters = {
            "site_id": site_id,
            "week": week,
            "baseline_weeks": baseline_weeks,
            "output_dir": output_dir,
            "threshold_overrides": overrides,
        }
        return cls(
            site=site,
            period=period,
            baseline=baseline,
            output_dir=folder,
            threshold_overrides=overrides,
            parameters=parameters,
            database=db.describe_database(engine),
        )

    def __repr__(self) -> str:
        return (
            f"WeeklyBriefRun(site={self.site.site_id} {self.site.name!r}, tz={self.site.timezone}, "
            f"week={self.period.label} {self.period}, baseline={self.baseline})"
        )

    def _repr_html_(self) -> str:
        rows = [
            ("Site", f"{self.site.name} ({self.site.site_id})"),
            ("Time zone", self.site.timezone),
            ("Report week", f"{self.period.label}: {self.period}"),
            ("Baseline", str(self.baseline)),
            ("Threshold overrides", json.dumps(self.threshold_overrides) or "none"),
            ("Database", self.database),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td class='text'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table class='argo-run'>{cells}</table>"

    def read_readings(self, engine=None) -> pd.DataFrame:
        """Readings of the baseline and the report week (UTC, energy and power)."""
        engine = engine if engine is not None else db.get_engine()
        return db.read_readings(
            engine, site_id=self.site.site_id, start=self.baseline.start, end=self.period.end
        )

    def read_temperature(self, engine=None) -> pd.Series | None:
        """Outdoor air temperature of the baseline and the report week [°C], or None when unknown."""
        engine = engine if engine is not None else db.get_engine()
        weather = db.read_weather(
            engine, site_id=self.site.site_id, start=self.baseline.start, end=self.period.end
        )
        if weather["temperature_c"].notna().sum() == 0:
            return None
        return weather.set_index("timestamp")["temperature_c"]

    def analyse(self, readings: pd.DataFrame | None = None, *, engine=None):
        """Run the analytics on the run's readings (read from the database when not given).

        Returns
        -------
        argo_lib.analytics.SiteWeekAnalysis
        """
        from argo_lib.analytics import analyse_site_week

        engine = engine if engine is not None else db.get_engine()
        if readings is None:
            readings = self.read_readings(engine)
        return analyse_site_week(
            readings,
            temperature=self.read_temperature(engine),
            site=self.site,
            period=self.period,
            baseline=self.baseline,
            channels=db.read_channels(engine, site_id=self.site.site_id),
            thresholds=self.site.thresholds,
        )

    def build_brief(self, analysis, *, generated_at: Any = None) -> dict[str, Any]:
        """Assemble the brief JSON (validated against the schema)."""
        doc = brief_json.build_brief(
            analysis, parameters=self.parameters, generated_at=generated_at
        )
        brief_json.validate_brief(doc)
        return doc

    def write_brief(self, doc: Mapping[str, Any]) -> Path:
        """Write ``weekly_brief.json`` into the output folder (atomically)."""
        brief_json.validate_brief(doc)
        self.output_dir.mkdir(parents=True, exist_ok=True)
        target = self.output_dir / "weekly_brief.json"
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, target)
        return target

    def save_chart(self, figure, name: str) -> Path:
        """Save a chart as ``<name>.png`` in the output folder (for the e-mail) and return it."""
        from argo_lib.plots import figure_to_png

        self.output_dir.mkdir(parents=True, exist_ok=True)
        target = self.output_dir / f"{name}.png"
        target.write_bytes(figure_to_png(figure))
        return target


def _check_site_has_data(engine, site: SiteSettings, period: dates.Period) -> None:
    times = db.last_reading_times(engine, site_id=site.site_id)
    if times.empty:
        raise ValueError(
            f"the database ({db.describe_database(engine)}) has no readings for site {site.site_id} "
            f"({site.name}); load them first with `argo ingest --site {site.site_id}` (or `argo demo` "
            "for the simulated site)"
        )
    first = times["first_timestamp"].min()
    if period.end <= first:
        first_week = dates.report_week(first, tz=site.timezone)
        raise ValueError(
            f"week {period.label} is before the site's first reading "
            f"({first.tz_convert(site.tz):%Y-%m-%d %H:%M %Z}); the first week with data is "
            f"{first_week.label}"
        )


@dataclass(frozen=True)
class BriefOutputs:
    """Files of one weekly-brief run and how long it took.

    Attributes
    ----------
    json, notebook, html, eml : pathlib.Path
        The brief JSON, the executed notebook, the HTML report and the e-mail message.
    brief : dict
        The brief JSON document.
    seconds : dict
        Wall time of each step [s]: ``notebook``, ``html``, ``email``, ``send``, ``total``.
    sent_to : tuple of str
        Recipients, when the e-mail was sent.
    """

    json: Path
    notebook: Path
    html: Path
    eml: Path
    brief: dict[str, Any]
    seconds: dict[str, float]
    sent_to: tuple[str, ...] = ()


def run_weekly_brief(
    *,
    site_id: str = "23271",
    week: str = "last",
    baseline_weeks: int = 4,
    output_dir: str = "",
    threshold_overrides: Mapping[str, Any] | None = None,
    send: bool = False,
    recipients: tuple[str, ...] = (),
    settings=None,
) -> BriefOutputs:
    """Run the whole weekly brief for a site and week: notebook, HTML, e-mail file, optionally send.

    Parameters
    ----------
    site_id, week, baseline_weeks, output_dir, threshold_overrides
        The notebook's parameters (see :meth:`WeeklyBriefRun.from_parameters`).
    send : bool
        Send the e-mail through SMTP after writing it.
    recipients : tuple of str
        Recipients; default ``MAIL_TO``, else the site file's ``recipients``.
    settings : argo_lib.config.Settings, optional
        Default :func:`argo_lib.config.get_settings`.

    Returns
    -------
    BriefOutputs

    Raises
    ------
    argo_lib.report.ParameterError, ValueError, argo_lib.config.ConfigError
        For bad parameters, before the notebook runs.
    argo_lib.report.NotebookRunError
        If the notebook fails (its executed copy is kept as ``*.failed.ipynb``).
    argo_lib.report.EmailError
        If sending was asked for and fails (all files are written before).
    """
    from argo_lib import report

    settings = settings or get_settings()
    total = time.perf_counter()
    # Resolve first: bad parameters fail here, before a kernel starts.
    run = WeeklyBriefRun.from_parameters(
        site_id=site_id,
        week=week,
        baseline_weeks=baseline_weeks,
        output_dir=output_dir,
        threshold_overrides=threshold_overrides,
    )
    folder = run.output_dir
    parameters = dict(run.parameters)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    notebook = report.run_notebook(NOTEBOOK, folder / "weekly_brief.ipynb", parameters=parameters)
    seconds["notebook"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    title = f"Weekly energy brief: {run.site.name}, {run.period.label}"
    html = report.render_html(notebook, folder / "weekly_brief.html", title=title)
    seconds["html"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    doc = json.loads((folder / "weekly_brief.json").read_text(encoding="utf-8"))
    to = tuple(recipients) or settings.mail_to or run.site.recipients
    charts = {
        name: (folder / f"{name}.png").read_bytes()
        for name in EMAIL_CHARTS
        if (folder / f"{name}.png").is_file()
    }
    message = report.build_email(
        doc,
        sender=settings.mail_from or "Argo Energy Solutions <brief@localhost>",
        recipients=to,
        charts=charts,
        attachments={"weekly_brief.html": html.read_bytes()},
    )
    eml = report.write_eml(message, folder / "weekly_brief.eml")
    seconds["email"] = time.perf_counter() - t0
    sent: tuple[str, ...] = ()
    if send:
        if not to:
            raise report.EmailError(
                "no recipients: set MAIL_TO or `recipients` in the site's params file"
            )
        if not settings.mail_from:
            raise report.EmailError("no sender: set MAIL_FROM in the environment or .env")
        t0 = time.perf_counter()
        report.send_email(message, settings)
        seconds["send"] = time.perf_counter() - t0
        sent = to
    seconds["total"] = time.perf_counter() - total
    return BriefOutputs(
        json=folder / "weekly_brief.json",
        notebook=notebook,
        html=html,
        eml=eml,
        brief=doc,
        seconds=seconds,
        sent_to=sent,
    )
