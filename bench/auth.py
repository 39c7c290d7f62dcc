"""Auth: what authentication adds to a request and to HTTP ingest, on vs off in one run.

Two ``labledger server`` processes, one ``--auth on`` and one ``--auth off``, each on a
fresh SQLite store set up alike by the CLI before it starts: users ``lead`` and ``bench``,
project ``bench`` owned by lead with bench an editor, a write-scoped token for bench (sent
to the auth-on server only).
(a) Six small requests, paired: each iteration sends the same request to both servers one
after the other (which side goes first alternates), one keep-alive ``httpx.Client`` per
server; median and p90 per side, the difference of the medians with a 95 % interval (paired
bootstrap), and the median of the paired differences.  ``/healthz`` is public on both sides:
the control, what the two processes differ by without auth.
(b) HTTP ingest as in ``bench.logging`` (c): its child process, the SDK logging 500,000
steps x 2 keys, first ``log()`` to the end of ``finish()``; sides alternating over 3 rounds,
medians reported, every point counted in the store.
(c) The auth calls of a request alone (``TokenService.authenticate``, ``RolePolicy.check``),
timed in this process through the server's code on the auth-on store, next to an empty read
transaction and the token lookup's SQL in plain sqlite3.
(d) With ``--py-spy PATH``: each server sampled by py-spy while it answers ``GET
/api/v1/runs/{id}`` back to back; the functions that take the most with auth on, and what
the two auth calls spend their time on.
Bars (issue 13): auth adds under 0.2 ms to the median request; HTTP ingest with auth on at
least 100,000 points/s.

    .venv/bin/python -m bench.auth [--quick] [--iterations 2000] [--points 1000000] [--rounds 3]
                                   [--py-spy PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

if not __package__:  # run as a file: import bench.* from the repo root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from bench._common import (  # noqa: E402
    child_cmd,
    fmt_rate,
    fmt_s,
    free_port,
    header,
    labledger_cli,
    listening_pids,
    load_average,
    median,
    note,
    percentile,
    quiet_env,
    run_json,
    scratch_dir,
    server_process,
    table,
    verdict,
)

BAR_ADDED_S = 0.2e-3
BAR_HTTP_RATE = 100_000
PROJECT, USER, OWNER = "bench", "bench", "lead"
SIDES = ("off", "on")
CONTROL = "GET /healthz (public on both sides)"
SPY_RATE = 1000  # py-spy samples per second
_JSON = {"Content-Type": "application/json"}

# A request: (method, path, body or None), made for iteration i from the side's run ids.
Request = tuple[str, str, bytes | None]
Maker = Callable[[dict[str, str], int], Request]


def _body(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode()


def _metrics(first: int, steps: int) -> dict[str, Any]:
    span = list(range(first, first + steps))
    ts = time.time_ns() // 1_000_000
    return {
        k: {"steps": span, "timestamps": [ts] * steps, "values": [1.0 / (s + 1) for s in span]}
        for k in ("loss", "acc")
    }


KINDS: dict[str, Maker] = {
    CONTROL: lambda _r, _i: ("GET", "/healthz", None),
    "GET /api/v1/runs/{id}": lambda r, _i: ("GET", f"/api/v1/runs/{r['read']}", None),
    "POST /api/v1/runs/search {project}": lambda _r, _i: (
        "POST",
        "/api/v1/runs/search",
        _body({"project": PROJECT}),
    ),
    "GET /api/v1/runs/{id}/metrics/loss/history (100 points)": lambda r, _i: (
        "GET",
        f"/api/v1/runs/{r['read']}/metrics/loss/history",
        None,
    ),
    "POST /api/v1/runs/{id}/batches, 2 keys x 10 steps (not audited)": lambda r, i: (
        "POST",
        f"/api/v1/runs/{r['metrics']}/batches",
        _body({"batch_id": uuid.uuid4().hex, "metrics": _metrics(10 * i, 10)}),
    ),
    "POST /api/v1/runs/{id}/batches, 1 param (audited)": lambda r, i: (
        "POST",
        f"/api/v1/runs/{r['params']}/batches",
        _body({"batch_id": uuid.uuid4().hex, "params": {f"p{i}": "0.001"}}),
    ),
}


# -- setup ---------------------------------------------------------------------------------
def prepare(data: Path) -> str:
    """Users, project, role and token on a fresh store, through the CLI; the token."""
    cli, store = labledger_cli(), ["--data-dir", str(data)]
    for args in (
        ["users", "add", OWNER],
        ["users", "add", USER],
        ["projects", "create", PROJECT, "--owner", OWNER],
        ["projects", "members", "add", PROJECT, USER, "--role", "editor"],
        ["tokens", "create", USER, "--scope", "write", "--label", "bench.auth"],
    ):
        out = subprocess.run(
            [cli, *args, *store], capture_output=True, text=True, env=quiet_env(), check=False
        )
        if out.returncode != 0:
            raise SystemExit(f"labledger {' '.join(args)} failed: {out.stderr.strip()}")
    return out.stdout.strip()


@contextlib.contextmanager
def server(work: Path, data: Path, auth: str) -> Iterator[str]:
    """``labledger server --auth on|off`` on a free loopback port; yields its base URL."""
    port = free_port()
    cmd = [labledger_cli(), "server", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--data-dir", str(data), "--auth", auth]
    base = f"http://127.0.0.1:{port}"
    with server_process(cmd, f"{base}/healthz", work / f"labledger-server-auth-{auth}.log"):
        yield base


def make_runs(client: Any) -> dict[str, str]:
    """A run to read (100 steps of loss and acc, a param, a tag), one for metric batches
    and one for param batches, so that neither write changes what the reads return."""
    runs = {}
    for name in ("read", "metrics", "params"):
        r = client.post("/api/v1/runs", json={"project": PROJECT, "name": f"auth-{name}"})
        r.raise_for_status()
        runs[name] = str(r.json()["id"])
    batch = {"metrics": _metrics(0, 100), "params": {"lr": "0.001"}, "tags": {"kind": "read"}}
    client.post(f"/api/v1/runs/{runs['read']}/batches", json=batch).raise_for_status()
    return runs


# -- (a) paired latency --------------------------------------------------------------------
def latency(urls: dict[str, str], token: str, iterations: int, warmup: int) -> dict[str, Any]:
    """Per kind and side, the seconds of each timed request, paired by iteration."""
    import httpx

    auth = {"on": {"Authorization": f"Bearer {token}"}, "off": {}}
    clients = {s: httpx.Client(base_url=urls[s], headers=auth[s], timeout=30) for s in SIDES}
    times: dict[str, dict[str, list[float]]] = {k: {s: [] for s in SIDES} for k in KINDS}
    failed: list[str] = []
    clock = time.perf_counter
    try:
        runs = {s: make_runs(clients[s]) for s in SIDES}
        for i in range(warmup + iterations):
            order = SIDES if i % 2 == 0 else SIDES[::-1]
            for kind, make in KINDS.items():
                for side in order:
                    method, path, body = make(runs[side], i)
                    headers = _JSON if body is not None else None
                    t0 = clock()
                    r = clients[side].request(method, path, content=body, headers=headers)
                    elapsed = clock() - t0
                    if r.status_code >= 300:
                        failed.append(f"{side} {method} {path}: {r.status_code} {r.text[:200]}")
                    if i >= warmup:
                        times[kind][side].append(elapsed)
            if i and i % 500 == 0:
                note(f"latency: {i:,} of {warmup + iterations:,} iterations")
    finally:
        for c in clients.values():
            c.close()
    return {"times": times, "failed": failed, "runs": runs}


def compare(off: list[float], on: list[float], resamples: int = 400) -> dict[str, float]:
    """Medians, p90s, the difference of the medians with a 95 % paired-bootstrap interval,
    and the median of the paired differences."""
    rng = random.Random(13)
    n = len(off)
    diffs = []
    for _ in range(resamples):
        idx = [rng.randrange(n) for _ in range(n)]
        diffs.append(median([on[j] for j in idx]) - median([off[j] for j in idx]))
    return {
        "off": median(off),
        "on": median(on),
        "off_p90": percentile(off, 90),
        "on_p90": percentile(on, 90),
        "added": median(on) - median(off),
        "low": percentile(diffs, 2.5),
        "high": percentile(diffs, 97.5),
        "paired": median([b - a for a, b in zip(off, on, strict=True)]),
    }


# -- (c) the two auth calls alone, in this process ----------------------------------------
def in_process(data: Path, token: str, run_id: str, n: int) -> dict[str, list[float]]:
    """The auth calls of one request, timed one by one through the server's own code on the
    auth-on store (its server stopped); for scale, an empty read transaction, the token's
    SELECT in plain sqlite3, and the service call they guard."""
    from labledger.core.accounts import secret_hash
    from labledger.core.identity import Action
    from labledger.core.settings import Settings
    from labledger.services.tracker import Tracker

    tracker = Tracker.from_settings(Settings(data_dir=str(data)), auth=True)
    raw = sqlite3.connect(data / "labledger.db")
    lookup = "SELECT * FROM tokens JOIN users ON users.id = tokens.user_id WHERE secret_hash = ?"
    digest = secret_hash(token)

    def empty_read() -> None:
        with tracker.db.read():
            pass

    try:
        who = tracker.tokens.authenticate(token)
        runs = tracker.runs.as_principal(who)
        calls: dict[str, Callable[[], object]] = {
            "`Database.read()` with nothing in it (pool checkout, BEGIN, COMMIT)": empty_read,
            "the token's SELECT through `sqlite3` directly": lambda: raw.execute(
                lookup, (digest,)
            ).fetchone(),
            "`TokenService.authenticate(token)`": lambda: tracker.tokens.authenticate(token),
            "`RolePolicy.check(who, READ, run_id=…)`": lambda: tracker.policy.check(
                who, Action.READ, run_id=run_id
            ),
            "`RunService.get_run(run_id)` as that user (the check included)": lambda: runs.get_run(
                run_id
            ),
        }
        out: dict[str, list[float]] = {k: [] for k in calls}
        for i in range(n + 200):
            for k, fn in calls.items():
                t0 = time.perf_counter()
                fn()
                if i >= 200:
                    out[k].append(time.perf_counter() - t0)
    finally:
        raw.close()
        tracker.close()
    return out


# -- where the time goes (--py-spy) ---------------------------------------------------------
def profile(py_spy: str, work: Path, urls: dict[str, str], token: str, seconds: float) -> Any:
    """py-spy samples each server (on-CPU only, SPY_RATE/s, without pausing it) while this
    process sends it ``GET /api/v1/runs/{id}`` back to back; per side, the requests sent,
    the samples and each function's inclusive samples."""
    import httpx

    out = {}
    for side in SIDES:
        headers = {"Authorization": f"Bearer {token}"} if side == "on" else {}
        raw = work / f"py-spy-{side}.txt"
        note(f"py-spy: auth {side}, GET /api/v1/runs/{{id}} for {seconds:.0f} s")
        with httpx.Client(base_url=urls[side], headers=headers, timeout=30) as client:
            path = f"/api/v1/runs/{make_runs(client)['read']}"
            for _ in range(200):
                client.get(path).raise_for_status()
            cmd = [py_spy, "record", "--pid", str(min(listening_pids(urls[side])))]
            cmd += ["--rate", str(SPY_RATE), "--format", "raw", "--nonblocking"]
            cmd += ["--duration", str(round(seconds)), "-o", str(raw)]
            spy = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            sent = 0
            while spy.poll() is None:
                client.get(path).raise_for_status()
                sent += 1
            if spy.returncode != 0:
                raise SystemExit(f"py-spy failed: {spy.communicate()[1].decode()[-400:]}")
        out[side] = {"requests": sent, **inclusive(raw)}
    return out


