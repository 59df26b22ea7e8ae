import datetime as dt

import numpy as np
import pandas as pd
import pytest

from argo_lib import dates

TZ = "America/New_York"
# Hours are whole numbers of intervals; a float comparison only has to absorb rounding.
HOURS_ATOL = 1e-9

WEEKS = [("2026-03-02", 167), ("2026-10-26", 169), ("2026-11-16", 168)]
WEEK_IDS = ["spring_forward", "fall_back", "ordinary"]


def local(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz=TZ)


def week_index(week_start: str, resolution_s: int = 900) -> pd.DatetimeIndex:
    return dates.expected_index(dates.report_week(week_start, tz=TZ), resolution_s=resolution_s)


# --- report weeks and periods ------------------------------------------------------------------


@pytest.mark.parametrize(("week_start", "hours"), WEEKS, ids=WEEK_IDS)
def test_week_period_length_follows_dst(week_start, hours):
    week = dates.week_period(week_start, tz=TZ)
    assert week.hours == pytest.approx(hours, abs=HOURS_ATOL)
    assert week.start == local(week_start)
    assert week.end == local(week_start) + pd.DateOffset(weeks=1)


@pytest.mark.parametrize(("week_start", "hours"), WEEKS, ids=WEEK_IDS)
@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_expected_index_length_follows_real_hours(week_start, hours, resolution_s):
    index = week_index(week_start, resolution_s)
    assert len(index) == hours * 3600 // resolution_s
    assert str(index.tz) == "UTC"
    assert index.name == "timestamp"
    assert index[0] == local(week_start)
    assert index[-1] == local(week_start) + pd.DateOffset(weeks=1) - pd.Timedelta(
        seconds=resolution_s
    )
    assert (np.diff(index.asi8) == resolution_s * 10**9).all()


@pytest.mark.parametrize(
    ("week", "monday"),
    [
        ("2026-W47", "2026-11-16"),
        ("2026w47", "2026-11-16"),
        (" 2026-W47 ", "2026-11-16"),
        (dt.date(2026, 11, 16), "2026-11-16"),
        (dt.date(2026, 11, 22), "2026-11-16"),
        ("2026-11-18", "2026-11-16"),
        (pd.Timestamp("2026-11-22"), "2026-11-16"),
        (pd.Timestamp("2026-11-23T03:00Z"), "2026-11-16"),  # Sunday 22:00 local
        (dt.datetime(2026, 11, 16, tzinfo=dt.UTC), "2026-11-09"),  # Sunday 19:00 local
        ("2026-11-16T00:00-05:00", "2026-11-16"),
        ("2026-W01", "2025-12-29"),
        ("2026-W53", "2026-12-28"),
    ],
    ids=[
        "iso_week",
        "iso_week_lower",
        "padded",
        "monday_date",
        "sunday_date",
        "iso_date_string",
        "naive_midnight",
        "aware_utc_monday_is_local_sunday",
        "aware_utc_midnight_is_local_sunday",
        "aware_string",
        "week_1_starts_in_december",
        "week_53",
    ],
)
def test_report_week_accepts_every_label_form(week, monday):
    period = dates.report_week(week, tz=TZ)
    assert period.start == local(monday)
    assert period.end == local(monday) + pd.DateOffset(weeks=1)
    assert period.tz.key == TZ


@pytest.mark.parametrize(
    ("as_of", "expected_label"),
    [
        ("2026-11-25T10:00-05:00", "2026-W47"),
        ("2026-11-23T00:00-05:00", "2026-W47"),  # a week ending exactly at as_of is complete
        ("2026-11-22T23:59-05:00", "2026-W46"),
        ("2026-11-23T03:00Z", "2026-W46"),  # Sunday evening locally, Monday in UTC (spec B1)
        ("2026-03-09T12:00-04:00", "2026-W10"),
        ("2026-11-02T08:00-05:00", "2026-W44"),
    ],
    ids=["midweek", "exactly_monday", "sunday_night", "utc_monday", "after_spring", "after_fall"],
)
def test_report_week_last_is_last_complete_local_week(as_of, expected_label):
    period = dates.report_week("last", tz=TZ, as_of=as_of)
    assert period.label == expected_label
    assert period.end <= pd.Timestamp(as_of)
    assert period.end + pd.DateOffset(weeks=1) > pd.Timestamp(as_of)


