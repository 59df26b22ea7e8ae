"""Storage: schema, upgrade, the engine factory, bulk upsert and readers (the only module with SQL).

Two backends share one schema: PostgreSQL in production and an embedded SQLite file by default.
Readings are keyed on ``(channel_id, timestamp)``; the timestamp is the interval start in UTC
(``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, integer Unix seconds on SQLite). Missing values are
``NULL``, never 0.

Writes are idempotent upserts: PostgreSQL copies rows whose keys cannot be stored yet (outside
the stored readings of their channel within the batch's time range) straight into ``readings`` by
binary COPY, and copies the others into a temporary staging table merged with ``INSERT ... ON
CONFLICT DO UPDATE``; SQLite runs one ``executemany`` upsert in a single transaction. Readers return tz-aware UTC DataFrames.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import socket
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from argo_lib.errors import RunError, UsageError
from argo_lib.fields import READING_COLUMNS
from argo_lib.system import process_alive

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.engine.interfaces import DBAPIConnection, DBAPICursor
    from sqlalchemy.pool import ConnectionPoolEntry

    from argo_lib.config import Settings

__all__ = [
    "ConnectionDiagnosis",
    "SCHEMA_VERSION",
    "DatabaseBusy",
    "DatabaseConfigError",
    "DatabaseError",
    "DatabaseMissing",
    "DatabaseReport",
    "DatabaseUnavailable",
    "SchemaError",
    "check_connection",
    "classify_connection_error",
    "diagnose_connection",
    "describe_database",
    "finish_run",
    "get_engine",
    "heartbeat",
    "inspect_database",
    "last_reading_times",
    "read_channels",
    "read_readings",
    "read_rejected",
    "read_runs",
    "read_sites",
    "read_weather",
    "reap_abandoned_runs",
    "schema_version",
    "start_run",
    "upgrade",
    "upsert_channels",
    "upsert_devices",
    "upsert_readings",
    "upsert_site",
    "upsert_weather",
    "url_for_another_process",
    "write_rejected",
    "write_windows",
]

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 3
"""Version of the schema this code writes; :func:`upgrade` brings a database to it."""


class DatabaseError(RunError):
    """A database operation failed (exit 1: re-run); the message says what to do."""


class DatabaseUnavailable(DatabaseError):
    """The database cannot be reached; the message names host and database, never the password."""


class DatabaseMissing(UsageError, DatabaseError):
    """A read-only command was pointed at an SQLite file that does not exist (exit 2)."""


class SchemaError(UsageError, DatabaseError):
    """The schema is missing, too old or newer than this code (exit 2: run ``argo db upgrade``)."""


class DatabaseConfigError(UsageError, DatabaseError):
    """The database URL, driver, file or permissions are wrong (exit 2: fix, then run again)."""


class DatabaseBusy(DatabaseError):
    """Another process held a lock longer than the configured wait (exit 1: retry)."""


# --------------------------------------------------------------------------------------------
# Types and schema
# --------------------------------------------------------------------------------------------


class UTCDateTime(sa.types.TypeDecorator):
    """Aware UTC datetime: ``TIMESTAMP WITH TIME ZONE`` on PostgreSQL, ISO-8601 text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:  # noqa: D102
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.String(32))
        return dialect.type_descriptor(sa.DateTime(timezone=True))

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:  # noqa: D102
        if value is None:
            return None
        if isinstance(value, pd.Timestamp):
            value = value.to_pydatetime()
        if value.tzinfo is None:
            raise ValueError(f"timestamp {value!r} is timezone-naive; pass an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.isoformat(timespec="microseconds") if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> datetime | None:  # noqa: D102
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        return value.astimezone(UTC)


def _reading_timestamp_type() -> sa.types.TypeEngine:
    return sa.DateTime(timezone=True).with_variant(sa.BigInteger(), "sqlite")


metadata = sa.MetaData()

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("site_id", sa.String(32), primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("address", sa.Text),
    sa.Column("city", sa.Text),
    sa.Column("country", sa.Text),
    sa.Column("parent_id", sa.String(32)),
    sa.Column("currency", sa.String(8)),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("device_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.site_id"), nullable=False),
    sa.Column("name", sa.Text),
    sa.Column("uuid", sa.String(32)),
    sa.Column("device_type", sa.Text),
    sa.Column("status", sa.String(16)),
    sa.Column("registered_at", UTCDateTime),
    sa.Column("expires_at", UTCDateTime),
    sa.Column("updated_at", UTCDateTime, nullable=False),
)

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("channel_id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.site_id"), nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("device_id", sa.BigInteger),
    sa.Column("device_name", sa.Text),
    sa.Column("device_type", sa.Text),
    sa.Column("data_type", sa.Text),
    sa.Column("uuid", sa.String(32)),
    sa.Column("resolution_s", sa.Integer),
    sa.Column("role", sa.String(8), nullable=False, server_default="sub"),
    sa.Column("is_energy", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("role IN ('main', 'sub')", name="ck_channels_role"),
    sa.CheckConstraint("resolution_s IS NULL OR resolution_s > 0", name="ck_channels_resolution"),
)
sa.Index("ix_channels_site", channels.c.site_id)


def _reading_column(name: str) -> sa.Column:
    if name == "cost":
        return sa.Column(name, sa.Numeric(18, 6))
    return sa.Column(name, sa.Float(precision=53))


readings = sa.Table(
    "readings",
    metadata,
    sa.Column("channel_id", sa.BigInteger, nullable=False),
    sa.Column("timestamp", _reading_timestamp_type(), nullable=False),
    *(_reading_column(name) for name in READING_COLUMNS),
    sa.PrimaryKeyConstraint("channel_id", "timestamp", name="pk_readings"),
    sqlite_with_rowid=False,
)

