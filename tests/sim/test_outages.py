"""Real-world meter faults: zero-filled outages, catch-up readings, a business-hours excess, draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from argo_lib import dates
from argo_lib.sim import (
    WILSON_CHANNELS,
    WILSON_MAIN,
    Fault,
    MainMeter,
    Phenomena,
    random_faults,
    simulate_readings,
)

TZ = "America/New_York"
WEEK = ("2025-12-01", "2025-12-08")  # Monday to Monday, EST
RTU1, KITCHEN, MAIN = 162320, 162285, WILSON_MAIN.channel_id
WITH_MAIN = Phenomena(main_meter=MainMeter())

# Sums of exact per-interval values: only float rounding of the sum may differ.
ENERGY_RTOL = 1e-9
# The issue's own tolerance for a catch-up reading against the energy it carries.
CATCH_UP_RTOL = 0.01


def channel(frame: pd.DataFrame, cid: int) -> pd.DataFrame:
    return frame[frame["channel_id"] == cid].set_index("timestamp")


@pytest.mark.parametrize("resolution_s", [3600, 900], ids=["hourly", "15min"])
def test_outage_of_52_h_reads_zero_then_catches_up(resolution_s, sim, local):
    # Wednesday 10:00 to Friday 14:00 is 52 h: 52 hourly rows (208 at 15 min) read 0.
    start, end = local("2025-12-03 10:00"), local("2025-12-05 14:00")
    clean = channel(sim(*WEEK, resolution_s=resolution_s).readings, RTU1)
    dirty_sim = sim(*WEEK, resolution_s=resolution_s, faults=[Fault(RTU1, "outage", start, end)])
    dirty = channel(dirty_sim.readings, RTU1)
    inside = (dirty.index >= start) & (dirty.index < end)
    assert inside.sum() == 52 * 3600 // resolution_s
    assert (dirty.loc[inside, ["energy_kwh", "power_kw"]] == 0.0).all().all()
    assert (dirty.loc[~inside, "energy_kwh"] > 0).all()
    catch = dirty.loc[end]
    expected = clean.loc[inside, "energy_kwh"].sum() + clean.loc[end, "energy_kwh"]
    assert catch["energy_kwh"] == pytest.approx(expected, rel=CATCH_UP_RTOL)
    assert catch["energy_kwh"] == pytest.approx(expected, rel=ENERGY_RTOL)
    assert catch["power_kw"] == pytest.approx(catch["energy_kwh"] * 3600 / resolution_s)
    after = dirty.index > end  # every other reading is the clean one
    pd.testing.assert_frame_equal(dirty.loc[after], clean.loc[after], check_exact=True)
    labels = dirty_sim.labels.set_index("kind")
    outage, catch_up = labels.loc["outage"], labels.loc["catch_up"]
    assert (outage["channel_id"], outage["start"], outage["end"]) == (RTU1, start, end)
    assert outage["expected_kwh"] == pytest.approx(clean.loc[inside, "energy_kwh"].sum())
    assert (catch_up["channel_id"], catch_up["start"]) == (RTU1, end)
    assert catch_up["end"] == end + pd.Timedelta(seconds=resolution_s)
    assert catch_up["expected_kwh"] == pytest.approx(
        expected - clean.loc[end, "energy_kwh"], rel=ENERGY_RTOL
    )


def test_outage_off_the_hourly_grid_zeroes_every_row_it_touches(sim, local):
    fault = Fault(RTU1, "outage", local("2025-12-02 09:30"), local("2025-12-02 12:15"))
    clean = channel(sim(*WEEK, resolution_s=3600).readings, RTU1)
    dirty = channel(sim(*WEEK, resolution_s=3600, faults=[fault]).readings, RTU1)
    zeroed = dirty.index[dirty["energy_kwh"] == 0].tz_convert(TZ).hour.tolist()
    assert zeroed == [9, 10, 11, 12]
    catch_at = local("2025-12-02 13:00")
    carried = clean.loc[local("2025-12-02 09:00") : catch_at, "energy_kwh"].sum()
    assert dirty.loc[catch_at, "energy_kwh"] == pytest.approx(carried, rel=ENERGY_RTOL)


@pytest.mark.parametrize("resolution_s", [3600, 900], ids=["hourly", "15min"])
def test_catch_up_after_a_gap_carries_the_missing_energy(resolution_s, sim, local):
    start, end = local("2025-12-04 02:00"), local("2025-12-04 08:00")
    fault = Fault(KITCHEN, "gap", start, end, catch_up=True)
    clean = channel(sim(*WEEK, resolution_s=resolution_s).readings, KITCHEN)
    dirty_sim = sim(*WEEK, resolution_s=resolution_s, faults=[fault])
    dirty = channel(dirty_sim.readings, KITCHEN)
    assert len(clean) - len(dirty) == 6 * 3600 // resolution_s
    missing = clean.loc[start : end - pd.Timedelta(seconds=1), "energy_kwh"].sum()
    assert dirty.loc[end, "energy_kwh"] == pytest.approx(
        missing + clean.loc[end, "energy_kwh"], rel=ENERGY_RTOL
    )
    assert dirty_sim.labels["kind"].tolist() == ["gap", "catch_up"]
    assert dirty_sim.labels.iloc[1]["expected_kwh"] == pytest.approx(missing, rel=ENERGY_RTOL)
    plain = channel(sim(*WEEK, resolution_s=resolution_s, faults=[Fault(KITCHEN, "gap", start, end)]).readings, KITCHEN)  # fmt: skip
    assert plain.loc[end, "energy_kwh"] == clean.loc[end, "energy_kwh"]  # a plain gap: no catch-up


def test_catch_up_is_the_same_seen_from_a_window_starting_inside_the_outage(sim, local, by_key):
    fault = Fault(MAIN, "outage", local("2025-12-02 20:00"), local("2025-12-04 11:00"))
    kwargs = dict(resolution_s=3600, faults=[fault], phenomena=WITH_MAIN, fields="all")
    a = by_key(sim(*WEEK, **kwargs).readings)
    b = by_key(sim("2025-12-03 12:00", "2025-12-06", **kwargs).readings)
    common = a.index.intersection(b.index)
    pd.testing.assert_frame_equal(a.loc[common], b.loc[common], check_exact=True)
    assert a.loc[(MAIN, local("2025-12-04 11:00")), "energy_kwh"] > 400  # ~39 h of the site


def test_main_meter_outage_carries_the_sites_consumption(sim, local):
    start, end = local("2025-12-03 10:00"), local("2025-12-05 14:00")
    clean = sim(*WEEK, resolution_s=3600, phenomena=WITH_MAIN).readings
    dirty = sim(*WEEK, resolution_s=3600, phenomena=WITH_MAIN, faults=[Fault(MAIN, "outage", start, end)])  # fmt: skip
    main_clean, main_dirty = channel(clean, MAIN), channel(dirty.readings, MAIN)
    inside = (main_clean.index >= start) & (main_clean.index <= end)
    assert main_dirty.loc[end, "energy_kwh"] == pytest.approx(
        main_clean.loc[inside, "energy_kwh"].sum(), rel=ENERGY_RTOL
    )
    assert 1000 < main_dirty.loc[end, "energy_kwh"] < 2000  # 53 h of 16–43 kWh/h
    subs = dirty.readings["channel_id"] != MAIN  # a main-meter outage leaves the sub-meters alone
    pd.testing.assert_frame_equal(
        dirty.readings[subs].reset_index(drop=True),
        clean[clean["channel_id"] != MAIN].reset_index(drop=True),
        check_exact=True,
    )


def test_sub_meter_outage_does_not_reach_the_main_meter(sim, local):
    fault = Fault(RTU1, "outage", local("2025-12-03 10:00"), local("2025-12-04 10:00"))
    clean = channel(sim(*WEEK, phenomena=WITH_MAIN).readings, MAIN)
    dirty = channel(sim(*WEEK, phenomena=WITH_MAIN, faults=[fault]).readings, MAIN)
    pd.testing.assert_frame_equal(dirty, clean, check_exact=True)


def test_open_ended_outage_has_no_catch_up(sim, local):
    dirty = sim(*WEEK, faults=[Fault(RTU1, "outage", local("2025-12-06 00:00"))])
    rows = channel(dirty.readings, RTU1)
    assert (rows.loc[local("2025-12-06") :, "energy_kwh"] == 0).all()
    assert dirty.labels["kind"].tolist() == ["outage"]
    assert dirty.labels.iloc[0]["end"] == local(WEEK[1])


def test_outage_zeroes_consumption_fields_and_keeps_voltage(sim, local):
    fault = Fault(RTU1, "outage", local("2025-12-02 00:00"), local("2025-12-02 06:00"))
    dirty = channel(sim(*WEEK, fields="all", faults=[fault]).readings, RTU1)
    inside = dirty.loc[local("2025-12-02 00:00") : local("2025-12-02 05:45")]
    assert (inside[["energy_kwh", "power_kw", "current_a", "power_kw_p2", "energy_kwh_p3"]] == 0).all().all()  # fmt: skip
    assert inside["voltage_v"].between(110, 130).all()
    catch = dirty.loc[local("2025-12-02 06:00")]
    phases = catch[["energy_kwh_p1", "energy_kwh_p2", "energy_kwh_p3"]].sum()
    assert phases == pytest.approx(catch["energy_kwh"], rel=1e-9)


@pytest.mark.parametrize(("size", "unit"), [(0.5, "fraction"), (6.0, "kW")], ids=["fraction", "kW"])
def test_business_hours_excess_on_the_main_meter(size, unit, sim, local):
    start, end = local("2025-12-02 13:00"), local("2025-12-02 15:00")
    fault = Fault(MAIN, "excess", start, end, size=size, unit=unit)
    clean = channel(sim(*WEEK, phenomena=WITH_MAIN).readings, MAIN)
    dirty_sim = sim(*WEEK, phenomena=WITH_MAIN, faults=[fault])
    dirty = channel(dirty_sim.readings, MAIN)
    inside = (clean.index >= start) & (clean.index < end)
    added = clean["power_kw"] * size if unit == "fraction" else pd.Series(size, clean.index)
    np.testing.assert_allclose(
        dirty.loc[inside, "power_kw"], clean.loc[inside, "power_kw"] + added[inside], rtol=1e-12
    )
    pd.testing.assert_frame_equal(dirty.loc[~inside], clean.loc[~inside], check_exact=True)
    label = dirty_sim.labels.iloc[0]
    assert label["kind"] == "excess"
    assert label["expected_kwh"] == pytest.approx(
        (dirty["energy_kwh"] - clean["energy_kwh"]).sum(), rel=ENERGY_RTOL
    )
    if unit == "fraction":  # +50 % of a ~37 kW business level for 2 h
        assert 25 < label["expected_kwh"] < 50


def test_main_meter_sees_sub_meter_consumption_faults_not_data_faults(sim, local):
    after = Fault(KITCHEN, "after_hours", local("2025-12-02 18:00"), local("2025-12-03 07:00"), size=2.0)  # fmt: skip
    stuck = Fault(RTU1, "stuck", local("2025-12-04 10:00"), local("2025-12-04 20:00"))
    clean = channel(sim(*WEEK, phenomena=WITH_MAIN).readings, MAIN)
    dirty = channel(sim(*WEEK, phenomena=WITH_MAIN, faults=[after, stuck]).readings, MAIN)
    diff = dirty["energy_kwh"] - clean["energy_kwh"]
    assert diff.sum() == pytest.approx(2.0 * 13, rel=ENERGY_RTOL)  # 13 after-hours hours
    assert diff.max() == pytest.approx(0.5, rel=ENERGY_RTOL)  # 2 kW over 15 min


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(kind="spike", size=1.0, catch_up=True), "no catch-up"),
        (dict(kind="outage", size=1.0), "has no size"),
        (dict(kind="excess"), "needs a finite size"),
        (dict(kind="excess", size=0.5, unit="h"), "takes unit"),
    ],
    ids=["spike_catch_up", "outage_size", "excess_no_size", "excess_unit"],
)
def test_fault_rejects_bad_real_world_options(kwargs, message, local):
    with pytest.raises(ValueError, match=message):
        Fault(RTU1, start=local("2025-12-01"), end=local("2025-12-02"), **kwargs)


def test_catch_up_defaults_per_kind(local):
    a, b = local("2025-12-01"), local("2025-12-02")
    assert Fault(RTU1, "outage", a, b).catch_up is True
    assert Fault(RTU1, "gap", a, b).catch_up is False
    assert Fault(RTU1, "outage", a, b, catch_up=False).catch_up is False


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_random_real_world_faults_are_placed_as_described(resolution_s):
    period = dates.report_week("2025-W49", tz=TZ)
    chans = [*WILSON_CHANNELS, WILSON_MAIN]
    families = ("outage", "catch_up", "excess")
    faults = random_faults(
        period=period, channels=chans, seed=5, families=families, per_family=3,
        resolution_s=resolution_s,
    )  # fmt: skip
    assert faults == random_faults(
        period=period, channels=chans, seed=5, families=families, per_family=3,
        resolution_s=resolution_s,
    )  # fmt: skip
    step = pd.Timedelta(seconds=resolution_s)
    by_kind: dict[str, list[Fault]] = {}
    for f in faults:
        by_kind.setdefault("catch_up" if f.kind == "gap" else f.kind, []).append(f)
        assert f.end + (step if f.catch_up else pd.Timedelta(0)) <= period.end
        assert (f.start - period.start) % step == pd.Timedelta(0)
    assert {k: len(v) for k, v in by_kind.items()} == {"outage": 3, "catch_up": 3, "excess": 3}
    for f in by_kind["outage"]:
        assert 13 <= (f.end - f.start) / pd.Timedelta(hours=1) <= 52 and f.catch_up
    for f in by_kind["catch_up"]:
        assert 2 <= (f.end - f.start) / pd.Timedelta(hours=1) <= 12 and f.catch_up
    for f in by_kind["excess"]:
        assert f.channel_id == MAIN and 0.5 <= f.size <= 1.0 and f.unit == "fraction"
        assert 2 <= (f.end - f.start) / pd.Timedelta(hours=1) <= 4
        span = pd.date_range(f.start, f.end, freq=step, inclusive="left")
        assert dates.business_hours_mask(span, tz=TZ).all()


def test_random_faults_keep_away_from_faults_to_avoid(local):
    period = dates.report_week("2025-W49", tz=TZ)
    wall = Fault(RTU1, "outage", period.start, period.end - pd.Timedelta(hours=1))
    faults = random_faults(
        period=period, channels=[RTU1, KITCHEN], seed=2, families=("catch_up",), per_family=4,
        avoid=[wall],
    )  # fmt: skip
    assert faults and all(f.channel_id == KITCHEN for f in faults)


def test_default_draw_is_unchanged_by_the_new_families():
    # the spec-D draw (and with it the benchmark's classic cases) must not move: these are the
    # faults the code before the real-world families drew
    period = dates.report_week("2025-W49", tz=TZ)
    faults = random_faults(period=period, seed=11)
    got = [(f.kind, f.channel_id, f.start.strftime("%d %H:%M")) for f in faults]
    assert got == [
        ("schedule_change", 162320, "01 05:00"), ("after_hours", 162121, "02 05:00"),
        ("gap", 162120, "02 18:15"), ("negative", 162122, "03 05:45"),
        ("stuck", 162319, "03 06:45"), ("silent", 162122, "04 08:45"),
        ("mismatch", 162120, "05 16:00"), ("level_shift", 162285, "05 22:15"),
        ("spike", 162121, "07 01:45"),
    ]  # fmt: skip
    assert not any(f.catch_up for f in faults)


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_baseline_faults_stay_in_the_baseline(resolution_s):
    report = dates.report_week("2025-W49", tz=TZ)
    baseline = dates.baseline_period(report)
    chans = [*WILSON_CHANNELS, WILSON_MAIN]
    faults = random_faults(
        period=baseline, channels=chans, seed=9, families=("outage", "catch_up", "stuck", "gap"),
        per_family=2, resolution_s=resolution_s,
    )  # fmt: skip
    zero_run = Fault(RTU1, "outage", baseline.start + pd.Timedelta(days=5), baseline.start + pd.Timedelta(days=6), catch_up=False)  # fmt: skip
    kwargs = dict(start=baseline.start, end=report.end, resolution_s=resolution_s, phenomena=WITH_MAIN)  # fmt: skip
    dirty = simulate_readings(faults=[*faults, zero_run], **kwargs)
    clean = simulate_readings(**kwargs)
    labels = dirty.labels
    assert (labels["start"] >= baseline.start).all() and (labels["end"] <= baseline.end).all()
    assert labels["kind"].value_counts().to_dict() == {
        "outage": 3, "catch_up": 4, "stuck": 2, "gap": 4,
    }  # fmt: skip
    in_report = lambda r: r[r["timestamp"] >= report.start].reset_index(drop=True)  # noqa: E731
    pd.testing.assert_frame_equal(in_report(dirty.readings), in_report(clean.readings))
    zeros = channel(dirty.readings, RTU1).loc[zero_run.start : zero_run.end]
    assert (zeros.iloc[:-1]["energy_kwh"] == 0).all() and zeros.iloc[-1]["energy_kwh"] > 0
    catch = labels[labels["kind"] == "catch_up"]
    for row in catch.itertuples():  # each catch-up reading carries what its channel used
        got = channel(dirty.readings, row.channel_id).loc[row.start, "energy_kwh"]
        own = channel(clean.readings, row.channel_id).loc[row.start, "energy_kwh"]
        assert got == pytest.approx(own + row.expected_kwh, rel=ENERGY_RTOL)
