"""Weather-normalised change of a site's consumption between a baseline and a reporting period.

:func:`normalised_change` answers "did the site use more or less than it would have, given the
weather?" the way ASHRAE Guideline 14 and IPMVP option C do (the *avoided energy* of
Guideline 14-2014 § 4.1.1):

1. Both periods are laid on the expected interval grid of each channel at its native resolution
   (:mod:`argo_lib.analytics.grid`), and the readings a sensor check distrusts are blanked in
   both, as :func:`argo_lib.analytics.week.analyse_site_week` does: the baseline with
   :func:`~argo_lib.analytics.health.screen_baseline` (outages' zeros, catch-up readings, stuck,
   negative, implausible and mismatched readings), the reporting period with
   :func:`~argo_lib.analytics.health.check_health` and
   :func:`~argo_lib.analytics.health.without_suspect`.
2. Sub-hourly readings are averaged to site-local hours (an hour missing an interval is
   missing), giving one hourly grid per period. The **site total** (channel id 0) is added: the
   site's main meter(s) where the site has a channel of role ``main``, otherwise the sum of the
   channels that have readings in both periods, in the hours where every one of them has a
   reading (a missing channel must not look like a low load; a channel with readings in one
   period only is left out, so that both periods sum the same meters).
3. The time-of-week-and-temperature model (:func:`argo_lib.analytics.towt.fit_towt`) is fitted
   on the baseline hours and predicts the reporting hours from the reporting temperature.
   Without a temperature (or with one covering under ``min_temperature_coverage`` of the
   hours) the model has no weather terms: a time-of-week model, status ``"no_temperature"``.
4. Per channel and for the site, over the reporting hours that have a reading and a
   prediction: ``actual_kwh`` (measured), ``expected_kwh`` (model), ``change_kwh = actual -
   expected``, ``savings_kwh = -change_kwh``, with the Guideline 14 statistics of the baseline
   fit in sample (``n - p``) and out of sample (blocked cross-validation: the baseline split
   into up to 4 contiguous folds of whole weeks, each predicted by the model fitted on the
   others; ``n`` instead of ``n - p``).

Savings uncertainty has two terms, combined in quadrature at the same confidence.

*The Guideline 14 term* (ASHRAE Guideline 14-2014, Annex B, after Reddy and Claridge 2000, for
models whose residuals are autocorrelated)::

    FSU  = dE_g14 / E_save = t * 1.26 * CV * sqrt((n / n') * (1 + 2 / n) * (1 / m)) / F
    dE_g14 = t * 1.26 * CV * sqrt((n / n') * (1 + 2 / n) / m) * E_expected
    n'   = n * (1 - rho) / (1 + rho)

with ``CV`` the in-sample CV(RMSE) of the baseline fit as a fraction, ``n`` the baseline hours
of the fit, ``rho`` the lag-1 autocorrelation of the hourly baseline residuals (clipped to
[0, 0.99]), ``m`` the reporting hours, ``F = E_save / E_expected`` the savings as a fraction of
the expected (adjusted baseline) energy, and ``t`` the two-sided Student-t value at the chosen
confidence with ``n' - p`` degrees of freedom (``p`` the model's parameters). ``dE_g14``
(``g14_uncertainty_kwh``) is the standard number; ``fsu_pct`` is the Guideline 14 FSU at 68 %
confidence, in % of the savings (Guideline 14 asks for FSU < 50 % at 68 % confidence), from
this term alone, as the Guideline defines it.

The formula covers the noise of hourly residuals, which shrinks as ``1 / sqrt(m)``; it does not
cover the model's own bias over a whole period whose weather or calendar differs from the
hours it was fitted on (a change point a degree off, a weekday pattern the pooled time-of-week
groups smooth over, a season drifting between baseline and reporting). That bias is shared by
all the hours of the period, so it does not average out: on the simulated Wilson Center with
no change at all, 8-week baselines and 4-week reporting periods starting in each month (two
seeds), the formula alone flagged the site total "significant" at 90 % in 11 of 24 cases and
the channels in 58 of 192, for errors of only 0.4 % (median) to 1.6 %.

*The model term* measures that period-level error out of sample, on the blocked
cross-validation that gives ``cv_rmse_oos_pct``: each of the ``k`` (up to 4) held-out folds of
whole weeks is predicted by the model fitted on the other folds, and the relative error of the
fold's total is::

    r_f = sum(actual - predicted) / sum(predicted)     (the fold's hours with a reading)
    s   = sqrt(mean(r_f^2))                            (RMS over the k folds: spread and bias)
    dE_model = t_k * s * E_expected

``t_k`` the two-sided Student-t value at the chosen confidence with ``k`` degrees of freedom
(``model_uncertainty_kwh``). The reporting period's relative error is taken as one more draw of
the folds' errors: for zero-mean normal errors whose mean square is estimated from ``k``
values, ``r / s`` follows Student's t with ``k`` degrees of freedom, hence ``t_k`` (2.13 at
90 % for 4 folds); the RMS rather than the standard deviation keeps a bias the folds share
(the out-of-sample NMBE) in the band. ``s`` is not scaled by ``m``: a fold is a period of
weeks like the reporting period (two weeks of an 8-week baseline, 13 of a year), its error is
mostly bias, and bias does not shrink over a longer period. The fold errors also hold the
folds' hourly noise, counted again by the Guideline 14 term: the combination errs on the side
of no claim. The combined half-width is::

    uncertainty_kwh = sqrt(dE_g14^2 + dE_model^2)

and the savings are *significant* when ``|savings| > uncertainty_kwh`` at the chosen
confidence. On the same no-change sweep the site total is then significant in 3 of 24 cases
and the channels in 19 of 192 (90 %: 10 % expected); a 15 % step is found in all 24 cases,
within ``uncertainty_kwh`` of the injected saving in 21.

The folds are predicted by models fitted on 3/4 of the baseline, and the reporting period may
lie further from the baseline's weather than any fold does (a summer baseline for a winter
month): the model term estimates the period-level error within the baseline's range of
weather and calendar, it does not bound it. The uncertainty is NaN where ``n' - p < 1``
(strongly autocorrelated residuals, typically a model without weather terms in a season that
needs them) or where fewer than :data:`MIN_FOLDS` folds hold :data:`MIN_FOLD_HOURS` hours with
readings.

Examples
--------
>>> round(float(savings_uncertainty(10.0, expected_kwh=1000.0, n_baseline=1000,
...                                 n_reporting=100, autocorrelation=0.0, n_parameters=10,
...                                 confidence=0.68)), 2)
12.55
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps  # type: ignore[import-untyped]

from argo_lib import dates
from argo_lib.analytics import baseline as baselines
from argo_lib.analytics import grid, health, towt
from argo_lib.analytics.week import site_holidays
from argo_lib.thresholds import Thresholds

__all__ = [
    "DAILY_COLUMNS",
    "MIN_BASELINE_HOURS",
    "MODEL_COLUMNS",
    "SITE_CHANNEL_ID",
    "SITE_CHANNEL_NAME",
    "STATUSES",
    "NormalisedChange",
    "combined_uncertainty",
    "fold_errors",
    "lag1_autocorrelation",
    "model_uncertainty",
    "normalised_change",
    "savings_uncertainty",
]

SITE_CHANNEL_ID = 0
"""``channel_id`` of the site total's row."""
SITE_CHANNEL_NAME = "Site total"
"""``channel_name`` of the site total's row."""
STATUSES = ("ok", "no_temperature", "insufficient_baseline", "no_reporting_data")
"""Values of :attr:`NormalisedChange.status`."""
MIN_BASELINE_HOURS = 336
"""Fewest baseline hours with a reading (two weeks) a model is fitted on [h]."""
MAX_FOLDS = 4
"""Folds of the blocked cross-validation of the baseline (fewer for a shorter baseline)."""
MIN_FOLDS = 2
"""Fewest held-out folds with an error an empirical model uncertainty is estimated from."""
MIN_FOLD_HOURS = 24
"""Fewest hours with a reading and a prediction a held-out fold's error counts with [h]."""
FSU_CONFIDENCE = 0.68
"""Confidence of :attr:`fsu_pct` (ASHRAE Guideline 14: FSU < 50 % at 68 %) [-]."""

