"""A first look at a site's channels over any period: inventory, coverage, energy, profiles.

:func:`explore_channels` lays the readings on the expected interval grid
(:mod:`argo_lib.analytics.grid`), runs the sensor checks of :mod:`argo_lib.analytics.health` on
the period, and answers the questions of ``notebooks/explore.ipynb``:

- which channels there are, and how complete each is (:attr:`Exploration.inventory`);
- how complete each channel is day by day (:attr:`Exploration.coverage`): the share of the
  day's expected intervals with a measured reading. The zeros a gateway writes during an
  outage are not readings. Expected intervals come from the day's real length, so DST days
  expect 92 or 100 quarter-hours;
- how much energy each channel used per site-local day (:attr:`Exploration.daily_energy`);
- the typical weekday and weekend day (:attr:`Exploration.profiles`): median power by local
  hour with the P25–P75 band, suspect readings (outages, stuck values, ...) left out;
- the largest gaps and the sensor issues (:attr:`Exploration.gaps`, :attr:`Exploration.issues`);
- which channels move together (:attr:`Exploration.correlations`, :attr:`Exploration.pairs`):
  Pearson correlation of hourly energy;
- what to look at next (:attr:`Exploration.next_steps`), generated from those numbers.

Everything is computed with numpy and pandas over whole arrays; nothing loops over readings.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from argo_lib import dates
from argo_lib.analytics import health
from argo_lib.analytics.grid import Grid, build_grids, channel_table, check_readings
from argo_lib.thresholds import HealthThresholds

__all__ = [
    "INVENTORY_COLUMNS",
    "PAIR_COLUMNS",
    "PROFILE_COLUMNS",
    "Exploration",
    "NextSteps",
    "explore_channels",
    "rank_pairs",
    "suggest_next_steps",
]

INVENTORY_COLUMNS = (
    "channel_id",
    "channel_name",
    "device",
    "resolution_s",
    "first_reading",
    "last_reading",
    "readings",
    "coverage",
    "role",
    "is_energy",
)
"""Columns of :attr:`Exploration.inventory`."""

PROFILE_COLUMNS = (
    "channel_id",
    "channel_name",
    "day_kind",
    "hour",
    "median_kw",
    "p25_kw",
    "p75_kw",
    "intervals",
)
"""Columns of :attr:`Exploration.profiles`."""

PAIR_COLUMNS = ("channel_a", "name_a", "channel_b", "name_b", "r", "hours")
"""Columns of :attr:`Exploration.pairs`."""

GAP_TYPES = ("no_data", "missing_data", "outage")
"""Issue types that are gaps (no measured reading), listed in :attr:`Exploration.gaps`."""

MIN_CORRELATION_HOURS = 24
"""Hours with energy on both channels a correlation needs [h]."""

_NS_PER_DAY = 86_400 * 1_000_000_000


@dataclass(frozen=True)
class NextSteps:
    """What to look at next: short sentences, shown as a bulleted list in a notebook."""

    items: tuple[str, ...]

    def __iter__(self) -> Any:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __str__(self) -> str:
        return "\n".join(f"- {item}" for item in self.items)

    def _repr_html_(self) -> str:
        rows = "".join(f"<li>{html.escape(item)}</li>" for item in self.items)
        return f"<ul class='argo-next-steps'>{rows}</ul>"


@dataclass(frozen=True, eq=False)
class Exploration:
    """Everything :func:`explore_channels` found about a site's channels over a period.

    Attributes
    ----------
    period : dates.Period
        The period explored, half-open, site-local bounds.
    inventory : pandas.DataFrame
        Columns :data:`INVENTORY_COLUMNS`, one row per channel: ``device`` (name of the
        Eniscope device), ``resolution_s`` [s], first and last reading in the period (interval
        starts, site-local; NaT without any), ``readings`` [count], ``coverage`` [-] (measured
        / expected intervals, NaN for channels that are not analysed energy meters), ``role``
        (main or sub) and ``is_energy``.
    coverage : pandas.DataFrame
        Daily coverage [-]: index ``channel_id`` and ``channel_name``, one column per
        site-local date.
    daily_energy : pandas.DataFrame
        ``date``, ``channel_id``, ``channel_name``, ``energy_kwh`` [kWh] (as read; NaN for a
        day without readings) and ``coverage`` [-], sorted by date and channel.
    energy_by_day : pandas.DataFrame
        The same energy [kWh], one row per ``date`` and one column per ``channel_id``.
    profiles : pandas.DataFrame
        Columns :data:`PROFILE_COLUMNS`: per channel, ``day_kind`` ("weekday" or "weekend")
        and local ``hour`` (0–23), the median, P25 and P75 of interval power [kW] and the
        intervals they stand on.
    issues : pandas.DataFrame
        :func:`argo_lib.analytics.health.check_health` on the period
        (:data:`~argo_lib.analytics.health.ISSUE_COLUMNS`).
    gaps : pandas.DataFrame
        The issues of :data:`GAP_TYPES`, longest first, with ``hours`` [h] and local
        ``start``/``end``.
    correlations : pandas.DataFrame
        Pearson correlation of hourly energy [-], channel × channel (ids as index and
        columns); NaN where fewer than :data:`MIN_CORRELATION_HOURS` hours are shared or a
        channel is constant.
    pairs : pandas.DataFrame
        Columns :data:`PAIR_COLUMNS`: each pair of channels once, strongest ``r`` first.
    next_steps : NextSteps
        What to look at next.
    """

    period: dates.Period
    inventory: pd.DataFrame
    coverage: pd.DataFrame
    daily_energy: pd.DataFrame
    energy_by_day: pd.DataFrame
    profiles: pd.DataFrame
    issues: pd.DataFrame
    gaps: pd.DataFrame
    correlations: pd.DataFrame
    pairs: pd.DataFrame
    next_steps: NextSteps


# --------------------------------------------------------------------------------------------
# Grids: measured readings, suspect readings left out


def _measured(grid: Grid, issues: pd.DataFrame) -> np.ndarray:
    """True where a reading is a measurement: present, and not an outage's (or a gap's) zero."""
    outage = health._issue_mask(grid, issues, ("outage",))
    gap = health._issue_mask(grid, issues, ("catch_up_reading",), gap_only=True)
    return grid.present & ~outage & ~gap


def _dates(day: np.ndarray) -> pd.Index:
    """Local calendar day numbers (days since 1970-01-01) as ``datetime.date`` values."""
    return pd.Index(pd.to_datetime(day * _NS_PER_DAY).date, name="date")


def _by_day(values: np.ndarray, grid: Grid, how: str) -> pd.DataFrame:
    """Aggregate an ``(interval, channel)`` array over site-local days (dates × channels)."""
    frame = pd.DataFrame(values, columns=grid.channel_ids)
    grouped = frame.groupby(grid.day)
    out = grouped.mean() if how == "mean" else grouped.sum(min_count=1)
    out.index = _dates(out.index.to_numpy())
    return out


def _daily(
    grids: dict[int, Grid], measured: dict[int, np.ndarray], names: dict[int, str]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Daily coverage (wide, channels down), daily energy (wide, dates down; and long)."""
    empty = pd.DataFrame(index=pd.Index([], dtype=object, name="date"), dtype=float)
    shares, energy = [empty], [empty]
    for res, grid in grids.items():  # one or two resolutions
        shares.append(_by_day(measured[res].astype(float), grid, "mean"))
        energy.append(_by_day(grid.energy_kwh, grid, "sum"))
    share = pd.concat(shares, axis=1).sort_index(axis=1)
    kwh = pd.concat(energy, axis=1).sort_index(axis=1)
    coverage = share.T
    coverage.index = pd.MultiIndex.from_arrays(
        [coverage.index.astype(np.int64), [names[c] for c in coverage.index]],
        names=["channel_id", "channel_name"],
    )
    coverage.columns.name = "date"
    kwh.columns.name = "channel_id"
    n_d, n_c = kwh.shape
    daily = pd.DataFrame(
        {
            "date": np.repeat(kwh.index.to_numpy(), n_c),
            "channel_id": np.tile(kwh.columns.to_numpy(dtype=np.int64), n_d),
            "energy_kwh": kwh.to_numpy(dtype=float).reshape(-1),
            "coverage": share.to_numpy(dtype=float).reshape(-1),
        }
    )
    daily.insert(2, "channel_name", daily["channel_id"].map(names))
    return coverage, kwh, daily


