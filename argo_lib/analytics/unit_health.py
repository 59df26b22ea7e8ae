"""Unit health of a site's channels over a period: coverage, gaps, outages, staleness, a rating.

:func:`unit_health` runs the channel exploration (:func:`argo_lib.analytics.explore.explore_channels`:
the readings on the expected interval grid, the sensor checks of
:func:`argo_lib.analytics.health.check_health`) and sums its issues per channel, grouped with
pandas (nothing loops over readings), into one row per channel (:data:`CHANNEL_COLUMNS`):

- ``coverage`` [-]: measured / expected intervals (the zeros a gateway writes during an outage are
  not readings);
- ``gaps`` and ``longest_gap_h``: runs of missing intervals (``missing_data``, ``no_data``);
- ``outage_hours`` and ``longest_outage_h``: zero-filled outages (issue type ``outage``);
- ``catch_up_readings``: readings after a gap or outage that carry the energy used during it;
- ``stuck_hours`` and ``longest_stuck_h``: runs of (near-)identical non-zero values;
- ``negative``, ``implausible`` and ``mismatch``: intervals with negative power, power above the
  channel's plausible maximum, or energy and power that disagree [count];
- ``min_kw``/``max_kw``: the range of the power readings as read [kW];
- ``last_reading`` (site-local interval start) and ``stale_hours`` [h] from the end of the last
  reading to ``as_of`` (default the period end; from the period start for a channel without
  readings; never below 0);
- ``rating`` (:data:`RATINGS`) and ``reasons`` (plain text), by the rules below.

Rating rules (first that applies):

- **red** if coverage < :data:`RED_COVERAGE`, or an outage or stuck run lasts
  :data:`RED_RUN_HOURS` or more, or the channel is stale :data:`RED_STALE_HOURS` or more;
- **amber** if coverage < :data:`AMBER_COVERAGE`, or any outage, catch-up reading, stuck run,
  negative, implausible or mismatched reading;
- **green** otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics.explore import explore_channels
from argo_lib.thresholds import HealthThresholds

__all__ = [
    "AMBER_COVERAGE",
    "CHANNEL_COLUMNS",
    "GAP_TYPES",
    "ISSUE_LIST_COLUMNS",
    "RATINGS",
    "RED_COVERAGE",
    "RED_RUN_HOURS",
    "RED_STALE_HOURS",
    "UnitHealth",
    "rate_channels",
    "unit_health",
]

RED_COVERAGE = 0.90
"""Coverage below which a channel is red [-]."""
AMBER_COVERAGE = 0.98
"""Coverage below which a channel is at least amber [-]."""
RED_RUN_HOURS = 24.0
"""An outage or stuck run this long or longer makes a channel red [h]."""
RED_STALE_HOURS = 48.0
"""A channel silent this long or longer before ``as_of`` (or the period end) is red [h]."""
RATINGS = ("green", "amber", "red")
"""The ratings, best first."""
GAP_TYPES = ("no_data", "missing_data")
"""Issue types counted as gaps (runs without a reading; outages are counted apart)."""

CHANNEL_COLUMNS = (
    "channel_id",
    "channel_name",
    "resolution_s",
    "coverage",
    "gaps",
    "longest_gap_h",
    "outage_hours",
    "longest_outage_h",
    "catch_up_readings",
    "stuck_hours",
    "longest_stuck_h",
    "negative",
    "implausible",
    "mismatch",
    "min_kw",
    "max_kw",
    "last_reading",
    "stale_hours",
    "rating",
    "reasons",
)
"""Columns of :attr:`UnitHealth.channels`."""

ISSUE_LIST_COLUMNS = (
    "type",
    "severity",
    "channel_id",
    "channel_name",
    "start",
    "end",
    "hours",
    "intervals",
    "description",
)
"""Columns of :attr:`UnitHealth.issues` (``start``/``end`` site-local)."""

_HOURS_EPS = 1e-9


@dataclass(frozen=True, eq=False)
class UnitHealth:
    """The health of a site's channels over a period (:func:`unit_health`).

    Attributes
    ----------
    period : dates.Period
        The period, half-open, site-local bounds.
    as_of : pandas.Timestamp
        What staleness is measured against (site-local).
    channels : pandas.DataFrame
        Columns :data:`CHANNEL_COLUMNS`, one row per channel, by channel id.
    issues : pandas.DataFrame
        Columns :data:`ISSUE_LIST_COLUMNS`: the health issues, named, local times, sorted by
        type order, channel and start.
    coverage : pandas.DataFrame
        Daily coverage [-]: index ``channel_id`` and ``channel_name``, one column per
        site-local date (as :attr:`argo_lib.analytics.explore.Exploration.coverage`).
    """

    period: dates.Period
    as_of: pd.Timestamp
    channels: pd.DataFrame
    issues: pd.DataFrame
    coverage: pd.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        """Channels per rating, every rating listed."""
        found = self.channels["rating"].value_counts()
        return {r: int(found.get(r, 0)) for r in RATINGS}


def _per_channel(issues: pd.DataFrame) -> pd.DataFrame:
    """Issue counts, summed and longest hours and summed intervals per channel and type."""
    start = pd.to_datetime(issues["start"], utc=True)
    end = pd.to_datetime(issues["end"], utc=True)
    frame = pd.DataFrame(
        {
            "channel_id": issues["channel_id"].to_numpy(dtype=np.int64),
            "type": issues["type"].to_numpy(dtype=object),
            "hours": ((end - start) / pd.Timedelta(hours=1)).to_numpy(dtype=float),
            "intervals": issues["intervals"].to_numpy(dtype=np.int64),
        }
    )
    frame["type"] = frame["type"].where(~frame["type"].isin(GAP_TYPES), "gap")
    stats = (
        frame.groupby(["channel_id", "type"])
        .agg(
            count=("hours", "size"),
            hours=("hours", "sum"),
            longest=("hours", "max"),
            intervals=("intervals", "sum"),
        )
        .reset_index()
    )
    # one row per channel and type, so the sum is the value itself
    return stats.pivot_table(
        index="channel_id",
        columns="type",
        values=["count", "hours", "longest", "intervals"],
        aggfunc="sum",
        fill_value=0,
    )


def _pick(stats: pd.DataFrame, ids: pd.Series, stat: str, kind: str) -> np.ndarray:
    """One statistic of one issue type per channel, in ``ids`` order (0 without such issues)."""
    if (stat, kind) not in stats.columns:
        return np.zeros(len(ids))
    return ids.map(stats[(stat, kind)]).fillna(0).to_numpy(dtype=float)


def rate_channels(channels: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """The rating and its reasons of each channel row (columns of :data:`CHANNEL_COLUMNS`).

    Returns
    -------
    rating : numpy.ndarray
        ``"green"``, ``"amber"`` or ``"red"`` per row, by the module's rules.
    reasons : list of str
        Per row, what made it red or amber ("" for green), "; "-separated.

    Examples
    --------
    >>> rows = pd.DataFrame({"coverage": [1.0, 0.95, 0.5], "outage_hours": 0.0,
    ...     "longest_outage_h": 0.0, "catch_up_readings": 0, "stuck_hours": 0.0,
    ...     "longest_stuck_h": 0.0, "negative": 0, "implausible": 0, "mismatch": 0,
    ...     "stale_hours": 0.0})
    >>> rate_channels(rows)[0].tolist()
    ['green', 'amber', 'red']
    """
    c = channels
    cov = c["coverage"].to_numpy(dtype=float)
    red_tests = [
        (cov < RED_COVERAGE, lambda r: f"coverage {r.coverage:.1%} < {RED_COVERAGE:.0%}"),
        (
            c["longest_outage_h"].to_numpy(dtype=float) >= RED_RUN_HOURS - _HOURS_EPS,
            lambda r: f"outage of {r.longest_outage_h:.1f} h (≥ {RED_RUN_HOURS:g} h)",
        ),
        (
            c["longest_stuck_h"].to_numpy(dtype=float) >= RED_RUN_HOURS - _HOURS_EPS,
            lambda r: f"stuck for {r.longest_stuck_h:.1f} h (≥ {RED_RUN_HOURS:g} h)",
        ),
        (
            c["stale_hours"].to_numpy(dtype=float) >= RED_STALE_HOURS - _HOURS_EPS,
            lambda r: f"no reading for {r.stale_hours:.1f} h (≥ {RED_STALE_HOURS:g} h)",
        ),
    ]
    amber_tests = [
        (
            (cov < AMBER_COVERAGE) & ~(cov < RED_COVERAGE),
            lambda r: f"coverage {r.coverage:.1%} < {AMBER_COVERAGE:.0%}",
        ),
        (
            (c["outage_hours"].to_numpy(dtype=float) > 0)
            & (c["longest_outage_h"].to_numpy(dtype=float) < RED_RUN_HOURS - _HOURS_EPS),
            lambda r: f"zero-filled outage of {r.outage_hours:.1f} h",
        ),
        (
            c["catch_up_readings"].to_numpy(dtype=float) > 0,
            lambda r: f"{int(r.catch_up_readings)} catch-up reading(s)",
        ),
        (
            (c["stuck_hours"].to_numpy(dtype=float) > 0)
            & (c["longest_stuck_h"].to_numpy(dtype=float) < RED_RUN_HOURS - _HOURS_EPS),
            lambda r: f"stuck for {r.stuck_hours:.1f} h",
        ),
        (c["negative"].to_numpy(dtype=float) > 0, lambda r: f"{int(r.negative)} negative"),
        (
            c["implausible"].to_numpy(dtype=float) > 0,
            lambda r: f"{int(r.implausible)} implausible",
        ),
        (
            c["mismatch"].to_numpy(dtype=float) > 0,
            lambda r: f"{int(r.mismatch)} energy/power mismatch",
        ),
    ]
    red = np.zeros(len(c), dtype=bool)
    for mask, _ in red_tests:  # four rules
        red |= mask
    amber = np.zeros(len(c), dtype=bool)
    for mask, _ in amber_tests:  # seven rules
        amber |= mask
    rating = np.where(red, "red", np.where(amber, "amber", "green")).astype(object)
    rows = list(c.itertuples(index=False))  # one per channel
    tests = [*red_tests, *amber_tests]
    reasons = [
        "; ".join(text(row) for mask, text in tests if mask[i]) for i, row in enumerate(rows)
    ]
    return rating, reasons


def _issue_list(issues: pd.DataFrame, *, tz: Any) -> pd.DataFrame:
    """The health issues with their length [h] and site-local bounds."""
    out = issues.copy()
    start = pd.to_datetime(out["start"], utc=True)
    end = pd.to_datetime(out["end"], utc=True)
    out["hours"] = ((end - start) / pd.Timedelta(hours=1)).astype(float)
    out["start"] = start.dt.tz_convert(tz)
    out["end"] = end.dt.tz_convert(tz)
    return out[list(ISSUE_LIST_COLUMNS)].reset_index(drop=True)


def unit_health(
    readings: pd.DataFrame,
    *,
    site: Any,
    period: dates.Period,
    channels: pd.DataFrame | None = None,
    thresholds: HealthThresholds | None = None,
    as_of: Any = None,
) -> UnitHealth:
    """Rate the health of each of a site's channels over a period.

    Parameters
    ----------
    readings : pandas.DataFrame
        Canonical long readings (``timestamp`` tz-aware interval start, ``channel_id``,
        ``energy_kwh`` [kWh], ``power_kw`` [kW]); readings outside ``period`` are ignored.
    site : config.SiteSettings
        Time zone, channels (names, roles, limits) and skipped channels.
    period : dates.Period
        The period, half-open ``[start, end)``.
    channels : pandas.DataFrame, optional
        Channel metadata, e.g. :func:`argo_lib.db.read_channels`.
    thresholds : HealthThresholds, optional
        Limits of the sensor checks; default the site's.
    as_of : datetime-like, optional
        Tz-aware time staleness is measured against; default the period end.

    Returns
    -------
    UnitHealth

    Raises
    ------
    ValueError
        If the readings are malformed (naive timestamps, missing columns).
    """
    tz = site.tz
    found = explore_channels(
        readings, site=site, period=period, channels=channels, thresholds=thresholds
    )
    reference = period.end if as_of is None else dates.ensure_aware(as_of, name="as_of")
    reference = pd.Timestamp(reference).tz_convert(tz)
    inv = found.inventory
    ids = inv["channel_id"].astype(np.int64)
    stats = _per_channel(found.issues)
    out = pd.DataFrame(
        {
            "channel_id": ids.to_numpy(),
            "channel_name": inv["channel_name"].astype(str).to_numpy(),
            "resolution_s": inv["resolution_s"].to_numpy(),
            "coverage": inv["coverage"].to_numpy(dtype=float),
            "gaps": _pick(stats, ids, "count", "gap").astype(np.int64),
            "longest_gap_h": _pick(stats, ids, "longest", "gap"),
            "outage_hours": _pick(stats, ids, "hours", "outage"),
            "longest_outage_h": _pick(stats, ids, "longest", "outage"),
            "catch_up_readings": _pick(stats, ids, "count", "catch_up_reading").astype(np.int64),
            "stuck_hours": _pick(stats, ids, "hours", "stuck_sensor"),
            "longest_stuck_h": _pick(stats, ids, "longest", "stuck_sensor"),
            "negative": _pick(stats, ids, "intervals", "negative_values").astype(np.int64),
            "implausible": _pick(stats, ids, "intervals", "implausible_values").astype(np.int64),
            "mismatch": _pick(stats, ids, "intervals", "energy_power_mismatch").astype(np.int64),
        }
    )
    inside = readings[period.contains(readings["timestamp"])]
    power = inside.groupby("channel_id")["power_kw"].agg(["min", "max"])
    out["min_kw"] = ids.map(power["min"]).to_numpy(dtype=float)
    out["max_kw"] = ids.map(power["max"]).to_numpy(dtype=float)
    last = pd.to_datetime(inv["last_reading"], utc=True).dt.tz_convert(tz)
    out["last_reading"] = pd.DatetimeIndex(last).tz_convert(tz)
    resolution = pd.to_timedelta(inv["resolution_s"].astype(float).fillna(0.0), unit="s")
    last_end = (last + resolution).fillna(period.start)
    stale = ((reference - last_end) / pd.Timedelta(hours=1)).to_numpy(dtype=float)
    out["stale_hours"] = np.maximum(stale, 0.0)
    rating, reasons = rate_channels(out)
    out["rating"] = rating
    out["reasons"] = reasons
    return UnitHealth(
        period=period,
        as_of=reference,
        channels=out[list(CHANNEL_COLUMNS)].sort_values("channel_id", ignore_index=True),
        issues=_issue_list(found.issues, tz=tz),
        coverage=found.coverage,
    )
