"""The portfolio overview computed from hand-made briefs that validate against the schema."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from argo_lib import brief
from argo_lib.analytics.portfolio import (
    BRIEF_STATUSES,
    COLUMNS,
    NO_BRIEF,
    PORTFOLIO_STATUSES,
    SiteWeek,
    finding_streak,
    summarize_portfolio,
    top_finding,
)
from argo_lib.render import theme

MONEY_ATOL = 1e-9  # sums of numbers copied from the briefs: only float rounding may differ

SPAN = {"start": "2026-11-17T19:00:00-05:00", "end": "2026-11-18T06:00:00-05:00"}
WIN = {
    "title": "Switch off after-hours operation on Boiler",
    "type": "after_hours_operation",
    "priority": "high",
    "impact": {"weeklyKwh": 50.0, "weeklyCost": 6.0, "annualCost": 312.0, "demandCost": None},
    "description": "Boiler ran at night.",
    "recommendations": ["Switch it off."],
    "confidence": "high",
    "owner": "Facilities Manager",
    "effort": "low",
    "evidence": [{"channelId": 11, "channelName": "Boiler", "kwh": 50.0, **SPAN}],
    "recurringWeeks": 1,
    "sinceWeek": "2026-W47",
}
ISSUE = {
    "type": "missing_data",
    "severity": "high",
    "channelId": 12,
    "channelName": "Chiller",
    "description": "Chiller: 24 missing intervals",
    "recurringWeeks": 1,
    "sinceWeek": "2026-W47",
}


def make_brief(
    demo_doc,
    site_id: str,
    *,
    week: str = "2026-W47",
    status: str = "attention_needed",
    savings: tuple[float, float, float] = (0.0, 0.0, 0.0),  # kWh, cost, annual cost per week
    wins: tuple[dict, ...] = (),
    issues: tuple[dict, ...] = (),
    consumption: tuple[float, float, float, float] = (1000.0, 120.0, 10.0, 8.0),
    quality: tuple[float, float] = (99.0, 98.0),  # average completeness, quality index [%]
    currency: str = "USD",
) -> dict:
    """The demo brief with this site's numbers, valid against the schema."""
    doc = copy.deepcopy(demo_doc)
    meta = doc["metadata"]
    meta["site"]["siteId"], meta["site"]["siteName"] = site_id, f"Site {site_id}"
    meta["period"]["label"] = week
    meta["currency"] = doc["summary"]["currency"] = currency
    summary = doc["summary"]
    summary["status"] = status
    total = summary["totalPotentialSavings"]
    total["weeklyKwh"], total["weeklyCost"], total["estimatedAnnual"] = savings
    kwh, cost, mean_kw, baseline_kw = consumption
    used = summary["consumption"]
    used.update(weekKwh=kwh, weekCost=cost, meanKw=mean_kw, baselineMeanKw=baseline_kw)
    used["changePercent"] = round(100.0 * (mean_kw / baseline_kw - 1.0), 1)
    doc["sections"]["quickWins"] = [copy.deepcopy(w) for w in wins]
    health = doc["sections"]["sensorHealth"]
    health["issues"] = [copy.deepcopy(i) for i in issues]
    health["totalIssues"] = len(issues)
    health["bySeverity"] = {
        level: sum(i["severity"] == level for i in issues) for level in ("high", "medium", "low")
    }
    doc["dataQuality"]["avgCompleteness"], doc["dataQuality"]["qualityIndex"] = quality
    brief.validate_brief(doc)
    return doc


def test_hand_made_briefs_validate(demo_doc):
    doc = make_brief(demo_doc, "1", wins=(WIN,), issues=(ISSUE,), savings=(50.0, 6.0, 312.0))
    assert doc["summary"]["totalPotentialSavings"]["weeklyCost"] == 6.0


def test_statuses_are_the_briefs_vocabulary_plus_no_brief():
    assert BRIEF_STATUSES == theme.STATUSES
    assert PORTFOLIO_STATUSES == (*theme.STATUSES, NO_BRIEF)


