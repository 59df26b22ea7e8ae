"""The site summary: status rules, headline and totals (argo_lib.analytics.summary)."""

from __future__ import annotations

import pandas as pd
import pytest

from argo_lib.analytics import summary


@pytest.mark.parametrize(
    ("high", "cost", "events", "expected"),
    [
        (1, 0.0, 0, "action_required"),
        (0, 150.0, 0, "action_required"),
        (0, 60.0, 0, "attention_needed"),
        (0, 0.0, 1, "attention_needed"),
        (0, 0.0, 0, "operating_normally"),
    ],
    ids=["high-issue", "waste-100", "waste-50", "event", "normal"],
)
def test_status_rules(high, cost, events, expected):
    issues = pd.DataFrame(
        {"type": ["no_data"] * high, "severity": ["high"] * high, "channel_name": ["A"] * high}
    )
    wins = pd.DataFrame(
        {
            "weekly_kwh": [cost / 0.12],
            "weekly_cost": [cost],
            "annual_cost": [cost * 52],
            "type": ["x"],
            "title": ["t"],
        }
    )
    anomalies = pd.DataFrame(
        {
            "excess_kwh": [1.0] * events,
            "kind": ["after_hours"] * events,
            "channel_name": ["A"] * events,
            "start_local": ["Mon"] * events,
        }
    )
    empty = pd.DataFrame(
        {"excess_kwh": [], "significant": [], "peak_kw": [], "coincident_kw": [], "direction": []}
    )
    result = summary.summarise_site(
        health=issues,
        after_hours=empty,
        anomalies=anomalies,
        level_shifts=empty.iloc[:0],
        spikes=empty.iloc[:0],
        quick_wins=wins,
        channels=pd.DataFrame({"completeness_pct": [100.0], "baseline_status": ["ok"]}),
        currency="USD",
        annualisation_weeks=52,
        demand_source="sum_of_channels",
    )
    assert result.status == expected
