"""The channel exploration end to end: parameters, database, notebook, HTML, published folder."""

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
from argo_lib.jobs import _common
from argo_lib.jobs.explore import (
    ARTEFACTS,
    PDF,
    ExploreRequest,
    compute_explore,
    publish_explore,
    run_explore,
    summarize_explore,
)
from argo_lib.report import notebook, pdf
from argo_lib.sim import demo

JSON_ATOL_KWH = 1e-5  # explore.json rounds to 6 decimals; sums of many readings add float noise
START, END = "2026-11-09", "2026-11-22"  # the last two weeks of the demo
A4_PT = (0.0, 0.0, 595.92, 842.88)  # Chromium's A4 media box [pt]
PDF_PAGES = range(4, 10)  # the golden 4 weeks fill 6 A4 pages; room for wording changes


@pytest.fixture
def demo_engine(engine):
    """Four demo weeks (2026-W44 to W47) on each backend."""
    demo.build_demo_database(engine, weeks=4, end_week="2026-W47", resolution_s=900, seed=7)
    return engine


BAD = [
    ({"site_id": "nowhere"}, "unknown site"),
    ({"start": "2026-11-31"}, "start must be a date"),
    ({"end": "last week"}, "end must be a date"),
    ({"start": "2026-11-10", "end": "2026-11-09"}, "is before start"),
    ({"start": "", "end": "2026-11-09"}, "give both start and end"),
    ({"start": "", "end": "", "days": 0}, "days must be"),
    ({"channels": [162119, 42]}, "unknown channel 42 for site 23271"),
    ({"channels": ["RTU-2"]}, "channels must be channel ids"),
    ({"start": "2025-01-01", "end": "2025-01-07"}, "no readings in 2025-01-01 to 2025-01-07"),
]


def test_bad_input_is_one_line_usage_error_before_any_work(demo_engine):
    for kwargs, message in BAD:
        args = {"site_id": "23271", "start": START, "end": END, "engine": demo_engine} | kwargs
        with pytest.raises(UsageError, match=message) as info:
            ExploreRequest.resolve(**args)
        assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("as_of", "hours"),
    [("2026-11-03 09:00", 169), ("2026-11-10 09:00", 168)],
    ids=["fall-back", "ordinary"],
)
def test_last_n_days_are_whole_local_days_before_today(demo_engine, as_of, hours):
    request = ExploreRequest.resolve(
        site_id="wilson_center",
        days=7,
        as_of=pd.Timestamp(as_of, tz="America/New_York"),
        engine=demo_engine,
    )
    assert request.period.hours == hours
    assert request.period.end == pd.Timestamp(as_of[:10], tz="America/New_York")
    first = (pd.Timestamp(as_of[:10]) - pd.Timedelta(days=7)).date().isoformat()
    assert request.parameters == {
        "site_id": "23271",
        "start": first,
        "end": (pd.Timestamp(as_of[:10]) - pd.Timedelta(days=1)).date().isoformat(),
        "channels": [],
    }


def test_compute_reads_the_period_once_and_sums_what_is_stored(demo_engine):
    request = ExploreRequest.resolve(
        site_id="23271", start=START, end=END, channels="162119, 162320", engine=demo_engine
    )
    result = compute_explore(request, engine=demo_engine)
    stored = db.read_readings(
        demo_engine, site_id="23271", start=request.period.start, end=request.period.end
    )
    want = stored.groupby("channel_id")["energy_kwh"].sum()
    summary = summarize_explore(result)
    got = {c["channel_id"]: c["energy_kwh"] for c in summary["channels"]}
    assert sorted(got) == [162119, 162320]
    for cid, kwh in got.items():
        assert kwh == pytest.approx(want[cid], abs=JSON_ATOL_KWH)
    inventory = result.exploration.inventory
    assert inventory["device"].str.endswith("_WCDS_Wilson Ctr").all()
    assert inventory["is_energy"].all() and (inventory["resolution_s"] == 900).all()
    assert result.readings == len(stored[stored["channel_id"].isin([162119, 162320])])
    assert summary["period"]["label"] == "2026-11-09_2026-11-22"
    assert summary["period"]["hours"] == 14 * 24


