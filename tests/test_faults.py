"""The fault campaign's fast subset (benchmarks/faults.py runs all of it), on both backends.

A sync killed with SIGKILL at chosen write steps converges, once re-run, to a clean sync's
database; an import killed between the rejected-values ledger and the readings too; a published
folder is never half replaced whatever step of the publication a kill hits; each bad input gets
its exit status and one-line message. Where the kill falls is counted, never timed: the child
process counts its write steps and kills itself at step N. No sleeps, no wall-clock assertions.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from argo_lib import cli, db

FAULTS_PY = Path(__file__).resolve().parents[1] / "benchmarks" / "faults.py"


def _load_campaign():
    spec = importlib.util.spec_from_file_location("argo_fault_campaign", FAULTS_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


faults = _load_campaign()

SYNC_KILLS = (
    "db.upsert_channels",  # metadata stored, no reading yet
    "rejected 162285 2025-12-02",  # a window's rejected values stored, its readings not
    "written 162320 2025-12-03",  # every window stored, nothing logged: the re-run overlaps
)


def wipe(url: str) -> None:
    """Drop every workbook table, so the next command starts from an empty database."""
    engine = db.get_engine(url)
    db.metadata.drop_all(engine)
    faults.forget_engine(url)


def run_in_process(argv: list[str], scenario: str, counter=None) -> int:
    with faults.instrumented(scenario, counter):
        return cli.main(argv)


@pytest.fixture
def url(database_url):
    yield database_url
    faults.forget_engine(database_url)


@pytest.mark.parametrize("step", SYNC_KILLS)
def test_a_sync_killed_at_a_write_step_converges_to_a_clean_sync(url, step, capsys):
    argv = faults.ingest_argv(url)
    counter = faults.StepCounter()
    assert run_in_process(argv, "ingest", counter) == 0
    clean = faults.read_state(url)
    assert faults.reference_problems(clean) == []
    assert clean.ledger_count > 0  # the fake served values to reject
    kill_at = counter.labels.index(step) + 1
    wipe(url)

    killed = faults.run_argo(argv, scenario="ingest", kill_at=kill_at)
    assert killed.code == faults.KILLED
    assert faults.killed_state_problems(faults.read_state(url), clean) == []
    assert run_in_process(argv, "ingest") == 0

    state = faults.read_state(url)
    assert faults.convergence_problems(state, clean, started=True, finished=False, reruns=1) == []
    assert state.runs[0]["error"].startswith("abandoned: process ")
    capsys.readouterr()


def test_an_import_killed_between_the_ledger_and_the_readings_converges(url, tmp_path, capsys):
    argv = ["import-csv", "--database-url", url, "--site", faults.SITE]
    argv.append(str(faults.write_import_csv(tmp_path / "readings.csv")))
    counter = faults.StepCounter()
    assert run_in_process(argv, "import", counter) == 0
    clean = faults.read_state(url)
    assert faults.reference_problems(clean) == []
    assert counter.labels == [f"db.{name}" for name in faults.IMPORT_WRITES]
    wipe(url)

    killed = faults.run_argo(argv, scenario="import", kill_at=4)  # after db.write_rejected
    assert killed.code == faults.KILLED
    after_kill = faults.read_state(url)
    assert after_kill.readings.empty and after_kill.ledger == clean.ledger
    assert run_in_process(argv, "import") == 0

    state = faults.read_state(url)
    assert faults.convergence_problems(state, clean, started=True, finished=False, reruns=1) == []
    capsys.readouterr()


# --------------------------------------------------------------------------------------------
# Publishing a folder (argo_lib.report.outputs.staged_folder), killed before each file change
# --------------------------------------------------------------------------------------------

PUBLISH = """
import importlib.util, sys
from pathlib import Path
spec = importlib.util.spec_from_file_location("campaign", sys.argv[1])
campaign = importlib.util.module_from_spec(spec)
sys.modules["campaign"] = campaign
spec.loader.exec_module(campaign)
from argo_lib.report.outputs import staged_folder
root, counter = Path(sys.argv[3]), campaign.StepCounter(int(sys.argv[2]))
sys.addaudithook(campaign._audit_hook(counter, root))
with staged_folder(root / "2026-W47", allowed=lambda name: name.endswith(".json")) as work:
    (work / "brief.json").write_text("new brief")
    (work / "chart.json").write_text("new chart")
