"""Artifacts: a 1 GiB file and 10,000 files of 1 KiB up and down through a server, vs MLflow.

Each case and tool gets a fresh server (``labledger server`` with its data folder;
``mlflow server --workers 1 --serve-artifacts``, a SQLite store and its own artifacts
folder) and two fresh client processes:
  upload    a new run, ``log_artifact`` of the file (or of the folder, to ``small/``), timed
            from the call until the data is confirmed: LabLedger until ``run.finish()``
            returns (it waits for the uploads), MLflow until ``end_run()`` returns
            (``log_artifact(s)`` is synchronous); then, untimed, the server's listing
  download  the file / the folder into a new empty folder, timed
Every downloaded file is then compared with its original by SHA-256, so a fast wrong
result cannot pass.  Reported: time, MB/s (10^6 bytes), files/s, peak RSS of each client
process (``VmHWM``), and of the server (``VmHWM`` of the process on its port, and summed
over its process group).

    .venv/bin/python -m bench.artifacts [--big-mb 1024] [--small-count 10000] [--no-mlflow]
                                        [--no-labledger] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    BenchError,
    child_cmd,
    emit,
    fmt_rate,
    fmt_s,
    header,
    labledger_server,
    mlflow_python,
    mlflow_server,
    note,
    package_version,
    peak_rss_mib,
    peer,
    quiet_env,
    run_json,
    scratch_dir,
    server_peak_rss,
    table,
    times_better,
)

CHUNK = 16 * 2**20
SMALL_SIZE = 1024
CHILD_TIMEOUT = 3600.0
TOOLS = ("LabLedger", "MLflow")


# -- LabLedger side, in fresh processes: python -m bench.artifacts --child MODE ... --------
def child_upload(url: str, src: str, path: str) -> None:
    import labledger as ll
    from labledger import Client

    run = ll.init(project="bench-artifacts", name=Path(src).name, tracking_uri=url)
    t0 = time.perf_counter()
    if path:
        run.log_artifact(src, path=path)
    else:
        run.log_artifact(src)
    t_call = time.perf_counter()
    run.finish()
    t_end = time.perf_counter()
    entries = Client(tracking_uri=url).list_artifacts(run.id, path=path)
    states: dict[str, int] = {}
    for e in entries:
        state = str(getattr(e.state, "value", e.state))
        states[state] = states.get(state, 0) + 1
    emit(
        {
            "run_id": run.id,
            "call_s": t_call - t0,
            "finish_s": t_end - t_call,
            "upload_s": t_end - t0,
            "listed": len(entries),
            "listed_bytes": sum(e.size or 0 for e in entries),
            "states": states,
            "max_rss_mib": peak_rss_mib(),
        }
    )


def child_download(url: str, run_id: str, path: str, dest: str) -> None:
    from labledger import Client

    t0 = time.perf_counter()
    returned = Client(tracking_uri=url).download_artifacts(run_id, path=path, dest=dest)
    elapsed = time.perf_counter() - t0
    emit(
        {
            "download_s": elapsed,
            "returned": None if returned is None else str(returned),
            "max_rss_mib": peak_rss_mib(),
        }
    )


def child(argv: list[str]) -> None:
    mode, rest = argv[0], argv[1:]
    if mode == "upload":
        child_upload(*rest)
    elif mode == "download":
        child_download(*rest)
    else:
        raise SystemExit(f"unknown child mode {mode!r}")


# -- data and checks ------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(CHUNK):
            h.update(block)
    return h.hexdigest()


def make_big(path: Path, mb: int) -> dict[str, str]:
    """``mb`` MiB of random bytes, written in chunks; {file name: sha256}."""
    path.parent.mkdir(parents=True, exist_ok=True)
    h = hashlib.sha256()
    left = mb * 2**20
    with open(path, "wb") as f:
        while left:
            block = os.urandom(min(CHUNK, left))
            h.update(block)
            f.write(block)
            left -= len(block)
    return {path.name: h.hexdigest()}


def make_small(folder: Path, count: int) -> dict[str, str]:
    """``count`` files of 1 KiB of random bytes in one folder; {relative path: sha256}."""
    folder.mkdir(parents=True)
    digests = {}
    for i in range(count):
        name = f"f{i:05d}.bin"
        block = os.urandom(SMALL_SIZE)
        (folder / name).write_bytes(block)
        digests[name] = hashlib.sha256(block).hexdigest()
    return digests


def tree_digests(root: Path) -> dict[str, str]:
    if root.is_file():
        return {root.name: sha256_file(root)}
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in root.rglob("*") if p.is_file()}


def verify(expected: dict[str, str], root: Path) -> str:
    """'yes' when the files under ``root`` are exactly the expected ones, byte for byte."""
    if not root.exists():
        return f"NO ({root.name} not found)"
    got = tree_digests(root)
    missing = len(expected.keys() - got.keys())
    extra = len(got.keys() - expected.keys())
    differ = sum(1 for k in expected.keys() & got.keys() if got[k] != expected[k])
    if missing == extra == differ == 0:
        return "yes"
    return f"NO ({missing} missing, {extra} unexpected, {differ} differ)"


def folder_bytes(root: Path) -> tuple[int, int]:
    """(bytes, files) under a folder, whatever the layout."""
    total = files = 0
    for dirpath, _, names in os.walk(root):
        for name in names:
            total += os.path.getsize(os.path.join(dirpath, name))
            files += 1
    return total, files


# -- one case, one tool ---------------------------------------------------------------------
class Case:
    def __init__(
        self, key: str, label: str, src: Path, artifact_path: str, digests: dict[str, str]
    ) -> None:
        self.key, self.label, self.src = key, label, src
        self.artifact_path = artifact_path  # where it lands in the run
        self.digests = digests
        self.files = len(digests)
        self.nbytes = sum(
            p.stat().st_size for p in (src.rglob("*") if src.is_dir() else [src]) if p.is_file()
        )


def labledger_side(case: Case, work: Path) -> dict[str, Any]:
    base = work / f"ll-{case.key}"
    data, dest = base / "server", base / "download"
    env = quiet_env(LABLEDGER_SPOOL_DIR=str(base / "spool"))
    with labledger_server(base.parent, data_dir=data) as url:
        note(f"LabLedger: upload {case.label}")
        up_path = "" if case.src.is_file() else case.artifact_path
        up = run_json(
            child_cmd("artifacts", "upload", url, case.src, up_path), env=env, timeout=CHILD_TIMEOUT
        )
        note(f"LabLedger: download {case.label}")
        down = run_json(
            child_cmd("artifacts", "download", url, up["run_id"], case.artifact_path, dest),
            env=env,
            timeout=CHILD_TIMEOUT,
        )
        server = server_peak_rss(url)
    # file -> dest/<name>; folder -> dest/<files>
    local = dest / case.artifact_path if case.src.is_file() else dest
    return finish_side(case, up, down, local, server, data / "artifacts", base)


def mlflow_side(case: Case, work: Path, mpy: str) -> dict[str, Any]:
    base = work / f"ml-{case.key}"
    base.mkdir()
    store, dest = base / "artifacts", base / "download"
    env = quiet_env(MLFLOW_HTTP_REQUEST_TIMEOUT="3600", MLFLOW_HTTP_REQUEST_MAX_RETRIES="0")
    with mlflow_server(base, f"sqlite:///{base / 'mlflow.db'}", artifacts_destination=store) as url:
        note(f"MLflow: upload {case.label}")
        cmd = [
            mpy,
            peer("mlflow_artifacts.py"),
            "upload",
            "--uri",
            url,
            "--src",
            case.src,
            "--name",
            case.key,
        ]
        if not case.src.is_file():
            cmd += ["--artifact-path", case.artifact_path]
        up = run_json(cmd, env=env, timeout=CHILD_TIMEOUT)
        if not str(up.get("artifact_uri", "")).startswith("mlflow-artifacts:"):
            raise BenchError(
                f"MLflow run's artifact URI {up.get('artifact_uri')!r} does not "
                "go through the server"
            )
        note(f"MLflow: download {case.label}")
        down = run_json(
            [
                mpy,
                peer("mlflow_artifacts.py"),
                "download",
                "--uri",
                url,
                "--run-id",
                up["run_id"],
                "--artifact-path",
                case.artifact_path,
                "--dest",
                dest,
            ],
            env=env,
            timeout=CHILD_TIMEOUT,
        )
        server = server_peak_rss(url)
    return finish_side(case, up, down, Path(down["local_path"]), server, store, base)


def finish_side(
    case: Case,
    up: dict[str, Any],
    down: dict[str, Any],
    local: Path,
    server: dict[str, float] | None,
    store: Path,
    base: Path,
) -> dict[str, Any]:
    note(f"verifying {local}")
    stored_bytes, stored_files = folder_bytes(store)
    result = {
        "up": up,
        "down": down,
        "verified": verify(case.digests, local),
        "server_rss": server or {},
        "stored_bytes": stored_bytes,
        "stored_files": stored_files,
    }
    shutil.rmtree(base, ignore_errors=True)  # keep the scratch disk small between runs
    return result


def attempt(label: str, fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run one side; a failure is reported in the output instead of ending the benchmark."""
    try:
        return fn()
    except (BenchError, subprocess.TimeoutExpired) as exc:
        note(f"{label} FAILED: {exc}")
        return {"error": str(exc)}


