"""A first look at a site's channels, run once: resolve, compute, publish.

The same shape as :mod:`argo_lib.jobs.weekly_brief`:

1. :meth:`ExploreRequest.resolve` checks and resolves the parameters (site, period, channels,
   output folder) before any work; bad input is a :class:`~argo_lib.errors.UsageError` naming
   what to change.
2. :func:`compute_explore` reads the period's readings and channels once, explores them
   (:func:`argo_lib.analytics.explore.explore_channels`) and draws the charts.
3. :func:`publish_explore` writes the summary JSON and the charts, together, into the request's
   output folder, or nowhere when it has none.
4. :func:`run_explore` is the operators' run path (``argo explore``): it runs
   ``notebooks/explore.ipynb`` with the resolved parameters and renders its HTML (and, when
   asked, prints it to ``explore.pdf``), all into a staging folder that replaces ``outputs/<site>/explore/<period label>/`` only when every file
   is written.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from argo_lib import dates, db
from argo_lib.config import PROJECT_ROOT, Settings, SiteSettings, get_settings, load_site
from argo_lib.errors import UsageError
from argo_lib.jobs._common import (
    ChartSet,
    SummaryOutputs,
    publish_files,
    run_summary_report,
)
from argo_lib.report import outputs

__all__ = [
    "ARTEFACTS",
    "CHARTS",
    "MAX_DAYS",
    "NOTEBOOK",
    "PDF",
    "ExploreCharts",
    "ExploreOutputs",
    "ExploreRequest",
    "ExploreResult",
    "compute_explore",
    "default_output_dir",
    "is_explore_file",
    "publish_explore",
    "run_explore",
    "summarize_explore",
]

NOTEBOOK = "explore"
"""The notebook, ``notebooks/explore.ipynb``."""
CHARTS = ("coverage", "daily_energy", "profiles", "correlations")
"""The charts; each is written as ``<name>.png``."""
ARTEFACTS = (
    "explore.json",
    "explore.ipynb",
    "explore.html",
    *(f"{name}.png" for name in CHARTS),
)
"""Every file of a complete run of ``argo explore``."""
PDF = "explore.pdf"
"""The HTML report printed on paper, written when asked (``argo explore --pdf``)."""
MAX_DAYS = 400
"""Longest period explored [days]."""


def is_explore_file(name: str) -> bool:
    """Whether a file name is one an explore run writes (a published folder may hold only these)."""
    return name in ARTEFACTS or name in (PDF, "explore.failed.ipynb")


def _last_day(period: dates.Period) -> dt.date:
    """The last site-local day of a period that ends at local midnight (inclusive)."""
    return (period.end - pd.Timedelta(hours=1)).tz_convert(period.tz).date()


def _label(period: dates.Period) -> str:
    """``<first day>_<last day>`` (both inclusive, site-local)."""
    return f"{period.start.date().isoformat()}_{_last_day(period).isoformat()}"


def default_output_dir(site: SiteSettings, period: dates.Period, *, settings: Settings) -> Path:
    """``outputs/<site>/explore/<first day>_<last day>/``: where ``argo explore`` publishes."""
    return Path(settings.outputs_dir) / str(site.site_id) / "explore" / _label(period)


# --------------------------------------------------------------------------------------------
# 1. Resolve


def _parse_day(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise UsageError(
            f"{name} must be a date such as 2026-10-26 (site-local), got {value!r}"
        ) from None


def _resolve_period(
    site: SiteSettings, *, start: Any, end: Any, days: Any, as_of: Any
) -> dates.Period:
    if bool(start) != bool(end):
        raise UsageError(
            f"give both start and end (site-local dates, end inclusive), or neither to use the "
            f"last {days} days; got start={start!r}, end={end!r}"
        )
    if start:
        first, last = _parse_day(start, "start"), _parse_day(end, "end")
        if last < first:
            raise UsageError(f"end {last} is before start {first}; end is the last day, inclusive")
        if (last - first).days + 1 > MAX_DAYS:
            raise UsageError(f"the period is longer than {MAX_DAYS} days; give a shorter one")
        return dates.Period.from_dates(first, last + dt.timedelta(days=1), tz=site.timezone)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise UsageError(f"days must be a whole number of days from 1 to {MAX_DAYS}, got {days!r}")
    now = pd.Timestamp.now(tz="UTC") if as_of is None else dates.ensure_aware(as_of, name="as_of")
    today = now.tz_convert(site.tz).date()
    return dates.Period.from_dates(today - dt.timedelta(days=days), today, tz=site.timezone)


def _parse_channels(channels: Any) -> tuple[int, ...]:
    if channels is None or channels == "":
        return ()
    items = channels.split(",") if isinstance(channels, str) else list(channels)
    out = []
    for item in items:
        try:
            out.append(int(str(item).strip()))
        except ValueError:
            raise UsageError(
                f"channels must be channel ids such as [162119, 162120], got {item!r}"
            ) from None
    return tuple(dict.fromkeys(out))


@dataclass(frozen=True)
class ExploreRequest:
    """One resolved exploration: site, period, channels and output folder.

    Build it with :meth:`resolve`, which checks every parameter before any work.

    Attributes
    ----------
    site : SiteSettings
        The site.
    period : dates.Period
        Whole site-local days, local midnight to local midnight (DST days are 23 or 25 h).
    channel_ids : tuple of int
        The channels to explore; empty: every channel.
    output_dir : pathlib.Path or None
        Where :func:`publish_explore` writes; None: nowhere.
    database : str
        The database, password masked.
    """

    site: SiteSettings
    period: dates.Period
    channel_ids: tuple[int, ...] = ()
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
        channels: Sequence[int] | str | None = (),
        output_dir: str | Path | None = None,
        as_of: Any = None,
        engine: Any = None,
    ) -> ExploreRequest:
        """Check the parameters and resolve the run.

        Parameters
        ----------
        site_id : str
            Site id or params file stem (``"23271"``, ``"wilson_center"``).
        start, end : str or datetime.date
            First and last site-local day (both inclusive, ISO dates); both empty: the last
            ``days`` days.
        days : int
            With no ``start``/``end``: the whole site-local days before today [days].
        channels : sequence of int or str, optional
            Channel ids (or a comma-separated string); empty: every channel.
        output_dir : str or pathlib.Path, optional
            Folder :func:`publish_explore` writes into (relative paths are under the project
            folder); ``""`` or None: nothing is written.
        as_of : datetime-like, optional
            "Now", for ``days`` (default the current time).
        engine : sqlalchemy.engine.Engine, optional
            Database; default :func:`argo_lib.db.get_engine` (an SQLite file must exist).

        Returns
        -------
        ExploreRequest

        Raises
        ------
        argo_lib.errors.UsageError
            An unknown site, a bad date, an end before the start, a bad ``days``, an unknown
            channel, a period without readings, a missing database, or an output folder that
            holds other files; each message says what to pass instead.
        """
        site = load_site(site_id)
        period = _resolve_period(site, start=start, end=end, days=days, as_of=as_of)
        channel_ids = _parse_channels(channels)
        folder = None
        if output_dir:
            folder = Path(output_dir).expanduser()
            folder = folder if folder.is_absolute() else PROJECT_ROOT / folder
            outputs.check_replaceable(folder, allowed=is_explore_file)
        engine = engine if engine is not None else db.get_engine(must_exist=True)
        times = db.last_reading_times(engine, site_id=site.site_id)
        _check_channels(engine, site, channel_ids, times)
        _check_has_readings(site, period, channel_ids, times)
        return cls(
            site=site,
            period=period,
            channel_ids=channel_ids,
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
            "channels": list(self.channel_ids),
        }

    def __repr__(self) -> str:
        return (
            f"ExploreRequest(site={self.site.site_id} {self.site.name!r}, tz={self.site.timezone}, "
            f"period={self.period}, channels={list(self.channel_ids) or 'all'})"
        )

    def _repr_html_(self) -> str:
        from argo_lib.render import format as fmt

        first, last = self.period.start.date(), _last_day(self.period)
        days = (last - first).days + 1
        rows = [
            ("Site", f"{self.site.name} ({self.site.site_id})"),
            ("Period", f"{first} to {last} ({fmt.plural(days, 'day')}, both inclusive)"),
            ("Length", f"{self.period.hours:g} h (local midnight to local midnight)"),
            ("Time zone", self.site.timezone),
            ("Channels", ", ".join(map(str, self.channel_ids)) or "all"),
        ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td class='text'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table class='dataframe argo-table argo-run'>{cells}</table>"


def _check_channels(
    engine: Any, site: SiteSettings, channel_ids: tuple[int, ...], times: pd.DataFrame
) -> None:
    if not channel_ids:
        return
    known = set(db.read_channels(engine, site_id=site.site_id)["channel_id"].tolist())
    known |= {int(c.channel_id) for c in site.channels} | set(times["channel_id"].tolist())
    unknown = [c for c in channel_ids if c not in known]
    if unknown:
        listed = ", ".join(map(str, sorted(known))) or "none"
        raise UsageError(
            f"unknown channel {', '.join(map(str, unknown))} for site {site.site_id}; "
            f"its channels are {listed}"
        )


def _check_has_readings(
    site: SiteSettings, period: dates.Period, channel_ids: tuple[int, ...], times: pd.DataFrame
) -> None:
    if channel_ids:
        times = times[times["channel_id"].isin(channel_ids)]
    if times.empty:
        raise UsageError(
            f"the database has no readings for site {site.site_id} ({site.name})"
            + (" on these channels" if channel_ids else "")
            + f"; load them first with `argo ingest --site {site.site_id}` (or `argo demo`)"
        )
    overlap = (times["first_timestamp"] < period.end) & (times["last_timestamp"] >= period.start)
    if not overlap.any():
        first = times["first_timestamp"].min().tz_convert(site.tz)
        last = times["last_timestamp"].max().tz_convert(site.tz)
        raise UsageError(
            f"no readings in {period.start.date()} to {_last_day(period)}; the site has readings "
            f"from {first:%Y-%m-%d} to {last:%Y-%m-%d}: pass start and end in that range"
        )


# --------------------------------------------------------------------------------------------
# 2. Compute


@dataclass(frozen=True, eq=False)
class ExploreCharts(ChartSet):
    """The exploration's charts (:mod:`argo_lib.render.plots.explore`), each a ChartFigure."""

    coverage: Any
    daily_energy: Any
    profiles: Any
    correlations: Any


