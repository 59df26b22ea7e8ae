"""Unit health of a site's channels, run once: resolve, compute, publish.

The same shape as :mod:`argo_lib.jobs.explore`:

1. :meth:`UnitHealthRequest.resolve` checks and resolves the parameters (site, period, output
   folder) before any work; bad input is a :class:`~argo_lib.errors.UsageError` naming what to
   change.
2. :func:`compute_unit_health` reads the period's readings and channels once, rates each channel
   (:func:`argo_lib.analytics.unit_health.unit_health`) and draws the coverage chart.
3. :func:`publish_unit_health` writes ``unit_health.json`` and the chart, together, into the
   request's output folder, or nowhere when it has none.
4. :func:`run_unit_health` is the operators' run path: it runs ``notebooks/unit_health.ipynb``
   with the resolved parameters and renders its HTML (and, when asked, its PDF) into a staging
   folder that replaces ``outputs/<site>/unit_health/<first day>_<last day>/`` only when every
   file is written.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from argo_lib import dates, db
from argo_lib.config import PROJECT_ROOT, Settings, SiteSettings, get_settings, load_site
from argo_lib.jobs._common import (
    ChartSet,
    SummaryOutputs,
    publish_files,
    run_summary_report,
)
from argo_lib.jobs.explore import _check_has_readings, _label, _last_day, _resolve_period
from argo_lib.render import views
from argo_lib.report import outputs

__all__ = [
    "ARTEFACTS",
    "CHARTS",
    "NOTEBOOK",
    "PDF",
    "RATING_COLORS",
    "UnitHealthCharts",
    "UnitHealthOutputs",
    "UnitHealthRequest",
    "UnitHealthResult",
    "compute_unit_health",
    "default_output_dir",
    "is_unit_health_file",
    "publish_unit_health",
    "rating_table",
    "run_unit_health",
    "summarize_unit_health",
]

NOTEBOOK = "unit_health"
"""The notebook, ``notebooks/unit_health.ipynb``."""
CHARTS = ("coverage",)
"""The charts; each is written as ``<name>.png``."""
ARTEFACTS = (
    "unit_health.json",
    "unit_health.ipynb",
    "unit_health.html",
    *(f"{name}.png" for name in CHARTS),
)
"""Every file of a complete run."""
PDF = "unit_health.pdf"
"""The HTML report printed on paper, written when asked."""
RATING_COLORS = {"green": "#067647", "amber": "#b54708", "red": "#b42318"}
"""Background colour of each rating's cell."""


def is_unit_health_file(name: str) -> bool:
    """Whether a file name is one a unit-health run writes."""
    return name in ARTEFACTS or name in (PDF, "unit_health.failed.ipynb")


def default_output_dir(site: SiteSettings, period: dates.Period, *, settings: Settings) -> Path:
    """``outputs/<site>/unit_health/<first day>_<last day>/``."""
    return Path(settings.outputs_dir) / str(site.site_id) / "unit_health" / _label(period)


# --------------------------------------------------------------------------------------------
# 1. Resolve


