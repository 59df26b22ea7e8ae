"""Daily load shape: base, peak, high-load hours, rise and fall times (argo_lib.analytics.load_shape)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from conftest import constant_readings

from argo_lib import dates
from argo_lib.analytics import grid, load_shape
from argo_lib.config import ChannelConfig, SiteSettings

TZ = "America/New_York"
KW_ATOL = 1e-9  # values copied from exact inputs
ENERGY_ATOL_KWH = 1e-6  # sums of exact inputs
SITE = SiteSettings(site_id="1", name="Test", timezone=TZ, channels=(ChannelConfig(1, "A"),))


def _shape(week: str, resolution_s: int = 900):
    """2 kW all the time, 10 kW on weekdays from 08:00 to 18:00 local time."""
    period = dates.report_week(week, tz=TZ)
    index = dates.expected_index(period, resolution_s=resolution_s)
    local = index.tz_convert(TZ)
    busy = (local.day_of_week < 5) & (local.hour >= 8) & (local.hour < 18)
    frame = grid.check_readings(constant_readings(index, 1, np.where(busy, 10.0, 2.0)))
    table = grid.channel_table(frame, channels=None, site=SITE)
    g = grid.build_grids(frame, table, period=period, tz=TZ, opening_hours=SITE.opening_hours)[
        resolution_s
    ]
    return load_shape.load_shape(g)


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_a_weekday_shape_in_numbers(resolution_s):
    daily, ratio = _shape("2026-W47", resolution_s)
    assert tuple(daily.columns) == load_shape.LOAD_SHAPE_COLUMNS
    monday = daily.set_index("date").loc[dt.date(2026, 11, 16)]
    assert monday["day_type"] == "weekday"
    assert monday["base_kw"] == pytest.approx(2.0, abs=KW_ATOL)
    assert monday["peak_kw"] == pytest.approx(10.0, abs=KW_ATOL)
    assert monday["peak_to_base"] == pytest.approx(5.0, abs=KW_ATOL)
    assert monday["energy_kwh"] == pytest.approx(14 * 2.0 + 10 * 10.0, abs=ENERGY_ATOL_KWH)
    assert monday["high_load_hours"] == pytest.approx(10.0, abs=KW_ATOL)
    assert (monday["rise_time"], monday["fall_time"]) == ("08:00", "18:00")
    # opening hours 07:00-18:00: the 10 kW hours are business time, the 2 kW nights are not
    assert monday["after_hours_share"] == pytest.approx(13 * 2.0 / 128.0, abs=1e-12)
    assert monday["coverage"] == 1.0
    sunday = daily.set_index("date").loc[dt.date(2026, 11, 22)]
    assert sunday["peak_to_base"] == pytest.approx(1.0) and pd.isna(sunday["rise_time"])
    assert ratio.loc[1] == pytest.approx(128.0 / 48.0, rel=1e-12)


def test_the_day_clocks_go_back_has_25_hours():
    daily, _ = _shape("2026-W44", 3600)  # Sunday 2026-11-01, 25 local hours
    sunday = daily.set_index("date").loc[dt.date(2026, 11, 1)]
    assert sunday["energy_kwh"] == pytest.approx(25 * 2.0, abs=ENERGY_ATOL_KWH)