@dataclass(frozen=True, eq=False)
class ExploreResult:
    """One computed exploration.

    Attributes
    ----------
    request : ExploreRequest
    exploration : argo_lib.analytics.explore.Exploration
    charts : ExploreCharts
    readings : int
        Readings read [count].
    """

    request: ExploreRequest
    exploration: Any
    charts: ExploreCharts
    readings: int


def compute_explore(request: ExploreRequest, *, engine: Any = None) -> ExploreResult:
    """Read the period's readings once, explore them and draw the charts.

    Parameters
    ----------
    request : ExploreRequest
        From :meth:`ExploreRequest.resolve`.
    engine : sqlalchemy.engine.Engine, optional
        Default :func:`argo_lib.db.get_engine` (an SQLite file must exist).

    Returns
    -------
    ExploreResult
    """
    from argo_lib.analytics.explore import explore_channels
    from argo_lib.render.plots import explore as plots

    engine = engine if engine is not None else db.get_engine(must_exist=True)
    site = request.site
    readings = db.read_readings(
        engine,
        site_id=site.site_id,
        start=request.period.start,
        end=request.period.end,
        channel_ids=list(request.channel_ids) or None,
    )
    exploration = explore_channels(
        readings,
        site=site,
        period=request.period,
        channels=db.read_channels(engine, site_id=site.site_id),
        channel_ids=request.channel_ids,
    )
    charts = ExploreCharts(
        coverage=plots.plot_explore_coverage(exploration),
        daily_energy=plots.plot_explore_daily_energy(exploration),
        profiles=plots.plot_explore_profiles(exploration),
        correlations=plots.plot_explore_correlations(exploration),
    )
    return ExploreResult(
        request=request, exploration=exploration, charts=charts, readings=len(readings)
    )


