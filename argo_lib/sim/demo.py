"""The demo database: the simulated Wilson Center with labelled faults in its last week.

``argo demo`` loads it into a database so that a fresh clone runs every notebook offline. The
data are deterministic for a seed and an end week; the faults injected in the last week are
returned as labels, so every finding of the brief on the demo can be checked against what was
injected. :func:`fake_server` serves the same site, seed and faults over the fake Eniscope API,
so ``argo ingest --fake`` agrees with the demo.

The demo never overwrites real data: :func:`build_demo_database` refuses a database that holds
data of the demo site it did not write itself (:func:`find_non_demo_data`), and re-running it
over its own data is idempotent.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.config import Settings, SiteSettings, load_site
from argo_lib.dates import Period, baseline_period, report_week
from argo_lib.errors import UsageError
from argo_lib.sim.fake_eniscope import (
    DEFAULT_API_KEY,
    DEFAULT_EMAIL,
    DEFAULT_PASSWORD,
    SITE_TIMEZONE,
    FakeEniscope,
)
from argo_lib.sim.faults import Fault
from argo_lib.sim.readings import simulate_readings
from argo_lib.sim.site import build_site_frame

__all__ = [
    "DEMO_SEED",
    "DEMO_SITE_ID",
    "DEMO_SOURCE",
    "DemoResult",
    "DemoTargetError",
    "build_demo_database",
    "demo_faults",
    "describe_demo",
    "fake_server",
    "find_non_demo_data",
]

DEMO_SITE_ID = "23271"
"""The site the demo loads: the Wilson Center."""
DEMO_SEED = 7
"""Default simulation seed of the demo, and of the fake server that agrees with it."""
DEMO_SOURCE = "demo"
"""``source`` of the demo's ingestion runs; data written by any other source is real."""


class DemoTargetError(UsageError):
    """The database holds data the demo did not write; the demo refuses to overwrite it."""


@dataclass(frozen=True)
class DemoResult:
    """What :func:`build_demo_database` loaded.

    Attributes
    ----------
    site : SiteSettings
    period : Period
        The loaded period, ``[start, end)`` in site-local time.
    last_week : Period
        The week that carries the injected faults.
    labels : pandas.DataFrame
        Injected faults: ``channel_id``, ``kind``, ``start``, ``end``, ``size``, ``unit``,
        ``expected_kwh``.
    summary : pandas.DataFrame
        Per channel: ``channel_id``, ``channel_name``, ``first``, ``last`` (local),
        ``readings``, ``energy_kwh`` [kWh], ``mean_kw`` and ``peak_kw`` [kW].
    run_id : int
        The ingestion run that recorded the load.
    database : str
        The database, password masked.
    """

    site: SiteSettings
    period: Period
    last_week: Period
    labels: pd.DataFrame
    summary: pd.DataFrame
    run_id: int
    database: str


def demo_faults(week: Period) -> tuple[Fault, ...]:
    """The faults injected in the demo's last week (site-local times).

    Parameters
    ----------
    week : Period
        The report week (Monday 00:00 to Monday 00:00, site-local).

    Returns
    -------
    tuple of argo_lib.sim.Fault
        AHU-2 left running after hours (+2.5 kW from Tuesday evening to Friday morning), a
        12 kW half-hour spike on the kitchen main panel on Wednesday noon, AHU-1A stuck for
        8 hours on Thursday night, a 6-hour communication gap on the small kitchen panel on
        Saturday, and RTU-3 reporting 30 % more than usual from Friday on.
    """
    day = week.start

    def at(days: int, hour: float) -> pd.Timestamp:
        local = (day + pd.DateOffset(days=days)).tz_localize(None) + pd.Timedelta(hours=hour)
        return local.tz_localize(week.tz)

    return (
        Fault(162121, "after_hours", at(1, 18), at(4, 7), size=2.5),
        Fault(162285, "spike", at(2, 12), at(2, 12.5), size=12.0),
        Fault(162122, "stuck", at(3, 22), at(4, 6)),
        Fault(162319, "gap", at(5, 3), at(5, 9)),
        Fault(162120, "level_shift", at(4, 0), week.end, size=0.3, unit="fraction"),
    )


