"""The analytics' numeric toolbox: robust statistics and runs over (interval × channel) arrays.

Every analytic works on dense arrays of one row per interval and one column per channel
(:class:`argo_lib.analytics.grid.Grid`), NaN where a reading is missing. The operations they
share live here, vectorised over all channels at once, so each is written and tested once:

- robust centre and spread: :func:`column_median`, :func:`robust_sigma` (MAD × :data:`MAD_SCALE`);
- percentiles within row groups (time-of-week slots): :func:`grouped_quantiles`, built on
  :func:`group_cube` and :func:`sorted_quantile`, with spec A2's linear interpolation;
- runs of flagged intervals: :func:`runs_2d`, :func:`reduce_runs`;
- sums by group: :func:`group_sum`; data completeness: :func:`completeness_pct`.

Nothing here knows about energy, time zones or the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple, overload

import numpy as np

__all__ = [
    "MAD_SCALE",
    "Runs",
    "column_median",
    "completeness_pct",
    "group_cube",
    "group_sum",
    "grouped_quantiles",
    "reduce_runs",
    "robust_sigma",
    "runs_2d",
    "sorted_quantile",
]

MAD_SCALE = 1.4826
"""Median absolute deviation × 1.4826 estimates the standard deviation of normal data."""


# --------------------------------------------------------------------------------------------
# Robust centre and spread


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


def robust_sigma(values: np.ndarray) -> np.ndarray:
    """Robust standard deviation of each column: :data:`MAD_SCALE` × median absolute deviation.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_rows, n_cols)
        Values; NaN is missing.

    Returns
    -------
    numpy.ndarray, shape (n_cols,)
        NaN for a column without values. One outlier in many values barely moves it.

    Examples
    --------
    >>> robust_sigma(np.array([[1.0], [2.0], [3.0], [4.0], [100.0]])).round(4).tolist()
    [1.4826]
    """
    centre = column_median(values)
    return MAD_SCALE * column_median(np.abs(np.asarray(values, dtype=float) - centre[None, :]))


@overload
def completeness_pct(actual: float, expected: float) -> float: ...
@overload
def completeness_pct(actual: np.ndarray | Sequence[float], expected: Any) -> np.ndarray: ...
@overload
def completeness_pct(actual: Any, expected: np.ndarray | Sequence[float]) -> np.ndarray: ...
@overload
def completeness_pct(actual: Any, expected: Any) -> float | np.ndarray: ...
def completeness_pct(actual: Any, expected: Any) -> float | np.ndarray:
    """Completeness ``actual / expected × 100`` [%], 0 where nothing is expected.

    Parameters
    ----------
    actual : int or array-like of int
        Readings present (count distinct timestamps, so duplicates do not inflate it).
    expected : int or array-like of int
        Readings expected, e.g. ``len(dates.expected_index(period, resolution_s=900))``.

    Returns
    -------
    float or numpy.ndarray
        Completeness [%] (a float for scalar input); not clipped, so more readings than expected
        show above 100. Divide by 100 for the glossary's ``coverage`` [-].

    Examples
    --------
    >>> completeness_pct(84, 168)
    50.0
    >>> completeness_pct([0, 5], [0, 10]).tolist()
    [0.0, 50.0]
    """
    actual_array = np.asarray(actual, dtype=float)
    expected_array = np.asarray(expected, dtype=float)
    safe = np.where(expected_array > 0, expected_array, 1.0)
    result = np.where(expected_array > 0, actual_array / safe * 100.0, 0.0)
    return float(result) if result.ndim == 0 else result


# --------------------------------------------------------------------------------------------
# Percentiles within groups of rows


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
    cube = group_cube(values, groups, n_groups)
    counts = np.sum(~np.isnan(cube), axis=-1)
    out = np.full((len(q), n_groups, n_cols), np.nan)
    if cube.shape[-1] == 0:
        return out, counts
    cube.sort(axis=-1)  # NaN sorts last
    for i, pct in enumerate(q):
        out[i] = sorted_quantile(cube, counts, pct)
    return out, counts


def group_cube(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Rows regrouped as (group, column, position in group), NaN-padded.

    The position is the last axis, so sorting and gathering along it run over contiguous memory.

    Examples
    --------
    >>> group_cube(np.array([[1.0], [2.0], [3.0]]), np.array([1, 0, 1]), 2)[:, 0].tolist()
    [[2.0, nan], [1.0, 3.0]]
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


def sorted_quantile(cube: np.ndarray, counts: np.ndarray, pct: float) -> np.ndarray:
    """Linear-interpolation percentile along the last axis of a NaN-last sorted cube.

    Parameters
    ----------
    cube : numpy.ndarray
        Values sorted along the last axis, NaN last (e.g. a sorted :func:`group_cube`).
    counts : numpy.ndarray of int
        Non-NaN values along the last axis (the cube's shape without it).
    pct : float
        Percentile in [0, 100].

    Returns
    -------
    numpy.ndarray
        The percentile, NaN where ``counts`` is 0.
    """
    pos = np.clip((counts - 1) * (pct / 100.0), 0, None)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, max(cube.shape[-1] - 1, 0))
    frac = pos - lo
    v_lo = np.take_along_axis(cube, lo[..., None], axis=-1)[..., 0]
    v_hi = np.take_along_axis(cube, hi[..., None], axis=-1)[..., 0]
    result = v_lo + np.where(frac > 0, (v_hi - v_lo) * frac, 0.0)
    return np.where(counts > 0, result, np.nan)


# --------------------------------------------------------------------------------------------
# Runs and sums


class Runs(NamedTuple):
    """Runs of True down the columns of a 2-D mask (arrays of equal length)."""

    col: np.ndarray
    """Column of each run."""
    start: np.ndarray
    """First row of each run."""
    stop: np.ndarray
    """Row after the last row of each run."""

    @property
    def length(self) -> np.ndarray:
        """Rows per run."""
        return self.stop - self.start

    def select(self, keep: np.ndarray) -> Runs:
        """Return the runs where ``keep`` is True."""
        return Runs(self.col[keep], self.start[keep], self.stop[keep])


def runs_2d(mask: np.ndarray, *, max_gap: int = 0) -> Runs:
    """Find runs of True down each column of a 2-D mask.

    Parameters
    ----------
    mask : numpy.ndarray of bool, shape (n_rows, n_cols)
        Flags per interval (rows, in time order) and channel (columns).
    max_gap : int
        Runs of the same column separated by at most this many False rows are merged [rows].

    Returns
    -------
    Runs
        ``col``, ``start`` (first row), ``stop`` (row after the last), sorted by column then
        start.

    Examples
    --------
    >>> m = np.array([[1, 0], [1, 1], [0, 1], [1, 0]], dtype=bool)
    >>> runs = runs_2d(m)
    >>> runs.col.tolist(), runs.start.tolist(), runs.stop.tolist()
    ([0, 0, 1], [0, 3, 1], [2, 4, 3])
    >>> runs_2d(m, max_gap=1).length.tolist()
    [4, 2]
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.ndim != 2:
        raise ValueError(f"mask must be 2-D (intervals x channels), got shape {mask.shape}")
    n_rows, n_cols = mask.shape
    padded = np.zeros((n_cols, n_rows + 2), dtype=np.int8)
    padded[:, 1:-1] = mask.T
    edges = np.diff(padded, axis=1)
    col, start = np.nonzero(edges == 1)
    _, stop = np.nonzero(edges == -1)
    if max_gap > 0 and start.size > 1:
        join = (start[1:] - stop[:-1] <= max_gap) & (col[1:] == col[:-1])
        keep_start = np.concatenate([[True], ~join])
        keep_stop = np.concatenate([~join, [True]])
        col, start, stop = col[keep_start], start[keep_start], stop[keep_stop]
    return Runs(col.astype(np.int64), start.astype(np.int64), stop.astype(np.int64))


def reduce_runs(
    values: np.ndarray, runs: Runs, how: str, *, where: np.ndarray | None = None
) -> np.ndarray:
    """Reduce the values of each run: ``"sum"``, ``"max"`` or ``"min"``, NaN ignored.

    Parameters
    ----------
    values : numpy.ndarray, shape (n_rows, n_cols)
        Values per interval and channel.
    runs : Runs
        Runs over the same array.
    how : {"sum", "max", "min"}
        Reduction.
    where : numpy.ndarray of bool, optional
        Only these cells count (default: all finite cells).

    Returns
    -------
    numpy.ndarray
        One value per run; a run without counted cells gives 0 (sum) or NaN (max/min).

    Examples
    --------
    >>> v = np.array([[1.0], [5.0], [2.0]])
    >>> runs = runs_2d(np.ones((3, 1), dtype=bool))
    >>> reduce_runs(v, runs, "sum").tolist(), reduce_runs(v, runs, "max").tolist()
    ([8.0], [5.0])
    """
    if runs.col.size == 0:
        return np.empty(0)
    ok = np.isfinite(values) if where is None else (where & np.isfinite(values))
    if how == "sum":
        filled = np.where(ok, values, 0.0)
        cum = np.vstack([np.zeros((1, values.shape[1])), np.cumsum(filled, axis=0)])
        return cum[runs.stop, runs.col] - cum[runs.start, runs.col]
    if how not in ("max", "min"):
        raise ValueError(f"how must be 'sum', 'max' or 'min', got {how!r}")
    sign = -1.0 if how == "min" else 1.0
    masked = np.where(ok, sign * values, -np.inf)
    n_rows = values.shape[0]
    flat = np.append(masked.T.reshape(-1), -np.inf)
    bounds = np.empty(2 * runs.col.size, dtype=np.int64)
    bounds[0::2] = runs.col * n_rows + runs.start
    bounds[1::2] = runs.col * n_rows + runs.stop
    out = sign * np.maximum.reduceat(flat, bounds)[0::2]
    return np.where(np.isinf(out), np.nan, out)


def group_sum(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Sum the rows of a 2-D array by group (NaN counts as 0).

    Parameters
    ----------
    values : numpy.ndarray, shape (n_rows, n_cols)
        Values (bool or numbers).
    groups : numpy.ndarray of int, shape (n_rows,)
        Group of each row, in ``[0, n_groups)``.
    n_groups : int
        Number of groups.

    Returns
    -------
    numpy.ndarray, shape (n_groups, n_cols)
        Sums per group and column.

    Examples
    --------
    >>> group_sum(np.array([[1.0, 2.0], [3.0, np.nan], [5.0, 6.0]]), np.array([0, 0, 1]), 2)
    array([[4., 2.],
           [5., 6.]])
    """
    values = np.asarray(values, dtype=float)
    n_cols = values.shape[1]
    flat = (np.asarray(groups, dtype=np.int64)[:, None] * n_cols + np.arange(n_cols)).ravel()
    sums = np.bincount(flat, weights=np.nan_to_num(values).ravel(), minlength=n_groups * n_cols)
    return sums.reshape(n_groups, n_cols)
