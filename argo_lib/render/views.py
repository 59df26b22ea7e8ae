"""Display pieces of the weekly brief for notebooks and the HTML report, rendered from its JSON.

The brief JSON is the single source (spec B10): every view here reads only the document built by
:mod:`argo_lib.brief`, so the notebook, its HTML and the e-mail show the same numbers. Views
return :class:`Html`, which notebooks display as HTML; empty sections say so in a sentence
instead of showing an empty table.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from argo_lib.render import format as fmt
from argo_lib.render.theme import STATUS_LABELS

__all__ = [
    "Html",
    "after_hours_table",
    "anomalies_table",
    "data_quality_table",
    "executive_summary",
    "headline_kpis",
    "health_table",
    "level_shifts_table",
    "parameters_table",
    "quick_wins_table",
    "spikes_table",
    "status_banner",
]


class Html(str):
    """HTML text that Jupyter displays rendered (``_repr_html_``) and prints as a short note."""

    def _repr_html_(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return "<HTML fragment>"


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _money(doc: Mapping[str, Any], value: Any, digits: int = 2) -> str:
    return fmt.money(value, _currency(doc), digits=digits)


def _currency(doc: Mapping[str, Any]) -> str:
    return str(doc["metadata"].get("currency") or doc["summary"].get("currency") or "USD")


Column = tuple[str, Callable[[Mapping[str, Any]], str], str]
"""(header, cell formatter, alignment ``"l"`` or ``"r"``)."""


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, empty: str) -> Html:
    if not rows:
        return Html(f"<p class='argo-note'>{_e(empty)}</p>")
    head = "".join(
        f"<th style='text-align:{'left' if a == 'l' else 'right'}'>{_e(h)}</th>"
        for h, _, a in columns
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td class='{'text' if a == 'l' else 'num'}'>{fmt(row)}</td>" for _, fmt, a in columns
        )
        body.append(f"<tr>{cells}</tr>")
    return Html(
        f"<table class='dataframe argo-table'><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def status_banner(doc: Mapping[str, Any]) -> Html:
    """The status banner: action required / attention needed / operating normally, with the week."""
    summary = doc["summary"]
    meta = doc["metadata"]
    period = meta["period"]
    start = datetime.fromisoformat(period["start"])
    label = STATUS_LABELS[summary["status"]]
    return Html(
        f"<div class='argo-banner argo-banner--{_e(summary['status'])}'><strong>{_e(label)}</strong>"
        f"{_e(meta['site']['siteName'])} · week {_e(period.get('label', ''))} from "
        f"{start:%a %d %b %Y} ({_e(period['timezone'])})</div>"
    )


def headline_kpis(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The brief's four headline figures as (value, label): the report's cards and the e-mail's.

    Potential savings this week [kWh] and [currency], their yearly value if the findings persist,
    and the average data completeness [%].
    """
    savings = doc["summary"]["totalPotentialSavings"]
    return [
        (f"{fmt.number(savings['weeklyKwh'], 0)} kWh", "potential savings this week"),
        (_money(doc, savings["weeklyCost"]), "per week"),
        (_money(doc, savings["estimatedAnnual"], 0), "per year if the findings persist"),
        (f"{fmt.number(doc['dataQuality']['avgCompleteness'], 1)} %", "average data completeness"),
    ]


def executive_summary(doc: Mapping[str, Any]) -> Html:
    """Headline, potential savings with assumptions, top risks and top opportunities."""
    summary = doc["summary"]
    savings = summary["totalPotentialSavings"]
    kpis = headline_kpis(doc)
    cards = "".join(
        f"<div class='argo-kpi'><div class='argo-kpi__value'>{_e(v)}</div>"
        f"<div class='argo-kpi__label'>{_e(k)}</div></div>"
        for v, k in kpis
    )
    headline = (
        "".join(f"<li>{_e(line)}</li>" for line in summary["headline"]) or "<li>No findings.</li>"
    )
    risks = "".join(
        f"<li><b>{_e(r['severity'])}</b> · {_e(r['description'])}</li>" for r in summary["topRisks"]
    )
    opportunities = "".join(
        f"<li>{_e(o['description'])}: {_money(doc, o['potentialSavings'])} per week, "
        f"{_money(doc, o['annualValue'], 0)} per year</li>"
        for o in summary["topOpportunities"]
    )
    assumptions = savings.get("assumptions") or []
    if isinstance(assumptions, str):
        assumptions = [assumptions]
    parts = [
        f"<div class='argo-kpis'>{cards}</div>",
        f"<h3>This week</h3><ul>{headline}</ul>",
        f"<h3>Top risks</h3><ul>{risks}</ul>" if risks else "<h3>Top risks</h3><p>None.</p>",
        f"<h3>Top opportunities</h3><ul>{opportunities}</ul>" if opportunities else "",
        "<p class='argo-note'>" + " ".join(_e(a) for a in assumptions) + "</p>",
    ]
    return Html("".join(parts))


