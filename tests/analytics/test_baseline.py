"""Baseline profiles by site-local time slot, with pooling fall-backs (argo_lib.analytics.baseline)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import constant_readings

from argo_lib import dates
from argo_lib.analytics import baseline, grid
from argo_lib.config import ChannelConfig, SiteSettings
from argo_lib.thresholds import BaselineThresholds

TZ = "America/New_York"
KW_ATOL = 1e-9  # values copied or interpolated from exact inputs
SITE = SiteSettings(
    site_id="1",
    name="Test",
    timezone=TZ,
    channels=(ChannelConfig(1, "A"), ChannelConfig(2, "B"), ChannelConfig(9, "Off", analyse=False)),
    skip_channels=(7,),
)


def _profile_for(resolution_s: int, power: float | np.ndarray = 2.0, *, drop: float = 0.0):
    period = dates.report_week("2026-W47", tz=TZ)
    base = dates.baseline_period(period)
    idx = dates.expected_index(base, resolution_s=resolution_s)
    frame = constant_readings(idx, 1, power)
    if drop:
        frame = frame.iloc[: int(len(frame) * (1 - drop))]
    frame = grid.check_readings(frame)
    table = grid.channel_table(
        frame,
        channels=pd.DataFrame({"channel_id": [1], "resolution_s": [resolution_s]}),
        site=SITE,
    )
    table = table[table["channel_id"] == 1]
    b = grid.build_grids(frame, table, period=base, tz=TZ)[resolution_s]
    r = grid.build_grids(frame, table, period=period, tz=TZ)[resolution_s]
    profile = baseline.fit_profile(b, thresholds=BaselineThresholds())
    return profile, baseline.expected_stats(profile, r)


def test_hourly_slots_pool_to_day_type_and_hour():
    # B5: hourly data give 4 values per hour-of-week slot: below min_samples, so weekday slots
    # pool to day type x hour (20 values) and Saturday slots further (3-hour blocks, 12 values)
    profile, stats = _profile_for(3600)
    levels = np.asarray(baseline.LEVELS)[stats.level[:, 0]]
    assert set(levels[:120]) == {"day_type_hour"}
    assert set(levels[120:144]) == {"day_type_block"}
    assert stats.n[:120, 0].min() >= 12
    # 15-min data have 16 values per hour of week: enough
    fifteen, stats15 = _profile_for(900)
    assert set(np.asarray(baseline.LEVELS)[stats15.level[:, 0]]) == {"hour_of_week"}


def test_constant_load_gives_zero_spread_not_nan():
    profile, stats = _profile_for(900, 2.0)
    np.testing.assert_allclose(stats.median, 2.0, atol=KW_ATOL)
    np.testing.assert_allclose(stats.q3 - stats.q1, 0.0, atol=KW_ATOL)
    assert profile.sufficient.all()


def test_incomplete_baseline_is_insufficient():
    profile, stats = _profile_for(900, 2.0, drop=0.6)
    assert not profile.sufficient[0]
    assert profile.coverage[0] == pytest.approx(0.4, abs=0.01)
    assert np.isnan(stats.median).all()  # "insufficient baseline", not numbers
    table = baseline.baseline_table([profile])
    assert table["baseline_status"].tolist() == ["insufficient"]


def test_a_baseline_missing_the_same_hours_every_week_is_insufficient():
    """Enough data overall but not at every time of the week: not enough to say what is normal."""
    period = dates.report_week("2026-W47", tz=TZ)
    base = dates.baseline_period(period)
    idx = dates.expected_index(base, resolution_s=3600)
    local = idx.tz_convert(TZ)
    hour_of_week = local.day_of_week * 24 + local.hour
    weeks = (idx - idx[0]) // pd.Timedelta(days=7)
    # 48 hours of the week (Monday and Tuesday) missing in three of the four weeks
    drop = (hour_of_week < 48) & (weeks > 0)
    frame = grid.check_readings(constant_readings(idx[~drop], 1, 2.0))
    table = grid.channel_table(
        frame, channels=pd.DataFrame({"channel_id": [1], "resolution_s": [3600]}), site=SITE
    )
    table = table[table["channel_id"] == 1]
    b = grid.build_grids(frame, table, period=base, tz=TZ)[3600]
    profile = baseline.fit_profile(b, thresholds=BaselineThresholds())
    assert profile.coverage[0] == pytest.approx(1 - 144 / len(idx), abs=1e-12)  # 79 % overall
    assert profile.slot_coverage is not None
    assert profile.slot_coverage[0] == pytest.approx(120 / 168, abs=1e-12)  # below 75 %
    assert not profile.sufficient[0]
    # one week missing those hours is fine: three of four weeks still cover them
    once = (hour_of_week < 48) & (weeks == 1)
    frame = grid.check_readings(constant_readings(idx[~once], 1, 2.0))
    b = grid.build_grids(frame, table, period=base, tz=TZ)[3600]
    assert baseline.fit_profile(b, thresholds=BaselineThresholds()).sufficient[0]
