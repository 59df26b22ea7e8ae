"""The analytics' numeric toolbox: robust statistics, grouped percentiles, runs (argo_lib.stats)."""

import numpy as np
import pytest

from argo_lib import stats

EXACT_ATOL = 1e-12  # exact arithmetic on small integers: only float rounding may differ
KW_ATOL = 1e-9  # values copied or interpolated from exact inputs


def test_column_median_ignores_nan_and_keeps_empty_columns_nan():
    values = np.array([[1.0, np.nan, np.nan], [3.0, 2.0, np.nan], [10.0, 4.0, np.nan]])
    result = stats.column_median(values)
    np.testing.assert_allclose(result[:2], [3.0, 3.0], atol=EXACT_ATOL)
    assert np.isnan(result[2])
    assert stats.column_median(np.empty((0, 2))).shape == (2,)


def test_robust_sigma_matches_the_standard_deviation_of_normal_data():
    # the 1.4826 factor makes the MAD estimate sigma; a large seeded sample lands within 2 %
    sample = np.random.default_rng(7).normal(10.0, 3.0, size=(200_000, 1))
    assert stats.robust_sigma(sample)[0] == pytest.approx(3.0, rel=0.02)


def test_robust_sigma_shrugs_off_outliers_that_inflate_the_standard_deviation():
    values = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0], [np.nan]])
    assert stats.robust_sigma(values)[0] == pytest.approx(1.4826, abs=EXACT_ATOL)
    assert np.nanstd(values) > 300


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


def test_group_sum_counts_nan_as_zero():
    values = np.array([[1.0, np.nan], [2.0, 5.0], [4.0, 1.0]])
    sums = stats.group_sum(values, np.array([0, 1, 0]), 2)
    np.testing.assert_allclose(sums, [[5.0, 1.0], [2.0, 5.0]], atol=EXACT_ATOL)


def test_sorted_quantile_of_an_empty_group_is_nan():
    cube = stats.group_cube(np.array([[1.0], [3.0]]), np.array([0, 0]), 2)
    cube.sort(axis=-1)
    counts = np.sum(~np.isnan(cube), axis=-1)
    median = stats.sorted_quantile(cube, counts, 50.0)
    assert median[0, 0] == pytest.approx(2.0, abs=EXACT_ATOL) and np.isnan(median[1, 0])


def test_runs_2d_and_reduce():
    mask = np.array([[1, 0], [1, 1], [0, 1], [1, 1]], dtype=bool)
    runs = stats.runs_2d(mask)
    assert runs.col.tolist() == [0, 0, 1]
    assert runs.start.tolist() == [0, 3, 1]
    assert runs.stop.tolist() == [2, 4, 4]
    values = np.arange(8.0).reshape(4, 2)
    assert stats.reduce_runs(values, runs, "sum").tolist() == [2.0, 6.0, 3.0 + 5.0 + 7.0]
    assert stats.reduce_runs(values, runs, "max").tolist() == [2.0, 6.0, 7.0]
    assert stats.reduce_runs(values, runs, "min").tolist() == [0.0, 6.0, 3.0]
    assert stats.runs_2d(mask, max_gap=1).length.tolist() == [4, 3]
    empty = stats.runs_2d(np.zeros((0, 3), dtype=bool))
    assert empty.col.size == 0


def test_grouped_quantiles_follow_spec_a2():
    values = np.concatenate([np.arange(1.0, 11.0), np.arange(1.0, 101.0), np.full(90, np.nan)])
    groups = np.repeat([0, 1], [10, 190])
    quant, n = stats.grouped_quantiles(values[:, None], groups, 2, (25.0, 75.0, 95.0))
    assert quant[:, 0, 0].tolist() == pytest.approx([3.25, 7.75, 9.55], abs=KW_ATOL)
    assert quant[2, 1, 0] == pytest.approx(95.05, abs=KW_ATOL)
    assert n[:, 0].tolist() == [10, 100]
    np.testing.assert_allclose(
        quant[:, 1, 0], np.percentile(np.arange(1.0, 101.0), [25, 75, 95]), atol=KW_ATOL
    )
