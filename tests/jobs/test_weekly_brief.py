"""The weekly brief end to end: parameters, notebook, JSON, HTML, e-mail file, a real browser."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
import types
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from conftest import GOLDEN_DIR, GOLDEN_PARAMETERS, IN_CI, INJECTED_RTOL, prepare_golden_environment

from argo_lib import brief, cli, config, db
from argo_lib.jobs.weekly_brief import (
    ARTEFACTS,
    BriefRequest,
    compute_brief,
    publish_brief,
    run_weekly_brief,
)
from argo_lib.render import theme
from argo_lib.report import email as mail
from argo_lib.report.notebook import NOTEBOOKS_DIR, NotebookRunError, ParameterError, run_notebook
from argo_lib.report.outputs import OutputFolderError
from argo_lib.sim import demo

AS_OF = pd.Timestamp("2026-11-26 09:00", tz="America/New_York")


@pytest.fixture(scope="module")
def golden_env(tmp_path_factory):
    """The golden demo database and output folder, as environment variables for this module."""
    folder = tmp_path_factory.mktemp("brief")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in prepare_golden_environment(folder).items():
            patch.setenv(name, value)
        yield folder


def _resolve(**kwargs) -> BriefRequest:
    return BriefRequest.resolve(**({"site_id": "23271", "week": "2026-W47"} | kwargs))


@pytest.fixture(scope="module")
def outputs(golden_env):
    """The operator's run of the demo week: ``argo brief --site 23271 --week 2026-W47``."""
    assert cli.main(["brief", "--site", "23271", "--week", "2026-W47"]) == 0
    folder = golden_env / "outputs" / "23271" / "2026-W47"
    return types.SimpleNamespace(
        folder=folder,
        json=folder / "weekly_brief.json",
        notebook=folder / "weekly_brief.ipynb",
        html=folder / "weekly_brief.html",
        eml=folder / "weekly_brief.eml",
        brief=json.loads((folder / "weekly_brief.json").read_text()),
    )


# --------------------------------------------------------------------------------------------
# Goldens cannot drift from the source notebooks
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(GOLDEN_PARAMETERS))
def test_golden_code_cells_equal_the_source_plus_injected_parameters(name):
    source = nbformat.read(NOTEBOOKS_DIR / f"{name}.ipynb", as_version=4)
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


@pytest.mark.parametrize("path", sorted(NOTEBOOKS_DIR.glob("*.ipynb")), ids=lambda p: p.name)
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
    with pytest.raises(error, match=message) as info:
        _resolve(**kwargs, as_of=AS_OF)
    assert info.value.exit_code == 2


def test_unknown_notebook_parameter_is_refused_before_a_kernel_starts(golden_env):
    with pytest.raises(
        ParameterError,
        match=r"unknown parameter 'baseline_week' \(did you mean 'baseline_weeks'\?\)",
    ):
        run_notebook("weekly_brief", golden_env / "x.ipynb", parameters={"baseline_week": 4})
    assert not (golden_env / "x.ipynb").exists()


