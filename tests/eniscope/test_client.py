"""The Eniscope client against the fake server: auth, paths, pagination, readings, retries, secrets.

Every test runs over real loopback HTTP against :mod:`argo_lib.sim.fake_eniscope`, through the
recording transport of ``make_client`` (``client.transport``). Nothing waits in real time: sleeps
go to the shared :class:`ManualClock`, and timeouts and refused connections are raised by the
transport instead of being waited for.
"""

from __future__ import annotations

import json
import logging
import socket
import threading

import numpy as np
import pandas as pd
import pytest
import requests

from argo_lib.config import Settings
from argo_lib.eniscope import (
    DEFAULT_FIELD_CODES,
    DEFAULT_USER_AGENT,
    AccessDeniedError,
    AuthenticationError,
    ChannelSkippedError,
    EniscopeClient,
    EniscopeConfig,
    EniscopeConfigError,
    EniscopeError,
    InvalidParameterError,
    InvalidResponseError,
    PreconditionFailedError,
    RateLimited,
    ServerError,
    SessionTransport,
    SubscriptionExpiredError,
    TooManyPagesError,
    TransportError,
)
from argo_lib.eniscope.errors import RetryAfterTooLong
from argo_lib.eniscope.retry import RetryPolicy
from argo_lib.sim import simulate_readings
from argo_lib.sim.fake_eniscope import (
    DEFAULT_API_KEY,
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    RateLimit,
    ScriptedResponse,
)

# Tolerances, named for why they are what they are.
ENERGY_ATOL_KWH = 1e-9  # Wh → kWh of exact inputs: only float rounding may differ
JITTER = (0.8, 1.2)  # spec section 7: every backoff delay is multiplied by U(0.8, 1.2)
HTTP_DATE_ATOL_S = 1.0  # HTTP-dates have whole-second resolution

TZ = "America/New_York"
DAY_START = pd.Timestamp("2025-12-01", tz=TZ)
DAY_END = pd.Timestamp("2025-12-02", tz=TZ)
WILSON = (162119, 162120, 162121, 162122, 162123, 162285, 162319, 162320)


def sent(client: EniscopeClient) -> list[tuple[str, dict[str, str]]]:
    return client.transport.sent


def in_jitter(value: float, base: float) -> bool:
    return base * JITTER[0] <= value <= base * JITTER[1]


# --------------------------------------------------------------------------------------------
# Configuration
# --------------------------------------------------------------------------------------------


def test_config_repr_hides_secrets(spec_md5):
    config = EniscopeConfig(
        api_key=DEFAULT_API_KEY, email=DEFAULT_EMAIL, password=DEFAULT_PASSWORD,
        base_url="https://core.eniscope.com/",
    )  # fmt: skip
    text = repr(config) + str(config)
    for secret in (DEFAULT_API_KEY, DEFAULT_EMAIL, DEFAULT_PASSWORD, spec_md5):
        assert secret not in text
    assert config.base_url == "https://core.eniscope.com"
    assert "core.eniscope.com" in text


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("api_key", "", "ENISCOPE_API_KEY"),
        ("email", None, "ENISCOPE_EMAIL"),
        ("password", "  ", "ENISCOPE_PASSWORD"),
        ("base_url", "core.eniscope.com", "ENISCOPE_API_URL"),
        ("page_limit", 101, "page_limit"),
        ("max_concurrency", 0, "max_concurrency"),
        ("path_form", "v2", "path_form"),
    ],
    ids=["no-key", "no-email", "blank-password", "no-scheme", "limit", "concurrency", "form"],
)
def test_config_validation(field, value, message):
    options = {"api_key": DEFAULT_API_KEY, "email": DEFAULT_EMAIL, "password": DEFAULT_PASSWORD}
    options[field] = value
    with pytest.raises(EniscopeConfigError, match=message):
        EniscopeConfig(**options)


def test_a_given_session_carries_the_requests(fake):
    session = requests.Session()
    config = EniscopeConfig(
        base_url=fake.url, api_key=DEFAULT_API_KEY, email=DEFAULT_EMAIL, password=DEFAULT_PASSWORD
    )
    with EniscopeClient(config, session=session, sleep=lambda s: None) as client:
        assert isinstance(client.transport, SessionTransport)
        assert client.transport.session is session
        assert len(client.login()) == 1


def test_session_and_transport_are_exclusive(fake):
    config = EniscopeConfig(
        base_url=fake.url, api_key=DEFAULT_API_KEY, email=DEFAULT_EMAIL, password=DEFAULT_PASSWORD
    )
    transport = SessionTransport()
    with pytest.raises(EniscopeConfigError, match="both a session and a transport"):
        EniscopeClient(config, session=requests.Session(), transport=transport)
    transport.close()


