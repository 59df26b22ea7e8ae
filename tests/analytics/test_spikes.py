"""Demand spikes: an injected 12 kW spike comes back with its height, energy and times."""

from __future__ import annotations

import pytest
from simulated import (
    CASES,
    IDS,
    INJECTED_RTOL,
    RTU2,
    case,
    fault_label,
)


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_spike_of_12_kw(week, resolution_s):
    sim, analysis = case(week, resolution_s)
    label = fault_label(sim, "spike")
    spikes = analysis.spikes
    assert spikes["channel_id"].tolist() == [RTU2]
    spike = spikes.iloc[0]
    assert spike["height_kw"] == pytest.approx(12.0, rel=INJECTED_RTOL)
    assert spike["excess_kwh"] == pytest.approx(label["expected_kwh"], rel=INJECTED_RTOL)
    assert spike["start"] == label["start"]
    assert spike["end"] == label["end"]
    # no main meter: the spike adds to the coincident sum of the channels (B12)
    assert analysis.demand["source"] == "sum_of_channels"
    assert spike["coincident_kw"] > 0
