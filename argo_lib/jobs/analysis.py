"""The site deep-dive, run once: resolve, compute, publish.

The same shape as :mod:`argo_lib.jobs.explore`:

1. :meth:`AnalysisRequest.resolve` checks and resolves the parameters (site, period, the
   baseline of the weather-normalised comparison, output folder) before any work; bad input is
   a :class:`~argo_lib.errors.UsageError` naming what to change.
2. :func:`compute_analysis` reads the period's readings (and the baseline's) and the weather
   once, analyses the site (:func:`argo_lib.analytics.site_analysis.analyse_site`), compares
   the period with the weather-normalised baseline
   (:func:`argo_lib.analytics.normalised.normalised_change`), ranks the findings and draws the
   charts.
3. :func:`publish_analysis` writes ``analysis.json`` and the charts, together, into the
   request's output folder, or nowhere when it has none.
4. :func:`run_analysis` is the operators' run path (``argo analysis``): it runs
   ``notebooks/wilson_center_analysis.ipynb`` with the resolved parameters and renders its HTML
   (and PDF), all into a staging folder that replaces
   ``outputs/<site>/analysis/<first day>_<last day>/`` only when every file is written.

The comparison
--------------
The weather-normalised change compares a **reporting** period with a model of the **baseline**
period's load (time of week and outdoor temperature, ASHRAE Guideline 14):

- ``change_date`` (e.g. a retrofit): baseline from ``start`` to the day before, reporting
  from that day to ``end``;
- ``baseline_start``/``baseline_end``: that baseline, reporting the whole period;
- neither: the same dates a year earlier when the database holds them, else the weeks just
  before the period (as many days as the period, at least 28, from the first reading on; at
  least 14 days), else no comparison (the notebook says what to pass).
"""

from __future__ import annotations

import datetime as dt
import html
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
from argo_lib.jobs.explore import (
    _check_has_readings,
    _label,
    _last_day,
    _parse_day,
    _resolve_period,
)
from argo_lib.report import outputs

__all__ = [
    "ARTEFACTS",
    "CHARTS",
    "MAX_DAYS",
    "MIN_BASELINE_DAYS",
    "NOTEBOOK",
    "AnalysisCharts",
    "AnalysisOutputs",
    "AnalysisRequest",
    "AnalysisResult",
    "Note",
    "channel_view",
    "comparison_note",
    "comparison_view",
    "month_view",
    "trend_view",
    "compute_analysis",
    "default_output_dir",
    "is_analysis_file",
    "publish_analysis",
    "run_analysis",
    "summarize_analysis",
]

NOTEBOOK = "wilson_center_analysis"
"""The notebook, ``notebooks/wilson_center_analysis.ipynb`` (any site works)."""
CHARTS = (
    "channel_energy",
    "load_shape_trend",
    "heatmap",
    "week_profiles",
    "day_of_week",
    "months",
    "normalised",
)
"""The charts; each is written as ``<name>.png``."""
PDF = f"{NOTEBOOK}.pdf"
"""The HTML report printed on paper, written when asked (``argo analysis --pdf``)."""
ARTEFACTS = (
    "analysis.json",
    f"{NOTEBOOK}.ipynb",
    f"{NOTEBOOK}.html",
    PDF,
    *(f"{name}.png" for name in CHARTS),
)
"""Every file of a complete run of ``argo analysis``."""
MAX_DAYS = 400
"""Longest period analysed [days]."""
MIN_BASELINE_DAYS = 14
"""Shortest baseline of the weather-normalised comparison [days]."""


def is_analysis_file(name: str) -> bool:
    """Whether a file name is one an analysis run writes (a published folder may hold only these)."""
    return name in ARTEFACTS or name == f"{NOTEBOOK}.failed.ipynb"


def default_output_dir(site: SiteSettings, period: dates.Period, *, settings: Settings) -> Path:
    """``outputs/<site>/analysis/<first day>_<last day>/``: where ``argo analysis`` publishes."""
    return Path(settings.outputs_dir) / str(site.site_id) / "analysis" / _label(period)


