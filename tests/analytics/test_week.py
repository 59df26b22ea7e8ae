"""Tests of analyse_site_week as a whole: edge cases of sites, channels and weeks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import outages
import pandas as pd
import pytest
from simulated import CASES, IDS, KITCHEN_SMALL, REPORT_WEEK, RTU1, SITE, TZ, case, simulate_week

from argo_lib import dates
from argo_lib.analytics import analyse_site_week, grid, towt
from argo_lib.analytics import baseline as baselines
from argo_lib.config import ChannelConfig, SiteSettings, Tariff, TouPeriod
from argo_lib.sim import Fault

ENERGY_ATOL_KWH = 1e-6  # sums of exact inputs
WEEK = REPORT_WEEK
WILSON = SITE.channels


@pytest.mark.parametrize("readings", [None, "empty"], ids=["none", "empty-frame"])
def test_empty_site_gives_a_clear_result(readings):
    site = SiteSettings(site_id="0", name="Empty", timezone=TZ)
    frame = (
        None
        if readings is None
        else pd.DataFrame(
            {"timestamp": pd.DatetimeIndex([], tz="UTC"), "channel_id": pd.Series(dtype="int64")}
        )
    )
    analysis = analyse_site_week(frame, site=site, period=WEEK)
    assert analysis.channels.empty
    assert analysis.health.empty and analysis.anomalies.empty and analysis.spikes.empty
    assert analysis.quick_wins.empty
    assert analysis.summary.status == "not_assessed"  # nothing to compare: not "normal"
    assert np.isnan(analysis.summary.avg_completeness_pct)


def test_channel_without_readings_is_reported_not_dropped():
    sim = simulate_week(3600)
    site = SiteSettings(
        site_id="23271", name="W", timezone=TZ, channels=(*WILSON, ChannelConfig(999, "New meter"))
    )
    analysis = analyse_site_week(sim.readings, site=site, period=WEEK)
    row = analysis.channels.set_index("channel_id").loc[999]
    assert (row["actual"], row["expected"], row["completeness_pct"]) == (0, 168, 0.0)
    assert row["baseline_status"] == "insufficient"
    no_data = analysis.health.query("channel_id == 999")
    assert no_data["type"].tolist() == ["no_data"]
    assert analysis.summary.status == "action_required"  # a high-severity issue
    # no readings at all is a data issue of its own, not a channel "not assessed"
    assert analysis.summary.headline[0] == "1 data issue (1 high-severity)"


def test_all_zero_channel():
    sim = simulate_week(3600)
    readings = sim.readings.copy()
    zero = readings["channel_id"] == 162121
    in_week = WEEK.contains(readings["timestamp"])
    readings.loc[zero & in_week, ["power_kw", "energy_kwh"]] = 0.0
    analysis = analyse_site_week(readings, site=SITE, period=WEEK)
    issues = analysis.health.query("channel_id == 162121").set_index("type")
    assert issues.index.tolist() == ["outage", "low_completeness"]
    assert issues.loc["outage", "intervals"] == 168
    assert issues.loc["low_completeness", "value"] == 0.0  # zeros are not measurements
    assert issues.loc["low_completeness", "severity"] == "high"
    assert 162121 not in set(analysis.anomalies["channel_id"])  # no consumption findings
    assert 162121 not in set(analysis.spikes["channel_id"])
    assert analysis.after_hours.set_index("channel_id").loc[162121, "excess_kwh"] == 0.0


def test_all_zero_channel_in_baseline_too_is_quiet():
    sim = simulate_week(3600, channels=[162285, 162319])
    readings = sim.readings.copy()
    readings.loc[readings["channel_id"] == 162319, ["power_kw", "energy_kwh"]] = 0.0
    analysis = analyse_site_week(readings, site=SITE, period=WEEK)
    assert analysis.health.query("channel_id == 162319").empty  # always off: nothing to report


def test_mixed_resolutions_within_a_site():
    fifteen = simulate_week(900, channels=[162285, 162319]).readings
    hourly = simulate_week(3600, channels=[162121, 162320]).readings
    readings = pd.concat([fifteen, hourly], ignore_index=True)
    channels = pd.DataFrame(
        {"channel_id": [162285, 162319, 162121, 162320], "resolution_s": [900, 900, 3600, 3600]}
    )
    site = SiteSettings(site_id="23271", name="W", timezone=TZ, channels=WILSON[:0])
    analysis = analyse_site_week(readings, site=site, period=WEEK, channels=channels)
    table = analysis.channels.set_index("channel_id")
    assert table.loc[162285, "expected"] == 672 and table.loc[162121, "expected"] == 168
    assert analysis.resolutions == (900, 3600)
    assert analysis.health.empty
    # the week's energy is the same whatever the resolution of a channel
    total = readings[WEEK.contains(readings["timestamp"])].groupby("channel_id")["energy_kwh"].sum()
    np.testing.assert_allclose(table.loc[total.index, "energy_kwh"], total, atol=ENERGY_ATOL_KWH)


def test_main_meter_defines_demand_and_its_charge():
    sim = simulate_week(900, channels=[162285, 162319])
    readings = sim.readings.copy()
    main = readings.groupby("timestamp")[["energy_kwh", "power_kw"]].sum().reset_index()
    main["channel_id"] = 1
    readings = pd.concat([readings, main], ignore_index=True)
    site = SiteSettings(
        site_id="1",
        name="M",
        timezone=TZ,
        tariff=Tariff(demand_rate_per_kw=12.0),
        channels=(ChannelConfig(1, "Main", role="main"),),
    )
    analysis = analyse_site_week(readings, site=site, period=WEEK)
    in_week = main[WEEK.contains(main["timestamp"])]
    assert analysis.demand["source"] == "main_meter"
    assert analysis.demand["peak_kw"] == pytest.approx(in_week["power_kw"].max(), abs=1e-9)
    assert analysis.demand["demand_charge"] == pytest.approx(12.0 * in_week["power_kw"].max())


def test_after_hours_waste_is_priced_at_the_tou_rate_of_each_interval():
    fault = Fault(
        162319,
        "after_hours",
        pd.Timestamp("2025-10-10 18:00", tz=TZ),
        pd.Timestamp("2025-10-12 00:00", tz=TZ),
        size=2.0,
    )  # Fri night, Sat
    sim = simulate_week(900, faults=[fault])
    tou = Tariff(
        flat_rate_per_kwh=0.12,
        tou_periods=(
            TouPeriod("off_peak", 0.06, (0, 1, 2, 3, 4), 0, 7),
            TouPeriod("on_peak", 0.20, (0, 1, 2, 3, 4), 7, 24),
        ),
        weekend_period="off_peak",
    )
    site = SiteSettings(site_id="1", name="T", timezone=TZ, tariff=tou, channels=WILSON)
    analysis = analyse_site_week(sim.readings, site=site, period=WEEK)
    ledger = analysis.ledger.query("channel_id == 162319 and after_hours_kwh > 0")
    local = ledger["timestamp"].dt.tz_convert(TZ)
    friday_evening = (local.dt.day_of_week == 4) & (local.dt.hour >= 18)
    saturday = local.dt.day_of_week == 5
    # local time decides (B1): Friday 18:00-24:00 is on-peak here, Saturday off-peak (B11)
    assert (ledger.loc[friday_evening.to_numpy(), "rate_per_kwh"] == 0.20).all()
    assert (ledger.loc[saturday.to_numpy(), "rate_per_kwh"] == 0.06).all()
    row = analysis.after_hours.set_index("channel_id").loc[162319]
    expected = (ledger["after_hours_kwh"] * ledger["rate_per_kwh"]).sum()
    assert row["excess_cost"] == pytest.approx(expected, rel=1e-9)
    assert row["excess_cost"] != pytest.approx(0.12 * row["excess_kwh"], rel=0.01)


def test_holiday_counts_as_after_hours():
    week = dates.report_week("2025-W48", tz=TZ)  # Thanksgiving, Thursday 2025-11-27
    sim = simulate_week(3600, week=week, channels=[162285])
    analysis = analyse_site_week(sim.readings, site=SITE, period=week)
    assert analysis.holidays == (dt.date(2025, 11, 11), dt.date(2025, 11, 27))  # with baseline
    row = analysis.after_hours.set_index("channel_id").loc[162285]
    assert row["expected_intervals"] == 168 - 44  # four open days of 11 h
    shape = analysis.load_shape.query("channel_id == 162285").set_index("date")
    assert shape.loc[dt.date(2025, 11, 27), "day_type"] == "sunday_holiday"
    assert shape.loc[dt.date(2025, 11, 26), "day_type"] == "weekday"


# --- real-world data problems (issue 9): zero-filled outages and catch-up readings ---


def test_zero_filled_baseline_saturdays_are_screened_not_expected():
    # 3 of the 4 baseline Saturdays zero-filled (13, 52, 27, 23 h); a normal Saturday in the
    # report week. Before: a 262 kWh after-hours anomaly and 264 kWh/week of savings
    readings, _ = outages.main_meter()
    clean = analyse_site_week(readings, site=outages.SITE, period=outages.WEEK)
    analysis = analyse_site_week(
        outages.zero_fill(readings), site=outages.SITE, period=outages.WEEK
    )
    assert analysis.anomalies.empty and analysis.spikes.empty and analysis.health.empty
    # no win of its own from the outages; the clean baseline's 4 Saturdays make the Saturday
    # daytime load a chronic load of closed days, one observed Saturday is too few to say so
    assert set(analysis.quick_wins["type"]) <= set(clean.quick_wins["type"])
    assert clean.quick_wins["title"].tolist() == [
        "Investigate the load on closed days of Main meter"
    ]
    assert analysis.after_hours["new_kwh"].iloc[0] < 1.0
    assert analysis.summary.weekly_kwh <= clean.summary.weekly_kwh
    assert analysis.summary.status == clean.summary.status
    # what the brief can state: the baseline's outages, screened out
    screened = analysis.baseline_health
    assert set(screened["type"]) == {"outage"}
    starts = [pd.Timestamp(start, tz=outages.TZ) for start, _ in outages.BASELINE_OUTAGES]
    assert screened["start"].tolist() == starts
    assert screened["intervals"].tolist() == [h for _, h in outages.BASELINE_OUTAGES]
    row = analysis.channels.set_index("channel_id").loc[outages.MAIN]
    n_base = len(dates.expected_index(outages.BASE, resolution_s=3600))
    assert row["baseline_outage_intervals"] == row["baseline_screened_intervals"] == 115
    assert row["baseline_screened_pct"] == pytest.approx(100 * 115 / n_base, abs=1e-9)
    assert row["coverage"] == pytest.approx((n_base - 115) / n_base, abs=1e-9)
    base = analysis.baseline_grids[3600]
    assert np.isnan(base.load_kw).sum() == 115  # missing, never zeros
    assert (base.load_kw[np.isfinite(base.load_kw)] > 1.0).all()


def test_towt_is_fitted_on_the_screened_baseline():
    readings, temperature = outages.main_meter()
    analysis = analyse_site_week(
        outages.zero_fill(readings),
        site=outages.SITE,
        period=outages.WEEK,
        temperature=temperature,
    )
    clean = analyse_site_week(
        readings, site=outages.SITE, period=outages.WEEK, temperature=temperature
    )
    raw = grid.build_grids(
        grid.check_readings(outages.zero_fill(readings)),
        grid.channel_table(readings, channels=None, site=outages.SITE),
        period=outages.BASE,
        tz=outages.TZ,
    )[3600]
    temp = towt.temperature_on_grid(temperature, raw.index, resolution_s=3600)
    contaminated = towt.fit_towt(raw, temp, profile=baselines.fit_profile(raw))
    screened_cv = analysis.channels["towt_cv_rmse_pct"].iloc[0]
    # measured: 25.2 % on the zero-filled baseline, 6.5 % screened, 9.5 % on the clean one
    assert contaminated.cv_rmse_pct[0] > 20.0
    assert screened_cv <= clean.channels["towt_cv_rmse_pct"].iloc[0]
    assert analysis.channels["model_status"].iloc[0] == "calibrated"


def test_zero_filled_outage_of_the_main_meter():
    # 52 h of zeros from Thursday 20:00. Before: "medium", 100 % complete, attention needed
    readings, _ = outages.main_meter()
    week = outages.zero_fill(readings, (("2026-11-19 20:00", 52),))
    analysis = analyse_site_week(week, site=outages.SITE, period=outages.WEEK)
    issues = analysis.health.set_index("type")
    assert issues.loc["outage", "severity"] == "high"
    assert issues.loc["outage", "start"] == pd.Timestamp("2026-11-19 20:00", tz=outages.TZ)
    assert issues.loc["outage", "intervals"] == 52
    assert issues.loc["low_completeness", "value"] == pytest.approx(100 * 116 / 168, abs=1e-9)
    assert analysis.summary.status == "action_required"
    row = analysis.channels.set_index("channel_id").loc[outages.MAIN]
    assert (row["actual"], row["outage_intervals"]) == (116, 52)
    assert row["completeness_pct"] == pytest.approx(100 * 116 / 168, abs=1e-9)
    # missing everywhere: not consumption, not a drop in load, not savings
    assert analysis.anomalies.empty and analysis.level_shifts.empty
    outage = outages.during(week, "2026-11-19 20:00", 52)
    stamps = set(week.loc[outage, "timestamp"])
    assert not analysis.ledger["timestamp"].isin(stamps).any()
    assert analysis.load_shape.set_index("date").loc[dt.date(2026, 11, 20), "coverage"] == 0.0


def test_catch_up_reading_is_a_health_finding_not_a_spike():
    # hourly: 4 h without readings, then 109.7 kWh in one reading (18-40 kWh normally).
    # Before: a 109.7 kW spike, the site's demand peak and 78 kWh of savings
    readings, _ = outages.main_meter()
    week = outages.catch_up(readings, "2026-11-18 09:00", 4, 109.7)
    analysis = analyse_site_week(week, site=outages.SITE, period=outages.WEEK)
    assert analysis.spikes.empty and analysis.anomalies.empty
    assert "spike" not in set(analysis.quick_wins["type"])
    at = pd.Timestamp("2026-11-18 13:00", tz=outages.TZ)
    assert not (analysis.ledger["timestamp"] == at).any()
    others = week[outages.WEEK.contains(week["timestamp"]) & (week["timestamp"] != at)]
    assert analysis.demand["peak_kw"] == pytest.approx(others["power_kw"].max(), abs=1e-9)
    issue = analysis.health.set_index("type").loc["catch_up_reading"]
    assert (issue["start"], issue["value"]) == (at, pytest.approx(109.7, abs=1e-9))
    assert issue["gap_start"] == pd.Timestamp("2026-11-18 09:00", tz=outages.TZ)
    assert issue["gap_intervals"] == 4
    in_week = week[outages.WEEK.contains(week["timestamp"])]
    row = analysis.channels.set_index("channel_id").loc[outages.MAIN]
    assert row["energy_kwh"] == pytest.approx(in_week["energy_kwh"].sum(), abs=ENERGY_ATOL_KWH)


def test_catch_up_reading_in_the_baseline_is_screened_out():
    readings, _ = outages.main_meter()
    week = outages.catch_up(readings, "2026-11-04 09:00", 4, 109.7)  # a baseline Wednesday
    analysis = analyse_site_week(week, site=outages.SITE, period=outages.WEEK)
    row = analysis.channels.set_index("channel_id").loc[outages.MAIN]
    assert (row["baseline_catch_up_intervals"], row["baseline_screened_intervals"]) == (1, 1)
    screened = analysis.baseline_health.iloc[0]
    assert screened["type"] == "catch_up_reading"
    assert screened["start"] == pd.Timestamp("2026-11-04 13:00", tz=outages.TZ)
    assert analysis.health.empty and analysis.spikes.empty


def test_naive_period_or_overlapping_baseline_is_rejected():
    with pytest.raises(ValueError, match="overlaps the report period"):
        analyse_site_week(None, site=SITE, period=WEEK, baseline=WEEK)


# --- simulated weeks with labelled faults (tests/simulated.py) ---


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_clean_week_has_no_findings(week, resolution_s):
    _, analysis = case(week, resolution_s, faulty=False)
    assert analysis.health.empty
    assert analysis.anomalies.empty
    assert analysis.spikes.empty
    assert analysis.level_shifts.empty
    assert not analysis.after_hours["significant"].any()
    assert analysis.quick_wins.empty
    assert analysis.summary.status == "operating_normally"
    assert analysis.summary.headline == (
        "Operating normally: no data issues or unusual consumption found",
    )
    # nothing of a clean baseline is screened out, every reading measured
    assert analysis.baseline_health.empty
    assert (analysis.channels["baseline_screened_intervals"] == 0).all()
    assert (analysis.channels["outage_intervals"] == 0).all()


def test_faulty_week_has_no_other_findings():
    _, analysis = case("2025-W41", 900)
    assert set(analysis.anomalies["channel_id"]) == {KITCHEN_SMALL, RTU1}
    assert set(analysis.health["type"]) == {"stuck_sensor"}
