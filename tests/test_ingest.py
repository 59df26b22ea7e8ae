"""The ingestion pipeline against the fake Eniscope server, on both database backends."""

from __future__ import annotations

import random

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from argo_lib import db, ingest, simulate
from argo_lib.dates import Period, expected_index
from argo_lib.eniscope import EniscopeClient, EniscopeConfig, parse_channels
from argo_lib.fake_eniscope import (
    DEFAULT_API_KEY,
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    FakeEniscope,
    ManualClock,
    RateLimit,
    ScriptedResponse,
)
from argo_lib.fields import READING_COLUMNS

TZ = "America/New_York"
NOW = pd.Timestamp("2025-12-10T12:00Z")
START, END = "2025-12-01", "2025-12-03"  # two ordinary local days (no DST change)
CHANNELS = (162285, 162320)


class Interrupted(Exception):
    """Stands for a kill at some moment of a run."""


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
def fake(clock):
    server = FakeEniscope(clock=clock.now, seed=3)
    with server:
        yield server


def make_client(fake, clock, **options):
    config = EniscopeConfig(
        base_url=fake.url,
        api_key=DEFAULT_API_KEY,
        email=DEFAULT_EMAIL,
        password=options.pop("password", DEFAULT_PASSWORD),
        min_interval_s=0.0,
        max_concurrency=options.pop("max_concurrency", 2),
        **options,
    )
    return EniscopeClient(
        config,
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall_clock=clock.time,
        rng=random.Random(0),
    )


def sync(engine, client, **options):
    kwargs = {
        "channels": CHANNELS,
        "start": START,
        "end": END,
        "resolution_s": 3600,
        "now": NOW,
        "progress": False,
    } | options
    return ingest.sync_site(engine, client, "23271", **kwargs)


def source_readings(fake, clock, *, channels=CHANNELS, start=START, end=END, res=3600):
    """What the fake serves, fetched in one go by a fresh client (the reference)."""
    lo = pd.Timestamp(start, tz=TZ)
    hi = pd.Timestamp(end, tz=TZ)
    with make_client(fake, clock, max_concurrency=1, max_window_s=40 * 86400) as client:
        parts = [
            client.get_readings(c, start=lo, end=hi, resolution_s=res).readings for c in channels
        ]
    frame = pd.concat(parts, ignore_index=True)
    frame = frame[(frame["timestamp"] >= lo) & (frame["timestamp"] < hi)]
    return frame.reindex(columns=["timestamp", "channel_id", *READING_COLUMNS])


def stored_readings(engine, *, start=START, end=END):
    return db.read_readings(
        engine,
        site_id="23271",
        start=pd.Timestamp(start, tz=TZ),
        end=pd.Timestamp(end, tz=TZ),
        columns="all",
    )


def assert_same_readings(stored, expected):
    expected = expected.sort_values(["channel_id", "timestamp"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(stored.reset_index(drop=True), expected, check_exact=True)


# --------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "window_days", "hours"),
    [
        ("2025-11-01 12:00", "2025-11-04", 1, [12, 25, 24]),
        ("2025-03-08", "2025-03-10", 1, [24, 23]),
        ("2025-11-01", "2025-11-16", 7, [7 * 24 + 1, 7 * 24, 24]),
        ("2025-12-01", "2025-12-01 06:30", 1, [6.5]),
    ],
    ids=["fall-back-partial-start", "spring-forward", "week-windows", "partial-day"],
)
def test_windows_follow_site_local_days(start, end, window_days, hours):
    lo, hi = pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ)
    windows = ingest.plan_windows(lo, hi, tz=TZ, window_days=window_days)
    assert [(b - a) / pd.Timedelta(hours=1) for a, b in windows] == hours
    assert windows[0][0] == lo and windows[-1][1] == hi
    assert all(w[1] == n[0] for w, n in zip(windows[:-1], windows[1:], strict=True))
    assert all(b.tz_convert(TZ).hour == 0 for _, b in windows[:-1])


