"""What real buildings do besides following their schedule: site properties that are not faults.

The simulated Wilson Center is tidy: its nights are quiet and its meters are its sub-meters. Real
buildings analysed by the team (issue 9) show more, and the detectors must stay right on it:

- a **dusk-to-dawn load** (:class:`DuskToDawn`): exterior lighting drawing a steady few kW from
  sunset to sunrise every night, weekends included, the hours following the site's latitude and
  the date (:func:`sun_times`, the NOAA solar equations);
- **short-cycling** (:class:`ShortCycling`): equipment switching on and off with a period of tens
  of minutes while the site is closed, visible in 15-min data;
- a **noisy main meter** (:class:`MainMeter`): the utility meter reads the sum of the sub-meters,
  an unmetered remainder with its own schedule and a cooling response (afternoon peaks in warm
  weather), and blocks of equipment switching on and off at random, interval by interval;
- **holiday closures** (:func:`closure_days`): Good Friday, the day after Thanksgiving and
  Christmas week, which the public-holiday calendar does not know (``SimSite.closed_days``).

Each is switchable (:class:`Phenomena`, passed to :func:`argo_lib.sim.simulate_readings`), and each
value is a pure function of ``(seed, channel, interval start)`` like the rest of the simulator.
They are properties of the site, present in the baseline as in the report week, so they carry no
fault label; the simulation lists where they act (``Simulation.phenomena``). The real-world
*faults* (zero-filled outages and their catch-up readings, catch-up readings after gaps, a
business-hours excess) are fault kinds of :mod:`argo_lib.sim.faults`.

Examples
--------
>>> days = np.array([20443])  # 2025-12-21, the winter solstice
>>> rise, dusk = sun_times(days, latitude=40.71, longitude=-74.01)  # New York City
>>> [pd.Timestamp(t, unit="s", tz="UTC").tz_convert("America/New_York").round("min").strftime("%H:%M")
...  for t in (rise[0], dusk[0])]  # the almanac gives 07:16 and 16:32
['07:16', '16:32']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError
from argo_lib.sim.grid import BASE_RESOLUTION_S, DAY_S, NS
from argo_lib.sim.load import SiteCalendar, clean_power, noise_factor, occupancy
from argo_lib.sim.noise import hash_counters, stream_keys, uniform
from argo_lib.sim.site import WILSON_LATITUDE, WILSON_LONGITUDE, WILSON_MAIN, SimChannel

__all__ = [
    "PHENOMENA_COLUMNS",
    "DuskToDawn",
    "MainMeter",
    "Phenomena",
    "ShortCycling",
    "closure_days",
    "easter_sunday",
    "sun_times",
]

PHENOMENA_COLUMNS = ("channel_id", "kind", "start", "end", "size", "unit", "energy_kwh")
"""Columns of ``Simulation.phenomena``: where each site property acts."""

SUN_ZENITH_DEG = 90.833
"""Solar zenith angle at sunrise and sunset: the disc's upper limb on the horizon, with
atmospheric refraction (NOAA) [°]."""

_S_CYCLE_PHASE, _S_BLOCKS = 40, 41  # noise streams (argo_lib.sim.load uses 1-33, site 99)
_BLOCK_KEY_STRIDE = 64  # block j of a main meter has key channel_id * stride + j


# --------------------------------------------------------------------------------------------
# Holidays and the sun
# --------------------------------------------------------------------------------------------


def easter_sunday(year: int) -> dt.date:
    """Easter Sunday of a Gregorian year (the Meeus/Jones/Butcher computus).

    Parameters
    ----------
    year : int
        Gregorian year.

    Returns
    -------
    datetime.date

    Examples
    --------
    >>> easter_sunday(2026).isoformat(), easter_sunday(2025).isoformat()
    ('2026-04-05', '2025-04-20')
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def closure_days(
    start_year: int,
    end_year: int,
    *,
    good_friday: bool = True,
    day_after_thanksgiving: bool = True,
    christmas_week: bool = True,
) -> frozenset[dt.date]:
    """Days many US buildings close that the federal holiday calendar does not know.

    Parameters
    ----------
    start_year, end_year : int
        Inclusive range of years.
    good_friday : bool
        The Friday before Easter Sunday.
    day_after_thanksgiving : bool
        The Friday after the fourth Thursday of November.
    christmas_week : bool
        24 to 31 December.

    Returns
    -------
    frozenset of datetime.date
        For ``SimSite(closed_days=...)``.

    Examples
    --------
    >>> days = closure_days(2026, 2026, christmas_week=False)
    >>> sorted(d.isoformat() for d in days)
    ['2026-04-03', '2026-11-27']
    """
    if end_year < start_year:
        raise UsageError(f"end_year ({end_year}) must be >= start_year ({start_year})")
    days: set[dt.date] = set()
    for year in range(start_year, end_year + 1):  # a few years
        if good_friday:
            days.add(easter_sunday(year) - dt.timedelta(days=2))
        if day_after_thanksgiving:
            first = dt.date(year, 11, 1)
            thursday = first + dt.timedelta(days=(3 - first.weekday()) % 7 + 21)
            days.add(thursday + dt.timedelta(days=1))
        if christmas_week:
            days.update(dt.date(year, 12, d) for d in range(24, 32))
    return frozenset(days)


