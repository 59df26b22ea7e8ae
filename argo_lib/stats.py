"""Vectorised statistics with the conventions of the analytics spec (A2).

- Percentiles interpolate linearly between closest ranks (numpy's default, Excel
  ``PERCENTILE.INC``); NaN values are ignored; empty or all-NaN input gives NaN.
- Standard deviation is the population one (``ddof=0``).
- Tukey outliers lie strictly outside ``[Q1 - k·IQR, Q3 + k·IQR]``.
- A z-score is 0 where the standard deviation is 0.
- Gaps are consecutive timestamps more than 1.1 × the resolution apart.

Nothing here warns on empty or all-NaN input (the test suite turns warnings into errors): the
functions check for it and return NaN, empty arrays or empty frames instead.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from argo_lib.dates import Period, ensure_aware

__all__ = [
    "GAP_TOLERANCE",
    "MAD_SCALE",
    "MedianMad",
    "completeness_pct",
    "find_gaps",
    "iqr",
    "median_mad",
    "nonzero_percentile",
    "percentile",
    "population_std",
    "robust_zscore",
    "run_lengths",
    "runs_of_equal",
    "tukey_fences",
    "tukey_outliers",
    "zscore",
]

MAD_SCALE = 1.4826
"""Scale making the MAD a consistent estimator of the standard deviation for normal data."""

GAP_TOLERANCE = 1.1
"""Consecutive timestamps more than this many resolutions apart form a gap (spec A2)."""

_RUN_COLUMNS = ("start", "stop", "length")
_TIME_COLUMNS = ("start_time", "end_time", "duration_h")


class MedianMad(NamedTuple):
    """Robust location and scale of a sample."""

    median: float
    """Median of the non-NaN values."""
    mad: float
    """Median absolute deviation from the median, times the scale used."""


# --------------------------------------------------------------------------------------------
# Input handling


def _as_float(values: Any) -> np.ndarray:
    """Return a 1-D float array (pandas NA becomes NaN)."""
    if isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        array = pd.Series(values).to_numpy(dtype=float, na_value=np.nan)
    else:
        try:
            array = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"values must be numeric (NaN for missing), got {type(values).__name__}: {exc}"
            ) from exc
    if array.ndim > 1:
        raise ValueError(
            f"values must be one-dimensional, got shape {array.shape}; pass one column, "
            "or use DataFrame.groupby(...).quantile for several groups"
        )
    return array.reshape(-1)


def _finite_sample(values: Any) -> np.ndarray:
    """Return the non-NaN values."""
    array = _as_float(values)
    return array[~np.isnan(array)]


def _as_bool(mask: Any) -> np.ndarray:
    """Return a 1-D bool array; pandas NA counts as False."""
    if isinstance(mask, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        return pd.Series(mask).fillna(False).to_numpy(dtype=bool).reshape(-1)
    array = np.asarray(mask)
    if array.dtype != bool and array.size:
        if not np.issubdtype(array.dtype, np.number):
            raise ValueError(f"mask must be boolean, got dtype {array.dtype}")
        array = np.nan_to_num(array.astype(float), nan=0.0) != 0
    return array.astype(bool).reshape(-1)


def _check_q(q: Any) -> np.ndarray:
    q_array = np.asarray(q, dtype=float)
    if np.any(np.isnan(q_array)) or np.any((q_array < 0) | (q_array > 100)):
        raise ValueError(f"q must be a percentile between 0 and 100 (e.g. 95), got {q!r}")
    return q_array


# --------------------------------------------------------------------------------------------
# Location, spread, outliers


def percentile(values: Any, q: float | Any) -> float | np.ndarray:
    """Percentile with linear interpolation between closest ranks, ignoring NaN.

    Parameters
    ----------
    values : array-like of float
        Sample; NaN values are ignored.
    q : float or array-like of float
        Percentile(s) [%], 0 to 100.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar ``q``, else an array shaped like ``q``; NaN for an empty or all-NaN
        sample.

    Raises
    ------
    ValueError
        If ``q`` is outside 0–100 or the values are not numeric.

    Examples
    --------
    >>> percentile(range(1, 11), [25, 75]).tolist()
    [3.25, 7.75]
    >>> percentile(range(1, 101), 95)
    95.05
    >>> percentile([], 50)
    nan
    """
    q_array = _check_q(q)
    sample = _finite_sample(values)
    if sample.size == 0:
        result = np.full(q_array.shape, np.nan)
    else:
        result = np.percentile(sample, q_array, method="linear")
    return float(result) if result.ndim == 0 else result


def nonzero_percentile(values: Any, q: float | Any, *, above: float = 0.0) -> float | np.ndarray:
    """Percentile of the values strictly greater than ``above`` (spec A2 "non-zero percentile").

    Parameters
    ----------
    values : array-like of float
        Sample; NaN values are ignored.
    q : float or array-like of float
        Percentile(s) [%], 0 to 100.
    above : float
        Only values ``> above`` count (0 by default; e.g. 0.1 kW for the after-hours base load).

    Returns
    -------
    float or numpy.ndarray
        As :func:`percentile`; NaN when no value exceeds ``above``.

    Raises
    ------
    ValueError
        If ``q`` is outside 0–100.

    Examples
    --------
    >>> nonzero_percentile([0, 0, 0, 5, 10, 15], 50)
    10.0
    >>> nonzero_percentile([0, 0, 0, 10, 20, 30, 40, 50], 5)
    12.0
    """
    sample = _finite_sample(values)
    return percentile(sample[sample > above], q)


def population_std(values: Any) -> float:
    """Return the population standard deviation (``ddof=0``), ignoring NaN.

    Parameters
    ----------
    values : array-like of float
        Sample.

    Returns
    -------
    float
        Standard deviation in the values' unit; NaN for an empty or all-NaN sample, 0 for one
        value.

    Examples
    --------
    >>> population_std([2, 4, 4, 4, 5, 5, 7, 9])
    2.0
    """
    sample = _finite_sample(values)
    return float(np.std(sample)) if sample.size else float("nan")


def iqr(values: Any) -> float:
    """Interquartile range P75 − P25 (linear percentiles, NaN ignored).

    Parameters
    ----------
    values : array-like of float
        Sample.

    Returns
    -------
    float
        IQR in the values' unit; NaN for an empty or all-NaN sample.
    """
    q1, q3 = percentile(values, [25, 75])
    return float(q3 - q1)


def tukey_fences(values: Any, *, k: float = 1.5) -> tuple[float, float]:
    """Tukey fences ``(Q1 − k·IQR, Q3 + k·IQR)``.

    Parameters
    ----------
    values : array-like of float
        Sample; NaN ignored.
    k : float
        Fence multiplier (1.5 for outliers, 3 for far outliers).

    Returns
    -------
    tuple of float
        ``(low, high)`` in the values' unit; ``(nan, nan)`` for an empty sample.

    Raises
    ------
    ValueError
        If ``k`` is negative.
    """
    if not k >= 0:
        raise ValueError(f"k must be a non-negative fence multiplier (e.g. 1.5), got {k!r}")
    q1, q3 = percentile(values, [25, 75])
    spread = q3 - q1
    return float(q1 - k * spread), float(q3 + k * spread)


def tukey_outliers(values: Any, *, k: float = 1.5) -> np.ndarray:
    """Flag values strictly outside the Tukey fences.

    Parameters
    ----------
    values : array-like of float
        Sample; NaN values are never outliers.
    k : float
        Fence multiplier.

    Returns
    -------
    numpy.ndarray of bool
        One flag per value.

    Examples
    --------
    >>> tukey_outliers([1, 2, 3, 4, 5, 100]).tolist()
    [False, False, False, False, False, True]
    """
    array = _as_float(values)
    low, high = tukey_fences(array, k=k)
    with np.errstate(invalid="ignore"):
        return (array < low) | (array > high)


def zscore(values: Any) -> np.ndarray:
    """Return standard scores ``(x − mean) / std`` (population std); 0 where std is 0.

    Parameters
    ----------
    values : array-like of float
        Sample; NaN values stay NaN and are left out of the mean and std.

    Returns
    -------
    numpy.ndarray of float
        One score [-] per value.

    Examples
    --------
    >>> zscore([2, 4, 4, 4, 5, 5, 7, 9]).tolist()
    [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0]
    >>> zscore([3, 3, np.nan]).tolist()
    [0.0, 0.0, nan]
    """
    array = _as_float(values)
    sample = array[~np.isnan(array)]
    if sample.size == 0:
        return np.full(array.shape, np.nan)
    std = float(np.std(sample))
    if std == 0:
        return np.where(np.isnan(array), np.nan, 0.0)
    return (array - float(np.mean(sample))) / std


def median_mad(values: Any, *, scale: float = MAD_SCALE) -> MedianMad:
    """Median and median absolute deviation, ignoring NaN.

    Parameters
    ----------
    values : array-like of float
        Sample.
    scale : float
        Multiplier of the raw MAD: 1.4826 (default) estimates the standard deviation of normal
        data; 1.0 gives the raw MAD.

    Returns
    -------
    MedianMad
        ``(median, mad)`` in the values' unit; NaN for an empty or all-NaN sample.

    Examples
    --------
    >>> median_mad([1, 2, 3, 4, 100], scale=1.0)
    MedianMad(median=3.0, mad=1.0)
    """
    sample = _finite_sample(values)
    if sample.size == 0:
        return MedianMad(float("nan"), float("nan"))
    center = float(np.median(sample))
    return MedianMad(center, float(scale * np.median(np.abs(sample - center))))


def robust_zscore(values: Any, *, scale: float = MAD_SCALE) -> np.ndarray:
    """Robust scores ``(x − median) / (scale · MAD)``; 0 where the MAD is 0.

    Parameters
    ----------
    values : array-like of float
        Sample; NaN values stay NaN.
    scale : float
        MAD multiplier (see :func:`median_mad`).

    Returns
    -------
    numpy.ndarray of float
        One score [-] per value.
    """
    array = _as_float(values)
    center, spread = median_mad(array, scale=scale)
    if np.isnan(center):
        return np.full(array.shape, np.nan)
    if spread == 0:
        return np.where(np.isnan(array), np.nan, 0.0)
    return (array - center) / spread


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
# Runs and gaps


def _check_resolution_s(resolution_s: Any) -> float:
    if isinstance(resolution_s, bool) or not isinstance(resolution_s, int | float | np.number):
        raise ValueError(f"resolution_s must be a positive number of seconds, got {resolution_s!r}")
    if not resolution_s > 0:
        raise ValueError(f"resolution_s must be positive (e.g. 900 or 3600), got {resolution_s!r}")
    return float(resolution_s)


def _sorted_times(timestamps: Any, n: int) -> pd.DatetimeIndex:
    index = ensure_aware(timestamps, name="timestamps")
    if len(index) != n:
        raise ValueError(
            f"timestamps ({len(index)}) and values ({n}) must have the same length; pass the "
            "timestamp column of the same frame"
        )
    if n and not index.is_monotonic_increasing:
        raise ValueError(
            "timestamps must be sorted ascending for run detection; sort the frame with "
            ".sort_values('timestamp') first"
        )
    return index


def _time_breaks(index: pd.DatetimeIndex, resolution_s: float) -> np.ndarray:
    """Flag element i (i ≥ 1) that is more than 1.1 × resolution after element i − 1."""
    step_ns = np.diff(index.as_unit("ns").asi8)
    return step_ns > GAP_TOLERANCE * resolution_s * 1e9


def _runs_from(keep: np.ndarray, joins: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and stop positions of maximal runs of kept elements joined to their predecessor.

    ``keep`` flags the elements that may be in a run; ``joins[i - 1]`` says whether element
    ``i`` continues the run of element ``i - 1``.
    """
    n = keep.size
    if n == 0:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty
    continues = np.zeros(n, dtype=bool)
    continues[1:] = joins & keep[1:] & keep[:-1]
    starts = np.flatnonzero(keep & ~continues)
    ends_here = np.zeros(n, dtype=bool)
    ends_here[:-1] = keep[:-1] & ~continues[1:]
    ends_here[-1] = keep[-1]
    stops = np.flatnonzero(ends_here) + 1
    return starts.astype(np.int64), stops.astype(np.int64)


