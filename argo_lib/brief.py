"""The weekly brief JSON: one document per site and week, validated against its JSON Schema.

:func:`build_brief` turns a :class:`~argo_lib.analytics.SiteWeekAnalysis` into the document of
``docs/spec/weekly_brief_json.md`` (version 1 field names, camelCase, kept for the React dashboard;
new fields are added beside them). Numbers are JSON numbers rounded for display (kWh 1 dp,
currency 2 dp, kW 2 dp, percentages 1 dp), "not applicable" is ``null``, every timestamp is
site-local ISO 8601 with its UTC offset, and empty sections are present with zero counts and
empty lists. :func:`validate_brief` checks a document against ``brief_schema.json`` (JSON Schema
Draft 2020-12) shipped with the package.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.analytics import consumption
from argo_lib.analytics.grid import records
from argo_lib.analytics.health import SCREENING_REASONS

__all__ = [
    "REPORT_VERSION",
    "BriefValidationError",
    "build_brief",
    "finding_keys",
    "load_schema",
    "mark_recurrence",
    "validate_brief",
]

REPORT_VERSION = "2.2"
"""Version of the brief layout (2.x keeps every field name of the version 1 layout; 2.1 adds the
baseline model and its ASHRAE Guideline 14 statistics to ``dataQuality.channels``; 2.2 adds the
``not_assessed`` status, ``summary.consumption`` (the week's energy, cost, carbon and change
against the baseline), the data-quality index, the baseline weeks that hold data, each channel's
baseline sufficiency, the channels each section could not assess, and how many weeks in a row a
quick win or a data issue has recurred, ``recurringWeeks`` and ``sinceWeek``, with the briefs
read in ``metadata.history``)."""

_SECRET_WORDS = ("password", "secret", "token", "api_key", "apikey")


class BriefValidationError(ValueError):
    """A brief does not match the JSON Schema; the message lists each failing field."""


@functools.lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    """Return the brief's JSON Schema (Draft 2020-12) shipped as ``argo_lib/brief_schema.json``.

    Returns
    -------
    dict
        The schema.
    """
    text = resources.files("argo_lib").joinpath("brief_schema.json").read_text(encoding="utf-8")
    return json.loads(text)


def validate_brief(doc: Mapping[str, Any]) -> None:
    """Validate a brief against the JSON Schema.

    Parameters
    ----------
    doc : Mapping
        A brief as returned by :func:`build_brief` (or read back from its JSON file).

    Raises
    ------
    BriefValidationError
        Listing every violation as ``path: message``.
    """
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in errors[:20]
        ]
        more = f"\n... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise BriefValidationError(
            "brief does not match argo_lib/brief_schema.json:\n" + "\n".join(lines) + more
        )


# --------------------------------------------------------------------------------------------
# Value formatting


def _num(value: Any, digits: int) -> float | None:
    """Round a number for display; NaN, None and infinities become None."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    rounded = round(number, digits)
    return 0.0 if rounded == 0 else rounded


def _kwh(value: Any) -> float | None:
    return _num(value, 1)


def _kw(value: Any) -> float | None:
    return _num(value, 2)


def _money(value: Any) -> float | None:
    return _num(value, 2)


def _int(value: Any) -> int:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return 0
    return int(value)


def _opt_int(value: Any) -> int | None:
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return None
    return int(value)


def _time(value: Any, tz: Any) -> str | None:
    """Site-local ISO 8601 with offset; None for missing."""
    if value is None or value is pd.NaT:
        return None
    ts = pd.Timestamp(value)
    if pd.isna(ts):
        return None
    if ts.tz is None:
        raise ValueError(f"timestamp {value!r} is naive; the brief needs tz-aware times")
    return ts.tz_convert(tz).isoformat()


def _resolution_text(seconds: int) -> str:
    return f"{seconds}s ({seconds // 60}min)"


