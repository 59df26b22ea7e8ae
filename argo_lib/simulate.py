"""A deterministic simulator of the Wilson Center's metered channels, with labelled faults.

The simulator feeds the demo database, the fake Eniscope server and the detection benchmark
(analytics spec section D). It models business-hours schedules in site-local wall-clock time
(opening and closing ramps, staggered HVAC start, weekends, public holidays, DST), a synthetic
outdoor temperature with an HVAC response, night base loads that are quiet but never constant,
and the electrical fields of an Eniscope 8 Hybrid (voltage, current, power factor, ...).

Every value is a pure function of ``(seed, channel_id, interval start)``: random numbers come
from counter-based hashing (SplitMix64 of the 900 s interval counter) and smooth noise from hashed
knots interpolated in time, never from a sequential random generator over the requested window.
Any two overlapping windows therefore give identical values, and hourly readings are exactly the
aggregate of the 900 s base grid (energy summed, instants averaged).

Examples
--------
>>> sim = simulate_readings(
...     start="2025-12-01T00:00-05:00", end="2025-12-02T00:00-05:00", resolution_s=3600
... )
>>> len(sim.readings), sim.readings["channel_id"].nunique()
(192, 8)
>>> sim.labels.empty
True
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from argo_lib.fields import READING_COLUMNS

__all__ = [
    "ALL_FIELDS",
    "BASE_RESOLUTION_S",
    "BASIC_FIELDS",
    "CHANNEL_METADATA",
    "FAULT_KINDS",
    "HOME_KIT_CHANNELS",
    "NON_ENERGY_CHANNELS",
    "RESOLUTIONS_S",
    "WILSON_CHANNELS",
    "WILSON_INSTALLED",
    "WILSON_ORGANIZATION_ID",
    "WILSON_SITE",
    "ChannelMeta",
    "Fault",
    "SimChannel",
    "SimSite",
    "Simulation",
    "WeeklyHours",
    "build_site_frame",
    "channel_records",
    "device_records",
    "random_faults",
    "simulate_readings",
    "simulate_temperature",
    "synthetic_channels",
]

logger = logging.getLogger(__name__)

BASE_RESOLUTION_S = 900
"""Base grid of the simulator [s]; aligned to UTC epoch multiples."""

RESOLUTIONS_S: tuple[int, ...] = (900, 1800, 3600)
"""Output resolutions of :func:`simulate_readings` [s]; coarser ones aggregate the base grid."""

BASIC_FIELDS: tuple[str, ...] = ("energy_kwh", "power_kw")
ALL_FIELDS: tuple[str, ...] = tuple(c for c in READING_COLUMNS if c != "cost")
"""Every reading column the simulator produces (no ``cost``: no tariff is simulated)."""

_ENERGY_FIELDS = ("energy_kwh", "energy_kwh_p1", "energy_kwh_p2", "energy_kwh_p3")
_SIGNED_FIELDS = (
    "energy_kwh",
    "power_kw",
    "reactive_power_kvar",
    *(f"{c}_p{i}" for c in ("energy_kwh", "power_kw") for i in (1, 2, 3)),
)

WILSON_ORGANIZATION_ID = "23271"
WILSON_INSTALLED = pd.Timestamp("2025-04-29 00:00", tz="America/New_York")
"""Backfill start of the Wilson Center (API spec section 9); the fake server has no earlier data."""

FAULT_KINDS: tuple[str, ...] = (
    "gap",
    "silent",
    "stuck",
    "spike",
    "after_hours",
    "schedule_change",
    "level_shift",
    "negative",
    "mismatch",
)
"""Fault families of analytics spec section D."""

_FAULT_UNITS: dict[str, tuple[str | None, ...]] = {
    "gap": (None,),
    "silent": (None,),
    "stuck": (None,),
    "spike": ("kW",),
    "after_hours": ("kW",),
    "schedule_change": ("h",),
    "level_shift": ("kW", "fraction"),
    "negative": (None,),
    "mismatch": ("fraction",),
}
_OPEN_ENDED = ("silent", "stuck", "level_shift", "after_hours", "schedule_change", "negative")

HEATING_BALANCE_C = 16.0
"""Outdoor temperature below which the HVAC channels heat [°C]."""
COOLING_BALANCE_C = 21.0
"""Outdoor temperature above which the HVAC channels cool [°C]."""

_NS = 1_000_000_000
_DAY_S = 86_400
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)


# --------------------------------------------------------------------------------------------
# Site schedule
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyHours:
    """Opening hours per weekday in site-local wall-clock time (Monday first).

    Parameters
    ----------
    days : tuple
        Seven entries: ``(open, close)`` as :class:`datetime.time`, or None when closed all day.
        An interval whose start is in ``[open, close)`` is business time; a close of 00:00 means
        the end of the day.
    """

    days: tuple[tuple[dt.time, dt.time] | None, ...] = (
        *((dt.time(7), dt.time(18)),) * 5,
        None,
        None,
    )

    def for_weekday(self, weekday: int) -> tuple[dt.time, dt.time] | None:
        """Return the opening and closing time of a weekday (Monday = 0), or None when closed.

        Parameters
        ----------
        weekday : int
            Monday = 0 … Sunday = 6.

        Returns
        -------
        tuple of datetime.time or None
            ``(open, close)``.
        """
        return self.days[weekday]


@dataclass(frozen=True)
class SimSite:
    """The site settings the simulator needs; ``config.SiteSettings`` fits the same shape.

    Parameters
    ----------
    timezone : str
        IANA zone of the site; schedules follow its wall clock.
    opening_hours : WeeklyHours
        Opening hours per weekday (anything with ``for_weekday``).
    holiday_country, holiday_subdivision : str or None
        ``holidays`` package calendar; holidays are closed all day. None: no holidays.
    """

    timezone: str = "America/New_York"
    opening_hours: Any = field(default_factory=WeeklyHours)
    holiday_country: str | None = "US"
    holiday_subdivision: str | None = None


WILSON_SITE = SimSite()
"""Wilson Center defaults: America/New_York, Mon–Fri 07:00–18:00, US federal holidays."""


# --------------------------------------------------------------------------------------------
# Channels
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SimChannel:
    """One simulated metered channel: identity, typical level and load-shape parameters.

    The interval mean power is ``(base + occupancy·occupied + lunch bump + HVAC) × (1 + noise)``;
    occupancy ramps from 0 to 1 around the site's opening hours, shifted by ``lead_h``/``lag_h``.

    Parameters
    ----------
    channel_id : int
        Eniscope ``dataChannelId``.
    name : str
        Exact ``channelName``.
    uu_id : str
        16-hex-digit ``uuId`` of the metering point.
    typical_avg_kw : float
        Typical average power from API spec section 9 (a December average) [kW].
    power_factor : float
        Mean power factor of the channel, 0.60–0.95 [-].
    base_kw : float
        Load while closed, mild weather [kW].
    occupied_kw : float
        Extra load while fully occupied [kW].
    heat_kw_per_c, cool_kw_per_c : float
        Extra load per °C below :data:`HEATING_BALANCE_C` / above :data:`COOLING_BALANCE_C`
        while occupied [kW/°C]; ``night_hvac_share`` of it while closed.
    midday_kw : float
        Height of a lunch bump centred on 12:00 local (kitchens) [kW].
    lead_h, lag_h : float
        Start before opening / stop after closing (negative: after / before) [h].
    ramp_h : float
        Length of the morning and evening ramps [h]; at least 0.25.
    night_hvac_share : float
        Share of the weather response that remains while closed (night setback) [-].
    slow_noise, fast_noise, white_noise : float
        Relative amplitudes of day-scale smooth noise, hour-scale smooth noise (equipment cycling)
        and per-interval noise [-]. Their sum times 3.47 (the bound of the noise) must stay < 0.9,
        so power is always positive and never constant.
    thd_pct : float
        Typical current THD [%]; used within 4–25 so that its ±15 % variation stays in 3–30 %.
    role : str
        ``"sub"`` or ``"main"``.
    """

    channel_id: int
    name: str
    uu_id: str
    typical_avg_kw: float
    power_factor: float
    base_kw: float
    occupied_kw: float
    heat_kw_per_c: float = 0.0
    cool_kw_per_c: float = 0.0
    midday_kw: float = 0.0
    lead_h: float = 0.0
    lag_h: float = 0.0
    ramp_h: float = 0.5
    night_hvac_share: float = 0.3
    slow_noise: float = 0.05
    fast_noise: float = 0.03
    white_noise: float = 0.03
    thd_pct: float = 10.0
    role: str = "sub"

    def __post_init__(self) -> None:
        if self.base_kw <= 0:
            raise ValueError(
                f"SimChannel {self.channel_id}: base_kw must be > 0 (a quiet base load is never "
                f"zero), got {self.base_kw}"
            )
        if not 0.5 <= self.power_factor <= 1.0:
            raise ValueError(
                f"SimChannel {self.channel_id}: power_factor must be in [0.5, 1], "
                f"got {self.power_factor}"
            )
        if self.ramp_h < 0.25:
            raise ValueError(
                f"SimChannel {self.channel_id}: ramp_h must be >= 0.25 h (one base interval), "
                f"got {self.ramp_h}"
            )
        bound = (self.slow_noise + self.fast_noise + self.white_noise) * 2 * math.sqrt(3)
        if bound >= 0.9:
            raise ValueError(
                f"SimChannel {self.channel_id}: noise amplitudes too large (bound {bound:.2f}); "
                "keep (slow_noise + fast_noise + white_noise) below 0.26"
            )

    @property
    def nominal_kw(self) -> float:
        """Business-hours level in mild weather (base + occupied + lunch bump) [kW]."""
        return self.base_kw + self.occupied_kw + self.midday_kw


def _hvac(cid, name, uu, typical, pf, base, occ, heat, cool, lead, thd, **kw) -> SimChannel:
    return SimChannel(
        cid, name, uu, typical, pf, base, occ, heat, cool, lead_h=lead, thd_pct=thd, **kw
    )


WILSON_CHANNELS: tuple[SimChannel, ...] = (
    _hvac(162119, "RTU-2_WCDS_Wilson Ctr", "44B7D0E9B3C00004", 0.03, 0.65,
          0.019, 0.018, 0.0006, 0.004, 0.25, 25.0),
    _hvac(162120, "RTU-3_WCDS_Wilson Ctr", "44B7D0E9B3C00005", 1.10, 0.83,
          0.42, 0.90, 0.045, 0.15, 0.75, 12.0),
    _hvac(162121, "AHU-2_WCDS_Wilson Ctr", "44B7D0E9B3C00006", 6.21, 0.88,
          5.05, 0.65, 0.04, 0.10, 1.5, 24.0, night_hvac_share=0.5,
          slow_noise=0.025, fast_noise=0.015, white_noise=0.012),
    _hvac(162122, "AHU-1A_WCDS_Wilson Ctr", "44B7D0E9B3C00007", 0.26, 0.82,
          0.14, 0.17, 0.007, 0.02, 0.5, 20.0),
    _hvac(162123, "AHU-1B_WCDS_Wilson Ctr", "44B7D0E9B3C00008", 0.07, 0.78,
          0.038, 0.045, 0.0018, 0.006, 0.5, 22.0),
    SimChannel(162285, "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr", "44B7D0E9B3C00001",
               1.34, 0.62, 0.85, 0.65, midday_kw=1.3, lead_h=1.0, lag_h=-1.0, ramp_h=0.75,
               slow_noise=0.05, fast_noise=0.09, white_noise=0.04, thd_pct=18.0),
    SimChannel(162319, "CDKH_Kitchen Panel(small)_WCDS_Wilson Ctr", "44B7D0E9B3C00002",
               0.50, 0.72, 0.34, 0.28, midday_kw=0.35, lead_h=0.5, lag_h=-1.0,
               slow_noise=0.05, fast_noise=0.07, white_noise=0.04, thd_pct=15.0),
    _hvac(162320, "RTU-1_WCDS_Wilson Ctr", "44B7D0E9B3C00003", 2.50, 0.85,
          1.15, 1.55, 0.09, 0.35, 1.0, 10.0, night_hvac_share=0.35),
)  # fmt: skip
"""The eight metered Wilson Center channels (API spec section 9), sorted by channel id.