# -- report ---------------------------------------------------------------------------------
def mb_s(nbytes: int, seconds: float) -> float:
    return nbytes / 1e6 / seconds


def fmt_mb_s(x: float) -> str:
    if x < 1:
        return f"{x:.3f} MB/s"
    return f"{x:,.1f} MB/s" if x < 100 else f"{x:,.0f} MB/s"


def cell(side: dict[str, Any], value: Any, fmt: Callable[[Any], str]) -> str:
    if not side:
        return "not run"
    if "error" in side:
        return "failed"
    return "" if value is None else fmt(value)


def mib(x: float | None) -> str:
    return "" if x is None else f"{x:,.0f} MiB"


def case_table(case: Case, res: dict[str, dict[str, Any]]) -> None:
    ll, ml = res.get("LabLedger", {}), res.get("MLflow", {})
    rows: list[list[object]] = []

    def get(r: dict[str, Any], *keys: str) -> Any:
        for k in keys:
            if not isinstance(r, dict) or k not in r:
                return None
            r = r[k]
        return r

    def add(
        name: str,
        keys: tuple[str, ...],
        fmt: Callable[[Any], str],
        lower_is_better: bool | None = True,
        derive: Callable[[Any], float] | None = None,
    ) -> None:
        a, b = get(ll, *keys), get(ml, *keys)
        if derive is not None:
            a = None if a is None else derive(a)
            b = None if b is None else derive(b)
        ratio = ""
        if lower_is_better is not None and a is not None and b is not None:
            ratio = times_better(a, b, lower_is_better=lower_is_better)
        rows.append([name, cell(ll, a, fmt), cell(ml, b, fmt), ratio])

    def rate_mb(s: float) -> float:
        return mb_s(case.nbytes, s)

    def files_per_s(s: float) -> float:
        return case.files / s

    add("upload: call → confirmed", ("up", "upload_s"), fmt_s)
    add("upload throughput", ("up", "upload_s"), fmt_mb_s, False, rate_mb)
    if case.files > 1:
        add("upload files/s", ("up", "upload_s"), fmt_rate, False, files_per_s)
    add("  of which the `log_artifact` call", ("up", "call_s"), fmt_s, None)
    add("  of which `finish()` / `end_run()`", ("up", "finish_s"), fmt_s, None)
    add("download", ("down", "download_s"), fmt_s)
    add("download throughput", ("down", "download_s"), fmt_mb_s, False, rate_mb)
    if case.files > 1:
        add("download files/s", ("down", "download_s"), fmt_rate, False, files_per_s)
    add("client peak RSS, upload process", ("up", "max_rss_mib"), mib)
    add("client peak RSS, download process", ("down", "max_rss_mib"), mib)
    add("server peak RSS, process serving the port", ("server_rss", "serving"), mib)
    add("server peak RSS, all its processes (sum)", ("server_rss", "group"), mib, None)
    add("  processes", ("server_rss", "procs"), lambda n: f"{n:.0f}", None)
    add("entries listed by the server after upload", ("up", "listed"), lambda n: f"{n:,}", None)
    add("server's artifact folder", ("stored_bytes",), lambda n: f"{n / 1e6:,.1f} MB", None)
    add("files in it", ("stored_files",), lambda n: f"{n:,}", None)
    rows.append(
        [
            "download identical to the original (SHA-256 of every file)",
            cell(ll, ll.get("verified"), str),
            cell(ml, ml.get("verified"), str),
            "",
        ]
    )
    print(f"\n### {case.label}\n")
    table(["measure", "LabLedger", "MLflow", "LabLedger better by"], rows)
    states = get(ll, "up", "states")
    if states:
        print(
            "LabLedger entry states after `finish()`: "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(states.items()))
            + ".\n"
        )
    for tool in TOOLS:
        if "error" in res.get(tool, {}):
            print(f"{tool} failed:\n\n```\n{res[tool]['error']}\n```\n")


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--big-mb", type=int, default=1024, help="MiB of the big file")
    parser.add_argument("--small-count", type=int, default=10_000, help="1 KiB files")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--no-labledger", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    mpy = None if a.no_mlflow else mlflow_python()
    tools = [t for t, off in zip(TOOLS, (a.no_labledger, a.no_mlflow), strict=True) if not off]
    results: dict[str, dict[str, dict[str, Any]]] = {}
    with scratch_dir("artifacts", keep=a.keep) as work:
        src = work / "src"
        note(f"writing {a.big_mb:,} MiB of random bytes and {a.small_count:,} files of 1 KiB")
        t0 = time.perf_counter()
        cases = [
            Case(
                "big",
                f"One file of {a.big_mb:,} MiB",
                src / "big.bin",
                "big.bin",
                make_big(src / "big.bin", a.big_mb),
            ),
            Case(
                "small",
                f"{a.small_count:,} files of 1 KiB in one folder",
                src / "small",
                "small",
                make_small(src / "small", a.small_count),
            ),
        ]
        note(f"data written in {fmt_s(time.perf_counter() - t0)}")
        for case in cases:
            results[case.key] = {}
            for tool in tools:
                if tool == "LabLedger":

                    def fn(case: Case = case) -> dict[str, Any]:
                        return labledger_side(case, work)
                else:

                    def fn(case: Case = case) -> dict[str, Any]:
                        assert mpy is not None
                        return mlflow_side(case, work, mpy)

                results[case.key][tool] = attempt(f"{tool} {case.label}", fn)

    header("Artifacts (bench/artifacts.py)", ["python", "-m", "bench.artifacts", *sys.argv[1:]])
    if mpy:
        print(
            f"- peer: mlflow {package_version(mpy, 'mlflow')} (own venv), `mlflow server "
            "--workers 1 --serve-artifacts --artifacts-destination <folder>` over a SQLite "
            "store: the client gets `mlflow-artifacts:/` URIs and sends every byte through "
            "the server"
        )
    print(
        "- LabLedger: `labledger server --data-dir <folder>` (blobs in `<folder>/artifacts`), "
        "client spool in the scratch folder"
    )
    print(
        "- a fresh server per case and tool, one fresh client process for the upload and "
        "one for the download (peak RSS per process, `VmHWM`); server peak RSS: "
        "`VmHWM` of the process listening on the port, and summed over its process group "
        "(for MLflow also the `mlflow server` launcher, its job runner and huey consumers), "
        "over upload and download"
    )
    print(
        "- upload: from the `log_artifact` call until the data is confirmed (LabLedger: "
        "`run.finish()` returns, it waits for the uploads; MLflow: `log_artifact(s)` is "
        "synchronous, then `end_run()`); download: `Client.download_artifacts` / "
        "`mlflow.artifacts.download_artifacts` into an empty folder"
    )
    print(
        "- MB = 10^6 bytes; one measurement per cell (a second upload of the same bytes "
        "would not be comparable: LabLedger stores content once); data from `os.urandom`; "
        "the source files and the server's store fit in the page cache, so this measures "
        "the software more than the disk"
    )
    for case in cases:
        case_table(case, results[case.key])


if __name__ == "__main__":
    main()
