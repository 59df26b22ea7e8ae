"""Charts of a site deep-dive (the Wilson Center analysis): months to hours of one site's load.

Each chart takes one plain frame that the analytics computed
(:mod:`argo_lib.analytics.site_analysis`, :mod:`argo_lib.analytics.normalised`) and returns a
:class:`~argo_lib.render.plots.ChartFigure`; the charts only draw (no database, no fitting).
Dates are site-local calendar days and hours are local clock hours, as in the frames. An empty
frame gives a figure that says "No data for this period" instead of an exception.

- :func:`plot_heatmap`: mean power per local date and hour, a year at a glance.
- :func:`plot_load_shape_trend`: daily peak, base and operating window over the period.
- :func:`plot_week_profiles`: the typical weekday and weekend day (median, P25–P75).
- :func:`plot_day_of_week`: mean daily energy per day of the week, with its range.
- :func:`plot_months`: energy per day by month, partial months marked.
- :func:`plot_channel_energy`: energy and share per channel.
- :func:`plot_normalised`: actual against weather-normalised expected energy, cumulative savings.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from typing import Any

import matplotlib as mpl
import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.colors import LinearSegmentedColormap, to_rgba
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import FixedFormatter, FixedLocator, FuncFormatter, MaxNLocator

from argo_lib.render import format as fmt
from argo_lib.render.plots.figure import (
    DASHED,
    ChartFigure,
    add_legend,
    axes_message,
    new_figure,
    no_data_figure,
    set_titles,
)
from argo_lib.render.theme import (
    ACCENT,
    BRAND,
    EMAIL_WIDTH_IN,
    INK,
    MUTED,
    PALETTE,
    STYLE,
    channel_colors,
)

__all__ = [
    "NO_DATA",
    "plot_channel_energy",
    "plot_day_of_week",
    "plot_heatmap",
    "plot_load_shape_trend",
    "plot_months",
    "plot_normalised",
    "plot_week_profiles",
]

NO_DATA = "No data for this period"
"""What an empty chart says."""

MIN_COVERAGE = 0.9
"""Days with less data coverage than this are drawn faded (hollow) in the trend chart [-]."""

WEEKDAY_COLOR = BRAND
"""Working days (Monday to Friday), as in the exploration's profiles."""
OFF_DAY_COLOR = ACCENT
"""Non-working days (weekends, holidays): orange against teal reads for colour-blind readers."""
_DAY_TYPE_COLORS = {
    "weekday": WEEKDAY_COLOR,
    "saturday": OFF_DAY_COLOR,
    "sunday": OFF_DAY_COLOR,
    "holiday": OFF_DAY_COLOR,
}
_PARTIAL_FILL = "#b9dcd7"
"""Fill of a partial month's bar: the brand colour, light (hatched in the brand colour)."""
_HEAT_CMAP = LinearSegmentedColormap.from_list(
    "argo_heat", ["#f4faf9", "#b9dcd7", "#5fa8a0", BRAND, "#06302f"]
)
"""The house heat map colours (as the weekly heat map): one hue, light to dark."""
NO_DATA_FILL = PALETTE["missing"]
"""Background of heat map cells without data (hatched in :data:`NO_DATA_HATCH`): a neutral grey."""
NO_DATA_HATCH = PALETTE["below"]
_HOUR_TICKS = (0, 6, 12, 18, 24)
_THOUSANDS = FuncFormatter(lambda v, _: f"{v:,.0f}")
_NAME_CHARS = 30


# --------------------------------------------------------------------------------------------
# Shared helpers


def _empty(title: str, message: str = NO_DATA) -> ChartFigure:
    fig = no_data_figure(title, message=message)
    assert isinstance(fig, ChartFigure)
    return fig


def _dates(values: Any) -> np.ndarray:
    """Matplotlib day numbers of calendar dates (``datetime.date``, strings or timestamps)."""
    stamps = pd.to_datetime(pd.Series(values, dtype=object), errors="coerce")
    return np.asarray(mdates.date2num(stamps.to_numpy(dtype="datetime64[ns]")), dtype=float)


def _day(num: float) -> dt.date:
    return mdates.num2date(num).date()


def _span_label(first: dt.date, last: dt.date) -> str:
    """E.g. ``1 Oct 2025 – 30 Sep 2026`` (both days included)."""
    if first == last:
        return f"{first.day} {first:%b %Y}"
    if first.year != last.year:
        return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"
    if first.month != last.month:
        return f"{first.day} {first:%b} – {last.day} {last:%b %Y}"
    return f"{first.day} – {last.day} {last:%b %Y}"


def _period_note(first: dt.date, last: dt.date) -> str:
    days = (last - first).days + 1
    return f"{_span_label(first, last)} ({fmt.plural(days, 'day')})."


def _date_ticks(first: dt.date, last: dt.date, max_ticks: int) -> tuple[list[dt.date], str]:
    """The densest calendar ticks within ``[first, last]`` that fit ``max_ticks``.

    Tries every day, every 2nd day, Mondays, every 2nd Monday, month starts, every 2nd,
    3rd and 6th month start; returns the dates and their kind (``"day"`` or ``"month"``).
    """
    days = (last - first).days + 1
    monday = first + dt.timedelta(days=-first.weekday() % 7)
    options: list[tuple[list[dt.date], str]] = [
        ([first + dt.timedelta(days=i) for i in range(0, days, 1)], "day"),
        ([first + dt.timedelta(days=i) for i in range(0, days, 2)], "day"),
        ([monday + dt.timedelta(days=i) for i in range(0, (last - monday).days + 1, 7)], "day"),
        ([monday + dt.timedelta(days=i) for i in range(0, (last - monday).days + 1, 14)], "day"),
    ]
    starts = pd.date_range(first, last, freq="MS")
    for step in (1, 2, 3, 6, 12):
        kept = [d.date() for d in starts if (d.month - 1) % step == 0]
        options.append((kept, "month"))
    for ticks, kind in options:  # densest first
        if 0 < len(ticks) <= max_ticks:
            return ticks, kind
    return [first], "day"


