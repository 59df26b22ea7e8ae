"""Charts of ingestion: what one run wrote and rejected per channel, and daily coverage."""

from __future__ import annotations

from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from argo_lib.render.plots.figure import (
    new_figure,
    no_data_figure,
)
from argo_lib.render.theme import ACTION, BRAND, EMAIL_WIDTH_IN, PALETTE, STYLE

__all__ = ["plot_coverage_heatmap", "plot_ingest_rows"]


# --------------------------------------------------------------------------------------------
# Ingestion: what a run fetched, and daily coverage
# --------------------------------------------------------------------------------------------

_LABEL_CHARS = 34


def _channel_label(channel_id: Any, name: Any) -> str:
    text = "" if name is None or (isinstance(name, float) and np.isnan(name)) else str(name)
    text = text if len(text) <= _LABEL_CHARS else text[: _LABEL_CHARS - 1] + "…"
    return f"{channel_id} {text}".strip()


def plot_ingest_rows(channels: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Chart the readings written and values rejected per channel by one ingestion run.

    Parameters
    ----------
    channels : pandas.DataFrame
        ``IngestResult.channels``: ``channel_id``, ``channel_name``, ``status``, ``written`` and
        ``rejected`` [count].
    title : str, optional
        Chart title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = title or "Readings written and rejected per channel"
    if channels.empty:
        return no_data_figure(title, message="No channels were synced")
    with mpl.rc_context(STYLE):
        fig = new_figure(0.32 * len(channels) + 1.1)
        ax = fig.add_subplot()
        labels = [
            f"{_channel_label(c, n)} ({s})"
            for c, n, s in zip(
                channels["channel_id"], channels["channel_name"], channels["status"], strict=True
            )
        ]
        y = np.arange(len(channels))
        written = channels["written"].to_numpy(dtype="float64")
        rejected = channels["rejected"].to_numpy(dtype="float64")
        ax.barh(y, written, color=BRAND, label="written", height=0.6)
        ax.barh(y, rejected, left=written, color=ACTION, label="rejected", height=0.6)
        ax.set_yticks(y, labels)
        ax.invert_yaxis()
        ax.set_xlabel("Readings [count]")
        ax.grid(axis="x")
        ax.set_title(title)
        fig.legend(loc="outside lower center", ncols=2)
    return fig


def plot_coverage_heatmap(coverage: pd.DataFrame, *, title: str | None = None) -> Figure:
    """Chart daily coverage: channels down, site-local days across, 0 (red) to 1 (green).

    Parameters
    ----------
    coverage : pandas.DataFrame
        From :func:`argo_lib.ingest.read_daily_coverage` (index ``channel_id`` and
        ``channel_name``) or :func:`argo_lib.ingest.daily_coverage` (index ``channel_id``);
        columns are dates, values the fraction of expected intervals present [-].
    title : str, optional
        Chart title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    title = title or "Share of expected intervals stored per day"
    if coverage.empty:
        return no_data_figure(title, message="No channels to show")
    values = coverage.to_numpy(dtype="float64")
    if isinstance(coverage.index, pd.MultiIndex):
        labels = [_channel_label(c, n) for c, n in coverage.index]
    else:
        labels = [str(c) for c in coverage.index]
    with mpl.rc_context(STYLE):
        width = min(11.0, max(EMAIL_WIDTH_IN, 3.5 + 0.5 * values.shape[1]))
        fig = new_figure(0.3 * len(labels) + 1.3, width_in=width)
        ax = fig.add_subplot()
        image = ax.imshow(
            values, aspect="auto", cmap="RdYlGn", vmin=0.0, vmax=1.0, interpolation="nearest"
        )
        ax.set_yticks(np.arange(len(labels)), labels)
        if values.shape[1] <= 14:  # few days: write the share into each cell
            rows, cols = np.nonzero(np.isfinite(values))
            for row, col in zip(rows.tolist(), cols.tolist(), strict=True):
                value = values[row, col]
                ink = "white" if value >= 0.8 or value < 0.25 else PALETTE["ink"]
                ax.text(col, row, f"{value:.0%}", ha="center", va="center", fontsize=6.5, color=ink)
        days = [str(d) for d in coverage.columns]
        step = max(1, int(np.ceil(len(days) / 15)))
        ax.set_xticks(np.arange(0, len(days), step), days[::step], rotation=45, ha="right")
        ax.set_xlabel("Site-local date")
        ax.set_title(title)
        bar = fig.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
        bar.set_label("Coverage [-]")
    return fig
