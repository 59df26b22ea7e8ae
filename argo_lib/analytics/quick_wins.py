"""Quick wins: ranked, evidenced recommendations without double counting (spec A7, B7, B8, B11).

Every interval's excess energy is counted once (B8). The savings ledger holds, per channel and
interval, the excess found by each analytic. Four of them measure energy above the interval's
expected load (new after-hours operation, anomaly events, level shifts, spikes): a win's energy
is the part of that excess its source adds over the sources ranked before it. The chronic base
load lies below the expected load, between the closed-building floor and it
(:mod:`argo_lib.analytics.after_hours`), so it adds to them. The energies of all wins add up to
the ledger's total, never more.

After-hours energy gives two kinds of win, with their own wording:

- ``after_hours_operation``: new operation against the same hours of the baseline weeks,
  "switch it off at closing time"; high priority above ``after_hours_high_kwh``. Meters beyond
  the top three share one ``site_after_hours`` win.
- ``night_base_load``: a chronic base load present in the baseline weeks too, "investigate the
  night base load"; low confidence (what it is, and whether it is needed, is unknown), low or
  (above ``night_base_medium_kwh``) medium priority, never high. Its energy is what the load
  uses above the floor; the annual figure assumes it stays. Meters beyond the top three share
  one ``site_night_base_load`` win.

Each win is ranked by priority (as the team knows it), then by a transparent score::

    score = weekly savings [currency] x confidence weight x effort weight

with confidence weights high 1.0, medium 0.7, low 0.4 and effort weights low 1.0, medium 0.75,
high 0.5 (less effort first). Annual figures assume the week repeats for a year (× 52, B11).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.analytics.grid import records
from argo_lib.render import format as fmt
from argo_lib.thresholds import QuickWinThresholds

__all__ = [
    "CONFIDENCE_WEIGHT",
    "EFFORT_WEIGHT",
    "LEDGER_SOURCES",
    "QUICK_WIN_COLUMNS",
    "attribute_ledger",
    "build_quick_wins",
]

LEDGER_SOURCES = ("after_hours", "anomaly", "level_shift", "spike", "chronic")
"""Sources of excess energy, in the order a shared interval is attributed; the last,
``chronic`` (the chronic base load below the expected load), adds to the others."""

_ABOVE_EXPECTED = LEDGER_SOURCES[:-1]

CONFIDENCE_WEIGHT = {"high": 1.0, "medium": 0.7, "low": 0.4}
EFFORT_WEIGHT = {"low": 1.0, "medium": 0.75, "high": 0.5}
_PRIORITY_RANK = {"high": 0, "medium": 1, "low": 2}

QUICK_WIN_COLUMNS = (
    "title",
    "type",
    "priority",
    "channel_id",
    "weekly_kwh",
    "weekly_cost",
    "annual_cost",
    "demand_cost",
    "description",
    "recommendations",
    "confidence",
    "owner",
    "effort",
    "score",
    "evidence",
)
"""Columns of the quick-win frame (``recommendations`` and ``evidence`` hold tuples)."""


def attribute_ledger(
    ledger: pd.DataFrame, *, main_ids: tuple[int, ...] | list[int] = ()
) -> pd.DataFrame:
    """Attribute each interval's excess to its sources so that it is counted once (B8).

    Parameters
    ----------
    ledger : pandas.DataFrame
        One row per channel and interval with excess: ``channel_id``, ``timestamp`` (UTC
        interval start), ``resolution_s`` [s], ``<source>_kwh`` for each of
        :data:`LEDGER_SOURCES` [kWh] and ``rate_per_kwh`` [currency/kWh].
    main_ids : sequence of int
        Main (utility) meters of the site. A main meter reads the sum of the sub-meters, so
        the excess the sub-meters count in the same interval is already counted: a main
        meter's row keeps only what they do not explain (empty: every channel stands alone).

    Returns
    -------
    pandas.DataFrame
        The ledger plus ``counted_kwh``, ``counted_cost`` and ``<source>_attributed_kwh`` /
        ``_cost``: what each source adds over the sources before it. The sources above the
        expected load overlap, so the largest of them counts; the chronic base load lies
        below it and adds. The attributed energies of a row add up to ``counted_kwh``.
        ``submeter_kwh`` is, on a main meter's rows, the excess the sub-meters count in its
        interval [kWh] (0 on other rows): the main meter's excess above the expected load is
        reduced by the sub-meters' (its sources in proportion), its chronic base load by
        theirs.

    Examples
    --------
    >>> row = pd.DataFrame({"after_hours_kwh": [2.0], "anomaly_kwh": [3.0],
    ...                     "level_shift_kwh": [1.0], "spike_kwh": [0.0], "chronic_kwh": [0.5],
    ...                     "rate_per_kwh": [0.1]})
    >>> out = attribute_ledger(row)
    >>> cols = ["after_hours_attributed_kwh", "anomaly_attributed_kwh",
    ...         "chronic_attributed_kwh", "counted_kwh"]
    >>> out[cols].iloc[0].tolist()
    [2.0, 1.0, 0.5, 3.5]

    A main meter (1) whose excess a sub-meter (2) explains in part:

    >>> t = pd.Timestamp("2026-03-02T15:00Z")
    >>> two = pd.DataFrame({"channel_id": [1, 2], "timestamp": [t, t], "resolution_s": 900,
    ...                     "after_hours_kwh": 0.0, "anomaly_kwh": [5.0, 3.0],
    ...                     "level_shift_kwh": 0.0, "spike_kwh": 0.0, "chronic_kwh": 0.0,
    ...                     "rate_per_kwh": 0.1})
    >>> attribute_ledger(two, main_ids=[1])[["counted_kwh", "submeter_kwh"]].values.tolist()
    [[2.0, 3.0], [3.0, 0.0]]
    """
    out = ledger.copy()
    rate = out["rate_per_kwh"].to_numpy(dtype=float)
    running = np.zeros(len(out))
    shares = {}
    for source in _ABOVE_EXPECTED:  # four sources, each vectorised over the ledger
        own = out[f"{source}_kwh"].to_numpy(dtype=float)
        shares[source] = np.maximum(own - running, 0.0)
        running = np.maximum(running, own)
    chronic = out["chronic_kwh"].to_numpy(dtype=float)
    sub_running, sub_chronic = _submeter_excess(out, running, chronic, main_ids=main_ids)
    with np.errstate(invalid="ignore", divide="ignore"):
        keep = np.where(running > 0, np.maximum(running - sub_running, 0.0) / running, 1.0)
    for source in _ABOVE_EXPECTED:
        share = shares[source] * keep
        out[f"{source}_attributed_kwh"] = share
        out[f"{source}_attributed_cost"] = share * rate
    chronic = np.maximum(chronic - sub_chronic, 0.0)
    out["chronic_attributed_kwh"] = chronic
    out["chronic_attributed_cost"] = chronic * rate
    counted = running * keep + chronic
    out["counted_kwh"] = counted
    out["counted_cost"] = counted * rate
    out["submeter_kwh"] = sub_running + sub_chronic
    return out


def _submeter_excess(
    ledger: pd.DataFrame,
    running: np.ndarray,
    chronic: np.ndarray,
    *,
    main_ids: tuple[int, ...] | list[int],
) -> tuple[np.ndarray, np.ndarray]:
    """The sub-meters' excess above and below the expected load in each main-meter row [kWh].

    A sub-meter row coarser than the main meter's intervals is spread evenly over them; finer
    ones are summed into the main meter's interval. Zero on the rows of other channels.
    """
    n = len(ledger)
    above, below = np.zeros(n), np.zeros(n)
    if n == 0 or len(main_ids) == 0:
        return above, below
    channel = ledger["channel_id"].to_numpy(dtype=np.int64)
    is_main = np.isin(channel, np.asarray(main_ids, dtype=np.int64))
    if not is_main.any() or is_main.all():
        return above, below
    start = ledger["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    step = ledger["resolution_s"].to_numpy(dtype=np.int64) * 1_000_000_000
    sub = ~is_main
    for main_step in np.unique(step[is_main]):  # one or two resolutions
        # each sub-meter row as pieces no longer than the main meter's interval
        pieces = np.maximum(step[sub] // main_step, 1)
        rows = np.repeat(np.flatnonzero(sub), pieces)
        offset = np.arange(rows.size) - np.repeat(np.cumsum(pieces) - pieces, pieces)
        key = (start[rows] + offset * main_step) // main_step
        weight = 1.0 / np.repeat(pieces, pieces)
        keys, inverse = np.unique(key, return_inverse=True)
        sum_above = np.bincount(inverse, weights=running[rows] * weight, minlength=keys.size)
        sum_below = np.bincount(inverse, weights=chronic[rows] * weight, minlength=keys.size)
        mains = np.flatnonzero(is_main & (step == main_step))
        pos = np.clip(np.searchsorted(keys, start[mains] // main_step), 0, keys.size - 1)
        found = keys[pos] == start[mains] // main_step
        above[mains[found]] = sum_above[pos[found]]
        below[mains[found]] = sum_below[pos[found]]
    return above, below


@dataclass(frozen=True)
class _Context:
    # channel_id -> value (Series.to_dict of a channel_id index)
    names: dict[Hashable, str]
    owners: dict[Hashable, Any]
    completeness: dict[Hashable, float]
    tz: Any
    currency: str
    demand_rate: float | None
    weeks: float


def _fmt_time(ts: pd.Timestamp, tz: Any) -> str:
    return ts.tz_convert(tz).strftime("%a %Y-%m-%d %H:%M")


def _owner(ctx: _Context, channel_id: int | None, default: str) -> str:
    if channel_id is None:
        return default
    owner = ctx.owners.get(channel_id)
    return owner if isinstance(owner, str) and owner else default


def _confidence(ctx: _Context, channel_id: int, *, strong: bool) -> str:
    complete = float(ctx.completeness.get(channel_id, 0.0))
    if strong and complete >= 90.0:
        return "high"
    return "medium" if complete >= 50.0 else "low"


class _Ledger:
    """Numpy view of the attributed ledger: per-channel totals and evidence days, fast."""

    def __init__(self, ledger: pd.DataFrame, tz: Any) -> None:
        self.channel = ledger["channel_id"].to_numpy(dtype=np.int64)
        ts = ledger["timestamp"]
        self.start_ns = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64)
        self.end_ns = self.start_ns + ledger["resolution_s"].to_numpy(dtype=np.int64) * 10**9
        if len(ledger):
            wall = pd.DatetimeIndex(ts).tz_convert(tz).tz_localize(None).as_unit("ns").asi8
            self.day = wall // 86_400_000_000_000
        else:
            self.day = np.empty(0, dtype=np.int64)
        self.kwh = {s: ledger[f"{s}_attributed_kwh"].to_numpy(dtype=float) for s in LEDGER_SOURCES}
        self.cost = {
            s: ledger[f"{s}_attributed_cost"].to_numpy(dtype=float) for s in LEDGER_SOURCES
        }
        self.raw = {
            s: ledger[f"{s}_kwh"].to_numpy(dtype=float)
            if f"{s}_kwh" in ledger
            else np.zeros(len(ledger))
            for s in LEDGER_SOURCES
        }
        self.sub = (
            ledger["submeter_kwh"].to_numpy(dtype=float)
            if "submeter_kwh" in ledger
            else np.zeros(len(ledger))
        )

    def _inside(self, spans: list[tuple[pd.Timestamp, pd.Timestamp]]) -> np.ndarray:
        inside = np.zeros(self.channel.size, dtype=bool)
        for start, end in spans:  # the few events of one win
            a, b = pd.Timestamp(start).value, pd.Timestamp(end).value
            inside |= (self.start_ns >= a) & (self.start_ns < b)
        return inside

    def attributed(self, channel_id: int, source: str) -> tuple[float, float]:
        mine = self.channel == channel_id
        return float(self.kwh[source][mine].sum()), float(self.cost[source][mine].sum())

    def within(
        self, channel_id: int, source: str, spans: list[tuple[pd.Timestamp, pd.Timestamp]]
    ) -> tuple[float, float]:
        """Attributed energy and cost of one channel and source inside some time spans."""
        mine = self._inside(spans) & (self.channel == channel_id)
        return float(self.kwh[source][mine].sum()), float(self.cost[source][mine].sum())

    def explained(
        self, channel_id: int, source: str, spans: list[tuple[pd.Timestamp, pd.Timestamp]]
    ) -> float:
        """Share of a main meter's ``source`` excess that its sub-meters explain.

        Their excess in the same intervals inside the spans (0 to 1; 0 without excess).
        """
        mine = self._inside(spans) & (self.channel == channel_id)
        raw = float(self.raw[source][mine].sum())
        if raw <= 0:
            return 0.0
        return min(float(np.minimum(self.sub[mine], self.raw[source][mine]).sum()) / raw, 1.0)

    def evidence_days(self, channel_id: int, source: str, *, limit: int = 3) -> list[dict]:
        """The local days with most attributed energy of one channel and source (end exclusive)."""
        sel = (self.channel == channel_id) & (self.kwh[source] > 0)
        if not sel.any():
            return []
        days, inverse = np.unique(self.day[sel], return_inverse=True)
        kwh = np.bincount(inverse, weights=self.kwh[source][sel])
        first = np.full(days.size, np.iinfo(np.int64).max)
        last = np.full(days.size, np.iinfo(np.int64).min)
        np.minimum.at(first, inverse, self.start_ns[sel])
        np.maximum.at(last, inverse, self.end_ns[sel])
        top = np.argsort(-kwh, kind="stable")[:limit]
        return [
            {
                "channelId": int(channel_id),
                "channelName": None,
                "start": pd.Timestamp(int(first[i]), tz="UTC"),
                "end": pd.Timestamp(int(last[i]), tz="UTC"),
                "kwh": float(kwh[i]),
            }
            for i in top
        ]


def _new_operation_win(row: Any, book: _Ledger, ctx: _Context, t: QuickWinThresholds) -> dict:
    """The win of one meter's new after-hours operation ("switch it off at closing time")."""
    cid = int(row.channel_id)
    kwh, cost = book.attributed(cid, "after_hours")
    name = ctx.names.get(cid, str(cid))
    against = (
        "the temperature model's expected load for those hours"
        if row.base_source == "model_same_hours"
        else "the same hours of the baseline weeks"
    )
    return {
        "title": f"Switch off after-hours operation on {name}",
        "type": "after_hours_operation",
        "priority": "high" if kwh > t.after_hours_high_kwh else "medium",
        "channel_id": cid,
        "weekly_kwh": kwh,
        "weekly_cost": cost,
        "description": (
            f"{name} used {row.new_kwh:.1f} kWh outside opening hours above {against} "
            f"(on average {row.base_kw:.2f} kW) during {row.new_hours:.1f} h this week: "
            "equipment running that did not run at these hours before."
        ),
        "recommendations": (
            f"Find what was left running on {name} during the hours in the evidence and "
            "switch it off (or to setback) at closing time.",
            f"Check the time schedule of {name} in the BMS or time clock for overrides and "
            "holiday settings.",
            "Add an occupancy sensor or a run-on timer where operation after hours is "
            "sometimes needed.",
            "Compare next week's after-hours load with this one to confirm the saving.",
        ),
        "confidence": _confidence(ctx, cid, strong=row.new_hours >= 3),
        "owner": _owner(ctx, cid, "Facilities Manager"),
        "effort": "low",
        "evidence": book.evidence_days(cid, "after_hours"),
    }