def test_from_settings(fake):
    settings = Settings(
        eniscope_api_url=fake.url,
        eniscope_api_key=DEFAULT_API_KEY,
        eniscope_email=DEFAULT_EMAIL,
        eniscope_password=DEFAULT_PASSWORD,
        eniscope_user_agent=None,
    )
    with EniscopeClient.from_settings(settings, min_interval_s=0, path_form="v1") as client:
        assert client.config.user_agent == DEFAULT_USER_AGENT
        assert client.config.path_form == "v1"
        assert client.login()["organization_id"].tolist() == [23271]
    assert fake.request_log[-1].path == "/v1/1/organizations"


def test_from_settings_without_credentials_says_what_to_set():
    with pytest.raises(EniscopeConfigError, match="ENISCOPE_API_KEY"):
        EniscopeClient.from_settings(Settings())


# --------------------------------------------------------------------------------------------
# Authentication against the fake
# --------------------------------------------------------------------------------------------


def test_login_sends_the_test_vector_then_reuses_the_token(make_client, fake, spec_basic):
    client = make_client()
    orgs = client.login()
    assert orgs["organization_id"].tolist() == [23271]
    client.get_channels(organization=23271)
    (_, first), (_, second) = sent(client)
    assert first["Authorization"] == spec_basic
    assert first["X-Eniscope-API"] == DEFAULT_API_KEY
    assert first["Accept"] == "application/json"
    assert "X-Eniscope-Token" not in first
    assert "Authorization" not in second
    assert second["X-Eniscope-Token"] == client.transport.tokens[0]
    assert [e.auth for e in fake.request_log] == ["basic", "token"]
    assert client.has_token


def test_token_is_replaced_when_a_new_one_arrives(make_client, fake):
    client = make_client()
    client.login()
    fake.enqueue(ScriptedResponse(status=200, headers={"X-Eniscope-Token": "b" * 32}))
    client.get_organizations()
    client.get_organizations()
    headers = [h for _, h in sent(client)]
    assert headers[2]["X-Eniscope-Token"] == "b" * 32
    # the fake never issued "bbb…", so it answers 401 and the client logs in again once
    assert [(e.auth, e.status) for e in fake.request_log] == [
        ("basic", 200),
        ("token", 200),
        ("token", 401),
        ("basic", 200),
    ]


def test_token_expiry_by_uses_mid_run(make_client, fake):
    fake.configure(token_max_uses=2)
    client = make_client()
    for _ in range(6):
        assert len(client.get_organizations()) == 1
    statuses = [(e.auth, e.status) for e in fake.request_log]
    assert statuses == [
        ("basic", 200),
        ("token", 200),
        ("token", 200),
        ("token", 401),  # third use of a two-use token: expired mid-run
        ("basic", 200),
        ("token", 200),
        ("token", 200),
    ]


def test_token_expiry_by_time_with_419(make_client, fake, clock):
    fake.configure(token_ttl_s=600, token_expired_status=419)
    client = make_client()
    client.login()
    clock.advance(601)
    result = client.get_readings(162285, start=DAY_START, end=DAY_END)
    assert len(result.readings) == 24
    assert [(e.auth, e.status) for e in fake.request_log] == [
        ("basic", 200),
        ("token", 419),
        ("basic", 200),
    ]
    assert result.requests == 2


def test_always_basic(make_client, fake, spec_basic):
    client = make_client(always_basic=True)
    client.login()
    client.get_channels(organization=23271)
    assert all(h["Authorization"] == spec_basic for _, h in sent(client))
    assert all("X-Eniscope-Token" not in h for _, h in sent(client))
    assert {e.auth for e in fake.request_log} == {"basic"}


def test_bad_api_key_fails_after_one_reauthentication(make_client, fake):
    client = make_client(api_key="f" * 32)
    with pytest.raises(AuthenticationError, match="ENISCOPE_API_KEY") as info:
        client.login()
    assert info.value.status == 401
    assert len(fake.request_log) == 2  # the request and one Basic retry, no backoff loop


