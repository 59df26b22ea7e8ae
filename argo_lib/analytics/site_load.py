"""The site's load in the report week and its usual range: what the site-level charts draw.

The site's load is its main (utility) meter, or the sum of the analysed channels where the site
has none (the Wilson Center has none), over the channels with readings this week. Readings the
sensor checks distrust (stuck, implausible, ...) are left out, as in the analysis' energy
totals. The usual range is the baseline profile (:func:`argo_lib.analytics.baseline.fit_profile`,
same pooling and thresholds as the per-channel analysis) of the same sum over the baseline
weeks, counting only the intervals where every one of those channels has a reading: a baseline
interval with a channel missing would look like a low load.

It is computed once per analysis (:func:`argo_lib.analytics.analyse_site_week` stores it as
``SiteWeekAnalysis.site_load``), and the charts only draw it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics import baseline as baselines
from argo_lib.analytics import grid as grids
from argo_lib.thresholds import BaselineThresholds

__all__ = ["SITE_LOAD_COLUMNS", "empty_site_load", "site_load"]

SITE_LOAD_COLUMNS = (
    "timestamp",
    "load_kw",
    "energy_kwh",
    "coverage",
    "p5_kw",
    "median_kw",
    "p95_kw",
    "business",
)
"""Columns of the frame :func:`site_load` returns."""

_SITE_ID = -1
"""Channel id of the site's pseudo-channel on its own grid."""


def empty_site_load(*, source: str = "sum of the meters") -> pd.DataFrame:
    """The site-load frame of a week without readings (no rows, the columns and ``attrs``)."""
    out = pd.DataFrame({c: pd.Series(dtype=float) for c in SITE_LOAD_COLUMNS})
    out["timestamp"] = pd.Series(dtype="datetime64[ns, UTC]")
    out["business"] = pd.Series(dtype=bool)
    out.attrs.update(channel_ids=(), source=source, resolution_s=None)
    return out


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


def _site_channels(table: pd.DataFrame, report: Mapping[int, grids.Grid]) -> tuple[np.ndarray, str]:
    """Channels that make up the site's load this week, and how that load is described."""
    ids = table["channel_id"].to_numpy(dtype=np.int64)
    main = ids[(table["role"].astype(str) == "main").to_numpy()]
    with_data = np.concatenate(
        [g.channel_ids[g.present.any(axis=0)] for g in report.values()] or [np.empty(0, int)]
    )
    pool = main if main.size else ids
    chosen = pool[np.isin(pool, with_data)]
    return chosen, ("main meter" if main.size else "sum of the meters")


def site_load(
    *,
    report: Mapping[int, grids.Grid],
    clean: Mapping[int, grids.Grid],
    baseline: Mapping[int, grids.Grid],
    table: pd.DataFrame,
    period: dates.Period,
    baseline_period: dates.Period,
    tz: Any,
    opening_hours: Any = None,
    holidays: tuple[Any, ...] = (),
    thresholds: BaselineThresholds | None = None,
) -> pd.DataFrame:
    """The site's load in the report week, with the usual range from the baseline weeks.

    Parameters
    ----------
    report : mapping of int to Grid
        Report-week grids per resolution [s], as read (they tell which channels have readings).
    clean : mapping of int to Grid
        The same without suspect readings (:func:`argo_lib.analytics.health.without_suspect`):
        what is summed.
    baseline : mapping of int to Grid
        Baseline grids per resolution.
    table : pandas.DataFrame
        The analysed channels (:func:`argo_lib.analytics.grid.channel_table`): ``channel_id``,
        ``resolution_s``, ``role``.
    period, baseline_period : dates.Period
        The report week and the baseline.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.
    opening_hours : config.OpeningHours, optional
        Marks business intervals.
    holidays : tuple of datetime.date
        Site holidays (closed all day).
    thresholds : BaselineThresholds, optional
        Profile pooling and sufficiency rules (default :class:`BaselineThresholds`).

    Returns
    -------
    pandas.DataFrame
        One row per interval of the finest resolution among the summed channels:
        ``timestamp`` (UTC interval start), ``load_kw`` [kW], ``energy_kwh`` [kWh],
        ``coverage`` (share of the channels with a reading) [-], ``p5_kw``, ``median_kw``,
        ``p95_kw`` (usual range of the interval's slot; NaN without a usable baseline) [kW],
        ``business`` (opening hours). No rows when no channel has readings this week.
        ``attrs`` hold ``channel_ids`` (the channels summed), ``source`` (``"main meter"`` or
        ``"sum of the meters"``) and ``resolution_s``.
    """
    ids, source = _site_channels(table, report)
    if ids.size == 0:
        return empty_site_load(source=source)
    res = int(table.loc[table["channel_id"].isin(ids), "resolution_s"].min())
    site_table = pd.DataFrame(
        {
            "channel_id": np.array([_SITE_ID], dtype=np.int64),
            "channel_name": ["site"],
            "resolution_s": np.array([res], dtype=np.int64),
            "role": ["main"],
            "max_kw": [np.nan],
            "owner": [None],
        }
    )

    def _on_own_grid(
        by_res: Mapping[int, grids.Grid], span: dates.Period, *, complete: bool
    ) -> tuple[grids.Grid, np.ndarray]:
        index = pd.DatetimeIndex(dates.expected_index(span, resolution_s=res))
        load, energy, present = _site_sum(by_res, ids, index, res)
        keep = present == ids.size if complete else present > 0
        frame = pd.DataFrame(
            {
                "timestamp": index,
                "channel_id": np.full(len(index), _SITE_ID, dtype=np.int64),
                "energy_kwh": np.where(keep, energy, np.nan),
                "power_kw": np.where(keep, load, np.nan),
            }
        )
        built = grids.build_grids(
            frame, site_table, period=span, tz=tz, opening_hours=opening_hours, holidays=holidays
        )
        return built[res], present

    week, present = _on_own_grid(clean, period, complete=False)
    usual, _ = _on_own_grid(baseline, baseline_period, complete=True)
    profile = baselines.fit_profile(usual, thresholds=thresholds)
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
