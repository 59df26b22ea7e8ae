"""Weekly briefs of many sites in one command, in parallel on Dask distributed.

``argo brief --all-sites --week last`` (or ``--sites a,b,c``) briefs each site as one Dask task:
on a :class:`distributed.LocalCluster` of this machine by default (one single-threaded worker
process per core), or on an existing cluster (``--scheduler tcp://host:8786`` or
``DASK_SCHEDULER_ADDRESS``). Each task resolves its site and week, reads the database named by the
URL it is given (passed to the worker with the task, never printed) and publishes the site's
folder as a single-site run would, either through the notebook (:func:`run_weekly_brief`) or
kernel-less (:func:`compute_and_publish_brief`, ``--no-notebook``).

One site's failure never stops the others: a task returns a :class:`SiteOutcome` that says
``failed`` and why (a worker that dies is reported the same way), and the command exits 1 when
any site failed. Re-running a week is safe: each folder is replaced whole, atomically.

``--send`` e-mails each published brief from the command's own process once every site is
done (:func:`send_briefs`): the workers write each site's ``weekly_brief.eml`` and never see
the SMTP settings or credentials. A site whose e-mail cannot be sent is reported and fails the
command; the other sites' e-mails still go.

The workers must see the same files as the command: the site files (``params/sites``) and the
output folder are passed as paths, so a remote cluster needs them on a shared file system.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from argo_lib import dates, db
from argo_lib.config import ConfigError, Settings, get_settings, load_site
from argo_lib.errors import UsageError

__all__ = [
    "PortfolioOptions",
    "SiteOutcome",
    "brief_site",
    "default_workers",
    "format_outcomes",
    "local_cluster",
    "run_sequentially",
    "run_sites",
    "scheduler_address",
    "send_briefs",
    "sites_with_data",
]

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class PortfolioOptions:
    """What every site's brief of one many-site run shares.

    Attributes
    ----------
    week : str
        ``"last"``, an ISO week (``"2026-W47"``) or a date in the week; each site resolves it in
        its own time zone against ``as_of``.
    database_url : str
        The database the workers read (with its password: never printed, never in a repr).
    notebook : bool
        True: the notebook path (notebook, HTML, e-mail); False: the kernel-less path.
    baseline_weeks : int
        Weeks of baseline [weeks].
    threshold_overrides : dict
        Threshold overrides for every site, by dotted name.
    params_dir : str or None
        Folder holding ``sites/*.yaml``; None: each worker's settings.
    outputs_dir : str or None
        Folder the sites' ``<site>/<ISO week>/`` folders go in; None: each worker's settings.
    as_of : pandas.Timestamp or None
        "Now" for ``"last"`` and the has-ended check, the same for every site (None: each
        task's own clock).
    """

    week: str
    database_url: str = dataclasses.field(repr=False)
    notebook: bool = True
    baseline_weeks: int = 4
    threshold_overrides: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    params_dir: str | None = None
    outputs_dir: str | None = None
    as_of: pd.Timestamp | None = None


@dataclasses.dataclass(frozen=True)
class SiteOutcome:
    """How one site's brief went.

    Attributes
    ----------
    site : str
        The site as asked for (site id or site file name).
    ok : bool
        Whether the brief was published.
    site_id, site_name, week : str
        The resolved site and ISO week ("" when the site could not be resolved).
    status : str
        The brief's status (``action_required``, ...), or "" for a failed site.
    findings : int or None
        Quick wins in the brief (its ranked findings) [count].
    savings : float or None
        Potential savings of the week [currency].
    currency : str
        The savings' currency.
    seconds : float
        Wall time of the site's run on its worker [s].
    folder : str or None
        The published folder.
    error : str
        Why the site failed ("" when ok): the error's class and message, password masked.
    path : str
        ``"notebook"`` or ``"no-notebook"``.
    worker : str
        The worker that ran it ("" when unknown).
    """

    site: str
    ok: bool
    site_id: str = ""
    site_name: str = ""
    week: str = ""
    status: str = ""
    findings: int | None = None
    savings: float | None = None
    currency: str = ""
    seconds: float = 0.0
    folder: str | None = None
    error: str = ""
    path: str = ""
    worker: str = ""


def scheduler_address(option: str | None = None) -> str | None:
    """The scheduler to use: ``option`` (``--scheduler``), else Dask's ``scheduler-address``.

    Dask's configuration reads ``DASK_SCHEDULER_ADDRESS`` from the environment; None means a
    :func:`local_cluster`.

    Examples
    --------
    >>> import dask
    >>> with dask.config.set({"scheduler-address": "tcp://10.0.0.5:8786"}):
    ...     scheduler_address(None), scheduler_address("tcp://127.0.0.1:8786")
    ('tcp://10.0.0.5:8786', 'tcp://127.0.0.1:8786')
    >>> with dask.config.set({"scheduler-address": None}):
    ...     scheduler_address(None) is None
    True
    """
    if option:
        return option
    import dask

    configured = dask.config.get("scheduler-address", default=None)
    return str(configured) if configured else None


def default_workers() -> int:
    """Worker processes of a local cluster: one per core."""
    return os.cpu_count() or 1


def _settings(options: PortfolioOptions) -> Settings:
    settings = get_settings()
    changes: dict[str, Any] = {}
    if options.params_dir:
        changes["params_dir"] = Path(options.params_dir)
    if options.outputs_dir:
        changes["outputs_dir"] = Path(options.outputs_dir)
    return dataclasses.replace(settings, **changes) if changes else settings


def _mask(text: str, database_url: str) -> str:
    """``text`` with the database password (if any) replaced by ``***``."""
    import sqlalchemy as sa

    try:
        password = sa.make_url(database_url).password
    except Exception:  # an unparsable URL: nothing to mask that a parse could find
        return text
    return text.replace(str(password), "***") if password else text


def brief_site(site: str, options: PortfolioOptions) -> SiteOutcome:
    """Brief one site, publishing its folder; never raises (a failure is a failed outcome).

    This is the Dask task of :func:`run_sites`; it runs the same in-process
    (:func:`run_sequentially`).

    Parameters
    ----------
    site : str
        Site id or site file name.
    options : PortfolioOptions

    Returns
    -------
    SiteOutcome
    """
    from argo_lib.jobs import weekly_brief
    from argo_lib.report import notebook

    began = time.perf_counter()
    path = "notebook" if options.notebook else "no-notebook"
    worker = _worker_name()
    site_id = site_name = week = ""
    try:
        settings = _settings(options)
        engine = db.get_engine(options.database_url, settings=settings, must_exist=True)
        request = weekly_brief.BriefRequest.resolve(
            site_id=site,
            week=options.week,
            baseline_weeks=options.baseline_weeks,
            threshold_overrides=dict(options.threshold_overrides),
            as_of=options.as_of,
            engine=engine,
            params_dir=settings.params_dir,
        )
        site_id, site_name, week = (
            str(request.site.site_id),
            request.site.name,
            request.period.label,
        )
        if options.notebook:
            kernel_env = {
                "ARGO_PARAMS_DIR": str(settings.params_dir),
                "ARGO_OUTPUTS_DIR": str(settings.outputs_dir),
            }
            with notebook.kernel_environment(kernel_env):
                out = weekly_brief.run_weekly_brief(
                    request, database_url=options.database_url, settings=settings
                )
        else:
            out = weekly_brief.compute_and_publish_brief(request, engine=engine, settings=settings)
    except Exception as exc:  # one site's failure is its outcome, never the run's
        message = str(exc).splitlines()[0] if str(exc) else ""
        logger.info("site %s failed: %s: %s", site, type(exc).__name__, message)
        return SiteOutcome(
            site=str(site),
            ok=False,
            seconds=time.perf_counter() - began,
            error=_mask(f"{type(exc).__name__}: {message}", options.database_url),
            path=path,
            worker=worker,
            site_id=site_id,
            site_name=site_name,
            week=week,
        )
    summary = out.brief["summary"]
    savings = summary["totalPotentialSavings"]
    return SiteOutcome(
        site=str(site),
        ok=True,
        status=str(summary["status"]),
        findings=len(out.brief["sections"]["quickWins"]),
        savings=float(savings["weeklyCost"]),
        currency=str(summary.get("currency", "")),
        seconds=time.perf_counter() - began,
        folder=str(out.folder),
        path=path,
        worker=worker,
        site_id=site_id,
        site_name=site_name,
        week=week,
    )


def _worker_name() -> str:
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return ""


def sites_with_data(
    week: str,
    *,
    engine: Any,
    params_dir: str | Path | None = None,
    as_of: Any = None,
) -> tuple[list[str], list[SiteOutcome]]:
    """Every site file under ``params/sites`` whose site has readings in the report week.

    A site file that cannot be read is not skipped quietly: it comes back as a failed
    outcome, so the run reports it (and exits 1).

    Parameters
    ----------
    week : str
        ``"last"``, an ISO week or a date in the week (resolved in each site's time zone).
    engine : sqlalchemy.engine.Engine
    params_dir : str or pathlib.Path, optional
        Folder holding ``sites/*.yaml``; default the settings'.
    as_of : datetime-like, optional
        "Now" for ``"last"`` (default the current time).

    Returns
    -------
    tuple
        The site ids with data in their week (in file-name order), and the failed outcomes of
        the site files that could not be read.
    """
    folder = Path(params_dir) if params_dir is not None else get_settings().params_dir
    now = pd.Timestamp.now(tz="UTC") if as_of is None else dates.ensure_aware(as_of, name="as_of")
    channels = db.read_channels(engine)
    times = db.last_reading_times(engine).merge(
        channels[["channel_id", "site_id"]].astype({"site_id": str}), on="channel_id"
    )
    grouped = times.groupby("site_id")
    firsts = grouped["first_timestamp"].min().to_dict()
    lasts = grouped["last_timestamp"].max().to_dict()
    chosen: list[str] = []
    broken: list[SiteOutcome] = []
    for path in sorted((folder / "sites").glob("*.yaml")):
        try:
            site = load_site(path.stem, params_dir=folder)
            period = dates.report_week(week, tz=site.timezone, as_of=now)
        except (ConfigError, UsageError, ValueError) as exc:
            broken.append(
                SiteOutcome(site=path.stem, ok=False, error=f"{type(exc).__name__}: {exc}")
            )
            continue
        sid = str(site.site_id)
        if sid in firsts and firsts[sid] < period.end and lasts[sid] >= period.start:
            chosen.append(sid)
    return chosen, broken


def run_sequentially(
    sites: Iterable[str],
    options: PortfolioOptions,
    *,
    on_done: Callable[[SiteOutcome], None] | None = None,
) -> list[SiteOutcome]:
    """Brief the sites one after the other in this process (no Dask), in order."""
    out = []
    for site in sites:
        out.append(brief_site(site, options))
        if on_done is not None:
            on_done(out[-1])
    return out


def local_cluster(workers: int | None = None) -> Any:
    """A :class:`distributed.LocalCluster` of ``workers`` single-threaded worker processes.

    Parameters
    ----------
    workers : int, optional
        Worker processes; default one per core (``os.cpu_count()``).

    Returns
    -------
    distributed.LocalCluster
        On the loopback interface; close it (it is a context manager).
    """
    from distributed import LocalCluster

    n = default_workers() if workers is None else workers
    if n < 1:
        raise UsageError(f"workers must be at least 1, got {n}")
    # single-threaded processes: pandas, matplotlib and the kernels' CPU work do not share a GIL,
    # and one brief per worker at a time keeps its memory bounded
    # the scheduler's HTTP server (health, metrics) on a free loopback port: never a clash
    # with another cluster's 8787
    return LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    )


def run_sites(
    sites: Sequence[str],
    options: PortfolioOptions,
    *,
    client: Any = None,
    scheduler: str | None = None,
    workers: int | None = None,
    on_done: Callable[[SiteOutcome], None] | None = None,
) -> list[SiteOutcome]:
    """Brief many sites in parallel on Dask distributed; one outcome per site, in input order.

    Parameters
    ----------
    sites : sequence of str
        Site ids or site file names.
    options : PortfolioOptions
    client : distributed.Client, optional
        An open client to submit to (it stays open).
    scheduler : str, optional
        Address of an existing scheduler (``tcp://host:8786``) when no ``client`` is given;
        None: a :func:`local_cluster` that is closed at the end.
    workers : int, optional
        Worker processes of the local cluster (default one per core).
    on_done : callable, optional
        Called with each outcome as it arrives (a progress bar).

    Returns
    -------
    list of SiteOutcome
        A task that could not run (its worker died, the cluster went away) is a failed
        outcome too.
    """
    from distributed import Client

    if not sites:
        return []
    if client is not None:
        return _submit_all(client, sites, options, on_done)
    if scheduler:
        with Client(scheduler) as remote:
            return _submit_all(remote, sites, options, on_done)
    with local_cluster(workers) as cluster, Client(cluster) as local:
        return _submit_all(local, sites, options, on_done)


def _submit_all(
    client: Any,
    sites: Sequence[str],
    options: PortfolioOptions,
    on_done: Callable[[SiteOutcome], None] | None,
) -> list[SiteOutcome]:
    import uuid

    from distributed import as_completed

    # a key of this run only: a client that briefed the same sites before must not hand back
    # that run's results
    run = uuid.uuid4().hex[:12]
    futures = {
        client.submit(brief_site, site, options, pure=False, key=f"brief-{site}-{run}-{i}"): i
        for i, site in enumerate(sites)
    }
    results: dict[int, SiteOutcome] = {}
    for future in as_completed(list(futures)):
        i = futures[future]
        try:
            outcome = future.result()
        except Exception as exc:  # the task never returned: a dead worker, a lost cluster
            outcome = SiteOutcome(
                site=str(sites[i]),
                ok=False,
                error=_mask(f"{type(exc).__name__}: {exc}", options.database_url),
                path="notebook" if options.notebook else "no-notebook",
            )
        results[i] = outcome
        if on_done is not None:
            on_done(outcome)
    return [results[i] for i in range(len(sites))]


@dataclasses.dataclass(frozen=True)
class Sent:
    """How one site's e-mail went: to whom, or why not (``error``, "" when sent)."""

    site_id: str
    recipients: tuple[str, ...] = ()
    error: str = ""


def send_briefs(
    outcomes: Sequence[SiteOutcome],
    *,
    settings: Settings,
    to: Sequence[str] = (),
    params_dir: str | Path | None = None,
) -> list[Sent]:
    """Send the e-mail of every published brief, from this process (not from the workers).

    Each site's ``weekly_brief.eml`` is read back, addressed to its recipients (``to`` if
    given, else ``MAIL_TO``, else the site file's ``recipients``, as for one site) from
    ``MAIL_FROM``, and sent through the SMTP server of ``settings``. A failure is that site's
    (its error, password never shown); the others are still sent. Failed briefs are skipped.
    """
    from email import policy
    from email.parser import BytesParser

    from argo_lib.jobs.weekly_brief import recipients_for
    from argo_lib.report import email as mail

    results: list[Sent] = []
    for outcome in outcomes:
        if not outcome.ok or not outcome.folder:
            continue
        try:
            site = load_site(outcome.site_id, params_dir=params_dir)
            recipients = recipients_for(site, to=tuple(to), settings=settings)
            path = Path(outcome.folder) / "weekly_brief.eml"
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            for header in ("To", "From"):
                del message[header]
            message["From"] = settings.mail_from or "Argo Energy Solutions <brief@localhost>"
            message["To"] = ", ".join(recipients)
            mail.send_email(message, settings)
        except Exception as exc:  # one site's e-mail never stops the others
            error = mail.mask_password(f"{type(exc).__name__}: {exc}", settings)
            results.append(Sent(outcome.site_id, error=error))
        else:
            results.append(Sent(outcome.site_id, recipients=tuple(recipients)))
    return results


def format_outcomes(outcomes: Sequence[SiteOutcome]) -> str:
    """A plain-text table: site, status, findings, savings, time, folder or error.

    Examples
    --------
    >>> ok = SiteOutcome("a", True, site_id="101", status="operating_normally", findings=2,
    ...                  savings=12.5, currency="USD", seconds=3.25, folder="outputs/101/2026-W47")
    >>> print(format_outcomes([ok, SiteOutcome("b", False, error="ConfigError: bad")]))
    site  status              findings  savings    time  folder or error
    101   operating normally         2  12.50 USD  3.2s  outputs/101/2026-W47
    b     failed                     -  -          0.0s  ConfigError: bad
    """
    header = ("site", "status", "findings", "savings", "time", "folder or error")
    rows = [header]
    for o in outcomes:
        rows.append(
            (
                o.site_id or o.site,
                o.status.replace("_", " ") if o.ok else "failed",
                "-" if o.findings is None else str(o.findings),
                f"{o.savings:,.2f} {o.currency}".strip() if o.savings is not None else "-",
                f"{o.seconds:.1f}s",
                (o.folder or "") if o.ok else o.error,
            )
        )
    widths = [max(len(row[k]) for row in rows) for k in range(len(header) - 1)]
    lines = []
    for row in rows:
        cells = [
            row[k].rjust(widths[k]) if k == 2 else row[k].ljust(widths[k])
            for k in range(len(widths))
        ]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