@pytest.mark.parametrize(
    ("setup", "error", "status", "phrase"),
    [
        ({"password": "wrong"}, AccessDeniedError, 403, "ENISCOPE_PASSWORD"),
        ({"force_status": 402}, SubscriptionExpiredError, 402, "renew the Best.Energy"),
        ({"force_status": 412}, PreconditionFailedError, 412, "GET /organizations"),
        ({"user_agent": "python-requests/2.32"}, AccessDeniedError, 403, "ENISCOPE_USER_AGENT"),
    ],
    ids=["403-credentials", "402-subscription", "412-precondition", "403-user-agent"],
)
def test_non_retryable_statuses(make_client, fake, clock, setup, error, status, phrase):
    fake.configure(blocked_user_agent=r"python-requests")
    if "force_status" in setup:
        fake.configure(force_status=setup["force_status"])
        client = make_client()
    else:
        client = make_client(**setup)
    with pytest.raises(error, match=phrase) as info:
        client.login()
    assert info.value.status == status
    assert info.value.method == "GET" and info.value.path == "/organizations"
    assert len(fake.request_log) == 1
    assert clock.sleeps == []


def test_default_user_agent_passes_a_library_filter(make_client, fake):
    fake.configure(blocked_user_agent=r"python-requests|urllib")
    assert len(make_client().login()) == 1
    assert fake.request_log[-1].user_agent == DEFAULT_USER_AGENT


def test_other_organization_is_access_denied(make_client):
    with pytest.raises(AccessDeniedError):
        make_client().get_channels(organization=18000)


# --------------------------------------------------------------------------------------------
# Paths, lists and pagination
# --------------------------------------------------------------------------------------------


def test_v1_path_form(make_client, fake):
    client = make_client(path_form="v1")
    client.login()
    client.get_readings(162285, start=DAY_START, end=DAY_END)
    assert [e.path for e in fake.request_log] == ["/v1/1/organizations", "/v1/1/readings/162285"]


def test_fallback_path_form_on_404(make_client, fake):
    fake.enqueue(ScriptedResponse(status=404, path_prefix="/organizations"))
    client = make_client(fallback_path_form=True)
    assert len(client.login()) == 1
    assert [(e.path, e.status) for e in fake.request_log] == [
        ("/organizations", 404),
        ("/v1/1/organizations", 200),
    ]


def test_404_without_fallback_is_not_retried(make_client, fake):
    fake.enqueue(ScriptedResponse(status=404))
    with pytest.raises(EniscopeError, match="404"):
        make_client().login()
    assert len(fake.request_log) == 1


def test_channels_of_the_site(make_client):
    channels = make_client().get_channels(organization=23271)
    assert len(channels) == 20 and channels["channel_id"].is_unique
    assert set(WILSON) <= set(channels["channel_id"])
    kitchen = channels.set_index("channel_id").loc[162285]
    assert kitchen["channel_name"] == "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr"
    assert kitchen["device_type_name"] == "Eniscope 8 Hybrid Metering Point"


def test_pagination_loops_page_count(make_client, fake):
    channels = make_client(page_limit=7).get_channels(organization=23271)
    assert len(channels) == 20
    pages = [(e.params["page"], e.params["limit"]) for e in fake.request_log]
    assert pages == [(("1",), ("7",)), (("2",), ("7",)), (("3",), ("7",))]


def test_pagination_stops_on_a_short_page_despite_page_count(make_client, fake):
    body = {"channels": [{"dataChannelId": str(i)} for i in range(3)], "meta": {"pageCount": 50}}
    fake.enqueue(ScriptedResponse(status=200, body=_json(body)))
    assert len(make_client(page_limit=7).get_channels(organization=23271)) == 3
    assert len(fake.request_log) == 1


def test_pagination_stops_on_an_empty_page(make_client, fake):
    full = {"channels": [{"dataChannelId": str(i)} for i in range(7)], "meta": {"pageCount": 99}}
    fake.enqueue(
        ScriptedResponse(status=200, body=_json(full)),
        ScriptedResponse(status=200, body=_json({"channels": [], "meta": {"pageCount": 99}})),
    )
    assert len(make_client(page_limit=7).get_channels(organization=23271)) == 7
    assert len(fake.request_log) == 2


def test_pagination_without_meta_continues_until_short_page(make_client, fake):
    fake.enqueue(
        ScriptedResponse(status=200, body=_json([{"dataChannelId": str(i)} for i in range(7)]))
    )
    channels = make_client(page_limit=7).get_channels(organization=23271)
    assert len(fake.request_log) == 3  # bare list page 1, then real pages 2 and 3 (6 records)
    assert len(channels) == 7 + 7 + 6
    assert set(range(7)) <= set(channels["channel_id"])


def test_pagination_hard_cap(make_client):
    with pytest.raises(TooManyPagesError, match="max_pages"):
        make_client(page_limit=1, max_pages=3).get_channels(organization=23271)


