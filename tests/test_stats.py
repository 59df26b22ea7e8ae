import math

import numpy as np
import pandas as pd
import pytest

from argo_lib import dates, stats

TZ = "America/New_York"
# The spec's worked examples are exact in binary floating point up to a few ulps.
EXACT_ATOL = 1e-12
# MAD scaling multiplies by 1.4826, so allow a few ulps of relative error.
SCALE_RTOL = 1e-12

EMPTY_INPUTS = [[], [np.nan, np.nan], pd.Series([], dtype="Float64"), pd.array([pd.NA], "Float64")]
EMPTY_IDS = ["empty", "all_nan", "empty_series", "all_na_nullable"]


def utc(*texts: str) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(list(texts), tz="UTC")


# --- percentiles --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        (range(1, 11), 25, 3.25),
        (range(1, 11), 75, 7.75),
        (range(1, 101), 95, 95.05),
        (range(1, 6), 50, 3.0),
        ([7.0], 95, 7.0),
        ([1, np.nan, 3], 50, 2.0),
        (pd.Series([1, None, 3], dtype="Float64"), 50, 2.0),
        ([1, 2], 0, 1.0),
        ([1, 2], 100, 2.0),
    ],
    ids=["p25", "p75", "p95", "p50", "single", "nan_ignored", "nullable", "q0", "q100"],
)
def test_percentile_linear_interpolation(values, q, expected):
    result = stats.percentile(values, q)
    assert isinstance(result, float)
    assert result == pytest.approx(expected, abs=EXACT_ATOL)


def test_percentile_vector_q_matches_excel_percentile_inc():
    result = stats.percentile(np.arange(1, 11), [25, 50, 75])
    np.testing.assert_allclose(result, [3.25, 5.5, 7.75], atol=EXACT_ATOL)


@pytest.mark.parametrize("values", EMPTY_INPUTS, ids=EMPTY_IDS)
def test_percentile_of_nothing_is_nan(values):
    assert math.isnan(stats.percentile(values, 50))
    assert np.isnan(stats.percentile(values, [5, 95])).all()
    assert math.isnan(stats.nonzero_percentile(values, 50))


@pytest.mark.parametrize("q", [-1, 101, np.nan, [50, 150]], ids=["neg", "above", "nan", "vector"])
def test_percentile_rejects_q_outside_0_100(q):
    with pytest.raises(ValueError, match="between 0 and 100"):
        stats.percentile([1, 2, 3], q)


@pytest.mark.parametrize(
    ("values", "q", "kwargs", "expected"),
    [
        ([0, 0, 0, 5, 10, 15], 50, {}, 10.0),
        ([0, 0, 0, 10, 20, 30, 40, 50], 5, {}, 12.0),
        ([-3, 0, 4], 50, {}, 4.0),
        ([0.05, 0.1, 0.2, 0.4], 0, {"above": 0.1}, 0.2),
        ([0.0, np.nan, 2.0], 50, {}, 2.0),
    ],
    ids=["spec_p50", "spec_p5", "negatives_excluded", "above_threshold", "nan_ignored"],
)
def test_nonzero_percentile(values, q, kwargs, expected):
    assert stats.nonzero_percentile(values, q, **kwargs) == pytest.approx(expected, abs=EXACT_ATOL)


def test_nonzero_percentile_of_all_zeros_is_nan():
    assert math.isnan(stats.nonzero_percentile([0, 0, 0], 5))


# --- spread and outliers ----------------------------------------------------------------------


def test_population_std_spec_example():
    assert stats.population_std([2, 4, 4, 4, 5, 5, 7, 9]) == pytest.approx(2.0, abs=EXACT_ATOL)
    assert stats.population_std([2, 4, np.nan, 4, 4, 5, 5, 7, 9]) == pytest.approx(
        2.0, abs=EXACT_ATOL
    )
    assert stats.population_std([3.5]) == 0.0


