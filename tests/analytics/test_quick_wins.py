"""Quick wins (spec A7, B8): a win counts energy no other win counts, and at least 10 kWh of it.

The kitchen's after-hours operation is both after-hours waste and an anomaly event. After B8's
attribution the anomaly adds almost nothing to the after-hours win, so it must not be listed as
a win of its own ("Stop unexpected after-hours operation ...: 0.1 kWh/week"); its events become
evidence of the win that counts the energy.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from simulated import KITCHEN_SMALL, REPORT_WEEK, SITE, TZ, case, simulate_week

from argo_lib.analytics import analyse_site_week, quick_wins
from argo_lib.sim import Fault
from argo_lib.thresholds import QuickWinThresholds

ENERGY_ATOL_KWH = 1e-6  # sums of exact inputs
ENERGY_RTOL = 1e-9  # sums of the same ledger rows in another order
KITCHEN = 162319
WEEK = REPORT_WEEK


@functools.lru_cache(maxsize=1)
def _analysis():
    def at(day: int, hour: int) -> pd.Timestamp:
        return (WEEK.start.tz_localize(None) + pd.Timedelta(days=day, hours=hour)).tz_localize(TZ)

    # 40 kWh after hours: Tue 18:00 to Fri 07:00 (three 13-hour nights)
    fault = Fault(KITCHEN, "after_hours", at(1, 18), at(4, 7), size=40 / 39)
    sim = simulate_week(900, faults=[fault])
    return analyse_site_week(sim.readings, site=SITE, period=WEEK, temperature=sim.temperature)


def _wins(analysis, *, after_hours: pd.DataFrame | None = None, min_kwh: float = 10.0):
    return quick_wins.build_quick_wins(
        after_hours=analysis.after_hours if after_hours is None else after_hours,
        anomalies=analysis.anomalies,
        level_shifts=analysis.level_shifts,
        spikes=analysis.spikes,
        health=analysis.health,
        ledger=analysis.ledger,
        channels=analysis.channels,
        tz=TZ,
        currency="USD",
        demand_rate_per_kw=None,
        thresholds=QuickWinThresholds(min_weekly_kwh=min_kwh),
    )


def _ledger_sum(analysis, channel_id: int, spans, column: str) -> float:
    ledger = analysis.ledger
    inside = np.zeros(len(ledger), dtype=bool)
    for start, end in spans:
        inside |= ((ledger["timestamp"] >= start) & (ledger["timestamp"] < end)).to_numpy()
    mine = inside & (ledger["channel_id"] == channel_id).to_numpy()
    return float(ledger.loc[mine, column].sum())


def test_small_anomaly_is_evidence_of_the_after_hours_win():
    analysis = _analysis()
    event = analysis.anomalies.query(f"channel_id == {KITCHEN}").iloc[0]
    assert event["kind"] == "after_hours"
    assert event["excess_kwh"] > 10.0  # the event itself is large ...
    spans = [(event["start"], event["end"])]
    added = _ledger_sum(analysis, KITCHEN, spans, "anomaly_attributed_kwh")
    assert added < 10.0  # ... but adds little to the after-hours waste (B8)
    wins = analysis.quick_wins
    assert wins.query(f"channel_id == {KITCHEN}")["type"].tolist() == ["after_hours_base_load"]
    win = wins.query(f"channel_id == {KITCHEN}").iloc[0]
    evidence = [e for e in win["evidence"] if e.get("finding") == "anomaly_after_hours"]
    assert len(evidence) == 1
    assert evidence[0]["kwh"] == pytest.approx(event["excess_kwh"], rel=ENERGY_RTOL)
    assert evidence[0]["start"] == event["start"]
    assert "unexpected after-hours operation" in win["description"]
    # the energy stays counted once
    assert wins["weekly_kwh"].sum() <= analysis.ledger["counted_kwh"].sum() + 1e-9


def test_every_listed_energy_win_counts_the_minimum():
    wins = _analysis().quick_wins
    energy = wins[np.isfinite(wins["weekly_kwh"].to_numpy(dtype=float))]
    assert len(energy) >= 1
    assert (energy["weekly_kwh"] >= 10.0).all(), energy[["title", "weekly_kwh"]]


def test_without_an_after_hours_win_the_anomaly_counts_its_after_hours_share():
    analysis = _analysis()
    table = analysis.after_hours.copy()
    table.loc[table["channel_id"] == KITCHEN, "significant"] = False
    wins = _wins(analysis, after_hours=table)
    event = analysis.anomalies.query(f"channel_id == {KITCHEN}").iloc[0]
    spans = [(event["start"], event["end"])]
    expected = _ledger_sum(analysis, KITCHEN, spans, "after_hours_attributed_kwh") + (
        _ledger_sum(analysis, KITCHEN, [(WEEK.start, WEEK.end)], "anomaly_attributed_kwh")
    )
    win = wins.query(f"channel_id == {KITCHEN}").iloc[0]
    assert win["type"] == "anomaly_after_hours"
    assert win["weekly_kwh"] == pytest.approx(expected, rel=ENERGY_RTOL)
    assert win["weekly_kwh"] >= 10.0


@pytest.mark.parametrize(("min_kwh", "listed"), [(10.0, False), (0.0, True)], ids=["10", "0"])
def test_the_minimum_applies_to_the_energy_the_win_counts(min_kwh, listed):
    analysis = _analysis()
    wins = _wins(analysis, min_kwh=min_kwh)
    types = wins.query(f"channel_id == {KITCHEN}")["type"].tolist()
    assert ("anomaly_after_hours" in types) is listed


# --- simulated weeks with labelled faults (tests/simulated.py) ---


def test_excess_is_counted_once_in_the_totals():
    # B8: the after-hours operation is both after-hours waste and an anomaly; it counts once
    _, analysis = case("2025-W41", 900)
    ledger = analysis.ledger
    counted = ledger["counted_kwh"].sum()
    sources = ledger[[f"{s}_kwh" for s in ("after_hours", "anomaly", "level_shift", "spike")]]
    assert counted == pytest.approx(sources.max(axis=1).sum(), rel=1e-12)
    assert counted < sources.sum(axis=1).sum()
    wins = analysis.quick_wins
    assert wins["weekly_kwh"].sum() <= counted + 1e-9
    assert analysis.summary.weekly_kwh == pytest.approx(np.nansum(wins["weekly_kwh"]), rel=1e-12)
    kitchen = wins[wins["channel_id"] == KITCHEN_SMALL].set_index("type")
    assert kitchen.loc["after_hours_base_load", "weekly_kwh"] > 30.0
    # A7/B8: the anomaly adds less than 10 kWh to what the after-hours win counts, so it is
    # evidence of that win, not a win of its own
    assert "anomaly_after_hours" not in kitchen.index
    win = kitchen.loc["after_hours_base_load"]
    found = [e for e in win["evidence"] if e.get("finding") == "anomaly_after_hours"]
    event = analysis.anomalies.query(f"channel_id == {KITCHEN_SMALL}").iloc[0]
    assert [e["kwh"] for e in found] == [pytest.approx(event["excess_kwh"], rel=1e-12)]
    assert "unexpected after-hours operation" in win["description"]


def test_largest_anomaly_event_describes_the_win():
    # B7: "investigate unusual consumption" names the largest event, not the first
    def block(day: str, hours: int, size: float) -> Fault:
        start = pd.Timestamp(f"{day} 09:00", tz=TZ)
        return Fault(
            162319, "level_shift", start, start + pd.Timedelta(hours=hours), size=size, unit="kW"
        )

    faults = [block("2025-10-06", 4, 2.0), block("2025-10-09", 5, 3.0)]
    sim = simulate_week(900, faults=faults)
    analysis = analyse_site_week(sim.readings, site=SITE, period=WEEK, temperature=sim.temperature)
    events = analysis.anomalies.query("channel_id == 162319")
    assert events["kind"].tolist() == ["unusual_consumption", "unusual_consumption"]
    win = analysis.quick_wins.query("type == 'anomaly_unusual_consumption'").iloc[0]
    assert "Thu 2025-10-09 09:00" in win["description"]
    assert win["evidence"][0]["kwh"] == pytest.approx(events["excess_kwh"].max())
    assert win["weekly_kwh"] == pytest.approx(events["excess_kwh"].sum(), rel=1e-9)


def test_quick_wins_have_every_field_and_rank():
    faults = [
        Fault(
            162320,
            "after_hours",
            pd.Timestamp("2025-10-07 18:00", tz=TZ),
            pd.Timestamp("2025-10-11 07:00", tz=TZ),
            size=3.0,
        )
    ]
    analysis = analyse_site_week(simulate_week(900, faults=faults).readings, site=SITE, period=WEEK)
    wins = analysis.quick_wins
    assert tuple(wins.columns) == quick_wins.QUICK_WIN_COLUMNS
    assert len(wins) >= 1
    top = wins.iloc[0]
    assert top["channel_id"] == 162320 and top["priority"] == "high"  # > 100 kWh/week
    assert 3 <= len(top["recommendations"]) <= 4
    assert top["annual_cost"] == pytest.approx(52 * top["weekly_cost"])
    assert top["score"] == pytest.approx(top["weekly_cost"] * 1.0 * 1.0)  # high, low effort
    assert all(e["kwh"] > 0 for e in top["evidence"])
    assert (wins.query("type == 'after_hours_base_load'")["weekly_kwh"] >= 10.0).all()
    # the anomaly win only adds what the after-hours win does not already count (B8)
    assert wins["weekly_kwh"].sum() <= analysis.ledger["counted_kwh"].sum() + ENERGY_ATOL_KWH
