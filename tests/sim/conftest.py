"""Fixtures of the simulator tests: Wilson Center local times and simulations.

The helpers are fixtures returning functions, so every simulator test module shares one copy.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from argo_lib.sim import Simulation, simulate_readings

TZ = "America/New_York"


def _local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


@pytest.fixture(scope="session")
def local() -> Callable[[str], pd.Timestamp]:
    """Wilson Center local time from text: ``local("2025-12-01 07:00")``."""
    return _local


@pytest.fixture(scope="session")
def sim() -> Callable[..., Simulation]:
    """``simulate_readings`` over ``[start, end)`` given as Wilson Center local texts."""

    def simulate(start: str, end: str, **kwargs) -> Simulation:
        return simulate_readings(start=_local(start), end=_local(end), **kwargs)

    return simulate


@pytest.fixture(scope="session")
def by_key() -> Callable[[pd.DataFrame], pd.DataFrame]:
    """Readings indexed by (``channel_id``, ``timestamp``), sorted."""
    return lambda frame: frame.set_index(["channel_id", "timestamp"]).sort_index()


@pytest.fixture(scope="session")
def local_hour() -> Callable[[pd.DataFrame], np.ndarray]:
    """Wilson Center local hour of each reading's ``timestamp``."""
    return lambda frame: frame["timestamp"].dt.tz_convert(TZ).dt.hour.to_numpy()