def test_empty_database_says_how_to_load_data(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    db.upgrade(engine)
    with pytest.raises(
        ValueError, match=r"no readings for site 23271 .*`argo ingest --site 23271`"
    ):
        _resolve(as_of=AS_OF, engine=engine)


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
    request = _resolve(week=week, as_of=AS_OF, engine=engine)
    return compute_brief(request, engine=engine).doc


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
    url = f"sqlite:///{early_path}"
    request = _resolve(as_of=AS_OF, engine=early_db)
    result = run_weekly_brief(request, database_url=url, output_dir=tmp_path / "W47")
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
    site_folder = golden_env / "outputs" / "23271"
    assert outputs.folder == site_folder / "2026-W47"
    assert sorted(p.name for p in outputs.folder.iterdir()) == sorted(ARTEFACTS)
    assert [p.name for p in site_folder.iterdir()] == ["2026-W47"]  # no staging or failed run
    brief.validate_brief(outputs.brief)


def test_findings_of_earlier_published_briefs_count_as_recurring(outputs, golden_env, tmp_path):
    settings = dataclasses.replace(config.get_settings(), outputs_dir=tmp_path)
    archive = tmp_path / "23271"
    w46 = json.loads(json.dumps(outputs.brief))
    w46["metadata"]["period"]["label"] = "2026-W46"
    (archive / "2026-W46").mkdir(parents=True)
    (archive / "2026-W46" / "weekly_brief.json").write_text(json.dumps(w46))
    (archive / "2026-W45").mkdir()
    (archive / "2026-W45" / "weekly_brief.json").write_text("{not json")  # skipped, not fatal
    (archive / "2026-W44").mkdir()
    (archive / "2026-W44" / "weekly_brief.json").write_text(json.dumps(w46))  # says W46: skipped
    doc = compute_brief(_resolve(as_of=AS_OF), settings=settings).doc
    wins = doc["sections"]["quickWins"]
    issues = doc["sections"]["sensorHealth"]["issues"]
    assert wins and issues
    assert {(f["recurringWeeks"], f["sinceWeek"]) for f in wins + issues} == {(2, "2026-W46")}
    assert doc["metadata"]["history"] == {"lookbackWeeks": 12, "briefsRead": ["2026-W46"]}
    assert {(f["recurringWeeks"]) for f in outputs.brief["sections"]["quickWins"]} == {1}


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
    assert "BriefRequest.resolve" not in html  # no code cells
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
    assert len(body.encode()) < mail.EMAIL_HTML_LIMIT_BYTES
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


# --------------------------------------------------------------------------------------------
# A real browser renders the HTML
# --------------------------------------------------------------------------------------------


SMALLEST_CHART_FONT_PT = 7.0  # the smallest text drawn in a chart (notes, tick labels) [pt]
READABLE_PX = 9.0  # the least rendered text height a reader can read on a phone [px]

# every table and chart: where it sits, how wide its scroll box is, and for a chart the factor
# its text is drawn at (rendered width over the image's pixel width)
_LAYOUT_JS = """() => {
  const box = el => { let p = el; while (p && p !== document.body) {
      if (getComputedStyle(p).overflowX === 'auto') return p; p = p.parentElement; }
    return null; };
  const tables = Array.from(document.querySelectorAll('table')).map(t => {
    const b = box(t); const r = (b || t).getBoundingClientRect();
    return {left: r.left, right: r.right, scrolls: b !== null}; });
  const images = Array.from(document.images).map(i => ({
    rendered: i.getBoundingClientRect().width, natural: i.naturalWidth}));
  return {page: document.documentElement.scrollWidth, view: window.innerWidth, tables, images};
}"""


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize("width", [390, 1280], ids=["phone", "desktop"])
def test_html_reads_well_on_a_phone_and_a_desktop(outputs, tmp_path, width):
    executable = _chromium()
    if executable is None:
        if IN_CI:
            pytest.fail("Debian's chromium is not installed; .ci/run installs it")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from PIL import Image
    from playwright.sync_api import sync_playwright

    shot = tmp_path / f"brief-{width}.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            page = browser.new_page(viewport={"width": width, "height": 900})
            requests = []
            page.on("request", lambda r: requests.append(r.url))
            page.goto(Path(outputs.html).as_uri())
            broken = page.evaluate(
                "Array.from(document.images).filter(i => !i.complete || i.naturalWidth === 0).length"
            )
            layout = page.evaluate(_LAYOUT_JS)
            first_heading = page.evaluate("document.querySelector('h2').innerText")
            banner = page.inner_text(".argo-banner")
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert len(layout["images"]) == 4 and broken == 0
    assert "Action required" in banner and outputs.brief["summary"]["headline"][0] in banner
    assert first_heading == "Executive summary"  # the banner comes first, then the summary
    assert all(url.startswith(("file:", "data:")) for url in requests), requests
    # nothing is clipped: the page is no wider than the screen, every table fits or scrolls
    assert layout["page"] <= layout["view"]
    for table in layout["tables"]:
        assert table["left"] >= 0 and table["right"] <= layout["view"] + 0.5, table
    # chart text stays readable: the smallest chart text is drawn at least READABLE_PX high
    for image in layout["images"]:
        scale = image["rendered"] / image["natural"]
        smallest_px = SMALLEST_CHART_FONT_PT / 72 * theme.PNG_DPI * scale
        assert smallest_px >= READABLE_PX, (width, image)
    pixels = np.asarray(Image.open(shot).convert("L"))
    assert pixels.shape[0] > 3000  # the whole report, not a blank first screen
    assert (pixels < 200).mean() > 0.02  # ink on the page


def test_the_report_names_no_database(outputs):
    html = outputs.html.read_text()
    assert "SQLite" not in html and "golden.sqlite" not in html and "Database" not in html
    assert "SQLite" in outputs.notebook.read_text()  # the audit trail keeps the resolved run


def test_secrets_never_reach_any_output(postgres_url, tmp_path, monkeypatch, capsys):
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
    argv = ["brief", "--site", "23271", "--week", "2026-W47", "--baseline-weeks", "1"]
    assert cli.main(argv) == 0
    printed = capsys.readouterr()
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) == len(ARTEFACTS)
    for path in files:
        data = path.read_bytes()
        assert not any(s.encode() in data for s in secrets), path.name
    assert not any(s in printed.out + printed.err for s in secrets)
    executed = (tmp_path / "out" / "23271" / "2026-W47" / "weekly_brief.ipynb").read_text()
    assert "PostgreSQL database" in executed and "password ***" in executed