def _night_base_win(row: Any, book: _Ledger, ctx: _Context, t: QuickWinThresholds) -> dict:
    """The win of one meter's chronic base load outside opening hours ("investigate it").

    Worded as a night load when most of it is at night, else as a load of the closed days'
    daytime (a building used on Saturdays that the site's opening hours leave out, say).
    """
    cid = int(row.channel_id)
    kwh, cost = book.attributed(cid, "chronic")
    name = ctx.names.get(cid, str(cid))
    at_night = float(getattr(row, "chronic_night_share", 1.0)) >= 0.5
    what = "night base load" if at_night else "load on closed days"
    if at_night:
        first = (
            f"Find out what runs at night on {name}: walk the site after dark and check "
            "lighting circuits, HVAC night setback and equipment on permanent supply.",
            "For exterior or car-park lighting, check the photocell or time clock and "
            "consider LED fittings that dim after midnight.",
        )
    else:
        first = (
            f"Find out what runs on {name} in the daytime of closed days (weekends, "
            "holidays): equipment left on, cleaning or events.",
            "If the building is open then, add those hours to the site's opening hours, so "
            "that the brief judges them as business hours.",
        )
    return {
        "title": f"Investigate the {what} of {name}",
        "type": "night_base_load",
        "priority": "medium" if kwh > t.night_base_medium_kwh else "low",
        "channel_id": cid,
        "weekly_kwh": kwh,
        "weekly_cost": cost,
        "description": (
            f"Outside opening hours {name} draws {row.chronic_kw:.2f} kW above its lowest "
            f"closed level of {row.floor_kw:.2f} kW, for {row.chronic_hours:.0f} h this "
            f"week ({kwh:.0f} kWh), "
            f"{'mostly at night' if at_night else 'mostly in the daytime of closed days'}, and "
            f"it did so in {row.chronic_weeks} of the {row.baseline_weeks} baseline weeks: a "
            "standing load, not new operation. What it is, and how much of it is needed, is not "
            f"known from the meter; at this level it uses about {kwh * ctx.weeks:,.0f} kWh a "
            "year" + (" (lighting loads run longer in winter)." if at_night else ".")
        ),
        "recommendations": (
            *first,
            "For HVAC or ventilation, check the night and weekend setback schedules in the BMS.",
            "If the load is needed, record what it is, so it is known as part of the "
            "closed-building base.",
        ),
        "confidence": "low",
        "owner": _owner(ctx, cid, "Facilities Manager"),
        "effort": "medium",
        "evidence": book.evidence_days(cid, "chronic"),
    }


