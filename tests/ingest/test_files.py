"""CSV imports of readings (long and wide tables) and of weather: time zones, errors that name
line and column, both backends."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from argo_lib import config, db, ingest

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
    assert reasons["energy_kwh"] == (
        "energy_kwh outside [0, inf] kWh (long.csv, line 5, column 'energy_kwh'); row kept out"
    )
    assert result.rejected["location"].tolist() == ["long.csv line 4", "long.csv line 5"]
    assert result.rejected["raw_value"].tolist() == ["err", "-0.5"]  # the file's text
    # Lines 10 and 11 are the same reading twice: imported once, counted, nothing rejected.
    assert (
        "long.csv: 1 repeated row (same channel, timestamp and values as a later line) "
        "imported once"
    ) in result.summary()
    channels = db.read_channels(engine, site_id="23271").set_index("channel_id")
    assert channels.loc[162285, "name"] == "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr"
    assert channels.loc[[162285, 162320], "resolution_s"].tolist() == [3600, 3600]
    run = db.read_runs(engine).iloc[0]
    assert (run["source"], run["rows_written"], run["rows_rejected"]) == ("csv:long.csv", 7, 2)
    # received = written + kept out + duplicates: the 03:00 row kept out, line 10 repeated
    assert counts(result) == {162285: [4, 3, 1, 0, 2], 162320: [5, 4, 0, 1, 0]}
    assert run["rows_received"] == 9 and result.rejected_new == 2
    assert "rows: 9 received = 7 written + 1 kept out + 1 duplicates collapsed" in (
        result.summary()
    )


def counts(result):
    """``received, written, kept_out, duplicates, rejected`` per channel (they must add up)."""
    columns = ["received", "written", "kept_out", "duplicates", "rejected"]
    table = result.channels.set_index("channel_id")[columns]
    assert (table["received"] == table[columns[1:4]].sum(axis=1)).all()
    return {int(c): row.tolist() for c, row in table.iterrows()}


def test_reimporting_a_file_changes_nothing(engine):
    ingest.import_csv(engine, DATA / "long.csv", site="23271", now=NOW)
    before = db.read_readings(engine, site_id="23271", columns="all")
    again = ingest.import_csv(engine, DATA / "long.csv", site="23271", now=NOW)
    pd.testing.assert_frame_equal(db.read_readings(engine, site_id="23271", columns="all"), before)
    assert len(db.read_rejected(engine, site_id="23271")) == 2  # recorded once
    # the second import met both values again: counted, 0 new to the ledger
    assert (again.rows_rejected, again.rejected_new) == (2, 0)
    assert db.read_runs(engine).loc[0, "rows_rejected"] == 2
    assert "values rejected: 0 new to the ledger, 2 already recorded by an earlier run" in (
        again.summary()
    )


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
    parsed = ingest.read_csv_readings(path, tz="Asia/Tokyo", resolution_s=1800)
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


# --------------------------------------------------------------------------------------------
# Bad files are refused or reported, never stored silently (issue 10, item 6)
# --------------------------------------------------------------------------------------------

WARNING = (
    "the rest were imported. Each rejected value is in the rejected-readings ledger with its raw "
    "text, line, column and reason"
)


def test_a_semicolon_file_with_decimal_commas_stores_its_numbers(engine):
    result = ingest.import_csv(engine, DATA / "semicolon_decimal_comma.csv", site="23271", now=NOW)
    stored = db.read_readings(engine, site_id="23271", columns=("energy_kwh", "power_kw"))
    np.testing.assert_allclose(
        stored["energy_kwh"],
        [6.344, 6.594, 6.844, 7.0, 7.344, 7.594, 7.844, 8.094],
        atol=ENERGY_ATOL_KWH,
    )
    np.testing.assert_allclose(
        stored["power_kw"],
        [25.376, 26.376, 27.376, 28.0, 29.376, np.nan, 31.376, 32.376],  # an empty cell: NULL
        atol=POWER_ATOL_KW,
    )
    assert (result.status, result.rows_received, result.rows_written, result.rows_rejected) == (
        "ok",
        8,
        8,
        0,
    )
    assert "semicolon_decimal_comma.csv: numbers read with a decimal comma (6,344 = 6.344)" in (
        result.summary()
    )
    assert '"decimal": ","' in db.read_runs(engine).loc[0, "parameters"]


def test_a_semicolon_weather_file_with_decimal_commas_is_read(tmp_path):
    path = write(
        tmp_path, "timestamp;temperature_c\n2026-11-01T00:00Z;4,5\n2026-11-01T01:00Z;-0,5\n"
    )
    assert ingest.read_weather_csv(path)["temperature_c"].tolist() == [4.5, -0.5]


def test_numbers_written_with_both_decimal_separators_are_refused(tmp_path):
    path = write(
        tmp_path,
        "timestamp;channel_id;power_kw;energy_kwh\n"
        "2025-12-01T00:00Z;1;25;6,344\n"
        "2025-12-01T01:00Z;1;6.5;6\n",
    )
    with pytest.raises(ingest.CsvError) as info:
        ingest.read_csv_readings(path)
    assert str(info.value) == (
        "readings.csv: numbers are written with a decimal comma (line 2, column 'energy_kwh': "
        "'6,344') and with a decimal point (line 3, column 'power_kw': '6.5'); write every "
        "number with the same decimal separator"
    )


def test_a_number_with_the_other_decimal_separator_is_rejected_with_its_text_and_line(tmp_path):
    path = write(
        tmp_path,
        'timestamp,channel_id,energy_kwh\n2025-12-01T00:00Z,1,1.5\n2025-12-01T01:00Z,1,"6,344"\n',
    )
    parsed = ingest.read_csv_readings(path, resolution_s=3600)
    assert parsed.rejected[["field", "raw_value", "reason", "location"]].to_numpy().tolist() == [
        [
            "energy_kwh",
            "6,344",
            "not a number: it has a decimal comma, but this file's numbers use a decimal point "
            "(readings.csv, line 3, column 'energy_kwh'); stored as NULL",
            "readings.csv line 3",
        ]
    ]
    forced = ingest.read_csv_readings(
        write(tmp_path, "timestamp;channel_id;energy_kwh\n2025-12-01T00:00Z;1;1.5\n", "b.csv"),
        resolution_s=3600,
        decimal=",",
    )
    assert forced.rejected["reason"].tolist() == [
        "not a number: it has a decimal point, but this file's numbers use a decimal comma "
        "(b.csv, line 2, column 'energy_kwh'); stored as NULL"
    ]


PLAUSIBILITY = (
    "timestamp,channel_id,energy_kwh\n"
    "2025-12-01T05:00Z,162285,1.0\n"
    "2025-12-01T05:15Z,162285,1e15\n"  # line 3: max_kw 60 kW x 0.25 h = 15 kWh at most
    "2025-12-01T05:30Z,162285,15\n"  # exactly the bound: kept
    "2025-12-01T05:45Z,162285,15.5\n"  # line 5
    "2025-12-01T05:00Z,999001,1.0\n"  # a channel without max_kw: 5000 kW, 1250 kWh
    "2025-12-01T05:15Z,999001,1300\n"  # line 7
    "2025-12-01T05:30Z,999001,1250\n"
)


def test_energy_above_max_kw_times_the_interval_is_rejected_never_stored(engine, tmp_path):
    path = write(tmp_path, PLAUSIBILITY, "plausibility.csv")
    result = ingest.import_csv(engine, path, site="23271", now=NOW)
    stored = db.read_readings(engine, site_id="23271")
    assert stored.groupby("channel_id")["energy_kwh"].apply(list).to_dict() == {
        162285: [1.0, 15.0],
        999001: [1.0, 1250.0],
    }
    expected = [
        [
            162285,
            "1e15",
            "energy_kwh above 15 kWh (60 kW for the 0.25 h since the channel's previous reading) "
            "(plausibility.csv, line 3, column 'energy_kwh'); row kept out",
            "plausibility.csv line 3",
        ],
        [
            162285,
            "15.5",
            "energy_kwh above 15 kWh (60 kW for the 0.25 h since the channel's previous reading) "
            "(plausibility.csv, line 5, column 'energy_kwh'); row kept out",
            "plausibility.csv line 5",
        ],
        [
            999001,
            "1300",
            "energy_kwh above 1250 kWh (5000 kW for the 0.25 h since the channel's previous "
            "reading) (plausibility.csv, line 7, column 'energy_kwh'); row kept out",
            "plausibility.csv line 7",
        ],
    ]
    columns = ["channel_id", "raw_value", "reason", "location"]
    assert result.rejected[columns].to_numpy().tolist() == expected
    ledger = db.read_rejected(engine, site_id="23271")
    assert ledger[columns].to_numpy().tolist() == expected
    assert ledger["run_id"].tolist() == [result.run_id] * 3
    assert (result.status, result.exit_code, result.rows_written) == ("ok", 0, 4)
    assert f"warning: plausibility.csv: 3 values rejected; {WARNING}" in result.summary()


def test_the_site_s_configured_power_cap_bounds_channels_without_max_kw(engine, tmp_path):
    site = config.load_site("23271").with_thresholds({"health.implausible_max_kw": 100})
    path = write(tmp_path, PLAUSIBILITY, "plausibility.csv")
    result = ingest.import_csv(engine, path, site=site, now=NOW)
    other = result.rejected[result.rejected["channel_id"] == 999001]
    assert other["raw_value"].tolist() == ["1300", "1250"]  # 100 kW x 0.25 h = 25 kWh
    assert other["reason"].iloc[1] == (
        "energy_kwh above 25 kWh (100 kW for the 0.25 h since the channel's previous reading) "
        "(plausibility.csv, line 8, column 'energy_kwh'); row kept out"
    )


def test_timestamps_off_the_interval_grid_are_rejected_not_moved(engine, tmp_path):
    on_grid = pd.date_range("2025-12-01T05:00Z", periods=8, freq="15min")
    off_grid = pd.to_datetime(["2025-12-01T05:07Z", "2025-12-01T05:22Z", "2025-12-01T05:37Z"])
    text = "timestamp,channel_id,energy_kwh\n" + "".join(
        f"{t:%Y-%m-%dT%H:%M:%SZ},162285,1.5\n" for t in [*on_grid, *off_grid]
    )
    result = ingest.import_csv(engine, write(tmp_path, text, "grid.csv"), site="23271", now=NOW)
    stored = db.read_readings(engine, site_id="23271")
    assert stored["timestamp"].tolist() == list(on_grid)
    assert (result.rows_received, result.rows_written, result.rows_rejected) == (11, 8, 3)
    assert counts(result) == {162285: [11, 8, 3, 0, 3]}
    grid = "intervals start at :00, :15, :30 and :45 (America/New_York)"
    assert result.rejected[["field", "raw_value", "reason"]].to_numpy().tolist() == [
        [
            "timestamp",
            f"2025-12-01T05:{m}:00Z",
            f"timestamp off the 900 s interval grid: {grid}, the nearest are {lo} and {hi} "
            f"(grid.csv, line {line}, column 'timestamp'); row kept out",
        ]
        for m, lo, hi, line in [
            ("07", "00:00", "00:15", 10),
            ("22", "00:15", "00:30", 11),
            ("37", "00:30", "00:45", 12),
        ]
    ]
    assert len(db.read_rejected(engine, site_id="23271")) == 3
    assert (
        f"grid.csv: 3 rows off the 900 s interval grid kept out ({grid}; a row is never moved "
        "to another interval)"
    ) in result.summary()


def test_conflicting_duplicates_are_counted_and_the_last_line_wins(engine, tmp_path):
    stamps = pd.date_range("2025-12-01T05:00Z", periods=192, freq="15min")  # two days
    first = [f"{t:%Y-%m-%dT%H:%M:%SZ},162285,{1 + i / 1000:.3f}\n" for i, t in enumerate(stamps)]
    again = [f"{stamps[10 * k]:%Y-%m-%dT%H:%M:%SZ},162285,{5 + k / 10:.1f}\n" for k in range(10)]
    path = write(tmp_path, "timestamp,channel_id,energy_kwh\n" + "".join(first + again), "d.csv")
    result = ingest.import_csv(engine, path, site="23271", now=NOW)
    summary = result.summary()
    assert "202 rows received, 192 written, 10 values rejected" in summary
    assert counts(result) == {162285: [202, 192, 0, 10, 10]}
    assert (
        "d.csv: 10 conflicting duplicate rows (same channel and timestamp as a later line, other "
        "values): the last line wins; the earlier lines' 10 differing values rejected"
    ) in summary
    assert f"warning: d.csv: 10 values rejected; {WARNING}" in summary
    stored = db.read_readings(engine, site_id="23271").set_index("timestamp")["energy_kwh"]
    np.testing.assert_allclose(
        stored[stamps[::10][:10]], [5 + k / 10 for k in range(10)], atol=ENERGY_ATOL_KWH
    )
    ledger = db.read_rejected(engine, site_id="23271")
    assert ledger["raw_value"].tolist() == [f"{1 + k / 100:.3f}" for k in range(10)]
    assert ledger["reason"].iloc[1] == (
        "duplicate of line 195 (same channel and timestamp, '5.1' there); the last line wins "
        "(d.csv, line 12, column 'energy_kwh'); value not stored"
    )


@pytest.mark.parametrize("text", ["timestamp,temperature_c\n", "timestamp,temperature_c\n\n \n"])
def test_a_weather_file_with_only_its_header_says_it_has_no_data_rows(engine, tmp_path, text):
    from argo_lib import cli

    path = write(tmp_path, text, "weather.csv")
    message = "weather.csv: no data rows below the header (line 1); nothing to import"
    with pytest.raises(ingest.CsvError) as info:
        ingest.import_weather_csv(engine, path, site="23271")
    assert str(info.value) == message
    url = engine.url.render_as_string(hide_password=False)
    assert cli.main(["import-weather", str(path), "--site", "23271", "--database-url", url]) == 2
    assert db.read_runs(engine).empty  # nothing logged, nothing written


def test_epoch_milliseconds_are_utc_like_epoch_seconds(tmp_path):
    path = write(
        tmp_path,
        "timestamp,channel_id,energy_kwh\n1764547200000,1,1\n1764550800000,1,2\n1764554400,1,3\n",
    )
    parsed = ingest.read_csv_readings(path)  # no --tz needed: epoch times are UTC
    assert parsed.readings["timestamp"].tolist() == list(
        pd.date_range("2025-12-01", periods=3, freq="h", tz="UTC")
    )
    weather = write(tmp_path, "timestamp,temperature_c\n1764547200000,4\n", "w.csv")
    assert ingest.read_weather_csv(weather)["timestamp"].tolist() == [
        pd.Timestamp("2025-12-01", tz="UTC")
    ]
    half = write(tmp_path, "timestamp,channel_id,energy_kwh\n1764547200500,1,1\n", "half.csv")
    with pytest.raises(
        ingest.CsvError,
        match=r"line 2, column 'timestamp': timestamp '1764547200500' has fractional seconds",
    ):
        ingest.read_csv_readings(half)


def test_a_file_whose_every_value_is_rejected_is_a_failed_import(database_url, tmp_path, capsys):
    from argo_lib import cli

    path = write(
        tmp_path,
        "timestamp,channel_id,energy_kwh\n"
        "2025-12-01T05:00Z,162285,1e15\n"
        "2025-12-01T05:15Z,162285,abc\n"
        "2025-12-01T05:30Z,162285,12 kWh\n",
        "bad.csv",
    )
    args = ["import-csv", str(path), "--site", "23271", "--database-url", database_url]
    assert cli.main(args) == 1
    out = capsys.readouterr().out
    error = (
        "bad.csv: every value was rejected (3); nothing was imported. Fix the file (the reasons "
        "name line and column) and import it again"
    )
    assert f"error: {error}" in out and "3 rows received, 0 written, 3 values rejected" in out
    assert "rows: 3 received = 0 written + 3 kept out + 0 duplicates collapsed" in out
    engine = db.get_engine(database_url)
    assert db.read_readings(engine).empty
    assert db.read_channels(engine).empty  # nothing half-written: not even the channel
    run = db.read_runs(engine).iloc[0]
    assert (run["status"], run["rows_written"], run["rows_rejected"], run["error"]) == (
        "failed",
        0,
        3,
        error,
    )
    ledger = db.read_rejected(engine)
    assert ledger["raw_value"].tolist() == ["1e15", "abc", "12 kWh"]
    assert ledger["reason"].iloc[1] == (
        "not a number (bad.csv, line 3, column 'energy_kwh'); not stored (every value of the "
        "file was rejected)"
    )
    assert ledger["run_id"].tolist() == [run["run_id"]] * 3


def test_an_import_with_some_rejected_values_exits_0_with_a_warning(database_url, capsys):
    from argo_lib import cli

    args = ["import-csv", str(DATA / "long.csv"), "--site", "23271", "--database-url", database_url]
    assert cli.main(args) == 0
    out = capsys.readouterr().out
    assert f"\nwarning: long.csv: 2 values rejected; {WARNING}\n" in out
