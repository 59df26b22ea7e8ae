"""Hand-built buildings of issue 9, for the after-hours, anomaly and quick-win tests.

- :func:`night_building`: a site closed at weekends whose every night (weekends included) draws a
  steady dusk-to-dawn load above the closed-building level (5 kW at night against 2.9 kW on
  weekend days, as on the real building where the after-hours "waste" was 2-3x overstated);
  :func:`after_hours_load` adds equipment left running after hours on some nights.
- :func:`noisy_main`: a noisy 15-min main meter (~10 kW median in opening hours, 18 % white noise
  per reading, 6 % day-to-day level changes and a temperature-driven afternoon peak of a
  different height every day); :func:`excess` adds a sustained business-hours excess.

Every building covers the report week :data:`WEEK` and its four baseline weeks :data:`BASE`;
readings are for channel :data:`MAIN` of :data:`SITE`, one row per interval (no per-row loops).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.config import ChannelConfig, SiteSettings

TZ = "America/New_York"
MAIN = 1
SITE = SiteSettings(
    site_id="9",
    name="Issue 9 building",
    timezone=TZ,
    channels=(ChannelConfig(MAIN, "Main", role="main"),),
)
WEEK = dates.report_week("2025-W41", tz=TZ)  # Mon 6 Oct 2025, an ordinary week
BASE = dates.baseline_period(WEEK)

DUSK_H, DAWN_H = 19.0, 6.0  # the dusk-to-dawn load runs 19:00-06:00 local every night
NIGHT_HOURS = 7 * (24 - DUSK_H + DAWN_H)  # 77 h of darkness in the report week [h]

Extra = Callable[[pd.DatetimeIndex], np.ndarray]


def local_index(resolution_s: int) -> pd.DatetimeIndex:
    """Interval starts of the baseline and report weeks, site-local."""
    index = pd.date_range(BASE.start, WEEK.end, freq=f"{resolution_s}s", inclusive="left")
    return index.tz_convert(TZ)


def readings(index: pd.DatetimeIndex, kw: np.ndarray, channel_id: int = MAIN) -> pd.DataFrame:
    """Canonical readings of one channel from its mean power per interval."""
    dt_h = (index[1] - index[0]).total_seconds() / 3600.0
    return pd.DataFrame(
        {
            "timestamp": index.tz_convert("UTC"),
            "channel_id": channel_id,
            "power_kw": kw,
            "energy_kwh": kw * dt_h,
        }
    )


def _open(index: pd.DatetimeIndex) -> np.ndarray:
    hour = index.hour + index.minute / 60.0
    return (index.day_of_week < 5) & (hour >= 7) & (hour < 18)


def night_building(
    resolution_s: int = 900,
    *,
    night_kw: float = 5.0,
    closed_kw: float = 2.9,
    open_kw: float = 12.0,
    noise: float = 0.03,
    seed: int = 0,
    extra: Extra | None = None,
    night_from: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """A building with a steady dusk-to-dawn load every night.

    ``closed_kw`` when closed in daylight, ``night_kw`` from dusk to dawn (every night, from
    ``night_from`` if given), ``open_kw`` in opening hours (Mon-Fri 07-18), times
    ``1 + noise * N(0, 1)``; ``extra(index)`` adds power [kW].
    """
    index = local_index(resolution_s)
    hour = index.hour + index.minute / 60.0
    dark = (hour >= DUSK_H) | (hour < DAWN_H)
    if night_from is not None:
        dark &= index >= night_from
    kw = np.where(_open(index), open_kw, closed_kw) + np.where(dark, night_kw - closed_kw, 0.0)
    kw = kw * (1.0 + noise * np.random.default_rng(seed).standard_normal(len(index)))
    if extra is not None:
        kw = kw + extra(index)
    return readings(index, kw)


def after_hours_load(size_kw: float, start: str, end: str) -> Extra:
    """``size_kw`` on every after-hours interval between two site-local times."""
    a, b = pd.Timestamp(start, tz=TZ), pd.Timestamp(end, tz=TZ)

    def add(index: pd.DatetimeIndex) -> np.ndarray:
        return np.where((index >= a) & (index < b) & ~_open(index), size_kw, 0.0)

    return add


def noisy_main(
    seed: int, *, resolution_s: int = 900, excess: Callable | None = None
) -> pd.DataFrame:
    """A noisy main meter; ``excess(index, level)`` adds power [kW] on top."""
    index = local_index(resolution_s)
    rng = np.random.default_rng(seed)
    hour = index.hour + index.minute / 60.0
    occupied = np.clip(hour - 6.5, 0, 1) * np.clip(18.5 - hour, 0, 1) * (index.day_of_week < 5)
    day = index.normalize().asi8 // 86_400_000_000_000
    _, which_day = np.unique(day, return_inverse=True)
    n_days = int(which_day.max()) + 1
    hot = rng.uniform(0.0, 1.0, n_days)[which_day]  # how hot each afternoon was
    afternoon = np.exp(-0.5 * ((hour - 15.0) / 2.0) ** 2)
    level = 4.0 + 5.0 * occupied + 3.5 * occupied * afternoon * hot
    day_level = 1.0 + 0.06 * rng.standard_normal(n_days)[which_day]
    white = 1.0 + 0.18 * rng.standard_normal(len(index))
    kw = np.maximum(level * day_level * white, 0.2)
    if excess is not None:
        kw = kw + excess(index, level)
    return readings(index, kw)


def excess(
    start: pd.Timestamp, hours: float, low: float, high: float, *, seed: int = 1
) -> Callable:
    """A sustained excess of ``low``-``high`` times the building's usual level [-]."""
    end = start + pd.Timedelta(hours=hours)

    def add(index: pd.DatetimeIndex, level: np.ndarray) -> np.ndarray:
        share = np.random.default_rng(seed).uniform(low, high, len(index))
        return np.where((index >= start) & (index < end), share * level, 0.0)

    return add


def business_start(rng: np.random.Generator, hours: float) -> pd.Timestamp:
    """A random start on a quarter-hour of a report weekday, so that ``hours`` fit by 18:00."""
    day = int(rng.integers(0, 5))
    quarter = int(rng.integers(0, int((11 - hours) * 4) + 1))
    local = WEEK.start.tz_localize(None) + pd.Timedelta(days=day, hours=7 + quarter / 4)
    return local.tz_localize(TZ)


def added_kwh(clean: pd.DataFrame, changed: pd.DataFrame) -> float:
    """Energy a change added to the readings of the report week [kWh]."""
    in_week = np.asarray(WEEK.contains(clean["timestamp"]))
    return float((changed["energy_kwh"] - clean["energy_kwh"]).to_numpy()[in_week].sum())
