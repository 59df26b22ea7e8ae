"""The fake Eniscope Core API server: lifecycle, authentication and request handling.

Standard library HTTP only (:class:`http.server.ThreadingHTTPServer`), bound to ``127.0.0.1`` on
an ephemeral port by default, never to a non-loopback address. It speaks the wire format of the
real API (:mod:`~argo_lib.sim.fake_eniscope.wire`: auth headers and session tokens, list envelopes
and pagination, literal or percent-encoded ``fields[]``/``daterange[]``, readings in API units) and
serves the simulated Wilson Center (:mod:`~argo_lib.sim.fake_eniscope.records` and
:mod:`~argo_lib.sim.fake_eniscope.readings`), so the real client can be exercised over real HTTP.
Every fault of spec section 10 can be switched on per test with :meth:`FakeEniscope.configure`
(:mod:`~argo_lib.sim.fake_eniscope.faults`); the request log records what was asked, never a
secret.

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
import hashlib
import hmac
import ipaddress
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
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pandas as pd

from argo_lib.errors import UsageError
from argo_lib.sim.fake_eniscope.faults import Faults, ScriptedResponse, damage_records
from argo_lib.sim.fake_eniscope.readings import (
    INSTALLED,
    apply_action,
    is_counter,
    regrid,
    simulate_base,
)
from argo_lib.sim.fake_eniscope.records import SITE_ORGANIZATION_ID, SITE_TIMEZONE, list_records
from argo_lib.sim.fake_eniscope.wire import (
    ACTIONS,
    FILTERS,
    ID_KEYS,
    RESOLUTIONS,
    Reply,
    api_unit,
    bare_path,
    encode_body,
    invalid,
    list_envelope,
    parse_query,
    parse_window,
    redact_params,
    redact_query,
    route,
    to_wire,
)
from argo_lib.sim.faults import Fault
from argo_lib.sim.grid import BASE_RESOLUTION_S
from argo_lib.sim.site import CHANNEL_METADATA

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_EMAIL",
    "DEFAULT_PASSWORD",
    "FakeEniscope",
    "LoggedRequest",
    "main",
]

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"
"""API key the fake accepts by default (spec section 10; a public test value)."""
DEFAULT_EMAIL = "api@someorg.com"
"""Account e-mail the fake accepts by default."""
DEFAULT_PASSWORD = "thisismypassword"  # the spec's published test vector, not a real secret
"""Password the fake accepts by default; its Basic header is the spec's test vector."""

_NO_ENERGY_CODES = frozenset({"E", "P", "V"})
_SUBSCRIPTION_REASONS = {402: "Payment Required", 412: "Precondition Failed"}


