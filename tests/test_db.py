"""Storage tests; every test taking ``engine`` runs on SQLite and on PostgreSQL."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import dead_pid

from argo_lib import db
from argo_lib.config import load_site
from argo_lib.errors import UsageError
from argo_lib.fields import READING_COLUMNS

SITE = "23271"


def _channels(ids, *, resolution_s=900, site_id=SITE) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": ids,
            "site_id": site_id,
            "name": [f"channel {i}" for i in ids],
            "resolution_s": resolution_s,
            "role": "sub",
        }
    )


@pytest.fixture
def seeded(engine):
    db.upsert_site(engine, load_site(SITE))
    db.upsert_channels(engine, _channels([1, 2, 3]))
    return engine


def _readings(
    rng,
    *,
    channels=(1, 2, 3),
    start="2026-03-07",
    periods=96 * 3,
    columns=("energy_kwh", "power_kw"),
):
    index = pd.date_range(start, periods=periods, freq="15min", tz="America/New_York")
    frames = []
    for channel in channels:
        frame = pd.DataFrame({"timestamp": index, "channel_id": channel})
        for column in columns:
            frame[column] = rng.random(periods) * 10.0 ** rng.integers(-3, 4, periods)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM readings")).scalar_one()


def test_upgrade_creates_schema_and_is_idempotent(database_url):
    engine = db.get_engine(database_url)
    assert db.schema_version(engine) is None
    assert db.upgrade(engine) == db.SCHEMA_VERSION
    assert db.upgrade(engine) == db.SCHEMA_VERSION
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT version FROM schema_version")).scalars().all()
        tables = set(sa.inspect(conn).get_table_names())
    assert rows == list(range(1, db.SCHEMA_VERSION + 1))
    assert {"sites", "devices", "channels", "readings", "ingestion_runs", "ingestion_windows",
            "rejected_readings", "schema_version"} <= tables  # fmt: skip
    engine.dispose()


def test_upgrade_refuses_a_newer_database(engine):
    with engine.begin() as conn:
        conn.execute(
            db.schema_versions.insert().values(
                version=db.SCHEMA_VERSION + 1,
                applied_at=pd.Timestamp.now(tz="UTC"),
                description="future",
            )
        )
    with pytest.raises(db.SchemaError, match=r"newer than this workbook's"):
        db.upgrade(engine)
    with pytest.raises(db.SchemaError, match="db upgrade"):
        db.read_channels(engine)


def test_functions_refuse_a_database_without_schema(database_url):
    engine = db.get_engine(database_url)
    with pytest.raises(db.SchemaError, match="argo db upgrade"):
        db.read_readings(engine, site_id=SITE)
    engine.dispose()


def test_readings_round_trip_exactly(seeded, rng):
    frame = _readings(rng, columns=READING_COLUMNS)
    frame.loc[rng.random(len(frame)) < 0.2, "voltage_v"] = np.nan  # NULL stays NULL
    frame.loc[5, "power_kw"] = 0.0  # a real zero stays zero
    frame["cost"] = np.round(frame["cost"], 6)  # cost is stored as an exact decimal
    assert db.upsert_readings(seeded, frame) == len(frame)
    back = db.read_readings(seeded, site_id=SITE, columns="all")
    expected = frame.assign(
        timestamp=frame["timestamp"].dt.tz_convert("UTC").astype("datetime64[us, UTC]")
    )
    expected = expected.sort_values(["channel_id", "timestamp"], ignore_index=True)[back.columns]
    # Exact: the database must give back the very floats and instants it was given.
    pd.testing.assert_frame_equal(back, expected, check_exact=True)
    assert back.loc[back["timestamp"] == expected.loc[5, "timestamp"], "power_kw"].iloc[0] == 0.0
    assert str(back["timestamp"].dtype) == "datetime64[us, UTC]"


def test_reupsert_is_idempotent_and_updates_only_given_columns(seeded, rng):
    frame = _readings(rng)
    db.upsert_readings(seeded, frame)
    db.upsert_readings(seeded, frame)
    assert _count(seeded) == len(frame)
    # A later fetch with only voltage fills that column and keeps energy and power.
    extra = frame[["timestamp", "channel_id"]].assign(voltage_v=120.5)
    db.upsert_readings(seeded, extra)
    back = db.read_readings(seeded, site_id=SITE, columns=["energy_kwh", "power_kw", "voltage_v"])
    assert _count(seeded) == len(frame)
    assert (back["voltage_v"] == 120.5).all()
    np.testing.assert_array_equal(
        back["energy_kwh"].to_numpy(),
        frame.sort_values(["channel_id", "timestamp"])["energy_kwh"].to_numpy(),
    )


def test_duplicates_in_a_batch_collapse_last_wins(seeded):
    ts = pd.Timestamp("2026-11-01 05:00", tz="UTC")
    frame = pd.DataFrame(
        {"timestamp": [ts, ts, ts], "channel_id": [1, 1, 2], "energy_kwh": [1.0, 2.0, 3.0]}
    )
    assert db.upsert_readings(seeded, frame) == 2
    back = db.read_readings(seeded, channel_ids=[1, 2], columns=["energy_kwh"])
    assert back["energy_kwh"].tolist() == [2.0, 3.0]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2026-03-08 00:00", "2026-03-09 00:00", 23 * 4),  # spring-forward day: 23 local hours
        ("2026-03-07 00:00", "2026-03-08 00:00", 24 * 4),
        ("2026-03-07 06:00", "2026-03-07 06:15", 1),  # half-open: one interval
    ],
    ids=["dst-day", "ordinary-day", "one-interval"],
)
def test_read_period_is_half_open_in_local_time(seeded, rng, start, end, expected):
    db.upsert_readings(seeded, _readings(rng, channels=[1]))
    tz = "America/New_York"
    back = db.read_readings(
        seeded, site_id=SITE, start=pd.Timestamp(start, tz=tz), end=pd.Timestamp(end, tz=tz)
    )
    assert len(back) == expected
    assert back["timestamp"].min() == pd.Timestamp(start, tz=tz)


def test_read_filters_by_site_and_channel(seeded, rng):
    db.upsert_site(seeded, {"site_id": "99", "name": "Other", "timezone": "Europe/London"})
    db.upsert_channels(seeded, _channels([7], site_id="99"))
    db.upsert_readings(seeded, _readings(rng, channels=[1, 2, 7], periods=4))
    assert sorted(db.read_readings(seeded, site_id=SITE)["channel_id"].unique()) == [1, 2]
    assert db.read_readings(seeded, site_id="99")["channel_id"].unique().tolist() == [7]
    assert db.read_readings(seeded, channel_ids=[2])["channel_id"].unique().tolist() == [2]
    assert db.read_readings(seeded, channel_ids=[]).empty
    empty = db.read_readings(seeded, site_id="nope")
    assert empty.empty and list(empty.columns) == [
        "timestamp",
        "channel_id",
        "energy_kwh",
        "power_kw",
    ]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (
            pd.DataFrame(
                {"timestamp": [pd.Timestamp("2026-01-01")], "channel_id": [1], "power_kw": [1.0]}
            ),
            "not timezone-aware",
        ),
        (
            pd.DataFrame(
                {
                    "timestamp": [pd.Timestamp("2026-01-01", tz="UTC")],
                    "channel_id": [1],
                    "power_w": [1.0],
                }
            ),
            "unknown columns",
        ),
        (
            pd.DataFrame(
                {
                    "timestamp": [pd.Timestamp("2026-01-01", tz="UTC")],
                    "channel_id": [42],
                    "power_kw": [1.0],
                }
            ),
            "unknown channels",
        ),
        (
            pd.DataFrame(
                {
                    "timestamp": [pd.Timestamp("2026-01-01 00:00:00.5", tz="UTC")],
                    "channel_id": [1],
                    "power_kw": [1.0],
                }
            ),
            "sub-second",
        ),
    ],
    ids=["naive", "unknown-column", "unknown-channel", "sub-second"],
)
def test_bad_readings_are_refused_and_nothing_is_written(seeded, frame, message):
    with pytest.raises(ValueError, match=message):
        db.upsert_readings(seeded, frame)
    assert _count(seeded) == 0


def test_channel_resolution_cannot_change_under_readings(seeded, rng):
    db.upsert_readings(seeded, _readings(rng, channels=[1], periods=4))
    with pytest.raises(ValueError, match="mixing resolutions double-counts") as info:
        db.upsert_channels(seeded, _channels([1], resolution_s=3600))
    assert isinstance(info.value, UsageError)  # a setting to fix (exit 2), not a crash
    db.upsert_channels(seeded, _channels([2], resolution_s=3600))  # no readings yet: allowed
    channels = db.read_channels(seeded, site_id=SITE).set_index("channel_id")
    assert channels.loc[1, "resolution_s"] == 900
    assert channels.loc[2, "resolution_s"] == 3600


def test_runs_windows_and_rejected_readings(seeded):
    start = pd.Timestamp("2026-11-16", tz="America/New_York")
    end = start + pd.Timedelta(days=7)
    run = db.start_run(
        seeded,
        source="test",
        site_id=SITE,
        period_start=start,
        period_end=end,
        parameters={"days": 7},
    )
    windows = pd.DataFrame(
        {
            "channel_id": [1, 2],
            "window_start": [start, start],
            "window_end": [start + pd.Timedelta(days=1)] * 2,
            "status": ["success", "failure"],
            "fetched": [96, 0],
            "inserted": [95, 0],
            "rejected": [1, 0],
            "error": [None, "HTTP 500"],
        }  # fmt: skip
    )
    assert db.write_windows(seeded, run, windows) == 2
    rejected = pd.DataFrame(
        {
            "channel_id": [1, 1],
            "timestamp": [start, pd.NaT],
            "field": ["power_kw", "timestamp"],
            "raw_value": ["-5000", "abc"],
            "reason": ["power_kw outside [0, 5000] kW", "no usable ts"],
        }  # fmt: skip
    )
    assert db.write_rejected(seeded, rejected, run_id=run) == 2
    counts = dict(channels_requested=2, channels_failed=1, rows_received=96, rows_written=95)
    db.finish_run(
        seeded, run, status="partial", rows_rejected=1, error="channel 2: HTTP 500", **counts
    )
    runs = db.read_runs(seeded, site_id=SITE)
    assert runs.loc[0, ["status", "rows_written", "channels_failed"]].tolist() == ["partial", 95, 1]
    assert runs.loc[0, "finished_at"] >= runs.loc[0, "started_at"]
    back = db.read_rejected(seeded, site_id=SITE)
    assert back["raw_value"].tolist() == ["-5000", "abc"]
    assert back.loc[0, "timestamp"] == start
    assert pd.isna(back.loc[1, "timestamp"])
    assert (
        len(db.read_rejected(seeded, site_id=SITE, start=start, end=start + pd.Timedelta(hours=1)))
        == 1
    )
    with pytest.raises(ValueError, match="status"):
        db.finish_run(seeded, run, status="done")


def test_last_reading_times(seeded, rng):
    frame = _readings(rng, channels=[1, 2], periods=8)
    db.upsert_readings(seeded, frame)
    last = db.last_reading_times(seeded, site_id=SITE).set_index("channel_id")
    assert last.loc[1, "readings"] == 8
    assert last.loc[2, "last_timestamp"] == frame["timestamp"].max()
    assert 3 not in last.index


def test_unreachable_postgres_names_host_and_masks_password():
    port = 1  # nothing listens on port 1
    engine = db.get_engine(f"postgresql://argo:hunter2secret@127.0.0.1:{port}/energy")
    with pytest.raises(db.DatabaseUnavailable) as info:
        db.check_connection(engine)
    message = str(info.value)
    assert "'energy' on 127.0.0.1:1" in message
    assert "hunter2secret" not in message and "password ***" in message
    assert "DATABASE_URL" in message
    engine.dispose()


def test_check_connection_reports_versions(engine):
    info = db.check_connection(engine)
    assert info["schema_version"] == db.SCHEMA_VERSION
    assert info["server_version"].split()[0] in ("SQLite", "PostgreSQL")


def test_default_engine_is_an_embedded_sqlite_file(tmp_path):
    from argo_lib.config import Settings

    path = tmp_path / "sub" / "argo.sqlite"
    engine = db.get_engine(settings=Settings(sqlite_path=path))
    db.upgrade(engine)
    assert path.is_file()
    engine.dispose()


def test_weather_round_trip_and_upsert(seeded):
    index = pd.date_range("2026-11-01", periods=30, freq="h", tz="America/New_York")
    frame = pd.DataFrame({"timestamp": index, "temperature_c": np.linspace(-3.5, 12.25, 30)})
    frame.loc[4, "temperature_c"] = np.nan
    assert db.upsert_weather(seeded, frame, site_id=SITE) == 30
    assert db.upsert_weather(seeded, frame.iloc[:5].assign(temperature_c=1.5), site_id=SITE) == 5
    back = db.read_weather(seeded, site_id=SITE, start=index[0], end=index[-1])
    assert len(back) == 29  # half-open
    assert (
        back["temperature_c"].iloc[:5].isna().tolist() == [False] * 5
        and (back["temperature_c"].iloc[:5] == 1.5).all()
    )
    np.testing.assert_array_equal(
        back["temperature_c"].iloc[5:].to_numpy(), frame["temperature_c"].iloc[5:29].to_numpy()
    )
    assert db.read_weather(seeded, site_id="nope").empty


def test_upgrade_from_version_1_keeps_data(database_url):
    engine = db.get_engine(database_url)
    with engine.begin() as conn:  # a database written by schema version 1
        db.schema_versions.create(conn)
        db._migrate_to_1(conn)
        conn.execute(
            db.schema_versions.insert().values(
                version=1, applied_at=pd.Timestamp.now(tz="UTC"), description="v1"
            )
        )
        conn.execute(
            db.sites.insert().values(
                site_id=SITE, name="W", timezone="UTC", updated_at=pd.Timestamp.now(tz="UTC")
            )
        )
    assert db.schema_version(engine) == 1
    with pytest.raises(db.SchemaError, match="run `argo db upgrade`"):
        db.read_weather(engine, site_id=SITE)
    assert db.upgrade(engine) == db.SCHEMA_VERSION == 3
    assert db.read_sites(engine)["site_id"].tolist() == [SITE]
    assert db.read_weather(engine, site_id=SITE).empty
    engine.dispose()


def _version_2(engine) -> None:
    """A database as schema version 2 wrote it: no run holder or heartbeat."""
    with engine.begin() as conn:
        db.schema_versions.create(conn)
        db._migrate_to_1(conn)
        db._migrate_to_2(conn)
        for table, column in (
            ("ingestion_runs", "holder"),
            ("ingestion_runs", "heartbeat_at"),
            ("rejected_readings", "location"),
        ):
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        for version in (1, 2):
            conn.execute(
                db.schema_versions.insert().values(
                    version=version, applied_at=pd.Timestamp.now(tz="UTC"), description="old"
                )
            )
        conn.exec_driver_sql(
            "INSERT INTO ingestion_runs (source, started_at, status) "
            "VALUES ('eniscope', '2026-11-30T06:00:00+00:00', 'running')"
        )


def test_upgrade_from_version_2_adds_the_run_holder_and_reaps_old_runs(database_url):
    engine = db.get_engine(database_url)
    _version_2(engine)
    assert db.schema_version(engine) == 2
    assert db.upgrade(engine) == 3
    runs = db.read_runs(engine)
    assert {"holder", "heartbeat_at"} <= set(runs.columns)
    assert "location" in db.read_rejected(engine).columns
    assert runs["status"].tolist() == ["running"]  # the upgrade changes no run
    # a run of an older workbook: no holder, no heartbeat; its process cannot be asked
    assert db.reap_abandoned_runs(engine) == [int(runs["run_id"].iloc[0])]
    run = db.read_runs(engine).iloc[0]
    assert run["status"] == "failed"
    assert run["error"].startswith("abandoned: its process stopped without finishing")
    assert run["finished_at"] == pd.Timestamp("2026-11-30T06:00:00Z")
    engine.dispose()


def _log_window(engine, run_id: int, *, channel_id: int, **counts: int) -> None:
    window = {
        "channel_id": channel_id,
        "window_start": pd.Timestamp("2026-11-01", tz="UTC"),
        "window_end": pd.Timestamp("2026-11-02", tz="UTC"),
        "status": "success",
        "error": None,
    }
    db.write_windows(engine, run_id, pd.DataFrame([window | counts]))


def test_a_killed_run_is_marked_failed_by_the_next_run(engine):
    import socket

    first = db.start_run(engine, source="eniscope", site_id=None)
    live = db.start_run(engine, source="eniscope", site_id=None)
    pid = dead_pid()  # a process of this host that has exited
    with engine.begin() as conn:
        conn.execute(
            db.ingestion_runs.update()
            .where(db.ingestion_runs.c.run_id == first)
            .values(holder=f"{socket.gethostname()}:{pid}")
        )
    _log_window(engine, live, channel_id=1, fetched=1, inserted=1, rejected=0)
    # what the killed run had logged before it died: a window, and two rejected values
    _log_window(engine, first, channel_id=2, fetched=24, inserted=22, rejected=2)
    db.write_rejected(
        engine,
        pd.DataFrame(
            {"channel_id": 2, "timestamp": [pd.Timestamp("2026-11-01T03:00Z")] * 2,
             "field": ["energy_kwh", "power_kw"], "raw_value": ["-1", "-4"], "reason": "r"}
        ),
        run_id=first,
    )  # fmt: skip
    with engine.begin() as conn:  # the window log's heartbeat was its last sign of life
        conn.execute(
            db.ingestion_runs.update()
            .where(db.ingestion_runs.c.run_id == first)
            .values(holder=f"{socket.gethostname()}:{pid}")
        )
    third = db.start_run(engine, source="eniscope", site_id=None)  # reaps before it starts
    runs = db.read_runs(engine).set_index("run_id")
    assert runs.loc[first, "status"] == "failed"
    # its counts are what it logged: the log and the ledger agree
    assert runs.loc[first, ["rows_received", "rows_written", "rows_rejected"]].tolist() == [
        24,
        22,
        2,
    ]
    assert f":{pid} stopped without finishing" in runs.loc[first, "error"]
    assert runs.loc[first, "finished_at"] == runs.loc[first, "heartbeat_at"]
    # this process's own runs are alive, whatever their age
    assert runs.loc[live, "status"] == "running" and runs.loc[third, "status"] == "running"
    assert runs.loc[live, "heartbeat_at"] >= runs.loc[live, "started_at"]
    assert db.reap_abandoned_runs(engine) == []  # nothing more to do: idempotent


def test_a_run_of_another_host_is_dead_only_after_a_long_silence(engine):
    run_id = db.start_run(engine, source="eniscope", site_id=None)
    recent = pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=30)
    old = pd.Timestamp.now(tz="UTC") - db.STALE_RUN_AFTER - pd.Timedelta(minutes=1)
    for heartbeat, reaped in ((recent, []), (old, [run_id])):
        with engine.begin() as conn:
            conn.execute(
                db.ingestion_runs.update()
                .where(db.ingestion_runs.c.run_id == run_id)
                .values(holder="elsewhere.example:4242", heartbeat_at=heartbeat.to_pydatetime())
            )
        assert db.reap_abandoned_runs(engine) == reaped


def test_concurrent_first_upgrades_all_succeed(database_url, tmp_path):
    # four cron jobs upgrading a new database at once: each must succeed, the schema be
    # created once (SQLite: several new files, one after the other, to meet in the race)
    import subprocess
    import sys

    if database_url.startswith("sqlite"):
        urls = [f"sqlite:///{tmp_path / f'race{i}.sqlite'}" for i in range(8)]
    else:
        urls = [database_url]
    code = (
        "import sys\nfrom argo_lib import db\n"
        f"for url in {urls!r}:\n"
        "    assert db.upgrade(db.get_engine(url)) == db.SCHEMA_VERSION\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stderr=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    errors = [p.communicate()[1] for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, "".join(errors)[-2000:]
    for url in urls:
        engine = db.get_engine(url)
        with engine.connect() as conn:
            versions = conn.execute(sa.text("SELECT version FROM schema_version")).scalars()
            assert sorted(versions) == list(range(1, db.SCHEMA_VERSION + 1))
        engine.dispose()


# --- one-line errors and bounded waits (issue 10) ---


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://argo:s3cret@db:notaport/energy", "is not valid (the port is not a number)"),
        ("::::", "is not valid (Could not parse SQLAlchemy URL"),
        ("postgresql+nodriver://argo:s3cret@db/energy", "unknown database driver"),
        ("mysql://argo:s3cret@db/energy", "unsupported database 'mysql'"),
    ],
    ids=["port", "garbage", "driver", "mysql"],
)
def test_a_bad_database_url_is_a_configuration_error(url, message):
    with pytest.raises(db.DatabaseConfigError, match=re.escape(message)) as info:
        db.get_engine(url)
    assert info.value.exit_code == 2
    assert "s3cret" not in str(info.value)
    assert "\n" not in str(info.value)


def test_a_file_that_is_not_a_database_is_named(tmp_path):
    path = tmp_path / "notes.sqlite"
    path.write_text("hello, not a database\n")
    engine = db.get_engine(f"sqlite:///{path}", must_exist=True)
    with pytest.raises(db.DatabaseConfigError, match="is not an SQLite database") as info:
        db.check_connection(engine)
    assert str(path) in str(info.value) and info.value.exit_code == 2
    engine.dispose()


def _no_wait_engine(url):
    from argo_lib.config import Settings

    return db.get_engine(url, settings=Settings(db_lock_timeout_s=0.0))


def test_a_database_locked_by_another_process_is_one_line_and_exit_1(database_url):
    engine = db.get_engine(database_url)
    db.upgrade(engine)
    other = _no_wait_engine(database_url)
    holder = engine.connect()
    try:  # another writer holds the database (SQLite) or the table (PostgreSQL)
        if engine.dialect.name == "sqlite":
            holder.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            holder.begin()
            holder.exec_driver_sql("LOCK TABLE sites IN ACCESS EXCLUSIVE MODE")
        with pytest.raises(db.DatabaseBusy) as info:
            db.upsert_site(other, {"site_id": "9", "name": "T", "timezone": "UTC"})
    finally:
        holder.rollback()
        holder.close()
    text = str(info.value)
    assert info.value.exit_code == 1 and "\n" not in text
    assert "retry when it has finished" in text and "ARGO_DB_LOCK_TIMEOUT_S" in text
    assert "waited 0 s" in text
    # once the lock is gone the same command works
    db.upsert_site(other, {"site_id": "9", "name": "T", "timezone": "UTC"})
    assert db.read_sites(engine)["site_id"].tolist() == ["9"]
    other.dispose()
    engine.dispose()


def test_a_role_without_create_on_public_gets_what_to_grant(postgres_url):
    url = sa.make_url(postgres_url)
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    role = f"reader_{url.database}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD 'pw-{role}'")
        conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA public FROM PUBLIC, {role}")
    try:
        limited = db.get_engine(url.set(username=role, password=f"pw-{role}"))
        with pytest.raises(db.DatabaseConfigError) as info:
            db.upgrade(limited)
        text = str(info.value)
        assert f"GRANT CREATE ON SCHEMA public TO {role}" in text
        assert "permission denied" in text and f"pw-{role}" not in text
        assert info.value.exit_code == 2
        limited.dispose()
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
        admin.dispose()


def test_the_lock_wait_is_configured_from_the_environment():
    from argo_lib.config import ConfigError, get_settings

    settings = get_settings(env_file="/nonexistent", environ={"ARGO_DB_LOCK_TIMEOUT_S": "5"})
    assert settings.db_lock_timeout_s == 5.0 and settings.db_statement_timeout_s == 1800.0
    with pytest.raises(ConfigError, match="ARGO_DB_LOCK_TIMEOUT_S must be a number of seconds"):
        get_settings(env_file="/nonexistent", environ={"ARGO_DB_LOCK_TIMEOUT_S": "soon"})
