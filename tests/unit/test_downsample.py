"""Shape-keeping downsampling: few points, but never the ones a plot must show."""

from __future__ import annotations

import numpy as np
import pytest

from labledger.services.downsample import downsample_indices


def check_invariants(values: np.ndarray, max_points: int) -> np.ndarray:
    idx = downsample_indices(values, max_points)
    n = len(values)
    assert idx.dtype == np.int64
    assert n <= max_points or len(idx) <= max_points
    assert np.all(np.diff(idx) > 0), "indices must be sorted and unique"
    assert idx.size == 0 or (idx[0] >= 0 and idx[-1] < n)
    return idx


@pytest.mark.parametrize(("n", "max_points"), [(0, 5), (1, 1), (3, 3), (5, 10), (10, 10)])
def test_downsample_indices_is_the_identity_when_the_series_fits(n, max_points):
    values = np.linspace(0, 1, n)
    assert downsample_indices(values, max_points).tolist() == list(range(n))


def test_downsample_indices_accepts_a_plain_list():
    assert downsample_indices([3.0, 1.0, 2.0], 10).tolist() == [0, 1, 2]


@pytest.mark.parametrize("max_points", [4, 5, 6, 7, 10, 11, 50, 999])
@pytest.mark.parametrize("n", [5, 11, 100, 1000, 1001])
def test_downsample_indices_keeps_first_last_min_and_max_within_budget(n, max_points):
    rng = np.random.default_rng(n * 1000 + max_points)
    values = rng.normal(size=n)
    idx = check_invariants(values, max_points)
    if n > max_points:
        kept = set(idx.tolist())
        assert {0, n - 1, int(values.argmin()), int(values.argmax())} <= kept


@pytest.mark.parametrize("spike_at", [1, 137, 500, 998])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_downsample_indices_keeps_a_single_spike_in_a_flat_series(spike_at, sign):
    values = np.zeros(1000)
    values[spike_at] = sign * 50.0
    idx = check_invariants(values, 20)
    assert spike_at in idx.tolist()


def test_downsample_indices_keeps_the_extreme_of_every_bucket_in_a_sawtooth():
    values = np.tile([0.0, 1.0, 0.0, -1.0], 250)  # 1000 points, oscillating
    idx = check_invariants(values, 100)
    kept = values[idx]
    assert kept.max() == 1.0 and kept.min() == -1.0
    assert len(idx) > 50  # buckets are used, not just the four global points


def test_downsample_indices_reduces_a_large_series_to_at_most_max_points():
    values = np.sin(np.linspace(0, 100, 1_000_000))
    assert len(check_invariants(values, 1000)) <= 1000


@pytest.mark.parametrize("max_points", [1, 2, 3])
@pytest.mark.parametrize("n", [4, 10, 101])
def test_downsample_indices_works_below_four_points(n, max_points):
    values = np.arange(n, dtype=float)[::-1]
    idx = check_invariants(values, max_points)
    assert len(idx) == max_points
    assert idx[0] == 0
    if max_points >= 2:
        assert idx[-1] == n - 1


def test_downsample_indices_skips_nan_when_choosing_extremes():
    values = np.array([1.0, np.nan, 5.0, np.nan, -2.0, 3.0, np.nan, 0.0, 1.0, 1.0])
    idx = check_invariants(values, 4)
    assert idx.tolist() == [0, 2, 4, 9]


def test_downsample_indices_keeps_extremes_when_nan_is_scattered_through_a_long_series():
    rng = np.random.default_rng(7)
    values = rng.normal(size=5000)
    values[rng.integers(0, 5000, size=1000)] = np.nan
    values[0] = values[-1] = np.nan
    idx = check_invariants(values, 64)
    kept = set(idx.tolist())
    assert {0, 4999, int(np.nanargmin(values)), int(np.nanargmax(values))} <= kept


def test_downsample_indices_returns_valid_indices_for_an_all_nan_series():
    idx = check_invariants(np.full(100, np.nan), 10)
    assert idx[0] == 0 and idx[-1] == 99


def test_downsample_indices_holds_its_invariants_on_random_sizes():
    rng = np.random.default_rng(2024)
    for _ in range(500):
        n = int(rng.integers(0, 400))
        max_points = int(rng.integers(1, 80))
        values = rng.standard_cauchy(size=n)
        idx = check_invariants(values, max_points)
        if n > max_points >= 4:
            kept = set(idx.tolist())
            assert {0, n - 1, int(values.argmin()), int(values.argmax())} <= kept