def test_list_filters_are_sent(make_client, fake):
    channels = make_client().get_channels(organization=23271, name="*Kitchen*")
    assert set(channels["channel_id"]) == {162285, 162319, 162277}
    assert fake.request_log[-1].params["name"] == ("*Kitchen*",)


def test_devices_meters_and_single_resources(make_client):
    client = make_client()
    devices = client.get_devices(organization=23271)
    assert (devices["organization_id"] == 23271).all() and devices["device_id"].is_unique
    meters = client.get_meters(organization=23271)
    assert len(meters) > 0 and meters["ct"].eq(3000.0).all()
    assert client.get_channel(162285)["channel_name"].startswith("CDPK_Kitchen")
    assert client.get_organization("23271")["timezone"] == TZ


# --------------------------------------------------------------------------------------------
# Readings
# --------------------------------------------------------------------------------------------


def test_readings_request_is_built_by_hand(make_client, fake):
    client = make_client()
    client.get_readings(162285, start=DAY_START, end=DAY_END)
    url = sent(client)[-1][0]
    assert "/readings/162285?action=summarize&res=3600&showCounters=0" in url
    assert "&daterange[]=1764565200&daterange[]=1764651600&" in url
    assert "fields[]=E&fields[]=P&fields[]=V" in url
    assert url.count("fields[]=") == len(DEFAULT_FIELD_CODES) == 26
    assert "%5B" not in url
    wire = fake.request_log[-1].query  # what the server received, byte for byte
    assert wire.startswith("action=summarize&res=3600&showCounters=0&daterange[]=1764565200&")
    assert "fields[]=E&fields[]=P&" in wire and "%5B" not in wire


def test_readings_always_include_energy_and_power(make_client, fake):
    make_client().get_readings(162285, start=DAY_START, end=DAY_END, fields=["V"])
    assert fake.request_log[-1].params["fields[]"] == ("E", "P", "V")


def test_readings_match_the_simulator_in_project_units(make_client):
    result = make_client().get_readings(162285, start=DAY_START, end=DAY_END)
    sim = simulate_readings(
        start=DAY_START, end=DAY_END, resolution_s=3600, channels=[162285], fields="all"
    ).readings
    readings = result.readings
    assert readings["timestamp"].tolist() == sim["timestamp"].tolist()
    for column in ("energy_kwh", "power_kw", "reactive_power_kvar", "energy_kwh_p1"):
        np.testing.assert_allclose(readings[column], sim[column], atol=ENERGY_ATOL_KWH)
    np.testing.assert_allclose(readings["voltage_v"], sim["voltage_v"], rtol=1e-12)
    assert "cost" not in readings.columns  # no tariff: the key is absent from records
    assert result.units["E"] == "Wh" and result.rejected.empty
    assert readings["timestamp"].iloc[0].tz_convert(TZ) == DAY_START


@pytest.mark.parametrize(
    ("week_start", "hours", "short_day"),
    [("2026-03-02", 167, 23), ("2025-10-27", 169, 25), ("2025-12-01", 168, 24)],
    ids=["spring-2026", "fall-2025", "ordinary"],
)
def test_dst_week_day_by_day(make_client, week_start, hours, short_day):
    days = pd.date_range(pd.Timestamp(week_start, tz=TZ), periods=8, freq="D")
    windows = [(162285, a, b) for a, b in zip(days[:-1], days[1:], strict=True)]
    results = make_client().fetch_readings(windows)
    counts = [len(r.readings) for r in results]
    assert sum(counts) == hours
    assert counts[:6] == [24] * 6 and counts[6] == short_day
    assert all(r.status == "success" for r in results)


def test_window_longer_than_the_maximum_is_split(make_client, fake):
    start = DAY_START
    result = make_client(max_window_s=7 * 86400).get_readings(
        162285, start=start, end=start + pd.DateOffset(days=10)
    )
    assert len(result.readings) == 240
    ranges = [e.params["daterange[]"] for e in fake.request_log]
    assert len(ranges) == 2
    assert int(ranges[0][1]) - int(ranges[0][0]) == 7 * 86400
    assert ranges[0][1] == ranges[1][0]
    assert result.readings["timestamp"].is_unique


