"""A server with auth on, as MLflow's clients reach it: no credential, a wrong one, a
LabLedger API token as MLFLOW_TRACKING_TOKEN (Bearer) and as MLFLOW_TRACKING_PASSWORD
(Basic, with the token's user or another as the username), and what a viewer may not do.
The tokens come in LL_ANA_TOKEN and LL_VIC_TOKEN.  Argument: a name prefix; the project
``<prefix>-shared`` is ana's and vic is its viewer."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import mlflow
from _common import attempt, emit, run, start
from mlflow import MlflowClient

(prefix,) = start()
client = MlflowClient()
ANA, VIC = os.environ["LL_ANA_TOKEN"], os.environ["LL_VIC_TOKEN"]
CREDENTIALS = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
out: dict = {}


def as_caller(token: str | None = None, username: str | None = None, password: str | None = None):
    """The client reads its credentials from the environment on every request."""
    for key in CREDENTIALS:
        os.environ.pop(key, None)
    for key, value in zip(CREDENTIALS, (token, username, password), strict=True):
        if value is not None:
            os.environ[key] = value


# -- no credential, a bad one --------------------------------------------------------------
as_caller()
out["anonymous_search"] = attempt(lambda: client.search_experiments())
out["anonymous_create"] = attempt(lambda: client.create_experiment(f"{prefix}-anon"))
as_caller(token="ll_" + "x" * 43)
out["bad_token"] = attempt(lambda: client.search_experiments())
as_caller(username="ana", password="not-a-token")
out["bad_password"] = attempt(lambda: client.search_experiments())

# -- ana with a Bearer token -----------------------------------------------------------------
as_caller(token=ANA)
private = client.create_experiment(f"{prefix}-private", tags={"owner": "ana"})
shared = client.get_experiment_by_name(f"{prefix}-shared").experiment_id
mlflow.set_experiment(experiment_id=shared)
with mlflow.start_run(run_name="ana-run") as active:
    mlflow.log_param("lr", 0.1)
    mlflow.log_metric("loss", 0.5, step=1)
    mlflow.log_text("by ana", "notes.txt")
ana_run = active.info.run_id
out["ana_run"] = run(client.get_run(ana_run))
claimed = client.create_run(shared, run_name="claims", tags={"mlflow.user": "mallory"})
out["claimed_user"] = claimed.info.user_id  # the server says who made it, not the client
out["claimed_id"] = claimed.info.run_id
out["private"] = private
out["shared"] = shared

# -- ana with Basic: the token as password -----------------------------------------------------
as_caller(username="ana", password=ANA)
out["basic_get"] = client.get_run(ana_run).info.user_id
basic_run = client.create_run(shared, run_name="basic")
client.log_metric(basic_run.info.run_id, "m", 1.0)
client.set_terminated(basic_run.info.run_id)
out["basic_run"] = run(client.get_run(basic_run.info.run_id))
as_caller(username="vic", password=ANA)  # a valid token, another user's name
out["basic_wrong_user"] = attempt(lambda: client.get_run(ana_run))

# -- vic: a viewer of the shared project, nothing in the private one --------------------------
as_caller(token=VIC)
out["vic_reads"] = client.get_run(ana_run).info.run_name
out["vic_history"] = [m.value for m in client.get_metric_history(ana_run, "loss")]
out["vic_search"] = sorted(r.info.run_name for r in client.search_runs([shared]))
out["vic_artifact"] = mlflow.artifacts.load_text(f"runs:/{ana_run}/notes.txt")
out["vic_experiments"] = sorted(
    e.name for e in client.search_experiments() if e.name.startswith(prefix)
)
out["vic_private_by_id"] = attempt(lambda: client.get_experiment(private).name)
out["vic_private_by_name"] = client.get_experiment_by_name(f"{prefix}-private")
claimed_id = out["claimed_id"]
note = Path(tempfile.mkdtemp()) / "vic.txt"
note.write_text("vic was here")
out["vic_denied"] = {
    "create_run": attempt(lambda: client.create_run(shared)),
    "log_param": attempt(lambda: client.log_param(claimed_id, "x", "1")),
    "log_metric": attempt(lambda: client.log_metric(claimed_id, "x", 1.0)),
    "set_tag": attempt(lambda: client.set_tag(claimed_id, "x", "1")),
    "terminate": attempt(lambda: client.set_terminated(claimed_id)),
    "delete_run": attempt(lambda: client.delete_run(claimed_id)),
    "experiment_tag": attempt(lambda: client.set_experiment_tag(shared, "x", "1")),
    "rename": attempt(lambda: client.rename_experiment(shared, f"{prefix}-taken")),
    "delete_experiment": attempt(lambda: client.delete_experiment(shared)),
    "upload": attempt(lambda: client.log_artifact(claimed_id, str(note))),
}
# vic's own experiment is vic's
mine = client.create_experiment(f"{prefix}-vic")
mine_run = client.create_run(mine, run_name="vic-run")
out["vic_own"] = mine_run.info.user_id
out["vic_experiment"] = mine

# -- what vic tried left no trace --------------------------------------------------------------
as_caller(token=ANA)
out["claimed_after"] = run(client.get_run(claimed_id))
out["shared_after"] = {
    "name": client.get_experiment(shared).name,
    "lifecycle_stage": client.get_experiment(shared).lifecycle_stage,
    "tags": dict(client.get_experiment(shared).tags),
    "runs": sorted(r.info.run_name for r in client.search_runs([shared])),
}
out["ana_sees_vic"] = attempt(lambda: client.get_experiment(mine).name)
client.set_terminated(claimed_id)
emit(out)
