"""The Eniscope Core API wire format, as the fake server speaks it (API spec sections 4 to 6).

Routes (bare ``/channels`` or versioned ``/v1/1/channels``), query decoding (literal or
percent-encoded ``fields[]``/``daterange[]``), the filter syntax of list resources (wildcards,
negation, ``null``), sorting and pagination in list envelopes, readings windows (epoch seconds,
site-local dates or named ranges), API units, JSON encoding and the redaction of credentials in
the request log. Everything here is a pure function of its arguments.

Examples
--------
>>> parse_query("fields%5B%5D=E&fields[]=P&res=3600")
{'fields[]': ('E', 'P'), 'res': ('3600',)}
>>> route("/v1/1/readings/162285")
('readings', '162285')
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from argo_lib.fields import FIELDS_BY_CODE

__all__ = [
    "ACTIONS",
    "NAMED_RANGES",
    "RESOLUTIONS",
    "Reply",
    "api_unit",
    "bare_path",
    "invalid",
    "list_envelope",
    "parse_query",
    "parse_window",
    "redact_params",
    "redact_query",
    "route",
    "to_wire",
]

RESOLUTIONS = {"auto": 3600, "60": 60, "900": 900, "1800": 1800, "3600": 3600, "86400": 86400}
"""Values of the readings ``res`` parameter → interval length [s]."""
ACTIONS = (
    "summarize",
    "total",
    "averageday",
    "typicalday",
    "medianday",
    "meanday",
    "minday",
    "maxday",
)
"""Values of the readings ``action`` parameter."""
NAMED_RANGES = (
    "today",
    "yesterday",
    "daybefore",
    "thisweek",
    "lastweek",
    "weekbefore",
    "7days",
    "previous7days",
    "28days",
    "30days",
    "thismonth",
    "lastmonth",
    "thisyear",
    "lastyear",
)
"""Named ``daterange`` values of API spec section 4.5 (resolved in the site's zone)."""


_SECRET_PARAM = re.compile(r"key|token|pass|secret|auth|email|hash", re.IGNORECASE)


class Reply(Exception):
    """Answer the request with this status and body now (raised while handling a request).

    Parameters
    ----------
    status : int
        HTTP status.
    body : Any
        JSON-able body, bytes, text or None (empty).
    headers : mapping, optional
        Extra response headers.
    """

    def __init__(
        self, status: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def invalid(message: str = "Invalid Parameter") -> Reply:
    """The API's answer to a bad readings parameter: HTTP 500 "Invalid Parameter"."""
    return Reply(500, {"error": {"code": 500, "message": message}})


def api_unit(code: str) -> str:
    """The unit the API reports for a field code (``"W"`` for ``P``, ``"USD"`` for cost...)."""
    spec = FIELDS_BY_CODE.get(code)
    if code == "cost":
        return "USD"
    if spec is not None:
        return spec.api_unit
    return {"T": "°C", "RH": "%", "CO2": "ppm", "RE": "VArh", "AE": "VAh"}.get(code, "")


def to_wire(frame: pd.DataFrame, codes: Sequence[str]) -> list[dict[str, Any]]:
    """Readings records as the API sends them: API units and codes, null for NaN.

    Parameters
    ----------
    frame : pandas.DataFrame
        Readings in project units (glossary columns), indexed by UTC interval start.
    codes : sequence of str
        Requested field codes; a code the frame lacks is null (``cost`` is left out).

    Returns
    -------
    list of dict
        One record per row: ``ts`` (epoch seconds [s]) and one value per code.
    """
    out = pd.DataFrame(index=frame.index)
    for code in codes:
        spec = FIELDS_BY_CODE.get(code)
        if code == "cost" and "cost" not in frame.columns:
            continue  # no tariff attached: the key is absent
        if spec is not None and spec.column in frame.columns:
            out[code] = frame[spec.column].astype("float64") / spec.scale
        else:
            out[code] = np.nan  # a code the channel does not support is null
    seconds = epoch_seconds_of(cast(pd.DatetimeIndex, frame.index))
    out.insert(0, "ts", seconds)
    records = out.astype(object).where(out.notna(), None).to_dict("records")
    return cast(list[dict[str, Any]], records)  # the columns are "ts" and the codes


# --------------------------------------------------------------------------------------------
# Routes, queries and list envelopes
# --------------------------------------------------------------------------------------------

ID_KEYS = {
    "organizations": "organizationId",
    "devices": "deviceId",
    "channels": "dataChannelId",
    "meters": "meterId",
}
"""List resource → the key of its records' id."""
FILTERS: dict[str, dict[str, str]] = {
    "organizations": {"id": "organizationId", "name": "organizationName", "parent": "parentId"},
    "devices": {
        "organization": "organizationId",
        "id": "deviceId",
        "device": "deviceId",
        "name": "deviceName",
        "uuid": "uuId",
        "parent": "parentId",
        "deviceTypeId": "deviceTypeId",
    },
    "channels": {
        "organization": "organizationId",
        "id": "dataChannelId",
        "name": "channelName",
        "uuid": "uuId",
        "deviceId": "deviceId",
        "device": "deviceId",
        "displayedPhase": "displayedPhase",
        "tariff": "tariffId",
    },
    "meters": {
        "organization": "organizationId",
        "id": "meterId",
        "device": "deviceId",
        "name": "deviceName",
        "uuid": "uuId",
        "dataType": "dataType",
    },
}
"""List resource → filter parameter → record key it matches."""


def bare_path(path: str) -> str:
    """The path without the ``/v1/1`` prefix and trailing slash (``/`` for the root)."""
    path = re.sub(r"^/v1/1(?=/|$)", "", path)
    return path.rstrip("/") or "/"


def route(path: str) -> tuple[str, str | None]:
    """Resource and optional id of a path; :class:`Reply` 403/404 for anything else.

    Parameters
    ----------
    path : str
        Request path without the query.

    Returns
    -------
    tuple of (str, str or None)
        ``("channels", None)``, ``("readings", "162285")``...

    Raises
    ------
    Reply
        403 for the legacy ``/api`` paths, 404 for unknown resources.
    """
    if re.match(r"^/api(/|$)", path):
        raise Reply(403, b"")
    parts = [p for p in bare_path(path).split("/") if p]
    if not parts or parts[0] not in (*ID_KEYS, "readings") or len(parts) > 2:
        raise Reply(404, {"error": "Not Found"})
    return parts[0], (parts[1] if len(parts) == 2 else None)


def parse_query(query: str) -> dict[str, tuple[str, ...]]:
    """Decode a query string; literal and percent-encoded brackets give the same key."""
    params: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        params.setdefault(key, []).append(value)
    return {k: tuple(v) for k, v in params.items()}


def _int_param(params: Mapping[str, tuple[str, ...]], name: str, default: int) -> int:
    raw = params.get(name)
    if not raw:
        return default
    try:
        return int(raw[-1])
    except ValueError:
        raise invalid() from None


def _is_date(text: str) -> bool:
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def _matches(value: Any, patterns: Sequence[str]) -> bool:
    """Filter syntax: ``*`` wildcard, ``!x`` not-equal, ``null``/``!null``; repeated keys OR."""
    text = None if value is None else str(value)
    for pattern in patterns:
        negate = pattern.startswith("!")
        core = pattern[1:] if negate else pattern
        if core == "null":
            hit = text is None
        elif text is None:
            hit = False
        else:
            hit = fnmatch.fnmatchcase(text.lower(), core.lower())
        if hit != negate:
            return True
    return False


def _sort_key(value: Any) -> tuple[int, float, str]:
    try:
        return (0, float(value), "")
    except (TypeError, ValueError):
        return (1, 0.0, "" if value is None else str(value))


def encode_body(body: Any) -> bytes:
    """Bytes of a response body: bytes as given, text UTF-8, anything else compact JSON."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode()
    return json.dumps(body, separators=(",", ":"), allow_nan=False, default=_json_default).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


def epoch_seconds_of(index: pd.DatetimeIndex) -> np.ndarray:
    """Unix epoch seconds of a tz-aware index, whatever its time unit [s]."""
    exponent = {"s": 0, "ms": 3, "us": 6, "ns": 9}[index.unit]
    return index.asi8 // 10**exponent


def list_envelope(
    resource: str, records: list[dict[str, Any]], params: Mapping[str, tuple[str, ...]]
) -> dict[str, Any]:
    """One page of a list resource: filtered, sorted and paginated as the API does.

    Parameters
    ----------
    resource : str
        ``organizations``, ``devices``, ``channels`` or ``meters``.
    records : list of dict
        Every record of the resource.
    params : mapping
        Decoded query (:func:`parse_query`): filters of :data:`FILTERS` (repeated keys OR),
        ``sort`` (``field [asc|desc]``), ``limit`` (1 to 100, default 20) and ``page``.

    Returns
    -------
    dict
        ``{resource: [...records of the page], "meta": {currentPage, recordsPerPage,
        recordCount, pageCount}}``.

    Raises
    ------
    Reply
        500 "Invalid Parameter" for a limit or page that is not a number.
    """
    for name, values in params.items():
        record_key = FILTERS.get(resource, {}).get(name)
        if record_key is not None:
            records = [r for r in records if _matches(r.get(record_key), values)]
    if "sort" in params:
        field_name, _, order = params["sort"][-1].partition(" ")
        records = sorted(
            records,
            key=lambda r: _sort_key(r.get(field_name)),
            reverse=order.strip().lower() == "desc",
        )
    limit = _int_param(params, "limit", 20)
    limit = min(max(limit, 1), 100)
    page = max(_int_param(params, "page", 1), 1)
    total = len(records)
    page_count = max(1, math.ceil(total / limit))
    chunk = records[(page - 1) * limit : page * limit]
    return {
        resource: chunk,
        "meta": {
            "currentPage": page,
            "recordsPerPage": limit,
            "recordCount": total,
            "pageCount": page_count,
        },
    }


def parse_window(
    params: Mapping[str, tuple[str, ...]], *, now: pd.Timestamp, tz: ZoneInfo
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The readings window of a request: ``daterange[]`` pair or named ``daterange``.

    Parameters
    ----------
    params : mapping
        Decoded query (:func:`parse_query`).
    now : pandas.Timestamp
        The server's "now", for named ranges.
    tz : zoneinfo.ZoneInfo
        The site's zone: dates and named ranges are site-local days.

    Returns
    -------
    tuple of pandas.Timestamp
        ``[start, end)`` in UTC.

    Raises
    ------
    Reply
        500 "Invalid Parameter" for a missing, malformed, unknown or empty range.
    """
    values = params.get("daterange[]")
    if values:
        if len(values) != 2:
            raise invalid()
        first, second = values
        if first.isdigit() and second.isdigit():
            start = pd.Timestamp(int(first), unit="s", tz="UTC")
            end = pd.Timestamp(int(second), unit="s", tz="UTC")
        elif _is_date(first) and _is_date(second):
            start = pd.Timestamp(first).tz_localize(tz).tz_convert("UTC")
            end = pd.Timestamp(second).tz_localize(tz).tz_convert("UTC")
        else:
            raise invalid()
    elif "daterange" in params:
        start, end = named_range(params["daterange"][-1], now=now, tz=tz)
    else:
        raise invalid()
    if not start < end:
        raise invalid()
    return start, end


def named_range(name: str, *, now: pd.Timestamp, tz: ZoneInfo) -> tuple[pd.Timestamp, pd.Timestamp]:
    """A named ``daterange`` of API spec section 4.5, in site-local days.

    Parameters
    ----------
    name : str
        One of :data:`NAMED_RANGES` (``today``, ``lastweek``, ``30days``...).
    now : pandas.Timestamp
        The server's "now".
    tz : zoneinfo.ZoneInfo
        The site's zone.

    Returns
    -------
    tuple of pandas.Timestamp
        ``[start, end)`` in UTC.

    Raises
    ------
    Reply
        500 "Invalid Parameter" for an unknown name.
    """
    if name not in NAMED_RANGES:
        raise invalid()
    local_now = now.tz_convert(tz)
    today = local_now.normalize()
    day = pd.DateOffset(days=1)
    monday = today - pd.DateOffset(days=today.weekday())
    month = today.replace(day=1)
    year = today.replace(month=1, day=1)
    ranges = {
        "today": (today, today + day),
        "yesterday": (today - day, today),
        "daybefore": (today - pd.DateOffset(days=2), today - day),
        "thisweek": (monday, monday + pd.DateOffset(weeks=1)),
        "lastweek": (monday - pd.DateOffset(weeks=1), monday),
        "weekbefore": (monday - pd.DateOffset(weeks=2), monday - pd.DateOffset(weeks=1)),
        "7days": (today - pd.DateOffset(days=6), today + day),
        "previous7days": (today - pd.DateOffset(days=7), today),
        "28days": (today - pd.DateOffset(days=27), today + day),
        "30days": (today - pd.DateOffset(days=29), today + day),
        "thismonth": (month, month + pd.DateOffset(months=1)),
        "lastmonth": (month - pd.DateOffset(months=1), month),
        "thisyear": (year, year + pd.DateOffset(years=1)),
        "lastyear": (year - pd.DateOffset(years=1), year),
    }
    start, end = ranges[name]
    return start.tz_convert("UTC"), end.tz_convert("UTC")


def redact_params(params: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, ...]]:
    """Decoded query with the values of credential-like keys replaced by ``[REDACTED]``."""
    return {
        k: (("[REDACTED]",) * len(v) if _SECRET_PARAM.search(k) else v) for k, v in params.items()
    }


def redact_query(query: str) -> str:
    """Raw query string with the values of credential-like keys replaced by ``[REDACTED]``."""
    return "&".join(
        f"{k}=[REDACTED]" if _SECRET_PARAM.search(k) else f"{k}={v}"
        for k, _, v in (part.partition("=") for part in query.split("&") if part)
    )
