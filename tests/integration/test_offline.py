"""Offline runs: recorded into the spool only, created with the same identity by sync."""

from __future__ import annotations

import time

import pytest

import labledger as ll
from tests.conftest import run_sync
from tests.histories import check_run_history, expected, value


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_an_offline_run_never_calls_the_server_and_sync_creates_it(server, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    monkeypatch.setenv("LABLEDGER_MODE", "offline")
    (tmp_path / "report.txt").write_text("all good")
    server.stop()  # nothing to reach: offline does not try
    started = time.monotonic()
    with ll.init(
        project="p", name="offline-1", tracking_uri=server.url, config={"lr": 0.01}
    ) as run:
        run.set_tags({"where": "laptop"})
        window_start = now_ms()
        for step in range(10_000):
            run.log({"loss": value(0, 0, step)}, step=step)
        window = (window_start, now_ms())
        run.log_artifact(tmp_path / "report.txt")
    assert time.monotonic() - started < 30  # finish() does not wait for a server
    assert run.offline
    server.start()
    with ll.Client(server.url) as client, pytest.raises(ll.RunNotFoundError):
        client.get_run(run.id)

    first = run_sync(spool)
    assert first.returncode == 0, first.stderr
    assert f"run {run.id}: created" in first.stdout
    assert "synced 10000 points" in first.stdout and "1 artifact files" in first.stdout
    second = run_sync(spool)  # running sync twice changes nothing
    assert second.returncode == 0, second.stderr
    with ll.Client(server.url) as client:
        stored = client.get_run(run.id)  # the same identity as in the training process
        # every point once, with the value and the time it was logged offline (not synced)
        check_run_history(client, run.id, {"loss": expected(0, 0, range(10_000))}, window)
        [artifact] = client.list_artifacts(run.id)
        with client.open_artifact(run.id, "report.txt") as f:
            assert f.read() == b"all good"
    assert (stored.name, stored.params["lr"], stored.tags["where"]) == (
        "offline-1",
        "0.01",
        "laptop",
    )
    assert stored.status is ll.RunStatus.FINISHED and stored.end_ms is not None
    assert artifact.state is ll.ArtifactState.STORED
    assert not any(spool.rglob("*.log"))


def test_fallback_goes_offline_only_when_the_server_is_unreachable(server, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    monkeypatch.setenv("LABLEDGER_MODE", "fallback")
    with ll.init(project="p", tracking_uri=server.url) as online:
        online.log({"x": value(0, 0, 0)})
    assert not online.offline

    server.stop()
    with ll.init(project="p", tracking_uri=server.url, run_key="job-7") as run:
        start = now_ms()
        run.log({"x": value(1, 0, 5)}, step=5)
        window = (start, now_ms())
    assert run.offline
    server.start()
    assert run_sync(spool).returncode == 0
    with ll.Client(server.url) as client:
        found = client.search_runs("p", "attributes.run_key = 'job-7'")
        assert [r.id for r in found] == [run.id]
        check_run_history(client, run.id, {"x": expected(1, 0, [5])}, window)
        check_run_history(client, online.id, {"x": expected(0, 0, [0])})


def test_online_is_the_default_and_says_when_the_server_is_down(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    server.stop()
    with pytest.raises(ll.TransportError, match="cannot reach"):
        ll.init(project="p", tracking_uri=server.url)
    monkeypatch.setenv("LABLEDGER_MODE", "sometimes")
    with pytest.raises(ll.InvalidInputError, match="LABLEDGER_MODE"):
        ll.init(project="p", tracking_uri=server.url)


def test_sync_reports_progress_in_runs_points_and_bytes(server, tmp_path, monkeypatch):
    from labledger.ops.sync import SyncReport, sync_spool

    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    monkeypatch.setenv("LABLEDGER_MODE", "offline")
    (tmp_path / "weights.bin").write_bytes(b"w" * 300_000)
    runs: list[tuple[str, tuple[int, int]]] = []
    for i in range(3):
        with ll.init(project="p", name=f"offline-{i}", tracking_uri=server.url) as run:
            start = now_ms()
            for step in range(120_000):  # more than one batch per run
                run.log({"loss": value(i, 0, step)}, step=step)
            runs.append((run.id, (start, now_ms())))
            run.log_artifact(tmp_path / "weights.bin")

    seen: list[tuple[int, int, int, int]] = []

    def progress(report: SyncReport) -> None:
        seen.append((report.writers, report.writers_done, report.points, report.bytes))

    report = sync_spool(spool, on_progress=progress)
    assert not report.errors
    assert seen[0] == (3, 0, 0, 0)  # the total is known before anything is sent
    assert seen[-1][:3] == (3, 3, 360_000) and seen[-1][3] == report.bytes
    assert report.bytes > 3 * 300_000  # batches and artifact bytes both count
    for earlier, later in zip(seen, seen[1:], strict=False):
        assert all(b >= a for a, b in zip(earlier, later, strict=True))  # never goes back
    assert (
        len({points for _, _, points, _ in seen}) > 4
    )  # it moves during a run, not only at the end
    with ll.Client(server.url) as client:  # and what it counted is what is stored
        for i, (run_id, window) in enumerate(runs):
            check_run_history(client, run_id, {"loss": expected(i, 0, range(120_000))}, window)