def _demo_channels() -> pd.DataFrame:
    meta = build_site_frame()
    return meta[meta["group"] == "wilson"]


def find_non_demo_data(engine: Engine, *, site_id: str = DEMO_SITE_ID) -> list[str]:
    """Evidence that a database holds data of the demo site that the demo did not write.

    The ingestion run log records each run's source. Data are real (not the demo's) when any
    of these holds:

    - a run of the site from another source than :data:`DEMO_SOURCE` wrote rows, or never
      finished (killed or in progress: what it wrote is unknown);
    - the site has channels the demo does not write (an Eniscope sync lists all 20), or a demo
      channel belongs to another site;
    - the site has readings outside every demo run's period (or any readings, and no demo run).

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        An upgraded workbook database.
    site_id : str
        The demo's site.

    Returns
    -------
    list of str
        One short reason per kind of evidence; empty for an empty database or one that holds
        only demo data.
    """
    reasons = []
    sources = db.read_run_sources(engine, site_id=site_id)
    demo = sources[sources["source"] == DEMO_SOURCE]
    other = sources[
        (sources["source"] != DEMO_SOURCE)
        & ((sources["rows_written"] > 0) | (sources["unfinished"] > 0))
    ]
    reasons += [
        f"{runs} ingestion run(s) from {source!r} wrote {rows_written:,} rows"
        + (f" ({unfinished} never finished)" if unfinished else "")
        for runs, source, rows_written, unfinished in zip(
            other["runs"], other["source"], other["rows_written"], other["unfinished"], strict=True
        )
    ]
    demo_ids = set(_demo_channels()["channel_id"].astype(int))
    channels = db.read_channels(engine)
    mine = channels[channels["site_id"] == str(site_id)]
    foreign = sorted(set(mine["channel_id"].astype(int)) - demo_ids)
    if foreign:
        shown = ", ".join(str(c) for c in foreign[:5]) + (", ..." if len(foreign) > 5 else "")
        reasons.append(f"{len(foreign)} channel(s) the demo does not write ({shown})")
    elsewhere = channels[
        channels["channel_id"].isin(list(demo_ids)) & (channels["site_id"] != str(site_id))
    ]
    if len(elsewhere):
        reasons.append(
            f"demo channels {sorted(elsewhere['channel_id'].astype(int))} belong to site(s) "
            f"{sorted(set(elsewhere['site_id']))}"
        )
    extents = db.last_reading_times(engine, site_id=site_id)
    if len(extents):
        if demo.empty:
            outside = extents
        else:
            start, end = demo["period_start"].min(), demo["period_end"].max()
            outside = extents[
                (extents["first_timestamp"] < start) | (extents["last_timestamp"] >= end)
            ]
        if len(outside):
            reasons.append(
                f"{len(outside)} channel(s) with readings that no demo run wrote (stored from "
                f"{outside['first_timestamp'].min():%Y-%m-%d} to "
                f"{outside['last_timestamp'].max():%Y-%m-%d})"
            )
    return reasons


def _refuse_non_demo_data(engine: Engine, site_id: str) -> None:
    reasons = find_non_demo_data(engine, site_id=site_id)
    if reasons:
        raise DemoTargetError(
            f"{db.describe_database(engine)} holds data of site {site_id} that the demo did not "
            f"write: {'; '.join(reasons)}. The demo would overwrite it with simulated readings, "
            "so nothing was written. Use the embedded demo database instead: "
            "`argo demo --database-url sqlite:///data/demo.sqlite` (then run other commands "
            "with DATABASE_URL=sqlite:///data/demo.sqlite), or an empty database."
        )


