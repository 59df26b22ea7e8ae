"""The ``argo ingest``, ``argo import-csv`` and ``argo fake-eniscope`` commands."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from argo_lib import cli, db
from argo_lib.sim import fake_eniscope

DATA = Path(__file__).parent / "data" / "csv"
FAKE = ["--fake", "--as-of", "2025-12-10T12:00:00Z", "--no-progress"]


def test_ingest_syncs_from_the_fake_and_fails_loudly_on_a_bad_channel(database_url, capsys):
    base = ["ingest", "--site", "23271", "--database-url", database_url, *FAKE]
    assert cli.main([*base, "--days", "1", "--channels", "162285,162320"]) == 0
    out = capsys.readouterr().out
    assert "ingestion run 1 (fake-eniscope) for site 23271: ok" in out
    assert "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr" in out
    engine = db.get_engine(database_url)
    assert len(db.read_readings(engine, site_id="23271")) == 2 * (24 + 6)  # hourly, 06:00 now
    # Switching a channel that has readings to 15 minutes fails that channel: exit status 1.
    code = cli.main([*base, "--days", "1", "--channels", "162285", "--resolution", "900"])
    out = capsys.readouterr().out
    assert code == 1
    assert "partial" not in out and ": failed;" in out
    assert "has readings at 3600 s and cannot switch to 900 s" in out
    assert db.read_runs(engine)["status"].tolist() == ["failed", "ok"]


def test_ingest_without_credentials_is_a_usage_error(tmp_path, monkeypatch, capsys):
    for name in ("ENISCOPE_API_KEY", "ENISCOPE_EMAIL", "ENISCOPE_PASSWORD"):
        monkeypatch.setenv(name, "")  # real variables win over .env, empty means unset
    url = f"sqlite:///{tmp_path / 'a.sqlite'}"
    assert cli.main(["ingest", "--site", "23271", "--database-url", url, "--days", "1"]) == 2
    err = capsys.readouterr().err
    assert (
        "set ENISCOPE_API_KEY, ENISCOPE_EMAIL and ENISCOPE_PASSWORD in the environment or .env"
        in err
    )
    assert "Traceback" not in err and err.count("\n") == 1


def test_ingest_refuses_days_with_start(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["ingest", "--site", "23271", "--days", "3", "--start", "2025-12-01"])
    assert info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_import_csv_reports_rejected_values_and_errors_with_their_line(database_url, capsys):
    args = ["import-csv", "--site", "23271", "--database-url", database_url]
    assert cli.main([*args, str(DATA / "long.csv")]) == 0
    out = capsys.readouterr().out
    assert "7 written, 2 values rejected" in out
    assert "line 4, column 'power_kw'" in out
    # Naive times are read in the site's zone; the file's 15-min channel then clashes with the
    # stored hourly one, and the error says so without writing anything.
    assert cli.main([*args, str(DATA / "wide.csv")]) == 2
    assert "channel 162285 has readings at 3600 s" in capsys.readouterr().err
    assert cli.main([*args, "--tz", "Mars/Olympus", str(DATA / "wide.csv")]) == 2
    assert "Mars/Olympus" in capsys.readouterr().err


WARNING = (
    "values rejected (see rejected_readings: each with its raw value and reason; {new} new, "
    "{known} already recorded by an earlier run); everything valid was written"
)
STRICT = (
    "argo {command}: --strict: {n} values rejected, exit status 1 (everything valid was "
    "written; see the warning above)\n"
)


@pytest.fixture
def negative_energy(monkeypatch):
    """``--fake`` serves negative energy in about a fifth of the records."""
    from argo_lib.sim import demo
    from argo_lib.sim.fake_eniscope import Faults

    real = demo.fake_server
    faults = Faults(malformed=frozenset({"negative"}), malformed_rate=0.2)
    monkeypatch.setattr(demo, "fake_server", lambda **kw: real(faults=faults, **kw))


def test_ingest_warns_about_rejected_values_and_strict_exits_1(
    database_url, capsys, negative_energy
):
    base = ["ingest", "--site", "23271", "--database-url", database_url, *FAKE]
    base += ["--days", "1", "--channels", "162285"]
    assert cli.main(base) == 0
    out = capsys.readouterr().out
    engine = db.get_engine(database_url)
    n = len(db.read_rejected(engine))
    stored = len(db.read_readings(engine, site_id="23271"))
    assert (n, stored) == (5, 30 - 5)  # 24 + 6 hours, negative energy kept out
    assert f"\nwarning: {n} {WARNING.format(new=n, known=0)}\n" in out
    assert f"rows: 30 received = {stored} written + {n} kept out + 0 duplicates collapsed" in out
    # --strict: the same values again; everything valid is written all the same, then exit 1
    assert cli.main([*base, "--full", "--strict"]) == 1
    captured = capsys.readouterr()
    assert f"\nwarning: {n} {WARNING.format(new=0, known=n)}\n" in captured.out
    assert captured.err == STRICT.format(command="ingest", n=n)
    runs = db.read_runs(engine)
    assert runs["status"].tolist() == ["ok", "ok"]
    assert runs["rows_written"].tolist() == [stored, stored]
    assert runs["rows_rejected"].tolist() == [n, n]  # recorded once, met by both runs
    assert len(db.read_rejected(engine)) == n


def test_strict_without_rejected_values_exits_0(database_url, capsys):
    base = ["ingest", "--site", "23271", "--database-url", database_url, *FAKE]
    assert cli.main([*base, "--days", "1", "--channels", "162285", "--strict"]) == 0
    captured = capsys.readouterr()
    assert "warning:" not in captured.out and captured.err == ""


def test_import_csv_strict_exits_1_after_importing_the_valid_rows(database_url, capsys):
    args = ["import-csv", "--site", "23271", "--database-url", database_url, "--strict"]
    assert cli.main([*args, str(DATA / "long.csv")]) == 1
    captured = capsys.readouterr()
    assert "\nwarning: long.csv: 2 values rejected; the rest were imported." in captured.out
    assert captured.err == STRICT.format(command="import-csv", n=2)
    engine = db.get_engine(database_url)
    assert len(db.read_readings(engine, site_id="23271")) == 7
    assert db.read_runs(engine)["status"].tolist() == ["ok"]


def test_ingest_of_a_site_being_synced_exits_1(database_url, capsys):
    import os
    import socket

    engine = db.get_engine(database_url)
    db.upgrade(engine)
    other = db.start_run(engine, source="eniscope", site_id="23271")
    base = ["ingest", "--site", "23271", "--database-url", database_url, *FAKE, "--days", "1"]
    assert cli.main(base) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(
        f"argo ingest: another ingest of site 23271 is running (run {other}, pid {os.getpid()} "
        f"on {socket.gethostname()}), started at "
    )
    assert "; try later" in captured.err and captured.err.count("\n") == 1
    assert db.read_runs(engine)["run_id"].tolist() == [other]


def test_fake_eniscope_command_serves_until_interrupted(monkeypatch, capsys):
    answers = []

    def one_request(url):
        headers = {
            "X-Eniscope-API": fake_eniscope.DEFAULT_API_KEY,
            "Authorization": "Basic YXBpQHNvbWVvcmcuY29tOjMxNDM1MDA4NjkzY2U2OTc2ZjQ1ZGVkYzU1MzJlMmMx",
        }
        answers.append(requests.get(f"{url}/organizations", headers=headers, timeout=5))
        raise KeyboardInterrupt

    monkeypatch.setattr(fake_eniscope.server, "_wait_forever", one_request)
    assert cli.main(["fake-eniscope", "--port", "0", "--now", "2025-12-10T12:00:00Z"]) == 0
    assert answers[0].status_code == 200
    assert answers[0].json()["organizations"][0]["organizationId"] == "23271"
    assert "ENISCOPE_API_URL=http://127.0.0.1:" in capsys.readouterr().out


@pytest.mark.parametrize("command", ["ingest", "import-csv", "fake-eniscope"])
def test_help_explains_each_option(command, capsys):
    with pytest.raises(SystemExit):
        cli.main([command, "--help"])
    out = capsys.readouterr().out
    expected = {"ingest": "--overlap-hours", "import-csv": "--tz", "fake-eniscope": "--lag-hours"}
    assert expected[command] in out
