"""The retry policy (spec section 7) as a table: state + outcome → decision, with no I/O or clock."""

from __future__ import annotations

import random

import pytest

from argo_lib.eniscope import (
    AccessDeniedError,
    AuthenticationError,
    BadRequestError,
    InvalidParameterError,
    InvalidResponseError,
    NotFoundError,
    PreconditionFailedError,
    RateLimited,
    RedirectError,
    ServerError,
    SubscriptionExpiredError,
    TransportError,
)
from argo_lib.eniscope.errors import EniscopeConfigError, RetryAfterTooLong
from argo_lib.eniscope.retry import (
    Accept,
    Answered,
    Fail,
    Reauthenticate,
    Request,
    RequestState,
    Retry,
    RetryPolicy,
    SwitchPathForm,
    TransportFailure,
    Undecodable,
    backoff_delay,
    backoff_s,
    decide,
    parse_retry_after,
)

JITTER = (0.8, 1.2)  # spec section 7: every backoff delay is multiplied by U(0.8, 1.2)
NOW = 1_764_590_400.0  # 2025-12-01 12:00 UTC, the "now" of the Retry-After dates below [s]
REQUEST = Request(
    method="GET",
    path="/readings/162285",
    target="/readings/162285?res=3600&fields[]=E&fields[]=P",
)


def S(**counts) -> RequestState:
    return RequestState(**counts)


def S429(n: int, waited: float, *, backoffs: int = 0, **counts) -> RequestState:
    """A state after ``n`` 429s (``backoffs`` of them without Retry-After) and ``waited`` s."""
    return RequestState(
        rate_limited=n, rate_limit_backoffs=backoffs, rate_limit_waited_s=waited, **counts
    )


def http(status: int, *, retry_after: str | None = None, body: str = "", token: bool = True):
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    return Answered(status=status, headers=headers, body=body, used_token=token)


def no_answer(kind: str = "read_timeout", seconds: float | None = 30.0) -> TransportFailure:
    names = {"read_timeout": "ReadTimeout", "connect_timeout": "ConnectTimeout"}
    return TransportFailure(
        kind=kind, exception=names.get(kind, "ConnectionError"), timeout_s=seconds
    )


def summary(decision) -> tuple:
    """The parts of a decision the policy fixes (not the wording of log lines)."""
    if isinstance(decision, Retry):
        return ("retry", decision.delay_s, decision.jitter, decision.pause_client, decision.state)
    if isinstance(decision, Reauthenticate):
        return ("reauthenticate", decision.state)
    if isinstance(decision, SwitchPathForm):
        return ("switch-path-form", decision.state)
    if isinstance(decision, Fail):
        return ("fail", type(decision.error), decision.error.status)
    return ("accept",)


def retry(delay_s, state, *, jitter=JITTER, pause_client=False):
    return ("retry", delay_s, jitter, pause_client, state)


def fail(error, status=None):
    return ("fail", error, status)


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------

P5 = RetryPolicy(server_attempts=5, jitter=(1.0, 1.5))
CAP40 = RetryPolicy(rate_limit_attempts=9, rate_limit_cap_s=40.0)
SMALL = RetryPolicy(rate_limit_retries=2, rate_limit_budget_s=60.0)
NO_429_RETRY = RetryPolicy(rate_limit_retries=0)
FALLBACK = {"fallback_path_form": True}
IP = "Invalid Parameter"
DATE_30_S = "Mon, 01 Dec 2025 12:00:30 GMT"  # NOW + 30 s
DATE_PAST = "Mon, 01 Dec 2025 11:00:00 GMT"
DATE_301_S = "Mon, 01 Dec 2025 12:05:01 GMT"  # NOW + 301 s

