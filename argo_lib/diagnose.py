"""Diagnostics of data access: ``argo diagnose`` (environment, Eniscope API, database).

:func:`run_diagnostics` runs a fixed sequence of checks and returns one :class:`Check` per line
of the report, each ``ok``, ``warning`` or ``failure`` with a one-line detail that says what was
found and, when something is wrong, how to fix it:

1. **Environment** (names only, never values): the Eniscope credentials (``ENISCOPE_API_KEY``,
   ``ENISCOPE_EMAIL``, ``ENISCOPE_PASSWORD``, ``ENISCOPE_API_URL``), the database
   (``DATABASE_URL`` or the embedded SQLite file) and the mail settings of the weekly brief
   (``SMTP_HOST``, ``MAIL_FROM``, ``MAIL_TO``...).
2. **Eniscope API** (unless skipped): DNS, TCP and HTTP reachability of ``ENISCOPE_API_URL``
   (no credentials are sent for these), authentication, the organizations and the site's
   channels the account sees, and a short sample of readings per channel (the last 24 h,
   hourly). The client is the real one (:func:`argo_lib.ingest.make_client`), with a retry
   policy short enough for a diagnosis (:data:`DIAGNOSE_RETRY`); a request that only succeeded
   after retries (429, 5xx, time-outs) is a warning.
3. **Database**: connection, schema version, row counts, the latest stored reading per channel
   of the site, and the site's last ingestion runs. Nothing is written (a missing SQLite file
   is reported, never created).

Every check catches its own errors; nothing a check finds stops the others, except that a
check a later one depends on (DNS before TCP, the connection before the schema...) ends its
group when it fails. Every detail is scrubbed of the secrets of the settings (API key, e-mail,
password, SMTP password, database password) before it is returned, as a last safeguard: no
message the checks build contains one.

:func:`exit_status` maps the checks to the command's exit status: 0 when all are ok, 1 when any
is a warning, 2 when any is a failure.

Examples
--------
>>> checks = [Check("environment", "ok", "all set"), Check("db.runs", "warning", "stale")]
>>> exit_status(checks), worst_status(checks)
(1, 'warning')
>>> print(format_table(checks))
check        status   detail
-----------  -------  ------
environment  ok       all set
db.runs      warning  stale
"""

from __future__ import annotations

import json
import logging
import re
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import pandas as pd
import requests
import sqlalchemy as sa

from argo_lib import db
from argo_lib.config import ConfigError, Settings, SiteSettings, list_sites, load_site
from argo_lib.eniscope import (
    DEFAULT_BASE_URL,
    FATAL_ERRORS,
    AccessDeniedError,
    AuthenticationError,
    ChannelSkippedError,
    EniscopeClient,
    RateLimited,
    RetryPolicy,
    SubscriptionExpiredError,
    TransportError,
    basic_authorization,
    md5_hex,
)
from argo_lib.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE

__all__ = [
    "DIAGNOSE_RETRY",
    "STALE_AFTER",
    "STATUSES",
    "Check",
    "ClientFactory",
    "Status",
    "default_client_factory",
    "exit_status",
    "format_json",
    "format_table",
    "run_diagnostics",
    "worst_status",
]

logger = logging.getLogger(__name__)

Status = Literal["ok", "warning", "failure"]
"""Outcome of one check."""

STATUSES: tuple[Status, ...] = ("ok", "warning", "failure")
"""The statuses, from best to worst."""

_EXIT = {"ok": EXIT_OK, "warning": EXIT_FAILED, "failure": EXIT_USAGE}

DIAGNOSE_RETRY = RetryPolicy(
    rate_limit_retries=3, rate_limit_budget_s=120.0, server_attempts=2, invalid_parameter_attempts=1
)
"""Retry policy of the diagnosis: a storm of 429s or 5xx is reported after a few tries (about two
minutes at most), instead of being waited out as a sync would."""

STALE_AFTER = pd.Timedelta(hours=48)
"""Latest stored reading or successful run older than this: a warning (Eniscope data come late)."""

ClientFactory = Callable[[Settings], EniscopeClient]
"""Builds the Eniscope client of the API checks from settings (credentials and base URL)."""

