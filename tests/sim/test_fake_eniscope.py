"""The fake Eniscope server over real loopback HTTP (API spec section 10), without the client.

Delays and hangs are recorded on a ManualClock passed as the server's ``sleep``: no test waits
in real time.
"""

from __future__ import annotations

import json
import threading
from email.utils import parsedate_to_datetime

import numpy as np
import pandas as pd
import pytest
import requests

from argo_lib.sim import CHANNEL_METADATA, Fault, simulate_readings
from argo_lib.sim.fake_eniscope import (
    DEFAULT_API_KEY,
    FakeEniscope,
    Faults,
    ManualClock,
    RateLimit,
    ScriptedResponse,
    channel_records,
    device_records,
    main,
    server,
)

# Tolerances, named for why they are what they are.
WIRE_RTOL = 1e-12  # W ↔ kW round trips through JSON floats: only float rounding may differ
AGG_ATOL_WH = 1e-6  # sums and means of a handful of base intervals

BASIC = "Basic YXBpQHNvbWVvcmcuY29tOjMxNDM1MDA4NjkzY2U2OTc2ZjQ1ZGVkYzU1MzJlMmMx"  # spec test vector
TZ = "America/New_York"
NOW = "2026-12-01T12:00:00Z"
DAY = (
    int(pd.Timestamp("2025-12-01", tz=TZ).timestamp()),
    int(pd.Timestamp("2025-12-02", tz=TZ).timestamp()),
)
HEADERS = {"X-Eniscope-API": DEFAULT_API_KEY, "Authorization": BASIC}


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
def fake(clock):
    server = FakeEniscope(clock=clock.now)
    with server:
        yield server


def get(fake, path, *, headers=None, **kwargs):
    return requests.get(
        fake.url + path, headers=HEADERS if headers is None else headers, timeout=5, **kwargs
    )


def readings_path(
    channel=162285, *, start=DAY[0], end=DAY[1], res="3600", codes=("E", "P"), extra=""
):
    fields = "&".join(f"fields[]={c}" for c in codes)
    window = f"daterange[]={start}&daterange[]={end}"
    return f"/readings/{channel}?action=summarize&res={res}&showCounters=0&{window}&{fields}{extra}"


# --------------------------------------------------------------------------------------------
# Lifecycle and binding
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host", ["0.0.0.0", "10.1.2.3", "example.org", "::1"], ids=["any", "lan", "name", "ipv6"]
)
def test_refuses_non_loopback_hosts(host):
    with pytest.raises(ValueError, match="loopback"):
        FakeEniscope(host=host)


def test_context_manager_yields_loopback_url_and_releases_it():
    server = FakeEniscope(clock=NOW)
    with server as url:
        assert url.startswith("http://127.0.0.1:")
        assert int(url.rsplit(":", 1)[1]) > 0
        assert requests.get(url + "/organizations", headers=HEADERS, timeout=5).status_code == 200
    assert server.url is None
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/organizations", headers=HEADERS, timeout=2)


def test_naive_clock_is_rejected():
    with pytest.raises(ValueError, match="naive"):
        FakeEniscope(clock="2025-12-01T00:00:00")


# --------------------------------------------------------------------------------------------
# Paths and auth
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/organizations", "/organizations/", "/v1/1/organizations", "/v1/1/organizations/"],
    ids=["bare", "bare-slash", "v1", "v1-slash"],
)
def test_both_path_forms_answer(fake, path):
    response = get(fake, path)
    assert response.status_code == 200
    assert response.json()["organizations"][0]["organizationId"] == "23271"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api?action=login&apikey=secret", 403),
        ("/api/", 403),
        ("/points", 404),
        ("/devices/1/points", 404),
        ("/", 404),
    ],
    ids=["legacy-login", "legacy-root", "points", "device-points", "root"],
)
def test_non_core_paths(fake, path, status):
    response = get(fake, path)
    assert response.status_code == status
    if path.startswith("/api"):
        assert response.content == b""