ingestion_runs = sa.Table(
    "ingestion_runs",
    metadata,
    sa.Column("run_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(32)),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("finished_at", UTCDateTime),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("period_start", UTCDateTime),
    sa.Column("period_end", UTCDateTime),
    sa.Column("channels_requested", sa.Integer, nullable=False, server_default="0"),
    sa.Column("channels_failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rows_received", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows_written", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("rows_rejected", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("parameters", sa.Text),
    sa.Column("error", sa.Text),
    # the process that runs it ("host:pid") and when it last wrote progress: a run whose
    # process is gone is marked failed by the next run or `argo db check` (reap_abandoned_runs)
    sa.Column("holder", sa.Text),
    sa.Column("heartbeat_at", UTCDateTime),
    sa.CheckConstraint(
        "status IN ('running', 'ok', 'partial', 'failed')", name="ck_ingestion_runs_status"
    ),
)

ingestion_windows = sa.Table(
    "ingestion_windows",
    metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingestion_runs.run_id"), nullable=False),
    sa.Column("channel_id", sa.BigInteger, nullable=False),
    sa.Column("window_start", UTCDateTime, nullable=False),
    sa.Column("window_end", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("fetched", sa.Integer, nullable=False, server_default="0"),
    sa.Column("inserted", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rejected", sa.Integer, nullable=False, server_default="0"),
    sa.Column("error", sa.Text),
    sa.PrimaryKeyConstraint("run_id", "channel_id", "window_start", name="pk_ingestion_windows"),
    sa.CheckConstraint(
        "status IN ('success', 'empty', 'failure')", name="ck_ingestion_windows_status"
    ),
)

rejected_readings = sa.Table(
    "rejected_readings",
    metadata,
    sa.Column("rejected_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("ingestion_runs.run_id")),
    sa.Column("channel_id", sa.BigInteger),
    sa.Column("timestamp", UTCDateTime),
    sa.Column("field", sa.String(64), nullable=False),
    sa.Column("raw_value", sa.Text),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("received_at", UTCDateTime, nullable=False),
    # where a value without a usable timestamp was: "after <ts>, record k", "<file> line N"
    sa.Column("location", sa.Text),
)
sa.Index("ix_rejected_channel_time", rejected_readings.c.channel_id, rejected_readings.c.timestamp)

schema_versions = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
    sa.Column("description", sa.Text, nullable=False),
)


weather = sa.Table(
    "weather",
    metadata,
    sa.Column("site_id", sa.String(32), sa.ForeignKey("sites.site_id"), nullable=False),
    sa.Column("timestamp", _reading_timestamp_type(), nullable=False),
    sa.Column("temperature_c", sa.Float(precision=53)),
    sa.PrimaryKeyConstraint("site_id", "timestamp", name="pk_weather"),
    sqlite_with_rowid=False,
)


def _migrate_to_1(conn: Connection) -> None:
    tables = [
        sites,
        devices,
        channels,
        readings,
        ingestion_runs,
        ingestion_windows,
        rejected_readings,
    ]
    metadata.create_all(conn, tables=tables, checkfirst=True)


def _migrate_to_2(conn: Connection) -> None:
    weather.create(conn, checkfirst=True)


def _migrate_to_3(conn: Connection) -> None:
    added = (
        ingestion_runs.c.holder,
        ingestion_runs.c.heartbeat_at,
        rejected_readings.c.location,
    )
    inspector = sa.inspect(conn)
    have = {t: {c["name"] for c in inspector.get_columns(t)} for t in {c.table.name for c in added}}
    for column in added:
        if column.name not in have[column.table.name]:  # created at version 3: there already
            ddl = column.type.compile(dialect=conn.dialect)
            conn.exec_driver_sql(f"ALTER TABLE {column.table.name} ADD COLUMN {column.name} {ddl}")


MIGRATIONS: dict[int, tuple[str, Any]] = {
    1: (
        "sites, devices, channels, readings, ingestion runs and windows, rejected readings",
        _migrate_to_1,
    ),
    2: ("outdoor air temperature per site (weather)", _migrate_to_2),
    3: (
        "the process holding each ingestion run and its heartbeat; where each rejected value was",
        _migrate_to_3,
    ),
}
"""Schema version → (description, function bringing version − 1 to it)."""


# --------------------------------------------------------------------------------------------
# Engines and connections
# --------------------------------------------------------------------------------------------

_ENGINES: dict[str, Engine] = {}


def _sqlite_on_connect(busy_ms: int) -> Any:
    def on_connect(
        dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry
    ) -> None:
        cursor = dbapi_connection.cursor()
        # a writer waits this long for another one before "database is locked" (DatabaseBusy)
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    return on_connect


_TIMEOUTS: dict[int, tuple[float, float]] = {}  # id(engine) -> (lock, statement) waits [s]


def _mask_url_text(text: str) -> str:
    """A URL as text with its password masked, even when it does not parse.

    >>> _mask_url_text("postgresql://argo:s3cret@db:notaport/energy")
    'postgresql://argo:***@db:notaport/energy'
    """
    return re.sub(r"(://[^:/@\s]*:)[^@\s]*@", r"\1***@", text)


def _bad_url(url: Any, reason: str) -> DatabaseConfigError:
    shown = _mask_url_text(
        url if isinstance(url, str) else url.render_as_string(hide_password=True)
    )
    return DatabaseConfigError(
        f"the database URL {shown!r} is not valid ({reason}); write it as "
        "postgresql://USER:PASSWORD@HOST:5432/DBNAME or sqlite:///PATH/TO/FILE.sqlite "
        "(DATABASE_URL in the environment or .env, or --database-url)"
    )


def get_engine(
    url: str | sa.URL | None = None, *, settings: Settings | None = None, must_exist: bool = False
) -> Engine:
    """Return the engine of a database, created once per URL.

    Parameters
    ----------
    url : str or sqlalchemy.URL, optional
        SQLAlchemy URL. Default: ``DATABASE_URL`` from the settings, else the embedded SQLite
        file (created on first use, with its folder).
    settings : argo_lib.config.Settings, optional
        Settings to take the defaults from; default :func:`argo_lib.config.get_settings`.
    must_exist : bool
        For commands that only read: an SQLite file that does not exist is an error instead of
        a new empty database.

    Returns
    -------
    sqlalchemy.engine.Engine
        PostgreSQL connections run with ``TimeZone=UTC``; SQLite ones with WAL and foreign keys.

    Raises
    ------
    DatabaseMissing
        With ``must_exist``, when the SQLite file does not exist (nothing is created).
    DatabaseError
        For a URL of another kind of database.
    """
    if settings is None:
        from argo_lib.config import get_settings

        settings = get_settings()
    if url is None:
        if settings.database_url:
            url = settings.database_url
        else:
            url = sa.URL.create("sqlite", database=str(Path(settings.sqlite_path)))
    try:
        parsed = sa.make_url(url) if isinstance(url, str) else url
        _ = parsed.port  # a port that is not a number fails here
    except (sa.exc.ArgumentError, ValueError) as exc:
        reason = str(exc).splitlines()[0]
        if "invalid literal for int()" in reason:
            reason = "the port is not a number"
        raise _bad_url(url, reason) from None
    if settings is None:
        from argo_lib.config import get_settings

        settings = get_settings()
    lock_s = float(settings.db_lock_timeout_s)
    statement_s = float(settings.db_statement_timeout_s)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        if must_exist:
            _require_sqlite_file(parsed)
        else:  # a command that writes creates the file, and the folder it goes in
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    key = parsed.render_as_string(hide_password=False)
    engine = _ENGINES.get(key)
    if engine is not None and _TIMEOUTS.get(id(engine)) != (lock_s, statement_s):
        engine = None  # other waits asked for: a new engine (the old one stays with its users)
    if engine is None:
        backend = parsed.get_backend_name()
        if backend not in ("sqlite", "postgresql"):
            raise DatabaseConfigError(
                f"unsupported database {backend!r} in "
                f"{parsed.render_as_string(hide_password=True)}; use postgresql://... or sqlite:///..."
            )
        try:
            if backend == "sqlite":
                engine = sa.create_engine(parsed)
                sa.event.listen(engine, "connect", _sqlite_on_connect(int(lock_s * 1000)))
            else:
                # a lock another session holds is waited for at most lock_s, a statement runs
                # at most statement_s: a command never hangs without a word
                # (PostgreSQL reads 0 as "no limit": a wait of 0 is the shortest one, 1 ms)
                options = (
                    f"-c TimeZone=UTC -c lock_timeout={max(int(lock_s * 1000), 1)} "
                    f"-c statement_timeout={int(statement_s * 1000)}"
                )
                engine = sa.create_engine(
                    parsed,
                    pool_pre_ping=True,
                    connect_args={"options": options, "connect_timeout": 10},
                )
        except (sa.exc.NoSuchModuleError, ImportError) as exc:
            raise DatabaseConfigError(
                f"unknown database driver {parsed.drivername!r} in "
                f"{parsed.render_as_string(hide_password=True)} ({str(exc).splitlines()[0]}); "
                "use postgresql://... (psycopg2) or sqlite:///..."
            ) from None
        _TIMEOUTS[id(engine)] = (lock_s, statement_s)
        _ENGINES[key] = engine
    return engine


def _require_sqlite_file(url: sa.URL) -> None:
    database = url.database
    if not database or database == ":memory:" or Path(database).is_file():
        return
    raise DatabaseMissing(
        f"there is no database at {database!r} (SQLite file not found). Point DATABASE_URL or "
        "--database-url at the database that holds the readings, or create and fill one: "
        "`argo db upgrade`, then `argo ingest --site ...` (or `argo demo` for the simulated site)"
    )


def url_for_another_process(engine: Engine) -> str:
    """The engine's URL for another process, such as a notebook kernel in another folder.

    A relative SQLite path is made absolute (the kernel runs in ``notebooks/``); the password
    is kept, so pass the URL through the environment, never as a parameter or an argument.

    Examples
    --------
    >>> import os
    >>> url = url_for_another_process(sa.create_engine("sqlite:///data/x.sqlite"))
    >>> url == "sqlite:///" + os.path.abspath("data/x.sqlite")
    True
    """
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        url = url.set(database=str(Path(url.database).resolve()))
    return url.render_as_string(hide_password=False)


def describe_database(engine: Engine) -> str:
    """Name a database for messages: backend, host, port and database, password masked.

    Examples
    --------
    >>> describe_database(sa.create_engine("postgresql+psycopg2://argo:s3cret@db.example.com:5433/energy"))
    "PostgreSQL database 'energy' on db.example.com:5433 as user 'argo' (password ***)"
    >>> describe_database(sa.create_engine("sqlite:///tmp/a.sqlite"))
    "SQLite file 'tmp/a.sqlite'"
    """
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"SQLite file {url.database!r}"
    password = " (password ***)" if url.password else ""
    user = f" as user {url.username!r}" if url.username else ""
    return (
        f"PostgreSQL database {url.database!r} on {url.host or 'localhost'}:{url.port or 5432}"
        f"{user}{password}"
    )


def _scrub(message: str, engine: Engine) -> str:
    password = engine.url.password
    if password:
        message = message.replace(str(password), "***")
    return message


def _first_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


def translate_error(error: BaseException, engine: Engine) -> DatabaseError | None:
    """A driver or SQLAlchemy error as one line that says what to do, or None if not one.

    Parameters
    ----------
    error : BaseException
        An ``sqlalchemy.exc.DBAPIError`` or a driver's own error (``sqlite3.Error``,
        ``psycopg2.Error``).
    engine : sqlalchemy.engine.Engine
        The database it came from (named in the message, password masked).

    Returns
    -------
    DatabaseError or None
        :class:`DatabaseBusy` (locked, lock or statement timeout: retry),
        :class:`DatabaseConfigError` (not a database file, permission denied, data refused by
        a constraint: fix first), :class:`DatabaseUnavailable` (connection lost) or a plain
        :class:`DatabaseError`; None for other exceptions.
    """
    orig: BaseException = error
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        orig = error.orig
    module = type(orig).__module__ or ""
    if not (isinstance(error, sa.exc.DBAPIError) or module.startswith(("sqlite3", "psycopg2"))):
        return None
    where = describe_database(engine)
    text = _scrub(_first_line(orig), engine)
    code = getattr(orig, "pgcode", None)
    wait = _TIMEOUTS[id(engine)][0] if id(engine) in _TIMEOUTS else None
    waited = f" (waited {wait:g} s)" if wait is not None else ""
    if "database is locked" in text or "database table is locked" in text:
        return DatabaseBusy(
            f"{where} is locked by another process{waited}; retry when it has finished "
            "(ARGO_DB_LOCK_TIMEOUT_S sets how long a command waits)"
        )
    if code == "55P03":  # lock_not_available: lock_timeout
        return DatabaseBusy(
            f"{where}: another session holds a lock this command needs{waited}; retry when it "
            "has finished (ARGO_DB_LOCK_TIMEOUT_S sets how long a command waits)"
        )
    if code == "57014":  # query_canceled: statement_timeout
        return DatabaseBusy(
            f"{where}: a statement ran longer than ARGO_DB_STATEMENT_TIMEOUT_S allows and was "
            "cancelled; retry, or raise the limit"
        )
    if "file is not a database" in text or "file is encrypted" in text:
        return DatabaseConfigError(
            f"{where} is not an SQLite database ({text}); point --database-url or DATABASE_URL "
            "at the workbook's database file, or move this file away"
        )
    if code == "42501" or "permission denied" in text.lower():
        user = engine.url.username or "the role"
        return DatabaseConfigError(
            f"{where}: permission denied ({text}); {user!s} needs CREATE on schema public for "
            f"`argo db upgrade` (GRANT CREATE ON SCHEMA public TO {user}) and write access to the "
            "workbook's tables, or run the command as the database owner"
        )
    if isinstance(error, sa.exc.IntegrityError) or (code or "").startswith("23"):
        return DatabaseConfigError(
            f"{where} refused the data: {text}; check the input the message names "
            "(run with --debug for the statement)"
        )
    if isinstance(error, sa.exc.OperationalError) or (code or "").startswith("08"):
        return DatabaseUnavailable(
            f"lost the connection to {where} ({text}); check that the server is running and retry"
        )
    return DatabaseError(f"{where}: {type(orig).__name__}: {text} (run with --debug for more)")


@contextlib.contextmanager
def _connect(engine: Engine, *, begin: bool = True) -> Iterator[Connection]:
    """Open a connection (in a transaction), turning driver errors into one-line messages."""
    try:
        conn = engine.connect()
    except sa.exc.DBAPIError as exc:
        if not isinstance(exc, sa.exc.OperationalError) or "locked" in _first_line(exc):
            mapped = translate_error(exc, engine)
            if mapped is not None:
                raise mapped from None
            raise
        reason = _scrub(str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc), engine)
        raise DatabaseUnavailable(
            f"cannot connect to {describe_database(engine)}: {reason}. Check that the server is "
            "running and reachable and that DATABASE_URL (or .env) names the right host, port, "
            "database and user."
        ) from None
    with conn:
        try:
            if begin:
                with conn.begin():
                    yield conn
            else:
                yield conn
        except Exception as exc:
            mapped = translate_error(exc, engine)
            if mapped is None:
                raise
            raise mapped from None


def _dbapi_cursor(conn: Connection) -> DBAPICursor:
    """A cursor of the driver's own connection (psycopg2's COPY, SQLite's bulk reads)."""
    dbapi = conn.connection.dbapi_connection
    if dbapi is None:
        raise DatabaseError(f"the connection to {describe_database(conn.engine)} was closed")
    return dbapi.cursor()


def check_connection(engine: Engine) -> dict[str, Any]:
    """Connect, and report the server and schema versions.

    Returns
    -------
    dict
        ``database`` (masked description), ``server_version``, ``schema_version`` (None when the
        schema was never created) and ``expected_schema_version``.

    Raises
    ------
    DatabaseUnavailable
        If the database cannot be reached.
    """
    with _connect(engine, begin=False) as conn:
        if engine.dialect.name == "sqlite":
            server = "SQLite " + conn.exec_driver_sql("select sqlite_version()").scalar_one()
        else:
            server = conn.exec_driver_sql("show server_version").scalar_one()
            server = f"PostgreSQL {server}"
        version = _current_version(conn)
    return {
        "database": describe_database(engine),
        "server_version": server,
        "schema_version": version,
        "expected_schema_version": SCHEMA_VERSION,
    }


def _current_version(conn: Connection) -> int | None:
    if not sa.inspect(conn).has_table("schema_version"):
        return None
    return conn.execute(sa.select(sa.func.max(schema_versions.c.version))).scalar_one_or_none()


def schema_version(engine: Engine) -> int | None:
    """The database's schema version, or None when the schema was never created."""
    with _connect(engine, begin=False) as conn:
        return _current_version(conn)


def upgrade(engine: Engine) -> int:
    """Create the schema or bring it up to :data:`SCHEMA_VERSION`; safe to run any number of times.

    Returns
    -------
    int
        The schema version after the upgrade.

    Raises
    ------
    SchemaError
        If the database was written by a newer version of the workbook.
    DatabaseUnavailable
        If the database cannot be reached.
    """
    if engine.dialect.name == "sqlite":
        # Two upgrades at once (four cron jobs on a new file) must not race: SQLite's
        # deferred transactions let both see an empty file and both create the tables, so
        # the upgrade takes the write lock first (BEGIN IMMEDIATE; a second one waits for it
        # up to the busy timeout, then finds the schema up to date)
        with _connect(engine, begin=False) as conn:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                _upgrade(conn, engine)
            except BaseException:
                conn.rollback()
                raise
            conn.commit()
        return SCHEMA_VERSION
    with _connect(engine) as conn:
        # on PostgreSQL, two upgrades at once serialise on an advisory lock
        conn.exec_driver_sql("SELECT pg_advisory_xact_lock(23271001)")
        _upgrade(conn, engine)
    return SCHEMA_VERSION


def _legacy_schema_in_public(conn: Connection) -> bool:
    """Whether ``public`` holds the company's old schema (readings with a surrogate ``id``)."""
    if conn.dialect.name != "postgresql":
        return False
    found = conn.exec_driver_sql(
        "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'public' AND "
        "((table_name = 'readings' AND column_name = 'id') OR "
        "(table_name = 'organizations' AND column_name = 'organization_id'))"
    ).scalar_one()
    return int(found) == 2


def _upgrade(conn: Connection, engine: Engine) -> None:
    if not sa.inspect(conn).has_table(schema_versions.name) and _legacy_schema_in_public(conn):
        raise SchemaError(
            f"{describe_database(engine)} holds the company's old schema (organizations, "
            "readings with an id column), not the workbook's. Migrate it in place with "
            "`argo db migrate-legacy` (the old tables move to the schema legacy and their data "
            "are imported), or import it into another database with `argo db import-legacy "
            "--from LEGACY_DATABASE_URL`."
        )
    schema_versions.create(conn, checkfirst=True)
    current = _current_version(conn) or 0
    if current > SCHEMA_VERSION:
        raise SchemaError(
            f"{describe_database(engine)} has schema version {current}, newer than this "
            f"workbook's {SCHEMA_VERSION}. Update the workbook (git pull, then make venv) "
            "instead of using an older copy on this database."
        )
    for version in range(current + 1, SCHEMA_VERSION + 1):
        description, migrate = MIGRATIONS[version]
        migrate(conn)
        conn.execute(
            schema_versions.insert().values(
                version=version, applied_at=datetime.now(UTC), description=description
            )
        )
        logger.info("database schema upgraded to version %d (%s)", version, description)


def _require_schema(conn: Connection, engine: Engine) -> None:
    version = _current_version(conn)
    if version is None:
        raise SchemaError(
            f"{describe_database(engine)} has no workbook schema; run `argo db upgrade` first."
        )
    if version != SCHEMA_VERSION:
        raise SchemaError(
            f"{describe_database(engine)} has schema version {version}, this workbook needs "
            f"{SCHEMA_VERSION}; run `argo db upgrade`."
        )


# --------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------


def _upsert_rows(
    conn: Connection, table: sa.Table, rows: list[dict[str, Any]], keys: Sequence[str]
) -> None:
    if not rows:
        return
    stmt: postgresql.Insert | sqlite.Insert
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        stmt = postgresql_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    columns = list(rows[0])
    update = {c: stmt.excluded[c] for c in columns if c not in keys}
    stmt = (
        stmt.on_conflict_do_update(index_elements=list(keys), set_=update)
        if update
        else (stmt.on_conflict_do_nothing(index_elements=list(keys)))
    )
    conn.execute(stmt, rows)


def upsert_site(engine: Engine, site: Any, *, parent_id: str | None = None) -> None:
    """Insert or update a site.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    site : argo_lib.config.SiteSettings or mapping
        Needs ``site_id``, ``name`` and ``timezone``; ``address``, ``city``, ``country`` and
        ``currency`` are optional.
    parent_id : str, optional
        Parent organization id, where the source names one.
    """
    get = site.get if isinstance(site, Mapping) else lambda k, d=None: getattr(site, k, d)
    currency = get("currency")
    if currency is None and getattr(site, "tariff", None) is not None:
        currency = site.tariff.currency
    row = {
        "site_id": str(get("site_id")),
        "name": get("name"),
        "timezone": get("timezone"),
        "address": get("address"),
        "city": get("city"),
        "country": get("country"),
        "parent_id": parent_id if parent_id is not None else get("parent_id"),
        "currency": currency,
        "updated_at": datetime.now(UTC),
    }
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        _upsert_rows(conn, sites, [row], ["site_id"])


_DEVICE_COLUMNS = (
    "device_id",
    "site_id",
    "name",
    "uuid",
    "device_type",
    "status",
    "registered_at",
    "expires_at",
)
_CHANNEL_COLUMNS = (
    "channel_id", "site_id", "name", "device_id", "device_name", "device_type", "data_type", "uuid",
    "resolution_s", "role", "is_energy", "active",
)  # fmt: skip


def _records(
    frame: pd.DataFrame, allowed: Sequence[str], required: Sequence[str], what: str
) -> list[dict]:
    unknown = sorted(set(frame.columns) - set(allowed))
    if unknown:
        raise ValueError(f"{what} frame has unknown columns {unknown}; allowed: {list(allowed)}")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} frame lacks required columns {missing}")
    now = datetime.now(UTC)
    clean = frame.astype(object).where(frame.notna(), None)
    rows = clean.to_dict("records")
    for row in rows:
        for key, value in row.items():
            if isinstance(value, np.generic):
                row[key] = value.item()
            elif isinstance(value, pd.Timestamp):
                row[key] = value.to_pydatetime()
        row["updated_at"] = now
    return rows


def upsert_devices(engine: Engine, frame: pd.DataFrame) -> int:
    """Insert or update devices (``device_id``, ``site_id`` and optional metadata columns).

    Returns
    -------
    int
        Number of devices written.
    """
    rows = _records(frame, _DEVICE_COLUMNS, ("device_id", "site_id"), "devices")
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        _upsert_rows(conn, devices, rows, ["device_id"])
    return len(rows)


def upsert_channels(engine: Engine, frame: pd.DataFrame) -> int:
    """Insert or update channels.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    frame : pandas.DataFrame
        ``channel_id``, ``site_id``, ``name`` and any of ``device_id``, ``device_name``,
        ``device_type``, ``data_type``, ``uuid``, ``resolution_s`` [s], ``role`` (main/sub),
        ``is_energy``, ``active``. Columns left out keep their stored values.

    Returns
    -------
    int
        Number of channels written.

    Raises
    ------
    ValueError
        If a channel would change its resolution while it has readings (mixing resolutions
        double-counts energy; API spec section 8).
    """
    rows = _records(frame, _CHANNEL_COLUMNS, ("channel_id", "site_id", "name"), "channels")
    if not rows:
        return 0
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        if "resolution_s" in frame.columns:
            _check_resolution_change(conn, frame)
        _upsert_rows(conn, channels, rows, ["channel_id"])
    return len(rows)


def _check_resolution_change(conn: Connection, frame: pd.DataFrame) -> None:
    wanted = frame.dropna(subset=["resolution_s"]).set_index("channel_id")["resolution_s"]
    if wanted.empty:
        return
    stored = pd.DataFrame(
        conn.execute(
            sa.select(channels.c.channel_id, channels.c.resolution_s).where(
                channels.c.channel_id.in_([int(i) for i in wanted.index])
            )
        ).all(),
        columns=["channel_id", "resolution_s"],
    ).dropna()
    if stored.empty:
        return
    stored_res = stored.set_index("channel_id")["resolution_s"]
    changed = [int(c) for c in stored_res.index if int(stored_res[c]) != int(wanted[c])]
    for channel_id in changed:
        has_rows = conn.execute(
            sa.select(sa.literal(1)).where(readings.c.channel_id == channel_id).limit(1)
        ).first()
        if has_rows:
            raise UsageError(
                f"channel {channel_id} has readings at {int(stored_res[channel_id])} s and cannot "
                "switch "
                f"to {int(wanted[channel_id])} s: mixing resolutions double-counts energy. Keep "
                "one resolution per channel (e.g. --resolution "
                f"{int(stored_res[channel_id])}), or delete its readings first."
            )


def read_sites(engine: Engine) -> pd.DataFrame:
    """All sites: ``site_id``, ``name``, ``timezone``, ``address``, ``city``, ``country``, ..."""
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        rows = conn.execute(sa.select(sites).order_by(sites.c.site_id)).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in sites.columns])


