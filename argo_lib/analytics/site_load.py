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

import dataclasses
from collections.abc import Mapping

import numpy as np
import pandas as pd

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
    thresholds: BaselineThresholds | None = None,
) -> pd.DataFrame:
    """The site's load in the report week, with the usual range from the baseline weeks.

    Parameters
    ----------
    report : mapping of int to Grid
        Report-week grids per resolution [s], as read (they tell which channels have readings);
        the site's load is laid on the finest one, whose calendar (opening hours, slots) it
        shares.
    clean : mapping of int to Grid
        The same without suspect readings (:func:`argo_lib.analytics.health.without_suspect`):
        what is summed.
    baseline : mapping of int to Grid
        Baseline grids per resolution.
    table : pandas.DataFrame
        The analysed channels (:func:`argo_lib.analytics.grid.channel_table`): ``channel_id``,
        ``resolution_s``, ``role``.
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

    def _on_own_grid(
        by_res: Mapping[int, grids.Grid], *, complete: bool
    ) -> tuple[grids.Grid, np.ndarray]:
        # the site as one more channel on the finest grid, whose calendar (hour of week, day
        # type, opening hours) is already computed: only the values are new
        template = by_res[res]
        load, energy, present = _site_sum(by_res, ids, template.index, res)
        keep = present == ids.size if complete else present > 0

        def column(values: np.ndarray) -> np.ndarray:
            return np.where(keep, values, np.nan)[:, None]

        site = dataclasses.replace(
            template,
            channel_ids=np.array([_SITE_ID], dtype=np.int64),
            energy_kwh=column(energy),
            power_kw=column(load),
            load_kw=column(load),
        )
        return site, present

    week, present = _on_own_grid(clean, complete=False)
    usual, _ = _on_own_grid(baseline, complete=True)
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