def quick_wins_table(doc: Mapping[str, Any]) -> Html:
    """Ranked quick wins with their impact, owner, effort, confidence and actions."""

    def title(w: Mapping[str, Any]) -> str:
        actions = "".join(f"<li>{_e(r)}</li>" for r in w.get("recommendations", [])[:4])
        who = (
            f"Owner: {_e(w['owner'])} · effort {_e(w['effort'])} · confidence {_e(w['confidence'])}"
        )
        return (
            f"<b>{_e(w['title'])}</b><br>{_e(w['description'])}<ul>{actions}</ul>"
            f"<span class='argo-note'>{who}</span>"
        )

    columns: list[Column] = [
        ("#", lambda w: str(w["_rank"]), "r"),
        ("Recommendation", title, "l"),
        ("Priority", lambda w: _e(w["priority"]), "l"),
        ("kWh/week", lambda w: fmt.number(w["impact"]["weeklyKwh"], 1), "r"),
        ("Cost/week", lambda w: _money(doc, w["impact"]["weeklyCost"]), "r"),
        ("Cost/year*", lambda w: _money(doc, w["impact"]["annualCost"], 0), "r"),
    ]
    rows = [dict(w, _rank=i) for i, w in enumerate(doc["sections"]["quickWins"], start=1)]
    table = _table(rows, columns, empty="No quick wins this week.")
    if rows:
        table = Html(table + "<p class='argo-note'>* if the finding persists for a year.</p>")
    return table


def after_hours_table(doc: Mapping[str, Any]) -> Html:
    """Meters with after-hours energy above their night base load."""
    columns: list[Column] = [
        ("Meter", lambda m: _e(m["channelName"]), "l"),
        ("Base load (kW)", lambda m: fmt.number(m["baseline"]["kw"], 2), "r"),
        (
            "After-hours energy (kWh)",
            lambda m: fmt.number(m["thisWeek"]["totalAfterHoursKwh"], 1),
            "r",
        ),
        ("Excess (kWh)", lambda m: fmt.number(m["impact"]["excessKwh"], 1), "r"),
        ("Excess cost", lambda m: _money(doc, m["impact"]["excessCost"]), "r"),
        ("Mean after-hours (kW)", lambda m: fmt.number(m["thisWeek"]["avgPowerKw"], 2), "r"),
        ("Share of excess (%)", lambda m: fmt.number(m["impact"]["percentOfTotal"], 1), "r"),
    ]
    return _table(
        doc["sections"]["afterHoursWaste"]["topMeters"],
        columns,
        empty="No meter used significantly more than its base load after hours.",
    )


def anomalies_table(doc: Mapping[str, Any]) -> Html:
    """Sustained unusual consumption, largest first."""
    columns: list[Column] = [
        ("Meter", lambda e: _e(e["channelName"]), "l"),
        ("Start", lambda e: fmt.local_time(e["start"]), "l"),
        ("End", lambda e: fmt.local_time(e["end"]), "l"),
        ("Kind", lambda e: _e(str(e.get("kind") or e.get("context", "")).replace("_", " ")), "l"),
        ("Peak (kW)", lambda e: fmt.number(e["peakPower"], 2), "r"),
        ("Excess (kWh)", lambda e: fmt.number(e["excessKwh"], 1), "r"),
        ("Mean excess (kW)", lambda e: fmt.number(e["avgExcessKw"], 2), "r"),
    ]
    rows = sorted(doc["sections"]["anomalies"]["timeline"], key=lambda e: -(e["excessKwh"] or 0))
    return _table(rows, columns, empty="No unusual consumption against the baseline this week.")


def level_shifts_table(doc: Mapping[str, Any]) -> Html:
    """Persistent changes of consumption against the baseline."""
    section = doc["sections"].get("levelShifts") or {"shifts": []}
    columns: list[Column] = [
        ("Meter", lambda s: _e(s["channelName"]), "l"),
        ("Change", lambda s: _e(s["description"]), "l"),
        ("Baseline (kW)", lambda s: fmt.number(s["baselineKw"], 2), "r"),
        ("Now (kW)", lambda s: fmt.number(s["newKw"], 2), "r"),
        ("Excess (kWh)", lambda s: fmt.number(s.get("excessKwh"), 1), "r"),
    ]
    return _table(section["shifts"], columns, empty="No persistent level shifts.")