def _date_axis(
    axis: Axis,
    first: float,
    last: float,
    *,
    length_in: float,
    vertical: bool = False,
    centre: bool = False,
) -> None:
    """Calendar ticks on a day-number axis, as many as fit ``length_in`` [in] of axis.

    Ticks sit at the start (midnight) of their day and only within the data's dates. The
    month is written on the first tick and where it changes, the year on the first tick and
    where it changes (on a second line across; on the same line down the side). With
    ``centre``, ticks of days sit in the middle of the day (rows of a heat map).
    """
    first_day, last_day = _day(first), _day(last)
    spacing_in = 0.22 if vertical else 0.38
    ticks, kind = _date_ticks(first_day, last_day, max(int(length_in / spacing_in), 2))
    labels = []
    previous: dt.date | None = None
    for day in ticks:  # one label per tick
        new_month = previous is None or (day.year, day.month) != (previous.year, previous.month)
        new_year = previous is None or day.year != previous.year
        if kind == "month":
            text = f"{day:%b}" + ((" " if vertical else "\n") + f"{day:%Y}" if new_year else "")
        elif vertical:
            name = f"{day:%a} " if centre and (last_day - first_day).days < 14 else ""
            text = f"{name}{day.day} {day:%b}" + (f" {day:%Y}" if new_year else "")
        else:
            text = f"{day:%a} {day.day}" if (last_day - first_day).days < 10 else f"{day.day}"
            if new_month:
                text += f"\n{day:%b}" + (f" {day:%Y}" if new_year else "")
        labels.append(text)
        previous = day
    shift = 0.5 if centre and kind == "day" else 0.0
    axis.set_major_locator(FixedLocator((_dates(ticks) + shift).tolist()))
    axis.set_major_formatter(FixedFormatter(labels))


def _titles(ax: Axes, title: str, notes: list[str]) -> None:
    """:func:`set_titles`, with the notes kept out of the layout.

    The notes line is wrapped to the figure's width; counted in the layout it would squeeze
    an axes narrower than the figure (next to a colour bar, or half of a split panel).
    """
    before = set(ax.texts)
    set_titles(ax, title, notes)
    for text in ax.texts:  # the notes just added
        if text not in before:
            text.set_in_layout(False)


def _hour_label(hour: float) -> str:
    return f"{int(hour) % 24:02d}:00" if hour < 24 else "24:00"


def _style_grid(ax: Axes, axis: str = "y") -> None:
    ax.grid(True, axis=axis, color=PALETTE["grid"], lw=0.6)  # type: ignore[arg-type]
    ax.set_axisbelow(True)


def _short(name: Any) -> str:
    text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
    return text if len(text) <= _NAME_CHARS else text[: _NAME_CHARS - 1] + "…"


# --------------------------------------------------------------------------------------------
# 1. Heat map: date × hour


def plot_heatmap(heatmap: pd.DataFrame, *, title_suffix: str = "") -> ChartFigure:
    """Chart the site's mean power per local date and hour as a heat map, dates down.

    Parameters
    ----------
    heatmap : pandas.DataFrame
        Index: site-local dates (``datetime.date``, name ``date``); columns: local hour 0..23;
        values: the site's mean power in that hour [kW], NaN without data.
    title_suffix : str
        Added to the title after a ``·`` (e.g. the site's name).

    Returns
    -------
    ChartFigure
        One image (gid ``heatmap``) of shape (days, 24): row i is the i-th calendar day from
        the first to the last date of the index (days missing from the index are rows of NaN),
        NaN masked and drawn hatched grey ("no data"); a colour bar "Site power [kW]". A frame
        without values gives a figure that says "No data for this period".
    """
    title = "Site power by date and local hour [kW]"
    if title_suffix:
        title = f"{title} · {title_suffix}"
    values = heatmap.apply(pd.to_numeric, errors="coerce") if len(heatmap.columns) else heatmap
    if heatmap.empty or not np.isfinite(values.to_numpy(dtype=float)).any():
        return _empty(title)
    index = pd.to_datetime(pd.Series(list(heatmap.index), dtype=object), errors="coerce")
    first, last = index.min().date(), index.max().date()
    days = pd.date_range(first, last, freq="D")
    grid = values.copy()
    grid.index = pd.DatetimeIndex(index)
    grid.columns = [int(h) for h in heatmap.columns]
    grid = grid.groupby(level=0).mean().reindex(index=days, columns=range(24))
    cells = grid.to_numpy(dtype=float)
    finite = cells[np.isfinite(cells)]
    low, high = float(finite.min()), float(finite.max())
    top, bottom = float(mdates.date2num(days[0])), float(mdates.date2num(days[-1])) + 1.0
    n_days = len(days)
    missing = bool(np.isnan(cells).any())
    with mpl.rc_context(STYLE):
        height_in = float(np.clip(2.2 + 0.012 * n_days, 2.6, 5.8))
        if n_days <= 14:  # a row per day label
            height_in = max(height_in, 1.7 + 0.22 * n_days)
        fig = new_figure(height_in)
        ax = fig.add_subplot()
        # no data shows the axes' background: light grey, hatched (not a colour of the scale)
        ax.patch.set_facecolor(NO_DATA_FILL)
        ax.patch.set_edgecolor(NO_DATA_HATCH)
        ax.patch.set_hatch("////")
        ax.patch.set_linewidth(0)
        image = ax.imshow(
            np.ma.masked_invalid(cells),
            gid="heatmap",
            aspect="auto",
            cmap=_HEAT_CMAP.with_extremes(bad=(0.0, 0.0, 0.0, 0.0)),
            interpolation="nearest",
            extent=(0.0, 24.0, bottom, top),
            vmin=low,
            vmax=high if high > low else low + 1.0,
        )
        ax.set_xlim(0.0, 24.0)
        ax.set_ylim(bottom, top)
        ax.set_xticks(_HOUR_TICKS, [_hour_label(h) for h in _HOUR_TICKS])
        ax.set_xticks(range(25), minor=True)
        ax.tick_params(axis="x", which="minor", length=1.5)
        _date_axis(
            ax.yaxis, top, bottom - 1.0, length_in=height_in - 1.6, vertical=True, centre=True
        )
        ax.tick_params(axis="both", which="major", length=2.5)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xlabel("Hour of day (site-local time)")
        ax.set_ylabel("Date (site-local)")
        bar = fig.colorbar(image, ax=ax, pad=0.01, fraction=0.05, aspect=22)
        bar.set_label("Site power [kW]")
        bar.outline.set_visible(False)
        bar.ax.tick_params(labelsize=7, length=2)
        notes = [
            _period_note(first, last),
            "Each cell: mean power in that local clock hour.",
        ]
        if missing:
            notes.append("Hatched grey: no data.")
            add_legend(
                fig,
                {"No data": Patch(facecolor=NO_DATA_FILL, edgecolor=NO_DATA_HATCH, hatch="////")},
                ncols=1,
            )
        _titles(ax, title, notes)
    return fig


