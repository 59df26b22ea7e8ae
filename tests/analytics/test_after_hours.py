"""After-hours energy against the same hours of the baseline: new operation and chronic base load.

The real building of issue 9 draws a steady 5 kW every night (a dusk-to-dawn load) and 2.9 kW on
weekend days. Measured against the P5 of all its after-hours power (2.9 kW, A4) that was
147-151 kWh of "waste" every week, high priority, "switch it off at closing time". Against the
same hours of the baseline it is a chronic base load of ~162 kWh and no new waste; equipment left
on for three nights on top of it comes back as new operation of its injected energy.
"""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from buildings import (
    BASE,
    MAIN,
    NIGHT_HOURS,
    SITE,
    WEEK,
    added_kwh,
    after_hours_load,
    night_building,
)
from simulated import (
    CASES,
    IDS,
    INJECTED_RTOL,
    KITCHEN_SMALL,
    case,
    fault_label,
)

from argo_lib.analytics import analyse_site_week
from argo_lib.analytics.after_hours import AFTER_HOURS_COLUMNS, BASE_SOURCES, moved_edge
from argo_lib.config import ChannelConfig
from argo_lib.thresholds import apply_overrides

RESOLUTIONS = [900, 3600]
CHRONIC_KW = 5.0 - 2.9  # the dusk-to-dawn load above the closed level [kW]
THREE_NIGHTS = ("2025-10-07 18:00", "2025-10-10 07:00")  # Tue 18:00 to Fri 07:00 (39 h)


def _analyse(readings):
    return analyse_site_week(readings, site=SITE, period=WEEK, baseline=BASE)


def _row(analysis):
    return analysis.after_hours.set_index("channel_id").loc[MAIN]


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
    assert waste.loc[KITCHEN_SMALL, "new_kwh"] == waste.loc[KITCHEN_SMALL, "excess_kwh"]


@pytest.mark.parametrize("resolution_s", RESOLUTIONS, ids=["15min", "hourly"])
def test_steady_nights_are_a_chronic_base_load_not_new_waste(resolution_s):
    analysis = _analyse(night_building(resolution_s))
    assert set(AFTER_HOURS_COLUMNS) <= set(analysis.after_hours.columns)
    row = _row(analysis)
    # no new waste: each night drew what the same hours drew in the baseline weeks (A4's base
    # of 2.9 kW made 147-151 kWh of "waste" of it)
    assert row["base_source"] == "baseline_same_hours"
    assert not row["significant"]
    assert row["new_kwh"] < 5.0
    # the chronic base load: 2.1 kW above the closed floor for the 77 h of darkness
    assert row["floor_kw"] == pytest.approx(2.9, rel=INJECTED_RTOL)
    assert row["floor_source"] == "baseline_p5"
    assert row["chronic_kwh"] == pytest.approx(CHRONIC_KW * NIGHT_HOURS, rel=INJECTED_RTOL)
    assert row["chronic_kw"] == pytest.approx(CHRONIC_KW, rel=INJECTED_RTOL)
    assert row["chronic_hours"] == pytest.approx(NIGHT_HOURS, abs=3.0)
    assert (row["chronic_weeks"], row["baseline_weeks"]) == (4, 4)
    assert row["chronic_significant"]
    assert row["chronic_cost"] == pytest.approx(0.12 * row["chronic_kwh"], rel=1e-9)


@pytest.mark.parametrize("resolution_s", RESOLUTIONS, ids=["15min", "hourly"])
def test_three_nights_of_operation_on_top_are_new_operation(resolution_s):
    steady = night_building(resolution_s)
    faulty = night_building(resolution_s, extra=after_hours_load(2.5, *THREE_NIGHTS))
    injected = added_kwh(steady, faulty)
    assert injected == pytest.approx(2.5 * 39, rel=1e-9)
    analysis = _analyse(faulty)
    row = _row(analysis)
    assert row["significant"]
    assert row["new_kwh"] == pytest.approx(injected, rel=INJECTED_RTOL)
    assert row["excess_kwh"] == row["new_kwh"]
    assert row["new_hours"] == pytest.approx(39.0, abs=4.0)
    # the chronic base load is what it was without the operation
    assert row["chronic_kwh"] == pytest.approx(_row(_analyse(steady))["chronic_kwh"], rel=0.02)
    # the ledger holds both layers once each
    ledger = analysis.ledger
    assert ledger["after_hours_kwh"].sum() == pytest.approx(row["new_kwh"], rel=1e-9)
    assert ledger["chronic_kwh"].sum() == pytest.approx(row["chronic_kwh"], rel=1e-9)