def test_non_energy_channels_are_recognised_from_metadata_and_configuration():
    channels = parse_channels(simulate.channel_records(organization_id="23271"))
    energy = ingest.classify_channels(channels, skip_channels=[158694])
    by_id = dict(zip(channels["channel_id"], energy, strict=True))
    assert not by_id[162127] and not by_id[162141] and not by_id[162277]  # virtual, air sense
    assert not by_id[158694]  # configured
    assert all(by_id[c.channel_id] for c in simulate.WILSON_CHANNELS)
    assert sum(energy) == len(channels) - 4
    # Unknown ids are judged by their metadata alone: nothing is keyed on an id.
    renamed = channels.assign(channel_id=channels["channel_id"] + 1_000_000)
    assert ingest.classify_channels(renamed).sum() == len(channels) - 3


_T0 = pd.Timestamp("2025-12-01T05:00Z")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("energy_kwh", -0.5, "energy_kwh outside [0, inf] kWh"),
        ("power_kw", -0.1, "power_kw outside [0, 5000] kW"),
        ("power_kw", 5000.5, "power_kw outside [0, 5000] kW"),
        ("voltage_v", 49.0, "voltage_v outside [50, 600] V"),
        ("voltage_v_p2", 601.0, "voltage_v_p2 outside [50, 600] V"),
        ("power_factor_p3", 1.2, "power_factor_p3 outside [-1, 1]"),
        ("frequency_hz", 70.0, "frequency_hz outside [55, 65] Hz"),
        ("thd_current_pct", 501.0, "thd_current_pct outside [0, 500] %"),
        ("neutral_current_a", -0.01, "neutral_current_a outside [0, inf] A"),
    ],
    ids=lambda v: str(v),
)
def test_an_impossible_value_keeps_its_row_out_with_the_reason(column, value, reason):
    frame = pd.DataFrame(
        {
            "timestamp": [_T0, _T0 + pd.Timedelta(hours=1)],
            "channel_id": 7,
            "energy_kwh": [1.0, np.nan],
            "power_kw": [1.0, 1.0],
        }
    )
    frame[column] = [value, np.nan]
    kept, rejected = ingest.validate_readings(frame)
    assert kept["timestamp"].tolist() == [_T0 + pd.Timedelta(hours=1)]
    assert np.isnan(kept["energy_kwh"].iloc[0])  # NULL stays NULL, never a reason
    assert rejected[["field", "raw_value"]].to_numpy().tolist() == [[column, str(value)]]
    assert rejected.loc[0, "reason"] == f"{reason}; row kept out"
    assert rejected.loc[0, "timestamp"] == _T0


def test_future_readings_beyond_one_interval_are_rejected_and_duplicates_collapse():
    frame = pd.DataFrame(
        {
            "timestamp": [_T0, _T0, _T0 + pd.Timedelta(hours=1), _T0 + pd.Timedelta(hours=2)],
            "channel_id": 7,
            "energy_kwh": [1.0, 2.0, 1.0, 1.0],
        }
    )
    kept, rejected = ingest.validate_readings(
        frame, now=_T0 + pd.Timedelta(minutes=30), resolution_s=3600
    )
    assert kept["energy_kwh"].tolist() == [2.0, 1.0]  # the last duplicate wins
    assert rejected["field"].tolist() == ["timestamp"]
    assert rejected.loc[0, "raw_value"] == "2025-12-01T07:00:00Z"


def test_profiles_configure_the_client():
    fast = ingest.SYNC_PROFILES["fast"].client_options()
    assert fast == {"min_interval_s": 0.0, "max_concurrency": 4, "max_window_s": 31 * 86400}
    polite = ingest.SYNC_PROFILES["polite"]
    assert (polite.window_days, polite.max_concurrency, polite.min_interval_s) == (1, 1, 1.0)
    with pytest.raises(ValueError, match="unknown sync profile 'quick'"):
        ingest.make_client(profile="quick")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"source": "ftp"}, "source must be 'eniscope', 'fake' or 'csv'"),
        ({"resolution_s": 600}, "resolution_s must be 900 or 3600"),
        ({"channels": "162285;x"}, "channels must be comma-separated channel ids"),
        ({"source": "csv"}, "source 'csv' needs csv_path"),
        ({"start": "2025-12-05", "end": "2025-12-01"}, "the period is empty"),
        ({"as_of": "2025-12-08 12:00"}, "as_of='2025-12-08 12:00' has no offset"),
    ],
    ids=["source", "resolution", "channels", "csv-without-file", "empty-period", "naive-as-of"],
)
def test_bad_run_parameters_are_refused_early(parameters, message):
    with pytest.raises(ValueError, match=message):
        ingest.IngestRun.from_parameters(site="23271", **parameters)


