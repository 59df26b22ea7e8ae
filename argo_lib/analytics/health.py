"""Sensor and communications health of the report week and of its baseline (spec A3, B2–B4, C).

Checks, each an issue ``type``:

- ``no_data``: a channel without a single reading in the week (never silently dropped, B3).
- ``outage``: a run of zero readings where the baseline shows load (gateways back-fill outages
  with zeros). Zeros are plausible, not an outage, where the channel reads zero at those times
  of the week on the baseline's other weeks too (or on its other days of the same type):
  ``outage_zero_share`` of them, on average over the run. An outage counts against
  completeness, and its readings are missing data for every analytic (never consumption,
  never savings); an outage of a main meter of ``outage_main_high_hours`` or more is high
  severity.
- ``missing_data``: a run of missing intervals (leading gaps included, B3; a trailing run counts
  as a gap while it is not longer than the stale limit).
- ``stale_data``: the channel stopped reporting before the period end; measured against the
  **end of the report period** (B2), so reporting a past week does not make every channel stale.
- ``low_completeness``: measured intervals (present, not in an outage) / expected intervals from
  the channel's resolution over the whole period (B3).
- ``catch_up_reading``: the first reading after a gap or a run of zeros that carries the energy
  accumulated during it (at least ``catch_up_min_ratio`` times the readings either side, with
  an excess of at least ``catch_up_min_share`` of what the gap would have used). ``value`` is
  its energy [kWh]; ``gap_start``/``gap_intervals`` give the gap it closes. It is a data
  problem, never a spike, a demand peak or savings; the week's energy keeps its kWh.
- ``stuck_sensor``: a run of (near-)identical non-zero values over time, every run (B4).
- ``negative_values``, ``implausible_values``: power (or energy) below zero or above the channel's
  plausible maximum.
- ``energy_power_mismatch``: ``|E - P * dt|`` beyond both tolerances (catch-up readings aside).
- ``duplicate_timestamps``, ``out_of_order_timestamps``, ``irregular_interval``: problems of the
  raw readings (repeated rows, rows out of time order, timestamps off the channel's grid).

The readings of the :data:`SUSPECT_TYPES` are screened out (:func:`without_suspect`): of the
report week before the consumption analytics (:func:`check_health`), and of the baseline weeks
before the profiles, thresholds and models are fitted (:func:`screen_baseline`, the same
interval checks), so a zero-filled outage in the baseline never becomes an expected load of 0.

Severities and limits come from :class:`argo_lib.thresholds.HealthThresholds`, so they can be set
per site.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics.grid import Grid
from argo_lib.stats import Runs, completeness_pct, group_sum, reduce_runs, runs_2d
from argo_lib.thresholds import HealthThresholds

__all__ = [
    "ISSUE_COLUMNS",
    "ISSUE_TYPES",
    "QUALITY_COLUMNS",
    "SCREENING_COLUMNS",
    "SCREENING_REASONS",
    "SUSPECT_TYPES",
    "BaselineScreening",
    "channel_quality",
    "check_health",
    "empty_issues",
    "screen_baseline",
    "without_suspect",
]

ISSUE_TYPES = (
    "no_data",
    "outage",
    "missing_data",
    "stale_data",
    "low_completeness",
    "catch_up_reading",
    "stuck_sensor",
    "negative_values",
    "implausible_values",
    "energy_power_mismatch",
    "duplicate_timestamps",
    "out_of_order_timestamps",
    "irregular_interval",
)
"""Every issue type, in the order the brief lists them."""

SUSPECT_TYPES = (
    "outage",
    "catch_up_reading",
    "stuck_sensor",
    "negative_values",
    "implausible_values",
    "energy_power_mismatch",
)
"""Issue types whose intervals the consumption analytics leave out (and the baseline fits)."""

SCREENING_REASONS = {
    "outage": "outage",
    "catch_up_reading": "catch_up",
    "stuck_sensor": "stuck",
    "negative_values": "negative",
    "implausible_values": "implausible",
    "energy_power_mismatch": "mismatch",
}
"""Short reason names of the :data:`SUSPECT_TYPES`, used in the screening column names."""

SCREENING_COLUMNS = (
    "channel_id",
    "baseline_screened_intervals",
    "baseline_screened_pct",
    *(f"baseline_{reason}_intervals" for reason in SCREENING_REASONS.values()),
)
"""Columns of :attr:`BaselineScreening.channels` (added to the analysis' channel table)."""

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
    "gap_start",
    "gap_intervals",
)
"""Columns of the issues frame; ``start``/``end`` are UTC (end exclusive), ``value`` in ``unit``;
``gap_start`` (UTC) and ``gap_intervals`` are the gap or zero run a ``catch_up_reading`` closes
(NaT and 0 for the other types)."""

