"""The week in whole numbers: consumption, cost, carbon, change against the baseline, data quality.

Computed from an analysis' own grids (:class:`~argo_lib.analytics.week.SiteWeekAnalysis`), so
every figure traces to the readings the findings came from:

- **consumption** per channel and for the site (the main meter, else the sum of the channels):
  the week's energy [kWh], its cost at the tariff, its carbon [kg CO2e] at the site file's
  ``carbon_kg_per_kwh``, and the change of mean power against the baseline weeks' mean [%]
  (means over the intervals with readings, so a gap neither lowers this week nor the baseline;
  not weather-normalised);
- the **data-quality index** per channel and for the site: the share of the week's expected
  intervals that have a reading passing every check (present, and not distrusted by a sensor
  check), as pecos reports it [%];
- the **baseline weeks that hold data**, so the brief shows the baseline it really used.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics.grid import Grid

__all__ = [
    "CONSUMPTION_COLUMNS",
    "SiteConsumption",
    "baseline_weeks",
    "channel_consumption",
    "site_consumption",
]

CONSUMPTION_COLUMNS = (
    "channel_id",
    "energy_kwh",
    "cost",
    "carbon_kg",
    "mean_kw",
    "baseline_mean_kw",
    "change_pct",
    "expected_intervals",
    "passing_intervals",
    "quality_index_pct",
)
"""Columns of :func:`channel_consumption`."""


def _per_channel(grids: Mapping[int, Grid], fn: Any) -> dict[int, float]:
    out: dict[int, float] = {}
    for g in grids.values():  # one or two resolutions
        values = fn(g)
        out.update(
            zip(g.channel_ids.tolist(), np.asarray(values, dtype=float).tolist(), strict=True)
        )
    return out


def _mean_kw(g: Grid) -> np.ndarray:
    count = np.isfinite(g.load_kw).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, np.nansum(g.load_kw, axis=0) / np.maximum(count, 1), np.nan)


def channel_consumption(analysis: Any) -> pd.DataFrame:
    """Consumption, change against the baseline and data quality of every analysed channel.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`CONSUMPTION_COLUMNS`, one row per row of ``analysis.channels``:
        ``energy_kwh`` [kWh] and ``cost`` [currency] of the week (as ``analysis.channels``),
        ``carbon_kg`` [kg CO2e] (NaN without a carbon factor), ``mean_kw`` and
        ``baseline_mean_kw`` [kW] over the intervals with readings, ``change_pct`` [%] (NaN
        without both), ``expected_intervals``, ``passing_intervals`` [count] and
        ``quality_index_pct`` [%].
    """
    table = analysis.channels
    ids = table["channel_id"].to_numpy(dtype=np.int64)
    week_mean = _per_channel(analysis.clean_grids, _mean_kw)
    base_mean = _per_channel(analysis.baseline_grids, _mean_kw)
    passing = _per_channel(analysis.clean_grids, lambda g: np.isfinite(g.load_kw).sum(axis=0))
    expected = _per_channel(analysis.grids, lambda g: np.full(g.channel_ids.size, len(g.index)))
    factor = float(getattr(analysis.site, "carbon_kg_per_kwh", 0.0) or 0.0)
    energy = pd.to_numeric(table["energy_kwh"], errors="coerce").to_numpy(dtype=float)
    mean = np.array([week_mean.get(int(c), np.nan) for c in ids])
    base = np.array([base_mean.get(int(c), np.nan) for c in ids])
    n_expected = np.array([expected.get(int(c), 0.0) for c in ids])
    n_passing = np.array([passing.get(int(c), 0.0) for c in ids])
    with np.errstate(invalid="ignore", divide="ignore"):
        change = np.where(base > 0, 100.0 * (mean - base) / base, np.nan)
        quality = np.where(n_expected > 0, 100.0 * n_passing / n_expected, 0.0)
    return pd.DataFrame(
        {
            "channel_id": ids,
            "energy_kwh": energy,
            "cost": pd.to_numeric(table["energy_cost"], errors="coerce").to_numpy(dtype=float),
            "carbon_kg": energy * factor if factor > 0 else np.full(ids.size, np.nan),
            "mean_kw": mean,
            "baseline_mean_kw": base,
            "change_pct": change,
            "expected_intervals": n_expected.astype(np.int64),
            "passing_intervals": n_passing.astype(np.int64),
            "quality_index_pct": quality,
        }
    )


@dataclass(frozen=True)
class SiteConsumption:
    """The site's week in whole numbers.

    Attributes
    ----------
    source : str
        ``"main meter"`` or ``"sum of the meters"``: what the site's figures add up.
    channel_ids : tuple of int
        The channels counted.
    energy_kwh, cost : float
        The week's energy [kWh] and its cost [currency].
    carbon_kg : float or None
        Its carbon [kg CO2e]; None without a carbon factor in the site file.
    mean_kw, baseline_mean_kw : float
        Mean power this week and in the baseline weeks [kW], each the sum of the channels'
        means over their intervals with readings.
    change_pct : float or None
        Change of mean power against the baseline [%] (not weather-normalised).
    quality_index_pct : float or None
        Share of all channels' expected intervals with a reading passing every check [%].
    """

    source: str
    channel_ids: tuple[int, ...]
    energy_kwh: float
    cost: float
    carbon_kg: float | None
    mean_kw: float
    baseline_mean_kw: float
    change_pct: float | None
    quality_index_pct: float | None


def site_consumption(analysis: Any, channels: pd.DataFrame | None = None) -> SiteConsumption:
    """The site's consumption, cost, carbon and change against the baseline.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.
    channels : pandas.DataFrame, optional
        :func:`channel_consumption` of the analysis (computed when not given).

    Returns
    -------
    SiteConsumption
        The main meter's figures where the site has one, else the sum of the channels'.
    """
    per = channel_consumption(analysis) if channels is None else channels
    roles = analysis.channels["role"].astype(str).to_numpy()
    main = roles == "main"
    use = main if main.any() else np.ones(len(per), dtype=bool)
    chosen = per[use]
    mean = float(np.nansum(chosen["mean_kw"])) if chosen["mean_kw"].notna().any() else np.nan
    base = (
        float(np.nansum(chosen["baseline_mean_kw"]))
        if chosen["baseline_mean_kw"].notna().all() and len(chosen)
        else np.nan
    )
    factor = float(getattr(analysis.site, "carbon_kg_per_kwh", 0.0) or 0.0)
    energy = float(np.nansum(chosen["energy_kwh"]))
    expected = float(per["expected_intervals"].sum())
    return SiteConsumption(
        source="main meter" if main.any() else "sum of the meters",
        channel_ids=tuple(int(c) for c in chosen["channel_id"]),
        energy_kwh=energy,
        cost=float(np.nansum(chosen["cost"])),
        carbon_kg=energy * factor if factor > 0 else None,
        mean_kw=mean,
        baseline_mean_kw=base,
        change_pct=(
            100.0 * (mean - base) / base
            if np.isfinite(mean) and np.isfinite(base) and base > 0
            else None
        ),
        quality_index_pct=(
            100.0 * float(per["passing_intervals"].sum()) / expected if expected else None
        ),
    )


def baseline_weeks(analysis: Any) -> pd.DataFrame:
    """The baseline's weeks and how much of each holds readings.

    Parameters
    ----------
    analysis : SiteWeekAnalysis
        From :func:`argo_lib.analytics.analyse_site_week`.

    Returns
    -------
    pandas.DataFrame
        One row per site-local week of the baseline: ``label`` (ISO week), ``start``, ``end``
        (UTC) and ``coverage`` [-], the share of the channels' expected intervals with a
        reading in that week.
    """
    baseline = analysis.baseline
    tz = baseline.start.tz
    rows = []
    start = baseline.start
    while start < baseline.end:  # four weeks, or however many the baseline has
        end = min((start.tz_localize(None) + pd.DateOffset(weeks=1)).tz_localize(tz), baseline.end)
        week = dates.Period(start, end)
        present = expected = 0
        for g in analysis.baseline_grids.values():  # one or two resolutions
            rows_in = week.contains(g.index)
            present += int(np.isfinite(g.load_kw[rows_in]).sum())
            expected += int(rows_in.sum()) * g.channel_ids.size
        rows.append(
            {
                "label": dates.report_week(start, tz=str(tz)).label,
                "start": start.tz_convert("UTC"),
                "end": end.tz_convert("UTC"),
                "coverage": present / expected if expected else 0.0,
            }
        )
        start = end
    return pd.DataFrame(rows, columns=["label", "start", "end", "coverage"])
