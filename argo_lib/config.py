"""Configuration: the environment (and ``.env``) and the site settings under ``params/sites``.

This is the only module that reads the environment. :func:`get_settings` loads ``.env`` with
python-dotenv (real environment variables win) into a frozen :class:`Settings`; secrets are kept
out of its ``repr``. :func:`load_site` reads one site's YAML file into a frozen
:class:`SiteSettings`; unknown keys, wrong types and out-of-range values (a negative price,
NaN, an unsupported resolution) are errors that name the key and the file.

Each site file is checked on its own, so one broken file does not hide the others: a lookup of
another site logs a warning naming the broken file and goes on; a lookup that may concern it
(its file name, or a site id no readable file has) and :func:`list_sites` raise, naming it. Two
files with the same ``site_id`` are an error naming both.

Examples
--------
>>> site = load_site("23271")
>>> site.name, site.timezone
('Wilson Center', 'America/New_York')
>>> site.opening_hours.for_weekday(0)
(datetime.time(7, 0), datetime.time(18, 0))
>>> site.opening_hours.for_weekday(6) is None
True
"""

from __future__ import annotations

import dataclasses
import difflib
import logging
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from functools import cached_property
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from dotenv import dotenv_values

from argo_lib.errors import UsageError
from argo_lib.thresholds import Thresholds, apply_overrides

__all__ = [
    "PROJECT_ROOT",
    "ChannelConfig",
    "ConfigError",
    "OpeningHours",
    "Settings",
    "SiteSettings",
    "Tariff",
    "TouPeriod",
    "get_settings",
    "list_sites",
    "load_site",
]

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
"""The workbook's folder (the parent of ``argo_lib``)."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ConfigError(UsageError):
    """A setting is missing, unknown or of the wrong type; the message says which and where."""


# --------------------------------------------------------------------------------------------
# Environment settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Settings from the environment and ``.env``; secrets never appear in ``repr``.

    Attributes
    ----------
    database_url : str or None
        SQLAlchemy URL (``DATABASE_URL``); None means the embedded SQLite file ``sqlite_path``.
    legacy_database_url : str or None
        SQLAlchemy URL of the company's old PostgreSQL database (``LEGACY_DATABASE_URL``), the
        source of ``argo db import-legacy``.
    sqlite_path : pathlib.Path
        Embedded database file used when ``database_url`` is None (``ARGO_SQLITE_PATH``).
    outputs_dir, params_dir : pathlib.Path
        Where runs write their outputs and where parameter sets live.
    eniscope_api_url, eniscope_api_key, eniscope_email, eniscope_password : str or None
        Eniscope Core API base URL and credentials.
    eniscope_user_agent : str or None
        User-Agent for the Eniscope client (None: the client's default).
    smtp_host, smtp_port, smtp_username, smtp_password, smtp_starttls, smtp_ssl : ...
        Outgoing mail server for the weekly brief.
    mail_from : str or None
        Sender address of the brief e-mail.
    mail_to : tuple of str
        Default recipients (comma-separated ``MAIL_TO``); a site file may name its own.
    db_lock_timeout_s : float
        How long a command waits for a lock another process holds (``ARGO_DB_LOCK_TIMEOUT_S``;
        SQLite's busy timeout, PostgreSQL's ``lock_timeout``) before it stops with "locked by
        another process; retry" [s].
    db_statement_timeout_s : float
        Longest a single PostgreSQL statement may run (``ARGO_DB_STATEMENT_TIMEOUT_S``; 0: no
        limit) [s].
    """

    database_url: str | None = field(default=None, repr=False)
    legacy_database_url: str | None = field(default=None, repr=False)
    sqlite_path: Path = PROJECT_ROOT / "data" / "argo.sqlite"
    outputs_dir: Path = PROJECT_ROOT / "outputs"
    params_dir: Path = PROJECT_ROOT / "params"
    eniscope_api_url: str = "https://core.eniscope.com"
    eniscope_api_key: str | None = field(default=None, repr=False)
    eniscope_email: str | None = field(default=None, repr=False)
    eniscope_password: str | None = field(default=None, repr=False)
    eniscope_user_agent: str | None = None
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = field(default=None, repr=False)
    smtp_password: str | None = field(default=None, repr=False)
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    mail_from: str | None = None
    mail_to: tuple[str, ...] = ()
    db_lock_timeout_s: float = 30.0
    db_statement_timeout_s: float = 1800.0

    @property
    def has_eniscope_credentials(self) -> bool:
        """Whether API key, e-mail and password are all set."""
        return bool(self.eniscope_api_key and self.eniscope_email and self.eniscope_password)