def test_run_parameters_resolve_days_in_site_local_time():
    run = ingest.IngestRun.from_parameters(
        site="wilson_center", days=7, as_of="2025-11-04T12:00:00Z", channels="162285, 162320"
    )
    assert run.period.start == pd.Timestamp("2025-10-28", tz=TZ)
    assert run.period.end == pd.Timestamp("2025-11-04T12:00Z")
    assert run.channels == (162285, 162320) and run.profile.name == "fast"
    assert run.resolution_s is None and "password" not in repr(run)


def test_daily_coverage_expects_the_real_length_of_each_day():
    period = Period(pd.Timestamp("2025-11-01 12:00", tz=TZ), pd.Timestamp("2025-11-03", tz=TZ))
    stamps = expected_index(period, resolution_s=3600)
    readings = pd.DataFrame({"timestamp": stamps[:-5], "channel_id": 1})
    coverage = ingest.daily_coverage(readings, period=period, resolution_s=3600, channel_ids=[2])
    assert coverage.index.tolist() == [1, 2]
    assert [str(d) for d in coverage.columns] == ["2025-11-01", "2025-11-02"]
    assert coverage.loc[1].tolist() == pytest.approx([1.0, 20 / 25])  # fall-back day: 25 h
    assert coverage.loc[2].tolist() == [0.0, 0.0]


# --------------------------------------------------------------------------------------------
# Sync against the fake server, both backends
# --------------------------------------------------------------------------------------------


def test_sync_round_trip_is_bit_for_bit_and_metadata_comes_first(engine, fake, clock):
    with make_client(fake, clock) as client:
        result = sync(engine, client, resolution_s=900)
    assert result.status == "ok" and result.exit_code == 0
    expected = source_readings(fake, clock, res=900)
    assert len(expected) == 2 * 2 * 96
    assert_same_readings(stored_readings(engine), expected)
    channels = db.read_channels(engine, site_id="23271").set_index("channel_id")
    assert len(channels) == len(simulate.CHANNEL_METADATA)
    assert not channels.loc[[162127, 162141, 162277], "is_energy"].any()
    assert channels.loc[list(CHANNELS), "resolution_s"].tolist() == [900, 900]
    assert channels.loc[162285, "name"] == "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr"
    with engine.connect() as conn:
        devices = conn.execute(sa.text("SELECT count(*) FROM devices")).scalar_one()
        windows = conn.execute(sa.text("SELECT count(*) FROM ingestion_windows")).scalar_one()
    assert devices == len({m.device_id for m in simulate.CHANNEL_METADATA})
    assert windows == 4
    run = db.read_runs(engine, site_id="23271").iloc[0]
    assert (run["status"], run["rows_received"], run["rows_written"]) == ("ok", 384, 384)
    assert (run["channels_requested"], run["channels_failed"], run["rows_rejected"]) == (2, 0, 0)
    assert db.read_sites(engine).loc[0, "currency"] == "USD"
    paths = [r.path for r in fake.request_log]
    assert paths[:2] == ["/organizations", "/channels"]  # metadata first


def test_a_repeated_sync_resumes_from_the_last_reading_minus_the_overlap(engine, fake, clock):
    with make_client(fake, clock) as client:
        sync(engine, client, start="2025-12-07", end=None)
        before = stored_readings(engine, end="2025-12-10")
        fake.clear_log()
        second = sync(engine, client, start="2025-12-07", end=None, overlap_h=30)
    last = before.groupby("channel_id")["timestamp"].max()
    expected_start = (last - pd.Timedelta(hours=30)).dt.tz_convert(TZ).dt.normalize()
    firsts = {}
    for r in fake.request_log:
        if r.path.startswith("/readings/"):
            channel = int(r.path.rsplit("/", 1)[1])
            firsts.setdefault(channel, int(r.params["daterange[]"][0]))
    assert firsts == {c: int(expected_start[c].timestamp()) for c in CHANNELS}
    assert second.channels["windows"].tolist() == [3, 3]
    pd.testing.assert_frame_equal(stored_readings(engine, end="2025-12-10"), before)
    assert len(db.read_runs(engine)) == 2


