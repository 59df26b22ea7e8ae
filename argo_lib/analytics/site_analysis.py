"""The site deep-dive over any period: facility summary, channels, load shape, calendar patterns.

:func:`analyse_site` lays a period's readings on the expected interval grid
(:mod:`argo_lib.analytics.grid`), runs the sensor checks of :mod:`argo_lib.analytics.health`
(outages' zeros, catch-up readings, stuck, negative and implausible readings are left out;
the energy a catch-up reading carries is counted, as in the weekly brief) and answers the
questions of ``notebooks/wilson_center_analysis.ipynb``:

- the **facility summary** (:class:`FacilitySummary`): energy [kWh], its cost at the site's
  tariff (flat or time-of-use, in site-local time), the demand charge on each calendar month's
  peak at the billing interval, carbon [kg CO2e], average and peak demand [kW], load factor,
  the always-on load and the after-hours share of the energy;
- **per channel** (:attr:`SiteAnalysis.channels`): energy, share of the site, cost, average and
  peak demand, coverage, and the power factor and voltage where the meter reports them;
- the site's **daily load shape** (:attr:`SiteAnalysis.daily`, from
  :func:`argo_lib.analytics.load_shape.load_shape`) and its trend over the period
  (:attr:`SiteAnalysis.trends`: Theil–Sen slopes with 95 % confidence intervals, robust to
  a few odd days);
- a **date × hour heat map**, **weekday and weekend profiles**, **day-of-week** means and
  **month over month** totals.

The site's load is its main (utility) meter, or the sum of the channels where there is none
(the Wilson Center has none), as in the weekly brief. The sum is only formed in intervals where
every one of those channels has a trusted reading: an interval with a channel missing would
look like a low load. Energy totals are the sum of each channel's measured energy (a missing
reading adds nothing; :attr:`FacilitySummary.coverage` says how complete they are).

Everything is computed with numpy and pandas over whole arrays; nothing loops over readings.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps  # type: ignore[import-untyped]

from argo_lib import dates
from argo_lib.analytics import costs, health, load_shape
from argo_lib.analytics.grid import Grid, build_grids, channel_table, check_readings
from argo_lib.analytics.site_load import _site_sum
from argo_lib.analytics.week import _catch_up_energy, site_holidays
from argo_lib.render import format as fmt
from argo_lib.thresholds import HealthThresholds

__all__ = [
    "CHANNEL_COLUMNS",
    "DAILY_COLUMNS",
    "FINDING_COLUMNS",
    "TREND_COLUMNS",
    "FacilitySummary",
    "Finding",
    "Findings",
    "SiteAnalysis",
    "analyse_site",
    "rank_findings",
]

CHANNEL_COLUMNS = (
    "channel_id",
    "channel_name",
    "role",
    "energy_kwh",
    "share",
    "cost",
    "average_kw",
    "peak_kw",
    "after_hours_share",
    "coverage",
    "power_factor",
    "power_factor_p5",
    "voltage_v",
    "voltage_min_v",
    "voltage_max_v",
)
"""Columns of :attr:`SiteAnalysis.channels`."""

DAILY_COLUMNS = (
    "date",
    "day_type",
    "energy_kwh",
    "base_kw",
    "peak_kw",
    "peak_to_base",
    "load_factor",
    "high_load_hours",
    "rise_hour",
    "fall_hour",
    "after_hours_share",
    "coverage",
)
"""Columns of :attr:`SiteAnalysis.daily`."""

TREND_COLUMNS = (
    "metric",
    "days",
    "kind",
    "median",
    "slope_per_30d",
    "low_per_30d",
    "high_per_30d",
    "change_pct",
    "significant",
    "unit",
)
"""Columns of :attr:`SiteAnalysis.trends`."""

COMPLETE_DAY = 0.9
"""Share of a day's intervals a day needs to count as complete in the daily statistics [-]."""

FLAT_DAY = 1.3
"""Peak-to-base ratio under which a day is flat: no operating window (rise, fall) [-]."""

_DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_NS_PER_DAY = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class FacilitySummary:
    """The site's period in whole numbers.

    Attributes
    ----------
    energy_kwh : float
        Measured energy of the site's load [kWh] (main meter, else the sum of the channels).
    energy_cost : float
        That energy at the tariff's price of each interval [currency].
    demand_cost : float or None
        Demand charges: each calendar month's peak in the period × the demand rate
        [currency]; None when the tariff has none.
    total_cost : float
        ``energy_cost`` + ``demand_cost`` [currency].
    currency : str
    carbon_kg : float
        ``energy_kwh`` × the site's carbon factor [kg CO2e].
    average_kw : float
        Mean site demand over the intervals where the whole site was measured [kW].
    peak_kw : float
        Highest site demand at the billing interval [kW].
    peak_at : str or None
        Site-local start of the peak interval.
    load_factor : float
        ``average_kw / peak_kw`` [-].
    base_kw : float
        The always-on load: the 5th percentile of site demand [kW].
    base_share : float
        Energy the always-on load accounts for over the period [-].
    after_hours_kwh : float
        Energy outside opening hours (nights, weekends, holidays) [kWh].
    after_hours_share : float
        ``after_hours_kwh / energy_kwh`` [-].
    after_hours_hours_share : float
        Share of the period's hours outside opening hours [-]: an after-hours share of the
        energy close to it means the building hardly turns down when closed.
    coverage : float
        Expected channel intervals with a trusted reading [-].
    hours : float
        Length of the period [h] (DST days are 23 or 25 h).
    source : str
        ``"main meter"`` or ``"sum of the meters"``.
    demand_interval_s : int
        Interval the peak is measured at [s]: the billing interval, or the data's resolution
        when that is coarser (hourly data understate a 15-min peak).
    tou : pandas.DataFrame
        Energy and cost per tariff period (``period``, ``energy_kwh``, ``cost``, ``share``).
    """

    energy_kwh: float
    energy_cost: float
    demand_cost: float | None
    total_cost: float
    currency: str
    carbon_kg: float
    average_kw: float
    peak_kw: float
    peak_at: str | None
    load_factor: float
    base_kw: float
    base_share: float
    after_hours_kwh: float
    after_hours_share: float
    after_hours_hours_share: float
    coverage: float
    hours: float
    source: str
    demand_interval_s: int
    tou: pd.DataFrame = dataclasses.field(repr=False)

    def table(self) -> pd.DataFrame:
        """The summary as rows of ``quantity``, ``value`` (formatted text) and ``unit``."""
        money = lambda v: fmt.money(v, self.currency, digits=0)  # noqa: E731
        interval = f"{self.demand_interval_s // 60}-min"
        rows = [
            ("Energy", fmt.number(self.energy_kwh, 0), "kWh"),
            ("Energy cost", money(self.energy_cost), self.currency),
            (
                "Demand charges",
                "no demand charge" if self.demand_cost is None else money(self.demand_cost),
                self.currency if self.demand_cost is not None else "",
            ),
            ("Total cost", money(self.total_cost), self.currency),
            ("Carbon", fmt.number(self.carbon_kg / 1000.0, 1), "t CO2e"),
            ("Average demand", fmt.number(self.average_kw, 1), "kW"),
            (
                f"Peak demand ({interval})",
                fmt.number(self.peak_kw, 1)
                + (f" on {fmt.local_time(self.peak_at)}" if self.peak_at else ""),
                "kW",
            ),
            ("Load factor", fmt.number(100.0 * self.load_factor, 0), "%"),
            ("Always-on load (P5)", fmt.number(self.base_kw, 1), "kW"),
            ("Always-on share of energy", fmt.number(100.0 * self.base_share, 0), "%"),
            ("After-hours energy", fmt.number(self.after_hours_kwh, 0), "kWh"),
            ("After-hours share", fmt.number(100.0 * self.after_hours_share, 0), "%"),
            ("Data coverage", fmt.number(100.0 * self.coverage, 1), "%"),
        ]
        return pd.DataFrame(rows, columns=["quantity", "value", "unit"])

    def _repr_html_(self) -> str:
        cells = "".join(
            f"<tr><th>{html.escape(q)}</th><td>{html.escape(v)}</td>"
            f"<td class='text'>{html.escape(u)}</td></tr>"
            for q, v, u in self.table().itertuples(index=False)
        )
        return f"<table class='dataframe argo-table argo-facility'>{cells}</table>"


@dataclass(frozen=True, eq=False)
class SiteAnalysis:
    """Everything :func:`analyse_site` found about a site over a period.

    Attributes
    ----------
    site : config.SiteSettings
    period : dates.Period
        Whole site-local days, half-open.
    facility : FacilitySummary
    channels : pandas.DataFrame
        Columns :data:`CHANNEL_COLUMNS`, one row per analysed channel, largest energy first:
        ``energy_kwh`` [kWh], ``share`` of the site's energy [-], ``cost`` [currency],
        ``average_kw`` and ``peak_kw`` [kW], ``after_hours_share`` [-], ``coverage`` [-],
        energy-weighted mean ``power_factor`` and its 5th percentile ``power_factor_p5`` [-],
        mean, lowest and highest ``voltage_v`` [V] (NaN where the meter does not report them).
    daily : pandas.DataFrame
        The site's load shape per local day, columns :data:`DAILY_COLUMNS`: ``day_type``
        ("weekday", "saturday", "sunday", "holiday"), energy [kWh], base (P5) and peak [kW],
        peak-to-base and load factor [-], high-load hours [h], ``rise_hour``/``fall_hour`` (local
        time of day the load first rises above / last falls below the midpoint between base and
        peak [h], NaN when it never does or the day is flat: peak under :data:`FLAT_DAY` × base),
        after-hours share and coverage [-].
    trends : pandas.DataFrame
        Columns :data:`TREND_COLUMNS`: Theil–Sen slope of each daily metric over the period per
        30 days with its 95 % interval, and the change over the period relative to the median
        [%]; ``significant`` when the interval excludes 0.
    heatmap : pandas.DataFrame
        Mean site demand [kW]: one row per local date, one column per local hour (0–23).
    profiles : pandas.DataFrame
        ``day_kind`` ("weekday", "weekend"), local ``hour``, ``median_kw``, ``p25_kw``,
        ``p75_kw`` and ``intervals`` of site demand.
    day_of_week : pandas.DataFrame
        ``weekday`` (0 = Monday), ``name``, ``mean_kwh``, ``min_kwh``, ``max_kwh`` and ``days``:
        daily energy of the complete days that are not holidays.
    months : pandas.DataFrame
        Per local calendar month: ``month`` ("2026-10"), ``days_in_period``, ``days`` (complete
        days), ``energy_kwh`` [kWh], ``kwh_per_day`` (mean over complete days), ``cost``
        (energy) [currency], ``peak_kw`` [kW], ``demand_cost`` [currency] and
        ``change_pct`` of ``kwh_per_day`` against the month before [%].
    issues : pandas.DataFrame
        Sensor and communication issues of the period (:func:`argo_lib.analytics.health.
        check_health`).
    holidays : tuple of datetime.date
        Public holidays in the period.
    resolution_s : int
        Interval of the site's load [s] (the finest among its meters).
    """

    site: Any
    period: dates.Period
    facility: FacilitySummary
    channels: pd.DataFrame
    daily: pd.DataFrame
    trends: pd.DataFrame
    heatmap: pd.DataFrame
    profiles: pd.DataFrame
    day_of_week: pd.DataFrame
    months: pd.DataFrame
    issues: pd.DataFrame
    holidays: tuple[dt.date, ...] = ()
    resolution_s: int = 900


# --------------------------------------------------------------------------------------------
# Site load