# The auth calls of a request, and what their time is spent on: the first that matches a
# frame below the call names it (SQLAlchemy's own frames last).
AUTH_CALLS = ("TokenService.authenticate (", "RolePolicy.check (")
PARTS = (
    ("a read transaction: pool checkout, BEGIN, COMMIT (`Database.read`)", "Database.read ("),
    ("SQLite runs the statement (`cursor.execute`, `fetch`)", "do_execute ("),
    ("SQLAlchemy executes it (cache key, compiled cache, result)", "Connection.execute ("),
    (
        "other SQLAlchemy: building the `select()` (if built per call), reading the row",
        "sqlalchemy/",
    ),
    ("the rest: their own lines (the secret's hash, the role, the principal)", ""),
)
SKIP = ("(labledger/cli/", "<module> (labledger")  # the process's roots, not the request's


def inclusive(raw: Path) -> dict[str, Any]:
    """Samples in all; per function (``name (file)``) those with it on the stack; per auth
    call, its samples by what they were spent on (``PARTS``)."""
    counts: Counter[str] = Counter()
    parts: dict[str, Counter[str]] = {call: Counter() for call in AUTH_CALLS}
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, n = line.rpartition(" ")
        if not n.isdigit():
            continue
        frames = [re.sub(r":\d+\)$", ")", f) for f in stack.split(";")]
        total += int(n)
        for name in set(frames):
            counts[name] += int(n)
        for call in AUTH_CALLS:
            at = next((i for i, f in enumerate(frames) if f.startswith(call)), None)
            if at is not None:
                below = ";".join(frames[at + 1 :])
                parts[call][next(label for label, mark in PARTS if mark in below)] += int(n)
    return {"samples": total, "functions": counts, "parts": parts}


