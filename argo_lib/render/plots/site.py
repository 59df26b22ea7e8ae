"""Charts of the site as a whole: its load against the usual range, and energy by day and hour.

Both draw ``SiteWeekAnalysis.site_load``, the site's load and usual range as the analysis
computed them (:mod:`argo_lib.analytics.site_load`), with the analysis' findings marked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from argo_lib.render.plots.figure import (
    DASHED,
    INCOMPLETE,
    INCOMPLETE_PATCH,
    add_legend,
    display_names,
    hours_since,
    interval_mask,
    local_midnights,
    new_figure,
    no_data_figure,
    set_titles,
    shade_spans,
    time_axis,
    tz_name,
    week_label,
)
from argo_lib.render.theme import ACCENT, ACTION, ATTENTION, BRAND, PALETTE, STYLE

__all__ = ["plot_site_load", "plot_week_heatmap"]

_HEAT_CMAP = LinearSegmentedColormap.from_list(
    "argo_heat", ["#f4faf9", "#b9dcd7", "#5fa8a0", BRAND, "#06302f"]
)


def plot_site_load(
    analysis: Any,
    *,
    title: str | None = None,
    height_in: float = 3.1,
    annotate: int = 3,
) -> Figure:
    """Chart the site's load this week against the baseline's usual range.

    This week's load (main meter, or the sum of the meters) is drawn over the P5–P95 range
    and the median of the baseline weeks at the same local time of week, as the analysis
    computed them (``analysis.site_load``). Closed hours are
    shaded; intervals of unusual consumption (anomaly events, from the analysis' ledger) are
    shaded red, and demand spikes are marked at their peak, for every analysed channel (a
    sub-meter's event shows in the main meter's load too). Intervals where a channel lacks
    readings, or has readings the sensor checks distrust, are hatched.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    title : str, optional
        Chart title; default names the chart and the week.
    height_in : float
        Figure height [in] (width :data:`EMAIL_WIDTH_IN`).
    annotate : int
        Spikes named on the chart, largest first (the rest are only marked) [-].

    Returns
    -------
    matplotlib.figure.Figure
        One axes: x = elapsed hours of the week labelled by local day, y = load [kW]. A week
        without readings gives a figure that says "No data for this week".
    """
    title = title or f"Site load vs usual range · {week_label(analysis.period)}"
    site = analysis.site_load
    if site.empty or not (site["coverage"] > 0).any():
        return no_data_figure(title)
    res = int(site.attrs["resolution_s"])
    step_h = res / 3600.0
    period = analysis.period
    x0 = hours_since(site["timestamp"], period)
    x = x0 + step_h / 2.0
    load = site["load_kw"].to_numpy(dtype=float)
    has = site["coverage"].to_numpy() > 0
    load = np.where(has, load, np.nan)
    names = display_names(analysis)
    index = pd.DatetimeIndex(site["timestamp"])

    with mpl.rc_context(STYLE):
        fig = new_figure(height_in)
        ax = fig.add_subplot()
        legend: dict[str, Any] = {}
        shade_spans(
            ax,
            x0,
            step_h,
            ~site["business"].to_numpy(),
            color=PALETTE["closed"],
            lw=0,
            gid="closed",
        )
        ledger = analysis.ledger
        unusual = ledger[ledger["anomaly_kwh"].to_numpy(dtype=float) > 0]
        unusual_mask = interval_mask(
            unusual["timestamp"], unusual["resolution_s"].to_numpy(), index, res
        )
        hour = max(3600 // res, 1)  # join unusual stretches less than an hour apart
        shade_spans(
            ax,
            x0,
            step_h,
            unusual_mask,
            max_gap=hour,
            color=PALETTE["unusual"],
            lw=0,
            gid="unusual",
        )
        partial = has & (site["coverage"].to_numpy() < 1.0)
        incomplete = shade_spans(ax, x0, step_h, partial | ~has, gid="incomplete", **INCOMPLETE)

        legend["This week"] = Line2D([], [], color=BRAND, lw=1.4)
        p5, p95 = site["p5_kw"].to_numpy(dtype=float), site["p95_kw"].to_numpy(dtype=float)
        if np.isfinite(p95).any():
            ax.fill_between(x, p5, p95, color=PALETTE["band"], alpha=0.55, lw=0, gid="usual-range")
            ax.plot(
                x,
                site["median_kw"],
                color=PALETTE["median"],
                lw=0.8,
                ls=DASHED,
                gid="usual-median",
            )
            legend["Usual range (P5–P95)"] = Patch(color=PALETTE["band"], alpha=0.55)
            legend["Usual (median)"] = Line2D([], [], color=PALETTE["median"], lw=0.8, ls=DASHED)
        ax.plot(x, load, color=BRAND, lw=1.1, gid="load")
        if unusual_mask.any():
            ax.plot(
                x, np.where(unusual_mask, load, np.nan), color=ACTION, lw=1.3, gid="unusual-load"
            )

        top = np.nanmax(np.concatenate([load[np.isfinite(load)], p95[np.isfinite(p95)]]))
        ax.set_ylim(0.0, max(float(top), 1e-3) * 1.18)
        spikes = analysis.spikes
        if len(spikes):
            legend["Spike"] = _mark_spikes(ax, spikes, x, load, site, names, annotate=annotate)
        if unusual_mask.any():
            legend["Unusual consumption"] = Patch(color=PALETTE["unusual"])
        legend["Closed hours"] = Patch(color=PALETTE["closed"])
        if incomplete:
            legend["Incomplete or suspect data"] = Patch(**INCOMPLETE_PATCH)

        time_axis(ax, analysis)
        ax.set_xlabel(f"Local time ({tz_name(analysis)})")
        what = "Main meter" if site.attrs["source"] == "main meter" else "Site load"
        ax.set_ylabel(f"{what} [kW]")
        ax.grid(True, axis="y", color=PALETTE["grid"], lw=0.6)
        add_legend(fig, legend, ncols=4)
        n = len(site.attrs["channel_ids"])
        notes = []
        if site.attrs["source"] != "main meter":
            notes.append(f"Site load = sum of {n} meter{'s' if n != 1 else ''} (no main meter).")
        lacking = sorted(set(names) - set(site.attrs["channel_ids"]))
        if lacking and site.attrs["source"] != "main meter":
            notes.append("No readings, not included: " + ", ".join(names[c] for c in lacking))
        if not np.isfinite(p95).any():
            notes.append("No usual range: the baseline weeks lack data.")
        set_titles(ax, title, notes)
    return fig


def _mark_spikes(
    ax: Axes,
    spikes: pd.DataFrame,
    x: np.ndarray,
    load: np.ndarray,
    site: pd.DataFrame,
    names: Mapping[int, str],
    *,
    annotate: int,
) -> Line2D:
    """Mark each spike at the site load's peak within the spike; name the largest ones."""
    ns = pd.DatetimeIndex(site["timestamp"]).as_unit("ns").asi8
    start = pd.DatetimeIndex(spikes["start"]).tz_convert("UTC").as_unit("ns").asi8
    end = pd.DatetimeIndex(spikes["end"]).tz_convert("UTC").as_unit("ns").asi8
    first = np.searchsorted(ns, start, side="left")
    stop = np.maximum(np.searchsorted(ns, end, side="left"), first + 1)
    filled = np.where(np.isfinite(load), load, -np.inf)
    peak_x, peak_y = [], []
    for a, b in zip(first, stop, strict=True):  # one per spike (spikes are few)
        a, b = min(a, len(load) - 1), min(b, len(load))
        at = a + int(np.argmax(filled[a:b]))
        peak_x.append(x[at])
        peak_y.append(load[at] if np.isfinite(load[at]) else 0.0)
    px, py = np.asarray(peak_x), np.asarray(peak_y)
    ax.plot(
        px,
        py,
        ls="none",
        marker="o",
        ms=5,
        mfc=ACCENT,
        mec="white",
        mew=0.8,
        zorder=5,
        gid="spikes",
    )
    order = np.argsort(-spikes["peak_kw"].to_numpy(dtype=float))[:annotate]
    for i in order:  # a few labels
        row = spikes.iloc[i]
        # the spike's peak, the same number as in the tables and the summary
        label = f"{names.get(int(row['channel_id']), row['channel_id'])} {row['peak_kw']:.1f} kW"
        right = px[i] > 0.75 * float(x[-1])  # label to the left near the right edge
        ax.annotate(
            label,
            (px[i], py[i]),
            xytext=(-6 if right else 6, 4),
            textcoords="offset points",
            ha="right" if right else "left",
            va="bottom",
            fontsize=7,
            color=ATTENTION,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5},
        )
    return Line2D([], [], ls="none", marker="o", ms=5, mfc=ACCENT, mec="white", label="Spike")


