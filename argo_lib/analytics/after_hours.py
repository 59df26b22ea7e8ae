"""After-hours energy per channel, measured against the same hours of the baseline (spec A4, B1, B8).

After hours means outside the site's local opening hours, holidays all day (B1, C). Two layers
of after-hours energy are told apart, because they call for different actions and must not be
counted twice:

- **New after-hours operation** (``new_kwh``, also reported as ``excess_kwh``): energy above
  what the same hours drew in the baseline weeks. The *base* of an interval is its expected
  value: the baseline median of its local time slot (hour of week, so a weeknight, a weekend
  day and a holiday are each compared with their own kind, pooled as
  :mod:`argo_lib.analytics.baseline` describes) or, where it is calibrated, the temperature
  model's expected value for that hour. An interval counts when its load exceeds the base by
  more than its margin, the larger of the noise allowance (``noise_sigmas`` robust standard
  deviations of the baseline's after-hours readings around their slot medians, estimated from
  consecutive intervals, so a load that changed between the weeks is not noise) and its slot's
  own spread (``Q3 - median + new_iqr_k * IQR``, so that a dusk a little earlier than in the
  baseline weeks is not new operation); it then counts with all of ``P - base``. Action:
  switch it off at closing time. Where the temperature model gives the base, an interval must
  also exceed what the same hour of the week drew in the baseline weeks (``Q3 + new_iqr_k *
  IQR`` of that hour-of-week slot's readings, at least its median plus the noise allowance), and
  counts from the larger of the two bases: a model whose slopes come mostly from daytime hours
  and under-predicts a night's standing load is not the building's new operation. The edges of
  a standing load that follows the sun (exterior
  lighting on a photocell) move by 10–60 min between the baseline weeks and the report week: an
  interval within ``edge_shift_hours`` of such an edge that draws the standing load's usual
  level, while the load itself draws what it did, is that load shifted, not new operation
  (:func:`moved_edge`). A main meter's new operation is what its sub-meters' new operation does
  not explain (:func:`beyond_sub_meters`), so equipment left on is saved once.
- **Chronic base load** (``chronic_kwh``): after-hours load that the baseline drew too, above
  the building's *floor*, the lowest level it typically draws when closed: the
  P``base_percentile`` (P5) of the baseline's after-hours slot medians above ``min_power_kw``
  (a weekend day, say, where the night carries a dusk-to-dawn load). An interval's chronic
  energy is ``(min(P, base) - floor) * dt_h`` where its base exceeds the floor by more than the
  noise allowance, except within ``chronic_edge_hours`` of opening hours (pre-start and run-on
  belong to the schedule). Action: find out what the standing load is before switching
  anything off.

The layers do not overlap: chronic energy lies between the floor and the base, new operation
above the base (the savings ledger adds the chronic layer to the largest of the excesses above
the base, :func:`argo_lib.analytics.quick_wins.attribute_ledger`). A building whose nights are
steady has a chronic base load and no new operation, week after week.

Each interval's energy is priced at the tariff rate of that interval (the off-peak rate at
night and at weekends under a time-of-use tariff, B11). New operation is significant when it
reaches ``min_weekly_kwh`` and ``min_share`` of the channel's after-hours energy; a chronic
base load when it reaches both too and showed in at least ``chronic_min_week_share`` of the
baseline weeks with data (at least half as strong per after-hours hour as this week).
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from argo_lib.analytics.baseline import MODEL_LEVEL, Profile, SlotStats
from argo_lib.analytics.grid import Grid
from argo_lib.stats import group_sum, grouped_quantiles, robust_sigma, runs_2d
from argo_lib.thresholds import AfterHoursThresholds

__all__ = [
    "AFTER_HOURS_COLUMNS",
    "BASE_SOURCES",
    "after_hours_waste",
    "beyond_sub_meters",
    "empty_after_hours",
    "moved_edge",
]

AFTER_HOURS_COLUMNS = (
    "channel_id",
    "base_kw",
    "base_source",
    "allowance_kw",
    "after_hours_kwh",
    "new_kwh",
    "new_cost",
    "new_hours",
    "excess_kwh",
    "excess_cost",
    "significant",
    "floor_kw",
    "floor_source",
    "chronic_kw",
    "chronic_hours",
    "chronic_kwh",
    "chronic_cost",
    "chronic_weeks",
    "chronic_night_share",
    "baseline_weeks",
    "chronic_significant",
    "avg_kw",
    "max_kw",
    "min_kw",
    "intervals",
    "expected_intervals",
)
"""Columns of the after-hours table, one row per channel."""

BASE_SOURCES = ("baseline_same_hours", "model_same_hours", "insufficient_baseline")
"""Where the base of new operation comes from: the baseline's medians of the same time slots,
the temperature model's expected values for those hours, or nowhere (baseline insufficient)."""

