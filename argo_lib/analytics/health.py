"""Sensor and communications health of the report week (spec A3, fixed as B2–B4, plus C).

Checks, each an issue ``type``:

- ``no_data``: a channel without a single reading in the week (never silently dropped, B3).
- ``missing_data``: a run of missing intervals (leading gaps included, B3; a trailing run counts
  as a gap while it is not longer than the stale limit).
- ``stale_data``: the channel stopped reporting before the period end; measured against the
  **end of the report period** (B2), so reporting a past week does not make every channel stale.
- ``low_completeness``: present / expected intervals from the channel's resolution over the
  whole period (B3).
- ``stuck_sensor``: a run of (near-)identical non-zero values over time, every run (B4).
- ``zero_run``: a run of zero readings where the baseline shows load.
- ``negative_values``, ``implausible_values``: power (or energy) below zero or above the channel's
  plausible maximum.
- ``energy_power_mismatch``: ``|E - P * dt|`` beyond both tolerances.
- ``duplicate_timestamps``, ``out_of_order_timestamps``, ``irregular_interval``: problems of the
  raw readings (repeated rows, rows out of time order, timestamps off the channel's grid).

Severities and limits come from :class:`argo_lib.thresholds.HealthThresholds`, so they can be set
per site.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics.baseline import SlotStats
from argo_lib.analytics.grid import Grid
from argo_lib.stats import completeness_pct, reduce_runs, runs_2d
from argo_lib.thresholds import HealthThresholds

__all__ = [
    "ISSUE_COLUMNS",
    "ISSUE_TYPES",
    "QUALITY_COLUMNS",
    "channel_quality",
    "check_health",
    "empty_issues",
    "without_suspect",
]

ISSUE_TYPES = (
    "no_data",
    "missing_data",
    "stale_data",
    "low_completeness",
    "stuck_sensor",
    "zero_run",
    "negative_values",
    "implausible_values",
    "energy_power_mismatch",
    "duplicate_timestamps",
    "out_of_order_timestamps",
    "irregular_interval",
)
"""Every issue type, in the order the brief lists them."""

SUSPECT_TYPES = (
    "stuck_sensor",
    "zero_run",
    "negative_values",
    "implausible_values",
    "energy_power_mismatch",
)
"""Issue types whose intervals the consumption analytics leave out."""

ISSUE_COLUMNS = (
    "type",
    "severity",
    "channel_id",
    "channel_name",
    "start",
    "end",
    "intervals",
    "value",
    "unit",
    "description",
)
"""Columns of the issues frame; ``start``/``end`` are UTC (end exclusive), ``value`` in ``unit``."""

QUALITY_COLUMNS = (
    "channel_id",
    "channel_name",
    "resolution_s",
    "expected",
    "actual",
    "completeness_pct",
    "first_reading",
    "last_reading",
    "stale_hours",
)
"""Columns of the per-channel data-quality frame."""

_HOURS_EPS = 1e-9
_NS_PER_HOUR = 3_600_000_000_000


def empty_issues() -> pd.DataFrame:
    """Return an issues frame with no rows and the right dtypes."""
    return _empty_issues_prototype().copy()


@functools.cache
def _empty_issues_prototype() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "type": pd.Series(dtype=object),
            "severity": pd.Series(dtype=object),
            "channel_id": pd.Series(dtype=np.int64),
            "channel_name": pd.Series(dtype=object),
            "start": pd.Series(dtype="datetime64[ns, UTC]"),
            "end": pd.Series(dtype="datetime64[ns, UTC]"),
            "intervals": pd.Series(dtype=np.int64),
            "value": pd.Series(dtype=float),
            "unit": pd.Series(dtype=object),
            "description": pd.Series(dtype=object),
        }
    )


class _Issues:
    """Collects issues as column arrays; one DataFrame is built at the end."""

    def __init__(self) -> None:
        self.parts: list[dict[str, np.ndarray]] = []

    def add(
        self,
        kind: str,
        severity: Any,
        channel_ids: Any,
        start: Any,
        end: Any,
        intervals: Any,
        value: Any,
        unit: str,
    ) -> None:
        channel_ids = np.asarray(channel_ids, dtype=np.int64).reshape(-1)
        n = channel_ids.size
        if n == 0:
            return
        self.parts.append(
            {
                "type": np.full(n, kind, dtype=object),
                "severity": np.broadcast_to(np.asarray(severity, dtype=object), (n,)),
                "channel_id": channel_ids,
                "start": _ns(start, n),
                "end": _ns(end, n),
                "intervals": np.broadcast_to(np.asarray(intervals, dtype=np.int64), (n,)),
                "value": np.broadcast_to(np.asarray(value, dtype=float), (n,)),
                "unit": np.full(n, unit, dtype=object),
            }
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return empty_issues()
        data: dict[str, np.ndarray | pd.DatetimeIndex] = {
            key: np.concatenate([p[key] for p in self.parts]) for key in self.parts[0]
        }
        for key in ("start", "end"):
            data[key] = pd.DatetimeIndex(data[key].astype("datetime64[ns]"), tz="UTC")
        return pd.DataFrame(data)


def _ns(times: Any, n: int) -> np.ndarray:
    """Int64 UTC nanoseconds of a timestamp or of timestamps, broadcast to ``n``."""
    if isinstance(times, pd.Timestamp):
        return np.full(n, times.as_unit("ns").value, dtype=np.int64)
    if isinstance(times, np.ndarray) and times.dtype == np.int64:
        return times
    return pd.DatetimeIndex(times).as_unit("ns").asi8.astype(np.int64)


def _add_runs(
    issues: _Issues,
    grid: Grid,
    mask: np.ndarray,
    kind: str,
    severity: str,
    *,
    values: np.ndarray,
    reduce: str,
    unit: str = "kW",
    max_gap: int = 0,
) -> None:
    """One issue per run of True in ``mask``."""
    runs = runs_2d(mask, max_gap=max_gap)
    issues.add(
        kind,
        severity,
        grid.channel_ids[runs.col],
        grid.times_ns(runs.start),
        grid.times_ns(runs.stop),
        runs.length,
        reduce_runs(values, runs, reduce, where=mask),
        unit,
    )


def _grid_issues(
    issues: _Issues,
    grid: Grid,
    *,
    expected: SlotStats | None,
    max_kw: np.ndarray,
    thresholds: HealthThresholds,
) -> None:
    t = thresholds
    load = grid.load_kw
    present = np.isfinite(load)
    n_t = load.shape[0]
    if n_t == 0:
        return
    actual = present.sum(axis=0)
    ids = grid.channel_ids
    period = grid.period
    end_time = period.end

    silent = actual == 0
    issues.add(
        "no_data", t.no_data_severity, ids[silent], period.start, end_time, n_t, 0.0, "intervals"
    )
    # gaps: runs of missing intervals; a trailing run longer than the stale limit is stale data
    gaps = runs_2d(~present)
    gaps = gaps.select(~silent[gaps.col])
    tail_hours = (end_time.value - grid.times_ns(gaps.start)) / _NS_PER_HOUR
    stale_tail = (gaps.stop == n_t) & (tail_hours > t.stale_hours + _HOURS_EPS)
    inner = gaps.select(~stale_tail & (gaps.length >= t.gap_min_missing))
    length = inner.length
    issues.add(
        "missing_data",
        np.where(length > t.gap_high_missing, t.missing_severity_high, t.missing_severity_low),
        ids[inner.col],
        grid.times_ns(inner.start),
        grid.times_ns(inner.stop),
        length,
        length,
        "intervals",
    )
    # stale: time from the end of the last reading to the end of the period (B2)
    tail = gaps.select(stale_tail)
    last_end = grid.times_ns(tail.start)
    hours = tail_hours[stale_tail]
    issues.add(
        "stale_data",
        np.where(hours > t.stale_high_hours, t.stale_severity_high, t.stale_severity_low),
        ids[tail.col],
        last_end,
        end_time,
        tail.length,
        hours,
        "h",
    )
    # completeness over the whole period (B3)
    completeness = completeness_pct(actual, n_t)
    low = (completeness < t.completeness_min_pct) & ~silent
    issues.add(
        "low_completeness",
        np.where(
            completeness[low] < t.completeness_high_pct,
            t.completeness_severity_high,
            t.completeness_severity_low,
        ),
        ids[low],
        period.start,
        end_time,
        n_t - actual[low],
        completeness[low],
        "%",
    )
    # stuck: consecutive present values within atol, away from zero, by time (B4)
    with np.errstate(invalid="ignore"):
        same = np.abs(np.diff(load, axis=0)) <= t.stuck_atol_kw
        nonzero = np.abs(load) > t.stuck_min_abs_kw
    pair = same & nonzero[1:] & nonzero[:-1]
    runs = runs_2d(pair)
    rows = runs.length + 1  # k equal steps join k + 1 readings
    runs = runs.select(rows * grid.dt_h >= t.stuck_min_hours - _HOURS_EPS)
    stop = runs.stop + 1
    issues.add(
        "stuck_sensor",
        t.stuck_severity,
        ids[runs.col],
        grid.times_ns(runs.start),
        grid.times_ns(stop),
        stop - runs.start,
        load[runs.start, runs.col],
        "kW",
    )
    # zero runs where the baseline shows load
    if expected is not None:
        with np.errstate(invalid="ignore"):
            zero = present & (np.abs(load) <= t.stuck_min_abs_kw)
        runs = runs_2d(zero)
        runs = runs.select(runs.length * grid.dt_h >= t.zero_run_min_hours - _HOURS_EPS)
        median = np.nan_to_num(expected.median, nan=0.0)
        cum = np.vstack([np.zeros((1, median.shape[1])), np.cumsum(median, axis=0)])
        mean_expected = (cum[runs.stop, runs.col] - cum[runs.start, runs.col]) / np.maximum(
            runs.length, 1
        )
        loaded = mean_expected >= t.zero_run_baseline_min_kw
        runs = runs.select(loaded)
        issues.add(
            "zero_run",
            t.zero_run_severity,
            ids[runs.col],
            grid.times_ns(runs.start),
            grid.times_ns(runs.stop),
            runs.length,
            mean_expected[loaded],
            "kW",
        )
    with np.errstate(invalid="ignore"):
        # negative values on consuming channels
        negative = (grid.power_kw < -t.negative_tol_kw) | (
            grid.energy_kwh < -t.negative_tol_kw * grid.dt_h
        )
        # implausible: above the channel's (or the site's) plausible maximum
        ceiling = np.where(np.isfinite(max_kw), max_kw, np.inf)
        if t.implausible_max_kw is not None:
            ceiling = np.minimum(ceiling, t.implausible_max_kw)
        implausible = load > ceiling[None, :]
        # energy vs power mismatch
        implied = grid.power_kw * grid.dt_h
        diff = np.abs(grid.energy_kwh - implied)
        scale = np.maximum(np.abs(grid.energy_kwh), np.abs(implied))
        mismatch = (diff > t.mismatch_abs_tol_kwh) & (diff > t.mismatch_rel_tol * scale)
    _add_runs(
        issues, grid, negative, "negative_values", t.negative_severity, values=load, reduce="min"
    )
    _add_runs(
        issues,
        grid,
        implausible,
        "implausible_values",
        t.implausible_severity,
        values=load,
        reduce="max",
    )
    _add_runs(
        issues,
        grid,
        mismatch,
        "energy_power_mismatch",
        t.mismatch_severity,
        values=diff,
        reduce="sum",
        unit="kWh",
        max_gap=1,
    )


def _raw_issues(
    issues: _Issues,
    readings: pd.DataFrame,
    table: pd.DataFrame,
    period: dates.Period,
    thresholds: HealthThresholds,
) -> None:
    """Duplicates, out-of-order rows and off-grid timestamps in the raw readings."""
    ns = readings["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ids = readings["channel_id"].to_numpy(dtype=np.int64)
    known = table["channel_id"].to_numpy(dtype=np.int64)
    keep = (ns >= period.start.value) & (ns < period.end.value) & np.isin(ids, known)
    if not keep.any():
        return
    ns, ids = ns[keep], ids[keep]
    by_id = np.argsort(known)
    known = known[by_id]
    col = np.searchsorted(known, ids)
    res_ns = table["resolution_s"].to_numpy(dtype=np.int64)[by_id] * 1_000_000_000
    # input order within each channel (stable sort by channel), offset so groups never interleave
    by_channel = np.argsort(col, kind="stable")
    rel = ns[by_channel] - period.start.value
    offset = col[by_channel] * (int(rel.max()) + 1)
    running = np.maximum.accumulate(rel + offset)
    late = np.zeros(ns.size, dtype=bool)
    late[by_channel[1:]] = (rel + offset)[1:] < running[:-1]
    order = np.lexsort((ns, col))
    dup = np.zeros(ns.size, dtype=bool)
    dup[order[1:]] = (ns[order][1:] == ns[order][:-1]) & (col[order][1:] == col[order][:-1])
    checks = {
        "duplicate_timestamps": (dup, thresholds.duplicate_severity),
        "out_of_order_timestamps": (late & ~dup, thresholds.out_of_order_severity),
        "irregular_interval": ((ns % res_ns[col]) != 0, thresholds.irregular_severity),
    }
    for kind, (flag, severity) in checks.items():  # three checks, each vectorised over rows
        if not flag.any():
            continue
        channel, first, last, count = _first_per_channel(col[flag], ns[flag])
        issues.add(
            kind,
            severity,
            known[channel],
            first,
            last,
            count,
            count,
            "rows",
        )


def _first_per_channel(col: np.ndarray, ns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per distinct column: the column, the earliest and latest time and the row count."""
    channel, inverse, count = np.unique(col, return_inverse=True, return_counts=True)
    first = np.full(channel.size, np.iinfo(np.int64).max)
    last = np.full(channel.size, np.iinfo(np.int64).min)
    np.minimum.at(first, inverse, ns)
    np.maximum.at(last, inverse, ns)
    return channel, first, last, count


