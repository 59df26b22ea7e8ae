"""Ingestion: readings into the database from the Eniscope API or from files, validated, logged.

- :mod:`~argo_lib.ingest.plan`: what a sync will fetch (period, site-local day windows, energy
  channels, pacing profiles), pure functions;
- :mod:`~argo_lib.ingest.sync`: :func:`sync_site`, metadata then each channel window by window,
  and :func:`make_client`;
- :mod:`~argo_lib.ingest.validate`: :func:`validate_readings` and the rejected-values ledger;
- :mod:`~argo_lib.ingest.files`: :func:`import_csv` (long or wide readings tables) and
  :func:`import_weather_csv`;
- :mod:`~argo_lib.ingest.runs`: :class:`IngestResult`, what every run returns and logs;
- :mod:`~argo_lib.ingest.coverage`: daily coverage of what arrived.

The client a sync talks to is chosen by the caller: :mod:`argo_lib.jobs.ingest` (behind
``argo ingest`` and ``notebooks/ingest.ipynb``) builds it for the real API or for the fake server
of :mod:`argo_lib.sim`, which this package never imports.
"""

from argo_lib.ingest.coverage import daily_coverage, read_daily_coverage
from argo_lib.ingest.files import (
    CsvError,
    CsvReadings,
    import_csv,
    import_weather_csv,
    read_csv_readings,
    read_weather_csv,
)
from argo_lib.ingest.plan import (
    DEFAULT_DAYS,
    DEFAULT_OVERLAP_H,
    SYNC_PROFILES,
    SyncProfile,
    classify_channels,
    plan_windows,
)
from argo_lib.ingest.runs import IngestResult
from argo_lib.ingest.sync import MissingCredentialsError, SiteBusyError, make_client, sync_site
from argo_lib.ingest.validate import validate_readings

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_OVERLAP_H",
    "SYNC_PROFILES",
    "CsvError",
    "CsvReadings",
    "IngestResult",
    "MissingCredentialsError",
    "SiteBusyError",
    "SyncProfile",
    "classify_channels",
    "daily_coverage",
    "import_csv",
    "import_weather_csv",
    "make_client",
    "plan_windows",
    "read_csv_readings",
    "read_daily_coverage",
    "read_weather_csv",
    "sync_site",
    "validate_readings",
]