NIGHT_HOURS = (20, 6)
"""Local hours counted as night (from 20:00 to 06:00) when a chronic base load is described as
a night load (``chronic_night_share``) rather than a load of closed days' daytime."""

_MIN_VALUES = 8
_SAME_HOUR_MIN_VALUES = 3
_INT_COLUMNS = ("intervals", "expected_intervals", "chronic_weeks", "baseline_weeks")
_BOOL_COLUMNS = ("significant", "chronic_significant")
_TEXT_COLUMNS = ("base_source", "floor_source")


def empty_after_hours() -> pd.DataFrame:
    """Return an after-hours table without rows, with the right dtypes."""
    return _empty_after_hours_prototype().copy()


@functools.cache
def _empty_after_hours_prototype() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in AFTER_HOURS_COLUMNS})
    return frame.astype(
        {
            "channel_id": np.int64,
            **dict.fromkeys(_TEXT_COLUMNS, object),
            **dict.fromkeys(_INT_COLUMNS, np.int64),
            **dict.fromkeys(_BOOL_COLUMNS, bool),
        }
    )


def _near_opening(grid: Grid, hours: float) -> np.ndarray:
    """True for the rows within ``hours`` of a business-hours row (business rows included)."""
    rows = np.arange(grid.business.size)
    business = np.flatnonzero(grid.business)
    if business.size == 0:
        return np.zeros(rows.size, dtype=bool)
    k = np.searchsorted(business, rows)
    before = business[np.clip(k - 1, 0, business.size - 1)]
    after = business[np.clip(k, 0, business.size - 1)]
    distance = np.minimum(np.abs(rows - before), np.abs(after - rows))
    return distance * grid.dt_h <= hours + 1e-9


