"""Dataset digests: ``file_digest`` of a 2 GiB file vs ``sha256sum``, ``log_dataset`` of a
1 GB CSV vs ``sha256sum`` + ``wc -l``, ``folder_digest`` of 10,000 small files vs a
``find | sort | xargs sha256sum | sha256sum`` pipeline, and what MLflow's dataset digest covers.

Bar (issue 6): a dataset digest of a 2 GB file at no less than 80 % of sha256sum's speed on
the same file.

Setup, in a temporary folder: a file of random bytes (one 64 MiB ``os.urandom`` block
repeated), a CSV of whole rows just under 1 GB (``describe()`` counts rows up to 1 GiB) and
10 folders of 1,000 files of 512 B to 4 KiB.

(a) warm page cache (the file read once first): ``sha256sum FILE``, ``openssl dgst -sha256``
    (the library ``hashlib`` uses, for reference), ``file_digest`` in a fresh Python process
    (interpreter start and import counted) and in this process; the sides take turns, median
    of ``--n``; wall time and CPU time (user + sys) of each.
(b) cold: the same, each run after the file's pages are evicted (``posix_fadvise
    DONTNEED``, checked with ``fincore``; ``--drop-caches`` drops the whole page cache
    instead, as root).
(c) where ``file_digest``'s time goes: block sizes, ``hashlib.file_digest``, ``mmap``, and
    hashing from memory with no I/O, in this process.
(d) ``run.log_dataset`` of the CSV (digest, header, row count) in a fresh process vs
    ``sha256sum`` + ``wc -l``; ``describe()`` (one read: digest and newlines) and
    ``file_digest`` alone, in this process.
(e) ``folder_digest`` vs the shell pipeline, in a fresh process and in this process.
(f) MLflow (own venv): what its digest covers for a file and for a pandas DataFrame.

Every digest is checked against ``sha256sum``'s; a mismatch ends the benchmark.

    .venv/bin/python -m bench.datasets [--quick] [--size-mb 2048] [--csv-mb 1000]
                                       [--files 10000] [--n 5] [--drop-caches]
                                       [--no-mlflow] [--keep]
"""

from __future__ import annotations

import argparse
import hashlib
import mmap
import os
import random
import resource
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
    PEERS_DIR,
    BenchError,
    fmt_s,
    header,
    median,
    mlflow_python,
    note,
    package_version,
    parse_result,
    quiet_env,
    run_json,
    scratch_dir,
    table,
    times_better,
    verdict,
)

BAR = 0.80
BLOCK = 64 << 20
CSV_LIMIT = 1 << 30  # labledger.sdk.datasets.CSV_ROW_COUNT_LIMIT
CSV_HEADER = b"id,feature_a,feature_b,count,label\n"
SHA = "`sha256sum FILE`"
FRESH = "`file_digest`, fresh Python process"
SHA_WC = "`sha256sum FILE; wc -l FILE`"

DIGEST_SCRIPT = """\
import json, sys, time
from pathlib import Path
from labledger.sdk.datasets import file_digest, folder_digest
c0, t0 = time.process_time(), time.perf_counter()
path = Path(sys.argv[1])
if path.is_dir():
    digest, size, files = folder_digest(path)
else:
    (digest, size), files = file_digest(path), 1
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
print("RESULT " + json.dumps({"digest": digest, "size": size, "seconds": seconds, "cpu": cpu}))
"""

LOG_DATASET_SCRIPT = """\
import json, sys, time
import labledger as ll
run = ll.init(project="bench-datasets", tracking_uri=sys.argv[2])
c0, t0 = time.process_time(), time.perf_counter()
ref = run.log_dataset(sys.argv[1], name="table", role="training")
seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
run.finish()
print("RESULT " + json.dumps({"seconds": seconds, "cpu": cpu, "digest": ref.digest,
                              "rows": ref.rows, "columns": len(ref.schema or [])}))
"""