def _heat_cells(site: pd.DataFrame, analysis: Any) -> dict[str, Any]:
    """Site energy per local day and clock hour, with the state of each cell.

    Returns a dict of (days, 24) arrays: ``energy`` per hour of the cell [kWh] (NaN without
    readings), ``hours`` the cell covers [h] (2 for the repeated hour when clocks go back, 0
    for the hour skipped when they go forward), ``incomplete`` (some channel lacks readings in
    it); and ``days``.
    """
    midnights = local_midnights(analysis.period)
    days = [d.date() for d in midnights[:-1]]
    n_days = len(days)
    local = pd.DatetimeIndex(site["timestamp"]).tz_convert(analysis.site.tz)
    wall_days = local.tz_localize(None).to_numpy().astype("datetime64[D]")
    day = (wall_days - np.datetime64(days[0], "D")).astype(np.int64)
    ok = (day >= 0) & (day < n_days)
    cell = (day * 24 + local.hour.to_numpy())[ok]
    size = n_days * 24
    coverage = site["coverage"].to_numpy(dtype=float)[ok]
    has = coverage > 0
    energy = np.where(has, site["energy_kwh"].to_numpy(dtype=float)[ok], 0.0)

    def count(weights: np.ndarray | None = None) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=size).reshape(n_days, 24)

    with_data = count(has.astype(float)) > 0
    hours = count() * (int(site.attrs["resolution_s"]) / 3600.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_hour = count(np.nan_to_num(energy)) / hours
    return {
        "energy": np.where(with_data, per_hour, np.nan),
        "hours": hours,
        "incomplete": with_data & (count((coverage < 1.0).astype(float)) > 0),
        "days": days,
    }


def plot_week_heatmap(
    analysis: Any,
    *,
    title: str | None = None,
    height_in: float = 2.9,
) -> Figure:
    """Chart the site's energy per local day and hour of the week as a heat map.

    Rows are the site-local days (Monday on top), columns the local clock hours; each cell is
    the site's energy in that hour (the same site load as :func:`plot_site_load`). Opening
    hours are outlined. On the day clocks go back, the repeated clock hour shows the mean of
    its two hours (so it does not look like a doubled load); on the day they go forward, the
    skipped hour is left blank. Cells with incomplete readings are hatched, cells without
    readings grey.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    title : str, optional
        Chart title; default names the chart and the week.
    height_in : float
        Figure height [in].

    Returns
    -------
    matplotlib.figure.Figure
        One image of shape (days, 24) of energy per hour [kWh] (NaN: no readings or no such
        hour), and a colour bar [kWh per hour]. Its sum is the site's energy of the week
        (``analysis.site_load.energy_kwh.sum()``), except that the repeated hour of a
        fall-back week counts once (as the mean of its two hours). A week without readings
        gives a figure that says "No data for this week".
    """
    title = title or f"Site energy by day and hour · {week_label(analysis.period)}"
    site = analysis.site_load
    if site.empty or not (site["coverage"] > 0).any():
        return no_data_figure(title)
    cells = _heat_cells(site, analysis)
    energy, exists, days = cells["energy"], cells["hours"] > 0, cells["days"]
    holidays = set(analysis.holidays)
    closed = set(getattr(analysis, "closed_days", ()))  # inferred from the load: no outline
    opening = getattr(analysis.site, "opening_hours", None)
    finite = energy[np.isfinite(energy)]
    with mpl.rc_context(STYLE):
        fig = new_figure(height_in)
        ax = fig.add_subplot()
        cmap = _HEAT_CMAP.with_extremes(bad=PALETTE["missing"])
        shown = np.ma.masked_invalid(np.where(exists, energy, np.nan))
        image = ax.imshow(
            shown,
            gid="heatmap",
            aspect="auto",
            cmap=cmap,
            interpolation="nearest",
            extent=(0, 24, len(days), 0),
            vmin=float(finite.min()),
            vmax=float(finite.max()) if finite.max() > finite.min() else float(finite.min()) + 1,
        )
        blank = [Rectangle((h, d), 1, 1) for d, h in zip(*np.nonzero(~exists), strict=True)]
        hatched = [
            Rectangle((h, d), 1, 1) for d, h in zip(*np.nonzero(cells["incomplete"]), strict=True)
        ]
        ax.add_collection(PatchCollection(blank, facecolor="white", edgecolor="none"))
        ax.add_collection(
            PatchCollection(
                hatched, facecolor="none", edgecolor=PALETTE["below"], hatch="////", lw=0
            )
        )
        outlines = []
        for i, day in enumerate(days):  # one outline per open day
            hours = opening.for_weekday(day.weekday()) if opening is not None else None
            if hours is None or day in holidays or day in closed:
                continue
            start = hours[0].hour + hours[0].minute / 60
            stop = hours[1].hour + hours[1].minute / 60 or 24.0
            outlines.append(Rectangle((start, i + 0.06), stop - start, 0.88))
        ax.add_collection(
            PatchCollection(
                outlines, facecolor="none", edgecolor=PALETTE["ink"], lw=0.7, gid="opening-hours"
            )
        )
        ax.set_yticks(np.arange(len(days)) + 0.5)
        ax.set_yticklabels(
            [
                f"{d:%a} {d.day}"
                + (" (hol.)" if d in holidays else " (closed)" if d in closed else "")
                for d in days
            ]
        )
        ax.set_xticks(np.arange(0, 25, 3))
        ax.set_xticklabels([f"{h:02d}:00" for h in range(0, 25, 3)])
        ax.tick_params(axis="both", length=2)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(f"Hour of day, local time ({tz_name(analysis)})")
        ax.set_ylabel("Day")
        bar = fig.colorbar(image, ax=ax, pad=0.01, fraction=0.05, aspect=18)
        bar.set_label("Site energy [kWh per hour]")
        bar.outline.set_visible(False)
        bar.ax.tick_params(labelsize=7, length=2)
        notes = ["Outlined: opening hours."]
        if hatched:
            notes.append("Hatched: incomplete or suspect readings.")
        if np.isnan(energy[exists]).any():
            notes.append("Grey: no readings.")
        if blank:
            notes.append("Blank: hour skipped (clocks went forward).")
        for d, h in zip(*np.nonzero(cells["hours"] > 1.0), strict=True):  # the DST hour
            notes.append(f"{days[d]:%a} {h:02d}:00 averages two hours (clocks went back).")
        set_titles(ax, title, notes)
    return fig
