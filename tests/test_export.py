"""Exports (issue 12): monthly raw CSV files and aggregated tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import argparse
import importlib.util
import json

import numpy as np
import pandas as pd
import pytest
from conftest import ENERGY_ATOL_KWH

from argo_lib import db, export
from argo_lib.cli_export import add_export_commands
from argo_lib.errors import RunError, UsageError
from argo_lib.fields import READING_COLUMNS
from argo_lib.sim import demo

SITE = "23271"
TZ = "America/New_York"
ZERO_AT = pd.Timestamp("2026-11-10T15:00Z")  # a reading set to a real zero by the fixture
CHANNEL = 162119


@pytest.fixture
def demo_engine(engine):
    demo.build_demo_database(engine, weeks=5, end_week="2026-W47", resolution_s=900, seed=7)
    # one stored reading with a real zero energy and a NULL voltage (the other fields are kept)
    db.upsert_readings(
        engine,
        pd.DataFrame(
            {
                "timestamp": [ZERO_AT],
                "channel_id": [CHANNEL],
                "energy_kwh": [0.0],
                "voltage_v": [np.nan],
            }
        ),
    )
    return engine


def _run(argv, database_url):
    parser = argparse.ArgumentParser(prog="argo")
    commands = parser.add_subparsers(dest="command", required=True)
    add_export_commands(commands)
    args = parser.parse_args([*argv, "--database-url", database_url])
    return args.handler(args)


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _stored(engine, start, end):
    return db.read_readings(engine, site_id=SITE, start=start, end=end, columns="all")


def test_monthly_files_values_and_completeness(demo_engine, tmp_path, capsys):
    folder = tmp_path / "monthly"
    assert _run(["export", "monthly", "--site", SITE, "--months", "2026-10..2026-11",
                 "--output-dir", str(folder)], _url(demo_engine)) == 0  # fmt: skip
    out = capsys.readouterr().out
    assert "2026-11:" in out and "23271_2026-11_readings.csv" in out
    names = sorted(p.name for p in folder.iterdir())
    assert names == [
        "23271_2026-10_readings.csv",
        "23271_2026-10_summary.json",
        "23271_2026-11_readings.csv",
        "23271_2026-11_summary.json",
        "23271_channels.csv",
    ]
    nov = export.month_period("2026-11", tz=TZ)
    stored = _stored(demo_engine, nov.start, nov.end)
    text = pd.read_csv(folder / "23271_2026-11_readings.csv", dtype=str, keep_default_na=False)
    assert list(text.columns) == list(export.RAW_COLUMNS)
    assert len(text) == len(stored)
    frame = pd.read_csv(folder / "23271_2026-11_readings.csv")
    # every value as stored; energy sums equal
    assert frame["energy_kwh"].sum() == pytest.approx(stored["energy_kwh"].sum(), abs=1e-6)
    merged = frame.assign(timestamp=pd.to_datetime(frame["timestamp_utc"], utc=True)).merge(
        stored, on=["timestamp", "channel_id"], suffixes=("", "_db")
    )
    assert len(merged) == len(stored)
    for column in READING_COLUMNS:
        np.testing.assert_allclose(merged[column], merged[f"{column}_db"], rtol=1e-13, atol=0)
    # a real zero is "0", NULL is an empty cell
    row = text[
        (text["timestamp_utc"] == "2026-11-10T15:00:00Z") & (text["channel_id"] == str(CHANNEL))
    ]
    assert row["energy_kwh"].item() == "0"
    assert row["voltage_v"].item() == ""
    assert row["timestamp_local"].item() == "2026-11-10T10:00:00-05:00"
    assert (text["cost"] == "").all()  # the demo stores no cost
    # the fall-back day has 25 local hours; both 01:xx hours are there, apart by their offset
    day = text[text["timestamp_local"].str.startswith("2026-11-01T")]
    one = day.loc[(day["channel_id"] == str(CHANNEL)), "timestamp_local"]
    assert one.str[11:13].value_counts()["01"] == 8
    assert one.str[11:].str.startswith("01:").sum() == 8
    assert {"2026-11-01T01:15:00-04:00", "2026-11-01T01:15:00-05:00"} <= set(one)
    assert one.str[:16].nunique() == 96  # 100 intervals, 4 of them repeat a wall-clock time
    assert len(one) == 100
    # summary: rows, channels, bounds, completeness per channel (November: 721 h)
    summary = json.loads((folder / "23271_2026-11_summary.json").read_text())
    assert summary["rows"] == len(stored)
    assert summary["channels"] == stored["channel_id"].nunique() == 8
    assert summary["period"]["hours"] == 721.0
    assert summary["first_timestamp"] == "2026-11-01T00:00:00-04:00"
    assert pd.Timestamp(summary["last_timestamp"]) == stored["timestamp"].max()
    counts = stored["channel_id"].value_counts()
    for channel_id, entry in summary["completeness"].items():
        assert entry["expected"] == 2884
        assert entry["readings"] == counts[int(channel_id)]
        assert entry["completeness"] == pytest.approx(counts[int(channel_id)] / 2884, abs=1e-6)
    october = json.loads((folder / "23271_2026-10_summary.json").read_text())
    assert october["completeness"][str(CHANNEL)]["expected"] == 31 * 96  # no DST change
    channels = pd.read_csv(folder / "23271_channels.csv")
    assert channels["channel_id"].tolist() == sorted(stored["channel_id"].unique())


def test_rerun_replaces_files_and_leaves_no_temporaries(demo_engine, tmp_path):
    folder = tmp_path / "m"
    first = export.export_monthly(demo_engine, SITE, "2026-11", folder)
    path = first[0].readings
    path.write_text("stale\n")
    (folder / ".23271_2026-11_readings.csv.partial-999999999-dead").write_text("killed run")
    again = export.export_monthly(demo_engine, SITE, ["2026-11"], folder)
    assert again[0].rows == first[0].rows
    assert path.read_text().startswith("timestamp_local,")
    assert sorted(p.name for p in folder.iterdir()) == [
        "23271_2026-11_readings.csv",
        "23271_2026-11_summary.json",
        "23271_channels.csv",
    ]
    # a month without readings: a file with the header only, completeness 0
    (empty,) = export.export_monthly(demo_engine, SITE, "2026-12", folder)
    assert empty.rows == 0
    assert empty.readings.read_text().strip() == ",".join(export.RAW_COLUMNS)
    assert empty.summary["first_timestamp"] is None
    assert {e["completeness"] for e in empty.summary["completeness"].values()} == {0.0}
    assert {e["expected"] for e in empty.summary["completeness"].values()} == {31 * 96}


BAD_INPUT = [
    (["monthly", "--site", "99999", "--month", "2026-10"], ["unknown site '99999'", "--site"]),
    (["monthly", "--site", SITE, "--month", "2026-13"], ["--month", "YYYY-MM"]),
    (["monthly", "--site", SITE, "--months", "2026-10..2026-01"], ["--months", "2026-01..2026-10"]),
    (["monthly", "--site", SITE, "--month", "2026-10", "--months", "2026-11"], ["--month or --months"]),
    (["aggregate", "--site", SITE, "--start", "2026-11-10", "--end", "2026-11-01"],
     ["--end 2026-11-01 is before --start 2026-11-10"]),
    (["aggregate", "--site", SITE, "--start", "2026-11-xx", "--end", "2026-11-01"],
     ["--start and --end", "YYYY-MM-DD"]),
    (["aggregate", "--site", "nowhere", "--start", "2026-11-01", "--end", "2026-11-01"],
     ["unknown site 'nowhere'", "23271 (", "--site"]),
]  # fmt: skip


def test_bad_input_is_a_usage_error_naming_what_to_pass(demo_engine, tmp_path):
    out = tmp_path / "out"
    for argv, words in BAD_INPUT:
        extra = (
            ["--output-dir", str(tmp_path)]
            if argv[0] == "monthly"
            else ["--output", str(tmp_path / "x.csv")]
        )
        with pytest.raises(UsageError) as caught:
            _run(["export", *argv, *extra], _url(demo_engine))
        message = str(caught.value)
        assert "\n" not in message, argv
        for word in words:
            assert word in message, (argv, message)
        assert caught.value.exit_code == 2
    assert not out.exists()  # nothing written


def test_output_that_is_a_folder_is_a_usage_error(demo_engine, tmp_path):
    period = export.resolve_period("2026-11-01", "2026-11-01", tz=TZ)
    with pytest.raises(UsageError, match="is a folder; give a file name"):
        export.export_aggregated(demo_engine, SITE, period, "daily", "csv", "long", tmp_path)
    for args, words in (
        (("weekly", "csv", "long"), "--resolution must be one of 15min, hourly, daily, monthly"),
        (("daily", "json", "long"), "--format must be one of csv, xlsx, parquet"),
        (("daily", "csv", "tall"), "--shape must be one of long, wide"),
    ):
        with pytest.raises(UsageError, match=words):
            export.export_aggregated(demo_engine, SITE, period, *args, tmp_path / "x")


def test_a_database_that_is_down_is_a_run_error(tmp_path):
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RunError) as caught:
        _run(["export", "monthly", "--site", SITE, "--month", "2026-10", "--output-dir",
              str(tmp_path)], f"postgresql://argo@127.0.0.1:{port}/energy")  # fmt: skip
    assert caught.value.exit_code == 1


def _expected_groups(stored, key):
    grouped = stored.assign(bin=key).groupby(["bin", "channel_id"])
    return pd.DataFrame(
        {
            "energy_kwh": grouped["energy_kwh"].sum(),
            "power_kw_mean": grouped["power_kw"].mean(),
            "power_kw_max": grouped["power_kw"].max(),
            "intervals": grouped.size(),
        }
    )


@pytest.mark.parametrize("resolution", ["hourly", "daily"])
def test_aggregated_values_equal_groupby_of_stored(demo_engine, tmp_path, resolution, capsys):
    path = tmp_path / f"agg_{resolution}.csv"
    assert _run(["export", "aggregate", "--site", SITE, "--start", "2026-10-26", "--end",
                 "2026-11-08", "--resolution", resolution, "--output", str(path)],
                _url(demo_engine)) == 0  # fmt: skip
    assert "kWh" in capsys.readouterr().out
    period = export.resolve_period("2026-10-26", "2026-11-08", tz=TZ)
    stored = _stored(demo_engine, period.start, period.end)
    local = stored["timestamp"].dt.tz_convert(TZ)
    if resolution == "hourly":  # New York offsets are whole hours: a UTC hour is a local hour
        key = stored["timestamp"].dt.floor("h")
    else:
        key = local.dt.strftime("%Y-%m-%d")
    expected = _expected_groups(stored, key)
    frame = pd.read_csv(path)
    assert list(frame.columns) == list(export.LONG_COLUMNS)
    if resolution == "hourly":
        frame["bin"] = pd.to_datetime(frame["interval_start_utc"], utc=True).dt.as_unit("us")
        assert (frame["interval_start"].str[:10] == "2026-11-01").sum() == 25 * 8  # 25 h day
    else:
        frame["bin"] = frame["interval_start"].str[:10]
        assert frame["interval_start"].str[10:].isin(["T00:00:00-04:00", "T00:00:00-05:00"]).all()
        assert frame["bin"].nunique() == 14
    got = frame.set_index(["bin", "channel_id"])[list(expected.columns)]
    assert len(got) == len(expected)
    pd.testing.assert_frame_equal(
        got.sort_index(), expected.sort_index(), check_dtype=False, atol=ENERGY_ATOL_KWH, rtol=1e-12
    )
    assert frame["energy_kwh"].sum() == pytest.approx(stored["energy_kwh"].sum(), abs=1e-6)


def test_aggregated_wide_and_monthly_streamed_in_chunks(demo_engine, tmp_path):
    period = export.resolve_period("2026-10-19", "2026-11-22", tz=TZ)
    stored = _stored(demo_engine, period.start, period.end)
    path = tmp_path / "wide.csv"
    result = export.export_aggregated(
        demo_engine, SITE, period, "15min", "csv", "wide", path, chunk_days=3
    )
    assert result.chunks == 12  # 35 days, 3 at a time
    frame = pd.read_csv(path)
    channels = db.read_channels(demo_engine, site_id=SITE)
    assert list(frame.columns) == ["interval_start", "interval_start_utc"] + [
        f"{c} {n} [kWh]" for c, n in zip(channels["channel_id"], channels["name"], strict=True)
    ]
    assert frame["interval_start_utc"].is_unique
    assert frame.iloc[:, 2:].sum().sum() == pytest.approx(stored["energy_kwh"].sum(), abs=1e-6)
    assert result.energy_kwh == pytest.approx(stored["energy_kwh"].sum(), abs=1e-6)
    monthly = export.export_aggregated(
        demo_engine, SITE, period, "monthly", "csv", "long", tmp_path / "monthly.csv"
    )
    table = pd.read_csv(monthly.path)
    assert sorted(table["interval_start"].unique()) == [
        "2026-10-01T00:00:00-04:00",
        "2026-11-01T00:00:00-04:00",
    ]
    assert table["intervals"].sum() == len(stored)
    assert monthly.chunks == 2
    assert not list(tmp_path.glob(".*"))


def test_parquet_and_excel(demo_engine, tmp_path):
    period = export.resolve_period("2026-11-02", "2026-11-08", tz=TZ)
    stored = _stored(demo_engine, period.start, period.end)
    for fmt, package in (("parquet", "pyarrow"), ("xlsx", "openpyxl")):
        path = tmp_path / f"daily.{fmt}"
        if importlib.util.find_spec(package) is None:  # not installed here: said, nothing written
            with pytest.raises(UsageError, match=f"needs the {package} package.*--format csv"):
                export.export_aggregated(demo_engine, SITE, period, "daily", fmt, "long", path)
            assert not path.exists()
            continue
        export.export_aggregated(demo_engine, SITE, period, "daily", fmt, "long", path)
        frame = pd.read_parquet(path) if fmt == "parquet" else pd.read_excel(path)
        assert frame["energy_kwh"].sum() == pytest.approx(stored["energy_kwh"].sum(), abs=1e-6)
        assert list(frame.columns) == list(export.LONG_COLUMNS)