def spikes_table(doc: Mapping[str, Any]) -> Html:
    """Demand spikes, highest first, with their effect on the site's coincident peak."""
    columns: list[Column] = [
        ("Meter", lambda e: _e(e["channelName"]), "l"),
        ("Start", lambda e: fmt.local_time(e["start"]), "l"),
        ("Peak (kW)", lambda e: fmt.number(e["peakPower"], 2), "r"),
        ("Threshold (kW)", lambda e: fmt.number(e.get("thresholdKw"), 2), "r"),
        ("Excess (kWh)", lambda e: fmt.number(e["excessKwh"], 1), "r"),
        ("Intervals", lambda e: str(e["intervals"]), "r"),
        ("Adds to site peak (kW)", lambda e: fmt.number(e.get("coincidentPeakKw"), 2), "r"),
    ]
    return _table(
        doc["sections"]["spikes"]["topSpikes"], columns, empty="No demand spikes this week."
    )


def health_table(doc: Mapping[str, Any]) -> Html:
    """Sensor and communication issues, most severe first."""
    order = {"high": 0, "medium": 1, "low": 2}
    rows = sorted(
        doc["sections"]["sensorHealth"]["issues"], key=lambda i: order.get(i["severity"], 3)
    )
    columns: list[Column] = [
        ("Severity", lambda i: _e(i["severity"]), "l"),
        ("Check", lambda i: _e(str(i["type"]).replace("_", " ")), "l"),
        ("Meter", lambda i: _e(i["channelName"]), "l"),
        ("What", lambda i: _e(i["description"]), "l"),
    ]
    return _table(rows, columns, empty="All sensors reported normally this week.")


def data_quality_table(doc: Mapping[str, Any]) -> Html:
    """Per channel: resolution, intervals, completeness, baseline status and model fit.

    The fit statistics are ASHRAE Guideline 14's at hourly resolution: a model with CV(RMSE)
    ≤ 30 % and NMBE within ±10 % is calibrated and gives the expected values.
    """
    columns: list[Column] = [
        ("Channel", lambda c: f"{_e(c['channelName'])} ({c['channelId']})", "l"),
        ("Resolution (s)", lambda c: str(c["resolutionS"]), "r"),
        ("Expected", lambda c: str(c["expected"]), "r"),
        ("Received", lambda c: str(c["actual"]), "r"),
        ("Completeness (%)", lambda c: fmt.number(c["completeness"], 1), "r"),
        ("Baseline", lambda c: _e(c.get("baselineStatus", "")), "l"),
        ("Model", lambda c: _e(_model_text(c)), "l"),
        ("CV(RMSE) (%)", lambda c: fmt.number(c.get("cvRmsePercent"), 1), "r"),
        ("NMBE (%)", lambda c: fmt.number(c.get("nmbePercent"), 1), "r"),
    ]
    return _table(doc["dataQuality"]["channels"], columns, empty="No channels to analyse.")


def _model_text(channel: Mapping[str, Any]) -> str:
    model = channel.get("baselineModel")
    names = {"towt": "time of week and temperature", "profile": "time-of-week profile"}
    text = names.get(str(model), str(model or "–"))
    status = channel.get("baselineModelStatus")
    return f"{text} ({status})" if status and model == "towt" else text


def parameters_table(doc: Mapping[str, Any]) -> Html:
    """The run's parameters, period, baseline and data resolution, for the report's footer."""
    meta = doc["metadata"]
    rows = [
        ("Site", f"{meta['site']['siteName']} ({meta['site']['siteId']})"),
        ("Report week", f"{meta['period']['start']} to {meta['period']['end']} (end exclusive)"),
        ("Baseline", f"{meta['baseline']['start']} to {meta['baseline']['end']}"),
        ("Data resolution", meta.get("dataResolution", "")),
        # Local folders are of no use to the reader (and differ between machines).
        *(
            (f"Parameter {k}", v)
            for k, v in sorted(meta.get("parameters", {}).items())
            if k != "output_dir"
        ),
        ("Report version", doc.get("reportVersion", "")),
    ]
    cells = "".join(f"<tr><th>{_e(k)}</th><td class='text'>{_e(v)}</td></tr>" for k, v in rows)
    return Html(f"<table class='dataframe argo-table'><tbody>{cells}</tbody></table>")
