"""Baseline profiles per channel by site-local time slot, robust and with pooling fall-backs.

The baseline weeks give each channel a profile of its load per time slot: median, quartiles,
P5/P95 and the median absolute deviation (spec A5, A6). Hourly data leave only four values per
hour-of-week slot, so a slot with fewer than ``min_samples`` values falls back to a pooled slot
(spec B5): hour of week → day type × hour → day type × 3-hour block → day type. Holidays are
pooled with Sundays. A channel whose baseline has fewer present intervals than ``min_coverage``
of those expected is marked *insufficient*: analytics that need a baseline then report that
instead of numbers.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from argo_lib.analytics.grid import Grid
from argo_lib.thresholds import BaselineThresholds

__all__ = [
    "LEVELS",
    "MODEL_LEVEL",
    "Profile",
    "SlotStats",
    "baseline_table",
    "column_median",
    "expected_stats",
    "fit_profile",
    "grouped_quantiles",
    "level_keys",
]

LEVELS = (
    "hour_of_week",
    "day_type_hour",
    "day_type_block",
    "day_type",
    "none",
)
"""Pooling levels, finest first; ``none`` means no level had enough values.

Slots are hours, as in spec A5 (the benchmark found quarter-hour slots of 15-min data no better)."""

MODEL_LEVEL = len(LEVELS)
"""``SlotStats.level`` of intervals whose statistics come from the temperature model
(:mod:`argo_lib.analytics.towt`) instead of a profile level."""

_QUANTILES = (5.0, 25.0, 50.0, 75.0, 95.0)
_STATS = ("p5", "q1", "median", "q3", "p95")


def grouped_quantiles(
    values: np.ndarray, groups: np.ndarray, n_groups: int, q: tuple[float, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Percentiles of each column within row groups, NaN ignored (spec A2 convention).

    Parameters
    ----------
    values : numpy.ndarray, shape (n_rows, n_cols)
        Values; NaN is missing.
    groups : numpy.ndarray of int, shape (n_rows,)
        Group of each row, in ``[0, n_groups)``.
    n_groups : int
        Number of groups.
    q : tuple of float
        Percentiles in [0, 100], linear interpolation between closest ranks.

    Returns
    -------
    quantiles : numpy.ndarray, shape (len(q), n_groups, n_cols)
        NaN where a group has no value.
    counts : numpy.ndarray of int, shape (n_groups, n_cols)
        Non-NaN values per group and column.

    Examples
    --------
    >>> v = np.arange(1.0, 11.0)[:, None]
    >>> quant, n = grouped_quantiles(v, np.zeros(10, dtype=int), 1, (25.0, 75.0))
    >>> quant[:, 0, 0].tolist(), int(n[0, 0])
    ([3.25, 7.75], 10)
    """
    values = np.asarray(values, dtype=float)
    n_rows, n_cols = values.shape
    cube = _cube(values, groups, n_groups)
    counts = np.sum(~np.isnan(cube), axis=-1)
    out = np.full((len(q), n_groups, n_cols), np.nan)
    if cube.shape[-1] == 0:
        return out, counts
    cube.sort(axis=-1)  # NaN sorts last
    for i, pct in enumerate(q):
        out[i] = _sorted_quantile(cube, counts, pct)
    return out, counts