def test_publish_writes_json_and_charts_together(demo_engine, tmp_path):
    target = tmp_path / "out"
    request = ExploreRequest.resolve(
        site_id="23271", start=START, end=END, output_dir=target, engine=demo_engine
    )
    result = compute_explore(request, engine=demo_engine)
    assert publish_explore(result) == target
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(a for a in ARTEFACTS if a.endswith((".json", ".png")))
    for name in names:
        if name.endswith(".png"):
            assert (target / name).read_bytes() == result.charts.png(name[:-4])
    unpublished = ExploreRequest.resolve(site_id="23271", start=START, end=END, engine=demo_engine)
    assert publish_explore(compute_explore(unpublished, engine=demo_engine)) is None


# --------------------------------------------------------------------------------------------
# The operators' run path: argo explore


@pytest.fixture(scope="module")
def golden_env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("explore")
    with pytest.MonkeyPatch.context() as patch:
        for name, value in prepare_golden_environment(folder).items():
            patch.setenv(name, value)
        yield folder


@pytest.fixture(scope="module")
def run(printed):
    """The default folder of the golden period's ``argo explore`` (with its PDF)."""
    return printed.folder


def test_argo_explore_publishes_notebook_html_json_and_charts(run):
    assert sorted(p.name for p in run.iterdir()) == sorted((*ARTEFACTS, PDF))
    page = (run / "explore.html").read_text(encoding="utf-8")
    assert "<title>Channel exploration: Wilson Center, 2026-10-26 to 2026-11-22</title>" in page
    assert page.count("data:image/png;base64,") >= 4
    assert "explore.ExploreRequest.resolve" not in page  # no code in the report
    assert "Which channels move together?" in page