def test_iqr_and_tukey_fences_spec_example():
    values = [1, 2, 3, 4, 5, 100]
    assert stats.iqr(values) == pytest.approx(2.5, abs=EXACT_ATOL)
    low, high = stats.tukey_fences(values, k=1.5)
    assert low == pytest.approx(-1.5, abs=EXACT_ATOL)
    assert high == pytest.approx(8.5, abs=EXACT_ATOL)
    assert stats.tukey_outliers(values, k=1.5).tolist() == [False] * 5 + [True]
    assert stats.iqr(range(1, 11)) == pytest.approx(4.5, abs=EXACT_ATOL)


def test_tukey_outliers_are_strictly_outside():
    # k = 0 puts the fences on Q1 = 2 and Q3 = 4: values on a fence are not outliers
    assert stats.tukey_outliers([1, 2, 3, 4, 5], k=0).tolist() == [True, False, False, False, True]
    flags = stats.tukey_outliers([1, 2, np.nan, 3, 4, 5, 100])
    assert flags.tolist() == [False, False, False, False, False, False, True]
    with pytest.raises(ValueError, match="non-negative"):
        stats.tukey_fences([1, 2, 3], k=-1)


@pytest.mark.parametrize("values", EMPTY_INPUTS, ids=EMPTY_IDS)
def test_spread_of_nothing_is_nan(values):
    assert math.isnan(stats.population_std(values))
    assert math.isnan(stats.iqr(values))
    assert all(math.isnan(fence) for fence in stats.tukey_fences(values))
    assert not stats.tukey_outliers(values).any()
    assert all(math.isnan(part) for part in stats.median_mad(values))


def test_zscore_population_and_zero_std():
    np.testing.assert_allclose(
        stats.zscore([2, 4, 4, 4, 5, 5, 7, 9]),
        [-1.5, -0.5, -0.5, -0.5, 0.0, 0.0, 1.0, 2.0],
        atol=EXACT_ATOL,
    )
    assert stats.zscore([5, 5, 5]).tolist() == [0.0, 0.0, 0.0]
    assert stats.zscore([4.2]).tolist() == [0.0]
    with_nan = stats.zscore([1, np.nan, 3])
    assert with_nan[0] == pytest.approx(-1.0, abs=EXACT_ATOL)
    assert np.isnan(with_nan[1])
    assert with_nan[2] == pytest.approx(1.0, abs=EXACT_ATOL)


@pytest.mark.parametrize(("values", "size"), [([], 0), ([np.nan, np.nan], 2)], ids=EMPTY_IDS[:2])
def test_zscore_of_nothing(values, size):
    for function in (stats.zscore, stats.robust_zscore):
        result = function(values)
        assert result.shape == (size,)
        assert np.isnan(result).all()


def test_median_mad_scaled_and_raw():
    values = [1, 2, 3, 4, 100]
    raw = stats.median_mad(values, scale=1.0)
    assert raw == (3.0, 1.0)
    scaled = stats.median_mad(values)
    assert scaled.median == 3.0
    assert scaled.mad == pytest.approx(stats.MAD_SCALE, rel=SCALE_RTOL)
    assert stats.median_mad([2.5]) == (2.5, 0.0)
    np.testing.assert_allclose(
        stats.robust_zscore(values, scale=1.0), [-2, -1, 0, 1, 97], atol=EXACT_ATOL
    )
    assert stats.robust_zscore([1, 1, 1, 9]).tolist() == [0.0, 0.0, 0.0, 0.0]


def test_robust_scale_matches_std_for_normal_data():
    # the 1.4826 factor makes the MAD estimate sigma; a large seeded sample lands within 2 %
    sample = np.random.default_rng(7).normal(10.0, 3.0, size=200_000)
    assert stats.median_mad(sample).mad == pytest.approx(3.0, rel=0.02)


@pytest.mark.parametrize(
    ("actual", "expected", "pct"),
    [(84, 168, 50.0), (672, 672, 100.0), (0, 0, 0.0), (5, 0, 0.0), (0, 96, 0.0)],
    ids=["half", "full", "nothing_expected", "unexpected_readings", "silent"],
)
def test_completeness_pct(actual, expected, pct):
    result = stats.completeness_pct(actual, expected)
    assert isinstance(result, float)
    assert result == pytest.approx(pct, abs=EXACT_ATOL)