# --------------------------------------------------------------------------------------------
# 3. Publish


def _number(value: Any) -> float | None:
    value = float(value)
    return round(value, 6) if np.isfinite(value) else None


def summarize_explore(result: ExploreResult) -> dict[str, Any]:
    """The exploration's key numbers, as written to ``explore.json``.

    Returns
    -------
    dict
        ``site_id``, ``period`` (start, end exclusive, label, hours), ``parameters``,
        ``channels`` (per channel: ``channel_id``, ``channel_name``, ``coverage`` [-],
        ``energy_kwh`` [kWh] over the period, ``readings``), ``top_pairs`` (up to five, with
        ``r``), ``gaps`` and ``issues`` [count], ``next_steps``.
    """
    ex = result.exploration
    request = result.request
    energy = ex.daily_energy.groupby("channel_id")["energy_kwh"].sum(min_count=1)
    channels = [
        {
            "channel_id": int(row.channel_id),
            "channel_name": str(row.channel_name),
            "coverage": None if pd.isna(row.coverage) else _number(row.coverage),
            "energy_kwh": _number(energy.get(row.channel_id, np.nan)),
            "readings": int(row.readings),
        }
        for row in ex.inventory.itertuples(index=False)  # one per channel
    ]
    pairs = [
        {"channel_a": int(p.channel_a), "channel_b": int(p.channel_b), "r": _number(p.r)}
        for p in ex.pairs.head(5).itertuples(index=False)
    ]
    return {
        "site_id": str(request.site.site_id),
        "period": {
            "start": request.period.start.isoformat(),
            "end": request.period.end.isoformat(),
            "label": request.label,
            "hours": request.period.hours,
        },
        "parameters": request.parameters,
        "channels": channels,
        "top_pairs": pairs,
        "gaps": len(ex.gaps),
        "issues": len(ex.issues),
        "next_steps": list(ex.next_steps),
    }