def _run_frame(
    starts: np.ndarray,
    stops: np.ndarray,
    *,
    index: pd.DatetimeIndex | None,
    resolution_s: float | None,
    extra: dict[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    data: dict[str, Any] = {"start": starts, "stop": stops, "length": stops - starts}
    if extra:
        data.update(extra)
    if index is not None and resolution_s is not None:
        step = pd.Timedelta(seconds=resolution_s)
        if starts.size:
            start_time = index[starts]
            end_time = index[stops - 1] + step
        else:
            start_time = end_time = index[:0]
        data["start_time"] = start_time
        data["end_time"] = end_time
        data["duration_h"] = np.asarray((end_time - start_time) / pd.Timedelta(hours=1), float)
    return pd.DataFrame(data)


def run_lengths(
    mask: Any, *, timestamps: Any = None, resolution_s: float | None = None
) -> pd.DataFrame:
    """Find the runs of consecutive True values.

    Parameters
    ----------
    mask : array-like of bool
        Flags in row order (NA counts as False).
    timestamps : array-like of tz-aware timestamps, optional
        Interval starts of the same rows, sorted ascending. With ``resolution_s``, a run also
        breaks where consecutive timestamps are more than 1.1 × resolution apart, and the
        result gains ``start_time``, ``end_time`` (exclusive: last start + resolution) and
        ``duration_h`` [h].
    resolution_s : float, optional
        Interval length [s]; required with ``timestamps``.

    Returns
    -------
    pandas.DataFrame
        One row per run: ``start`` (position of the first row), ``stop`` (position after the
        last row, so ``mask[start:stop]`` is the run) and ``length`` (rows), all int64.

    Raises
    ------
    ValueError
        If only one of ``timestamps`` and ``resolution_s`` is given, lengths differ, or the
        timestamps are naive or unsorted.

    Examples
    --------
    >>> run_lengths([True, True, False, True]).to_dict("list")
    {'start': [0, 3], 'stop': [2, 4], 'length': [2, 1]}
    """
    flags = _as_bool(mask)
    index, res = _time_args(timestamps, resolution_s, flags.size)
    joins = np.ones(max(flags.size - 1, 0), dtype=bool)
    if index is not None and res is not None:
        joins &= ~_time_breaks(index, res)
    starts, stops = _runs_from(flags, joins)
    return _run_frame(starts, stops, index=index, resolution_s=res)


def _time_args(
    timestamps: Any, resolution_s: Any, n: int
) -> tuple[pd.DatetimeIndex | None, float | None]:
    if timestamps is None and resolution_s is None:
        return None, None
    if timestamps is None or resolution_s is None:
        raise ValueError(
            "pass timestamps and resolution_s together to break runs at gaps in time, "
            "or neither to work by row position"
        )
    return _sorted_times(timestamps, n), _check_resolution_s(resolution_s)


def runs_of_equal(
    values: Any,
    *,
    atol: float = 0.0,
    min_length: int = 2,
    timestamps: Any = None,
    resolution_s: float | None = None,
) -> pd.DataFrame:
    """Find runs of (near-)equal consecutive values, e.g. a stuck sensor repeating a reading.

    Consecutive values join a run when they differ by at most ``atol``. The test is between
    neighbours, so a slow ramp in steps of at most ``atol`` also forms a run: check the
    ``spread`` column (max − min within the run) to reject those. NaN never joins a run.

    Parameters
    ----------
    values : array-like of float
        Values in time order.
    atol : float
        Largest difference between neighbours still counted as equal, in the values' unit.
    min_length : int
        Shortest run reported [rows]; 2 reports every repetition.
    timestamps : array-like of tz-aware timestamps, optional
        Interval starts of the same rows, sorted ascending. With ``resolution_s``, a run breaks
        where consecutive timestamps are more than 1.1 × resolution apart (spec B4: by time,
        not by row), and the result gains ``start_time``, ``end_time`` (exclusive) and
        ``duration_h`` [h].
    resolution_s : float, optional
        Interval length [s]; required with ``timestamps``.

    Returns
    -------
    pandas.DataFrame
        One row per run, every run reported: ``start``, ``stop`` (exclusive), ``length`` (rows),
        ``value`` (first value of the run) and ``spread`` (max − min within the run).

    Raises
    ------
    ValueError
        If ``atol`` is negative, ``min_length`` < 1, or the timestamps are naive, unsorted or of
        another length.

    Examples
    --------
    >>> runs = runs_of_equal([1.0, 5.0, 5.0, 5.0, 2.0, 2.0])
    >>> runs[["start", "stop", "length", "value"]].to_dict("list")
    {'start': [1, 4], 'stop': [4, 6], 'length': [3, 2], 'value': [5.0, 2.0]}
    """
    if not atol >= 0:
        raise ValueError(f"atol must be >= 0 (e.g. 1e-6 kW), got {atol!r}")
    if isinstance(min_length, bool) or not isinstance(min_length, int) or min_length < 1:
        raise ValueError(f"min_length must be a positive integer (rows), got {min_length!r}")
    array = _as_float(values)
    index, res = _time_args(timestamps, resolution_s, array.size)
    keep = ~np.isnan(array)
    with np.errstate(invalid="ignore"):
        joins = np.abs(np.diff(array)) <= atol
    if index is not None and res is not None:
        joins &= ~_time_breaks(index, res)
    starts, stops = _runs_from(keep, joins)
    long_enough = (stops - starts) >= min_length
    starts, stops = starts[long_enough], stops[long_enough]
    if starts.size:
        # reduce over each [start, stop) block: interleave the bounds and keep the even blocks;
        # one padding element keeps a stop equal to len(array) a valid reduceat index
        bounds = np.empty(2 * starts.size, dtype=np.int64)
        bounds[0::2], bounds[1::2] = starts, stops
        padded = np.append(array, 0.0)
        high = np.maximum.reduceat(padded, bounds)[0::2]
        low = np.minimum.reduceat(padded, bounds)[0::2]
        spread, first = high - low, array[starts]
    else:
        spread = first = np.empty(0, dtype=float)
    return _run_frame(
        starts, stops, index=index, resolution_s=res, extra={"value": first, "spread": spread}
    )


def find_gaps(
    timestamps: Any, *, resolution_s: float, period: Period | None = None
) -> pd.DataFrame:
    """Find gaps in a channel's timestamps, including leading and trailing gaps of a period.

    A gap is two consecutive distinct timestamps more than 1.1 × resolution apart; it misses
    ``round(Δ / resolution) − 1`` intervals (hourly 01:00 → 04:00 misses 2). With a period,
    readings outside it are ignored, and the period's start and end act as neighbours: a first
    reading after ``start`` leaves a leading gap, a last reading before ``end − resolution`` a
    trailing gap, and no reading at all one gap over the whole period. Duplicate timestamps are
    ignored and the order of the input does not matter.

    Parameters
    ----------
    timestamps : array-like of tz-aware timestamps
        Interval starts of one channel.
    resolution_s : float
        Interval length [s].
    period : Period, optional
        Half-open report period ``[start, end)`` whose expected intervals should be present.

    Returns
    -------
    pandas.DataFrame
        One row per gap: ``gap_start`` (start of the first missing interval), ``gap_end``
        (start of the next reading or the period end, exclusive) and ``missing_intervals``
        (int64). Times are in the zone of the timestamps (the period's zone without any).

    Raises
    ------
    ValueError
        On naive timestamps or a non-positive resolution.

    Examples
    --------
    >>> ts = pd.DatetimeIndex(["2026-11-16 01:00", "2026-11-16 04:00"], tz="UTC")
    >>> find_gaps(ts, resolution_s=3600).to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'gap_start': [Timestamp('2026-11-16 02:00:00+0000', tz='UTC')],
     'gap_end': [Timestamp('2026-11-16 04:00:00+0000', tz='UTC')],
     'missing_intervals': [2]}
    """
    res = _check_resolution_s(resolution_s)
    index = ensure_aware(timestamps, name="timestamps")
    if len(index) == 0 and period is not None:
        index = index.tz_convert(period.tz)
    zone = index.tz
    index = index.dropna()
    if period is not None:
        index = index[period.contains(index)]
    times = np.sort(index.as_unit("ns").asi8)
    if times.size:
        times = times[np.concatenate([[True], times[1:] != times[:-1]])]  # drop duplicates
    res_ns = round(res * 1e9)
    if period is not None:
        # the period bounds act as neighbours: a virtual reading one interval before the start
        # (so a first reading at start is no gap) and one at the end (so one at end - res is none)
        start_ns = period.start.as_unit("ns").value
        end_ns = period.end.as_unit("ns").value
        times = np.concatenate([[start_ns - res_ns], times, [end_ns]]).astype(np.int64)
    if times.size < 2:
        empty = np.empty(0, dtype=np.int64)
        return _gap_frame(empty, empty, empty, zone)
    step = np.diff(times)
    is_gap = step > GAP_TOLERANCE * res_ns
    gap_start = times[:-1][is_gap] + res_ns
    gap_end = times[1:][is_gap]
    missing = np.rint(step[is_gap] / res_ns).astype(np.int64) - 1
    return _gap_frame(gap_start, gap_end, missing, zone)


def _gap_frame(
    gap_start: np.ndarray, gap_end: np.ndarray, missing: np.ndarray, zone: Any
) -> pd.DataFrame:
    def to_index(values: np.ndarray) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(values.astype("datetime64[ns]")).tz_localize("UTC").tz_convert(zone)

    return pd.DataFrame(
        {
            "gap_start": to_index(gap_start),
            "gap_end": to_index(gap_end),
            "missing_intervals": missing.astype(np.int64),
        }
    )
