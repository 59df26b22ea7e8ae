"""Closed days the calendar does not know, found in the site's own load.

Many buildings close on days no public-holiday calendar lists: Christmas week, the day after
Thanksgiving, Good Friday, a snow day. On such a day the building draws its closed-day load
through the opening hours, and every analytic that trusts the calendar reads the difference
wrongly: the night looks like new after-hours operation against the open weekdays' nights,
the closed-day cycling of a rooftop unit like an anomaly, and a baseline that holds such days
pulls the open weekdays' profile down.

:func:`infer_closed_days` decides from the site's load in the weekday opening hours: per local
day, the median load of the main meters (all channels where the site has none) over the
opening hours of a weekday, against two references of the baseline weeks: the median of the
open days and the median of the closed days (Sundays, holidays). A day the calendar calls
open whose load lies within ``closed_day_share`` of the way from the closed level to the open
level is treated as closed. Zeros count as missing (a zero-filled outage is not a closure), a
day needs readings in half its opening hours, and a site whose open and closed days differ by
less than ``closed_day_min_contrast`` of the open level, or by less than four times the open
days' own day-to-day spread (robust standard deviation), is never judged (nothing to tell them
apart).

Examples
--------
>>> import datetime as dt
>>> import pandas as pd
>>> from argo_lib import dates
>>> from argo_lib.analytics import grid
>>> idx = pd.date_range("2025-12-01", "2026-01-05", freq="h", tz="America/New_York",
...                     inclusive="left")
>>> local = idx.tz_localize(None)
>>> open_hours = (local.hour >= 7) & (local.hour < 18) & (local.day_of_week < 5)
>>> closed = local.normalize().isin(pd.to_datetime(["2025-12-29", "2025-12-30"]))
>>> kw = np.where(open_hours & ~closed, 50.0, 10.0)
>>> frame = pd.DataFrame({"channel_id": 1, "timestamp": idx.tz_convert("UTC"),
...                       "energy_kwh": kw, "power_kw": kw, "resolution_s": 3600})
>>> g = grid.build_grids(frame, pd.DataFrame({"channel_id": [1], "resolution_s": [3600]}),
...                      period=dates.Period(idx[0], idx[-1] + pd.Timedelta(hours=1)),
...                      tz="America/New_York")[3600]
>>> base = g.slice(dates.Period(idx[0], pd.Timestamp("2025-12-29", tz="America/New_York")))
>>> days = infer_closed_days([base], [g], main_ids=(), thresholds=BaselineThresholds())
>>> [d.isoformat() for d in days]
['2025-12-29', '2025-12-30']
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from argo_lib.analytics.grid import Grid, _calendar
from argo_lib.stats import grouped_quantiles
from argo_lib.thresholds import BaselineThresholds

__all__ = ["infer_closed_days", "with_holidays"]

_EPOCH = dt.date(1970, 1, 1)
_MIN_DAY_COVERAGE = 0.5  # a day needs readings in half its opening-hour intervals
_MIN_OPEN_SHARE = 0.8  # a day counts as a full open day if most weekday opening hours are open
_MIN_REFERENCE_DAYS = 2  # fewest baseline days of each kind behind a reference level
_MAD_TO_SIGMA = 1.4826
# the open and closed levels must lie this many of the open days' robust standard deviations
# apart: then a closure cannot pass for a quiet open day nor the other way round
_SEPARATION = 4.0


def _opening_rows(g: Grid) -> np.ndarray:
    """Rows at the local hours that are opening hours on most of the grid's weekdays."""
    weekday = g.day_type == 0
    if not weekday.any():
        return np.zeros(len(g.index), dtype=bool)
    hour = g.hour
    open_share = np.bincount(hour[weekday], weights=g.business[weekday], minlength=24) / np.maximum(
        np.bincount(hour[weekday], minlength=24), 1
    )
    return (open_share >= 0.5)[hour]


