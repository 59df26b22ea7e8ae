"""The readings resource of the fake: simulated values, regridded and summarised as the API does.

The fake serves :func:`argo_lib.sim.simulate_readings` on the 900 s base grid and derives every
answer from it: coarser intervals sum counters and average instants, one-minute intervals
subdivide, daily ones follow site-local days, and the ``action`` summaries (``total``,
``averageday``, ...) fold the result. Pure functions of their arguments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from argo_lib.fields import FIELDS_BY_COLUMN
from argo_lib.sim.fake_eniscope.wire import epoch_seconds_of
from argo_lib.sim.faults import Fault
from argo_lib.sim.grid import BASE_RESOLUTION_S
from argo_lib.sim.readings import simulate_readings
from argo_lib.sim.site import WILSON_INSTALLED

__all__ = ["INSTALLED", "apply_action", "is_counter", "regrid", "simulate_base"]

INSTALLED = WILSON_INSTALLED
"""No readings before this local midnight (backfill start)."""

_COUNTER_CODES = frozenset({"E", "E1", "E2", "E3", "RE", "AE", "cost"})


def simulate_base(
    channel_id: int,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    seed: int,
    faults: Sequence[Fault] = (),
    tariff_rate_per_kwh: float | None = None,
) -> pd.DataFrame:
    """Readings of one channel on the 900 s base grid, in project units.

    Parameters
    ----------
    channel_id : int
        A simulated channel.
    start, end : pandas.Timestamp
        Tz-aware bounds of the half-open window.
    seed : int
        Simulation seed.
    faults : sequence of argo_lib.sim.Fault
        Data faults of the simulated site.
    tariff_rate_per_kwh : float, optional
        Adds ``cost`` = energy × rate [currency].

    Returns
    -------
    pandas.DataFrame
        Every field of :data:`argo_lib.sim.ALL_FIELDS` (plus ``cost`` with a tariff), indexed by
        UTC interval start, sorted.
    """
    sim = simulate_readings(
        start=start,
        end=end,
        resolution_s=BASE_RESOLUTION_S,
        channels=[channel_id],
        seed=seed,
        faults=faults,
        fields="all",
    )
    frame = sim.readings.drop(columns="channel_id").set_index("timestamp").sort_index()
    if tariff_rate_per_kwh is not None:
        frame["cost"] = frame["energy_kwh"] * tariff_rate_per_kwh
    return frame


def is_counter(column: str) -> bool:
    """Whether a reading column is a counter (summed over intervals) rather than an instant."""
    spec = FIELDS_BY_COLUMN.get(column)
    return spec is not None and spec.code in _COUNTER_CODES


def regrid(base: pd.DataFrame, res: int, tz: ZoneInfo) -> pd.DataFrame:
    """Aggregate (or subdivide) the 900 s grid: counters summed, instants averaged.

    Parameters
    ----------
    base : pandas.DataFrame
        From :func:`simulate_base`.
    res : int
        Interval length of the answer [s]: 60 (subdivided), 900, 1800, 3600 or 86400 (site-local
        days).
    tz : zoneinfo.ZoneInfo
        The site's zone, for daily intervals.

    Returns
    -------
    pandas.DataFrame
        Same columns, indexed by UTC interval start.
    """
    counters = [c for c in base.columns if is_counter(c)]
    instants = [c for c in base.columns if c not in counters]
    if res == BASE_RESOLUTION_S:
        return base
    if res < BASE_RESOLUTION_S:
        parts = BASE_RESOLUTION_S // res
        index = base.index.repeat(parts) + pd.to_timedelta(
            np.tile(np.arange(parts) * res, len(base)), unit="s"
        )
        out = pd.DataFrame(np.repeat(base.to_numpy(), parts, axis=0), columns=base.columns)
        out.index = index
        out[counters] = out[counters] / parts
        return out
    starts = cast(pd.DatetimeIndex, base.index)  # UTC interval starts
    if res == 86400:
        key = starts.tz_convert(tz).normalize().tz_convert("UTC")
    else:
        seconds = epoch_seconds_of(starts)
        key = pd.to_datetime((seconds // res) * res, unit="s", utc=True)
    grouped = base.groupby(key)
    out = pd.concat([grouped[counters].sum(min_count=1), grouped[instants].mean()], axis=1).reindex(
        columns=base.columns
    )
    out.index.name = "timestamp"
    return out


def apply_action(frame: pd.DataFrame, action: str, tz: ZoneInfo) -> pd.DataFrame:
    """Fold readings as the API's ``action`` parameter asks.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings at the answer's interval, indexed by UTC interval start.
    action : str
        ``summarize`` (as is), ``total`` (one row: counters summed, instants averaged), or a
        typical day: ``averageday``/``typicalday``/``meanday``, ``medianday``, ``minday``,
        ``maxday`` (one row per site-local time of day, stamped with its first occurrence).
    tz : zoneinfo.ZoneInfo
        The site's zone.

    Returns
    -------
    pandas.DataFrame
        The folded readings, same columns.
    """
    if action == "summarize":
        return frame
    counters = [c for c in frame.columns if is_counter(c)]
    instants = [c for c in frame.columns if c not in counters]
    if action == "total":
        row = pd.concat([frame[counters].sum(min_count=1), frame[instants].mean()])
        out = row.to_frame().T.reindex(columns=frame.columns).astype("float64")
        out.index = frame.index[:1]
        return out
    how = {
        "averageday": "mean",
        "typicalday": "mean",
        "meanday": "mean",
        "medianday": "median",
        "minday": "min",
        "maxday": "max",
    }[action]
    local = cast(pd.DatetimeIndex, frame.index).tz_convert(tz)
    time_of_day = local - local.normalize()
    out = frame.groupby(time_of_day).agg(how)
    first = pd.Series(frame.index, index=time_of_day).groupby(level=0).first()
    out.index = pd.DatetimeIndex(first.reindex(out.index).to_numpy())
    return out.sort_index()
