"""Detection-quality benchmark of the weekly-brief analytics (analytics spec section D, issue 9).

Scores the detectors on seeded simulated site-weeks of the Wilson Center with labelled faults,
report weeks drawn over a year (DST weeks always included), half at 15-min and half at hourly
resolution, in two sets:

- **classic**: the tidy simulated site (8 sub-meters); two in three weeks carry one fault of
  every spec-D family (``argo_lib.sim.random_faults``), the others are clean; the baseline (four
  weeks before) is always clean.
- **realistic** (issue 9): what real buildings do. Nine channels (the 8 sub-meters and a noisy
  main meter that reads their sum plus an unmetered remainder and switching equipment); every
  night a dusk-to-dawn load (2–5 kW, on the main meter or a sub-meter); weekend short-cycling on
  an HVAC channel; the building closed on Good Friday, the day after Thanksgiving and Christmas
  week, which the analytics' holiday calendar (US federal) does not know; the holiday weeks, the
  weeks after them and the DST weeks always included. Half the cases have faults in their
  baseline (zero-filled outages with their catch-up readings, some of them over three of the
  four baseline Saturdays as in issue 9, stuck values, catch-up readings after gaps, a long
  gap). Two in three report weeks carry one fault of each realistic family: a zero-filled
  outage of 13–52 h with its catch-up reading (on the main meter one time in two), a gap of
  2–12 h with a catch-up reading, new after-hours operation on the channel that carries the
  dusk-to-dawn load, and a +50–100 % business-hours excess of 2–4 h on the main meter. The
  others are the *clean-but-realistic* weeks.

Scoring is event-level, as spec D says: a detected event matches a labelled fault of the same
family on the same channel when their time spans overlap (a zero-filled outage is also found by
a missing-data finding; a baseline fault by any data-health finding on its span, or by a
``baseline_screened*`` column above 0 on the channel's row of ``analysis.channels``). A
consumption fault on a sub-meter shows on the main meter too: a detection of it there is correct
(not a false alarm) but not needed for recall. Per family the benchmark reports recall,
precision, false alarms per clean channel-week and the share of matched faults detected within
2 intervals of the first interval the fault changed (found by diffing against the same simulation
without faults).

Besides, on the realistic weeks:

- **false findings per channel-week on clean-but-realistic weeks** (target ≤ 0.05): every
  detection (data health, spikes, anomaly events, channel level shifts) on a channel without a
  fault in the report week that matches no label;
- **monetised kWh that come from artefacts** (target 0): of the potential savings of each quick
  win (its ``weekly_kwh``), the share that its ledger evidence (the attributed excess of its
  channels and source in ``analysis.ledger``) has on intervals a sceptical engineer would not
  accept: not within 2 intervals of a labelled consumption fault of the channel (or of the main
  meter that sees it), or above 1.25 × the energy that fault added (overstated, or counted on
  both a sub-meter and the main meter). Each such interval is given its first matching cause:
  a data artefact (an outage's zeros, a catch-up reading, a gap, on that channel), a channel with
  faults in its baseline, a holiday (a closure or holiday in the report week, or on the same
  weekday in the baseline), the dusk-to-dawn load (the channel's load is on), short-cycling, the
  main meter's noise, or unexplained.

Each detector gets the simulator's outdoor temperature (``Simulation.temperature``), as the
weekly brief gets the site's weather; the legacy behaviour ignores it. Three detectors:

- ``new``: ``analytics.analyse_site_week`` with the default thresholds;
- ``forest``: the same with ``anomalies.method = "isolation_forest"`` (slow; not run by default);
- ``legacy``: the established behaviour of spec section A, with its faults (business hours and
  hour of week in UTC, staleness against "now", gaps only between readings, flatlines by row
  variance with only the first run reported, thin hour-of-week baselines without floors,
  15-minute unit assumption, 5 kW spike floor); it is implemented here, not in the library, and
  has no savings ledger.

Run ``python benchmarks/detection_quality.py`` (new and legacy on 120 classic and 90 realistic
site-weeks for each of the seeds 2024 and 7, 50–100 s on two cores); ``--seed 7`` for one
seed, ``--quick`` for a smoke run (6 + 6 site-weeks of seed 2024, a few seconds; a test runs it),
``--detectors new,forest,legacy`` to add the Isolation Forest, ``--update-readme`` to write the
tables into README.md, ``--output FILE`` to write them to a file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from readme_section import update_section

from argo_lib import dates
from argo_lib.analytics import analyse_site_week
from argo_lib.analytics.summary import INVESTIGATE_TYPES
from argo_lib.config import ChannelConfig, SiteSettings
from argo_lib.sim import (
    FAULT_KINDS,
    WILSON_CHANNELS,
    WILSON_MAIN,
    WILSON_ORGANIZATION_ID,
    DuskToDawn,
    Fault,
    MainMeter,
    Phenomena,
    ShortCycling,
    SimSite,
    closure_days,
    random_faults,
    simulate_readings,
)
from argo_lib.thresholds import apply_overrides

FAMILIES = FAULT_KINDS
REAL_FAMILIES = ("outage", "catch_up", "gap", "after_hours", "excess", "baseline_fault")
DETECTORS = ("new", "forest", "legacy")
DEFAULT_SEEDS = (2024, 7)
README = Path(__file__).resolve().parent.parent / "README.md"
MARK_BEGIN, MARK_END = "<!-- detection-quality:begin -->", "<!-- detection-quality:end -->"

START_TOL_INTERVALS = 2  # spec D: a matched event starts within 2 intervals of the fault
NEIGHBOURHOOD_INTERVALS = 2  # savings this close to a consumption fault belong to it
OVERSTATEMENT = 1.25  # savings up to 1.25 x a fault's added energy are accepted (noise, ramps)
POWER_KINDS = ("schedule_change", "level_shift", "excess", "after_hours", "spike")
DATA_KINDS = ("outage", "catch_up", "gap")

ISSUE_FAMILY = {
    "no_data": "silent",
    "stale_data": "silent",
    "missing_data": "gap",
    "stuck_sensor": "stuck",
    "zero_run": "outage",
    "negative_values": "negative",
    "energy_power_mismatch": "mismatch",
    "low_completeness": None,  # a weekly summary of the gap and silent events, not an event
}
ANOMALY_FAMILY = {
    "after_hours": "after_hours",
    "schedule_change": "schedule_change",
    "unusual_consumption": "excess",
}
ACCEPTS = {"outage": ("outage", "gap")}  # a zero-filled outage reported as missing data is found

SITE = SiteSettings(
    site_id=WILSON_ORGANIZATION_ID,
    name="Wilson Center",
    timezone="America/New_York",
    holiday_country="US",
    channels=tuple(ChannelConfig(c.channel_id, c.name) for c in WILSON_CHANNELS),
)
MAIN = WILSON_MAIN.channel_id
REAL_SITE = dataclasses.replace(
    SITE,
    channels=(*SITE.channels, ChannelConfig(MAIN, "Utility main meter", role="main")),
)
SIM_SITE = SimSite(closed_days=closure_days(2024, 2027))  # the building: closed on those days too
REAL_CHANNELS = (*WILSON_CHANNELS, WILSON_MAIN)
DUSK_CHANNELS = (MAIN, 162285, 162320, 162121)  # main meter, kitchen main panel, RTU-1, AHU-2
CYCLING_CHANNELS = (162320, 162120, 162121)  # RTU-1, RTU-3, AHU-2
DST_WEEKS = ("2025-W44", "2026-W10")  # fall back 2025-11-02, spring forward 2026-03-08
HOLIDAY_WEEKS = (
    "2025-W48",  # Thanksgiving and the day after
    "2025-W52",  # Christmas week
    "2026-W01",  # New Year's week, closed 29-31 December
    "2026-W02",  # Christmas week in the baseline
    "2026-W14",  # Good Friday 2026-04-03
    "2026-W15",  # Good Friday in the baseline
)
_NS_H = 3_600_000_000_000


@dataclasses.dataclass(frozen=True)
class SiteWeek:
    """One benchmark case."""

    week: str
    resolution_s: int
    seed: int
    faulty: bool
    realistic: bool = False
    baseline_faults: bool = False


def site_weeks(n: int, *, seed: int = 2024) -> list[SiteWeek]:
    """Draw ``n`` classic report weeks between 2025-06 and 2026-04 (DST weeks always included)."""
    rng = np.random.default_rng(seed)
    first = pd.Timestamp("2025-06-02", tz=SITE.timezone)
    weeks = [(first + pd.DateOffset(weeks=int(k))).strftime("%G-W%V") for k in range(46)]
    chosen = list(DST_WEEKS) + list(rng.choice(weeks, size=max(n - len(DST_WEEKS), 0)))
    return [
        SiteWeek(
            week=str(w),
            resolution_s=900 if i % 2 == 0 else 3600,
            seed=seed * 1000 + i,
            faulty=i % 3 != 2,
        )
        for i, w in enumerate(chosen[:n])
    ]


def realistic_weeks(n: int, *, seed: int = 2024) -> list[SiteWeek]:
    """Draw ``n`` realistic report weeks (holiday, post-holiday and DST weeks always included)."""
    rng = np.random.default_rng([seed, 9])
    first = pd.Timestamp("2025-06-02", tz=SITE.timezone)
    weeks = [(first + pd.DateOffset(weeks=int(k))).strftime("%G-W%V") for k in range(46)]
    forced = [*HOLIDAY_WEEKS, *DST_WEEKS]
    chosen = forced + list(rng.choice(weeks, size=max(n - len(forced), 0)))
    faulty = rng.permutation([i % 3 != 2 for i in range(n)])
    in_baseline = rng.permutation([i % 2 == 0 for i in range(n)])
    hourly = rng.permutation([i % 2 == 1 for i in range(n)])
    return [
        SiteWeek(
            week=str(w),
            resolution_s=3600 if hourly[i] else 900,
            seed=seed * 1000 + 500 + i,
            faulty=bool(faulty[i]),
            realistic=True,
            baseline_faults=bool(in_baseline[i]),
        )
        for i, w in enumerate(chosen[:n])
    ]


# --------------------------------------------------------------------------------------------
# The realistic site-weeks


@dataclasses.dataclass(frozen=True)
class Setup:
    """What one realistic case simulates."""

    phenomena: Phenomena
    dusk_channel: int
    cycling_channel: int
    baseline_faults: tuple[Fault, ...]
    faults: tuple[Fault, ...]


def _saturday_outages(
    baseline: dates.Period, channel: int, rng: np.random.Generator, res: int, avoid: list[Fault]
) -> list[Fault]:
    """Zero-filled outages over three of the four baseline Saturdays (issue 9's building)."""
    step = pd.Timedelta(seconds=res)
    out: list[Fault] = []
    for week in sorted(rng.choice(4, size=3, replace=False)):
        friday = (baseline.start + pd.DateOffset(days=int(7 * week + 4))).tz_convert("UTC")
        start = (friday + pd.Timedelta(hours=float(rng.uniform(16, 23)))).ceil(step)
        end = (start + pd.Timedelta(hours=float(rng.uniform(23, 52)))).ceil(step)
        end = min(end, (baseline.end.tz_convert("UTC") - step).floor(step))
        clash = any(
            f.channel_id == channel and f.start < end + step and (f.end is None or f.end > start)
            for f in avoid
        )
        if not clash:
            out.append(Fault(channel, "outage", start, end))
    return out


def realistic_setup(case: SiteWeek) -> Setup:
    """The phenomena and faults of one realistic case (a pure function of the case)."""
    rng = np.random.default_rng([case.seed, 0xAB])
    res = case.resolution_s
    dusk_ch = int(rng.choice(DUSK_CHANNELS))
    cycling_ch = int(rng.choice(CYCLING_CHANNELS))
    occupied = {c.channel_id: c.occupied_kw for c in WILSON_CHANNELS}[cycling_ch]
    phenomena = Phenomena(
        dusk_to_dawn=(
            DuskToDawn(dusk_ch, float(rng.uniform(2.0, 5.0)), float(rng.uniform(-10, 20))),
        ),
        short_cycling=(
            ShortCycling(
                cycling_ch,
                kw=float(rng.uniform(0.8, 1.5)) * occupied,
                period_min=float(rng.uniform(20.0, 60.0)),
                duty=float(rng.uniform(0.3, 0.6)),
            ),
        ),
        main_meter=MainMeter(),
    )
    period = dates.report_week(case.week, tz=SITE.timezone)
    baseline = dates.baseline_period(period)
    base_faults: list[Fault] = []
    if case.baseline_faults:
        base_faults += random_faults(
            period=baseline,
            channels=REAL_CHANNELS,
            seed=case.seed,
            families=("outage", "catch_up", "stuck"),
            resolution_s=res,
            site=SIM_SITE,
        )
        if rng.uniform() < 0.5:
            target = MAIN if rng.uniform() < 0.5 else dusk_ch
            base_faults += _saturday_outages(baseline, target, rng, res, base_faults)
        else:  # a long communication gap
            target = int(rng.choice([c.channel_id for c in REAL_CHANNELS]))
            start = baseline.start + pd.Timedelta(hours=int(rng.integers(0, 24 * 20)))
            gap = Fault(target, "gap", start, start + pd.Timedelta(hours=int(rng.integers(24, 73))))
            if not any(f.channel_id == target and f.start < gap.end and f.end > gap.start for f in base_faults):  # fmt: skip
                base_faults.append(gap)
    faults: list[Fault] = []
    if case.faulty:
        outage_ch = MAIN if rng.uniform() < 0.5 else int(rng.choice([c.channel_id for c in WILSON_CHANNELS]))  # fmt: skip
        draws = (  # the most constrained first: business hours of the main meter
            ([MAIN], "excess"),
            ([dusk_ch], "after_hours"),
            ([outage_ch], "outage"),
            ([c.channel_id for c in REAL_CHANNELS], "catch_up"),
        )
        for k, (chans, family) in enumerate(draws):  # four families
            faults += random_faults(
                period=period,
                channels=[c for c in REAL_CHANNELS if c.channel_id in chans],
                seed=case.seed * 10 + k,
                families=(family,),
                resolution_s=res,
                site=SIM_SITE,
                avoid=faults,
            )
    return Setup(phenomena, dusk_ch, cycling_ch, tuple(base_faults), tuple(faults))


# --------------------------------------------------------------------------------------------
# Detections of the new analytics


def issue_family(kind: str) -> str | None:
    """Fault family of a data-health issue type (None: not an event)."""
    if kind in ISSUE_FAMILY:
        return ISSUE_FAMILY[kind]
    low = kind.lower()
    if "catch" in low:  # a catch-up reading, however the analytics name it
        return "catch_up"
    if "outage" in low or "zero" in low:
        return "outage"
    return "other"


def new_detections(analysis) -> pd.DataFrame:
    """Events of the analysis as (channel_id, family, start, end, source)."""
    parts = []
    h = analysis.health
    fam = h["type"].map(issue_family)
    h = h.assign(family=fam, source="health")[fam.notna().to_numpy()]
    parts.append(h[["channel_id", "family", "start", "end", "source"]])
    s = analysis.spikes
    parts.append(
        s.assign(family="spike", source="spike")[["channel_id", "family", "start", "end", "source"]]
    )
    a = analysis.anomalies
    fam = a["kind"].map(ANOMALY_FAMILY).fillna("other")
    parts.append(
        a.assign(family=fam, source="anomaly")[["channel_id", "family", "start", "end", "source"]]
    )
    ls = analysis.level_shifts
    ls = ls[ls["scope"] == "channel"]  # site-wide changes are context, not channel faults
    parts.append(
        ls.assign(family="level_shift", source="level_shift")[
            ["channel_id", "family", "start", "end", "source"]
        ]
    )
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_detections()
    out = pd.concat(parts, ignore_index=True)
    out["start"] = pd.to_datetime(out["start"], utc=True).dt.as_unit("ns")
    out["end"] = pd.to_datetime(out["end"], utc=True).dt.as_unit("ns")
    return out


def screened_channels(analysis) -> set[int]:
    """Channels whose row in ``analysis.channels`` says part of the baseline was screened out."""
    ch = analysis.channels
    cols = [c for c in ch.columns if c.startswith("baseline_screened")]
    if not cols:
        return set()
    values = ch[cols].apply(pd.to_numeric, errors="coerce").fillna(0.0)
    return set(ch.loc[(values > 0).any(axis=1), "channel_id"].astype(int))


def _empty_detections() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype=np.int64),
            "family": pd.Series(dtype=object),
            "start": pd.Series(dtype="datetime64[ns, UTC]"),
            "end": pd.Series(dtype="datetime64[ns, UTC]"),
            "source": pd.Series(dtype=object),
        }
    )