QUALITY_COLUMNS = (
    "channel_id",
    "channel_name",
    "resolution_s",
    "expected",
    "actual",
    "outage_intervals",
    "completeness_pct",
    "first_reading",
    "last_reading",
    "stale_hours",
)
"""Columns of the per-channel data-quality frame."""

_HOURS_EPS = 1e-9
_NS_PER_HOUR = 3_600_000_000_000
_NAT = np.iinfo(np.int64).min


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
            "gap_start": pd.Series(dtype="datetime64[ns, UTC]"),
            "gap_intervals": pd.Series(dtype=np.int64),
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
        *,
        gap_start: Any = None,
        gap_intervals: Any = 0,
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
                "gap_start": (
                    np.full(n, _NAT, dtype=np.int64) if gap_start is None else _ns(gap_start, n)
                ),
                "gap_intervals": np.broadcast_to(np.asarray(gap_intervals, dtype=np.int64), (n,)),
            }
        )

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return empty_issues()
        data: dict[str, np.ndarray | pd.DatetimeIndex] = {
            key: np.concatenate([p[key] for p in self.parts]) for key in self.parts[0]
        }
        for key in ("start", "end", "gap_start"):
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


def _usual_zeros(
    grid: Grid, references: list[Grid], *, leave_out: bool, atol_kw: float
) -> tuple[np.ndarray, np.ndarray]:
    """How often the reference readings are zero at each interval's time of week, and their level.

    Two poolings: hour of week (holidays as Sundays) and day type × hour of day. With
    ``leave_out`` (``grid`` is ``references[0]``), each interval's own week (hour of week) and
    own day (day type × hour) are left out, so a run of zeros is judged by the other weeks.

    Returns
    -------
    share : numpy.ndarray
        Share of the reference readings at the interval's time that are zero, the larger of the
        two poolings [-]; NaN where there are none.
    level : numpy.ndarray
        Mean reference load at the interval's day type and hour [kW]; NaN where there is none.
    """
    n_c = grid.channel_ids.size
    sums = {name: np.zeros((size, n_c)) for name, size in (("z1", 168), ("p1", 168))}
    sums.update({name: np.zeros((72, n_c)) for name in ("z2", "p2", "s2")})
    own = {name: np.zeros(grid.load_kw.shape) for name in sums}
    for i, ref in enumerate(references):  # the grid itself, and the report week or nothing
        present = np.isfinite(ref.load_kw)
        with np.errstate(invalid="ignore"):
            zero = present & (np.abs(ref.load_kw) <= atol_kw)
        filled = np.where(present, ref.load_kw, 0.0)
        by_type_hour = ref.day_type * 24 + ref.hour
        parts = {"z1": zero, "p1": present, "z2": zero, "p2": present, "s2": filled}
        for name, values in parts.items():  # five sums per reference grid
            keys, size = (ref.slot, 168) if name.endswith("1") else (by_type_hour, 72)
            sums[name] += group_sum(values, keys, size)
        if leave_out and i == 0 and len(ref.index):
            day = ref.day - ref.day[0]
            for name, values in parts.items():  # the own week's or own day's share
                unit = day // 7 * 168 + ref.slot if name.endswith("1") else day * 24 + ref.hour
                _, inverse = np.unique(unit, return_inverse=True)
                own[name] = group_sum(values, inverse, int(inverse.max()) + 1)[inverse]
    by_type_hour = grid.day_type * 24 + grid.hour
    with np.errstate(invalid="ignore", divide="ignore"):
        share_week = (sums["z1"][grid.slot] - own["z1"]) / (sums["p1"][grid.slot] - own["p1"])
        share_day = (sums["z2"][by_type_hour] - own["z2"]) / (sums["p2"][by_type_hour] - own["p2"])
        level = (sums["s2"][by_type_hour] - own["s2"]) / (sums["p2"][by_type_hour] - own["p2"])
    return np.fmax(share_week, share_day), level