Calibrated so that December channel means are ≈ 0.9 × ``typical_avg_kw`` (site mean ≈ 10.9 kW,
within the 10.7–12 kW the spec reports; ≈ 8,100 kWh per December) and the site peaks near 17 kW.
"""

HOME_KIT_CHANNELS: tuple[SimChannel, ...] = (
    SimChannel(158694, "Dryer", "44B7D0E9B3C10001", 0.15, 0.95, 0.004, 0.25, lead_h=-3.0,
               lag_h=-4.0, slow_noise=0.08, fast_noise=0.12, white_noise=0.05),
    SimChannel(158696, "A/C 3", "44B7D0E9B3C10002", 0.40, 0.85, 0.02, 0.35, 0.0, 0.08),
    SimChannel(158697, "A/C 0", "44B7D0E9B3C10003", 0.40, 0.85, 0.02, 0.35, 0.0, 0.08),
    SimChannel(158698, "Microwave", "44B7D0E9B3C10004", 0.05, 0.90, 0.003, 0.04,
               midday_kw=0.15, fast_noise=0.12, white_noise=0.06),
    SimChannel(158699, "Refrigerator", "44B7D0E9B3C10005", 0.12, 0.75, 0.10, 0.03,
               fast_noise=0.14, white_noise=0.05),
    SimChannel(158700, "Oven", "44B7D0E9B3C10006", 0.10, 0.95, 0.002, 0.05, midday_kw=0.35),
    SimChannel(158701, "A/C 6", "44B7D0E9B3C10007", 0.40, 0.85, 0.02, 0.35, 0.0, 0.08),
    SimChannel(158702, "Washing Machine", "44B7D0E9B3C10008", 0.05, 0.70, 0.002, 0.08,
               lead_h=-2.0, lag_h=-5.0, fast_noise=0.12, white_noise=0.05),
    SimChannel(159024, "Test - Dryer", "44B7D0E9B3C10009", 0.15, 0.95, 0.004, 0.25,
               lead_h=-3.0, lag_h=-4.0, slow_noise=0.08, fast_noise=0.12, white_noise=0.05),
)  # fmt: skip
"""The home-appliance kit in the org's channel list (not part of the Wilson analysis)."""

_KNOWN_CHANNELS = {c.channel_id: c for c in (*WILSON_CHANNELS, *HOME_KIT_CHANNELS)}


@dataclass(frozen=True)
class ChannelMeta:
    """Channel metadata as the fake Eniscope server lists it (device ids are invented, stable).

    Parameters
    ----------
    channel_id : int
        ``dataChannelId``.
    name : str
        ``channelName``.
    uu_id : str
        ``uuId`` of the channel's device.
    device_id : int
        ``deviceId`` (invented).
    device_name : str
        ``deviceName``.
    device_type_id : int
        ``deviceTypeId`` (20 = Eniscope 8 Hybrid).
    device_type_name : str
        ``deviceTypeName``.
    data_type : str
        ``dataType``.
    group : str
        ``"wilson"`` (metered), ``"non_energy"`` (readings always fail) or ``"home_kit"``.
    parent_device_id : int or None
        Hub device of a metering point.
    meter_id : int or None
        ``meterId`` where a meter exists.
    registered, expires : int
        Licence epoch seconds [s].
    has_readings : bool
        False for the channels whose readings answer HTTP 500 "Invalid Parameter".
    in_tsdb : bool
        ``in_tsdb`` flag.
    displayed_phase : str
        ``displayedPhase``.
    """

    channel_id: int
    name: str
    uu_id: str
    device_id: int
    device_name: str
    device_type_id: int
    device_type_name: str
    data_type: str
    group: str
    parent_device_id: int | None
    meter_id: int | None
    registered: int
    expires: int
    has_readings: bool = True
    in_tsdb: bool = True
    displayed_phase: str = "system"


_HYBRID_MP = "Eniscope 8 Hybrid Metering Point"
_REGISTERED_0 = 1746132072  # 2025-05-01 16:41:12 EDT, first Wilson licence (API spec section 9)
_YEAR_S = 365 * _DAY_S  # licences run to 2026-05-01


def _wilson_meta(i: int, channel: SimChannel) -> ChannelMeta:
    serial = int(channel.uu_id[-4:], 16)
    registered = _REGISTERED_0 + 130 * i
    return ChannelMeta(
        channel.channel_id, channel.name, channel.uu_id, 70000 + serial, channel.name, 20,
        _HYBRID_MP, "grid meter", "wilson", 70000, 80000 + serial, registered,
        registered + _YEAR_S,
    )  # fmt: skip


