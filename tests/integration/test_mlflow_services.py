"""What the MLflow door needed beyond LabLedger's own calls, on SQLite and PostgreSQL:
experiments (project tags, rename, a restorable deleted mark), MLflow 3's logged models,
each metric's latest point, renaming a model; every change audited, refusals writing
nothing.  (Roles over HTTP: tests/mlflow_compat/test_tracking.py::test_auth.)"""

from __future__ import annotations

import pytest

from labledger.core.entities import RunCreate
from labledger.core.errors import (
    InvalidInputError,
    LoggedModelNotFoundError,
    ModelExistsError,
    ProjectExistsError,
    ProjectNotFoundError,
)
from labledger.services.tracker import Tracker
from tests.integration.test_registry_services import audit_actions, make_run


def test_experiments_tags_rename_delete_and_restore(tracker: Tracker):
    made = tracker.experiments.create("vision", {"team": "cv", "stage": "dev"})
    assert (made.name, made.tags, made.deleted) == ("vision", {"team": "cv", "stage": "dev"}, False)
    assert tracker.experiments.get(made.id) == made
    assert tracker.experiments.get_by_name("vision") == made
    with pytest.raises(ProjectExistsError):
        tracker.experiments.create("vision")
    with pytest.raises(InvalidInputError):
        tracker.experiments.create("bad name/with slash", {})
    with pytest.raises(InvalidInputError):  # a bad tag refuses the whole create
        tracker.experiments.create("other", {"": "x"})
    assert [e.name for e in tracker.experiments.list()] == ["vision"]

    tracker.experiments.set_tag(made.id, "stage", "prod")
    tracker.experiments.delete_tag(made.id, "team")
    with pytest.raises(ProjectNotFoundError):
        tracker.experiments.delete_tag(made.id, "team")
    assert tracker.experiments.get(made.id).tags == {"stage": "prod"}

    tracker.runs.create_run(RunCreate(project="vision", name="r"))
    tracker.experiments.create("audio")
    with pytest.raises(ProjectExistsError):
        tracker.experiments.rename(made.id, "audio")
    tracker.experiments.rename(made.id, "vision2")
    renamed = tracker.experiments.get(made.id)
    assert renamed.name == "vision2" and renamed.tags == {"stage": "prod"}
    runs = list(tracker.search.search_runs("vision2").runs)
    assert [r.name for r in runs] == ["r"]  # the runs went with it
    with pytest.raises(ProjectNotFoundError):
        tracker.experiments.get_by_name("vision")

    tracker.experiments.delete(made.id)
    assert tracker.experiments.get(made.id).deleted
    with pytest.raises(InvalidInputError):
        tracker.experiments.check_active(made.id)
    assert len(tracker.search.search_runs("vision2").runs) == 1  # runs are kept
    tracker.experiments.restore(made.id)
    assert not tracker.experiments.check_active(made.id).deleted
    with pytest.raises(ProjectNotFoundError):
        tracker.experiments.get(987654)

    actions = audit_actions(tracker)
    for action in (
        "project.create",
        "project.tag.set",
        "project.tag.delete",
        "project.rename",
        "project.delete",
        "project.restore",
    ):
        assert action in actions, action


def test_logged_models_live_with_their_run(tracker: Tracker):
    run_id = make_run(tracker, 0.9, {"models/x/MLmodel": b"flavors: {}"})
    made = tracker.logged_models.create(run_id, "clf", "sklearn", {"C": "1.0"}, {"k": "v"})
    model_id = made["id"]
    assert model_id.startswith("m-") and len(model_id) == 34
    assert (made["run_id"], made["name"], made["status"]) == (
        run_id,
        "clf",
        "LOGGED_MODEL_PENDING",
    )
    assert tracker.logged_models.finalize(model_id, "LOGGED_MODEL_READY")["status"] == (
        "LOGGED_MODEL_READY"
    )
    with pytest.raises(InvalidInputError):
        tracker.logged_models.finalize(model_id, "DONE")
    tracker.logged_models.set_tags(model_id, {"a": "1"})
    tracker.logged_models.delete_tag(model_id, "k")
    with pytest.raises(LoggedModelNotFoundError):
        tracker.logged_models.delete_tag(model_id, "k")
    tracker.logged_models.log_params(model_id, {"depth": "3"})
    got = tracker.logged_models.get(model_id)
    assert (got["tags"], got["params"]) == ({"a": "1"}, {"C": "1.0", "depth": "3"})
    project_id = tracker.experiments.get_by_name("p").id
    assert [m["id"] for m in tracker.logged_models.list([project_id])] == [model_id]
    with pytest.raises(LoggedModelNotFoundError):
        tracker.logged_models.get("m-" + "0" * 32)
    with pytest.raises(LoggedModelNotFoundError):
        tracker.logged_models.get("x" * 5000)
    tracker.logged_models.delete(model_id)
    assert tracker.logged_models.list([project_id]) == []
    actions = audit_actions(tracker)
    for action in ("logged_model.create", "logged_model.finalize", "logged_model.delete"):
        assert action in actions


def test_latest_points_and_model_rename(tracker: Tracker):
    run_id = make_run(tracker, 0.5, {"m/w": b"w"})
    tracker.runs.log_batch(
        run_id,
        {
            "metrics": {
                "loss": {"steps": [0, 7, 3], "timestamps": [10, 20, 30], "values": [3, 1, 2]}
            }
        },
    )
    points = tracker.search.latest_points("p", [run_id, "0" * 32, "not-an-id"])
    assert points == {run_id: {"acc": (0, 1), "loss": (7, 20)}}
    tracker.runs.create_run(RunCreate(project="q", name="elsewhere"))
    assert tracker.search.latest_points("q", [run_id]) == {}  # another project's run

    tracker.models.register_version("churn", run_id, "m")
    tracker.promotion.promote("churn", 1, "champion")
    tracker.models.create_model("taken", "p")
    with pytest.raises(ModelExistsError):
        tracker.models.rename_model("churn", "taken")
    renamed = tracker.models.rename_model("churn", "churn2")
    assert (renamed.name, renamed.aliases, renamed.versions) == ("churn2", {"champion": 1}, 1)
    assert [e["to_version"] for e in tracker.promotion.history("churn2", "champion")] == [1]
    assert "model.rename" in audit_actions(tracker)


@pytest.mark.parametrize("bad", ["", "x" * 251, "a\x00b", "\ud800"])
def test_bad_experiment_names_write_nothing(tracker: Tracker, bad: str):
    with pytest.raises(InvalidInputError):
        tracker.experiments.create(bad, {"k": "v"})
    assert tracker.experiments.list() == []
    with pytest.raises(InvalidInputError):
        tracker.experiments.create("fine", {"k": "v" * 9000})
    assert tracker.experiments.list() == []
