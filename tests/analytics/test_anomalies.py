"""Anomalies: schedule changes, unusual consumption, the isolation-forest alternative, and the
sustained excess on a noisy 15-min main meter (issue 9: +60-80 % for 4 h and +50-100 % for 2 h
were missed, the margin on a ~10 kW median being 9-16 kW)."""

from __future__ import annotations

import functools

import buildings
import numpy as np
import pandas as pd
import pytest
from simulated import (
    CASES,
    IDS,
    INJECTED_RTOL,
    KITCHEN_SMALL,
    REPORT_WEEK,
    RTU1,
    RTU2,
    SCHEDULE_RTOL,
    SITE,
    TZ,
    case,
    fault_label,
    simulate_week,
)

from argo_lib import dates
from argo_lib.analytics import analyse_site_week, anomalies
from argo_lib.sim import Fault
from argo_lib.thresholds import Thresholds, apply_overrides


@pytest.mark.parametrize(("week", "resolution_s"), CASES, ids=IDS)
def test_schedule_change_of_2_hours(week, resolution_s):
    sim, analysis = case(week, resolution_s)
    label = fault_label(sim, "schedule_change")
    events = analysis.anomalies[analysis.anomalies["channel_id"] == RTU1]
    assert events["kind"].tolist() == ["schedule_change"]
    event = events.iloc[0]
    assert event["days"] == 4
    assert event["hours"] == pytest.approx(8.0, rel=0.25)
    assert event["excess_kwh"] == pytest.approx(label["expected_kwh"], rel=SCHEDULE_RTOL)


def test_isolation_forest_alternative_runs():
    sim, _ = case("2025-W41", 3600)
    period = dates.report_week("2025-W41", tz=TZ)
    thresholds = apply_overrides(SITE.thresholds, {"anomalies.method": "isolation_forest"})
    analysis = analyse_site_week(sim.readings, site=SITE, period=period, thresholds=thresholds)
    after = analysis.anomalies[
        (analysis.anomalies["channel_id"] == KITCHEN_SMALL)
        & (analysis.anomalies["kind"] == "after_hours")
    ]
    assert len(after) == 1
    # the forest flags only part of the intervals (one reason it is not the default, see the
    # detection benchmark), but never more than was injected
    assert 10.0 < after.iloc[0]["excess_kwh"] <= 40.0 * (1 + INJECTED_RTOL)


# --- sustained excess on a noisy 15-min main meter (issue 9) ---

NOISY_SEEDS = range(20)
# one case: 8-16 readings of +-18 % noise on top of a hot afternoon's swing of up to 35 %; the
# excess of a 2-h case comes back within 0.75-1.5 of the injected energy (p10-p90 0.8-1.27)
NOISY_RTOL = 0.6


@functools.cache
def _noisy_case(seed: int, hours: float, low: float, high: float, window: bool = True):
    """Injected excess, its start and the analysis of one noisy main-meter week."""
    start = buildings.business_start(np.random.default_rng(seed + 1000), hours)
    clean = buildings.noisy_main(seed)
    faulty = buildings.noisy_main(
        seed, excess=buildings.excess(start, hours, low, high, seed=seed + 1)
    )
    thresholds = (
        None if window else apply_overrides(Thresholds(), {"anomalies.window_rel_floor": 10})
    )
    analysis = analyse_site_week(
        faulty, site=buildings.SITE, period=buildings.WEEK, thresholds=thresholds
    )
    return buildings.added_kwh(clean, faulty), start, analysis


def _found(seed: int, hours: float, low: float, high: float, window: bool = True):
    """The events overlapping the injected excess."""
    _, start, analysis = _noisy_case(seed, hours, low, high, window)
    events = analysis.anomalies
    end = start + pd.Timedelta(hours=hours)
    return events[(events["start"] < end) & (events["end"] > start)]


