"""Sustained unusual consumption against the baseline profile (spec A5, B5–B7, C).

An interval is unusual when its load exceeds its slot median by more than a margin that never
collapses (B5): the largest of ``Q3 - median + iqr_k * IQR`` (A5's ``Q3 + 3 IQR``), ``mad_k``
robust standard deviations, an absolute floor and a fraction of the channel's typical load.
Unusual intervals form runs; each run is classified by when it happens:

- ``after_hours``: mostly outside opening hours and covering most of those after-hours blocks
  (equipment left running overnight or over a weekend);
- ``schedule_change``: at the edge of opening hours on several open days (starting earlier or
  stopping later than the baseline);
- ``unusual_consumption``: anything else (mostly during opening hours).

On a noisy meter (a 15-min main meter whose readings scatter by a third of its level) a
sustained excess of +50 % can stay below that margin in most of its intervals. The
sustained-excess check (:func:`sustained_excess`) therefore averages the deviations from the
expected load over windows of ``window_hours`` that lie wholly in opening hours (at their edges
the schedule-change rule, after hours the after-hours analytic and the margins above judge): a
window is unusual when its mean deviation exceeds
``window_sigmas`` robust standard deviations of the same window means over the baseline's
opening hours (so the weather's day-to-day swing is part of the yardstick),
``window_rel_floor`` of its expected load and ``abs_floor_kw``. The intervals of
unusual windows are trimmed to the stretch that carries the excess (the maximum-sum segment of
the deviations less half their typical level in its unusual windows); a stretch must span three
quarters of the window when a window holds more than four intervals (noise may trim its ends)
and, with fewer, as with hourly data, fill the window; one no longer than such a window is as
short as a demand spike, and counts only when its mean rise is at most
``window_short_max_rel`` of the expected load (a taller one is left to the spike detector). The
excess energy of a stretch is its net deviation from the expected load, so the noise inside it
adds nothing.

After hours, intervals at the moved edge of a standing load that follows the sun are not
unusual (:func:`argo_lib.analytics.after_hours.moved_edge`, ``after_hours_edge_hours``), and
the same window check runs over windows wholly after hours (``after_hours_window_hours``,
``after_hours_window_sigmas``, ``after_hours_window_rel_floor``; only intervals whose expected
load knows the time of day), so equipment left on overnight on a noisy main meter is found.
The readings of a slot whose baseline weeks disagree (its margin more than four times the
channel's usual after-hours margin: a dusk or dawn that crossed the hour between the weeks, or
moved with a clock change) count as present in those windows but add nothing.
An event at one edge of opening hours on a single day that lies after hours is after-hours
operation (an evening left running), not unusual consumption.

Runs of one kind on one channel are then merged into one event (consecutive nights, recurring
days), and an event is kept when it has at least ``min_excess_kwh`` of excess over the median and
lasts at least ``min_duration_hours`` and ``min_intervals`` readings (one hourly reading is as
short as a spike). Its average excess power is its excess energy divided by its real duration
(B6, any resolution). The alternative ``method="isolation_forest"`` flags
intervals with scikit-learn's Isolation Forest over time-of-week features instead (spec C).
"""

from __future__ import annotations

import dataclasses
import functools
import warnings

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from argo_lib.analytics.baseline import LEVELS, MODEL_LEVEL, Profile, SlotStats
from argo_lib.analytics.grid import Grid
from argo_lib.stats import Runs, reduce_runs, robust_sigma, runs_2d
from argo_lib.thresholds import AnomalyThresholds

__all__ = [
    "ANOMALY_KINDS",
    "EVENT_COLUMNS",
    "anomaly_margin",
    "detect_anomalies",
    "empty_events",
    "isolation_forest_mask",
    "sustained_excess",
    "window_means",
]

ANOMALY_KINDS = ("after_hours", "schedule_change", "unusual_consumption")
"""Kinds of anomaly events."""

EVENT_COLUMNS = (
    "channel_id",
    "kind",
    "start",
    "end",
    "intervals",
    "hours",
    "runs",
    "days",
    "peak_kw",
    "excess_kwh",
    "avg_excess_kw",
    "context",
    "sustained",
)
"""Columns of the anomaly-event frame (``start``/``end`` UTC, end exclusive)."""

_SCHEDULE_MAX_HOURS = 10.0
_SCHEDULE_EDGE_HOURS = 2.0
_MERGE_HOURS = {"after_hours": 14.0, "schedule_change": 30.0}
_VARIABLE_SLOT_MARGINS = 4.0


def empty_events() -> pd.DataFrame:
    """Return an anomaly-event frame without rows."""
    return _empty_events_prototype().copy()


