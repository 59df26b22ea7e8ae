"""Counter-based random numbers: every value a pure function of (seed, stream, key, time).

The simulator never draws from a sequential generator over the requested window. A random
quantity is the SplitMix64 hash of a per-key stream key and an integer counter (the 900 s interval
number, or a knot number), so two overlapping windows see identical values and any interval can be
computed alone.

Examples
--------
>>> keys = stream_keys(7, 1, [162285, 162320])
>>> a = white_noise(keys, np.array([0, 900, 1800]))
>>> b = white_noise(keys, np.array([900]))
>>> bool((a[:, 1:2] == b).all()), a.shape
(True, (2, 3))
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from argo_lib.sim.grid import BASE_RESOLUTION_S

__all__ = [
    "MASK64",
    "NORMAL_BOUND",
    "bounded_normal",
    "hash_counters",
    "smooth_noise",
    "stream_keys",
    "uniform",
    "white_noise",
]

MASK64 = (1 << 64) - 1
"""Mask of 64-bit unsigned arithmetic on Python ints."""
_GAMMA = 0x9E3779B97F4A7C15
_MIX1 = 0xBF58476D1CE4E5B9
_MIX2 = 0x94D049BB133111EB
NORMAL_BOUND = 2 * math.sqrt(3)
"""|z| of :func:`bounded_normal` never exceeds this [-]."""


def _mix64(x: int) -> int:
    """SplitMix64 of a Python int (exact 64-bit arithmetic)."""
    z = (x + _GAMMA) & MASK64
    z = ((z ^ (z >> 30)) * _MIX1) & MASK64
    z = ((z ^ (z >> 27)) * _MIX2) & MASK64
    return z ^ (z >> 31)


def stream_keys(seed: int, stream: int, channel_ids: Sequence[int]) -> np.ndarray:
    """Per-channel keys of one random stream.

    Parameters
    ----------
    seed : int
        Simulation seed.
    stream : int
        Tag of the random quantity; every quantity has its own, so none are correlated.
    channel_ids : sequence of int
        Keys within the stream (channel ids, or ``[0]`` for a site-wide quantity).

    Returns
    -------
    numpy.ndarray
        Shape ``(len(channel_ids), 1)``, uint64.
    """
    base = _mix64(_mix64(int(seed) & MASK64) ^ stream)
    return np.array([[_mix64(base ^ (int(c) & MASK64))] for c in channel_ids], dtype=np.uint64)


def hash_counters(keys: np.ndarray, counters: np.ndarray) -> np.ndarray:
    """SplitMix64 output ``mix(key + counter·γ)``, broadcast over keys × counters.

    Parameters
    ----------
    keys : numpy.ndarray
        From :func:`stream_keys`, shape ``(n, 1)``.
    counters : numpy.ndarray
        Integer counters, shape ``(m,)``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, m)``, uint64.
    """
    z = np.asarray(counters, dtype=np.int64).view(np.uint64) * np.uint64(_GAMMA)
    z = z + keys
    z ^= z >> np.uint64(30)
    z *= np.uint64(_MIX1)
    z ^= z >> np.uint64(27)
    z *= np.uint64(_MIX2)
    z ^= z >> np.uint64(31)
    return z


def bounded_normal(h: np.ndarray) -> np.ndarray:
    """Approximately standard normal from a hash: Irwin–Hall sum of four 16-bit uniforms.

    Bounded by :data:`NORMAL_BOUND` (±2√3), so noise built from it can never push power below
    zero.

    Parameters
    ----------
    h : numpy.ndarray
        Hashes from :func:`hash_counters` (uint64).

    Returns
    -------
    numpy.ndarray
        Float64 values of the same shape [-].
    """
    m = np.uint64(0xFFFF)
    s = (h & m).astype(np.float64)
    s += ((h >> np.uint64(16)) & m).astype(np.float64)
    s += ((h >> np.uint64(32)) & m).astype(np.float64)
    s += (h >> np.uint64(48)).astype(np.float64)
    return ((s + 2.0) / 65536.0 - 2.0) * math.sqrt(3.0)


def uniform(keys: np.ndarray) -> np.ndarray:
    """One uniform number in [0, 1) per key (counter 0), in the shape of ``keys`` [-]."""
    return (hash_counters(keys, np.zeros(1, dtype=np.int64)) >> np.uint64(11)).astype(
        np.float64
    ) * 2.0**-53


def white_noise(keys: np.ndarray, epochs: np.ndarray) -> np.ndarray:
    """Per-interval normal noise keyed on the 900 s interval counter.

    Parameters
    ----------
    keys : numpy.ndarray
        From :func:`stream_keys`, shape ``(n, 1)``.
    epochs : numpy.ndarray
        Interval starts, Unix epoch seconds [s].

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(epochs))`` [-].
    """
    counters = np.floor_divide(epochs, BASE_RESOLUTION_S).astype(np.int64)
    return bounded_normal(hash_counters(keys, counters))


def smooth_noise(keys: np.ndarray, epochs: np.ndarray, spacing_s: int) -> np.ndarray:
    """Smooth normal noise: hashed knots every ``spacing_s`` seconds, smoothstep-interpolated.

    A pure function of time: knot ``j`` sits at epoch ``j·spacing_s`` whatever the window.

    Parameters
    ----------
    keys : numpy.ndarray
        From :func:`stream_keys`, shape ``(n, 1)``.
    epochs : numpy.ndarray
        Instants, Unix epoch seconds (integer or float) [s].
    spacing_s : int
        Distance between knots [s].

    Returns
    -------
    numpy.ndarray
        Shape ``(n, len(epochs))`` [-].
    """
    if np.issubdtype(epochs.dtype, np.integer):
        j = epochs // spacing_s
    else:
        j = np.floor(epochs / spacing_s).astype(np.int64)
    if j.size == 0:
        return np.zeros((keys.shape[0], 0))
    j0 = int(j.min())
    knots = bounded_normal(hash_counters(keys, np.arange(j0, int(j.max()) + 2, dtype=np.int64)))
    idx = j - j0
    f = (epochs - j * spacing_s) / spacing_s
    s = f * f * (3.0 - 2.0 * f)
    a = knots[:, idx]
    return a + (knots[:, idx + 1] - a) * s