@dataclass(frozen=True)
class _AfterHoursKind:
    flag: str  # column of the after-hours table that makes a meter's win
    energy: str  # column that ranks the meters
    source: str  # ledger source of the win's energy
    one: Callable[[Any, _Ledger, _Context, QuickWinThresholds], dict]  # one meter's win
    site_type: str  # the win of the meters beyond the top ones
    site_title: str
    site_text: str


_AFTER_HOURS_KINDS = {
    "after_hours_operation": _AfterHoursKind(
        "significant",
        "new_kwh",
        "after_hours",
        _new_operation_win,
        "site_after_hours",
        "Switch off after-hours operation on {n}",
        "Meters without a win of their own ({names}) also ran above what the same hours drew "
        "in the baseline weeks: {kwh:.1f} kWh this week.",
    ),
    "night_base_load": _AfterHoursKind(
        "chronic_significant",
        "chronic_kwh",
        "chronic",
        _night_base_win,
        "site_night_base_load",
        "Investigate the after-hours base load of {n}",
        "Meters without a win of their own ({names}) also carry a standing load outside "
        "opening hours, as in the baseline weeks: {kwh:.1f} kWh this week.",
    ),
}


def _after_hours_wins(
    after_hours: pd.DataFrame,
    book: _Ledger,
    ctx: _Context,
    t: QuickWinThresholds,
    *,
    kind: str,
    top: int,
) -> list[dict[str, Any]]:
    """Wins of one kind of after-hours energy: the ``top`` meters, then one for the rest."""
    k = _AFTER_HOURS_KINDS[kind]
    source = k.source
    if k.flag not in after_hours.columns:
        return []
    rows = sorted(
        (r for r in records(after_hours) if getattr(r, k.flag)),
        key=lambda r: -float(getattr(r, k.energy)),
    )
    wins = [k.one(row, book, ctx, t) for row in rows[:top]]
    rest = [int(r.channel_id) for r in rows[top:]]
    if not rest:
        return wins
    kwh = sum(book.attributed(c, source)[0] for c in rest)
    cost = sum(book.attributed(c, source)[1] for c in rest)
    names = ", ".join(str(ctx.names.get(c, c)) for c in rest[:3])
    names += f" and {len(rest) - 3} more" if len(rest) > 3 else ""
    night = kind == "night_base_load"
    if night:
        priority = "medium" if kwh > t.night_base_medium_kwh else "low"
    else:
        priority = "high" if kwh > t.after_hours_high_kwh else "medium"
    wins.append(
        {
            "title": k.site_title.format(n=fmt.plural(len(rest), "more meter")),
            "type": k.site_type,
            "channels": tuple(rest),
            "priority": priority,
            "channel_id": None,
            "weekly_kwh": kwh,
            "weekly_cost": cost,
            "description": k.site_text.format(names=names, kwh=kwh),
            "recommendations": (
                "Walk the site after closing and at night, meter by meter, to find what runs.",
                "Review the BMS schedules of all meters: HVAC setback, lighting time clocks "
                "and photocells, holidays.",
                "Set a weekly after-hours energy target per meter and track it.",
            ),
            "confidence": "low" if night else "medium",
            "owner": "Facilities Manager",
            "effort": "medium",
            "evidence": [
                {
                    "channelId": c,
                    "channelName": None,
                    "start": None,
                    "end": None,
                    "kwh": book.attributed(c, source)[0],
                }
                for c in rest
            ],
        }
    )
    return wins


