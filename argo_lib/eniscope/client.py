"""The Eniscope client: transport, pacing, pagination and readings windows.

:class:`EniscopeClient` sends each request through a :class:`~argo_lib.eniscope.transport.Transport`
in a short loop: wait for its turn (at most ``max_concurrency`` requests in flight, request starts
``min_interval_s`` apart, the whole client paused after a 429), send, classify what came back as a
:data:`~argo_lib.eniscope.retry.Outcome`, and do what :func:`argo_lib.eniscope.retry.decide`
answers. Headers, query strings and redaction come from :mod:`argo_lib.eniscope.wire`; payloads
become DataFrames in :mod:`argo_lib.eniscope.parse`.

The clock, the sleep function, the random source of the jitter and the transport are injectable,
so tests never wait in real time.
"""

from __future__ import annotations

import logging
import math
import random
import re
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import pandas as pd
import requests

from argo_lib.eniscope.errors import (
    FATAL_ERRORS,
    ChannelSkippedError,
    EniscopeConfigError,
    EniscopeError,
    InvalidParameterError,
    InvalidResponseError,
    ServerError,
    TooManyPagesError,
    TransportError,
)
from argo_lib.eniscope.parse import (
    concat_rejected,
    decode_payload,
    empty_rejected,
    page_count,
    parse_channels,
    parse_devices,
    parse_meters,
    parse_organizations,
    parse_readings,
    unwrap_list,
)
from argo_lib.eniscope.retry import (
    Accept,
    Answered,
    Fail,
    Outcome,
    Reauthenticate,
    Request,
    RequestState,
    Retry,
    RetryPolicy,
    SwitchPathForm,
    TransportFailure,
    Undecodable,
    decide,
)
from argo_lib.eniscope.transport import SessionTransport, Transport
from argo_lib.eniscope.wire import (
    basic_authorization,
    build_query,
    md5_hex,
    redact,
    redact_headers,
    request_headers,
    session_token,
)
from argo_lib.fields import FIELDS_BY_CODE, READING_FIELDS

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_FIELD_CODES",
    "DEFAULT_SKIP_CHANNELS",
    "DEFAULT_USER_AGENT",
    "RESOLUTIONS",
    "EniscopeClient",
    "EniscopeConfig",
    "ReadingsResult",
    "WindowResult",
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

_DAY_S = 86_400


