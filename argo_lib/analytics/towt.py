"""Time-of-week-and-temperature baseline model with ASHRAE Guideline 14 statistics (spec C).

Where the outdoor air temperature is known, each channel's expected load is a regression fitted on
the baseline weeks (the TOWT model of LBNL and CalTRACK, with the change points of the ASHRAE
inverse-modelling change-point models)::

    load = a[time-of-week group]
           + (bh + wh * occ) * max(Th - T, 0)      heating below the balance point Th
           + (bc + wc * occ) * max(T - Tc, 0)      cooling above the balance point Tc

- *Time-of-week groups* are the hour-of-week slots, pooled like the profile (spec B5) where a
  slot has fewer than ``min_samples`` baseline intervals (hourly data: weekday × hour, ...);
  holidays count as Sundays.
- *Change points* ``Th`` and ``Tc`` are chosen per channel from a 1 °C grid inside the baseline's
  temperature range by blocked cross-validation (each baseline week predicted from the others);
  a heating or cooling term is kept only if its slope is positive and it predicts the held-out
  weeks better, so a channel without weather response keeps a pure time-of-week model.
- *Occupancy* ``occ`` (0–1) is the channel's own hour-of-week profile scaled between its
  quiet and its busy level: HVAC responds to weather more strongly while the building is in use.
- The fit is ordinary least squares, vectorised over all channels (time-of-week intercepts are
  removed by group demeaning, Frisch–Waugh–Lovell, leaving a 4 × 4 system per channel), then
  refitted once without outliers beyond ``5`` robust standard deviations.

Fit statistics follow ASHRAE Guideline 14 at hourly resolution (15-min data are averaged to
hours first)::

    CV(RMSE) = sqrt(sum((y - yhat)^2) / (n - p)) / mean(y) x 100 %
    NMBE     = sum(y - yhat) / ((n - p) * mean(y)) x 100 %

with ``p`` the number of fitted parameters. A model with CV(RMSE) ≤ 30 % and |NMBE| ≤ 10 % is
*calibrated* and gives the expected values of the detectors; otherwise (or without temperature)
the robust time-slot profile of :mod:`argo_lib.analytics.baseline` does. The spread around the
model (quartiles, P5/P95, MAD) comes from the baseline residuals of each time-of-week group,
widened from in-sample to out-of-sample (``sqrt((1 + 1/n) / (1 - 1/n))`` for a group of ``n``).

Examples
--------
>>> g14_statistics(np.array([[1.0], [3.0]]), np.array([[2.0], [2.0]]), per_hour=1, n_parameters=1)
(array([70.71067812]), array([0.]))
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics.baseline import (
    LEVELS,
    Profile,
    SlotStats,
    column_median,
    grouped_quantiles,
    level_keys,
)
from argo_lib.analytics.grid import Grid, group_sum
from argo_lib.thresholds import BaselineThresholds

__all__ = [
    "MODEL_COLUMNS",
    "MODEL_STATUSES",
    "TowtModel",
    "fit_towt",
    "g14_statistics",
    "model_expected",
    "model_table",
    "predict_towt",
    "profile_statistics",
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
    "heating_balance_c",
    "cooling_balance_c",
)
"""Columns of :func:`model_table` (added to the analysis' channel table)."""

_OUTLIER_SIGMAS = 5.0
_IMPROVEMENT = 0.01  # a weather term must lower the cross-validated error by 1 %
_MAX_KNOTS = 24
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

    The temperature series may have any resolution; each of its values describes the interval
    that starts at its timestamp. It is interpolated linearly between interval midpoints and
    averaged over four points of each grid interval; an interval more than ``max_gap_hours``
    away from the nearest temperature on either side is NaN (no extrapolation).

    Parameters
    ----------
    temperature : pandas.Series or None
        Outdoor air temperature [°C] with a tz-aware DatetimeIndex of interval starts (e.g.
        ``db.read_weather(...).set_index("timestamp")["temperature_c"]`` or
        ``Simulation.temperature``); None means not available.
    index : pandas.DatetimeIndex
        Tz-aware interval starts of the grid.
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
    >>> t = pd.Series([10.0, 12.0], index=pd.date_range("2026-01-05", periods=2, freq="h",
    ...                                                 tz="UTC"))
    >>> idx = pd.date_range("2026-01-05", periods=4, freq="15min", tz="UTC")
    >>> temperature_on_grid(t, idx, resolution_s=900).round(2).tolist()
    [10.0, 10.0, 10.25, 10.75]
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
    step = int(np.median(np.diff(t_ns))) if t_ns.size > 1 else resolution_s * _NS_PER_S
    origin = int(t_ns[0])
    x = (t_ns - origin + step // 2) / _NS_PER_S  # midpoints of the temperature intervals [s]
    starts = (index.as_unit("ns").asi8 - origin) / _NS_PER_S
    points = starts[:, None] + resolution_s * (np.arange(4) + 0.5)[None, :] / 4.0
    interp = np.interp(points, x, values)
    # distance to the nearest temperature on each side
    k = np.searchsorted(x, points)
    before = np.where(k > 0, points - x[np.clip(k - 1, 0, x.size - 1)], np.inf)
    after = np.where(k < x.size, x[np.clip(k, 0, x.size - 1)] - points, np.inf)
    limit = max(max_gap_hours * 3600.0, step / _NS_PER_S)
    known = (before <= limit) & (after <= limit)
    known |= (before == 0) | (after == 0)
    out = np.where(known.all(axis=1), interp.mean(axis=1), np.nan)
    return out


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
    occupancy : numpy.ndarray, shape (168, n_channels)
        Occupancy weight per hour-of-week slot [-].
    level_counts : tuple of numpy.ndarray
        Baseline intervals per key of each pooling level (decides the groups).
    min_samples : int
        Fewest baseline intervals of a time-of-week group [-].
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
    occupancy: np.ndarray
    level_counts: tuple[np.ndarray, ...] = dataclasses.field(repr=False)
    min_samples: int = 12

    @property
    def calibrated(self) -> np.ndarray:
        """True where the model meets the Guideline 14 criteria and is used."""
        return self.status == "calibrated"


def _groups(grid: Grid, level_counts: tuple[np.ndarray, ...], min_samples: int) -> np.ndarray:
    """Time-of-week group of each row: the finest pooling level with enough baseline rows."""
    keys = level_keys(grid)
    offsets = np.concatenate([[0], np.cumsum([size for _, size in keys])[:-1]])
    group = np.full(grid.load_kw.shape[0], -1, dtype=np.int64)
    for (key, _), counts, offset in zip(keys[::-1], level_counts[::-1], offsets[::-1], strict=True):
        enough = counts[key] >= min_samples  # coarse to fine: the finest level wins
        group = np.where(enough, offset + key, group)
    # a slot without enough rows at any level takes its day type anyway
    coarsest_key, _ = keys[-1]
    return np.where(group >= 0, group, offsets[-1] + coarsest_key)


def _n_groups(grid: Grid) -> int:
    return int(sum(size for _, size in level_keys(grid)))


def _group_mean(values: np.ndarray, mask: np.ndarray, group: np.ndarray, n_groups: int):
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
    filled = np.where(mask[..., None], values, 0.0)
    sums = np.stack(
        [
            np.bincount(flat, weights=filled[..., j].ravel(), minlength=n_groups * c)
            for j in range(k)  # four features
        ],
        axis=-1,
    ).reshape(n_groups, c, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts[..., None], counts


def _occupancy(profile: Profile) -> np.ndarray:
    """Occupancy weight per hour-of-week slot and channel (0 quiet … 1 busy)."""
    median = profile.level("hour_of_week")["median"]  # (168, c)
    ok = np.isfinite(median)
    lo = np.full(median.shape[1], np.nan)
    hi = np.full(median.shape[1], np.nan)
    cols = ok.any(axis=0)
    if cols.any():
        lo[cols] = np.nanpercentile(median[:, cols], 5, axis=0)
        hi[cols] = np.nanpercentile(median[:, cols], 95, axis=0)
    span = hi - lo
    level = np.maximum(np.abs(np.nan_to_num(profile.mean_kw)), 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.clip((median - lo) / span, 0.0, 1.0)
    flat = ~(span > 0.1 * level)  # no schedule to speak of: one slope
    return np.where(ok & ~flat[None, :], w, 0.0)


def _features(
    temp: np.ndarray, occupancy: np.ndarray, heat_c: np.ndarray, cool_c: np.ndarray
) -> np.ndarray:
    """Regressors (n, c, 4): heating and cooling degrees, and both times occupancy."""
    with np.errstate(invalid="ignore"):
        heat = np.where(
            np.isfinite(heat_c)[None, :], np.maximum(heat_c[None, :] - temp[:, None], 0), 0
        )
        cool = np.where(
            np.isfinite(cool_c)[None, :], np.maximum(temp[:, None] - cool_c[None, :], 0), 0
        )
    return np.stack([heat, cool, occupancy * heat, occupancy * cool], axis=-1)


def _search_change_points(
    load: np.ndarray,
    present: np.ndarray,
    temp: np.ndarray,
    group: np.ndarray,
    n_groups: int,
    *,
    n_folds: int = 4,
) -> tuple[np.ndarray, np.ndarray]:
    """Heating and cooling change point per channel by blocked cross-validation [°C]."""
    n, c = load.shape
    rows = np.isfinite(temp)
    none = (np.full(c, np.nan), np.full(c, np.nan))
    if rows.sum() < 48:
        return none
    t = temp[rows]
    lo, hi = np.percentile(t, [5.0, 95.0])
    step = max(1.0, np.ceil((hi - lo) / _MAX_KNOTS))
    knots = np.arange(np.ceil(lo), np.floor(hi) + 1e-9, step)
    if knots.size == 0:
        return none
    g = group[rows]
    y = load[rows]
    m = present[rows]
    # missing load: the channel's group mean (only to choose the change points)
    y_mean, _ = _group_mean(y, m, g, n_groups)
    col_mean = column_median(np.where(m, y, np.nan))
    fill = np.where(np.isfinite(y_mean[g]), y_mean[g], np.nan_to_num(col_mean)[None, :])
    y = np.where(m, y, fill)
    y = np.nan_to_num(y)
    k = knots.size
    feats = np.concatenate(
        [
            np.maximum(knots[None, :] - t[:, None], 0.0),
            np.maximum(t[:, None] - knots[None, :], 0.0),
        ],
        axis=1,
    )  # (n_rows, 2k): heating hinges, then cooling hinges
    safe = np.maximum(np.bincount(g, minlength=n_groups).astype(float), 1.0)[:, None]
    feats = feats - (group_sum(feats, g, n_groups) / safe)[g]
    y = y - (group_sum(y, g, n_groups) / safe)[g]
    feats = np.concatenate([feats, np.zeros((feats.shape[0], 1))], axis=1)  # a "no term" column
    null = 2 * k
    fold = (np.arange(t.size) * n_folds) // t.size
    gram_w = np.stack([feats[fold == f].T @ feats[fold == f] for f in range(n_folds)])
    xy_w = np.stack([feats[fold == f].T @ y[fold == f] for f in range(n_folds)])
    yy_w = np.stack([np.sum(y[fold == f] ** 2, axis=0) for f in range(n_folds)])
    gram = gram_w.sum(axis=0)
    gram[null, null] = 1.0  # the "no term" column solves to 0
    xy = xy_w.sum(axis=0)
    # candidates: (heating column or null, cooling column or null) with Th <= Tc
    heat = np.concatenate([[null], np.arange(k)])
    cool = np.concatenate([[null], k + np.arange(k)])
    a_idx, b_idx = np.meshgrid(heat, cool, indexing="ij")
    a_idx, b_idx = a_idx.ravel(), b_idx.ravel()
    valid = (a_idx == null) | (b_idx == null) | (a_idx <= b_idx - k)
    a_idx, b_idx = a_idx[valid], b_idx[valid]

    def solve(gm: np.ndarray, rhs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """2 × 2 solutions for every candidate; gm (..., F, F), rhs (..., F, c)."""
        a = gm[..., a_idx, a_idx][..., None]
        b = gm[..., a_idx, b_idx][..., None]
        d = gm[..., b_idx, b_idx][..., None]
        r1, r2 = rhs[..., a_idx, :], rhs[..., b_idx, :]
        det = a * d - b * b
        with np.errstate(invalid="ignore", divide="ignore"):
            return (d * r1 - b * r2) / det, (a * r2 - b * r1) / det

    full1, full2 = solve(gram, xy)  # (n_cand, c)
    train_gram = gram[None] - gram_w
    train_gram[:, null, null] = 1.0
    c1, c2 = solve(train_gram, xy[None] - xy_w)  # (fold, n_cand, c)
    ga = gram_w[:, a_idx, a_idx][..., None]
    gb = gram_w[:, a_idx, b_idx][..., None]
    gd = gram_w[:, b_idx, b_idx][..., None]
    held = (
        yy_w[:, None, :]
        - 2.0 * (c1 * xy_w[:, a_idx, :] + c2 * xy_w[:, b_idx, :])
        + c1 * c1 * ga
        + 2.0 * c1 * c2 * gb
        + c2 * c2 * gd
    ).sum(axis=0)
    ok = np.isfinite(held) & (full1 >= 0) & (full2 >= 0)
    ok &= np.isfinite(full1) & np.isfinite(full2)
    held = np.where(ok, held, np.inf)
    base = held[0]  # candidate 0 = (null, null): time of week only
    best = np.argmin(held, axis=0)
    better = held[best, np.arange(c)] < (1.0 - _IMPROVEMENT) * base
    best = np.where(better, best, 0)
    knot = np.concatenate([knots, knots, [np.nan]])
    heat_c = knot[a_idx[best]]
    cool_c = knot[b_idx[best]]
    return heat_c, cool_c


def _solve(
    x: np.ndarray, y: np.ndarray, mask: np.ndarray, group: np.ndarray, n_groups: int
) -> tuple[np.ndarray, np.ndarray]:
    """Least squares of y on group intercepts and x, per channel; returns (coef, intercept)."""
    x_mean, counts = _group_mean(x, mask, group, n_groups)
    y_mean, _ = _group_mean(y, mask, group, n_groups)
    xt = np.where(mask[..., None], x - np.nan_to_num(x_mean)[group], 0.0)
    yt = np.where(mask, y - np.nan_to_num(y_mean)[group], 0.0)
    gram = np.einsum("nci,ncj->cij", xt, xt)
    xy = np.einsum("nci,nc->ci", xt, yt)
    diag = np.einsum("cii->ci", gram)
    scale = np.maximum(diag.max(axis=1, initial=0.0), 1e-12)
    unused = diag <= 1e-9 * scale[:, None]
    gram = gram + np.eye(x.shape[2])[None] * (unused * 1.0 + 1e-10 * scale[:, None])[:, None, :]
    coef = np.linalg.solve(gram, xy[..., None])[..., 0]
    coef = np.where(unused, 0.0, coef)
    intercept = y_mean - np.einsum("gci,ci->gc", np.nan_to_num(x_mean), coef)
    intercept = np.where(counts > 0, intercept, np.nan)
    return coef, intercept


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
    cv, nmbe, n_par = nan_c.copy(), nan_c.copy(), np.zeros(c, dtype=np.int64)
    if fit.any():
        cols = np.flatnonzero(fit)
        y, mask = load[:, cols], usable[:, cols]
        h, k = _search_change_points(y, mask, temp, group, n_groups)
        heat_c[cols], cool_c[cols] = h, k
        occ = occupancy[baseline.slot][:, cols]
        x = _features(temp, occ, h, k)
        x = np.where(has_temp[:, None, None], x, 0.0)
        for _ in range(2):  # fit, then refit without outliers
            b, a = _solve(x, y, mask, group, n_groups)
            for _ in range(2):  # a slope must not reverse: drop the interaction, then the term
                occupied = b[:, :2] + b[:, 2:]
                reversed_ = (occupied < -1e-12) | (b[:, :2] < -1e-12)
                if not reversed_.any():
                    break
                drop = np.zeros((cols.size, 4), dtype=bool)
                drop[:, 2:] = reversed_
                drop[:, :2] = reversed_ & (b[:, 2:] == 0)
                x = np.where(drop[None, :, :], 0.0, x)
                b, a = _solve(x, y, mask, group, n_groups)
            pred = a[group, np.arange(cols.size)[None, :]] + np.einsum("nci,ci->nc", x, b)
            resid = np.where(mask, y - pred, np.nan)
            centre = np.nan_to_num(column_median(resid))
            sigma = 1.4826 * np.nan_to_num(column_median(np.abs(resid - centre)))
            with np.errstate(invalid="ignore"):
                far = np.abs(resid - centre) > _OUTLIER_SIGMAS * np.maximum(sigma, 1e-9)
            mask = mask & ~far
        coef[cols], intercept[:, cols] = b, a
        used_groups = (
            np.bincount(
                (group[:, None] * cols.size + np.arange(cols.size)).ravel(),
                weights=usable[:, cols].ravel(),
                minlength=n_groups * cols.size,
            ).reshape(n_groups, cols.size)
            > 0
        ).sum(axis=0)
        active = (np.abs(b) > 0).sum(axis=1)
        n_par[cols] = used_groups + active
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
        occupancy=occupancy,
        level_counts=level_counts,
        min_samples=t.min_samples,
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
    pred = model.intercept[group] + np.einsum("nci,ci->nc", x, model.coef)
    fitted = np.isin(model.status, ("calibrated", "not_calibrated"))
    return np.where(fitted[None, :] & np.isfinite(temp)[:, None], pred, np.nan)


def residual_stats(model: TowtModel, baseline: Grid, residual: np.ndarray) -> dict[str, np.ndarray]:
    """Spread of the baseline residuals per time-of-week group, widened to out-of-sample.

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
        ``p5``, ``q1``, ``median``, ``q3``, ``p95``, ``mad`` and ``n``, each
        ``(n_groups, n_channels)`` [kW].
    """
    group = _groups(baseline, model.level_counts, model.min_samples)
    n_groups = _n_groups(baseline)
    ok = np.isfinite(residual)
    _, counts = _group_mean(np.nan_to_num(residual), ok, group, n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        widen = np.sqrt((1.0 + 1.0 / counts) / (1.0 - 1.0 / counts))
    widened = residual * np.where(counts > 1, widen, np.nan)[group, np.arange(residual.shape[1])]
    q = (5.0, 25.0, 50.0, 75.0, 95.0)
    quant, n = grouped_quantiles(widened, group, n_groups, q)
    deviation = np.abs(widened - quant[2][group, np.arange(residual.shape[1])])
    mad, _ = grouped_quantiles(deviation, group, n_groups, (50.0,))
    out = dict(zip(("p5", "q1", "median", "q3", "p95"), quant, strict=True))
    out["mad"] = 1.4826 * mad[0]
    out["n"] = n
    return out


def _combine(
    stats: SlotStats,
    predicted: np.ndarray,
    spread: dict[str, np.ndarray],
    group: np.ndarray,
    use: np.ndarray,
) -> SlotStats:
    """Model statistics where the model applies, the profile's elsewhere."""
    cols = np.arange(predicted.shape[1])[None, :]
    ok = use[None, :] & np.isfinite(predicted) & np.isfinite(spread["median"][group, cols])
    out = {}
    for name in ("p5", "q1", "median", "q3", "p95"):
        out[name] = np.where(ok, predicted + spread[name][group, cols], getattr(stats, name))
    out["mad"] = np.where(ok, spread["mad"][group, cols], stats.mad)
    out["n"] = np.where(ok, spread["n"][group, cols], stats.n)
    out["level"] = np.where(ok, len(LEVELS), stats.level)
    return SlotStats(**out)


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
        interval's time-of-week group, ``mad`` of the residuals, ``level = len(LEVELS)``, for
        calibrated channels with a known temperature; the profile's statistics elsewhere.
    """
    use = model.calibrated
    if not use.any():
        return stats, baseline_stats
    pred_b = predict_towt(model, baseline, baseline_temperature_c)
    spread = residual_stats(model, baseline, baseline.load_kw - pred_b)
    pred_r = predict_towt(model, grid, temperature_c)
    g_b = _groups(baseline, model.level_counts, model.min_samples)
    g_r = _groups(grid, model.level_counts, model.min_samples)
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
        Per channel [%].
    """
    load = baseline.load_kw
    group = _groups(baseline, model.level_counts, model.min_samples)
    _, counts = _group_mean(np.nan_to_num(load), np.isfinite(load), group, _n_groups(baseline))
    return g14_statistics(
        load, own.median, per_hour=baseline.per_hour, n_parameters=(counts > 0).sum(axis=0)
    )


def model_table(models: list[TowtModel], profile_fit: dict[int, tuple[np.ndarray, np.ndarray]]):
    """One row per channel: which baseline is used and its Guideline 14 statistics.

    Parameters
    ----------
    models : list of TowtModel
        One per resolution.
    profile_fit : dict
        Per resolution ``(cv_rmse_pct, nmbe_pct)`` of the profile (its slot medians as the
        prediction), reported where the model is not used.

    Returns
    -------
    pandas.DataFrame
        ``channel_id``, ``baseline_model`` (``"towt"`` or ``"profile"``), ``model_status``,
        ``cv_rmse_pct`` and ``nmbe_pct`` of the baseline used [%], ``towt_cv_rmse_pct`` and
        ``towt_nmbe_pct`` of the fitted model (NaN when none was fitted) [%],
        ``heating_balance_c``, ``cooling_balance_c`` [°C].
    """
    frames = []
    for m in models:  # one or two resolutions
        p_cv, p_nmbe = profile_fit[m.resolution_s]
        use = m.calibrated
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
                **{
                    c: pd.Series(dtype=float)
                    for c in (
                        "cv_rmse_pct",
                        "nmbe_pct",
                        "towt_cv_rmse_pct",
                        "towt_nmbe_pct",
                        "heating_balance_c",
                        "cooling_balance_c",
                    )
                },
            }
        )
    return pd.concat(frames, ignore_index=True)
