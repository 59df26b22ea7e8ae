"""Cost model: flat and time-of-use energy prices and demand charges, in site-local time.

Prices follow the site's ``Tariff`` (``config.Tariff``): a flat rate, or time-of-use periods
evaluated on the **site-local** weekday and hour of each interval start (spec A9, B1), with
weekends and holidays at the weekend period. A demand charge applies to the peak of the site's
main meter (or of the sum of the analysed channels when the site has no main meter) at the billing
interval of 15 minutes (spec B12).

Examples
--------
>>> from types import SimpleNamespace as NS
>>> tariff = NS(flat_rate_per_kwh=0.12, currency="USD", tou_periods=(), weekend_period="off_peak",
...             demand_rate_per_kw=None)
>>> idx = pd.DatetimeIndex(["2026-11-16T17:00Z"])
>>> rate_per_kwh(idx, tariff=tariff, tz="America/New_York").tolist()
[0.12]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates

__all__ = [
    "BILLING_INTERVAL_S",
    "coincident_peak",
    "period_names",
    "rate_per_kwh",
    "tariff_period_table",
]

BILLING_INTERVAL_S = 900
"""Demand billing interval [s]: utilities bill the highest 15-minute average demand."""

_FLAT = "flat"


def tariff_period_table(
    tariff: Any,
) -> tuple[np.ndarray, np.ndarray, dict[str, float]]:
    """Tabulate a tariff as period names and rates per (local weekday, hour).

    Parameters
    ----------
    tariff : config.Tariff
        ``flat_rate_per_kwh``, ``tou_periods`` (``name``, ``rate_per_kwh``, ``weekdays``,
        ``start_hour``, ``end_hour``; end exclusive), ``weekend_period``.

    Returns
    -------
    names : numpy.ndarray of str, shape (7, 24)
        Period name per weekday (Monday = 0) and hour; ``"flat"`` where nothing applies.
    rates : numpy.ndarray of float, shape (7, 24)
        Rate per weekday and hour [currency/kWh].
    by_name : dict
        Rate of every period name [currency/kWh].

    Raises
    ------
    ValueError
        If ``weekend_period`` names no TOU period while TOU periods are set.
    """
    flat = float(tariff.flat_rate_per_kwh)
    names = np.full((7, 24), _FLAT, dtype=object)
    rates = np.full((7, 24), flat, dtype=float)
    by_name: dict[str, float] = {_FLAT: flat}
    periods = tuple(getattr(tariff, "tou_periods", ()) or ())
    for period in periods:  # a handful of tariff periods, not readings
        by_name.setdefault(str(period.name), float(period.rate_per_kwh))
        days = np.asarray(tuple(period.weekdays), dtype=int)
        hours = np.arange(int(period.start_hour), int(period.end_hour))
        names[np.ix_(days, hours)] = str(period.name)
        rates[np.ix_(days, hours)] = float(period.rate_per_kwh)
    weekend = getattr(tariff, "weekend_period", None)
    if periods and weekend:
        if weekend not in by_name:
            raise ValueError(
                f"tariff.weekend_period={weekend!r} names no TOU period; use one of "
                f"{sorted(set(by_name) - {_FLAT})}"
            )
        weekend_days = [d for d in (5, 6) if not any(d in p.weekdays for p in periods)]
        names[weekend_days, :] = weekend
        rates[weekend_days, :] = by_name[weekend]
    return names.astype(str), rates, by_name


def _weekday_hour(
    index: Any, *, tz: Any, holidays: Iterable[Any] | None, weekend_day: int
) -> tuple[np.ndarray, np.ndarray]:
    how = dates.hour_of_week(index, tz=tz)
    weekday, hour = how // 24, how % 24
    if holidays:
        is_holiday = dates.day_type(index, tz=tz, holidays=holidays) == "sunday_holiday"
        weekday = np.where(is_holiday & (weekday < 5), weekend_day, weekday)
    return weekday, hour


def rate_per_kwh(
    index: Any, *, tariff: Any, tz: Any, holidays: Iterable[Any] | None = None
) -> np.ndarray:
    """Return the energy price of each interval, by its site-local start.

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        Interval starts, any zone (UTC from the database).
    tariff : config.Tariff
        See :func:`tariff_period_table`.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.
    holidays : iterable of datetime.date, optional
        Local dates priced like a Sunday (the weekend period).

    Returns
    -------
    numpy.ndarray of float
        Price per interval [currency/kWh].

    Raises
    ------
    ValueError
        On naive timestamps or an inconsistent tariff.
    """
    _, rates, _ = tariff_period_table(tariff)
    weekday, hour = _weekday_hour(index, tz=tz, holidays=holidays, weekend_day=6)
    return rates[weekday, hour]


def period_names(
    index: Any, *, tariff: Any, tz: Any, holidays: Iterable[Any] | None = None
) -> np.ndarray:
    """Return the tariff period name of each interval (``"flat"`` without TOU).

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        Interval starts, any zone.
    tariff : config.Tariff
        See :func:`tariff_period_table`.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.
    holidays : iterable of datetime.date, optional
        Local dates priced like a Sunday.

    Returns
    -------
    numpy.ndarray of str
        E.g. ``"off_peak"``, ``"mid_peak"``, ``"on_peak"``.
    """
    names, _, _ = tariff_period_table(tariff)
    weekday, hour = _weekday_hour(index, tz=tz, holidays=holidays, weekend_day=6)
    return names[weekday, hour]


def coincident_peak(
    site_power_kw: pd.Series,
    *,
    removed_kw: pd.DataFrame | None = None,
) -> tuple[float, pd.Timestamp | None, pd.Series]:
    """Return the site's peak demand and how much removing each channel's excess lowers it.

    Parameters
    ----------
    site_power_kw : pandas.Series
        Site demand per billing interval [kW], indexed by interval start.
    removed_kw : pandas.DataFrame, optional
        Columns of excess power per channel on the same index [kW] (0 where none): the part
        of each channel's load that a spike added.

    Returns
    -------
    peak_kw : float
        Highest site demand [kW]; NaN when there is no data.
    peak_at : pandas.Timestamp or None
        Start of the peak interval.
    reduction_kw : pandas.Series
        Per column of ``removed_kw``: ``peak - max(site - removed)`` [kW], i.e. the drop of
        the coincident peak if that channel's excess had not occurred (0 when it does not
        set the peak).

    Examples
    --------
    >>> idx = pd.date_range("2026-11-16", periods=3, freq="15min", tz="UTC")
    >>> site = pd.Series([50.0, 80.0, 60.0], index=idx)
    >>> excess = pd.DataFrame({1: [0.0, 30.0, 0.0], 2: [10.0, 0.0, 0.0]}, index=idx)
    >>> peak, at, drop = coincident_peak(site, removed_kw=excess)
    >>> peak, drop.tolist()
    (80.0, [20.0, 0.0])
    """
    values = site_power_kw.to_numpy(dtype=float)
    if values.size == 0 or np.all(np.isnan(values)):
        empty = pd.Series(0.0, index=[] if removed_kw is None else removed_kw.columns)
        return float("nan"), None, empty
    pos = int(np.nanargmax(values))
    peak = float(values[pos])
    if removed_kw is None or removed_kw.shape[1] == 0:
        return peak, site_power_kw.index[pos], pd.Series(dtype=float)
    removed = removed_kw.reindex(site_power_kw.index).fillna(0.0).to_numpy(dtype=float)
    without = np.nanmax(values[:, None] - removed, axis=0)
    reduction = np.clip(peak - without, 0.0, None)
    return peak, site_power_kw.index[pos], pd.Series(reduction, index=removed_kw.columns)
