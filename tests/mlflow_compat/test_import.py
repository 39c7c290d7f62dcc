"""``labledger import mlflow`` from MLflow stores the real client filled
(``scenarios/import_store.py``: experiments, runs in every status, params, tags, a
100,000-point history, NaN and infinities, artifacts, two registered models with aliases):
an ``mlflow server`` process, its SQLite database, an ``mlruns`` folder and a PostgreSQL
database.  Each is imported twice by the CLI in its own process: the counts equal what the
client reported after the first, nothing is written by the second, and everything is
compared through LabLedger's SDK — every run's params, tags, status, times, every metric
point, every artifact's bytes, the models, versions and aliases.  An import killed midway
completes when run again; a bad source is one clear line and exit code 1."""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import labledger as ll
from labledger.core.errors import RunNotFoundError
from tests.conftest import ServerProcess, free_port
from tests.mlflow_compat.conftest import MlflowRunner, client_python

pytestmark = pytest.mark.slow

LONG = 100_000  # points of the long history
STATUS = {"FINISHED": "finished", "FAILED": "failed", "KILLED": "killed", "RUNNING": "running"}
MAPPED_TAGS = ("mlflow.runName", "mlflow.parentRunId")


# -- the stores ---------------------------------------------------------------------------------
def fill(uri: str, work: Path, version: str = "3", points: int = LONG, **env: str) -> dict:
    """The scenario run by MLflow ``version``'s client against ``uri``; what it read back."""
    work.mkdir(parents=True, exist_ok=True)
    return MlflowRunner(uri)(version, "import_store", str(work), str(points), env=env or None)


