"""Syncing a site from the Eniscope API: metadata, then each channel window by window, logged.

:func:`sync_site` is the pipeline behind ``argo ingest`` (API spec sections 6 to 8):

1. **Metadata first.** The organization, the devices (taken from the channel records) and every
   channel of the site are upserted. Channels that are not energy meters are recognised from
   their metadata or the site file's ``skip_channels``
   (:func:`argo_lib.ingest.plan.classify_channels`); they are never requested for readings.
2. **Incremental windows.** Each channel is fetched from its last stored reading minus an
   overlap (Eniscope data arrives late; default 48 h), floored to site-local midnight and never
   before the requested period; a channel without readings starts at the period start. The
   range is cut into windows of whole site-local days, fetched with a bounded number of
   concurrent requests (the client's ``max_concurrency``).
3. **Validation before writing** (:mod:`argo_lib.ingest.validate`): impossible values and
   future timestamps keep their row out; every rejected value is recorded once.
4. **Written per channel-window, in order.** A channel's windows are written in time order, and
   a channel stops at its first failed window. The stored data of a channel therefore never has
   a hole before its last reading, so a run killed at any moment and then repeated re-fetches
   exactly what is missing: upserts are idempotent, rejected values are only recorded once.
5. **Logged.** Every run writes an ingestion-run row (``ok``/``partial``/``failed``, counts and
   an error summary without secrets) and one row per channel-window. One failing channel does
   not stop the others. The counts follow :mod:`argo_lib.ingest.runs`: a record that two
   windows both return (a record at a window's end that is also the next window's first) is
   received twice but written once and counted as a duplicate; ``received = written +
   kept_out + duplicates`` per channel and per run; a rejected value is counted once per run,
   whether it is new to the ledger or was recorded by an earlier run. The run log, the
   per-channel summary and the window log agree, also for a run that was interrupted (the
   window being written is logged as a ``failure``).
6. **Rate limits** (spec section 7). A 429 whose ``Retry-After`` is at most 300 s is waited out
   (on the client's clock, pausing all its requests) and retried while the window's 429 budget
   lasts (the client's ``retry.rate_limit_retries`` and ``retry.rate_limit_budget_s``). A
   window that spends it is logged as a ``failure`` and its channel stops there, like any failed
   window; the other channels go on and the run ends ``partial``. Only a ``Retry-After`` over
   300 s (:class:`~argo_lib.eniscope.errors.RetryAfterTooLong`) stops the whole run.
7. **One sync of a site at a time.** A sync does not start while another sync of the same site
   is running (an ``ingestion_runs`` row ``running`` whose process is alive; runs whose process
   died are marked failed first, :func:`argo_lib.db.reap_abandoned_runs`): it raises
   :class:`SiteBusyError` (exit status 1) before any request. File imports do not count.

The client comes from :func:`make_client` (credentials from the settings, pacing from a
:class:`~argo_lib.ingest.plan.SyncProfile`); which server it talks to is the caller's choice
(:mod:`argo_lib.jobs.ingest` picks the real API or the fake).
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd
from sqlalchemy.engine import Engine

from argo_lib import db
from argo_lib.config import Settings, SiteSettings, get_settings
from argo_lib.dates import Period
from argo_lib.eniscope import (
    DEFAULT_FIELD_CODES,
    FATAL_ERRORS,
    RESOLUTIONS,
    ChannelSkippedError,
    EniscopeClient,
    EniscopeError,
    InvalidParameterError,
    ReadingsResult,
    empty_rejected,
)
from argo_lib.errors import RunError, UsageError
from argo_lib.ingest.plan import (
    DEFAULT_OVERLAP_H,
    SyncProfile,
    classify_channels,
    plan_windows,
    resolve_period,
    resolve_profile,
    select_channels,
)
from argo_lib.ingest.runs import (
    CHANNEL_SUMMARY_COLUMNS,
    IngestResult,
    resolve_site,
    summarise_error,
)
from argo_lib.ingest.validate import (
    RejectedLedger,
    concat_rejected,
    power_ceilings,
    rejected_keys,
    validate_readings,
)
from argo_lib.render.format import plural

__all__ = [
    "MissingCredentialsError",
    "SiteBusyError",
    "check_credentials",
    "make_client",
    "sync_site",
]

logger = logging.getLogger(__name__)

# each window is logged (with the run's heartbeat) as soon as it is stored: a run killed at any
# moment leaves a window log, and counts, that say what it did
_LOG_FLUSH_WINDOWS = 1
_CREDENTIALS = (
    ("eniscope_api_key", "ENISCOPE_API_KEY"),
    ("eniscope_email", "ENISCOPE_EMAIL"),
    ("eniscope_password", "ENISCOPE_PASSWORD"),
)


class MissingCredentialsError(UsageError):
    """Eniscope credentials are not configured; the message names every missing variable."""


class SiteBusyError(RunError):
    """Another sync of the same site is running (exit 1): run it again when that one has ended."""


_LOCK_SCAN_RUNS = 500
"""How many of a site's latest runs are looked at for one still running (a live run is recent)."""


