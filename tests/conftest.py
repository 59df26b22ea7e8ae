"""Shared fixtures: database engines on both backends, tolerances, frame comparison.

Every database test takes the ``engine`` fixture and runs twice: on an SQLite file in
``tmp_path`` and on PostgreSQL. PostgreSQL is, in order of preference, the server named by
``ARGO_TEST_DATABASE_URL`` (an admin URL; each test gets a fresh database on it), or a throwaway
PostgreSQL cluster that this session creates in a temporary folder and removes afterwards (see
DEVELOPERS.md). Without either, PostgreSQL tests are skipped, except under ``CI=true``, where that
is a failure.
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import pytest
import requests
import sqlalchemy as sa

from argo_lib import db
from argo_lib.eniscope.transport import SessionTransport
from argo_lib.pgtemp import TemporaryPostgres

# Tolerances, named for why they are what they are.
ENERGY_ATOL_KWH = 1e-6  # sums of exact inputs: only float rounding may differ
POWER_ATOL_KW = 1e-9  # values that are copied, not computed
INJECTED_RTOL = 0.05  # an analytic must report an injected quantity within ±5 % (issue text)

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def assert_frame_close(
    left: pd.DataFrame, right: pd.DataFrame, *, atol: float, rtol: float = 0.0
) -> None:
    """Frames equal in index, columns and dtypes, numeric values within tolerances."""
    pd.testing.assert_frame_equal(left, right, check_exact=False, atol=atol, rtol=rtol)


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """Admin URL of a PostgreSQL server for tests (external or a throwaway cluster)."""
    external = os.environ.get("ARGO_TEST_DATABASE_URL")
    if external:
        yield external
        return
    try:
        cluster = TemporaryPostgres()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        message = f"no PostgreSQL for tests: {exc} {detail.decode(errors='replace')[-500:]}"
        if IN_CI:
            pytest.fail(message + " (CI=true: PostgreSQL tests must run, not skip)")
        pytest.skip(message)
    try:
        yield cluster.admin_url
    finally:
        cluster.stop()


_db_counter = itertools.count()


@pytest.fixture
def postgres_database(postgres_admin_url: str) -> Iterator[Callable[[str], str]]:
    """Factory of fresh, empty PostgreSQL databases (``make("argo_test")`` gives a URL); each
    is dropped after the test."""
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    names: list[str] = []

    def make(prefix: str = "argo_test") -> str:
        name = f"{prefix}_{os.getpid()}_{next(_db_counter)}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f"CREATE DATABASE {name}")
        names.append(name)
        url = sa.make_url(postgres_admin_url).set(database=name)
        return url.render_as_string(hide_password=False)

    try:
        yield make
    finally:
        for key, engine in list(db._ENGINES.items()):
            if sa.make_url(key).database in names:
                engine.dispose()
                del db._ENGINES[key]
        with admin.connect() as conn:
            for name in names:
                conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_database: Callable[[str], str]) -> str:
    """URL of a fresh, empty PostgreSQL database, dropped after the test."""
    return postgres_database("argo_test")


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request, tmp_path: Path) -> str:
    """URL of an empty database, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'argo.sqlite'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def engine(database_url: str) -> Iterator[sa.Engine]:
    """An upgraded, empty workbook database on each backend."""
    eng = db.get_engine(database_url)
    db.upgrade(eng)
    yield eng
    eng.dispose()
    db._ENGINES.pop(sa.make_url(database_url).render_as_string(hide_password=False), None)


