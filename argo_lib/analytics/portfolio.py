"""The portfolio overview: every site's published weekly brief of one week, side by side.

A portfolio manager reads one table instead of one brief per site: which sites could save the
most, which have the most data problems, how many need action, how complete each site's data
are, what each used and cost against its baseline weeks, and for how many weeks in a row each
site's top finding has been reported. Everything here is computed from the brief JSON documents
(``docs/spec/weekly_brief_json.md``) that the sites' runs published; nothing is re-analysed, so
the overview agrees number for number with the sites' own briefs.

A site without a brief for the week is listed with the status :data:`NO_BRIEF`, never dropped.

Examples
--------
>>> overview = summarize_portfolio([SiteWeek("1", "Depot", None, note="not run")], week="2026-W47")
>>> overview.status_counts["no_brief"], overview.totals["sites"]
(1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.brief import finding_keys

__all__ = [
    "BRIEF_STATUSES",
    "NO_BRIEF",
    "PORTFOLIO_STATUSES",
    "PortfolioOverview",
    "SiteWeek",
    "finding_streak",
    "summarize_portfolio",
    "top_finding",
]

BRIEF_STATUSES = ("action_required", "attention_needed", "operating_normally", "not_assessed")
"""The brief's status values (``summary.status``), most urgent first."""
NO_BRIEF = "no_brief"
"""The status of a site that has no published brief for the week."""
PORTFOLIO_STATUSES = (*BRIEF_STATUSES, NO_BRIEF)
"""Every status a site of the overview can have, in the order they are counted."""

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}

COLUMNS = (
    "site_id",
    "site_name",
    "status",
    "savings_kwh",
    "savings_cost",
    "savings_annual_cost",
    "investigate_kwh",
    "currency",
    "issues",
    "issues_high",
    "issues_medium",
    "issues_low",
    "channels",
    "coverage",
    "quality_index",
    "energy_kwh",
    "cost",
    "baseline_energy_kwh",
    "baseline_cost",
    "change",
    "carbon_kg",
    "top_finding",
    "top_finding_kind",
    "recurring_weeks",
    "since_week",
    "savings_rank",
    "data_rank",
    "note",
)
"""Columns of :attr:`PortfolioOverview.sites`."""


@dataclass(frozen=True)
class SiteWeek:
    """One site's published brief of the week, and the briefs of the weeks before.

    Attributes
    ----------
    site_id, site_name : str
        The site, as its site file names it.
    brief : Mapping or None
        The brief JSON published for the week; None: no brief (not published, or unreadable).
    history : sequence of Mapping or None
        The briefs published for the weeks before, newest first (the week before first); None
        for a week without a brief, which ends every run of recurring weeks.
    note : str
        Why there is no brief (e.g. the file that is missing), shown with the site.
    """

    site_id: str
    site_name: str
    brief: Mapping[str, Any] | None
    history: Sequence[Mapping[str, Any] | None] = field(default=())
    note: str = ""


@dataclass(frozen=True, eq=False)
class PortfolioOverview:
    """The portfolio of one week.

    Attributes
    ----------
    week : str
        The ISO week, e.g. ``"2026-W47"``.
    sites : pandas.DataFrame
        One row per site (columns :data:`COLUMNS`), ranked by potential savings: weekly
        potential savings ``savings_kwh`` [kWh], ``savings_cost`` and ``savings_annual_cost``
        [currency], ``investigate_kwh`` [kWh] (standing loads, not savings), data issues by
        severity [count], ``coverage`` and ``quality_index`` [-] (0 to 1), the week's
        ``energy_kwh`` [kWh], ``cost`` [currency], ``carbon_kg`` [kg CO2e], the same intervals at
        the baseline weeks' mean power ``baseline_energy_kwh`` [kWh] and ``baseline_cost``
        [currency, at this week's average price], ``change`` [-], the ``top_finding`` with its
        kind (``quick_win`` or ``data_issue``), ``recurring_weeks`` [weeks] and ``since_week``,
        and the ranks ``savings_rank`` and ``data_rank`` (1 = most; missing for a site without
        a brief).
    status_counts : dict
        Sites per status, every status of :data:`PORTFOLIO_STATUSES` present (zero too).
    totals : dict
        ``sites``, ``with_brief``, ``no_brief``; sums over the sites with a brief of the
        columns above (``currency`` is None, and the money sums too, when the sites' currencies
        differ); ``change`` of the summed energy against the summed baseline [-].
    """

    week: str
    sites: pd.DataFrame
    status_counts: dict[str, int]
    totals: dict[str, Any]

    @property
    def by_savings(self) -> pd.DataFrame:
        """The sites, most potential savings first; sites without a brief last."""
        return _ranked(self.sites, "savings_rank")

    @property
    def by_data_problems(self) -> pd.DataFrame:
        """The sites, most data problems first; sites without a brief last."""
        return _ranked(self.sites, "data_rank")