_ENV = {
    "DATABASE_URL": "database_url",
    "LEGACY_DATABASE_URL": "legacy_database_url",
    "ARGO_SQLITE_PATH": "sqlite_path",
    "ARGO_OUTPUTS_DIR": "outputs_dir",
    "ARGO_PARAMS_DIR": "params_dir",
    "ENISCOPE_API_URL": "eniscope_api_url",
    "ENISCOPE_API_KEY": "eniscope_api_key",
    "ENISCOPE_EMAIL": "eniscope_email",
    "ENISCOPE_PASSWORD": "eniscope_password",
    "ENISCOPE_USER_AGENT": "eniscope_user_agent",
    "SMTP_HOST": "smtp_host",
    "SMTP_PORT": "smtp_port",
    "SMTP_USERNAME": "smtp_username",
    "SMTP_PASSWORD": "smtp_password",
    "SMTP_STARTTLS": "smtp_starttls",
    "SMTP_SSL": "smtp_ssl",
    "MAIL_FROM": "mail_from",
    "MAIL_TO": "mail_to",
    "ARGO_DB_LOCK_TIMEOUT_S": "db_lock_timeout_s",
    "ARGO_DB_STATEMENT_TIMEOUT_S": "db_statement_timeout_s",
}
"""Environment variable → :class:`Settings` field; the README's configuration table lists them."""

_SECRET_ENV = {"ENISCOPE_API_KEY", "ENISCOPE_EMAIL", "ENISCOPE_PASSWORD", "SMTP_PASSWORD"}


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be true or false (1/0, yes/no), got {raw!r}")