def _run_mean(values: np.ndarray, runs: Runs) -> np.ndarray:
    """Mean of the finite values of each run (NaN for a run without any)."""
    known = np.isfinite(values)
    count = reduce_runs(known.astype(float), runs, "sum")
    total = reduce_runs(values, runs, "sum", where=known)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1.0), np.nan)


def _outages(
    grid: Grid,
    zero: np.ndarray,
    references: list[Grid],
    *,
    leave_out: bool,
    thresholds: HealthThresholds,
) -> tuple[Runs, np.ndarray]:
    """Runs of zero readings that are outages, and the baseline's mean load over each [kW]."""
    t = thresholds
    runs = runs_2d(zero)
    if runs.col.size == 0 or not references:
        return runs.select(np.zeros(runs.col.size, dtype=bool)), np.empty(0)
    share, level = _usual_zeros(grid, references, leave_out=leave_out, atol_kw=t.stuck_min_abs_kw)
    mean_share = _run_mean(share, runs)
    mean_level = _run_mean(level, runs)
    with np.errstate(invalid="ignore"):
        outage = (mean_share < t.outage_zero_share) & (mean_level >= t.outage_baseline_min_kw)
        long = runs.length * grid.dt_h >= t.outage_min_hours - _HOURS_EPS
    keep = outage & long
    return runs.select(keep), mean_level[keep]


def _catch_ups(
    grid: Grid, zero: np.ndarray, *, thresholds: HealthThresholds
) -> tuple[Runs, np.ndarray]:
    """Gaps and zero runs closed by a catch-up reading, and the energy of that reading [kWh].

    A gap is a run of missing or zero readings; the reading after it (row ``stop``) is a
    catch-up reading when it is at least ``catch_up_min_ratio`` times the readings either side
    of the gap and exceeds the one after it by ``catch_up_min_share`` of what the gap would
    have used at the lower of the two.
    """
    t = thresholds
    n_t = grid.load_kw.shape[0]
    absent = ~grid.present | zero
    gaps = runs_2d(absent)
    gaps = gaps.select(gaps.stop < n_t)  # closed by a reading
    if gaps.col.size == 0:
        return gaps, np.empty(0)
    # mean power of each interval from its energy where known (catch-ups are energy totals)
    flow = np.where(np.isfinite(grid.energy_kwh), grid.energy_kwh / grid.dt_h, grid.load_kw)
    col, row = gaps.col, gaps.stop
    reading = flow[row, col]
    before = np.where(gaps.start > 0, flow[np.maximum(gaps.start - 1, 0), col], np.nan)
    next_row = np.minimum(row + 1, n_t - 1)
    has_next = (row + 1 < n_t) & ~absent[next_row, col]
    after = np.where(has_next, flow[next_row, col], np.nan)
    with np.errstate(invalid="ignore"):
        high = np.fmax(before, after)
        low = np.maximum(np.fmin(before, after), 0.0)
        excess = reading - np.where(np.isfinite(after), after, before)
        catch_up = (
            (high > 0)
            & (reading >= t.catch_up_min_ratio * high)
            & (excess >= t.catch_up_min_share * gaps.length * low)
            & (excess >= t.catch_up_min_excess_kw)
        )
    return gaps.select(catch_up), reading[catch_up] * grid.dt_h


