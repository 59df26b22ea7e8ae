"""The site deep-dive end to end: parameters, database, notebook, HTML, PDF, published folder."""

from __future__ import annotations

import contextlib
import io
import json
import types

import nbformat
import pandas as pd
import pytest
from conftest import prepare_golden_environment, require_chromium
from pdfcheck import read_pdf

from argo_lib import cli, db
from argo_lib.errors import UsageError
from argo_lib.jobs.analysis import (
    ARTEFACTS,
    PDF,
    AnalysisRequest,
    compute_analysis,
    publish_analysis,
    summarize_analysis,
)
from argo_lib.sim import demo

TZ = "America/New_York"
JSON_ATOL_KWH = 1e-5  # analysis.json rounds to 6 decimals
START, END = "2026-11-09", "2026-11-22"  # the last two weeks of the demo
LETTER_PT = (0.0, 0.0, 612.0, 792.0)  # Chromium's Letter media box [pt]
STUCK = (pd.Timestamp("2026-11-20 03:00Z"), pd.Timestamp("2026-11-20 11:00Z"))  # demo fault


@pytest.fixture
def demo_engine(engine):
    """Five demo weeks (2026-W43 to W47, from Monday 2026-10-19) on each backend."""
    demo.build_demo_database(engine, weeks=5, end_week="2026-W47", resolution_s=900, seed=7)
    return engine


BAD = [
    ({"site_id": "nowhere"}, "unknown site"),
    ({"start": "2026-11-31"}, "start must be a date"),
    ({"start": "2026-11-10", "end": "2026-11-09"}, "is before start"),
    ({"change_date": "2026-11-30"}, "must be inside the period"),
    ({"change_date": "2026-11-12"}, "leaves 3 days before it"),
    ({"change_date": "11/12/2026"}, "change_date must be a date"),
    ({"baseline_start": "2026-10-19"}, "give both baseline_start and baseline_end"),
    ({"baseline_start": "2026-10-19", "baseline_end": "2026-10-25"}, "shorter than 14 days"),
    ({"baseline_start": "2026-10-19", "baseline_end": "2026-11-10"}, "overlaps the period"),
    (
        {"baseline_start": "2026-10-19", "baseline_end": "2026-11-01", "change_date": "2026-11-16"},
        "not both",
    ),
    ({"start": "2025-01-01", "end": "2025-01-07"}, "no readings in 2025-01-01 to 2025-01-07"),
]


def test_bad_input_is_one_line_usage_error_before_any_work(demo_engine):
    for kwargs, message in BAD:
        args = {"site_id": "23271", "start": START, "end": END, "engine": demo_engine} | kwargs
        with pytest.raises(UsageError, match=message) as info:
            AnalysisRequest.resolve(**args)
        assert "\n" not in str(info.value)


def test_the_baseline_is_chosen_the_way_the_reader_is_told(demo_engine):
    auto = AnalysisRequest.resolve(site_id="23271", start=START, end=END, engine=demo_engine)
    # no data a year earlier: the weeks before, from the first reading (21 days, not 28)
    assert auto.comparison == "the weeks before"
    assert auto.baseline.start == pd.Timestamp("2026-10-19", tz=TZ)
    assert auto.baseline.end == auto.period.start == auto.reporting.start
    assert auto.parameters["baseline_start"] == ""  # re-derived the same way from the dates
    change = AnalysisRequest.resolve(
        site_id="23271", start="2026-10-19", end=END, change_date="2026-11-16", engine=demo_engine
    )
    assert change.baseline.start == pd.Timestamp("2026-10-19", tz=TZ)
    assert change.baseline.end == change.reporting.start == pd.Timestamp("2026-11-16", tz=TZ)
    assert change.reporting.end == change.period.end
    assert change.parameters["change_date"] == "2026-11-16"
    given = AnalysisRequest.resolve(
        site_id="23271",
        start="2026-11-16",
        end=END,
        baseline_start="2026-10-19",
        baseline_end="2026-11-08",
        engine=demo_engine,
    )
    assert given.baseline.hours == 21 * 24 + 1  # the fall-back day is in it
    assert given.parameters["baseline_end"] == "2026-11-08"
    early = AnalysisRequest.resolve(
        site_id="23271", start="2026-10-26", end="2026-11-01", engine=demo_engine
    )
    assert early.baseline is None  # 7 days before the period: too short for a model