def _clean_parameters(parameters: Mapping[str, Any] | None) -> dict[str, Any]:
    """JSON-safe copy of the notebook parameters without anything that looks like a secret."""
    out: dict[str, Any] = {}
    for key, value in (parameters or {}).items():
        if any(word in str(key).lower() for word in _SECRET_WORDS):
            continue
        if isinstance(value, str | int | float | bool) or value is None:
            out[str(key)] = value
        elif isinstance(value, dt.date | dt.datetime | pd.Timestamp):
            out[str(key)] = value.isoformat()
        elif isinstance(value, list | tuple):
            out[str(key)] = [
                v if isinstance(v, str | int | float | bool) else str(v) for v in value
            ]
        elif isinstance(value, Mapping):
            out[str(key)] = json.dumps(value, sort_keys=True, default=str)
        else:
            out[str(key)] = str(value)
    return out


# --------------------------------------------------------------------------------------------
# Sections


def _sensor_health(analysis: Any, tz: Any) -> dict[str, Any]:
    issues = analysis.health
    summary = []
    for kind, group in issues.groupby("type", sort=False):
        names = list(dict.fromkeys(group["channel_name"].astype(str)))
        worst = min(group["severity"], key={"high": 0, "medium": 1, "low": 2}.__getitem__)
        more = f" and {len(names) - 3} more" if len(names) > 3 else ""
        summary.append(
            {
                "type": str(kind),
                "count": int(len(group)),
                "affectedChannels": names[:3],
                "affectedChannelCount": len(names),
                "severity": worst,
                "description": (
                    f"{len(group)} {str(kind).replace('_', ' ')} "
                    f"issue{'' if len(group) == 1 else 's'} on "
                    f"{', '.join(names[:3])}{more}"
                ),
            }
        )
    counts = analysis.summary.severity_counts
    return {
        "summary": summary,
        "totalIssues": int(len(issues)),
        "bySeverity": {s: int(counts.get(s, 0)) for s in ("high", "medium", "low")},
        "issues": [
            {
                "type": r.type,
                "severity": r.severity,
                "channelId": int(r.channel_id),
                "channelName": str(r.channel_name),
                "description": r.description,
                "start": _time(r.start, tz),
                "end": _time(r.end, tz),
                "intervals": _int(r.intervals),
                "value": _num(r.value, 2),
                "unit": r.unit,
            }
            for r in records(issues)
        ],
    }


def _after_hours(analysis: Any, *, top_n: int, weeks: float) -> dict[str, Any]:
    table = analysis.after_hours
    significant = table[table["significant"]]
    total_kwh = float(np.nansum(significant["excess_kwh"].to_numpy(dtype=float)))
    total_cost = float(np.nansum(significant["excess_cost"].to_numpy(dtype=float)))
    meters = significant.head(top_n)
    standing = table[table["chronic_significant"]].sort_values(
        "chronic_kwh", ascending=False, kind="stable"
    )
    return {
        "summary": {
            "channelsNotAssessed": _not_assessed(analysis),
            "totalMetersWithExcess": int(len(significant)),
            "totalExcessKwh": _kwh(total_kwh),
            "totalExcessCost": _money(total_cost),
            "estimatedAnnualCost": _money(total_cost * weeks),
        },
        "topMeters": [
            {
                "channelId": int(r.channel_id),
                "channelName": str(r.channel_name),
                "baseline": {"kw": _kw(r.base_kw), "source": str(r.base_source)},
                "thisWeek": {
                    "totalAfterHoursKwh": _kwh(r.after_hours_kwh),
                    "excessAfterHoursKwh": _kwh(r.excess_kwh),
                    "avgPowerKw": _kw(r.avg_kw),
                    "maxPowerKw": _kw(r.max_kw),
                    "minPowerKw": _kw(r.min_kw),
                    "intervals": _int(r.intervals),
                },
                "impact": {
                    "excessKwh": _kwh(r.excess_kwh),
                    "excessCost": _money(r.excess_cost),
                    "percentOfTotal": _num(r.percent_of_total, 1),
                },
            }
            for r in records(meters)
        ],
        "standingLoads": [
            {
                "channelId": int(r.channel_id),
                "channelName": str(r.channel_name),
                "kw": _kw(r.chronic_kw),
                "floorKw": _kw(r.floor_kw),
                "hours": _num(r.chronic_hours, 2),
                "kwh": _kwh(r.chronic_kwh),
                "cost": _money(r.chronic_cost),
                "nightShare": _num(r.chronic_night_share, 3),
                "baselineWeeks": _int(r.baseline_weeks),
                "weeksWithLoad": _int(r.chronic_weeks),
            }
            for r in records(standing.head(top_n))
        ],
    }


