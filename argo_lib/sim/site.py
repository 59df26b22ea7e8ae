"""The simulated Wilson Center: its schedule, its metered channels and their metadata.

What the building *is*, as data: opening hours and holiday calendar (:class:`SimSite`), the eight
metered channels with their typical levels and load-shape parameters (:data:`WILSON_CHANNELS`),
the home-appliance kit and the non-energy channels the organization also lists, and the channel
metadata the fake Eniscope server and the demo database publish (:data:`CHANNEL_METADATA`). How
the building consumes over time is :mod:`argo_lib.sim.load`.

Examples
--------
>>> [c.channel_id for c in WILSON_CHANNELS][:3]
[162119, 162120, 162121]
>>> WILSON_SITE.opening_hours.for_weekday(5) is None  # closed on Saturdays
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError
from argo_lib.sim.grid import DAY_S
from argo_lib.sim.noise import NORMAL_BOUND, stream_keys, uniform

__all__ = [
    "CHANNEL_METADATA",
    "HOME_KIT_CHANNELS",
    "NON_ENERGY_CHANNELS",
    "WILSON_CHANNELS",
    "WILSON_INSTALLED",
    "WILSON_LATITUDE",
    "WILSON_LONGITUDE",
    "WILSON_MAIN",
    "WILSON_ORGANIZATION_ID",
    "WILSON_SITE",
    "ChannelMeta",
    "SimChannel",
    "SimSite",
    "WeeklyHours",
    "build_site_frame",
    "synthetic_channels",
]

WILSON_ORGANIZATION_ID = "23271"
"""Eniscope organization id of the Wilson Center."""
WILSON_INSTALLED = pd.Timestamp("2025-04-29 00:00", tz="America/New_York")
"""Backfill start of the Wilson Center (API spec section 9); the fake server has no earlier data."""
WILSON_LATITUDE = 39.95
"""Latitude of the simulated climate [°N]; sunrise and sunset of the dusk-to-dawn load use it."""
WILSON_LONGITUDE = -75.17
"""Longitude of the simulated climate [°E] (about 75° W, as the temperature model's solar time)."""


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
    closed_days : frozenset of datetime.date
        Further days the building is closed although the holiday calendar does not know them
        (Good Friday, the day after Thanksgiving, Christmas week: see
        :func:`argo_lib.sim.phenomena.closure_days`); empty by default. A ``SiteSettings``
        without this attribute has none.
    latitude, longitude : float
        Location of the site [°N], [°E]: the hours of sunset and sunrise (dusk-to-dawn loads).
        A ``SiteSettings`` without them gets the Wilson Center's.
    """

    timezone: str = "America/New_York"
    opening_hours: Any = field(default_factory=WeeklyHours)
    holiday_country: str | None = "US"
    holiday_subdivision: str | None = None
    closed_days: frozenset[dt.date] = frozenset()
    latitude: float = WILSON_LATITUDE
    longitude: float = WILSON_LONGITUDE

    def __post_init__(self) -> None:
        object.__setattr__(self, "closed_days", frozenset(self.closed_days))
        if not (-90.0 <= self.latitude <= 90.0 and -180.0 <= self.longitude <= 180.0):
            raise UsageError(
                f"SimSite: latitude must be in [-90, 90] and longitude in [-180, 180] degrees, "
                f"got ({self.latitude}, {self.longitude})"
            )


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
        Extra load per °C below :data:`argo_lib.sim.load.HEATING_BALANCE_C` / above
        :data:`argo_lib.sim.load.COOLING_BALANCE_C` while occupied [kW/°C];
        ``night_hvac_share`` of it while closed.
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
            raise UsageError(
                f"SimChannel {self.channel_id}: base_kw must be > 0 (a quiet base load is never "
                f"zero), got {self.base_kw}"
            )
        if not 0.5 <= self.power_factor <= 1.0:
            raise UsageError(
                f"SimChannel {self.channel_id}: power_factor must be in [0.5, 1], "
                f"got {self.power_factor}"
            )
        if self.ramp_h < 0.25:
            raise UsageError(
                f"SimChannel {self.channel_id}: ramp_h must be >= 0.25 h (one base interval), "
                f"got {self.ramp_h}"
            )
        bound = (self.slow_noise + self.fast_noise + self.white_noise) * NORMAL_BOUND
        if bound >= 0.9:
            raise UsageError(
                f"SimChannel {self.channel_id}: noise amplitudes too large (bound {bound:.2f}); "
                "keep (slow_noise + fast_noise + white_noise) below 0.26"
            )

    @property
    def nominal_kw(self) -> float:
        """Business-hours level in mild weather (base + occupied + lunch bump) [kW]."""
        return self.base_kw + self.occupied_kw + self.midday_kw


def _hvac(
    cid: int,
    name: str,
    uu: str,
    typical: float,
    pf: float,
    base: float,
    occ: float,
    heat: float,
    cool: float,
    lead: float,
    thd: float,
    **kw: Any,
) -> SimChannel:
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

WILSON_MAIN = SimChannel(
    162100, "Utility Main_WCDS_Wilson Ctr", "44B7D0E9B3C000FF", 24.0, 0.90, 3.0, 5.0,
    heat_kw_per_c=0.10, cool_kw_per_c=0.80, lead_h=1.0, night_hvac_share=0.3,
    slow_noise=0.05, fast_noise=0.05, white_noise=0.08, thd_pct=8.0, role="main",
)  # fmt: skip
"""The site's utility (main) meter, simulated only when asked for
(:class:`argo_lib.sim.phenomena.MainMeter`).

Its load parameters describe the *unmetered remainder* (lighting, plug loads, a chiller the
sub-meters do not see: 3 kW closed, 8 kW occupied, 0.8 kW/°C of cooling above
:data:`argo_lib.sim.load.COOLING_BALANCE_C`, hence afternoon peaks in warm weather); the main meter
reads the sum of the eight sub-meters plus that remainder plus switching equipment blocks.
``typical_avg_kw`` is the whole meter's December average (≈ 24 kW; 16–43 kWh per hour).
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
LICENCE_S = 365 * DAY_S
"""Length of a device licence [s]; the Wilson licences run to 2026-05-01."""


def _wilson_meta(i: int, channel: SimChannel) -> ChannelMeta:
    serial = int(channel.uu_id[-4:], 16)
    registered = _REGISTERED_0 + 130 * i
    return ChannelMeta(
        channel.channel_id, channel.name, channel.uu_id, 70000 + serial, channel.name, 20,
        _HYBRID_MP, "grid meter", "wilson", 70000, 80000 + serial, registered,
        registered + LICENCE_S,
    )  # fmt: skip


def _home_meta(i: int, channel: SimChannel) -> ChannelMeta:
    device = 71001 + i // 3  # three appliances per home-kit metering point
    registered = _REGISTERED_0 - 40 * DAY_S + 60 * i
    return ChannelMeta(
        channel.channel_id, channel.name, channel.uu_id, device, f"Home Kit MP {i // 3 + 1}", 31,
        "Eniscope Home Kit Metering Point", "appliance meter", "home_kit", 71000, 81000 + i,
        registered, registered + LICENCE_S,
    )  # fmt: skip


NON_ENERGY_CHANNELS: tuple[ChannelMeta, ...] = (
    ChannelMeta(162127, "WCDS Reference Site", "44B7D0E9B3C00900", 70900, "WCDS Reference Site",
                99, "Virtual Metering Point", "virtual", "non_energy", None, None,
                _REGISTERED_0 + 1000, _REGISTERED_0 + 1000 + LICENCE_S, has_readings=False,
                in_tsdb=False),
    ChannelMeta(162141, "Argo Home Test Site", "44B7D0E9B3C00901", 70901, "Argo Home Test Site",
                99, "Virtual Metering Point", "virtual", "non_energy", None, None,
                _REGISTERED_0 - 40 * DAY_S, _REGISTERED_0 - 40 * DAY_S + LICENCE_S,
                has_readings=False, in_tsdb=False),
    ChannelMeta(162277, "Air Sense_Main Kitchen_WCDS_Wilson", "44B7D0E9B3C00501", 70501,
                "Air Sense_Main Kitchen_WCDS_Wilson", 45, "Air Sense", "air quality",
                "non_energy", 70000, None, _REGISTERED_0 + 1100, _REGISTERED_0 + 1100 + LICENCE_S,
                has_readings=False),
)  # fmt: skip
"""The three channels whose readings always answer HTTP 500 "Invalid Parameter" (spec section 6)."""

CHANNEL_METADATA: tuple[ChannelMeta, ...] = (
    *(_wilson_meta(i, c) for i, c in enumerate(WILSON_CHANNELS)),
    *NON_ENERGY_CHANNELS,
    *(_home_meta(i, c) for i, c in enumerate(HOME_KIT_CHANNELS)),
)
"""Metadata of all 20 channels of the Wilson Center organization (API spec section 9)."""

HUBS: dict[int, tuple[str, str, str]] = {
    70000: ("Eniscope 8 Hybrid_WCDS_Wilson Ctr", "44B7D0E9B3C00000", "Eniscope 8 Hybrid"),
    71000: ("Argo Home Kit Hub", "44B7D0E9B3C10000", "Eniscope Home Kit"),
}
"""Hub devices of the organization: device id → (name, uuId, device type name)."""

_STREAM_SYNTHETIC = 99  # random stream of the scale factors of synthetic channels


def resolve_channels(channels: Iterable[SimChannel | int] | None) -> list[SimChannel]:
    """Channels to simulate, sorted by id, from channel objects or known ids.

    Parameters
    ----------
    channels : iterable of SimChannel or int, or None
        Channel objects, or ids of :data:`WILSON_CHANNELS` and :data:`HOME_KIT_CHANNELS`;
        None means the Wilson eight.

    Returns
    -------
    list of SimChannel

    Raises
    ------
    UsageError
        For an unknown id (non-energy channels have no readings), repeated ids or no channel.
    """
    if channels is None:
        return list(WILSON_CHANNELS)
    items: Iterable[Any] = (
        [channels] if isinstance(channels, (SimChannel, int, np.integer)) else channels
    )
    resolved: list[SimChannel] = []
    for item in items:
        if isinstance(item, SimChannel):
            resolved.append(item)
            continue
        try:
            resolved.append(_KNOWN_CHANNELS[int(item)])
        except (KeyError, TypeError, ValueError):
            raise UsageError(
                f"unknown channel {item!r}; give a SimChannel or one of the simulated ids "
                f"{sorted(_KNOWN_CHANNELS)} (non-energy channels 162127, 162141, 162277 have "
                "no readings)"
            ) from None
    ids = [c.channel_id for c in resolved]
    if len(set(ids)) != len(ids):
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        raise UsageError(f"channels repeat ids {dupes}; give each channel once")
    if not resolved:
        raise UsageError("channels is empty; give at least one channel (None = the Wilson eight)")
    return sorted(resolved, key=lambda c: c.channel_id)


# --------------------------------------------------------------------------------------------
# Synthetic channels and the site frame
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
    UsageError
        If ``n`` is negative.

    Examples
    --------
    >>> chans = synthetic_channels(10, seed=1)
    >>> len(chans), chans[0].channel_id, chans[9].name.startswith("SIM-900010")
    (10, 900001, True)
    """
    if n < 0:
        raise UsageError(f"n must be >= 0, got {n}")
    factors = (
        0.5
        * 4.0
        ** uniform(stream_keys(seed, _STREAM_SYNTHETIC, [first_id + i for i in range(n)]))[:, 0]
    )
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
