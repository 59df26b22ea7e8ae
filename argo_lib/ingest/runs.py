"""What one ingestion run did: the result every run returns, and its error summary.

Every run, a sync or a file import, is logged as a row of ``ingestion_runs`` (status, counts and
an error summary without secrets) and returns an :class:`IngestResult` with the per-channel
summary, the channel-window log and the values it rejected.

**The counts** (the same in the run log, the per-channel summary and the window log; a reading
is identified by its channel and timestamp):

- ``received``: records that arrived from the source, each time it arrived (a record that two
  windows both return, such as a record at a window's end that is also the next window's first,
  counts twice; records without a usable timestamp count too). For the API these are the
  records of each window as the client delivers them: repeated timestamps within one response
  are already collapsed by the client (its parser keeps the last).
- ``written``: distinct readings the run stored (inserted, or updated when already stored by an
  earlier run), each counted once however often the run wrote it.
- ``kept_out``: distinct readings received but not stored by the run (a value out of range, a
  timestamp in the future or off the interval grid, a file whose every value was rejected),
  plus the records without a usable timestamp.
- ``duplicates``: records received again within the run (same channel and timestamp as a record
  received before in the run: a window overlap, a repeated line of a file), collapsed into one.

so that ``received = written + kept_out + duplicates``, per channel and per run. Values are
counted apart from records:

- ``rejected``: distinct rejected values the run met (one per rejected-readings ledger row:
  channel, timestamp, field, raw value, reason and location), including values stored as NULL
  in a row that was written; a value met twice in a run counts once. ``rejected_new`` of them
  were new to the ledger (its rows with this run's ``run_id``); the rest were already recorded
  by an earlier run, so ``rows_rejected`` = ledger rows of this run + those already recorded.

``ingestion_runs`` holds ``rows_received``, ``rows_written`` and ``rows_rejected`` as defined
here (``kept_out + duplicates = rows_received - rows_written``); ``ingestion_windows`` holds per
channel-window ``fetched`` (received), ``inserted`` (readings first stored by the run in that
window) and ``rejected`` (values first met by the run in that window), which add up to the
channel's counts.

**The status**: ``ok`` when no channel failed and nothing stopped the run; ``failed`` when a
fatal error stopped it (metadata, credentials, an expired subscription, a ``Retry-After`` over
300 s, an interruption), when every requested channel failed, or when channels failed and
nothing was written; otherwise ``partial`` (some channels failed). ``channels_failed > 0``
therefore never goes with ``ok``.
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
    "kept_out",
    "duplicates",
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
        what was requested), ``windows``, the counts ``received``, ``written``, ``kept_out``,
        ``duplicates`` and ``rejected`` (as in the module docstring: ``received = written +
        kept_out + duplicates``; ``rejected`` counts values) and ``error``.
    windows : pandas.DataFrame
        The channel-window log of the run (as in ``ingestion_windows``).
    rejected : pandas.DataFrame
        The distinct values rejected in this run, each once (new to the ledger or already
        recorded): ``channel_id``, ``timestamp``, ``field``, ``raw_value``, ``reason`` and
        ``location``.
    error : str or None
        Error summary (no secrets).
    elapsed_s : float
        Wall time [s].
    requests : int
        HTTP requests spent (retries included); 0 for a CSV import.
    rejected_new : int
        Of the rejected values, those new to the rejected-readings ledger (written by this run);
        the others were already recorded by an earlier run.
    notes : tuple of str
        Lines the summary shows below its counts (how a file was read, and a ``warning:`` line
        when values were rejected).
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
    rejected_new: int = 0
    notes: tuple[str, ...] = ()

    def _total(self, column: str) -> int:
        return int(self.channels[column].sum()) if len(self.channels) else 0

    @property
    def rows_received(self) -> int:
        """Records received from the source, repeats included (``ingestion_runs.rows_received``)."""
        return self._total("received")

    @property
    def rows_written(self) -> int:
        """Distinct readings stored, inserted or updated (``ingestion_runs.rows_written``)."""
        return self._total("written")

    @property
    def rows_kept_out(self) -> int:
        """Distinct readings received but not stored, plus records without a timestamp."""
        return self._total("kept_out")

    @property
    def rows_duplicate(self) -> int:
        """Records received again within the run, collapsed into the reading received first."""
        return self._total("duplicates")

    @property
    def rows_rejected(self) -> int:
        """Distinct rejected values met (``ingestion_runs.rows_rejected``), new or known."""
        return len(self.rejected)

    @property
    def exit_code(self) -> int:
        """0 when the run is ``ok``, else 1 (the command line's exit status)."""
        return 0 if self.status == "ok" else 1

    def exit_status(self, *, strict: bool = False) -> int:
        """The command line's exit status: :attr:`exit_code`, and 1 for rejected values if strict.

        Parameters
        ----------
        strict : bool
            Also exit 1 when the run is ``ok`` but values were rejected (``--strict``).

        Returns
        -------
        int
        """
        return 1 if self.exit_code or (strict and self.rows_rejected) else 0

    def summary(self) -> str:
        """Plain-text report for terminals and logs.

        Returns
        -------
        str
            A headline with the counts, how they add up, the error, the notes (a ``warning:``
            line when values were rejected), then the per-channel table.
        """
        rate = self.rows_written / self.elapsed_s if self.elapsed_s > 0 else float("nan")
        known = self.rows_rejected - self.rejected_new
        lines = [
            f"ingestion run {self.run_id} ({self.source}) for site {self.site_id}: "
            f"{self.status}; period [{self.period.start:%Y-%m-%d %H:%M}, "
            f"{self.period.end:%Y-%m-%d %H:%M}) {self.period.start.tz}",
            f"{self.rows_received:,} rows received, {self.rows_written:,} written, "
            f"{self.rows_rejected:,} values rejected, {self.requests:,} requests, "
            f"{self.elapsed_s:.1f} s ({rate:,.0f} rows/s)",
            f"rows: {self.rows_received:,} received = {self.rows_written:,} written + "
            f"{self.rows_kept_out:,} kept out + {self.rows_duplicate:,} duplicates collapsed; "
            f"values rejected: {self.rejected_new:,} new to the ledger, {known:,} already "
            "recorded by an earlier run",
        ]
        if self.error:
            lines.append(f"error: {self.error}")
        lines += self.notes
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
            f"kept_out={self.rows_kept_out}, duplicates={self.rows_duplicate}, "
            f"rejected={self.rows_rejected}, elapsed_s={self.elapsed_s:.1f})"
        )


def resolve_site(site: SiteSettings | str | int) -> SiteSettings:
    """Site settings as given, or loaded by id or site file stem (``config.load_site``)."""
    return site if isinstance(site, SiteSettings) else load_site(str(site))


def summarise_error(exc: BaseException) -> str:
    """``"<ErrorType>: <first line of the message>"``, at most 500 characters, for the run log."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:500] if text else type(exc).__name__
