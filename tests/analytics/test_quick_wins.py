"""Quick wins (spec A7, B8): a win counts energy no other win counts, and at least 10 kWh of it.

The kitchen's after-hours operation is both after-hours waste and an anomaly event. After B8's
attribution the anomaly adds almost nothing to the after-hours win, so it must not be listed as
a win of its own ("Stop unexpected after-hours operation ...: 0.1 kWh/week"); its events become
evidence of the win that counts the energy.
"""

from __future__ import annotations

import dataclasses
import functools

import buildings
import numpy as np
import pandas as pd
import pytest
from simulated import KITCHEN_SMALL, REPORT_WEEK, SITE, TZ, case, simulate_week

from argo_lib.analytics import (
    after_hours,
    analyse_site_week,
    anomalies,
    health,
    level_shifts,
    quick_wins,
    spikes,
)
from argo_lib.analytics.summary import INVESTIGATE_TYPES as INVESTIGATE
from argo_lib.config import ChannelConfig
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
    assert wins.query(f"channel_id == {KITCHEN}")["type"].tolist() == ["after_hours_operation"]
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
    # the sources above the expected load overlap (the largest counts); the chronic base load
    # lies below it and adds
    chronic = ledger["chronic_kwh"].sum()
    assert counted == pytest.approx(sources.max(axis=1).sum() + chronic, rel=1e-12)
    assert counted < sources.sum(axis=1).sum() + chronic
    wins = analysis.quick_wins
    assert wins["weekly_kwh"].sum() <= counted + 1e-9
    assert analysis.summary.weekly_kwh == pytest.approx(np.nansum(wins["weekly_kwh"]), rel=1e-12)
    kitchen = wins[wins["channel_id"] == KITCHEN_SMALL].set_index("type")
    assert kitchen.loc["after_hours_operation", "weekly_kwh"] > 30.0
    # A7/B8: the anomaly adds less than 10 kWh to what the after-hours win counts, so it is
    # evidence of that win, not a win of its own
    assert "anomaly_after_hours" not in kitchen.index
    win = kitchen.loc["after_hours_operation"]
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


# --- after-hours wins against the same hours of the baseline (issue 9, hand-built buildings) ---


@functools.lru_cache(maxsize=4)
def _night_analysis(extra_nights: bool = False, night_kw: float = 5.0):
    extra = buildings.after_hours_load(2.5, "2025-10-07 18:00", "2025-10-10 07:00")
    readings = buildings.night_building(
        900, night_kw=night_kw, extra=extra if extra_nights else None
    )
    return analyse_site_week(
        readings, site=buildings.SITE, period=buildings.WEEK, baseline=buildings.BASE
    )


def test_steady_nights_give_one_night_base_load_win():
    analysis = _night_analysis()
    wins = analysis.quick_wins
    assert wins["type"].tolist() == ["night_base_load"]  # no "switch it off" win
    win = wins.iloc[0]
    row = analysis.after_hours.iloc[0]
    assert win["title"] == "Investigate the night base load of Main"
    assert win["weekly_kwh"] == pytest.approx(row["chronic_kwh"], rel=ENERGY_RTOL)
    assert win["weekly_kwh"] == pytest.approx(2.1 * buildings.NIGHT_HOURS, rel=0.05)
    assert win["weekly_cost"] == pytest.approx(row["chronic_cost"], rel=ENERGY_RTOL)
    assert win["annual_cost"] == pytest.approx(52 * win["weekly_cost"], rel=ENERGY_RTOL)
    # a standing load to investigate: low confidence, never high priority
    assert (win["confidence"], win["priority"], win["effort"]) == ("low", "medium", "medium")
    assert "4 of the 4 baseline weeks" in win["description"]
    assert "not new operation" in win["description"]
    assert any("photocell" in r for r in win["recommendations"])
    assert not any("closing time" in r for r in win["recommendations"])
    assert sum(e["kwh"] for e in win["evidence"]) > 0.3 * win["weekly_kwh"]  # 3 nights
    # the ledger counts it once, added to the (absent) excess above the expected load
    assert analysis.ledger["counted_kwh"].sum() == pytest.approx(
        analysis.ledger["chronic_kwh"].sum() + analysis.ledger["after_hours_kwh"].sum(), rel=1e-9
    )


