"""A database in the company's old schema, written the way the old ingestion wrote it.

The legacy PostgreSQL schema (``organizations``, ``devices``, ``channels``, ``meters``,
``sites``, ``readings`` with a surrogate ``id``, ``ingestion_logs`` and the layered views) is
described in ``spec/legacy_schema.md``. :func:`create_legacy_schema` builds its final shape
(a clean-room build, as the spec allows) and :func:`write_legacy_readings` stores canonical
readings with the old client's conversions and faults, so that the importer
(:mod:`argo_lib.ingest.legacy`) is tested, and benchmarked, against what the company's database
really holds:

- a missing energy or power value is stored as **0**, not NULL;
- ``apparent_power_va`` stays in VA; ``energy_wh1..3`` hold kWh and ``power_w1..3`` hold kW
  despite their names; ``thd_current`` is the THD in %; ``cost`` is ``NUMERIC(12,2)``;
- timestamps were naive: on a host set to the site's time zone the wall-clock time was stored
  as if it were UTC (``timestamps="local-as-utc"``; the repeated hour of the autumn change
  collides and the later value wins, as the old ``ON CONFLICT DO UPDATE`` did).

PostgreSQL only: the company's database never ran on anything else.
"""

from __future__ import annotations

import io
from typing import Any, Literal

import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib.ingest.legacy import _PHASE_NAMES, LEGACY_READING_COLUMNS

__all__ = [
    "LEGACY_DDL",
    "create_legacy_schema",
    "legacy_reading_frame",
    "write_legacy_metadata",
    "write_legacy_readings",
]

_PHASE_DDL = ",\n".join(
    f"    {old.format(i=i)} REAL" for old in _PHASE_NAMES.values() for i in (1, 2, 3)
)

