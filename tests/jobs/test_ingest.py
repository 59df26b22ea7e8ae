"""The ingestion run path: parameters checked once, the source chosen, the notebook."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from argo_lib import db, ingest, report
from argo_lib.config import PROJECT_ROOT
from argo_lib.errors import UsageError
from argo_lib.jobs.ingest import IngestRun, open_client, run_ingest

TZ = "America/New_York"
DATA = Path(__file__).parents[1] / "data" / "csv"
AS_OF = "2025-12-10T12:00:00Z"


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
