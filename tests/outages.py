"""A hand-built main meter with the real-world data problems of issue 9, shared by the tests.

A building's utility meter at hourly resolution: 5 kW at night, about 30 kW on weekday opening
hours (plus a cooling term driven by the outdoor temperature), 17–19 kW on Saturday daytime, and
±3 % noise. Onto it the tests put what the gateways of real buildings do: zero-filled outages
(runs of exact zeros, 13 h, 52 h, 27 h, 23 h in the baseline) and catch-up readings (the first
reading after a gap carrying the energy accumulated during it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.config import ChannelConfig, SiteSettings

TZ = "America/New_York"
WEEK = dates.report_week("2026-W47", tz=TZ)  # Mon 2026-11-16, an ordinary week
BASE = dates.baseline_period(WEEK)
MAIN = 1
SITE = SiteSettings(
    site_id="9",
    name="Real building",
    timezone=TZ,
    channels=(ChannelConfig(MAIN, "Main meter", role="main"),),
)
SATURDAY_KW = 18.0
"""Saturday daytime load (08:00–20:00) [kW]: the 17–19 kWh/h of the issue."""

BASELINE_OUTAGES = (
    ("2026-10-23 20:00", 52),  # Fri 20:00 -> Mon 00:00: Saturday 24 Oct
    ("2026-10-30 23:00", 27),  # Fri 23:00 -> Sun 02:00: Saturday 31 Oct
    ("2026-11-07 00:00", 23),  # Sat 00:00 -> Sat 23:00: Saturday 7 Nov
    ("2026-11-10 18:00", 13),  # Tue 18:00 -> Wed 07:00: a weeknight
)
"""Zero-filled outages of the baseline (local start, hours): 3 of its 4 Saturdays at zero."""


def temperature(index: pd.DatetimeIndex) -> pd.Series:
    """Outdoor temperature [°C]: 14 °C ± 8 °C daily swing, warmest at 15:00, a slow drift."""
    local = index.tz_convert(TZ)
    hour = np.asarray(local.hour + local.minute / 60.0)
    days = (index - index[0]) / pd.Timedelta(days=1)
    temp = 14.0 + 8.0 * np.cos((hour - 15.0) / 24.0 * 2 * np.pi) + 4.0 * np.sin(days / 5.0)
    return pd.Series(np.asarray(temp), index=index)


def main_meter(*, resolution_s: int = 3600, seed: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """Readings of the main meter over the baseline and the report week, and the temperature.

    Returns
    -------
    readings : pandas.DataFrame
        ``timestamp`` (UTC interval start), ``channel_id``, ``power_kw`` [kW], ``energy_kwh``
        [kWh] with ``energy_kwh == power_kw * dt``.
    temperature : pandas.Series
        Outdoor temperature [°C] on the same intervals.
    """
    index = dates.expected_index(dates.Period(BASE.start, WEEK.end), resolution_s=resolution_s)
    local = index.tz_convert(TZ)
    hour = np.asarray(local.hour)
    weekday = np.asarray(local.day_of_week)
    temp = temperature(index)
    open_weekday = (weekday < 5) & (hour >= 7) & (hour < 18)
    open_saturday = (weekday == 5) & (hour >= 8) & (hour < 20)
    cooling = 1.2 * np.maximum(temp.to_numpy() - 18.0, 0.0)
    load = np.where(open_weekday, 28.0 + cooling, np.where(open_saturday, SATURDAY_KW, 5.0))
    rng = np.random.default_rng(seed)
    power = load * (1.0 + 0.03 * rng.standard_normal(len(index)))
    readings = pd.DataFrame(
        {
            "timestamp": index,
            "channel_id": MAIN,
            "power_kw": power,
            "energy_kwh": power * resolution_s / 3600.0,
        }
    )
    return readings, temp


def during(readings: pd.DataFrame, start: str, hours: float) -> np.ndarray:
    """Rows of the readings in ``[start, start + hours)`` (site-local start)."""
    t0 = pd.Timestamp(start, tz=TZ)
    ts = readings["timestamp"]
    return ((ts >= t0) & (ts < t0 + pd.Timedelta(hours=hours))).to_numpy()


def zero_fill(readings: pd.DataFrame, outages=BASELINE_OUTAGES) -> pd.DataFrame:
    """The readings with each outage ``(local start, hours)`` back-filled with zeros."""
    out = readings.copy()
    for start, hours in outages:  # a few outages
        out.loc[during(out, start, hours), ["power_kw", "energy_kwh"]] = 0.0
    return out


def catch_up(readings: pd.DataFrame, start: str, hours: float, energy_kwh: float) -> pd.DataFrame:
    """A gap of ``hours`` from ``start`` (local), closed by a reading carrying ``energy_kwh``.

    The closing reading's power is its energy over the interval, as a meter that reports
    interval energy and derives the mean power from it would send.
    """
    gap = during(readings, start, hours)
    closing = readings["timestamp"] == pd.Timestamp(start, tz=TZ) + pd.Timedelta(hours=hours)
    dt_h = float((readings["timestamp"].iloc[1] - readings["timestamp"].iloc[0]).total_seconds())
    dt_h /= 3600.0
    out = readings.copy()
    out.loc[closing.to_numpy(), ["energy_kwh", "power_kw"]] = [energy_kwh, energy_kwh / dt_h]
    return out[~gap].reset_index(drop=True)
