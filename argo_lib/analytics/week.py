"""One entry point for the analysis of a site-week: :func:`analyse_site_week`.

It checks the readings once, lays them out on the expected interval grid per resolution (15-min
and hourly channels can be mixed), screens the baseline weeks with the sensor checks of the
report week (outages, catch-up readings, stuck, negative, implausible and mismatched readings
become missing data, :func:`argo_lib.analytics.health.screen_baseline`), fits the baseline
profiles and, where the outdoor temperature is given, the time-of-week-and-temperature models
on what is left (:mod:`argo_lib.analytics.towt`; a calibrated model gives the expected values,
the profile otherwise), and runs every analytic in a fixed order: sensor health of the report
week (its suspect readings are left out of everything after it), level shifts, demand spikes,
anomalies (without the spike intervals and relative to a shifted level), after-hours waste, load
shape, the savings ledger (each interval's excess counted once), quick wins, the site's demand
and the site summary. Nothing here touches the database or the network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics import (
    after_hours,
    anomalies,
    closures,
    costs,
    grid,
    health,
    level_shifts,
    load_shape,
    quick_wins,
    spikes,
    summary,
    towt,
)
from argo_lib.analytics import baseline as baselines
from argo_lib.analytics import site_load as site_loads
from argo_lib.analytics.health import empty_issues as _empty_issues
from argo_lib.thresholds import Thresholds

__all__ = ["SiteWeekAnalysis", "analyse_site_week", "site_holidays"]


@dataclass(frozen=True, eq=False)
class SiteWeekAnalysis:
    """Everything the weekly brief reports about one site and week.

    Times in the frames are UTC (tz-aware, interval starts, ends exclusive); ``*_local``
    columns repeat them as site-local text for display.

    Attributes
    ----------
    site : config.SiteSettings
        The site analysed.
    period : dates.Period
        The report week.
    baseline : dates.Period
        The baseline weeks.
    thresholds : Thresholds
        The thresholds used.
    channels : pandas.DataFrame
        One row per analysed channel (also those without readings): name, role, resolution,
        ``expected`` and ``actual`` (measured) intervals, ``outage_intervals`` (zero readings
        of outages: not measurements), ``completeness_pct`` = actual / expected [%],
        first/last reading, ``stale_hours`` (against the period end), ``baseline_status``,
        ``coverage`` (baseline intervals left after screening / expected [-]), what the
        screening took out of the baseline (``baseline_screened_intervals``,
        ``baseline_screened_pct`` [%] of its expected intervals, and per reason
        ``baseline_outage_intervals``, ``baseline_catch_up_intervals``,
        ``baseline_stuck_intervals``, ``baseline_negative_intervals``,
        ``baseline_implausible_intervals``, ``baseline_mismatch_intervals``), the baseline in
        use (``baseline_model`` ``"towt"`` or ``"profile"``, ``model_status``, its ASHRAE
        Guideline 14 ``cv_rmse_pct`` and ``nmbe_pct`` [%] in sample, the fitted model's
        ``towt_cv_rmse_pct``/``towt_nmbe_pct``, the report week's out-of-sample
        ``report_cv_rmse_pct``/``report_nmbe_pct`` (baseline in use) and
        ``towt_report_cv_rmse_pct``/``towt_report_nmbe_pct`` (fitted model) over
        ``report_hours`` observed hours, and the change points
        ``heating_balance_c``/``cooling_balance_c`` [°C]; see
        :func:`argo_lib.analytics.towt.model_table`), ``energy_kwh`` and ``energy_cost``
        of the week (measured readings and the energy catch-up readings carry, never outage
        zeros), ``weekday_weekend_ratio``, and ``stale_now_hours`` when ``as_of`` is given.
    health : pandas.DataFrame
        Sensor and communication issues of the report week (:mod:`argo_lib.analytics.health`;
        ``outage`` and ``catch_up_reading`` among them).
    after_hours : pandas.DataFrame
        After-hours energy per channel: new after-hours operation against the same hours of
        the baseline (``new_kwh``, the waste) and the chronic base load above the closed
        floor (``chronic_kwh``) (:mod:`argo_lib.analytics.after_hours`).
    anomalies : pandas.DataFrame
        Anomaly events (after-hours operation, schedule changes, unusual consumption).
    level_shifts : pandas.DataFrame
        Persistent level shifts.
    spikes : pandas.DataFrame
        Demand spikes with their coincident-peak contribution.
    load_shape : pandas.DataFrame
        Daily load-shape metrics per channel.
    ledger : pandas.DataFrame
        Excess energy per channel and interval by source, attributed so each interval counts
        once (:func:`argo_lib.analytics.quick_wins.attribute_ledger`), also across channels:
        on a main meter's rows ``submeter_kwh`` is the excess its sub-meters count in the same
        interval [kWh], which the main meter's ``counted_kwh`` leaves out (B8).
    quick_wins : pandas.DataFrame
        Ranked recommendations.
    summary : summary.SiteSummary
        Status, headline, risks, opportunities and totals.
    demand : dict
        ``peak_kw``, ``peak_at``, ``source`` of the site's coincident demand.
    holidays : tuple of datetime.date
        Public holidays in the baseline and report weeks.
    closed_days : tuple of datetime.date
        Days the calendar has open on which the site drew its closed-day load, analysed as
        closed days like the holidays (:mod:`argo_lib.analytics.closures`).
    expected : dict
        Per resolution [s] the expected statistics of every report interval and channel
        (:class:`argo_lib.analytics.baseline.SlotStats`: from the TOWT model where it is
        calibrated, else from the profile).
    models : dict
        Per resolution [s] the fitted :class:`argo_lib.analytics.towt.TowtModel`.
    grids : dict
        Per resolution [s] the report week's readings on the interval grid, as read
        (:class:`argo_lib.analytics.grid.Grid`); suspect readings included.
    clean_grids : dict
        The same without the readings the sensor checks distrust: what the consumption
        analytics (waste, anomalies, spikes, load shape, the site's demand, energy totals) used.
    baseline_grids : dict
        Per resolution [s] the baseline weeks on the grid, screened (suspect readings NaN):
        what the profiles, thresholds and models were fitted on.
    baseline_health : pandas.DataFrame
        What the screening took out of the baseline weeks: issues of the suspect types
        (outages, catch-up readings, stuck, negative, implausible, mismatched), columns of
        :data:`argo_lib.analytics.health.ISSUE_COLUMNS`.
    site_load : pandas.DataFrame
        The site's load in the report week and its usual range
        (:func:`argo_lib.analytics.site_load.site_load`).

    The charts draw these (:mod:`argo_lib.render.plots`): they never rebuild a grid or refit a
    baseline, so what a chart shows is what the detectors saw.
    """

    site: Any
    period: dates.Period
    baseline: dates.Period
    thresholds: Thresholds
    channels: pd.DataFrame
    health: pd.DataFrame
    after_hours: pd.DataFrame
    anomalies: pd.DataFrame
    level_shifts: pd.DataFrame
    spikes: pd.DataFrame
    load_shape: pd.DataFrame
    ledger: pd.DataFrame
    quick_wins: pd.DataFrame
    summary: summary.SiteSummary
    demand: dict[str, Any]
    holidays: tuple[dt.date, ...]
    closed_days: tuple[dt.date, ...] = ()
    expected: dict[int, baselines.SlotStats] = dataclasses.field(default_factory=dict, repr=False)
    models: dict[int, towt.TowtModel] = dataclasses.field(default_factory=dict, repr=False)
    grids: dict[int, grid.Grid] = dataclasses.field(default_factory=dict, repr=False)
    clean_grids: dict[int, grid.Grid] = dataclasses.field(default_factory=dict, repr=False)
    baseline_grids: dict[int, grid.Grid] = dataclasses.field(default_factory=dict, repr=False)
    site_load: pd.DataFrame = dataclasses.field(
        default_factory=site_loads.empty_site_load, repr=False
    )
    baseline_health: pd.DataFrame = dataclasses.field(default_factory=_empty_issues, repr=False)

    @property
    def resolutions(self) -> tuple[int, ...]:
        """Distinct channel resolutions [s]."""
        return tuple(sorted(int(r) for r in self.channels["resolution_s"].unique()))


def _clock_change_hours(period: dates.Period, baseline: dates.Period, tz: Any) -> float:
    """How far the local clock moved between the baseline weeks and the report week [h].

    The largest difference of UTC offsets between the middle of the report week and the middle
    of any baseline week: 1 in the weeks after a DST change, 0 elsewhere.

    Examples
    --------
    >>> week = dates.report_week("2025-W46", tz="America/New_York")
    >>> _clock_change_hours(week, dates.baseline_period(week), "America/New_York")
    1.0
    >>> week = dates.report_week("2025-W49", tz="America/New_York")
    >>> _clock_change_hours(week, dates.baseline_period(week), "America/New_York")
    0.0
    """
    day = pd.Timedelta(days=1)
    mid = (period.start + (period.end - period.start) / 2).tz_convert(tz).utcoffset()
    weeks = int(round((baseline.end - baseline.start) / (7 * day)))
    offsets = [
        (baseline.start + (7 * k + 3.5) * day).tz_convert(tz).utcoffset() for k in range(weeks)
    ]
    return max(
        (
            abs((o - mid).total_seconds()) / 3600.0
            for o in offsets
            if o is not None and mid is not None
        ),
        default=0.0,
    )


@functools.lru_cache(maxsize=32)
def _holidays(country: str, subdivision: str | None, y0: int, y1: int) -> frozenset[dt.date]:
    return dates.holiday_dates(y0, y1, country=country, subdivision=subdivision)


def site_holidays(site: Any, start: pd.Timestamp, end: pd.Timestamp) -> tuple[dt.date, ...]:
    """Return the site's public holidays between two instants (site-local dates).

    Parameters
    ----------
    site : config.SiteSettings
        ``holiday_country`` (None: no holidays) and ``holiday_subdivision``.
    start, end : pandas.Timestamp
        Tz-aware bounds.

    Returns
    -------
    tuple of datetime.date
        Sorted holiday dates.
    """
    country = getattr(site, "holiday_country", None)
    if not country:
        return ()
    tz = site.tz
    first, last = start.tz_convert(tz).date(), end.tz_convert(tz).date()
    every = _holidays(country, getattr(site, "holiday_subdivision", None), first.year, last.year)
    return tuple(sorted(d for d in every if first <= d <= last))


def _local_text(times: pd.Series, tz: Any) -> np.ndarray:
    """Site-local ``"Mon 2026-11-16 09:00"`` texts (findings are few)."""
    return np.array([t.tz_convert(tz).strftime("%a %Y-%m-%d %H:%M") for t in times], dtype=object)


def _named(frame: pd.DataFrame, names: dict[int, str], tz: Any) -> pd.DataFrame:
    """Add ``channel_name`` (after ``channel_id``) and ``start_local`` to a findings frame."""
    out = frame.copy()
    ids = out["channel_id"].to_numpy()
    out.insert(1, "channel_name", np.array([names.get(int(i), str(i)) for i in ids], dtype=object))
    if "start" in out.columns:
        out["start_local"] = _local_text(out["start"], tz)
    return out


def _concat(frames: list[pd.DataFrame], empty: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """Concatenate the non-empty frames, or return ``empty()``."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty()
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


def _empty_ledger() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "channel_id": pd.Series(dtype=np.int64),
            "timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
            "business_hours": pd.Series(dtype=bool),
            **{f"{s}_kwh": pd.Series(dtype=float) for s in quick_wins.LEDGER_SOURCES},
            "rate_per_kwh": pd.Series(dtype=float),
            "resolution_s": pd.Series(dtype=np.int64),
        }
    )


