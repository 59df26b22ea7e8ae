"""What one ingestion run did: the result every run returns, and its error summary.

Every run, a sync or a file import, is logged as a row of ``ingestion_runs`` (status, counts and
an error summary without secrets) and returns an :class:`IngestResult` with the per-channel
summary, the channel-window log and the values it rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import pandas as pd

from argo_lib.config import SiteSettings, load_site
from argo_lib.dates import Period

__all__ = ["CHANNEL_SUMMARY_COLUMNS", "IngestResult", "resolve_site", "summarise_error"]

CHANNEL_SUMMARY_COLUMNS = (
    "channel_id",
    "channel_name",
    "status",
    "resolution_s",
    "fetch_start",
    "fetch_end",
    "windows",
    "received",
    "written",
    "rejected",
    "error",
)
"""Columns of :attr:`IngestResult.channels`."""


@dataclass(frozen=True, repr=False)
class IngestResult:
    """What one ingestion run did (a sync or a CSV import).

    Attributes
    ----------
    run_id : int
        The ``ingestion_runs`` row.
    site_id : str
        The site.
    source : str
        ``"eniscope"``, ``"fake-eniscope"`` or ``"csv:<file name>"``.
    status : {"ok", "partial", "failed"}
        ``partial`` when some channels failed; ``failed`` when all did or the run could not go on.
    period : argo_lib.dates.Period
        The requested period, site-local.
    channels : pandas.DataFrame
        One row per channel: ``channel_id``, ``channel_name``, ``status`` (``ok``, ``no_data``,
        ``failed``, ``skipped``), ``resolution_s`` [s], ``fetch_start``/``fetch_end`` (UTC,
        what was requested), ``windows``, ``received``, ``written``, ``rejected`` (counts) and
        ``error``.
    windows : pandas.DataFrame
        The channel-window log of the run (as in ``ingestion_windows``).
    rejected : pandas.DataFrame
        Values rejected in this run: ``channel_id``, ``timestamp``, ``field``, ``raw_value``,
        ``reason``.
    error : str or None
        Error summary (no secrets).
    elapsed_s : float
        Wall time [s].
    requests : int
        HTTP requests spent (retries included); 0 for a CSV import.
    """

    run_id: int
    site_id: str
    source: str
    status: Literal["ok", "partial", "failed"]
    period: Period
    channels: pd.DataFrame
    windows: pd.DataFrame
    rejected: pd.DataFrame
    error: str | None
    elapsed_s: float
    requests: int = 0

    @property
    def rows_received(self) -> int:
        """Records received from the source."""
        return int(self.channels["received"].sum()) if len(self.channels) else 0

    @property
    def rows_written(self) -> int:
        """Readings written (inserted or updated)."""
        return int(self.channels["written"].sum()) if len(self.channels) else 0

    @property
    def rows_rejected(self) -> int:
        """Rejected values (rows kept out, and values stored as NULL)."""
        return len(self.rejected)

    @property
    def exit_code(self) -> int:
        """0 when the run is ``ok``, else 1 (the command line's exit status)."""
        return 0 if self.status == "ok" else 1

    def summary(self) -> str:
        """Plain-text report for terminals and logs.

        Returns
        -------
        str
            A headline with the counts, then the per-channel table.
        """
        rate = self.rows_written / self.elapsed_s if self.elapsed_s > 0 else float("nan")
        lines = [
            f"ingestion run {self.run_id} ({self.source}) for site {self.site_id}: "
            f"{self.status}; period [{self.period.start:%Y-%m-%d %H:%M}, "
            f"{self.period.end:%Y-%m-%d %H:%M}) {self.period.start.tz}",
            f"{self.rows_received:,} rows received, {self.rows_written:,} written, "
            f"{self.rows_rejected:,} values rejected, {self.requests:,} requests, "
            f"{self.elapsed_s:.1f} s ({rate:,.0f} rows/s)",
        ]
        if self.error:
            lines.append(f"error: {self.error}")
        if len(self.channels):
            table = self.channels.copy()
            for column in ("fetch_start", "fetch_end"):
                table[column] = table[column].dt.strftime("%Y-%m-%d %H:%M")
            table["error"] = table["error"].fillna("").str.slice(0, 60)
            lines += ["", table.to_string(index=False)]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (
            f"IngestResult(run_id={self.run_id}, site_id={self.site_id!r}, "
            f"source={self.source!r}, status={self.status!r}, channels={len(self.channels)}, "
            f"received={self.rows_received}, written={self.rows_written}, "
            f"rejected={self.rows_rejected}, elapsed_s={self.elapsed_s:.1f})"
        )


def resolve_site(site: SiteSettings | str | int) -> SiteSettings:
    """Site settings as given, or loaded by id or site file stem (``config.load_site``)."""
    return site if isinstance(site, SiteSettings) else load_site(str(site))


def summarise_error(exc: BaseException) -> str:
    """``"<ErrorType>: <first line of the message>"``, at most 500 characters, for the run log."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__
