"""Simulated meter readings: the site's channels over a window, faults injected, at a resolution.

:func:`simulate_readings` feeds the demo database, the fake Eniscope server and the detection
benchmark (analytics spec section D). It evaluates the load model of :mod:`argo_lib.sim.load` on
the 900 s base grid, injects the faults of :mod:`argo_lib.sim.faults`, aggregates to the
requested resolution and returns the long readings frame with the fault labels.

Every value is a pure function of ``(seed, channel_id, interval start)``: random numbers come
from counter-based hashing (SplitMix64 of the 900 s interval counter) and smooth noise from hashed
knots interpolated in time, never from a sequential random generator over the requested window.
Any two overlapping windows therefore give identical values, and hourly readings are exactly the
aggregate of the 900 s base grid (energy summed, instants averaged), except where a zero-filled
outage or a catch-up reading (a meter's own behaviour at its resolution) says otherwise.

Real-world site properties (:mod:`argo_lib.sim.phenomena`: dusk-to-dawn loads, short-cycling, a
noisy main meter) are off unless ``phenomena`` switches them on; holiday closures come with the
site (``SimSite.closed_days``).

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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError
from argo_lib.sim.faults import (
    POWER_KINDS,
    Fault,
    apply_outages,
    fault_labels,
    faults_in_window,
    inject_field_faults,
    inject_power_faults,
    kept_rows,
    outage_span,
)
from argo_lib.sim.grid import BASE_RESOLUTION_S, NS, RESOLUTIONS_S, grid_starts, utc_timestamp
from argo_lib.sim.load import (
    ALL_FIELDS,
    BASIC_FIELDS,
    ENERGY_FIELDS,
    SiteCalendar,
    base_fields,
    clean_power,
    noise_factor,
    occupancy,
    outdoor_temperature,
    site_calendar,
)
from argo_lib.sim.phenomena import (
    PHENOMENA_COLUMNS,
    Load,
    Phenomena,
    added_power,
    main_meter_parts,
    phenomena_frame,
    phenomenon_loads,
)
from argo_lib.sim.site import WILSON_SITE, SimChannel, resolve_channels

__all__ = ["Simulation", "simulate_readings"]


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
        schedule_change, level_shift, mismatch, excess; for an outage the energy its zeros
        hide; NaN for the others); then one ``catch_up`` row per catch-up reading in the
        window (its interval, and the energy it carries on top of its own).
    temperature : pandas.Series
        ``temperature_c`` [°C] per output interval (mean over its base intervals), UTC index.
    phenomena : pandas.DataFrame
        Where the site properties act in the window
        (:func:`argo_lib.sim.phenomena.phenomena_frame`): dusk-to-dawn nights, short-cycling
        stretches, closure days; empty columns :data:`~argo_lib.sim.phenomena.PHENOMENA_COLUMNS`
        when none act.
    """

    readings: pd.DataFrame
    labels: pd.DataFrame
    temperature: pd.Series
    phenomena: pd.DataFrame = field(
        default_factory=lambda: pd.DataFrame(columns=list(PHENOMENA_COLUMNS))
    )