# --------------------------------------------------------------------------------------------
# 1. Resolve


def _days(first: dt.date, last: dt.date, tz: str) -> dates.Period:
    """Whole site-local days ``first`` to ``last``, both inclusive."""
    return dates.Period.from_dates(first, last + dt.timedelta(days=1), tz=tz)


def _explicit_baseline(
    site: SiteSettings, period: dates.Period, baseline_start: Any, baseline_end: Any
) -> dates.Period:
    first = _parse_day(baseline_start, "baseline_start")
    last = _parse_day(baseline_end, "baseline_end")
    if last < first:
        raise UsageError(f"baseline_end {last} is before baseline_start {first}")
    if (last - first).days + 1 < MIN_BASELINE_DAYS:
        raise UsageError(
            f"the baseline {first} to {last} is shorter than {MIN_BASELINE_DAYS} days; a "
            "weather-normalised model needs at least two weeks (a year covers every season)"
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise UsageError(f"the baseline is longer than {MAX_DAYS} days; give a shorter one")
    baseline = _days(first, last, site.timezone)
    if baseline.start < period.end and period.start < baseline.end:
        raise UsageError(
            f"the baseline {first} to {last} overlaps the period analysed "
            f"({period.start.date()} to {_last_day(period)}); choose a baseline before it, "
            "or a change_date inside it"
        )
    return baseline


def _automatic_baseline(
    site: SiteSettings, period: dates.Period, first_reading: pd.Timestamp | None
) -> dates.Period | None:
    """The same dates a year earlier if stored, else the weeks just before; None if neither."""
    if first_reading is None:
        return None
    first_day = first_reading.tz_convert(site.tz).date()
    start, last = period.start.date(), _last_day(period)
    length = (last - start).days + 1
    try:
        year_ago = (start.replace(year=start.year - 1), last.replace(year=last.year - 1))
    except ValueError:  # 29 February
        year_ago = (start - dt.timedelta(days=365), last - dt.timedelta(days=365))
    if first_day <= year_ago[0] + dt.timedelta(days=7) and year_ago[1] < start:
        return _days(*year_ago, site.timezone)
    before_last = start - dt.timedelta(days=1)
    before_first = max(start - dt.timedelta(days=max(length, 28)), first_day)
    if (before_last - before_first).days + 1 >= MIN_BASELINE_DAYS:
        return _days(before_first, before_last, site.timezone)
    return None


def _comparison(
    site: SiteSettings,
    period: dates.Period,
    *,
    baseline_start: Any,
    baseline_end: Any,
    change_date: Any,
    first_reading: pd.Timestamp | None,
) -> tuple[dates.Period | None, dates.Period, str]:
    """Baseline, reporting period and how they were chosen."""
    if change_date and (baseline_start or baseline_end):
        raise UsageError(
            "give change_date (before/after within the period) or baseline_start and "
            "baseline_end (a baseline before the period), not both"
        )
    if bool(baseline_start) != bool(baseline_end):
        raise UsageError(
            "give both baseline_start and baseline_end (site-local dates, end inclusive), or "
            f"neither; got baseline_start={baseline_start!r}, baseline_end={baseline_end!r}"
        )
    if change_date:
        day = _parse_day(change_date, "change_date")
        first, last = period.start.date(), _last_day(period)
        if not first < day <= last:
            raise UsageError(
                f"change_date {day} must be inside the period, after its first day "
                f"({first} < change_date <= {last})"
            )
        if (day - first).days < MIN_BASELINE_DAYS:
            raise UsageError(
                f"change_date {day} leaves {(day - first).days} days before it; the baseline "
                f"needs at least {MIN_BASELINE_DAYS}: start the period earlier"
            )
        baseline = _days(first, day - dt.timedelta(days=1), site.timezone)
        return baseline, _days(day, last, site.timezone), f"before and after {day}"
    if baseline_start:
        baseline = _explicit_baseline(site, period, baseline_start, baseline_end)
        return baseline, period, "the baseline given"
    automatic = _automatic_baseline(site, period, first_reading)
    if automatic is None:
        return None, period, "none"
    year = automatic.end <= period.start - pd.Timedelta(days=300)
    return automatic, period, "the same dates a year earlier" if year else "the weeks before"


@dataclass(frozen=True)
class AnalysisRequest:
    """One resolved site analysis: site, period, comparison and output folder.

    Build it with :meth:`resolve`, which checks every parameter before any work.

    Attributes
    ----------
    site : SiteSettings
    period : dates.Period
        Whole site-local days, local midnight to local midnight (DST days are 23 or 25 h).
    baseline : dates.Period or None
        Baseline of the weather-normalised comparison; None: no comparison.
    reporting : dates.Period
        The period compared with the baseline (the whole period, or from ``change_date``).
    comparison : str
        How the baseline was chosen, for the reader.
    change_date : datetime.date or None
    output_dir : pathlib.Path or None
        Where :func:`publish_analysis` writes; None: nowhere.
    database : str
        The database, password masked.
    """

    site: SiteSettings
    period: dates.Period
    baseline: dates.Period | None
    reporting: dates.Period
    comparison: str = "none"
    change_date: dt.date | None = None
    explicit_baseline: bool = False
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
        baseline_start: Any = "",
        baseline_end: Any = "",
        change_date: Any = "",
        output_dir: str | Path | None = None,
        as_of: Any = None,
        engine: Any = None,
    ) -> AnalysisRequest:
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
        baseline_start, baseline_end : str or datetime.date
            Baseline of the weather-normalised comparison (both inclusive, before the period);
            both empty: automatic (see the module's docstring).
        change_date : str or datetime.date
            A day inside the period (e.g. a retrofit): compare the days from it with the days
            before it. Not with ``baseline_start``.
        output_dir : str or pathlib.Path, optional
            Folder :func:`publish_analysis` writes into (relative paths are under the project
            folder); ``""`` or None: nothing is written.
        as_of : datetime-like, optional
            "Now", for ``days`` (default the current time).
        engine : sqlalchemy.engine.Engine, optional
            Default :func:`argo_lib.db.get_engine` (an SQLite file must exist).

        Returns
        -------
        AnalysisRequest

        Raises
        ------
        argo_lib.errors.UsageError
            An unknown site, a bad or inconsistent date, a baseline too short or overlapping
            the period, a period without readings, a missing database, or an output folder
            that holds other files; each message says what to pass instead.
        """
        site = load_site(site_id)
        period = _resolve_period(site, start=start, end=end, days=days, as_of=as_of)
        if (_last_day(period) - period.start.date()).days + 1 > MAX_DAYS:
            raise UsageError(f"the period is longer than {MAX_DAYS} days; give a shorter one")
        folder = None
        if output_dir:
            folder = Path(output_dir).expanduser()
            folder = folder if folder.is_absolute() else PROJECT_ROOT / folder
            outputs.check_replaceable(folder, allowed=is_analysis_file)
        engine = engine if engine is not None else db.get_engine(must_exist=True)
        times = db.last_reading_times(engine, site_id=site.site_id)
        _check_has_readings(site, period, (), times)
        first = times["first_timestamp"].min() if len(times) else None
        baseline, reporting, how = _comparison(
            site,
            period,
            baseline_start=baseline_start,
            baseline_end=baseline_end,
            change_date=change_date,
            first_reading=first,
        )
        return cls(
            site=site,
            period=period,
            baseline=baseline,
            reporting=reporting,
            comparison=how,
            change_date=_parse_day(change_date, "change_date") if change_date else None,
            explicit_baseline=bool(baseline_start),
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
        out: dict[str, Any] = {
            "site_id": str(self.site.site_id),
            "start": self.period.start.date().isoformat(),
            "end": _last_day(self.period).isoformat(),
            "baseline_start": "",
            "baseline_end": "",
            "change_date": self.change_date.isoformat() if self.change_date else "",
        }
        if self.explicit_baseline and self.baseline is not None:
            out["baseline_start"] = self.baseline.start.date().isoformat()
            out["baseline_end"] = _last_day(self.baseline).isoformat()
        return out

    def _describe(self, period: dates.Period | None) -> str:
        if period is None:
            return "none"
        first, last = period.start.date(), _last_day(period)
        return f"{first} to {last} ({(last - first).days + 1} days)"

    def __repr__(self) -> str:
        return (
            f"AnalysisRequest(site={self.site.site_id} {self.site.name!r}, "
            f"tz={self.site.timezone}, period={self.period}, "
            f"baseline={self._describe(self.baseline)}, reporting={self._describe(self.reporting)})"
        )

    def _repr_html_(self) -> str:
        from argo_lib.render import format as fmt

        first, last = self.period.start.date(), _last_day(self.period)
        days = (last - first).days + 1
        rows = [
            ("Site", f"{self.site.name} ({self.site.site_id})"),
            ("Period", f"{first} to {last} ({fmt.plural(days, 'day')}, both inclusive)"),
            ("Time zone", self.site.timezone),
        ]
        if self.baseline is None:
            rows.append(("Baseline", "none: no weather-normalised comparison"))
        else:
            rows += [
                ("Baseline", f"{self._describe(self.baseline)}, {self.comparison}"),
                ("Compared", self._describe(self.reporting)),
            ]
        cells = "".join(
            f"<tr><th>{html.escape(k)}</th><td class='text'>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table class='dataframe argo-table argo-run'>{cells}</table>"


# --------------------------------------------------------------------------------------------
# 2. Compute


@dataclass(frozen=True, eq=False)
class AnalysisCharts(ChartSet):
    """The deep-dive's charts (:mod:`argo_lib.render.plots.analysis`), each a ChartFigure."""

    channel_energy: Any
    load_shape_trend: Any
    heatmap: Any
    week_profiles: Any
    day_of_week: Any
    months: Any
    normalised: Any


@dataclass(frozen=True, eq=False)
class AnalysisResult:
    """One computed site analysis.

    Attributes
    ----------
    request : AnalysisRequest
    analysis : argo_lib.analytics.site_analysis.SiteAnalysis
    change : argo_lib.analytics.normalised.NormalisedChange or None
        None when there is no baseline to compare with.
    findings : argo_lib.analytics.site_analysis.Findings
    charts : AnalysisCharts
    readings : int
        Readings read [count].
    """

    request: AnalysisRequest
    analysis: Any
    change: Any
    findings: Any
    charts: AnalysisCharts
    readings: int


_COLUMNS = ("energy_kwh", "power_kw", "power_factor", "voltage_v")


def _read(engine: Any, site: SiteSettings, period: dates.Period) -> pd.DataFrame:
    return db.read_readings(
        engine, site_id=site.site_id, start=period.start, end=period.end, columns=_COLUMNS
    )


def _temperature(engine: Any, site: SiteSettings, *periods: dates.Period) -> pd.Series | None:
    frames = [
        db.read_weather(engine, site_id=site.site_id, start=p.start, end=p.end) for p in periods
    ]
    weather = pd.concat(frames, ignore_index=True).drop_duplicates("timestamp")
    if not weather["temperature_c"].notna().any():
        return None
    return weather.sort_values("timestamp").set_index("timestamp")["temperature_c"]


def compute_analysis(request: AnalysisRequest, *, engine: Any = None) -> AnalysisResult:
    """Read the readings and weather once, analyse, compare, rank the findings, draw the charts.

    Parameters
    ----------
    request : AnalysisRequest
        From :meth:`AnalysisRequest.resolve`.
    engine : sqlalchemy.engine.Engine, optional
        Default :func:`argo_lib.db.get_engine` (an SQLite file must exist).

    Returns
    -------
    AnalysisResult
    """
    from argo_lib.analytics.normalised import normalised_change
    from argo_lib.analytics.site_analysis import analyse_site, rank_findings
    from argo_lib.render.plots import analysis as plots

    engine = engine if engine is not None else db.get_engine(must_exist=True)
    site = request.site
    channels = db.read_channels(engine, site_id=site.site_id)
    readings = _read(engine, site, request.period)
    analysed = analyse_site(readings, site=site, period=request.period, channels=channels)
    change = None
    n_read = len(readings)
    if request.baseline is not None:
        inside = request.baseline.start >= request.period.start  # change_date: one read
        before = readings if inside else _read(engine, site, request.baseline)
        n_read += 0 if inside else len(before)
        both = readings if inside else pd.concat([before, readings], ignore_index=True)
        change = normalised_change(
            both,
            site=site,
            baseline=request.baseline,
            reporting=request.reporting,
            temperature=_temperature(engine, site, request.baseline, request.reporting),
            channels=channels,
        )
    findings = rank_findings(analysed, change)
    suffix = f"{request.period.start.date()} to {_last_day(request.period)}"
    charts = AnalysisCharts(
        channel_energy=plots.plot_channel_energy(
            analysed.channels, currency=analysed.facility.currency
        ),
        load_shape_trend=plots.plot_load_shape_trend(analysed.daily),
        heatmap=plots.plot_heatmap(analysed.heatmap, title_suffix=suffix),
        week_profiles=plots.plot_week_profiles(analysed.profiles),
        day_of_week=plots.plot_day_of_week(analysed.day_of_week),
        months=plots.plot_months(analysed.months),
        normalised=plots.plot_normalised(
            change.daily if change is not None else _empty_normalised()
        ),
    )
    return AnalysisResult(
        request=request,
        analysis=analysed,
        change=change,
        findings=findings,
        charts=charts,
        readings=n_read,
    )


def _empty_normalised() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": pd.Series(dtype=object),
            "period": pd.Series(dtype=object),
            "actual_kwh": pd.Series(dtype=float),
            "expected_kwh": pd.Series(dtype=float),
            "hours": pd.Series(dtype=float),
            "temperature_c": pd.Series(dtype=float),
        }
    )


