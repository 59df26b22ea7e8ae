"""Unit health end to end: parameters, database, ratings, published folder, notebook and HTML."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from argo_lib import db
from argo_lib.errors import UsageError
from argo_lib.jobs.unit_health import (
    ARTEFACTS,
    UnitHealthRequest,
    compute_unit_health,
    publish_unit_health,
    rating_table,
    run_unit_health,
    summarize_unit_health,
)
from argo_lib.sim import demo

DEMO = {"weeks": 4, "end_week": "2026-W47", "resolution_s": 900, "seed": 7}
START, END = "2026-10-26", "2026-11-22"  # the four demo weeks, the fall-back day in them


@pytest.fixture
def demo_engine(engine):
    """Four demo weeks (2026-W44 to W47) on each backend."""
    demo.build_demo_database(engine, **DEMO)
    return engine


BAD = [
    ({"site_id": "nowhere"}, "unknown site"),
    ({"start": "2026-11-31"}, "start must be a date"),
    ({"end": "last week"}, "end must be a date"),
    ({"start": "2026-11-10", "end": "2026-11-09"}, "is before start"),
    ({"start": "", "end": "2026-11-09"}, "give both start and end"),
    ({"start": "", "end": "", "days": 0}, "days must be"),
    ({"start": "2025-01-01", "end": "2025-01-07"}, "no readings in 2025-01-01 to 2025-01-07"),
]


def test_bad_input_is_one_line_usage_error_before_any_work(demo_engine):
    for kwargs, message in BAD:
        args = {"site_id": "23271", "start": START, "end": END, "engine": demo_engine} | kwargs
        with pytest.raises(UsageError, match=message) as info:
            UnitHealthRequest.resolve(**args)
        assert "\n" not in str(info.value)


def test_demo_faults_are_rated(demo_engine):
    request = UnitHealthRequest.resolve(site_id="23271", start=START, end=END, engine=demo_engine)
    assert request.parameters == {"site_id": "23271", "start": START, "end": END}
    result = compute_unit_health(request, engine=demo_engine)
    channels = result.health.channels.set_index("channel_id")
    stuck = channels.loc[162122]  # AHU-1A stuck 8 h on the last Thursday night
    assert stuck["rating"] == "amber" and stuck["stuck_hours"] == pytest.approx(8.0)
    assert stuck["reasons"] == "stuck for 8.0 h"
    small = channels.loc[162319]  # 6 h gap of four weeks: coverage 99.1 %, still green
    assert (small["gaps"], small["longest_gap_h"]) == (1, pytest.approx(6.0))
    assert small["coverage"] == pytest.approx(1 - 24 / (28 * 96 + 4))
    assert small["rating"] == "green"
    assert (channels.drop(index=[162122])["rating"] == "green").all()
    assert (channels["stale_hours"] == 0.0).all()
    stored = db.read_readings(
        demo_engine, site_id="23271", start=request.period.start, end=request.period.end
    )
    assert result.readings == len(stored)
    summary = summarize_unit_health(result)
    assert summary["ratings"] == {"green": 7, "amber": 1, "red": 0}
    assert summary["period"]["hours"] == 28 * 24 + 1
    page = str(rating_table(result.health))
    assert page.count("background:#b54708") == 1 and page.count("background:#067647") == 7


def test_as_of_moves_the_staleness(demo_engine):
    as_of = pd.Timestamp("2026-11-25 00:00", tz="America/New_York")
    request = UnitHealthRequest.resolve(
        site_id="23271", start=START, end=END, as_of=as_of, engine=demo_engine
    )
    channels = compute_unit_health(request, engine=demo_engine).health.channels
    assert channels["stale_hours"].tolist() == pytest.approx([48.0] * len(channels))
    assert set(channels["rating"]) == {"red"}


def test_publish_writes_json_and_chart_together(demo_engine, tmp_path):
    target = tmp_path / "out"
    request = UnitHealthRequest.resolve(
        site_id="23271", start=START, end=END, output_dir=target, engine=demo_engine
    )
    result = compute_unit_health(request, engine=demo_engine)
    assert publish_unit_health(result) == target
    names = sorted(p.name for p in target.iterdir())
    assert names == sorted(a for a in ARTEFACTS if a.endswith((".json", ".png")))
    assert (target / "coverage.png").read_bytes() == result.charts.png("coverage")


def test_run_unit_health_publishes_notebook_html_json_and_chart(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    engine = db.get_engine(url)
    db.upgrade(engine)
    demo.build_demo_database(engine, **DEMO)
    request = UnitHealthRequest.resolve(site_id="23271", start=START, end=END, engine=engine)
    out = run_unit_health(request, database_url=url, output_dir=tmp_path / "out")
    assert sorted(p.name for p in out.folder.iterdir()) == sorted(ARTEFACTS)
    page = out.html.read_text(encoding="utf-8")
    assert "<title>Unit health: Wilson Center, 2026-10-26 to 2026-11-22</title>" in page
    assert "How healthy is each channel?" in page and "stuck for 8.0 h" in page
    assert "data:image/png;base64," in page
    summary = json.loads((out.folder / "unit_health.json").read_text(encoding="utf-8"))
    assert summary == out.summary and summary["ratings"]["amber"] == 1
