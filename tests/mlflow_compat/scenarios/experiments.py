"""Experiments: create with tags, get (by id and name), search (name and tag filters, LIKE,
ILIKE, order, pages, view types), tags, rename, delete and restore, ``set_experiment``.
Argument: a prefix that makes every name of this run of the scenario unique."""

from __future__ import annotations

import time

import mlflow
from _common import attempt, emit, experiment, rest, start
from mlflow import MlflowClient
from mlflow.entities import ViewType

(prefix,) = start()
client = MlflowClient()
out: dict = {}
names = {k: f"{prefix}-{k}" for k in ("alpha", "beta", "gamma", "fluent", "renamed")}
out["names"] = names

# -- create, get, get by name, duplicates --------------------------------------------------
alpha = client.create_experiment(names["alpha"], tags={"team": "vision", "stage": "dev"})
beta = client.create_experiment(names["beta"], tags={"team": "Audio", "stage": "prod"})
gamma = client.create_experiment(names["gamma"])
out["ids"] = {"alpha": alpha, "beta": beta, "gamma": gamma}
out["get"] = experiment(client.get_experiment(alpha))
out["get_by_name"] = experiment(client.get_experiment_by_name(names["alpha"]))
out["get_by_name_missing"] = client.get_experiment_by_name(f"{prefix}-missing")  # None
out["get_missing"] = attempt(lambda: client.get_experiment("987654321"))
out["duplicate"] = attempt(lambda: client.create_experiment(names["alpha"]))
out["default"] = experiment(client.get_experiment("0"))
out["bad_name"] = attempt(lambda: client.create_experiment(f"{prefix} with spaces"))


# -- search -------------------------------------------------------------------------------
def search(filter_string=None, **kwargs):
    found = client.search_experiments(filter_string=filter_string, **kwargs)
    return [e.name for e in found if e.name.startswith(prefix)]


out["search"] = {
    "name_eq": search(f"name = '{names['beta']}'"),
    "name_like": search(f"name LIKE '{prefix}-%a'", order_by=["name ASC"]),
    "name_ilike": search(f"name ILIKE '{prefix.upper()}-%'", order_by=["name DESC"]),
    "name_not_like": search(f"name LIKE '{prefix}-%' AND name != '{names['gamma']}'"),
    "tag_eq": search("tags.team = 'vision'"),
    "tag_backticks": search("tags.`stage` = 'prod'"),
    "tag_like": search("tags.team LIKE 'vis%'"),
    "tag_like_case": search("tags.team LIKE 'audio'"),
    "tag_ilike": search("tags.team ILIKE 'audio'"),
    "tag_and_name": search(f"tags.stage != 'prod' AND name LIKE '{prefix}%'"),
    "ordered": search(f"name LIKE '{prefix}-%'", order_by=["name ASC"]),
    "bad_filter": attempt(lambda: client.search_experiments(filter_string="name ~ 'x'")),
}
# pages of one experiment each, every experiment seen once
pages, token = [], None
while True:
    page = client.search_experiments(
        filter_string=f"name LIKE '{prefix}-%'",
        max_results=1,
        page_token=token,
        order_by=["name ASC"],
    )
    pages.append([e.name for e in page])
    token = page.token
    if not token:
        break
out["search"]["pages"] = pages

# -- tags ---------------------------------------------------------------------------------
client.set_experiment_tag(alpha, "owner", "ana")
client.set_experiment_tag(alpha, "stage", "review")  # overwrites


def delete_tag(key):
    if hasattr(client, "delete_experiment_tag"):  # MLflow 3 (2.x has no client method)
        return client.delete_experiment_tag(alpha, key)
    return rest("experiments/delete-experiment-tag", {"experiment_id": alpha, "key": key})


delete_tag("team")
out["tags_after"] = dict(client.get_experiment(alpha).tags)
out["delete_missing_tag"] = attempt(lambda: delete_tag("nope"))

# -- rename -------------------------------------------------------------------------------
client.rename_experiment(gamma, names["renamed"])
out["renamed"] = experiment(client.get_experiment(gamma))
out["old_name"] = client.get_experiment_by_name(names["gamma"])  # None
out["rename_taken"] = attempt(lambda: client.rename_experiment(gamma, names["alpha"]))

# -- delete and restore -------------------------------------------------------------------
run_in_beta = client.create_run(beta, run_name="kept").info.run_id
client.delete_experiment(beta)
out["deleted"] = experiment(client.get_experiment(beta))
out["deleted_by_name"] = experiment(client.get_experiment_by_name(names["beta"]))
out["active_only"] = search(f"name LIKE '{prefix}-%'", view_type=ViewType.ACTIVE_ONLY)
out["deleted_only"] = search(f"name LIKE '{prefix}-%'", view_type=ViewType.DELETED_ONLY)
out["all"] = search(f"name LIKE '{prefix}-%'", view_type=ViewType.ALL, order_by=["name ASC"])
out["run_in_deleted"] = attempt(lambda: client.create_run(beta))
out["set_deleted"] = attempt(lambda: mlflow.set_experiment(names["beta"]).experiment_id)
out["run_of_deleted_experiment"] = client.get_run(run_in_beta).info.run_name
out["duplicate_of_deleted"] = attempt(lambda: client.create_experiment(names["beta"]))
client.restore_experiment(beta)
out["restored"] = experiment(client.get_experiment(beta))
out["restored_runs"] = [r.info.run_id for r in client.search_runs([beta])]
out["run_in_beta"] = run_in_beta

# -- set_experiment: creates, then activates -------------------------------------------------
before = int(time.time() * 1000)
made = mlflow.set_experiment(names["fluent"])
out["fluent"] = experiment(made)
out["fluent_created_after"] = before
again = mlflow.set_experiment(names["fluent"])
by_id = mlflow.set_experiment(experiment_id=made.experiment_id)
out["fluent_again"] = [again.experiment_id, by_id.experiment_id]
with mlflow.start_run(run_name="in-fluent") as active:
    mlflow.log_param("where", "fluent")
out["fluent_run"] = {
    "run_id": active.info.run_id,
    "experiment_id": active.info.experiment_id,
}
out["set_existing"] = mlflow.set_experiment(names["alpha"]).experiment_id
out["set_bad_name"] = attempt(lambda: mlflow.set_experiment(f"{prefix}/nested/name").name)
out["bad_names_made"] = [
    client.get_experiment_by_name(n) for n in (f"{prefix} with spaces", f"{prefix}/nested/name")
]
emit(out)
