"""Charts of the weekly brief: data, labels and units of each figure, PNG output, edge weeks.

The site is the simulated Wilson Center (eight 15-minute sub-meters, America/New_York) with the
demo's faults injected in the report week; pixels are not compared, the data behind the artists
are (house style: assert numbers, not images).
"""

from __future__ import annotations

import dataclasses
import struct

import buildings
import matplotlib
import numpy as np
import outages
import pandas as pd
import pytest
from matplotlib.figure import Figure
from simulated import simulated_week

from argo_lib import analytics, config, dates
from argo_lib.analytics import baseline, grid, towt
from argo_lib.render import plots, theme
from argo_lib.sim import build_site_frame

ENERGY_ATOL_KWH = 1e-6  # sums of the same interval energies in another order
POWER_ATOL_KW = 1e-9  # values copied from the readings, not computed
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
EMAIL_PNG_MAX_BYTES = 80_000  # e-mail CID parts must stay small (target < 60 KB)
TZ = "America/New_York"


@pytest.fixture(scope="module")
def demo_week():
    """2026-W47 with the demo's faults (AHU-2 after hours, kitchen spike, stuck, gap, shift)."""
    return simulated_week("2026-W47")


@pytest.fixture(scope="module")
def figures(demo_week):
    analysis, readings = demo_week
    return {
        "site": plots.plot_site_load(analysis),
        "after_hours": plots.plot_after_hours_by_meter(analysis),
        "heatmap": plots.plot_week_heatmap(analysis),
        "channels": plots.plot_channel_small_multiples(analysis),
    }


def _by_gid(ax, gid):
    found = [a for a in ax.get_children() if a.get_gid() == gid]
    return found


def _texts(fig) -> str:
    """Every text of a figure, joined, whitespace (e.g. wrapped lines) normalised."""
    parts = [t.get_text() for t in fig.findobj(matplotlib.text.Text)]
    return " ".join(" ".join(parts).split())


def _legend_labels(fig) -> list[str]:
    return [t.get_text() for legend in fig.legends for t in legend.get_texts()]


def _png_size(png: bytes) -> tuple[int, int]:
    return struct.unpack(">II", png[16:24])


def _hours_per_cell(period: dates.Period) -> np.ndarray:
    """Clock hours per local (day, hour) cell, counted independently with pandas."""
    index = dates.expected_index(period, resolution_s=900).tz_convert(TZ)
    day = (index.normalize().tz_localize(None) - period.start.tz_localize(None)).days
    counts = pd.crosstab(np.asarray(day), np.asarray(index.hour)).reindex(
        index=range(7), columns=range(24), fill_value=0
    )
    return counts.to_numpy() / 4.0


# --------------------------------------------------------------------------------------------
# Site load


def test_site_load_chart_shows_the_week_against_the_band(demo_week, figures):
    analysis, readings = demo_week
    fig = figures["site"]
    assert isinstance(fig, Figure)
    (ax,) = fig.axes
    assert ax.get_xlabel() == f"Local time ({TZ})"
    assert "[kW]" in ax.get_ylabel()
    assert ax.get_xlim() == (0.0, 168.0)
    (line,) = _by_gid(ax, "load")
    frame = analysis.site_load
    np.testing.assert_allclose(line.get_ydata(), frame["load_kw"], atol=POWER_ATOL_KW)
    np.testing.assert_allclose(np.diff(line.get_xdata()), 0.25)
    assert len(_by_gid(ax, "usual-range")) == 1
    labels = _legend_labels(fig)
    for label in ("This week", "Usual range (P5–P95)", "Spike", "Unusual consumption"):
        assert label in labels
    assert "Kitchen Main Panel 15.0 kW" in _texts(fig)  # the peak, as in the tables


def test_site_load_chart_marks_the_after_hours_nights(demo_week, figures):
    analysis, _ = demo_week
    (ax,) = figures["site"].axes
    (spans,) = _by_gid(ax, "unusual")  # one collection of three nights
    boxes = [path.get_extents() for path in spans.get_paths()]
    begin = np.array([b.x0 for b in boxes])
    length = np.array([b.width for b in boxes])
    # AHU-2 left running Tue, Wed and Thu nights 18:00 -> 07:00 (13 h each)
    np.testing.assert_allclose(begin, [24 + 18, 48 + 18, 72 + 18])
    np.testing.assert_allclose(length, 13.0)
    assert length.sum() == pytest.approx(analysis.anomalies["hours"].sum())
    (marker,) = _by_gid(ax, "spikes")
    wednesday_noon = 48 + 12
    assert wednesday_noon <= marker.get_xdata()[0] < wednesday_noon + 0.5