@pytest.mark.parametrize("stage", ["fetched", "rejected", "written"])
def test_an_interrupted_sync_repeated_until_complete_equals_the_source(engine, fake, clock, stage):
    fake.configure(malformed=frozenset({"negative", "nan_string"}), malformed_rate=0.05)
    calls = {}

    def kill_at_third_window(at, channel_id, start, end):
        if at == stage:
            calls[channel_id] = calls.get(channel_id, 0) + 1
            if calls[channel_id] == 3:
                raise Interrupted(f"killed while writing {channel_id} {start}")

    runs = 0
    with make_client(fake, clock) as client:
        while True:
            runs += 1
            calls.clear()
            try:
                result = sync(
                    engine, client, end="2025-12-04", overlap_h=0, on_window=kill_at_third_window
                )
                break
            except Interrupted:
                assert runs < 15, "the repeated sync makes no progress"
    assert runs >= 2 and result.status == "ok"
    expected, rejected = ingest.validate_readings(
        source_readings(fake, clock, end="2025-12-04"), now=NOW, resolution_s=3600
    )
    assert len(rejected) > 0
    assert_same_readings(stored_readings(engine, end="2025-12-04"), expected)
    stored_rejected = db.read_rejected(engine, site_id="23271")
    keys = ["channel_id", "timestamp", "field", "raw_value", "reason"]
    assert not stored_rejected.duplicated(keys).any()  # re-fetches did not record twice
    out_of_range = stored_rejected[stored_rejected["reason"].str.endswith("row kept out")]
    assert len(out_of_range) == len(rejected)
    assert (stored_rejected["reason"].str.startswith("not a number")).sum() > 0
    statuses = db.read_runs(engine, limit=50)["status"].tolist()
    assert statuses == ["ok"] + ["failed"] * (runs - 1)
    assert db.read_runs(engine, limit=50)["error"].iloc[1].startswith("Interrupted: killed")


def test_a_429_storm_slows_the_sync_down_but_loses_nothing(engine, fake, clock):
    fake.configure(rate_limit=RateLimit(max_requests=2, window_s=20))
    with make_client(fake, clock) as client:
        result = sync(engine, client, end="2025-12-04")
    assert result.status == "ok"
    assert sum(r.status == 429 for r in fake.request_log) >= 3
    assert sum(clock.sleeps) >= 40  # Retry-After was honoured on the shared clock
    fake.configure(rate_limit=None)
    expected = source_readings(fake, clock, end="2025-12-04")
    assert_same_readings(stored_readings(engine, end="2025-12-04"), expected)


def test_a_token_expiring_mid_run_is_renewed(engine, fake, clock):
    fake.configure(token_max_uses=2, token_expired_status=419)
    with make_client(fake, clock, max_concurrency=1) as client:
        result = sync(engine, client, end="2025-12-06")
    assert result.status == "ok"
    log = fake.request_log
    assert sum(r.status == 419 for r in log) >= 2
    assert sum(r.auth == "basic" and r.status == 200 for r in log) >= 3
    assert log[-1].auth == "token"  # and it goes on with the new token
    expected = source_readings(fake, clock, end="2025-12-06")
    assert_same_readings(stored_readings(engine, end="2025-12-06"), expected)


def test_a_failing_channel_does_not_stop_the_others(engine, fake, clock):
    fake.enqueue(*[ScriptedResponse(status=503, path_prefix="/readings/162320")] * 3)
    with make_client(fake, clock, max_concurrency=1) as client:
        result = sync(engine, client)
    assert (result.status, result.exit_code) == ("partial", 1)
    channels = result.channels.set_index("channel_id")
    assert channels.loc[162285, "status"] == "ok" and channels.loc[162285, "written"] == 48
    assert channels.loc[162320, "status"] == "failed"
    assert "ServerError" in channels.loc[162320, "error"]
    assert "1 later window(s) not written" in channels.loc[162320, "error"]
    failure = result.windows[result.windows["status"] == "failure"]
    assert failure["channel_id"].tolist() == [162320]
    run = db.read_runs(engine).iloc[0]
    assert (run["status"], run["channels_failed"]) == ("partial", 1)
    assert "channel 162320: ServerError" in run["error"]
    with make_client(fake, clock) as client:  # the next sync repairs it
        assert sync(engine, client).status == "ok"
    assert_same_readings(stored_readings(engine), source_readings(fake, clock))


