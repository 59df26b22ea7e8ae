"""Syncing a site from the fake Eniscope server, on both database backends."""

from __future__ import annotations

import random

import pandas as pd
import pytest
import sqlalchemy as sa

from argo_lib import db, ingest
from argo_lib.dates import Period, expected_index
from argo_lib.eniscope import EniscopeClient, EniscopeConfig
from argo_lib.fields import READING_COLUMNS
from argo_lib.ingest.validate import rejected_keys
from argo_lib.sim import CHANNEL_METADATA
from argo_lib.sim.fake_eniscope import (
    DEFAULT_API_KEY,
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    FakeEniscope,
    ManualClock,
    RateLimit,
    ScriptedResponse,
)

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
    """One sync of the test site; the run log is checked against the result afterwards."""
    kwargs = {
        "channels": CHANNELS,
        "start": START,
        "end": END,
        "resolution_s": 3600,
        "now": NOW,
        "progress": False,
    } | options
    try:
        result = ingest.sync_site(engine, client, "23271", **kwargs)
    except BaseException:
        assert_status_agrees(engine)
        raise
    assert_status_agrees(engine, result)
    assert_counts_agree(engine, result)
    return result


def assert_status_agrees(engine, result=None):
    """``status`` and ``channels_failed`` of the latest finished run say the same thing.

    ``ok``: no channel failed and nothing stopped the run; ``partial``: some, not all, channels
    failed and readings were written; ``failed``: a fatal error (an error that is not only
    channel failures), or every channel failed, or channels failed and nothing was written.
    """
    runs = db.read_runs(engine, limit=50)
    runs = runs[runs["status"] != "running"]
    if runs.empty:  # refused before it started (another sync of the site was running)
        return
    run = runs.iloc[0]
    failed, requested = int(run["channels_failed"]), int(run["channels_requested"])
    assert 0 <= failed <= requested
    error = run["error"] if isinstance(run["error"], str) else None
    fatal = error is not None and not error.startswith("channel ")
    if run["status"] == "ok":
        assert failed == 0 and error is None
    elif run["status"] == "partial":
        assert 0 < failed < requested and run["rows_written"] > 0 and not fatal
    else:
        assert run["status"] == "failed"
        assert fatal or (failed > 0 and (failed == requested or run["rows_written"] == 0))
    if result is not None:
        assert result.run_id == run["run_id"] and result.status == run["status"]
        attempted = result.channels[result.channels["status"] != "skipped"]
        assert (len(attempted), int((attempted["status"] == "failed").sum())) == (
            requested,
            failed,
        )


def assert_counts_agree(engine, result):
    """Run log, per-channel summary, window log and ledger agree (argo_lib.ingest.runs)."""
    run = db.read_runs(engine, limit=1).iloc[0]
    ch = result.channels.set_index("channel_id")
    assert (ch["received"] == ch["written"] + ch["kept_out"] + ch["duplicates"]).all()
    assert (run["rows_received"], run["rows_written"], run["rows_rejected"]) == (
        result.rows_received,
        result.rows_written,
        result.rows_rejected,
    )
    assert result.rows_rejected == int(ch["rejected"].sum())
    query = sa.text(
        "SELECT channel_id, sum(fetched), sum(inserted), sum(rejected) FROM ingestion_windows "
        "WHERE run_id = :run_id GROUP BY channel_id"
    )
    with engine.connect() as conn:
        logged = {
            int(r[0]): tuple(map(int, r[1:]))
            for r in conn.execute(query, {"run_id": int(run["run_id"])})
        }
    for channel_id, row in ch.iterrows():
        assert logged.get(channel_id, (0, 0, 0)) == (
            row["received"],
            row["written"],
            row["rejected"],
        )
    # rows_rejected = ledger rows this run wrote + values already recorded by an earlier run
    ledger = db.read_rejected(engine)
    assert not rejected_keys(ledger).duplicated().any()
    mine = ledger[ledger["run_id"] == run["run_id"]]
    assert len(mine) == result.rejected_new
    met = rejected_keys(result.rejected)
    assert not met.duplicated().any()
    assert len(met.merge(rejected_keys(ledger))) == result.rows_rejected  # all in the ledger
    assert len(rejected_keys(mine).merge(met)) == result.rejected_new  # all met in this run


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