@dataclass
class _WindowBudget:
    """The 429 counts one readings window has spent, carried from one of its requests to the next."""

    spent: RequestState = field(default_factory=RequestState)

    def start(self) -> RequestState:
        """The state a new request of the window starts from: only the 429 counts carry over."""
        return RequestState(
            rate_limited=self.spent.rate_limited,
            rate_limit_backoffs=self.spent.rate_limit_backoffs,
            rate_limit_waited_s=self.spent.rate_limit_waited_s,
        )

    def keep(self, state: RequestState) -> None:
        """Remember the 429 counts of a request's latest state."""
        self.spent = replace(
            self.spent,
            rate_limited=state.rate_limited,
            rate_limit_backoffs=state.rate_limit_backoffs,
            rate_limit_waited_s=state.rate_limit_waited_s,
        )


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
        Backoff rules and retry budgets. A 429 with ``Retry-After`` ≤ ``max_retry_after_s``
        (300 s) is waited out exactly, while the window's 429 budget lasts:
        ``rate_limit_retries`` (10) retries and ``rate_limit_budget_s`` (900 s) of waiting per
        readings window, apart from the budget of 5xx and timeouts (``server_attempts``, 3 per
        request). A window that spends it fails alone (:class:`RateLimited`); a longer
        ``Retry-After`` raises :class:`RetryAfterTooLong`, which stops a multi-window fetch.
        E.g. ``retry=RetryPolicy(rate_limit_retries=20, rate_limit_budget_s=1800)``.
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
        Session for the default :class:`~argo_lib.eniscope.transport.SessionTransport` (its
        connection pool is reused); default a new one.
    transport : Transport, optional
        What performs the HTTP requests; default a
        :class:`~argo_lib.eniscope.transport.SessionTransport`. Tests inject one that records
        requests or raises :class:`requests.Timeout` on cue. Give ``session`` or ``transport``,
        not both.
    sleep : callable, optional
        ``sleep(seconds)``; default :func:`time.sleep`. Tests inject a fake.
    clock : callable, optional
        Monotonic seconds for pacing; default :func:`time.monotonic`.
    wall_clock : callable, optional
        Unix epoch seconds for ``Retry-After`` dates; default :func:`time.time`.
    rng : random.Random, optional
        Source of backoff jitter.

    Raises
    ------
    EniscopeConfigError
        If both ``session`` and ``transport`` are given.

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
        transport: Transport | None = None,
        sleep: Callable[[float], None] | None = None,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], float] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if session is not None and transport is not None:
            raise EniscopeConfigError(
                "EniscopeClient got both a session and a transport; pass the session to the "
                "transport (SessionTransport(session)) or leave one of them out"
            )
        self.config = config
        self._basic = basic_authorization(config.email, config.password)
        self._secrets = (config.api_key, config.email, md5_hex(config.password), self._basic)
        self._transport: Transport = transport or SessionTransport(
            session, pool_maxsize=config.max_concurrency
        )
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
        transport: Transport | None = None,
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
        session, transport, sleep, clock, wall_clock, rng
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
            api_key=getattr(settings, "eniscope_api_key", None) or "",
            email=getattr(settings, "eniscope_email", None) or "",
            password=getattr(settings, "eniscope_password", None) or "",
            base_url=getattr(settings, "eniscope_api_url", None) or DEFAULT_BASE_URL,
            user_agent=getattr(settings, "eniscope_user_agent", None) or DEFAULT_USER_AGENT,
            **options,
        )
        return cls(
            config,
            session=session,
            transport=transport,
            sleep=sleep,
            clock=clock,
            wall_clock=wall_clock,
            rng=rng,
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
        """Close the transport's connections."""
        self._transport.close()

    @property
    def transport(self) -> Transport:
        """What performs the HTTP requests."""
        return self._transport

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
        return redact(text, (*self._secrets, self._token))

    def _path(self, resource: str, *, form: str) -> str:
        return f"/v1/1{resource}" if form == "v1" else resource

    # -- the request loop --------------------------------------------------------------------

    def _request_json(
        self,
        resource: str,
        params: Sequence[tuple[str, object]] = (),
        *,
        read_timeout_s: float | None = None,
        budget: _WindowBudget | None = None,
    ) -> Any:
        """GET a resource and decode its JSON body, with auth, pacing and retries.

        ``budget`` carries the 429 budget of a readings window across its requests; without it
        the budget is this request's own.
        """
        query = build_query(params)
        timeout = (self.config.connect_timeout_s, read_timeout_s or self.config.read_timeout_s)
        form: str = self.config.path_form
        force_basic = False
        state = budget.start() if budget is not None else RequestState()
        while True:
            path = self._path(resource, form=form)
            target = f"{path}?{query}" if query else path
            token = None if force_basic or self.config.always_basic else self._current_token()
            outcome, payload = self._send(target, token=token, timeout=timeout)
            decision = decide(
                state,
                outcome,
                request=Request(method="GET", path=path, target=self._scrub(target)),
                now=self._wall_clock(),
                policy=self.config.retry,
                fallback_path_form=self.config.fallback_path_form,
            )
            if isinstance(decision, Accept):
                return payload
            if isinstance(decision, Fail):
                raise decision.error
            if isinstance(decision, Retry):
                wait = decision.wait_s(self._rng.uniform)
                logger.warning("GET %s: %s; retrying in %.1f s", path, decision.reason, wait)
                if decision.pause_client:
                    self._pause_all(wait)
                else:
                    self._sleep(wait)
            elif isinstance(decision, Reauthenticate):
                logger.info("GET %s: %s", path, decision.reason)
                self._drop_token(token)
                force_basic = True
            elif isinstance(decision, SwitchPathForm):
                form = "v1" if form == "bare" else "bare"
                logger.info("GET %s: %s (%s)", path, decision.reason, form)
            state = decision.state
            if budget is not None:
                budget.keep(state)

    def _send(
        self, target: str, *, token: str | None, timeout: tuple[float, float]
    ) -> tuple[Outcome, Any]:
        """Send one GET in its turn and classify what came back; the payload of a good 2xx."""
        headers = request_headers(
            api_key=self.config.api_key,
            user_agent=self.config.user_agent,
            basic=self._basic,
            token=token,
        )
        with self._slots:
            self._wait_turn()
            with self._count_lock:
                self._request_count += 1
            logger.debug(
                "GET %s (auth=%s) headers=%s",
                target,
                "token" if token else "basic",
                redact_headers(headers),
            )
            started = self._clock()
            try:
                response = self._transport.get(
                    self.config.base_url + target, headers=headers, timeout=timeout
                )
            except requests.RequestException as exc:
                return _transport_failure(exc, timeout), None
        status = response.status_code
        logger.debug(
            "GET %s -> %d in %.3f s, headers=%s",
            target,
            status,
            self._clock() - started,
            redact_headers(response.headers),
        )
        if not 200 <= status < 300:
            body = self._scrub(response.text[:200]) if response.content else ""
            return Answered(
                status=status, headers=response.headers, body=body, used_token=token is not None
            ), None
        self._keep_token(session_token(response.headers))
        try:
            payload = decode_payload(response.content)
        except (ValueError, UnicodeDecodeError):
            return Undecodable(status=status, size=len(response.content)), None
        return Answered(status=status, used_token=token is not None), payload

    # -- pacing and the session token --------------------------------------------------------

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

    def _current_token(self) -> str | None:
        with self._token_lock:
            return self._token

    def _keep_token(self, token: str | None) -> None:
        """Cache the token a 2xx handed out, if it is a new one."""
        if not token:
            return
        with self._token_lock:
            if token != self._token:
                logger.debug("session token %s", "replaced" if self._token else "received")
                self._token = token

    def _drop_token(self, used: str | None) -> None:
        """Forget the token a rejected request sent (unless another thread replaced it)."""
        with self._token_lock:
            if used is not None and self._token == used:
                self._token = None

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
            pages = page_count(payload)
            if len(batch) < limit or (pages is not None and page >= pages):
                return items
            if page >= self.config.max_pages:
                raise TooManyPagesError(
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
        fails with a 5xx is halved down to ``min_split_s`` and retried. The whole call shares
        one 429 budget (``config.retry.rate_limit_retries`` and ``rate_limit_budget_s``).

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
        RateLimited
            When the window's 429 budget is spent; :class:`RetryAfterTooLong` (a subclass) for
            a ``Retry-After`` over ``config.retry.max_retry_after_s``.
        EniscopeError
            Subclasses for other failures that persisted through the retry policy.
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
        budget = _WindowBudget()
        for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
            parts.extend(self._fetch_window(channel_id, lo, hi, resolution_s, codes, budget))
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
            rejected=concat_rejected([p[1] for p in parts]),
            units=dict(parts[-1][2]) if parts else {},
            requests=self.request_count - before,
        )

    def _fetch_window(
        self,
        channel_id: int,
        lo: int,
        hi: int,
        resolution_s: int,
        codes: Sequence[str],
        budget: _WindowBudget,
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
                budget=budget,
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
                    *self._fetch_window(channel_id, lo, mid, resolution_s, codes, budget),
                    *self._fetch_window(channel_id, mid, hi, resolution_s, codes, budget),
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
        shared). A window that spends its 429 budget is a ``failure`` like any other. Only
        errors that would fail every window (authentication, expired subscription, a
        ``Retry-After`` over 300 s, configuration: :data:`FATAL_ERRORS`) are raised.

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
        AuthenticationError, SubscriptionExpiredError, RetryAfterTooLong
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
            status: Literal["success", "empty"] = "success" if len(result.readings) else "empty"
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


def _transport_failure(exc: requests.RequestException, timeout: tuple[float, float]) -> Outcome:
    """Classify an exception of the transport: a timeout, a connection error, or neither."""
    if isinstance(exc, requests.ReadTimeout):
        return TransportFailure(
            kind="read_timeout", exception=type(exc).__name__, timeout_s=timeout[1]
        )
    if isinstance(exc, requests.ConnectTimeout):
        return TransportFailure(
            kind="connect_timeout", exception=type(exc).__name__, timeout_s=timeout[0]
        )
    if isinstance(
        exc, requests.ConnectionError | requests.Timeout | requests.exceptions.ChunkedEncodingError
    ):
        return TransportFailure(kind="connection", exception=type(exc).__name__)
    return TransportFailure(kind="request", exception=type(exc).__name__)