# --------------------------------------------------------------------------------------------
# Views for the notebook


def _cell(digits: int, column: str, *, scale: float = 1.0) -> Any:
    from argo_lib.render import format as fmt

    def cell(row: Any) -> str:
        value = row[column]
        if value is None or pd.isna(value):
            return fmt.number(None, digits)
        value = float(value) * scale
        return fmt.number(value if round(value, digits) != 0 else 0.0, digits)  # never "-0"

    return cell


def _signed(value: Any, digits: int) -> str:
    """``+1.5``, ``−0.3`` or ``0.0`` (never ``-0``); an en dash for a missing value."""
    if value is None or pd.isna(value):
        return "–"
    value = float(value)
    if round(value, digits) == 0:
        return f"{0.0:.{digits}f}"
    return f"{value:+,.{digits}f}".replace("-", "−")


def _text(column: str) -> Any:
    return lambda row: html.escape(str(row[column]))


def channel_view(result: AnalysisResult) -> Any:
    """The per-channel table as the report shows it: largest energy first, units in headers.

    Power factor and voltage columns appear when the meters report them. The numbers are
    ``result.analysis.channels`` (a DataFrame, for analysts).
    """
    from argo_lib.render import format as fmt
    from argo_lib.render import views

    ch = result.analysis.channels
    cur = result.analysis.facility.currency
    columns = [
        ("Channel", _text("channel_name"), "l"),
        ("Energy [kWh]", _cell(0, "energy_kwh"), "r"),
        ("Share [%]", _cell(1, "share", scale=100.0), "r"),
        ("Cost", lambda r: fmt.money(r["cost"], cur, digits=0), "r"),
        ("Average [kW]", _cell(2, "average_kw"), "r"),
        ("Peak [kW]", _cell(2, "peak_kw"), "r"),
        ("After hours [%]", _cell(0, "after_hours_share", scale=100.0), "r"),
        ("Coverage [%]", _cell(1, "coverage", scale=100.0), "r"),
    ]
    if ch["power_factor"].notna().any():
        columns += [
            ("Power factor", _cell(2, "power_factor"), "r"),
            ("PF P5", _cell(2, "power_factor_p5"), "r"),
        ]
    if ch["voltage_v"].notna().any():
        columns += [
            ("Voltage [V]", _cell(1, "voltage_v"), "r"),
            ("Lowest [V]", _cell(1, "voltage_min_v"), "r"),
            ("Highest [V]", _cell(1, "voltage_max_v"), "r"),
        ]
    return views.table(ch.to_dict("records"), columns, empty="No channel has readings.")