def read_channels(engine: Engine, *, site_id: str | None = None) -> pd.DataFrame:
    """Channels of a site (or of all sites), sorted by ``channel_id``.

    Returns
    -------
    pandas.DataFrame
        The ``channels`` table columns; ``channel_id`` and ``resolution_s`` as integers
        (``resolution_s`` nullable).
    """
    stmt = sa.select(channels).order_by(channels.c.channel_id)
    if site_id is not None:
        stmt = stmt.where(channels.c.site_id == str(site_id))
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        rows = conn.execute(stmt).mappings().all()
    frame = pd.DataFrame(rows, columns=[c.name for c in channels.columns])
    frame["channel_id"] = frame["channel_id"].astype("int64")
    frame["resolution_s"] = frame["resolution_s"].astype("Int64")
    for column in ("is_energy", "active"):
        frame[column] = frame[column].astype(bool)
    return frame


# --------------------------------------------------------------------------------------------
# Readings
# --------------------------------------------------------------------------------------------


def _prepare_readings(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Validate a readings frame; return it deduplicated, sorted by key, with epoch seconds."""
    missing = [c for c in ("channel_id", "timestamp") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"readings frame lacks columns {missing}; it needs channel_id, timestamp and value "
            f"columns among {list(READING_COLUMNS)}"
        )
    unknown = sorted(set(frame.columns) - {"channel_id", "timestamp", *READING_COLUMNS})
    if unknown:
        raise ValueError(
            f"readings frame has unknown columns {unknown}; value columns must be among "
            f"{list(READING_COLUMNS)} (rename at the boundary, e.g. W → power_kw in kW)"
        )
    values = [c for c in READING_COLUMNS if c in frame.columns]
    ts = frame["timestamp"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        if len(frame) == 0:
            ts = pd.to_datetime(ts, utc=True)
        else:
            raise ValueError(
                "readings.timestamp is not timezone-aware; localize it with "
                ".dt.tz_localize(<site time zone>) or build it with pd.to_datetime(..., utc=True)"
            )
    if ts.isna().any():
        raise ValueError("readings.timestamp has missing values; drop or reject those rows first")
    if frame["channel_id"].isna().any():
        raise ValueError("readings.channel_id has missing values")
    micros = ts.dt.tz_convert("UTC").astype("datetime64[us, UTC]").array.asi8
    if (micros % 1_000_000).any():
        raise ValueError(
            "readings.timestamp has sub-second values; timestamps are interval starts on the "
            "channel's grid (whole seconds)"
        )
    out = pd.DataFrame(
        {"channel_id": frame["channel_id"].astype("int64").to_numpy(), "ts": micros // 1_000_000}
    )
    for column in values:
        series = pd.to_numeric(frame[column], errors="raise").astype("float64")
        out[column] = series.to_numpy()
    # Within one batch the last value for a key wins (API spec section 6). The rows come back
    # sorted by key: a stable sort keeps equal keys in frame order, so the last of each run wins
    # (a frame already sorted without repeats, the usual case, is only checked).
    ids, secs = out["channel_id"].to_numpy(), out["ts"].to_numpy()
    later = (ids[1:] > ids[:-1]) | ((ids[1:] == ids[:-1]) & (secs[1:] > secs[:-1]))
    if not later.all():
        order = np.lexsort((secs, ids))
        ids, secs = ids[order], secs[order]
        last = np.ones(len(order), dtype=bool)
        last[:-1] = (ids[1:] != ids[:-1]) | (secs[1:] != secs[:-1])
        out = out.iloc[order[last]].reset_index(drop=True)
    return out, values


def upsert_readings(engine: Engine, frame: pd.DataFrame) -> int:
    """Insert or update readings; re-writing the same rows changes nothing.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    frame : pandas.DataFrame
        ``channel_id``, ``timestamp`` (tz-aware, interval start, whole seconds) and value columns
        from :data:`argo_lib.fields.READING_COLUMNS` in project units. NaN is stored as NULL.
        Only the columns present are updated on conflict; the others keep their stored values.
        Duplicate keys within the frame collapse, the last one winning.

    Returns
    -------
    int
        Number of distinct readings written (inserted or updated).

    Raises
    ------
    ValueError
        If the frame is malformed (naive timestamps, unknown columns, unknown channels).
    """
    prepared, values = _prepare_readings(frame)
    if prepared.empty:
        return 0
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        _check_known_channels(conn, prepared["channel_id"].unique())
        if engine.dialect.name == "postgresql":
            _upsert_readings_postgres(conn, prepared, values)
        else:
            _upsert_readings_sqlite(conn, prepared, values)
    return len(prepared)


def _check_known_channels(conn: Connection, channel_ids: np.ndarray) -> None:
    known = {
        int(c)
        for c in conn.execute(
            sa.select(channels.c.channel_id).where(
                channels.c.channel_id.in_([int(c) for c in channel_ids])
            )
        ).scalars()
    }
    unknown = sorted(int(c) for c in channel_ids if int(c) not in known)
    if unknown:
        raise ValueError(
            f"readings for unknown channels {unknown[:10]}{' ...' if len(unknown) > 10 else ''}; "
            "write the channels first (upsert_channels, or `argo ingest` which syncs metadata)"
        )


def _quote(name: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise ValueError(f"not a column name: {name!r}")
    return f'"{name}"'


def _upsert_readings_sqlite(conn: Connection, prepared: pd.DataFrame, values: list[str]) -> None:
    columns = ["channel_id", "timestamp", *values]
    names = ", ".join(_quote(c) for c in columns)
    marks = ", ".join("?" for _ in columns)
    update = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in values)
    conflict = f"DO UPDATE SET {update}" if values else "DO NOTHING"
    sql = (
        f"INSERT INTO readings ({names}) VALUES ({marks}) "
        f'ON CONFLICT (channel_id, "timestamp") {conflict}'
    )
    arrays: list[Iterable] = [prepared["channel_id"].tolist(), prepared["ts"].tolist()]
    for column in values:
        data = prepared[column].to_numpy()
        if np.isnan(data).any():
            obj = data.astype(object)
            obj[np.isnan(data)] = None
            arrays.append(obj.tolist())
        else:
            arrays.append(data.tolist())
    conn.exec_driver_sql(sql, list(zip(*arrays, strict=True)))


_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + np.array([0, 0], dtype=">i4").tobytes()
_PG_EPOCH_S = 946_684_800
"""2000-01-01 00:00 UTC in Unix seconds: the origin of PostgreSQL's binary timestamps."""


def _pg_binary_copy(prepared: pd.DataFrame, values: list[str]) -> bytes:
    """Encode rows in PostgreSQL's binary COPY format: int8 channel, int8 seconds, float8 values.

    NaN is sent as a float8 NaN and turned into NULL by the merge statement.
    """
    n_fields = 2 + len(values)
    fields = [("n", ">i2")]
    for i in range(n_fields):
        fields += [(f"l{i}", ">i4"), (f"v{i}", ">i8" if i < 2 else ">f8")]
    rows = np.empty(len(prepared), dtype=np.dtype(fields))
    rows["n"] = n_fields
    for i, column in enumerate(["channel_id", "ts", *values]):
        rows[f"l{i}"] = 8
        rows[f"v{i}"] = prepared[column].to_numpy()
    return _PGCOPY_HEADER + rows.tobytes() + b"\xff\xff"


def _pg_binary_tuples(arrays: Sequence[np.ndarray]) -> bytes:
    """Encode columns as tuples of PostgreSQL's binary COPY format, NaN as NULL.

    int64 arrays are sent as 8-byte integers (``bigint``, or ``timestamptz`` in microseconds
    since 2000), float64 arrays as ``double precision``. Rows that share a pattern of NULLs share
    one fixed layout and are encoded together; COPY takes the rows in any order.
    """
    n = len(arrays[0])
    nulls = np.zeros(n, dtype=np.int64)
    for i, array in enumerate(arrays):
        if array.dtype.kind == "f":
            nulls |= np.isnan(array).astype(np.int64) << i
    patterns = np.unique(nulls) if nulls.any() else np.zeros(1, dtype=np.int64)
    count = np.frombuffer(np.array(len(arrays), dtype=">i2").tobytes(), dtype=np.uint8)
    length = {
        True: np.frombuffer(np.array(8, dtype=">i4").tobytes(), dtype=np.uint8),
        False: np.frombuffer(np.array(-1, dtype=">i4").tobytes(), dtype=np.uint8),
    }
    parts = []
    for pattern in patterns.tolist():
        rows = np.arange(n) if len(patterns) == 1 else np.flatnonzero(nulls == pattern)
        present = [not (pattern >> i) & 1 for i in range(len(arrays))]
        width = 2 + 4 * len(arrays) + 8 * sum(present)
        out = np.empty((len(rows), width), dtype=np.uint8)
        out[:, :2] = count
        offset = 2
        for array, here in zip(arrays, present, strict=True):
            out[:, offset : offset + 4] = length[here]
            offset += 4
            if here:
                big = array[rows].astype(array.dtype.newbyteorder(">"))
                out[:, offset : offset + 8] = big.view(np.uint8).reshape(-1, 8)
                offset += 8
        parts.append(out.tobytes())
    return b"".join(parts)


def _upsert_readings_postgres(conn: Connection, prepared: pd.DataFrame, values: list[str]) -> None:
    """Upsert sorted, deduplicated readings: new keys by plain COPY, the rest by ON CONFLICT.

    Rows that cannot match a stored key (see :func:`_unstored_rows`) are copied straight into
    ``readings``: no staging table, no speculative insertion, which is what made the merge slow.
    The others are merged as before. If a concurrent writer stored one of the "new" keys
    meanwhile, the copy fails on the primary key, is rolled back to its savepoint and every row
    is merged instead, so the outcome is always that of the merge alone.
    """
    fresh = _unstored_rows(conn, prepared)
    if fresh.any() and _insert_unstored_readings(conn, prepared[fresh], values):
        prepared = prepared[~fresh]
    if not prepared.empty:
        _merge_readings_postgres(conn, prepared, values, on_conflict=True)


def _unstored_rows(conn: Connection, prepared: pd.DataFrame) -> np.ndarray:
    """Which rows' keys are certainly not stored (a boolean mask over the sorted rows).

    For each channel of the batch, two probes of the primary key find the first and the last
    stored reading within the batch's ``[first, last]`` timestamps. Rows before the first or
    after the last of those (all of the channel's rows when there is none) cannot conflict.
    """
    ids = prepared["channel_id"].to_numpy()
    secs = prepared["ts"].to_numpy()
    starts = np.flatnonzero(np.r_[True, ids[1:] != ids[:-1]])
    ends = np.r_[starts[1:], len(ids)] - 1
    rows = conn.exec_driver_sql(
        'SELECT (SELECT extract(epoch FROM min(r."timestamp"))::bigint FROM readings r '
        'WHERE r.channel_id = b.channel_id AND r."timestamp" BETWEEN b.lo AND b.hi), '
        '(SELECT extract(epoch FROM max(r."timestamp"))::bigint FROM readings r '
        'WHERE r.channel_id = b.channel_id AND r."timestamp" BETWEEN b.lo AND b.hi) '
        "FROM unnest(%(ids)s::bigint[], %(lo)s::timestamptz[], %(hi)s::timestamptz[]) "
        "WITH ORDINALITY AS b(channel_id, lo, hi, k) ORDER BY b.k",
        {
            "ids": ids[starts].tolist(),
            "lo": [datetime.fromtimestamp(int(t), UTC) for t in secs[starts]],
            "hi": [datetime.fromtimestamp(int(t), UTC) for t in secs[ends]],
        },
    ).all()
    # no stored reading in range: bounds that no row passes
    none = np.iinfo(np.int64)
    first = np.array([none.max if lo is None else lo for lo, _ in rows], dtype=np.int64)
    last = np.array([none.min if hi is None else hi for _, hi in rows], dtype=np.int64)
    sizes = ends - starts + 1
    return (secs < np.repeat(first, sizes)) | (secs > np.repeat(last, sizes))


def _insert_unstored_readings(conn: Connection, rows: pd.DataFrame, values: list[str]) -> bool:
    """Insert rows whose keys are not stored, without ON CONFLICT; False (nothing written) if one is.

    Value columns that are entirely NaN are left out: on a new row that stores the same NULL.
    Float columns go by binary COPY straight into ``readings``; ``cost`` (an exact decimal,
    converted by the server as the merge converts it) goes through the staging table.
    """
    present = [c for c in values if not np.isnan(rows[c].to_numpy()).all()]
    savepoint = conn.begin_nested()
    try:
        if "cost" in present:
            _merge_readings_postgres(conn, rows, present, on_conflict=False)
        else:
            target = ", ".join(_quote(c) for c in ["channel_id", "timestamp", *present])
            arrays = [
                rows["channel_id"].to_numpy(),
                (rows["ts"].to_numpy() - _PG_EPOCH_S) * 1_000_000,
                *(rows[c].to_numpy() for c in present),
            ]
            _copy_in(
                conn,
                f"COPY readings ({target}) FROM STDIN WITH (FORMAT binary)",
                _PGCOPY_HEADER + _pg_binary_tuples(arrays) + b"\xff\xff",
            )
    except Exception as exc:
        if getattr(getattr(exc, "orig", exc), "pgcode", None) != "23505":  # unique_violation
            raise
        savepoint.rollback()
        logger.info("readings stored meanwhile by another writer; merging the batch instead")
        return False
    savepoint.commit()
    return True


def _copy_in(conn: Connection, sql: str, data: bytes) -> None:
    cursor = _dbapi_cursor(conn)
    try:
        cursor.copy_expert(sql, io.BytesIO(data))
    finally:
        cursor.close()


def _merge_readings_postgres(
    conn: Connection, prepared: pd.DataFrame, values: list[str], *, on_conflict: bool
) -> None:
    """Copy rows into a staging table and insert them from there (merged ON CONFLICT if asked).

    A re-sent row replaces the given columns (NaN becomes NULL); the others keep their values.
    Rows whose given values are all unchanged, bit for bit, are not rewritten (no new row
    version, no index entry: an idempotent re-send costs reads only).
    """
    staging_columns = ", ".join(
        ["channel_id bigint", "ts bigint", *(f"{_quote(c)} double precision" for c in values)]
    )
    conn.exec_driver_sql(
        f"CREATE TEMPORARY TABLE readings_staging ({staging_columns}) ON COMMIT DROP"
    )
    _copy_in(
        conn,
        "COPY readings_staging FROM STDIN WITH (FORMAT binary)",
        _pg_binary_copy(prepared, values),
    )
    target = ", ".join(_quote(c) for c in ["channel_id", "timestamp", *values])

    def source(column: str) -> str:
        expr = f"NULLIF({_quote(column)}, 'NaN'::double precision)"
        return f"{expr}::numeric" if column == "cost" else expr

    select = ", ".join(["channel_id", "to_timestamp(ts)", *(source(c) for c in values)])
    sql = f"INSERT INTO readings ({target}) SELECT {select} FROM readings_staging"
    if on_conflict:
        if values:
            update = ", ".join(f"{_quote(c)} = EXCLUDED.{_quote(c)}" for c in values)

            # bit for bit (float8send): a re-sent -0.0 still replaces a stored 0.0
            def bits(column: str) -> str:
                return column if "cost" in column else f"float8send({column})"

            old = ", ".join(bits(f"readings.{_quote(c)}") for c in values)
            new = ", ".join(bits(f"EXCLUDED.{_quote(c)}") for c in values)
            changed = f"ROW({old}) IS DISTINCT FROM ROW({new})"
            sql += f' ON CONFLICT (channel_id, "timestamp") DO UPDATE SET {update} WHERE {changed}'
        else:
            sql += ' ON CONFLICT (channel_id, "timestamp") DO NOTHING'
    conn.exec_driver_sql(sql)
    conn.exec_driver_sql("DROP TABLE readings_staging")


def _to_seconds(value: Any, name: str) -> int:
    ts = pd.Timestamp(value)
    if ts.tzinfo is None:
        raise ValueError(
            f"{name}={value!r} is timezone-naive; pass an aware time, e.g. "
            f"pd.Timestamp({str(value)!r}, tz='America/New_York')"
        )
    # Readings sit on whole seconds, so t >= bound  <=>  t >= ceil(bound) (same for <).
    return int(-(-ts.value // 1_000_000_000))


def read_readings(
    engine: Engine,
    *,
    site_id: str | None = None,
    start: Any = None,
    end: Any = None,
    period: Any = None,
    channel_ids: Iterable[int] | None = None,
    columns: Sequence[str] = ("energy_kwh", "power_kw"),
) -> pd.DataFrame:
    """Read readings of a site (or of channels) in ``[start, end)``.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    site_id : str, optional
        Restrict to this site's channels.
    start, end : datetime-like, optional
        Tz-aware half-open period ``[start, end)``; either may be left open.
    period : argo_lib.dates.Period, optional
        Alternative to ``start``/``end`` (anything with ``.start`` and ``.end``).
    channel_ids : iterable of int, optional
        Restrict to these channels.
    columns : sequence of str
        Value columns to read, from :data:`argo_lib.fields.READING_COLUMNS`; ``"all"`` reads all.

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (``datetime64[us, UTC]``, interval start), ``channel_id`` (int64) and the
        value columns (float64, NaN where NULL), sorted by ``channel_id`` then ``timestamp``.
    """
    if period is not None:
        start, end = period.start, period.end
    if columns == "all":
        columns = READING_COLUMNS
    bad = [c for c in columns if c not in READING_COLUMNS]
    if bad:
        raise ValueError(f"unknown reading columns {bad}; choose from {list(READING_COLUMNS)}")
    columns = list(columns)
    params: dict[str, Any] = {}
    where = []
    if site_id is not None:
        where.append("channel_id IN (SELECT channel_id FROM channels WHERE site_id = %(site_id)s)")
        params["site_id"] = str(site_id)
    if channel_ids is not None:
        ids = sorted({int(c) for c in channel_ids})
        if not ids:
            return _empty_readings(columns)
        where.append(f"channel_id IN ({', '.join(str(i) for i in ids)})")
    is_pg = engine.dialect.name == "postgresql"
    ts_expr = '"timestamp"' if not is_pg else 'extract(epoch from "timestamp")::bigint'
    if start is not None:
        params["start"] = _to_seconds(start, "start")
        where.append('"timestamp" >= ' + ("to_timestamp(%(start)s)" if is_pg else "%(start)s"))
    if end is not None:
        params["end"] = _to_seconds(end, "end")
        where.append('"timestamp" < ' + ("to_timestamp(%(end)s)" if is_pg else "%(end)s"))
    cast = "::double precision" if is_pg else ""
    value_sql = "".join(f", {_quote(c)}" + (cast if c == "cost" else "") for c in columns)
    sql = f"SELECT channel_id, {ts_expr}{value_sql} FROM readings"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += ' ORDER BY channel_id, "timestamp"'
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        if is_pg:
            frame = _read_postgres(conn, sql, params, columns)
        else:
            frame = _read_sqlite(conn, sql, params, columns)
    return frame


def _empty_readings(columns: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "timestamp": pd.Series([], dtype="datetime64[us, UTC]"),
            "channel_id": pd.Series([], dtype="int64"),
        }
    )
    for column in columns:
        frame[column] = pd.Series([], dtype="float64")
    return frame


def _frame_from_arrays(
    ids: np.ndarray, seconds: np.ndarray, values: dict[str, np.ndarray]
) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(seconds.astype("int64"), unit="s", utc=True).as_unit("us"),
            "channel_id": ids.astype("int64"),
        }
    )
    for column, data in values.items():
        frame[column] = data
    return frame


