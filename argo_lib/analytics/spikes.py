"""Demand spikes: short excursions far above the slot's usual peak (spec A6, B5, B12).

An interval is a spike candidate when its power exceeds the largest of ``p95_factor`` times the
slot's baseline P95 (A6), the P95 plus ``rel_floor`` times the channel's typical peak (so a
near-zero night slot does not make every blip a spike, B5), and the P95 plus an absolute floor
(``sub_floor_kw`` for sub-meters, ``main_floor_kw`` for the main meter). Consecutive candidates
form an event; events longer than ``max_duration_hours`` are sustained consumption, left to the
anomaly detector. A spike's excess energy is measured above the slot P95.

What a spike costs in demand charges depends on the site's coincident peak (B12), which
:func:`demand_impact` computes from the main meter, or from the sum of the analysed channels when
the site has no main meter.

Both run on the readings the sensor checks trust: a catch-up reading (the first after a gap,
carrying the gap's energy) is a data-health finding of :mod:`argo_lib.analytics.health`, never a
spike or the site's demand peak.
"""

from __future__ import annotations

import functools
from typing import cast

import numpy as np
import pandas as pd

from argo_lib.analytics import costs
from argo_lib.analytics.after_hours import moved_edge
from argo_lib.analytics.baseline import Profile, SlotStats
from argo_lib.analytics.grid import Grid
from argo_lib.stats import Runs, reduce_runs, runs_2d
from argo_lib.thresholds import SpikeThresholds

__all__ = [
    "SPIKE_COLUMNS",
    "demand_impact",
    "detect_spikes",
    "empty_spikes",
    "site_demand",
    "spike_threshold",
    "suppress_spikes",
]

SPIKE_COLUMNS = (
    "channel_id",
    "start",
    "end",
    "intervals",
    "hours",
    "peak_kw",
    "threshold_kw",
    "p95_kw",
    "excess_kwh",
    "peak_excess_kw",
    "height_kw",
)
"""Columns of the spike-event frame (``start``/``end`` UTC, end exclusive)."""


def empty_spikes() -> pd.DataFrame:
    """Return a spike-event frame without rows."""
    return _empty_spikes_prototype().copy()


@functools.cache
def _empty_spikes_prototype() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype=np.int64),
            "start": pd.Series(dtype="datetime64[ns, UTC]"),
            "end": pd.Series(dtype="datetime64[ns, UTC]"),
            "intervals": pd.Series(dtype=np.int64),
            **{c: pd.Series(dtype=float) for c in SPIKE_COLUMNS[4:]},
        }
    )


def spike_threshold(
    expected: SlotStats,
    profile: Profile,
    *,
    is_main: np.ndarray,
    thresholds: SpikeThresholds,
) -> np.ndarray:
    """Return the spike threshold of every report interval and channel [kW].

    Parameters
    ----------
    expected : SlotStats
        Baseline statistics of the report intervals.
    profile : Profile
        Baseline profile (its P95 over all hours sets the channel's typical peak).
    is_main : numpy.ndarray of bool
        True for main (utility) meters, one per channel.
    thresholds : SpikeThresholds
        Factors and floors.

    Returns
    -------
    numpy.ndarray
        Threshold [kW]; NaN where the baseline is unusable.
    """
    t = thresholds
    p95 = expected.p95
    typical_peak = np.nan_to_num(_typical_peak(profile))[None, :]
    floor = np.where(is_main, t.main_floor_kw, t.sub_floor_kw)[None, :]
    threshold = np.fmax(t.p95_factor * p95, p95 + t.rel_floor * typical_peak)
    return np.fmax(threshold, p95 + floor)


def _typical_peak(profile: Profile) -> np.ndarray:
    """The highest hour-of-week P95 of each channel [kW]."""
    p95 = profile.level("hour_of_week")["p95"]
    has = np.isfinite(p95).any(axis=0)
    out = np.full(p95.shape[1], np.nan)
    out[has] = np.nanmax(p95[:, has], axis=0)
    return out