@pytest.fixture
def overview(demo_doc):
    """Four sites: two with savings, one clean, one without a brief."""
    sites = [
        SiteWeek(
            "1",
            "Site 1",
            make_brief(
                demo_doc,
                "1",
                status="action_required",
                savings=(50.0, 6.0, 312.0),
                wins=(WIN,),
                consumption=(1000.0, 120.0, 10.0, 8.0),
            ),
        ),
        SiteWeek(
            "2",
            "Site 2",
            make_brief(
                demo_doc,
                "2",
                savings=(200.0, 30.0, 1560.0),
                issues=(ISSUE, {**ISSUE, "severity": "low", "channelId": 13}),
                consumption=(2000.0, 300.0, 12.0, 15.0),
                quality=(90.0, 85.0),
            ),
        ),
        SiteWeek(
            "3",
            "Site 3",
            make_brief(demo_doc, "3", status="operating_normally", quality=(100.0, 100.0)),
        ),
        SiteWeek("4", "Site 4", None, note="no brief published for 2026-W47"),
    ]
    return summarize_portfolio(sites, week="2026-W47")


def test_sites_rank_by_potential_savings_and_by_data_problems(overview):
    assert list(overview.by_savings["site_id"]) == ["2", "1", "3", "4"]
    assert list(overview.by_savings["savings_rank"].iloc[:3]) == [1, 2, 3]
    assert overview.by_savings["savings_rank"].isna().tolist() == [False, False, False, True]
    # site 2: a high issue; site 1 and 3: none, site 1 has the lower quality index (98 % < 100 %)
    assert list(overview.by_data_problems["site_id"]) == ["2", "1", "3", "4"]
    assert list(overview.sites.columns) == list(COLUMNS)


def test_status_counts_list_every_status(overview):
    assert overview.status_counts == {
        "action_required": 1,
        "attention_needed": 1,
        "operating_normally": 1,
        "not_assessed": 0,
        "no_brief": 1,
    }


def test_totals_add_up_the_sites_with_a_brief(overview):
    t = overview.totals
    assert (t["sites"], t["with_brief"], t["no_brief"]) == (4, 3, 1)
    assert t["currency"] == "USD"
    assert t["savings_kwh"] == pytest.approx(250.0, abs=MONEY_ATOL)
    assert t["savings_cost"] == pytest.approx(36.0, abs=MONEY_ATOL)
    assert t["savings_annual_cost"] == pytest.approx(1872.0, abs=MONEY_ATOL)
    assert (t["issues"], t["issues_high"]) == (2, 1)
    assert t["energy_kwh"] == pytest.approx(4000.0, abs=MONEY_ATOL)
    # baselines: 1000 × 8/10 + 2000 × 15/12 + 1000 × 8/10 = 800 + 2500 + 800
    assert t["baseline_energy_kwh"] == pytest.approx(4100.0, abs=MONEY_ATOL)
    assert t["change"] == pytest.approx(4000.0 / 4100.0 - 1.0)
    assert t["coverage"] == pytest.approx((0.99 + 0.90 + 1.0) / 3)


def test_consumption_against_baseline_per_site(overview):
    sites = overview.sites.set_index("site_id")
    assert sites.loc["2", "baseline_energy_kwh"] == pytest.approx(2500.0)
    assert sites.loc["2", "baseline_cost"] == pytest.approx(375.0)
    assert sites.loc["2", "change"] == pytest.approx(-0.2)
    assert sites.loc["2", "coverage"] == pytest.approx(0.90)
    assert sites.loc["2", "quality_index"] == pytest.approx(0.85)
    assert pd.isna(sites.loc["4", "energy_kwh"])
    assert sites.loc["4", "note"] == "no brief published for 2026-W47"


def test_top_finding_is_the_first_quick_win_else_the_most_severe_issue(demo_doc):
    low = {**ISSUE, "severity": "low", "channelId": 13, "description": "low one"}
    both = make_brief(demo_doc, "1", wins=(WIN,), issues=(low, ISSUE))
    assert top_finding(both) == {
        "kind": "quick_win",
        "title": WIN["title"],
        "key": ("quickWins", "after_hours_operation", 11),
    }
    issues_only = make_brief(demo_doc, "1", issues=(low, ISSUE))
    assert top_finding(issues_only)["key"] == ("sensorHealth", "missing_data", 12)
    assert top_finding(make_brief(demo_doc, "1")) is None


