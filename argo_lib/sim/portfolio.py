"""A simulated portfolio: many sites' files and readings, for the many-site tests and benchmark.

Never production input (like the rest of :mod:`argo_lib.sim`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from argo_lib import dates, db
from argo_lib.config import load_site
from argo_lib.errors import UsageError
from argo_lib.sim.faults import Fault
from argo_lib.sim.readings import simulate_readings
from argo_lib.sim.site import synthetic_channels

__all__ = ["PORTFOLIO_FIRST_SITE", "simulate_portfolio", "store_site"]


PORTFOLIO_FIRST_SITE = 700001
"""Site id of the first simulated site of :func:`simulate_portfolio`."""


def store_site(
    engine: Any,
    site: Any,
    channels: Any,
    *,
    resolution_s: int,
    names: list[str] | None = None,
) -> None:
    """Store a simulated site and its sub-meters (``SimChannel``s) in ``engine``.

    ``names`` overrides the channels' names (default: their own).
    """
    db.upsert_site(engine, site)
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": [c.channel_id for c in channels],
                "site_id": site.site_id,
                "name": names if names is not None else [c.name for c in channels],
                "resolution_s": resolution_s,
                "role": "sub",
                "is_energy": True,
                "active": True,
            }
        ),
    )


def simulate_portfolio(
    engine: Any,
    params_dir: str | Path,
    *,
    sites: int = 10,
    channels: int = 8,
    week: str = "2026-W47",
    weeks: int = 5,
    resolution_s: int = 3600,
    seed: int = 0,
    first_site: int = PORTFOLIO_FIRST_SITE,
) -> list[str]:
    """Write a simulated portfolio: site files and their readings, for tests and benchmarks.

    Site ``k`` (id ``first_site + k``) has ``channels`` channels scaled from the Wilson Center's
    (:func:`argo_lib.sim.site.synthetic_channels`, ids ``10_000_000 + 100·k + j``), the Wilson
    Center's opening hours, ``weeks`` weeks of readings ending with ``week`` and the outdoor
    temperature; every other site leaves one channel on after hours in the last week (a
    finding to report). Deterministic for a seed. Like :mod:`argo_lib.sim`, never production
    input.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        The database (its schema is upgraded first).
    params_dir : str or pathlib.Path
        Folder whose ``sites/`` receives ``sim_<site id>.yaml``.
    sites, channels : int
        Number of sites, channels per site (1 to 99).
    week : str
        The last simulated week (ISO week or a date in it).
    weeks : int
        Weeks of readings (the last one is the report week), at least 2.
    resolution_s : int
        900 or 3600 [s].
    seed : int
        Simulation seed.
    first_site : int
        Id of the first site.

    Returns
    -------
    list of str
        The site ids, in order.
    """
    import yaml

    if not 1 <= channels <= 99:
        raise UsageError(f"channels must be from 1 to 99, got {channels}")
    if weeks < 2:
        raise UsageError(f"weeks must be at least 2, got {weeks}")
    wilson = load_site("23271")
    folder = Path(params_dir) / "sites"
    folder.mkdir(parents=True, exist_ok=True)
    db.upgrade(engine)
    ids = []
    for k in range(sites):
        site_id = str(first_site + k)
        chans = synthetic_channels(channels, seed=seed + k, first_id=10_000_000 + 100 * k)
        text = {
            "site_id": site_id,
            "name": f"Simulated site {site_id}",
            "timezone": wilson.timezone,
            "country": "US",
            "opening_hours": {
                day: None if hours is None else [f"{hours[0]:%H:%M}", f"{hours[1]:%H:%M}"]
                for day, hours in zip(
                    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
                    (wilson.opening_hours.for_weekday(d) for d in range(7)),
                    strict=True,
                )
            },
            "holidays": {"country": "US", "subdivision": None},
            "tariff": {"flat_rate_per_kwh": 0.12, "currency": "USD", "demand_rate_per_kw": None},
            "default_resolution_s": resolution_s,
            "channels": [
                {"channel_id": c.channel_id, "name": c.name, "role": "sub"} for c in chans
            ],
        }
        (folder / f"sim_{site_id}.yaml").write_text(
            yaml.safe_dump(text, sort_keys=False), encoding="utf-8"
        )
        site = load_site(site_id, params_dir=params_dir)
        last = dates.report_week(week, tz=site.timezone)
        start = dates.baseline_period(last, weeks=weeks - 1).start
        faults = []
        if k % 2 == 1:
            faults.append(Fault(chans[0].channel_id, "after_hours", last.start, last.end, size=4.0))
        sim = simulate_readings(
            start=start,
            end=last.end,
            resolution_s=resolution_s,
            channels=chans,
            seed=seed + k,
            site=site,
            faults=faults,
        )
        store_site(engine, site, chans, resolution_s=resolution_s)
        db.upsert_readings(engine, sim.readings)
        temperature = sim.temperature.rename("temperature_c").rename_axis("timestamp")
        db.upsert_weather(engine, temperature.reset_index(), site_id=site_id)
        ids.append(site_id)
    return ids