_TEMPLATES = {
    "no_data": "{name}: no readings at all in the report week",
    "missing_data": "{name}: {intervals} missing intervals from {start}",
    "stale_data": "{name}: no data for the last {value:.1f} h of the week (since {start})",
    "low_completeness": "{name}: only {value:.1f} % of expected readings present",
    "stuck_sensor": "{name}: value stuck at {value:.3f} kW for {hours:.1f} h from {start}",
    "zero_run": "{name}: zero readings for {hours:.1f} h from {start} where the baseline "
    "shows {value:.2f} kW",
    "negative_values": "{name}: {intervals} negative reading(s) from {start} (min {value:.3f} kW)",
    "implausible_values": "{name}: {intervals} reading(s) above the plausible maximum from "
    "{start} (max {value:.2f} kW)",
    "energy_power_mismatch": "{name}: energy and power disagree in {intervals} interval(s) from "
    "{start} ({value:.2f} kWh in total)",
    "duplicate_timestamps": "{name}: {intervals} duplicate reading(s) (first {start})",
    "out_of_order_timestamps": "{name}: {intervals} reading(s) out of time order (first {start})",
    "irregular_interval": "{name}: {intervals} reading(s) off the {res} s grid (first {start})",
}


def _describe(issues: pd.DataFrame, resolution: dict[int, int], tz: Any) -> list[str]:
    start_ns = issues["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end_ns = issues["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    rows = zip(
        issues["type"].tolist(),
        issues["channel_name"].tolist(),
        issues["channel_id"].tolist(),
        issues["intervals"].tolist(),
        issues["value"].tolist(),
        start_ns.tolist(),
        ((end_ns - start_ns) / _NS_PER_HOUR).tolist(),
        strict=True,
    )
    return [  # one sentence per issue (issues are few; no loop over readings)
        _TEMPLATES[kind].format(
            name=name,
            intervals=intervals,
            value=value,
            start=pd.Timestamp(t0, tz="UTC").tz_convert(tz).strftime("%a %Y-%m-%d %H:%M"),
            hours=hours,
            res=resolution.get(cid),
        )
        for kind, name, cid, intervals, value, t0, hours in rows
    ]


def check_health(
    grids: dict[int, Grid],
    readings: pd.DataFrame,
    table: pd.DataFrame,
    *,
    period: dates.Period,
    tz: Any,
    expected: dict[int, SlotStats] | None = None,
    thresholds: HealthThresholds | None = None,
) -> pd.DataFrame:
    """Run every sensor and communications check on the report week.

    Parameters
    ----------
    grids : dict of int to Grid
        Report-week grids per resolution (from ``grid.build_grids``).
    readings : pandas.DataFrame
        Checked raw readings (``grid.check_readings``), in their original order.
    table : pandas.DataFrame
        Analysed channels (``grid.channel_table``).
    period : dates.Period
        The report week.
    tz : str or zoneinfo.ZoneInfo
        Site time zone (for the descriptions).
    expected : dict of int to SlotStats, optional
        Baseline statistics of the report intervals per resolution; without them the
        zero-run check is skipped.
    thresholds : HealthThresholds, optional
        Limits and severities.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ISSUE_COLUMNS`, one row per issue, sorted by type order, channel, start.
    """
    thresholds = HealthThresholds() if thresholds is None else thresholds
    ids = table["channel_id"].tolist()
    max_kw = dict(zip(ids, table["max_kw"].to_numpy(dtype=float).tolist(), strict=True))
    collected = _Issues()
    for res, grid in grids.items():  # one or two resolutions
        _grid_issues(
            collected,
            grid,
            expected=None if expected is None else expected.get(res),
            max_kw=np.array([max_kw[int(c)] for c in grid.channel_ids], dtype=float),
            thresholds=thresholds,
        )
    _raw_issues(collected, readings, table, period, thresholds)
    issues = collected.frame()
    if issues.empty:
        return issues
    names = dict(zip(ids, table["channel_name"].tolist(), strict=True))
    issues.insert(
        3, "channel_name", np.array([names[c] for c in issues["channel_id"].tolist()], dtype=object)
    )
    rank = {kind: i for i, kind in enumerate(ISSUE_TYPES)}
    order = np.lexsort(
        (
            issues["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64),
            issues["channel_id"].to_numpy(),
            issues["type"].map(rank).to_numpy(),
        )
    )
    issues = issues.iloc[order].reset_index(drop=True)
    resolution = dict(zip(ids, table["resolution_s"].tolist(), strict=True))
    issues["description"] = _describe(issues, resolution, tz)
    return issues


def channel_quality(
    grids: dict[int, Grid], table: pd.DataFrame, *, period: dates.Period
) -> pd.DataFrame:
    """Completeness and freshness of every analysed channel in the report week.

    Parameters
    ----------
    grids : dict of int to Grid
        Report-week grids per resolution.
    table : pandas.DataFrame
        Analysed channels.
    period : dates.Period
        The report week.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QUALITY_COLUMNS`: ``expected``/``actual`` intervals, ``completeness_pct``
        [%], first and last reading (UTC interval starts; NaT without readings) and
        ``stale_hours`` [h] from the end of the last reading to the period end (the whole
        period without readings).
    """
    frames = []
    for grid in grids.values():  # one or two resolutions
        present = grid.present
        n_t = present.shape[0]
        actual = present.sum(axis=0)
        any_row = actual > 0
        first = np.where(any_row, present.argmax(axis=0), 0)
        last = np.where(any_row, n_t - 1 - present[::-1].argmax(axis=0), 0)
        nat = np.iinfo(np.int64).min
        first_t = np.where(any_row, grid.times_ns(first), nat).astype("datetime64[ns]")
        last_t = np.where(any_row, grid.times_ns(last), nat).astype("datetime64[ns]")
        last_end = grid.times_ns(last + 1)
        stale = np.where(any_row, (period.end.value - last_end) / _NS_PER_HOUR, period.hours)
        frames.append(
            pd.DataFrame(
                {
                    "channel_id": grid.channel_ids,
                    "resolution_s": np.full(grid.channel_ids.size, grid.resolution_s),
                    "expected": np.full(grid.channel_ids.size, n_t),
                    "actual": actual.astype(np.int64),
                    "completeness_pct": completeness_pct(actual, n_t),
                    "first_reading": pd.DatetimeIndex(first_t, tz="UTC"),
                    "last_reading": pd.DatetimeIndex(last_t, tz="UTC"),
                    "stale_hours": np.asarray(stale, dtype=float),
                }
            )
        )
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in QUALITY_COLUMNS})
    quality = pd.concat(frames, ignore_index=True)
    quality["channel_name"] = quality["channel_id"].map(
        table.set_index("channel_id")["channel_name"]
    )
    return quality.loc[:, list(QUALITY_COLUMNS)].sort_values("channel_id", ignore_index=True)


