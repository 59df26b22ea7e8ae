"""Time-of-week-and-temperature baseline model with ASHRAE Guideline 14 statistics (spec C).

Where the outdoor air temperature is known, each channel's expected load is a regression fitted on
the baseline weeks (the TOWT model of LBNL and CalTRACK, with the change points of the ASHRAE
inverse-modelling change-point models)::

    load = a[time-of-week group]
           + (bh + wh * occ) * max(Th - T, 0)      heating below the balance point Th
           + (bc + wc * occ) * max(T - Tc, 0)      cooling above the balance point Tc

- *Time-of-week groups* are the hour-of-week slots, pooled like the profile (spec B5) where a
  slot has fewer than ``min_samples`` baseline intervals (hourly data: weekday × hour, ...);
  holidays count as Sundays. Sub-hourly data first lose their within-hour shape (each weekday
  hour's quarter-hours against the hour's mean: the opening and closing ramps), and the
  regression runs on hourly means; the shape is added back to the predictions.
- *Change points* ``Th`` and ``Tc`` are chosen per channel on a 1 °C grid over the bulk of the
  baseline's temperatures (plus a heating knot above all of them and a cooling knot below all
  of them: a straight line) by blocked cross-validation, each baseline week predicted from the
  others. A heating or cooling term is kept only if its slope is positive and it lowers the
  held-out error by at least 3 %, so a channel without weather response keeps a pure
  time-of-week model. The search uses only the hours the channel observed (missing hours are
  left out, never filled in: a filled-in hour carries a temperature but no response, and
  weakens or removes the weather terms of a baseline with long gaps).
- *Occupancy* ``occ`` (0–1) is the channel's own day type × hour profile scaled between its
  quiet and its busy level (pooled over the weekdays, so one weekday's baseline weather does
  not make it look busier): HVAC responds to weather more strongly while the building is in use.
  Each term has an unoccupied slope (``bh``, ``bc``) and an occupied one (``bh + wh``,
  ``bc + wc``; the slope at occupancy ``occ`` lies between them); both must be non-negative. A wrong-signed one is
  dropped (set to 0) and the rest refitted, so a building that cools only while occupied keeps
  its occupied slope, and its closed hours keep their own level instead of one slope for all
  hours.
- The fit is ordinary least squares, vectorised over all channels (time-of-week intercepts are
  removed by group demeaning, Frisch–Waugh–Lovell, leaving a 4 × 4 system per channel). Hours
  beyond 5 robust standard deviations from the fit (a fault in the baseline) are left out and
  the change points searched and fitted again, as long as they are few
  (``max_outlier_share``): more of them are the channel's own heavy tail (an intermittent load),
  and leaving them out would bias the model low.

Fit statistics follow ASHRAE Guideline 14 at hourly resolution (15-min data are averaged to
hours first)::

    CV(RMSE) = sqrt(sum((y - yhat)^2) / (n - p)) / mean(y) x 100 %
    NMBE     = sum(y - yhat) / ((n - p) * mean(y)) x 100 %

with ``p`` the number of fitted parameters that change an hourly prediction: the intercepts,
the non-zero slopes and their change points (the within-hour shape of sub-hourly data sums to
zero over each hour and is not counted). A model with CV(RMSE) ≤ 30 % and |NMBE| ≤ 10 % is
*calibrated* and gives the expected values of the detectors; otherwise (or without temperature)
the robust time-slot profile of :mod:`argo_lib.analytics.baseline` does. The spread around the
model (quartiles, P5/P95, MAD) comes from the baseline residuals per day type and hour (pooled
further where thin), widened from in-sample to out-of-sample residuals
(``sqrt((1 + h) / (1 - h))`` with ``h = 1/n`` for an intercept fitted on ``n`` intervals). The
expected load and its band are never below 0 kW: every analysed channel consumes (a negative
reading is a sensor fault, :mod:`argo_lib.analytics.health`). In weather beyond what the baseline
saw (per channel, occupied and unoccupied hours apart) the report week's expected load is the
prediction plus as much again of its weather response beyond that range
(:func:`extrapolated_response`): a slope fitted on milder days is not known there, and what the
model cannot know is not reported as excess or savings.

Besides these in-sample statistics, :func:`report_statistics` scores the baseline on the report
week, out of sample (the same formulas with ``n`` for ``n - p``, over the week's trusted,
observed hours): the detectors judge that week, so how well the baseline predicts it is what
their findings rest on. :func:`model_table` reports both (:data:`MODEL_COLUMNS`).

Examples
--------
>>> g14_statistics(np.array([[1.0], [3.0]]), np.array([[2.0], [2.0]]), per_hour=1, n_parameters=1)
(array([70.71067812]), array([0.]))
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics.baseline import (
    MODEL_LEVEL,
    Profile,
    SlotStats,
    level_keys,
)
from argo_lib.analytics.grid import Grid
from argo_lib.stats import MAD_SCALE, column_median, group_sum, grouped_quantiles
from argo_lib.thresholds import BaselineThresholds

__all__ = [
    "MODEL_COLUMNS",
    "MODEL_STATUSES",
    "REPORT_FIT_KEYS",
    "TowtModel",
    "fit_towt",
    "g14_statistics",
    "model_expected",
    "model_table",
    "predict_towt",
    "profile_statistics",
    "report_statistics",
    "residual_stats",
    "temperature_on_grid",
]

MODEL_STATUSES = (
    "calibrated",
    "not_calibrated",
    "no_temperature",
    "insufficient_baseline",
    "profile_only",
)
"""Why a channel's expected values come from the TOWT model (``calibrated``) or the profile."""

MODEL_COLUMNS = (
    "channel_id",
    "baseline_model",
    "model_status",
    "cv_rmse_pct",
    "nmbe_pct",
    "towt_cv_rmse_pct",
    "towt_nmbe_pct",
    "report_cv_rmse_pct",
    "report_nmbe_pct",
    "towt_report_cv_rmse_pct",
    "towt_report_nmbe_pct",
    "report_hours",
    "heating_balance_c",
    "cooling_balance_c",
)
"""Columns of :func:`model_table` (added to the analysis' channel table)."""

_OUTLIER_SIGMAS = 5.0
_IMPROVEMENT = 0.03  # a weather term must lower the cross-validated error by 3 %
_MAX_KNOTS = 24
_MIN_SEARCH_HOURS = 48  # fewest observed hours with temperature for a change-point search
_NS_PER_S = 1_000_000_000


# --------------------------------------------------------------------------------------------
# Temperature on the readings grid


