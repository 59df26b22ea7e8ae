"""How the simulated building consumes: calendar, weather and the load model.

Business-hours schedules in site-local wall-clock time (opening and closing ramps, staggered HVAC
start, weekends, public holidays, DST), a synthetic outdoor temperature with an HVAC response,
night base loads that are quiet but never constant, and the electrical fields of an Eniscope 8
Hybrid (voltage, current, power factor, ...). Every function works on arrays of base-interval
starts (Unix epoch seconds) and channels; noise comes from :mod:`argo_lib.sim.noise`, so each
value is a pure function of ``(seed, channel_id, interval start)``.

Examples
--------
>>> from argo_lib.sim.site import WILSON_SITE
>>> epochs = np.array([1764590400, 1764633600])  # Mon 2025-12-01 07:00 and 19:00 EST
>>> site_calendar(epochs, WILSON_SITE).business.tolist()
[True, False]
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError
from argo_lib.fields import READING_COLUMNS
from argo_lib.sim.grid import BASE_RESOLUTION_S, DAY_S, NS
from argo_lib.sim.noise import smooth_noise, stream_keys, uniform, white_noise
from argo_lib.sim.site import SimChannel

__all__ = [
    "ALL_FIELDS",
    "BASIC_FIELDS",
    "COOLING_BALANCE_C",
    "HEATING_BALANCE_C",
    "simulate_temperature",
]

BASIC_FIELDS: tuple[str, ...] = ("energy_kwh", "power_kw")
"""The reading columns of a basic simulation: energy [kWh] and power [kW]."""
ALL_FIELDS: tuple[str, ...] = tuple(c for c in READING_COLUMNS if c != "cost")
"""Every reading column the simulator produces (no ``cost``: no tariff is simulated)."""

ENERGY_FIELDS = ("energy_kwh", "energy_kwh_p1", "energy_kwh_p2", "energy_kwh_p3")
"""Counter fields: summed when intervals aggregate, scaled by an energy mismatch."""
SIGNED_FIELDS = (
    "energy_kwh",
    "power_kw",
    "reactive_power_kvar",
    *(f"{c}_p{i}" for c in ("energy_kwh", "power_kw") for i in (1, 2, 3)),
)
"""Fields whose sign flips with a reversed current transformer."""

HEATING_BALANCE_C = 16.0
"""Outdoor temperature below which the HVAC channels heat [°C]."""
COOLING_BALANCE_C = 21.0
"""Outdoor temperature above which the HVAC channels cool [°C]."""

_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)

# Stream tags: every random quantity has its own, so none are correlated.
_S_WHITE, _S_SLOW, _S_FAST, _S_TEMP_DAY, _S_TEMP_6H = 1, 2, 3, 4, 5
_S_VOLT, _S_VOLT_WHITE, _S_FREQ, _S_FREQ_WHITE, _S_PF, _S_THD, _S_NEUTRAL = range(10, 17)
_S_PHASE, _S_PHASE_T = 20, 30  # + phase number


# --------------------------------------------------------------------------------------------
# Temperature and calendar
# --------------------------------------------------------------------------------------------

_COLDEST_EPOCH_DAY = 10_976  # 2000-01-20, the coldest day of the year on average in New York


def outdoor_temperature(epochs: np.ndarray, seed: int) -> np.ndarray:
    """Outdoor temperature: seasonal + diurnal + smooth weather.

    Parameters
    ----------
    epochs : numpy.ndarray
        Instants, Unix epoch seconds [s].
    seed : int
        Seed of the weather noise.

    Returns
    -------
    numpy.ndarray
        Temperature at each instant [°C].
    """
    days = epochs / DAY_S
    seasonal = 12.5 - 11.5 * np.cos(2 * np.pi * (days - _COLDEST_EPOCH_DAY) / 365.2425)
    solar_h = (epochs / 3600.0 - 5.0) % 24.0  # local mean solar time at ~75° W
    diurnal = 4.0 * np.cos(2 * np.pi * (solar_h - 15.0) / 24.0)  # warmest 15:00, coldest 03:00
    weather = 3.0 * smooth_noise(stream_keys(seed, _S_TEMP_DAY, [0]), epochs, DAY_S)[0]
    weather += 1.0 * smooth_noise(stream_keys(seed, _S_TEMP_6H, [0]), epochs, 6 * 3600)[0]
    return seasonal + diurnal + weather


def simulate_temperature(index: pd.DatetimeIndex, *, seed: int = 0) -> pd.Series:
    """Synthetic outdoor temperature of the Wilson Center climate at the given instants.

    Seasonal cycle (≈ 1 °C in late January, ≈ 24 °C in late July), a diurnal cycle of ±4 °C
    (warmest at 15:00 solar time) and smooth weather noise (daily and 6-hourly knots). A pure
    function of ``(seed, instant)``.

    Parameters
    ----------
    index : pandas.DatetimeIndex
        Tz-aware instants (any zone).
    seed : int
        Seed of the weather noise.

    Returns
    -------
    pandas.Series
        ``temperature_c`` [°C] on ``index``.

    Raises
    ------
    UsageError
        If ``index`` is timezone-naive.

    Examples
    --------
    >>> idx = pd.date_range("2025-07-20 19:00", periods=2, freq="h", tz="UTC")
    >>> t = simulate_temperature(idx, seed=1)
    >>> bool(((t > 15) & (t < 40)).all()), t.name
    (True, 'temperature_c')
    """
    idx = pd.DatetimeIndex(index)
    if idx.tz is None:
        raise UsageError(
            "index is timezone-naive; localize it with .tz_localize('America/New_York') "
            "or build it with tz='UTC'"
        )
    ns = idx.as_unit("ns").asi8
    values = outdoor_temperature(ns / NS, seed)
    return pd.Series(values, index=index, name="temperature_c")


@dataclass(frozen=True)
class SiteCalendar:
    """Site-local schedule features of base-interval starts (one array entry per interval)."""

    day: np.ndarray  # local calendar day, days since 1970-01-01
    minute: np.ndarray  # local wall-clock minutes since midnight of the interval start
    open_min: np.ndarray  # local opening minute of the day, NaN when closed
    close_min: np.ndarray
    is_open: np.ndarray  # open day (not weekend-closed, not holiday)
    business: np.ndarray  # interval start within [open, close)
    closure: np.ndarray  # a day with opening hours on which the site is closed (holiday, closure)


@functools.lru_cache(maxsize=64)
def _holiday_days(country: str, subdivision: str | None, year0: int, year1: int) -> np.ndarray:
    from argo_lib.dates import holiday_dates

    days = holiday_dates(year0, year1, country=country, subdivision=subdivision)
    epoch = dt.date(1970, 1, 1)
    return np.array(sorted((d - epoch).days for d in days), dtype=np.int64)


def _closed_days(site: Any) -> np.ndarray:
    """Further closed days of a site (``closed_days``), as days since 1970-01-01."""
    days = getattr(site, "closed_days", None) or ()
    epoch = dt.date(1970, 1, 1)
    try:
        return np.array(sorted((d - epoch).days for d in days), dtype=np.int64)
    except TypeError as exc:
        raise UsageError(
            f"site.closed_days must hold datetime.date values, got {sorted(map(repr, days))}"
        ) from exc


def _site_table(site: Any) -> tuple[ZoneInfo, np.ndarray, np.ndarray, str | None, str | None]:
    """Zone, opening/closing minute per weekday (NaN closed), holiday country/subdivision."""
    try:
        tz = ZoneInfo(site.timezone)
        opens = np.full(7, np.nan)
        closes = np.full(7, np.nan)
        for wd in range(7):
            hours = site.opening_hours.for_weekday(wd)
            if hours is None:
                continue
            o = hours[0].hour * 60 + hours[0].minute
            c = hours[1].hour * 60 + hours[1].minute
            opens[wd], closes[wd] = o, (1440 if c == 0 else c)
        return tz, opens, closes, site.holiday_country, site.holiday_subdivision
    except (AttributeError, TypeError, KeyError) as exc:
        raise UsageError(
            "site must look like config.SiteSettings (timezone, opening_hours.for_weekday(i) -> "
            f"(time, time) | None, holiday_country, holiday_subdivision); got {site!r}: {exc}"
        ) from exc


def site_calendar(epochs: np.ndarray, site: Any) -> SiteCalendar:
    """Local wall-clock schedule features of interval starts.

    Parameters
    ----------
    epochs : numpy.ndarray
        Interval starts, Unix epoch seconds (int64) [s].
    site : SimSite or SiteSettings-like
        Time zone, opening hours per weekday and holiday calendar.

    Returns
    -------
    SiteCalendar
        Local day and minute, opening and closing minute (NaN when closed), open days and
        business intervals.

    Raises
    ------
    UsageError
        If ``site`` lacks the schedule attributes.
    """
    tz, opens, closes, country, subdivision = _site_table(site)
    utc = pd.DatetimeIndex((epochs * NS).view("M8[ns]")).tz_localize("UTC")
    wall = utc.tz_convert(tz).tz_localize(None).asi8  # local wall clock as naive ns
    day = wall // (DAY_S * NS)
    minute = (wall - day * DAY_S * NS) / (60 * NS)
    weekday = (day + _EPOCH_WEEKDAY) % 7
    open_min = opens[weekday]
    close_min = closes[weekday]
    has_hours = ~np.isnan(open_min)
    is_open = has_hours.copy()
    if country and day.size:
        y0 = (np.datetime64(int(day.min()), "D").astype("M8[Y]").astype(int)) + 1970
        y1 = (np.datetime64(int(day.max()), "D").astype("M8[Y]").astype(int)) + 1970
        is_open &= ~np.isin(day, _holiday_days(country, subdivision, int(y0), int(y1)))
    closed = _closed_days(site)
    if closed.size:
        is_open &= ~np.isin(day, closed)
    open_min = np.where(is_open, open_min, np.nan)
    close_min = np.where(is_open, close_min, np.nan)
    business = is_open & (minute >= np.nan_to_num(open_min)) & (minute < np.nan_to_num(close_min))
    return SiteCalendar(day, minute, open_min, close_min, is_open, business, has_hours & ~is_open)


# --------------------------------------------------------------------------------------------
# The load model
# --------------------------------------------------------------------------------------------


def _column(channels: Sequence[SimChannel], name: str) -> np.ndarray:
    return np.array([[getattr(c, name)] for c in channels], dtype=np.float64)


def occupancy(
    channels: Sequence[SimChannel],
    cal: SiteCalendar,
    *,
    open_shift_h: np.ndarray | None = None,
    close_shift_h: np.ndarray | None = None,
) -> np.ndarray:
    """Occupancy 0–1 per channel and interval, ramping at ``open − lead`` and ``close + lag``.

    Parameters
    ----------
    channels : sequence of SimChannel
        The channels (rows of the result).
    cal : SiteCalendar
        Schedule of the intervals (columns of the result).
    open_shift_h, close_shift_h : numpy.ndarray, optional
        Per-interval shift of the opening (earlier) or closing (later) ramp [h]; schedule-change
        faults use them.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(channels), n_intervals)`` [-].
    """
    ramp_min = 60.0 * _column(channels, "ramp_h")
    start = cal.open_min - 60.0 * _column(channels, "lead_h")
    stop = cal.close_min + 60.0 * _column(channels, "lag_h")
    if open_shift_h is not None:
        start = start - 60.0 * open_shift_h
    if close_shift_h is not None:
        stop = stop + 60.0 * close_shift_h
    up = np.clip((cal.minute - start + 15.0) / ramp_min, 0.0, 1.0)
    down = np.clip((stop - cal.minute) / ramp_min, 0.0, 1.0)
    return np.where(cal.is_open, up * down, 0.0)


def clean_power(
    channels: Sequence[SimChannel], cal: SiteCalendar, temp_c: np.ndarray, occ: np.ndarray
) -> np.ndarray:
    """Noise-free power per channel and interval.

    Parameters
    ----------
    channels : sequence of SimChannel
        The channels (rows of the result).
    cal : SiteCalendar
        Schedule of the intervals.
    temp_c : numpy.ndarray
        Outdoor temperature per interval [°C].
    occ : numpy.ndarray
        Occupancy from :func:`occupancy` [-].

    Returns
    -------
    numpy.ndarray
        Shape ``(len(channels), n_intervals)`` [kW].
    """
    power = _column(channels, "base_kw") + occ * _column(channels, "occupied_kw")
    midday = _column(channels, "midday_kw")
    if np.any(midday):
        lunch = np.exp(-0.5 * ((cal.minute - 720.0) / 90.0) ** 2)
        power = power + midday * lunch * occ
    heat = np.maximum(HEATING_BALANCE_C - temp_c, 0.0)
    cool = np.maximum(temp_c - COOLING_BALANCE_C, 0.0)
    weather = _column(channels, "heat_kw_per_c") * heat + _column(channels, "cool_kw_per_c") * cool
    share = _column(channels, "night_hvac_share")
    return power + weather * (share + (1.0 - share) * occ)


def noise_factor(channels: Sequence[SimChannel], epochs: np.ndarray, seed: int) -> np.ndarray:
    """Multiplicative noise ``1 + slow + fast + white``, always within (0.1, 1.9).

    Parameters
    ----------
    channels : sequence of SimChannel
        The channels (rows of the result); their noise amplitudes.
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    seed : int
        Simulation seed.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(channels), len(epochs))`` [-].
    """
    ids = [c.channel_id for c in channels]
    factor = 1.0 + _column(channels, "slow_noise") * smooth_noise(
        stream_keys(seed, _S_SLOW, ids), epochs, 12 * 3600
    )
    factor += _column(channels, "fast_noise") * smooth_noise(
        stream_keys(seed, _S_FAST, ids), epochs, 3600
    )
    factor += _column(channels, "white_noise") * white_noise(
        stream_keys(seed, _S_WHITE, ids), epochs
    )
    return factor


def _electrical(
    channels: Sequence[SimChannel], epochs: np.ndarray, power: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """Instant electrical fields derived from power per channel and interval."""
    ids = [c.channel_id for c in channels]
    n_c = len(channels)
    site = [0]
    volt = 120.0 + 0.35 * smooth_noise(stream_keys(seed, _S_VOLT, site), epochs, 6 * 3600)
    volt = volt + 0.4 * (uniform(stream_keys(seed, _S_VOLT, ids)) - 0.5)  # per-channel offset
    volt = volt + 0.05 * white_noise(stream_keys(seed, _S_VOLT_WHITE, ids), epochs)
    pf0 = _column(channels, "power_factor")
    room = np.clip(np.minimum(pf0 - 0.60, 0.95 - pf0), 0.0, 0.02)
    pf = pf0 + room * np.tanh(smooth_noise(stream_keys(seed, _S_PF, ids), epochs, 2 * 3600))
    freq = 60.0 + 0.03 * np.tanh(smooth_noise(stream_keys(seed, _S_FREQ, site), epochs, 3600))
    freq = freq + 0.015 * np.tanh(white_noise(stream_keys(seed, _S_FREQ_WHITE, site), epochs))
    freq = np.broadcast_to(freq, power.shape)
    magnitude = np.abs(power)
    current = magnitude * 1000.0 / (3.0 * volt * pf)
    tan_phi = np.sqrt(1.0 - pf * pf) / pf
    thd0 = np.clip(_column(channels, "thd_pct"), 4.0, 25.0)  # ±15 % stays inside 3–30 %
    thd = thd0 * (
        1.0 + 0.15 * np.tanh(smooth_noise(stream_keys(seed, _S_THD, ids), epochs, 3 * 3600))
    )
    imbalance = 0.05 + 0.1 * uniform(stream_keys(seed, _S_NEUTRAL, ids))
    neutral = (
        current
        * imbalance
        * (1.0 + 0.2 * np.tanh(white_noise(stream_keys(seed, _S_NEUTRAL, ids), epochs)))
    )
    out: dict[str, np.ndarray] = {
        "voltage_v": volt,
        "current_a": current,
        "power_factor": pf,
        "reactive_power_kvar": power * tan_phi,
        "apparent_power_kva": magnitude / pf,
        "frequency_hz": np.array(freq),
        "thd_current_pct": thd,
        "neutral_current_a": neutral,
    }
    # Phase shares ≈ 1/3 each: a fixed per-channel imbalance plus a slow drift, summing to 1.
    share = np.empty((3, n_c, epochs.size))
    for p in range(3):
        fixed = 0.12 * (uniform(stream_keys(seed, _S_PHASE + p, ids)) - 0.5)
        drift = 0.02 * np.tanh(
            smooth_noise(stream_keys(seed, _S_PHASE_T + p, ids), epochs, 6 * 3600)
        )
        share[p] = fixed + drift
    share -= share.mean(axis=0)
    share = (1.0 + share) / 3.0
    for p in range(3):
        v_p = volt + (-0.4, 0.1, 0.3)[p]
        pf_p = np.clip(pf + (-0.006, 0.0, 0.006)[p], 0.5, 1.0)
        p_p = power * share[p]
        out[f"power_kw_p{p + 1}"] = p_p
        out[f"voltage_v_p{p + 1}"] = np.broadcast_to(v_p, power.shape).copy()
        out[f"current_a_p{p + 1}"] = np.abs(p_p) * 1000.0 / (v_p * pf_p)
        out[f"power_factor_p{p + 1}"] = np.broadcast_to(pf_p, power.shape).copy()
    return out


def base_fields(
    channels: Sequence[SimChannel],
    epochs: np.ndarray,
    cal: SiteCalendar,
    temp_c: np.ndarray,
    seed: int,
    *,
    electrical: bool,
    power: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """All base-interval fields of the channels, from ``power`` or from the clean model.

    Parameters
    ----------
    channels : sequence of SimChannel
        The channels (rows).
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    cal : SiteCalendar
        Schedule of the intervals.
    temp_c : numpy.ndarray
        Outdoor temperature per interval [°C].
    seed : int
        Simulation seed.
    electrical : bool
        Also derive the electrical fields (voltage, current, power factor, phases, ...).
    power : numpy.ndarray, optional
        Power per channel and interval (faults applied) [kW]; default the clean model's.

    Returns
    -------
    dict of str to numpy.ndarray
        Field name (glossary column) → values of shape ``(len(channels), len(epochs))``.
    """
    if power is None:
        occ = occupancy(channels, cal)
        power = clean_power(channels, cal, temp_c, occ) * noise_factor(channels, epochs, seed)
    fields = {"power_kw": power}
    if electrical:
        fields.update(_electrical(channels, epochs, power, seed))
    dt_h = BASE_RESOLUTION_S / 3600.0
    fields["energy_kwh"] = power * dt_h
    if electrical:
        for p in (1, 2, 3):
            fields[f"energy_kwh_p{p}"] = fields[f"power_kw_p{p}"] * dt_h
    return fields
