"""A fake Eniscope Core API on loopback, for tests and offline demos (API spec section 10).

Standard library HTTP only (:class:`http.server.ThreadingHTTPServer`), bound to ``127.0.0.1`` on
an ephemeral port by default, never to a non-loopback address. It speaks the wire format of the
real API (auth headers and session tokens, list envelopes and pagination, literal or
percent-encoded ``fields[]``/``daterange[]``, readings in API units) and serves the project's
simulated Wilson Center site (:mod:`argo_lib.simulate`), so the real client can be exercised over
real HTTP. Every fault of spec section 10 can be switched on per test with
:meth:`FakeEniscope.configure`; the request log records what was asked, never a secret.

Examples
--------
>>> from argo_lib.eniscope import EniscopeClient, EniscopeConfig
>>> fake = FakeEniscope(clock="2025-12-08T12:00:00Z")
>>> with fake as url:
...     config = EniscopeConfig(base_url=url, api_key=DEFAULT_API_KEY, email=DEFAULT_EMAIL,
...                             password=DEFAULT_PASSWORD, min_interval_s=0)
...     with EniscopeClient(config) as client:
...         orgs = client.login()
...         channels = client.get_channels(organization=23271)
>>> orgs["organization_id"].tolist(), len(channels) >= 20
([23271], True)
>>> [(r.path, r.auth, r.status) for r in fake.request_log][:2]
[('/organizations', 'basic', 200), ('/channels', 'token', 200)]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import dataclasses
import fnmatch
import hashlib
import hmac
import ipaddress
import json
import logging
import math
import random
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from argo_lib import simulate
from argo_lib.fields import FIELDS_BY_CODE, FIELDS_BY_COLUMN

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_EMAIL",
    "DEFAULT_PASSWORD",
    "MALFORMED_KINDS",
    "NAMED_RANGES",
    "SITE_ORGANIZATION_ID",
    "SITE_TIMEZONE",
    "FakeEniscope",
    "Faults",
    "LoggedRequest",
    "ManualClock",
    "RateLimit",
    "ScriptedResponse",
    "main",
]

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"
"""API key the fake accepts by default (spec section 10; a public test value)."""
DEFAULT_EMAIL = "api@someorg.com"
"""Account e-mail the fake accepts by default."""
DEFAULT_PASSWORD = "thisismypassword"  # the spec's published test vector, not a real secret
"""Password the fake accepts by default; its Basic header is the spec's test vector."""

SITE_ORGANIZATION_ID = 23271
"""The Wilson Center organization, the only one the fake's account may see."""
SITE_TIMEZONE = "America/New_York"
"""Time zone of the simulated site."""
SITE_NAME = "Wilson Center"
INSTALLED = pd.Timestamp("2025-04-29", tz=SITE_TIMEZONE)
"""No readings before this local midnight (backfill start)."""
_CREATED = "1659361785"

BASE_RESOLUTION_S = 900
RESOLUTIONS = {"auto": 3600, "60": 60, "900": 900, "1800": 1800, "3600": 3600, "86400": 86400}
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

MALFORMED_KINDS = frozenset(
    {
        "null",
        "string_numbers",
        "nan_string",
        "empty_string",
        "infinity",
        "negative",
        "ts_string",
        "missing_ts",
        "extra_keys",
        "missing_units",
    }
)
"""Value faults :class:`Faults` can inject into readings records."""

_COUNTER_CODES = frozenset({"E", "E1", "E2", "E3", "RE", "AE", "cost"})
_NO_ENERGY_CODES = frozenset({"E", "P", "V"})
_SECRET_PARAM = re.compile(r"key|token|pass|secret|auth|email|hash", re.IGNORECASE)
_SUBSCRIPTION_REASONS = {402: "Payment Required", 412: "Precondition Failed"}


# --------------------------------------------------------------------------------------------
# Clock and fault settings
# --------------------------------------------------------------------------------------------


