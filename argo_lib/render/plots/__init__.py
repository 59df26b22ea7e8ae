"""Every chart of the workbook: one function each, drawing what an analysis computed.

A chart takes the :class:`~argo_lib.analytics.SiteWeekAnalysis` (or an ingestion result) and
returns a :class:`ChartFigure`. Charts never read the database, rebuild a grid or refit a
baseline: the analysis carries its grids, the expected band its detectors used and the site's
load with its usual range, so a chart shows exactly what the brief's numbers came from.

All charts share one style (:mod:`argo_lib.render.theme`): this week's load in the brand
colour, the usual range in grey, problems in the status colours, one fixed colour per channel.
Times are site-local, with the zone in the axis label; the time axis is real elapsed hours from
the start of the week, so DST weeks (167 or 169 h) plot at their true length. Every axis carries
its unit, and an empty week gives a figure that says so instead of an exception.

- :mod:`~argo_lib.render.plots.site`: the site's load against its usual range; energy by day
  and hour.
- :mod:`~argo_lib.render.plots.after_hours`: after-hours waste by meter.
- :mod:`~argo_lib.render.plots.channels`: one small panel per channel.
- :mod:`~argo_lib.render.plots.ingest`: what an ingestion run wrote; daily coverage.
- :mod:`~argo_lib.render.plots.figure`: the figure class, PNG output and shared helpers.
"""

from argo_lib.render.plots.after_hours import plot_after_hours_by_meter
from argo_lib.render.plots.channels import plot_channel_small_multiples
from argo_lib.render.plots.figure import ChartFigure, figure_alt_text, figure_to_png
from argo_lib.render.plots.ingest import plot_coverage_heatmap, plot_ingest_rows
from argo_lib.render.plots.site import plot_site_load, plot_week_heatmap

__all__ = [
    "ChartFigure",
    "figure_alt_text",
    "figure_to_png",
    "plot_after_hours_by_meter",
    "plot_channel_small_multiples",
    "plot_coverage_heatmap",
    "plot_ingest_rows",
    "plot_site_load",
    "plot_week_heatmap",
]