def _check_site_free(engine: Engine, site_id: str, *, own_run_id: int | None = None) -> None:
    """Raise :class:`SiteBusyError` if another sync of the site is running (process alive).

    Runs whose process died are marked failed first (``db.reap_abandoned_runs``), so only a
    live run holds the site. File imports (sources ``csv:...``, ``weather-csv:...``) do not.
    """
    db.reap_abandoned_runs(engine)
    runs = db.read_runs(engine, site_id=site_id, limit=_LOCK_SCAN_RUNS)
    source = runs["source"].astype("str")
    busy = runs[
        (runs["status"] == "running")
        & ~source.str.startswith("csv:")
        & ~source.str.startswith("weather-csv:")
        & (runs["run_id"] != (own_run_id or -1))
    ]
    if busy.empty:
        return
    other = busy.iloc[-1]  # the oldest
    holder = other["holder"] if isinstance(other["holder"], str) else ":?"
    host, _, pid = holder.rpartition(":")
    started = pd.Timestamp(other["started_at"]).tz_convert("UTC")
    beat = other["heartbeat_at"]
    progress = (
        f", last progress {pd.Timestamp(beat).tz_convert('UTC'):%Y-%m-%d %H:%M:%S} UTC"
        if pd.notna(beat)
        else ""
    )
    raise SiteBusyError(
        f"another ingest of site {site_id} is running (run {int(other['run_id'])}, pid {pid} "
        f"on {host or 'an unknown host'}), started at {started:%Y-%m-%d %H:%M:%S} UTC"
        f"{progress}; try later (a run whose process has died is released by the next run or "
        "`argo db check`)"
    )


def check_credentials(settings: Settings) -> None:
    """Check that the Eniscope credentials are all set, before any work.

    Parameters
    ----------
    settings : argo_lib.config.Settings
        The settings a client would be built from.

    Raises
    ------
    MissingCredentialsError
        Naming every missing variable at once (never a value).
    """
    missing = [env for attr, env in _CREDENTIALS if not (getattr(settings, attr, None) or "")]
    if missing:
        names = ", ".join(missing[:-1]) + (" and " if len(missing) > 1 else "") + missing[-1]
        raise MissingCredentialsError(
            f"Eniscope credentials are missing: set {names} in the environment or .env (see "
            ".env.example), or sync offline from the fake server (`argo ingest --fake`, or "
            "source: fake in the ingest notebook)"
        )


def make_client(
    settings: Settings | None = None,
    *,
    profile: str | SyncProfile = "polite",
    skip_channels: Iterable[int] | None = None,
    **options: Any,
) -> EniscopeClient:
    """An Eniscope client configured from the settings (credentials come from the environment).

    Parameters
    ----------
    settings : argo_lib.config.Settings, optional
        Default :func:`argo_lib.config.get_settings`.
    profile : str or SyncProfile
        ``"polite"`` (production defaults) or ``"fast"``; see :data:`SYNC_PROFILES`.
    skip_channels : iterable of int, optional
        Channels never requested; default the client's list.
    **options
        Any other :class:`argo_lib.eniscope.EniscopeConfig` field; wins over the profile.

    Returns
    -------
    argo_lib.eniscope.EniscopeClient

    Raises
    ------
    MissingCredentialsError
        If credentials are missing (the message names every variable to set).
    argo_lib.eniscope.EniscopeConfigError
        For another invalid client setting.
    """
    chosen = resolve_profile(profile)
    merged = {**chosen.client_options(), **options}
    if skip_channels is not None:
        merged["skip_channels"] = frozenset(int(c) for c in skip_channels)
    settings = settings or get_settings()
    check_credentials(settings)
    return EniscopeClient.from_settings(settings, **merged)