_CLIENT_LOGGER = "argo_lib.eniscope.client"


@dataclass(frozen=True)
class Check:
    """One line of the diagnosis.

    Attributes
    ----------
    check : str
        What was checked, e.g. ``"api.auth"`` or ``"db.latest[162285]"``.
    status : {"ok", "warning", "failure"}
        ``warning``: works, but something needs attention; ``failure``: broken, with how to fix
        it in ``detail``.
    detail : str
        One line: what was found, and how to fix it when it is not ok. Never a secret.
    """

    check: str
    status: Status
    detail: str

    def as_dict(self) -> dict[str, str]:
        """``{"check": ..., "status": ..., "detail": ...}`` for ``--json``."""
        return {"check": self.check, "status": self.status, "detail": self.detail}


def worst_status(checks: Iterable[Check]) -> Status:
    """The worst status of ``checks`` (``"ok"`` for none)."""
    worst = 0
    for item in checks:
        worst = max(worst, STATUSES.index(item.status))
    return STATUSES[worst]


def exit_status(checks: Iterable[Check]) -> int:
    """Exit status of ``argo diagnose``: 0 all ok, 1 any warning, 2 any failure."""
    return _EXIT[worst_status(checks)]


def format_table(checks: Sequence[Check]) -> str:
    """The checks as a plain-text table with the columns check, status and detail."""
    rows = [("check", "status", "detail"), *((c.check, c.status, c.detail) for c in checks)]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    lines = []
    for i, (name, status, detail) in enumerate(rows):
        lines.append(f"{name:<{widths[0]}}  {status:<{widths[1]}}  {detail}".rstrip())
        if i == 0:
            lines.append(f"{'-' * widths[0]}  {'-' * widths[1]}  {'-' * len(detail)}")
    return "\n".join(lines)


def format_json(checks: Sequence[Check]) -> str:
    """The checks as a JSON list of ``{"check", "status", "detail"}`` objects."""
    return json.dumps([c.as_dict() for c in checks], indent=2)


def default_client_factory(
    *, fast: bool = False, skip_channels: Iterable[int] | None = None, **options: Any
) -> ClientFactory:
    """A factory of the real Eniscope client, as ``argo ingest`` builds it.

    Parameters
    ----------
    fast : bool
        The ``fast`` sync profile (no pacing: the local fake server); default ``polite`` (one
        request a second, as the production API asks).
    skip_channels : iterable of int, optional
        Channels never requested; default the client's list.
    **options
        Other :class:`argo_lib.eniscope.EniscopeConfig` fields, or ``sleep``, ``clock``,
        ``wall_clock``, ``transport``... of :class:`argo_lib.eniscope.EniscopeClient` (tests
        inject a manual clock). ``retry`` defaults to :data:`DIAGNOSE_RETRY`.

    Returns
    -------
    ClientFactory
    """
    from argo_lib.ingest.sync import make_client

    merged = {"retry": DIAGNOSE_RETRY, **options}

    def factory(settings: Settings) -> EniscopeClient:
        return make_client(
            settings,
            profile="fast" if fast else "polite",
            skip_channels=skip_channels,
            **merged,
        )

    return factory


# --------------------------------------------------------------------------------------------
# The diagnosis
# --------------------------------------------------------------------------------------------