def _home_meta(i: int, channel: SimChannel) -> ChannelMeta:
    device = 71001 + i // 3  # three appliances per home-kit metering point
    registered = _REGISTERED_0 - 40 * _DAY_S + 60 * i
    return ChannelMeta(
        channel.channel_id, channel.name, channel.uu_id, device, f"Home Kit MP {i // 3 + 1}", 31,
        "Eniscope Home Kit Metering Point", "appliance meter", "home_kit", 71000, 81000 + i,
        registered, registered + _YEAR_S,
    )  # fmt: skip


NON_ENERGY_CHANNELS: tuple[ChannelMeta, ...] = (
    ChannelMeta(162127, "WCDS Reference Site", "44B7D0E9B3C00900", 70900, "WCDS Reference Site",
                99, "Virtual Metering Point", "virtual", "non_energy", None, None,
                _REGISTERED_0 + 1000, _REGISTERED_0 + 1000 + _YEAR_S, has_readings=False,
                in_tsdb=False),
    ChannelMeta(162141, "Argo Home Test Site", "44B7D0E9B3C00901", 70901, "Argo Home Test Site",
                99, "Virtual Metering Point", "virtual", "non_energy", None, None,
                _REGISTERED_0 - 40 * _DAY_S, _REGISTERED_0 - 40 * _DAY_S + _YEAR_S,
                has_readings=False, in_tsdb=False),
    ChannelMeta(162277, "Air Sense_Main Kitchen_WCDS_Wilson", "44B7D0E9B3C00501", 70501,
                "Air Sense_Main Kitchen_WCDS_Wilson", 45, "Air Sense", "air quality",
                "non_energy", 70000, None, _REGISTERED_0 + 1100, _REGISTERED_0 + 1100 + _YEAR_S,
                has_readings=False),
)  # fmt: skip
"""The three channels whose readings always answer HTTP 500 "Invalid Parameter" (spec section 6)."""

CHANNEL_METADATA: tuple[ChannelMeta, ...] = (
    *(_wilson_meta(i, c) for i, c in enumerate(WILSON_CHANNELS)),
    *NON_ENERGY_CHANNELS,
    *(_home_meta(i, c) for i, c in enumerate(HOME_KIT_CHANNELS)),
)
"""Metadata of all 20 channels of the Wilson Center organization (API spec section 9)."""

_HUBS = {
    70000: ("Eniscope 8 Hybrid_WCDS_Wilson Ctr", "44B7D0E9B3C00000", "Eniscope 8 Hybrid"),
    71000: ("Argo Home Kit Hub", "44B7D0E9B3C10000", "Eniscope Home Kit"),
}


# --------------------------------------------------------------------------------------------
# Faults and results
# --------------------------------------------------------------------------------------------


