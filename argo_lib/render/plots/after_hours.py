"""Chart of after-hours waste: each meter's energy above its base load while the site is closed."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
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
    """Chart the after-hours waste of each meter: energy above its base load while closed.

    Bars are the week's excess after-hours energy per channel (the analysis'
    ``after_hours.excess_kwh``), largest first, labelled with energy and cost. Red marks the
    quick-win "high priority" level, orange the significance threshold, grey the rest.

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
        One axes of horizontal bars: x = excess energy [kWh], y = meters (largest on top). A
        week without after-hours data or waste gives a figure that says so.
    """
    title = title or f"After-hours waste by meter · {week_label(analysis.period)}"
    t = analysis.thresholds
    top_n = int(top_n if top_n is not None else t.after_hours.top_n)
    table = analysis.after_hours
    excess = pd.to_numeric(table["excess_kwh"], errors="coerce").to_numpy(dtype=float)
    intervals = pd.to_numeric(table["intervals"], errors="coerce").fillna(0).to_numpy()
    names = display_names(analysis)
    no_baseline = table.loc[~np.isfinite(excess) & (intervals > 0), "channel_id"]
    shown = table[np.isfinite(excess) & (excess > 0)]
    shown = shown.sort_values("excess_kwh", ascending=False, kind="stable").head(top_n)
    if shown.empty:
        has_data = bool((intervals > 0).any())
        message = "No after-hours waste above base load" if has_data else NO_DATA
        if has_data and len(no_baseline):
            message = "No after-hours waste measurable (baseline lacks data)"
        return no_data_figure(title, message=message)

    values = shown["excess_kwh"].to_numpy(dtype=float)
    costs = pd.to_numeric(shown["excess_cost"], errors="coerce").to_numpy(dtype=float)
    labels = [names.get(int(c), str(c)) for c in shown["channel_id"]]
    high = t.quick_wins.after_hours_high_kwh
    significant = t.after_hours.min_weekly_kwh
    colors = np.where(
        values >= high, ACTION, np.where(values >= significant, ATTENTION, PALETTE["below"])
    )
    symbol = currency_symbol(analysis)
    with mpl.rc_context(STYLE):
        fig = new_figure(1.15 + 0.27 * len(shown))
        ax = fig.add_subplot()
        y = np.arange(len(shown))[::-1]
        bars = ax.barh(y, values, height=0.62, color=colors)
        for bar, cid in zip(bars, shown["channel_id"], strict=True):  # one per meter
            bar.set_gid(f"channel-{int(cid)}")
        ax.set_yticks(y, labels)
        ax.tick_params(axis="y", length=0)
        x_max = float(values.max())
        ax.set_xlim(0.0, x_max * 1.32)
        for yi, v, c in zip(y, values, costs, strict=True):  # one label per bar
            cost = f" · {symbol}{c:,.2f}" if np.isfinite(c) else ""
            ax.text(v + x_max * 0.01, yi, f"{v:,.1f} kWh{cost}", va="center", fontsize=7.5)
        if significant <= x_max * 1.3:
            ax.axvline(significant, color=PALETTE["muted"], lw=0.7, ls=(0, (2, 2)))
        ax.grid(True, axis="x", color=PALETTE["grid"], lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel("Excess energy after hours this week [kWh]")
        ax.set_ylabel("Meter")
        handles = [
            Patch(color=ACTION, label=f"≥ {high:g} kWh (high priority)"),
            Patch(color=ATTENTION, label=f"≥ {significant:g} kWh (significant)"),
            Patch(color=PALETTE["below"], label=f"< {significant:g} kWh"),
            Line2D(
                [],
                [],
                color=PALETTE["muted"],
                lw=0.7,
                ls=(0, (2, 2)),
                label=f"{significant:g} kWh threshold",
            ),
        ]
        used = {ACTION: 0, ATTENTION: 1, PALETTE["below"]: 2}
        keep = sorted({used[c] for c in colors}) + [3]
        fig.legend(
            handles=[handles[i] for i in keep],
            loc="outside lower center",
            ncols=len(keep),
            columnspacing=1.2,
        )
        notes = []
        hidden = int((np.isfinite(excess) & (excess > 0)).sum()) - len(shown)
        if hidden > 0:
            notes.append(f"{plural(hidden, 'more meter')} with smaller waste not shown.")
        if len(no_baseline):
            notes.append("No baseline yet: " + ", ".join(names[int(c)] for c in no_baseline) + ".")
        set_titles(ax, title, notes)
    return fig
