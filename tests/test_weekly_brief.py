"""The weekly brief end to end: parameters, notebook, JSON, HTML, e-mail file, a real browser."""

from __future__ import annotations

import email
import email.policy
import os
import re
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import GOLDEN_DIR, GOLDEN_PARAMETERS, IN_CI, INJECTED_RTOL, prepare_golden_environment

from argo_lib import brief, config, db, report
from argo_lib.sim import demo
from argo_lib.weekly_brief import WeeklyBriefRun, run_weekly_brief

AS_OF = pd.Timestamp("2026-11-26 09:00", tz="America/New_York")


@pytest.fixture(scope="module")
def golden_env(tmp_path_factory):
    """The golden demo database and output folder, as environment variables for this module."""
    folder = tmp_path_factory.mktemp("brief")
    env = prepare_golden_environment(folder)
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield folder
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="module")
def outputs(golden_env):
    return run_weekly_brief(site_id="23271", week="2026-W47")


# --------------------------------------------------------------------------------------------
# Goldens cannot drift from the source notebooks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOLDEN_PARAMETERS))
def test_golden_code_cells_equal_the_source_plus_injected_parameters(name):
    source = nbformat.read(report.NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
    golden = nbformat.read(GOLDEN_DIR / f"{name}.ipynb", as_version=4)
    golden_code = [
        c.source
        for c in golden.cells
        if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
    ]
    assert golden_code == [c.source for c in source.cells if c.cell_type == "code"]
    assert [c.source for c in golden.cells if c.cell_type == "markdown"] == [
        c.source for c in source.cells if c.cell_type == "markdown"
    ]
    injected = [
        c.source for c in golden.cells if "injected-parameters" in c.metadata.get("tags", [])
    ]
    expected = "# Parameters\n" + "".join(
        f"{k} = {v!r}\n".replace("'", '"') for k, v in GOLDEN_PARAMETERS[name].items()
    )
    assert injected == [expected]
    assert golden.metadata.get("keep_output") is True


@pytest.mark.parametrize("path", sorted(report.NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
def test_source_notebooks_are_committed_without_outputs_and_stay_thin(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        assert not cell.get("outputs"), f"{path.name}: strip outputs (nbstripout)"
        assert len(cell.source.splitlines()) <= 15, (
            f"{path.name}: a cell over 15 lines belongs in argo_lib"
        )
        assert not re.search(
            r"^\s*(def|class) |\bSELECT\b|requests\.|sqlalchemy", cell.source, re.M | re.I
        ), path.name
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell tagged 'parameters'"
    for line in tagged[0].source.splitlines():
        assert re.fullmatch(r"\w+: \w+ = .+  # .+", line), f"{path.name}: parameter line {line!r}"
        assert not re.search(r"password|api_key|token|secret", line, re.I), (
            "credentials never as parameters"
        )


# --------------------------------------------------------------------------------------------
# Parameters are checked before any work
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"week": "2026-W49"},
            ValueError,
            r"has not ended yet; the last complete week is 2026-W47",
        ),
        ({"week": "2026-W60"}, ValueError, "2026-W60"),
        (
            {"week": "2026-W30"},
            ValueError,
            r"before the site's first reading .* first week with data is 2026-W43",
        ),
        ({"site_id": "99999"}, config.ConfigError, "unknown site '99999'"),
        ({"baseline_weeks": 0}, ValueError, "baseline_weeks must be from 1 to 12"),
        (
            {"threshold_overrides": {"after_hours.min_wekly_kwh": 5}},
            config.ConfigError,
            "min_wekly_kwh",
        ),
    ],
    ids=["future", "bad-label", "before-data", "unknown-site", "baseline", "threshold"],
)
def test_bad_parameters_fail_with_a_fix(golden_env, kwargs, error, message):
    arguments = {"site_id": "23271", "week": "2026-W47"} | kwargs
    with pytest.raises(error, match=message):
        WeeklyBriefRun.from_parameters(**arguments, as_of=AS_OF)


def test_unknown_notebook_parameter_is_refused_before_a_kernel_starts(golden_env):
    with pytest.raises(
        report.ParameterError,
        match=r"unknown parameter 'baseline_week' \(did you mean 'baseline_weeks'\?\)",
    ):
        report.run_notebook("weekly_brief", golden_env / "x.ipynb", parameters={"baseline_week": 4})
    assert not (golden_env / "x.ipynb").exists()