def test_a_standing_night_load_is_to_investigate_not_savings():
    # the same night load every week: no savings, no status change, week after week
    analysis = _night_analysis()
    summary = analysis.summary
    win = analysis.quick_wins.iloc[0]
    assert summary.weekly_kwh == 0.0 and summary.weekly_cost == 0.0
    assert summary.investigate_kwh == pytest.approx(win["weekly_kwh"], rel=ENERGY_RTOL)
    assert summary.investigate_cost == pytest.approx(win["weekly_cost"], rel=ENERGY_RTOL)
    assert summary.status == "operating_normally"
    assert summary.top_opportunities == ()
    assert not any(line.startswith("Potential savings") for line in summary.headline)
    assert any("to investigate" in line for line in summary.headline)
    # new operation on top is savings; the standing load still is not
    extra = _night_analysis(extra_nights=True)
    wins = extra.quick_wins.set_index("type")
    assert extra.summary.weekly_kwh == pytest.approx(
        wins.loc["after_hours_operation", "weekly_kwh"], rel=ENERGY_RTOL
    )
    assert extra.summary.investigate_kwh == pytest.approx(
        wins.loc["night_base_load", "weekly_kwh"], rel=ENERGY_RTOL
    )


def test_a_small_night_base_load_is_low_priority():
    win = _night_analysis(night_kw=3.5).quick_wins.iloc[0]  # 0.6 kW above the floor
    assert win["type"] == "night_base_load"
    assert win["weekly_kwh"] == pytest.approx(0.6 * buildings.NIGHT_HOURS, rel=0.1)
    assert win["priority"] == "low"


def test_new_operation_on_top_of_the_night_load_is_its_own_win():
    analysis = _night_analysis(extra_nights=True)
    wins = analysis.quick_wins.set_index("type")
    assert set(wins.index) == {"after_hours_operation", "night_base_load"}
    new = wins.loc["after_hours_operation"]
    assert new["title"] == "Switch off after-hours operation on Main"
    assert new["weekly_kwh"] == pytest.approx(2.5 * 39, rel=0.05)  # the injected energy
    assert new["priority"] == "medium"  # < 100 kWh/week
    assert new["confidence"] == "high"
    assert any("closing time" in r for r in new["recommendations"])
    assert "same hours of the baseline weeks" in new["description"]
    # the two wins count different energy: together at most what the ledger counts
    assert wins["weekly_kwh"].sum() <= analysis.ledger["counted_kwh"].sum() + ENERGY_ATOL_KWH
    assert wins.loc["night_base_load", "weekly_kwh"] == pytest.approx(
        _night_analysis().quick_wins.iloc[0]["weekly_kwh"], rel=0.02
    )


def test_night_base_loads_beyond_three_meters_share_one_win():
    analysis = _night_analysis()
    base = analysis.after_hours
    table = pd.concat(
        [base.assign(channel_id=i, chronic_kwh=base["chronic_kwh"] * i) for i in (1, 2, 3, 4, 5)]
    )
    ledger = pd.concat(
        [
            analysis.ledger.assign(channel_id=i, chronic_kwh=analysis.ledger["chronic_kwh"] * i)
            for i in (1, 2, 3, 4, 5)
        ]
    )
    channels = pd.concat(
        [analysis.channels.assign(channel_id=i, channel_name=f"M{i}") for i in (1, 2, 3, 4, 5)]
    )
    wins = quick_wins.build_quick_wins(
        after_hours=table,
        anomalies=analysis.anomalies,
        level_shifts=analysis.level_shifts,
        spikes=analysis.spikes,
        health=analysis.health,
        ledger=quick_wins.attribute_ledger(
            ledger.drop(columns=[c for c in ledger if "attributed" in c or c.startswith("counted")])
        ),
        channels=channels,
        tz=TZ,
        currency="USD",
        demand_rate_per_kw=None,
    )
    own = wins[wins["type"] == "night_base_load"]
    assert own["channel_id"].tolist() == [5, 4, 3]  # the largest first
    site = wins[wins["type"] == "site_night_base_load"].iloc[0]
    assert site["title"] == "Investigate the after-hours base load of 2 more meters"
    one = analysis.ledger["chronic_kwh"].sum()
    assert site["weekly_kwh"] == pytest.approx(3 * one, rel=ENERGY_RTOL)  # meters 1 and 2
    assert site["confidence"] == "low" and site["priority"] == "medium"


