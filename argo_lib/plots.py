"""Charts of the weekly brief: site load, after-hours waste, a week heat map, channel panels.

Every chart is one function that takes the :class:`~argo_lib.analytics.SiteWeekAnalysis` (and
the readings where it needs the load itself) and returns a :class:`ChartFigure`, a plain
:class:`matplotlib.figure.Figure` that is never registered with pyplot: nothing is shown twice
in a notebook and nothing stays open. In a notebook, leave the figure as the last expression of
a cell (no trailing ``;``): it renders as PNG through ``_repr_png_``. For the e-mail,
:func:`figure_to_png` gives the bytes of a CID image part.

All charts share one style (:data:`STYLE`, :data:`PALETTE`): this week's load in the brand
colour, the baseline's usual range in grey, problems in the status colours, one fixed colour per
channel (:func:`channel_colors`). Times are site-local, with the zone in the axis label; the
time axis is real elapsed hours from the start of the week, so DST weeks (167 or 169 h) plot
at their true length. Every axis carries its unit, and an empty week gives a figure that says
so instead of an exception.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.collections import PatchCollection
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from argo_lib import dates
from argo_lib.analytics import baseline as baselines
from argo_lib.analytics import grid as grids
from argo_lib.analytics import health

__all__ = [
    "ACCENT",
    "ACTION",
    "ATTENTION",
    "BRAND",
    "CHANNEL_PALETTE",
    "EMAIL_DPI",
    "EMAIL_WIDTH_IN",
    "NORMAL",
    "PALETTE",
    "STATUS_COLORS",
    "STYLE",
    "ChartFigure",
    "channel_colors",
    "plot_coverage_heatmap",
    "plot_ingest_rows",
    "figure_alt_text",
    "figure_to_png",
    "plot_after_hours_by_meter",
    "plot_channel_small_multiples",
    "plot_site_load",
    "plot_week_heatmap",
    "site_load_frame",
]

# --------------------------------------------------------------------------------------------
# Style

BRAND = "#0b5d5b"
"""Brand colour: this week's load."""
ACCENT = "#e07a1f"
"""Accent colour: spikes and highlights."""
ACTION = "#b42318"
"""Status colour "action required"; also unusual consumption."""
ATTENTION = "#b54708"
"""Status colour "attention needed"."""
NORMAL = "#027a48"
"""Status colour "operating normally"."""
STATUS_COLORS = {
    "action_required": ACTION,
    "attention_needed": ATTENTION,
    "operating_normally": NORMAL,
}
"""Colour of each brief status."""

PALETTE = {
    "brand": BRAND,
    "accent": ACCENT,
    "action": ACTION,
    "attention": ATTENTION,
    "normal": NORMAL,
    "ink": "#1d2939",
    "muted": "#667085",
    "grid": "#e4e7ec",
    "band": "#c3cad5",
    "median": "#667085",
    "closed": "#eef0f3",
    "missing": "#d0d5dd",
    "below": "#98a2b3",
    "unusual": "#fde3e1",
    "suspect": "#fdeac4",
}
"""Named colours shared by all charts."""

CHANNEL_PALETTE = (
    "#0b5d5b",
    "#1f5fa8",
    "#6941c6",
    "#4e7d23",
    "#0e7090",
    "#9e3b8a",
    "#475467",
    "#7a5c2e",
    "#2e90fa",
    "#3b7c6e",
)
"""One colour per channel (no reds or oranges: those mean a problem)."""

EMAIL_WIDTH_IN = 6.4
"""Figure width [in]: 640 px at :data:`EMAIL_DPI`, readable at e-mail width."""
EMAIL_DPI = 100
"""Resolution of the e-mail PNGs [dots per inch]."""
HTML_DPI = 150
"""Resolution of charts in notebooks and the HTML report [dots per inch]."""

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 4.0,
    "axes.labelsize": 8.5,
    "axes.labelcolor": PALETTE["ink"],
    "axes.edgecolor": "#98a2b3",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": PALETTE["grid"],
    "grid.linewidth": 0.6,
    "text.color": PALETTE["ink"],
    "xtick.color": PALETTE["muted"],
    "ytick.color": PALETTE["muted"],
    "xtick.labelcolor": PALETTE["ink"],
    "ytick.labelcolor": PALETTE["ink"],
    "xtick.labelsize": 7.5,
    "ytick.labelsize": 7.5,
    "xtick.major.size": 3.0,
    "ytick.major.size": 3.0,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "legend.fontsize": 7.5,
    "legend.frameon": False,
    "legend.handlelength": 1.6,
    "figure.facecolor": "white",
    "figure.dpi": EMAIL_DPI,
    "savefig.facecolor": "white",
    "lines.linewidth": 1.1,
    "lines.solid_capstyle": "round",
}
"""Matplotlib settings applied (locally, via ``rc_context``) while a chart is drawn."""

