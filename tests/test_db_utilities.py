"""`argo db check` and `argo db test-connection` (issue 12, database utilities).

Each command runs on a healthy database (the demo), an empty one (schema, no data) and broken
ones (a table dropped, wrong credentials, an unreachable or silent server, a file that is not
a database), on SQLite and PostgreSQL where it applies. The PostgreSQL failures use the
session's throwaway cluster: its pg_hba.conf gets two lines for the module (a role that needs a
password, a database that only takes SSL connections), removed afterwards.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from conftest import IN_CI

from argo_lib import cli, db
from argo_lib.pgtemp import TemporaryPostgres
from argo_lib.sim.demo import build_demo_database

DEMO = {"weeks": 2, "end_week": "2026-W47", "resolution_s": 900, "seed": 7}
SECRET = "n0t-the-real-pw-81723"
PW_ROLE = "argo_pw_user"
PW_ROLE_PASSWORD = "right-pw-55122"
SSL_ONLY_DB = "argo_ssl_only"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """``argo argv...``: exit status, stdout and stderr."""
    capsys.readouterr()
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def url_of(engine: sa.Engine) -> str:
    return db.url_for_another_process(engine)


def pg_url(admin_url: str, **parts) -> str:
    return sa.make_url(admin_url).set(**parts).render_as_string(hide_password=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def demo_engine(engine: sa.Engine) -> sa.Engine:
    build_demo_database(engine, **DEMO)
    return engine


def check_json(capsys, url: str) -> tuple[int, dict]:
    status, out, _ = run(capsys, "db", "check", "--json", "--database-url", url)
    return status, json.loads(out)


# --------------------------------------------------------------------------------------------
# argo db check
# --------------------------------------------------------------------------------------------


def test_check_on_the_demo_is_all_good(demo_engine, capsys):
    url = url_of(demo_engine)
    status, out, err = run(capsys, "db", "check", "--database-url", url)
    assert status == 0, err
    assert err == ""
    assert f"schema version:  {db.SCHEMA_VERSION} (this workbook: {db.SCHEMA_VERSION})" in out
    assert "tables:          9 of 9" in out
    assert (
        "duplicates:      0 (none possible: the key pk_readings on (channel_id, timestamp)" in out
    )
    assert "off the grid:    0 readings" in out and "status:          ok" in out
    assert "2026-11-09T05:00:00+00:00 .. 2026-11-23T04:45:00+00:00  RTU-2_WCDS_Wilson Ctr" in out

    status, doc = check_json(capsys, url)
    assert status == 0 and doc["status"] == "ok" and doc["exit_status"] == 0
    assert doc["failures"] == [] and doc["warnings"] == []
    assert len(doc["channels"]) == 8 == doc["row_counts"]["channels"]
    assert sum(ch["readings"] for ch in doc["channels"]) == doc["row_counts"]["readings"] > 10_000
    assert {ch["first"] for ch in doc["channels"]} == {"2026-11-09T05:00:00+00:00"}
    assert {ch["last"] for ch in doc["channels"]} == {"2026-11-23T04:45:00+00:00"}
    assert doc["duplicates"] == 0 and "pk_readings" in doc["duplicates_note"]
    assert doc["orphan_channels"] == [] and doc["orphan_readings"] == 0
    assert doc["off_grid"] == 0 and doc["channels_without_readings"] == []


def _insert_reading(conn: sa.Connection, channel_id: int, seconds: int) -> None:
    ts = "to_timestamp(:ts)" if conn.dialect.name == "postgresql" else ":ts"
    conn.execute(
        sa.text(f'INSERT INTO readings (channel_id, "timestamp", power_kw) VALUES (:c, {ts}, 1.5)'),
        {"c": channel_id, "ts": seconds},
    )


def test_check_counts_injected_off_grid_readings_and_orphans(demo_engine, capsys):
    week_start = 1763701200  # 2026-11-21 05:00 UTC, inside the demo, on the 900 s grid
    with demo_engine.begin() as conn:
        _insert_reading(conn, 162119, week_start + 7)  # off the grid
        _insert_reading(conn, 162120, week_start + 450)  # off the grid
        _insert_reading(conn, 999, week_start)  # channel 999 is not in channels
        _insert_reading(conn, 999, week_start + 900)
    # a channel of a site that is not in sites: the foreign key refuses it, unless it is off
    ghost = sa.text(
        "INSERT INTO channels (channel_id, site_id, name, resolution_s, role, is_energy, "
        "active, updated_at) VALUES (777, 'nosite', 'ghost', 900, 'sub', :t, :t, :now)"
    )
    values = {"t": True, "now": "2026-11-23T00:00:00+00:00"}
    with demo_engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql("SET session_replication_role = replica")
            conn.execute(ghost, values)
            conn.exec_driver_sql("SET session_replication_role = DEFAULT")
        else:  # a pragma outside a transaction
            conn.exec_driver_sql("PRAGMA foreign_keys = OFF")
            conn.execute(ghost, values)
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.commit()
    url = url_of(demo_engine)

    status, doc = check_json(capsys, url)
    assert status == 1 and doc["status"] == "warning" and doc["failures"] == []
    assert doc["off_grid"] == 2
    by_id = {ch["channel_id"]: ch for ch in doc["channels"]}
    assert by_id[162119]["off_grid"] == 1 and by_id[162120]["off_grid"] == 1
    assert by_id[162121]["off_grid"] == 0
    assert doc["orphan_readings"] == 2 and doc["orphan_reading_channels"] == [999]
    assert doc["orphan_channels"] == [777]
    assert doc["channels_without_readings"] == [777] and by_id[777]["readings"] == 0
    assert doc["duplicates"] == 0  # the primary key keeps them out

    status, out, err = run(capsys, "db", "check", "--database-url", url)
    assert status == 1
    assert (
        "warning: 2 readings off their channel's resolution grid (channel id 162119, 162120)" in err
    )
    assert "warning: 2 readings of channels not in channels (channel id 999)" in err
    assert "warning: 1 channel of sites not in sites (channel id 777)" in err
    assert "warning: 1 channel without readings (channel id 777)" in err
    assert "orphans:         1 channels without their site, 2 readings without their channel" in out
    assert "status:          warning" in out


def test_check_on_an_empty_database(engine, capsys):
    url = url_of(engine)
    status, out, err = run(capsys, "db", "check", "--database-url", url)
    assert status == 0, err
    assert "without data:    0 channels" in out and "status:          ok" in out
    status, doc = check_json(capsys, url)
    assert status == 0 and doc["channels"] == [] and doc["row_counts"]["readings"] == 0
    assert all(doc["tables"].values()) and doc["schema_version"] == db.SCHEMA_VERSION


def test_check_without_a_schema_fails(database_url, capsys):
    db.get_engine(database_url).connect().close()  # the database exists (an empty file)
    status, doc = check_json(capsys, database_url)
    assert status == 2 and doc["status"] == "failure" and doc["schema_version"] is None
    assert "`argo db upgrade`" in doc["failures"][0]
    status, out, err = run(capsys, "db", "check", "--database-url", database_url)
    assert status == 2 and "failure: the workbook schema is missing" in err


def test_check_with_a_table_dropped_fails(demo_engine, capsys):
    with demo_engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE readings")
    url = url_of(demo_engine)
    status, out, err = run(capsys, "db", "check", "--database-url", url)
    assert status == 2
    assert "tables:          8 of 9 (missing: readings)" in out
    assert "failure: table readings missing although the schema says version 3" in err
    status, doc = check_json(capsys, url)
    assert status == 2 and doc["tables"]["readings"] is False and doc["channels"] == []
    assert "readings" not in doc["row_counts"] and doc["row_counts"]["channels"] == 8


def test_check_of_an_unreachable_server_is_one_line_without_the_password(capsys):
    url = f"postgresql://argo:{SECRET}@argo-no-such-host.invalid:5432/energy"
    status, out, err = run(capsys, "db", "check", "--database-url", url)
    assert status == 1  # as before: DatabaseUnavailable, worth a retry
    assert "cannot connect to PostgreSQL database 'energy' on argo-no-such-host.invalid" in err
    assert SECRET not in out + err and err.count("\n") == 1


# --------------------------------------------------------------------------------------------
# argo db test-connection
# --------------------------------------------------------------------------------------------


def test_test_connection_succeeds_on_both_backends(engine, capsys):
    status, out, err = run(capsys, "db", "test-connection", "--database-url", url_of(engine))
    assert status == 0 and err == ""
    assert out.startswith("ok: connected to ") and out.count("\n") == 1
    assert ("SQLite 3." if engine.dialect.name == "sqlite" else "PostgreSQL 1") in out


def test_test_connection_sqlite_failures(tmp_path, capsys):
    missing = tmp_path / "typo.sqlite"
    status, out, err = run(
        capsys, "db", "test-connection", "--database-url", f"sqlite:///{missing}"
    )
    assert status == 2 and "file-missing: there is no database at" in err
    assert not missing.exists()  # never created
    junk = tmp_path / "notes.sqlite"
    junk.write_text("these are notes, not a database\n" * 100)
    status, out, err = run(capsys, "db", "test-connection", "--database-url", f"sqlite:///{junk}")
    assert status == 2 and out == ""
    assert "not-a-database:" in err and "is not an SQLite database" in err
    assert "move this file away" in err and err.count("\n") == 1


def test_test_connection_bad_url_is_masked(capsys):
    url = f"postgresql://argo:{SECRET}@db:notaport/energy"
    status, out, err = run(capsys, "db", "test-connection", "--database-url", url)
    assert status == 2 and "bad-url:" in err and "the port is not a number" in err
    assert SECRET not in out + err and "argo:***@db" in err


@pytest.fixture(scope="module")
def pg_hba() -> Iterator[str]:
    """A cluster of its own with a role that needs a password and a database that needs SSL.

    The two ``pg_hba.conf`` lines are in place before the server starts: nothing waits for a
    configuration reload.
    """
    if os.environ.get("ARGO_TEST_DATABASE_URL"):
        pytest.skip("the external test server's pg_hba.conf is not this test's to change")
    lines = (f"hostnossl {SSL_ONLY_DB} all all reject", f"host all {PW_ROLE} all scram-sha-256")
    try:
        cluster = TemporaryPostgres(hba_lines=lines)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        if IN_CI:
            pytest.fail(f"no PostgreSQL for tests: {exc}")
        pytest.skip(f"no PostgreSQL for tests: {exc}")
    with cluster:
        admin = sa.create_engine(cluster.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE ROLE {PW_ROLE} LOGIN PASSWORD '{PW_ROLE_PASSWORD}'")
        admin.dispose()
        yield cluster.admin_url


def _pg_failure_cases(admin_url: str) -> dict[str, tuple[str, str, str]]:
    """Case → (URL, problem, a phrase of the fix)."""
    return {
        "wrong password": (
            pg_url(admin_url, username=PW_ROLE, password=SECRET),
            "authentication",
            "check the user and password",
        ),
        "missing database": (
            pg_url(admin_url, database="argo_no_such_db", password=SECRET),
            "database-missing",
            "createdb -h 127.0.0.1",
        ),
        "closed port": (
            pg_url(admin_url, port=free_port(), password=SECRET),
            "port-closed",
            "check that the server is running",
        ),
        "unknown host": (
            pg_url(admin_url, host="argo-no-such-host.invalid", password=SECRET),
            "host-unknown",
            "check the host name",
        ),
        "SSL required": (
            pg_url(admin_url, database=SSL_ONLY_DB, password=SECRET),
            "ssl-required",
            "add ?sslmode=require",
        ),
    }


def test_test_connection_postgres_failures(pg_hba, capsys):
    right = pg_url(pg_hba, username=PW_ROLE, password=PW_ROLE_PASSWORD)
    status, out, _ = run(capsys, "db", "test-connection", "--database-url", right)
    assert status == 0 and "ok: connected to PostgreSQL database" in out
    assert PW_ROLE_PASSWORD not in out and "(password ***)" in out
    for case, (url, problem, fix) in _pg_failure_cases(pg_hba).items():
        status, out, err = run(capsys, "db", "test-connection", "--database-url", url)
        assert status == 2, case
        assert out == "" and err.count("\n") == 1, (case, err)
        assert err.startswith(f"argo db test-connection: {problem}: "), (case, err)
        assert fix in err, (case, err)
        assert SECRET not in err and "Traceback" not in err, case


def test_db_check_with_wrong_credentials(pg_hba, capsys):
    url = pg_url(pg_hba, username=PW_ROLE, password=SECRET)
    status, out, err = run(capsys, "db", "check", "--database-url", url)
    assert status == 1 and "password authentication failed" in err
    assert SECRET not in out + err and "(password ***)" in err


class _FakePsycopgError(Exception):
    """Stands in for psycopg2.OperationalError (its text is libpq's)."""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (  # PostgreSQL 13 and older, and servers that say so: hostssl only, client without SSL
            'connection to server at "db.example.com" (10.0.0.5), port 5432 failed: FATAL:  no '
            'pg_hba.conf entry for host "10.0.0.9", user "argo", database "energy", SSL off',
            "ssl-required",
        ),
        (  # PostgreSQL 14 and later
            'FATAL:  no pg_hba.conf entry for host "10.0.0.9", user "argo", database "energy", '
            "no encryption",
            "ssl-required",
        ),
        ("server does not support SSL, but SSL was required", "ssl-unsupported"),
        ('FATAL:  password authentication failed for user "argo"', "authentication"),
        ('FATAL:  database "energy" does not exist', "database-missing"),
        ("timeout expired", "timeout"),
        ('could not translate host name "x.invalid" to address', "host-unknown"),
    ],
)
def test_libpq_messages_are_recognised(text, problem):
    engine = sa.create_engine(f"postgresql+psycopg2://argo:{SECRET}@db.example.com/energy")
    error = sa.exc.OperationalError("connect", {}, _FakePsycopgError(text + f" {SECRET}"))
    found, message = db.classify_connection_error(error, engine)
    assert found == problem
    assert SECRET not in message


def test_check_of_an_old_schema_says_upgrade(engine, capsys):
    with engine.begin() as conn:
        conn.execute(sa.delete(db.schema_versions).where(db.schema_versions.c.version == 3))
    status, out, err = run(capsys, "db", "check", "--database-url", url_of(engine))
    assert status == 2
    assert f"failure: schema version 2 is older than this workbook's {db.SCHEMA_VERSION}" in err
    assert "`argo db upgrade`" in err and "missing although" not in err
