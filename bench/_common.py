"""Helpers shared by the benchmark scripts.

- the peer: MLflow in its own virtual environment under the cache dir, installed on first use
  with ``python -m venv`` and ``pip install mlflow`` (pip's normal configuration);
- subprocesses that report one ``RESULT {json}`` line on stdout;
- timing (median, percentiles, wall time of fresh processes);
- server processes (LabLedger, MLflow) on a free loopback port, ready when /healthz answers;
- a server's RSS, read from /proc (peak, or sampled over time);
- a scratch PostgreSQL database, dropped afterwards;
- Markdown tables with ratios, so the output can be pasted into docs/benchmarks.md.

Absolute times drift on a shared 2-core machine: every script runs the peer in the same
invocation and prints ratios.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PEERS_DIR = BENCH_DIR / "peers"
REPO = BENCH_DIR.parent
CACHE_DIR = Path(
    os.environ.get("LABLEDGER_BENCH_CACHE") or Path.home() / ".cache" / "labledger-bench"
)
MLFLOW_REQUIREMENT = os.environ.get("LABLEDGER_BENCH_MLFLOW", "mlflow")
PG_ADMIN_URL = os.environ.get("LABLEDGER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
RESULT_PREFIX = "RESULT "


class BenchError(RuntimeError):
    pass


def peak_rss_mib() -> float:
    """This process's peak RSS (VmHWM).  Not getrusage's ru_maxrss: Linux carries that over
    fork and exec, so a child would report its parent's peak as its own."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def note(message: str) -> None:
    """Progress messages go to stderr, results to stdout."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# -- the peer ------------------------------------------------------------------------------
def mlflow_python() -> str:
    """Python of the MLflow venv, created and filled on first use."""
    venv = CACHE_DIR / "mlflow-venv"
    python = venv / "bin" / "python"
    marker = venv / ".labledger-bench-ready"
    if marker.exists():
        return str(python)
    ok = (
        python.exists()
        and subprocess.run([str(python), "-c", "import mlflow"], capture_output=True).returncode
        == 0
    )
    if not ok:
        note(f"creating {venv} and installing {MLFLOW_REQUIREMENT} (first run: a few minutes)")
        venv.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", MLFLOW_REQUIREMENT], check=True
        )
    marker.write_text(MLFLOW_REQUIREMENT + "\n")
    return str(python)


def package_version(python: str, name: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({name!r}))"
    out = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def peer(name: str) -> str:
    return str(PEERS_DIR / name)


def quiet_env(**extra: str) -> dict[str, str]:
    """Environment for child processes: no Python warnings chatter, no stray config."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LABLEDGER_", "MLFLOW_"))}
    env["PYTHONWARNINGS"] = "ignore"
    env.update(extra)
    return env


# -- subprocesses --------------------------------------------------------------------------
def parse_result(stdout: str) -> dict[str, Any]:
    for line in reversed(stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            data: dict[str, Any] = json.loads(line[len(RESULT_PREFIX) :])
            return data
    raise BenchError("no RESULT line in the child's output")


def emit(result: dict[str, Any]) -> None:
    """Called by a child process to report its result."""
    print(RESULT_PREFIX + json.dumps(result), flush=True)


def run_json(
    cmd: Sequence[object],
    *,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
    cwd: str | Path | None = None,
    show_stderr: bool = False,
) -> dict[str, Any]:
    """Run a child that prints ``RESULT {json}``; raise with its stderr tail if it fails.
    ``show_stderr`` lets the child's progress lines through (then no tail on failure)."""
    cmd = [str(c) for c in cmd]
    proc = subprocess.run(
        cmd,
        stdout=subprocess.PIPE,
        stderr=None if show_stderr else subprocess.PIPE,
        text=True,
        env=env or quiet_env(),
        timeout=timeout,
        cwd=cwd or REPO,
    )
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or "").strip().splitlines()[-15:])
        raise BenchError(f"{cmd[1:3]} exited {proc.returncode}:\n{tail}")
    return parse_result(proc.stdout)


def child_cmd(module: str, *args: object) -> list[str]:
    """This venv's python running ``python -m bench.<module> --child ...`` from the repo."""
    return [sys.executable, "-m", f"bench.{module}", "--child", *map(str, args)]