LEGACY_DDL = f"""
CREATE TABLE organizations (
    organization_id TEXT PRIMARY KEY,
    organization_name TEXT NOT NULL,
    address TEXT, city TEXT, postcode TEXT, country TEXT,
    timezone TEXT DEFAULT 'America/New_York',
    created_at TIMESTAMPTZ DEFAULT now(), updated_at TIMESTAMPTZ DEFAULT now()
);
CREATE TABLE devices (
    device_id INTEGER PRIMARY KEY,
    device_name TEXT,
    organization_id TEXT REFERENCES organizations (organization_id),
    device_type TEXT, serial_number TEXT, firmware_version TEXT,
    last_seen TIMESTAMPTZ,
    created_at TIMESTAMPTZ DEFAULT now(), updated_at TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX idx_devices_org ON devices (organization_id);
CREATE TABLE meters (
    meter_id INTEGER PRIMARY KEY,
    device_id INTEGER,
    meter_name TEXT, data_type TEXT, ct_ratio TEXT, voltage_scale TEXT,
    channel_count INTEGER, interface_name TEXT, interface_id INTEGER,
    organization_id TEXT, uuid TEXT, parent_id INTEGER,
    registered BIGINT, expires BIGINT, status TEXT,
    created_at TIMESTAMPTZ DEFAULT now(), updated_at TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX idx_meters_device_id ON meters (device_id);
CREATE INDEX idx_meters_org_id ON meters (organization_id);
CREATE TABLE channels (
    channel_id INTEGER PRIMARY KEY,
    channel_name TEXT NOT NULL,
    device_id INTEGER,
    organization_id TEXT REFERENCES organizations (organization_id),
    channel_type TEXT, unit TEXT, description TEXT,
    meter_id INTEGER CONSTRAINT fk_meter REFERENCES meters (meter_id),
    created_at TIMESTAMPTZ DEFAULT now(), updated_at TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX idx_channels_org ON channels (organization_id);
CREATE INDEX idx_channels_meter_id ON channels (meter_id);
CREATE TABLE readings (
    id BIGSERIAL PRIMARY KEY,
    channel_id INTEGER NOT NULL REFERENCES channels (channel_id),
    "timestamp" TIMESTAMPTZ NOT NULL,
    energy_kwh REAL, power_kw REAL, voltage_v REAL, current_a REAL, power_factor REAL,
    reactive_power_kvar REAL, temperature_c REAL, relative_humidity REAL,
    frequency_hz REAL, neutral_current_a REAL, thd_current REAL, apparent_power_va REAL,
    cost NUMERIC(12, 2),
{_PHASE_DDL},
    created_at TIMESTAMPTZ DEFAULT now()
);
CREATE UNIQUE INDEX idx_readings_unique ON readings (channel_id, "timestamp");
CREATE INDEX idx_readings_channel_timestamp ON readings (channel_id, "timestamp" DESC);
CREATE INDEX idx_readings_timestamp ON readings ("timestamp" DESC);
CREATE TABLE data_sync_status (
    id SERIAL PRIMARY KEY, organization_id TEXT NOT NULL, channel_id INT,
    last_sync_timestamp TIMESTAMPTZ NOT NULL, last_reading_timestamp TIMESTAMPTZ,
    readings_count INT, sync_status TEXT, error_message TEXT,
    created_at TIMESTAMPTZ DEFAULT now()
);
CREATE TABLE ingestion_logs (
    id SERIAL PRIMARY KEY, organization_id TEXT NOT NULL, channel_id INTEGER NOT NULL,
    start_time TIMESTAMPTZ NOT NULL, end_time TIMESTAMPTZ NOT NULL,
    readings_fetched INTEGER NOT NULL DEFAULT 0, readings_inserted INTEGER NOT NULL DEFAULT 0,
    readings_rejected INTEGER NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'success',
    error_message TEXT, created_at TIMESTAMPTZ DEFAULT now()
);
CREATE TABLE sites (
    site_id INTEGER PRIMARY KEY, site_name TEXT NOT NULL, is_active BOOL DEFAULT true,
    wcds_only BOOL DEFAULT true, resolution INT DEFAULT 3600,
    timezone TEXT DEFAULT 'America/New_York', notes TEXT,
    created_at TIMESTAMPTZ DEFAULT now(), updated_at TIMESTAMPTZ DEFAULT now()
);
CREATE INDEX idx_sites_active ON sites (is_active) WHERE is_active;
CREATE VIEW v_clean_readings AS
    SELECT r.*, (r."timestamp" AT TIME ZONE 'UTC')::timestamptz AS reading_time
    FROM readings r
    WHERE energy_kwh IS NOT NULL AND power_kw IS NOT NULL AND energy_kwh <> 0 AND power_kw <> 0;
CREATE MATERIALIZED VIEW mv_hourly_usage AS
    SELECT channel_id AS meter_id, date_trunc('hour', "timestamp") AS hour,
           avg(power_kw) AS avg_kw, sum(energy_kwh) AS total_kwh, count(*) AS reading_count
    FROM v_clean_readings GROUP BY 1, 2;
CREATE UNIQUE INDEX idx_mv_hourly_usage_meter_hour ON mv_hourly_usage (meter_id, hour);
"""
"""The legacy schema's final shape (tables, indexes and two of its views)."""


