"""The model registry's pages in Debian's Chromium against a real server with auth on: the
models list and version search, a model's page (versions, a refused and an accepted
promotion explained, approvals, roll back, policies, environments and drift), the lineage of
a deployment, and a viewer who sees no control.  Runs, versions, the policy, the deployment
and production data are made through the SDK with an admin token; users with the CLI."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ServerProcess
from tests.e2e.conftest import SCREENSHOTS

pytestmark = pytest.mark.e2e

PASSWORD = "correct horse battery staple"
REFUSED_409 = "status of 409"  # what Chromium logs for the refusals the test provokes


def labledger(*args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "labledger.cli", *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"labledger {' '.join(args)}: {done.stderr}"
    return done.stdout


@dataclass
class Registry:
    server: ServerProcess
    runs: dict[float, str]  # acc -> run id
    dataset: str  # the training set's digest
    deployment: int  # v2 in prod

    @property
    def url(self) -> str:
        return self.server.url


def train(url: str, acc: float, work: Path) -> tuple[str, str]:
    """A finished run with metric acc, a training dataset, a model folder and a reference."""
    import labledger as ll

    folder = work / f"model-{acc}"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(f"weights for {acc}".encode())
    (folder / "config.json").write_text('{"layers": 2}')
    run = ll.init(project="churn-team", name=f"churn-acc{acc}", tracking_uri=url)
    run.log({"acc": acc, "loss": round(1 - acc, 3)})
    dataset = run.log_dataset(work / "train.csv", name="train", role="training")
    run.log_artifact(folder, "model", copy=True)
    rng = np.random.default_rng(7)
    run.log_reference("inputs", {"x": rng.normal(0, 1, 2000), "plan": ["a", "b"] * 1000})
    run.finish()
    return run.id, dataset.digest


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """``churn`` in ``churn-team`` (admin's, vic a viewer): v1 from a run with acc 0.85, v2
    from one with 0.95, both trained on the same dataset; champion's policy wants acc >= 0.9;
    v2 serves prod, whose production data drifted."""
    from labledger.sdk.client import Client

    data = tmp_path_factory.mktemp("registry-ui")
    work = tmp_path_factory.mktemp("registry-work")
    (work / "train.csv").write_text("x,plan,churned\n0.1,a,0\n1.2,b,1\n")
    server = ServerProcess(data, args=["--auth", "on"])
    server.start()
    try:
        store = ["--data-dir", str(data)]
        labledger("users", "add", "vic", *store)
        for name in ("admin", "vic"):
            labledger("users", "passwd", name, "--password", PASSWORD, *store)
        token = labledger("tokens", "create", "admin", *store).strip()
        with pytest.MonkeyPatch.context() as env:
            env.setenv("LABLEDGER_SPOOL_DIR", str(data / "spool"))
            env.setenv("LABLEDGER_CREDENTIALS_FILE", str(data / "no-credentials.json"))
            env.setenv("LABLEDGER_TOKEN", token)
            runs: dict[float, str] = {}
            for acc in (0.85, 0.95):
                runs[acc], digest = train(server.url, acc, work)
            with Client(server.url) as client:
                client.create_model("churn", "churn-team", description="Who leaves next month")
                assert client.register_model("churn", runs[0.85], "model")["version"] == 1
                assert client.register_model("churn", runs[0.95], "model")["version"] == 2
                client.set_promotion_policy("churn", 'metrics: ["acc >= 0.9"]', alias="champion")
                deployment = client.record_deployment(
                    "churn", 2, "prod", url="http://churn.internal"
                )
                rng = np.random.default_rng(11)
                start = deployment["since_ms"] - 3 * 3_600_000  # three hourly batches
                for hour, (shift, plan) in enumerate([(0.0, "ab"), (0.1, "ab"), (1.5, "c")]):
                    plans = list(plan) * (1000 // len(plan))
                    client.log_production(
                        "churn",
                        "prod",
                        {"x": rng.normal(shift, 1, 1000), "plan": plans},
                        time_ms=start + hour * 3_600_000,
                    )
        labledger("projects", "members", "add", "churn-team", "vic", "--role", "viewer", *store)
        yield Registry(server, runs, digest, deployment["id"])
    finally:
        server.stop()


def sign_in(page, url: str, user: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{url}/login")
    page.get_by_label("User", exact=True).fill(user)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.get_by_test_id("signed-in-as").wait_for()


def open_model(page, url: str, role: str) -> None:  # type: ignore[no-untyped-def]
    """The model page, once the user's role in its project is known."""
    page.goto(f"{url}/models/churn")
    page.locator(f"[data-testid=model-page][data-role={role}]").wait_for()
    page.get_by_test_id("versions-table").wait_for()


def test_models_list_and_version_search(page, registry):
    from playwright.sync_api import expect

    sign_in(page, registry.url, "admin")
    page.get_by_role("link", name="Models", exact=True).click()
    row = page.locator("[data-testid=model-row][data-model=churn]")
    expect(row).to_contain_text("churn-team")
    expect(row).to_contain_text("v2")
    assert page.title() == "Models · LabLedger"

    page.get_by_label("Filter").fill("run.metrics.acc > 0.9")
    page.get_by_role("button", name="Search", exact=True).click()
    results = page.get_by_test_id("search-results")
    expect(results.get_by_test_id("version-row")).to_have_count(1)
    found = results.get_by_test_id("version-row")
    expect(found).to_have_attribute("data-version", "2")
    expect(found).to_contain_text("churn-acc0.95")
    assert "q=run.metrics.acc" in page.url  # the search can be shared

    page.get_by_label("Filter").fill("name = 'churn'")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(results.get_by_test_id("version-row")).to_have_count(2)
    results.get_by_role("link", name="churn-acc0.85").click()  # the run page
    expect(page.get_by_test_id("run-name")).to_have_text("churn-acc0.85")


def test_promotion_refused_then_accepted_and_the_history_says_so(page, registry, console):
    from playwright.sync_api import expect

    console.expect(REFUSED_409)  # v1's refusal, and a roll back with nothing to go back to
    sign_in(page, registry.url, "admin")
    open_model(page, registry.url, "all")
    versions = page.get_by_test_id("versions-table")
    expect(versions.get_by_test_id("version-row")).to_have_count(2)
    v1 = versions.locator("[data-testid=version-row][data-version='1']")
    expect(v1.get_by_role("link", name="churn-acc0.85")).to_have_attribute(
        "href", f"/runs/{registry.runs[0.85]}"
    )
    expect(v1).to_contain_text("0.85")
    expect(v1).to_contain_text("finished")
    policy = page.locator("[data-testid=policy][data-alias=champion]")
    expect(policy.get_by_test_id("policy-yaml")).to_contain_text('- "acc >= 0.9"')

    # v1 to champion: the check already says why not; promoting anyway is refused, explained
    page.get_by_role("button", name="Promote v1…").click()
    dialog = page.get_by_test_id("promote-dialog")
    expect(dialog.get_by_role("textbox", name="Alias")).to_have_value("champion")
    check = dialog.get_by_test_id("check-result")
    expect(check).to_have_attribute("data-ok", "false")
    expect(check.locator("[data-testid=gate][data-passed=false]")).to_contain_text(
        "acc is 0.85, needs >= 0.9"
    )
    with page.expect_response("**/aliases/champion/promote") as answer:
        dialog.get_by_role("button", name="Promote", exact=True).click()
    assert answer.value.status == 409
    refusal = dialog.get_by_test_id("refusal")
    expect(refusal).to_be_visible()
    expect(refusal.get_by_test_id("refused-gate")).to_have_text(
        "acc >= 0.9: acc is 0.85, needs >= 0.9"
    )
    expect(page.get_by_text("acc is 0.85").first).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    history = page.get_by_test_id("alias-history")
    refused = history.locator("[data-testid=history-row][data-kind=refuse]")
    expect(refused).to_have_count(1)
    expect(refused).to_contain_text("admin")
    expect(refused).to_contain_text("v1 refused (stays at nothing)")
    expect(refused.get_by_test_id("history-gate")).to_have_text(
        "acc >= 0.9: acc is 0.85, needs >= 0.9"
    )
    holder = page.locator("[data-testid=alias-row][data-alias=champion] [data-testid=alias-holder]")
    expect(holder).to_have_text("nothing")

    # v2: every gate passes; approve it (shown in the approvals), then promote it
    page.get_by_role("button", name="Promote v2…").click()
    expect(dialog.get_by_test_id("check-result")).to_have_attribute("data-ok", "true")
    expect(dialog.locator("[data-testid=gate][data-passed=true]")).to_contain_text("acc >= 0.9")
    dialog.get_by_role("button", name="Approve").click()
    expect(dialog.get_by_test_id("approved")).to_have_text("Approved v2 for champion.")
    approval = page.get_by_test_id("approval-row")
    expect(approval).to_contain_text("champion")
    expect(approval).to_contain_text("v2")
    expect(approval).to_contain_text("admin")
    with page.expect_response("**/aliases/champion/promote") as answer:
        dialog.get_by_role("button", name="Promote", exact=True).click()
    assert answer.value.status == 200
    expect(dialog.get_by_test_id("promoted")).to_contain_text("champion → v2 (was nothing)")
    dialog.get_by_role("button", name="Close").click()
    expect(holder).to_have_text("v2")
    newest = history.get_by_test_id("history-row").first
    expect(newest).to_have_attribute("data-kind", "promote")
    expect(newest).to_contain_text("nothing → v2")
    expect(newest).to_contain_text("admin")
    v2 = versions.locator("[data-testid=version-row][data-version='2']")
    expect(v2.get_by_test_id("alias-badge")).to_have_text("champion")
    if SCREENSHOTS.is_dir():
        page.screenshot(path=str(SCREENSHOTS / "registry-model.png"), full_page=True)

    # champion never pointed anywhere before v2: a roll back says so
    page.get_by_role("button", name="Roll back champion").click()
    expect(page.get_by_test_id("rollback-error")).to_contain_text("no previous version")
    expect(holder).to_have_text("v2")


def test_environments_drift_and_alerts(page, registry):
    from playwright.sync_api import expect

    sign_in(page, registry.url, "admin")
    open_model(page, registry.url, "all")
    prod = page.locator("[data-testid=environment-row][data-env=prod]")
    expect(prod).to_contain_text("v2")
    expect(prod).to_contain_text("http://churn.internal")
    drift = page.locator("[data-testid=drift][data-env=prod]")
    expect(drift.get_by_role("heading")).to_have_text("Drift in prod: PSI per feature")
    chart = page.get_by_test_id("drift-chart-prod")
    expect(chart).to_have_attribute("data-series", "2")  # plan and x
    expect(chart.locator("canvas")).to_have_count(1)
    alert = page.get_by_test_id("alert-row").first
    expect(alert).to_contain_text("prod")
    expect(alert).to_contain_text("v2")
    expect(alert.get_by_role("link")).to_have_attribute("href", f"/runs/{registry.runs[0.95]}")
    expect(alert).to_contain_text(re.compile(r"plan \(psi [\d.]+\)"))
    expect(alert).to_contain_text(re.compile(r"x \(psi [\d.]+, ks [\d.]+\)"))


def test_lineage_of_the_prod_deployment(page, registry):
    from playwright.sync_api import expect

    sign_in(page, registry.url, "admin")
    open_model(page, registry.url, "all")
    page.get_by_role("link", name="Lineage of the prod deployment").click()
    graph = page.get_by_test_id("lineage-graph")
    graph.wait_for()
    assert page.url.endswith(f"/lineage?node=deployment%3A{registry.deployment}")
    node = lambda node_id: graph.locator(f"[data-testid=lineage-node][data-node='{node_id}']")  # noqa: E731
    run = node(f"run:{registry.runs[0.95]}")
    expect(run).to_contain_text("churn-acc0.95")
    expect(node("version:churn/2")).to_contain_text("churn v2")
    expect(node(f"dataset:{registry.dataset}")).to_contain_text("dataset train")
    expect(node(f"deployment:{registry.deployment}")).to_contain_text("prod: churn v2")
    # columns in the order data flows, boxes left to right
    headings = graph.locator(".ll-lineage-heading").all_inner_texts()
    assert headings[0] == "Inputs" and headings[-1] == "Deployments"
    assert headings.index("Runs") < headings.index("Versions")
    x = lambda loc: loc.bounding_box()["x"]  # noqa: E731
    assert x(node(f"dataset:{registry.dataset}")) < x(run) < x(node("version:churn/2"))
    assert x(node("version:churn/2")) < x(node(f"deployment:{registry.deployment}"))
    edge = graph.locator(
        f"[data-testid=lineage-edge][data-from='run:{registry.runs[0.95]}'][data-to='version:churn/2']"
    )
    expect(edge).to_have_count(1)
    if SCREENSHOTS.is_dir():
        page.screenshot(path=str(SCREENSHOTS / "registry-lineage.png"), full_page=True)
    run.get_by_role("link").click()
    expect(page.get_by_test_id("run-name")).to_have_text("churn-acc0.95")

    # a version's lineage from its row on the model page
    open_model(page, registry.url, "all")
    page.get_by_role("link", name="Lineage of churn v1").click()
    expect(node(f"run:{registry.runs[0.85]}")).to_contain_text("churn-acc0.85")
    node("version:churn/1").get_by_role("link").click()
    expect(page.get_by_test_id("model-name")).to_have_text("churn")


def test_a_viewer_reads_the_registry_without_controls(page, registry):
    from playwright.sync_api import expect

    sign_in(page, registry.url, "vic")
    open_model(page, registry.url, "viewer")
    expect(page.get_by_test_id("version-row")).to_have_count(2)
    expect(page.locator("[data-testid=policy][data-alias=champion]")).to_be_visible()
    expect(page.get_by_test_id("environment-row")).to_have_count(1)
    for name in ("Promote v1…", "Promote v2…", "Roll back champion"):
        assert page.get_by_role("button", name=name).count() == 0, name
    assert page.get_by_role("link", name="Lineage of churn v2").count() == 1