# fmt: off
CASES = [
    # id                             state so far                 outcome                               options           decision
    # 2xx
    ("200",                          S(),                         http(200),                            {},               ("accept",)),
    ("204",                          S(),                         http(204),                            {},               ("accept",)),
    ("200-after-failures",           S(failures=2, rate_limited=3), http(200),                          {},               ("accept",)),
    # 401/419: one re-authentication with Basic, at once, not counted as an attempt
    ("401-token",                    S(),                         http(401),                            {},               ("reauthenticate", S(reauthenticated=True))),
    ("419-token",                    S(),                         http(419),                            {},               ("reauthenticate", S(reauthenticated=True))),
    ("401-basic",                    S(),                         http(401, token=False),               {},               ("reauthenticate", S(reauthenticated=True))),
    ("401-keeps-counts",             S(failures=1),               http(401),                            {},               ("reauthenticate", S(failures=1, reauthenticated=True))),
    ("401-again",                    S(reauthenticated=True),     http(401),                            {},               fail(AuthenticationError, 401)),
    ("419-again",                    S(reauthenticated=True),     http(419),                            {},               fail(AuthenticationError, 419)),
    # 429 without Retry-After: backoff 8, 16, 32 s; the whole client pauses; 4 such attempts
    ("429-1st",                      S(),                         http(429),                            {},               retry(8.0, S429(1, 8.0, backoffs=1), pause_client=True)),
    ("429-2nd",                      S429(1, 8.0, backoffs=1),    http(429),                            {},               retry(16.0, S429(2, 24.0, backoffs=2), pause_client=True)),
    ("429-3rd",                      S429(2, 24.0, backoffs=2),   http(429),                            {},               retry(32.0, S429(3, 56.0, backoffs=3), pause_client=True)),
    ("429-4th",                      S429(3, 56.0, backoffs=3),   http(429),                            {},               fail(RateLimited, 429)),
    ("429-retry-after-garbage",      S(),                         http(429, retry_after="soon"),        {},               retry(8.0, S429(1, 8.0, backoffs=1), pause_client=True)),
    ("429-backoff-after-honoured",   S429(5, 25.0),               http(429),                            {},               retry(8.0, S429(6, 33.0, backoffs=1), pause_client=True)),
    # 429 with Retry-After <= 300 s: exactly that wait, while the window's budget lasts
    ("429-retry-after-seconds",      S(),                         http(429, retry_after="7"),           {},               retry(7.0, S429(1, 7.0), jitter=None, pause_client=True)),
    ("429-retry-after-date",         S(),                         http(429, retry_after=DATE_30_S),     {},               retry(30.0, S429(1, 30.0), jitter=None, pause_client=True)),
    ("429-retry-after-date-past",    S(),                         http(429, retry_after=DATE_PAST),     {},               retry(0.0, S429(1, 0.0), jitter=None, pause_client=True)),
    ("429-retry-after-300",          S(),                         http(429, retry_after="300"),         {},               retry(300.0, S429(1, 300.0), jitter=None, pause_client=True)),
    ("429-4th-with-retry-after",     S429(3, 15.0),               http(429, retry_after="5"),           {},               retry(5.0, S429(4, 20.0), jitter=None, pause_client=True)),
    ("429-10th-with-retry-after",    S429(9, 45.0),               http(429, retry_after="5"),           {},               retry(5.0, S429(10, 50.0), jitter=None, pause_client=True)),
    ("429-11th-retries-spent",       S429(10, 50.0),              http(429, retry_after="5"),           {},               fail(RateLimited, 429)),
    ("429-wait-budget-reached",      S429(3, 800.0),              http(429, retry_after="100"),         {},               retry(100.0, S429(4, 900.0), jitter=None, pause_client=True)),
    ("429-wait-budget-passed",       S429(3, 800.0),              http(429, retry_after="101"),         {},               fail(RateLimited, 429)),
    ("429-keeps-5xx-count",          S(failures=2),               http(429, retry_after="5"),           {},               retry(5.0, S429(1, 5.0, failures=2), jitter=None, pause_client=True)),
    # 429 with Retry-After > 300 s (seconds or a date that far): stop the run
    ("429-retry-after-301",          S(),                         http(429, retry_after="301"),         {},               fail(RetryAfterTooLong, 429)),
    ("429-retry-after-date-301",     S(),                         http(429, retry_after=DATE_301_S),    {},               fail(RetryAfterTooLong, 429)),
    ("429-retry-after-301-late",     S429(10, 50.0),              http(429, retry_after="301"),         {},               fail(RetryAfterTooLong, 429)),
    ("429-retry-after-huge",         S(),                         http(429, retry_after="1" + "0" * 30), {},              fail(RetryAfterTooLong, 429)),
    # 5xx: backoff 4, 8 s for this request only; 3 attempts
    ("500-1st",                      S(),                         http(500),                            {},               retry(4.0, S(failures=1))),
    ("502-2nd",                      S(failures=1),               http(502),                            {},               retry(8.0, S(failures=2))),
    ("503-3rd",                      S(failures=2),               http(503),                            {},               fail(ServerError, 503)),
    ("504-1st",                      S(),                         http(504),                            {},               retry(4.0, S(failures=1))),
    ("501-not-retried",              S(),                         http(501),                            {},               fail(ServerError, 501)),
    # 500 "Invalid Parameter": one retry, counted apart from other failures
    ("invalid-parameter-1st",        S(),                         http(500, body=f'{{"error": "{IP}"}}'), {},             retry(4.0, S(invalid_parameter=1))),
    ("invalid-parameter-2nd",        S(invalid_parameter=1),      http(500, body=IP.upper()),           {},               fail(InvalidParameterError, 500)),
    ("invalid-parameter-after-5xx",  S(failures=2),               http(500, body=IP),                   {},               retry(4.0, S(failures=2, invalid_parameter=1))),
    ("503-invalid-parameter",        S(),                         http(503, body=IP),                   {},               retry(4.0, S(failures=1))),
    # a 2xx body that is not JSON, timeouts and connection errors count like 5xx
    ("bad-body-1st",                 S(),                         Undecodable(status=200, size=17),     {},               retry(4.0, S(failures=1))),
    ("bad-body-3rd",                 S(failures=2),               Undecodable(status=200, size=0),      {},               fail(InvalidResponseError, 200)),
    ("read-timeout-1st",             S(),                         no_answer(),                          {},               retry(4.0, S(failures=1))),
    ("read-timeout-3rd",             S(failures=2),               no_answer(),                          {},               fail(TransportError)),
    ("connect-timeout-2nd",          S(failures=1),               no_answer("connect_timeout", 10.0),   {},               retry(8.0, S(failures=2))),
    ("connection-error-3rd",         S(failures=2),               no_answer("connection", None),        {},               fail(TransportError)),
    ("other-request-error",          S(),                         no_answer("request", None),           {},               fail(TransportError)),
    # 404: one switch of path form when allowed, at once
    ("404",                          S(),                         http(404),                            {},               fail(NotFoundError, 404)),
    ("404-fallback",                 S(),                         http(404),                            FALLBACK,         ("switch-path-form", S(switched_path_form=True))),
    ("404-fallback-used",            S(switched_path_form=True),  http(404),                            FALLBACK,         fail(NotFoundError, 404)),
    # never retried
    ("400",                          S(),                         http(400),                            {},               fail(BadRequestError, 400)),
    ("402",                          S(),                         http(402),                            {},               fail(SubscriptionExpiredError, 402)),
    ("403",                          S(),                         http(403),                            {},               fail(AccessDeniedError, 403)),
    ("412",                          S(),                         http(412),                            {},               fail(PreconditionFailedError, 412)),
    ("418",                          S(),                         http(418),                            {},               fail(BadRequestError, 418)),
    ("302",                          S(),                         http(302),                            {},               fail(RedirectError, 302)),
    # another policy
    ("500-3rd-of-5",                 S(failures=2),               http(500),                            {"policy": P5},   retry(16.0, S(failures=3), jitter=(1.0, 1.5))),
    ("429-backoff-capped",           S429(3, 56.0, backoffs=3),   http(429),                            {"policy": CAP40}, retry(40.0, S429(4, 96.0, backoffs=4), pause_client=True)),
    ("429-small-retries-spent",      S429(2, 10.0),               http(429, retry_after="5"),           {"policy": SMALL}, fail(RateLimited, 429)),
    ("429-small-wait-reached",       S429(1, 50.0),               http(429, retry_after="10"),          {"policy": SMALL}, retry(10.0, S429(2, 60.0), jitter=None, pause_client=True)),
    ("429-small-wait-passed",        S429(1, 50.0),               http(429, retry_after="11"),          {"policy": SMALL}, fail(RateLimited, 429)),
    ("429-no-retries",               S(),                         http(429, retry_after="1"),           {"policy": NO_429_RETRY}, fail(RateLimited, 429)),
]
# fmt: on