@dataclass(frozen=True)
class UnitHealthRequest:
    """One resolved unit-health run: site, period, staleness reference and output folder.

    Attributes
    ----------
    site : SiteSettings
    period : dates.Period
        Whole site-local days, local midnight to local midnight.
    as_of : pandas.Timestamp or None
        What staleness is measured against; None: the period end.
    output_dir : pathlib.Path or None
        Where :func:`publish_unit_health` writes; None: nowhere.
    database : str
        The database, password masked.
    """

    site: SiteSettings
    period: dates.Period
    as_of: pd.Timestamp | None = None
    output_dir: Path | None = None
    database: str = ""

    @classmethod
    def resolve(
        cls,
        *,
        site_id: str,
        start: Any = "",
        end: Any = "",
        days: int = 28,
        output_dir: str | Path | None = None,
        as_of: Any = None,
        engine: Any = None,
    ) -> UnitHealthRequest:
        """Check the parameters and resolve the run.

        Parameters
        ----------
        site_id : str
            Site id or params file stem (``"23271"``, ``"wilson_center"``).
        start, end : str or datetime.date
            First and last site-local day (both inclusive); both empty: the last ``days`` days.
        days : int
            With no ``start``/``end``: the whole site-local days before today [days].
        output_dir : str or pathlib.Path, optional
            Folder :func:`publish_unit_health` writes into; ``""`` or None: nothing is written.
        as_of : datetime-like, optional
            "Now": for ``days``, and what staleness is measured against (default: the period
            end).
        engine : sqlalchemy.engine.Engine, optional
            Database; default :func:`argo_lib.db.get_engine` (an SQLite file must exist).

        Raises
        ------
        argo_lib.errors.UsageError
            An unknown site, a bad date, an end before the start, a bad ``days``, a period
            without readings, a missing database, or an output folder that holds other files.
        """
        site = load_site(site_id)
        period = _resolve_period(site, start=start, end=end, days=days, as_of=as_of)
        reference = None if as_of is None else dates.ensure_aware(as_of, name="as_of")
        folder = None
        if output_dir:
            folder = Path(output_dir).expanduser()
            folder = folder if folder.is_absolute() else PROJECT_ROOT / folder
            outputs.check_replaceable(folder, allowed=is_unit_health_file)
        engine = engine if engine is not None else db.get_engine(must_exist=True)
        times = db.last_reading_times(engine, site_id=site.site_id)
        _check_has_readings(site, period, (), times)
        return cls(
            site=site,
            period=period,
            as_of=None if reference is None else pd.Timestamp(reference),
            output_dir=folder,
            database=db.describe_database(engine),
        )

    @property
    def label(self) -> str:
        """``<first day>_<last day>``, both inclusive, site-local."""
        return _label(self.period)

    @property
    def parameters(self) -> dict[str, Any]:
        """The notebook parameters that reproduce this run (explicit dates)."""
        return {
            "site_id": str(self.site.site_id),
            "start": self.period.start.date().isoformat(),
            "end": _last_day(self.period).isoformat(),
        }

    def __repr__(self) -> str:
        return (
            f"UnitHealthRequest(site={self.site.site_id} {self.site.name!r}, "
            f"tz={self.site.timezone}, period={self.period})"
        )

    def _repr_html_(self) -> str:
        from argo_lib.render import format as fmt

        first, last = self.period.start.date(), _last_day(self.period)
        days = (last - first).days + 1
        reference = self.period.end if self.as_of is None else self.as_of
        rows = [
            ("Site", f"{self.site.name} ({self.site.site_id})"),
            ("Period", f"{first} to {last} ({fmt.plural(days, 'day')}, both inclusive)"),
            ("Time zone", self.site.timezone),
            ("Staleness as of", f"{reference.tz_convert(self.site.tz):%Y-%m-%d %H:%M %Z}"),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td class='text'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table class='dataframe argo-table argo-run'>{cells}</table>"


# --------------------------------------------------------------------------------------------
# 2. Compute


@dataclass(frozen=True, eq=False)
class UnitHealthCharts(ChartSet):
    """The unit-health chart: coverage per channel and day."""

    coverage: Any


@dataclass(frozen=True, eq=False)
class UnitHealthResult:
    """One computed unit-health run.

    Attributes
    ----------
    request : UnitHealthRequest
    health : argo_lib.analytics.unit_health.UnitHealth
    charts : UnitHealthCharts
    readings : int
        Readings read [count].
    """

    request: UnitHealthRequest
    health: Any
    charts: UnitHealthCharts
    readings: int


def compute_unit_health(request: UnitHealthRequest, *, engine: Any = None) -> UnitHealthResult:
    """Read the period's readings once, rate each channel and draw the coverage chart.

    Parameters
    ----------
    request : UnitHealthRequest
        From :meth:`UnitHealthRequest.resolve`.
    engine : sqlalchemy.engine.Engine, optional
        Default :func:`argo_lib.db.get_engine` (an SQLite file must exist).
    """
    from argo_lib.analytics.unit_health import unit_health
    from argo_lib.render.plots import explore as plots

    engine = engine if engine is not None else db.get_engine(must_exist=True)
    site = request.site
    readings = db.read_readings(
        engine, site_id=site.site_id, start=request.period.start, end=request.period.end
    )
    health = unit_health(
        readings,
        site=site,
        period=request.period,
        channels=db.read_channels(engine, site_id=site.site_id),
        as_of=request.as_of,
    )
    charts = UnitHealthCharts(coverage=plots.plot_explore_coverage(health))  # takes .coverage
    return UnitHealthResult(request=request, health=health, charts=charts, readings=len(readings))


# --------------------------------------------------------------------------------------------
# 3. Publish and show


def _number(value: Any) -> float | None:
    value = float(value)
    return round(value, 6) if np.isfinite(value) else None


def summarize_unit_health(result: UnitHealthResult) -> dict[str, Any]:
    """The key numbers, as written to ``unit_health.json``.

    Returns
    -------
    dict
        ``site_id``, ``period`` (start, end exclusive, label, hours), ``as_of``,
        ``parameters``, ``ratings`` (channels per rating), ``channels`` (per channel: id,
        name, ``rating``, ``reasons``, ``coverage`` [-], ``gaps``, ``outage_hours`` [h],
        ``catch_up_readings``, ``stuck_hours`` [h], ``stale_hours`` [h]) and ``issues`` [count].
    """
    found = result.health
    request = result.request
    channels = [
        {
            "channel_id": int(row.channel_id),
            "channel_name": str(row.channel_name),
            "rating": str(row.rating),
            "reasons": str(row.reasons),
            "coverage": _number(row.coverage),
            "gaps": int(row.gaps),
            "outage_hours": _number(row.outage_hours),
            "catch_up_readings": int(row.catch_up_readings),
            "stuck_hours": _number(row.stuck_hours),
            "stale_hours": _number(row.stale_hours),
        }
        for row in found.channels.itertuples(index=False)  # one per channel
    ]
    return {
        "site_id": str(request.site.site_id),
        "period": {
            "start": request.period.start.isoformat(),
            "end": request.period.end.isoformat(),
            "label": request.label,
            "hours": request.period.hours,
        },
        "as_of": found.as_of.isoformat(),
        "parameters": request.parameters,
        "ratings": found.counts,
        "channels": channels,
        "issues": len(found.issues),
    }


def _rating_cell(row: Mapping[str, Any]) -> str:
    rating = str(row["rating"])
    color = RATING_COLORS.get(rating, "#475467")
    return (
        f"<span style='background:{color};color:#ffffff;border-radius:4px;padding:1px 8px;"
        f"font-weight:600'>{html.escape(rating)}</span>"
    )


def _hours(column: str) -> Any:
    return lambda row: "" if not row[column] else f"{row[column]:.1f}"


def rating_table(health: Any) -> views.Html:
    """The channels with their rating (coloured), reasons and key numbers, as an HTML table."""
    rows = health.channels.to_dict("records")
    columns: list[views.Column] = [
        ("Channel", lambda r: html.escape(f"{r['channel_id']} {r['channel_name']}"), "l"),
        ("Rating", _rating_cell, "l"),
        ("Coverage", lambda r: "" if pd.isna(r["coverage"]) else f"{r['coverage']:.1%}", "r"),
        ("Gaps", lambda r: str(r["gaps"] or ""), "r"),
        ("Outage [h]", _hours("outage_hours"), "r"),
        ("Catch-up", lambda r: str(r["catch_up_readings"] or ""), "r"),
        ("Stuck [h]", _hours("stuck_hours"), "r"),
        ("Stale [h]", _hours("stale_hours"), "r"),
        ("Reasons", lambda r: html.escape(str(r["reasons"])), "l"),
    ]
    return views.table(rows, columns, empty="No channels in this period.")


def publish_unit_health(result: UnitHealthResult) -> Path | None:
    """Write ``unit_health.json`` and the chart together into the request's output folder.

    Returns
    -------
    pathlib.Path or None
        The folder written, or None when the request has no output folder.
    """
    return publish_files(
        result.request.output_dir,
        allowed=is_unit_health_file,
        json_name="unit_health.json",
        doc=summarize_unit_health(result),
        charts=result.charts,
        what=f"unit health {result.request.label}",
    )


# --------------------------------------------------------------------------------------------
# 4. The operators' run path


@dataclass(frozen=True)
class UnitHealthOutputs(SummaryOutputs):
    """Files of one unit-health run (``summary``: the contents of ``unit_health.json``)."""

    stem: ClassVar[str] = "unit_health"


def run_unit_health(
    request: UnitHealthRequest,
    *,
    database_url: str,
    output_dir: str | Path | None = None,
    pdf: bool = False,
    paper: str | None = None,
    settings: Settings | None = None,
) -> UnitHealthOutputs:
    """Run ``notebooks/unit_health.ipynb`` for a resolved request, render its HTML, publish.

    Parameters
    ----------
    request : UnitHealthRequest
        From :meth:`UnitHealthRequest.resolve` (its own ``output_dir`` is not used).
    database_url : str
        The database the kernel reads (through its environment, never as a parameter).
    output_dir : str or pathlib.Path, optional
        The published folder; default ``outputs/<site>/unit_health/<first day>_<last day>/``.
    pdf : bool
        Also print the HTML report to ``unit_health.pdf`` (checked before any work).
    paper : {"A4", "Letter"}, optional
        The PDF's paper; default the site's.
    settings : Settings, optional
        Default :func:`argo_lib.config.get_settings`.

    Raises
    ------
    argo_lib.report.outputs.OutputFolderError
        Before any work, when the output folder holds files no run wrote.
    argo_lib.report.notebook.NotebookRunError
        If the notebook fails; the published folder is unchanged.
    """
    settings = settings or get_settings()
    title = f"Unit health: {request.site.name}, {request.label.replace('_', ' to ')}"
    return run_summary_report(
        UnitHealthOutputs,
        output_dir=output_dir,
        default=default_output_dir(request.site, request.period, settings=settings),
        allowed=is_unit_health_file,
        publisher="publish_unit_health",
        json_name="unit_health.json",
        parameters=request.parameters,
        database_url=database_url,
        title=title,
        pdf=pdf,
        paper=paper,
        country=request.site.country,
    )