def _anomaly_event(r: Any, tz: Any) -> dict[str, Any]:
    return {
        "channelId": int(r.channel_id),
        "channelName": str(r.channel_name),
        "start": _time(r.start, tz),
        "end": _time(r.end, tz),
        "peakPower": _kw(r.peak_kw),
        "excessKwh": _kwh(r.excess_kwh),
        "avgExcessKw": _kw(r.avg_excess_kw),
        "context": r.context,
        "kind": r.kind,
        "hours": _num(r.hours, 2),
        "intervals": _int(r.intervals),
        "days": _int(r.days),
    }


def _event_summary(events: pd.DataFrame) -> dict[str, Any]:
    return {
        "totalEvents": int(len(events)),
        "affectedChannels": int(events["channel_id"].nunique()),
        "totalExcessKwh": _kwh(float(events["excess_kwh"].sum())) or 0.0,
    }


def _by_channel(events: list[dict[str, Any]], count_key: str) -> list[dict[str, Any]]:
    """Group event dicts by channel (ascending id), keeping their order within a channel."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        groups.setdefault(event["channelId"], []).append(dict(event))
    return [
        {
            "channelId": cid,
            "channelName": group[0]["channelName"],
            count_key: len(group),
            "events": group,
        }
        for cid, group in sorted(groups.items())
    ]


def _anomalies(analysis: Any, tz: Any) -> dict[str, Any]:
    events = analysis.anomalies.sort_values("start")
    timeline = [_anomaly_event(r, tz) for r in records(events)]
    return {
        "summary": _event_summary(events),
        "timeline": timeline,
        "byChannel": _by_channel(timeline, "anomalyCount"),
    }


def _spike_event(r: Any, tz: Any) -> dict[str, Any]:
    return {
        "channelId": int(r.channel_id),
        "channelName": str(r.channel_name),
        "start": _time(r.start, tz),
        "end": _time(r.end, tz),
        "peakPower": _kw(r.peak_kw),
        "excessKwh": _kwh(r.excess_kwh),
        "intervals": _int(r.intervals),
        "thresholdKw": _kw(r.threshold_kw),
        "coincidentPeakKw": _kw(r.coincident_kw),
        "demandCost": _money(r.demand_cost),
    }


def _spikes(analysis: Any, tz: Any, *, top_n: int) -> dict[str, Any]:
    events = analysis.spikes.sort_values("peak_kw", ascending=False)
    spikes = [_spike_event(r, tz) for r in records(events)]
    return {
        "summary": _event_summary(events),
        "topSpikes": spikes[:top_n],
        "byChannel": _by_channel(spikes, "spikeCount"),
    }


def _evidence(items: Any, names: Mapping[int, str], tz: Any) -> list[dict[str, Any]]:
    out = []
    for item in items:
        cid = item.get("channelId")
        entry = {
            "channelId": None if cid is None else int(cid),
            "channelName": None if cid is None else str(names.get(int(cid), cid)),
            "start": _time(item.get("start"), tz),
            "end": _time(item.get("end"), tz),
            "kwh": _kwh(item.get("kwh")),
        }
        for key, value in item.items():
            if key not in entry:
                entry[key] = _kw(value) if isinstance(value, float) else value
        out.append(entry)
    return out


def _quick_wins(analysis: Any, tz: Any) -> list[dict[str, Any]]:
    names = analysis.channels.set_index("channel_id")["channel_name"].to_dict()
    return [
        {
            "title": r.title,
            "type": r.type,
            "priority": r.priority,
            "impact": {
                "weeklyKwh": _kwh(r.weekly_kwh),
                "weeklyCost": _money(r.weekly_cost),
                "annualCost": _money(r.annual_cost),
                "demandCost": _money(r.demand_cost),
            },
            "description": r.description,
            "recommendations": list(r.recommendations),
            "confidence": r.confidence,
            "owner": r.owner,
            "effort": r.effort,
            "evidence": _evidence(r.evidence, names, tz),
            "score": _num(r.score, 2),
        }
        for r in records(analysis.quick_wins)
    ]


def _level_shifts(analysis: Any, tz: Any) -> dict[str, Any]:
    shifts = analysis.level_shifts
    return {
        "summary": {
            "totalShifts": int(len(shifts)),
            "siteWide": int((shifts["scope"] == "site").sum()) if len(shifts) else 0,
        },
        "shifts": [
            {
                "channelId": int(r.channel_id),
                "channelName": str(r.channel_name),
                "start": _time(r.start, tz),
                "end": _time(r.end, tz),
                "direction": r.direction,
                "shiftPercent": _num(r.shift_pct, 1),
                "shiftKw": _kw(r.shift_kw),
                "baselineKw": _kw(r.baseline_kw),
                "newKw": _kw(r.new_kw),
                "excessKwh": _kwh(r.excess_kwh),
                "scope": r.scope,
                "description": (
                    f"consumption shifted {r.direction} {abs(r.shift_pct):.0f} % since "
                    f"{r.start_local}"
                    + (
                        " (several channels at once: weather or occupancy)"
                        if r.scope == "site"
                        else ""
                    )
                ),
            }
            for r in records(shifts)
        ],
    }


def _demand(analysis: Any, tz: Any) -> dict[str, Any]:
    d = analysis.demand
    return {
        "peakKw": _kw(d.get("peak_kw")),
        "peakAt": _time(d.get("peak_at"), tz),
        "source": d.get("source"),
        "billingIntervalS": int(getattr(analysis.site.tariff, "demand_interval_s", 900)),
        "demandRatePerKw": _money(d.get("demand_rate_per_kw")),
        "demandChargeIfMonthlyPeak": _money(d.get("demand_charge")),
        "note": (
            "Site demand is the main meter's demand per billing interval."
            if d.get("source") == "main_meter"
            else "The site has no main meter: site demand is the sum of the analysed channels "
            "(hourly channels spread evenly over their quarter-hours)."
        ),
    }


def _load_shape(analysis: Any) -> list[dict[str, Any]]:
    shape = analysis.load_shape
    return [
        {
            "channelId": int(r.channel_id),
            "channelName": str(r.channel_name),
            "date": r.date.isoformat(),
            "dayType": r.day_type,
            "energyKwh": _kwh(r.energy_kwh),
            "baseKw": _kw(r.base_kw),
            "peakKw": _kw(r.peak_kw),
            "peakToBase": _num(r.peak_to_base, 2),
            "loadFactor": _num(r.load_factor, 2),
            "highLoadHours": _num(r.high_load_hours, 2),
            "riseTime": r.rise_time if isinstance(r.rise_time, str) else None,
            "fallTime": r.fall_time if isinstance(r.fall_time, str) else None,
            "afterHoursShare": _num(r.after_hours_share, 3),
            "coverage": _num(r.coverage, 3),
        }
        for r in records(shape)
    ]


def _not_assessed(analysis: Any) -> list[str]:
    """Names of the channels with readings but no sufficient baseline (not assessed)."""
    table = analysis.channels
    actual = pd.to_numeric(table["actual"], errors="coerce").fillna(0).to_numpy()
    lacking = (table["baseline_status"].astype(str).to_numpy() != "ok") & (actual > 0)
    return [str(n) for n in table.loc[lacking, "channel_name"]]


def _sufficiency(r: Any, thresholds: Any) -> str | None:
    """Why a channel's baseline is not sufficient, in words (None when it is)."""
    if r.baseline_status == "ok":
        return None
    coverage = float(r.coverage) if r.coverage is not None and np.isfinite(r.coverage) else 0.0
    slots = getattr(r, "slot_coverage", None)
    slots = float(slots) if slots is not None and np.isfinite(slots) else 0.0
    if coverage < thresholds.min_coverage:
        return (
            f"{coverage:.0%} of the baseline's intervals have readings; "
            f"{thresholds.min_coverage:.0%} are needed"
        )
    return (
        f"{slots:.0%} of the week's hours have readings in at least "
        f"{thresholds.min_slot_weeks} baseline weeks; {thresholds.min_slot_coverage:.0%} are needed"
    )


