"""Charts of a channel exploration (:func:`argo_lib.analytics.explore.explore_channels`).

Coverage per channel and day, daily energy per channel, typical weekday and weekend profiles,
and the correlation matrix of hourly energy. Each chart takes an
:class:`~argo_lib.analytics.explore.Exploration` and returns a
:class:`~argo_lib.render.plots.ChartFigure`; an exploration without readings gives a figure that
says so.
"""

from __future__ import annotations

import math
from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure

from argo_lib.render.plots.figure import add_legend, new_figure, no_data_figure, set_titles
from argo_lib.render.plots.ingest import plot_coverage_heatmap
from argo_lib.render.theme import EMAIL_WIDTH_IN, PALETTE, STYLE, channel_colors

__all__ = [
    "plot_explore_correlations",
    "plot_explore_coverage",
    "plot_explore_daily_energy",
    "plot_explore_profiles",
]

_NO_READINGS = "No readings in this period"


def _label(channel_id: Any, name: Any) -> str:
    text = str(name)
    text = text if len(text) <= 24 else text[:23] + "…"
    return f"{channel_id} {text}"


def plot_explore_coverage(exploration: Any) -> Figure:
    """Share of each day's expected intervals with a measured reading, channel × day.

    Parameters
    ----------
    exploration : argo_lib.analytics.explore.Exploration

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = "Coverage: share of expected intervals with a reading, per site-local day"
    return plot_coverage_heatmap(exploration.coverage, title=title)


def plot_explore_daily_energy(exploration: Any) -> Figure:
    """Energy per site-local day, one line per channel [kWh].

    Parameters
    ----------
    exploration : argo_lib.analytics.explore.Exploration

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = "Energy per day and channel"
    daily = exploration.daily_energy
    if daily.empty or not daily["energy_kwh"].notna().any():
        return no_data_figure(title, message=_NO_READINGS)
    wide = exploration.energy_by_day
    names = daily.drop_duplicates("channel_id").set_index("channel_id")["channel_name"]
    colors = channel_colors(wide.columns)
    days = np.arange(len(wide))
    with mpl.rc_context(STYLE):
        fig = new_figure(3.6)
        ax = fig.add_subplot()
        handles = {}
        for cid in wide.columns:  # one line per channel
            (line,) = ax.plot(
                days, wide[cid].to_numpy(dtype=float), color=colors[cid], lw=1.4, marker="o", ms=2
            )
            handles[_label(cid, names[cid])] = line
        labels = [f"{d:%a %d %b}" for d in wide.index]
        step = max(1, math.ceil(len(labels) / 10))
        ax.set_xticks(days[::step], labels[::step], rotation=45, ha="right")
        ax.set_xlim(-0.5, len(days) - 0.5)
        ax.set_ylim(bottom=0)
        ax.set_ylabel("Energy [kWh/day]")
        ax.grid(axis="y")
        set_titles(ax, title, ["Gaps in a line are days without readings."])
        add_legend(fig, handles, ncols=3, fontsize=7)
    return fig


def plot_explore_profiles(exploration: Any) -> Figure:
    """Typical weekday and weekend day per channel: median power by local hour, P25–P75 band.

    Parameters
    ----------
    exploration : argo_lib.analytics.explore.Exploration

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = "Typical weekday and weekend by local hour"
    profiles = exploration.profiles
    if profiles.empty:
        return no_data_figure(title, message=_NO_READINGS)
    ids = sorted(profiles["channel_id"].unique().tolist())
    names = profiles.drop_duplicates("channel_id").set_index("channel_id")["channel_name"]
    ncols = 2
    nrows = math.ceil(len(ids) / ncols)
    kinds = {"weekday": PALETTE["brand"], "weekend": PALETTE["accent"]}
    tz = str(exploration.period.tz)
    with mpl.rc_context(STYLE):
        fig = new_figure(1.45 * nrows + 1.0, width_in=EMAIL_WIDTH_IN)
        axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
        handles: dict[str, Any] = {}
        for k, ax in enumerate(axes.flat):
            if k >= len(ids):
                ax.set_axis_off()
                continue
            cid = ids[k]
            mine = profiles[profiles["channel_id"] == cid]
            for kind, color in kinds.items():  # two day kinds
                part = mine[mine["day_kind"] == kind].set_index("hour").reindex(range(24))
                hours = np.arange(24)
                band = ax.fill_between(
                    hours,
                    part["p25_kw"].to_numpy(dtype=float),
                    part["p75_kw"].to_numpy(dtype=float),
                    color=color,
                    alpha=0.18,
                    lw=0,
                )
                (line,) = ax.plot(hours, part["median_kw"].to_numpy(dtype=float), color=color)
                handles[f"{kind} median"] = line
                handles[f"{kind} P25–P75"] = band
            ax.set_title(_label(cid, names[cid]), fontsize=8, loc="left")
            ax.set_ylim(bottom=0)
            ax.set_xlim(0, 23)
            ax.set_xticks([0, 6, 12, 18, 23])
            ax.tick_params(labelsize=7)
            ax.grid(axis="y")
            if k % ncols == 0:
                ax.set_ylabel("Power [kW]", fontsize=7)
        for ax in axes[-1]:
            ax.set_xlabel(f"Local hour ({tz})", fontsize=7)
        fig.suptitle(title, fontsize=10)
        add_legend(fig, handles, ncols=4, fontsize=7)
    return fig


def plot_explore_correlations(exploration: Any) -> Figure:
    """Pearson correlation of hourly energy between channels, as an annotated matrix.

    Parameters
    ----------
    exploration : argo_lib.analytics.explore.Exploration

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = "Which channels move together? Correlation of hourly energy"
    corr = exploration.correlations
    if corr.empty or not np.isfinite(corr.to_numpy(dtype=float)).any():
        return no_data_figure(title, message="Not enough shared hours to correlate")
    names = dict(
        zip(
            exploration.inventory["channel_id"].tolist(),
            exploration.inventory["channel_name"].tolist(),
            strict=True,
        )
    )
    values = corr.to_numpy(dtype=float).copy()
    values[np.triu_indices(len(values), k=1)] = np.nan  # each pair once: the lower triangle
    labels = [_label(c, names.get(c, c)) for c in corr.index]
    n = len(labels)
    with mpl.rc_context(STYLE):
        fig = new_figure(0.34 * n + 1.6)
        ax = fig.add_subplot()
        image = ax.imshow(
            values, cmap="BrBG", vmin=-1.0, vmax=1.0, interpolation="nearest", aspect="auto"
        )
        rows, cols = np.nonzero(np.isfinite(values))
        for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
            value = values[row, col]
            ink = "white" if abs(value) >= 0.6 else PALETTE["ink"]
            ax.text(col, row, f"{value:.2f}", ha="center", va="center", fontsize=6.5, color=ink)
        ax.set_yticks(np.arange(n), labels, fontsize=7)
        ax.set_xticks(np.arange(n), [str(c) for c in corr.columns], rotation=45, ha="right")
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(False)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        set_titles(ax, title, ["Pearson r on hourly energy; 1: they rise and fall together."])
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label("Pearson r [-]")
    return fig