class MlflowServer:
    """``mlflow server`` (3.x) on SQLite serving artifacts, started when made: it takes ~20 s
    to come up and answer its first request, so it is started before it is needed and
    warmed up in a thread."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True)
        self.url = f"http://127.0.0.1:{free_port()}"
        self.log = open(folder / "mlflow-server.log", "wb")  # noqa: SIM115
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
        env.update(
            {
                "MLFLOW_DISABLE_TELEMETRY": "true",
                "DO_NOT_TRACK": "true",
                # its job runner starts eight more processes that each import mlflow
                "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
            }
        )
        python = client_python("3")
        self.proc = subprocess.Popen(
            [str(python), "-m", "mlflow", "server", "--host", "127.0.0.1"]
            + ["--port", self.url.rsplit(":", 1)[1], "--workers", "1"]
            + ["--backend-store-uri", f"sqlite:///{folder / 'mlflow.db'}", "--serve-artifacts"]
            + ["--artifacts-destination", str(folder / "artifacts")],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=folder,
            start_new_session=True,  # its own process group: stopped with its workers
        )
        self.error: str | None = None
        self.ready = threading.Thread(target=self._warm_up, daemon=True)
        self.ready.start()

    def _warm_up(self) -> None:
        deadline = time.monotonic() + 150
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.error = f"mlflow server exited {self.proc.returncode}"
                return
            try:
                body = {"max_results": 1}
                r = httpx.post(f"{self.url}/api/2.0/mlflow/experiments/search", json=body)
                if r.status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.error = "mlflow server did not answer in 150 s"

    def wait(self) -> str:
        self.ready.join(timeout=160)
        if self.error or self.ready.is_alive():
            log = Path(self.log.name).read_text(errors="replace")[-3000:]
            pytest.fail(f"{self.error or 'mlflow server not ready'}\n{log}", pytrace=False)
        return self.url

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, None)):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(timeout=wait)
                break
            except ProcessLookupError:  # gone already
                break
            except subprocess.TimeoutExpired:
                continue
        self.log.close()


@pytest.fixture(scope="module")
def mlflow_tracking_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path_factory.mktemp("mlflow-server") / "srv")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sqlite_store(
    tmp_path_factory: pytest.TempPathFactory, mlflow_tracking_server: MlflowServer
) -> tuple[str, dict]:
    """A SQLite MLflow store filled by the 3.x client directly (no server).  (It asks for the
    MLflow server only to start it early: the server's test comes later.)"""
    work = tmp_path_factory.mktemp("mlflow-sqlite")
    uri = f"sqlite:///{work / 'mlflow.db'}"
    return uri, fill(uri, work)


# -- the import, in its own process ----------------------------------------------------------------
def labledger_import(source: str, target: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "labledger.cli", "import", "mlflow", "--from", source]
        + ["--to", target, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
    )


def import_counts(source: str, target: str) -> dict[str, Any]:
    done = labledger_import(source, target, "--json")
    assert done.returncode == 0, done.stderr + done.stdout
    assert "Traceback" not in done.stderr
    report = json.loads(done.stdout)
    assert report["errors"] == []
    return report


def project(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._\-]+", "-", name).lstrip("._-").rstrip("-")


def live_runs(seen: dict) -> dict[str, dict]:
    return {rid: r for rid, r in seen["runs"].items() if not r["deleted"]}


def run_tags(run: dict) -> dict[str, str]:
    return {k: v for k, v in run["tags"].items() if k not in MAPPED_TAGS}


def stage_aliases(model: dict) -> dict[str, int]:
    out = {}
    for number, v in sorted(model["versions"].items(), key=lambda kv: int(kv[0])):
        alias = v["stage"].lower()
        if alias in ("staging", "production") and alias not in model["aliases"]:
            out[alias] = int(number)
    return out


def expected_counts(seen: dict) -> dict[str, dict[str, int]]:
    """What the first import reads and writes, from what the MLflow client read back."""
    exps = seen["experiments"]
    live_exps = {n for n, e in exps.items() if not e["deleted"]}
    listed = [r for r in seen["runs"].values() if r["experiment"] in live_exps]
    runs = list(live_runs(seen).values())
    files = [f for r in runs for f in r["artifacts"].values()]
    aliases = sum(len(m["aliases"]) + len(stage_aliases(m)) for m in seen["models"].values())
    return {
        "experiments": {"read": len(exps), "written": len(live_exps)},
        "runs": {"read": len(listed), "written": len(runs)},
        "params": {"read": sum(len(r["params"]) for r in runs)},
        "tags": {"read": sum(len(run_tags(r)) for r in runs)},
        "metric points": {"read": sum(m["points"] for r in runs for m in r["metrics"].values())},
        "artifacts": {"read": len(files)},
        "artifact bytes": {"read": sum(size for size, _ in files)},
        "models": {"read": len(seen["models"])},
        "versions": {"read": sum(len(m["versions"]) for m in seen["models"].values())},
        "aliases": {"read": aliases},
    }


def check_twice(source: str, target: str, seen: dict) -> dict[str, Any]:
    """Import twice: the first writes what the client reported; the second writes nothing."""
    started = time.monotonic()
    first = import_counts(source, target)
    first["seconds"] = round(time.monotonic() - started, 1)
    for row, want in expected_counts(seen).items():
        got = first["counts"][row]
        assert got["read"] == want["read"], (row, got, want)
        assert got["written"] == want.get("written", want["read"]), (row, got, want)
        assert got["present"] == 0, (row, got)
    with ll.Client(target) as client:
        newest = client.audit_entries(limit=1)
    second = import_counts(source, target)
    assert {row: c["written"] for row, c in second["counts"].items()} == dict.fromkeys(
        first["counts"], 0
    )
    with ll.Client(target) as client:  # every write is audited: there was none
        assert client.audit_entries(limit=1) == newest
        assert client.verify_audit()["ok"] is True
    assert second["counts"]["runs"]["present"] == first["counts"]["runs"]["written"]
    assert second["counts"]["models"]["present"] == len(seen["models"])
    done = labledger_import(source, target)  # the table a person sees
    assert done.returncode == 0, done.stderr
    assert "already there" in done.stdout and "written 0" in done.stdout
    return first


# -- everything, compared through LabLedger's SDK -----------------------------------------------
def history_digest(history: Any) -> dict:
    rows = sorted(
        (int(s), int(t), "nan" if math.isnan(v) else repr(float(v)))
        for s, t, v in zip(history.steps, history.timestamps, history.values, strict=True)
    )
    text = "\n".join(f"{s} {t} {v}" for s, t, v in rows)
    return {"points": len(rows), "sha256": hashlib.sha256(text.encode()).hexdigest()}


def compare(seen: dict, client: ll.Client) -> None:
    for name, exp in seen["experiments"].items():
        found = client.transport.experiments.find_experiment(project(name))
        assert (found is None) == exp["deleted"], name
        if found is not None:
            assert found["tags"] == exp["tags"]
    for run_id, want in seen["runs"].items():
        if want["deleted"]:
            with pytest.raises(RunNotFoundError):
                client.get_run(run_id)
            continue
        run = client.get_run(run_id)
        assert run.project == project(want["experiment"])
        assert run.name == want["name"]
        assert run.status.value == STATUS[want["status"]]
        assert run.start_ms == want["start_time"]
        assert run.end_ms == want["end_time"]
        assert run.user == (want["user_id"] or None)
        assert run.parent_id == want["tags"].get("mlflow.parentRunId")
        assert run.params == want["params"]
        assert run.tags == run_tags(want)
        if run.status.value == "finished":
            assert run.seal_hash is not None
        assert sorted(client.list_metric_keys(run_id)) == sorted(want["metrics"])
        for key, digest in want["metrics"].items():
            assert history_digest(client.get_metric_history(run_id, key)) == digest, key
        stored = {}
        for entry in client.list_artifacts(run_id):
            assert entry.state.value == "stored"
            with client.open_artifact(run_id, entry.path) as f:
                data = f.read()
            stored[entry.path] = [entry.size, hashlib.sha256(data).hexdigest()]
        assert stored == want["artifacts"]
    for name, want in seen["models"].items():
        model = client.get_model(name)
        assert model["description"] == want["description"]
        assert model["tags"] == want["tags"]
        held = sorted(
            client.transport.registry.list_versions(name)["versions"], key=lambda v: v["version"]
        )
        numbers = {int(n): i + 1 for i, n in enumerate(sorted(want["versions"], key=int))}
        assert [v["version"] for v in held] == sorted(numbers.values())
        for number, v in want["versions"].items():
            got = held[numbers[int(number)] - 1]
            run_id, path = re.fullmatch(r"runs:/(\w+)/(.+)", v["source"]).groups()
            assert (got["run_id"], got["path"]) == (run_id, path)
            assert got["tags"] == v["tags"]
            assert got["description"] == v["description"]
        aliases = {**want["aliases"], **stage_aliases(want)}
        assert model["aliases"] == {a: numbers[n] for a, n in aliases.items()}


# -- the tests -----------------------------------------------------------------------------------
def test_a_sqlite_store_is_imported_once(sqlite_store, tmp_path):
    uri, seen = sqlite_store
    assert seen["mlflow"].startswith("3.")
    parent = next(r for r in seen["runs"].values() if r["name"] == "parent")
    assert parent["metrics"]["loss"]["points"] == LONG
    target = tmp_path / "labledger"
    first = check_twice(uri, str(target), seen)
    assert first["counts"]["metric points"]["written"] > LONG
    assert any("imported as project 'imp-c-spaced-name'" in n for n in first["notes"])
    assert any("versions numbered anew (3 -> 2)" in n for n in first["notes"])
    with ll.Client(str(target)) as client:
        compare(seen, client)
    print(f"\nsqlite store, {LONG:,}-point history: first import {first['seconds']} s")  # noqa: T201


def test_an_mlflow_server_is_imported_once_into_a_labledger_server(
    mlflow_tracking_server, tmp_path
):
    url = mlflow_tracking_server.wait()
    seen = fill(url, tmp_path / "client")
    runs = live_runs(seen)
    assert {r["artifacts"] != {} for r in runs.values()} == {True, False}
    target = ServerProcess(tmp_path / "labledger-server")
    target.data_dir.mkdir()
    target.start()
    try:
        first = check_twice(url, target.url, seen)
        with ll.Client(target.url) as client:
            compare(seen, client)
    finally:
        target.stop()
    print(f"\nmlflow server, {LONG:,}-point history: first import {first['seconds']} s")  # noqa: T201


def test_an_mlruns_folder_is_imported_once(tmp_path):
    """MLflow 3.x refuses its file store unless told otherwise: the 2.x client writes it."""
    mlruns = tmp_path / "store" / "mlruns"
    seen = fill(str(mlruns), tmp_path / "store", version="2")
    assert seen["mlflow"].startswith("2.")
    target = tmp_path / "labledger"
    first = check_twice(mlruns.as_uri(), str(target), seen)
    with ll.Client(str(target)) as client:
        compare(seen, client)
    again = import_counts(str(mlruns), str(target))  # the path reads as its file:// URI
    assert again["counts"]["runs"]["present"] == first["counts"]["runs"]["written"]
    print(f"\nmlruns folder, {LONG:,}-point history: first import {first['seconds']} s")  # noqa: T201


@pytest.mark.postgres
def test_a_postgresql_store_is_imported_once(pg_url, tmp_path):
    """The store in a private schema (``pg_url``: its search_path); the import is given
    MLflow's own form of the URL."""
    seen = fill(pg_url, tmp_path / "store", points=2_000)  # the MLflow venv has psycopg
    target = tmp_path / "labledger"
    check_twice(pg_url.replace("postgresql+psycopg://", "postgresql://"), str(target), seen)
    with ll.Client(str(target)) as client:
        compare(seen, client)


def _points_of(db: Path, run_id: str) -> int:
    """Metric points LabLedger holds for ``run_id``, read beside the writing process."""
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            row = conn.execute(
                "SELECT count(*) FROM metric_points WHERE run_pk = "
                "(SELECT pk FROM runs WHERE id = ?)",
                (run_id,),
            ).fetchone()
    except sqlite3.Error:  # not made yet
        return 0
    return int(row[0])


def test_an_interrupted_import_completes_when_run_again(sqlite_store, tmp_path):
    uri, seen = sqlite_store
    parent = next(rid for rid, r in seen["runs"].items() if r["name"] == "parent")
    target = tmp_path / "labledger"
    cmd = [sys.executable, "-m", "labledger.cli", "import", "mlflow", "--from", uri]
    proc = subprocess.Popen([*cmd, "--to", str(target)], stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _points_of(target / "labledger.db", parent) == 0 and proc.poll() is None:
        assert time.monotonic() < deadline, "the import wrote no point in 120 s"
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)  # mid-run: the long history is partly written
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the import ended before it was killed"
    with ll.Client(str(target)) as client:
        assert client.get_run(parent).status.value == "running"  # not ended: incomplete
        assert 0 < _points_of(target / "labledger.db", parent) < LONG
    resumed = import_counts(uri, str(target))
    counts = resumed["counts"]
    runs, points = counts["runs"], counts["metric points"]
    assert runs["written"] >= 1 and runs["written"] + runs["present"] == len(live_runs(seen))
    assert points["present"] > 0 and points["written"] > 0  # the rest of the long history
    assert points["read"] == points["written"] + points["present"]
    assert points["read"] <= expected_counts(seen)["metric points"]["read"]
    with ll.Client(str(target)) as client:
        compare(seen, client)
    again = import_counts(uri, str(target))
    assert sum(c["written"] for c in again["counts"].values()) == 0


@pytest.fixture
def not_mlflow() -> Iterator[str]:
    """A web server that is not MLflow: every path is a 404 page."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Page(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(b"<html>nothing here</html>")

        do_GET = do_POST = _answer

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(
    ("source", "says"),
    [
        ("", "--from is empty"),
        ("/nonexistent/mlruns", "--from /nonexistent/mlruns: no such folder"),
        ("sqlite:////nonexistent/mlflow.db", "no SQLite database at /nonexistent/mlflow.db"),
        ("ftp://example.invalid/x", "ftp:// is not a kind of MLflow store"),
        ("mysql://u@127.0.0.1/mlflow", "mysql:// is not a kind of MLflow store"),
        ("http://127.0.0.1:{closed}", "cannot reach the MLflow server at http://127.0.0.1:"),
        ("{not_mlflow}", "not an MLflow tracking server"),
        ("{empty_db}", "not an MLflow tracking database (it has no table 'experiments')"),
        ("{plain_folder}", "not an MLflow mlruns folder"),
    ],
)
def test_a_bad_source_is_one_clear_line(source, says, tmp_path, not_mlflow):
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    (tmp_path / "plain").mkdir()
    source = source.format(
        closed=free_port(),
        not_mlflow=not_mlflow,
        empty_db=f"sqlite:///{empty}",
        plain_folder=tmp_path / "plain",
    )
    done = labledger_import(source, str(tmp_path / "target"))
    assert done.returncode == 1, done.stdout + done.stderr
    assert says in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert not (tmp_path / "target").exists()


def test_an_unknown_experiment_is_named(sqlite_store, tmp_path):
    uri, _ = sqlite_store
    done = labledger_import(uri, str(tmp_path / "target"), "--experiment", "no-such-exp")
    assert done.returncode == 1
    assert "--experiment 'no-such-exp': the MLflow store has no experiment" in done.stderr
    assert "Traceback" not in done.stderr


def _hand_made_run(exp: Path, run_id: str, name: str, files: dict[str, str], **meta: Any) -> None:
    run = exp / run_id
    (run / "artifacts").mkdir(parents=True)
    fields = {
        "run_id": run_id,
        "run_uuid": run_id,
        "run_name": name,
        "experiment_id": "1",
        "status": 3,
        "start_time": 1_700_000_000_000,
        "end_time": 1_700_000_001_000,
        "user_id": "me",
        "lifecycle_stage": "active",
        "artifact_uri": str(run / "artifacts"),
        **meta,
    }
    (run / "meta.yaml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in fields.items()))
    for rel, text in files.items():
        (run / rel).parent.mkdir(parents=True, exist_ok=True)
        (run / rel).write_text(text)


def test_bad_records_are_named_and_the_others_imported(tmp_path):
    """An mlruns folder written by hand: a malformed metric file, a param over LabLedger's
    limit, files in an s3:// bucket.  Each is reported by name; everything else arrives."""
    exp = tmp_path / "mlruns" / "1"
    exp.mkdir(parents=True)
    (exp / "meta.yaml").write_text("experiment_id: '1'\nname: hand\nlifecycle_stage: active\n")
    good, bad, elsewhere = (uuid_hex(i) for i in range(3))
    _hand_made_run(exp, good, "good", {"params/p": "1", "metrics/m": "1000 0.5 0\n"})
    _hand_made_run(exp, bad, "bad", {"metrics/m": "1000 0.5 0\nnot a point\n"})
    _hand_made_run(
        exp,
        elsewhere,
        "elsewhere",
        {"params/long": "x" * 7000, "params/ok": "y", "tags/t": "v"},
        artifact_uri="s3://bucket/run/artifacts",
        status=4,
    )
    target = tmp_path / "labledger"
    done = labledger_import(str(tmp_path / "mlruns"), str(target))
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert f"error: run {bad} (bad): " in done.stderr
    assert "metrics/m: line 2 is not 'timestamp value step'" in done.stderr
    assert f"run {elsewhere}: param 'long' not imported: " in done.stdout
    assert "the limit is 6000" in done.stdout
    assert "artifacts not imported: its artifact URI 's3://bucket/run/artifacts'" in done.stdout
    with ll.Client(str(target)) as client:
        run = client.get_run(good)
        assert (run.status.value, run.params) == ("finished", {"p": "1"})
        assert list(client.get_metric_history(good, "m").values) == [0.5]
        run = client.get_run(elsewhere)
        assert (run.status.value, run.params, run.tags) == ("failed", {"ok": "y"}, {"t": "v"})
        assert client.get_run(bad).status.value == "running"  # not complete: tried again


def uuid_hex(i: int) -> str:
    return f"{i:x}".rjust(32, "a")