@dataclass(frozen=True, eq=False)
class _SiteLoad:
    grid: Grid  # one column (id 0): site demand, NaN where not every channel was measured
    ids: np.ndarray  # the channels that make it
    source: str


def _energy(g: Grid) -> np.ndarray:
    return np.where(np.isfinite(g.energy_kwh), g.energy_kwh, g.load_kw * g.dt_h)


def _site_load(clean: dict[int, Grid], table: pd.DataFrame) -> _SiteLoad | None:
    ids = table["channel_id"].to_numpy(dtype=np.int64)
    main = ids[(table["role"].astype(str) == "main").to_numpy()]
    with_data = np.concatenate(
        [g.channel_ids[g.present.any(axis=0)] for g in clean.values()] or [np.empty(0, int)]
    )
    pool = main if main.size else ids
    chosen = pool[np.isin(pool, with_data)]
    if chosen.size == 0:
        return None
    res = int(table.loc[table["channel_id"].isin(chosen), "resolution_s"].min())
    fine = clean[res]
    load, energy, present = _site_sum(clean, chosen, fine.index, res)
    complete = present == chosen.size
    load = np.where(complete, load, np.nan)[:, None]
    energy = np.where(complete, energy, np.nan)[:, None]
    grid = dataclasses.replace(
        fine, channel_ids=np.array([0]), energy_kwh=energy, power_kw=load, load_kw=load
    )
    return _SiteLoad(grid, chosen, "main meter" if main.size else "sum of the meters")


def _billing_demand(g: Grid, interval_s: int) -> tuple[pd.Series, int]:
    """Site demand per billing interval [kW] (block means; NaN where an interval is missing)."""
    load = pd.Series(g.load_kw[:, 0], index=g.index)
    if g.resolution_s >= interval_s:
        return load, g.resolution_s
    per = interval_s // g.resolution_s
    blocks = load.resample(f"{interval_s}s").mean()
    counts = load.resample(f"{interval_s}s").count()
    return blocks.where(counts == per), interval_s


# --------------------------------------------------------------------------------------------
# Tables


def _local_months(index: pd.DatetimeIndex, tz: Any) -> np.ndarray:
    return np.asarray(index.tz_convert(tz).strftime("%Y-%m"))


