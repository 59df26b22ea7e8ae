"""After-hours waste and after-hours operation: an injected 40 kWh comes back as 40 kWh."""

from __future__ import annotations

import pytest
from simulated import (
    CASES,
    IDS,
    INJECTED_RTOL,
    KITCHEN_SMALL,
    case,
    fault_label,
)


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_after_hours_operation_of_40_kwh(week, resolution_s):
    sim, analysis = case(week, resolution_s)
    label = fault_label(sim, "after_hours")
    assert label["expected_kwh"] == pytest.approx(40.0, rel=1e-9)
    events = analysis.anomalies[analysis.anomalies["channel_id"] == KITCHEN_SMALL]
    assert events["kind"].tolist() == ["after_hours"]
    event = events.iloc[0]
    assert event["excess_kwh"] == pytest.approx(40.0, rel=INJECTED_RTOL)
    assert event["days"] == 3
    # B6: average excess power is excess energy over the real duration (39 h), any resolution
    assert event["hours"] == pytest.approx(39.0, rel=INJECTED_RTOL)
    assert event["avg_excess_kw"] == pytest.approx(40 / 39, rel=INJECTED_RTOL)
    # B9: the after-hours waste section shows that waste (clean week: no significant excess)
    _, clean = case(week, resolution_s, faulty=False)
    waste = analysis.after_hours.set_index("channel_id")
    before = clean.after_hours.set_index("channel_id")
    added = waste.loc[KITCHEN_SMALL, "excess_kwh"] - before.loc[KITCHEN_SMALL, "excess_kwh"]
    assert added == pytest.approx(40.0, rel=INJECTED_RTOL)
    assert bool(waste.loc[KITCHEN_SMALL, "significant"])
