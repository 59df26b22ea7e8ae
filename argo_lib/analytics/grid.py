"""Readings on the expected interval grid: the common input of every analytic.

The canonical long readings frame is checked once, the analysed channels are tabulated (with
their resolution, role and limits), and the readings of each resolution are laid out as dense
``(interval, channel)`` arrays over the expected UTC interval starts of a period, NaN where a
reading is missing. Every analytic then works with numpy over whole arrays: no per-row Python.
Each row also carries its site-local calendar (hour of week, day type, business hours), so DST
weeks (167 or 169 h) and holidays are handled in one place.
"""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates

__all__ = [
    "CHANNEL_COLUMNS",
    "Grid",
    "build_grids",
    "channel_table",
    "check_readings",
    "records",
]

CHANNEL_COLUMNS = (
    "channel_id",
    "channel_name",
    "resolution_s",
    "role",
    "max_kw",
    "owner",
)
"""Columns of the analysed-channels table returned by :func:`channel_table`."""

_DAY_CODE = {name: code for code, name in enumerate(dates.DAY_TYPES)}


def check_readings(readings: pd.DataFrame | None) -> pd.DataFrame:
    """Check the canonical readings frame and return it with normalised dtypes.

    Parameters
    ----------
    readings : pandas.DataFrame or None
        ``timestamp`` (tz-aware interval start), ``channel_id``, ``energy_kwh`` [kWh],
        ``power_kw`` [kW]; a missing value column is treated as all NaN. None is an empty frame.

    Returns
    -------
    pandas.DataFrame
        Columns ``timestamp`` (UTC), ``channel_id`` (int64), ``energy_kwh``, ``power_kw``
        (float64), in the input order (the health checks look at that order).

    Raises
    ------
    ValueError
        If ``timestamp`` or ``channel_id`` is missing, or the timestamps are naive.
    """
    if readings is None:
        readings = pd.DataFrame(columns=["timestamp", "channel_id"])
    missing = [c for c in ("timestamp", "channel_id") if c not in readings.columns]
    if missing:
        raise ValueError(
            f"readings lack column(s) {missing}; pass the canonical long frame "
            "(timestamp, channel_id, energy_kwh, power_kw) as returned by db.read_readings"
        )
    ts = dates.ensure_aware(readings["timestamp"], name="readings.timestamp")
    out = pd.DataFrame(
        {
            "timestamp": ts.tz_convert("UTC").as_unit("ns"),
            "channel_id": readings["channel_id"].to_numpy(dtype=np.int64),
        }
    )
    for column in ("energy_kwh", "power_kw"):
        if column in readings.columns:
            values = pd.to_numeric(readings[column], errors="coerce")
            out[column] = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            out[column] = np.nan
    return out