def test_sync_round_trip_is_bit_for_bit_and_metadata_comes_first(engine, fake, clock):
    with make_client(fake, clock) as client:
        result = sync(engine, client, resolution_s=900)
    assert result.status == "ok" and result.exit_code == 0
    expected = source_readings(fake, clock, res=900)
    assert len(expected) == 2 * 2 * 96
    assert_same_readings(stored_readings(engine), expected)
    channels = db.read_channels(engine, site_id="23271").set_index("channel_id")
    assert len(channels) == len(CHANNEL_METADATA)
    assert not channels.loc[[162127, 162141, 162277], "is_energy"].any()
    assert channels.loc[list(CHANNELS), "resolution_s"].tolist() == [900, 900]
    assert channels.loc[162285, "name"] == "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr"
    with engine.connect() as conn:
        devices = conn.execute(sa.text("SELECT count(*) FROM devices")).scalar_one()
        windows = conn.execute(sa.text("SELECT count(*) FROM ingestion_windows")).scalar_one()
    assert devices == len({m.device_id for m in CHANNEL_METADATA})
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
    log = db.read_runs(engine, limit=50)
    assert log["error"].iloc[1].startswith("Interrupted: killed")
    # an interrupted run failed the channels it had not finished, and logged what it wrote
    interrupted = log.iloc[1:]
    assert (interrupted["channels_failed"] >= 1).all()
    for _, run in interrupted.iterrows():
        windows = pd.read_sql(
            sa.text("SELECT * FROM ingestion_windows WHERE run_id = :r"),
            engine,
            params={"r": int(run["run_id"])},
        )
        assert windows["inserted"].sum() == run["rows_written"]
        assert windows["rejected"].sum() == run["rows_rejected"]
        ledger = db.read_rejected(engine)
        assert (ledger["run_id"] == run["run_id"]).sum() <= run["rows_rejected"]
        if stage == "rejected":  # killed between the values and the readings of a window
            assert windows["error"].fillna("").str.startswith("Interrupted: killed").sum() == 1


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


def retry_after(seconds: str, n: int, channel: int) -> list[ScriptedResponse]:
    """``n`` 429 answers with ``Retry-After: seconds`` for the readings of one channel."""
    reply = ScriptedResponse(
        status=429, headers={"Retry-After": seconds}, path_prefix=f"/readings/{channel}"
    )
    return [reply] * n


def window_rows(engine, run_id):
    query = sa.text(
        "SELECT channel_id, status, fetched, inserted, error FROM ingestion_windows "
        "WHERE run_id = :run_id ORDER BY channel_id, window_start"
    )
    with engine.connect() as conn:
        return [tuple(row) for row in conn.execute(query, {"run_id": run_id})]


def longest_429_run(log) -> int:
    longest = current = 0
    for entry in log:
        current = current + 1 if entry.status == 429 else 0
        longest = max(longest, current)
    return longest


@pytest.mark.parametrize(
    ("workers", "form"),
    [(1, "seconds"), (1, "http-date"), (2, "seconds")],
    ids=["sequential", "sequential-http-date", "two-workers"],
)
def test_a_429_storm_within_the_budget_ends_ok_with_the_source_data(
    engine, fake, clock, workers, form
):
    # 2 requests per rolling minute, but each 429 says "come back in 10 s": a request waits out
    # about six 429s in a row (the old client gave up, and stopped the run, at the 4th).
    fake.configure(
        rate_limit=RateLimit(max_requests=2, window_s=60, retry_after_s=10, retry_after=form)
    )
    with make_client(fake, clock, max_concurrency=workers) as client:
        result = sync(engine, client, end="2025-12-04")
    log = fake.request_log
    assert (result.status, result.exit_code, result.error) == ("ok", 0, None)
    run = db.read_runs(engine).iloc[0]
    assert (run["status"], run["channels_failed"], run["rows_written"]) == ("ok", 0, 2 * 3 * 24)
    assert (result.windows["status"] == "success").all() and len(result.windows) == 6
    if workers == 1:
        assert longest_429_run(log) == 6
        # every wait was a Retry-After, honoured exactly once: 10 s per 429, nothing else
        assert sum(clock.sleeps) == pytest.approx(10.0 * sum(e.status == 429 for e in log))
        assert set(clock.sleeps) == {10.0}
    fake.configure(rate_limit=None)
    expected = source_readings(fake, clock, end="2025-12-04")
    assert_same_readings(stored_readings(engine, end="2025-12-04"), expected)


