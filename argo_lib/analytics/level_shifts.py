"""Level shifts: a persistent change of a channel's consumption against its baseline (spec C).

Each interval's load is compared with its baseline slot median as a relative deviation
``u = (P - median) / max(median, floor)``. A change point splits the report week where the mean
of ``u`` changes most (a CUSUM-type scan, computed with cumulative sums for all channels at
once); the baseline itself counts as "before" so a shift already present on Monday is found too.
A shift is reported when, from the change point to the end of the week,

- the change of the mean deviation is at least ``min_shift_pct`` and ``day_sigmas`` baseline
  day-to-day standard deviations (weather and occupancy variation seen in the baseline),
- it lasts at least ``min_hours`` and persists: the business-hours and the after-hours intervals
  after the change (where there are at least 6 h of each), three in four of the days after it
  and the last 12 h of the week are shifted by at least half as much.

The result reads "consumption shifted up 18 % since Tue 14:00".
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from argo_lib.analytics.baseline import Profile, SlotStats
from argo_lib.analytics.grid import Grid
from argo_lib.stats import group_sum, robust_sigma
from argo_lib.thresholds import LevelShiftThresholds

__all__ = [
    "SHIFT_COLUMNS",
    "detect_level_shifts",
    "empty_shifts",
    "mark_site_wide",
    "shift_factor",
]

SHIFT_COLUMNS = (
    "channel_id",
    "start",
    "end",
    "direction",
    "shift_pct",
    "shift_kw",
    "baseline_kw",
    "new_kw",
    "excess_kwh",
    "intervals",
    "scope",
)
"""Columns of the level-shift frame (``start``/``end`` UTC, end exclusive).

