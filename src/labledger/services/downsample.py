"""Shape-keeping downsampling of a metric series (first/last/min/max per bucket)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def downsample_indices(values: npt.ArrayLike, max_points: int) -> npt.NDArray[np.int64]:
    """Sorted indices of at most ``max_points`` points that keep every bucket's extremes.

    The first and last points are always kept; the series is cut into
    ``(max_points - 2) // 2`` buckets of consecutive points and each bucket keeps its
    minimum and maximum, so spikes are never lost.  NaN points are skipped unless a whole
    bucket is NaN.
    """
    v = np.asarray(values, dtype=np.float64)
    n = v.size
    if max_points <= 0 or n <= max_points:
        return np.arange(n, dtype=np.int64)
    if max_points < 4:
        return np.unique(np.linspace(0, n - 1, max_points).round().astype(np.int64))
    buckets = (max_points - 2) // 2
    size = -(-n // buckets)
    buckets = -(-n // size)
    pad = buckets * size - n
    nan = np.isnan(v)
    low = np.concatenate([np.where(nan, np.inf, v), np.full(pad, np.inf)]).reshape(buckets, size)
    high = np.concatenate([np.where(nan, -np.inf, v), np.full(pad, -np.inf)]).reshape(buckets, size)
    base = np.arange(buckets, dtype=np.int64) * size
    ends = np.array([0, n - 1], dtype=np.int64)
    idx = np.concatenate([ends, base + low.argmin(axis=1), base + high.argmax(axis=1)])
    idx = np.unique(idx)
    return idx[idx < n]
