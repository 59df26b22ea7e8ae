"""``argo diagnose``: each check against the fake Eniscope server and both database backends.

API checks run over loopback HTTP against :class:`FakeEniscope` with a :class:`ManualClock` shared
with the client, so 429 waits and backoffs take no real time. Every test also checks that no
secret value of the settings it used appears in the report (table or JSON).
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import time

import pandas as pd
import pytest

from argo_lib import db, diagnose
from argo_lib.cli_diagnose import add_diagnose_command
from argo_lib.config import Settings
from argo_lib.sim.fake_eniscope import (
    DEFAULT_EMAIL,
    FakeEniscope,
    ManualClock,
    RateLimit,
    ScriptedResponse,
)

NOW = "2026-12-01T12:00:00Z"
API_KEY = "5ec4e75ec4e75ec4e75ec4e75ec4e7aa"  # the fake accepts these, and they must never show
PASSWORD = "pw-that-must-never-leak"
SMTP_PASSWORD = "smtp-pw-that-must-never-leak"
DB_PASSWORD = "db-pw-that-must-never-leak"
SECRETS = (API_KEY, PASSWORD, SMTP_PASSWORD, DB_PASSWORD)
SITE_CHANNELS = (162119, 162120, 162121, 162122, 162123, 162285, 162319, 162320)

MAIL = {
    "smtp_host": "smtp.example.com",
    "smtp_username": "mailer",
    "smtp_password": SMTP_PASSWORD,
    "mail_from": "argo@example.com",
    "mail_to": ("ops@example.com",),
}


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def clock():
    return ManualClock(NOW)


@pytest.fixture
def fake(clock):
    server = FakeEniscope(clock=clock.now, api_key=API_KEY, password=PASSWORD)
    with server:
        yield server


def api_settings(url: str, **changes) -> Settings:
    values = {
        "eniscope_api_url": url,
        "eniscope_api_key": API_KEY,
        "eniscope_email": DEFAULT_EMAIL,
        "eniscope_password": PASSWORD,
        **MAIL,
    }
    return Settings(**{**values, **changes})


def run(settings: Settings, clock: ManualClock, **options) -> list[diagnose.Check]:
    """run_diagnostics with a client on the manual clock (no real waits), API only by default."""
    factory = diagnose.default_client_factory(
        fast=True,
        sleep=clock.sleep,
        clock=clock.monotonic,
        wall_clock=clock.time,
        rng=random.Random(0),
    )
    options.setdefault("skip_db", True)
    return diagnose.run_diagnostics(
        settings, site="23271", client_factory=factory, now=clock.now(), **options
    )


def statuses(checks: list[diagnose.Check]) -> dict[str, str]:
    return {c.check: c.status for c in checks}


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


def report(checks: list[diagnose.Check]) -> tuple[str, str]:
    table, as_json = diagnose.format_table(checks), diagnose.format_json(checks)
    assert_no_secret(table, as_json)
    return table, as_json


def cli(argv: list[str], capsys) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="argo")
    add_diagnose_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["diagnose", *argv])
    code = args.handler(args)
    out, err = capsys.readouterr()
    assert_no_secret(out, err)
    return code, out


@pytest.fixture
def env(monkeypatch):
    """A complete environment with secret values (real variables win over .env)."""
    values = {
        "ENISCOPE_API_KEY": API_KEY,
        "ENISCOPE_EMAIL": DEFAULT_EMAIL,
        "ENISCOPE_PASSWORD": PASSWORD,
        "SMTP_HOST": "smtp.example.com",
        "SMTP_USERNAME": "mailer",
        "SMTP_PASSWORD": SMTP_PASSWORD,
        "MAIL_FROM": "argo@example.com",
        "MAIL_TO": "ops@example.com",
        "DATABASE_URL": "",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


# --------------------------------------------------------------------------------------------
# The API
# --------------------------------------------------------------------------------------------


def test_all_api_checks_ok_against_the_fake(fake, clock):
    checks = run(api_settings(fake.url), clock)
    assert [c.check for c in checks] == [
        "env.eniscope",
        "env.database",
        "env.mail",
        "api.dns",
        "api.tcp",
        "api.http",
        "api.auth",
        "api.organizations",
        "api.channels",
        *(f"api.readings[{c}]" for c in SITE_CHANNELS),
    ]
    assert set(statuses(checks).values()) == {"ok"}, report(checks)[0]
    assert diagnose.exit_status(checks) == 0
    table, as_json = report(checks)
    assert "23 hourly readings in the last 24 h" in table  # the fake lags 1 h behind now
    assert json.loads(as_json)[0] == {
        "check": "env.eniscope",
        "status": "ok",
        "detail": "ENISCOPE_API_KEY, ENISCOPE_EMAIL and ENISCOPE_PASSWORD set; ENISCOPE_API_URL set",
    }


def test_a_bad_api_key_is_an_authentication_failure(fake, clock):
    wrong = "0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f"
    checks = run(api_settings(fake.url, eniscope_api_key=wrong), clock)
    result = statuses(checks)
    assert result["api.http"] == "ok"
    assert result["api.auth"] == "failure"
    assert "api.organizations" not in result
    assert diagnose.exit_status(checks) == 2
    detail = next(c.detail for c in checks if c.check == "api.auth")
    assert "HTTP 401" in detail and "check ENISCOPE_API_KEY" in detail
    table, as_json = report(checks)
    assert wrong not in table + as_json
    # the HTTP probe sends no credentials; the client tries once more with Basic, then stops
    assert [(r.auth, r.status) for r in fake.request_log] == [
        ("none", 404),
        ("basic", 401),
        ("basic", 401),
    ]


def test_a_wrong_password_is_a_403_failure(fake, clock):
    checks = run(api_settings(fake.url, eniscope_password="not-the-password"), clock)
    detail = next(c.detail for c in checks if c.check == "api.auth")
    assert statuses(checks)["api.auth"] == "failure"
    assert "ENISCOPE_PASSWORD" in detail
    assert "not-the-password" not in "".join(report(checks))


def test_a_429_storm_fails_the_readings_without_real_waits(fake, clock):
    # login and the channel list get through, then every request is refused for an hour
    fake.configure(rate_limit=RateLimit(max_requests=2, window_s=3600, retry_after_s=30))
    started = time.monotonic()
    checks = run(api_settings(fake.url), clock)
    assert time.monotonic() - started < 10
    result = statuses(checks)
    assert result["api.auth"] == "ok" and result["api.channels"] == "ok"
    assert all(result[f"api.readings[{c}]"] == "failure" for c in SITE_CHANNELS)
    detail = next(c.detail for c in checks if c.check == "api.readings[162119]")
    assert "HTTP 429" in detail and "wait a few minutes" in detail
    assert diagnose.exit_status(checks) == 2
    assert 30.0 in clock.sleeps  # Retry-After honoured on the manual clock
    report(checks)


def test_429s_that_clear_after_a_wait_are_a_warning(fake, clock):
    fake.configure(rate_limit=RateLimit(max_requests=1, window_s=5, retry_after_s=5))
    checks = run(api_settings(fake.url), clock)
    result = statuses(checks)
    assert "failure" not in result.values()
    assert result["api.channels"] == "warning"
    detail = next(c.detail for c in checks if c.check == "api.channels")
    assert "only after 1 retry" in detail
    assert diagnose.exit_status(checks) == 1


def test_a_channel_answering_500_fails_alone(fake, clock):
    fake.enqueue(*[ScriptedResponse(status=500, path_prefix="/readings/162285")] * 5)
    checks = run(api_settings(fake.url), clock)
    result = statuses(checks)
    assert result["api.readings[162285]"] == "failure"
    assert {result[f"api.readings[{c}]"] for c in SITE_CHANNELS if c != 162285} == {"ok"}
    detail = next(c.detail for c in checks if c.check == "api.readings[162285]")
    assert detail.startswith("Kitchen Main Panel: ") and "HTTP 500" in detail
    assert "GET /readings/162285 after 2 attempts" in detail and "fields[]" not in detail
    assert diagnose.exit_status(checks) == 2
    report(checks)


def test_an_unresolvable_host_is_a_dns_failure(clock):
    checks = run(api_settings("http://argo-no-such-host.invalid"), clock)
    result = statuses(checks)
    assert result["api.dns"] == "failure"
    assert not any(name.startswith(("api.tcp", "api.http", "api.auth")) for name in result)
    detail = next(c.detail for c in checks if c.check == "api.dns")
    assert "cannot resolve argo-no-such-host.invalid" in detail and "ENISCOPE_API_URL" in detail
    assert diagnose.exit_status(checks) == 2
    report(checks)


def test_a_closed_port_is_a_tcp_failure(clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    checks = run(api_settings(f"http://127.0.0.1:{port}"), clock)
    assert statuses(checks)["api.tcp"] == "failure"
    assert "api.auth" not in statuses(checks)


def test_missing_credentials_fail_without_fake_and_warn_with_it(fake, clock):
    bare = Settings(eniscope_api_url=fake.url, **MAIL)
    checks = run(bare, clock)
    result = statuses(checks)
    assert result["env.eniscope"] == "failure" and result["api.auth"] == "failure"
    assert "ENISCOPE_API_KEY" in next(c.detail for c in checks if c.check == "api.auth")
    # against the fake (api_settings), the environment's credentials are not needed
    checks = run(bare, clock, api_settings=api_settings(fake.url))
    assert statuses(checks)["env.eniscope"] == "warning"
    assert statuses(checks)["api.auth"] == "ok"
    assert diagnose.exit_status(checks) == 1


# --------------------------------------------------------------------------------------------
# The database, and the command
# --------------------------------------------------------------------------------------------


def _engine_url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_all_good_with_the_fake_exits_0(engine, env, capsys):
    from argo_lib.jobs.ingest import IngestRun, run_ingest

    url = _engine_url(engine)
    now = pd.Timestamp.now(tz="UTC").floor("s").isoformat()
    ingest = IngestRun.from_parameters(
        site="23271", source="fake", days=2, as_of=now, channels=",".join(map(str, SITE_CHANNELS))
    )
    assert run_ingest(ingest, engine=engine).status == "ok"
    code, out = cli(["--fake", "--site", "23271", "--database-url", url, "--json"], capsys)
    checks = json.loads(out)
    assert {c["status"] for c in checks} == {"ok"}, out
    assert code == 0
    names = [c["check"] for c in checks]
    assert names[-1] == "db.runs" and "db.latest[162285]" in names
    assert names.index("api.readings[162320]") < names.index("db.connection")
    code, out = cli(["--fake", "--site", "23271", "--database-url", url], capsys)
    assert code == 0
    assert out.splitlines()[0].split() == ["check", "status", "detail"]
    assert "latest run 1 (fake-eniscope) ok" in out
    assert out.rstrip().endswith("0 warning(s), 0 failure(s): exit status 0")


def test_an_empty_database_warns_and_runs_decide_the_status(engine, env, capsys):
    url = _engine_url(engine)
    code, out = cli(["--skip-api", "--site", "23271", "--database-url", url, "--json"], capsys)
    result = {c["check"]: c["status"] for c in json.loads(out)}
    assert code == 1
    assert result["db.connection"] == "ok" and result["db.schema"] == "ok"
    assert result["db.rows"] == "warning" and result["db.runs"] == "warning"
    assert not any(name.startswith("api.") for name in result)
    run_id = db.start_run(engine, source="eniscope", site_id="23271")
    db.finish_run(engine, run_id, status="failed", error="Eniscope rate limit on GET /x")
    code, out = cli(["--skip-api", "--site", "23271", "--database-url", url, "--json"], capsys)
    runs = next(c for c in json.loads(out) if c["check"] == "db.runs")
    assert code == 2 and runs["status"] == "failure"
    assert "error: Eniscope rate limit on GET /x" in runs["detail"]


def test_a_database_without_schema_is_a_failure(tmp_path, env, capsys):
    path = tmp_path / "empty.sqlite"
    path.touch()
    code, out = cli(["--skip-api", "--database-url", f"sqlite:///{path}", "--json"], capsys)
    result = {c["check"]: c for c in json.loads(out)}
    assert code == 2
    assert result["db.schema"]["status"] == "failure"
    assert "argo db upgrade" in result["db.schema"]["detail"]


def test_a_missing_sqlite_file_is_a_failure_and_is_not_created(tmp_path, env, capsys):
    path = tmp_path / "missing.sqlite"
    code, out = cli(
        ["--skip-api", "--site", "23271", "--database-url", f"sqlite:///{path}"], capsys
    )
    assert code == 2
    line = next(line for line in out.splitlines() if line.startswith("db.connection"))
    assert "failure" in line and "no database at" in line
    assert not path.exists()


def test_postgres_down_is_a_failure_without_the_password(env, capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://argo:{DB_PASSWORD}@127.0.0.1:{port}/argo"
    code, out = cli(["--skip-api", "--site", "23271", "--database-url", url, "--json"], capsys)
    checks = json.loads(out)
    assert code == 2
    assert checks[-1]["check"] == "db.connection" and checks[-1]["status"] == "failure"
    assert "cannot connect to PostgreSQL database 'argo' on 127.0.0.1" in checks[-1]["detail"]
    assert "password ***" in checks[-1]["detail"]


def test_the_environment_is_reported_by_names_only(env, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("ENISCOPE_API_URL", "http://argo-no-such-host.invalid")
    monkeypatch.setenv("SMTP_PASSWORD", "")
    code, out = cli(["--site", "23271", "--database-url", f"sqlite:///{tmp_path / 'x'}"], capsys)
    assert code == 2
    lines = {line.split()[0]: line for line in out.splitlines()[2:] if line.strip()}
    assert "ENISCOPE_API_KEY, ENISCOPE_EMAIL and ENISCOPE_PASSWORD set" in lines["env.eniscope"]
    assert "SMTP_USERNAME is set but SMTP_PASSWORD is not" in lines["env.mail"]
    assert "failure" in lines["api.dns"]
    assert "failure" in lines["db.connection"]


def test_secrets_are_redacted_from_any_detail():
    settings = api_settings("http://127.0.0.1:1", database_url=f"postgresql://a:{DB_PASSWORD}@h/d")
    secrets = diagnose._secrets(settings, None, None)
    text = f"key {API_KEY} pw {PASSWORD} smtp {SMTP_PASSWORD} db {DB_PASSWORD}"
    assert_no_secret(diagnose._redact(text, secrets))
