"""Tests of argo_lib.analytics.grid and baseline: layout on the interval grid, runs, profiles."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import constant_readings

from argo_lib import dates
from argo_lib.analytics import grid
from argo_lib.config import ChannelConfig, SiteSettings

TZ = "America/New_York"
KW_ATOL = 1e-9  # values copied or interpolated from exact inputs
SITE = SiteSettings(
    site_id="1",
    name="Test",
    timezone=TZ,
    channels=(ChannelConfig(1, "A"), ChannelConfig(2, "B"), ChannelConfig(9, "Off", analyse=False)),
    skip_channels=(7,),
)


def test_channel_table_keeps_channels_without_readings_and_drops_skipped():
    week = dates.report_week("2026-W47", tz=TZ)
    idx = dates.expected_index(week, resolution_s=3600)
    readings = pd.concat(
        [
            constant_readings(idx, 1, 2.0),
            constant_readings(idx, 7, 1.0),
            constant_readings(idx, 9, 1.0),
        ]
    )
    table = grid.channel_table(grid.check_readings(readings), channels=None, site=SITE)
    assert table["channel_id"].tolist() == [1, 2]  # 2 has no readings but is configured (B3)
    assert table["channel_name"].tolist() == ["A", "B"]
    assert table["resolution_s"].tolist() == [3600, 3600]  # 1 inferred, 2 the site default


def test_check_readings_rejects_naive_timestamps():
    frame = pd.DataFrame(
        {
            "timestamp": pd.date_range("2026-01-01", periods=2, freq="h"),
            "channel_id": 1,
            "power_kw": 1.0,
        }
    )
    with pytest.raises(ValueError, match="timezone-naive"):
        grid.check_readings(frame)


def test_check_readings_requires_columns():
    with pytest.raises(ValueError, match=r"lack column\(s\) \['channel_id'\]"):
        grid.check_readings(pd.DataFrame({"timestamp": []}))


@pytest.mark.parametrize(
    ("week", "hours"),
    [("2026-W10", 167), ("2026-W44", 169), ("2026-W47", 168)],
    ids=["spring", "fall", "ordinary"],
)
def test_grids_follow_dst_and_mix_resolutions(week, hours):
    period = dates.report_week(week, tz=TZ)
    fifteen = dates.expected_index(period, resolution_s=900)
    hourly = dates.expected_index(period, resolution_s=3600)
    readings = pd.concat([constant_readings(fifteen, 1, 1.0), constant_readings(hourly, 2, 3.0)])
    frame = grid.check_readings(readings)
    channels = pd.DataFrame({"channel_id": [1, 2], "resolution_s": [900, 3600]})
    table = grid.channel_table(frame, channels=channels, site=SITE)
    grids = grid.build_grids(frame, table, period=period, tz=TZ)
    assert sorted(grids) == [900, 3600]
    assert grids[900].load_kw.shape == (4 * hours, 1)
    assert grids[3600].load_kw.shape == (hours, 1)
    assert grids[3600].present.all()
    # 55 business hours whatever the DST change (it happens on a Sunday night)
    assert grids[3600].business.sum() == 55
    assert grids[900].business.sum() == 4 * 55


def test_grid_power_from_energy_and_last_duplicate_wins():
    period = dates.report_week("2026-W47", tz=TZ)
    idx = dates.expected_index(period, resolution_s=900)[:3]
    readings = pd.DataFrame(
        {
            "timestamp": [idx[0], idx[1], idx[1], idx[2]],
            "channel_id": 1,
            "energy_kwh": [0.5, 0.25, 0.75, np.nan],
            "power_kw": [np.nan, np.nan, np.nan, np.nan],
        }
    )
    frame = grid.check_readings(readings)
    table = grid.channel_table(
        frame, channels=pd.DataFrame({"channel_id": [1], "resolution_s": [900]}), site=SITE
    )
    g = grid.build_grids(frame, table, period=period, tz=TZ)[900]
    np.testing.assert_allclose(g.load_kw[:3, 0], [2.0, 3.0, np.nan], atol=KW_ATOL)


def test_channel_table_analyses_only_the_sites_energy_meters():
    """The channels table of a real ingestion: extra kits, virtual channels, no resolution."""
    week = dates.report_week("2026-W47", tz=TZ)
    idx = dates.expected_index(week, resolution_s=900)
    readings = pd.concat([constant_readings(idx, 1, 2.0), constant_readings(idx, 5, 1.0)])
    channels = pd.DataFrame(
        {
            "channel_id": [1, 2, 5, 6, 7, 8],
            "channel_name": ["A", "B", "New meter", "Dryer", "Virtual", "Air Sense"],
            # as db.read_channels returns it: nullable integers, unknown for metadata-only rows
            "resolution_s": pd.array([None, None, None, None, None, None], dtype="Int64"),
            "role": ["sub"] * 6,
            "is_energy": [True, True, True, True, False, False],
        }
    )
    table = grid.channel_table(grid.check_readings(readings), channels=channels, site=SITE)
    # 1, 2: in the site file; 5: readings; 6: metadata only; 7: skipped; 8: not energy
    assert table["channel_id"].tolist() == [1, 2, 5]
    assert table["channel_name"].tolist() == ["A", "B", "New meter"]
    # from the readings' spacing where the database has no resolution, else the site default
    assert table["resolution_s"].tolist() == [900, 3600, 900]


def test_channel_table_drops_a_non_energy_channel_even_with_readings():
    week = dates.report_week("2026-W47", tz=TZ)
    idx = dates.expected_index(week, resolution_s=3600)
    readings = pd.concat([constant_readings(idx, 1, 2.0), constant_readings(idx, 8, 400.0)])
    channels = pd.DataFrame({"channel_id": [1, 8], "is_energy": [True, False]})
    table = grid.channel_table(grid.check_readings(readings), channels=channels, site=SITE)
    assert table["channel_id"].tolist() == [1, 2]
