"""The site summary of a week: status banner, headline, top risks and opportunities (spec A8).

Status: **action_required** when any high-severity issue exists or the weekly waste exceeds
``status.action_required_cost``; **attention_needed** when any sensor issue or detected event
(anomaly, spike, a channel's level shift) exists or the waste exceeds
``status.attention_needed_cost``; otherwise **operating_normally**. A shift of several channels
at once (weather, occupancy) is reported in the headline as context, not as a risk. The weekly waste and the total potential savings are the sum of the
quick wins' energy, in which every interval's excess is counted once (B8).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.analytics.grid import records
from argo_lib.thresholds import StatusThresholds

__all__ = ["STATUSES", "SiteSummary", "summarise_site"]

STATUSES = ("action_required", "attention_needed", "operating_normally")
"""Values of the status banner."""

_SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True, eq=False)
class SiteSummary:
    """Summary of one site-week.

    Attributes
    ----------
    status : str
        One of :data:`STATUSES`.
    headline : tuple of str
        Headline lines, most important first.
    top_risks : tuple of dict
        ``category``, ``severity``, ``description``.
    top_opportunities : tuple of dict
        ``category``, ``weekly_cost``, ``annual_cost``, ``weekly_kwh``, ``description``.
    weekly_kwh, weekly_cost, annual_cost : float
        Total potential savings, each interval counted once [kWh], [currency].
    assumptions : tuple of str
        Assumptions behind the totals.
    avg_completeness_pct : float
        Mean data completeness over the analysed channels [%]; NaN without channels.
    severity_counts : dict
        Sensor issues per severity.
    """

    status: str
    headline: tuple[str, ...]
    top_risks: tuple[dict[str, Any], ...]
    top_opportunities: tuple[dict[str, Any], ...]
    weekly_kwh: float
    weekly_cost: float
    annual_cost: float
    assumptions: tuple[str, ...]
    avg_completeness_pct: float
    severity_counts: dict[str, int] = field(default_factory=dict)


def summarise_site(
    *,
    health: pd.DataFrame,
    after_hours: pd.DataFrame,
    anomalies: pd.DataFrame,
    level_shifts: pd.DataFrame,
    spikes: pd.DataFrame,
    quick_wins: pd.DataFrame,
    channels: pd.DataFrame,
    currency: str,
    annualisation_weeks: float,
    demand_source: str,
    thresholds: StatusThresholds | None = None,
) -> SiteSummary:
    """Summarise a site-week for the brief.

    Parameters
    ----------
    health, after_hours, anomalies, level_shifts, spikes, quick_wins : pandas.DataFrame
        Results of the analytics (with ``channel_name`` where they name channels).
    channels : pandas.DataFrame
        Analysed channels with ``completeness_pct`` and ``baseline_status``.
    currency : str
        Currency code for the texts.
    annualisation_weeks : float
        Weeks per year of the annual estimate.
    demand_source : str
        ``"main_meter"`` or ``"sum_of_channels"``.
    thresholds : StatusThresholds, optional
        Status limits.

    Returns
    -------
    SiteSummary
    """
    t = StatusThresholds() if thresholds is None else thresholds
    weekly_kwh = float(np.nansum(quick_wins["weekly_kwh"].to_numpy(dtype=float)))
    weekly_cost = float(np.nansum(quick_wins["weekly_cost"].to_numpy(dtype=float)))
    issues = records(health)
    counts = {s: sum(r.severity == s for r in issues) for s in _SEVERITY_RANK}
    n_high = counts["high"]
    shifts = records(level_shifts)
    own_shifts = [r for r in shifts if getattr(r, "scope", "channel") == "channel"]
    site_shifts = [r for r in shifts if getattr(r, "scope", "channel") == "site"]
    events = records(anomalies)
    spike_rows = records(spikes)
    if n_high or weekly_cost > t.action_required_cost:
        status = STATUSES[0]
    elif issues or events or spike_rows or own_shifts or weekly_cost > t.attention_needed_cost:
        status = STATUSES[1]
    else:
        status = STATUSES[2]

    headline: list[str] = []
    if n_high:
        headline.append(f"{n_high} critical data quality issue(s)")
    elif issues:
        headline.append(f"{len(issues)} data quality issue(s), none critical")
    significant = after_hours["significant"].to_numpy(dtype=bool)
    if significant.any():
        ah_total = float(np.nansum(after_hours["excess_kwh"].to_numpy(dtype=float)[significant]))
        headline.append(
            f"{ah_total:.0f} kWh after-hours waste detected on {int(significant.sum())} meter(s)"
        )
    if events:
        headline.append(
            f"{len(events)} unusual consumption event(s) "
            f"({sum(float(r.excess_kwh) for r in events):.0f} kWh above the usual profile)"
        )
    for row in own_shifts:
        headline.append(
            f"{row.channel_name}: consumption shifted {row.direction} "
            f"{abs(row.shift_pct):.0f} % since {row.start_local}"
        )
    if site_shifts:
        first = min(site_shifts, key=lambda r: r.start)
        headline.append(
            f"Consumption shifted {first.direction} on {len(site_shifts)} channels at once "
            f"since {first.start_local} (weather or occupancy; not a channel fault)"
        )
    if spike_rows:
        highest = max(float(r.peak_kw) for r in spike_rows)
        headline.append(f"{len(spike_rows)} demand spike(s), highest {highest:.1f} kW")
    insufficient = int((channels["baseline_status"] != "ok").sum())
    if insufficient:
        headline.append(
            f"{insufficient} channel(s) without a sufficient baseline (not assessed for "
            "waste and anomalies)"
        )
    if weekly_kwh > 0:
        headline.append(
            f"Potential savings {weekly_kwh:.0f} kWh ({currency} {weekly_cost:.2f}) per week"
        )
    if not headline:
        headline.append("Operating normally: no data issues or unusual consumption found")

    risks: list[dict[str, Any]] = []
    by_type: dict[str, list[Any]] = {}
    for r in issues:
        by_type.setdefault(str(r.type), []).append(r)
    for kind, group in by_type.items():
        worst = min((r.severity for r in group), key=_SEVERITY_RANK.__getitem__)
        names = ", ".join(dict.fromkeys(str(r.channel_name) for r in group))
        risks.append(
            {
                "category": "sensor_health",
                "severity": worst,
                "description": f"{kind.replace('_', ' ')}: {len(group)} on {names}",
            }
        )
    for row in own_shifts:
        risks.append(
            {
                "category": "level_shift",
                "severity": "medium",
                "description": (
                    f"{row.channel_name}: consumption shifted {row.direction} "
                    f"{abs(row.shift_pct):.0f} % since {row.start_local}"
                ),
            }
        )
    for row in sorted(events, key=lambda r: -float(r.excess_kwh))[:3]:
        risks.append(
            {
                "category": "anomaly",
                "severity": "high" if row.excess_kwh > 50 else "medium",
                "description": (
                    f"{row.channel_name}: {row.kind.replace('_', ' ')} from "
                    f"{row.start_local}, {row.excess_kwh:.1f} kWh above the usual profile"
                ),
            }
        )
    if spike_rows:
        row = max(spike_rows, key=lambda r: float(r.coincident_kw))
        risks.append(
            {
                "category": "demand",
                "severity": "medium" if row.coincident_kw > 0 else "low",
                "description": (
                    f"{row.channel_name}: spike of {row.peak_kw:.1f} kW at {row.start_local}"
                    f" adds {row.coincident_kw:.2f} kW to the site's peak"
                ),
            }
        )
    risks.sort(key=lambda r: _SEVERITY_RANK[r["severity"]])
    opportunities = tuple(
        {
            "category": row.type,
            "weekly_kwh": float(row.weekly_kwh),
            "weekly_cost": float(row.weekly_cost),
            "annual_cost": float(row.annual_cost),
            "description": row.title,
        }
        for row in records(quick_wins)
        if np.isfinite(row.weekly_cost) and row.weekly_cost > 0
    )[:3]
    completeness = channels["completeness_pct"].to_numpy(dtype=float)
    assumptions = (
        "Each interval's excess energy is counted once across all findings.",
        f"Annual figures assume this week's pattern persists for a year "
        f"(× {annualisation_weeks:g}).",
        "Energy is priced at the tariff rate of each interval (off-peak at night and weekends "
        "under a time-of-use tariff).",
        "Site demand and demand charges use the main meter's 15-minute peak."
        if demand_source == "main_meter"
        else "The site has no main meter: site demand is the sum of the analysed channels.",
    )
    return SiteSummary(
        status=status,
        headline=tuple(headline),
        top_risks=tuple(risks[:5]),
        top_opportunities=opportunities,
        weekly_kwh=weekly_kwh,
        weekly_cost=weekly_cost,
        annual_cost=weekly_cost * annualisation_weeks,
        assumptions=assumptions,
        avg_completeness_pct=float(completeness.mean()) if completeness.size else float("nan"),
        severity_counts=counts,
    )