MODEL_COLUMNS = (
    "channel_id",
    "channel_name",
    "model_status",
    "heating_balance_c",
    "cooling_balance_c",
    "n_parameters",
    "baseline_hours",
    "reporting_hours",
    "cv_rmse_pct",
    "nmbe_pct",
    "cv_rmse_oos_pct",
    "nmbe_oos_pct",
    "meets_g14",
    "autocorrelation",
    "actual_kwh",
    "expected_kwh",
    "change_kwh",
    "change_pct",
    "savings_kwh",
    "uncertainty_kwh",
    "g14_uncertainty_kwh",
    "model_uncertainty_kwh",
    "fsu_pct",
    "significant",
    "coverage_pct",
)
"""Columns of :attr:`NormalisedChange.models`."""

DAILY_COLUMNS = ("date", "period", "actual_kwh", "expected_kwh", "hours", "temperature_c")
"""Columns of :attr:`NormalisedChange.daily`."""

_NS_PER_HOUR = 3_600_000_000_000
_NS_PER_DAY = 24 * _NS_PER_HOUR
_FITTED = ("calibrated", "not_calibrated")


@dataclass(frozen=True, eq=False)
class NormalisedChange:
    """The weather-normalised change of a site's consumption (:func:`normalised_change`).

    Attributes
    ----------
    baseline : dates.Period
        The baseline period the model was fitted on.
    reporting : dates.Period
        The reporting period it predicts.
    models : pandas.DataFrame
        Columns :data:`MODEL_COLUMNS`, one row for the site total (``channel_id`` 0,
        ``channel_name`` "Site total", first) and one per channel: ``model_status`` (the TOWT
        model's status, :data:`argo_lib.analytics.towt.MODEL_STATUSES`), change points
        ``heating_balance_c``/``cooling_balance_c`` [°C], ``n_parameters`` [-],
        ``baseline_hours`` (hours of the fit, ``n``) and ``reporting_hours`` (reporting hours
        with a reading and a prediction, ``m``) [h], ASHRAE Guideline 14 ``cv_rmse_pct`` and
        ``nmbe_pct`` in sample and ``cv_rmse_oos_pct``/``nmbe_oos_pct`` out of sample
        (blocked cross-validation) [%], ``meets_g14`` (in-sample CV(RMSE) and NMBE within the
        hourly limits), ``autocorrelation`` (lag-1, hourly baseline residuals) [-],
        ``actual_kwh``, ``expected_kwh``, ``change_kwh``, ``savings_kwh`` and the ±
        ``uncertainty_kwh`` at the chosen confidence, the quadrature sum of
        ``g14_uncertainty_kwh`` (the Guideline 14 formula) and ``model_uncertainty_kwh`` (the
        held-out folds' period-level error) [kWh], ``change_pct`` (of expected) [%],
        ``fsu_pct`` (Guideline 14 fractional savings uncertainty at 68 %, from the formula
        alone; NaN when the savings are ~0) [%], ``significant``
        (``|savings| > uncertainty_kwh``) and ``coverage_pct`` (reporting hours
        with a reading / reporting hours) [%]. Numbers are NaN where no model was fitted.
    daily : pandas.DataFrame
        Columns :data:`DAILY_COLUMNS`: the site total per site-local ``date`` of both periods
        (``period`` "baseline" or "reporting"): ``actual_kwh`` and ``expected_kwh`` over the
        ``hours`` with a reading and a prediction (with a reading only, and ``expected_kwh``
        NaN, where no model was fitted) [kWh], and the day's mean outdoor ``temperature_c``
        [°C] (NaN without temperature). The reporting days' ``actual_kwh - expected_kwh`` sum
        to the site's ``change_kwh``.
    status : str
        One of :data:`STATUSES`: ``"ok"``; ``"no_temperature"`` (a time-of-week model without
        weather terms was used); ``"insufficient_baseline"``; ``"no_reporting_data"``.
    message : str
        One plain-language sentence about the site result, with numbers.
    """

    baseline: dates.Period
    reporting: dates.Period
    models: pd.DataFrame
    daily: pd.DataFrame
    status: str
    message: str


