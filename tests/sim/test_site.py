"""The simulated Wilson Center as data: channels, schedule objects, synthetic channels, site frame."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from argo_lib import config
from argo_lib.sim import (
    HOME_KIT_CHANNELS,
    WILSON_CHANNELS,
    SimSite,
    WeeklyHours,
    build_site_frame,
    simulate_readings,
    synthetic_channels,
)

WILSON_IDS = [162119, 162120, 162121, 162122, 162123, 162285, 162319, 162320]


def test_channel_list_matches_api_spec():
    assert [c.channel_id for c in WILSON_CHANNELS] == WILSON_IDS
    assert sum(c.typical_avg_kw for c in WILSON_CHANNELS) == pytest.approx(12.01)
    kitchen = next(c for c in WILSON_CHANNELS if c.channel_id == 162285)
    assert kitchen.name == "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr"
    assert kitchen.uu_id == "44B7D0E9B3C00001"
    assert all(0.60 <= c.power_factor <= 0.95 for c in WILSON_CHANNELS)


def test_site_settings_from_config_give_the_default_schedule(sim):
    site = config.load_site("wilson_center")
    with_site = sim("2025-12-22", "2025-12-29", site=site).readings
    pd.testing.assert_frame_equal(
        with_site, sim("2025-12-22", "2025-12-29").readings, check_exact=True
    )


def test_custom_opening_hours_are_followed(sim, local_hour):
    every_day = WeeklyHours(days=((dt.time(7), dt.time(18)),) * 7)
    site = SimSite(opening_hours=every_day, holiday_country=None)
    saturday = ("2025-12-06", "2025-12-07")
    closed = sim(*saturday, channels=[162285]).readings
    opened = sim(*saturday, channels=[162285], site=site).readings
    noon = local_hour(closed) == 12
    assert opened.loc[noon, "power_kw"].mean() > 2 * closed.loc[noon, "power_kw"].mean()
    night = local_hour(closed) < 4
    np.testing.assert_array_equal(opened.loc[night, "power_kw"], closed.loc[night, "power_kw"])


def test_home_kit_channels_simulate(sim):
    r = sim("2025-12-01", "2025-12-02", channels=[c.channel_id for c in HOME_KIT_CHANNELS])
    assert r.readings["channel_id"].nunique() == 9
    assert (r.readings["power_kw"] > 0).all()


def test_synthetic_channels_are_scaled_copies(local):
    chans = synthetic_channels(20, seed=4)
    assert [c.channel_id for c in chans] == list(range(900_001, 900_021))
    assert chans == synthetic_channels(20, seed=4)
    ratios = [c.base_kw / WILSON_CHANNELS[i % 8].base_kw for i, c in enumerate(chans)]
    assert min(ratios) >= 0.5 and max(ratios) <= 2.0 and len(set(ratios)) == 20
    r = simulate_readings(start=local("2025-12-01"), end=local("2025-12-02"), channels=chans)
    assert r.readings["channel_id"].nunique() == 20


def test_site_frame_lists_every_channel_of_the_organization():
    frame = build_site_frame()
    assert frame["channel_id"].is_unique and len(frame) == 20
    assert set(WILSON_IDS) <= set(frame["channel_id"])
    non_energy = frame[~frame["has_readings"]]["channel_id"].tolist()
    assert sorted(non_energy) == [162127, 162141, 162277]
    air = frame.set_index("channel_id").loc[162277]
    assert (air["uu_id"], air["device_type_name"]) == ("44B7D0E9B3C00501", "Air Sense")
    wilson = frame[frame["group"] == "wilson"]
    assert (wilson["device_type_name"] == "Eniscope 8 Hybrid Metering Point").all()
    assert (wilson["data_type"] == "grid meter").all()
    assert wilson["registered"].between(1746132072, 1746132986).all()
    home = frame[frame["group"] == "home_kit"]["channel_id"]
    assert sorted(home) == [158694, 158696, 158697, 158698, 158699, 158700, 158701, 158702, 159024]
