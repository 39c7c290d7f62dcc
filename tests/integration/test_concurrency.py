"""Many processes writing to one embedded store at once: no 'database is locked', and every
point of every key of every run stored exactly once, as logged."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import labledger as ll
from tests.histories import VALUE_EXPR, check_run_history, expected

STEPS = 10_000

WRITER = f"""
import json, sys, time, labledger as ll
def v(r, k, s):
    return {VALUE_EXPR}
uri, r, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
run = ll.init(project="conc", name=f"w{{r}}", tracking_uri=uri, config={{"index": r}})
start = time.time_ns() // 1_000_000
for s in range(steps):
    run.log({{"a": v(r, 0, s), "b": v(r, 1, s)}}, step=s)
end = time.time_ns() // 1_000_000
run.finish()
print(json.dumps({{"run_id": run.id, "index": r, "window": [start, end]}}))
"""


def test_parallel_processes_store_every_point_exactly_once(tmp_path):
    uri = str(tmp_path / "store")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, uri, str(i), str(STEPS)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    writers = []
    for proc, (out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
        writers.append(json.loads(out))
    with ll.Client(uri) as client:
        runs = {run.id: run for run in client.iter_runs("conc")}
        assert set(runs) == {w["run_id"] for w in writers} and len(runs) == 8
        for w in writers:
            run = runs[w["run_id"]]
            assert run.status is ll.RunStatus.FINISHED
            assert run.params["index"] == str(w["index"])
            logged = {
                "a": expected(w["index"], 0, range(STEPS)),
                "b": expected(w["index"], 1, range(STEPS)),
            }
            check_run_history(client, run.id, logged, window_ms=tuple(w["window"]))


def test_processes_racing_on_one_run_key_share_one_run(tmp_path):
    uri = str(tmp_path / "store")
    code = textwrap.dedent(f"""
        import json, os, sys, time, labledger as ll
        def v(r, k, s):
            return {VALUE_EXPR}
        index = int(sys.argv[1])
        run = ll.init(project="ci", run_key="commit-abc/build-9/train", tracking_uri={uri!r})
        open(os.path.join({str(tmp_path)!r}, f"ready-{{os.getpid()}}"), "w").close()
        while len([f for f in os.listdir({str(tmp_path)!r}) if f.startswith("ready-")]) < 6:
            time.sleep(0.05)  # all six write to the run at once, then each finishes
        start = time.time_ns() // 1_000_000
        run.log({{"x": v(0, 0, index)}}, step=index)  # each process at a step of its own
        end = time.time_ns() // 1_000_000
        run.finish()
        print(json.dumps({{"run_id": run.id, "step": index, "window": [start, end]}}))
    """)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(6)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    writers = [json.loads(out) for out, _ in results]
    assert len({w["run_id"] for w in writers}) == 1
    windows = {w["step"]: w["window"] for w in writers}
    with ll.Client(uri) as client:
        [run] = client.search_runs("ci")
        assert run.id == writers[0]["run_id"]
        # the run ended with its last writer: every process's point is there, then the seal
        check_run_history(client, run.id, {"x": expected(0, 0, range(6))})
        history = client.get_metric_history(run.id, "x", max_points=None)
        for step, stamp in zip(history.steps.tolist(), history.timestamps.tolist(), strict=True):
            start, end = windows[step]
            assert start <= stamp <= end, f"step {step} stamped {stamp}, logged in {start}..{end}"
        assert run.status is ll.RunStatus.FINISHED and run.seal_hash is not None