def profile_report(prof: dict[str, Any], top: int = 14) -> None:
    per = {s: 1e3 / SPY_RATE / prof[s]["requests"] for s in SIDES}  # ms per sample per request
    fns = {s: prof[s]["functions"] for s in SIDES}

    def cells(name: str) -> list[str]:
        off, on = (fns[s].get(name, 0) * per[s] for s in SIDES)
        return [f"{off:.3f}", f"{on:.3f}", f"{on - off:+.3f}"]

    names = [n for n in fns["on"] if "labledger/" in n and not any(m in n for m in SKIP)]
    names = sorted(names, key=lambda n: -fns["on"][n])[:top]
    off_total, on_total = (prof[s]["samples"] * per[s] for s in SIDES)
    rows = [["server, every thread", f"{off_total:.3f}", f"{on_total:.3f}"]]
    rows[0].append(f"{on_total - off_total:+.3f}")
    rows += [[f"`{n}`", *cells(n)] for n in names]
    print(
        "\n### (d) where the time goes: py-spy on each server, `GET /api/v1/runs/{id}` back to "
        f"back ({prof['off']['requests']:,} requests auth off, {prof['on']['requests']:,} on)\n"
    )
    print(
        f"Samples of running threads ({SPY_RATE}/s, the server not paused; a thread waiting "
        "for a core counts, so a loaded machine inflates every figure alike) per request, in "
        "ms; a function's figure includes what it calls. The LabLedger functions that took "
        "the most with auth on:"
    )
    table(["function (inclusive)", "auth off ms/request", "auth on ms/request", "added"], rows)
    print("The two auth calls of each request (auth on), by what their time went to:")
    prows = [
        [label, *(f"{prof['on']['parts'][c][label] * per['on']:.3f}" for c in AUTH_CALLS)]
        for label, _ in PARTS
    ]
    sums = [sum(prof["on"]["parts"][c].values()) * per["on"] for c in AUTH_CALLS]
    prows.append(["**all**", *(f"{x:.3f}" for x in sums)])
    table(["ms/request", "`TokenService.authenticate`", "`RolePolicy.check`"], prows)