# --------------------------------------------------------------------------------------------
# 2. Daily load shape over the period


def plot_load_shape_trend(daily: pd.DataFrame) -> ChartFigure:
    """Chart how the daily load shape moved: peak and base power, and the operating window.

    Parameters
    ----------
    daily : pandas.DataFrame
        One row per site-local day: ``date``, ``day_type`` (``weekday``, ``saturday``,
        ``sunday``, ``holiday``), ``base_kw``, ``peak_kw`` [kW], ``rise_hour``, ``fall_hour``
        (local time of day [h], NaN if the load did not rise), ``high_load_hours`` [h],
        ``coverage`` [-] (other columns are not drawn).

    Returns
    -------
    ChartFigure
        Top axes: each day's peak (gid ``peak-weekday``, ``peak-off``) and base (``base-…``)
        power [kW] as points, working days teal and non-working days orange, days with
        coverage below :data:`MIN_COVERAGE` hollow; the 7-day rolling median of the
        well-covered days (``peak-median``: working days only, ``base-median``: every day).
        Bottom axes: each day's operating window from ``rise_hour`` to ``fall_hour`` as a
        vertical bar (gid ``window``; non-working days lighter and narrower, gid
        ``window-off``), faded for low-coverage days. An empty frame gives a figure that says
        "No data for this period".
    """
    title = "Daily peak and base power [kW] and operating window over the period"
    frame = daily.copy()
    for col in ("base_kw", "peak_kw", "rise_hour", "fall_hour", "coverage"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce") if col in frame else np.nan
    has = frame[["base_kw", "peak_kw"]].notna().any(axis=1)
    if frame.empty or not has.any():
        return _empty(title)
    frame = frame.assign(x=_dates(frame["date"])).sort_values("x", kind="stable")
    frame = frame[np.isfinite(frame["x"])]
    x = frame["x"].to_numpy(dtype=float)
    off = frame["day_type"].astype(str).ne("weekday").to_numpy()
    low = ~(frame["coverage"].fillna(0.0).to_numpy(dtype=float) >= MIN_COVERAGE)
    first, last = float(x.min()), float(x.max())
    n_days = int(last - first) + 1
    ms = 3.4 if n_days <= 120 else 2.6

    with mpl.rc_context(STYLE):
        fig = new_figure(4.6)
        top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(1.6, 1.0))
        legend: dict[str, Any] = {}
        for kind, color, mask in (
            ("weekday", WEEKDAY_COLOR, ~off),
            ("off", OFF_DAY_COLOR, off),
        ):
            for measure, marker in (("peak", "o"), ("base", "s")):
                y = frame[f"{measure}_kw"].to_numpy(dtype=float)
                good, faded = mask & ~low, mask & low
                top.plot(
                    x[good],
                    y[good],
                    ls="none",
                    marker=marker,
                    ms=ms,
                    mfc=color,
                    mec="none",
                    alpha=0.85,
                    gid=f"{measure}-{kind}",
                )
                if faded.any():
                    top.plot(
                        x[faded],
                        y[faded],
                        ls="none",
                        marker=marker,
                        ms=ms,
                        mfc="white",
                        mec=color,
                        mew=0.8,
                        alpha=0.9,
                        gid=f"{measure}-{kind}-low-coverage",
                    )
        # 7-day rolling median over calendar days (gaps stay gaps) of the well-covered days:
        # working days for the peak (a weekend would pull it down), every day for the base
        calendar_days = np.arange(first, last + 1.0)
        medians: dict[str, np.ndarray] = {}
        for measure, used in (("peak", ~low & ~off), ("base", ~low)):
            series = pd.Series(
                np.where(used, frame[f"{measure}_kw"].to_numpy(dtype=float), np.nan), index=x
            )
            series = series.groupby(level=0).mean().reindex(calendar_days)
            medians[measure] = (
                series.rolling(7, center=True, min_periods=3).median().to_numpy(dtype=float)
            )
            top.plot(calendar_days, medians[measure], color=INK, lw=1.2, gid=f"{measure}-median")
        for measure, label in (("peak", "Peak"), ("base", "Base")):
            finite = np.flatnonzero(np.isfinite(medians[measure]))
            if finite.size:
                at = finite[-1]
                top.annotate(
                    label,
                    (calendar_days[at], medians[measure][at]),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    ha="left",
                    fontsize=7.5,
                    fontweight="bold",
                    color=INK,
                )
        legend["Working day (Mon–Fri)"] = Patch(color=WEEKDAY_COLOR)
        legend["Non-working day (weekend, holiday)"] = Patch(color=OFF_DAY_COLOR)
        legend["Peak of the day"] = Line2D(
            [], [], ls="none", marker="o", ms=4, mfc=MUTED, mec="none"
        )
        legend["Base of the day"] = Line2D(
            [], [], ls="none", marker="s", ms=4, mfc=MUTED, mec="none"
        )
        legend["7-day rolling median (peak: working days)"] = Line2D([], [], color=INK, lw=1.2)
        if low.any():
            legend[f"Coverage < {MIN_COVERAGE:.0%} (hollow, faded)"] = Line2D(
                [], [], ls="none", marker="o", ms=4, mfc="white", mec=MUTED
            )
        peak_top = np.nanmax(frame["peak_kw"].to_numpy(dtype=float))
        base_top = np.nanmax(frame["base_kw"].to_numpy(dtype=float))
        top.set_ylim(0.0, max(float(np.nanmax([peak_top, base_top])), 1e-3) * 1.1)
        top.set_ylabel("Power [kW]")
        _style_grid(top)

        # bottom: operating window, rise to fall (a window past midnight ends at 24:00)
        rise = frame["rise_hour"].to_numpy(dtype=float)
        fall = frame["fall_hour"].to_numpy(dtype=float)
        fall = np.where(fall < rise, 24.0, fall)
        shown = np.isfinite(rise) & np.isfinite(fall)
        width = 0.75 if n_days <= 120 else 1.0
        # non-working days lighter and narrower: their "window" is often a flat load's noise
        for mask, color, alpha, scale, gid in (
            (shown & ~off, WEEKDAY_COLOR, 0.85, 1.0, "window"),
            (shown & off, OFF_DAY_COLOR, 0.5, 0.6, "window-off"),
        ):
            if mask.any():
                bottom.bar(
                    x[mask],
                    (fall - rise)[mask],
                    bottom=rise[mask],
                    width=width * scale,
                    color=[to_rgba(color, alpha * (0.35 if lo else 1.0)) for lo in low[mask]],
                    lw=0,
                    align="center",
                    gid=gid,
                )
        if not shown.any():
            axes_message(bottom, "No operating window found (the load never rose)")
        bottom.set_ylim(0.0, 24.0)
        bottom.set_yticks(_HOUR_TICKS, [_hour_label(h) for h in _HOUR_TICKS])
        bottom.set_ylabel("Operating\nwindow (local)")
        _style_grid(bottom)
        bottom.set_xlim(first - 1.0, last + 1.0 + max(0.08 * n_days, 1.5))  # room for labels
        _date_axis(bottom.xaxis, first, last, length_in=EMAIL_WIDTH_IN - 1.4)
        bottom.set_xlabel("Date (site-local)")

        notes = [
            _period_note(_day(first), _day(last)),
            "Bars: from the load's morning rise to its evening fall.",
        ]
        if low.any():
            notes.append(
                f"Hollow or faded: {fmt.plural(int(low.sum()), 'day')} under"
                f" {MIN_COVERAGE:.0%} data coverage, not in the medians."
            )
        _titles(top, title, notes)
        add_legend(fig, legend, ncols=3)
    return fig