# -- data -----------------------------------------------------------------------------------
def write_synced(path: Path, blocks: Callable[[], Any]) -> None:
    with open(path, "wb") as f:
        for block in blocks():
            f.write(block)
        f.flush()
        os.fsync(f.fileno())  # clean pages, so they can be evicted


def make_big(path: Path, mib: int) -> None:
    block = os.urandom(BLOCK)
    left = mib << 20

    def blocks() -> Any:
        nonlocal left
        while left:
            yield memoryview(block)[: min(BLOCK, left)]
            left -= min(BLOCK, left)

    write_synced(path, blocks)


def make_csv(path: Path, target: int) -> int:
    """Whole rows up to ``target`` bytes (with the header); returns the row count."""
    rng = random.Random(6)
    lines = [
        f"{i},{rng.random():.6f},{rng.random():.6f},{rng.randrange(10**6)},{rng.choice('ab')}\n"
        for i in range(100_000)
    ]
    block = "".join(lines).encode()
    repeats = max(1, (target - len(CSV_HEADER)) // len(block))
    write_synced(path, lambda: [CSV_HEADER, *([block] * repeats)])
    return repeats * len(lines)


def make_folder(folder: Path, count: int) -> None:
    rng = random.Random(7)
    for i in range(count):
        sub = folder / f"d{i // 1000:02d}"
        sub.mkdir(parents=True, exist_ok=True)
        (sub / f"f{i:05d}.bin").write_bytes(os.urandom(rng.randrange(512, 4097)))


def warm(path: Path) -> None:
    with open(path, "rb", buffering=0) as f:
        while f.read(BLOCK):
            pass


def resident_pages(path: Path) -> int | None:
    if not shutil.which("fincore"):
        return None
    out = subprocess.run(
        ["fincore", "--raw", "-n", "-o", "PAGES", str(path)], capture_output=True, text=True
    )
    return int(out.stdout.split()[0]) if out.returncode == 0 else None


class Evictor:
    """Takes a file's pages out of the page cache: only this file's (``posix_fadvise``), or
    every file's (``drop_caches``, root only) when asked; ``method`` says what was done."""

    def __init__(self, drop_caches: bool) -> None:
        self.global_drop = drop_caches
        self.method = "`posix_fadvise(POSIX_FADV_DONTNEED)` on the file"
        self.resident: list[int | None] = []

    def __call__(self, path: Path) -> None:
        if self.global_drop:
            os.sync()
            try:
                Path("/proc/sys/vm/drop_caches").write_text("3\n")
                self.method = "`sync; echo 3 > /proc/sys/vm/drop_caches` (whole page cache)"
            except OSError as exc:
                self.global_drop = False
                self.method = (
                    f"`posix_fadvise(POSIX_FADV_DONTNEED)` on the file (`drop_caches` "
                    f"refused: {exc.strerror})"
                )
        if not self.global_drop:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
            finally:
                os.close(fd)
        self.resident.append(resident_pages(path))


# -- timing ---------------------------------------------------------------------------------
Sample = tuple[float, float, dict[str, Any]]  # wall s, CPU s, what the side reported
Side = Callable[[], Sample]


def process(
    cmd: list[str],
    parse: Callable[[str], dict[str, Any]],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    call: bool = False,
) -> Side:
    """A side that runs a fresh process: its wall time and its (and its children's) CPU, or
    with ``call`` the time and CPU the child reports for the call it times."""

    def side() -> Sample:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env or quiet_env(), cwd=cwd)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if proc.returncode != 0:
            raise BenchError(f"{cmd} exited {proc.returncode}: {proc.stderr.strip()[-500:]}")
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        out = parse(proc.stdout)
        return (out["seconds"], out["cpu"], out) if call else (wall, cpu, out)

    return side


def in_process(fn: Callable[[], dict[str, Any]]) -> Side:
    def side() -> Sample:
        c0, t0 = time.process_time(), time.perf_counter()
        out = fn()
        return time.perf_counter() - t0, time.process_time() - c0, out

    return side