def test_argo_explore_numbers_match_the_database(run, golden_env):
    summary = json.loads((run / "explore.json").read_text(encoding="utf-8"))
    engine = db.get_engine(f"sqlite:///{golden_env / 'golden.sqlite'}", must_exist=True)
    start = pd.Timestamp("2026-10-26", tz="America/New_York")
    end = pd.Timestamp("2026-11-23", tz="America/New_York")
    stored = db.read_readings(engine, site_id="23271", start=start, end=end)
    want = stored.groupby("channel_id")["energy_kwh"].sum()
    assert summary["period"]["hours"] == 28 * 24 + 1  # the fall-back day
    for channel in summary["channels"]:
        assert channel["energy_kwh"] == pytest.approx(
            want[channel["channel_id"]], abs=JSON_ATOL_KWH
        )
        assert 0.99 <= channel["coverage"] <= 1.0
    assert summary["top_pairs"][0]["r"] == pytest.approx(max(p["r"] for p in summary["top_pairs"]))
    executed = nbformat.read(run / "explore.ipynb", as_version=4)
    injected = [c for c in executed.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert 'start = "2026-10-26"' in injected[0].source


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--start", "2026-11-22", "--end", "2026-11-01"], "is before start"),
        (["--days", "7", "--start", "2026-11-01"], "not both"),
        (["--channels", "162119", "x"], "--channels takes channel ids"),
        (["--site", "nowhere"], "unknown site"),
    ],
    ids=["end-before-start", "days-and-dates", "bad-channel", "unknown-site"],
)
def test_argo_explore_bad_input_exits_2_with_one_line(golden_env, capsys, argv, message):
    assert cli.main(["explore", *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("argo explore: ") and message in err and "\n" not in err


# --------------------------------------------------------------------------------------------
# argo explore --pdf


@pytest.fixture(scope="module")
def printed(golden_env):
    """``argo explore ... --pdf --paper A4`` of the golden period into the default folder (the
    US site's default paper is Letter)."""
    require_chromium()
    folder = golden_env / "outputs" / "23271" / "explore" / "2026-10-26_2026-11-22"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(
            ["explore", "--site", "23271", "--start", "2026-10-26", "--end", "2026-11-22",
             "--pdf", "--paper", "A4"]
        )  # fmt: skip
    assert code == 0
    return types.SimpleNamespace(folder=folder, stdout=out.getvalue(), doc=read_pdf(folder / PDF))


def test_argo_explore_pdf_is_published_with_the_other_files(printed):
    assert sorted(p.name for p in printed.folder.iterdir()) == sorted((*ARTEFACTS, PDF))
    assert "PDF:      explore.pdf (A4)" in printed.stdout
    assert ", PDF " in printed.stdout.splitlines()[-1]  # its time in the "took" line
    doc = printed.doc
    assert len(doc.pages) in PDF_PAGES
    for page in doc.pages:
        assert page.media_box == pytest.approx(A4_PT, abs=1.0)
        assert f"Page {page.number} of {len(doc.pages)}" in page.text  # footer: title, page
        assert "Channel exploration: Wilson Center, 2026-10-26 to 2026-11-22" in page.text
    first = doc.pages[0].text
    assert "Wilson Center (23271)" in first and "A first look at a site's channels" in first
    for name in ("RTU-2", "AHU-1A", "Kitchen Main"):  # channel names
        assert name in doc.text, name
    for heading in ("Which channels are there?", "How much energy did each channel use per day?",
                    "Which channels move together?", "What to look at next"):  # fmt: skip
        assert heading in doc.text, heading
    assert len(doc.figures) == 4 and all(len(pages) == 1 for pages in doc.figures), doc.figures


def test_explore_bad_paper_is_usage_error_before_any_work(golden_env, tmp_path, monkeypatch):
    def no_work(*args, **kwargs):
        raise AssertionError("work started before the paper was checked")

    monkeypatch.setattr(notebook, "run_notebook", no_work)
    monkeypatch.setattr(pdf, "find_chromium", no_work)
    request = ExploreRequest.resolve(site_id="23271", start=START, end=END)
    with pytest.raises(UsageError, match=r"paper must be one of A4, Letter, got 'A3'"):
        run_explore(
            request, database_url="sqlite://", output_dir=tmp_path / "out", pdf=True, paper="A3"
        )
    assert not list(tmp_path.iterdir())


def test_explore_without_chromium_says_how_to_install_it_before_any_work(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    monkeypatch.setenv("ARGO_OUTPUTS_DIR", str(tmp_path / "outputs"))
    monkeypatch.setenv("ARGO_SQLITE_PATH", str(tmp_path / "absent.sqlite"))
    monkeypatch.setenv("DATABASE_URL", "")
    assert cli.main(["explore", "--site", "23271", "--days", "7", "--pdf"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("argo explore: ") and "no Chromium" in err
    assert "apt-get install chromium" in err
    assert not list(tmp_path.iterdir())  # checked before the database, nothing written


@pytest.mark.parametrize(
    ("asked", "paper", "country", "want"),
    [
        (False, "A3", "US", None),  # no PDF: nothing checked
        (True, None, "US", "Letter"),
        (True, None, "FR", "A4"),
        (True, None, None, "A4"),
        (True, "A4", "US", "A4"),
    ],
    ids=["no-pdf", "us-default", "fr-default", "no-country", "asked"],
)
def test_check_pdf_resolves_the_paper_and_looks_for_chromium_only_when_asked(
    monkeypatch, asked, paper, country, want
):
    looked = []
    monkeypatch.setattr(pdf, "find_chromium", lambda: looked.append(1) or "/usr/bin/chromium")
    assert _common.check_pdf(asked, paper, country) == want
    assert looked == ([1] if asked else [])


def test_write_pdf_prints_nothing_without_a_paper(tmp_path):
    seconds: dict[str, float] = {}
    html = tmp_path / "r.html"
    html.write_text("<p>x</p>")
    kwargs = {"paper": None, "title": "t", "seconds": seconds}
    assert _common.write_pdf(html, tmp_path, "r", **kwargs) is None
    assert seconds == {} and sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]