_TREND_NAMES = {
    "base_kw": "Base load",
    "peak_kw": "Peak demand",
    "energy_kwh": "Daily energy",
    "high_load_hours": "Hours of high load",
}


def trend_view(result: AnalysisResult) -> Any:
    """The load-shape trends: Theil–Sen slope per 30 days with its 95 % interval."""
    from argo_lib.render import views

    def signed(column: str, digits: int) -> Any:
        return lambda r: _signed(r[column], digits)

    columns = [
        ("Metric", lambda r: html.escape(_TREND_NAMES[r["metric"]]), "l"),
        ("Days", _text("days"), "l"),
        ("Count", lambda r: str(r["kind"]), "r"),
        ("Median", _cell(1, "median"), "r"),
        ("Unit", _text("unit"), "l"),
        ("Per 30 days", signed("slope_per_30d", 2), "r"),
        (
            "95 % interval",
            lambda r: f"{signed('low_per_30d', 2)(r)} to {signed('high_per_30d', 2)(r)}",
            "r",
        ),
        (
            "Over the period",
            lambda r: f"{_signed(r['change_pct'], 0)} %",
            "r",
        ),
        ("Significant", lambda r: "yes" if r["significant"] else "no", "l"),
    ]
    return views.table(
        result.analysis.trends.to_dict("records"), columns, empty="Too few days for a trend."
    )