def _sync_metadata(engine: Engine, client: EniscopeClient, site: SiteSettings) -> pd.DataFrame:
    """Upsert site, devices and channels; return the parsed channels with ``is_energy``."""
    organizations = client.login()
    match = organizations[organizations["organization_id"] == int(site.site_id)]
    if match.empty:
        visible = organizations["organization_id"].astype("str").tolist()[:10]
        raise EniscopeError(
            f"organization {site.site_id} is not visible to this Eniscope account (it sees "
            f"{visible}); check site_id in {site.source_file or 'the site file'} and the "
            "account's access"
        )
    org = match.iloc[0]
    if isinstance(org.get("timezone"), str) and org["timezone"] != site.timezone:
        logger.warning(
            "Eniscope says site %s is in %s, the site file says %s; using the site file",
            site.site_id,
            org["timezone"],
            site.timezone,
        )

    def pick(configured: Any, key: str) -> Any:
        value = org.get(key)
        return configured if configured is not None or pd.isna(value) else value

    db.upsert_site(
        engine,
        {
            "site_id": site.site_id,
            "name": site.name,
            "timezone": site.timezone,
            "address": pick(site.address, "address1"),
            "city": pick(site.city, "city"),
            "country": pick(site.country, "country"),
            "currency": pick(None, "currency_code") or site.tariff.currency,
        },
        parent_id=None if pd.isna(org.get("parent_id")) else str(org["parent_id"]),
    )
    channels = client.get_channels(organization=site.site_id)
    channels["is_energy"] = classify_channels(channels, skip_channels=site.skip_channels)
    if channels.empty:
        return channels
    devices = channels.dropna(subset=["device_id"]).drop_duplicates("device_id", keep="first")
    if len(devices):
        db.upsert_devices(
            engine,
            pd.DataFrame(
                {
                    "device_id": devices["device_id"].astype("int64"),
                    "site_id": site.site_id,
                    "name": devices["device_name"],
                    "uuid": devices["uuid"],
                    "device_type": devices["device_type_name"],
                    "status": devices["status"].astype("str"),
                    "registered_at": devices["registered"],
                    "expires_at": devices["expires"],
                }
            ),
        )
    roles = {c.channel_id: c.role for c in site.channels}
    names = channels["channel_name"].fillna("channel " + channels["channel_id"].astype("str"))
    db.upsert_channels(
        engine,
        pd.DataFrame(
            {
                "channel_id": channels["channel_id"],
                "site_id": site.site_id,
                "name": names,
                "device_id": channels["device_id"],
                "device_name": channels["device_name"],
                "device_type": channels["device_type_name"],
                "data_type": channels["data_type"],
                "uuid": channels["uuid"],
                "role": channels["channel_id"].map(roles).fillna("sub"),
                "is_energy": channels["is_energy"].astype(bool),
                "active": channels["status"].fillna(1).eq(1).astype(bool),
            }
        ),
    )
    return channels.assign(channel_name=names)


@dataclass
class _ChannelState:
    channel_id: int
    name: str
    resolution_s: int | None
    fetch_start: pd.Timestamp | None = None
    fetch_end: pd.Timestamp | None = None
    windows: list[tuple[pd.Timestamp, pd.Timestamp]] = field(default_factory=list)
    next_index: int = 0
    status: str = "ok"
    received: int = 0
    duplicates: int = 0
    no_timestamp: int = 0
    rejected: int = 0
    rejected_new: int = 0
    done_windows: int = 0
    any_data: bool = False
    error: str | None = None
    seen: set[int] = field(default_factory=set)  # epoch seconds received this run
    stored: set[int] = field(default_factory=set)  # epoch seconds written this run

    @property
    def stopped(self) -> bool:
        return self.status in ("failed", "skipped")

    @property
    def written(self) -> int:
        """Distinct readings the run stored."""
        return len(self.stored)

    @property
    def kept_out(self) -> int:
        """Distinct readings received but not stored, plus records without a timestamp."""
        return len(self.seen - self.stored) + self.no_timestamp