def run_diagnostics(
    settings: Settings,
    *,
    site: str | SiteSettings | None = None,
    engine_url: str | None = None,
    client_factory: ClientFactory | None = None,
    api_settings: Settings | None = None,
    skip_api: bool = False,
    skip_db: bool = False,
    now: pd.Timestamp | None = None,
    sample_hours: int = 24,
    stale_after: pd.Timedelta = STALE_AFTER,
    runs: int = 5,
) -> list[Check]:
    """Run every check, in order, and return one :class:`Check` per line of the report.

    Parameters
    ----------
    settings : argo_lib.config.Settings
        The environment's settings (:func:`argo_lib.config.get_settings`): the environment
        checks report on them, and the API and database checks use them by default.
    site : str or SiteSettings, optional
        Site id (``"23271"``) or file stem; default the only site under ``params/sites``
        (with several, the site-specific checks are skipped with a warning).
    engine_url : str, optional
        Database URL (``--database-url``); default ``DATABASE_URL`` or the embedded SQLite file.
    client_factory : ClientFactory, optional
        Builds the Eniscope client; default :func:`default_client_factory` (polite pacing).
    api_settings : argo_lib.config.Settings, optional
        Settings of the API checks when they differ from ``settings``: ``--fake`` passes those
        of the local fake server. The Eniscope credentials of the environment are then not
        required (missing ones are a warning).
    skip_api, skip_db : bool
        Leave out the API checks (``--skip-api``; credentials are then not required) or the
        database checks.
    now : pandas.Timestamp, optional
        "Now" (tz-aware) for the readings window and the age of stored data; default the time.
    sample_hours : int
        Length of the readings sample per channel, ending at the last full hour [h].
    stale_after : pandas.Timedelta
        A channel's latest stored reading, or the latest successful run, older than this is a
        warning.
    runs : int
        How many of the site's latest ingestion runs are summarised.

    Returns
    -------
    list of Check
        Environment checks, then API checks, then database checks.
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    checks: list[Check] = []
    credentials_required = not skip_api and api_settings is None
    checks += _guard("environment", lambda: _environment_checks(settings, credentials_required))
    site_settings, site_check = _resolve_site(site)
    if site_check is not None:
        checks.append(site_check)
    if not skip_api:
        factory = client_factory or default_client_factory(
            skip_channels=site_settings.skip_channels if site_settings else None
        )
        checks += _guard(
            "api",
            lambda: _api_checks(
                api_settings or settings, factory, site_settings, now, sample_hours
            ),
        )
    if not skip_db:
        checks += _guard(
            "db",
            lambda: _db_checks(settings, engine_url, site_settings, now, stale_after, runs),
        )
    secrets = _secrets(settings, api_settings, engine_url)
    return [Check(c.check, c.status, _redact(c.detail, secrets)) for c in checks]


def _guard(name: str, run: Callable[[], list[Check]]) -> list[Check]:
    """The checks of a group; an unexpected error becomes a failure line instead of a crash."""
    try:
        return run()
    except Exception as exc:  # a diagnosis reports, it does not crash
        logger.debug("check %s failed unexpectedly", name, exc_info=True)
        return [
            Check(
                name,
                "failure",
                f"unexpected error: {type(exc).__name__}: {_first_line(exc)} (run with --debug "
                "for the traceback and report it)",
            )
        ]


def _first_line(error: BaseException | str) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def _secrets(
    settings: Settings, api_settings: Settings | None, engine_url: str | None
) -> list[str]:
    """Every secret value the checks could meet, for :func:`_redact`."""
    found: list[str] = []
    for source in (settings, api_settings):
        if source is None:
            continue
        for name in ("eniscope_api_key", "eniscope_email", "eniscope_password", "smtp_password"):
            value = getattr(source, name, None)
            if value:
                found.append(str(value))
        if source.eniscope_password:
            found.append(md5_hex(source.eniscope_password))
            if source.eniscope_email:
                basic = basic_authorization(source.eniscope_email, source.eniscope_password)
                found += [basic, basic.partition(" ")[2]]
    for url in (engine_url, settings.database_url):
        if not url:
            continue
        try:
            password = sa.make_url(url).password
        except (sa.exc.ArgumentError, ValueError):
            match = re.search(r"://[^:/@\s]*:([^@\s]*)@", url)
            password = match[1] if match else None
        if password:
            found.append(str(password))
    return sorted({s.strip() for s in found if s and s.strip()}, key=len, reverse=True)


def _redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret replaced by ``***`` (short ones only as whole words)."""
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "***")
        else:
            text = re.sub(rf"(?<!\w){re.escape(secret)}(?!\w)", "***", text)
    return text


def _resolve_site(site: str | SiteSettings | None) -> tuple[SiteSettings | None, Check | None]:
    """The site of the site-specific checks, and a check line when there is none."""
    if isinstance(site, SiteSettings):
        return site, None
    try:
        if site is not None:
            return load_site(site), None
        sites = list_sites()
    except ConfigError as exc:
        return None, Check("site", "failure", _first_line(exc))
    if len(sites) == 1:
        return sites[0], None
    known = ", ".join(s.site_id for s in sites) or "none"
    return None, Check(
        "site",
        "warning",
        f"no --site given and {len(sites)} sites are defined ({known}); pass --site to check a "
        "site's channels, readings and ingestion runs",
    )


