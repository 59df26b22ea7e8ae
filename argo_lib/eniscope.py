r"""Client for the Eniscope Core API (Best.Energy meters), and pure parsers of its payloads.

The client speaks the API as ``docs``/spec ``eniscope_api.md`` describes it: an ``X-Eniscope-API``
key header plus Basic credentials (e-mail and the MD5 of the password), then the session token the
server hands back in the ``X-Eniscope-Token`` response header; lists paginated with ``limit=100``;
readings per channel with literal ``fields[]``/``daterange[]`` query strings. It retries, backs off
and paces itself per spec section 7, and never lets a credential reach a log line, an exception
message or a ``repr``.

Parsing is separate from HTTP: :func:`parse_readings`, :func:`parse_channels`,
:func:`parse_organizations`, :func:`parse_devices` and :func:`parse_meters` are pure functions of a
decoded JSON payload, so recorded payloads can be tested without a server. They rename to the
project glossary and convert units at this boundary (Wh to kWh, W to kW, ...): nothing downstream
sees the API's own names or units.

Examples
--------
>>> basic_authorization("api@someorg.com", "thisismypassword")
'Basic YXBpQHNvbWVvcmcuY29tOjMxNDM1MDA4NjkzY2U2OTc2ZjQ1ZGVkYzU1MzJlMmMx'
>>> build_query([("fields[]", "E"), ("fields[]", "P"), ("res", "3600")])
'fields[]=E&fields[]=P&res=3600'
>>> payload = {"units": {"E": "Wh", "P": "W"},
...            "records": [{"ts": 1764565200, "E": 1290.08, "P": "1290.12"}]}
>>> readings, rejected = parse_readings(payload, channel_id=162285, resolution_s=3600)
>>> readings[["timestamp", "energy_kwh", "power_kw"]].to_string(index=False)
'                timestamp  energy_kwh  power_kw\n2025-12-01 05:00:00+00:00     1.29008   1.29012'
>>> len(rejected)
0
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Literal
from urllib.parse import quote

import numpy as np
import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from argo_lib.fields import FIELDS_BY_CODE, READING_FIELDS, ReadingField

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_FIELD_CODES",
    "DEFAULT_SKIP_CHANNELS",
    "DEFAULT_USER_AGENT",
    "RESOLUTIONS",
    "AccessDeniedError",
    "AuthenticationError",
    "BadRequestError",
    "ChannelSkippedError",
    "EniscopeClient",
    "EniscopeConfig",
    "EniscopeConfigError",
    "EniscopeError",
    "InvalidParameterError",
    "InvalidResponseError",
    "NotFoundError",
    "PreconditionFailedError",
    "RateLimited",
    "ReadingsResult",
    "RetryPolicy",
    "ServerError",
    "SubscriptionExpiredError",
    "TransportError",
    "WindowResult",
    "backoff_delay",
    "basic_authorization",
    "build_query",
    "decode_payload",
    "md5_hex",
    "parse_channels",
    "parse_devices",
    "parse_meters",
    "parse_organizations",
    "parse_readings",
    "parse_retry_after",
    "redact_headers",
    "unwrap_list",
]

logger = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://core.eniscope.com"
"""Production base URL of the Eniscope Core API (``ENISCOPE_API_URL`` overrides it)."""

DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)
"""Browser-like User-Agent: an upstream firewall may refuse library defaults (spec section 2)."""

DEFAULT_FIELD_CODES: tuple[str, ...] = tuple(f.code for f in READING_FIELDS)
"""The project's default field set: the 26 codes of the canonical readings request."""

DEFAULT_SKIP_CHANNELS: frozenset[int] = frozenset({162127, 162141, 162277})
"""Wilson Center channels that always answer 500 "Invalid Parameter" (virtual or non-energy)."""

RESOLUTIONS: tuple[int, ...] = (60, 900, 1800, 3600, 86400)
"""Values of ``res`` the API accepts [s] (plus ``auto``, which the client never sends)."""

SECRET_HEADERS: frozenset[str] = frozenset({"authorization", "x-eniscope-api", "x-eniscope-token"})
"""Header names (lower case) whose values are redacted in every debug dump."""

REDACTED = "[REDACTED]"

