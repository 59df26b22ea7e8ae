"""Tests of argo_lib.thresholds: defaults from the spec and dotted-name overrides."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from argo_lib.errors import UsageError
from argo_lib.thresholds import (
    AnomalyThresholds,
    HealthThresholds,
    SpikeThresholds,
    StatusThresholds,
    Thresholds,
    apply_overrides,
    flatten_thresholds,
)


def test_defaults_follow_spec_a_with_b_floors():
    t = Thresholds()
    assert t.health.gap_min_missing == 2
    assert t.health.gap_high_missing == 10
    assert t.health.completeness_min_pct == 90.0
    assert t.health.stale_hours == 2.0
    assert t.health.stuck_min_hours == 6.0
    assert t.after_hours.base_percentile == 5.0
    assert t.after_hours.min_weekly_kwh == 10.0
    assert t.anomalies.iqr_k == 3.0
    assert t.spikes.p95_factor == 1.5
    assert t.quick_wins.max_items == 10
    assert t.status.action_required_cost == 100.0
    # B5: every anomaly threshold has absolute and relative floors above zero
    assert t.anomalies.abs_floor_kw > 0
    assert t.anomalies.rel_floor > 0
    assert t.baseline.min_samples > 4  # an hourly hour-of-week slot (4 values) must pool


def test_thresholds_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Thresholds().health.stale_hours = 3.0  # type: ignore[misc]


def test_flatten_lists_every_field_once():
    flat = flatten_thresholds()
    assert flat["after_hours.min_weekly_kwh"] == 10.0
    assert flat["anomalies.method"] == "profile"
    groups = [f.name for f in dataclasses.fields(Thresholds)]
    assert len(flat) == sum(len(dataclasses.fields(getattr(Thresholds(), g))) for g in groups)


def test_apply_overrides_converts_int_to_float_and_keeps_input():
    base = Thresholds()
    t = apply_overrides(base, {"after_hours.min_weekly_kwh": 20, "spikes.top_n": 5})
    assert t.after_hours.min_weekly_kwh == 20.0
    assert isinstance(t.after_hours.min_weekly_kwh, float)
    assert t.spikes.top_n == 5
    assert base.after_hours.min_weekly_kwh == 10.0


def test_apply_overrides_accepts_none_for_optional_field():
    t = apply_overrides(None, {"health.implausible_max_kw": 50})
    assert t.health.implausible_max_kw == 50.0
    assert apply_overrides(t, {"health.implausible_max_kw": None}).health.implausible_max_kw is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"after_hours.min_weekly_kwhh": 1}, "did you mean after_hours.min_weekly_kwh"),
        ({"nonsense": 1}, "unknown threshold 'nonsense'"),
        ({"spikes.top_n": 2.5}, "must be <class 'int'>"),
        ({"spikes.top_n": True}, "must be <class 'int'>"),
        ({"after_hours.min_weekly_kwh": "10"}, "must be <class 'float'>"),
        ({"after_hours.min_weekly_kwh": None}, "cannot be None"),
        ({"anomalies.method": "magic"}, "anomalies.method"),
        ({"health.stuck_severity": "urgent"}, "not a severity"),
    ],
    ids=[
        "typo",
        "no-group",
        "float-for-int",
        "bool-for-int",
        "str-for-float",
        "none",
        "method",
        "severity",
    ],
)
def test_apply_overrides_rejects_bad_input(overrides, message):
    with pytest.raises(ValueError, match=message):
        apply_overrides(None, overrides)


def test_severity_fields_are_validated_on_construction():
    with pytest.raises(ValueError, match="not a severity"):
        HealthThresholds(no_data_severity="critical")
    with pytest.raises(ValueError, match="isolation_forest"):
        AnomalyThresholds(method="forest")


NUMERIC = [
    name
    for name, value in flatten_thresholds().items()
    if isinstance(value, int | float) and not isinstance(value, bool)
]


@pytest.mark.parametrize("name", NUMERIC)
def test_every_numeric_threshold_rejects_nan_inf_and_negatives(name):
    default = flatten_thresholds()[name]
    bad = [-1] if isinstance(default, int) else [float("nan"), float("inf"), -0.5]
    for value in bad:
        with pytest.raises(UsageError) as info:
            apply_overrides(None, {name: value})
        assert (
            str(info.value) == f"{name} = {value!r}: use a finite number >= 0 (default {default!r})"
        )


def test_optional_ceiling_rejects_negatives_but_keeps_none():
    with pytest.raises(UsageError, match=r"health.implausible_max_kw = -5.0: use a finite"):
        apply_overrides(None, {"health.implausible_max_kw": -5})
    assert (
        apply_overrides(None, {"health.implausible_max_kw": None}).health.implausible_max_kw is None
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"after_hours.min_weekly_kwh": json.loads("NaN")}, "after_hours.min_weekly_kwh = nan"),
        ({"after_hours.min_weekly_kwh": -5}, "after_hours.min_weekly_kwh = -5.0"),
        ({"health.catch_up_min_ratio": json.loads("Infinity")}, "health.catch_up_min_ratio = inf"),
        (
            {"after_hours.base_percentile": 150},
            "after_hours.base_percentile = 150.0: use a percentile",
        ),
    ],
    ids=["nan-from-command-line", "negative", "inf-past-special-check", "percentile"],
)
def test_overrides_out_of_range_are_usage_errors(overrides, message):
    with pytest.raises(UsageError, match=re.escape(message)):
        apply_overrides(None, overrides)


def test_groups_check_their_numbers_when_built_directly():
    with pytest.raises(UsageError, match=r"^spikes.top_n = -1: use a finite number >= 0"):
        SpikeThresholds(top_n=-1)
    with pytest.raises(UsageError, match=r"^status.action_required_cost = nan"):
        StatusThresholds(action_required_cost=float("nan"))
