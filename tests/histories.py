"""Exact history checks for tests that promise "nothing lost, nothing twice".

Writers log values that are a known function of (run, key, step), so the test can compute
the whole expected sequence of every key of every run and compare it point by point: a
count would pass a lost point plus a duplicated one, a check of one run would pass a loss
in another.  Timestamps are stamped by ``run.log`` itself; the writer reports the wall clock
just before its first and just after its last call, so every stored timestamp must lie in
that window and must not go back as the steps go forward.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

# The same expression, as source for writer scripts and as a function for the checks.
# Exact in a double for r < 128, k < 8 and steps below 2**40: no rounding can hide a swap.
VALUE_EXPR = "s + (r * 8 + k) / 1024"


def value(r: int, k: int, s: int) -> float:
    return s + (r * 8 + k) / 1024


def values(r: int, k: int, steps: np.ndarray) -> np.ndarray:
    return steps.astype(np.float64) + (r * 8 + k) / 1024


@dataclass(frozen=True)
class Expected:
    """What one writer logged under one key: the steps in order and the value at each."""

    steps: np.ndarray
    values: np.ndarray


def expected(r: int, k: int, steps: Iterable[int]) -> Expected:
    s = np.fromiter(steps, dtype=np.int64)
    return Expected(s, values(r, k, s))


def _first_difference(got: np.ndarray, want: np.ndarray) -> str:
    n = min(len(got), len(want))
    diff = np.flatnonzero(got[:n] != want[:n])
    at = int(diff[0]) if len(diff) else n
    return (
        f"{len(got)} stored vs {len(want)} logged; first difference at index {at}: "
        f"stored {got[at : at + 3].tolist()} vs logged {want[at : at + 3].tolist()}"
    )


def check_run_history(
    client,  # type: ignore[no-untyped-def]
    run_id: str,
    logged: Mapping[str, Expected],
    window_ms: tuple[int, int] | None = None,
) -> None:
    """Every key of the run, read raw (no downsampling), equals what was logged."""
    keys = sorted(client.list_metric_keys(run_id))
    assert keys == sorted(logged), f"run {run_id}: keys {keys}, logged {sorted(logged)}"
    for key, want in logged.items():
        assert len(want.steps) > 0, f"the test logged nothing under {key!r}"
        history = client.get_metric_history(run_id, key, max_points=None)
        where = f"run {run_id} key {key!r}"
        assert not history.downsampled, where
        assert history.total_points == len(want.steps), (
            f"{where}: {history.total_points} points stored, {len(want.steps)} logged"
        )
        steps, stored = history.steps, history.values
        assert np.array_equal(steps, want.steps), f"{where} steps: " + _first_difference(
            steps, want.steps
        )
        assert np.array_equal(stored, want.values), f"{where} values: " + _first_difference(
            stored, want.values
        )
        if window_ms is not None:
            stamps = history.timestamps
            start, end = window_ms
            assert stamps.min() >= start and stamps.max() <= end, (
                f"{where}: timestamps {stamps.min()}..{stamps.max()} outside the writer's "
                f"window {start}..{end}"
            )
            backwards = np.flatnonzero(np.diff(stamps) < 0)
            assert len(backwards) == 0, (
                f"{where}: timestamp goes back after step {steps[backwards[0]]}"
            )