def publish_explore(result: ExploreResult) -> Path | None:
    """Write the summary JSON and the charts together into the request's output folder.

    Parameters
    ----------
    result : ExploreResult
        From :func:`compute_explore`.

    Returns
    -------
    pathlib.Path or None
        The folder written, or None when the request has no output folder.
    """
    return publish_files(
        result.request.output_dir,
        allowed=is_explore_file,
        json_name="explore.json",
        doc=summarize_explore(result),
        charts=result.charts,
        what=f"exploration {result.request.label}",
    )


# --------------------------------------------------------------------------------------------
# 4. The operators' run path


@dataclass(frozen=True)
class ExploreOutputs(SummaryOutputs):
    """Files of one ``argo explore`` run (``summary``: the contents of ``explore.json``) and its times."""

    stem: ClassVar[str] = "explore"


def run_explore(
    request: ExploreRequest,
    *,
    database_url: str,
    output_dir: str | Path | None = None,
    pdf: bool = False,
    paper: str | None = None,
    settings: Settings | None = None,
) -> ExploreOutputs:
    """Run ``notebooks/explore.ipynb`` for a resolved request, render its HTML (and PDF), publish.

    Parameters
    ----------
    request : ExploreRequest
        From :meth:`ExploreRequest.resolve` (its own ``output_dir`` is not used).
    database_url : str
        The database the kernel reads (through its environment, never as a parameter).
    output_dir : str or pathlib.Path, optional
        The published folder; default ``outputs/<site>/explore/<first day>_<last day>/``.
    pdf : bool
        Also print the HTML report to ``explore.pdf`` with headless Chromium
        (:func:`argo_lib.report.pdf.html_to_pdf`); the paper and Chromium are checked before
        any work (:func:`argo_lib.jobs._common.check_pdf`).
    paper : {"A4", "Letter"}, optional
        The PDF's paper; default Letter for a site in North America, else A4
        (:func:`argo_lib.report.pdf.paper_for_country`).
    settings : Settings, optional
        Default :func:`argo_lib.config.get_settings`.

    Returns
    -------
    ExploreOutputs

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
    """
    settings = settings or get_settings()
    title = f"Channel exploration: {request.site.name}, {request.label.replace('_', ' to ')}"
    return run_summary_report(
        ExploreOutputs,
        output_dir=output_dir,
        default=default_output_dir(request.site, request.period, settings=settings),
        allowed=is_explore_file,
        publisher="publish_explore",
        json_name="explore.json",
        parameters=request.parameters,
        database_url=database_url,
        title=title,
        pdf=pdf,
        paper=paper,
        country=request.site.country,
    )