def test_report_week_last_defaults_to_now():
    now = pd.Timestamp.now(tz=TZ)
    period = dates.report_week(tz=TZ)
    assert period.end <= now
    assert now - period.end < pd.Timedelta(days=7, hours=1)
    assert period.start.weekday() == 0


@pytest.mark.parametrize(
    ("week", "fragment"),
    [
        ("foo", "is not recognised"),
        ("2025-W53", "does not exist"),
        ("2026-W54", "does not exist"),
        ("2026-13-01", "is not recognised"),
        ("2026-11-18T09:00", "timezone-naive"),
        (pd.Timestamp("2026-11-18 09:00"), "timezone-naive"),
        (3, "is not recognised"),
        (None, "is not recognised"),
    ],
    ids=["word", "no_week_53", "week_54", "bad_month", "naive_string", "naive_ts", "int", "none"],
)
def test_report_week_rejects_bad_labels_listing_accepted_forms(week, fragment):
    with pytest.raises(ValueError, match=fragment) as info:
        dates.report_week(week, tz=TZ)
    message = str(info.value)
    if "timezone-naive" in message:
        assert ".tz_localize('America/New_York')" in message
    else:
        assert "'last'" in message
        assert "'2026-W47'" in message
        assert "'2026-11-18'" in message


def test_report_week_rejects_naive_as_of_and_bad_zone():
    with pytest.raises(ValueError, match=r"as_of is timezone-naive; localize it with"):
        dates.report_week(tz=TZ, as_of=pd.Timestamp("2026-11-25 10:00"))
    with pytest.raises(ValueError, match="not a known IANA time zone"):
        dates.report_week("2026-W47", tz="Mars/Olympus")
    with pytest.raises(ValueError, match="IANA time zone name"):
        dates.report_week("2026-W47", tz=None)


@pytest.mark.parametrize(
    ("week", "weeks", "start", "hours"),
    [
        ("2026-W47", 4, "2026-10-19", 28 * 24 + 1),  # spans the fall-back Sunday
        ("2026-W12", 4, "2026-02-16", 28 * 24 - 1),  # spans spring-forward
        ("2026-W47", 1, "2026-11-09", 168),
        ("2026-W11", 1, "2026-03-02", 167),
    ],
    ids=["four_weeks_fall", "four_weeks_spring", "one_week", "one_dst_week"],
)
def test_baseline_period_is_calendar_weeks_before(week, weeks, start, hours):
    report = dates.report_week(week, tz=TZ)
    baseline = dates.baseline_period(report, weeks=weeks)
    assert baseline.start == local(start)
    assert baseline.end == report.start
    assert baseline.hours == pytest.approx(hours, abs=HOURS_ATOL)


@pytest.mark.parametrize(
    "weeks", [0, -1, 1.5, True, "4"], ids=["zero", "neg", "float", "bool", "s"]
)
def test_baseline_period_rejects_bad_weeks(weeks):
    with pytest.raises(ValueError, match="positive integer"):
        dates.baseline_period(dates.report_week("2026-W47", tz=TZ), weeks=weeks)


def test_period_is_half_open_and_converts():
    period = dates.Period(local("2026-11-16"), local("2026-11-23"))
    index = pd.DatetimeIndex(
        ["2026-11-16T04:59Z", "2026-11-16T05:00Z", "2026-11-23T04:59Z", "2026-11-23T05:00Z"]
    )
    assert period.contains(index).tolist() == [False, True, True, False]
    utc = period.to_utc()
    assert str(utc.tz) == "UTC"
    assert utc.start == period.start
    assert utc.end == period.end
    assert utc.label == "2026-11-16T05:00:00+00:00..2026-11-23T05:00:00+00:00"
    assert utc.tz_convert(TZ) == period
    assert period.label == "2026-W47"
    assert str(period) == "2026-W47 [2026-11-16 00:00-05:00, 2026-11-23 00:00-05:00)"


def test_period_label_for_several_weeks_and_from_dates():
    period = dates.Period.from_dates("2026-10-19", dt.date(2026, 11, 16), tz=TZ)
    assert period.label == "2026-W43..2026-W46"
    assert period.hours == pytest.approx(673, abs=HOURS_ATOL)
    days = dates.Period.from_dates("2026-11-16", "2026-11-18", tz=TZ)
    assert days.label == "2026-11-16T00:00:00-05:00..2026-11-18T00:00:00-05:00"