# --------------------------------------------------------------------------------------------
# The established behaviour of spec section A, with its faults (for comparison only)


def legacy_detections(
    readings: pd.DataFrame, *, period: dates.Period, baseline: dates.Period, res: int
) -> pd.DataFrame:
    """Detections of the old scripts (spec A3–A6 as they behaved, faults included)."""
    dt_h = res / 3600.0
    step = pd.Timedelta(seconds=res)
    now = pd.Timestamp.now(tz="UTC")  # B2: staleness against "now"
    r = readings.sort_values(["channel_id", "timestamp"])
    rep = r[period.contains(r["timestamp"])].copy()
    base = r[baseline.contains(r["timestamp"])].copy()
    out = []
    # A3 missing data: gaps between consecutive readings only (no leading or trailing gap, B3)
    prev = rep.groupby("channel_id")["timestamp"].shift(1)
    missing = ((rep["timestamp"] - prev) / step).round() - 1
    gaps = rep[missing >= 2]
    out.append(
        pd.DataFrame(
            {
                "channel_id": gaps["channel_id"],
                "family": "gap",
                "start": prev[missing >= 2] + step,
                "end": gaps["timestamp"],
            }
        )
    )
    # A3 flatline: 6 h of rows (not time, B4) with variance < 0.01 kW² and mean > 0.1 kW; first only
    n = int(round(6 / dt_h))
    grouped = rep.groupby("channel_id")["power_kw"]
    var = grouped.transform(lambda s: s.rolling(n).var(ddof=0))
    mean = grouped.transform(lambda s: s.rolling(n).mean())
    flat = rep[(var < 0.01) & (mean > 0.1)]
    first = flat.groupby("channel_id")["timestamp"].first()
    out.append(
        pd.DataFrame(
            {
                "channel_id": first.index,
                "family": "stuck",
                "start": first.to_numpy() - (n - 1) * step,
                "end": first.to_numpy() + step,
            }
        )
    )
    # A3 stale data against "now" (B2)
    last = rep.groupby("channel_id")["timestamp"].max()
    stale = last[(now - last) > pd.Timedelta(hours=2)]
    out.append(
        pd.DataFrame(
            {
                "channel_id": stale.index,
                "family": "silent",
                "start": stale.to_numpy() + step,
                "end": period.end.tz_convert("UTC"),
            }
        )
    )
    # calendar in UTC (B1)
    for frame in (rep, base):
        ts = frame["timestamp"].dt.tz_convert("UTC")
        frame["how"] = ts.dt.day_of_week * 24 + ts.dt.hour
        frame["business"] = (ts.dt.day_of_week < 5) & (ts.dt.hour >= 7) & (ts.dt.hour < 18)
    # A4 after-hours waste: P5 of after-hours baseline power above 0.1 kW
    b_after = base[~base["business"] & (base["power_kw"] > 0.1)]
    base_kw = b_after.groupby("channel_id")["power_kw"].quantile(0.05)
    r_after = rep[~rep["business"]].copy()
    r_after["excess"] = (r_after["power_kw"] - r_after["channel_id"].map(base_kw)).clip(lower=0)
    r_after["excess"] *= dt_h
    total = r_after.groupby("channel_id")["excess"].sum()
    significant = total[total >= 10].index
    first_excess = r_after[r_after["excess"] > 0].groupby("channel_id")["timestamp"].min()
    sig_first = first_excess.reindex(significant).dropna()
    out.append(
        pd.DataFrame(
            {
                "channel_id": sig_first.index,
                "family": "after_hours",
                "start": sig_first.to_numpy(),
                "end": period.end.tz_convert("UTC"),
            }
        )
    )
    # A5 anomalies: hour-of-week profile (UTC), Q3 + 3 IQR, no floors; >= 3 intervals, >= 5 kWh
    by_slot = base.groupby(["channel_id", "how"])["power_kw"]
    prof = pd.DataFrame(
        {"q1": by_slot.quantile(0.25), "med": by_slot.quantile(0.5), "q3": by_slot.quantile(0.75)}
    )
    rep = rep.join(prof, on=["channel_id", "how"])
    rep["above"] = rep["power_kw"] > rep["q3"] + 3 * (rep["q3"] - rep["q1"])
    run = (rep["above"] != rep.groupby("channel_id")["above"].shift(1)).cumsum()
    above = rep[rep["above"]].assign(run=run[rep["above"]])
    above["excess"] = (above["power_kw"] - above["med"]) * 0.25  # B6: assumes 15-min intervals
    ev = above.groupby("run").agg(
        channel_id=("channel_id", "first"),
        start=("timestamp", "first"),
        last=("timestamp", "last"),
        n=("timestamp", "size"),
        kwh=("excess", "sum"),
        business=("business", "first"),
    )
    ev = ev[(ev["n"] >= 3) & (ev["kwh"] >= 5)]
    out.append(
        pd.DataFrame(
            {
                "channel_id": ev["channel_id"],
                "family": np.where(ev["business"], "other", "after_hours"),
                "start": ev["start"],
                "end": ev["last"] + step,
            }
        )
    )
    # A6 spikes: max(1.5 x P95 of the hour of week, 5 kW)
    p95 = base.groupby(["channel_id", "how"])["power_kw"].quantile(0.95).rename("p95")
    rep = rep.join(p95, on=["channel_id", "how"])
    rep["spike"] = rep["power_kw"] > np.maximum(1.5 * rep["p95"], 5.0)
    run = (rep["spike"] != rep.groupby("channel_id")["spike"].shift(1)).cumsum()
    sp = rep[rep["spike"]].assign(run=run[rep["spike"]])
    sev = sp.groupby("run").agg(
        channel_id=("channel_id", "first"),
        start=("timestamp", "first"),
        last=("timestamp", "last"),
    )
    out.append(
        pd.DataFrame(
            {
                "channel_id": sev["channel_id"],
                "family": "spike",
                "start": sev["start"],
                "end": sev["last"] + step,
            }
        )
    )
    out = [o for o in out if len(o)]
    if not out:
        return _empty_detections()
    det = pd.concat(out, ignore_index=True)
    det["start"] = pd.to_datetime(det["start"], utc=True)
    det["end"] = pd.to_datetime(det["end"], utc=True)
    return det