def test_long_window_is_halved_after_server_errors(make_client, fake, clock):
    fake.enqueue(*[ScriptedResponse(status=500, path_prefix="/readings/162285")] * 3)
    start = DAY_START
    result = make_client().get_readings(162285, start=start, end=start + pd.DateOffset(days=4))
    assert len(result.readings) == 96
    ranges = [tuple(map(int, e.params["daterange[]"])) for e in fake.request_log]
    assert len(ranges) == 5  # three failed 4-day attempts, then two 2-day halves
    assert ranges[3][1] - ranges[3][0] == 2 * 86400 and ranges[3][1] == ranges[4][0]
    assert result.requests == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"start": "2025-12-01", "end": DAY_END}, "timezone-naive"),
        ({"start": DAY_END, "end": DAY_START}, "before end"),
        ({"resolution_s": 120}, "resolution_s"),
        ({"fields": []}, "fields"),
    ],
    ids=["naive", "reversed", "resolution", "no-fields"],
)
def test_readings_argument_checks(make_client, fake, kwargs, message):
    options = {"start": DAY_START, "end": DAY_END, **kwargs}
    with pytest.raises(ValueError, match=message):
        make_client().get_readings(162285, **options)
    assert fake.request_log == []


def test_skip_list_channels_are_not_requested(make_client, fake):
    with pytest.raises(ChannelSkippedError, match="skip"):
        make_client().get_readings(162127, start=DAY_START, end=DAY_END)
    assert fake.request_log == []


def test_invalid_parameter_gets_one_retry_then_joins_the_skip_set(make_client, fake, clock):
    client = make_client(skip_channels=frozenset())
    with pytest.raises(InvalidParameterError, match="Invalid Parameter"):
        client.get_readings(162277, start=DAY_START, end=DAY_END)
    assert len(fake.request_log) == 2
    assert len(clock.sleeps) == 1 and in_jitter(clock.sleeps[0], 4.0)
    assert client.invalid_channels == {162277}
    with pytest.raises(ChannelSkippedError):
        client.get_readings(162277, start=DAY_START, end=DAY_END)
    assert len(fake.request_log) == 2


# --------------------------------------------------------------------------------------------
# Retries: 429, 5xx, bodies, timeouts
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["seconds", "http-date"], ids=["seconds", "http-date"])
def test_429_storm_honours_retry_after(make_client, fake, clock, form):
    fake.configure(rate_limit=RateLimit(max_requests=3, window_s=30, retry_after=form))
    client = make_client()
    for channel in WILSON[:5]:
        assert len(client.get_readings(channel, start=DAY_START, end=DAY_END).readings) == 24
    statuses = [e.status for e in fake.request_log]
    assert statuses.count(429) == 1 and statuses.count(200) == 5
    assert len(clock.sleeps) == 1
    assert clock.sleeps[0] == pytest.approx(30.0, abs=HTTP_DATE_ATOL_S)


def test_429_without_retry_after_backs_off_exponentially(make_client, fake, clock):
    fake.enqueue(*[ScriptedResponse(status=429)] * 3)
    assert len(make_client().login()) == 1
    assert len(fake.request_log) == 4
    assert [in_jitter(s, b) for s, b in zip(clock.sleeps, (8, 16, 32), strict=True)] == [True] * 3


def test_429_four_times_without_retry_after_raises_rate_limited(make_client, fake, clock):
    fake.enqueue(*[ScriptedResponse(status=429)] * 4)
    with pytest.raises(RateLimited, match="429 4 times without Retry-After"):
        make_client().login()
    assert len(fake.request_log) == 4 and len(clock.sleeps) == 3


def retry_after(seconds: str, n: int, path_prefix: str | None = None) -> list[ScriptedResponse]:
    reply = ScriptedResponse(status=429, headers={"Retry-After": seconds}, path_prefix=path_prefix)
    return [reply] * n


def test_honoured_retry_after_is_retried_within_the_budget(make_client, fake, clock):
    fake.enqueue(*retry_after("5", 10))  # the 4th 429 used to raise RateLimited
    assert len(make_client().login()) == 1
    assert [e.status for e in fake.request_log] == [429] * 10 + [200]
    assert clock.sleeps == [5.0] * 10


def test_the_eleventh_429_spends_the_budget(make_client, fake, clock):
    fake.enqueue(*retry_after("5", 11))
    with pytest.raises(RateLimited, match="429 11 times.*rate_limit_retries=10") as info:
        make_client().get_readings(162285, start=DAY_START, end=DAY_END)
    assert type(info.value) is RateLimited  # not RetryAfterTooLong: only this window fails
    assert len(fake.request_log) == 11 and clock.sleeps == [5.0] * 10


