"""What a sync will fetch, decided before any request: period, windows, channels and pacing.

Pure functions of the site settings, the channel metadata and the clock (API spec section 7):
the requested period in site-local time, its cut into windows of whole site-local days (23 or
25 hours on DST days), which channels are energy meters (from their metadata or the site file's
``skip_channels``), which of them a run syncs, and how hard it may push the API (a
:class:`SyncProfile`).

Examples
--------
>>> resolve_profile("fast").window_days
31
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from argo_lib.config import SiteSettings
from argo_lib.dates import Period
from argo_lib.errors import UsageError

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_OVERLAP_H",
    "SYNC_PROFILES",
    "SyncProfile",
    "classify_channels",
    "plan_windows",
    "resolve_period",
    "resolve_profile",
    "resolve_zone",
    "select_channels",
]

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 90
"""Days back from today (site-local) that a sync covers when no start is given [d]."""

DEFAULT_OVERLAP_H = 48.0
"""Each sync re-fetches this much before a channel's last stored reading (late data) [h]."""

_NON_ENERGY = re.compile(
    r"virtual|air\s*(?:sense|quality)|sensor|temperature|humidity|co2|gas|water", re.IGNORECASE
)


@dataclass(frozen=True, kw_only=True)
class SyncProfile:
    """How hard a sync may push the API.

    Attributes
    ----------
    name : str
        ``"polite"`` or ``"fast"``.
    window_days : int
        Site-local days per readings request [d].
    max_concurrency : int
        Requests in flight at once.
    min_interval_s : float
        Minimum time between request starts, for the whole client [s].
    """

    name: str
    window_days: int = 1
    max_concurrency: int = 1
    min_interval_s: float = 1.0

    def client_options(self) -> dict[str, Any]:
        """Options of :class:`argo_lib.eniscope.EniscopeConfig` for this profile.

        Returns
        -------
        dict
            ``min_interval_s``, ``max_concurrency`` and ``max_window_s`` (long enough for one
            window of this profile, never under the client's 7-day default).
        """
        return {
            "min_interval_s": self.min_interval_s,
            "max_concurrency": self.max_concurrency,
            "max_window_s": max(7, self.window_days) * 86_400,
        }


SYNC_PROFILES: dict[str, SyncProfile] = {
    "polite": SyncProfile(name="polite"),
    "fast": SyncProfile(name="fast", window_days=31, max_concurrency=4, min_interval_s=0.0),
}
"""``polite``: the defaults for the production API (sequential, 1 request/s, one site-local day
per request; API spec section 7). ``fast``: for the local fake server and benchmarks (31-day
windows, 4 concurrent requests, no pause)."""


def resolve_profile(profile: str | SyncProfile) -> SyncProfile:
    """A sync profile by name (see :data:`SYNC_PROFILES`), or the profile itself.

    Raises
    ------
    UsageError
        For an unknown name (the message lists the known ones).
    """
    if isinstance(profile, SyncProfile):
        return profile
    try:
        return SYNC_PROFILES[str(profile)]
    except KeyError:
        raise UsageError(
            f"unknown sync profile {profile!r}; choose from {sorted(SYNC_PROFILES)}"
        ) from None


def resolve_zone(tz: str | ZoneInfo) -> ZoneInfo:
    """A time zone from its IANA name (or the zone itself).

    Raises
    ------
    UsageError
        For an unknown name.
    """
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise UsageError(
            f"time zone {tz!r} is unknown; use an IANA name such as America/New_York"
        ) from None


def _midnight(day: date, tz: ZoneInfo) -> pd.Timestamp:
    return pd.Timestamp(day).tz_localize(tz)