# --------------------------------------------------------------------------------------------
# Scoring


def effective_starts(faulty: pd.DataFrame, clean: pd.DataFrame, labels: pd.DataFrame) -> pd.Series:
    """First timestamp in each label's span where the faulted readings differ from clean ones."""
    both = clean.merge(
        faulty, on=["channel_id", "timestamp"], how="left", suffixes=("", "_f"), indicator=True
    )
    differs = (
        (both["_merge"] == "left_only")
        | ~np.isclose(both["power_kw"], both["power_kw_f"], atol=1e-9, rtol=0)
        | ~np.isclose(both["energy_kwh"], both["energy_kwh_f"], atol=1e-9, rtol=0)
    )
    changed = both.loc[differs, ["channel_id", "timestamp"]]
    starts = []
    for row in labels.itertuples():
        ts = changed.loc[changed["channel_id"] == row.channel_id, "timestamp"]
        ts = ts[(ts >= row.start) & (ts < row.end)]
        starts.append(ts.min() if len(ts) else row.start)
    return pd.Series(pd.to_datetime(starts, utc=True), index=labels.index)


def _overlaps(det: pd.DataFrame, channel: int, start, end) -> np.ndarray:
    return (
        (det["channel_id"].to_numpy() == channel)
        & (det["start"] < end).to_numpy()
        & (det["end"] > start).to_numpy()
    )