def moved_edge(
    grid: Grid, load: np.ndarray, base: np.ndarray, margin: np.ndarray, *, hours: float
) -> np.ndarray:
    """After-hours intervals whose excess is the edge of a standing load that moved in time.

    A standing load that follows the sun (exterior lighting on a photocell) switches on and off
    a minute or two earlier or later every day, so its edges move by 10–60 min between the
    baseline weeks and the report week: an interval before the baseline's dusk then draws the
    night's level. Such an interval is not new operation when, within ``hours`` of it, after-
    hours intervals stand a clear step (more than its margin) above its base, those intervals
    draw on average no more than their own base plus margin this week (the standing load is
    what it was),
    and its load stays within the highest of their bases plus twice its margin (the noise of
    both). New operation on top
    of the standing load raises those neighbours too, so its edges still count. Business
    intervals neither take nor give a level (a run-on at the business level is a schedule
    change).

    Parameters
    ----------
    grid : Grid
        Report-week grid (``business``, ``dt_h``).
    load, base, margin : numpy.ndarray, shape (n_rows, n_channels)
        Load, expected load and the margin above it of each interval [kW]; NaN where unknown.
    hours : float
        How far an edge may move [h]; 0 finds none.

    Returns
    -------
    numpy.ndarray of bool
        Shape of ``load``.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> g = SimpleNamespace(business=np.zeros(4, dtype=bool), dt_h=1.0)
    >>> base = np.array([[1.0], [1.0], [5.0], [5.0]])
    >>> moved_edge(g, np.array([[1.0], [5.0], [5.0], [5.0]]), base, np.full((4, 1), 0.5),
    ...            hours=1.0)[:, 0].tolist()  # on an hour early
    [False, True, False, False]
    >>> moved_edge(g, np.array([[3.0], [7.0], [9.0], [9.0]]), base, np.full((4, 1), 0.5),
    ...            hours=1.0)[:, 0].tolist()  # +2 kW on top of the standing load
    [False, False, False, False]
    """
    n_t = load.shape[0]
    k = int(round(hours / grid.dt_h))
    if k <= 0 or n_t == 0:
        return np.zeros(load.shape, dtype=bool)
    after = ~np.asarray(grid.business, dtype=bool)[:, None]
    with np.errstate(invalid="ignore"):
        over = load - base
        candidate = after & (over > margin)
    out = np.zeros(load.shape, dtype=bool)
    rows, cols = np.nonzero(candidate)
    if rows.size == 0:
        return out
    with np.errstate(invalid="ignore"):
        level = np.where(after & np.isfinite(base), base, np.nan)
        above = np.where(after & np.isfinite(over), over - margin, np.nan)
    # the 2k + 1 neighbours of each candidate only (candidates are few): NaN off the grid
    near_rows = rows[:, None] + np.arange(-k, k + 1)[None, :]
    inside = (near_rows >= 0) & (near_rows < n_t)
    safe = np.clip(near_rows, 0, n_t - 1)
    near = np.where(inside, level[safe, cols[:, None]], np.nan)
    base_c, margin_c = base[rows, cols][:, None], margin[rows, cols][:, None]
    with np.errstate(invalid="ignore"):
        step = (near - base_c) > margin_c  # neighbours a step above
        top = np.nanmax(np.where(step, near, -np.inf), axis=-1)
        # the standing load draws its usual level: its intervals' mean excess over their base
        # stays within their margin (one noisy reading does not raise it)
        their = np.where(step & inside, above[safe, cols[:, None]], np.nan)
        n = np.sum(np.isfinite(their), axis=-1)
        calm = np.nansum(their, axis=-1) <= 0.0
        within = load[rows, cols] <= top + 2.0 * margin[rows, cols]  # noise of both included
    out[rows, cols] = (n > 0) & calm & within
    return out


def beyond_sub_meters(
    kwh: np.ndarray, sub_kwh: np.ndarray, is_main: np.ndarray, *, rows: np.ndarray | None = None
) -> np.ndarray:
    """The main meters' excess that the sub-meters' own excess does not explain [kWh].

    A sub-meter's new after-hours operation shows on the main meter too: counted on both it
    would be saved twice (B8). In each interval a main meter keeps what its excess exceeds the
    sub-meters' excess by (every sub-meter of the grid: the site has one main meter).

    Parameters
    ----------
    kwh : numpy.ndarray, shape (n_rows, n_channels)
        Excess energy of each interval and channel [kWh].
    sub_kwh : numpy.ndarray, shape (n_rows, n_channels)
        The excess that explains a main meter's: the sub-meters' columns are summed [kWh].
    is_main : numpy.ndarray of bool, shape (n_channels,)
        Main meters.
    rows : numpy.ndarray of bool, optional
        Only these intervals (default all).

    Returns
    -------
    numpy.ndarray
        ``kwh`` with the main meters' columns reduced, never below 0.

    Examples
    --------
    >>> beyond_sub_meters(np.array([[5.0, 3.0, 1.0]]), np.array([[5.0, 3.0, 1.0]]),
    ...                   np.array([True, False, False])).tolist()
    [[1.0, 3.0, 1.0]]
    """
    is_main = np.asarray(is_main, dtype=bool)
    if not is_main.any() or is_main.all():
        return kwh
    subs = np.nansum(np.where(is_main[None, :], 0.0, sub_kwh), axis=1)
    if rows is not None:
        subs = np.where(rows, subs, 0.0)
    out = kwh.copy()
    out[:, is_main] = np.maximum(kwh[:, is_main] - subs[:, None], 0.0)
    return out