# --------------------------------------------------------------------------------------------
# One computation: every artefact of a run agrees with every other
# --------------------------------------------------------------------------------------------


def _html_images(html: str) -> list[bytes]:
    return [base64.b64decode(b) for b in re.findall(r'src="data:image/png;base64,([^"]+)"', html)]


def test_every_artefact_shows_the_same_charts(outputs):
    """The PNG files, the HTML report's images and the e-mail's images are the same bytes."""
    files = {name: (outputs.folder / f"{name}.png").read_bytes() for name in
             ("site_load", "after_hours", "week_heatmap", "channels")}  # fmt: skip
    assert _html_images(outputs.html.read_text()) == list(files.values())  # in report order
    message = email.message_from_bytes(outputs.eml.read_bytes(), policy=email.policy.default)
    inline = {
        p.get_filename(): p.get_content()
        for p in message.walk()
        if p.get_content_type() == "image/png"
    }
    assert inline == {"site_load.png": files["site_load"], "after_hours.png": files["after_hours"]}
    executed = nbformat.read(outputs.notebook, as_version=4)
    shown = [
        base64.b64decode(o["data"]["image/png"])
        for c in executed.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if "image/png" in o.get("data", {})
    ]
    assert shown == list(files.values())


def test_every_artefact_shows_the_same_numbers(outputs):
    """The JSON's figures appear, formatted the same way, in the notebook, HTML and e-mail."""
    doc = outputs.brief
    savings = doc["summary"]["totalPotentialSavings"]
    waste = doc["sections"]["afterHoursWaste"]["summary"]["totalExcessKwh"]
    figures = [
        f"{savings['weeklyKwh']:,.0f} kWh",
        f"${savings['weeklyCost']:,.2f}",
        f"${savings['estimatedAnnual']:,.0f}",
        f"{doc['dataQuality']['avgCompleteness']:,.1f} %",
        # the first win with energy (a data-communication win has none)
        next(
            f"{w['impact']['weeklyKwh']:,.1f}"
            for w in doc["sections"]["quickWins"]
            if w["impact"]["weeklyKwh"] is not None
        ),
    ]
    message = email.message_from_bytes(outputs.eml.read_bytes(), policy=email.policy.default)
    mail_html = message.get_body(preferencelist=("html",)).get_content()
    mail_text = message.get_body(preferencelist=("plain",)).get_content()
    report_html = outputs.html.read_text()
    executed = outputs.notebook.read_text()
    for figure in figures:
        assert figure in report_html and figure in executed and figure in mail_html, figure
    top = doc["sections"]["afterHoursWaste"]["topMeters"][0]["impact"]["excessKwh"]
    assert f"{waste:,.1f} kWh" in mail_text and f"{top:,.1f}" in report_html
    assert doc["summary"]["headline"][0] in mail_text and doc["summary"]["headline"][0] in executed
    # the run recorded the parameters that reproduce it: the resolved week, not "last"
    assert doc["metadata"]["parameters"] == {
        "site_id": "23271",
        "week": "2026-W47",
        "baseline_weeks": 4,
        "threshold_overrides": "{}",  # as JSON text (the schema keeps parameters scalar)
    }


def test_an_interactive_run_writes_nothing_official(golden_env, tmp_path):
    """JupyterLab, nbconvert or papermill without output_dir: the run shows, it does not publish."""
    published = golden_env / "outputs"
    before = sorted(str(p) for p in published.rglob("*")) if published.exists() else []
    run_notebook("weekly_brief", tmp_path / "wb.ipynb", parameters={"week": "2026-W47"})
    after = sorted(str(p) for p in published.rglob("*")) if published.exists() else []
    assert after == before
    assert [p.name for p in tmp_path.iterdir()] == ["wb.ipynb"]


