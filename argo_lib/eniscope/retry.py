"""The retry policy of spec section 7, as a pure decision function.

After every attempt the client describes what happened (an :data:`Outcome`: an HTTP answer, a
2xx body that is not JSON, or a transport failure) and asks :func:`decide`, which returns what
to do next (a :data:`Decision`):

=====================================  ===================================================
outcome                                decision
=====================================  ===================================================
2xx with a JSON body                   :class:`Accept`
401, 419                               :class:`Reauthenticate` once (no wait, not counted
                                       as an attempt), then :class:`Fail`
429 with ``Retry-After`` ≤ 300 s       :class:`Retry` after exactly that wait (seconds or an
                                       HTTP-date), pausing the whole client, while the
                                       window's 429 budget lasts (10 retries, 900 s of
                                       waiting); then :class:`Fail` with
                                       :class:`~argo_lib.eniscope.errors.RateLimited`
429 with ``Retry-After`` > 300 s       :class:`Fail` with
                                       :class:`~argo_lib.eniscope.errors.RetryAfterTooLong`,
                                       which stops a multi-window run
429 without ``Retry-After``            :class:`Retry` after backoff 8, 16, 32 s (jittered),
                                       pausing the whole client; :class:`Fail` at the 4th
                                       such 429 (or when the window's budget is spent)
500 "Invalid Parameter"                one :class:`Retry` (backoff 4 s), then :class:`Fail`
500, 502, 503, 504, a timeout, a       :class:`Retry` with backoff 4, 8 s; :class:`Fail`
connection error, a non-JSON 2xx       at the 3rd such failure
404 with ``fallback_path_form``        :class:`SwitchPathForm` once
anything else (400, 402, 403, 404,     :class:`Fail` at once
412, 3xx, other statuses)
=====================================  ===================================================

:func:`decide` does no I/O, never sleeps and never reads a clock: the caller passes ``now`` for
``Retry-After`` dates, and applies the jitter of a :class:`Retry` with its own random source
(:meth:`Retry.wait_s`). What one request has been through so far is a :class:`RequestState`,
which every non-final decision carries forward. A change of policy is a change to this module
and to the table of cases in its tests.

The 429 budget belongs to a *window*: the client starts every request of one
:meth:`~argo_lib.eniscope.client.EniscopeClient.get_readings` call (its sub-windows and halves
included) from the 429 counts of the previous one, so a storm cannot reset it by splitting. It is
separate from the budget of 5xx, timeouts and bad bodies (``server_attempts``, per request). The
waits it counts are the nominal ones: a ``Retry-After`` exactly, a backoff before its jitter.

Examples
--------
>>> request = Request(method="GET", path="/organizations", target="/organizations")
>>> decision = decide(RequestState(), Answered(status=503), request=request, now=0.0)
>>> decision.delay_s, decision.jitter, decision.state.failures
(4.0, (0.8, 1.2), 1)
>>> decide(decision.state, Answered(status=200), request=request, now=0.0)
Accept()
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Literal

from argo_lib.eniscope.errors import (
    AccessDeniedError,
    AuthenticationError,
    BadRequestError,
    EniscopeConfigError,
    EniscopeError,
    InvalidParameterError,
    InvalidResponseError,
    NotFoundError,
    PreconditionFailedError,
    RateLimited,
    RedirectError,
    RetryAfterTooLong,
    ServerError,
    SubscriptionExpiredError,
    TransportError,
)
from argo_lib.eniscope.wire import header_value

__all__ = [
    "Accept",
    "Answered",
    "Decision",
    "Fail",
    "Outcome",
    "Reauthenticate",
    "Request",
    "RequestState",
    "Resend",
    "Retry",
    "RetryPolicy",
    "SwitchPathForm",
    "TransportFailure",
    "Undecodable",
    "backoff_delay",
    "backoff_s",
    "decide",
    "parse_retry_after",
]

_SERVER_ERRORS = (500, 502, 503, 504)
_REAUTHENTICATE = (401, 419)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """Retry and backoff rules (spec section 7).

    Attributes
    ----------
    rate_limit_base_s, rate_limit_factor, rate_limit_cap_s : float
        Backoff after a 429 without ``Retry-After``: base × factor^(n-1), capped [s].
    rate_limit_attempts : int
        Attempts that may end in a 429 *without* a ``Retry-After`` (the client guesses the
        wait) before :class:`RateLimited` is raised; spec section 7 says 4.
    rate_limit_retries : int
        Retries after 429s that one window may spend (with or without ``Retry-After``); the
        next 429 fails the window with :class:`RateLimited`. Default 10: a storm of short
        ``Retry-After`` values (seconds to a minute) is ridden out, a permanent one is not.
    rate_limit_budget_s : float
        Seconds one window may spend waiting after 429s (``Retry-After`` values, backoffs
        before jitter); a 429 whose wait would take the total past it fails the window with
        :class:`RateLimited` at once. Default 900 s (15 min): three of the longest waits the
        client honours. Both budgets are per window, so one storm costs at most this much per
        channel before the sync moves on (a channel stops at its first failed window).
    max_retry_after_s : float
        A ``Retry-After`` longer than this raises :class:`RetryAfterTooLong` at once, which
        stops a multi-window run (spec section 7: 300 s) [s].
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
    rate_limit_retries: int = 10
    rate_limit_budget_s: float = 900.0
    max_retry_after_s: float = 300.0
    server_base_s: float = 4.0
    server_factor: float = 2.0
    server_cap_s: float = 60.0
    server_attempts: int = 3
    invalid_parameter_attempts: int = 2
    jitter: tuple[float, float] = (0.8, 1.2)

    def __post_init__(self) -> None:
        for name in ("rate_limit_attempts", "server_attempts", "invalid_parameter_attempts"):
            if getattr(self, name) < 1:
                raise EniscopeConfigError(f"{name} must be >= 1, got {getattr(self, name)}")
        for name in ("rate_limit_retries", "rate_limit_budget_s", "max_retry_after_s"):
            if getattr(self, name) < 0:
                raise EniscopeConfigError(f"{name} must be >= 0, got {getattr(self, name)}")