def without_suspect(grid: Grid, issues: pd.DataFrame) -> Grid:
    """Return the grid with the readings of suspect intervals set to NaN.

    Parameters
    ----------
    grid : Grid
        Report-week grid.
    issues : pandas.DataFrame
        Output of :func:`check_health`; intervals of the :data:`SUSPECT_TYPES` issues on the
        grid's channels are blanked.

    Returns
    -------
    Grid
        A copy (the input is unchanged) whose ``load_kw``, ``power_kw`` and ``energy_kwh`` are
        NaN in the suspect intervals.
    """
    suspect = issues[issues["type"].isin(SUSPECT_TYPES)]
    suspect = suspect[suspect["channel_id"].isin(grid.channel_ids)]
    if suspect.empty or len(grid.index) == 0:
        return grid
    res_ns = grid.resolution_s * 1_000_000_000
    first = grid.index[0].value
    cols = pd.Index(grid.channel_ids).get_indexer(suspect["channel_id"])
    start = (suspect["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64) - first) // res_ns
    stop = -((first - suspect["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)) // res_ns)
    bad = np.zeros(grid.load_kw.shape, dtype=bool)
    for c, a, b in zip(cols, start, stop, strict=True):  # one slice per issue (issues are few)
        bad[max(a, 0) : max(b, 0), c] = True
    return dataclasses.replace(
        grid,
        load_kw=np.where(bad, np.nan, grid.load_kw),
        power_kw=np.where(bad, np.nan, grid.power_kw),
        energy_kwh=np.where(bad, np.nan, grid.energy_kwh),
    )
