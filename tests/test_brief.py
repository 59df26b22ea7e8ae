"""Tests of argo_lib.brief: the weekly brief JSON, its schema and its contract field names."""

from __future__ import annotations

import copy
import functools
import json
import re

import buildings
import pandas as pd
import pytest

from argo_lib import brief, dates
from argo_lib.analytics import analyse_site_week
from argo_lib.config import ChannelConfig, SiteSettings
from argo_lib.sim import WILSON_CHANNELS, Fault, random_faults, simulate_readings

TZ = "America/New_York"
WEEK = dates.report_week("2025-W41", tz=TZ)
GENERATED = pd.Timestamp("2025-10-13T08:00:00Z")
INJECTED_RTOL = 0.05  # an analytic must report an injected quantity within ±5 % (issue text)
SITE = SiteSettings(
    site_id="23271",
    name="Wilson Center",
    timezone=TZ,
    address="1 Example Way",
    city="Washington",
    country="US",
    holiday_country="US",
    channels=tuple(ChannelConfig(c.channel_id, c.name) for c in WILSON_CHANNELS),
)
OFFSET = re.compile(r"[+-]\d{2}:\d{2}$")


@functools.lru_cache(maxsize=4)
def _brief(kind: str) -> dict:
    base = dates.baseline_period(WEEK)
    if kind == "empty":
        site = SiteSettings(site_id="0", name="Empty", timezone=TZ)
        analysis = analyse_site_week(None, site=site, period=WEEK)
    else:
        faults = []
        if kind == "faulty":
            faults = random_faults(period=WEEK, seed=11, resolution_s=900)
            faults = [
                *(f for f in faults if f.channel_id != 162319),
                Fault(
                    162319,
                    "after_hours",
                    pd.Timestamp("2025-10-07 18:00", tz=TZ),
                    pd.Timestamp("2025-10-10 07:00", tz=TZ),
                    size=40 / 39,
                ),
            ]
        sim = simulate_readings(
            start=base.start, end=WEEK.end, resolution_s=900, seed=3, faults=faults
        )
        temperature = sim.temperature if kind == "weather" else None
        analysis = analyse_site_week(
            sim.readings, site=SITE, period=WEEK, baseline=base, temperature=temperature
        )
    return brief.build_brief(
        analysis,
        parameters={"site_id": "23271", "week": "2025-W41", "smtp_password": "hunter2"},
        generated_at=GENERATED,
    )


@pytest.mark.parametrize("kind", ["faulty", "clean", "weather", "empty"])
def test_brief_validates_and_is_strict_json(kind):
    doc = _brief(kind)
    brief.validate_brief(doc)
    text = json.dumps(doc, allow_nan=False)  # no NaN: "not applicable" is null
    assert "N/A" not in text
    assert json.loads(text) == doc


def test_metadata():
    meta = _brief("faulty")["metadata"]
    assert meta["generatedAt"] == "2025-10-13T04:00:00-04:00"  # site-local with offset
    assert meta["site"] == {
        "siteId": "23271",
        "siteName": "Wilson Center",
        "address": "1 Example Way",
        "city": "Washington",
        "country": "US",
        "timezone": TZ,
    }
    assert meta["period"]["start"] == "2025-10-06T00:00:00-04:00"
    assert meta["period"]["end"] == "2025-10-13T00:00:00-04:00"
    assert meta["period"]["endExclusive"] is True
    assert meta["baseline"]["weeksCount"] == 4
    assert meta["dataResolution"] == "900s (15min)"
    assert meta["parameters"] == {"site_id": "23271", "week": "2025-W41"}  # no secrets


def test_every_timestamp_carries_its_offset():
    def walk(node, path=""):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from walk(value, f"{path}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{path}/{i}")
        elif isinstance(node, str) and re.match(r"^\d{4}-\d{2}-\d{2}T", node):
            yield path, node

    stamps = list(walk(_brief("faulty")))
    assert len(stamps) > 20
    assert all(OFFSET.search(value) for _, value in stamps), stamps


