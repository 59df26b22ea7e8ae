"""The site's load and its usual range, as the analysis computes them for the charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ENERGY_ATOL_KWH
from simulated import simulated_week

from argo_lib import analytics, config, dates


@pytest.fixture(scope="module")
def demo_week():
    """2026-W47 with the demo's faults (AHU-2 after hours, kitchen spike, stuck, gap, shift)."""
    return simulated_week("2026-W47")


def test_site_load_sums_every_channel_like_the_analysis(demo_week):
    analysis, readings = demo_week
    frame = analysis.site_load
    assert frame.attrs["channel_ids"] == tuple(analysis.channels["channel_id"])
    assert frame.attrs["source"] == "sum of the meters"
    assert len(frame) == 168 * 4
    assert frame["energy_kwh"].sum() == pytest.approx(
        analysis.channels["energy_kwh"].sum(), abs=ENERGY_ATOL_KWH
    )
    # the small kitchen panel's 6 h gap and AHU-1A's 8 h stuck run leave 7 of 8 channels
    incomplete = frame["coverage"] < 1.0
    assert int(incomplete.sum()) == 24 + 32
    np.testing.assert_allclose(frame.loc[incomplete, "coverage"], 7 / 8)


def test_site_load_band_follows_a_clean_week():
    analysis, readings = simulated_week("2026-W46", faults=False)
    frame = analysis.site_load
    assert frame[["p5_kw", "median_kw", "p95_kw"]].notna().all().all()
    assert (frame["p5_kw"] <= frame["median_kw"]).all()
    assert (frame["median_kw"] <= frame["p95_kw"]).all()
    relative = (frame["load_kw"] - frame["median_kw"]).abs() / frame["median_kw"]
    assert relative.median() < 0.10


def test_site_load_mixes_hourly_and_quarter_hour_channels(demo_week):
    _, readings = demo_week
    site = config.load_site("23271")
    period = dates.report_week("2026-W47", tz=site.tz)
    kitchen = readings["channel_id"] == 162285
    hourly = (
        readings[kitchen]
        .assign(timestamp=lambda f: f["timestamp"].dt.floor("h"))
        .groupby(["channel_id", "timestamp"], as_index=False)
        .agg(energy_kwh=("energy_kwh", "sum"), power_kw=("power_kw", "mean"))
    )
    mixed = pd.concat([readings[~kitchen], hourly], ignore_index=True)
    analysis = analytics.analyse_site_week(mixed, site=site, period=period)
    assert set(analysis.channels["resolution_s"]) == {900, 3600}
    frame = analysis.site_load
    assert frame.attrs["resolution_s"] == 900
    assert frame["energy_kwh"].sum() == pytest.approx(
        analysis.channels["energy_kwh"].sum(), abs=ENERGY_ATOL_KWH
    )