_TS_KEYS = ("ts", "t", "timestamp", "time")
_RECORD_KEYS = ("records", "data", "readings")
_LIST_FALLBACK_KEYS = ("result", "data", "items")
_MAX_EPOCH_S = 4_102_444_800  # 2100-01-01: a larger "epoch second" is not one
_DAY_S = 86_400
_EPOCH_FIELDS = (
    "created",
    "modified",
    "registered",
    "expires",
    "renewed",
    "data_received",
    "last_log_in",
)


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class EniscopeError(Exception):
    """An Eniscope request failed; the message says what to do and never holds a credential.

    Parameters
    ----------
    message : str
        What went wrong and how to fix it.
    status : int, optional
        HTTP status, when there was a response.
    method, path : str, optional
        The request, without host or credentials.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.method = method
        self.path = path


class EniscopeConfigError(EniscopeError, ValueError):
    """A client setting is missing or invalid (e.g. an empty password)."""


class AuthenticationError(EniscopeError):
    """401/419 even after re-authenticating with Basic credentials."""


class SubscriptionExpiredError(EniscopeError):
    """402: the Best.Energy subscription of the account has expired."""


class AccessDeniedError(EniscopeError):
    """403: bad credentials, no right to the resource, or a firewall refusing the User-Agent."""


class PreconditionFailedError(EniscopeError):
    """412: the server refused a precondition of the request."""


class NotFoundError(EniscopeError):
    """404: no such resource on this path."""


class BadRequestError(EniscopeError):
    """400 or another non-retryable 4xx status."""


class RateLimited(EniscopeError):
    """429 too often, or a ``Retry-After`` longer than the client is willing to wait."""

    def __init__(self, message: str, *, retry_after_s: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after_s = retry_after_s


class ServerError(EniscopeError):
    """5xx responses persisted through every retry."""


class InvalidParameterError(ServerError):
    """500 "Invalid Parameter": a virtual or non-energy channel, or a refused parameter."""


class TransportError(EniscopeError):
    """Connection errors or timeouts persisted through every retry."""


class InvalidResponseError(EniscopeError):
    """The body is not JSON, or not the shape the endpoint documents."""


class ChannelSkippedError(EniscopeError):
    """The channel is on the skip list (configured, or found invalid earlier in this run)."""


# --------------------------------------------------------------------------------------------
# Credentials, query strings, retry arithmetic (pure helpers)
# --------------------------------------------------------------------------------------------


def md5_hex(password: str) -> str:
    r"""MD5 of a password as the API expects it: UTF-8, surrounding whitespace stripped.

    Parameters
    ----------
    password : str
        The account password in plain text.

    Returns
    -------
    str
        32 lower-case hex characters.

    Raises
    ------
    EniscopeConfigError
        If the password is empty (or only whitespace).

    Examples
    --------
    >>> md5_hex(" thisismypassword\n")
    '31435008693ce6976f45dedc5532e2c1'
    """
    stripped = (password or "").strip()
    if not stripped:
        raise EniscopeConfigError(
            "the Eniscope password is empty; set ENISCOPE_PASSWORD in the environment or .env"
        )
    return hashlib.md5(stripped.encode("utf-8")).hexdigest()  # the API mandates MD5


def basic_authorization(email: str, password: str) -> str:
    """Build the ``Authorization`` value: ``Basic base64(email:md5hex(password))``.

    Parameters
    ----------
    email : str
        Account e-mail (the Basic user name).
    password : str
        Plain password; only its MD5 goes into the header.

    Returns
    -------
    str
        ``"Basic "`` followed by the Base64 credential.

    Raises
    ------
    EniscopeConfigError
        If the e-mail or the password is empty.

    Examples
    --------
    >>> basic_authorization("api@someorg.com", "thisismypassword")[:10]
    'Basic YXBp'
    """
    user = (email or "").strip()
    if not user:
        raise EniscopeConfigError(
            "the Eniscope e-mail is empty; set ENISCOPE_EMAIL in the environment or .env"
        )
    token = base64.b64encode(f"{user}:{md5_hex(password)}".encode()).decode("ascii")
    return f"Basic {token}"


def redact_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """Copy headers with the credential headers' values replaced by ``[REDACTED]``.

    Parameters
    ----------
    headers : mapping
        Request or response headers.

    Returns
    -------
    dict
        Same keys; ``Authorization``, ``X-Eniscope-API`` and ``X-Eniscope-Token`` redacted
        (case-insensitively).

    Examples
    --------
    >>> redact_headers({"X-Eniscope-API": "0123", "Accept": "application/json"})
    {'X-Eniscope-API': '[REDACTED]', 'Accept': 'application/json'}
    """
    return {k: (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}


def build_query(params: Iterable[tuple[str, object]]) -> str:
    """Build a query string by hand, keeping PHP array brackets literal (``fields[]=E``).

    Keys may end in ``[]`` and repeat; everything else is percent-encoded. Generic encoders would
    send ``fields%5B%5D=E``, which the API is only known to accept in the literal form.

    Parameters
    ----------
    params : iterable of (str, object)
        Key-value pairs in order; values are converted with ``str``.

    Returns
    -------
    str
        The query string, without the leading ``?``.

    Examples
    --------
    >>> build_query([("daterange[]", 1), ("daterange[]", 2), ("name", "*Kitchen Main*")])
    'daterange[]=1&daterange[]=2&name=%2AKitchen%20Main%2A'
    """
    return "&".join(f"{quote(str(k), safe='[]')}={quote(str(v), safe='')}" for k, v in params)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Retry and backoff rules (spec section 7).

    Attributes
    ----------
    rate_limit_base_s, rate_limit_factor, rate_limit_cap_s : float
        Backoff after a 429 without ``Retry-After``: base × factor^(n-1), capped [s].
    rate_limit_attempts : int
        Attempts that may end in 429 before :class:`RateLimited` is raised.
    max_retry_after_s : float
        A ``Retry-After`` longer than this raises :class:`RateLimited` at once [s].
    server_base_s, server_factor, server_cap_s : float
        Backoff after 5xx, connection errors, timeouts and non-JSON 2xx bodies [s].
    server_attempts : int
        Attempts that may end in such a failure before the error is raised.
    invalid_parameter_attempts : int
        Attempts for a 500 whose body says "Invalid Parameter" (one retry only).
    jitter : tuple of float
        Every backoff delay is multiplied by U(low, high) [-].
    """

    rate_limit_base_s: float = 8.0
    rate_limit_factor: float = 2.0
    rate_limit_cap_s: float = 60.0
    rate_limit_attempts: int = 4
    max_retry_after_s: float = 300.0
    server_base_s: float = 4.0
    server_factor: float = 2.0
    server_cap_s: float = 60.0
    server_attempts: int = 3
    invalid_parameter_attempts: int = 2
    jitter: tuple[float, float] = (0.8, 1.2)


def backoff_delay(
    retry: int,
    *,
    base_s: float,
    factor: float = 2.0,
    cap_s: float = 60.0,
    jitter: tuple[float, float] = (0.8, 1.2),
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with multiplicative jitter.

    Parameters
    ----------
    retry : int
        1 for the first retry, 2 for the second, ...
    base_s, factor, cap_s : float
        Delay before jitter is ``min(base_s * factor ** (retry - 1), cap_s)`` [s].
    jitter : tuple of float
        Bounds of the uniform jitter factor [-].
    rng : random.Random, optional
        Source of the jitter; default the ``random`` module.

    Returns
    -------
    float
        Seconds to wait [s].

    Examples
    --------
    >>> backoff_delay(3, base_s=8.0, jitter=(1.0, 1.0))
    32.0
    >>> backoff_delay(9, base_s=8.0, jitter=(1.0, 1.0))
    60.0
    """
    delay = min(base_s * factor ** (retry - 1), cap_s)
    low, high = jitter
    return delay * (rng or random).uniform(low, high)


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP-date).

    Parameters
    ----------
    value : str or None
        The header value.
    now : float
        Current wall-clock time as Unix epoch seconds, for the HTTP-date form [s].

    Returns
    -------
    float or None
        Seconds to wait (0 for a date in the past) [s]; None when absent or unparseable.

    Examples
    --------
    >>> parse_retry_after("12", now=0.0)
    12.0
    >>> parse_retry_after("Thu, 01 Jan 1970 00:01:00 GMT", now=30.0)
    30.0
    >>> parse_retry_after("soon", now=0.0) is None
    True
    """
    if value is None:
        return None
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)


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