def _profiles(screened: dict[int, Grid], names: dict[int, str]) -> pd.DataFrame:
    """Median and quartiles of interval power by channel, weekday/weekend and local hour."""
    frames = []
    for grid in screened.values():  # one or two resolutions
        n_t, n_c = grid.load_kw.shape
        frames.append(
            pd.DataFrame(
                {
                    "channel_id": np.tile(grid.channel_ids, n_t),
                    "day_kind": np.repeat(np.where(grid.day_type == 0, "weekday", "weekend"), n_c),
                    "hour": np.repeat(grid.hour, n_c),
                    "load_kw": grid.load_kw.reshape(-1),
                }
            )
        )
    columns = {"channel_id": np.int64, "day_kind": object, "hour": np.int64, "load_kw": float}
    empty = pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})
    long = pd.concat([empty, *frames], ignore_index=True).dropna(subset=["load_kw"])
    keys = ["channel_id", "day_kind", "hour"]
    grouped = long.groupby(keys)["load_kw"]
    out = pd.DataFrame(
        {
            "median_kw": grouped.median(),
            "p25_kw": grouped.quantile(0.25),
            "p75_kw": grouped.quantile(0.75),
            "intervals": grouped.size().astype(np.int64),
        }
    ).reset_index()
    out["channel_name"] = out["channel_id"].map(names)
    return out[list(PROFILE_COLUMNS)].sort_values(keys, ignore_index=True)


