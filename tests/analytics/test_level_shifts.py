"""Level shifts: an injected +30 % shift is found at its start, once."""

from __future__ import annotations

import pandas as pd
import pytest
from simulated import (
    CASES,
    IDS,
    KITCHEN_MAIN,
    START_TOL_INTERVALS,
    case,
    fault_label,
)


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_level_shift_of_30_percent(week, resolution_s):
    sim, analysis = case(week, resolution_s)
    label = fault_label(sim, "level_shift")
    shifts = analysis.level_shifts[analysis.level_shifts["channel_id"] == KITCHEN_MAIN]
    assert len(shifts) == 1
    shift = shifts.iloc[0]
    assert shift["direction"] == "up"
    assert shift["shift_pct"] == pytest.approx(30.0, rel=0.2)
    error = abs(shift["start"] - label["start"]) / pd.Timedelta(seconds=resolution_s)
    assert error <= START_TOL_INTERVALS
    assert shift["excess_kwh"] == pytest.approx(label["expected_kwh"], rel=0.2)
    # the shifted channel is not flagged again as unusual consumption
    assert KITCHEN_MAIN not in set(analysis.anomalies["channel_id"])


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_the_ledger_counts_the_energy_the_shift_added(week, resolution_s):
    # the money of a level shift comes from the ledger: the energy above the old level, the
    # noise around the new level cancelling (neither the highs alone nor a cut at the shift)
    sim, analysis = case(week, resolution_s)
    label = fault_label(sim, "level_shift")
    ledger = analysis.ledger[analysis.ledger["channel_id"] == KITCHEN_MAIN]
    assert ledger["level_shift_kwh"].sum() == pytest.approx(label["expected_kwh"], rel=0.1)
    assert (ledger["level_shift_kwh"] >= 0).all()
    before = ledger["timestamp"] < label["start"] - pd.Timedelta(seconds=resolution_s)
    assert ledger.loc[before, "level_shift_kwh"].sum() == 0.0