def _resolve_fields(fields: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(fields, str):
        if fields == "basic":
            return BASIC_FIELDS
        if fields == "all":
            return ALL_FIELDS
        raise UsageError(f"fields must be 'basic', 'all' or a list of columns, got {fields!r}")
    wanted = set(fields)
    unknown = sorted(wanted - set(ALL_FIELDS))
    if unknown:
        raise UsageError(f"unknown fields {unknown}; choose from {ALL_FIELDS}")
    if not wanted:
        raise UsageError("fields is empty; use 'basic' for energy_kwh and power_kw")
    return tuple(c for c in ALL_FIELDS if c in wanted)


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
    phenomena: Phenomena | None = None,
) -> Simulation:
    """Simulate the readings of metered channels over ``[start, end)``, with labelled faults.

    Intervals start on the resolution grid aligned to UTC epoch multiples: the first at or
    after ``start``, the last before ``end``. Each value is a pure function of ``(seed,
    channel_id, interval start)`` (and the faults and phenomena), so overlapping windows agree
    exactly, and a 1800/3600 s row is the aggregate of its 900 s base intervals: energy summed,
    instants averaged (a zero-filled outage zeroes whole rows, and a catch-up reading is the
    row after them). Without a ``mismatch`` fault ``energy_kwh == power_kw × Δt_h`` exactly.

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
    phenomena : Phenomena, optional
        Real-world site properties to include (dusk-to-dawn loads, short-cycling, a noisy
        main meter, which adds its channel after the others); None: none.

    Returns
    -------
    Simulation
        ``readings`` (long, UTC, sorted by channel and time), ``labels``, ``temperature`` and
        ``phenomena``.

    Raises
    ------
    UsageError
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
    start_ts = utc_timestamp(start, name="start")
    end_ts = utc_timestamp(end, name="end")
    if end_ts <= start_ts:
        raise UsageError(
            f"end ({end_ts}) must be after start ({start_ts}); the window is [start, end)"
        )
    if resolution_s not in RESOLUTIONS_S:
        raise UsageError(
            f"resolution_s must be one of {RESOLUTIONS_S} (the 900 s base grid or an aggregate "
            f"of it), got {resolution_s!r}"
        )
    chans = resolve_channels(channels)
    wanted = _resolve_fields(fields)
    electrical = any(f not in BASIC_FIELDS for f in wanted)
    site = WILSON_SITE if site is None else site
    seed = int(seed)
    faults = tuple(faults)
    phen = _resolve_phenomena(phenomena, chans)
    main = phen.main_meter
    all_chans = [*chans, main.channel] if main is not None else list(chans)
    ids = [c.channel_id for c in all_chans]

    out = grid_starts(start_ts, end_ts, resolution_s)
    k = resolution_s // BASE_RESOLUTION_S
    epochs = (out[:, None] + BASE_RESOLUTION_S * np.arange(k)).ravel()
    n_c = len(all_chans)

    # The window the readings really cover: [first interval start, last interval end).
    window_start, window_end = start_ts, end_ts
    if out.size:
        window_start = pd.Timestamp(int(out[0]) * NS, tz="UTC")
        window_end = pd.Timestamp(int(out[-1] + resolution_s) * NS, tz="UTC")
    active = faults_in_window(faults, ids, window_start, window_end)

    cal = site_calendar(epochs, site)
    temp = outdoor_temperature(epochs, seed)
    loads = phenomenon_loads(phen, ids, epochs, cal, site=site, seed=seed)
    power, noise, extra = _fault_free_power(chans, epochs, cal, temp, loads, seed=seed)
    excess = inject_power_faults(active, chans, epochs, cal, temp, noise, power, extra=extra)
    if main is not None:  # the main meter sees what the sub-meters draw, faults included
        on_main = [Load(x.source, 0, x.kw) for x in loads if x.row == len(chans)]
        m_power, m_noise, m_added = main_meter_parts(
            main, epochs, cal, temp, power, extra=added_power(on_main, 1, epochs.size), seed=seed
        )
        main_excess = inject_power_faults(
            active, [main.channel], epochs, cal, temp, m_noise, m_power, extra=m_added
        )
        excess.update(main_excess)
        power = np.vstack([power, m_power])
    base = base_fields(all_chans, epochs, cal, temp, seed, electrical=electrical, power=power)

    def model_power(channel: SimChannel, t0: np.ndarray) -> np.ndarray:
        """Fault-free power of one channel (a main meter with its sub-meters) at ``t0`` [kW]."""
        cal0, temp0 = site_calendar(t0, site), outdoor_temperature(t0, seed)
        if main is not None and channel.channel_id == main.channel_id:
            loads0 = phenomenon_loads(phen, ids, t0, cal0, site=site, seed=seed)
            subs = _fault_free_power(chans, t0, cal0, temp0, loads0, seed=seed)[0]
            on_main = [Load(x.source, 0, x.kw) for x in loads0 if x.row == len(chans)]
            extra0 = added_power(on_main, 1, t0.size)
            return main_meter_parts(main, t0, cal0, temp0, subs, extra=extra0, seed=seed)[0]
        loads0 = phenomenon_loads(phen, [channel.channel_id], t0, cal0, site=site, seed=seed)
        return _fault_free_power([channel], t0, cal0, temp0, loads0, seed=seed)[0]

    inject_field_faults(
        active,
        all_chans,
        epochs,
        base,
        excess,
        site=site,
        seed=seed,
        electrical=electrical,
        model_power=None if phen.empty else model_power,
    )

    # Aggregate to the output resolution: energy summed, instants averaged; a group of identical
    # base values (a stuck sensor) keeps exactly that value.
    n_out = out.size
    result: dict[str, np.ndarray] = {}
    for name in dict.fromkeys((*wanted, "energy_kwh")):
        g = base[name].reshape(n_c, n_out, k)
        if k == 1:
            result[name] = g[..., 0]
            continue
        total = g.sum(axis=-1)
        const = g.max(axis=-1) == g.min(axis=-1)
        if name in ENERGY_FIELDS:
            result[name] = np.where(const, g[..., 0] * k, total)
        else:
            result[name] = np.where(const, g[..., 0], total / k)

    def consumed(fault: Fault) -> float:
        """Energy the fault's channel used in the rows an outage or gap touches [kWh]."""
        lo, hi = outage_span(fault, resolution_s)
        is_main = main is not None and fault.channel_id == main.channel_id
        own = [c for c in chans if c.channel_id == fault.channel_id]
        sub = simulate_readings(
            start=pd.Timestamp(lo * NS, tz="UTC"),
            end=pd.Timestamp(hi * NS, tz="UTC"),
            resolution_s=resolution_s,
            channels=chans if is_main else own,
            seed=seed,
            site=site,
            faults=[f for f in faults if f.kind in POWER_KINDS],
            phenomena=phen if is_main else phen.without_main(),
        ).readings
        return float(sub.loc[sub["channel_id"] == fault.channel_id, "energy_kwh"].sum())

    catch_ups = apply_outages(
        active, all_chans, out, epochs, result, excess, resolution_s=resolution_s, consumed=consumed
    )

    flat_keep = kept_rows(active, all_chans, epochs, per_row=k).ravel()
    stamps = np.tile(out * 1_000_000, n_c)[flat_keep].view("M8[us]")
    data: dict[str, Any] = {
        "timestamp": pd.DatetimeIndex(stamps).tz_localize("UTC"),
        "channel_id": np.repeat(np.array(ids, dtype=np.int64), n_out)[flat_keep],
    }
    for name in wanted:
        data[name] = result[name].ravel()[flat_keep]
    readings = pd.DataFrame(data)

    labels = fault_labels(active, excess, window_start, window_end, catch_ups)
    t_index = pd.DatetimeIndex((out * 1_000_000).view("M8[us]"), name="timestamp").tz_localize(
        "UTC"
    )
    temperature = pd.Series(
        temp.reshape(n_out, k).mean(axis=1), index=t_index, name="temperature_c"
    )
    where = phenomena_frame(loads, ids, epochs, cal, site=site, window=(window_start, window_end))
    return Simulation(readings=readings, labels=labels, temperature=temperature, phenomena=where)