def test_empty_database_says_how_to_load_data(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    db.upgrade(engine)
    with pytest.raises(
        ValueError, match=r"no readings for site 23271 .*`argo ingest --site 23271`"
    ):
        WeeklyBriefRun.from_parameters(site_id="23271", week="2026-W47", as_of=AS_OF, engine=engine)


# --------------------------------------------------------------------------------------------
# A week without data, a week without baseline: a brief that says so
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def early_path(tmp_path_factory):
    return tmp_path_factory.mktemp("early") / "early.sqlite"


@pytest.fixture(scope="module")
def early_db(early_path):
    """Two weeks of demo data (W44, W45), so W47 has none and W44 has no baseline."""
    engine = db.get_engine(f"sqlite:///{early_path}")
    demo.build_demo_database(engine, weeks=2, end_week="2026-W45")
    yield engine
    engine.dispose()


def _brief_for(engine, week: str) -> dict:
    run = WeeklyBriefRun.from_parameters(site_id="23271", week=week, as_of=AS_OF, engine=engine)
    analysis = run.analyse(engine=engine)
    return run.build_brief(analysis)


def test_week_without_data_gives_a_brief_that_says_so(early_db):
    doc = _brief_for(early_db, "2026-W47")
    brief.validate_brief(doc)
    assert doc["dataQuality"]["avgCompleteness"] == 0.0
    assert all(c["actual"] == 0 for c in doc["dataQuality"]["channels"])
    assert (
        len(doc["dataQuality"]["channels"]) == 8
    )  # channels without readings are reported, not dropped
    assert doc["summary"]["status"] == "action_required"
    assert {i["type"] for i in doc["sections"]["sensorHealth"]["issues"]} >= {"no_data"}
    assert doc["sections"]["afterHoursWaste"]["summary"]["totalExcessKwh"] == 0


def test_notebook_on_a_week_without_data_runs_to_the_end(
    early_db, early_path, tmp_path, monkeypatch
):
    monkeypatch.setenv("DATABASE_URL", "")
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(early_path))
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path))
    result = run_weekly_brief(site_id="23271", week="2026-W47")
    html = result.html.read_text()
    assert "No demand spikes this week." in html and "no_data" not in html
    assert "No readings" in html or "no readings" in html  # health says why, in words
    assert (
        html.count("data:image/png;base64,") == 4
    )  # every chart still drawn (saying there is no data)
    assert result.brief["dataQuality"]["avgCompleteness"] == 0.0
    assert "Traceback" not in result.notebook.read_text()


def test_week_without_baseline_says_insufficient_baseline(early_db):
    doc = _brief_for(early_db, "2026-W44")
    statuses = {c["baselineStatus"] for c in doc["dataQuality"]["channels"]}
    assert statuses == {"insufficient"}, statuses
    assert (
        doc["sections"]["anomalies"]["summary"]["totalEvents"] == 0
    )  # no numbers from no baseline


# --------------------------------------------------------------------------------------------
# The whole run on the golden demo week
# --------------------------------------------------------------------------------------------


def test_outputs_are_written_under_site_and_iso_week(outputs, golden_env):
    folder = golden_env / "outputs" / "23271" / "2026-W47"
    assert outputs.json == folder / "weekly_brief.json"
    for path in (
        outputs.json,
        outputs.notebook,
        outputs.html,
        outputs.eml,
        folder / "site_load.png",
        folder / "after_hours.png",
    ):
        assert path.is_file(), path
    assert not list(folder.glob("*.failed.ipynb")) and not list(folder.glob("*.partial.ipynb"))
    brief.validate_brief(outputs.brief)


def test_brief_reports_the_injected_faults(outputs):
    labels = demo.demo_faults(_week())
    doc = outputs.brief
    assert doc["summary"]["status"] == "action_required"
    # AHU-2 left running 3 nights: +2.5 kW for 39 after-hours hours = 97.5 kWh.
    injected = next(f for f in labels if f.kind == "after_hours").size * 39
    event = next(e for e in doc["sections"]["anomalies"]["timeline"] if e["channelId"] == 162121)
    assert event["excessKwh"] == pytest.approx(injected, rel=INJECTED_RTOL)
    assert doc["sections"]["afterHoursWaste"]["topMeters"][0]["channelId"] == 162121
    # The 12 kW half-hour spike on the kitchen main panel.
    spike = doc["sections"]["spikes"]["topSpikes"][0]
    assert spike["channelId"] == 162285 and spike["start"] == "2026-11-18T12:00:00-05:00"
    issues = {(i["type"], i["channelId"]) for i in doc["sections"]["sensorHealth"]["issues"]}
    assert ("missing_data", 162319) in issues and ("stuck_sensor", 162122) in issues
    # Savings are never double counted: the total equals the sum of distinct wins' kWh at most.
    total = doc["summary"]["totalPotentialSavings"]["weeklyKwh"]
    assert (
        0 < total <= sum(w["impact"]["weeklyKwh"] or 0 for w in doc["sections"]["quickWins"]) + 0.1
    )


