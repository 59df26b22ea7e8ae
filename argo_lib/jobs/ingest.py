"""The ingestion run path: parameters checked once, then a sync or a file import.

``argo ingest`` and ``notebooks/ingest.ipynb`` both call :meth:`IngestRun.from_parameters` (the
notebook's validate-parameters cell) and :func:`run_ingest`. This module chooses the source: the
real Eniscope API with credentials from the settings, a loopback fake Eniscope server serving the
simulated demo site (``--fake`` / ``source: fake``; the only path that imports
:mod:`argo_lib.sim`), or a CSV file.

Examples
--------
>>> run = IngestRun.from_parameters(site="23271", source="fake", days=2,
...                                 as_of="2025-12-10T12:00:00Z")
>>> run.period.start.isoformat(), run.profile.name
('2025-12-08T00:00:00-05:00', 'fast')
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.config import Settings, SiteSettings, get_settings, load_site
from argo_lib.dates import Period
from argo_lib.eniscope import EniscopeClient
from argo_lib.errors import UsageError
from argo_lib.ingest.files import import_csv
from argo_lib.ingest.plan import (
    DEFAULT_OVERLAP_H,
    SyncProfile,
    resolve_period,
    resolve_profile,
    resolve_zone,
)
from argo_lib.ingest.runs import IngestResult
from argo_lib.ingest.sync import check_credentials, make_client, sync_site

__all__ = ["SOURCES", "IngestRun", "open_client", "run_ingest"]

SOURCES = ("eniscope", "fake", "csv")
"""Where an ingestion reads: the Eniscope API, the local fake server, or a CSV file."""


@dataclass(frozen=True, kw_only=True, repr=False)
class IngestRun:
    """Resolved, checked parameters of one ingestion (the notebook's and ``argo ingest``'s).

    Attributes
    ----------
    site : SiteSettings
    source : {"eniscope", "fake", "csv"}
        The Eniscope API, the local fake server, or a CSV file.
    period : argo_lib.dates.Period
        Requested period (site-local); for a CSV import, informational.
    days : int or None
        Days back, when the period came from ``days``.
    resolution_s : int or None
        Requested resolution [s]; None keeps each channel's.
    channels : tuple of int or None
        Requested channels; None means the site's.
    csv_path : pathlib.Path or None
        The CSV file, for ``source="csv"``.
    tz : str or None
        Zone of naive CSV timestamps (None: the site's time zone).
    profile : SyncProfile
        Request pacing.
    overlap_h : float
        Re-fetch overlap [h].
    full : bool
        Re-fetch the whole period.
    database_url : str or None
        Database URL; None means ``DATABASE_URL`` or the embedded SQLite (hidden in ``repr``).
    now : pandas.Timestamp
        "Now" of the run (UTC); the fake server's clock.
    """

    site: SiteSettings
    source: Literal["eniscope", "fake", "csv"]
    period: Period
    days: int | None
    resolution_s: int | None
    channels: tuple[int, ...] | None
    csv_path: Path | None
    tz: str | None
    profile: SyncProfile
    overlap_h: float
    full: bool
    database_url: str | None = field(repr=False)
    now: pd.Timestamp

    @classmethod
    def from_parameters(
        cls,
        *,
        site: str,
        source: str = "fake",
        days: int = 7,
        start: str = "",
        end: str = "",
        resolution_s: int = 0,
        channels: str = "",
        csv_path: str = "",
        tz: str = "",
        profile: str = "",
        overlap_h: float = DEFAULT_OVERLAP_H,
        full: bool = False,
        database_url: str = "",
        as_of: str = "",
        settings: Settings | None = None,
    ) -> IngestRun:
        """Check raw parameters ("" means unset) and resolve them.

        Parameters
        ----------
        site : str
            Site id or site file stem.
        source : str
            ``"eniscope"``, ``"fake"`` or ``"csv"``.
        days : int
            Days back from ``end`` when ``start`` is empty [d].
        start, end : str
            Site-local dates (or ISO times with offsets); ``end`` empty means now.
        resolution_s : int
            900 or 3600 [s]; 0 keeps each channel's stored resolution (else the site default).
        channels : str
            Comma-separated channel ids; empty means the site's channels.
        csv_path : str
            CSV file for ``source="csv"``.
        tz : str
            Zone of naive CSV timestamps; empty means the site's time zone.
        profile : str
            ``"polite"`` or ``"fast"``; empty means fast for the fake server, polite otherwise.
        overlap_h : float
            Re-fetch overlap [h].
        full : bool
            Re-fetch the whole period.
        database_url : str
            SQLAlchemy URL; empty means the default database.
        as_of : str
            "Now" as an ISO time with offset (for the fake server); empty means the real time.
        settings : argo_lib.config.Settings, optional
            For ``source="eniscope"``, the settings whose credentials are checked here, before
            any work; default :func:`argo_lib.config.get_settings`.

        Returns
        -------
        IngestRun

        Raises
        ------
        UsageError
            Naming the parameter and how to fix it.
        argo_lib.ingest.MissingCredentialsError
            For ``source="eniscope"`` without credentials (naming every missing variable).
        """
        if source not in SOURCES:
            raise UsageError(f"source must be 'eniscope', 'fake' or 'csv', got {source!r}")
        site_settings = load_site(site)
        try:
            now = pd.Timestamp.now(tz="UTC") if not as_of else pd.Timestamp(as_of)
        except ValueError:
            raise UsageError(
                f"as_of={as_of!r} is not a time; write e.g. 2025-12-08T12:00:00Z"
            ) from None
        if now.tzinfo is None:
            raise UsageError(f"as_of={as_of!r} has no offset; write e.g. 2025-12-08T12:00:00Z")
        if resolution_s not in (0, 60, 900, 1800, 3600, 86400):
            raise UsageError(f"resolution_s must be 900 or 3600 (0 = keep), got {resolution_s}")
        try:
            ids = tuple(int(c) for c in re.split(r"[,\s]+", channels.strip()) if c)
        except ValueError:
            raise UsageError(
                f"channels must be comma-separated channel ids, e.g. '162285,162320', got "
                f"{channels!r}"
            ) from None
        if source == "csv":
            if not csv_path:
                raise UsageError("source 'csv' needs csv_path, the file to import")
            if not Path(csv_path).is_file():
                raise UsageError(f"csv_path {csv_path!r} is not a file")
        if tz:
            resolve_zone(tz)
        if source == "eniscope":
            check_credentials(settings or get_settings())
        period = resolve_period(
            tz=site_settings.tz,
            days=None if start else days,
            start=start or None,
            end=end or None,
            now=now.tz_convert("UTC"),
        )
        return cls(
            site=site_settings,
            source=cast(Literal["eniscope", "fake", "csv"], source),  # checked against SOURCES
            period=period,
            days=None if start else days,
            resolution_s=resolution_s or None,
            channels=ids or None,
            csv_path=Path(csv_path) if csv_path else None,
            tz=tz or None,
            profile=resolve_profile(profile or ("fast" if source == "fake" else "polite")),
            overlap_h=float(overlap_h),
            full=bool(full),
            database_url=database_url or None,
            now=now.tz_convert("UTC"),
        )

    def __repr__(self) -> str:
        what = (
            f"csv_path={str(self.csv_path)!r}"
            if self.source == "csv"
            else (
                f"period={self.period}, resolution_s={self.resolution_s or 'stored/site default'}, "
                f"channels={list(self.channels) if self.channels else 'site'}, "
                f"profile={self.profile.name!r}"
            )
        )
        database = db.describe_database(db.get_engine(self.database_url))
        return (
            f"IngestRun(site={self.site.site_id} {self.site.name} ({self.site.timezone}), "
            f"source={self.source!r}, {what}, database={database})"
        )


@contextlib.contextmanager
def open_client(
    run: IngestRun, *, settings: Settings | None = None, **options: Any
) -> Iterator[tuple[EniscopeClient, str]]:
    """The Eniscope client of a sync's source, and the source's name for the run log.

    For ``source="fake"`` a loopback fake Eniscope server serving the demo site starts here
    (clock frozen at ``run.now``; see :func:`argo_lib.sim.demo.fake_server`) and stops when the
    context ends; only this path imports :mod:`argo_lib.sim`.

    Parameters
    ----------
    run : IngestRun
        A sync: ``source`` ``"eniscope"`` or ``"fake"``.
    settings : argo_lib.config.Settings, optional
        Credentials for ``source="eniscope"``; default :func:`argo_lib.config.get_settings`.
    **options
        Extra :class:`argo_lib.eniscope.EniscopeConfig` options.

    Yields
    ------
    tuple of (argo_lib.eniscope.EniscopeClient, str)
        The client (paced by ``run.profile``) and ``"eniscope"`` or ``"fake-eniscope"``.

    Raises
    ------
    UsageError
        For a CSV run, which has no client.
    argo_lib.ingest.MissingCredentialsError
        For ``source="eniscope"`` without credentials.
    """
    if run.source not in ("eniscope", "fake"):
        raise UsageError(f"a {run.source!r} run reads a file, not the Eniscope API")
    with contextlib.ExitStack() as stack:
        if run.source == "fake":
            from argo_lib.sim.demo import fake_server  # the simulator, only when chosen

            settings = stack.enter_context(fake_server(now=run.now))
            source = "fake-eniscope"
        else:
            settings = settings or get_settings()
            source = "eniscope"
        client = stack.enter_context(
            make_client(
                settings, profile=run.profile, skip_channels=run.site.skip_channels, **options
            )
        )
        yield client, source


def run_ingest(
    run: IngestRun,
    *,
    settings: Settings | None = None,
    engine: Engine | None = None,
    progress: bool | None = False,
    client_options: Mapping[str, Any] | None = None,
) -> IngestResult:
    """Run an ingestion from resolved parameters: sync from the API or the fake, or import a CSV.

    The database schema is created or upgraded first. For ``source="fake"`` a local fake server
    is started for the run (clock frozen at ``run.now``) and stopped afterwards.

    Parameters
    ----------
    run : IngestRun
        From :meth:`IngestRun.from_parameters`.
    settings : argo_lib.config.Settings, optional
        Credentials for ``source="eniscope"``; default :func:`argo_lib.config.get_settings`.
    engine : sqlalchemy.engine.Engine, optional
        Default ``db.get_engine(run.database_url)``.
    progress : bool, optional
        Progress bar on stderr (None: when stderr is a terminal).
    client_options : mapping, optional
        Extra :class:`argo_lib.eniscope.EniscopeConfig` options.

    Returns
    -------
    IngestResult
        Of :func:`argo_lib.ingest.sync_site` or :func:`argo_lib.ingest.import_csv`.
    """
    engine = engine or db.get_engine(run.database_url)
    db.upgrade(engine)
    if run.source == "csv":
        if run.csv_path is None:
            raise UsageError("source 'csv' needs csv_path, the file to import")
        return import_csv(
            engine,
            run.csv_path,
            site=run.site,
            tz=run.tz,
            resolution_s=run.resolution_s,
            now=run.now,
        )
    with open_client(run, settings=settings, **dict(client_options or {})) as (client, source):
        return sync_site(
            engine,
            client,
            run.site,
            start=run.period.start,
            end=run.period.end,
            channels=run.channels,
            resolution_s=run.resolution_s,
            window_days=run.profile.window_days,
            overlap_h=run.overlap_h,
            full=run.full,
            now=run.now,
            progress=progress,
            source=source,
        )
