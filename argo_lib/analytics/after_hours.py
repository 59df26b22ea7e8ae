"""After-hours waste per channel: energy used outside opening hours above the base load (spec A4).

- After-hours means outside the site's local opening hours, holidays all day (B1, C).
- Base load = P``base_percentile`` (P5) of the baseline's after-hours power values above
  ``min_power_kw`` (A4); a channel that never draws that much uses the P5 of all its after-hours
  values instead (the source is reported).
- Excess of each after-hours interval = ``max(0, P - base - allowance) * dt_h``, where the
  allowance is ``noise_sigmas`` robust standard deviations of the baseline's after-hours noise,
  so that a quiet but noisy base load is not counted as waste (0 gives A4 exactly).
- Each interval's excess is priced at the tariff rate of that interval (the off-peak rate under
  a TOU tariff at night and at weekends, B11).
- A channel is significant when its weekly excess reaches ``min_weekly_kwh`` and ``min_share`` of
  its after-hours energy.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from argo_lib.analytics.baseline import Profile, SlotStats
from argo_lib.analytics.grid import Grid
from argo_lib.stats import grouped_quantiles, robust_sigma
from argo_lib.thresholds import AfterHoursThresholds

__all__ = ["AFTER_HOURS_COLUMNS", "after_hours_waste", "empty_after_hours"]

AFTER_HOURS_COLUMNS = (
    "channel_id",
    "base_kw",
    "base_source",
    "allowance_kw",
    "after_hours_kwh",
    "excess_kwh",
    "excess_cost",
    "avg_kw",
    "max_kw",
    "min_kw",
    "intervals",
    "expected_intervals",
    "significant",
)
"""Columns of the after-hours table, one row per channel."""

_MIN_VALUES = 8


def empty_after_hours() -> pd.DataFrame:
    """Return an after-hours table without rows, with the right dtypes."""
    return _empty_after_hours_prototype().copy()


@functools.cache
def _empty_after_hours_prototype() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=float) for c in AFTER_HOURS_COLUMNS})
    return frame.astype(
        {
            "channel_id": np.int64,
            "base_source": object,
            "intervals": np.int64,
            "expected_intervals": np.int64,
            "significant": bool,
        }
    )


def after_hours_waste(
    grid: Grid,
    *,
    baseline: Grid,
    baseline_expected: SlotStats,
    profile: Profile,
    rate_per_kwh: np.ndarray,
    thresholds: AfterHoursThresholds | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Measure after-hours energy above the base load for every channel of a grid.

    Parameters
    ----------
    grid : Grid
        Report-week grid of one resolution.
    baseline : Grid
        Baseline grid of the same channels.
    baseline_expected : SlotStats
        Baseline statistics of the baseline intervals (for the noise allowance).
    profile : Profile
        Baseline profile (coverage decides whether the baseline is sufficient).
    rate_per_kwh : numpy.ndarray
        Energy price of each report interval [currency/kWh].
    thresholds : AfterHoursThresholds, optional
        Limits.

    Returns
    -------
    table : pandas.DataFrame
        Columns :data:`AFTER_HOURS_COLUMNS`. ``base_source`` is ``"baseline_p5"``,
        ``"baseline_p5_all"`` (no values above ``min_power_kw``) or
        ``"insufficient_baseline"`` (then base, excess and cost are NaN). Energies [kWh],
        powers [kW], cost [currency]; ``intervals`` counts the after-hours readings present.
    excess_kwh : numpy.ndarray
        Excess energy per report interval and channel [kWh] (0 in business hours).
    """
    t = AfterHoursThresholds() if thresholds is None else thresholds
    n_c = grid.load_kw.shape[1]
    b_after = ~baseline.business
    b_load = baseline.load_kw[b_after]
    with np.errstate(invalid="ignore"):
        high = np.where(b_load > t.min_power_kw, b_load, np.nan)
    zeros = np.zeros(b_load.shape[0], dtype=np.int64)
    p_high, n_high = grouped_quantiles(high, zeros, 1, (t.base_percentile,))
    p_all, _ = grouped_quantiles(b_load, zeros, 1, (t.base_percentile,))
    use_high = n_high[0] >= _MIN_VALUES
    base = np.where(use_high, p_high[0, 0], p_all[0, 0])
    source = np.where(use_high, "baseline_p5", "baseline_p5_all").astype(object)
    residual = b_load - baseline_expected.median[b_after]
    noise = robust_sigma(residual)
    allowance = t.noise_sigmas * np.nan_to_num(noise)
    usable = profile.sufficient & np.isfinite(base)
    source[~usable] = "insufficient_baseline"
    base = np.where(usable, base, np.nan)

    after = ~grid.business
    load = grid.load_kw
    present = np.isfinite(load) & after[:, None]
    with np.errstate(invalid="ignore"):
        excess = np.maximum(load - (base + allowance)[None, :], 0.0) * grid.dt_h
    excess = np.where(present & usable[None, :], excess, 0.0)
    cost = excess * rate_per_kwh[:, None]
    a_load = np.where(present, load, np.nan)
    count = present.sum(axis=0)
    has = count > 0
    avg = np.full(n_c, np.nan)
    hi = np.full(n_c, np.nan)
    lo = np.full(n_c, np.nan)
    if has.any():
        avg[has] = np.nansum(a_load[:, has], axis=0) / count[has]
        hi[has] = np.nanmax(a_load[:, has], axis=0)
        lo[has] = np.nanmin(a_load[:, has], axis=0)
    excess_total = np.where(usable, excess.sum(axis=0), np.nan)
    after_kwh = np.nansum(a_load, axis=0) * grid.dt_h
    table = pd.DataFrame(
        {
            "channel_id": grid.channel_ids,
            "base_kw": base,
            "base_source": source,
            "allowance_kw": np.where(usable, allowance, np.nan),
            "after_hours_kwh": after_kwh,
            "excess_kwh": excess_total,
            "excess_cost": np.where(usable, cost.sum(axis=0), np.nan),
            "avg_kw": avg,
            "max_kw": hi,
            "min_kw": lo,
            "intervals": count.astype(np.int64),
            "expected_intervals": np.full(n_c, int(after.sum()), dtype=np.int64),
            "significant": (np.nan_to_num(excess_total) >= t.min_weekly_kwh)
            & (np.nan_to_num(excess_total) >= t.min_share * after_kwh),
        }
    )
    return table, excess
