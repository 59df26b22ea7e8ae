"""Load-shape metrics per channel and site-local day (spec C).

For every channel and local day of the report week: base load (P5 of the day's power), peak load,
peak-to-base ratio, load factor (mean / peak), high-load hours (power above the midpoint between
base and peak), rise and fall times (first and last local time above that midpoint),
after-hours share of the day's energy; and per channel the weekday/weekend ratio of mean daily
energy.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd

from argo_lib.analytics.grid import Grid
from argo_lib.stats import group_sum, grouped_quantiles

__all__ = ["LOAD_SHAPE_COLUMNS", "empty_load_shape", "load_shape"]

LOAD_SHAPE_COLUMNS = (
    "channel_id",
    "date",
    "day_type",
    "energy_kwh",
    "base_kw",
    "peak_kw",
    "peak_to_base",
    "load_factor",
    "high_load_hours",
    "rise_time",
    "fall_time",
    "after_hours_share",
    "coverage",
)
"""Columns of the load-shape frame."""

_EPOCH = dt.date(1970, 1, 1)
_DAY_NAMES = np.array(["weekday", "saturday", "sunday_holiday"], dtype=object)
_CLOCK = np.array([f"{m // 60:02d}:{m % 60:02d}" for m in range(1440)], dtype=object)


def empty_load_shape() -> pd.DataFrame:
    """Return a load-shape frame without rows."""
    return _empty_load_shape_prototype().copy()


@functools.cache
def _empty_load_shape_prototype() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in LOAD_SHAPE_COLUMNS})
    frame["channel_id"] = frame["channel_id"].astype(np.int64)
    for column in ("date", "day_type", "rise_time", "fall_time"):
        frame[column] = frame[column].astype(object)
    return frame


def load_shape(grid: Grid) -> tuple[pd.DataFrame, pd.Series]:
    """Compute daily load-shape metrics for every channel of a grid.

    Parameters
    ----------
    grid : Grid
        Report-week grid of one resolution.

    Returns
    -------
    daily : pandas.DataFrame
        Columns :data:`LOAD_SHAPE_COLUMNS`, one row per channel and local day. Powers [kW],
        energy [kWh], hours [h], ``rise_time``/``fall_time`` as local ``"HH:MM"`` (None when the
        load never rises above the midpoint), ``after_hours_share`` and ``coverage`` [-].
    weekday_weekend_ratio : pandas.Series
        Mean daily energy on weekdays over that on weekend days and holidays, per channel [-]
        (NaN without both).
    """
    load = grid.load_kw
    n_t, n_c = load.shape
    if n_t == 0 or n_c == 0:
        return empty_load_shape(), pd.Series(dtype=float, name="weekday_weekend_ratio")
    day_codes, day_idx = np.unique(grid.day, return_inverse=True)
    n_d = day_codes.size
    present = np.isfinite(load)
    filled = np.where(present, load, 0.0)
    starts = _day_starts(day_idx)  # rows are in time order: each day is one block of rows
    counts = group_sum(present, day_idx, n_d)
    rows_per_day = np.bincount(day_idx, minlength=n_d).astype(float)
    energy = group_sum(filled * grid.dt_h, day_idx, n_d)
    after = (~grid.business)[:, None]
    energy_after = group_sum(np.where(after, filled, 0.0) * grid.dt_h, day_idx, n_d)
    quant, _ = grouped_quantiles(load, day_idx, n_d, (5.0,))
    base = quant[0]
    peak = np.maximum.reduceat(np.where(present, load, -np.inf), starts, axis=0)
    peak = np.where(counts > 0, peak, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(counts > 0, energy / (counts * grid.dt_h), np.nan)
        mid = base + 0.5 * (peak - base)
        high = present & (load > mid[day_idx]) & (peak[day_idx] > base[day_idx])
    high_hours = group_sum(high * grid.dt_h, day_idx, n_d)
    # rise = first high row of each day, fall = end of the last high row
    row = np.arange(n_t)[:, None]
    first = np.minimum.reduceat(np.where(high, row, n_t), starts, axis=0)
    last = np.maximum.reduceat(np.where(high, row, -1), starts, axis=0)
    local = grid.index.tz_convert(grid.period.tz)
    minutes = np.asarray(local.hour * 60 + local.minute)
    end_minutes = (minutes + grid.resolution_s // 60) % 1440

    def _clock(rows: np.ndarray, values: np.ndarray, valid: np.ndarray) -> np.ndarray:
        out = np.full(rows.shape, None, dtype=object)
        out[valid] = _CLOCK[values[np.clip(rows, 0, n_t - 1)][valid]]
        return out

    day_kind = np.maximum.reduceat(grid.day_type, starts)
    rise = _clock(first, minutes, first < n_t)
    fall = _clock(last, end_minutes, last >= 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        daily = pd.DataFrame(
            {
                "channel_id": np.tile(grid.channel_ids, n_d),
                "date": np.repeat(
                    np.array([_EPOCH + dt.timedelta(days=int(d)) for d in day_codes]), n_c
                ),
                "day_type": np.repeat(_DAY_NAMES[day_kind], n_c),
                "energy_kwh": np.where(counts > 0, energy, np.nan).ravel(),
                "base_kw": base.ravel(),
                "peak_kw": peak.ravel(),
                "peak_to_base": np.where(base > 0, peak / base, np.nan).ravel(),
                "load_factor": np.where(peak > 0, mean / peak, np.nan).ravel(),
                "high_load_hours": np.where(counts > 0, high_hours, np.nan).ravel(),
                "rise_time": rise.ravel(),
                "fall_time": fall.ravel(),
                "after_hours_share": np.where(energy > 0, energy_after / energy, np.nan).ravel(),
                "coverage": (counts / rows_per_day[:, None]).ravel(),
            }
        )
    daily = daily.sort_values(["channel_id", "date"], ignore_index=True)
    weekday = (day_kind == 0)[:, None]
    complete = counts >= 0.9 * rows_per_day[:, None]
    wd = complete & weekday
    we = complete & ~weekday
    with np.errstate(invalid="ignore", divide="ignore"):
        wd_mean = np.where(wd, energy, 0.0).sum(axis=0) / wd.sum(axis=0)
        we_mean = np.where(we, energy, 0.0).sum(axis=0) / we.sum(axis=0)
        values = np.where((wd.sum(axis=0) > 0) & (we_mean > 0), wd_mean / we_mean, np.nan)
    ratio = pd.Series(values, index=pd.Index(grid.channel_ids, name="channel_id"))
    return daily, ratio.rename("weekday_weekend_ratio")


def _day_starts(day_idx: np.ndarray) -> np.ndarray:
    """First row of each day (rows are in time order, days contiguous)."""
    return np.flatnonzero(np.concatenate([[True], day_idx[1:] != day_idx[:-1]]))
