r"""Pure parsers of Eniscope payloads: decoded JSON in, DataFrames in project names and units out.

No HTTP here, so recorded payloads are tested without a server. Every parser renames to the
project glossary and converts units at this boundary (Wh to kWh, W to kW, VAr to kVAr, VA to
kVA): nothing downstream sees the API's own names or units.

- :func:`decode_payload` decodes a body as JSON whatever its ``Content-Type`` says;
- :func:`unwrap_list` and :func:`page_count` read list envelopes (``{"channels": [...],
  "meta": {"pageCount": 3}}``, a bare list, ``result``, ``data``, ``items``);
- :func:`parse_readings` turns a ``/readings/{channelId}`` payload into the long readings frame
  and a frame of rejected values;
- :func:`parse_organizations`, :func:`parse_devices`, :func:`parse_channels` and
  :func:`parse_meters` turn metadata into one row per resource, with IDs as integers and epoch
  strings as UTC-aware timestamps.

Examples
--------
>>> payload = {"units": {"E": "Wh", "P": "W"},
...            "records": [{"ts": 1764565200, "E": 1290.08, "P": "1290.12"}]}
>>> readings, rejected = parse_readings(payload, channel_id=162285, resolution_s=3600)
>>> readings[["timestamp", "energy_kwh", "power_kw"]].to_string(index=False)
'                timestamp  energy_kwh  power_kw\n2025-12-01 05:00:00+00:00     1.29008   1.29012'
>>> len(rejected)
0
"""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.eniscope.errors import InvalidResponseError
from argo_lib.fields import READING_FIELDS, ReadingField

__all__ = [
    "REJECTED_COLUMNS",
    "concat_rejected",
    "decode_payload",
    "empty_rejected",
    "page_count",
    "parse_channels",
    "parse_devices",
    "parse_meters",
    "parse_organizations",
    "parse_readings",
    "unwrap_list",
]

logger = logging.getLogger(__name__)

_TS_KEYS = ("ts", "t", "timestamp", "time")
_RECORD_KEYS = ("records", "data", "readings")
_LIST_FALLBACK_KEYS = ("result", "data", "items")
_MAX_EPOCH_S = 4_102_444_800  # 2100-01-01: a larger "epoch second" is not one
_EPOCH_FIELDS = (
    "created",
    "modified",
    "registered",
    "expires",
    "renewed",
    "data_received",
    "last_log_in",
)


def decode_payload(content: bytes | str) -> Any:
    """Decode a response body as JSON, whatever its ``Content-Type`` says.

    The non-standard literals ``NaN``, ``Infinity`` and ``-Infinity`` are kept as strings, so
    :func:`parse_readings` can count them as rejected values instead of mistaking them for null.

    Parameters
    ----------
    content : bytes or str
        The raw body.

    Returns
    -------
    Any
        The decoded JSON.

    Raises
    ------
    ValueError
        If the body is not JSON (:class:`json.JSONDecodeError`).

    Examples
    --------
    >>> decode_payload(b'{"records": [{"ts": 1, "E": NaN}]}')
    {'records': [{'ts': 1, 'E': 'NaN'}]}
    """
    return json.loads(content, parse_constant=str)


def unwrap_list(payload: Any, plural: str) -> list[Any]:
    """Unwrap the records of a list response defensively.

    Tries, in order: a bare list, ``payload[plural]``, ``result``, ``data``, ``items``.

    Parameters
    ----------
    payload : Any
        Decoded JSON.
    plural : str
        Resource name of the envelope, e.g. ``"channels"``.

    Returns
    -------
    list
        The records (possibly empty).

    Raises
    ------
    InvalidResponseError
        If no list is found; the message names the keys that were present.

    Examples
    --------
    >>> unwrap_list({"channels": [{"dataChannelId": "1"}], "meta": {}}, "channels")
    [{'dataChannelId': '1'}]
    >>> unwrap_list({"result": []}, "channels")
    []
    """
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in (plural, *_LIST_FALLBACK_KEYS):
            value = payload.get(key)
            if isinstance(value, list):
                return value
            if key == plural and value is None and key in payload:
                return []
        keys = sorted(map(str, payload))[:10]
        raise InvalidResponseError(
            f"Eniscope response has no {plural!r} list (keys: {keys}); the API may have changed "
            f"its envelope: record the payload under tests/data/eniscope/ and extend unwrap_list"
        )
    raise InvalidResponseError(
        f"Eniscope response for {plural!r} is a {type(payload).__name__}, not a list or object"
    )