def _page_count(payload: Any) -> int | None:
    meta = payload.get("meta") if isinstance(payload, dict) else None
    if not isinstance(meta, dict):
        return None
    try:
        return int(float(meta.get("pageCount")))
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------------------------
# Readings parser
# --------------------------------------------------------------------------------------------

REJECTED_COLUMNS = ("channel_id", "timestamp", "field", "raw_value", "reason")


def empty_rejected() -> pd.DataFrame:
    """An empty rejected-values frame with the columns and dtypes of :data:`REJECTED_COLUMNS`."""
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype="int64"),
            "timestamp": pd.Series(dtype="datetime64[us, UTC]"),
            "field": pd.Series(dtype="str"),
            "raw_value": pd.Series(dtype="str"),
            "reason": pd.Series(dtype="str"),
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
                }
            )
        )
        frame = pd.DataFrame.from_records(
            [r for r, ok in zip(records, is_object, strict=True) if ok]
        )
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
                    "raw_value": raw_ts[bad].astype(str).where(raw_ts[bad].notna(), ""),
                    "reason": reason,
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
    rejected = _concat_rejected(rejected_parts)
    if len(rejected):
        logger.info(
            "channel %s: %d value(s) rejected while parsing readings", channel_id, len(rejected)
        )
    return readings, rejected