def first_word(stdout: str) -> dict[str, Any]:
    return {"digest": stdout.split()[0]}


def take_turns(
    sides: dict[str, Side], n: int, before: Callable[[], None] | None = None
) -> dict[str, list[Sample]]:
    """``n`` rounds, each side once per round in turn (``before`` ahead of every run); each
    round starts one side later, so no side always runs first or right after another."""
    samples: dict[str, list[Sample]] = {name: [] for name in sides}
    names = list(sides)
    for i in range(n):
        order = names[i % len(names) :] + names[: i % len(names)]
        note(f"round {i + 1}/{n}: {', '.join(order)}")
        for name in order:
            if before:
                before()
            samples[name].append(sides[name]())
    return samples


def check(samples: dict[str, list[Sample]], key: str, expected: object, what: str) -> None:
    for name, runs in samples.items():
        for _, _, out in runs:
            if key in out and out[key] != expected:
                raise BenchError(f"{what}: {name} gave {out[key]!r}, sha256sum {expected!r}")


# -- the parts ------------------------------------------------------------------------------
def file_sides(path: Path) -> dict[str, Side]:
    from labledger.sdk.datasets import file_digest

    sides = {
        SHA: process(["sha256sum", str(path)], first_word),
        "`openssl dgst -sha256 FILE`": process(
            ["openssl", "dgst", "-sha256", "-r", str(path)], first_word
        ),
        FRESH: process([sys.executable, "-c", DIGEST_SCRIPT, str(path)], parse_result),
        "`file_digest`, in this process": in_process(lambda: {"digest": file_digest(path)[0]}),
    }
    if not shutil.which("openssl"):
        del sides["`openssl dgst -sha256 FILE`"]
    return sides


def readinto_digest(path: Path, block: int) -> str:
    h = hashlib.sha256()
    buf = bytearray(block)
    view = memoryview(buf)
    with open(path, "rb", buffering=0) as f:
        while n := f.readinto(buf):
            h.update(view[:n])
    return h.hexdigest()


def variant_sides(path: Path, size: int) -> dict[str, Side]:
    from labledger.sdk.datasets import BLOCK as LL_BLOCK
    from labledger.sdk.datasets import file_digest

    def mmap_digest() -> str:
        with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
            return hashlib.sha256(m).hexdigest()

    def file_digest_stdlib() -> str:
        with open(path, "rb") as f:
            return hashlib.file_digest(f, "sha256").hexdigest()

    def memory_only() -> str:  # the hash alone: the same bytes count from one buffer
        block = memoryview(bytearray(os.urandom(1 << 20)) * (LL_BLOCK >> 20))
        h = hashlib.sha256()
        for start in range(0, size, LL_BLOCK):
            h.update(block[: min(LL_BLOCK, size - start)])
        return ""

    variants: dict[str, Callable[[], str]] = {
        f"`file_digest` as is (`readinto` {LL_BLOCK >> 20} MiB, unbuffered)": lambda: file_digest(
            path
        )[0],
        "`readinto` 1 MiB": lambda: readinto_digest(path, 1 << 20),
        "`readinto` 128 KiB": lambda: readinto_digest(path, 128 << 10),
        "`hashlib.file_digest` (256 KiB `readinto`)": file_digest_stdlib,
        "`mmap` + one `update`": mmap_digest,
        "hash only, from memory (no I/O)": memory_only,
    }

    def side(fn: Callable[[], str]) -> Side:
        def out() -> dict[str, Any]:
            digest = fn()
            return {"digest": digest} if digest else {}  # "": nothing to check

        return in_process(out)

    return {name: side(fn) for name, fn in variants.items()}