# --------------------------------------------------------------------------------------------
# The request log
# --------------------------------------------------------------------------------------------


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
    site_faults : sequence of argo_lib.sim.Fault
        Labelled data faults of the simulated site (gaps, spikes, stuck sensors...), as the
        detection benchmark injects them.
    sleep : callable, optional
        How the server waits before a delayed answer (``delay_s``, ``hang_s``, scripted delays):
        ``sleep(seconds)``; a truthy result abandons the answer. Default: real time, cut short
        by :meth:`stop`. Tests pass ``ManualClock.sleep`` to record delays without waiting.

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
        site_faults: Sequence[Fault] = (),
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        if host == "localhost":
            host = "127.0.0.1"
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback or ipaddress.ip_address(host).version != 4:
            raise UsageError(
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
                raise UsageError(f"clock {clock!r} is naive; give a zone, e.g. '...Z'")
            self._now = lambda: fixed
        self.seed = int(seed)
        self.lag_s = float(lag_s)
        self._api_key = api_key
        self._basic = base64.b64encode(
            f"{email}:{hashlib.md5(password.strip().encode()).hexdigest()}".encode()
        ).decode()
        self.faults = faults or Faults()
        self._tz = ZoneInfo(SITE_TIMEZONE)
        self._meta = {m.channel_id: m for m in CHANNEL_METADATA}
        self.site_faults = tuple(site_faults)
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, int]] = {}
        self._served: deque[float] = deque()
        self._channel_requests: dict[int, int] = {}
        self._script: deque[ScriptedResponse] = deque()
        self._log: list[LoggedRequest] = []
        self._rng = random.Random(self.seed)
        self._stop = threading.Event()
        self._sleep: Callable[[float], Any] = self._stop.wait if sleep is None else sleep
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"FakeEniscope(url={self.url!r}, seed={self.seed}, faults={self.faults!r})"

    @property
    def url(self) -> str | None:
        """Base URL, or None when not running."""
        return None if self._server is None else _base_url(self._server)

    def start(self) -> str:
        """Start serving on a background thread.

        Returns
        -------
        str
            The base URL.
        """
        if self._server is not None:
            return _base_url(self._server)
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
        url = _base_url(self._server)
        logger.info("fake Eniscope serving at %s", url)
        return url

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
        params = parse_query(split.query)
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
        body: Any = None
        corrupt = faults.body_fault
        try:
            resource, ident = route(path)
            self._check_rate_limit(faults)
            pattern = faults.blocked_user_agent
            if pattern and re.search(pattern, headers.get("user-agent", "")):
                raise Reply(403, b"")
            token = self._authenticate(headers, faults)
            if token:
                out_headers["X-Eniscope-Token"] = token
            if faults.force_status is not None:
                status = faults.force_status
                raise Reply(status, {"error": _SUBSCRIPTION_REASONS.get(status, "Forced")})
            scripted = self._next_scripted(path)
            if scripted is not None:
                delay += scripted.delay_s
                out_headers.update(scripted.headers)
                corrupt = scripted.corrupt or corrupt
                if scripted.body is not None or not 200 <= scripted.status < 300:
                    body = scripted.body
                    raise Reply(scripted.status, body if body is not None else {"error": "Error"})
            self._random_failure(faults, resource, ident)
            if method == "OPTIONS":
                body = {"filters": sorted(FILTERS.get(resource, {}))}
            else:
                body = self._dispatch(resource, ident, params, faults)
            status = 200
        except Reply as reply:
            status, body = reply.status, reply.body
            out_headers.update(reply.headers)
            if not 200 <= status < 300:
                out_headers.pop("X-Eniscope-Token", None)
        payload = encode_body(body)
        if 200 <= status < 300 and corrupt == "truncated":
            payload = payload[: max(1, len(payload) // 2)]
        elif 200 <= status < 300 and corrupt == "non_json":
            payload = b"<html><body>502 Bad Gateway</body></html>"
        entry = LoggedRequest(
            method=method,
            path=path,
            params=redact_params(params),
            auth=auth_mode,
            status=status,
            user_agent=headers.get("user-agent", ""),
            query=redact_query(split.query),
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
        raise Reply(429, {"error": "Too Many Requests"}, headers)

    def _authenticate(self, headers: Mapping[str, str], faults: Faults) -> str | None:
        """Check credentials; return a fresh token for valid Basic auth, else None."""
        key = headers.get("x-eniscope-api", "")
        if not key or not hmac.compare_digest(key.encode(), self._api_key.encode()):
            raise Reply(401, {"error": "Unauthorized"})
        authorization = headers.get("authorization")
        if authorization is not None:
            scheme, _, credential = authorization.partition(" ")
            if scheme.lower() != "basic":
                raise Reply(401, {"error": "Unauthorized"})
            try:
                decoded = base64.b64decode(credential.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise Reply(403, b"") from None
            expected = base64.b64decode(self._basic)
            if not hmac.compare_digest(decoded, expected):
                raise Reply(403, b"")
            token = secrets.token_hex(16)
            with self._lock:
                self._tokens[token] = (self.now().timestamp(), 0)
            return token
        session = headers.get("x-eniscope-token")
        if not session:
            raise Reply(401, {"error": "Unauthorized"})
        now = self.now().timestamp()
        with self._lock:
            known = self._tokens.get(session)
            issued, uses = known if known is not None else (0.0, 0)
            expired = (
                known is None
                or (faults.token_ttl_s is not None and now - issued >= faults.token_ttl_s)
                or (faults.token_max_uses is not None and uses >= faults.token_max_uses)
            )
            if expired:
                self._tokens.pop(session, None)
            else:
                self._tokens[session] = (issued, uses + 1)
        if expired:
            status = faults.token_expired_status
            raise Reply(status, {"error": "Session expired" if status == 419 else "Unauthorized"})
        return None

    def _next_scripted(self, path: str) -> ScriptedResponse | None:
        bare = bare_path(path)
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
                raise Reply(faults.error_status, {"error": "Internal Server Error"})
        if faults.error_rate > 0:
            with self._lock:
                draw = self._rng.random()
            if draw < faults.error_rate:
                raise Reply(faults.error_status, {"error": "Internal Server Error"})

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
                raise Reply(404, {"error": "Not Found"})
            return self._readings(int(ident), params, faults)
        records = self._records(resource, faults)
        key = ID_KEYS[resource]
        if ident is not None:
            if resource == "organizations" and ident != str(SITE_ORGANIZATION_ID):
                raise Reply(403, b"")
            match = [r for r in records if r[key] == ident]
            if not match:
                raise Reply(404, {"error": "Not Found"})
            return match[0]
        organizations = params.get("organization", ())
        if any(o.lstrip("!") != str(SITE_ORGANIZATION_ID) for o in organizations):
            if not all(o.startswith("!") for o in organizations):
                raise Reply(403, b"")
        return list_envelope(resource, records, params)

    def _records(self, resource: str, faults: Faults) -> list[dict[str, Any]]:
        tariff = "42" if faults.tariff_rate_per_kwh is not None else None
        return list_records(resource, tariff_id=tariff)

    # -- readings ----------------------------------------------------------------------------

    def _readings(
        self, channel_id: int, params: Mapping[str, tuple[str, ...]], faults: Faults
    ) -> dict[str, Any]:
        meta = self._meta.get(channel_id)
        if meta is None:
            raise Reply(404, {"error": "Not Found"})
        codes = list(dict.fromkeys(params.get("fields[]", ())))
        if not codes:
            raise Reply(500, {"error": "Internal Server Error"})
        sensor_only = meta.data_type == "air quality" and not _NO_ENERGY_CODES & set(codes)
        if not meta.has_readings and not sensor_only:
            raise invalid()
        res_raw = params.get("res", ("auto",))[-1]
        if res_raw not in RESOLUTIONS:
            raise invalid()
        res = RESOLUTIONS[res_raw]
        action = params.get("action", ("summarize",))[-1]
        if action not in ACTIONS:
            raise invalid()
        counters = params.get("showCounters", ("0",))[-1]
        if counters not in ("0", "1"):
            raise invalid()
        start, end = parse_window(params, now=self.now(), tz=self._tz)
        now = self.now()
        tariff = faults.tariff_rate_per_kwh
        units = {c: api_unit(c) for c in codes if c != "cost" or tariff is not None}
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
        frame = apply_action(frame, action, self._tz)
        wire = to_wire(frame, codes)
        payload["records"] = damage_records(wire, faults, codes, payload, seed=self.seed)
        return payload

    def _base(
        self, channel_id: int, lo: pd.Timestamp, hi: pd.Timestamp, tariff: float | None
    ) -> pd.DataFrame:
        return simulate_base(
            channel_id,
            lo,
            hi,
            seed=self.seed,
            faults=self.site_faults,
            tariff_rate_per_kwh=tariff,
        )

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
        frame = regrid(base, res, self._tz)
        keep = (frame.index >= start) & (frame.index < end)
        if faults.end_inclusive:
            keep |= frame.index == end
        return frame.loc[keep]

    def _registers(
        self, channel_id: int, frame: pd.DataFrame, start: pd.Timestamp, tariff: float | None
    ) -> pd.DataFrame:
        """Replace counter deltas by cumulative registers since installation."""
        counters = [c for c in frame.columns if is_counter(c)]
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


# --------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------


def _base_url(server: ThreadingHTTPServer) -> str:
    host, port = server.server_address[:2]
    return f"http://{host!s}:{port}"


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
        if delay > 0 and app._sleep(delay):
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
