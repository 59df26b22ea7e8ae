"""Simulated Wilson Center weeks with labelled faults, shared by the analytics and chart tests.

Each case simulates a baseline and a report week with known faults (``argo_lib.sim``) and
analyses it once per test session (cached), so every detector's tests read the same analysis.
"""

from __future__ import annotations

import functools

import pandas as pd
from conftest import INJECTED_RTOL

from argo_lib import analytics, config, dates
from argo_lib.analytics import analyse_site_week
from argo_lib.config import ChannelConfig, SiteSettings
from argo_lib.sim import WILSON_CHANNELS, WILSON_ORGANIZATION_ID, Fault, demo, simulate_readings

TZ = "America/New_York"
SCHEDULE_RTOL = 0.15  # the ramp intervals of an extended schedule sit below the margin
START_TOL_INTERVALS = 2  # spec D: start within 2 intervals of the labelled start
SITE = SiteSettings(
    site_id=WILSON_ORGANIZATION_ID,
    name="Wilson Center",
    timezone=TZ,
    holiday_country="US",
    channels=tuple(ChannelConfig(c.channel_id, c.name) for c in WILSON_CHANNELS),
)
KITCHEN_SMALL, KITCHEN_MAIN, RTU2, RTU3, RTU1 = 162319, 162285, 162119, 162120, 162320
WEEKS = ["2025-W41", "2026-W10"]  # a mild October week; the spring-forward week (167 h)
__all__ = ["INJECTED_RTOL"]  # re-exported for the detector tests

REPORT_WEEK = dates.report_week("2025-W41", tz=TZ)
"""The usual report week of these tests: a mild October week."""

CASES = [(w, r) for w in WEEKS for r in (900, 3600)]
IDS = [f"{w}-{r // 60}min" for w, r in CASES]


def faults(week: str) -> list[Fault]:
    period = dates.report_week(week, tz=TZ)

    def at(day: int, hour: float) -> pd.Timestamp:
        local = period.start.tz_localize(None) + pd.Timedelta(days=day, hours=hour)
        return local.tz_localize(TZ)

    return [
        # 40 kWh after hours: Tue 18:00 to Fri 07:00 is three 13-hour nights (39 h)
        Fault(KITCHEN_SMALL, "after_hours", at(1, 18), at(4, 7), size=40 / 39),
        Fault(RTU2, "spike", at(2, 14), at(2, 15), size=12.0),
        Fault(RTU3, "stuck", at(1, 10), at(1, 16)),
        Fault(KITCHEN_MAIN, "level_shift", at(3, 12), None, size=0.3, unit="fraction"),
        Fault(RTU1, "schedule_change", at(0, 0), at(4, 0), size=2.0, unit="h"),
    ]


@functools.lru_cache(maxsize=8)
def case(week: str, resolution_s: int, faulty: bool = True):
    period = dates.report_week(week, tz=TZ)
    base = dates.baseline_period(period)
    sim = simulate_readings(
        start=base.start,
        end=period.end,
        resolution_s=resolution_s,
        seed=3,
        faults=faults(week) if faulty else (),
    )
    analysis = analyse_site_week(sim.readings, site=SITE, period=period, baseline=base)
    return sim, analysis


__all__ = ["INJECTED_RTOL"]  # re-exported for the detector tests

CASES = [(w, r) for w in WEEKS for r in (900, 3600)]
IDS = [f"{w}-{r // 60}min" for w, r in CASES]


def fault_label(sim, kind: str) -> pd.Series:
    return sim.labels[sim.labels["kind"] == kind].iloc[0]


def simulated_week(label: str, *, faults: bool = True, resolution_s: int = 900, site=None):
    site = site or config.load_site("23271")  # the site file: names, roles, tariff
    period = dates.report_week(label, tz=site.tz)
    baseline = dates.baseline_period(period, weeks=4)
    sim = simulate_readings(
        start=baseline.start,
        end=period.end,
        resolution_s=resolution_s,
        seed=7,
        site=site,
        faults=demo.demo_faults(period) if faults else (),
    )
    analysis = analytics.analyse_site_week(sim.readings, site=site, period=period)
    return analysis, sim.readings


def simulate_week(
    resolution_s: int = 900,
    *,
    channels=None,
    faults=(),
    week: dates.Period = REPORT_WEEK,
    seed: int = 3,
):
    """Simulate a report week and its four baseline weeks (``argo_lib.sim.simulate_readings``)."""
    base = dates.baseline_period(week)
    return simulate_readings(
        start=base.start,
        end=week.end,
        resolution_s=resolution_s,
        seed=seed,
        channels=channels,
        faults=faults,
    )