def test_site_load_uses_the_main_meter_when_the_site_has_one():
    site = config.load_site("23271")
    channels = tuple(
        dataclasses.replace(c, role="main") if c.channel_id == 162121 else c for c in site.channels
    )
    analysis, readings = simulated_week(
        "2026-W47", site=dataclasses.replace(site, channels=channels)
    )
    frame = analysis.site_load
    assert frame.attrs["channel_ids"] == (162121,)
    ahu2 = analysis.channels.set_index("channel_id").loc[162121, "energy_kwh"]
    assert frame["energy_kwh"].sum() == pytest.approx(ahu2, abs=ENERGY_ATOL_KWH)
    fig = plots.plot_site_load(analysis)
    assert fig.axes[0].get_ylabel() == "Main meter [kW]"


# --------------------------------------------------------------------------------------------
# After-hours waste


def test_after_hours_bars_are_the_analysis_numbers_largest_first(demo_week, figures):
    analysis, _ = demo_week
    (ax,) = figures["after_hours"].axes
    table = analysis.after_hours.copy()
    table["standing"] = table["chronic_kwh"].where(table["chronic_significant"], 0.0)
    table["total"] = table["excess_kwh"] + table["standing"]
    expected = table[table["total"] >= 0.05].sort_values("total", ascending=False, kind="stable")
    bars = sorted(
        (p for p in ax.patches if (p.get_gid() or "").startswith("channel-")),
        key=lambda p: -p.get_y(),
    )  # top to bottom
    assert [int(p.get_gid().split("-")[1]) for p in bars] == expected["channel_id"].tolist()
    np.testing.assert_allclose([p.get_width() for p in bars], expected["excess_kwh"])
    labels = [t.get_text() for t in ax.get_yticklabels()]  # top to bottom
    assert labels[0] == "AHU-2"
    assert ax.get_xlabel() == "Energy after hours this week, above the baseline's same hours [kWh]"
    # colours are the analysis' judgement: significant and high priority, significant, not
    colours = {
        int(p.get_gid().split("-")[1]): matplotlib.colors.to_hex(p.get_facecolor()) for p in bars
    }
    rows = expected.set_index("channel_id")
    for cid, colour in colours.items():
        if not rows.loc[cid, "significant"]:
            assert colour == theme.PALETTE["below"]
        elif rows.loc[cid, "excess_kwh"] > analysis.thresholds.quick_wins.after_hours_high_kwh:
            assert colour == theme.ACTION
        else:
            assert colour == theme.ATTENTION
    assert set(colours.values()) == {theme.ACTION, theme.ATTENTION, theme.PALETTE["below"]}
    assert "101.5 kWh · $12.18" in _texts(figures["after_hours"])


def test_a_standing_night_load_is_drawn_apart_from_new_operation():
    # a dusk-to-dawn load every night plus three nights of +2.5 kW new operation
    extra = buildings.after_hours_load(2.5, "2025-10-07 18:00", "2025-10-10 07:00")
    readings = buildings.night_building(900, extra=extra)
    analysis = analytics.analyse_site_week(
        readings, site=buildings.SITE, period=buildings.WEEK, baseline=buildings.BASE
    )
    row = analysis.after_hours.iloc[0]
    assert row["significant"] and row["chronic_significant"]
    fig = plots.plot_after_hours_by_meter(analysis)
    ax = fig.axes[0]
    (new,) = [p for p in ax.patches if p.get_gid() == f"channel-{buildings.MAIN}"]
    (standing,) = [p for p in ax.patches if not p.get_gid()]
    assert new.get_width() == pytest.approx(row["excess_kwh"])
    assert standing.get_x() == pytest.approx(new.get_width())  # stacked after it
    assert standing.get_width() == pytest.approx(row["chronic_kwh"])
    assert matplotlib.colors.to_hex(new.get_facecolor()) == theme.ATTENTION  # < 100 kWh
    assert standing.get_hatch() == "////"
    assert f"{row['chronic_kwh']:,.1f} kWh standing" in _texts(fig)
    assert "Standing load, as in the baseline weeks (investigate)" in _legend_labels(fig)


