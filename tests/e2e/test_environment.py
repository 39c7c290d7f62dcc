"""The run page's environment tab and the compare view's package differences in Chromium,
against a real server: a run logged by the SDK from a dirty git work tree with a dataset
(commit, highlighted diff, packages, dataset, seal that verifies, then fails to once a param
row is edited in the database), runs whose environments differ, and the incomplete flag."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from tests.conftest import ServerProcess
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

TRAIN = "import os\n\nprint(1)\n"
TRAIN_EDITED = "import os\n\nprint(2)\nx = 3\n"
CSV = b"id,label\n1,cat\n2,dog\n3,bird\n"
SCRIPT = """
import sys
import labledger as ll
with ll.init(project="provenance", name="dirty-run", tracking_uri=sys.argv[1],
             config={"lr": 0.1, "seed": 1}) as run:
    run.log_dataset("data/train.csv", name="train", role="training")
    run.log({"loss": 0.5}, step=0)
print(run.id)
"""


def git(repo: Path, *args: str) -> str:
    who = {"NAME": "t", "EMAIL": "t@example.com"}
    env = {
        **os.environ,
        **{f"GIT_{role}_{k}": v for role in ("AUTHOR", "COMMITTER") for k, v in who.items()},
    }
    done = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return done.stdout.strip()


def dirty_repo(root: Path) -> tuple[Path, str]:
    """A work tree with one commit, then an edited tracked file and an untracked one."""
    repo = root / "repo"
    (repo / "data").mkdir(parents=True)
    (repo / "train.py").write_text(TRAIN)
    (repo / "data" / "train.csv").write_bytes(CSV)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    (repo / "train.py").write_text(TRAIN_EDITED)
    (repo / "notes.txt").write_text("untracked\n")
    return repo, git(repo, "rev-parse", "HEAD")


def log_run_in(repo: Path, url: str, spool: Path) -> str:
    """The SDK in its own process, started in the work tree, as a training script is."""
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, url],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "LABLEDGER_SPOOL_DIR": str(spool), "LABLEDGER_CAPTURE": "all"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def create_run(url: str, project: str, name: str, batch: dict[str, object]) -> str:
    r = httpx.post(f"{url}/api/v1/runs", json={"project": project, "name": name})
    assert r.is_success, r.text
    run_id = str(r.json()["id"])
    r = httpx.post(f"{url}/api/v1/runs/{run_id}/batches", json={"batch_id": "b1", **batch})
    assert r.is_success, r.text
    return run_id


def tamper_param(server: ServerProcess, run_id: str, key: str, value: str) -> None:
    """Edit a sealed run's param behind the server's back."""
    db = sqlite3.connect(server.data_dir / "labledger.db")
    try:
        with db:  # commits
            changed = db.execute(
                "UPDATE params SET value = ? WHERE key = ?"
                " AND run_pk = (SELECT pk FROM runs WHERE id = ?)",
                (value, key, run_id),
            ).rowcount
    finally:
        db.close()
    assert changed == 1


def test_environment_tab_shows_code_data_packages_and_seal(page, server: ServerProcess, tmp_path):
    repo, commit = dirty_repo(tmp_path)
    run_id = log_run_in(repo, server.url, tmp_path / "spool")
    run = httpx.get(f"{server.url}/api/v1/runs/{run_id}").json()
    assert run["status"] == "finished" and run["seal_hash"]
    r = httpx.patch(f"{server.url}/api/v1/runs/{run_id}", json={"notes": "checked by hand"})
    assert r.is_success, r.text  # notes may change after sealing: an annotation

    page.goto(f"{server.url}/runs/{run_id}")
    page.get_by_test_id("tab-environment").click()
    assert "tab=environment" in page.url

    # seal: the hash, and the server's recomputation agrees with it
    expect(page.get_by_test_id("seal-hash")).to_have_text(run["seal_hash"])
    result = page.get_by_test_id("verify-result")
    expect(result).to_have_attribute("data-ok", "true", timeout=30_000)
    expect(result).to_contain_text("verifies")
    expect(page.locator("[data-testid=annotation-row][data-field=notes]")).to_contain_text(
        "checked by hand"
    )

    # code: commit, dirty state, and the diff with Python highlighted
    expect(page.get_by_test_id("git-commit")).to_have_text(commit)
    expect(page.get_by_test_id("git-dirty")).to_contain_text("1 changed file, 1 untracked file")
    added = page.locator("[data-testid=diff-line][data-kind=add]", has_text="x = 3")
    expect(added).to_have_count(1)
    expect(added.locator(".hljs-number")).to_have_text("3")  # highlight.js ran
    removed = page.locator("[data-testid=diff-line][data-kind=del]", has_text="print(1)")
    expect(removed.locator(".hljs-built_in")).to_have_text("print")
    expect(page.get_by_test_id("diff-stats")).to_contain_text("1 file changed")

    # the dataset, by digest
    dataset = page.locator("[data-testid=dataset-row][data-name=train]")
    expect(dataset).to_contain_text("training")
    expect(dataset.get_by_test_id("dataset-digest")).to_have_text(
        hashlib.sha256(CSV).hexdigest()[:12]
    )

    # packages: this interpreter's httpx, found by the search box
    row = page.locator("[data-testid=package-row][data-name=httpx]")
    expect(row.get_by_test_id("package-version")).to_have_text(version("httpx"))
    page.get_by_test_id("packages-search").fill("HTTPX")
    expect(page.get_by_test_id("packages-count")).to_contain_text(" of ")
    names = page.locator("[data-testid=package-row]").evaluate_all(
        "els => els.map(e => e.dataset.name)"
    )
    assert "httpx" in names and all("httpx" in n for n in names)

    # python, system and process facts
    expect(page.get_by_test_id("env-python")).to_contain_text(sys.version.split()[0])
    expect(page.get_by_test_id("command-line")).to_have_text("-c " + server.url)
    expect(page.get_by_test_id("env-ci")).to_be_visible()

    page.evaluate("window.scrollTo(0, 0)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "environment.png"))

    # a param edited in the database: the seal no longer verifies, naming the part
    tamper_param(server, run_id, "lr", "0.5")
    page.reload()
    result = page.get_by_test_id("verify-result")
    expect(result).to_have_attribute("data-ok", "false", timeout=30_000)
    expect(result).to_contain_text("does not verify")
    expect(page.get_by_test_id("verify-problems")).to_contain_text(
        "params changed since the run was sealed"
    )


BASE_ENV = {
    "git": {"commit": "a" * 40, "branch": "main", "dirty": False},
    "python": {"version": "3.11.7", "implementation": "CPython"},
    "packages": {"count": 3, "packages": {"numpy": "1.26.4", "torch": "2.2.0", "six": "1.16.0"}},
}
OTHER_ENV = {
    "git": {"commit": "b" * 40, "branch": "main", "dirty": False},
    "python": {"version": "3.12.1", "implementation": "CPython"},
    "packages": {"count": 3, "packages": {"numpy": "2.0.1", "torch": "2.2.0", "pandas": "2.2.2"}},
}


def test_compare_view_lists_package_differences_against_the_first_run(page, server: ServerProcess):
    base = create_run(server.url, "envs", "base", {"environment": BASE_ENV})
    other = create_run(server.url, "envs", "upgraded", {"environment": OTHER_ENV})
    same = create_run(server.url, "envs", "same", {"environment": BASE_ENV})
    page.goto(f"{server.url}/compare?runs={base},{other},{same}")

    diff = page.locator(f"[data-testid=package-diff][data-run='{other}']")
    expect(diff.get_by_test_id("package-diff-summary")).to_have_text(
        "1 added · 1 removed · 1 changed · 1 the same"
    )
    rows = diff.get_by_test_id("package-diff-row")
    expect(rows).to_have_count(3)
    numpy = diff.locator("[data-testid=package-diff-row][data-name=numpy]")
    expect(numpy).to_have_attribute("data-change", "upgraded")
    expect(numpy).to_contain_text("1.26.4")
    expect(numpy).to_contain_text("2.0.1")
    expect(diff.locator("[data-name=pandas]")).to_have_attribute("data-change", "added")
    expect(diff.locator("[data-name=six]")).to_have_attribute("data-change", "removed")
    expect(diff.locator("[data-name=torch]")).to_have_count(0)

    unchanged = page.locator(f"[data-testid=package-diff][data-run='{same}']")
    expect(unchanged).to_contain_text("The same packages and versions.")
    expect(page.get_by_test_id("package-baseline")).to_contain_text("base")

    facts = page.get_by_test_id("env-facts-diff")
    expect(facts.locator("[data-key=commit]")).to_have_attribute("data-differs", "true")
    expect(facts.locator("[data-key=python]")).to_have_attribute("data-differs", "true")
    expect(facts.locator("[data-key=python]")).to_contain_text("3.12.1")
    expect(facts.locator("[data-key=branch]")).to_have_attribute("data-differs", "false")


def test_run_missing_required_fields_is_flagged(page, server: ServerProcess):
    required = ["params.seed", "datasets", "container.image_digest"]
    run_id = create_run(server.url, "strict", "bare", {"params": {"seed": "1"}})
    r = httpx.put(f"{server.url}/api/v1/projects/strict/requirements", json={"required": required})
    assert r.is_success, r.text

    page.goto(f"{server.url}/runs/{run_id}?tab=environment")
    flag = page.get_by_test_id("incomplete-flag")
    expect(flag).to_have_text("incomplete: lacks container.image_digest, datasets")
    # a running run logged over REST: not sealed, nothing captured — said, not blank
    expect(page.get_by_test_id("not-sealed")).to_contain_text("still running")
    expect(page.get_by_test_id("environment-tab").get_by_test_id("empty")).to_contain_text(
        "No environment captured"
    )