_HEAT_CMAP = LinearSegmentedColormap.from_list(
    "argo_heat", ["#f4faf9", "#b9dcd7", "#5fa8a0", BRAND, "#06302f"]
)
_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "CAD": "C$", "AUD": "A$"}
_NO_DATA = "No data for this week"


class ChartFigure(Figure):
    """A :class:`matplotlib.figure.Figure` that shows itself as PNG in notebooks.

    It is created outside pyplot, so Jupyter shows it once (as the cell's result) and it is
    freed when no longer referenced.
    """

    def _repr_png_(self) -> tuple[bytes, dict[str, Any]]:
        # Notebooks and the HTML report: sharper than the e-mail image (1.5x), shown at the
        # same 640 px width, with the chart's title as alternative text.
        png = figure_to_png(self, dpi=HTML_DPI)
        width = round(self.get_figwidth() * EMAIL_DPI)
        return png, {"width": width, "alt": figure_alt_text(self)}


def figure_to_png(fig: Figure, *, dpi: float = EMAIL_DPI, palette: bool = True) -> bytes:
    """Render a figure as PNG bytes, e.g. for an e-mail CID image part.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The chart.
    dpi : float
        Resolution [dots per inch]; at the default a :data:`EMAIL_WIDTH_IN` wide chart is
        640 px wide.
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
    rgba = io.BytesIO()
    fig.savefig(rgba, format="png", dpi=dpi, facecolor="white", metadata={"Software": None})
    rgba.seek(0)
    with PIL.Image.open(rgba) as image:
        rgb = image.convert("RGB")
    if palette:
        rgb = rgb.quantize(
            colors=256, method=PIL.Image.Quantize.MEDIANCUT, dither=PIL.Image.Dither.NONE
        )
    out = io.BytesIO()
    rgb.save(out, format="PNG", optimize=True)
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


def channel_colors(channel_ids: Iterable[int]) -> dict[int, str]:
    """Give each channel its colour: the same channel gets the same colour in every chart.

    Parameters
    ----------
    channel_ids : iterable of int
        The site's analysed channels (their order does not matter).

    Returns
    -------
    dict of int to str
        Hex colour per channel, from :data:`CHANNEL_PALETTE` in channel-id order (repeating
        after ten channels).

    Examples
    --------
    >>> channel_colors([162120, 162119])
    {162119: '#0b5d5b', 162120: '#1f5fa8'}
    """
    ids = sorted({int(c) for c in channel_ids})
    return {cid: CHANNEL_PALETTE[i % len(CHANNEL_PALETTE)] for i, cid in enumerate(ids)}


def _new_figure(height_in: float, *, width_in: float = EMAIL_WIDTH_IN) -> ChartFigure:
    fig = ChartFigure(figsize=(width_in, height_in), dpi=EMAIL_DPI, layout="constrained")
    fig.get_layout_engine().set(w_pad=0.04, h_pad=0.04, hspace=0.02, wspace=0.02)
    return fig


def _message(ax: Axes, text: str) -> None:
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


def _no_data_figure(title: str, *, message: str = _NO_DATA, height_in: float = 1.6) -> Figure:
    """A figure that says there is nothing to plot, with the chart's title."""
    with mpl.rc_context(STYLE):
        fig = _new_figure(height_in)
        ax = fig.add_subplot()
        ax.set_axis_off()
        ax.set_title(title)
        _message(ax, message)
    return fig


# --------------------------------------------------------------------------------------------
# Time axis and names


def _tz_name(analysis: Any) -> str:
    name = getattr(analysis.site, "timezone", None)
    return str(name) if name else str(analysis.period.tz)


def _local_midnights(period: Any) -> pd.DatetimeIndex:
    """Local midnights from the first day of the period to its end (calendar days, DST-safe)."""
    tz = period.start.tz
    first = period.start.tz_convert(tz).date()
    last = (period.end.tz_convert(tz) - pd.Timedelta(microseconds=1)).date()
    days = pd.date_range(first, last + dt.timedelta(days=1), freq="D")  # naive calendar dates
    return days.tz_localize(tz, nonexistent="shift_forward", ambiguous=True)


