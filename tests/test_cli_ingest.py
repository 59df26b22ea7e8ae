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