def test_known_waste_shows_in_the_brief():
    # B9: a brief on data with known waste shows that waste (not zeros)
    sections = _brief("faulty")["sections"]
    meters = {m["channelId"]: m for m in sections["afterHoursWaste"]["topMeters"]}
    assert meters[162319]["impact"]["excessKwh"] >= 40 * (1 - INJECTED_RTOL)
    assert sections["afterHoursWaste"]["summary"]["totalExcessKwh"] > 0
    assert _brief("faulty")["summary"]["totalPotentialSavings"]["weeklyKwh"] > 0
    assert _brief("faulty")["summary"]["status"] == "action_required"


def test_sections_are_consistent_and_rounded():
    doc = _brief("faulty")
    s = doc["sections"]
    assert s["sensorHealth"]["totalIssues"] == len(s["sensorHealth"]["issues"])
    assert sum(s["sensorHealth"]["bySeverity"].values()) == s["sensorHealth"]["totalIssues"]
    assert s["anomalies"]["summary"]["totalEvents"] == len(s["anomalies"]["timeline"])
    assert s["spikes"]["summary"]["totalEvents"] == sum(
        c["spikeCount"] for c in s["spikes"]["byChannel"]
    )
    assert doc["charts"]["anomalyTimeline"] == s["anomalies"]["timeline"]
    for win in s["quickWins"]:
        impact = win["impact"]
        if impact["weeklyKwh"] is not None:
            assert impact["weeklyKwh"] == round(impact["weeklyKwh"], 1)
            assert impact["weeklyCost"] == round(impact["weeklyCost"], 2)
        assert win["recommendations"]
    totals = doc["summary"]["totalPotentialSavings"]
    wins_kwh = sum(w["impact"]["weeklyKwh"] or 0 for w in s["quickWins"])
    assert totals["weeklyKwh"] == pytest.approx(wins_kwh, abs=0.1 * len(s["quickWins"]) + 0.05)
    assert any("persists for a year" in a for a in totals["assumptions"])  # B11


def test_empty_sections_are_present_with_zero_counts():
    for kind in ("clean", "empty"):
        s = _brief(kind)["sections"]
        assert s["sensorHealth"]["totalIssues"] == 0 if kind == "clean" else True
        assert s["anomalies"] == {
            "summary": {"totalEvents": 0, "affectedChannels": 0, "totalExcessKwh": 0.0},
            "timeline": [],
            "byChannel": [],
        }
        assert s["spikes"]["topSpikes"] == [] and s["spikes"]["summary"]["totalEvents"] == 0
        assert s["quickWins"] == []
    empty = _brief("empty")
    assert empty["dataQuality"] == {
        "channelsAnalyzed": 0,
        "avgCompleteness": None,
        "qualityIndex": None,
        "channels": [],
    }
    assert empty["summary"]["status"] == "not_assessed"  # no data: not "normal" either


def test_data_quality_lists_every_channel():
    quality = _brief("faulty")["dataQuality"]
    assert quality["channelsAnalyzed"] == 8
    channel = quality["channels"][0]
    assert channel["resolutionS"] == 900
    assert channel["expected"] == 672


G14_CV_RMSE_MAX_PCT = 30.0  # ASHRAE Guideline 14, hourly: calibrated at or below
G14_NMBE_MAX_PCT = 10.0  # ASHRAE Guideline 14, hourly: calibrated within plus or minus


def test_data_quality_names_the_baseline_model_and_its_fit():
    with_weather = {c["channelId"]: c for c in _brief("weather")["dataQuality"]["channels"]}
    assert {c["baselineModel"] for c in with_weather.values()} == {"towt"}
    assert {c["baselineModelStatus"] for c in with_weather.values()} == {"calibrated"}
    for channel in with_weather.values():
        assert 0.0 < channel["cvRmsePercent"] <= G14_CV_RMSE_MAX_PCT
        assert abs(channel["nmbePercent"]) <= G14_NMBE_MAX_PCT
    # the simulated rooftop unit cools above 21 °C; an October baseline shows that
    assert with_weather[162320]["coolingBalanceC"] == pytest.approx(21.0, abs=2.0)
    without = {c["channelId"]: c for c in _brief("clean")["dataQuality"]["channels"]}
    assert {c["baselineModel"] for c in without.values()} == {"profile"}
    assert {c["baselineModelStatus"] for c in without.values()} == {"no_temperature"}
    assert all(c["heatingBalanceC"] is None for c in without.values())
    # the profile's own Guideline 14 statistics are reported instead
    assert all(c["cvRmsePercent"] > 0.0 for c in without.values())


