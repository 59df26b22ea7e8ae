"""Faults of the simulated site: each kind's injection and label, input checks, random draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from argo_lib import dates
from argo_lib.sim import (
    ALL_FIELDS,
    FAULT_KINDS,
    WILSON_CHANNELS,
    Fault,
    Simulation,
    random_faults,
    simulate_readings,
)

TZ = "America/New_York"

# Sums of exact per-interval values: only float rounding of the sum may differ.
ENERGY_ATOL_KWH = 1e-9
# Values that are copied or computed by the same arithmetic: bit-identical in practice.
POWER_ATOL_KW = 1e-12


WEEK = ("2025-12-01", "2025-12-08")  # Monday to Monday, EST


@pytest.fixture
def faulted(sim):
    """Clean and faulted simulations of WEEK, for one fault."""

    def simulate(fault: Fault, *, resolution_s: int = 900, fields="basic"):
        clean = sim(*WEEK, resolution_s=resolution_s, fields=fields)
        dirty = sim(*WEEK, resolution_s=resolution_s, fields=fields, faults=[fault])
        return clean, dirty

    return simulate


def span_mask(frame: pd.DataFrame, channel: int, start, end) -> np.ndarray:
    ts = frame["timestamp"]
    return ((frame["channel_id"] == channel) & (ts >= start) & (ts < end)).to_numpy()


def only_label(dirty: Simulation) -> pd.Series:
    assert len(dirty.labels) == 1
    return dirty.labels.iloc[0]


def test_clean_run_has_empty_typed_labels(sim):
    labels = sim(*WEEK).labels
    assert labels.empty
    assert labels.columns.tolist() == ["channel_id", "kind", "start", "end", "size", "unit",
                                       "expected_kwh"]  # fmt: skip
    assert str(labels["start"].dtype) == "datetime64[us, UTC]"
    assert labels["channel_id"].dtype == np.int64


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_after_hours_fault_adds_exactly_its_energy_after_hours(resolution_s, local, faulted):
    # Friday 18:00 → Saturday 14:00 is 20 after-hours hours; 2 kW over it is 40 kWh.
    fault = Fault(
        162121, "after_hours", local("2025-12-05 18:00"), local("2025-12-06 14:00"), size=2.0
    )
    clean, dirty = faulted(fault, resolution_s=resolution_s)
    label = only_label(dirty)
    assert label["expected_kwh"] == pytest.approx(40.0, abs=ENERGY_ATOL_KWH)
    assert (label["kind"], label["size"], label["unit"]) == ("after_hours", 2.0, "kW")
    diff = dirty.readings["energy_kwh"] - clean.readings["energy_kwh"]
    after = ~dates.business_hours_mask(clean.readings["timestamp"], tz=TZ)
    assert diff[after].sum() == pytest.approx(40.0, abs=ENERGY_ATOL_KWH)
    assert diff[~after].abs().max() == 0.0
    inside = span_mask(clean.readings, 162121, fault.start, fault.end)
    assert diff[~inside].abs().max() == 0.0


def test_after_hours_fault_skips_business_intervals(local, local_hour, faulted):
    # Monday 00:00 → Tuesday 00:00: 7 h before opening + 6 h after closing = 13 h.
    fault = Fault(162285, "after_hours", local("2025-12-01"), local("2025-12-02"), size=1.0)
    clean, dirty = faulted(fault)
    assert only_label(dirty)["expected_kwh"] == pytest.approx(13.0, abs=ENERGY_ATOL_KWH)
    diff = dirty.readings["power_kw"] - clean.readings["power_kw"]
    hours = local_hour(clean.readings)
    inside = span_mask(clean.readings, 162285, fault.start, fault.end)
    assert diff[inside & (hours >= 7) & (hours < 18)].abs().max() == 0.0
    assert diff[inside & ((hours < 7) | (hours >= 18))].to_numpy() == pytest.approx(1.0)


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_spike_adds_size_over_its_span(resolution_s, local, faulted):
    fault = Fault(162320, "spike", local("2025-12-03 10:00"), local("2025-12-03 10:30"), size=5.0)
    clean, dirty = faulted(fault, resolution_s=resolution_s)
    assert only_label(dirty)["expected_kwh"] == pytest.approx(2.5, abs=ENERGY_ATOL_KWH)
    diff = dirty.readings["energy_kwh"] - clean.readings["energy_kwh"]
    assert diff.sum() == pytest.approx(2.5, abs=ENERGY_ATOL_KWH)
    assert (diff != 0).sum() == (2 if resolution_s == 900 else 1)
    peak = dirty.readings["power_kw"] - clean.readings["power_kw"]
    assert peak.max() == pytest.approx(5.0 if resolution_s == 900 else 2.5, abs=POWER_ATOL_KW)


@pytest.mark.parametrize(("size", "unit"), [(1.5, "kW"), (0.3, "fraction")], ids=["kW", "fraction"])
def test_level_shift_persists_from_start(size, unit, local, faulted):
    fault = Fault(162121, "level_shift", local("2025-12-04 12:00"), None, size=size, unit=unit)
    clean, dirty = faulted(fault)
    c, d = clean.readings, dirty.readings
    inside = span_mask(c, 162121, fault.start, local(WEEK[1]))
    expected = c["power_kw"] + size if unit == "kW" else c["power_kw"] * (1 + size)
    np.testing.assert_allclose(d.loc[inside, "power_kw"], expected[inside], atol=POWER_ATOL_KW)
    np.testing.assert_array_equal(d.loc[~inside, "power_kw"], c.loc[~inside, "power_kw"])
    label = only_label(dirty)
    assert label["end"] == local(WEEK[1])  # open-ended: clipped to the window
    excess = (d["energy_kwh"] - c["energy_kwh"]).sum()
    assert label["expected_kwh"] == pytest.approx(excess, abs=ENERGY_ATOL_KWH)
    if unit == "kW":
        assert excess == pytest.approx(1.5 * 84, abs=ENERGY_ATOL_KWH)  # Thu 12:00 → Mon 00:00


@pytest.mark.parametrize("size", [2.0, -1.5], ids=["later_close", "earlier_start"])
def test_schedule_change_extends_operation(size, local, local_hour, faulted):
    fault = Fault(162320, "schedule_change", local("2025-12-02"), local("2025-12-05"), size=size)
    clean, dirty = faulted(fault)
    c = clean.readings
    diff = (dirty.readings["energy_kwh"] - c["energy_kwh"]).to_numpy()
    inside = span_mask(c, 162320, fault.start, fault.end)
    assert np.abs(diff[~inside]).max() == 0.0
    hours = local_hour(c)
    # RTU-1 ramps up at 06:00 (lead 1 h) and down at 17:30; the change moves one of the ramps.
    window = (hours >= 17) & (hours < 20) if size > 0 else (hours >= 4) & (hours < 7)
    assert np.abs(diff[inside & ~window]).max() == 0.0
    assert diff[inside & window].min() >= 0
    label = only_label(dirty)
    assert label["expected_kwh"] == pytest.approx(diff.sum(), abs=ENERGY_ATOL_KWH)
    assert label["expected_kwh"] > 3 * 1.0  # three days of ≥ 1 h at the ~1.5 kW occupied load


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_stuck_repeats_every_field(resolution_s, local, faulted):
    fault = Fault(162285, "stuck", local("2025-12-02 03:00"), local("2025-12-02 15:00"))
    clean, dirty = faulted(fault, resolution_s=resolution_s, fields="all")
    d = dirty.readings
    inside = span_mask(d, 162285, fault.start, fault.end)
    assert inside.sum() == 12 * 3600 // resolution_s
    stuck = d.loc[inside, list(ALL_FIELDS)]
    assert (stuck == stuck.iloc[0]).all().all()
    first = clean.readings.loc[inside].iloc[0]
    if resolution_s == 900:  # the stuck value is the clean value at the fault start
        assert stuck["power_kw"].iloc[0] == first["power_kw"]
    pd.testing.assert_frame_equal(d.loc[~inside], clean.readings.loc[~inside], check_exact=True)
    assert np.isnan(only_label(dirty)["expected_kwh"])


def test_stuck_value_does_not_depend_on_the_window(local, sim):
    fault = Fault(162285, "stuck", local("2025-12-02 03:00"), local("2025-12-02 15:00"))
    a = sim("2025-12-01", "2025-12-03", faults=[fault]).readings
    b = sim("2025-12-02 09:00", "2025-12-03", faults=[fault]).readings
    day = b[(b["channel_id"] == 162285) & (b["timestamp"] < fault.end)]
    assert (day["power_kw"] == day["power_kw"].iloc[0]).all()
    assert (
        day["power_kw"].iloc[0]
        == a.loc[span_mask(a, 162285, fault.start, fault.end), "power_kw"].iloc[0]
    )


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_gap_removes_exactly_its_rows(resolution_s, local, faulted):
    fault = Fault(162120, "gap", local("2025-12-03 08:00"), local("2025-12-03 11:00"))
    clean, dirty = faulted(fault, resolution_s=resolution_s)
    c, d = clean.readings, dirty.readings
    inside = span_mask(c, 162120, fault.start, fault.end)
    assert len(c) - len(d) == inside.sum() == 3 * 3600 // resolution_s
    pd.testing.assert_frame_equal(d, c.loc[~inside].reset_index(drop=True), check_exact=True)
    assert np.isnan(only_label(dirty)["size"])


def test_gap_partial_hour_removes_the_whole_hour(local, by_key, faulted):
    fault = Fault(162120, "gap", local("2025-12-03 08:15"), local("2025-12-03 08:45"))
    clean, dirty = faulted(fault, resolution_s=3600)
    missing = by_key(clean.readings).index.difference(by_key(dirty.readings).index)
    assert missing.tolist() == [(162120, local("2025-12-03 08:00"))]


def test_silent_channel_stops_reporting(local, faulted):
    fault = Fault(162319, "silent", local("2025-12-05 13:00"))
    clean, dirty = faulted(fault)
    channel = dirty.readings[dirty.readings["channel_id"] == 162319]
    assert channel["timestamp"].max() == local("2025-12-05 12:45")
    assert len(dirty.readings) == len(clean.readings) - (2 * 24 + 11) * 4
    label = only_label(dirty)
    assert (label["start"], label["end"]) == (fault.start, local(WEEK[1]))


def test_negative_flips_sign_of_signed_fields_only(local, faulted):
    fault = Fault(162122, "negative", local("2025-12-02 01:00"), local("2025-12-02 04:00"))
    clean, dirty = faulted(fault, fields="all")
    c, d = clean.readings, dirty.readings
    inside = span_mask(c, 162122, fault.start, fault.end)
    for column in ("power_kw", "energy_kwh", "reactive_power_kvar", "power_kw_p2"):
        np.testing.assert_array_equal(d.loc[inside, column], -c.loc[inside, column])
    for column in ("current_a", "voltage_v", "apparent_power_kva"):
        np.testing.assert_array_equal(d.loc[inside, column], c.loc[inside, column])
    pd.testing.assert_frame_equal(d.loc[~inside], c.loc[~inside], check_exact=True)


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_mismatch_scales_energy_not_power(resolution_s, local, faulted):
    fault = Fault(
        162121, "mismatch", local("2025-12-02 06:00"), local("2025-12-02 18:00"), size=0.25
    )
    clean, dirty = faulted(fault, resolution_s=resolution_s)
    c, d = clean.readings, dirty.readings
    inside = span_mask(c, 162121, fault.start, fault.end)
    np.testing.assert_array_equal(d["power_kw"], c["power_kw"])
    np.testing.assert_allclose(d.loc[inside, "energy_kwh"], 1.25 * c.loc[inside, "energy_kwh"],
                               rtol=1e-12)  # fmt: skip
    np.testing.assert_array_equal(d.loc[~inside, "energy_kwh"], c.loc[~inside, "energy_kwh"])
    excess = (d["energy_kwh"] - c["energy_kwh"]).sum()
    assert only_label(dirty)["expected_kwh"] == pytest.approx(excess, abs=ENERGY_ATOL_KWH)


def test_faults_outside_window_or_channel_set_are_ignored_and_labels_clipped(local, sim):
    faults = [
        Fault(162121, "gap", local("2025-11-20"), local("2025-11-21")),  # before the window
        Fault(162121, "spike", local("2025-12-03 10:00"), local("2025-12-03 11:00"), size=3.0),
        Fault(162285, "spike", local("2025-12-03 10:00"), local("2025-12-03 11:00"), size=3.0),
        Fault(162121, "stuck", local("2025-11-30 20:00"), local("2025-12-01 02:00")),
    ]
    result = sim(*WEEK, channels=[162121], faults=faults)
    labels = result.labels.sort_values("start").reset_index(drop=True)
    assert labels["kind"].tolist() == ["stuck", "spike"]
    assert labels.loc[0, "start"] == local(WEEK[0])  # clipped to the window
    assert labels.loc[1, "expected_kwh"] == pytest.approx(3.0, abs=ENERGY_ATOL_KWH)


# Times written with their offset (Wilson Center local midnight in December is 05:00 UTC).
BAD_FAULTS = [
    (
        dict(kind="drift", start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00"),
        "unknown fault kind",
    ),
    (
        dict(kind="gap", start=pd.Timestamp("2025-12-01"), end="2025-12-02T00:00-05:00"),
        "timezone-naive",
    ),
    (
        dict(kind="gap", start="2025-12-02T00:00-05:00", end="2025-12-01T00:00-05:00"),
        "must be after",
    ),
    (dict(kind="gap", start="2025-12-01T00:00-05:00"), "needs an end"),
    (
        dict(kind="spike", start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00"),
        "needs a finite size",
    ),
    (
        dict(kind="gap", start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00", size=1.0),
        "has no size",
    ),
    (
        dict(
            kind="spike",
            start="2025-12-01T00:00-05:00",
            end="2025-12-02T00:00-05:00",
            size=1.0,
            unit="W",
        ),
        "unit",
    ),
]


FAULT_IDS = ["kind", "naive", "reversed", "no_end", "no_size", "extra_size", "unit"]


@pytest.mark.parametrize(("kwargs", "message"), BAD_FAULTS, ids=FAULT_IDS)
def test_fault_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Fault(162121, **kwargs)


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_random_faults_are_seeded_placed_and_detectable(resolution_s):
    period = dates.week_period("2025-12-01", tz=TZ)
    faults = random_faults(period=period, seed=11, resolution_s=resolution_s)
    again = random_faults(period=period, seed=11, resolution_s=resolution_s)
    other = random_faults(period=period, seed=12, resolution_s=resolution_s)
    assert faults == again
    assert faults != other
    assert sorted(f.kind for f in faults) == sorted(FAULT_KINDS)
    for f in faults:
        assert period.start <= f.start < f.end <= period.end
        assert f.start.value % (resolution_s * 10**9) == 0
    for channel in {f.channel_id for f in faults}:
        spans = sorted((f.start, f.end) for f in faults if f.channel_id == channel)
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False))
    result = simulate_readings(start=period.start, end=period.end, faults=faults,
                               resolution_s=resolution_s)  # fmt: skip
    labels = result.labels.set_index("kind")
    assert len(labels) == len(faults)
    additive = ["spike", "after_hours", "schedule_change", "level_shift", "mismatch"]
    assert (labels.loc[additive, "expected_kwh"] > 0).all()
    assert labels.loc["after_hours", "expected_kwh"] >= 20.0 - ENERGY_ATOL_KWH
    levels = {c.channel_id: c.nominal_kw for c in WILSON_CHANNELS}
    spike = next(f for f in faults if f.kind == "spike")
    assert (
        max(0.25, levels[spike.channel_id]) <= spike.size <= max(0.25, 2 * levels[spike.channel_id])
    )


def test_random_faults_respects_families_and_count(local):
    period = (local("2025-10-06"), local("2025-10-20"))
    faults = random_faults(period=period, seed=1, families=["spike", "gap"], per_family=3)
    assert sorted(f.kind for f in faults) == ["gap"] * 3 + ["spike"] * 3
    with pytest.raises(ValueError, match="unknown fault families"):
        random_faults(period=period, families=["drift"])
