"""The site summary of a week: status banner, headline, top risks and opportunities (spec A8).

Status: **action_required** when any high-severity issue exists or the weekly waste exceeds
``status.action_required_cost``; **not_assessed** when no channel with readings has a sufficient
baseline (nothing could be compared with normal, so the week is neither good nor bad);
**attention_needed** when any sensor issue or detected event (anomaly, spike, a channel's level
shift) exists or the waste exceeds ``status.attention_needed_cost``; otherwise
**operating_normally**. A shift of several channels at once (weather, occupancy) is reported in
the headline as context, not as a risk. The weekly waste and the total potential savings are the
sum of the quick wins' energy, in which every interval's excess is counted once (B8).

The headline lists the reasons for the status, most important first: a main meter's serious
data problem, then findings that cost money (largest first), demand spikes, other data
problems, channels not assessed and the total. Numbers are written the way the report writes
them (:mod:`argo_lib.render.format`), each fact with one number: a spike's peak is its peak
everywhere, its height above the usual range is called so.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.analytics.grid import records
from argo_lib.render import format as fmt
from argo_lib.thresholds import StatusThresholds

__all__ = ["STATUSES", "SiteSummary", "summarise_site"]

STATUSES = ("action_required", "attention_needed", "operating_normally", "not_assessed")
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
        Total potential savings, each interval counted once [kWh], [currency]: the wins to
        act on, without the standing loads to investigate.
    investigate_kwh, investigate_cost : float
        Standing loads outside opening hours that the baseline weeks had too (wins of
        :data:`INVESTIGATE_TYPES`) [kWh], [currency]: whether they are needed is not known from
        the meters, so they are not potential savings.
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
    investigate_kwh: float = 0.0
    investigate_cost: float = 0.0


INVESTIGATE_TYPES = ("night_base_load", "site_night_base_load")
"""Quick-win types that are loads to investigate, not savings to count."""


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
    investigate = quick_wins["type"].isin(INVESTIGATE_TYPES).to_numpy(dtype=bool)
    win_kwh = quick_wins["weekly_kwh"].to_numpy(dtype=float)
    win_cost = quick_wins["weekly_cost"].to_numpy(dtype=float)
    weekly_kwh = float(np.nansum(win_kwh[~investigate]))
    weekly_cost = float(np.nansum(win_cost[~investigate]))
    investigate_kwh = float(np.nansum(win_kwh[investigate]))
    investigate_cost = float(np.nansum(win_cost[investigate]))
    issues = records(health)
    counts = {s: sum(r.severity == s for r in issues) for s in _SEVERITY_RANK}
    n_high = counts["high"]
    shifts = records(level_shifts)
    own_shifts = [r for r in shifts if getattr(r, "scope", "channel") == "channel"]
    site_shifts = [r for r in shifts if getattr(r, "scope", "channel") == "site"]
    events = records(anomalies)
    spike_rows = records(spikes)
    roles = _roles(channels)
    assessed = _assessed(channels)
    if n_high or weekly_cost > t.action_required_cost:
        status = STATUSES[0]
    elif not assessed.any():
        status = STATUSES[3]
    elif issues or events or spike_rows or own_shifts or weekly_cost > t.attention_needed_cost:
        status = STATUSES[1]
    else:
        status = STATUSES[2]

    # (rank, kWh, text): the main meter's serious data problems, then money, then the rest
    lines: list[tuple[int, float, str]] = []
    main_high = [
        r
        for r in issues
        if r.severity == "high" and roles.get(getattr(r, "channel_id", None)) == "main"
    ]
    for r in main_high:
        lines.append((0, 0.0, f"Main meter: {r.description}"))
    significant = after_hours["significant"].to_numpy(dtype=bool)
    if significant.any():
        ah_total = float(np.nansum(after_hours["excess_kwh"].to_numpy(dtype=float)[significant]))
        lines.append(
            (
                1,
                ah_total,
                f"{fmt.number(ah_total, 0)} kWh after-hours waste on "
                f"{fmt.plural(int(significant.sum()), 'meter')}",
            )
        )
    if events:
        excess = sum(float(r.excess_kwh) for r in events)
        lines.append(
            (
                1,
                excess,
                f"{fmt.plural(len(events), 'unusual consumption event')}, "
                f"{fmt.number(excess, 0)} kWh above the usual profile",
            )
        )
    for row in own_shifts:
        lines.append(
            (
                1,
                float(getattr(row, "excess_kwh", 0.0) or 0.0),
                f"{row.channel_name}: consumption shifted {row.direction} "
                f"{abs(row.shift_pct):.0f} % since {_when(row)}",
            )
        )
    if spike_rows:
        top = max(spike_rows, key=lambda r: float(r.peak_kw))
        lines.append(
            (
                2,
                0.0,
                f"{fmt.plural(len(spike_rows), 'demand spike')}: {top.channel_name} peaked at "
                f"{fmt.number(top.peak_kw, 1)} kW on {_when(top)}",
            )
        )
    others = len(issues) - len(main_high)
    if others:
        high_others = n_high - len(main_high)
        detail = (
            f"{high_others} high-severity"
            if high_others
            else "none high-severity"
            if not main_high
            else "the rest of lower severity"
        )
        lines.append((3, 0.0, f"{fmt.plural(others, 'data issue')} ({detail})"))
    not_assessed = int((~assessed).sum())
    if not_assessed and assessed.any():
        lines.append(
            (
                4,
                0.0,
                f"{fmt.plural(not_assessed, 'channel')} not assessed for waste and anomalies: "
                "not enough baseline data",
            )
        )
    elif not_assessed:
        lines.append(
            (
                4,
                0.0,
                "Not assessed: no channel has enough baseline data to compare this week with "
                "normal weeks",
            )
        )
    if site_shifts:
        first = min(site_shifts, key=lambda r: r.start)
        lines.append(
            (
                5,
                0.0,
                f"Consumption shifted {first.direction} on {len(site_shifts)} channels at once "
                f"since {_when(first)} (weather or occupancy; not a channel "
                "fault)",
            )
        )
    if weekly_kwh > 0:
        lines.append(
            (
                6,
                0.0,
                f"Potential savings {fmt.number(weekly_kwh, 0)} kWh "
                f"({fmt.money(weekly_cost, currency)}) per week",
            )
        )
    if investigate_kwh > 0:
        lines.append(
            (
                7,
                0.0,
                f"Standing load outside opening hours to investigate: "
                f"{fmt.number(investigate_kwh, 0)} kWh ({fmt.money(investigate_cost, currency)}) "
                "per week, as in the baseline weeks",
            )
        )
    lines.sort(key=lambda item: (item[0], -item[1]))
    headline = [text for _, _, text in lines]
    if not headline:
        headline.append("Operating normally: no data issues or unusual consumption found")

    risks: list[dict[str, Any]] = []
    by_type: dict[str, list[Any]] = {}
    for r in issues:
        by_type.setdefault(str(r.type), []).append(r)
    for kind, group in by_type.items():
        worst = min((r.severity for r in group), key=_SEVERITY_RANK.__getitem__)
        names = ", ".join(dict.fromkeys(str(r.channel_name) for r in group))
        on_main = any(roles.get(getattr(r, "channel_id", None)) == "main" for r in group)
        risks.append(
            {
                "category": "sensor_health",
                "severity": worst,
                "description": (
                    f"{kind.replace('_', ' ')}: {fmt.plural(len(group), 'finding')} on {names}"
                ),
                "_rank": (_SEVERITY_RANK[worst], 0 if on_main else 2, 0.0),
            }
        )
    for row in own_shifts:
        risks.append(
            {
                "category": "level_shift",
                "severity": "medium",
                "description": (
                    f"{row.channel_name}: consumption shifted {row.direction} "
                    f"{abs(row.shift_pct):.0f} % since {_when(row)}"
                ),
                "_rank": (1, 1, -float(getattr(row, "excess_kwh", 0.0) or 0.0)),
            }
        )
    for row in sorted(events, key=lambda r: -float(r.excess_kwh))[:3]:
        severity = "high" if row.excess_kwh > 50 else "medium"
        risks.append(
            {
                "category": "anomaly",
                "severity": severity,
                "description": (
                    f"{row.channel_name}: {row.kind.replace('_', ' ')} from "
                    f"{_when(row)}, {fmt.number(row.excess_kwh, 1)} kWh "
                    "above the usual profile"
                ),
                "_rank": (_SEVERITY_RANK[severity], 1, -float(row.excess_kwh)),
            }
        )
    if spike_rows:
        row = max(spike_rows, key=lambda r: float(r.coincident_kw))
        severity = "medium" if row.coincident_kw > 0 else "low"
        risks.append(
            {
                "category": "demand",
                "severity": severity,
                "description": (
                    f"{row.channel_name}: demand spike, peak {fmt.number(row.peak_kw, 1)} kW "
                    f"({fmt.number(row.height_kw, 1)} kW above the usual range) on "
                    f"{_when(row)}; adds "
                    f"{fmt.number(row.coincident_kw, 2)} kW to the site's peak"
                ),
                "_rank": (_SEVERITY_RANK[severity], 1, -float(row.coincident_kw)),
            }
        )
    # most severe first; at equal severity money and main meters before a sub-meter's data gap
    risks.sort(key=lambda r: r["_rank"])
    for risk in risks:
        del risk["_rank"]
    opportunities = tuple(
        {
            "category": row.type,
            "weekly_kwh": float(row.weekly_kwh),
            "weekly_cost": float(row.weekly_cost),
            "annual_cost": float(row.annual_cost),
            "description": row.title,
        }
        for row in records(quick_wins)
        if np.isfinite(row.weekly_cost)
        and row.weekly_cost > 0
        and row.type not in INVESTIGATE_TYPES
    )[:3]
    completeness = channels["completeness_pct"].to_numpy(dtype=float)
    assumptions = (
        "Each interval's excess energy is counted once across all findings.",
        f"Annual figures assume this week's pattern persists for a year "
        f"(× {annualisation_weeks:g}).",
        "Standing loads outside opening hours that the baseline weeks had too are listed to "
        "investigate and are not counted as savings: whether they are needed is not known "
        "from the meters.",
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
        investigate_kwh=investigate_kwh,
        investigate_cost=investigate_cost,
    )


def _when(row: Any) -> str:
    """A finding's site-local start as people write it (``Tue 24 Nov 18:00``)."""
    local = getattr(row, "start_local", None)
    if isinstance(local, str) and local:
        try:
            return dt.datetime.strptime(local, "%a %Y-%m-%d %H:%M").strftime("%a %d %b %H:%M")
        except ValueError:
            return local
    return fmt.local_time(pd.Timestamp(row.start).isoformat())


def _roles(channels: pd.DataFrame) -> dict[Any, str]:
    if "role" not in channels.columns or "channel_id" not in channels.columns:
        return {}
    return dict(
        zip(
            channels["channel_id"].astype(int).tolist(),
            channels["role"].astype(str).tolist(),
            strict=True,
        )
    )


def _assessed(channels: pd.DataFrame) -> np.ndarray:
    """Channels with readings and a sufficient baseline (the others are not assessed)."""
    status = channels["baseline_status"].astype(str).to_numpy()
    if "actual" in channels.columns:
        with_data = pd.to_numeric(channels["actual"], errors="coerce").fillna(0).to_numpy() > 0
    else:
        with_data = np.ones(len(channels), dtype=bool)
    return (status == "ok")[with_data]
