"""The load model: magnitudes of the spec, schedules in local wall-clock time, weather, electrical fields."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from argo_lib import dates
from argo_lib.sim import (
    WILSON_CHANNELS,
    simulate_temperature,
)

TZ = "America/New_York"

# Derived electrical fields recomputed here with the spec's formulas (different operation order).
DERIVED_RTOL = 1e-9
# Issue: December channel means within ±25 % of the API spec's typical averages.
MAGNITUDE_RTOL = 0.25


@pytest.fixture(scope="module")
def december(sim) -> pd.DataFrame:
    return sim("2025-12-01", "2026-01-01").readings


@pytest.mark.parametrize("channel", WILSON_CHANNELS, ids=lambda c: c.name.split("_")[0])
def test_december_channel_mean_near_typical(december, channel):
    mean = december.loc[december["channel_id"] == channel.channel_id, "power_kw"].mean()
    assert mean == pytest.approx(channel.typical_avg_kw, rel=MAGNITUDE_RTOL)


def test_december_site_totals(december):
    site = december.groupby("timestamp")["power_kw"].sum()
    assert 14.0 <= site.max() <= 20.0  # spec: peaks at ≈ 17 kW
    assert 10.0 <= site.mean() <= 12.0  # spec: averages 10.7–12 kW
    assert 7_000 <= december["energy_kwh"].sum() <= 9_000  # spec: ≈ 7,560 kWh/month


def test_business_hours_above_night(december, local_hour):
    business = dates.business_hours_mask(
        december["timestamp"], tz=TZ, holidays=dates.holiday_dates(2025, 2025, country="US")
    )
    night = np.isin(local_hour(december), [1, 2, 3, 4])
    levels = december.assign(business=business, night=night)
    biz = levels[levels.business].groupby("channel_id")["power_kw"].mean()
    ngt = levels[levels.night].groupby("channel_id")["power_kw"].mean()
    assert (
        biz > 1.1 * ngt
    ).all()  # AHU-2 runs 24/7 and is the flattest (spec: avg 5.74, peak 6.49)
    site = levels.groupby("timestamp").agg(
        power_kw=("power_kw", "sum"), business=("business", "first"), night=("night", "first")
    )
    business_kw = site.loc[site["business"], "power_kw"].mean()
    assert business_kw > 1.3 * site.loc[site["night"], "power_kw"].mean()


def test_night_base_load_is_nonzero_noisy_and_never_repeats(december, local_hour):
    night = december[np.isin(local_hour(december), [0, 1, 2, 3, 4])]
    for _, group in night.groupby("channel_id"):
        power = group["power_kw"].to_numpy()
        assert power.min() > 0
        assert power.std() / power.mean() > 0.02
    clean = december.sort_values(["channel_id", "timestamp"])
    same = (clean["power_kw"].diff() == 0) & (clean["channel_id"].diff() == 0)
    assert not same.any()


def test_schedule_follows_local_wall_clock_in_summer_and_winter(sim, local_hour):
    for start, end in [("2025-07-07", "2025-07-12"), ("2025-12-08", "2025-12-13")]:
        r = sim(start, end, channels=[162285]).readings
        hourly = r.groupby(local_hour(r))["power_kw"].mean()
        assert hourly[12] > 2.0 * hourly[3]  # lunch peak at local noon in EDT and EST
        assert hourly[5] < 1.2 * hourly[3]  # still closed at local 05:00


def test_holiday_is_closed(sim, local_hour):
    r = sim("2025-12-18", "2025-12-26", channels=[162285]).readings
    noon = r[local_hour(r) == 12]
    per_day = noon.groupby(noon["timestamp"].dt.tz_convert(TZ).dt.date)["power_kw"].mean()
    assert (
        per_day[pd.Timestamp("2025-12-25").date()]
        < 0.6 * per_day[pd.Timestamp("2025-12-18").date()]
    )


def test_hvac_responds_to_temperature(sim):
    cold = sim("2026-01-12", "2026-01-17", channels=[162320])
    mild = sim("2025-05-12", "2025-05-17", channels=[162320])
    assert cold.temperature.mean() < mild.temperature.mean() - 5
    assert cold.readings["power_kw"].mean() > 1.2 * mild.readings["power_kw"].mean()


def test_temperature_is_seasonal_and_pure():
    winter = pd.date_range("2026-01-01", "2026-02-01", freq="h", tz="UTC", inclusive="left")
    summer = pd.date_range("2025-07-01", "2025-08-01", freq="h", tz="UTC", inclusive="left")
    assert simulate_temperature(summer).mean() > simulate_temperature(winter).mean() + 15
    part = simulate_temperature(winter[100:120], seed=3)
    whole = simulate_temperature(winter, seed=3)
    np.testing.assert_array_equal(part.to_numpy(), whole.to_numpy()[100:120])


def test_temperature_rejects_naive_index():
    with pytest.raises(ValueError, match="timezone-naive"):
        simulate_temperature(pd.date_range("2026-01-01", periods=3, freq="h"))


@pytest.mark.parametrize("resolution_s", [900, 1800, 3600], ids=["15min", "30min", "hourly"])
def test_energy_is_power_times_interval_exactly(resolution_s, sim):
    r = sim("2025-12-01", "2025-12-08", resolution_s=resolution_s, fields="all").readings
    dt_h = resolution_s / 3600
    np.testing.assert_array_equal(r["energy_kwh"], r["power_kw"] * dt_h)
    for p in (1, 2, 3):
        np.testing.assert_array_equal(r[f"energy_kwh_p{p}"], r[f"power_kw_p{p}"] * dt_h)


def test_electrical_fields_follow_the_spec(sim):
    r = sim("2025-12-01", "2025-12-08", fields="all").readings
    p_w = r["power_kw"] * 1000
    np.testing.assert_allclose(r["current_a"], p_w / (3 * r["voltage_v"] * r["power_factor"]),
                               rtol=DERIVED_RTOL)  # fmt: skip
    tan = np.tan(np.arccos(r["power_factor"]))
    np.testing.assert_allclose(r["reactive_power_kvar"], r["power_kw"] * tan, rtol=DERIVED_RTOL)
    np.testing.assert_allclose(r["apparent_power_kva"], r["power_kw"] / r["power_factor"],
                               rtol=DERIVED_RTOL)  # fmt: skip
    phases = r[["power_kw_p1", "power_kw_p2", "power_kw_p3"]].sum(axis=1)
    np.testing.assert_allclose(phases, r["power_kw"], rtol=DERIVED_RTOL)
    share = r["power_kw_p1"] / r["power_kw"]
    assert share.between(0.27, 0.40).all()
    assert r["voltage_v"].between(118, 122).all()
    assert r["power_factor"].between(0.60, 0.95).all()
    assert r["frequency_hz"].between(59.95, 60.05).all()
    assert r["thd_current_pct"].between(3, 30).all()
    assert (r["neutral_current_a"] >= 0).all()
    assert (r["neutral_current_a"] < 0.3 * r["current_a"]).all()
    kitchen = r[r["channel_id"] == 162285]
    assert kitchen["power_factor"].mean() == pytest.approx(0.62, abs=0.02)  # spec: PF ≈ 0.6
