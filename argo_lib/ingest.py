"""Ingestion: sync Eniscope channels into the database, and import readings from CSV files.

:func:`sync_site` is the pipeline behind ``argo ingest`` (API spec sections 6 to 8):

1. **Metadata first.** The organization, the devices (taken from the channel records) and every
   channel of the site are upserted. Channels that are not energy meters are recognised from
   their metadata (``dataType``/``deviceTypeName`` such as ``virtual`` or ``air quality``) or
   from the site file's ``skip_channels``; they are never requested for readings.
2. **Incremental windows.** Each channel is fetched from its last stored reading minus an
   overlap (Eniscope data arrives late; default 48 h), floored to site-local midnight and never
   before the requested period; a channel without readings starts at the period start. The
   range is cut into windows of whole site-local days, fetched with a bounded number of
   concurrent requests (the client's ``max_concurrency``).
3. **Validation before writing.** Values outside the ranges of
   :data:`argo_lib.fields.READING_FIELDS` (negative energy, power over 5000 kW, voltage outside
   [50, 600] V, ...) and timestamps more than one interval in the future keep their row out of
   the readings table; non-numeric values become NULL. Every such value is written to the
   rejected-readings table with its raw value and reason (once, however often it is re-fetched).
   NULL stays NULL; duplicate records collapse (the last one wins).
4. **Written per channel-window, in order.** A channel's windows are written in time order, and
   a channel stops at its first failed window. The stored data of a channel therefore never has
   a hole before its last reading, so a run killed at any moment and then repeated re-fetches
   exactly what is missing: upserts are idempotent, rejected values are only recorded once.
5. **Logged.** Every run writes an ingestion-run row (``ok``/``partial``/``failed``, counts and
   an error summary without secrets) and one row per channel-window. One failing channel does
   not stop the others.

:func:`import_csv` loads a long table (``timestamp, channel_id, channel_name, power_kw,
energy_kwh, ...``) or a wide one (``timestamp`` plus one column per channel with the unit in the
header, e.g. ``162285 Kitchen [kW]``) through the same validation. :func:`run_ingest` runs either
from the parameters of the ingest notebook or the command line, including against the local
fake Eniscope server.
"""

from __future__ import annotations

import contextlib
import csv
import difflib
import logging
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.config import Settings, SiteSettings, get_settings, load_site
from argo_lib.dates import Period, expected_index, local_date
from argo_lib.eniscope import (
    DEFAULT_FIELD_CODES,
    FATAL_ERRORS,
    REJECTED_COLUMNS,
    RESOLUTIONS,
    ChannelSkippedError,
    EniscopeClient,
    EniscopeError,
    InvalidParameterError,
    ReadingsResult,
    empty_rejected,
)
from argo_lib.fields import READING_COLUMNS, READING_FIELDS

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_OVERLAP_H",
    "FAKE_SEED",
    "SYNC_PROFILES",
    "CsvError",
    "CsvReadings",
    "IngestResult",
    "IngestRun",
    "SyncProfile",
    "classify_channels",
    "daily_coverage",
    "fake_server",
    "import_csv",
    "import_weather_csv",
    "read_weather_csv",
    "make_client",
    "plan_windows",
    "read_csv_readings",
    "read_daily_coverage",
    "run_ingest",
    "sync_site",
    "validate_readings",
]

logger = logging.getLogger(__name__)

DEFAULT_DAYS = 90
"""Days back from today (site-local) that a sync covers when no start is given [d]."""

DEFAULT_OVERLAP_H = 48.0
"""Each sync re-fetches this much before a channel's last stored reading (late data) [h]."""

FAKE_SEED = 7
"""Simulator seed of the local fake server when ingest runs against it: the demo's seed, so a
fake sync into the demo database agrees with the demo's data."""

_NON_ENERGY = re.compile(
    r"virtual|air\s*(?:sense|quality)|sensor|temperature|humidity|co2|gas|water", re.IGNORECASE
)
_CHANNEL_SUMMARY_COLUMNS = (
    "channel_id",
    "channel_name",
    "status",
    "resolution_s",
    "fetch_start",
    "fetch_end",
    "windows",
    "received",
    "written",
    "rejected",
    "error",
)
_LOG_FLUSH_WINDOWS = 64


# --------------------------------------------------------------------------------------------
# Settings and results
# --------------------------------------------------------------------------------------------


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


@dataclass(frozen=True, repr=False)
class IngestResult:
    """What one ingestion run did (a sync or a CSV import).

    Attributes
    ----------
    run_id : int
        The ``ingestion_runs`` row.
    site_id : str
        The site.
    source : str
        ``"eniscope"``, ``"fake-eniscope"`` or ``"csv:<file name>"``.
    status : {"ok", "partial", "failed"}
        ``partial`` when some channels failed; ``failed`` when all did or the run could not go on.
    period : argo_lib.dates.Period
        The requested period, site-local.
    channels : pandas.DataFrame
        One row per channel: ``channel_id``, ``channel_name``, ``status`` (``ok``, ``no_data``,
        ``failed``, ``skipped``), ``resolution_s`` [s], ``fetch_start``/``fetch_end`` (UTC,
        what was requested), ``windows``, ``received``, ``written``, ``rejected`` (counts) and
        ``error``.
    windows : pandas.DataFrame
        The channel-window log of the run (as in ``ingestion_windows``).
    rejected : pandas.DataFrame
        Values rejected in this run: ``channel_id``, ``timestamp``, ``field``, ``raw_value``,
        ``reason``.
    error : str or None
        Error summary (no secrets).
    elapsed_s : float
        Wall time [s].
    requests : int
        HTTP requests spent (retries included); 0 for a CSV import.
    """

    run_id: int
    site_id: str
    source: str
    status: Literal["ok", "partial", "failed"]
    period: Period
    channels: pd.DataFrame
    windows: pd.DataFrame
    rejected: pd.DataFrame
    error: str | None
    elapsed_s: float
    requests: int = 0

    @property
    def rows_received(self) -> int:
        """Records received from the source."""
        return int(self.channels["received"].sum()) if len(self.channels) else 0

    @property
    def rows_written(self) -> int:
        """Readings written (inserted or updated)."""
        return int(self.channels["written"].sum()) if len(self.channels) else 0

    @property
    def rows_rejected(self) -> int:
        """Rejected values (rows kept out, and values stored as NULL)."""
        return len(self.rejected)

    @property
    def exit_code(self) -> int:
        """0 when the run is ``ok``, else 1 (the command line's exit status)."""
        return 0 if self.status == "ok" else 1

    def summary(self) -> str:
        """Plain-text report for terminals and logs.

        Returns
        -------
        str
            A headline with the counts, then the per-channel table.
        """
        rate = self.rows_written / self.elapsed_s if self.elapsed_s > 0 else float("nan")
        lines = [
            f"ingestion run {self.run_id} ({self.source}) for site {self.site_id}: "
            f"{self.status}; period [{self.period.start:%Y-%m-%d %H:%M}, "
            f"{self.period.end:%Y-%m-%d %H:%M}) {self.period.start.tz}",
            f"{self.rows_received:,} rows received, {self.rows_written:,} written, "
            f"{self.rows_rejected:,} values rejected, {self.requests:,} requests, "
            f"{self.elapsed_s:.1f} s ({rate:,.0f} rows/s)",
        ]
        if self.error:
            lines.append(f"error: {self.error}")
        if len(self.channels):
            table = self.channels.copy()
            for column in ("fetch_start", "fetch_end"):
                table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M")
            table["error"] = table["error"].fillna("").str.slice(0, 60)
            lines += ["", table.to_string(index=False)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"IngestResult(run_id={self.run_id}, site_id={self.site_id!r}, "
            f"source={self.source!r}, status={self.status!r}, channels={len(self.channels)}, "
            f"received={self.rows_received}, written={self.rows_written}, "
            f"rejected={self.rows_rejected}, elapsed_s={self.elapsed_s:.1f})"
        )


# --------------------------------------------------------------------------------------------
# Pure helpers: periods, windows, channel classes, validation
# --------------------------------------------------------------------------------------------


def _zone(tz: str | ZoneInfo) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
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
        raise ValueError(
            f"{name}={value!r} is not a time; give a site-local date such as 2025-12-01 or an "
            "ISO time with its offset such as 2025-12-01T00:00:00-05:00"
        ) from None
    if ts.tzinfo is None:
        raise ValueError(
            f"{name}={value!r} is timezone-naive; give a date (2025-12-01, site-local midnight) "
            f"or a time with its offset, e.g. {ts.isoformat()}-05:00"
        )
    return ts


