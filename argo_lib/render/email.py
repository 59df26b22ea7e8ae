"""The brief's e-mail as the reader sees it: subject line, HTML body and plain-text body.

Rendered from the brief JSON only (like the notebook views), with the house's status words and
colours (:mod:`argo_lib.render.theme`), its number formats (:mod:`argo_lib.render.format`) and
the same headline figures as the report (:func:`argo_lib.render.views.headline_kpis`). The HTML
body uses inline styles only (mail clients drop ``<style>``), no scripts and no ``data:`` URLs;
charts are referenced as ``cid:`` parts, which :mod:`argo_lib.report.email` attaches.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from argo_lib.render import format as fmt
from argo_lib.render import theme
from argo_lib.render.views import consumption_text, headline_kpis, recurrence_text, win_impact

__all__ = ["TEMPLATES_DIR", "email_subject", "render_email_bodies"]

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates" / "email"
"""The e-mail's Jinja templates (``brief.html.j2``, ``brief.txt.j2``)."""


@functools.cache
def _environment(*, html: bool) -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
    )


def _period_text(brief: Mapping[str, Any]) -> str:
    period = brief["metadata"]["period"]
    return fmt.date_range(period["start"], period["end"])


def email_subject(brief: Mapping[str, Any]) -> str:
    """Subject line: status, site and week.

    Examples
    --------
    >>> doc = {"summary": {"status": "action_required"},
    ...        "metadata": {"site": {"siteName": "Wilson Center"},
    ...                     "period": {"start": "2026-11-16T00:00:00-05:00",
    ...                                "end": "2026-11-23T00:00:00-05:00"}}}
    >>> email_subject(doc)
    '[Action required] Wilson Center weekly energy brief, 16 Nov to 22 Nov 2026'
    """
    status = theme.STATUS_LABELS[brief["summary"]["status"]]
    site = brief["metadata"]["site"]["siteName"]
    return f"[{status}] {site} weekly energy brief, {_period_text(brief)}"


def render_email_bodies(
    brief: Mapping[str, Any], *, charts: Mapping[str, str] | None = None, max_items: int = 6
) -> tuple[str, str]:
    """Render the e-mail's HTML body (inline CSS) and plain-text alternative from the brief JSON.

    Parameters
    ----------
    brief : mapping
        The brief document (``docs/spec/weekly_brief_json.md``).
    charts : mapping, optional
        Chart name (``site_load``, ``after_hours``) → Content-ID (without angle brackets).
    max_items : int
        Most quick wins listed in the body.

    Returns
    -------
    tuple of str
        ``(html, text)``.
    """
    meta = brief["metadata"]
    savings = brief["summary"]["totalPotentialSavings"]
    currency = meta.get("currency") or "USD"
    assumptions = savings.get("assumptions")
    status = brief["summary"]["status"]
    context = {
        "brief": brief,
        "charts": dict(charts or {}),
        "max_items": max_items,
        "site_name": meta["site"]["siteName"],
        "timezone": meta["site"]["timezone"],
        "period_label": _period_text(brief),
        "generated": str(meta["generatedAt"])[:16].replace("T", " "),
        "currency": fmt.currency_symbol(currency).strip(),
        "subject": email_subject(brief),
        "assumptions": " ".join(assumptions)
        if isinstance(assumptions, list)
        else str(assumptions or ""),
        "status_label": theme.STATUS_LABELS[status],
        "status_color": theme.STATUS_COLORS[status],
        "theme": theme,
        "fmt_num": fmt.number,
        "fmt_time": fmt.local_time,
        "money": lambda value, digits: fmt.money(value, currency, digits=digits),
        "plural": fmt.plural,
        "kpis": headline_kpis(brief),
        "consumption": consumption_text(brief),
    }
    context["impact_text"] = lambda win: win_impact(brief, win)
    context["recurrence"] = lambda finding: (lambda t: f" · {t}" if t else "")(
        recurrence_text(finding)
    )
    context["severity_label"] = lambda value: theme.SEVERITY_LABELS.get(str(value), str(value))
    html = _environment(html=True).get_template("brief.html.j2").render(context)
    text = _environment(html=False).get_template("brief.txt.j2").render(context)
    return html, text
