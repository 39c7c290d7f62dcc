"""The labledger command: demo, runs ls/show, errors as one clear line."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from labledger.cli.main import cli


@pytest.fixture
def demo_store(tmp_path):
    uri = str(tmp_path / "store")
    result = CliRunner().invoke(
        cli, ["demo", "--tracking-uri", uri, "--runs-per-project", "3", "--steps", "300"]
    )
    assert result.exit_code == 0, result.output
    return uri


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args))


def test_demo_fills_projects_with_nested_and_failed_runs(demo_store):
    out = invoke("runs", "ls", "-p", "mnist", "--json", "--tracking-uri", demo_store)
    assert out.exit_code == 0, out.output
    runs = [json.loads(line) for line in out.output.splitlines()]
    assert len(runs) == 4  # 3 trials and their sweep parent
    statuses = sorted(r["status"] for r in runs)
    assert statuses == ["failed", "finished", "finished", "finished"]
    parent = next(r for r in runs if r["parent_id"] is None)
    assert all(r["parent_id"] == parent["id"] for r in runs if r is not parent)


def test_runs_ls_filters_and_orders(demo_store):
    out = invoke(
        "runs",
        "ls",
        "-p",
        "mnist",
        "-f",
        "status = 'finished' and metrics.acc > 0",
        "-o",
        "metrics.acc desc",
        "--json",
        "--tracking-uri",
        demo_store,
    )
    assert out.exit_code == 0, out.output
    accs = [json.loads(line)["metrics"]["acc"] for line in out.output.splitlines()]
    assert len(accs) == 2 and accs == sorted(accs, reverse=True)
    table = invoke("runs", "ls", "-p", "mnist", "--tracking-uri", demo_store)
    assert table.exit_code == 0 and "mnist: 4 runs" in table.output


def test_runs_show_prints_params_and_metrics(demo_store):
    listing = invoke(
        "runs",
        "ls",
        "-p",
        "cifar10",
        "-n",
        "1",
        "-f",
        "params.lr IS NOT NULL",
        "--json",
        "--tracking-uri",
        demo_store,
    )
    run_id = json.loads(listing.output.splitlines()[0])["id"]
    out = invoke("runs", "show", run_id, "--tracking-uri", demo_store)
    assert out.exit_code == 0, out.output
    assert run_id in out.output and "optimizer.name" in out.output and "loss" in out.output


def test_errors_are_one_line_with_the_code_and_exit_1(demo_store):
    bad = invoke("runs", "ls", "-p", "mnist", "-f", "metrics.acc >", "--tracking-uri", demo_store)
    assert bad.exit_code == 1
    assert "error [invalid_query]" in bad.output and "position 13" in bad.output
    missing = invoke("runs", "show", "0" * 32, "--tracking-uri", demo_store)
    assert missing.exit_code == 1 and "error [run_not_found]" in missing.output


def test_db_current_reports_head(tmp_path):
    invoke("db", "upgrade", "--data-dir", str(tmp_path))
    out = invoke("db", "current", "--data-dir", str(tmp_path))
    assert out.exit_code == 0
    current, head = (line.split()[-1] for line in out.output.splitlines())
    assert current == head


def test_demo_through_a_server(server, tmp_path, monkeypatch):
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    result = invoke(
        "demo", "--tracking-uri", server.url, "--runs-per-project", "2", "--steps", "100"
    )
    assert result.exit_code == 0, result.output
    out = invoke("runs", "ls", "-p", "sentiment", "--json", "--tracking-uri", server.url)
    assert len(out.output.splitlines()) == 3


def _a_trial(store: str) -> str:
    import labledger as ll

    with ll.Client(store) as client:
        return next(r.id for r in client.search_runs("mnist") if r.parent_id)


def test_artifacts_ls_get_put(demo_store, tmp_path):
    run_id = _a_trial(demo_store)
    out = invoke("artifacts", "ls", run_id, "--tracking-uri", demo_store)
    assert out.exit_code == 0, out.output
    assert "eval/predictions.csv" in out.output and "plots/loss.svg" in out.output

    out = invoke(
        "artifacts", "get", run_id, "eval", str(tmp_path / "dl"), "--tracking-uri", demo_store
    )
    assert out.exit_code == 0, out.output
    assert "downloaded 2 files" in out.output
    assert (tmp_path / "dl" / "predictions.csv").read_text().startswith("id,label")

    (tmp_path / "new").mkdir()
    (tmp_path / "new" / "notes.md").write_text("# notes\n")
    out = invoke(
        "artifacts",
        "put",
        run_id,
        str(tmp_path / "new"),
        "--path",
        "extra",
        "--tracking-uri",
        demo_store,
    )
    assert out.exit_code == 0, out.output
    assert "uploaded 1 files" in out.output
    out = invoke("artifacts", "ls", run_id, "extra", "--tracking-uri", demo_store)
    assert "extra/notes.md" in out.output

    out = invoke("artifacts", "get", run_id, "../etc", str(tmp_path), "--tracking-uri", demo_store)
    assert out.exit_code == 1
    assert "error [invalid_artifact_path]" in out.output


def test_artifacts_gc_frees_what_deleted_runs_left(demo_store):
    import labledger as ll

    run_id = _a_trial(demo_store)
    with ll.Client(demo_store) as client:
        client.delete_run(run_id)
    out = invoke("artifacts", "gc", "--data-dir", demo_store, "--grace-seconds", "0", "--dry-run")
    assert out.exit_code == 0, out.output
    assert "would free" in out.output and "would free 0 blobs" not in out.output
    out = invoke("artifacts", "gc", "--data-dir", demo_store, "--grace-seconds", "0")
    assert out.exit_code == 0 and "freed" in out.output
    again = invoke("artifacts", "gc", "--data-dir", demo_store, "--grace-seconds", "0")
    assert "freed 0 blobs" in again.output