def test_win_texts_count_in_real_words():
    # one meter with one high-severity issue and one event: no "meter(s)", "event(s)"
    start = pd.Timestamp("2025-10-08 09:00", tz=TZ)
    faults = [
        Fault(KITCHEN, "level_shift", start, start + pd.Timedelta(hours=5), size=3.0, unit="kW"),
        Fault(
            162122,
            "gap",
            pd.Timestamp("2025-10-07 00:00", tz=TZ),
            pd.Timestamp("2025-10-08 00:00", tz=TZ),
        ),
    ]
    sim = simulate_week(900, faults=faults)
    analysis = analyse_site_week(sim.readings, site=SITE, period=WEEK, temperature=sim.temperature)
    wins = analysis.quick_wins.set_index("type")
    assert wins.loc["data_communication", "title"] == "Fix data communication on 1 meter"
    assert wins.loc["data_communication", "description"].startswith("1 high-severity data issue on")
    assert ": 1 event, " in wins.loc["anomaly_unusual_consumption", "description"]
    text = " ".join(
        str(v) for v in analysis.quick_wins[["title", "description"]].to_numpy().ravel()
    )
    assert "(s)" not in text


# --- B8 across channels: a main meter reads its sub-meters, their excess is counted once ---


def _ledger_rows(rows: list[tuple[int, str, int, float, float]]) -> pd.DataFrame:
    """Ledger rows (channel, UTC start, resolution [s], after-hours kWh, chronic kWh)."""
    channel, start, res, ah, chronic = zip(*rows, strict=True)
    return pd.DataFrame(
        {
            "channel_id": list(channel),
            "timestamp": pd.to_datetime(list(start), utc=True),
            "resolution_s": list(res),
            "after_hours_kwh": list(ah),
            "anomaly_kwh": 0.0,
            "level_shift_kwh": [
                1.5 * a if c == 1 else 0.0 for c, a in zip(channel, ah, strict=True)
            ],
            "spike_kwh": 0.0,
            "chronic_kwh": list(chronic),
            "rate_per_kwh": 0.1,
        }
    )


def test_a_main_meter_counts_only_what_its_sub_meters_do_not():
    ledger = _ledger_rows(
        [
            (1, "2026-03-02T03:00Z", 900, 2.0, 1.0),  # main: 3.0 above (level shift), 1.0 below
            (2, "2026-03-02T03:00Z", 900, 1.0, 0.25),  # its sub-meters: 1.0 + 0.5 above
            (3, "2026-03-02T03:00Z", 900, 0.5, 0.25),
            (1, "2026-03-02T03:15Z", 900, 1.0, 0.0),  # main alone: all its own
        ]
    )
    out = quick_wins.attribute_ledger(ledger, main_ids=[1])
    np.testing.assert_allclose(out["submeter_kwh"], [2.0, 0.0, 0.0, 0.0], atol=ENERGY_ATOL_KWH)
    # above the expected load 3.0 - 1.5, below it 1.0 - 0.5; the sources keep their shares
    np.testing.assert_allclose(out["counted_kwh"], [2.0, 1.25, 0.75, 1.5], atol=ENERGY_ATOL_KWH)
    main = out.iloc[0]
    assert main["after_hours_attributed_kwh"] == pytest.approx(1.0, abs=ENERGY_ATOL_KWH)
    assert main["level_shift_attributed_kwh"] == pytest.approx(0.5, abs=ENERGY_ATOL_KWH)
    assert main["chronic_attributed_kwh"] == pytest.approx(0.5, abs=ENERGY_ATOL_KWH)
    assert main["counted_cost"] == pytest.approx(0.2, abs=ENERGY_ATOL_KWH)
    # without main_ids every channel stands alone (the old behaviour)
    alone = quick_wins.attribute_ledger(ledger)
    np.testing.assert_allclose(alone["counted_kwh"], [4.0, 1.25, 0.75, 1.5], atol=ENERGY_ATOL_KWH)