def test_the_seconds_of_the_budget_are_a_setting(make_client, fake, clock):
    fake.enqueue(*retry_after("200", 5))
    with pytest.raises(RateLimited, match="800 s waited, 200 s more .*rate_limit_budget_s=900"):
        make_client().get_readings(162285, start=DAY_START, end=DAY_END)
    assert clock.sleeps == [200.0] * 4  # 1,000 s would pass the default 900 s
    fake.clear_log()
    clock.sleeps.clear()
    fake.enqueue(*retry_after("200", 5))
    client = make_client(retry=RetryPolicy(rate_limit_budget_s=1000.0))
    assert len(client.get_readings(162285, start=DAY_START, end=DAY_END).readings) == 24
    assert clock.sleeps == [200.0] * 5


def test_the_429_budget_belongs_to_the_window_not_to_each_request(make_client, fake, clock):
    # Two days with one day per request: 6 429s on the first request and 5 on the second
    # spend the window's 10 retries, though neither request spent them alone.
    client = make_client(max_window_s=86400)
    two_days = {"start": DAY_START, "end": DAY_START + pd.Timedelta(days=2)}
    fake.enqueue(
        *retry_after("1", 6, "/readings/162285"),
        ScriptedResponse(status=200, path_prefix="/readings/162285"),  # the real first day
        *retry_after("1", 5, "/readings/162285"),
    )
    with pytest.raises(RateLimited, match="429 11 times"):
        client.get_readings(162285, **two_days)
    statuses = [e.status for e in fake.request_log]
    assert statuses == [429] * 6 + [200] + [429] * 5
    fake.enqueue(*retry_after("1", 10, "/readings/162285"))  # a new window: a new budget
    assert len(client.get_readings(162285, **two_days).readings) == 48


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_retry_after_beyond_five_minutes_raises_at_once(make_client, fake, clock, form):
    fake.configure(
        rate_limit=RateLimit(max_requests=0, window_s=60, retry_after_s=301, retry_after=form)
    )
    with pytest.raises(RetryAfterTooLong, match="301 s .*the run stops") as info:
        make_client().login()
    assert info.value.retry_after_s == pytest.approx(301.0, abs=HTTP_DATE_ATOL_S)
    assert len(fake.request_log) == 1 and clock.sleeps == []


def test_429_pauses_the_whole_client(fake):
    """A 429 seen by one thread delays the next request of another thread too."""
    sleeps: list[float] = []
    config = EniscopeConfig(
        base_url=fake.url, api_key=DEFAULT_API_KEY, email=DEFAULT_EMAIL,
        password=DEFAULT_PASSWORD, min_interval_s=0, max_concurrency=2,
    )  # fmt: skip
    frozen = EniscopeClient(config, sleep=sleeps.append, clock=lambda: 100.0, wall_clock=lambda: 0)
    fake.enqueue(ScriptedResponse(status=429, headers={"Retry-After": "7"}))
    with frozen:
        frozen.login()
        other = threading.Thread(target=frozen.get_channels, kwargs={"organization": 23271})
        other.start()
        other.join(timeout=10)
    assert sleeps == [7.0, 7.0]  # the retry, and the other thread's request


def test_politeness_spaces_request_starts(make_client, clock):
    client = make_client(min_interval_s=1.0)
    client.login()
    client.get_channels(organization=23271)
    client.get_meters(organization=23271)
    assert clock.sleeps == [1.0, 1.0]


@pytest.mark.parametrize("status", [500, 502, 503, 504], ids=str)
def test_server_errors_are_retried_with_backoff(make_client, fake, clock, status):
    fake.configure(fail_first=2, error_status=status)
    result = make_client().get_readings(162285, start=DAY_START, end=DAY_END)
    assert len(result.readings) == 24 and result.requests == 3
    assert [e.status for e in fake.request_log] == [status, status, 200]
    assert in_jitter(clock.sleeps[0], 4.0) and in_jitter(clock.sleeps[1], 8.0)


def test_server_errors_give_up_after_three_attempts(make_client, fake, clock):
    fake.configure(fail_first=5)
    with pytest.raises(ServerError, match="after 3 attempts") as info:
        make_client().get_readings(162285, start=DAY_START, end=DAY_END)
    assert info.value.status == 500
    assert len(fake.request_log) == 3 and len(clock.sleeps) == 2


@pytest.mark.parametrize("corrupt", ["truncated", "non_json"], ids=["truncated", "non-json"])
def test_bad_2xx_body_is_retried(make_client, fake, corrupt):
    fake.enqueue(ScriptedResponse(status=200, corrupt=corrupt))
    assert len(make_client().login()) == 1
    assert len(fake.request_log) == 2


def test_bad_2xx_body_gives_up(make_client, fake):
    fake.configure(body_fault="non_json")
    with pytest.raises(InvalidResponseError, match="not JSON"):
        make_client().login()
    assert len(fake.request_log) == 3