def test_data_quality_scores_the_report_week_out_of_sample():
    # a clean simulated week is predicted about as well as the baseline fits itself; the
    # faulty week's injected faults show as a worse week fit on the meters that carry them
    clean = {c["channelId"]: c for c in _brief("weather")["dataQuality"]["channels"]}
    for channel in clean.values():
        assert channel["reportHours"] == 168
        assert 0.0 < channel["reportCvRmsePercent"] <= G14_CV_RMSE_MAX_PCT
        assert abs(channel["reportNmbePercent"]) <= G14_NMBE_MAX_PCT
    faulty = {c["channelId"]: c for c in _brief("faulty")["dataQuality"]["channels"]}
    kitchen = faulty[162319]  # 40 kWh after hours over three nights: more than expected
    assert kitchen["reportNmbePercent"] > G14_NMBE_MAX_PCT
    assert kitchen["reportCvRmsePercent"] > G14_CV_RMSE_MAX_PCT
    assert faulty[162122]["reportHours"] == 70  # the week's gap and suspect hours are left out


def test_small_anomaly_is_evidence_not_a_win():
    # A7: every energy win counts >= 10 kWh; the kitchen's after-hours event is already
    # counted as after-hours waste, so it is evidence of that win
    wins = _brief("faulty")["sections"]["quickWins"]
    kitchen = [w for w in wins if w["evidence"] and w["evidence"][0]["channelId"] == 162319]
    assert [w["type"] for w in kitchen] == ["after_hours_operation"]
    findings = [e for e in kitchen[0]["evidence"] if e.get("finding") == "anomaly_after_hours"]
    assert len(findings) == 1 and findings[0]["kwh"] > 10.0
    assert all(w["impact"]["weeklyKwh"] >= 10.0 for w in wins if w["impact"]["weeklyKwh"])


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("summary"), "'summary' is a required property"),
        (lambda d: d["summary"].update(status="fine"), "summary/status"),
        (
            lambda d: d["sections"]["afterHoursWaste"]["summary"].update(totalExcessKwh="N/A"),
            "totalExcessKwh",
        ),
        (lambda d: d["metadata"]["period"].update(start="2025-10-06T00:00:00"), "period/start"),
        (lambda d: d["sections"]["anomalies"].pop("byChannel"), "byChannel"),
        (lambda d: d["dataQuality"]["channels"][0].pop("baselineModel"), "baselineModel"),
        (
            lambda d: d["dataQuality"]["channels"][0].update(baselineModel="regression"),
            "baselineModel",
        ),
    ],
    ids=[
        "missing-section",
        "bad-status",
        "string-number",
        "naive-time",
        "missing-list",
        "missing-model",
        "unknown-model",
    ],
)
def test_schema_rejects_drift(mutate, message):
    doc = copy.deepcopy(_brief("clean"))
    mutate(doc)
    with pytest.raises(brief.BriefValidationError, match=message):
        brief.validate_brief(doc)


def test_generated_at_must_be_aware():
    base = dates.baseline_period(WEEK)
    analysis = analyse_site_week(None, site=SITE, period=WEEK, baseline=base)
    with pytest.raises(ValueError, match="timezone-naive"):
        brief.build_brief(analysis, generated_at=pd.Timestamp("2025-10-13 08:00"))


def test_schema_is_valid_draft_2020_12():
    import jsonschema

    schema = brief.load_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def _relabelled(doc: dict, label: str) -> dict:
    earlier = copy.deepcopy(doc)
    earlier["metadata"]["period"]["label"] = label
    return earlier