_Days = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Per local day (days since 1970-01-01, sorted): the site load [kW] and whether it is open."""

_NO_DAYS: _Days = (np.empty(0, dtype=np.int64), np.empty(0), np.empty(0, dtype=bool))


def _daily(g: Grid, main_ids: Sequence[int]) -> _Days:
    """Per local day: the site's median load over the weekday opening hours.

    The site load is the sum over the main meters (all channels where there are none) of each
    one's median; a day counts only when every one has readings in half of those hours. A day
    is open when most of those hours are business hours in the calendar.
    """
    rows = _opening_rows(g)
    is_main = np.isin(g.channel_ids, list(main_ids))
    cols = is_main if is_main.any() else np.ones(g.channel_ids.size, dtype=bool)
    if not rows.any() or not cols.any():
        return _NO_DAYS
    load = g.load_kw[rows][:, cols]
    load = np.where(load > 0, load, np.nan)  # a zero-filled outage is not a closed building
    days, group = np.unique(g.day[rows], return_inverse=True)
    (median,), counts = grouped_quantiles(load, group, days.size, (50.0,))
    size = np.bincount(group, minlength=days.size)
    covered = counts >= _MIN_DAY_COVERAGE * size[:, None]
    site_kw = np.where(covered.all(axis=1), np.where(covered, median, 0.0).sum(axis=1), np.nan)
    business = np.bincount(group, weights=g.business[rows], minlength=days.size) / size
    return days.astype(np.int64), site_kw, business >= _MIN_OPEN_SHARE


def _combine(grids: Iterable[Grid], main_ids: Sequence[int]) -> _Days:
    """Per day over the grids of several resolutions: the sum of their site loads.

    A day that one resolution cannot judge stays unjudged (NaN); it is open when it is open in
    any of them.
    """
    parts = [p for p in (_daily(g, main_ids) for g in grids) if p[0].size]
    if not parts:
        return _NO_DAYS
    days = np.unique(np.concatenate([p[0] for p in parts]))
    site_kw = np.zeros(days.size)
    is_open = np.zeros(days.size, dtype=bool)
    for part_days, kw, part_open in parts:  # one or two resolutions
        at = np.searchsorted(part_days, days)
        found = part_days[np.minimum(at, part_days.size - 1)] == days
        site_kw += np.where(found, kw[np.minimum(at, part_days.size - 1)], np.nan)
        is_open |= found & part_open[np.minimum(at, part_days.size - 1)]
    return days, site_kw, is_open


def infer_closed_days(
    baseline: Iterable[Grid],
    report: Iterable[Grid],
    *,
    main_ids: Sequence[int],
    thresholds: BaselineThresholds,
) -> tuple[dt.date, ...]:
    """Days the calendar has open on which the site drew its closed-day load.

    Parameters
    ----------
    baseline, report : iterable of Grid
        The baseline weeks and the report week on the grid (one per resolution), laid out with
        the public holidays; the references come from the baseline, the days judged from both.
    main_ids : sequence of int
        Main meters: the site's load where it has them, else the sum of all channels.
    thresholds : BaselineThresholds
        ``closed_day_share`` (0: never infer) and ``closed_day_min_contrast``.

    Returns
    -------
    tuple of datetime.date
        Site-local dates, sorted.
    """
    share = thresholds.closed_day_share
    if share <= 0:
        return ()
    base_days, base_kw, base_open = _combine(baseline, main_ids)
    known = np.isfinite(base_kw)
    open_ref = base_kw[known & base_open]
    closed_ref = base_kw[known & ~base_open]
    if open_ref.size < _MIN_REFERENCE_DAYS or closed_ref.size < _MIN_REFERENCE_DAYS:
        return ()
    open_kw, closed_kw = float(np.median(open_ref)), float(np.median(closed_ref))
    # the baseline's own closures (Christmas Eve among the open days) are not open days: the
    # open level and its spread come from the days above halfway
    open_ref = open_ref[open_ref > closed_kw + 0.5 * (open_kw - closed_kw)]
    if open_ref.size < _MIN_REFERENCE_DAYS:
        return ()
    open_kw = float(np.median(open_ref))
    # the open days' own day-to-day spread (robust standard deviation)
    spread = _MAD_TO_SIGMA * float(np.median(np.abs(open_ref - open_kw)))
    gap = open_kw - closed_kw
    if not (gap >= thresholds.closed_day_min_contrast * open_kw and gap >= _SEPARATION * spread):
        return ()
    limit = closed_kw + share * gap
    report_days, report_kw, report_open = _combine(report, main_ids)
    # a day in both (a report week inside the baseline's span) is judged on the report's data
    only_base = ~np.isin(base_days, report_days)
    days = np.concatenate([base_days[only_base], report_days])
    with np.errstate(invalid="ignore"):
        closed = np.concatenate(
            [
                (base_open & (base_kw <= limit))[only_base],
                report_open & (report_kw <= limit),
            ]
        )
    return tuple(sorted(_EPOCH + dt.timedelta(days=int(d)) for d in days[closed]))


def with_holidays(g: Grid, holidays: Iterable[dt.date], *, tz: Any, opening_hours: Any) -> Grid:
    """The same grid with its calendar (slots, day types, business hours) laid out again.

    Parameters
    ----------
    g : Grid
        A grid from :func:`argo_lib.analytics.grid.build_grids`.
    holidays : iterable of datetime.date
        Every day to treat as closed (public holidays and inferred closures).
    tz, opening_hours
        As given to ``build_grids``.

    Returns
    -------
    Grid
        The readings unchanged (shared arrays), the calendar fields new.
    """
    calendar = _calendar(
        g.index, tz=tz, opening_hours=opening_hours, holidays=holidays, resolution_s=g.resolution_s
    )
    return dataclasses.replace(g, **calendar)  # type: ignore[arg-type]