def _ranked(sites: pd.DataFrame, rank: str) -> pd.DataFrame:
    order = sites[rank].fillna(len(sites) + 1).to_numpy(dtype=float)
    return sites.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)


def _num(value: Any) -> float:
    """A number of a brief as float; NaN for null or a missing field."""
    if value is None or isinstance(value, bool):
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _finding_key(kind: str, item: Mapping[str, Any]) -> tuple[str, str, int | None]:
    """The key :func:`argo_lib.brief.finding_keys` gives one quick win or data issue."""
    only: dict[str, Any] = {"quickWins": [], "sensorHealth": {"issues": []}}
    if kind == "quickWins":
        only["quickWins"] = [item]
    else:
        only["sensorHealth"]["issues"] = [item]
    (key,) = finding_keys({"sections": only})
    return key


def top_finding(doc: Mapping[str, Any]) -> dict[str, Any] | None:
    """A brief's top finding: its first quick win, else its most severe data issue.

    The brief ranks its quick wins by value, so the first is the one worth most; a site with
    no quick win is led by its most severe data-health issue (the first of the most severe).

    Parameters
    ----------
    doc : Mapping
        A brief (any 2.x version).

    Returns
    -------
    dict or None
        ``kind`` (``"quick_win"`` or ``"data_issue"``), ``title``, ``key`` (the finding's
        identity as :func:`argo_lib.brief.finding_keys` gives it); None without findings.

    Examples
    --------
    >>> doc = {"sections": {"quickWins": [], "sensorHealth": {"issues": [
    ...     {"type": "stuck_sensor", "severity": "medium", "channelId": 7, "description": "a"},
    ...     {"type": "missing_data", "severity": "high", "channelId": 8, "description": "b"}]}}}
    >>> top_finding(doc)["key"]
    ('sensorHealth', 'missing_data', 8)
    """
    sections = doc.get("sections") or {}
    wins = list(sections.get("quickWins") or ())
    if wins:
        win = wins[0]
        return {
            "kind": "quick_win",
            "title": str(win.get("title") or win.get("type")),
            "key": _finding_key("quickWins", win),
        }
    issues = list((sections.get("sensorHealth") or {}).get("issues") or ())
    if not issues:
        return None
    ranks = [_SEVERITY_ORDER.get(str(i.get("severity")), 3) for i in issues]
    issue = issues[int(np.argmin(ranks))]
    return {
        "kind": "data_issue",
        "title": str(issue.get("description") or issue.get("type")),
        "key": _finding_key("sensorHealth", issue),
    }


def finding_streak(
    key: tuple[str, str, int | None], week: str, history: Sequence[Mapping[str, Any] | None]
) -> tuple[int, str]:
    """For how many weeks in a row a finding has been reported, and since which week.

    The same rule as the brief's own marking (:func:`argo_lib.brief.mark_recurrence`): a
    finding is the same when its section, type and channel are; a week without a published
    brief ends the run.

    Parameters
    ----------
    key : tuple
        The finding (``top_finding(doc)["key"]``), reported in ``week``.
    week : str
        The ISO week of the brief it comes from.
    history : sequence of Mapping or None
        The briefs of the weeks before ``week``, newest first; None for a week without one.

    Returns
    -------
    tuple of (int, str)
        Weeks in a row [weeks] (1: new this week) and the ISO week the run started.

    Examples
    --------
    >>> key = ("sensorHealth", "missing_data", 8)
    >>> seen = {"metadata": {"period": {"label": "2026-W46"}},
    ...         "sections": {"sensorHealth": {"issues": [{"type": "missing_data", "channelId": 8}]}}}
    >>> finding_streak(key, "2026-W47", [seen, None, seen])
    (2, '2026-W46')
    """
    weeks, since = 1, str(week)
    for earlier in history:
        if earlier is None or key not in finding_keys(earlier):
            break
        weeks += 1
        since = str(earlier["metadata"]["period"]["label"])
    return weeks, since