def constant_readings(
    index: pd.DatetimeIndex, channel_id: int, power: np.ndarray | float
) -> pd.DataFrame:
    """Readings of one channel at the given power [kW] (and its energy [kWh]) on ``index``."""
    power = np.broadcast_to(np.asarray(power, dtype=float), (len(index),))
    dt_h = (index[1] - index[0]) / pd.Timedelta(hours=1) if len(index) > 1 else 1.0
    return pd.DataFrame(
        {
            "timestamp": index,
            "channel_id": channel_id,
            "power_kw": power,
            "energy_kwh": power * dt_h,
        }
    )


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator, so every test run sees the same data."""
    return np.random.default_rng(20261126)


@pytest.fixture(scope="session")
def demo_doc(tmp_path_factory):
    """The brief JSON of the demo week 2026-W47 (5 weeks of the simulated site, fixed seed)."""
    from argo_lib import brief, config, dates
    from argo_lib.analytics import analyse_site_week
    from argo_lib.sim import demo

    url = f"sqlite:///{tmp_path_factory.mktemp('demo-doc') / 'demo.sqlite'}"
    engine = db.get_engine(url)
    demo.build_demo_database(engine, weeks=5, end_week="2026-W47")
    site = config.load_site("23271")
    week = dates.report_week("2026-W47", tz=site.timezone)
    base = dates.baseline_period(week, weeks=4)
    readings = db.read_readings(engine, site_id="23271", start=base.start, end=week.end)
    analysis = analyse_site_week(
        readings,
        site=site,
        period=week,
        baseline=base,
        channels=db.read_channels(engine, site_id="23271"),
    )
    doc = brief.build_brief(
        analysis,
        parameters={"week": "2026-W47"},
        generated_at=pd.Timestamp("2026-11-23 06:00", tz="UTC"),
    )
    engine.dispose()
    return doc


# --------------------------------------------------------------------------------------------
# Eniscope: a transport that records what it sends and fails on cue, without waiting
# --------------------------------------------------------------------------------------------

GATE_TIMEOUT_S = 10.0  # safety net only: a client that never reaches the concurrency fails then


class FaultyTransport(SessionTransport):
    """The real Eniscope transport (HTTP to the fake server) that records requests and fails on cue.

    ``fail(path, error, times=n)`` raises ``error`` (a ``requests`` exception class) instead of
    sending the next ``n`` requests whose URL path contains ``path``: a read timeout or a refused
    connection happens at once, without a socket waiting for it. ``hold(n)`` keeps the first ``n``
    requests that go to the server waiting until all ``n`` are in flight, so a concurrency test
    does not depend on how fast the server answers.
    """

    def __init__(self) -> None:
        super().__init__(pool_maxsize=8)
        self.sent: list[tuple[str, dict[str, str]]] = []
        self.tokens: list[str] = []
        self.raised: list[tuple[str, str]] = []
        self.peak = 0
        self._in_flight = 0
        self._faults: list[list] = []  # [path, error class, times left]
        self._gate: threading.Barrier | None = None
        self._to_hold = 0
        self._lock = threading.Lock()

    def fail(self, path: str, error: type[Exception] = requests.ReadTimeout, *, times: int = 1):
        self._faults.append([path, error, times])

    def hold(self, n: int) -> None:
        self._gate = threading.Barrier(n, timeout=GATE_TIMEOUT_S)
        self._to_hold = n

    def get(self, url, *, headers, timeout):
        path = urlsplit(url).path
        with self._lock:
            self.sent.append((url, dict(headers)))
            error = self._take_fault(path)
            if error is None:
                self._in_flight += 1
                self.peak = max(self.peak, self._in_flight)
                gate = self._gate if self._to_hold else None
                self._to_hold = max(0, self._to_hold - 1)
        if error is not None:
            self.raised.append((path, error.__name__))
            raise error(f"injected by the test for {path}")
        try:
            if gate is not None:
                gate.wait()
            response = super().get(url, headers=headers, timeout=timeout)
        finally:
            with self._lock:
                self._in_flight -= 1
        token = response.headers.get("X-Eniscope-Token")
        if token:
            with self._lock:
                self.tokens.append(token)
        return response

    def _take_fault(self, path: str) -> type[Exception] | None:
        for fault in self._faults:
            if fault[0] in path and fault[2] > 0:
                fault[2] -= 1
                return fault[1]
        return None


@pytest.fixture
def make_transport() -> Iterator:
    """Factory of :class:`FaultyTransport` objects, closed after the test."""
    made: list[FaultyTransport] = []

    def make() -> FaultyTransport:
        made.append(FaultyTransport())
        return made[-1]

    yield make
    for transport in made:
        transport.close()


class _Sink:
    """Keeps what a local SMTP server receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        self.messages.append((envelope.mail_from, envelope.rcpt_tos, envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A local SMTP server (no TLS) on a free loopback port: ``(port, sink)``; ``sink.messages``
    holds ``(mail_from, rcpt_tos, content)`` of every message received."""
    from aiosmtpd.controller import Controller

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sink = _Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, sink
    finally:
        controller.stop()


# --------------------------------------------------------------------------------------------
# Golden notebooks (nbval): the demo database and folders their kernels see
# --------------------------------------------------------------------------------------------

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
GOLDEN_DEMO = {"weeks": 5, "end_week": "2026-W47", "resolution_s": 900, "seed": 7}
"""The demo database every golden notebook runs on (fixed seed and week)."""
GOLDEN_PARAMETERS = {
    "weekly_brief": {"week": "2026-W47"},
    "explore": {"start": "2026-10-26", "end": "2026-11-22"},  # 4 weeks, the fall-back day in it
    "unit_health": {"start": "2026-10-26", "end": "2026-11-22"},  # 4 weeks, the fall-back day
    # the five demo weeks, the last two compared with the three before (the demo's faults)
    "wilson_center_analysis": {
        "start": "2026-10-19",
        "end": "2026-11-22",
        "change_date": "2026-11-09",
    },
    "portfolio": {"week": "2026-W47"},  # reads the brief publish_golden_briefs publishes
}
"""Notebook → the parameters its golden was executed with."""
GOLDEN_BRIEFS = {"portfolio": ("2026-W47",)}
"""Notebook → the weeks of the demo site's brief published before its golden runs."""


def prepare_golden_environment(folder: Path) -> dict[str, str]:
    """Build the golden demo database in ``folder`` and return the environment for the kernels.

    The kernels inherit these variables: the embedded database is the golden demo file, outputs
    go to ``folder``, and a developer's ``.env`` DATABASE_URL is overridden.
    """
    from argo_lib.sim import demo

    folder.mkdir(parents=True, exist_ok=True)
    sqlite = folder / "golden.sqlite"
    engine = db.get_engine(f"sqlite:///{sqlite}")
    demo.build_demo_database(engine, **GOLDEN_DEMO)
    engine.dispose()
    return {
        "DATABASE_URL": "",
        "ARGO_SQLITE_PATH": str(sqlite),
        "ARGO_OUTPUTS_DIR": str(folder / "outputs"),
    }


def publish_golden_briefs(folder: Path, weeks: tuple[str, ...]) -> None:
    """Publish the golden demo site's briefs of ``weeks`` into ``folder``'s outputs.

    Call it after :func:`prepare_golden_environment` (same ``folder``); only the notebooks of
    :data:`GOLDEN_BRIEFS` read them. No week before the weekly brief golden's is published, so
    that golden's recurring findings stay as they are.
    """
    import dataclasses

    from argo_lib import config
    from argo_lib.jobs.weekly_brief import BriefRequest, compute_brief, publish_brief

    engine = db.get_engine(f"sqlite:///{folder / 'golden.sqlite'}")
    settings = dataclasses.replace(config.get_settings(), outputs_dir=folder / "outputs")
    for week in sorted(weeks):  # the earlier first: a later brief reads it as history
        request = BriefRequest.resolve(
            site_id="23271",
            week=week,
            as_of=pd.Timestamp("2026-11-30 12:00", tz="UTC"),
            engine=engine,
            output_dir=folder / "outputs" / "23271" / week,
        )
        generated = pd.Timestamp("2026-11-23 06:00", tz="UTC")
        publish_brief(
            compute_brief(request, engine=engine, generated_at=generated, settings=settings)
        )
    engine.dispose()


def pytest_collection_modifyitems(session, config, items) -> None:
    """Prepare the golden environment before any nbval kernel starts (only when goldens run)."""
    if not any(str(item.path).endswith(".ipynb") for item in items):
        return
    folder = Path(tempfile.mkdtemp(prefix="argo-golden-"))
    os.environ.update(prepare_golden_environment(folder))
    golden = {Path(str(item.path)).stem for item in items if str(item.path).endswith(".ipynb")}
    weeks = {w for name in golden & set(GOLDEN_BRIEFS) for w in GOLDEN_BRIEFS[name]}
    if weeks:
        publish_golden_briefs(folder, tuple(weeks))
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def require_chromium() -> None:
    """Skip a test that prints with Chromium where it is not installed; fail in CI."""
    if shutil.which("chromium") is None:
        if IN_CI:
            pytest.fail("Debian's chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")


def dead_pid() -> int:
    """The id of a process of this host that has just exited."""
    import sys

    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(child.stdout)


@pytest.fixture(scope="session")
def dq():
    """The detection benchmark module (``benchmarks/detection_quality.py``)."""
    import importlib
    import sys

    benchmarks = str(Path(__file__).resolve().parents[1] / "benchmarks")
    sys.path.insert(0, benchmarks)
    try:
        yield importlib.import_module("detection_quality")
    finally:
        sys.path.remove(benchmarks)
