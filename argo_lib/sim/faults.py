"""Faults of the simulated site: their kinds, their injection into the load model, their labels.

A :class:`Fault` is one labelled problem on one channel over ``[start, end)`` (analytics spec
section D): a communication gap, a sensor gone silent or stuck, a demand spike, equipment left on
after hours, a schedule change, a level shift, a reversed current transformer, an energy/power
mismatch; and what real meters do besides (issue 9): a zero-filled outage, the catch-up reading
after an outage or a gap (the first reading after it carries the energy used meanwhile), a
sustained business-hours excess. :func:`argo_lib.sim.simulate_readings` injects them (the functions
below, in four stages: power, then fields, then outages and catch-up readings at the output
resolution, then missing rows) and returns one label per fault with the energy it added, plus one
``catch_up`` label per catch-up reading, so every detection can be scored against what was
injected. :func:`random_faults` draws seeded, plausible, detectable faults for the detection
benchmark.

Examples
--------
>>> fault = Fault(162285, "spike", "2025-12-03T10:00-05:00", "2025-12-03T10:30-05:00", size=5.0)
>>> fault.unit, str(fault.start)
('kW', '2025-12-03 15:00:00+00:00')
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError
from argo_lib.sim.grid import (
    BASE_RESOLUTION_S,
    NS,
    RESOLUTIONS_S,
    epoch_seconds,
    grid_starts,
    utc_timestamp,
)
from argo_lib.sim.load import (
    ENERGY_FIELDS,
    SIGNED_FIELDS,
    SiteCalendar,
    base_fields,
    clean_power,
    occupancy,
    outdoor_temperature,
    site_calendar,
)
from argo_lib.sim.noise import MASK64
from argo_lib.sim.site import WILSON_SITE, SimChannel, resolve_channels

__all__ = [
    "DRAW_FAMILIES",
    "FAULT_KINDS",
    "LABEL_COLUMNS",
    "LABEL_KINDS",
    "REAL_WORLD_KINDS",
    "Fault",
    "random_faults",
]

logger = logging.getLogger(__name__)

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
"""Fault families of analytics spec section D (the default draw of :func:`random_faults`)."""
REAL_WORLD_KINDS: tuple[str, ...] = ("outage", "excess")
"""Faults real meters show besides (issue 9): a zero-filled outage, a business-hours excess."""
LABEL_KINDS: tuple[str, ...] = (*FAULT_KINDS, *REAL_WORLD_KINDS, "catch_up")
"""Kinds of the labels of a simulation: every fault kind, and ``catch_up`` for the reading
after an outage or gap that carries the energy used meanwhile."""
DRAW_FAMILIES: tuple[str, ...] = (*FAULT_KINDS, *REAL_WORLD_KINDS, "catch_up")
"""Families :func:`random_faults` can draw; ``catch_up`` draws a gap with a catch-up reading."""
POWER_KINDS = ("schedule_change", "level_shift", "excess", "after_hours", "spike")
"""Kinds that change what the building consumes (the others change only what a meter reports)."""
_KINDS = (*FAULT_KINDS, *REAL_WORLD_KINDS)

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
    "outage": (None,),
    "excess": ("fraction", "kW"),
}
_OPEN_ENDED = (
    "silent",
    "stuck",
    "level_shift",
    "after_hours",
    "schedule_change",
    "negative",
    "outage",
)
_CATCH_UP_DEFAULT = {"outage": True, "gap": False}  # kinds that may end with a catch-up reading
# Fields a zero-filled outage reports as 0 (consumption); instants such as voltage stay.
ZERO_FIELDS = (
    "energy_kwh",
    "power_kw",
    "current_a",
    "reactive_power_kvar",
    "apparent_power_kva",
    "neutral_current_a",
    *(f"{c}_p{i}" for c in ("energy_kwh", "power_kw", "current_a") for i in (1, 2, 3)),
)


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
        - ``outage``: the meter reports 0 (energy, power, currents; voltage and frequency
          stay) for every interval of the span, as gateways that back-fill an outage do; the
          first reading after it is a catch-up reading (see ``catch_up``). Open-ended: zeros
          to the end of the window, no catch-up.
        - ``excess``: power scaled by ``1 + size`` (unit ``"fraction"``) or ``size`` kW added
          (unit ``"kW"``) over the span, e.g. a business-hours excess on a main meter.
    start : timestamp
        Tz-aware start (converted to UTC).
    end : timestamp or None
        Tz-aware exclusive end; None for an open-ended fault (``silent``, ``stuck``,
        ``level_shift``, ``after_hours``, ``schedule_change``, ``negative``, ``outage``).
    size : float or None
        Magnitude in ``unit``; required for spike, after_hours, schedule_change, level_shift,
        mismatch and excess, ignored (must be None) otherwise.
    unit : str or None
        ``"kW"``, ``"fraction"`` (0.25 = +25 %) or ``"h"``; None takes the kind's default.
    catch_up : bool or None
        Whether the first reading after an ``outage`` or ``gap`` carries the energy the
        channel used during it (plus its own), as a meter whose register kept counting does:
        its energy is the sum, its power that energy over its interval. At a coarser
        resolution every row the fault touches is zeroed (or missing) and the catch-up is the
        next row. None takes the kind's default: True for ``outage``, False for ``gap``; other
        kinds have none.

    Raises
    ------
    UsageError
        For an unknown kind or unit, naive or reversed times, or a missing/extra size.
    """

    channel_id: int
    kind: str
    start: pd.Timestamp
    end: pd.Timestamp | None = None
    size: float | None = None
    unit: str | None = None
    catch_up: bool | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise UsageError(f"unknown fault kind {self.kind!r}; use one of {_KINDS}")
        catch_up = (
            _CATCH_UP_DEFAULT.get(self.kind, False) if self.catch_up is None else self.catch_up
        )
        if catch_up and self.kind not in _CATCH_UP_DEFAULT:
            raise UsageError(
                f"a {self.kind!r} fault has no catch-up reading; only {tuple(_CATCH_UP_DEFAULT)} "
                "faults take catch_up=True"
            )
        object.__setattr__(self, "catch_up", bool(catch_up))
        object.__setattr__(self, "channel_id", int(self.channel_id))
        start = utc_timestamp(self.start, name="Fault.start")
        object.__setattr__(self, "start", start)
        if self.end is None:
            if self.kind not in _OPEN_ENDED:
                raise UsageError(
                    f"a {self.kind!r} fault needs an end; only {_OPEN_ENDED} may be open-ended"
                )
        else:
            end = utc_timestamp(self.end, name="Fault.end")
            if end <= start:
                raise UsageError(f"Fault.end ({end}) must be after Fault.start ({start})")
            object.__setattr__(self, "end", end)
        units = _FAULT_UNITS[self.kind]
        unit = units[0] if self.unit is None else self.unit
        if unit not in units:
            raise UsageError(f"a {self.kind!r} fault takes unit {units}, got {self.unit!r}")
        object.__setattr__(self, "unit", unit)
        if unit is None:
            if self.size is not None:
                raise UsageError(f"a {self.kind!r} fault has no size; leave size=None")
        else:
            if self.size is None or not math.isfinite(float(self.size)):
                raise UsageError(f"a {self.kind!r} fault needs a finite size in {unit}")
            object.__setattr__(self, "size", float(self.size))
            if self.kind == "schedule_change" and self.size == 0:
                raise UsageError("a schedule_change of 0 h changes nothing; give size != 0")