print(len(counter.labels))
"""
OLD = {"brief.json": "old brief", "chart.json": "old chart"}
NEW = {"brief.json": "new brief", "chart.json": "new chart"}


def publish(root: Path, kill_at: int) -> subprocess.CompletedProcess:
    target = root / "2026-W47"
    target.mkdir(parents=True)
    for name, text in OLD.items():
        (target / name).write_text(text)
    command = [sys.executable, "-c", PUBLISH, str(FAULTS_PY), str(kill_at), str(root)]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


def published(root: Path) -> dict[str, str] | None:
    target = root / "2026-W47"
    if not target.is_dir():
        return None
    return {p.name: p.read_text() for p in target.iterdir()}


@pytest.fixture(scope="module")
def publication_kills(tmp_path_factory) -> dict[int, dict[str, str] | None]:
    """Kill step -> what is published right after the kill, for every step of a publication."""
    clean = publish(tmp_path_factory.mktemp("publish-clean"), 0)
    assert clean.returncode == 0, clean.stderr
    steps = int(clean.stdout.strip())
    assert steps >= 4  # staging folder, files, the old folder set aside, the new one in place
    found = {}
    for k in range(1, steps + 1):
        root = tmp_path_factory.mktemp(f"publish-{k}")
        assert publish(root, k).returncode == faults.KILLED
        found[k] = published(root)
    return found


def test_a_publication_killed_at_any_step_never_leaves_a_half_folder(publication_kills):
    for step, files in publication_kills.items():
        assert files in (None, OLD, NEW), f"killed at step {step}: {files}"


def test_a_publication_killed_at_any_step_leaves_a_published_folder(publication_kills):
    missing = [step for step, files in publication_kills.items() if files is None]
    assert missing == []


# --------------------------------------------------------------------------------------------
# Bad inputs: exit status and one-line message, through argo_lib.cli.main
# --------------------------------------------------------------------------------------------


def answer(case, url: str, tmp_path: Path, monkeypatch, capsys) -> list[str]:
    files = faults.prepare_inputs(tmp_path / "inputs")
    if case.needs_non_root and os.geteuid() == 0:
        # root may write anywhere: the operating system's answer for a read-only folder is
        # given in its place, so the message is checked all the same
        import argo_lib.report.outputs as outputs_module

        real_access = os.access
        readonly = str(files["folder"])

        def access(path, mode, *args, **kwargs):
            if str(path).startswith(readonly) and mode & os.W_OK:
                return False
            return real_access(path, mode, *args, **kwargs)

        monkeypatch.setattr(outputs_module.os, "access", access)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path / "outputs"))
    for name, value in (case.env(files) if case.env else {}).items():
        monkeypatch.setenv(name, value)
    code = cli.main(case.argv(files, url))
    out, err = capsys.readouterr()
    problems = faults.answer_problems(case, code, f"{out}\n{err}")
    if case.check is not None and not problems:
        problems += [p for p in [case.check(url)] if p]
    return problems


@pytest.mark.parametrize(
    "case", [c for c in faults.BAD_INPUTS if not c.needs_database], ids=lambda c: c.name
)
def test_a_bad_database_setting_gets_its_exit_status_and_message(
    case, tmp_path, monkeypatch, capsys
):
    assert answer(case, "", tmp_path, monkeypatch, capsys) == []


@pytest.mark.parametrize(
    "case", [c for c in faults.BAD_INPUTS if c.needs_database], ids=lambda c: c.name
)
def test_a_bad_input_gets_its_exit_status_and_message(case, url, tmp_path, monkeypatch, capsys):
    db.upgrade(db.get_engine(url))
    assert answer(case, url, tmp_path, monkeypatch, capsys) == []


def test_the_quick_campaign_kills_at_the_middle_step_of_each_kind():
    labels = ["db.start_run", "fetched 1 d1", "written 1 d1", "fetched 1 d2", "written 1 d2"]
    assert faults.pick_points(labels, quick=False, kind=faults._db_kind) == [1, 2, 3, 4, 5]
    assert faults.pick_points(labels, quick=True, kind=faults._db_kind) == [1, 2, 3]