@pytest.mark.parametrize(
    ("start", "end", "fragment"),
    [
        (pd.Timestamp("2026-11-16"), local("2026-11-23"), "Period.start is timezone-naive"),
        (local("2026-11-16"), pd.Timestamp("2026-11-23"), "Period.end is timezone-naive"),
        (local("2026-11-23"), local("2026-11-16"), "must be after start"),
        (local("2026-11-16"), local("2026-11-16"), "must be after start"),
    ],
    ids=["naive_start", "naive_end", "reversed", "empty"],
)
def test_period_rejects_naive_or_reversed_bounds(start, end, fragment):
    with pytest.raises(ValueError, match=fragment):
        dates.Period(start, end)


# --- tz-aware input -------------------------------------------------------------------------


def test_ensure_aware_messages_say_how_to_fix():
    naive = pd.DatetimeIndex(["2026-11-16 09:00"])
    with pytest.raises(ValueError) as info:
        dates.ensure_aware(naive, name="timestamps")
    assert str(info.value).startswith(
        "timestamps are timezone-naive; localize them with .tz_localize('America/New_York')"
    )
    with pytest.raises(
        ValueError, match=r"readings.timestamp .*\.dt\.tz_localize\('Europe/Oslo'\)"
    ):
        dates.ensure_aware(pd.Series(naive), name="readings.timestamp", tz="Europe/Oslo")
    with pytest.raises(ValueError, match="is a date, not a timestamp"):
        dates.ensure_aware(dt.date(2026, 11, 16))


