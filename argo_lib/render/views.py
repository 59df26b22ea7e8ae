"""Display pieces of the weekly brief for notebooks and the HTML report, rendered from its JSON.

The brief JSON is the single source (spec B10): every view here reads only the document built by
:mod:`argo_lib.brief`, so the notebook, its HTML and the e-mail show the same numbers. Views
return :class:`Html`, which notebooks display as HTML; empty sections say so in a sentence
instead of showing an empty table.

Every view carries its own styles (inline, from :mod:`argo_lib.render.theme`), so it looks the
same in JupyterLab, in the HTML report and in print; the report's stylesheet only adds the page
around them. Wide tables scroll sideways inside their own box on a phone instead of being
clipped.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from argo_lib.render import format as fmt
from argo_lib.render import theme

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
    "table",
    "win_impact",
    "consumption_text",
    "recurrence_text",
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


_CELL = f"padding:5px 10px;border-bottom:1px solid {theme.LINE};vertical-align:top"
_NOTE = f"color:{theme.MUTED};font-size:13px;margin:6px 0"
_TABLE = (
    "border-collapse:collapse;font-size:13px;margin:8px 0;font-variant-numeric:tabular-nums;"
    f"color:{theme.INK}"
)

Column = tuple[str, Callable[[Mapping[str, Any]], str], str]
"""(header, cell formatter, alignment ``"l"`` or ``"r"``)."""


def _note(text: str) -> Html:
    return Html(f"<p class='argo-note' style='{_NOTE}'>{_e(text)}</p>")


def _scroll(table: str) -> str:
    """A table in a box that scrolls sideways when the screen is narrower than the table."""
    return f"<div class='argo-scroll' style='overflow-x:auto;max-width:100%'>{table}</div>"


def _table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, empty: str) -> Html:
    if not rows:
        return _note(empty)
    head = "".join(
        f"<th style='{_CELL};background:{theme.BG_SOFT};font-weight:600;"
        f"text-align:{'left' if a == 'l' else 'right'}'>{_e(h)}</th>"
        for h, _, a in columns
    )
    body = []
    for row in rows:
        cells = "".join(
            f"<td class='{'text' if a == 'l' else 'num'}' style='{_CELL};"
            f"text-align:{'left' if a == 'l' else 'right'}'>{fmt(row)}</td>"
            for _, fmt, a in columns
        )
        body.append(f"<tr>{cells}</tr>")
    return Html(
        _scroll(
            f"<table class='argo-table' style='{_TABLE}'><thead><tr>{head}</tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table>"
        )
    )


def table(rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, empty: str) -> Html:
    """A report table: one row per mapping, ``columns`` as (header, cell formatter, ``"l"``/``"r"``).

    The cells are the formatters' HTML (escape text with :func:`html.escape`); ``empty`` is the
    note shown instead of a table without rows. Styled inline, so it reads the same in the
    HTML report, the e-mail and JupyterLab.
    """
    return _table(rows, columns, empty=empty)


def _week_text(doc: Mapping[str, Any]) -> str:
    period = doc["metadata"]["period"]
    return fmt.week_range(period["start"], period["end"])


def status_banner(doc: Mapping[str, Any], *, reasons: int = 3) -> Html:
    """The status banner: the status, the site and week, and the reasons for the status.

    Parameters
    ----------
    doc : mapping
        The brief JSON.
    reasons : int
        Headline lines shown in the banner, most important first [-].
    """
    summary = doc["summary"]
    meta = doc["metadata"]
    status = summary["status"]
    label = theme.STATUS_LABELS[status]
    lines = "".join(f"<li>{_e(line)}</li>" for line in summary["headline"][:reasons])
    return Html(
        f"<div class='argo-banner argo-banner--{_e(status)}' style='background:"
        f"{theme.STATUS_COLORS[status]};color:#ffffff;border-radius:6px;padding:14px 18px;"
        "margin:14px 0'>"
        f"<div style='font-size:19px;font-weight:700'>{_e(label)}</div>"
        f"<div style='font-size:14px;opacity:.95'>{_e(meta['site']['siteName'])} · "
        f"{_e(_week_text(doc))} · {_e(meta['period'].get('label', ''))}</div>"
        f"<ul style='margin:8px 0 0 18px;padding:0;font-size:14px'>{lines}</ul></div>"
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


def consumption_text(doc: Mapping[str, Any]) -> str:
    """The week in one sentence: energy, cost, carbon and change against the baseline weeks."""
    c = doc["summary"].get("consumption")
    if not c:
        return ""
    parts = [f"{fmt.number(c['weekKwh'], 0)} kWh"]
    if c.get("weekCost") is not None:
        parts.append(_money(doc, c["weekCost"]))
    if c.get("carbonKg") is not None:
        parts.append(f"{fmt.number(c['carbonKg'], 0)} kg CO2e")
    text = f"This week the site used {', '.join(parts)} ({c['source']})"
    if c.get("changePercent") is not None:
        change = c["changePercent"]
        text += (
            f"; mean power {'+' if change >= 0 else '−'}{fmt.number(abs(change), 1)} % "
            "against the baseline weeks (not weather-normalised)"
        )
    return text + "."


def _cards(kpis: Sequence[tuple[str, str]]) -> str:
    card = (
        f"flex:1 1 140px;border:1px solid {theme.LINE};border-radius:6px;padding:10px 12px;"
        "min-width:0"
    )
    return (
        "<div class='argo-kpis' style='display:flex;flex-wrap:wrap;gap:10px;margin:10px 0'>"
        + "".join(
            f"<div class='argo-kpi' style='{card}'><div style='font-size:20px;font-weight:700'>"
            f"{_e(v)}</div><div style='color:{theme.MUTED};font-size:12px'>{_e(k)}</div></div>"
            for v, k in kpis
        )
        + "</div>"
    )


def executive_summary(doc: Mapping[str, Any]) -> Html:
    """Headline, potential savings with assumptions, top risks and top opportunities."""
    summary = doc["summary"]
    savings = summary["totalPotentialSavings"]
    headline = (
        "".join(f"<li>{_e(line)}</li>" for line in summary["headline"]) or "<li>No findings.</li>"
    )
    risks = "".join(
        f"<li><b>{_e(theme.SEVERITY_LABELS.get(r['severity'], r['severity']))}</b> · "
        f"{_e(r['description'])}</li>"
        for r in summary["topRisks"]
    )
    opportunities = "".join(
        f"<li>{_e(o['description'])}: {_money(doc, o['potentialSavings'])} per week, "
        f"{_money(doc, o['annualValue'], 0)} per year if it persists</li>"
        for o in summary["topOpportunities"]
    )
    assumptions = savings.get("assumptions") or []
    if isinstance(assumptions, str):
        assumptions = [assumptions]
    parts = [
        _cards(headline_kpis(doc)),
        f"<p style='margin:6px 0'>{_e(consumption_text(doc))}</p>",
        f"<h3>This week</h3><ul>{headline}</ul>",
        f"<h3>Top risks</h3><ul>{risks}</ul>" if risks else "<h3>Top risks</h3><p>None.</p>",
        f"<h3>Top opportunities</h3><ul>{opportunities}</ul>" if opportunities else "",
        _note(" ".join(str(a) for a in assumptions)),
    ]
    return Html("".join(parts))


def win_impact(doc: Mapping[str, Any], win: Mapping[str, Any]) -> str:
    """A quick win's impact in one line: ``145.3 kWh/week · $17.44/week · $907/year*``.

    A win without an energy figure (a data problem) says so instead of showing dashes.
    """
    impact = win["impact"]
    if impact.get("weeklyKwh") is None:
        return "no energy figure: a data problem to fix first"
    return (
        f"{fmt.number(impact['weeklyKwh'], 1)} kWh/week · "
        f"{_money(doc, impact.get('weeklyCost'))}/week · "
        f"{_money(doc, impact.get('annualCost'), 0)}/year*"
    )


def recurrence_text(finding: Mapping[str, Any]) -> str:
    """``"reported 3 weeks in a row, since the week of 2 Nov"``; "" for a finding new this week."""
    weeks = int(finding.get("recurringWeeks") or 1)
    if weeks < 2:
        return ""
    since = str(finding.get("sinceWeek") or "")
    try:
        year, week = since.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
    except ValueError:
        return f"reported {weeks} weeks in a row"
    return f"reported {weeks} weeks in a row, since the week of {monday.day} {monday:%b %Y}"


def quick_wins_table(doc: Mapping[str, Any]) -> Html:
    """Ranked quick wins, one card each: impact, what to do, owner, effort and confidence.

    Cards rather than a table, so the recommendations read as well on a phone as on a desk.
    """
    wins = doc["sections"]["quickWins"]
    if not wins:
        return _note("No quick wins this week.")
    cards = []
    for rank, win in enumerate(wins, start=1):
        actions = "".join(f"<li>{_e(r)}</li>" for r in win.get("recommendations", [])[:4])
        priority = theme.SEVERITY_LABELS.get(win["priority"], win["priority"])
        recurring = recurrence_text(win)
        again = f" · {recurring}" if recurring else ""
        cards.append(
            f"<div class='argo-win' style='border-top:1px solid {theme.LINE};padding:8px 0'>"
            f"<div><b>{rank}. {_e(win['title'])}</b> "
            f"<span style='color:{theme.MUTED};font-size:12px'>{_e(priority)} priority"
            f"{_e(again)}</span></div>"
            f"<div style='font-weight:600;font-size:14px;margin:2px 0'>"
            f"{_e(win_impact(doc, win))}</div>"
            f"<div style='font-size:14px'>{_e(win['description'])}</div>"
            f"<ul style='margin:4px 0 4px 18px;padding:0;font-size:14px'>{actions}</ul>"
            f"<div style='{_NOTE}'>Owner: {_e(win['owner'])} · effort {_e(win['effort'])} · "
            f"confidence {_e(win['confidence'])}</div></div>"
        )
    return Html("".join(cards) + _note("* if the finding persists for a year."))


def after_hours_table(doc: Mapping[str, Any]) -> Html:
    """Meters that used more after hours than the same hours of the baseline weeks.

    Below the table, the standing loads that the baseline weeks had too (to investigate, not
    counted as waste).
    """
    columns: list[Column] = [
        ("Meter", lambda m: _e(m["channelName"]), "l"),
        ("Expected (kW)", lambda m: fmt.number(m["baseline"]["kw"], 2), "r"),
        (
            "After-hours energy (kWh)",
            lambda m: fmt.number(m["thisWeek"]["totalAfterHoursKwh"], 1),
            "r",
        ),
        ("Above expected (kWh)", lambda m: fmt.number(m["impact"]["excessKwh"], 1), "r"),
        ("Cost", lambda m: _money(doc, m["impact"]["excessCost"]), "r"),
        ("Mean after-hours (kW)", lambda m: fmt.number(m["thisWeek"]["avgPowerKw"], 2), "r"),
        ("Share of waste (%)", lambda m: fmt.number(m["impact"]["percentOfTotal"], 1), "r"),
    ]
    section = doc["sections"]["afterHoursWaste"]
    table = _table(
        section["topMeters"],
        columns,
        empty="No meter used significantly more after hours than in the same hours of the "
        "baseline weeks.",
    )
    standing = section.get("standingLoads") or []
    note = ""
    if standing:
        items = "; ".join(
            f"{m['channelName']} {fmt.number(m['kw'], 2)} kW above its closed level of "
            f"{fmt.number(m['floorKw'], 2)} kW for {fmt.number(m['hours'], 0)} h "
            f"({fmt.number(m['kwh'], 1)} kWh, {m['weeksWithLoad']} of "
            f"{m['baselineWeeks']} baseline weeks)"
            for m in standing
        )
        note = str(
            _note(
                f"Standing loads outside opening hours, as in the baseline weeks (to "
                f"investigate, not counted as waste): {items}."
            )
        )
    return Html(
        table + note + _not_assessed_note(section["summary"].get("channelsNotAssessed") or [])
    )


def _not_assessed_note(names: Sequence[str]) -> str:
    """Channels a section could not assess, named (nothing when every channel was assessed)."""
    if not names:
        return ""
    return _note(
        f"Not assessed ({fmt.plural(len(names), 'channel')} without enough baseline data to know "
        f"what is normal): {', '.join(names)}."
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
        ("What", _issue_text, "l"),
    ]
    return _table(rows, columns, empty="All sensors reported normally this week.")


def _issue_text(issue: Mapping[str, Any]) -> str:
    recurring = recurrence_text(issue)
    if not recurring:
        return _e(issue["description"])
    return f"{_e(issue['description'])} <span style='color:{theme.MUTED}'>({_e(recurring)})</span>"


def data_quality_table(doc: Mapping[str, Any]) -> Html:
    """Per channel: resolution, intervals, completeness, baseline status and model fit.

    The quality index is the share of the week's intervals with a reading that passes every
    check. The fit statistics are ASHRAE Guideline 14's at hourly resolution: a model with
    CV(RMSE) ≤ 30 % and NMBE within ±10 % is calibrated and gives the expected values.
    """
    columns: list[Column] = [
        ("Channel", lambda c: f"{_e(c['channelName'])} ({c['channelId']})", "l"),
        ("Resolution (s)", lambda c: str(c["resolutionS"]), "r"),
        ("Expected", lambda c: str(c["expected"]), "r"),
        ("Received", lambda c: str(c["actual"]), "r"),
        ("Completeness (%)", lambda c: fmt.number(c["completeness"], 1), "r"),
        ("Quality index (%)", lambda c: fmt.number(c.get("qualityIndex"), 1), "r"),
        ("Baseline", lambda c: _e(_baseline_text(c)), "l"),
        ("Model", lambda c: _e(_model_text(c)), "l"),
        ("CV(RMSE) (%)", lambda c: fmt.number(c.get("cvRmsePercent"), 1), "r"),
        ("NMBE (%)", lambda c: fmt.number(c.get("nmbePercent"), 1), "r"),
        ("This week CV(RMSE) (%)", lambda c: fmt.number(c.get("reportCvRmsePercent"), 1), "r"),
        ("This week NMBE (%)", lambda c: fmt.number(c.get("reportNmbePercent"), 1), "r"),
    ]
    channels = doc["dataQuality"]["channels"]
    table = _table(channels, columns, empty="No channels to analyse.")
    if not channels:
        return table
    return Html(str(table) + str(_note(_WEEK_FIT_NOTE)))


_WEEK_FIT_NOTE = (
    "TOWT: the time-of-week-and-temperature model, calibrated when it meets Guideline 14. "
    "CV(RMSE) and NMBE are ASHRAE Guideline 14's hourly statistics: the baseline fit over its "
    "own weeks, then this week's readings against the baseline's expectation (out of sample, "
    "at least 24 observed hours). A large week value comes either from the findings above or "
    "from a baseline that predicts this meter poorly; a positive NMBE means the week used more "
    "than expected."
)


_SCREENED_WORDS = {
    "outage": "meter outages",
    "catchUp": "catch-up readings",
    "stuck": "stuck readings",
    "negative": "negative readings",
    "implausible": "implausible readings",
    "mismatch": "energy/power mismatches",
}


def _screened_text(channel: Mapping[str, Any]) -> str:
    """What screening took out of a channel's baseline, in hours per reason ("" if nothing)."""
    screened = channel.get("baselineScreened") or {}
    if not screened:
        return ""
    hours_per = float(channel.get("resolutionS") or 3600) / 3600.0
    parts = ", ".join(
        f"{_SCREENED_WORDS.get(k, k)} {fmt.number(v * hours_per, 0 if hours_per >= 1 else 1)} h"
        for k, v in screened.items()
    )
    share = channel.get("baselineScreenedPercent")
    return f"{fmt.number(share, 0)} % screened out ({parts})"