def build_quick_wins(
    *,
    after_hours: pd.DataFrame,
    anomalies: pd.DataFrame,
    level_shifts: pd.DataFrame,
    spikes: pd.DataFrame,
    health: pd.DataFrame,
    ledger: pd.DataFrame,
    channels: pd.DataFrame,
    tz: Any,
    currency: str,
    demand_rate_per_kw: float | None,
    thresholds: QuickWinThresholds | None = None,
    individual_after_hours: int = 3,
) -> pd.DataFrame:
    """Build the ranked quick wins of a site-week.

    Parameters
    ----------
    after_hours : pandas.DataFrame
        After-hours table (``after_hours.after_hours_waste``, all channels).
    anomalies : pandas.DataFrame
        Anomaly events.
    level_shifts : pandas.DataFrame
        Level shifts.
    spikes : pandas.DataFrame
        Spike events with ``coincident_kw`` and ``demand_cost``.
    health : pandas.DataFrame
        Sensor issues.
    ledger : pandas.DataFrame
        Attributed savings ledger (:func:`attribute_ledger`) with ``channel_id`` and
        ``timestamp``.
    channels : pandas.DataFrame
        Analysed channels with ``channel_name``, ``owner`` and ``completeness_pct``.
    tz : str or zoneinfo.ZoneInfo
        Site time zone (for the descriptions).
    currency : str
        Currency of the costs.
    demand_rate_per_kw : float or None
        Demand charge [currency/kW].
    thresholds : QuickWinThresholds, optional
        Limits.
    individual_after_hours : int
        Meters with an after-hours win of their own; the rest form the site-wide win.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`QUICK_WIN_COLUMNS`, at most ``max_items`` rows in rank order.
    """
    t = QuickWinThresholds() if thresholds is None else thresholds
    by_id = channels.set_index("channel_id")
    ctx = _Context(
        names=by_id["channel_name"].to_dict(),
        owners=by_id["owner"].to_dict() if "owner" in by_id else {},
        completeness=by_id["completeness_pct"].to_dict(),
        tz=tz,
        currency=currency,
        demand_rate=demand_rate_per_kw,
        weeks=t.annualisation_weeks,
    )
    book = _Ledger(ledger, tz)
    attributed = book.attributed

    wins: list[dict[str, Any]] = []
    # 1. new after-hours operation of the top meters, 6. site-wide for the others (B8); then
    # the chronic night base load, worded as something to investigate
    wins.extend(
        _after_hours_wins(
            after_hours, book, ctx, t, kind="after_hours_operation", top=individual_after_hours
        )
    )
    wins.extend(
        _after_hours_wins(
            after_hours, book, ctx, t, kind="night_base_load", top=individual_after_hours
        )
    )
    # 2. data communication on meters with high-severity sensor issues
    issues = records(health)
    high = [r for r in issues if r.severity == "high"]
    if high:
        ids = sorted({int(r.channel_id) for r in high})
        roles = by_id["role"].to_dict() if "role" in by_id else {}
        lost_hours = max(
            (float((r.end - r.start) / pd.Timedelta(hours=1)) for r in high if pd.notna(r.end)),
            default=0.0,
        )
        # a main meter's data, several meters, or a day and more missing come before money; a
        # few hours on one sub-meter do not outrank waste that costs the site every week
        urgent = (
            any(roles.get(c) == "main" for c in ids)
            or len(ids) > 1
            or lost_hours >= t.data_issue_high_hours
        )
        wins.append(
            {
                "title": f"Fix data communication on {fmt.plural(len(ids), 'meter')}",
                "type": "data_communication",
                "priority": "high" if urgent else "medium",
                "channel_id": None,
                "weekly_kwh": np.nan,
                "weekly_cost": np.nan,
                "description": (
                    f"{fmt.plural(len(high), 'high-severity data issue')} on "
                    + ", ".join(str(ctx.names.get(c, c)) for c in ids[:3])
                    + (f" and {len(ids) - 3} more" if len(ids) > 3 else "")
                    + "; findings on these meters are incomplete."
                ),
                "recommendations": (
                    "Check power and network connection of the affected meters' gateway.",
                    "Check that the meters report again: the next ingestion run's log and "
                    "the data-quality table of next week's brief show it.",
                    "Re-run the ingestion for the missing days once data is back.",
                ),
                "confidence": "high",
                "owner": "Metering Contractor",
                "effort": "low",
                "evidence": [
                    {
                        "channelId": int(r.channel_id),
                        "channelName": None,
                        "start": r.start,
                        "end": r.end,
                        "kwh": None,
                        "issue": r.type,
                    }
                    for r in high[:10]
                ],
            }
        )
    # 3. anomaly events per channel and kind; the largest event describes it (B7)
    titles = {
        "after_hours": ("Stop unexpected after-hours operation of {name}", "Facilities Manager"),
        "schedule_change": ("Restore the operating schedule of {name}", "Facilities Manager"),
        "unusual_consumption": ("Investigate unusual consumption on {name}", "Energy Manager"),
    }
    main_ids = (
        set(by_id.index[by_id["role"].astype(str) == "main"].astype(int))
        if "role" in by_id
        else set()
    )

    def seen_on_main(cid: int, source: str, start: Any, end: Any) -> bool:
        """A main meter's event that its sub-meters' findings explain (no win of its own)."""
        return cid in main_ids and (
            book.explained(cid, source, [(start, end)]) >= t.main_explained_share
        )

    events = [
        r
        for r in records(anomalies)
        if not seen_on_main(int(r.channel_id), "anomaly", r.start, r.end)
    ]
    grouped: dict[tuple[int, str], list[Any]] = {}
    for r in events:  # events are few
        grouped.setdefault((int(r.channel_id), str(r.kind)), []).append(r)
    for (cid, kind), group in sorted(grouped.items()):
        total_kwh = float(sum(r.excess_kwh for r in group))
        # the anomaly energy of this kind's own events (the kinds of a channel do not share
        # intervals: an event is one kind)
        kwh, cost = book.within(cid, "anomaly", [(r.start, r.end) for r in group])
        counted_elsewhere = (
            f" Of these, {total_kwh - kwh:.1f} kWh are already counted in the after-hours "
            "waste above."
            if total_kwh - kwh >= 0.05
            else ""
        )
        ranked = sorted(group, key=lambda r: -float(r.excess_kwh))
        largest = ranked[0]
        name = ctx.names.get(cid, str(cid))
        title, owner = titles[kind]
        wins.append(
            {
                "title": title.format(name=name),
                "channel_name": name,
                "type": f"anomaly_{kind}",
                "priority": "high" if total_kwh > t.anomaly_high_kwh else "medium",
                "channel_id": cid,
                "weekly_kwh": kwh,
                "weekly_cost": cost,
                "event_kwh": total_kwh,
                "description": (
                    f"{name}: {fmt.plural(len(group), 'event')}, {total_kwh:.1f} kWh above the usual "
                    f"profile; the largest from {_fmt_time(largest.start, tz)} for "
                    f"{largest.hours:.1f} h ({largest.excess_kwh:.1f} kWh, peak "
                    f"{largest.peak_kw:.2f} kW)." + counted_elsewhere
                ),
                "recommendations": (
                    f"Check what ran on {name} during the largest event (BMS trend, "
                    "staff on site, overrides).",
                    "Remove manual overrides and restore the normal schedule.",
                    "If the load is needed, note why so future reports can expect it.",
                ),
                "confidence": _confidence(ctx, cid, strong=largest.hours >= 3),
                "owner": _owner(ctx, cid, owner),
                "effort": "medium",
                "evidence": [
                    {
                        "channelId": cid,
                        "channelName": None,
                        "start": r.start,
                        "end": r.end,
                        "kwh": float(r.excess_kwh),
                    }
                    for r in ranked[:3]
                ],
                "spans": [(r.start, r.end) for r in group],
            }
        )
    # level shifts (a site-wide change is weather or occupancy, not a channel's fault)
    for row in records(level_shifts):
        if row.direction != "up" or getattr(row, "scope", "channel") != "channel":
            continue
        cid = int(row.channel_id)
        if seen_on_main(cid, "level_shift", row.start, row.end):
            continue
        kwh, cost = attributed(cid, "level_shift")
        name = ctx.names.get(cid, str(cid))
        wins.append(
            {
                "title": f"Find the cause of higher consumption on {name}",
                "type": "level_shift",
                "priority": "medium",
                "channel_id": cid,
                "weekly_kwh": kwh,
                "weekly_cost": cost,
                "description": (
                    f"{name}: consumption shifted up {row.shift_pct:.0f} % since "
                    f"{_fmt_time(row.start, tz)} ({row.baseline_kw:.2f} → {row.new_kw:.2f} kW)."
                ),
                "recommendations": (
                    "Check for setpoint, schedule or equipment changes around the shift.",
                    "Inspect the equipment for faults (stuck dampers, valves, failed controls).",
                    "If the change is intended, accept it as the new baseline.",
                ),
                "confidence": "medium",
                "owner": _owner(ctx, cid, "Energy Manager"),
                "effort": "medium",
                "evidence": [
                    {
                        "channelId": cid,
                        "channelName": None,
                        "start": row.start,
                        "end": row.end,
                        "kwh": float(row.excess_kwh),
                    }
                ],
            }
        )
    # 4. demand spikes per channel
    by_channel: dict[int, list[Any]] = {}
    for r in records(spikes):
        by_channel.setdefault(int(r.channel_id), []).append(r)
    for cid, group in sorted(by_channel.items()):
        kwh, cost = attributed(cid, "spike")
        demand_cost = float(np.nansum([float(r.demand_cost) for r in group]))
        coincident = max(float(r.coincident_kw) for r in group)
        name = ctx.names.get(cid, str(cid))
        ranked = sorted(group, key=lambda r: -float(r.peak_kw))
        top = ranked[0]
        demand_text = (
            f" Removing it would lower this week's site peak by {coincident:.2f} kW "
            f"({fmt.money(demand_cost, ctx.currency)} at "
            f"{fmt.money(ctx.demand_rate, ctx.currency)}/kW if it sets the "
            "month's billing peak)."
            if demand_rate_per_kw is not None
            else f" It adds {coincident:.2f} kW to this week's site peak."
        )
        wins.append(
            {
                "title": f"Reduce demand spikes on {name}",
                "type": "demand_spikes",
                "priority": "medium",
                "channel_id": cid,
                "weekly_kwh": kwh,
                "weekly_cost": cost,
                "demand_cost": demand_cost if demand_rate_per_kw is not None else np.nan,
                "description": (
                    f"{name}: {fmt.plural(len(group), 'spike')}, the highest {top.peak_kw:.2f} kW at "
                    f"{_fmt_time(top.start, tz)}." + demand_text
                ),
                "recommendations": (
                    f"Stagger the start of large loads on {name} (soft start, sequencing).",
                    "Check for short-cycling or simultaneous start after a power cut.",
                    "Consider a demand limit in the BMS for peak periods.",
                ),
                "confidence": "medium",
                "owner": _owner(ctx, cid, "Facilities Manager"),
                "effort": "medium",
                "evidence": [
                    {
                        "channelId": cid,
                        "channelName": None,
                        "start": r.start,
                        "end": r.end,
                        "kwh": float(r.excess_kwh),
                        "peakKw": float(r.peak_kw),
                    }
                    for r in ranked[:3]
                ],
            }
        )
    # 5. stuck sensors
    stuck: dict[int, list[Any]] = {}
    for r in issues:
        if r.type == "stuck_sensor":
            stuck.setdefault(int(r.channel_id), []).append(r)
    for cid, group in sorted(stuck.items()):
        name = ctx.names.get(cid, str(cid))
        shortest = min((r.end - r.start) / pd.Timedelta(hours=1) for r in group)
        wins.append(
            {
                "title": f"Check the stuck sensor on {name}",
                "type": "stuck_sensor",
                "priority": "low",
                "channel_id": cid,
                "weekly_kwh": np.nan,
                "weekly_cost": np.nan,
                "description": (
                    f"{name} repeated the same reading for {fmt.plural(len(group), 'stretch', 'stretches')} of at least "
                    f"{shortest:.1f} h."
                ),
                "recommendations": (
                    "Check the meter's CT and communication module on site.",
                    "Compare with the panel's other meters for the same hours.",
                    "Treat this meter's energy figures for those hours as unreliable.",
                ),
                "confidence": "medium",
                "owner": _owner(ctx, cid, "Metering Contractor"),
                "effort": "low",
                "evidence": [
                    {
                        "channelId": cid,
                        "channelName": None,
                        "start": r.start,
                        "end": r.end,
                        "kwh": None,
                    }
                    for r in group[:3]
                ],
            }
        )
    wins = _assign_small_anomalies(wins, book, t, tz)
    return _rank(wins, t)


