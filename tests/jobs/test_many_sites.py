"""Many sites' briefs at once: the kernel-less path, a real Dask cluster, the command.

The cluster is a real ``distributed`` scheduler and two workers, each a separate process on
127.0.0.1 (free ports, found through the scheduler file), as an operator would start them; the
portfolio is 10 simulated sites written to a PostgreSQL database, their site files in a
temporary ``params`` folder, plus a broken site file and a site without readings.
"""

from __future__ import annotations

import dataclasses
import email
import itertools
import json
import operator
import os
import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from argo_lib import cli, config, db
from argo_lib.jobs import many_sites, weekly_brief
from argo_lib.jobs.many_sites import PortfolioOptions, SiteOutcome
from argo_lib.sim.portfolio import simulate_portfolio

WEEK = "2026-W47"
AS_OF = pd.Timestamp("2026-11-26 09:00", tz="America/New_York")
SITES = 10
CHANNELS = 3  # a small site keeps the suite fast; the benchmark uses 8
WEEKS = 3  # the report week and a 2-week baseline (the smallest the analytics assess)
BROKEN = "broken"  # a site file that cannot be parsed: its time zone does not exist
NO_DATA = "no_data"  # a valid site file whose site has no readings
GENERATED = pd.Timestamp("2026-11-30 06:00", tz="UTC")
VARIES = ("metadata", "generatedAt")
"""The one field of the brief JSON that differs between two runs: when it was generated."""


def _comparable(doc: dict) -> dict:
    """The brief JSON without the fields that legitimately differ between runs."""
    doc = json.loads(json.dumps(doc))
    del doc[VARIES[0]][VARIES[1]]
    return doc


def _published(folder: str | Path) -> dict:
    return _comparable(json.loads((Path(folder) / "weekly_brief.json").read_text()))


# --------------------------------------------------------------------------------------------
# The kernel-less path gives the notebook's brief (both backends)


def test_kernel_less_brief_equals_the_notebook_brief(engine, database_url, tmp_path, monkeypatch):
    params = tmp_path / "params"
    (site_id,) = simulate_portfolio(engine, params, sites=1, channels=CHANNELS, seed=3)
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(params))
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path / "outputs"))
    request = weekly_brief.BriefRequest.resolve(
        site_id=site_id, week=WEEK, as_of=AS_OF, engine=engine
    )
    url = db.url_for_another_process(engine)
    notebook = weekly_brief.run_weekly_brief(request, database_url=url, output_dir=tmp_path / "nb")
    plain = weekly_brief.compute_and_publish_brief(
        request, engine=engine, output_dir=tmp_path / "plain", generated_at=GENERATED
    )

    assert _published(plain.folder) == _published(notebook.folder)
    assert _comparable(plain.brief) == _comparable(notebook.brief)
    assert plain.brief["metadata"]["generatedAt"].startswith("2026-11-30")
    assert plain.brief["metadata"]["site"]["siteId"] == site_id
    for chart in weekly_brief.CHARTS:  # the same charts, byte for byte
        name = f"{chart}.png"
        assert (plain.folder / name).read_bytes() == (notebook.folder / name).read_bytes()
    assert sorted(p.name for p in plain.folder.iterdir()) == sorted(
        name
        for name in weekly_brief.ARTEFACTS
        if name not in ("weekly_brief.ipynb", "weekly_brief.html")
    )
    eml = (plain.folder / "weekly_brief.eml").read_text()
    assert f"Simulated site {site_id}" in eml and "multipart/alternative" in eml
    assert set(plain.seconds) == {"compute", "publish", "email", "total"}