def test_legacy_query_credentials_are_redacted_in_log(fake):
    get(fake, "/api?action=login&apikey=0123456789abcdef0123456789abcdef&password=hunter2")
    entry = fake.request_log[-1]
    assert entry.params["apikey"] == ("[REDACTED]",)
    assert entry.params["password"] == ("[REDACTED]",)
    assert "hunter2" not in repr(fake.request_log)
    assert DEFAULT_API_KEY not in repr(fake.request_log)


AUTH_CASES = [
    ({}, 401, "none"),
    ({"Authorization": BASIC}, 401, "basic"),
    ({"X-Eniscope-API": "f" * 32, "Authorization": BASIC}, 401, "basic"),
    ({"X-Eniscope-API": DEFAULT_API_KEY}, 401, "none"),
    ({"X-Eniscope-API": DEFAULT_API_KEY, "Authorization": "Basic " + "x" * 12}, 403, "basic"),
    ({"X-Eniscope-API": DEFAULT_API_KEY, "Authorization": "Basic bm90OnJpZ2h0"}, 403, "basic"),
    ({"X-Eniscope-API": DEFAULT_API_KEY, "Authorization": "Bearer abc"}, 401, "basic"),
    ({"X-Eniscope-API": DEFAULT_API_KEY, "X-Eniscope-Token": "made-up"}, 401, "token"),
    ({"X-Eniscope-API": DEFAULT_API_KEY, "Authorization": BASIC}, 200, "basic"),
]


@pytest.mark.parametrize(
    ("headers", "status", "mode"),
    AUTH_CASES,
    ids=[
        "nothing",
        "no-key",
        "wrong-key",
        "key-only",
        "garbled-basic",
        "wrong-basic",
        "bearer",
        "unknown-token",
        "valid-basic",
    ],
)
def test_auth_rules(fake, headers, status, mode):
    response = get(fake, "/organizations", headers=headers)
    assert response.status_code == status
    assert ("X-Eniscope-Token" in response.headers) == (status == 200)
    assert fake.request_log[-1].auth == mode
    assert fake.request_log[-1].status == status


def test_token_from_basic_then_reused(fake):
    first = get(fake, "/organizations")
    token = first.headers["x-eniscope-token"]
    assert len(token) == 32
    again = get(
        fake,
        "/channels?organization=23271",
        headers={"X-Eniscope-API": DEFAULT_API_KEY, "X-Eniscope-Token": token},
    )
    assert again.status_code == 200
    assert "X-Eniscope-Token" not in again.headers
    assert "x-eniscope-token" not in json.dumps(again.json()).lower()
    second = get(fake, "/organizations")
    assert second.headers["X-Eniscope-Token"] != token  # a fresh token per Basic login
    assert token not in repr(fake.request_log)


@pytest.mark.parametrize("status", [401, 419], ids=["401", "419"])
def test_token_expires_by_time(fake, clock, status):
    fake.configure(token_ttl_s=60, token_expired_status=status)
    token = get(fake, "/organizations").headers["X-Eniscope-Token"]
    token_headers = {"X-Eniscope-API": DEFAULT_API_KEY, "X-Eniscope-Token": token}
    clock.advance(59)
    assert get(fake, "/organizations", headers=token_headers).status_code == 200
    clock.advance(1)
    assert get(fake, "/organizations", headers=token_headers).status_code == status


