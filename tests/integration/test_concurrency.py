"""Many processes writing to one embedded store at once: no 'database is locked', exact counts."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import labledger as ll

WRITER = """
import sys, labledger as ll
uri, index, steps = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
run = ll.init(project="conc", name=f"w{index}", tracking_uri=uri, config={"index": index})
for step in range(steps):
    run.log({"a": float(step), "b": float(index)}, step=step)
run.finish()
print(run.id)
"""


def test_parallel_processes_store_every_point_exactly_once(tmp_path):
    uri = str(tmp_path / "store")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, uri, str(i), "10000"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
        assert "locked" not in err
    with ll.Client(uri) as client:
        runs = list(client.iter_runs("conc"))
        assert len(runs) == 8
        for run in runs:
            assert run.status is ll.RunStatus.FINISHED
            for key in ("a", "b"):
                history = client.get_metric_history(run.id, key)
                assert history.total_points == 10_000
            assert history.steps.tolist() == list(range(10_000))


def test_processes_racing_on_one_run_key_share_one_run(tmp_path):
    uri = str(tmp_path / "store")
    code = textwrap.dedent(f"""
        import os, time, labledger as ll
        run = ll.init(project="ci", run_key="commit-abc/build-9/train", tracking_uri={uri!r})
        open(os.path.join({str(tmp_path)!r}, f"ready-{{os.getpid()}}"), "w").close()
        while len([f for f in os.listdir({str(tmp_path)!r}) if f.startswith("ready-")]) < 6:
            time.sleep(0.05)  # all six write to the run at once, then each finishes
        run.log({{"x": 1.0}})
        run.finish()
        print(run.id)
    """)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(6)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in results]
    assert len({out.strip() for out, _ in results}) == 1
    with ll.Client(uri) as client:
        [run] = client.search_runs("ci")
        # the run ended with its last writer: every process's point is there, then the seal
        assert client.get_metric_history(run.id, "x").total_points == 6
        assert run.status is ll.RunStatus.FINISHED and run.seal_hash is not None
