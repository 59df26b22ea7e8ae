"""The site deep-dive on data with known answers: every number checked against the readings."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import constant_readings

from argo_lib import dates
from argo_lib.analytics.site_analysis import analyse_site, rank_findings
from argo_lib.config import Tariff, TouPeriod, load_site
from argo_lib.sim import Fault, simulate_readings

TZ = "America/New_York"
WILSON = load_site("23271")
TWO = dataclasses.replace(
    WILSON, channels=WILSON.channels[:2], skip_channels=()
)  # RTU-2 162119 and RTU-3 162120
A, B = 162119, 162120
WOBBLE = 0.1  # [kW]: both channels' ±0.05 kW wobble, in phase


def _local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def _business(index: pd.DatetimeIndex) -> np.ndarray:
    """Opening hours of the Wilson Center (Mon–Fri 07:00–18:00), computed independently."""
    local = index.tz_convert(TZ)
    return np.asarray((local.day_of_week < 5) & (local.hour >= 7) & (local.hour < 18))


def _readings(
    period: dates.Period, *, ramp_kw_per_day: float = 0.0, start_hour: int = 7
) -> pd.DataFrame:
    """Two channels at 15 min: A 10 kW open / 2 kW closed (+ a ramp), B 1 kW, with a wobble
    that keeps every value distinct (never a stuck sensor)."""
    index = pd.date_range(period.start, period.end, freq="15min", inclusive="left").tz_convert(
        "UTC"
    )
    wobble = 0.05 * np.sin(np.arange(len(index)) * 0.7)
    days = (index - index[0]) / pd.Timedelta(days=1)
    local = index.tz_convert(TZ)
    running = (local.day_of_week < 5) & (local.hour >= start_hour) & (local.hour < 18)
    a = np.where(running, 10.0, 2.0) + wobble + ramp_kw_per_day * np.asarray(days)
    b = 1.0 + wobble
    return pd.concat(
        [constant_readings(index, A, a), constant_readings(index, B, b)], ignore_index=True
    )


@pytest.fixture(scope="module")
def plain():
    period = dates.Period.from_dates(
        "2026-09-14", "2026-09-28", tz=TZ
    )  # two weeks, no DST, no holiday
    readings = _readings(period)
    return period, readings, analyse_site(readings, site=TWO, period=period)


def test_energy_cost_and_carbon_are_the_readings_sums(plain):
    _, readings, found = plain
    total = readings["energy_kwh"].sum()
    f = found.facility
    assert f.energy_kwh == pytest.approx(total, rel=1e-12)
    assert f.energy_cost == pytest.approx(total * 0.12, rel=1e-12)  # flat tariff
    assert f.carbon_kg == pytest.approx(total * 0.37, rel=1e-12)
    assert f.demand_cost is None and f.total_cost == pytest.approx(f.energy_cost)
    assert f.coverage == 1.0 and f.hours == 14 * 24
    assert found.channels.set_index("channel_id")["energy_kwh"].to_dict() == pytest.approx(
        readings.groupby("channel_id")["energy_kwh"].sum().to_dict()
    )


def test_after_hours_share_and_always_on_load(plain):
    _, readings, found = plain
    after = ~_business(pd.DatetimeIndex(readings["timestamp"]))
    f = found.facility
    assert f.after_hours_kwh == pytest.approx(readings.loc[after, "energy_kwh"].sum(), rel=1e-12)
    # 10 weekdays × 11 open hours of 14 × 24 h
    assert f.after_hours_hours_share == pytest.approx(1 - 110 / 336)
    assert f.base_kw == pytest.approx(3.0, abs=WOBBLE)  # 2 kW + 1 kW closed, within the wobble
    assert f.peak_kw == pytest.approx(11.0 + WOBBLE, abs=0.001)
    assert f.average_kw == pytest.approx(f.energy_kwh / 336, rel=1e-9)
    assert f.load_factor == pytest.approx(f.average_kw / f.peak_kw)
    assert f.base_share == pytest.approx(f.base_kw * 336 / f.energy_kwh)


def test_daily_load_shape_rises_and_falls_with_the_opening_hours(plain):
    _, _, found = plain
    working = found.daily[found.daily["day_type"] == "weekday"]
    assert len(working) == 10 and set(found.daily["day_type"]) == {"weekday", "saturday", "sunday"}
    assert (working["rise_hour"] == 7.0).all() and (working["fall_hour"] == 18.0).all()
    assert working["high_load_hours"].tolist() == [11.0] * 10
    assert working["energy_kwh"].to_numpy() == pytest.approx(11 * 11 + 13 * 3, abs=0.5)
    weekend = found.daily[found.daily["day_type"] != "weekday"]
    assert weekend["energy_kwh"].to_numpy() == pytest.approx(24 * 3, abs=0.5)


def test_heatmap_profiles_and_days_of_week(plain):
    _, _, found = plain
    heat = found.heatmap
    assert heat.shape == (14, 24)
    monday = heat.loc[dt.date(2026, 9, 14)]
    assert monday[7:18].to_numpy() == pytest.approx(11.0, abs=WOBBLE)
    assert monday[[0, 6, 18, 23]].to_numpy() == pytest.approx(3.0, abs=WOBBLE)
    prof = found.profiles.set_index(["day_kind", "hour"])
    assert prof.loc[("weekday", 12), "median_kw"] == pytest.approx(11.0, abs=WOBBLE)
    assert prof.loc[("weekend", 12), "median_kw"] == pytest.approx(3.0, abs=WOBBLE)
    dow = found.day_of_week.set_index("name")
    assert dow.loc["Mon", "mean_kwh"] == pytest.approx(160.0, abs=0.5)
    assert dow.loc["Sat", "mean_kwh"] == pytest.approx(72.0, abs=0.5)
    assert dow["days"].tolist() == [2] * 7


def test_month_over_month_and_a_significant_ramp():
    period = dates.Period.from_dates("2026-09-14", "2026-11-09", tz=TZ)  # 8 weeks, DST end in it
    readings = _readings(period, ramp_kw_per_day=1.0 / 30.0)  # +1 kW per 30 days, day and night
    found = analyse_site(readings, site=TWO, period=period)
    trends = found.trends.set_index(["metric", "days"])
    base = trends.loc[("base_kw", "working days")]
    assert base["slope_per_30d"] == pytest.approx(1.0, abs=0.05) and base["significant"]
    assert trends.loc[("base_kw", "closed days"), "slope_per_30d"] == pytest.approx(1.0, abs=0.05)
    months = found.months.set_index("month")
    assert list(months.index) == ["2026-09", "2026-10", "2026-11"]
    assert months["days_in_period"].tolist() == [17, 31, 8]
    by_month = readings.groupby(
        pd.DatetimeIndex(readings["timestamp"]).tz_convert(TZ).strftime("%Y-%m")
    )["energy_kwh"].sum()
    assert months["energy_kwh"].to_numpy() == pytest.approx(by_month.to_numpy(), rel=1e-12)
    # the fall-back day has 25 hours: its energy is 25 h of demand, its hour 1 the mean of two
    day = found.daily.set_index("date").loc[dt.date(2026, 11, 1)]
    assert found.period.hours == 56 * 24 + 1
    sunday_kw = 3.0 + (dt.date(2026, 11, 1) - dt.date(2026, 9, 14)).days / 30.0
    assert day["energy_kwh"] == pytest.approx(25 * sunday_kw, rel=0.01)


def test_outage_zeros_and_catch_up_readings_are_not_load():
    period = dates.Period.from_dates("2026-10-05", "2026-10-19", tz=TZ)
    readings = _readings(period)
    true_total = readings["energy_kwh"].sum()
    ts = pd.DatetimeIndex(readings["timestamp"])
    # A: a zero-filled outage Wednesday 00:00–12:00, then a catch-up reading with its energy
    outage = (
        (readings["channel_id"] == A)
        & (ts >= _local("2026-10-07 00:00"))
        & (ts < _local("2026-10-07 12:00"))
    )
    lost = readings.loc[outage, "energy_kwh"].sum()
    readings.loc[outage, ["energy_kwh", "power_kw"]] = 0.0
    catch = (readings["channel_id"] == A) & (ts == _local("2026-10-07 12:00"))
    readings.loc[catch, "energy_kwh"] += lost
    readings.loc[catch, "power_kw"] = readings.loc[catch, "energy_kwh"] / 0.25
    found = analyse_site(readings, site=TWO, period=period)
    f = found.facility
    assert f.energy_kwh == pytest.approx(true_total, rel=1e-9)  # the catch-up energy counts
    assert f.peak_kw == pytest.approx(11.0 + WOBBLE, abs=0.001)  # the catch-up is no peak
    assert f.coverage == pytest.approx(1 - 48 / (2 * 14 * 96))  # 48 zeros are no readings
    heat = found.heatmap.loc[dt.date(2026, 10, 7)]
    assert heat[:12].isna().all() and heat[13:].notna().all()
    assert np.isnan(found.daily.set_index("date").loc[dt.date(2026, 10, 7), "energy_kwh"])
    data = next(f for f in rank_findings(found) if f.topic == "Data")
    assert "98.2 % of the expected channel readings" in data.text
    assert "12 h on RTU-2" in data.text and data.tier == 3  # 98 % complete: a note, last
    # two days without readings on a channel: under 95 % complete, named before any money
    gone = (
        (readings["channel_id"] == B) & (ts >= _local("2026-10-14")) & (ts < _local("2026-10-16"))
    )
    findings = rank_findings(analyse_site(readings[~gone], site=TWO, period=period))
    assert findings.items[0].topic == "Data" and "48 h on RTU-3" in findings.items[0].text


def test_time_of_use_prices_and_monthly_demand_charges():
    tariff = Tariff(
        flat_rate_per_kwh=0.10,
        tou_periods=(TouPeriod("on_peak", 0.30, (0, 1, 2, 3, 4), 12, 18),),
        weekend_period=None,
        demand_rate_per_kw=15.0,
    )
    site = dataclasses.replace(TWO, tariff=tariff)
    period = dates.Period.from_dates("2026-10-26", "2026-11-09", tz=TZ)  # two months
    readings = _readings(period)
    ts = pd.DatetimeIndex(readings["timestamp"]).tz_convert(TZ)
    on = (ts.day_of_week < 5) & (ts.hour >= 12) & (ts.hour < 18)
    expected = np.where(on, 0.30, 0.10) @ readings["energy_kwh"].to_numpy()
    found = analyse_site(readings, site=site, period=period)
    f = found.facility
    assert f.energy_cost == pytest.approx(expected, rel=1e-12)
    tou = found.facility.tou.set_index("period")
    assert tou.loc["on_peak", "energy_kwh"] == pytest.approx(
        readings.loc[on, "energy_kwh"].sum(), rel=1e-12
    )
    site_kw = readings.groupby("timestamp")["power_kw"].sum()
    month = pd.DatetimeIndex(site_kw.index).tz_convert(TZ).strftime("%Y-%m")
    peaks = site_kw.groupby(month).max()
    assert f.demand_cost == pytest.approx(15.0 * peaks.sum(), rel=1e-12)
    assert found.months["peak_kw"].to_numpy() == pytest.approx(peaks.to_numpy())


def test_power_factor_is_energy_weighted_and_voltage_ranges():
    period = dates.Period.from_dates("2026-10-05", "2026-10-12", tz=TZ)
    readings = _readings(period)
    open_ = _business(pd.DatetimeIndex(readings["timestamp"]))
    readings["power_factor"] = np.where(open_, 0.9, 0.6)
    readings["voltage_v"] = np.where(readings["channel_id"] == A, 121.0, 108.0)
    found = analyse_site(readings, site=TWO, period=period)
    ch = found.channels.set_index("channel_id")
    a = readings[readings["channel_id"] == A]
    weights = a["energy_kwh"].to_numpy()
    assert ch.loc[A, "power_factor"] == pytest.approx(
        np.average(a["power_factor"], weights=weights)
    )
    assert ch.loc[B, "voltage_min_v"] == 108.0 and ch.loc[A, "voltage_v"] == 121.0
    topics = [f.topic for f in rank_findings(found)]
    assert "Power factor" in topics and "Voltage" in topics  # B at 0.71, 108 V < 114 V


def test_simulated_site_findings_carry_the_facility_numbers():
    period = dates.Period.from_dates("2026-10-05", "2026-10-19", tz=TZ)
    faults = (Fault(162121, "outage", _local("2026-10-08 10:00"), _local("2026-10-08 16:00")),)
    sim = simulate_readings(start=period.start, end=period.end, seed=5, site=WILSON, faults=faults)
    found = analyse_site(sim.readings, site=WILSON, period=period)
    assert len(found.channels) == 8
    assert found.channels["share"].sum() == pytest.approx(1.0)
    assert found.facility.source == "sum of the meters"
    findings = rank_findings(found)
    after = next(f for f in findings if f.topic == "After hours")
    assert after.energy_kwh == pytest.approx(found.facility.after_hours_kwh)
    assert f"{found.facility.after_hours_kwh:,.0f} kWh" in after.text
    # money first (largest first), then the observations
    tiers = [f.tier for f in findings]
    assert tiers == sorted(tiers)
    costs = [abs(f.cost) for f in findings if f.tier == 1]
    assert costs == sorted(costs, reverse=True)


def test_a_flat_day_has_no_operating_window(plain):
    _, _, found = plain
    weekend = found.daily[found.daily["day_type"] != "weekday"]
    assert len(weekend) == 4 and weekend["peak_to_base"].max() < 1.3  # 3 kW all day
    assert weekend["rise_hour"].isna().all() and weekend["fall_hour"].isna().all()
    assert (weekend["high_load_hours"] == 0.0).all()


def test_a_main_meter_with_a_dusk_to_dawn_load():
    """The issue-9 building: 12 kW open, 5 kW every night, 2.9 kW closed daylight, 3 % noise."""
    import buildings

    readings = buildings.night_building()
    period = dates.Period(buildings.BASE.start, buildings.WEEK.end)  # five weeks
    found = analyse_site(readings, site=buildings.SITE, period=period)
    f = found.facility
    assert f.source == "main meter" and f.energy_kwh == pytest.approx(
        readings["energy_kwh"].sum(), rel=1e-12
    )
    # the always-on load is the closed daylight level, not the night's
    assert f.base_kw == pytest.approx(2.9, rel=0.06)
    heat = found.heatmap.mean()
    assert heat[2] == pytest.approx(5.0, rel=0.01) and heat[12] > 9.0
    working = found.daily[found.daily["day_type"] == "weekday"]
    assert working["rise_hour"].median() == 7.0 and working["fall_hour"].median() == 18.0
    weekend = found.day_of_week.set_index("name").loc["Sat", "mean_kwh"]
    assert weekend == pytest.approx(11 * 5.0 + 13 * 2.9, rel=0.01)  # dusk-to-dawn 11 h


def test_a_start_up_hours_before_opening_is_a_finding(plain):
    def hours_text(found):
        return next(f.text for f in rank_findings(found) if f.topic == "Operating hours")

    assert "before opening" not in hours_text(plain[2])  # rises at 07:00, opens at 07:00
    period = plain[0]
    early = analyse_site(_readings(period, start_hour=5), site=TWO, period=period)
    text = hours_text(early)
    assert "rises at 05:00" in text and "starts 2.0 h before opening" in text
