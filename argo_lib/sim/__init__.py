"""The simulated Wilson Center and everything built on it: test doubles, never production input.

- :mod:`~argo_lib.sim.site`: what the building is (schedule, channels, channel metadata);
- :mod:`~argo_lib.sim.load`: how it consumes (calendar, weather, load model), with the
  counter-based noise of :mod:`~argo_lib.sim.noise` on the time grid of :mod:`~argo_lib.sim.grid`;
- :mod:`~argo_lib.sim.faults`: labelled faults, their injection and random draws;
- :mod:`~argo_lib.sim.readings`: :func:`simulate_readings`, the readings of a window;
- :mod:`~argo_lib.sim.fake_eniscope`: a loopback fake Eniscope Core API serving them;
- :mod:`~argo_lib.sim.demo`: the demo database, and a fake server that agrees with it.

Only the commands that choose the simulator import this package (``argo demo``,
``argo fake-eniscope``, ``argo ingest --fake`` through :mod:`argo_lib.jobs.ingest`), plus tests
and benchmarks; ingestion, the database and the analytics never do.
"""

from argo_lib.sim.faults import FAULT_KINDS, LABEL_COLUMNS, Fault, random_faults
from argo_lib.sim.grid import BASE_RESOLUTION_S, RESOLUTIONS_S
from argo_lib.sim.load import (
    ALL_FIELDS,
    BASIC_FIELDS,
    COOLING_BALANCE_C,
    HEATING_BALANCE_C,
    simulate_temperature,
)
from argo_lib.sim.readings import Simulation, simulate_readings
from argo_lib.sim.site import (
    CHANNEL_METADATA,
    HOME_KIT_CHANNELS,
    NON_ENERGY_CHANNELS,
    WILSON_CHANNELS,
    WILSON_INSTALLED,
    WILSON_ORGANIZATION_ID,
    WILSON_SITE,
    ChannelMeta,
    SimChannel,
    SimSite,
    WeeklyHours,
    build_site_frame,
    synthetic_channels,
)

__all__ = [
    "ALL_FIELDS",
    "BASE_RESOLUTION_S",
    "BASIC_FIELDS",
    "CHANNEL_METADATA",
    "COOLING_BALANCE_C",
    "FAULT_KINDS",
    "HEATING_BALANCE_C",
    "HOME_KIT_CHANNELS",
    "LABEL_COLUMNS",
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
    "random_faults",
    "simulate_readings",
    "simulate_temperature",
    "synthetic_channels",
]