def test_read_timeout_is_retried(make_client, fake, clock):
    client = make_client(read_timeout_s=0.25)
    client.transport.fail("/organizations", requests.ReadTimeout)
    assert len(client.login()) == 1
    assert client.request_count == 2  # the timed-out request, then its retry
    assert client.transport.raised == [("/organizations", "ReadTimeout")]
    assert len(fake.request_log) == 1  # only the retry reached the server
    assert len(clock.sleeps) == 1 and in_jitter(clock.sleeps[0], 4.0)


def test_hanging_server_raises_transport_error(make_client, fake, clock):
    client = make_client(read_timeout_s=0.2)
    client.transport.fail("/readings/162285", requests.ReadTimeout, times=99)  # it never answers
    with pytest.raises(TransportError, match="read timed out after 0.2 s"):
        client.get_readings(162285, start=DAY_START, end=DAY_END)
    assert len(clock.sleeps) == 2
    assert client.request_count == 3 and fake.request_log == []


def test_connect_timeout_is_retried_then_raised(make_client, fake, clock):
    client = make_client(connect_timeout_s=10.0)
    client.transport.fail("/organizations", requests.ConnectTimeout, times=3)
    with pytest.raises(TransportError, match="connect timed out after 10 s, 3 attempts"):
        client.login()
    assert [in_jitter(s, b) for s, b in zip(clock.sleeps, (4, 8), strict=True)] == [True] * 2


def test_connection_refused_raises_transport_error(make_client, clock):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransportError, match="connection failed"):
        make_client(base_url=f"http://127.0.0.1:{port}").login()
    assert len(clock.sleeps) == 2


# --------------------------------------------------------------------------------------------
# Malformed data through the wire
# --------------------------------------------------------------------------------------------


def test_malformed_values_through_the_fake(make_client, fake):
    client = make_client()
    clean = client.get_readings(162285, start=DAY_START, end=DAY_END).readings
    kinds = {"null", "string_numbers", "nan_string", "empty_string", "infinity", "ts_string"}
    fake.configure(malformed=frozenset(kinds | {"missing_ts", "extra_keys", "missing_units"}),
                   malformed_rate=0.25)  # fmt: skip
    result = client.get_readings(162285, start=DAY_START, end=DAY_END)
    messy, rejected = result.readings, result.rejected
    dropped = rejected[rejected["field"] == "timestamp"]
    assert len(dropped) > 0 and len(messy) == len(clean) - len(dropped)
    reference = clean.set_index("timestamp").loc[messy["timestamp"]]
    for column in ("energy_kwh", "power_kw", "voltage_v", "current_a"):
        values = messy[column].to_numpy()
        same = np.isnan(values) | np.isclose(values, reference[column].to_numpy(), atol=1e-12)
        assert same.all(), column
    assert messy["energy_kwh"].isna().any()  # nulls stay NaN ...
    assert "energy_kwh" not in set(rejected["field"])  # ... and are not rejections
    assert set(rejected["raw_value"]) >= {"NaN", "Infinity", ""}
    assert set(rejected["field"]) == {"timestamp", "power_kw", "voltage_v"}


def test_negative_values_are_kept_for_ingestion_to_reject(make_client, fake):
    fake.configure(malformed=frozenset({"negative"}), malformed_rate=0.3)
    readings = make_client().get_readings(162285, start=DAY_START, end=DAY_END).readings
    assert (readings["energy_kwh"] < 0).any() and len(readings) == 24


def test_duplicates_and_out_of_order_collapse(make_client, fake):
    client = make_client()
    clean = client.get_readings(162285, start=DAY_START, end=DAY_END).readings
    fake.configure(duplicates=True, out_of_order=True)
    messy = client.get_readings(162285, start=DAY_START, end=DAY_END).readings
    pd.testing.assert_frame_equal(messy, clean)


def test_boundary_record_is_kept(make_client, fake):
    fake.configure(end_inclusive=True)
    readings = make_client().get_readings(162285, start=DAY_START, end=DAY_END).readings
    assert len(readings) == 25 and readings["timestamp"].iloc[-1] == DAY_END


# --------------------------------------------------------------------------------------------
# Many windows
# --------------------------------------------------------------------------------------------