def test_sub_meters_of_another_resolution_are_counted_in_the_main_meters_interval():
    ledger = _ledger_rows(
        [
            (1, "2026-03-02T03:00Z", 3600, 4.0, 0.0),  # an hourly main meter (6.0 above)
            *((2, f"2026-03-02T03:{m:02d}Z", 900, 1.0, 0.0) for m in (0, 15, 30, 45)),
            (3, "2026-03-02T02:00Z", 7200, 2.0, 0.0),  # a 2-h sub-meter: half in this hour
        ]
    )
    out = quick_wins.attribute_ledger(ledger, main_ids=[1])
    assert out["submeter_kwh"].iloc[0] == pytest.approx(5.0, abs=ENERGY_ATOL_KWH)
    assert out["counted_kwh"].iloc[0] == pytest.approx(1.0, abs=ENERGY_ATOL_KWH)


def test_equipment_left_on_behind_a_sub_meter_is_money_once_not_on_the_main_meter_too():
    # the benchmark's "overstated" money: a sub-meter's after-hours operation counted on the
    # main meter that reads it as well
    analysis = _sub_and_main(
        buildings.after_hours_load(4.0, "2025-10-07 19:00", "2025-10-10 06:00")
    )
    clean = buildings.night_building()
    injected = buildings.added_kwh(
        clean,
        buildings.night_building(
            extra=buildings.after_hours_load(4.0, "2025-10-07 19:00", "2025-10-10 06:00")
        ),
    )
    ledger = analysis.ledger
    counted = ledger.groupby("channel_id")["counted_kwh"].sum()
    new_kwh = ledger.groupby("channel_id")["after_hours_attributed_kwh"].sum()
    assert new_kwh.get(2, 0.0) == pytest.approx(injected, rel=0.25)
    # the main meter sees the same new operation and the same night base load (about 310
    # kWh, counted a second time before) and adds (almost) nothing to them
    assert counted.get(1, 0.0) <= 0.05 * counted.get(2, 0.0)
    assert ledger.loc[ledger["channel_id"] == 1, "submeter_kwh"].sum() == pytest.approx(
        counted.get(2, 0.0), rel=0.05
    )
    savings = analysis.quick_wins["weekly_kwh"].where(
        ~analysis.quick_wins["type"].isin(["night_base_load", "site_night_base_load"])
    )
    assert savings.sum() <= 1.25 * injected