def test_completeness_pct_vectorised():
    result = stats.completeness_pct(np.array([0, 48, 96]), np.array([0, 96, 96]))
    np.testing.assert_allclose(result, [0.0, 50.0, 100.0], atol=EXACT_ATOL)


# --- runs ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mask", "starts", "stops"),
    [
        ([True, True, False, True], [0, 3], [2, 4]),
        ([False, False], [], []),
        ([True, True, True], [0], [3]),
        ([], [], []),
        ([False, True, False, True, True, False], [1, 3], [2, 5]),
        (pd.array([True, pd.NA, True], dtype="boolean"), [0, 2], [1, 3]),
        (np.array([1, 0, 1, 1]), [0, 2], [1, 4]),
    ],
    ids=["basic", "none", "all", "empty", "inner", "nullable_na", "ints"],
)
def test_run_lengths(mask, starts, stops):
    runs = stats.run_lengths(mask)
    assert list(runs.columns) == ["start", "stop", "length"]
    assert runs["start"].tolist() == starts
    assert runs["stop"].tolist() == stops
    assert runs["length"].tolist() == [b - a for a, b in zip(starts, stops, strict=True)]
    assert all(dtype == np.int64 for dtype in runs.dtypes)


def test_run_lengths_breaks_at_time_gaps():
    times = utc("2026-11-16 00:00", "2026-11-16 00:15", "2026-11-16 01:00", "2026-11-16 01:15")
    runs = stats.run_lengths([True] * 4, timestamps=times, resolution_s=900)
    assert runs[["start", "stop", "length"]].to_numpy().tolist() == [[0, 2, 2], [2, 4, 2]]
    assert runs["start_time"].tolist() == [times[0], times[2]]
    assert runs["end_time"].tolist() == [
        pd.Timestamp("2026-11-16 00:30", tz="UTC"),
        pd.Timestamp("2026-11-16 01:30", tz="UTC"),
    ]
    np.testing.assert_allclose(runs["duration_h"], [0.5, 0.5], atol=EXACT_ATOL)
    # 1.1 x resolution is still consecutive (jitter); more than that is a gap
    jitter = utc("2026-11-16 00:00", "2026-11-16 00:16:30")
    assert len(stats.run_lengths([True, True], timestamps=jitter, resolution_s=900)) == 1
    late = utc("2026-11-16 00:00", "2026-11-16 00:16:31")
    assert len(stats.run_lengths([True, True], timestamps=late, resolution_s=900)) == 2


def test_runs_of_equal_reports_every_run():
    runs = stats.runs_of_equal([1.0, 5.0, 5.0, 5.0, 2.0, 2.0, 7.0, 2.0, 2.0])
    assert runs[["start", "stop", "length"]].to_numpy().tolist() == [
        [1, 4, 3],
        [4, 6, 2],
        [7, 9, 2],
    ]
    assert runs["value"].tolist() == [5.0, 2.0, 2.0]
    assert runs["spread"].tolist() == [0.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("values", "kwargs", "expected"),
    [
        ([1.0, 1.0004, 0.9998, 3.0], {"atol": 1e-3}, [[0, 3, 3]]),
        ([1.0, 1.0004, 0.9998, 3.0], {}, []),
        ([2.0, 2.0, np.nan, 2.0, 2.0], {}, [[0, 2, 2], [3, 5, 2]]),
        ([2.0, 2.0, 2.0, 4.0, 4.0], {"min_length": 3}, [[0, 3, 3]]),
        ([2.0, 3.0, 4.0], {"min_length": 1}, [[0, 1, 1], [1, 2, 1], [2, 3, 1]]),
        ([], {}, []),
        ([np.nan, np.nan], {}, []),
        ([4.0], {}, []),
        ([0.0, 0.0, 0.0], {}, [[0, 3, 3]]),
    ],
    ids=[
        "near_equal",
        "exact_only",
        "nan_breaks",
        "min_length",
        "singletons",
        "empty",
        "all_nan",
        "single",
        "zeros",
    ],
)
def test_runs_of_equal_edge_cases(values, kwargs, expected):
    runs = stats.runs_of_equal(values, **kwargs)
    assert runs[["start", "stop", "length"]].to_numpy().tolist() == expected
    assert list(runs.columns) == ["start", "stop", "length", "value", "spread"]


