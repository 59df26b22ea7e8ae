"""The operator command line and the demo database (both backends)."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

from argo_lib import cli, db


def _all_command_paths(parser, prefix=()):
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _all_command_paths(sub, (*prefix, name))


@pytest.mark.parametrize("path", list(_all_command_paths(cli.build_parser())), ids=" ".join)
def test_every_command_has_help(path, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main([*path, "--help"])
    assert info.value.code == 0
    assert "usage: argo" in capsys.readouterr().out


def test_python_dash_m_runs_the_cli():
    done = subprocess.run(
        [sys.executable, "-m", "argo_lib", "--help"], capture_output=True, text=True, check=True
    )
    assert "demo" in done.stdout and "db" in done.stdout


def test_db_upgrade_and_check(database_url, capsys):
    assert cli.main(["db", "check", "--database-url", database_url]) == 2  # fix: upgrade
    assert "`argo db upgrade`" in capsys.readouterr().err
    assert cli.main(["db", "upgrade", "--database-url", database_url]) == 0
    assert f"upgraded from none to version {db.SCHEMA_VERSION}" in capsys.readouterr().out
    assert cli.main(["db", "upgrade", "--database-url", database_url]) == 0
    assert "up to date" in capsys.readouterr().out
    assert cli.main(["db", "check", "--database-url", database_url]) == 0


def test_db_check_marks_runs_whose_process_died(database_url, capsys):
    engine = db.get_engine(database_url)
    db.upgrade(engine)
    run_id = db.start_run(engine, source="eniscope")
    with engine.begin() as conn:  # as if its process were on another host, silent for a day
        conn.execute(
            db.ingestion_runs.update()
            .where(db.ingestion_runs.c.run_id == run_id)
            .values(
                holder="cron.example:17",
                heartbeat_at=(pd.Timestamp.now(tz="UTC") - pd.Timedelta(days=1)).to_pydatetime(),
            )
        )
    capsys.readouterr()
    assert cli.main(["db", "check", "--database-url", database_url]) == 0
    out = capsys.readouterr().out
    assert f"1 abandoned run marked as failed (run id {run_id})" in out
    assert db.read_runs(engine)["status"].tolist() == ["failed"]
    assert cli.main(["db", "check", "--database-url", database_url]) == 0
    assert "abandoned" not in capsys.readouterr().out  # once
    engine.dispose()


def test_unreachable_database_is_one_clear_line(capsys):
    url = "postgresql://argo:topsecretpw@127.0.0.1:1/energy"
    assert cli.main(["db", "check", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "cannot connect to PostgreSQL database 'energy' on 127.0.0.1:1" in err
    assert "topsecretpw" not in err and "Traceback" not in err


def test_demo_command_prints_what_the_database_holds(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    assert (
        cli.main(["demo", "--database-url", url, "--weeks", "2", "--end-week", "2026-11-18"]) == 0
    )
    out = capsys.readouterr().out
    assert "Wilson Center" in out and "2026-W47" in out and "after_hours" in out
    assert "AHU-2_WCDS_Wilson Ctr" in out


def test_demo_rejects_bad_arguments(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    assert cli.main(["demo", "--database-url", url, "--weeks", "1"]) == 2
    assert "at least 2" in capsys.readouterr().err
    assert cli.main(["demo", "--database-url", url, "--end-week", "2026-W60"]) == 2
    assert "2026-W60" in capsys.readouterr().err


def test_brief_command_refuses_bad_parameters_before_running(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'b.sqlite'}"
    assert cli.main(["db", "upgrade", "--database-url", url]) == 0
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path / "outputs"))
    capsys.readouterr()
    params = tmp_path / "p.yaml"
    params.write_text('site_id: "23271"\nweeks: 4\n')
    assert cli.main(["brief", "--params", str(params)]) == 2
    assert "unknown parameter 'weeks' (did you mean 'week'?)" in capsys.readouterr().err
    assert cli.main(["brief", "--week", "2026-W60"]) == 2
    assert "2026-W60" in capsys.readouterr().err
    assert cli.main(["brief", "--threshold", "spikes.top_n"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert cli.main(["brief", "--site", "99999"]) == 2
    assert "unknown site '99999'" in capsys.readouterr().err
    assert cli.main(["brief", "--week", "2026-W47"]) == 2  # the schema is there, no readings
    assert "no readings for site 23271" in capsys.readouterr().err
    assert cli.main(["brief", "--params", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml: no such parameter file" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "out"
    assert cli.main(["brief", "--week", "2026-W47", "--output-dir", str(out)]) == 2
    err = capsys.readouterr().err
    assert f"cannot be created: {tmp_path / 'afile'} is a file, not a folder" in err
    assert err.count("\n") == 1
    assert not (tmp_path / "outputs").exists()


def test_a_command_that_writes_creates_the_sqlite_folder(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'demo.sqlite'}"
    assert cli.main(["db", "upgrade", "--database-url", url]) == 0
    assert (tmp_path / "new" / "folder" / "demo.sqlite").is_file()


def test_db_check_never_creates_a_database(tmp_path, capsys):
    missing = tmp_path / "typo.sqlite"
    assert cli.main(["db", "check", "--database-url", f"sqlite:///{missing}"]) == 2
    assert "there is no database at" in capsys.readouterr().err
    assert not missing.exists()


def test_brief_never_creates_a_database(tmp_path, monkeypatch, capsys):
    missing = tmp_path / "nowhere" / "argo.sqlite"
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(missing))
    assert cli.main(["brief", "--week", "2026-W47"]) == 2
    assert "there is no database at" in capsys.readouterr().err
    assert cli.main(["brief", "--database-url", f"sqlite:///{missing}"]) == 2
    assert not missing.exists() and not missing.parent.exists()


def test_brief_without_a_schema_says_upgrade(database_url, capsys):
    assert cli.main(["brief", "--database-url", database_url, "--week", "2026-W47"]) == 2
    assert "argo db upgrade" in capsys.readouterr().err


def test_send_is_checked_before_any_work(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'b.sqlite'}"
    assert cli.main(["db", "upgrade", "--database-url", url]) == 0
    for name in ("SMTP_HOST", "MAIL_FROM", "MAIL_TO"):
        monkeypatch.setenv(name, "")  # empty wins over a developer's .env
    capsys.readouterr()
    # no readings in this database: the mail settings are reported first, all at once
    assert cli.main(["brief", "--database-url", url, "--week", "2026-W47", "--send"]) == 2
    err = capsys.readouterr().err
    assert "SMTP_HOST" in err and "MAIL_FROM" in err and "recipients" in err


def test_unexpected_errors_are_one_line_and_need_a_person(monkeypatch, capsys):
    def broken(args):
        raise KeyError("a bug")

    monkeypatch.setattr(cli, "_cmd_db_check", broken)
    assert cli.main(["db", "check", "--database-url", "sqlite://"]) == 2  # a retry cannot help
    err = capsys.readouterr().err
    assert "unexpected error: KeyError" in err and "--debug" in err and "Traceback" not in err


def test_version(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.startswith("argo 0.")