def column_median(values: np.ndarray) -> np.ndarray:
    """Median of each column, NaN ignored; NaN for a column without values (no warning).

    Parameters
    ----------
    values : numpy.ndarray, shape (n_rows, n_cols)
        Values; NaN is missing.

    Returns
    -------
    numpy.ndarray, shape (n_cols,)
        Column medians.
    """
    values = np.asarray(values, dtype=float)
    n_rows, n_cols = values.shape
    count = np.sum(~np.isnan(values), axis=0)
    if n_rows == 0 or not count.any():
        return np.full(n_cols, np.nan)
    if (count == n_rows).all():  # complete columns: selection, no sort
        return np.median(values, axis=0)
    ordered = np.sort(values, axis=0)  # NaN sorts last
    cols = np.arange(n_cols)
    lo = np.maximum(count - 1, 0) // 2
    hi = np.minimum(count // 2, n_rows - 1)
    median = 0.5 * (ordered[lo, cols] + ordered[hi, cols])
    return np.where(count > 0, median, np.nan)


def _cube(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Rows regrouped as (group, column, position in group), NaN-padded.

    The position is the last axis, so sorting and gathering along it run over contiguous memory.
    """
    groups = np.asarray(groups, dtype=np.int64)
    rows_per_group = np.bincount(groups, minlength=n_groups)
    width = int(rows_per_group.max()) if rows_per_group.size else 0
    order = np.argsort(groups, kind="stable")
    ordered = groups[order]
    first = np.concatenate([[0], np.cumsum(rows_per_group)[:-1]])
    within = np.arange(len(groups)) - first[ordered]
    cube = np.full((n_groups, values.shape[1], width), np.nan)
    cube[ordered, :, within] = values[order]
    return cube


def _sorted_quantile(cube: np.ndarray, counts: np.ndarray, pct: float) -> np.ndarray:
    """Linear-interpolation percentile along the last axis of a NaN-last sorted cube."""
    pos = np.clip((counts - 1) * (pct / 100.0), 0, None)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, max(cube.shape[-1] - 1, 0))
    frac = pos - lo
    v_lo = np.take_along_axis(cube, lo[..., None], axis=-1)[..., 0]
    v_hi = np.take_along_axis(cube, hi[..., None], axis=-1)[..., 0]
    result = v_lo + np.where(frac > 0, (v_hi - v_lo) * frac, 0.0)
    return np.where(counts > 0, result, np.nan)


def level_keys(grid: Grid) -> list[tuple[np.ndarray, int]]:
    """Key of every row at each pooling level of :data:`LEVELS` (finest first), with its size.

    Parameters
    ----------
    grid : Grid
        Any grid (its ``slot``, ``hour_of_week`` and ``day_type``).

    Returns
    -------
    list of (numpy.ndarray, int)
        Per level: the key of each row (hour-of-week slot, day type × hour, day type × 3-hour
        block, day type) and the number of keys.
    """
    hour = grid.hour_of_week % 24
    return [
        (grid.slot, 168),
        (grid.day_type * 24 + hour, 72),
        (grid.day_type * 8 + hour // 3, 24),
        (grid.day_type, 3),
    ]


@dataclass(frozen=True, eq=False)
class SlotStats:
    """Baseline statistics of each report interval's slot, per channel.

    Every array has the shape of the report grid, ``(interval, channel)``; NaN where the
    channel's baseline is insufficient or no level had enough values.

    Attributes
    ----------
    p5, q1, median, q3, p95 : numpy.ndarray
        Slot percentiles [kW].
    mad : numpy.ndarray
        Slot median absolute deviation, scaled to a standard deviation (× 1.4826) [kW].
    n : numpy.ndarray
        Number of baseline values behind the statistics [-].
    level : numpy.ndarray
        Index into :data:`LEVELS` of the pooling level used, or :data:`MODEL_LEVEL` where the
        temperature model gives the statistics.
    """

    p5: np.ndarray
    q1: np.ndarray
    median: np.ndarray
    q3: np.ndarray
    p95: np.ndarray
    mad: np.ndarray
    n: np.ndarray
    level: np.ndarray


@dataclass(frozen=True, eq=False)
class Profile:
    """A channel group's baseline profile at every pooling level.

    Attributes
    ----------
    channel_ids : numpy.ndarray
        Channels, one per column.
    resolution_s : int
        Interval length of the baseline readings [s].
    coverage : numpy.ndarray
        Present / expected baseline intervals per channel [-].
    sufficient : numpy.ndarray
        True where coverage reaches ``min_coverage``.
    mean_kw : numpy.ndarray
        Mean baseline load per channel [kW].
    noise_kw : numpy.ndarray
        Robust standard deviation of the baseline's deviations from its slot medians [kW].
    counts : dict
        Per level name: values per group and channel, ``(n_groups, n_channels)``.
    min_samples : int
        Fewest values a slot needs at a level [-].
    own : SlotStats or None
        The statistics of the baseline intervals themselves (for noise and spread measures).
    """

    channel_ids: np.ndarray
    resolution_s: int
    coverage: np.ndarray
    sufficient: np.ndarray
    mean_kw: np.ndarray
    noise_kw: np.ndarray
    counts: dict[str, np.ndarray]
    min_samples: int
    own: SlotStats | None = None
    values: np.ndarray | None = dataclasses.field(default=None, repr=False)
    keys: tuple[tuple[np.ndarray, int], ...] = dataclasses.field(default=(), repr=False)
    cache: dict[str, dict[str, np.ndarray]] = dataclasses.field(default_factory=dict, repr=False)

    def level(self, name: str) -> dict[str, np.ndarray]:
        """Statistics of one pooling level (computed on first use, then kept).

        Parameters
        ----------
        name : str
            One of :data:`LEVELS` (not ``"none"``).

        Returns
        -------
        dict
            ``p5``, ``q1``, ``median``, ``q3``, ``p95``, ``mad`` and ``n``, each
            ``(n_groups, n_channels)``.
        """
        if name not in self.cache:
            keys, n_groups = self.keys[LEVELS.index(name)]
            self.cache[name] = _level_stats(self.values, keys, n_groups)
        return self.cache[name]

    @property
    def stats(self) -> dict[str, dict[str, np.ndarray]]:
        """Statistics of every pooling level."""
        return {name: self.level(name) for name in LEVELS[:-1]}


def _level_stats(values: np.ndarray, keys: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    cube = _cube(values, keys, n_groups)
    counts = np.sum(~np.isnan(cube), axis=-1)
    cube.sort(axis=-1)
    pairs = zip(_STATS, _QUANTILES, strict=True)
    out = {name: _sorted_quantile(cube, counts, q) for name, q in pairs}
    deviation = np.abs(cube - out["median"][..., None])
    deviation.sort(axis=-1)
    out["mad"] = 1.4826 * _sorted_quantile(deviation, counts, 50.0)
    out["n"] = counts
    return out


def fit_profile(baseline: Grid, *, thresholds: BaselineThresholds | None = None) -> Profile:
    """Fit the time-slot profile of every channel of a baseline grid.

    Parameters
    ----------
    baseline : Grid
        The baseline weeks of one resolution.
    thresholds : BaselineThresholds, optional
        ``min_samples`` and ``min_coverage``.

    Returns
    -------
    Profile
        Statistics at every pooling level; channels below ``min_coverage`` are marked
        insufficient (their statistics are still computed but not used).
    """
    thresholds = BaselineThresholds() if thresholds is None else thresholds
    load = baseline.load_kw
    present = np.isfinite(load)
    n_expected = load.shape[0]
    coverage = present.sum(axis=0) / n_expected if n_expected else np.zeros(load.shape[1])
    keys = tuple(level_keys(baseline))
    counts = {}
    n_c = load.shape[1]
    for i, (key, n_groups) in enumerate(keys):  # values per group and channel
        flat = (key[:, None] * n_c + np.arange(n_c)[None, :]).ravel()
        counts[LEVELS[i]] = (
            np.bincount(flat, weights=present.ravel(), minlength=n_groups * n_c)
            .reshape(n_groups, n_c)
            .astype(np.int64)
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        count = present.sum(axis=0)
        mean = np.where(count > 0, np.nansum(load, axis=0) / np.maximum(count, 1), np.nan)
    profile = Profile(
        channel_ids=baseline.channel_ids,
        resolution_s=baseline.resolution_s,
        coverage=coverage,
        sufficient=coverage >= thresholds.min_coverage,
        mean_kw=mean,
        noise_kw=np.zeros(load.shape[1]),
        counts=counts,
        min_samples=thresholds.min_samples,
        values=load,
        keys=keys,
    )
    # robust noise: MAD of the baseline's own deviations from its slot medians
    own = expected_stats(profile, baseline)
    residual = load - own.median
    centre = column_median(residual)
    noise = 1.4826 * column_median(np.abs(residual - centre))
    return dataclasses.replace(
        profile, noise_kw=np.nan_to_num(noise, nan=0.0), own=own, cache=profile.cache
    )


def expected_stats(profile: Profile, grid: Grid) -> SlotStats:
    """Look up each interval's baseline statistics at the finest level with enough values.

    Parameters
    ----------
    profile : Profile
        From :func:`fit_profile` (same channels, same order as ``grid``).
    grid : Grid
        The intervals to look up (usually the report week).

    Returns
    -------
    SlotStats
        Arrays shaped like ``grid.load_kw``.
    """
    n_t, n_c = grid.load_kw.shape
    none = len(LEVELS) - 1
    levels = level_keys(grid)
    keys = np.stack([k for k, _ in levels])  # (level, interval)
    sizes = np.array([g for _, g in levels])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    counts = np.stack([profile.counts[LEVELS[i]][keys[i]] for i in range(len(levels))])
    enough = counts >= profile.min_samples
    found = enough.any(axis=0)
    first = enough.argmax(axis=0)  # the finest level with enough values
    chosen = np.where(found, first, none)
    n = np.where(found, np.take_along_axis(counts, first[None], axis=0)[0], 0)
    row = offsets[first] + keys[first, np.arange(n_t)[:, None]]
    cols = np.arange(n_c)[None, :]
    unusable = ~profile.sufficient[None, :] | ~found
    used = np.bincount(chosen[~unusable], minlength=len(LEVELS)) > 0
    picked = {}
    for name in (*_STATS, "mad"):  # one gather per statistic; unused levels stay NaN
        stacked = np.concatenate(
            [
                profile.level(LEVELS[i])[name] if used[i] else np.full((g, n_c), np.nan)
                for i, (_, g) in enumerate(levels)
            ]
        )
        values = stacked[row, cols]
        values[unusable] = np.nan
        picked[name] = values
    return SlotStats(level=chosen, n=n, **picked)


def baseline_table(profiles: list[Profile]) -> pd.DataFrame:
    """Summarise the baseline of every channel.

    Parameters
    ----------
    profiles : list of Profile
        One per resolution group.

    Returns
    -------
    pandas.DataFrame
        ``channel_id``, ``baseline_status`` (``"ok"`` or ``"insufficient"``), ``coverage``
        [-], ``mean_kw`` [kW], ``noise_kw`` [kW].
    """
    frames = [
        pd.DataFrame(
            {
                "channel_id": p.channel_ids,
                "baseline_status": np.where(p.sufficient, "ok", "insufficient"),
                "coverage": p.coverage,
                "mean_kw": p.mean_kw,
                "noise_kw": p.noise_kw,
            }
        )
        for p in profiles
    ]
    if not frames:
        return pd.DataFrame(
            {
                "channel_id": pd.Series(dtype=np.int64),
                "baseline_status": pd.Series(dtype=str),
                "coverage": pd.Series(dtype=float),
                "mean_kw": pd.Series(dtype=float),
                "noise_kw": pd.Series(dtype=float),
            }
        )
    return pd.concat(frames, ignore_index=True).sort_values("channel_id", ignore_index=True)
