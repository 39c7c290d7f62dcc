"""MLflow's own clients against a real ``labledger server``: the scenarios in ``scenarios/``
are run by the Python of ``.venv-mlflow3`` (mlflow 3.x) and ``.venv-mlflow2`` (mlflow 2.x),
which ``scripts/setup-mlflow-clients.sh`` creates; a missing client fails the tests, it
never skips them.  Each scenario does many operations in one process (importing mlflow
takes seconds) and prints what it observed as JSON; the tests assert on every value."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ServerProcess

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).resolve().parent / "scenarios"
VERSIONS = ["3", "2"]
PINNED = {"3": "mlflow==3.18.0", "2": "mlflow==2.22.5"}  # scripts/setup-mlflow-clients.sh
SCENARIO_TIMEOUT = 300


def client_python(version: str) -> Path:
    """The MLflow venv's python, or a failed test saying how to make it."""
    venv = ROOT / f".venv-mlflow{version}"
    python = venv / "bin" / "python"
    marker = venv / ".labledger-ready"  # written when the install finished
    if not python.exists() or not marker.exists():
        pytest.fail(
            f"the MLflow {version}.x client is not installed ({venv} is missing or its setup "
            "did not finish): run scripts/setup-mlflow-clients.sh",
            pytrace=False,
        )
    if PINNED[version] not in marker.read_text():
        pytest.fail(
            f"{venv} does not hold {PINNED[version]}: run scripts/setup-mlflow-clients.sh",
            pytrace=False,
        )
    return python


class MlflowRunner:
    """``runner(version, scenario, *args, env=None) -> dict``: the scenario's JSON."""

    def __init__(self, url: str) -> None:
        self.url = url

    def __call__(
        self, version: str, scenario: str, *args: str, env: dict[str, str] | None = None
    ) -> dict[str, Any]:
        python = client_python(version)
        environ = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLFLOW_", "LABLEDGER_")) and k != "PYTHONPATH"
        }
        environ.update(
            {
                "MLFLOW_TRACKING_URI": self.url,
                "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",  # a refusal is seen at once
                "MLFLOW_HTTP_REQUEST_TIMEOUT": "120",
                "MLFLOW_DISABLE_TELEMETRY": "true",
                "DO_NOT_TRACK": "true",
                "GIT_PYTHON_REFRESH": "quiet",
                "PYTHONWARNINGS": "ignore",
            }
        )
        environ.update(env or {})
        script = SCENARIOS / f"{scenario}.py"
        done = subprocess.run(
            [str(python), str(script), self.url, *args],
            capture_output=True,
            text=True,
            timeout=SCENARIO_TIMEOUT,
            env=environ,
            cwd=ROOT,
        )
        if done.returncode != 0:
            pytest.fail(
                f"scenario {scenario} (mlflow {version}) exited {done.returncode}\n"
                f"--- stderr ---\n{done.stderr[-6000:]}\n--- stdout ---\n{done.stdout[-2000:]}",
                pytrace=False,
            )
        lines = done.stdout.strip().splitlines()
        try:
            observed = json.loads(lines[-1])
        except (IndexError, ValueError):
            pytest.fail(
                f"scenario {scenario} (mlflow {version}) printed no JSON last line\n"
                f"--- stdout ---\n{done.stdout[-2000:]}\n--- stderr ---\n{done.stderr[-4000:]}",
                pytrace=False,
            )
        assert isinstance(observed, dict)
        return observed


def start_server(folder: Path, args: list[str] | None = None) -> ServerProcess:
    folder.mkdir(parents=True)
    proc = ServerProcess(folder, args=args)
    proc.start()
    return proc


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server (auth off) for a module's tests; each test uses its own names."""
    proc = start_server(tmp_path_factory.mktemp("mlflow-compat") / "server-data")
    yield proc
    proc.stop()


@pytest.fixture
def mlflow(mlflow_server: ServerProcess) -> MlflowRunner:
    for version in VERSIONS:
        client_python(version)
    return MlflowRunner(mlflow_server.url)


def operator(data_dir: Path, *args: str) -> str:
    """A ``labledger`` operator command on the server's store (users, tokens, projects)."""
    from click.testing import CliRunner

    from labledger.cli.main import cli

    result = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return str(result.output).strip()


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A real server with auth on, with users ana and vic and an API token each
    (``proc.tokens``)."""
    proc = start_server(tmp_path_factory.mktemp("mlflow-auth") / "server-data", ["--auth", "on"])
    try:
        tokens = {}
        for user in ("ana", "vic"):
            operator(proc.data_dir, "users", "add", user)
            tokens[user] = operator(proc.data_dir, "tokens", "create", user, "--label", "mlflow")
        proc.tokens = tokens  # type: ignore[attr-defined]
        yield proc
    finally:
        proc.stop()


@pytest.fixture
def auth_mlflow(auth_server: ServerProcess) -> MlflowRunner:
    for version in VERSIONS:
        client_python(version)
    return MlflowRunner(auth_server.url)