def _baseline_text(channel: Mapping[str, Any]) -> str:
    reason = channel.get("baselineSufficiency")
    screened = _screened_text(channel)
    if channel.get("baselineStatus") == "ok":
        return f"sufficient; {screened}" if screened else "sufficient"
    text = f"not sufficient: {reason}" if reason else "not sufficient"
    return f"{text}; {screened}" if screened else text


def _model_text(channel: Mapping[str, Any]) -> str:
    model = channel.get("baselineModel")
    names = {"towt": "TOWT", "profile": "time-of-week profile"}
    text = names.get(str(model), str(model or "–"))
    status = channel.get("baselineModelStatus")
    return f"{text} ({status})" if status and model == "towt" else text


def _baseline_weeks_text(baseline: Mapping[str, Any]) -> str:
    span = fmt.week_range(baseline["start"], baseline["end"])
    held = baseline.get("weeksWithData")
    if held is None:
        return span
    if not held:
        return f"{span}: no week with readings"
    labels = ", ".join(
        w["label"] + ("" if (w.get("coverage") or 0) >= 0.995 else f" ({w['coverage']:.0%})")
        for w in held
    )
    screened = baseline.get("screenedPercent")
    note = (
        f"; {fmt.number(screened, 1)} % of its intervals screened out before fitting (outages, "
        "catch-up, stuck or implausible readings)"
        if screened
        else ""
    )
    return f"{span}: weeks with readings {labels}{note}"