def _consumption(analysis: Any, per: pd.DataFrame) -> dict[str, Any]:
    site = consumption.site_consumption(analysis, per)
    return {
        "source": site.source,
        "weekKwh": _kwh(site.energy_kwh) or 0.0,
        "weekCost": _money(site.cost),
        "carbonKg": _num(site.carbon_kg, 0),
        "meanKw": _kw(site.mean_kw),
        "baselineMeanKw": _kw(site.baseline_mean_kw),
        "changePercent": _num(site.change_pct, 1),
        "note": (
            "Change of mean power against the baseline weeks, over the intervals with readings; "
            "not weather-normalised."
        ),
    }


def _screened(r: Any) -> dict[str, int]:
    """Baseline intervals screened out per reason (outage, catch_up, stuck, ...), non-zero only."""
    out = {}
    for reason in SCREENING_REASONS.values():
        value = getattr(r, f"baseline_{reason}_intervals", 0)
        count = _int(value) if value is not None and np.isfinite(value) else 0
        if count:
            out[_camel(reason)] = count
    return out


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def _site_screened_pct(analysis: Any) -> float | None:
    """Share of the site's expected baseline intervals screened out [%] (None: no channels)."""
    table = analysis.channels
    if table.empty or "baseline_screened_intervals" not in table:
        return None
    screened = pd.to_numeric(table["baseline_screened_intervals"], errors="coerce").fillna(0)
    resolution = pd.to_numeric(table["resolution_s"], errors="coerce").to_numpy(dtype=float)
    expected = float(np.nansum(analysis.baseline.hours * 3600.0 / resolution))
    return 100.0 * float(screened.sum()) / expected if expected > 0 else None