def _accepts(label_family: str, det: pd.DataFrame) -> np.ndarray:
    """Detections that can find a fault of ``label_family``."""
    if label_family == "baseline_fault":  # any data-health finding on its span
        return (det["source"] == "health").to_numpy()
    return det["family"].isin(ACCEPTS.get(label_family, (label_family,))).to_numpy()


def score_case(
    det: pd.DataFrame,
    labels: pd.DataFrame,
    channels: list[int],
    *,
    screened: Iterable[int] = (),
) -> dict:
    """Counts of one site-week for one detector.

    ``labels`` carries ``family`` (the kind in the report week, ``baseline_fault`` before it),
    ``echo`` (a sub-meter's consumption fault as the main meter sees it) and
    ``effective_start``. Recall counts the labels that are not echoes; a detection is a true
    positive when it overlaps any label (echoes included) that its family can find; a false
    alarm when it is not and lies on a channel without a fault in the report week.
    """
    fams = {*FAMILIES, *REAL_FAMILIES, "other", *det["family"].unique()}
    out = {f: dict(labels=0, found=0, det=0, tp=0, fa=0, on_data=0, timing=[]) for f in fams}
    in_report = labels[labels["family"] != "baseline_fault"]
    faulted = set(in_report["channel_id"].tolist())
    clean = [c for c in channels if c not in faulted]
    screened = set(screened)
    for lab in labels[~labels["echo"]].itertuples():  # a few labels
        rec = out[lab.family]
        rec["labels"] += 1
        hit = _overlaps(det, lab.channel_id, lab.start, lab.end) & _accepts(lab.family, det)
        if hit.any():
            rec["found"] += 1
            step = pd.Timedelta(seconds=int(lab.resolution_s))
            err = (det.loc[hit, "start"] - lab.effective_start).abs() / step
            rec["timing"].append(float(err.min()))
        elif lab.family == "baseline_fault" and lab.channel_id in screened:
            rec["found"] += 1
    fa_by_channel: dict[int, int] = {}
    for i, d in enumerate(det.itertuples()):  # tens of detections
        rec = out[d.family]
        rec["det"] += 1
        one = det.iloc[[i]]
        tp = on_data = False
        for lab in labels.itertuples():  # a few labels
            if lab.channel_id == d.channel_id and lab.start < d.end and lab.end > d.start:
                on_data |= lab.family in DATA_KINDS
                if _accepts(lab.family, one)[0]:
                    tp = True
                    break
        if tp:
            rec["tp"] += 1
            continue
        rec["on_data"] += on_data
        if d.channel_id in clean:
            rec["fa"] += 1
            fa_by_channel[d.channel_id] = fa_by_channel.get(d.channel_id, 0) + 1
    return {
        "families": out,
        "clean_channel_weeks": len(clean),
        "clean_channels": clean,
        "fa_by_channel": fa_by_channel,
    }


# --------------------------------------------------------------------------------------------
# Monetised kWh that come from artefacts

CAUSES = (
    "data",
    "baseline_fault",
    "holiday",
    "dusk_to_dawn",
    "short_cycling",
    "noisy_main",
    "unexplained",
    "overstated",
)
CAUSE_TEXT = {
    "data": "on an outage's zeros, a catch-up reading or a gap",
    "baseline_fault": "on a channel with faults in its baseline",
    "holiday": "on a holiday or closure schedule",
    "dusk_to_dawn": "on the dusk-to-dawn load",
    "short_cycling": "on weekend short-cycling",
    "noisy_main": "on the main meter's noise",
    "unexplained": "unexplained",
    "overstated": "overstated fault energy (e.g. counted on a sub-meter and the main meter)",
}


def _win_sources(kind: str, sources: list[str]) -> list[str]:
    """The ledger sources a quick win's energy comes from (anomaly wins: see _win_energy)."""
    for source in ("anomaly", "after_hours", "level_shift", "spike"):  # e.g. "demand_spikes"
        if source in kind:
            return [s for s in sources if s == source] or sources
    return sources


def _win_energy(
    win,
    ledger: pd.DataFrame,
    sources: list[str],
    mine: np.ndarray,
    t0: np.ndarray,
    events: pd.DataFrame | None = None,
):
    """The ledger energy [kWh] per row that a quick win's ``weekly_kwh`` is a share of.

    An anomaly win counts the anomaly energy of its own events: those of its channel and kind
    in ``events`` (``analysis.anomalies``), or its evidence spans without them; when that was
    too small to report and no after-hours win counts the channel, it also takes the
    after-hours energy of those events (``quick_wins._assign_small_anomalies``).
    """
    kind = str(win.type)
    energy = sum(
        ledger[f"{s}_attributed_kwh"].to_numpy(dtype=float) for s in _win_sources(kind, sources)
    )
    if not kind.startswith("anomaly"):
        return energy
    spans = [
        (item["start"], item["end"])
        for item in getattr(win, "evidence", None) or ()  # at most three events
        if isinstance(item, dict) and item.get("start") is not None
    ]
    if events is not None and len(events) and pd.notna(win.channel_id):
        own_events = events[
            (events["channel_id"] == int(win.channel_id))
            & (events["kind"] == kind[len("anomaly_") :])
        ]
        spans = list(zip(own_events["start"], own_events["end"], strict=True)) or spans
    inside = np.zeros(t0.size, dtype=bool)
    for start, end in spans:
        a, b = _ns([start, end])
        inside |= (t0 >= a) & (t0 < b)
    kwh = float(win.weekly_kwh)
    own = np.where(inside, energy, 0.0)
    if "after_hours" in sources and float(np.sum(own[mine])) < 0.99 * kwh:
        own = own + np.where(
            inside, ledger["after_hours_attributed_kwh"].to_numpy(dtype=float), 0.0
        )
    return own


def _spans_hit(ch: np.ndarray, t0: np.ndarray, t1: np.ndarray, spans: pd.DataFrame) -> np.ndarray:
    """Ledger rows (channel, [t0, t1)) that overlap a span of their channel."""
    hit = np.zeros(ch.size, dtype=bool)
    for s in spans.itertuples():  # tens of spans
        hit |= (ch == s.channel_id) & (t0 < s.end_ns) & (t1 > s.start_ns)
    return hit


def _ns(values) -> np.ndarray:
    return pd.to_datetime(pd.Series(values), utc=True).dt.as_unit("ns").astype("int64").to_numpy()