def _channels(
    clean: dict[int, Grid],
    catch_up: dict[int, np.ndarray],
    rates: dict[int, np.ndarray],
    measured: dict[int, np.ndarray],
    frame: pd.DataFrame,
    table: pd.DataFrame,
    site_kwh: float,
) -> pd.DataFrame:
    parts = []
    for res, g in clean.items():  # one or two resolutions
        energy = np.where(np.isfinite(_energy(g)), _energy(g), 0.0) + catch_up[res]
        after = (~g.business)[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            total = energy.sum(axis=0)
            parts.append(
                pd.DataFrame(
                    {
                        "channel_id": g.channel_ids,
                        "energy_kwh": total,
                        "cost": (energy * rates[res][:, None]).sum(axis=0),
                        "average_kw": np.nanmean(np.where(g.present, g.load_kw, np.nan), axis=0)
                        if len(g.index)
                        else np.nan,
                        "peak_kw": np.nanmax(np.where(g.present, g.load_kw, -np.inf), axis=0),
                        "after_hours_share": np.where(after, energy, 0.0).sum(axis=0) / total,
                        "coverage": measured[res].mean(axis=0),
                    }
                )
            )
    out = pd.concat(parts, ignore_index=True)
    out.loc[~np.isfinite(out["peak_kw"]), "peak_kw"] = np.nan
    out.loc[out["coverage"] == 0, ["energy_kwh", "cost"]] = np.nan
    info = table.set_index("channel_id")
    out.insert(1, "channel_name", out["channel_id"].map(info["channel_name"]))
    out.insert(2, "role", out["channel_id"].map(info["role"]))
    out.insert(4, "share", out["energy_kwh"] / site_kwh if site_kwh > 0 else np.nan)
    # power factor and voltage from the readings themselves, where the meter reports them
    electrical = pd.DataFrame(index=pd.Index(out["channel_id"]))
    if "power_factor" in frame.columns and frame["power_factor"].notna().any():
        pf = frame[["channel_id", "power_factor", "energy_kwh"]].dropna()
        pf = pf[(pf["power_factor"] > 0) & (pf["energy_kwh"] > 0)]
        weighted = (pf["power_factor"] * pf["energy_kwh"]).groupby(pf["channel_id"]).sum()
        electrical["power_factor"] = weighted / pf.groupby("channel_id")["energy_kwh"].sum()
        electrical["power_factor_p5"] = pf.groupby("channel_id")["power_factor"].quantile(0.05)
    if "voltage_v" in frame.columns and frame["voltage_v"].notna().any():
        volts = frame.loc[frame["voltage_v"] > 0].groupby("channel_id")["voltage_v"]
        electrical["voltage_v"] = volts.mean()
        electrical["voltage_min_v"] = volts.min()
        electrical["voltage_max_v"] = volts.max()
    for column in CHANNEL_COLUMNS[-5:]:
        if column in electrical.columns:
            out[column] = out["channel_id"].map(electrical[column])
        else:
            out[column] = np.nan
    out = out.sort_values("energy_kwh", ascending=False, na_position="last", ignore_index=True)
    return out[list(CHANNEL_COLUMNS)]


def _hours_of_day(text: pd.Series) -> np.ndarray:
    """``"HH:MM"`` (or None) as hours of the day (NaN for None)."""
    parts = text.fillna("nan:nan").str.split(":", expand=True)
    hours = pd.to_numeric(parts[0], errors="coerce")
    minutes = pd.to_numeric(parts[1], errors="coerce")
    return (hours + minutes / 60.0).to_numpy(dtype=float)


def _daily(site: Grid, holidays: tuple[dt.date, ...]) -> pd.DataFrame:
    shape, _ = load_shape.load_shape(site)
    kind = shape["day_type"].to_numpy(dtype=object).copy()
    is_holiday = shape["date"].isin(set(holidays)).to_numpy()
    kind[kind == "sunday_holiday"] = "sunday"
    kind[is_holiday] = "holiday"
    out = pd.DataFrame(
        {
            "date": shape["date"].to_numpy(),
            "day_type": kind,
            **{
                c: shape[c].to_numpy(dtype=float)
                for c in (
                    "energy_kwh",
                    "base_kw",
                    "peak_kw",
                    "peak_to_base",
                    "load_factor",
                    "high_load_hours",
                )
            },
            "rise_hour": _hours_of_day(shape["rise_time"]),
            "fall_hour": _hours_of_day(shape["fall_time"]),
            "after_hours_share": shape["after_hours_share"].to_numpy(dtype=float),
            "coverage": shape["coverage"].to_numpy(dtype=float),
        }
    )
    # a flat day (peak within FLAT_DAY of its base) has no operating window: its "rise" and
    # "fall" would be where noise first and last crosses the midpoint
    flat = (out["peak_to_base"] < FLAT_DAY).to_numpy()
    out.loc[flat, ["rise_hour", "fall_hour"]] = np.nan
    out.loc[flat, "high_load_hours"] = 0.0
    # a day's energy is its mean demand over its measured intervals × its length (23/24/25 h):
    # a day with a few missing intervals is not a low day
    with np.errstate(invalid="ignore", divide="ignore"):
        out["energy_kwh"] = out["energy_kwh"] / out["coverage"]
    out.loc[out["coverage"] < COMPLETE_DAY, "energy_kwh"] = np.nan
    return out[list(DAILY_COLUMNS)]


def _trend(days: np.ndarray, values: np.ndarray) -> tuple[float, float, float, float]:
    ok = np.isfinite(values)
    if ok.sum() < 7 or np.ptp(days[ok]) < 14:
        return (np.nan,) * 4
    slope, _, low, high = sps.theilslopes(values[ok], days[ok], alpha=0.95)
    return float(np.median(values[ok])), float(slope), float(low), float(high)


def _trends(daily: pd.DataFrame) -> pd.DataFrame:
    working = (daily["day_type"] == "weekday") & (daily["coverage"] >= COMPLETE_DAY)
    closed = (daily["day_type"] != "weekday") & (daily["coverage"] >= COMPLETE_DAY)
    day_no = np.array([d.toordinal() for d in daily["date"]], dtype=float)
    span = float(np.ptp(day_no)) if len(day_no) else 0.0
    specs = (
        ("base_kw", "working days", working, "kW"),
        ("peak_kw", "working days", working, "kW"),
        ("energy_kwh", "working days", working, "kWh/day"),
        ("base_kw", "closed days", closed, "kW"),
        ("energy_kwh", "closed days", closed, "kWh/day"),
        ("high_load_hours", "working days", working, "h"),
    )
    rows = []
    for metric, label, mask, unit in specs:  # six fits over the days
        m = mask.to_numpy()
        median, slope, low, high = _trend(day_no[m], daily[metric].to_numpy(dtype=float)[m])
        with np.errstate(invalid="ignore", divide="ignore"):
            change = slope * span / median * 100.0 if median else np.nan
        rows.append(
            {
                "metric": metric,
                "days": label,
                "kind": int(m.sum()),
                "median": median,
                "slope_per_30d": slope * 30.0,
                "low_per_30d": low * 30.0,
                "high_per_30d": high * 30.0,
                "change_pct": change,
                "significant": bool(np.isfinite(low) and (low > 0 or high < 0)),
                "unit": unit,
            }
        )
    return pd.DataFrame(rows, columns=list(TREND_COLUMNS))


def _heatmap(site: Grid, tz: Any) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"day": site.day, "hour": site.hour, "kw": site.load_kw[:, 0]},
    )
    table = frame.pivot_table(index="day", columns="hour", values="kw", aggfunc="mean")
    table = table.reindex(index=np.unique(site.day), columns=range(24))
    table.index = pd.Index(pd.to_datetime(table.index * _NS_PER_DAY).date, name="date")
    table.columns.name = "hour"
    return table


def _profiles(site: Grid) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "day_kind": np.where(site.day_type == 0, "weekday", "weekend"),
            "hour": site.hour,
            "kw": site.load_kw[:, 0],
        }
    ).dropna()
    grouped = frame.groupby(["day_kind", "hour"])["kw"]
    out = pd.DataFrame(
        {
            "median_kw": grouped.median(),
            "p25_kw": grouped.quantile(0.25),
            "p75_kw": grouped.quantile(0.75),
            "intervals": grouped.size().astype(np.int64),
        }
    ).reset_index()
    return out


def _day_of_week(daily: pd.DataFrame) -> pd.DataFrame:
    ok = daily[(daily["day_type"] != "holiday") & daily["energy_kwh"].notna()]
    weekday = np.array([d.weekday() for d in ok["date"]], dtype=np.int64)
    grouped = ok["energy_kwh"].groupby(weekday)
    out = pd.DataFrame({"weekday": np.arange(7)})
    out["name"] = list(_DAY_NAMES)
    for column, values in (
        ("mean_kwh", grouped.mean()),
        ("min_kwh", grouped.min()),
        ("max_kwh", grouped.max()),
        ("days", grouped.size()),
    ):
        out[column] = out["weekday"].map(values)
    out["days"] = out["days"].fillna(0).astype(np.int64)
    return out