def _aware(value: Any, *, name: str, tz: ZoneInfo) -> pd.Timestamp:
    """A bound: an aware time, or a date (string) meaning that site-local midnight."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return _midnight(value, tz)
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        return _midnight(date.fromisoformat(value.strip()), tz)
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise UsageError(
            f"{name}={value!r} is not a time; give a site-local date such as 2025-12-01 or an "
            "ISO time with its offset such as 2025-12-01T00:00:00-05:00"
        ) from None
    if ts.tzinfo is None:
        raise UsageError(
            f"{name}={value!r} is timezone-naive; give a date (2025-12-01, site-local midnight) "
            f"or a time with its offset, e.g. {ts.isoformat()}-05:00"
        )
    return ts


def resolve_period(
    *, tz: ZoneInfo, days: int | None, start: Any, end: Any, now: pd.Timestamp
) -> Period:
    """The period a run covers, in site-local time.

    Parameters
    ----------
    tz : zoneinfo.ZoneInfo
        Site time zone.
    days : int or None
        Without ``start``: the period begins at site-local midnight ``days`` days before
        ``end`` (default :data:`DEFAULT_DAYS`) [d].
    start, end : datetime-like, ISO date string or None
        Bounds; a date means site-local midnight; ``end`` None means ``now``.
    now : pandas.Timestamp
        The current time (tz-aware).

    Returns
    -------
    argo_lib.dates.Period
        ``[start, end)`` in the site's zone.

    Raises
    ------
    UsageError
        For a value that is not a time, a naive time, ``days`` < 1 or an empty period.
    """
    end_ts = now if end is None else _aware(end, name="end", tz=tz)
    if start is not None:
        start_ts = _aware(start, name="start", tz=tz)
    else:
        n = DEFAULT_DAYS if days is None else int(days)
        if n < 1:
            raise UsageError(f"days must be at least 1, got {days}")
        today = end_ts.tz_convert(tz).date()
        start_ts = _midnight(today - timedelta(days=n), tz)
    if not start_ts < end_ts:
        raise UsageError(
            f"the period is empty: start {start_ts} is not before end {end_ts}; periods are "
            "half-open [start, end)"
        )
    return Period(start_ts.tz_convert(tz), end_ts.tz_convert(tz))


def plan_windows(
    start: pd.Timestamp, end: pd.Timestamp, *, tz: str | ZoneInfo, window_days: int = 1
) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Cut ``[start, end)`` into windows that end on site-local midnights.

    Parameters
    ----------
    start, end : pandas.Timestamp
        Tz-aware bounds.
    tz : str or zoneinfo.ZoneInfo
        Site time zone; windows follow its calendar (23 or 25 h on DST days).
    window_days : int
        Local days per window [d]; the first window runs to the first boundary after ``start``.

    Returns
    -------
    list of (pandas.Timestamp, pandas.Timestamp)
        Half-open UTC windows covering ``[start, end)`` without gap or overlap.

    Examples
    --------
    >>> w = plan_windows(pd.Timestamp("2025-11-01 12:00", tz="America/New_York"),
    ...                  pd.Timestamp("2025-11-04", tz="America/New_York"),
    ...                  tz="America/New_York")
    >>> [(b - a) / pd.Timedelta(hours=1) for a, b in w]
    [12.0, 25.0, 24.0]
    """
    zone = resolve_zone(tz)
    if window_days < 1:
        raise UsageError(f"window_days must be at least 1, got {window_days}")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start.tzinfo is None or end.tzinfo is None:
        raise UsageError("plan_windows needs tz-aware start and end")
    start, end = start.tz_convert("UTC"), end.tz_convert("UTC")
    windows: list[tuple[pd.Timestamp, pd.Timestamp]] = []
    day = start.tz_convert(zone).date()
    cursor = start
    while cursor < end:  # one iteration per window, not per reading
        day = day + timedelta(days=window_days)
        bound = min(_midnight(day, zone).tz_convert("UTC"), end)
        if bound > cursor:
            windows.append((cursor, bound))
            cursor = bound
    return windows


def classify_channels(channels: pd.DataFrame, *, skip_channels: Iterable[int] = ()) -> pd.Series:
    """Tell energy meters from other channels by their metadata, or by configuration.

    Parameters
    ----------
    channels : pandas.DataFrame
        Parsed channel records (:func:`argo_lib.eniscope.parse_channels`): ``channel_id`` and,
        where known, ``data_type`` and ``device_type_name``.
    skip_channels : iterable of int
        Channels configured as non-energy (the site file's ``skip_channels``).

    Returns
    -------
    pandas.Series
        Boolean, aligned with ``channels``: False for configured channels and for channels whose
        data type or device type names a non-energy kind (``virtual``, ``air quality``,
        ``Air Sense``, ``sensor``, ``temperature``, ``humidity``, ``CO2``, ``gas``, ``water``).

    Examples
    --------
    >>> frame = pd.DataFrame({"channel_id": [1, 2, 3],
    ...                       "data_type": ["grid meter", "virtual", "grid meter"],
    ...                       "device_type_name": ["Eniscope 8 Hybrid Metering Point", "", ""]})
    >>> classify_channels(frame, skip_channels=[3]).tolist()
    [True, False, False]
    """
    text = pd.Series("", index=channels.index, dtype="str")
    for column in ("data_type", "device_type_name"):
        if column in channels.columns:
            text = text + " " + channels[column].astype("str").fillna("")
    by_metadata = text.str.contains(_NON_ENERGY, regex=True)
    configured = channels["channel_id"].astype("int64").isin([int(c) for c in skip_channels])
    return ~(by_metadata | configured)


def select_channels(
    channels: pd.DataFrame, site: SiteSettings, requested: Iterable[int] | None
) -> tuple[list[int], list[int]]:
    """The channels a run syncs, and the requested ones it skips as non-energy.

    Parameters
    ----------
    channels : pandas.DataFrame
        The site's channels from the metadata sync: ``channel_id`` and ``is_energy``.
    site : SiteSettings
        Its ``channels`` are the default selection (all energy channels when it lists none).
    requested : iterable of int or None
        Channels asked for explicitly.

    Returns
    -------
    tuple of (list of int, list of int)
        Channels to sync, and requested channels skipped because they are not energy meters.

    Raises
    ------
    UsageError
        If a requested channel is not a channel of the site.
    """
    energy = set(channels.loc[channels["is_energy"], "channel_id"].astype(int))
    known = set(channels["channel_id"].astype(int))
    if requested is not None:
        wanted = list(dict.fromkeys(int(c) for c in requested))
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise UsageError(
                f"channels {unknown} are not channels of site {site.site_id}; its channels are "
                f"{sorted(known)}"
            )
    elif site.channels:
        wanted = [c.channel_id for c in site.channels if c.channel_id in known]
        missing = [c.channel_id for c in site.channels if c.channel_id not in known]
        if missing:
            logger.warning(
                "channels %s of the site file are not in Eniscope's channel list", missing
            )
    else:
        wanted = sorted(energy)
    return [c for c in wanted if c in energy], [c for c in wanted if c not in energy]
