"""The house look: colours, the status vocabulary and the chart style, in one place.

Every customer-facing surface takes its colours and words from here: the charts
(:mod:`argo_lib.render.plots`), the notebook views (:mod:`argo_lib.render.views`), the HTML
report's stylesheet (``templates/argo/argo.css`` holds :func:`css_variables`; a test keeps the
two equal) and the
e-mail (:mod:`argo_lib.render.email`). A status is said the same way and drawn in the same colour
wherever it appears.

Examples
--------
>>> STATUS_LABELS["action_required"], STATUS_COLORS["action_required"]
('Action required', '#b42318')
>>> channel_colors([162120, 162119])
{162119: '#0b5d5b', 162120: '#1f5fa8'}
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.typing import RcKeyType

__all__ = [
    "ACCENT",
    "ACTION",
    "ATTENTION",
    "BG_SOFT",
    "BRAND",
    "CHANNEL_PALETTE",
    "EMAIL_WIDTH_IN",
    "INK",
    "LINE",
    "MUTED",
    "NORMAL",
    "NOT_ASSESSED",
    "PALETTE",
    "PNG_DPI",
    "SCREEN_DPI",
    "SEVERITY_LABELS",
    "STATUSES",
    "STATUS_COLORS",
    "STATUS_LABELS",
    "STYLE",
    "channel_colors",
    "css_variables",
]

# --------------------------------------------------------------------------------------------
# Colours

BRAND = "#0b5d5b"
"""Brand colour: headers, this week's load."""
ACCENT = "#e07a1f"
"""Accent colour: spikes and highlights."""
ACTION = "#b42318"
"""Status colour "action required"; also unusual consumption."""
ATTENTION = "#b54708"
"""Status colour "attention needed"."""
NORMAL = "#027a48"
"""Status colour "operating normally"."""
NOT_ASSESSED = "#667085"
"""Status colour "not assessed": grey, neither good nor bad."""
INK = "#1f2933"
"""Text."""
MUTED = "#5f6b76"
"""Secondary text: notes, labels, axis ticks."""
LINE = "#d9dee3"
"""Rules and table borders."""
BG_SOFT = "#f4f7f8"
"""Soft background: table headers, the e-mail's frame."""

STATUSES = ("action_required", "attention_needed", "operating_normally", "not_assessed")
"""The brief's status values, most urgent first."""
STATUS_LABELS = {
    "action_required": "Action required",
    "attention_needed": "Attention needed",
    "operating_normally": "Operating normally",
    "not_assessed": "Not assessed",
}
"""How each status is said to the reader."""
STATUS_COLORS = {
    "action_required": ACTION,
    "attention_needed": ATTENTION,
    "operating_normally": NORMAL,
    "not_assessed": NOT_ASSESSED,
}
"""Colour of each status."""
SEVERITY_LABELS = {"high": "High", "medium": "Medium", "low": "Low"}
"""How each finding severity is said."""

PALETTE = {
    "brand": BRAND,
    "accent": ACCENT,
    "action": ACTION,
    "attention": ATTENTION,
    "normal": NORMAL,
    "ink": INK,
    "muted": MUTED,
    "grid": "#e4e7ec",
    "band": "#c3cad5",
    "median": MUTED,
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
    """
    ids = sorted({int(c) for c in channel_ids})
    return {cid: CHANNEL_PALETTE[i % len(CHANNEL_PALETTE)] for i, cid in enumerate(ids)}


def css_variables() -> str:
    """The theme as CSS custom properties and status classes, for the HTML report's stylesheet.

    Returns
    -------
    str
        A ``:root { --argo-brand: ...; }`` block and one ``.argo-banner--<status>`` rule per
        status.

    Examples
    --------
    >>> "--argo-brand: #0b5d5b;" in css_variables()
    True
    """
    names = {
        "ink": INK,
        "muted": MUTED,
        "line": LINE,
        "brand": BRAND,
        "accent": ACCENT,
        "bg-soft": BG_SOFT,
    }
    root = "".join(f" --argo-{k}: {v};" for k, v in names.items())
    banners = "\n".join(
        f".argo-banner--{status} {{ background: {color}; }}"
        for status, color in STATUS_COLORS.items()
    )
    return f":root {{{root} }}\n{banners}\n"


# --------------------------------------------------------------------------------------------
# Charts

EMAIL_WIDTH_IN = 6.4
"""Chart width [in]: shown 640 px wide in the e-mail, the notebook and the HTML report."""
SCREEN_DPI = 100
"""Layout resolution of charts [dots per inch]: :data:`EMAIL_WIDTH_IN` is 640 px on screen."""
PNG_DPI = 150
"""Resolution of every chart PNG [dots per inch]: 960 px drawn 640 px wide, sharp on
high-density screens; the same bytes go to the notebook, the HTML report and the e-mail."""

STYLE: dict[RcKeyType, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 9.5,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 4.0,
    "axes.labelsize": 8.5,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#98a2b3",
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": False,
    "grid.color": PALETTE["grid"],
    "grid.linewidth": 0.6,
    "text.color": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
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
    "figure.dpi": SCREEN_DPI,
    "savefig.facecolor": "white",
    "lines.linewidth": 1.1,
    "lines.solid_capstyle": "round",
}
"""Matplotlib settings applied (locally, via ``rc_context``) while a chart is drawn."""