# -- (b) HTTP ingest -----------------------------------------------------------------------
def stored(data: Path, run_id: str) -> int:
    with sqlite3.connect(data / "labledger.db") as conn:
        sql = "SELECT count(*) FROM metric_points m JOIN runs r ON r.pk = m.run_pk WHERE r.id = ?"
        return int(conn.execute(sql, (run_id,)).fetchone()[0])


def ingest(
    work: Path, urls: dict[str, str], data: dict[str, Path], token: str, points: int, rounds: int
) -> dict[str, list[dict[str, Any]]]:
    """bench.logging's HTTP child against each side, alternating, ``rounds`` times."""
    out: dict[str, list[dict[str, Any]]] = {s: [] for s in SIDES}
    for r in range(rounds):
        for side in SIDES if r % 2 == 0 else SIDES[::-1]:
            note(f"ingest round {r + 1}/{rounds}, auth {side}: {points:,} points")
            env = quiet_env(
                LABLEDGER_SPOOL_DIR=str(work / f"spool-{side}-{r}"),
                LABLEDGER_CREDENTIALS_FILE=str(work / "no-credentials.json"),
                **({"LABLEDGER_TOKEN": token} if side == "on" else {}),
            )
            res = run_json(child_cmd("logging", "http", points, urls[side]), env=env, timeout=3600)
            res["stored"] = stored(data[side], res["run_id"])
            res["rate"] = res["points"] / res["total_s"]
            out[side].append(res)
    return out