LABEL_COLUMNS = ("channel_id", "kind", "start", "end", "size", "unit", "expected_kwh")
"""Columns of the fault labels of a simulation: the channel, the fault family (``kind``, one of
:data:`LABEL_KINDS`), the half-open span and the energy it concerns."""


def in_span(epochs: np.ndarray, fault: Fault) -> np.ndarray:
    """Base intervals whose start lies in the fault's ``[start, end)``.

    Parameters
    ----------
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    fault : Fault
        The fault.

    Returns
    -------
    numpy.ndarray
        Boolean mask of ``epochs``.
    """
    ns = epochs * NS
    mask = ns >= fault.start.as_unit("ns").value
    if fault.end is not None:
        mask &= ns < fault.end.as_unit("ns").value
    return mask


# --------------------------------------------------------------------------------------------
# Injection into the load model
# --------------------------------------------------------------------------------------------


def faults_in_window(
    faults: Iterable[Fault],
    channel_ids: Sequence[int],
    window_start: pd.Timestamp,
    window_end: pd.Timestamp,
) -> list[Fault]:
    """The faults that touch simulated channels within ``[window_start, window_end)``.

    Parameters
    ----------
    faults : iterable of Fault
        Candidate faults.
    channel_ids : sequence of int
        The simulated channels.
    window_start, window_end : pandas.Timestamp
        The window the readings cover (UTC).

    Returns
    -------
    list of Fault
        In the given order; faults on other channels or outside the window are left out.
    """
    ids = set(channel_ids)
    return [
        f
        for f in faults
        if f.channel_id in ids and f.start < window_end and (f.end is None or f.end > window_start)
    ]