def test_timeouts_and_malformed_json_are_retried_then_fail_only_their_channel(
    engine, fake, clock, make_transport
):
    # 162285: a read timeout, raised by the transport at once (no socket waits for it), then a
    # truncated body, then its data; 162320: three bodies that are not JSON, so only it fails.
    transport = make_transport()
    transport.fail("/readings/162285")  # requests.ReadTimeout, once
    fake.enqueue(
        ScriptedResponse(status=200, corrupt="truncated", path_prefix="/readings/162285"),
        *[ScriptedResponse(status=200, corrupt="non_json", path_prefix="/readings/162320")] * 3,
    )
    config = EniscopeConfig(
        base_url=fake.url,
        api_key=DEFAULT_API_KEY,
        email=DEFAULT_EMAIL,
        password=DEFAULT_PASSWORD,
        min_interval_s=0.0,
        max_concurrency=1,
    )
    with EniscopeClient(
        config, transport=transport, sleep=clock.sleep, clock=clock.monotonic, wall_clock=clock.time
    ) as client:
        result = sync(engine, client)
    assert transport.raised == [("/readings/162285", "ReadTimeout")]
    channels = result.channels.set_index("channel_id")
    assert result.status == "partial"
    assert channels.loc[162285, "status"] == "ok" and channels.loc[162285, "written"] == 48
    assert "InvalidResponseError" in channels.loc[162320, "error"]
    expected = source_readings(fake, clock, channels=[162285])
    assert_same_readings(stored_readings(engine), expected)


def test_null_negative_and_non_numeric_values(engine, fake, clock):
    fake.configure(
        malformed=frozenset({"null", "negative", "nan_string", "string_numbers"}),
        malformed_rate=0.1,
    )
    with make_client(fake, clock) as client:
        result = sync(engine, client)
    source = source_readings(fake, clock)
    expected, out_of_range = ingest.validate_readings(source, now=NOW, resolution_s=3600)
    stored = stored_readings(engine)
    assert_same_readings(stored, expected)
    assert stored["energy_kwh"].isna().sum() > 0  # null stays NULL, not 0
    assert (stored["energy_kwh"] == 0).sum() == (expected["energy_kwh"] == 0).sum()
    reasons = result.rejected["reason"]
    assert reasons.str.startswith("energy_kwh outside [0, inf] kWh").sum() == len(out_of_range)
    assert reasons.str.startswith("not a number (P [W]); stored as NULL").sum() > 0
    assert result.rows_rejected == len(result.rejected) == len(db.read_rejected(engine))
    assert db.read_runs(engine).loc[0, "rows_rejected"] == result.rows_rejected
    assert result.status == "ok"


def test_duplicate_out_of_order_and_boundary_records_collapse(engine, fake, clock):
    fake.configure(duplicates=True, out_of_order=True, end_inclusive=True)
    with make_client(fake, clock) as client:
        result = sync(engine, client)
    fake.configure(duplicates=False, out_of_order=False, end_inclusive=False)
    assert_same_readings(stored_readings(engine), source_readings(fake, clock))
    assert result.status == "ok" and result.rows_written == 2 * (48 + 2)  # + boundary records


def test_a_dst_week_has_169_hours(engine, fake, clock):
    with make_client(fake, clock) as client:
        result = sync(engine, client, start="2025-10-27", end="2025-11-03", channels=[162121])
    week = Period(pd.Timestamp("2025-10-27", tz=TZ), pd.Timestamp("2025-11-03", tz=TZ))
    stored = stored_readings(engine, start="2025-10-27", end="2025-11-03")
    assert len(stored) == 169
    assert stored["timestamp"].tolist() == list(expected_index(week, resolution_s=3600))
    assert result.windows["fetched"].tolist() == [24] * 6 + [25]
    coverage = ingest.read_daily_coverage(engine, site_id="23271", period=week)
    assert coverage.loc[162121].to_numpy().tolist() == [[1.0] * 7]