# -- timing --------------------------------------------------------------------------------
def median(xs: Sequence[float]) -> float:
    return statistics.median(xs)


def percentile(xs: Sequence[float], q: float) -> float:
    """Nearest-rank percentile, q in [0, 100]."""
    ordered = sorted(xs)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def process_wall_times(
    cmd: Sequence[str], n: int, *, env: dict[str, str] | None = None
) -> list[float]:
    """Wall seconds of ``n`` fresh runs of a command (one untimed warm-up first)."""
    env = env or quiet_env()
    subprocess.run(list(cmd), check=True, env=env, capture_output=True)
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(list(cmd), check=True, env=env, capture_output=True)
        times.append(time.perf_counter() - t0)
    return times


# -- servers -------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with {proc.returncode} before {url} answered")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    raise BenchError(f"{url} did not answer within {timeout}s")


@contextlib.contextmanager
def server_process(
    cmd: Sequence[str],
    health_url: str,
    log_path: Path,
    env: dict[str, str] | None = None,
    timeout: float = 90,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server in its own process group, wait until ready, stop it (and only it)."""
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            list(cmd),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env or quiet_env(),
            start_new_session=True,
        )
    try:
        wait_http(health_url, proc, timeout)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the group this Popen created, by its id
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def labledger_cli() -> str:
    beside = Path(sys.executable).parent / "labledger"
    return str(beside) if beside.exists() else (shutil.which("labledger") or "labledger")


@contextlib.contextmanager
def labledger_server(
    workdir: Path, *, data_dir: Path | None = None, db_uri: str | None = None
) -> Iterator[str]:
    """A ``labledger server`` on a free port; yields its base URL."""
    port = free_port()
    cmd = [labledger_cli(), "server", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--db-uri", db_uri] if db_uri else ["--data-dir", str(data_dir)]
    # the peers measured beside it ask for no credential either; bench/auth measures what
    # auth (on by default) adds
    cmd += ["--auth", "off"]
    base = f"http://127.0.0.1:{port}"
    with server_process(cmd, f"{base}/healthz", workdir / f"labledger-server-{port}.log"):
        yield base


@contextlib.contextmanager
def mlflow_server(
    workdir: Path, backend_uri: str, *, artifacts_destination: Path | None = None
) -> Iterator[str]:
    """``mlflow server --workers 1`` on a free port; yields its base URL.  With
    ``artifacts_destination`` it serves artifacts itself (``--serve-artifacts``, clients get
    ``mlflow-artifacts:/`` URIs and send the bytes through the server) into that folder."""
    port = free_port()
    mlflow_bin = str(Path(mlflow_python()).parent / "mlflow")
    cmd = [
        mlflow_bin,
        "server",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--backend-store-uri",
        backend_uri,
    ]
    if artifacts_destination is None:
        cmd += ["--default-artifact-root", str(workdir / "mlflow-artifacts")]
    else:
        cmd += ["--serve-artifacts", "--artifacts-destination", str(artifacts_destination)]
    base = f"http://127.0.0.1:{port}"
    with server_process(cmd, f"{base}/health", workdir / f"mlflow-server-{port}.log", timeout=180):
        yield base


def status_mib(pid: int, field: str = "VmHWM") -> float | None:
    """A memory field of /proc/<pid>/status in MiB (VmHWM: peak RSS, VmRSS, RssAnon...)."""
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return None


def listening_pids(base_url: str) -> set[int]:
    """Processes listening on the URL's loopback port (from /proc; empty if none found)."""
    port = int(base_url.rsplit(":", 1)[1].split("/", 1)[0])
    inodes = set()
    for table_name in ("tcp", "tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table_name}").read_text().splitlines()[1:]:
                fields = line.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "0A":
                    inodes.add(f"socket:[{fields[9]}]")  # 0A: listening
    listeners = set()
    for proc in (p for p in Path("/proc").iterdir() if p.name.isdigit()):
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    if os.readlink(fd) in inodes:
                        listeners.add(int(proc.name))
                        break
    return listeners


class RssSampler:
    """Samples VmRSS and RssAnon (MiB) of one process every ``interval`` s in a thread, on
    entry and on exit: ``samples`` is a list of (seconds since ``origin``, VmRSS, RssAnon),
    ``origin`` a ``time.time()`` (default: now) that the sample times are aligned to."""

    def __init__(self, pid: int, interval: float, origin: float | None = None) -> None:
        self.pid, self.interval = pid, interval
        self.t0 = time.monotonic() + ((origin or time.time()) - time.time())
        self.samples: list[tuple[float, float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def sample(self) -> None:
        rss, anon = status_mib(self.pid, "VmRSS"), status_mib(self.pid, "RssAnon")
        if rss is not None and anon is not None:
            self.samples.append((time.monotonic() - self.t0, rss, anon))

    def _loop(self) -> None:
        while not self._stop.wait(self.interval - (time.monotonic() - self.t0) % self.interval):
            self.sample()

    def __enter__(self) -> RssSampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def server_peak_rss(base_url: str) -> dict[str, float] | None:
    """Peak RSS (``VmHWM``, MiB) of a local server, read from /proc before it stops:
    ``serving`` for the process listening on the URL's port, ``group`` summed over every
    process of its process group (``procs`` of them: launchers, job runners).  None if not
    found (no /proc)."""
    listeners = listening_pids(base_url)
    if not listeners:
        return None
    pids = [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]
    serving = max((status_mib(pid) or 0.0) for pid in listeners)
    groups = set()
    for pid in listeners:
        with contextlib.suppress(OSError):
            groups.add(os.getpgid(pid))
    group = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if os.getpgid(pid) in groups and (peak := status_mib(pid)) is not None:
                group.append(peak)
    return {"serving": serving, "group": sum(group), "procs": len(group)}


# -- scratch space -------------------------------------------------------------------------
@contextlib.contextmanager
def scratch_dir(prefix: str, keep: bool = False) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix=f"labledger-bench-{prefix}-"))
    try:
        yield path
    finally:
        if keep:
            note(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def pg_database(prefix: str) -> Iterator[str | None]:
    """A fresh PostgreSQL database (SQLAlchemy URL), dropped afterwards; None if unavailable."""
    try:
        import psycopg
    except ImportError:
        note("psycopg is not installed: skipping PostgreSQL")
        yield None
        return
    name = f"bench_{prefix}_{os.getpid()}"
    try:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        note(f"PostgreSQL at {PG_ADMIN_URL} is not usable ({exc}): skipping it")
        yield None
        return
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- reporting -----------------------------------------------------------------------------
def machine_summary() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    return (
        f"{os.cpu_count()} cores ({cpu}){mem}, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}"
    )


def code_version() -> str:
    """The commit measured, and whether src/ differs from it."""
    git = ["git", "-C", str(REPO)]
    try:
        head = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "src"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"{head}" + (" with uncommitted changes in src/" if dirty else "")


def load_average() -> str:
    """The 1-minute load average now (other sessions' work shares these cores)."""
    with contextlib.suppress(OSError):
        return f"{os.getloadavg()[0]:.1f}"
    return "n/a"


def header(title: str, argv: Sequence[str], load_at_start: str | None = None) -> None:
    """The section's title and facts; with ``load_at_start`` (from ``load_average()`` when
    the measurement began), the load average then and now."""
    now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"## {title}\n")
    print(f"- command: `{' '.join(argv)}`")
    print(f"- date: {now}; LabLedger commit {code_version()}")
    print(f"- machine: {machine_summary()}")
    if load_at_start is not None:
        print(
            f"- load average (1 min) at the start / the end: {load_at_start} / {load_average()}"
            f" on {os.cpu_count()} cores"
        )


def fmt_s(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.2f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def fmt_rate(per_s: float) -> str:
    return f"{per_s:,.0f}/s"


def times_better(ours: float, theirs: float, *, lower_is_better: bool = True) -> str:
    """How many times better LabLedger is than the peer (below 1: worse)."""
    if not ours or not theirs or math.isnan(ours) or math.isnan(theirs):
        return "n/a"
    factor = theirs / ours if lower_is_better else ours / theirs
    return f"{factor:,.1f}×" if factor >= 10 else f"{factor:.2f}×"


def verdict(ok: bool) -> str:
    return "**met**" if ok else "**NOT met**"


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    print()
    print("| " + " | ".join(headers) + " |")
    print("|" + "|".join("---" for _ in headers) + "|")
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    print(flush=True)
