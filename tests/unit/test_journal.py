"""The write-ahead journal: whole records survive, a torn one ends it, segments roll over."""

from __future__ import annotations

import math
from pathlib import Path

from labledger.sdk import journal as journal_mod
from labledger.sdk.journal import (
    KIND_PARAMS,
    KIND_POINTS,
    KIND_TAGS,
    Journal,
    read_items,
    segments,
)


def test_items_read_back_in_order_with_their_keys(tmp_path: Path):
    j = Journal(tmp_path, "w")
    j.points(0, 1000, {"loss": 1.5, "acc": 0.1})
    j.mapping(KIND_PARAMS, {"lr": "0.1"})
    j.points(1, 1001, {"loss": math.inf, "new": -2.0})
    j.mapping(KIND_TAGS, {"stage": "dev"})
    j.close()
    items = list(read_items(tmp_path, "w", 0))
    assert [(i, k) for i, k, _ in items] == [
        (0, KIND_POINTS),
        (1, KIND_PARAMS),
        (2, KIND_POINTS),
        (3, KIND_TAGS),
    ]
    assert items[0][2] == (0, 1000, {"loss": 1.5, "acc": 0.1})
    assert items[2][2] == (1, 1001, {"loss": math.inf, "new": -2.0})
    assert [i for i, _, _ in read_items(tmp_path, "w", 2)] == [2, 3]


def test_a_record_cut_short_by_a_kill_ends_the_journal(tmp_path: Path):
    j = Journal(tmp_path, "w")
    j.points(0, 1, {"x": 1.0})
    pos = j._pos
    j.points(1, 2, {"x": 2.0})
    j._mm[pos : pos + 4] = b"\0\0\0\0"  # the length is written last: a torn record has none
    j.close()
    assert list(read_items(tmp_path, "w", 0)) == [(0, KIND_POINTS, (0, 1, {"x": 1.0}))]


def test_segments_roll_over_and_covered_ones_are_dropped(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(journal_mod, "SEGMENT", 4096)
    j = Journal(tmp_path, "w")
    for step in range(500):
        j.points(step, step, {"x": float(step)})
    assert len(segments(tmp_path, "w")) > 3
    logged = [(i, KIND_POINTS, (i, i, {"x": float(i)})) for i in range(500)]
    assert list(read_items(tmp_path, "w", 0)) == logged  # every record, across segments
    j.covered(400)  # the spool holds items 0..399
    left = list(read_items(tmp_path, "w", 0))
    assert 0 < left[0][0] <= 400
    assert left == logged[left[0][0] :]  # whole segments dropped, the rest intact
    j.close()