def _rows(channels: Sequence[SimChannel]) -> dict[int, int]:
    return {c.channel_id: i for i, c in enumerate(channels)}


def inject_power_faults(
    active: Sequence[Fault],
    channels: Sequence[SimChannel],
    epochs: np.ndarray,
    cal: SiteCalendar,
    temp_c: np.ndarray,
    noise: np.ndarray,
    power: np.ndarray,
    *,
    extra: np.ndarray | None = None,
) -> dict[int, float]:
    """Apply the faults that change power: schedule changes, level shifts, excess, after hours, spikes.

    Schedule changes alter occupancy, so they are evaluated through the load model; the others
    add to (or scale) the power of their span. ``power`` is changed in place. Faults on
    channels that are not in ``channels`` are left for another call.

    Parameters
    ----------
    active : sequence of Fault
        From :func:`faults_in_window`.
    channels : sequence of SimChannel
        The simulated channels, in the row order of ``power``.
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    cal : SiteCalendar
        Schedule of the intervals.
    temp_c : numpy.ndarray
        Outdoor temperature per interval [°C].
    noise : numpy.ndarray
        Multiplicative noise of the clean power, per channel and interval [-].
    power : numpy.ndarray
        Power per channel and interval [kW]; changed in place.
    extra : numpy.ndarray, optional
        What each channel draws on top of its load model's ``clean × noise`` (site phenomena;
        for a main meter, its sub-meters) [kW]; a schedule change keeps it.

    Returns
    -------
    dict of int to float
        Position of a fault in ``active`` → the energy it added [kWh].
    """
    row_of = _rows(channels)
    excess: dict[int, float] = {}
    dt_h = BASE_RESOLUTION_S / 3600.0
    for i, f in enumerate(active):
        if f.kind != "schedule_change" or f.channel_id not in row_of:
            continue
        r = row_of[f.channel_id]
        size = float(f.size or 0.0)
        span = in_span(epochs, f)
        shift = np.where(span, abs(size), 0.0)[None, :]
        kw = {"close_shift_h": shift} if size > 0 else {"open_shift_h": shift}
        occ_f = occupancy([channels[r]], cal, **kw)
        new = clean_power([channels[r]], cal, temp_c, occ_f)[0] * noise[r]
        if extra is not None:
            new = new + extra[r]
        excess[i] = float(np.sum(new - power[r])) * dt_h
        power[r] = new
    for kind in ("level_shift", "excess", "after_hours", "spike"):
        for i, f in enumerate(active):
            if f.kind != kind or f.channel_id not in row_of:
                continue
            r = row_of[f.channel_id]
            size = float(f.size or 0.0)
            span = in_span(epochs, f)
            if kind == "after_hours":
                span &= ~cal.business
            if kind in ("level_shift", "excess") and f.unit == "fraction":
                delta = np.where(span, size * power[r], 0.0)
            else:
                delta = np.where(span, size, 0.0)
            power[r] = power[r] + delta
            excess[i] = float(np.sum(delta)) * dt_h
    return excess


