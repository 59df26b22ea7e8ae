"""The brief's sections as HTML for the notebook and its report, from the brief JSON only."""

from __future__ import annotations

import copy
import re
from html import escape as html_escape

from argo_lib.render import views


def test_views_render_the_brief_numbers(demo_doc):
    banner = views.status_banner(demo_doc)
    assert "argo-banner--action_required" in banner and "2026-W47" in banner
    table = views.after_hours_table(demo_doc)
    first = demo_doc["sections"]["afterHoursWaste"]["topMeters"][0]
    assert first["channelName"] in table and f"{first['impact']['excessKwh']:,.1f}" in table
    summary = views.executive_summary(demo_doc)
    assert f"{demo_doc['summary']['totalPotentialSavings']['weeklyKwh']:,.0f} kWh" in summary
    assert views.quick_wins_table(demo_doc).count("argo-win") == len(
        demo_doc["sections"]["quickWins"]
    )


def test_empty_sections_say_so(demo_doc):
    empty = dict(
        demo_doc,
        sections=dict(
            demo_doc["sections"], spikes={"summary": {}, "topSpikes": [], "byChannel": []}
        ),
    )
    note = views.spikes_table(empty)
    assert "No demand spikes this week." in note and "<table" not in note


def test_the_report_and_the_e_mail_show_the_same_headline_figures(demo_doc):
    from argo_lib.render.email import render_email_bodies

    kpis = views.headline_kpis(demo_doc)
    html, text = render_email_bodies(demo_doc)
    summary = views.executive_summary(demo_doc)
    for value, label in kpis:
        assert value in summary and label in summary
        assert value in html and label in html
    savings = demo_doc["summary"]["totalPotentialSavings"]
    assert kpis[0][0] == f"{savings['weeklyKwh']:,.0f} kWh"
    assert kpis[1][0] == f"${savings['weeklyCost']:,.2f}"


def test_views_carry_their_own_styles(demo_doc):
    """JupyterLab has no report stylesheet: the banner, cards and tables style themselves."""
    banner = views.status_banner(demo_doc)
    assert "background:#b42318" in banner and "color:#ffffff" in banner
    assert demo_doc["summary"]["headline"][0] in banner  # the banner gives its reasons
    assert "Mon 16 – Sun 22 Nov 2026" in banner  # the week as people write it
    summary = views.executive_summary(demo_doc)
    assert "display:flex" in summary and "border:1px solid" in summary
    table = views.after_hours_table(demo_doc)
    assert "overflow-x:auto" in table  # a wide table scrolls inside its box on a phone
    assert "border-bottom:1px solid" in table


def test_a_recurring_finding_says_since_when(demo_doc):
    from argo_lib.render.email import render_email_bodies

    doc = copy.deepcopy(demo_doc)
    win = doc["sections"]["quickWins"][0]
    win.update(recurringWeeks=3, sinceWeek="2026-W45")
    issue = doc["sections"]["sensorHealth"]["issues"][0]
    issue.update(recurringWeeks=2, sinceWeek="2026-W46")
    said = "reported 3 weeks in a row, since the week of 2 Nov 2026"
    assert said in views.quick_wins_table(doc)
    assert "reported 2 weeks in a row, since the week of 9 Nov 2026" in views.health_table(doc)
    html, text = render_email_bodies(doc)
    assert said in html and said in text
    assert "in a row" not in views.quick_wins_table(demo_doc)  # new findings say nothing


def test_customer_text_has_real_plurals(demo_doc):
    from argo_lib.render.email import render_email_bodies

    html, text = render_email_bodies(demo_doc)
    bodies = [html, text] + [
        str(getattr(views, name)(demo_doc))
        for name in (
            "executive_summary",
            "health_table",
            "quick_wins_table",
            "anomalies_table",
            "after_hours_table",
            "data_quality_table",
        )
    ]
    names = [c["channelName"] for c in demo_doc["dataQuality"]["channels"]]  # "Panel(s)"
    for body in bodies:
        for name in names:
            body = body.replace(html_escape(name), "").replace(name, "")
        assert not re.search(r"\w\((s|es)\)", body), re.search(r".{60}\w\((s|es)\).{20}", body)
