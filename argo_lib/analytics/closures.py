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
import pandas as pd

from argo_lib.analytics.grid import Grid, _calendar
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


def _daily(g: Grid, main_ids: Sequence[int]) -> pd.DataFrame:
    """Per local day: the site's median load over the weekday opening hours.

    ``open`` says whether the calendar has the day open (most of those hours are business
    hours).
    """
    rows = _opening_rows(g)
    is_main = np.isin(g.channel_ids, list(main_ids))
    cols = is_main if is_main.any() else np.ones(g.channel_ids.size, dtype=bool)
    if not rows.any() or not cols.any():
        return pd.DataFrame(columns=["site_kw", "open"], dtype=float)
    load = g.load_kw[rows][:, cols]
    load = np.where(load > 0, load, np.nan)  # a zero-filled outage is not a closed building
    day = g.day[rows]
    frame = pd.DataFrame(load)
    by_day = frame.groupby(day)
    median = by_day.median()
    covered = by_day.count().div(by_day.size(), axis=0) >= _MIN_DAY_COVERAGE
    site_kw = median.where(covered).sum(axis=1, min_count=cols.sum())
    is_open = pd.Series(g.business[rows]).groupby(day).mean() >= _MIN_OPEN_SHARE
    return pd.DataFrame({"site_kw": site_kw, "open": is_open.to_numpy()}, index=median.index)


def _combine(grids: Iterable[Grid], main_ids: Sequence[int]) -> pd.DataFrame:
    """Per day over the grids of several resolutions: the sum of their site loads."""
    parts = [_daily(g, main_ids) for g in grids]
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=["site_kw", "open"], dtype=float)
    site = parts[0]["site_kw"]
    is_open = parts[0]["open"].astype(bool)
    for p in parts[1:]:  # one or two resolutions
        site = site.add(p["site_kw"])  # a day one resolution cannot judge stays unjudged
        is_open = is_open.reindex(site.index).fillna(False) | p["open"].reindex(site.index).fillna(
            False
        )
    return pd.DataFrame({"site_kw": site, "open": is_open.reindex(site.index).fillna(False)})


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
    base = _combine(baseline, main_ids)
    if base.empty:
        return ()
    report_days = _combine(report, main_ids)
    known = base["site_kw"].notna()
    open_ref = base.loc[known & base["open"], "site_kw"]
    closed_ref = base.loc[known & ~base["open"], "site_kw"]
    if len(open_ref) < _MIN_REFERENCE_DAYS or len(closed_ref) < _MIN_REFERENCE_DAYS:
        return ()
    open_kw, closed_kw = float(open_ref.median()), float(closed_ref.median())
    # the baseline's own closures (Christmas Eve among the open days) are not open days: the
    # open level and its spread come from the days above halfway
    open_ref = open_ref[open_ref > closed_kw + 0.5 * (open_kw - closed_kw)]
    if len(open_ref) < _MIN_REFERENCE_DAYS:
        return ()
    open_kw = float(open_ref.median())
    # the open days' own day-to-day spread (robust standard deviation)
    spread = _MAD_TO_SIGMA * float((open_ref - open_kw).abs().median())
    gap = open_kw - closed_kw
    if not (gap >= thresholds.closed_day_min_contrast * open_kw and gap >= _SEPARATION * spread):
        return ()
    limit = closed_kw + share * (open_kw - closed_kw)
    days = pd.concat([base, report_days])
    days = days[~days.index.duplicated(keep="last")]
    found = days.index[days["open"].astype(bool) & (days["site_kw"] <= limit)]
    return tuple(sorted(_EPOCH + dt.timedelta(days=int(d)) for d in found))


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