def sun_times(
    days: np.ndarray, *, latitude: float, longitude: float
) -> tuple[np.ndarray, np.ndarray]:
    """Sunrise and sunset of calendar days (NOAA solar equations, about a minute accurate).

    Parameters
    ----------
    days : numpy.ndarray
        Calendar days as days since 1970-01-01 (the site-local date).
    latitude, longitude : float
        Location [°N], [°E].

    Returns
    -------
    tuple of numpy.ndarray
        Sunrise and sunset of each day, Unix epoch seconds (float) [s]. Where the sun does not
        set (polar day) sunrise is the day's start and sunset its end (as UTC times around solar
        noon); where it does not rise both are solar noon.
    """
    days = np.asarray(days, dtype=np.int64)
    date = days.astype("M8[D]")
    year_start = date.astype("M8[Y]").astype("M8[D]")
    day_of_year = (date - year_start).astype(np.int64)  # 0 on 1 January
    year = date.astype("M8[Y]").astype(np.int64) + 1970
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    noon_utc_h = 12.0 - longitude / 15.0  # solar noon, to evaluate the equations near it
    gamma = 2 * np.pi / np.where(leap, 366, 365) * (day_of_year + (noon_utc_h - 12.0) / 24.0)
    eqtime = 229.18 * (
        0.000075
        + 0.001868 * np.cos(gamma)
        - 0.032077 * np.sin(gamma)
        - 0.014615 * np.cos(2 * gamma)
        - 0.040849 * np.sin(2 * gamma)
    )  # [min]
    decl = (
        0.006918
        - 0.399912 * np.cos(gamma)
        + 0.070257 * np.sin(gamma)
        - 0.006758 * np.cos(2 * gamma)
        + 0.000907 * np.sin(2 * gamma)
        - 0.002697 * np.cos(3 * gamma)
        + 0.00148 * np.sin(3 * gamma)
    )  # [rad]
    lat = math.radians(latitude)
    cos_ha = math.cos(math.radians(SUN_ZENITH_DEG)) / (math.cos(lat) * np.cos(decl)) - math.tan(
        lat
    ) * np.tan(decl)
    ha_deg = np.degrees(np.arccos(np.clip(cos_ha, -1.0, 1.0)))
    midnight = days.astype(np.float64) * DAY_S
    sunrise = midnight + 60.0 * (720.0 - 4.0 * (longitude + ha_deg) - eqtime)
    sunset = midnight + 60.0 * (720.0 - 4.0 * (longitude - ha_deg) - eqtime)
    return sunrise, sunset


def _location(site: Any) -> tuple[float, float]:
    return (
        float(getattr(site, "latitude", WILSON_LATITUDE)),
        float(getattr(site, "longitude", WILSON_LONGITUDE)),
    )