def _timestamp(value: Any, *, name: str) -> pd.Timestamp:
    """Convert to a tz-aware UTC Timestamp, rejecting naive input with a fix-it message."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"{name} must be a tz-aware timestamp (pandas.Timestamp, datetime or ISO string "
            f"with an offset), got {value!r}: {exc}"
        ) from exc
    if ts is pd.NaT:
        raise ValueError(f"{name} is missing (NaT); give a tz-aware timestamp")
    if ts.tzinfo is None:
        raise ValueError(
            f"{name} is timezone-naive ({value!r}); give an offset such as "
            f"'2025-12-01T00:00-05:00' or localize it with .tz_localize('America/New_York')"
        )
    return ts.tz_convert("UTC")


def _epoch_s(ts: pd.Timestamp) -> int:
    return int(ts.as_unit("ns").value // _NS)


@dataclass(frozen=True)
class Fault:
    """One injected fault on one channel over ``[start, end)``.

    A base (900 s) interval is affected when its start lies in ``[start, end)``; at coarser
    resolutions a row is removed (``gap``, ``silent``) when any of its base intervals is.

    Parameters
    ----------
    channel_id : int
        Channel the fault applies to; faults on channels that are not simulated are ignored.
    kind : str
        One of :data:`FAULT_KINDS`:

        - ``gap``: rows removed.
        - ``silent``: the channel stops reporting at ``start`` (``end`` None: for good).
        - ``stuck``: every field repeats its clean value at the start's base interval.
        - ``spike``: ``size`` kW added (a short demand spike).
        - ``after_hours``: ``size`` kW added on after-hours intervals (site schedule, holidays).
        - ``schedule_change``: operation extended by ``size`` hours on open days; positive
          closes later, negative starts earlier.
        - ``level_shift``: ``size`` kW added (unit ``"kW"``) or power scaled by ``1 + size``
          (unit ``"fraction"``) from ``start`` on.
        - ``negative``: power and energy (and reactive power) sign-flipped, as a reversed CT.
        - ``mismatch``: energy scaled by ``1 + size`` while power is unchanged.
    start : timestamp
        Tz-aware start (converted to UTC).
    end : timestamp or None
        Tz-aware exclusive end; None for an open-ended fault (``silent``, ``stuck``,
        ``level_shift``, ``after_hours``, ``schedule_change``, ``negative``).
    size : float or None
        Magnitude in ``unit``; required for spike, after_hours, schedule_change, level_shift and
        mismatch, ignored (must be None) otherwise.
    unit : str or None
        ``"kW"``, ``"fraction"`` (0.25 = +25 %) or ``"h"``; None takes the kind's default.

    Raises
    ------
    ValueError
        For an unknown kind or unit, naive or reversed times, or a missing/extra size.
    """

    channel_id: int
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp | None = None
    size: float | None = None
    unit: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; use one of {FAULT_KINDS}")
        object.__setattr__(self, "channel_id", int(self.channel_id))
        start = _timestamp(self.start, name="Fault.start")
        object.__setattr__(self, "start", start)
        if self.end is None:
            if self.kind not in _OPEN_ENDED:
                raise ValueError(
                    f"a {self.kind!r} fault needs an end; only {_OPEN_ENDED} may be open-ended"
                )
        else:
            end = _timestamp(self.end, name="Fault.end")
            if end <= start:
                raise ValueError(f"Fault.end ({end}) must be after Fault.start ({start})")
            object.__setattr__(self, "end", end)
        units = _FAULT_UNITS[self.kind]
        unit = units[0] if self.unit is None else self.unit
        if unit not in units:
            raise ValueError(f"a {self.kind!r} fault takes unit {units}, got {self.unit!r}")
        object.__setattr__(self, "unit", unit)
        if unit is None:
            if self.size is not None:
                raise ValueError(f"a {self.kind!r} fault has no size; leave size=None")
        else:
            if self.size is None or not math.isfinite(float(self.size)):
                raise ValueError(f"a {self.kind!r} fault needs a finite size in {unit}")
            object.__setattr__(self, "size", float(self.size))
            if self.kind == "schedule_change" and self.size == 0:
                raise ValueError("a schedule_change of 0 h changes nothing; give size != 0")


@dataclass(frozen=True)
class Simulation:
    """Readings, fault labels and outdoor temperature of one simulation.

    Attributes
    ----------
    readings : pandas.DataFrame
        Long canonical frame sorted by ``channel_id``, ``timestamp``: ``timestamp`` (UTC,
        interval start), ``channel_id`` (int64), ``energy_kwh`` [kWh], ``power_kw`` [kW] and the
        requested electrical fields.
    labels : pandas.DataFrame
        One row per fault that touches the window: ``channel_id``, ``kind``, ``start``, ``end``
        (UTC, half-open, clipped to the simulated window), ``size``, ``unit`` and
        ``expected_kwh``, the energy the fault adds to the readings [kWh] (spike, after_hours,
        schedule_change, level_shift, mismatch; NaN for the others).
    temperature : pandas.Series
        ``temperature_c`` [°C] per output interval (mean over its base intervals), UTC index.
    """

    readings: pd.DataFrame
    labels: pd.DataFrame
    temperature: pd.Series


_LABEL_COLUMNS = ("channel_id", "kind", "start", "end", "size", "unit", "expected_kwh")


# --------------------------------------------------------------------------------------------
# Counter-based random numbers
# --------------------------------------------------------------------------------------------

_MASK64 = (1 << 64) - 1
_GAMMA = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
_NORMAL_BOUND = 2 * math.sqrt(3)  # |z| of the Irwin–Hall normal below never exceeds this

# Stream tags: every random quantity has its own, so none are correlated.
_S_WHITE, _S_SLOW, _S_FAST, _S_TEMP_DAY, _S_TEMP_6H = 1, 2, 3, 4, 5
_S_VOLT, _S_VOLT_WHITE, _S_FREQ, _S_FREQ_WHITE, _S_PF, _S_THD, _S_NEUTRAL = range(10, 17)
_S_PHASE, _S_PHASE_T = 20, 30  # + phase number


def _mix64(x: int) -> int:
    """SplitMix64 of a Python int (exact 64-bit arithmetic)."""
    z = (x + _GAMMA) & _MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & _MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & _MASK64
    return z ^ (z >> 31)


def _keys(seed: int, stream: int, channel_ids: Sequence[int]) -> np.ndarray:
    """Per-channel stream keys, shape (n_channels, 1), uint64."""
    base = _mix64(_mix64(int(seed) & _MASK64) ^ stream)
    return np.array([[_mix64(base ^ (int(c) & _MASK64))] for c in channel_ids], dtype=np.uint64)


def _hash(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """SplitMix64 output ``mix(key + counter·γ)``, broadcast over keys × counters, uint64."""
    z = np.asarray(counters, dtype=np.int64).view(np.uint64) * np.uint64(_GAMMA)
    z = z + keys
    z ^= z >> np.uint64(30)
    z *= np.uint64(_MIX1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_MIX2)
    z ^= z >> np.uint64(31)
    return z


def _normal(h: np.ndarray) -> np.ndarray:
    """Approximately standard normal from a hash: Irwin–Hall sum of four 16-bit uniforms.

    Bounded by ±2√3, so noise built from it can never push power below zero.
    """
    m = np.uint64(0xFFFF)
    s = (h & m).astype(np.float64)
    s += ((h >> np.uint64(16)) & m).astype(np.float64)
    s += ((h >> np.uint64(32)) & m).astype(np.float64)
    s += (h >> np.uint64(48)).astype(np.float64)
    return ((s + 2.0) / 65536.0 - 2.0) * math.sqrt(3.0)


def _uniform(keys: np.ndarray) -> np.ndarray:
    """One uniform [0, 1) per key (counter 0), shape of ``keys``."""
    return (_hash(keys, np.zeros(1, dtype=np.int64)) >> np.uint64(11)).astype(np.float64) * 2.0**-53


def _white(keys: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """Per-interval normal noise keyed on the 900 s interval counter."""
    return _normal(_hash(keys, np.floor_divide(epochs, BASE_RESOLUTION_S).astype(np.int64)))


def _smooth(keys: np.ndarray, epochs: np.ndarray, spacing_s: int) -> np.ndarray:
    """Smooth normal noise: hashed knots every ``spacing_s`` seconds, smoothstep-interpolated.

    A pure function of time: knot ``j`` sits at epoch ``j·spacing_s`` whatever the window.
    """
    if np.issubdtype(epochs.dtype, np.integer):
        j = epochs // spacing_s
    else:
        j = np.floor(epochs / spacing_s).astype(np.int64)
    if j.size == 0:
        return np.zeros((keys.shape[0], 0))
    j0 = int(j.min())
    knots = _normal(_hash(keys, np.arange(j0, int(j.max()) + 2, dtype=np.int64)))
    idx = j - j0
    f = (epochs - j * spacing_s) / spacing_s
    s = f * f * (3.0 - 2.0 * f)
    a = knots[:, idx]
    return a + (knots[:, idx + 1] - a) * s


# --------------------------------------------------------------------------------------------
# Temperature and calendar
# --------------------------------------------------------------------------------------------

_COLDEST_EPOCH_DAY = 10_976  # 2000-01-20, the coldest day of the year on average in New York


def _temperature(epochs: np.ndarray, seed: int) -> np.ndarray:
    """Outdoor temperature at epoch seconds [°C]: seasonal + diurnal + smooth weather."""
    days = epochs / _DAY_S
    seasonal = 12.5 - 11.5 * np.cos(2 * np.pi * (days - _COLDEST_EPOCH_DAY) / 365.2425)
    solar_h = (epochs / 3600.0 - 5.0) % 24.0  # local mean solar time at ~75° W
    diurnal = 4.0 * np.cos(2 * np.pi * (solar_h - 15.0) / 24.0)  # warmest 15:00, coldest 03:00
    weather = 3.0 * _smooth(_keys(seed, _S_TEMP_DAY, [0]), epochs, _DAY_S)[0]
    weather += 1.0 * _smooth(_keys(seed, _S_TEMP_6H, [0]), epochs, 6 * 3600)[0]
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
    ValueError
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
        raise ValueError(
            "index is timezone-naive; localize it with .tz_localize('America/New_York') "
            "or build it with tz='UTC'"
        )
    ns = idx.as_unit("ns").asi8
    values = _temperature(ns / _NS, seed)
    return pd.Series(values, index=index, name="temperature_c")


@dataclass(frozen=True)
class _Calendar:
    day: np.ndarray  # local calendar day, days since 1970-01-01
    minute: np.ndarray  # local wall-clock minutes since midnight of the interval start
    open_min: np.ndarray  # local opening minute of the day, NaN when closed
    close_min: np.ndarray
    is_open: np.ndarray  # open day (not weekend-closed, not holiday)
    business: np.ndarray  # interval start within [open, close)


@functools.lru_cache(maxsize=64)
def _holiday_days(country: str, subdivision: str | None, year0: int, year1: int) -> np.ndarray:
    from argo_lib.dates import holiday_dates

    days = holiday_dates(year0, year1, country=country, subdivision=subdivision)
    epoch = dt.date(1970, 1, 1)
    return np.array(sorted((d - epoch).days for d in days), dtype=np.int64)


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
        raise ValueError(
            "site must look like config.SiteSettings (timezone, opening_hours.for_weekday(i) -> "
            f"(time, time) | None, holiday_country, holiday_subdivision); got {site!r}: {exc}"
        ) from exc


def _calendar(epochs: np.ndarray, site: Any) -> _Calendar:
    """Local wall-clock schedule features of interval starts given in epoch seconds."""
    tz, opens, closes, country, subdivision = _site_table(site)
    utc = pd.DatetimeIndex((epochs * _NS).view("M8[ns]")).tz_localize("UTC")
    wall = utc.tz_convert(tz).tz_localize(None).asi8  # local wall clock as naive ns
    day = wall // (_DAY_S * _NS)
    minute = (wall - day * _DAY_S * _NS) / (60 * _NS)
    weekday = (day + _EPOCH_WEEKDAY) % 7
    open_min = opens[weekday]
    close_min = closes[weekday]
    is_open = ~np.isnan(open_min)
    if country and day.size:
        y0 = (np.datetime64(int(day.min()), "D").astype("M8[Y]").astype(int)) + 1970
        y1 = (np.datetime64(int(day.max()), "D").astype("M8[Y]").astype(int)) + 1970
        is_open &= ~np.isin(day, _holiday_days(country, subdivision, int(y0), int(y1)))
    open_min = np.where(is_open, open_min, np.nan)
    close_min = np.where(is_open, close_min, np.nan)
    business = is_open & (minute >= np.nan_to_num(open_min)) & (minute < np.nan_to_num(close_min))
    return _Calendar(day, minute, open_min, close_min, is_open, business)


# --------------------------------------------------------------------------------------------
# The load model
# --------------------------------------------------------------------------------------------


def _column(channels: Sequence[SimChannel], name: str) -> np.ndarray:
    return np.array([[getattr(c, name)] for c in channels], dtype=np.float64)


def _occupancy(
    channels: Sequence[SimChannel],
    cal: _Calendar,
    *,
    open_shift_h: np.ndarray | None = None,
    close_shift_h: np.ndarray | None = None,
) -> np.ndarray:
    """Occupancy 0–1 per channel and interval, ramping at ``open − lead`` and ``close + lag``."""
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


def _deterministic_power(
    channels: Sequence[SimChannel], cal: _Calendar, temp_c: np.ndarray, occ: np.ndarray
) -> np.ndarray:
    """Noise-free power per channel and interval [kW]."""
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


def _noise_factor(channels: Sequence[SimChannel], epochs: np.ndarray, seed: int) -> np.ndarray:
    """Multiplicative noise ``1 + slow + fast + white``, always within (0.1, 1.9)."""
    ids = [c.channel_id for c in channels]
    factor = 1.0 + _column(channels, "slow_noise") * _smooth(
        _keys(seed, _S_SLOW, ids), epochs, 12 * 3600
    )
    factor += _column(channels, "fast_noise") * _smooth(_keys(seed, _S_FAST, ids), epochs, 3600)
    factor += _column(channels, "white_noise") * _white(_keys(seed, _S_WHITE, ids), epochs)
    return factor


def _electrical(
    channels: Sequence[SimChannel], epochs: np.ndarray, power: np.ndarray, seed: int
) -> dict[str, np.ndarray]:
    """Instant electrical fields derived from power per channel and interval."""
    ids = [c.channel_id for c in channels]
    n_c = len(channels)
    site = [0]
    volt = 120.0 + 0.35 * _smooth(_keys(seed, _S_VOLT, site), epochs, 6 * 3600)
    volt = volt + 0.4 * (_uniform(_keys(seed, _S_VOLT, ids)) - 0.5)  # per-channel offset
    volt = volt + 0.05 * _white(_keys(seed, _S_VOLT_WHITE, ids), epochs)
    pf0 = _column(channels, "power_factor")
    room = np.clip(np.minimum(pf0 - 0.60, 0.95 - pf0), 0.0, 0.02)
    pf = pf0 + room * np.tanh(_smooth(_keys(seed, _S_PF, ids), epochs, 2 * 3600))
    freq = 60.0 + 0.03 * np.tanh(_smooth(_keys(seed, _S_FREQ, site), epochs, 3600))
    freq = freq + 0.015 * np.tanh(_white(_keys(seed, _S_FREQ_WHITE, site), epochs))
    freq = np.broadcast_to(freq, power.shape)
    magnitude = np.abs(power)
    current = magnitude * 1000.0 / (3.0 * volt * pf)
    tan_phi = np.sqrt(1.0 - pf * pf) / pf
    thd0 = np.clip(_column(channels, "thd_pct"), 4.0, 25.0)  # ±15 % stays inside 3–30 %
    thd = thd0 * (1.0 + 0.15 * np.tanh(_smooth(_keys(seed, _S_THD, ids), epochs, 3 * 3600)))
    imbalance = 0.05 + 0.1 * _uniform(_keys(seed, _S_NEUTRAL, ids))
    neutral = (
        current * imbalance * (1.0 + 0.2 * np.tanh(_white(_keys(seed, _S_NEUTRAL, ids), epochs)))
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
        fixed = 0.12 * (_uniform(_keys(seed, _S_PHASE + p, ids)) - 0.5)
        drift = 0.02 * np.tanh(_smooth(_keys(seed, _S_PHASE_T + p, ids), epochs, 6 * 3600))
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


def _base_fields(
    channels: Sequence[SimChannel],
    epochs: np.ndarray,
    cal: _Calendar,
    temp_c: np.ndarray,
    seed: int,
    *,
    electrical: bool,
    power: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """All base-interval fields; ``power`` given (faulted) or computed clean."""
    if power is None:
        occ = _occupancy(channels, cal)
        power = _deterministic_power(channels, cal, temp_c, occ) * _noise_factor(
            channels, epochs, seed
        )
    fields = {"power_kw": power}
    if electrical:
        fields.update(_electrical(channels, epochs, power, seed))
    dt_h = BASE_RESOLUTION_S / 3600.0
    fields["energy_kwh"] = power * dt_h
    if electrical:
        for p in (1, 2, 3):
            fields[f"energy_kwh_p{p}"] = fields[f"power_kw_p{p}"] * dt_h
    return fields


# --------------------------------------------------------------------------------------------
# simulate_readings
# --------------------------------------------------------------------------------------------


def _resolve_channels(channels: Iterable[SimChannel | int] | None) -> list[SimChannel]:
    if channels is None:
        return list(WILSON_CHANNELS)
    if isinstance(channels, (SimChannel, int, np.integer)):
        channels = [channels]
    resolved: list[SimChannel] = []
    for item in channels:
        if isinstance(item, SimChannel):
            resolved.append(item)
            continue
        try:
            resolved.append(_KNOWN_CHANNELS[int(item)])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"unknown channel {item!r}; give a SimChannel or one of the simulated ids "
                f"{sorted(_KNOWN_CHANNELS)} (non-energy channels 162127, 162141, 162277 have "
                "no readings)"
            ) from None
    ids = [c.channel_id for c in resolved]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise ValueError(f"channels repeat ids {dupes}; give each channel once")
    if not resolved:
        raise ValueError("channels is empty; give at least one channel (None = the Wilson eight)")
    return sorted(resolved, key=lambda c: c.channel_id)


def _resolve_fields(fields: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(fields, str):
        if fields == "basic":
            return BASIC_FIELDS
        if fields == "all":
            return ALL_FIELDS
        raise ValueError(f"fields must be 'basic', 'all' or a list of columns, got {fields!r}")
    wanted = set(fields)
    unknown = sorted(wanted - set(ALL_FIELDS))
    if unknown:
        raise ValueError(f"unknown fields {unknown}; choose from {ALL_FIELDS}")
    if not wanted:
        raise ValueError("fields is empty; use 'basic' for energy_kwh and power_kw")
    return tuple(c for c in ALL_FIELDS if c in wanted)


def _output_grid(start: pd.Timestamp, end: pd.Timestamp, resolution_s: int) -> np.ndarray:
    """Interval starts [epoch s] on the UTC-aligned grid: first >= start, all < end."""
    step = resolution_s * _NS
    first = -(-start.as_unit("ns").value // step) * resolution_s
    last_excl = -(-end.as_unit("ns").value // step) * resolution_s
    return np.arange(first, last_excl, resolution_s, dtype=np.int64)


def _in_span(epochs: np.ndarray, fault: Fault) -> np.ndarray:
    """Base intervals whose start lies in the fault's ``[start, end)``."""
    ns = epochs * _NS
    mask = ns >= fault.start.as_unit("ns").value
    if fault.end is not None:
        mask &= ns < fault.end.as_unit("ns").value
    return mask