@functools.cache
def _empty_events_prototype() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype=np.int64),
            "kind": pd.Series(dtype=object),
            "start": pd.Series(dtype="datetime64[ns, UTC]"),
            "end": pd.Series(dtype="datetime64[ns, UTC]"),
            "intervals": pd.Series(dtype=np.int64),
            "hours": pd.Series(dtype=float),
            "runs": pd.Series(dtype=np.int64),
            "days": pd.Series(dtype=np.int64),
            "peak_kw": pd.Series(dtype=float),
            "excess_kwh": pd.Series(dtype=float),
            "avg_excess_kw": pd.Series(dtype=float),
            "context": pd.Series(dtype=object),
            "sustained": pd.Series(dtype=bool),
        }
    )


def anomaly_margin(
    expected: SlotStats,
    profile: Profile,
    *,
    thresholds: AnomalyThresholds,
    sustained: bool = False,
) -> np.ndarray:
    """Return the excess over the slot median above which an interval is unusual [kW].

    Parameters
    ----------
    expected : SlotStats
        Baseline statistics of the report intervals.
    profile : Profile
        Baseline profile (for the typical load of each channel).
    thresholds : AnomalyThresholds
        ``iqr_k``, ``mad_k``, ``abs_floor_kw`` (``model_abs_floor_kw`` where the expected value
        comes from the temperature model), ``rel_floor``.
    sustained : bool
        Return the smaller margin of sustained excess instead (``sustained_iqr_k``,
        ``sustained_mad_k``, half the relative floor).

    Returns
    -------
    numpy.ndarray
        Margin per interval and channel [kW]; NaN where the baseline is unusable.
    """
    t = thresholds
    iqr_k, mad_k, share = (
        (t.sustained_iqr_k, t.sustained_mad_k, 0.5) if sustained else (t.iqr_k, t.mad_k, 1.0)
    )
    iqr = expected.q3 - expected.q1
    typical = np.nan_to_num(profile.mean_kw)[None, :]
    margin = np.fmax(expected.q3 - expected.median + iqr_k * iqr, mad_k * expected.mad)
    modelled = expected.level == MODEL_LEVEL  # expected value from the temperature model
    abs_floor = np.where(modelled, t.model_abs_floor_kw, t.abs_floor_kw)
    margin = np.fmax(margin, np.maximum(abs_floor, share * t.rel_floor * typical))
    return np.where(np.isfinite(expected.median), margin, np.nan)


def window_means(values: np.ndarray, *, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean of each column over the window of ``width`` rows that starts at each row.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_rows, n_cols)
        Values; NaN is missing.
    width : int
        Rows per window (at least 1).

    Returns
    -------
    means : numpy.ndarray, shape (n_rows, n_cols)
        Mean of the present values of rows ``[i, i + width)``; NaN where a window has none or
        runs past the last row.
    counts : numpy.ndarray of int, shape (n_rows, n_cols)
        Present values per window (0 past the last full window).

    Examples
    --------
    >>> means, counts = window_means(np.array([[1.0], [3.0], [np.nan], [5.0]]), width=2)
    >>> means[:, 0].tolist(), counts[:, 0].tolist()
    ([2.0, 3.0, 5.0, nan], [2, 1, 1, 0])
    """
    values = np.asarray(values, dtype=float)
    n_rows, n_cols = values.shape
    width = max(int(width), 1)
    ok = np.isfinite(values)
    zero = np.zeros((1, n_cols))
    total = np.vstack([zero, np.cumsum(np.where(ok, values, 0.0), axis=0)])
    count = np.vstack([zero, np.cumsum(ok, axis=0)])
    n_full = max(n_rows - width + 1, 0)
    sums = np.zeros((n_rows, n_cols))
    counts = np.zeros((n_rows, n_cols), dtype=np.int64)
    sums[:n_full] = total[width : width + n_full] - total[:n_full]
    counts[:n_full] = (count[width : width + n_full] - count[:n_full]).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return means, counts


def _window_sigma(
    baseline: Grid, baseline_median: np.ndarray, *, width: int, min_count: int
) -> np.ndarray:
    """Robust sigma of the baseline's window-mean deviations wholly in opening hours [kW]."""
    means, counts = window_means(baseline.load_kw - baseline_median, width=width)
    business, _ = window_means(baseline.business[:, None].astype(float), width=width)
    valid = (counts >= min_count) & (business >= 1.0 - 1e-9)
    return robust_sigma(np.where(valid, means, np.nan))