def detect_spikes(
    grid: Grid,
    expected: SlotStats,
    profile: Profile,
    *,
    is_main: np.ndarray,
    thresholds: SpikeThresholds | None = None,
    moved_edge_hours: float = 0.0,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Find demand spikes in a report grid.

    Parameters
    ----------
    grid : Grid
        Report-week grid of one resolution.
    expected : SlotStats
        Baseline statistics of each report interval.
    profile : Profile
        Baseline profile of the same channels.
    is_main : numpy.ndarray of bool
        True for main (utility) meters, one per channel.
    thresholds : SpikeThresholds, optional
        Limits.
    moved_edge_hours : float
        After-hours intervals at the edge of a standing load that moved by up to this much
        (dusk and dawn, :func:`argo_lib.analytics.after_hours.moved_edge`, with the spike
        threshold as margin) are no spikes [h]; 0 judges every interval.

    Returns
    -------
    events : pandas.DataFrame
        Columns :data:`SPIKE_COLUMNS`: ``peak_kw`` [kW], ``threshold_kw`` at the peak [kW],
        ``p95_kw`` the slot P95 at the peak [kW], ``excess_kwh`` above the slot P95 [kWh],
        ``peak_excess_kw`` the largest power above the P95 [kW], ``height_kw`` the largest
        power above the slot median, i.e. the size of the spike over the usual load [kW].
    mask : numpy.ndarray of bool
        The spike intervals (to keep them out of the anomaly events).
    excess_kw : numpy.ndarray
        Power above the slot P95 in spike intervals [kW], 0 elsewhere.
    """
    t = SpikeThresholds() if thresholds is None else thresholds
    load = grid.load_kw
    threshold = spike_threshold(expected, profile, is_main=is_main, thresholds=t)
    with np.errstate(invalid="ignore"):
        above = (load > threshold) & profile.sufficient[None, :]
    if moved_edge_hours > 0:  # a night load switched on earlier than in the baseline weeks
        margin = threshold - expected.median
        above &= ~moved_edge(grid, load, expected.median, margin, hours=moved_edge_hours)
    # a spike stands out from its surroundings: the elevated stretch around it is short too
    with np.errstate(invalid="ignore"):
        elevated = load > expected.median + 0.5 * (threshold - expected.median)
    stretch = runs_2d(elevated | above, max_gap=1 if grid.resolution_s < 3600 else 0)
    long_stretch = np.zeros(load.shape, dtype=bool)
    # one interval of ramp on either side is still a spike
    too_long = stretch.length * grid.dt_h > t.max_duration_hours + 2 * grid.dt_h + 1e-9
    for c, a, b in zip(
        stretch.col[too_long], stretch.start[too_long], stretch.stop[too_long], strict=True
    ):
        long_stretch[a:b, c] = True  # one slice per long stretch (few)
    runs = runs_2d(above)
    short = runs.length * grid.dt_h <= t.max_duration_hours + 1e-9
    runs = runs.select(short & ~long_stretch[runs.start, runs.col])
    runs = runs.select(_stands_out(load, runs, threshold - expected.p95, thresholds=t))
    mask = np.zeros(load.shape, dtype=bool)
    for c, a, b in zip(runs.col, runs.start, runs.stop, strict=True):
        mask[a:b, c] = True  # one slice per spike (spikes are few)
    with np.errstate(invalid="ignore"):
        excess_kw = np.where(mask, np.maximum(load - expected.p95, 0.0), 0.0)
    if runs.col.size == 0:
        return empty_spikes(), mask, excess_kw
    peak = reduce_runs(load, runs, "max")
    peak_rows = _peak_rows(load, runs)
    events = pd.DataFrame(
        {
            "channel_id": grid.channel_ids[runs.col],
            "start": pd.DatetimeIndex(grid.times_ns(runs.start), tz="UTC"),
            "end": pd.DatetimeIndex(grid.times_ns(runs.stop), tz="UTC"),
            "intervals": runs.length,
            "hours": runs.length * grid.dt_h,
            "peak_kw": peak,
            "threshold_kw": threshold[peak_rows, runs.col],
            "p95_kw": expected.p95[peak_rows, runs.col],
            "excess_kwh": reduce_runs(excess_kw, runs, "sum") * grid.dt_h,
            "peak_excess_kw": reduce_runs(excess_kw, runs, "max"),
            "height_kw": reduce_runs(load - expected.median, runs, "max"),
        }
    )
    return events, mask, excess_kw


def _stands_out(
    load: np.ndarray, runs: Runs, margin: np.ndarray, *, thresholds: SpikeThresholds
) -> np.ndarray:
    """Whether each run's peak stands above the readings on both sides of it.

    A spike comes and goes: its peak exceeds the reading before it and the one after it by
    ``step_share`` of the spike margin (``threshold - P95``). A step onto a level that stays
    (a dusk-to-dawn load switched on a little earlier than in the baseline, or off later) has
    a neighbour as high as itself and is not a spike. A missing neighbour does not count
    against a run.
    """
    n_t = load.shape[0]
    peak = reduce_runs(load, runs, "max")
    before = np.where(runs.start > 0, load[np.maximum(runs.start - 1, 0), runs.col], np.nan)
    after = np.where(runs.stop < n_t, load[np.minimum(runs.stop, n_t - 1), runs.col], np.nan)
    side = np.fmax(before, after)  # NaN only when both are missing
    need = thresholds.step_share * margin[np.minimum(runs.start, n_t - 1), runs.col]
    with np.errstate(invalid="ignore"):
        return ~(peak - side < need)


def _peak_rows(load: np.ndarray, runs: Runs) -> np.ndarray:
    """Row of the maximum of each run (first one on ties)."""
    rows = np.empty(runs.col.size, dtype=np.int64)
    for i, (c, a, b) in enumerate(zip(runs.col, runs.start, runs.stop, strict=True)):
        rows[i] = a + int(np.nanargmax(load[a:b, c]))  # one short slice per spike
    return rows


def site_demand(
    grids: dict[int, Grid],
    *,
    main_ids: tuple[int, ...] | list[int],
    interval_s: int = costs.BILLING_INTERVAL_S,
) -> tuple[pd.Series, str]:
    """Site demand per billing interval (15 min) [kW], and where it comes from.

    Parameters
    ----------
    grids : dict of int to Grid
        Report-week grids without the suspect readings
        (:func:`argo_lib.analytics.health.without_suspect`): a catch-up reading carries the
        energy of a gap, not a demand, and an outage's zeros are not a low demand.
    main_ids : sequence of int
        Main (utility) meter channel ids; empty when the site has only sub-meters.
    interval_s : int
        Billing demand interval [s] (the tariff's ``demand_interval_s``, 15 min by default).

    Returns
    -------
    demand : pandas.Series
        Mean site power per billing interval [kW], indexed by UTC interval start. Coarser
        channels contribute their mean to each billing interval inside theirs; missing readings
        count as 0 (an underestimate the brief states via data completeness).
    source : str
        ``"main_meter"`` or ``"sum_of_channels"``.
    """
    source = "main_meter" if main_ids else "sum_of_channels"
    wanted = set(main_ids)
    index = None
    total = None
    for grid in grids.values():  # one or two resolutions
        cols = (
            np.isin(grid.channel_ids, list(wanted))
            if wanted
            else np.ones(grid.channel_ids.size, dtype=bool)
        )
        if index is None or total is None:  # the first grid: both are set here
            period = grid.period
            step = pd.Timedelta(seconds=interval_s)
            index = pd.date_range(
                period.start.tz_convert("UTC").ceil(step),
                period.end.tz_convert("UTC"),
                freq=step,
                inclusive="left",
            ).as_unit("ns")
            total = np.zeros(len(index))
        if not cols.any() or len(grid.index) == 0:
            continue
        part = np.nansum(grid.load_kw[:, cols], axis=1)
        rows = (index.asi8 - grid.index[0].value) // (grid.resolution_s * 1_000_000_000)
        ok = (rows >= 0) & (rows < len(grid.index))
        total[ok] += part[rows[ok]]
    if index is None:
        return pd.Series(dtype=float), source
    return pd.Series(total, index=index, name="demand_kw"), source


def demand_impact(
    events: pd.DataFrame,
    excess: dict[int, tuple[Grid, np.ndarray]],
    demand: pd.Series,
    *,
    demand_rate_per_kw: float | None,
) -> pd.DataFrame:
    """Add each spike's contribution to the site's coincident peak (B12).

    Parameters
    ----------
    events : pandas.DataFrame
        Spike events (all resolutions).
    excess : dict of int to (Grid, numpy.ndarray)
        Per resolution the report grid and the spike excess power ``excess_kw`` [kW].
    demand : pandas.Series
        Site demand per billing interval (:func:`site_demand`).
    demand_rate_per_kw : float or None
        Demand charge [currency/kW]; None: no demand charge.

    Returns
    -------
    pandas.DataFrame
        ``events`` plus ``coincident_kw`` (how much lower the week's site peak would be
        without this spike) [kW] and ``demand_cost`` (that times the demand rate, NaN without
        a demand charge) [currency].
    """
    out = events.copy()
    if events.empty or demand.empty:
        out["coincident_kw"] = 0.0
        out["demand_cost"] = np.nan
        return out
    removed = np.zeros((len(demand), len(events)))
    idx_ns = cast(pd.DatetimeIndex, demand.index).as_unit("ns").asi8
    start_ns = events["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    end_ns = events["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    for j, (cid, a, b) in enumerate(
        zip(events["channel_id"].to_numpy(), start_ns, end_ns, strict=True)
    ):  # one column per spike (spikes are few)
        for grid, kw in excess.values():
            col = np.flatnonzero(grid.channel_ids == cid)
            if col.size == 0:
                continue
            rows = (idx_ns - grid.index[0].value) // (grid.resolution_s * 1_000_000_000)
            inside = (idx_ns >= a) & (idx_ns < b) & (rows >= 0) & (rows < len(grid.index))
            removed[inside, j] = kw[rows[inside], col[0]]
    _, _, reduction = costs.coincident_peak(
        demand, removed_kw=pd.DataFrame(removed, index=demand.index)
    )
    out["coincident_kw"] = reduction.to_numpy()
    rate = np.nan if demand_rate_per_kw is None else float(demand_rate_per_kw)
    out["demand_cost"] = out["coincident_kw"] * rate
    return out


def suppress_spikes(
    events: pd.DataFrame,
    mask: np.ndarray,
    excess_kw: np.ndarray,
    grid: Grid,
    sustained: pd.DataFrame,
    *,
    event_mask: np.ndarray | None = None,
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Drop spikes that are part of a sustained pattern (after-hours operation, new schedule).

    A spike inside a sustained event's span is kept when no interval of the event lies within
    six hours of it and the spike is not itself flagged as part of the event (it falls between
    the days of the pattern), or when it stands out from the
    event itself: its peak exceeds the median load of the event's intervals within six hours
    by the spike margin (``threshold_kw - p95_kw``), twice that margin when the event lies on
    one side of it only (an onset or a ramp). A short spike on top of equipment left running is
    still a spike; the noisy plateau, the ramps or a short first day of that pattern are not.

    Parameters
    ----------
    events, mask, excess_kw
        Output of :func:`detect_spikes` for ``grid``.
    grid : Grid
        Report-week grid.
    sustained : pandas.DataFrame
        Anomaly events (``channel_id``, ``start``, ``end``) of a recurring kind.
    event_mask : numpy.ndarray of bool, optional
        The intervals of those events (shape of ``grid.load_kw``); without it every spike in an
        event's span is dropped.

    Returns
    -------
    tuple
        ``events``, ``mask`` and ``excess_kw`` without the spikes that belong to a sustained
        event.
    """
    if events.empty or sustained.empty:
        return events, mask, excess_kw
    keep = np.ones(len(events), dtype=bool)
    mask = mask.copy()
    excess_kw = excess_kw.copy()
    s_start = events["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    s_end = events["end"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    ids = events["channel_id"].to_numpy()
    first = grid.index[0].value if len(grid.index) else 0
    res_ns = grid.resolution_s * 1_000_000_000
    span = np.full((len(events), 2), -1, dtype=np.int64)  # rows of the covering event
    for start, end, channel_id in zip(
        sustained["start"], sustained["end"], sustained["channel_id"], strict=True
    ):  # a few sustained events
        a = start.tz_convert("UTC").value
        b = end.tz_convert("UTC").value
        inside = keep & (ids == channel_id) & (s_start < b) & (s_end > a)
        span[inside] = ((a - first) // res_ns, (b - first) // res_ns)
        keep &= ~inside
    window = int(round(6.0 / grid.dt_h))
    peak = events["peak_kw"].to_numpy(dtype=float)
    margin = (events["threshold_kw"] - events["p95_kw"]).to_numpy(dtype=float)
    n_t = grid.load_kw.shape[0]
    for i in np.flatnonzero(~keep):  # the spikes inside sustained events (few)
        col = int(np.flatnonzero(grid.channel_ids == ids[i])[0])
        a = int((s_start[i] - first) // res_ns)
        b = int((s_end[i] - first) // res_ns)
        if event_mask is not None:
            lo, hi = max(a - window, 0), min(b + window, n_t)
            before = grid.load_kw[lo:a, col][event_mask[lo:a, col]]
            after = grid.load_kw[b:hi, col][event_mask[b:hi, col]]
            sides = int(before.size > 0) + int(after.size > 0)
            if sides == 0 and not event_mask[a:b, col].any():
                keep[i] = True  # between the days of the pattern, not part of it
                continue
            level = np.concatenate([before, after])
            if sides == 0:  # the event's first or last fragment: compare with all of it
                e0, e1 = max(span[i, 0], 0), min(span[i, 1], n_t)
                rows = np.zeros(n_t, dtype=bool)
                rows[e0:e1] = event_mask[e0:e1, col]
                rows[a:b] = False
                level = grid.load_kw[rows, col]
            level = level[np.isfinite(level)]
            # next to the event on one side only (an onset, a ramp): twice the margin
            factor = 2.0 if sides == 1 else 1.0
            if level.size and peak[i] - float(np.median(level)) >= factor * margin[i]:
                keep[i] = True  # stands out from the sustained level: still a spike
                continue
        mask[a:b, col] = False
        excess_kw[a:b, col] = 0.0
    return events[keep].reset_index(drop=True), mask, excess_kw