def _closed_days_rows(meta: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Footer rows naming the days analysed as closed.

    Public holidays, and closures the load showed (a day the calendar has open but the
    building was not).
    """

    def days(key: str) -> str:
        return ", ".join(f"{dt.date.fromisoformat(d):%a %d %b %Y}" for d in meta.get(key) or ())

    rows = []
    if meta.get("holidays"):
        rows.append(("Public holidays (analysed as closed)", days("holidays")))
    if meta.get("closedDays"):
        rows.append(("Closed by the load (analysed as closed)", days("closedDays")))
    return rows


def parameters_table(doc: Mapping[str, Any]) -> Html:
    """The run's parameters, period, baseline and data resolution, for the report's footer."""
    meta = doc["metadata"]
    rows = [
        ("Site", f"{meta['site']['siteName']} ({meta['site']['siteId']})"),
        (
            "Report week",
            f"{meta['period'].get('label', '')}: {_week_text(doc)} ({meta['period']['timezone']})",
        ),
        ("Baseline", _baseline_weeks_text(meta["baseline"])),
        ("Data resolution", meta.get("dataResolution", "")),
        *_closed_days_rows(meta),
        # Local folders are of no use to the reader (and differ between machines).
        *(
            (f"Parameter {k}", "none" if v in ({}, [], None, "") else v)
            for k, v in sorted(meta.get("parameters", {}).items())
            if k != "output_dir"
        ),
        ("Report version", doc.get("reportVersion", "")),
    ]
    cells = "".join(
        f"<tr><th style='{_CELL};text-align:left;background:{theme.BG_SOFT}'>{_e(k)}</th>"
        f"<td class='text' style='{_CELL}'>{_e(v)}</td></tr>"
        for k, v in rows
    )
    return Html(
        _scroll(f"<table class='argo-table' style='{_TABLE}'><tbody>{cells}</tbody></table>")
    )