def _data_quality(analysis: Any, per: pd.DataFrame) -> dict[str, Any]:
    channels = analysis.channels
    completeness = channels["completeness_pct"].to_numpy(dtype=float)
    thresholds = analysis.thresholds.baseline
    by_id = per.set_index("channel_id")
    site = consumption.site_consumption(analysis, per)
    return {
        "channelsAnalyzed": int(len(channels)),
        "avgCompleteness": _num(completeness.mean(), 1) if completeness.size else None,
        "qualityIndex": _num(site.quality_index_pct, 1),
        "channels": [
            {
                "channelId": int(r.channel_id),
                "channelName": str(r.channel_name),
                "resolutionS": int(r.resolution_s),
                "expected": _int(r.expected),
                "actual": _int(r.actual),
                "completeness": _num(r.completeness_pct, 1) or 0.0,
                "baselineStatus": r.baseline_status,
                "baselineCoverage": _num(r.coverage, 3),
                "role": r.role,
                "lastReading": None,
                "staleHours": _num(r.stale_hours, 1),
                "staleNowHours": _num(getattr(r, "stale_now_hours", None), 1),
                "baselineModel": getattr(r, "baseline_model", "profile"),
                "baselineModelStatus": getattr(r, "model_status", "no_temperature"),
                "cvRmsePercent": _num(getattr(r, "cv_rmse_pct", None), 1),
                "nmbePercent": _num(getattr(r, "nmbe_pct", None), 1),
                "reportCvRmsePercent": _num(getattr(r, "report_cv_rmse_pct", None), 1),
                "reportNmbePercent": _num(getattr(r, "report_nmbe_pct", None), 1),
                "reportHours": _opt_int(getattr(r, "report_hours", None)),
                "heatingBalanceC": _num(getattr(r, "heating_balance_c", None), 1),
                "coolingBalanceC": _num(getattr(r, "cooling_balance_c", None), 1),
                "baselineSlotCoverage": _num(getattr(r, "slot_coverage", None), 3),
                "baselineScreenedPercent": _num(getattr(r, "baseline_screened_pct", None), 1),
                "baselineScreened": _screened(r),
                "baselineSufficiency": _sufficiency(r, thresholds),
                "qualityIndex": _num(by_id.loc[r.channel_id, "quality_index_pct"], 1),
                "weekKwh": _kwh(by_id.loc[r.channel_id, "energy_kwh"]),
                "changePercent": _num(by_id.loc[r.channel_id, "change_pct"], 1),
            }
            for r in records(channels)
        ],
    }


