"""Unit health: coverage, gaps, outages, catch-up readings, stuck values, staleness, ratings."""

from __future__ import annotations

import pandas as pd
import pytest

from argo_lib import dates
from argo_lib.analytics.unit_health import (
    CHANNEL_COLUMNS,
    ISSUE_LIST_COLUMNS,
    RATINGS,
    rate_channels,
    unit_health,
)
from argo_lib.config import load_site
from argo_lib.sim import Fault, simulate_readings

TZ = "America/New_York"
WILSON = load_site("23271")
EXPECTED = 14 * 96 + 4  # quarter-hours of the two weeks, the fall-back day has 25 h


def _local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


@pytest.fixture(scope="module")
def faulty():
    """Two weeks of the Wilson site with an outage and its catch-up, a stuck run and gaps."""
    period = dates.Period.from_dates("2026-10-26", "2026-11-09", tz=TZ)
    faults = (
        Fault(162121, "outage", _local("2026-11-04 10:00"), _local("2026-11-04 16:00")),
        Fault(162122, "gap", _local("2026-11-05 00:00"), _local("2026-11-06 00:00")),
        Fault(162320, "stuck", _local("2026-11-02 00:00"), _local("2026-11-03 06:00")),
        Fault(162319, "gap", _local("2026-11-07 00:00"), _local("2026-11-07 06:00")),
        Fault(162123, "stuck", _local("2026-10-28 22:00"), _local("2026-10-29 06:00")),
    )
    sim = simulate_readings(start=period.start, end=period.end, seed=3, site=WILSON, faults=faults)
    return period, sim.readings, unit_health(sim.readings, site=WILSON, period=period)


def _row(health, channel_id):
    return health.channels.set_index("channel_id").loc[channel_id]


def test_each_channel_is_rated_by_the_rules(faulty):
    _, _, health = faulty
    assert list(health.channels.columns) == list(CHANNEL_COLUMNS)
    ratings = dict(zip(health.channels["channel_id"], health.channels["rating"], strict=True))
    assert ratings == {
        162119: "green",
        162120: "green",
        162121: "amber",  # 6 h zero-filled outage, one catch-up reading
        162122: "amber",  # a missing day: coverage 92.9 %
        162123: "amber",  # stuck 8 h
        162285: "green",
        162319: "green",  # 6 h missing of two weeks: coverage 98.2 %
        162320: "red",  # stuck 30 h
    }
    assert health.counts == {"green": 4, "amber": 3, "red": 1}
    assert _row(health, 162119)["reasons"] == ""
    assert _row(health, 162320)["reasons"] == "stuck for 30.0 h (≥ 24 h)"
    assert "zero-filled outage of 6.0 h" in _row(health, 162121)["reasons"]
    assert "1 catch-up reading" in _row(health, 162121)["reasons"]


def test_outage_catch_up_stuck_and_gap_hours_are_counted(faulty):
    _, _, health = faulty
    ahu2 = _row(health, 162121)
    assert ahu2["outage_hours"] == pytest.approx(6.0)
    assert ahu2["longest_outage_h"] == pytest.approx(6.0)
    assert ahu2["catch_up_readings"] == 1
    assert ahu2["coverage"] == pytest.approx(1 - 24 / EXPECTED)  # outage zeros are no readings
    assert ahu2["min_kw"] == 0.0
    ahu1a = _row(health, 162122)
    assert (ahu1a["gaps"], ahu1a["longest_gap_h"]) == (1, pytest.approx(24.0))
    assert ahu1a["coverage"] == pytest.approx(1 - 96 / EXPECTED)
    assert _row(health, 162320)["stuck_hours"] == pytest.approx(30.0)
    assert _row(health, 162123)["stuck_hours"] == pytest.approx(8.0)
    small = _row(health, 162319)
    assert (small["gaps"], small["longest_gap_h"]) == (1, pytest.approx(6.0))
    clean = _row(health, 162119)
    assert clean[["gaps", "outage_hours", "stuck_hours", "negative", "mismatch"]].sum() == 0
    assert clean["min_kw"] > 0 and clean["max_kw"] > clean["min_kw"]


def test_issues_are_named_with_local_times(faulty):
    _, _, health = faulty
    issues = health.issues
    assert list(issues.columns) == list(ISSUE_LIST_COLUMNS)
    outage = issues[issues["type"] == "outage"].iloc[0]
    assert outage["channel_name"] == "AHU-2"
    assert outage["start"] == _local("2026-11-04 10:00")
    assert str(outage["start"].tz) == TZ and outage["hours"] == pytest.approx(6.0)
    assert set(issues["type"]) >= {"outage", "catch_up_reading", "stuck_sensor", "missing_data"}


def test_staleness_is_measured_against_as_of_or_the_period_end(faulty):
    period, readings, health = faulty
    assert health.as_of == period.end
    assert (health.channels["stale_hours"] == 0.0).all()
    assert health.channels["last_reading"].iloc[0] == period.end - pd.Timedelta(minutes=15)
    later = unit_health(readings, site=WILSON, period=period, as_of=period.end + pd.Timedelta("2D"))
    assert later.channels["stale_hours"].tolist() == pytest.approx([48.0] * 8)
    assert set(later.channels["rating"]) == {"red"}
    assert "no reading for 48.0 h" in later.channels["reasons"].iloc[0]


def test_a_silent_channel_is_red_and_stale():
    period = dates.Period.from_dates("2026-11-02", "2026-11-09", tz=TZ)
    faults = (Fault(162119, "silent", _local("2026-11-06 00:00")),)
    sim = simulate_readings(start=period.start, end=period.end, seed=3, site=WILSON, faults=faults)
    rtu2 = _row(unit_health(sim.readings, site=WILSON, period=period), 162119)
    assert rtu2["stale_hours"] == pytest.approx(72.0)
    assert rtu2["rating"] == "red"
    assert rtu2["last_reading"] == _local("2026-11-05 23:45")


def test_rules_at_their_edges():
    base = {
        "coverage": 1.0,
        "outage_hours": 0.0,
        "longest_outage_h": 0.0,
        "catch_up_readings": 0,
        "stuck_hours": 0.0,
        "longest_stuck_h": 0.0,
        "negative": 0,
        "implausible": 0,
        "mismatch": 0,
        "stale_hours": 0.0,
    }
    cases = [
        ({}, "green"),
        ({"coverage": 0.98}, "green"),
        ({"coverage": 0.979}, "amber"),
        ({"coverage": 0.90}, "amber"),
        ({"coverage": 0.899}, "red"),
        ({"outage_hours": 23.9, "longest_outage_h": 23.9}, "amber"),
        ({"outage_hours": 24.0, "longest_outage_h": 24.0}, "red"),
        ({"stuck_hours": 24.0, "longest_stuck_h": 24.0}, "red"),
        ({"stale_hours": 47.9}, "green"),
        ({"stale_hours": 48.0}, "red"),
        ({"negative": 1}, "amber"),
        ({"implausible": 2}, "amber"),
        ({"mismatch": 3}, "amber"),
        ({"catch_up_readings": 1}, "amber"),
    ]
    rows = pd.DataFrame([base | change for change, _ in cases])
    rating, reasons = rate_channels(rows)
    assert rating.tolist() == [want for _, want in cases]
    assert set(rating) <= set(RATINGS)
    assert reasons[0] == "" and reasons[4] == "coverage 89.9% < 90%"