def _months(
    *,
    site: Grid,
    energy: np.ndarray,
    cost: np.ndarray,
    index: pd.DatetimeIndex,
    daily: pd.DataFrame,
    demand: pd.Series,
    demand_rate: float | None,
    tz: Any,
) -> pd.DataFrame:
    month = _local_months(index, tz)
    frame = pd.DataFrame({"month": month, "energy_kwh": energy, "cost": cost})
    by_month = frame.groupby("month", sort=True).sum()
    day_month = np.array([d.strftime("%Y-%m") for d in daily["date"]], dtype=object)
    days = daily.assign(month=day_month).groupby("month")
    peak = demand.groupby(_local_months(pd.DatetimeIndex(demand.index), tz)).max()
    out = pd.DataFrame({"month": by_month.index.to_numpy()})
    out["days_in_period"] = out["month"].map(days.size()).fillna(0).astype(np.int64)
    out["days"] = out["month"].map(days["energy_kwh"].count()).fillna(0).astype(np.int64)
    out["energy_kwh"] = by_month["energy_kwh"].to_numpy()
    out["kwh_per_day"] = out["month"].map(days["energy_kwh"].mean())
    out["cost"] = by_month["cost"].to_numpy()
    out["peak_kw"] = out["month"].map(peak)
    out["demand_cost"] = out["peak_kw"] * demand_rate if demand_rate is not None else np.nan
    out["change_pct"] = out["kwh_per_day"].pct_change(fill_method=None) * 100.0
    return out


# --------------------------------------------------------------------------------------------
# Entry point


def _empty(site: Any, period: dates.Period, issues: pd.DataFrame) -> SiteAnalysis:
    tou = pd.DataFrame(columns=["period", "energy_kwh", "cost", "share"])
    facility = FacilitySummary(
        *(np.nan,) * 3,
        total_cost=np.nan,
        currency=site.tariff.currency,
        carbon_kg=np.nan,
        average_kw=np.nan,
        peak_kw=np.nan,
        peak_at=None,
        load_factor=np.nan,
        base_kw=np.nan,
        base_share=np.nan,
        after_hours_kwh=np.nan,
        after_hours_share=np.nan,
        after_hours_hours_share=np.nan,
        coverage=0.0,
        hours=period.hours,
        source="sum of the meters",
        demand_interval_s=site.tariff.demand_interval_s,
        tou=tou,
    )
    nothing = pd.DataFrame()
    return SiteAnalysis(
        site=site,
        period=period,
        facility=facility,
        channels=pd.DataFrame(columns=list(CHANNEL_COLUMNS)),
        daily=pd.DataFrame(columns=list(DAILY_COLUMNS)),
        trends=pd.DataFrame(columns=list(TREND_COLUMNS)),
        heatmap=nothing,
        profiles=nothing,
        day_of_week=nothing,
        months=nothing,
        issues=issues,
    )


