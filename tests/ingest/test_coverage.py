"""Daily coverage of what arrived: each day expects its real length."""

from __future__ import annotations

import pandas as pd
import pytest

from argo_lib import ingest
from argo_lib.dates import Period, expected_index

TZ = "America/New_York"


def test_daily_coverage_expects_the_real_length_of_each_day():
    period = Period(pd.Timestamp("2025-11-01 12:00", tz=TZ), pd.Timestamp("2025-11-03", tz=TZ))
    stamps = expected_index(period, resolution_s=3600)
    readings = pd.DataFrame({"timestamp": stamps[:-5], "channel_id": 1})
    coverage = ingest.daily_coverage(readings, period=period, resolution_s=3600, channel_ids=[2])
    assert coverage.index.tolist() == [1, 2]
    assert [str(d) for d in coverage.columns] == ["2025-11-01", "2025-11-02"]
    assert coverage.loc[1].tolist() == pytest.approx([1.0, 20 / 25])  # fall-back day: 25 h
    assert coverage.loc[2].tolist() == [0.0, 0.0]