def _read_sqlite(conn: Connection, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    sql = re.sub(r"%\((\w+)\)s", r":\1", sql)
    cursor = _dbapi_cursor(conn)
    try:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return _empty_readings(columns)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    seconds = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    values = {}
    for i, column in enumerate(columns, start=2):
        values[column] = np.array([r[i] for r in rows], dtype="float64")
    return _frame_from_arrays(ids, seconds, values)


def _read_postgres(conn: Connection, sql: str, params: dict, columns: list[str]) -> pd.DataFrame:
    cursor = _dbapi_cursor(conn)
    buffer = io.BytesIO()
    try:
        query = cursor.mogrify(sql, params).decode()
        cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buffer)
    finally:
        cursor.close()
    if buffer.tell() == 0:
        return _empty_readings(columns)
    buffer.seek(0)
    raw = pd.read_csv(
        buffer,
        header=None,
        names=["channel_id", "ts", *columns],
        dtype={"channel_id": "int64", "ts": "int64", **dict.fromkeys(columns, "float64")},
        na_values=[""],
        keep_default_na=False,
    )
    return _frame_from_arrays(
        raw["channel_id"].to_numpy(), raw["ts"].to_numpy(), {c: raw[c].to_numpy() for c in columns}
    )


def last_reading_times(engine: Engine, *, site_id: str | None = None) -> pd.DataFrame:
    """First and last stored reading and the count per channel.

    Returns
    -------
    pandas.DataFrame
        ``channel_id``, ``first_timestamp``, ``last_timestamp`` (UTC) and ``readings``; channels
        without readings are absent.
    """
    is_pg = engine.dialect.name == "postgresql"
    ts = 'extract(epoch from "timestamp")::bigint' if is_pg else '"timestamp"'
    sql = f"SELECT channel_id, min({ts}), max({ts}), count(*) FROM readings"
    params = {}
    if site_id is not None:
        sql += " WHERE channel_id IN (SELECT channel_id FROM channels WHERE site_id = :site_id)"
        params["site_id"] = str(site_id)
    sql += " GROUP BY channel_id ORDER BY channel_id"
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        rows = conn.execute(sa.text(sql), params).all()
    frame = pd.DataFrame(rows, columns=["channel_id", "first", "last", "readings"])
    return pd.DataFrame(
        {
            "channel_id": frame["channel_id"].astype("int64"),
            "first_timestamp": pd.to_datetime(frame["first"].astype("int64"), unit="s", utc=True),
            "last_timestamp": pd.to_datetime(frame["last"].astype("int64"), unit="s", utc=True),
            "readings": frame["readings"].astype("int64"),
        }
    )