def get_settings(
    *, env_file: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Read the settings from the environment and the ``.env`` file.

    Parameters
    ----------
    env_file : str or pathlib.Path, optional
        The ``.env`` file; default ``<project>/.env`` (a missing file is fine).
    environ : mapping, optional
        The environment; default ``os.environ``. Its variables win over the ``.env`` file.

    Returns
    -------
    Settings

    Raises
    ------
    ConfigError
        If a variable has a value of the wrong form (e.g. ``SMTP_PORT=abc``); the message names the
        variable but never echoes a secret.
    """
    path = Path(env_file) if env_file is not None else PROJECT_ROOT / ".env"
    values: dict[str, str | None] = dict(dotenv_values(path)) if path.is_file() else {}
    values.update(os.environ if environ is None else environ)
    kwargs: dict[str, Any] = {}
    for name, attr in _ENV.items():
        raw = values.get(name)
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        if attr in ("sqlite_path", "outputs_dir", "params_dir"):
            kwargs[attr] = Path(raw).expanduser()
        elif attr == "smtp_port":
            if not raw.isdigit():
                raise ConfigError(f"SMTP_PORT must be a port number such as 587, got {raw!r}")
            kwargs[attr] = int(raw)
        elif attr in ("smtp_starttls", "smtp_ssl"):
            kwargs[attr] = _parse_bool(name, raw)
        elif attr == "mail_to":
            kwargs[attr] = tuple(a.strip() for a in raw.split(",") if a.strip())
        elif attr in ("db_lock_timeout_s", "db_statement_timeout_s"):
            try:
                seconds = float(raw)
            except ValueError:
                seconds = float("nan")
            if not (math.isfinite(seconds) and seconds >= 0):
                raise ConfigError(f"{name} must be a number of seconds >= 0, got {raw!r}")
            kwargs[attr] = seconds
        elif attr == "eniscope_api_url":
            kwargs[attr] = raw.rstrip("/")
        else:
            kwargs[attr] = raw
    return Settings(**kwargs)


# --------------------------------------------------------------------------------------------
# Site settings
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OpeningHours:
    """Opening hours per weekday in site-local wall-clock time.

    Attributes
    ----------
    days : tuple
        Seven entries, Monday first: ``(open, close)`` as :class:`datetime.time`, or None when
        closed all day. An interval whose start is in ``[open, close)`` is business time.
    """

    days: tuple[tuple[time, time] | None, ...] = (
        *((time(7), time(18)),) * 5,
        None,
        None,
    )

    def for_weekday(self, weekday: int) -> tuple[time, time] | None:
        """Opening and closing time of a weekday (Monday = 0), or None when closed."""
        return self.days[weekday]

    @property
    def weekly_hours(self) -> float:
        """Business hours in an ordinary week (no DST change, no holiday) [h]."""
        total = 0.0
        for day in self.days:
            if day is not None:
                total += (day[1].hour * 60 + day[1].minute - day[0].hour * 60 - day[0].minute) / 60
        return total


@dataclass(frozen=True)
class TouPeriod:
    """One time-of-use period of a tariff.

    Attributes
    ----------
    name : str
        ``"off_peak"``, ``"mid_peak"``, ``"on_peak"`` or any label.
    rate_per_kwh : float
        Energy price in this period [currency/kWh].
    weekdays : tuple of int
        Days it applies to, Monday = 0.
    start_hour, end_hour : int
        Local hours ``[start_hour, end_hour)``, 0–24.
    """

    name: str
    rate_per_kwh: float
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    start_hour: int = 0
    end_hour: int = 24


@dataclass(frozen=True)
class Tariff:
    """Energy and demand prices of a site (spec A9).

    Attributes
    ----------
    flat_rate_per_kwh : float
        Price of energy outside any TOU period, or of all energy without TOU [currency/kWh].
    currency : str
        ISO currency code of every price.
    tou_periods : tuple of TouPeriod
        Time-of-use periods in local time; empty for a flat tariff.
    weekend_period : str or None
        Name of the TOU period that applies all day on weekends and holidays.
    after_hours_period : str or None
        Name of the TOU period used to price after-hours energy (spec B11); default the
        weekend period.
    demand_rate_per_kw : float or None
        Demand charge on the billing period's peak of the main meter [currency/kW].
    demand_interval_s : int
        Billing demand interval [s].
    """

    flat_rate_per_kwh: float = 0.12
    currency: str = "USD"
    tou_periods: tuple[TouPeriod, ...] = ()
    weekend_period: str | None = None
    after_hours_period: str | None = None
    demand_rate_per_kw: float | None = None
    demand_interval_s: int = 900

    def period_rate(self, name: str) -> float:
        """Price of a named TOU period [currency/kWh]; the flat rate for an unknown name."""
        for period in self.tou_periods:
            if period.name == name:
                return period.rate_per_kwh
        return self.flat_rate_per_kwh

    @property
    def after_hours_rate_per_kwh(self) -> float:
        """Price used for after-hours energy [currency/kWh] (off-peak under TOU, spec B11)."""
        name = self.after_hours_period or self.weekend_period
        return self.period_rate(name) if name and self.tou_periods else self.flat_rate_per_kwh


@dataclass(frozen=True)
class ChannelConfig:
    """What the site file says about one channel.

    Attributes
    ----------
    channel_id : int
        Eniscope ``dataChannelId``.
    name : str
        Display name (the Eniscope name is used when empty).
    role : {"main", "sub"}
        ``main`` is the utility (billing) meter; ``sub`` a sub-meter.
    max_kw : float or None
        Plausible maximum power; above it a reading is implausible [kW].
    analyse : bool
        Whether the brief analyses this channel.
    owner : str or None
        Who acts on findings of this channel (e.g. "Kitchen Manager").
    """

    channel_id: int
    name: str = ""
    role: Literal["main", "sub"] = "sub"
    max_kw: float | None = None
    analyse: bool = True
    owner: str | None = None


@dataclass(frozen=True)
class SiteSettings:
    """One site's settings, from ``params/sites/<name>.yaml``.

    Attributes
    ----------
    site_id : str
        Eniscope organization id, e.g. ``"23271"``.
    name : str
        Display name.
    timezone : str
        IANA time zone of all calendar logic.
    address, city, country : str or None
        Postal details shown in the brief.
    opening_hours : OpeningHours
        Business hours per weekday.
    holiday_country, holiday_subdivision : str or None
        Public-holiday calendar of the ``holidays`` package; holidays are after-hours days.
    tariff : Tariff
        Energy and demand prices.
    carbon_kg_per_kwh : float
        Grid emission factor [kg CO2e/kWh].
    channels : tuple of ChannelConfig
        Known channels and their roles.
    skip_channels : tuple of int
        Channels that are not energy meters (never requested for readings).
    default_resolution_s : int
        Resolution requested from the API and expected of new channels [s].
    recipients : tuple of str
        E-mail recipients of the weekly brief.
    thresholds : Thresholds
        Analytics thresholds, defaults overridden by the file's ``thresholds`` section.
    source_file : pathlib.Path or None
        The file these settings came from.
    """

    site_id: str
    name: str
    timezone: str
    address: str | None = None
    city: str | None = None
    country: str | None = None
    opening_hours: OpeningHours = field(default_factory=OpeningHours)
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    tariff: Tariff = field(default_factory=Tariff)
    carbon_kg_per_kwh: float = 0.0
    channels: tuple[ChannelConfig, ...] = ()
    skip_channels: tuple[int, ...] = ()
    default_resolution_s: int = 3600
    recipients: tuple[str, ...] = ()
    thresholds: Thresholds = field(default_factory=Thresholds)
    source_file: Path | None = field(default=None, compare=False)

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone."""
        return ZoneInfo(self.timezone)

    @property
    def channel_ids(self) -> tuple[int, ...]:
        """Ids of the configured channels that are analysed."""
        return tuple(c.channel_id for c in self.channels if c.analyse)

    @cached_property
    def _channels_by_id(self) -> dict[int, ChannelConfig]:
        return {c.channel_id: c for c in self.channels}

    def channel(self, channel_id: int) -> ChannelConfig | None:
        """The configuration of one channel, or None when the file does not list it."""
        return self._channels_by_id.get(int(channel_id))

    @property
    def main_channel_ids(self) -> tuple[int, ...]:
        """Ids of the utility (main) meters; empty when the site only has sub-meters."""
        return tuple(c.channel_id for c in self.channels if c.role == "main")

    def with_thresholds(self, overrides: Mapping[str, Any]) -> SiteSettings:
        """A copy with threshold overrides applied (dotted names, e.g. ``spikes.top_n``)."""
        return dataclasses.replace(self, thresholds=apply_overrides(self.thresholds, overrides))


_SITE_KEYS = {
    "site_id": str,
    "name": str,
    "timezone": str,
    "address": (str, type(None)),
    "city": (str, type(None)),
    "country": (str, type(None)),
    "opening_hours": dict,
    "holidays": (dict, type(None)),
    "tariff": dict,
    "carbon_kg_per_kwh": (int, float),
    "channels": list,
    "skip_channels": list,
    "default_resolution_s": int,
    "recipients": list,
    "thresholds": (dict, type(None)),
}
_TARIFF_KEYS = {
    "flat_rate_per_kwh": (int, float),
    "currency": str,
    "tou_periods": list,
    "weekend_period": (str, type(None)),
    "after_hours_period": (str, type(None)),
    "demand_rate_per_kw": (int, float, type(None)),
    "demand_interval_s": int,
}
_TOU_KEYS = {
    "name": str,
    "rate_per_kwh": (int, float),
    "weekdays": list,
    "start_hour": int,
    "end_hour": int,
}
_CHANNEL_KEYS = {
    "channel_id": int,
    "name": str,
    "role": str,
    "max_kw": (int, float, type(None)),
    "analyse": bool,
    "owner": (str, type(None)),
}
_HOLIDAY_KEYS = {"country": (str, type(None)), "subdivision": (str, type(None))}
_RESOLUTIONS_S = (60, 900, 1800, 3600, 86400)
"""Resolutions the Eniscope API serves [s] (``argo_lib.eniscope.RESOLUTIONS``; a test keeps the
two equal, so that importing the client is not needed here)."""
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true/false"}


def _type_name(expected: type | tuple[type, ...]) -> str:
    types_ = expected if isinstance(expected, tuple) else (expected,)
    names = [_TYPE_NAMES.get(t, t.__name__) for t in types_ if t is not type(None)]
    if float in types_:
        names = [n for n in names if n != "an integer"]
    text = " or ".join(dict.fromkeys(names))
    return text + (" or null" if type(None) in types_ else "")


def _check_mapping(
    data: Any, spec: Mapping[str, Any], *, where: str, file: Path, required: tuple[str, ...] = ()
) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ConfigError(f"{file}: {where} must be a mapping of keys to values, got {data!r}")
    for key, value in data.items():
        if key not in spec:
            close = difflib.get_close_matches(str(key), list(spec), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{file}: unknown key {where}{key!r}{hint}; known keys: {', '.join(spec)}"
            )
        expected = spec[key]
        types_ = expected if isinstance(expected, tuple) else (expected,)
        bad_bool = isinstance(value, bool) and bool not in types_
        if bad_bool or not isinstance(value, types_):
            raise ConfigError(f"{file}: {where}{key} must be {_type_name(expected)}, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(
                f"{file}: {where}{key} = {value!r}: use a finite number (not .nan or .inf)"
            )
    for key in required:
        if key not in data:
            raise ConfigError(f"{file}: required key {where}{key} is missing")
    return dict(data)


_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")


def _check_not_negative(
    value: float | None, *, name: str, file: Path, unit: str, positive: bool = False
) -> None:
    """Raise a :class:`ConfigError` naming ``file`` and ``name`` for a value below 0.

    With ``positive`` 0 is refused too; None (an optional key left empty) passes.
    """
    if value is None or value > 0 or (value == 0 and not positive):
        return
    bound = "> 0" if positive else ">= 0"
    raise ConfigError(f"{file}: {name} = {value!r}: use a number {bound} [{unit}]")


def _parse_time(value: Any, *, where: str, file: Path) -> time:
    match = _HHMM.match(str(value)) if isinstance(value, str) else None
    if not match or int(match[1]) > 24 or int(match[2]) > 59:
        raise ConfigError(f'{file}: {where} must be a time "HH:MM" (quoted), got {value!r}')
    hour, minute = int(match[1]), int(match[2])
    if hour == 24 and minute == 0:
        return time.max
    if hour == 24:
        raise ConfigError(f"{file}: {where} must be at most 24:00, got {value!r}")
    return time(hour, minute)


def _parse_opening_hours(data: dict[str, Any], *, file: Path) -> OpeningHours:
    spec = dict.fromkeys(WEEKDAYS, (list, type(None)))
    data = _check_mapping(data, spec, where="opening_hours.", file=file)
    days: list[tuple[time, time] | None] = list(OpeningHours().days)
    for i, day in enumerate(WEEKDAYS):
        if day not in data:
            continue
        value = data[day]
        if value is None:
            days[i] = None
            continue
        if len(value) != 2:
            raise ConfigError(
                f'{file}: opening_hours.{day} must be ["HH:MM", "HH:MM"] or null, got {value!r}'
            )
        start = _parse_time(value[0], where=f"opening_hours.{day}[0]", file=file)
        end = _parse_time(value[1], where=f"opening_hours.{day}[1]", file=file)
        if end <= start:
            raise ConfigError(
                f"{file}: opening_hours.{day} closes ({value[1]}) before it opens ({value[0]})"
            )
        days[i] = (start, end)
    return OpeningHours(tuple(days))


def _parse_tariff(data: dict[str, Any], *, file: Path) -> Tariff:
    data = _check_mapping(data, _TARIFF_KEYS, where="tariff.", file=file)
    periods = []
    for i, raw in enumerate(data.pop("tou_periods", [])):
        where = f"tariff.tou_periods[{i}]."
        item = _check_mapping(
            raw, _TOU_KEYS, where=where, file=file, required=("name", "rate_per_kwh")
        )
        weekdays = item.get("weekdays", [0, 1, 2, 3, 4])
        if not all(
            isinstance(d, int) and not isinstance(d, bool) and 0 <= d <= 6 for d in weekdays
        ):
            raise ConfigError(
                f"{file}: {where}weekdays must list integers 0 (Monday) to 6, got {weekdays!r}"
            )
        start, end = item.get("start_hour", 0), item.get("end_hour", 24)
        if not 0 <= start < end <= 24:
            raise ConfigError(
                f"{file}: {where}start_hour/end_hour must satisfy 0 <= start < end <= 24"
            )
        rate = float(item["rate_per_kwh"])
        _check_not_negative(rate, name=f"{where}rate_per_kwh", file=file, unit="currency/kWh")
        periods.append(TouPeriod(item["name"], rate, tuple(weekdays), start, end))
    names = {p.name for p in periods}
    for key in ("weekend_period", "after_hours_period"):
        if data.get(key) is not None and data[key] not in names:
            raise ConfigError(
                f"{file}: tariff.{key} names {data[key]!r}, which is not a TOU period"
            )
    for key, unit in (("flat_rate_per_kwh", "currency/kWh"), ("demand_rate_per_kw", "currency/kW")):
        if data.get(key) is not None:
            data[key] = float(data[key])
            _check_not_negative(data[key], name=f"tariff.{key}", file=file, unit=unit)
    if "demand_interval_s" in data:
        _check_not_negative(
            data["demand_interval_s"],
            name="tariff.demand_interval_s",
            file=file,
            unit="s",
            positive=True,
        )
    return Tariff(tou_periods=tuple(periods), **data)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, prefix=f"{name}."))
        else:
            flat[name] = value
    return flat


