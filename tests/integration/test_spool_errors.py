"""A spool that cannot be written is never a silent loss: an error at the next log() call
(or a warning, when configured), the records kept and written once the disk takes them."""

from __future__ import annotations

import logging
import time

import pytest

import labledger as ll
from labledger.core.errors import SpoolWriteError
from tests.histories import check_run_history, expected, value


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def break_spool(run: ll.Run):
    """Make the run's spool refuse writes, as a full disk would; returns a repair function."""
    writer = run._spool
    real = writer.append

    def refuse(payload: bytes):
        raise SpoolWriteError(f"cannot write the spool {writer.log_path}: [Errno 28] No space")

    writer.append = refuse  # type: ignore[method-assign]

    def repair() -> None:
        writer.append = real  # type: ignore[method-assign]

    return repair


def test_a_full_disk_raises_at_the_next_log_and_loses_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    run = ll.init(project="p", tracking_uri=str(tmp_path / "store"))
    repair = break_spool(run)
    start = now_ms()
    for step in range(1000):
        run.log({"x": value(0, 0, step)}, step=step)
    with pytest.raises(SpoolWriteError, match="No space"):
        deadline = time.monotonic() + 30
        step = 1000
        while time.monotonic() < deadline:
            run.log({"x": value(0, 0, step)}, step=step)
            step += 1
            time.sleep(0.001)
    logged_before_error = step  # the call that raised had already been accepted
    repair()
    run.log({"x": value(0, 0, logged_before_error)}, step=logged_before_error)
    window = (start, now_ms())
    run.finish()
    logged = {"x": expected(0, 0, range(logged_before_error + 1))}
    with ll.Client(str(tmp_path / "store")) as client:
        check_run_history(client, run.id, logged, window)


def test_warn_mode_only_logs_and_loses_nothing(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    monkeypatch.setenv("LABLEDGER_SPOOL_ERRORS", "warn")
    run = ll.init(project="p", tracking_uri=str(tmp_path / "store"))
    repair = break_spool(run)
    start = now_ms()
    with caplog.at_level(logging.WARNING, logger="labledger.sdk"):
        for step in range(2000):
            run.log({"x": value(0, 0, step)}, step=step)
            if step % 100 == 0:
                time.sleep(0.01)
        deadline = time.monotonic() + 30
        while "cannot write the spool" not in caplog.text:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    window = (start, now_ms())
    repair()
    run.finish()
    with ll.Client(str(tmp_path / "store")) as client:
        check_run_history(client, run.id, {"x": expected(0, 0, range(2000))}, window)
