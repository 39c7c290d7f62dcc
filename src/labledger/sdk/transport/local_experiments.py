"""Projects as experiments in the embedded store: ``ExperimentService``, in-process."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labledger.core.errors import ProjectNotFoundError
from labledger.sdk.transport.experiments import ExperimentsTransport

if TYPE_CHECKING:
    from labledger.services.experiments import Experiment
    from labledger.services.tracker import Tracker


def _json(found: Experiment) -> dict[str, Any]:
    return {"name": found.name, "tags": dict(found.tags), "deleted": found.deleted}


class LocalExperiments(ExperimentsTransport):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def find_experiment(self, name: str) -> dict[str, Any] | None:
        try:
            return _json(self.tracker.experiments.get_by_name(name))
        except ProjectNotFoundError:
            return None

    def create_experiment(self, name: str, tags: dict[str, str]) -> dict[str, Any]:
        return _json(self.tracker.experiments.create(name, tags))

    def set_experiment_tags(self, name: str, tags: dict[str, str]) -> None:
        project_id = self.tracker.experiments.get_by_name(name).id
        for key, value in tags.items():
            self.tracker.experiments.set_tag(project_id, key, value)