# --------------------------------------------------------------------------------------------
# Statistics


def savings_uncertainty(
    cv_rmse_pct: Any,
    *,
    expected_kwh: Any,
    n_baseline: Any,
    n_reporting: Any,
    autocorrelation: Any,
    n_parameters: Any,
    confidence: float = 0.90,
) -> np.ndarray:
    """± uncertainty of savings, ASHRAE Guideline 14-2014 Annex B (autocorrelated residuals).

    ``t * 1.26 * CV * sqrt((n / n') * (1 + 2 / n) / m) * E_expected`` with
    ``n' = n (1 - rho) / (1 + rho)`` and ``t`` the two-sided Student-t value at ``confidence``
    with ``n' - p`` degrees of freedom (see the module docstring).

    Parameters
    ----------
    cv_rmse_pct : float or numpy.ndarray
        In-sample CV(RMSE) of the baseline fit [%].
    expected_kwh : float or numpy.ndarray
        Model prediction over the reporting hours [kWh].
    n_baseline : int or numpy.ndarray
        Baseline hours of the fit ``n`` [h].
    n_reporting : int or numpy.ndarray
        Reporting hours ``m`` [h].
    autocorrelation : float or numpy.ndarray
        Lag-1 autocorrelation of the baseline residuals; clipped to [0, 0.99] [-].
    n_parameters : int or numpy.ndarray
        Model parameters ``p`` [-].
    confidence : float
        Two-sided confidence level, e.g. 0.90 [-].

    Returns
    -------
    numpy.ndarray
        Half-width of the confidence interval of the savings [kWh]; NaN where ``n' - p < 1``,
        ``m < 1`` or an input is NaN.
    """
    cv = np.asarray(cv_rmse_pct, dtype=float) / 100.0
    n = np.asarray(n_baseline, dtype=float)
    m = np.asarray(n_reporting, dtype=float)
    rho = np.clip(np.asarray(autocorrelation, dtype=float), 0.0, 0.99)
    with np.errstate(invalid="ignore", divide="ignore"):
        n_eff = n * (1.0 - rho) / (1.0 + rho)
        dof = n_eff - np.asarray(n_parameters, dtype=float)
        ok = (dof >= 1.0) & (m >= 1.0) & (n >= 1.0)
        t = sps.t.ppf(0.5 + confidence / 2.0, np.where(ok, dof, 1.0))
        half = t * 1.26 * cv * np.sqrt((n / n_eff) * (1.0 + 2.0 / n) / m)
        out = half * np.abs(np.asarray(expected_kwh, dtype=float))
    return np.where(ok, out, np.nan)