def _grid_issues(
    issues: _Issues,
    grid: Grid,
    *,
    references: list[Grid],
    leave_out: bool,
    is_main: np.ndarray,
    max_kw: np.ndarray,
    thresholds: HealthThresholds,
    report: bool = True,
) -> None:
    """Run the interval checks on one grid.

    ``references``: the grids whose readings tell plausible zeros from outages (the screened
    baseline for the report week; the baseline itself, with ``leave_out``, and the report week
    for the baseline). ``report`` False runs only the checks that screen readings out (no gaps,
    staleness or completeness: a baseline's missing readings are its coverage).
    """
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
    with np.errstate(invalid="ignore"):
        zero = present & (np.abs(load) <= t.stuck_min_abs_kw)

    # outages: zero runs where the baseline shows load; with the zeros before a catch-up
    # reading they are not measurements (completeness) and never consumption
    outage, outage_kw = _outages(grid, zero, references, leave_out=leave_out, thresholds=thresholds)
    hours = outage.length * grid.dt_h
    issues.add(
        "outage",
        np.where(
            is_main[outage.col] & (hours >= t.outage_main_high_hours - _HOURS_EPS),
            t.outage_severity_high,
            t.outage_severity,
        ),
        ids[outage.col],
        grid.times_ns(outage.start),
        grid.times_ns(outage.stop),
        outage.length,
        outage_kw,
        "kW",
    )
    closed, catch_up_kwh = _catch_ups(grid, zero, thresholds=thresholds)
    issues.add(
        "catch_up_reading",
        t.catch_up_severity,
        ids[closed.col],
        grid.times_ns(closed.stop),
        grid.times_ns(closed.stop + 1),
        1,
        catch_up_kwh,
        "kWh",
        gap_start=grid.times_ns(closed.start),
        gap_intervals=closed.length,
    )
    catch_up = np.zeros(load.shape, dtype=bool)
    catch_up[closed.stop, closed.col] = True
    unmeasured = _runs_mask(load.shape, outage) | (_runs_mask(load.shape, closed) & zero)

    if report:
        issues.add(
            "no_data",
            t.no_data_severity,
            ids[silent],
            period.start,
            end_time,
            n_t,
            0.0,
            "intervals",
        )
        # gaps: runs of missing intervals; a trailing run longer than the stale limit is stale
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
        stale_hours = tail_hours[stale_tail]
        issues.add(
            "stale_data",
            np.where(stale_hours > t.stale_high_hours, t.stale_severity_high, t.stale_severity_low),
            ids[tail.col],
            last_end,
            end_time,
            tail.length,
            stale_hours,
            "h",
        )
        # completeness over the whole period (B3); an outage's zeros are not measurements
        measured = (present & ~unmeasured).sum(axis=0)
        completeness = completeness_pct(measured, n_t)
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
            n_t - measured[low],
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
    with np.errstate(invalid="ignore"):
        # negative values on consuming channels
        negative = (grid.power_kw < -t.negative_tol_kw) | (
            grid.energy_kwh < -t.negative_tol_kw * grid.dt_h
        )
        # implausible: above the channel's (or the site's) plausible maximum; a catch-up
        # reading is high because it carries a gap's energy (reported as such)
        ceiling = np.where(np.isfinite(max_kw), max_kw, np.inf)
        if t.implausible_max_kw is not None:
            ceiling = np.minimum(ceiling, t.implausible_max_kw)
        implausible = (load > ceiling[None, :]) & ~catch_up
        # energy vs power mismatch (a catch-up's power may be the interval's, its energy the gap's)
        implied = grid.power_kw * grid.dt_h
        diff = np.abs(grid.energy_kwh - implied)
        scale = np.maximum(np.abs(grid.energy_kwh), np.abs(implied))
        mismatch = (diff > t.mismatch_abs_tol_kwh) & (diff > t.mismatch_rel_tol * scale)
        mismatch &= ~catch_up
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