def test_plain_papermill_with_a_misspelled_parameter_writes_nothing(golden_env, tmp_path):
    import papermill

    published = golden_env / "outputs"
    before = sorted(str(p) for p in published.rglob("*")) if published.exists() else []
    papermill.execute_notebook(  # papermill only logs a warning for the unknown name
        str(NOTEBOOKS_DIR / "weekly_brief.ipynb"),
        str(tmp_path / "wb.ipynb"),
        parameters={"weeek": "2026-W47"},
        progress_bar=False,
        kernel_name="python3",
        cwd=str(NOTEBOOKS_DIR),
    )
    after = sorted(str(p) for p in published.rglob("*")) if published.exists() else []
    assert after == before


def test_papermill_with_output_dir_replaces_the_folder_whole(golden_env, tmp_path):
    folder = tmp_path / "2026-W47"
    folder.mkdir()
    (folder / "weekly_brief.html").write_text("an older run's report")
    (folder / "weekly_brief.json").write_text("{}")
    run_notebook(
        "weekly_brief",
        tmp_path / "wb.ipynb",
        parameters={"week": "2026-W47", "output_dir": str(folder)},
    )
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [
            "weekly_brief.json",
            "site_load.png",
            "after_hours.png",
            "week_heatmap.png",
            "channels.png",
        ]
    )  # the older HTML is gone with its folder: no mix of two runs
    doc = json.loads((folder / "weekly_brief.json").read_text())
    brief.validate_brief(doc)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-W47", "wb.ipynb"]


def test_a_folder_of_other_files_is_never_replaced(golden_env, tmp_path):
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(OutputFolderError, match=r"holds files that no run wrote \(notes.txt\)"):
        _resolve(output_dir=str(tmp_path))
    assert cli.main(["brief", "--week", "2026-W47", "--output-dir", str(tmp_path)]) == 2
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_publish_writes_the_json_and_charts_together(golden_env, tmp_path):
    request = _resolve(output_dir=str(tmp_path / "out"))
    computed = compute_brief(request)
    assert publish_brief(computed) == tmp_path / "out"
    assert json.loads((tmp_path / "out" / "weekly_brief.json").read_text()) == computed.doc
    assert (tmp_path / "out" / "channels.png").read_bytes() == computed.charts.png("channels")
    assert publish_brief(compute_brief(_resolve())) is None  # no output_dir: nothing written


def test_a_failed_run_leaves_the_published_folder_unchanged(outputs, golden_env, tmp_path):
    before = {p.name: p.read_bytes() for p in outputs.folder.iterdir()}
    broken = tmp_path / "no-schema.sqlite"
    sa.create_engine(f"sqlite:///{broken}").connect().close()  # a database without the schema
    request = _resolve()
    with pytest.raises(NotebookRunError, match="SchemaError") as info:
        run_weekly_brief(request, database_url=f"sqlite:///{broken}")
    assert info.value.exit_code == 2
    assert "is unchanged" in str(info.value)
    assert {p.name: p.read_bytes() for p in outputs.folder.iterdir()} == before
    failed = outputs.folder.with_name("2026-W47.failed")
    assert (failed / "weekly_brief.failed.ipynb").is_file()
    # the next good run publishes and clears the failed one
    assert cli.main(["brief", "--week", "2026-W47"]) == 0
    assert not failed.exists()


def test_brief_reads_the_database_given_on_the_command_line(golden_env, tmp_path, monkeypatch):
    golden = os.environ["ARGO_SQLITE_PATH"]
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(tmp_path / "absent.sqlite"))
    argv = ["brief", "--week", "2026-W47", "--database-url", f"sqlite:///{golden}"]
    assert cli.main([*argv, "--output-dir", str(tmp_path / "W47")]) == 0
    doc = json.loads((tmp_path / "W47" / "weekly_brief.json").read_text())
    assert doc["summary"]["status"] == "action_required"
    assert not (tmp_path / "absent.sqlite").exists()


def test_a_relative_sqlite_path_means_the_same_file_to_the_kernel(golden_env, tmp_path):
    """The kernel runs in notebooks/: it must read the database the operator named."""
    shutil.copy(os.environ["ARGO_SQLITE_PATH"], tmp_path / "site.sqlite")
    env = dict(os.environ, ARGO_OUTPUTS_DIR=str(tmp_path / "out"), ARGO_SQLITE_PATH="/nowhere")
    argv = [sys.executable, "-m", "argo_lib", "brief", "--week", "2026-W47"]
    done = subprocess.run(
        [*argv, "--database-url", "sqlite:///site.sqlite"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "23271" / "2026-W47" / "weekly_brief.html").is_file()