def test_token_expires_by_uses(fake):
    fake.configure(token_max_uses=2)
    token = get(fake, "/organizations").headers["X-Eniscope-Token"]
    token_headers = {"X-Eniscope-API": DEFAULT_API_KEY, "X-Eniscope-Token": token}
    statuses = [get(fake, "/organizations", headers=token_headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 401]


def test_expire_tokens_forgets_all(fake):
    token = get(fake, "/organizations").headers["X-Eniscope-Token"]
    fake.expire_tokens()
    response = get(
        fake,
        "/organizations",
        headers={"X-Eniscope-API": DEFAULT_API_KEY, "X-Eniscope-Token": token},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    "path",
    ["/organizations/18000", "/channels?organization=18000", "/meters?organization=1"],
    ids=["org", "channels", "meters"],
)
def test_other_organizations_are_forbidden(fake, path):
    assert get(fake, path).status_code == 403


def test_blocked_user_agent(fake):
    fake.configure(blocked_user_agent=r"python-requests")
    assert (
        get(
            fake, "/organizations", headers={**HEADERS, "User-Agent": "python-requests/2.32"}
        ).status_code
        == 403
    )
    assert (
        get(fake, "/organizations", headers={**HEADERS, "User-Agent": "Mozilla/5.0"}).status_code
        == 200
    )


@pytest.mark.parametrize("status", [402, 412], ids=["subscription", "precondition"])
def test_forced_status(fake, status):
    fake.configure(force_status=status)
    response = get(fake, "/organizations")
    assert response.status_code == status
    assert "X-Eniscope-Token" not in response.headers


# --------------------------------------------------------------------------------------------
# Lists
# --------------------------------------------------------------------------------------------


def test_channels_serve_the_full_site_as_strings(fake):
    body = get(fake, "/channels?organization=23271&limit=100").json()
    records = body["channels"]
    assert len(records) == len(CHANNEL_METADATA) == 20
    ids = {int(r["dataChannelId"]) for r in records}
    assert {162119, 162120, 162121, 162122, 162123, 162285, 162319, 162320} <= ids
    assert {162127, 162141, 162277, 158694, 159024} <= ids
    for record in records:
        assert isinstance(record["dataChannelId"], str)
        assert isinstance(record["status"], str)
        assert isinstance(record["registered"], str) and record["registered"].isdigit()
    assert body["meta"] == {
        "currentPage": 1,
        "recordsPerPage": 100,
        "recordCount": 20,
        "pageCount": 1,
    }


@pytest.mark.parametrize(
    ("query", "count", "per_page", "page", "page_count"),
    [
        ("", 20, 20, 1, 1),
        ("&limit=7", 7, 7, 1, 3),
        ("&limit=7&page=3", 6, 7, 3, 3),
        ("&limit=7&page=4", 0, 7, 4, 3),
        ("&limit=500", 20, 100, 1, 1),
    ],
    ids=["default-20", "limit-7", "last-page", "past-end", "clamped-100"],
)
def test_pagination(fake, query, count, per_page, page, page_count):
    body = get(fake, "/channels?organization=23271" + query).json()
    assert len(body["channels"]) == count
    assert body["meta"] == {
        "currentPage": page,
        "recordsPerPage": per_page,
        "recordCount": 20,
        "pageCount": page_count,
    }


def test_pages_are_disjoint_and_complete(fake):
    pages = [
        get(fake, f"/channels?organization=23271&limit=7&page={p}").json()["channels"]
        for p in (1, 2, 3)
    ]
    ids = [r["dataChannelId"] for page in pages for r in page]
    assert len(ids) == len(set(ids)) == 20


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("name=*Kitchen*", {162285, 162319, 162277}),
        ("name=*kitchen main*", {162285}),
        ("id=162285&id=162320", {162285, 162320}),
        ("name=RTU-*&name=!RTU-2*", None),  # OR of a pattern and a negation: everything matches
        ("displayedPhase=system&name=AHU*", {162121, 162122, 162123}),
    ],
    ids=["wildcard", "case-insensitive", "repeated-or", "negation", "combined"],
)
def test_channel_filters(fake, query, expected):
    records = get(fake, f"/channels?organization=23271&limit=100&{query}").json()["channels"]
    ids = {int(r["dataChannelId"]) for r in records}
    if expected is None:
        assert len(ids) == 20
    else:
        assert ids == expected


def test_single_resources_are_bare_objects(fake):
    channel = get(fake, "/channels/162285").json()
    assert channel["dataChannelId"] == "162285"
    assert channel["channelName"] == "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr"
    assert get(fake, "/channels/1").status_code == 404
    assert get(fake, "/organizations/23271").json()["timeZone"] == TZ


def test_devices_and_meters(fake):
    devices = get(fake, "/devices?organization=23271&limit=100").json()["devices"]
    assert {d["deviceTypeName"] for d in devices} >= {
        "Eniscope 8 Hybrid",
        "Eniscope 8 Hybrid Metering Point",
        "Air Sense",
    }
    meters = get(fake, "/meters?organization=23271&limit=100").json()["meters"]
    assert meters and all(isinstance(m["ct"], str) for m in meters)


