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