# --------------------------------------------------------------------------------------------
# Ingestion log and rejected readings
# --------------------------------------------------------------------------------------------


def start_run(
    engine: Engine,
    *,
    source: str,
    site_id: str | None = None,
    period_start: Any = None,
    period_end: Any = None,
    parameters: Mapping[str, Any] | None = None,
) -> int:
    """Record the start of an ingestion run and return its ``run_id``.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    source : str
        Where the data comes from, e.g. ``"eniscope"``, ``"csv:readings.csv"``, ``"demo"``.
    site_id : str, optional
    period_start, period_end : datetime-like, optional
        The requested period (tz-aware).
    parameters : mapping, optional
        Run options, stored as JSON (never credentials).
    """
    now = datetime.now(UTC)
    row = {
        "site_id": None if site_id is None else str(site_id),
        "source": source,
        "started_at": now,
        "status": "running",
        "holder": _HOLDER,
        "heartbeat_at": now,
        "period_start": None
        if period_start is None
        else pd.Timestamp(period_start).to_pydatetime(),
        "period_end": None if period_end is None else pd.Timestamp(period_end).to_pydatetime(),
        "parameters": json.dumps(dict(parameters or {}), default=str, sort_keys=True),
    }
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        _reap(conn)  # earlier runs whose process died are marked so before this one starts
        result = conn.execute(
            ingestion_runs.insert().values(**row).returning(ingestion_runs.c.run_id)
        )
        return int(result.scalar_one())


