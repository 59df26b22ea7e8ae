"""The week in whole numbers: consumption, cost, carbon, change, data quality (analytics.consumption)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ENERGY_ATOL_KWH, constant_readings

from argo_lib import dates
from argo_lib.analytics import analyse_site_week, consumption
from argo_lib.config import ChannelConfig, SiteSettings

TZ = "America/New_York"
SITE = SiteSettings(
    site_id="1",
    name="Test",
    timezone=TZ,
    channels=(ChannelConfig(1, "A"), ChannelConfig(2, "B")),
    carbon_kg_per_kwh=0.37,
)
WEEK = dates.report_week("2026-W47", tz=TZ)
BASE = dates.baseline_period(WEEK)


def _daily(index: pd.DatetimeIndex, mean_kw: float) -> np.ndarray:
    """A daily swing around a mean: whole days average to the mean (and nothing is stuck)."""
    return mean_kw + 0.25 * mean_kw * np.sin(2 * np.pi * np.arange(len(index)) / 24)


def _analysis(*, gap: int = 0, site: SiteSettings = SITE):
    """Channel 1: 2 kW in the baseline, 3 kW this week; channel 2: 1 kW throughout."""
    base_idx = dates.expected_index(BASE, resolution_s=3600)
    week_idx = dates.expected_index(WEEK, resolution_s=3600)
    both = base_idx.append(week_idx)
    week_one = constant_readings(week_idx, 1, _daily(week_idx, 3.0))
    if gap:
        week_one = week_one.iloc[gap:]  # the week's first hours are missing
    readings = pd.concat(
        [
            constant_readings(base_idx, 1, _daily(base_idx, 2.0)),
            week_one,
            constant_readings(both, 2, _daily(both, 1.0)),
        ],
        ignore_index=True,
    )
    return analyse_site_week(readings, site=site, period=WEEK, baseline=BASE)


def test_week_consumption_cost_carbon_and_change():
    analysis = _analysis()
    per = consumption.channel_consumption(analysis).set_index("channel_id")
    assert per.loc[1, "energy_kwh"] == pytest.approx(3.0 * 168, abs=ENERGY_ATOL_KWH)
    assert per.loc[1, "cost"] == pytest.approx(0.12 * 3.0 * 168, abs=1e-9)
    assert per.loc[1, "carbon_kg"] == pytest.approx(0.37 * 3.0 * 168, abs=1e-9)
    assert per.loc[1, "change_pct"] == pytest.approx(50.0, abs=1e-9)
    assert per.loc[2, "change_pct"] == pytest.approx(0.0, abs=1e-9)
    site = consumption.site_consumption(analysis, per.reset_index())
    assert site.source == "sum of the meters" and site.channel_ids == (1, 2)
    assert site.energy_kwh == pytest.approx(4.0 * 168, abs=ENERGY_ATOL_KWH)
    assert site.carbon_kg == pytest.approx(0.37 * 4.0 * 168, abs=1e-9)
    assert site.change_pct == pytest.approx(100.0 * (4.0 - 3.0) / 3.0, abs=1e-9)
    assert site.quality_index_pct == pytest.approx(100.0, abs=1e-12)


def test_a_gap_lowers_the_quality_index_not_the_change():
    analysis = _analysis(gap=24)
    per = consumption.channel_consumption(analysis).set_index("channel_id")
    assert per.loc[1, "change_pct"] == pytest.approx(50.0, abs=1e-9)  # means over readings
    assert per.loc[1, "quality_index_pct"] == pytest.approx(100.0 * 144 / 168, abs=1e-9)
    site = consumption.site_consumption(analysis)
    assert site.quality_index_pct == pytest.approx(100.0 * (144 + 168) / 336, abs=1e-9)


def test_the_main_meter_is_the_site_and_no_factor_means_no_carbon():
    channels = (ChannelConfig(1, "A", role="main"), ChannelConfig(2, "B"))
    site = SiteSettings(site_id="1", name="Test", timezone=TZ, channels=channels)
    result = consumption.site_consumption(_analysis(site=site))
    assert result.source == "main meter" and result.channel_ids == (1,)
    assert result.energy_kwh == pytest.approx(3.0 * 168, abs=ENERGY_ATOL_KWH)
    assert result.carbon_kg is None


def test_baseline_weeks_say_which_hold_data():
    base_idx = dates.expected_index(BASE, resolution_s=3600)
    week_idx = dates.expected_index(WEEK, resolution_s=3600)
    third_monday = (BASE.start.tz_localize(None) + pd.DateOffset(days=14)).tz_localize(TZ)
    later = base_idx[base_idx >= third_monday]  # the last two weeks only (the first has 169 h)
    readings = pd.concat(
        [
            constant_readings(later, 1, _daily(later, 2.0)),
            constant_readings(week_idx, 1, _daily(week_idx, 2.0)),
        ],
        ignore_index=True,
    )
    analysis = analyse_site_week(readings, site=SITE, period=WEEK, baseline=BASE)
    weeks = consumption.baseline_weeks(analysis)
    assert weeks["label"].tolist() == ["2026-W43", "2026-W44", "2026-W45", "2026-W46"]
    # channel 1 in the last two weeks, channel 2 never: half of the expected intervals at most
    np.testing.assert_allclose(weeks["coverage"], [0.0, 0.0, 0.5, 0.5], atol=1e-12)
