"""The detection benchmark (benchmarks/detection_quality.py): its scoring, its artefact kWh, --quick.

The detectors' scores are not asserted here (they belong to the analytics); the tables' structure,
the cases the simulator feeds them and the benchmark's own arithmetic are.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

T0 = pd.Timestamp("2025-12-02 05:00", tz="UTC")  # Tuesday 00:00 EST
H = pd.Timedelta(hours=1)


def labels_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    defaults = {"echo": False, "resolution_s": 3600, "expected_kwh": np.nan}
    for column, value in defaults.items():
        frame[column] = frame[column].fillna(value) if column in frame else value
    frame["echo"] = frame["echo"].astype(bool)
    frame["family"] = frame["family"].fillna(frame["kind"]) if "family" in frame else frame["kind"]
    frame["effective_start"] = frame["start"]
    return frame


def detections(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["channel_id", "family", "start", "end", "source"])


def test_scoring_accepts_equivalent_findings_echoes_and_baseline_findings(dq):
    main = dq.MAIN
    labels = labels_frame(
        [
            dict(channel_id=1, kind="outage", start=T0, end=T0 + 10 * H),
            dict(channel_id=1, kind="catch_up", start=T0 + 10 * H, end=T0 + 11 * H),
            dict(channel_id=2, kind="after_hours", start=T0, end=T0 + 30 * H),
            dict(channel_id=main, kind="after_hours", start=T0, end=T0 + 30 * H, echo=True),
            dict(
                channel_id=3,
                kind="outage",
                family="baseline_fault",
                start=T0 - 200 * H,
                end=T0 - 180 * H,
            ),  # fmt: skip
        ]
    )
    det = detections(
        [
            (1, "gap", T0 + H, T0 + 10 * H, "health"),  # the outage, reported as missing data
            (main, "after_hours", T0 + 13 * H, T0 + 20 * H, "anomaly"),  # the echo: correct
            (3, "stuck", T0 - 190 * H, T0 - 185 * H, "health"),  # a health finding in the baseline
            (4, "spike", T0 + 5 * H, T0 + 6 * H, "spike"),  # a false alarm on a clean channel
            (1, "spike", T0 + 10 * H, T0 + 11 * H, "spike"),  # the catch-up reading as a spike
        ]
    )
    scored = dq.score_case(det, labels, [1, 2, 3, 4, main])
    fam = scored["families"]
    assert (fam["outage"]["labels"], fam["outage"]["found"]) == (1, 1)
    assert fam["outage"]["timing"] == [1.0]  # one interval after the outage's first
    assert (fam["after_hours"]["labels"], fam["after_hours"]["found"]) == (1, 0)  # echo not needed
    assert (fam["after_hours"]["det"], fam["after_hours"]["tp"], fam["after_hours"]["fa"]) == (1, 1, 0)  # fmt: skip
    assert (fam["baseline_fault"]["labels"], fam["baseline_fault"]["found"]) == (1, 1)
    assert (fam["gap"]["tp"], fam["stuck"]["tp"]) == (1, 1)
    assert (fam["spike"]["det"], fam["spike"]["tp"], fam["spike"]["fa"]) == (2, 0, 1)
    assert fam["spike"]["on_data"] == 1
    assert (fam["catch_up"]["labels"], fam["catch_up"]["found"]) == (1, 0)
    assert scored["clean_channels"] == [3, 4]  # a baseline fault leaves the report week clean
    assert scored["fa_by_channel"] == {4: 1}


def test_baseline_fault_found_by_a_screened_channel_column(dq):
    labels = labels_frame(
        [dict(channel_id=3, kind="outage", family="baseline_fault", start=T0 - 9 * H, end=T0 - H)]
    )
    empty = detections([])
    assert dq.score_case(empty, labels, [3])["families"]["baseline_fault"]["found"] == 0
    assert dq.score_case(empty, labels, [3], screened={3})["families"]["baseline_fault"]["found"] == 1  # fmt: skip
    analysis = SimpleNamespace(
        channels=pd.DataFrame({"channel_id": [3, 4], "baseline_screened_pct": [12.5, 0.0]})
    )
    assert dq.screened_channels(analysis) == {3}


def test_artefact_kwh_split_by_cause(dq):
    # three hours of one channel's after-hours savings: on a catch-up reading (1 kWh), on the
    # dusk-to-dawn load (2 kWh) and inside a labelled after-hours fault that added 2 kWh (4 kWh
    # counted: 2.5 accepted, 1.5 overstated); plus a spike win on another channel's noise
    times = [T0 + 10 * H, T0 + 20 * H, T0 + 40 * H, T0 + 41 * H]
    ledger = pd.DataFrame(
        {
            "channel_id": [1, 1, 1, 2],
            "timestamp": times,
            "resolution_s": 3600,
            "business_hours": False,
            "after_hours_attributed_kwh": [1.0, 2.0, 4.0, 0.0],
            "spike_attributed_kwh": [0.0, 0.0, 0.0, 3.0],
            "counted_kwh": [1.0, 2.0, 4.0, 3.0],
        }
    )
    wins = pd.DataFrame(
        {
            "type": ["after_hours_base_load", "demand_spikes"],
            "channel_id": [1, 2],
            "weekly_kwh": [7.0, 3.0],
            "evidence": [(), ()],
        }
    )
    analysis = SimpleNamespace(ledger=ledger, quick_wins=wins, demand={"peak_at": times[0]})
    labels = labels_frame(
        [
            dict(channel_id=1, kind="outage", start=T0, end=times[0]),
            dict(channel_id=1, kind="catch_up", start=times[0], end=times[0] + H),
            dict(
                channel_id=1,
                kind="after_hours",
                start=T0 + 39 * H,
                end=T0 + 43 * H,
                expected_kwh=2.0,
            ),  # fmt: skip
        ]
    )
    spans = pd.DataFrame(
        {
            "channel_id": [1],
            "kind": ["dusk_to_dawn"],
            "start_ns": [(T0 + 19 * H).value],
            "end_ns": [(T0 + 21 * H).value],
        }  # fmt: skip
    )
    context = {
        "resolution_s": 3600,
        "main": False,
        "closed_days": set(),
        "closed_weekdays": set(),
        "dusk": spans,
        "cycling": spans.iloc[:0],
    }
    money = dq.artefact_money(analysis, labels, context)
    assert money["savings_kwh"] == pytest.approx(10.0)
    causes = {k: v for k, v in money["causes"].items() if v}
    assert causes == pytest.approx(
        {"data": 1.0, "dusk_to_dawn": 2.0, "overstated": 1.5, "unexplained": 3.0}
    )
    assert money["peak_on_catch_up"] is True


def test_realistic_cases_carry_the_phenomena_and_one_fault_per_family(dq):
    cases = dq.realistic_weeks(9, seed=2024)
    assert [c.week for c in cases[:8]] == [*dq.HOLIDAY_WEEKS, *dq.DST_WEEKS]
    assert cases == dq.realistic_weeks(9, seed=2024)
    assert {c.resolution_s for c in cases} == {900, 3600}
    faulty = next(c for c in cases if c.faulty)
    setup = dq.realistic_setup(faulty)
    assert setup == dq.realistic_setup(faulty)
    kinds = sorted("catch_up" if f.kind == "gap" else f.kind for f in setup.faults)
    assert kinds == ["after_hours", "catch_up", "excess", "outage"]
    ah = next(f for f in setup.faults if f.kind == "after_hours")
    assert ah.channel_id == setup.dusk_channel == setup.phenomena.dusk_to_dawn[0].channel_id
    assert next(f for f in setup.faults if f.kind == "excess").channel_id == dq.MAIN
    assert setup.phenomena.main_meter is not None
    clean = dq.realistic_setup(next(c for c in cases if not c.faulty))
    assert clean.faults == ()
    with_base = dq.realistic_setup(next(c for c in cases if c.baseline_faults))
    assert with_base.baseline_faults  # outages, catch-ups, stuck values in the baseline


def _table(text: str, title: str) -> tuple[list[str], list[list[str]]]:
    """Header and rows of the markdown table that follows a bold title."""
    block = text.split(title, 1)[1]
    lines = [ln for ln in block.splitlines() if ln.startswith("|")]
    table, started = [], False
    for ln in block.splitlines():
        if ln.startswith("|"):
            started = True
            table.append([c.strip() for c in ln.strip("|").split("|")])
        elif started:
            break
    assert lines and table
    return table[0], table[2:]


def test_quick_mode_writes_every_table(dq, tmp_path, capsys):
    out = tmp_path / "quality.md"
    assert dq.main(["--quick", "--workers", "1", "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.strip() in capsys.readouterr().out
    assert "6 classic (4 with one fault of each spec-D family, 2 clean)" in text
    assert "6 realistic (4 with one fault of each realistic family, 2 clean" in text

    head, rows = _table(text, "**Classic faults**")
    assert head[:3] == ["family", "faults", "new default recall"]
    assert "section-A legacy recall" in head and len(head) == 10
    assert all(len(r) == len(head) for r in rows)
    by_family = {r[0]: r for r in rows}
    for family in dq.FAMILIES:
        assert by_family[family][1] == "4"  # one fault per family in each faulty week
        assert re.fullmatch(r"\d\.\d\d|–", by_family[family][2])
    assert rows[-1][0] == "other"

    head, rows = _table(text, "**Real-world phenomena**")
    assert head[:6] == ["family", "faults", "new default findings", "new default recall", "15-min", "hourly"]  # fmt: skip
    assert all(len(r) == len(head) for r in rows)
    faults = {r[0].split(":")[0].split(" ")[0]: int(r[1]) for r in rows}
    assert faults["outage"] == faults["after_hours"] == faults["excess"] == 4
    assert faults["catch_up"] == 8  # after each outage and after each catch-up gap
    assert faults["gap"] == 4 and faults["baseline_fault"] > 0

    head, rows = _table(text, "**Clean-but-realistic weeks**")
    assert head == ["channel-weeks with", "channel-weeks", "new default", "section-A legacy"]
    assert rows[0][:2] == ["all", "18"]  # 2 clean weeks of 9 channels
    assert len(rows) == 2 + len(dq.FLAGS)
    for row in rows:
        assert re.fullmatch(r"\d+\.\d{3}|–", row[2])

    money = re.search(
        r"\*\*Monetised kWh from artefacts\*\* \(new default; target 0\): ([\d,]+) kWh of the "
        r"([\d,]+) kWh of potential savings on the 6 realistic weeks",
        text,
    )
    assert money is not None
    artefact, savings = (float(g.replace(",", "")) for g in money.groups())
    assert 0 <= artefact <= savings
    assert "How the artefact kWh are counted" in text