def test_each_anomaly_kind_of_a_channel_counts_its_own_events_energy():
    # a channel with both a business-hours excess and after-hours operation: the win of each
    # kind counts the anomaly energy of its own events, not a share of the channel's total
    def at(day: int, hour: int) -> pd.Timestamp:
        return (WEEK.start.tz_localize(None) + pd.Timedelta(days=day, hours=hour)).tz_localize(TZ)

    faults = [
        Fault(KITCHEN, "level_shift", at(0, 9), at(0, 14), size=3.0, unit="kW"),
        Fault(KITCHEN, "after_hours", at(1, 18), at(4, 7), size=40 / 39),
    ]
    sim = simulate_week(900, faults=faults)
    analysis = analyse_site_week(sim.readings, site=SITE, period=WEEK, temperature=sim.temperature)
    events = analysis.anomalies.query(f"channel_id == {KITCHEN}")
    assert set(events["kind"]) == {"unusual_consumption", "after_hours"}
    table = analysis.after_hours.copy()
    table.loc[table["channel_id"] == KITCHEN, "significant"] = False
    wins = _wins(analysis, after_hours=table).query(f"channel_id == {KITCHEN}")
    wins = wins.set_index("type")
    for kind in ("unusual_consumption", "after_hours"):
        mine = events[events["kind"] == kind]
        spans = list(zip(mine["start"], mine["end"], strict=True))
        own = _ledger_sum(analysis, KITCHEN, spans, "anomaly_attributed_kwh")
        win = wins.loc[f"anomaly_{kind}"]
        if kind == "unusual_consumption":
            # 5 h at +3 kW: about 15 kWh, all of it this kind's (a share of the channel's
            # anomaly energy by event kWh gave it 15 x 15 / 55 kWh)
            assert win["weekly_kwh"] == pytest.approx(own, rel=ENERGY_RTOL)
            assert win["weekly_kwh"] == pytest.approx(15.0, rel=0.2)
        else:  # with its after-hours share, as without an after-hours win
            ah = _ledger_sum(analysis, KITCHEN, spans, "after_hours_attributed_kwh")
            assert win["weekly_kwh"] == pytest.approx(own + ah, rel=ENERGY_RTOL)
            assert win["weekly_kwh"] == pytest.approx(40.0, rel=0.2)


@pytest.mark.parametrize(
    ("hours", "channels", "main", "priority"),
    [(6, [KITCHEN], False, "medium"), (30, [KITCHEN], False, "high"),
     (6, [KITCHEN, 162285], False, "high"), (6, [KITCHEN], True, "high")],
    ids=["short-sub-meter", "a-day", "two-meters", "main-meter"],
)  # fmt: skip
def test_a_short_gap_on_one_sub_meter_does_not_outrank_money(hours, channels, main, priority):
    analysis = _analysis()
    start = WEEK.start + pd.Timedelta(days=2)
    health = pd.DataFrame(
        {
            "type": "missing_data",
            "severity": "high",
            "channel_id": channels,
            "channel_name": "x",
            "start": start,
            "end": start + pd.Timedelta(hours=hours),
            "intervals": hours * 4,
            "value": float(hours),
            "unit": "h",
            "description": "gap",
        }
    )
    table = analysis.channels.copy()
    table["role"] = np.where(table["channel_id"].isin(channels) & main, "main", "sub")
    wins = quick_wins.build_quick_wins(
        after_hours=analysis.after_hours,
        anomalies=analysis.anomalies,
        level_shifts=analysis.level_shifts,
        spikes=analysis.spikes,
        health=health,
        ledger=analysis.ledger,
        channels=table,
        tz=TZ,
        currency="USD",
        demand_rate_per_kw=None,
        thresholds=QuickWinThresholds(),
    )
    data = wins[wins["type"] == "data_communication"].iloc[0]
    assert data["priority"] == priority
    if priority == "medium":  # the money comes first
        assert wins["type"].iloc[0] == "after_hours_operation"


def _sub_and_main(sub_extra, rest_extra=None):
    """A main meter (1) reading a sub-meter (2) and an unmetered rest, each with its extra."""
    sub = buildings.night_building(extra=sub_extra)
    rest = buildings.night_building(
        seed=1, night_kw=3.0, closed_kw=3.0, open_kw=20.0, extra=rest_extra
    )
    main = sub.assign(
        channel_id=1,
        power_kw=sub["power_kw"].to_numpy() + rest["power_kw"].to_numpy(),
        energy_kwh=sub["energy_kwh"].to_numpy() + rest["energy_kwh"].to_numpy(),
    )
    site = dataclasses.replace(
        buildings.SITE,
        channels=(*buildings.SITE.channels, ChannelConfig(2, "Lighting panel", role="sub")),
    )
    readings = pd.concat([main, sub.assign(channel_id=2)], ignore_index=True)
    return analyse_site_week(readings, site=site, period=buildings.WEEK)


def _shift(kw: float, since: str):
    at = pd.Timestamp(since, tz=buildings.TZ)
    return lambda index: np.where(index >= at, kw, 0.0)


