"""Real-world site properties: dusk-to-dawn load, short-cycling, noisy main meter, closures."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pandas as pd
import pytest

from argo_lib import dates
from argo_lib.sim import (
    PHENOMENA_COLUMNS,
    WILSON_CHANNELS,
    WILSON_MAIN,
    DuskToDawn,
    MainMeter,
    Phenomena,
    ShortCycling,
    SimSite,
    closure_days,
    sun_times,
)

TZ = "America/New_York"
WEEK = ("2025-12-01", "2025-12-08")  # Monday to Monday, EST
RTU1, KITCHEN, MAIN = 162320, 162285, WILSON_MAIN.channel_id
WITH_MAIN = Phenomena(main_meter=MainMeter())
SUB_IDS = [c.channel_id for c in WILSON_CHANNELS]

# Sums of exact per-interval values: only float rounding of the sum may differ.
ENERGY_RTOL = 1e-9
# NOAA's equations against the almanac: within a minute or two.
ALMANAC_ATOL_S = 120


def channel(frame: pd.DataFrame, cid: int) -> pd.Series:
    return frame[frame["channel_id"] == cid].set_index("timestamp")["energy_kwh"]


def epoch_day(date: str) -> int:
    return (dt.date.fromisoformat(date) - dt.date(1970, 1, 1)).days


# Sunrise and sunset in New York City (40.71 N, 74.01 W), local time, from the almanac.
ALMANAC = [
    ("2025-12-21", "07:16", "16:32"),
    ("2025-06-21", "05:25", "20:31"),
    ("2025-03-20", "07:01", "19:08"),
]


@pytest.mark.parametrize(("date", "rise", "dusk"), ALMANAC, ids=["winter", "summer", "equinox"])
def test_sun_times_match_the_almanac(date, rise, dusk):
    got = sun_times(np.array([epoch_day(date)]), latitude=40.71, longitude=-74.01)
    for value, text in zip(got, (rise, dusk), strict=True):
        want = pd.Timestamp(f"{date} {text}", tz=TZ).timestamp()
        assert abs(float(value[0]) - want) <= ALMANAC_ATOL_S


@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_dusk_to_dawn_load_is_on_from_sunset_to_sunrise_every_night(resolution_s, sim):
    kw = 4.0
    phen = Phenomena(dusk_to_dawn=[DuskToDawn(KITCHEN, kw)])
    clean = sim(*WEEK, resolution_s=resolution_s, channels=[KITCHEN])
    lit = sim(*WEEK, resolution_s=resolution_s, channels=[KITCHEN], phenomena=phen)
    added = channel(lit.readings, KITCHEN) - channel(clean.readings, KITCHEN)
    step = pd.Timedelta(seconds=resolution_s)
    days = np.arange(epoch_day("2025-11-30"), epoch_day("2025-12-08"))
    rise, dusk = sun_times(days, latitude=39.95, longitude=-75.17)  # the Wilson site's location
    on = added[added > 1e-9]
    night = (on.index.to_series().diff() > step).cumsum().to_numpy()  # one group per night
    assert np.unique(night).size == 8  # Sunday night before the week to Sunday night
    for n in range(1, 7):  # the six whole nights, weekends included: sunset to sunrise ±1 interval
        first, last = on.index[night == n][[0, -1]]
        local_day = first.tz_convert(TZ).tz_localize(None).normalize()
        d = (local_day - pd.Timestamp("1970-01-01")).days - days[0]
        sunset = pd.Timestamp(dusk[d], unit="s", tz="UTC")
        sunrise = pd.Timestamp(rise[d + 1], unit="s", tz="UTC")
        assert abs(first - sunset) < step and abs(last + step - sunrise) < step
    full = added[(added > kw * resolution_s / 3600 * (1 - 1e-9))]
    assert len(full) > 0.5 * len(on)  # whole intervals carry exactly the load's energy
    nights = lit.phenomena[lit.phenomena["kind"] == "dusk_to_dawn"]
    assert nights.columns.tolist() == list(PHENOMENA_COLUMNS)
    hours = (nights["end"] - nights["start"]) / pd.Timedelta(hours=1)
    assert nights["energy_kwh"].to_numpy() == pytest.approx(kw * hours.to_numpy(), rel=ENERGY_RTOL)
    assert nights["energy_kwh"].sum() == pytest.approx(added.sum(), rel=ENERGY_RTOL)
    assert 14.0 < hours.iloc[1] < 15.0  # a December night at 40° N


def test_dusk_to_dawn_follows_the_date(sim):
    phen = Phenomena(dusk_to_dawn=[DuskToDawn(KITCHEN, 2.0)])
    summer = sim("2025-06-16", "2025-06-23", channels=[KITCHEN], phenomena=phen).phenomena
    winter = sim(*WEEK, channels=[KITCHEN], phenomena=phen).phenomena
    hours = [((p["end"] - p["start"]) / pd.Timedelta(hours=1)).iloc[2] for p in (summer, winter)]
    assert 8.5 < hours[0] < 9.8 and 14.0 < hours[1] < 15.0


def test_short_cycling_runs_on_closed_days_only(sim, local):
    cyc = ShortCycling(RTU1, kw=2.0, period_min=40.0, duty=0.5)
    fine = sim(*WEEK, channels=[RTU1], phenomena=Phenomena(short_cycling=[cyc]))
    base = sim(*WEEK, channels=[RTU1])
    added = channel(fine.readings, RTU1) - channel(base.readings, RTU1)
    saturday = added[local("2025-12-06") : local("2025-12-07 23:45")]
    weekdays = added[: local("2025-12-05 23:45")]
    assert (weekdays.abs() < 1e-12).all()
    # 48 h of a 40-min cycle with 50 % on: exactly 48 kWh, 15-min values from 0 to 0.5 kWh
    assert saturday.sum() == pytest.approx(48.0, rel=ENERGY_RTOL)
    assert saturday.min() < 0.1 and saturday.max() > 0.4
    hourly = sim(*WEEK, channels=[RTU1], resolution_s=3600, phenomena=Phenomena(short_cycling=[cyc]))  # fmt: skip
    hourly_added = channel(hourly.readings, RTU1) - channel(
        sim(*WEEK, channels=[RTU1], resolution_s=3600).readings, RTU1
    )
    sat_h = hourly_added[local("2025-12-06") : local("2025-12-07 23:00")]
    assert sat_h.std() < 0.25 * (4 * saturday).std()  # it averages out in hourly data
    rows = fine.phenomena[fine.phenomena["kind"] == "short_cycling"]
    assert len(rows) == 1 and rows.iloc[0]["start"] == local("2025-12-06")
    assert rows.iloc[0]["energy_kwh"] == pytest.approx(48.0, rel=ENERGY_RTOL)


@pytest.fixture(scope="module")
def with_main(sim) -> dict[str, pd.DataFrame]:
    july = sim("2025-07-07", "2025-07-14", phenomena=WITH_MAIN, seed=3).readings
    december = sim(*WEEK, phenomena=WITH_MAIN, seed=3).readings
    return {"july": july, "december": december}


@pytest.mark.parametrize("month", ["july", "december"])
def test_main_meter_is_the_sub_meters_plus_a_remainder(month, with_main):
    r = with_main[month].pivot_table(index="timestamp", columns="channel_id", values="power_kw")
    remainder = r[MAIN] - r[SUB_IDS].sum(axis=1)
    business = dates.business_hours_mask(r.index, tz=TZ)
    assert (remainder > 0.5).all()  # never below the remainder's quiet load
    # occupied: 8 kW of remainder plus 6 blocks of 3.5 kW on 70 % of the time (~22.7 kW)
    assert 18.0 < remainder[business].mean() < 32.0
    assert 4.0 < remainder[~business].mean() < 12.0
    level = r[MAIN][business].mean()
    assert 30.0 < level < 45.0  # hourly main-meter readings of 16–43 kWh, as the building


def test_main_meter_is_noisy_at_15_min_and_smoother_hourly(with_main):
    main = with_main["december"].query("channel_id == @MAIN").set_index("timestamp")["power_kw"]
    business = dates.business_hours_mask(main.index, tz=TZ)
    steps = main.diff()[business & np.roll(business, 1)] / np.sqrt(2)
    rel_15 = steps.std() / main[business].mean()
    hourly = main.resample("1h").mean()
    hb = dates.business_hours_mask(hourly.index, tz=TZ)
    rel_h = (hourly.diff()[hb & np.roll(hb, 1)] / np.sqrt(2)).std() / hourly[hb].mean()
    assert 0.07 < rel_15 < 0.2
    assert rel_h < 0.7 * rel_15


def test_main_meter_peaks_in_warm_afternoons(with_main):
    peaks = {}
    for month, frame in with_main.items():
        main = frame.query("channel_id == @MAIN").set_index("timestamp")["power_kw"]
        local = main.tz_convert(TZ)
        weekday = local[local.index.day_of_week < 5]
        by_hour = weekday.groupby(weekday.index.hour).mean()
        peaks[month] = by_hour.loc[14:16].mean() / by_hour.loc[8:10].mean()
    assert peaks["july"] > 1.1  # cooling follows the afternoon temperature
    assert peaks["december"] < 1.05


def test_phenomena_off_change_nothing(sim):
    plain = sim(*WEEK, fields="all")
    off = sim(*WEEK, fields="all", phenomena=Phenomena())
    pd.testing.assert_frame_equal(plain.readings, off.readings, check_exact=True)
    pd.testing.assert_frame_equal(plain.labels, off.labels, check_exact=True)


def test_main_meter_id_must_not_repeat_a_sub_meter(sim):
    clash = MainMeter(channel=dataclasses.replace(WILSON_MAIN, channel_id=RTU1))
    with pytest.raises(ValueError, match="channel id of its own"):
        sim(*WEEK, phenomena=Phenomena(main_meter=clash))


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: DuskToDawn(RTU1, kw=0.0), "must be a finite number > 0"),
        (lambda: ShortCycling(RTU1, kw=1.0, period_min=2.0), "period_min"),
        (lambda: ShortCycling(RTU1, kw=1.0, duty=1.0), "duty"),
        (lambda: ShortCycling(RTU1, kw=1.0, when="nights"), "when"),
        (lambda: MainMeter(channel=WILSON_CHANNELS[0]), "role 'main'"),
        (lambda: MainMeter(block_on_open=1.5), "block_on_open"),
        (lambda: SimSite(latitude=95.0), "latitude"),
    ],
    ids=["dusk_kw", "period", "duty", "when", "main_role", "probability", "latitude"],
)
def test_phenomena_reject_bad_settings(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_closure_days_are_the_usual_us_closures():
    days = closure_days(2025, 2026)
    assert {dt.date(2025, 4, 18), dt.date(2026, 4, 3)} <= days  # Good Friday
    assert {dt.date(2025, 11, 28), dt.date(2026, 11, 27)} <= days  # the day after Thanksgiving
    assert {dt.date(2025, 12, d) for d in range(24, 32)} <= days  # Christmas week
    assert len(days) == 2 * (1 + 1 + 8)


def test_closed_days_close_the_building(sim, local_hour):
    site = SimSite(closed_days=closure_days(2026, 2026))
    week = ("2026-03-30", "2026-04-06")  # Good Friday 2026-04-03 is not a federal holiday
    opened = sim(*week, channels=[KITCHEN]).readings
    closed = sim(*week, channels=[KITCHEN], site=site)
    friday = (opened["timestamp"].dt.tz_convert(TZ).dt.day == 3).to_numpy()
    noon = local_hour(opened) == 12
    assert opened.loc[friday & noon, "power_kw"].mean() > 2 * closed.readings.loc[friday & noon, "power_kw"].mean()  # fmt: skip
    pd.testing.assert_frame_equal(
        opened[~friday].reset_index(drop=True),
        closed.readings[~friday].reset_index(drop=True),
        check_exact=True,
    )
    rows = closed.phenomena[closed.phenomena["kind"] == "closure"]
    assert rows["start"].tolist() == [pd.Timestamp("2026-04-03", tz=TZ)]
    assert rows["channel_id"].isna().all()


def test_federal_holidays_are_listed_as_closures(sim):
    thanksgiving = sim("2025-11-24", "2025-12-01", channels=[KITCHEN]).phenomena
    assert thanksgiving["start"].tolist() == [pd.Timestamp("2025-11-27", tz=TZ)]