def _site_row(site: SiteWeek, week: str) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, np.nan)
    row.update(
        site_id=str(site.site_id),
        site_name=str(site.site_name),
        status=NO_BRIEF,
        currency=None,
        top_finding="",
        top_finding_kind="",
        since_week="",
        note=site.note,
    )
    doc = site.brief
    if doc is None:
        return row
    summary = doc.get("summary") or {}
    meta = doc.get("metadata") or {}
    savings = summary.get("totalPotentialSavings") or {}
    health = (doc.get("sections") or {}).get("sensorHealth") or {}
    severity = health.get("bySeverity") or {}
    quality = doc.get("dataQuality") or {}
    used = summary.get("consumption") or {}
    energy, cost = _num(used.get("weekKwh")), _num(used.get("weekCost"))
    mean_kw, baseline_kw = _num(used.get("meanKw")), _num(used.get("baselineMeanKw"))
    # the baseline weeks' mean power over this week's intervals with readings
    ratio = baseline_kw / mean_kw if np.isfinite(mean_kw) and mean_kw > 0 else float("nan")
    change = _num(used.get("changePercent")) / 100.0
    if not np.isfinite(change) and np.isfinite(ratio) and ratio > 0:
        change = 1.0 / ratio - 1.0
    row.update(
        site_name=str((meta.get("site") or {}).get("siteName") or site.site_name),
        status=str(summary.get("status")),
        savings_kwh=_num(savings.get("weeklyKwh")),
        savings_cost=_num(savings.get("weeklyCost")),
        savings_annual_cost=_num(savings.get("estimatedAnnual")),
        investigate_kwh=_num((savings.get("toInvestigate") or {}).get("weeklyKwh")),
        currency=str(meta.get("currency") or summary.get("currency") or "USD"),
        issues=_num(health.get("totalIssues")),
        issues_high=_num(severity.get("high")),
        issues_medium=_num(severity.get("medium")),
        issues_low=_num(severity.get("low")),
        channels=_num(quality.get("channelsAnalyzed")),
        coverage=_num(quality.get("avgCompleteness")) / 100.0,
        quality_index=_num(quality.get("qualityIndex")) / 100.0,
        energy_kwh=energy,
        cost=cost,
        baseline_energy_kwh=energy * ratio,
        baseline_cost=cost * ratio,
        change=change,
        carbon_kg=_num(used.get("carbonKg")),
    )
    found = top_finding(doc)
    if found is not None:
        weeks, since = finding_streak(found["key"], week, site.history)
        row.update(
            top_finding=found["title"],
            top_finding_kind=found["kind"],
            recurring_weeks=weeks,
            since_week=since,
        )
    return row


def _rank(sites: pd.DataFrame, keys: Sequence[tuple[str, bool]]) -> pd.Series:
    """Rank 1, 2, ... of the sites with a brief, sorted by ``keys`` (column, descending)."""
    has = sites["status"] != NO_BRIEF
    frame = sites.loc[has, [k for k, _ in keys] + ["site_id"]]
    ordered = frame.sort_values(
        [k for k, _ in keys] + ["site_id"],
        ascending=[not desc for _, desc in keys] + [True],
        na_position="last",
        kind="stable",
    )
    ranks = pd.Series(np.nan, index=sites.index, dtype=float)
    ranks.loc[ordered.index] = np.arange(1, len(ordered) + 1, dtype=float)
    return ranks.astype("Int64")


