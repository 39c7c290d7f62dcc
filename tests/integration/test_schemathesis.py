"""The server keeps its OpenAPI document: Schemathesis with every check against a real
``labledger server`` process, on SQLite and on PostgreSQL.

``schemathesis run <server>/openapi.json --checks all`` runs from the repository root, so it
reads schemathesis.toml (and through it tests/integration/schemathesis_hooks.py).  The budget
is fixed, so the run is the same every time and fits CI: a seed, a number of examples per
operation, one worker (two would send the same cases at once and race each other), and a
hard timeout.  LABLEDGER_SCHEMATHESIS_EXAMPLES and LABLEDGER_SCHEMATHESIS_SEED widen a run by
hand.  When it finds something, the failures are printed with a curl command for each.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = os.environ.get("LABLEDGER_SCHEMATHESIS_EXAMPLES", "20")
SEED = os.environ.get("LABLEDGER_SCHEMATHESIS_SEED", "1")
TIMEOUT_S = 420


@pytest.fixture(params=["sqlite", "postgres"])
def served(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerProcess]:
    """A server with auth on; ``server.token`` is a server admin's (the fuzzer reaches
    every operation, and the door's 401s are tested in tests/integration/auth)."""
    data = tmp_path / "server-data"
    data.mkdir()
    db_uri = str(request.getfixturevalue("pg_url")) if request.param == "postgres" else None
    store = ["--db-uri", db_uri] if db_uri else ["--data-dir", str(data)]
    cli = [sys.executable, "-m", "labledger.cli"]
    subprocess.run([*cli, "users", "add", "fuzzer", "--admin", *store], check=True)
    made = subprocess.run(
        [*cli, "tokens", "create", "fuzzer", "--scope", "admin", *store],
        check=True,
        capture_output=True,
        text=True,
    )
    listed = subprocess.run(
        [*cli, "tokens", "ls", "fuzzer", "--json", *store],
        check=True,
        capture_output=True,
        text=True,
    )
    server = ServerProcess(data, db_uri=db_uri, args=["--auth", "on"])
    server.token = made.stdout.strip()  # type: ignore[attr-defined]
    server.token_id = json.loads(listed.stdout)[0]["id"]  # type: ignore[attr-defined]
    server.start()
    yield server
    server.stop()


def test_schemathesis_finds_nothing(served: ServerProcess, tmp_path: Path) -> None:
    report = tmp_path / "schemathesis.ndjson"
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        f"{served.url}/openapi.json",
        "--checks=all",
        f"--max-examples={EXAMPLES}",
        f"--seed={SEED}",
        f"--header=Authorization: Bearer {served.token}",  # type: ignore[attr-defined]
        "--workers=1",
        "--no-color",
        "--report=ndjson",
        f"--report-ndjson-path={report}",
    ]
    # Hypothesis keeps its caches in the working directory unless told otherwise
    env = {
        **os.environ,
        "HYPOTHESIS_STORAGE_DIRECTORY": str(tmp_path / "hypothesis"),
        "LABLEDGER_FUZZER_TOKEN_ID": served.token_id,  # type: ignore[attr-defined]
    }
    try:
        run = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"schemathesis ran past {TIMEOUT_S} s:\n{_tail(exc.stdout)}")
    if run.returncode != 0:
        server_log = "".join(p.read_text(errors="replace") for p in served.data_dir.glob("*.log"))
        pytest.fail(
            f"schemathesis exited {run.returncode}: "
            f"{' '.join(command)}\n{_failures(run.stdout)}\n{run.stderr[-3000:]}\n"
            f"-- server log (last 5,000 characters) --\n{server_log[-5000:]}",
            pytrace=False,
        )
    # exit 0 is also an empty suite, or cases without checks: every case generated passed
    counts = re.search(r"(\d+) generated, (\d+) passed", run.stdout)
    assert counts is not None and int(counts[1]) > 0, run.stdout[-3000:]
    assert counts[1] == counts[2], run.stdout[-3000:]


def _failures(output: str) -> str:
    """The FAILURES section and the summary of schemathesis's output, each line cut short."""
    start = output.find("FAILURES")
    text = output[start:] if start >= 0 else output
    lines = [line if len(line) <= 600 else line[:600] + " …" for line in text.splitlines()]
    return "\n".join(lines)[-30_000:]


def _tail(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        output = output.decode(errors="replace")
    return (output or "")[-5000:]