def csv_sides(path: Path, store: Path) -> dict[str, Side]:
    from labledger.sdk.datasets import describe, file_digest

    return {
        SHA_WC: process(
            ["sh", "-c", 'sha256sum "$1" && wc -l < "$1"', "sh", str(path)],
            lambda out: {"digest": out.split()[0], "rows": int(out.split()[-1]) - 1},
        ),
        "`run.log_dataset` call, fresh Python process": process(
            [sys.executable, "-c", LOG_DATASET_SCRIPT, str(path), str(store)],
            parse_result,
            env=quiet_env(LABLEDGER_CAPTURE="none"),  # ll.init() is not timed anyway
            call=True,
        ),
        "`describe()`, in this process": in_process(
            lambda: {"rows": describe(path, name="t", role="training").rows}
        ),
        "  of which `file_digest`": in_process(lambda: {"digest": file_digest(path)[0]}),
    }


def folder_sides(folder: Path) -> dict[str, Side]:
    from labledger.sdk.datasets import folder_digest

    pipeline = "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum"
    return {
        f"`{pipeline}`": process(["sh", "-c", pipeline], first_word, cwd=folder),
        "`folder_digest`, fresh Python process": process(
            [sys.executable, "-c", DIGEST_SCRIPT, str(folder)],
            lambda out: {"manifest": parse_result(out)["digest"]},
        ),
        "`folder_digest`, in this process": in_process(
            lambda: {"manifest": folder_digest(folder)[0]}
        ),
    }