def build_brief(
    analysis: Any,
    *,
    parameters: Mapping[str, Any] | None = None,
    generated_at: Any = None,
) -> dict[str, Any]:
    """Assemble the weekly brief JSON of one analysed site-week.

    Parameters
    ----------
    analysis : analytics.SiteWeekAnalysis
        Result of :func:`argo_lib.analytics.analyse_site_week`.
    parameters : Mapping, optional
        The notebook parameters used (keys that look like secrets are dropped).
    generated_at : timestamp, optional
        Tz-aware generation time; default now (UTC), shown in the site's zone.

    Returns
    -------
    dict
        The brief (JSON-serialisable), valid against :func:`load_schema`.

    Raises
    ------
    ValueError
        If ``generated_at`` is naive.
    """
    site = analysis.site
    tz = site.tz
    generated = pd.Timestamp.now(tz="UTC") if generated_at is None else pd.Timestamp(generated_at)
    if generated.tz is None:
        raise ValueError("generated_at is timezone-naive; pass e.g. pd.Timestamp.now(tz='UTC')")
    thresholds = analysis.thresholds
    weeks = thresholds.quick_wins.annualisation_weeks
    resolutions = analysis.resolutions
    if len(resolutions) == 1:
        resolution = _resolution_text(resolutions[0])
    elif resolutions:
        resolution = "mixed: " + ", ".join(_resolution_text(r) for r in resolutions)
    else:
        resolution = _resolution_text(int(getattr(site, "default_resolution_s", 3600)))
    s = analysis.summary
    currency = site.tariff.currency
    per = consumption.channel_consumption(analysis)
    held = consumption.baseline_weeks(analysis)
    baseline_weeks = (analysis.baseline.end - analysis.baseline.start) / pd.Timedelta(days=7)
    doc: dict[str, Any] = {
        "reportVersion": REPORT_VERSION,
        "metadata": {
            "generatedAt": _time(generated, tz),
            "site": {
                "siteId": str(site.site_id),
                "siteName": str(site.name),
                "address": getattr(site, "address", None),
                "city": getattr(site, "city", None),
                "country": getattr(site, "country", None),
                "timezone": str(site.timezone),
            },
            "period": {
                "start": _time(analysis.period.start, tz),
                "end": _time(analysis.period.end, tz),
                "timezone": str(site.timezone),
                "endExclusive": True,
                "hours": _num(analysis.period.hours, 2),
                "label": analysis.period.label,
            },
            "baseline": {
                "start": _time(analysis.baseline.start, tz),
                "end": _time(analysis.baseline.end, tz),
                "weeksCount": _num(baseline_weeks, 2),
                "screenedPercent": _num(_site_screened_pct(analysis), 1),
                "weeksWithData": [
                    {"label": str(w.label), "coverage": _num(w.coverage, 3)}
                    for w in records(held)
                    if w.coverage > 0
                ],
            },
            "dataResolution": resolution,
            "parameters": _clean_parameters(parameters),
            "holidays": [d.isoformat() for d in analysis.holidays],
            "closedDays": [d.isoformat() for d in analysis.closed_days],
            "currency": currency,
        },
        "summary": {
            "status": s.status,
            "headline": list(s.headline),
            "topRisks": [dict(r) for r in s.top_risks],
            "topOpportunities": [
                {
                    "category": o["category"],
                    "potentialSavings": _money(o["weekly_cost"]),
                    "annualValue": _money(o["annual_cost"]),
                    "weeklyKwh": _kwh(o["weekly_kwh"]),
                    "description": o["description"],
                }
                for o in s.top_opportunities
            ],
            "totalPotentialSavings": {
                "weeklyKwh": _kwh(s.weekly_kwh) or 0.0,
                "weeklyCost": _money(s.weekly_cost) or 0.0,
                "estimatedAnnual": _money(s.annual_cost) or 0.0,
                "toInvestigate": {
                    "weeklyKwh": _kwh(s.investigate_kwh) or 0.0,
                    "weeklyCost": _money(s.investigate_cost) or 0.0,
                },
                "assumptions": list(s.assumptions),
            },
            "currency": currency,
            "averageCompleteness": _num(s.avg_completeness_pct, 1),
            "consumption": _consumption(analysis, per),
        },
        "sections": {
            "sensorHealth": _sensor_health(analysis, tz),
            "afterHoursWaste": _after_hours(
                analysis, top_n=thresholds.after_hours.top_n, weeks=weeks
            ),
            "anomalies": _anomalies(analysis, tz),
            "spikes": _spikes(analysis, tz, top_n=thresholds.spikes.top_n),
            "quickWins": _quick_wins(analysis, tz),
            "levelShifts": _level_shifts(analysis, tz),
            "demand": _demand(analysis, tz),
            "loadShape": _load_shape(analysis),
        },
        "charts": {},
        "dataQuality": _data_quality(analysis, per),
    }
    sections = doc["sections"]
    doc["charts"] = {
        "afterHoursRanking": [
            {
                "name": m["channelName"],
                "excessKwh": m["impact"]["excessKwh"] or 0.0,
                "cost": m["impact"]["excessCost"] or 0.0,
            }
            for m in sections["afterHoursWaste"]["topMeters"]
        ],
        "anomalyTimeline": sections["anomalies"]["timeline"],
        "spikeEvents": sections["spikes"]["topSpikes"],
    }
    quality = analysis.channels.set_index("channel_id")
    for entry in doc["dataQuality"]["channels"]:
        entry["lastReading"] = _time(quality.loc[entry["channelId"], "last_reading"], tz)
    return mark_recurrence(doc, (), lookback_weeks=0)  # every finding new, until history says


