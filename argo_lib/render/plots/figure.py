"""The chart kit: the figure class every chart returns, PNG output, and shared drawing helpers.

Every chart of :mod:`argo_lib.render.plots` returns a :class:`ChartFigure`, a plain
:class:`matplotlib.figure.Figure` that is never registered with pyplot: nothing is shown twice in
a notebook and nothing stays open. In a notebook, leave the figure as the last expression of a
cell (no trailing ``;``): it renders as PNG through ``_repr_png_``, once, and
:meth:`ChartFigure.to_png` hands the same bytes to the e-mail and the run's files, so every
artefact of a run shows the same picture.

The helpers draw what every time chart shares: a local-day axis over the real elapsed hours of
the week (DST weeks are 167 or 169 h long), titles with a line of notes, a legend below the
chart, shaded spans of interval masks.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.layout_engine import ConstrainedLayoutEngine

from argo_lib.render import format as fmt
from argo_lib.render.theme import EMAIL_WIDTH_IN, PALETTE, PNG_DPI, SCREEN_DPI, STYLE
from argo_lib.stats import runs_2d

__all__ = [
    "DASHED",
    "INCOMPLETE",
    "INCOMPLETE_PATCH",
    "NO_DATA",
    "ChartFigure",
    "intervals_between",
    "currency_symbol",
    "display_names",
    "figure_alt_text",
    "figure_to_png",
    "hours_since",
    "interval_mask",
    "add_legend",
    "local_midnights",
    "axes_message",
    "new_figure",
    "no_data_figure",
    "shade_spans",
    "time_axis",
    "set_titles",
    "tz_name",
    "week_label",
]

NO_DATA = "No data for this week"
"""What an empty chart says."""
_NEAR_WHITE = 3
"""Palette entries this close to white [0-255 per channel] are drawn white."""

DASHED = (0, (3, 2))
"""Dash pattern of the median and level-shift lines."""
INCOMPLETE: dict[str, Any] = {
    "facecolor": "none",
    "edgecolor": PALETTE["missing"],
    "hatch": "////",
    "lw": 0,
}
INCOMPLETE_PATCH: dict[str, Any] = {
    "facecolor": "white",
    "edgecolor": PALETTE["missing"],
    "hatch": "////",
}


class ChartFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that shows itself as PNG in notebooks.

    It is created outside pyplot, so Jupyter shows it once (as the cell's result) and it is
    freed when no longer referenced. The PNG shown is kept: :meth:`to_png` returns the same
    bytes for the e-mail and the run's files instead of drawing the chart again.
    """

    _png: bytes | None = None

    def to_png(self) -> bytes:
        """The chart as PNG (:data:`~argo_lib.render.theme.PNG_DPI`), drawn at most once.

        Returns
        -------
        bytes
            The image last shown in the notebook, or a new rendering if it was never shown.
        """
        if self._png is None:
            self._png = figure_to_png(self)
        return self._png

    def _repr_png_(self) -> tuple[bytes, dict[str, Any]]:
        # Drawn on every display (the figure may have been changed since), kept for to_png;
        # shown 640 px wide whatever the pixel density, with the title as alternative text.
        self._png = figure_to_png(self)
        width = round(self.get_figwidth() * SCREEN_DPI)
        return self._png, {"width": width, "alt": figure_alt_text(self)}


def figure_to_png(fig: Figure, *, dpi: float = PNG_DPI, palette: bool = True) -> bytes:
    """Render a figure as PNG bytes, e.g. for an e-mail CID image part.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    dpi : float
        Resolution [dots per inch]; at the default a
        :data:`~argo_lib.render.theme.EMAIL_WIDTH_IN` wide chart is 960 px wide, shown 640 px
        wide.
    palette : bool
        Store the image with a palette of 256 colours (no dithering): the charts have few
        colours, so this looks the same at about a third of the size. False stores RGB.

    Returns
    -------
    bytes
        An opaque PNG image (white background, no alpha channel, no metadata text).

    Examples
    --------
    >>> png = figure_to_png(ChartFigure(figsize=(2, 1)))
    >>> png[1:4]
    b'PNG'
    """
    # draw once into a raw RGBA buffer (no PNG encoded only to be decoded again), then store
    # it with a palette: the charts have few colours, so the fast octree quantizer keeps them
    raw = io.BytesIO()
    fig.savefig(raw, format="raw", dpi=dpi, facecolor="white")
    # Agg rounds the canvas to whole pixels from the transformed figure box: take the width from
    # the figure (charts are 960 px wide) and the height from the buffer itself
    width = round(fig.get_figwidth() * dpi)
    height, rest = divmod(raw.getbuffer().nbytes, 4 * width)
    if rest:
        raise RuntimeError(f"a {width} px wide chart gave {raw.getbuffer().nbytes} bytes of RGBA")
    # any buffer works (the memoryview avoids a copy); Pillow's hints name bytes and bytearray only
    with PIL.Image.frombuffer(
        "RGBA",
        (width, height),
        raw.getbuffer(),  # type: ignore[arg-type]
        "raw",
        "RGBA",
        0,
        1,
    ) as image:
        rgb = image.convert("RGB")
    if palette:
        rgb = rgb.quantize(
            colors=256, method=PIL.Image.Quantize.FASTOCTREE, dither=PIL.Image.Dither.NONE
        )
        # the octree averages white with the palest anti-aliasing: put white back (a page-white
        # chart must not sit on a faintly grey card in the report or the e-mail)
        colours = np.asarray(rgb.getpalette() or [], dtype=np.int16).reshape(-1, 3)
        colours[(255 - colours).max(axis=1) <= _NEAR_WHITE] = 255
        rgb.putpalette(colours.astype(np.uint8).ravel().tolist())
    out = io.BytesIO()
    rgb.save(out, format="PNG")
    return out.getvalue()