def _resolve_period(
    *, tz: ZoneInfo, days: int | None, start: Any, end: Any, now: pd.Timestamp
) -> Period:
    end_ts = now if end is None else _aware(end, name="end", tz=tz)
    if start is not None:
        start_ts = _aware(start, name="start", tz=tz)
    else:
        n = DEFAULT_DAYS if days is None else int(days)
        if n < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        today = end_ts.tz_convert(tz).date()
        start_ts = _midnight(today - timedelta(days=n), tz)
    if not start_ts < end_ts:
        raise ValueError(
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
    zone = _zone(tz)
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, got {window_days}")
    start, end = pd.Timestamp(start), pd.Timestamp(end)
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("plan_windows needs tz-aware start and end")
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


def _concat_rejected(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    empty = empty_rejected()
    parts = [p[list(REJECTED_COLUMNS)] for p in parts if len(p)]
    if not parts:
        return empty
    out = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True).astype("datetime64[us, UTC]")
    return out.astype({"channel_id": "int64", "field": "str", "raw_value": "str", "reason": "str"})


def validate_readings(
    readings: pd.DataFrame, *, now: Any = None, resolution_s: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep out readings with impossible values (API spec section 8), recording why.

    A row is kept out of the readings table when any value lies outside the valid range of its
    field in :data:`argo_lib.fields.READING_FIELDS` (energy < 0; power < 0 or > 5000 kW; voltage
    outside [50, 600] V; power factor outside [-1, 1]; frequency outside [55, 65] Hz; THD outside
    [0, 500] %; neutral current < 0), or when its timestamp is later than ``now`` plus one
    interval. NaN (NULL) is never a reason: missing stays missing.

    Parameters
    ----------
    readings : pandas.DataFrame
        Canonical long readings: ``timestamp`` (tz-aware, interval start), ``channel_id`` and
        value columns in project units.
    now : datetime-like, optional
        The current time (tz-aware); None skips the future check.
    resolution_s : int, optional
        Interval length [s] for the future check; default 0.

    Returns
    -------
    kept : pandas.DataFrame
        The valid rows, same columns, duplicates on (``channel_id``, ``timestamp``) collapsed
        (the last wins).
    rejected : pandas.DataFrame
        One row per offending value: ``channel_id``, ``timestamp``, ``field`` (column name),
        ``raw_value`` (the value in the project unit, as text) and ``reason``.

    Examples
    --------
    >>> frame = pd.DataFrame({"timestamp": pd.to_datetime([0, 3600], unit="s", utc=True),
    ...                       "channel_id": 1, "energy_kwh": [1.5, -0.2], "power_kw": [1.5, None]})
    >>> kept, rejected = validate_readings(frame)
    >>> len(kept), rejected.loc[0, "reason"]
    (1, 'energy_kwh outside [0, inf] kWh; row kept out')
    """
    readings = readings.drop_duplicates(["channel_id", "timestamp"], keep="last")
    bad_row = np.zeros(len(readings), dtype=bool)
    parts = []
    for spec in READING_FIELDS:  # one vectorised check per field
        if spec.column not in readings.columns or (spec.low is None and spec.high is None):
            continue
        values = pd.to_numeric(readings[spec.column], errors="coerce").to_numpy(dtype="float64")
        out = np.zeros(len(values), dtype=bool)
        if spec.low is not None:
            out |= values < spec.low
        if spec.high is not None:
            out |= values > spec.high
        if out.any():
            parts.append(
                pd.DataFrame(
                    {
                        "channel_id": readings["channel_id"].to_numpy()[out],
                        "timestamp": readings["timestamp"].to_numpy()[out],
                        "field": spec.column,
                        "raw_value": pd.Series(values[out]).astype("str").to_numpy(),
                        "reason": f"{spec.out_of_range_reason()}; row kept out",
                    }
                )
            )
            bad_row |= out
    if now is not None and len(readings):
        limit = pd.Timestamp(now).tz_convert("UTC") + pd.Timedelta(seconds=resolution_s or 0)
        future = (readings["timestamp"] > limit).to_numpy()
        if future.any():
            stamps = readings["timestamp"][future]
            parts.append(
                pd.DataFrame(
                    {
                        "channel_id": readings["channel_id"].to_numpy()[future],
                        "timestamp": stamps.to_numpy(),
                        "field": "timestamp",
                        "raw_value": stamps.dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy(),
                        "reason": "timestamp more than one interval in the future; row kept out",
                    }
                )
            )
            bad_row |= future
    return readings.loc[~bad_row], _concat_rejected(parts)


def _rejected_keys(frame: pd.DataFrame) -> pd.DataFrame:
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    seconds = (ts.astype("datetime64[us, UTC]").array.asi8 // 1_000_000).astype("int64")
    seconds = np.where(ts.isna().to_numpy(), -1, seconds)
    return pd.DataFrame(
        {
            "channel_id": frame["channel_id"].astype("int64").to_numpy(),
            "ts": seconds,
            "field": frame["field"].astype("str").to_numpy(),
            "raw_value": frame["raw_value"].astype("str").fillna("").to_numpy(),
            "reason": frame["reason"].astype("str").to_numpy(),
        }
    )


class _RejectedLedger:
    """Rejected values already stored, so a re-fetched window does not record them twice."""

    def __init__(self, stored: pd.DataFrame) -> None:
        self._known = (
            _rejected_keys(stored).drop_duplicates()
            if len(stored)
            else _rejected_keys(empty_rejected())
        )

    def new(self, batch: pd.DataFrame) -> pd.DataFrame:
        if batch.empty:
            return batch
        keys = _rejected_keys(batch)
        merged = keys.merge(self._known, how="left", indicator=True)
        fresh = batch.loc[(merged["_merge"] == "left_only").to_numpy()]
        return fresh

    def add(self, batch: pd.DataFrame) -> None:
        if len(batch):
            self._known = pd.concat([self._known, _rejected_keys(batch)]).drop_duplicates()


def _write_rejected(
    engine: Engine, ledger: _RejectedLedger, rejected: pd.DataFrame, run_id: int
) -> None:
    fresh = ledger.new(rejected)
    if len(fresh):
        db.write_rejected(engine, fresh, run_id=run_id)
        ledger.add(fresh)


# --------------------------------------------------------------------------------------------
# Clients and the fake server
# --------------------------------------------------------------------------------------------


def make_client(
    settings: Settings | None = None,
    *,
    profile: str | SyncProfile = "polite",
    skip_channels: Iterable[int] | None = None,
    **options: Any,
) -> EniscopeClient:
    """An Eniscope client configured from the settings (credentials come from the environment).

    Parameters
    ----------
    settings : argo_lib.config.Settings, optional
        Default :func:`argo_lib.config.get_settings`.
    profile : str or SyncProfile
        ``"polite"`` (production defaults) or ``"fast"``; see :data:`SYNC_PROFILES`.
    skip_channels : iterable of int, optional
        Channels never requested; default the client's list.
    **options
        Any other :class:`argo_lib.eniscope.EniscopeConfig` field; wins over the profile.

    Returns
    -------
    argo_lib.eniscope.EniscopeClient

    Raises
    ------
    argo_lib.eniscope.EniscopeConfigError
        If a credential is missing (the message names the variable to set).
    """
    chosen = _profile(profile)
    merged = {**chosen.client_options(), **options}
    if skip_channels is not None:
        merged["skip_channels"] = frozenset(int(c) for c in skip_channels)
    return EniscopeClient.from_settings(settings or get_settings(), **merged)


def _profile(profile: str | SyncProfile) -> SyncProfile:
    if isinstance(profile, SyncProfile):
        return profile
    try:
        return SYNC_PROFILES[str(profile)]
    except KeyError:
        raise ValueError(
            f"unknown sync profile {profile!r}; choose from {sorted(SYNC_PROFILES)}"
        ) from None


@contextlib.contextmanager
def fake_server(
    *, now: Any = None, seed: int = FAKE_SEED, site_faults: Sequence[Any] | None = None, **kwargs
) -> Iterator[Settings]:
    """Run the local fake Eniscope server; yield settings that point a client at it.

    Parameters
    ----------
    now : datetime-like, optional
        The fake's frozen "now" (tz-aware); default the real time when it starts.
    seed : int
        Simulator seed; default :data:`FAKE_SEED` (the demo's).
    site_faults : sequence of argo_lib.simulate.Fault, optional
        Data faults of the simulated site; default the demo's faults in the last complete
        week before ``now``, so that the fake serves what the demo database holds.
    **kwargs
        Other :class:`argo_lib.fake_eniscope.FakeEniscope` options (``faults``, ``lag_s``...).

    Yields
    ------
    argo_lib.config.Settings
        Only the Eniscope fields are set: the fake's URL and its public test credentials.
    """
    from argo_lib import demo, fake_eniscope
    from argo_lib.dates import report_week

    clock = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if clock.tzinfo is None:
        raise ValueError(f"now={now!r} is timezone-naive; give a zone, e.g. 2025-12-08T12:00Z")
    if site_faults is None:
        week = report_week("last", tz=fake_eniscope.SITE_TIMEZONE, as_of=clock)
        site_faults = demo.demo_faults(week)
    fake = fake_eniscope.FakeEniscope(clock=clock, seed=seed, site_faults=site_faults, **kwargs)
    with fake as url:
        yield Settings(
            eniscope_api_url=url,
            eniscope_api_key=fake_eniscope.DEFAULT_API_KEY,
            eniscope_email=fake_eniscope.DEFAULT_EMAIL,
            eniscope_password=fake_eniscope.DEFAULT_PASSWORD,
        )


# --------------------------------------------------------------------------------------------
# Sync
# --------------------------------------------------------------------------------------------


def _site(site: SiteSettings | str | int) -> SiteSettings:
    return site if isinstance(site, SiteSettings) else load_site(str(site))


def _summarise_error(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__


def _sync_metadata(engine: Engine, client: EniscopeClient, site: SiteSettings) -> pd.DataFrame:
    """Upsert site, devices and channels; return the parsed channels with ``is_energy``."""
    organizations = client.login()
    match = organizations[organizations["organization_id"] == int(site.site_id)]
    if match.empty:
        visible = organizations["organization_id"].astype("str").tolist()[:10]
        raise EniscopeError(
            f"organization {site.site_id} is not visible to this Eniscope account (it sees "
            f"{visible}); check site_id in {site.source_file or 'the site file'} and the "
            "account's access"
        )
    org = match.iloc[0]
    if isinstance(org.get("timezone"), str) and org["timezone"] != site.timezone:
        logger.warning(
            "Eniscope says site %s is in %s, the site file says %s; using the site file",
            site.site_id,
            org["timezone"],
            site.timezone,
        )

    def pick(configured: Any, key: str) -> Any:
        value = org.get(key)
        return configured if configured is not None or pd.isna(value) else value

    db.upsert_site(
        engine,
        {
            "site_id": site.site_id,
            "name": site.name,
            "timezone": site.timezone,
            "address": pick(site.address, "address1"),
            "city": pick(site.city, "city"),
            "country": pick(site.country, "country"),
            "currency": pick(None, "currency_code") or site.tariff.currency,
        },
        parent_id=None if pd.isna(org.get("parent_id")) else str(org["parent_id"]),
    )
    channels = client.get_channels(organization=site.site_id)
    channels["is_energy"] = classify_channels(channels, skip_channels=site.skip_channels)
    if channels.empty:
        return channels
    devices = channels.dropna(subset=["device_id"]).drop_duplicates("device_id", keep="first")
    if len(devices):
        db.upsert_devices(
            engine,
            pd.DataFrame(
                {
                    "device_id": devices["device_id"].astype("int64"),
                    "site_id": site.site_id,
                    "name": devices["device_name"],
                    "uuid": devices["uuid"],
                    "device_type": devices["device_type_name"],
                    "status": devices["status"].astype("str"),
                    "registered_at": devices["registered"],
                    "expires_at": devices["expires"],
                }
            ),
        )
    roles = {c.channel_id: c.role for c in site.channels}
    names = channels["channel_name"].fillna("channel " + channels["channel_id"].astype("str"))
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": channels["channel_id"],
                "site_id": site.site_id,
                "name": names,
                "device_id": channels["device_id"],
                "device_name": channels["device_name"],
                "device_type": channels["device_type_name"],
                "data_type": channels["data_type"],
                "uuid": channels["uuid"],
                "role": channels["channel_id"].map(roles).fillna("sub"),
                "is_energy": channels["is_energy"].astype(bool),
                "active": channels["status"].fillna(1).eq(1).astype(bool),
            }
        ),
    )
    return channels.assign(channel_name=names)


def _select_channels(
    channels: pd.DataFrame, site: SiteSettings, requested: Iterable[int] | None
) -> tuple[list[int], list[int]]:
    """Return (channels to sync, requested channels skipped as non-energy)."""
    energy = set(channels.loc[channels["is_energy"], "channel_id"].astype(int))
    known = set(channels["channel_id"].astype(int))
    if requested is not None:
        wanted = list(dict.fromkeys(int(c) for c in requested))
        unknown = [c for c in wanted if c not in known]
        if unknown:
            raise ValueError(
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


@dataclass
class _ChannelState:
    channel_id: int
    name: str
    resolution_s: int | None
    fetch_start: pd.Timestamp | None = None
    fetch_end: pd.Timestamp | None = None
    windows: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)
    next_index: int = 0
    status: str = "ok"
    received: int = 0
    written: int = 0
    rejected: int = 0
    done_windows: int = 0
    any_data: bool = False
    error: str | None = None

    @property
    def stopped(self) -> bool:
        return self.status in ("failed", "skipped")


def _fetch(
    client: EniscopeClient,
    channel_id: int,
    window: tuple[pd.Timestamp, pd.Timestamp],
    resolution_s: int,
    fields: Sequence[str],
) -> ReadingsResult | EniscopeError:
    try:
        return client.get_readings(
            channel_id, start=window[0], end=window[1], resolution_s=resolution_s, fields=fields
        )
    except EniscopeError as exc:
        return exc


class _Sync:
    """One sync run: state shared by the steps of :func:`sync_site`."""

    def __init__(
        self,
        engine: Engine,
        client: EniscopeClient,
        site: SiteSettings,
        *,
        run_id: int,
        now: pd.Timestamp,
        fields: Sequence[str],
        on_window: Callable[[str, int, pd.Timestamp, pd.Timestamp], None] | None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.site = site
        self.run_id = run_id
        self.now = now
        self.fields = tuple(fields)
        self.on_window = on_window
        self.states: dict[int, _ChannelState] = {}
        self.log: list[dict[str, Any]] = []
        self.unflushed: list[dict[str, Any]] = []
        self.rejected: list[pd.DataFrame] = []
        self.ledger = _RejectedLedger(db.read_rejected(engine, site_id=site.site_id))

    def hook(self, stage: str, state: _ChannelState, window: tuple) -> None:
        if self.on_window is not None:
            self.on_window(stage, state.channel_id, window[0], window[1])

    def record(self, state: _ChannelState, window: tuple, **values: Any) -> None:
        row = {"channel_id": state.channel_id, "window_start": window[0], "window_end": window[1]}
        row |= {"fetched": 0, "inserted": 0, "rejected": 0, "error": None} | values
        self.log.append(row)
        self.unflushed.append(row)
        if len(self.unflushed) >= _LOG_FLUSH_WINDOWS:
            self.flush()

    def flush(self) -> None:
        if self.unflushed:
            frame = pd.DataFrame(self.unflushed, columns=list(db.WINDOW_COLUMNS))
            db.write_windows(self.engine, self.run_id, frame)
            self.unflushed = []

    def store(
        self, state: _ChannelState, window: tuple, outcome: ReadingsResult | EniscopeError
    ) -> None:
        """Validate and write one fetched window (rejected values first, then readings)."""
        if isinstance(outcome, ChannelSkippedError):
            state.status, state.error = "skipped", _summarise_error(outcome)
            return
        if isinstance(outcome, EniscopeError):
            message = _summarise_error(outcome)
            if isinstance(outcome, InvalidParameterError):
                message += (
                    f"; if channel {state.channel_id} is not an energy meter, add it to "
                    f"skip_channels in {self.site.source_file or 'the site file'}"
                )
            state.status, state.error = "failed", message
            self.record(state, window, status="failure", error=message)
            return
        readings, parse_rejected = outcome.readings, outcome.rejected
        dropped = int(parse_rejected["timestamp"].isna().sum())  # records without a usable ts
        kept, range_rejected = validate_readings(
            readings, now=self.now, resolution_s=state.resolution_s
        )
        rejected = _concat_rejected([parse_rejected, range_rejected])
        self.hook("fetched", state, window)
        _write_rejected(self.engine, self.ledger, rejected, self.run_id)
        self.hook("rejected", state, window)
        inserted = db.upsert_readings(self.engine, kept) if len(kept) else 0
        self.hook("written", state, window)
        fetched = len(readings) + dropped
        state.received += fetched
        state.written += inserted
        state.rejected += len(rejected)
        state.any_data |= len(readings) > 0
        self.rejected.append(rejected)
        self.record(
            state,
            window,
            status="success" if fetched else "empty",
            fetched=fetched,
            inserted=inserted,
            rejected=len(rejected),
        )

    def run_windows(self, progress: bool) -> str | None:
        """Fetch every planned window; write each channel's windows in time order.

        Returns the error of a failure that stopped the whole run, else None.
        """
        from tqdm import tqdm

        jobs = []
        longest = max((len(s.windows) for s in self.states.values()), default=0)
        for i in range(longest):  # round-robin, so channels progress together
            for state in self.states.values():
                if i < len(state.windows):
                    jobs.append((state, i))
        workers = max(1, int(self.client.config.max_concurrency))
        bar = tqdm(
            total=len(jobs),
            disable=not progress,
            unit="window",
            desc=f"sync {self.site.site_id}",
            file=sys.stderr,
            leave=False,
        )
        results: dict[tuple[int, int], ReadingsResult | EniscopeError] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argo-sync")
        futures: dict[Future, tuple[_ChannelState, int]] = {}
        queue = iter(jobs)
        try:
            for state, i in queue:  # keep a bounded number of windows in flight
                self._submit(pool, futures, state, i)
                if len(futures) >= 2 * workers:
                    break
            while futures:
                done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                for future in done:
                    state, i = futures.pop(future)
                    if state.stopped:
                        bar.update(1)  # fetched after its channel stopped: not written
                        continue
                    results[(state.channel_id, i)] = future.result()
                    fatal = self._drain(state, results, bar)
                    if fatal is not None:
                        return fatal
                for state, i in queue:
                    if state.stopped:
                        bar.update(1)
                        continue
                    self._submit(pool, futures, state, i)
                    if len(futures) >= 2 * workers:
                        break
            return None
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            bar.close()

    def _submit(self, pool, futures, state: _ChannelState, i: int) -> None:
        res = int(state.resolution_s or 0)
        future = pool.submit(
            _fetch, self.client, state.channel_id, state.windows[i], res, self.fields
        )
        futures[future] = (state, i)

    def _drain(self, state: _ChannelState, results: dict, bar: Any) -> str | None:
        while (state.channel_id, state.next_index) in results and not state.stopped:
            outcome = results.pop((state.channel_id, state.next_index))
            window = state.windows[state.next_index]
            if isinstance(outcome, FATAL_ERRORS):
                message = _summarise_error(outcome)
                self.record(state, window, status="failure", error=message)
                for other in self.states.values():  # the run stops: nothing else is finished
                    if not other.stopped and other.next_index < len(other.windows):
                        other.status = "failed"
                        other.error = f"not finished, the run stopped: {message}"
                state.error = message
                return message
            self.store(state, window, outcome)
            state.next_index += 1
            state.done_windows += 1
            bar.update(1)
            if state.stopped:
                remaining = len(state.windows) - state.next_index
                if state.status == "failed" and remaining:
                    state.error = (
                        f"{state.error} (window {window[0]:%Y-%m-%d %H:%M}Z; {remaining} later "
                        "window(s) not written, the next sync resumes here)"
                    )
                waiting = [k for k in results if k[0] == state.channel_id]
                for key in waiting:
                    del results[key]
                bar.update(len(waiting))
        return None

    def channel_frame(self) -> pd.DataFrame:
        rows = []
        for s in self.states.values():
            status = s.status
            if status == "ok" and not s.any_data:
                status = "no_data"
            rows.append(
                {
                    "channel_id": s.channel_id,
                    "channel_name": s.name,
                    "status": status,
                    "resolution_s": s.resolution_s,
                    "fetch_start": s.fetch_start,
                    "fetch_end": s.fetch_end,
                    "windows": s.done_windows,
                    "received": s.received,
                    "written": s.written,
                    "rejected": s.rejected,
                    "error": s.error,
                }
            )
        frame = pd.DataFrame(rows, columns=list(_CHANNEL_SUMMARY_COLUMNS))
        for column in ("fetch_start", "fetch_end"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        return frame.astype(
            {
                "channel_id": "int64",
                "resolution_s": "Int64",
                "windows": "int64",
                "received": "int64",
                "written": "int64",
                "rejected": "int64",
            }
        )


def _plan_channels(
    sync: _Sync,
    channels: pd.DataFrame,
    wanted: list[int],
    skipped: list[int],
    *,
    period: Period,
    resolution_s: int | None,
    window_days: int,
    overlap: pd.Timedelta,
    full: bool,
) -> None:
    engine, site = sync.engine, sync.site
    names = channels.set_index("channel_id")["channel_name"]
    stored = db.read_channels(engine, site_id=site.site_id).set_index("channel_id")
    last = db.last_reading_times(engine, site_id=site.site_id).set_index("channel_id")
    for channel_id in skipped:
        sync.states[channel_id] = _ChannelState(
            channel_id,
            str(names.get(channel_id, "")),
            None,
            status="skipped",
            error="not an energy meter (by its metadata or the site's skip_channels)",
        )
    fetch_end = min(period.end, sync.now).tz_convert("UTC")
    to_set = []
    for channel_id in wanted:  # one iteration per channel
        known = stored["resolution_s"].get(channel_id, pd.NA)
        res = int(resolution_s or (known if pd.notna(known) else site.default_resolution_s))
        state = _ChannelState(channel_id, str(names.get(channel_id, "")), res)
        sync.states[channel_id] = state
        has_rows = channel_id in last.index
        if has_rows and pd.notna(known) and int(known) != res:
            state.status = "failed"
            state.error = (
                f"channel {channel_id} has readings at {int(known)} s and cannot switch to "
                f"{res} s (mixing resolutions double-counts energy); sync it with --resolution "
                f"{int(known)} or delete its readings first"
            )
            continue
        to_set.append(channel_id)
        start = period.start.tz_convert("UTC")
        if has_rows and not full:
            latest = last.loc[channel_id, "last_timestamp"]
            if latest < period.end:
                resume = (latest - overlap).tz_convert(site.tz).normalize()
                start = max(start, resume.tz_convert("UTC"))
        state.fetch_start, state.fetch_end = start, fetch_end
        if start < fetch_end:
            state.windows = plan_windows(start, fetch_end, tz=site.tz, window_days=window_days)
    if to_set:
        frame = pd.DataFrame({"channel_id": to_set, "site_id": site.site_id})
        frame["name"] = [sync.states[c].name for c in to_set]
        frame["resolution_s"] = [sync.states[c].resolution_s for c in to_set]
        db.upsert_channels(engine, frame)


def sync_site(
    engine: Engine,
    client: EniscopeClient,
    site: SiteSettings | str,
    *,
    days: int | None = None,
    start: Any = None,
    end: Any = None,
    channels: Iterable[int] | None = None,
    resolution_s: int | None = None,
    window_days: int = 1,
    overlap_h: float = DEFAULT_OVERLAP_H,
    full: bool = False,
    fields: Sequence[str] = DEFAULT_FIELD_CODES,
    now: Any = None,
    progress: bool | None = None,
    source: str = "eniscope",
    on_window: Callable[[str, int, pd.Timestamp, pd.Timestamp], None] | None = None,
) -> IngestResult:
    """Sync a site's channels from the Eniscope API into the database, incrementally.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        An upgraded workbook database.
    client : argo_lib.eniscope.EniscopeClient
        The API client; its ``max_concurrency`` bounds the requests in flight.
    site : SiteSettings or str
        The site (or its id / file stem, loaded with :func:`argo_lib.config.load_site`).
    days : int, optional
        Period from site-local midnight ``days`` days before ``end`` (default
        :data:`DEFAULT_DAYS`), when ``start`` is not given [d].
    start, end : datetime-like or ISO date string, optional
        Period bounds; a date means site-local midnight; ``end`` defaults to ``now``.
    channels : iterable of int, optional
        Channels to sync; default the site file's channels, or every energy channel when the
        file lists none. Requested non-energy channels are reported as skipped.
    resolution_s : int, optional
        ``res`` [s] (900 or 3600 in practice); default each channel's stored resolution, else the
        site's ``default_resolution_s``. A channel with readings at another resolution fails
        (the others go on).
    window_days : int
        Site-local days per request [d].
    overlap_h : float
        Re-fetch this much before each channel's last stored reading [h].
    full : bool
        Re-fetch the whole period, ignoring what is stored.
    fields : sequence of str
        Eniscope field codes; default the project's 26.
    now : datetime-like, optional
        The current time (tz-aware); default the real time. Readings later than ``now`` plus
        one interval are rejected.
    progress : bool, optional
        Show a tqdm progress bar on stderr; default only when stderr is a terminal.
    source : str
        Source name for the run log.
    on_window : callable, optional
        ``on_window(stage, channel_id, window_start, window_end)`` is called with stage
        ``"fetched"``, ``"rejected"`` (rejected values written) and ``"written"`` (readings
        written) for each window; an exception it raises stops the run (used by the
        interruption tests).

    Returns
    -------
    IngestResult
        Status ``ok``, ``partial`` (some channels failed) or ``failed`` (all failed, or an
        authentication, subscription or rate-limit failure stopped the run).

    Raises
    ------
    ValueError
        For a bad period, or requested channels that the site does not have (the run is
        logged as failed first).
    """
    site = _site(site)
    started = time.perf_counter()
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if now_ts.tzinfo is None:
        raise ValueError(f"now={now!r} is timezone-naive; pass an aware time")
    now_ts = now_ts.tz_convert("UTC")
    period = _resolve_period(tz=site.tz, days=days, start=start, end=end, now=now_ts)
    if resolution_s is not None and int(resolution_s) not in RESOLUTIONS:
        raise ValueError(f"resolution_s must be one of {RESOLUTIONS} [s], got {resolution_s}")
    if overlap_h < 0:
        raise ValueError(f"overlap_h must be >= 0, got {overlap_h}")
    show = sys.stderr.isatty() if progress is None else bool(progress)
    requests_before = client.request_count
    parameters = {
        "days": days,
        "start": None if start is None else str(start),
        "end": None if end is None else str(end),
        "channels": None if channels is None else sorted(int(c) for c in channels),
        "resolution_s": resolution_s,
        "window_days": window_days,
        "overlap_h": overlap_h,
        "full": full,
        "api": client.config.base_url,
        "max_concurrency": client.config.max_concurrency,
    }
    run_id = db.start_run(
        engine,
        source=source,
        site_id=site.site_id,
        period_start=period.start,
        period_end=period.end,
        parameters=parameters,
    )
    sync = _Sync(
        engine, client, site, run_id=run_id, now=now_ts, fields=fields, on_window=on_window
    )
    error: str | None = None
    try:
        try:
            meta = _sync_metadata(engine, client, site)
        except EniscopeError as exc:
            error = f"metadata: {_summarise_error(exc)}"
        else:
            wanted, skipped = _select_channels(meta, site, channels)
            _plan_channels(
                sync,
                meta,
                wanted,
                skipped,
                period=period,
                resolution_s=resolution_s,
                window_days=window_days,
                overlap=pd.Timedelta(hours=overlap_h),
                full=full,
            )
            error = sync.run_windows(show)
    except BaseException as exc:
        with contextlib.suppress(Exception):
            sync.flush()
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else _summarise_error(exc)
        _finish(sync, "failed", error=reason)
        raise
    sync.flush()
    result_channels = sync.channel_frame()
    attempted = result_channels[result_channels["status"] != "skipped"]
    failed = attempted[attempted["status"] == "failed"]
    if error is not None or (len(attempted) and len(failed) == len(attempted)):
        status = "failed"
    elif len(failed):
        status = "partial"
    else:
        status = "ok"
    messages = ([error] if error else []) + [
        f"channel {r.channel_id}: {r.error}" for r in failed.itertuples() if r.error
    ]
    summary = "; ".join(messages)[:2000] or None
    _finish(sync, status, error=summary)
    return IngestResult(
        run_id=run_id,
        site_id=site.site_id,
        source=source,
        status=status,
        period=period,
        channels=result_channels,
        windows=pd.DataFrame(sync.log, columns=list(db.WINDOW_COLUMNS)),
        rejected=_concat_rejected(sync.rejected),
        error=summary,
        elapsed_s=time.perf_counter() - started,
        requests=client.request_count - requests_before,
    )


def _finish(sync: _Sync, status: str, *, error: str | None) -> None:
    states = [s for s in sync.states.values() if s.status != "skipped"]
    db.finish_run(
        sync.engine,
        sync.run_id,
        status=status,
        channels_requested=len(states),
        channels_failed=sum(s.status == "failed" for s in states),
        rows_received=sum(s.received for s in states),
        rows_written=sum(s.written for s in states),
        rows_rejected=sum(s.rejected for s in states),
        error=error,
    )


# --------------------------------------------------------------------------------------------
# CSV import
# --------------------------------------------------------------------------------------------


class CsvError(ValueError):
    """A CSV file cannot be imported; the message names the file, line and column."""


@dataclass(frozen=True, repr=False)
class CsvReadings:
    """Readings parsed from a CSV file.

    Attributes
    ----------
    readings : pandas.DataFrame
        Canonical long readings (``timestamp`` UTC interval start, ``channel_id``, value columns
        in project units), duplicates collapsed (the last line wins).
    channels : pandas.DataFrame
        ``channel_id`` and ``channel_name`` (NA when the file gives none).
    rejected : pandas.DataFrame
        Values that are not numbers (stored as NULL), with the line and column in ``reason``.
    layout : {"long", "wide"}
        The table's layout.
    resolution_s : int or None
        Most common step between a channel's timestamps [s] (None with one row per channel).
    """

    readings: pd.DataFrame
    channels: pd.DataFrame
    rejected: pd.DataFrame
    layout: Literal["long", "wide"]
    resolution_s: int | None

    def __repr__(self) -> str:
        return (
            f"CsvReadings(layout={self.layout!r}, rows={len(self.readings)}, "
            f"channels={len(self.channels)}, rejected={len(self.rejected)}, "
            f"resolution_s={self.resolution_s})"
        )


_TIMESTAMP_NAMES = ("timestamp", "time", "datetime", "date_time", "ts")
_OFFSET = re.compile(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)$")
_WIDE_HEADER = re.compile(r"^(?P<label>.*?)\s*[\[(](?P<unit>[^\[\]()]*)[\])]\s*$")
_WIDE_UNITS = {
    "kw": ("power_kw", 1.0),
    "w": ("power_kw", 0.001),
    "kwh": ("energy_kwh", 1.0),
    "wh": ("energy_kwh", 0.001),
}


def _sniff_header(path: Path) -> tuple[list[str], str]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except OSError as exc:
        raise CsvError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise CsvError(f"{path.name}: not UTF-8 text; save the file as UTF-8 CSV") from None
    if not first.strip():
        raise CsvError(
            f"{path.name}, line 1: the header is empty; the first line names the columns"
        )
    sep = max(",;\t", key=first.count)
    header = [h.strip() for h in next(csv.reader([first], delimiter=sep))]
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if not name:
            raise CsvError(f"{path.name}, line 1, column {i}: the column has no name")
        key = name.lower()
        if key in seen:
            raise CsvError(
                f"{path.name}, line 1, column {i} ({name!r}): the name repeats column {seen[key]}"
            )
        seen[key] = i
    return header, sep


def _cell_error(path: Path, line: int, column: str, message: str) -> CsvError:
    return CsvError(f"{path.name}, line {line}, column {column!r}: {message}")


def _parse_times(
    text: pd.Series, lines: np.ndarray, *, tz: ZoneInfo | None, path: Path, column: str
) -> pd.Series:
    """Timestamps with offsets (or epoch seconds) as given; naive ones in ``tz``."""
    s = text.fillna("").astype("str").str.strip()
    position = pd.Series(np.arange(len(s)), index=s.index)

    def fail(mask: pd.Series, message: str) -> CsvError:
        i = int(position[mask].iloc[0])
        return _cell_error(path, int(lines[i]), column, message.format(value=s.iloc[i]))

    empty = s.eq("")
    if empty.any():
        raise fail(empty, "empty timestamp; every row needs one")
    epoch = s.str.fullmatch(r"\d{9,11}(?:\.\d+)?")
    offset = s.str.contains(_OFFSET, regex=True) & ~epoch
    naive = ~epoch & ~offset
    parts = []
    if epoch.any():
        parts.append(pd.to_datetime(s[epoch].astype("float64"), unit="s", utc=True))
    if offset.any():
        parsed = pd.to_datetime(s[offset], format="ISO8601", utc=True, errors="coerce")
        if parsed.isna().any():
            raise fail(offset & parsed.reindex(s.index).isna(), _BAD_TIME)
        parts.append(parsed)
    if naive.any():
        if tz is None:
            raise fail(
                naive,
                "timestamp {value!r} has no UTC offset; give the file's time zone (--tz "
                "America/New_York) or write offsets such as 2025-12-01T00:00:00-05:00",
            )
        local = pd.to_datetime(s[naive], format="ISO8601", errors="coerce")
        if local.isna().any():
            raise fail(naive & local.reindex(s.index).isna(), _BAD_TIME)
        aware = local.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
        if aware.isna().any():
            raise fail(
                naive & aware.reindex(s.index).isna(),
                f"local time {{value!r}} is ambiguous or does not exist in {tz.key} (a DST "
                "change); write timestamps with their UTC offset around DST changes",
            )
        parts.append(aware.dt.tz_convert("UTC"))
    out = pd.concat(parts).reindex(s.index)
    out = out.astype("datetime64[us, UTC]")
    fractional = (out.array.asi8 % 1_000_000) != 0
    if fractional.any():
        raise fail(
            pd.Series(fractional, index=s.index), "timestamp {value!r} has fractional seconds"
        )
    return out


_BAD_TIME = (
    "cannot read {value!r} as a time; use ISO 8601 such as 2025-12-01T00:00:00-05:00 or "
    "2025-12-01 00:00 with --tz"
)


def _numbers(
    raw: pd.Series, lines: np.ndarray, *, path: Path, column: str, header: str
) -> tuple[pd.Series, pd.DataFrame]:
    """Numeric values; non-numbers become NaN and a rejected row (empty cells are just NaN)."""
    text = raw.fillna("").astype("str").str.strip()
    number = pd.to_numeric(text.where(text.ne("")), errors="coerce").astype("float64")
    bad = text.ne("") & ~np.isfinite(number)
    rejected = pd.DataFrame(
        {
            "row": np.flatnonzero(bad.to_numpy()),
            "field": column,
            "raw_value": text[bad].to_numpy(),
            "reason": [
                f"not a number ({path.name}, line {line}, column {header!r}); stored as NULL"
                for line in lines[bad.to_numpy()]
            ],
        }
    )
    return number.where(np.isfinite(number)), rejected


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _wide_columns(
    header: list[str], known: pd.DataFrame, *, path: Path
) -> list[tuple[str, int, str | None, str, float]]:
    """Per value column: (header, channel_id, channel name, reading column, scale)."""
    by_name = {
        str(n).strip().lower(): int(c)
        for c, n in zip(known["channel_id"], known["name"], strict=True)
        if isinstance(n, str)
    }
    out = []
    taken: dict[tuple[int, str], str] = {}
    for i, name in enumerate(header, start=1):
        if name.lower() in _TIMESTAMP_NAMES:
            continue
        where = f"{path.name}, line 1, column {i} ({name!r})"
        match = _WIDE_HEADER.match(name)
        if not match:
            raise CsvError(
                f"{where}: no unit in the header; name each channel column like "
                "'162285 Kitchen [kW]' or 'RTU-1 (kWh)' (units kW, W, kWh, Wh), or use the long "
                "layout with a channel_id column"
            )
        label, unit = match["label"].strip(), match["unit"].strip().lower()
        if unit not in _WIDE_UNITS:
            raise CsvError(
                f"{where}: unit {match['unit']!r} is not one of kW, W, kWh, Wh; other fields need "
                "the long layout (columns named like voltage_v)"
            )
        column, scale = _WIDE_UNITS[unit]
        ident = re.match(r"^(\d+)(?:\s*[-_:]?\s+|\s*[-_:]\s*|$)(.*)$", label)
        if ident:
            channel_id, channel_name = int(ident[1]), ident[2].strip() or None
        elif label.lower() in by_name:
            channel_id, channel_name = by_name[label.lower()], label
        else:
            raise CsvError(
                f"{where}: no channel named {label!r} at this site"
                f"{_suggest(label, [str(n) for n in known['name'] if isinstance(n, str)])}; "
                "start the header with the channel id, e.g. '162320 RTU-1 [kW]'"
            )
        if (channel_id, column) in taken:
            raise CsvError(
                f"{where}: channel {channel_id} {column} is already in column "
                f"{taken[(channel_id, column)]!r}"
            )
        taken[(channel_id, column)] = name
        out.append((name, channel_id, channel_name, column, scale))
    if not out:
        raise CsvError(f"{path.name}, line 1: no channel columns next to the timestamp")
    return out


def _infer_resolution(readings: pd.DataFrame) -> int | None:
    if len(readings) < 2:
        return None
    ordered = readings.sort_values(["channel_id", "timestamp"])
    seconds = ordered["timestamp"].array.asi8 // 1_000_000
    step = np.diff(seconds)
    same = np.diff(ordered["channel_id"].to_numpy()) == 0
    step = step[same & (step > 0)]
    if not step.size:
        return None
    values, counts = np.unique(step, return_counts=True)
    return int(values[np.argmax(counts)])


def read_csv_readings(
    path: str | Path,
    *,
    tz: str | ZoneInfo | None = None,
    known_channels: pd.DataFrame | None = None,
    label: Literal["start", "end"] = "start",
    resolution_s: int | None = None,
) -> CsvReadings:
    """Parse a CSV file of readings, long or wide.

    Long layout: ``timestamp``, ``channel_id``, optional ``channel_name`` and value columns named
    as in :data:`argo_lib.fields.READING_COLUMNS` (``power_kw``, ``energy_kwh``, ``voltage_v``,
    ...), one row per channel and interval. Wide layout: ``timestamp`` and one column per channel
    and quantity whose header ends with its unit: ``162285 Kitchen Main [kW]``, ``RTU-1 (kWh)``
    (kW, W, kWh or Wh; a header without an id is looked up in ``known_channels`` by name).

    Parameters
    ----------
    path : str or pathlib.Path
        The file (UTF-8; comma, semicolon or tab separated).
    tz : str or zoneinfo.ZoneInfo, optional
        Zone of timestamps written without an offset; those with an offset (``...-05:00``,
        ``...Z``) or as epoch seconds keep theirs.
    known_channels : pandas.DataFrame, optional
        ``channel_id`` and ``name`` of the site's channels, for wide headers without an id.
    label : {"start", "end"}
        Whether the file's timestamps label interval starts or ends (ends are shifted back by one
        interval, so that stored timestamps are starts).
    resolution_s : int, optional
        Interval length [s]; default the most common step between a channel's timestamps.

    Returns
    -------
    CsvReadings

    Raises
    ------
    CsvError
        For structural problems, naming the file, line and column: missing columns, unknown
        columns or units, bad channel ids or timestamps, naive timestamps without ``tz``,
        ambiguous local times.
    """
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"CSV file {path} not found")
    zone = None if tz is None else _zone(tz)
    if label not in ("start", "end"):
        raise ValueError(f"label must be 'start' or 'end', got {label!r}")
    header, sep = _sniff_header(path)
    try:
        raw = pd.read_csv(
            path,
            sep=sep,
            dtype="str",
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8-sig",
            skipinitialspace=True,
        )
    except pd.errors.ParserError as exc:
        raise CsvError(
            f"{path.name}: {str(exc).strip()} (lines count from 1, the header)"
        ) from None
    raw.columns = header
    lines = np.arange(len(raw)) + 2
    blank = raw.fillna("").astype("str").apply(lambda c: c.str.strip()).eq("").all(axis=1)
    raw, lines = raw.loc[~blank.to_numpy()], lines[~blank.to_numpy()]
    lower = {h.lower(): h for h in header}
    ts_column = next((lower[n] for n in _TIMESTAMP_NAMES if n in lower), None)
    if ts_column is None:
        raise CsvError(
            f"{path.name}, line 1: no timestamp column; name it 'timestamp' (found {header})"
        )
    if raw.empty:
        raise CsvError(f"{path.name}: no data rows below the header")
    timestamps = _parse_times(raw[ts_column], lines, tz=zone, path=path, column=ts_column)
    rejected_parts = []
    if "channel_id" in lower:
        layout = "long"
        id_column = lower["channel_id"]
        ids_text = raw[id_column].fillna("").astype("str").str.strip()
        ids = pd.to_numeric(ids_text, errors="coerce")
        bad = ids.isna() | (ids % 1 != 0) | (ids <= 0)
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise _cell_error(
                path,
                int(lines[i]),
                id_column,
                f"channel id {ids_text.iloc[i]!r} is not a positive whole number",
            )
        name_column = lower.get("channel_name")
        values = [h for h in header if h not in (ts_column, id_column, name_column)]
        frame = pd.DataFrame(
            {"timestamp": timestamps.to_numpy(), "channel_id": ids.astype("int64").to_numpy()}
        )
        for h in values:
            column = h.lower()
            if column not in READING_COLUMNS:
                raise CsvError(
                    f"{path.name}, line 1, column {header.index(h) + 1} ({h!r}): unknown column"
                    f"{_suggest(column, READING_COLUMNS)}; value columns are "
                    f"{', '.join(READING_COLUMNS[:4])}, ... (project units: kW, kWh, V, A)"
                )
            number, bad_values = _numbers(raw[h], lines, path=path, column=column, header=h)
            frame[column] = number.to_numpy()
            rejected_parts.append(bad_values)
        if not values:
            raise CsvError(f"{path.name}, line 1: no value columns (e.g. power_kw, energy_kwh)")
        names = (
            raw[name_column].fillna("").astype("str").str.strip()
            if name_column
            else pd.Series("", index=raw.index, dtype="str")
        )
        channels = (
            pd.DataFrame({"channel_id": frame["channel_id"], "channel_name": names.to_numpy()})
            .replace({"channel_name": {"": pd.NA}})
            .drop_duplicates("channel_id", keep="last")
        )
        row_channel = frame["channel_id"].to_numpy()
    else:
        layout = "wide"
        known = (
            known_channels
            if known_channels is not None
            else pd.DataFrame({"channel_id": [], "name": []})
        )
        specs = _wide_columns(header, known, path=path)
        pieces = []
        for h, channel_id, _name, column, scale in specs:  # one iteration per column
            number, bad_values = _numbers(raw[h], lines, path=path, column=column, header=h)
            bad_values = bad_values.assign(channel=channel_id)
            rejected_parts.append(bad_values)
            pieces.append(
                pd.DataFrame(
                    {
                        "timestamp": timestamps.to_numpy(),
                        "channel_id": channel_id,
                        "column": column,
                        "value": number.to_numpy() * scale,
                        "order": np.arange(len(raw)),
                    }
                )
            )
        cells = pd.concat(pieces, ignore_index=True)
        cells = cells.drop_duplicates(["channel_id", "timestamp", "column"], keep="last")
        # Each (channel, timestamp, column) is unique here, so pivot loses nothing.
        frame = cells.pivot(  # noqa: PD010
            index=["channel_id", "timestamp"], columns="column", values="value"
        )
        frame = frame.reset_index()
        frame.columns.name = None
        frame = frame[["timestamp", "channel_id", *[c for c in READING_COLUMNS if c in frame]]]
        channels = pd.DataFrame(
            {"channel_id": [s[1] for s in specs], "channel_name": [s[2] for s in specs]}
        ).drop_duplicates("channel_id", keep="first")
        row_channel = None
    res = resolution_s or _infer_resolution(frame)
    if label == "end":
        if res is None:
            raise CsvError(
                f"{path.name}: timestamps label interval ends, but the interval length is "
                "unknown; give --resolution"
            )
        frame["timestamp"] = frame["timestamp"] - pd.Timedelta(seconds=res)
    rejected = _csv_rejected(
        rejected_parts, timestamps, row_channel, label_shift=res if label == "end" else 0
    )
    frame = frame.drop_duplicates(["channel_id", "timestamp"], keep="last")
    frame = frame.sort_values(["channel_id", "timestamp"], kind="stable").reset_index(drop=True)
    return CsvReadings(
        readings=frame,
        channels=channels.reset_index(drop=True),
        rejected=rejected,
        layout=layout,
        resolution_s=res,
    )


def _csv_rejected(
    parts: list[pd.DataFrame],
    timestamps: pd.Series,
    row_channel: np.ndarray | None,
    *,
    label_shift: int,
) -> pd.DataFrame:
    """Rejected cells of a CSV file as rejected readings (channel from the row or the column)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_rejected()
    cells = pd.concat(parts, ignore_index=True)
    rows = cells["row"].to_numpy()
    stamps = timestamps.iloc[rows].reset_index(drop=True) - pd.Timedelta(seconds=label_shift)
    channel = row_channel[rows] if row_channel is not None else cells["channel"].to_numpy()
    return _concat_rejected(
        [
            pd.DataFrame(
                {
                    "channel_id": channel,
                    "timestamp": stamps,
                    "field": cells["field"].to_numpy(),
                    "raw_value": cells["raw_value"].to_numpy(),
                    "reason": cells["reason"].to_numpy(),
                }
            )
        ]
    )


def import_csv(
    engine: Engine,
    path: str | Path,
    *,
    site: SiteSettings | str,
    tz: str | None = None,
    resolution_s: int | None = None,
    label: Literal["start", "end"] = "start",
    now: Any = None,
) -> IngestResult:
    """Import a CSV file of readings into the database, logged as an ingestion run.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        An upgraded workbook database.
    path : str or pathlib.Path
        The file; see :func:`read_csv_readings` for the layouts.
    site : SiteSettings or str
        The site the channels belong to; channels new to the database are created under it.
    tz : str, optional
        Zone of timestamps without an offset.
    resolution_s : int, optional
        Interval length [s]; default inferred from the timestamps. Must match the stored
        resolution of channels that have readings.
    label : {"start", "end"}
        Whether timestamps label interval starts or ends.
    now : datetime-like, optional
        The current time, for the future-timestamp check; default the real time.

    Returns
    -------
    IngestResult
        Source ``csv:<file name>``; ``windows`` is empty.

    Raises
    ------
    CsvError
        For structural problems (naming line and column), or channels of another site.
    ValueError
        If a channel would change its resolution while it has readings.
    """
    site = _site(site)
    path = Path(path)
    started = time.perf_counter()
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    stored = db.read_channels(engine)
    names = pd.concat(
        [
            stored.loc[stored["site_id"] == site.site_id, ["channel_id", "name"]],
            pd.DataFrame(
                {
                    "channel_id": [c.channel_id for c in site.channels],
                    "name": [c.name for c in site.channels],
                }
            ),
        ],
        ignore_index=True,
    )
    parsed = read_csv_readings(
        path, tz=tz, known_channels=names, label=label, resolution_s=resolution_s
    )
    res = parsed.resolution_s
    if res is None:
        raise CsvError(
            f"{path.name}: cannot tell the interval length from one row per channel; give "
            "--resolution"
        )
    readings = parsed.readings
    period = Period(
        readings["timestamp"].min().tz_convert(site.tz),
        (readings["timestamp"].max() + pd.Timedelta(seconds=res)).tz_convert(site.tz),
    )
    elsewhere = stored[
        stored["channel_id"].isin(parsed.channels["channel_id"])
        & (stored["site_id"] != site.site_id)
    ]
    if len(elsewhere):
        raise CsvError(
            f"{path.name}: channels {elsewhere['channel_id'].tolist()} belong to site(s) "
            f"{sorted(set(elsewhere['site_id']))}, not {site.site_id}; import the file with "
            "--site of their site"
        )
    run_id = db.start_run(
        engine,
        source=f"csv:{path.name}",
        site_id=site.site_id,
        period_start=period.start,
        period_end=period.end,
        parameters={"file": str(path), "tz": tz, "resolution_s": res, "label": label},
    )
    try:
        db.upsert_site(engine, site)
        current = stored.set_index("channel_id")["name"]
        file_names = parsed.channels.set_index("channel_id")["channel_name"]
        config_names = {c.channel_id: c.name for c in site.channels}
        ids = parsed.channels["channel_id"].astype("int64")
        channel_names = [
            next(
                (
                    n
                    for n in (current.get(c), file_names.get(c), config_names.get(c))
                    if isinstance(n, str) and n
                ),
                f"channel {c}",
            )
            for c in ids  # one per channel: stored name, then the file's, then the site file's
        ]
        frame = pd.DataFrame(
            {"channel_id": ids, "site_id": site.site_id, "name": channel_names, "resolution_s": res}
        )
        frame["role"] = ids.map({c.channel_id: c.role for c in site.channels}).fillna("sub")
        db.upsert_channels(engine, frame)
        kept, range_rejected = validate_readings(readings, now=now_ts, resolution_s=res)
        rejected = _concat_rejected([parsed.rejected, range_rejected])
        ledger = _RejectedLedger(db.read_rejected(engine, site_id=site.site_id))
        _write_rejected(engine, ledger, rejected, run_id)
        written = db.upsert_readings(engine, kept) if len(kept) else 0
    except BaseException as exc:
        db.finish_run(engine, run_id, status="failed", error=_summarise_error(exc))
        raise
    counts = readings.groupby("channel_id").size()
    written_by = kept.groupby("channel_id").size()
    rejected_by = rejected.groupby("channel_id").size()
    channels = pd.DataFrame(
        {
            "channel_id": ids.to_numpy(),
            "channel_name": channel_names,
            "status": "ok",
            "resolution_s": res,
            "fetch_start": readings.groupby("channel_id")["timestamp"]
            .min()
            .reindex(ids)
            .to_numpy(),
            "fetch_end": (
                readings.groupby("channel_id")["timestamp"].max() + pd.Timedelta(seconds=res)
            )
            .reindex(ids)
            .to_numpy(),
            "windows": 0,
            "received": counts.reindex(ids, fill_value=0).to_numpy(),
            "written": written_by.reindex(ids, fill_value=0).to_numpy(),
            "rejected": rejected_by.reindex(ids, fill_value=0).to_numpy(),
            "error": None,
        }
    ).astype({"resolution_s": "Int64"})
    db.finish_run(
        engine,
        run_id,
        status="ok",
        channels_requested=len(ids),
        rows_received=len(readings),
        rows_written=written,
        rows_rejected=len(rejected),
    )
    return IngestResult(
        run_id=run_id,
        site_id=site.site_id,
        source=f"csv:{path.name}",
        status="ok",
        period=period,
        channels=channels,
        windows=pd.DataFrame(columns=list(db.WINDOW_COLUMNS)),
        rejected=rejected,
        error=None,
        elapsed_s=time.perf_counter() - started,
    )


# --------------------------------------------------------------------------------------------
# Coverage
# --------------------------------------------------------------------------------------------


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
                resolution_s=int(res),
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


# --------------------------------------------------------------------------------------------
# The run path of the notebook and the command line
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True, repr=False)
class IngestRun:
    """Resolved, checked parameters of one ingestion (the notebook's and ``argo ingest``'s).

    Attributes
    ----------
    site : SiteSettings
    source : {"eniscope", "fake", "csv"}
        The Eniscope API, the local fake server, or a CSV file.
    period : argo_lib.dates.Period
        Requested period (site-local); for a CSV import, informational.
    days : int or None
        Days back, when the period came from ``days``.
    resolution_s : int or None
        Requested resolution [s]; None keeps each channel's.
    channels : tuple of int or None
        Requested channels; None means the site's.
    csv_path : pathlib.Path or None
        The CSV file, for ``source="csv"``.
    tz : str or None
        Zone of naive CSV timestamps.
    profile : SyncProfile
        Request pacing.
    overlap_h : float
        Re-fetch overlap [h].
    full : bool
        Re-fetch the whole period.
    database_url : str or None
        Database URL; None means ``DATABASE_URL`` or the embedded SQLite (hidden in ``repr``).
    now : pandas.Timestamp
        "Now" of the run (UTC); the fake server's clock.
    """

    site: SiteSettings
    source: Literal["eniscope", "fake", "csv"]
    period: Period
    days: int | None
    resolution_s: int | None
    channels: tuple[int, ...] | None
    csv_path: Path | None
    tz: str | None
    profile: SyncProfile
    overlap_h: float
    full: bool
    database_url: str | None = field(repr=False)
    now: pd.Timestamp

    @classmethod
    def from_parameters(
        cls,
        *,
        site: str,
        source: str = "fake",
        days: int = 7,
        start: str = "",
        end: str = "",
        resolution_s: int = 0,
        channels: str = "",
        csv_path: str = "",
        tz: str = "",
        profile: str = "",
        overlap_h: float = DEFAULT_OVERLAP_H,
        full: bool = False,
        database_url: str = "",
        as_of: str = "",
    ) -> IngestRun:
        """Check raw parameters ("" means unset) and resolve them.

        Parameters
        ----------
        site : str
            Site id or site file stem.
        source : str
            ``"eniscope"``, ``"fake"`` or ``"csv"``.
        days : int
            Days back from ``end`` when ``start`` is empty [d].
        start, end : str
            Site-local dates (or ISO times with offsets); ``end`` empty means now.
        resolution_s : int
            900 or 3600 [s]; 0 keeps each channel's stored resolution (else the site default).
        channels : str
            Comma-separated channel ids; empty means the site's channels.
        csv_path : str
            CSV file for ``source="csv"``.
        tz : str
            Zone of naive CSV timestamps; empty means the file must carry offsets.
        profile : str
            ``"polite"`` or ``"fast"``; empty means fast for the fake server, polite otherwise.
        overlap_h : float
            Re-fetch overlap [h].
        full : bool
            Re-fetch the whole period.
        database_url : str
            SQLAlchemy URL; empty means the default database.
        as_of : str
            "Now" as an ISO time with offset (for the fake server); empty means the real time.

        Returns
        -------
        IngestRun

        Raises
        ------
        ValueError
            Naming the parameter and how to fix it.
        """
        if source not in ("eniscope", "fake", "csv"):
            raise ValueError(f"source must be 'eniscope', 'fake' or 'csv', got {source!r}")
        settings = load_site(site)
        now = pd.Timestamp.now(tz="UTC") if not as_of else pd.Timestamp(as_of)
        if now.tzinfo is None:
            raise ValueError(f"as_of={as_of!r} has no offset; write e.g. 2025-12-08T12:00:00Z")
        if resolution_s not in (0, 60, 900, 1800, 3600, 86400):
            raise ValueError(f"resolution_s must be 900 or 3600 (0 = keep), got {resolution_s}")
        try:
            ids = tuple(int(c) for c in re.split(r"[,\s]+", channels.strip()) if c)
        except ValueError:
            raise ValueError(
                f"channels must be comma-separated channel ids, e.g. '162285,162320', got "
                f"{channels!r}"
            ) from None
        if source == "csv":
            if not csv_path:
                raise ValueError("source 'csv' needs csv_path, the file to import")
            if not Path(csv_path).is_file():
                raise ValueError(f"csv_path {csv_path!r} is not a file")
        if tz:
            _zone(tz)
        period = _resolve_period(
            tz=settings.tz,
            days=None if start else days,
            start=start or None,
            end=end or None,
            now=now.tz_convert("UTC"),
        )
        return cls(
            site=settings,
            source=source,  # type: ignore[arg-type]
            period=period,
            days=None if start else days,
            resolution_s=resolution_s or None,
            channels=ids or None,
            csv_path=Path(csv_path) if csv_path else None,
            tz=tz or None,
            profile=_profile(profile or ("fast" if source == "fake" else "polite")),
            overlap_h=float(overlap_h),
            full=bool(full),
            database_url=database_url or None,
            now=now.tz_convert("UTC"),
        )

    def __repr__(self) -> str:
        what = (
            f"csv_path={str(self.csv_path)!r}"
            if self.source == "csv"
            else (
                f"period={self.period}, resolution_s={self.resolution_s or 'stored/site default'}, "
                f"channels={list(self.channels) if self.channels else 'site'}, "
                f"profile={self.profile.name!r}"
            )
        )
        database = db.describe_database(db.get_engine(self.database_url))
        return (
            f"IngestRun(site={self.site.site_id} {self.site.name} ({self.site.timezone}), "
            f"source={self.source!r}, {what}, database={database})"
        )


def run_ingest(
    run: IngestRun,
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    progress: bool | None = False,
    client_options: Mapping[str, Any] | None = None,
) -> IngestResult:
    """Run an ingestion from resolved parameters: sync from the API or the fake, or import a CSV.

    The database schema is created or upgraded first. For ``source="fake"`` a local fake server
    is started for the run (clock frozen at ``run.now``) and stopped afterwards.

    Parameters
    ----------
    run : IngestRun
        From :meth:`IngestRun.from_parameters`.
    settings : argo_lib.config.Settings, optional
        Credentials for ``source="eniscope"``; default :func:`argo_lib.config.get_settings`.
    engine : sqlalchemy.engine.Engine, optional
        Default ``db.get_engine(run.database_url)``.
    progress : bool, optional
        Progress bar on stderr (None: when stderr is a terminal).
    client_options : mapping, optional
        Extra :class:`argo_lib.eniscope.EniscopeConfig` options.

    Returns
    -------
    IngestResult
    """
    engine = engine or db.get_engine(run.database_url)
    db.upgrade(engine)
    if run.source == "csv":
        assert run.csv_path is not None  # checked by from_parameters
        return import_csv(
            engine,
            run.csv_path,
            site=run.site,
            tz=run.tz,
            resolution_s=run.resolution_s,
            now=run.now,
        )
    options = dict(client_options or {})
    with contextlib.ExitStack() as stack:
        if run.source == "fake":
            settings = stack.enter_context(fake_server(now=run.now))
            source = "fake-eniscope"
        else:
            settings = settings or get_settings()
            source = "eniscope"
        client = stack.enter_context(
            make_client(
                settings, profile=run.profile, skip_channels=run.site.skip_channels, **options
            )
        )
        return sync_site(
            engine,
            client,
            run.site,
            start=run.period.start,
            end=run.period.end,
            channels=run.channels,
            resolution_s=run.resolution_s,
            window_days=run.profile.window_days,
            overlap_h=run.overlap_h,
            full=run.full,
            now=run.now,
            progress=progress,
            source=source,
        )


# --------------------------------------------------------------------------------------------
# Weather (outdoor air temperature) from CSV
# --------------------------------------------------------------------------------------------

_TEMPERATURE_COLUMNS = {"temperature_c": (1.0, 0.0), "temperature_f": (5.0 / 9.0, -32.0)}
"""Accepted temperature columns → (scale, offset) to °C: ``(value + offset) × scale``."""


def read_weather_csv(path: str | Path, *, tz: str | ZoneInfo | None = None) -> pd.DataFrame:
    """Parse a CSV file of outdoor air temperature.

    Columns: ``timestamp`` (ISO 8601 with offset, epoch seconds, or local time with ``tz``) and
    ``temperature_c`` [°C] or ``temperature_f`` [°F]; other columns are ignored. Empty cells
    are missing values.

    Parameters
    ----------
    path : str or pathlib.Path
        The file (UTF-8; comma, semicolon or tab separated).
    tz : str or zoneinfo.ZoneInfo, optional
        Zone of timestamps written without an offset.

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (UTC) and ``temperature_c`` [°C], in file order.

    Raises
    ------
    CsvError
        Naming the line and column of a missing column, a bad timestamp or a value that is not
        a plausible temperature (−60 to 60 °C).
    """
    path = Path(path)
    if not path.is_file():
        raise CsvError(f"CSV file {path} not found")
    zone = None if tz is None else _zone(tz)
    header, sep = _sniff_header(path)
    lower = {h.lower(): h for h in header}
    if "timestamp" not in lower:
        raise CsvError(f"{path.name}, line 1: no 'timestamp' column; columns are {header}")
    unit = next((c for c in _TEMPERATURE_COLUMNS if c in lower), None)
    if unit is None:
        raise CsvError(
            f"{path.name}, line 1: no 'temperature_c' (°C) or 'temperature_f' (°F) column"
        )
    raw = pd.read_csv(
        path,
        sep=sep,
        dtype="str",
        keep_default_na=False,
        encoding="utf-8-sig",
        skipinitialspace=True,
    )
    raw.columns = [c.strip() for c in raw.columns]
    lines = np.arange(len(raw)) + 2  # line 1 is the header
    times = _parse_times(
        raw[lower["timestamp"]], lines, tz=zone, path=path, column=lower["timestamp"]
    )
    text = raw[lower[unit]].fillna("").astype("str").str.strip()
    values = pd.to_numeric(text.where(text.ne("")), errors="coerce").astype("float64")
    scale, offset = _TEMPERATURE_COLUMNS[unit]
    celsius = (values + offset) * scale
    bad = (text.ne("") & ~np.isfinite(values)) | (celsius.abs() > 60)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise _cell_error(
            path, int(lines[i]), lower[unit], f"{text.iloc[i]!r} is not a plausible temperature"
        )
    return pd.DataFrame(
        {"timestamp": times.to_numpy(), "temperature_c": celsius.to_numpy()}
    ).assign(timestamp=lambda f: f["timestamp"].dt.tz_convert("UTC"))


def import_weather_csv(
    engine, path: str | Path, *, site: Any, tz: str | ZoneInfo | None = None
) -> int:
    """Load a CSV file of outdoor air temperature into the ``weather`` table of a site.

    The temperature-aware baseline of the weekly brief uses it when it covers the baseline and
    the report week. Re-importing the same file changes nothing (upsert on site and time).

    Returns
    -------
    int
        Rows written.
    """
    settings = site if isinstance(site, SiteSettings) else load_site(site)
    frame = read_weather_csv(path, tz=tz)
    db.upsert_site(engine, settings)
    return db.upsert_weather(engine, frame, site_id=settings.site_id)
