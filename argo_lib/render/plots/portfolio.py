"""Charts of the portfolio overview: potential savings per site, and energy against baseline.

Both draw :class:`~argo_lib.analytics.portfolio.PortfolioOverview` (the sites' published briefs
of one week), one bar per site, in the status colours of :mod:`argo_lib.render.theme`; a site
without a brief keeps its row and says "no brief".
"""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from argo_lib.render import format as fmt
from argo_lib.render.plots.figure import add_legend, new_figure, no_data_figure, set_titles
from argo_lib.render.theme import (
    ACTION,
    EMAIL_WIDTH_IN,
    NORMAL,
    PALETTE,
    STATUS_COLORS,
    STATUS_LABELS,
    STYLE,
)

__all__ = ["NO_BRIEF_COLOR", "plot_portfolio_consumption", "plot_portfolio_savings"]

NO_BRIEF_COLOR = PALETTE["missing"]
"""Colour of a site without a brief for the week."""
_NO_BRIEF = "no_brief"


def _status_color(status: str) -> str:
    return STATUS_COLORS.get(status, NO_BRIEF_COLOR)


def _status_label(status: str) -> str:
    return STATUS_LABELS.get(status, "No brief")


def _names(sites: Any) -> list[str]:
    return [f"{name}" for name in sites["site_name"].astype(str)]


def plot_portfolio_savings(
    overview: Any, *, title: str | None = None, width_in: float = EMAIL_WIDTH_IN
) -> Figure:
    """Chart each site's potential savings this week, largest first, coloured by status.

    Parameters
    ----------
    overview : argo_lib.analytics.portfolio.PortfolioOverview
        From :func:`argo_lib.analytics.portfolio.summarize_portfolio`.
    title : str, optional
        Default names the chart and the week.
    width_in : float
        Width [in]; :data:`~argo_lib.render.theme.EMAIL_WIDTH_IN` (640 px) in the report, about
        4.2 in for the e-mail, where a phone shows it at its own width and the text must stay
        readable.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars: x = potential savings this week [currency], y = sites (the most on
        top), each labelled with money and energy [kWh]; a site without a brief says so.
    """
    title = title or f"Potential savings by site · {overview.week}"
    sites = overview.by_savings
    if sites.empty:
        return no_data_figure(title, message="No sites")
    cost = sites["savings_cost"].astype(float).fillna(0.0).to_numpy()
    kwh = sites["savings_kwh"].astype(float).to_numpy()
    statuses = sites["status"].astype(str).tolist()
    currency = overview.totals.get("currency")
    with mpl.rc_context(STYLE):
        fig = new_figure(1.35 + 0.3 * len(sites), width_in=width_in)
        ax = fig.add_subplot()
        y = np.arange(len(sites))[::-1]
        ax.barh(y, cost, height=0.62, color=[_status_color(s) for s in statuses])
        ax.set_yticks(y, _names(sites))
        ax.tick_params(axis="y", length=0)
        x_max = float(cost.max()) if cost.max() > 0 else 1.0
        ax.set_xlim(0.0, x_max / 0.6)  # the right 40 % for the labels
        for yi, c, k, status, code in zip(y, cost, kwh, statuses, sites["currency"], strict=True):
            if status == _NO_BRIEF:
                text = "no brief this week"
            else:
                text = f"{fmt.money(c, code)} · {fmt.number(k, 1)} kWh"
            ax.text(c + x_max * 0.01, yi, text, va="center", fontsize=7.5)
        ax.grid(True, axis="x", color=PALETTE["grid"], lw=0.6)
        ax.set_axisbelow(True)
        unit = fmt.currency_symbol(currency).strip() if currency else "site currency"
        ax.set_xlabel(f"Potential savings this week [{unit}]")
        shown = [s for s in (*STATUS_COLORS, _NO_BRIEF) if s in statuses]
        add_legend(
            fig,
            {_status_label(s): Patch(color=_status_color(s)) for s in shown},
            ncols=min(len(shown), 3 if width_in >= EMAIL_WIDTH_IN else 2),
        )
        set_titles(ax, title, ["As the sites' briefs found them."])
    return fig


def plot_portfolio_consumption(overview: Any, *, title: str | None = None) -> Figure:
    """Chart each site's energy this week against its baseline weeks, as a change [%].

    The baseline is each brief's own: the baseline weeks' mean power over this week's
    intervals with readings (not weather-normalised). Bars right of zero used more, in the
    "action" colour; bars left used less, in the "normal" colour.

    Parameters
    ----------
    overview : argo_lib.analytics.portfolio.PortfolioOverview
    title : str, optional
        Default names the chart and the week.

    Returns
    -------
    matplotlib.figure.Figure
        Horizontal bars: x = change against the baseline [%], y = sites in the order of
        :attr:`~argo_lib.analytics.portfolio.PortfolioOverview.by_savings`, each labelled with
        the week's and the baseline's energy [kWh].
    """
    title = title or f"Energy against the baseline weeks · {overview.week}"
    sites = overview.by_savings
    change = sites["change"].astype(float).to_numpy() * 100.0
    if sites.empty or not np.isfinite(change).any():
        return no_data_figure(title, message="No site has a baseline to compare with")
    energy = sites["energy_kwh"].astype(float).to_numpy()
    baseline = sites["baseline_energy_kwh"].astype(float).to_numpy()
    statuses = sites["status"].astype(str).tolist()
    shown = np.where(np.isfinite(change), change, 0.0)
    low, high = min(float(shown.min()), 0.0), max(float(shown.max()), 0.0)
    span = max(high - low, 5.0)
    with mpl.rc_context(STYLE):
        fig = new_figure(1.35 + 0.3 * len(sites))
        ax = fig.add_subplot()
        y = np.arange(len(sites))[::-1]
        colors = np.where(shown > 0, ACTION, NORMAL)
        ax.barh(y, shown, height=0.62, color=colors)
        ax.axvline(0.0, color=PALETTE["ink"], lw=0.8)
        ax.set_yticks(y, _names(sites))
        ax.tick_params(axis="y", length=0)
        # every label starts right of zero or of its bar, so none runs into the site names:
        # keep the right 55 % of the axes free beyond the longest bar for them
        left = low - span * 0.05 if low < 0 else -span * 0.02
        ax.set_xlim(left, (high - 0.55 * left) / 0.45)
        for yi, c, e, b, status in zip(y, change, energy, baseline, statuses, strict=True):
            if status == _NO_BRIEF:
                text, at = "no brief this week", 0.0
            elif not np.isfinite(c):
                text, at = f"{fmt.number(e, 0)} kWh, no baseline", 0.0
            else:
                sign = "+" if c >= 0 else "−"
                text = f"{sign}{fmt.number(abs(c), 1)} % · {fmt.number(e, 0)} kWh"
                text += f" (baseline {fmt.number(b, 0)})"
                at = max(c, 0.0)
            ax.text(at + span * 0.02, yi, text, va="center", ha="left", fontsize=7.5)
        ax.grid(True, axis="x", color=PALETTE["grid"], lw=0.6)
        ax.set_axisbelow(True)
        ax.set_xlabel("Mean power this week against the baseline weeks [%]")
        entries = {
            "Used more than the baseline": Patch(color=ACTION),
            "Used less": Patch(color=NORMAL),
        }
        used = [bool((shown > 0).any()), bool((shown < 0).any())]
        legend = {k: v for (k, v), on in zip(entries.items(), used, strict=True) if on}
        if legend:
            add_legend(fig, legend, ncols=2)
        set_titles(ax, title, ["Over each site's intervals with readings; not weather-normalised."])
    return fig