def simulate_readings(
    *,
    start: Any,
    end: Any,
    resolution_s: int = BASE_RESOLUTION_S,
    channels: Iterable[SimChannel | int] | None = None,
    seed: int = 0,
    site: Any = None,
    faults: Iterable[Fault] = (),
    fields: str | Iterable[str] = "basic",
) -> Simulation:
    """Simulate the readings of metered channels over ``[start, end)``, with labelled faults.

    Intervals start on the resolution grid aligned to UTC epoch multiples: the first at or
    after ``start``, the last before ``end``. Each value is a pure function of ``(seed,
    channel_id, interval start)`` (and the faults), so overlapping windows agree exactly, and a
    1800/3600 s row is the aggregate of its 900 s base intervals: energy summed, instants
    averaged. Without a ``mismatch`` fault ``energy_kwh == power_kw × Δt_h`` exactly.

    Parameters
    ----------
    start, end : timestamp
        Tz-aware bounds of the half-open window (naive input is rejected).
    resolution_s : int
        Interval length: 900, 1800 or 3600 [s].
    channels : iterable of SimChannel or int, optional
        Channels to simulate (ids of :data:`WILSON_CHANNELS` or :data:`HOME_KIT_CHANNELS`, or
        SimChannel objects, e.g. from :func:`synthetic_channels`); None: the Wilson eight.
    seed : int
        Seed; different seeds give independent noise and weather.
    site : SiteSettings-like, optional
        Time zone, opening hours and holiday calendar (``config.SiteSettings`` works);
        default :data:`WILSON_SITE`.
    faults : iterable of Fault
        Faults to inject; faults on channels not simulated, or outside the window, are ignored.
    fields : {"basic", "all"} or iterable of str
        ``"basic"``: ``energy_kwh`` and ``power_kw``; ``"all"``: every column of
        :data:`ALL_FIELDS`; or a subset of it.

    Returns
    -------
    Simulation
        ``readings`` (long, UTC, sorted by channel and time), ``labels`` and ``temperature``.

    Raises
    ------
    ValueError
        On naive or reversed bounds, an unsupported resolution, unknown channels or fields.

    Examples
    --------
    >>> a = simulate_readings(start="2025-12-01T00:00Z", end="2025-12-03T00:00Z", channels=[162285])
    >>> b = simulate_readings(start="2025-12-02T00:00Z", end="2025-12-04T00:00Z", channels=[162285])
    >>> day = pd.Timestamp("2025-12-02T00:00Z")
    >>> a.readings[a.readings.timestamp >= day].power_kw.tolist() == (
    ...     b.readings[b.readings.timestamp < day + pd.Timedelta(days=1)].power_kw.tolist())
    True
    """
    start_ts = _timestamp(start, name="start")
    end_ts = _timestamp(end, name="end")
    if end_ts <= start_ts:
        raise ValueError(
            f"end ({end_ts}) must be after start ({start_ts}); the window is [start, end)"
        )
    if resolution_s not in RESOLUTIONS_S:
        raise ValueError(
            f"resolution_s must be one of {RESOLUTIONS_S} (the 900 s base grid or an aggregate "
            f"of it), got {resolution_s!r}"
        )
    chans = _resolve_channels(channels)
    wanted = _resolve_fields(fields)
    electrical = any(f not in BASIC_FIELDS for f in wanted)
    site = WILSON_SITE if site is None else site
    seed = int(seed)
    ids = [c.channel_id for c in chans]
    row_of = {cid: i for i, cid in enumerate(ids)}

    out = _output_grid(start_ts, end_ts, resolution_s)
    k = resolution_s // BASE_RESOLUTION_S
    epochs = (out[:, None] + BASE_RESOLUTION_S * np.arange(k)).ravel()
    n_c = len(chans)

    # The window the readings really cover: [first interval start, last interval end).
    window_start, window_end = start_ts, end_ts
    if out.size:
        window_start = pd.Timestamp(int(out[0]) * _NS, tz="UTC")
        window_end = pd.Timestamp(int(out[-1] + resolution_s) * _NS, tz="UTC")
    active = [
        f
        for f in faults
        if f.channel_id in row_of
        and f.start < window_end
        and (f.end is None or f.end > window_start)
    ]

    cal = _calendar(epochs, site)
    temp = _temperature(epochs, seed)
    occ = _occupancy(chans, cal)
    clean = _deterministic_power(chans, cal, temp, occ)
    noise = _noise_factor(chans, epochs, seed)
    power = clean * noise
    excess = {}  # fault index -> excess energy [kWh]
    dt_h = BASE_RESOLUTION_S / 3600.0

    # Schedule changes alter occupancy, so they are evaluated through the model.
    for i, f in enumerate(active):
        if f.kind != "schedule_change":
            continue
        r = row_of[f.channel_id]
        span = _in_span(epochs, f)
        shift = np.where(span, abs(f.size), 0.0)[None, :]
        kw = {"close_shift_h": shift} if f.size > 0 else {"open_shift_h": shift}
        occ_f = _occupancy([chans[r]], cal, **kw)
        new = _deterministic_power([chans[r]], cal, temp, occ_f)[0] * noise[r]
        excess[i] = float(np.sum(new - power[r])) * dt_h
        power[r] = new
    for kind in ("level_shift", "after_hours", "spike"):
        for i, f in enumerate(active):
            if f.kind != kind:
                continue
            r = row_of[f.channel_id]
            span = _in_span(epochs, f)
            if kind == "after_hours":
                span &= ~cal.business
            if kind == "level_shift" and f.unit == "fraction":
                delta = np.where(span, f.size * power[r], 0.0)
            else:
                delta = np.where(span, f.size, 0.0)
            power[r] = power[r] + delta
            excess[i] = float(np.sum(delta)) * dt_h

    base = _base_fields(chans, epochs, cal, temp, seed, electrical=electrical, power=power)
    for f in active:
        if f.kind != "stuck":
            continue
        r = row_of[f.channel_id]
        t0 = np.array([_epoch_s(f.start) // BASE_RESOLUTION_S * BASE_RESOLUTION_S])
        frozen = _base_fields(
            [chans[r]], t0, _calendar(t0, site), _temperature(t0, seed), seed, electrical=electrical
        )
        span = _in_span(epochs, f)
        for name, values in base.items():
            values[r, span] = frozen[name][0, 0]
    for f in active:
        if f.kind == "negative":
            r = row_of[f.channel_id]
            span = _in_span(epochs, f)
            for name in _SIGNED_FIELDS:
                if name in base:
                    base[name][r, span] = -base[name][r, span]
    for i, f in enumerate(active):
        if f.kind == "mismatch":
            r = row_of[f.channel_id]
            span = _in_span(epochs, f)
            excess[i] = float(np.sum(base["energy_kwh"][r, span])) * f.size
            for name in _ENERGY_FIELDS:
                if name in base:
                    base[name][r, span] = base[name][r, span] * (1.0 + f.size)

    # Aggregate to the output resolution: energy summed, instants averaged; a group of identical
    # base values (a stuck sensor) keeps exactly that value.
    n_out = out.size
    result: dict[str, np.ndarray] = {}
    for name in wanted:
        g = base[name].reshape(n_c, n_out, k)
        if k == 1:
            result[name] = g[..., 0]
            continue
        total = g.sum(axis=-1)
        const = g.max(axis=-1) == g.min(axis=-1)
        if name in _ENERGY_FIELDS:
            result[name] = np.where(const, g[..., 0] * k, total)
        else:
            result[name] = np.where(const, g[..., 0], total / k)

    keep = np.ones((n_c, n_out), dtype=bool)
    for f in active:
        if f.kind in ("gap", "silent"):
            span = _in_span(epochs, f).reshape(n_out, k).any(axis=1)
            keep[row_of[f.channel_id]] &= ~span
    flat_keep = keep.ravel()

    stamps = np.tile(out * 1_000_000, n_c)[flat_keep].view("M8[us]")
    data: dict[str, Any] = {
        "timestamp": pd.DatetimeIndex(stamps).tz_localize("UTC"),
        "channel_id": np.repeat(np.array(ids, dtype=np.int64), n_out)[flat_keep],
    }
    for name in wanted:
        data[name] = result[name].ravel()[flat_keep]
    readings = pd.DataFrame(data)

    labels = _labels(active, excess, window_start, window_end)
    t_index = pd.DatetimeIndex((out * 1_000_000).view("M8[us]"), name="timestamp").tz_localize(
        "UTC"
    )
    temperature = pd.Series(
        temp.reshape(n_out, k).mean(axis=1), index=t_index, name="temperature_c"
    )
    return Simulation(readings=readings, labels=labels, temperature=temperature)


def _labels(
    active: Sequence[Fault],
    excess: dict[int, float],
    window_start: pd.Timestamp,
    window_end: pd.Timestamp,
) -> pd.DataFrame:
    rows = {name: [] for name in _LABEL_COLUMNS}
    for i, f in enumerate(active):
        end = window_end if f.end is None else min(f.end, window_end)
        rows["channel_id"].append(f.channel_id)
        rows["kind"].append(f.kind)
        rows["start"].append(max(f.start, window_start))
        rows["end"].append(end)
        rows["size"].append(np.nan if f.size is None else f.size)
        rows["unit"].append(f.unit)
        rows["expected_kwh"].append(excess.get(i, np.nan))
    return pd.DataFrame(
        {
            "channel_id": pd.Series(rows["channel_id"], dtype="int64"),
            "kind": pd.Series(rows["kind"], dtype="str"),
            "start": pd.Series(pd.DatetimeIndex(rows["start"], tz="UTC").as_unit("us")),
            "end": pd.Series(pd.DatetimeIndex(rows["end"], tz="UTC").as_unit("us")),
            "size": pd.Series(rows["size"], dtype="float64"),
            "unit": pd.Series(rows["unit"], dtype="str"),
            "expected_kwh": pd.Series(rows["expected_kwh"], dtype="float64"),
        }
    )


# --------------------------------------------------------------------------------------------
# Random faults for the detection benchmark
# --------------------------------------------------------------------------------------------


def _period_bounds(period: Any) -> tuple[pd.Timestamp, pd.Timestamp]:
    if hasattr(period, "start") and hasattr(period, "end"):
        start, end = period.start, period.end
    else:
        try:
            start, end = period
        except (TypeError, ValueError):
            raise ValueError(
                f"period must be a dates.Period or a (start, end) pair of tz-aware timestamps, "
                f"got {period!r}"
            ) from None
    start_ts, end_ts = _timestamp(start, name="period.start"), _timestamp(end, name="period.end")
    if end_ts <= start_ts:
        raise ValueError(f"period end ({end_ts}) must be after its start ({start_ts})")
    return start_ts, end_ts


_PERSISTENT = {"silent": (0.40, 0.85), "level_shift": (0.30, 0.70)}  # start, share of period
_DURATION_H = {"stuck": (8, 24), "negative": (1, 6), "mismatch": (6, 24)}
_DURATION_DAYS = {"after_hours": (2, 5), "schedule_change": (3, 7)}


def _eligible(kind: str, channel: SimChannel) -> bool:
    """Whether a channel's level makes a fault of ``kind`` plausible and detectable."""
    if kind == "after_hours":
        return channel.nominal_kw >= 0.3
    if kind == "schedule_change":
        return channel.occupied_kw >= 0.5
    return True


def _draw_slots(
    kind: str, rng: np.random.Generator, n_slots: int, resolution_s: int
) -> tuple[int, int] | None:
    """Start slot and length in intervals of a fault, or None if the period is too short."""
    if kind in _PERSISTENT:
        lo, hi = (int(share * n_slots) for share in _PERSISTENT[kind])
        first = int(rng.integers(lo, max(hi, lo + 1)))
        return first, n_slots - first
    per_hour = 3600 / resolution_s
    if kind == "gap":
        n = int(rng.integers(3, 13))
    elif kind == "spike":
        n = int(rng.integers(1, 4 if resolution_s == BASE_RESOLUTION_S else 3))
    elif kind in _DURATION_DAYS:
        lo, hi = _DURATION_DAYS[kind]
        n = int(rng.integers(lo, hi + 1)) * round(24 * per_hour)
    else:
        lo, hi = (max(1, round(h * per_hour)) for h in _DURATION_H[kind])
        n = int(rng.integers(lo, hi + 1))
    if n >= n_slots:
        return None
    return int(rng.integers(0, n_slots - n + 1)), n


def _draw_size(
    kind: str, channel: SimChannel, span: np.ndarray, rng: np.random.Generator, site: Any
) -> tuple[float | None, str | None] | None:
    """Size and unit of a fault over base intervals ``span``, or None if the span won't do."""
    if kind == "spike":
        return max(0.25, float(rng.uniform(1.0, 2.0)) * channel.nominal_kw), "kW"
    if kind == "after_hours":
        after_h = float(np.sum(~_calendar(span, site).business)) * BASE_RESOLUTION_S / 3600
        if after_h < 10:
            return None
        level = float(rng.uniform(0.4, 0.8)) * channel.nominal_kw
        return max(level, 20.0 / after_h), "kW"  # at least 20 kWh over the span
    if kind == "schedule_change":
        cal = _calendar(span, site)
        open_days = np.unique(cal.day[cal.is_open]).size
        hours = float(rng.uniform(2.0, 4.0))
        if open_days < 2 or channel.occupied_kw * hours * open_days < 10:
            return None  # too little extra energy to be a finding
        return (hours if rng.uniform() < 2 / 3 else -hours), "h"
    if kind == "level_shift":
        return float(rng.uniform(0.25, 0.5)), "fraction"
    if kind == "mismatch":
        return float(rng.uniform(0.15, 0.40)), "fraction"
    return None, None


def random_faults(
    *,
    period: Any,
    channels: Iterable[SimChannel | int] | None = None,
    seed: int = 0,
    families: Iterable[str] = FAULT_KINDS,
    per_family: int = 1,
    resolution_s: int = BASE_RESOLUTION_S,
    site: Any = None,
) -> tuple[Fault, ...]:
    """Draw a seeded random set of faults for the detection benchmark.

    Fault times are aligned to the ``resolution_s`` grid and fall inside ``period``; faults on
    one channel never overlap (6 h apart at least). Sizes are relative to each channel's level,
    large enough to detect but plausible:

    - ``gap``: 3–12 intervals; ``silent``: from 40–85 % of the period to its end;
      ``stuck``: 8–24 h; ``negative``: 1–6 h.
    - ``spike``: 1–3 intervals (1–2 at hourly), 1–2 × the channel's nominal business level
      (at least 0.25 kW).
    - ``after_hours``: 2–5 days, 0.4–0.8 × nominal level, and at least 20 kWh in the span;
      only channels with a nominal level of ≥ 0.3 kW.
    - ``schedule_change``: 3–7 days with at least two open days, 2–4 h later closing (or, one
      time in three, earlier start), ≥ 10 kWh of extra operation at the occupied load; only
      channels with ≥ 0.5 kW of occupied load.
    - ``level_shift``: +25–50 % from 30–70 % of the period to its end.
    - ``mismatch``: 6–24 h, energy 15–40 % above power × Δt.

    Parameters
    ----------
    period : dates.Period or (start, end)
        Tz-aware window the faults must fall in.
    channels : iterable of SimChannel or int, optional
        Candidate channels; None: :data:`WILSON_CHANNELS`.
    seed : int
        Seed of the draw (a pure function of all arguments).
    families : iterable of str
        Fault kinds to draw, from :data:`FAULT_KINDS`.
    per_family : int
        Faults drawn per family. A fault that finds no free place after 200 tries is dropped.
    resolution_s : int
        Grid the fault times align to (900, 1800 or 3600) [s].
    site : SiteSettings-like, optional
        Schedule used to size after-hours and schedule faults; default :data:`WILSON_SITE`.

    Returns
    -------
    tuple of Fault
        Sorted by start, then channel.

    Raises
    ------
    ValueError
        On an unknown family, a bad period or resolution, or unknown channels.

    Examples
    --------
    >>> faults = random_faults(
    ...     period=("2025-12-01T00:00-05:00", "2025-12-08T00:00-05:00"), seed=3
    ... )
    >>> sorted({f.kind for f in faults}) == sorted(FAULT_KINDS)
    True
    """
    start, end = _period_bounds(period)
    chans = _resolve_channels(channels)
    fams = tuple(families)
    unknown = sorted(set(fams) - set(FAULT_KINDS))
    if unknown:
        raise ValueError(f"unknown fault families {unknown}; choose from {FAULT_KINDS}")
    if resolution_s not in RESOLUTIONS_S:
        raise ValueError(f"resolution_s must be one of {RESOLUTIONS_S}, got {resolution_s!r}")
    if per_family < 0:
        raise ValueError(f"per_family must be >= 0, got {per_family}")
    site = WILSON_SITE if site is None else site
    grid = _output_grid(start, end, resolution_s)
    if grid.size < 4:
        raise ValueError("period is shorter than four intervals; give a longer period")
    rng = np.random.default_rng([int(seed) & _MASK64, 0x5EED])
    p0, p_end = int(grid[0]), int(grid[-1] + resolution_s)
    margin = 6 * 3600  # faults on one channel keep this far apart [s]
    taken: dict[int, list[tuple[int, int]]] = {c.channel_id: [] for c in chans}
    # Long faults on few eligible channels first, then those that claim a channel's period end.
    first = ("schedule_change", "after_hours", "silent", "level_shift")
    order = sorted(fams, key=lambda k: (first.index(k) if k in first else 4, FAULT_KINDS.index(k)))
    faults: list[Fault] = []
    for kind in order:
        eligible = [c for c in chans if _eligible(kind, c)] or chans
        for _ in range(per_family):
            for _attempt in range(200):
                ch = eligible[int(rng.integers(len(eligible)))]
                slots = _draw_slots(kind, rng, grid.size, resolution_s)
                if slots is None:
                    continue
                f_start = p0 + slots[0] * resolution_s
                f_end = f_start + slots[1] * resolution_s
                busy = taken[ch.channel_id]
                if any(f_start < b + margin and a - margin < f_end for a, b in busy):
                    continue
                span = np.arange(f_start, f_end, BASE_RESOLUTION_S, dtype=np.int64)
                sized = _draw_size(kind, ch, span, rng, site)
                if sized is None:
                    continue
                busy.append((f_start, f_end if f_end < p_end else p_end + margin))
                stamps = (pd.Timestamp(t * _NS, tz="UTC") for t in (f_start, f_end))
                faults.append(Fault(ch.channel_id, kind, *stamps, size=sized[0], unit=sized[1]))
                break
            else:
                logger.debug("random_faults: no free place for a %s fault; dropped", kind)
    return tuple(sorted(faults, key=lambda f: (f.start, f.channel_id, f.kind)))


# --------------------------------------------------------------------------------------------
# Synthetic channels and site metadata
# --------------------------------------------------------------------------------------------


def synthetic_channels(n: int, *, seed: int = 0, first_id: int = 900_001) -> tuple[SimChannel, ...]:
    """Make ``n`` channels for benchmarks by scaling the Wilson channels.

    Channel ``i`` copies Wilson channel ``i mod 8`` with every kW parameter scaled by a seeded
    factor in [0.5, 2], a new id ``first_id + i`` and a uuId derived from it.

    Parameters
    ----------
    n : int
        Number of channels.
    seed : int
        Seed of the scale factors.
    first_id : int
        Id of the first channel.

    Returns
    -------
    tuple of SimChannel
        ``n`` channels with ids ``first_id … first_id + n − 1``.

    Raises
    ------
    ValueError
        If ``n`` is negative.

    Examples
    --------
    >>> chans = synthetic_channels(10, seed=1)
    >>> len(chans), chans[0].channel_id, chans[9].name.startswith("SIM-900010")
    (10, 900001, True)
    """
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    factors = 0.5 * 4.0 ** _uniform(_keys(seed, 99, [first_id + i for i in range(n)]))[:, 0]
    out = []
    for i in range(n):
        template = WILSON_CHANNELS[i % len(WILSON_CHANNELS)]
        f = float(factors[i])
        cid = first_id + i
        out.append(
            replace(
                template,
                channel_id=cid,
                name=f"SIM-{cid}_{template.name.split('_')[0]}",
                uu_id=f"{cid:016X}",
                typical_avg_kw=template.typical_avg_kw * f,
                base_kw=template.base_kw * f,
                occupied_kw=template.occupied_kw * f,
                heat_kw_per_c=template.heat_kw_per_c * f,
                cool_kw_per_c=template.cool_kw_per_c * f,
                midday_kw=template.midday_kw * f,
            )
        )
    return tuple(out)


def build_site_frame() -> pd.DataFrame:
    """Metadata of every channel of the Wilson Center organization, one row per channel.

    Returns
    -------
    pandas.DataFrame
        Columns ``channel_id`` (int64), ``channel_name``, ``uu_id``, ``device_id``,
        ``device_name``, ``device_type_id``, ``device_type_name``, ``data_type``, ``group``
        (wilson / non_energy / home_kit), ``parent_device_id``, ``meter_id`` (nullable Int64),
        ``registered``, ``expires`` (epoch [s]), ``has_readings``, ``in_tsdb``,
        ``displayed_phase``, ``typical_avg_kw`` [kW] and ``power_factor`` [-] (NaN without
        readings). Sorted as :data:`CHANNEL_METADATA`.

    Examples
    --------
    >>> frame = build_site_frame()
    >>> len(frame), int(frame.has_readings.sum()), int((frame.group == "wilson").sum())
    (20, 17, 8)
    """
    rows = []
    for m in CHANNEL_METADATA:
        sim = _KNOWN_CHANNELS.get(m.channel_id)
        rows.append(
            {
                "channel_id": m.channel_id,
                "channel_name": m.name,
                "uu_id": m.uu_id,
                "device_id": m.device_id,
                "device_name": m.device_name,
                "device_type_id": m.device_type_id,
                "device_type_name": m.device_type_name,
                "data_type": m.data_type,
                "group": m.group,
                "parent_device_id": m.parent_device_id,
                "meter_id": m.meter_id,
                "registered": m.registered,
                "expires": m.expires,
                "has_readings": m.has_readings,
                "in_tsdb": m.in_tsdb,
                "displayed_phase": m.displayed_phase,
                "typical_avg_kw": np.nan if sim is None else sim.typical_avg_kw,
                "power_factor": np.nan if sim is None else sim.power_factor,
            }
        )
    frame = pd.DataFrame(rows)
    for col in ("parent_device_id", "meter_id"):
        frame[col] = frame[col].astype("Int64")
    return frame.astype({"channel_id": "int64", "device_id": "int64", "registered": "int64"})


def channel_records(*, organization_id: str = WILSON_ORGANIZATION_ID) -> list[dict[str, Any]]:
    """Channel records in the Eniscope wire format (API spec section 4.3), for the fake server.

    IDs, flags and epochs are strings and keys camelCase, as the API sends them.

    Parameters
    ----------
    organization_id : str
        ``organizationId`` to stamp on each record.

    Returns
    -------
    list of dict
        One record per channel of :data:`CHANNEL_METADATA`, with ``dataChannelId``,
        ``channelName``, ``deviceId``, ``deviceName``, ``deviceTypeId``, ``deviceTypeName``,
        ``organizationId``, ``organizationName``, ``dataType``, ``displayedPhase``, ``status``,
        ``registered``, ``expires``, ``in_tsdb``, ``uuId``, ``tariffId`` (None), ``parentId`` and
        ``meterId`` (only where a meter exists).

    Examples
    --------
    >>> rec = channel_records()[0]
    >>> rec["dataChannelId"], rec["deviceTypeName"], rec["status"]
    ('162119', 'Eniscope 8 Hybrid Metering Point', '1')
    """
    records = []
    for m in CHANNEL_METADATA:
        rec: dict[str, Any] = {
            "dataChannelId": str(m.channel_id),
            "channelName": m.name,
            "deviceId": str(m.device_id),
            "deviceName": m.device_name,
            "deviceTypeId": str(m.device_type_id),
            "deviceTypeName": m.device_type_name,
            "organizationId": organization_id,
            "organizationName": "Wilson Center",
            "dataType": m.data_type,
            "displayedPhase": m.displayed_phase,
            "status": "1",
            "registered": str(m.registered),
            "expires": str(m.expires),
            "in_tsdb": "Y" if m.in_tsdb else "N",
            "uuId": m.uu_id,
            "tariffId": None,
            "parentId": None if m.parent_device_id is None else str(m.parent_device_id),
        }
        if m.meter_id is not None:
            rec["meterId"] = str(m.meter_id)
        records.append(rec)
    return records


def device_records(*, organization_id: str = WILSON_ORGANIZATION_ID) -> list[dict[str, Any]]:
    """Device records in the Eniscope wire format (API spec section 4.2), for the fake server.

    The two hubs (the Wilson Eniscope 8 Hybrid and the home kit) plus one record per distinct
    channel device, with invented stable ids; every value is a string as the API sends it.

    Parameters
    ----------
    organization_id : str
        ``organizationId`` to stamp on each record.

    Returns
    -------
    list of dict
        ``deviceId``, ``deviceName``, ``deviceTypeId``, ``deviceTypeName``, ``uuId``,
        ``parentId``, ``organizationId``, ``timeZone``, ``status``, ``registered``,
        ``expires``, ``isMeteringPoint``, sorted by ``deviceId``.

    Examples
    --------
    >>> devices = device_records()
    >>> len(devices), devices[0]["deviceTypeName"]
    (16, 'Eniscope 8 Hybrid')
    """
    found: dict[int, dict[str, Any]] = {}
    for hub_id, (name, uu_id, type_name) in _HUBS.items():
        first = min(m.registered for m in CHANNEL_METADATA if m.parent_device_id == hub_id)
        found[hub_id] = {
            "deviceId": str(hub_id),
            "deviceName": name,
            "deviceTypeId": "20" if hub_id == 70000 else "30",
            "deviceTypeName": type_name,
            "uuId": uu_id,
            "parentId": None,
            "registered": str(first),
            "expires": str(first + _YEAR_S),
            "isMeteringPoint": "0",
        }
    for m in CHANNEL_METADATA:
        found.setdefault(
            m.device_id,
            {
                "deviceId": str(m.device_id),
                "deviceName": m.device_name,
                "deviceTypeId": str(m.device_type_id),
                "deviceTypeName": m.device_type_name,
                "uuId": m.uu_id,
                "parentId": None if m.parent_device_id is None else str(m.parent_device_id),
                "registered": str(m.registered),
                "expires": str(m.expires),
                "isMeteringPoint": "1",
            },
        )
    common = {"organizationId": organization_id, "timeZone": WILSON_SITE.timezone, "status": "1"}
    return [{**found[k], **common} for k in sorted(found)]