@pytest.mark.parametrize(
    ("state", "outcome", "options", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_decision_table(state, outcome, options, expected):
    decision = decide(state, outcome, request=REQUEST, now=NOW, **options)
    assert summary(decision) == expected
    again = decide(state, outcome, request=REQUEST, now=NOW, **options)
    assert repr(again) == repr(decision)  # pure: the same arguments, the same decision


def test_retry_after_header_is_case_insensitive():
    outcome = Answered(status=429, headers={"retry-after": "7"})
    assert decide(S(), outcome, request=REQUEST, now=NOW).delay_s == 7.0


# --------------------------------------------------------------------------------------------
# Sequences, as the client runs them: each decision's state feeds the next attempt
# --------------------------------------------------------------------------------------------


def run(outcomes, **options) -> list[tuple]:
    state, decisions = RequestState(), []
    for outcome in outcomes:
        decision = decide(state, outcome, request=REQUEST, now=NOW, **options)
        decisions.append(summary(decision)[:2])
        if isinstance(decision, Accept | Fail):
            break
        state = decision.state
    return decisions


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (
            [http(503), no_answer(), http(200)],
            [("retry", 4.0), ("retry", 8.0), ("accept",)],
        ),
        (
            [http(503), Undecodable(status=200, size=3), no_answer("connection", None)],
            [("retry", 4.0), ("retry", 8.0), ("fail", TransportError)],
        ),
        (
            [http(401), http(500), http(401)],
            [
                ("reauthenticate", S(reauthenticated=True)),
                ("retry", 4.0),
                ("fail", AuthenticationError),
            ],
        ),
        (
            [http(429), http(429, retry_after="3"), http(500), http(200)],
            [("retry", 8.0), ("retry", 3.0), ("retry", 4.0), ("accept",)],
        ),
        (
            [http(500, body="Invalid Parameter")] * 3,
            [("retry", 4.0), ("fail", InvalidParameterError)],
        ),
        (
            [*[http(429, retry_after="5")] * 10, http(200)],
            [*[("retry", 5.0)] * 10, ("accept",)],
        ),
        (
            [http(429, retry_after="5")] * 11,
            [*[("retry", 5.0)] * 10, ("fail", RateLimited)],
        ),
        (
            [http(503), http(503), *[http(429, retry_after="5")] * 6, http(200)],
            [("retry", 4.0), ("retry", 8.0), *[("retry", 5.0)] * 6, ("accept",)],
        ),
        (
            [*[http(429, retry_after="300")] * 3, http(429, retry_after="1")],
            [*[("retry", 300.0)] * 3, ("fail", RateLimited)],
        ),
    ],
    ids=[
        "recovers",
        "failures-share-one-count",
        "reauth-once",
        "429-and-5xx-apart",
        "invalid-once",
        "429-storm-within-budget",
        "429-storm-spends-the-retries",
        "5xx-budget-apart-from-429-budget",
        "429-storm-spends-the-seconds",
    ],
)
def test_sequences(outcomes, expected):
    assert run(outcomes) == expected