def test_the_simulated_waiting_is_the_sum_of_the_honoured_retry_after_values(engine, fake, clock):
    honoured = ["3", "7", "11", "0", "30", "2"]  # six 429s on one window, then its data
    fake.enqueue(*[r for s in honoured for r in retry_after(s, 1, 162285)])
    with make_client(fake, clock, max_concurrency=1) as client:
        result = sync(engine, client)
    assert result.status == "ok"
    assert sum(e.status == 429 for e in fake.request_log) == 6
    assert sum(clock.sleeps) == 3 + 7 + 11 + 0 + 30 + 2  # a Retry-After of 0 waits nothing
    assert clock.sleeps == [3.0, 7.0, 11.0, 30.0, 2.0]
    assert_same_readings(stored_readings(engine), source_readings(fake, clock))


def test_a_window_that_spends_its_429_budget_fails_alone_and_the_next_sync_repairs_it(
    engine, fake, clock
):
    fake.enqueue(*retry_after("5", 11, 162320))  # the default budget: 10 retries per window
    with make_client(fake, clock, max_concurrency=1) as client:
        result = sync(engine, client)
    assert (result.status, result.exit_code) == ("partial", 1)
    assert clock.sleeps == [5.0] * 10  # ten honoured Retry-After values, then the window failed
    channels = result.channels.set_index("channel_id")
    assert channels.loc[162285, "status"] == "ok" and channels.loc[162285, "written"] == 48
    assert channels.loc[162320, "status"] == "failed"
    assert channels.loc[162320, "written"] == 0
    assert channels.loc[162320, "error"].startswith(
        "RateLimited: Eniscope rate limit on GET /readings/162320: HTTP 429 11 times"
    )
    assert "1 later window(s) not written" in channels.loc[162320, "error"]
    run = db.read_runs(engine).iloc[0]
    assert (run["status"], run["channels_requested"], run["channels_failed"]) == ("partial", 2, 1)
    assert run["rows_written"] == 48
    assert "channel 162320: RateLimited" in run["error"]
    rows = window_rows(engine, result.run_id)
    assert [r[:4] for r in rows] == [
        (162285, "success", 24, 24),
        (162285, "success", 24, 24),
        (162320, "failure", 0, 0),
    ]
    error = rows[2][4]
    assert error.startswith("RateLimited: ") and "\n" not in error
    assert "rate_limit_retries=10" in error and "next sync re-fetches it" in error
    with make_client(fake, clock) as client:  # the next sync completes the data
        again = sync(engine, client)
    assert again.status == "ok" and again.channels["status"].tolist() == ["ok", "ok"]
    stored = stored_readings(engine)
    assert not stored.duplicated(["channel_id", "timestamp"]).any()
    assert len(stored) == 2 * 48
    assert_same_readings(stored, source_readings(fake, clock))
    with engine.connect() as conn:
        total = conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one()
    assert total == 2 * 48


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_a_retry_after_over_300_s_stops_the_run_with_a_message(engine, fake, clock, form):
    # login, channels and the first window are served; then every request gets Retry-After 301
    fake.configure(
        rate_limit=RateLimit(max_requests=3, window_s=3600, retry_after_s=301, retry_after=form)
    )
    with make_client(fake, clock, max_concurrency=1) as client:
        result = sync(engine, client)
    message = (
        "RetryAfterTooLong: Eniscope rate limit on GET /readings/162320: Retry-After is 301 s "
        "(more than 300 s), so the run stops here; run the sync again after 2025-12-10 12:05 "
        "UTC (it resumes where this one stopped)"
    )
    assert (result.status, result.exit_code) == ("failed", 1)
    assert result.error.split("; channel ")[0] == message
    assert clock.sleeps == []  # nothing was waited for
    run = db.read_runs(engine).iloc[0]
    assert run["status"] == "failed" and run["error"].startswith(message)
    assert run["rows_written"] == 24
    failures = result.windows[result.windows["status"] == "failure"]
    assert failures["channel_id"].tolist() == [162320]
    assert failures["error"].tolist() == [message]
    channels = result.channels.set_index("channel_id")
    assert channels.loc[162285, "error"] == f"not finished, the run stopped: {message}"


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


