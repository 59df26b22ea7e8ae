"""The simulated Wilson Center and everything built on it: test doubles, never production input.

- :mod:`~argo_lib.sim.site`: what the building is (schedule, channels, channel metadata);
- :mod:`~argo_lib.sim.load`: how it consumes (calendar, weather, load model), with the
  counter-based noise of :mod:`~argo_lib.sim.noise` on the time grid of :mod:`~argo_lib.sim.grid`;
- :mod:`~argo_lib.sim.faults`: labelled faults, their injection and random draws (the spec-D
  families, and what real meters do: zero-filled outages, catch-up readings, a business-hours
  excess);
- :mod:`~argo_lib.sim.phenomena`: real-world site properties that are not faults (a dusk-to-dawn
  load, short-cycling, a noisy main meter, holiday closures), each off unless switched on;
- :mod:`~argo_lib.sim.readings`: :func:`simulate_readings`, the readings of a window;
- :mod:`~argo_lib.sim.fake_eniscope`: a loopback fake Eniscope Core API serving them;
- :mod:`~argo_lib.sim.demo`: the demo database, and a fake server that agrees with it.

Only the commands that choose the simulator import this package (``argo demo``,
``argo fake-eniscope``, ``argo ingest --fake`` through :mod:`argo_lib.jobs.ingest`), plus tests
and benchmarks; ingestion, the database and the analytics never do.
"""

from argo_lib.sim.faults import (
    DRAW_FAMILIES,
    FAULT_KINDS,
    LABEL_COLUMNS,
    LABEL_KINDS,
    REAL_WORLD_KINDS,
    Fault,
    random_faults,
)
from argo_lib.sim.grid import BASE_RESOLUTION_S, RESOLUTIONS_S
from argo_lib.sim.load import (
    ALL_FIELDS,
    BASIC_FIELDS,
    COOLING_BALANCE_C,
    HEATING_BALANCE_C,
    simulate_temperature,
)
from argo_lib.sim.phenomena import (
    PHENOMENA_COLUMNS,
    DuskToDawn,
    MainMeter,
    Phenomena,
    ShortCycling,
    closure_days,
    sun_times,
)
from argo_lib.sim.readings import Simulation, simulate_readings
from argo_lib.sim.site import (
    CHANNEL_METADATA,
    HOME_KIT_CHANNELS,
    NON_ENERGY_CHANNELS,
    WILSON_CHANNELS,
    WILSON_INSTALLED,
    WILSON_MAIN,
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
    "DRAW_FAMILIES",
    "FAULT_KINDS",
    "HEATING_BALANCE_C",
    "HOME_KIT_CHANNELS",
    "LABEL_COLUMNS",
    "LABEL_KINDS",
    "NON_ENERGY_CHANNELS",
    "PHENOMENA_COLUMNS",
    "REAL_WORLD_KINDS",
    "RESOLUTIONS_S",
    "WILSON_CHANNELS",
    "WILSON_INSTALLED",
    "WILSON_MAIN",
    "WILSON_ORGANIZATION_ID",
    "WILSON_SITE",
    "ChannelMeta",
    "DuskToDawn",
    "Fault",
    "MainMeter",
    "Phenomena",
    "ShortCycling",
    "SimChannel",
    "SimSite",
    "Simulation",
    "WeeklyHours",
    "build_site_frame",
    "closure_days",
    "random_faults",
    "simulate_readings",
    "simulate_temperature",
    "sun_times",
    "synthetic_channels",
]
