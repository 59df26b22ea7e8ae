"""Validation of readings before they are written, and the ledger of rejected values.

Values outside the ranges of :data:`argo_lib.fields.READING_FIELDS` (negative energy, power over
5000 kW, voltage outside [50, 600] V, a cost beyond ±1e6, ...), infinite values, energy a channel
cannot draw in the time it covers, and timestamps more than one interval in the future keep
their row out of the readings table (API spec section 8); non-numeric values have already become
NULL in the parsers. Every such value goes to the rejected-readings table with its raw value and
reason, once, however often it is re-fetched: the :class:`RejectedLedger` remembers what is
stored. NULL stays NULL and is never a reason; duplicate records collapse (the last one wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.eniscope import REJECTED_COLUMNS, empty_rejected
from argo_lib.fields import FIELDS_BY_COLUMN, READING_FIELDS

__all__ = [
    "RejectedLedger",
    "concat_rejected",
    "power_ceilings",
    "rejected_keys",
    "validate_readings",
    "write_new_rejected",
]


def concat_rejected(parts: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """One rejected-values frame from parts (parser, validation, file), with canonical types.

    Parameters
    ----------
    parts : sequence of pandas.DataFrame
        Frames with at least :data:`argo_lib.eniscope.REJECTED_COLUMNS`; empty ones are skipped.

    Returns
    -------
    pandas.DataFrame
        ``channel_id`` (int64), ``timestamp`` (UTC), ``field``, ``raw_value``, ``reason`` and
        ``location`` (None where a part has none).
    """
    empty = empty_rejected()
    parts = [p.reindex(columns=list(REJECTED_COLUMNS)) for p in parts if len(p)]
    if not parts:
        return empty
    out = pd.concat([p.reset_index(drop=True) for p in parts], ignore_index=True)
    out["timestamp"] = pd.to_datetime(out["timestamp"], utc=True).astype("datetime64[us, UTC]")
    return out.astype({"channel_id": "int64", "field": "str", "raw_value": "str", "reason": "str"})


_FIRST_READING_ALLOWANCE_S = 7 * 86_400
"""A channel's first reading of a batch may carry the energy of up to this long a gap before it
(a catch-up reading after an outage that began before the batch) [s]."""


def _energy_limits(
    readings: pd.DataFrame, resolution_s: int | None, max_kw: Mapping[int, float] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Most energy each row can hold [kWh], with the power and hours behind it.

    A reading holds at most the channel's ``max_kw`` (else the spec's 5000 kW) over the time
    since the channel's previous reading in the batch (a catch-up reading carries a whole gap),
    at least one interval; a channel's first reading of the batch over one interval plus
    :data:`_FIRST_READING_ALLOWANCE_S`.
    """
    channel = readings["channel_id"].to_numpy(dtype=np.int64)
    ts = pd.to_datetime(readings["timestamp"], utc=True)
    seconds = ts.astype("datetime64[ns, UTC]").array.asi8 // 10**9  # type: ignore[attr-defined]
    step = int(resolution_s or 3600)
    order = np.lexsort((seconds, channel))
    since = np.full(len(seconds), float(step + _FIRST_READING_ALLOWANCE_S))
    s, c = seconds[order], channel[order]
    same = np.r_[False, c[1:] == c[:-1]]
    gap = np.r_[0, np.diff(s)].astype(float)
    since[order[same]] = np.maximum(gap[same], step)
    limits = dict(max_kw or {})
    kw = (
        pd.Series(channel)
        .map({int(c): float(v) for c, v in limits.items() if v})
        .fillna(_POWER_HIGH_KW)
        .to_numpy(dtype=float)
    )
    hours = since / 3600.0
    return kw * hours, kw, hours


_POWER_HIGH_KW = float(FIELDS_BY_COLUMN["power_kw"].high or 5000.0)  # the spec's power bound


def power_ceilings(site: Any, channel_ids: Iterable[int]) -> dict[int, float]:
    """Most power each channel can draw [kW]: its ``max_kw``, else the site's configured cap.

    The cap is ``health.implausible_max_kw`` of the site file's thresholds; channels without
    either are left to :func:`validate_readings`' 5000 kW.
    """
    configured = site.thresholds.health.implausible_max_kw
    out = {}
    for channel_id in channel_ids:
        config = site.channel(int(channel_id))
        limit = config.max_kw if config is not None and config.max_kw is not None else configured
        if limit is not None:
            out[int(channel_id)] = float(limit)
    return out


