"""The SDK over HTTP: error mapping and round trips against the app in this process
(``inprocess_http``); outages, crash replay and sync against a real server process."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import labledger as ll
from labledger.core.errors import InvalidQueryError, ParamConflictError, RunNotFoundError
from labledger.core.ids import new_id
from tests.conftest import inprocess_app, run_sync
from tests.histories import VALUE_EXPR, check_run_history, expected, value


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_log_search_and_history_over_http(inprocess_http, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    with inprocess_http.init(project="mnist", config={"lr": 0.01}, tags={"team": "vision"}) as run:
        start = now_ms()
        for step in range(5000):
            run.log({"loss": value(0, 0, step), "acc": value(0, 1, step)}, step=step)
        window = (start, now_ms())
    with inprocess_http.client() as client:
        found = client.search_runs(
            "mnist", "metrics.acc > 0.5 and params.lr = 0.01", ["metrics.acc desc"]
        )
        assert [r.id for r in found] == [run.id]
        assert found[0].status is ll.RunStatus.FINISHED
        logged = {"loss": expected(0, 0, range(5000)), "acc": expected(0, 1, range(5000))}
        check_run_history(client, run.id, logged, window)
        assert len(client.get_metric_history(run.id, "loss", max_points=500)) <= 500
        assert [p.name for p in client.list_projects()] == ["mnist"]


def test_server_errors_come_back_as_the_same_exception_classes(
    inprocess_http, tmp_path, monkeypatch, request
):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    client = inprocess_http.client()
    request.addfinalizer(client.close)
    with pytest.raises(RunNotFoundError):
        client.get_run(new_id())
    run = inprocess_http.init(project="p", config={"lr": 0.1})
    with pytest.raises(InvalidQueryError) as info:
        client.search_runs("p", "metrics.acc >")
    assert info.value.details["position"] == len("metrics.acc >")
    # a conflict found by the server (another writer set the param) surfaces in the run
    other = inprocess_http.init(project="p", run_key="shared")
    rival = inprocess_http.init(project="p", run_key="shared")
    other.log_params({"seed": 1})
    other.flush()
    rival.log_params({"seed": 2})
    with pytest.raises(ParamConflictError, match="seed"):
        rival.flush()
    for r in (run, other, rival):
        r.finish()


def test_server_down_for_a_while_loses_nothing_and_stores_nothing_twice(
    server, tmp_path, monkeypatch
):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    run = ll.init(project="p", tracking_uri=server.url)
    total = 60_000
    outage = threading.Event()

    def outage_then_restart() -> None:
        outage.wait()
        server.stop(kill=True)
        time.sleep(3)
        server.start()

    flapper = threading.Thread(target=outage_then_restart)
    flapper.start()
    start = now_ms()
    for step in range(total):
        run.log({"x": value(0, 0, step)}, step=step)
        if step == total // 3:
            outage.set()
        if step % 1000 == 0:
            time.sleep(0.01)  # spread logging over the outage
    window = (start, now_ms())
    flapper.join()
    run.finish()
    with ll.Client(server.url) as client:
        check_run_history(client, run.id, {"x": expected(0, 0, range(total))}, window)


def test_crashed_process_is_replayed_by_sync(server, tmp_path):
    spool = tmp_path / "spool"
    server.stop()
    code = f"""
        import os, labledger as ll
        os.environ["LABLEDGER_SPOOL_DIR"] = {str(spool)!r}
        run = ll.init(project="p", tracking_uri={server.url!r}, run_key="crash")
        print(run.id, flush=True)
        os._exit(0)  # leaves the run running, as the process below will log to it
    """
    server.start()
    created = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    run_id = created.stdout.strip()
    server.stop()  # the target goes away; the training process logs, then dies hard
    crash = f"""
        import json, os, time, labledger as ll
        def v(r, k, s):
            return {VALUE_EXPR}
        os.environ["LABLEDGER_SPOOL_DIR"] = {str(spool)!r}
        from labledger.sdk import run as run_mod
        from labledger.core.entities import Run as Record, RunStatus
        from labledger.core.settings import Settings
        from labledger.sdk.transport import open_transport
        settings = Settings.from_env(tracking_uri={server.url!r})
        record = Record(id={run_id!r}, project="p", name="x", status=RunStatus.RUNNING,
                        start_ms=0)
        run = run_mod.Run(record, open_transport(settings), settings)
        start = time.time_ns() // 1_000_000
        for step in range(20_000):
            run.log({{"y": v(0, 0, step)}}, step=step)
        print(json.dumps([start, time.time_ns() // 1_000_000]), flush=True)
        deadline = time.time() + 30
        while run._sender._pending or run._queue:
            time.sleep(0.05)
            if time.time() > deadline:
                break
            if not run._queue and run._sender._pending and len(run._sender._pending) > 0:
                break
        time.sleep(0.5)
        os._exit(9)
    """
    died = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(crash)], capture_output=True, text=True, timeout=120
    )
    assert died.returncode == 9, died.stderr
    start, end = json.loads(died.stdout)
    assert any(spool.rglob("*.log"))
    server.start()
    for _ in range(2):  # running sync twice changes nothing
        result = run_sync(spool, timeout=120)
        assert result.returncode == 0, result.stderr
    with ll.Client(server.url) as client:
        check_run_history(client, run_id, {"y": expected(0, 0, range(20_000))}, (start, end))
    assert not (spool / run_id).exists()


def test_server_on_postgresql_serves_the_same_sdk(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    with inprocess_app(tmp_path / "pg-server", db_uri=pg_url) as server:
        with server.init(project="pg", run_key="k", config={"a": 1}) as run:
            start = now_ms()
            for step in range(3000):
                run.log({"loss": value(0, 0, step)}, step=step)
            window = (start, now_ms())
        with pytest.raises(ll.RunSealedError, match="already finished and is sealed"):
            server.init(project="pg", run_key="k")
        with server.client() as client:
            found = client.search_runs("pg", "params.a = 1", ["metrics.loss asc"])
            assert [r.id for r in found] == [run.id]
            check_run_history(client, run.id, {"loss": expected(0, 0, range(3000))}, window)


def test_finish_with_server_gone_keeps_records_for_sync(server, tmp_path, monkeypatch):
    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    run = ll.init(project="p", tracking_uri=server.url)
    server.stop()
    start = now_ms()
    for step in range(1000):
        run.log({"z": value(0, 0, step)}, step=step)
    window = (start, now_ms())
    with pytest.raises((TimeoutError, ll.TransportError)):
        run.finish(timeout=1)
    assert any(spool.rglob("*.log"))
    server.start()
    result = run_sync(spool, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "synced 1000 points" in result.stdout
    with ll.Client(server.url) as client:
        check_run_history(client, run.id, {"z": expected(0, 0, range(1000))}, window)


def test_non_finite_values_round_trip_over_http(inprocess_http, tmp_path, monkeypatch):
    """NaN and infinities are legal values (run.log says so) over HTTP as in the embedded
    store: the e2e fixture's diverged run logs a NaN loss."""
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    with inprocess_http.init(project="p") as run:
        run.log({"x": math.nan}, step=0)
        run.log({"x": math.inf}, step=1)
        run.log({"x": "-Infinity"}, step=2)
        run.log({"x": 1.5}, step=3)
    with inprocess_http.client() as client:
        history = client.get_metric_history(run.id, "x", max_points=None)
        assert client.get_run(run.id).status is ll.RunStatus.FINISHED
    assert history.steps.tolist() == [0, 1, 2, 3]
    values = history.values.tolist()
    assert math.isnan(values[0]) and values[1:] == [math.inf, -math.inf, 1.5]