# -- report --------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1e3:+.3f} ms"


def report(
    a: Any,
    lat: dict[str, Any],
    ing: dict[str, list[dict[str, Any]]],
    alone: dict[str, list[float]],
    prof: Any = None,
) -> bool:
    header("Auth", ["python", "-m", "bench.auth", *sys.argv[1:]], a.load_start)
    print(
        "- two `labledger server` processes (`--auth off`, `--auth on`), each on a fresh "
        "SQLite store set up alike by the CLI (users lead and bench, project bench owned by "
        "lead, bench an editor, a write-scoped token for bench sent to the auth-on server "
        "only); client and servers share the machine's cores"
    )
    print(
        f"\n### (a) small requests, paired: {a.iterations:,} per kind and side after "
        f"{a.warmup} warm-up iterations\n"
    )
    print(
        "Each iteration sends every kind once to each server, one after the other (which side "
        "goes first alternates), on one keep-alive httpx connection per server; time = send "
        "to the whole response, client side. Added = median on − median off, with a 95 % "
        "paired-bootstrap interval; paired = the median of the per-iteration differences."
    )
    rows, cmp = [], {}
    for kind in KINDS:
        c = cmp[kind] = compare(lat["times"][kind]["off"], lat["times"][kind]["on"])
        met = c["added"] <= BAR_ADDED_S
        rows.append(
            [
                kind,
                fmt_s(c["off"]),
                fmt_s(c["on"]),
                f"{ms(c['added'])} [{ms(c['low'])}, {ms(c['high'])}]",
                f"{c['on'] / c['off']:.2f}×",
                ms(c["paired"]),
                f"{fmt_s(c['off_p90'])} / {fmt_s(c['on_p90'])}",
                "control" if kind == CONTROL else ("yes" if met else "**no**"),
            ]
        )
    table(
        [
            "request",
            "median off",
            "median on",
            "added (95 % interval)",
            "on / off",
            "paired",
            "p90 off / on",
            "≤ 0.2 ms",
        ],
        rows,
    )
    for e in lat["failed"][:10]:
        print(f"- failed request: `{e}`")
    print(f"\n### (b) HTTP ingest: bench.logging's HTTP child, {a.rounds} rounds per side\n")
    print(
        f"The SDK (`ll.init(project='bench', tracking_uri=URL)`, LABLEDGER_TOKEN set for the "
        f"auth-on server) logs {a.points // 2:,} steps × 2 keys; points/s = points / (first "
        "`log()` to the end of `finish()`); rounds alternate which side runs first; the same "
        "two servers throughout, so later rounds write to a fuller store on both sides."
    )
    irows = []
    for r in range(a.rounds):
        off, on = ing["off"][r], ing["on"][r]
        irows.append(
            [
                f"round {r + 1}",
                fmt_rate(off["rate"]),
                fmt_rate(on["rate"]),
                f"{on['rate'] / off['rate']:.2f}×",
                f"{fmt_s(off['finish_s'])} / {fmt_s(on['finish_s'])}",
                f"{off['stored']:,} / {on['stored']:,}",
            ]
        )
    rate = {s: median([x["rate"] for x in ing[s]]) for s in SIDES}
    irows.append(
        [
            "**median**",
            fmt_rate(rate["off"]),
            fmt_rate(rate["on"]),
            f"{rate['on'] / rate['off']:.2f}×",
            "",
            "",
        ]
    )
    cols = ["", "points/s auth off", "points/s auth on", "on / off"]
    table([*cols, "`finish()` off / on", "stored off / on (SQL count)"], irows)
    print(
        "\n### (c) the auth calls alone, in one process\n\nThe two auth calls of a request "
        "through the server's own code on the auth-on store (its server stopped); for scale, "
        "an empty read transaction, the token lookup's SQL in plain sqlite3 and the service "
        f"call they guard; {a.iterations:,} times each after 200 untimed:"
    )
    arows = [[k, fmt_s(median(v)), fmt_s(percentile(v, 90))] for k, v in alone.items()]
    table(["call", "median", "p90"], arows)
    if prof:
        profile_report(prof)
    complete = all(x["stored"] == x["points"] for s in SIDES for x in ing[s])
    ok_ing = rate["on"] >= BAR_HTTP_RATE and complete
    judged = {k: c for k, c in cmp.items() if k != CONTROL}
    ok_lat = all(c["added"] <= BAR_ADDED_S for c in judged.values())
    worst = max(judged, key=lambda k: judged[k]["added"])
    print(
        f"Bar: auth adds under 0.2 ms to the median request, every kind: "
        f"{verdict(ok_lat and not lat['failed'])} (most added: {worst}, "
        f"{ms(judged[worst]['added'])}).\n"
    )
    print(
        f"Bar: HTTP ingest with auth on at least {BAR_HTTP_RATE:,} points/s: {verdict(ok_ing)} "
        f"({fmt_rate(rate['on'])} median of {a.rounds}; auth off {fmt_rate(rate['off'])}; "
        f"every point stored: {'yes' if complete else 'NO'}).\n"
    )
    return ok_lat and ok_ing and not lat["failed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 iterations, 100k points, 1 round")
    parser.add_argument("--iterations", type=int, help="timed per kind and side (default 2000)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed iterations first")
    parser.add_argument("--points", type=int, help="points per ingest run (default 1,000,000)")
    parser.add_argument("--rounds", type=int, help="ingest rounds per side (default 3)")
    parser.add_argument("--py-spy", metavar="PATH", help="profile each server with this py-spy")
    parser.add_argument("--profile-seconds", type=float, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    a = parser.parse_args()
    a.load_start = load_average()
    a.iterations = a.iterations or (200 if a.quick else 2000)
    a.points = a.points or (100_000 if a.quick else 1_000_000)
    a.rounds = a.rounds or (1 if a.quick else 3)
    with scratch_dir("auth", keep=a.keep) as work:
        data = {s: work / f"store-auth-{s}" for s in SIDES}
        prepare(data["off"])  # the same setup on both stores; only the server's --auth differs
        token = prepare(data["on"])
        with server(work, data["off"], "off") as off_url, server(work, data["on"], "on") as on_url:
            urls = {"off": off_url, "on": on_url}
            note(f"latency: {a.iterations:,} iterations x {len(KINDS)} kinds x 2 sides")
            lat = latency(urls, token, a.iterations, a.warmup)
            prof = profile(a.py_spy, work, urls, token, a.profile_seconds) if a.py_spy else None
            ing = ingest(work, urls, data, token, a.points, a.rounds)
        note("the auth calls in this process")
        alone = in_process(data["on"], token, lat["runs"]["on"]["read"], a.iterations)
    ok = report(a, lat, ing, alone, prof)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