def build_demo_database(
    engine: Engine,
    *,
    weeks: int = 10,
    end_week: str = "last",
    resolution_s: int = 900,
    seed: int = DEMO_SEED,
    as_of: pd.Timestamp | None = None,
) -> DemoResult:
    """Load the simulated Wilson Center into a database (upgrading its schema first).

    Refuses, before writing anything but the schema, a database that holds data of the site
    that the demo did not write (:func:`find_non_demo_data`). Loading the demo again into a
    database that holds only demo data is idempotent.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    weeks : int
        Weeks of data, ending with ``end_week`` (at least 2: a baseline and a report week).
    end_week : str
        The last loaded week: ``"last"`` (the last complete week), ``"2026-W47"`` or a date.
    resolution_s : int
        900 or 3600 [s].
    seed : int
        Simulation seed.
    as_of : pandas.Timestamp, optional
        Reference time for ``"last"`` (default now).

    Returns
    -------
    DemoResult

    Raises
    ------
    UsageError
        For fewer than 2 weeks, an unsupported resolution or an unknown week.
    DemoTargetError
        If the database holds data of the site that the demo did not write; nothing is written.
    """
    if weeks < 2:
        raise UsageError(
            f"weeks must be at least 2 (a baseline week and a report week), got {weeks}"
        )
    if resolution_s not in (900, 3600):
        raise UsageError(f"resolution_s must be 900 or 3600, got {resolution_s}")
    site = load_site(DEMO_SITE_ID)
    try:
        last_week = report_week(end_week, tz=site.timezone, as_of=as_of)
    except UsageError:
        raise
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    period = Period(baseline_period(last_week, weeks=weeks - 1).start, last_week.end)
    db.upgrade(engine)
    _refuse_non_demo_data(engine, site.site_id)
    sim = simulate_readings(
        start=period.start,
        end=period.end,
        resolution_s=resolution_s,
        seed=seed,
        site=site,
        faults=demo_faults(last_week),
        fields="all",
    )
    db.upsert_site(engine, site)
    meta = _demo_channels()
    db.upsert_devices(
        engine,
        pd.DataFrame(
            {
                "device_id": meta["device_id"],
                "site_id": site.site_id,
                "name": meta["device_name"],
                "uuid": meta["uu_id"],
                "device_type": meta["device_type_name"],
            }
        ),
    )
    roles = {c.channel_id: c.role for c in site.channels}
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": meta["channel_id"],
                "site_id": site.site_id,
                "name": meta["channel_name"],
                "device_id": meta["device_id"],
                "device_name": meta["device_name"],
                "device_type": meta["device_type_name"],
                "data_type": meta["data_type"],
                "uuid": meta["uu_id"],
                "resolution_s": resolution_s,
                "role": meta["channel_id"].map(roles).fillna("sub"),
                "is_energy": True,
                "active": True,
            }
        ),
    )
    run_id = db.start_run(
        engine,
        source=DEMO_SOURCE,
        site_id=site.site_id,
        period_start=period.start,
        period_end=period.end,
        parameters={
            "weeks": weeks,
            "end_week": last_week.label,
            "resolution_s": resolution_s,
            "seed": seed,
        },
    )
    try:
        written = db.upsert_readings(engine, sim.readings)
    except Exception as exc:
        db.finish_run(engine, run_id, status="failed", error=str(exc)[:500])
        raise
    temperature = sim.temperature.rename("temperature_c").rename_axis("timestamp").reset_index()
    db.upsert_weather(engine, temperature, site_id=site.site_id)
    db.finish_run(
        engine,
        run_id,
        status="ok",
        channels_requested=len(meta),
        rows_received=len(sim.readings),
        rows_written=written,
    )
    stored = db.read_readings(engine, site_id=site.site_id, period=period)
    return DemoResult(
        site=site,
        period=period,
        last_week=last_week,
        labels=sim.labels,
        summary=_summarise(stored, meta, site),
        run_id=run_id,
        database=db.describe_database(engine),
    )


