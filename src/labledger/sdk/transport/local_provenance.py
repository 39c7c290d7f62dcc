"""Provenance against the embedded store: the same wire dicts a server answers with."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labledger.core.entities import Run
from labledger.sdk.transport.provenance import ProvenanceTransport

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


class LocalProvenance(ProvenanceTransport):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def environment(self, run_id: str) -> dict[str, Any]:
        found = self.tracker.provenance.environment(run_id)
        return (
            {"environment": found[0], "digest": found[1]}
            if found
            else {
                "environment": None,
                "digest": None,
            }
        )

    def datasets(self, run_id: str) -> list[dict[str, Any]]:
        return [d.to_dict() for d in self.tracker.provenance.datasets(run_id)]

    def annotations(self, run_id: str) -> list[dict[str, Any]]:
        return self.tracker.provenance.annotations(run_id)

    def seal_run(self, run_id: str) -> Run:
        return self.tracker.runs.seal_run(run_id)

    def verify_run(self, run_id: str, blobs: bool) -> dict[str, Any]:
        return self.tracker.provenance.verify_run(run_id, blobs=blobs).to_dict()

    def sealed_runs(
        self, project: str | None, page_token: str | None, limit: int
    ) -> dict[str, Any]:
        return self.tracker.provenance.list_sealed_runs(project, page_token, limit).to_dict()

    def verify_blobs(self, page_token: str | None, limit: int) -> dict[str, Any]:
        return self.tracker.provenance.verify_blobs(page_token, limit).to_dict()

    def set_requirements(self, project: str, fields: list[str]) -> list[str]:
        return self.tracker.provenance.set_requirements(project, fields)

    def project_completeness(self, project: str) -> dict[str, Any]:
        return self.tracker.provenance.completeness(project).to_dict()

    def run_completeness(self, run_id: str) -> dict[str, Any]:
        return self.tracker.provenance.run_completeness(run_id).to_dict()