# --------------------------------------------------------------------------------------------
# Environment
# --------------------------------------------------------------------------------------------


def _names(names: Sequence[str]) -> str:
    return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]


def _environment_checks(settings: Settings, credentials_required: bool) -> list[Check]:
    """Which variables are set, by name only: Eniscope, database, mail."""
    return [
        _env_eniscope(settings, credentials_required),
        _env_database(settings),
        _env_mail(settings),
    ]


def _env_eniscope(settings: Settings, required: bool) -> Check:
    pairs = (
        ("ENISCOPE_API_KEY", settings.eniscope_api_key),
        ("ENISCOPE_EMAIL", settings.eniscope_email),
        ("ENISCOPE_PASSWORD", settings.eniscope_password),
    )
    present = [name for name, value in pairs if value]
    missing = [name for name, value in pairs if not value]
    url = (
        "ENISCOPE_API_URL set"
        if settings.eniscope_api_url != DEFAULT_BASE_URL
        else f"ENISCOPE_API_URL not set or the default ({DEFAULT_BASE_URL})"
    )
    if not missing:
        return Check("env.eniscope", "ok", f"{_names(present)} set; {url}")
    detail = f"{_names(missing)} not set"
    if present:
        detail += f" ({_names(present)} set)"
    if required:
        return Check(
            "env.eniscope",
            "failure",
            f"{detail}: set them in the environment or .env (see .env.example), or check "
            "offline with --fake / --skip-api",
        )
    return Check(
        "env.eniscope",
        "warning",
        f"{detail}: not needed for this diagnosis, but `argo ingest` needs them (see .env.example)",
    )


def _env_database(settings: Settings) -> Check:
    if settings.database_url:
        return Check("env.database", "ok", "DATABASE_URL set")
    return Check(
        "env.database",
        "ok",
        f"DATABASE_URL not set: the embedded SQLite file {str(settings.sqlite_path)!r} "
        "(ARGO_SQLITE_PATH)",
    )


def _env_mail(settings: Settings) -> Check:
    pairs = (
        ("SMTP_HOST", settings.smtp_host),
        ("MAIL_FROM", settings.mail_from),
        ("MAIL_TO", settings.mail_to),
    )
    missing = [name for name, value in pairs if not value]
    present = [name for name, value in pairs if value]
    if settings.smtp_username:
        present.append("SMTP_USERNAME")
    if settings.smtp_password:
        present.append("SMTP_PASSWORD")
    if settings.smtp_username and not settings.smtp_password:
        return Check(
            "env.mail",
            "warning",
            "SMTP_USERNAME is set but SMTP_PASSWORD is not: the mail server will refuse the "
            "login; set both, or neither for a relay without login",
        )
    if missing:
        shown = f" ({_names(present)} set)" if present else ""
        return Check(
            "env.mail",
            "warning",
            f"{_names(missing)} not set{shown}: the weekly brief cannot be e-mailed (a site "
            "file's `recipients` can replace MAIL_TO); set them in the environment or .env",
        )
    return Check("env.mail", "ok", f"{_names(present)} set")


# --------------------------------------------------------------------------------------------
# Eniscope API
# --------------------------------------------------------------------------------------------


