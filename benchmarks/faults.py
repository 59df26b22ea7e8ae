"""Fault campaign: kill ``argo`` at every write step, re-run it, check that nothing is lost or doubled.

Deterministic: no timers and no sleeps decide where a run dies. Each command runs in a child
process (this file with ``_child``) that counts its write steps and sends itself SIGKILL at step
N; the same command without a kill lists the steps. Measured, on each backend (SQLite and a
throwaway PostgreSQL cluster, ``argo_lib.pgtemp``):

1. ``argo ingest --fake`` (2 channels, 3 site-local days, hourly, one day per request, one request
   at a time so that the order of the steps is fixed, the fake server injecting negative,
   infinite, non-numeric values and records without a timestamp). Steps: the run-log and metadata
   writes (``db.start_run``, ``upsert_site``, ``upsert_devices``, ``upsert_channels``,
   ``write_windows``, ``finish_run``) and the three stages of each channel-window of
   :func:`argo_lib.ingest.sync_site`'s ``on_window`` hook (``fetched``: nothing of the window
   written; ``rejected``: its rejected values written, its readings not; ``written``: both); the
   command does not take the hook, so the child wraps ``argo_lib.jobs.ingest.sync_site``. Right
   after the kill the database must hold a part of a clean sync's data (no value that a clean
   sync would not store). After it the same command is re-run until it exits 0, and the database
   must equal a clean sync's: the same readings, bit for bit (no hole, duplicate or changed
   value); the same rejected-values ledger as a multiset of (channel, timestamp, field, raw
   value, reason, location); the ledger count equal to the clean run log's ``rows_rejected``
   (the clean run's own ledger count equal to it too), no finished run with more ledger rows
   than its ``rows_rejected``; the killed run marked ``failed`` ("abandoned: ...") by the next
   run, nothing left ``running``. What the abandoned run's row says against what it stored is
   listed as notes.
2. ``argo import-csv`` of a small file with rejected values: a kill after each of its writes
   (run log, site, channels, rejected values, readings, end of the run), same checks.
3. ``argo demo`` then ``argo brief`` replacing a published folder: a kill before each file-system
   change under the output folder (audit events ``open`` for writing, ``os.mkdir`` of a new
   folder, ``os.rename`` (``os.replace`` too), ``os.remove``, ``os.rmdir``, ``shutil.rmtree``).
   Right after the kill the published folder must be the previous complete folder or a new
   complete one, never half, never missing; the re-run must publish a complete folder. A notebook
   kernel the killed command leaves behind is found by an environment variable and killed by
   its process id. Hidden folders left beside the published one are listed as notes.
4. Bad inputs through the real command line: each with its expected exit status and a fragment
   of its one-line message (and for the CSV cases what was stored); never a traceback.

Usage::

    .venv/bin/python benchmarks/faults.py [--backend sqlite|postgres|both] [--quick] [--update-readme]

``--quick`` kills at the middle step of each kind (ingest: 9 of 25 steps), at every step of the
import (6), and for the brief at one step inside the staging folder and at each step of the
publication (6 of 19); the full campaign kills at every step. The exit status is 1 when a fault
did not converge. ``--update-readme`` writes the table between ``<!-- faults:begin -->`` and
``<!-- faults:end -->`` in README.md. ``tests/test_faults.py`` runs a fast subset in the suite.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import functools
import hashlib
import itertools
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve()
SECTION = "faults"

SITE = "23271"
NOW = "2025-12-10T12:00:00Z"  # the fake server's frozen clock
INGEST_CHANNELS = (162285, 162320)
INGEST_START, INGEST_END = "2025-12-01", "2025-12-04"  # three ordinary site-local days
MALFORMED = frozenset({"negative", "nan_string", "infinity", "missing_ts"})
MALFORMED_RATE = 0.05
BRIEF_WEEK = "2026-W47"
INGEST_WRITES = (
    "start_run",
    "upsert_site",
    "upsert_devices",
    "upsert_channels",
    "write_windows",
    "finish_run",
)
"""Writes of a sync outside its channel-windows (the windows' writes are the on_window stages)."""
IMPORT_WRITES = (
    "start_run",
    "upsert_site",
    "upsert_channels",
    "write_rejected",
    "upsert_readings",
    "finish_run",
)
"""Every write of a CSV import, in order."""
AUDITED = frozenset(
    {"open", "os.mkdir", "os.rename", "os.remove", "os.rmdir", "shutil.rmtree", "shutil.copyfile"}
)
KILLED = -signal.SIGKILL
TOKEN_ENV = "ARGO_FAULT_CAMPAIGN"
"""Set in every child's environment, so processes it leaves behind (a notebook kernel) are found."""


# --------------------------------------------------------------------------------------------
# The child: one argo command that counts its write steps and kills itself at step N
# --------------------------------------------------------------------------------------------


class StepCounter:
    """Counts write steps; at step ``kill_at`` (1-based; 0 never) the process sends itself SIGKILL."""

    def __init__(self, kill_at: int = 0) -> None:
        self.kill_at = kill_at
        self.labels: list[str] = []
        self._lock = threading.Lock()

    def step(self, label: str) -> None:
        with self._lock:
            self.labels.append(label)
            if len(self.labels) == self.kill_at:
                os.kill(os.getpid(), signal.SIGKILL)  # no clean-up, no flush: as kill -9


def _label_path(path: Any, watch: str) -> str | None:
    """``path`` relative to ``watch`` with random tokens masked, or None when outside it."""
    if isinstance(path, int):
        return None
    text = os.path.abspath(os.fsdecode(path))
    if text != watch and not text.startswith(watch + os.sep):
        return None
    rel = os.path.relpath(text, watch)
    return re.sub(r"\.(partial|old)-[0-9a-f]+", r".\1-*", rel)


def _audit_hook(counter: StepCounter, watch: Path) -> Callable[[str, tuple], None]:
    root = os.path.abspath(watch)
    writing = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC

    def hook(event: str, args: tuple) -> None:
        if event not in AUDITED:
            return
        if event == "open":
            path, mode, flags = args
            if isinstance(mode, str):
                if not any(c in mode for c in "wax+"):
                    return
            elif not (int(flags or 0) & writing):
                return
            paths = [path]
        elif event == "os.mkdir" and os.path.isdir(args[0]):
            return  # mkdir(exist_ok=True) of a folder that exists changes nothing
        elif event in ("os.rename", "shutil.copyfile"):
            paths = list(args[:2])
        else:
            paths = [args[0]]
        labels = [_label_path(p, root) for p in paths]
        if any(label is not None for label in labels):
            short = event.split(".")[-1]
            counter.step(f"{short} {' -> '.join(label or '(outside)' for label in labels)}")

    return hook


@contextlib.contextmanager
def instrumented(
    scenario: str, counter: StepCounter | None = None, *, watch: Path | None = None
) -> Iterator[None]:
    """The campaign's settings for ``scenario``, and with ``counter`` its write steps counted.

    ``ingest``: the fast profile with one-day windows and one request at a time (a fixed order
    of steps), and a fake server that injects malformed values; counted are the sync's writes
    outside windows and the ``on_window`` stages. ``import``: counted are the import's writes.
    ``brief``: counted are the file-system changes under ``watch`` (an audit hook: it stays for
    the life of the process, so only in a child). Other scenarios change nothing.
    """
    import argo_lib.jobs.ingest as jobs_ingest
    from argo_lib import db
    from argo_lib.ingest import plan
    from argo_lib.sim import demo
    from argo_lib.sim.fake_eniscope import Faults

    undo: list[Callable[[], None]] = []

    def patch(owner: Any, name: str, value: Any) -> None:
        old = getattr(owner, name)
        setattr(owner, name, value)
        undo.append(lambda: setattr(owner, name, old))

    def count_calls(name: str) -> None:
        original = getattr(db, name)

        @functools.wraps(original)
        def counted(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            assert counter is not None
            counter.step(f"db.{name}")
            return result

        patch(db, name, counted)

    try:
        if scenario == "ingest":
            fast = plan.SYNC_PROFILES["fast"]
            plan.SYNC_PROFILES["fast"] = dataclasses.replace(fast, window_days=1, max_concurrency=1)
            undo.append(lambda: plan.SYNC_PROFILES.__setitem__("fast", fast))
            faults = Faults(malformed=MALFORMED, malformed_rate=MALFORMED_RATE)
            patch(demo, "fake_server", functools.partial(demo.fake_server, faults=faults))
            if counter is not None:
                for name in INGEST_WRITES:
                    count_calls(name)
                sync_site = jobs_ingest.sync_site

                def on_window(stage: str, channel_id: int, start: Any, end: Any) -> None:
                    assert counter is not None
                    counter.step(f"{stage} {channel_id} {start:%Y-%m-%d}")

                patch(jobs_ingest, "sync_site", functools.partial(sync_site, on_window=on_window))
        elif scenario == "import" and counter is not None:
            for name in IMPORT_WRITES:
                count_calls(name)
        elif scenario == "brief" and counter is not None:
            if watch is None:
                raise ValueError("the brief scenario needs the folder to watch")
            sys.addaudithook(_audit_hook(counter, watch))
        yield
    finally:
        for step in reversed(undo):
            step()


def _child(argv: Sequence[str]) -> int:
    """``faults.py _child SPEC -- ARGO ARGS...``: run one argo command, killed at step N."""
    spec = json.loads(argv[0])
    args = list(argv[2:]) if len(argv) > 1 and argv[1] == "--" else list(argv[1:])
    counter = StepCounter(int(spec.get("kill_at", 0)))
    watch = Path(spec["watch"]) if spec.get("watch") else None
    from argo_lib.cli import main

    with instrumented(spec.get("scenario", ""), counter, watch=watch):
        code = main(args)
    if spec.get("steps_file"):
        Path(spec["steps_file"]).write_text(json.dumps(counter.labels), encoding="utf-8")
    return code


# --------------------------------------------------------------------------------------------
# Running children
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Run:
    """One finished child: exit status (negative: killed by that signal), output, its steps."""

    code: int
    out: str
    err: str
    labels: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return f"{self.out}\n{self.err}"


_RUN_IDS = itertools.count()


def child_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a child: no developer DATABASE_URL, outputs in a throwaway folder."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.setdefault("ARGO_OUTPUTS_DIR", tempfile.gettempdir())
    env[TOKEN_ENV] = f"{os.getpid()}-{next(_RUN_IDS)}"
    env.update(extra or {})
    return env


def _stray_pids(token: str) -> list[int]:
    """Processes (not this one) whose environment carries the campaign token (e.g. a kernel)."""
    found = []
    needle = f"{TOKEN_ENV}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
    return found


def end_strays(token: str) -> None:
    """SIGKILL what a killed child left running (its notebook kernel), by process id."""
    for pid in _stray_pids(token):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def run_argo(
    argv: Sequence[str],
    *,
    scenario: str = "",
    kill_at: int = 0,
    watch: Path | None = None,
    list_steps: bool = False,
    env: dict[str, str] | None = None,
    timeout: float = 900.0,
) -> Run:
    """Run ``argo ARGV`` in a child process (instrumented for ``scenario``); see :func:`_child`."""
    env = child_env(env)
    with tempfile.TemporaryDirectory(prefix="argo-faults-") as scratch:
        steps_file = Path(scratch) / "steps.json"
        spec = {
            "scenario": scenario,
            "kill_at": kill_at,
            "watch": str(watch) if watch else "",
            "steps_file": str(steps_file) if list_steps else "",
        }
        command = [sys.executable, str(THIS), "_child", json.dumps(spec), "--", *argv]
        proc = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # the child's own group, if anything is left
            if proc.returncode is None:
                proc.kill()
                proc.wait()
        if proc.returncode == KILLED:
            end_strays(env[TOKEN_ENV])
        labels = (
            tuple(json.loads(steps_file.read_text(encoding="utf-8")))
            if list_steps and steps_file.exists()
            else ()
        )
    return Run(proc.returncode, out, err, labels)


def run_until_done(argv: Sequence[str], *, scenario: str, tries: int = 3) -> list[Run]:
    """Re-run ``argv`` (not killed) until it exits 0, at most ``tries`` times."""
    runs = []
    for _ in range(tries):
        runs.append(run_argo(argv, scenario=scenario))
        if runs[-1].code == 0:
            break
    return runs


# --------------------------------------------------------------------------------------------
# Databases: a fresh one per kill, and what a converged one must hold
# --------------------------------------------------------------------------------------------


class Backend:
    """Fresh empty databases of one backend, each dropped after use."""

    def __init__(self, name: str, folder: Path, admin_url: str | None = None) -> None:
        self.name = name
        self.folder = folder
        self.admin_url = admin_url
        self._count = 0

    def fresh(self, label: str) -> str:
        self._count += 1
        name = f"faults_{re.sub(r'[^a-z0-9]+', '_', label.lower())}_{self._count}"
        if self.admin_url is None:
            return f"sqlite:///{self.folder / (name + '.sqlite')}"
        import sqlalchemy as sa

        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                conn.exec_driver_sql(f"CREATE DATABASE {name}")
        finally:
            admin.dispose()
        url = sa.make_url(self.admin_url).set(database=name)
        return url.render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        import sqlalchemy as sa

        forget_engine(url)
        if self.admin_url is None:
            path = Path(sa.make_url(url).database or "")
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
            return
        admin = sa.create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        try:
            with admin.connect() as conn:
                name = sa.make_url(url).database
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        finally:
            admin.dispose()


def forget_engine(url: str) -> None:
    """Dispose of the workbook's cached engine of ``url`` (so its database can be dropped)."""
    import sqlalchemy as sa

    from argo_lib import db

    key = sa.make_url(url).render_as_string(hide_password=False)
    engine = db._ENGINES.pop(key, None)
    if engine is not None:
        engine.dispose()


@dataclasses.dataclass
class DbState:
    """What a workbook database holds after a run, for comparison with a clean run's."""

    readings: Any  # pandas.DataFrame
    ledger: collections.Counter
    runs: list[dict[str, Any]]
    ledger_by_run: dict[int, int]
    windows_by_run: dict[int, int]

    @property
    def ledger_count(self) -> int:
        return sum(self.ledger.values())


def _ledger_key(row: dict[str, Any]) -> tuple:
    import pandas as pd

    ts = row["timestamp"]
    stamp = None if ts is None or pd.isna(ts) else pd.Timestamp(ts).tz_convert("UTC").isoformat()

    def text(value: Any) -> str | None:
        return (
            None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
        )

    return (
        None if pd.isna(row["channel_id"]) else int(row["channel_id"]),
        stamp,
        text(row["field"]),
        text(row["raw_value"]),
        text(row["reason"]),
        text(row["location"]),
    )


def read_state(url: str) -> DbState:
    """Readings (all columns), the rejected ledger and the run log of the database at ``url``."""
    import sqlalchemy as sa

    from argo_lib import db

    engine = db.get_engine(url)
    try:
        readings = db.read_readings(engine, columns="all")
        rejected = db.read_rejected(engine)
        runs = db.read_runs(engine, limit=10_000).sort_values("run_id")
        with engine.connect() as conn:
            windows = dict(
                conn.execute(
                    sa.select(db.ingestion_windows.c.run_id, sa.func.count()).group_by(
                        db.ingestion_windows.c.run_id
                    )
                ).all()
            )
    finally:
        forget_engine(url)
    records = rejected.to_dict("records")
    by_run = collections.Counter(int(r["run_id"]) for r in records if r["run_id"] is not None)
    return DbState(
        readings=readings.reset_index(drop=True),
        ledger=collections.Counter(_ledger_key(r) for r in records),
        runs=[
            {k: r[k] for k in ("run_id", "status", "error", "rows_rejected")}
            for r in runs.to_dict("records")
        ],
        ledger_by_run=dict(by_run),
        windows_by_run={int(k): int(v) for k, v in windows.items()},
    )


def reference_problems(ref: DbState) -> list[str]:
    """What is wrong with a clean run's database (one run, ok, ledger count = its run log's)."""
    problems = []
    if [r["status"] for r in ref.runs] != ["ok"]:
        problems.append(f"clean run: runs {[r['status'] for r in ref.runs]}, expected ['ok']")
    elif ref.ledger_count != int(ref.runs[0]["rows_rejected"]):
        problems.append(
            f"clean run: ledger holds {ref.ledger_count} rejected values, the run log says "
            f"{ref.runs[0]['rows_rejected']}"
        )
    if max(ref.ledger.values(), default=1) > 1:
        problems.append("clean run: a rejected value is recorded twice")
    return problems


def killed_state_problems(state: DbState, ref: DbState) -> list[str]:
    """How a database right after a kill is not a part of the clean run's (a changed value)."""

    problems = []
    keys = ["channel_id", "timestamp"]
    merged = state.readings.merge(
        ref.readings, on=keys, how="left", suffixes=("", "_ref"), indicator=True
    )
    changed = merged["_merge"] != "both"
    for column in (c for c in state.readings.columns if c not in keys):
        a, b = merged[column], merged[column + "_ref"]
        changed = changed | ~((a == b) | (a.isna() & b.isna()))
    if changed.any():
        problems.append(
            f"after the kill {int(changed.sum())} stored readings are not a clean run's"
        )
    extra = sum((state.ledger - ref.ledger).values())
    if extra:
        problems.append(f"after the kill the ledger holds {extra} values a clean run does not")
    return problems


def convergence_problems(
    state: DbState, ref: DbState, *, started: bool, finished: bool, reruns: int
) -> list[str]:
    """How a database after a killed run and its re-runs differs from the clean run's.

    ``started``/``finished``: whether the killed run had written its run-log row / its end.
    """
    import pandas as pd

    problems = []
    try:
        pd.testing.assert_frame_equal(state.readings, ref.readings, check_exact=True)
    except AssertionError as exc:
        detail = " ".join(str(exc).split())[:160]
        problems.append(
            f"readings differ from a clean run's ({len(state.readings)} vs "
            f"{len(ref.readings)} rows): {detail}"
        )
    if state.ledger != ref.ledger:
        missing = sum((ref.ledger - state.ledger).values())
        extra = sum((state.ledger - ref.ledger).values())
        problems.append(f"ledger differs from a clean run's: {missing} missing, {extra} extra")
    expected_count = int(ref.runs[0]["rows_rejected"]) if ref.runs else 0
    if state.ledger_count != expected_count:
        problems.append(
            f"ledger count {state.ledger_count} != the clean run log's rows_rejected "
            f"{expected_count}"
        )
    statuses = [r["status"] for r in state.runs]
    if len(statuses) != int(started) + reruns:
        problems.append(f"{len(statuses)} runs logged, expected {int(started) + reruns}")
    if "running" in statuses:
        problems.append(f"a run is left 'running': {statuses}")
    if not statuses or statuses[-1] != "ok":
        problems.append(f"the last run is not ok: {statuses}")
    for run in state.runs:  # a finished run writes only values it met: rows_rejected counts them
        new = state.ledger_by_run.get(int(run["run_id"]), 0)
        if run["status"] == "ok" and new > int(run["rows_rejected"]):
            problems.append(
                f"run {run['run_id']} wrote {new} ledger rows but its rows_rejected is "
                f"{run['rows_rejected']}"
            )
    if started and state.runs:
        killed = state.runs[0]
        if finished:
            if killed["status"] != "ok":
                problems.append(f"the run killed after its end is {killed['status']!r}")
        elif killed["status"] != "failed" or not str(killed["error"] or "").startswith("abandoned"):
            problems.append(
                f"the killed run is {killed['status']!r} ({killed['error']!r}), not marked "
                "failed/abandoned by the next run"
            )
    return problems


# --------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    """One row of the table: a fault, how often it was injected, how often the result held."""

    fault: str
    runs: int = 0
    converged: int = 0
    codes: collections.Counter = dataclasses.field(default_factory=collections.Counter)
    problems: list[str] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def add(self, point: str, runs: Sequence[Run], problems: Sequence[str]) -> None:
        self.runs += 1
        for run in runs:
            self.codes[run.code] += 1
        if problems:
            self.problems.append(f"{point}: " + "; ".join(problems))
        else:
            self.converged += 1


def ingest_argv(url: str) -> list[str]:
    """The campaign's ``argo ingest --fake`` (2 channels, 3 days, hourly)."""
    return [
        "ingest",
        "--fake",
        "--site",
        SITE,
        "--channels",
        ",".join(map(str, INGEST_CHANNELS)),
        "--start",
        INGEST_START,
        "--end",
        INGEST_END,
        "--as-of",
        NOW,
        "--resolution",
        "3600",
        "--no-progress",
        "--database-url",
        url,
    ]


def write_import_csv(path: Path) -> Path:
    """A long CSV of 2 channels x 48 hours with 5 values the import rejects (fixed content)."""
    lines = ["timestamp,channel_id,power_kw,energy_kwh"]
    for channel in INGEST_CHANNELS:
        for hour in range(48):
            day, hh = divmod(hour, 24)
            power = f"{10 + (hour * 7 + channel) % 13 / 4:.2f}"
            energy = power
            if (channel, hour) in ((162285, 5), (162320, 30)):
                energy = "-1.5"  # negative energy: row kept out
            elif (channel, hour) == (162285, 17):
                power = "err"  # not a number: NULL, recorded
            elif (channel, hour) == (162320, 11):
                energy = "1e15"  # more than the channel can draw: row kept out
            elif (channel, hour) == (162320, 40):
                power = "9999"  # over 5000 kW: row kept out
            lines.append(f"2025-12-{1 + day:02d}T{hh:02d}:00:00-05:00,{channel},{power},{energy}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pick_points(labels: Sequence[str], *, quick: bool, kind: Callable[[str], str]) -> list[int]:
    """1-based steps to kill at: all, or (quick) the middle occurrence of each kind of step."""
    if not quick:
        return list(range(1, len(labels) + 1))
    by_kind: dict[str, list[int]] = {}
    for i, label in enumerate(labels, start=1):
        by_kind.setdefault(kind(label), []).append(i)
    return sorted(steps[(len(steps) - 1) // 2] for steps in by_kind.values())


def _db_kind(label: str) -> str:
    return label.split()[0]


def kill_campaign(
    backend: Backend,
    *,
    scenario: str,
    fault: str,
    argv_for: Callable[[str], list[str]],
    quick: bool,
    log: Callable[[str], None],
) -> Outcome:
    """Kill ``argv_for(url)`` at each (chosen) write step of ``scenario``; check convergence."""
    outcome = Outcome(fault)
    ref_url = backend.fresh(f"{scenario}_ref")
    try:
        clean = run_argo(argv_for(ref_url), scenario=scenario, list_steps=True)
        if clean.code != 0 or not clean.labels:
            outcome.problems.append(f"clean run: exit {clean.code}: {clean.err.strip()[-300:]}")
            return outcome
        ref = read_state(ref_url)
    finally:
        backend.drop(ref_url)
    outcome.problems += reference_problems(ref)
    labels = clean.labels
    points = pick_points(labels, quick=quick, kind=_db_kind)
    log(f"  {scenario} [{backend.name}]: {len(labels)} write steps, killing at {len(points)}")
    found: list[dict[str, str]] = []
    for k in points:
        url = backend.fresh(f"{scenario}_{k}")
        try:
            killed = run_argo(argv_for(url), scenario=scenario, kill_at=k)
            problems = []
            if killed.code != KILLED:
                problems.append(f"the kill did not happen (exit {killed.code})")
            problems += killed_state_problems(read_state(url), ref)
            reruns = run_until_done(argv_for(url), scenario=scenario)
            if reruns[-1].code != 0:
                problems.append(
                    f"re-runs exit {[r.code for r in reruns]}: {reruns[-1].err.strip()[-200:]}"
                )
            done = labels[:k]
            state = read_state(url)
            problems += convergence_problems(
                state,
                ref,
                started="db.start_run" in done,
                finished="db.finish_run" in done,
                reruns=len(reruns),
            )
            outcome.add(f"step {k} ({labels[k - 1]})", [killed, *reruns], problems)
            abandoned = state.runs[0] if "db.start_run" in done and state.runs else None
            if abandoned and abandoned["status"] == "failed":
                found.append(abandoned_run_notes(f"step {k} ({labels[k - 1]})", state, done))
        finally:
            backend.drop(url)
    outcome.notes += summarise_notes(found, len(points))
    return outcome


def abandoned_run_notes(point: str, state: DbState, done: Sequence[str]) -> dict[str, str]:
    """What the run log of a killed run says against what it stored (information, not a failure).

    Returns kind -> an example (``ledger``: its ledger rows against its ``rows_rejected``;
    ``windows``: channel-windows it wrote against those ``ingestion_windows`` lists).
    """
    run = state.runs[0]
    notes = {}
    ledger = state.ledger_by_run.get(int(run["run_id"]), 0)
    if ledger != int(run["rows_rejected"]):
        notes["ledger"] = f"{point}: {ledger} ledger rows, rows_rejected {run['rows_rejected']}"
    written = sum(label.startswith("written ") for label in done)
    logged = state.windows_by_run.get(int(run["run_id"]), 0)
    if written and logged < written:
        notes["windows"] = f"{point}: {written} window(s) written, {logged} logged"
    return notes


def summarise_notes(found: Sequence[dict[str, str]], kills: int) -> list[str]:
    """One line per kind of :func:`abandoned_run_notes`: in how many kills, with an example."""
    text = {
        "ledger": "killed runs whose ledger rows (their run id) disagree with their run-log "
        "row's rows_rejected, left at 0 by the reaper",
        "windows": "killed runs whose written channel-windows are missing from "
        "ingestion_windows (the log is written every 64 windows and at the end)",
    }
    lines = []
    for kind, what in text.items():
        examples = [notes[kind] for notes in found if kind in notes]
        if examples:
            lines.append(f"{len(examples)} of {kills} {what}; e.g. {examples[-1]}")
    return lines


def snapshot(folder: Path) -> dict[str, str] | None:
    """File name -> SHA-256 of a folder's files; None when it does not exist."""
    if not folder.is_dir():
        return None
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


def brief_complete(folder: Path, names: set[str]) -> bool:
    """Whether ``folder`` holds exactly a run's files, none empty, its JSON whole."""
    if not folder.is_dir() or {p.name for p in folder.iterdir()} != names:
        return False
    if any(p.stat().st_size == 0 for p in folder.iterdir()):
        return False
    try:
        doc = json.loads((folder / "weekly_brief.json").read_text(encoding="utf-8"))
    except ValueError:
        return False
    return isinstance(doc, dict) and "summary" in doc


def _brief_kind(label: str) -> str:
    """Steps inside the staging folder are one kind; each step of the publication its own."""
    event, _, rest = label.partition(" ")
    paths = rest.split(" -> ")
    if all(p.startswith(".") and ".partial-" in p for p in paths):
        return "staging"
    return label


def brief_campaign(
    backend: Backend, folder: Path, *, quick: bool, log: Callable[[str], None]
) -> Outcome:
    """Kill ``argo brief`` before each file-system change of its publication; check the folder."""
    outcome = Outcome(f"SIGKILL before each file change of `argo brief` ({backend.name})")
    url = backend.fresh("brief")
    out_root = folder / f"brief-{backend.name}"
    target = out_root / BRIEF_WEEK
    argv = ["brief", "--database-url", url, "--week", BRIEF_WEEK, "--output-dir", str(target)]
    try:
        demo = run_argo(
            ["demo", "--database-url", url, "--weeks", "5", "--end-week", BRIEF_WEEK]
            + ["--resolution", "3600"]
        )
        first = run_argo(argv) if demo.code == 0 else demo
        if first.code != 0:
            outcome.problems.append(f"clean brief: exit {first.code}: {first.err.strip()[-300:]}")
            return outcome
        names = set(snapshot(target) or {})
        counted = run_argo(argv, scenario="brief", watch=out_root, list_steps=True)
        if counted.code != 0 or not counted.labels:
            outcome.problems.append(f"counted brief: exit {counted.code}")
            return outcome
        labels = counted.labels
        points = pick_points(labels, quick=quick, kind=_brief_kind)
        log(f"  brief [{backend.name}]: {len(labels)} file steps, killing at {len(points)}")
        for k in points:
            before = snapshot(target)
            killed = run_argo(argv, scenario="brief", watch=out_root, kill_at=k)
            after = snapshot(target)
            problems = []
            if killed.code != KILLED:
                problems.append(f"the kill did not happen (exit {killed.code})")
            if after is None:
                problems.append("no published folder after the kill (the previous one is gone)")
            elif after != before and not brief_complete(target, names):
                problems.append(f"a half folder after the kill: {sorted(after)}")
            rerun = run_until_done(argv, scenario="")
            if rerun[-1].code != 0 or not brief_complete(target, names):
                problems.append(
                    f"re-run exit {rerun[-1].code}, folder complete: "
                    f"{brief_complete(target, names)}"
                )
            outcome.add(f"step {k} ({labels[k - 1]})", [killed, *rerun], problems)
        leftovers = sorted(p.name for p in out_root.iterdir() if p.name.startswith("."))
        if leftovers:
            masked = collections.Counter(re.sub(r"-[0-9a-f]+$", "-*", n) for n in leftovers)
            outcome.notes.append(
                "hidden folders left beside the published one after the kills and re-runs: "
                + ", ".join(f"{n} x{c}" for n, c in sorted(masked.items()))
            )
    finally:
        backend.drop(url)
        shutil.rmtree(out_root, ignore_errors=True)
    return outcome


# --------------------------------------------------------------------------------------------
# Bad inputs: expected exit status and message
# --------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BadInput:
    """A bad input, its command (from the prepared files and a database URL) and the answer."""

    name: str
    argv: Callable[[dict[str, Path], str], list[str]]
    code: int
    fragment: str
    needs_database: bool = False
    env: Callable[[dict[str, Path]], dict[str, str]] | None = None
    check: Callable[[str], str | None] | None = None
    """Called with the database URL after the command: a problem, or None."""
    needs_non_root: bool = False
    """Root may write anywhere: the case cannot happen for root."""


def prepare_inputs(folder: Path) -> dict[str, Path]:
    """The files the bad inputs use, written into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {"folder": folder}
    files["not_a_database"] = folder / "notes.sqlite"
    files["not_a_database"].write_text("these are notes, not a database\n", encoding="utf-8")
    files["semicolon"] = folder / "semicolon_decimal_comma.csv"
    files["semicolon"].write_text(
        "timestamp;channel_id;power_kw;energy_kwh\n"
        "2025-12-01 00:00;162285;1,5;1,5\n"
        "2025-12-01 01:00;162285;2,25;2,25\n"
        "2025-12-01 02:00;162285;1,75;1,75\n",
        encoding="utf-8",
    )
    files["huge_row"] = folder / "huge_row.csv"
    files["huge_row"].write_text(
        "timestamp,channel_id,power_kw,energy_kwh\n"
        "2025-12-01T00:00:00-05:00,162285,1.2,1.2\n"
        "2025-12-01T01:00:00-05:00,162285,1.3,1e15\n"
        "2025-12-01T02:00:00-05:00,162285,1.4,1.4\n",
        encoding="utf-8",
    )
    files["huge_only"] = folder / "huge_only.csv"
    files["huge_only"].write_text(
        "timestamp,channel_id,energy_kwh\n2025-12-01T00:00:00-05:00,162285,1e15\n",
        encoding="utf-8",
    )
    files["weather_header"] = folder / "weather_header_only.csv"
    files["weather_header"].write_text("timestamp,temperature_c\n", encoding="utf-8")
    files["a_file"] = folder / "a_file"
    files["a_file"].write_text("not a folder\n", encoding="utf-8")
    files["read_only"] = folder / "read_only"
    files["read_only"].mkdir(exist_ok=True)
    files["read_only"].chmod(0o555)
    params = folder / "params"
    (params / "sites").mkdir(parents=True, exist_ok=True)
    site = (ROOT / "params" / "sites" / "wilson_center.yaml").read_text(encoding="utf-8")
    site, n = re.subn(r"(?m)^default_resolution_s:.*$", "default_resolution_s: 0", site)
    if n != 1:
        raise RuntimeError("params/sites/wilson_center.yaml has no default_resolution_s line")
    (params / "sites" / "wilson_center.yaml").write_text(site, encoding="utf-8")
    files["params_zero_resolution"] = params
    return files


def _stored(url: str, column: str) -> list[float]:
    from argo_lib import db

    engine = db.get_engine(url)
    try:
        frame = db.read_readings(engine, columns=[column])
    finally:
        forget_engine(url)
    return [float(v) for v in frame[column]]


def _semicolon_stored(url: str) -> str | None:
    energy = _stored(url, "energy_kwh")
    power = _stored(url, "power_kw")
    if energy != [1.5, 2.25, 1.75] or power != [1.5, 2.25, 1.75]:
        return f"stored energy {energy}, power {power}; expected [1.5, 2.25, 1.75] for both"
    return None


def _huge_row_stored(url: str) -> str | None:
    energy = _stored(url, "energy_kwh")
    return None if energy == [1.2, 1.4] else f"stored energy {energy}, expected [1.2, 1.4]"


BAD_INPUTS: tuple[BadInput, ...] = (
    BadInput(
        "malformed DATABASE_URL",
        lambda f, url: ["db", "check"],
        2,
        "is not valid",
        env=lambda f: {"DATABASE_URL": "postgresql//argo@localhost/argo"},
    ),
    BadInput(
        "unknown database driver",
        lambda f, url: ["db", "check", "--database-url", "oracle://argo@localhost/argo"],
        2,
        "unsupported database 'oracle'",
    ),
    BadInput(
        "non-numeric port",
        lambda f, url: ["db", "check", "--database-url", "postgresql://argo@localhost:five/argo"],
        2,
        "is not valid",
    ),
    BadInput(
        "a file that is not a database",
        lambda f, url: ["db", "check", "--database-url", f"sqlite:///{f['not_a_database']}"],
        2,
        "is not an SQLite database",
    ),
    BadInput(
        "--params missing.yaml",
        lambda f, url: (
            ["brief", "--database-url", url] + ["--params", str(f["folder"] / "missing.yaml")]
        ),
        2,
        "no such parameter file",
        needs_database=True,
    ),
    BadInput(
        "--output-dir that cannot be created",
        lambda f, url: (
            ["brief", "--database-url", url, "--week", BRIEF_WEEK]
            + ["--output-dir", str(f["a_file"] / "out")]
        ),
        2,
        "cannot be created",
        needs_database=True,
    ),
    BadInput(
        "--output-dir in a read-only folder",
        lambda f, url: (
            ["brief", "--database-url", url, "--week", BRIEF_WEEK]
            + ["--output-dir", str(f["read_only"] / "out")]
        ),
        2,
        "no permission to write",
        needs_database=True,
        needs_non_root=True,
    ),
    BadInput(
        "semicolon CSV with decimal commas",
        lambda f, url: ["import-csv", "--database-url", url, "--site", SITE, str(f["semicolon"])],
        0,
        "3 written, 0 values rejected",
        needs_database=True,
        check=_semicolon_stored,
    ),
    BadInput(
        "energy 1e15 in one CSV row",
        lambda f, url: ["import-csv", "--database-url", url, "--site", SITE, str(f["huge_row"])],
        0,
        "warning: huge_row.csv: 1 value rejected",
        needs_database=True,
        check=_huge_row_stored,
    ),
    BadInput(
        "energy 1e15 as the only value",
        lambda f, url: (
            ["import-csv", "--database-url", url, "--site", SITE]
            + ["--resolution", "3600", str(f["huge_only"])]
        ),
        1,
        "every value was rejected",
        needs_database=True,
    ),
    BadInput(
        "header-only weather file",
        lambda f, url: (
            ["import-weather", "--database-url", url, "--site", SITE] + [str(f["weather_header"])]
        ),
        2,
        "no data rows",
        needs_database=True,
    ),
    BadInput(
        "--threshold after_hours.min_weekly_kwh=NaN",
        lambda f, url: (
            ["brief", "--database-url", url, "--week", BRIEF_WEEK]
            + [
                "--output-dir",
                str(f["folder"] / "out"),
                "--threshold",
                "after_hours.min_weekly_kwh=NaN",
            ]
        ),
        2,
        "use a finite number >= 0",
        needs_database=True,
    ),
    BadInput(
        "site file with default_resolution_s: 0",
        lambda f, url: (
            ["ingest", "--fake", "--site", SITE, "--days", "1", "--as-of", NOW]
            + ["--no-progress", "--database-url", url]
        ),
        2,
        "default_resolution_s = 0",
        needs_database=True,
        env=lambda f: {"ARGO_PARAMS_DIR": str(f["params_zero_resolution"])},
    ),
)
"""The bad inputs of issue 10 with the exit status and message fragment the commands give."""


def answer_problems(case: BadInput, code: int, text: str) -> list[str]:
    """How a command's answer to a bad input differs from the expected one."""
    problems = []
    if code != case.code:
        problems.append(f"exit {code}, expected {case.code}")
    if case.fragment not in text:
        problems.append(f"no {case.fragment!r} in the output")
    for bad in ("Traceback", "unexpected error"):
        if bad in text:
            problems.append(f"{bad!r} in the output")
    return problems


def bad_input_campaign(
    backend: Backend, folder: Path, *, cases: Sequence[BadInput], suffix: str
) -> list[Outcome]:
    """Run each bad input through the real command line (a child process); check the answers."""
    files = prepare_inputs(folder)
    outcomes = []
    for case in cases:
        outcome = Outcome(f"{case.name} → exit {case.code}, “{case.fragment}”{suffix}")
        if case.needs_non_root and os.geteuid() == 0:
            outcome.notes.append("not run: as root every folder is writable")
            outcomes.append(outcome)
            continue
        url = backend.fresh("bad") if case.needs_database else ""
        try:
            if url:
                from argo_lib import db

                db.upgrade(db.get_engine(url))
                forget_engine(url)
            env = case.env(files) if case.env else None
            run = run_argo(case.argv(files, url), env=env)
            problems = answer_problems(case, run.code, run.text)
            if case.check is not None and not problems:
                found = case.check(url)
                if found:
                    problems.append(found)
            outcome.add(case.name, [run], problems)
        finally:
            if url:
                backend.drop(url)
        outcomes.append(outcome)
    return outcomes


# --------------------------------------------------------------------------------------------
# The table
# --------------------------------------------------------------------------------------------


def _codes(counter: collections.Counter) -> str:
    def name(code: int) -> str:
        return "SIGKILL" if code == KILLED else str(code)

    return ", ".join(f"{name(c)} ×{n}" for c, n in sorted(counter.items())) or "not run"


def format_table(outcomes: Sequence[Outcome], *, footer: str) -> str:
    """The markdown table, then the problems and notes (none when every fault converged)."""
    lines = [
        "| fault | runs | converged | exit codes seen |",
        "|---|---:|---:|---|",
    ]
    for o in outcomes:
        lines.append(f"| {o.fault} | {o.runs} | {o.converged} | {_codes(o.codes)} |")
    lines += ["", footer]
    problems = [f"- {o.fault}: {p}" for o in outcomes for p in o.problems]
    notes = [f"- {o.fault}: {n}" for o in outcomes for n in o.notes]
    if problems:
        lines += ["", "Not converged:", "", *problems]
    if notes:
        lines += ["", "Notes:", "", *notes]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_child"]:
        return _child(argv[1:])
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--quick", action="store_true", help="one kill per kind of step")
    parser.add_argument("--update-readme", action="store_true")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    started = time.perf_counter()
    outcomes: list[Outcome] = []
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="argo-faults-")))
        backends = []
        if args.backend in ("sqlite", "both"):
            backends.append(Backend("sqlite", folder))
        if args.backend in ("postgres", "both"):
            from argo_lib.pgtemp import TemporaryPostgres

            cluster = stack.enter_context(TemporaryPostgres())
            backends.append(Backend("postgres", folder, cluster.admin_url))
        for backend in backends:
            log(f"{backend.name}:")
            outcomes.append(
                kill_campaign(
                    backend,
                    scenario="ingest",
                    fault=f"SIGKILL at each write step of `argo ingest --fake` ({backend.name})",
                    argv_for=ingest_argv,
                    quick=args.quick,
                    log=log,
                )
            )
            csv_file = write_import_csv(folder / "readings.csv")
            outcomes.append(
                kill_campaign(
                    backend,
                    scenario="import",
                    fault=f"SIGKILL after each write of `argo import-csv` ({backend.name})",
                    argv_for=lambda url, f=csv_file: [
                        "import-csv",
                        "--database-url",
                        url,
                        "--site",
                        SITE,
                        str(f),
                    ],
                    quick=False,  # a handful of steps: always all of them
                    log=log,
                )
            )
            outcomes.append(brief_campaign(backend, folder, quick=args.quick, log=log))
        log("bad inputs:")
        first = backends[0]
        independent = [c for c in BAD_INPUTS if not c.needs_database]
        outcomes += bad_input_campaign(first, folder / "inputs", cases=independent, suffix="")
        for backend in backends:
            dependent = [c for c in BAD_INPUTS if c.needs_database]
            outcomes += bad_input_campaign(
                backend,
                folder / f"inputs-{backend.name}",
                cases=dependent,
                suffix=f" ({backend.name})",
            )
    seconds = time.perf_counter() - started
    footer = (
        f"{'Quick' if args.quick else 'Full'} campaign, {sum(o.runs for o in outcomes)} faults "
        f"injected in {seconds:.0f} s on {platform.machine()} with {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()} ({platform.system()}); "
        "`.venv/bin/python benchmarks/faults.py"
        f"{' --quick' if args.quick else ''} --backend {args.backend}`."
    )
    table = format_table(outcomes, footer=footer)
    print(table)
    if args.update_readme:
        sys.path.insert(0, str(THIS.parent))
        from readme_section import update_section

        if not update_section(SECTION, table):
            print(
                "README.md has no <!-- faults:begin --> / <!-- faults:end --> markers; add them "
                "where the table belongs",
                file=sys.stderr,
            )
            return 1
    return 0 if all(o.converged == o.runs and not o.problems for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