def count_readings(engine):
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one()


def test_duplicate_out_of_order_and_boundary_records_collapse(engine, fake, clock):
    # each one-day window also returns the record at its end, which is the next window's first
    # (2025-12-02 00:00) or after the period (2025-12-03 00:00): 25 records per window
    fake.configure(duplicates=True, out_of_order=True, end_inclusive=True)
    with make_client(fake, clock) as client:
        result = sync(engine, client)
    fake.configure(duplicates=False, out_of_order=False, end_inclusive=False)
    assert_same_readings(stored_readings(engine), source_readings(fake, clock))
    assert result.status == "ok"
    assert count_readings(engine) == 2 * 49  # 48 in the period + the record at its end
    run = db.read_runs(engine).iloc[0]
    assert (run["rows_received"], run["rows_written"], run["rows_rejected"]) == (100, 98, 0)
    channels = result.channels.set_index("channel_id")
    assert channels[["received", "written", "kept_out", "duplicates"]].to_numpy().tolist() == [
        [50, 49, 0, 1],
        [50, 49, 0, 1],
    ]
    assert [r[2:4] for r in window_rows(engine, result.run_id)] == [(25, 25), (25, 24)] * 2
    assert "100 received = 98 written + 0 kept out + 2 duplicates collapsed" in result.summary()
    assert "warning:" not in result.summary()


def test_a_resumed_sync_counts_each_re_fetched_reading_once(engine, fake, clock):
    # the second sync re-fetches the last 30 h (rows stored by the first run: updated, written)
    # in windows that share their boundary records
    fake.configure(end_inclusive=True)
    with make_client(fake, clock) as client:
        sync(engine, client, start="2025-12-07", end="2025-12-09")
        second = sync(engine, client, start="2025-12-07", end="2025-12-10", overlap_h=30)
    channels = second.channels.set_index("channel_id")
    since = channels["fetch_start"].min()
    assert since == pd.Timestamp("2025-12-07", tz=TZ)  # 30 h before 12-09 00:00, local midnight
    stored = count_readings(engine)  # every stored reading is in the re-fetched range
    assert stored == 2 * (3 * 24 + 1)
    run = db.read_runs(engine).iloc[0]
    assert run["rows_written"] == second.rows_written == stored
    assert (run["rows_received"], second.rows_duplicate) == (2 * 3 * 25, 2 * 2)
    assert channels["windows"].tolist() == [3, 3]


def reference_with_boundary(fake, clock, start, end):
    """Readings and parse-time rejected values of the records of [start, end] (end included)."""
    lo, hi = pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ)
    with make_client(fake, clock, max_concurrency=1, max_window_s=40 * 86400) as client:
        fetched = [client.get_readings(c, start=lo, end=hi, resolution_s=3600) for c in CHANNELS]
    readings = pd.concat([f.readings for f in fetched], ignore_index=True)
    parsed_out = pd.concat([f.rejected for f in fetched], ignore_index=True)
    assert readings["timestamp"].max() == hi.tz_convert("UTC")
    return readings, parsed_out


