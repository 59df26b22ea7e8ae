"""The channel exploration on simulated data with known answers."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import ENERGY_ATOL_KWH, POWER_ATOL_KW, constant_readings

from argo_lib import dates
from argo_lib.analytics.explore import explore_channels, rank_pairs
from argo_lib.config import load_site
from argo_lib.render.plots import explore as explore_plots
from argo_lib.sim import Fault, simulate_readings

TZ = "America/New_York"
WILSON = load_site("23271")
BARE = dataclasses.replace(WILSON, channels=(), skip_channels=())  # only the readings' channels
CORR_ATOL = 1e-9  # a linear function of another channel correlates exactly, up to rounding


def _local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def _hourly_shape(index: pd.DatetimeIndex, *, weekday: float, weekend: float) -> np.ndarray:
    """Power that is constant within each local hour: ``base + hour`` [kW], never stuck 6 h."""
    local = index.tz_convert(TZ)
    base = np.where(local.day_of_week < 5, weekday, weekend)
    return base + local.hour.to_numpy() * 0.1 * base


# --------------------------------------------------------------------------------------------
# Coverage and gaps: a known outage and a known gap


@pytest.fixture(scope="module")
def faulty():
    period = dates.Period.from_dates("2026-10-26", "2026-11-09", tz=TZ)  # two weeks
    faults = (
        Fault(162121, "outage", _local("2026-11-04 10:00"), _local("2026-11-04 16:00")),
        Fault(162122, "gap", _local("2026-11-05 00:00"), _local("2026-11-06 00:00")),
    )
    sim = simulate_readings(start=period.start, end=period.end, seed=3, site=WILSON, faults=faults)
    return period, explore_channels(sim.readings, site=WILSON, period=period)


def test_outage_zeros_are_not_readings_in_the_daily_coverage(faulty):
    _, found = faulty
    day = dt.date(2026, 11, 4)
    assert found.coverage.loc[(162121, "AHU-2"), day] == pytest.approx(0.75)  # 6 h of 24
    assert found.coverage.loc[(162122, "AHU-1A"), dt.date(2026, 11, 5)] == 0.0
    others = found.coverage.drop(index=[162121, 162122], level="channel_id")
    assert (others.to_numpy() == 1.0).all()


def test_inventory_coverage_counts_the_period_s_expected_intervals(faulty):
    period, found = faulty
    expected = len(dates.expected_index(period, resolution_s=900))
    assert expected == 14 * 96 + 4  # the fall-back day has 25 h
    inv = found.inventory.set_index("channel_id")
    assert inv.loc[162121, "coverage"] == pytest.approx(1 - 24 / expected)
    assert inv.loc[162122, "coverage"] == pytest.approx(1 - 96 / expected)
    assert inv.loc[162122, "readings"] == expected - 96
    assert inv.loc[162119, "coverage"] == pytest.approx(1.0)
    assert inv.loc[162119, "first_reading"] == period.start
    assert inv.loc[162119, "last_reading"] == period.end - pd.Timedelta(minutes=15)
    assert str(inv.loc[162119, "first_reading"].tz) == TZ


def test_gaps_are_the_outage_and_the_missing_day_longest_first(faulty):
    _, found = faulty
    gaps = found.gaps[["type", "channel_id", "hours", "start"]]
    assert gaps["type"].tolist() == ["missing_data", "outage"]
    assert gaps["channel_id"].tolist() == [162122, 162121]
    assert gaps["hours"].tolist() == pytest.approx([24.0, 6.0])
    assert gaps["start"].tolist() == [_local("2026-11-05 00:00"), _local("2026-11-04 10:00")]
    steps = list(found.next_steps)
    assert steps[0].startswith("Lowest coverage: AHU-1A (162122) has 93%")
    assert steps[1].startswith("Longest gap: AHU-1A (162122), 24.0 h (missing data)")


# --------------------------------------------------------------------------------------------
# DST days: expected intervals from the real day length


@pytest.mark.parametrize(
    ("first", "day", "hours"),
    [("2026-03-02", dt.date(2026, 3, 8), 23), ("2026-10-26", dt.date(2026, 11, 1), 25)],
    ids=["spring", "fall"],
)
def test_daily_energy_and_coverage_follow_the_real_day_length(first, day, hours):
    period = dates.Period.from_dates(first, pd.Timestamp(first) + pd.Timedelta(days=7), tz=TZ)
    index = dates.expected_index(period, resolution_s=900)
    found = explore_channels(constant_readings(index, 7, 2.0), site=BARE, period=period)
    daily = found.daily_energy.set_index("date")
    assert daily.loc[day, "energy_kwh"] == pytest.approx(2.0 * hours, abs=ENERGY_ATOL_KWH)
    assert daily.loc[day, "coverage"] == 1.0
    assert (found.coverage.to_numpy() == 1.0).all()
    assert found.energy_by_day.loc[day, 7] == pytest.approx(2.0 * hours, abs=ENERGY_ATOL_KWH)


# --------------------------------------------------------------------------------------------
# Profiles on known loads


def test_profiles_of_loads_constant_within_each_local_hour():
    period = dates.Period.from_dates("2026-11-02", "2026-11-16", tz=TZ)
    index = dates.expected_index(period, resolution_s=900)
    power = _hourly_shape(index, weekday=10.0, weekend=2.0)
    found = explore_channels(constant_readings(index, 5, power), site=BARE, period=period)
    prof = found.profiles.set_index(["day_kind", "hour"])
    assert len(prof) == 48
    for kind, base in (("weekday", 10.0), ("weekend", 2.0)):
        want = base + np.arange(24) * 0.1 * base
        part = prof.loc[kind]
        for column in ("median_kw", "p25_kw", "p75_kw"):
            np.testing.assert_allclose(part[column].to_numpy(), want, atol=POWER_ATOL_KW)
        assert (part["intervals"] == (10 if kind == "weekday" else 4) * 4).all()
    assert found.issues.empty
    assert list(found.next_steps)[-1].startswith(
        "Largest weekend/weekday ratio: 5 (5) draws 20% of its weekday power"
    )


# --------------------------------------------------------------------------------------------
# Correlations


@pytest.fixture(scope="module")
def correlated():
    period = dates.Period.from_dates("2026-11-02", "2026-11-16", tz=TZ)
    index = dates.expected_index(period, resolution_s=900)
    hours = (index - index[0]) / pd.Timedelta(hours=1)
    a = 5.0 + 3.0 * np.sin(2 * np.pi * hours / 24.0) + 0.5 * np.sin(hours)
    readings = pd.concat(
        [
            constant_readings(index, 1, a),
            constant_readings(index, 2, 2.0 * a + 1.0),  # moves with 1
            constant_readings(index, 3, 20.0 - a),  # moves against 1
            constant_readings(index, 4, 4.0 + np.cos(hours * 2.1)),  # its own rhythm
        ],
        ignore_index=True,
    )
    return explore_channels(readings, site=BARE, period=period)


def test_a_channel_built_from_another_correlates_exactly(correlated):
    corr = correlated.correlations
    assert corr.loc[1, 2] == pytest.approx(1.0, abs=CORR_ATOL)
    assert corr.loc[1, 3] == pytest.approx(-1.0, abs=CORR_ATOL)
    assert abs(corr.loc[1, 4]) < 0.2
    np.testing.assert_allclose(np.diag(corr.to_numpy()), 1.0)


def test_pairs_rank_each_pair_once_strongest_first(correlated):
    pairs = correlated.pairs
    assert len(pairs) == 6
    assert (pairs.loc[0, "channel_a"], pairs.loc[0, "channel_b"]) == (1, 2)
    assert pairs["r"].is_monotonic_decreasing
    assert (pairs["hours"] == 14 * 24).all()
    assert any(
        s.startswith("1 (1) and 2 (2) move together (r = 1.00") for s in correlated.next_steps
    )


def test_rank_pairs_leaves_out_pairs_without_a_correlation():
    corr = pd.DataFrame(
        [[1.0, np.nan, 0.2], [np.nan, np.nan, np.nan], [0.2, np.nan, 1.0]],
        index=[1, 2, 3],
        columns=[1, 2, 3],
    )
    pairs = rank_pairs(corr, None, names={1: "a", 3: "c"})
    assert pairs[["channel_a", "channel_b"]].to_numpy().tolist() == [[1, 3]]
    assert pairs.loc[0, "r"] == pytest.approx(0.2)


# --------------------------------------------------------------------------------------------
# Channel filter, bad input, charts


def test_only_the_channels_asked_for(faulty):
    period, _ = faulty
    sim = simulate_readings(start=period.start, end=period.end, seed=3, site=WILSON)
    found = explore_channels(sim.readings, site=WILSON, period=period, channel_ids=(162119, 162320))
    assert found.inventory["channel_id"].tolist() == [162119, 162320]
    assert found.coverage.index.get_level_values("channel_id").tolist() == [162119, 162320]
    assert set(found.profiles["channel_id"]) == {162119, 162320}
    assert len(found.pairs) == 1


def test_naive_timestamps_are_refused():
    period = dates.Period.from_dates("2026-11-02", "2026-11-09", tz=TZ)
    index = dates.expected_index(period, resolution_s=900).tz_localize(None)
    with pytest.raises(ValueError, match="naive"):
        explore_channels(constant_readings(index, 1, 1.0), site=BARE, period=period)


def test_every_chart_renders_and_an_empty_period_says_so(faulty, correlated):
    period, found = faulty
    empty = explore_channels(
        simulate_readings(start=period.start, end=period.end, seed=3, site=WILSON).readings.iloc[
            :0
        ],
        site=BARE,
        period=period,
    )
    for exploration in (found, correlated, empty):
        for name in ("coverage", "daily_energy", "profiles", "correlations"):
            png = getattr(explore_plots, f"plot_explore_{name}")(exploration).to_png()
            assert png.startswith(b"\x89PNG")
    assert empty.inventory.empty and empty.pairs.empty and list(empty.next_steps) == []