def month_view(result: AnalysisResult) -> Any:
    """Month over month: days, energy, energy per day and its change, cost, peak demand."""
    from argo_lib.render import format as fmt
    from argo_lib.render import views

    cur = result.analysis.facility.currency
    columns = [
        ("Month", _text("month"), "l"),
        ("Days in period", lambda r: str(r["days_in_period"]), "r"),
        ("Complete days", lambda r: str(r["days"]), "r"),
        ("Energy [kWh]", _cell(0, "energy_kwh"), "r"),
        ("Per day [kWh]", _cell(0, "kwh_per_day"), "r"),
        (
            "Change [%]",
            lambda r: _signed(r["change_pct"], 1),
            "r",
        ),
        ("Energy cost", lambda r: fmt.money(r["cost"], cur, digits=0), "r"),
        ("Peak [kW]", _cell(1, "peak_kw"), "r"),
    ]
    if result.analysis.facility.demand_cost is not None:
        columns.append(("Demand charge", lambda r: fmt.money(r["demand_cost"], cur, digits=0), "r"))
    return views.table(result.analysis.months.to_dict("records"), columns, empty="No readings.")


@dataclass(frozen=True)
class Note:
    """A sentence or two for the reader: plain text, a paragraph in HTML."""

    text: str

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<p class='argo-note'>{html.escape(self.text)}</p>"