def sustained_excess(
    grid: Grid,
    median: np.ndarray,
    *,
    usable: np.ndarray,
    baseline: Grid,
    baseline_median: np.ndarray,
    thresholds: AnomalyThresholds,
    skipped: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Find stretches of opening hours whose load stays above the expected load too long for noise.

    Parameters
    ----------
    grid : Grid
        Report-week grid.
    median : numpy.ndarray
        Expected load of each report interval and channel [kW] (a shifted level included).
    usable : numpy.ndarray of bool
        Intervals that may be judged (shape of ``grid.load_kw``).
    skipped : numpy.ndarray of bool, optional
        Readings that belong to another finding (a spike on top of the excess): they count
        as present for a window's coverage and neither add to nor break a stretch; inside a
        stretch they keep the stretch's mean excess (at most their own), the rest is the
        other finding's.
    baseline : Grid
        Baseline grid of the same channels.
    baseline_median : numpy.ndarray
        Expected load of each baseline interval [kW].
    thresholds : AnomalyThresholds
        ``window_hours``, ``window_sigmas``, ``window_rel_floor``, ``window_min_coverage`` and
        ``abs_floor_kw`` (see the module docstring).

    Returns
    -------
    mask : numpy.ndarray of bool
        Intervals of the stretches found.
    excess_kwh : numpy.ndarray
        Excess energy of those intervals [kWh]: each stretch's net deviation from the expected
        load, spread over its intervals in proportion to their positive deviations; 0
        elsewhere.
    """
    t = thresholds
    n_t, n_c = grid.load_kw.shape
    mask = np.zeros((n_t, n_c), dtype=bool)
    excess = np.zeros((n_t, n_c))
    width = max(int(round(t.window_hours / grid.dt_h)), 1)
    if n_t < width:
        return mask, excess
    min_count = max(int(np.ceil(t.window_min_coverage * width)), 1)
    # a stretch must span three quarters of the window (noise may trim its ends) when the
    # window holds more than four intervals; with fewer (hourly data) it must fill the window,
    # and a stretch no longer than the window (as short as a spike) must also be a moderate
    # rise, not a spike's (see _spike_like)
    min_rows = int(np.ceil(0.75 * width)) if width > 4 else width
    sigma = _window_sigma(baseline, baseline_median, width=width, min_count=min_count)
    skipped = np.zeros((n_t, n_c), dtype=bool) if skipped is None else skipped & ~usable
    with np.errstate(invalid="ignore"):
        deviation = np.where(usable, grid.load_kw - median, np.nan)
    means, _ = window_means(deviation, width=width)
    _, counts = window_means(np.where(usable | skipped, 1.0, np.nan), width=width)
    level, _ = window_means(np.where(usable, median, np.nan), width=width)
    business, _ = window_means(grid.business[:, None].astype(float), width=width)
    limit = np.fmax(
        t.window_sigmas * sigma[None, :],
        np.maximum(t.window_rel_floor * np.nan_to_num(level), t.abs_floor_kw),
    )
    with np.errstate(invalid="ignore"):
        unusual = (counts >= min_count) & (business >= 1.0 - 1e-9) & (means > limit)
        unusual &= np.isfinite(sigma)[None, :]
    if not unusual.any():
        return mask, excess
    # the intervals of every unusual window
    starts = np.vstack([np.zeros((1, n_c), dtype=np.int64), np.cumsum(unusual, axis=0)])
    rows = np.arange(n_t)
    covered = starts[rows + 1] - starts[np.maximum(rows - width + 1, 0)] > 0
    stretches = runs_2d(covered)
    filled = np.nan_to_num(deviation)
    for c, a, b in zip(stretches.col, stretches.start, stretches.stop, strict=True):
        # one slice per stretch (few): keep the segment that carries the excess, the maximum
        # sum of the deviations less half the excess level (trims the windows' noisy edges);
        # the level is the median over the unusual windows of their median deviation, so a
        # spike on the plateau does not raise it
        windows = sliding_window_view(deviation[a:b, c], width)[np.flatnonzero(unusual[a:b, c])]
        level_kw = float(np.median(np.nanmedian(windows, axis=1)))
        step = np.where(skipped[a:b, c], 0.0, filled[a:b, c] - 0.5 * level_kw)
        gain = np.concatenate([[0.0], np.cumsum(step)])
        best = gain - np.minimum.accumulate(gain)
        stop = int(np.argmax(best))
        first = int(np.argmin(gain[: stop + 1]))
        seg = slice(a + first, a + stop)
        positive = np.maximum(filled[seg, c], 0.0)
        net = max(float(filled[seg, c].sum()), 0.0)
        own = ~skipped[seg, c]
        n_own = max(int((own & np.isfinite(deviation[seg, c])).sum()), 1)
        # the stretch as a whole must be as unusual as a window
        expected_kw = float(np.nanmean(median[seg, c]))
        floor_kw = max(t.window_sigmas * sigma[c], t.window_rel_floor * expected_kw, t.abs_floor_kw)
        if stop - first < min_rows or net / n_own <= floor_kw:
            continue
        if _spike_like(stop - first, width, net / n_own, expected_kw, thresholds=t):
            continue
        mask[seg, c] = True
        # a skipped reading (a spike on the plateau) keeps the plateau's share, at most its own
        plateau = net / n_own
        with np.errstate(invalid="ignore"):
            under = np.clip(np.nan_to_num(grid.load_kw[seg, c] - median[seg, c]), 0.0, plateau)
        share = np.where(own, positive * (net / positive.sum()), under)
        excess[seg, c] = share * grid.dt_h
    return mask, excess


def _after_hours_flags(
    grid: Grid,
    median: np.ndarray,
    margins: tuple[np.ndarray, ...],
    *,
    usable: np.ndarray,
    skipped: np.ndarray,
    baseline: Grid,
    baseline_median: np.ndarray,
    thresholds: AnomalyThresholds,
    level: np.ndarray,
) -> tuple[tuple[np.ndarray, ...], np.ndarray, np.ndarray]:
    """After-hours part of the profile rule: moved edges, and sustained excess over windows.

    Returns, per margin, the after-hours intervals at a standing load's edge that moved
    (:func:`argo_lib.analytics.after_hours.moved_edge`: not unusual), and the intervals and
    excess energy [kWh] of the sustained-excess check over windows wholly after hours
    (:func:`sustained_excess` with after hours as its "opening hours" and the
    ``after_hours_window_*`` thresholds). The windows judge only intervals whose expected
    load knows the hour (``level``: the temperature model, the hour of week or the day type's
    hour): a day type's one median, or a 3-hour block's, cannot say what 08:00 on a Saturday
    draws when the building opens at 08:00.
    """
    from argo_lib.analytics.after_hours import moved_edge  # after_hours imports no anomalies

    t = thresholds
    load = np.where(usable, grid.load_kw, np.nan)
    moved = tuple(
        moved_edge(grid, load, median, m, hours=t.after_hours_edge_hours) for m in margins
    )
    night = dataclasses.replace(t, window_hours=t.after_hours_window_hours,
                                window_sigmas=t.after_hours_window_sigmas,
                                window_rel_floor=t.after_hours_window_rel_floor)  # fmt: skip
    # a 3-hour block's median straddles openings and closings (hourly data pool there)
    timed = (level <= LEVELS.index("day_type_hour")) | (level == MODEL_LEVEL)
    # a slot whose baseline weeks disagree (its margin many times the channel's usual one: a
    # dusk or dawn that moved across the hour between the weeks, or with a clock change) says
    # nothing about a small sustained excess: its readings are present but add nothing
    weak = margins[-1]
    after = (~grid.business)[:, None] & usable
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a channel without after hours
        usual = np.nanmedian(np.where(after, weak, np.nan), axis=0)
        variable = usable & (weak > _VARIABLE_SLOT_MARGINS * usual[None, :])
    edge = moved[-1] | variable
    mask, kwh = sustained_excess(
        dataclasses.replace(grid, business=~grid.business),
        median,
        usable=usable & timed & ~edge,
        skipped=skipped | (usable & edge),
        baseline=dataclasses.replace(baseline, business=~baseline.business),
        baseline_median=baseline_median,
        thresholds=night,
    )
    return moved, mask, kwh


def _spike_like(
    rows: int, width: int, excess_kw: float, expected_kw: float, *, thresholds: AnomalyThresholds
) -> bool:
    """Whether a stretch of few readings is a demand spike's rather than a sustained excess.

    With hourly data a 2-h window is two readings, as short as the longest spike
    (``SpikeThresholds.max_duration_hours``): such a stretch is a sustained excess only when
    its mean rise stays below ``window_short_max_rel`` of the expected load; a taller one is
    the spike detector's. Stretches longer than the window, and windows of more than four
    readings (15-min data), are never spike-like.
    """
    if width > 4 or rows > width:
        return False
    return excess_kw > thresholds.window_short_max_rel * max(expected_kw, 0.0)


def isolation_forest_mask(
    grid: Grid,
    expected: SlotStats,
    *,
    baseline: Grid,
    baseline_expected: SlotStats,
    thresholds: AnomalyThresholds,
) -> np.ndarray:
    """Flag unusual report intervals with an Isolation Forest per channel (spec C).

    Each channel's forest is fitted on its baseline intervals with the features
    (sin and cos of the hour of week, day type, load, load minus slot median) and scores the
    report intervals; an interval is flagged when the forest calls it an outlier and its load
    is above the slot median.

    Parameters
    ----------
    grid : Grid
        Report-week grid.
    expected : SlotStats
        Baseline statistics of the report intervals.
    baseline : Grid
        Baseline grid (training data).
    baseline_expected : SlotStats
        Baseline statistics of the baseline intervals.
    thresholds : AnomalyThresholds
        ``forest_contamination`` and ``forest_seed``.

    Returns
    -------
    numpy.ndarray of bool
        Shape of ``grid.load_kw``.
    """
    from sklearn.ensemble import IsolationForest

    def features(g: Grid, med: np.ndarray, col: int) -> np.ndarray:
        angle = 2 * np.pi * g.slot / 168.0
        return np.column_stack(
            [
                np.sin(angle),
                np.cos(angle),
                g.day_type,
                g.load_kw[:, col],
                g.load_kw[:, col] - med[:, col],
            ]
        )

    flagged = np.zeros(grid.load_kw.shape, dtype=bool)
    for col in range(grid.load_kw.shape[1]):  # one model per channel (not per reading)
        train = features(baseline, baseline_expected.median, col)
        train = train[np.isfinite(train).all(axis=1)]
        test = features(grid, expected.median, col)
        usable = np.isfinite(test).all(axis=1)
        if len(train) < 50 or not usable.any():
            continue
        forest = IsolationForest(
            contamination=thresholds.forest_contamination,
            random_state=thresholds.forest_seed,
            n_estimators=50,
        ).fit(train)
        outlier = np.zeros(len(test), dtype=bool)
        outlier[usable] = forest.predict(test[usable]) == -1
        flagged[:, col] = outlier & (grid.load_kw[:, col] > expected.median[:, col])
    return flagged


def _block_ids(business: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Id of the after-hours block of each row (-1 in business hours) and each block's length."""
    after = ~business
    starts = after & np.concatenate([[True], ~after[:-1]]) if after.size else after
    ids = np.cumsum(starts) - 1
    ids = np.where(after, ids, -1)
    n_blocks = int(starts.sum())
    lengths = np.bincount(ids[after], minlength=n_blocks) if n_blocks else np.zeros(0, int)
    return ids, lengths


def _classify(grid: Grid, runs: Runs, flagged: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kind of each run (index into :data:`ANOMALY_KINDS`) and the opening-hours edge it touches.

    The edge is 1 for the opening, 2 for the closing and 0 for neither or both.
    """
    business = grid.business
    after_rows = reduce_runs(
        np.broadcast_to((~business)[:, None], flagged.shape).astype(float),
        runs,
        "sum",
        where=flagged,
    )
    flagged_rows = reduce_runs(np.ones(flagged.shape), runs, "sum", where=flagged)
    share_after = after_rows / np.maximum(flagged_rows, 1)
    block, lengths = _block_ids(business)
    cum_len = np.concatenate([[0], np.cumsum(lengths)])
    # blocks touched: from the first to the last after-hours row within each run
    first_block = np.maximum.accumulate(np.where(block >= 0, block, -1))
    next_block = np.minimum.accumulate(np.where(block >= 0, block, np.iinfo(np.int64).max)[::-1])[
        ::-1
    ]
    lo = next_block[np.minimum(runs.start, business.size - 1)]
    hi = first_block[np.maximum(runs.stop - 1, 0)]
    valid = (lo <= hi) & (hi >= 0) & (lo < np.iinfo(np.int64).max)
    lo_c = np.clip(lo, 0, max(len(lengths) - 1, 0))
    hi_c = np.clip(hi, 0, max(len(lengths) - 1, 0))
    block_rows = np.where(valid, cum_len[np.minimum(hi_c + 1, len(lengths))] - cum_len[lo_c], 0)
    coverage = after_rows / np.maximum(block_rows, 1)
    # edges of opening hours: closing (business -> after) and opening (after -> business) rows
    prev = np.concatenate([[business[0] if business.size else False], business[:-1]])
    closing = np.flatnonzero(prev & ~business)
    opening = np.flatnonzero(~prev & business)
    slack = int(round(_SCHEDULE_EDGE_HOURS / grid.dt_h))
    at_close = _near(runs.start, closing) <= slack
    at_open = _near(runs.stop, opening) <= slack
    short = runs.length * grid.dt_h <= _SCHEDULE_MAX_HOURS
    mostly_after = share_after >= 0.5
    kind = np.full(runs.start.size, 2, dtype=np.int64)
    # the whole after-hours block, or most of it without touching opening hours: left running
    kind[mostly_after & ((at_close & at_open) | (coverage >= 0.5) | ~short)] = 0
    # attached to one edge of opening hours and short: started earlier or stopped later
    schedule = (at_close ^ at_open) & short & (share_after > 0) & (coverage < 0.7)
    kind[schedule] = 1
    kind[mostly_after & (kind == 2)] = 0
    edge = np.where(at_open & ~at_close, 1, np.where(at_close & ~at_open, 2, 0))
    return kind, edge


def _single_edge_kind(mostly_after: np.ndarray) -> np.ndarray:
    """Kind of an event at one edge of opening hours on a single day (not a schedule change).

    Mostly after hours (every run of it): after-hours operation (an evening or an early
    morning left running); otherwise unusual consumption.
    """
    return np.where(mostly_after, 0, 2)


def _open_day_rank(grid: Grid) -> np.ndarray:
    """Number of open days (days with opening hours) up to and including each row's day."""
    if grid.day.size == 0:
        return np.zeros(0, dtype=np.int64)
    day = grid.day - grid.day.min()
    is_open = np.zeros(int(day.max()) + 1, dtype=bool)
    is_open[day[grid.business]] = True
    return np.cumsum(is_open)[day]


def _near(rows: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Distance of each row to the nearest edge row (a large number without edges)."""
    if edges.size == 0:
        return np.full(rows.size, np.iinfo(np.int64).max)
    k = np.searchsorted(edges, rows)
    before = edges[np.clip(k - 1, 0, edges.size - 1)]
    after = edges[np.clip(k, 0, edges.size - 1)]
    return np.minimum(np.abs(rows - before), np.abs(after - rows))


def _join_partial_nights(
    grid: Grid, runs: Runs, kind: np.ndarray, flagged: np.ndarray
) -> np.ndarray:
    """Give mostly after-hours runs next to an after-hours event that kind too.

    The first and last night of equipment left running are often partial (it was switched on,
    or off, in the middle of the night); they belong to the same event.
    """
    after_rows = reduce_runs(
        np.broadcast_to((~grid.business)[:, None], flagged.shape).astype(float),
        runs,
        "sum",
        where=flagged,
    )
    mostly_after = after_rows >= 0.5 * np.maximum(
        reduce_runs(np.ones(flagged.shape), runs, "sum", where=flagged), 1
    )
    order = np.lexsort((runs.start, runs.col))
    col, start, stop = runs.col[order], runs.start[order], runs.stop[order]
    k, after = kind[order].copy(), mostly_after[order]
    limit = _MERGE_HOURS["after_hours"] / grid.dt_h
    for _ in range(2):  # propagate to a neighbour's neighbour
        near_prev = np.zeros(k.size, dtype=bool)
        near_next = np.zeros(k.size, dtype=bool)
        close = (col[1:] == col[:-1]) & (start[1:] - stop[:-1] <= limit)
        near_prev[1:] = close & (k[:-1] == 0)
        near_next[:-1] = close & (k[1:] == 0)
        k = np.where(after & (near_prev | near_next), 0, k)
    out = np.empty_like(kind)
    out[order] = k
    return out


def _absorb(
    agg: dict[str, np.ndarray],
    g_col: np.ndarray,
    g_kind: np.ndarray,
    keep: np.ndarray,
    limit: np.ndarray,
    rank: np.ndarray,
) -> np.ndarray:
    """Group each small after-hours fragment belongs to: a kept neighbour's, or its own.

    A fragment joins a schedule event only inside the event's daily time window (±1 h).
    """
    target = np.arange(keep.size)
    orphans = np.flatnonzero(~keep & agg["strong"] & agg["after"])
    kept = np.flatnonzero(keep & (g_kind <= 1))
    if orphans.size == 0 or kept.size == 0:
        return target
    for i in orphans:  # a few fragments
        mine = kept[g_col[kept] == g_col[i]]
        if mine.size == 0:
            continue
        before = agg["start"][mine] - agg["stop"][i]  # fragment before the event (>= 0)
        after = agg["start"][i] - agg["stop"][mine]  # fragment after it
        gap = np.where(before >= 0, before, np.where(after >= 0, after, np.iinfo(np.int64).max))
        near = gap <= limit[g_kind[mine]]
        # a schedule event also takes a fragment of the open day before or after it
        days = np.where(
            before >= 0,
            rank[agg["start"][mine]] - rank[agg["stop"][i] - 1],
            rank[agg["start"][i]] - rank[np.maximum(agg["stop"][mine] - 1, 0)],
        )
        near |= (g_kind[mine] == 1) & (days <= 1) & ((before >= 0) | (after >= 0))
        in_window = (agg["first_minute"][i] >= agg["first_minute"][mine] - 60) & (
            agg["last_minute"][i] <= agg["last_minute"][mine] + 60
        )
        near &= (g_kind[mine] != 1) | in_window
        if near.any():
            target[i] = mine[near][np.argmin(gap[near])]
    return target


def detect_anomalies(
    grid: Grid,
    expected: SlotStats,
    profile: Profile,
    *,
    baseline: Grid,
    baseline_expected: SlotStats,
    thresholds: AnomalyThresholds | None = None,
    factor: np.ndarray | None = None,
    exclude: np.ndarray | None = None,
    flagged: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Find events of sustained unusual consumption in a report grid.

    Parameters
    ----------
    grid : Grid
        Report-week grid of one resolution.
    expected : SlotStats
        Baseline statistics of each report interval.
    profile : Profile
        Baseline profile of the same channels.
    baseline : Grid
        Baseline grid of the same channels (the yardstick of the sustained-excess check).
    baseline_expected : SlotStats
        Expected statistics of the baseline intervals.
    thresholds : AnomalyThresholds, optional
        Limits (see the module docstring).
    factor : numpy.ndarray, optional
        Multiplier of the baseline per interval and channel (after a level shift).
    exclude : numpy.ndarray of bool, optional
        Intervals not to flag (e.g. those of demand spikes).
    flagged : numpy.ndarray of bool, optional
        Precomputed unusual intervals (e.g. from :func:`isolation_forest_mask`); default the
        profile rule.

    Returns
    -------
    events : pandas.DataFrame
        Columns :data:`EVENT_COLUMNS`, sorted by channel and start. ``intervals`` and ``hours``
        count the unusual intervals (not the gaps between the nights of one event);
        ``excess_kwh`` is the energy above the slot median in them [kWh];
        ``avg_excess_kw = excess_kwh / hours`` [kW]; ``context`` says where the event began
        (``"business_hours"`` or ``"after_hours"``); ``sustained`` whether the
        sustained-excess check (window means) found part of it.
    excess_kwh : numpy.ndarray
        Excess energy of every interval that belongs to a kept event [kWh], 0 elsewhere.
    """
    t = AnomalyThresholds() if thresholds is None else thresholds
    load = grid.load_kw
    median = expected.median if factor is None else expected.median * factor
    usable = np.isfinite(median) & profile.sufficient[None, :]
    skipped = np.zeros(load.shape, dtype=bool) if exclude is None else exclude & usable
    usable &= ~skipped
    if flagged is None:
        margin = anomaly_margin(expected, profile, thresholds=t)
        weak_margin = anomaly_margin(expected, profile, thresholds=t, sustained=True)
        if factor is not None:
            margin, weak_margin = margin * factor, weak_margin * factor
        # after hours: a standing load's moved edge is usual, a noisy night's excess shows in
        # window means
        (moved, weak_moved), night, night_kwh = _after_hours_flags(
            grid,
            median,
            (margin, weak_margin),
            usable=usable,
            skipped=skipped,
            baseline=baseline,
            baseline_median=baseline_expected.median,
            thresholds=t,
            level=expected.level,
        )
        with np.errstate(invalid="ignore"):
            strong = (load > median + margin) & usable & ~moved
            weak = (load > median + weak_margin) & usable & ~weak_moved
        # a smaller excess counts when it lasts (a schedule extended by a couple of hours)
        long_weak = runs_2d(weak)
        long_weak = long_weak.select(long_weak.length * grid.dt_h >= t.sustained_hours - 1e-9)
        # a noisy meter's sustained excess shows in window means of its deviations
        window, window_kwh = sustained_excess(
            grid,
            median,
            usable=usable,
            skipped=skipped,
            baseline=baseline,
            baseline_median=baseline_expected.median,
            thresholds=t,
        )
        window_kwh = np.where(night, night_kwh, window_kwh)
        window |= night
        strong |= window
        flagged = strong.copy()
        for c, a, b in zip(long_weak.col, long_weak.start, long_weak.stop, strict=True):
            flagged[a:b, c] = True  # one slice per sustained run (few)
    else:
        strong = flagged = flagged & usable
        window, window_kwh = np.zeros(load.shape, dtype=bool), np.zeros(load.shape)
    with np.errstate(invalid="ignore"):
        excess = np.where(flagged, np.maximum(load - median, 0.0) * grid.dt_h, 0.0)
    excess = np.where(window, window_kwh, excess)
    runs = runs_2d(flagged, max_gap=int(round(t.merge_gap_hours / grid.dt_h)))
    if runs.col.size == 0:
        return empty_events(), np.zeros(load.shape)
    kind, edge = _classify(grid, runs, flagged)
    has_strong = reduce_runs(np.ones(load.shape), runs, "sum", where=strong) > 0
    has_window = reduce_runs(np.ones(load.shape), runs, "sum", where=window) > 0
    run_after = reduce_runs(
        np.broadcast_to((~grid.business)[:, None], load.shape).astype(float),
        runs,
        "sum",
        where=flagged,
    ) >= 0.5 * reduce_runs(np.ones(load.shape), runs, "sum", where=flagged)
    # merge runs of one kind on one channel into events
    kind = _join_partial_nights(grid, runs, kind, flagged)
    edge = np.where(kind == 1, edge, 0)
    order = np.lexsort((runs.start, edge, kind, runs.col))
    col, start, stop = runs.col[order], runs.start[order], runs.stop[order]
    kind, edge, has_strong, has_window, run_after = (
        kind[order],
        edge[order],
        has_strong[order],
        has_window[order],
        run_after[order],
    )
    limit = (
        np.array([_MERGE_HOURS["after_hours"], _MERGE_HOURS["schedule_change"], t.merge_gap_hours])
        / grid.dt_h
    )
    # a schedule change recurs at the same edge of opening hours on consecutive open days;
    # weekends and holidays between them do not break it
    rank = _open_day_rank(grid)
    next_open_day = np.zeros(col.size, dtype=bool)
    if col.size:
        next_open_day[1:] = (kind[1:] == 1) & (rank[start[1:]] - rank[stop[:-1] - 1] <= 1)
    join = np.zeros(col.size, dtype=bool)
    join[1:] = (
        (col[1:] == col[:-1])
        & (kind[1:] == kind[:-1])
        & (edge[1:] == edge[:-1])
        & ((start[1:] - stop[:-1] <= limit[kind[1:]]) | next_open_day[1:])
    )
    group = np.cumsum(~join) - 1
    n_groups = int(group[-1]) + 1 if group.size else 0
    merged = Runs(col, start, stop)
    run_excess = reduce_runs(excess, merged, "sum")
    run_rows = reduce_runs(np.ones(load.shape), merged, "sum", where=flagged)
    run_peak = reduce_runs(load, merged, "max", where=flagged)
    first = np.flatnonzero(~join)
    g_col, g_kind = col[first], kind[first]
    day_span = int(grid.day.max()) + 1 if grid.day.size else 1
    step_min = grid.resolution_s // 60
    minute = grid.hour * 60 + grid.sub_hour * (step_min if grid.resolution_s < 3600 else 0)

    def aggregate(group: np.ndarray) -> dict[str, np.ndarray]:
        g_start = np.full(n_groups, np.iinfo(np.int64).max)
        g_stop = np.full(n_groups, -1)
        np.minimum.at(g_start, group, start)
        np.maximum.at(g_stop, group, stop)
        g_peak = np.full(n_groups, -np.inf)
        np.maximum.at(g_peak, group, np.nan_to_num(run_peak, nan=-np.inf))
        pairs = np.unique(group * day_span + grid.day[start])
        first_minute = np.full(n_groups, 24 * 60)
        last_minute = np.full(n_groups, 0)
        np.minimum.at(first_minute, group, minute[start])
        np.maximum.at(last_minute, group, minute[stop - 1] + step_min)
        return {
            "first_minute": first_minute,
            "last_minute": last_minute,
            "runs": np.bincount(group, minlength=n_groups),
            "excess": np.bincount(group, weights=run_excess, minlength=n_groups),
            "rows": np.bincount(group, weights=run_rows, minlength=n_groups).astype(np.int64),
            "peak": g_peak,
            "start": g_start,
            "stop": g_stop,
            # distinct start days per event
            "days": np.bincount(pairs // day_span, minlength=n_groups).astype(np.int64),
            "strong": np.bincount(group, weights=has_strong.astype(float), minlength=n_groups) > 0,
            "window": np.bincount(group, weights=has_window.astype(float), minlength=n_groups) > 0,
            "after": np.bincount(group, weights=(~run_after).astype(float), minlength=n_groups)
            == 0,
        }

    agg = aggregate(group)
    # a schedule change recurs on at least two days; a single one is unusual consumption, or
    # after-hours operation when it lies after hours (one evening or early morning left on)
    g_kind = np.where((g_kind == 1) & (agg["days"] < 2), _single_edge_kind(agg["after"]), g_kind)
    # an event of one reading (an hour of hourly data) is as short as a spike: the spike
    # detector's; after hours too (a noisy hourly main meter's single high reading at night
    # was 2 of its 5 false findings per 60 clean weeks; after-hours recall 0.98 -> 0.97)
    one_reading = agg["rows"] < t.min_intervals
    hours = agg["rows"] * grid.dt_h
    keep = (agg["excess"] >= t.min_excess_kwh) & (hours >= t.min_duration_hours - 1e-9)
    keep &= ~one_reading
    # events made only of moderate excess must show the pattern of a schedule change
    keep &= agg["strong"] | (g_kind == 1)
    if not keep.any():
        return empty_events(), np.zeros(load.shape)
    # after-hours fragments too small to be events (a first evening cut short, a partial
    # night) join a neighbouring after-hours or schedule event of the same channel
    target = _absorb(agg, g_col, g_kind, keep, limit, rank)
    if (target != np.arange(n_groups)).any():
        group = target[group]
        agg = aggregate(group)
        hours = agg["rows"] * grid.dt_h
    g_start, g_stop, g_excess = agg["start"], agg["stop"], agg["excess"]
    g_days, g_rows, g_peak, n_runs = agg["days"], agg["rows"], agg["peak"], agg["runs"]
    kept_groups = np.flatnonzero(keep)
    in_kept = np.isin(group, kept_groups)
    mask = np.zeros(load.shape, dtype=bool)
    for c, a, b in zip(col[in_kept], start[in_kept], stop[in_kept], strict=True):
        mask[a:b, c] = True  # one slice per kept run (runs are few)
    event_excess = np.where(mask, excess, 0.0)
    began_business = grid.business[np.where(keep, g_start, 0)]
    events = pd.DataFrame(
        {
            "channel_id": grid.channel_ids[g_col[keep]],
            "kind": np.asarray(ANOMALY_KINDS, dtype=object)[g_kind[keep]],
            "start": pd.DatetimeIndex(grid.times_ns(g_start[keep]), tz="UTC"),
            "end": pd.DatetimeIndex(grid.times_ns(g_stop[keep]), tz="UTC"),
            "intervals": g_rows[keep],
            "hours": hours[keep],
            "runs": n_runs[keep].astype(np.int64),
            "days": g_days[keep],
            "peak_kw": g_peak[keep],
            "excess_kwh": g_excess[keep],
            "avg_excess_kw": g_excess[keep] / np.maximum(hours[keep], 1e-12),
            "context": np.where(began_business[keep], "business_hours", "after_hours").astype(
                object
            ),
            "sustained": agg["window"][keep],
        }
    )
    return events.sort_values(["channel_id", "start"], ignore_index=True), event_excess
