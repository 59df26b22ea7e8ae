"""Closed days found in the load (argo_lib.analytics.closures) and what the week does with them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import numpy as np
import pandas as pd
import pytest
from simulated import RTU1, SITE, TZ

from argo_lib import dates
from argo_lib.analytics import analyse_site_week, closures, grid
from argo_lib.sim import simulate_readings
from argo_lib.sim.phenomena import Phenomena, ShortCycling, closure_days
from argo_lib.sim.site import SimSite
from argo_lib.thresholds import BaselineThresholds, Thresholds

# 2025-W52 holds Christmas (a federal holiday, Thu 25) and the closures Wed 24 and Fri 26;
# 2026-W01 the closures Mon 29 to Wed 31 and New Year's Day (a holiday)
CHRISTMAS = dates.report_week("2026-W01", tz=TZ)
CLOSED_2025 = closure_days(2025, 2025)
EXPECTED = tuple(
    dt.date(2025, 12, d) for d in (24, 26, 29, 30, 31)
)  # weekdays the calendar has open


def _d(*days: int) -> tuple[dt.date, ...]:
    return tuple(dt.date(2025, 12, d) for d in days)


@functools.lru_cache(maxsize=2)
def _christmas(share: float = 0.3):
    baseline = dates.baseline_period(CHRISTMAS)
    sim = simulate_readings(
        start=baseline.start,
        end=CHRISTMAS.end,
        resolution_s=900,
        seed=5,
        site=SimSite(closed_days=CLOSED_2025),
        # a rooftop unit that cycles all day whenever the building is closed
        phenomena=Phenomena(short_cycling=(ShortCycling(RTU1, kw=3.0, period_min=40.0),)),
    )
    thresholds = Thresholds(baseline=BaselineThresholds(closed_day_share=share))
    return analyse_site_week(
        sim.readings, site=SITE, period=CHRISTMAS, baseline=baseline, thresholds=thresholds
    )


def test_christmas_closures_are_found_in_the_load():
    analysis = _christmas()
    # the baseline's Christmas Eve and Boxing Day and the report week's three closures, not
    # Christmas Day or New Year's Day (public holidays already) nor any open weekday
    assert analysis.closed_days == EXPECTED
    assert dt.date(2025, 12, 25) in analysis.holidays
    assert dt.date(2025, 12, 25) not in analysis.closed_days


def test_closed_days_are_not_after_hours_waste():
    found = _christmas(0.3)
    blind = _christmas(0.0)  # the calendar alone: the closures are open days
    assert blind.closed_days == ()
    # analysed as open days, the closures' all-day cycling is new after-hours operation and an
    # anomaly against the open weekdays: money on a building that did nothing new
    assert blind.summary.weekly_kwh > 50.0
    assert set(blind.anomalies["kind"]) == {"after_hours"}
    assert "after_hours_operation" in set(blind.quick_wins["type"])
    # analysed as closed days, the week is like the baseline's closed days: nothing to save;
    # the cycling stays what it is, a closed-day load to investigate (as in every week)
    assert found.summary.weekly_kwh == pytest.approx(0.0, abs=1.0)
    assert found.anomalies.empty
    assert found.quick_wins["type"].tolist() == ["night_base_load"]


def _hourly_grid(kw: np.ndarray, idx: pd.DatetimeIndex) -> grid.Grid:
    frame = pd.DataFrame(
        {
            "channel_id": 1,
            "timestamp": idx.tz_convert("UTC"),
            "energy_kwh": kw,
            "power_kw": kw,
            "resolution_s": 3600,
        }
    )
    table = pd.DataFrame({"channel_id": [1], "resolution_s": [3600]})
    span = dates.Period(idx[0], idx[-1] + pd.Timedelta(hours=1))
    return grid.build_grids(frame, table, period=span, tz=TZ)[3600]


IDX = pd.date_range("2025-11-03", "2025-12-08", freq="h", tz=TZ, inclusive="left")
LOCAL = IDX.tz_localize(None)
OPEN = (LOCAL.hour >= 7) & (LOCAL.hour < 18) & (LOCAL.day_of_week < 5)
SPLIT = pd.Timestamp("2025-12-01", tz=TZ)  # four baseline weeks, then the report week


def _judge(kw: np.ndarray, **kwargs) -> tuple[dt.date, ...]:
    g = _hourly_grid(kw, IDX)
    base, week = g.slice(dates.Period(IDX[0], SPLIT)), g.slice(dates.Period(SPLIT, IDX[-1]))
    t = BaselineThresholds(**kwargs)
    return closures.infer_closed_days([base], [week], main_ids=(), thresholds=t)


def _day(date: str) -> np.ndarray:
    return LOCAL.normalize() == pd.Timestamp(date)


def test_a_zero_filled_outage_is_not_a_closure():
    kw = np.where(OPEN, 50.0, 10.0)
    kw[_day("2025-12-03")] = 0.0  # the gateway reported zeros all Wednesday
    kw[_day("2025-12-04") & OPEN] = 11.0  # Thursday the building was shut
    assert _judge(kw) == (dt.date(2025, 12, 4),)


def test_a_day_with_few_readings_is_not_judged():
    kw = np.where(OPEN, 50.0, 10.0)
    day = _day("2025-12-02") & OPEN
    kw[day] = 10.0
    hours = np.flatnonzero(day)
    kw[hours[: hours.size // 2 + 1]] = np.nan  # fewer than half its opening hours read
    assert _judge(kw) == ()


@pytest.mark.parametrize(
    ("level_kw", "closed"),
    [(10.0, True), (21.0, True), (22.5, False), (40.0, False)],
    ids=["closed-level", "just-inside", "just-outside", "quiet-open-day"],
)
def test_share_of_the_way_decides(level_kw, closed):
    # open 50 kW, closed 10 kW: the limit is 10 + 0.3 x 40 = 22 kW
    kw = np.where(OPEN, 50.0, 10.0)
    kw[_day("2025-12-05") & OPEN] = level_kw
    assert _judge(kw) == ((dt.date(2025, 12, 5),) if closed else ())


def test_baseline_closures_are_found_too():
    kw = np.where(OPEN, 50.0, 10.0)
    kw[_day("2025-11-28") & OPEN] = 10.0  # the day after Thanksgiving, in the baseline
    assert _judge(kw) == (dt.date(2025, 11, 28),)


def test_turned_off_with_share_zero():
    kw = np.where(OPEN, 50.0, 10.0)
    kw[_day("2025-12-05") & OPEN] = 10.0
    assert _judge(kw, closed_day_share=0.0) == ()


def test_a_site_without_contrast_is_never_judged():
    # a building that runs around the clock: its open and closed days differ by 6 %
    kw = np.where(OPEN, 50.0, 47.0)
    kw[_day("2025-12-05") & OPEN] = 47.0
    assert _judge(kw) == ()
    assert _judge(kw, closed_day_min_contrast=0.05) == (dt.date(2025, 12, 5),)


def test_open_days_that_vary_as_much_as_the_contrast_are_not_judged():
    # open days scattered between 30 and 50 kW: a 20 kW day is no clear closure
    rng = np.random.default_rng(1)
    kw = np.where(OPEN, 10.0, 10.0)
    for day in pd.date_range("2025-11-03", "2025-12-07", freq="D"):
        rows = _day(day.strftime("%Y-%m-%d")) & OPEN
        kw[rows] = rng.uniform(18.0, 50.0)
    kw[_day("2025-12-05") & OPEN] = 12.0
    assert _judge(kw) == ()
    kw = np.where(OPEN, 50.0, 10.0)  # the same closure among steady open days
    kw[_day("2025-12-05") & OPEN] = 12.0
    assert _judge(kw) == (dt.date(2025, 12, 5),)


def test_main_meters_decide_where_the_site_has_them():
    idx, local = IDX, LOCAL
    main = np.where(OPEN, 50.0, 10.0)
    sub = np.where(OPEN, 5.0, 5.0)
    friday = (local.normalize() == pd.Timestamp("2025-12-05")) & OPEN
    main[friday] = 10.0
    sub[friday] = 5.0
    frame = pd.concat(
        pd.DataFrame(
            {"channel_id": cid, "timestamp": idx.tz_convert("UTC"), "energy_kwh": kw}
            | {"power_kw": kw, "resolution_s": 3600}
        )
        for cid, kw in ((1, main), (2, sub))
    )
    table = pd.DataFrame({"channel_id": [1, 2], "resolution_s": [3600, 3600]})
    g = grid.build_grids(
        frame, table, period=dates.Period(idx[0], idx[-1] + pd.Timedelta(hours=1)), tz=TZ
    )[3600]
    base, week = g.slice(dates.Period(idx[0], SPLIT)), g.slice(dates.Period(SPLIT, idx[-1]))
    t = BaselineThresholds()
    # the flat sub-meter alone would say nothing (no contrast); the main meter says closed
    assert closures.infer_closed_days([base], [week], main_ids=(2,), thresholds=t) == ()
    assert closures.infer_closed_days([base], [week], main_ids=(1,), thresholds=t) == (
        dt.date(2025, 12, 5),
    )


def test_with_holidays_relabels_the_calendar_only():
    kw = np.where(OPEN, 50.0, 10.0)
    g = _hourly_grid(kw, IDX)
    friday = dt.date(2025, 12, 5)
    relabelled = closures.with_holidays(g, [friday], tz=TZ, opening_hours=None)
    rows = _day("2025-12-05")
    assert g.business[rows].any() and not relabelled.business[rows].any()
    assert (g.day_type[rows] == 0).all() and (relabelled.day_type[rows] != 0).all()
    assert np.array_equal(relabelled.business[~rows], g.business[~rows])
    assert relabelled.load_kw is g.load_kw  # readings untouched, shared


@pytest.mark.parametrize(("share", "ok"), [(0.0, True), (0.99, True), (1.0, False), (-0.1, False)])
def test_share_is_validated(share, ok):
    if ok:
        assert BaselineThresholds(closed_day_share=share).closed_day_share == share
    else:
        with pytest.raises(ValueError, match="closed_day_share"):
            BaselineThresholds(closed_day_share=share)
    with pytest.raises(ValueError, match="closed_day_share"):
        BaselineThresholds(closed_day_share=float("nan"))


def test_site_week_analysis_default_has_no_closed_days():
    field = {f.name: f for f in dataclasses.fields(type(_christmas()))}["closed_days"]
    assert field.default == ()


def test_the_brief_names_the_days_it_treated_as_closed():
    from argo_lib import brief
    from argo_lib.render import views

    doc = brief.build_brief(_christmas(), generated_at=pd.Timestamp("2026-01-05T08:00:00Z"))
    brief.validate_brief(doc)
    meta = doc["metadata"]
    assert meta["closedDays"] == [d.isoformat() for d in EXPECTED]
    assert meta["holidays"] == ["2025-12-25", "2026-01-01"]
    footer = str(views.parameters_table(doc))
    assert "Closed by the load (analysed as closed)" in footer
    assert "Mon 29 Dec 2025, Tue 30 Dec 2025, Wed 31 Dec 2025" in footer
    assert "Public holidays (analysed as closed)</th>" in footer


def test_the_heat_map_labels_closed_days():
    import matplotlib

    matplotlib.use("Agg")
    from argo_lib.render.plots import site

    fig = site.plot_week_heatmap(_christmas())
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [
        "Mon 29 (closed)",
        "Tue 30 (closed)",
        "Wed 31 (closed)",
        "Thu 1 (hol.)",
        "Fri 2",
        "Sat 3",
        "Sun 4",
    ]
