"""How complete a site's readings are, day by day: the check that follows an ingestion.

Coverage is the fraction of expected intervals present per channel and site-local day, each
channel at its own resolution; DST days expect 23 or 25 hours, and a partial first or last day
expects only its share.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.dates import Period, expected_index, local_date

__all__ = ["daily_coverage", "read_daily_coverage"]


def daily_coverage(
    readings: pd.DataFrame,
    *,
    period: Period,
    resolution_s: int,
    tz: str | ZoneInfo | None = None,
    channel_ids: Iterable[int] | None = None,
) -> pd.DataFrame:
    """Fraction of expected intervals present per channel and site-local day.

    Parameters
    ----------
    readings : pandas.DataFrame
        ``timestamp`` (tz-aware, interval start) and ``channel_id``.
    period : argo_lib.dates.Period
        The days to cover; partial first and last days expect only their share.
    resolution_s : int
        Interval length [s]; a DST day expects 23 or 25 hours of intervals.
    tz : str or zoneinfo.ZoneInfo, optional
        Site time zone; default the period's.
    channel_ids : iterable of int, optional
        Rows to show even without readings.

    Returns
    -------
    pandas.DataFrame
        Index ``channel_id``, one column per local ``date``, values ``coverage`` in [0, 1].

    Examples
    --------
    >>> day = Period(pd.Timestamp("2025-11-02", tz="America/New_York"),
    ...              pd.Timestamp("2025-11-03", tz="America/New_York"))
    >>> stamps = pd.date_range(day.start, periods=20, freq="h").tz_convert("UTC")
    >>> cov = daily_coverage(pd.DataFrame({"timestamp": stamps, "channel_id": 1}),
    ...                      period=day, resolution_s=3600)
    >>> round(float(cov.iloc[0, 0]), 3)  # 20 of the 25 hours of the fall-back day
    0.8
    """
    zone = tz or period.tz
    expected = expected_index(period, resolution_s=resolution_s)
    per_day = pd.Series(local_date(expected, tz=zone)).value_counts().sort_index()
    inside = readings.loc[period.contains(readings["timestamp"])]
    counts = pd.crosstab(
        inside["channel_id"].astype("int64").to_numpy(),
        local_date(inside["timestamp"], tz=zone) if len(inside) else np.array([], dtype=object),
    )
    rows = sorted(set(counts.index) | {int(c) for c in (channel_ids or ())})
    counts = counts.reindex(index=rows, columns=per_day.index, fill_value=0)
    coverage = (counts / per_day).clip(upper=1.0).astype("float64")
    coverage.index.name = "channel_id"
    coverage.columns.name = "date"
    return coverage


def read_daily_coverage(
    engine: Engine, *, site_id: str, period: Period, channel_ids: Iterable[int] | None = None
) -> pd.DataFrame:
    """Daily coverage of a site's stored readings, each channel at its own resolution.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    site_id : str
        The site.
    period : argo_lib.dates.Period
        Site-local period.
    channel_ids : iterable of int, optional
        Channels to show; default every energy channel with a resolution.

    Returns
    -------
    pandas.DataFrame
        As :func:`daily_coverage`, plus a ``channel_name`` index level.
    """
    channels = db.read_channels(engine, site_id=site_id)
    channels = channels[channels["resolution_s"].notna() & channels["is_energy"]]
    if channel_ids is not None:
        channels = channels[channels["channel_id"].isin([int(c) for c in channel_ids])]
    readings = db.read_readings(
        engine, site_id=site_id, period=period, channel_ids=channels["channel_id"], columns=()
    )
    parts = []
    for res, group in channels.groupby("resolution_s"):  # one per distinct resolution
        ids = group["channel_id"].tolist()
        parts.append(
            daily_coverage(
                readings[readings["channel_id"].isin(ids)],
                period=period,
                resolution_s=int(cast(float, res)),  # a group key: stubs type it as any scalar
                channel_ids=ids,
            )
        )
    if not parts:
        return pd.DataFrame(
            index=pd.MultiIndex.from_tuples([], names=["channel_id", "channel_name"])
        )
    coverage = pd.concat(parts).sort_index()
    names = channels.set_index("channel_id")["name"].reindex(coverage.index)
    coverage.index = pd.MultiIndex.from_arrays(
        [coverage.index, names.to_numpy()], names=["channel_id", "channel_name"]
    )
    return coverage