def test_a_resolution_change_fails_only_that_channel(engine, fake, clock):
    with make_client(fake, clock) as client:
        sync(engine, client, channels=[162285])
        result = sync(engine, client, resolution_s=900)
    channels = result.channels.set_index("channel_id")
    assert channels.loc[162285, "status"] == "failed"
    assert "has readings at 3600 s and cannot switch to 900 s" in channels.loc[162285, "error"]
    assert channels.loc[162320, "status"] == "ok" and channels.loc[162320, "written"] == 2 * 96
    assert result.status == "partial"


def test_non_energy_channels_are_skipped_and_unknown_ones_refused(engine, fake, clock):
    with make_client(fake, clock) as client:
        result = sync(engine, client, channels=[162277, 162285])
        with pytest.raises(ValueError, match=r"channels \[999\] are not channels of site 23271"):
            sync(engine, client, channels=[999])
    assert result.status == "ok"
    assert result.channels.set_index("channel_id")["status"].to_dict() == {
        162277: "skipped",
        162285: "ok",
    }
    assert not [r for r in fake.request_log if r.path == "/readings/162277"]
    runs = db.read_runs(engine)
    assert runs["status"].tolist() == ["failed", "ok"]
    assert runs.loc[0, "error"].startswith("ValueError: channels [999]")


def test_bad_credentials_fail_the_run_without_leaking_secrets(engine, fake, clock):
    with make_client(fake, clock, password="not-the-password") as client:
        result = sync(engine, client)
    assert (result.status, result.exit_code) == ("failed", 1)
    assert result.error.startswith("metadata: AccessDeniedError")
    run = db.read_runs(engine).iloc[0]
    assert run["status"] == "failed" and "not-the-password" not in run["error"]
    assert DEFAULT_API_KEY not in run["error"]


def test_an_expired_subscription_mid_run_stops_the_run(engine, fake, clock):
    def expire_after_first_window(at, channel_id, start, end):
        if at == "written":
            fake.configure(force_status=402)

    with make_client(fake, clock, max_concurrency=1) as client:
        result = sync(engine, client, on_window=expire_after_first_window)
    assert (result.status, result.exit_code) == ("failed", 1)
    assert result.error.startswith("SubscriptionExpiredError")
    assert result.channels["status"].tolist() == ["failed", "failed"]
    assert result.channels["error"].str.startswith("not finished, the run stopped").any()
    assert result.rows_written in (24, 48)  # the first window (maybe one more), then nothing
    assert (result.windows["status"] == "failure").sum() == 1
    assert db.read_runs(engine).loc[0, "status"] == "failed"


def test_the_progress_bar_shows_only_when_asked(engine, fake, clock, capfd):
    with make_client(fake, clock) as client:
        sync(engine, client, channels=[162285], end="2025-12-02")
        assert capfd.readouterr().err == ""
        sync(engine, client, channels=[162285], end="2025-12-02", progress=True, full=True)
    assert "window" in capfd.readouterr().err


def test_the_ingest_notebook_runs_headless_against_the_fake(tmp_path, monkeypatch):
    from argo_lib.report import notebook as report

    # The database comes from the environment (a URL may hold a password: never a parameter).
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(tmp_path / "nb.sqlite"))
    url = f"sqlite:///{tmp_path / 'nb.sqlite'}"
    out = report.run_notebook(
        "ingest",
        tmp_path / "ingest.ipynb",
        parameters={"days": 2, "channels": "162285,162320", "as_of": "2025-12-10T12:00:00Z"},
    )
    text = out.read_text()
    assert "CDPK_Kitchen Main Panel(s)" in text and "image/png" in text
    engine = db.get_engine(url)
    assert db.read_runs(engine).loc[0, "status"] == "ok"
    assert len(db.read_readings(engine, site_id="23271")) == 2 * (2 * 24 + 6)
    engine.dispose()