def _finding_key(kind: str, item: Mapping[str, Any]) -> tuple[str, str, int | None]:
    """What makes two weeks' findings "the same": their section, type and (first) channel."""
    if kind == "quickWins":
        ids = [e.get("channelId") for e in item.get("evidence") or () if e.get("channelId")]
        channel = int(ids[0]) if ids else None
    else:
        channel = None if item.get("channelId") is None else int(item["channelId"])
    return kind, str(item.get("type")), channel


def finding_keys(doc: Mapping[str, Any]) -> set[tuple[str, str, int | None]]:
    """The findings of a brief that recurrence tracks: quick wins and data-health issues.

    A finding is identified by its section, its type and its channel (a quick win's first
    evidence channel), not by its numbers, so the same after-hours operation on the same meter
    is one finding however many kWh it wasted each week.

    Parameters
    ----------
    doc : Mapping
        A brief (any 2.x version).

    Returns
    -------
    set of tuple
        ``(section, type, channel id or None)``.
    """
    sections = doc.get("sections") or {}
    keys = {_finding_key("quickWins", w) for w in sections.get("quickWins") or ()}
    issues = (sections.get("sensorHealth") or {}).get("issues") or ()
    keys |= {_finding_key("sensorHealth", i) for i in issues}
    return keys


def mark_recurrence(
    doc: dict[str, Any], history: Sequence[Mapping[str, Any] | None], *, lookback_weeks: int
) -> dict[str, Any]:
    """Mark how many weeks in a row each quick win and data issue of a brief has been reported.

    Parameters
    ----------
    doc : dict
        This week's brief, changed in place: every quick win and every sensor-health issue gets
        ``recurringWeeks`` (1 = new this week; 3 = also in the two briefs before) and
        ``sinceWeek`` (the ISO week of the first brief of that run), and
        ``metadata.history`` lists the weeks whose published briefs were read.
    history : sequence of Mapping or None
        The published briefs of the weeks before, newest first (the week before is
        ``history[0]``); None where no brief was published, which ends every run: a finding
        counts only weeks in a row that were each reported.
    lookback_weeks : int
        Weeks back that were looked for [weeks] (recorded in the metadata).

    Returns
    -------
    dict
        ``doc``.
    """
    label = str(doc["metadata"]["period"]["label"])
    runs: dict[tuple[str, str, int | None], tuple[int, str]] = {}
    earlier = [None if h is None else (finding_keys(h), h) for h in history]
    for key in finding_keys(doc):
        weeks, since = 1, label
        for entry in earlier:
            if entry is None or key not in entry[0]:
                break
            weeks, since = weeks + 1, str(entry[1]["metadata"]["period"]["label"])
        runs[key] = (weeks, since)
    sections = doc["sections"]
    for kind, items in (
        ("quickWins", sections["quickWins"]),
        ("sensorHealth", sections["sensorHealth"]["issues"]),
    ):
        for item in items:
            weeks, since = runs[_finding_key(kind, item)]
            item["recurringWeeks"] = weeks
            item["sinceWeek"] = since
    doc["metadata"]["history"] = {
        "lookbackWeeks": int(lookback_weeks),
        "briefsRead": [str(h["metadata"]["period"]["label"]) for h in history if h is not None],
    }
    return doc
