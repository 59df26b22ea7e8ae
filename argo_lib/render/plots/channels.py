"""Chart of every analysed channel's week in a small panel against its usual range.

The usual range is the band the detectors compared each reading with
(``SiteWeekAnalysis.expected``: the time-of-week-and-temperature model where it is calibrated,
else the baseline profile), so what a reader sees flagged is drawn against the same band that
flagged it.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from argo_lib.analytics import baseline as baselines
from argo_lib.analytics import grid as grids
from argo_lib.analytics import health
from argo_lib.render.plots.figure import (
    DASHED,
    ChartFigure,
    add_legend,
    axes_message,
    display_names,
    hours_since,
    interval_mask,
    intervals_between,
    no_data_figure,
    shade_spans,
    time_axis,
    tz_name,
    week_label,
)
from argo_lib.render.theme import (
    ACTION,
    ATTENTION,
    EMAIL_WIDTH_IN,
    PALETTE,
    SCREEN_DPI,
    STYLE,
    channel_colors,
)

__all__ = ["plot_channel_small_multiples"]


def plot_channel_small_multiples(
    analysis: Any,
    *,
    ncols: int = 2,
    title: str | None = None,
    panel_height_in: float = 1.0,
) -> Figure:
    """Chart each analysed channel's load this week in its own small panel.

    One panel per row of ``analysis.channels`` (channels without readings included, marked
    "No readings this week"), each in the channel's colour over its own usual range: the P5–P95
    band the detectors compared it with (``analysis.expected``: the temperature model where
    it is calibrated, else the baseline profile). Unusual consumption and spikes are drawn red; suspect sensor
    readings (stuck values, implausible values) are shaded grey. Each panel has its own power
    scale.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    ncols : int
        Panels per row [-].
    title : str, optional
        Figure title; default names the chart and the week.
    panel_height_in : float
        Height of the plotting area of one panel [in].

    Returns
    -------
    matplotlib.figure.Figure
        One axes per channel, titled with the channel's display name and week energy,
        y = power [kW], x = local days. A week without any readings gives a figure that says
        "No data for this week".
    """
    title = title or f"Load by channel vs usual range · {week_label(analysis.period)}"
    frame = analysis.channels
    report, expected = analysis.grids, analysis.expected
    any_data = any(bool(g.present.any()) for g in report.values())
    if frame.empty or not any_data:
        return no_data_figure(title)
    names = display_names(analysis)
    colors = channel_colors(frame["channel_id"])
    ledger = analysis.ledger
    flagged = ledger[
        (ledger["anomaly_kwh"].to_numpy(dtype=float) > 0)
        | (ledger["spike_kwh"].to_numpy(dtype=float) > 0)
    ]
    suspect = analysis.health
    suspect = suspect[suspect["type"].isin(health.SUSPECT_TYPES) & suspect["start"].notna()]
    shifts = analysis.level_shifts
    energy = dict(
        zip(frame["channel_id"].astype(int), pd.to_numeric(frame["energy_kwh"]), strict=True)
    )
    completeness = dict(
        zip(frame["channel_id"].astype(int), pd.to_numeric(frame["completeness_pct"]), strict=True)
    )
    n = len(frame)
    ncols = max(1, min(int(ncols), n))
    nrows = math.ceil(n / ncols)
    with mpl.rc_context(STYLE):
        # a fixed layout in inches: constrained layout would double the drawing time here
        top, gap, bottom, left, right, between = 0.42, 0.3, 0.72, 0.55, 0.1, 0.5
        height = top + bottom + nrows * panel_height_in + (nrows - 1) * gap
        fig = ChartFigure(figsize=(EMAIL_WIDTH_IN, height), dpi=SCREEN_DPI)
        width = (EMAIL_WIDTH_IN - left - right - (ncols - 1) * between) / ncols
        fig.subplots_adjust(
            left=left / EMAIL_WIDTH_IN,
            right=1 - right / EMAIL_WIDTH_IN,
            top=1 - top / height,
            bottom=bottom / height,
            wspace=between / width,
            hspace=gap / panel_height_in,
        )
        axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
        fig.text(
            0.01,
            1 - 0.06 / height,
            title,
            ha="left",
            va="top",
            fontsize=STYLE["axes.titlesize"],
            fontweight="bold",
        )
        cids = frame["channel_id"].to_numpy(dtype=np.int64)
        for k, ax in enumerate(axes.flat):  # one panel per channel
            if k >= n:
                ax.set_axis_off()
                continue
            cid = int(cids[k])
            res = int(frame["resolution_s"].iloc[k])
            g = report[res]
            col = int(np.flatnonzero(g.channel_ids == cid)[0])
            ax.set_gid(f"channel-{cid}")
            _channel_panel(
                ax,
                analysis,
                g,
                col,
                expected[res],
                color=colors[cid],
                flagged=flagged[flagged["channel_id"] == cid],
                suspect=suspect[suspect["channel_id"] == cid],
                shifts=shifts[shifts["channel_id"] == cid],
            )
            ax.set_title(
                _panel_title(names[cid], energy.get(cid), completeness.get(cid), width),
                fontsize=8,
                fontweight="bold",
                loc="left",
                pad=2,
            )
            labels = "full" if width >= 2.9 else ("day" if width >= 2.0 else "letters")
            time_axis(ax, analysis, labels=labels, ticks=k == 0)  # the x axis is shared
            if k >= n - ncols:  # the lowest panel of its column shows the days
                ax.tick_params(axis="x", which="both", labelbottom=True)
                ax.set_xlabel(f"Local time ({tz_name(analysis)})", fontsize=7.5)
            ax.set_ylabel("kW", labelpad=1)
            ax.tick_params(axis="y", labelsize=7, pad=1)
            ax.tick_params(axis="x", which="minor", labelsize=7)
        legend: dict[str, Any] = {"Usual range (P5–P95)": Patch(color=PALETTE["band"], alpha=0.55)}
        if len(flagged):
            legend["Unusual consumption or spike"] = Line2D([], [], color=ACTION, lw=1.3)
        if len(suspect):
            legend["Suspect readings (e.g. stuck)"] = Patch(color=PALETTE["suspect"])
        if len(shifts):
            legend["Level shift"] = Line2D([], [], color=ATTENTION, lw=0.8, ls=DASHED)
        add_legend(fig, legend, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 0.0))
    return fig


def _panel_title(name: str, energy_kwh: Any, completeness_pct: Any, width_in: float) -> str:
    """``"AHU-2 · 1,023 kWh · 96 % data"``, shortened to fit a panel of this width."""
    parts = [name]
    e = float(energy_kwh) if energy_kwh is not None else np.nan
    c = float(completeness_pct) if completeness_pct is not None else np.nan
    if np.isfinite(e) and e > 0:
        parts.append(f"{e:,.0f} kWh")
    if np.isfinite(c) and 0 < c < 99.95:
        parts.append(f"{c:.0f} % data")
    fits = max(int(width_in * 16), 8)  # characters of 8 pt bold text per inch
    while len(parts) > 1 and len(" · ".join(parts)) > fits:
        parts.pop(1)  # the energy goes first, the data-completeness warning last
    text = " · ".join(parts)
    return text if len(text) <= fits else text[: fits - 1] + "…"


def _channel_panel(
    ax: Axes,
    analysis: Any,
    g: grids.Grid,
    col: int,
    expected: baselines.SlotStats,
    *,
    color: str,
    flagged: pd.DataFrame,
    suspect: pd.DataFrame,
    shifts: pd.DataFrame,
) -> None:
    """Draw one channel's week: usual range, load, flagged intervals, suspect spans, shifts."""
    period = analysis.period
    step_h = g.dt_h
    x0 = hours_since(g.index, period)
    x = x0 + step_h / 2.0
    load = g.load_kw[:, col]
    if not np.isfinite(load).any():
        ax.set_ylim(0.0, 1.0)
        ax.set_yticks([])
        axes_message(ax, "No readings this week")
        return
    p5, p95 = expected.p5[:, col], expected.p95[:, col]
    if len(suspect):
        spans = intervals_between(
            g.index, suspect["start"], suspect["end"].fillna(suspect["start"])
        )
        shade_spans(ax, x0, step_h, spans, color=PALETTE["suspect"], lw=0, gid="suspect")
    if np.isfinite(p95).any():
        ax.fill_between(x, p5, p95, color=PALETTE["band"], alpha=0.55, lw=0, gid="usual-range")
    ax.plot(x, load, color=color, lw=0.9, gid="load")
    mask = interval_mask(
        flagged["timestamp"], flagged["resolution_s"].to_numpy(), g.index, g.resolution_s
    )
    if mask.any():
        # widen by one interval each side so that a single flagged interval draws a segment
        wide = mask | np.r_[mask[1:], False] | np.r_[False, mask[:-1]]
        ax.plot(x, np.where(wide, load, np.nan), color=ACTION, lw=1.3, gid="flagged")
    # the scale follows the readings the checks trust: a catch-up reading carrying a whole
    # outage's energy (or an implausible value) would flatten the week into a line
    clean_grid = analysis.clean_grids.get(g.resolution_s)
    trusted = clean_grid.load_kw[:, col] if clean_grid is not None else load
    scale = trusted[np.isfinite(trusted)] if np.isfinite(trusted).any() else load[np.isfinite(load)]
    top = np.nanmax(np.concatenate([scale, p95[np.isfinite(p95)]]))
    low = min(0.0, float(np.nanmin(scale)))
    y_max = max(float(top), 1e-3) * 1.12
    ax.set_ylim(low, y_max)
    off = np.isfinite(load) & (load > y_max)
    if off.any():  # mark what is off the scale, and say how high it went
        ax.plot(
            x[off],
            np.full(int(off.sum()), y_max),
            ls="none",
            marker="^",
            ms=4,
            color=ATTENTION,
            clip_on=False,
            gid="off-scale",
        )
        _panel_note(ax, f"suspect reading {float(load[off].max()):,.0f} kW, off scale", left=True)
    ax.grid(True, axis="y", color=PALETTE["grid"], lw=0.5)
    ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=3, min_n_ticks=2))
    if len(shifts):
        first = shifts.sort_values("start").iloc[0]
        at = float(hours_since(pd.DatetimeIndex([first["start"]]), period)[0])
        ax.axvline(at, color=ATTENTION, lw=0.8, ls=DASHED)
        up = str(first.get("direction", "up")) == "up"
        since = pd.Timestamp(first["start"]).tz_convert(analysis.site.tz)
        sign = "+" if up else "−"
        _panel_note(ax, f"{sign}{abs(float(first['shift_pct'])):.0f} % since {since:%a %H:%M}")


def _panel_note(ax: Axes, text: str, *, left: bool = False) -> None:
    """A short warning in a panel's top corner (right unless ``left``), on a white ground."""
    ax.text(
        0.01 if left else 0.99,
        0.97,
        text,
        transform=ax.transAxes,
        ha="left" if left else "right",
        va="top",
        fontsize=7,
        color=ATTENTION,
        bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5},
    )