def _week():
    from argo_lib import dates

    return dates.report_week("2026-W47", tz="America/New_York")


def test_html_is_self_contained_without_code(outputs):
    html = outputs.html.read_text()
    assert "<script" not in html and not re.search(r"""(src|href)=["']https?://""", html)
    assert "WeeklyBriefRun.from_parameters" not in html  # no code cells
    for heading in (
        "Executive summary",
        "Quick wins",
        "After-hours waste",
        "Demand spikes",
        "Sensor and data health",
    ):
        assert heading in html
    assert len(re.findall(r"<img [^>]*src=\"data:image/png;base64,", html)) == 4
    assert 'alt="Chart"' not in html  # every chart has its own alternative text


def test_email_file_has_cid_charts_and_a_small_body(outputs):
    message = email.message_from_bytes(outputs.eml.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("html",)).get_content()
    assert len(body.encode()) < report.EMAIL_HTML_LIMIT_BYTES
    cids = set(re.findall(r'src="cid:([^"]+)"', body))
    parts = {
        p["Content-ID"].strip("<>") for p in message.walk() if p.get_content_type() == "image/png"
    }
    assert cids == parts and len(parts) == 2
    assert "data:" not in body and "<script" not in body
    assert (
        message.get_body(preferencelist=("plain",))
        .get_content()
        .startswith("Argo Energy Solutions")
    )
    assert [a.get_filename() for a in message.iter_attachments()] == ["weekly_brief.html"]


def test_brief_timings_are_recorded(outputs):
    assert set(outputs.seconds) >= {"notebook", "html", "email", "total"}
    assert outputs.seconds["total"] >= outputs.seconds["notebook"] > 0


# --------------------------------------------------------------------------------------------
# A real browser renders the HTML
# --------------------------------------------------------------------------------------------


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def test_html_renders_in_headless_chromium(outputs, tmp_path):
    executable = _chromium()
    if executable is None:
        if IN_CI:
            pytest.fail("Debian's chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    shot = tmp_path / "brief.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 1200})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(Path(outputs.html).as_uri())
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length"
            )
            count = page.evaluate("document.images.length")
            banner = page.inner_text(".argo-banner")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert count == 4 and broken == 0
    assert "Action required" in banner
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape[0] > 3000  # the whole report, not a blank first screen
    assert (pixels < 200).mean() > 0.02  # ink on the page


def test_secrets_never_reach_any_output(postgres_url, tmp_path, monkeypatch):
    # PostgreSQL with a password in DATABASE_URL (the throwaway cluster trusts loopback, so any
    # password works) and credentials in the environment: none may appear in any file of the run.
    url = sa.make_url(postgres_url).set(password="Pg-s3cret-9")
    secrets = {"Pg-s3cret-9", "Eni-s3cret-7", "0badc0ffee0badc0ffee0badc0ffee00", "Smtp-s3cret-5"}
    monkeypatch.setenv("DATABASE_URL", url.render_as_string(hide_password=False))
    monkeypatch.setenv("ENISCOPE_PASSWORD", "Eni-s3cret-7")
    monkeypatch.setenv("ENISCOPE_API_KEY", "0badc0ffee0badc0ffee0badc0ffee00")
    monkeypatch.setenv("SMTP_PASSWORD", "Smtp-s3cret-5")
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path / "out"))
    engine = db.get_engine()
    demo.build_demo_database(engine, weeks=2, end_week="2026-W47")
    result = run_weekly_brief(site_id="23271", week="2026-W47", baseline_weeks=1)
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) >= 6
    for path in files:
        data = path.read_bytes()
        assert not any(s.encode() in data for s in secrets), path.name
    assert (
        "password ***" in result.notebook.read_text() or "PostgreSQL" in result.notebook.read_text()
    )