class _RetryCounter(logging.Handler):
    """Counts the client's "retrying" warnings (429, 5xx, time-outs) while it is attached."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        if "retrying" in str(record.msg):
            self.count += 1

    def take(self) -> int:
        """The count since the last call."""
        count, self.count = self.count, 0
        return count


@contextmanager
def _counting_retries() -> Iterator[_RetryCounter]:
    counter = _RetryCounter()
    target = logging.getLogger(_CLIENT_LOGGER)
    target.addHandler(counter)
    try:
        yield counter
    finally:
        target.removeHandler(counter)


def _retried(check: Check, retries: int) -> Check:
    """``check`` as a warning when it only succeeded after retries."""
    if not retries or check.status != "ok":
        return check
    return Check(
        check.check,
        "warning",
        f"{check.detail}; but only after {retries} retr{'y' if retries == 1 else 'ies'} (rate "
        "limit, server errors or time-outs): the API is slow or busy, syncs may fail partly",
    )


def _api_failure(name: str, exc: Exception) -> Check:
    """A failed API call as a failure line with the fix for its kind."""
    message = re.sub(r"(GET /\S*?)\?\S+", r"\1", _first_line(exc))  # the path, not the query
    if isinstance(exc, AuthenticationError):
        hint = ""
    elif isinstance(exc, AccessDeniedError):
        hint = (
            "; HTTP 403: check ENISCOPE_EMAIL and ENISCOPE_PASSWORD, the account's access, and "
            "ENISCOPE_USER_AGENT (a firewall may refuse some User-Agents)"
        )
    elif isinstance(exc, SubscriptionExpiredError):
        hint = "; the account's Best.Energy subscription has expired: renew it"
    elif isinstance(exc, RateLimited):
        hint = "; the API is rate-limiting this account: wait a few minutes and run again"
    elif isinstance(exc, TransportError):
        hint = "; check the network, a proxy, and ENISCOPE_API_URL"
    else:
        hint = ""
    return Check(name, "failure", message + hint)


def _api_checks(
    settings: Settings,
    factory: ClientFactory,
    site: SiteSettings | None,
    now: pd.Timestamp,
    sample_hours: int,
) -> list[Check]:
    checks, reachable = _reachability_checks(settings)
    if not reachable:
        return checks
    try:
        client = factory(settings)
    except Exception as exc:  # missing credentials, a bad client setting
        return [*checks, Check("api.auth", "failure", _first_line(exc))]
    with client, _counting_retries() as retries:
        try:
            organizations = client.login()
        except Exception as exc:
            return [*checks, _api_failure("api.auth", exc)]
        checks.append(
            _retried(
                Check("api.auth", "ok", "credentials accepted (session token received)"),
                retries.take(),
            )
        )
        visible = organizations["organization_id"].astype("int64").tolist()
        if site is None:
            status: Status = "ok" if visible else "warning"
            checks.append(
                Check("api.organizations", status, f"{len(visible)} organization(s) visible")
            )
            return checks
        if int(site.site_id) not in visible:
            shown = ", ".join(map(str, visible[:10])) or "none"
            checks.append(
                Check(
                    "api.organizations",
                    "failure",
                    f"organization {site.site_id} ({site.name}) is not visible to this account "
                    f"(it sees {shown}); check site_id in "
                    f"{site.source_file or 'the site file'} and the account's access",
                )
            )
            return checks
        checks.append(
            Check(
                "api.organizations",
                "ok",
                f"{len(visible)} organization(s) visible, {site.site_id} ({site.name}) among them",
            )
        )
        channel_check, selected = _channels_check(client, site)
        checks.append(_retried(channel_check, retries.take()))
        if not selected:
            return checks
        end = now.floor("h")
        start = end - pd.Timedelta(hours=sample_hours)
        for channel_id, name in selected:
            check, fatal = _readings_check(client, channel_id, name, start, end)
            checks.append(_retried(check, retries.take()))
            if fatal:
                break
    return checks


def _reachability_checks(settings: Settings) -> tuple[list[Check], bool]:
    """DNS, TCP and HTTP of the base URL, without credentials; whether to go on."""
    url = settings.eniscope_api_url or DEFAULT_BASE_URL
    shown = re.sub(r"://[^/@\s]*@", "://***@", url)  # no user:password of a URL
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme not in ("http", "https") or not host:
        return [
            Check(
                "api.dns",
                "failure",
                f"ENISCOPE_API_URL {shown!r} is not an http(s) URL; write it like "
                f"{DEFAULT_BASE_URL}",
            )
        ], False
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return [Check("api.dns", "failure", f"ENISCOPE_API_URL {shown!r} has a bad port")], False
    proxied = bool(requests.utils.get_environ_proxies(url))
    soft: Status = "warning" if proxied else "failure"
    proxy_note = " (a proxy is configured: the checks below go through it)" if proxied else ""
    skipped = "" if proxied else " (the other API checks were skipped)"
    checks: list[Check] = []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or _first_line(exc)
        checks.append(
            Check(
                "api.dns",
                soft,
                f"cannot resolve {host}: {reason}; check ENISCOPE_API_URL ({shown}) and the "
                f"network's DNS{proxy_note}{skipped}",
            )
        )
        if not proxied:
            return checks, False
    else:
        addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
        checks.append(Check("api.dns", "ok", f"{host} resolves to {', '.join(addresses[:3])}"))
        try:
            started = time.monotonic()
            with socket.create_connection((host, port), timeout=10):
                elapsed = time.monotonic() - started
        except OSError as exc:
            reason = getattr(exc, "strerror", None) or _first_line(exc) or type(exc).__name__
            checks.append(
                Check(
                    "api.tcp",
                    soft,
                    f"cannot connect to {host}:{port}: {reason}; a firewall may block it, or "
                    f"the server is down{proxy_note}{skipped}",
                )
            )
            if not proxied:
                return checks, False
        else:
            checks.append(
                Check(
                    "api.tcp", "ok", f"{host}:{port} accepts connections ({elapsed * 1000:.0f} ms)"
                )
            )
    try:
        response = requests.get(
            url.rstrip("/") + "/",
            timeout=(10, 30),
            allow_redirects=False,
            auth=lambda request: request,  # no credentials, not even from ~/.netrc
            headers={"User-Agent": settings.eniscope_user_agent or "argo-diagnose"},
        )
    except requests.exceptions.SSLError as exc:
        checks.append(
            Check(
                "api.http",
                "failure",
                f"TLS handshake with {host} failed ({type(exc).__name__}); a proxy that "
                "intercepts TLS needs its CA in REQUESTS_CA_BUNDLE (the other API checks were "
                "skipped)",
            )
        )
        return checks, False
    except requests.RequestException as exc:
        checks.append(
            Check(
                "api.http",
                "failure",
                f"no HTTP answer from {shown} ({type(exc).__name__}); check the network, a "
                "proxy (HTTPS_PROXY) and ENISCOPE_API_URL (the other API checks were skipped)",
            )
        )
        return checks, False
    checks.append(
        Check(
            "api.http",
            "ok",
            f"HTTP {response.status_code} from {shown} in "
            f"{response.elapsed.total_seconds() * 1000:.0f} ms (no credentials sent)",
        )
    )
    return checks, True


def _channels_check(
    client: EniscopeClient, site: SiteSettings
) -> tuple[Check, list[tuple[int, str]]]:
    """The site's channels as the API lists them, and the channels to sample (id, name)."""
    from argo_lib.ingest.plan import classify_channels

    try:
        channels = client.get_channels(organization=site.site_id)
    except Exception as exc:
        return _api_failure("api.channels", exc), []
    if channels.empty:
        return Check(
            "api.channels",
            "failure",
            f"the API lists no channels for organization {site.site_id}; check the account's "
            "access to the site's devices",
        ), []
    energy = classify_channels(channels, skip_channels=site.skip_channels)
    listed = set(channels["channel_id"].astype("int64"))
    names = dict(
        zip(
            channels["channel_id"].astype("int64"),
            channels["channel_name"].astype("object"),
            strict=True,
        )
    )
    if site.channels:
        wanted = [c.channel_id for c in site.channels]
        configured = {c.channel_id: c.name for c in site.channels}
    else:
        wanted = channels.loc[energy, "channel_id"].astype("int64").tolist()
        configured = {}
    missing = [c for c in wanted if c not in listed]
    selected = [
        (c, configured.get(c) or str(names.get(c) or f"channel {c}")) for c in wanted if c in listed
    ]
    detail = (
        f"{len(channels)} channels listed for {site.site_id} ({int(energy.sum())} energy meters, "
        f"{int((~energy).sum())} not energy)"
    )
    if missing:
        return Check(
            "api.channels",
            "warning",
            f"{detail}; channels {missing} of {site.source_file or 'the site file'} are not "
            "listed: remove them from the file or check the devices",
        ), selected
    return Check("api.channels", "ok", detail), selected