def analyse_site(
    readings: pd.DataFrame,
    *,
    site: Any,
    period: dates.Period,
    channels: pd.DataFrame | None = None,
    thresholds: HealthThresholds | None = None,
) -> SiteAnalysis:
    """Analyse a site's load over a period.

    Parameters
    ----------
    readings : pandas.DataFrame
        Canonical long readings (``timestamp`` tz-aware interval start, ``channel_id``,
        ``energy_kwh`` [kWh], ``power_kw`` [kW]; optionally ``power_factor`` [-] and
        ``voltage_v`` [V]); readings outside ``period`` are ignored.
    site : config.SiteSettings
        Time zone, opening hours, holidays, tariff, carbon factor, channels (roles, limits).
    period : dates.Period
        Whole site-local days, half-open.
    channels : pandas.DataFrame, optional
        Channel metadata, e.g. :func:`argo_lib.db.read_channels`.
    thresholds : HealthThresholds, optional
        Limits of the sensor checks; default the site's.

    Returns
    -------
    SiteAnalysis

    Raises
    ------
    ValueError
        If the readings are malformed (naive timestamps, missing columns).
    """
    tz = site.tz
    thresholds = thresholds or getattr(getattr(site, "thresholds", None), "health", None)
    checked = check_readings(readings)
    inside = period.contains(checked["timestamp"])
    checked = checked[inside].reset_index(drop=True)
    electrical = [c for c in ("power_factor", "voltage_v") if c in readings.columns]
    fields = checked.assign(**{c: readings[c].to_numpy(dtype=float)[inside] for c in electrical})
    table = channel_table(checked, channels=channels, site=site)
    holidays = site_holidays(site, period.start, period.end - pd.Timedelta(seconds=1))
    grids = build_grids(
        checked, table, period=period, tz=tz, opening_hours=site.opening_hours, holidays=holidays
    )
    screening = health.screen_baseline(grids, table, tz=tz, thresholds=thresholds)
    issues = health.check_health(
        grids, checked, table, period=period, tz=tz, baseline=screening.grids, thresholds=thresholds
    )
    clean = {res: health.without_suspect(g, issues) for res, g in grids.items()}
    site_load = _site_load(clean, table)
    if site_load is None:
        return _empty(site, period, issues)
    tariff = site.tariff
    catch_up = {res: _catch_up_energy(g, issues) for res, g in grids.items()}
    rates = {
        res: costs.rate_per_kwh(g.index, tariff=tariff, tz=tz, holidays=holidays)
        for res, g in grids.items()
    }
    measured = {res: clean[res].present | (catch_up[res] > 0) for res in grids}
    # the site's energy: each of its channels' measured energy, on the finest grid's intervals
    sg = site_load.grid
    fine_res = sg.resolution_s
    site_energy = np.zeros(len(sg.index))
    for res, g in clean.items():  # one or two resolutions
        cols = np.isin(g.channel_ids, site_load.ids)
        energy = np.where(np.isfinite(_energy(g)), _energy(g), 0.0) + catch_up[res]
        per_row = energy[:, cols].sum(axis=1)
        site_energy += np.repeat(per_row / (res // fine_res), res // fine_res)[: len(sg.index)]
    site_rates = rates[fine_res]
    energy_kwh = float(site_energy.sum())
    energy_cost = float((site_energy * site_rates).sum())
    after_kwh = float(site_energy[~sg.business].sum())
    names = costs.period_names(sg.index, tariff=tariff, tz=tz, holidays=holidays)
    tou = (
        pd.DataFrame({"period": names, "energy_kwh": site_energy, "cost": site_energy * site_rates})
        .groupby("period", sort=False)
        .sum()
        .reset_index()
    )
    tou["share"] = tou["energy_kwh"] / energy_kwh if energy_kwh > 0 else np.nan
    demand, demand_s = _billing_demand(sg, tariff.demand_interval_s)
    peak_kw, peak_at, _ = costs.coincident_peak(demand)
    load = sg.load_kw[:, 0]
    with np.errstate(invalid="ignore"):
        average_kw = float(np.nanmean(load)) if np.isfinite(load).any() else np.nan
        base_kw = float(np.nanpercentile(load, 5)) if np.isfinite(load).any() else np.nan
    daily = _daily(sg, holidays)
    months = _months(
        site=sg,
        energy=site_energy,
        cost=site_energy * site_rates,
        index=sg.index,
        daily=daily,
        demand=demand,
        demand_rate=tariff.demand_rate_per_kw,
        tz=tz,
    )
    demand_cost = (
        float(months["demand_cost"].sum(min_count=1))
        if tariff.demand_rate_per_kw is not None
        else None
    )
    carbon = float(getattr(site, "carbon_kg_per_kwh", 0.0) or 0.0)
    expected = sum(m.size for m in measured.values())
    coverage = float(sum(m.sum() for m in measured.values()) / expected) if expected else 0.0
    facility = FacilitySummary(
        energy_kwh=energy_kwh,
        energy_cost=energy_cost,
        demand_cost=demand_cost,
        total_cost=energy_cost + (demand_cost or 0.0),
        currency=tariff.currency,
        carbon_kg=energy_kwh * carbon,
        average_kw=average_kw,
        peak_kw=peak_kw,
        peak_at=None if peak_at is None else peak_at.tz_convert(tz).isoformat(),
        load_factor=average_kw / peak_kw if peak_kw and np.isfinite(peak_kw) else np.nan,
        base_kw=base_kw,
        base_share=min(base_kw * period.hours / energy_kwh, 1.0) if energy_kwh > 0 else np.nan,
        after_hours_kwh=after_kwh,
        after_hours_share=after_kwh / energy_kwh if energy_kwh > 0 else np.nan,
        after_hours_hours_share=float((~sg.business).mean()) if len(sg.index) else np.nan,
        coverage=coverage,
        hours=period.hours,
        source=site_load.source,
        demand_interval_s=int(demand_s),
        tou=tou,
    )
    channel_frame = _channels(
        clean,
        catch_up,
        rates,
        {res: measured[res] for res in grids},
        fields,
        table,
        energy_kwh,
    )
    return SiteAnalysis(
        site=site,
        period=period,
        facility=facility,
        channels=channel_frame,
        daily=daily,
        trends=_trends(daily),
        heatmap=_heatmap(sg, tz),
        profiles=_profiles(sg),
        day_of_week=_day_of_week(daily),
        months=months,
        issues=issues,
        holidays=holidays,
        resolution_s=int(sg.resolution_s),
    )


# --------------------------------------------------------------------------------------------
# Findings

FINDING_COLUMNS = ("rank", "topic", "finding", "energy_kwh", "cost")
"""Columns of :meth:`Findings.to_frame`."""

LOW_POWER_FACTOR = 0.85
"""Energy-weighted power factor below which a channel's power factor is a finding [-]."""
TREND_MIN_PCT = 5.0
"""Smallest change over the period a significant trend must amount to, to be a finding [%]."""
MONTH_CHANGE_PCT = 10.0
"""Smallest month-over-month change of energy per day that is a finding [%]."""
_NOMINAL_VOLTS = np.array([120.0, 208.0, 230.0, 240.0, 277.0, 400.0, 480.0])


@dataclass(frozen=True)
class Finding:
    """One observation: plain-language text with its numbers, and the money it is about.

    ``tier`` orders findings before money: 0 data problems that limit every number,
    1 findings about energy and money (largest cost first), 2 other observations, 3 data
    notes that do not limit the numbers (a few short gaps).
    """

    topic: str
    text: str
    tier: int
    energy_kwh: float = float("nan")
    cost: float = float("nan")


@dataclass(frozen=True)
class Findings:
    """Ranked findings: data problems first, then money (largest first), then the rest."""

    items: tuple[Finding, ...]

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_frame(self) -> pd.DataFrame:
        """Columns :data:`FINDING_COLUMNS`, one row per finding, ranked from 1."""
        return pd.DataFrame(
            [(k, f.topic, f.text, f.energy_kwh, f.cost) for k, f in enumerate(self.items, 1)],
            columns=list(FINDING_COLUMNS),
        )

    def __str__(self) -> str:
        return "\n".join(f"{k}. {f.text}" for k, f in enumerate(self.items, 1))

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<li><strong>{html.escape(f.topic)}.</strong> {html.escape(f.text)}</li>"
            for f in self.items
        )
        return f"<ol class='argo-findings'>{rows}</ol>"


def _clock(hours: float) -> str:
    minutes = int(round(hours * 60.0)) % 1440
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _pct(value: float, digits: int = 0) -> str:
    return f"{fmt.number(100.0 * value, digits)} %"


def _data_findings(analysis: SiteAnalysis) -> list[Finding]:
    out = []
    f = analysis.facility
    gaps = analysis.issues[analysis.issues["type"].isin(("no_data", "missing_data", "outage"))]
    if f.coverage < 0.95 or len(gaps):
        longest = ""
        if len(gaps):
            hours = (gaps["end"] - gaps["start"]).dt.total_seconds() / 3600.0
            worst = gaps.iloc[int(np.argmax(hours.to_numpy()))]
            longest = (
                f"; the longest gap is {fmt.number(hours.max(), 0)} h on "
                f"{worst['channel_name']} from {fmt.local_time(worst['start'].tz_convert(analysis.site.tz).isoformat())}"
            )
        tier = 0 if f.coverage < 0.95 else 3  # a few gaps: noted last
        out.append(
            Finding(
                "Data",
                f"{_pct(f.coverage, 1)} of the expected channel readings are present{longest}. "
                "Totals count only measured energy; days under "
                f"{_pct(COMPLETE_DAY)} complete are left out of the daily statistics.",
                tier,
            )
        )
    return out


def _change_finding(change: Any, analysis: SiteAnalysis, price: float) -> list[Finding]:
    if change is None:
        return []
    site_rows = change.models[change.models["channel_id"] == 0]
    if change.status not in ("ok", "no_temperature") or site_rows.empty:
        return [Finding("Weather-normalised change", change.message, 2)]
    row = site_rows.iloc[0]
    savings = float(row["savings_kwh"])
    caveat = ""
    if not bool(row["meets_g14"]):
        caveat = (
            f" The baseline model does not meet ASHRAE Guideline 14 (CV(RMSE) "
            f"{fmt.number(row['cv_rmse_pct'], 1)} %, NMBE {fmt.number(row['nmbe_pct'], 1)} %): "
            "treat the change as indicative."
        )
    if not bool(row["significant"]):
        return [Finding("Weather-normalised change", change.message + caveat, 2)]
    return [
        Finding(
            "Weather-normalised change",
            change.message
            + f" At the average price that is {fmt.money(abs(savings) * price, analysis.facility.currency, digits=0)}"
            + (" saved." if savings > 0 else " more.")
            + caveat,
            1,
            energy_kwh=-savings,
            cost=-savings * price,
        )
    ]


def _load_findings(analysis: SiteAnalysis, price: float) -> list[Finding]:
    f = analysis.facility
    cur = f.currency
    out: list[Finding] = []
    if np.isfinite(f.after_hours_share):
        after_cost = f.after_hours_kwh * price
        out.append(
            Finding(
                "After hours",
                f"{_pct(f.after_hours_share)} of the energy ({fmt.number(f.after_hours_kwh, 0)} kWh, "
                f"about {fmt.money(after_cost, cur, digits=0)}) is used outside opening hours "
                f"(nights, weekends and holidays, {_pct(f.after_hours_hours_share)} of the hours)."
                + (
                    " The building turns down little when it is closed: check the HVAC, lighting "
                    "and plug-load schedules."
                    if f.after_hours_share > 0.8 * f.after_hours_hours_share
                    else ""
                ),
                1,
                energy_kwh=f.after_hours_kwh,
                cost=after_cost,
            )
        )
    if np.isfinite(f.base_kw) and np.isfinite(f.base_share):
        per_year = f.base_kw * 8760.0 * price
        out.append(
            Finding(
                "Always-on load",
                f"The site never draws less than about {fmt.number(f.base_kw, 1)} kW (5th "
                f"percentile of demand); that always-on load is {_pct(f.base_share)} of the "
                f"energy ({fmt.number(f.base_kw * f.hours, 0)} kWh, about "
                f"{fmt.money(f.base_kw * f.hours * price, cur, digits=0)} over the period, "
                f"{fmt.money(per_year, cur, digits=0)} a year). Each kW it can be lowered saves "
                f"about {fmt.money(8760.0 * price, cur, digits=0)} a year.",
                1,
                energy_kwh=f.base_kw * f.hours,
                cost=f.base_kw * f.hours * price,
            )
        )
    dow = analysis.day_of_week
    if len(dow):
        weekday = dow.loc[dow["weekday"] < 5, "mean_kwh"].mean()
        weekend = dow.loc[dow["weekday"] >= 5, "mean_kwh"].mean()
        if np.isfinite(weekday) and np.isfinite(weekend) and weekday > 0:
            ratio = weekend / weekday
            out.append(
                Finding(
                    "Weekends",
                    f"A weekend day uses {fmt.number(weekend, 0)} kWh, {_pct(ratio)} of a "
                    f"weekday's {fmt.number(weekday, 0)} kWh."
                    + (
                        " For a building closed at weekends that is high: compare the weekend "
                        "profile with the weekday nights."
                        if ratio > 0.6
                        else ""
                    ),
                    2,
                )
            )
    working = analysis.daily[
        (analysis.daily["day_type"] == "weekday") & (analysis.daily["coverage"] >= COMPLETE_DAY)
    ]
    rise, fall = working["rise_hour"].median(), working["fall_hour"].median()
    hours = getattr(analysis.site, "opening_hours", None)
    if np.isfinite(rise) and np.isfinite(fall):
        text = (
            f"On working days the load rises at {_clock(rise)} and falls at {_clock(fall)} "
            f"(medians, {fmt.number(working['high_load_hours'].median(), 1)} h of high load)"
        )
        window = hours.for_weekday(0) if hours is not None else None
        if window is not None:
            open_h = window[0].hour + window[0].minute / 60.0
            close_h = window[1].hour + window[1].minute / 60.0
            text += f"; Monday opening hours are {window[0]:%H:%M}–{window[1]:%H:%M}"
            early, late = open_h - rise, fall - close_h
            # the rise is the start of the first high interval: one interval of slack, so an
            # hourly meter whose load ramps up at 06:30 does not read as an hour early
            slack = 1.0 + analysis.resolution_s / 3600.0
            if early >= slack or late >= slack:
                parts = []
                if early >= slack:
                    parts.append(f"starts {fmt.number(early, 1)} h before opening")
                if late >= slack:
                    parts.append(f"runs {fmt.number(late, 1)} h after closing")
                text += ": the building " + " and ".join(parts) + ", check the start-up schedule"
        out.append(Finding("Operating hours", text + ".", 2))
    if np.isfinite(f.peak_kw):
        demand = (
            f"; at the demand rate that is {fmt.money(f.demand_cost, cur, digits=0)} of demand charges"
            if f.demand_cost is not None
            else ""
        )
        out.append(
            Finding(
                "Peak demand",
                f"Peak demand was {fmt.number(f.peak_kw, 1)} kW ({f.demand_interval_s // 60}-min) on "
                f"{fmt.local_time(f.peak_at)}, against an average of {fmt.number(f.average_kw, 1)} kW "
                f"(load factor {_pct(f.load_factor)}){demand}.",
                1 if f.demand_cost else 2,
                cost=f.demand_cost if f.demand_cost is not None else float("nan"),
            )
        )
    return out


def _trend_findings(analysis: SiteAnalysis) -> list[Finding]:
    out = []
    labels = {
        "base_kw": "base load",
        "peak_kw": "peak demand",
        "energy_kwh": "daily energy",
        "high_load_hours": "hours of high load",
    }
    for item in analysis.trends.to_dict("records"):  # a handful of metrics
        row = SimpleNamespace(**{str(k): v for k, v in item.items()})
        if not row.significant or not abs(row.change_pct) >= TREND_MIN_PCT:
            continue
        digits = 0 if row.unit == "kWh/day" else 1
        out.append(
            Finding(
                "Trend",
                f"The {labels[row.metric]} of {row.days} {'rose' if row.change_pct > 0 else 'fell'} "
                f"by {fmt.number(abs(row.change_pct), 0)} % over the period "
                f"({'+' if row.slope_per_30d > 0 else '−'}{fmt.number(abs(row.slope_per_30d), digits)} "
                f"{row.unit} per 30 days; 95 % interval {fmt.number(row.low_per_30d, digits)} to "
                f"{fmt.number(row.high_per_30d, digits)}). Not weather-normalised: a season "
                "change moves it too.",
                2,
            )
        )
    months = analysis.months
    if len(months) > 1:
        full = months[months["days"] >= 20]
        change = full["change_pct"].abs()
        if len(full) and change.max() >= MONTH_CHANGE_PCT:
            month = full.iloc[int(np.nanargmax(change.to_numpy()))]
            out.append(
                Finding(
                    "Month over month",
                    f"{month['month']} used {fmt.number(month['kwh_per_day'], 0)} kWh per day, "
                    f"{fmt.number(abs(month['change_pct']), 0)} % "
                    f"{'more' if month['change_pct'] > 0 else 'less'} than the month before "
                    "(complete days only, not weather-normalised).",
                    2,
                )
            )
    return out


def _channel_findings(analysis: SiteAnalysis) -> list[Finding]:
    out = []
    ch = analysis.channels.dropna(subset=["energy_kwh"])
    cur = analysis.facility.currency
    if len(ch) > 1 and analysis.facility.source == "sum of the meters":
        top = ch.iloc[0]
        out.append(
            Finding(
                "Largest load",
                f"{top['channel_name']} uses {_pct(top['share'])} of the site's energy "
                f"({fmt.number(top['energy_kwh'], 0)} kWh, {fmt.money(top['cost'], cur, digits=0)}); "
                f"it runs {_pct(top['after_hours_share'])} of its energy after hours.",
                2,
            )
        )
    low = ch[(ch["power_factor"] < LOW_POWER_FACTOR) & (ch["share"] >= 0.02)]
    if len(low):
        listed = ", ".join(
            f"{r.channel_name} {fmt.number(r.power_factor, 2)}"
            for r in low.sort_values("power_factor").itertuples(index=False)
        )
        out.append(
            Finding(
                "Power factor",
                f"Power factor below {LOW_POWER_FACTOR:.2f} (energy-weighted): {listed}. Where the "
                "tariff bills reactive power or kVA demand, power-factor correction may pay; it "
                "also frees capacity on the panel.",
                2,
            )
        )
    volts = ch.dropna(subset=["voltage_v"])
    if len(volts):
        nominal = _NOMINAL_VOLTS[
            np.abs(_NOMINAL_VOLTS[None, :] - volts["voltage_v"].to_numpy()[:, None]).argmin(axis=1)
        ]
        outside = (volts["voltage_min_v"].to_numpy() < 0.95 * nominal) | (
            volts["voltage_max_v"].to_numpy() > 1.05 * nominal
        )
        if outside.any():
            names = ", ".join(volts.loc[outside, "channel_name"].astype(str))
            out.append(
                Finding(
                    "Voltage",
                    f"Voltage left ±5 % of nominal on {names}: ask the utility or an electrician "
                    "to check the supply; equipment runs hotter and less efficiently.",
                    2,
                )
            )
    return out


def rank_findings(analysis: SiteAnalysis, change: Any = None) -> Findings:
    """Ranked observations of a site analysis, in plain language with their numbers.

    Parameters
    ----------
    analysis : SiteAnalysis
        From :func:`analyse_site`.
    change : argo_lib.analytics.normalised.NormalisedChange, optional
        The weather-normalised change between a baseline and the reporting period.

    Returns
    -------
    Findings
        Data problems that limit the numbers first, then findings about energy and money,
        largest cost first, then other observations. Money is energy at the site's average
        price over the period (total energy cost / energy) unless said otherwise; nothing is
        called a saving except the weather-normalised change, with its uncertainty.
    """
    f = analysis.facility
    price = f.energy_cost / f.energy_kwh if f.energy_kwh and np.isfinite(f.energy_kwh) else 0.0
    found = [
        *_data_findings(analysis),
        *_change_finding(change, analysis, price),
        *_load_findings(analysis, price),
        *_trend_findings(analysis),
        *_channel_findings(analysis),
    ]
    order = sorted(
        range(len(found)),
        key=lambda k: (found[k].tier, -abs(np.nan_to_num(found[k].cost)), k),
    )
    return Findings(tuple(found[k] for k in order))
