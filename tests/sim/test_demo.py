"""The demo database (both backends), and the fake server that agrees with it."""

from __future__ import annotations

import pandas as pd
import pytest

from argo_lib import db, ingest
from argo_lib.errors import UsageError
from argo_lib.sim import demo

AS_OF = pd.Timestamp("2026-11-26 09:00", tz="America/New_York")
WIRE_RTOL = 1e-12  # W ↔ kW round trips through JSON floats: only float rounding may differ


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