def _weeks(grid: Grid) -> tuple[np.ndarray, int]:
    """Week number of each row from the grid's first day, and the number of weeks."""
    if grid.day.size == 0:
        return np.zeros(0, dtype=np.int64), 0
    week = (grid.day - grid.day[0]) // 7
    return week, int(week.max()) + 1


def _noise(baseline: Grid, baseline_expected: SlotStats) -> np.ndarray:
    """Robust standard deviation of the after-hours readings around their slot medians [kW].

    Estimated from the changes of the deviation between consecutive after-hours intervals
    (robust sigma of the differences over sqrt 2), so that a load that changed between baseline
    weeks, or a night level that differs from the weekend-day level, does not pass for noise.
    """
    deviation = baseline.load_kw - baseline_expected.median
    after = ~baseline.business
    both = after[1:] & after[:-1]
    change = (deviation[1:] - deviation[:-1])[both]
    return robust_sigma(change) / np.sqrt(2.0)


def _floor(
    baseline: Grid, baseline_expected: SlotStats, t: AfterHoursThresholds
) -> tuple[np.ndarray, np.ndarray]:
    """The closed-building floor of each channel [kW] and where it came from."""
    medians = baseline_expected.median[~baseline.business]
    with np.errstate(invalid="ignore"):
        high = np.where(medians > t.min_power_kw, medians, np.nan)
    zeros = np.zeros(medians.shape[0], dtype=np.int64)
    p_high, n_high = grouped_quantiles(high, zeros, 1, (t.base_percentile,))
    p_all, _ = grouped_quantiles(medians, zeros, 1, (t.base_percentile,))
    use_high = n_high[0] >= _MIN_VALUES
    floor = np.where(use_high, p_high[0, 0], p_all[0, 0])
    source = np.where(use_high, "baseline_p5", "baseline_p5_all").astype(object)
    return floor, source


def _chronic_energy(
    g: Grid,
    base: np.ndarray,
    floor: np.ndarray,
    step: np.ndarray,
    usable: np.ndarray,
    t: AfterHoursThresholds,
) -> tuple[np.ndarray, np.ndarray]:
    """Chronic base-load energy per interval and channel of a grid [kWh], and where it can be.

    The second array marks the observed intervals whose expected load stands a clear step
    above the closed floor: the hours a chronic base load is measured on.
    """
    load = g.load_kw
    counted = (~_near_opening(g, t.chronic_edge_hours))[:, None] & usable[None, :]
    with np.errstate(invalid="ignore"):
        standing = counted & np.isfinite(load) & (base - floor[None, :] > step[None, :])
        layer = np.minimum(load, base) - floor[None, :]
    return np.where(standing, np.maximum(layer, 0.0) * g.dt_h, 0.0), standing