def _infer_resolution(readings: pd.DataFrame, channel_ids: np.ndarray) -> np.ndarray:
    """Most common spacing of each channel's timestamps [s] (NaN with < 2 readings)."""
    out = np.full(channel_ids.size, np.nan)
    if readings.empty or channel_ids.size == 0:
        return out
    ids = readings["channel_id"].to_numpy(dtype=np.int64)
    wanted = np.isin(ids, channel_ids)
    ids = ids[wanted]
    ns = readings["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64)[wanted]
    order = np.lexsort((ns, ids))
    ids, ns = ids[order], ns[order]
    step = np.diff(ns) // 1_000_000_000
    same = (ids[1:] == ids[:-1]) & (step > 0)
    if not same.any():
        return out
    # the most common spacing of each channel (robust to gaps and stray readings)
    step = np.minimum(step[same], 2**31 - 1)
    keys, counts = np.unique(ids[1:][same] * 2**32 + step, return_counts=True)
    key_id, key_step = keys >> 32, keys & (2**32 - 1)
    best = np.lexsort((-counts, key_id))
    first = np.concatenate([[True], key_id[best][1:] != key_id[best][:-1]])
    typical = dict(zip(key_id[best][first].tolist(), key_step[best][first].tolist(), strict=True))
    return np.array([typical.get(int(c), np.nan) for c in channel_ids], dtype=float)


def channel_table(
    readings: pd.DataFrame, *, channels: pd.DataFrame | None, site: Any
) -> pd.DataFrame:
    """Tabulate the analysed channels: the site's energy meters, with or without readings.

    A channel is analysed when the site file lists it or the readings name it. Left out are the
    site's ``skip_channels``, channels with ``analyse: false``, channels the channels frame marks
    as not energy meters (``is_energy`` false: virtual channels, air-quality sensors), and
    channels the database knows only from the Eniscope metadata (neither in the site file nor
    with a reading in the analysed span, e.g. another kit of the same organization). A channel
    of the site file without readings stays in the table (spec B3: reported, never dropped).

    Parameters
    ----------
    readings : pandas.DataFrame
        Output of :func:`check_readings`.
    channels : pandas.DataFrame or None
        ``channel_id``, optional ``channel_name``, ``resolution_s`` [s] (may be missing or
        null), ``role`` and ``is_energy``, e.g. :func:`argo_lib.db.read_channels`.
    site : config.SiteSettings
        ``channels`` (ChannelConfig: name, role, max_kw, analyse, owner), ``skip_channels``,
        ``default_resolution_s``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CHANNEL_COLUMNS`, sorted by ``channel_id``. ``resolution_s`` comes from
        the channels frame where it is stored, else the readings' most common spacing, else
        the site default.

    Raises
    ------
    ValueError
        If the channels frame has no ``channel_id`` column.
    """
    configured = {int(c.channel_id): c for c in getattr(site, "channels", ())}
    skipped = {int(c) for c in getattr(site, "skip_channels", ())}
    skipped |= {cid for cid, c in configured.items() if not getattr(c, "analyse", True)}
    frame = pd.DataFrame(columns=["channel_id"]) if channels is None else channels
    if "channel_id" not in frame.columns:
        raise ValueError(
            "channels frame lacks 'channel_id'; pass db.read_channels(...) or a frame with "
            "channel_id, channel_name, resolution_s, role"
        )
    given_ids = frame["channel_id"].to_numpy(dtype=np.int64).tolist()
    if "is_energy" in frame.columns:
        is_energy = frame["is_energy"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        skipped |= set(frame["channel_id"].to_numpy(dtype=np.int64)[~is_energy].tolist())
    # channels of the metadata only (another kit, a retired meter) are not the site's meters
    candidates = set(configured) | set(np.unique(readings["channel_id"]).tolist())
    ids = sorted(i for i in candidates if i not in skipped)

    def _given(column: str) -> dict[int, Any]:
        if column not in frame.columns:
            return {}
        return dict(zip(given_ids, frame[column].tolist(), strict=True))  # last one wins

    def _value(value: Any) -> Any:
        return None if value is None or value is pd.NA or pd.isna(value) else value

    given_name, given_res, given_role = (
        _given("channel_name"),
        _given("resolution_s"),
        _given("role"),
    )
    names, roles, max_kw, owners = [], [], [], []
    resolution = np.full(len(ids), np.nan)
    for i, cid in enumerate(ids):  # one entry per channel, not per reading
        config = configured.get(cid)
        names.append(str(getattr(config, "name", "") or _value(given_name.get(cid)) or cid))
        roles.append(str(getattr(config, "role", None) or _value(given_role.get(cid)) or "sub"))
        limit = getattr(config, "max_kw", None)
        max_kw.append(np.nan if limit is None else float(limit))
        owners.append(getattr(config, "owner", None))
        res = _value(given_res.get(cid))
        if res is not None:
            resolution[i] = float(res)
    ids_array = np.asarray(ids, dtype=np.int64)
    unknown = np.isnan(resolution)
    if unknown.any():
        resolution[unknown] = np.round(_infer_resolution(readings, ids_array[unknown]))
    default = float(getattr(site, "default_resolution_s", 3600))
    return pd.DataFrame(
        {
            "channel_id": ids_array,
            "channel_name": np.array(names, dtype=object),
            "resolution_s": np.where(np.isnan(resolution), default, resolution).astype(np.int64),
            "role": np.array(roles, dtype=object),
            "max_kw": np.array(max_kw, dtype=float),
            "owner": np.array(owners, dtype=object),
        }
    )


@dataclass(frozen=True, eq=False)
class Grid:
    """Readings of the channels of one resolution on the expected grid of a period.

    Arrays are ``(interval, channel)``; row ``i`` is the interval starting at ``index[i]``
    (UTC) and column ``j`` is ``channel_ids[j]``. Missing readings are NaN.

    Attributes
    ----------
    period : dates.Period
        The half-open period the grid covers.
    resolution_s : int
        Interval length [s].
    index : pandas.DatetimeIndex
        Expected UTC interval starts.
    channel_ids : numpy.ndarray
        Channel ids (int64), one per column.
    energy_kwh : numpy.ndarray
        Energy per interval as read [kWh].
    power_kw : numpy.ndarray
        Mean power per interval as read [kW].
    load_kw : numpy.ndarray
        Power used by the analytics [kW]: ``power_kw``, else ``energy_kwh / dt_h``.
    hour_of_week : numpy.ndarray
        Local hour of week per row (0–167).
    slot : numpy.ndarray
        Profile slot per row: the hour of week, with holidays mapped to Sunday's hours.
    sub_hour : numpy.ndarray
        Position of the interval within its local hour (0 for hourly data).
    day_type : numpy.ndarray
        Day-type code per row (0 weekday, 1 Saturday, 2 Sunday or holiday).
    business : numpy.ndarray
        True for intervals starting within opening hours.
    day : numpy.ndarray
        Local calendar day number (days since 1970-01-01) per row.
    """

    period: dates.Period
    resolution_s: int
    index: pd.DatetimeIndex
    channel_ids: np.ndarray
    energy_kwh: np.ndarray
    power_kw: np.ndarray
    load_kw: np.ndarray
    hour_of_week: np.ndarray
    slot: np.ndarray
    sub_hour: np.ndarray
    day_type: np.ndarray
    business: np.ndarray
    day: np.ndarray

    @property
    def dt_h(self) -> float:
        """Interval length [h]."""
        return self.resolution_s / 3600.0

    @property
    def present(self) -> np.ndarray:
        """True where a channel has a reading (energy or power) in an interval."""
        return np.isfinite(self.load_kw)

    @property
    def per_hour(self) -> int:
        """Intervals per hour [-]."""
        return max(3600 // self.resolution_s, 1)

    @property
    def hour(self) -> np.ndarray:
        """Local hour of day per row."""
        return self.hour_of_week % 24

    def slice(self, period: dates.Period) -> Grid:
        """Return the rows of a sub-period (array views, no copies).

        Parameters
        ----------
        period : dates.Period
            A period inside this grid's period.

        Returns
        -------
        Grid
            The intervals starting in ``period``.
        """
        ns = self.index.asi8
        lo = int(np.searchsorted(ns, period.start.value))
        hi = int(np.searchsorted(ns, period.end.value))
        rows = slice(lo, hi)
        return Grid(
            period=period,
            resolution_s=self.resolution_s,
            index=self.index[rows],
            channel_ids=self.channel_ids,
            energy_kwh=self.energy_kwh[rows],
            power_kw=self.power_kw[rows],
            load_kw=self.load_kw[rows],
            hour_of_week=self.hour_of_week[rows],
            slot=self.slot[rows],
            sub_hour=self.sub_hour[rows],
            day_type=self.day_type[rows],
            business=self.business[rows],
            day=self.day[rows],
        )

    def times_ns(self, rows: np.ndarray) -> np.ndarray:
        """UTC interval starts of row positions as int64 ns (row ``len(index)`` ends the grid)."""
        rows = np.asarray(rows, dtype=np.int64)
        first = self.index[0].value if len(self.index) else self.period.start.value
        return first + rows * (self.resolution_s * 1_000_000_000)

    def times(self, rows: np.ndarray) -> pd.DatetimeIndex:
        """UTC interval starts of row positions (``len(index)`` ends the grid)."""
        return pd.DatetimeIndex(self.times_ns(rows), tz="UTC")


def _calendar(
    index: pd.DatetimeIndex,
    *,
    tz: Any,
    opening_hours: Any,
    holidays: Iterable[dt.date],
    resolution_s: int,
) -> dict[str, np.ndarray]:
    holidays = tuple(holidays)
    how = dates.hour_of_week(index, tz=tz).astype(np.int64)
    kind = dates.day_type(index, tz=tz, holidays=holidays)
    codes = np.zeros(len(index), dtype=np.int64)
    codes[kind == dates.DAY_TYPES[1]] = 1
    codes[kind == dates.DAY_TYPES[2]] = 2
    hour = how % 24
    holiday = (codes == 2) & (how < 144)
    slot = np.where(holiday, 144 + hour, how)
    business = dates.business_hours_mask(
        index, tz=tz, opening_hours=opening_hours, holidays=holidays
    )
    wall = index.tz_convert(tz).tz_localize(None).as_unit("ns").asi8
    day = wall // (86_400 * 1_000_000_000)
    minute = (wall // 60_000_000_000) % 60
    sub_hour = minute // max(resolution_s // 60, 1) if resolution_s < 3600 else minute * 0
    return {
        "hour_of_week": how,
        "slot": slot,
        "sub_hour": sub_hour.astype(np.int64),
        "day_type": codes,
        "business": np.asarray(business, dtype=bool),
        "day": day,
    }


def build_grids(
    readings: pd.DataFrame,
    table: pd.DataFrame,
    *,
    period: dates.Period,
    tz: Any,
    opening_hours: Any = None,
    holidays: Iterable[dt.date] = (),
) -> dict[int, Grid]:
    """Lay out the readings of a period as one dense grid per resolution.

    Parameters
    ----------
    readings : pandas.DataFrame
        Output of :func:`check_readings`.
    table : pandas.DataFrame
        Output of :func:`channel_table`; its channels and resolutions define the grids.
    period : dates.Period
        Half-open period ``[start, end)``.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.
    opening_hours : config.OpeningHours, optional
        Business hours (default Mon–Fri 07:00–18:00).
    holidays : iterable of datetime.date
        Site-local holidays (closed all day, pooled with Sundays).

    Returns
    -------
    dict of int to Grid
        Keyed by resolution [s]. A reading off its channel's grid is placed in the interval
        containing it; of duplicates the last one wins (the health checks report both).
    """
    grids: dict[int, Grid] = {}
    holidays = tuple(holidays)
    all_ns = readings["timestamp"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    inside = (all_ns >= period.start.value) & (all_ns < period.end.value)
    all_ns = all_ns[inside]
    all_ids = readings["channel_id"].to_numpy(dtype=np.int64)[inside]
    all_energy = readings["energy_kwh"].to_numpy(dtype=float)[inside]
    all_power = readings["power_kw"].to_numpy(dtype=float)[inside]
    for res in sorted(table["resolution_s"].unique().tolist()):  # one or two resolutions
        ids = table.loc[table["resolution_s"] == res, "channel_id"].to_numpy(dtype=np.int64)
        index = dates.expected_index(period, resolution_s=int(res))
        n_t, n_c = len(index), len(ids)
        energy = np.full((n_t, n_c), np.nan)
        power = np.full((n_t, n_c), np.nan)
        order = np.argsort(ids)
        pos = np.searchsorted(ids[order], all_ids)
        pos = np.clip(pos, 0, max(n_c - 1, 0))
        mine = (ids[order][pos] == all_ids) if n_c else np.zeros(all_ids.size, dtype=bool)
        if n_t and mine.any():
            res_ns = int(res) * 1_000_000_000
            rows = (all_ns[mine] - index[0].value) // res_ns
            cols = order[pos[mine]]
            ok = (rows >= 0) & (rows < n_t)
            rows, cols = rows[ok], cols[ok]
            keys = rows * n_c + cols
            _, last = np.unique(keys[::-1], return_index=True)
            pick = len(keys) - 1 - last  # the last of duplicate readings wins
            energy[rows[pick], cols[pick]] = all_energy[mine][ok][pick]
            power[rows[pick], cols[pick]] = all_power[mine][ok][pick]
        load = np.where(np.isfinite(power), power, energy / (int(res) / 3600.0))
        calendar = _calendar(
            index,
            tz=tz,
            opening_hours=opening_hours,
            holidays=holidays,
            resolution_s=int(res),
        )
        grids[int(res)] = Grid(
            period=period,
            resolution_s=int(res),
            index=index,
            channel_ids=ids,
            energy_kwh=energy,
            power_kw=power,
            load_kw=load,
            **calendar,
        )
    return grids


def records(frame: pd.DataFrame) -> list[types.SimpleNamespace]:
    """Return the rows of a (small) frame as objects with one attribute per column.

    A faster ``itertuples`` for the few rows of findings (events, issues, wins) that are turned
    into texts and JSON; never used on readings.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns must be valid identifiers.

    Returns
    -------
    list of types.SimpleNamespace
        One per row, in order; tz-aware columns give ``pandas.Timestamp`` values.

    Examples
    --------
    >>> [r.b for r in records(pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}))]
    ['x', 'y']
    """
    if frame.empty:
        return []
    names = [str(c) for c in frame.columns]
    return [
        types.SimpleNamespace(**dict(zip(names, values, strict=True)))
        for values in frame.to_numpy(dtype=object)
    ]
