"""Calendar logic in site-local time: periods, report weeks, business hours and holidays.

Every public function takes tz-aware timestamps and a site time zone (``zoneinfo``) and does
its calendar work in that zone: days, weeks, weekdays and opening hours are site-local, so the
DST weeks have 167 or 169 hours and a 15-minute channel expects 668 or 676 readings in them.
Periods are half-open, ``[start, end)``, and a timestamp labels the start of its interval.

Naive input is rejected with a ``UsageError`` (a ``ValueError``) that says how to localize it; guessing the zone of
naive data loses or doubles an hour twice a year.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeAlias, overload
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from argo_lib.errors import UsageError

__all__ = [
    "DAY_TYPES",
    "DEFAULT_OPENING_HOURS",
    "OpeningHoursLike",
    "Period",
    "after_hours_mask",
    "baseline_period",
    "business_hours_mask",
    "day_type",
    "ensure_aware",
    "expected_index",
    "holiday_dates",
    "hour_of_week",
    "local_date",
    "period_holidays",
    "report_week",
    "to_local",
    "week_period",
]

TzLike: TypeAlias = str | dt.tzinfo
"""A time zone: an IANA name such as ``"America/New_York"`` or a ``zoneinfo.ZoneInfo``."""

DAY_TYPES: tuple[str, str, str] = ("weekday", "saturday", "sunday_holiday")
"""Day types for baseline pooling, in the order of their integer codes 0, 1, 2."""

DEFAULT_OPENING_HOURS: dict[int, tuple[dt.time, dt.time] | None] = {
    **{weekday: (dt.time(7), dt.time(18)) for weekday in range(5)},
    5: None,
    6: None,
}
"""Mon–Fri 07:00–18:00 local, closed at weekends (spec A1); Monday is 0."""

_NS_PER_S = 1_000_000_000
_NS_PER_HOUR = 3600 * _NS_PER_S
_NS_PER_DAY = 24 * _NS_PER_HOUR
_EPOCH_WEEKDAY = 3  # 1970-01-01 was a Thursday (Monday = 0)
_EXAMPLE_TZ = "America/New_York"
_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$", re.IGNORECASE)
_ACCEPTED_WEEKS = (
    "'last' (the last complete week before as_of), an ISO week such as '2026-W47', "
    "or any date in the week: a datetime.date, a tz-aware pandas.Timestamp/datetime, "
    "or an ISO string such as '2026-11-18' or '2026-11-18T09:00-05:00'"
)


class OpeningHoursLike(Protocol):
    """Opening hours per weekday, e.g. ``config.OpeningHours``."""

    def for_weekday(self, weekday: int) -> tuple[dt.time, dt.time] | None:
        """Return local (open, close) times of a weekday (Monday = 0), or None if closed."""
        ...


# --------------------------------------------------------------------------------------------
# Time zones and tz-aware input


def _zone(tz: TzLike | None, *, name: str = "tz") -> dt.tzinfo:
    """Return a tzinfo for an IANA name or tzinfo, raising a fix-it ValueError otherwise."""
    if isinstance(tz, dt.tzinfo):
        return tz
    if isinstance(tz, str) and tz.strip():
        try:
            return ZoneInfo(tz.strip())
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise UsageError(
                f"{name}={tz!r} is not a known IANA time zone; use a name such as "
                f"{_EXAMPLE_TZ!r} (see zoneinfo.available_timezones())"
            ) from exc
    raise UsageError(
        f"{name} must be an IANA time zone name or a zoneinfo.ZoneInfo, got {tz!r}; "
        f"pass e.g. {name}={_EXAMPLE_TZ!r} (the site's time zone)"
    )


def _naive_message(name: str, *, series: bool, plural: bool, tz: TzLike | None) -> str:
    accessor = ".dt.tz_localize" if series else ".tz_localize"
    zone = str(tz) if tz is not None else _EXAMPLE_TZ
    are, them, they = ("are", "them", "they are") if plural else ("is", "it", "it is")
    return (
        f"{name} {are} timezone-naive; localize {them} with {accessor}({zone!r}) if {they} "
        f"site-local wall time, or {accessor}('UTC') if {they} UTC (as stored in the database)"
    )


@overload
def ensure_aware(
    value: dt.datetime | str | np.datetime64, *, name: str = ..., tz: TzLike | None = ...
) -> pd.Timestamp: ...
@overload
def ensure_aware(
    value: pd.Index | pd.Series | np.ndarray | list[Any] | tuple[Any, ...],
    *,
    name: str = ...,
    tz: TzLike | None = ...,
) -> pd.DatetimeIndex: ...
@overload
def ensure_aware(
    value: Any, *, name: str = ..., tz: TzLike | None = ...
) -> pd.Timestamp | pd.DatetimeIndex: ...
def ensure_aware(
    value: Any, *, name: str = "timestamps", tz: TzLike | None = None
) -> pd.Timestamp | pd.DatetimeIndex:
    """Check that timestamps are timezone-aware and return them as pandas objects.

    Parameters
    ----------
    value : datetime-like scalar or array-like
        A ``pandas.Timestamp``, ``datetime.datetime`` or ISO string with an offset; or a
        ``DatetimeIndex``, ``Series`` or sequence of those.
    name : str
        What the value is called in the error message, e.g. ``"readings.timestamp"``.
    tz : str or zoneinfo.ZoneInfo, optional
        Site time zone, used only to make the fix-it message concrete.

    Returns
    -------
    pandas.Timestamp or pandas.DatetimeIndex
        A ``Timestamp`` for scalar input, a ``DatetimeIndex`` (zone unchanged) for array-like
        input. Empty array-like input of no particular zone comes back as an empty UTC index.

    Raises
    ------
    ValueError
        If the value is timezone-naive (the message says how to localize it) or cannot be read
        as timestamps.

    Examples
    --------
    >>> ensure_aware("2026-11-16T00:00-05:00")
    Timestamp('2026-11-16 00:00:00-0500', tz='UTC-05:00')
    >>> ensure_aware(pd.DatetimeIndex(["2026-11-16 09:00"]))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    argo_lib.errors.UsageError: timestamps are timezone-naive; localize them with .tz_localize('America/New_York...
    """
    if isinstance(value, dt.datetime | pd.Timestamp | str | np.datetime64):
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError) as exc:
            raise UsageError(
                f"{name}={value!r} is not a timestamp; pass a tz-aware pandas.Timestamp or an "
                "ISO string with an offset such as '2026-11-16T00:00-05:00'"
            ) from exc
        if pd.isna(ts):
            raise UsageError(f"{name} is NaT; pass a real tz-aware timestamp")
        if ts.tz is None:
            raise UsageError(_naive_message(name, series=False, plural=False, tz=tz))
        return ts
    if isinstance(value, dt.date):
        raise UsageError(
            f"{name}={value!r} is a date, not a timestamp; use "
            f"pd.Timestamp({value.isoformat()!r}, tz={str(tz or _EXAMPLE_TZ)!r}) for local midnight"
        )
    is_series = isinstance(value, pd.Series)
    if isinstance(value, pd.DatetimeIndex):
        index = value
    else:
        try:
            index = pd.DatetimeIndex(value)
        except (ValueError, TypeError) as exc:
            raise UsageError(
                f"{name} could not be read as timestamps ({exc}); mixed offsets need "
                "pd.to_datetime(values, utc=True), and strings need an offset or a tz_localize"
            ) from exc
    if index.tz is None:
        if len(index) == 0:
            return index.tz_localize("UTC")
        raise UsageError(_naive_message(name, series=is_series, plural=True, tz=tz))
    return index


def to_local(index: Any, *, tz: TzLike) -> pd.DatetimeIndex:
    """Convert tz-aware timestamps to the site's zone.

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        ``DatetimeIndex``, ``Series`` or sequence; any zone (UTC from the database).
    tz : str or zoneinfo.ZoneInfo
        Site time zone.

    Returns
    -------
    pandas.DatetimeIndex
        The same instants in site-local time.

    Raises
    ------
    ValueError
        On naive timestamps or an unknown zone.
    """
    zone = _zone(tz)
    return ensure_aware(index, name="timestamps", tz=tz).tz_convert(zone)


def _wall_ns(index: Any, tz: TzLike) -> np.ndarray:
    """Local wall-clock time as int64 nanoseconds since 1970-01-01 00:00 (site-local)."""
    local = to_local(index, tz=tz)
    return local.tz_localize(None).as_unit("ns").asi8


def _day_fields(index: Any, tz: TzLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (local day number since epoch, weekday Mon=0, nanoseconds since local midnight)."""
    wall = _wall_ns(index, tz)
    day = wall // _NS_PER_DAY
    return day, (day + _EPOCH_WEEKDAY) % 7, wall - day * _NS_PER_DAY


def _local_midnight(day: dt.date, tz: dt.tzinfo) -> pd.Timestamp:
    """Local 00:00 of a calendar date (the first instant of the day where midnight is skipped)."""
    return pd.Timestamp(day).tz_localize(tz, ambiguous=True, nonexistent="shift_forward")


def _local_date_of(value: Any, tz: dt.tzinfo, *, name: str) -> dt.date:
    """Calendar date of a date-like label: a date, a tz-aware instant, or a naive date."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{name}={value!r} is not recognised; use {_ACCEPTED_WEEKS}") from exc
    if pd.isna(ts):
        raise UsageError(f"{name} is NaT; use {_ACCEPTED_WEEKS}")
    if ts.tz is not None:
        return ts.tz_convert(tz).date()
    if ts != ts.normalize():
        raise UsageError(
            f"{name}={value!r} is a timezone-naive time of day, so its week depends on the zone; "
            f"localize it with .tz_localize({str(tz)!r}) or pass only the date "
            f"({ts.date().isoformat()!r})"
        )
    return ts.date()


# --------------------------------------------------------------------------------------------
# Periods


@dataclass(frozen=True)
class Period:
    """A half-open time period ``[start, end)`` with tz-aware bounds.

    Parameters
    ----------
    start : pandas.Timestamp, datetime or ISO string
        First instant in the period (tz-aware).
    end : pandas.Timestamp, datetime or ISO string
        First instant after the period (tz-aware); converted to the zone of ``start``.

    Raises
    ------
    ValueError
        If a bound is naive or ``end`` is not after ``start``.

    Examples
    --------
    >>> week = report_week("2026-W10", tz="America/New_York")
    >>> week.label, week.hours
    ('2026-W10', 167.0)
    >>> str(week)
    '2026-W10 [2026-03-02 00:00-05:00, 2026-03-09 00:00-04:00)'
    """

    start: pd.Timestamp
    end: pd.Timestamp

    def __post_init__(self) -> None:
        start = ensure_aware(self.start, name="Period.start")
        end = ensure_aware(self.end, name="Period.end").tz_convert(start.tz)
        if not end > start:
            raise UsageError(
                f"Period end {end} must be after start {start}; periods are half-open [start, end)"
            )
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    @classmethod
    def from_dates(cls, first_day: Any, end_day: Any, *, tz: TzLike) -> Period:
        """Build the period from local midnight of ``first_day`` to local midnight of ``end_day``.

        Parameters
        ----------
        first_day : datetime.date or ISO date string
            First local day in the period.
        end_day : datetime.date or ISO date string
            First local day *after* the period (exclusive; add one day to an inclusive end date).
        tz : str or zoneinfo.ZoneInfo
            Site time zone.

        Returns
        -------
        Period
            ``[first_day 00:00, end_day 00:00)`` site-local.
        """
        zone = _zone(tz)
        first = _local_date_of(first_day, zone, name="first_day")
        end = _local_date_of(end_day, zone, name="end_day")
        return cls(_local_midnight(first, zone), _local_midnight(end, zone))

    @property
    def tz(self) -> dt.tzinfo:
        """Time zone of the bounds (the site zone for report and baseline periods)."""
        tz = self.start.tz
        assert tz is not None, "Period bounds are tz-aware (checked in __post_init__)"
        return tz

    @property
    def hours(self) -> float:
        """Real elapsed length [h]: 167, 168 or 169 for a site-local week."""
        return (self.end - self.start) / pd.Timedelta(hours=1)

    @property
    def label(self) -> str:
        """Short label: ``"2026-W47"`` for one local Monday-to-Monday week.

        Several whole weeks read ``"2026-W44..2026-W47"`` (both inclusive); any other period
        reads ``"<start ISO>..<end ISO>"`` with the end exclusive.
        """
        if self._is_whole_weeks():
            first = self.start.isocalendar()
            last = (self.end - pd.Timedelta(days=1)).isocalendar()
            first_label = f"{first[0]:04d}-W{first[1]:02d}"
            last_label = f"{last[0]:04d}-W{last[1]:02d}"
            return first_label if first_label == last_label else f"{first_label}..{last_label}"
        return f"{self.start.isoformat()}..{self.end.isoformat()}"

    def _is_whole_weeks(self) -> bool:
        start, end = self.start, self.end
        if start.weekday() != 0 or end.weekday() != 0:
            return False
        return start == _local_midnight(start.date(), self.tz) and end == _local_midnight(
            end.date(), self.tz
        )

    def contains(self, index: Any) -> np.ndarray:
        """Return ``start <= t < end`` for each timestamp.

        Parameters
        ----------
        index : array-like of tz-aware timestamps
            Any zone; compared as instants.

        Returns
        -------
        numpy.ndarray of bool
            One value per timestamp.

        Raises
        ------
        ValueError
            On naive timestamps.
        """
        idx = ensure_aware(index, name="timestamps", tz=self.tz)
        return np.asarray((idx >= self.start) & (idx < self.end), dtype=bool)

    def to_utc(self) -> Period:
        """Return the same period with UTC bounds (as stored in the database)."""
        return Period(self.start.tz_convert("UTC"), self.end.tz_convert("UTC"))

    def tz_convert(self, tz: TzLike) -> Period:
        """Return the same period with bounds shown in another zone."""
        zone = _zone(tz)
        return Period(self.start.tz_convert(zone), self.end.tz_convert(zone))

    def __str__(self) -> str:
        start = self.start.isoformat(sep=" ", timespec="minutes")
        end = self.end.isoformat(sep=" ", timespec="minutes")
        return f"{self.label} [{start}, {end})"


def _monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _week_from_monday(monday: dt.date, zone: dt.tzinfo) -> Period:
    return Period(
        _local_midnight(monday, zone), _local_midnight(monday + dt.timedelta(days=7), zone)
    )


def report_week(week: Any = "last", *, tz: TzLike, as_of: Any = None) -> Period:
    """Return the site-local Monday 00:00 to Monday 00:00 week to report on.

    Parameters
    ----------
    week : str, datetime.date, datetime.datetime or pandas.Timestamp
        ``"last"`` for the last complete week before ``as_of``; an ISO week such as
        ``"2026-W47"``; or any date in the week: a ``datetime.date``, an ISO date string
        (``"2026-11-18"``), or a tz-aware timestamp (converted to ``tz`` first). A naive
        timestamp is accepted only at midnight, i.e. as a plain date.
    tz : str or zoneinfo.ZoneInfo
        Site time zone; the week runs from local Monday midnight to the next.
    as_of : pandas.Timestamp, datetime or ISO string, optional
        Reference time (tz-aware) for ``"last"``; default now. A week that ends exactly at
        ``as_of`` counts as complete.

    Returns
    -------
    Period
        ``[Monday 00:00, next Monday 00:00)`` in ``tz``; 167 h or 169 h in DST weeks.

    Raises
    ------
    ValueError
        For an unrecognised label (the message lists the accepted forms), a nonexistent ISO week,
        a naive ``as_of`` or an unknown zone.

    Examples
    --------
    >>> report_week(tz="America/New_York", as_of="2026-11-25T10:00-05:00").label
    '2026-W47'
    >>> report_week("2026-11-01", tz="America/New_York").hours
    169.0
    """
    zone = _zone(tz)
    if isinstance(week, str):
        text = week.strip()
        if text.lower() == "last":
            ref = (
                pd.Timestamp.now(tz=zone)
                if as_of is None
                else ensure_aware(as_of, name="as_of", tz=tz).tz_convert(zone)
            )
            this_monday = _monday_of(ref.date())
            return _week_from_monday(this_monday - dt.timedelta(days=7), zone)
        match = _ISO_WEEK.match(text)
        if match:
            year, number = int(match.group(1)), int(match.group(2))
            try:
                monday = dt.date.fromisocalendar(year, number, 1)
            except ValueError as exc:
                raise UsageError(
                    f"week={week!r} does not exist: ISO year {year} has "
                    f"{dt.date(year, 12, 28).isocalendar()[1]} weeks; use {_ACCEPTED_WEEKS}"
                ) from exc
            return _week_from_monday(monday, zone)
        if not re.match(r"^\d{4}-\d{2}-\d{2}", text):
            raise UsageError(f"week={week!r} is not recognised; use {_ACCEPTED_WEEKS}")
    elif not isinstance(week, dt.date | pd.Timestamp | np.datetime64):
        raise UsageError(f"week={week!r} is not recognised; use {_ACCEPTED_WEEKS}")
    return _week_from_monday(_monday_of(_local_date_of(week, zone, name="week")), zone)


def week_period(week: Any, *, tz: TzLike) -> Period:
    """Return the site-local week of an ISO week label or any date in it.

    An alias of :func:`report_week` for a known week, handy with a ``week_start`` parameter.

    Parameters
    ----------
    week : str, datetime.date or pandas.Timestamp
        ``"2026-W47"`` or any date in the week (all forms of :func:`report_week`).
    tz : str or zoneinfo.ZoneInfo
        Site time zone.

    Returns
    -------
    Period
        ``[Monday 00:00, next Monday 00:00)`` in ``tz``.

    Raises
    ------
    ValueError
        For an unrecognised label.
    """
    return report_week(week, tz=tz)


def _shift_local_days(ts: pd.Timestamp, days: int) -> pd.Timestamp:
    """Move a timestamp by whole local calendar days, keeping its wall-clock time."""
    wall = ts.tz_localize(None) + pd.Timedelta(days=days)
    return wall.tz_localize(ts.tz, ambiguous=bool(ts.dst()), nonexistent="shift_forward")


def baseline_period(report: Period, *, weeks: int = 4) -> Period:
    """Return the ``weeks`` calendar weeks immediately before a report period.

    Parameters
    ----------
    report : Period
        The report period (normally from :func:`report_week`).
    weeks : int
        Number of baseline weeks (spec A1: 4, i.e. 28 local days).

    Returns
    -------
    Period
        ``[report.start - weeks local weeks, report.start)`` in the report's zone; its length in
        hours follows DST (e.g. 671 h for four weeks spanning spring-forward).

    Raises
    ------
    ValueError
        If ``weeks`` is not a positive integer.

    Examples
    --------
    >>> report = report_week("2026-W12", tz="America/New_York")
    >>> base = baseline_period(report)
    >>> base.label, base.hours
    ('2026-W08..2026-W11', 671.0)
    """
    if isinstance(weeks, bool) or not isinstance(weeks, int | np.integer) or weeks < 1:
        raise UsageError(f"weeks must be a positive integer (e.g. 4), got {weeks!r}")
    return Period(_shift_local_days(report.start, -7 * int(weeks)), report.start)


def _check_resolution(resolution_s: Any) -> int:
    if (
        isinstance(resolution_s, bool)
        or not isinstance(resolution_s, int | np.integer | float)
        or resolution_s <= 0
        or resolution_s != int(resolution_s)
        or 86400 % int(resolution_s) != 0
    ):
        raise UsageError(
            f"resolution_s must be a whole number of seconds that divides a day "
            f"(e.g. 900 or 3600), got {resolution_s!r}"
        )
    return int(resolution_s)


def expected_index(period: Period, *, resolution_s: int) -> pd.DatetimeIndex:
    """Return the interval starts a channel of this resolution should report in a period.

    Parameters
    ----------
    period : Period
        Half-open ``[start, end)``.
    resolution_s : int
        Interval length [s]; any divisor of a day (900 and 3600 in practice).

    Returns
    -------
    pandas.DatetimeIndex
        UTC interval starts (each labels ``[t, t + resolution)``) on the grid of UTC-epoch
        multiples of ``resolution_s``: the first is ``>= start``, all are ``< end``. Named
        ``timestamp``. Its length follows the real period length (668 at 15 min in a 167 h week).

    Raises
    ------
    ValueError
        If ``resolution_s`` does not divide a day.

    Examples
    --------
    >>> week = report_week("2026-W44", tz="America/New_York")
    >>> len(expected_index(week, resolution_s=900)), len(expected_index(week, resolution_s=3600))
    (676, 169)
    """
    res = _check_resolution(resolution_s)
    step = pd.Timedelta(seconds=res)
    start = period.start.tz_convert("UTC")
    first = start.ceil(step)  # the grid is aligned to UTC-epoch multiples of the step
    return pd.date_range(
        first, period.end.tz_convert("UTC"), freq=step, inclusive="left", name="timestamp"
    ).as_unit("ns")


# --------------------------------------------------------------------------------------------
# Business hours, holidays, hour of week, day type


def _to_time(value: Any, *, weekday: int) -> dt.time:
    if isinstance(value, dt.time):
        return value
    if isinstance(value, str):
        try:
            return dt.time.fromisoformat(value.strip())
        except ValueError:
            pass
    raise UsageError(
        f"opening hours for weekday {weekday} must be datetime.time or 'HH:MM' strings, "
        f"got {value!r}; e.g. (datetime.time(7), datetime.time(18)) or ('07:00', '18:00')"
    )


def _time_ns(value: dt.time) -> int:
    return (
        value.hour * 3600 + value.minute * 60 + value.second
    ) * _NS_PER_S + value.microsecond * 1000


def _opening_table(opening_hours: Any) -> tuple[np.ndarray, np.ndarray]:
    """Return per-weekday (open, close) in ns since local midnight; closed days give (0, 0)."""
    getter: Callable[[int], Any]
    if opening_hours is None:
        getter = DEFAULT_OPENING_HOURS.get
    elif callable(getattr(opening_hours, "for_weekday", None)):
        getter = opening_hours.for_weekday
    elif isinstance(opening_hours, Mapping):
        bad = [key for key in opening_hours if not (isinstance(key, int) and 0 <= key <= 6)]
        if bad:
            raise UsageError(
                f"opening_hours keys must be weekday integers 0 (Monday) to 6 (Sunday), got {bad!r}"
            )
        getter = opening_hours.get
    else:
        raise UsageError(
            "opening_hours must be None (Mon–Fri 07:00–18:00), an object with "
            "for_weekday(weekday) -> (open, close) | None such as config.OpeningHours, or a "
            f"mapping {{weekday: (open, close) | None}}; got {type(opening_hours).__name__}"
        )
    opens = np.zeros(7, dtype=np.int64)
    closes = np.zeros(7, dtype=np.int64)
    for weekday in range(7):  # seven weekdays, not readings
        hours = getter(weekday)
        if hours is None:
            continue
        try:
            open_raw, close_raw = hours
        except (TypeError, ValueError) as exc:
            raise UsageError(
                f"opening hours for weekday {weekday} must be an (open, close) pair or None, "
                f"got {hours!r}"
            ) from exc
        open_ns = _time_ns(_to_time(open_raw, weekday=weekday))
        close_ns = _time_ns(_to_time(close_raw, weekday=weekday))
        if close_ns == 0:
            close_ns = _NS_PER_DAY  # a close of 00:00 means midnight at the end of the day
        if close_ns <= open_ns:
            raise UsageError(
                f"opening hours for weekday {weekday} close ({close_raw}) before they open "
                f"({open_raw}); give hours within one day, with 00:00 as the closing midnight"
            )
        opens[weekday], closes[weekday] = open_ns, close_ns
    return opens, closes


def _holiday_days(holidays: Iterable[Any] | None) -> np.ndarray:
    """Holiday dates as int64 day numbers since 1970-01-01."""
    if holidays is None:
        return np.empty(0, dtype=np.int64)
    items = list(holidays)
    if not items:
        return np.empty(0, dtype=np.int64)
    bad = [item for item in items if isinstance(item, dt.datetime | pd.Timestamp)]
    bad = [item for item in bad if pd.Timestamp(item) != pd.Timestamp(item).normalize()]
    if bad:
        raise UsageError(
            f"holidays must be calendar dates (datetime.date or 'YYYY-MM-DD'), got times such "
            f"as {bad[0]!r}; pass .date() of each"
        )
    try:
        days = pd.DatetimeIndex([pd.Timestamp(item).date() for item in items])
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"holidays must be an iterable of dates (datetime.date or 'YYYY-MM-DD'): {exc}"
        ) from exc
    return days.as_unit("ns").asi8 // _NS_PER_DAY


def business_hours_mask(
    index: Any,
    *,
    tz: TzLike,
    opening_hours: OpeningHoursLike | Mapping[int, Any] | None = None,
    holidays: Iterable[Any] | None = None,
) -> np.ndarray:
    """Flag the timestamps that fall within site-local opening hours.

    The opening time counts and the closing time does not: with 07:00–18:00, 17:45 is business
    and 18:00 is after-hours. Timestamps are interval starts, so a flagged 15-minute reading
    covers ``[t, t + 15 min)`` inside opening hours.

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        ``DatetimeIndex``, ``Series`` or sequence; any zone (UTC from the database).
    tz : str or zoneinfo.ZoneInfo
        Site time zone; weekdays and clock times are read there.
    opening_hours : object with ``for_weekday``, mapping, or None
        ``None`` for Mon–Fri 07:00–18:00; an object with ``for_weekday(weekday) ->
        (open, close) | None`` (Monday = 0) such as ``config.OpeningHours``; or a mapping
        ``{weekday: (open, close) | None}`` where missing weekdays are closed. Times are
        ``datetime.time`` or ``"HH:MM"``; a close of 00:00 means the end of the day.
    holidays : iterable of datetime.date, optional
        Site-local dates that are closed all day (e.g. from :func:`holiday_dates`).

    Returns
    -------
    numpy.ndarray of bool
        True for business hours, one value per timestamp.

    Raises
    ------
    ValueError
        On naive timestamps, an unknown zone or malformed opening hours / holidays.

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2026-11-20 17:45", "2026-11-20 18:00", "2026-11-21 10:00"])
    >>> business_hours_mask(idx.tz_localize("America/New_York"), tz="America/New_York")
    array([ True, False, False])
    """
    opens, closes = _opening_table(opening_hours)
    day, weekday, since_midnight = _day_fields(index, tz)
    mask = (since_midnight >= opens[weekday]) & (since_midnight < closes[weekday])
    holiday_days = _holiday_days(holidays)
    if holiday_days.size:
        mask &= ~np.isin(day, holiday_days)
    return mask


def after_hours_mask(
    index: Any,
    *,
    tz: TzLike,
    opening_hours: OpeningHoursLike | Mapping[int, Any] | None = None,
    holidays: Iterable[Any] | None = None,
) -> np.ndarray:
    """Flag the timestamps outside site-local opening hours (holidays all day).

    The complement of :func:`business_hours_mask`; see it for the parameters.

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        Interval starts, any zone.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.
    opening_hours : object with ``for_weekday``, mapping, or None
        As for :func:`business_hours_mask`.
    holidays : iterable of datetime.date, optional
        Site-local dates closed all day.

    Returns
    -------
    numpy.ndarray of bool
        True for after-hours.

    Raises
    ------
    ValueError
        As for :func:`business_hours_mask`.
    """
    return ~business_hours_mask(index, tz=tz, opening_hours=opening_hours, holidays=holidays)


def holiday_dates(
    start_year: int, end_year: int, *, country: str, subdivision: str | None = None
) -> frozenset[dt.date]:
    """Return the public holidays of a country (and subdivision) from the ``holidays`` package.

    Observed days (e.g. Friday 2026-07-03 for Independence Day on a Saturday) are included.

    Parameters
    ----------
    start_year : int
        First calendar year.
    end_year : int
        Last calendar year (inclusive).
    country : str
        ISO 3166-1 alpha-2 code, e.g. ``"US"``.
    subdivision : str, optional
        State or province code, e.g. ``"DC"`` or ``"NY"``.

    Returns
    -------
    frozenset of datetime.date
        Holiday dates.

    Raises
    ------
    ValueError
        For an unknown country or subdivision, or ``end_year < start_year``.

    Examples
    --------
    >>> import datetime
    >>> datetime.date(2026, 11, 26) in holiday_dates(2026, 2026, country="US")
    True
    """
    import holidays as holidays_pkg

    if end_year < start_year:
        raise UsageError(
            f"end_year ({end_year}) is before start_year ({start_year}); both are inclusive"
        )
    try:
        calendar = holidays_pkg.country_holidays(
            country, subdiv=subdivision, years=range(int(start_year), int(end_year) + 1)
        )
    except NotImplementedError as exc:
        raise UsageError(
            f"no holiday calendar for country={country!r}, subdivision={subdivision!r} ({exc}); "
            "use an ISO 3166-1 alpha-2 code such as 'US' and a subdivision it lists in "
            "holidays.list_supported_countries()"
        ) from exc
    return frozenset(calendar.keys())


def period_holidays(
    period: Period, *, country: str, subdivision: str | None = None
) -> frozenset[dt.date]:
    """Return the holidays falling in a period (site-local dates).

    Parameters
    ----------
    period : Period
        Half-open period; its dates are read in the period's zone.
    country : str
        ISO 3166-1 alpha-2 code, e.g. ``"US"``.
    subdivision : str, optional
        State or province code.

    Returns
    -------
    frozenset of datetime.date
        Holidays on local dates ``start.date() <= d`` that begin before ``end``.

    Raises
    ------
    ValueError
        For an unknown country or subdivision.
    """
    last_instant = period.end - pd.Timedelta(1, unit="ns")
    first_day, last_day = period.start.date(), last_instant.date()
    every = holiday_dates(first_day.year, last_day.year, country=country, subdivision=subdivision)
    return frozenset(day for day in every if first_day <= day <= last_day)


def hour_of_week(index: Any, *, tz: TzLike) -> np.ndarray:
    """Return the site-local hour of week: Monday 00:xx = 0 … Sunday 23:xx = 167.

    In the spring-forward week local 02:xx never occurs (hour 146 on Sunday 2026-03-08 is
    skipped); in the fall-back week the repeated 01:xx hour maps to the same value twice.

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        Interval starts, any zone.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.

    Returns
    -------
    numpy.ndarray of int64
        Values 0 to 167.

    Raises
    ------
    ValueError
        On naive timestamps or an unknown zone.

    Examples
    --------
    >>> idx = pd.DatetimeIndex(["2026-11-16T05:00Z", "2026-11-23T04:59Z"])
    >>> hour_of_week(idx, tz="America/New_York")
    array([  0, 167])
    """
    _, weekday, since_midnight = _day_fields(index, tz)
    return weekday * 24 + since_midnight // _NS_PER_HOUR


def day_type(index: Any, *, tz: TzLike, holidays: Iterable[Any] | None = ()) -> np.ndarray:
    """Classify each timestamp's local day for baseline pooling.

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        Interval starts, any zone.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.
    holidays : iterable of datetime.date, optional
        Local dates treated like Sundays (a holiday on a Saturday is ``"sunday_holiday"``).

    Returns
    -------
    numpy.ndarray of str
        ``"weekday"`` (Mon–Fri), ``"saturday"`` or ``"sunday_holiday"`` (see ``DAY_TYPES``).

    Raises
    ------
    ValueError
        On naive timestamps, an unknown zone or malformed holidays.

    Examples
    --------
    >>> import datetime
    >>> idx = pd.date_range("2026-11-26", periods=4, freq="D", tz="America/New_York")
    >>> day_type(idx, tz="America/New_York", holidays=[datetime.date(2026, 11, 26)]).tolist()
    ['sunday_holiday', 'weekday', 'saturday', 'sunday_holiday']
    """
    day, weekday, _ = _day_fields(index, tz)
    codes = np.where(weekday < 5, 0, np.where(weekday == 5, 1, 2))
    holiday_days = _holiday_days(holidays)
    if holiday_days.size:
        codes = np.where(np.isin(day, holiday_days), 2, codes)
    return np.asarray(DAY_TYPES)[codes]


def local_date(index: Any, *, tz: TzLike) -> np.ndarray:
    """Return the site-local calendar date of each timestamp.

    Parameters
    ----------
    index : array-like of tz-aware timestamps
        Any zone.
    tz : str or zoneinfo.ZoneInfo
        Site time zone.

    Returns
    -------
    numpy.ndarray of datetime.date
        Object array, one date per timestamp (the glossary's ``date`` column).

    Raises
    ------
    ValueError
        On naive timestamps or an unknown zone.

    Examples
    --------
    >>> local_date(pd.DatetimeIndex(["2026-11-23T03:00Z"]), tz="America/New_York")
    array([datetime.date(2026, 11, 22)], dtype=object)
    """
    day = _wall_ns(index, tz) // _NS_PER_DAY
    unique_days, inverse = np.unique(day, return_inverse=True)
    epoch = dt.date(1970, 1, 1)
    names = np.empty(unique_days.size, dtype=object)
    names[:] = [epoch + dt.timedelta(days=int(d)) for d in unique_days]  # one per distinct day
    return names[inverse.reshape(-1)]