# --------------------------------------------------------------------------------------------
# 3. Typical weekday and weekend


def plot_week_profiles(profiles: pd.DataFrame) -> ChartFigure:
    """Chart the typical weekday and weekend day: median power by local hour, P25–P75 band.

    Parameters
    ----------
    profiles : pandas.DataFrame
        ``day_kind`` (``weekday``, ``weekend``), ``hour`` (0..23), ``median_kw``, ``p25_kw``,
        ``p75_kw`` [kW].

    Returns
    -------
    ChartFigure
        One axes: per day kind a median line (gid ``<kind>-median``) and a P25–P75 band
        (``<kind>-band``); x = local hour. An empty frame gives a figure that says "No data
        for this period".
    """
    title = "Typical weekday and weekend day: site power by local hour [kW]"
    if profiles.empty or not pd.to_numeric(profiles["median_kw"], errors="coerce").notna().any():
        return _empty(title)
    kinds = {"weekday": ("Weekday", WEEKDAY_COLOR), "weekend": ("Weekend", OFF_DAY_COLOR)}
    hours = np.arange(24)
    with mpl.rc_context(STYLE):
        fig = new_figure(3.0)
        ax = fig.add_subplot()
        legend: dict[str, Any] = {}
        top = 0.0
        for kind, (label, color) in kinds.items():
            part = profiles[profiles["day_kind"] == kind]
            if part.empty:
                continue
            part = part.groupby("hour").first().reindex(hours)
            median = pd.to_numeric(part["median_kw"], errors="coerce").to_numpy(dtype=float)
            p25 = pd.to_numeric(part["p25_kw"], errors="coerce").to_numpy(dtype=float)
            p75 = pd.to_numeric(part["p75_kw"], errors="coerce").to_numpy(dtype=float)
            ax.fill_between(hours, p25, p75, color=color, alpha=0.2, lw=0, gid=f"{kind}-band")
            ax.plot(hours, median, color=color, lw=1.6, gid=f"{kind}-median")
            legend[f"{label} median"] = Line2D([], [], color=color, lw=1.6)
            legend[f"{label} P25–P75"] = Patch(color=color, alpha=0.2, lw=0)
            top = max(top, float(np.nanmax(np.concatenate([median, p75]))))
        ax.set_xlim(0, 23)
        ax.set_xticks(range(0, 24, 3), [_hour_label(h) for h in range(0, 24, 3)])
        ax.set_xticks(range(24), minor=True)
        ax.set_ylim(0.0, max(top, 1e-3) * 1.1)
        ax.set_xlabel("Hour of day (site-local time)")
        ax.set_ylabel("Site power [kW]")
        _style_grid(ax, "both")
        _titles(
            ax,
            title,
            ["Line: median of the days at that hour; band: the middle half of the days (P25–P75)."],
        )
        add_legend(fig, legend, ncols=4)
    return fig