def test_received_is_written_plus_kept_out_plus_duplicates_and_the_ledger_agrees(
    engine, fake, clock
):
    # negative energy keeps a row out; "NaN" power is a rejected value stored as NULL in a row
    # that is written; each window's end record comes again as the next window's first
    fake.configure(
        malformed=frozenset({"negative", "nan_string"}), malformed_rate=0.25, end_inclusive=True
    )
    readings, parsed_out = reference_with_boundary(fake, clock, START, "2025-12-04")
    kept, out_of_range = ingest.validate_readings(readings, now=NOW, resolution_s=3600)
    with make_client(fake, clock) as client:
        first = sync(engine, client, end="2025-12-04")
    expected = {}
    for c in CHANNELS:
        kept_out = int((out_of_range["channel_id"] == c).sum())
        rejected = kept_out + int((parsed_out["channel_id"] == c).sum())
        assert 0 < kept_out and kept_out < rejected  # the test means something
        # 3 windows of 24 + 1 records: 73 readings, 2 of them received twice
        expected[c] = [75, 73 - kept_out, kept_out, 2, rejected]
    channels = first.channels.set_index("channel_id")
    columns = ["received", "written", "kept_out", "duplicates", "rejected"]
    assert channels[columns].to_numpy().tolist() == [expected[c] for c in CHANNELS]
    assert count_readings(engine) == first.rows_written == len(kept)
    total = sum(e[4] for e in expected.values())
    assert len(db.read_rejected(engine)) == first.rows_rejected == first.rejected_new == total
    run = db.read_runs(engine).iloc[0]
    assert (run["rows_received"], run["rows_written"], run["rows_rejected"]) == (
        150,
        len(kept),
        total,
    )
    # a second run meets the same values again: counted, not recorded twice
    with make_client(fake, clock) as client:
        second = sync(engine, client, end="2025-12-04", full=True)
    assert len(db.read_rejected(engine)) == total
    assert (second.rows_rejected, second.rejected_new) == (total, 0)
    assert db.read_runs(engine).iloc[0]["rows_rejected"] == total
    assert (
        f"values rejected: 0 new to the ledger, {total} already recorded by an earlier run"
    ) in second.summary()
    assert (
        f"\nwarning: {total} values rejected (see rejected_readings: each with its raw value and "
        f"reason; 0 new, {total} already recorded by an earlier run); everything valid was "
        "written\n"
    ) in second.summary()
    assert second.exit_code == 0 and second.exit_status(strict=True) == 1


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


def test_failed_channels_and_nothing_written_is_a_failed_run(engine, fake, clock):
    # 162285 has hourly readings and cannot switch to 15 min; 162320 has no data in April
    # (before the site was installed): a channel failed and nothing was written
    with make_client(fake, clock) as client:
        sync(engine, client, channels=[162285])
        result = sync(engine, client, start="2025-04-01", end="2025-04-03", resolution_s=900)
    assert result.channels["status"].tolist() == ["failed", "no_data"]
    assert (result.status, result.exit_code, result.rows_written) == ("failed", 1, 0)
    run = db.read_runs(engine).iloc[0]
    assert (run["status"], run["channels_requested"], run["channels_failed"]) == ("failed", 2, 1)


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
    assert runs.loc[0, "error"].startswith("UsageError: channels [999]")


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


def test_energy_above_what_a_channel_can_draw_is_rejected_on_the_api_path(engine, fake, clock):
    # the site file says the kitchen draws at most 1.5 kW: hourly energy above 1.5 kWh (and not
    # closing a gap) is a meter or transfer fault, recorded, never stored
    import dataclasses

    from argo_lib.config import load_site

    site = load_site("23271")
    channels = tuple(
        dataclasses.replace(c, max_kw=1.5) if c.channel_id == 162285 else c for c in site.channels
    )
    site = dataclasses.replace(site, channels=channels)
    source = source_readings(fake, clock)
    with make_client(fake, clock) as client:
        result = ingest.sync_site(
            engine, client, site, channels=CHANNELS, start=START, end=END,
            resolution_s=3600, now=NOW, progress=False,
        )  # fmt: skip
    kitchen = source[source["channel_id"] == 162285]
    too_much = kitchen["energy_kwh"] > 1.5
    assert 0 < too_much.sum() < len(kitchen)  # the test means something
    stored = stored_readings(engine)
    stored_kitchen = stored[stored["channel_id"] == 162285]
    assert len(stored_kitchen) == (~too_much).sum()
    assert stored_kitchen["energy_kwh"].max() <= 1.5
    rejected = db.read_rejected(engine, site_id="23271")
    energy = rejected[rejected["reason"].str.startswith("energy_kwh above 1.5 kWh (1.5 kW")]
    assert len(energy) == too_much.sum()
    assert result.status == "ok"
    # the other channel, without a max_kw, keeps all its readings
    assert (stored["channel_id"] == 162320).sum() == (source["channel_id"] == 162320).sum()