def test_after_hours_top_n_says_how_many_are_left_out(demo_week):
    analysis, _ = demo_week
    fig = plots.plot_after_hours_by_meter(analysis, top_n=3)
    bars = [p for p in fig.axes[0].patches if (p.get_gid() or "").startswith("channel-")]
    assert len(bars) == 3
    table = analysis.after_hours
    shown = (
        table["excess_kwh"] + table["chronic_kwh"].where(table["chronic_significant"], 0.0)
    ) >= 0.05
    assert int(shown.sum()) == 5  # 0.0 kWh is not drawn
    assert "2 more meters with less after-hours energy not shown." in _texts(fig)


# --------------------------------------------------------------------------------------------
# Heat map


def test_heatmap_is_days_by_hours_and_sums_to_the_site_energy(demo_week, figures):
    analysis, _ = demo_week
    fig = figures["heatmap"]
    ax = fig.axes[0]
    (image,) = _by_gid(ax, "heatmap")
    cells = np.ma.filled(image.get_array(), np.nan)
    assert cells.shape == (7, 24)
    assert np.nansum(cells) == pytest.approx(
        analysis.channels["energy_kwh"].sum(), abs=ENERGY_ATOL_KWH
    )
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Mon 16"
    assert ax.get_xlabel() == f"Hour of day, local time ({TZ})"
    colorbar_ax = fig.axes[1]
    assert colorbar_ax.get_ylabel() == "Site energy [kWh per hour]"
    # the kitchen spike (Wed 12:00) is the week's largest hour
    assert np.unravel_index(np.nanargmax(cells), cells.shape) == (2, 12)


@pytest.mark.parametrize(
    ("week", "hours", "note"),
    [("2026-W10", 167, "clocks went forward"), ("2026-W44", 169, "clocks went back")],
    ids=["spring", "fall"],
)
def test_dst_weeks_plot_at_their_real_length(week, hours, note):
    analysis, readings = simulated_week(week)
    assert analysis.period.hours == hours
    site_fig = plots.plot_site_load(analysis)
    ax = site_fig.axes[0]
    assert ax.get_xlim() == (0.0, float(hours))
    (line,) = _by_gid(ax, "load")
    assert len(line.get_xdata()) == hours * 4
    midnights = ax.get_xticks()
    assert len(midnights) == 8
    assert np.diff(midnights).tolist().count(24.0) == 6  # the DST Sunday is 23 or 25 h

    heat_fig = plots.plot_week_heatmap(analysis)
    (image,) = _by_gid(heat_fig.axes[0], "heatmap")
    cells = np.ma.filled(image.get_array(), np.nan)
    per_cell = _hours_per_cell(analysis.period)
    total = analysis.channels["energy_kwh"].sum()
    assert np.nansum(cells * per_cell) == pytest.approx(total, abs=ENERGY_ATOL_KWH)
    assert np.isnan(cells[per_cell == 0]).all()  # the skipped hour is blank
    assert note in _texts(heat_fig)


def test_heatmap_closes_holidays():
    analysis, readings = simulated_week("2026-W48", faults=False)  # Thanksgiving, Thu 26 Nov
    ax = plots.plot_week_heatmap(analysis).axes[0]
    days = [t.get_text() for t in ax.get_yticklabels()]
    assert days[3] == "Thu 26 (hol.)"
    (outlines,) = _by_gid(ax, "opening-hours")
    rows = sorted(round(p.get_extents().y0) for p in outlines.get_paths())
    assert rows == [0, 1, 2, 4]  # Mon, Tue, Wed and Fri open 07:00-18:00


# --------------------------------------------------------------------------------------------
# Small multiples


def test_small_multiples_one_panel_per_channel_in_its_colour(demo_week, figures):
    analysis, readings = demo_week
    fig = figures["channels"]
    panels = [ax for ax in fig.axes if (ax.get_gid() or "").startswith("channel-")]
    ids = [int(ax.get_gid().split("-")[1]) for ax in panels]
    assert ids == analysis.channels["channel_id"].tolist()
    colors = theme.channel_colors(ids)
    site = analysis.site
    for cid, ax in zip(ids, panels, strict=True):
        assert ax.get_title(loc="left").startswith(site.channel(cid).name)
        assert ax.get_ylabel() == "kW"
        (line,) = _by_gid(ax, "load")
        assert matplotlib.colors.to_hex(line.get_color()) == colors[cid]
    assert all(ax.get_xlabel() == f"Local time ({TZ})" for ax in panels[-2:])
    kitchen = panels[ids.index(162285)]
    assert _by_gid(kitchen, "flagged")  # the spike is drawn red
    stuck = panels[ids.index(162122)]
    assert _by_gid(stuck, "suspect")