def inject_field_faults(
    active: Sequence[Fault],
    channels: Sequence[SimChannel],
    epochs: np.ndarray,
    fields: dict[str, np.ndarray],
    excess: dict[int, float],
    *,
    site: Any,
    seed: int,
    electrical: bool,
    model_power: Callable[[SimChannel, np.ndarray], np.ndarray] | None = None,
) -> None:
    """Apply the faults that change recorded fields: stuck sensors, reversed CTs, mismatches.

    A stuck channel repeats every field of its clean value at the fault's first base interval
    (whatever the window); a negative one flips the sign of :data:`argo_lib.sim.load.SIGNED_FIELDS`;
    a mismatch scales energy, not power. ``fields`` and ``excess`` are changed in place.

    Parameters
    ----------
    active : sequence of Fault
        From :func:`faults_in_window`.
    channels : sequence of SimChannel
        The simulated channels, in the row order of ``fields``.
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s].
    fields : dict of str to numpy.ndarray
        From :func:`argo_lib.sim.load.base_fields`; changed in place.
    excess : dict of int to float
        Energy added per fault position [kWh]; mismatches add theirs.
    site : SimSite or SiteSettings-like
        Schedule, for the clean value of a stuck sensor.
    seed : int
        Simulation seed.
    electrical : bool
        Whether ``fields`` holds the electrical fields.
    model_power : callable, optional
        ``model_power(channel, epochs) -> (1, len(epochs))`` power of the fault-free model
        [kW] (with the site's phenomena, or a main meter's sub-meters); default the channel's
        load model alone.
    """
    row_of = _rows(channels)
    active = [f for f in active if f.channel_id in row_of]
    for f in active:
        if f.kind != "stuck":
            continue
        r = row_of[f.channel_id]
        t0 = np.array([epoch_seconds(f.start) // BASE_RESOLUTION_S * BASE_RESOLUTION_S])
        frozen = base_fields(
            [channels[r]],
            t0,
            site_calendar(t0, site),
            outdoor_temperature(t0, seed),
            seed,
            electrical=electrical,
            power=None if model_power is None else model_power(channels[r], t0),
        )
        span = in_span(epochs, f)
        for name, values in fields.items():
            values[r, span] = frozen[name][0, 0]
    for f in active:
        if f.kind == "negative":
            r = row_of[f.channel_id]
            span = in_span(epochs, f)
            for name in SIGNED_FIELDS:
                if name in fields:
                    fields[name][r, span] = -fields[name][r, span]
    for i, f in enumerate(active):
        if f.kind == "mismatch":
            r = row_of[f.channel_id]
            size = float(f.size or 0.0)
            span = in_span(epochs, f)
            excess[i] = float(np.sum(fields["energy_kwh"][r, span])) * size
            for name in ENERGY_FIELDS:
                if name in fields:
                    fields[name][r, span] = fields[name][r, span] * (1.0 + size)


def kept_rows(
    active: Sequence[Fault], channels: Sequence[SimChannel], epochs: np.ndarray, *, per_row: int
) -> np.ndarray:
    """Which output rows survive the gaps and silent channels.

    Parameters
    ----------
    active : sequence of Fault
        From :func:`faults_in_window`.
    channels : sequence of SimChannel
        The simulated channels (rows of the result).
    epochs : numpy.ndarray
        Base-interval starts, Unix epoch seconds [s], ``per_row`` per output row.
    per_row : int
        Base intervals per output row; a row goes when any of its base intervals is missing.

    Returns
    -------
    numpy.ndarray
        Boolean, shape ``(len(channels), len(epochs) // per_row)``.
    """
    row_of = _rows(channels)
    n_out = epochs.size // per_row
    keep = np.ones((len(channels), n_out), dtype=bool)
    for f in active:
        if f.kind in ("gap", "silent"):
            span = in_span(epochs, f).reshape(n_out, per_row).any(axis=1)
            keep[row_of[f.channel_id]] &= ~span
    return keep


@dataclass(frozen=True)
class CatchUp:
    """A catch-up reading: the first row after an outage or gap, carrying its energy."""

    channel_id: int
    start: pd.Timestamp  # UTC start of the catch-up row
    end: pd.Timestamp
    carried_kwh: float  # energy used during the outage or gap, added to the row's own [kWh]


def catch_up_start(fault: Fault, resolution_s: int) -> int | None:
    """Start of a fault's catch-up row on the ``resolution_s`` grid [s], or None if it has none.

    Parameters
    ----------
    fault : Fault
        An ``outage`` or ``gap`` with ``catch_up``.
    resolution_s : int
        Output resolution [s].

    Returns
    -------
    int or None
        Unix epoch seconds of the first row that starts at or after the fault's end.
    """
    if not fault.catch_up or fault.end is None:
        return None
    end_s = -(-fault.end.as_unit("ns").value // NS)
    return -(-end_s // resolution_s) * resolution_s


def outage_span(fault: Fault, resolution_s: int) -> tuple[int, int]:
    """The rows an outage or gap touches on the ``resolution_s`` grid, ``[first, end)`` [s].

    Parameters
    ----------
    fault : Fault
        A fault with an end.
    resolution_s : int
        Output resolution [s].

    Returns
    -------
    tuple of int
        Unix epoch seconds: the start of the first row touched and the end of the last.
    """
    start_s = fault.start.as_unit("ns").value // NS
    first = start_s // resolution_s * resolution_s
    end = catch_up_start(replace(fault, catch_up=True), resolution_s)
    assert end is not None  # a fault with an end
    return int(first), int(end)


def apply_outages(
    active: Sequence[Fault],
    channels: Sequence[SimChannel],
    out: np.ndarray,
    epochs: np.ndarray,
    fields: dict[str, np.ndarray],
    excess: dict[int, float],
    *,
    resolution_s: int,
    consumed: Callable[[Fault], float],
) -> list[CatchUp]:
    """Zero the rows of zero-filled outages and write the catch-up readings, at the output resolution.

    A row is zeroed when any of its base intervals lies in an outage (the consumption fields
    of :data:`ZERO_FIELDS`). The catch-up row of an outage or gap with ``catch_up`` gets the
    energy the channel used in the rows the fault touched added to its own (every energy
    field scaled alike), and its power becomes that energy over its interval, as a meter
    derives it from its register. ``fields`` and ``excess`` are changed in place.

    Parameters
    ----------
    active : sequence of Fault
        From :func:`faults_in_window`.
    channels : sequence of SimChannel
        The simulated channels, in the row order of ``fields``.
    out : numpy.ndarray
        Output row starts, Unix epoch seconds [s].
    epochs : numpy.ndarray
        Base-interval starts of those rows [s].
    fields : dict of str to numpy.ndarray
        Output fields of shape ``(len(channels), len(out))``; ``energy_kwh`` always included.
    excess : dict of int to float
        Per fault position, an outage's energy hidden by its zeros in the window [kWh].
    resolution_s : int
        Output resolution [s].
    consumed : callable
        ``consumed(fault)``: the energy the fault's channel used in the rows it touches, the
        whole fault even where it lies outside the window [kWh].

    Returns
    -------
    list of CatchUp
        The catch-up readings written (those whose row lies in the window).
    """
    row_of = _rows(channels)
    per_row = max(1, resolution_s // BASE_RESOLUTION_S)
    n_out = out.size
    energy = fields["energy_kwh"]
    dt_h = resolution_s / 3600.0
    for i, f in enumerate(active):
        if f.kind != "outage" or f.channel_id not in row_of:
            continue
        r = row_of[f.channel_id]
        rows = in_span(epochs, f).reshape(n_out, per_row).any(axis=1)
        excess[i] = float(np.sum(energy[r, rows]))
        for name in ZERO_FIELDS:
            if name in fields:
                fields[name][r, rows] = 0.0
    written = []
    for f in active:
        at = catch_up_start(f, resolution_s)
        if at is None or f.channel_id not in row_of:
            continue
        col = int(np.searchsorted(out, at))
        if col >= n_out or out[col] != at:
            continue  # the catch-up row lies outside the window
        r = row_of[f.channel_id]
        carried = float(consumed(f))
        own = float(energy[r, col])
        total = own + carried
        factor = total / own if own > 0 else np.nan
        for name in ("energy_kwh_p1", "energy_kwh_p2", "energy_kwh_p3", "power_kw_p1",
                     "power_kw_p2", "power_kw_p3"):  # fmt: skip
            if name in fields:
                even = total / 3.0 / (dt_h if name.startswith("power") else 1.0)
                fields[name][r, col] = fields[name][r, col] * factor if own > 0 else even
        energy[r, col] = total
        if "power_kw" in fields:
            fields["power_kw"][r, col] = total / dt_h
        start = pd.Timestamp(at * NS, tz="UTC")
        written.append(
            CatchUp(f.channel_id, start, start + pd.Timedelta(seconds=resolution_s), carried)
        )
    return written


def fault_labels(
    active: Sequence[Fault],
    excess: dict[int, float],
    window_start: pd.Timestamp,
    window_end: pd.Timestamp,
    catch_ups: Sequence[CatchUp] = (),
) -> pd.DataFrame:
    """One label per injected fault, clipped to the simulated window, and one per catch-up reading.

    Parameters
    ----------
    active : sequence of Fault
        From :func:`faults_in_window`.
    excess : dict of int to float
        Energy added (or, for an outage, hidden by its zeros) per fault position [kWh].
    window_start, window_end : pandas.Timestamp
        The window the readings cover (UTC).
    catch_ups : sequence of CatchUp
        From :func:`apply_outages`.

    Returns
    -------
    pandas.DataFrame
        :data:`LABEL_COLUMNS`: ``channel_id``, ``kind``, ``start``, ``end`` (UTC), ``size``,
        ``unit`` and ``expected_kwh`` [kWh] (NaN for faults that add no energy; for an
        ``outage`` the energy its zeros hide in the window; for a ``catch_up`` the energy it
        carries on top of its own). Faults in the given order, then the catch-up readings.
    """
    rows: dict[str, list[Any]] = {name: [] for name in LABEL_COLUMNS}
    for i, f in enumerate(active):
        end = window_end if f.end is None else min(f.end, window_end)
        rows["channel_id"].append(f.channel_id)
        rows["kind"].append(f.kind)
        rows["start"].append(max(f.start, window_start))
        rows["end"].append(end)
        rows["size"].append(np.nan if f.size is None else f.size)
        rows["unit"].append(f.unit)
        rows["expected_kwh"].append(excess.get(i, np.nan))
    for c in catch_ups:
        rows["channel_id"].append(c.channel_id)
        rows["kind"].append("catch_up")
        rows["start"].append(c.start)
        rows["end"].append(c.end)
        rows["size"].append(np.nan)
        rows["unit"].append(None)
        rows["expected_kwh"].append(c.carried_kwh)
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
            raise UsageError(
                f"period must be a dates.Period or a (start, end) pair of tz-aware timestamps, "
                f"got {period!r}"
            ) from None
    start_ts, end_ts = (
        utc_timestamp(start, name="period.start"),
        utc_timestamp(end, name="period.end"),
    )
    if end_ts <= start_ts:
        raise UsageError(f"period end ({end_ts}) must be after its start ({start_ts})")
    return start_ts, end_ts


_PERSISTENT = {"silent": (0.40, 0.85), "level_shift": (0.30, 0.70)}  # start, share of period
_DURATION_H = {
    "stuck": (8, 24),
    "negative": (1, 6),
    "mismatch": (6, 24),
    "outage": (13, 52),  # the zero-filled outages of issue 9 lasted 13, 23, 27 and 52 h
    "catch_up": (2, 12),
    "excess": (2, 4),
}
_WITH_CATCH_UP = ("outage", "catch_up")  # their catch-up reading must fall in the period
_DURATION_DAYS = {"after_hours": (2, 5), "schedule_change": (3, 7)}


def _eligible(kind: str, channel: SimChannel) -> bool:
    """Whether a channel's level makes a fault of ``kind`` plausible and detectable."""
    if kind == "after_hours":
        return channel.nominal_kw >= 0.3
    if kind == "schedule_change":
        return channel.occupied_kw >= 0.5
    if kind == "excess":
        return channel.role == "main"
    return True


def _candidates(kind: str, chans: Sequence[SimChannel]) -> list[SimChannel]:
    """The channels a fault of ``kind`` may go on (all of them when none is eligible)."""
    eligible = [c for c in chans if _eligible(kind, c)]
    if not eligible and kind == "excess":  # no main meter: a channel with an occupied load
        eligible = [c for c in chans if c.occupied_kw >= 0.5]
    return eligible or list(chans)


def _draw_slots(
    kind: str,
    rng: np.random.Generator,
    n_slots: int,
    resolution_s: int,
    business: np.ndarray | None = None,
) -> tuple[int, int] | None:
    """Start slot and length in intervals of a fault, or None if the period is too short.

    ``business`` (per slot) confines an ``excess`` to consecutive business slots of one day.
    """
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
    if kind in _WITH_CATCH_UP:  # leave room for the catch-up reading
        if n + 1 >= n_slots:
            return None
        return int(rng.integers(0, n_slots - n)), n
    if kind == "excess" and business is not None:
        inside = np.concatenate([[0], np.cumsum(business.astype(np.int64))])
        starts = np.flatnonzero(inside[n:] - inside[:-n] == n)
        if starts.size == 0:
            return None
        return int(starts[int(rng.integers(len(starts)))]), n
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
        after_h = float(np.sum(~site_calendar(span, site).business)) * BASE_RESOLUTION_S / 3600
        if after_h < 10:
            return None
        level = float(rng.uniform(0.4, 0.8)) * channel.nominal_kw
        return max(level, 20.0 / after_h), "kW"  # at least 20 kWh over the span
    if kind == "schedule_change":
        cal = site_calendar(span, site)
        open_days = np.unique(cal.day[cal.is_open]).size
        hours = float(rng.uniform(2.0, 4.0))
        if open_days < 2 or channel.occupied_kw * hours * open_days < 10:
            return None  # too little extra energy to be a finding
        return (hours if rng.uniform() < 2 / 3 else -hours), "h"
    if kind == "level_shift":
        return float(rng.uniform(0.25, 0.5)), "fraction"
    if kind == "mismatch":
        return float(rng.uniform(0.15, 0.40)), "fraction"
    if kind == "excess":
        return float(rng.uniform(0.5, 1.0)), "fraction"
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
    avoid: Iterable[Fault] = (),
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
    - ``outage``: a zero-filled outage of 13–52 h with its catch-up reading (issue 9's lasted
      13, 23, 27 and 52 h); ``catch_up``: a gap of 2–12 h with a catch-up reading; both end
      so that the catch-up reading falls inside ``period``.
    - ``excess``: +50–100 % for 2–4 h within one day's business hours; on the main meter
      (role ``main``) where one is among ``channels``, else on channels with ≥ 0.5 kW of
      occupied load.

    Parameters
    ----------
    period : dates.Period or (start, end)
        Tz-aware window the faults must fall in.
    channels : iterable of SimChannel or int, optional
        Candidate channels; None: :data:`WILSON_CHANNELS`.
    seed : int
        Seed of the draw (a pure function of all arguments).
    families : iterable of str
        Fault families to draw, from :data:`DRAW_FAMILIES`; default the spec-D kinds of
        :data:`FAULT_KINDS`.
    per_family : int
        Faults drawn per family. A fault that finds no free place after 200 tries is dropped.
    resolution_s : int
        Grid the fault times align to (900, 1800 or 3600) [s].
    site : SiteSettings-like, optional
        Schedule used to size after-hours and schedule faults; default :data:`WILSON_SITE`.
    avoid : iterable of Fault
        Faults already placed (e.g. by another draw): new faults keep 6 h away from them on
        the same channel.

    Returns
    -------
    tuple of Fault
        Sorted by start, then channel.

    Raises
    ------
    UsageError
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
    chans = resolve_channels(channels)
    fams = tuple(families)
    unknown = sorted(set(fams) - set(DRAW_FAMILIES))
    if unknown:
        raise UsageError(f"unknown fault families {unknown}; choose from {DRAW_FAMILIES}")
    if resolution_s not in RESOLUTIONS_S:
        raise UsageError(f"resolution_s must be one of {RESOLUTIONS_S}, got {resolution_s!r}")
    if per_family < 0:
        raise UsageError(f"per_family must be >= 0, got {per_family}")
    site = WILSON_SITE if site is None else site
    grid = grid_starts(start, end, resolution_s)
    if grid.size < 4:
        raise UsageError("period is shorter than four intervals; give a longer period")
    rng = np.random.default_rng([int(seed) & MASK64, 0x5EED])
    p0, p_end = int(grid[0]), int(grid[-1] + resolution_s)
    margin = 6 * 3600  # faults on one channel keep this far apart [s]
    taken: dict[int, list[tuple[int, int]]] = {c.channel_id: [] for c in chans}
    for f in avoid:
        if f.channel_id in taken:
            a = epoch_seconds(f.start)
            b = p_end + margin if f.end is None else epoch_seconds(f.end)
            taken[f.channel_id].append((a, b + (resolution_s if f.catch_up else 0)))
    # Long faults on few eligible channels first, then those that claim a channel's period end.
    first = ("schedule_change", "after_hours", "silent", "level_shift")
    order = sorted(
        fams, key=lambda k: (first.index(k) if k in first else 4, DRAW_FAMILIES.index(k))
    )
    business = site_calendar(grid, site).business if "excess" in fams else None
    faults: list[Fault] = []
    for kind in order:
        eligible = _candidates(kind, chans)
        for _ in range(per_family):
            for _attempt in range(200):
                ch = eligible[int(rng.integers(len(eligible)))]
                slots = _draw_slots(kind, rng, grid.size, resolution_s, business)
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
                claimed = f_end + (resolution_s if kind in _WITH_CATCH_UP else 0)
                busy.append((f_start, claimed if f_end < p_end else p_end + margin))
                start_ts, end_ts = (pd.Timestamp(t * NS, tz="UTC") for t in (f_start, f_end))
                faults.append(
                    Fault(
                        ch.channel_id,
                        "gap" if kind == "catch_up" else kind,
                        start_ts,
                        end_ts,
                        size=sized[0],
                        unit=sized[1],
                        catch_up=True if kind == "catch_up" else None,
                    )
                )
                break
            else:
                logger.debug("random_faults: no free place for a %s fault; dropped", kind)
    return tuple(sorted(faults, key=lambda f: (f.start, f.channel_id, f.kind)))