# --------------------------------------------------------------------------------------------
# Arithmetic
# --------------------------------------------------------------------------------------------


def backoff_s(retry: int, *, base_s: float, factor: float = 2.0, cap_s: float = 60.0) -> float:
    """Exponential backoff before jitter: ``min(base_s * factor ** (retry - 1), cap_s)``.

    Parameters
    ----------
    retry : int
        1 for the first retry, 2 for the second, ...
    base_s, factor, cap_s : float
        First delay [s], growth per retry [-] and longest delay [s].

    Returns
    -------
    float
        Seconds to wait, before jitter [s].

    Examples
    --------
    >>> [backoff_s(n, base_s=8.0) for n in (1, 2, 3, 4)]
    [8.0, 16.0, 32.0, 60.0]
    """
    return min(base_s * factor ** (retry - 1), cap_s)


def backoff_delay(
    retry: int,
    *,
    base_s: float,
    factor: float = 2.0,
    cap_s: float = 60.0,
    jitter: tuple[float, float] = (0.8, 1.2),
    rng: random.Random | None = None,
) -> float:
    """Exponential backoff with multiplicative jitter: :func:`backoff_s` × U(low, high).

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
    low, high = jitter
    return backoff_s(retry, base_s=base_s, factor=factor, cap_s=cap_s) * (rng or random).uniform(
        low, high
    )


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


# --------------------------------------------------------------------------------------------
# What the caller tells decide: the request, its state so far, and the outcome of one attempt
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Request:
    """The request being retried, as error messages name it.

    Attributes
    ----------
    method : str
        HTTP method (``"GET"``).
    path : str
        Path without host or query, e.g. ``/readings/162285``.
    target : str
        Path and query, already redacted (it goes into error messages).
    """

    method: str
    path: str
    target: str


@dataclass(frozen=True, kw_only=True)
class RequestState:
    """What one request has been through so far; a fresh request starts at the defaults.

    The ``rate_limit*`` counts are the window's 429 budget: the client carries them from one
    request of a readings window to the next (see the module docstring).

    Attributes
    ----------
    failures : int
        Attempts that ended in a 5xx (other than "Invalid Parameter"), a transport failure or a
        2xx body that is not JSON.
    rate_limited : int
        Attempts that ended in 429.
    rate_limit_backoffs : int
        Of those, attempts whose 429 had no usable ``Retry-After`` (the client backed off).
    rate_limit_waited_s : float
        Seconds of waiting the 429s asked for so far (``Retry-After``, backoff before jitter).
    invalid_parameter : int
        Attempts that ended in 500 "Invalid Parameter".
    reauthenticated : bool
        The token was dropped after a 401/419 and the request resent with Basic credentials.
    switched_path_form : bool
        A 404 made the request switch to the other path form (``/x`` ↔ ``/v1/1/x``).
    """

    failures: int = 0
    rate_limited: int = 0
    rate_limit_backoffs: int = 0
    rate_limit_waited_s: float = 0.0
    invalid_parameter: int = 0
    reauthenticated: bool = False
    switched_path_form: bool = False


@dataclass(frozen=True, kw_only=True)
class Answered:
    """The server answered with an HTTP status (for a 2xx: with a body that is valid JSON).

    Attributes
    ----------
    status : int
        HTTP status.
    headers : mapping
        Response headers (``Retry-After`` is looked up case-insensitively).
    body : str
        Start of the body (up to 200 characters), redacted; empty for a 2xx or an empty body.
    used_token : bool
        The request sent the session token (not Basic credentials).
    """

    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: str = ""
    used_token: bool = False


@dataclass(frozen=True, kw_only=True)
class Undecodable:
    """A 2xx answer whose body is not JSON (truncated, HTML, ...).

    Attributes
    ----------
    status : int
        HTTP status.
    size : int
        Body length [bytes].
    """

    status: int
    size: int


@dataclass(frozen=True, kw_only=True)
class TransportFailure:
    """No HTTP answer: a timeout, a connection error, or a request the library refused to send.

    Attributes
    ----------
    kind : {"read_timeout", "connect_timeout", "connection", "request"}
        ``request`` is a failure that retrying cannot fix (e.g. an invalid URL).
    exception : str
        Class name of the exception (never its message, which may hold a URL).
    timeout_s : float, optional
        The timeout that expired, for the timeouts [s].
    """

    kind: Literal["read_timeout", "connect_timeout", "connection", "request"]
    exception: str
    timeout_s: float | None = None


Outcome = Answered | Undecodable | TransportFailure
"""What one attempt came to."""


# --------------------------------------------------------------------------------------------
# What decide answers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Accept:
    """Done: the answer is a 2xx with a JSON body."""


@dataclass(frozen=True, kw_only=True)
class Resend:
    """Send the request again; base of :class:`Retry`, :class:`Reauthenticate` and :class:`SwitchPathForm`.

    Attributes
    ----------
    reason : str
        What happened, for the log line.
    state : RequestState
        The request's state for the next attempt.
    """

    reason: str
    state: RequestState


@dataclass(frozen=True, kw_only=True)
class Retry(Resend):
    """Send the request again after a wait.

    Attributes
    ----------
    delay_s : float
        Wait before jitter [s].
    jitter : tuple of float or None
        Multiply the wait by U(low, high) [-]; None for a server-given ``Retry-After``.
    pause_client : bool
        The whole client waits (429), not only this request (5xx, timeouts).
    """

    delay_s: float
    jitter: tuple[float, float] | None
    pause_client: bool

    def wait_s(self, uniform: Callable[[float, float], float]) -> float:
        """The wait with its jitter applied.

        Parameters
        ----------
        uniform : callable
            ``uniform(low, high)``, e.g. ``random.Random(0).uniform``; called only when the
            decision has a jitter.

        Returns
        -------
        float
            Seconds to wait [s].

        Examples
        --------
        >>> Retry(delay_s=4.0, jitter=(0.5, 0.5), pause_client=False, reason="",
        ...       state=RequestState()).wait_s(lambda low, high: low)
        2.0
        """
        if self.jitter is None:
            return self.delay_s
        return self.delay_s * uniform(*self.jitter)


@dataclass(frozen=True, kw_only=True)
class Reauthenticate(Resend):
    """Drop the session token and resend at once with Basic credentials (for the rest of this request)."""


@dataclass(frozen=True, kw_only=True)
class SwitchPathForm(Resend):
    """Resend at once with the other path form (``/x`` ↔ ``/v1/1/x``)."""


@dataclass(frozen=True)
class Fail:
    """Give up: raise ``error``.

    Attributes
    ----------
    error : EniscopeError
        The error to raise, with a fix-it message.
    """

    error: EniscopeError


Decision = Accept | Retry | Reauthenticate | SwitchPathForm | Fail
"""What to do after an attempt."""


# --------------------------------------------------------------------------------------------
# The policy
# --------------------------------------------------------------------------------------------


def decide(
    state: RequestState,
    outcome: Outcome,
    *,
    request: Request,
    now: float,
    policy: RetryPolicy | None = None,
    fallback_path_form: bool = False,
) -> Decision:
    """What to do after one attempt of a request: accept, retry, re-authenticate or fail.

    Pure: no I/O, no sleep, no clock; the same arguments always give the same decision.

    Parameters
    ----------
    state : RequestState
        What the request has been through before this attempt (``RequestState()`` for the
        first attempt; afterwards the ``state`` of the previous decision).
    outcome : Answered, Undecodable or TransportFailure
        How this attempt ended.
    request : Request
        Method, path and (redacted) target, for error messages.
    now : float
        Current wall-clock time as Unix epoch seconds, for ``Retry-After`` dates [s].
    policy : RetryPolicy, optional
        Attempts and backoff; default :class:`RetryPolicy()`.
    fallback_path_form : bool
        Whether a 404 may be retried once with the other path form.

    Returns
    -------
    Accept, Retry, Reauthenticate, SwitchPathForm or Fail
        See the table in this module's docstring.

    Examples
    --------
    >>> request = Request(method="GET", path="/channels", target="/channels?organization=1")
    >>> decide(RequestState(), Answered(status=403), request=request, now=0.0).error.status
    403
    >>> decide(RequestState(), Answered(status=429, headers={"Retry-After": "7"}),
    ...        request=request, now=0.0).delay_s
    7.0
    """
    policy = policy or RetryPolicy()
    if isinstance(outcome, TransportFailure):
        return _after_transport_failure(state, outcome, request, policy)
    if isinstance(outcome, Undecodable):
        return _after_undecodable(state, outcome, request, policy)
    status = outcome.status
    if 200 <= status < 300:
        return Accept()
    if status in _REAUTHENTICATE:
        return _after_unauthenticated(state, outcome, request)
    if status == 429:
        return _after_rate_limit(state, outcome, request, policy, now)
    if status == 500 and "invalid parameter" in outcome.body.lower():
        return _after_invalid_parameter(state, request, policy)
    if status in _SERVER_ERRORS:
        return _after_server_error(state, outcome, request, policy)
    if status == 404 and fallback_path_form and not state.switched_path_form:
        return SwitchPathForm(
            reason="HTTP 404; trying the other path form",
            state=replace(state, switched_path_form=True),
        )
    return Fail(_status_error(status, request, outcome.body))


def _server_retry(policy: RetryPolicy, retry: int, *, reason: str, state: RequestState) -> Retry:
    """Backoff of the server schedule (4, 8 s, ...) for this request only."""
    delay = backoff_s(
        retry, base_s=policy.server_base_s, factor=policy.server_factor, cap_s=policy.server_cap_s
    )
    return Retry(
        delay_s=delay, jitter=policy.jitter, pause_client=False, reason=reason, state=state
    )


def _after_transport_failure(
    state: RequestState, outcome: TransportFailure, request: Request, policy: RetryPolicy
) -> Decision:
    method, path = request.method, request.path
    if outcome.kind == "request":
        return Fail(
            TransportError(
                f"Eniscope request {method} {path} failed: {outcome.exception}; check "
                "ENISCOPE_API_URL",
                method=method,
                path=path,
            )
        )
    if outcome.kind == "read_timeout":
        failure = f"read timed out after {outcome.timeout_s:g} s"
    elif outcome.kind == "connect_timeout":
        failure = f"connect timed out after {outcome.timeout_s:g} s"
    else:
        failure = f"connection failed ({outcome.exception})"
    failures = state.failures + 1
    if failures >= policy.server_attempts:
        return Fail(
            TransportError(
                f"Eniscope {method} {path}: {failure}, {failures} attempts; the server may be "
                "down or slow: retry later (the next sync re-fetches the window)",
                method=method,
                path=path,
            )
        )
    return _server_retry(
        policy,
        failures,
        reason=f"{failure} (attempt {failures} of {policy.server_attempts})",
        state=replace(state, failures=failures),
    )


def _after_undecodable(
    state: RequestState, outcome: Undecodable, request: Request, policy: RetryPolicy
) -> Decision:
    method, path, status = request.method, request.path, outcome.status
    failures = state.failures + 1
    if failures >= policy.server_attempts:
        return Fail(
            InvalidResponseError(
                f"Eniscope {method} {path} answered HTTP {status} with a body that is not JSON, "
                f"{failures} times; retry later, or record the body if it persists",
                status=status,
                method=method,
                path=path,
            )
        )
    return _server_retry(
        policy,
        failures,
        reason=f"HTTP {status} with a body that is not JSON ({outcome.size} bytes; attempt "
        f"{failures} of {policy.server_attempts})",
        state=replace(state, failures=failures),
    )


def _after_unauthenticated(state: RequestState, outcome: Answered, request: Request) -> Decision:
    method, path, status = request.method, request.path, outcome.status
    if not state.reauthenticated:
        why = "session expired" if outcome.used_token else "not authenticated"
        return Reauthenticate(
            reason=f"HTTP {status} ({why}); re-authenticating with Basic credentials",
            state=replace(state, reauthenticated=True),
        )
    return Fail(
        AuthenticationError(
            f"Eniscope rejected the credentials (HTTP {status}) for {method} {path}, even after "
            "re-authenticating: check ENISCOPE_API_KEY (32 hex characters), ENISCOPE_EMAIL and "
            "ENISCOPE_PASSWORD",
            status=status,
            method=method,
            path=path,
        )
    )


def _after_rate_limit(
    state: RequestState, outcome: Answered, request: Request, policy: RetryPolicy, now: float
) -> Decision:
    method, path, status = request.method, request.path, outcome.status
    retry_after = parse_retry_after(header_value(outcome.headers, "Retry-After"), now=now)
    rate_limited = state.rate_limited + 1
    if retry_after is not None and retry_after > policy.max_retry_after_s:
        try:
            when = f"after {datetime.fromtimestamp(now + retry_after, tz=UTC):%Y-%m-%d %H:%M} UTC"
        except (OverflowError, OSError, ValueError):  # a Retry-After beyond the calendar
            when = "much later"
        return Fail(
            RetryAfterTooLong(
                f"Eniscope rate limit on {method} {path}: Retry-After is {retry_after:.0f} s "
                f"(more than {policy.max_retry_after_s:.0f} s), so the run stops here; run the "
                f"sync again {when} (it resumes where this one stopped)",
                status=status,
                method=method,
                path=path,
                retry_after_s=retry_after,
            )
        )
    backoffs = state.rate_limit_backoffs
    if retry_after is not None:
        delay, jitter = retry_after, None
    else:
        backoffs += 1
        if backoffs >= policy.rate_limit_attempts:
            return Fail(
                RateLimited(
                    f"Eniscope rate limit on {method} {path}: HTTP 429 {backoffs} times without "
                    "Retry-After; raise min_interval_s or lower max_concurrency, and run again "
                    "later",
                    status=status,
                    method=method,
                    path=path,
                )
            )
        delay = backoff_s(
            backoffs,
            base_s=policy.rate_limit_base_s,
            factor=policy.rate_limit_factor,
            cap_s=policy.rate_limit_cap_s,
        )
        jitter = policy.jitter
    waited = state.rate_limit_waited_s
    if rate_limited > policy.rate_limit_retries or waited + delay > policy.rate_limit_budget_s:
        spent = (
            f"all rate_limit_retries={policy.rate_limit_retries} retries used"
            if rate_limited > policy.rate_limit_retries
            else f"{waited:.0f} s waited, {delay:.0f} s more would pass "
            f"rate_limit_budget_s={policy.rate_limit_budget_s:.0f}"
        )
        return Fail(
            RateLimited(
                f"Eniscope rate limit on {method} {path}: HTTP 429 {rate_limited} times, the "
                f"window's 429 budget is spent ({spent}); this window fails and the next sync "
                "re-fetches it; raise min_interval_s or lower max_concurrency if it persists",
                status=status,
                method=method,
                path=path,
                retry_after_s=retry_after,
            )
        )
    return Retry(
        delay_s=delay,
        jitter=jitter,
        pause_client=True,
        reason=f"HTTP 429, pausing the client (429 number {rate_limited} of this window; "
        f"{waited + delay:.0f} of {policy.rate_limit_budget_s:.0f} s waited)",
        state=replace(
            state,
            rate_limited=rate_limited,
            rate_limit_backoffs=backoffs,
            rate_limit_waited_s=waited + delay,
        ),
    )


def _after_invalid_parameter(
    state: RequestState, request: Request, policy: RetryPolicy
) -> Decision:
    invalid = state.invalid_parameter + 1
    if invalid >= policy.invalid_parameter_attempts:
        return Fail(
            InvalidParameterError(
                f"Eniscope answered HTTP 500 'Invalid Parameter' for {request.method} "
                f"{request.target} ({invalid} attempts): a virtual or non-energy channel, or a "
                "field, res or daterange the channel refuses; add the channel to skip_channels "
                "if it persists",
                status=500,
                method=request.method,
                path=request.path,
            )
        )
    return _server_retry(
        policy,
        invalid,
        reason="HTTP 500 Invalid Parameter; one retry",
        state=replace(state, invalid_parameter=invalid),
    )


def _after_server_error(
    state: RequestState, outcome: Answered, request: Request, policy: RetryPolicy
) -> Decision:
    status, body = outcome.status, outcome.body
    failures = state.failures + 1
    if failures >= policy.server_attempts:
        return Fail(
            ServerError(
                f"Eniscope server error HTTP {status} for {request.method} {request.target} after "
                f"{failures} attempts{f': {body!r}' if body else ''}; retry later, or ask for a "
                "shorter window",
                status=status,
                method=request.method,
                path=request.path,
            )
        )
    return _server_retry(
        policy,
        failures,
        reason=f"HTTP {status} (attempt {failures} of {policy.server_attempts})",
        state=replace(state, failures=failures),
    )


def _status_error(status: int, request: Request, body: str) -> EniscopeError:
    """The error of a status that is never retried, with what to check."""
    method, path, target = request.method, request.path, request.target
    detail = f" Server said: {body!r}." if body else ""
    cls: type[EniscopeError]
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
            RedirectError,
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
    return cls(message + detail, status=status, method=method, path=path)