def _hours_since(times: Any, period: Any) -> np.ndarray:
    """Real elapsed hours from the start of the period (the x coordinate of time charts)."""
    index = pd.DatetimeIndex(times).tz_convert("UTC").as_unit("ns")
    start = period.start.tz_convert("UTC").as_unit("ns").value
    return (index.asi8 - start) / 3.6e12


def _week_label(period: Any) -> str:
    """E.g. ``"Mon 16 – Sun 22 Nov 2026"`` (or the period's label when not a week)."""
    first = period.start
    last = period.end - pd.Timedelta(microseconds=1)
    a, b = f"{first:%a} {first.day}", f"{last:%a} {last.day}"
    if first.year != last.year:
        return f"{a} {first:%b %Y} – {b} {last:%b %Y}"
    if first.month != last.month:
        return f"{a} {first:%b} – {b} {last:%b %Y}"
    return f"{a} – {b} {last:%b %Y}"


def _time_axis(ax: Axes, analysis: Any, *, short: bool = False) -> None:
    """Local-day ticks on an elapsed-hours axis: lines at midnight, day names at noon."""
    period = analysis.period
    midnights = _local_midnights(period)
    edges = np.clip(_hours_since(midnights, period), 0.0, period.hours)
    ax.set_xlim(0.0, period.hours)
    ax.set_xticks(edges)
    ax.set_xticklabels([])
    ax.tick_params(axis="x", which="major", length=3.0)
    centres = (edges[:-1] + edges[1:]) / 2.0
    ax.set_xticks(centres, minor=True)
    day_labels = [f"{d:%a}"[:2] if short else f"{d:%a} {d.day}" for d in midnights[:-1]]
    ax.set_xticklabels(day_labels, minor=True)
    ax.tick_params(axis="x", which="minor", length=0, pad=3)
    ax.grid(True, axis="x", which="major", color=PALETTE["grid"], linewidth=0.6)
    ax.set_axisbelow(True)


def _display_names(analysis: Any) -> dict[int, str]:
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


def _currency(analysis: Any) -> str:
    code = str(getattr(getattr(analysis.site, "tariff", None), "currency", "USD"))
    return _CURRENCY_SYMBOLS.get(code, code + " ")


def _titles(ax: Axes, title: str, notes: Sequence[str]) -> None:
    """Title above the axes, with a line of small notes between title and plot."""
    text = " ".join(n for n in notes if n)
    if not text:
        ax.set_title(title)
        return
    width_in = ax.figure.get_figwidth() - 0.8  # from the axes' left edge to the figure's right
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


# --------------------------------------------------------------------------------------------
# Data: grids, the site's load and the usual range


def _table(analysis: Any) -> pd.DataFrame:
    frame = analysis.channels
    table = pd.DataFrame({"channel_id": frame["channel_id"].to_numpy(dtype=np.int64)})
    for column in grids.CHANNEL_COLUMNS[1:]:
        table[column] = frame[column].to_numpy() if column in frame.columns else None
    table["resolution_s"] = table["resolution_s"].astype(np.int64)
    return table


def _build(analysis: Any, frame: pd.DataFrame, table: pd.DataFrame, period: Any) -> dict:
    return grids.build_grids(
        frame,
        table,
        period=period,
        tz=analysis.site.tz,
        opening_hours=getattr(analysis.site, "opening_hours", None),
        holidays=analysis.holidays,
    )


def _channel_grids(analysis: Any, readings: pd.DataFrame | None) -> tuple[dict, dict]:
    """Report and baseline grids of the analysed channels (one per resolution)."""
    frame = grids.check_readings(readings)
    table = _table(analysis)
    return _build(analysis, frame, table, analysis.period), _build(
        analysis, frame, table, analysis.baseline
    )


def _energy(g: grids.Grid) -> np.ndarray:
    return np.where(np.isfinite(g.energy_kwh), g.energy_kwh, g.load_kw * g.dt_h)