def test_fetch_readings_reports_failures_and_continues(make_client, fake):
    fake.enqueue(*[ScriptedResponse(status=500, path_prefix="/readings/162120")] * 3)
    windows = [(c, DAY_START, DAY_END) for c in (162119, 162120, 162121, 162127)]
    results = make_client().fetch_readings(windows)
    assert [r.status for r in results] == ["success", "failure", "success", "skipped"]
    assert [r.channel_id for r in results] == [162119, 162120, 162121, 162127]
    assert "HTTP 500" in results[1].error and results[1].readings.empty
    assert len(results[0].readings) == 24
    assert "failure" in repr(results[1])


def test_fetch_readings_empty_recent_windows(make_client, fake, clock):
    fake.configure(empty_recent_h=72)
    today = clock.now().tz_convert(TZ).normalize()
    results = make_client().fetch_readings([(162285, today - pd.DateOffset(days=2), today)])
    assert results[0].status == "empty" and results[0].error is None


def test_fetch_readings_raises_fatal_errors(make_client, fake):
    fake.configure(force_status=402)
    with pytest.raises(SubscriptionExpiredError):
        make_client().fetch_readings([(162285, DAY_START, DAY_END)] * 2)


def test_fetch_readings_a_spent_429_budget_fails_only_its_window(make_client, fake, clock):
    fake.enqueue(*retry_after("3", 11, "/readings/162120"))
    windows = [(c, DAY_START, DAY_END) for c in (162119, 162120, 162121)]
    results = make_client().fetch_readings(windows)
    assert [r.status for r in results] == ["success", "failure", "success"]
    assert results[1].error.startswith("Eniscope rate limit on GET /readings/162120: HTTP 429 11")
    assert "\n" not in results[1].error
    assert clock.sleeps == [3.0] * 10


def test_fetch_readings_stops_on_a_retry_after_beyond_five_minutes(make_client, fake):
    fake.enqueue(*retry_after("301", 1, "/readings/162120"))
    windows = [(c, DAY_START, DAY_END) for c in (162119, 162120, 162121)]
    with pytest.raises(RetryAfterTooLong, match="Retry-After is 301 s"):
        make_client().fetch_readings(windows)


def test_fetch_readings_bounded_concurrency(make_client, fake):
    client = make_client(max_concurrency=3)
    client.transport.hold(3)  # the first three requests wait until all three are in flight
    results = client.fetch_readings([(c, DAY_START, DAY_END) for c in WILSON])
    assert [r.channel_id for r in results] == list(WILSON)
    assert all(r.status == "success" and len(r.readings) == 24 for r in results)
    assert client.transport.peak == 3  # reached, and never exceeded


# --------------------------------------------------------------------------------------------
# Secrets
# --------------------------------------------------------------------------------------------


def test_secrets_never_reach_logs_errors_or_reprs(make_client, fake, caplog, spec_md5, spec_basic):
    caplog.set_level(logging.DEBUG)
    texts = []
    client = make_client()
    fake.configure(token_max_uses=1)
    fake.enqueue(
        ScriptedResponse(status=429),
        ScriptedResponse(
            status=500, body=f"echo {DEFAULT_API_KEY} {spec_basic}", path_prefix="/readings"
        ),
    )
    client.login()
    client.get_readings(162285, start=DAY_START, end=DAY_END)
    texts += [repr(client), repr(client.config), str(client.config), repr(fake.request_log)]
    fake.configure(token_max_uses=None)
    fake.enqueue(
        ScriptedResponse(status=403, body=f"bad key {DEFAULT_API_KEY} for {DEFAULT_EMAIL}")
    )
    errors = []
    for failing in (
        make_client(),
        make_client(password="wrong"),
        make_client(api_key="f" * 32),
        make_client(base_url="http://127.0.0.1:9"),
    ):
        with pytest.raises(EniscopeError) as info:
            failing.login()
        errors.append(info.value)
        texts += [str(info.value), repr(info.value), repr(failing)]
    assert "bad key [REDACTED] for [REDACTED]" in str(errors[0])  # the echo was scrubbed
    assert [type(e) for e in errors] == [
        AccessDeniedError,
        AccessDeniedError,
        AuthenticationError,
        TransportError,
    ]
    texts.append(caplog.text)
    blob = "\n".join(texts)
    tokens = client.transport.tokens
    assert len(tokens) >= 2  # the token was replaced mid-run
    secrets = [
        DEFAULT_API_KEY,
        DEFAULT_PASSWORD,
        spec_md5,
        spec_basic.split()[1],
        DEFAULT_EMAIL,
        *tokens,
    ]
    for secret in secrets:
        assert secret not in blob
    assert "headers=" in caplog.text and "[REDACTED]" in caplog.text  # the debug dump exists


def _json(body) -> str:
    return json.dumps(body)
