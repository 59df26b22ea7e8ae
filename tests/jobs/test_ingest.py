"""The ingestion run path: parameters checked once, the source chosen, the notebook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from argo_lib import db, ingest
from argo_lib.config import PROJECT_ROOT, Settings
from argo_lib.errors import UsageError
from argo_lib.jobs.ingest import IngestRun, open_client, run_ingest
from argo_lib.report import notebook as report

TZ = "America/New_York"
DATA = Path(__file__).parents[1] / "data" / "csv"
AS_OF = "2025-12-10T12:00:00Z"
CREDENTIALS = ("ENISCOPE_API_KEY", "ENISCOPE_EMAIL", "ENISCOPE_PASSWORD")


@pytest.fixture
def notebook_database(tmp_path, monkeypatch):
    """The embedded database the notebook's kernel sees: a file in ``tmp_path``.

    The database comes from the environment (a URL may hold a password: never a parameter).
    """
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(tmp_path / "nb.sqlite"))
    engine = db.get_engine(f"sqlite:///{tmp_path / 'nb.sqlite'}")
    yield engine
    engine.dispose()


@pytest.fixture
def no_credentials(monkeypatch):
    """No Eniscope credentials, whatever ``.env`` says (an empty variable wins and means unset)."""
    for name in CREDENTIALS:
        monkeypatch.setenv(name, "")


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"source": "ftp"}, "source must be 'eniscope', 'fake' or 'csv'"),
        ({"resolution_s": 600}, "resolution_s must be 900 or 3600"),
        ({"channels": "162285;x"}, "channels must be comma-separated channel ids"),
        ({"source": "csv"}, "source 'csv' needs csv_path"),
        ({"start": "2025-12-05", "end": "2025-12-01"}, "the period is empty"),
        ({"as_of": "2025-12-08 12:00"}, "as_of='2025-12-08 12:00' has no offset"),
    ],
    ids=["source", "resolution", "channels", "csv-without-file", "empty-period", "naive-as-of"],
)
def test_bad_run_parameters_are_refused_early(parameters, message):
    with pytest.raises(ValueError, match=message):
        IngestRun.from_parameters(site="23271", **parameters)


def test_run_parameters_resolve_days_in_site_local_time():
    run = IngestRun.from_parameters(
        site="wilson_center", days=7, as_of="2025-11-04T12:00:00Z", channels="162285, 162320"
    )
    assert run.period.start == pd.Timestamp("2025-10-28", tz=TZ)
    assert run.period.end == pd.Timestamp("2025-11-04T12:00Z")
    assert run.channels == (162285, 162320) and run.profile.name == "fast"
    assert run.resolution_s is None and "password" not in repr(run)


def test_the_ingest_notebook_runs_headless_against_the_fake(tmp_path, notebook_database):
    out = report.run_notebook(
        "ingest",
        tmp_path / "ingest.ipynb",
        parameters={"days": 2, "channels": "162285,162320", "as_of": AS_OF},
    )
    text = out.read_text()
    assert "CDPK_Kitchen Main Panel(s)" in text and "image/png" in text
    engine = notebook_database
    assert db.read_runs(engine).loc[0, "status"] == "ok"
    assert len(db.read_readings(engine, site_id="23271")) == 2 * (2 * 24 + 6)


def test_the_offline_parameter_set_runs_the_notebook_without_credentials(
    tmp_path, notebook_database, no_credentials
):
    # The README's offline command: params/ingest/wilson_center_fake.yaml (source: fake).
    parameters = report.load_parameter_set(PROJECT_ROOT / "params/ingest/wilson_center_fake.yaml")
    assert parameters["source"] == "fake"
    out = report.run_notebook(
        "ingest", tmp_path / "ingest.ipynb", parameters={**parameters, "as_of": AS_OF}
    )
    assert "fake-eniscope" in out.read_text()
    runs = db.read_runs(notebook_database)
    assert (runs.loc[0, "status"], runs.loc[0, "source"]) == ("ok", "fake-eniscope")
    readings = db.read_readings(notebook_database, site_id="23271")
    assert readings["channel_id"].nunique() == 8  # the site file's eight energy meters
    assert len(readings) == 8 * (3 * 24 + 6)  # 3 local days + 06:00 on the 4th, hourly


def test_the_api_parameter_set_without_credentials_fails_in_one_line(
    tmp_path, notebook_database, no_credentials
):
    parameters = report.load_parameter_set(PROJECT_ROOT / "params/ingest/wilson_center.yaml")
    assert parameters["source"] == "eniscope"
    with pytest.raises(report.NotebookRunError) as info:
        report.run_notebook("ingest", tmp_path / "ingest.ipynb", parameters=parameters)
    message = str(info.value)
    assert message.startswith("ingest.ipynb failed in cell 4: ")  # validate-parameters cell
    assert (
        "MissingCredentialsError: Eniscope credentials are missing: set ENISCOPE_API_KEY, "
        "ENISCOPE_EMAIL and ENISCOPE_PASSWORD in the environment or .env"
    ) in message
    assert "\n" not in message and "Traceback" not in message
    assert info.value.exit_code == 2  # the kernel's UsageError: fix the settings, not re-run
    assert db.schema_version(notebook_database) is None  # nothing was written


def test_missing_credentials_are_one_usage_error_naming_every_variable():
    with pytest.raises(ingest.MissingCredentialsError) as info:
        IngestRun.from_parameters(site="23271", source="eniscope", settings=Settings())
    assert isinstance(info.value, UsageError)
    assert str(info.value).startswith(
        "Eniscope credentials are missing: set ENISCOPE_API_KEY, ENISCOPE_EMAIL and "
        "ENISCOPE_PASSWORD in the environment or .env"
    )
    partial = Settings(eniscope_api_key="k", eniscope_email="e@example.org")
    with pytest.raises(ingest.MissingCredentialsError, match="set ENISCOPE_PASSWORD in the"):
        IngestRun.from_parameters(site="23271", source="eniscope", settings=partial)
    full = Settings(eniscope_api_key="k", eniscope_email="e@example.org", eniscope_password="p")
    run = IngestRun.from_parameters(site="23271", source="eniscope", settings=full)
    assert run.profile.name == "polite" and "'p'" not in repr(run)


def test_the_notebook_run_path_imports_a_csv_file(database_url):
    run = IngestRun.from_parameters(
        site="23271",
        source="csv",
        csv_path=str(DATA / "wide.csv"),
        tz=TZ,
        database_url=database_url,
        as_of=AS_OF,
    )
    result = run_ingest(run)
    assert (result.status, result.rows_written, result.source) == ("ok", 8, "csv:wide.csv")
    engine = db.get_engine(database_url)
    coverage = ingest.read_daily_coverage(engine, site_id="23271", period=result.period)
    assert coverage.to_numpy().tolist() == [[1.0], [1.0]]  # 4 of the 4 expected quarter hours
    engine.dispose()


def test_the_fake_source_starts_a_loopback_server_for_the_run():
    run = IngestRun.from_parameters(site="23271", source="fake", days=1, as_of=AS_OF)
    with open_client(run) as (client, source):
        assert source == "fake-eniscope"
        assert client.config.base_url.startswith("http://127.0.0.1:")
        assert client.config.max_concurrency == 4  # the fast profile
        organizations = client.login()
    assert organizations["organization_id"].tolist() == [23271]
    csv_run = IngestRun.from_parameters(
        site="23271", source="csv", csv_path=str(DATA / "wide.csv"), as_of=AS_OF
    )
    with pytest.raises(UsageError, match="reads a file"), open_client(csv_run):
        pass


def test_only_the_fake_source_imports_the_simulator():
    code = (
        "import sys\n"
        "from argo_lib import analytics, cli, db, ingest\n"
        "from argo_lib.jobs.ingest import IngestRun\n"
        "IngestRun.from_parameters(site='23271', source='fake', as_of='2025-12-10T12:00:00Z')\n"
        "assert not [m for m in sys.modules if m.startswith('argo_lib.sim')], 'sim imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=PROJECT_ROOT)