_HOLDER = f"{socket.gethostname()}:{os.getpid()}"
STALE_RUN_AFTER = pd.Timedelta(hours=6)
"""A running run of another host without progress for this long is taken as dead."""


def _holder_alive(holder: str | None, heartbeat: Any, now: datetime) -> bool:
    host, _, pid = (holder or "").rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return int(pid) == os.getpid() or process_alive(int(pid))
    # another host (or no holder: a run of an older workbook): alive while it makes progress
    if heartbeat is None:
        return False
    return now - pd.Timestamp(heartbeat).to_pydatetime() < STALE_RUN_AFTER


def _reap(conn: Connection) -> list[int]:
    c = ingestion_runs.c
    now = datetime.now(UTC)
    running = conn.execute(
        sa.select(c.run_id, c.holder, c.heartbeat_at, c.started_at).where(c.status == "running")
    ).all()
    dead = []
    for run_id, holder, heartbeat, started in running:  # the few unfinished runs
        if _holder_alive(holder, heartbeat, now):
            continue
        last = heartbeat if heartbeat is not None else started
        who = f"process {holder}" if holder else "its process"
        # what the dead run did, as far as it logged it: its windows and its ledger rows
        w = ingestion_windows.c
        logged = conn.execute(
            sa.select(
                sa.func.coalesce(sa.func.sum(w.fetched), 0),
                sa.func.coalesce(sa.func.sum(w.inserted), 0),
                sa.func.count(sa.distinct(w.channel_id)),
            ).where(w.run_id == run_id)
        ).one()
        ledger = conn.execute(
            sa.select(sa.func.count()).where(rejected_readings.c.run_id == run_id)
        ).scalar_one()
        conn.execute(
            ingestion_runs.update()
            .where((c.run_id == run_id) & (c.status == "running"))
            .values(
                status="failed",
                finished_at=last,
                rows_received=int(logged[0]),
                rows_written=int(logged[1]),
                rows_rejected=int(ledger),
                error=(
                    f"abandoned: {who} stopped without finishing (last progress "
                    f"{pd.Timestamp(last).isoformat()}); its counts are those of the windows it "
                    f"logged ({int(logged[2])} channels) and of its {int(ledger)} rejected values "
                    "recorded; re-run the ingestion to fetch the rest"
                ),
            )
        )
        dead.append(int(run_id))
    return dead


def reap_abandoned_runs(engine: Engine) -> list[int]:
    """Mark runs still ``running`` whose process is gone as ``failed`` (abandoned).

    A run's process on this host is gone when its process id no longer exists; a run of
    another host when it has made no progress for :data:`STALE_RUN_AFTER`. Their end time is
    their last progress, their counts those of the windows they logged and of the rejected
    values they recorded, and their ``error`` says what happened.

    Returns
    -------
    list of int
        The run ids marked.
    """
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        return _reap(conn)


def heartbeat(engine: Engine, run_id: int) -> None:
    """Record that run ``run_id`` is making progress (``heartbeat_at`` = now)."""
    with _connect(engine) as conn:
        conn.execute(
            ingestion_runs.update()
            .where(ingestion_runs.c.run_id == int(run_id))
            .values(heartbeat_at=datetime.now(UTC))
        )


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    channels_requested: int = 0,
    channels_failed: int = 0,
    rows_received: int = 0,
    rows_written: int = 0,
    rows_rejected: int = 0,
    error: str | None = None,
) -> None:
    """Record the end of an ingestion run (status ``ok``, ``partial`` or ``failed``)."""
    if status not in ("ok", "partial", "failed"):
        raise ValueError(f"run status must be 'ok', 'partial' or 'failed', got {status!r}")
    with _connect(engine) as conn:
        conn.execute(
            ingestion_runs.update()
            .where(ingestion_runs.c.run_id == int(run_id))
            .values(
                finished_at=datetime.now(UTC),
                status=status,
                channels_requested=int(channels_requested),
                channels_failed=int(channels_failed),
                rows_received=int(rows_received),
                rows_written=int(rows_written),
                rows_rejected=int(rows_rejected),
                error=error,
            )
        )


def read_runs(engine: Engine, *, site_id: str | None = None, limit: int = 20) -> pd.DataFrame:
    """The latest ingestion runs, newest first."""
    stmt = sa.select(ingestion_runs).order_by(ingestion_runs.c.run_id.desc()).limit(int(limit))
    if site_id is not None:
        stmt = stmt.where(ingestion_runs.c.site_id == str(site_id))
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        rows = conn.execute(stmt).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in ingestion_runs.columns])