def comparison_note(result: AnalysisResult) -> Note:
    """What the weather-normalised comparison found, or why there is none and what to pass."""
    request = result.request
    if result.change is None:
        return Note(
            "No weather-normalised comparison: the database holds no baseline for this period "
            f"(neither the same dates a year earlier nor {MIN_BASELINE_DAYS} days or more just "
            "before it). Pass baseline_start and baseline_end (a period before this one), or "
            "change_date (a day inside the period, e.g. a retrofit, with at least "
            f"{MIN_BASELINE_DAYS} days before it)."
        )
    assert request.baseline is not None  # a change has a baseline
    return Note(
        f"Baseline {request._describe(request.baseline)} ({request.comparison}); compared "
        f"{request._describe(request.reporting)}. {result.change.message}"
    )


def comparison_view(result: AnalysisResult) -> Any:
    """The weather-normalised comparison, site first, then each channel; None without one."""
    from argo_lib.render import views

    if result.change is None:
        return None
    columns = [
        ("Channel", _text("channel_name"), "l"),
        ("Model", lambda r: html.escape(str(r["model_status"]).replace("_", " ")), "l"),
        (
            "CV(RMSE) in / out [%]",
            lambda r: f"{_cell(1, 'cv_rmse_pct')(r)} / {_cell(1, 'cv_rmse_oos_pct')(r)}",
            "r",
        ),
        (
            "NMBE in / out [%]",
            lambda r: f"{_cell(2, 'nmbe_pct')(r)} / {_cell(2, 'nmbe_oos_pct')(r)}",
            "r",
        ),
        ("Guideline 14", lambda r: "met" if r["meets_g14"] else "not met", "l"),
        ("Actual [kWh]", _cell(0, "actual_kwh"), "r"),
        ("Expected [kWh]", _cell(0, "expected_kwh"), "r"),
        ("Change [%]", lambda r: _signed(r["change_pct"], 1), "r"),
        (
            "Change ± 90 % [kWh]",
            lambda r: f"{_signed(r['change_kwh'], 0)} ± {_cell(0, 'uncertainty_kwh')(r)}",
            "r",
        ),
        ("FSU [%]", _cell(0, "fsu_pct"), "r"),
    ]
    return views.table(
        result.change.models.to_dict("records"), columns, empty="No channel to compare."
    )