def _site_files(params_dir: Path) -> list[Path]:
    return sorted((params_dir / "sites").glob("*.yaml"))


def _read_site_data(path: Path) -> dict[str, Any]:
    """The top level of one site file, a mapping; a :class:`ConfigError` naming the file if not."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{path}: not valid YAML{at}: {problem}; fix the syntax there (quote values that "
            "contain ':' or '#', indent nested keys consistently)"
        ) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a UTF-8 text file; save it as UTF-8") from None
    if data is None:
        raise ConfigError(
            f"{path}: the file is empty (or only comments); give at least site_id, name and "
            "timezone, as params/sites/wilson_center.yaml does, or delete the file"
        )
    if not isinstance(data, Mapping):
        kind = "a list" if isinstance(data, list) else f"{type(data).__name__} {data!r}"
        raise ConfigError(
            f"{path}: a site file must be a mapping of keys to values (site_id: ..., name: ..., "
            f"timezone: ...), got {kind}; write the keys without a leading '- '"
        )
    return dict(data)


def _site_id_of(path: Path) -> str:
    """The ``site_id`` a site file declares, read without checking the rest of the file."""
    site_id = _read_site_data(path).get("site_id")
    if site_id is None:
        raise ConfigError(
            f"{path}: required key site_id is missing; add the site's Eniscope organization "
            'id, quoted, e.g. site_id: "23271"'
        )
    if isinstance(site_id, bool) or not isinstance(site_id, str | int):
        raise ConfigError(
            f"{path}: site_id must be the site's Eniscope organization id as a quoted string "
            f'(site_id: "23271"), got {site_id!r}'
        )
    return str(site_id)


def _index_sites(files: list[Path]) -> tuple[dict[str, list[Path]], dict[Path, ConfigError]]:
    """Files per declared ``site_id``, and the files whose ``site_id`` cannot be read."""
    by_id: dict[str, list[Path]] = {}
    broken: dict[Path, ConfigError] = {}
    for path in files:
        try:
            by_id.setdefault(_site_id_of(path), []).append(path)
        except ConfigError as exc:
            broken[path] = exc
    return by_id, broken


def _duplicate_error(site_id: str, paths: list[Path]) -> ConfigError:
    return ConfigError(
        f"site_id {site_id!r} is declared by {len(paths)} files: "
        f"{', '.join(str(p) for p in paths)}; each site needs exactly one file: delete the "
        "copy or give it its own site_id"
    )


def load_site(site: str | int, *, params_dir: str | Path | None = None) -> SiteSettings:
    """Load one site's settings.

    Every site file is checked on its own. A file that cannot be read (broken YAML, empty, not
    a mapping, no ``site_id``) does not stop the lookup of another site: it is skipped with a
    logged warning naming it. It is an error when it may be the file asked for: when its name
    is ``site``, or when no readable file declares ``site`` (its ``site_id`` is unknown).

    Parameters
    ----------
    site : str or int
        The site id (``"23271"``) or the file stem (``"wilson_center"``).
    params_dir : str or pathlib.Path, optional
        Folder holding ``sites/*.yaml``; default the project's ``params/``.

    Returns
    -------
    SiteSettings

    Raises
    ------
    ConfigError
        If no file describes the site (naming any unreadable files that might), if two files
        declare the site's ``site_id`` (naming both), or if the site's file is not a mapping,
        has unknown keys, wrong types or bad values (naming the file and the key).
    """
    folder = Path(params_dir) if params_dir is not None else get_settings().params_dir
    key = str(site).strip()
    files = _site_files(folder)
    by_id, broken = _index_sites(files)
    named = next((path for path in files if path.stem == key), None)
    if named is not None and named in broken:
        raise broken[named]
    site_id = key
    if named is not None:
        site_id = next(sid for sid, paths in by_id.items() if named in paths)
    paths = by_id.get(site_id, [])
    if len(paths) > 1:
        raise _duplicate_error(site_id, paths)
    if paths:
        for error in broken.values():
            logger.warning("skipped a site file while looking up site %r: %s", key, error)
        return _parse_site(paths[0])
    known = ", ".join(f"{sid} ({p[0].stem})" for sid, p in sorted(by_id.items())) or "none"
    if broken:
        reasons = "; ".join(str(error) for error in broken.values())
        raise ConfigError(
            f"unknown site {key!r}: no readable file in {folder / 'sites'} has site_id {key!r} "
            f"or is named {key}.yaml, and {len(broken)} file(s) could not be read, so it may be "
            f"defined there: {reasons}. Known sites: {known}."
        )
    raise ConfigError(
        f"unknown site {key!r}: no file in {folder / 'sites'} has site_id {key!r} or is named "
        f"{key}.yaml. Known sites: {known}. Add params/sites/<name>.yaml to define it."
    )


def list_sites(*, params_dir: str | Path | None = None) -> list[SiteSettings]:
    """All sites defined under ``params/sites``, sorted by file name.

    The listing must be complete, so any invalid file is an error (unlike :func:`load_site`,
    which skips files of other sites).

    Parameters
    ----------
    params_dir : str or pathlib.Path, optional
        Folder holding ``sites/*.yaml``; default the project's ``params/``.

    Returns
    -------
    list of SiteSettings

    Raises
    ------
    ConfigError
        Naming every invalid file and what is wrong with it, or two files with one ``site_id``.
    """
    folder = Path(params_dir) if params_dir is not None else get_settings().params_dir
    sites: list[SiteSettings] = []
    errors: list[str] = []
    files = _site_files(folder)
    for path in files:
        try:
            sites.append(_parse_site(path))
        except ConfigError as exc:
            errors.append(str(exc))
    if errors:
        raise ConfigError(
            f"{len(errors)} site file(s) in {folder / 'sites'} are invalid; fix each: "
            + " | ".join(errors)
        )
    by_id: dict[str, list[Path]] = {}
    for path, site in zip(files, sites, strict=True):
        by_id.setdefault(site.site_id, []).append(path)
    for site_id, paths in by_id.items():
        if len(paths) > 1:
            raise _duplicate_error(site_id, paths)
    return sites


def _parse_site(path: Path) -> SiteSettings:
    data = _check_mapping(
        _read_site_data(path),
        _SITE_KEYS,
        where="",
        file=path,
        required=("site_id", "name", "timezone"),
    )
    try:
        ZoneInfo(data["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"{path}: timezone {data['timezone']!r} is not an IANA time zone "
            "such as 'America/New_York'"
        ) from None
    kwargs: dict[str, Any] = {
        k: data[k]
        for k in (
            "site_id",
            "name",
            "timezone",
            "address",
            "city",
            "country",
            "default_resolution_s",
        )
        if k in data
    }
    if "carbon_kg_per_kwh" in data:
        kwargs["carbon_kg_per_kwh"] = float(data["carbon_kg_per_kwh"])
        _check_not_negative(
            kwargs["carbon_kg_per_kwh"], name="carbon_kg_per_kwh", file=path, unit="kg CO2e/kWh"
        )
    if "default_resolution_s" in data and data["default_resolution_s"] not in _RESOLUTIONS_S:
        raise ConfigError(
            f"{path}: default_resolution_s = {data['default_resolution_s']!r}: use one of "
            f"{', '.join(map(str, _RESOLUTIONS_S))} [s], the resolutions the Eniscope API "
            "serves (3600 is the most stable)"
        )
    if "opening_hours" in data:
        kwargs["opening_hours"] = _parse_opening_hours(data["opening_hours"], file=path)
    holidays = _check_mapping(
        data.get("holidays") or {}, _HOLIDAY_KEYS, where="holidays.", file=path
    )
    kwargs["holiday_country"] = holidays.get("country")
    kwargs["holiday_subdivision"] = holidays.get("subdivision")
    if "tariff" in data:
        kwargs["tariff"] = _parse_tariff(data["tariff"], file=path)
    channels = []
    for i, raw in enumerate(data.get("channels", [])):
        item = _check_mapping(
            raw, _CHANNEL_KEYS, where=f"channels[{i}].", file=path, required=("channel_id",)
        )
        if item.get("role", "sub") not in ("main", "sub"):
            raise ConfigError(
                f"{path}: channels[{i}].role must be 'main' or 'sub', got {item['role']!r}"
            )
        if item.get("max_kw") is not None:
            item["max_kw"] = float(item["max_kw"])
            _check_not_negative(
                item["max_kw"], name=f"channels[{i}].max_kw", file=path, unit="kW", positive=True
            )
        channels.append(ChannelConfig(**item))
    ids = [c.channel_id for c in channels]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{path}: channels lists a channel_id twice")
    kwargs["channels"] = tuple(channels)
    for key in ("skip_channels", "recipients"):
        values = data.get(key, [])
        wanted = int if key == "skip_channels" else str
        if not all(isinstance(v, wanted) and not isinstance(v, bool) for v in values):
            raise ConfigError(
                f"{path}: {key} must list {_type_name(wanted)} values, got {values!r}"
            )
        kwargs[key] = tuple(values)
    try:
        kwargs["thresholds"] = apply_overrides(Thresholds(), _flatten(data.get("thresholds") or {}))
    except (KeyError, TypeError, ValueError) as exc:
        message = exc.args[0] if exc.args else str(exc)
        raise ConfigError(f"{path}: thresholds: {message}") from None
    return SiteSettings(source_file=path, **kwargs)