# hours, low and high share of the usual level, and how close the mean of 20 cases comes back
EXCESSES = [(4.0, 0.6, 0.8, INJECTED_RTOL), (2.0, 0.5, 0.5, 0.1), (2.0, 0.5, 1.0, 0.1)]
EXCESS_IDS = ["+60-80%-4h", "+50%-2h", "+50-100%-2h"]


@pytest.mark.parametrize(("hours", "low", "high", "mean_rtol"), EXCESSES, ids=EXCESS_IDS)
def test_sustained_excess_on_a_noisy_main_meter_is_found(hours, low, high, mean_rtol):
    found = [_found(seed, hours, low, high) for seed in NOISY_SEEDS]
    recall = np.mean([len(f) > 0 for f in found])
    assert recall >= 0.95
    ratios = []
    for seed, events in zip(NOISY_SEEDS, found, strict=True):
        if events.empty:
            continue
        injected, start, _ = _noisy_case(seed, hours, low, high)
        event = events.iloc[0]
        assert len(events) == 1
        assert event["kind"] == "unusual_consumption" and event["sustained"]
        assert abs(event["start"] - start) <= pd.Timedelta(minutes=30)  # spec D: 2 intervals
        assert hours - 0.5 <= event["hours"] <= hours + 1.5  # noise may carry it on a little
        assert event["excess_kwh"] == pytest.approx(injected, rel=NOISY_RTOL)
        ratios.append(event["excess_kwh"] / injected)
    assert np.mean(ratios) == pytest.approx(1.0, rel=mean_rtol)


@pytest.mark.parametrize(("hours", "low", "high", "mean_rtol"), EXCESSES, ids=EXCESS_IDS)
def test_without_the_window_check_the_noisy_excess_is_missed(hours, low, high, mean_rtol):
    # the situation of issue 9: the margin on a ~10 kW median is 5-16 kW; without the window
    # check the excess is found (in part) in at most 12 of the 20 weeks
    recall = np.mean([len(_found(s, hours, low, high, window=False)) > 0 for s in NOISY_SEEDS])
    assert recall <= 0.6


def test_clean_noisy_weeks_stay_quiet():
    false_alarms = [
        len(
            analyse_site_week(
                buildings.noisy_main(seed), site=buildings.SITE, period=buildings.WEEK
            ).anomalies
        )
        for seed in NOISY_SEEDS
    ]
    assert np.mean(false_alarms) <= 0.05  # issue 9: at most 0.05 per clean channel-week


def test_a_spike_on_the_plateau_stays_a_spike_and_the_plateau_an_event():
    # +45 % stays below the spike threshold (1.5 x P95), so the spike is 30 min, not 3 h
    start = pd.Timestamp("2025-10-08 10:00", tz=buildings.TZ)
    plateau = buildings.excess(start, 3.0, 0.45, 0.45)

    def spike(index, level):
        at = (index >= start + pd.Timedelta(hours=1)) & (index < start + pd.Timedelta(minutes=90))
        return plateau(index, level) + np.where(at, 25.0, 0.0)

    clean = buildings.noisy_main(3)
    faulty = buildings.noisy_main(3, excess=spike)
    analysis = analyse_site_week(faulty, site=buildings.SITE, period=buildings.WEEK)
    assert len(analysis.spikes) == 1
    assert analysis.spikes.iloc[0]["start"] == start + pd.Timedelta(hours=1)
    (event,) = analysis.anomalies.itertuples()
    assert event.start == start and event.hours == pytest.approx(3.0, abs=0.5)
    # the ledger counts the injected energy once, within the noise of 12 readings
    ledger = analysis.ledger
    span = (ledger["timestamp"] >= start) & (ledger["timestamp"] < start + pd.Timedelta(hours=3))
    assert ledger.loc[span, "counted_kwh"].sum() == pytest.approx(
        buildings.added_kwh(clean, faulty), rel=NOISY_RTOL
    )