def _money(wins: pd.DataFrame, channel_id: int) -> float:
    mine = wins[(wins["channel_id"] == channel_id) & ~wins["type"].isin(INVESTIGATE)]
    return float(mine["weekly_kwh"].sum())


def test_a_sub_meter_finding_seen_on_the_main_meter_is_saved_once():
    # the sub-meter draws 4 kW more from Wednesday on; the main meter reads it as well
    analysis = _sub_and_main(_shift(4.0, "2025-10-08 00:00"))
    injected = 4.0 * 24 * 5  # Wednesday to Sunday [kWh]
    assert _money(analysis.quick_wins, 2) == pytest.approx(injected, rel=0.1)
    assert _money(analysis.quick_wins, 1) == 0.0
    assert 1 in set(analysis.anomalies["channel_id"])  # still a finding on the main meter


def _main_event_explained(sub_kwh: float) -> pd.DataFrame:
    """Quick wins of a main meter (1) whose 10-interval event of 10 kWh per interval its
    sub-meter (2) explains by ``sub_kwh`` per interval."""
    t0 = pd.Timestamp("2025-10-08 14:00", tz="UTC")
    stamps = pd.date_range(t0, periods=10, freq="1h")
    ledger = pd.DataFrame(
        {
            "channel_id": np.repeat([1, 2], 10),
            "timestamp": np.tile(stamps, 2),
            "resolution_s": 3600,
            "business_hours": True,
            "after_hours_kwh": 0.0,
            "anomaly_kwh": np.repeat([10.0, sub_kwh], 10),
            "level_shift_kwh": 0.0,
            "spike_kwh": 0.0,
            "chronic_kwh": 0.0,
            "rate_per_kwh": 0.1,
        }
    )
    ledger = quick_wins.attribute_ledger(ledger, main_ids=[1])
    event = anomalies.empty_events()
    event.loc[0] = [1, "unusual_consumption", t0, t0 + pd.Timedelta(hours=10), 10, 10.0, 1, 1,
                    30.0, 100.0, 10.0, "", False]  # fmt: skip
    channels = pd.DataFrame(
        {
            "channel_id": [1, 2],
            "channel_name": ["Main", "Chiller"],
            "owner": None,
            "completeness_pct": 100.0,
            "role": ["main", "sub"],
        }
    )
    return quick_wins.build_quick_wins(
        after_hours=after_hours.empty_after_hours(),
        anomalies=event,
        level_shifts=level_shifts.empty_shifts(),
        spikes=spikes.empty_spikes(),
        health=health.empty_issues(),
        ledger=ledger,
        channels=channels,
        tz=TZ,
        currency="USD",
        demand_rate_per_kw=None,
        thresholds=QuickWinThresholds(),
    )


@pytest.mark.parametrize(
    ("sub_kwh", "main_win_kwh"),
    [(0.0, 100.0), (4.0, 60.0), (6.0, None), (10.0, None)],
    ids=["unexplained", "explained-40pc", "explained-60pc", "explained-whole"],
)
def test_a_main_meter_event_its_sub_meters_mostly_explain_has_no_win(sub_kwh, main_win_kwh):
    # what is left of such an event after the sub-meters' share is the difference between
    # two baselines: before, 40 kWh of it became a win of the main meter's own
    wins = _main_event_explained(sub_kwh)
    main = wins[wins["channel_id"] == 1]
    if main_win_kwh is None:
        assert main.empty
    else:
        assert main["weekly_kwh"].tolist() == pytest.approx([main_win_kwh])


def test_an_unmetered_finding_on_the_main_meter_keeps_its_win():
    # the same 4 kW more, but on the main meter's unmetered rest: no sub-meter explains it
    analysis = _sub_and_main(None, rest_extra=_shift(4.0, "2025-10-08 00:00"))
    assert _money(analysis.quick_wins, 1) == pytest.approx(4.0 * 24 * 5, rel=0.1)
    assert _money(analysis.quick_wins, 2) == 0.0