def test_ensure_aware_returns_pandas_objects():
    aware = dates.ensure_aware(pd.Series(pd.date_range("2026-01-01", periods=3, tz="UTC")))
    assert isinstance(aware, pd.DatetimeIndex)
    assert len(aware) == 3
    scalar = dates.ensure_aware(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert scalar == pd.Timestamp("2026-01-01T00:00Z")
    empty = dates.ensure_aware([])
    assert len(empty) == 0
    assert str(empty.tz) == "UTC"


NAIVE_CALLS = {
    "business_hours_mask": lambda idx: dates.business_hours_mask(idx, tz=TZ),
    "after_hours_mask": lambda idx: dates.after_hours_mask(idx, tz=TZ),
    "hour_of_week": lambda idx: dates.hour_of_week(idx, tz=TZ),
    "day_type": lambda idx: dates.day_type(idx, tz=TZ),
    "local_date": lambda idx: dates.local_date(idx, tz=TZ),
    "contains": lambda idx: dates.report_week("2026-W47", tz=TZ).contains(idx),
}


@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_calendar_functions_reject_naive_index(call):
    naive = pd.date_range("2026-11-16", periods=4, freq="h")
    with pytest.raises(ValueError) as info:
        call(naive)
    assert str(info.value).startswith(
        "timestamps are timezone-naive; localize them with .tz_localize('America/New_York')"
    )


@pytest.mark.parametrize("call", NAIVE_CALLS.values(), ids=NAIVE_CALLS.keys())
def test_calendar_functions_accept_empty_index(call):
    result = call(pd.DatetimeIndex([], tz="UTC"))
    assert isinstance(result, np.ndarray)
    assert result.shape == (0,)


# --- business hours and holidays ----------------------------------------------------------


@pytest.mark.parametrize(
    ("week_start", "after_hours"),
    [("2026-03-02", 112), ("2026-10-26", 114), ("2026-11-16", 113)],
    ids=WEEK_IDS,
)
@pytest.mark.parametrize("resolution_s", [900, 3600], ids=["15min", "hourly"])
def test_business_hours_are_55_per_week_even_in_dst_weeks(week_start, after_hours, resolution_s):
    index = week_index(week_start, resolution_s)
    per_hour = 3600 // resolution_s
    business = dates.business_hours_mask(index, tz=TZ)
    assert business.dtype == bool
    assert business.sum() == 55 * per_hour
    assert dates.after_hours_mask(index, tz=TZ).sum() == after_hours * per_hour


@pytest.mark.parametrize(
    ("local_time", "expected"),
    [
        ("2026-11-20 06:45", False),
        ("2026-11-20 07:00", True),
        ("2026-11-20 12:00", True),
        ("2026-11-20 17:45", True),
        ("2026-11-20 18:00", False),
        ("2026-11-20 23:59", False),
        ("2026-11-21 10:00", False),
        ("2026-11-22 10:00", False),
        ("2026-03-09 07:00", True),
    ],
    ids=["0645", "0700", "noon", "1745", "1800", "late", "saturday", "sunday", "monday_after_dst"],
)
def test_business_hours_start_counts_end_does_not(local_time, expected):
    stamp = pd.DatetimeIndex([local(local_time)]).tz_convert("UTC")
    assert dates.business_hours_mask(stamp, tz=TZ).tolist() == [expected]
    assert dates.after_hours_mask(stamp, tz=TZ).tolist() == [not expected]


def test_business_hours_are_evaluated_in_local_time_not_utc():
    # Friday 12:30 UTC is 07:30 EST (business) and 21:30 JST (after-hours); Friday 23:30 UTC is
    # 18:30 EST and Saturday 08:30 JST; Friday 02:00 UTC is Thursday 21:00 EST and 11:00 JST.
    index = pd.DatetimeIndex(["2026-11-20T12:30Z", "2026-11-20T23:30Z", "2026-11-20T02:00Z"])
    assert dates.business_hours_mask(index, tz=TZ).tolist() == [True, False, False]
    assert dates.business_hours_mask(index, tz="UTC").tolist() == [True, False, False]
    assert dates.business_hours_mask(index, tz="Asia/Tokyo").tolist() == [False, False, True]


def test_thanksgiving_thursday_is_all_after_hours():
    week = dates.report_week("2026-W48", tz=TZ)
    index = dates.expected_index(week, resolution_s=900)
    us = dates.holiday_dates(2026, 2026, country="US")
    business = dates.business_hours_mask(index, tz=TZ, holidays=us)
    assert business.sum() / 4 == pytest.approx(44, abs=HOURS_ATOL)
    thursday = dates.local_date(index, tz=TZ) == dt.date(2026, 11, 26)
    assert thursday.sum() == 96
    assert not business[thursday].any()
    assert dates.after_hours_mask(index, tz=TZ, holidays=us)[thursday].all()
    assert dates.business_hours_mask(index, tz=TZ).sum() / 4 == pytest.approx(55, abs=HOURS_ATOL)


@pytest.mark.parametrize(
    "holidays",
    [
        [dt.date(2026, 11, 26)],
        ["2026-11-26"],
        {pd.Timestamp("2026-11-26")},
        (d for d in [dt.date(2026, 11, 26)]),
    ],
    ids=["dates", "strings", "timestamps", "generator"],
)
def test_holidays_accept_any_iterable_of_dates(holidays):
    index = dates.expected_index(dates.report_week("2026-W48", tz=TZ), resolution_s=3600)
    assert dates.business_hours_mask(index, tz=TZ, holidays=holidays).sum() == 44


def test_holidays_reject_times_of_day():
    index = week_index("2026-11-23", 3600)
    with pytest.raises(ValueError, match="must be calendar dates"):
        dates.business_hours_mask(index, tz=TZ, holidays=[pd.Timestamp("2026-11-26 12:00")])


def test_holiday_dates_from_holidays_package():
    us = dates.holiday_dates(2026, 2027, country="US")
    assert isinstance(us, frozenset)
    assert dt.date(2026, 11, 26) in us
    assert dt.date(2026, 7, 3) in us  # observed Independence Day (the 4th is a Saturday)
    assert dt.date(2027, 11, 25) in us
    assert dt.date(2026, 11, 27) not in us
    dc = dates.holiday_dates(2026, 2026, country="US", subdivision="DC")
    assert dt.date(2026, 4, 16) in dc  # DC Emancipation Day
    assert dt.date(2026, 4, 16) not in us
    week = dates.report_week("2026-W48", tz=TZ)
    assert dates.period_holidays(week, country="US") == {dt.date(2026, 11, 26)}


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"country": "XX"}, "no holiday calendar for country='XX'"),
        ({"country": "US", "subdivision": "ZZ"}, "subdivision='ZZ'"),
    ],
    ids=["country", "subdivision"],
)
def test_holiday_dates_rejects_unknown_calendars(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        dates.holiday_dates(2026, 2026, **kwargs)
    with pytest.raises(ValueError, match="before start_year"):
        dates.holiday_dates(2027, 2026, country="US")


class Schedule:
    """Stands in for config.OpeningHours: a for_weekday method."""

    def __init__(self, days):
        self.days = days

    def for_weekday(self, weekday):
        return self.days[weekday]


SATURDAY_MORNINGS = {
    **{day: (dt.time(7), dt.time(18)) for day in range(5)},
    5: (dt.time(8), dt.time(12, 30)),
}


@pytest.mark.parametrize(
    "opening_hours",
    [
        SATURDAY_MORNINGS,
        Schedule([SATURDAY_MORNINGS.get(day) for day in range(7)]),
        {day: (f"{a:%H:%M}", f"{b:%H:%M}") for day, (a, b) in SATURDAY_MORNINGS.items()},
    ],
    ids=["mapping", "for_weekday", "strings"],
)
def test_opening_hours_per_weekday(opening_hours):
    index = week_index("2026-11-16", 900)
    business = dates.business_hours_mask(index, tz=TZ, opening_hours=opening_hours)
    assert business.sum() / 4 == pytest.approx(55 + 4.5, abs=HOURS_ATOL)
    saturday = pd.DatetimeIndex([local("2026-11-21 12:15"), local("2026-11-21 12:30")])
    assert dates.business_hours_mask(saturday, tz=TZ, opening_hours=opening_hours).tolist() == [
        True,
        False,
    ]


def test_opening_hours_midnight_close_and_always_open():
    index = week_index("2026-03-02", 900)  # spring-forward week: 167 h
    always = {day: (dt.time(0), dt.time(0)) for day in range(7)}
    assert dates.business_hours_mask(index, tz=TZ, opening_hours=always).all()
    closed = {}
    assert not dates.business_hours_mask(index, tz=TZ, opening_hours=closed).any()


@pytest.mark.parametrize(
    ("opening_hours", "fragment"),
    [
        ({7: (dt.time(7), dt.time(18))}, "keys must be weekday integers"),
        ({"mon": (dt.time(7), dt.time(18))}, "keys must be weekday integers"),
        ({0: (dt.time(18), dt.time(7))}, "close .* before they open"),
        ({0: (dt.time(7),)}, r"\(open, close\) pair"),
        ({0: ("7am", "6pm")}, "datetime.time or 'HH:MM'"),
        ([(dt.time(7), dt.time(18))], "must be None"),
    ],
    ids=["weekday_7", "name_key", "overnight", "single_time", "bad_string", "list"],
)
def test_opening_hours_are_validated(opening_hours, fragment):
    index = week_index("2026-11-16", 3600)
    with pytest.raises(ValueError, match=fragment):
        dates.business_hours_mask(index, tz=TZ, opening_hours=opening_hours)


# --- hour of week, day type, local date -----------------------------------------------------


@pytest.mark.parametrize(
    ("utc", "expected"),
    [
        ("2026-11-16T05:00Z", 0),  # Monday 00:00 EST
        ("2026-11-16T04:59Z", 167),  # Sunday 23:59 EST
        ("2026-11-20T22:45Z", 4 * 24 + 17),  # Friday 17:45
        ("2026-03-08T06:59Z", 6 * 24 + 1),  # Sunday 01:59 EST, just before spring-forward
        ("2026-03-08T07:00Z", 6 * 24 + 3),  # 03:00 EDT: local 02:xx does not exist
        ("2026-03-09T04:00Z", 0),  # Monday 00:00 EDT
        ("2026-11-01T05:30Z", 6 * 24 + 1),  # 01:30 EDT, first time
        ("2026-11-01T06:30Z", 6 * 24 + 1),  # 01:30 EST, second time
        ("2026-11-01T07:00Z", 6 * 24 + 2),  # 02:00 EST
        ("2026-11-02T05:00Z", 0),  # Monday 00:00 EST
    ],
    ids=[
        "monday_0",
        "sunday_167",
        "friday_1745",
        "before_spring",
        "after_spring",
        "monday_after_spring",
        "fall_first_0130",
        "fall_second_0130",
        "fall_0200",
        "monday_after_fall",
    ],
)
def test_hour_of_week_is_local_across_dst(utc, expected):
    assert dates.hour_of_week(pd.DatetimeIndex([utc]), tz=TZ).tolist() == [expected]


@pytest.mark.parametrize(("week_start", "hours"), WEEKS, ids=WEEK_IDS)
def test_hour_of_week_counts_per_dst_week(week_start, hours):
    how = dates.hour_of_week(week_index(week_start, 3600), tz=TZ)
    counts = np.bincount(how, minlength=168)
    assert counts.sum() == hours
    sunday_2am = 6 * 24 + 1 if week_start == "2026-10-26" else 6 * 24 + 2
    expected = np.ones(168, dtype=int)
    expected[sunday_2am] += hours - 168  # spring: 02:xx missing; fall: 01:xx twice
    assert counts.tolist() == expected.tolist()


def test_hour_of_week_matches_pandas_reference_over_a_year():
    index = pd.date_range("2026-01-01", "2027-01-01", freq="37min", tz="UTC", inclusive="left")
    local_index = index.tz_convert(TZ)
    reference = local_index.day_of_week * 24 + local_index.hour
    np.testing.assert_array_equal(dates.hour_of_week(index, tz=TZ), reference)
    np.testing.assert_array_equal(
        dates.local_date(index, tz=TZ), np.asarray(local_index.date, dtype=object)
    )


def test_day_type_pools_weekdays_saturdays_sundays_and_holidays():
    index = pd.date_range("2026-11-23 12:00", periods=7, freq="D", tz=TZ)
    types = dates.day_type(index, tz=TZ, holidays=[dt.date(2026, 11, 26)])
    assert types.tolist() == [
        "weekday",
        "weekday",
        "weekday",
        "sunday_holiday",
        "weekday",
        "saturday",
        "sunday_holiday",
    ]
    assert set(dates.day_type(index, tz=TZ).tolist()) == set(dates.DAY_TYPES)
    saturday_holiday = dates.day_type(index[5:6], tz=TZ, holidays=["2026-11-28"])
    assert saturday_holiday.tolist() == ["sunday_holiday"]


def test_local_date_uses_site_zone():
    index = pd.DatetimeIndex(["2026-11-23T03:00Z", "2026-11-23T05:00Z", "2026-11-23T03:00Z"])
    assert dates.local_date(index, tz=TZ).tolist() == [
        dt.date(2026, 11, 22),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 22),
    ]


