"""Analytics of one site-week: health, baselines, anomalies, spikes, after-hours, quick wins, costs.

Each module holds one concern (``grid``, ``baseline``, ``towt``, ``health``, ``level_shifts``,
``spikes``, ``anomalies``, ``after_hours``, ``load_shape``, ``costs``, ``quick_wins``,
``summary``); :func:`analyse_site_week` runs them all over the canonical readings frame and
returns a :class:`SiteWeekAnalysis`. Nothing here touches the database or the network.
"""

from argo_lib.analytics.week import SiteWeekAnalysis, analyse_site_week

__all__ = ["SiteWeekAnalysis", "analyse_site_week"]