def _aligned(ids: np.ndarray, keys: np.ndarray, values: np.ndarray, fill: Any) -> np.ndarray:
    """Values of ``keys`` looked up for each id (``fill`` where an id has none)."""
    out = np.full(ids.size, fill, dtype=np.asarray(values).dtype if len(values) else float)
    if len(keys):
        order = np.argsort(keys)
        pos = np.clip(np.searchsorted(keys[order], ids), 0, len(keys) - 1)
        found = keys[order][pos] == ids
        out[found] = np.asarray(values)[order][pos[found]]
    return out


def _catch_up_energy(g: grid.Grid, issues: pd.DataFrame) -> np.ndarray:
    """Energy of the catch-up readings of a grid, in their intervals, 0 elsewhere [kWh]."""
    out = np.zeros(g.load_kw.shape)
    found = issues[
        (issues["type"] == "catch_up_reading") & issues["channel_id"].isin(g.channel_ids)
    ]
    if found.empty or len(g.index) == 0:
        return out
    rows = (
        found["start"].to_numpy(dtype="datetime64[ns]").astype(np.int64) - g.index[0].value
    ) // (g.resolution_s * 1_000_000_000)
    cols = pd.Index(g.channel_ids).get_indexer(found["channel_id"])
    out[rows, cols] = found["value"].to_numpy(dtype=float)
    return out