def test_series_input_is_accepted():
    series = pd.Series(pd.date_range("2026-11-20 17:00", periods=4, freq="15min", tz=TZ))
    assert dates.business_hours_mask(series, tz=TZ).tolist() == [True, True, True, True]
    assert dates.hour_of_week(series.dt.tz_convert("UTC"), tz=TZ).tolist() == [113] * 4


# --- expected grid ----------------------------------------------------------------------------


def test_expected_index_is_aligned_to_utc_grid():
    period = dates.Period(pd.Timestamp("2026-11-16T00:07Z"), pd.Timestamp("2026-11-16T01:00Z"))
    index = dates.expected_index(period, resolution_s=900)
    assert index.strftime("%H:%M").tolist() == ["00:15", "00:30", "00:45"]
    kolkata = dates.Period.from_dates("2026-11-16", "2026-11-17", tz="Asia/Kolkata")
    hourly = dates.expected_index(kolkata, resolution_s=3600)
    assert len(hourly) == 24
    assert hourly[0] == pd.Timestamp("2026-11-15T19:00Z")  # 00:30 local: first >= 00:00 local
    assert (hourly.tz_convert("Asia/Kolkata").minute == 30).all()


@pytest.mark.parametrize("resolution_s", [300, 1800, 7200, 86400], ids=str)
def test_expected_index_any_divisor_of_a_day(resolution_s):
    period = dates.report_week("2026-W47", tz=TZ)
    assert len(dates.expected_index(period, resolution_s=resolution_s)) == 168 * 3600 // (
        resolution_s
    )


@pytest.mark.parametrize("resolution_s", [0, -900, 7, 900.5, True], ids=str)
def test_expected_index_rejects_bad_resolution(resolution_s):
    with pytest.raises(ValueError, match="divides a day"):
        dates.expected_index(dates.report_week("2026-W47", tz=TZ), resolution_s=resolution_s)