# --------------------------------------------------------------------------------------------
# Error messages: fix-it text, and nothing but what the caller passed (already redacted)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "outcome", "phrases"),
    [
        (S(failures=2), http(503, body="busy"), ["HTTP 503", "after 3 attempts", "'busy'", REQUEST.target]),
        (S(failures=2), no_answer(seconds=0.2), ["read timed out after 0.2 s", "3 attempts"]),
        (S(failures=2), no_answer("connect_timeout", 10.0), ["connect timed out after 10 s"]),
        (S(failures=2), no_answer("connection", None), ["connection failed (ConnectionError)"]),
        (S(), TransportFailure(kind="request", exception="InvalidURL"), ["InvalidURL", "ENISCOPE_API_URL"]),
        (S(failures=2), Undecodable(status=200, size=9), ["not JSON", "3 times"]),
        (S(reauthenticated=True), http(401), ["ENISCOPE_API_KEY", "even after re-authenticating"]),
        (S429(3, 56.0, backoffs=3), http(429), ["429 4 times without Retry-After", "min_interval_s"]),
        (S429(10, 50.0), http(429, retry_after="5"), ["429 11 times", "rate_limit_retries=10", "this window fails", "next sync re-fetches it"]),
        (S429(3, 800.0), http(429, retry_after="200"), ["800 s waited, 200 s more", "rate_limit_budget_s=900"]),
        (S(), http(429, retry_after="301"), ["Retry-After is 301 s", "more than 300 s", "the run stops", "after 2025-12-01 12:05 UTC"]),
        (S(invalid_parameter=1), http(500, body="Invalid Parameter"), ["skip_channels", REQUEST.target]),
        (S(), http(402), ["renew the Best.Energy subscription"]),
        (S(), http(403, body="no"), ["ENISCOPE_PASSWORD", "ENISCOPE_USER_AGENT", "Server said: 'no'"]),
        (S(), http(412), ["HTTP 412", REQUEST.target]),
        (S(), http(404), ["path_form"]),
        (S(), http(301), ["redirect", "not followed"]),
        (S(), http(400), ["check the parameters", REQUEST.target]),
    ],
    ids=[
        "5xx", "read-timeout", "connect-timeout", "connection", "request", "bad-body", "auth",
        "429-count", "429-retries-spent", "429-seconds-spent", "429-retry-after", "invalid-parameter", "402", "403", "412", "404", "3xx",
        "400",
    ],
)  # fmt: skip
def test_failure_messages_say_what_to_do(state, outcome, phrases):
    decision = decide(state, outcome, request=REQUEST, now=NOW)
    assert isinstance(decision, Fail)
    message = str(decision.error)
    assert all(phrase in message for phrase in phrases), message
    assert (decision.error.method, decision.error.path) == ("GET", REQUEST.path)