def analyse_site_week(
    readings: pd.DataFrame | None,
    *,
    site: Any,
    period: dates.Period,
    baseline: dates.Period | None = None,
    channels: pd.DataFrame | None = None,
    thresholds: Thresholds | None = None,
    as_of: Any = None,
    temperature: pd.Series | None = None,
) -> SiteWeekAnalysis:
    """Analyse one site-week: health, waste, anomalies, spikes, quick wins and summary.

    Parameters
    ----------
    readings : pandas.DataFrame or None
        Canonical long readings of the baseline and report weeks: ``timestamp`` (tz-aware
        interval start), ``channel_id``, ``energy_kwh`` [kWh], ``power_kw`` [kW]; readings
        outside the two periods are ignored. None or empty gives an empty-site result.
    site : config.SiteSettings
        Time zone, opening hours, holidays, tariff, channels (roles, limits, owners),
        ``skip_channels``.
    period : dates.Period
        The report week (site-local, half-open).
    baseline : dates.Period, optional
        The baseline; default the four weeks before ``period``.
    channels : pandas.DataFrame, optional
        ``channel_id``, ``channel_name``, ``resolution_s``, ``role``, ``is_energy`` (e.g.
        ``db.read_channels``): names, roles and stored resolutions. Which channels are
        analysed follows :func:`argo_lib.analytics.grid.channel_table`: the site file's
        channels (reported even without readings) and any other energy channel with readings.
    thresholds : Thresholds, optional
        Default ``site.thresholds``.
    as_of : timestamp, optional
        Tz-aware time of the last ingestion; gives ``stale_now_hours`` per channel, the live
        status (spec B2), next to ``stale_hours`` measured against the end of the report week.
    temperature : pandas.Series, optional
        Outdoor air temperature [°C] indexed by tz-aware interval starts, any resolution (e.g.
        ``db.read_weather(...)`` indexed by ``timestamp``, or ``Simulation.temperature``),
        covering the baseline and the report week. With it, each channel's expected load comes
        from the time-of-week-and-temperature model where that is calibrated (ASHRAE
        Guideline 14); None: the time-slot profile for every channel.

    Returns
    -------
    SiteWeekAnalysis

    Raises
    ------
    ValueError
        On naive timestamps, a missing ``timestamp``/``channel_id`` column, or a baseline
        that does not end where the report week starts or before.
    """
    t = thresholds if thresholds is not None else getattr(site, "thresholds", Thresholds())
    baseline = dates.baseline_period(period, weeks=4) if baseline is None else baseline
    if baseline.end > period.start:
        raise ValueError(
            f"baseline {baseline} overlaps the report period {period}; use "
            "dates.baseline_period(period) (the weeks before the report week)"
        )
    tz = site.tz
    frame = grid.check_readings(readings)
    table = grid.channel_table(frame, channels=channels, site=site)
    holidays = site_holidays(site, baseline.start, period.end)
    opening = getattr(site, "opening_hours", None)
    # one grid over baseline and report week, then views of each (the calendar is computed once)
    temps: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    if baseline.end == period.start:
        span = dates.Period(baseline.start, period.end)
        span_grids = grid.build_grids(
            frame, table, period=span, tz=tz, opening_hours=opening, holidays=holidays
        )
        report_grids = {res: g.slice(period) for res, g in span_grids.items()}
        base_grids = {res: g.slice(baseline) for res, g in span_grids.items()}
        for res, g in span_grids.items():  # one or two resolutions
            on_grid = towt.temperature_on_grid(temperature, g.index, resolution_s=res)
            n_base = len(base_grids[res].index)
            temps[res] = (on_grid[:n_base], on_grid[n_base:])
    else:  # a baseline further back: two grids, not one over the gap
        report_grids = grid.build_grids(
            frame, table, period=period, tz=tz, opening_hours=opening, holidays=holidays
        )
        base_grids = grid.build_grids(
            frame, table, period=baseline, tz=tz, opening_hours=opening, holidays=holidays
        )
        for res, g in report_grids.items():  # one or two resolutions
            temps[res] = (
                towt.temperature_on_grid(temperature, base_grids[res].index, resolution_s=res),
                towt.temperature_on_grid(temperature, g.index, resolution_s=res),
            )
    # days the calendar has open on which the site drew its closed-day load (Christmas week)
    # are closed days too: their nights are not new after-hours operation, nor their load the
    # open weekdays' normal
    main_ids = tuple(int(c) for c in table.loc[table["role"] == "main", "channel_id"])
    closed_days = closures.infer_closed_days(
        base_grids.values(), report_grids.values(), main_ids=main_ids, thresholds=t.baseline
    )
    if closed_days:
        every = tuple(sorted(set(holidays) | set(closed_days)))
        relabel = functools.partial(
            closures.with_holidays, holidays=every, tz=tz, opening_hours=opening
        )
        report_grids = {res: relabel(g) for res, g in report_grids.items()}
        base_grids = {res: relabel(g) for res, g in base_grids.items()}
    # the baseline is screened like the report week before anything is fitted on it: an
    # outage's zeros or a catch-up reading in the baseline would become the expected load
    screening = health.screen_baseline(
        base_grids, table, tz=tz, report=report_grids, thresholds=t.health
    )
    base_grids = screening.grids
    tariff = site.tariff
    # a load that follows the sun (exterior lighting) moves by an hour of local time when the
    # clocks change between the baseline weeks and the report week: its edges may move further
    clock = _clock_change_hours(period, baseline, tz)
    t_anomalies = dataclasses.replace(
        t.anomalies, after_hours_edge_hours=t.anomalies.after_hours_edge_hours + clock
    )
    t_after_hours = dataclasses.replace(
        t.after_hours, edge_shift_hours=t.after_hours.edge_shift_hours + clock
    )
    names = dict(zip(table["channel_id"].tolist(), table["channel_name"].tolist(), strict=True))

    profiles: dict[int, baselines.Profile] = {}
    expected: dict[int, baselines.SlotStats] = {}
    shift_parts, spike_parts, event_parts, ah_parts, shape_parts, ratios = [], [], [], [], [], []
    ledger_parts: list[pd.DataFrame] = []
    spike_excess: dict[int, tuple[grid.Grid, np.ndarray]] = {}
    energy_rows = []
    base_expected: dict[int, baselines.SlotStats] = {}
    models: dict[int, towt.TowtModel] = {}
    profile_fit: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for res, g in report_grids.items():  # one or two resolutions
        b = base_grids[res]
        profile = baselines.fit_profile(b, thresholds=t.baseline)
        profiles[res] = profile
        temp_b, temp_r = temps[res]
        model = towt.fit_towt(b, temp_b, profile=profile, thresholds=t.baseline)
        models[res] = model
        own = profile.own
        assert own is not None  # fit_profile always sets it
        profile_fit[res] = towt.profile_statistics(model, b, own)
        expected[res], base_expected[res] = towt.model_expected(
            model,
            baseline=b,
            baseline_temperature_c=temp_b,
            baseline_stats=own,
            grid=g,
            temperature_c=temp_r,
            stats=baselines.expected_stats(profile, g),
        )
    issues = health.check_health(
        report_grids,
        frame,
        table,
        period=period,
        tz=tz,
        baseline=base_grids,
        thresholds=t.health,
    )
    # readings a sensor check distrusts (outages, catch-up readings, stuck, negative,
    # implausible, mismatched) are left out of the consumption analytics: a frozen value is
    # not after-hours operation, a gap's energy in one reading is not a demand spike
    clean_grids = {res: health.without_suspect(g, issues) for res, g in report_grids.items()}
    catch_up_kwh = {res: _catch_up_energy(g, issues) for res, g in report_grids.items()}
    spike_found: dict[int, tuple[pd.DataFrame, np.ndarray, np.ndarray]] = {}
    for res, g in clean_grids.items():  # one or two resolutions
        is_main = np.isin(g.channel_ids, main_ids)
        spike_found[res] = spikes.detect_spikes(
            g,
            expected[res],
            profiles[res],
            is_main=is_main,
            thresholds=t.spikes,
            moved_edge_hours=t_anomalies.after_hours_edge_hours,
        )
        # a spike is not a change of level: leave its intervals out of the level-shift scan
        spike_mask = spike_found[res][1]
        without_spikes = dataclasses.replace(g, load_kw=np.where(spike_mask, np.nan, g.load_kw))
        shift_parts.append(
            level_shifts.detect_level_shifts(
                without_spikes,
                expected[res],
                profiles[res],
                baseline=base_grids[res],
                baseline_expected=base_expected[res],
                thresholds=t.level_shifts,
            )
        )
    all_shifts = level_shifts.mark_site_wide(
        _concat(shift_parts, level_shifts.empty_shifts),
        n_channels=len(table),
        thresholds=t.level_shifts,
    )
    for res, g in clean_grids.items():  # one or two resolutions
        b, profile, exp, b_exp = base_grids[res], profiles[res], expected[res], base_expected[res]
        rates = costs.rate_per_kwh(g.index, tariff=tariff, tz=tz, holidays=holidays)
        factor = level_shifts.shift_factor(g, all_shifts)
        spike_events, spike_mask, spike_kw = spike_found[res]
        flagged = None
        if t.anomalies.method == "isolation_forest":
            flagged = anomalies.isolation_forest_mask(
                g, exp, baseline=b, baseline_expected=b_exp, thresholds=t.anomalies
            )
        # spikes inside a sustained pattern (after-hours operation, a new schedule) belong
        # to that pattern: find the patterns with every interval, then the rest without spikes
        detect = functools.partial(
            anomalies.detect_anomalies,
            g,
            exp,
            profile,
            baseline=b,
            baseline_expected=b_exp,
            thresholds=t_anomalies,
            factor=factor,
            flagged=flagged,
        )
        events, anomaly_kwh = detect()
        if len(spike_events):
            longer = events["hours"] > t.spikes.max_duration_hours + 2 * g.dt_h
            recurring = (events["kind"] != "unusual_consumption") & longer
            # a noisy meter's sustained excess (window means) owns the spikes on its plateau
            sustained = events[recurring | events["sustained"]]
            spike_events, spike_mask, spike_kw = spikes.suppress_spikes(
                spike_events, spike_mask, spike_kw, g, sustained, event_mask=anomaly_kwh > 0
            )
        # without the spikes' intervals only if a spike lies inside a kept event (otherwise
        # leaving them out changes nothing)
        if len(spike_events) and (spike_mask & (anomaly_kwh > 0)).any():
            events, anomaly_kwh = detect(exclude=spike_mask)
        ah_table, ah_kwh, chronic_kwh = after_hours.after_hours_waste(
            g,
            expected=exp,
            baseline=b,
            baseline_expected=b_exp,
            profile=profile,
            rate_per_kwh=rates,
            thresholds=t_after_hours,
            is_main=np.isin(g.channel_ids, main_ids),
        )
        # a main meter's excess that its sub-meters count is taken off once, in the ledger
        # (quick_wins.attribute_ledger with main_ids), for every source and every hour
        daily, ratio = load_shape.load_shape(g)
        # level-shift excess: energy above the old level after an upward shift. Per channel
        # the total is the signed sum over the shifted intervals (noise around the new level
        # cancels; summing only the intervals above the old level counted a noisy meter's
        # highs as shift energy), spread over the intervals that lie above the old level
        with np.errstate(invalid="ignore", divide="ignore"):
            shifted = (factor > 1.0) & np.isfinite(g.load_kw)
            residual = np.where(shifted, g.load_kw - exp.median, 0.0)
            above = np.maximum(residual, 0.0)
            scale = np.clip(residual.sum(axis=0) / above.sum(axis=0), 0.0, 1.0)
            shift_kwh = np.nan_to_num(above * scale) * g.dt_h
        spike_kwh = spike_kw * g.dt_h
        stack = np.stack([ah_kwh, anomaly_kwh, shift_kwh, spike_kwh, chronic_kwh])
        stack = np.nan_to_num(stack)
        rows, cols = np.nonzero(stack.max(axis=0) > 0)
        ledger_parts.append(
            pd.DataFrame(
                {
                    "channel_id": g.channel_ids[cols],
                    "timestamp": pd.DatetimeIndex(g.times_ns(rows), tz="UTC"),
                    "business_hours": g.business[rows],
                    **{
                        f"{source}_kwh": stack[i, rows, cols]
                        for i, source in enumerate(quick_wins.LEDGER_SOURCES)
                    },
                    "rate_per_kwh": rates[rows],
                    "resolution_s": np.full(rows.size, g.resolution_s, dtype=np.int64),
                }
            )
        )
        # the week's energy: measured readings, plus the energy catch-up readings carry (used
        # during the gap they close), never an outage's zeros
        energy = np.where(np.isfinite(g.energy_kwh), g.energy_kwh, g.load_kw * g.dt_h)
        energy = np.where(np.isfinite(energy), energy, 0.0) + catch_up_kwh[res]
        energy_rows.append(
            (g.channel_ids, np.nansum(energy, axis=0), np.nansum(energy * rates[:, None], axis=0))
        )
        spike_parts.append(spike_events)
        event_parts.append(events)
        ah_parts.append(ah_table)
        shape_parts.append(daily)
        ratios.append(ratio)
        spike_excess[res] = (g, spike_kw)

    quality = health.channel_quality(report_grids, table, period=period, issues=issues)
    base_table = baselines.baseline_table(list(profiles.values()))
    ids = table["channel_id"].to_numpy(dtype=np.int64)
    columns: dict[str, Any] = {c: table[c].to_numpy() for c in table.columns}
    q_ids = quality["channel_id"].to_numpy(dtype=np.int64)
    for column in (
        "expected",
        "actual",
        "outage_intervals",
        "completeness_pct",
        "first_reading",
        "last_reading",
        "stale_hours",
    ):
        values = quality[column]
        if str(values.dtype).startswith("datetime64"):
            ns = values.to_numpy(dtype="datetime64[ns]").astype(np.int64)
            aligned = _aligned(ids, q_ids, ns, np.iinfo(np.int64).min)
            columns[column] = pd.DatetimeIndex(aligned.astype("datetime64[ns]"), tz="UTC")
        else:
            columns[column] = _aligned(ids, q_ids, values.to_numpy(), 0)
    b_ids = base_table["channel_id"].to_numpy(dtype=np.int64)
    for column in ("baseline_status", "coverage", "slot_coverage", "mean_kw", "noise_kw"):
        fill = "insufficient" if column == "baseline_status" else np.nan
        columns[column] = _aligned(ids, b_ids, base_table[column].to_numpy(), fill)
    screened = screening.channels
    s_ids = screened["channel_id"].to_numpy(dtype=np.int64)
    for column in health.SCREENING_COLUMNS[1:]:
        columns[column] = _aligned(ids, s_ids, screened[column].to_numpy(), 0)
    # how well the baseline in use predicted the report week (out of sample, trusted readings)
    report_fit = {
        res: towt.report_statistics(
            models[res], g, temps[res][1], expected=expected[res], thresholds=t.baseline
        )
        for res, g in clean_grids.items()
    }
    model_frame = towt.model_table(list(models.values()), profile_fit, report_fit)
    m_ids = model_frame["channel_id"].to_numpy(dtype=np.int64)
    for column in towt.MODEL_COLUMNS[1:]:
        fill = {"baseline_model": "profile", "model_status": "insufficient_baseline"}.get(
            column, np.nan
        )
        columns[column] = _aligned(ids, m_ids, model_frame[column].to_numpy(), fill)
    e_ids = np.concatenate([e[0] for e in energy_rows]) if energy_rows else np.empty(0, int)
    for k, column in ((1, "energy_kwh"), (2, "energy_cost")):
        energy = np.concatenate([e[k] for e in energy_rows]) if energy_rows else np.empty(0)
        columns[column] = _aligned(ids, e_ids, energy, np.nan)
    ratio_all = pd.concat(ratios) if ratios else pd.Series(dtype=float)
    columns["weekday_weekend_ratio"] = _aligned(
        ids, ratio_all.index.to_numpy(dtype=np.int64), ratio_all.to_numpy(dtype=float), np.nan
    )
    channel_frame = pd.DataFrame(columns)
    if as_of is not None:
        now = dates.ensure_aware(as_of, name="as_of", tz=tz)
        last_end = channel_frame["last_reading"] + pd.to_timedelta(
            channel_frame["resolution_s"], unit="s"
        )
        channel_frame["stale_now_hours"] = ((now - last_end) / pd.Timedelta(hours=1)).to_numpy(
            dtype=float, na_value=np.nan
        )

    demand, source = spikes.site_demand(
        clean_grids,
        main_ids=main_ids,
        interval_s=int(getattr(tariff, "demand_interval_s", costs.BILLING_INTERVAL_S)),
    )
    spike_frame = _concat(spike_parts, spikes.empty_spikes)
    spike_frame = spikes.demand_impact(
        spike_frame, spike_excess, demand, demand_rate_per_kw=tariff.demand_rate_per_kw
    )
    spike_frame = spike_frame.sort_values("peak_kw", ascending=False, ignore_index=True)
    peak_kw, peak_at, _ = costs.coincident_peak(demand)
    demand_info = {
        "peak_kw": peak_kw,
        "peak_at": peak_at,
        "source": source,
        "demand_rate_per_kw": tariff.demand_rate_per_kw,
        "demand_charge": (
            peak_kw * tariff.demand_rate_per_kw
            if tariff.demand_rate_per_kw is not None and np.isfinite(peak_kw)
            else None
        ),
    }
    ledger = quick_wins.attribute_ledger(_concat(ledger_parts, _empty_ledger), main_ids=main_ids)
    ah_frame = _named(_concat(ah_parts, after_hours.empty_after_hours), names, tz)
    total_excess = float(np.nansum(ah_frame["excess_kwh"].to_numpy(dtype=float)))
    ah_frame["percent_of_total"] = (
        100.0 * ah_frame["excess_kwh"] / total_excess if total_excess > 0 else 0.0
    )
    ah_frame = ah_frame.sort_values("excess_kwh", ascending=False, ignore_index=True)
    event_frame = _named(_concat(event_parts, anomalies.empty_events), names, tz)
    shift_frame = _named(all_shifts, names, tz)
    spike_frame = _named(spike_frame, names, tz)
    wins = quick_wins.build_quick_wins(
        after_hours=ah_frame,
        anomalies=event_frame,
        level_shifts=shift_frame,
        spikes=spike_frame,
        health=issues,
        ledger=ledger,
        channels=channel_frame,
        tz=tz,
        currency=tariff.currency,
        demand_rate_per_kw=tariff.demand_rate_per_kw,
        thresholds=t.quick_wins,
    )
    site_summary = summary.summarise_site(
        health=issues,
        after_hours=ah_frame,
        anomalies=event_frame,
        level_shifts=shift_frame,
        spikes=spike_frame,
        quick_wins=wins,
        channels=channel_frame,
        currency=tariff.currency,
        annualisation_weeks=t.quick_wins.annualisation_weeks,
        demand_source=source,
        thresholds=t.status,
    )
    shape = _concat(shape_parts, load_shape.empty_load_shape)
    site_frame = site_loads.site_load(
        report=report_grids,
        clean=clean_grids,
        baseline=base_grids,
        table=table,
        thresholds=t.baseline,
    )
    return SiteWeekAnalysis(
        site=site,
        period=period,
        baseline=baseline,
        thresholds=t,
        channels=channel_frame,
        health=issues,
        after_hours=ah_frame,
        anomalies=event_frame,
        level_shifts=shift_frame,
        spikes=spike_frame,
        load_shape=_named(shape, names, tz),
        ledger=ledger,
        quick_wins=wins,
        summary=site_summary,
        demand=demand_info,
        holidays=holidays,
        closed_days=closed_days,
        expected=expected,
        models=models,
        grids=dict(report_grids),
        clean_grids=clean_grids,
        baseline_grids=dict(base_grids),
        site_load=site_frame,
        baseline_health=screening.issues,
    )