def summarize_portfolio(sites: Sequence[SiteWeek], *, week: str) -> PortfolioOverview:
    """Put the sites' briefs of one week side by side: ranks, status counts and totals.

    Potential savings rank by weekly cost, then weekly energy. Data problems rank by
    high-severity issues, then all issues, then the lowest data-quality index (the share of the
    week's intervals with a reading that passes every check), then the lowest coverage. A site
    without a brief has status :data:`NO_BRIEF` and no rank.

    Parameters
    ----------
    sites : sequence of SiteWeek
        The sites, each with its brief of ``week`` (or None) and the briefs before it.
    week : str
        The ISO week, e.g. ``"2026-W47"``.

    Returns
    -------
    PortfolioOverview
        ``sites`` ordered by potential savings (sites without a brief last).

    Raises
    ------
    ValueError
        If a site is listed twice, or a brief has a status outside :data:`BRIEF_STATUSES`.
    """
    ids = [str(s.site_id) for s in sites]
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"sites listed more than once: {', '.join(twice)}; list each once")
    frame = pd.DataFrame([_site_row(s, week) for s in sites], columns=list(COLUMNS))
    unknown = sorted(set(frame["status"]) - set(PORTFOLIO_STATUSES))
    if unknown:
        raise ValueError(
            f"unknown brief status {', '.join(map(repr, unknown))}; a brief's summary.status is "
            f"one of {', '.join(BRIEF_STATUSES)}"
        )
    for name in ("issues", "issues_high", "issues_medium", "issues_low", "channels"):
        frame[name] = frame[name].astype("Int64")
    frame["recurring_weeks"] = frame["recurring_weeks"].astype("Int64")
    frame["savings_rank"] = _rank(frame, [("savings_cost", True), ("savings_kwh", True)])
    frame["data_rank"] = _rank(
        frame,
        [("issues_high", True), ("issues", True), ("quality_index", False), ("coverage", False)],
    )
    frame = _ranked(frame, "savings_rank")
    counts = {status: int((frame["status"] == status).sum()) for status in PORTFOLIO_STATUSES}
    return PortfolioOverview(
        week=str(week), sites=frame, status_counts=counts, totals=_totals(frame)
    )


def _sum(values: pd.Series) -> float:
    numbers = pd.to_numeric(values, errors="coerce").astype(float)
    return float(numbers.sum()) if numbers.notna().any() else float("nan")


def _totals(frame: pd.DataFrame) -> dict[str, Any]:
    briefed = frame[frame["status"] != NO_BRIEF]
    currencies = sorted(set(briefed["currency"].dropna()))
    one = currencies[0] if len(currencies) == 1 else None
    both = briefed[briefed["energy_kwh"].notna() & briefed["baseline_energy_kwh"].notna()]
    energy, baseline = _sum(both["energy_kwh"]), _sum(both["baseline_energy_kwh"])
    totals: dict[str, Any] = {
        "sites": int(len(frame)),
        "with_brief": int(len(briefed)),
        "no_brief": int(len(frame) - len(briefed)),
        "currency": one,
        "savings_kwh": _sum(briefed["savings_kwh"]),
        "savings_cost": _sum(briefed["savings_cost"]) if one else float("nan"),
        "savings_annual_cost": _sum(briefed["savings_annual_cost"]) if one else float("nan"),
        "investigate_kwh": _sum(briefed["investigate_kwh"]),
        "issues": int(briefed["issues"].fillna(0).sum()),
        "issues_high": int(briefed["issues_high"].fillna(0).sum()),
        "energy_kwh": _sum(briefed["energy_kwh"]),
        "cost": _sum(briefed["cost"]) if one else float("nan"),
        "baseline_energy_kwh": baseline,
        "baseline_cost": _sum(both["baseline_cost"]) if one else float("nan"),
        "change": energy / baseline - 1.0 if baseline > 0 else float("nan"),
        "carbon_kg": _sum(briefed["carbon_kg"]),
        "coverage": float(briefed["coverage"].mean()) if len(briefed) else float("nan"),
        "recurring_sites": int((briefed["recurring_weeks"].fillna(0) >= 2).sum()),
    }
    return totals