# --------------------------------------------------------------------------------------------
# 3. Publish


def _number(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return round(value, 6) if np.isfinite(value) else None


def _period_doc(period: dates.Period | None) -> dict[str, Any] | None:
    if period is None:
        return None
    return {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "first_day": period.start.date().isoformat(),
        "last_day": _last_day(period).isoformat(),
    }


def summarize_analysis(result: AnalysisResult) -> dict[str, Any]:
    """The analysis' key numbers, as written to ``analysis.json``.

    Returns
    -------
    dict
        ``site_id``, ``period``, ``parameters``, ``facility`` (energy [kWh], costs [currency],
        carbon [kg CO2e], demand [kW], shares [-], coverage [-]), ``channels`` (per channel:
        energy, share, cost, average and peak kW, power factor, voltage), ``comparison``
        (baseline and reporting periods, status, message and the site's and channels'
        savings, uncertainty and Guideline 14 statistics; null without a baseline),
        ``findings`` (ranked: topic, text, energy [kWh], cost [currency]) and ``trends``.
    """
    a, request = result.analysis, result.request
    f = a.facility
    facility = {
        key: _number(getattr(f, key))
        for key in (
            "energy_kwh",
            "energy_cost",
            "demand_cost",
            "total_cost",
            "carbon_kg",
            "average_kw",
            "peak_kw",
            "load_factor",
            "base_kw",
            "base_share",
            "after_hours_kwh",
            "after_hours_share",
            "after_hours_hours_share",
            "coverage",
            "hours",
        )
    }
    facility.update(
        currency=f.currency,
        peak_at=f.peak_at,
        source=f.source,
        demand_interval_s=f.demand_interval_s,
    )
    channel_keys = ("energy_kwh", "share", "cost", "average_kw", "peak_kw", "coverage")
    channels = [
        {
            "channel_id": int(row["channel_id"]),
            "channel_name": str(row["channel_name"]),
            **{k: _number(row[k]) for k in channel_keys},
            "power_factor": _number(row["power_factor"]),
            "voltage_v": _number(row["voltage_v"]),
        }
        for row in a.channels.to_dict("records")  # one per channel
    ]
    comparison = None
    if result.change is not None:
        keys = (
            "cv_rmse_pct",
            "nmbe_pct",
            "cv_rmse_oos_pct",
            "nmbe_oos_pct",
            "actual_kwh",
            "expected_kwh",
            "change_pct",
            "savings_kwh",
            "uncertainty_kwh",
            "fsu_pct",
        )
        comparison = {
            "how": request.comparison,
            "baseline": _period_doc(request.baseline),
            "reporting": _period_doc(request.reporting),
            "status": result.change.status,
            "message": result.change.message,
            "models": [
                {
                    "channel_id": int(row["channel_id"]),
                    "channel_name": str(row["channel_name"]),
                    "model_status": str(row["model_status"]),
                    "meets_g14": bool(row["meets_g14"]),
                    "significant": bool(row["significant"]),
                    **{k: _number(row[k]) for k in keys},
                }
                for row in result.change.models.to_dict("records")  # channels and the site
            ],
        }
    findings = [
        {
            "rank": int(row["rank"]),
            "topic": str(row["topic"]),
            "text": str(row["finding"]),
            "energy_kwh": _number(row["energy_kwh"]),
            "cost": _number(row["cost"]),
        }
        for row in result.findings.to_frame().to_dict("records")  # a dozen findings
    ]
    return {
        "site_id": str(request.site.site_id),
        "period": {**(_period_doc(request.period) or {}), "hours": request.period.hours},
        "parameters": request.parameters,
        "facility": facility,
        "channels": channels,
        "comparison": comparison,
        "findings": findings,
        "trends": [
            {str(k): (v if isinstance(v, str | bool) else _number(v)) for k, v in row.items()}
            for row in a.trends.to_dict("records")
        ],
    }


def publish_analysis(result: AnalysisResult) -> Path | None:
    """Write ``analysis.json`` and the charts together into the request's output folder.

    Returns
    -------
    pathlib.Path or None
        The folder written, or None when the request has no output folder.
    """
    return publish_files(
        result.request.output_dir,
        allowed=is_analysis_file,
        json_name="analysis.json",
        doc=summarize_analysis(result),
        charts=result.charts,
        what=f"analysis {result.request.label}",
    )


# --------------------------------------------------------------------------------------------
# 4. The operators' run path


@dataclass(frozen=True)
class AnalysisOutputs(SummaryOutputs):
    """Files of one ``argo analysis`` run (``summary``: the contents of ``analysis.json``) and its times."""

    stem: ClassVar[str] = NOTEBOOK


def run_analysis(
    request: AnalysisRequest,
    *,
    database_url: str,
    output_dir: str | Path | None = None,
    pdf: bool = False,
    paper: str | None = None,
    settings: Settings | None = None,
) -> AnalysisOutputs:
    """Run the deep-dive notebook for a resolved request, render its HTML (and PDF), publish.

    Parameters
    ----------
    request : AnalysisRequest
        From :meth:`AnalysisRequest.resolve` (its own ``output_dir`` is not used).
    database_url : str
        The database the kernel reads (through its environment, never as a parameter).
    output_dir : str or pathlib.Path, optional
        The published folder; default ``outputs/<site>/analysis/<first day>_<last day>/``.
    pdf : bool
        Also print the HTML report to ``wilson_center_analysis.pdf`` with headless Chromium;
        Chromium is checked before any work.
    paper : str, optional
        ``"A4"`` or ``"Letter"``; default by the site's country.
    settings : Settings, optional
        Default :func:`argo_lib.config.get_settings`.

    Returns
    -------
    AnalysisOutputs

    Raises
    ------
    argo_lib.report.outputs.OutputFolderError
        Before any work, when the output folder holds files no run wrote.
    argo_lib.report.notebook.NotebookRunError
        If the notebook fails; the run's files are kept in ``<folder>.failed``.
    """
    settings = settings or get_settings()
    title = f"Site analysis: {request.site.name}, {request.label.replace('_', ' to ')}"
    return run_summary_report(
        AnalysisOutputs,
        output_dir=output_dir,
        default=default_output_dir(request.site, request.period, settings=settings),
        allowed=is_analysis_file,
        publisher="publish_analysis",
        json_name="analysis.json",
        parameters=request.parameters,
        database_url=database_url,
        title=title,
        pdf=pdf,
        paper=paper,
        country=request.site.country,
    )