_FINDING_TEXT = {
    "anomaly_after_hours": "unexpected after-hours operation",
    "anomaly_schedule_change": "a changed operating schedule",
    "anomaly_unusual_consumption": "unusual consumption",
}


def _after_hours_owner(wins: list[dict[str, Any]], channel_id: int) -> dict[str, Any] | None:
    """The after-hours win (own or site-wide) that counts a channel's after-hours waste."""
    for win in wins:  # a few wins
        if win["type"] == "after_hours_operation" and win["channel_id"] == channel_id:
            return win
    for win in wins:
        if win["type"] == "site_after_hours" and channel_id in win.get("channels", ()):
            return win
    return None


def _assign_small_anomalies(
    wins: list[dict[str, Any]], book: _Ledger, t: QuickWinThresholds, tz: Any
) -> list[dict[str, Any]]:
    """Give the energy of anomaly wins below ``min_weekly_kwh`` to the win that counts it.

    After B8's attribution an anomaly's excess is mostly counted as after-hours waste already,
    so its own win can shrink to a fraction of a kWh. Such a win is not listed: its events
    become evidence of the after-hours win of the channel (own or site-wide). Without such a
    win nothing else reports that energy, and the anomaly win takes the after-hours share of its
    own intervals back.
    """
    kept = []
    for win in wins:  # a few wins
        small = win["type"].startswith("anomaly_") and win["weekly_kwh"] < t.min_weekly_kwh
        if not small:
            kept.append(win)
            continue
        cid = int(win["channel_id"])
        owner = _after_hours_owner(wins, cid)
        if owner is None:
            kwh, cost = book.within(cid, "after_hours", win["spans"])
            win["weekly_kwh"] += kwh
            win["weekly_cost"] += cost
            kept.append(win)  # _rank still drops it if it stays below the threshold
            continue
        first = min(start for start, _ in win["spans"])
        what = _FINDING_TEXT.get(win["type"], "unusual consumption")
        owner["description"] += (
            f" It includes {what} on {win['channel_name']} from {_fmt_time(first, tz)} "
            f"({win['event_kwh']:.1f} kWh above the usual profile; see the evidence)."
        )
        owner["evidence"] = list(owner["evidence"]) + [
            {**item, "finding": win["type"]} for item in win["evidence"]
        ]
    return kept