def _readings_check(
    client: EniscopeClient,
    channel_id: int,
    name: str,
    start: pd.Timestamp,
    end: pd.Timestamp,
) -> tuple[Check, bool]:
    """A sample of one channel's readings; whether the remaining channels should be skipped."""
    label = f"api.readings[{channel_id}]"
    hours = (end - start) / pd.Timedelta(hours=1)
    try:
        result = client.get_readings(channel_id, start=start, end=end, resolution_s=3600)
    except ChannelSkippedError as exc:
        return Check(label, "warning", f"{name}: {_first_line(exc)}"), False
    except FATAL_ERRORS as exc:
        check = _api_failure(label, exc)
        return Check(
            label, "failure", f"{name}: {check.detail} (the other channels were skipped)"
        ), True
    except Exception as exc:
        return Check(label, "failure", f"{name}: {_api_failure(label, exc).detail}"), False
    readings = result.readings
    if readings.empty:
        return Check(
            label,
            "warning",
            f"{name}: no readings in the last {hours:g} h (hourly): the meter may be offline or "
            "its data late; check the device in Eniscope",
        ), False
    total = ""
    if "energy_kwh" in readings.columns:
        energy = pd.to_numeric(readings["energy_kwh"], errors="coerce")
        total = f", {energy.sum():.1f} kWh" if energy.notna().any() else ""
    last = pd.Timestamp(readings["timestamp"].max()).tz_convert("UTC")
    return Check(
        label,
        "ok",
        f"{name}: {len(readings)} hourly readings in the last {hours:g} h, latest "
        f"{last:%Y-%m-%d %H:%M} UTC{total}",
    ), False