def artefact_money(analysis, labels: pd.DataFrame, context: dict) -> dict:
    """Potential savings of a realistic site-week and the kWh of them that come from artefacts.

    Returns ``savings_kwh`` (the quick wins' weekly kWh), ``causes`` (artefact kWh by cause,
    :data:`CAUSES`), and ``peak_on_catch_up`` (None without a catch-up reading in the week,
    else whether the site's demand peak is a catch-up reading).
    """
    ledger = analysis.ledger
    wins = analysis.quick_wins
    causes = dict.fromkeys(CAUSES, 0.0)
    sources = [
        c[: -len("_attributed_kwh")] for c in ledger.columns if c.endswith("_attributed_kwh")
    ]
    n = len(ledger)
    ch = ledger["channel_id"].to_numpy(dtype=np.int64)
    t0 = _ns(ledger["timestamp"]) if n else np.empty(0, np.int64)
    t1 = t0 + ledger["resolution_s"].to_numpy(dtype=np.int64) * 1_000_000_000
    counted = ledger["counted_kwh"].to_numpy(dtype=float) if n else np.empty(0)
    if n and "chronic_attributed_kwh" in ledger.columns:  # a standing load is not savings
        counted = counted - ledger["chronic_attributed_kwh"].to_numpy(dtype=float)
    cause = np.full(n, "unexplained", dtype=object)
    weight = np.ones(n)
    report = labels[labels["family"] != "baseline_fault"]
    res_ns = int(context["resolution_s"]) * 1_000_000_000
    # the cause of each interval's savings, first match (an outage's zeros, a catch-up
    # reading, a gap: never savings, whatever fault is near)
    data = report[report["kind"].isin(DATA_KINDS)].assign(
        start_ns=lambda f: _ns(f["start"]), end_ns=lambda f: _ns(f["end"])
    )
    base = labels[labels["family"] == "baseline_fault"]
    tz = SITE.timezone
    local = pd.DatetimeIndex(t0, tz="UTC").tz_convert(tz) if n else pd.DatetimeIndex([], tz=tz)
    day = np.asarray(local.date, dtype=object)
    weekday = np.asarray(local.day_of_week)
    if "business_hours" in ledger.columns:
        business = ledger["business_hours"].to_numpy(dtype=bool)
    else:
        business = dates.business_hours_mask(local, tz=tz) if n else np.zeros(0, dtype=bool)
    checks = (
        ("data", _spans_hit(ch, t0, t1, data)),
        ("baseline_fault", np.isin(ch, base["channel_id"].unique())),
        (  # a closed day this week, or opening hours of a weekday closed in the baseline
            "holiday",
            np.isin(day, list(context["closed_days"]))
            | (np.isin(weekday, list(context["closed_weekdays"])) & business),
        ),
        ("dusk_to_dawn", _spans_hit(ch, t0, t1, context["dusk"])),
        ("short_cycling", _spans_hit(ch, t0, t1, context["cycling"])),
        ("noisy_main", ch == MAIN),
    )
    rest = np.ones(n, dtype=bool)
    for name, hit in checks:  # first matching cause
        take = rest & hit
        cause[take] = name
        rest &= ~hit
    cause[rest] = "unexplained"
    # consumption faults: their neighbourhood is accepted up to OVERSTATEMENT x their energy;
    # what is above keeps its cause, or is "overstated" (e.g. counted on sub and main meter)
    energy = report[report["kind"].isin(POWER_KINDS) & ~report["echo"]]
    claimed = cause == "data"
    for lab in energy.itertuples():  # a few faults
        chans = [lab.channel_id] + ([MAIN] if lab.channel_id != MAIN and context["main"] else [])
        lo = _ns([lab.start])[0] - NEIGHBOURHOOD_INTERVALS * res_ns
        hi = _ns([lab.end])[0] + NEIGHBOURHOOD_INTERVALS * res_ns
        accepted = OVERSTATEMENT * max(float(lab.expected_kwh), 0.0)
        for chan in chans:  # the fault's own meter first, what is left of it for the main meter
            near = (ch == chan) & (t0 < hi) & (t1 > lo) & ~claimed
            claimed |= near
            money = counted[near].sum()
            weight[near] = max(money - accepted, 0.0) / money if money > 0 else 0.0
            accepted = max(accepted - money, 0.0)
            cause[near & np.isin(cause, ["unexplained", "noisy_main"])] = "overstated"
    savings = 0.0
    investigate = {"all": 0.0, "dusk_to_dawn": 0.0}
    dusk_channels = (
        set(context["dusk"]["channel_id"].astype(int)) if len(context["dusk"]) else set()
    )
    for win in wins.itertuples():  # at most ten wins
        kwh = float(win.weekly_kwh) if pd.notna(win.weekly_kwh) else 0.0
        if kwh <= 0:
            continue
        if str(win.type) in INVESTIGATE_TYPES:  # a standing load to investigate: not savings
            investigate["all"] += kwh
            if pd.notna(win.channel_id) and int(win.channel_id) in dusk_channels:
                investigate["dusk_to_dawn"] += kwh
            continue
        savings += kwh
        chans = {int(win.channel_id)} if pd.notna(win.channel_id) else set()
        for item in getattr(win, "evidence", None) or ():
            if isinstance(item, dict) and item.get("channelId") is not None:
                chans.add(int(item["channelId"]))
        mine = np.isin(ch, list(chans))
        events = getattr(analysis, "anomalies", None)
        attributed = _win_energy(win, ledger, sources, mine, t0, events) if n else np.empty(0)
        total = float(np.sum(attributed[mine])) if n else 0.0
        if total <= 0:
            causes["unexplained"] += kwh
            continue
        for name in CAUSES:
            part = float(np.sum((attributed * weight)[mine & (cause == name)]))
            causes[name] += kwh * part / total
    peak_at = analysis.demand.get("peak_at")
    catch = report[report["kind"] == "catch_up"]
    on_catch = None
    if len(catch):
        on_catch = bool(
            peak_at is not None
            and pd.notna(peak_at)
            and ((catch["start"] <= peak_at) & (catch["end"] > peak_at)).any()
        )
    return {
        "savings_kwh": savings,
        # the energy the week's consumption faults added (each once, on its own meter)
        "fault_kwh": float(energy["expected_kwh"].clip(lower=0.0).sum()),
        "causes": causes,
        "peak_on_catch_up": on_catch,
        "investigate_kwh": investigate,
    }


# --------------------------------------------------------------------------------------------
# One case


def _label_frame(
    sim_labels: pd.DataFrame, period: dates.Period, res: int, main: bool
) -> pd.DataFrame:
    """Labels with their scoring family, echo flag and resolution."""
    labels = sim_labels.copy()
    labels["start"] = labels["start"].dt.as_unit("ns")
    labels["end"] = labels["end"].dt.as_unit("ns")
    before = (labels["end"] <= period.start).to_numpy()
    labels["family"] = np.where(before, "baseline_fault", labels["kind"].to_numpy(dtype=object))
    labels["echo"] = False
    labels["resolution_s"] = res
    if main:  # a consumption fault on a sub-meter shows on the main meter too
        echo = labels[~before & labels["kind"].isin(POWER_KINDS) & (labels["channel_id"] != MAIN)]
        labels = pd.concat([labels, echo.assign(channel_id=MAIN, echo=True)], ignore_index=True)
    return labels


def _context(sim, setup: Setup | None, baseline: dates.Period, res: int) -> dict:
    """Where the realistic site's properties act, for the artefact causes."""
    where = sim.phenomena
    tz = SITE.timezone
    closures = where[where["kind"] == "closure"]
    local = closures["start"].dt.tz_convert(tz)
    in_base = (closures["start"] < baseline.end).to_numpy()
    spans = where.assign(start_ns=lambda f: _ns(f["start"]), end_ns=lambda f: _ns(f["end"])).dropna(
        subset=["channel_id"]
    )
    spans = spans.astype({"channel_id": np.int64})
    return {
        "resolution_s": res,
        "main": setup is not None,
        "closed_days": set(local.dt.date),
        "closed_weekdays": set(local[in_base].dt.day_of_week),
        "dusk": spans[spans["kind"] == "dusk_to_dawn"],
        "cycling": spans[spans["kind"] == "short_cycling"],
    }


def _channel_flags(case: SiteWeek, setup: Setup, context: dict, labels: pd.DataFrame) -> dict:
    """Which realistic properties each channel has in a case."""
    base = set(labels.loc[labels["family"] == "baseline_fault", "channel_id"].tolist())
    period = dates.report_week(case.week, tz=SITE.timezone)
    first, last = dates.baseline_period(period).start.date(), period.end.date()
    # a closure the holiday calendar does not know, in the report week or its baseline
    holiday = any(first <= d < last and d.weekday() < 5 for d in SIM_SITE.closed_days)
    flags = {}
    for c in REAL_CHANNELS:  # nine channels
        cid = c.channel_id
        flags[cid] = {
            "dusk_to_dawn": cid == setup.dusk_channel,
            "short_cycling": cid == setup.cycling_channel,
            "noisy_main": cid == MAIN,
            "holiday": holiday,
            "baseline_fault": cid in base,
        }
    return flags