def test_runs_of_equal_spread_exposes_slow_ramps():
    ramp = np.arange(10) * 0.01
    runs = stats.runs_of_equal(ramp, atol=0.01 + 1e-9)
    assert runs["length"].tolist() == [10]
    assert runs["spread"].iloc[0] == pytest.approx(0.09, abs=EXACT_ATOL)
    assert runs["value"].iloc[0] == 0.0


def test_runs_of_equal_by_time_breaks_across_gaps():
    # spec B4: the same value on both sides of a 3 h gap is two runs, not one spanning the gap
    times = pd.date_range("2026-11-16", periods=8, freq="h", tz="UTC").delete([3, 4, 5])
    values = [4.2] * len(times)
    by_row = stats.runs_of_equal(values)
    assert by_row["length"].tolist() == [5]
    by_time = stats.runs_of_equal(values, timestamps=times, resolution_s=3600)
    assert by_time[["start", "stop"]].to_numpy().tolist() == [[0, 3], [3, 5]]
    assert by_time["start_time"].tolist() == [times[0], times[3]]
    assert by_time["end_time"].tolist() == [
        pd.Timestamp("2026-11-16 03:00", tz="UTC"),
        pd.Timestamp("2026-11-16 08:00", tz="UTC"),
    ]
    np.testing.assert_allclose(by_time["duration_h"], [3.0, 2.0], atol=EXACT_ATOL)


