"""Chart of after-hours energy: each meter's new operation and standing load while the site is closed."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from argo_lib.render.format import plural
from argo_lib.render.plots.figure import (
    NO_DATA,
    currency_symbol,
    display_names,
    new_figure,
    no_data_figure,
    set_titles,
    week_label,
)
from argo_lib.render.theme import ACTION, ATTENTION, PALETTE, STYLE

__all__ = ["plot_after_hours_by_meter"]


def plot_after_hours_by_meter(
    analysis: Any,
    *,
    top_n: int | None = None,
    title: str | None = None,
) -> Figure:
    """Chart each meter's after-hours energy above what the same hours drew in the baseline.

    Bars are the week's new after-hours operation per channel (the analysis'
    ``after_hours.excess_kwh``), largest first, labelled with energy and cost, coloured as the
    analysis judged it: red a significant meter whose win is high priority (above the quick
    wins' ``after_hours_high_kwh``), orange a significant one, grey one below significance
    (``significant`` is False). A standing load that the baseline weeks had too
    (``chronic_kwh`` where ``chronic_significant``) is drawn after it in a light hatched
    colour: it is to investigate, not to switch off.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    top_n : int, optional
        Most meters shown [-]; default the after-hours ``top_n`` threshold (10).
    title : str, optional
        Chart title; default names the chart and the week.

    Returns
    -------
    matplotlib.figure.Figure
        One axes of horizontal bars: x = energy [kWh], y = meters (largest on top). A week
        without after-hours data or either kind of energy gives a figure that says so.
    """
    title = title or f"After-hours energy by meter · {week_label(analysis.period)}"
    t = analysis.thresholds
    top_n = int(top_n if top_n is not None else t.after_hours.top_n)
    table = analysis.after_hours
    excess = pd.to_numeric(table["excess_kwh"], errors="coerce").to_numpy(dtype=float)
    chronic = pd.to_numeric(table.get("chronic_kwh"), errors="coerce")
    chronic_ok = table.get("chronic_significant")
    standing = (
        np.where(chronic_ok.to_numpy(dtype=bool), chronic.fillna(0.0).to_numpy(dtype=float), 0.0)
        if chronic is not None and chronic_ok is not None
        else np.zeros(len(table))
    )
    intervals = pd.to_numeric(table["intervals"], errors="coerce").fillna(0).to_numpy()
    names = display_names(analysis)
    no_baseline = table.loc[~np.isfinite(excess) & (intervals > 0), "channel_id"]
    new = np.where(np.isfinite(excess), excess, 0.0)
    total = new + standing
    order = np.argsort(-total, kind="stable")
    order = order[total[order] >= 0.05][:top_n]  # what the labels show as 0.0 kWh is left out
    if order.size == 0:
        has_data = bool((intervals > 0).any())
        message = "No after-hours energy above the baseline" if has_data else NO_DATA
        if has_data and len(no_baseline):
            message = "No after-hours energy measurable (baseline lacks data)"
        return no_data_figure(title, message=message)

    shown = table.iloc[order]
    values = new[order]
    stand = standing[order]
    costs = pd.to_numeric(shown["excess_cost"], errors="coerce").to_numpy(dtype=float)
    labels = [names.get(int(c), str(c)) for c in shown["channel_id"]]
    high = t.quick_wins.after_hours_high_kwh
    significant = shown["significant"].to_numpy(dtype=bool)
    colors = np.where(
        significant & (values > high),
        ACTION,
        np.where(significant, ATTENTION, PALETTE["below"]),
    )
    symbol = currency_symbol(analysis)
    with mpl.rc_context(STYLE):
        fig = new_figure(1.15 + 0.27 * len(shown))
        ax = fig.add_subplot()
        y = np.arange(len(shown))[::-1]
        bars = ax.barh(y, values, height=0.62, color=colors)
        for bar, cid in zip(bars, shown["channel_id"], strict=True):  # one per meter
            bar.set_gid(f"channel-{int(cid)}")
        if stand.any():
            ax.barh(
                y,
                stand,
                left=values,
                height=0.62,
                color=STANDING,
                edgecolor=PALETTE["below"],
                hatch="////",
                lw=0.0,
            )
        ax.set_yticks(y, labels)
        ax.tick_params(axis="y", length=0)
        ends = values + stand
        x_max = float(ends.max())
        ax.set_xlim(0.0, x_max * 1.45)
        for yi, v, sv, c in zip(y, values, stand, costs, strict=True):  # one label per bar
            parts = []
            if v > 0 or sv <= 0:
                cost = f" · {symbol}{c:,.2f}" if np.isfinite(c) else ""
                parts.append(f"{v:,.1f} kWh{cost}")
            if sv > 0:
                parts.append(f"{sv:,.1f} kWh standing")
            ax.text(v + sv + x_max * 0.01, yi, " + ".join(parts), va="center", fontsize=7.5)
        ax.grid(True, axis="x", color=PALETTE["grid"], lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel("Energy after hours this week, above the baseline's same hours [kWh]")
        ax.set_ylabel("Meter")
        handles = {
            ACTION: Patch(color=ACTION, label=f"New operation, > {high:g} kWh (high priority)"),
            ATTENTION: Patch(color=ATTENTION, label="New operation (significant)"),
            PALETTE["below"]: Patch(
                color=PALETTE["below"], label="New operation (not significant)"
            ),
        }
        legend = [h for c, h in handles.items() if c in set(colors[values > 0])]
        if stand.any():
            legend.append(
                Patch(
                    facecolor=STANDING,
                    edgecolor=PALETTE["below"],
                    hatch="////",
                    lw=0.0,
                    label="Standing load, as in the baseline weeks (investigate)",
                )
            )
        fig.legend(handles=legend, loc="outside lower center", ncols=min(len(legend), 2))
        notes = []
        hidden = int((total >= 0.05).sum()) - len(shown)
        if hidden > 0:
            notes.append(f"{plural(hidden, 'more meter')} with less after-hours energy not shown.")
        if len(no_baseline):
            notes.append("No baseline yet: " + ", ".join(names[int(c)] for c in no_baseline) + ".")
        set_titles(ax, title, notes)
    return fig


STANDING = "#dfe7f1"
"""Fill of the standing load's bars: light, so it reads as context next to the coloured waste."""