def _site_sum(
    by_res: Mapping[int, grids.Grid], ids: np.ndarray, index: pd.DatetimeIndex, res: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum channels onto one interval grid: load [kW], energy [kWh], channels present [-].

    A coarser channel contributes its mean power to each finer interval and its energy in
    proportion to the interval length, so totals are kept.
    """
    n = len(index)
    load, energy, present = np.zeros(n), np.zeros(n), np.zeros(n, dtype=np.int64)
    ns = index.as_unit("ns").asi8
    for g in by_res.values():  # one or two resolutions
        cols = np.isin(g.channel_ids, ids)
        if not cols.any() or len(g.index) == 0:
            continue
        rows = (ns - g.index[0].value) // (g.resolution_s * 1_000_000_000)
        ok = (rows >= 0) & (rows < len(g.index))
        part_load = g.load_kw[:, cols][rows[ok]]
        part_energy = _energy(g)[:, cols][rows[ok]] * (res / g.resolution_s)
        load[ok] += np.nansum(part_load, axis=1)
        energy[ok] += np.nansum(part_energy, axis=1)
        present[ok] += np.isfinite(part_load).sum(axis=1)
    return load, energy, present


def _site_channels(analysis: Any, report: Mapping[int, grids.Grid]) -> tuple[np.ndarray, str]:
    """Channels that make up the site's load this week, and how that load is described."""
    frame = analysis.channels
    ids = frame["channel_id"].to_numpy(dtype=np.int64)
    main = ids[(frame["role"].astype(str) == "main").to_numpy()]
    with_data = np.concatenate(
        [g.channel_ids[g.present.any(axis=0)] for g in report.values()] or [np.empty(0, int)]
    )
    pool = main if main.size else ids
    chosen = pool[np.isin(pool, with_data)]
    kind = "main meter" if main.size else "sum of the meters"
    return chosen, kind


def site_load_frame(analysis: Any, readings: pd.DataFrame | None) -> pd.DataFrame:
    """The site's load in the report week, with the usual range from the baseline weeks.

    The site's load is its main (utility) meter, or the sum of the analysed channels when the
    site has none, over the channels that have readings this week. Readings the sensor checks
    distrust (stuck, implausible, ...) are left out, as in the analysis' energy totals, so
    ``energy_kwh`` sums to the week's energy of those channels in ``analysis.channels``.

    The usual range is the baseline profile (:func:`argo_lib.analytics.baseline.fit_profile`,
    same pooling and thresholds as the analysis) of the same sum over the baseline weeks,
    counting only the intervals where every one of those channels has a reading.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    readings : pandas.DataFrame or None
        The canonical long readings the analysis was run on (baseline and report weeks).

    Returns
    -------
    pandas.DataFrame
        One row per interval of the finest resolution among those channels: ``timestamp``
        (UTC interval start), ``load_kw`` [kW], ``energy_kwh`` [kWh], ``coverage`` (share of
        the channels with a reading) [-], ``p5_kw``, ``median_kw``, ``p95_kw`` (usual range
        of the interval's slot; NaN without a usable baseline) [kW], ``business`` (opening
        hours). No rows when no channel has readings this week. The frame's ``attrs`` hold
        ``channel_ids`` (the channels summed), ``source`` and ``resolution_s``.
    """
    report, base = _channel_grids(analysis, readings)
    return _site_frame(analysis, report, base)


def _site_frame(
    analysis: Any, report: Mapping[int, grids.Grid], base: Mapping[int, grids.Grid]
) -> pd.DataFrame:
    ids, source = _site_channels(analysis, report)
    columns = ["timestamp", "load_kw", "energy_kwh", "coverage", "p5_kw", "median_kw", "p95_kw"]
    if ids.size == 0:
        empty = pd.DataFrame({c: pd.Series(dtype=float) for c in columns})
        empty["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
        empty["business"] = pd.Series(dtype=bool)
        empty.attrs.update(channel_ids=(), source=source, resolution_s=None)
        return empty
    table = analysis.channels
    res = int(table.loc[table["channel_id"].isin(ids), "resolution_s"].min())
    site_table = pd.DataFrame(
        {
            "channel_id": np.array([-1], dtype=np.int64),
            "channel_name": ["site"],
            "resolution_s": np.array([res], dtype=np.int64),
            "role": ["main"],
            "max_kw": [np.nan],
            "owner": [None],
        }
    )

    def _pseudo(by_res: Mapping[int, grids.Grid], period: Any, *, complete: bool) -> tuple:
        index = pd.DatetimeIndex(dates.expected_index(period, resolution_s=res))
        load, energy, present = _site_sum(by_res, ids, index, res)
        keep = present == ids.size if complete else present > 0
        frame = pd.DataFrame(
            {
                "timestamp": index,
                "channel_id": np.full(len(index), -1, dtype=np.int64),
                "energy_kwh": np.where(keep, energy, np.nan),
                "power_kw": np.where(keep, load, np.nan),
            }
        )
        site_grid = _build(analysis, frame, site_table, period)[res]
        return site_grid, present

    # like the analysis' energy totals, the site's load leaves out suspect readings (stuck,
    # implausible, ...): they show as incomplete data
    clean = {res: health.without_suspect(g, analysis.health) for res, g in report.items()}
    week, present = _pseudo(clean, analysis.period, complete=False)
    usual, _ = _pseudo(base, analysis.baseline, complete=True)
    profile = baselines.fit_profile(usual, thresholds=analysis.thresholds.baseline)
    stats = baselines.expected_stats(profile, week)
    out = pd.DataFrame(
        {
            "timestamp": week.index,
            "load_kw": week.load_kw[:, 0],
            "energy_kwh": week.energy_kwh[:, 0],
            "coverage": present / ids.size,
            "p5_kw": stats.p5[:, 0],
            "median_kw": stats.median[:, 0],
            "p95_kw": stats.p95[:, 0],
            "business": week.business,
        }
    )
    out.attrs.update(channel_ids=tuple(int(i) for i in ids), source=source, resolution_s=res)
    return out


_DASHED = (0, (3, 2))
_INCOMPLETE = {"facecolor": "none", "edgecolor": PALETTE["missing"], "hatch": "////", "lw": 0}
_INCOMPLETE_PATCH = {"facecolor": "white", "edgecolor": PALETTE["missing"], "hatch": "////"}


def _legend(fig: Figure, entries: Mapping[str, Any], *, ncols: int, **kwargs: Any) -> None:
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


def _spans(
    ax: Axes, x0: np.ndarray, step_h: float, mask: np.ndarray, *, max_gap: int = 0, **style: Any
) -> bool:
    """Shade the runs of True of an interval mask across the full height of an axes.

    Runs at most ``max_gap`` intervals apart are shaded as one. Returns whether any was shaded.
    """
    runs = grids.runs_2d(np.asarray(mask, dtype=bool)[:, None], max_gap=max_gap)
    start, stop = runs.start, runs.stop
    if start.size == 0:
        return False
    ranges = list(zip(x0[start], (stop - start) * step_h, strict=True))
    ax.broken_barh(ranges, (0, 1), transform=ax.get_xaxis_transform(), **style)
    return True


def _interval_mask(
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


# --------------------------------------------------------------------------------------------
# Charts


def plot_site_load(
    analysis: Any,
    readings: pd.DataFrame | None,
    *,
    title: str | None = None,
    height_in: float = 3.1,
    annotate: int = 3,
) -> Figure:
    """Chart the site's load this week against the baseline's usual range.

    This week's load (main meter, or the sum of the meters) is drawn over the P5–P95 range
    and the median of the four baseline weeks at the same local time of week. Closed hours are
    shaded; intervals of unusual consumption (anomaly events, from the analysis' ledger) are
    shaded red, and demand spikes are marked at their peak, for every analysed channel (a
    sub-meter's event shows in the main meter's load too). Intervals where a channel lacks
    readings, or has readings the sensor checks distrust, are hatched.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    readings : pandas.DataFrame or None
        The readings the analysis was run on (baseline and report weeks); without baseline
        readings the chart has no usual range.
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
    title = title or f"Site load vs usual range · {_week_label(analysis.period)}"
    report, base = _channel_grids(analysis, readings)
    site = _site_frame(analysis, report, base)
    if site.empty or not (site["coverage"] > 0).any():
        return _no_data_figure(title)
    res = int(site.attrs["resolution_s"])
    step_h = res / 3600.0
    period = analysis.period
    x0 = _hours_since(site["timestamp"], period)
    x = x0 + step_h / 2.0
    load = site["load_kw"].to_numpy(dtype=float)
    has = site["coverage"].to_numpy() > 0
    load = np.where(has, load, np.nan)
    names = _display_names(analysis)
    index = pd.DatetimeIndex(site["timestamp"])

    with mpl.rc_context(STYLE):
        fig = _new_figure(height_in)
        ax = fig.add_subplot()
        legend: dict[str, Any] = {}
        _spans(
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
        unusual_mask = _interval_mask(
            unusual["timestamp"], unusual["resolution_s"].to_numpy(), index, res
        )
        hour = max(3600 // res, 1)  # join unusual stretches less than an hour apart
        _spans(
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
        incomplete = _spans(ax, x0, step_h, partial | ~has, gid="incomplete", **_INCOMPLETE)

        legend["This week"] = Line2D([], [], color=BRAND, lw=1.4)
        p5, p95 = site["p5_kw"].to_numpy(dtype=float), site["p95_kw"].to_numpy(dtype=float)
        if np.isfinite(p95).any():
            ax.fill_between(x, p5, p95, color=PALETTE["band"], alpha=0.55, lw=0, gid="usual-range")
            ax.plot(
                x,
                site["median_kw"],
                color=PALETTE["median"],
                lw=0.8,
                ls=_DASHED,
                gid="usual-median",
            )
            legend["Usual range (P5–P95)"] = Patch(color=PALETTE["band"], alpha=0.55)
            legend["Usual (median)"] = Line2D([], [], color=PALETTE["median"], lw=0.8, ls=_DASHED)
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
            legend["Incomplete or suspect data"] = Patch(**_INCOMPLETE_PATCH)

        _time_axis(ax, analysis)
        ax.set_xlabel(f"Local time ({_tz_name(analysis)})")
        what = "Main meter" if site.attrs["source"] == "main meter" else "Site load"
        ax.set_ylabel(f"{what} [kW]")
        ax.grid(True, axis="y", color=PALETTE["grid"], lw=0.6)
        _legend(fig, legend, ncols=4)
        n = len(site.attrs["channel_ids"])
        notes = []
        if site.attrs["source"] != "main meter":
            notes.append(f"Site load = sum of {n} meter{'s' if n != 1 else ''} (no main meter).")
        lacking = sorted(set(names) - set(site.attrs["channel_ids"]))
        if lacking and site.attrs["source"] != "main meter":
            notes.append("No readings, not included: " + ", ".join(names[c] for c in lacking))
        if not np.isfinite(p95).any():
            notes.append("No usual range: the baseline weeks lack data.")
        _titles(ax, title, notes)
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
    px, py = [], []
    for a, b in zip(first, stop, strict=True):  # one per spike (spikes are few)
        a, b = min(a, len(load) - 1), min(b, len(load))
        at = a + int(np.argmax(filled[a:b]))
        px.append(x[at])
        py.append(load[at] if np.isfinite(load[at]) else 0.0)
    px, py = np.asarray(px), np.asarray(py)
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
        label = f"{names.get(int(row['channel_id']), row['channel_id'])} +{row['height_kw']:.1f} kW"
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
        )
    return Line2D([], [], ls="none", marker="o", ms=5, mfc=ACCENT, mec="white", label="Spike")


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
    title = title or f"After-hours waste by meter · {_week_label(analysis.period)}"
    t = analysis.thresholds
    top_n = int(top_n if top_n is not None else t.after_hours.top_n)
    table = analysis.after_hours
    excess = pd.to_numeric(table["excess_kwh"], errors="coerce").to_numpy(dtype=float)
    intervals = pd.to_numeric(table["intervals"], errors="coerce").fillna(0).to_numpy()
    names = _display_names(analysis)
    no_baseline = table.loc[~np.isfinite(excess) & (intervals > 0), "channel_id"]
    shown = table[np.isfinite(excess) & (excess > 0)]
    shown = shown.sort_values("excess_kwh", ascending=False, kind="stable").head(top_n)
    if shown.empty:
        has_data = bool((intervals > 0).any())
        message = "No after-hours waste above base load" if has_data else _NO_DATA
        if has_data and len(no_baseline):
            message = "No after-hours waste measurable (baseline lacks data)"
        return _no_data_figure(title, message=message)

    values = shown["excess_kwh"].to_numpy(dtype=float)
    costs = pd.to_numeric(shown["excess_cost"], errors="coerce").to_numpy(dtype=float)
    labels = [names.get(int(c), str(c)) for c in shown["channel_id"]]
    high = t.quick_wins.after_hours_high_kwh
    significant = t.after_hours.min_weekly_kwh
    colors = np.where(
        values >= high, ACTION, np.where(values >= significant, ATTENTION, PALETTE["below"])
    )
    symbol = _currency(analysis)
    with mpl.rc_context(STYLE):
        fig = _new_figure(1.15 + 0.27 * len(shown))
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
            notes.append(f"{hidden} more meter(s) with smaller waste not shown.")
        if len(no_baseline):
            notes.append("No baseline yet: " + ", ".join(names[int(c)] for c in no_baseline) + ".")
        _titles(ax, title, notes)
    return fig


def _heat_cells(site: pd.DataFrame, analysis: Any) -> dict[str, Any]:
    """Site energy per local day and clock hour, with the state of each cell.

    Returns a dict of (days, 24) arrays: ``energy`` per hour of the cell [kWh] (NaN without
    readings), ``hours`` the cell covers [h] (2 for the repeated hour when clocks go back, 0
    for the hour skipped when they go forward), ``incomplete`` (some channel lacks readings in
    it); and ``days``.
    """
    midnights = _local_midnights(analysis.period)
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
    readings: pd.DataFrame | None,
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
    readings : pandas.DataFrame or None
        The readings the analysis was run on.
    title : str, optional
        Chart title; default names the chart and the week.
    height_in : float
        Figure height [in].

    Returns
    -------
    matplotlib.figure.Figure
        One image of shape (days, 24) of energy per hour [kWh] (NaN: no readings or no such
        hour), and a colour bar [kWh per hour]. Its sum is the site's energy of the week
        (``site_load_frame(...).energy_kwh.sum()``), except that the repeated hour of a
        fall-back week counts once (as the mean of its two hours). A week without readings
        gives a figure that says "No data for this week".
    """
    title = title or f"Site energy by day and hour · {_week_label(analysis.period)}"
    report, base = _channel_grids(analysis, readings)
    site = _site_frame(analysis, report, base)
    if site.empty or not (site["coverage"] > 0).any():
        return _no_data_figure(title)
    cells = _heat_cells(site, analysis)
    energy, exists, days = cells["energy"], cells["hours"] > 0, cells["days"]
    holidays = set(analysis.holidays)
    opening = getattr(analysis.site, "opening_hours", None)
    finite = energy[np.isfinite(energy)]
    with mpl.rc_context(STYLE):
        fig = _new_figure(height_in)
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
            if hours is None or day in holidays:
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
        ax.set_yticklabels([f"{d:%a} {d.day}" + (" (hol.)" if d in holidays else "") for d in days])
        ax.set_xticks(np.arange(0, 25, 3))
        ax.set_xticklabels([f"{h:02d}:00" for h in range(0, 25, 3)])
        ax.tick_params(axis="both", length=2)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel(f"Hour of day, local time ({_tz_name(analysis)})")
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
        _titles(ax, title, notes)
    return fig


def plot_channel_small_multiples(
    analysis: Any,
    readings: pd.DataFrame | None,
    *,
    ncols: int = 2,
    title: str | None = None,
    panel_height_in: float = 1.0,
) -> Figure:
    """Chart each analysed channel's load this week in its own small panel.

    One panel per row of ``analysis.channels`` (channels without readings included, marked
    "No readings this week"), each in the channel's colour over its own usual range (P5–P95
    of the baseline profile). Unusual consumption and spikes are drawn red; suspect sensor
    readings (stuck values, implausible values) are shaded grey. Each panel has its own power
    scale.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    readings : pandas.DataFrame or None
        The readings the analysis was run on.
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
    title = title or f"Load by channel vs usual range · {_week_label(analysis.period)}"
    frame = analysis.channels
    report, base = _channel_grids(analysis, readings)
    any_data = any(bool(g.present.any()) for g in report.values())
    if frame.empty or not any_data:
        return _no_data_figure(title)
    names = _display_names(analysis)
    colors = channel_colors(frame["channel_id"])
    expected = {}
    for res, g in report.items():  # one or two resolutions
        profile = baselines.fit_profile(base[res], thresholds=analysis.thresholds.baseline)
        expected[res] = baselines.expected_stats(profile, g)
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
        fig = ChartFigure(figsize=(EMAIL_WIDTH_IN, height), dpi=EMAIL_DPI)
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
            _time_axis(ax, analysis, short=width < 2.6)
            if k >= n - ncols:  # the lowest panel of its column shows the days
                ax.tick_params(axis="x", which="both", labelbottom=True)
                ax.set_xlabel(f"Local time ({_tz_name(analysis)})", fontsize=7.5)
            ax.set_ylabel("kW", labelpad=1)
            ax.tick_params(axis="y", labelsize=7, pad=1)
            ax.tick_params(axis="x", which="minor", labelsize=7)
        legend = {"Usual range (P5–P95)": Patch(color=PALETTE["band"], alpha=0.55)}
        if len(flagged):
            legend["Unusual consumption or spike"] = Line2D([], [], color=ACTION, lw=1.3)
        if len(suspect):
            legend["Suspect readings (e.g. stuck)"] = Patch(color=PALETTE["suspect"])
        if len(shifts):
            legend["Level shift"] = Line2D([], [], color=ATTENTION, lw=0.8, ls=_DASHED)
        _legend(fig, legend, ncols=4, loc="lower center", bbox_to_anchor=(0.5, 0.0))
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
    x0 = _hours_since(g.index, period)
    x = x0 + step_h / 2.0
    load = g.load_kw[:, col]
    if not np.isfinite(load).any():
        ax.set_ylim(0.0, 1.0)
        ax.set_yticks([])
        _message(ax, "No readings this week")
        return
    p5, p95 = expected.p5[:, col], expected.p95[:, col]
    if len(suspect):
        spans = _between(g.index, suspect["start"], suspect["end"].fillna(suspect["start"]))
        _spans(ax, x0, step_h, spans, color=PALETTE["suspect"], lw=0, gid="suspect")
    if np.isfinite(p95).any():
        ax.fill_between(x, p5, p95, color=PALETTE["band"], alpha=0.55, lw=0, gid="usual-range")
    ax.plot(x, load, color=color, lw=0.9, gid="load")
    mask = _interval_mask(
        flagged["timestamp"], flagged["resolution_s"].to_numpy(), g.index, g.resolution_s
    )
    if mask.any():
        # widen by one interval each side so that a single flagged interval draws a segment
        wide = mask | np.r_[mask[1:], False] | np.r_[False, mask[:-1]]
        ax.plot(x, np.where(wide, load, np.nan), color=ACTION, lw=1.3, gid="flagged")
    top = np.nanmax(np.concatenate([load[np.isfinite(load)], p95[np.isfinite(p95)]]))
    low = min(0.0, float(np.nanmin(load)))
    ax.set_ylim(low, max(float(top), 1e-3) * 1.12)
    ax.grid(True, axis="y", color=PALETTE["grid"], lw=0.5)
    ax.yaxis.set_major_locator(mpl.ticker.MaxNLocator(nbins=3, min_n_ticks=2))
    if len(shifts):
        first = shifts.sort_values("start").iloc[0]
        at = float(_hours_since(pd.DatetimeIndex([first["start"]]), period)[0])
        ax.axvline(at, color=ATTENTION, lw=0.8, ls=_DASHED)
        up = str(first.get("direction", "up")) == "up"
        since = pd.Timestamp(first["start"]).tz_convert(analysis.site.tz)
        ax.text(
            0.99,
            0.97,
            f"{'+' if up else '−'}{abs(float(first['shift_pct'])):.0f} % since {since:%a %H:%M}",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
            color=ATTENTION,
            bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8, "pad": 0.5},
        )


def _between(index: pd.DatetimeIndex, start: Any, end: Any) -> np.ndarray:
    """Mark the intervals of ``index`` that start within any ``[start, end)``."""
    ns = index.as_unit("ns").asi8
    a = np.searchsorted(ns, pd.DatetimeIndex(start).tz_convert("UTC").as_unit("ns").asi8)
    b = np.searchsorted(ns, pd.DatetimeIndex(end).tz_convert("UTC").as_unit("ns").asi8)
    delta = np.zeros(len(ns) + 1, dtype=np.int64)
    np.add.at(delta, a, 1)
    np.add.at(delta, b, -1)
    return np.cumsum(delta)[:-1] > 0


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
        return _no_data_figure(title, message="No channels were synced")
    with mpl.rc_context(STYLE):
        fig = _new_figure(0.32 * len(channels) + 1.1)
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
        return _no_data_figure(title, message="No channels to show")
    values = coverage.to_numpy(dtype="float64")
    if isinstance(coverage.index, pd.MultiIndex):
        labels = [_channel_label(c, n) for c, n in coverage.index]
    else:
        labels = [str(c) for c in coverage.index]
    with mpl.rc_context(STYLE):
        width = min(11.0, max(EMAIL_WIDTH_IN, 3.5 + 0.5 * values.shape[1]))
        fig = _new_figure(0.3 * len(labels) + 1.3, width_in=width)
        ax = fig.add_subplot()
        image = ax.imshow(
            values, aspect="auto", cmap="RdYlGn", vmin=0.0, vmax=1.0, interpolation="nearest"
        )
        ax.set_yticks(np.arange(len(labels)), labels)
        if values.shape[1] <= 14:  # few days: write the share into each cell
            rows, cols = np.nonzero(np.isfinite(values))
            for row, col in zip(rows, cols, strict=True):
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
