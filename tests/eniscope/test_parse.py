"""Pure parsers of Eniscope payloads, on recorded payloads from ``tests/data/eniscope``."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from argo_lib.eniscope import InvalidResponseError
from argo_lib.eniscope.parse import (
    REJECTED_COLUMNS,
    concat_rejected,
    decode_payload,
    empty_rejected,
    page_count,
    parse_channels,
    parse_devices,
    parse_meters,
    parse_organizations,
    parse_readings,
    unwrap_list,
)

# Tolerances, named for why they are what they are.
ENERGY_ATOL_KWH = 1e-9  # Wh → kWh of exact inputs: only float rounding may differ

DATA = Path(__file__).parents[1] / "data" / "eniscope"
TZ = "America/New_York"
DAY_START = pd.Timestamp("2025-12-01", tz=TZ)


def load(name: str):
    return decode_payload((DATA / name).read_bytes())


# --------------------------------------------------------------------------------------------
# Bodies and list envelopes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"records": [{"ts": 1, "E": NaN}]}', {"records": [{"ts": 1, "E": "NaN"}]}),
        ('{"a": Infinity, "b": -Infinity}', {"a": "Infinity", "b": "-Infinity"}),
        (b"[]", []),
    ],
    ids=["nan-kept-as-text", "infinities", "bare-list"],
)
def test_decode_payload(body, expected):
    assert decode_payload(body) == expected


@pytest.mark.parametrize(
    "body", [b'{"records": [', b"<html>busy</html>", b""], ids=["truncated", "html", "empty"]
)
def test_decode_payload_rejects_non_json(body):
    with pytest.raises(ValueError):
        decode_payload(body)


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ([{"a": 1}], [{"a": 1}]),
        ({"channels": [{"a": 1}], "meta": {}}, [{"a": 1}]),
        ({"result": [{"a": 2}]}, [{"a": 2}]),
        ({"data": [{"a": 3}]}, [{"a": 3}]),
        ({"items": [{"a": 4}]}, [{"a": 4}]),
        ({"channels": None, "meta": {}}, []),
        ({"channels": [], "result": [{"a": 5}]}, []),
    ],
    ids=["bare", "plural", "result", "data", "items", "null", "plural-first"],
)
def test_unwrap_list(payload, expected):
    assert unwrap_list(payload, "channels") == expected


@pytest.mark.parametrize("payload", [{"error": "x"}, "text", 5], ids=["no-list", "string", "int"])
def test_unwrap_list_rejects_unknown_shapes(payload):
    with pytest.raises(InvalidResponseError, match="channels"):
        unwrap_list(payload, "channels")


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        ({"meta": {"pageCount": 3}}, 3),
        ({"meta": {"pageCount": "2"}}, 2),
        ({"meta": {"pageCount": "2.0"}}, 2),
        ({"meta": {"totalPages": 2}}, None),
        ({"meta": "x"}, None),
        ([{"a": 1}], None),
    ],
    ids=["number", "string", "float-string", "other-key", "meta-not-object", "bare-list"],
)
def test_page_count(payload, expected):
    assert page_count(payload) == expected


# --------------------------------------------------------------------------------------------
# Metadata parsers on recorded payloads
# --------------------------------------------------------------------------------------------


def test_parse_organizations():
    orgs = parse_organizations(load("organizations.json"))
    assert orgs["organization_id"].tolist() == [23271, 18000]
    assert orgs["organization_id"].dtype == "int64"
    wilson = orgs.set_index("organization_id").loc[23271]
    assert wilson["organization_name"] == "Wilson Center"
    assert wilson["timezone"] == TZ
    assert wilson["parent_id"] == 18000
    assert wilson["created"] == pd.Timestamp(1659361785, unit="s", tz="UTC")
    assert str(orgs["created"].dtype) == "datetime64[us, UTC]"
    assert pd.isna(orgs.loc[1, "modified"]) and pd.isna(orgs.loc[1, "parent_id"])
    assert "links" not in orgs.columns
    assert "default_email_address" not in orgs.columns


def test_parse_channels_ids_names_and_types(caplog):
    caplog.set_level(logging.WARNING, logger="argo_lib.eniscope")
    channels = parse_channels(load("channels.json")).set_index("channel_id")
    # dataChannelId wins over channelId; then channelId; then id; a record without any is dropped
    assert channels.index.tolist() == [162285, 162120, 162277]
    assert "without a usable id" in caplog.text
    assert channels.loc[162120, "channel_name"] == "RTU-3_WCDS_Wilson Ctr"  # from "name"
    assert channels.loc[162285, "device_id"] == 70001
    assert channels.loc[162120, "device_id"] == 70005  # numbers accepted too
    assert channels.loc[162285, "in_tsdb"] and not channels.loc[162120, "in_tsdb"]
    assert pd.isna(channels.loc[162285, "tariff_id"]) and channels.loc[162120, "tariff_id"] == 42
    assert channels.loc[162285, "meter_id"] == 80001 and pd.isna(channels.loc[162277, "meter_id"])
    assert channels.loc[162277, "status"] == 0
    assert channels.loc[162120, "registered"] == pd.Timestamp(1746132592, unit="s", tz="UTC")
    assert channels.loc[162285, "uuid"] == "44B7D0E9B3C00001"


def test_parse_devices_accepts_numbers():
    devices = parse_devices(load("devices.json")).set_index("device_id")
    assert devices.index.tolist() == [500, 70001]
    assert devices.loc[500, "status"] == 1 and devices.loc[500, "device_type_id"] == 20
    assert not devices.loc[500, "is_metering_point"] and devices.loc[70001, "is_metering_point"]
    assert devices.loc[70001, "parent_id"] == 500
    assert pd.isna(devices.loc[500, "renewed"])


def test_parse_meters_flattens_interface():
    meters = parse_meters(load("meters.json"))
    row = meters.iloc[0]
    assert row["meter_id"] == 80001 and row["channel_count"] == 3
    assert row["ct"] == 3000.0 and row["vs"] == 415.0
    assert row["interface_name"] == "CT input" and row["device_type_interface_id"] == 7


def test_parse_single_object():
    channel = parse_channels({"dataChannelId": "162285", "channelName": "CDPK"})
    assert channel["channel_id"].tolist() == [162285]


# --------------------------------------------------------------------------------------------
# Readings parser on recorded payloads
# --------------------------------------------------------------------------------------------


def test_parse_readings_hourly_day():
    payload = load("readings_hourly_day.json")
    readings, rejected = parse_readings(payload, channel_id=162285, resolution_s=3600)
    assert len(readings) == 24 and rejected.empty
    assert list(readings.columns[:4]) == ["timestamp", "channel_id", "energy_kwh", "power_kw"]
    assert {"voltage_v", "current_a", "power_factor", "frequency_hz", "energy_kwh_p1"} <= set(
        readings.columns
    )
    assert "reactive_power_kvar" not in readings.columns  # not in the payload
    first = readings.iloc[0]
    assert first["timestamp"] == pd.Timestamp("2025-12-01 05:00", tz="UTC")  # 00:00 local
    assert first["timestamp"].tz_convert(TZ) == DAY_START
    assert first["energy_kwh"] == pytest.approx(1.29008, abs=ENERGY_ATOL_KWH)
    assert first["power_kw"] == pytest.approx(1.29012, abs=ENERGY_ATOL_KWH)
    assert first["voltage_v"] == pytest.approx(120.31)  # volts stay volts
    assert first["current_a"] == pytest.approx(5.84)
    expected_kwh = np.array([r["E"] for r in payload["records"]]) / 1000
    np.testing.assert_allclose(readings["energy_kwh"], expected_kwh, atol=ENERGY_ATOL_KWH)
    assert readings["channel_id"].dtype == "int64" and (readings["channel_id"] == 162285).all()
    assert str(readings["timestamp"].dtype) == "datetime64[us, UTC]"
    assert readings.attrs["resolution_s"] == 3600
    # sanity check of spec 4.5: E [Wh] ≈ mean P [W] × 1 h
    np.testing.assert_allclose(readings["energy_kwh"], readings["power_kw"], atol=1e-3)


@pytest.mark.parametrize(
    ("name", "hours"),
    [("readings_dst_fall_day.json", 25), ("readings_dst_spring_day.json", 23)],
    ids=["fall-back", "spring-forward"],
)
def test_parse_readings_dst_days(name, hours):
    readings, _ = parse_readings(load(name), channel_id=162285, resolution_s=3600)
    assert len(readings) == hours
    local = readings["timestamp"].dt.tz_convert(TZ)
    assert (local.dt.date == local.dt.date.iloc[0]).all()  # one site-local day
    assert readings["timestamp"].diff().dropna().eq(pd.Timedelta(hours=1)).all()


def test_parse_readings_malformed():
    readings, rejected = parse_readings(
        load("readings_malformed.json"), channel_id=162285, resolution_s=3600
    )
    hours = [5, 6, 7, 8, 9, 10, 11, 12]
    assert readings["timestamp"].tolist() == [
        pd.Timestamp(f"2025-12-01 {h:02d}:00", tz="UTC") for h in hours
    ]
    by_hour = readings.set_index(readings["timestamp"].dt.hour)
    # numeric strings and "ts" as a string are accepted
    assert by_hour.loc[5, "energy_kwh"] == pytest.approx(1.29008, abs=ENERGY_ATOL_KWH)
    assert by_hour.loc[5, "power_factor"] == pytest.approx(0.60)
    assert by_hour.loc[5, "cost"] == pytest.approx(0.15)  # "Cost" spelling
    # null stays NaN and is not a rejection; a real zero stays zero
    assert np.isnan(by_hour.loc[6, "energy_kwh"]) and np.isnan(by_hour.loc[6, "power_kw"])
    assert by_hour.loc[8, "energy_kwh"] == 0.0 and by_hour.loc[8, "power_kw"] == 0.0
    # duplicates: last wins (the second 09:00 record, which has no cost)
    assert by_hour.loc[9, "energy_kwh"] == pytest.approx(1.60025, abs=ENERGY_ATOL_KWH)
    assert np.isnan(by_hour.loc[9, "cost"])
    # fallbacks: "t" when "ts" is null, "time"
    assert by_hour.loc[10, "energy_kwh"] == pytest.approx(1.4)
    assert by_hour.loc[12, "energy_kwh"] == pytest.approx(-0.005)  # range checks are ingestion's
    assert "kW" not in readings.columns and "extra" not in readings.columns
    # rejections: two unusable timestamps, six non-numeric or non-finite values
    summary = rejected.groupby("field")["raw_value"].apply(sorted).to_dict()
    assert summary == {
        # a record without any timestamp is kept as its own text
        "timestamp": ["not-a-time", '{"E":999.0,"P":999.0}'],
        "energy_kwh": ["Infinity", "NaN"],
        "power_kw": ["", "-Infinity"],
        "voltage_v": ["NaN", "n/a"],
    }
    assert rejected.loc[rejected["field"] == "timestamp", "timestamp"].isna().all()
    # ... each where it was: after the last record with a usable timestamp (stable when an
    # overlapping window is fetched again, so the ledger keeps both and records them once)
    dropped = rejected[rejected["field"] == "timestamp"].sort_values("raw_value")
    assert dropped["location"].tolist() == [
        "after 2025-12-01T10:00:00Z, record 1",
        "after 2025-12-01T08:00:00Z, record 1",
    ]
    value_rows = rejected[rejected["field"] != "timestamp"]
    assert set(value_rows["timestamp"].dt.hour) == {7, 11}
    assert rejected["reason"].str.contains("not finite").sum() == 2
    assert rejected["reason"].str.contains("record dropped").sum() == 2
    assert (rejected["channel_id"] == 162285).all()
    for column in ("energy_kwh", "power_kw", "voltage_v"):
        assert np.isnan(by_hour.loc[11, column])


def test_parse_readings_alternate_envelope_and_project_units():
    readings, rejected = parse_readings(
        load("readings_alternate_envelope.json"), channel_id=7, resolution_s=3600
    )
    assert rejected.empty
    assert readings["energy_kwh"].tolist() == [0.5, 0.25]  # units say kWh already: no ÷ 1000
    assert readings.loc[1, "apparent_power_kva"] == pytest.approx(0.3125)  # VA → kVA
    assert readings.loc[1, "reactive_power_kvar"] == pytest.approx(0.25)


def test_parse_readings_unexpected_unit_is_logged(caplog):
    caplog.set_level(logging.WARNING, logger="argo_lib.eniscope")
    payload = {"units": {"E": "BTU"}, "records": [{"ts": 0, "E": 1000.0}]}
    readings, _ = parse_readings(payload, channel_id=1)
    assert readings.loc[0, "energy_kwh"] == pytest.approx(1.0)
    assert "BTU" in caplog.text


@pytest.mark.parametrize(
    "payload",
    [load("readings_empty.json"), {"records": None}, [], {"readings": []}],
    ids=["recorded", "null", "bare-list", "readings-key"],
)
def test_parse_readings_empty(payload):
    readings, rejected = parse_readings(payload, channel_id=162285, resolution_s=3600)
    assert readings.empty and rejected.empty
    assert list(readings.columns) == ["timestamp", "channel_id", "energy_kwh", "power_kw"]
    assert str(readings["timestamp"].dtype) == "datetime64[us, UTC]"
    assert list(rejected.columns) == [
        "channel_id",
        "timestamp",
        "field",
        "raw_value",
        "reason",
        "location",
    ]


@pytest.mark.parametrize(
    "payload",
    [{"error": "boom"}, {"records": "nope"}, "text"],
    ids=["no-records", "records-not-list", "string"],
)
def test_parse_readings_rejects_unknown_payloads(payload):
    with pytest.raises(InvalidResponseError):
        parse_readings(payload, channel_id=1)


def test_parse_readings_non_object_records_are_rejected():
    readings, rejected = parse_readings({"records": [{"ts": 0, "E": 1.0}, 5, "x"]}, channel_id=1)
    assert len(readings) == 1
    assert rejected["field"].tolist() == ["record", "record"]


def test_parse_readings_out_of_range_timestamp_is_rejected():
    readings, rejected = parse_readings(
        {"records": [{"ts": 1764565200000, "E": 1.0}, {"ts": -5, "E": 1.0}]}, channel_id=1
    )
    assert readings.empty
    assert rejected["reason"].str.startswith("timestamp out of range").all()


def test_concat_rejected_keeps_columns_and_dtypes():
    _, rejected = parse_readings({"records": [{"ts": "x", "E": 1.0}]}, channel_id=3)
    both = concat_rejected([empty_rejected(), rejected, rejected])
    assert len(both) == 2 and list(both.columns) == list(REJECTED_COLUMNS)
    assert both.dtypes.to_dict() == empty_rejected().dtypes.to_dict()
    assert concat_rejected([]).empty