# --------------------------------------------------------------------------------------------
# One sync of a site at a time
# --------------------------------------------------------------------------------------------


def set_holder(engine, run_id, holder, heartbeat):
    with engine.begin() as conn:
        conn.execute(
            db.ingestion_runs.update()
            .where(db.ingestion_runs.c.run_id == run_id)
            .values(holder=holder, heartbeat_at=heartbeat.to_pydatetime())
        )


def test_a_sync_of_a_site_that_another_live_run_is_syncing_is_refused(engine, fake, clock):
    import os
    import socket

    from argo_lib.ingest.sync import SiteBusyError

    other = db.start_run(engine, source="eniscope", site_id="23271")  # this process: alive
    started = db.read_runs(engine).loc[0, "started_at"]
    with make_client(fake, clock) as client, pytest.raises(SiteBusyError) as info:
        sync(engine, client)
    message = str(info.value)
    assert message.startswith(
        f"another ingest of site 23271 is running (run {other}, pid {os.getpid()} on "
        f"{socket.gethostname()}), started at {started:%Y-%m-%d %H:%M:%S} UTC, last progress "
    )
    assert message.endswith("; try later (a run whose process has died is released by the next "
                            "run or `argo db check`)")  # fmt: skip
    assert info.value.exit_code == 1
    assert fake.request_log == []  # nothing was fetched
    assert db.read_runs(engine)["run_id"].tolist() == [other]  # and nothing was logged
    # a run of another host that made progress 30 min ago is alive too
    recent = pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=30)
    set_holder(engine, other, "cron.example:4242", recent)
    with (
        make_client(fake, clock) as client,
        pytest.raises(SiteBusyError, match=r"pid 4242 on cron.example\)"),
    ):
        sync(engine, client)
    # once the other run's process is gone (silent for a day), it is released
    set_holder(engine, other, "cron.example:4242", recent - pd.Timedelta(days=1))
    with make_client(fake, clock) as client:
        assert sync(engine, client).status == "ok"
    runs = db.read_runs(engine)
    assert runs["status"].tolist() == ["ok", "failed"]
    assert runs.loc[1, "error"].startswith("abandoned: process cron.example:4242")


def test_two_syncs_starting_at_once_both_back_off(engine, fake, clock, monkeypatch):
    from argo_lib.ingest.sync import SiteBusyError

    real_start_run = db.start_run
    others = []

    def start_run_while_another_starts(engine, **kwargs):  # the other one starts in between
        others.append(real_start_run(engine, source="eniscope", site_id="23271"))
        return real_start_run(engine, **kwargs)

    monkeypatch.setattr(db, "start_run", start_run_while_another_starts)
    with make_client(fake, clock) as client, pytest.raises(SiteBusyError, match="another ingest"):
        sync(engine, client)
    assert fake.request_log == []
    runs = db.read_runs(engine).set_index("run_id")
    mine = runs.drop(index=others)
    assert runs.loc[others[0], "status"] == "running"
    assert mine["status"].tolist() == ["failed"]
    assert (
        mine["error"]
        .iloc[0]
        .startswith(f"another ingest of site 23271 is running (run {others[0]}")
    )
    assert (mine["channels_failed"].iloc[0], mine["rows_received"].iloc[0]) == (0, 0)


def test_a_csv_import_does_not_hold_the_site(engine, fake, clock):
    db.start_run(engine, source="csv:readings.csv", site_id="23271")
    db.start_run(engine, source="eniscope", site_id="99999")  # another site
    with make_client(fake, clock) as client:
        assert sync(engine, client).status == "ok"