@pytest.mark.parametrize("resolution_s", RESOLUTIONS, ids=["15min", "hourly"])
def test_layers_never_count_more_than_the_reading(resolution_s):
    # B8: the chronic layer (floor to base) and new operation (above the base) do not overlap:
    # with the floor below them they never exceed the interval's own energy
    readings = night_building(resolution_s, extra=after_hours_load(2.5, *THREE_NIGHTS))
    analysis = _analyse(readings)
    floor = _row(analysis)["floor_kw"]
    ledger = analysis.ledger.merge(readings, on=["channel_id", "timestamp"])
    dt_h = resolution_s / 3600.0
    layers = ledger["after_hours_kwh"] + ledger["chronic_kwh"] + floor * dt_h
    assert (layers <= ledger["energy_kwh"] + 1e-9).mean() > 0.99  # noise lets a few dip
    assert (ledger.loc[ledger["business_hours"], ["after_hours_kwh", "chronic_kwh"]] == 0).all(
        axis=None
    )


def test_a_night_load_seen_in_one_baseline_week_is_new_operation():
    # the dusk-to-dawn load started in the last baseline week: the same hours of the baseline
    # did not draw it, so it is new operation (and not chronic)
    start = BASE.end - np.timedelta64(7, "D")
    readings = night_building(900, night_from=start)
    row = _row(_analyse(readings))
    assert row["significant"]
    assert row["new_kwh"] == pytest.approx(CHRONIC_KW * NIGHT_HOURS, rel=2 * INJECTED_RTOL)
    assert row["chronic_weeks"] <= 1
    assert not row["chronic_significant"]


def test_a_night_load_seen_in_half_the_baseline_weeks_is_chronic():
    # from half the baseline weeks on, the slot medians carry the load: chronic, never neither
    start = BASE.end - np.timedelta64(14, "D")
    row = _row(_analyse(night_building(900, night_from=start)))
    assert row["chronic_weeks"] == 2
    assert row["chronic_significant"]
    assert not row["significant"]


def test_channel_without_baseline_is_not_assessed():
    readings = night_building(900)
    in_week = np.asarray(WEEK.contains(readings["timestamp"]))
    row = _row(_analyse(readings[in_week]))
    assert row["base_source"] == BASE_SOURCES[2] == "insufficient_baseline"
    assert np.isnan([row["new_kwh"], row["chronic_kwh"], row["floor_kw"]]).all()
    assert not row["significant"] and not row["chronic_significant"]
    assert row["after_hours_kwh"] > 0  # the week's after-hours energy is still measured


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_simulated_clean_week_has_no_after_hours_findings(week, resolution_s):
    _, clean = case(week, resolution_s, faulty=False)
    table = clean.after_hours
    assert not table["significant"].any()
    assert not table["chronic_significant"].any()
    assert set(table["base_source"]) <= set(BASE_SOURCES)


def _moved_edges(minutes_early: float, minutes_late: float):
    """The dusk-to-dawn load on earlier at dusk and off later at dawn in the report week only."""
    step = CHRONIC_KW  # the night level above the closed level [kW]

    def add(index):
        hour = index.hour + index.minute / 60.0
        in_week = np.asarray(WEEK.contains(index.tz_convert("UTC")))
        dusk = (hour >= 19.0 - minutes_early / 60.0) & (hour < 19.0)
        dawn = (hour >= 6.0) & (hour < 6.0 + minutes_late / 60.0)
        return np.where(in_week & (dusk | dawn), step, 0.0)

    return add


@pytest.mark.parametrize("resolution_s", RESOLUTIONS, ids=["15min", "hourly"])
def test_a_dusk_to_dawn_load_whose_edges_moved_is_not_new_operation(resolution_s):
    # dusk 45 min earlier and dawn 30 min later than in every baseline week (the sun in autumn):
    # the same load, shifted, not equipment left on
    minutes_early, minutes_late = (45, 30) if resolution_s == 900 else (60, 60)
    readings = night_building(resolution_s, extra=_moved_edges(minutes_early, minutes_late))
    row = _row(_analyse(readings))
    steady = _row(_analyse(night_building(resolution_s)))  # the noise's few readings
    assert row["new_kwh"] <= steady["new_kwh"] + 0.5
    assert not row["significant"]
    # the yardstick: against the same slots alone, the moved edges were new operation
    shifted_kwh = CHRONIC_KW * (minutes_early + minutes_late) / 60 * 7  # 7 nights [kWh]
    thresholds = apply_overrides(
        SITE.thresholds, {"after_hours.edge_shift_hours": 0.0, "after_hours.new_min_hours": 0.0}
    )
    same_slots = analyse_site_week(
        readings, site=SITE, period=WEEK, baseline=BASE, thresholds=thresholds
    )
    assert _row(same_slots)["new_kwh"] == pytest.approx(shifted_kwh, rel=0.2)