def manifest_from_sha256sum(folder: Path) -> str:
    """LabLedger's manifest digest rebuilt from ``sha256sum``'s per-file digests."""
    out = subprocess.run(
        "find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum",
        shell=True,
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = []
    for line in out.splitlines():
        digest, rel = line.split("  ", 1)
        rel = rel.removeprefix("./")
        lines.append(f"{digest}  {(folder / rel).stat().st_size}  {rel}\n")
    lines.sort(key=lambda line: line.split("  ", 2)[2])
    return hashlib.sha256("".join(lines).encode()).hexdigest()


# -- report ---------------------------------------------------------------------------------
def rate_table(
    samples: dict[str, list[Sample]], nbytes: int, ref: str, label: str, unit: str = "MB/s"
) -> dict[str, float]:
    """Median wall, MB/s (or files/s), median CPU and speed relative to ``ref``; returns
    the median walls."""
    walls = {name: median([s[0] for s in runs]) for name, runs in samples.items()}
    rows = []
    for name, runs in samples.items():
        wall = walls[name]
        rate = f"{nbytes / 1e6 / wall:,.0f}" if unit == "MB/s" else f"{nbytes / wall:,.0f}"
        cpu = fmt_s(median([s[1] for s in runs]))
        rows.append(
            [name.replace("|", "\\|"), fmt_s(wall), rate, cpu, times_better(wall, walls[ref])]
        )
    table(["side", "median wall", unit, "median CPU", f"speed vs {label}"], rows)
    return walls


def tool_versions() -> str:
    def first_line(cmd: list[str]) -> str:
        out = subprocess.run(cmd, capture_output=True, text=True)
        return out.stdout.splitlines()[0] if out.returncode == 0 else "n/a"

    import ssl

    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    return (
        f"{first_line(['sha256sum', '--version'])}; {first_line(['openssl', 'version'])}; "
        f"Python's `hashlib`: {ssl.OPENSSL_VERSION}; CPU SHA extensions (`sha_ni`): "
        f"{'yes' if ' sha_ni' in flags else 'no'}"
    )


def report_mlflow(mpy: str, csv: Path, work: Path) -> None:
    r = run_json([mpy, PEERS_DIR / "mlflow_datasets.py", csv, work], timeout=600)
    p = r["pandas"]
    print(f"\n### (f) MLflow {package_version(mpy, 'mlflow')}: what its dataset digest covers\n")
    print(
        f"- A file: MLflow resolves a path to a `{r['source_type']}` and wraps it in a "
        "`MetaDataset`, whose digest is the SHA-256 of the name, source URI, source type "
        f"and schema, cut to 8 hex digits ({fmt_s(r['meta_s'])}); it does not read the file. "
        f"Digest before and after the file's content changed: `{r['meta'][0]}`, "
        f"`{r['meta'][1]}` ({'same' if r['meta'][0] == r['meta'][1] else 'different'})."
    )
    print(
        "- A DataFrame (`mlflow.data.from_pandas`, after `pd.read_csv`): MD5 of "
        "`hash_pandas_object` over the first 10,000 rows, the row count and the column "
        f"names, cut to 8 hex digits ({fmt_s(r['pandas_s'])} for 20,000 rows of this CSV). "
        f"A value changed in row 5,000: `{p['base']}` → `{p['row_5000']}`; in row 15,000: "
        f"`{p['base']}` → `{p['row_15000']}` "
        f"({'not detected' if p['base'] == p['row_15000'] else 'detected'})."
    )
    print(
        "- So MLflow has no full-file (or full-data) digest to time against: the comparison "
        "above is with `sha256sum` only.\n"
    )


# -- main -----------------------------------------------------------------------------------
def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small data, 3 rounds")
    parser.add_argument("--size-mb", type=int, default=None, help="MiB of the big file (2048)")
    parser.add_argument("--csv-mb", type=int, default=None, help="MB of the CSV (1000)")
    parser.add_argument("--files", type=int, default=None, help="small files (10000)")
    parser.add_argument("--n", type=int, default=None, help="rounds (5; cold: 3)")
    parser.add_argument("--drop-caches", action="store_true", help="cold: whole page cache")
    parser.add_argument("--no-mlflow", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    a.size_mb = a.size_mb or (256 if a.quick else 2048)
    a.csv_bytes = min((a.csv_mb or (100 if a.quick else 1000)) * 10**6, CSV_LIMIT)
    a.files = a.files or (1000 if a.quick else 10_000)
    a.n = a.n or (3 if a.quick else 5)
    a.n_cold = min(a.n, 1 if a.quick else 3)
    return a


def measure(a: argparse.Namespace, work: Path, evict: Evictor) -> dict[str, Any]:
    """Write the data, run parts (a) to (e) and check every digest; the samples by part."""
    big, csv, folder = work / "big.bin", work / "table.csv", work / "folder"
    note(f"writing {a.size_mb:,} MiB, a CSV of {a.csv_bytes / 1e6:,.0f} MB, {a.files:,} files")
    make_big(big, a.size_mb)
    r: dict[str, Any] = {"rows": make_csv(csv, a.csv_bytes), "csv": csv}
    make_folder(folder, a.files)
    r["size"], r["csv_size"] = big.stat().st_size, csv.stat().st_size
    r["folder_bytes"] = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    warm(big)
    note("(a) warm cache")
    sides = file_sides(big)
    r["hot"] = take_turns(sides, a.n)
    expected = r["hot"][SHA][0][2]["digest"]
    check(r["hot"], "digest", expected, "2 GiB file digest")
    note("(b) cold cache")
    r["cold"] = take_turns(sides, a.n_cold, before=lambda: evict(big))
    check(r["cold"], "digest", expected, "2 GiB file digest, cold")
    warm(big)
    note("(c) variants")
    r["variants"] = take_turns(variant_sides(big, r["size"]), max(1, a.n - 2))
    check(r["variants"], "digest", expected, "variant")
    big.unlink()  # 2 GiB less on the scratch disk from here on

    warm(csv)
    note("(d) CSV")
    r["csv_samples"] = samples = take_turns(csv_sides(csv, work / "store"), a.n)
    check(samples, "rows", r["rows"], "CSV rows")
    check(samples, "digest", samples[SHA_WC][0][2]["digest"], "CSV digest")
    note("(e) folder")
    r["folder_samples"] = take_turns(folder_sides(folder), a.n)
    check(r["folder_samples"], "manifest", manifest_from_sha256sum(folder), "folder manifest")
    return r


def report_file(a: argparse.Namespace, r: dict[str, Any], evict: Evictor) -> None:
    """The header and parts (a) to (c)."""
    header("Dataset digests (bench/datasets.py)", ["python", "-m", "bench.datasets", *sys.argv[1:]])
    print(f"- tools: {tool_versions()}")
    print(
        f"- data: one file of {a.size_mb:,} MiB (a 64 MiB `os.urandom` block repeated); a "
        f"CSV of {r['csv_size'] / 1e6:,.1f} MB, {r['rows']:,} rows of 5 columns; "
        f"{a.files:,} files of 512 B–4 KiB in {(a.files + 999) // 1000} folders "
        f"({r['folder_bytes'] / 1e6:,.1f} MB)"
    )
    print(
        f"- the sides take turns, {a.n} rounds (cold: {a.n_cold}), each round starting one side "
        "later; medians; MB = 10^6 bytes; "
        "CPU = user + sys of the process and its children (`getrusage`), or of this "
        "process; every digest is checked against `sha256sum`'s (all equal)"
    )

    print(f"\n### (a) {a.size_mb:,} MiB file, page cache warm\n")
    walls = rate_table(r["hot"], r["size"], SHA, "`sha256sum`")
    sha, fresh = walls[SHA], walls[FRESH]
    call = median([s[2]["seconds"] for s in r["hot"][FRESH]])
    print(
        f"The fresh process spends {fmt_s(fresh - call)} outside the `file_digest` call "
        f"(interpreter start, imports). Bar: LabLedger's fresh process at no less than "
        f"{BAR:.0%} of `sha256sum`'s speed: {verdict(sha / fresh >= BAR)} "
        f"({sha / fresh:.2f})"
        + ("" if a.size_mb == 2048 else f" — at {a.size_mb:,} MiB, not the bar's 2 GiB")
        + "."
    )

    print("\n### (b) the same file, page cache cold\n")
    print(
        f"Before every run: {evict.method}; pages of the file still resident after it "
        f"(`fincore`): {sorted(set(evict.resident), key=str)}."
    )
    cold_walls = rate_table(r["cold"], r["size"], SHA, "`sha256sum`")
    ratio = cold_walls[SHA] / cold_walls[FRESH]
    print(f"Cold, fresh process: {ratio:.2f} of `sha256sum`'s speed: {verdict(ratio >= BAR)}.")

    print("\n### (c) where `file_digest`'s time goes (this process, warm)\n")
    rate_table(r["variants"], r["size"], next(iter(r["variants"])), "`file_digest` as is")


def report_rest(a: argparse.Namespace, r: dict[str, Any]) -> None:
    """Parts (d) and (e)."""
    print(f"\n### (d) `run.log_dataset` of the {r['csv_size'] / 1e6:,.0f} MB CSV (warm)\n")
    rate_table(r["csv_samples"], r["csv_size"], SHA_WC, "`sha256sum` + `wc -l`")
    print(
        f"All sides found {r['rows']:,} rows (`wc -l` minus the header) and the same digest. "
        "`describe()` is what `log_dataset` runs before queueing the record.\n"
    )

    print(f"\n### (e) `folder_digest` of {a.files:,} files (warm)\n")
    pipeline = next(iter(r["folder_samples"]))
    rate_table(r["folder_samples"], a.files, pipeline, "the pipeline", unit="files/s")
    print(
        "The pipeline's digest is of `sha256sum`'s listing, LabLedger's of its manifest "
        "(`<sha256>  <size>  <path>` per file); the manifest rebuilt from `sha256sum`'s "
        "per-file digests gives LabLedger's digest.\n"
    )


def main() -> None:
    a = parse_args()
    mpy = None if a.no_mlflow else mlflow_python()
    evict = Evictor(a.drop_caches)
    with scratch_dir("datasets", keep=a.keep) as work:
        r = measure(a, work, evict)
        report_file(a, r, evict)
        report_rest(a, r)
        if mpy:
            report_mlflow(mpy, r["csv"], work)


if __name__ == "__main__":
    main()
