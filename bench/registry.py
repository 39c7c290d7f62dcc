"""Model registry: version search and "champion at time T" over 10,000 versions and 10,000
alias moves, vs MLflow's registry on the same data.

The data (one plan, both sides): 100 models x 100 versions, registered round-robin over the
models; the versions come from 1,000 runs (10 versions per run, each from its own file
``v<k>/w.bin`` of the run; every run has a metric ``acc``, uniform in [0, 1)); every version
has a tag ``stage`` (``production`` on 1 % of them, chosen at random, ``staging`` on ~10 %,
else ``dev``); then 10,000 alias moves, each a random model, one of ``champion``,
``challenger``, ``shadow`` and a random version other than the one the alias holds.
LabLedger is set up through its services (``Tracker``: runs, ``log_batch``, blobs and
``declare``, ``register_version``, ``promote`` without a policy, so every promote moves);
MLflow through ``MlflowClient`` on its SQLite store (``create_run`` + ``log_batch``,
``create_model_version`` with the run and source, ``set_registered_model_alias``), in its
own venv, in a subprocess that runs while LabLedger is set up (2 cores; nothing is timed
then but the setup itself, which is no part of any ratio).

Measured: the median of 200 calls after 10 warm-ups, one operation at a time, nothing else
of the bench running: LabLedger's services in-process (``registry.search_versions``,
``promotion.holder_at``) and over HTTP through ``labledger server`` (``POST
/api/v1/registry/search``, ``GET /api/v1/models/{m}/aliases/champion?at=T``, httpx with
keep-alive), on SQLite and on PostgreSQL (the SQLite store's rows copied table by table,
then ANALYZE); MLflow's ``MlflowClient`` in-process on the SQLite file and through ``mlflow
server --workers 1``.  Every answer is checked against the plan.  "At time T" cycles over 50
(model, T) pairs taken from the middle half of the alias history; MLflow keeps no alias
history, so that row has no MLflow number.  Over HTTP, timing begins once the server's
process group is idle (``mlflow server`` starts job runners that import MLflow for ~30 s).
Bar (issue 14): registry search and "champion at time T" under 20 ms median.

    .venv/bin/python -m bench.registry [--quick] [--models 100] [--versions 100] [--per-run 10]
                                       [--moves N] [--repeat 200] [--no-postgres] [--no-mlflow]
                                       [--no-http] [--keep] [--reuse DIR]

``--keep`` keeps the stores; ``--reuse DIR`` measures a kept folder again without the setup.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    BenchError,
    fmt_s,
    header,
    labledger_server,
    listening_pids,
    load_average,
    median,
    mlflow_python,
    mlflow_server,
    note,
    package_version,
    parse_result,
    peer,
    percentile,
    pg_database,
    quiet_env,
    run_json,
    scratch_dir,
    table,
    times_better,
    verdict,
)

BAR_S = 0.020
PROJECT = "bench"
ALIASES = ("champion", "challenger", "shadow")
LIMIT = 100  # LabLedger's default page; MLflow asked for max_results=100 alike
AT_SAMPLES = 50
SEED = 20_261_207

Pair = tuple[str, int]  # (model, version)


# -- the plan: what both sides hold ----------------------------------------------------------
@dataclass
class Plan:
    models: list[str]
    runs: list[float]  # acc of each run
    runs_of_model: int
    per_run: int
    versions: list[tuple[str, int, str, str]]  # (model, run index, path, stage), in order
    moves: list[tuple[str, str, int]]  # (model, alias, version), in order
    focus: str  # the model of the single-model queries ("m42")
    # filled while LabLedger is set up: when each move was made (ms, before / after the call)
    move_ms: list[tuple[int, int]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"models": self.models, "runs": self.runs, "versions": self.versions,
                "moves": self.moves}


def make_plan(models: int, per_model: int, per_run: int, moves: int) -> Plan:
    rng = random.Random(SEED)
    names = [f"m{i}" for i in range(models)]
    runs_of_model = math.ceil(per_model / per_run)
    accs = [round(rng.random(), 6) for _ in range(models * runs_of_model)]
    total = models * per_model
    production = set(rng.sample(range(total), max(1, total // 100)))
    versions = []
    for j in range(per_model):  # round-robin: a model's versions are spread over the history
        for m in range(models):
            i = len(versions)
            stage = "production" if i in production else "staging" if rng.random() < 0.1 else "dev"
            versions.append((names[m], m * runs_of_model + j // per_run,
                             f"v{j % per_run}/w.bin", stage))
    current: dict[tuple[int, str], int] = {}
    moved = []
    for _ in range(moves):
        m, alias = rng.randrange(models), rng.choice(ALIASES)
        version = rng.randrange(1, per_model + 1)
        while per_model > 1 and version == current.get((m, alias)):
            version = rng.randrange(1, per_model + 1)
        current[(m, alias)] = version
        moved.append((names[m], alias, version))
    focus = names[min(42, models - 1)]
    return Plan(names, accs, runs_of_model, per_run, versions, moved, focus)


# -- ground truth ----------------------------------------------------------------------------
def numbered(plan: Plan) -> list[tuple[str, int, int, str]]:
    """(model, version number, run index, stage) of every version."""
    seen: dict[str, int] = {}
    out = []
    for model, run, _path, stage in plan.versions:
        seen[model] = seen.get(model, 0) + 1
        out.append((model, seen[model], run, stage))
    return out


def holders_now(plan: Plan, alias: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for model, a, version in plan.moves:
        if a == alias:
            out[model] = version
    return out


def at_samples(plan: Plan, n: int) -> list[tuple[str, int, int]]:
    """(model, T, version champion held at T) for up to n moves of ``champion`` in the middle
    half of the history; T is the end of the move's call, kept only when the same alias's
    next move began after it (so the answer is certain)."""
    if not plan.moves:
        return []
    rng = random.Random(SEED + 1)
    nxt: dict[int, int] = {}
    last: dict[tuple[str, str], int] = {}
    for i in range(len(plan.moves) - 1, -1, -1):
        model, alias, _ = plan.moves[i]
        if (model, alias) in last:
            nxt[i] = last[(model, alias)]
        last[(model, alias)] = i
    lo, hi = len(plan.moves) // 4, 3 * len(plan.moves) // 4
    candidates = []
    for i in range(lo, max(lo + 1, hi)):
        model, alias, version = plan.moves[i]
        t = plan.move_ms[i][1]
        if alias == "champion" and (i not in nxt or plan.move_ms[nxt[i]][0] > t):
            candidates.append((model, t, version))
    rng.shuffle(candidates)
    return candidates[:n]


def matches(found: list[Pair], truth: set[Pair]) -> bool:
    """A page of at most LIMIT answers: all of the truth, or LIMIT of it when it is more."""
    if len(truth) <= LIMIT:
        return len(found) == len(truth) and set(found) == truth
    return len(found) == LIMIT and set(found) <= truth


@dataclass
class Op:
    key: str
    label: str
    kind: str  # "search" | "holder"
    filter: str | None = None
    truth: set[Pair] = field(default_factory=set)
    mlflow: dict[str, Any] | None = None  # what the peer runs, None: no equivalent
    mlflow_note: str = ""


def operations(plan: Plan) -> list[Op]:
    vs = numbered(plan)
    acc = plan.runs
    focus = plan.focus
    champions = holders_now(plan, "champion")
    newest = {(m, v) for m, v, _, _ in vs[-LIMIT:]}
    ops = [
        Op("name", f"search `name = '{focus}'`", "search", f"name = '{focus}'",
           {(m, v) for m, v, _, _ in vs if m == focus},
           {"kind": "search", "filter": f"name = '{focus}'"},
           "`search_model_versions(\"name = '…'\", max_results=100)`"),
        Op("name_acc", f"search `name = '{focus}' and run.metrics.acc > 0.5`", "search",
           f"name = '{focus}' and run.metrics.acc > 0.5",
           {(m, v) for m, v, r, _ in vs if m == focus and acc[r] > 0.5},
           {"kind": "name_and_metric", "model": focus, "threshold": 0.5},
           "no run fields in its version search: `search_model_versions(name)`, then "
           "`search_runs(\"metrics.acc > 0.5 and attributes.run_id IN (…)\")` over their runs"),
        Op("alias", "search `alias = 'champion'`", "search", "alias = 'champion'",
           set(champions.items()),
           {"kind": "holders", "alias": "champion"},
           "no alias filter in its version search: `search_registered_models(max_results=100)`"
           " and each model's `aliases['champion']` (names and numbers only)"),
        Op("tag", "search `tags.stage = 'production'`", "search", "tags.stage = 'production'",
           {(m, v) for m, v, _, s in vs if s == "production"},
           {"kind": "search", "filter": "tags.stage = 'production'"},
           "`search_model_versions(\"tags.stage = 'production'\", max_results=100)`"),
        Op("all", "search, no filter (newest 100)", "search", None, newest,
           {"kind": "search", "filter": None},
           "`search_model_versions(max_results=100)` (its order: last updated first)"),
        Op("now", f"`champion` of {focus} now", "holder", None,
           {(focus, champions[focus])} if focus in champions else set(),
           {"kind": "by_alias", "model": focus, "alias": "champion"},
           "`get_model_version_by_alias(name, 'champion')`"),
        Op("at", f"`champion` at time T ({AT_SAMPLES} (model, T) pairs in turn)", "holder",
           None, set(), None, "none: MLflow keeps no alias history (an alias is one row, "
           "overwritten when it moves)"),
    ]
    return ops


# -- LabLedger: setup through the services ---------------------------------------------------
def setup_labledger(url: str, plan: Plan) -> dict[str, dict[str, float]]:
    from labledger.core.entities import RunCreate, RunStatus, RunUpdate
    from labledger.services.tracker import Tracker

    tracker = Tracker.open(url)
    phases: dict[str, dict[str, float]] = {}
    try:
        t0 = time.perf_counter()
        run_ids = []
        now = time.time_ns() // 1_000_000
        for r, acc in enumerate(plan.runs):
            run, _ = tracker.runs.create_run(RunCreate(project=PROJECT, name=f"r{r}"))
            tracker.runs.log_batch(run.id, {"metrics": {"acc": {
                "steps": [0], "timestamps": [now], "values": [acc]}}})
            blobs = [f"weights of run {r}, file {k}".encode() for k in range(plan.per_run)]
            digests = [hashlib.sha256(b).hexdigest() for b in blobs]
            tracker.artifacts.put_blobs([(d, memoryview(b)) for d, b in zip(digests, blobs,
                                                                             strict=True)])
            tracker.artifacts.declare(run.id, [
                {"path": f"v{k}/w.bin", "digest": d, "size": len(b)}
                for k, (d, b) in enumerate(zip(digests, blobs, strict=True))])
            tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED))
            run_ids.append(run.id)
            progress("runs", r, len(plan.runs))
        phases["runs"] = {"n": len(run_ids), "s": time.perf_counter() - t0}

        t0 = time.perf_counter()
        for i, (model, run, path, stage) in enumerate(plan.versions):
            tracker.models.register_version(model, run_ids[run], path, tags={"stage": stage})
            progress("versions", i, len(plan.versions))
        phases["versions"] = {"n": len(plan.versions), "s": time.perf_counter() - t0}

        t0 = time.perf_counter()
        plan.move_ms = []
        for i, (model, alias, version) in enumerate(plan.moves):
            before = time.time_ns() // 1_000_000
            decision = tracker.promotion.promote(model, version, alias)
            plan.move_ms.append((before, time.time_ns() // 1_000_000))
            if not decision.moved:
                raise BenchError(f"promote {model} v{version} -> {alias} did not move")
            progress("alias moves", i, len(plan.moves))
        phases["moves"] = {"n": len(plan.moves), "s": time.perf_counter() - t0}
    finally:
        tracker.close()
    return phases


def progress(what: str, i: int, n: int) -> None:
    if (i + 1) % max(1, n // 5) == 0:
        note(f"LabLedger: {i + 1:,} / {n:,} {what}")


def copy_store(sqlite_url: str, pg_url: str, artifact_uri: str) -> dict[str, int]:
    """Every row of the SQLite store into a fresh PostgreSQL store (schema by LabLedger's
    own migrations), table by table; sequences moved past the copied ids; then ANALYZE."""
    import sqlalchemy as sa

    from labledger.services.tracker import Tracker
    from labledger.store import registry_tables  # noqa: F401 - registers the tables
    from labledger.store.tables import metadata

    Tracker.open(pg_url, artifact_uri=artifact_uri).close()  # the schema
    src, dst = sa.create_engine(sqlite_url), sa.create_engine(pg_url)
    counts: dict[str, int] = {}
    try:
        known = {t.name for t in metadata.sorted_tables}
        with src.connect() as s:
            for name in sa.inspect(src).get_table_names():
                if name not in known and name != "alembic_version":
                    n = s.exec_driver_sql(f'SELECT count(*) FROM "{name}"').scalar()
                    if n:
                        raise BenchError(f"table {name} ({n} rows) is not in the metadata")
        with src.connect() as s, dst.begin() as d:
            for t in reversed(metadata.sorted_tables):
                d.execute(t.delete())
            for t in metadata.sorted_tables:
                rows = [dict(r) for r in s.execute(t.select()).mappings()]
                for start in range(0, len(rows), 5_000):
                    d.execute(t.insert(), rows[start:start + 5_000])
                counts[t.name] = len(rows)
                pk = list(t.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is True and rows:
                    d.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{t.name}', '{pk[0].name}'), "
                        f"(SELECT max({pk[0].name}) FROM {t.name}))")
        with dst.connect().execution_options(isolation_level="AUTOCOMMIT") as d:
            d.exec_driver_sql("ANALYZE")
    finally:
        src.dispose()
        dst.dispose()
    return counts


# -- LabLedger: measurement ------------------------------------------------------------------
def timed(fn: Callable[[int], Any], repeat: int, warmup: int) -> dict[str, Any]:
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(repeat):
        t0 = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - t0)
    return {"median_s": median(times), "p90_s": percentile(times, 90), "n": repeat}


@contextlib.contextmanager
def captured(db: Any) -> Iterator[list[tuple[str, Any]]]:
    from sqlalchemy import event

    seen: list[tuple[str, Any]] = []

    def grab(_c: Any, _cur: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)


def explain(db: Any, statements: list[tuple[str, Any]]) -> list[str]:
    """The time of every statement of one call, and the plan of the slowest."""
    lines, timed_stmts = [], []
    with db.read() as conn:
        for sql, params in statements:
            times = []
            for _ in range(5):
                t0 = time.perf_counter()
                n = len(conn.exec_driver_sql(sql, params).fetchall())
                times.append(time.perf_counter() - t0)
            timed_stmts.append((median(times), n, sql, params))
            lines.append(f"    {fmt_s(median(times)):>9}  {n:>4} rows  "
                         f"{' '.join(sql.split())[:100]}...")
        slow_s, _, sql, params = max(timed_stmts, key=lambda s: s[0])
        lines += ["", f"    slowest ({fmt_s(slow_s)}):", *("      " + ln for ln in
                                                          sql.strip().splitlines()), ""]
        if db.is_sqlite:
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
            depth: dict[int, int] = {0: 0}
            for node, parent, _, detail in rows:
                depth[node] = depth.get(parent, 0) + 1
                lines.append("    " + "  " * depth[node] + detail)
        else:
            rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql, params).fetchall()
            lines += ["    " + r[0] for r in rows]
    return lines


def ll_calls(tracker: Any, ops: list[Op], samples: list[tuple[str, int, int]],
             focus: str) -> dict[str, Callable[[int], list[Pair]]]:
    def search(flt: str | None) -> Callable[[int], list[Pair]]:
        return lambda _i: [(v.model, v.version) for v in
                           tracker.registry.search_versions(flt, limit=LIMIT).versions]

    def holder(model: str, at: int | None) -> list[Pair]:
        found = tracker.promotion.holder_at(model, "champion", at)
        return [] if found["version"] is None else [(found["model"], found["version"])]

    calls: dict[str, Callable[[int], list[Pair]]] = {}
    for op in ops:
        if op.kind == "search":
            calls[op.key] = search(op.filter)
    calls["now"] = lambda _i: holder(focus, None)
    calls["at"] = lambda i: holder(samples[i % len(samples)][0], samples[i % len(samples)][1])
    return calls


def http_calls(client: Any, ops: list[Op], samples: list[tuple[str, int, int]],
               focus: str) -> dict[str, Callable[[int], list[Pair]]]:
    def search(flt: str | None) -> Callable[[int], list[Pair]]:
        body = {"limit": LIMIT} if flt is None else {"filter": flt, "limit": LIMIT}

        def call(_i: int) -> list[Pair]:
            r = client.post("/api/v1/registry/search", json=body)
            r.raise_for_status()
            return [(v["model"], v["version"]) for v in r.json()["versions"]]

        return call

    def holder(model: str, at: int | None) -> list[Pair]:
        params = {} if at is None else {"at": at}
        r = client.get(f"/api/v1/models/{model}/aliases/champion", params=params)
        r.raise_for_status()
        found = r.json()
        return [] if found["version"] is None else [(found["model"], found["version"])]

    calls: dict[str, Callable[[int], list[Pair]]] = {}
    for op in ops:
        if op.kind == "search":
            calls[op.key] = search(op.filter)
    calls["now"] = lambda _i: holder(focus, None)
    calls["at"] = lambda i: holder(samples[i % len(samples)][0], samples[i % len(samples)][1])
    return calls


def check(key: str, found: list[Pair], op: Op, samples: list[tuple[str, int, int]],
          i: int = 0) -> bool:
    if key == "at":
        model, _t, version = samples[i % len(samples)]
        return found == [(model, version)]
    return matches(found, op.truth)


def run_ops(calls: dict[str, Callable[[int], list[Pair]]], ops: list[Op],
            samples: list[tuple[str, int, int]], a: argparse.Namespace,
            label: str) -> dict[str, dict[str, Any]]:
    out = {}
    for op in ops:
        fn = calls[op.key]
        n_check = len(samples) if op.key == "at" else 1
        ok = all(check(op.key, fn(i), op, samples, i) for i in range(n_check))
        m = timed(fn, a.repeat, a.warmup)
        m["correct"] = ok
        note(f"{label}: {op.key} median {fmt_s(m['median_s'])}{'' if ok else ' (WRONG)'}")
        out[op.key] = m
    return out


def measure_labledger(label: str, url: str, work: Path, server: dict[str, Any], ops: list[Op],
                      samples: list[tuple[str, int, int]], plan: Plan, a: argparse.Namespace,
                      artifact_uri: str | None = None) -> dict[str, Any]:
    import httpx

    from labledger.services.tracker import Tracker

    tracker = Tracker.open(url, artifact_uri=artifact_uri)
    side: dict[str, Any] = {"label": label, "plans": {}}
    try:
        side["inproc"] = run_ops(ll_calls(tracker, ops, samples, plan.focus), ops, samples, a,
                                 f"{label} in-process")
        calls = ll_calls(tracker, ops, samples, plan.focus)
        for op in ops:
            with captured(tracker.db) as seen:
                calls[op.key](0)
            side["plans"][op.key] = explain(tracker.db, seen)
    finally:
        tracker.close()
    if a.no_http:
        return side
    with labledger_server(work, **server) as base, httpx.Client(base_url=base) as client:
        side["settle_s"] = settle(base, f"{label} server")
        side["http"] = run_ops(http_calls(client, ops, samples, plan.focus), ops, samples, a,
                               f"{label} HTTP")
    return side


def group_cpu_s(pgid: int) -> float:
    """CPU seconds used so far by the live processes of a process group (from /proc)."""
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == pgid:  # pgrp; utime and stime follow at 11 and 12
                total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def settle(base_url: str, what: str, *, idle: float = 0.05, max_s: float = 120) -> float:
    """Wait until the server's process group has stopped working after its start (mlflow
    server starts job runners that import MLflow for many seconds): until it uses under
    ``idle`` of a core over 2 s, at most ``max_s``.  Returns the seconds waited."""
    pids = listening_pids(base_url)
    if not pids:
        return 0.0
    pgid = os.getpgid(min(pids))
    t0 = time.monotonic()
    before = group_cpu_s(pgid)
    while time.monotonic() - t0 < max_s:
        time.sleep(2.0)
        now = group_cpu_s(pgid)
        if (now - before) / 2.0 < idle:
            break
        before = now
    waited = time.monotonic() - t0
    note(f"{what}: idle after {waited:.0f} s")
    return waited


# -- MLflow ----------------------------------------------------------------------------------
def start_mlflow_load(mpy: str, db: Path, plan_path: Path, log: Path) -> subprocess.Popen[str]:
    with open(log, "w") as err:
        return subprocess.Popen(
            [mpy, peer("mlflow_registry.py"), "load", "--db", str(db), "--plan", str(plan_path)],
            stdout=subprocess.PIPE, stderr=err, text=True, env=quiet_env(),
        )


def finish_mlflow_load(proc: subprocess.Popen[str], log: Path) -> dict[str, Any]:
    out, _ = proc.communicate()
    if proc.returncode != 0:
        tail = "\n".join(log.read_text().strip().splitlines()[-15:])
        raise BenchError(f"MLflow load exited {proc.returncode}:\n{tail}")
    return parse_result(out)


def mlflow_query(mpy: str, uri: str, plan_path: Path, a: argparse.Namespace,
                 env: dict[str, str] | None = None) -> dict[str, Any]:
    result = run_json([mpy, peer("mlflow_registry.py"), "query", "--uri", uri, "--plan",
                       plan_path, "--repeat", a.repeat, "--warmup", a.warmup],
                      env=env, timeout=3600, show_stderr=True)
    ops: dict[str, Any] = result["ops"]
    return ops


# -- report ----------------------------------------------------------------------------------
def cell(m: dict[str, Any] | None, *, missing: str = "—") -> str:
    if m is None:
        return missing
    if "median_s" in m:
        return fmt_s(m["median_s"])
    return f"error: {m.get('error', '?')[:60]}"


def report(a: argparse.Namespace, plan: Plan, ops: list[Op], sides: list[dict[str, Any]],
           ml_in: dict[str, Any] | None, ml_http: dict[str, Any] | None,
           setup: dict[str, Any], mlflow_version: str | None, load_at_start: str,
           mlflow_settle: float | None) -> bool:
    header("Issue 14: model registry (bench/registry.py)",
           ["python", "-m", "bench.registry", *sys.argv[1:]], load_at_start)
    nv, nr = len(plan.versions), len(plan.runs)
    peer_text = f"mlflow {mlflow_version} (own venv), SQLite store" if mlflow_version else None
    print(f"- peer: {peer_text or 'not run (--no-mlflow)'}")
    n_prod = sum(1 for v in plan.versions if v[3] == "production")
    print(f"- data: {len(plan.models):,} models × {nv // len(plan.models):,} versions = "
          f"**{nv:,} versions** from {nr:,} runs ({plan.per_run} versions per run, each "
          f"from its own file), tag `stage` on every version ({n_prod} "
          f"`production`); **{len(plan.moves):,} alias moves** over {len(ALIASES)} aliases "
          f"({', '.join(ALIASES)}); both sides hold the same models, versions, runs' `acc`, "
          f"tags and final aliases")
    print(f"- median of {a.repeat} calls after {a.warmup} warm-ups; searches return a page of "
          f"{LIMIT} (`limit`, MLflow `max_results`); the single-model queries use "
          f"`{plan.focus}`; every answer was checked against the plan")
    for label, phases in setup.items():
        parts = [f"{k} {fmt_s(v['s'])} ({fmt_s(v['s'] / max(1, v['n']))} each)"
                 for k, v in phases.items()]
        print(f"- setup through the API, {label}: " + ", ".join(parts))
    fewer = sorted({m["n"] for res in (ml_in, ml_http) if res for m in res.values()
                    if m.get("n", a.repeat) < a.repeat})
    if fewer:
        print(f"- MLflow calls slower than {30 / a.repeat * 1e3:.0f} ms were timed "
              f"{fewer[0]}+ times, not {a.repeat} (30 s per operation; at least 10)")
    if a.reuse:
        print("- the stores were made by an earlier run (`--keep`) and measured again here "
              "(`--reuse`); the setup figures above are that run's")
    print("- setup of the two sides ran at the same time (one process each on the 2 cores); "
          "the measurements ran one at a time, after it")
    waits = [f"{side['label']} {side['settle_s']:.0f} s" for side in sides if "settle_s" in side]
    if mlflow_settle is not None:
        waits.append(f"MLflow {mlflow_settle:.0f} s")
    if waits:
        print("- HTTP: `labledger server` (`--auth off`) and `mlflow server --workers 1` on "
              "loopback, httpx / MlflowClient with keep-alive; timing began once the server's "
              "process group had been idle (under 5 % of a core) for 2 s after its start: "
              + ", ".join(waits) + " (mlflow server starts job runners that import MLflow "
              "first)")
    print("- MLflow's calls:")
    for op in ops:
        print(f"  - {op.label}: {op.mlflow_note}")
    failures = []
    cols = ["operation", "LabLedger in-process", "LabLedger HTTP", "MLflow in-process",
            "MLflow HTTP", "faster by (in-process)", "faster by (HTTP)", "under 20 ms",
            "correct (LL / MLflow)"]
    for side in sides:
        rows = []
        for op in ops:
            li, lh = side["inproc"][op.key], side.get("http", {}).get(op.key)
            mi = (ml_in or {}).get(op.key) if op.mlflow else None
            mh = (ml_http or {}).get(op.key) if op.mlflow else None
            under = [li["median_s"] < BAR_S] + ([lh["median_s"] < BAR_S] if lh else [])
            for how, m in (("in-process", li), ("HTTP", lh)):
                if m and m["median_s"] >= BAR_S:
                    failures.append(f"{side['label']} {how} {op.key}: {fmt_s(m['median_s'])}")
            ll_ok = li["correct"] and (lh is None or lh["correct"])
            ml_ok = "—"
            if mi and "result" in mi:
                ml_ok = "yes" if matches([tuple(p) for p in mi["result"]], op.truth) else "NO"
                if op.key == "all":  # MLflow's order differs: the page size only
                    ml_ok = "yes" if len(mi["result"]) == min(LIMIT, nv) else "NO"
            rows.append([
                op.label, cell(li), cell(lh, missing="not run"),
                cell(mi, missing="n/a" if op.mlflow is None else "not run"),
                cell(mh, missing="n/a" if op.mlflow is None else "not run"),
                times_better(li["median_s"], mi["median_s"]) if mi and "median_s" in mi else "—",
                times_better(lh["median_s"], mh["median_s"])
                if lh and mh and "median_s" in mh else "—",
                " / ".join("yes" if u else "**NO**" for u in under),
                f"{'yes' if ll_ok else 'NO'} / {ml_ok}",
            ])
        print(f"\n### {side['label']} (MLflow: SQLite)")
        table(cols, rows)
        p90 = ", ".join(f"{op.key} {fmt_s(side['inproc'][op.key]['p90_s'])}" for op in ops)
        print(f"p90 in-process: {p90}.\n")
    ok = not failures
    print(f"Bar (issue 14): median under {fmt_s(BAR_S)} for registry search and `champion` at "
          f"time T, in-process and over HTTP: {verdict(ok)}"
          + (f" (over: {'; '.join(failures)})" if failures else "") + ".\n")
    print("### Statement times of one call and the slowest statement's plan (LabLedger)\n")
    for side in sides:
        for op in ops:
            print(f"{side['label']}, {op.label}:\n")
            print("\n".join(side["plans"][op.key]) + "\n")
    return ok


def load_both(plan: Plan, mpy: str | None, data: Path, url: str, plan_path: Path,
              ml_db: Path, ml_log: Path) -> dict[str, Any]:
    """Both stores, MLflow's in a subprocess while LabLedger's is set up here."""
    setup: dict[str, Any] = {}
    proc = None
    if mpy:
        plan_path.write_text(json.dumps(plan.to_json()))
        note(f"MLflow: loading {len(plan.versions):,} versions in a subprocess")
        proc = start_mlflow_load(mpy, ml_db, plan_path, ml_log)
    try:
        data.mkdir()
        note(f"LabLedger: {len(plan.runs):,} runs, {len(plan.versions):,} versions, "
             f"{len(plan.moves):,} alias moves through the services")
        setup["LabLedger (SQLite)"] = setup_labledger(url, plan)
        if proc is not None:
            note("waiting for MLflow's load")
            setup["MLflow (SQLite)"] = finish_mlflow_load(proc, ml_log)["phases"]
            proc = None
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()  # this Popen's own child, by its handle
            proc.wait()
    return setup


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="20 models × 25 versions, 500 moves, 30 repeats")
    parser.add_argument("--models", type=int, help="registered models (default 100)")
    parser.add_argument("--versions", type=int, help="versions per model (default 100)")
    parser.add_argument("--per-run", type=int, default=10, help="versions per run")
    parser.add_argument("--moves", type=int, help="alias moves (default models × versions)")
    parser.add_argument("--repeat", type=int, help="timed calls per operation (default 200)")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-mlflow", action="store_true", help="LabLedger only")
    parser.add_argument("--no-http", action="store_true", help="in-process only, no servers")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--reuse", metavar="DIR",
                        help="measure again the stores of a run kept with --keep (no setup)")
    a = parser.parse_args()
    a.models = a.models or (20 if a.quick else 100)
    a.versions = a.versions or (25 if a.quick else 100)
    a.moves = a.moves if a.moves is not None else a.models * a.versions
    a.repeat = a.repeat or (30 if a.quick else 200)
    load_at_start = load_average()

    plan = make_plan(a.models, a.versions, a.per_run, a.moves)
    mpy = None if a.no_mlflow else mlflow_python()
    sides: list[dict[str, Any]] = []
    ml_in = ml_http = None
    mlflow_settle = None
    scratch = (contextlib.nullcontext(Path(a.reuse)) if a.reuse
               else scratch_dir("registry", keep=a.keep))
    with scratch as work:
        plan_path, state_path = work / "plan.json", work / "state.json"
        ml_db, ml_log = work / "mlflow.db", work / "mlflow-load.log"
        data = work / "ll-sqlite"
        url = f"sqlite:///{data / 'labledger.db'}"
        if a.reuse:
            state = json.loads(state_path.read_text())
            plan, setup = Plan(**state["plan"]), state["setup"]
            if mpy and "MLflow (SQLite)" not in setup:
                raise BenchError(f"{work} holds no MLflow store: add --no-mlflow")
            note(f"reusing the stores in {work} (no setup)")
        else:
            setup = load_both(plan, mpy, data, url, plan_path, ml_db, ml_log)
            state_path.write_text(json.dumps({"plan": vars(plan), "setup": setup}))

        ops = operations(plan)
        samples = at_samples(plan, AT_SAMPLES)
        if not samples:
            raise BenchError("no alias move to ask 'champion at T' about (too few moves)")
        mlflow_ops = [{"key": op.key, **op.mlflow} for op in ops if op.mlflow]
        plan_path.write_text(json.dumps({**plan.to_json(), "mlflow_ops": mlflow_ops}))

        sides.append(measure_labledger("LabLedger SQLite", url, work, {"data_dir": data}, ops,
                                       samples, plan, a))
        if not a.no_postgres:
            with pg_database("registry") as pg_url:
                if pg_url:
                    note("PostgreSQL: copying the SQLite store's rows")
                    artifacts = (data / "artifacts").as_uri()
                    copy_store(url, pg_url, artifacts)
                    sides.append(measure_labledger("LabLedger PostgreSQL", pg_url, work,
                                                   {"db_uri": pg_url}, ops, samples, plan, a,
                                                   artifact_uri=artifacts))
        if mpy:
            note("MLflow: queries in-process")
            ml_in = mlflow_query(mpy, f"sqlite:///{ml_db}", plan_path, a)
            if not a.no_http:
                note("MLflow: queries over HTTP")
                env = quiet_env(MLFLOW_HTTP_REQUEST_TIMEOUT="600",
                                MLFLOW_HTTP_REQUEST_MAX_RETRIES="0")
                with mlflow_server(work, f"sqlite:///{ml_db}") as ml_url:
                    mlflow_settle = settle(ml_url, "mlflow server")
                    ml_http = mlflow_query(mpy, ml_url, plan_path, a, env=env)

    report(a, plan, ops, sides, ml_in, ml_http, setup,
           package_version(mpy, "mlflow") if mpy else None, load_at_start, mlflow_settle)


if __name__ == "__main__":
    main()