def figure_alt_text(fig: Figure) -> str:
    """Alternative text of a chart: its title (and notes), for screen readers and mail clients."""
    texts = []
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    if suptitle:
        texts.append(suptitle)
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            title = ax.get_title(loc=loc)
            if title and title not in texts:
                texts.append(title)
        if texts:
            break
    return " · ".join(texts) or "Chart"


def new_figure(height_in: float, *, width_in: float = EMAIL_WIDTH_IN) -> ChartFigure:
    """An empty chart of this size [in] with the house's constrained layout."""
    fig = ChartFigure(figsize=(width_in, height_in), dpi=SCREEN_DPI, layout="constrained")
    engine = fig.get_layout_engine()
    assert isinstance(engine, ConstrainedLayoutEngine)
    engine.set(w_pad=0.04, h_pad=0.04, hspace=0.02, wspace=0.02)
    return fig


def axes_message(ax: Axes, text: str) -> None:
    """Write a short message in the middle of an axes (e.g. "No readings this week")."""
    ax.text(
        0.5,
        0.5,
        text,
        transform=ax.transAxes,
        ha="center",
        va="center",
        fontsize=9.5,
        color=PALETTE["muted"],
    )


def no_data_figure(title: str, *, message: str = NO_DATA, height_in: float = 1.6) -> Figure:
    """A figure that says there is nothing to plot, with the chart's title."""
    with mpl.rc_context(STYLE):
        fig = new_figure(height_in)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_title(title)
        axes_message(ax, message)
    return fig


# --------------------------------------------------------------------------------------------
# Time axis and names


def tz_name(analysis: Any) -> str:
    """The site's time zone name, for axis labels."""
    name = getattr(analysis.site, "timezone", None)
    return str(name) if name else str(analysis.period.tz)


def local_midnights(period: Any) -> pd.DatetimeIndex:
    """Local midnights from the first day of the period to its end (calendar days, DST-safe)."""
    tz = period.start.tz
    first = period.start.tz_convert(tz).date()
    last = (period.end.tz_convert(tz) - pd.Timedelta(microseconds=1)).date()
    days = pd.date_range(first, last + dt.timedelta(days=1), freq="D")  # naive calendar dates
    return days.tz_localize(tz, nonexistent="shift_forward", ambiguous=True)


def hours_since(times: Any, period: Any) -> np.ndarray:
    """Real elapsed hours from the start of the period (the x coordinate of time charts)."""
    index = pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns")
    start = period.start.tz_convert("UTC").as_unit("ns").value
    return (index.asi8 - start) / 3.6e12


def week_label(period: Any) -> str:
    """E.g. ``"Mon 16 – Sun 22 Nov 2026"``: the period's first and last local days."""
    return fmt.week_range(period.start, period.end)


def time_axis(ax: Axes, analysis: Any, *, labels: str = "full", ticks: bool = True) -> None:
    """Local-day ticks on an elapsed-hours axis: lines at midnight, day names at noon.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes.
    analysis : SiteWeekAnalysis
        Gives the week (``analysis.period``).
    labels : str
        Day labels: ``"full"`` (``Mon 16``), ``"day"`` (``Mon``) or ``"letters"`` (``Mo``),
        shorter for narrower panels.
    ticks : bool
        Set the limits, tick positions and labels. Axes that share their x axis share these:
        set them once, and style each axes with ``ticks=False`` (setting them on each of n
        shared axes costs n² tick updates).
    """
    if ticks:
        period = analysis.period
        midnights = local_midnights(period)
        edges = np.clip(hours_since(midnights, period), 0.0, period.hours)
        ax.set_xlim(0.0, period.hours)
        ax.set_xticks(edges)
        ax.set_xticklabels([])
        centres = (edges[:-1] + edges[1:]) / 2.0
        ax.set_xticks(centres, minor=True)
        form = {"full": "{d:%a} {d.day}", "day": "{d:%a}", "letters": "{d:%a}"}[labels]
        day_labels = [
            form.format(d=d)[: 2 if labels == "letters" else None] for d in midnights[:-1]
        ]
        ax.set_xticklabels(day_labels, minor=True)
    ax.tick_params(axis="x", which="major", length=3.0)
    ax.tick_params(axis="x", which="minor", length=0, pad=3)
    ax.grid(True, axis="x", which="major", color=PALETTE["grid"], linewidth=0.6)
    ax.set_axisbelow(True)


