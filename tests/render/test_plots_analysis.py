"""Charts of the site deep-dive: what each chart draws is the frame it was given.

The frames are synthetic, with the columns the analytics produce
(:mod:`argo_lib.analytics.site_analysis`, :mod:`argo_lib.analytics.normalised`): a site with
lower weekends, a spring-forward day, days without data and a partial first month. Pixels are
not compared; the data behind the artists are (house style: assert numbers, not images).
"""

from __future__ import annotations

import datetime as dt
import struct

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import pytest

from argo_lib.render import theme
from argo_lib.render.plots import ChartFigure, figure_to_png
from argo_lib.render.plots import analysis as charts

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
FIRST = dt.date(2026, 2, 16)  # a Monday; the spring-forward Sunday 8 Mar is in the period
DAY_TYPES = {5: "saturday", 6: "sunday"}
HOLIDAY = dt.date(2026, 2, 16)  # Presidents' Day


def _days(first: dt.date, n: int) -> list[dt.date]:
    return [first + dt.timedelta(days=i) for i in range(n)]


def _heatmap(first: dt.date = FIRST, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    days = _days(first, n)
    hours = np.arange(24)
    rows = []
    for d in days:  # one row per day
        open_ = d.weekday() < 5 and d != HOLIDAY
        rows.append(20.0 + (50.0 if open_ else 5.0) * ((hours >= 7) & (hours < 19)))
    values = np.asarray(rows) + rng.normal(0.0, 1.0, (n, 24))
    frame = pd.DataFrame(
        values, index=pd.Index(days, name="date"), columns=pd.Index(range(24), name="hour")
    )
    if n > 30:
        frame.loc[dt.date(2026, 3, 8), 2] = np.nan  # 02:00 does not exist on the DST day
        frame.loc[days[10]] = np.nan  # a day without data
        frame.loc[days[20], 8:12] = np.nan
    return frame


def _daily(first: dt.date = FIRST, n: int = 60) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    rows = []
    for d in _days(first, n):  # one row per day
        kind = "holiday" if d == HOLIDAY else DAY_TYPES.get(d.weekday(), "weekday")
        working = kind == "weekday"
        base = 20.0 + rng.normal(0, 0.5)
        peak = (70.0 if working else 26.0) + rng.normal(0, 2)
        rows.append(
            {
                "date": d,
                "day_type": kind,
                "energy_kwh": base * 24 + (peak - base) * 11,
                "base_kw": base,
                "peak_kw": peak,
                "peak_to_base": peak / base,
                "load_factor": 0.6,
                "high_load_hours": 11.5 if working else 0.0,
                "rise_hour": 6.75 if working else np.nan,
                "fall_hour": 18.5 if working else np.nan,
                "coverage": 1.0,
            }
        )
    frame = pd.DataFrame(rows)
    frame.loc[3, "coverage"] = 0.5  # a Thursday with half its data
    return frame


def _profiles() -> pd.DataFrame:
    hours = np.arange(24)
    rows = []
    for kind, level in (("weekday", 50.0), ("weekend", 6.0)):
        median = 20.0 + level * ((hours >= 7) & (hours < 19))
        rows.append(
            pd.DataFrame(
                {
                    "day_kind": kind,
                    "hour": hours,
                    "median_kw": median,
                    "p25_kw": median - 3.0,
                    "p75_kw": median + 4.0,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


def _day_of_week() -> pd.DataFrame:
    mean = np.array([1100.0, 1150.0, 1160.0, 1130.0, 1090.0, 560.0, 540.0])
    return pd.DataFrame(
        {
            "weekday": np.arange(7),
            "name": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            "mean_kwh": mean,
            "min_kwh": mean - 150.0,
            "max_kwh": mean + 120.0,
            "days": [12, 13, 13, 13, 13, 13, 12],
        }
    )


def _months(n: int = 13) -> pd.DataFrame:
    months = pd.period_range("2025-10", periods=n, freq="M")
    in_period = np.array([m.days_in_month for m in months])
    in_period[0] = 17  # the period starts on 15 Oct
    days = in_period.copy()
    if n > 4:
        days[4] = 24  # February: four days without complete data
    per_day = 800.0 + 300.0 * np.sin(np.arange(n) / 2.0)
    return pd.DataFrame(
        {
            "month": [str(m) for m in months],
            "days": days,
            "days_in_period": in_period,
            "energy_kwh": per_day * in_period,
            "kwh_per_day": per_day,
            "cost": per_day * in_period * 0.12,
            "peak_kw": 90.0,
        }
    )


def _channels() -> pd.DataFrame:
    energy = np.array([61000.0, 92000.0, 8300.0, 74000.0])
    return pd.DataFrame(
        {
            "channel_id": [162119, 162121, 162319, 162285],
            "channel_name": [
                "RTU-2_WCDS_Wilson Ctr",
                "AHU-2_WCDS_Wilson Ctr",
                "CDKH_Kitchen Panel(small)_WCDS_Wilson Ctr",
                "CDPK_Kitchen Main Panel(s)_WCDS_Wilson Ctr",
            ],
            "energy_kwh": energy,
            "share": energy / energy.sum(),
            "cost": energy * 0.12,
        }
    )


def _normalised(reporting_first: dt.date, n_base: int = 60, n_rep: int = 45) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    rows = []
    for period, first, n in (
        ("baseline", dt.date(2025, 9, 1), n_base),
        ("reporting", reporting_first, n_rep),
    ):
        for d in _days(first, n):  # one row per day
            expected = 900.0 if d.weekday() < 5 else 520.0
            saving = 60.0 if period == "reporting" else 0.0
            rows.append(
                {
                    "date": d,
                    "period": period,
                    "actual_kwh": expected - saving + rng.normal(0, 30),
                    "expected_kwh": expected,
                    "hours": 24.0,
                    "temperature_c": np.nan,
                }
            )
    frame = pd.DataFrame(rows)
    frame.loc[frame.index[-5], "actual_kwh"] = np.nan  # a reporting day without data
    return frame


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def _texts(fig) -> str:
    parts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return " ".join(" ".join(parts).split())


def _legend_labels(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def _hex(color) -> str:
    return matplotlib.colors.to_hex(color, keep_alpha=False)


# --------------------------------------------------------------------------------------------
# 1. Heat map


def test_heatmap_cells_are_the_frame_with_missing_days_filled_in():
    frame = _heatmap()
    gap = frame.drop(index=[FIRST + dt.timedelta(days=30)])  # a day absent from the index
    fig = charts.plot_heatmap(gap, title_suffix="Wilson Center")
    ax = fig.axes[0]
    (image,) = _by_gid(ax, "heatmap")
    cells = image.get_array()
    assert cells.shape == (60, 24)
    expected = frame.to_numpy(dtype=float, copy=True)
    expected[30] = np.nan
    np.testing.assert_array_equal(np.ma.getmaskarray(cells), np.isnan(expected))
    np.testing.assert_allclose(cells.compressed(), expected[np.isfinite(expected)])
    # dates down: the first date on top, one row per day
    left, right, bottom, top = image.get_extent()
    assert (left, right) == (0.0, 24.0)
    assert mdates.num2date(top).date() == FIRST
    assert bottom - top == 60
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "00:00",
        "06:00",
        "12:00",
        "18:00",
        "24:00",
    ]
    assert fig.axes[1].get_ylabel() == "Site power [kW]"
    assert ax.get_title(loc="left") == "Site power by date and local hour [kW] · Wilson Center"
    assert "No data" in _legend_labels(fig)
    assert "Hatched grey: no data." in _texts(fig)
    assert ax.patch.get_hatch() == "////"  # masked cells show the hatched background


def test_heatmap_of_a_year_labels_months_not_days():
    frame = _heatmap(dt.date(2025, 10, 15), 365)
    ax = charts.plot_heatmap(frame).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "Nov 2025"
    assert "Jan 2026" in labels and "Jun" in labels
    assert 6 <= len(labels) <= 13
    ticks = [mdates.num2date(t).date() for t in ax.get_yticks()]
    assert all(d.day == 1 for d in ticks)


def test_heatmap_of_a_few_weeks_labels_days():
    ax = charts.plot_heatmap(_heatmap(n=21)).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "16 Feb 2026"
    assert all(len(label.split()) in (2, 3) for label in labels)


def test_heatmap_of_a_week_names_each_row():
    ax = charts.plot_heatmap(_heatmap(n=7)).axes[0]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == [
        "Mon 16 Feb 2026",
        "Tue 17 Feb",
        "Wed 18 Feb",
        "Thu 19 Feb",
        "Fri 20 Feb",
        "Sat 21 Feb",
        "Sun 22 Feb",
    ]
    ticks = ax.get_yticks()
    first = mdates.date2num(np.datetime64(FIRST))
    np.testing.assert_allclose(ticks, first + np.arange(7) + 0.5)  # in the middle of each row


# --------------------------------------------------------------------------------------------
# 2. Load shape trend


def test_load_shape_trend_draws_each_days_peak_base_and_window():
    daily = _daily()
    fig = charts.plot_load_shape_trend(daily)
    top, bottom = fig.axes[:2]
    x = mdates.date2num(pd.to_datetime(daily["date"]).to_numpy())
    working = (daily["day_type"] == "weekday").to_numpy()
    low = (daily["coverage"] < charts.MIN_COVERAGE).to_numpy()
    (peak,) = _by_gid(top, "peak-weekday")
    np.testing.assert_allclose(peak.get_xdata(), x[working & ~low])
    np.testing.assert_allclose(peak.get_ydata(), daily["peak_kw"][working & ~low])
    assert _hex(peak.get_markerfacecolor()) == charts.WEEKDAY_COLOR
    (base_off,) = _by_gid(top, "base-off")
    np.testing.assert_allclose(base_off.get_ydata(), daily["base_kw"][~working])
    assert _hex(base_off.get_markerfacecolor()) == charts.OFF_DAY_COLOR
    (hollow,) = _by_gid(top, "peak-weekday-low-coverage")  # the half-covered Thursday
    np.testing.assert_allclose(hollow.get_ydata(), daily["peak_kw"][low])
    assert hollow.get_markerfacecolor() == "white"
    (median,) = _by_gid(top, "peak-median")
    assert len(median.get_xdata()) == 60  # every calendar day
    assert top.get_ylabel() == "Power [kW]"
    # the operating window: one bar per working day from rise to fall
    bars = [p for p in bottom.patches if p.get_gid() == "window"]
    assert len(bars) == working.sum()
    np.testing.assert_allclose([b.get_y() for b in bars], 6.75)
    np.testing.assert_allclose([b.get_height() for b in bars], 18.5 - 6.75)
    faded = [b for b in bars if b.get_facecolor()[3] < 0.5]
    assert len(faded) == 1
    assert bottom.get_ylim() == (0.0, 24.0)
    assert "1 day under 90% data coverage" in _texts(fig)
    assert any("Coverage < 90%" in label for label in _legend_labels(fig))


def test_load_shape_trend_draws_non_working_windows_apart():
    daily = _daily()
    weekend = daily["day_type"].isin(["saturday", "sunday"])
    daily.loc[weekend, ["rise_hour", "fall_hour"]] = [9.0, 14.0]
    fig = charts.plot_load_shape_trend(daily)
    bottom = fig.axes[1]
    off = [p for p in bottom.patches if p.get_gid() == "window-off"]
    work = [p for p in bottom.patches if p.get_gid() == "window"]
    assert len(off) == weekend.sum()
    np.testing.assert_allclose([p.get_height() for p in off], 5.0)
    assert off[0].get_width() < work[0].get_width()
    assert _hex(off[0].get_facecolor()) == charts.OFF_DAY_COLOR


def test_load_shape_trend_median_follows_working_days():
    daily = _daily()
    fig = charts.plot_load_shape_trend(daily)
    (median,) = _by_gid(fig.axes[0], "peak-median")
    y = np.asarray(median.get_ydata(), dtype=float)
    working = daily[(daily["day_type"] == "weekday") & (daily["coverage"] >= 0.9)]["peak_kw"]
    # a weekend or a holiday never pulls the peak median down to weekend levels
    assert np.nanmin(y) > working.min() - 1e-9


def test_load_shape_trend_over_a_year_has_month_ticks():
    daily = _daily(dt.date(2025, 10, 15), 365)
    fig = charts.plot_load_shape_trend(daily)
    labels = [t.get_text() for t in fig.axes[1].get_xticklabels()]
    assert labels[0] == "Nov\n2025"
    assert "Jan\n2026" in labels
    assert len(labels) <= 13


# --------------------------------------------------------------------------------------------
# 3. Week profiles


def test_week_profiles_are_the_medians_with_their_bands():
    profiles = _profiles()
    fig = charts.plot_week_profiles(profiles)
    (ax,) = fig.axes
    for kind, color in (("weekday", theme.BRAND), ("weekend", theme.ACCENT)):
        part = profiles[profiles["day_kind"] == kind]
        (line,) = _by_gid(ax, f"{kind}-median")
        np.testing.assert_allclose(line.get_xdata(), np.arange(24))
        np.testing.assert_allclose(line.get_ydata(), part["median_kw"])
        assert _hex(line.get_color()) == color
        (band,) = _by_gid(ax, f"{kind}-band")
        ys = band.get_paths()[0].vertices[:, 1]
        assert np.isin(part["p25_kw"], ys).all() and np.isin(part["p75_kw"], ys).all()
    assert ax.get_ylabel() == "Site power [kW]"
    assert ax.get_xlabel() == "Hour of day (site-local time)"
    assert "Weekday P25–P75" in _legend_labels(fig)


# --------------------------------------------------------------------------------------------
# 4. Day of week


def test_day_of_week_bars_whiskers_and_counts():
    table = _day_of_week()
    fig = charts.plot_day_of_week(table)
    (ax,) = fig.axes
    bars = [p for p in ax.patches if p.get_gid() == "mean"]
    np.testing.assert_allclose([b.get_height() for b in bars], table["mean_kwh"])
    assert [_hex(b.get_facecolor()) for b in bars] == [theme.BRAND] * 5 + [theme.ACCENT] * 2
    (whiskers,) = [c for c in ax.collections if c.get_gid() == "range"]
    spans = np.array([seg[:, 1] for seg in whiskers.get_segments()])
    np.testing.assert_allclose(spans.min(axis=1), table["min_kwh"])
    np.testing.assert_allclose(spans.max(axis=1), table["max_kwh"])
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "Mon\n12 days" and labels[-1] == "Sun\n12 days"
    assert "1,160" in _texts(fig)
    assert ax.get_ylabel() == "Energy [kWh/day]"


def test_day_of_week_without_saturdays_says_so():
    table = _day_of_week()
    table.loc[5, ["mean_kwh", "min_kwh", "max_kwh"]] = np.nan
    table.loc[5, "days"] = 0
    fig = charts.plot_day_of_week(table)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_gid() == "mean"]
    assert bars[5].get_height() == 0.0
    assert "no data" in _texts(fig)
    assert [t.get_text() for t in ax.get_xticklabels()][5] == "Sat\n0 days"


# --------------------------------------------------------------------------------------------
# 5. Months


@pytest.mark.parametrize("n", [1, 13])
def test_month_bars_are_energy_per_day_and_partial_months_are_marked(n):
    table = _months(n)
    fig = charts.plot_months(table)
    (ax,) = fig.axes
    bars = {p.get_gid(): p for p in ax.patches}
    heights = [bars[f"month-{m}"].get_height() for m in table["month"]]
    np.testing.assert_allclose(heights, table["kwh_per_day"])
    partial = {m for m in table["month"] if f"month-{m}-partial" in bars}
    # Oct 2025: the period starts on the 15th; Feb 2026: four days without complete data
    assert partial == ({"2025-10", "2026-02"} if n == 13 else {"2025-10"})
    assert all(bars[f"month-{m}-partial"].get_hatch() == "////" for m in partial)
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "Oct\n2025\n17/31 d"
    totals = _texts(fig)
    for energy in table["energy_kwh"]:
        assert f"{energy:,.0f}" in totals
    assert ax.get_ylabel() == "Energy [kWh/day]"
    assert "Partial month" in _legend_labels(fig)
    if n == 13:
        assert "Feb\n24/28 d" in labels
        assert "Jan\n2026" in labels


# --------------------------------------------------------------------------------------------
# 6. Channels


def test_channel_bars_are_sorted_by_energy_with_share_and_cost():
    table = _channels()
    fig = charts.plot_channel_energy(table, currency="EUR")
    (ax,) = fig.axes
    bars = sorted(
        (p for p in ax.patches if (p.get_gid() or "").startswith("channel-")),
        key=lambda p: -p.get_y(),
    )  # top to bottom
    ordered = table.sort_values("energy_kwh", ascending=False)
    assert [int(p.get_gid().split("-")[1]) for p in bars] == ordered["channel_id"].tolist()
    np.testing.assert_allclose([p.get_width() for p in bars], ordered["energy_kwh"])
    colors = theme.channel_colors(table["channel_id"])
    assert all(_hex(p.get_facecolor()) == colors[int(p.get_gid()[8:])] for p in bars)
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "AHU-2_WCDS_Wilson Ctr"
    share = 92000.0 / table["energy_kwh"].sum()
    assert f"92,000 kWh · {share:.1%} · €11,040" in _texts(fig)
    # every label ends inside the axes (room right of the largest bar)
    assert ax.get_xlim()[1] > 1.4 * 92000.0
    assert ax.get_xlabel() == "Energy over the period [kWh]"


# --------------------------------------------------------------------------------------------
# 7. Weather-normalised savings


def test_cumulative_savings_end_at_the_reporting_sum():
    daily = _normalised(dt.date(2026, 9, 1))
    fig = charts.plot_normalised(daily)
    (cumulative,) = [
        line for ax in fig.axes for line in ax.get_lines() if line.get_gid() == "cumulative"
    ]
    reporting = daily[daily["period"] == "reporting"]
    diff = (reporting["actual_kwh"] - reporting["expected_kwh"]).fillna(0.0)
    assert cumulative.get_ydata()[-1] == pytest.approx(diff.sum())
    assert len(cumulative.get_xdata()) == len(reporting)
    ax = cumulative.axes
    assert _by_gid(ax, "zero")[0].get_ydata()[0] == 0.0
    assert ax.get_ylabel() == "Cumulative [kWh]"
    assert f"Savings over the reporting period: {-diff.sum():,.0f} kWh" in _texts(fig)
    assert "1 reporting day without data counts as 0" in _texts(fig)


def test_far_apart_periods_get_an_axes_each():
    daily = _normalised(dt.date(2026, 9, 1))  # a year after the baseline
    fig = charts.plot_normalised(daily)
    tops = [
        ax
        for ax in fig.axes
        if any((a.get_gid() or "").startswith("actual-") for a in ax.get_lines())
    ]
    assert len(tops) == 2
    left, right = tops
    (actual,) = _by_gid(left, "actual-baseline")
    (expected,) = _by_gid(left, "expected-baseline")
    baseline = daily[daily["period"] == "baseline"]
    np.testing.assert_allclose(actual.get_ydata(), baseline["actual_kwh"])
    np.testing.assert_allclose(expected.get_ydata(), baseline["expected_kwh"])
    assert _by_gid(left, "baseline-span")
    assert _by_gid(right, "actual-reporting")
    # each axes spans its own period only: no year of empty axis
    for ax, part in ((left, baseline), (right, daily[daily["period"] == "reporting"])):
        lo, hi = ax.get_xlim()
        x = mdates.date2num(pd.to_datetime(part["date"]).to_numpy())
        assert lo < x.min() and hi > x.max() and hi - lo < 1.1 * (x.max() - x.min()) + 2
    assert _by_gid(left, "break") and _by_gid(right, "break")
    assert left.get_ylim() == right.get_ylim()
    assert "Baseline (model fit)" in _texts(fig) and "Reporting" in _texts(fig)
    assert "between them are left out" in _texts(fig)


def test_adjacent_periods_share_one_axes():
    daily = _normalised(dt.date(2025, 10, 31))  # the day after the 60 baseline days
    fig = charts.plot_normalised(daily)
    tops = [
        ax for ax in fig.axes if _by_gid(ax, "actual-baseline") or _by_gid(ax, "actual-reporting")
    ]
    assert len(tops) == 1
    assert _by_gid(tops[0], "actual-baseline") and _by_gid(tops[0], "actual-reporting")


def test_normalised_without_reporting_days_says_so():
    daily = _normalised(dt.date(2026, 9, 1), n_rep=0)
    fig = charts.plot_normalised(daily)
    assert "No reporting days yet" in _texts(fig)


# --------------------------------------------------------------------------------------------
# Every chart: empty frames, PNG output


EMPTY = {
    "heatmap": lambda: charts.plot_heatmap(
        pd.DataFrame(columns=pd.Index(range(24), name="hour"), index=pd.Index([], name="date"))
    ),
    "trend": lambda: charts.plot_load_shape_trend(pd.DataFrame(columns=_daily().columns)),
    "profiles": lambda: charts.plot_week_profiles(pd.DataFrame(columns=_profiles().columns)),
    "day_of_week": lambda: charts.plot_day_of_week(pd.DataFrame(columns=_day_of_week().columns)),
    "months": lambda: charts.plot_months(pd.DataFrame(columns=_months().columns)),
    "channels": lambda: charts.plot_channel_energy(pd.DataFrame(columns=_channels().columns)),
    "normalised": lambda: charts.plot_normalised(pd.DataFrame(columns=_normalised(FIRST).columns)),
}

FULL = {
    "heatmap": lambda: charts.plot_heatmap(_heatmap()),
    "trend": lambda: charts.plot_load_shape_trend(_daily()),
    "profiles": lambda: charts.plot_week_profiles(_profiles()),
    "day_of_week": lambda: charts.plot_day_of_week(_day_of_week()),
    "months": lambda: charts.plot_months(_months()),
    "channels": lambda: charts.plot_channel_energy(_channels()),
    "normalised": lambda: charts.plot_normalised(_normalised(dt.date(2026, 9, 1))),
}


@pytest.mark.parametrize("chart", list(EMPTY))
def test_an_empty_frame_gives_a_figure_that_says_no_data(chart):
    fig = EMPTY[chart]()
    assert isinstance(fig, ChartFigure)
    assert charts.NO_DATA in _texts(fig)
    assert figure_to_png(fig).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("chart", list(FULL))
def test_charts_are_email_width_pngs_with_units(chart):
    import matplotlib.pyplot as plt

    fig = FULL[chart]()
    assert isinstance(fig, ChartFigure)
    png = fig.to_png()
    assert png.startswith(PNG_SIGNATURE)
    width, _ = struct.unpack(">II", png[16:24])
    assert width == round(theme.EMAIL_WIDTH_IN * theme.PNG_DPI)
    title = fig.axes[0].get_title(loc="left")
    assert "[kW" in title  # every title names its unit
    labels = [ax.get_ylabel() for ax in fig.axes] + [ax.get_xlabel() for ax in fig.axes]
    assert any("[kW" in label for label in labels)
    assert plt.get_fignums() == []