def test_moved_edge_lets_operation_on_top_of_the_standing_load_count():
    # 15-min rows of one night: closed 2.9 kW, the standing load 5 kW from row 4 in the baseline
    g = SimpleNamespace(business=np.zeros(12, dtype=bool), dt_h=0.25)
    base = np.where(np.arange(12) >= 4, 5.0, 2.9)[:, None]
    margin = np.full((12, 1), 0.3)
    moved = np.where(np.arange(12) >= 2, 5.0, 2.9)[:, None]  # on 30 min early
    assert np.flatnonzero(moved_edge(g, moved, base, margin, hours=1.0)).tolist() == [2, 3]
    # 2.5 kW on top from row 2: the standing load is raised, so the early rows are new too
    on_top = moved + np.where(np.arange(12) >= 2, 2.5, 0.0)[:, None]
    assert not moved_edge(g, on_top, base, margin, hours=1.0).any()
    # farther than the tolerance: 2 h early is not a moved edge
    early = np.where(np.arange(12) >= 0, 5.0, 2.9)[:, None]
    assert np.flatnonzero(moved_edge(g, early, base, margin, hours=0.5)).tolist() == [2, 3]


def test_operation_on_a_sub_meter_is_saved_once_not_again_on_the_main_meter():
    # the main meter reads the sub-meter plus a steady 8 kW; three nights of +2.5 kW on the
    # sub-meter show on both
    sub = night_building(900, extra=after_hours_load(2.5, *THREE_NIGHTS))
    main = sub.assign(power_kw=sub["power_kw"] + 8.0, energy_kwh=sub["energy_kwh"] + 2.0)
    sub = sub.assign(channel_id=2)
    site = dataclasses.replace(SITE, channels=(*SITE.channels, ChannelConfig(2, "Lighting panel")))
    analysis = analyse_site_week(
        pd.concat([main, sub], ignore_index=True), site=site, period=WEEK, baseline=BASE
    )
    table = analysis.after_hours.set_index("channel_id")
    injected = 2.5 * 39
    assert table.loc[2, "new_kwh"] == pytest.approx(injected, rel=INJECTED_RTOL)
    assert table.loc[MAIN, "new_kwh"] < 0.1 * injected  # before: ~the injected energy again
    # the ledger keeps the main meter's measured excess and counts it once (attribute_ledger)
    ledger = analysis.ledger
    assert ledger["after_hours_attributed_kwh"].sum() == pytest.approx(injected, rel=0.1)
    on_main = ledger["channel_id"] == MAIN
    assert ledger.loc[on_main, "submeter_kwh"].sum() > 0.9 * injected


@pytest.mark.parametrize("resolution_s", RESOLUTIONS, ids=["15min", "hourly"])
def test_a_model_that_expects_less_than_the_same_hours_drew_adds_no_new_operation(resolution_s):
    # a weather model whose slopes come mostly from daytime hours expected the steady nights
    # 1 kW lower than every baseline night drew: against it, each night was 1 kW of "new
    # operation" (103-114 kWh a week); like with like, the nights drew what they always did
    from argo_lib.analytics import baseline as baselines
    from argo_lib.analytics.after_hours import after_hours_waste
    from argo_lib.analytics.baseline import MODEL_LEVEL

    def measure(readings):
        analysis = _analyse(readings)
        g, b = analysis.clean_grids[resolution_s], analysis.baseline_grids[resolution_s]
        profile = baselines.fit_profile(b)
        exp = baselines.expected_stats(profile, g)
        night = (~g.business)[:, None]
        low = dataclasses.replace(
            exp,
            **{
                k: np.where(night, getattr(exp, k) - 1.0, getattr(exp, k))
                for k in ("q1", "median", "q3")
            },
            level=np.full(exp.level.shape, MODEL_LEVEL),
        )
        rates = np.full(len(g.index), 0.12)
        kwargs = dict(
            baseline=b, baseline_expected=profile.own, profile=profile, rate_per_kwh=rates
        )
        as_model = after_hours_waste(g, expected=low, **kwargs)[0].iloc[0]
        as_profile = after_hours_waste(
            g, expected=dataclasses.replace(low, level=exp.level), **kwargs
        )[0].iloc[0]
        return as_model, as_profile

    steady, unguarded = measure(night_building(resolution_s))
    assert unguarded["new_kwh"] > 50.0  # what the same base did without the comparison
    assert steady["new_kwh"] < 5.0 and not steady["significant"]
    faulty = night_building(resolution_s, extra=after_hours_load(2.5, *THREE_NIGHTS))
    injected = added_kwh(night_building(resolution_s), faulty)
    found, _ = measure(faulty)
    # counted from what the same hours drew (2.5 kW), not from the model's base (3.5 kW)
    assert found["new_kwh"] == pytest.approx(injected, rel=INJECTED_RTOL)
    assert found["significant"]