def _runs_mask(shape: tuple[int, ...], runs: Runs) -> np.ndarray:
    """True in the rows of each run (runs are few: gaps, outages)."""
    mask = np.zeros(shape, dtype=bool)
    for c, a, b in zip(runs.col, runs.start, runs.stop, strict=True):  # one slice per run
        mask[a:b, c] = True
    return mask


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
    "outage": "{name}: outage of {hours:.1f} h from {start}: the meter reported 0 where the "
    "baseline shows {value:.2f} kW (treated as missing data)",
    "missing_data": "{name}: {intervals} missing interval{s} from {start}",
    "stale_data": "{name}: no data for the last {value:.1f} h of the week (since {start})",
    "low_completeness": "{name}: only {value:.1f} % of expected readings measured",
    "catch_up_reading": "{name}: the reading at {start} carries {value:.1f} kWh, the energy of "
    "the {gap_hours:.1f} h without measurements from {gap_start} (left out of the analysis)",
    "stuck_sensor": "{name}: value stuck at {value:.3f} kW for {hours:.1f} h from {start}",
    "negative_values": "{name}: {intervals} negative reading{s} from {start} (min {value:.3f} kW)",
    "implausible_values": "{name}: {intervals} reading{s} above the plausible maximum from "
    "{start} (max {value:.2f} kW)",
    "energy_power_mismatch": "{name}: energy and power disagree in {intervals} interval{s} from "
    "{start} ({value:.2f} kWh in total)",
    "duplicate_timestamps": "{name}: {intervals} duplicate reading{s} (first {start})",
    "out_of_order_timestamps": "{name}: {intervals} reading{s} out of time order (first {start})",
    "irregular_interval": "{name}: {intervals} reading{s} off the {res} s grid (first {start})",
}
"""One sentence per issue type; times are site-local, written for people (``Thu 19 Nov 20:00``)."""


def _local(ns: int, tz: Any) -> str:
    return pd.Timestamp(ns, tz="UTC").tz_convert(tz).strftime("%a %d %b %H:%M")