def _week(demo_doc, week: str, **kwargs) -> dict:
    return make_brief(demo_doc, "1", week=week, **kwargs)


@pytest.mark.parametrize(
    ("history", "expected"),
    [
        (("same", "same"), (3, "2026-W45")),
        (("same", None, "same"), (2, "2026-W46")),
        (("other", "same"), (1, "2026-W47")),
        (("moved", "same"), (1, "2026-W47")),
        ((), (1, "2026-W47")),
    ],
    ids=["three-weeks", "gap-ends-the-run", "not-last-week", "another-channel", "no-history"],
)
def test_top_finding_recurrence_from_earlier_briefs(demo_doc, history, expected):
    labels = ["2026-W46", "2026-W45", "2026-W44"]
    made = {
        "same": lambda w: _week(demo_doc, w, wins=(WIN,)),
        "other": lambda w: _week(demo_doc, w, issues=(ISSUE,)),
        "moved": lambda w: _week(
            demo_doc, w, wins=({**WIN, "evidence": [{**WIN["evidence"][0], "channelId": 99}]},)
        ),
    }
    earlier = [None if h is None else made[h](w) for h, w in zip(history, labels, strict=False)]
    site = SiteWeek("1", "Site 1", _week(demo_doc, "2026-W47", wins=(WIN,)), history=earlier)
    row = summarize_portfolio([site], week="2026-W47").sites.iloc[0]
    assert (row["recurring_weeks"], row["since_week"]) == expected
    key = ("quickWins", "after_hours_operation", 11)
    assert finding_streak(key, "2026-W47", earlier) == expected


def test_a_site_without_findings_has_no_recurrence(demo_doc):
    site = SiteWeek("1", "Site 1", make_brief(demo_doc, "1"))
    row = summarize_portfolio([site], week="2026-W47").sites.iloc[0]
    assert row["top_finding"] == "" and pd.isna(row["recurring_weeks"])
    assert row["savings_rank"] == 1 and row["data_rank"] == 1


def test_mixed_currencies_leave_money_totals_out(demo_doc):
    sites = [
        SiteWeek("1", "a", make_brief(demo_doc, "1", savings=(10.0, 1.0, 52.0))),
        SiteWeek("2", "b", make_brief(demo_doc, "2", savings=(20.0, 3.0, 156.0), currency="EUR")),
    ]
    t = summarize_portfolio(sites, week="2026-W47").totals
    assert t["currency"] is None
    assert np.isnan(t["savings_cost"]) and np.isnan(t["cost"])
    assert t["savings_kwh"] == pytest.approx(30.0, abs=MONEY_ATOL)


def test_only_sites_without_briefs(demo_doc):
    overview = summarize_portfolio([SiteWeek("9", "Nine", None)], week="2026-W47")
    assert overview.status_counts[NO_BRIEF] == 1
    assert overview.totals["with_brief"] == 0
    assert np.isnan(overview.totals["savings_kwh"]) and np.isnan(overview.totals["change"])
    assert overview.totals["issues"] == 0


def test_an_empty_portfolio():
    overview = summarize_portfolio([], week="2026-W47")
    assert overview.sites.empty and overview.totals["sites"] == 0


@pytest.mark.parametrize(
    ("sites", "message"),
    [
        (lambda d: [SiteWeek("1", "a", None), SiteWeek("1", "b", None)], "more than once: 1"),
        (
            lambda d: [SiteWeek("1", "a", {**make_brief(d, "1"), "summary": {"status": "odd"}})],
            "unknown brief status 'odd'",
        ),
    ],
    ids=["duplicate-site", "unknown-status"],
)
def test_bad_input_raises(demo_doc, sites, message):
    with pytest.raises(ValueError, match=message):
        summarize_portfolio(sites(demo_doc), week="2026-W47")