def test_compute_sums_what_is_stored_and_compares_with_the_baseline(demo_engine, tmp_path):
    target = tmp_path / "out"
    request = AnalysisRequest.resolve(
        site_id="23271", start=START, end=END, output_dir=target, engine=demo_engine
    )
    result = compute_analysis(request, engine=demo_engine)
    stored = db.read_readings(
        demo_engine, site_id="23271", start=request.period.start, end=request.period.end
    )
    summary = summarize_analysis(result)
    # every stored reading counts except the 8 h AHU-1A was stuck (a frozen value is no
    # measurement); the outage's catch-up reading carries its energy
    ts = stored["timestamp"]
    stuck = (stored["channel_id"] == 162122) & (ts >= STUCK[0]) & (ts < STUCK[1])
    want = stored[~stuck].groupby("channel_id")["energy_kwh"].sum()
    got = {c["channel_id"]: c["energy_kwh"] for c in summary["channels"]}
    assert got == pytest.approx(want.to_dict(), abs=JSON_ATOL_KWH)
    assert summary["facility"]["energy_kwh"] == pytest.approx(want.sum(), abs=JSON_ATOL_KWH)
    assert summary["period"]["hours"] == 14 * 24
    comparison = summary["comparison"]
    assert comparison["how"] == "the weeks before" and comparison["status"] == "ok"
    site = comparison["models"][0]
    assert site["channel_id"] == 0 and site["actual_kwh"] > 0
    assert [f["rank"] for f in summary["findings"]] == list(range(1, len(summary["findings"]) + 1))
    assert result.readings == len(stored) + len(
        db.read_readings(
            demo_engine, site_id="23271", start=request.baseline.start, end=request.baseline.end
        )
    )
    assert publish_analysis(result) == target
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(a for a in ARTEFACTS if a.endswith((".json", ".png")))
    for name in names:
        if name.endswith(".png"):
            assert (target / name).read_bytes() == result.charts.png(name[:-4])


# --------------------------------------------------------------------------------------------
# The operators' run path: argo analysis (the golden demo, on SQLite)


@pytest.fixture(scope="module")
def golden_env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in prepare_golden_environment(folder).items():
            patch.setenv(name, value)
        yield folder


@pytest.fixture(scope="module")
def run(golden_env):
    """``argo analysis`` of the golden demo, before/after 2026-11-16, printed as a PDF."""
    require_chromium()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(
            ["analysis", "--site", "23271", "--start", "2026-10-19", "--end", "2026-11-22",
             "--change-date", "2026-11-16", "--pdf"]
        )  # fmt: skip
    assert code == 0
    folder = golden_env / "outputs" / "23271" / "analysis" / "2026-10-19_2026-11-22"
    return types.SimpleNamespace(folder=folder, stdout=out.getvalue())


def test_argo_analysis_publishes_notebook_html_pdf_json_and_charts(run):
    assert sorted(p.name for p in run.folder.iterdir()) == sorted(ARTEFACTS)
    page = (run.folder / "wilson_center_analysis.html").read_text(encoding="utf-8")
    assert "<title>Site analysis: Wilson Center, 2026-10-19 to 2026-11-22</title>" in page
    assert page.count("data:image/png;base64,") >= 7
    assert "AnalysisRequest.resolve" not in page  # no code in the report
    for heading in ("Facility summary", "Findings", "Against the weather-normalised baseline"):
        assert heading in page
    assert "PDF:      wilson_center_analysis.pdf" in run.stdout


def test_argo_analysis_pdf_is_paged_letter_with_the_report_text(run):
    doc = read_pdf(run.folder / PDF)
    assert 4 <= len(doc.pages) <= 16
    assert all(p.media_box == LETTER_PT for p in doc.pages)  # a US site prints on Letter
    # no chart and no table row split across two pages
    assert len(doc.figures) == 7 and all(len(pages) == 1 for pages in doc.figures)
    assert len(doc.rows) > 20 and all(len(pages) == 1 for pages in doc.rows)
    text = doc.text
    for words in ("Wilson Center", "Facility summary", "AHU-2", "Guideline 14"):
        assert words in text


def test_argo_analysis_numbers_match_the_database(run, golden_env):
    summary = json.loads((run.folder / "analysis.json").read_text(encoding="utf-8"))
    engine = db.get_engine(f"sqlite:///{golden_env / 'golden.sqlite'}", must_exist=True)
    start = pd.Timestamp("2026-10-19", tz=TZ)
    end = pd.Timestamp("2026-11-23", tz=TZ)
    stored = db.read_readings(engine, site_id="23271", start=start, end=end)
    ts = stored["timestamp"]
    stuck = (stored["channel_id"] == 162122) & (ts >= STUCK[0]) & (ts < STUCK[1])
    assert summary["facility"]["energy_kwh"] == pytest.approx(
        stored.loc[~stuck, "energy_kwh"].sum(), abs=JSON_ATOL_KWH
    )
    assert summary["period"]["hours"] == 35 * 24 + 1  # the fall-back day
    comparison = summary["comparison"]
    assert comparison["how"] == "before and after 2026-11-16"
    assert comparison["baseline"]["last_day"] == "2026-11-15"
    executed = nbformat.read(run.folder / "wilson_center_analysis.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'change_date = "2026-11-16"' in injected[0].source


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "2026-11-22", "--end", "2026-11-01"], "is before start"),
        (["--days", "7", "--start", "2026-11-01"], "not both"),
        (["--site", "nowhere"], "unknown site"),
        (
            ["--start", "2026-11-09", "--end", "2026-11-22", "--change-date", "2026-12-01"],
            "must be inside the period",
        ),
    ],  # fmt: skip
    ids=["end-before-start", "days-and-dates", "unknown-site", "change-date-outside"],
)
def test_argo_analysis_bad_input_exits_2_with_one_line(golden_env, capsys, argv, message):
    assert cli.main(["analysis", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("argo analysis: ") and message in err and "\n" not in err