def fold_errors(
    load: np.ndarray,
    prediction: np.ndarray,
    fold: np.ndarray,
    n_folds: int,
    *,
    min_hours: int = 24,
) -> np.ndarray:
    """Relative error of each held-out fold's total: ``sum(load - prediction) / sum(prediction)``.

    Over the fold's hours with both a reading and a (cross-validated) prediction.

    Parameters
    ----------
    load : numpy.ndarray, shape (n_rows, n_cols)
        Measured hourly load [kW]; NaN where unknown.
    prediction : numpy.ndarray, shape (n_rows, n_cols)
        Out-of-sample prediction of the same hours [kW]; NaN where none.
    fold : numpy.ndarray, shape (n_rows,)
        Fold of each row, 0 .. ``n_folds - 1``.
    n_folds : int
        Number of folds ``k``.
    min_hours : int
        Fewest hours a fold needs for its error to count [h].

    Returns
    -------
    numpy.ndarray, shape (n_folds, n_cols)
        The fraction by which each fold's measured total differs from its predicted total [-];
        NaN where the fold has fewer than ``min_hours`` hours or a predicted total of 0.

    Examples
    --------
    >>> load = np.array([[10.0], [10.0], [12.0], [12.0]])
    >>> pred = np.array([[10.0], [np.nan], [10.0], [10.0]])
    >>> fold_errors(load, pred, np.array([0, 0, 1, 1]), 2, min_hours=1).round(2).ravel().tolist()
    [0.0, 0.2]
    """
    e = np.asarray(load, dtype=float)
    f = np.asarray(prediction, dtype=float)
    use = np.isfinite(e) & np.isfinite(f)
    c = e.shape[1] if e.ndim == 2 else 1
    out = np.full((max(n_folds, 0), c), np.nan)
    for i in range(n_folds):
        rows = np.asarray(fold) == i
        ok = use[rows]
        hours = ok.sum(axis=0)
        err = np.where(ok, e[rows] - f[rows], 0.0).sum(axis=0)
        pred = np.where(ok, f[rows], 0.0).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[i] = np.where((hours >= min_hours) & (pred != 0.0), err / pred, np.nan)
    return out


def model_uncertainty(
    fold_error: Any, *, expected_kwh: Any, confidence: float = 0.90
) -> np.ndarray:
    """± period-level model uncertainty from the held-out folds' relative errors [kWh].

    ``t(k) * sqrt(mean(r_f^2)) * E_expected`` over the ``k`` known fold errors ``r_f`` of each
    column, ``t(k)`` the two-sided Student-t value at ``confidence`` with ``k`` degrees of
    freedom (see the module docstring).

    Parameters
    ----------
    fold_error : numpy.ndarray, shape (n_folds, n_cols) or (n_folds,)
        Relative errors of the folds' totals (:func:`fold_errors`), NaN where unknown [-].
    expected_kwh : float or numpy.ndarray
        Model prediction over the reporting hours [kWh].
    confidence : float
        Two-sided confidence level [-].

    Returns
    -------
    numpy.ndarray
        Half-width [kWh]; NaN where fewer than 2 fold errors are known.

    Examples
    --------
    >>> round(float(model_uncertainty([0.01, -0.01, 0.01, -0.01], expected_kwh=1000.0)), 2)
    21.32
    """
    r = np.asarray(fold_error, dtype=float)
    known = np.isfinite(r)
    k = known.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        rms = np.sqrt(np.where(known, r * r, 0.0).sum(axis=0) / k)
        t = sps.t.ppf(0.5 + confidence / 2.0, np.maximum(k, 1))
        out = t * rms * np.abs(np.asarray(expected_kwh, dtype=float))
    return np.where(k >= MIN_FOLDS, out, np.nan)


def combined_uncertainty(g14_kwh: Any, model_kwh: Any) -> np.ndarray:
    """``sqrt(g14^2 + model^2)``: the two ± terms at the same confidence combined [kWh].

    NaN where either is NaN.

    Examples
    --------
    >>> float(combined_uncertainty(30.0, 40.0))
    50.0
    """
    a = np.asarray(g14_kwh, dtype=float)
    b = np.asarray(model_kwh, dtype=float)
    return np.sqrt(a * a + b * b)


def lag1_autocorrelation(residual: np.ndarray) -> np.ndarray:
    """Lag-1 autocorrelation of each column of a regular series, NaN ignored.

    ``sum((e_t - mean)(e_t+1 - mean)) / sum((e_t - mean)^2)`` over the consecutive pairs that
    are both known (numerator) and all known values (denominator).

    Parameters
    ----------
    residual : numpy.ndarray, shape (n_rows, n_cols)
        Residuals of consecutive hours; NaN where unknown.

    Returns
    -------
    numpy.ndarray
        One coefficient per column [-]; NaN with fewer than 3 values or no spread.

    Examples
    --------
    >>> lag1_autocorrelation(np.array([[1.0], [-1.0], [1.0], [-1.0]])).round(2).tolist()
    [-0.75]
    """
    e = np.asarray(residual, dtype=float)
    ok = np.isfinite(e)
    count = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(ok, e, 0.0).sum(axis=0) / count
        d = np.where(ok, e - mean, 0.0)
        num = (d[1:] * d[:-1]).sum(axis=0)  # a pair with an unknown value adds 0
        den = (d * d).sum(axis=0)
        r = num / den
    return np.where((count >= 3) & (den > 0), r, np.nan)