def test_small_multiples_keep_a_channel_without_readings(demo_week):
    analysis, readings = demo_week
    site, period = analysis.site, analysis.period
    silent = (readings["channel_id"] == 162319) & (readings["timestamp"] >= period.start)
    kept = readings[~silent]
    meta = build_site_frame()
    names = meta.loc[meta["group"] == "wilson", ["channel_id", "channel_name"]]  # Eniscope names
    assert names["channel_name"].str.contains("_WCDS_").any()
    quiet = analytics.analyse_site_week(kept, site=site, period=period, channels=names)
    fig = plots.plot_channel_small_multiples(quiet)
    panels = {ax.get_gid(): ax for ax in fig.axes if ax.get_gid()}
    assert len(panels) == len(quiet.channels) == 8
    empty = panels["channel-162319"]
    assert empty.get_title(loc="left") == "Kitchen Panel (small)"
    assert "No readings this week" in [t.get_text() for t in empty.texts]
    assert not _by_gid(empty, "load")
    frame = quiet.site_load
    assert 162319 not in frame.attrs["channel_ids"]
    assert "Kitchen Panel (small)" in _texts(plots.plot_site_load(quiet))


def test_small_multiples_shorten_labels_in_narrow_panels(demo_week):
    analysis, readings = demo_week
    fig = plots.plot_channel_small_multiples(analysis, ncols=3)
    panels = [ax for ax in fig.axes if ax.get_gid()]
    assert len(panels) == 8
    bottom = panels[-1]
    assert [t.get_text() for t in bottom.get_xticklabels(minor=True)][:2] == ["Mo", "Tu"]


# --------------------------------------------------------------------------------------------
# Empty weeks, PNG output, style


CHARTS = {
    "site": lambda a: plots.plot_site_load(a),
    "after_hours": lambda a: plots.plot_after_hours_by_meter(a),
    "heatmap": lambda a: plots.plot_week_heatmap(a),
    "channels": lambda a: plots.plot_channel_small_multiples(a),
}


@pytest.mark.parametrize("chart", list(CHARTS), ids=list(CHARTS))
@pytest.mark.parametrize("readings", ["none", "empty"], ids=["none", "empty_frame"])
def test_a_week_without_data_says_so(chart, readings):
    site = config.load_site("23271")
    period = dates.report_week("2026-W47", tz=site.tz)
    frame = None if readings == "none" else pd.DataFrame(columns=["timestamp", "channel_id"])
    if frame is not None:
        frame["timestamp"] = pd.to_datetime(frame["timestamp"], utc=True)
    analysis = analytics.analyse_site_week(frame, site=site, period=period)
    fig = CHARTS[chart](analysis)
    assert isinstance(fig, Figure)
    assert "No data for this week" in _texts(fig)
    assert plots.figure_to_png(fig).startswith(PNG_SIGNATURE)


def test_after_hours_without_a_baseline_says_why(demo_week):
    analysis, readings = demo_week
    week_only = readings[readings["timestamp"] >= analysis.period.start]
    fresh = analytics.analyse_site_week(week_only, site=analysis.site, period=analysis.period)
    assert "baseline lacks data" in _texts(plots.plot_after_hours_by_meter(fresh))
    site_fig = plots.plot_site_load(fresh)
    assert not _by_gid(site_fig.axes[0], "usual-range")
    assert "No usual range" in _texts(site_fig)


@pytest.mark.parametrize("chart", ["site", "after_hours"], ids=["site", "after_hours"])
def test_email_charts_are_small_opaque_pngs(figures, chart):
    png = plots.figure_to_png(figures[chart])
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) < EMAIL_PNG_MAX_BYTES
    width, _ = _png_size(png)
    assert width == round(theme.EMAIL_WIDTH_IN * theme.PNG_DPI)  # 960 px, shown 640 px wide
    assert png[25] in (2, 3)  # IHDR colour type: RGB or palette, no alpha channel
    assert b"tRNS" not in png  # no transparent palette entries either


def test_figures_stay_out_of_pyplot_and_render_in_notebooks(figures):
    import matplotlib.pyplot as plt

    assert plt.get_fignums() == []
    assert all(isinstance(fig, plots.ChartFigure) for fig in figures.values())
    png, meta = figures["after_hours"]._repr_png_()
    assert png.startswith(PNG_SIGNATURE)
    assert meta["width"] == 640  # shown at e-mail width, rendered sharper
    assert meta["alt"].startswith("After-hours energy by meter")


