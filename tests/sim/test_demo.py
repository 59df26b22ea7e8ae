"""The demo database (both backends): what it holds, and that it never overwrites real data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from argo_lib import cli, db, ingest
from argo_lib.errors import UsageError
from argo_lib.jobs.ingest import IngestRun, run_ingest
from argo_lib.sim import demo

AS_OF = pd.Timestamp("2026-11-26 09:00", tz="America/New_York")
CSV = Path(__file__).parents[1] / "data" / "csv"
TABLES = (
    "sites",
    "devices",
    "channels",
    "readings",
    "ingestion_runs",
    "ingestion_windows",
    "rejected_readings",
    "weather",
)
WIRE_RTOL = 1e-12  # W ↔ kW round trips through JSON floats: only float rounding may differ


def snapshot(engine) -> dict:
    """Row counts of every table, and every stored reading and temperature of the site."""
    with engine.connect() as conn:
        counts = {
            t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES
        }
    return {
        "counts": counts,
        "readings": db.read_readings(engine, site_id="23271", columns="all"),
        "weather": db.read_weather(engine, site_id="23271"),
    }


def assert_unchanged(before: dict, after: dict) -> None:
    assert after["counts"] == before["counts"]
    pd.testing.assert_frame_equal(after["readings"], before["readings"], check_exact=True)
    pd.testing.assert_frame_equal(after["weather"], before["weather"], check_exact=True)


def fake_ingest(engine, *, days: int = 2) -> ingest.IngestResult:
    """``argo ingest --site 23271 --fake`` into the test database."""
    run = IngestRun.from_parameters(
        site="23271",
        source="fake",
        days=days,
        channels="162285,162320",
        database_url=engine.url.render_as_string(hide_password=False),
        as_of=AS_OF.isoformat(),
    )
    return run_ingest(run, engine=engine)


# --------------------------------------------------------------------------------------------
# What the demo holds
# --------------------------------------------------------------------------------------------


def test_demo_database_holds_ten_weeks_with_labelled_faults(engine):
    result = demo.build_demo_database(engine, end_week="2026-W47", as_of=AS_OF)
    assert result.last_week.label == "2026-W47"
    assert result.period.start == pd.Timestamp("2026-09-14", tz="America/New_York")
    # 70 local days at 15 min, plus the extra hour of 2026-11-01 (fall back): 6724 per channel.
    counts = result.summary.set_index("channel_id")["readings"]
    assert counts.drop(162319).eq(70 * 96 + 4).all()
    assert counts[162319] == 70 * 96 + 4 - 24  # the 6-hour gap on Saturday
    labels = result.labels.set_index("kind")
    assert labels.loc["after_hours", "expected_kwh"] == pytest.approx(
        2.5 * 39, rel=1e-9
    )  # 3 nights x 13 h
    assert labels.loc["spike", "expected_kwh"] == pytest.approx(6.0)
    site_mean_kw = result.summary["mean_kw"].sum()
    assert 8.0 < site_mean_kw < 14.0  # the Wilson Center averages 10.7-12 kW
    runs = db.read_runs(engine, site_id="23271")
    assert runs.loc[0, "status"] == "ok" and runs.loc[0, "rows_written"] == counts.sum()
    assert runs.loc[0, "source"] == demo.DEMO_SOURCE


def test_demo_is_idempotent_and_deterministic(engine):
    first = demo.build_demo_database(engine, weeks=2, end_week="2026-W47", as_of=AS_OF)
    before = db.read_readings(engine, site_id="23271", columns="all")
    second = demo.build_demo_database(engine, weeks=2, end_week="2026-W47", as_of=AS_OF)
    after = db.read_readings(engine, site_id="23271", columns="all")
    pd.testing.assert_frame_equal(before, after, check_exact=True)
    assert first.summary.equals(second.summary)


def test_a_demo_of_other_weeks_over_the_demo_is_fine(engine):
    demo.build_demo_database(engine, weeks=2, end_week="2026-W45", as_of=AS_OF)
    assert demo.find_non_demo_data(engine) == []
    result = demo.build_demo_database(engine, weeks=3, end_week="2026-W47", as_of=AS_OF)
    assert result.summary["readings"].sum() > 0
    assert db.read_runs(engine)["source"].tolist() == [demo.DEMO_SOURCE] * 2


def test_an_empty_database_holds_no_real_data(engine):
    assert demo.find_non_demo_data(engine) == []


# --------------------------------------------------------------------------------------------
# The demo cannot hurt real data
# --------------------------------------------------------------------------------------------


def test_demo_after_a_fake_ingest_is_refused_and_changes_nothing(engine):
    assert fake_ingest(engine).status == "ok"
    before = snapshot(engine)
    assert len(before["readings"]) > 0
    with pytest.raises(demo.DemoTargetError) as info:
        demo.build_demo_database(engine, weeks=2, end_week="2026-W47", as_of=AS_OF)
    assert_unchanged(before, snapshot(engine))
    message = str(info.value)
    assert isinstance(info.value, UsageError) and "\n" not in message
    assert message.startswith(db.describe_database(engine))  # names the database, password masked
    assert "ingestion run(s) from 'fake-eniscope' wrote" in message
    assert "channel(s) the demo does not write (158694" in message  # the whole org's metadata
    assert "`argo demo --database-url sqlite:///data/demo.sqlite`" in message
    password = engine.url.password
    assert not password or str(password) not in message


def test_demo_then_ingest_then_demo_again_is_refused(engine):
    demo.build_demo_database(engine, weeks=2, end_week="2026-W47", as_of=AS_OF)
    fake_ingest(engine)
    before = snapshot(engine)
    with pytest.raises(demo.DemoTargetError, match="from 'fake-eniscope' wrote"):
        demo.build_demo_database(engine, weeks=2, end_week="2026-W47", as_of=AS_OF)
    assert_unchanged(before, snapshot(engine))


def test_demo_after_csv_and_weather_imports_is_refused(engine, tmp_path):
    ingest.import_csv(engine, CSV / "long.csv", site="23271", now=AS_OF)
    weather = tmp_path / "weather.csv"
    weather.write_text("timestamp,temperature_c\n2025-12-01T05:00:00Z,3.5\n")
    ingest.import_weather_csv(engine, weather, site="23271")
    reasons = demo.find_non_demo_data(engine)
    assert any("from 'csv:long.csv' wrote 7 rows" in r for r in reasons)
    assert any("from 'weather-csv:weather.csv' wrote 1 rows" in r for r in reasons)
    before = snapshot(engine)
    with pytest.raises(demo.DemoTargetError):
        demo.build_demo_database(engine, weeks=2, end_week="2026-W47", as_of=AS_OF)
    assert_unchanged(before, snapshot(engine))


def test_readings_no_demo_run_wrote_are_real(engine):
    demo.build_demo_database(engine, weeks=2, end_week="2026-W47", as_of=AS_OF)
    later = pd.Timestamp("2026-12-01T12:00Z")  # after the demo's period, written by no run
    db.upsert_readings(
        engine, pd.DataFrame({"timestamp": [later], "channel_id": 162285, "energy_kwh": 1.0})
    )
    reasons = demo.find_non_demo_data(engine)
    assert reasons == [
        "1 channel(s) with readings that no demo run wrote (stored from 2026-11-09 to 2026-12-01)"
    ]


def test_an_unfinished_run_counts_as_real_data(engine):
    db.start_run(engine, source="eniscope", site_id="23271")  # killed before it logged counts
    assert demo.find_non_demo_data(engine) == [
        "1 ingestion run(s) from 'eniscope' wrote 0 rows (1 never finished)"
    ]


def test_demo_command_refuses_real_data_in_one_line(database_url, capsys):
    engine = db.get_engine(database_url)
    db.upgrade(engine)
    fake_ingest(engine, days=1)
    before = snapshot(engine)
    code = cli.main(["demo", "--database-url", database_url, "--weeks", "2"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "holds data of site 23271 that the demo did not write" in err
    assert "argo demo --database-url sqlite:///data/demo.sqlite" in err
    assert_unchanged(before, snapshot(engine))


# --------------------------------------------------------------------------------------------
# The fake server of the demo
# --------------------------------------------------------------------------------------------


def test_the_fake_server_serves_what_the_demo_database_holds(engine):
    demo.build_demo_database(engine, weeks=2, end_week="last", as_of=AS_OF)
    day = pd.Timestamp("2026-11-18", tz="America/New_York")  # Wednesday: the kitchen spike
    period_end = day + pd.DateOffset(days=1)
    stored = db.read_readings(engine, site_id="23271", start=day, end=period_end)
    with (
        demo.fake_server(now=AS_OF) as settings,
        ingest.make_client(settings, profile="fast") as client,
    ):
        served = client.get_readings(162285, start=day, end=period_end, resolution_s=900)
    kitchen = stored[stored["channel_id"] == 162285].reset_index(drop=True)
    readings = served.readings.sort_values("timestamp").reset_index(drop=True)
    assert readings["timestamp"].tolist() == kitchen["timestamp"].tolist()
    for column in ("energy_kwh", "power_kw"):
        pd.testing.assert_series_equal(
            readings[column], kitchen[column], check_exact=False, rtol=WIRE_RTOL
        )
    assert kitchen["power_kw"].max() > 12.0  # the demo's 12 kW spike is there


def test_the_fake_server_needs_an_aware_now():
    with pytest.raises(UsageError, match="timezone-naive"), demo.fake_server(now="2026-11-26"):
        pass
