"""Import the company's old PostgreSQL database (the legacy schema) into the workbook's.

The old scripts wrote a schema of their own (``spec/legacy_schema.md``): ``organizations``,
``devices``, ``meters``, ``channels``, a ``sites`` registry, and ``readings`` with a surrogate
``id``, misleading column names and values the workbook must not take at face value. The import
reads it table by table and writes the workbook's tables through the same checks as every other
source (the plausibility ranges of :func:`~argo_lib.ingest.validate.validate_readings`, the
rejected-values ledger, an ingestion run per site), so the readings land once, in the
workbook's units, and re-running the import changes nothing.

What it converts (legacy → workbook):

- ``organizations`` → ``sites`` (``timezone`` from the organization, else the ``sites``
  registry, else America/New_York); ``devices`` (``serial_number`` is the Eniscope ``uuId``);
  ``channels`` (``channel_name`` → ``name``; ``data_type`` from the linked ``meters`` row;
  ``resolution_s`` from the readings' own spacing, else the registry's ``resolution``; the
  role from the site file in ``params/sites`` when there is one, else ``sub``).
- Readings: ``thd_current`` → ``thd_current_pct``; ``apparent_power_va`` (VA) →
  ``apparent_power_kva`` (÷ 1000); the phase columns ``energy_wh1..3`` and ``power_w1..3``
  **hold kWh and kW** despite their names (the old client divided by 1000) and go unchanged to
  ``energy_kwh_p1..3`` and ``power_kw_p1..3``; ``voltage_v1..3`` → ``voltage_v_p1..3``,
  ``current_a1..3`` → ``current_a_p1..3``, ``power_factor_1..3`` → ``power_factor_p1..3``;
  ``cost`` (``NUMERIC(12,2)``) → ``cost``. ``temperature_c`` and ``relative_humidity`` were
  never populated and are not imported (the summary counts any value found).
- **Zeros that stood for missing values** (``zeros="auto"``): the main old ingester stored a
  missing energy or power as 0. A row whose energy and power are both 0 and which holds no other
  measurement (no voltage, current, frequency...) is a record without values: both become NULL
  (and a 0 cost with them). An energy of 0 beside a positive power, or a power of 0 beside a
  positive energy, cannot both be true: the zero becomes NULL. Both zero with a voltage
  measured is a real zero (the load was off) and is kept. Channels whose readings never hold
  anything but energy and power cannot tell the two apart: their zeros are kept and counted
  (the analytics treat a run of zeros where the baseline never reads zero as an outage);
  ``zeros="missing"`` makes every energy/power zero NULL, ``zeros="keep"`` changes none.
- **Timestamps** (``timestamps``): the old client stored ``datetime.fromtimestamp(ts)``, the
  process's local wall-clock time, and a later migration reinterpreted naive values as Eastern
  time. ``"as-stored"`` (default) trusts the stored instants (ingestion on a UTC host, the
  normal case); ``"local-as-utc"`` re-reads them as the site's wall-clock time stored as UTC
  (ingestion on a host set to local time); ``"utc-as-local"`` undoes the time-zone migration
  run on values that were UTC. ``fix_until`` limits the correction to readings stored before an
  instant. A wall-clock time that falls in the autumn's repeated hour cannot be placed and is
  kept out (counted); the summary warns when the data look shifted (the load is lowest in the
  evening, or every channel lacks the hour the spring change skips).

In place (:func:`migrate_in_place`, ``argo db migrate-legacy``): the legacy tables move to the
schema ``legacy`` (their views keep working), the workbook schema is created in ``public`` and
the import runs from ``legacy``; re-running it resumes safely.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.config import ConfigError, SiteSettings, load_site
from argo_lib.dates import Period
from argo_lib.errors import UsageError
from argo_lib.ingest.runs import IngestResult, summarise_error
from argo_lib.ingest.validate import (
    RejectedLedger,
    concat_rejected,
    power_ceilings,
    validate_readings,
    write_new_rejected,
)
from argo_lib.render.format import plural

logger = logging.getLogger(__name__)

__all__ = [
    "LEGACY_SCHEMA",
    "LEGACY_TABLES",
    "LegacyError",
    "LegacyLayout",
    "find_legacy",
    "import_legacy",
    "migrate_in_place",
]

_PHASE_NAMES = {
    "voltage_v_p{i}": "voltage_v{i}",
    "current_a_p{i}": "current_a{i}",
    "power_kw_p{i}": "power_w{i}",
    "power_factor_p{i}": "power_factor_{i}",
    "energy_kwh_p{i}": "energy_wh{i}",
}

LEGACY_READING_COLUMNS: dict[str, str] = {
    "energy_kwh": "energy_kwh",
    "power_kw": "power_kw",
    "voltage_v": "voltage_v",
    "current_a": "current_a",
    "power_factor": "power_factor",
    "reactive_power_kvar": "reactive_power_kvar",
    "frequency_hz": "frequency_hz",
    "neutral_current_a": "neutral_current_a",
    "thd_current_pct": "thd_current",
    "apparent_power_kva": "apparent_power_va",
    "cost": "cost",
    **{ours.format(i=i): old.format(i=i) for ours, old in _PHASE_NAMES.items() for i in (1, 2, 3)},
}
"""Workbook column → legacy ``readings`` column (values converted by the importer where the
units differ: ``apparent_power_va`` is VA, the workbook's ``apparent_power_kva`` kVA)."""


TimestampMode = Literal["as-stored", "local-as-utc", "utc-as-local"]
ZeroMode = Literal["auto", "keep", "missing"]
TIMESTAMP_MODES: tuple[str, ...] = ("as-stored", "local-as-utc", "utc-as-local")
ZERO_MODES: tuple[str, ...] = ("auto", "keep", "missing")

LEGACY_SCHEMA = "legacy"
"""Where :func:`migrate_in_place` moves the old tables."""

LEGACY_TABLES: tuple[str, ...] = (
    "organizations",
    "devices",
    "meters",
    "channels",
    "readings",
    "sites",
    "data_sync_status",
    "ingestion_logs",
    "virtual_meters",
    "virtual_meter_map",
    "data_quality_history",
)
"""The old schema's tables (the spec's); those present are moved by the in-place migration."""

_OTHER_MEASUREMENTS = tuple(
    old for ours, old in LEGACY_READING_COLUMNS.items() if ours not in ("energy_kwh", "power_kw")
)
_NEVER_POPULATED = ("temperature_c", "relative_humidity")
_DEFAULT_TZ = "America/New_York"
ZERO = timedelta(0)


class LegacyError(UsageError):
    """The legacy database cannot be imported as asked (what is wrong and how to go on)."""


@dataclass(frozen=True)
class LegacyLayout:
    """Where the legacy tables are and which reading columns they have.

    Attributes
    ----------
    schema : str
        ``public`` (untouched) or ``legacy`` (after the in-place migration moved them).
    tables : frozenset of str
        The legacy tables present.
    reading_columns : tuple of str
        The ``readings`` columns present (older databases lack the electrical-health and phase
        columns).
    """

    schema: str
    tables: frozenset[str]
    reading_columns: tuple[str, ...]

    def table(self, name: str) -> str:
        """The quoted, schema-qualified name of a legacy table."""
        return f'"{self.schema}"."{name}"'


def find_legacy(
    engine: Engine, *, schemas: Sequence[str] = (LEGACY_SCHEMA, "public")
) -> LegacyLayout | None:
    """Find the legacy tables in a PostgreSQL database.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    schemas : sequence of str
        Schemas to look in, first match wins.

    Returns
    -------
    LegacyLayout or None
        None when no schema holds ``organizations``, ``channels`` and a ``readings`` table with
        the old surrogate ``id`` (the workbook's own ``readings`` has none).
    """
    if engine.dialect.name != "postgresql":
        return None
    sql = sa.text(
        "SELECT table_schema, table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = ANY(:schemas) AND table_name = ANY(:tables) "
        "ORDER BY table_schema, table_name, ordinal_position"
    )
    with db._connect(engine, begin=False) as conn:
        rows = conn.execute(sql, {"schemas": list(schemas), "tables": list(LEGACY_TABLES)}).all()
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        columns.setdefault((schema, table), []).append(column)
    for schema in schemas:
        readings = columns.get((schema, "readings"), [])
        if (
            "id" in readings
            and "energy_kwh" in readings
            and (schema, "organizations") in columns
            and (schema, "channels") in columns
        ):
            tables = frozenset(t for (s, t) in columns if s == schema)
            return LegacyLayout(schema, tables, tuple(readings))
    return None


def _source_name(engine: Engine) -> str:
    return f"legacy:{engine.url.database}"


def _read(engine: Engine, sql: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
    with db._connect(engine, begin=False) as conn:
        result = conn.execute(sa.text(sql), params or {})
        return pd.DataFrame(result.all(), columns=list(result.keys()))


@dataclass(frozen=True)
class _SiteMeta:
    site_id: str
    name: str
    timezone: str
    address: Any
    city: Any
    country: Any
    resolution_s: int | None
    channels: pd.DataFrame  # workbook channel columns + legacy meter info
    devices: pd.DataFrame
    config: SiteSettings | None


def _zone(name: Any, site_id: str) -> str:
    value = str(name or _DEFAULT_TZ)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise LegacyError(
            f"organization {site_id} has time zone {value!r}, which is not an IANA zone; fix "
            "organizations.timezone in the old database (e.g. 'America/New_York') and run the "
            "import again"
        ) from exc
    return value


def _site_metadata(source: Engine, layout: LegacyLayout, params_dir: Any) -> list[_SiteMeta]:
    orgs = _read(source, f"SELECT * FROM {layout.table('organizations')} ORDER BY 1")
    registry = (
        _read(source, f"SELECT site_id, timezone, resolution FROM {layout.table('sites')}")
        if "sites" in layout.tables
        else pd.DataFrame(columns=["site_id", "timezone", "resolution"])
    )
    registry["site_id"] = registry["site_id"].astype(str)
    registry = registry.set_index("site_id")
    devices = _read(source, f"SELECT * FROM {layout.table('devices')}")
    meters = (
        _read(
            source,
            f"SELECT meter_id, data_type, registered, expires, status "
            f"FROM {layout.table('meters')}",
        )
        if "meters" in layout.tables
        else pd.DataFrame(columns=["meter_id", "data_type", "registered", "expires", "status"])
    )
    channels = _read(source, f"SELECT * FROM {layout.table('channels')} ORDER BY channel_id")
    if "meter_id" not in channels.columns:
        channels["meter_id"] = None
    out = []
    for org in orgs.itertuples(index=False):
        site_id = str(org.organization_id)
        reg = registry.loc[site_id] if site_id in registry.index else None
        tz = getattr(org, "timezone", None) or (None if reg is None else reg["timezone"])
        try:
            config: SiteSettings | None = load_site(site_id, params_dir=params_dir)
        except ConfigError:
            config = None
        mine = channels.loc[channels["organization_id"].astype(str) == site_id].copy()
        mine = mine.merge(
            meters[["meter_id", "data_type"]], how="left", on="meter_id", validate="many_to_one"
        )
        dev = devices.loc[devices["device_id"].isin(mine["device_id"].dropna())].copy()
        dev_names = dev.set_index("device_id")
        frame = pd.DataFrame(
            {
                "channel_id": mine["channel_id"].astype("int64").to_numpy(),
                "site_id": site_id,
                "name": mine["channel_name"].astype(str).to_numpy(),
                "device_id": mine["device_id"].astype("Int64").to_numpy(),
                "device_name": mine["device_id"].map(dev_names["device_name"]).to_numpy(),
                "device_type": mine["device_id"].map(dev_names["device_type"]).to_numpy(),
                "uuid": mine["device_id"].map(dev_names["serial_number"]).to_numpy(),
                "data_type": mine["data_type"].to_numpy(),
                "is_energy": [
                    u in (None, "kWh") or pd.isna(u) for u in mine.get("unit", [None] * len(mine))
                ],
            }
        )
        frame["uuid"] = frame["uuid"].where(frame["uuid"].astype(str).str.len() <= 32, None)
        roles = {c.channel_id: c.role for c in config.channels} if config is not None else {}
        frame["role"] = [roles.get(int(c), "sub") for c in frame["channel_id"]]
        site_devices = pd.DataFrame(
            {
                "device_id": dev["device_id"].astype("int64").to_numpy(),
                "site_id": site_id,
                "name": dev["device_name"].to_numpy(),
                "uuid": dev["serial_number"]
                .where(dev["serial_number"].astype(str).str.len() <= 32, None)
                .to_numpy(),
                "device_type": dev["device_type"].to_numpy(),
            }
        )
        resolution = None
        stated: Any = None if reg is None else reg["resolution"]
        if stated is not None and pd.notna(stated):
            resolution = int(stated)
        out.append(
            _SiteMeta(
                site_id=site_id,
                name=str(org.organization_name),
                timezone=_zone(tz, site_id),
                address=getattr(org, "address", None),
                city=getattr(org, "city", None),
                country=getattr(org, "country", None),
                resolution_s=resolution,
                channels=frame,
                devices=site_devices,
                config=config,
            )
        )
    return out


def _copy_out(engine: Engine, sql: str) -> pd.DataFrame:
    """Run ``COPY (sql) TO STDOUT`` and read the CSV (numbers as float64)."""
    buffer = io.BytesIO()
    raw = engine.raw_connection()
    try:
        cursor: Any = raw.cursor()
        cursor.copy_expert(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)", buffer)
        cursor.close()
    finally:
        raw.close()
    buffer.seek(0)
    return pd.read_csv(buffer, dtype="float64", engine="c", na_filter=True)


def _read_channel_readings(source: Engine, layout: LegacyLayout, channel_id: int) -> pd.DataFrame:
    present = [old for old in LEGACY_READING_COLUMNS.values() if old in layout.reading_columns]
    extra = [c for c in _NEVER_POPULATED if c in layout.reading_columns]
    select = ", ".join(f'"{c}"' for c in (*present, *extra))
    sql = (
        f'SELECT id, extract(epoch FROM "timestamp")::float8 AS ts, {select} '
        f"FROM {layout.table('readings')} WHERE channel_id = {int(channel_id)} "
        'ORDER BY "timestamp"'
    )
    frame = _copy_out(source, sql)
    for old in LEGACY_READING_COLUMNS.values():
        if old not in frame.columns:
            frame[old] = np.nan
    return frame


@dataclass
class _Counts:
    rows: int = 0
    outage_rows: int = 0
    energy_zero_power: int = 0
    power_zero_energy: int = 0
    real_zero_rows: int = 0
    ambiguous_zero_rows: int = 0
    forced_missing: int = 0
    shifted: int = 0
    unplaceable: int = 0
    collided: int = 0
    off_grid: int = 0
    never_populated: int = 0

    def add(self, other: _Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _fix_zeros(frame: pd.DataFrame, zeros: str, counts: _Counts) -> None:
    energy = frame["energy_kwh"].to_numpy()
    power = frame["power_kw"].to_numpy()
    cost = frame["cost"].to_numpy()
    e0, p0 = energy == 0, power == 0
    if zeros == "keep":
        return
    if zeros == "missing":
        counts.forced_missing += int((e0 | p0).sum())
        frame.loc[e0 & ~(cost != 0), "cost"] = np.nan
        frame.loc[e0, "energy_kwh"] = np.nan
        frame.loc[p0, "power_kw"] = np.nan
        return
    others = frame[list(_OTHER_MEASUREMENTS)].drop(columns=["cost"]).to_numpy()
    measured = (np.isfinite(others) & (others != 0)).any(axis=1)
    channel_reports_more = bool(measured.any())
    both = e0 & p0
    outage = both & ~measured & channel_reports_more
    energy_only_zero = e0 & (power > 0)
    power_only_zero = p0 & (energy > 0)
    counts.outage_rows += int(outage.sum())
    counts.energy_zero_power += int(energy_only_zero.sum())
    counts.power_zero_energy += int(power_only_zero.sum())
    counts.real_zero_rows += int((both & measured).sum())
    counts.ambiguous_zero_rows += int((both & ~channel_reports_more).sum())
    energy_missing = outage | energy_only_zero
    frame.loc[energy_missing & (cost == 0), "cost"] = np.nan
    frame.loc[energy_missing, "energy_kwh"] = np.nan
    frame.loc[outage | power_only_zero, "power_kw"] = np.nan


def _fix_timestamps(
    ts: np.ndarray, tz: str, mode: str, fix_until: pd.Timestamp | None, counts: _Counts
) -> np.ndarray:
    """Stored epoch seconds → true epoch seconds (NaN where a wall-clock time cannot be placed)."""
    out = ts.astype("float64").copy()
    if mode == "as-stored":
        return out
    todo = np.ones(len(ts), dtype=bool)
    if fix_until is not None:
        todo = ts < fix_until.timestamp()
    if not todo.any():
        return out
    stored = pd.DatetimeIndex(pd.to_datetime(ts[todo], unit="s", utc=True))
    if mode == "local-as-utc":
        wall = stored.tz_localize(None)
        placed = wall.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    else:  # utc-as-local: the stored instant's wall-clock time in the zone was really UTC
        placed = stored.tz_convert(tz).tz_localize(None).tz_localize("UTC")
    seconds = np.where(placed.isna(), np.nan, placed.as_unit("s").asi8)
    counts.unplaceable += int(np.isnan(seconds).sum())
    counts.shifted += int((~np.isnan(seconds) & (seconds != ts[todo])).sum())
    out[todo] = seconds
    return out


def _resolution(ts: np.ndarray, fallback: int | None) -> int | None:
    if len(ts) >= 2:
        steps = np.diff(np.sort(ts))
        steps = steps[steps > 0]
        if len(steps):
            return int(np.median(steps))
    return fallback


def _canonical(frame: pd.DataFrame, channel_id: int, ts: np.ndarray) -> pd.DataFrame:
    data: dict[str, Any] = {
        "timestamp": pd.to_datetime(ts.astype("int64"), unit="s", utc=True),
        "channel_id": np.full(len(ts), channel_id, dtype="int64"),
    }
    for ours, old in LEGACY_READING_COLUMNS.items():
        values = frame[old].to_numpy(dtype="float64")
        data[ours] = values / 1000.0 if ours == "apparent_power_kva" else values
    return pd.DataFrame(data)


def _channel_frame(
    raw: pd.DataFrame,
    channel_id: int,
    meta: _SiteMeta,
    *,
    timestamps: str,
    fix_until: pd.Timestamp | None,
    zeros: str,
    counts: _Counts,
) -> tuple[pd.DataFrame, pd.DataFrame, int | None]:
    """One channel's legacy rows → (canonical readings, rejected values, resolution)."""
    counts.rows += len(raw)
    for column in _NEVER_POPULATED:
        if column in raw.columns:
            counts.never_populated += int(raw[column].notna().sum())
    _fix_zeros(raw, zeros, counts)
    ts = _fix_timestamps(raw["ts"].to_numpy(), meta.timezone, timestamps, fix_until, counts)
    rejected_parts = []
    unplaced = np.isnan(ts)
    if unplaced.any():
        rejected_parts.append(
            pd.DataFrame(
                {
                    "channel_id": np.int64(channel_id),
                    "timestamp": pd.to_datetime(raw["ts"].to_numpy()[unplaced], unit="s", utc=True),
                    "field": "timestamp",
                    "raw_value": [f"legacy id {int(i)}" for i in raw["id"].to_numpy()[unplaced]],
                    "reason": (
                        f"wall-clock time in the repeated hour of the autumn clock change "
                        f"({meta.timezone}) cannot be placed; row kept out"
                    ),
                    "location": [f"legacy readings id {int(i)}" for i in raw["id"][unplaced]],
                }
            )
        )
    keep = ~unplaced
    raw, ts = raw.loc[keep].reset_index(drop=True), ts[keep]
    # two stored rows placed on the same instant: the later-written (higher id) wins
    order = np.lexsort((raw["id"].to_numpy(), ts))
    raw, ts = raw.iloc[order].reset_index(drop=True), ts[order]
    dup = np.zeros(len(ts), dtype=bool)
    dup[:-1] = ts[1:] == ts[:-1]
    counts.collided += int(dup.sum())
    raw, ts = raw.loc[~dup].reset_index(drop=True), ts[~dup]
    res = _resolution(ts, meta.resolution_s)
    canonical = _canonical(raw, channel_id, ts)
    ids = raw["id"].to_numpy()
    if res:
        off = (ts.astype("int64") % res) != 0
        if off.any() and res <= 3600:
            counts.off_grid += int(off.sum())
            rejected_parts.append(
                pd.DataFrame(
                    {
                        "channel_id": np.int64(channel_id),
                        "timestamp": canonical["timestamp"][off].to_numpy(),
                        "field": "timestamp",
                        "raw_value": canonical["timestamp"][off]
                        .dt.strftime("%Y-%m-%dT%H:%M:%SZ")
                        .to_numpy(),
                        "reason": f"timestamp off the channel's {res}-s grid; row kept out",
                        "location": [f"legacy readings id {int(i)}" for i in ids[off]],
                    }
                )
            )
            canonical, ids = canonical.loc[~off].reset_index(drop=True), ids[~off]
    max_kw = power_ceilings(meta.config, [channel_id]) if meta.config is not None else None
    kept, range_rejected = validate_readings(canonical, resolution_s=res, max_kw=max_kw)
    if len(range_rejected):
        where = pd.Series(ids, index=canonical["timestamp"].to_numpy())
        range_rejected["location"] = [
            f"legacy readings id {int(where[t])}" for t in range_rejected["timestamp"].to_numpy()
        ]
        rejected_parts.append(range_rejected)
    return kept, concat_rejected(rejected_parts), res


@dataclass
class _TimeEvidence:
    """What the readings say about their timestamps, gathered channel by channel."""

    profile: np.ndarray  # weekday energy by site-local hour [kWh]
    weekday_rows: int = 0
    spring: dict[str, list[bool]] | None = None  # spring-forward day → per channel: 02:00Z gap

    @classmethod
    def empty(cls) -> _TimeEvidence:
        return cls(np.zeros(24), 0, {})

    def add(self, kept: pd.DataFrame, tz: str) -> None:
        both = kept[["timestamp", "energy_kwh"]].dropna()
        if both.empty:
            return
        local = both["timestamp"].dt.tz_convert(tz)
        weekday = (local.dt.day_of_week < 5).to_numpy()
        hours = local.dt.hour.to_numpy()[weekday]
        self.profile += np.bincount(hours, both["energy_kwh"].to_numpy()[weekday], minlength=24)
        self.weekday_rows += int(weekday.sum())
        stamps = set(kept["timestamp"])
        lo, hi = kept["timestamp"].min(), kept["timestamp"].max()
        for day in _spring_forward_days(lo, hi, tz):
            label = pd.Timestamp(day).tz_localize("UTC") + pd.Timedelta(hours=2)
            if lo < label < hi and label - pd.Timedelta(hours=1) in stamps:
                assert self.spring is not None
                self.spring.setdefault(day, []).append(label not in stamps)

    def start_up_hour(self) -> int | None:
        """Site-local hour of the steepest rise of the mean weekday load (its start-up)."""
        if self.weekday_rows < 24 * 5 or self.profile.max() <= 0:
            return None
        rise = self.profile - np.roll(self.profile, 1)
        return int(np.argmax(rise))

    def spring_gaps(self) -> list[str]:
        """Spring-forward days on which every channel lacks 02:00 UTC (and has 01:00)."""
        return sorted(day for day, gaps in (self.spring or {}).items() if gaps and all(gaps))


def _spring_forward_days(lo: pd.Timestamp, hi: pd.Timestamp, tz: str) -> list[str]:
    zone = ZoneInfo(tz)
    out = []
    for year in range(lo.year, hi.year + 1):
        days = pd.date_range(f"{year}-02-01", f"{year}-05-01", freq="D")
        offsets = np.array(
            [
                (d.to_pydatetime().replace(tzinfo=zone).utcoffset() or ZERO).total_seconds()
                for d in days
            ]
        )
        out += [str(days[int(i)].date()) for i in np.flatnonzero(np.diff(offsets) > 0)]
    return out


def _notes(counts: _Counts, meta: _SiteMeta, evidence: _TimeEvidence, timestamps: str) -> list[str]:
    notes = []
    if counts.outage_rows:
        notes.append(
            f"{plural(counts.outage_rows, 'row')} with energy and power 0 and nothing else "
            "measured (the old ingester's 0 for a missing value) stored as missing"
        )
    if counts.energy_zero_power or counts.power_zero_energy:
        notes.append(
            f"{plural(counts.energy_zero_power, 'energy zero')} beside a positive power and "
            f"{plural(counts.power_zero_energy, 'power zero')} beside a positive energy stored "
            "as missing"
        )
    if counts.real_zero_rows:
        notes.append(
            f"{plural(counts.real_zero_rows, 'row')} with energy and power 0 and the voltage "
            "measured kept as real zeros (load off)"
        )
    if counts.ambiguous_zero_rows:
        notes.append(
            f"warning: {plural(counts.ambiguous_zero_rows, 'row')} with energy and power 0 on "
            "channels that store nothing else cannot be told from missing values and were kept "
            "as 0; the analytics treat a zero run where the baseline never reads zero as an "
            "outage. Re-import with --zeros missing if those channels never truly read zero"
        )
    if counts.forced_missing:
        notes.append(f"{plural(counts.forced_missing, 'row')} with a zero stored as missing")
    if timestamps != "as-stored":
        notes.append(
            f"timestamps read as {timestamps} ({meta.timezone}): "
            f"{plural(counts.shifted, 'reading')} moved"
        )
    if counts.unplaceable:
        notes.append(
            f"warning: {plural(counts.unplaceable, 'reading')} in the autumn's repeated hour "
            "could not be placed and were kept out (in the rejected-readings ledger)"
        )
    if counts.collided:
        notes.append(
            f"{plural(counts.collided, 'reading')} landed on an instant already taken; the "
            "later-written kept"
        )
    if counts.off_grid:
        notes.append(
            f"warning: {plural(counts.off_grid, 'reading')} off the channel's interval grid "
            "kept out"
        )
    if counts.never_populated:
        notes.append(
            f"{plural(counts.never_populated, 'value')} of temperature_c/relative_humidity "
            "not imported (the workbook keeps outdoor temperature per site: argo import-weather)"
        )
    if timestamps == "as-stored":
        gaps = evidence.spring_gaps()
        start_up = evidence.start_up_hour()
        if gaps:
            notes.append(
                f"warning: every channel lacks 02:00 UTC on {', '.join(gaps)}, the hour the "
                "spring clock change skips in local time: the timestamps look like local "
                "wall-clock time stored as UTC. Re-import with --timestamps local-as-utc"
            )
        elif start_up is not None and (start_up >= 22 or start_up <= 3):
            notes.append(
                f"warning: the site's weekday load rises most at {start_up:02d}:00 local time, "
                "in the night: the timestamps may be local wall-clock time stored as UTC. Check "
                "a known event (a closing time, an outage), then re-import with --timestamps "
                "local-as-utc"
            )
    return notes


def _check_options(timestamps: str, zeros: str) -> None:
    if timestamps not in TIMESTAMP_MODES:
        raise LegacyError(
            f"timestamps must be one of {', '.join(TIMESTAMP_MODES)}, got {timestamps!r}"
        )
    if zeros not in ZERO_MODES:
        raise LegacyError(f"zeros must be one of {', '.join(ZERO_MODES)}, got {zeros!r}")


def import_legacy(
    source: Engine,
    target: Engine,
    *,
    layout: LegacyLayout | None = None,
    sites: Iterable[str] | None = None,
    timestamps: str = "as-stored",
    fix_until: Any = None,
    zeros: str = "auto",
    params_dir: Any = None,
) -> list[IngestResult]:
    """Import every (or the named) site of a legacy database, one ingestion run per site.

    Parameters
    ----------
    source : sqlalchemy.engine.Engine
        The old PostgreSQL database (read only; nothing is written there).
    target : sqlalchemy.engine.Engine
        An upgraded workbook database (SQLite or PostgreSQL); may be ``source`` itself after
        :func:`migrate_in_place` moved the old tables aside.
    layout : LegacyLayout, optional
        Where the legacy tables are; default found with :func:`find_legacy`.
    sites : iterable of str, optional
        Organization ids to import; default all.
    timestamps : {"as-stored", "local-as-utc", "utc-as-local"}
        How to read the stored timestamps (module docstring).
    fix_until : datetime-like, optional
        Apply the timestamp correction only to readings stored before this instant.
    zeros : {"auto", "keep", "missing"}
        How to read energy and power zeros (module docstring).
    params_dir : path, optional
        Folder of the site files (roles, power ceilings); default the project's.

    Returns
    -------
    list of IngestResult
        One per site, source ``legacy:<database>``; ``notes`` say what was converted.

    Raises
    ------
    LegacyError
        If ``source`` holds no legacy schema, a named site is not in it, or an option is bad.
    """
    _check_options(timestamps, zeros)
    until = None
    if fix_until is not None:
        until = pd.Timestamp(fix_until)
        if until.tzinfo is None:
            raise LegacyError(
                f"fix_until {fix_until!r} has no time zone; give one, e.g. 2025-12-01T00:00Z"
            )
    layout = layout or find_legacy(source)
    if layout is None:
        raise LegacyError(
            f"{db.describe_database(source)} holds no legacy schema (tables organizations, "
            "channels and readings with an id column); check the URL"
        )
    metas = _site_metadata(source, layout, params_dir)
    if sites is not None:
        wanted = {str(s) for s in sites}
        unknown = sorted(wanted - {m.site_id for m in metas})
        if unknown:
            known = ", ".join(m.site_id for m in metas) or "none"
            raise LegacyError(
                f"organization(s) {', '.join(unknown)} not in the legacy database; it has: {known}"
            )
        metas = [m for m in metas if m.site_id in wanted]
    return [_import_site(source, target, layout, meta, timestamps, until, zeros) for meta in metas]


def _import_site(
    source: Engine,
    target: Engine,
    layout: LegacyLayout,
    meta: _SiteMeta,
    timestamps: str,
    until: pd.Timestamp | None,
    zeros: str,
) -> IngestResult:
    started = time.perf_counter()
    name = _source_name(source)
    run_id = db.start_run(
        target,
        source=name,
        site_id=meta.site_id,
        parameters={
            "legacy_schema": layout.schema,
            "timestamps": timestamps,
            "fix_until": None if until is None else until.isoformat(),
            "zeros": zeros,
        },
    )
    counts = _Counts()
    rows = []
    evidence = _TimeEvidence.empty()
    written = 0
    rejected_all: list[pd.DataFrame] = []
    batch: list[pd.DataFrame] = []
    batch_channels: list[pd.DataFrame] = []

    def flush() -> int:
        """Write the channels, then the readings, gathered so far (each call one transaction)."""
        if batch_channels:
            db.upsert_channels(target, pd.concat(batch_channels, ignore_index=True))
        n = db.upsert_readings(target, pd.concat(batch, ignore_index=True)) if batch else 0
        batch.clear()
        batch_channels.clear()
        return n

    try:
        db.upsert_site(
            target,
            {
                "site_id": meta.site_id,
                "name": meta.name,
                "timezone": meta.timezone,
                "address": meta.address,
                "city": meta.city,
                "country": meta.country,
                "currency": None if meta.config is None else meta.config.tariff.currency,
            },
        )
        if len(meta.devices):
            db.upsert_devices(target, meta.devices)
        ledger = RejectedLedger(db.read_rejected(target, site_id=meta.site_id))
        pending = 0
        for channel in meta.channels.itertuples(index=False):
            cid = int(str(channel.channel_id))
            raw = _read_channel_readings(source, layout, cid)
            received = len(raw)
            kept, rejected, res = _channel_frame(
                raw, cid, meta, timestamps=timestamps, fix_until=until, zeros=zeros, counts=counts
            )
            row = meta.channels.loc[meta.channels["channel_id"] == cid].copy()
            row["resolution_s"] = res
            batch_channels.append(row)
            write_new_rejected(target, ledger, rejected, run_id)
            if len(kept):
                batch.append(kept)
                pending += len(kept)
            evidence.add(kept, meta.timezone)
            rejected_all.append(rejected)
            n = len(kept)
            stamps = kept["timestamp"]
            rows.append(
                {
                    "channel_id": cid,
                    "channel_name": channel.name,
                    "status": "ok" if received else "no_data",
                    "resolution_s": res,
                    "fetch_start": stamps.min() if n else pd.NaT,
                    "fetch_end": stamps.max() + pd.Timedelta(seconds=res or 0) if n else pd.NaT,
                    "windows": 0,
                    "received": received,
                    "written": n,
                    "kept_out": received - n,
                    "duplicates": 0,
                    "rejected": len(rejected),
                    "error": None,
                }
            )
            if pending >= _BATCH_ROWS:
                written += flush()
                pending = 0
        written += flush()
    except BaseException as exc:
        db.finish_run(target, run_id, status="failed", error=summarise_error(exc))
        raise
    channels = pd.DataFrame(rows, columns=list(_RESULT_COLUMNS)).astype({"resolution_s": "Int64"})
    for column in ("fetch_start", "fetch_end"):
        channels[column] = pd.to_datetime(channels[column], utc=True)
    rejected = concat_rejected(rejected_all)
    tz = ZoneInfo(meta.timezone)
    first = channels["fetch_start"].min()
    last = channels["fetch_end"].max()
    if pd.isna(first):
        first = last = pd.Timestamp.now(tz="UTC").floor("h")
    db.finish_run(
        target,
        run_id,
        status="ok",
        channels_requested=len(channels),
        rows_received=counts.rows,
        rows_written=written,
        rows_rejected=len(rejected),
    )
    with db._connect(target) as conn:  # the run's period: what the legacy database held
        conn.execute(
            db.ingestion_runs.update()
            .where(db.ingestion_runs.c.run_id == run_id)
            .values(period_start=first.to_pydatetime(), period_end=last.to_pydatetime())
        )
    return IngestResult(
        run_id=run_id,
        site_id=meta.site_id,
        source=name,
        status="ok",
        period=Period(first.tz_convert(tz), last.tz_convert(tz)),
        channels=channels,
        windows=pd.DataFrame(columns=list(db.WINDOW_COLUMNS)),
        rejected=rejected,
        error=None,
        elapsed_s=time.perf_counter() - started,
        notes=tuple(_notes(counts, meta, evidence, timestamps)),
    )


_BATCH_ROWS = 500_000
"""Readings written per transaction: memory stays bounded however large the old table."""

_RESULT_COLUMNS = (
    "channel_id", "channel_name", "status", "resolution_s", "fetch_start", "fetch_end",
    "windows", "received", "written", "kept_out", "duplicates", "rejected", "error",
)  # fmt: skip


def migrate_in_place(
    engine: Engine,
    *,
    sites: Iterable[str] | None = None,
    timestamps: str = "as-stored",
    fix_until: Any = None,
    zeros: str = "auto",
    params_dir: Any = None,
) -> list[IngestResult]:
    """Turn a legacy PostgreSQL database into a workbook database, keeping the old tables.

    The legacy tables move to the schema ``legacy`` in one transaction (their indexes,
    sequences and the views built on them follow; the old scripts, which name tables without a
    schema, now fail loudly instead of writing beside the workbook), the workbook schema is
    created in ``public`` (:func:`argo_lib.db.upgrade`) and :func:`import_legacy` copies the
    data from ``legacy``. Interrupted, it is resumed by running it again: the move is done or
    not, and the import is idempotent.

    Returns
    -------
    list of IngestResult
        One per site imported.

    Raises
    ------
    LegacyError
        If the database is not PostgreSQL or holds no legacy schema.
    """
    _check_options(timestamps, zeros)
    if engine.dialect.name != "postgresql":
        raise LegacyError(
            f"{db.describe_database(engine)} is not PostgreSQL: the old schema only ever lived on "
            "PostgreSQL. To copy an old database into this one, use argo db import-legacy --from"
        )
    layout = find_legacy(engine)
    if layout is None:
        raise LegacyError(
            f"{db.describe_database(engine)} holds no legacy schema (tables organizations, "
            "channels and readings with an id column) in public or legacy; nothing to migrate"
        )
    if layout.schema == "public":
        with db._connect(engine) as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA IF NOT EXISTS "{LEGACY_SCHEMA}"')
            taken = {
                r[0]
                for r in conn.execute(
                    sa.text(
                        "SELECT table_name FROM information_schema.tables WHERE table_schema = :s"
                    ),
                    {"s": LEGACY_SCHEMA},
                )
            }
            clash = sorted(taken & layout.tables)
            if clash:
                raise LegacyError(
                    f"schema {LEGACY_SCHEMA} already holds {', '.join(clash)}; the old tables "
                    "cannot move there. Rename that schema, then run the migration again"
                )
            for table in LEGACY_TABLES:
                if table in layout.tables:
                    conn.exec_driver_sql(
                        f'ALTER TABLE public."{table}" SET SCHEMA "{LEGACY_SCHEMA}"'
                    )
        logger.info("moved %d legacy tables to schema %s", len(layout.tables), LEGACY_SCHEMA)
        layout = LegacyLayout(LEGACY_SCHEMA, layout.tables, layout.reading_columns)
    db.upgrade(engine)
    return import_legacy(
        engine,
        engine,
        layout=layout,
        sites=sites,
        timestamps=timestamps,
        fix_until=fix_until,
        zeros=zeros,
        params_dir=params_dir,
    )