@dataclasses.dataclass(frozen=True)
class SimulatedCase:
    """One site-week as the detectors see it: its readings and how they were made."""

    sim: Any
    setup: Setup | None
    period: dates.Period
    baseline: dates.Period
    site: Any
    channels: list[int]
    sim_kwargs: dict


def simulate_case(case: SiteWeek) -> SimulatedCase:
    """Simulate one site-week (its baseline weeks and report week) with its faults."""
    period = dates.report_week(case.week, tz=SITE.timezone)
    baseline = dates.baseline_period(period)
    res = case.resolution_s
    setup = realistic_setup(case) if case.realistic else None
    if setup is None:
        faults: tuple[Fault, ...] = (
            random_faults(period=period, seed=case.seed, resolution_s=res) if case.faulty else ()
        )
        sim_kwargs: dict = {"seed": case.seed}
        site, channels = SITE, [c.channel_id for c in WILSON_CHANNELS]
    else:
        faults = setup.baseline_faults + setup.faults
        sim_kwargs = {"seed": case.seed, "site": SIM_SITE, "phenomena": setup.phenomena}
        site, channels = REAL_SITE, [c.channel_id for c in REAL_CHANNELS]
    sim = simulate_readings(
        start=baseline.start, end=period.end, resolution_s=res, faults=faults, **sim_kwargs
    )
    return SimulatedCase(sim, setup, period, baseline, site, channels, sim_kwargs)


def run_case(
    case: SiteWeek, detectors: tuple[str, ...] = DETECTORS, overrides: dict | None = None
) -> dict[str, dict]:
    """Simulate one site-week and score every detector on it."""
    simulated = simulate_case(case)
    sim, setup, period, baseline = (
        simulated.sim,
        simulated.setup,
        simulated.period,
        simulated.baseline,
    )
    site, channels, sim_kwargs = simulated.site, simulated.channels, simulated.sim_kwargs
    res = case.resolution_s
    labels = _label_frame(sim.labels, period, res, main=setup is not None)
    in_report = labels["family"] != "baseline_fault"
    labels["effective_start"] = labels["start"]
    if in_report.any():
        clean = simulate_readings(
            start=period.start, end=period.end, resolution_s=res, **sim_kwargs
        ).readings
        labels.loc[in_report, "effective_start"] = effective_starts(
            sim.readings, clean, labels[in_report]
        )
    context = _context(sim, setup, baseline, res)
    results = {}
    for name in detectors:  # two or three detectors
        t0 = time.perf_counter()
        money = None
        screened: set[int] = set()
        if name == "legacy":
            det = legacy_detections(sim.readings, period=period, baseline=baseline, res=res)
            det = det.assign(source="legacy")
        else:
            thresholds = apply_overrides(site.thresholds, overrides or {})
            if name == "forest":
                thresholds = apply_overrides(thresholds, {"anomalies.method": "isolation_forest"})
            analysis = analyse_site_week(
                sim.readings,
                site=site,
                period=period,
                baseline=baseline,
                thresholds=thresholds,
                temperature=sim.temperature,
            )
            det = new_detections(analysis)
            screened = screened_channels(analysis)
            if setup is not None:
                money = artefact_money(analysis, labels, context)
        scored = score_case(det, labels, channels, screened=screened)
        scored["seconds"] = time.perf_counter() - t0
        scored["money"] = money
        scored["flags"] = _channel_flags(case, setup, context, labels) if setup else None
        scored["detections"] = det.assign(case=case.week, res=res)
        scored["labels"] = labels.assign(case=case.week)
        results[name] = scored
    return results


# --------------------------------------------------------------------------------------------
# Tables