# --------------------------------------------------------------------------------------------
# Hourly grids


def _empty_readings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "timestamp": pd.DatetimeIndex([], tz="UTC").as_unit("ns"),
            "channel_id": np.zeros(0, dtype=np.int64),
            "energy_kwh": np.zeros(0),
            "power_kw": np.zeros(0),
        }
    )


def _hour_means(g: grid.Grid, hours: pd.DatetimeIndex) -> np.ndarray:
    """Mean power of each hour [kW]: NaN where an interval of the hour is missing."""
    n_h, c = len(hours), g.channel_ids.size
    out = np.full((n_h, c), np.nan)
    if n_h == 0 or len(g.index) == 0 or g.resolution_s > 3600 or 3600 % g.resolution_s:
        return out  # coarser than hourly (or not dividing an hour): no hourly values
    per_hour = 3600 // g.resolution_s
    rows = (g.index.as_unit("ns").asi8 - hours[0].value) // _NS_PER_HOUR
    inside = (rows >= 0) & (rows < n_h)
    load = g.load_kw[inside]
    ok = np.isfinite(load)
    flat = (rows[inside][:, None] * c + np.arange(c)[None, :]).ravel()
    counts = np.bincount(flat, weights=ok.ravel(), minlength=n_h * c).reshape(n_h, c)
    sums = np.bincount(flat, weights=np.where(ok, load, 0.0).ravel(), minlength=n_h * c)
    return np.where(counts == per_hour, sums.reshape(n_h, c) / per_hour, out)


def _hourly_grid(
    grids: dict[int, grid.Grid],
    ids: np.ndarray,
    *,
    period: dates.Period,
    tz: Any,
    opening_hours: Any,
    holidays: tuple[dt.date, ...],
) -> grid.Grid:
    """The channels ``ids`` of every resolution as one hourly grid (unknown columns NaN)."""
    table = pd.DataFrame({"channel_id": ids, "resolution_s": np.full(ids.size, 3600)})
    hourly = grid.build_grids(
        _empty_readings(),
        table,
        period=period,
        tz=tz,
        opening_hours=opening_hours,
        holidays=holidays,
    )[3600]
    load = np.full(hourly.load_kw.shape, np.nan)
    position = pd.Index(ids)
    for g in grids.values():  # one or two resolutions
        load[:, position.get_indexer(g.channel_ids)] = _hour_means(g, hourly.index)
    return dataclasses.replace(hourly, load_kw=load, power_kw=load, energy_kwh=load.copy())


def _with_site_total(g: grid.Grid, members: np.ndarray) -> grid.Grid:
    """Column 0 = the sum of the ``members`` columns in hours where all of them are known."""
    load = g.load_kw.copy()
    if members.any():
        part = load[:, members]
        load[:, 0] = np.where(np.isfinite(part).all(axis=1), part.sum(axis=1), np.nan)
    else:
        load[:, 0] = np.nan
    return dataclasses.replace(g, load_kw=load, power_kw=load, energy_kwh=load.copy())