_ENERGY_TYPES = (
    "after_hours_operation",
    "site_after_hours",
    "night_base_load",
    "site_night_base_load",
    "level_shift",
)


def _rank(wins: list[dict[str, Any]], t: QuickWinThresholds) -> pd.DataFrame:
    """Drop wins below the energy threshold, score, rank and cut to ``max_items``."""
    kept = []
    for win in wins:  # a few wins
        demand = win.get("demand_cost", np.nan)
        energy = win["type"] in _ENERGY_TYPES or win["type"].startswith("anomaly_")
        # the energy the win itself counts (B8) decides whether it is worth a win
        size = win["weekly_kwh"]
        size = 0.0 if size is None or not np.isfinite(size) else float(size)
        if energy and size < t.min_weekly_kwh:
            continue
        if win["type"] == "demand_spikes" and size < t.min_weekly_kwh and not demand > 0:
            continue
        weekly_cost = win["weekly_cost"]
        savings = (0.0 if not np.isfinite(weekly_cost) else weekly_cost) + (
            0.0 if not np.isfinite(demand) else demand
        )
        win["demand_cost"] = demand
        win["annual_cost"] = weekly_cost * t.annualisation_weeks
        win["score"] = savings * CONFIDENCE_WEIGHT[win["confidence"]] * EFFORT_WEIGHT[win["effort"]]
        win["recommendations"] = tuple(win["recommendations"])
        win["evidence"] = tuple(win["evidence"])
        kept.append(win)
    kept.sort(
        key=lambda w: (_PRIORITY_RANK[w["priority"]], -w["score"], -EFFORT_WEIGHT[w["effort"]])
    )
    kept = kept[: t.max_items]
    columns = {}
    for c in QUICK_WIN_COLUMNS:  # fifteen columns of at most max_items wins
        if c in _DTYPES:
            columns[c] = np.array([w[c] for w in kept], dtype=float)
        else:
            values = np.empty(len(kept), dtype=object)
            for i, w in enumerate(kept):
                values[i] = w[c]
            columns[c] = values
    return pd.DataFrame(columns)


_DTYPES = {
    "weekly_kwh": float,
    "weekly_cost": float,
    "annual_cost": float,
    "demand_cost": float,
    "score": float,
}
