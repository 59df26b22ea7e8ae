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
from simulated import KITCHEN_SMALL, case

from argo_lib import dates
from argo_lib.analytics import analyse_site_week, quick_wins
from argo_lib.config import ChannelConfig, SiteSettings
from argo_lib.sim import WILSON_CHANNELS, Fault, simulate_readings
from argo_lib.thresholds import QuickWinThresholds

TZ = "America/New_York"
ENERGY_RTOL = 1e-9  # sums of the same ledger rows in another order
KITCHEN = 162319
WEEK = dates.report_week("2025-W41", tz=TZ)
SITE = SiteSettings(
    site_id="23271",
    name="Wilson Center",
    timezone=TZ,
    holiday_country="US",
    channels=tuple(ChannelConfig(c.channel_id, c.name) for c in WILSON_CHANNELS),
)


@functools.lru_cache(maxsize=1)
def _analysis():
    def at(day: int, hour: int) -> pd.Timestamp:
        return (WEEK.start.tz_localize(None) + pd.Timedelta(days=day, hours=hour)).tz_localize(TZ)

    # 40 kWh after hours: Tue 18:00 to Fri 07:00 (three 13-hour nights)
    fault = Fault(KITCHEN, "after_hours", at(1, 18), at(4, 7), size=40 / 39)
    base = dates.baseline_period(WEEK)
    sim = simulate_readings(
        start=base.start, end=WEEK.end, resolution_s=900, seed=3, faults=[fault]
    )
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