# --------------------------------------------------------------------------------------------
# Database
# --------------------------------------------------------------------------------------------


def _ago(when: pd.Timestamp, now: pd.Timestamp) -> str:
    hours = (now - when) / pd.Timedelta(hours=1)
    return f"{hours:.0f} h ago" if hours < 72 else f"{hours / 24:.0f} days ago"


def _utc(value: Any) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    ts = pd.Timestamp(value)
    return ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")


def _db_checks(
    settings: Settings,
    engine_url: str | None,
    site: SiteSettings | None,
    now: pd.Timestamp,
    stale_after: pd.Timedelta,
    runs: int,
) -> list[Check]:
    try:
        # only reads: a missing SQLite file is reported, never created
        engine = db.get_engine(engine_url, settings=settings, must_exist=True)
        info = db.check_connection(engine)
    except db.DatabaseError as exc:
        return [Check("db.connection", "failure", _first_line(exc))]
    checks = [
        Check("db.connection", "ok", f"{info['server_version']}: {info['database']}"),
    ]
    version, expected = info["schema_version"], info["expected_schema_version"]
    if version is None:
        checks.append(
            Check(
                "db.schema",
                "failure",
                "the database has no workbook schema: run `argo db upgrade` (or `argo ingest`, "
                "which creates it), or point --database-url / DATABASE_URL at the right database",
            )
        )
        return checks
    if version != expected:
        fix = (
            "run `argo db upgrade`"
            if version < expected
            else "update the workbook (git pull, then make venv): the database is newer"
        )
        checks.append(
            Check("db.schema", "failure", f"schema version {version}, expected {expected}: {fix}")
        )
        return checks
    checks.append(Check("db.schema", "ok", f"schema version {version} (up to date)"))
    checks += _guard("db.rows", lambda: _rows_checks(engine, site, now, stale_after))
    if site is not None:
        checks += _guard("db.runs", lambda: [_runs_check(engine, site, now, stale_after, runs)])
    return checks


