"""Detection-quality benchmark of the weekly-brief analytics (analytics spec section D).

Scores the detectors on seeded simulated site-weeks of the Wilson Center with labelled faults:
report weeks drawn over a year (DST weeks always included), half at 15-min and half at hourly
resolution; two in three weeks carry one fault of every family (``argo_lib.sim.random_faults``), the
others are clean. The baseline (four weeks before) is always clean.

Scoring is event-level, as spec D says: a detected event matches a labelled fault of the same
family on the same channel when their time spans overlap. Per family it prints recall,
precision, false alarms per clean channel-week (detections of that family on channel-weeks
without any injected fault) and the start-time error of matched faults, measured from the first
interval the fault actually changed (found by diffing against the same simulation without
faults: an after-hours fault that starts at 10:00 first shows at closing time).

Each detector gets the simulator's outdoor temperature (``Simulation.temperature``), as the
weekly brief gets the site's weather; the legacy behaviour ignores it. Three detectors:

- ``new``: ``analytics.analyse_site_week`` with the default thresholds (time-of-week-and-
  temperature baseline where calibrated, robust profile elsewhere);
- ``forest``: the same with ``anomalies.method = "isolation_forest"`` (slow; not run by default);
- ``legacy``: the established behaviour of spec section A, with its faults (business hours and
  hour of week in UTC, staleness against "now", gaps only between readings, flatlines by row
  variance with only the first run reported, thin hour-of-week baselines without floors,
  15-minute unit assumption, 5 kW spike floor); it is implemented here, not in the library.

Run ``python benchmarks/detection_quality.py`` (new and legacy on 120 site-weeks for each of
the seeds 2024 and 7, about 30 s on two cores); ``--seed 7`` for one seed, ``--quick`` for a
smoke run, ``--detectors new,forest,legacy`` to add the Isolation Forest, ``--update-readme`` to
write the table into README.md, ``--output FILE`` to write it to a file.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
from readme_section import update_section

from argo_lib import dates
from argo_lib.analytics import analyse_site_week
from argo_lib.config import ChannelConfig, SiteSettings
from argo_lib.sim import (
    FAULT_KINDS,
    WILSON_CHANNELS,
    WILSON_ORGANIZATION_ID,
    random_faults,
    simulate_readings,
)
from argo_lib.thresholds import apply_overrides

FAMILIES = FAULT_KINDS
DETECTORS = ("new", "forest", "legacy")
DEFAULT_SEEDS = (2024, 7)
README = Path(__file__).resolve().parent.parent / "README.md"
MARK_BEGIN, MARK_END = "<!-- detection-quality:begin -->", "<!-- detection-quality:end -->"
_NS_H = 3_600_000_000_000

ISSUE_FAMILY = {
    "no_data": "silent",
    "stale_data": "silent",
    "missing_data": "gap",
    "stuck_sensor": "stuck",
    "negative_values": "negative",
    "energy_power_mismatch": "mismatch",
    "low_completeness": None,  # a weekly summary of the gap and silent events, not an event
}
ANOMALY_FAMILY = {
    "after_hours": "after_hours",
    "schedule_change": "schedule_change",
    "unusual_consumption": "other",
}

SITE = SiteSettings(
    site_id=WILSON_ORGANIZATION_ID,
    name="Wilson Center",
    timezone="America/New_York",
    holiday_country="US",
    channels=tuple(ChannelConfig(c.channel_id, c.name) for c in WILSON_CHANNELS),
)
DST_WEEKS = ("2025-W44", "2026-W10")  # fall back 2025-11-02, spring forward 2026-03-08


@dataclasses.dataclass(frozen=True)
class SiteWeek:
    """One benchmark case."""

    week: str
    resolution_s: int
    seed: int
    faulty: bool


def site_weeks(n: int, *, seed: int = 2024) -> list[SiteWeek]:
    """Draw ``n`` report weeks between 2025-06 and 2026-04 (DST weeks always included)."""
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


# --------------------------------------------------------------------------------------------
# Detections of the new analytics


def new_detections(analysis) -> pd.DataFrame:
    """Events of the analysis as (channel_id, family, start, end)."""
    parts = []
    h = analysis.health
    fam = h["type"].map(ISSUE_FAMILY)
    fam = fam.where(h["type"].isin(list(ISSUE_FAMILY)), "other")
    h = h.assign(family=fam)[fam.notna().to_numpy()]
    parts.append(h[["channel_id", "family", "start", "end"]])
    s = analysis.spikes
    parts.append(s.assign(family="spike")[["channel_id", "family", "start", "end"]])
    a = analysis.anomalies
    parts.append(
        a.assign(family=a["kind"].map(ANOMALY_FAMILY))[["channel_id", "family", "start", "end"]]
    )
    ls = analysis.level_shifts
    ls = ls[ls["scope"] == "channel"]  # site-wide changes are context, not channel faults
    parts.append(ls.assign(family="level_shift")[["channel_id", "family", "start", "end"]])
    parts = [p for p in parts if len(p)]
    if not parts:
        return _empty_detections()
    return pd.concat(parts, ignore_index=True)


def _empty_detections() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype=np.int64),
            "family": pd.Series(dtype=object),
            "start": pd.Series(dtype="datetime64[ns, UTC]"),
            "end": pd.Series(dtype="datetime64[ns, UTC]"),
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


def score_case(det: pd.DataFrame, labels: pd.DataFrame, channels: list[int], res: int) -> dict:
    """Counts of one site-week for one detector."""
    out = {f: dict(labels=0, found=0, det=0, tp=0, fa=0, timing=[]) for f in (*FAMILIES, "other")}
    labelled = set(labels["channel_id"].tolist())
    clean = [c for c in channels if c not in labelled]
    for lab in labels.itertuples():
        rec = out[lab.kind]
        rec["labels"] += 1
        m = det[
            (det["channel_id"] == lab.channel_id)
            & (det["family"] == lab.kind)
            & (det["start"] < lab.end)
            & (det["end"] > lab.start)
        ]
        if len(m):
            rec["found"] += 1
            err = (m["start"] - lab.effective_start).abs() / pd.Timedelta(seconds=res)
            rec["timing"].append(float(err.min()))
    for d in det.itertuples():
        rec = out[d.family]
        rec["det"] += 1
        m = labels[
            (labels["channel_id"] == d.channel_id)
            & (labels["kind"] == d.family)
            & (labels["start"] < d.end)
            & (labels["end"] > d.start)
        ]
        if len(m):
            rec["tp"] += 1
        if d.channel_id in clean:
            rec["fa"] += 1
    return {"families": out, "clean_channel_weeks": len(clean)}


def run_case(
    case: SiteWeek, detectors: tuple[str, ...] = DETECTORS, overrides: dict | None = None
) -> dict[str, dict]:
    """Simulate one site-week and score every detector on it."""
    period = dates.report_week(case.week, tz=SITE.timezone)
    baseline = dates.baseline_period(period)
    faults = (
        random_faults(period=period, seed=case.seed, resolution_s=case.resolution_s)
        if case.faulty
        else ()
    )
    sim = simulate_readings(
        start=baseline.start,
        end=period.end,
        resolution_s=case.resolution_s,
        seed=case.seed,
        faults=faults,
    )
    labels = sim.labels.copy()
    labels["start"] = labels["start"].dt.as_unit("ns")
    labels["end"] = labels["end"].dt.as_unit("ns")
    if len(labels):
        clean = simulate_readings(
            start=period.start, end=period.end, resolution_s=case.resolution_s, seed=case.seed
        ).readings
        labels["effective_start"] = effective_starts(sim.readings, clean, labels)
    else:
        labels["effective_start"] = labels["start"]
    channels = [c.channel_id for c in WILSON_CHANNELS]
    results = {}
    for name in detectors:  # three detectors
        t0 = time.perf_counter()
        if name == "legacy":
            det = legacy_detections(
                sim.readings, period=period, baseline=baseline, res=case.resolution_s
            )
        else:
            thresholds = apply_overrides(SITE.thresholds, overrides or {})
            if name == "forest":
                thresholds = apply_overrides(thresholds, {"anomalies.method": "isolation_forest"})
            analysis = analyse_site_week(
                sim.readings,
                site=SITE,
                period=period,
                baseline=baseline,
                thresholds=thresholds,
                temperature=sim.temperature,
            )
            det = new_detections(analysis)
        scored = score_case(det, labels, channels, case.resolution_s)
        scored["seconds"] = time.perf_counter() - t0
        scored["detections"] = det.assign(case=case.week, res=case.resolution_s)
        scored["labels"] = labels.assign(case=case.week, res=case.resolution_s)
        results[name] = scored
    return results


def aggregate(results: list[dict[str, dict]], detector: str) -> pd.DataFrame:
    """Per-family table of one detector."""
    rows = []
    clean = sum(r[detector]["clean_channel_weeks"] for r in results)
    for fam in (*FAMILIES, "other"):
        recs = [r[detector]["families"][fam] for r in results]
        labels = sum(x["labels"] for x in recs)
        found = sum(x["found"] for x in recs)
        det = sum(x["det"] for x in recs)
        tp = sum(x["tp"] for x in recs)
        fa = sum(x["fa"] for x in recs)
        timing = np.array([t for x in recs for t in x["timing"]])
        rows.append(
            {
                "family": fam,
                "labels": labels,
                "recall": found / labels if labels else np.nan,
                "detections": det,
                "precision": tp / det if det else np.nan,
                "false_alarms_per_clean_channel_week": fa / clean if clean else np.nan,
                "start_within_2_intervals": float(np.mean(timing <= 2)) if timing.size else np.nan,
                "median_start_error_intervals": float(np.median(timing)) if timing.size else np.nan,
            }
        )
    table = pd.DataFrame(rows)
    total_fa = sum(x["fa"] for r in results for x in r[detector]["families"].values())
    table.attrs["false_alarms_per_clean_channel_week"] = total_fa / clean if clean else np.nan
    table.attrs["clean_channel_weeks"] = clean
    table.attrs["seconds"] = sum(r[detector]["seconds"] for r in results)
    return table


def _fmt(x: float, digits: int = 2) -> str:
    return "–" if x is None or (isinstance(x, float) and np.isnan(x)) else f"{x:.{digits}f}"


LABELS = {"new": "new default", "forest": "Isolation Forest", "legacy": "section-A legacy"}
TARGETS = {"recall": 0.95, "precision": 0.90, "false_alarms": 0.1}


def _cases_text(cases: list[SiteWeek], seeds: tuple[int, ...]) -> str:
    n15 = sum(c.resolution_s == 900 for c in cases)
    seed_text = " and ".join(str(s) for s in seeds)
    return (
        f"{len(cases)} simulated Wilson Center site-weeks (8 channels each; week-draw "
        f"seed{'s' if len(seeds) > 1 else ''} {seed_text}, {len(cases) // len(seeds)} per seed; "
        f"{n15} at 15-min and {len(cases) - n15} at hourly resolution; "
        f"{sum(c.faulty for c in cases)} with one fault of each family, "
        f"{sum(not c.faulty for c in cases)} clean; DST weeks included)"
    )


def markdown(
    tables: dict[str, pd.DataFrame],
    cases: list[SiteWeek],
    *,
    seeds: tuple[int, ...] = (2024,),
    per_seed: dict[int, dict[str, pd.DataFrame]] | None = None,
) -> str:
    """The comparison table as markdown (README section)."""
    names = list(tables)
    lines = [
        f"Detection quality on {_cases_text(cases, seeds)}. Each detector gets the simulated "
        "outdoor temperature (the legacy behaviour ignores it). Event-level scoring (spec D): a "
        "detection matches a fault of the same family on the same channel when their spans "
        "overlap. *FA* = false alarms per clean channel-week (detections on channel-weeks "
        "without an injected fault); *start* = share of matched faults detected within 2 "
        "intervals of the first interval the fault changed. Targets: recall ≥ 0.95, "
        "precision ≥ 0.90, FA ≤ 0.1, start within 2 intervals.",
        "",
        "| family | faults | "
        + " | ".join(f"{LABELS.get(d, d)}: recall | precision | FA | start" for d in names).replace(
            ": recall", " recall"
        )
        + " |",
        "|---|---:|" + "---:|" * (4 * len(names)),
    ]
    first = tables[names[0]]
    for i, fam in enumerate(first["family"]):
        cells = [fam, str(int(first.loc[i, "labels"]))]
        for name in names:
            row = tables[name].loc[i]
            cells += [
                _fmt(row["recall"]),
                _fmt(row["precision"]),
                _fmt(row["false_alarms_per_clean_channel_week"], 3),
                _fmt(row["start_within_2_intervals"]),
            ]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for name in names:
        table = tables[name]
        lines.append(
            f"- {LABELS.get(name, name)}: {table.attrs['false_alarms_per_clean_channel_week']:.3f} "
            f"false alarms per clean channel-week in all ({table.attrs['clean_channel_weeks']} "
            f"clean channel-weeks); {table.attrs['seconds'] / len(cases) * 1000:.0f} ms per "
            "site-week."
        )
    if per_seed and len(per_seed) > 1:
        for seed, by_detector in per_seed.items():
            table = by_detector[names[0]]
            faults = table[table["labels"] > 0]
            worst_r = faults.loc[faults["recall"].idxmin()]
            worst_p = faults.loc[faults["precision"].idxmin()]
            worst_s = faults.loc[faults["start_within_2_intervals"].idxmin()]
            lines.append(
                f"- Seed {seed} alone, {LABELS.get(names[0], names[0])}: lowest recall "
                f"{worst_r['recall']:.2f} ({worst_r['family']}), lowest precision "
                f"{worst_p['precision']:.2f} ({worst_p['family']}), lowest start accuracy "
                f"{worst_s['start_within_2_intervals']:.2f} ({worst_s['family']}), "
                f"{table.attrs['false_alarms_per_clean_channel_week']:.3f} false alarms per "
                "clean channel-week."
            )
    lines.append(
        "- `other` are detections without a fault family (unusual consumption during opening "
        "hours, zero runs, raw-data problems); they count as false alarms on clean channels."
    )
    lines.append(
        f"- Measured {time.strftime('%Y-%m-%d')} with `python benchmarks/detection_quality.py"
        " --update-readme`."
    )
    return "\n".join(lines) + "\n"


def update_readme(text: str) -> bool:
    """Write the table into README.md; False when its markers are missing."""
    return update_section("detection-quality", text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--site-weeks", type=int, default=120, help="site-weeks per seed (default 120)"
    )
    parser.add_argument("--quick", action="store_true", help="12 site-weeks per seed")
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
    parser.add_argument("--output", help="also write the markdown table to this file")
    parser.add_argument("--details", help="write every detection and label to this CSV prefix")
    parser.add_argument(
        "--update-readme",
        action="store_true",
        help=f"write the table into README.md between {MARK_BEGIN} and {MARK_END}",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="threshold override for the new detectors, e.g. anomalies.rel_floor=0.1",
    )
    args = parser.parse_args(argv)
    n = 12 if args.quick else args.site_weeks
    seeds = tuple(args.seed) if args.seed else DEFAULT_SEEDS
    cases_by_seed = {seed: site_weeks(n, seed=seed) for seed in seeds}
    cases = [c for seed in seeds for c in cases_by_seed[seed]]
    detectors = tuple(d for d in args.detectors.split(",") if d)
    unknown = sorted(set(detectors) - set(DETECTORS))
    if unknown:
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
    tables = {d: aggregate(results, d) for d in detectors}
    per_seed = {}
    start = 0
    for seed in seeds:  # one or two seeds
        part = results[start : start + len(cases_by_seed[seed])]
        start += len(part)
        per_seed[seed] = {d: aggregate(part, d) for d in detectors}
    text = markdown(tables, cases, seeds=seeds, per_seed=per_seed)
    if len(seeds) > 1:
        for seed in seeds:
            print(f"Seed {seed} alone:")
            print(markdown(per_seed[seed], cases_by_seed[seed], seeds=(seed,)))
    print(text)
    print(f"({time.perf_counter() - t0:.1f} s)")
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