``scope`` is ``"channel"``, or ``"site"`` when several channels shifted the same way at the same
time: a change of weather or occupancy rather than a fault of one channel."""

_CLIP = (-1.0, 3.0)
_NS_PER_HOUR = 3_600_000_000_000


def empty_shifts() -> pd.DataFrame:
    """Return a level-shift frame without rows."""
    return _empty_shifts_prototype().copy()


@functools.cache
def _empty_shifts_prototype() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype=np.int64),
            "start": pd.Series(dtype="datetime64[ns, UTC]"),
            "end": pd.Series(dtype="datetime64[ns, UTC]"),
            "direction": pd.Series(dtype=object),
            **{c: pd.Series(dtype=float) for c in SHIFT_COLUMNS[4:9]},
            "intervals": pd.Series(dtype=np.int64),
            "scope": pd.Series(dtype=object),
        }
    )


def _relative(load: np.ndarray, median: np.ndarray, floor: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        u = (load - median) / np.maximum(median, floor[None, :])
    return np.clip(u, *_CLIP)


def _daily_sigma(grid: Grid, u: np.ndarray) -> np.ndarray:
    """Robust standard deviation of the daily mean deviation per channel."""
    day = grid.day - grid.day.min() if grid.day.size else grid.day
    n_days = int(day.max()) + 1 if day.size else 0
    ok = np.isfinite(u)
    sums = group_sum(np.where(ok, u, 0.0), day, n_days)
    counts = group_sum(ok, day, n_days)
    enough = counts >= 0.5 * counts.max(axis=0, initial=0)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = np.where(enough & (counts > 0), sums / np.maximum(counts, 1), np.nan)
    return np.nan_to_num(robust_sigma(daily))


def detect_level_shifts(
    grid: Grid,
    expected: SlotStats,
    profile: Profile,
    *,
    baseline: Grid,
    baseline_expected: SlotStats,
    thresholds: LevelShiftThresholds | None = None,
) -> pd.DataFrame:
    """Find channels whose consumption shifted persistently during the report week.

    Parameters
    ----------
    grid : Grid
        Report-week grid of one resolution.
    expected : SlotStats
        Baseline statistics of each report interval (``baseline.expected_stats``).
    profile : Profile
        Baseline profile of the same channels.
    baseline : Grid
        The baseline grid (to learn the day-to-day variation of the deviations).
    baseline_expected : SlotStats
        Baseline statistics of each baseline interval.
    thresholds : LevelShiftThresholds, optional
        Limits.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SHIFT_COLUMNS`, at most one row per channel: ``direction`` "up" or
        "down", ``shift_pct`` [%] and ``shift_kw`` [kW] mean change after ``start``,
        ``baseline_kw``/``new_kw`` mean expected and measured load after it [kW],
        ``excess_kwh`` the energy above (or, negative, below) the baseline after it [kWh].
    """
    t = LevelShiftThresholds() if thresholds is None else thresholds
    load, median = grid.load_kw, expected.median
    n_t, n_c = load.shape
    min_rows = int(np.ceil(t.min_hours / grid.dt_h))
    if n_t < min_rows or n_c == 0:
        return empty_shifts()
    floor = np.maximum(0.05 * np.nan_to_num(profile.mean_kw), 1e-3)
    u = _relative(load, median, floor)
    sigma_day = _daily_sigma(baseline, _relative(baseline.load_kw, baseline_expected.median, floor))
    ok = np.isfinite(u)
    filled = np.where(ok, u, 0.0)
    # change point: the split with the largest weighted difference of means; the baseline acts
    # as a virtual "before" of one day at u = 0, so a shift present from Monday is found too
    prior = 24.0 / grid.dt_h
    cs = np.vstack([np.zeros((1, n_c)), np.cumsum(filled, axis=0)])
    cn = np.vstack([np.zeros((1, n_c)), np.cumsum(ok, axis=0)])
    total_s, total_n = cs[-1], cn[-1]
    n_before = cn[:-1] + prior
    n_after = total_n[None, :] - cn[:-1]
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_before = cs[:-1] / n_before
        mean_after = (total_s[None, :] - cs[:-1]) / n_after
        score = (mean_after - mean_before) * np.sqrt(n_before * n_after / (n_before + n_after))
    rows_after = n_t - np.arange(n_t)
    score[(rows_after < min_rows)[:, None] | (n_after < 0.5 * min_rows)] = 0.0
    score = np.nan_to_num(score)
    t0 = np.argmax(np.abs(score), axis=0)
    t0 = _refine(cs, cn, t0, sign=np.sign(score[t0, np.arange(n_c)]), half=_window(grid))
    cols = np.arange(n_c)
    shift = mean_after[t0, cols]
    before = mean_before[t0, cols]
    change = shift - before
    sign = np.sign(change)
    row = np.arange(n_t)[:, None]
    after = row >= t0[None, :]

    def _mean(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = mask & ok
        count = m.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(count > 0, np.sum(np.where(m, u, 0.0), axis=0) / count, 0.0), count

    half = 0.5 * np.abs(change)
    business = grid.business[:, None]
    bus_mean, bus_n = _mean(after & business)
    ah_mean, ah_n = _mean(after & ~business)
    last_mean, _ = _mean(row >= n_t - int(round(12.0 / grid.dt_h)))
    enough_business = bus_n * grid.dt_h >= 6.0
    enough_after = ah_n * grid.dt_h >= 6.0
    persistent = (
        (~enough_business | (sign * (bus_mean - before) >= half))
        & (~enough_after | (sign * (ah_mean - before) >= half))
        & (sign * (last_mean - before) >= half)
        & (_daily_share(grid, u, after, before, sign, half) >= 0.75)
    )
    delta_kw = np.where(after & ok, load - median, 0.0)
    count_after = np.sum(after & ok, axis=0)
    shift_kw = np.sum(delta_kw, axis=0) / np.maximum(count_after, 1)
    significant = (
        (np.abs(change) >= t.min_shift_pct / 100.0)
        & (np.abs(shift) >= t.min_shift_pct / 100.0)
        & (np.abs(change) >= t.day_sigmas * sigma_day)
        & (np.abs(shift_kw) >= t.min_shift_kw)
        & (count_after >= min_rows)
        & profile.sufficient
    )
    found = significant & persistent
    if not found.any():
        return empty_shifts()
    cols = cols[found]
    start_rows = t0[found]
    count = count_after[found]
    base_kw = np.sum(np.where(after & ok, median, 0.0), axis=0)[found]
    new_kw = np.sum(np.where(after & ok, load, 0.0), axis=0)[found]
    return pd.DataFrame(
        {
            "channel_id": grid.channel_ids[cols],
            "start": pd.DatetimeIndex(grid.times_ns(start_rows), tz="UTC"),
            "end": pd.DatetimeIndex(np.full(cols.size, grid.period.end.value), tz="UTC"),
            "direction": np.where(shift[found] > 0, "up", "down").astype(object),
            "shift_pct": 100.0 * shift[found],
            "shift_kw": shift_kw[found],
            "baseline_kw": base_kw / np.maximum(count, 1),
            "new_kw": new_kw / np.maximum(count, 1),
            "excess_kwh": np.sum(delta_kw, axis=0)[found] * grid.dt_h,
            "intervals": (n_t - start_rows).astype(np.int64),
            "scope": np.full(cols.size, "channel", dtype=object),
        }
    )


def _window(grid: Grid) -> int:
    """Half-width of the local window that places a change point precisely [rows]."""
    return max(3, int(round(2.0 / grid.dt_h)))


def _refine(
    cs: np.ndarray, cn: np.ndarray, t0: np.ndarray, *, sign: np.ndarray, half: int
) -> np.ndarray:
    """Move each change point to the best local step within ``half`` rows."""
    n_t = cs.shape[0] - 1
    offsets = np.arange(-half, half + 1)
    cand = np.clip(t0[None, :] + offsets[:, None], 0, n_t)
    cols = np.arange(t0.size)[None, :]
    lo = np.clip(cand - half, 0, n_t)
    hi = np.clip(cand + half, 0, n_t)
    with np.errstate(invalid="ignore", divide="ignore"):
        before = (cs[cand, cols] - cs[lo, cols]) / (cn[cand, cols] - cn[lo, cols])
        after = (cs[hi, cols] - cs[cand, cols]) / (cn[hi, cols] - cn[cand, cols])
    step = np.nan_to_num(sign[None, :] * (after - before), nan=-np.inf)
    return cand[np.argmax(step, axis=0), np.arange(t0.size)]


def _daily_share(
    grid: Grid,
    u: np.ndarray,
    after: np.ndarray,
    before: np.ndarray,
    sign: np.ndarray,
    half: np.ndarray,
) -> np.ndarray:
    """Share of the local days after the change point whose mean deviation is shifted too."""
    day = grid.day - grid.day.min() if grid.day.size else grid.day
    n_days = int(day.max()) + 1 if day.size else 0
    m = after & np.isfinite(u)
    sums = group_sum(np.where(m, u, 0.0), day, n_days)
    counts = group_sum(m, day, n_days)
    long_enough = counts * grid.dt_h >= 6.0
    with np.errstate(invalid="ignore", divide="ignore"):
        shifted = sign[None, :] * (sums / counts - before[None, :]) >= half[None, :]
    days = long_enough.sum(axis=0)
    return np.where(days > 0, (shifted & long_enough).sum(axis=0) / np.maximum(days, 1), 0.0)


def mark_site_wide(
    shifts: pd.DataFrame, *, n_channels: int, thresholds: LevelShiftThresholds | None = None
) -> pd.DataFrame:
    """Mark shifts shared by several channels as site-wide (weather or occupancy).

    Parameters
    ----------
    shifts : pandas.DataFrame
        Level shifts of all channels of a site.
    n_channels : int
        Number of analysed channels of the site.
    thresholds : LevelShiftThresholds, optional
        ``site_min_channels``, ``site_share`` and ``site_window_hours``.

    Returns
    -------
    pandas.DataFrame
        ``shifts`` with ``scope = "site"`` for every shift that starts within
        ``site_window_hours`` of, and in the same direction as, shifts of at least
        ``max(site_min_channels, site_share * n_channels)`` channels (itself included).

    Examples
    --------
    >>> t0 = pd.Timestamp("2026-03-07T10:00Z")
    >>> shifts = empty_shifts().reindex(range(3))
    >>> shifts["start"] = [t0, t0 + pd.Timedelta(hours=1), t0 + pd.Timedelta(days=2)]
    >>> shifts["direction"] = "up"
    >>> mark_site_wide(shifts, n_channels=8)["scope"].tolist()
    ['channel', 'channel', 'channel']
    """
    t = LevelShiftThresholds() if thresholds is None else thresholds
    out = shifts.copy()
    if out.empty:
        return out
    out["scope"] = "channel"
    need = max(t.site_min_channels, int(np.ceil(t.site_share * n_channels)))
    start = out["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    up = out["direction"].to_numpy() == "up"
    window = t.site_window_hours * _NS_PER_HOUR
    near = (np.abs(start[:, None] - start[None, :]) <= window) & (up[:, None] == up[None, :])
    out.loc[near.sum(axis=1) >= need, "scope"] = "site"
    return out


def shift_factor(grid: Grid, shifts: pd.DataFrame) -> np.ndarray:
    """Multiplier of the baseline after each channel's level shift (1 elsewhere).

    Parameters
    ----------
    grid : Grid
        Report-week grid.
    shifts : pandas.DataFrame
        Output of :func:`detect_level_shifts`.

    Returns
    -------
    numpy.ndarray, shape like ``grid.load_kw``
        ``1 + shift_pct / 100`` from each shift's start on, so later analytics compare with
        the new level instead of flagging every interval after the shift again.
    """
    # annotated: numpy's stubs give np.ones(<tuple of unknown length>) the shape of a 0-d array
    factor: np.ndarray = np.ones(grid.load_kw.shape)
    if shifts.empty:
        return factor
    cols = pd.Index(grid.channel_ids).get_indexer(shifts["channel_id"])
    mine = cols >= 0
    start_ns = shifts["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)[mine]
    rows = (start_ns - grid.times_ns(np.zeros(1, dtype=np.int64))[0]) // (
        grid.resolution_s * 1_000_000_000
    )
    after = np.arange(factor.shape[0])[:, None] >= rows[None, :]
    factor[:, cols[mine]] = np.where(
        after, 1.0 + shifts["shift_pct"].to_numpy()[mine][None, :] / 100.0, 1.0
    )
    return factor