def _concat_rejected(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    empty = empty_rejected()
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty
    out = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
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


# --------------------------------------------------------------------------------------------
# Transport: literal brackets on the wire
# --------------------------------------------------------------------------------------------

_ENCODED_ARRAY_KEY = re.compile(r"([?&][A-Za-z0-9_.~-]+)%5B%5D=")


def _literal_brackets(target: str) -> str:
    """Undo urllib3's percent-encoding of ``[]`` in query keys (``fields%5B%5D=`` → ``fields[]=``).

    Only a key position (after ``?`` or ``&``, before ``=``) is touched; values are built with
    every bracket encoded, so they are never changed.
    """
    return _ENCODED_ARRAY_KEY.sub(r"\1[]=", target)


class _LiteralHTTPConnection(HTTPConnection):
    def putrequest(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        super().putrequest(method, _literal_brackets(url), *args, **kwargs)


class _LiteralHTTPSConnection(HTTPSConnection):
    def putrequest(self, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        super().putrequest(method, _literal_brackets(url), *args, **kwargs)


class _LiteralHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _LiteralHTTPConnection


class _LiteralHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _LiteralHTTPSConnection


class _LiteralBracketsAdapter(HTTPAdapter):
    """Requests adapter whose connections send ``fields[]=E`` with literal brackets.

    urllib3 percent-encodes ``[`` and ``]`` in every request target; the Eniscope API is only
    known to accept the literal form (spec section 3), so the connection restores it.
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _LiteralHTTPConnectionPool,
            "https": _LiteralHTTPSConnectionPool,
        }


# --------------------------------------------------------------------------------------------
# Client
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class EniscopeConfig:
    """Connection settings of an :class:`EniscopeClient`; secrets stay out of ``repr``.

    Attributes
    ----------
    api_key, email, password : str
        ``ENISCOPE_API_KEY``, ``ENISCOPE_EMAIL``, ``ENISCOPE_PASSWORD``. Only the MD5 of the
        password goes on the wire.
    base_url : str
        ``ENISCOPE_API_URL``; a trailing ``/`` is removed.
    user_agent : str
        User-Agent header (browser-like by default: a firewall may refuse library defaults).
    path_form : {"bare", "v1"}
        ``/channels`` or ``/v1/1/channels``.
    fallback_path_form : bool
        On a 404, retry once with the other path form.
    always_basic : bool
        Send Basic credentials on every request instead of the session token.
    min_interval_s : float
        Minimum time between request starts, for the whole client [s]; 0 for the fake server.
    max_concurrency : int
        Requests in flight at once (1 = sequential).
    connect_timeout_s, read_timeout_s, long_read_timeout_s : float
        Timeouts; the long read timeout applies to readings windows over one day [s].
    page_limit, max_pages : int
        ``limit`` sent to list endpoints (at most 100) and the hard cap on pages.
    retry : RetryPolicy
        Backoff rules.
    skip_channels : frozenset of int
        Channels never requested for readings (always "Invalid Parameter").
    max_window_s, max_window_daily_s, max_window_minute_s : int
        Longest readings window per request at ``res`` 900/1800/3600, 86400 and 60 [s]; longer
        requests are split.
    min_split_s : int
        A window that fails with a 5xx is halved and retried down to this length [s].
    """

    api_key: str = field(repr=False)
    email: str = field(repr=False)
    password: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    user_agent: str = DEFAULT_USER_AGENT
    path_form: Literal["bare", "v1"] = "bare"
    fallback_path_form: bool = False
    always_basic: bool = False
    min_interval_s: float = 1.0
    max_concurrency: int = 1
    connect_timeout_s: float = 10.0
    read_timeout_s: float = 30.0
    long_read_timeout_s: float = 60.0
    page_limit: int = 100
    max_pages: int = 1000
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    skip_channels: frozenset[int] = DEFAULT_SKIP_CHANNELS
    max_window_s: int = 7 * _DAY_S
    max_window_daily_s: int = 31 * _DAY_S
    max_window_minute_s: int = 6 * 3600
    min_split_s: int = _DAY_S

    def __post_init__(self) -> None:
        for name, env in (
            ("api_key", "ENISCOPE_API_KEY"),
            ("email", "ENISCOPE_EMAIL"),
            ("password", "ENISCOPE_PASSWORD"),
        ):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise EniscopeConfigError(
                    f"Eniscope {name} is missing or empty; set {env} in the environment or .env "
                    "(see .env.example)"
                )
        object.__setattr__(self, "api_key", self.api_key.strip())
        object.__setattr__(self, "email", self.email.strip())
        base = (self.base_url or "").strip().rstrip("/")
        if not re.match(r"^https?://[^/\s]+", base):
            raise EniscopeConfigError(
                f"ENISCOPE_API_URL must look like https://core.eniscope.com, got {self.base_url!r}"
            )
        object.__setattr__(self, "base_url", base)
        if self.path_form not in ("bare", "v1"):
            raise EniscopeConfigError(f"path_form must be 'bare' or 'v1', got {self.path_form!r}")
        if not 1 <= self.page_limit <= 100:
            raise EniscopeConfigError(f"page_limit must be 1..100, got {self.page_limit}")
        if self.max_concurrency < 1:
            raise EniscopeConfigError(f"max_concurrency must be >= 1, got {self.max_concurrency}")
        if self.min_interval_s < 0:
            raise EniscopeConfigError(f"min_interval_s must be >= 0, got {self.min_interval_s}")
        if not self.user_agent or not self.user_agent.strip():
            raise EniscopeConfigError("user_agent is empty; leave it unset to use the default")
        object.__setattr__(self, "skip_channels", frozenset(int(c) for c in self.skip_channels))


@dataclass(frozen=True, repr=False)
class ReadingsResult:
    """Readings of one channel over one window.

    Attributes
    ----------
    channel_id : int
        The channel.
    start, end : pandas.Timestamp
        The requested window ``[start, end)``, UTC.
    resolution_s : int
        ``res`` [s].
    readings, rejected : pandas.DataFrame
        As returned by :func:`parse_readings` (merged over sub-windows).
    units : dict
        The ``units`` map of the (last) response, field code to API unit.
    requests : int
        HTTP requests spent, retries included.
    """

    channel_id: int
    start: pd.Timestamp
    end: pd.Timestamp
    resolution_s: int
    readings: pd.DataFrame
    rejected: pd.DataFrame
    units: Mapping[str, str]
    requests: int

    def __repr__(self) -> str:
        return (
            f"ReadingsResult(channel_id={self.channel_id}, [{self.start}, {self.end}), "
            f"res={self.resolution_s}s, rows={len(self.readings)}, "
            f"rejected={len(self.rejected)}, requests={self.requests})"
        )


@dataclass(frozen=True, repr=False)
class WindowResult:
    """Outcome of one channel-window in :meth:`EniscopeClient.fetch_readings` (spec section 8 log).

    Attributes
    ----------
    channel_id : int
        The channel.
    start, end : pandas.Timestamp
        Window ``[start, end)``, UTC.
    status : {"success", "empty", "failure", "skipped"}
        ``empty`` means no records yet (not an error); ``skipped`` a channel on the skip list.
    readings, rejected : pandas.DataFrame
        Parsed readings (empty on failure).
    error : str or None
        Error summary without secrets.
    """

    channel_id: int
    start: pd.Timestamp
    end: pd.Timestamp
    status: Literal["success", "empty", "failure", "skipped"]
    readings: pd.DataFrame
    rejected: pd.DataFrame
    error: str | None = None

    def __repr__(self) -> str:
        return (
            f"WindowResult(channel_id={self.channel_id}, [{self.start}, {self.end}), "
            f"status={self.status!r}, rows={len(self.readings)}, rejected={len(self.rejected)})"
        )


FATAL_ERRORS: tuple[type[Exception], ...] = (
    AuthenticationError,
    SubscriptionExpiredError,
    RateLimited,
    EniscopeConfigError,
)


def _as_utc(value: pd.Timestamp | datetime | str, name: str) -> pd.Timestamp:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(
            f"{name}={value!r} is timezone-naive; pass an aware timestamp, e.g. "
            f"pd.Timestamp({str(value)!r}, tz='America/New_York')"
        )
    return ts.tz_convert("UTC")


def _empty_readings(channel_id: int) -> pd.DataFrame:
    readings, _ = parse_readings({"records": []}, channel_id=channel_id)
    return readings


class EniscopeClient:
    """HTTP client of the Eniscope Core API, safe to share between threads.

    Parameters
    ----------
    config : EniscopeConfig
        Base URL, credentials and policies.
    session : requests.Session, optional
        Session to use (its connection pool is reused); default a new one. The client mounts
        its own adapter on it for ``http://`` and ``https://`` (literal ``[]`` on the wire).
    sleep : callable, optional
        ``sleep(seconds)``; default :func:`time.sleep`. Tests inject a fake.
    clock : callable, optional
        Monotonic seconds for pacing; default :func:`time.monotonic`.
    wall_clock : callable, optional
        Unix epoch seconds for ``Retry-After`` dates; default :func:`time.time`.
    rng : random.Random, optional
        Source of backoff jitter.

    Notes
    -----
    The session token is cached under a lock and replaced whenever a response carries a new
    one. A 429 pauses every thread of the client, not only the one that received it. The client
    never follows redirects or response ``links``, so credentials only go to ``base_url``.
    """

    def __init__(
        self,
        config: EniscopeConfig,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self._basic = basic_authorization(config.email, config.password)
        self._secrets = tuple(
            s for s in (config.api_key, config.email, md5_hex(config.password), self._basic) if s
        )
        self._session = session or requests.Session()
        adapter = _LiteralBracketsAdapter(
            pool_connections=1, pool_maxsize=max(config.max_concurrency, 1), max_retries=0
        )
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._sleep = sleep or time.sleep
        self._clock = clock or time.monotonic
        self._wall_clock = wall_clock or time.time
        self._rng = rng or random.Random()
        self._token: str | None = None
        self._token_lock = threading.Lock()
        self._pace_lock = threading.Lock()
        self._next_start = -math.inf
        self._pause_until = -math.inf
        self._slots = threading.BoundedSemaphore(config.max_concurrency)
        self._invalid_channels: set[int] = set()
        self._count_lock = threading.Lock()
        self._request_count = 0

    @classmethod
    def from_settings(
        cls,
        settings: Any,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
        **options: Any,
    ) -> EniscopeClient:
        """Build a client from :func:`argo_lib.config.get_settings` output.

        Parameters
        ----------
        settings : argo_lib.config.Settings
            Provides ``eniscope_api_url``, ``eniscope_api_key``, ``eniscope_email``,
            ``eniscope_password`` and ``eniscope_user_agent``.
        session, sleep, clock, wall_clock, rng
            As for :class:`EniscopeClient`.
        **options
            Any other :class:`EniscopeConfig` field (``min_interval_s=0``, ``path_form="v1"``...).

        Returns
        -------
        EniscopeClient

        Raises
        ------
        EniscopeConfigError
            If a credential is missing; the message names the environment variable to set.
        """
        config = EniscopeConfig(
            api_key=getattr(settings, "eniscope_api_key", None),
            email=getattr(settings, "eniscope_email", None),
            password=getattr(settings, "eniscope_password", None),
            base_url=getattr(settings, "eniscope_api_url", None) or DEFAULT_BASE_URL,
            user_agent=getattr(settings, "eniscope_user_agent", None) or DEFAULT_USER_AGENT,
            **options,
        )
        return cls(
            config, session=session, sleep=sleep, clock=clock, wall_clock=wall_clock, rng=rng
        )

    # -- housekeeping ------------------------------------------------------------------------

    def __repr__(self) -> str:
        return (
            f"EniscopeClient(base_url={self.config.base_url!r}, path_form="
            f"{self.config.path_form!r}, has_token={self.has_token})"
        )

    def __enter__(self) -> EniscopeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._session.close()

    @property
    def has_token(self) -> bool:
        """Whether a session token is cached."""
        with self._token_lock:
            return self._token is not None

    @property
    def request_count(self) -> int:
        """HTTP requests sent so far, retries included."""
        with self._count_lock:
            return self._request_count

    @property
    def invalid_channels(self) -> frozenset[int]:
        """Channels that answered "Invalid Parameter" twice in this client's life (skipped now)."""
        with self._count_lock:
            return frozenset(self._invalid_channels)

    def _scrub(self, text: str) -> str:
        token = self._token
        for secret in (*self._secrets, token):
            if secret and len(secret) >= 4:
                text = text.replace(secret, REDACTED)
        return text

    def _path(self, resource: str, *, form: str | None = None) -> str:
        form = form or self.config.path_form
        return f"/v1/1{resource}" if form == "v1" else resource

    # -- transport ---------------------------------------------------------------------------

    def _wait_turn(self) -> None:
        with self._pace_lock:
            now = self._clock()
            start = max(now, self._next_start, self._pause_until)
            self._next_start = start + self.config.min_interval_s
        if start > now:
            self._sleep(start - now)

    def _pause_all(self, seconds: float) -> None:
        with self._pace_lock:
            self._pause_until = max(self._pause_until, self._clock() + seconds)

    def _headers(self, *, force_basic: bool) -> tuple[dict[str, str], str | None]:
        headers = {
            "X-Eniscope-API": self.config.api_key,
            "Accept": "application/json",
            "User-Agent": self.config.user_agent,
        }
        with self._token_lock:
            token = self._token
        if token is not None and not force_basic and not self.config.always_basic:
            headers["X-Eniscope-Token"] = token
            return headers, token
        headers["Authorization"] = self._basic
        return headers, None

    def _error(
        self,
        cls: type[EniscopeError],
        message: str,
        *,
        status: int | None,
        method: str,
        path: str,
        **kwargs: Any,
    ) -> EniscopeError:
        return cls(self._scrub(message), status=status, method=method, path=path, **kwargs)

    def _request_json(
        self,
        resource: str,
        params: Sequence[tuple[str, object]] = (),
        *,
        read_timeout_s: float | None = None,
    ) -> Any:
        """GET a resource and decode its JSON body, with auth, pacing and retries."""
        method = "GET"
        policy = self.config.retry
        query = build_query(params)
        form = self.config.path_form
        timeout = (self.config.connect_timeout_s, read_timeout_s or self.config.read_timeout_s)
        force_basic = False
        reauthenticated = False
        tried_other_form = False
        n_rate = n_server = n_invalid = 0
        while True:
            path = self._path(resource, form=form)
            target = f"{path}?{query}" if query else path
            headers, used_token = self._headers(force_basic=force_basic)
            auth_mode = "token" if used_token else "basic"
            with self._slots:
                self._wait_turn()
                with self._count_lock:
                    self._request_count += 1
                logger.debug(
                    "%s %s (auth=%s) headers=%s", method, target, auth_mode, redact_headers(headers)
                )
                started = time.monotonic()
                try:
                    response = self._session.get(
                        self.config.base_url + target,
                        headers=headers,
                        timeout=timeout,
                        allow_redirects=False,
                    )
                except (
                    requests.ConnectionError,
                    requests.Timeout,
                    requests.exceptions.ChunkedEncodingError,
                ) as exc:
                    response = None
                    failure = (
                        f"read timed out after {timeout[1]:g} s"
                        if isinstance(exc, requests.ReadTimeout)
                        else f"connect timed out after {timeout[0]:g} s"
                        if isinstance(exc, requests.ConnectTimeout)
                        else f"connection failed ({type(exc).__name__})"
                    )
                except requests.RequestException as exc:
                    raise self._error(
                        TransportError,
                        f"Eniscope request {method} {path} failed: {type(exc).__name__}; check "
                        "ENISCOPE_API_URL",
                        status=None,
                        method=method,
                        path=path,
                    ) from None
            elapsed = time.monotonic() - started

            if response is None:
                n_server += 1
                logger.warning("%s %s: %s (attempt %d)", method, path, failure, n_server)
                if n_server >= policy.server_attempts:
                    raise self._error(
                        TransportError,
                        f"Eniscope {method} {path}: {failure}, {n_server} attempts; the server "
                        "may be down or slow: retry later (the next sync re-fetches the window)",
                        status=None,
                        method=method,
                        path=path,
                    )
                self._backoff_server(n_server)
                continue

            status = response.status_code
            logger.debug(
                "%s %s -> %d in %.3f s, headers=%s",
                method,
                target,
                status,
                elapsed,
                redact_headers(response.headers),
            )
            new_token = response.headers.get("X-Eniscope-Token")
            if 200 <= status < 300 and new_token:
                with self._token_lock:
                    if new_token != self._token:
                        logger.debug("session token %s", "replaced" if self._token else "received")
                        self._token = new_token

            if 200 <= status < 300:
                try:
                    return decode_payload(response.content)
                except (ValueError, UnicodeDecodeError):
                    n_server += 1
                    logger.warning(
                        "%s %s: HTTP %d with a body that is not JSON (%d bytes; attempt %d)",
                        method,
                        path,
                        status,
                        len(response.content),
                        n_server,
                    )
                    if n_server >= policy.server_attempts:
                        raise self._error(
                            InvalidResponseError,
                            f"Eniscope {method} {path} answered HTTP {status} with a body that is "
                            f"not JSON, {n_server} times; retry later, or record the body if it "
                            "persists",
                            status=status,
                            method=method,
                            path=path,
                        ) from None
                    self._backoff_server(n_server)
                    continue

            body = self._scrub(response.text[:200]) if response.content else ""
            if status in (401, 419):
                with self._token_lock:
                    if used_token is not None and self._token == used_token:
                        self._token = None
                if not reauthenticated:
                    reauthenticated = True
                    force_basic = True
                    logger.info(
                        "%s %s: HTTP %d (%s); re-authenticating with Basic credentials",
                        method,
                        path,
                        status,
                        "session expired" if used_token else "not authenticated",
                    )
                    continue
                raise self._error(
                    AuthenticationError,
                    f"Eniscope rejected the credentials (HTTP {status}) for {method} {path}, even "
                    "after re-authenticating: check ENISCOPE_API_KEY (32 hex characters), "
                    "ENISCOPE_EMAIL and ENISCOPE_PASSWORD",
                    status=status,
                    method=method,
                    path=path,
                )
            if status == 429:
                retry_after = parse_retry_after(
                    response.headers.get("Retry-After"), now=self._wall_clock()
                )
                n_rate += 1
                if retry_after is not None and retry_after > policy.max_retry_after_s:
                    raise self._error(
                        RateLimited,
                        f"Eniscope rate limit on {method} {path}: Retry-After is "
                        f"{retry_after:.0f} s (more than {policy.max_retry_after_s:.0f} s); "
                        "run the sync again later",
                        status=status,
                        method=method,
                        path=path,
                        retry_after_s=retry_after,
                    )
                if n_rate >= policy.rate_limit_attempts:
                    raise self._error(
                        RateLimited,
                        f"Eniscope rate limit on {method} {path}: HTTP 429 {n_rate} times; "
                        "raise min_interval_s or lower max_concurrency, and run again later",
                        status=status,
                        method=method,
                        path=path,
                        retry_after_s=retry_after,
                    )
                delay = (
                    retry_after
                    if retry_after is not None
                    else backoff_delay(
                        n_rate,
                        base_s=policy.rate_limit_base_s,
                        factor=policy.rate_limit_factor,
                        cap_s=policy.rate_limit_cap_s,
                        jitter=policy.jitter,
                        rng=self._rng,
                    )
                )
                logger.warning(
                    "%s %s: HTTP 429; pausing the client %.1f s (attempt %d of %d)",
                    method,
                    path,
                    delay,
                    n_rate,
                    policy.rate_limit_attempts,
                )
                self._pause_all(delay)
                continue
            if status == 500 and "invalid parameter" in body.lower():
                n_invalid += 1
                if n_invalid >= policy.invalid_parameter_attempts:
                    raise self._error(
                        InvalidParameterError,
                        f"Eniscope answered HTTP 500 'Invalid Parameter' for {method} {target} "
                        f"({n_invalid} attempts): a virtual or non-energy channel, or a field, "
                        "res or daterange the channel refuses; add the channel to "
                        "skip_channels if it persists",
                        status=status,
                        method=method,
                        path=path,
                    )
                logger.warning("%s %s: HTTP 500 Invalid Parameter; one retry", method, path)
                self._backoff_server(n_invalid)
                continue
            if status in (500, 502, 503, 504):
                n_server += 1
                logger.warning(
                    "%s %s: HTTP %d (attempt %d of %d)",
                    method,
                    path,
                    status,
                    n_server,
                    policy.server_attempts,
                )
                if n_server >= policy.server_attempts:
                    raise self._error(
                        ServerError,
                        f"Eniscope server error HTTP {status} for {method} {target} after "
                        f"{n_server} attempts{f': {body!r}' if body else ''}; retry later, or "
                        "ask for a shorter window",
                        status=status,
                        method=method,
                        path=path,
                    )
                self._backoff_server(n_server)
                continue
            if status == 404 and self.config.fallback_path_form and not tried_other_form:
                tried_other_form = True
                form = "v1" if form == "bare" else "bare"
                logger.info("%s %s: HTTP 404; trying the %s path form", method, path, form)
                continue
            raise self._status_error(status, method, path, target, body)

    def _status_error(
        self, status: int, method: str, path: str, target: str, body: str
    ) -> EniscopeError:
        detail = f" Server said: {body!r}." if body else ""
        if status == 402:
            cls, message = (
                SubscriptionExpiredError,
                f"Eniscope subscription expired (HTTP 402) for {method} {path}: renew the "
                "Best.Energy subscription of this account; retrying will not help.",
            )
        elif status == 403:
            cls, message = (
                AccessDeniedError,
                f"Eniscope refused access (HTTP 403) to {method} {path}: check ENISCOPE_EMAIL "
                "and ENISCOPE_PASSWORD, that the account can see this organization (its org and "
                "descendants only), and set ENISCOPE_USER_AGENT if a firewall blocks the client.",
            )
        elif status == 412:
            cls, message = (
                PreconditionFailedError,
                f"Eniscope precondition failed (HTTP 412) for {method} {target}: the server "
                "refused a precondition of this request; check its parameters and the account's "
                "state in the Eniscope portal.",
            )
        elif status == 404:
            cls, message = (
                NotFoundError,
                f"Eniscope has no {method} {path} (HTTP 404): check the id, and ENISCOPE_API_URL "
                "and path_form ('bare' or 'v1').",
            )
        elif 300 <= status < 400:
            cls, message = (
                EniscopeError,
                f"Eniscope answered {method} {path} with a redirect (HTTP {status}), not followed "
                "so that credentials stay on the configured host; check ENISCOPE_API_URL.",
            )
        elif 500 <= status < 600:
            cls, message = (
                ServerError,
                f"Eniscope server error HTTP {status} for {method} {path}.",
            )
        else:
            cls, message = (
                BadRequestError,
                f"Eniscope refused {method} {target} (HTTP {status}): check the parameters.",
            )
        return self._error(cls, message + detail, status=status, method=method, path=path)

    def _backoff_server(self, retry: int) -> None:
        policy = self.config.retry
        self._sleep(
            backoff_delay(
                retry,
                base_s=policy.server_base_s,
                factor=policy.server_factor,
                cap_s=policy.server_cap_s,
                jitter=policy.jitter,
                rng=self._rng,
            )
        )

    # -- lists -------------------------------------------------------------------------------

    def _get_list(
        self, resource: str, plural: str, filters: Mapping[str, object] | None = None
    ) -> list[Any]:
        params = _filter_params(filters or {})
        limit = self.config.page_limit
        items: list[Any] = []
        page = 1
        while True:
            payload = self._request_json(resource, [*params, ("limit", limit), ("page", page)])
            batch = unwrap_list(payload, plural)
            items.extend(batch)
            page_count = _page_count(payload)
            if len(batch) < limit or (page_count is not None and page >= page_count):
                return items
            if page >= self.config.max_pages:
                raise EniscopeError(
                    f"Eniscope {resource} still had full pages after {page} pages (limit "
                    f"{limit}); narrow the request with filters or raise max_pages",
                    method="GET",
                    path=resource,
                )
            page += 1

    def login(self) -> pd.DataFrame:
        """Check the credentials and obtain a session token (``GET /organizations``).

        Returns
        -------
        pandas.DataFrame
            The organizations visible to the account (see :func:`parse_organizations`).

        Raises
        ------
        AuthenticationError, AccessDeniedError, SubscriptionExpiredError
            With a message saying which setting to check.
        """
        return self.get_organizations()

    def get_organizations(self, **filters: object) -> pd.DataFrame:
        """Organizations visible to the account, all pages.

        Parameters
        ----------
        **filters
            API filters: ``id``, ``name`` (``*`` wildcard), ``email``, ``parent``, ``type``.

        Returns
        -------
        pandas.DataFrame
            See :func:`parse_organizations`. Select the site by ``organization_id``, never by
            position.
        """
        return parse_organizations(self._get_list("/organizations", "organizations", filters))

    def get_organization(self, organization_id: int | str) -> pd.Series:
        """One organization.

        Parameters
        ----------
        organization_id : int or str
            E.g. ``23271``.

        Returns
        -------
        pandas.Series
            One row of :func:`parse_organizations`.

        Raises
        ------
        NotFoundError, AccessDeniedError
            If the organization does not exist or is not visible to the account.
        """
        payload = self._request_json(f"/organizations/{int(organization_id)}")
        return _single(parse_organizations(payload), "organization", organization_id)

    def get_devices(self, *, organization: int | str, **filters: object) -> pd.DataFrame:
        """Devices of an organization, all pages (see :func:`parse_devices`).

        Parameters
        ----------
        organization : int or str
            Organization id.
        **filters
            Other API filters (``deviceTypeId``, ``uuid``, ``name``...).

        Returns
        -------
        pandas.DataFrame
        """
        filters = {"organization": int(organization), **filters}
        return parse_devices(self._get_list("/devices", "devices", filters))

    def get_channels(self, *, organization: int | str, **filters: object) -> pd.DataFrame:
        """Channels of an organization, all pages (see :func:`parse_channels`).

        Parameters
        ----------
        organization : int or str
            Organization id (always sent: unfiltered lists return everything reachable).
        **filters
            Other API filters (``name``, ``deviceId``, ``displayedPhase``...).

        Returns
        -------
        pandas.DataFrame
        """
        filters = {"organization": int(organization), **filters}
        return parse_channels(self._get_list("/channels", "channels", filters))

    def get_channel(self, channel_id: int | str) -> pd.Series:
        """One channel (see :func:`parse_channels`).

        Parameters
        ----------
        channel_id : int or str
            ``dataChannelId``.

        Returns
        -------
        pandas.Series
        """
        payload = self._request_json(f"/channels/{int(channel_id)}")
        return _single(parse_channels(payload), "channel", channel_id)

    def get_meters(self, *, organization: int | str, **filters: object) -> pd.DataFrame:
        """Meters of an organization, all pages (see :func:`parse_meters`).

        Parameters
        ----------
        organization : int or str
            Organization id (always sent).
        **filters
            Other API filters.

        Returns
        -------
        pandas.DataFrame
        """
        filters = {"organization": int(organization), **filters}
        return parse_meters(self._get_list("/meters", "meters", filters))

    # -- readings ----------------------------------------------------------------------------

    def _max_window_s(self, resolution_s: int) -> int:
        if resolution_s == 60:
            return self.config.max_window_minute_s
        if resolution_s == 86400:
            return self.config.max_window_daily_s
        return self.config.max_window_s

    def get_readings(
        self,
        channel_id: int,
        *,
        start: pd.Timestamp | datetime | str,
        end: pd.Timestamp | datetime | str,
        resolution_s: int = 3600,
        fields: Sequence[str] = DEFAULT_FIELD_CODES,
    ) -> ReadingsResult:
        """Fetch the readings of one channel over ``[start, end)``, in project units.

        Sends ``action=summarize``, ``res``, ``showCounters=0`` (``E`` per interval),
        ``daterange[]`` as epoch seconds and literal ``fields[]`` (``E`` and ``P`` always
        included). Windows longer than the per-resolution maximum are split; a window that
        fails with a 5xx is halved down to ``min_split_s`` and retried.

        Parameters
        ----------
        channel_id : int
            ``dataChannelId``.
        start, end : pandas.Timestamp, datetime or str
            Tz-aware window bounds; use site-local midnights for whole days.
        resolution_s : int
            One of :data:`RESOLUTIONS` [s]; 3600 is the most stable.
        fields : sequence of str
            Eniscope field codes; default the project's 26.

        Returns
        -------
        ReadingsResult
            ``readings`` sorted and deduplicated on ``timestamp`` (interval start, UTC);
            ``rejected`` as in :func:`parse_readings`. Empty ``readings`` mean "no data yet".

        Raises
        ------
        ValueError
            For naive or reversed bounds, an unknown resolution or an empty field list.
        ChannelSkippedError
            For a channel in ``skip_channels`` or found invalid earlier.
        EniscopeError
            Subclasses for failures that persisted through the retry policy.
        """
        channel_id = int(channel_id)
        start_utc, end_utc = _as_utc(start, "start"), _as_utc(end, "end")
        if not start_utc < end_utc:
            raise ValueError(f"start ({start_utc}) must be before end ({end_utc}); [start, end)")
        if resolution_s not in RESOLUTIONS:
            raise ValueError(f"resolution_s must be one of {RESOLUTIONS}, got {resolution_s!r}")
        codes = [str(c) for c in fields]
        if not codes:
            raise ValueError("fields is empty; the API answers 500 without fields[] (pass 'E','P')")
        codes = list(dict.fromkeys(["E", "P", *codes]))
        unknown = [c for c in codes if c not in FIELDS_BY_CODE]
        if unknown:
            logger.info("requesting field codes the parser does not map: %s", unknown)
        if channel_id in self.config.skip_channels or channel_id in self.invalid_channels:
            raise ChannelSkippedError(
                f"channel {channel_id} is on the skip list (virtual or non-energy channels answer "
                "500 'Invalid Parameter'); remove it from skip_channels to request it",
                method="GET",
                path=f"/readings/{channel_id}",
            )
        first, last = int(start_utc.timestamp()), int(end_utc.timestamp())
        step = self._max_window_s(resolution_s)
        bounds = [*range(first, last, step), last]
        before = self.request_count
        parts: list[tuple[pd.DataFrame, pd.DataFrame, Mapping[str, str]]] = []
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            parts.extend(self._fetch_window(channel_id, lo, hi, resolution_s, codes))
        readings = pd.concat([p[0] for p in parts], ignore_index=True)
        readings = (
            readings.drop_duplicates("timestamp", keep="last")
            .sort_values("timestamp", kind="stable")
            .reset_index(drop=True)
        )
        readings.attrs["resolution_s"] = resolution_s
        return ReadingsResult(
            channel_id=channel_id,
            start=start_utc,
            end=end_utc,
            resolution_s=resolution_s,
            readings=readings,
            rejected=_concat_rejected([p[1] for p in parts]),
            units=dict(parts[-1][2]) if parts else {},
            requests=self.request_count - before,
        )

    def _fetch_window(
        self, channel_id: int, lo: int, hi: int, resolution_s: int, codes: Sequence[str]
    ) -> list[tuple[pd.DataFrame, pd.DataFrame, Mapping[str, str]]]:
        params: list[tuple[str, object]] = [
            ("action", "summarize"),
            ("res", resolution_s),
            ("showCounters", 0),
            ("daterange[]", lo),
            ("daterange[]", hi),
            *(("fields[]", code) for code in codes),
        ]
        long = hi - lo > _DAY_S
        try:
            payload = self._request_json(
                f"/readings/{channel_id}",
                params,
                read_timeout_s=self.config.long_read_timeout_s if long else None,
            )
        except (ServerError, TransportError, InvalidResponseError) as exc:
            if hi - lo > self.config.min_split_s:
                mid = lo + (hi - lo) // 2
                if mid - lo > resolution_s:
                    mid -= (mid - lo) % resolution_s  # keep both halves on the res grid
                logger.warning(
                    "channel %s: window of %.1f days failed (%s); splitting it in halves",
                    channel_id,
                    (hi - lo) / _DAY_S,
                    type(exc).__name__,
                )
                return [
                    *self._fetch_window(channel_id, lo, mid, resolution_s, codes),
                    *self._fetch_window(channel_id, mid, hi, resolution_s, codes),
                ]
            if isinstance(exc, InvalidParameterError):
                with self._count_lock:
                    new = channel_id not in self._invalid_channels
                    self._invalid_channels.add(channel_id)
                if new:
                    logger.warning(
                        "channel %s answers 'Invalid Parameter'; skipping it for the rest of "
                        "this run",
                        channel_id,
                    )
            raise
        readings, rejected = parse_readings(
            payload, channel_id=channel_id, resolution_s=resolution_s
        )
        units = payload.get("units") if isinstance(payload, dict) else None
        return [(readings, rejected, units if isinstance(units, dict) else {})]

    def fetch_readings(
        self,
        windows: Iterable[tuple[int, pd.Timestamp | datetime, pd.Timestamp | datetime]],
        *,
        resolution_s: int = 3600,
        fields: Sequence[str] = DEFAULT_FIELD_CODES,
    ) -> list[WindowResult]:
        """Fetch many channel-windows; a failing window is reported and the others continue.

        Runs up to ``config.max_concurrency`` windows at once (politeness and 429 pauses are
        shared). Only errors that would fail every window (authentication, expired subscription,
        a long ``Retry-After``, configuration) are raised.

        Parameters
        ----------
        windows : iterable of (channel_id, start, end)
            Tz-aware ``[start, end)`` windows, e.g. one site-local day each.
        resolution_s : int
            ``res`` [s].
        fields : sequence of str
            Field codes.

        Returns
        -------
        list of WindowResult
            In the order of ``windows``; ``status`` is ``success``, ``empty``, ``failure`` or
            ``skipped``, with an error summary for failures (one row of the ingestion log each).

        Raises
        ------
        AuthenticationError, SubscriptionExpiredError, RateLimited
            Failures that no other window could escape.
        """
        jobs = [(int(c), _as_utc(s, "start"), _as_utc(e, "end")) for c, s, e in windows]

        def run(job: tuple[int, pd.Timestamp, pd.Timestamp]) -> WindowResult:
            channel_id, start, end = job
            empty = _empty_readings(channel_id)
            try:
                result = self.get_readings(
                    channel_id, start=start, end=end, resolution_s=resolution_s, fields=fields
                )
            except ChannelSkippedError as exc:
                return WindowResult(
                    channel_id, start, end, "skipped", empty, empty_rejected(), str(exc)
                )
            except FATAL_ERRORS:
                raise
            except EniscopeError as exc:
                return WindowResult(
                    channel_id, start, end, "failure", empty, empty_rejected(), str(exc)
                )
            status = "success" if len(result.readings) else "empty"
            return WindowResult(channel_id, start, end, status, result.readings, result.rejected)

        if self.config.max_concurrency == 1 or len(jobs) <= 1:
            return [run(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=self.config.max_concurrency) as pool:
            return list(pool.map(run, jobs))


def _filter_params(filters: Mapping[str, object]) -> list[tuple[str, object]]:
    params: list[tuple[str, object]] = []
    for key, value in filters.items():
        if value is None:
            continue
        if isinstance(value, list | tuple | set | frozenset):
            params.extend((key, v) for v in value)
        else:
            params.append((key, value))
    return params


def _single(frame: pd.DataFrame, what: str, key: object) -> pd.Series:
    if frame.empty:
        raise InvalidResponseError(f"Eniscope returned no usable {what} record for id {key}")
    return frame.iloc[0]
