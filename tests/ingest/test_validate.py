"""Validation of readings before they are written: impossible values, future times, duplicates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from argo_lib import ingest

_T0 = pd.Timestamp("2025-12-01T05:00Z")


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("energy_kwh", -0.5, "energy_kwh outside [0, inf] kWh"),
        ("power_kw", -0.1, "power_kw outside [0, 5000] kW"),
        ("power_kw", 5000.5, "power_kw outside [0, 5000] kW"),
        ("voltage_v", 49.0, "voltage_v outside [50, 600] V"),
        ("voltage_v_p2", 601.0, "voltage_v_p2 outside [50, 600] V"),
        ("power_factor_p3", 1.2, "power_factor_p3 outside [-1, 1]"),
        ("frequency_hz", 70.0, "frequency_hz outside [55, 65] Hz"),
        ("thd_current_pct", 501.0, "thd_current_pct outside [0, 500] %"),
        ("neutral_current_a", -0.01, "neutral_current_a outside [0, inf] A"),
        # plausibility bounds of the fields the spec leaves open (issue 10)
        ("cost", 1e12, "cost outside [-1e+06, 1e+06] currency"),
        ("cost", -2e6, "cost outside [-1e+06, 1e+06] currency"),
        ("current_a_p1", 2e5, "current_a_p1 outside [-100000, 100000] A"),
        ("reactive_power_kvar", -6000.0, "reactive_power_kvar outside [-5000, 5000] kVAr"),
        ("apparent_power_kva", 5001.0, "apparent_power_kva outside [0, 5000] kVA"),
        ("power_kw_p2", -5001.0, "power_kw_p2 outside [-5000, 5000] kW"),
        ("energy_kwh", np.inf, "energy_kwh is not a finite number"),
        ("cost", -np.inf, "cost outside [-1e+06, 1e+06] currency"),
    ],
    ids=lambda v: str(v),
)
def test_an_impossible_value_keeps_its_row_out_with_the_reason(column, value, reason):
    frame = pd.DataFrame(
        {
            "timestamp": [_T0, _T0 + pd.Timedelta(hours=1)],
            "channel_id": 7,
            "energy_kwh": [1.0, np.nan],
            "power_kw": [1.0, 1.0],
        }
    )
    frame[column] = [value, np.nan]
    kept, rejected = ingest.validate_readings(frame)
    assert kept["timestamp"].tolist() == [_T0 + pd.Timedelta(hours=1)]
    assert np.isnan(kept["energy_kwh"].iloc[0])  # NULL stays NULL, never a reason
    assert rejected[["field", "raw_value"]].to_numpy().tolist() == [[column, str(value)]]
    assert rejected.loc[0, "reason"] == f"{reason}; row kept out"
    assert rejected.loc[0, "timestamp"] == _T0


def test_future_readings_beyond_one_interval_are_rejected_and_duplicates_collapse():
    frame = pd.DataFrame(
        {
            "timestamp": [_T0, _T0, _T0 + pd.Timedelta(hours=1), _T0 + pd.Timedelta(hours=2)],
            "channel_id": 7,
            "energy_kwh": [1.0, 2.0, 1.0, 1.0],
        }
    )
    kept, rejected = ingest.validate_readings(
        frame, now=_T0 + pd.Timedelta(minutes=30), resolution_s=3600
    )
    assert kept["energy_kwh"].tolist() == [2.0, 1.0]  # the last duplicate wins
    assert rejected["field"].tolist() == ["timestamp"]
    assert rejected.loc[0, "raw_value"] == "2025-12-01T07:00:00Z"


def _series(energy, *, step_s=900, gaps=()):
    """Readings of channel 7 every ``step_s`` from _T0, skipping the positions in ``gaps``."""
    times = [_T0 + pd.Timedelta(seconds=step_s * i) for i in range(len(energy) + len(gaps))]
    times = [t for i, t in enumerate(times) if i not in gaps]
    return pd.DataFrame({"timestamp": times, "channel_id": 7, "energy_kwh": energy})


def test_energy_beyond_what_the_channel_can_draw_is_rejected():
    # a 100 kW channel at 15 min: at most 25 kWh an interval; 1e15 kWh (a file's typo, a
    # meter's overflow) never reaches the database
    frame = _series([10.0, 25.0, 25.5, 1e15, 10.0])
    kept, rejected = ingest.validate_readings(frame, resolution_s=900, max_kw={7: 100.0})
    assert kept["energy_kwh"].tolist() == [10.0, 25.0, 10.0]
    assert rejected["raw_value"].tolist() == ["25.5", "1000000000000000.0"]
    assert rejected.loc[0, "reason"] == (
        "energy_kwh above 25 kWh (100 kW for the 0.25 h since the channel's previous reading); "
        "row kept out"
    )
    # without a max_kw the spec's 5000 kW bound the energy: 1250 kWh in 15 min
    kept, rejected = ingest.validate_readings(frame, resolution_s=900)
    assert rejected["raw_value"].tolist() == ["1000000000000000.0"]


def test_a_catch_up_reading_may_carry_the_whole_gap():
    # ten 15-min readings missing, then one reading with the energy of all eleven intervals
    frame = _series([20.0, 20.0, 270.0, 20.0], gaps=range(2, 12))
    kept, rejected = ingest.validate_readings(frame, resolution_s=900, max_kw={7: 100.0})
    assert rejected.empty and kept["energy_kwh"].tolist() == [20.0, 20.0, 270.0, 20.0]
    # ... but no more than the channel can draw in that time (11 x 25 kWh)
    frame = _series([20.0, 20.0, 276.0, 20.0], gaps=range(2, 12))
    kept, rejected = ingest.validate_readings(frame, resolution_s=900, max_kw={7: 100.0})
    assert rejected["raw_value"].tolist() == ["276.0"]
    assert "100 kW for the 2.75 h since" in rejected.loc[0, "reason"]
    # a batch's first reading may close a gap that began before the batch (up to a week)
    first = _series([100.0 * 24 * 7, 20.0])
    kept, rejected = ingest.validate_readings(first, resolution_s=900, max_kw={7: 100.0})
    assert rejected.empty


def test_both_backends_store_the_same_rows_for_out_of_range_values(engine):
    # a cost of 1e12 overflowed PostgreSQL's NUMERIC(18, 6) mid-sync while SQLite stored it
    from argo_lib import db

    db.upsert_site(engine, {"site_id": "9", "name": "Test", "timezone": "UTC"})
    db.upsert_channels(
        engine,
        pd.DataFrame({"channel_id": [7], "site_id": "9", "name": "M", "resolution_s": 900}),
    )
    frame = _series([1.0, 1.0, 1.0, 1.0]).assign(cost=[0.12, 1e12, 1e13, -0.05])
    kept, rejected = ingest.validate_readings(frame, resolution_s=900)
    assert db.upsert_readings(engine, kept) == 2
    stored = db.read_readings(engine, channel_ids=[7], columns=("energy_kwh", "cost"))
    assert stored["cost"].tolist() == pytest.approx([0.12, -0.05])
    assert rejected["raw_value"].tolist() == ["1000000000000.0", "10000000000000.0"]


def test_records_without_a_timestamp_are_each_recorded_once(engine):
    # two identical records without a timestamp in one payload are two rejected records; the
    # ledger kept one of them (they shared its key); fetching the window again adds none
    from argo_lib import db
    from argo_lib.eniscope import parse_readings
    from argo_lib.ingest.validate import RejectedLedger, write_new_rejected

    t0 = int(_T0.timestamp())
    payload = {
        "records": [
            {"ts": t0, "E": 1000.0},
            {"E": 5.0},
            {"E": 5.0},
            {"ts": t0 + 3600, "E": 1000.0},
            {"E": 5.0},
        ]
    }
    run_id = db.start_run(engine, source="test")
    for _ in range(2):  # the window, then the same window again (overlap, a re-run)
        _, rejected = parse_readings(payload, channel_id=7, resolution_s=3600)
        ledger = RejectedLedger(db.read_rejected(engine))
        write_new_rejected(engine, ledger, rejected, run_id)
    stored = db.read_rejected(engine).sort_values("location")
    assert stored["location"].tolist() == [
        "after 2025-12-01T05:00:00Z, record 1",
        "after 2025-12-01T05:00:00Z, record 2",
        "after 2025-12-01T06:00:00Z, record 1",
    ]
    assert stored["raw_value"].tolist() == ['{"E":5.0}'] * 3
    assert stored["reason"].eq("missing timestamp; record dropped").all()
