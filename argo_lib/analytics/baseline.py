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
from argo_lib.stats import MAD_SCALE, group_cube, robust_sigma, sorted_quantile
from argo_lib.thresholds import BaselineThresholds

__all__ = [
    "LEVELS",
    "MODEL_LEVEL",
    "Profile",
    "SlotStats",
    "baseline_table",
    "expected_stats",
    "fit_profile",
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
        Slot median absolute deviation, scaled to a standard deviation (× :data:`~argo_lib.stats.MAD_SCALE`) [kW].
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
        True where the baseline is sufficient: its coverage reaches ``min_coverage`` and its
        ``slot_coverage`` reaches ``min_slot_coverage``.
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
    slot_coverage : numpy.ndarray or None
        Share of the week's hours (hour-of-week slots) with readings in at least
        ``min_slot_weeks`` baseline weeks, per channel [-].
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
    slot_coverage: np.ndarray | None = None
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
            if self.values is None:
                raise ValueError("this Profile holds no baseline values; build it with fit_profile")
            keys, n_groups = self.keys[LEVELS.index(name)]
            self.cache[name] = _level_stats(self.values, keys, n_groups)
        return self.cache[name]

    @property
    def stats(self) -> dict[str, dict[str, np.ndarray]]:
        """Statistics of every pooling level."""
        return {name: self.level(name) for name in LEVELS[:-1]}


def _level_stats(values: np.ndarray, keys: np.ndarray, n_groups: int) -> dict[str, np.ndarray]:
    cube = group_cube(values, keys, n_groups)
    counts = np.sum(~np.isnan(cube), axis=-1)
    cube.sort(axis=-1)
    pairs = zip(_STATS, _QUANTILES, strict=True)
    out = {name: sorted_quantile(cube, counts, q) for name, q in pairs}
    deviation = np.abs(cube - out["median"][..., None])
    deviation.sort(axis=-1)
    out["mad"] = MAD_SCALE * sorted_quantile(deviation, counts, 50.0)
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
        Statistics at every pooling level. A channel's baseline is insufficient (its statistics
        are still computed but not used) when fewer than ``min_coverage`` of its intervals have
        readings, or fewer than ``min_slot_coverage`` of the week's hours have readings in at
        least ``min_slot_weeks`` baseline weeks (the data-sufficiency rules, after CalTRACK:
        enough data overall and at every time of the week).
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
    slot_coverage = _slot_coverage(baseline, counts[LEVELS[0]], thresholds.min_slot_weeks)
    profile = Profile(
        channel_ids=baseline.channel_ids,
        resolution_s=baseline.resolution_s,
        coverage=coverage,
        sufficient=(coverage >= thresholds.min_coverage)
        & (slot_coverage >= thresholds.min_slot_coverage),
        slot_coverage=slot_coverage,
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
    noise = robust_sigma(residual)
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


def _slot_coverage(baseline: Grid, slot_counts: np.ndarray, min_weeks: int) -> np.ndarray:
    """Share of the hour-of-week slots of a baseline with readings in ``min_weeks`` weeks."""
    slots = np.unique(baseline.slot)
    if slots.size == 0:
        return np.zeros(slot_counts.shape[1])
    per_slot = np.bincount(baseline.slot, minlength=slot_counts.shape[0])[slots]
    weeks = per_slot / max(baseline.per_hour, 1)  # baseline weeks holding each slot
    needed = np.minimum(min_weeks, weeks) * baseline.per_hour
    return (slot_counts[slots] >= needed[:, None]).mean(axis=0)


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
        and ``slot_coverage`` (:class:`Profile`) [-], ``mean_kw`` [kW], ``noise_kw`` [kW].
    """
    frames = [
        pd.DataFrame(
            {
                "channel_id": p.channel_ids,
                "baseline_status": np.where(p.sufficient, "ok", "insufficient"),
                "coverage": p.coverage,
                "slot_coverage": (
                    p.slot_coverage if p.slot_coverage is not None else np.ones(p.coverage.size)
                ),
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
                "slot_coverage": pd.Series(dtype=float),
                "mean_kw": pd.Series(dtype=float),
                "noise_kw": pd.Series(dtype=float),
            }
        )
    return pd.concat(frames, ignore_index=True).sort_values("channel_id", ignore_index=True)
