"""Shared fixtures: a fresh store per test on SQLite and on PostgreSQL, a real server process.

CI sets LABLEDGER_REQUIRE_SERVICES=1: a PostgreSQL or browser test that would skip fails.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

PG_URL = os.environ.get(
    "LABLEDGER_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_SERVICES = os.environ.get("LABLEDGER_REQUIRE_SERVICES") == "1"


@pytest.fixture(autouse=True)
def _no_git_capture_of_this_checkout(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run inside the project's own git checkout: capturing it would attach this
    repository's uncommitted diff to every test run.  Tests of capture set the parts they
    test (the other parts run everywhere)."""
    if "LABLEDGER_CAPTURE" not in os.environ:
        monkeypatch.setenv("LABLEDGER_CAPTURE", "all,-git")


def skip_or_fail(reason: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (LABLEDGER_REQUIRE_SERVICES=1 turns this skip into a failure)")
    pytest.skip(reason)


def _pg_admin():  # type: ignore[no-untyped-def]
    try:
        import psycopg
    except ImportError:
        skip_or_fail("psycopg is not installed")
    url = PG_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"PostgreSQL is not reachable at {PG_URL}: {exc}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, private schema."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.fixture(params=["sqlite", "postgres"])
def store_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'labledger.db'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def tracker(store_uri: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    from labledger.services.tracker import Tracker

    t = Tracker.open(store_uri, artifact_uri=(tmp_path / "artifacts").as_uri())
    yield t
    t.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A real ``labledger server`` process that can be stopped and started again."""

    def __init__(
        self,
        data_dir: Path,
        db_uri: str | None = None,
        port: int | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
    ):
        self.args = args or []
        self.data_dir = data_dir
        self.db_uri = db_uri
        self.env = env
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        cmd = [
            sys.executable,
            "-m",
            "labledger.cli",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.data_dir),
        ]
        if self.db_uri:
            cmd += ["--db-uri", self.db_uri]
        if "--auth" not in self.args:  # auth's own tests turn it on (tests/integration/auth)
            cmd += ["--auth", "off"]
        cmd += self.args
        self.log = open(self.data_dir / f"server-{time.time_ns()}.log", "wb")  # noqa: SIM115
        env = {**os.environ, **self.env} if self.env else None
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not become healthy in 30 s")

    def stop(self, *, kill: bool = False) -> None:
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            self.proc.terminate()
        self.proc.wait(timeout=30)
        self.proc = None
        self.log.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    data = tmp_path / "server-data"
    data.mkdir()
    proc = ServerProcess(data)
    proc.start()
    yield proc
    proc.stop()


@pytest.fixture
def api(tmp_path: Path):  # type: ignore[no-untyped-def]
    """The real app in-process (lifespan included) behind an httpx-compatible client."""
    from fastapi.testclient import TestClient

    from labledger.core.settings import Settings
    from labledger.server.app import create_app

    app = create_app(Settings(data_dir=str(tmp_path / "api-data"), auth=False))
    with TestClient(app) as client:
        yield client


class InProcessServer:
    """The real app (lifespan included) in this process, reached by the SDK over HTTP
    through the transport ``TestClient`` holds: no server process, no port, no startup
    wait.  Tests of processes (a server killed, restarted, scaled out) use ``server``."""

    url = "http://testserver"

    def __init__(self, data_dir: Path, http: Any) -> None:
        self.data_dir = data_dir
        self.http = http  # a TestClient: httpx.Client API against the app, for raw REST
        self.transport = http._transport  # what the SDK sends through

    def init(self, **kwargs: Any) -> Any:
        """``ll.init(...)`` against this app."""
        import labledger as ll

        return ll.init(tracking_uri=self.url, _http_transport=self.transport, **kwargs)

    def client(self) -> Any:
        """``ll.Client(...)`` against this app."""
        import labledger as ll

        return ll.Client(self.url, _http_transport=self.transport)


@contextlib.contextmanager
def inprocess_app(data_dir: Path, **settings: Any) -> Iterator[InProcessServer]:
    """``create_app`` on ``data_dir`` (and ``settings``: a ``db_uri``, say), started."""
    from fastapi.testclient import TestClient

    from labledger.core.settings import Settings
    from labledger.server.app import create_app

    data_dir.mkdir(parents=True, exist_ok=True)
    settings.setdefault("auth", False)  # auth's own tests turn it on
    app = create_app(Settings(data_dir=str(data_dir), **settings))
    # a server error is a 500 the SDK sees, as from a real server (not an exception here)
    with TestClient(app, raise_server_exceptions=False) as http:
        yield InProcessServer(data_dir, http)


@pytest.fixture
def inprocess_http(tmp_path: Path) -> Iterator[InProcessServer]:
    """A LabLedger server in this process, for SDK-over-HTTP tests of anything but processes."""
    with inprocess_app(tmp_path / "server-data") as app:
        yield app


class EmbeddedTarget:
    """An embedded store with the same helpers as ``InProcessServer``, for tests of both."""

    def __init__(self, path: Path) -> None:
        self.url = str(path)

    def init(self, **kwargs: Any) -> Any:
        import labledger as ll

        return ll.init(tracking_uri=self.url, **kwargs)

    def client(self) -> Any:
        import labledger as ll

        return ll.Client(self.url)


# -- S3 (a moto server process speaking the S3 protocol) ---------------------------------------
@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """URL of a moto S3 server started for this test session (fake credentials set)."""
    try:
        import boto3  # noqa: F401
        import moto  # noqa: F401
    except ImportError:
        skip_or_fail("boto3 and moto[server] are needed for the S3 tests")
    port = free_port()
    proc = start_moto(port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def start_moto(port: int) -> subprocess.Popen[bytes]:
    """A moto S3 server process on ``port``, answering before this returns."""
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"moto-{port}-{time.time_ns()}.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}", timeout=1)
            return proc
        except httpx.HTTPError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                skip_or_fail(f"the moto S3 server did not start (see {log})")
            time.sleep(0.1)


S3_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture
def s3_bucket(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh bucket on the moto server; returns its name (credentials in the env)."""
    import boto3

    for key, value in S3_ENV.items():
        monkeypatch.setenv(key, value)
    name = f"ll-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=moto_endpoint).create_bucket(Bucket=name)
    return name


@pytest.fixture(params=["file", "s3"])
def blob_uri(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An artifact store URI: a folder, or a prefix in a fresh moto bucket."""
    if request.param == "file":
        return (tmp_path / "blobs").as_uri()
    bucket = request.getfixturevalue("s3_bucket")
    return f"s3://{bucket}/ll-artifacts"


@pytest.fixture
def artifact_tracker(store_uri: str, blob_uri: str, request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A Tracker on each database x each blob store."""
    from labledger.services.tracker import Tracker

    endpoint = request.getfixturevalue("moto_endpoint") if blob_uri.startswith("s3") else None
    t = Tracker.open(store_uri, artifact_uri=blob_uri, s3_endpoint_url=endpoint)
    yield t
    t.close()


def run_sync(spool: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``labledger sync SPOOL`` in its own process, as a user would run it."""
    return subprocess.run(
        [sys.executable, "-m", "labledger.cli", "sync", str(spool)],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_script(code: str, *args: str, spool: Path, timeout: float = 120):  # type: ignore[no-untyped-def]
    """A training script in its own process, spooling into ``spool``."""
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "LABLEDGER_SPOOL_DIR": str(spool)},
    )