def test_rate_limited_carries_retry_after():
    error = decide(S(), http(429, retry_after="301"), request=REQUEST, now=NOW).error
    assert isinstance(error, RetryAfterTooLong) and isinstance(error, RateLimited)
    assert error.retry_after_s == 301.0
    error = decide(S429(10, 50.0), http(429, retry_after="5"), request=REQUEST, now=NOW).error
    assert type(error) is RateLimited and error.retry_after_s == 5.0
    error = decide(S429(3, 56.0, backoffs=3), http(429), request=REQUEST, now=NOW).error
    assert type(error) is RateLimited and error.retry_after_s is None


def test_the_default_429_budget_is_documented():
    policy = RetryPolicy()
    assert (policy.rate_limit_retries, policy.rate_limit_budget_s) == (10, 900.0)
    assert (policy.rate_limit_attempts, policy.max_retry_after_s) == (4, 300.0)
    assert policy.server_attempts == 3  # the 5xx/timeout budget is apart from the 429 budget


@pytest.mark.parametrize(
    "options",
    [
        {"rate_limit_retries": -1},
        {"rate_limit_budget_s": -1.0},
        {"rate_limit_attempts": 0},
        {"server_attempts": 0},
    ],
    ids=["retries", "budget", "attempts", "server-attempts"],
)
def test_a_negative_budget_is_refused(options):
    with pytest.raises(EniscopeConfigError, match=next(iter(options))):
        RetryPolicy(**options)


# --------------------------------------------------------------------------------------------
# Arithmetic: Retry-After, backoff, jitter
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "now", "expected"),
    [
        ("30", 0.0, 30.0),
        ("0", 0.0, 0.0),
        ("Thu, 01 Jan 1970 00:01:00 GMT", 20.0, 40.0),
        ("Thu, 01 Jan 1970 00:01:00 GMT", 90.0, 0.0),
        ("later", 0.0, None),
        (None, 0.0, None),
    ],
    ids=["seconds", "zero", "http-date", "date-in-past", "garbage", "absent"],
)
def test_parse_retry_after(header, now, expected):
    assert parse_retry_after(header, now=now) == expected


def test_backoff_schedules_without_jitter():
    rate = [backoff_delay(n, base_s=8.0, cap_s=60.0, jitter=(1, 1)) for n in range(1, 6)]
    assert rate == [8.0, 16.0, 32.0, 60.0, 60.0]
    server = [backoff_delay(n, base_s=4.0, jitter=(1, 1)) for n in (1, 2)]
    assert server == [4.0, 8.0]
    assert [backoff_s(n, base_s=8.0) for n in range(1, 6)] == rate


def test_backoff_jitter_stays_in_bounds():
    rng = random.Random(1)
    delays = [backoff_delay(1, base_s=8.0, rng=rng) for _ in range(200)]
    assert all(8.0 * JITTER[0] <= d <= 8.0 * JITTER[1] for d in delays)
    assert max(delays) - min(delays) > 2.0  # it really jitters


def test_retry_wait_applies_jitter_only_when_asked():
    calls = []

    def uniform(low, high):
        calls.append((low, high))
        return high

    jittered = Retry(delay_s=4.0, jitter=JITTER, pause_client=False, reason="", state=S())
    exact = Retry(delay_s=7.0, jitter=None, pause_client=True, reason="", state=S())
    assert jittered.wait_s(uniform) == pytest.approx(4.8)
    assert exact.wait_s(uniform) == 7.0
    assert calls == [JITTER]


def test_jittered_wait_equals_backoff_delay_from_the_same_random_source():
    decision = decide(S(failures=1), http(500), request=REQUEST, now=NOW)
    assert decision.wait_s(random.Random(5).uniform) == backoff_delay(
        2, base_s=4.0, rng=random.Random(5)
    )
