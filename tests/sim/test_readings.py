"""simulate_readings: purity, the UTC-aligned grid, DST weeks, resolutions, fields, input checks."""

from __future__ import annotations

import pandas as pd
import pytest

from argo_lib.sim import (
    ALL_FIELDS,
    simulate_readings,
)

TZ = "America/New_York"
WILSON_IDS = [162119, 162120, 162121, 162122, 162123, 162285, 162319, 162320]

# Sums of exact per-interval values: only float rounding of the sum may differ.
ENERGY_ATOL_KWH = 1e-9


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_overlapping_windows_give_identical_values(resolution_s, sim, by_key):
    a = by_key(sim("2025-12-01", "2025-12-09", resolution_s=resolution_s, fields="all").readings)
    b = by_key(
        sim("2025-12-05 06:00", "2025-12-12", resolution_s=resolution_s, fields="all").readings
    )
    common = a.index.intersection(b.index)
    assert len(common) == 8 * (3 * 24 + 18) * 3600 // resolution_s
    pd.testing.assert_frame_equal(a.loc[common], b.loc[common], check_exact=True)


def test_single_channel_equals_its_rows_in_a_site_run(sim, by_key):
    site = by_key(sim("2025-12-01", "2025-12-03", fields="all").readings)
    one = by_key(sim("2025-12-01", "2025-12-03", fields="all", channels=[162285]).readings)
    pd.testing.assert_frame_equal(site.loc[one.index], one, check_exact=True)


def test_seed_changes_values_and_same_seed_repeats(sim):
    a = sim("2025-12-01", "2025-12-02", seed=7).readings
    b = sim("2025-12-01", "2025-12-02", seed=7).readings
    c = sim("2025-12-01", "2025-12-02", seed=8).readings
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert (a["power_kw"] != c["power_kw"]).mean() > 0.99


def test_window_not_on_grid_starts_at_next_interval(sim):
    r = sim("2025-12-01 00:07", "2025-12-01 02:00", resolution_s=3600).readings
    assert r["timestamp"].dt.tz_convert(TZ).dt.hour.unique().tolist() == [1]
    assert str(r["timestamp"].dtype) == "datetime64[us, UTC]"


DST_WEEKS = [("2025-03-03", 167), ("2025-10-27", 169), ("2025-12-01", 168)]


@pytest.mark.parametrize(("week_start", "hours"), DST_WEEKS, ids=["spring", "fall", "ordinary"])
@pytest.mark.parametrize("resolution_s", [900, 1800, 3600], ids=["15min", "30min", "hourly"])
def test_dst_week_row_counts(week_start, hours, resolution_s, local):
    end = (local(week_start) + pd.DateOffset(weeks=1)).isoformat()
    r = simulate_readings(start=local(week_start), end=end, resolution_s=resolution_s).readings
    counts = r.groupby("channel_id").size()
    assert (counts == hours * 3600 // resolution_s).all()
    assert counts.index.tolist() == WILSON_IDS


@pytest.mark.parametrize("resolution_s", [1800, 3600], ids=["30min", "hourly"])
def test_coarse_resolution_is_aggregate_of_base_grid(resolution_s, sim, by_key):
    fine = sim("2025-11-01", "2025-11-04", fields="all").readings
    coarse = sim("2025-11-01", "2025-11-04", fields="all", resolution_s=resolution_s).readings
    bucket = fine["timestamp"].dt.floor(f"{resolution_s}s")
    energy = [c for c in ALL_FIELDS if c.startswith("energy_kwh")]
    instants = [c for c in ALL_FIELDS if c not in energy]
    grouped = fine.groupby(["channel_id", bucket])
    expected = pd.concat([grouped[energy].sum(), grouped[instants].mean()], axis=1)
    got = by_key(coarse)[expected.columns]
    expected.index = got.index
    pd.testing.assert_frame_equal(
        got, expected, check_exact=False, atol=ENERGY_ATOL_KWH, rtol=1e-12
    )


def test_fields_option_selects_columns(sim):
    basic = sim("2025-12-01", "2025-12-02").readings
    assert basic.columns.tolist() == ["timestamp", "channel_id", "energy_kwh", "power_kw"]
    full = sim("2025-12-01", "2025-12-02", fields="all").readings
    assert full.columns.tolist() == ["timestamp", "channel_id", *ALL_FIELDS]
    assert "cost" not in full.columns
    some = sim("2025-12-01", "2025-12-02", fields=["voltage_v", "power_kw"]).readings
    assert some.columns.tolist() == ["timestamp", "channel_id", "power_kw", "voltage_v"]
    pd.testing.assert_series_equal(basic["power_kw"], full["power_kw"], check_exact=True)


# Bounds written with their offset (Wilson Center local midnight in December is 05:00 UTC).
BAD_CALLS = [
    (dict(start=pd.Timestamp("2025-12-01"), end="2025-12-02T00:00-05:00"), "timezone-naive"),
    (dict(start="2025-12-02T00:00-05:00", end="2025-12-01T00:00-05:00"), "must be after start"),
    (
        dict(start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00", resolution_s=600),
        "resolution_s",
    ),
    (
        dict(start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00", channels=[162127]),
        "unknown channel",
    ),
    (
        dict(
            start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00", channels=[162121, 162121]
        ),
        "repeat",
    ),
    (
        dict(start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00", fields="most"),
        "fields must be",
    ),
    (
        dict(start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00", fields=["power_w"]),
        "unknown fields",
    ),
]


@pytest.mark.parametrize(("kwargs", "message"), BAD_CALLS,
                         ids=["naive", "reversed", "resolution", "non_energy", "duplicate",
                              "fields_word", "fields_list"])  # fmt: skip
def test_simulate_readings_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        simulate_readings(**kwargs)


def test_ten_weeks_of_15min_have_every_interval(sim):
    # How fast this is is measured by benchmarks/simulate.py, never asserted in a test.
    r = sim("2025-10-01", "2025-12-10").readings
    assert len(r) == 8 * (70 * 24 + 1) * 4  # includes the 25-hour day of 2025-11-02
