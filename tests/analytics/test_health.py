"""Tests of argo_lib.analytics.health: every sensor check, fixed as spec B2–B4 require."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from simulated import CASES, IDS, INJECTED_RTOL, RTU3, case, fault_label

from argo_lib import dates
from argo_lib.analytics import analyse_site_week, health
from argo_lib.config import ChannelConfig, SiteSettings

TZ = "America/New_York"
HOURS_ATOL = 1e-9  # durations computed from exact grid positions
WEEK = dates.report_week("2026-W47", tz=TZ)  # an ordinary week (no DST change, no holiday)
BASE = dates.baseline_period(WEEK)
SITE = SiteSettings(
    site_id="1",
    name="Test site",
    timezone=TZ,
    channels=(
        ChannelConfig(1, "AHU"),
        ChannelConfig(2, "Kitchen", max_kw=20.0),
        ChannelConfig(3, "Spare"),
    ),
)


def _load(index: pd.DatetimeIndex, channel_id: int, *, seed: int) -> np.ndarray:
    """A business-hours profile: 1 kW at night, 5 kW open, ±3 % noise (never constant)."""
    business = dates.business_hours_mask(index, tz=TZ)
    rng = np.random.default_rng(seed * 1000 + channel_id)
    return (1.0 + 4.0 * business) * (1.0 + 0.03 * rng.standard_normal(len(index)))


def _frame(resolution_s: int = 900, channels: tuple[int, ...] = (1, 2), seed: int = 0):
    period = dates.Period(BASE.start, WEEK.end)
    index = dates.expected_index(period, resolution_s=resolution_s)
    dt_h = resolution_s / 3600
    parts = []
    for cid in channels:
        power = _load(index, cid, seed=seed)
        parts.append(
            pd.DataFrame(
                {
                    "timestamp": index,
                    "channel_id": cid,
                    "power_kw": power,
                    "energy_kwh": power * dt_h,
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _issues(readings: pd.DataFrame, **kwargs) -> pd.DataFrame:
    return analyse_site_week(readings, site=SITE, period=WEEK, baseline=BASE, **kwargs).health


def _in_week(frame: pd.DataFrame, start: str, hours: float, channel_id: int) -> pd.Series:
    t0 = pd.Timestamp(start, tz=TZ)
    return (
        (frame["channel_id"] == channel_id)
        & (frame["timestamp"] >= t0)
        & (frame["timestamp"] < t0 + pd.Timedelta(hours=hours))
    )


def test_clean_data_has_only_the_channel_without_readings():
    issues = _issues(_frame())
    assert issues["type"].tolist() == ["no_data"]  # channel 3: reported, never dropped (B3)
    row = issues.iloc[0]
    assert (row["channel_id"], row["severity"], row["channel_name"]) == (3, "high", "Spare")
    assert row["start"] == WEEK.start and row["end"] == WEEK.end
    assert "no readings" in row["description"]


def test_past_week_is_not_stale_against_now():
    # B2: staleness is measured against the end of the report period, not the wall clock
    issues = _issues(_frame(channels=(1, 2, 3)))
    assert issues.empty


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_gap_stale_and_completeness(resolution_s):
    frame = _frame(resolution_s, channels=(1, 2, 3))
    gap = _in_week(frame, "2026-11-17 10:00", 5, 1)  # 5 h gap
    lead = _in_week(frame, "2026-11-16 00:00", 3, 2)  # leading gap of 3 h (B3)
    tail = _in_week(frame, "2026-11-21 00:00", 48, 3)  # silent for the last 48 h
    issues = _issues(frame[~(gap | lead | tail)])
    per_hour = 3600 // resolution_s
    missing = issues[issues["type"] == "missing_data"].set_index("channel_id")
    assert missing.loc[1, "intervals"] == 5 * per_hour
    assert missing.loc[1, "start"] == pd.Timestamp("2026-11-17 10:00", tz=TZ)
    assert missing.loc[2, "intervals"] == 3 * per_hour
    assert missing.loc[2, "start"] == WEEK.start
    assert missing.loc[1, "severity"] == ("high" if 5 * per_hour > 10 else "medium")
    stale = issues[issues["type"] == "stale_data"].iloc[0]
    assert stale["channel_id"] == 3
    assert stale["value"] == pytest.approx(48.0, abs=HOURS_ATOL)
    assert stale["severity"] == "high"
    low = issues[issues["type"] == "low_completeness"].set_index("channel_id")
    assert low.loc[3, "value"] == pytest.approx(100 * 120 / 168, abs=1e-6)
    assert 1 not in low.index  # 163/168 = 97 % complete


def test_one_missing_interval_is_not_a_gap():
    frame = _frame(3600)
    issues = _issues(frame[~_in_week(frame, "2026-11-18 03:00", 1, 1)])
    assert "missing_data" not in set(issues["type"])


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_stuck_sensor_of_six_hours_and_every_run(resolution_s):
    frame = _frame(resolution_s)
    for start in ("2026-11-17 09:00", "2026-11-19 20:00"):
        mask = _in_week(frame, start, 6, 1)
        frame.loc[mask, "power_kw"] = 3.21
    # a 6-hour run broken by a gap is two runs of 3 h: not stuck (B4: by time, not by row)
    broken = _in_week(frame, "2026-11-20 08:00", 6, 2)
    frame.loc[broken, "power_kw"] = 4.5
    frame = frame[~_in_week(frame, "2026-11-20 11:00", 1, 2)]
    stuck = _issues(frame).query("type == 'stuck_sensor'")
    assert stuck["channel_id"].tolist() == [1, 1]  # both runs reported
    hours = (stuck["end"] - stuck["start"]) / pd.Timedelta(hours=1)
    np.testing.assert_allclose(hours, [6.0, 6.0], rtol=0.05)
    np.testing.assert_allclose(stuck["value"], 3.21, atol=HOURS_ATOL)


def test_noisy_constant_base_load_is_not_stuck():
    frame = _frame()
    noise = np.random.default_rng(5).uniform(-0.1, 0.1, len(frame))
    frame["power_kw"] = 0.8 + noise  # a quiet base load wiggling ±0.1 kW all week (B4)
    assert "stuck_sensor" not in set(_issues(frame)["type"])


def test_zero_run_where_baseline_shows_load_is_an_outage():
    frame = _frame()
    frame.loc[_in_week(frame, "2026-11-18 08:00", 4, 1), ["power_kw", "energy_kwh"]] = 0.0
    analysis = analyse_site_week(frame, site=SITE, period=WEEK, baseline=BASE)
    zero = analysis.health.query("type == 'outage'")
    assert zero["channel_id"].tolist() == [1]
    assert zero.iloc[0]["intervals"] == 16
    assert zero.iloc[0]["start"] == pd.Timestamp("2026-11-18 08:00", tz=TZ)
    assert zero.iloc[0]["value"] == pytest.approx(5.0, rel=0.05)  # the baseline's 5 kW then
    assert zero.iloc[0]["severity"] == "medium"  # a sub-meter
    # not measurements: completeness counts them as missing
    row = analysis.channels.set_index("channel_id").loc[1]
    assert (row["actual"], row["outage_intervals"]) == (672 - 16, 16)
    assert row["completeness_pct"] == pytest.approx(100 * (672 - 16) / 672, abs=1e-9)


def _night(frame: pd.DataFrame) -> np.ndarray:
    """Rows from 20:00 to 06:00 local."""
    hour = frame["timestamp"].dt.tz_convert(TZ).dt.hour
    return ((hour >= 20) | (hour < 6)).to_numpy()


def _weekend(frame: pd.DataFrame) -> np.ndarray:
    return (frame["timestamp"].dt.tz_convert(TZ).dt.day_of_week >= 5).to_numpy()


@pytest.mark.parametrize("off", [_night, _weekend], ids=["every-night", "every-weekend"])
def test_plausible_zeros_are_not_an_outage(off):
    # a load that really switches off reads zero then on the baseline's weeks too
    frame = _frame(channels=(1, 2, 3))
    frame.loc[off(frame) & (frame["channel_id"] == 1), ["power_kw", "energy_kwh"]] = 0.0
    analysis = analyse_site_week(frame, site=SITE, period=WEEK, baseline=BASE)
    assert analysis.health.empty and analysis.baseline_health.empty
    row = analysis.channels.set_index("channel_id").loc[1]
    assert (row["completeness_pct"], row["baseline_screened_intervals"]) == (100.0, 0)


def test_zeros_on_most_saturdays_are_plausible():
    # off on 3 of the 4 baseline Saturdays and on this week's: the channel's usual Saturday
    # (the rule's boundary: 3 of 4 other weeks; zero-filled outages on 3 of 4 baseline
    # Saturdays followed by a loaded one are outages, see test_week)
    frame = _frame(channels=(1, 2, 3))
    local = frame["timestamp"].dt.tz_convert(TZ)
    saturday = (local.dt.day_of_week == 5) & (local.dt.date != pd.Timestamp("2026-11-07").date())
    frame.loc[saturday.to_numpy() & (frame["channel_id"] == 1), ["power_kw", "energy_kwh"]] = 0.0
    analysis = analyse_site_week(frame, site=SITE, period=WEEK, baseline=BASE)
    assert analysis.health.empty and analysis.baseline_health.empty


def test_outage_among_plausible_zeros_is_found_from_its_first_zero():
    # off every night; on Wednesday the meter reads 0 from 10:00, through the night, to 06:00
    frame = _frame(channels=(1, 2, 3))
    frame.loc[_night(frame) & (frame["channel_id"] == 1), ["power_kw", "energy_kwh"]] = 0.0
    frame.loc[_in_week(frame, "2026-11-18 10:00", 20, 1), ["power_kw", "energy_kwh"]] = 0.0
    analysis = analyse_site_week(frame, site=SITE, period=WEEK, baseline=BASE)
    outage = analysis.health.query("type == 'outage'")
    assert outage["channel_id"].tolist() == [1]
    assert outage.iloc[0]["start"] == pd.Timestamp("2026-11-18 10:00", tz=TZ)
    assert outage.iloc[0]["intervals"] == 20 * 4
    assert analysis.channels.set_index("channel_id").loc[1, "outage_intervals"] == 80


@pytest.mark.parametrize(
    ("role", "hours", "severity"),
    [("main", 6, "high"), ("main", 4, "medium"), ("sub", 52, "medium")],
    ids=["main-6h", "main-4h", "sub-52h"],
)
def test_outage_severity(role, hours, severity):
    site = SiteSettings(
        site_id="1", name="T", timezone=TZ, channels=(ChannelConfig(1, "Meter", role=role),)
    )
    frame = _frame(3600, channels=(1,))
    frame.loc[_in_week(frame, "2026-11-18 09:00", hours, 1), ["power_kw", "energy_kwh"]] = 0.0
    analysis = analyse_site_week(frame, site=site, period=WEEK, baseline=BASE)
    outage = analysis.health.query("type == 'outage'")
    assert (outage["intervals"].tolist(), outage["severity"].tolist()) == ([hours], [severity])
    assert analysis.summary.status == (
        "action_required" if severity == "high" else "attention_needed"
    )


def _close_gap(frame, start: str, hours: float, channel_id: int, *, times: float) -> pd.DataFrame:
    """Drop ``hours`` of readings from ``start``; the next reading carries ``times`` its energy."""
    gap = _in_week(frame, start, hours, channel_id)
    t1 = pd.Timestamp(start, tz=TZ) + pd.Timedelta(hours=hours)
    closing = ((frame["timestamp"] == t1) & (frame["channel_id"] == channel_id)).to_numpy()
    out = frame.copy()
    out.loc[closing, ["power_kw", "energy_kwh"]] *= times
    return out[~gap]


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_catch_up_reading_closes_a_gap(resolution_s):
    per_hour = 3600 // resolution_s
    frame = _close_gap(
        _frame(resolution_s), "2026-11-18 09:00", 2, 1, times=2 * per_hour + 1
    )  # the energy of the 2 h gap arrives with the 11:00 reading
    closing = frame[_in_week(frame, "2026-11-18 11:00", 1 / per_hour, 1)]
    energy = float(closing["energy_kwh"].iloc[0])
    analysis = analyse_site_week(frame, site=SITE, period=WEEK, baseline=BASE)
    issues = analysis.health.query("channel_id == 1").set_index("type")
    row = issues.loc["catch_up_reading"]
    assert row["start"] == pd.Timestamp("2026-11-18 11:00", tz=TZ)
    assert row["gap_start"] == pd.Timestamp("2026-11-18 09:00", tz=TZ)
    assert (row["gap_intervals"], row["intervals"]) == (2 * per_hour, 1)
    assert row["value"] == pytest.approx(energy, abs=1e-9)
    assert row["severity"] == "low"
    # the gap itself is still reported exactly, as it was
    assert issues.loc["missing_data", "start"] == pd.Timestamp("2026-11-18 09:00", tz=TZ)
    assert issues.loc["missing_data", "intervals"] == 2 * per_hour
    # never a spike, a demand peak or savings; the week's energy keeps the reading's kWh
    assert analysis.spikes.empty
    at = analysis.ledger["timestamp"] == row["start"]
    assert not (at & (analysis.ledger["channel_id"] == 1)).any()
    assert analysis.demand["peak_at"] != row["start"]  # the site's peak is a real one
    assert analysis.demand["peak_kw"] < energy / (resolution_s / 3600)
    week_energy = frame.loc[WEEK.contains(frame["timestamp"]) & (frame["channel_id"] == 1)]
    assert analysis.channels.set_index("channel_id").loc[1, "energy_kwh"] == pytest.approx(
        week_energy["energy_kwh"].sum(), abs=1e-6
    )


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_ordinary_reading_after_a_gap_is_not_a_catch_up(resolution_s):
    frame = _frame(resolution_s, channels=(1, 2, 3))
    drop = (
        _in_week(frame, "2026-11-17 10:00", 5, 1)  # inside opening hours
        | _in_week(frame, "2026-11-18 04:00", 3, 1)  # ends at opening: 1 kW before, 5 kW after
        | _in_week(frame, "2026-11-19 15:00", 4, 2)  # ends after closing: 5 kW before, 1 kW after
        | _in_week(frame, "2026-11-16 00:00", 3, 2)  # a leading gap
    )
    analysis = analyse_site_week(frame[~drop], site=SITE, period=WEEK, baseline=BASE)
    assert set(analysis.health["type"]) == {"missing_data"}
    assert len(analysis.health) == 4


def test_zero_filled_outage_and_its_catch_up_reading():
    # the gateway fills 02:00-08:00 with zeros; the 08:00 reading carries the 6 h of energy
    frame = _frame(channels=(1,))
    zeros = _in_week(frame, "2026-11-18 02:00", 6, 1)
    carried = frame.loc[zeros, "energy_kwh"].sum()
    frame.loc[zeros, ["power_kw", "energy_kwh"]] = 0.0
    closing = _in_week(frame, "2026-11-18 08:00", 0.25, 1)
    frame.loc[closing, "energy_kwh"] += carried
    frame.loc[closing, "power_kw"] = frame.loc[closing, "energy_kwh"] / 0.25
    analysis = analyse_site_week(frame, site=SITE, period=WEEK, baseline=BASE)
    issues = analysis.health.set_index("type")
    assert issues.loc["outage", "intervals"] == 24
    assert issues.loc["catch_up_reading", "gap_intervals"] == 24
    assert issues.loc["catch_up_reading", "gap_start"] == pd.Timestamp("2026-11-18 02:00", tz=TZ)
    row = analysis.channels.set_index("channel_id").loc[1]
    assert (row["actual"], row["outage_intervals"]) == (672 - 24, 24)
    # nothing is lost: the catch-up's kWh are the week's, though no analytic sees them
    in_week = frame[WEEK.contains(frame["timestamp"])]
    assert row["energy_kwh"] == pytest.approx(in_week["energy_kwh"].sum(), abs=1e-6)
    clean = analysis.clean_grids[900]
    rows = clean.index.get_indexer(pd.DatetimeIndex(frame.loc[zeros | closing, "timestamp"]))
    assert np.isnan(clean.load_kw[rows, 0]).all()


def test_baseline_is_screened_with_the_report_week_checks():
    frame = _frame(channels=(1, 2))
    stuck = _in_week(frame, "2026-10-27 09:00", 6, 1)  # a Tuesday of the baseline
    frame.loc[stuck, "power_kw"] = 3.21
    frame.loc[stuck, "energy_kwh"] = 3.21 / 4
    outage = _in_week(frame, "2026-11-04 10:00", 5, 2)  # Wednesday daytime, zero-filled
    frame.loc[outage, ["power_kw", "energy_kwh"]] = 0.0
    negative = _in_week(frame, "2026-10-29 02:00", 2, 2)
    frame.loc[negative, ["power_kw", "energy_kwh"]] *= -1
    frame = _close_gap(frame, "2026-11-10 12:00", 3, 1, times=13)
    analysis = analyse_site_week(frame, site=SITE, period=WEEK, baseline=BASE)
    assert analysis.health.query("channel_id in (1, 2)").empty  # the report week is clean
    screened = analysis.baseline_health.set_index(["channel_id", "type"])
    assert set(screened.index) == {
        (1, "catch_up_reading"),
        (1, "stuck_sensor"),
        (2, "outage"),
        (2, "negative_values"),
    }
    assert screened.loc[(2, "outage"), "start"] == pd.Timestamp("2026-11-04 10:00", tz=TZ)
    assert screened.loc[(1, "catch_up_reading"), "gap_intervals"] == 12
    table = analysis.channels.set_index("channel_id")
    counts = table.loc[
        [1, 2],
        [
            "baseline_stuck_intervals",
            "baseline_catch_up_intervals",
            "baseline_outage_intervals",
            "baseline_negative_intervals",
            "baseline_screened_intervals",
        ],
    ]
    assert counts.loc[1].tolist() == [24, 1, 0, 0, 25]
    assert counts.loc[2].tolist() == [0, 0, 20, 8, 28]
    n_base = len(dates.expected_index(BASE, resolution_s=900))  # 2692: the fall-back week
    assert table.loc[2, "baseline_screened_pct"] == pytest.approx(100 * 28 / n_base, abs=1e-9)
    # the fits saw missing data there, never zeros or the frozen value
    base = analysis.baseline_grids[900]
    for mask, col in ((stuck, 0), (outage, 1), (negative, 1)):
        rows = base.index.get_indexer(pd.DatetimeIndex(frame.loc[mask, "timestamp"]))
        assert np.isnan(base.load_kw[rows, col]).all()
    assert table.loc[1, "coverage"] == pytest.approx((n_base - 12 - 25) / n_base, abs=1e-9)


def test_negative_implausible_and_mismatch():
    frame = _frame()
    neg = _in_week(frame, "2026-11-18 02:00", 2, 1)
    frame.loc[neg, ["power_kw", "energy_kwh"]] *= -1
    frame.loc[_in_week(frame, "2026-11-18 12:00", 0.25, 2), ["power_kw", "energy_kwh"]] = [
        50.0,
        12.5,
    ]  # max_kw is 20
    mism = _in_week(frame, "2026-11-19 12:00", 3, 2)
    frame.loc[mism, "energy_kwh"] *= 1.3
    issues = _issues(frame)
    negative = issues.query("type == 'negative_values'").iloc[0]
    assert (negative["channel_id"], negative["intervals"]) == (1, 8)
    assert negative["value"] < 0
    implausible = issues.query("type == 'implausible_values'").iloc[0]
    assert implausible["channel_id"] == 2
    assert implausible["value"] == pytest.approx(50.0, abs=HOURS_ATOL)
    mismatch = issues.query("type == 'energy_power_mismatch'")
    assert mismatch["intervals"].tolist() == [12]
    assert mismatch.iloc[0]["start"] == pd.Timestamp("2026-11-19 12:00", tz=TZ)


def test_duplicates_out_of_order_and_irregular():
    frame = _frame(3600)
    inside = frame[_in_week(frame, "2026-11-18 00:00", 3, 1)]
    odd = inside.iloc[[0]].assign(timestamp=inside["timestamp"].iloc[0] + pd.Timedelta(minutes=7))
    frame = pd.concat([frame, inside.iloc[[1]], odd], ignore_index=True)  # repeated, late, off-grid
    issues = _issues(frame).set_index("type")
    assert issues.loc["duplicate_timestamps", "intervals"] == 1
    assert issues.loc["out_of_order_timestamps", "intervals"] >= 1
    assert issues.loc["irregular_interval", "intervals"] == 1
    assert issues.loc["duplicate_timestamps", "severity"] == "low"


def test_severity_rules_are_configurable():
    frame = _frame()
    frame.loc[_in_week(frame, "2026-11-17 09:00", 6, 1), "power_kw"] = 3.21
    thresholds = SITE.thresholds
    from argo_lib.thresholds import apply_overrides

    strict = apply_overrides(
        thresholds, {"health.stuck_severity": "high", "health.no_data_severity": "low"}
    )
    issues = _issues(frame, thresholds=strict).set_index("type")
    assert issues.loc["stuck_sensor", "severity"] == "high"
    assert issues.loc["no_data", "severity"] == "low"


def test_issue_frame_columns_and_empty_frame():
    assert tuple(health.empty_issues().columns) == health.ISSUE_COLUMNS
    issues = _issues(_frame())
    assert tuple(issues.columns) == health.ISSUE_COLUMNS
    assert str(issues["start"].dt.tz) == "UTC"


@pytest.mark.parametrize(
    ("missing_hours", "expected"),
    [([2, 3], (2, "medium")), ([1], None), (list(range(2, 14)), (12, "high"))],
    ids=["spec-example-01-04", "single", "long"],
)
def test_hourly_gap_worked_example(missing_hours, expected):
    # spec A2/A3: hourly 01:00 -> 04:00 is one gap of 2 missing intervals (>= 2: reported)
    frame = _frame(3600)
    day = pd.Timestamp("2026-11-18", tz=TZ)
    drop = frame["timestamp"].isin([day + pd.Timedelta(hours=h) for h in missing_hours])
    gaps = _issues(frame[~(drop & (frame["channel_id"] == 1))]).query("type == 'missing_data'")
    if expected is None:
        assert gaps.empty
    else:
        assert (gaps.iloc[0]["intervals"], gaps.iloc[0]["severity"]) == expected


def test_live_staleness_against_ingestion_time():
    frame = _frame(3600)
    analysis = analyse_site_week(
        frame, site=SITE, period=WEEK, baseline=BASE, as_of=WEEK.end + pd.Timedelta(hours=30)
    )
    table = analysis.channels.set_index("channel_id")
    assert table.loc[1, "stale_hours"] == pytest.approx(0.0, abs=HOURS_ATOL)
    assert table.loc[1, "stale_now_hours"] == pytest.approx(30.0, abs=HOURS_ATOL)
    assert np.isnan(table.loc[3, "stale_now_hours"])  # never reported


# --- simulated weeks with labelled faults (tests/simulated.py) ---


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_stuck_sensor_of_6_hours(week, resolution_s):
    sim, analysis = case(week, resolution_s)
    label = fault_label(sim, "stuck")
    stuck = analysis.health.query("type == 'stuck_sensor'")
    assert stuck["channel_id"].tolist() == [RTU3]
    hours = (stuck.iloc[0]["end"] - stuck.iloc[0]["start"]) / pd.Timedelta(hours=1)
    assert hours == pytest.approx(6.0, rel=INJECTED_RTOL)
    assert stuck.iloc[0]["start"] == label["start"]
    # a frozen reading is not consumption: no anomaly on the stuck channel
    assert RTU3 not in set(analysis.anomalies["channel_id"])
