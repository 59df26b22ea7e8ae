"""The simulator's time grid: 900 s base intervals aligned to UTC epoch multiples.

Every simulated value belongs to one base interval; coarser resolutions aggregate whole base
intervals, so a 3600 s row is exactly the sum (energy) or mean (instants) of its four 900 s rows.

Examples
--------
>>> start = utc_timestamp("2025-12-01T00:07-05:00", name="start")
>>> grid_starts(start, start + pd.Timedelta(hours=2), 3600).tolist()  # whole hours only
[1764568800, 1764572400]
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError

__all__ = ["BASE_RESOLUTION_S", "RESOLUTIONS_S"]

BASE_RESOLUTION_S = 900
"""Base grid of the simulator [s]; aligned to UTC epoch multiples."""

RESOLUTIONS_S: tuple[int, ...] = (900, 1800, 3600)
"""Output resolutions of the simulator [s]; coarser ones aggregate the base grid."""

NS = 1_000_000_000
"""Nanoseconds per second."""
DAY_S = 86_400
"""Seconds per (UTC) day [s]."""


def utc_timestamp(value: Any, *, name: str) -> pd.Timestamp:
    """Convert to a tz-aware UTC Timestamp, rejecting naive input with a fix-it message.

    Parameters
    ----------
    value : timestamp-like
        A pandas Timestamp, datetime or ISO string with an offset.
    name : str
        Parameter name for the error message.

    Returns
    -------
    pandas.Timestamp
        The instant, in UTC.

    Raises
    ------
    UsageError
        For a value that is not a time, a missing value or a timezone-naive one.
    """
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise UsageError(
            f"{name} must be a tz-aware timestamp (pandas.Timestamp, datetime or ISO string "
            f"with an offset), got {value!r}: {exc}"
        ) from exc
    if pd.isna(ts):
        raise UsageError(f"{name} is missing (NaT); give a tz-aware timestamp")
    if ts.tzinfo is None:
        raise UsageError(
            f"{name} is timezone-naive ({value!r}); give an offset such as "
            f"'2025-12-01T00:00-05:00' or localize it with .tz_localize('America/New_York')"
        )
    return ts.tz_convert("UTC")


def epoch_seconds(ts: pd.Timestamp) -> int:
    """Whole Unix epoch seconds of a tz-aware Timestamp [s] (fractions are floored)."""
    return int(ts.as_unit("ns").value // NS)


def grid_starts(start: pd.Timestamp, end: pd.Timestamp, resolution_s: int) -> np.ndarray:
    """Interval starts on the UTC-aligned grid of ``resolution_s``: first >= start, all < end.

    Parameters
    ----------
    start, end : pandas.Timestamp
        Tz-aware bounds of the half-open window.
    resolution_s : int
        Grid spacing [s].

    Returns
    -------
    numpy.ndarray
        Interval starts as Unix epoch seconds (int64) [s].
    """
    step = resolution_s * NS
    first = -(-start.as_unit("ns").value // step) * resolution_s
    last_excl = -(-end.as_unit("ns").value // step) * resolution_s
    return np.arange(first, last_excl, resolution_s, dtype=np.int64)