def read_run_sources(engine: Engine, *, site_id: str) -> pd.DataFrame:
    """What each source has loaded into a site, from the ingestion run log.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    site_id : str
        The site.

    Returns
    -------
    pandas.DataFrame
        One row per ``source`` (``"eniscope"``, ``"fake-eniscope"``, ``"csv:<file>"``,
        ``"demo"``...), sorted: ``runs``, ``unfinished`` (runs still marked ``running``: killed
        or in progress, their counts unknown), ``rows_written`` (sum over the runs),
        ``period_start`` (earliest) and ``period_end`` (latest, UTC).
    """
    c = ingestion_runs.c
    stmt = (
        sa.select(
            c.source,
            sa.func.count().label("runs"),
            sa.func.sum(sa.case((c.status == "running", 1), else_=0)).label("unfinished"),
            sa.func.sum(c.rows_written).label("rows_written"),
            sa.func.min(c.period_start).label("period_start"),
            sa.func.max(c.period_end).label("period_end"),
        )
        .where(c.site_id == str(site_id))
        .group_by(c.source)
        .order_by(c.source)
    )
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        rows = conn.execute(stmt).all()
    columns = ["source", "runs", "unfinished", "rows_written", "period_start", "period_end"]
    frame = pd.DataFrame(rows, columns=columns)
    for column in ("runs", "unfinished", "rows_written"):
        frame[column] = frame[column].fillna(0).astype("int64")
    for column in ("period_start", "period_end"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


WINDOW_COLUMNS = (
    "channel_id",
    "window_start",
    "window_end",
    "status",
    "fetched",
    "inserted",
    "rejected",
    "error",
)
"""Columns of a channel-window log frame (:func:`write_windows`)."""


def write_windows(engine: Engine, run_id: int, frame: pd.DataFrame) -> int:
    """Log channel-windows of a run.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``channel_id``, ``window_start``, ``window_end`` (tz-aware), ``status``
        (success/empty/failure), ``fetched``, ``inserted``, ``rejected``, ``error``.
    """
    if frame.empty:
        return 0
    rows = _records(frame, WINDOW_COLUMNS, WINDOW_COLUMNS[:4], "windows")
    for row in rows:
        row.pop("updated_at")
        row["run_id"] = int(run_id)
    with _connect(engine) as conn:
        _upsert_rows(conn, ingestion_windows, rows, ["run_id", "channel_id", "window_start"])
        conn.execute(  # progress: the run is alive
            ingestion_runs.update()
            .where(ingestion_runs.c.run_id == int(run_id))
            .values(heartbeat_at=datetime.now(UTC))
        )
    return len(rows)


def write_rejected(engine: Engine, frame: pd.DataFrame, *, run_id: int | None = None) -> int:
    """Store rejected readings with their raw value and reason, so nothing is lost silently.

    Parameters
    ----------
    frame : pandas.DataFrame
        ``channel_id``, ``timestamp`` (tz-aware or NaT), ``field``, ``raw_value`` (text),
        ``reason`` and optionally ``location`` (where a value without a timestamp was).
    run_id : int, optional
        The ingestion run that rejected them.

    Returns
    -------
    int
        Rows written.
    """
    if frame.empty:
        return 0
    allowed = ("channel_id", "timestamp", "field", "raw_value", "reason", "location")
    rows = _records(frame, allowed, ("field", "reason"), "rejected readings")
    now = datetime.now(UTC)
    for row in rows:
        row.pop("updated_at")
        row["run_id"] = run_id
        row["received_at"] = now
        if row.get("raw_value") is not None:
            row["raw_value"] = str(row["raw_value"])
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        conn.execute(rejected_readings.insert(), rows)
    return len(rows)


def read_rejected(
    engine: Engine, *, site_id: str | None = None, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """Rejected readings of a site, optionally in ``[start, end)`` by reading timestamp."""
    stmt = sa.select(rejected_readings).order_by(rejected_readings.c.rejected_id)
    if site_id is not None:
        stmt = stmt.where(
            rejected_readings.c.channel_id.in_(
                sa.select(channels.c.channel_id).where(channels.c.site_id == str(site_id))
            )
        )
    if start is not None:
        stmt = stmt.where(rejected_readings.c.timestamp >= pd.Timestamp(start).to_pydatetime())
    if end is not None:
        stmt = stmt.where(rejected_readings.c.timestamp < pd.Timestamp(end).to_pydatetime())
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        rows = conn.execute(stmt).mappings().all()
    return pd.DataFrame(rows, columns=[c.name for c in rejected_readings.columns])


# --------------------------------------------------------------------------------------------
# Weather
# --------------------------------------------------------------------------------------------


def upsert_weather(engine: Engine, frame: pd.DataFrame, *, site_id: str) -> int:
    """Insert or update a site's outdoor air temperature.

    Parameters
    ----------
    engine : sqlalchemy.engine.Engine
    frame : pandas.DataFrame
        ``timestamp`` (tz-aware, interval start, whole seconds) and ``temperature_c`` [°C];
        NaN is stored as NULL. Duplicate timestamps collapse, the last one winning.
    site_id : str
        The site the temperatures belong to.

    Returns
    -------
    int
        Rows written.
    """
    missing = [c for c in ("timestamp", "temperature_c") if c not in frame.columns]
    if missing:
        raise ValueError(
            f"weather frame lacks columns {missing}; it needs timestamp and temperature_c [°C]"
        )
    ts = frame["timestamp"]
    if not isinstance(ts.dtype, pd.DatetimeTZDtype):
        raise ValueError(
            "weather.timestamp is not timezone-aware; localize it with .dt.tz_localize(<site tz>)"
        )
    seconds = ts.dt.tz_convert("UTC").astype("datetime64[s, UTC]").array.asi8
    values = pd.to_numeric(frame["temperature_c"], errors="raise").astype("float64").to_numpy()
    table = pd.DataFrame({"ts": seconds, "t": values}).drop_duplicates("ts", keep="last")
    if table.empty:
        return 0
    with _connect(engine) as conn:
        _require_schema(conn, engine)
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE TEMPORARY TABLE weather_staging (ts bigint, t double precision) ON COMMIT DROP"
            )
            cursor = _dbapi_cursor(conn)
            try:
                buffer = io.StringIO(table.to_csv(index=False, header=False, na_rep=""))
                cursor.copy_expert("COPY weather_staging FROM STDIN WITH (FORMAT csv)", buffer)
            finally:
                cursor.close()
            conn.execute(
                sa.text(
                    'INSERT INTO weather (site_id, "timestamp", temperature_c) '
                    "SELECT :site_id, to_timestamp(ts), t FROM weather_staging "
                    'ON CONFLICT (site_id, "timestamp") DO UPDATE SET temperature_c = EXCLUDED.temperature_c'
                ),
                {"site_id": str(site_id)},
            )
        else:
            nullable = table["t"].astype(object).where(table["t"].notna(), None)
            conn.exec_driver_sql(
                'INSERT INTO weather (site_id, "timestamp", temperature_c) VALUES (?, ?, ?) '
                'ON CONFLICT (site_id, "timestamp") DO UPDATE SET temperature_c = excluded.temperature_c',
                list(
                    zip(
                        [str(site_id)] * len(table),
                        table["ts"].tolist(),
                        nullable.tolist(),
                        strict=True,
                    )
                ),
            )
    return len(table)


def read_weather(
    engine: Engine, *, site_id: str, start: Any = None, end: Any = None
) -> pd.DataFrame:
    """A site's outdoor air temperature in ``[start, end)``.

    Returns
    -------
    pandas.DataFrame
        ``timestamp`` (``datetime64[us, UTC]``) and ``temperature_c`` [°C], sorted; empty when the
        site has no weather data.
    """
    is_pg = engine.dialect.name == "postgresql"
    ts = 'extract(epoch from "timestamp")::bigint' if is_pg else '"timestamp"'
    sql = f"SELECT {ts}, temperature_c FROM weather WHERE site_id = :site_id"
    params: dict[str, Any] = {"site_id": str(site_id)}
    bound = "to_timestamp(:{0})" if is_pg else ":{0}"
    if start is not None:
        sql += ' AND "timestamp" >= ' + bound.format("start")
        params["start"] = _to_seconds(start, "start")
    if end is not None:
        sql += ' AND "timestamp" < ' + bound.format("end")
        params["end"] = _to_seconds(end, "end")
    sql += ' ORDER BY "timestamp"'
    with _connect(engine, begin=False) as conn:
        _require_schema(conn, engine)
        rows = conn.execute(sa.text(sql), params).all()
    seconds = np.array([r[0] for r in rows], dtype="int64")
    return pd.DataFrame(
        {
            "timestamp": pd.to_datetime(seconds, unit="s", utc=True).as_unit("us"),
            "temperature_c": np.array([r[1] for r in rows], dtype="float64"),
        }
    )


# --------------------------------------------------------------------------------------------
# Inspection (`argo db check`) and connection diagnosis (`argo db test-connection`)
# --------------------------------------------------------------------------------------------


@dataclass
class DatabaseReport:
    """What :func:`inspect_database` found; ``failures`` and ``warnings`` say what to fix.

    Attributes
    ----------
    database, server_version : str
        Masked description of the database and the server's name and version.
    schema_version, expected_schema_version : int or None, int
        The database's schema version (None: never created) and this workbook's.
    tables : dict
        Workbook table → whether it exists.
    row_counts : dict
        Existing workbook table → its number of rows.
    channels : list of dict
        Per channel: ``channel_id``, ``site_id``, ``name``, ``resolution_s``, ``readings``,
        ``first`` and ``last`` (ISO UTC timestamps, None without readings), ``off_grid``.
    duplicates : int or None
        Readings sharing channel and timestamp (None: not checked); ``duplicates_note`` says
        how they were counted, or why there cannot be any.
    orphan_channels : list of int
        Channels whose site is not in ``sites``.
    orphan_readings : int
        Readings whose channel is not in ``channels``; ``orphan_reading_channels`` their ids.
    off_grid : int
        Readings whose timestamp (Unix seconds) is not a multiple of the channel's resolution.
    channels_without_readings : list of int
    failures, warnings : list of str
        One line each, saying what is wrong and how to fix it.
    """

    database: str
    server_version: str
    schema_version: int | None
    expected_schema_version: int = SCHEMA_VERSION
    tables: dict[str, bool] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    channels: list[dict[str, Any]] = field(default_factory=list)
    duplicates: int | None = None
    duplicates_note: str = ""
    orphan_channels: list[int] = field(default_factory=list)
    orphan_readings: int = 0
    orphan_reading_channels: list[int] = field(default_factory=list)
    off_grid: int = 0
    channels_without_readings: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``"failure"``, ``"warning"`` or ``"ok"``."""
        return "failure" if self.failures else "warning" if self.warnings else "ok"

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready plain data (with ``status``)."""
        out = asdict(self)
        out["status"] = self.status
        return out


def _epoch_sql(dialect: str, column: str) -> str:
    """SQL of a readings timestamp column as integer Unix seconds."""
    if dialect == "postgresql":
        return f"CAST(extract(epoch from {column}) AS bigint)"
    return column  # SQLite stores Unix seconds


def _iso_from_seconds(value: Any) -> str | None:
    if value is None:
        return None
    return pd.Timestamp(int(value), unit="s", tz="UTC").isoformat()


def inspect_database(engine: Engine) -> DatabaseReport:
    """Inspect a workbook database: schema, row counts, time ranges and data consistency.

    Reads only. Checks the schema version and that every workbook table exists (failures),
    then counts rows per table and, per channel, readings and their time range; duplicate
    readings (channel and timestamp more than once: impossible under the readings primary key,
    reported as 0 with the reason), channels whose site is not in ``sites``, readings whose
    channel is not in ``channels``, readings off the channel's resolution grid and channels
    without readings (warnings).

    Raises
    ------
    DatabaseUnavailable
        If the database cannot be reached.
    """
    info = check_connection(engine)
    report = DatabaseReport(
        database=info["database"],
        server_version=info["server_version"],
        schema_version=info["schema_version"],
    )
    version = report.schema_version
    if version is None:
        report.failures.append("the workbook schema is missing; run `argo db upgrade` to create it")
    elif version < SCHEMA_VERSION:
        report.failures.append(
            f"schema version {version} is older than this workbook's {SCHEMA_VERSION}; "
            "run `argo db upgrade`"
        )
    elif version > SCHEMA_VERSION:
        report.failures.append(
            f"schema version {version} is newer than this workbook's {SCHEMA_VERSION}; update "
            "the workbook (git pull, then make venv)"
        )
    dialect = engine.dialect.name
    with _connect(engine, begin=False) as conn:
        inspector = sa.inspect(conn)
        present = set(inspector.get_table_names())
        report.tables = {name: name in present for name in metadata.tables}
        if version == SCHEMA_VERSION:  # an older schema lacks tables `argo db upgrade` adds
            missing = [name for name, there in report.tables.items() if not there]
            if missing:
                report.failures.append(
                    f"table{'s' if len(missing) > 1 else ''} {', '.join(missing)} missing "
                    f"although the schema says version {version}: the database was changed by "
                    "hand; restore it from a backup, or move it away and run `argo db upgrade`"
                )
        for name in metadata.tables:
            if name in present:
                report.row_counts[name] = int(
                    conn.exec_driver_sql(f"SELECT count(*) FROM {name}").scalar_one()
                )
        if {"channels", "readings", "sites"} <= present:
            _inspect_readings(conn, inspector, dialect, report)
    return report


def _inspect_readings(
    conn: Connection, inspector: sa.Inspector, dialect: str, report: DatabaseReport
) -> None:
    epoch = _epoch_sql(dialect, 'r."timestamp"')
    remainder = (  # psycopg2 reads a bare % as a parameter: PostgreSQL spells it mod()
        f"mod({epoch}, c.resolution_s)"
        if dialect == "postgresql"
        else f"({epoch}) % c.resolution_s"
    )
    per_channel = {
        int(row[0]): row[1:]
        for row in conn.exec_driver_sql(
            f"SELECT r.channel_id, count(*), min({epoch}), max({epoch}) FROM readings r "
            "GROUP BY r.channel_id"
        ).all()
    }
    off_grid = {
        int(row[0]): int(row[1])
        for row in conn.exec_driver_sql(
            f"SELECT r.channel_id, count(*) FROM readings r JOIN channels c "
            f"ON c.channel_id = r.channel_id WHERE c.resolution_s IS NOT NULL "
            f"AND c.resolution_s > 0 AND {remainder} <> 0 GROUP BY r.channel_id"
        ).all()
    }
    rows = conn.exec_driver_sql(
        "SELECT channel_id, site_id, name, resolution_s FROM channels ORDER BY channel_id"
    ).all()
    known = set()
    for channel_id, site_id, name, resolution in rows:
        cid = int(channel_id)
        known.add(cid)
        count, first, last = per_channel.get(cid, (0, None, None))
        report.channels.append(
            {
                "channel_id": cid,
                "site_id": site_id,
                "name": name,
                "resolution_s": None if resolution is None else int(resolution),
                "readings": int(count),
                "first": _iso_from_seconds(first),
                "last": _iso_from_seconds(last),
                "off_grid": off_grid.get(cid, 0),
            }
        )
        if not count:
            report.channels_without_readings.append(cid)
    report.off_grid = sum(off_grid.values())
    orphans = sorted(cid for cid in per_channel if cid not in known)
    report.orphan_reading_channels = orphans
    report.orphan_readings = sum(int(per_channel[cid][0]) for cid in orphans)
    report.orphan_channels = [
        int(row[0])
        for row in conn.exec_driver_sql(
            "SELECT c.channel_id FROM channels c LEFT JOIN sites s ON s.site_id = c.site_id "
            "WHERE s.site_id IS NULL ORDER BY c.channel_id"
        ).all()
    ]
    keys: list[tuple[str | None, list[str]]] = []
    primary = inspector.get_pk_constraint("readings")
    keys.append((primary.get("name"), list(primary.get("constrained_columns") or [])))
    for constraint in inspector.get_unique_constraints("readings"):
        keys.append((constraint.get("name"), list(constraint.get("column_names") or [])))
    for index in inspector.get_indexes("readings"):
        if index.get("unique"):
            keys.append((index.get("name"), [str(c) for c in index.get("column_names") or []]))
    guard = next(
        (k for k in keys if k[1] and set(k[1]) <= {"channel_id", "timestamp"}),
        None,
    )
    if guard is not None:
        name, columns = guard
        report.duplicates = 0
        report.duplicates_note = (
            f"none possible: the key {name or 'of readings'} on "
            f"({', '.join(columns)}) keeps one reading per channel and timestamp"
        )
    else:
        report.duplicates = int(
            conn.exec_driver_sql(
                "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM readings "
                'GROUP BY channel_id, "timestamp" HAVING count(*) > 1) d'
            ).scalar_one()
        )
        report.duplicates_note = "counted: no key on (channel_id, timestamp)"
    # what is worth a warning
    if report.duplicates:
        report.warnings.append(
            f"{_n(report.duplicates, 'duplicate reading')} (same channel and timestamp); re-create "
            "the readings table with `argo db upgrade` on a new database and re-ingest"
        )
    if report.orphan_channels:
        report.warnings.append(
            f"{_n(len(report.orphan_channels), 'channel')} of sites not in sites (channel id "
            f"{_ids(report.orphan_channels)}); re-run `argo ingest --site ...` for their site"
        )
    if report.orphan_readings:
        report.warnings.append(
            f"{_n(report.orphan_readings, 'reading')} of channels not in channels (channel id "
            f"{_ids(orphans)}); re-run `argo ingest` for their site to fetch the channel list, "
            "or delete them"
        )
    if report.off_grid:
        which = sorted(off_grid)
        report.warnings.append(
            f"{_n(report.off_grid, 'reading')} off their channel's resolution grid (channel id "
            f"{_ids(which)}): their timestamp is not a multiple of resolution_s; check the "
            "source's timestamps (an import with the wrong time zone or resolution)"
        )
    if report.channels_without_readings:
        report.warnings.append(
            f"{_n(len(report.channels_without_readings), 'channel')} without readings (channel id "
            f"{_ids(report.channels_without_readings)}); ingest them, or mark them inactive"
        )


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _ids(values: Sequence[int], limit: int = 10) -> str:
    shown = ", ".join(map(str, values[:limit]))
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


@dataclass
class ConnectionDiagnosis:
    """The outcome of :func:`diagnose_connection`.

    Attributes
    ----------
    ok : bool
    problem : str
        ``"ok"``, ``"bad-url"``, ``"host-unknown"``, ``"port-closed"``, ``"authentication"``,
        ``"database-missing"``, ``"ssl-required"``, ``"ssl-unsupported"``, ``"timeout"``,
        ``"file-missing"``, ``"not-a-database"``, ``"permission"`` or ``"other"``.
    message : str
        One line: what happened and how to fix it; the password is never in it.
    database : str
        The database, described with its password masked.
    server_version : str or None
        When the connection succeeded.
    """

    ok: bool
    problem: str
    message: str
    database: str
    server_version: str | None = None


def classify_connection_error(error: BaseException, engine: Engine) -> tuple[str, str]:
    """Name a failed connection's cause and say how to fix it: ``(problem, message)``.

    Recognises the messages of libpq (psycopg2) and sqlite3 for an unknown host, a closed
    port, a refused password, a missing database, a server that demands SSL (pg_hba.conf
    ``hostssl``: "no pg_hba.conf entry ... SSL off" or "... no encryption"), a server without
    SSL, a timeout, a missing or foreign SQLite file and missing permissions.
    """
    orig: BaseException = error
    if isinstance(error, sa.exc.DBAPIError) and error.orig is not None:
        orig = error.orig
    text = _scrub(_first_line(orig), engine)
    low = str(orig).lower()
    where = describe_database(engine)
    url = engine.url
    host = url.host or "localhost"
    port = url.port or 5432
    if engine.dialect.name == "sqlite":
        if "file is not a database" in low or "file is encrypted" in low:
            return "not-a-database", (
                f"{where} is not an SQLite database ({text}); point --database-url or "
                "DATABASE_URL at the workbook's database file, or move this file away"
            )
        if "unable to open database file" in low or "readonly" in low or "permission" in low:
            return "permission", (
                f"cannot open {where} ({text}); check that its folder exists and that this user "
                "may read and write the file and its folder"
            )
        return "other", f"cannot use {where}: {text}"
    if "could not translate host name" in low or "name or service not known" in low:
        return "host-unknown", (
            f"host {host!r} is unknown (DNS lookup failed) for {where}; check the host name in "
            "DATABASE_URL or --database-url, and the network or VPN this machine is on"
        )
    if "connection refused" in low:
        return "port-closed", (
            f"connection refused by {host}:{port} for {where}: nothing listens on that port; "
            "check that the server is running and the port in the URL is right (default 5432), "
            "and that a firewall lets it through"
        )
    if ("no pg_hba.conf entry" in low or "pg_hba.conf rejects" in low) and (
        "ssl off" in low or "no encryption" in low
    ):
        return "ssl-required", (
            f"{where}: the server accepts only encrypted (SSL) connections from this host; add "
            "?sslmode=require to the URL (postgresql://USER:PASSWORD@HOST:PORT/DB?sslmode=require)"
        )
    if "server does not support ssl" in low:
        return "ssl-unsupported", (
            f"{where}: the URL demands SSL but the server does not offer it; remove sslmode="
            "require (or verify-*) from the URL, or enable ssl on the server"
        )
    if (
        "password authentication failed" in low
        or "no password supplied" in low
        or "authentication failed" in low
        or ("role" in low and "does not exist" in low)
    ):
        user = url.username or "the user"
        return "authentication", (
            f"authentication failed for user {user!r} on {where} ({text}); check the user and "
            "password in DATABASE_URL or --database-url (the password is masked here), or ask "
            "the database administrator to reset them"
        )
    if "database" in low and "does not exist" in low:
        return "database-missing", (
            f"{where} does not exist on the server; fix the database name in the URL, or create "
            f"it (createdb -h {host} -p {port} {url.database}; then `argo db upgrade`)"
        )
    if "no pg_hba.conf entry" in low or "pg_hba.conf rejects" in low:
        return "authentication", (
            f"{where}: the server's pg_hba.conf refuses this host, user or database ({text}); "
            "ask the database administrator to allow it"
        )
    if "timeout expired" in low or "timed out" in low:
        return "timeout", (
            f"no answer from {host}:{port} within the timeout for {where}; check that the "
            "server is up and not overloaded, and that no firewall drops the packets (a VPN?), "
            "or raise --timeout"
        )
    return "other", f"cannot connect to {where}: {text}"


def diagnose_connection(
    url: str | sa.URL | None = None,
    *,
    settings: Settings | None = None,
    timeout_s: float = 10.0,
) -> ConnectionDiagnosis:
    """Try to connect to a database and say in one line what is wrong and how to fix it.

    Never raises for a database problem and never creates an SQLite file: see
    :func:`classify_connection_error` for the problems named.

    Parameters
    ----------
    url : str or sqlalchemy.URL, optional
        As for :func:`get_engine` (default: ``DATABASE_URL``, else the embedded SQLite file).
    timeout_s : float
        Longest wait for a PostgreSQL server to answer [s] (libpq counts whole seconds, at
        least 2).
    """
    try:
        engine = get_engine(url, settings=settings, must_exist=True)
    except DatabaseMissing as exc:
        shown = url if url is not None else "the default database"
        name = _mask_url_text(shown if isinstance(shown, str) else shown.render_as_string())
        return ConnectionDiagnosis(False, "file-missing", str(exc), name)
    except DatabaseConfigError as exc:
        return ConnectionDiagnosis(False, "bad-url", str(exc), "")
    where = describe_database(engine)
    probe = engine
    if engine.dialect.name == "postgresql":
        from sqlalchemy.pool import NullPool

        probe = sa.create_engine(
            engine.url,
            poolclass=NullPool,
            connect_args={
                "connect_timeout": max(int(np.ceil(timeout_s)), 1),
                "options": "-c TimeZone=UTC",
            },
        )
    try:
        with probe.connect() as conn:
            if probe.dialect.name == "sqlite":
                conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar_one()
                server = "SQLite " + conn.exec_driver_sql("select sqlite_version()").scalar_one()
            else:
                server = "PostgreSQL " + conn.exec_driver_sql("show server_version").scalar_one()
    except (sa.exc.DBAPIError, OSError) as exc:
        problem, message = classify_connection_error(exc, engine)
        return ConnectionDiagnosis(False, problem, message, where)
    finally:
        if probe is not engine:
            probe.dispose()
    return ConnectionDiagnosis(True, "ok", f"connected to {where} ({server})", where, server)