def _hourly_energy(screened: dict[int, Grid]) -> pd.DataFrame:
    """Energy per UTC hour and channel [kWh]; NaN for an hour missing any interval."""
    frames = [pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC"), dtype=float)]
    for grid in screened.values():  # one or two resolutions
        frame = pd.DataFrame(grid.energy_kwh, index=grid.index, columns=grid.channel_ids)
        frames.append(frame.resample("h").sum(min_count=grid.per_hour))
    return pd.concat(frames, axis=1).sort_index(axis=1)


def _correlations(hourly: pd.DataFrame) -> pd.DataFrame:
    """Pearson correlation of hourly energy, pairwise complete hours."""
    with np.errstate(invalid="ignore", divide="ignore"):
        corr = hourly.corr(method="pearson", min_periods=MIN_CORRELATION_HOURS)
    corr.index.name = "channel_id"
    corr.columns.name = "channel_id"
    return corr


def rank_pairs(
    correlations: pd.DataFrame, hourly: pd.DataFrame | None, *, names: dict[int, str]
) -> pd.DataFrame:
    """Each pair of channels once, strongest correlation first.

    Parameters
    ----------
    correlations : pandas.DataFrame
        Channel × channel correlation [-] (:attr:`Exploration.correlations`).
    hourly : pandas.DataFrame or None
        Hourly energy, hours × channels; gives the hours each pair shares (0 without it).
    names : dict of int to str
        Channel names.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`PAIR_COLUMNS`; pairs without a correlation are left out.

    Examples
    --------
    >>> corr = pd.DataFrame([[1.0, 0.5], [0.5, 1.0]], index=[1, 2], columns=[1, 2])
    >>> rank_pairs(corr, None, names={1: "a", 2: "b"})[["channel_a", "channel_b", "r"]]
       channel_a  channel_b    r
    0          1          2  0.5
    """
    ids = correlations.columns.to_numpy(dtype=np.int64)
    a, b = np.triu_indices(ids.size, k=1)
    r = correlations.to_numpy(dtype=float)[a, b]
    if hourly is not None and ids.size:
        known = hourly[ids].notna().to_numpy().astype(np.int64)
        shared = (known.T @ known)[a, b]
    else:
        shared = np.zeros(a.size, dtype=np.int64)
    pairs = pd.DataFrame(
        {
            "channel_a": ids[a],
            "name_a": [names.get(int(c), str(c)) for c in ids[a]],
            "channel_b": ids[b],
            "name_b": [names.get(int(c), str(c)) for c in ids[b]],
            "r": r,
            "hours": shared.astype(np.int64),
        }
    )
    pairs = pairs[np.isfinite(pairs["r"].to_numpy())]
    return pairs.sort_values(
        ["r", "channel_a", "channel_b"], ascending=[False, True, True]
    ).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Inventory, gaps


def _inventory(
    readings: pd.DataFrame,
    channels: pd.DataFrame | None,
    table: pd.DataFrame,
    quality: pd.DataFrame,
    *,
    only: tuple[int, ...],
    tz: Any,
) -> pd.DataFrame:
    """One row per channel: metadata, first/last reading, readings and coverage."""
    meta = channels if channels is not None else pd.DataFrame({"channel_id": []})
    meta = meta.rename(columns={"name": "channel_name", "device_name": "device"})
    stats = (
        readings.groupby("channel_id")["timestamp"]
        .agg(first_reading="min", last_reading="max", readings="size")
        .reset_index()
    )
    ids = np.union1d(
        np.union1d(meta["channel_id"].to_numpy(dtype=np.int64), table["channel_id"].to_numpy()),
        stats["channel_id"].to_numpy(dtype=np.int64),
    ).astype(np.int64)
    if only:
        ids = ids[np.isin(ids, np.asarray(only, dtype=np.int64))]
    out = pd.DataFrame({"channel_id": ids})
    wanted = ["channel_id", "channel_name", "device", "resolution_s", "role", "is_energy"]
    meta = meta.reindex(columns=wanted)
    analysed = table[["channel_id", "channel_name", "resolution_s", "role"]]
    out = out.merge(analysed, on="channel_id", how="left")
    out = out.merge(meta, on="channel_id", how="left", suffixes=("", "_db"))
    for column in ("channel_name", "resolution_s", "role"):
        out[column] = out[column].fillna(out.pop(f"{column}_db")) if len(out) else out[column]
    out = out.drop(columns=[c for c in out.columns if c.endswith("_db")])
    out["is_energy"] = (
        out["is_energy"]
        .astype("boolean")
        .fillna(pd.Series(np.isin(out["channel_id"], table["channel_id"]), index=out.index))
    )
    out = out.merge(stats, on="channel_id", how="left")
    out["readings"] = out["readings"].fillna(0).astype(np.int64)
    for column in ("first_reading", "last_reading"):
        out[column] = pd.to_datetime(out[column], utc=True).dt.tz_convert(tz)
    coverage = quality.set_index("channel_id")["completeness_pct"].astype(float) / 100.0
    out["coverage"] = out["channel_id"].map(coverage).astype(float)
    out["channel_name"] = out["channel_name"].fillna(out["channel_id"].astype(str))
    out["resolution_s"] = out["resolution_s"].astype("Int64")
    return out[list(INVENTORY_COLUMNS)].reset_index(drop=True)


def _gaps(issues: pd.DataFrame, *, tz: Any) -> pd.DataFrame:
    """Gap issues, longest first, with their length [h] and local bounds."""
    gaps = issues[issues["type"].isin(GAP_TYPES)].copy()
    start = pd.to_datetime(gaps["start"], utc=True)
    end = pd.to_datetime(gaps["end"], utc=True)
    gaps["hours"] = ((end - start) / pd.Timedelta(hours=1)).astype(float)
    gaps["start"] = start.dt.tz_convert(tz)
    gaps["end"] = end.dt.tz_convert(tz)
    columns = ["type", "channel_id", "channel_name", "start", "end", "hours", "description"]
    gaps = gaps.sort_values(["hours", "channel_id"], ascending=[False, True], kind="stable")
    return gaps[columns].reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# What to look at next


def suggest_next_steps(
    inventory: pd.DataFrame,
    gaps: pd.DataFrame,
    issues: pd.DataFrame,
    pairs: pd.DataFrame,
    profiles: pd.DataFrame,
    *,
    full_coverage: float = 0.99,
    strong_r: float = 0.8,
) -> NextSteps:
    """Short suggestions of what to look at next, each from a number of the exploration.

    Parameters
    ----------
    inventory, gaps, issues, pairs, profiles : pandas.DataFrame
        The frames of an :class:`Exploration`.
    full_coverage : float
        Coverage at or above which a channel needs no attention [-].
    strong_r : float
        Correlation from which two channels "move together" [-].

    Returns
    -------
    NextSteps
        In this order, where they apply: the channel with the lowest coverage, the longest
        gap, the sensor issues, the most strongly correlated pair, the channel with the
        largest weekend/weekday ratio of mean median power.
    """
    steps: list[str] = []
    covered = inventory.dropna(subset=["coverage"])
    if not covered.empty:
        low = covered.iloc[int(np.argmin(covered["coverage"].to_numpy(dtype=float)))]
        if low["coverage"] < full_coverage:
            steps.append(
                f"Lowest coverage: {low['channel_name']} ({low['channel_id']}) has "
                f"{low['coverage']:.0%} of its expected intervals; see its gaps below before "
                "trusting its totals."
            )
        else:
            steps.append(f"Coverage: every channel has at least {full_coverage:.0%}.")
    if not gaps.empty:
        top = gaps.iloc[0]
        steps.append(
            f"Longest gap: {top['channel_name']} ({top['channel_id']}), {top['hours']:.1f} h "
            f"({top['type'].replace('_', ' ')}) from {top['start']:%Y-%m-%d %H:%M %Z}."
        )
    sensor = issues[~issues["type"].isin((*GAP_TYPES, "low_completeness", "stale_data"))]
    if not sensor.empty:
        counts = sensor["type"].value_counts()
        listed = ", ".join(f"{n} {str(t).replace('_', ' ')}" for t, n in counts.items())
        steps.append(f"Sensor issues to check: {listed}.")
    if not pairs.empty:
        top = pairs.iloc[0]
        verb = "move together" if top["r"] >= strong_r else "are the most alike"
        steps.append(
            f"{top['name_a']} ({top['channel_a']}) and {top['name_b']} ({top['channel_b']}) "
            f"{verb} (r = {top['r']:.2f} on hourly energy): one may feed the other, or they "
            "share a schedule."
        )
    if not profiles.empty:
        mean = profiles.pivot_table(
            index="channel_id", columns="day_kind", values="median_kw", aggfunc="mean"
        )
        if {"weekday", "weekend"} <= set(mean.columns):
            with np.errstate(invalid="ignore", divide="ignore"):
                ratio = (mean["weekend"] / mean["weekday"]).replace([np.inf, -np.inf], np.nan)
            ratio = ratio.dropna()
            if not ratio.empty:
                cid = int(ratio.index.to_numpy()[int(np.argmax(ratio.to_numpy()))])
                name = profiles.loc[profiles["channel_id"] == cid, "channel_name"].iloc[0]
                steps.append(
                    f"Largest weekend/weekday ratio: {name} ({cid}) draws {ratio[cid]:.0%} of "
                    "its weekday power at weekends; check what runs while the building is closed."
                )
    return NextSteps(tuple(steps))


# --------------------------------------------------------------------------------------------
# Everything


def explore_channels(
    readings: pd.DataFrame,
    *,
    site: Any,
    period: dates.Period,
    channels: pd.DataFrame | None = None,
    channel_ids: tuple[int, ...] | list[int] = (),
    thresholds: HealthThresholds | None = None,
) -> Exploration:
    """Explore a site's channels over a period.

    Parameters
    ----------
    readings : pandas.DataFrame
        Canonical long readings (``timestamp`` tz-aware interval start, ``channel_id``,
        ``energy_kwh`` [kWh], ``power_kw`` [kW]); readings outside ``period`` are ignored.
    site : config.SiteSettings
        Time zone, channels (names, roles, limits) and skipped channels.
    period : dates.Period
        The period, half-open ``[start, end)``.
    channels : pandas.DataFrame, optional
        Channel metadata, e.g. :func:`argo_lib.db.read_channels` (names, devices,
        resolution, role, ``is_energy``).
    channel_ids : sequence of int
        Only these channels; empty: every channel.
    thresholds : HealthThresholds, optional
        Limits of the sensor checks; default the site's.

    Returns
    -------
    Exploration

    Raises
    ------
    ValueError
        If the readings are malformed (naive timestamps, missing columns).
    """
    tz = site.tz
    thresholds = thresholds or getattr(getattr(site, "thresholds", None), "health", None)
    checked = check_readings(readings)
    inside = period.contains(checked["timestamp"])
    checked = checked[inside].reset_index(drop=True)
    only = tuple(int(c) for c in channel_ids)
    if only:
        checked = checked[checked["channel_id"].isin(only)].reset_index(drop=True)
    table = channel_table(checked, channels=channels, site=site)
    if only:
        table = table[table["channel_id"].isin(only)].reset_index(drop=True)
    names = dict(zip(table["channel_id"].tolist(), table["channel_name"].tolist(), strict=True))
    grids = build_grids(checked, table, period=period, tz=tz, opening_hours=site.opening_hours)
    # zeros are judged by the period's other weeks and days (each run's own left out)
    screening = health.screen_baseline(grids, table, tz=tz, thresholds=thresholds)
    issues = health.check_health(
        grids,
        checked,
        table,
        period=period,
        tz=tz,
        baseline=screening.grids,
        thresholds=thresholds,
    )
    quality = health.channel_quality(grids, table, period=period, issues=issues)
    measured = {res: _measured(grid, issues) for res, grid in grids.items()}
    screened = {res: health.without_suspect(grid, issues) for res, grid in grids.items()}
    coverage, by_day, daily = _daily(grids, measured, names)
    profiles = _profiles(screened, names)
    hourly = _hourly_energy(screened)
    correlations = _correlations(hourly)
    pairs = rank_pairs(correlations, hourly, names=names)
    inventory = _inventory(checked, channels, table, quality, only=only, tz=tz)
    gaps = _gaps(issues, tz=tz)
    steps = suggest_next_steps(inventory, gaps, issues, pairs, profiles)
    return Exploration(
        period=period,
        inventory=inventory,
        coverage=coverage,
        daily_energy=daily,
        energy_by_day=by_day,
        profiles=profiles,
        issues=issues,
        gaps=gaps,
        correlations=correlations,
        pairs=pairs,
        next_steps=steps,
    )