def create_legacy_schema(engine: Engine) -> None:
    """Create the legacy tables and views in an empty PostgreSQL database."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(LEGACY_DDL)
        cursor.close()
        raw.commit()
    finally:
        raw.close()


def write_legacy_metadata(
    engine: Engine,
    *,
    organization_id: str,
    name: str,
    timezone: str = "America/New_York",
    channels: pd.DataFrame,
    resolution_s: int = 3600,
) -> None:
    """Write an organization, its devices, meters, channels and ``sites`` row, as the old scripts did.

    Parameters
    ----------
    channels : pandas.DataFrame
        ``channel_id``, ``channel_name`` and optionally ``device_id``, ``device_name``,
        ``device_type``, ``uuid``, ``data_type``.
    """
    frame = channels.copy()
    for column in ("device_id", "device_name", "device_type", "uuid", "data_type"):
        if column not in frame.columns:
            frame[column] = None
    raw = engine.raw_connection()
    try:
        cur: Any = raw.cursor()
        cur.execute(
            "INSERT INTO organizations (organization_id, organization_name, timezone) "
            "VALUES (%s, %s, %s)",
            (organization_id, name, timezone),
        )
        cur.execute(
            "INSERT INTO sites (site_id, site_name, resolution, timezone) VALUES (%s, %s, %s, %s)",
            (int(organization_id), name, resolution_s, timezone),
        )
        devices = frame.dropna(subset=["device_id"]).drop_duplicates("device_id")
        device_rows: list[dict[Any, Any]] = devices.to_dict("records")
        for row in device_rows:
            cur.execute(
                "INSERT INTO devices (device_id, device_name, organization_id, device_type, "
                "serial_number) VALUES (%s, %s, %s, %s, %s)",
                (
                    int(row["device_id"]),
                    row["device_name"],
                    organization_id,
                    row["device_type"],
                    row["uuid"],
                ),
            )
        channel_rows: list[dict[Any, Any]] = frame.to_dict("records")
        for row in channel_rows:
            device = None if pd.isna(row["device_id"]) else int(row["device_id"])
            cur.execute(
                "INSERT INTO meters (meter_id, device_id, meter_name, data_type, "
                "organization_id, registered, expires, status) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, 'active')",
                (
                    int(row["channel_id"]),
                    device,
                    row["channel_name"],
                    row["data_type"],
                    organization_id,
                    1_700_000_000,
                    1_900_000_000,
                ),
            )
            cur.execute(
                "INSERT INTO channels (channel_id, channel_name, device_id, organization_id, "
                "channel_type, unit, meter_id) "
                "VALUES (%s, %s, %s, %s, 'energy', 'kWh', %s)",
                (
                    int(row["channel_id"]),
                    row["channel_name"],
                    device,
                    organization_id,
                    int(row["channel_id"]),
                ),
            )
        raw.commit()
    finally:
        raw.close()


def legacy_reading_frame(
    readings: pd.DataFrame,
    *,
    timestamps: Literal["utc", "local-as-utc"] = "utc",
    timezone: str = "America/New_York",
    missing_as_zero: bool = True,
) -> pd.DataFrame:
    """Convert canonical readings to the rows the old ingestion stored.

    Parameters
    ----------
    readings : pandas.DataFrame
        Canonical readings (``channel_id``, ``timestamp`` tz-aware, workbook columns). A row
        whose energy or power is NaN is a record the API returned without that value.
    timestamps : {"utc", "local-as-utc"}
        ``"local-as-utc"``: the wall-clock time in ``timezone`` stored as if it were UTC
        (``datetime.fromtimestamp`` on a host in that zone); the autumn's repeated hour keeps
        its later reading.
    missing_as_zero : bool
        Store missing energy and power as 0 (the main Python ingester), else NULL (the
        historical script).

    Returns
    -------
    pandas.DataFrame
        ``channel_id``, ``timestamp`` (UTC as stored) and legacy columns.
    """
    out = pd.DataFrame({"channel_id": readings["channel_id"].astype("int64")})
    stamps = pd.to_datetime(readings["timestamp"], utc=True)
    if timestamps == "local-as-utc":
        stamps = stamps.dt.tz_convert(timezone).dt.tz_localize(None).dt.tz_localize("UTC")
    out["timestamp"] = stamps
    for ours, old in LEGACY_READING_COLUMNS.items():
        if ours not in readings.columns:
            continue
        values = pd.to_numeric(readings[ours], errors="coerce").astype("float64")
        if ours == "apparent_power_kva":
            values = values * 1000.0
        elif ours == "cost":
            values = values.round(2)
        if missing_as_zero and ours in ("energy_kwh", "power_kw"):
            values = values.fillna(0.0)
        out[old] = values.to_numpy()
    return out.drop_duplicates(["channel_id", "timestamp"], keep="last").reset_index(drop=True)


def write_legacy_readings(engine: Engine, frame: pd.DataFrame) -> int:
    """COPY rows of :func:`legacy_reading_frame` into the legacy ``readings`` table.

    Returns
    -------
    int
        Rows written.
    """
    if frame.empty:
        return 0
    columns = ["channel_id", "timestamp", *[c for c in frame.columns if c not in _KEYS]]
    data = frame[columns].copy()
    data["timestamp"] = data["timestamp"].dt.strftime("%Y-%m-%d %H:%M:%S+00")
    buffer = io.StringIO()
    data.to_csv(buffer, index=False, header=False, na_rep="")
    buffer.seek(0)
    quoted = ", ".join(f'"{c}"' for c in columns)
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.copy_expert(f"COPY readings ({quoted}) FROM STDIN WITH (FORMAT csv)", buffer)
        raw.commit()
    finally:
        raw.close()
    return len(data)


_KEYS = ("channel_id", "timestamp")