def test_options_lists_filters(fake):
    response = requests.options(
        fake.url + "/devices/", headers={**HEADERS, "Accept": "text/json"}, timeout=5
    )
    assert response.status_code == 200
    assert "organization" in response.json()["filters"]


# --------------------------------------------------------------------------------------------
# Readings: query parsing and validation
# --------------------------------------------------------------------------------------------


def test_literal_and_percent_encoded_brackets_agree(fake):
    literal = get(fake, readings_path()).json()
    encoded = get(fake, readings_path().replace("[]", "%5B%5D")).json()
    assert literal == encoded
    assert len(literal["records"]) == 24
    assert fake.request_log[-1].params["fields[]"] == ("E", "P")
    assert fake.request_log[-1].query.count("fields%5B%5D=") == 2  # raw query as received


@pytest.mark.parametrize(
    ("path", "invalid_parameter"),
    [
        (f"/readings/162285?res=3600&daterange[]={DAY[0]}&daterange[]={DAY[1]}", False),
        (readings_path(res="120"), True),
        (readings_path(res="hourly"), True),
        (readings_path(start="2025-12-01x"), True),
        (f"/readings/162285?res=3600&daterange[]={DAY[0]}&fields[]=E", True),
        (readings_path(start=DAY[1], end=DAY[0]), True),
        (readings_path(start=DAY[0], end=DAY[0]), True),
        ("/readings/162285?res=3600&daterange=last_week&fields[]=E", True),
        (readings_path(extra="&action=sum"), True),
    ],
    ids=[
        "no-fields",
        "res-120",
        "res-word",
        "bad-date",
        "one-bound",
        "reversed",
        "empty",
        "named-underscore",
        "bad-action",
    ],
)
def test_readings_validation(fake, path, invalid_parameter):
    response = get(fake, path)
    assert response.status_code == 500
    assert ("Invalid Parameter" in response.text) == invalid_parameter


@pytest.mark.parametrize("channel", [162127, 162141], ids=["reference-site", "home-test-site"])
def test_virtual_channels_always_fail(fake, channel):
    response = get(fake, readings_path(channel))
    assert response.status_code == 500
    assert "Invalid Parameter" in response.text


def test_air_sense_refuses_energy_fields(fake):
    assert get(fake, readings_path(162277, codes=("E",))).status_code == 500
    response = get(fake, readings_path(162277, codes=("T", "RH")))
    assert response.status_code == 200
    assert response.json()["records"] == []


def test_unknown_channel_is_404(fake):
    assert get(fake, readings_path(123)).status_code == 404


def test_named_range_resolves_in_site_time(fake, clock):
    body = get(fake, "/readings/162285?res=3600&daterange=yesterday&fields[]=E").json()
    local_yesterday = pd.Timestamp(NOW).tz_convert(TZ).normalize() - pd.DateOffset(days=1)
    assert body["from"] == int(local_yesterday.timestamp())
    assert len(body["records"]) == 24


def test_date_string_range_is_site_local_days(fake):
    body = get(fake, readings_path(start="2025-12-01", end="2025-12-03")).json()
    assert body["from"] == DAY[0]
    assert len(body["records"]) == 48


def test_channel_records_use_wire_format():
    records = channel_records()
    assert len(records) == 20
    for rec in records:
        assert isinstance(rec["dataChannelId"], str) and rec["dataChannelId"].isdigit()
        assert rec["organizationId"] == "23271"
        assert len(rec["uuId"]) == 16
    devices = device_records()
    assert {r["deviceId"] for r in records} <= {d["deviceId"] for d in devices}


# --------------------------------------------------------------------------------------------
# Readings: values
# --------------------------------------------------------------------------------------------


def _sim(channel, start, end, res):
    sim = simulate_readings(
        start=start, end=end, resolution_s=res, channels=[channel], fields="all"
    )
    return sim.readings