def _resolve_phenomena(phenomena: Phenomena | None, chans: list[SimChannel]) -> Phenomena:
    """The phenomena to simulate, checked against the simulated channels."""
    if phenomena is None:
        return Phenomena()
    if not isinstance(phenomena, Phenomena):
        raise UsageError(
            f"phenomena must be an argo_lib.sim.phenomena.Phenomena, got {type(phenomena).__name__}"
        )
    main = phenomena.main_meter
    if main is not None and main.channel_id in {c.channel_id for c in chans}:
        raise UsageError(
            f"the main meter's channel id {main.channel_id} is also a simulated sub-meter; give "
            "the main meter a channel id of its own"
        )
    return phenomena


def _fault_free_power(
    chans: list[SimChannel],
    epochs: np.ndarray,
    cal: SiteCalendar,
    temp: np.ndarray,
    loads: list[Load],
    *,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Power of the load model with the phenomena on these channels (rows ``0 … len(chans)-1``).

    Returns the power [kW], the multiplicative noise [-] and the phenomena's added power [kW]
    (None when none act on these channels).
    """
    occ = occupancy(chans, cal)
    noise = noise_factor(chans, epochs, seed)
    power = clean_power(chans, cal, temp, occ) * noise
    extra = added_power([x for x in loads if x.row < len(chans)], len(chans), epochs.size)
    if extra is not None:
        power = power + extra
    return power, noise, extra