def _summarise(readings: pd.DataFrame, meta: pd.DataFrame, site: SiteSettings) -> pd.DataFrame:
    local = readings.assign(timestamp=readings["timestamp"].dt.tz_convert(site.tz))
    summary = local.groupby("channel_id").agg(
        first=("timestamp", "min"),
        last=("timestamp", "max"),
        readings=("timestamp", "size"),
        energy_kwh=("energy_kwh", "sum"),
        mean_kw=("power_kw", "mean"),
        peak_kw=("power_kw", "max"),
    )
    names = meta.set_index("channel_id")["channel_name"]
    summary.insert(0, "channel_name", names.reindex(summary.index))
    return summary.reset_index()


def describe_demo(result: DemoResult) -> str:
    """A short plain-text report of what the demo database holds.

    Parameters
    ----------
    result : DemoResult
        From :func:`build_demo_database`.

    Returns
    -------
    str
        The database, site and period, a table per channel, totals and the injected faults.
    """
    summary = result.summary.copy()
    summary["first"] = summary["first"].dt.strftime("%Y-%m-%d %H:%M")
    summary["last"] = summary["last"].dt.strftime("%Y-%m-%d %H:%M")
    lines = [
        f"Demo database: {result.database}",
        f"Site {result.site.site_id} {result.site.name} ({result.site.timezone}), "
        f"period {result.period} (ingestion run {result.run_id})",
        "",
        summary.round({"energy_kwh": 1, "mean_kw": 2, "peak_kw": 2}).to_string(index=False),
        "",
        f"Total {summary['readings'].sum():,} readings, {summary['energy_kwh'].sum():,.1f} kWh.",
        f"Faults injected in {result.last_week.label} (labels):",
    ]
    labels = result.labels.copy()
    for column in ("start", "end"):
        labels[column] = labels[column].dt.tz_convert(result.site.tz).dt.strftime("%a %m-%d %H:%M")
    lines.append(labels.round({"expected_kwh": 1}).to_string(index=False))
    return "\n".join(lines)


@contextlib.contextmanager
def fake_server(
    *,
    now: Any = None,
    seed: int = DEMO_SEED,
    site_faults: Sequence[Fault] | None = None,
    **options: Any,
) -> Iterator[Settings]:
    """Serve the demo site over a loopback fake Eniscope API; yield settings pointing at it.

    Parameters
    ----------
    now : datetime-like, optional
        The fake's frozen "now" (tz-aware); default the real time when it starts.
    seed : int
        Simulator seed; default :data:`DEMO_SEED`, so a fake sync into the demo database
        agrees with the demo's data.
    site_faults : sequence of argo_lib.sim.Fault, optional
        Data faults of the simulated site; default the demo's faults in the last complete week
        before ``now``, so that the fake serves what the demo database holds.
    **options
        Other :class:`argo_lib.sim.fake_eniscope.FakeEniscope` options (``faults``,
        ``lag_s``...).

    Yields
    ------
    argo_lib.config.Settings
        Only the Eniscope fields are set: the fake's URL and its public test credentials.

    Raises
    ------
    UsageError
        If ``now`` is timezone-naive.
    """
    clock = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if clock.tzinfo is None:
        raise UsageError(f"now={now!r} is timezone-naive; give a zone, e.g. 2025-12-08T12:00Z")
    if site_faults is None:
        site_faults = demo_faults(report_week("last", tz=SITE_TIMEZONE, as_of=clock))
    fake = FakeEniscope(clock=clock, seed=seed, site_faults=site_faults, **options)
    with fake as url:
        yield Settings(
            eniscope_api_url=url,
            eniscope_api_key=DEFAULT_API_KEY,
            eniscope_email=DEFAULT_EMAIL,
            eniscope_password=DEFAULT_PASSWORD,
        )
