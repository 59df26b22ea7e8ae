"""Tests of argo_lib.analytics.costs: TOU prices in site-local time and coincident demand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from argo_lib.analytics import costs
from argo_lib.config import Tariff, TouPeriod

TZ = "America/New_York"
RATE_ATOL = 1e-12  # prices are copied from the tariff, not computed
KW_ATOL = 1e-9

A9_TOU = Tariff(
    flat_rate_per_kwh=0.12,
    tou_periods=(
        TouPeriod("off_peak", 0.06, (0, 1, 2, 3, 4), 0, 7),
        TouPeriod("off_peak", 0.06, (0, 1, 2, 3, 4), 21, 24),
        TouPeriod("mid_peak", 0.10, (0, 1, 2, 3, 4), 7, 12),
        TouPeriod("mid_peak", 0.10, (0, 1, 2, 3, 4), 18, 21),
        TouPeriod("on_peak", 0.20, (0, 1, 2, 3, 4), 12, 18),
    ),
    weekend_period="off_peak",
    demand_rate_per_kw=12.0,
)


def _local(*stamps: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(stamps).tz_localize(TZ).tz_convert("UTC")


@pytest.mark.parametrize(
    ("stamp", "rate", "name"),
    [
        ("2026-11-16 06:45", 0.06, "off_peak"),
        ("2026-11-16 07:00", 0.10, "mid_peak"),
        ("2026-11-16 12:00", 0.20, "on_peak"),
        ("2026-11-16 17:45", 0.20, "on_peak"),
        ("2026-11-16 18:00", 0.10, "mid_peak"),
        ("2026-11-16 21:00", 0.06, "off_peak"),
        ("2026-11-21 13:00", 0.06, "off_peak"),
        ("2026-03-09 12:30", 0.20, "on_peak"),
    ],
    ids=["early", "mid-start", "on-start", "on-end", "mid-evening", "late", "saturday", "dst-week"],
)
def test_tou_rate_uses_local_time(stamp, rate, name):
    index = _local(stamp)
    assert costs.rate_per_kwh(index, tariff=A9_TOU, tz=TZ)[0] == pytest.approx(rate, abs=RATE_ATOL)
    assert costs.period_names(index, tariff=A9_TOU, tz=TZ)[0] == name


def test_tou_is_not_evaluated_in_utc():
    # 12:30 local in November is 17:30 UTC: both on-peak; 19:00 local is 00:00 UTC (off-peak in
    # UTC, mid-peak locally): B1 says local
    index = _local("2026-11-16 19:00")
    assert costs.rate_per_kwh(index, tariff=A9_TOU, tz=TZ)[0] == pytest.approx(0.10, abs=RATE_ATOL)


def test_holiday_is_priced_like_the_weekend():
    index = _local("2026-11-26 13:00")  # Thanksgiving, a Thursday
    plain = costs.rate_per_kwh(index, tariff=A9_TOU, tz=TZ)[0]
    holiday = costs.rate_per_kwh(index, tariff=A9_TOU, tz=TZ, holidays=[dt.date(2026, 11, 26)])[0]
    assert plain == pytest.approx(0.20, abs=RATE_ATOL)
    assert holiday == pytest.approx(0.06, abs=RATE_ATOL)


def test_flat_tariff_everywhere():
    index = pd.date_range("2026-11-16", periods=7 * 24, freq="h", tz="UTC")
    rates = costs.rate_per_kwh(index, tariff=Tariff(), tz=TZ)
    np.testing.assert_allclose(rates, 0.12, atol=RATE_ATOL)


def test_unknown_weekend_period_is_an_error():
    tariff = Tariff(
        tou_periods=(TouPeriod("day", 0.2, (0, 1, 2, 3, 4), 7, 19),), weekend_period="night"
    )
    with pytest.raises(ValueError, match="weekend_period='night'"):
        costs.tariff_period_table(tariff)


def test_coincident_peak_counts_only_the_part_that_sets_the_peak():
    idx = pd.date_range("2026-11-16", periods=4, freq="15min", tz="UTC")
    site = pd.Series([50.0, 80.0, 75.0, 60.0], index=idx)
    excess = pd.DataFrame(
        {"at_peak": [0.0, 30.0, 0.0, 0.0], "off_peak": [10.0, 0.0, 0.0, 0.0]}, index=idx
    )
    peak, at, drop = costs.coincident_peak(site, removed_kw=excess)
    assert peak == pytest.approx(80.0, abs=KW_ATOL)
    assert at == idx[1]
    # without the 30 kW spike the peak moves to the next interval (75 kW): only 5 kW saved (B12)
    assert drop["at_peak"] == pytest.approx(5.0, abs=KW_ATOL)
    assert drop["off_peak"] == pytest.approx(0.0, abs=KW_ATOL)


def test_coincident_peak_of_empty_series():
    peak, at, drop = costs.coincident_peak(pd.Series(dtype=float))
    assert np.isnan(peak)
    assert at is None
    assert drop.empty
