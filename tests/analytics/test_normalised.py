"""Tests of the weather-normalised change between a baseline and a reporting period.

Simulated Wilson Center readings (``argo_lib.sim``): the same building before and after, a
known step injected into the reporting period, a colder reporting period, a zero-filled outage
in the baseline, a DST week; and the ASHRAE Guideline 14 savings uncertainty against a hand
computation, and the empirical period-level term from the held-out folds that is combined with
it (the bias a no-change period shows must not read as a significant saving).
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd
import pytest

from argo_lib import config, dates
from argo_lib.analytics import normalised
from argo_lib.analytics.normalised import (
    combined_uncertainty,
    fold_errors,
    model_uncertainty,
    normalised_change,
    savings_uncertainty,
)
from argo_lib.sim import WILSON_MAIN, Fault, MainMeter, Phenomena, simulate_readings

SITE = config.load_site("23271")
TZ = SITE.tz
AHU2 = 162121  # the largest channel (≈ 6 kW), with a heating and a cooling response
KITCHEN_SMALL = 162319  # no weather response
# the model's error over a month of the same building: its in-sample CV(RMSE) is ≈ 2 % per hour,
# errors of hours partly cancel over a month (the no-change runs: |change| 0.03-0.3 %)
NO_CHANGE_MAX_PCT = 1.0
CV_RANGE_PCT = (0.5, 10.0)  # a calibrated hourly site model; G14 allows up to 30 %
STEP = 0.85  # the reporting readings scaled by this factor (a 15 % saving)


def _period(first: str, end: str) -> dates.Period:
    return dates.Period.from_dates(first, end, tz=TZ)


@functools.lru_cache(maxsize=8)
def _simulation(first: str, split: str, end: str, resolution_s: int = 3600, faults=()):
    sim = simulate_readings(
        start=_period(first, end).start,
        end=_period(first, end).end,
        resolution_s=resolution_s,
        seed=3,
        site=SITE,
        faults=faults,
    )
    return sim


@functools.lru_cache(maxsize=8)
def _change(first: str, split: str, end: str, *, weather: bool = True, faults=()):
    sim = _simulation(first, split, end, faults=faults)
    return normalised_change(
        sim.readings,
        site=SITE,
        baseline=_period(first, split),
        reporting=_period(split, end),
        temperature=sim.temperature if weather else None,
    )


SUMMER = ("2025-06-02", "2025-07-28", "2025-08-25")  # 8 weeks, then 4 weeks
# no change, but the model's error over the reporting weeks (≈ 1.6 %) is 3-4 times the formula's
# band: the Guideline 14 term alone calls it significant, the combined band does not
BIASED = ("2025-09-01", "2025-10-27", "2025-11-24")
AUTUMN = ("2025-10-06", "2025-12-01", "2025-12-29")  # 8 autumn weeks, then a colder December


def _site(change: normalised.NormalisedChange) -> pd.Series:
    return change.models.iloc[0]


def _row(change: normalised.NormalisedChange, channel_id: int) -> pd.Series:
    return change.models.set_index("channel_id").loc[channel_id]


# --------------------------------------------------------------------------------------------
# (1) the same building: no change


def test_no_change_is_small_and_not_significant():
    change = _change(*SUMMER)
    site = _site(change)
    assert change.status == "ok"
    assert list(change.models.columns) == list(normalised.MODEL_COLUMNS)
    assert site["channel_id"] == 0 and site["channel_name"] == "Site total"
    assert len(change.models) == 1 + len(SITE.channels)
    assert abs(site["change_pct"]) < NO_CHANGE_MAX_PCT
    assert not site["significant"]
    assert abs(site["savings_kwh"]) < site["uncertainty_kwh"]
    assert CV_RANGE_PCT[0] < site["cv_rmse_pct"] < CV_RANGE_PCT[1]
    assert site["meets_g14"]
    # out of sample the model does worse than on the hours it was fitted on (a single channel
    # may not: in-sample divides by n - p, out of sample by n)
    fitted = change.models[change.models["model_status"].isin(["calibrated", "not_calibrated"])]
    assert len(fitted) == len(change.models)
    assert site["cv_rmse_oos_pct"] >= site["cv_rmse_pct"]
    assert (fitted["cv_rmse_oos_pct"] >= fitted["cv_rmse_pct"]).mean() >= 0.75
    assert abs(site["nmbe_oos_pct"]) < 1.0
    # 8 weeks of hours, all read; the reporting 4 weeks all read and predicted
    assert site["baseline_hours"] == 8 * 168
    assert site["reporting_hours"] == 4 * 168
    assert site["coverage_pct"] == pytest.approx(100.0)
    assert 0.0 < site["autocorrelation"] < 1.0
    # the site total is the sum of its channels' hours (all complete here)
    channels = change.models.iloc[1:]
    assert site["actual_kwh"] == pytest.approx(channels["actual_kwh"].sum(), rel=1e-9)
    assert site["change_kwh"] == pytest.approx(site["actual_kwh"] - site["expected_kwh"])
    assert site["savings_kwh"] == pytest.approx(-site["change_kwh"])
    assert "weather-normalised baseline" in change.message
    assert "no change can be claimed" in change.message


def test_daily_frame_adds_up_to_the_site_row():
    change = _change(*SUMMER)
    daily = change.daily
    assert list(daily.columns) == list(normalised.DAILY_COLUMNS)
    assert (daily["period"] == "baseline").sum() == 56
    assert (daily["period"] == "reporting").sum() == 28
    assert isinstance(daily["date"].iloc[0], dt.date)
    assert daily["date"].iloc[0] == dt.date(2025, 6, 2)
    assert daily["date"].iloc[-1] == dt.date(2025, 8, 24)
    rep = daily[daily["period"] == "reporting"]
    site = _site(change)
    assert rep["actual_kwh"].sum() == pytest.approx(site["actual_kwh"], rel=1e-9)
    assert rep["expected_kwh"].sum() == pytest.approx(site["expected_kwh"], rel=1e-9)
    assert rep["hours"].sum() == site["reporting_hours"]
    assert daily["temperature_c"].between(5.0, 40.0).all()  # a New York summer


# --------------------------------------------------------------------------------------------
# (2) a known step


@functools.lru_cache(maxsize=1)
def _step_change() -> tuple[normalised.NormalisedChange, float]:
    first, split, end = SUMMER
    sim = _simulation(first, split, end)
    readings = sim.readings.copy()
    later = readings["timestamp"] >= _period(split, end).start
    readings.loc[later, ["energy_kwh", "power_kw"]] *= STEP
    change = normalised_change(
        readings,
        site=SITE,
        baseline=_period(first, split),
        reporting=_period(split, end),
        temperature=sim.temperature,
    )
    unscaled = _site(_change(*SUMMER))["actual_kwh"]
    return change, (1.0 - STEP) * unscaled


def test_step_saving_is_found_within_its_uncertainty():
    change, injected = _step_change()
    site = _site(change)
    assert change.status == "ok"
    assert site["reporting_hours"] == 4 * 168  # the step is not taken for a sensor fault
    assert site["savings_kwh"] == pytest.approx(injected, abs=site["uncertainty_kwh"])
    assert site["significant"]
    assert site["change_pct"] == pytest.approx(-15.0, abs=1.0)
    assert 0.0 < site["fsu_pct"] < 50.0  # Guideline 14: FSU < 50 % at 68 % confidence
    assert "lower than the weather-normalised baseline" in change.message
    assert "no change can be claimed" not in change.message


def test_step_on_one_channel_is_attributed_to_it():
    first, split, end = SUMMER
    kw = -1.0  # AHU-2 draws 1 kW less from the start of the reporting period
    fault = Fault(AHU2, "level_shift", _period(split, end).start, None, size=kw)
    change = _change(first, split, end, faults=(fault,))
    ahu, site = _row(change, AHU2), _site(change)
    injected = -kw * ahu["reporting_hours"]  # [kWh]
    assert ahu["savings_kwh"] == pytest.approx(injected, abs=ahu["uncertainty_kwh"])
    assert ahu["significant"]
    assert site["savings_kwh"] == pytest.approx(injected, abs=site["uncertainty_kwh"])
    kitchen = _row(change, KITCHEN_SMALL)
    assert abs(kitchen["change_pct"]) < NO_CHANGE_MAX_PCT


# --------------------------------------------------------------------------------------------
# (3) weather


def test_colder_reporting_period_is_normalised():
    change = _change(*AUTUMN)
    site = _site(change)
    daily = change.daily
    base, rep = daily[daily["period"] == "baseline"], daily[daily["period"] == "reporting"]
    assert rep["temperature_c"].mean() < base["temperature_c"].mean() - 5.0
    raw_pct = (
        rep["actual_kwh"].sum()
        / rep["hours"].sum()
        / (base["actual_kwh"].sum() / base["hours"].sum())
        - 1.0
    ) * 100.0
    assert raw_pct > 4.0  # the heating: a raw comparison reads a large increase
    assert abs(site["change_pct"]) < NO_CHANGE_MAX_PCT
    assert not site["significant"]
    # the HVAC channels respond to the weather; the kitchen panel does not
    assert np.isfinite(_row(change, AHU2)["heating_balance_c"])
    kitchen = _row(change, KITCHEN_SMALL)
    assert np.isnan(kitchen["heating_balance_c"]) and np.isnan(kitchen["cooling_balance_c"])


def test_without_temperature_a_time_of_week_model_is_used():
    change = _change(*SUMMER, weather=False)
    site = _site(change)
    assert change.status == "no_temperature"
    assert site["model_status"] in ("calibrated", "not_calibrated")
    assert np.isnan(site["heating_balance_c"]) and np.isnan(site["cooling_balance_c"])
    assert np.isfinite(site["expected_kwh"]) and site["reporting_hours"] == 4 * 168
    assert "not weather-normalised" in change.message
    assert change.daily["temperature_c"].isna().all()
    # weather terms explain part of the hourly variation: the fit without them is worse
    assert site["cv_rmse_pct"] > _site(_change(*SUMMER))["cv_rmse_pct"]


# --------------------------------------------------------------------------------------------
# (4) an outage in the baseline


def test_zero_filled_outage_in_the_baseline_is_screened():
    first, split, end = SUMMER
    start = pd.Timestamp("2025-06-17 06:00", tz=TZ)
    outage = Fault(AHU2, "outage", start, start + pd.Timedelta(hours=40), catch_up=False)
    sim = _simulation(first, split, end, faults=(outage,))
    label = sim.labels[sim.labels["kind"] == "outage"].iloc[0]
    hidden = float(label["expected_kwh"])  # energy the zeros hide [kWh]
    assert hidden > 100.0
    clean, faulty = _change(*SUMMER), _change(first, split, end, faults=(outage,))
    a, b = _row(clean, AHU2), _row(faulty, AHU2)
    assert a["baseline_hours"] - b["baseline_hours"] == 40  # the zeros left out
    assert _site(clean)["baseline_hours"] - _site(faulty)["baseline_hours"] == 40
    # zeros taken as readings would lower the expected load by about hidden * m / n
    bias_if_kept = hidden * b["reporting_hours"] / b["baseline_hours"]
    assert abs(b["expected_kwh"] - a["expected_kwh"]) < 0.1 * bias_if_kept
    assert abs(_site(faulty)["change_pct"]) < NO_CHANGE_MAX_PCT


# --------------------------------------------------------------------------------------------
# (5) the savings uncertainty


def test_savings_uncertainty_matches_a_hand_computation():
    cv_pct, n, rho, p, m, expected = 15.0, 1344, 0.6, 46, 672, 5000.0
    n_eff = 1344 * 0.4 / 1.6  # 336
    t_90 = 1.650125  # Student t, two-sided 90 %, 290 degrees of freedom (tables)
    hand = t_90 * 1.26 * 0.15 * np.sqrt((n / n_eff) * (1 + 2 / n) / m) * expected
    assert hand == pytest.approx(120.40, abs=0.01)
    got = savings_uncertainty(
        cv_pct,
        expected_kwh=expected,
        n_baseline=n,
        n_reporting=m,
        autocorrelation=rho,
        n_parameters=p,
        confidence=0.90,
    )
    assert float(got) == pytest.approx(hand, rel=1e-5)
    # autocorrelation clipped at 0: n' = n; and too few degrees of freedom: NaN
    no_rho = savings_uncertainty(
        cv_pct, expected_kwh=expected, n_baseline=n, n_reporting=m, autocorrelation=-0.3,
        n_parameters=p,
    )  # fmt: skip
    t_0 = 1.646028  # two-sided 90 %, 1298 degrees of freedom
    assert float(no_rho) == pytest.approx(
        t_0 * 1.26 * 0.15 * np.sqrt((1 + 2 / n) / m) * expected, rel=1e-5
    )
    assert np.isnan(
        savings_uncertainty(
            cv_pct, expected_kwh=expected, n_baseline=50, n_reporting=m, autocorrelation=0.9,
            n_parameters=p,
        )
    )  # fmt: skip


def test_model_uncertainty_matches_a_hand_computation():
    # fold errors: the relative error of each held-out fold's total, over hours with both values
    load = np.array([[10.0, 5.0], [10.0, 5.0], [12.0, np.nan], [12.0, 4.0], [9.0, 4.0]])
    pred = np.array([[10.0, 5.0], [np.nan, 5.0], [10.0, 5.0], [10.0, 5.0], [10.0, 5.0]])
    fold = np.array([0, 0, 1, 1, 1])
    r = fold_errors(load, pred, fold, 2, min_hours=2)
    assert np.isnan(r[0, 0])  # one hour with both values: fewer than min_hours
    assert r[1, 0] == pytest.approx((2.0 + 2.0 - 1.0) / 30.0)
    assert r[0, 1] == pytest.approx(0.0)
    assert r[1, 1] == pytest.approx(-2.0 / 10.0)
    # RMS of the fold errors (spread and bias) times Student t with k degrees of freedom
    errors = np.array([0.012, 0.018, 0.009, 0.021])  # all positive: a bias the folds share
    rms = np.sqrt(np.mean(errors**2))
    t_4 = 2.131847  # Student t, two-sided 90 %, 4 degrees of freedom (tables)
    hand = t_4 * rms * 5000.0
    assert hand == pytest.approx(167.69, abs=0.01)  # sqrt(247.5e-6) = 0.015732
    got = model_uncertainty(errors, expected_kwh=-5000.0, confidence=0.90)
    assert float(got) == pytest.approx(hand, rel=1e-5)
    # columns are independent; a fold without an error is left out (k = 3: t = 2.353363)
    two = np.column_stack([errors, [0.01, np.nan, -0.01, 0.02]])
    got = model_uncertainty(two, expected_kwh=np.array([5000.0, 100.0]), confidence=0.90)
    assert got[0] == pytest.approx(hand, rel=1e-5)
    assert got[1] == pytest.approx(2.353363 * np.sqrt(0.0006 / 3) * 100.0, rel=1e-5)
    # one fold error is no spread: NaN, and a NaN term makes the combination NaN
    assert np.isnan(model_uncertainty([0.01, np.nan], expected_kwh=100.0))
    assert float(combined_uncertainty(120.40, hand)) == pytest.approx(np.hypot(120.40, hand))
    assert np.isnan(combined_uncertainty(np.nan, hand))
    # a saving the size of that shared bias is not significant with the combined band, though
    # the formula's band alone (hourly noise) would call it so
    savings = 0.015 * 5000.0
    assert savings > 50.0 and savings < float(combined_uncertainty(50.0, hand))


def test_model_bias_is_not_a_significant_change():
    change = _change(*BIASED)  # the same building: no change
    site = _site(change)
    assert change.status == "ok"
    assert 1.0 < abs(site["change_pct"]) < 2.5  # the model's own error over the reporting weeks
    assert abs(site["savings_kwh"]) > site["g14_uncertainty_kwh"]  # the formula alone: "saving"
    assert site["model_uncertainty_kwh"] > abs(site["savings_kwh"])
    assert not site["significant"]
    assert "no change can be claimed" in change.message
    assert "including the model's error out of sample" in change.message


def test_site_row_uses_the_formula():
    change, _ = _step_change()
    site = _site(change)
    args = {
        "expected_kwh": site["expected_kwh"],
        "n_baseline": site["baseline_hours"],
        "n_reporting": site["reporting_hours"],
        "autocorrelation": site["autocorrelation"],
        "n_parameters": site["n_parameters"],
    }
    band = savings_uncertainty(site["cv_rmse_pct"], confidence=0.90, **args)
    band_68 = savings_uncertainty(site["cv_rmse_pct"], confidence=0.68, **args)
    assert site["g14_uncertainty_kwh"] == pytest.approx(float(band), rel=1e-12)
    # the FSU stays the Guideline 14 number, from the formula alone
    assert site["fsu_pct"] == pytest.approx(float(band_68) / site["savings_kwh"] * 100, rel=1e-12)
    assert band_68 < band
    # the reported band adds the folds' period-level error in quadrature
    model = site["model_uncertainty_kwh"]
    assert 0.0 < model < 0.05 * site["expected_kwh"]
    assert site["uncertainty_kwh"] == pytest.approx(np.hypot(float(band), model), rel=1e-12)
    assert site["uncertainty_kwh"] > max(float(band), model)
    models = change.models
    assert np.allclose(
        models["uncertainty_kwh"],
        np.hypot(models["g14_uncertainty_kwh"], models["model_uncertainty_kwh"]),
        rtol=1e-12,
    )
    assert (
        models["significant"] == (models["savings_kwh"].abs() > models["uncertainty_kwh"])
    ).all()


def test_message_without_an_uncertainty():
    row = pd.Series(
        {"change_pct": 2.5, "change_kwh": 177.0, "uncertainty_kwh": np.nan, "significant": False}
    )
    text = normalised._change_message(row, weather=False, confidence=0.9)
    assert text.startswith("Consumption was 2.5 % higher than the time-of-week baseline")
    assert "(+177 kWh), but its uncertainty cannot be estimated" in text
    assert text.endswith("not weather-normalised.") and text.count(".") == 2  # 2.5 and the end
    row["uncertainty_kwh"], row["change_kwh"], row["change_pct"] = 310.0, -1234.0, -8.2
    row["significant"] = True
    assert normalised._change_message(row, weather=True, confidence=0.9) == (
        "Consumption was 8.2 % lower than the weather-normalised baseline predicts "
        "(−1,234 kWh ± 310 kWh at 90 % confidence, including the model's error out of sample, "
        "on baseline weeks it was not fitted on)."
    )
    # the formula's term known, too few held-out folds for the model's term
    row["uncertainty_kwh"], row["g14_uncertainty_kwh"], row["significant"] = np.nan, 40.0, False
    text = normalised._change_message(row, weather=True, confidence=0.9)
    assert "uncertainty cannot be estimated (too few baseline weeks with readings" in text
    assert text.endswith("no change can be claimed.")


def test_lag1_autocorrelation():
    e = np.array([[1.0, 1.0], [2.0, np.nan], [3.0, 1.0], [4.0, -1.0]])
    r = normalised.lag1_autocorrelation(e)
    # column 0: deviations -1.5, -0.5, 0.5, 1.5 -> (0.75 - 0.25 + 0.75) / 5
    assert r[0] == pytest.approx(0.25)
    # column 1: mean 1/3, deviations 2/3, -, 2/3, -4/3; one known pair -> (-8/9) / (24/9)
    assert r[1] == pytest.approx(-1.0 / 3.0)


# --------------------------------------------------------------------------------------------
# (6) errors and statuses


def test_overlapping_periods_raise():
    sim = _simulation(*SUMMER)
    with pytest.raises(ValueError, match="overlap"):
        normalised_change(
            sim.readings,
            site=SITE,
            baseline=_period("2025-06-02", "2025-07-28"),
            reporting=_period("2025-07-21", "2025-08-18"),
            temperature=sim.temperature,
        )
    with pytest.raises(ValueError, match="confidence"):
        normalised_change(
            sim.readings,
            site=SITE,
            baseline=_period("2025-06-02", "2025-07-28"),
            reporting=_period("2025-07-28", "2025-08-25"),
            temperature=sim.temperature,
            confidence=90.0,
        )


def test_short_baseline_is_insufficient():
    sim = _simulation(*SUMMER)
    change = normalised_change(
        sim.readings,
        site=SITE,
        baseline=_period("2025-07-21", "2025-07-28"),  # one week
        reporting=_period("2025-07-28", "2025-08-25"),
        temperature=sim.temperature,
    )
    site = _site(change)
    assert change.status == "insufficient_baseline"
    assert site["model_status"] == "insufficient_baseline"
    assert np.isnan(site["expected_kwh"]) and np.isnan(site["uncertainty_kwh"])
    assert not site["significant"]
    assert "longer baseline" in change.message and "168 hours" in change.message
    rep = change.daily[change.daily["period"] == "reporting"]
    assert rep["expected_kwh"].isna().all() and (rep["hours"] == 24).all()


def test_reporting_period_without_readings():
    first, split, end = SUMMER
    sim = _simulation(first, split, end)
    before = sim.readings[sim.readings["timestamp"] < _period(split, end).start]
    change = normalised_change(
        before,
        site=SITE,
        baseline=_period(first, split),
        reporting=_period(split, end),
        temperature=sim.temperature,
    )
    assert change.status == "no_reporting_data"
    assert np.isnan(_site(change)["change_kwh"])
    assert _site(change)["coverage_pct"] == 0.0
    assert "no hour with readings" in change.message


def test_channel_missing_hours_do_not_look_like_a_low_load():
    first, split, end = SUMMER
    sim = _simulation(first, split, end)
    rep = _period(split, end)
    readings = sim.readings
    gap = (
        (readings["channel_id"] == AHU2)
        & (readings["timestamp"] >= rep.start)
        & (readings["timestamp"] < rep.start + pd.Timedelta(days=7))
    )
    change = normalised_change(
        readings[~gap],
        site=SITE,
        baseline=_period(first, split),
        reporting=rep,
        temperature=sim.temperature,
    )
    site = _site(change)
    assert site["reporting_hours"] == 3 * 168  # the site total misses the week AHU-2 does
    assert site["coverage_pct"] == pytest.approx(75.0)
    assert abs(site["change_pct"]) < NO_CHANGE_MAX_PCT


def test_main_meter_is_the_site_total():
    first, split, end = SUMMER
    sim = simulate_readings(
        start=_period(first, end).start,
        end=_period(first, end).end,
        resolution_s=3600,
        seed=3,
        site=SITE,
        phenomena=Phenomena(main_meter=MainMeter()),
    )
    main = WILSON_MAIN.channel_id
    change = normalised_change(
        sim.readings,
        site=SITE,
        baseline=_period(first, split),
        reporting=_period(split, end),
        temperature=sim.temperature,
        channels=pd.DataFrame({"channel_id": [main], "role": ["main"]}),
    )
    site, meter = _site(change), _row(change, main)
    assert change.status == "ok"
    assert site["actual_kwh"] == pytest.approx(meter["actual_kwh"], rel=1e-12)
    assert site["expected_kwh"] == pytest.approx(meter["expected_kwh"], rel=1e-12)
    subs = change.models[~change.models["channel_id"].isin([0, main])]
    assert site["actual_kwh"] > 1.5 * subs["actual_kwh"].sum()  # not the sub-meters' sum


# --------------------------------------------------------------------------------------------
# (7) a DST week at 15-min resolution


def test_dst_week_counts_169_hours():
    reporting = dates.report_week("2026-W44", tz=TZ)  # clocks go back on Sun 2026-11-01
    baseline = dates.baseline_period(reporting, weeks=4)
    sim = simulate_readings(
        start=baseline.start, end=reporting.end, resolution_s=900, seed=3, site=SITE
    )
    # one missing quarter-hour leaves its hour out (of the channel and of the site total)
    drop = (sim.readings["channel_id"] == KITCHEN_SMALL) & (
        sim.readings["timestamp"] == pd.Timestamp("2026-10-28 15:15", tz=TZ)
    )
    assert drop.sum() == 1
    change = normalised_change(
        sim.readings[~drop],
        site=SITE,
        baseline=baseline,
        reporting=reporting,
        temperature=sim.temperature,
    )
    assert change.status == "ok"
    assert reporting.hours == 169.0
    assert _row(change, AHU2)["reporting_hours"] == 169
    assert _row(change, KITCHEN_SMALL)["reporting_hours"] == 168
    assert _site(change)["reporting_hours"] == 168
    assert _row(change, AHU2)["coverage_pct"] == pytest.approx(100.0)
    rep = change.daily[change.daily["period"] == "reporting"].set_index("date")
    assert rep.loc[dt.date(2026, 11, 1), "hours"] == 25
    assert rep.loc[dt.date(2026, 10, 28), "hours"] == 23
    assert rep["hours"].sum() == 168
    assert _site(change)["baseline_hours"] == 4 * 168
