"""CSV imports of readings (long and wide tables) and of weather: time zones, errors that name
line and column, both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from argo_lib import db, ingest

DATA = Path(__file__).parents[1] / "data" / "csv"
TZ = "America/New_York"
NOW = pd.Timestamp("2025-12-10T12:00Z")
# Decimal text parsed to float, W scaled to kW by 0.001: only float rounding may differ.
ENERGY_ATOL_KWH = 1e-12
POWER_ATOL_KW = 1e-12


def write(tmp_path, text, name="readings.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_long_table_round_trip(engine):
    result = ingest.import_csv(engine, DATA / "long.csv", site="23271", now=NOW)
    stored = db.read_readings(
        engine, site_id="23271", columns=("energy_kwh", "power_kw", "voltage_v")
    )
    kitchen = stored[stored["channel_id"] == 162285]
    assert kitchen["timestamp"].tolist() == list(
        pd.date_range("2025-12-01 05:00", periods=3, freq="h", tz="UTC")
    )  # the 03:00 row has negative energy: kept out
    np.testing.assert_allclose(kitchen["energy_kwh"], [1.2, 1.4, 1.3], atol=ENERGY_ATOL_KWH)
    assert np.isnan(kitchen["power_kw"].iloc[2])  # "err" is stored as NULL, and rejected
    assert np.isnan(kitchen["voltage_v"].iloc[1])  # an empty cell is NULL, never 0
    rtu = stored[stored["channel_id"] == 162320]
    np.testing.assert_allclose(rtu["power_kw"], [2.5, 2.0, 0.0, 2.4], atol=POWER_ATOL_KW)
    assert result.status == "ok" and result.source == "csv:long.csv"
    reasons = result.rejected.set_index("field")["reason"]
    assert (
        reasons["power_kw"] == "not a number (long.csv, line 4, column 'power_kw'); stored as NULL"
    )
    assert reasons["energy_kwh"] == "energy_kwh outside [0, inf] kWh; row kept out"
    channels = db.read_channels(engine, site_id="23271").set_index("channel_id")
    assert channels.loc[162285, "name"] == "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr"
    assert channels.loc[[162285, 162320], "resolution_s"].tolist() == [3600, 3600]
    run = db.read_runs(engine).iloc[0]
    assert (run["source"], run["rows_written"], run["rows_rejected"]) == ("csv:long.csv", 7, 2)


def test_reimporting_a_file_changes_nothing(engine):
    ingest.import_csv(engine, DATA / "long.csv", site="23271", now=NOW)
    before = db.read_readings(engine, site_id="23271", columns="all")
    ingest.import_csv(engine, DATA / "long.csv", site="23271", now=NOW)
    pd.testing.assert_frame_equal(db.read_readings(engine, site_id="23271", columns="all"), before)
    assert len(db.read_rejected(engine, site_id="23271")) == 2  # recorded once


def test_wide_table_with_units_in_headers_and_a_time_zone(engine):
    result = ingest.import_csv(engine, DATA / "wide.csv", site="23271", tz=TZ, now=NOW)
    stored = db.read_readings(engine, site_id="23271")
    start = pd.Timestamp("2025-12-01 05:00", tz="UTC")
    kitchen = stored[stored["channel_id"] == 162285]
    assert kitchen["timestamp"].tolist() == list(pd.date_range(start, periods=4, freq="15min"))
    np.testing.assert_allclose(kitchen["power_kw"], [1.2, 1.6, np.nan, 1.0], atol=POWER_ATOL_KW)
    np.testing.assert_allclose(kitchen["energy_kwh"], [0.3, 0.4, 0.35, 0.25], atol=ENERGY_ATOL_KWH)
    rtu = stored[stored["channel_id"] == 162320]  # "RTU-1 (W)": found by name, W -> kW
    np.testing.assert_allclose(rtu["power_kw"], [2.5, 2.4, np.nan, 2.6], atol=POWER_ATOL_KW)
    assert rtu["energy_kwh"].isna().all()
    assert result.rejected["reason"].tolist() == [
        "not a number (wide.csv, line 4, column 'RTU-1 (W)'); stored as NULL"
    ]
    assert result.channels["resolution_s"].tolist() == [900, 900]
    names = db.read_channels(engine, site_id="23271").set_index("channel_id")["name"]
    assert names[[162285, 162320]].tolist() == ["Kitchen Main", "RTU-1"]  # file, then site file


def test_timestamps_without_offset_default_to_the_site_time_zone(engine):
    ingest.import_csv(engine, DATA / "wide.csv", site="23271", now=NOW)  # the site: New York
    stored = db.read_readings(engine, site_id="23271")
    assert stored["timestamp"].min() == pd.Timestamp("2025-12-01 05:00", tz="UTC")
    run = db.read_runs(engine, site_id="23271").iloc[0]
    assert run["status"] == "ok"


@pytest.mark.parametrize("token", ["nan", "NaN", "NA", "N/A", "#N/A", "null", "None", "-"])
def test_missing_value_spellings_are_missing_not_rejected(tmp_path, token):
    path = write(
        tmp_path,
        "timestamp,channel_id,power_kw,energy_kwh\n"
        f"2025-12-01T00:00Z,1,1.5,{token}\n"
        f"2025-12-01T01:00Z,1,{token},2.5\n",
    )
    parsed = ingest.read_csv_readings(path, resolution_s=3600)
    assert parsed.rejected.empty
    np.testing.assert_array_equal(parsed.readings["power_kw"], [1.5, np.nan])
    np.testing.assert_array_equal(parsed.readings["energy_kwh"], [np.nan, 2.5])


def test_a_nan_temperature_is_missing(tmp_path):
    path = write(tmp_path, "timestamp,temperature_c\n2026-11-01T00:00Z,nan\n2026-11-01T01:00Z,4\n")
    frame = ingest.read_weather_csv(path)
    np.testing.assert_array_equal(frame["temperature_c"], [np.nan, 4.0])


def test_offsets_in_the_file_win_and_epoch_seconds_are_utc(tmp_path):
    path = write(
        tmp_path,
        "timestamp,channel_id,energy_kwh\n"
        "2025-11-02T01:30:00-04:00,1,1\n"
        "2025-11-02T01:30:00-05:00,1,2\n"
        "1762068600,1,3\n",
    )
    parsed = ingest.read_csv_readings(path, tz="Asia/Tokyo", resolution_s=3600)
    assert parsed.readings["timestamp"].dt.strftime("%H:%M").tolist() == ["05:30", "06:30", "07:30"]
    assert parsed.layout == "long" and parsed.readings["energy_kwh"].tolist() == [1.0, 2.0, 3.0]


def test_interval_end_labels_are_shifted_to_starts(tmp_path):
    path = write(tmp_path, "timestamp,162285 [kWh]\n2025-12-01T01:00Z,1\n2025-12-01T02:00Z,2\n")
    parsed = ingest.read_csv_readings(path, label="end")
    assert parsed.resolution_s == 3600
    assert parsed.readings["timestamp"].dt.hour.tolist() == [0, 1]


BAD = [
    ("when,channel_id,energy_kwh\n2025-12-01T00:00Z,1,1\n", {}, r"line 1: no timestamp column"),
    (
        "timestamp,channel_id,energy_kwh\n2025-12-01T00:00Z,1,1\n2025-12-01 01:00,1,2\n",
        {},
        r"line 3, column 'timestamp': timestamp '2025-12-01 01:00' has no UTC offset; give the "
        r"file's time zone \(--tz",
    ),
    (
        "timestamp,channel_id,energy_kwh\n2025-12-01T00:00Z,1,1\n\nyesterday,1,2\n",
        {"tz": TZ},
        r"line 4, column 'timestamp': cannot read 'yesterday' as a time",
    ),
    (
        "timestamp,channel_id,energy_kwh\n2025-12-01T00:00Z,1,1\n2025-12-01T01:00Z,abc,2\n",
        {},
        r"line 3, column 'channel_id': channel id 'abc' is not a positive whole number",
    ),
    (
        "timestamp,channel_id,power_w\n2025-12-01T00:00Z,1,1\n",
        {},
        r"line 1, column 3 \('power_w'\): unknown column \(did you mean 'power_kw'\?\)",
    ),
    (
        "timestamp,162285 [MWh]\n2025-12-01T00:00Z,1\n",
        {},
        r"line 1, column 2 \('162285 \[MWh\]'\): unit 'MWh' is not one of kW, W, kWh, Wh",
    ),
    (
        "timestamp,Kitchen Mian Panel [kW]\n2025-12-01T00:00Z,1\n",
        {"known_channels": pd.DataFrame({"channel_id": [162285], "name": ["Kitchen Main Panel"]})},
        r"column 2 \('Kitchen Mian Panel \[kW\]'\): no channel named 'Kitchen Mian Panel' at this "
        r"site \(did you mean 'Kitchen Main Panel'\?\)",
    ),
    (
        "timestamp,162285\n2025-12-01T00:00Z,1\n",
        {},
        r"line 1, column 2 \('162285'\): no unit in the header",
    ),
    (
        "timestamp,channel_id,energy_kwh,Energy_kWh\n2025-12-01T00:00Z,1,1,1\n",
        {},
        r"line 1, column 4 \('Energy_kWh'\): the name repeats column 3",
    ),
    (
        "timestamp,channel_id,energy_kwh\n2025-12-01T00:00Z,1,1\n2025-12-01T01:00Z,1,2,3\n",
        {},
        r"Expected 3 fields in line 3, saw 4",
    ),
    ("", {}, r"line 1: the header is empty"),
]


@pytest.mark.parametrize(
    ("text", "options", "message"),
    BAD,
    ids=[
        "no-timestamp",
        "naive-without-tz",
        "unreadable-time",
        "bad-channel-id",
        "unknown-column",
        "unknown-unit",
        "unknown-channel-name",
        "no-unit",
        "repeated-column",
        "ragged-line",
        "empty-file",
    ],
)
def test_errors_name_the_line_and_column(tmp_path, text, options, message):
    path = write(tmp_path, text)
    with pytest.raises(ingest.CsvError, match=message):
        ingest.read_csv_readings(path, **options)


def test_an_ambiguous_local_time_is_refused(tmp_path):
    with pytest.raises(ingest.CsvError) as info:
        ingest.read_csv_readings(DATA / "wide_fall_back.csv", tz=TZ)
    assert str(info.value) == (
        "wide_fall_back.csv, line 3, column 'timestamp': local time '2025-11-02 01:30' is "
        "ambiguous or does not exist in America/New_York (a DST change); write timestamps with "
        "their UTC offset around DST changes"
    )


def test_a_resolution_change_is_refused(engine, tmp_path):
    ingest.import_csv(engine, DATA / "long.csv", site="23271", now=NOW)
    path = write(tmp_path, "timestamp,162320 [kW]\n2025-12-02T00:00Z,1\n2025-12-02T00:15Z,1\n")
    with pytest.raises(ValueError, match="channel 162320 has readings at 3600 s and cannot switch"):
        ingest.import_csv(engine, path, site="23271", now=NOW)
    assert db.read_runs(engine).loc[0, "status"] == "failed"


def test_an_unknown_time_zone_is_a_clear_error():
    with pytest.raises(ValueError, match="time zone 'Mars/Olympus' is unknown; use an IANA name"):
        ingest.read_csv_readings(DATA / "wide.csv", tz="Mars/Olympus")


def test_weather_csv_import_round_trip_and_is_idempotent(engine, tmp_path):
    from argo_lib import cli

    path = tmp_path / "weather.csv"
    path.write_text(
        "timestamp,temperature_f,station\n"
        "2026-10-31 23:00,50,KDCA\n"
        "2026-11-01 00:00,32,KDCA\n"
        "2026-11-01T01:00:00-05:00,,KDCA\n"  # the repeated 01:00 of the fall-back night, with offset
    )
    url = engine.url.render_as_string(hide_password=False)
    frame = ingest.read_weather_csv(path, tz="America/New_York")
    assert frame["timestamp"].dt.tz is not None
    assert frame["temperature_c"].iloc[:2].tolist() == pytest.approx([10.0, 0.0])
    assert np.isnan(frame["temperature_c"].iloc[2])
    with pytest.raises(ingest.CsvError, match="line 3, column 'timestamp'.*ambiguous"):
        ingest.read_weather_csv(_ambiguous(tmp_path), tz="America/New_York")
    for _ in range(2):
        assert (
            cli.main(
                [
                    "import-weather",
                    str(path),
                    "--site",
                    "23271",
                    "--tz",
                    "America/New_York",
                    "--database-url",
                    url,
                ]
            )
            == 0
        )
    back = db.read_weather(engine, site_id="23271")
    assert len(back) == 3 and back["temperature_c"].iloc[0] == pytest.approx(10.0)
    runs = db.read_runs(engine, site_id="23271")  # each import is logged with its source
    assert runs["source"].tolist() == ["weather-csv:weather.csv"] * 2
    assert runs["status"].tolist() == ["ok", "ok"] and runs["rows_written"].tolist() == [3, 3]


def _ambiguous(tmp_path):
    path = tmp_path / "ambiguous.csv"
    path.write_text("timestamp,temperature_c\n2026-11-01 00:30,5\n2026-11-01 01:30,5\n")
    return path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("time,temperature_c\n2026-11-01T00:00:00Z,5\n", "no 'timestamp' column"),
        ("timestamp,temp\n2026-11-01T00:00:00Z,5\n", "no 'temperature_c'"),
        (
            "timestamp,temperature_c\n2026-11-01T00:00:00Z,5\n2026-11-01T01:00:00Z,warm\n",
            "line 3, column 'temperature_c'",
        ),
        ("timestamp,temperature_c\n2026-11-01T00:00:00Z,95\n", "not a plausible temperature"),
        ("timestamp,temperature_c\n2026-11-01 00:00,5\n", "no UTC offset"),
    ],
    ids=["no-timestamp", "no-temperature", "not-a-number", "implausible", "naive-without-tz"],
)
def test_bad_weather_files_name_line_and_column(tmp_path, text, message):
    path = tmp_path / "w.csv"
    path.write_text(text)
    with pytest.raises(ingest.CsvError, match=message):
        ingest.read_weather_csv(path)