def test_window_means_skip_missing_readings():
    values = np.array([[1.0, 2.0], [3.0, np.nan], [np.nan, np.nan], [5.0, 4.0]])
    means, counts = anomalies.window_means(values, width=2)
    np.testing.assert_allclose(means[:3, 0], [2.0, 3.0, 5.0])
    np.testing.assert_allclose(means[:3, 1], [2.0, np.nan, 4.0])
    assert counts[:, 1].tolist() == [1, 0, 1, 0]
    assert np.isnan(means[3]).all()  # no full window starts at the last row


def test_two_hourly_readings_of_excess_stay_a_spike():
    # at hourly resolution a 2-h excursion is the spike detector's (spikes last up to 2 h)
    fault = Fault(
        RTU2,
        "spike",
        pd.Timestamp("2025-10-08 13:00", tz=TZ),
        pd.Timestamp("2025-10-08 15:00", tz=TZ),
        size=1.0,
    )
    sim = simulate_week(3600, faults=[fault])
    analysis = analyse_site_week(sim.readings, site=SITE, period=REPORT_WEEK)
    assert analysis.spikes["channel_id"].tolist() == [RTU2]
    assert RTU2 not in set(analysis.anomalies["channel_id"])


def _nights(size_kw: float, start: str, end: str):
    """``size_kw`` on top of the noisy main meter on the after-hours intervals of a span."""
    a, b = pd.Timestamp(start, tz=buildings.TZ), pd.Timestamp(end, tz=buildings.TZ)

    def add(index: pd.DatetimeIndex, level: np.ndarray) -> np.ndarray:
        hour = index.hour + index.minute / 60.0
        closed = (index.day_of_week >= 5) | (hour < 7) | (hour >= 18)
        return np.where((index >= a) & (index < b) & closed, size_kw, 0.0)

    return add


def _noisy_night_events(thresholds=None):
    readings = buildings.noisy_main(3, excess=_nights(1.5, "2025-10-07 19:00", "2025-10-10 06:00"))
    analysis = analyse_site_week(
        readings,
        site=buildings.SITE,
        period=buildings.WEEK,
        baseline=buildings.BASE,
        thresholds=thresholds,
    )
    return analysis.anomalies[analysis.anomalies["kind"] == "after_hours"]


def test_equipment_left_on_overnight_on_a_noisy_main_meter_is_found():
    # +1.5 kW on a ~4 kW night that scatters by 18 % a reading, from Tue 19:00 to Fri 06:00
    # (35 h after hours): the interval margins miss it, 3-h window means of the night do not
    events = _noisy_night_events()
    assert len(events) == 1
    event = events.iloc[0]
    start = pd.Timestamp("2025-10-07 19:00", tz=buildings.TZ)
    assert abs(event["start"] - start) <= pd.Timedelta(hours=1)
    assert event["days"] == 3
    assert event["excess_kwh"] == pytest.approx(1.5 * 35, rel=0.15)


def test_without_the_night_window_check_the_noisy_night_excess_is_missed():
    off = apply_overrides(Thresholds(), {"anomalies.after_hours_window_sigmas": 1e9})
    assert len(_noisy_night_events(off)) == 0


def test_a_dusk_to_dawn_load_whose_edges_moved_is_no_anomaly():
    # the load on 45 min earlier at dusk, off 30 min later at dawn than in every baseline week
    def moved(index: pd.DatetimeIndex) -> np.ndarray:
        hour = index.hour + index.minute / 60.0
        in_week = np.asarray(buildings.WEEK.contains(index.tz_convert("UTC")))
        edges = ((hour >= 18.25) & (hour < 19.0)) | ((hour >= 6.0) & (hour < 6.5))
        return np.where(in_week & edges, 2.1, 0.0)

    def events(thresholds=None):
        analysis = analyse_site_week(
            buildings.night_building(900, extra=moved),
            site=buildings.SITE,
            period=buildings.WEEK,
            baseline=buildings.BASE,
            thresholds=thresholds,
        )
        return analysis.anomalies

    assert len(events()) == 0
    same_slots = apply_overrides(Thresholds(), {"anomalies.after_hours_edge_hours": 0.0})
    assert len(events(same_slots)) > 0  # against the same slots alone they were found


