"""The local spool: frames survive a crash, acknowledged frames are never replayed."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest

from labledger.sdk.spool import (
    Frame,
    SpoolWriter,
    acked_seqs,
    pending_frames,
    read_writer_meta,
    remove_writer_if_done,
)

META = {"run_id": "0" * 32, "project": "p", "tracking_uri": "/tmp/x"}

HEADER = 8  # u32 length + u32 crc32


@pytest.fixture
def writer(tmp_path: Path) -> Iterator[SpoolWriter]:
    w = SpoolWriter(tmp_path / "run", "w1", META)
    yield w
    if w.log_path.exists():
        w.close()


def payloads(n: int) -> list[bytes]:
    return [f'{{"batch": {i}}}'.encode() for i in range(n)]


def test_spool_writer_creates_the_run_folder_with_log_and_ack_files(tmp_path):
    w = SpoolWriter(tmp_path / "a" / "run", "w1", META)
    try:
        assert w.log_path == tmp_path / "a" / "run" / "w1.log"
        assert w.ack_path == tmp_path / "a" / "run" / "w1.acks"
        assert w.log_path.exists() and w.ack_path.exists()
    finally:
        w.close()


def test_append_numbers_frames_from_zero_and_read_returns_each_payload(writer):
    frames = [writer.append(p) for p in payloads(3)]
    assert [f.seq for f in frames] == [0, 1, 2]
    assert writer.next_seq == 3
    assert [writer.read(f) for f in frames] == payloads(3)


def test_append_records_offset_and_length_of_each_payload(writer):
    first = writer.append(b"abc")
    second = writer.append(b"")
    third = writer.append(b"hello")
    assert first == Frame(0, HEADER, 3)
    assert second == Frame(1, 2 * HEADER + 3, 0)
    assert third == Frame(2, 3 * HEADER + 3, 5)
    assert writer.log_path.stat().st_size == 3 * HEADER + 8


def test_batch_id_combines_writer_and_sequence_number(writer):
    assert writer.batch_id(0) == "w1-0"
    assert writer.batch_id(41) == "w1-41"


def test_pending_frames_returns_every_frame_in_order_when_nothing_is_acked(writer):
    for p in payloads(4):
        writer.append(p)
    assert list(pending_frames(writer.log_path)) == list(enumerate(payloads(4)))


def test_pending_frames_skips_acked_frames_and_keeps_order_of_the_rest(writer):
    for p in payloads(5):
        writer.append(p)
    for seq in (3, 0, 1):
        writer.ack(seq)
    data = payloads(5)
    assert list(pending_frames(writer.log_path)) == [(2, data[2]), (4, data[4])]


def test_pending_frames_is_empty_when_every_frame_is_acked(writer):
    for frame in [writer.append(p) for p in payloads(3)]:
        writer.ack(frame.seq)
    assert list(pending_frames(writer.log_path)) == []


def test_pending_frames_of_an_empty_log_is_empty(writer):
    assert list(pending_frames(writer.log_path)) == []


@pytest.mark.parametrize("cut", [1, 3, 8, 10])
def test_pending_frames_stops_before_a_torn_last_frame(writer, cut):
    for p in payloads(3):
        writer.append(p)
    size = writer.log_path.stat().st_size
    with open(writer.log_path, "r+b") as f:
        f.truncate(size - cut)
    assert list(pending_frames(writer.log_path)) == list(enumerate(payloads(2)))


def test_pending_frames_stops_at_a_frame_whose_crc_does_not_match(writer):
    frames = [writer.append(p) for p in payloads(4)]
    raw = bytearray(writer.log_path.read_bytes())
    raw[frames[2].offset + 3] ^= 0xFF
    writer.log_path.write_bytes(bytes(raw))
    assert list(pending_frames(writer.log_path)) == list(enumerate(payloads(2)))


def test_pending_frames_stops_at_a_frame_with_a_corrupted_length(writer):
    frames = [writer.append(p) for p in payloads(3)]
    raw = bytearray(writer.log_path.read_bytes())
    raw[frames[1].offset - HEADER] ^= 0x01  # low byte of the length field
    writer.log_path.write_bytes(bytes(raw))
    assert list(pending_frames(writer.log_path)) == [(0, payloads(1)[0])]


def test_acked_seqs_ignores_a_torn_last_ack_record(writer):
    writer.ack(0)
    writer.ack(2)
    with open(writer.ack_path, "ab") as f:
        f.write(struct.pack("<Q", 1)[:5])
    assert acked_seqs(writer.ack_path) == {0, 2}


def test_pending_frames_replays_the_frame_whose_ack_record_is_torn(writer):
    for p in payloads(3):
        writer.append(p)
    writer.ack(0)
    with open(writer.ack_path, "ab") as f:
        f.write(struct.pack("<Q", 1)[:7])
    data = payloads(3)
    assert list(pending_frames(writer.log_path)) == [(1, data[1]), (2, data[2])]


def test_acked_seqs_of_a_missing_file_is_empty(tmp_path):
    assert acked_seqs(tmp_path / "nope.acks") == set()


def test_acks_survive_reopening_the_files_after_close(tmp_path):
    w = SpoolWriter(tmp_path / "run", "w1", META)
    for p in payloads(3):
        w.append(p)
    w.ack(1)
    w.sync()
    w.close()
    data = payloads(3)
    assert list(pending_frames(tmp_path / "run" / "w1.log")) == [(0, data[0]), (2, data[2])]


def test_fsync_writer_writes_the_same_frames(tmp_path):
    w = SpoolWriter(tmp_path / "run", "w1", META, fsync=True)
    try:
        w.append(b"x")
        w.ack(0)
        w.append(b"y")
        assert list(pending_frames(w.log_path)) == [(1, b"y")]
    finally:
        w.close()


def test_close_removes_the_writer_files_and_empty_folder_when_all_acked(tmp_path):
    run_dir = tmp_path / "run"
    w = SpoolWriter(run_dir, "w1", META)
    w.ack(w.append(b"x").seq)
    w.close()
    assert not run_dir.exists()


def test_close_keeps_files_with_pending_frames(tmp_path):
    run_dir = tmp_path / "run"
    w = SpoolWriter(run_dir, "w1", META)
    w.append(b"x")
    w.close()
    assert sorted(p.name for p in run_dir.iterdir()) == ["w1.acks", "w1.json", "w1.log"]
    assert list(pending_frames(run_dir / "w1.log")) == [(0, b"x")]


def test_remove_writer_if_done_keeps_a_writer_with_pending_frames(writer):
    writer.append(b"a")
    writer.append(b"b")
    writer.ack(0)
    assert remove_writer_if_done(writer.log_path) is False
    assert writer.log_path.exists()


def test_remove_writer_leaves_other_writers_and_their_folder_alone(tmp_path):
    run_dir = tmp_path / "run"
    done, busy = SpoolWriter(run_dir, "done", META), SpoolWriter(run_dir, "busy", META)
    try:
        done.ack(done.append(b"x").seq)
        busy.append(b"y")
        assert remove_writer_if_done(done.log_path) is True
        assert run_dir.exists()
        assert sorted(p.name for p in run_dir.iterdir()) == ["busy.acks", "busy.json", "busy.log"]
        busy.ack(0)
        assert remove_writer_if_done(busy.log_path) is True
        assert not run_dir.exists()
    finally:
        for w in (done, busy):
            for fd in (w._log_fd, w._ack_fd):
                try:
                    import os

                    os.close(fd)
                except OSError:
                    pass


def test_writer_meta_round_trips(writer):
    assert read_writer_meta(writer.log_path) == META
    assert not writer.log_path.with_suffix(".json.tmp").exists()