def display_names(analysis: Any) -> dict[int, str]:
    """Short display names: the site file's name, else the analysis' channel name."""
    frame = analysis.channels
    site = analysis.site
    names = {}
    for cid, name in zip(
        frame["channel_id"].to_numpy(dtype=np.int64),
        frame["channel_name"].astype(object).to_numpy(),
        strict=True,
    ):  # one per channel
        configured = site.channel(int(cid)) if hasattr(site, "channel") else None
        short = getattr(configured, "name", None) if configured is not None else None
        names[int(cid)] = str(short) if short else (str(name) if name else str(cid))
    return names


def currency_symbol(analysis: Any) -> str:
    """The symbol of the site's tariff currency (``$`` for USD)."""
    return fmt.currency_symbol(getattr(getattr(analysis.site, "tariff", None), "currency", None))


def set_titles(ax: Axes, title: str, notes: Sequence[str]) -> None:
    """Title above the axes, with a line of small notes between title and plot."""
    text = " ".join(n for n in notes if n)
    if not text:
        ax.set_title(title)
        return
    fig = ax.get_figure(root=True)
    assert fig is not None, "the axes belong to a figure"
    width_in = fig.get_figwidth() - 0.8  # from the axes' left edge to the figure's right
    lines = textwrap.wrap(text, width=max(int(width_in * 18), 30))  # 7 pt: ~18 characters/in
    ax.text(
        0.0,
        1.0 + 0.01,
        "\n".join(lines[:2]),
        transform=ax.transAxes,
        fontsize=7,
        color=PALETTE["muted"],
        va="bottom",
        ha="left",
        linespacing=1.1,
    )
    ax.set_title(title, pad=4 + 9 * min(len(lines), 2))


def add_legend(fig: Figure, entries: Mapping[str, Any], *, ncols: int, **kwargs: Any) -> None:
    """A legend below the chart whose entries read row by row (matplotlib fills columns)."""
    labels = list(entries)
    ncols = max(1, min(ncols, len(labels)))
    nrows = math.ceil(len(labels) / ncols)
    order = [
        i * ncols + j for j in range(ncols) for i in range(nrows) if i * ncols + j < len(labels)
    ]
    fig.legend(
        [entries[labels[k]] for k in order],
        [labels[k] for k in order],
        loc=kwargs.pop("loc", "outside lower center"),
        ncols=ncols,
        columnspacing=1.2,
        **kwargs,
    )


def shade_spans(
    ax: Axes, x0: np.ndarray, step_h: float, mask: np.ndarray, *, max_gap: int = 0, **style: Any
) -> bool:
    """Shade the runs of True of an interval mask across the full height of an axes.

    Runs at most ``max_gap`` intervals apart are shaded as one. Returns whether any was shaded.
    """
    runs = runs_2d(np.asarray(mask, dtype=bool)[:, None], max_gap=max_gap)
    start, stop = runs.start, runs.stop
    if start.size == 0:
        return False
    ranges = list(zip(x0[start], (stop - start) * step_h, strict=True))
    ax.broken_barh(ranges, (0, 1), transform=ax.get_xaxis_transform(), **style)
    return True


def interval_mask(
    times: pd.Series | pd.DatetimeIndex,
    resolution_s: np.ndarray | int,
    index: pd.DatetimeIndex,
    step_s: int,
) -> np.ndarray:
    """Mark the intervals of ``index`` covered by intervals ``[t, t + resolution)``."""
    mask = np.zeros(len(index), dtype=bool)
    if len(times) == 0 or len(index) == 0:
        return mask
    t = pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns").asi8
    res = np.broadcast_to(np.asarray(resolution_s, dtype=np.int64), t.shape)
    n = np.maximum(res // step_s, 1)
    first = (t - index.as_unit("ns").asi8[0]) // (step_s * 1_000_000_000)
    rows = np.repeat(first, n) + (np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n))
    rows = rows[(rows >= 0) & (rows < len(index))]
    mask[rows] = True
    return mask


def intervals_between(index: pd.DatetimeIndex, start: Any, end: Any) -> np.ndarray:
    """Mark the intervals of ``index`` that start within any ``[start, end)``."""
    ns = index.as_unit("ns").asi8
    a = np.searchsorted(ns, pd.DatetimeIndex(start).tz_convert("UTC").as_unit("ns").asi8)
    b = np.searchsorted(ns, pd.DatetimeIndex(end).tz_convert("UTC").as_unit("ns").asi8)
    delta = np.zeros(len(ns) + 1, dtype=np.int64)
    np.add.at(delta, a, 1)
    np.add.at(delta, b, -1)
    return np.cumsum(delta)[:-1] > 0