def aggregate(
    results: list[dict[str, dict]], detector: str, families: Iterable[str] = FAMILIES
) -> pd.DataFrame:
    """Per-family table of one detector (families with labels or detections)."""
    rows = []
    clean = sum(r[detector]["clean_channel_weeks"] for r in results)
    seen = {
        f for r in results for f, x in r[detector]["families"].items() if x["det"] or x["labels"]
    }
    order = list(families) + sorted(seen - set(families) - {"other"}) + ["other"]
    for fam in order:
        recs = [(r[detector]["families"].get(fam), r[detector]["resolution_s"]) for r in results]
        recs = [(x, res) for x, res in recs if x is not None]
        labels = sum(x["labels"] for x, _ in recs)
        found = sum(x["found"] for x, _ in recs)
        by_res = {}
        for res in (900, 3600):
            n = sum(x["labels"] for x, r in recs if r == res)
            by_res[res] = sum(x["found"] for x, r in recs if r == res) / n if n else np.nan
        det = sum(x["det"] for x, _ in recs)
        tp = sum(x["tp"] for x, _ in recs)
        fa = sum(x["fa"] for x, _ in recs)
        on_data = sum(x["on_data"] for x, _ in recs)
        timing = np.array([t for x, _ in recs for t in x["timing"]])
        rows.append(
            {
                "family": fam,
                "labels": labels,
                "recall": found / labels if labels else np.nan,
                "recall_15min": by_res[900],
                "recall_hourly": by_res[3600],
                "detections": det,
                "precision": tp / det if det else np.nan,
                "unmatched_on_data_artefacts": on_data,
                "false_alarms_per_clean_channel_week": fa / clean if clean else np.nan,
                "start_within_2_intervals": (
                    float(np.mean(timing <= START_TOL_INTERVALS)) if timing.size else np.nan
                ),
                "median_start_error_intervals": float(np.median(timing)) if timing.size else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    total_fa = sum(x["fa"] for r in results for x in r[detector]["families"].values())
    table.attrs["false_alarms_per_clean_channel_week"] = total_fa / clean if clean else np.nan
    table.attrs["clean_channel_weeks"] = clean
    table.attrs["seconds"] = sum(r[detector]["seconds"] for r in results)
    return table


FLAGS = {
    "dusk_to_dawn": "a dusk-to-dawn load",
    "short_cycling": "weekend short-cycling",
    "noisy_main": "the noisy main meter",
    "holiday": "a closure the calendar does not know, in the week or its baseline",
    "baseline_fault": "faults in its baseline",
}


def clean_realistic(results: list[dict[str, dict]], detectors: tuple[str, ...]) -> pd.DataFrame:
    """False findings per channel-week on the clean-but-realistic weeks, by site property."""
    clean_cases = [r for r in results if not r[detectors[0]]["faulty"]]
    rows = []
    keys = ["all", *FLAGS, "none"]
    for key in keys:
        row: dict = {"channel_weeks": 0}
        for d in detectors:
            row[d] = 0
        for r in clean_cases:
            flags = r[detectors[0]]["flags"]
            for cid, f in flags.items():  # nine channels
                if key == "all" or (key == "none" and not any(f.values())) or f.get(key):
                    row["channel_weeks"] += 1
                    for d in detectors:
                        row[d] += r[d]["fa_by_channel"].get(cid, 0)
        rows.append({"property": key, **row})
    table = pd.DataFrame(rows).set_index("property")
    for d in detectors:
        table[d] = table[d] / table["channel_weeks"].replace(0, np.nan)
    return table


def money_summary(results: list[dict[str, dict]], detector: str) -> dict:
    """Potential savings and the artefact kWh among them, over realistic cases."""
    out = {}
    for key, keep in (("all", lambda r: True), ("clean", lambda r: not r["faulty"])):
        picked = [r[detector] for r in results if keep(r[detector]) and r[detector]["money"]]
        causes = dict.fromkeys(CAUSES, 0.0)
        for r in picked:
            for c, v in r["money"]["causes"].items():
                causes[c] += v
        peaks = [r["money"]["peak_on_catch_up"] for r in picked]
        out[key] = {
            "weeks": len(picked),
            "savings_kwh": sum(r["money"]["savings_kwh"] for r in picked),
            "investigate_kwh": sum(
                r["money"].get("investigate_kwh", {}).get("all", 0.0) for r in picked
            ),
            "investigate_dusk_kwh": sum(
                r["money"].get("investigate_kwh", {}).get("dusk_to_dawn", 0.0) for r in picked
            ),
            "artefact_kwh": sum(causes.values()),
            "fault_kwh": sum(r["money"].get("fault_kwh", 0.0) for r in picked),
            "causes": causes,
            "weeks_with_artefacts": sum(sum(r["money"]["causes"].values()) > 0.05 for r in picked),
            "catch_up_weeks": sum(p is not None for p in peaks),
            "peak_on_catch_up": sum(bool(p) for p in peaks),
        }
    return out


def _fmt(x: float, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


LABELS = {"new": "new default", "forest": "Isolation Forest", "legacy": "section-A legacy"}
REAL_TEXT = {
    "outage": "outage: zero-filled, 13–52 h",
    "catch_up": "catch_up: the reading after an outage or gap",
    "gap": "gap (before a catch-up reading)",
    "after_hours": "after_hours: new, on a channel with a dusk-to-dawn load",
    "excess": "excess: +50–100 % for 2–4 h, main meter",
    "baseline_fault": "baseline_fault: found by a health finding on it",
}


def _family_table(tables: dict[str, pd.DataFrame], *, realistic: bool) -> list[str]:
    names = list(tables)
    head = ["family", "faults"] + (
        [f"{LABELS.get(names[0], names[0])} findings"] if realistic else []
    )
    align = ["---", "---:"] + (["---:"] if realistic else [])
    for i, d in enumerate(names):
        label = LABELS.get(d, d)
        cols = ["recall"] + (["15-min", "hourly"] if realistic and i == 0 else [])
        cols += ["precision", "FA", "start"]
        head += [f"{label} {cols[0]}", *cols[1:]]
        align += ["---:"] * len(cols)
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join(align) + "|"]
    first = tables[names[0]]
    for i, fam in enumerate(first["family"]):
        label = REAL_TEXT.get(fam, fam) if realistic else fam
        cells = [label, str(int(first.loc[i, "labels"]))]
        if realistic:
            cells.append(str(int(first.loc[i, "detections"])))
        for j, name in enumerate(names):
            t = tables[name]
            row = t[t["family"] == fam]
            if row.empty:
                cells += ["–"] * (6 if realistic and j == 0 else 4)
                continue
            row = row.iloc[0]
            cells.append(_fmt(row["recall"]))
            if realistic and j == 0:
                cells += [_fmt(row["recall_15min"]), _fmt(row["recall_hourly"])]
            cells += [
                _fmt(row["precision"]),
                _fmt(row["false_alarms_per_clean_channel_week"], 3),
                _fmt(row["start_within_2_intervals"]),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _cases_text(cases: list[SiteWeek], seeds: tuple[int, ...]) -> str:
    classic = [c for c in cases if not c.realistic]
    real = [c for c in cases if c.realistic]
    n15 = sum(c.resolution_s == 900 for c in cases)
    seed_text = " and ".join(str(s) for s in seeds)
    return (
        f"{len(cases)} simulated Wilson Center site-weeks (week-draw seed"
        f"{'s' if len(seeds) > 1 else ''} {seed_text}; {n15} at 15-min and {len(cases) - n15} at "
        f"hourly resolution; DST weeks included): {len(classic)} classic ({sum(c.faulty for c in classic)} "
        f"with one fault of each spec-D family, {sum(not c.faulty for c in classic)} clean) and "
        f"{len(real)} realistic ({sum(c.faulty for c in real)} with one fault of each realistic "
        f"family, {sum(not c.faulty for c in real)} clean; {sum(c.baseline_faults for c in real)} "
        "with faults in the baseline)"
    )


def markdown(
    tables: dict[str, pd.DataFrame],
    real_tables: dict[str, pd.DataFrame],
    clean_table: pd.DataFrame | None,
    money: dict | None,
    cases: list[SiteWeek],
    *,
    seeds: tuple[int, ...] = (2024,),
    per_seed: dict[int, dict[str, pd.DataFrame]] | None = None,
    seconds: float | None = None,
) -> str:
    """The benchmark's tables as markdown (README section)."""
    names = list(tables or real_tables)
    lines = [
        f"Detection quality on {_cases_text(cases, seeds)}. Each detector gets the simulated "
        "outdoor temperature (the legacy behaviour ignores it). Event-level scoring (spec D): a "
        "detection matches a fault of the same family on the same channel when their spans "
        "overlap. *FA* = false alarms per clean channel-week (detections that match no fault, "
        "on channel-weeks without a fault in the report week); *start* = share of matched faults "
        "detected within 2 intervals of the first interval the fault changed. Targets: recall "
        "≥ 0.95, precision ≥ 0.90, FA ≤ 0.1, start within 2 intervals.",
        "",
    ]
    if tables:
        lines += [
            "**Classic faults** (the tidy simulated site, 8 sub-meters, clean baselines):",
            "",
        ]
        lines += _family_table(tables, realistic=False)
        lines.append("")
        for name in names:
            table = tables[name]
            lines.append(
                f"- {LABELS.get(name, name)}: "
                f"{table.attrs['false_alarms_per_clean_channel_week']:.3f} false alarms per clean "
                f"channel-week in all ({table.attrs['clean_channel_weeks']} clean channel-weeks); "
                f"{table.attrs['seconds'] / max(len([c for c in cases if not c.realistic]), 1) * 1000:.0f} ms "
                "per site-week."
            )
        if per_seed and len(per_seed) > 1:
            for seed, by_detector in per_seed.items():
                table = by_detector[names[0]]
                faults = table[table["labels"] > 0]
                worst_r = faults.loc[faults["recall"].idxmin()]
                worst_p = faults.loc[faults["precision"].fillna(np.inf).idxmin()]
                worst_s = faults.loc[faults["start_within_2_intervals"].fillna(np.inf).idxmin()]
                lines.append(
                    f"- Seed {seed} alone, {LABELS.get(names[0], names[0])}: lowest recall "
                    f"{worst_r['recall']:.2f} ({worst_r['family']}), lowest precision "
                    f"{worst_p['precision']:.2f} ({worst_p['family']}), lowest start accuracy "
                    f"{worst_s['start_within_2_intervals']:.2f} ({worst_s['family']}), "
                    f"{table.attrs['false_alarms_per_clean_channel_week']:.3f} false alarms per "
                    "clean channel-week."
                )
        lines.append(
            "- `excess` are events of unusual consumption during opening hours; `other` are "
            "detections without a fault family (unknown anomaly kinds, raw-data problems); on "
            "clean channels both count as false alarms."
        )
        lines.append("")
    if real_tables:
        lines += [
            "**Real-world phenomena** (issue 9; 9 channels: the 8 sub-meters and a noisy main "
            "meter that reads their sum, an unmetered remainder with afternoon cooling peaks and "
            "switching equipment, ±11 % interval to interval at 15 min; every night a 2–5 kW "
            "dusk-to-dawn load on one channel; weekend short-cycling on an HVAC channel; the "
            "building closed on Good Friday, the day after Thanksgiving and Christmas week, which "
            "the analytics' US-federal calendar does not know; holiday and post-holiday weeks "
            "always included; half the baselines with faults of their own). A consumption fault "
            "of a sub-meter found on the main meter as well is correct, not needed for recall. "
            "*findings* = detections of that family; rows without faults list what was "
            "detected that no fault explains (e.g. a catch-up reading reported as a demand "
            "spike).",
            "",
        ]
        lines += _family_table(real_tables, realistic=True)
        lines.append("")
        for name, table in real_tables.items():
            on_data = table[table["unmatched_on_data_artefacts"] > 0]
            if len(on_data):
                parts = ", ".join(
                    f"{int(r.unmatched_on_data_artefacts)} of {int(r.detections)} {r.family}"
                    for r in on_data.itertuples()
                )
                lines.append(
                    f"- {LABELS.get(name, name)}: findings that match no fault but lie on an "
                    f"outage's zeros, a catch-up reading or a gap: {parts}."
                )
        if lines[-1]:
            lines.append("")
    if clean_table is not None and len(clean_table):
        dets = [d for d in names if d in clean_table.columns]
        lines += [
            "**Clean-but-realistic weeks**: false findings per channel-week (every detection on "
            "a channel-week without a fault in the report week that matches no label; target "
            "≤ 0.05), by what the channel has:",
            "",
            "| channel-weeks with | channel-weeks | "
            + " | ".join(LABELS.get(d, d) for d in dets)
            + " |",
            "|---|---:|" + "---:|" * len(dets),
        ]
        for key, row in clean_table.iterrows():
            text = {"all": "all", "none": "none of these (a plain sub-meter)"}.get(
                key, FLAGS.get(key, key)
            )
            cells = [text, str(int(row["channel_weeks"]))] + [_fmt(row[d], 3) for d in dets]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if money:
        for det, summary in money.items():
            a, c = summary["all"], summary["clean"]
            parts = ", ".join(
                f"{v:,.0f} kWh {CAUSE_TEXT[k]}" for k, v in a["causes"].items() if v >= 0.5
            )
            lines.append(
                f"**Monetised kWh from artefacts** ({LABELS.get(det, det)}; target 0): "
                f"{a['artefact_kwh']:,.0f} kWh of the {a['savings_kwh']:,.0f} kWh of potential "
                f"savings on the {a['weeks']} realistic weeks ({a['artefact_kwh'] / max(a['weeks'], 1):,.1f} "
                f"kWh per site-week; {a['weeks_with_artefacts']} weeks with some), "
                f"{c['artefact_kwh']:,.0f} of {c['savings_kwh']:,.0f} kWh on the {c['weeks']} clean "
                f"ones. By cause: {parts or 'none'}. The rest, "
                f"{a['savings_kwh'] - a['artefact_kwh']:,.0f} kWh, is "
                f"{(a['savings_kwh'] - a['artefact_kwh']) / max(a['fault_kwh'], 1e-9):.0%} of the "
                f"{a['fault_kwh']:,.0f} kWh the injected consumption faults added. "
                f"The site's demand peak was a catch-up reading "
                f"in {a['peak_on_catch_up']} of the {a['catch_up_weeks']} weeks with one. "
                f"Standing loads listed to investigate (not counted as savings): "
                f"{a['investigate_kwh']:,.0f} kWh, {a['investigate_dusk_kwh']:,.0f} kWh of them "
                "on the channel with the dusk-to-dawn load."
            )
        lines += [
            "",
            "How the artefact kWh are counted: each quick win's potential savings (`weekly_kwh`) "
            "is split over its ledger evidence (the attributed excess of its channels and source "
            "in `analysis.ledger`, per interval; an anomaly win's evidence is its own events' "
            "intervals); the share on intervals that are not within 2 "
            "intervals of a labelled consumption fault of that channel (or of the main meter, "
            "which sees a sub-meter's fault), and the part of a fault's savings above 1.25 × the "
            "energy it added (the savings on the fault's own channel count first, then the main "
            "meter's), are artefacts (savings on an outage's zeros, a catch-up reading or "
            "a gap always are). Each artefact interval gets the first matching cause in the order "
            "listed above (data artefact on that channel, a baseline with faults, a holiday or "
            "closure in the week or the opening hours of a weekday closed in the baseline, the "
            "dusk-to-dawn load on, short-cycling on, the main meter, unexplained); above a "
            "fault's 1.25 × its energy, what no other cause explains is *overstated*.",
            "",
        ]
    tail = f"- Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/detection_quality.py --update-readme`"
    if seconds is not None:
        tail += f" in {seconds:.0f} s on {os.cpu_count()} cores"
    lines.append(tail + "; `--quick` runs 6 + 6 site-weeks in a few seconds.")
    return "\n".join(lines) + "\n"


def update_readme(text: str) -> bool:
    """Write the table into README.md; False when its markers are missing."""
    return update_section("detection-quality", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--site-weeks", type=int, default=120, help="classic site-weeks per seed (default 120)"
    )
    parser.add_argument(
        "--realistic-weeks", type=int, default=90, help="realistic site-weeks per seed (default 90)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="6 classic and 6 realistic site-weeks of seed 2024"
    )
    parser.add_argument(
        "--seed",
        type=int,
        action="append",
        help="seed of the week draw; repeat for several (default: 2024 and 7)",
    )
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--detectors", default="new,legacy", help="comma-separated: new, forest, legacy"
    )
    parser.add_argument("--output", help="also write the markdown tables to this file")
    parser.add_argument("--details", help="write every detection and label to this CSV prefix")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help=f"write the tables into README.md between {MARK_BEGIN} and {MARK_END}",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="threshold override for the new detectors, e.g. anomalies.rel_floor=0.1",
    )
    args = parser.parse_args(argv)
    n_classic, n_real = (6, 6) if args.quick else (args.site_weeks, args.realistic_weeks)
    seeds = tuple(args.seed) if args.seed else ((2024,) if args.quick else DEFAULT_SEEDS)
    cases_by_seed = {
        seed: site_weeks(n_classic, seed=seed) + realistic_weeks(n_real, seed=seed)
        for seed in seeds
    }
    cases = [c for seed in seeds for c in cases_by_seed[seed]]
    detectors = tuple(d for d in args.detectors.split(",") if d)
    unknown = sorted(set(detectors) - set(DETECTORS))
    if unknown or not detectors:
        parser.error(f"unknown detectors {unknown}; choose from {DETECTORS}")
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        overrides[key] = float(value) if value.replace(".", "", 1).isdigit() else value
    t0 = time.perf_counter()
    if args.workers > 1:
        with ProcessPoolExecutor(args.workers) as pool:
            results = list(
                pool.map(run_case, cases, [detectors] * len(cases), [overrides] * len(cases))
            )
    else:
        results = [run_case(c, detectors, overrides) for c in cases]
    seconds = time.perf_counter() - t0
    for case, result in zip(cases, results, strict=True):  # the case's facts beside its scores
        for d in detectors:
            result[d]["resolution_s"] = case.resolution_s
            result[d]["faulty"] = case.faulty
    classic = [r for c, r in zip(cases, results, strict=True) if not c.realistic]
    real = [r for c, r in zip(cases, results, strict=True) if c.realistic]
    tables = {d: aggregate(classic, d) for d in detectors} if classic else {}
    real_tables = {d: aggregate(real, d, REAL_FAMILIES) for d in detectors} if real else {}
    clean_table = clean_realistic(real, detectors) if real else None
    money = {d: money_summary(real, d) for d in detectors if d != "legacy"} if real else None
    per_seed = {}
    start = 0
    for seed in seeds:  # one or two seeds
        part = results[start : start + len(cases_by_seed[seed])]
        start += len(part)
        part_classic = [
            r for c, r in zip(cases_by_seed[seed], part, strict=True) if not c.realistic
        ]
        if part_classic:
            per_seed[seed] = {d: aggregate(part_classic, d) for d in detectors}
    text = markdown(
        tables,
        real_tables,
        clean_table,
        money,
        cases,
        seeds=seeds,
        per_seed=per_seed,
        seconds=seconds,
    )
    print(text)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
    if args.update_readme and not update_readme(text):
        print(f"README.md has no {MARK_BEGIN} ... {MARK_END} section; not updated", file=sys.stderr)
    if args.details:
        for d in detectors:
            pd.concat([r[d]["detections"] for r in results]).to_csv(f"{args.details}_{d}_det.csv")
        pd.concat([r[detectors[0]]["labels"] for r in results]).to_csv(f"{args.details}_labels.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