class ManualClock:
    """A clock that only moves when told to; share it between a fake server and a client.

    ``sleep`` records the delay and advances the clock instead of waiting, so retry and pacing
    logic runs instantly in tests while the fake's rolling windows and token lifetimes still see
    time pass.

    Parameters
    ----------
    start : str, datetime or pandas.Timestamp
        Initial wall-clock time; must be tz-aware.

    Examples
    --------
    >>> clock = ManualClock("2025-12-01T00:00:00Z")
    >>> clock.sleep(2.5); clock.monotonic(), str(clock.now())
    (2.5, '2025-12-01 00:00:02.500000+00:00')
    """

    def __init__(self, start: str | datetime | pd.Timestamp) -> None:
        ts = pd.Timestamp(start)
        if ts.tzinfo is None:
            raise ValueError(f"ManualClock start {start!r} is naive; add a zone, e.g. 'Z'")
        self._epoch0 = ts.timestamp()
        self._elapsed = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Record a sleep and advance the clock by it [s]."""
        with self._lock:
            self.sleeps.append(float(seconds))
            self._elapsed += max(0.0, float(seconds))

    def advance(self, seconds: float) -> None:
        """Move the clock forward without recording a sleep [s]."""
        with self._lock:
            self._elapsed += float(seconds)

    def monotonic(self) -> float:
        """Seconds since the clock was created [s]."""
        with self._lock:
            return self._elapsed

    def time(self) -> float:
        """Current time as Unix epoch seconds [s]."""
        with self._lock:
            return self._epoch0 + self._elapsed

    def now(self) -> pd.Timestamp:
        """Current time, UTC-aware."""
        return pd.Timestamp(self.time(), unit="s", tz="UTC")


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """Answer 429 once ``max_requests`` were served within a rolling ``window_s``.

    Attributes
    ----------
    max_requests : int
        Requests allowed per window.
    window_s : float
        Length of the rolling window on the fake's clock [s].
    retry_after : {"seconds", "http-date", "absent"}
        Form of the ``Retry-After`` header, or no header at all.
    retry_after_s : float, optional
        Fixed ``Retry-After`` [s]; default the time until a request slot frees up.
    """

    max_requests: int
    window_s: float
    retry_after: Literal["seconds", "http-date", "absent"] = "seconds"
    retry_after_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class ScriptedResponse:
    """One queued response, served to the next request whose path matches.

    Attributes
    ----------
    status : int
        HTTP status.
    body : str, bytes or None
        Body to send; None sends the real body for a 2xx, or a short error body otherwise.
    headers : mapping
        Extra response headers.
    corrupt : {"truncated", "non_json"} or None
        Damage the (real) 2xx body.
    delay_s : float
        Wait this long before answering (real time) [s].
    path_prefix : str, optional
        Only requests whose bare path starts with this (e.g. ``"/readings/162285"``) consume it.
    """

    status: int = 500
    body: str | bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    corrupt: Literal["truncated", "non_json"] | None = None
    delay_s: float = 0.0
    path_prefix: str | None = None


@dataclass(frozen=True, kw_only=True)
class Faults:
    """Injectable faults; all off by default. Change them with :meth:`FakeEniscope.configure`.

    Attributes
    ----------
    rate_limit : RateLimit, optional
        429 storms with ``Retry-After`` variants.
    error_rate : float
        Probability that a request fails with ``error_status`` (seeded) [-].
    error_status : int
        Status of random and ``fail_first`` failures (500, 502, 503...).
    fail_first : int
        The first K readings requests of each channel fail with ``error_status``.
    body_fault : {"truncated", "non_json"} or None
        Every 2xx body is cut short or replaced by HTML.
    token_ttl_s : float, optional
        Session tokens expire this long after issue, on the fake's clock [s].
    token_max_uses : int, optional
        Session tokens expire after this many uses.
    token_expired_status : {401, 419}
        Status for an expired or unknown token.
    force_status : int, optional
        Answer every authenticated request with this status (402 subscription expired, 412...).
    delay_s, delay_jitter_s : float
        Real-time delay before each response, plus U(0, jitter) (seeded) [s].
    hang_s : float
        Real-time hang before each response, to exceed a client's read timeout [s].
    malformed : frozenset of str
        Value faults from :data:`MALFORMED_KINDS` injected into readings.
    malformed_rate : float
        Share of records each value fault hits (selected by a hash of ``ts``) [-].
    duplicates : bool
        Repeat about one record in ten (identical copies, appended).
    out_of_order : bool
        Shuffle the records (seeded).
    empty_recent_h : float, optional
        Readings windows ending within this many hours of now return no records [h].
    end_inclusive : bool
        Add a record at ``ts == end`` (the boundary record the live API may send).
    blocked_user_agent : str, optional
        Regular expression; a matching User-Agent gets 403.
    tariff_rate_per_kwh : float, optional
        Attach a tariff: records carry ``cost`` = energy × rate [currency].
    """

    rate_limit: RateLimit | None = None
    error_rate: float = 0.0
    error_status: int = 500
    fail_first: int = 0
    body_fault: Literal["truncated", "non_json"] | None = None
    token_ttl_s: float | None = None
    token_max_uses: int | None = None
    token_expired_status: Literal[401, 419] = 401
    force_status: int | None = None
    delay_s: float = 0.0
    delay_jitter_s: float = 0.0
    hang_s: float = 0.0
    malformed: frozenset[str] = frozenset()
    malformed_rate: float = 0.1
    duplicates: bool = False
    out_of_order: bool = False
    empty_recent_h: float | None = None
    end_inclusive: bool = False
    blocked_user_agent: str | None = None
    tariff_rate_per_kwh: float | None = None

    def __post_init__(self) -> None:
        unknown = set(self.malformed) - MALFORMED_KINDS
        if unknown:
            raise ValueError(
                f"unknown malformed kinds {sorted(unknown)}; choose from {sorted(MALFORMED_KINDS)}"
            )
        object.__setattr__(self, "malformed", frozenset(self.malformed))
        if self.token_expired_status not in (401, 419):
            raise ValueError(
                f"token_expired_status must be 401 or 419, got {self.token_expired_status}"
            )


@dataclass(frozen=True)
class LoggedRequest:
    """One request as the fake saw it; secret values are never recorded.

    Attributes
    ----------
    method : str
        ``GET``, ``OPTIONS``...
    path : str
        Path as sent (no query).
    params : dict
        Decoded query: key to tuple of values (``fields[]`` keeps its brackets); values of
        credential-like keys are replaced by ``[REDACTED]``.
    auth : {"basic", "token", "none"}
        How the request authenticated (or tried to).
    status : int
        Status answered.
    user_agent : str
        The User-Agent header.
    query : str
        The raw query string as it came over the wire (``fields[]`` or ``fields%5B%5D``), with
        the values of credential-like keys replaced by ``[REDACTED]``.
    """

    method: str
    path: str
    params: Mapping[str, tuple[str, ...]]
    auth: Literal["basic", "token", "none"]
    status: int
    user_agent: str
    query: str = ""


class _Reply(Exception):
    """Internal: answer the request with this status and body now."""

    def __init__(
        self, status: int, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = dict(headers or {})


def _invalid(message: str = "Invalid Parameter") -> _Reply:
    return _Reply(500, {"error": {"code": 500, "message": message}})


# --------------------------------------------------------------------------------------------
# Site metadata and simulated readings
# --------------------------------------------------------------------------------------------


def _simulate_base(
    channel_id: int,
    start: pd.Timestamp,
    end: pd.Timestamp,
    *,
    seed: int,
    faults: Sequence[simulate.Fault] = (),
) -> pd.DataFrame:
    """Readings of one channel on the 900-s UTC grid in project units, indexed by timestamp."""
    sim = simulate.simulate_readings(
        start=start,
        end=end,
        resolution_s=BASE_RESOLUTION_S,
        channels=[channel_id],
        seed=seed,
        faults=faults,
        fields="all",
    )
    frame = sim.readings.drop(columns="channel_id")
    return frame.set_index("timestamp").sort_index()


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class FakeEniscope:
    """Fake Eniscope Core API serving the simulated Wilson Center site.

    Use it as a context manager: ``with FakeEniscope() as url: ...`` starts the server on a
    background thread and yields its base URL (``http://127.0.0.1:<port>``).

    Parameters
    ----------
    host : str
        Loopback address to bind (``127.0.0.1``); anything else is refused.
    port : int
        Port; 0 picks a free one.
    clock : str, datetime, pandas.Timestamp or callable, optional
        "Now" for the fake: a fixed tz-aware time, or a callable returning one (e.g.
        ``ManualClock.now``). Default: the real current time.
    seed : int
        Simulator seed; the same seed gives the same readings.
    lag_s : float
        No readings at or after now minus this lag [s].
    api_key, email, password : str
        Credentials the fake accepts.
    faults : Faults, optional
        Initial transport and wire faults (default none).
    site_faults : sequence of argo_lib.simulate.Fault
        Labelled data faults of the simulated site (gaps, spikes, stuck sensors...), as the
        detection benchmark injects them.

    Attributes
    ----------
    url : str
        Base URL while running.
    faults : Faults
        Current faults.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: str | datetime | pd.Timestamp | Callable[[], datetime] | None = None,
        seed: int = 0,
        lag_s: float = 3600.0,
        api_key: str = DEFAULT_API_KEY,
        email: str = DEFAULT_EMAIL,
        password: str = DEFAULT_PASSWORD,
        faults: Faults | None = None,
        site_faults: Sequence[simulate.Fault] = (),
    ) -> None:
        if host == "localhost":
            host = "127.0.0.1"
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback or ipaddress.ip_address(host).version != 4:
            raise ValueError(
                f"the fake Eniscope server only binds an IPv4 loopback address, got {host!r}; "
                "use 127.0.0.1"
            )
        self._host = host
        self._port = int(port)
        if clock is None:
            self._now: Callable[[], datetime] = lambda: datetime.now(UTC)
        elif callable(clock):
            self._now = clock
        else:
            fixed = pd.Timestamp(clock)
            if fixed.tzinfo is None:
                raise ValueError(f"clock {clock!r} is naive; give a zone, e.g. '...Z'")
            self._now = lambda: fixed
        self.seed = int(seed)
        self.lag_s = float(lag_s)
        self._api_key = api_key
        self._basic = base64.b64encode(
            f"{email}:{hashlib.md5(password.strip().encode()).hexdigest()}".encode()
        ).decode()
        self.faults = faults or Faults()
        self._tz = ZoneInfo(SITE_TIMEZONE)
        self._meta = {m.channel_id: m for m in simulate.CHANNEL_METADATA}
        self.site_faults = tuple(site_faults)
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, int]] = {}
        self._served: deque[float] = deque()
        self._channel_requests: dict[int, int] = {}
        self._script: deque[ScriptedResponse] = deque()
        self._log: list[LoggedRequest] = []
        self._rng = random.Random(self.seed)
        self._stop = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"FakeEniscope(url={self.url!r}, seed={self.seed}, faults={self.faults!r})"

    @property
    def url(self) -> str | None:
        """Base URL, or None when not running."""
        if self._server is None:
            return None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Start serving on a background thread.

        Returns
        -------
        str
            The base URL.
        """
        if self._server is not None:
            return self.url  # type: ignore[return-value]
        self._stop.clear()
        self._server = _Server((self._host, self._port), _Handler)
        self._server.app = self
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name="fake-eniscope",
            daemon=True,
        )
        self._thread.start()
        logger.info("fake Eniscope serving at %s", self.url)
        return self.url  # type: ignore[return-value]

    def stop(self) -> None:
        """Stop serving and release the port."""
        self._stop.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls -----------------------------------------------------------------------

    def configure(self, **changes: Any) -> Faults:
        """Change faults (any :class:`Faults` field); the rest stay as they are.

        Parameters
        ----------
        **changes
            E.g. ``fail_first=2, error_status=503``.

        Returns
        -------
        Faults
            The new settings.
        """
        with self._lock:
            self.faults = dataclasses.replace(self.faults, **changes)
            return self.faults

    def enqueue(self, *responses: ScriptedResponse) -> None:
        """Queue scripted responses, served in order to matching requests (after auth).

        Parameters
        ----------
        *responses : ScriptedResponse
            Responses to serve.
        """
        with self._lock:
            self._script.extend(responses)

    def expire_tokens(self) -> None:
        """Forget every issued session token (the next token request gets 401/419)."""
        with self._lock:
            self._tokens.clear()

    @property
    def request_log(self) -> list[LoggedRequest]:
        """Requests served so far, oldest first (a copy)."""
        with self._lock:
            return list(self._log)

    def clear_log(self) -> None:
        """Forget the request log."""
        with self._lock:
            self._log.clear()

    @property
    def tokens_issued(self) -> int:
        """Session tokens currently valid or remembered."""
        with self._lock:
            return len(self._tokens)

    def now(self) -> pd.Timestamp:
        """The fake's current time, UTC."""
        return pd.Timestamp(self._now()).tz_convert("UTC")

    # -- request handling --------------------------------------------------------------------

    def _handle(
        self, method: str, raw_path: str, headers: Mapping[str, str]
    ) -> tuple[int, bytes, dict[str, str], float, LoggedRequest]:
        split = urlsplit(raw_path)
        path = split.path
        params = _parse_query(split.query)
        auth_mode: Literal["basic", "token", "none"] = (
            "basic"
            if headers.get("authorization")
            else ("token" if headers.get("x-eniscope-token") else "none")
        )
        faults = self.faults
        delay = faults.delay_s + (
            self._rng.uniform(0, faults.delay_jitter_s) if faults.delay_jitter_s else 0.0
        )
        delay += faults.hang_s
        out_headers: dict[str, str] = {}
        corrupt = faults.body_fault
        try:
            resource, ident = _route(path)
            self._check_rate_limit(faults)
            pattern = faults.blocked_user_agent
            if pattern and re.search(pattern, headers.get("user-agent", "")):
                raise _Reply(403, b"")
            token = self._authenticate(headers, faults)
            if token:
                out_headers["X-Eniscope-Token"] = token
            if faults.force_status is not None:
                status = faults.force_status
                raise _Reply(status, {"error": _SUBSCRIPTION_REASONS.get(status, "Forced")})
            scripted = self._next_scripted(path)
            if scripted is not None:
                delay += scripted.delay_s
                out_headers.update(scripted.headers)
                corrupt = scripted.corrupt or corrupt
                if scripted.body is not None or not 200 <= scripted.status < 300:
                    body = scripted.body
                    raise _Reply(scripted.status, body if body is not None else {"error": "Error"})
            self._random_failure(faults, resource, ident)
            if method == "OPTIONS":
                body: Any = {"filters": sorted(_FILTERS.get(resource, {}))}
            else:
                body = self._dispatch(resource, ident, params, faults)
            status = 200
        except _Reply as reply:
            status, body = reply.status, reply.body
            out_headers.update(reply.headers)
            if not 200 <= status < 300:
                out_headers.pop("X-Eniscope-Token", None)
        payload = _encode(body)
        if 200 <= status < 300 and corrupt == "truncated":
            payload = payload[: max(1, len(payload) // 2)]
        elif 200 <= status < 300 and corrupt == "non_json":
            payload = b"<html><body>502 Bad Gateway</body></html>"
        entry = LoggedRequest(
            method=method,
            path=path,
            params={
                k: (("[REDACTED]",) * len(v) if _SECRET_PARAM.search(k) else v)
                for k, v in params.items()
            },
            auth=auth_mode,
            status=status,
            user_agent=headers.get("user-agent", ""),
            query="&".join(
                f"{k}=[REDACTED]" if _SECRET_PARAM.search(k) else f"{k}={v}"
                for k, _, v in (part.partition("=") for part in split.query.split("&") if part)
            ),
        )
        with self._lock:
            self._log.append(entry)
        return status, payload, out_headers, delay, entry

    def _check_rate_limit(self, faults: Faults) -> None:
        limit = faults.rate_limit
        if limit is None:
            return
        now = self.now().timestamp()
        with self._lock:
            while self._served and self._served[0] <= now - limit.window_s:
                self._served.popleft()
            if len(self._served) < limit.max_requests:
                self._served.append(now)
                return
            wait = limit.retry_after_s
            if wait is None:
                wait = max(1.0, math.ceil(self._served[0] + limit.window_s - now))
        headers: dict[str, str] = {}
        if limit.retry_after == "seconds":
            headers["Retry-After"] = f"{wait:.0f}"
        elif limit.retry_after == "http-date":
            when = datetime.fromtimestamp(math.ceil(now + wait), tz=UTC)
            headers["Retry-After"] = format_datetime(when, usegmt=True)
        raise _Reply(429, {"error": "Too Many Requests"}, headers)

    def _authenticate(self, headers: Mapping[str, str], faults: Faults) -> str | None:
        """Check credentials; return a fresh token for valid Basic auth, else None."""
        key = headers.get("x-eniscope-api", "")
        if not key or not hmac.compare_digest(key.encode(), self._api_key.encode()):
            raise _Reply(401, {"error": "Unauthorized"})
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "basic":
                raise _Reply(401, {"error": "Unauthorized"})
            try:
                decoded = base64.b64decode(credential.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise _Reply(403, b"") from None
            expected = base64.b64decode(self._basic)
            if not hmac.compare_digest(decoded, expected):
                raise _Reply(403, b"")
            token = secrets.token_hex(16)
            with self._lock:
                self._tokens[token] = (self.now().timestamp(), 0)
            return token
        token = headers.get("x-eniscope-token")
        if not token:
            raise _Reply(401, {"error": "Unauthorized"})
        now = self.now().timestamp()
        with self._lock:
            issued, uses = self._tokens.get(token, (None, 0))
            expired = (
                issued is None
                or (faults.token_ttl_s is not None and now - issued >= faults.token_ttl_s)
                or (faults.token_max_uses is not None and uses >= faults.token_max_uses)
            )
            if expired:
                self._tokens.pop(token, None)
            else:
                self._tokens[token] = (issued, uses + 1)
        if expired:
            status = faults.token_expired_status
            raise _Reply(status, {"error": "Session expired" if status == 419 else "Unauthorized"})
        return None

    def _next_scripted(self, path: str) -> ScriptedResponse | None:
        bare = _bare(path)
        with self._lock:
            for i, item in enumerate(self._script):
                if item.path_prefix is None or bare.startswith(item.path_prefix):
                    del self._script[i]
                    return item
        return None

    def _random_failure(self, faults: Faults, resource: str, ident: str | None) -> None:
        if resource == "readings" and ident is not None and faults.fail_first:
            channel = int(ident) if ident.isdigit() else -1
            with self._lock:
                seen = self._channel_requests.get(channel, 0)
                self._channel_requests[channel] = seen + 1
            if seen < faults.fail_first:
                raise _Reply(faults.error_status, {"error": "Internal Server Error"})
        if faults.error_rate > 0:
            with self._lock:
                draw = self._rng.random()
            if draw < faults.error_rate:
                raise _Reply(faults.error_status, {"error": "Internal Server Error"})

    # -- resources ---------------------------------------------------------------------------

    def _dispatch(
        self,
        resource: str,
        ident: str | None,
        params: Mapping[str, tuple[str, ...]],
        faults: Faults,
    ) -> Any:
        if resource == "readings":
            if ident is None or not ident.isdigit():
                raise _Reply(404, {"error": "Not Found"})
            return self._readings(int(ident), params, faults)
        records = self._records(resource, faults)
        key = _ID_KEYS[resource]
        if ident is not None:
            if resource == "organizations" and ident != str(SITE_ORGANIZATION_ID):
                raise _Reply(403, b"")
            match = [r for r in records if r[key] == ident]
            if not match:
                raise _Reply(404, {"error": "Not Found"})
            return match[0]
        organizations = params.get("organization", ())
        if any(o.lstrip("!") != str(SITE_ORGANIZATION_ID) for o in organizations):
            if not all(o.startswith("!") for o in organizations):
                raise _Reply(403, b"")
        for name, values in params.items():
            record_key = _FILTERS.get(resource, {}).get(name)
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

    def _records(self, resource: str, faults: Faults) -> list[dict[str, Any]]:
        org = str(SITE_ORGANIZATION_ID)
        links = "https://core-lb.prod.best.energy/v1/1"
        if resource == "organizations":
            return [
                {
                    "organizationId": org,
                    "organizationName": SITE_NAME,
                    "parentId": "1",
                    "status": "1",
                    "sortCode": f"1-2-{org}-",
                    "address1": "1300 Pennsylvania Ave NW",
                    "address2": None,
                    "address3": None,
                    "city": "Washington",
                    "state": "DC",
                    "postCode": "20004",
                    "country": "US",
                    "defaultEmailAddress": "facilities@example.org",
                    "currencyCode": "USD",
                    "currencySymbol": "$",
                    "timeZone": SITE_TIMEZONE,
                    "temperatureType": "F",
                    "createdTs": _CREATED,
                    "modifiedTs": _CREATED,
                    "links": {"self": f"{links}/organizations/{org}"},
                }
            ]
        if resource == "devices":
            return [
                {
                    **record,
                    "deviceTypeCode": re.sub(r"\W", "", record["deviceTypeName"].upper())[:12],
                    "renewed": record["registered"],
                    "dataPlan": "standard",
                    "sortCode": f"1-2-{org}-",
                    "links": {"self": f"{links}/devices/{record['deviceId']}"},
                    "meteringPoints": [],
                }
                for record in simulate.device_records(organization_id=org)
            ]
        if resource == "meters":
            return [
                {
                    "meterId": str(m.meter_id),
                    "deviceId": str(m.device_id),
                    "deviceName": m.device_name,
                    "dataType": m.data_type,
                    "ct": "3000",
                    "vs": "415",
                    "channels": "1",
                    "interface": {"interfaceName": "CT input", "deviceTypeInterfaceId": "7"},
                    "organizationId": org,
                    "uuId": m.uu_id,
                    "parentId": None if m.parent_device_id is None else str(m.parent_device_id),
                    "registered": str(m.registered),
                    "expires": str(m.expires),
                    "status": "1",
                }
                for m in self._meta.values()
                if m.meter_id is not None
            ]
        tariff = "42" if faults.tariff_rate_per_kwh is not None else None
        return [
            {
                **record,
                "tariffId": tariff,
                "links": {"self": f"{links}/channels/{record['dataChannelId']}"},
            }
            for record in simulate.channel_records(organization_id=org)
        ]

    # -- readings ----------------------------------------------------------------------------

    def _window(self, params: Mapping[str, tuple[str, ...]]) -> tuple[pd.Timestamp, pd.Timestamp]:
        values = params.get("daterange[]")
        if values:
            if len(values) != 2:
                raise _invalid()
            first, second = values
            if first.isdigit() and second.isdigit():
                start = pd.Timestamp(int(first), unit="s", tz="UTC")
                end = pd.Timestamp(int(second), unit="s", tz="UTC")
            elif _is_date(first) and _is_date(second):
                start = pd.Timestamp(first).tz_localize(self._tz).tz_convert("UTC")
                end = pd.Timestamp(second).tz_localize(self._tz).tz_convert("UTC")
            else:
                raise _invalid()
        elif "daterange" in params:
            start, end = self._named_range(params["daterange"][-1])
        else:
            raise _invalid()
        if not start < end:
            raise _invalid()
        return start, end

    def _named_range(self, name: str) -> tuple[pd.Timestamp, pd.Timestamp]:
        if name not in NAMED_RANGES:
            raise _invalid()
        now = self.now().tz_convert(self._tz)
        today = now.normalize()
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

    def _readings(
        self, channel_id: int, params: Mapping[str, tuple[str, ...]], faults: Faults
    ) -> dict[str, Any]:
        meta = self._meta.get(channel_id)
        if meta is None:
            raise _Reply(404, {"error": "Not Found"})
        codes = list(dict.fromkeys(params.get("fields[]", ())))
        if not codes:
            raise _Reply(500, {"error": "Internal Server Error"})
        sensor_only = meta.data_type == "air quality" and not _NO_ENERGY_CODES & set(codes)
        if not meta.has_readings and not sensor_only:
            raise _invalid()
        res_raw = params.get("res", ("auto",))[-1]
        if res_raw not in RESOLUTIONS:
            raise _invalid()
        res = RESOLUTIONS[res_raw]
        action = params.get("action", ("summarize",))[-1]
        if action not in ACTIONS:
            raise _invalid()
        counters = params.get("showCounters", ("0",))[-1]
        if counters not in ("0", "1"):
            raise _invalid()
        start, end = self._window(params)
        now = self.now()
        tariff = faults.tariff_rate_per_kwh
        units = {c: _api_unit(c) for c in codes if c != "cost" or tariff is not None}
        payload: dict[str, Any] = {
            "from": int(start.timestamp()),
            "to": int(end.timestamp()),
            "units": units,
            "records": [],
        }
        recent = faults.empty_recent_h
        if recent is not None and end > now - pd.Timedelta(hours=recent):
            return payload
        if sensor_only:
            return payload  # the simulator has no air-quality quantities
        frame = self._bucketed(channel_id, start, end, res, faults, now=now)
        if frame.empty:
            return payload
        if counters == "1":
            frame = self._registers(channel_id, frame, start, tariff)
        frame = _apply_action(frame, action, self._tz)
        wire = _to_wire(frame, codes)
        payload["records"] = self._damage(wire, faults, codes, payload)
        return payload

    def _base(self, channel_id: int, lo: pd.Timestamp, hi: pd.Timestamp, tariff: float | None):
        base = _simulate_base(channel_id, lo, hi, seed=self.seed, faults=self.site_faults)
        if tariff is not None:
            base["cost"] = base["energy_kwh"] * tariff
        return base

    def _bucketed(
        self,
        channel_id: int,
        start: pd.Timestamp,
        end: pd.Timestamp,
        res: int,
        faults: Faults,
        *,
        now: pd.Timestamp,
    ) -> pd.DataFrame:
        """Readings at ``res`` in project units, indexed by UTC interval start in the window."""
        available_from = INSTALLED.tz_convert("UTC")
        available_to = now - pd.Timedelta(seconds=self.lag_s)
        last = end + pd.Timedelta(seconds=res) if faults.end_inclusive else end
        if res == 86400:
            lo = start.tz_convert(self._tz).normalize().tz_convert("UTC")
            hi = (last.tz_convert(self._tz).normalize() + pd.DateOffset(days=2)).tz_convert("UTC")
        else:
            span = max(res, BASE_RESOLUTION_S)
            lo = pd.Timestamp((start.timestamp() // span) * span, unit="s", tz="UTC")
            hi = pd.Timestamp((-(-last.timestamp() // span)) * span, unit="s", tz="UTC")
        lo, hi = max(lo, available_from), min(hi, available_to)
        if not lo < hi:
            return pd.DataFrame()
        base = self._base(channel_id, lo, hi, faults.tariff_rate_per_kwh)
        if base.empty:
            return pd.DataFrame()
        frame = _resample(base, res, self._tz)
        keep = (frame.index >= start) & (frame.index < end)
        if faults.end_inclusive:
            keep |= frame.index == end
        return frame.loc[keep]

    def _registers(
        self, channel_id: int, frame: pd.DataFrame, start: pd.Timestamp, tariff: float | None
    ) -> pd.DataFrame:
        """Replace counter deltas by cumulative registers since installation."""
        counters = [c for c in frame.columns if _is_counter(c)]
        origin = INSTALLED.tz_convert("UTC")
        first = frame.index[0]
        if first > origin:
            history = self._base(channel_id, origin, first, tariff)
            before = history.reindex(columns=counters).sum(min_count=1).fillna(0.0)
        else:
            before = pd.Series(0.0, index=counters)
        out = frame.copy()
        out[counters] = frame[counters].fillna(0.0).cumsum() + before
        return out

    def _damage(
        self,
        records: list[dict[str, Any]],
        faults: Faults,
        codes: Sequence[str],
        payload: dict[str, Any],
    ) -> list[dict[str, Any]]:
        kinds = faults.malformed
        if kinds:
            ts = np.array([r["ts"] for r in records], dtype="int64")
            value_codes = [c for c in codes if c != "cost"] or list(codes)

            def pick(salt: int) -> np.ndarray:
                return np.flatnonzero(_unit_hash(ts, salt, self.seed) < faults.malformed_rate)

            def target(code: str) -> str:
                return code if code in value_codes else value_codes[0]

            edits: dict[str, tuple[str, Callable[[Any], Any]]] = {
                "null": (target("E"), lambda v: None),
                "string_numbers": (target("E"), lambda v: v if v is None else f"{v}"),
                "nan_string": (target("P"), lambda v: "NaN"),
                "empty_string": (target("V"), lambda v: ""),
                "infinity": (target("P"), lambda v: "Infinity"),
                "negative": (target("E"), lambda v: v if v is None else -abs(v) - 1.0),
                "ts_string": ("ts", lambda v: str(v)),
            }
            for salt, kind in enumerate(sorted(kinds)):
                rows = pick(salt)
                if kind in edits:
                    key, edit = edits[kind]
                    for i in rows:
                        records[i][key] = edit(records[i].get(key))
                elif kind == "missing_ts":
                    for i in rows:
                        records[i].pop("ts", None)
                elif kind == "extra_keys":
                    for record in records:
                        record["kW"] = None
                    payload["siteInfo"] = {"note": "unexpected extra key"}
                elif kind == "missing_units":
                    payload.pop("units", None)
        if faults.duplicates and records:
            rng = np.random.default_rng(self.seed + 1)
            n = max(1, len(records) // 10)
            picks = rng.choice(len(records), size=n, replace=False)
            records = records + [dict(records[i]) for i in sorted(picks)]
        if faults.out_of_order and len(records) > 1:
            rng = np.random.default_rng(self.seed + 2)
            order = rng.permutation(len(records))
            if (order == np.arange(len(records))).all():
                order = order[::-1]
            records = [records[i] for i in order]
        return records


# --------------------------------------------------------------------------------------------
# Readings helpers (vectorised)
# --------------------------------------------------------------------------------------------


def _unit_hash(values: np.ndarray, salt: int, seed: int) -> np.ndarray:
    """Uniform [0, 1) numbers that are a pure function of (value, salt, seed) (SplitMix64)."""
    x = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x * np.uint64(0x9E3779B97F4A7C15) + np.uint64((salt + 1) * 0xD1B54A32D192ED03 % 2**64)
        x = x + np.uint64(seed % 2**64)
        x ^= x >> np.uint64(30)
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x = x * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)


def _is_counter(column: str) -> bool:
    spec = FIELDS_BY_COLUMN.get(column)
    return spec is not None and spec.code in _COUNTER_CODES


def _resample(base: pd.DataFrame, res: int, tz: ZoneInfo) -> pd.DataFrame:
    """Aggregate (or subdivide) the 900-s grid: counters summed, instants averaged."""
    counters = [c for c in base.columns if _is_counter(c)]
    instants = [c for c in base.columns if c not in counters]
    if res == BASE_RESOLUTION_S:
        return base
    if res < BASE_RESOLUTION_S:
        parts = BASE_RESOLUTION_S // res
        index = base.index.repeat(parts) + pd.to_timedelta(
            np.tile(np.arange(parts) * res, len(base)), unit="s"
        )
        out = pd.DataFrame(np.repeat(base.to_numpy(), parts, axis=0), columns=base.columns)
        out.index = index
        out[counters] = out[counters] / parts
        return out
    if res == 86400:
        key = base.index.tz_convert(tz).normalize().tz_convert("UTC")
    else:
        seconds = base.index.asi8 // 10 ** _unit_exponent(base.index)
        key = pd.to_datetime((seconds // res) * res, unit="s", utc=True)
    grouped = base.groupby(key)
    out = pd.concat([grouped[counters].sum(min_count=1), grouped[instants].mean()], axis=1).reindex(
        columns=base.columns
    )
    out.index.name = "timestamp"
    return out


def _unit_exponent(index: pd.DatetimeIndex) -> int:
    return {"s": 0, "ms": 3, "us": 6, "ns": 9}[np.datetime_data(index.dtype.base)[0]]


def _apply_action(frame: pd.DataFrame, action: str, tz: ZoneInfo) -> pd.DataFrame:
    if action == "summarize":
        return frame
    counters = [c for c in frame.columns if _is_counter(c)]
    instants = [c for c in frame.columns if c not in counters]
    if action == "total":
        row = pd.concat([frame[counters].sum(min_count=1), frame[instants].mean()])
        out = row.to_frame().T.reindex(columns=frame.columns).astype("float64")
        out.index = frame.index[:1]
        return out
    how = {
        "averageday": "mean",
        "typicalday": "mean",
        "meanday": "mean",
        "medianday": "median",
        "minday": "min",
        "maxday": "max",
    }[action]
    local = frame.index.tz_convert(tz)
    time_of_day = local - local.normalize()
    out = frame.groupby(time_of_day).agg(how)
    first = pd.Series(frame.index, index=time_of_day).groupby(level=0).first()
    out.index = pd.DatetimeIndex(first.reindex(out.index).to_numpy())
    return out.sort_index()


def _api_unit(code: str) -> str:
    spec = FIELDS_BY_CODE.get(code)
    if code == "cost":
        return "USD"
    if spec is not None:
        return spec.api_unit
    return {"T": "°C", "RH": "%", "CO2": "ppm", "RE": "VArh", "AE": "VAh"}.get(code, "")


def _to_wire(frame: pd.DataFrame, codes: Sequence[str]) -> list[dict[str, Any]]:
    """Project units back to API units and codes; NaN becomes null; ``ts`` epoch seconds."""
    out = pd.DataFrame(index=frame.index)
    for code in codes:
        spec = FIELDS_BY_CODE.get(code)
        if code == "cost" and "cost" not in frame.columns:
            continue  # no tariff attached: the key is absent
        if spec is not None and spec.column in frame.columns:
            out[code] = frame[spec.column].astype("float64") / spec.scale
        else:
            out[code] = np.nan  # a code the channel does not support is null
    seconds = frame.index.asi8 // 10 ** _unit_exponent(frame.index)
    out.insert(0, "ts", seconds)
    return out.astype(object).where(out.notna(), None).to_dict("records")


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------

_ID_KEYS = {
    "organizations": "organizationId",
    "devices": "deviceId",
    "channels": "dataChannelId",
    "meters": "meterId",
}
_FILTERS: dict[str, dict[str, str]] = {
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


def _bare(path: str) -> str:
    path = re.sub(r"^/v1/1(?=/|$)", "", path)
    return path.rstrip("/") or "/"


def _route(path: str) -> tuple[str, str | None]:
    if re.match(r"^/api(/|$)", path):
        raise _Reply(403, b"")
    parts = [p for p in _bare(path).split("/") if p]
    if not parts or parts[0] not in (*_ID_KEYS, "readings") or len(parts) > 2:
        raise _Reply(404, {"error": "Not Found"})
    return parts[0], (parts[1] if len(parts) == 2 else None)


def _parse_query(query: str) -> dict[str, tuple[str, ...]]:
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
        raise _invalid() from None


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


def _encode(body: Any) -> bytes:
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


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    app: FakeEniscope

    def handle_error(self, request: Any, client_address: Any) -> None:
        logger.debug("fake Eniscope: connection error from %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeEniscope/1.0"
    timeout = 30
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("fake Eniscope: " + format, *args)

    def _serve(self, method: str) -> None:
        app = self.server.app
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            status, payload, extra, delay, _ = app._handle(method, self.path, headers)
        except Exception:  # a bug in the fake must not hang the client
            logger.exception(
                "fake Eniscope: error handling %s %s", method, urlsplit(self.path).path
            )
            status, payload, extra, delay = 500, b'{"error":"fake server bug"}', {}, 0.0
        if delay > 0 and app._stop.wait(delay):
            return
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/json; charset=utf-8")
            self.send_header("Content-Length", str(len(payload)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            if method != "HEAD":
                self.wfile.write(payload)
        except OSError:
            self.close_connection = True

    def do_GET(self) -> None:
        self._serve("GET")

    def do_OPTIONS(self) -> None:
        self._serve("OPTIONS")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._serve("POST")


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """Run the fake server until interrupted (``fake-eniscope --port 8765``).

    Parameters
    ----------
    argv : sequence of str, optional
        Command-line arguments (default ``sys.argv[1:]``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(
        prog="fake-eniscope",
        description="Serve a fake Eniscope Core API with the simulated Wilson Center on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="loopback address (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one)")
    parser.add_argument("--seed", type=int, default=0, help="simulator seed")
    parser.add_argument("--now", default=None, help="frozen 'now', ISO with zone; default real")
    parser.add_argument("--lag-hours", type=float, default=1.0, help="data lag behind now [h]")
    parser.add_argument("--delay", type=float, default=0.0, help="delay per response [s]")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of 500s [-]")
    parser.add_argument("--tariff", type=float, default=None, help="cost rate [USD/kWh]")
    args = parser.parse_args(argv)
    try:
        fake = FakeEniscope(
            host=args.host,
            port=args.port,
            clock=args.now,
            seed=args.seed,
            lag_s=args.lag_hours * 3600,
            faults=Faults(
                delay_s=args.delay, error_rate=args.error_rate, tariff_rate_per_kwh=args.tariff
            ),
        )
        url = fake.start()
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"fake-eniscope: {exc}\n")
        return 2
    sys.stdout.write(
        f"Fake Eniscope API at {url}\n"
        f"  ENISCOPE_API_URL={url}\n  ENISCOPE_API_KEY={DEFAULT_API_KEY}\n"
        f"  ENISCOPE_EMAIL={DEFAULT_EMAIL}\n  ENISCOPE_PASSWORD={DEFAULT_PASSWORD}\n"
        "Press Ctrl+C to stop.\n"
    )
    sys.stdout.flush()
    try:
        _wait_forever(url)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()
    return 0


def _wait_forever(url: str) -> None:
    """Block until interrupted (tests replace this)."""
    while True:
        time.sleep(3600)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