def _chronic_weeks(
    baseline: Grid,
    chronic_kwh: np.ndarray,
    standing: np.ndarray,
    report_rate_kw: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Baseline weeks with data, and those that show the chronic load (per channel).

    Only the hours the chronic load is measured on count (``standing``): a week whose
    Saturday was an outage says nothing about a Saturday load. A week shows the load when its
    chronic energy per such hour is at least half the report week's (``report_rate_kw``).
    """
    n_c = chronic_kwh.shape[1]
    week, n_weeks = _weeks(baseline)
    if n_weeks == 0:
        return np.zeros(n_c, dtype=np.int64), np.zeros(n_c, dtype=np.int64)
    hours = group_sum(standing, week, n_weeks) * baseline.dt_h
    energy = group_sum(chronic_kwh, week, n_weeks)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = np.where(hours > 0, energy / np.maximum(hours, 1e-12), 0.0)
    has_data = hours > 0
    shows = has_data & (rate >= 0.5 * report_rate_kw[None, :]) & (energy > 0)
    return has_data.sum(axis=0).astype(np.int64), shows.sum(axis=0).astype(np.int64)


def _sustained(mask: np.ndarray, *, rows: int) -> np.ndarray:
    """The flags of ``mask`` in runs of at least ``rows`` rows (gaps of one row bridged).

    Examples
    --------
    >>> m = np.array([1, 0, 1, 1, 0, 0, 1, 1, 1], dtype=bool)[:, None]
    >>> _sustained(m, rows=3)[:, 0].astype(int).tolist()
    [1, 0, 1, 1, 0, 0, 1, 1, 1]
    >>> _sustained(np.array([1, 0, 0, 1, 1], dtype=bool)[:, None], rows=2)[:, 0].tolist()
    [False, False, False, True, True]
    """
    if rows <= 1 or not mask.any():
        return mask
    runs = runs_2d(mask, max_gap=1)
    long = (runs.stop - runs.start) >= rows
    edges = np.zeros((mask.shape[0] + 1, mask.shape[1]), dtype=np.int64)
    np.add.at(edges, (runs.start[long], runs.col[long]), 1)
    np.add.at(edges, (runs.stop[long], runs.col[long]), -1)
    return mask & (np.cumsum(edges[:-1], axis=0) > 0)


def _same_hours(
    grid: Grid, profile: Profile, allowance: np.ndarray, t: AfterHoursThresholds
) -> tuple[np.ndarray, np.ndarray]:
    """What the same hour of the week drew in the baseline weeks, per report interval [kW].

    Returns the median of the profile's hour-of-week slot (holidays are Sunday slots; a slot
    is after hours in every baseline week or in none) and its limit, the larger of
    ``Q3 + new_iqr_k * IQR`` and the median plus the noise ``allowance``; both NaN where the
    slot has fewer than three readings.
    """
    slot = profile.level("hour_of_week")
    q1, median, q3 = slot["q1"], slot["median"], slot["q3"]
    enough = slot["n"] >= _SAME_HOUR_MIN_VALUES
    limit = np.where(
        enough, np.fmax(q3 + t.new_iqr_k * (q3 - q1), median + allowance[None, :]), np.nan
    )
    return np.where(enough, median, np.nan)[grid.slot], limit[grid.slot]


def after_hours_waste(
    grid: Grid,
    *,
    expected: SlotStats,
    baseline: Grid,
    baseline_expected: SlotStats,
    profile: Profile,
    rate_per_kwh: np.ndarray,
    thresholds: AfterHoursThresholds | None = None,
    is_main: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Measure new after-hours operation and the chronic base load of every channel of a grid.

    Parameters
    ----------
    grid : Grid
        Report-week grid of one resolution (suspect readings already left out).
    expected : SlotStats
        Expected statistics of the report intervals (the same slots of the baseline, or the
        temperature model): the base of each interval.
    baseline : Grid
        Baseline grid of the same channels.
    baseline_expected : SlotStats
        Expected statistics of the baseline intervals (noise allowance, floor, and the chronic
        load of each baseline week).
    profile : Profile
        Baseline profile (coverage decides whether the baseline is sufficient).
    rate_per_kwh : numpy.ndarray
        Energy price of each report interval [currency/kWh].
    thresholds : AfterHoursThresholds, optional
        Limits.
    is_main : numpy.ndarray of bool, optional
        Main meters (one per channel): a main meter's new operation is what the sub-meters'
        new operation does not explain (:func:`beyond_sub_meters`).

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`AFTER_HOURS_COLUMNS`, one row per channel:

        - ``base_kw``: mean base of the week's after-hours intervals with a reading [kW];
          ``base_source`` one of :data:`BASE_SOURCES` (``"insufficient_baseline"``: every
          energy, cost and base is NaN); ``allowance_kw`` the noise allowance [kW];
        - ``after_hours_kwh``: after-hours energy of the week [kWh];
        - ``new_kwh``, ``new_cost``, ``new_hours``: new after-hours operation [kWh],
          [currency], hours with it [h]; ``excess_kwh``, ``excess_cost`` repeat them and
          ``significant`` says whether it is significant (the after-hours *waste*);
        - ``floor_kw`` [kW] and ``floor_source`` (``"baseline_p5"``, or ``"baseline_p5_all"``
          when fewer than 8 slot medians exceed ``min_power_kw``);
        - ``chronic_kw``: mean standing load above the floor while present [kW],
          ``chronic_hours`` [h], ``chronic_kwh`` [kWh], ``chronic_cost`` [currency];
          ``chronic_weeks`` of ``baseline_weeks`` (with data on the hours it stands)
          showed it; ``chronic_night_share``, its share at night (:data:`NIGHT_HOURS`) [-];
          ``chronic_significant``;
        - ``avg_kw``, ``max_kw``, ``min_kw`` of the after-hours readings [kW], ``intervals``
          (after-hours readings present) and ``expected_intervals``.
    new_kwh : numpy.ndarray
        New-operation energy per report interval and channel [kWh] (0 in business hours), for
        the ledger: a main meter's as measured (:func:`argo_lib.analytics.quick_wins.attribute_ledger`
        takes off what its sub-meters count, once, for every source).
    chronic_kwh : numpy.ndarray
        Chronic base-load energy per report interval and channel [kWh] (0 in business hours).

    Notes
    -----
    A week whose nights draw what the baseline's nights drew has a chronic base load above
    the closed floor and no new operation, however high the nights are.
    """
    t = AfterHoursThresholds() if thresholds is None else thresholds
    n_c = grid.load_kw.shape[1]
    dt_h = grid.dt_h
    b_after = ~baseline.business
    noise = np.nan_to_num(_noise(baseline, baseline_expected))
    allowance = t.noise_sigmas * noise
    step = t.chronic_sigmas * noise  # a standing load is a clear step above the floor
    floor, floor_source = _floor(baseline, baseline_expected, t)
    usable = profile.sufficient & np.isfinite(floor)

    after = ~grid.business
    load = grid.load_kw
    base = expected.median
    present = np.isfinite(load) & after[:, None]
    judged = present & np.isfinite(base) & usable[None, :]
    # new operation: above the same hours of the baseline by more than the slot's margin
    margin = np.fmax(
        allowance[None, :], expected.q3 - base + t.new_iqr_k * (expected.q3 - expected.q1)
    )
    with np.errstate(invalid="ignore"):
        over = load - base
        # a standing load's edge that moved with the sun is not new operation
        moved = moved_edge(grid, load, base, margin, hours=t.edge_shift_hours)
        is_new = judged & (over > margin) & ~moved
        model = expected.level == MODEL_LEVEL
        if model.any():
            # like with like: where the weather model gives the base, new operation is also
            # above what the same hour of the week drew in the baseline weeks, and counts from
            # the larger of the two (a model that under-predicts a night's standing load,
            # its slopes fitted mostly on daytime hours, is not the building's waste)
            same, limit = _same_hours(grid, profile, allowance, t)
            is_new &= ~(model & (load <= limit))
            over = np.where(model & np.isfinite(same), load - np.fmax(base, same), over)
    # equipment left on runs for hours: a single interval above the margin on a night like the
    # others is the meter's noise, and summed over a week's nights it became "new operation"
    is_new = _sustained(is_new, rows=int(np.ceil(t.new_min_hours / dt_h - 1e-9)))
    new = np.where(is_new, over * dt_h, 0.0)
    ledger_new = new  # the ledger counts a main meter's excess once itself (attribute_ledger)
    if is_main is not None:  # a sub-meter's new operation is not the main meter's again
        new = beyond_sub_meters(new, new, is_main)
    # chronic base load: the part of the base above the closed floor, outside the edges
    chronic_all, standing = _chronic_energy(grid, base, floor, step, usable, t)
    chronic = np.where(judged, chronic_all, 0.0)
    standing &= judged

    a_load = np.where(present, load, np.nan)
    count = present.sum(axis=0)
    has = count > 0
    avg = np.full(n_c, np.nan)
    hi = np.full(n_c, np.nan)
    lo = np.full(n_c, np.nan)
    if has.any():
        avg[has] = np.nansum(a_load[:, has], axis=0) / count[has]
        hi[has] = np.nanmax(a_load[:, has], axis=0)
        lo[has] = np.nanmin(a_load[:, has], axis=0)
    after_kwh = np.nansum(a_load, axis=0) * dt_h
    n_judged = judged.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        base_kw = np.where(judged, base, 0.0).sum(axis=0) / n_judged
        model_share = (judged & (expected.level == MODEL_LEVEL)).sum(axis=0) / n_judged
    source = np.where(model_share >= 0.5, BASE_SOURCES[1], BASE_SOURCES[0]).astype(object)
    source[~usable] = BASE_SOURCES[2]

    new_kwh = new.sum(axis=0)
    chronic_kwh = chronic.sum(axis=0)
    chronic_hours = (chronic > 0).sum(axis=0) * dt_h
    report_rate = chronic_kwh / np.maximum(standing.sum(axis=0) * dt_h, 1e-12)
    b_base = baseline_expected.median
    b_judged = np.isfinite(b_base) & b_after[:, None]
    b_chronic, b_standing = _chronic_energy(baseline, b_base, floor, step, usable, t)
    b_chronic = np.where(b_judged, b_chronic, 0.0)
    weeks, chronic_weeks = _chronic_weeks(baseline, b_chronic, b_standing & b_judged, report_rate)

    def big(kwh: np.ndarray) -> np.ndarray:
        return (kwh >= t.min_weekly_kwh) & (kwh >= t.min_share * after_kwh)

    new_cost = (new * rate_per_kwh[:, None]).sum(axis=0)
    chronic_cost = (chronic * rate_per_kwh[:, None]).sum(axis=0)
    significant = usable & big(new_kwh)
    chronic_significant = (
        usable & big(chronic_kwh) & (chronic_weeks >= np.ceil(t.chronic_min_week_share * weeks))
    )

    def known(values: np.ndarray) -> np.ndarray:
        return np.where(usable, values, np.nan)

    hour = grid.hour_of_week % 24
    night = (hour >= NIGHT_HOURS[0]) | (hour < NIGHT_HOURS[1])
    with np.errstate(invalid="ignore", divide="ignore"):
        chronic_kw = np.where(chronic_hours > 0, chronic_kwh / chronic_hours, 0.0)
        night_share = np.where(
            chronic_kwh > 0, chronic[night].sum(axis=0) / np.maximum(chronic_kwh, 1e-12), 0.0
        )
    table = pd.DataFrame(
        {
            "channel_id": grid.channel_ids,
            "base_kw": known(base_kw),
            "base_source": source,
            "allowance_kw": known(allowance),
            "after_hours_kwh": after_kwh,
            "new_kwh": known(new_kwh),
            "new_cost": known(new_cost),
            "new_hours": known((new > 0).sum(axis=0) * dt_h),
            "excess_kwh": known(new_kwh),
            "excess_cost": known(new_cost),
            "significant": significant,
            "floor_kw": known(floor),
            "floor_source": np.where(usable, floor_source, BASE_SOURCES[2]).astype(object),
            "chronic_kw": known(chronic_kw),
            "chronic_hours": known(chronic_hours),
            "chronic_kwh": known(chronic_kwh),
            "chronic_cost": known(chronic_cost),
            "chronic_weeks": np.where(usable, chronic_weeks, 0).astype(np.int64),
            "chronic_night_share": known(night_share),
            "baseline_weeks": weeks,
            "chronic_significant": chronic_significant,
            "avg_kw": avg,
            "max_kw": hi,
            "min_kw": lo,
            "intervals": count.astype(np.int64),
            "expected_intervals": np.full(n_c, int(after.sum()), dtype=np.int64),
        }
    )
    return table, ledger_new, chronic