def _rows_checks(
    engine: sa.Engine, site: SiteSettings | None, now: pd.Timestamp, stale_after: pd.Timedelta
) -> list[Check]:
    """Row counts, then the latest stored reading of each energy channel of the site."""
    sites = db.read_sites(engine)
    site_id = site.site_id if site is not None else None
    channels = db.read_channels(engine, site_id=site_id)
    extents = db.last_reading_times(engine, site_id=site_id)
    where = f"site {site_id}" if site_id else "all sites"
    counts = (
        f"{len(sites)} site(s); {where}: {len(channels)} channels "
        f"({int(channels['is_energy'].sum())} energy meters), "
        f"{int(extents['readings'].sum()):,} readings"
    )
    if site_id is not None and site_id not in set(sites["site_id"].astype("str")):
        return [
            Check(
                "db.rows",
                "warning",
                f"{counts}; site {site_id} is not in the database yet: run "
                f"`argo ingest --site {site_id}`",
            )
        ]
    if extents.empty:
        return [
            Check(
                "db.rows",
                "warning",
                f"{counts}; no readings stored: run `argo ingest --site {site_id or '...'}`",
            )
        ]
    checks = [Check("db.rows", "ok", counts)]
    names = dict(zip(channels["channel_id"], channels["name"].astype("object"), strict=True))
    energy = channels.loc[channels["is_energy"], "channel_id"].astype("int64").tolist()
    wanted = [c.channel_id for c in site.channels] if site is not None and site.channels else energy
    stored = {
        int(c): (int(n), pd.Timestamp(t).tz_convert("UTC"))
        for c, n, t in zip(
            extents["channel_id"], extents["readings"], extents["last_timestamp"], strict=True
        )
    }
    for channel_id in wanted:
        label = f"db.latest[{channel_id}]"
        name = (site and {c.channel_id: c.name for c in site.channels}.get(channel_id)) or str(
            names.get(channel_id) or f"channel {channel_id}"
        )
        if channel_id not in stored:
            checks.append(
                Check(
                    label,
                    "warning",
                    f"{name}: no readings stored; run `argo ingest --site {site_id}` (a channel "
                    "the API does not list cannot be synced)",
                )
            )
            continue
        count, last = stored[channel_id]
        detail = f"{name}: {count:,} readings, latest {last:%Y-%m-%d %H:%M} UTC ({_ago(last, now)})"
        if now - last > stale_after:
            checks.append(
                Check(
                    label,
                    "warning",
                    f"{detail}: older than {stale_after / pd.Timedelta(hours=1):g} h; run "
                    f"`argo ingest --site {site_id}` and check the runs below",
                )
            )
        else:
            checks.append(Check(label, "ok", detail))
    return checks


def _runs_check(
    engine: sa.Engine, site: SiteSettings, now: pd.Timestamp, stale_after: pd.Timedelta, runs: int
) -> Check:
    """The site's latest ingestion runs: the newest decides the status."""
    frame = db.read_runs(engine, site_id=site.site_id, limit=runs)
    if frame.empty:
        return Check(
            "db.runs",
            "warning",
            f"no ingestion run recorded for site {site.site_id}: run "
            f"`argo ingest --site {site.site_id}`",
        )
    history = ", ".join(
        f"run {int(r)} {s}" for r, s in zip(frame["run_id"], frame["status"], strict=True)
    )
    latest = frame.iloc[0]
    started = _utc(latest["started_at"])
    when = f"started {started:%Y-%m-%d %H:%M} UTC ({_ago(started, now)})" if started else ""
    detail = (
        f"latest run {int(latest['run_id'])} ({latest['source']}) {latest['status']}, {when}; "
        f"the last {len(frame)}: {history}"
    )
    status = str(latest["status"])
    error = latest["error"] if isinstance(latest["error"], str) and latest["error"] else ""
    if status == "failed":
        return Check(
            "db.runs",
            "failure",
            f"{detail}; error: {_first_line(error) or 'unknown'}; fix it and run `argo ingest` "
            "again",
        )
    if status == "partial":
        return Check(
            "db.runs",
            "warning",
            f"{detail}; some channels failed ({_first_line(error) or 'see the run log'}); the "
            "next `argo ingest` re-fetches them",
        )
    if status == "running":
        return Check(
            "db.runs",
            "warning",
            f"{detail}; still running, or its process died (`argo db check` marks dead runs "
            "failed)",
        )
    if started is not None and now - started > stale_after:
        return Check(
            "db.runs",
            "warning",
            f"{detail}; no run for {_ago(started, now).removesuffix(' ago')}: is the scheduled "
            "`argo ingest` running?",
        )
    return Check("db.runs", "ok", detail)