def _epoch_seconds(stamps: pd.Series) -> list[int]:
    """Whole UTC epoch seconds of tz-aware timestamps (the readings' key with the channel)."""
    us = pd.to_datetime(stamps, utc=True).astype("datetime64[us, UTC]")
    return (us.array.asi8 // 1_000_000).tolist()  # type: ignore[attr-defined]


def _fetch(
    client: EniscopeClient,
    channel_id: int,
    window: tuple[pd.Timestamp, pd.Timestamp],
    resolution_s: int,
    fields: Sequence[str],
) -> ReadingsResult | EniscopeError:
    try:
        return client.get_readings(
            channel_id, start=window[0], end=window[1], resolution_s=resolution_s, fields=fields
        )
    except EniscopeError as exc:
        return exc


class _Sync:
    """One sync run: state shared by the steps of :func:`sync_site`."""

    def __init__(
        self,
        engine: Engine,
        client: EniscopeClient,
        site: SiteSettings,
        *,
        run_id: int,
        now: pd.Timestamp,
        fields: Sequence[str],
        on_window: Callable[[str, int, pd.Timestamp, pd.Timestamp], None] | None,
    ) -> None:
        self.engine = engine
        self.client = client
        self.site = site
        self.run_id = run_id
        self.now = now
        self.fields = tuple(fields)
        self.on_window = on_window
        self.states: dict[int, _ChannelState] = {}
        self.log: list[dict[str, Any]] = []
        self.unflushed: list[dict[str, Any]] = []
        self.rejected: list[pd.DataFrame] = []
        self.ledger = RejectedLedger(db.read_rejected(engine, site_id=site.site_id))
        self.met = RejectedLedger(empty_rejected())  # values met so far in this run
        # the window being stored, with its counts so far: logged as a failure if interrupted
        self.current: tuple[_ChannelState, tuple, dict[str, int]] | None = None

    def hook(self, stage: str, state: _ChannelState, window: tuple) -> None:
        if self.on_window is not None:
            self.on_window(stage, state.channel_id, window[0], window[1])

    def record(self, state: _ChannelState, window: tuple, **values: Any) -> None:
        row = {"channel_id": state.channel_id, "window_start": window[0], "window_end": window[1]}
        row |= {"fetched": 0, "inserted": 0, "rejected": 0, "error": None} | values
        self.log.append(row)
        self.unflushed.append(row)
        if len(self.unflushed) >= _LOG_FLUSH_WINDOWS:
            self.flush()

    def flush(self) -> None:
        if self.unflushed:
            frame = pd.DataFrame(self.unflushed, columns=list(db.WINDOW_COLUMNS))
            db.write_windows(self.engine, self.run_id, frame)
            self.unflushed = []

    def store(
        self, state: _ChannelState, window: tuple, outcome: ReadingsResult | EniscopeError
    ) -> None:
        """Validate and write one fetched window (rejected values first, then readings).

        Counts (:mod:`argo_lib.ingest.runs`) are taken as each write is done: the window's
        ``fetched`` records, ``inserted`` readings new to the run's stored ones, and
        ``rejected`` values new to the run's met ones.
        """
        if isinstance(outcome, ChannelSkippedError):
            state.status, state.error = "skipped", summarise_error(outcome)
            return
        if isinstance(outcome, EniscopeError):
            message = summarise_error(outcome)
            if isinstance(outcome, InvalidParameterError):
                message += (
                    f"; if channel {state.channel_id} is not an energy meter, add it to "
                    f"skip_channels in {self.site.source_file or 'the site file'}"
                )
            state.status, state.error = "failed", message
            self.record(state, window, status="failure", error=message)
            return
        readings, parse_rejected = outcome.readings, outcome.rejected
        dropped = int(parse_rejected["timestamp"].isna().sum())  # records without a usable ts
        kept, range_rejected = validate_readings(
            readings,
            now=self.now,
            resolution_s=state.resolution_s,
            max_kw=power_ceilings(self.site, [state.channel_id]),
        )
        rejected = concat_rejected([parse_rejected, range_rejected])
        self.hook("fetched", state, window)
        counts = {"fetched": len(readings) + dropped, "inserted": 0, "rejected": 0}
        self.current = (state, window, counts)
        keys = _epoch_seconds(readings["timestamp"])
        fresh = set(keys) - state.seen
        state.received += counts["fetched"]
        state.duplicates += len(keys) - len(fresh)  # received before in this run
        state.no_timestamp += dropped
        state.seen |= fresh
        state.any_data |= len(readings) > 0
        met = self._write_rejected(state, rejected)
        counts["rejected"] = len(met)
        self.hook("rejected", state, window)
        if len(kept):
            db.upsert_readings(self.engine, kept)
            new = set(_epoch_seconds(kept["timestamp"])) - state.stored
            state.stored |= new
            counts["inserted"] = len(new)
        self.current = None
        self.record(state, window, status="success" if counts["fetched"] else "empty", **counts)
        self.hook("written", state, window)

    def _write_rejected(self, state: _ChannelState, rejected: pd.DataFrame) -> pd.DataFrame:
        """Record the values of a window new to the ledger; return those new to this run."""
        if rejected.empty:
            return rejected
        rejected = rejected.loc[~rejected_keys(rejected).duplicated().to_numpy()]
        met = self.met.new(rejected)  # a value met again in this run counts once
        fresh = self.ledger.new(met)
        if len(fresh):
            db.write_rejected(self.engine, fresh, run_id=self.run_id)
            self.ledger.add(fresh)
        self.met.add(met)
        state.rejected += len(met)
        state.rejected_new += len(fresh)
        self.rejected.append(met)
        return met

    def stop_all(self, message: str) -> None:
        """The run stops: channels not finished fail, the window being stored is logged."""
        if self.current is not None:
            state, window, counts = self.current
            self.current = None
            self.record(state, window, status="failure", error=message, **counts)
        for state in self.states.values():
            if not state.stopped and state.next_index < len(state.windows):
                state.status = "failed"
                state.error = f"not finished, the run stopped: {message}"

    def run_windows(self, progress: bool) -> str | None:
        """Fetch every planned window; write each channel's windows in time order.

        Returns the error of a failure that stopped the whole run, else None.
        """
        from tqdm import tqdm

        jobs = []
        longest = max((len(s.windows) for s in self.states.values()), default=0)
        for i in range(longest):  # round-robin, so channels progress together
            for state in self.states.values():
                if i < len(state.windows):
                    jobs.append((state, i))
        workers = max(1, int(self.client.config.max_concurrency))
        bar = tqdm(
            total=len(jobs),
            disable=not progress,
            unit="window",
            desc=f"sync {self.site.site_id}",
            file=sys.stderr,
            leave=False,
        )
        results: dict[tuple[int, int], ReadingsResult | EniscopeError] = {}
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="argo-sync")
        futures: dict[Future[ReadingsResult | EniscopeError], tuple[_ChannelState, int]] = {}
        queue = iter(jobs)
        try:
            for state, i in queue:  # keep a bounded number of windows in flight
                self._submit(pool, futures, state, i)
                if len(futures) >= 2 * workers:
                    break
            while futures:
                done, _ = wait(list(futures), return_when=FIRST_COMPLETED)
                for future in done:
                    state, i = futures.pop(future)
                    if state.stopped:
                        bar.update(1)  # fetched after its channel stopped: not written
                        continue
                    results[(state.channel_id, i)] = future.result()
                    fatal = self._drain(state, results, bar)
                    if fatal is not None:
                        return fatal
                for state, i in queue:
                    if state.stopped:
                        bar.update(1)
                        continue
                    self._submit(pool, futures, state, i)
                    if len(futures) >= 2 * workers:
                        break
            return None
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            bar.close()

    def _submit(
        self,
        pool: ThreadPoolExecutor,
        futures: dict[Future[ReadingsResult | EniscopeError], tuple[_ChannelState, int]],
        state: _ChannelState,
        i: int,
    ) -> None:
        res = int(state.resolution_s or 0)
        future = pool.submit(
            _fetch, self.client, state.channel_id, state.windows[i], res, self.fields
        )
        futures[future] = (state, i)

    def _drain(self, state: _ChannelState, results: dict, bar: Any) -> str | None:
        while (state.channel_id, state.next_index) in results and not state.stopped:
            outcome = results.pop((state.channel_id, state.next_index))
            window = state.windows[state.next_index]
            if isinstance(outcome, FATAL_ERRORS):
                message = summarise_error(outcome)
                self.record(state, window, status="failure", error=message)
                self.stop_all(message)  # the run stops: nothing else is finished
                state.error = message
                return message
            self.store(state, window, outcome)
            state.next_index += 1
            state.done_windows += 1
            bar.update(1)
            if state.stopped:
                remaining = len(state.windows) - state.next_index
                if state.status == "failed" and remaining:
                    state.error = (
                        f"{state.error} (window {window[0]:%Y-%m-%d %H:%M}Z; {remaining} later "
                        "window(s) not written, the next sync resumes here)"
                    )
                waiting = [k for k in results if k[0] == state.channel_id]
                for key in waiting:
                    del results[key]
                bar.update(len(waiting))
        return None

    def channel_frame(self) -> pd.DataFrame:
        rows = []
        for s in self.states.values():
            status = s.status
            if status == "ok" and not s.any_data:
                status = "no_data"
            rows.append(
                {
                    "channel_id": s.channel_id,
                    "channel_name": s.name,
                    "status": status,
                    "resolution_s": s.resolution_s,
                    "fetch_start": s.fetch_start,
                    "fetch_end": s.fetch_end,
                    "windows": s.done_windows,
                    "received": s.received,
                    "written": s.written,
                    "kept_out": s.kept_out,
                    "duplicates": s.duplicates,
                    "rejected": s.rejected,
                    "error": s.error,
                }
            )
        frame = pd.DataFrame(rows, columns=list(CHANNEL_SUMMARY_COLUMNS))
        for column in ("fetch_start", "fetch_end"):
            frame[column] = pd.to_datetime(frame[column], utc=True)
        return frame.astype(
            {
                "channel_id": "int64",
                "resolution_s": "Int64",
                "windows": "int64",
                "received": "int64",
                "written": "int64",
                "kept_out": "int64",
                "duplicates": "int64",
                "rejected": "int64",
            }
        )