def test_a_finding_says_for_how_many_weeks_in_a_row_it_was_reported():
    doc = copy.deepcopy(_brief("faulty"))
    wins, issues = doc["sections"]["quickWins"], doc["sections"]["sensorHealth"]["issues"]
    assert wins and issues
    assert {w["recurringWeeks"] for w in wins + issues} == {1}  # no history: all new
    first = wins[0]
    w40 = _relabelled(doc, "2025-W40")
    w39 = _relabelled(doc, "2025-W39")
    del w39["sections"]["quickWins"][0]  # the first win was not reported in W39
    w38 = _relabelled(doc, "2025-W38")
    # W37 not published: a run never spans a week without a brief, even if W36 had it all
    brief.mark_recurrence(
        doc, [w40, w39, w38, None, _relabelled(doc, "2025-W36")], lookback_weeks=5
    )
    brief.validate_brief(doc)
    assert (first["recurringWeeks"], first["sinceWeek"]) == (2, "2025-W40")
    others = [w for w in wins if w is not first and w["type"] != first["type"]]
    assert others and all((w["recurringWeeks"], w["sinceWeek"]) == (4, "2025-W38") for w in others)
    assert {(i["recurringWeeks"], i["sinceWeek"]) for i in issues} == {(4, "2025-W38")}
    assert doc["metadata"]["history"] == {
        "lookbackWeeks": 5,
        "briefsRead": ["2025-W40", "2025-W39", "2025-W38", "2025-W36"],
    }


def test_the_same_finding_is_its_type_on_its_meter_not_its_numbers():
    doc = copy.deepcopy(_brief("faulty"))
    before = _relabelled(doc, "2025-W40")
    for win in before["sections"]["quickWins"]:
        win["impact"]["weeklyKwh"] = 1.0  # other numbers, same findings
    for issue in before["sections"]["sensorHealth"]["issues"]:
        issue["channelId"] += 1  # the same types on other meters: other findings
    brief.mark_recurrence(doc, [before], lookback_weeks=1)
    assert {w["recurringWeeks"] for w in doc["sections"]["quickWins"]} == {2}
    assert {i["recurringWeeks"] for i in doc["sections"]["sensorHealth"]["issues"]} == {1}


def test_the_brief_states_how_much_of_the_baseline_was_screened_out():
    import outages

    readings, _ = outages.main_meter()
    analysis = analyse_site_week(
        outages.zero_fill(readings), site=outages.SITE, period=outages.WEEK
    )
    doc = brief.build_brief(analysis, generated_at=GENERATED)
    brief.validate_brief(doc)
    n_base = len(dates.expected_index(outages.BASE, resolution_s=3600))
    share = 100 * 115 / n_base  # the four zero-filled outages: 115 of 672 h
    assert doc["metadata"]["baseline"]["screenedPercent"] == pytest.approx(share, abs=0.05)
    (channel,) = doc["dataQuality"]["channels"]
    assert channel["baselineScreened"] == {"outage": 115}
    assert channel["baselineScreenedPercent"] == pytest.approx(share, abs=0.05)
    assert channel["baselineStatus"] == "ok"  # 86 % of the week's hours seen in 2+ weeks


def test_a_standing_night_load_is_listed_to_investigate_not_as_savings():
    extra = buildings.after_hours_load(2.5, "2025-10-07 18:00", "2025-10-10 07:00")
    analysis = analyse_site_week(
        buildings.night_building(900, extra=extra),
        site=buildings.SITE,
        period=buildings.WEEK,
        baseline=buildings.BASE,
    )
    doc = brief.build_brief(analysis, generated_at=GENERATED)
    brief.validate_brief(doc)
    row = analysis.after_hours.iloc[0]
    total = doc["summary"]["totalPotentialSavings"]
    # savings: the new operation only (three nights of +2.5 kW); the night load is apart
    assert total["weeklyKwh"] == pytest.approx(2.5 * 39, rel=INJECTED_RTOL)
    assert total["toInvestigate"]["weeklyKwh"] == pytest.approx(row["chronic_kwh"], abs=0.05)
    (standing,) = doc["sections"]["afterHoursWaste"]["standingLoads"]
    assert standing["kwh"] == pytest.approx(row["chronic_kwh"], abs=0.05)
    assert standing["floorKw"] == pytest.approx(2.9, rel=0.05)  # closed, in daylight
    assert standing["kw"] == pytest.approx(5.0 - 2.9, rel=0.1)  # the dusk-to-dawn load
    assert standing["nightShare"] > 0.9
    assert (standing["weeksWithLoad"], standing["baselineWeeks"]) == (4, 4)
    assert [o["category"] for o in doc["summary"]["topOpportunities"]] == ["after_hours_operation"]