def _overlap(lo: np.ndarray, hi: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Length of ``[lo, hi) ∩ [a, b)`` [s]."""
    return np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0.0, None)


# --------------------------------------------------------------------------------------------
# The phenomena
# --------------------------------------------------------------------------------------------


def _positive(value: float, what: str) -> float:
    if not math.isfinite(float(value)) or float(value) <= 0:
        raise UsageError(f"{what} must be a finite number > 0, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class DuskToDawn:
    """A steady load on from sunset to sunrise every night (exterior lighting on a photocell).

    Parameters
    ----------
    channel_id : int
        The channel that meters it (a sub-meter, or the main meter's unmetered remainder).
    kw : float
        Its power while on [kW].
    delay_min : float
        The photocell switches on this long after sunset and off this long before sunrise
        (negative: before sunset, after sunrise) [min].
    """

    channel_id: int
    kw: float
    delay_min: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_id", int(self.channel_id))
        object.__setattr__(self, "kw", _positive(self.kw, "DuskToDawn.kw"))
        if not -120.0 <= float(self.delay_min) <= 120.0:
            raise UsageError(f"DuskToDawn.delay_min must be within ±120 min, got {self.delay_min}")

    def fraction(self, epochs: np.ndarray, cal: SiteCalendar, site: Any) -> np.ndarray:
        """Share of each base interval during which the load is on [-].

        Parameters
        ----------
        epochs : numpy.ndarray
            Base-interval starts, Unix epoch seconds [s].
        cal : SiteCalendar
            Their local calendar (the local date picks the day's sunrise and sunset).
        site : SimSite or SiteSettings-like
            ``latitude`` and ``longitude`` (default the Wilson Center's).

        Returns
        -------
        numpy.ndarray
            Values in [0, 1], one per interval.
        """
        if epochs.size == 0:
            return np.zeros(0)
        lat, lon = _location(site)
        first = int(cal.day.min())
        rise, dusk = sun_times(
            np.arange(first, int(cal.day.max()) + 1), latitude=lat, longitude=lon
        )
        i = cal.day - first
        t = epochs.astype(np.float64)
        delay = 60.0 * float(self.delay_min)
        before_dawn = _overlap(t, t + BASE_RESOLUTION_S, t - DAY_S, rise[i] - delay)
        after_dusk = _overlap(t, t + BASE_RESOLUTION_S, dusk[i] + delay, t + DAY_S)
        return np.minimum((before_dawn + after_dusk) / BASE_RESOLUTION_S, 1.0)


@dataclass(frozen=True)
class ShortCycling:
    """Equipment cycling on and off while the site is closed (a short-cycling compressor).

    The load is a square wave of ``period_min`` with ``duty`` share on, at a seeded phase per
    channel; each interval carries the exact share of on-time it contains.

    Parameters
    ----------
    channel_id : int
        The channel that meters it.
    kw : float
        Power while on [kW].
    period_min : float
        One on-off cycle, 5–240 [min] (tens of minutes show in 15-min data and average out
        in hourly data).
    duty : float
        Share of each cycle that is on, in (0, 1) [-].
    when : {"closed_days", "after_hours"}
        ``closed_days``: on the days the site is closed all day (weekends, holidays,
        closures); ``after_hours``: whenever it is not business time.
    """

    channel_id: int
    kw: float
    period_min: float = 40.0
    duty: float = 0.5
    when: str = "closed_days"

    def __post_init__(self) -> None:
        object.__setattr__(self, "channel_id", int(self.channel_id))
        object.__setattr__(self, "kw", _positive(self.kw, "ShortCycling.kw"))
        if not 5.0 <= float(self.period_min) <= 240.0:
            raise UsageError(
                f"ShortCycling.period_min must be in [5, 240] min, got {self.period_min}"
            )
        if not 0.0 < float(self.duty) < 1.0:
            raise UsageError(f"ShortCycling.duty must be in (0, 1), got {self.duty}")
        if self.when not in ("closed_days", "after_hours"):
            raise UsageError(
                f"ShortCycling.when must be 'closed_days' or 'after_hours', got {self.when!r}"
            )

    def active(self, cal: SiteCalendar) -> np.ndarray:
        """Intervals during which the equipment cycles (boolean mask)."""
        return ~cal.is_open if self.when == "closed_days" else ~cal.business

    def fraction(self, epochs: np.ndarray, cal: SiteCalendar, seed: int) -> np.ndarray:
        """Share of each base interval during which the load is on [-].

        Parameters
        ----------
        epochs : numpy.ndarray
            Base-interval starts, Unix epoch seconds [s].
        cal : SiteCalendar
            Their local calendar.
        seed : int
            Simulation seed (the phase of the cycle).

        Returns
        -------
        numpy.ndarray
            Values in [0, 1]; 0 outside :meth:`active` intervals.
        """
        period = 60.0 * float(self.period_min)
        on = float(self.duty) * period
        phase = float(uniform(stream_keys(seed, _S_CYCLE_PHASE, [self.channel_id]))[0, 0]) * period

        def cumulative_on(x: np.ndarray) -> np.ndarray:  # on-time in [phase, phase + x)
            return np.floor(x / period) * on + np.minimum(np.mod(x, period), on)

        t = epochs.astype(np.float64) - phase
        share = (cumulative_on(t + BASE_RESOLUTION_S) - cumulative_on(t)) / BASE_RESOLUTION_S
        return np.where(self.active(cal), share, 0.0)


@dataclass(frozen=True)
class MainMeter:
    """The site's utility meter: the sub-meters, an unmetered remainder and switching blocks.

    Reads, per interval, the sum of the simulated sub-meters' consumption (after their
    consumption faults, before their data faults: a sub-meter's stuck sensor does not change
    what the building draws), plus the remainder's load model (``channel``'s parameters: base,
    occupied, HVAC, its own noise), plus ``blocks`` pieces of equipment of ``block_kw`` each,
    each on or off at random in every 15-min interval (on with probability ``block_on_closed``
    while closed, rising to ``block_on_open`` while occupied). The blocks make the 15-min data
    noisy (about ±10 % of the business-hours level, interval to interval) while the hourly
    means stay smoother.

    Parameters
    ----------
    channel : SimChannel
        Identity, electrical parameters and remainder load of the main meter (role ``main``).
    blocks : int
        Number of switching blocks, 0–32.
    block_kw : float
        Power of one block [kW].
    block_on_open, block_on_closed : float
        Probability that a block is on in an occupied / a closed interval [-].
    """

    channel: SimChannel = WILSON_MAIN
    blocks: int = 6
    block_kw: float = 3.5
    block_on_open: float = 0.7
    block_on_closed: float = 0.2

    def __post_init__(self) -> None:
        if self.channel.role != "main":
            raise UsageError(
                f"MainMeter.channel must have role 'main', got {self.channel.role!r} for "
                f"{self.channel.channel_id}; build it with SimChannel(..., role='main')"
            )
        if not 0 <= int(self.blocks) <= 32:
            raise UsageError(f"MainMeter.blocks must be in [0, 32], got {self.blocks}")
        if not math.isfinite(float(self.block_kw)) or float(self.block_kw) < 0:
            raise UsageError(f"MainMeter.block_kw must be >= 0, got {self.block_kw}")
        for name in ("block_on_open", "block_on_closed"):
            if not 0.0 <= float(getattr(self, name)) <= 1.0:
                raise UsageError(f"MainMeter.{name} must be in [0, 1], got {getattr(self, name)}")

    @property
    def channel_id(self) -> int:
        """Channel id of the main meter."""
        return self.channel.channel_id

    def block_power(self, epochs: np.ndarray, cal: SiteCalendar, seed: int) -> np.ndarray:
        """Power of the switching blocks per base interval [kW].

        Parameters
        ----------
        epochs : numpy.ndarray
            Base-interval starts, Unix epoch seconds [s].
        cal : SiteCalendar
            Their local calendar (occupancy of the remainder sets the switching probability).
        seed : int
            Simulation seed.

        Returns
        -------
        numpy.ndarray
            Shape ``(len(epochs),)`` [kW].
        """
        if self.blocks == 0 or self.block_kw == 0:
            return np.zeros(epochs.size)
        occ = occupancy([self.channel], cal)[0]
        p_on = self.block_on_closed + (self.block_on_open - self.block_on_closed) * occ
        keys = stream_keys(
            seed,
            _S_BLOCKS,
            [self.channel_id * _BLOCK_KEY_STRIDE + j for j in range(int(self.blocks))],
        )
        counters = np.floor_divide(epochs, BASE_RESOLUTION_S).astype(np.int64)
        u = (hash_counters(keys, counters) >> np.uint64(11)).astype(np.float64) * 2.0**-53
        return float(self.block_kw) * np.sum(u < p_on, axis=0)


@dataclass(frozen=True)
class Phenomena:
    """The real-world site properties a simulation includes; all off by default.

    Parameters
    ----------
    dusk_to_dawn : iterable of DuskToDawn
        Dusk-to-dawn loads (on any simulated channel, the main meter included).
    short_cycling : iterable of ShortCycling
        Short-cycling equipment.
    main_meter : MainMeter or None
        Simulate the site's main meter as one more channel.
    """

    dusk_to_dawn: tuple[DuskToDawn, ...] = field(default=())
    short_cycling: tuple[ShortCycling, ...] = field(default=())
    main_meter: MainMeter | None = None

    def __post_init__(self) -> None:
        for name, kind in (("dusk_to_dawn", DuskToDawn), ("short_cycling", ShortCycling)):
            items = tuple(getattr(self, name))
            if not all(isinstance(i, kind) for i in items):
                raise UsageError(f"Phenomena.{name} must hold {kind.__name__} objects")
            object.__setattr__(self, name, items)
        if self.main_meter is not None and not isinstance(self.main_meter, MainMeter):
            raise UsageError("Phenomena.main_meter must be a MainMeter or None")

    def without_main(self) -> Phenomena:
        """The same phenomena without the main meter."""
        return Phenomena(self.dusk_to_dawn, self.short_cycling, None)

    @property
    def empty(self) -> bool:
        """True when nothing is switched on."""
        return not (self.dusk_to_dawn or self.short_cycling or self.main_meter)


# --------------------------------------------------------------------------------------------
# Their loads, the main meter, and where they act
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Load:
    """One phenomenon's added power on one simulated channel (row), per base interval [kW]."""

    source: DuskToDawn | ShortCycling
    row: int
    kw: np.ndarray


def phenomenon_loads(
    phenomena: Phenomena,
    channel_ids: Sequence[int],
    epochs: np.ndarray,
    cal: SiteCalendar,
    *,
    site: Any,
    seed: int,
) -> list[Load]:
    """The added power of every dusk-to-dawn and short-cycling load on the given channels.

    Parameters
    ----------
    phenomena : Phenomena
        What is switched on; loads on channels not in ``channel_ids`` are left out.
    channel_ids : sequence of int
        The simulated channels, in row order.
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    cal : SiteCalendar
        Their local calendar.
    site : SimSite or SiteSettings-like
        Location of the site.
    seed : int
        Simulation seed.

    Returns
    -------
    list of Load
    """
    row_of = {int(c): i for i, c in enumerate(channel_ids)}
    loads = []
    for d in phenomena.dusk_to_dawn:  # a few loads
        if d.channel_id in row_of:
            loads.append(Load(d, row_of[d.channel_id], d.kw * d.fraction(epochs, cal, site)))
    for c in phenomena.short_cycling:
        if c.channel_id in row_of:
            loads.append(Load(c, row_of[c.channel_id], c.kw * c.fraction(epochs, cal, seed)))
    return loads


def added_power(loads: Iterable[Load], n_rows: int, n_epochs: int) -> np.ndarray | None:
    """Sum of the loads per row and interval [kW]; None when there are none."""
    total: np.ndarray | None = None
    for load in loads:
        if total is None:
            total = np.zeros((n_rows, n_epochs))
        total[load.row] += load.kw
    return total


def main_meter_parts(
    main: MainMeter,
    epochs: np.ndarray,
    cal: SiteCalendar,
    temp_c: np.ndarray,
    sub_power: np.ndarray,
    *,
    extra: np.ndarray | None,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The main meter's power and its parts, for the fault injection.

    Parameters
    ----------
    main : MainMeter
        The main meter.
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    cal : SiteCalendar
        Their local calendar.
    temp_c : numpy.ndarray
        Outdoor temperature per interval [°C].
    sub_power : numpy.ndarray
        Power of the simulated sub-meters, faults applied, shape ``(n_subs, n_epochs)`` [kW].
    extra : numpy.ndarray or None
        Phenomena on the main meter itself (dusk-to-dawn, short-cycling) [kW].
    seed : int
        Simulation seed.

    Returns
    -------
    power, noise, added : numpy.ndarray
        Shape ``(1, n_epochs)`` each: the main meter's power [kW], the multiplicative noise of
        its remainder [-], and what comes on top of the remainder's ``clean × noise`` (the
        sub-meters, the blocks and the phenomena) [kW].
    """
    chan = [main.channel]
    noise = noise_factor(chan, epochs, seed)
    remainder = clean_power(chan, cal, temp_c, occupancy(chan, cal)) * noise
    added = (sub_power.sum(axis=0) + main.block_power(epochs, cal, seed))[None, :]
    if extra is not None:
        added = added + extra
    return remainder + added, noise, added


def _local_midnight_ns(days: np.ndarray, tz: str) -> np.ndarray:
    """UTC nanoseconds of the local midnights starting the given days."""
    naive = pd.DatetimeIndex(days.astype("M8[D]").astype("M8[ns]"))
    return naive.tz_localize(tz, nonexistent="shift_forward", ambiguous=False).asi8


def phenomena_frame(
    loads: Sequence[Load],
    channel_ids: Sequence[int],
    epochs: np.ndarray,
    cal: SiteCalendar,
    *,
    site: Any,
    window: tuple[pd.Timestamp, pd.Timestamp],
) -> pd.DataFrame:
    """Where each site property acts in the window, one row per span.

    Parameters
    ----------
    loads : sequence of Load
        From :func:`phenomenon_loads`.
    channel_ids : sequence of int
        The simulated channels, in row order.
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    cal : SiteCalendar
        Their local calendar.
    site : SimSite or SiteSettings-like
        Location and time zone of the site.
    window : tuple of pandas.Timestamp
        The simulated window (UTC); spans are clipped to it.

    Returns
    -------
    pandas.DataFrame
        :data:`PHENOMENA_COLUMNS`: ``channel_id`` (nullable; <NA> for the site), ``kind``
        (``dusk_to_dawn``: one row per night, from sunset to sunrise; ``short_cycling``: one
        row per closed stretch; ``closure``: a day with opening hours on which the site is
        closed, a holiday or a closure, site-wide), ``start``, ``end`` (UTC, half-open),
        ``size`` and ``unit`` (kW of the load), ``energy_kwh`` it added within the span [kWh].
    """
    lo_ns, hi_ns = window[0].as_unit("ns").value, window[1].as_unit("ns").value
    rows: list[tuple[Any, ...]] = []
    dt_h = BASE_RESOLUTION_S / 3600.0
    ns = epochs * NS
    for load in loads:  # a few loads
        cid = int(channel_ids[load.row])
        energy = load.kw * dt_h
        if isinstance(load.source, DuskToDawn) and epochs.size:
            lat, lon = _location(site)
            first = int(cal.day.min()) - 1
            nights = np.arange(first, int(cal.day.max()) + 1)
            rise, dusk = sun_times(
                np.arange(first, int(cal.day.max()) + 2), latitude=lat, longitude=lon
            )
            delay = 60.0 * load.source.delay_min
            start = np.round((dusk[:-1] + delay) * NS).astype(np.int64)
            end = np.round((rise[1:] - delay) * NS).astype(np.int64)
            night_of = cal.day - (cal.minute < 720.0) - first
            per_night = np.bincount(night_of, weights=energy, minlength=nights.size)
            for s, e, kwh in zip(start, end, per_night, strict=True):  # one row per night
                s, e = max(int(s), lo_ns), min(int(e), hi_ns)
                if e > s:
                    rows.append((cid, "dusk_to_dawn", s, e, load.source.kw, "kW", float(kwh)))
        elif isinstance(load.source, ShortCycling):
            active = load.source.active(cal).astype(np.int8)
            edges = np.diff(np.concatenate([[0], active, [0]]))
            starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
            cum = np.concatenate([[0.0], np.cumsum(energy)])
            for a, b in zip(starts, stops, strict=True):  # one row per closed stretch
                rows.append(
                    (
                        cid,
                        "short_cycling",
                        int(ns[a]),
                        int(ns[b - 1] + BASE_RESOLUTION_S * NS),
                        load.source.kw,
                        "kW",
                        float(cum[b] - cum[a]),
                    )
                )
    closed = np.unique(cal.day[cal.closure])
    if closed.size:
        tz = str(site.timezone)
        starts_ns = _local_midnight_ns(closed, tz)
        ends_ns = _local_midnight_ns(closed + 1, tz)
        for s, e in zip(starts_ns, ends_ns, strict=True):  # one row per closed day
            rows.append(
                (pd.NA, "closure", max(int(s), lo_ns), min(int(e), hi_ns), np.nan, None, np.nan)
            )
    rows.sort(key=lambda r: (r[2], -1 if r[0] is pd.NA else r[0], r[1]))
    frame = pd.DataFrame(rows, columns=list(PHENOMENA_COLUMNS))
    return pd.DataFrame(
        {
            "channel_id": pd.Series(frame["channel_id"].to_list(), dtype="Int64"),
            "kind": pd.Series(frame["kind"].to_list(), dtype="str"),
            "start": pd.Series(
                pd.DatetimeIndex(frame["start"].to_numpy(dtype=np.int64), tz="UTC").as_unit("us")
            ),
            "end": pd.Series(
                pd.DatetimeIndex(frame["end"].to_numpy(dtype=np.int64), tz="UTC").as_unit("us")
            ),
            "size": pd.Series(frame["size"].to_list(), dtype="float64"),
            "unit": pd.Series(frame["unit"].to_list(), dtype="str"),
            "energy_kwh": pd.Series(frame["energy_kwh"].to_list(), dtype="float64"),
        }
    )