def _describe(issues: pd.DataFrame, resolution: dict[int, int], tz: Any) -> list[str]:
    start_ns = issues["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end_ns = issues["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    gap_ns = issues["gap_start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    rows = zip(
        issues["type"].tolist(),
        issues["channel_name"].tolist(),
        issues["channel_id"].tolist(),
        issues["intervals"].tolist(),
        issues["value"].tolist(),
        start_ns.tolist(),
        ((end_ns - start_ns) / _NS_PER_HOUR).tolist(),
        gap_ns.tolist(),
        issues["gap_intervals"].tolist(),
        strict=True,
    )
    return [  # one sentence per issue (issues are few; no loop over readings)
        _TEMPLATES[kind].format(
            name=name,
            intervals=intervals,
            s="" if intervals == 1 else "s",
            value=value,
            start=_local(t0, tz),
            hours=hours,
            res=resolution.get(cid),
            gap_start=_local(g0, tz) if g0 != _NAT else "",
            gap_hours=n_gap * resolution.get(cid, 0) / 3600.0,
        )
        for kind, name, cid, intervals, value, t0, hours, g0, n_gap in rows
    ]


def _finish(collected: _Issues, table: pd.DataFrame, tz: Any) -> pd.DataFrame:
    """The issues frame: channel names, sorted by type order, channel and start, described."""
    issues = collected.frame()
    if issues.empty:
        return issues
    ids = table["channel_id"].tolist()
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
    return issues.loc[:, list(ISSUE_COLUMNS)]


def _channel_arrays(table: pd.DataFrame, grid: Grid) -> tuple[np.ndarray, np.ndarray]:
    """``is_main`` and ``max_kw`` [kW] of the grid's channels, in its column order."""
    rows = pd.Index(table["channel_id"]).get_indexer(grid.channel_ids)
    known = rows >= 0
    role = table["role"].to_numpy(dtype=object)
    max_kw = pd.to_numeric(table["max_kw"], errors="coerce").to_numpy(dtype=float)
    main = known & (np.where(known, role[rows], "").astype(str) == "main")
    return main, np.where(known, max_kw[rows], np.nan)


def _interval_issues(
    grids: dict[int, Grid],
    table: pd.DataFrame,
    *,
    others: dict[int, Grid] | None,
    leave_out: bool,
    report: bool,
    thresholds: HealthThresholds,
) -> _Issues:
    """The interval checks of every grid; ``others``: more grids to judge zeros by."""
    collected = _Issues()
    for res, grid in grids.items():  # one or two resolutions
        is_main, max_kw = _channel_arrays(table, grid)
        other = None if others is None else others.get(res)
        own = [grid] if leave_out else []
        _grid_issues(
            collected,
            grid,
            references=own if other is None else [*own, other],
            leave_out=leave_out,
            is_main=is_main,
            max_kw=max_kw,
            thresholds=thresholds,
            report=report,
        )
    return collected


def check_health(
    grids: dict[int, Grid],
    readings: pd.DataFrame,
    table: pd.DataFrame,
    *,
    period: dates.Period,
    tz: Any,
    baseline: dict[int, Grid] | None = None,
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
        Analysed channels (``grid.channel_table``: ``role`` and ``max_kw`` are used).
    period : dates.Period
        The report week.
    tz : str or zoneinfo.ZoneInfo
        Site time zone (for the descriptions).
    baseline : dict of int to Grid, optional
        The screened baseline grids per resolution (:func:`screen_baseline`): where they read
        zero, zeros are plausible; where they show load, a run of zeros is an outage. Without
        them the outage check is skipped.
    thresholds : HealthThresholds, optional
        Limits and severities.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`ISSUE_COLUMNS`, one row per issue, sorted by type order, channel, start.
    """
    thresholds = HealthThresholds() if thresholds is None else thresholds
    collected = _interval_issues(
        grids, table, others=baseline, leave_out=False, report=True, thresholds=thresholds
    )
    _raw_issues(collected, readings, table, period, thresholds)
    return _finish(collected, table, tz)


@dataclass(frozen=True, eq=False)
class BaselineScreening:
    """The baseline weeks after the sensor checks, and what they screened out.

    Attributes
    ----------
    grids : dict of int to Grid
        Per resolution [s] the baseline grid with the suspect readings set to NaN: what the
        profiles, thresholds and models are fitted on.
    issues : pandas.DataFrame
        What was screened out (:data:`ISSUE_COLUMNS`; types of :data:`SUSPECT_TYPES`).
    channels : pandas.DataFrame
        Columns :data:`SCREENING_COLUMNS`, one row per channel: readings screened out
        (``baseline_screened_intervals``, each counted once, and as ``baseline_screened_pct``
        [%] of the baseline's expected intervals) and per reason
        (``baseline_outage_intervals``, ``baseline_catch_up_intervals``, ...; a reading
        flagged for two reasons counts in both).
    """

    grids: dict[int, Grid]
    issues: pd.DataFrame
    channels: pd.DataFrame


def screen_baseline(
    grids: dict[int, Grid],
    table: pd.DataFrame,
    *,
    tz: Any,
    report: dict[int, Grid] | None = None,
    thresholds: HealthThresholds | None = None,
) -> BaselineScreening:
    """Screen the baseline weeks with the interval checks of the report week.

    Outages (zero runs where the channel's other weeks show load), catch-up readings, stuck
    values, negative, implausible and energy/power-mismatched readings become NaN (missing),
    never zeros, before anything is fitted on the baseline. Whether zeros are plausible is
    judged against the baseline's other weeks and days (each interval's own week and day left
    out) and the report week.

    Parameters
    ----------
    grids : dict of int to Grid
        Baseline grids per resolution, as read.
    table : pandas.DataFrame
        Analysed channels (``grid.channel_table``).
    tz : str or zoneinfo.ZoneInfo
        Site time zone (for the descriptions).
    report : dict of int to Grid, optional
        The report week's grids, as read: more weeks to judge the baseline's zeros by.
    thresholds : HealthThresholds, optional
        Limits.

    Returns
    -------
    BaselineScreening
        The screened grids, the screened-out issues and the counts per channel.
    """
    thresholds = HealthThresholds() if thresholds is None else thresholds
    collected = _interval_issues(
        grids, table, others=report, leave_out=True, report=False, thresholds=thresholds
    )
    issues = _finish(collected, table, tz)
    screened = {res: without_suspect(g, issues) for res, g in grids.items()}
    frames = []
    for grid in grids.values():  # one or two resolutions
        present = grid.present
        n_t = present.shape[0]
        columns: dict[str, np.ndarray] = {"channel_id": grid.channel_ids}
        spans = _spans(grid, issues)
        total = present & _mask(spans, SUSPECT_TYPES)
        columns["baseline_screened_intervals"] = total.sum(axis=0).astype(np.int64)
        columns["baseline_screened_pct"] = completeness_pct(total.sum(axis=0), n_t)
        for kind, reason in SCREENING_REASONS.items():  # six reasons
            flagged = present & _mask(spans, (kind,))
            columns[f"baseline_{reason}_intervals"] = flagged.sum(axis=0).astype(np.int64)
        frames.append(pd.DataFrame(columns))
    if frames:
        channels = pd.concat(frames, ignore_index=True).sort_values("channel_id", ignore_index=True)
    else:
        channels = pd.DataFrame(
            {
                c: pd.Series(dtype=np.int64 if c != "baseline_screened_pct" else float)
                for c in SCREENING_COLUMNS
            }
        )
    return BaselineScreening(grids=screened, issues=issues, channels=channels)


def channel_quality(
    grids: dict[int, Grid],
    table: pd.DataFrame,
    *,
    period: dates.Period,
    issues: pd.DataFrame | None = None,
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
    issues : pandas.DataFrame, optional
        Output of :func:`check_health`: the zero readings of its outages (and of the zero runs
        a catch-up reading closes) are not measurements.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QUALITY_COLUMNS`: ``expected`` intervals, ``actual`` measured intervals
        (present and not in an outage), ``outage_intervals`` (zero readings of outages),
        ``completeness_pct`` = actual / expected [%], first and last reading (UTC interval
        starts; NaT without readings) and ``stale_hours`` [h] from the end of the last reading
        to the period end (the whole period without readings).
    """
    frames = []
    for grid in grids.values():  # one or two resolutions
        present = grid.present
        n_t = present.shape[0]
        unmeasured = np.zeros(present.shape, dtype=bool)
        if issues is not None:
            spans = _spans(grid, issues)
            unmeasured = present & (
                _mask(spans, ("outage",)) | _mask(spans, ("catch_up_reading",), gap_only=True)
            )
        outage = unmeasured.sum(axis=0)
        any_row = present.any(axis=0)
        actual = present.sum(axis=0) - outage
        first = np.where(any_row, present.argmax(axis=0), 0)
        last = np.where(any_row, n_t - 1 - present[::-1].argmax(axis=0), 0)
        first_t = np.where(any_row, grid.times_ns(first), _NAT).astype("datetime64[ns]")
        last_t = np.where(any_row, grid.times_ns(last), _NAT).astype("datetime64[ns]")
        last_end = grid.times_ns(last + 1)
        stale = np.where(any_row, (period.end.value - last_end) / _NS_PER_HOUR, period.hours)
        frames.append(
            pd.DataFrame(
                {
                    "channel_id": grid.channel_ids,
                    "resolution_s": np.full(grid.channel_ids.size, grid.resolution_s),
                    "expected": np.full(grid.channel_ids.size, n_t),
                    "actual": actual.astype(np.int64),
                    "outage_intervals": outage.astype(np.int64),
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
    names = dict(zip(table["channel_id"].tolist(), table["channel_name"].tolist(), strict=True))
    quality["channel_name"] = [names.get(c) for c in quality["channel_id"].tolist()]  # channels
    return quality[list(QUALITY_COLUMNS)].sort_values("channel_id", ignore_index=True)


@dataclasses.dataclass(frozen=True)
class _Spans:
    """The issues of a frame as row spans of one grid: type, column, first row, stop rows."""

    shape: tuple[int, int]
    types: np.ndarray
    cols: np.ndarray
    start: np.ndarray
    stop: np.ndarray  # the issue's end (a catch-up reading's issue: the reading included)
    gap_stop: np.ndarray  # a catch-up reading's issue: where the gap it closes ends


def _spans(grid: Grid, issues: pd.DataFrame) -> _Spans:
    """Where the issues on the grid's channels lie on the grid (extracted once, masked often).

    A catch-up reading's issue starts where the gap it closes starts (``gap_start``).
    """
    shape = grid.load_kw.shape
    chosen = issues[issues["channel_id"].isin(grid.channel_ids)]
    if chosen.empty or len(grid.index) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _Spans(shape, np.zeros(0, dtype=object), empty, empty, empty, empty)
    res_ns = grid.resolution_s * 1_000_000_000
    first = grid.index[0].value
    cols = pd.Index(grid.channel_ids).get_indexer(chosen["channel_id"])
    start_ns = chosen["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end_ns = chosen["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    gap_ns = chosen["gap_start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    has_gap = gap_ns != _NAT
    begin_ns = np.where(has_gap, gap_ns, start_ns)
    return _Spans(
        shape,
        chosen["type"].to_numpy(dtype=object),
        cols,
        np.maximum((begin_ns - first) // res_ns, 0),
        np.maximum(-((first - end_ns) // res_ns), 0),
        np.maximum(-((first - start_ns) // res_ns), 0),  # the gap ends where the reading starts
    )


def _mask(spans: _Spans, types: tuple[str, ...], *, gap_only: bool = False) -> np.ndarray:
    """True in the intervals of the issues of these types (``gap_only``: a catch-up's gap)."""
    mask = np.zeros(spans.shape, dtype=bool)
    pick = np.flatnonzero(np.isin(spans.types, types))
    stops = spans.gap_stop if gap_only else spans.stop
    for i in pick:  # one slice per issue (issues are few)
        mask[spans.start[i] : stops[i], spans.cols[i]] = True
    return mask


def _issue_mask(
    grid: Grid, issues: pd.DataFrame, types: tuple[str, ...], *, gap_only: bool = False
) -> np.ndarray:
    """True in the intervals of the issues of these types on the grid's channels.

    A catch-up reading's issue covers the gap it closes and the reading (``gap_only``: the gap).
    """
    return _mask(_spans(grid, issues), types, gap_only=gap_only)


def without_suspect(grid: Grid, issues: pd.DataFrame) -> Grid:
    """Return the grid with the readings of suspect intervals set to NaN.

    Parameters
    ----------
    grid : Grid
        Report-week or baseline grid.
    issues : pandas.DataFrame
        Output of :func:`check_health` or :func:`screen_baseline`; intervals of the
        :data:`SUSPECT_TYPES` issues on the grid's channels are blanked (for a catch-up
        reading, the reading and the zero run it closes).

    Returns
    -------
    Grid
        A copy (the input is unchanged) whose ``load_kw``, ``power_kw`` and ``energy_kwh`` are
        NaN in the suspect intervals.
    """
    bad = _issue_mask(grid, issues, SUSPECT_TYPES)
    if not bad.any():
        return grid
    return dataclasses.replace(
        grid,
        load_kw=np.where(bad, np.nan, grid.load_kw),
        power_kw=np.where(bad, np.nan, grid.power_kw),
        energy_kwh=np.where(bad, np.nan, grid.energy_kwh),
    )