def _folds(g: grid.Grid) -> tuple[np.ndarray, int]:
    """Fold of each baseline row: up to :data:`MAX_FOLDS` contiguous blocks of whole weeks.

    A trailing part-week joins the last whole week; 0 folds when the baseline is shorter than
    two weeks.
    """
    if len(g.index) == 0:
        return np.zeros(0, dtype=np.int64), 0
    day = g.day - g.day[0]
    weeks = int(day[-1] + 1) // 7
    if weeks < 2:
        return np.zeros(day.size, dtype=np.int64), 0
    k = min(MAX_FOLDS, weeks)
    week = np.minimum(day // 7, weeks - 1)
    return (week * k // weeks).astype(np.int64), k


def _out_of_sample(
    base: grid.Grid, temp: np.ndarray, fitted: np.ndarray, thresholds: Any
) -> np.ndarray:
    """Blocked cross-validated prediction of every baseline hour (NaN where none) [kW]."""
    fold, k = _folds(base)
    oos = np.full(base.load_kw.shape, np.nan)
    # a fold's training data miss a quarter to half of the weeks: no coverage rule applies
    relaxed = dataclasses.replace(thresholds, min_coverage=0.0, min_slot_coverage=0.0)
    for f in range(k):  # at most four folds
        held = fold == f
        load = np.where(held[:, None], np.nan, base.load_kw)
        train = dataclasses.replace(base, load_kw=load, power_kw=load, energy_kwh=load)
        profile = baselines.fit_profile(train, thresholds=relaxed)
        model = towt.fit_towt(train, temp, profile=profile, thresholds=relaxed)
        oos[held] = towt.predict_towt(model, base, temp)[held]
    return np.where(fitted, oos, np.nan)


# --------------------------------------------------------------------------------------------
# Daily frame and message


def _daily(
    g: grid.Grid, load: np.ndarray, pred: np.ndarray, temp: np.ndarray, label: str
) -> pd.DataFrame:
    """Site total per site-local day of one period (``pred`` all NaN: no model)."""
    if len(g.index) == 0:
        return pd.DataFrame({c: [] for c in DAILY_COLUMNS})
    days, inverse = np.unique(g.day, return_inverse=True)
    modelled = bool(np.isfinite(pred).any())
    use = np.isfinite(load) & (np.isfinite(pred) if modelled else True)
    hours = np.bincount(inverse, weights=use, minlength=days.size)
    actual = np.bincount(inverse, weights=np.where(use, load, 0.0), minlength=days.size)
    expected = np.bincount(inverse, weights=np.where(use, pred, 0.0), minlength=days.size)
    known = np.isfinite(temp)
    t_n = np.bincount(inverse, weights=known, minlength=days.size)
    t_sum = np.bincount(inverse, weights=np.where(known, temp, 0.0), minlength=days.size)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_t = t_sum / t_n
    none = hours == 0
    return pd.DataFrame(
        {
            "date": pd.to_datetime(days * _NS_PER_DAY).date,
            "period": np.full(days.size, label, dtype=object),
            "actual_kwh": np.where(none, np.nan, actual),
            "expected_kwh": np.where(none | (not modelled), np.nan, expected),
            "hours": hours.astype(np.int64),
            "temperature_c": mean_t,
        }
    )


def _kwh(value: float) -> str:
    """``"−1,234 kWh"`` (a true minus sign) or ``"+56 kWh"``."""
    digits = 0 if abs(value) >= 100 else 1
    text = f"{abs(value):,.{digits}f}"
    return f"{'−' if value < 0 else '+'}{text} kWh"


def _change_message(row: pd.Series, *, weather: bool, confidence: float) -> str:
    """One sentence about the site row: the change, its uncertainty, its significance."""
    pct = float(row["change_pct"])
    change = float(row["change_kwh"])
    model = "weather-normalised baseline" if weather else "time-of-week baseline"
    direction = "lower" if change < 0 else "higher"
    band = float(row["uncertainty_kwh"])
    level = f"{confidence * 100:g} %"
    text = f"Consumption was {abs(pct):.1f} % {direction} than the {model} predicts "
    if np.isfinite(band):
        text += (
            f"({_kwh(change)} ± {abs(band):,.0f} kWh at {level} confidence, including the "
            "model's error out of sample, on baseline weeks it was not fitted on)"
        )
        if not bool(row["significant"]):
            text += ", within the model's uncertainty: no change can be claimed"
    elif np.isfinite(float(row.get("g14_uncertainty_kwh", np.nan))):
        text += (  # fewer than MIN_FOLDS held-out folds with readings
            f"({_kwh(change)}), but its uncertainty cannot be estimated (too few baseline weeks "
            "with readings to test the model on weeks it was not fitted on), so no change can "
            "be claimed"
        )
    else:  # n' - p < 1: too few independent baseline hours for the model's parameters
        text += (
            f"({_kwh(change)}), but its uncertainty cannot be estimated (the model's hourly "
            "errors are so autocorrelated that the baseline holds fewer independent hours than "
            "the model has parameters), so no change can be claimed"
        )
    if not weather:
        text += "; without outdoor temperature the comparison is not weather-normalised"
    return text + "."


# --------------------------------------------------------------------------------------------
# Entry point


def normalised_change(
    readings: pd.DataFrame,
    *,
    site: Any,
    baseline: dates.Period,
    reporting: dates.Period,
    temperature: pd.Series | None,
    channels: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
    confidence: float = 0.90,
) -> NormalisedChange:
    """Weather-normalised change of a site's consumption from a baseline to a reporting period.

    Parameters
    ----------
    readings : pandas.DataFrame
        Canonical long readings: ``timestamp`` (tz-aware interval start), ``channel_id``,
        ``energy_kwh`` [kWh], ``power_kw`` [kW], covering both periods (others are ignored).
    site : config.SiteSettings
        Time zone, opening hours, holidays, channels (roles: a ``main`` channel is the site
        total), ``skip_channels``, ``thresholds``.
    baseline : dates.Period
        The period the model is fitted on (8 weeks or more; ideally a year).
    reporting : dates.Period
        The period compared with the model's prediction; adjacent to the baseline or
        separated from it, never overlapping.
    temperature : pandas.Series or None
        Outdoor air temperature [°C] indexed by tz-aware interval starts, any resolution,
        covering both periods; None: a time-of-week model without weather terms.
    channels : pandas.DataFrame, optional
        Channel metadata (``db.read_channels``): names, roles, resolutions, ``is_energy``.
    thresholds : Thresholds, optional
        Default ``site.thresholds``: ``health`` (the screening) and ``baseline`` (the model
        and the Guideline 14 limits).
    confidence : float
        Two-sided confidence of ``uncertainty_kwh`` (and of its two terms) and ``significant``
        [-].

    Returns
    -------
    NormalisedChange

    Raises
    ------
    ValueError
        If the periods overlap, ``confidence`` is not in (0, 1), or the readings are
        malformed (naive timestamps, missing columns).
    """
    if baseline.start < reporting.end and reporting.start < baseline.end:
        raise ValueError(
            f"the baseline {baseline} and the reporting period {reporting} overlap; choose a "
            "baseline that ends where the reporting period starts or earlier (e.g. the 8 weeks "
            "before it, or the same month a year earlier)"
        )
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence = {confidence!r}; give a level in (0, 1), e.g. 0.90")
    t = thresholds if thresholds is not None else getattr(site, "thresholds", Thresholds())
    t_model = dataclasses.replace(t.baseline, model="towt")
    tz = site.tz
    opening = getattr(site, "opening_hours", None)
    frame = grid.check_readings(readings)
    table = grid.channel_table(frame, channels=channels, site=site)
    first = min(baseline.start, reporting.start)
    last = max(baseline.end, reporting.end)
    holidays = site_holidays(site, first, last)
    calendar = {"tz": tz, "opening_hours": opening, "holidays": holidays}
    base_raw = grid.build_grids(frame, table, period=baseline, **calendar)
    rep_raw = grid.build_grids(frame, table, period=reporting, **calendar)
    # suspect readings are missing data in both periods, never zeros or catch-up energy
    screening = health.screen_baseline(base_raw, table, tz=tz, report=rep_raw, thresholds=t.health)
    issues = health.check_health(
        rep_raw,
        frame,
        table,
        period=reporting,
        tz=tz,
        baseline=screening.grids,
        thresholds=t.health,
    )
    rep_clean = {res: health.without_suspect(g, issues) for res, g in rep_raw.items()}
    channel_ids = table["channel_id"].to_numpy(dtype=np.int64)
    ids = np.concatenate([[SITE_CHANNEL_ID], channel_ids]).astype(np.int64)
    base_h = _hourly_grid(screening.grids, ids, period=baseline, **calendar)
    rep_h = _hourly_grid(rep_clean, ids, period=reporting, **calendar)

    # the site total: the main meter(s), else the channels read in both periods
    roles = np.concatenate([[""], table["role"].to_numpy(dtype=object).astype(str)])
    is_main = roles == "main"
    candidates = is_main if is_main.any() else np.arange(ids.size) > 0
    read_b = np.isfinite(base_h.load_kw).any(axis=0)
    read_r = np.isfinite(rep_h.load_kw).any(axis=0)
    members = candidates & read_b & read_r
    if not members.any():
        members = candidates & read_b  # nothing to compare: the reporting total stays empty
    base_h = _with_site_total(base_h, members)
    rep_h = _with_site_total(rep_h, members & read_r)

    # temperature: the model's weather terms only where both periods are covered
    temp_b = towt.temperature_on_grid(temperature, base_h.index, resolution_s=3600)
    temp_r = towt.temperature_on_grid(temperature, rep_h.index, resolution_s=3600)
    site_b, site_r = np.isfinite(base_h.load_kw[:, 0]), np.isfinite(rep_h.load_kw[:, 0])
    with np.errstate(invalid="ignore", divide="ignore"):
        cover_b = np.isfinite(temp_b[site_b]).mean() if site_b.any() else 0.0
        cover_r = np.isfinite(temp_r[site_r]).mean() if site_r.any() else 1.0
    need = t.baseline.min_temperature_coverage
    weather = temperature is not None and cover_b >= need and cover_r >= need
    # without weather: a constant temperature leaves no weather term (time of week only)
    fit_b = temp_b if weather else np.zeros(len(base_h.index))
    fit_r = temp_r if weather else np.zeros(len(rep_h.index))

    profile = baselines.fit_profile(base_h, thresholds=t_model)
    model = towt.fit_towt(base_h, fit_b, profile=profile, thresholds=t_model)
    load_b, load_r = base_h.load_kw, rep_h.load_kw
    fitted_b = model.fitted if model.fitted is not None else towt.predict_towt(model, base_h, fit_b)
    used_b = np.isfinite(load_b) & np.isfinite(fitted_b)
    n = used_b.sum(axis=0)
    status = model.status.astype(object).copy()
    short = np.isin(status, _FITTED) & (n < MIN_BASELINE_HOURS)
    status[short] = "insufficient_baseline"
    fitted = np.isin(status, _FITTED)
    pred_r = np.where(fitted[None, :], towt.predict_towt(model, rep_h, fit_r), np.nan)
    fitted_b = np.where(fitted[None, :], fitted_b, np.nan)

    residual = np.where(used_b, load_b - fitted_b, np.nan)
    rho = np.where(fitted, lag1_autocorrelation(residual), np.nan)
    oos = _out_of_sample(base_h, fit_b, fitted[None, :], t_model)
    cv_oos, nmbe_oos = towt.g14_statistics(load_b, oos, per_hour=1, n_parameters=0)
    cv = np.where(fitted, model.cv_rmse_pct, np.nan)
    nmbe = np.where(fitted, model.nmbe_pct, np.nan)
    p = model.n_parameters

    used_r = np.isfinite(load_r) & np.isfinite(pred_r)
    m = used_r.sum(axis=0)
    has = fitted & (m > 0)
    actual = np.where(has, np.where(used_r, load_r, 0.0).sum(axis=0), np.nan)  # kW x 1 h
    expected = np.where(has, np.where(used_r, pred_r, 0.0).sum(axis=0), np.nan)
    change = actual - expected
    savings = -change
    with np.errstate(invalid="ignore", divide="ignore"):
        change_pct = change / expected * 100.0
        fraction = savings / expected
    common = {"n_baseline": n, "n_reporting": m, "autocorrelation": rho, "n_parameters": p}
    g14_band = savings_uncertainty(cv, expected_kwh=expected, confidence=confidence, **common)
    fold, k = _folds(base_h)
    fold_error = fold_errors(load_b, oos, fold, k, min_hours=MIN_FOLD_HOURS)
    model_band = model_uncertainty(fold_error, expected_kwh=expected, confidence=confidence)
    model_band = np.where(has, model_band, np.nan)
    band = combined_uncertainty(g14_band, model_band)
    band_68 = savings_uncertainty(cv, expected_kwh=expected, confidence=FSU_CONFIDENCE, **common)
    with np.errstate(invalid="ignore", divide="ignore"):
        fsu = np.where(np.abs(fraction) > 1e-6, band_68 / np.abs(savings) * 100.0, np.nan)
    readings_r = np.isfinite(load_r).sum(axis=0)
    n_rows = max(len(rep_h.index), 1)
    names = np.concatenate([[SITE_CHANNEL_NAME], table["channel_name"].to_numpy(dtype=object)])
    models = pd.DataFrame(
        {
            "channel_id": ids,
            "channel_name": names.astype(object),
            "model_status": status,
            "heating_balance_c": np.where(fitted, model.heating_balance_c, np.nan),
            "cooling_balance_c": np.where(fitted, model.cooling_balance_c, np.nan),
            "n_parameters": np.where(fitted, p, 0).astype(np.int64),
            "baseline_hours": n.astype(np.int64),
            "reporting_hours": np.where(fitted, m, 0).astype(np.int64),
            "cv_rmse_pct": cv,
            "nmbe_pct": nmbe,
            "cv_rmse_oos_pct": np.where(fitted, cv_oos, np.nan),
            "nmbe_oos_pct": np.where(fitted, nmbe_oos, np.nan),
            "meets_g14": (cv <= t.baseline.max_cv_rmse_pct)
            & (np.abs(nmbe) <= t.baseline.max_abs_nmbe_pct),
            "autocorrelation": rho,
            "actual_kwh": actual,
            "expected_kwh": expected,
            "change_kwh": change,
            "change_pct": change_pct,
            "savings_kwh": savings,
            "uncertainty_kwh": band,
            "g14_uncertainty_kwh": g14_band,
            "model_uncertainty_kwh": model_band,
            "fsu_pct": fsu,
            "significant": np.abs(savings) > band,  # False where either is NaN
            "coverage_pct": readings_r / n_rows * 100.0,
        }
    )
    daily = pd.concat(
        [
            _daily(base_h, load_b[:, 0], fitted_b[:, 0], temp_b, "baseline"),
            _daily(rep_h, load_r[:, 0], pred_r[:, 0], temp_r, "reporting"),
        ],
        ignore_index=True,
    )
    daily["hours"] = daily["hours"].astype(np.int64)

    site_row = models.iloc[0]
    left_out = [
        str(name)
        for name, cand, member in zip(names, candidates, members & read_r, strict=True)
        if cand and not member
    ]
    if not fitted[0]:
        weeks = n[0] / 168.0
        why = (
            "the baseline model could not be fitted"
            if status[0] != "insufficient_baseline"
            else f"only {int(site_b.sum()):,} hours ({weeks:.1f} weeks) of it have readings of "
            "every meter of the site total"
        )
        final = "insufficient_baseline"
        message = (
            f"The baseline {baseline.label} is not enough to predict the reporting period: "
            f"{why}, and the model needs at least {MIN_BASELINE_HOURS // 168} weeks with "
            "readings at every hour of the week; choose a longer baseline (8 weeks or more, "
            "ideally a year that covers the reporting period's weather)."
        )
    elif not site_r.any() or m[0] == 0:
        final = "no_reporting_data"
        missing = f" ({', '.join(left_out)} without readings)" if left_out else ""
        message = (
            f"The reporting period {reporting.label} has no hour with readings of every meter "
            f"of the site total{missing}, so no change can be computed; choose a reporting "
            "period with readings."
        )
    else:
        final = "ok" if weather else "no_temperature"
        message = _change_message(site_row, weather=weather, confidence=confidence)
        if left_out:
            message = message[:-1] + f" (left out of the site total: {', '.join(left_out)})."
    return NormalisedChange(
        baseline=baseline,
        reporting=reporting,
        models=models[list(MODEL_COLUMNS)],
        daily=daily[list(DAILY_COLUMNS)],
        status=final,
        message=message,
    )