def page_count(payload: Any) -> int | None:
    """Number of pages a list response announces in ``meta.pageCount``.

    Parameters
    ----------
    payload : Any
        Decoded JSON of one page.

    Returns
    -------
    int or None
        ``meta.pageCount`` as an int; None when there is no ``meta`` or no usable count.

    Examples
    --------
    >>> page_count({"channels": [], "meta": {"pageCount": "3"}}), page_count([])
    (3, None)
    """
    meta = payload.get("meta") if isinstance(payload, dict) else None
    if not isinstance(meta, dict):
        return None
    count = meta.get("pageCount")
    if count is None:
        return None
    try:
        return int(float(count))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Readings parser
# --------------------------------------------------------------------------------------------

REJECTED_COLUMNS = ("channel_id", "timestamp", "field", "raw_value", "reason", "location")
"""Columns of a rejected-values frame: one row per dropped record or per value stored as NaN.

``location`` says where a value without a usable timestamp was (API: ``"after <ts>, record
k"``, the last good record before it in the payload; a file: ``"<file> line N"``); None where
the timestamp says it."""


def empty_rejected() -> pd.DataFrame:
    """An empty rejected-values frame with the columns and dtypes of :data:`REJECTED_COLUMNS`."""
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype="int64"),
            "timestamp": pd.Series(dtype="datetime64[us, UTC]"),
            "field": pd.Series(dtype="str"),
            "raw_value": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
            "location": pd.Series(dtype="object"),
        }
    )


def _records_of(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict):
        for key in _RECORD_KEYS:
            if key in payload:
                value = payload[key]
                if value is None:
                    return []
                if isinstance(value, list):
                    return value
                raise InvalidResponseError(
                    f"Eniscope readings payload has {key!r} of type {type(value).__name__}, "
                    "expected a list of records"
                )
        keys = sorted(map(str, payload))[:10]
        raise InvalidResponseError(
            f"Eniscope readings payload has no 'records' (keys: {keys}); record it under "
            "tests/data/eniscope/ and extend parse_readings"
        )
    raise InvalidResponseError(
        f"Eniscope readings payload is a {type(payload).__name__}, expected an object"
    )


def _field_scale(spec: ReadingField, units: Mapping[str, Any]) -> float:
    reported = units.get(spec.code) if spec.code != "cost" else None
    if reported is None or not isinstance(reported, str):
        return spec.scale
    text = reported.strip()
    if text.lower() == spec.api_unit.lower() or spec.api_unit == "-":
        return spec.scale
    if text.lower() == spec.unit.lower():
        logger.warning(
            "Eniscope reports field %s in %r, not %r; taking the values as %s as reported",
            spec.code,
            text,
            spec.api_unit,
            spec.unit,
        )
        return 1.0
    logger.warning(
        "Eniscope reports unit %r for field %s, expected %r; converting as if it were %r",
        text,
        spec.code,
        spec.api_unit,
        spec.api_unit,
    )
    return spec.scale