# --------------------------------------------------------------------------------------------
# 4. Day of the week


def plot_day_of_week(day_of_week: pd.DataFrame) -> ChartFigure:
    """Chart the mean daily energy per day of the week, with the lowest and highest day.

    Parameters
    ----------
    day_of_week : pandas.DataFrame
        ``weekday`` (0 = Monday … 6 = Sunday), ``name`` (``Mon`` … ``Sun``), ``mean_kwh``,
        ``min_kwh``, ``max_kwh`` [kWh], ``days`` [count].

    Returns
    -------
    ChartFigure
        One axes: seven bars (gid ``mean``) at x = 0..6, heights ``mean_kwh`` (0 for a day of
        the week without data), Saturday and Sunday orange; min–max whiskers (gid ``range``);
        each bar labelled with its mean, each tick with its day count. An empty frame gives a
        figure that says "No data for this period".
    """
    title = "Energy per day of the week: mean day, lowest to highest [kWh]"
    table = day_of_week.copy()
    for col in ("mean_kwh", "min_kwh", "max_kwh", "days"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    if table.empty or not table["mean_kwh"].notna().any():
        return _empty(title)
    table = table.groupby("weekday").first().reindex(range(7))
    mean = table["mean_kwh"].to_numpy(dtype=float)
    low = table["min_kwh"].to_numpy(dtype=float)
    high = table["max_kwh"].to_numpy(dtype=float)
    days = table["days"].fillna(0).to_numpy(dtype=int)
    names = [
        str(n) if isinstance(n, str) and n else calendar.day_abbr[i]
        for i, n in enumerate(table["name"])
    ]
    x = np.arange(7)
    colors = [WEEKDAY_COLOR] * 5 + [OFF_DAY_COLOR] * 2
    with mpl.rc_context(STYLE):
        fig = new_figure(3.0)
        ax = fig.add_subplot()
        ax.bar(x, np.nan_to_num(mean), width=0.62, color=colors, gid="mean")
        whiskers = np.isfinite(low) & np.isfinite(high) & np.isfinite(mean)
        yerr = np.vstack([mean - low, high - mean])[:, whiskers]
        ax.errorbar(
            x[whiskers],
            mean[whiskers],
            yerr=np.maximum(yerr, 0.0),
            fmt="none",
            ecolor=INK,
            elinewidth=0.9,
            capsize=4,
            capthick=0.9,
            gid="range",
        )
        tops = np.where(whiskers, high, mean)
        y_max = max(float(np.nanmax(tops)), 1e-3)
        for xi, m, t in zip(x, mean, tops, strict=True):  # one label per day of the week
            if np.isfinite(m):
                ax.annotate(
                    f"{m:,.0f}",
                    (xi, t),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    color=INK,
                )
            else:
                ax.text(float(xi), y_max * 0.03, "no data", ha="center", fontsize=7, color=MUTED)
        ax.set_ylim(0.0, y_max * 1.15)
        ax.yaxis.set_major_formatter(_THOUSANDS)
        ax.set_xticks(
            x, [f"{n}\n{fmt.plural(int(d), 'day')}" for n, d in zip(names, days, strict=True)]
        )
        ax.tick_params(axis="x", length=0)
        ax.set_ylabel("Energy [kWh/day]")
        _style_grid(ax)
        _titles(
            ax,
            title,
            [
                "Bar: mean daily energy (labelled); whisker: lowest to highest day;"
                " under each day: how many days it averages."
            ],
        )
        add_legend(
            fig,
            {
                "Monday–Friday": Patch(color=WEEKDAY_COLOR),
                "Saturday, Sunday": Patch(color=OFF_DAY_COLOR),
                "Lowest to highest day": Line2D([], [], color=INK, lw=0.9, marker="_", ms=8),
            },
            ncols=3,
        )
    return fig


# --------------------------------------------------------------------------------------------
# 5. Months


def _is_partial(month: str, days: float, days_in_period: float) -> bool:
    try:
        in_month = pd.Period(str(month), freq="M").days_in_month
    except ValueError:
        return True
    if not np.isfinite(days_in_period) or not np.isfinite(days):
        return True
    return bool(days_in_period < in_month or days < days_in_period)


def _month_label(month: str, first: bool, partial_text: str) -> str:
    try:
        period = pd.Period(str(month), freq="M")
    except ValueError:
        text = str(month)
    else:
        text = f"{period:%b}"
        if first or period.month == 1:
            text += f"\n{period:%Y}"
    return text + (f"\n{partial_text}" if partial_text else "")


def plot_months(months: pd.DataFrame) -> ChartFigure:
    """Chart the energy per day of each month, labelled with the month's total energy.

    Energy per day (of the days with complete data) compares partial months fairly. A month
    is partial when the analysis period covers only part of it (``days_in_period`` below the
    days of the calendar month) or some of its days lack data (``days`` below
    ``days_in_period``); its bar is hatched and its tick says how many days it has.

    Parameters
    ----------
    months : pandas.DataFrame
        ``month`` (``"2026-10"``), ``days``, ``days_in_period`` [count], ``energy_kwh`` [kWh],
        ``kwh_per_day`` [kWh/day] (``cost`` and ``peak_kw`` are not drawn).

    Returns
    -------
    ChartFigure
        One axes: one bar per month in order (gid ``month-<month>``; partial months also
        hatched, gid ``month-<month>-partial``), height ``kwh_per_day``; above each the
        month's ``energy_kwh``. An empty frame gives a figure that says "No data for this
        period".
    """
    title = "Energy per day by month [kWh/day], labelled with the month's total [kWh]"
    table = months.copy()
    for col in ("days", "days_in_period", "energy_kwh", "kwh_per_day"):
        table[col] = pd.to_numeric(table[col], errors="coerce")
    if table.empty or not table[["kwh_per_day", "energy_kwh"]].notna().any().any():
        return _empty(title)
    table = table.sort_values("month", kind="stable").reset_index(drop=True)
    n = len(table)
    per_day = table["kwh_per_day"].to_numpy(dtype=float)
    energy = table["energy_kwh"].to_numpy(dtype=float)
    days = table["days"].to_numpy(dtype=float)
    in_period = table["days_in_period"].to_numpy(dtype=float)
    partial = np.array(
        [
            _is_partial(m, d, p)
            for m, d, p in zip(table["month"].astype(str), days, in_period, strict=True)
        ],
        dtype=bool,
    )
    x = np.arange(n)
    stacked = n > 6  # many months: number and unit on two lines, to fit the bar's width
    y_max = max(float(np.nanmax(np.where(np.isfinite(per_day), per_day, 0.0))), 1e-3)
    with mpl.rc_context(STYLE):
        fig = new_figure(3.2)
        ax = fig.add_subplot()
        width = 0.62 if n > 1 else 0.4
        for i, month in enumerate(table["month"].astype(str)):  # one bar per month
            height = per_day[i] if np.isfinite(per_day[i]) else 0.0
            ax.bar(x[i], height, width=width, color=BRAND, lw=0, gid=f"month-{month}")
            if partial[i]:
                ax.bar(
                    x[i],
                    height,
                    width=width,
                    facecolor=_PARTIAL_FILL,
                    edgecolor=BRAND,
                    hatch="////",
                    lw=0,
                    gid=f"month-{month}-partial",
                )
            if np.isfinite(energy[i]):
                label = f"{energy[i]:,.0f}" + ("\nkWh" if stacked else " kWh")
            else:
                label = "no data"
            ax.annotate(
                label,
                (x[i], height),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
                linespacing=1.0,
                color=INK if np.isfinite(energy[i]) else MUTED,
            )
        labels = []
        for i, month in enumerate(table["month"].astype(str)):  # one tick per month
            text = ""
            if partial[i] and np.isfinite(days[i]):
                total = pd.Period(month, freq="M").days_in_month if "-" in month else 0
                text = f"{int(days[i])}/{total} d" if total else f"{int(days[i])} d"
            labels.append(_month_label(month, i == 0, text))
        ax.set_xticks(x, labels)
        ax.tick_params(axis="x", length=0)
        ax.set_xlim(-0.6 if n > 1 else -1.0, n - 0.4 if n > 1 else 1.0)
        ax.set_ylim(0.0, y_max * (1.3 if stacked else 1.18))
        ax.set_ylabel("Energy [kWh/day]")
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.yaxis.set_major_formatter(_THOUSANDS)
        _style_grid(ax)
        notes = ["Bar: mean of the days with complete data; label: the month's total."]
        if partial.any():
            notes.append(
                "Hatched: partial month (the period covers part of it, or days lack data);"
                " under it: complete days / days in the month."
            )
        _titles(ax, title, notes)
        legend: dict[str, Any] = {}
        if not partial.all():
            legend["Complete month"] = Patch(color=BRAND)
        if partial.any():
            legend["Partial month"] = Patch(facecolor=_PARTIAL_FILL, edgecolor=BRAND, hatch="////")
        add_legend(fig, legend, ncols=2)
    return fig


# --------------------------------------------------------------------------------------------
# 6. Channels


def plot_channel_energy(channels: pd.DataFrame, *, currency: str = "USD") -> ChartFigure:
    """Chart each channel's energy over the period, largest on top, with share and cost.

    Parameters
    ----------
    channels : pandas.DataFrame
        ``channel_id``, ``channel_name``, ``energy_kwh`` [kWh], ``share`` (0–1) and ``cost``
        (in ``currency``).
    currency : str
        ISO code of the costs (``USD`` is written ``$``).

    Returns
    -------
    ChartFigure
        One axes of horizontal bars (gid ``channel-<id>``), widths ``energy_kwh``, largest on
        top, each in the channel's colour (:func:`~argo_lib.render.theme.channel_colors`) and
        labelled ``1,234 kWh · 12.3 % · $148``. An empty frame gives a figure that says "No
        data for this period".
    """
    title = "Energy by channel over the period [kWh]"
    table = channels.copy()
    for col in ("energy_kwh", "share", "cost"):
        table[col] = pd.to_numeric(table[col], errors="coerce") if col in table else np.nan
    if table.empty or not table["energy_kwh"].notna().any():
        return _empty(title)
    table = table.sort_values("energy_kwh", ascending=False, kind="stable", na_position="last")
    colors = channel_colors(table["channel_id"].astype(int))
    energy = table["energy_kwh"].to_numpy(dtype=float)
    n = len(table)
    y = np.arange(n)[::-1]  # largest on top
    x_max = max(float(np.nanmax(energy)), 1e-3)
    symbol = fmt.currency_symbol(currency)
    names = [
        _short(nm) or str(c)
        for c, nm in zip(table["channel_id"], table["channel_name"], strict=True)
    ]
    texts = []
    for (_, row), e in zip(table.iterrows(), energy, strict=True):  # one label per channel
        if not np.isfinite(e):
            texts.append("no data")
            continue
        parts = [f"{e:,.0f} kWh"]
        if np.isfinite(row["share"]):
            parts.append(f"{row['share']:.1%}")
        if np.isfinite(row["cost"]):
            parts.append(f"{symbol}{row['cost']:,.0f}")
        texts.append(" · ".join(parts))
    # room right of each bar for its label: ~0.06 in per 7.5 pt character
    axes_in = EMAIL_WIDTH_IN - 0.35 - 0.062 * max(len(t) for t in names)
    need = [
        e * axes_in / max(axes_in - 0.058 * len(t) - 0.1, 0.3 * axes_in)
        for e, t in zip(np.nan_to_num(energy), texts, strict=True)
    ]
    with mpl.rc_context(STYLE):
        fig = new_figure(1.0 + 0.3 * n)
        ax = fig.add_subplot()
        for yi, (_, row), e, text in zip(y, table.iterrows(), energy, texts, strict=True):
            cid = int(row["channel_id"])
            ax.barh(
                yi,
                e if np.isfinite(e) else 0.0,
                height=0.62,
                color=colors[cid],
                gid=f"channel-{cid}",
            )
            ax.text(
                (e if np.isfinite(e) else 0.0) + x_max * 0.01,
                yi,
                text,
                va="center",
                fontsize=7.5,
                color=INK if np.isfinite(e) else MUTED,
                gid=f"label-{cid}",
            )
        ax.set_yticks(y, names)
        ax.tick_params(axis="y", length=0)
        ax.set_xlim(0.0, max(max(need), x_max * 1.1))
        # ticks and axis line only under the bars: the room right of them is for the labels
        ticks = [t for t in MaxNLocator(5).tick_values(0.0, x_max) if 0.0 <= t <= x_max * 1.15]
        ax.set_xticks(ticks)
        ax.spines["bottom"].set_bounds(0.0, ticks[-1])
        ax.set_ylim(-0.6, n - 0.4)
        ax.xaxis.set_major_formatter(_THOUSANDS)
        ax.set_xlabel("Energy over the period [kWh]")
        _style_grid(ax, "x")
        notes = ["Labels: energy · share of the channels' total · cost."]
        _titles(ax, title, notes)
    return fig


# --------------------------------------------------------------------------------------------
# 7. Weather-normalised savings


_GAP_SPLIT_DAYS = 14
"""Baseline and reporting periods further apart than this [days] get an axes each."""


def _period_segments(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    segments = []
    for period in ("baseline", "reporting"):
        part = frame[frame["period"] == period]
        if len(part):
            segments.append((period, part))
    return segments


def plot_normalised(daily: pd.DataFrame) -> ChartFigure:
    """Chart actual daily energy against the weather-normalised baseline, and the savings.

    Parameters
    ----------
    daily : pandas.DataFrame
        One row per site-local day: ``date``, ``period`` (``baseline``: the days the model
        was fitted on; ``reporting``), ``actual_kwh`` and ``expected_kwh`` (the baseline
        model's prediction for that day's weather) [kWh] (``hours`` and ``temperature_c``
        are not drawn).

    Returns
    -------
    ChartFigure
        Top: actual (gid ``actual-<period>``) and expected (``expected-<period>``) daily
        energy [kWh] over both periods; periods more than two weeks apart get an axes each,
        side by side, so no empty months are drawn. Bottom (reporting days only): cumulative
        actual − expected [kWh] (gid ``cumulative``), below zero a saving. An empty frame
        gives a figure that says "No data for this period".
    """
    title = "Actual vs weather-normalised expected energy per day [kWh]"
    frame = daily.copy()
    for col in ("actual_kwh", "expected_kwh"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    if frame.empty or not frame[["actual_kwh", "expected_kwh"]].notna().any().any():
        return _empty(title)
    frame = frame.assign(x=_dates(frame["date"])).sort_values("x", kind="stable")
    segments = _period_segments(frame)
    if not segments:
        return _empty(title, "No baseline or reporting days")
    bounds = [(float(p["x"].min()), float(p["x"].max())) for _, p in segments]
    split = len(segments) == 2 and bounds[1][0] - bounds[0][1] - 1 > _GAP_SPLIT_DAYS
    reporting = frame[frame["period"] == "reporting"]
    values = frame[["actual_kwh", "expected_kwh"]].to_numpy(dtype=float)
    y_top = max(float(np.nanmax(values)), 1e-3) * 1.12
    styles = {
        "baseline": ("Baseline (model fit)", PALETTE["below"]),
        "reporting": ("Reporting", BRAND),
    }

    diff = (reporting["actual_kwh"] - reporting["expected_kwh"]).to_numpy(dtype=float)
    plot_in = EMAIL_WIDTH_IN - 1.0  # the axes' width [in], without the y labels

    with mpl.rc_context(STYLE):
        has_reporting = bool(np.isfinite(diff).any())
        fig = new_figure(5.0 if has_reporting else 3.9)
        # the title and notes sit on a header as wide as the figure (on a half-width axes the
        # layout would squeeze the axes to make room for them)
        outer = fig.add_gridspec(3, 1, height_ratios=(0.001, 1.35, 1.0 if has_reporting else 0.3))
        header = fig.add_subplot(outer[0])
        header.set_axis_off()
        if split:
            spans = [b - a + 1.0 for a, b in bounds]
            ratios = [max(s / sum(spans), 0.3) for s in spans]
            ratios = [r / sum(ratios) for r in ratios]
            inner = outer[1].subgridspec(1, 2, width_ratios=ratios, wspace=0.03)
            tops = [fig.add_subplot(inner[0])]
            tops.append(fig.add_subplot(inner[1], sharey=tops[0]))
        else:
            ratios = [1.0]
            tops = [fig.add_subplot(outer[1])]
        low_ax = fig.add_subplot(outer[2])
        legend: dict[str, Any] = {}
        for k, (period, part) in enumerate(segments):  # one or two periods
            ax = tops[k if split else 0]
            label, color = styles[period]
            x = part["x"].to_numpy(dtype=float)
            a, b = bounds[k]
            if period == "baseline":
                ax.axvspan(a - 0.5, b + 0.5, color=PALETTE["closed"], lw=0, gid="baseline-span")
            ax.plot(
                x,
                part["expected_kwh"].to_numpy(dtype=float),
                color=MUTED,
                lw=1.0,
                ls=DASHED,
                gid=f"expected-{period}",
            )
            ax.plot(
                x,
                part["actual_kwh"].to_numpy(dtype=float),
                color=color,
                lw=1.1,
                marker="o",
                ms=2.0 if len(part) > 60 else 2.8,
                gid=f"actual-{period}",
            )
            legend[f"Actual, {label.lower()}"] = Line2D(
                [], [], color=color, lw=1.1, marker="o", ms=2.8
            )
            ax.text(
                (a - 0.5) if split else (a + b) / 2.0,
                0.98,
                f" {label}" if split else label,
                transform=ax.get_xaxis_transform(),
                ha="left" if split else "center",
                va="top",
                fontsize=7.5,
                color=MUTED,
                fontweight="bold",
                gid=f"label-{period}",
            )
        legend["Expected (baseline model, actual weather)"] = Line2D(
            [], [], color=MUTED, lw=1.0, ls=DASHED
        )
        if "baseline" in dict(segments):
            legend["Baseline period (model fit)"] = Patch(color=PALETTE["closed"])
        for k, ax in enumerate(tops):  # one or two axes
            a, b = bounds[k] if split else (bounds[0][0], bounds[-1][1])
            pad = max(0.5, 0.01 * (b - a))
            ax.set_xlim(a - pad, b + pad)
            _date_axis(ax.xaxis, a, b, length_in=plot_in * ratios[k])
            ax.set_ylim(0.0, y_top)
            ax.yaxis.set_major_formatter(_THOUSANDS)
            _style_grid(ax)
        tops[0].set_ylabel("Energy [kWh/day]")
        if split:
            right = tops[1]
            right.tick_params(axis="y", labelleft=False, length=0)
            right.spines["left"].set_visible(False)
            # break marks on the time axis: the days between the periods are left out
            marks: dict[str, Any] = {
                "marker": [(-1, -1.5), (1, 1.5)],
                "ms": 7,
                "mew": 0.8,
                "ls": "none",
                "color": MUTED,
                "clip_on": False,
            }
            tops[0].plot([1], [0], transform=tops[0].transAxes, gid="break", **marks)
            right.plot([0], [0], transform=right.transAxes, gid="break", **marks)
        notes = []
        for period, part in segments:
            d0, d1 = _day(float(part["x"].min())), _day(float(part["x"].max()))
            notes.append(f"{styles[period][0]}: {_span_label(d0, d1)}.")
        if split:
            gap = (_day(bounds[1][0]) - _day(bounds[0][1])).days - 1
            notes.append(f"The {fmt.plural(gap, 'day')} between them are left out.")
        missing = int((~np.isfinite(diff)).sum())
        if missing:
            notes.append(
                f"{fmt.plural(missing, 'reporting day')} without data"
                f" count{'s' if missing == 1 else ''} as 0 in the cumulative sum."
            )
        _titles(header, title, notes)

        # bottom: cumulative difference over the reporting days
        _draw_cumulative(low_ax, reporting, diff, length_in=plot_in)
        add_legend(fig, legend, ncols=2)
    return fig


def _signed(value: float) -> str:
    """``+1,234``, ``−1,234`` (a true minus sign) or ``0``."""
    if round(value) == 0:
        return "0"
    return f"{value:+,.0f}".replace("-", "\N{MINUS SIGN}")


def _draw_cumulative(
    ax: Axes, reporting: pd.DataFrame, diff: np.ndarray, *, length_in: float
) -> None:
    """Cumulative actual − expected over the reporting days [kWh], below zero a saving."""
    title = "Cumulative actual − expected, reporting period [kWh] (below zero: savings)"
    if len(reporting) == 0 or not np.isfinite(diff).any():
        ax.set_title(title, fontsize=8.5)
        ax.set_axis_off()
        axes_message(ax, "No reporting days yet")
        return
    x = reporting["x"].to_numpy(dtype=float)
    cumulative = np.cumsum(np.where(np.isfinite(diff), diff, 0.0))
    ax.axhline(0.0, color=INK, lw=0.8, gid="zero")
    ax.fill_between(
        x, cumulative, 0.0, where=cumulative <= 0, interpolate=True, color=BRAND, alpha=0.2, lw=0
    )
    ax.fill_between(
        x, cumulative, 0.0, where=cumulative >= 0, interpolate=True, color=ACCENT, alpha=0.2, lw=0
    )
    ax.plot(x, cumulative, color=INK, lw=1.3, gid="cumulative")
    end = float(cumulative[-1])
    ax.plot([x[-1]], [end], ls="none", marker="o", ms=4, mfc=INK, mec="white", mew=0.8)
    if round(end) < 0:
        verdict = f"Savings over the reporting period: {-end:,.0f} kWh"
    elif round(end) > 0:
        verdict = f"Above expected over the reporting period: {end:,.0f} kWh"
    else:
        verdict = "As expected over the reporting period"
    # in the corner the line moves away from: below it for savings, above it for excess
    ax.text(
        0.01,
        0.05 if end < 0 else 0.95,
        verdict,
        transform=ax.transAxes,
        ha="left",
        va="bottom" if end < 0 else "top",
        fontsize=7.5,
        fontweight="bold",
        color=INK,
        gid="total",
    )
    a, b = float(x.min()), float(x.max())
    pad = max(0.5, 0.01 * (b - a))
    ax.set_xlim(a - pad, b + pad)
    _date_axis(ax.xaxis, a, b, length_in=length_in)
    lo, hi = float(min(cumulative.min(), 0.0)), float(max(cumulative.max(), 0.0))
    margin = max(hi - lo, 1.0) * 0.18
    ax.set_ylim(lo - margin, hi + margin)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _signed(v)))
    ax.set_ylabel("Cumulative [kWh]")
    ax.set_xlabel("Date (site-local)")
    _style_grid(ax)
    ax.set_title(title, fontsize=8.5)