# --- the same at hourly resolution: a 2-h excess is two readings, as short as a spike ---


def _hourly(readings: pd.DataFrame) -> pd.DataFrame:
    """The noisy 15-min main meter as an hourly meter reads it (energy summed per hour)."""
    energy = readings.set_index("timestamp")["energy_kwh"].resample("1h").sum()
    return buildings.readings(energy.index, energy.to_numpy())


def _hourly_excess(seed: int, start: pd.Timestamp, low: float, high: float) -> pd.DataFrame:
    excess = buildings.excess(start, 2.0, low, high, seed=seed + 1)
    return _hourly(buildings.noisy_main(seed, excess=excess))


@functools.cache
def _hourly_case(seed: int, low: float, high: float):
    """Injected energy, start and analysis of a 2-h excess on a noisy hourly main meter."""
    rng = np.random.default_rng(seed + 2000)
    start = buildings.WEEK.start + pd.Timedelta(
        days=int(rng.integers(0, 5)), hours=int(rng.integers(7, 16))
    )
    clean = _hourly(buildings.noisy_main(seed))
    faulty = _hourly_excess(seed, start, low, high)
    analysis = analyse_site_week(faulty, site=buildings.SITE, period=buildings.WEEK)
    return buildings.added_kwh(clean, faulty), start, analysis


def _overlapping(frame: pd.DataFrame, start: pd.Timestamp, hours: float) -> pd.DataFrame:
    end = start + pd.Timedelta(hours=hours)
    return frame[(frame["start"] < end) & (frame["end"] > start)]


def test_a_2_hour_excess_on_a_noisy_hourly_main_meter_is_an_excess_not_a_spike():
    # issue 9 at hourly resolution: +50-100 % for 2 h was reported as a 2-h demand spike (or
    # not at all) in 29 % of the benchmark's weeks
    found, ratios = 0, []
    for seed in NOISY_SEEDS:
        injected, start, analysis = _hourly_case(seed, 0.5, 1.0)
        events = _overlapping(analysis.anomalies, start, 2.0)
        assert _overlapping(analysis.spikes, start, 2.0).empty
        if events.empty:
            continue
        found += 1
        (event,) = events.itertuples()
        assert event.kind == "unusual_consumption" and event.sustained
        assert abs(event.start - start) <= pd.Timedelta(hours=1)  # noise may start it early
        assert event.hours == pytest.approx(2.0, abs=1.0)
        ratios.append(event.excess_kwh / injected)
    assert found / len(NOISY_SEEDS) >= 0.95
    # two hourly readings with 9 % noise each: each case within 0.6, the mean within 10 %
    assert np.all(np.abs(np.array(ratios) - 1.0) <= NOISY_RTOL)
    assert np.mean(ratios) == pytest.approx(1.0, rel=0.1)


def test_a_2_hour_excursion_of_plus_200_percent_on_an_hourly_main_meter_stays_a_spike():
    # taller than window_short_max_rel (+120 %): a demand spike, not a sustained excess
    _, start, analysis = _hourly_case(3, 2.0, 2.0)
    assert len(_overlapping(analysis.spikes, start, 2.0)) == 1
    assert _overlapping(analysis.anomalies, start, 2.0).empty


def test_without_the_hourly_rule_the_2_hour_excess_becomes_a_spike():
    # with the rise limit at 0 a 2-h stretch of two hourly readings is a spike's again (the
    # situation before): weeks whose noise does not stretch it over a third reading report it
    # as a demand spike
    thresholds = apply_overrides(Thresholds(), {"anomalies.window_short_max_rel": 0.0})
    as_spike = 0
    for seed in NOISY_SEEDS:
        _, start, _ = _hourly_case(seed, 0.5, 1.0)
        analysis = analyse_site_week(
            _hourly_excess(seed, start, 0.5, 1.0),
            site=buildings.SITE,
            period=buildings.WEEK,
            thresholds=thresholds,
        )
        as_spike += not _overlapping(analysis.spikes, start, 2.0).empty
    assert as_spike >= 5