def validate_readings(
    readings: pd.DataFrame,
    *,
    now: Any = None,
    resolution_s: int | None = None,
    max_kw: Mapping[int, float] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep out readings with impossible values (API spec section 8), recording why.

    A row is kept out of the readings table when any value lies outside the valid range of its
    field in :data:`argo_lib.fields.READING_FIELDS` (energy < 0; power < 0 or > 5000 kW; voltage
    outside [50, 600] V; power factor outside [-1, 1]; frequency outside [55, 65] Hz; THD outside
    [0, 500] %; neutral current < 0; and the plausibility bounds of the fields the spec leaves
    open: cost within ±1e6 per interval, currents within ±1e5 A, reactive and apparent power
    within 5000 kVAr/kVA), when a value is infinite, when its energy is more than the channel
    can draw (``max_kw``, else 5000 kW, over the time since the channel's previous reading in
    the batch: a catch-up reading may carry a whole gap), or when its timestamp is later than
    ``now`` plus one interval. NaN (NULL) is never a reason: missing stays missing. Both
    database backends thus store the same rows (PostgreSQL's ``NUMERIC(18, 6)`` cost column
    would overflow where SQLite stores anything).

    Parameters
    ----------
    readings : pandas.DataFrame
        Canonical long readings: ``timestamp`` (tz-aware, interval start), ``channel_id`` and
        value columns in project units.
    now : datetime-like, optional
        The current time (tz-aware); None skips the future check.
    resolution_s : int, optional
        Interval length [s] for the future check (default 0) and the energy bound (default
        3600).
    max_kw : mapping of int to float, optional
        Most power each channel can draw [kW] (the site file's ``max_kw``); channels without
        one are bounded by 5000 kW.

    Returns
    -------
    kept : pandas.DataFrame
        The valid rows, same columns, duplicates on (``channel_id``, ``timestamp``) collapsed
        (the last wins).
    rejected : pandas.DataFrame
        One row per offending value: ``channel_id``, ``timestamp``, ``field`` (column name),
        ``raw_value`` (the value in the project unit, as text) and ``reason``.

    Examples
    --------
    >>> frame = pd.DataFrame({"timestamp": pd.to_datetime([0, 3600], unit="s", utc=True),
    ...                       "channel_id": 1, "energy_kwh": [1.5, -0.2], "power_kw": [1.5, None]})
    >>> kept, rejected = validate_readings(frame)
    >>> len(kept), rejected.loc[0, "reason"]
    (1, 'energy_kwh outside [0, inf] kWh; row kept out')
    """
    readings = readings.drop_duplicates(["channel_id", "timestamp"], keep="last")
    bad_row = np.zeros(len(readings), dtype=bool)
    parts = []

    def reject(mask: np.ndarray, field: str, raw: Any, reason: Any) -> None:
        parts.append(
            pd.DataFrame(
                {
                    "channel_id": readings["channel_id"].to_numpy()[mask],
                    "timestamp": readings["timestamp"].to_numpy()[mask],
                    "field": field,
                    "raw_value": raw,
                    "reason": reason,
                }
            )
        )
        bad_row[mask] = True

    def as_text(values: np.ndarray) -> np.ndarray:
        return pd.Series(values).astype("str").to_numpy()

    for spec in READING_FIELDS:  # one vectorised check per field
        if spec.column not in readings.columns or (spec.low is None and spec.high is None):
            continue
        values = pd.to_numeric(readings[spec.column], errors="coerce").to_numpy(dtype="float64")
        out = np.zeros(len(values), dtype=bool)
        if spec.low is not None:
            out |= values < spec.low
        if spec.high is not None:
            out |= values > spec.high
        infinite = np.isinf(values) & ~out
        if infinite.any():
            reason = f"{spec.column} is not a finite number; row kept out"
            reject(infinite, spec.column, as_text(values[infinite]), reason)
        if out.any():
            reason = f"{spec.out_of_range_reason()}; row kept out"
            reject(out, spec.column, as_text(values[out]), reason)
    if "energy_kwh" in readings.columns and len(readings):
        energy = pd.to_numeric(readings["energy_kwh"], errors="coerce").to_numpy(dtype="float64")
        cap, kw, hours = _energy_limits(readings, resolution_s, max_kw)
        over = (energy > cap) & ~bad_row
        if over.any():
            reasons = [
                f"energy_kwh above {c:.6g} kWh ({k:g} kW for the {h:g} h since the channel's "
                "previous reading); row kept out"
                for c, k, h in zip(cap[over], kw[over], hours[over], strict=True)
            ]
            reject(over, "energy_kwh", as_text(energy[over]), reasons)
    if now is not None and len(readings):
        limit = pd.Timestamp(now).tz_convert("UTC") + pd.Timedelta(seconds=resolution_s or 0)
        future = (readings["timestamp"] > limit).to_numpy()
        if future.any():
            stamps = readings["timestamp"][future].dt.strftime("%Y-%m-%dT%H:%M:%SZ").to_numpy()
            reason = "timestamp more than one interval in the future; row kept out"
            reject(future, "timestamp", stamps, reason)
    return readings.loc[~bad_row], concat_rejected(parts)


def rejected_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """What identifies a rejected value, one row per row of ``frame``.

    Channel, time (-1 without one), field, raw value, reason and where it was; two rows with
    the same key are the same value met twice.
    """
    ts = pd.to_datetime(frame["timestamp"], utc=True)
    # pandas-stubs lack DatetimeArray.asi8 (the int64 view that DatetimeIndex.asi8 also gives)
    us = ts.astype("datetime64[us, UTC]").array.asi8  # type: ignore[attr-defined]
    seconds = (us // 1_000_000).astype("int64")
    seconds = np.where(ts.isna().to_numpy(), -1, seconds)
    return pd.DataFrame(
        {
            "channel_id": frame["channel_id"].astype("int64").to_numpy(),
            "ts": seconds,
            "field": frame["field"].astype("str").to_numpy(),
            "raw_value": frame["raw_value"].astype("str").fillna("").to_numpy(),
            "reason": frame["reason"].astype("str").to_numpy(),
            "location": (
                frame["location"].astype(object).where(frame["location"].notna(), "")
                if "location" in frame
                else pd.Series("", index=frame.index)
            )
            .astype("str")
            .to_numpy(),
        }
    )


class RejectedLedger:
    """Rejected values already stored, so a re-fetched window does not record them twice.

    Parameters
    ----------
    stored : pandas.DataFrame
        The rejected values already in the database (``db.read_rejected``).
    """

    def __init__(self, stored: pd.DataFrame) -> None:
        self._known = (
            rejected_keys(stored).drop_duplicates()
            if len(stored)
            else rejected_keys(empty_rejected())
        )

    def new(self, batch: pd.DataFrame) -> pd.DataFrame:
        """The rows of ``batch`` not recorded yet (same channel, time, field, value, reason)."""
        if batch.empty:
            return batch
        keys = rejected_keys(batch)
        merged = keys.merge(self._known, how="left", indicator=True)
        fresh = batch.loc[(merged["_merge"] == "left_only").to_numpy()]
        return fresh

    def add(self, batch: pd.DataFrame) -> None:
        """Remember ``batch`` as recorded."""
        if len(batch):
            self._known = pd.concat([self._known, rejected_keys(batch)]).drop_duplicates()


def write_new_rejected(
    engine: Engine, ledger: RejectedLedger, rejected: pd.DataFrame, run_id: int
) -> None:
    """Write the rejected values the ledger has not seen, for run ``run_id``, and remember them.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    ledger : RejectedLedger
        What is already stored; updated.
    rejected : pandas.DataFrame
        Rejected values of one window or file (:func:`concat_rejected`).
    run_id : int
        The ingestion run that rejected them.
    """
    fresh = ledger.new(rejected)
    if len(fresh):
        db.write_rejected(engine, fresh, run_id=run_id)
        ledger.add(fresh)