def test_wire_values_are_simulator_values_in_api_units(fake):
    body = get(fake, readings_path(codes=("E", "P", "V", "PF", "Q", "S", "I", "E1"))).json()
    records = pd.DataFrame(body["records"])
    sim = _sim(
        162285,
        pd.Timestamp(DAY[0], unit="s", tz="UTC"),
        pd.Timestamp(DAY[1], unit="s", tz="UTC"),
        3600,
    )
    assert records["ts"].tolist() == (sim["timestamp"].astype("int64") // 10**6).tolist()
    np.testing.assert_allclose(records["E"], sim["energy_kwh"] * 1000, rtol=WIRE_RTOL)
    np.testing.assert_allclose(records["P"], sim["power_kw"] * 1000, rtol=WIRE_RTOL)
    np.testing.assert_allclose(records["V"], sim["voltage_v"], rtol=WIRE_RTOL)
    np.testing.assert_allclose(records["Q"], sim["reactive_power_kvar"] * 1000, rtol=WIRE_RTOL)
    np.testing.assert_allclose(records["E1"], sim["energy_kwh_p1"] * 1000, rtol=WIRE_RTOL)
    assert body["units"] == {
        "E": "Wh",
        "P": "W",
        "V": "V",
        "PF": "-",
        "Q": "VAr",
        "S": "VA",
        "I": "A",
        "E1": "Wh",
    }
    assert records["ts"].iloc[0] == 1764565200  # 00:00 America/New_York, the interval start


def test_unsupported_code_is_null_and_cost_absent_without_tariff(fake):
    body = get(fake, readings_path(codes=("E", "CO2", "cost"))).json()
    assert all(r["CO2"] is None for r in body["records"])
    assert all("cost" not in r for r in body["records"])
    assert "cost" not in body["units"]


def test_tariff_adds_cost(fake):
    fake.configure(tariff_rate_per_kwh=0.2)
    body = get(fake, readings_path(codes=("E", "cost"))).json()
    for record in body["records"]:
        assert record["cost"] == pytest.approx(record["E"] / 1000 * 0.2, rel=WIRE_RTOL)


def test_overlapping_windows_are_identical(fake):
    a = get(fake, readings_path(start=DAY[0], end=DAY[0] + 2 * 86400, res="900")).json()["records"]
    b = get(fake, readings_path(start=DAY[0] + 86400, end=DAY[0] + 3 * 86400, res="900")).json()[
        "records"
    ]
    overlap_a = [r for r in a if r["ts"] >= DAY[0] + 86400]
    overlap_b = [r for r in b if r["ts"] < DAY[0] + 2 * 86400]
    assert len(overlap_a) == 96
    assert overlap_a == overlap_b


def test_aggregation_sums_counters_and_averages_instants(fake):
    base = pd.DataFrame(
        get(fake, readings_path(res="900", codes=("E", "P", "V"))).json()["records"]
    )
    for res in ("1800", "3600"):
        agg = pd.DataFrame(
            get(fake, readings_path(res=res, codes=("E", "P", "V"))).json()["records"]
        )
        key = base["ts"] // int(res) * int(res)
        expected = base.groupby(key).agg({"E": "sum", "P": "mean", "V": "mean"})
        np.testing.assert_allclose(agg["E"], expected["E"], atol=AGG_ATOL_WH)
        np.testing.assert_allclose(agg["P"], expected["P"], atol=AGG_ATOL_WH)
        np.testing.assert_allclose(agg["V"], expected["V"], atol=AGG_ATOL_WH)
    auto = get(fake, readings_path(res="auto")).json()["records"]
    assert len(auto) == 24 and auto[1]["ts"] - auto[0]["ts"] == 3600


def test_minute_resolution_subdivides(fake):
    base = get(fake, readings_path(res="900", end=DAY[0] + 3600)).json()["records"]
    minute = pd.DataFrame(get(fake, readings_path(res="60", end=DAY[0] + 3600)).json()["records"])
    assert len(minute) == 60
    np.testing.assert_allclose(minute["E"].iloc[:15], base[0]["E"] / 15, rtol=WIRE_RTOL)
    assert (minute["P"].iloc[:15] == base[0]["P"]).all()


@pytest.mark.parametrize(
    ("day", "hours"),
    [("2025-11-02", 25), ("2026-03-08", 23), ("2026-11-01", 25), ("2025-12-01", 24)],
    ids=["fall-2025", "spring-2026", "fall-2026", "ordinary"],
)
def test_dst_days_have_23_or_25_hours(fake, day, hours):
    start = pd.Timestamp(day, tz=TZ)
    end = start + pd.DateOffset(days=1)
    hourly = get(
        fake, readings_path(start=int(start.timestamp()), end=int(end.timestamp()))
    ).json()["records"]
    assert len(hourly) == hours
    daily = get(
        fake, readings_path(start=int(start.timestamp()), end=int(end.timestamp()), res="86400")
    ).json()["records"]
    assert len(daily) == 1
    assert daily[0]["ts"] == int(start.timestamp())  # buckets start at local midnight
    assert daily[0]["E"] == pytest.approx(sum(r["E"] for r in hourly), rel=1e-9)


def test_spring_2025_is_before_installation(fake):
    start = pd.Timestamp("2025-03-09", tz=TZ)
    body = get(
        fake,
        readings_path(
            start=int(start.timestamp()), end=int((start + pd.DateOffset(days=1)).timestamp())
        ),
    ).json()
    assert body["records"] == []


def test_no_data_before_install_or_after_now_minus_lag(clock):
    with FakeEniscope(clock=clock.now, lag_s=2 * 3600) as url:
        start = int(pd.Timestamp("2025-04-28", tz=TZ).timestamp())
        body = requests.get(
            url + readings_path(start=start, end=start + 2 * 86400), headers=HEADERS, timeout=5
        ).json()
        assert body["records"][0]["ts"] == int(pd.Timestamp("2025-04-29", tz=TZ).timestamp())
        assert len(body["records"]) == 24
        now = int(pd.Timestamp(NOW).timestamp())
        body = requests.get(
            url + readings_path(start=now - 6 * 3600, end=now + 3600), headers=HEADERS, timeout=5
        ).json()
        assert [r["ts"] for r in body["records"]] == [now - 6 * 3600 + 3600 * h for h in range(4)]


def test_show_counters_gives_a_monotonic_register(fake):
    deltas = get(fake, readings_path()).json()["records"]
    registers = get(fake, readings_path().replace("showCounters=0", "showCounters=1")).json()[
        "records"
    ]
    values = np.array([r["E"] for r in registers])
    assert (np.diff(values) > 0).all()
    np.testing.assert_allclose(np.diff(values), [r["E"] for r in deltas[1:]], rtol=1e-9)
    assert values[0] > deltas[0]["E"] * 24 * 30  # months of history since installation


def test_action_total(fake):
    hourly = get(fake, readings_path()).json()["records"]
    total = get(fake, readings_path(extra="&action=total").replace("action=summarize&", "")).json()[
        "records"
    ]
    assert len(total) == 1
    assert total[0]["E"] == pytest.approx(sum(r["E"] for r in hourly), rel=1e-9)
    assert total[0]["P"] == pytest.approx(np.mean([r["P"] for r in hourly]), rel=1e-9)


def test_action_averageday(fake):
    start, end = DAY[0], DAY[0] + 7 * 86400
    week = pd.DataFrame(get(fake, readings_path(start=start, end=end)).json()["records"])
    profile = get(
        fake, readings_path(start=start, end=end).replace("summarize", "averageday")
    ).json()["records"]
    assert len(profile) == 24
    assert profile[0]["E"] == pytest.approx(week["E"].iloc[::24].mean(), rel=1e-9)


def test_end_inclusive_adds_boundary_record(fake):
    fake.configure(end_inclusive=True)
    records = get(fake, readings_path()).json()["records"]
    assert len(records) == 25
    assert records[-1]["ts"] == DAY[1]


def test_empty_records_for_recent_windows(fake):
    fake.configure(empty_recent_h=72)
    now = int(pd.Timestamp(NOW).timestamp())
    assert get(fake, readings_path(start=now - 2 * 86400, end=now - 86400)).json()["records"] == []
    assert len(get(fake, readings_path()).json()["records"]) == 24


# --------------------------------------------------------------------------------------------
# Injected faults
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form", ["seconds", "http-date", "absent"], ids=["seconds", "http-date", "absent"]
)
def test_rate_limit_storm(fake, clock, form):
    fake.configure(rate_limit=RateLimit(max_requests=2, window_s=30, retry_after=form))
    statuses = [get(fake, "/organizations") for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    header = statuses[2].headers.get("Retry-After")
    if form == "seconds":
        assert header == "30"
    elif form == "http-date":
        when = parsedate_to_datetime(header)
        assert when.timestamp() == pytest.approx(pd.Timestamp(NOW).timestamp() + 30, abs=1)
    else:
        assert header is None
    clock.advance(30)
    assert get(fake, "/organizations").status_code == 200


def test_rate_limit_fixed_retry_after(fake):
    fake.configure(rate_limit=RateLimit(max_requests=0, window_s=60, retry_after_s=301))
    response = get(fake, "/organizations")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "301"


def test_fail_first_per_channel(fake):
    fake.configure(fail_first=2, error_status=503)
    assert [get(fake, readings_path(162285)).status_code for _ in range(3)] == [503, 503, 200]
    assert get(fake, readings_path(162320)).status_code == 503
    assert get(fake, "/organizations").status_code == 200  # lists are not affected


def test_error_rate_is_seeded(clock):
    def statuses():
        with FakeEniscope(clock=clock.now, faults=Faults(error_rate=0.5, error_status=502)) as url:
            return [
                requests.get(url + "/organizations", headers=HEADERS, timeout=5).status_code
                for _ in range(12)
            ]

    first = statuses()
    assert first == statuses()
    assert {200, 502} == set(first)


def test_scripted_queue_is_served_in_order_and_by_path(fake):
    fake.enqueue(
        ScriptedResponse(status=500, body="Invalid Parameter", path_prefix="/readings/162320"),
        ScriptedResponse(status=502),
        ScriptedResponse(status=200, corrupt="truncated"),
        ScriptedResponse(status=200, corrupt="non_json"),
    )
    first = get(fake, readings_path(162285))
    assert first.status_code == 502  # the 162320 entry waits for its path
    truncated = get(fake, "/organizations")
    assert truncated.status_code == 200
    with pytest.raises(ValueError):
        truncated.json()
    assert get(fake, "/organizations").text.startswith("<html>")
    assert "Invalid Parameter" in get(fake, readings_path(162320)).text
    assert get(fake, "/organizations").status_code == 200


@pytest.mark.parametrize("kind", ["truncated", "non_json"], ids=["truncated", "non-json"])
def test_persistent_body_fault(fake, kind):
    fake.configure(body_fault=kind)
    response = get(fake, "/organizations")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        json.loads(response.content)


@pytest.fixture
def timed(clock):
    """A fake whose delays go to ``clock.sleeps`` instead of real time."""
    server_ = FakeEniscope(clock=clock.now, sleep=clock.sleep)
    with server_:
        yield server_


def test_delay_and_hang_hold_the_answer_back(timed, clock):
    timed.configure(delay_s=0.2)
    assert get(timed, "/organizations").status_code == 200
    assert clock.sleeps == [0.2]  # the answer waited 0.2 s before it was sent
    timed.configure(delay_s=0.0, hang_s=5.0)
    assert get(timed, "/organizations").status_code == 200
    read_timeout_s = 0.3
    assert clock.sleeps[1:] == [5.0] and clock.sleeps[1] > read_timeout_s  # a client times out


def test_jittered_delay_stays_within_bounds(timed, clock):
    timed.configure(delay_s=0.05, delay_jitter_s=0.1)
    for _ in range(20):
        get(timed, "/organizations")
    assert all(0.05 <= s <= 0.15 for s in clock.sleeps) and len(clock.sleeps) == 20
    assert len(set(clock.sleeps)) > 1  # jittered, not constant


def test_scripted_delay_adds_to_the_configured_one(timed, clock):
    timed.configure(delay_s=0.1)
    timed.enqueue(ScriptedResponse(status=200, delay_s=1.0))
    assert get(timed, "/organizations").status_code == 200
    assert clock.sleeps == [pytest.approx(1.1)]


def _raw(fake, **faults):
    fake.configure(**faults)
    return json.loads(get(fake, readings_path(codes=("E", "P", "V"))).content, parse_constant=str)


@pytest.mark.parametrize(
    ("kind", "check"),
    [
        ("null", lambda rs, b: any(r.get("E", 0) is None for r in rs)),
        ("string_numbers", lambda rs, b: any(isinstance(r.get("E"), str) for r in rs)),
        ("nan_string", lambda rs, b: any(r.get("P") == "NaN" for r in rs)),
        ("empty_string", lambda rs, b: any(r.get("V") == "" for r in rs)),
        ("infinity", lambda rs, b: any(r.get("P") == "Infinity" for r in rs)),
        ("negative", lambda rs, b: any(isinstance(r.get("E"), float) and r["E"] < 0 for r in rs)),
        ("ts_string", lambda rs, b: any(isinstance(r.get("ts"), str) for r in rs)),
        ("missing_ts", lambda rs, b: any("ts" not in r for r in rs)),
        ("extra_keys", lambda rs, b: all("kW" in r for r in rs) and "siteInfo" in b),
        ("missing_units", lambda rs, b: "units" not in b),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_malformed_values(fake, kind, check):
    clean = _raw(fake)
    assert not check(clean["records"], clean)
    body = _raw(fake, malformed=frozenset({kind}), malformed_rate=0.3)
    assert check(body["records"], body)
    assert len(body["records"]) == 24


def test_unknown_malformed_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown malformed"):
        Faults(malformed=frozenset({"bogus"}))


def test_duplicates_and_out_of_order(fake):
    clean = _raw(fake)["records"]
    messy = _raw(fake, duplicates=True, out_of_order=True)["records"]
    assert len(messy) > len(clean)
    ts = [r["ts"] for r in messy]
    assert ts != sorted(ts)
    assert {r["ts"]: r for r in messy} == {r["ts"]: r for r in clean}


def test_site_faults_come_from_the_simulator(clock):
    start = pd.Timestamp(DAY[0], unit="s", tz="UTC")
    gap = Fault(
        channel_id=162285,
        kind="gap",
        start=start + pd.Timedelta(hours=3),
        end=start + pd.Timedelta(hours=6),
    )
    with FakeEniscope(clock=clock.now, site_faults=[gap]) as url:
        records = requests.get(url + readings_path(), headers=HEADERS, timeout=5).json()["records"]
    assert len(records) == 21
    assert DAY[0] + 4 * 3600 not in {r["ts"] for r in records}


def test_request_log_has_no_secrets(fake):
    token = get(fake, "/organizations").headers["X-Eniscope-Token"]
    get(
        fake,
        "/channels?organization=23271",
        headers={"X-Eniscope-API": DEFAULT_API_KEY, "X-Eniscope-Token": token},
    )
    get(fake, readings_path())
    log = fake.request_log
    assert [(e.method, e.path, e.auth, e.status) for e in log] == [
        ("GET", "/organizations", "basic", 200),
        ("GET", "/channels", "token", 200),
        ("GET", "/readings/162285", "basic", 200),
    ]
    assert log[2].params["daterange[]"] == (str(DAY[0]), str(DAY[1]))
    text = repr(log) + repr(fake)
    for secret in (
        DEFAULT_API_KEY,
        token,
        BASIC.split()[1],
        "31435008693ce6976f45dedc5532e2c1",
        "thisismypassword",
    ):
        assert secret not in text
    fake.clear_log()
    assert fake.request_log == []


def test_concurrent_requests(fake):
    results = []

    def worker():
        results.append(get(fake, readings_path()).status_code)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    assert results == [200] * 6


# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def test_main_serves_until_interrupted(monkeypatch, capsys):
    seen = {}

    def fake_wait(url):
        seen["status"] = requests.get(
            url + "/organizations", headers=HEADERS, timeout=5
        ).status_code
        raise KeyboardInterrupt

    monkeypatch.setattr(server, "_wait_forever", fake_wait)
    assert main(["--port", "0", "--now", NOW]) == 0
    assert seen["status"] == 200
    out = capsys.readouterr().out
    assert "ENISCOPE_API_URL=http://127.0.0.1:" in out


def test_main_refuses_public_host(capsys):
    assert main(["--host", "0.0.0.0"]) == 2
    assert "loopback" in capsys.readouterr().err


def test_main_help_names_port(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    assert "--port" in capsys.readouterr().out