def _plan_channels(
    sync: _Sync,
    channels: pd.DataFrame,
    wanted: list[int],
    skipped: list[int],
    *,
    period: Period,
    resolution_s: int | None,
    window_days: int,
    overlap: pd.Timedelta,
    full: bool,
) -> None:
    engine, site = sync.engine, sync.site
    names = channels.set_index("channel_id")["channel_name"]
    stored = db.read_channels(engine, site_id=site.site_id).set_index("channel_id")
    last = db.last_reading_times(engine, site_id=site.site_id).set_index("channel_id")
    for channel_id in skipped:
        sync.states[channel_id] = _ChannelState(
            channel_id,
            str(names.get(channel_id, "")),
            None,
            status="skipped",
            error="not an energy meter (by its metadata or the site's skip_channels)",
        )
    fetch_end = min(period.end, sync.now).tz_convert("UTC")
    to_set = []
    for channel_id in wanted:  # one iteration per channel
        known = stored["resolution_s"].get(channel_id, pd.NA)
        res = int(resolution_s or (known if pd.notna(known) else site.default_resolution_s))
        state = _ChannelState(channel_id, str(names.get(channel_id, "")), res)
        sync.states[channel_id] = state
        has_rows = channel_id in last.index
        if has_rows and pd.notna(known) and int(known) != res:
            state.status = "failed"
            state.error = (
                f"channel {channel_id} has readings at {int(known)} s and cannot switch to "
                f"{res} s (mixing resolutions double-counts energy); sync it with --resolution "
                f"{int(known)} or delete its readings first"
            )
            continue
        to_set.append(channel_id)
        start = period.start.tz_convert("UTC")
        if has_rows and not full:
            latest: pd.Timestamp = last["last_timestamp"].loc[channel_id]
            if latest < period.end:
                resume = (latest - overlap).tz_convert(site.tz).normalize()
                start = max(start, resume.tz_convert("UTC"))
        state.fetch_start, state.fetch_end = start, fetch_end
        if start < fetch_end:
            state.windows = plan_windows(start, fetch_end, tz=site.tz, window_days=window_days)
    if to_set:
        frame = pd.DataFrame({"channel_id": to_set, "site_id": site.site_id})
        frame["name"] = [sync.states[c].name for c in to_set]
        frame["resolution_s"] = [sync.states[c].resolution_s for c in to_set]
        db.upsert_channels(engine, frame)