def temperature_on_grid(
    temperature: pd.Series | None,
    index: pd.DatetimeIndex,
    *,
    resolution_s: int,
    max_gap_hours: float = 3.0,
) -> np.ndarray:
    """Mean outdoor temperature of each interval of a grid [°C], NaN where unknown.

    Each value of the temperature series describes the interval that starts at its timestamp.
    A series as fine as the grid or finer is averaged over each grid interval; a coarser one
    is interpolated linearly between its interval midpoints (four points per grid interval,
    averaged). An interval without a value of its own is interpolated when known values lie
    within ``max_gap_hours`` on both sides, and NaN otherwise (no extrapolation).

    Parameters
    ----------
    temperature : pandas.Series or None
        Outdoor air temperature [°C] with a tz-aware DatetimeIndex of interval starts (e.g.
        ``db.read_weather(...).set_index("timestamp")["temperature_c"]`` or
        ``Simulation.temperature``); None means not available.
    index : pandas.DatetimeIndex
        Tz-aware interval starts of the grid (regular, ``resolution_s`` apart).
    resolution_s : int
        Grid interval length [s].
    max_gap_hours : float
        Longest stretch without temperature that is bridged by interpolation [h].

    Returns
    -------
    numpy.ndarray
        One temperature per grid interval [°C].

    Raises
    ------
    ValueError
        If ``temperature`` is not a Series with a tz-aware DatetimeIndex.

    Examples
    --------
    >>> t = pd.Series([10.0, 12.0], index=pd.date_range("2026-01-05", periods=2, freq="2h",
    ...                                                 tz="UTC"))
    >>> idx = pd.date_range("2026-01-05 01:00", periods=2, freq="h", tz="UTC")
    >>> temperature_on_grid(t, idx, resolution_s=3600).round(2).tolist()
    [10.5, 11.5]
    """
    n = len(index)
    if temperature is None or n == 0:
        return np.full(n, np.nan)
    if not isinstance(temperature, pd.Series) or not isinstance(
        temperature.index, pd.DatetimeIndex
    ):
        raise ValueError(
            "temperature must be a pandas Series of °C indexed by tz-aware interval starts, "
            f"got {type(temperature).__name__}; e.g. weather.set_index('timestamp')"
            "['temperature_c']"
        )
    dates.ensure_aware(temperature.index, name="temperature.index")
    values = pd.to_numeric(temperature, errors="coerce").to_numpy(dtype=float)
    t_ns = temperature.index.as_unit("ns").asi8
    keep = np.isfinite(values)
    t_ns, values = t_ns[keep], values[keep]
    if t_ns.size == 0:
        return np.full(n, np.nan)
    order = np.argsort(t_ns, kind="stable")
    t_ns, values = t_ns[order], values[order]
    res_ns = resolution_s * _NS_PER_S
    step = int(np.median(np.diff(t_ns))) if t_ns.size > 1 else res_ns
    grid_ns = index.as_unit("ns").asi8
    origin = int(grid_ns[0])
    out = np.full(n, np.nan)
    if step <= res_ns:  # as fine as the grid or finer: the mean of the values in each interval
        rows = (t_ns - origin) // res_ns
        inside = (rows >= 0) & (rows < n)
        counts = np.bincount(rows[inside], minlength=n)
        sums = np.bincount(rows[inside], weights=values[inside], minlength=n)
        has = counts > 0
        out[has] = sums[has] / counts[has]
        if has.all():
            return out
    # interpolation between the temperature intervals' midpoints [s from the grid start]
    x = (t_ns - origin + step // 2) / _NS_PER_S
    half = 0.5 * step / _NS_PER_S
    x = np.concatenate([[x[0] - half], x, [x[-1] + half]])  # each value covers its interval
    v = np.concatenate([[values[0]], values, [values[-1]]])
    starts = (grid_ns - origin) / _NS_PER_S
    points = starts[:, None] + resolution_s * (np.arange(4) + 0.5)[None, :] / 4.0
    interp = np.interp(points, x, v)
    k = np.searchsorted(x, points)
    before = np.where(k > 0, points - x[np.clip(k - 1, 0, x.size - 1)], np.inf)
    after = np.where(k < x.size, x[np.clip(k, 0, x.size - 1)] - points, np.inf)
    limit = max(max_gap_hours * 3600.0, step / _NS_PER_S)
    known = ((before <= limit) & (after <= limit)) | (before == 0) | (after == 0)
    filled = np.where(known.all(axis=1), interp.mean(axis=1), np.nan)
    return np.where(np.isfinite(out), out, filled)


# --------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True, eq=False)
class TowtModel:
    """Time-of-week-and-temperature models of the channels of one resolution.

    Attributes
    ----------
    channel_ids : numpy.ndarray
        Channels, one per column.
    resolution_s : int
        Interval length of the data the model was fitted on [s].
    status : numpy.ndarray
        One of :data:`MODEL_STATUSES` per channel.
    cv_rmse_pct, nmbe_pct : numpy.ndarray
        ASHRAE Guideline 14 statistics of the baseline fit at hourly resolution [%].
    n_parameters : numpy.ndarray
        Fitted parameters per channel [-].
    heating_balance_c, cooling_balance_c : numpy.ndarray
        Change points [°C]; NaN where the channel has no heating or cooling term.
    coef : numpy.ndarray, shape (n_channels, 4)
        Slopes of ``max(Th - T, 0)``, ``max(T - Tc, 0)`` and of both times occupancy [kW/°C].
    intercept : numpy.ndarray, shape (n_groups, n_channels)
        Time-of-week group intercepts [kW] (NaN where a channel has no data in a group).
    shape : numpy.ndarray or None
        Within-hour shape of sub-hourly data per weekday hour and position in the hour
        (added to the intercepts) [kW]; None for hourly data.
    occupancy : numpy.ndarray, shape (168, n_channels)
        Occupancy weight per hour-of-week slot [-].
    level_counts : tuple of numpy.ndarray
        Baseline intervals per key of each pooling level (decides the groups).
    min_samples : int
        Fewest baseline intervals of a time-of-week group [-].
    fitted : numpy.ndarray or None
        The model's prediction of the baseline intervals it was fitted on [kW] (NaN for
        channels without a model or intervals without temperature).
    """

    channel_ids: np.ndarray
    resolution_s: int
    status: np.ndarray
    cv_rmse_pct: np.ndarray
    nmbe_pct: np.ndarray
    n_parameters: np.ndarray
    heating_balance_c: np.ndarray
    cooling_balance_c: np.ndarray
    coef: np.ndarray
    intercept: np.ndarray
    shape: np.ndarray | None
    occupancy: np.ndarray
    level_counts: tuple[np.ndarray, ...] = dataclasses.field(repr=False)
    min_samples: int = 12
    fitted: np.ndarray | None = dataclasses.field(default=None, repr=False)

    @property
    def calibrated(self) -> np.ndarray:
        """True where the model meets the Guideline 14 criteria and is used."""
        return self.status == "calibrated"


def _groups(
    grid: Grid, level_counts: tuple[np.ndarray, ...], min_samples: int, *, first_level: int = 0
) -> np.ndarray:
    """Time-of-week group of each row: the finest pooling level with enough baseline rows.

    Levels finer than ``first_level`` are skipped (the residual spread starts at day type ×
    hour: it depends on the time of day more than on the day of the week).
    """
    keys = level_keys(grid)
    offsets = np.concatenate([[0], np.cumsum([size for _, size in keys])[:-1]])
    group = np.full(grid.load_kw.shape[0], -1, dtype=np.int64)
    levels = list(zip(keys, level_counts, offsets, strict=True))[first_level:]
    for (key, _), counts, offset in levels[::-1]:
        enough = counts[key] >= min_samples  # coarse to fine: the finest level wins
        group = np.where(enough, offset + key, group)
    # a slot without enough rows at any level takes its day type anyway
    coarsest_key, _ = keys[-1]
    return np.where(group >= 0, group, offsets[-1] + coarsest_key)


def _n_groups(grid: Grid) -> int:
    return int(sum(size for _, size in level_keys(grid)))


def _shape_groups(grid: Grid) -> tuple[np.ndarray, int] | None:
    """Within-hour shape group of sub-hourly data: weekday hour × position in the hour.

    Opening and closing ramps fall inside an hour; with it the model follows them quarter by
    quarter on weekdays. Rows of other day types share one group per hour (no own shape).
    None for hourly data.
    """
    if grid.resolution_s >= 3600:
        return None
    per_hour = grid.per_hour
    weekday = grid.day_type == 0
    key = np.where(weekday, grid.hour * per_hour + grid.sub_hour, 24 * per_hour + grid.hour)
    return key.astype(np.int64), 24 * per_hour + 24


def _within_hour_shape(
    load: np.ndarray, mask: np.ndarray, grid: Grid
) -> tuple[np.ndarray, np.ndarray] | None:
    """Within-hour shape of sub-hourly data: group mean minus the mean of its weekday hour.

    The effects of each weekday hour sum to zero, so they move load between the quarters of
    an hour and never change an hour's mean (nor the Guideline 14 statistics, which are
    hourly). Returns the shape effects ``(n_shape_groups, c)`` [kW] and the rows' shape
    groups; None for hourly data.
    """
    shape = _shape_groups(grid)
    if shape is None:
        return None
    key, size = shape
    per_hour = grid.per_hour
    mean, _ = _group_mean(load, mask, key, size)
    parent = np.minimum(np.arange(size) // per_hour, 24)  # weekday hour (24: the rest)
    filled = np.where(mask, load, 0.0)
    hour_key = parent[key]
    hour_mean, _ = _group_mean(filled, mask, hour_key, 25)
    effect = np.nan_to_num(mean - hour_mean[parent])
    effect[24 * per_hour :] = 0.0  # other day types: no shape of their own
    weekday = effect[: 24 * per_hour].reshape(24, per_hour, -1)
    weekday -= weekday.mean(axis=1, keepdims=True)  # zero sum within each hour
    return effect, key


def _group_mean(
    values: np.ndarray, mask: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Masked mean of ``values`` (n, c[, k]) per group and column; counts (n_groups, c)."""
    n, c = mask.shape
    flat = (group[:, None] * c + np.arange(c)[None, :]).ravel()
    counts = np.bincount(flat, weights=mask.ravel(), minlength=n_groups * c).reshape(n_groups, c)
    if values.ndim == 2:
        sums = np.bincount(
            flat, weights=np.where(mask, values, 0.0).ravel(), minlength=n_groups * c
        ).reshape(n_groups, c)
        with np.errstate(invalid="ignore", divide="ignore"):
            return sums / counts, counts
    k = values.shape[2]
    flat_k = (flat[:, None] * k + np.arange(k)[None, :]).ravel()
    filled = np.where(mask[..., None], values, 0.0).ravel()
    sums = np.bincount(flat_k, weights=filled, minlength=n_groups * c * k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums.reshape(n_groups, c, k) / counts[..., None], counts


_SLOT_DAY_TYPE_HOUR = (
    np.where(np.arange(168) // 24 < 5, 0, np.where(np.arange(168) // 24 == 5, 1, 2)) * 24
    + np.arange(168) % 24
)
"""Day type × hour key (``level_keys``) of each hour-of-week slot (slots 144–167: Sundays and
holidays)."""


def _occupancy(profile: Profile) -> np.ndarray:
    """Occupancy weight per hour-of-week slot and channel (0 quiet … 1 busy).

    From the profile's day type × hour medians: an hour-of-week median over four weeks of one
    weekday mixes those four days' weather into its "busy" level (a Monday of hot baseline
    Mondays looked busier than a Tuesday of cool ones, took more of the cooling slope and
    under-predicted a hot Tuesday by 1–2 kW on a 6 kW rooftop unit); over the five weekdays
    the weather averages out. (The intercepts still follow the hour of the week.)
    """
    median = profile.level("day_type_hour")["median"][_SLOT_DAY_TYPE_HOUR]  # (168, c)
    ok = np.isfinite(median)
    (lo, hi), _ = grouped_quantiles(median, np.zeros(median.shape[0], dtype=np.int64), 1, (5, 95))
    lo, hi = lo[0], hi[0]
    span = hi - lo
    level = np.maximum(np.abs(np.nan_to_num(profile.mean_kw)), 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.clip((median - lo) / span, 0.0, 1.0)
    flat = ~(span > 0.1 * level)  # no schedule to speak of: one slope
    return np.where(ok & ~flat[None, :], w, 0.0)


def _features(
    temp: np.ndarray, occupancy: np.ndarray, heat_c: np.ndarray, cool_c: np.ndarray
) -> np.ndarray:
    """Regressors (n, c, 4): heating and cooling degrees, and both times occupancy.

    ``temp`` is one temperature per row ``(n,)`` or one per row and channel ``(n, c)``.
    """
    t = temp[:, None] if temp.ndim == 1 else temp
    with np.errstate(invalid="ignore"):
        heat = np.where(np.isfinite(heat_c)[None, :], np.maximum(heat_c[None, :] - t, 0), 0)
        cool = np.where(np.isfinite(cool_c)[None, :], np.maximum(t - cool_c[None, :], 0), 0)
    return np.stack([heat, cool, occupancy * heat, occupancy * cool], axis=-1)


def _distinct_columns(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct columns of a boolean array, ``(n_distinct, n_rows)``, and each column's index."""
    packed = np.packbits(mask, axis=0).T  # one byte string per column
    seen: dict[bytes, int] = {}
    inverse = np.array([seen.setdefault(col.tobytes(), len(seen)) for col in packed], dtype=int)
    first = np.unique(inverse, return_index=True)[1]
    return mask[:, first].T, inverse


@dataclass(frozen=True, eq=False)
class _ChangePointSearch:
    """The temperature side of the change-point search: knots and candidates of every channel.

    Hinge regressors at every candidate knot (rows with a known temperature), the blocks of
    the blocked cross-validation and the candidate pairs (heating knot or none, cooling knot or
    none, ``Th <= Tc``). The Gram matrices are per channel, over the hours the channel observed
    (:meth:`best`): a missing hour is left out, never filled in.
    """

    rows: np.ndarray
    group: np.ndarray
    n_groups: int
    feats: np.ndarray
    blocks: tuple[slice, ...]
    a_idx: np.ndarray
    b_idx: np.ndarray
    knot: np.ndarray

    @classmethod
    def build(
        cls, temp: np.ndarray, group: np.ndarray, n_groups: int, *, n_folds: int = 4
    ) -> _ChangePointSearch | None:
        rows = np.isfinite(temp)
        if rows.sum() < _MIN_SEARCH_HOURS:
            return None
        t = temp[rows]
        lo, hi = np.percentile(t, [5.0, 95.0])
        step = max(1.0, np.ceil((hi - lo) / _MAX_KNOTS))
        # change points inside the bulk of the data; the outermost heating knot lies above
        # every baseline temperature (and the outermost cooling knot below): a straight line
        heat_knots = np.arange(np.ceil(lo), np.ceil(t.max()) + step, step)
        cool_knots = np.arange(np.floor(t.min()), np.floor(hi) + 1e-9, step)
        if heat_knots.size == 0 or cool_knots.size == 0:
            return None
        kh = heat_knots.size
        feats = np.concatenate(
            [
                np.maximum(heat_knots[None, :] - t[:, None], 0.0),
                np.maximum(t[:, None] - cool_knots[None, :], 0.0),
                np.zeros((t.size, 1)),  # "no term"
            ],
            axis=1,
        )  # (n_rows, kh + kc + 1): heating hinges, cooling hinges, then the empty column
        null = kh + cool_knots.size
        edges = (np.arange(n_folds + 1) * t.size) // n_folds  # contiguous blocks
        blocks = tuple(slice(edges[f], edges[f + 1]) for f in range(n_folds))
        knot = np.concatenate([heat_knots, cool_knots, [np.nan]])
        heat = np.concatenate([[null], np.arange(kh)])
        cool = np.concatenate([[null], kh + np.arange(cool_knots.size)])
        a_idx, b_idx = np.meshgrid(heat, cool, indexing="ij")
        a_idx, b_idx = a_idx.ravel(), b_idx.ravel()
        valid = (a_idx == null) | (b_idx == null) | (knot[a_idx] <= knot[b_idx])
        return cls(
            rows, group[rows], n_groups, feats, blocks, a_idx[valid], b_idx[valid], knot
        )  # fmt: skip

    def _pairs(self, gm: np.ndarray, inverse: np.ndarray) -> tuple[np.ndarray, ...]:
        """Gram entries (a-a, a-b, b-b) of every candidate per channel, (..., c, n_cand).

        ``gm`` (..., P, F, F) holds one Gram matrix per distinct mask, ``inverse`` the mask of
        each channel.
        """
        a_idx, b_idx = self.a_idx, self.b_idx
        return tuple(
            gm[..., i, j][..., inverse, :]
            for i, j in ((a_idx, a_idx), (a_idx, b_idx), (b_idx, b_idx))
        )

    def _solve(
        self, gm: np.ndarray, rhs: np.ndarray, inverse: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """2 × 2 solutions for every candidate; gm (..., P, F, F), rhs (..., c, F)."""
        a, b, d = self._pairs(gm, inverse)
        r1, r2 = rhs[..., self.a_idx], rhs[..., self.b_idx]
        det = a * d - b * b
        with np.errstate(invalid="ignore", divide="ignore"):
            return (d * r1 - b * r2) / det, (a * r2 - b * r1) / det  # (..., c, n_cand)

    def best(self, load: np.ndarray, present: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Heating and cooling change point of each channel [°C]; NaN for no such term.

        Each channel's candidates are compared on the hours it observed (``present``), its
        regressors and load demeaned by time-of-week group over those hours only. Channels
        that observed the same hours share their Gram matrices.
        """
        g, n_groups, feats = self.group, self.n_groups, self.feats
        y = load[self.rows]
        m = present[self.rows] & np.isfinite(y)
        n_f = feats.shape[1]
        c = y.shape[1]
        patterns, inverse = _distinct_columns(m)
        n_folds = len(self.blocks)
        gram_w = np.zeros((n_folds, patterns.shape[0], n_f, n_f))
        xy_w = np.zeros((n_folds, c, n_f))
        yy_w = np.zeros((n_folds, c))
        for p, observed in enumerate(patterns):  # usually one or a few distinct masks
            cols = np.flatnonzero(inverse == p)
            counts = np.maximum(np.bincount(g, weights=observed, minlength=n_groups), 1.0)
            f_mean = group_sum(feats * observed[:, None], g, n_groups) / counts[:, None]
            xt = np.where(observed[:, None], feats - f_mean[g], 0.0)  # (rows, F)
            yp = np.where(observed[:, None], y[:, cols], 0.0)
            yt = np.where(
                observed[:, None], yp - (group_sum(yp, g, n_groups) / counts[:, None])[g], 0.0
            )
            for w, block in enumerate(self.blocks):
                gram_w[w, p] = xt[block].T @ xt[block]
                xy_w[w, cols] = (xt[block].T @ yt[block]).T
                yy_w[w, cols] = np.einsum("ij,ij->j", yt[block], yt[block])
        null = n_f - 1
        gram = gram_w.sum(axis=0)
        train_gram = gram[None] - gram_w
        gram[:, null, null] = 1.0  # the "no term" column solves to 0
        train_gram[:, :, null, null] = 1.0
        a_idx, b_idx = self.a_idx, self.b_idx
        full1, full2 = self._solve(gram, xy_w.sum(axis=0), inverse)  # (c, n_cand)
        c1, c2 = self._solve(train_gram, xy_w.sum(axis=0)[None] - xy_w, inverse)  # (fold, c, ·)
        g_aa, g_ab, g_bb = self._pairs(gram_w, inverse)  # held-out blocks
        held = (
            yy_w[..., None]
            - 2.0 * (c1 * xy_w[..., a_idx] + c2 * xy_w[..., b_idx])
            + c1 * c1 * g_aa
            + 2.0 * c1 * c2 * g_ab
            + c2 * c2 * g_bb
        ).sum(axis=0)  # (c, n_cand)
        ok = np.isfinite(held) & (full1 >= 0) & (full2 >= 0)
        ok &= np.isfinite(full1) & np.isfinite(full2)
        held = np.where(ok, held, np.inf)
        held[:, 0] = yy_w.sum(axis=0)  # candidate 0 = (none, none): time of week only
        best = np.argmin(held, axis=1)
        better = held[np.arange(c), best] < (1.0 - _IMPROVEMENT) * held[:, 0]
        better &= m.sum(axis=0) >= _MIN_SEARCH_HOURS
        best = np.where(better, best, 0)
        return self.knot[a_idx[best]], self.knot[b_idx[best]]


def _fit_slopes(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Fit with non-negative slopes at either occupancy; returns (coef, intercepts).

    ``x`` holds the regressors of :func:`_features`: heating and cooling degrees ``d`` and both
    times occupancy ``w``. The slope of a term at occupancy ``w`` is ``(1 - w) u + w o``, with
    ``u`` its unoccupied and ``o`` its occupied slope; the fit runs on ``(1 - w) d`` and
    ``w d`` so that ``u`` and ``o`` are coefficients of their own. A wrong-signed (negative)
    slope is dropped and the rest refitted, until none is negative: a building that heats only
    while occupied keeps its occupied slope, and its unoccupied hours get none. The
    coefficients come back for ``x`` itself: ``(u_h, u_c, o_h - u_h, o_c - u_c)``.
    """
    d, wd = x[..., :2], x[..., 2:]
    split = np.concatenate([d - wd, wd], axis=-1)  # ((1 - w) d, w d): unoccupied, occupied
    keep = np.ones((x.shape[1], 4), dtype=bool)
    for _ in range(5):  # each round drops at least one of the four slopes
        b, a = _solve(np.where(keep[None], split, 0.0), y, mask, group, n_groups)
        wrong = keep & (b < -1e-12)
        if not wrong.any():
            break
        keep &= ~wrong
    b = np.where(keep, np.maximum(b, 0.0), 0.0)
    return np.concatenate([b[:, :2], b[:, 2:] - b[:, :2]], axis=1), a


def _hourly(
    y: np.ndarray,
    mask: np.ndarray,
    temp: np.ndarray,
    group: np.ndarray,
    slot: np.ndarray,
    per_hour: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Hourly means of sub-hourly rows (an hour with a missing row is missing).

    Rows come in whole local hours from the start of the grid; returns the hourly load, its
    mask, temperature, time-of-week group and hour-of-week slot.
    """
    if per_hour == 1:
        return np.where(mask, y, np.nan), mask, temp, group, slot
    n_h = y.shape[0] // per_hour
    used = n_h * per_hour
    yh = np.where(mask, y, np.nan)[:used].reshape(n_h, per_hour, -1).mean(axis=1)
    th = temp[:used].reshape(n_h, per_hour).mean(axis=1)
    return yh, np.isfinite(yh), th, group[:used:per_hour], slot[:used:per_hour]


def _outliers(resid: np.ndarray) -> np.ndarray:
    """Residuals beyond ``_OUTLIER_SIGMAS`` robust standard deviations of their channel."""
    centre = _median(resid)
    sigma = MAD_SCALE * _median(np.abs(resid - centre))
    with np.errstate(invalid="ignore"):
        return np.abs(resid - centre) > _OUTLIER_SIGMAS * np.maximum(sigma, 1e-9)


def _median(values: np.ndarray) -> np.ndarray:
    """Column medians, NaN ignored, 0 for an empty column (partition when nothing is NaN)."""
    if np.isnan(values).any():
        return np.nan_to_num(column_median(values))
    return np.median(values, axis=0) if values.shape[0] else np.zeros(values.shape[1])


def _dot(x: np.ndarray, coef: np.ndarray) -> np.ndarray:
    """Regression term per row and channel: ``x`` (n, c, k) times ``coef`` (c, k)."""
    out = x[..., 0] * coef[None, :, 0]
    for j in range(1, x.shape[2]):  # four regressors
        if np.any(coef[:, j]):
            out += x[..., j] * coef[None, :, j]
    return out


def _solve(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of y on group intercepts and x, per channel; returns (coef, intercept)."""
    x_mean, counts = _group_mean(x, mask, group, n_groups)
    y_mean, _ = _group_mean(y, mask, group, n_groups)
    xt = np.where(mask[..., None], x - np.nan_to_num(x_mean)[group], 0.0)
    yt = np.where(mask, y - np.nan_to_num(y_mean)[group], 0.0)
    xc = np.ascontiguousarray(xt.transpose(1, 0, 2))  # (c, n, k)
    gram = np.matmul(xc.transpose(0, 2, 1), xc)
    xy = np.matmul(xc.transpose(0, 2, 1), yt.T[..., None])[..., 0]
    diag = np.diagonal(gram, axis1=1, axis2=2)
    scale = np.maximum(diag.max(axis=1, initial=0.0), 1e-12)
    unused = diag <= 1e-9 * scale[:, None]
    gram = gram + np.eye(x.shape[2])[None] * (unused * 1.0 + 1e-10 * scale[:, None])[:, None, :]
    coef = np.linalg.solve(gram, xy[..., None])[..., 0]
    coef = np.where(unused, 0.0, coef)
    intercept = y_mean - np.sum(np.nan_to_num(x_mean) * coef[None, :, :], axis=2)
    return coef, np.where(counts > 0, intercept, np.nan)


def _n_parameters(
    mask: np.ndarray, group: np.ndarray, n_groups: int, coef: np.ndarray
) -> np.ndarray:
    """Parameters of a fit that change its hourly predictions, per channel (Guideline 14 ``p``).

    One intercept per time-of-week group with observed hours, one per non-zero slope (each
    term's unoccupied and occupied slope), and one per change point that a non-zero slope uses. The within-hour shape of sub-hourly data is
    not counted: it sums to zero over each hour, so no hourly prediction depends on it.
    """
    counts = group_sum(mask, group, n_groups)
    unoccupied, occupied = coef[:, :2], coef[:, :2] + coef[:, 2:]  # the fitted slopes
    n_terms = ((unoccupied != 0) | (occupied != 0)).sum(axis=1)  # heating, cooling: a knot each
    n_slopes = (unoccupied != 0).sum(axis=1) + (occupied != 0).sum(axis=1)
    return ((counts > 0).sum(axis=0) + n_slopes + n_terms).astype(np.int64)


def g14_statistics(
    load: np.ndarray, predicted: np.ndarray, *, per_hour: int, n_parameters: np.ndarray | int
) -> tuple[np.ndarray, np.ndarray]:
    """ASHRAE Guideline 14 CV(RMSE) and NMBE of a fit at hourly resolution [%].

    Parameters
    ----------
    load, predicted : numpy.ndarray, shape (n_intervals, n_channels)
        Measured and modelled power per interval [kW]; NaN where missing. Rows come in whole
        hours of ``per_hour`` intervals, starting at the top of a local hour.
    per_hour : int
        Intervals per hour (4 for 15-min data); they are averaged to hourly values, and an
        hour with a missing interval is left out.
    n_parameters : numpy.ndarray or int
        Fitted parameters per channel (``p``).

    Returns
    -------
    cv_rmse, nmbe : numpy.ndarray
        Per channel [%]; NaN where fewer than ``p + 1`` hours or a zero mean.
    """
    load = np.asarray(load, dtype=float)
    predicted = np.asarray(predicted, dtype=float)
    n_rows, n_c = load.shape
    usable = n_rows - n_rows % per_hour
    y = load[:usable].reshape(-1, per_hour, n_c).mean(axis=1)
    p = predicted[:usable].reshape(-1, per_hour, n_c).mean(axis=1)
    ok = np.isfinite(y) & np.isfinite(p)
    n = ok.sum(axis=0)
    dof = n - np.broadcast_to(np.asarray(n_parameters, dtype=float), (n_c,))
    resid = np.where(ok, y - p, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, y, 0.0).sum(axis=0) / n
        cv = np.sqrt((resid**2).sum(axis=0) / dof) / mean * 100.0
        nmbe = resid.sum(axis=0) / (dof * mean) * 100.0
    bad = (dof < 1) | ~(np.abs(mean) > 1e-12)
    return np.where(bad, np.nan, cv), np.where(bad, np.nan, nmbe)


def fit_towt(
    baseline: Grid,
    temperature_c: np.ndarray | None,
    *,
    profile: Profile,
    thresholds: BaselineThresholds | None = None,
) -> TowtModel:
    """Fit the time-of-week-and-temperature model of every channel of a baseline grid.

    Parameters
    ----------
    baseline : Grid
        Baseline weeks of one resolution.
    temperature_c : numpy.ndarray or None
        Outdoor temperature per baseline interval [°C] (:func:`temperature_on_grid`); None or
        all-NaN when not available.
    profile : Profile
        The channels' baseline profile (coverage and the hour-of-week shape for occupancy).
    thresholds : BaselineThresholds, optional
        ``model``, ``min_samples``, ``max_cv_rmse_pct``, ``max_abs_nmbe_pct``,
        ``min_temperature_coverage``.

    Returns
    -------
    TowtModel
        Channels without enough temperature or baseline get the status ``no_temperature`` or
        ``insufficient_baseline`` and NaN statistics; the others ``calibrated`` or
        ``not_calibrated`` by the Guideline 14 criteria.
    """
    t = BaselineThresholds() if thresholds is None else thresholds
    load = baseline.load_kw
    n, c = load.shape
    temp = np.full(n, np.nan) if temperature_c is None else np.asarray(temperature_c, dtype=float)
    if temp.shape != (n,):
        raise ValueError(
            f"temperature_c has shape {temp.shape}, expected ({n},): one value per baseline "
            "interval (use towt.temperature_on_grid)"
        )
    keys = level_keys(baseline)
    level_counts = tuple(np.bincount(key, minlength=size) for key, size in keys)
    group = _groups(baseline, level_counts, t.min_samples)
    n_groups = _n_groups(baseline)
    occupancy = _occupancy(profile)
    present = np.isfinite(load)
    has_temp = np.isfinite(temp)
    usable = present & has_temp[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        temp_cover = usable.sum(axis=0) / present.sum(axis=0)
    status = np.full(c, "calibrated", dtype=object)
    status[~(temp_cover >= t.min_temperature_coverage)] = "no_temperature"
    status[~profile.sufficient] = "insufficient_baseline"
    if t.model == "profile":
        status[:] = "profile_only"
    fit = status == "calibrated"
    nan_c = np.full(c, np.nan)
    heat_c, cool_c = nan_c.copy(), nan_c.copy()
    coef = np.zeros((c, 4))
    intercept = np.full((n_groups, c), np.nan)
    shape_size = _shape_groups(baseline)
    shape = None if shape_size is None else np.zeros((shape_size[1], c))
    cv, nmbe, n_par = nan_c.copy(), nan_c.copy(), np.zeros(c, dtype=np.int64)
    fitted = np.full((n, c), np.nan)
    if fit.any():
        cols = np.flatnonzero(fit)
        y, mask = load[:, cols], usable[:, cols]
        per_hour = baseline.per_hour
        within = _within_hour_shape(y, mask, baseline)
        if within is not None:  # ramps inside the hour: taken out before the regression
            effect, shape_key = within
            assert shape is not None  # both come from _shape_groups: sub-hourly data
            shape[:, cols] = effect
            y = y - effect[shape_key]
        # the regression runs on hourly means: its groups are hours, temperature changes slowly
        yh, mh, th, gh, sh = _hourly(y, mask, temp, group, baseline.slot, per_hour)
        search = _ChangePointSearch.build(th, gh, n_groups)
        none = np.full(cols.size, np.nan)
        h, k = (none, none.copy()) if search is None else search.best(yh, mh)
        occ_h = occupancy[sh][:, cols]
        xh = np.where(np.isfinite(th)[:, None, None], _features(th, occ_h, h, k), 0.0)
        b, a = _fit_slopes(xh, yh, mh, gh, n_groups)
        # hours far from the model (a fault in the baseline): search and fit again without them
        far = _outliers(np.where(mh, yh - (a[gh] + _dot(xh, b)), np.nan))
        # a fault is rare; many far hours are the channel's own heavy tail (an intermittent
        # load), and leaving them out would bias the model low: keep them all then
        far &= (far.sum(axis=0) <= t.max_outlier_share * mh.sum(axis=0))[None, :]
        redo = np.flatnonzero(far.any(axis=0))
        if redo.size:
            clean = mh[:, redo] & ~far[:, redo]
            if search is not None:
                h[redo], k[redo] = search.best(yh[:, redo], clean)
            x_redo = _features(th, occ_h[:, redo], h[redo], k[redo])
            x_redo = np.where(np.isfinite(th)[:, None, None], x_redo, 0.0)
            b[redo], a[:, redo] = _fit_slopes(x_redo, yh[:, redo], clean, gh, n_groups)
        heat_c[cols], cool_c[cols] = h, k
        coef[cols], intercept[:, cols] = b, a
        n_par[cols] = _n_parameters(mh, gh, n_groups, b)
        x = _features(temp, occupancy[baseline.slot][:, cols], h, k)
        pred = a[group] + _dot(np.where(has_temp[:, None, None], x, 0.0), b)
        if within is not None:  # the shape moves quarter-hours, never an hour's mean
            pred = pred + effect[shape_key]
            y = y + effect[shape_key]
        pred = np.where(has_temp[:, None], pred, np.nan)
        fitted[:, cols] = pred
        pred = np.where(usable[:, cols], pred, np.nan)
        cv[cols], nmbe[cols] = g14_statistics(
            np.where(usable[:, cols], y, np.nan),
            pred,
            per_hour=baseline.per_hour,
            n_parameters=n_par[cols],
        )
        good = (cv[cols] <= t.max_cv_rmse_pct) & (np.abs(nmbe[cols]) <= t.max_abs_nmbe_pct)
        status[cols[~good]] = "not_calibrated"
    return TowtModel(
        channel_ids=baseline.channel_ids,
        resolution_s=baseline.resolution_s,
        status=status,
        cv_rmse_pct=cv,
        nmbe_pct=nmbe,
        n_parameters=n_par,
        heating_balance_c=heat_c,
        cooling_balance_c=cool_c,
        coef=coef,
        intercept=intercept,
        shape=shape,
        occupancy=occupancy,
        level_counts=level_counts,
        min_samples=t.min_samples,
        fitted=fitted,
    )


def predict_towt(model: TowtModel, grid: Grid, temperature_c: np.ndarray | None) -> np.ndarray:
    """Expected power of every interval and channel of a grid from the TOWT model [kW].

    Parameters
    ----------
    model : TowtModel
        From :func:`fit_towt` (same channels as ``grid``).
    grid : Grid
        Any grid of the same resolution (baseline or report week).
    temperature_c : numpy.ndarray or None
        Outdoor temperature per interval [°C].

    Returns
    -------
    numpy.ndarray
        Shape of ``grid.load_kw``; NaN where the channel's model is not fitted, the temperature
        is unknown or the time-of-week group had no baseline data.
    """
    n, c = grid.load_kw.shape
    if temperature_c is None:
        return np.full((n, c), np.nan)
    temp = np.asarray(temperature_c, dtype=float)
    group = _groups(grid, model.level_counts, model.min_samples)
    occ = model.occupancy[grid.slot]
    x = _features(temp, occ, model.heating_balance_c, model.cooling_balance_c)
    pred = model.intercept[group] + _dot(x, model.coef)
    shape = _shape_groups(grid)
    if model.shape is not None and shape is not None:
        pred = pred + model.shape[shape[0]]
    fitted = np.isin(model.status, ("calibrated", "not_calibrated"))
    return np.where(fitted[None, :] & np.isfinite(temp)[:, None], pred, np.nan)


def residual_stats(model: TowtModel, baseline: Grid, residual: np.ndarray) -> dict[str, np.ndarray]:
    """Spread of the baseline residuals per day type and hour, widened to out-of-sample.

    A channel whose group holds fewer than the model's ``min_samples`` residuals (most of its
    baseline screened out) takes the spread of the coarser group (day type × 3-hour block, then
    day type): a handful of values says little about how a meter scatters.

    Parameters
    ----------
    model : TowtModel
        The fitted model (its groups).
    baseline : Grid
        The baseline grid the residuals belong to.
    residual : numpy.ndarray
        Baseline load minus prediction [kW], NaN where unknown.

    Returns
    -------
    dict
        ``p5``, ``q1``, ``median``, ``q3``, ``p95``, ``mad`` (× ``MAD_SCALE``, a robust standard
        deviation, as ``SlotStats.mad``) and ``n``, each ``(n_groups, n_channels)`` [kW].
    """
    group = _groups(baseline, model.level_counts, model.min_samples)
    n_groups = _n_groups(baseline)
    shape = _shape_groups(baseline)
    ok = np.isfinite(residual)
    _, counts = _group_mean(np.nan_to_num(residual), ok, group, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        leverage = np.where(counts > 0, 1.0 / counts, np.inf)[group]
        if shape is not None:  # a weekday row's own shape group adds to its leverage
            key, size = shape
            _, shape_counts = _group_mean(np.nan_to_num(residual), ok, key, size)
            own = (key < 24 * baseline.per_hour)[:, None]
            leverage = leverage + np.where(own, 1.0 / np.maximum(shape_counts[key], 1), 0.0)
        widen = np.sqrt((1.0 + leverage) / (1.0 - leverage))
    widened = residual * np.where(leverage < 0.5, widen, np.nan)
    q = (5.0, 25.0, 50.0, 75.0, 95.0)
    names = ("p5", "q1", "median", "q3", "p95", "mad")
    # the spread of every group at every level from day type x hour to day type; a channel
    # whose group holds fewer than min_samples residuals (most of its baseline screened out:
    # four quarter-hours of one Saturday night) takes its parent group's, since four values
    # say little about the spread (a MAD of 1 kW on a meter whose readings scatter by 3.4 kW)
    keys = level_keys(baseline)
    offsets = np.concatenate([[0], np.cumsum([size for _, size in keys])[:-1]])
    n_c = residual.shape[1]
    stats = {name: np.full((n_groups, n_c), np.nan) for name in names}
    n = np.zeros((n_groups, n_c), dtype=np.int64)
    parent = np.arange(n_groups)
    computed = []
    for level in range(1, len(keys)):  # at most three levels, each vectorised over its groups
        (key, size), offset = keys[level], offsets[level]
        quant, count = grouped_quantiles(widened, key, size, q)
        deviation = np.abs(widened - quant[2][key])
        mad, _ = grouped_quantiles(deviation, key, size, (50.0,))
        for name, values in zip(names, (*quant, MAD_SCALE * mad[0]), strict=True):
            stats[name][offset : offset + size] = values
        n[offset : offset + size] = count
        computed.append(level)
        used = np.unique(key)
        present = count[used] > 0
        if level + 1 == len(keys) or not (present & (count[used] < model.min_samples)).any():
            break  # no group of this level is thin: the coarser ones are not needed
        parent[offset + key] = offsets[level + 1] + keys[level + 1][0]
    for level in computed[-2::-1]:  # coarse to fine: a parent is settled first
        groups = np.unique(offsets[level] + keys[level][0])
        thin = n[groups] < model.min_samples
        for name in names:
            stats[name][groups] = np.where(thin, stats[name][parent[groups]], stats[name][groups])
        n[groups] = np.where(thin, n[parent[groups]], n[groups])
    out = dict(stats)
    out["n"] = n
    return out


def _combine(
    stats: SlotStats,
    predicted: np.ndarray,
    spread: dict[str, np.ndarray],
    group: np.ndarray,
    use: np.ndarray,
) -> SlotStats:
    """Model statistics where the model applies, the profile's elsewhere; never below 0 kW."""
    ok = use[None, :] & np.isfinite(predicted) & np.isfinite(spread["median"][group])
    out = {}
    for name in ("p5", "q1", "median", "q3", "p95"):
        value = np.where(ok, predicted + spread[name][group], getattr(stats, name))
        out[name] = np.maximum(value, 0.0)  # a consuming channel never draws less than 0 kW
    out["mad"] = np.where(ok, spread["mad"][group], stats.mad)
    out["n"] = np.where(ok, spread["n"][group], stats.n)
    out["level"] = np.where(ok, MODEL_LEVEL, stats.level)
    return SlotStats(**out)


def _non_negative(stats: SlotStats) -> SlotStats:
    """The statistics with the band (P5 … P95) clipped at 0 kW (NaN stays NaN)."""
    bands = ("p5", "q1", "median", "q3", "p95")
    if all(not (getattr(stats, name) < 0).any() for name in bands):
        return stats
    return dataclasses.replace(
        stats, **{name: np.maximum(getattr(stats, name), 0.0) for name in bands}
    )


def extrapolated_response(
    model: TowtModel,
    baseline: Grid,
    baseline_temperature_c: np.ndarray | None,
    grid: Grid,
    temperature_c: np.ndarray | None,
) -> np.ndarray:
    """The model's weather response beyond the temperatures its baseline saw [kW], as a magnitude.

    Per channel and occupancy state (occupied: the hour-of-week's occupancy weight at least
    0.5), the range is that of the temperatures of the baseline intervals the channel observed
    in that state; a report interval outside it is predicted with a slope fitted elsewhere.
    Returns ``|prediction(T) - prediction(T clipped to the range)|`` per report interval and
    channel (0 inside the range, where no temperature is known or no baseline interval of the
    state has one). A straight cooling line of 2 kW/°C fitted on 20–30 °C, asked about 33 °C,
    gives 6 kW (and 0 at 25 °C).
    """
    n, c = grid.load_kw.shape
    if temperature_c is None or baseline_temperature_c is None or n == 0:
        return np.zeros((n, c))
    temp_b = np.asarray(baseline_temperature_c, dtype=float)
    temp_r = np.asarray(temperature_c, dtype=float)
    occ_b = model.occupancy[baseline.slot] >= 0.5
    occ_r = model.occupancy[grid.slot]
    seen = np.isfinite(baseline.load_kw) & np.isfinite(temp_b)[:, None]
    lo = np.full((2, c), np.nan)
    hi = np.full((2, c), np.nan)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # a state without data: NaN
        for state in (0, 1):  # unoccupied, occupied
            values = np.where(seen & (occ_b == bool(state)), temp_b[:, None], np.nan)
            lo[state], hi[state] = np.nanmin(values, axis=0), np.nanmax(values, axis=0)
    state_r = (occ_r >= 0.5).astype(np.int64)
    col = np.arange(c)[None, :]
    low, high = lo[state_r, col], hi[state_r, col]
    known = np.isfinite(low) & np.isfinite(high) & np.isfinite(temp_r)[:, None]
    clipped = np.where(known, np.clip(temp_r[:, None], low, high), temp_r[:, None])

    def weather(t: np.ndarray) -> np.ndarray:
        x = _features(t, occ_r, model.heating_balance_c, model.cooling_balance_c)
        return _dot(x, model.coef)

    extra = np.abs(weather(temp_r) - weather(clipped))
    return np.where(known, np.nan_to_num(extra), 0.0)


def model_expected(
    model: TowtModel,
    *,
    baseline: Grid,
    baseline_temperature_c: np.ndarray | None,
    baseline_stats: SlotStats,
    grid: Grid,
    temperature_c: np.ndarray | None,
    stats: SlotStats,
) -> tuple[SlotStats, SlotStats]:
    """Expected values of the report and baseline intervals: the model where it is calibrated.

    Parameters
    ----------
    model : TowtModel
        From :func:`fit_towt`.
    baseline : Grid
        The baseline grid the model was fitted on.
    baseline_temperature_c : numpy.ndarray or None
        Temperature per baseline interval [°C].
    baseline_stats : SlotStats
        The profile's statistics of the baseline intervals (``Profile.own``).
    grid : Grid
        The report grid.
    temperature_c : numpy.ndarray or None
        Temperature per report interval [°C].
    stats : SlotStats
        The profile's statistics of the report intervals.

    Returns
    -------
    report, baseline : SlotStats
        ``median``, quartiles and P5/P95 = model prediction + the residual quantiles of the
        interval's time-of-week group, ``mad`` of the residuals, ``level = MODEL_LEVEL``, for
        calibrated channels with a known temperature; the profile's statistics elsewhere.
    """
    use = model.calibrated
    if not use.any():
        return _non_negative(stats), _non_negative(baseline_stats)
    fitted = model.fitted
    if fitted is None or fitted.shape != baseline.load_kw.shape:
        fitted = predict_towt(model, baseline, baseline_temperature_c)
    pred_b = np.where(model.calibrated[None, :], fitted, np.nan)
    spread = residual_stats(model, baseline, baseline.load_kw - pred_b)
    pred_r = predict_towt(model, grid, temperature_c)
    # beyond the weather the baseline saw, the slope is an extrapolation: the expected load is
    # the prediction plus as much again of its weather response beyond that range (an upper
    # bound, so that what the model cannot know is not reported as excess or savings)
    pred_r = pred_r + extrapolated_response(
        model, baseline, baseline_temperature_c, grid, temperature_c
    )
    g_b = _groups(baseline, model.level_counts, model.min_samples, first_level=1)
    g_r = _groups(grid, model.level_counts, model.min_samples, first_level=1)
    return (
        _combine(stats, pred_r, spread, g_r, use),
        _combine(baseline_stats, pred_b, spread, g_b, use),
    )


def profile_statistics(
    model: TowtModel, baseline: Grid, own: SlotStats
) -> tuple[np.ndarray, np.ndarray]:
    """Guideline 14 CV(RMSE) and NMBE of the profile (slot medians as the prediction) [%].

    Parameters
    ----------
    model : TowtModel
        Gives the time-of-week groups (the profile's parameters).
    baseline : Grid
        Baseline grid.
    own : SlotStats
        The profile's statistics of the baseline intervals.

    Returns
    -------
    cv_rmse, nmbe : numpy.ndarray
        Per channel [%]; NaN for channels whose model is calibrated (the profile is not used).
    """
    n_c = baseline.load_kw.shape[1]
    cv, nmbe = np.full(n_c, np.nan), np.full(n_c, np.nan)
    cols = np.flatnonzero(~model.calibrated)  # where the profile is the baseline in use
    if cols.size == 0:
        return cv, nmbe
    load = baseline.load_kw[:, cols]
    group = _groups(baseline, model.level_counts, model.min_samples)
    _, counts = _group_mean(np.nan_to_num(load), np.isfinite(load), group, _n_groups(baseline))
    cv[cols], nmbe[cols] = g14_statistics(
        load, own.median[:, cols], per_hour=baseline.per_hour, n_parameters=(counts > 0).sum(0)
    )
    return cv, nmbe


REPORT_FIT_KEYS = (
    "report_cv_rmse_pct",
    "report_nmbe_pct",
    "towt_report_cv_rmse_pct",
    "towt_report_nmbe_pct",
    "report_hours",
)
"""Keys of :func:`report_statistics` (columns of :func:`model_table`)."""


def report_statistics(
    model: TowtModel,
    grid: Grid,
    temperature_c: np.ndarray | None,
    *,
    expected: SlotStats,
    thresholds: BaselineThresholds | None = None,
) -> dict[str, np.ndarray]:
    """Out-of-sample CV(RMSE) and NMBE of the report week, at hourly resolution [%].

    The baseline was fitted without the report week, so these say how well it predicts the
    week the detectors judge. They are computed like :func:`g14_statistics` over the week's
    observed hours (sub-hourly data averaged to hours, an hour with a missing interval left
    out), with ``n`` in the denominators: no parameter was fitted on these hours.

    Parameters
    ----------
    model : TowtModel
        From :func:`fit_towt` (same channels as ``grid``).
    grid : Grid
        The report week, without the readings the sensor checks distrust (NaN there).
    temperature_c : numpy.ndarray or None
        Outdoor temperature per report interval [°C].
    expected : SlotStats
        The expected values the detectors used (:func:`model_expected`): their ``median`` is
        the prediction of the baseline in use.
    thresholds : BaselineThresholds, optional
        ``min_report_hours``.

    Returns
    -------
    dict
        Per channel: ``report_cv_rmse_pct`` and ``report_nmbe_pct`` of the baseline in use,
        ``towt_report_cv_rmse_pct`` and ``towt_report_nmbe_pct`` of the fitted TOWT model
        (NaN where none was fitted or the temperature is unknown) [%], and ``report_hours``,
        the observed hours behind the statistics of the baseline in use [h]. Statistics of
        fewer than ``min_report_hours`` hours are NaN.
    """
    t = BaselineThresholds() if thresholds is None else thresholds
    load = grid.load_kw
    per_hour = grid.per_hour
    towt = predict_towt(model, grid, temperature_c)
    out = {}
    for prefix, predicted in (("", expected.median), ("towt_", towt)):
        cv, nmbe = g14_statistics(load, predicted, per_hour=per_hour, n_parameters=0)
        hours = _observed_hours(load, predicted, per_hour)
        few = hours < t.min_report_hours
        out[f"{prefix}report_cv_rmse_pct"] = np.where(few, np.nan, cv)
        out[f"{prefix}report_nmbe_pct"] = np.where(few, np.nan, nmbe)
        if not prefix:
            out["report_hours"] = hours.astype(float)
    return out


def _observed_hours(load: np.ndarray, predicted: np.ndarray, per_hour: int) -> np.ndarray:
    """Whole hours with every interval observed and predicted, per channel."""
    usable = load.shape[0] - load.shape[0] % per_hour
    ok = np.isfinite(load[:usable]) & np.isfinite(predicted[:usable])
    return ok.reshape(-1, per_hour, load.shape[1]).all(axis=1).sum(axis=0)


_FLOAT_COLUMNS = (
    "cv_rmse_pct",
    "nmbe_pct",
    "towt_cv_rmse_pct",
    "towt_nmbe_pct",
    *REPORT_FIT_KEYS,
    "heating_balance_c",
    "cooling_balance_c",
)


def model_table(
    models: list[TowtModel],
    profile_fit: dict[int, tuple[np.ndarray, np.ndarray]],
    report_fit: dict[int, dict[str, np.ndarray]] | None = None,
) -> pd.DataFrame:
    """One row per channel: which baseline is used and its Guideline 14 statistics.

    Parameters
    ----------
    models : list of TowtModel
        One per resolution.
    profile_fit : dict
        Per resolution ``(cv_rmse_pct, nmbe_pct)`` of the profile (its slot medians as the
        prediction), reported where the model is not used.
    report_fit : dict, optional
        Per resolution the out-of-sample statistics of the report week
        (:func:`report_statistics`); without it those columns are NaN.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MODEL_COLUMNS`: ``channel_id``, ``baseline_model`` (``"towt"`` or
        ``"profile"``), ``model_status``; in sample (the baseline weeks, Guideline 14 with
        ``n - p``): ``cv_rmse_pct`` and ``nmbe_pct`` of the baseline used [%],
        ``towt_cv_rmse_pct`` and ``towt_nmbe_pct`` of the fitted model (NaN when none was
        fitted) [%]; out of sample (the report week's observed hours):
        ``report_cv_rmse_pct``, ``report_nmbe_pct``, ``towt_report_cv_rmse_pct``,
        ``towt_report_nmbe_pct`` [%] and ``report_hours`` [h]; the change points
        ``heating_balance_c``, ``cooling_balance_c`` [°C].
    """
    frames = []
    for m in models:  # one or two resolutions
        p_cv, p_nmbe = profile_fit[m.resolution_s]
        use = m.calibrated
        nan_c = np.full(m.channel_ids.size, np.nan)
        report = (report_fit or {}).get(m.resolution_s, {})
        frames.append(
            pd.DataFrame(
                {
                    "channel_id": m.channel_ids,
                    "baseline_model": np.where(use, "towt", "profile").astype(object),
                    "model_status": m.status.astype(object),
                    "cv_rmse_pct": np.where(use, m.cv_rmse_pct, p_cv),
                    "nmbe_pct": np.where(use, m.nmbe_pct, p_nmbe),
                    "towt_cv_rmse_pct": m.cv_rmse_pct,
                    "towt_nmbe_pct": m.nmbe_pct,
                    **{k: np.asarray(report.get(k, nan_c), dtype=float) for k in REPORT_FIT_KEYS},
                    "heating_balance_c": m.heating_balance_c,
                    "cooling_balance_c": m.cooling_balance_c,
                }
            )
        )
    if not frames:
        return pd.DataFrame(
            {
                "channel_id": pd.Series(dtype=np.int64),
                "baseline_model": pd.Series(dtype=object),
                "model_status": pd.Series(dtype=object),
                **{c: pd.Series(dtype=float) for c in _FLOAT_COLUMNS},
            }
        )
    return pd.concat(frames, ignore_index=True)