def parse_readings(
    payload: Any,
    *,
    channel_id: int,
    resolution_s: int | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn a ``/readings/{channelId}`` payload into the canonical long readings frame.

    Pure function: no HTTP. Records come from ``records`` (then ``data``, ``readings``); ``ts``
    (then ``t``, ``timestamp``, ``time``) is Unix epoch seconds, the **start** of the interval.
    Values are converted from API units to project units with :data:`argo_lib.fields.READING_FIELDS`
    (Wh to kWh, W to kW, VAr to kVAr, VA to kVA), honouring a ``units`` map that reports the
    project unit already. Value ranges are not checked here (ingestion does that).

    Parameters
    ----------
    payload : Any
        Decoded JSON of the response (an object, or a bare list of records).
    channel_id : int
        Channel the readings belong to (the payload does not say).
    resolution_s : int, optional
        Requested ``res`` [s]; stored in ``readings.attrs["resolution_s"]``.

    Returns
    -------
    readings : pandas.DataFrame
        One row per interval, sorted by ``timestamp`` (UTC-aware, interval start): ``timestamp``,
        ``channel_id`` (int64), ``energy_kwh`` [kWh], ``power_kw`` [kW], then the column of every
        other known field present in the payload, in ``READING_FIELDS`` order. ``null`` and
        missing values are NaN (never 0); a repeated ``ts`` keeps the last record.
    rejected : pandas.DataFrame
        ``channel_id``, ``timestamp`` (NaT when unusable), ``field`` (column name, or
        ``"timestamp"``), ``raw_value`` (str), ``reason``: one row per record without a usable
        ``ts`` (the record is dropped) and per value that is not a finite number (the value
        becomes NaN, the row stays).

    Raises
    ------
    InvalidResponseError
        If the payload has no recognisable list of records.
    """
    records = _records_of(payload)
    units = payload.get("units") if isinstance(payload, dict) else None
    units = units if isinstance(units, dict) else {}
    if resolution_s is not None and resolution_s <= 0:
        raise ValueError(f"resolution_s must be a positive number of seconds, got {resolution_s}")
    rejected_parts: list[pd.DataFrame] = []
    places = _record_places(records)
    records_ok = list(records)  # the records behind frame's rows
    try:
        frame = pd.DataFrame.from_records(records) if records else pd.DataFrame()
    except (TypeError, ValueError, AttributeError):
        is_object = [isinstance(r, dict) for r in records]
        n_bad = len(records) - sum(is_object)
        rejected_parts.append(
            pd.DataFrame(
                {
                    "channel_id": np.full(n_bad, channel_id, dtype="int64"),
                    "timestamp": pd.Series([pd.NaT] * n_bad, dtype="datetime64[us, UTC]"),
                    "field": "record",
                    "raw_value": [
                        str(r)[:100] for r, ok in zip(records, is_object, strict=True) if not ok
                    ],
                    "reason": "record is not a JSON object",
                    "location": [p for p, ok in zip(places, is_object, strict=True) if not ok],
                }
            )
        )
        frame = pd.DataFrame.from_records(
            [r for r, ok in zip(records, is_object, strict=True) if ok]
        )
        places = [p for p, ok in zip(places, is_object, strict=True) if ok]
        records_ok = [r for r, ok in zip(records, is_object, strict=True) if ok]
    if "cost" not in frame.columns and "Cost" in frame.columns:
        frame = frame.rename(columns={"Cost": "cost"})

    # Timestamps: first usable key per record, epoch seconds, numeric or numeric string.
    raw_ts = pd.Series(np.nan, index=frame.index, dtype=object)
    for key in _TS_KEYS:
        if key in frame.columns:
            raw_ts = raw_ts.where(raw_ts.notna(), frame[key].astype(object))
    ts_num = pd.to_numeric(raw_ts, errors="coerce").astype("float64")
    ts_ok = np.isfinite(ts_num) & (ts_num >= 0) & (ts_num < _MAX_EPOCH_S)
    if not ts_ok.all():
        bad = ~ts_ok
        reason = np.where(
            raw_ts[bad].isna(),
            "missing timestamp; record dropped",
            np.where(
                ts_num[bad].notna(),
                "timestamp out of range; record dropped",
                "timestamp not a number; record dropped",
            ),
        )
        rejected_parts.append(
            pd.DataFrame(
                {
                    "channel_id": np.full(int(bad.sum()), channel_id, dtype="int64"),
                    "timestamp": pd.Series(
                        pd.NaT, index=raw_ts[bad].index, dtype="datetime64[us, UTC]"
                    ),
                    "field": "timestamp",
                    "raw_value": [
                        str(v) if v is not None and v == v else _record_text(records_ok[i])
                        for i, v in zip(np.flatnonzero(bad), raw_ts[bad], strict=True)
                    ],
                    "reason": reason,
                    "location": [places[i] for i in np.flatnonzero(bad)],
                }
            )
        )
    frame = frame.loc[ts_ok]
    seconds = ts_num[ts_ok].round()  # interval starts are whole seconds
    timestamp = pd.to_datetime(seconds, unit="s", utc=True).astype("datetime64[us, UTC]")

    columns: dict[str, Any] = {
        "timestamp": timestamp,
        "channel_id": pd.Series(channel_id, index=frame.index, dtype="int64"),
    }
    for spec in READING_FIELDS:
        if spec.code not in frame.columns:
            if spec.column in ("energy_kwh", "power_kw"):
                columns[spec.column] = pd.Series(np.nan, index=frame.index, dtype="float64")
            continue
        raw = frame[spec.code]
        number = pd.to_numeric(raw.astype(object), errors="coerce").astype("float64")
        finite = np.isfinite(number)
        invalid = raw.notna() & ~finite
        if invalid.any():
            reason = np.where(
                number[invalid].isna(),
                f"not a number ({spec.code} [{spec.api_unit}]); stored as NULL",
                f"not finite ({spec.code} [{spec.api_unit}]); stored as NULL",
            )
            rejected_parts.append(
                pd.DataFrame(
                    {
                        "channel_id": np.full(int(invalid.sum()), channel_id, dtype="int64"),
                        "timestamp": timestamp[invalid],
                        "field": spec.column,
                        "raw_value": raw[invalid].astype(str),
                        "reason": reason,
                    }
                )
            )
        columns[spec.column] = number.where(finite) * _field_scale(spec, units)
    readings = pd.DataFrame(columns)
    readings = (
        readings.drop_duplicates("timestamp", keep="last")
        .sort_values("timestamp", kind="stable")
        .reset_index(drop=True)
    )
    if resolution_s is not None:
        readings.attrs["resolution_s"] = int(resolution_s)
    rejected = concat_rejected(rejected_parts)
    if len(rejected):
        logger.info(
            "channel %s: %d value(s) rejected while parsing readings", channel_id, len(rejected)
        )
    return readings, rejected


def _record_text(record: Any) -> str:
    """A record as compact text for the rejected-values ledger (at most 200 characters)."""
    try:
        text = json.dumps(record, sort_keys=True, default=str, separators=(",", ":"))
    except (TypeError, ValueError):
        text = str(record)
    return text[:200]


def _record_ts(record: Any) -> float | None:
    if not isinstance(record, dict):
        return None
    for key in _TS_KEYS:
        value: Any = record.get(key)
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isfinite(number) and 0 <= number < _MAX_EPOCH_S:
            return number
    return None


def _record_places(records: Sequence[Any]) -> list[str]:
    """Where each record is, without its own timestamp: after the last record with a usable one.

    ``"after 2025-12-01T05:00:00Z, record 2"``: the second record after the one stamped
    05:00 (``"start of the payload, record 1"`` before any). Re-fetching an overlapping window
    names the same record the same way, so the ledger records it once.
    """
    places = []
    anchor, k = "start of the payload", 0
    for record in records:  # records of one window: a few thousand at most
        ts = _record_ts(record)
        if ts is not None:
            stamp = datetime.fromtimestamp(round(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            anchor, k = f"after {stamp}", 0
            places.append(f"at {stamp}")
        else:
            k += 1
            places.append(f"{anchor}, record {k}")
    return places


def concat_rejected(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate rejected-values frames, keeping the columns and dtypes of :func:`empty_rejected`.

    Parameters
    ----------
    parts : sequence of pandas.DataFrame
        Frames with the :data:`REJECTED_COLUMNS`; empty ones are ignored.

    Returns
    -------
    pandas.DataFrame
        One frame with a fresh index; :func:`empty_rejected` when every part is empty.
    """
    empty = empty_rejected()
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty
    out = pd.concat(
        [p.reindex(columns=list(REJECTED_COLUMNS)).reset_index(drop=True) for p in parts],
        ignore_index=True,
    )
    return out.astype(empty.dtypes.to_dict())[list(REJECTED_COLUMNS)]


# --------------------------------------------------------------------------------------------
# Metadata parsers
# --------------------------------------------------------------------------------------------


def _snake(name: str) -> str:
    name = name.replace(".", "_")
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return re.sub(r"_+", "_", name).lower()


@dataclass(frozen=True)
class _Schema:
    plural: str
    id_column: str
    id_keys: tuple[str, ...]
    columns: tuple[str, ...]
    renames: Mapping[str, str]
    name_keys: tuple[str, ...] = ()
    name_column: str | None = None
    int_columns: tuple[str, ...] = ()
    float_columns: tuple[str, ...] = ()
    bool_columns: tuple[str, ...] = ()


_COMMON_RENAMES = {
    "uu_id": "uuid",
    "time_zone": "timezone",
    "created_ts": "created",
    "modified_ts": "modified",
    "data_received_ts": "data_received",
}

_ORGANIZATIONS = _Schema(
    plural="organizations",
    id_column="organization_id",
    id_keys=("organizationId", "id"),
    name_keys=("organizationName", "name"),
    name_column="organization_name",
    renames=_COMMON_RENAMES,
    columns=(
        "organization_id",
        "organization_name",
        "parent_id",
        "status",
        "sort_code",
        "address1",
        "address2",
        "address3",
        "city",
        "state",
        "post_code",
        "country",
        "currency_code",
        "currency_symbol",
        "timezone",
        "temperature_type",
        "created",
        "modified",
    ),
    int_columns=("parent_id", "status"),
)

_DEVICES = _Schema(
    plural="devices",
    id_column="device_id",
    id_keys=("deviceId", "id"),
    name_keys=("deviceName", "name"),
    name_column="device_name",
    renames=_COMMON_RENAMES,
    columns=(
        "device_id",
        "device_name",
        "device_type_id",
        "device_type_code",
        "device_type_name",
        "uuid",
        "parent_id",
        "organization_id",
        "timezone",
        "status",
        "registered",
        "expires",
        "renewed",
        "data_plan",
        "sort_code",
        "is_metering_point",
    ),
    int_columns=("device_type_id", "parent_id", "organization_id", "status"),
    bool_columns=("is_metering_point",),
)

_CHANNELS = _Schema(
    plural="channels",
    id_column="channel_id",
    id_keys=("dataChannelId", "channelId", "id"),
    name_keys=("channelName", "name"),
    name_column="channel_name",
    renames=_COMMON_RENAMES,
    columns=(
        "channel_id",
        "channel_name",
        "device_id",
        "device_name",
        "device_type_name",
        "organization_id",
        "organization_name",
        "data_type",
        "displayed_phase",
        "status",
        "registered",
        "expires",
        "in_tsdb",
        "uuid",
        "tariff_id",
        "meter_id",
    ),
    int_columns=("device_id", "organization_id", "status", "tariff_id", "meter_id"),
    bool_columns=("in_tsdb",),
)

_METERS = _Schema(
    plural="meters",
    id_column="meter_id",
    id_keys=("meterId", "id"),
    name_keys=(),
    renames={
        **_COMMON_RENAMES,
        "channels": "channel_count",
        "interface_interface_name": "interface_name",
        "interface_device_type_interface_id": "device_type_interface_id",
    },
    columns=(
        "meter_id",
        "device_id",
        "device_name",
        "data_type",
        "ct",
        "vs",
        "channel_count",
        "interface_name",
        "device_type_interface_id",
        "organization_id",
        "uuid",
        "parent_id",
        "registered",
        "expires",
        "status",
    ),
    int_columns=(
        "device_id",
        "channel_count",
        "device_type_interface_id",
        "organization_id",
        "parent_id",
        "status",
    ),
    float_columns=("ct", "vs"),
)

_BOOL_MAP = {"y": True, "yes": True, "1": True, "true": True, "n": False, "no": False}
_BOOL_MAP |= {"0": False, "false": False}


def _first_of(frame: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    out = pd.Series(np.nan, index=frame.index, dtype=object)
    for key in keys:
        if key in frame.columns:
            out = out.where(out.notna(), frame[key].astype(object))
    return out


def _to_utc(values: pd.Series) -> pd.Series:
    seconds = pd.to_numeric(values.astype(object), errors="coerce").astype("float64")
    seconds = seconds.where((seconds >= 0) & (seconds < _MAX_EPOCH_S))
    return pd.to_datetime(seconds, unit="s", utc=True).astype("datetime64[us, UTC]")


def _parse_metadata(payload: Any, schema: _Schema) -> pd.DataFrame:
    if isinstance(payload, dict) and not any(
        k in payload for k in (schema.plural, *_LIST_FALLBACK_KEYS)
    ):
        records = [payload]  # a single-resource GET returns the bare object
    else:
        records = unwrap_list(payload, schema.plural)
    records = [r for r in records if isinstance(r, dict)]
    flat = pd.json_normalize(records) if records else pd.DataFrame()
    ids = pd.to_numeric(_first_of(flat, schema.id_keys), errors="coerce")
    names = _first_of(flat, schema.name_keys) if schema.name_keys else None
    flat = flat.rename(columns=lambda c: schema.renames.get(_snake(c), _snake(c)))
    flat = flat.loc[:, ~flat.columns.duplicated()]
    out = pd.DataFrame(index=flat.index)
    for column in schema.columns:
        if column == schema.id_column:
            out[column] = ids
        elif column == schema.name_column and names is not None:
            out[column] = names.astype("str").where(names.notna())
        else:
            values = flat[column] if column in flat.columns else pd.Series(np.nan, index=flat.index)
            if column in schema.int_columns:
                number = pd.to_numeric(values.astype(object), errors="coerce")
                out[column] = number.round().astype("Int64")
            elif column in schema.float_columns:
                out[column] = pd.to_numeric(values.astype(object), errors="coerce").astype(float)
            elif column in schema.bool_columns:
                text = values.astype("str").str.strip().str.lower()
                out[column] = text.map(_BOOL_MAP).astype("boolean")
            elif column in _EPOCH_FIELDS:
                out[column] = _to_utc(values)
            else:
                out[column] = values.astype("str").where(values.notna())
    missing = out[schema.id_column].isna()
    if missing.any():
        logger.warning(
            "dropped %d %s record(s) without a usable id", int(missing.sum()), schema.plural
        )
    out = out.loc[~missing].astype({schema.id_column: "int64"})
    return out.drop_duplicates(schema.id_column, keep="last").reset_index(drop=True)


def parse_organizations(payload: Any) -> pd.DataFrame:
    """Organizations from a ``/organizations`` payload (list envelope or a bare object).

    Parameters
    ----------
    payload : Any
        Decoded JSON, or a list of organization records.

    Returns
    -------
    pandas.DataFrame
        One row per organization: ``organization_id`` (int64), ``organization_name``,
        ``parent_id``, ``status`` (Int64), ``sort_code``, address fields, ``timezone`` (IANA
        name), ``currency_code``, ``created``/``modified`` (UTC-aware), ... Rows without an id
        are dropped (logged).

    Examples
    --------
    >>> orgs = parse_organizations({"organizations": [
    ...     {"organizationId": "23271", "timeZone": "America/New_York", "createdTs": "0"}]})
    >>> orgs.loc[0, "organization_id"], orgs.loc[0, "timezone"], str(orgs.loc[0, "created"])
    (np.int64(23271), 'America/New_York', '1970-01-01 00:00:00+00:00')
    """
    return _parse_metadata(payload, _ORGANIZATIONS)


def parse_devices(payload: Any) -> pd.DataFrame:
    """Devices from a ``/devices`` payload.

    Parameters
    ----------
    payload : Any
        Decoded JSON, or a list of device records.

    Returns
    -------
    pandas.DataFrame
        ``device_id`` (int64), ``device_name``, ``device_type_id``, ``device_type_name``,
        ``uuid`` (serial), ``organization_id``, ``timezone``, ``status``, ``registered``/
        ``expires``/``renewed`` (UTC-aware), ``is_metering_point`` (boolean), ...
    """
    return _parse_metadata(payload, _DEVICES)


def parse_channels(payload: Any) -> pd.DataFrame:
    """Channels from a ``/channels`` payload; id ``dataChannelId`` (then ``channelId``, ``id``).

    Parameters
    ----------
    payload : Any
        Decoded JSON, or a list of channel records.

    Returns
    -------
    pandas.DataFrame
        ``channel_id`` (int64), ``channel_name`` (``channelName``, then ``name``),
        ``device_id``, ``device_name``, ``device_type_name``, ``organization_id``,
        ``organization_name``, ``data_type``, ``displayed_phase``, ``status`` (Int64),
        ``registered``/``expires`` (UTC-aware), ``in_tsdb`` (boolean), ``uuid``, ``tariff_id``,
        ``meter_id`` (Int64, NA when absent).

    Examples
    --------
    >>> channels = parse_channels({"channels": [
    ...     {"dataChannelId": "162285", "channelName": "CDPK", "in_tsdb": "Y", "status": "1"}]})
    >>> channels.loc[0, ["channel_id", "channel_name", "in_tsdb", "status"]].tolist()
    [np.int64(162285), 'CDPK', np.True_, np.int64(1)]
    """
    return _parse_metadata(payload, _CHANNELS)


def parse_meters(payload: Any) -> pd.DataFrame:
    """Meters from a ``/meters`` payload.

    Parameters
    ----------
    payload : Any
        Decoded JSON, or a list of meter records.

    Returns
    -------
    pandas.DataFrame
        ``meter_id`` (int64), ``device_id``, ``device_name``, ``data_type``, ``ct`` and ``vs``
        (float, CT ratio and voltage scale), ``channel_count``, ``interface_name``,
        ``organization_id``, ``uuid``, ``parent_id``, ``registered``/``expires`` (UTC-aware),
        ``status``.
    """
    return _parse_metadata(payload, _METERS)