def test_kernel_less_run_replaces_the_folder_whole(engine, tmp_path, monkeypatch):
    params = tmp_path / "params"
    (site_id,) = simulate_portfolio(engine, params, sites=1, channels=2, seed=5)
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(params))
    request = weekly_brief.BriefRequest.resolve(
        site_id=site_id, week=WEEK, as_of=AS_OF, engine=engine
    )
    target = tmp_path / "out" / site_id / WEEK
    target.mkdir(parents=True)
    (target / "weekly_brief.html").write_text("an older run's report")
    first = weekly_brief.compute_and_publish_brief(request, engine=engine, output_dir=target)
    again = weekly_brief.compute_and_publish_brief(request, engine=engine, output_dir=target)
    assert _comparable(first.brief) == _comparable(again.brief)
    assert not (target / "weekly_brief.html").exists()  # no file of another run beside it
    assert sorted(p.name for p in target.parent.iterdir()) == [WEEK]  # nothing staged is left


# --------------------------------------------------------------------------------------------
# A portfolio in PostgreSQL and a cluster of separate processes


@pytest.fixture(scope="module")
def portfolio(postgres_admin_url, tmp_path_factory):
    """10 simulated sites in a PostgreSQL database, their files, a broken one and one without data."""
    folder = tmp_path_factory.mktemp("portfolio")
    name = f"argo_many_sites_{os.getpid()}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE DATABASE {name}")
    url = sa.make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    engine = db.get_engine(url)
    params = folder / "params"
    ids = simulate_portfolio(engine, params, sites=SITES, channels=CHANNELS, weeks=WEEKS)
    (params / "sites" / f"{BROKEN}.yaml").write_text(
        'site_id: "799999"\nname: Broken site\ntimezone: Mars/Olympus_Mons\n'
    )
    (params / "sites" / f"{NO_DATA}.yaml").write_text(
        'site_id: "799998"\nname: Site without readings\ntimezone: America/New_York\n'
    )
    try:
        yield types.SimpleNamespace(url=url, engine=engine, params=params, ids=ids, folder=folder)
    finally:
        engine.dispose()
        db._ENGINES.pop(url, None)
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A Dask scheduler and two workers, each its own process on 127.0.0.1, and a client."""
    from distributed import Client

    folder = tmp_path_factory.mktemp("dask")
    address_file = folder / "scheduler.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}
    logs = []
    processes = []

    def start(*argv: str, log: str) -> None:
        logs.append((folder / log).open("w"))
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", *argv],
                env=env,
                cwd=folder,
                stdout=logs[-1],
                stderr=subprocess.STDOUT,
            )
        )

    # port 0: each picks a free port; the scheduler writes its address into the file
    start(
        "distributed.cli.dask_scheduler",
        "--host=127.0.0.1",
        "--port=0",
        "--dashboard-address=127.0.0.1:0",
        f"--scheduler-file={address_file}",
        log="scheduler.log",
    )
    for i in range(2):
        start(
            "distributed.cli.dask_worker",
            f"--scheduler-file={address_file}",
            "--host=127.0.0.1",
            "--nthreads=1",
            "--no-dashboard",
            f"--name=worker-{i}",
            log=f"worker-{i}.log",
        )
    client = Client(scheduler_file=str(address_file))
    try:
        client.wait_for_workers(2)
        yield types.SimpleNamespace(client=client, address=client.scheduler.address)
    finally:
        client.close()
        for process in reversed(processes):  # the workers, then the scheduler
            process.terminate()
            process.wait()
        for log in logs:
            log.close()


def _options(portfolio, outputs: Path, **changes) -> PortfolioOptions:
    options = PortfolioOptions(
        week=WEEK,
        database_url=portfolio.url,
        notebook=False,
        params_dir=str(portfolio.params),
        outputs_dir=str(outputs),
        as_of=AS_OF,
        baseline_weeks=WEEKS - 1,
    )
    return dataclasses.replace(options, **changes)


def test_sites_on_two_worker_processes_equal_sequential_runs(portfolio, cluster, tmp_path):
    asked = [*portfolio.ids, BROKEN, NO_DATA]
    done: list[SiteOutcome] = []
    outcomes = many_sites.run_sites(
        asked,
        _options(portfolio, tmp_path / "cluster"),
        client=cluster.client,
        on_done=done.append,
    )
    sequential = many_sites.run_sequentially(
        portfolio.ids, _options(portfolio, tmp_path / "sequential")
    )

    assert [o.site for o in outcomes] == asked  # in the order asked, whatever order they ran
    assert sorted(o.site for o in done) == sorted(asked)
    assert [o.ok for o in outcomes] == [True] * SITES + [False, False]
    broken, no_data = outcomes[-2:]
    assert broken.error.startswith("ConfigError: ") and "Mars/Olympus_Mons" in broken.error
    assert no_data.error.startswith("UsageError: ") and "has no readings" in no_data.error
    assert (no_data.site_id, broken.site_id) == ("", "")
    # both worker processes took sites (and not the test's own process)
    workers = {o.worker for o in outcomes}
    assert len(workers) == 2 and all(w.startswith("tcp://127.0.0.1:") for w in workers)
    for got, want in zip(outcomes[:SITES], sequential, strict=True):
        assert got.site_id == want.site_id == got.site
        assert got.week == WEEK and got.path == "no-notebook"
        assert (got.status, got.findings, got.savings) == (want.status, want.findings, want.savings)
        assert got.folder == str(tmp_path / "cluster" / got.site_id / WEEK)
        assert _published(got.folder) == _published(want.folder)
    # the sites that left a channel on after hours report savings; the others none
    assert [o.savings > 0 for o in sequential] == [k % 2 == 1 for k in range(SITES)]
    assert {o.status for o in sequential[1::2]} == {"attention_needed"}


def test_notebook_path_on_the_cluster_equals_the_kernel_less_path(portfolio, cluster, tmp_path):
    two = portfolio.ids[:2]
    on_cluster = many_sites.run_sites(
        two, _options(portfolio, tmp_path / "nb", notebook=True), client=cluster.client
    )
    plain = many_sites.run_sequentially(two, _options(portfolio, tmp_path / "plain"))
    assert [o.ok for o in on_cluster] == [True, True], [o.error for o in on_cluster]
    for got, want in zip(on_cluster, plain, strict=True):
        assert got.path == "notebook"
        assert _published(got.folder) == _published(want.folder)
        assert (Path(got.folder) / "weekly_brief.html").is_file()
        assert (Path(got.folder) / "weekly_brief.ipynb").is_file()


def _mail_env(monkeypatch, port: int) -> None:
    for name, value in {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_STARTTLS": "false",
        "SMTP_SSL": "false",
        "SMTP_USERNAME": "",
        "SMTP_PASSWORD": "",
        "MAIL_FROM": "brief@argo.test",
        "MAIL_TO": "",
    }.items():
        monkeypatch.setenv(name, value)


def test_all_sites_command_prints_a_table_and_reruns_safely(
    portfolio, cluster, tmp_path, capsys, monkeypatch, smtp_server
):
    outputs = tmp_path / "outputs"
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(portfolio.params))
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(outputs))
    port, sink = smtp_server
    _mail_env(monkeypatch, port)
    argv = ["brief", "--week", WEEK, "--no-notebook", "--baseline-weeks", "2"]
    argv += ["--database-url", portfolio.url, "--scheduler", cluster.address]
    status = cli.main([*argv, "--all-sites"])
    out, err = capsys.readouterr()
    first = {s: _published(outputs / s / WEEK) for s in portfolio.ids}

    lines = out.splitlines()
    assert status == 1  # the broken site file fails the run, not the other sites
    assert lines[0].split() == [
        "site",
        "status",
        "findings",
        "savings",
        "time",
        "folder",
        "or",
        "error",
    ]
    rows = {line.split()[0]: line for line in lines[1:-1]}
    assert sorted(rows) == sorted([*portfolio.ids, BROKEN])
    assert "failed" in rows[BROKEN] and "Mars/Olympus_Mons" in rows[BROKEN]
    for site_id in portfolio.ids:
        assert rows[site_id].rstrip().endswith(str(outputs / site_id / WEEK))
    assert lines[-1] == f"{SITES} published, 1 failed"
    assert f"briefing {SITES} sites, week {WEEK} (kernel-less), on the Dask scheduler at" in err
    assert "100%" in err  # the progress bar reached the end
    password = sa.make_url(portfolio.url).password
    assert not password or password not in out + err
    assert not (outputs / "799998").exists()  # a site without readings is not briefed

    assert sink.messages == []  # nothing sent without --send

    # the same week again (three of the sites and the broken file), sent this time: each
    # folder is replaced whole, with the same brief, and each published brief is e-mailed
    # from the command's process (the workers never see the SMTP settings)
    again = portfolio.ids[:3]
    (outputs / again[0] / WEEK / "weekly_brief.failed.ipynb").write_text("{}")  # an old failure
    sites = ",".join([*again, BROKEN])
    status = cli.main([*argv, "--sites", sites, "--send", "--to", "ops@argo.test"])
    out, _ = capsys.readouterr()
    assert status == 1
    assert out.splitlines()[-1] == "3 e-mails sent, 0 not sent"
    assert [(frm, to) for frm, to, _ in sink.messages] == [
        ("brief@argo.test", ["ops@argo.test"])
    ] * 3
    subjects = sorted(
        email.message_from_bytes(content)["Subject"] for _, _, content in sink.messages
    )
    names = sorted(first[s]["metadata"]["site"]["siteName"] for s in again)
    assert len(set(names)) == 3
    assert all(sum(name in subject for subject in subjects) == 1 for name in names), subjects
    for site_id in again:
        assert sorted(p.name for p in (outputs / site_id).iterdir()) == [WEEK]
        assert _published(outputs / site_id / WEEK) == first[site_id]
    assert not (outputs / again[0] / WEEK / "weekly_brief.failed.ipynb").exists()


def test_sites_with_data_lists_the_sites_of_the_week(portfolio):
    chosen, broken = many_sites.sites_with_data(
        WEEK, engine=portfolio.engine, params_dir=portfolio.params, as_of=AS_OF
    )
    assert chosen == portfolio.ids
    assert [(o.site, o.ok) for o in broken] == [(BROKEN, False)]
    before, _ = many_sites.sites_with_data(
        "2026-W30", engine=portfolio.engine, params_dir=portfolio.params, as_of=AS_OF
    )
    assert before == []


def test_the_command_refuses_single_site_options_with_many_sites(capsys, monkeypatch):
    for name in ("SMTP_HOST", "MAIL_FROM"):
        monkeypatch.setenv(name, "")
    assert cli.main(["brief", "--all-sites", "--pdf"]) == 2
    assert "--pdf: only for one site's brief" in capsys.readouterr().err
    assert cli.main(["brief", "--all-sites", "--to", "a@b.test"]) == 2
    assert "add --send" in capsys.readouterr().err
    # --send checks every mail setting before any site runs
    assert (
        cli.main(
            ["brief", "--all-sites", "--send"],
        )
        == 2
    )
    assert "cannot send the e-mail: SMTP_HOST" in capsys.readouterr().err
    assert cli.main(["brief", "--all-sites", "--sites", "a,b"]) == 2
    assert "not both" in capsys.readouterr().err
    assert cli.main(["brief", "--site", "23271", "--no-notebook", "--pdf"]) == 2
    assert "--no-notebook" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://argo:s3cret@db:5432/energy", "failed for argo:***@db"),
        ("sqlite:///tmp/a.sqlite", "failed for argo:s3cret@db"),
    ],
    ids=["password", "none"],
)
def test_errors_never_show_the_password(url, expected):
    assert many_sites._mask("failed for argo:s3cret@db", url) == expected


def test_a_dead_task_is_a_failed_site_not_a_failed_run(portfolio, cluster, tmp_path):
    options = dataclasses.replace(_options(portfolio, tmp_path / "dead"), baseline_weeks=2)
    outcomes = many_sites._submit_all(
        _RaisingClient(cluster.client), [portfolio.ids[0], portfolio.ids[1]], options, None
    )
    assert [o.ok for o in outcomes] == [False, True]
    assert outcomes[0].error == "ZeroDivisionError: division by zero"
    assert outcomes[0].site == portfolio.ids[0]


class _RaisingClient:
    """A client whose first task raises instead of returning its outcome (a lost worker)."""

    def __init__(self, client):
        self._client = client
        self._count = itertools.count()

    def submit(self, fn, *args, **kwargs):
        if next(self._count) == 0:
            # a function the workers can import (this test module they cannot)
            return self._client.submit(operator.truediv, 1, 0, pure=False)
        return self._client.submit(fn, *args, **kwargs)


def test_one_site_without_the_notebook_from_the_command(portfolio, capsys, monkeypatch):
    outputs = portfolio.folder / "single"
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(portfolio.params))
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(outputs))
    site_id = portfolio.ids[1]
    argv = ["brief", "--site", site_id, "--week", WEEK, "--no-notebook", "--baseline-weeks", "2"]
    assert cli.main([*argv, "--database-url", portfolio.url]) == 0
    out = capsys.readouterr().out
    folder = outputs / site_id / WEEK
    assert out.startswith(f"Simulated site {site_id}, week {WEEK}: attention needed")
    assert f"folder:   {folder}" in out and "(no notebook, no HTML)" in out
    assert sorted(p.name for p in folder.iterdir()) == [
        "after_hours.png",
        "channels.png",
        "site_load.png",
        "week_heatmap.png",
        "weekly_brief.eml",
        "weekly_brief.json",
    ]


def test_send_briefs_reports_a_site_it_cannot_send_and_sends_the_others(
    portfolio, tmp_path, monkeypatch, smtp_server
):
    port, sink = smtp_server
    _mail_env(monkeypatch, port)
    two = portfolio.ids[:2]
    outcomes = many_sites.run_sequentially(two, _options(portfolio, tmp_path / "out"))
    broken = dataclasses.replace(outcomes[1], folder=str(tmp_path / "gone"))  # no .eml there
    failed = SiteOutcome("x", False, error="ConfigError: bad")
    settings = dataclasses.replace(config.get_settings(), smtp_password="s3cret-pw")
    sent = many_sites.send_briefs(
        [outcomes[0], broken, failed],
        settings=settings,
        to=["fm@site.test"],
        params_dir=portfolio.params,
    )
    assert [(s.site_id, s.recipients, bool(s.error)) for s in sent] == [
        (two[0], ("fm@site.test",), False),
        (two[1], (), True),
    ]
    assert "weekly_brief.eml" in sent[1].error and "s3cret-pw" not in sent[1].error
    assert [to for _, to, _ in sink.messages] == [["fm@site.test"]]


def test_send_without_recipients_for_a_site_stops_before_any_brief(
    portfolio, tmp_path, monkeypatch, capsys, smtp_server
):
    port, sink = smtp_server
    _mail_env(monkeypatch, port)  # MAIL_TO empty; the simulated site files name nobody
    monkeypatch.setenv("ARGO_PARAMS_DIR", str(portfolio.params))
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path / "outputs"))
    argv = ["brief", "--sites", ",".join(portfolio.ids[:2]), "--week", WEEK, "--send"]
    assert cli.main([*argv, "--database-url", portfolio.url]) == 2
    err = capsys.readouterr().err
    assert f"--send: no recipients for {portfolio.ids[0]}, {portfolio.ids[1]}" in err
    assert not (tmp_path / "outputs").exists() and sink.messages == []