def test_clean_noisy_hourly_weeks_stay_quiet():
    false_alarms = [
        len(
            analyse_site_week(
                _hourly(buildings.noisy_main(seed)),
                site=buildings.SITE,
                period=buildings.WEEK,
            ).anomalies
        )
        for seed in NOISY_SEEDS
    ]
    assert np.mean(false_alarms) <= 0.05


def test_one_hourly_reading_above_the_margin_is_not_an_event():
    # a single reading is as short as a spike (min_intervals = 2); with 1 it would be an event
    start = pd.Timestamp("2025-10-08 10:00", tz=buildings.TZ)
    hour = _hourly(buildings.noisy_main(4, excess=buildings.excess(start, 1.0, 0.7, 0.7)))
    one = apply_overrides(Thresholds(), {"anomalies.min_intervals": 1})
    before = analyse_site_week(hour, site=buildings.SITE, period=buildings.WEEK, thresholds=one)
    assert len(_overlapping(before.anomalies, start, 1.0)) == 1
    analysis = analyse_site_week(hour, site=buildings.SITE, period=buildings.WEEK)
    assert _overlapping(analysis.anomalies, start, 1.0).empty


def test_one_hourly_reading_after_hours_is_not_an_event_either():
    # the noisy hourly main meter, one reading +150 % at 20:00: noise or a spike, not operation
    start = pd.Timestamp("2025-10-08 20:00", tz=buildings.TZ)
    hour = _hourly(buildings.noisy_main(4, excess=buildings.excess(start, 1.0, 1.5, 1.5)))
    one = apply_overrides(Thresholds(), {"anomalies.min_intervals": 1})
    before = analyse_site_week(hour, site=buildings.SITE, period=buildings.WEEK, thresholds=one)
    assert before.anomalies.loc[
        _overlapping(before.anomalies, start, 1.0).index, "kind"
    ].tolist() == ["after_hours"]
    analysis = analyse_site_week(hour, site=buildings.SITE, period=buildings.WEEK)
    assert _overlapping(analysis.anomalies, start, 1.0).empty


def test_an_hour_the_baseline_weeks_disagree_on_adds_nothing_to_a_night_window(dq, monkeypatch):
    # Veterans Day (Tue 11 Nov 2025) in the detection benchmark's realistic site: its evening
    # is compared with the Sunday slots, where the dusk-to-dawn load (4.8 kW) came on before
    # 17:00 in the baseline weeks after the clock change and after 18:00 in those before it.
    # The 17:00 hour's median lies between "on" and "off", and the night windows summed the
    # difference into 5.3 kWh of after-hours "excess" on an evening like the others
    case = next(
        c
        for c in dq.realistic_weeks(90, seed=7)
        if (c.week, c.resolution_s, c.faulty, c.baseline_faults) == ("2025-W46", 900, True, False)
    )
    simulated = dq.simulate_case(case)
    dusk = simulated.setup.dusk_channel
    day = pd.Timestamp("2025-11-11", tz=dq.SITE.timezone)
    holiday = (day, day + pd.Timedelta(days=1))

    def holiday_events():
        events = analyse_site_week(
            simulated.sim.readings,
            site=simulated.site,
            period=simulated.period,
            baseline=simulated.baseline,
            thresholds=simulated.site.thresholds,
            temperature=simulated.sim.temperature,
        ).anomalies
        on = (
            (events["channel_id"] == dusk)
            & (events["start"] < holiday[1])
            & (events["end"] > holiday[0])
        )
        return events[on]

    assert holiday_events().empty
    monkeypatch.setattr(anomalies, "_VARIABLE_SLOT_MARGINS", np.inf)
    found = holiday_events()
    assert (found["kind"] == "after_hours").all() and found["excess_kwh"].sum() > 3.0
