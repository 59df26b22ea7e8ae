"""What a test can change about the fake Eniscope server: its clock and its injectable faults.

Transport faults (429 storms, server errors, hangs, expired tokens, forced statuses, damaged
bodies) are switched on per test with :meth:`argo_lib.sim.fake_eniscope.FakeEniscope.configure`
and a :class:`Faults` value; one-off answers are queued as :class:`ScriptedResponse`; value faults
in readings records (nulls, strings, infinities, duplicates, shuffled order...) are applied by
:func:`damage_records`. A :class:`ManualClock` shared by the fake and a client makes retries and
pacing run instantly while token lifetimes and rate-limit windows still see time pass.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError

__all__ = [
    "MALFORMED_KINDS",
    "Faults",
    "ManualClock",
    "RateLimit",
    "ScriptedResponse",
    "damage_records",
]

MALFORMED_KINDS = frozenset(
    {
        "null",
        "string_numbers",
        "nan_string",
        "empty_string",
        "infinity",
        "negative",
        "ts_string",
        "missing_ts",
        "extra_keys",
        "missing_units",
    }
)
"""Value faults :class:`Faults` can inject into readings records."""


class ManualClock:
    """A clock that only moves when told to; share it between a fake server and a client.

    ``sleep`` records the delay and advances the clock instead of waiting, so retry and pacing
    logic runs instantly in tests while the fake's rolling windows and token lifetimes still see
    time pass.

    Parameters
    ----------
    start : str, datetime or pandas.Timestamp
        Initial wall-clock time; must be tz-aware.

    Examples
    --------
    >>> clock = ManualClock("2025-12-01T00:00:00Z")
    >>> clock.sleep(2.5); clock.monotonic(), str(clock.now())
    (2.5, '2025-12-01 00:00:02.500000+00:00')
    """

    def __init__(self, start: str | datetime | pd.Timestamp) -> None:
        ts = pd.Timestamp(start)
        if ts.tzinfo is None:
            raise UsageError(f"ManualClock start {start!r} is naive; add a zone, e.g. 'Z'")
        self._epoch0 = ts.timestamp()
        self._elapsed = 0.0
        self._lock = threading.Lock()
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        """Record a sleep and advance the clock by it [s]."""
        with self._lock:
            self.sleeps.append(float(seconds))
            self._elapsed += max(0.0, float(seconds))

    def advance(self, seconds: float) -> None:
        """Move the clock forward without recording a sleep [s]."""
        with self._lock:
            self._elapsed += float(seconds)

    def monotonic(self) -> float:
        """Seconds since the clock was created [s]."""
        with self._lock:
            return self._elapsed

    def time(self) -> float:
        """Current time as Unix epoch seconds [s]."""
        with self._lock:
            return self._epoch0 + self._elapsed

    def now(self) -> pd.Timestamp:
        """Current time, UTC-aware."""
        return pd.Timestamp(self.time(), unit="s", tz="UTC")


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """Answer 429 once ``max_requests`` were served within a rolling ``window_s``.

    Attributes
    ----------
    max_requests : int
        Requests allowed per window.
    window_s : float
        Length of the rolling window on the fake's clock [s].
    retry_after : {"seconds", "http-date", "absent"}
        Form of the ``Retry-After`` header, or no header at all.
    retry_after_s : float, optional
        Fixed ``Retry-After`` [s]; default the time until a request slot frees up.
    """

    max_requests: int
    window_s: float
    retry_after: Literal["seconds", "http-date", "absent"] = "seconds"
    retry_after_s: float | None = None


@dataclass(frozen=True, kw_only=True)
class ScriptedResponse:
    """One queued response, served to the next request whose path matches.

    Attributes
    ----------
    status : int
        HTTP status.
    body : str, bytes or None
        Body to send; None sends the real body for a 2xx, or a short error body otherwise.
    headers : mapping
        Extra response headers.
    corrupt : {"truncated", "non_json"} or None
        Damage the (real) 2xx body.
    delay_s : float
        Wait this long before answering (through the server's ``sleep``: real time by default) [s].
    path_prefix : str, optional
        Only requests whose bare path starts with this (e.g. ``"/readings/162285"``) consume it.
    """

    status: int = 500
    body: str | bytes | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    corrupt: Literal["truncated", "non_json"] | None = None
    delay_s: float = 0.0
    path_prefix: str | None = None


@dataclass(frozen=True, kw_only=True)
class Faults:
    """Injectable faults; all off by default. Change them with :meth:`FakeEniscope.configure`.

    Attributes
    ----------
    rate_limit : RateLimit, optional
        429 storms with ``Retry-After`` variants.
    error_rate : float
        Probability that a request fails with ``error_status`` (seeded) [-].
    error_status : int
        Status of random and ``fail_first`` failures (500, 502, 503...).
    fail_first : int
        The first K readings requests of each channel fail with ``error_status``.
    body_fault : {"truncated", "non_json"} or None
        Every 2xx body is cut short or replaced by HTML.
    token_ttl_s : float, optional
        Session tokens expire this long after issue, on the fake's clock [s].
    token_max_uses : int, optional
        Session tokens expire after this many uses.
    token_expired_status : {401, 419}
        Status for an expired or unknown token.
    force_status : int, optional
        Answer every authenticated request with this status (402 subscription expired, 412...).
    delay_s, delay_jitter_s : float
        Delay before each response, plus U(0, jitter) (seeded), through the server's ``sleep`` [s].
    hang_s : float
        Hang before each response, to exceed a client's read timeout, through the server's
        ``sleep`` [s].
    malformed : frozenset of str
        Value faults from :data:`MALFORMED_KINDS` injected into readings.
    malformed_rate : float
        Share of records each value fault hits (selected by a hash of ``ts``) [-].
    duplicates : bool
        Repeat about one record in ten (identical copies, appended).
    out_of_order : bool
        Shuffle the records (seeded).
    empty_recent_h : float, optional
        Readings windows ending within this many hours of now return no records [h].
    end_inclusive : bool
        Add a record at ``ts == end`` (the boundary record the live API may send).
    blocked_user_agent : str, optional
        Regular expression; a matching User-Agent gets 403.
    tariff_rate_per_kwh : float, optional
        Attach a tariff: records carry ``cost`` = energy × rate [currency].
    """

    rate_limit: RateLimit | None = None
    error_rate: float = 0.0
    error_status: int = 500
    fail_first: int = 0
    body_fault: Literal["truncated", "non_json"] | None = None
    token_ttl_s: float | None = None
    token_max_uses: int | None = None
    token_expired_status: Literal[401, 419] = 401
    force_status: int | None = None
    delay_s: float = 0.0
    delay_jitter_s: float = 0.0
    hang_s: float = 0.0
    malformed: frozenset[str] = frozenset()
    malformed_rate: float = 0.1
    duplicates: bool = False
    out_of_order: bool = False
    empty_recent_h: float | None = None
    end_inclusive: bool = False
    blocked_user_agent: str | None = None
    tariff_rate_per_kwh: float | None = None

    def __post_init__(self) -> None:
        unknown = set(self.malformed) - MALFORMED_KINDS
        if unknown:
            raise UsageError(
                f"unknown malformed kinds {sorted(unknown)}; choose from {sorted(MALFORMED_KINDS)}"
            )
        object.__setattr__(self, "malformed", frozenset(self.malformed))
        if self.token_expired_status not in (401, 419):
            raise UsageError(
                f"token_expired_status must be 401 or 419, got {self.token_expired_status}"
            )


def damage_records(
    records: list[dict[str, Any]],
    faults: Faults,
    codes: Sequence[str],
    payload: dict[str, Any],
    *,
    seed: int,
) -> list[dict[str, Any]]:
    """Apply the value faults of ``faults`` to readings records in API wire format.

    Parameters
    ----------
    records : list of dict
        Records (``ts`` and one key per field code), edited in place.
    faults : Faults
        ``malformed`` (with ``malformed_rate``), ``duplicates`` and ``out_of_order``.
    codes : sequence of str
        The requested field codes.
    payload : dict
        The response body around the records (``extra_keys`` and ``missing_units`` edit it).
    seed : int
        The server's seed: which records are hit is a pure function of ``ts``, kind and seed.

    Returns
    -------
    list of dict
        The damaged records (duplicates appended, order shuffled when asked).
    """
    kinds = faults.malformed
    if kinds:
        ts = np.array([r["ts"] for r in records], dtype="int64")
        value_codes = [c for c in codes if c != "cost"] or list(codes)

        def pick(salt: int) -> np.ndarray:
            return np.flatnonzero(_unit_hash(ts, salt, seed) < faults.malformed_rate)

        def target(code: str) -> str:
            return code if code in value_codes else value_codes[0]

        edits: dict[str, tuple[str, Callable[[Any], Any]]] = {
            "null": (target("E"), lambda v: None),
            "string_numbers": (target("E"), lambda v: v if v is None else f"{v}"),
            "nan_string": (target("P"), lambda v: "NaN"),
            "empty_string": (target("V"), lambda v: ""),
            "infinity": (target("P"), lambda v: "Infinity"),
            "negative": (target("E"), lambda v: v if v is None else -abs(v) - 1.0),
            "ts_string": ("ts", lambda v: str(v)),
        }
        for salt, kind in enumerate(sorted(kinds)):
            rows = pick(salt)
            if kind in edits:
                key, edit = edits[kind]
                for i in rows:
                    records[i][key] = edit(records[i].get(key))
            elif kind == "missing_ts":
                for i in rows:
                    records[i].pop("ts", None)
            elif kind == "extra_keys":
                for record in records:
                    record["kW"] = None
                payload["siteInfo"] = {"note": "unexpected extra key"}
            elif kind == "missing_units":
                payload.pop("units", None)
    if faults.duplicates and records:
        rng = np.random.default_rng(seed + 1)
        n = max(1, len(records) // 10)
        picks = rng.choice(len(records), size=n, replace=False)
        records = records + [dict(records[i]) for i in sorted(picks)]
    if faults.out_of_order and len(records) > 1:
        rng = np.random.default_rng(seed + 2)
        order = rng.permutation(len(records))
        if (order == np.arange(len(records))).all():
            order = order[::-1]
        records = [records[i] for i in order]
    return records


def _unit_hash(values: np.ndarray, salt: int, seed: int) -> np.ndarray:
    """Uniform [0, 1) numbers that are a pure function of (value, salt, seed) (SplitMix64)."""
    x = values.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = x * np.uint64(0x9E3779B97F4A7C15) + np.uint64((salt + 1) * 0xD1B54A32D192ED03 % 2**64)
        x = x + np.uint64(seed % 2**64)
        x ^= x >> np.uint64(30)
        x = x * np.uint64(0xBF58476D1CE4E5B9)
        x ^= x >> np.uint64(27)
        x = x * np.uint64(0x94D049BB133111EB)
        x ^= x >> np.uint64(31)
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53)