def test_runs_by_time_duration_is_real_across_dst():
    # 15-minute stuck readings through the fall-back night: 02:00 EDT -> 03:00 EST is 2 real hours
    times = pd.date_range("2026-11-01T05:00Z", "2026-11-01T07:00Z", freq="15min", inclusive="left")
    runs = stats.runs_of_equal(
        np.ones(len(times)), timestamps=times.tz_convert(TZ), resolution_s=900
    )
    assert runs["duration_h"].tolist() == [2.0]
    assert str(runs["start_time"].dt.tz) == TZ


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"timestamps": utc("2026-11-16 01:00", "2026-11-16 00:00")}, "together"),
        (
            {"timestamps": utc("2026-11-16 01:00", "2026-11-16 00:00"), "resolution_s": 900},
            "sorted ascending",
        ),
        ({"timestamps": utc("2026-11-16 00:00"), "resolution_s": 900}, "same length"),
        (
            {"timestamps": pd.DatetimeIndex(["2026-11-16", "2026-11-17"]), "resolution_s": 900},
            "timezone-naive",
        ),
        ({"timestamps": utc("2026-11-16", "2026-11-17"), "resolution_s": 0}, "positive"),
        ({"atol": -1.0}, "atol"),
        ({"min_length": 0}, "min_length"),
    ],
    ids=["no_resolution", "unsorted", "length", "naive", "zero_resolution", "atol", "min_length"],
)
def test_runs_of_equal_rejects_bad_arguments(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        stats.runs_of_equal([1.0, 1.0], **kwargs)


def test_runs_are_vectorised_on_a_year_of_readings():
    times = pd.date_range("2026-01-01", periods=35_040, freq="15min", tz="UTC")
    values = np.repeat(np.arange(35_040 // 8, dtype=float), 8)
    runs = stats.runs_of_equal(values, timestamps=times, resolution_s=900)
    assert len(runs) == 35_040 // 8
    assert (runs["length"] == 8).all()
    assert (runs["duration_h"] == 2.0).all()


# --- gaps ------------------------------------------------------------------------------------


def test_find_gaps_spec_example():
    gaps = stats.find_gaps(utc("2026-11-16 01:00", "2026-11-16 04:00"), resolution_s=3600)
    assert list(gaps.columns) == ["gap_start", "gap_end", "missing_intervals"]
    assert gaps.to_dict("list") == {
        "gap_start": [pd.Timestamp("2026-11-16 02:00", tz="UTC")],
        "gap_end": [pd.Timestamp("2026-11-16 04:00", tz="UTC")],
        "missing_intervals": [2],
    }
    assert gaps["missing_intervals"].dtype == np.int64


@pytest.mark.parametrize(
    ("texts", "missing"),
    [
        (["01:00", "02:00", "03:00"], []),
        (["01:00", "02:06", "03:00"], []),  # within 1.1 x resolution
        (["01:00", "02:07", "03:00"], [0]),  # a gap, though it rounds to no missing interval
        (["01:00", "01:00", "02:00", "04:00", "04:00"], [1]),  # duplicates ignored
        (["04:00", "01:00", "02:00"], [1]),  # order does not matter
        (["01:00"], []),
        ([], []),
    ],
    ids=["complete", "jitter", "just_over", "duplicates", "unsorted", "single", "empty"],
)
def test_find_gaps_without_period(texts, missing):
    times = utc(*(f"2026-11-16 {text}" for text in texts))
    gaps = stats.find_gaps(times, resolution_s=3600)
    assert gaps["missing_intervals"].tolist() == missing


def test_find_gaps_leading_and_trailing_against_period():
    period = dates.report_week("2026-W47", tz=TZ)
    grid = dates.expected_index(period, resolution_s=3600)
    present = grid[5:100].append(grid[102:160])
    gaps = stats.find_gaps(present, resolution_s=3600, period=period)
    assert gaps["missing_intervals"].tolist() == [5, 2, 8]
    assert gaps["gap_start"].tolist() == [period.start, grid[100], grid[160]]
    assert gaps["gap_end"].tolist() == [grid[5], grid[102], period.end]
    assert gaps["missing_intervals"].sum() == len(grid) - len(present)


@pytest.mark.parametrize(
    "week", ["2026-W10", "2026-W44", "2026-W47"], ids=["spring", "fall", "ord"]
)
def test_find_gaps_no_readings_is_one_gap_over_the_period(week):
    period = dates.report_week(week, tz=TZ)
    gaps = stats.find_gaps(pd.DatetimeIndex([], tz="UTC"), resolution_s=900, period=period)
    assert gaps["missing_intervals"].tolist() == [
        len(dates.expected_index(period, resolution_s=900))
    ]
    assert gaps["gap_start"].tolist() == [period.start]
    assert gaps["gap_end"].tolist() == [period.end]
    assert stats.find_gaps([], resolution_s=900, period=period)["missing_intervals"].tolist() == [
        period.hours * 4
    ]


def test_find_gaps_ignores_readings_outside_period_and_matches_completeness():
    period = dates.report_week("2026-W44", tz=TZ)  # 169 h
    grid = dates.expected_index(period, resolution_s=900)
    keep = np.random.default_rng(3).random(len(grid)) > 0.2
    outside = pd.DatetimeIndex([period.start - pd.Timedelta(hours=3), period.end], tz="UTC")
    present = grid[keep].append(outside).append(grid[keep][:10])  # plus duplicates
    gaps = stats.find_gaps(present, resolution_s=900, period=period)
    assert gaps["missing_intervals"].sum() == len(grid) - keep.sum()
    assert stats.completeness_pct(keep.sum(), len(grid)) == pytest.approx(
        100 * (1 - gaps["missing_intervals"].sum() / len(grid)), abs=EXACT_ATOL
    )
    assert (gaps["gap_start"] >= period.start).all()
    assert (gaps["gap_end"] <= period.end).all()


def test_find_gaps_complete_period_has_none():
    period = dates.report_week("2026-W10", tz=TZ)
    grid = dates.expected_index(period, resolution_s=900)
    assert stats.find_gaps(grid, resolution_s=900, period=period).empty


def test_find_gaps_rejects_naive_and_bad_resolution():
    with pytest.raises(ValueError, match="timezone-naive"):
        stats.find_gaps(pd.DatetimeIndex(["2026-11-16 01:00"]), resolution_s=3600)
    with pytest.raises(ValueError, match="positive"):
        stats.find_gaps(utc("2026-11-16 01:00"), resolution_s=0)