def sync_site(
    engine: Engine,
    client: EniscopeClient,
    site: SiteSettings | str,
    *,
    days: int | None = None,
    start: Any = None,
    end: Any = None,
    channels: Iterable[int] | None = None,
    resolution_s: int | None = None,
    window_days: int = 1,
    overlap_h: float = DEFAULT_OVERLAP_H,
    full: bool = False,
    fields: Sequence[str] = DEFAULT_FIELD_CODES,
    now: Any = None,
    progress: bool | None = None,
    source: str = "eniscope",
    on_window: Callable[[str, int, pd.Timestamp, pd.Timestamp], None] | None = None,
) -> IngestResult:
    """Sync a site's channels from the Eniscope API into the database, incrementally.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
        An upgraded workbook database.
    client : argo_lib.eniscope.EniscopeClient
        The API client; its ``max_concurrency`` bounds the requests in flight.
    site : SiteSettings or str
        The site (or its id / file stem, loaded with :func:`argo_lib.config.load_site`).
    days : int, optional
        Period from site-local midnight ``days`` days before ``end`` (default
        :data:`DEFAULT_DAYS`), when ``start`` is not given [d].
    start, end : datetime-like or ISO date string, optional
        Period bounds; a date means site-local midnight; ``end`` defaults to ``now``.
    channels : iterable of int, optional
        Channels to sync; default the site file's channels, or every energy channel when the
        file lists none. Requested non-energy channels are reported as skipped.
    resolution_s : int, optional
        ``res`` [s] (900 or 3600 in practice); default each channel's stored resolution, else the
        site's ``default_resolution_s``. A channel with readings at another resolution fails
        (the others go on).
    window_days : int
        Site-local days per request [d].
    overlap_h : float
        Re-fetch this much before each channel's last stored reading [h].
    full : bool
        Re-fetch the whole period, ignoring what is stored.
    fields : sequence of str
        Eniscope field codes; default the project's 26.
    now : datetime-like, optional
        The current time (tz-aware); default the real time. Readings later than ``now`` plus
        one interval are rejected.
    progress : bool, optional
        Show a tqdm progress bar on stderr; default only when stderr is a terminal.
    source : str
        Source name for the run log.
    on_window : callable, optional
        ``on_window(stage, channel_id, window_start, window_end)`` is called with stage
        ``"fetched"``, ``"rejected"`` (rejected values written) and ``"written"`` (readings
        written) for each window; an exception it raises stops the run (used by the
        interruption tests).

    Returns
    -------
    IngestResult
        Status ``ok`` (no channel failed), ``partial`` (some channels failed, e.g. a window
        that spent its 429 budget, and readings were written) or ``failed`` (all failed, or
        channels failed and nothing was written, or refused credentials, an expired
        subscription or a ``Retry-After`` over 300 s stopped the run). Counts as in
        :mod:`argo_lib.ingest.runs`; when values were rejected its ``notes`` hold a
        ``warning:`` line with their number.

    Raises
    ------
    UsageError
        For a bad period, or requested channels that the site does not have (the run is
        logged as failed first).
    SiteBusyError
        If another sync of the site is running (nothing is requested; see item 7 above).
    """
    site = resolve_site(site)
    started = time.perf_counter()
    now_ts = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now)
    if now_ts.tzinfo is None:
        raise UsageError(f"now={now!r} is timezone-naive; pass an aware time")
    now_ts = now_ts.tz_convert("UTC")
    period = resolve_period(tz=site.tz, days=days, start=start, end=end, now=now_ts)
    if resolution_s is not None and int(resolution_s) not in RESOLUTIONS:
        raise UsageError(f"resolution_s must be one of {RESOLUTIONS} [s], got {resolution_s}")
    if overlap_h < 0:
        raise UsageError(f"overlap_h must be >= 0, got {overlap_h}")
    show = sys.stderr.isatty() if progress is None else bool(progress)
    _check_site_free(engine, site.site_id)
    requests_before = client.request_count
    parameters = {
        "days": days,
        "start": None if start is None else str(start),
        "end": None if end is None else str(end),
        "channels": None if channels is None else sorted(int(c) for c in channels),
        "resolution_s": resolution_s,
        "window_days": window_days,
        "overlap_h": overlap_h,
        "full": full,
        "api": client.config.base_url,
        "max_concurrency": client.config.max_concurrency,
    }
    run_id = db.start_run(
        engine,
        source=source,
        site_id=site.site_id,
        period_start=period.start,
        period_end=period.end,
        parameters=parameters,
    )
    try:  # another sync that started at the same moment: both back off, neither fetches
        _check_site_free(engine, site.site_id, own_run_id=run_id)
    except SiteBusyError as exc:
        db.finish_run(engine, run_id, status="failed", error=str(exc)[:2000])
        raise
    sync = _Sync(
        engine, client, site, run_id=run_id, now=now_ts, fields=fields, on_window=on_window
    )
    error: str | None = None
    try:
        try:
            meta = _sync_metadata(engine, client, site)
        except EniscopeError as exc:
            error = f"metadata: {summarise_error(exc)}"
        else:
            wanted, skipped = select_channels(meta, site, channels)
            _plan_channels(
                sync,
                meta,
                wanted,
                skipped,
                period=period,
                resolution_s=resolution_s,
                window_days=window_days,
                overlap=pd.Timedelta(hours=overlap_h),
                full=full,
            )
            error = sync.run_windows(show)
    except BaseException as exc:
        reason = "interrupted" if isinstance(exc, KeyboardInterrupt) else summarise_error(exc)
        sync.stop_all(reason)
        with contextlib.suppress(Exception):
            sync.flush()
        _finish(sync, "failed", error=reason)
        raise
    sync.flush()
    result_channels = sync.channel_frame()
    attempted = result_channels[result_channels["status"] != "skipped"]
    failed = attempted[attempted["status"] == "failed"]
    written = int(attempted["written"].sum())
    status: Literal["ok", "partial", "failed"]
    if error is not None or (len(failed) and (len(failed) == len(attempted) or not written)):
        status = "failed"
    elif len(failed):
        status = "partial"
    else:
        status = "ok"
    messages = ([error] if error else []) + [
        f"channel {channel_id}: {message}"
        for channel_id, message in zip(failed["channel_id"], failed["error"], strict=True)
        if message
    ]
    summary = "; ".join(messages)[:2000] or None
    _finish(sync, status, error=summary)
    rejected = concat_rejected(sync.rejected)
    rejected_new = sum(s.rejected_new for s in sync.states.values())
    notes = (_rejected_warning(len(rejected), rejected_new),) if len(rejected) else ()
    return IngestResult(
        run_id=run_id,
        site_id=site.site_id,
        source=source,
        status=status,
        period=period,
        channels=result_channels,
        windows=pd.DataFrame(sync.log, columns=list(db.WINDOW_COLUMNS)),
        rejected=rejected,
        error=summary,
        elapsed_s=time.perf_counter() - started,
        requests=client.request_count - requests_before,
        rejected_new=rejected_new,
        notes=notes,
    )


def _rejected_warning(rejected: int, new: int) -> str:
    """The summary's ``warning:`` line for ``rejected`` values, ``new`` of them new to the ledger."""
    return (
        f"warning: {plural(rejected, 'value')} rejected (see rejected_readings: each with its "
        f"raw value and reason; {new:,} new, {rejected - new:,} already recorded by an earlier "
        "run); everything valid was written"
    )


def _finish(sync: _Sync, status: str, *, error: str | None) -> None:
    """Log the end of the run with its counts (:mod:`argo_lib.ingest.runs`)."""
    states = [s for s in sync.states.values() if s.status != "skipped"]
    db.finish_run(
        sync.engine,
        sync.run_id,
        status=status,
        channels_requested=len(states),
        channels_failed=sum(s.status == "failed" for s in states),
        rows_received=sum(s.received for s in states),
        rows_written=sum(s.written for s in states),
        rows_rejected=sum(s.rejected for s in states),
        error=error,
    )