def test_channel_colours_are_stable_and_skip_problem_colours():
    first = theme.channel_colors([162320, 162119, 162285])
    again = theme.channel_colors([162285, 162320, 162119])
    assert first == again
    assert len(set(first.values())) == 3
    problem = {theme.ACTION, theme.ATTENTION, theme.ACCENT}
    assert not problem & set(theme.CHANNEL_PALETTE)


# --------------------------------------------------------------------------------------------
# Charts draw what the analysis computed


def test_channel_band_is_the_band_the_detectors_used(demo_week, figures):
    """The grey band of each panel is analysis.expected (TOWT or profile), point for point."""
    analysis, _ = demo_week
    expected = analysis.expected[900]
    g = analysis.grids[900]
    panels = [ax for ax in figures["channels"].axes if (ax.get_gid() or "").startswith("channel-")]
    assert len(panels) == 8
    for ax in panels:
        col = int(np.flatnonzero(g.channel_ids == int(ax.get_gid().split("-")[1]))[0])
        (band,) = _by_gid(ax, "usual-range")
        # fill_between's polygon runs along P95 one way and along P5 the other
        ys = np.round(band.get_paths()[0].vertices[:, 1], 9)
        p5, p95 = expected.p5[:, col], expected.p95[:, col]
        assert np.isin(np.round(p95[np.isfinite(p95)], 9), ys).all()
        assert np.isin(np.round(p5[np.isfinite(p5)], 9), ys).all()


def test_what_is_drawn_flagged_lies_above_the_drawn_band(demo_week, figures):
    """AHU-2's after-hours nights are drawn red, and above the band the detectors used."""
    analysis, _ = demo_week
    (ax,) = [a for a in figures["channels"].axes if a.get_gid() == "channel-162121"]
    (flagged,) = _by_gid(ax, "flagged")
    col = int(np.flatnonzero(analysis.grids[900].channel_ids == 162121)[0])
    p95 = analysis.expected[900].p95[:, col]
    load = analysis.grids[900].load_kw[:, col]
    red = np.isfinite(flagged.get_ydata())
    assert red.sum() >= 3 * 13 * 4  # three nights of 13 h at 15 min
    assert ((load > p95) & red).sum() / red.sum() > 0.95


def test_charts_never_rebuild_grids_or_refit_baselines(demo_week, monkeypatch):
    analysis, _ = demo_week

    def refuse(*args, **kwargs):
        raise AssertionError("a chart recomputed what the analysis already holds")

    for module, name in (
        (grid, "build_grids"),
        (grid, "check_readings"),
        (baseline, "fit_profile"),
        (baseline, "expected_stats"),
        (towt, "fit_towt"),
    ):
        monkeypatch.setattr(module, name, refuse)
    for chart in CHARTS.values():
        assert plots.figure_to_png(chart(analysis)).startswith(PNG_SIGNATURE)


def test_a_chart_png_is_drawn_once_and_shared(figures):
    fig = figures["site"]
    shown, _ = fig._repr_png_()
    assert fig.to_png() is shown  # the e-mail and the files get the bytes the notebook showed


def test_chart_backgrounds_are_page_white(figures):
    import io

    from PIL import Image

    for name, fig in figures.items():
        pixels = np.asarray(Image.open(io.BytesIO(plots.figure_to_png(fig))).convert("RGB"))
        corners = pixels[[0, 0, -1, -1], [0, -1, 0, -1]]
        assert (corners == 255).all(), name


def test_a_catch_up_reading_does_not_set_the_channel_scale():
    # hourly main meter, 5-30 kW; after 4 h without readings one reading carries 109.7 kWh
    readings, _ = outages.main_meter()
    week = outages.catch_up(readings, "2026-11-18 09:00", 4, 109.7)
    analysis = analytics.analyse_site_week(week, site=outages.SITE, period=outages.WEEK)
    fig = plots.plot_channel_small_multiples(analysis)
    ax = fig.axes[0]
    trusted = analysis.clean_grids[3600].load_kw[:, 0]
    assert ax.get_ylim()[1] == pytest.approx(
        max(np.nanmax(trusted), np.nanmax(analysis.expected[3600].p95[:, 0])) * 1.12
    )
    assert ax.get_ylim()[1] < 60.0  # not 109.7
    (marker,) = _by_gid(ax, "off-scale")
    assert len(marker.get_xdata()) == 1
    assert "suspect reading 110 kW, off scale" in _texts(fig)
