"""The embedded store's model registry: the services, answering in the REST API's shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from labledger.sdk.transport.registry import RegistryTransport

if TYPE_CHECKING:
    from labledger.services.tracker import Tracker


class LocalRegistry(RegistryTransport):
    def __init__(self, tracker: Tracker) -> None:
        self.tracker = tracker

    def create_model(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.tracker.models.create_model(
            body["name"], body["project"], body.get("description", ""), body.get("tags")
        ).to_dict()

    def get_model(self, name: str) -> dict[str, Any]:
        return self.tracker.models.get_model(name).to_dict()

    def list_models(self, query: dict[str, Any]) -> dict[str, Any]:
        return self.tracker.models.list_models(
            name_like=query.get("name_like"),
            page_token=query.get("page_token"),
            limit=query.get("limit", 100),
        ).to_dict()

    def register_version(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.tracker.models.register_version(
            name,
            body["run_id"],
            body["path"],
            description=body.get("description", ""),
            tags=body.get("tags"),
        ).to_dict()

    def get_version(self, name: str, version: int) -> dict[str, Any]:
        return self.tracker.models.get_version(name, version).to_dict()

    def list_versions(self, name: str) -> dict[str, Any]:
        return {"versions": [v.to_dict() for v in self.tracker.models.list_versions(name)]}

    def delete_version(self, name: str, version: int) -> None:
        self.tracker.models.delete_version(name, version)

    def search_versions(self, body: dict[str, Any]) -> dict[str, Any]:
        return self.tracker.registry.search_versions(
            body.get("filter"),
            body.get("order_by"),
            limit=body.get("limit", 100),
            page_token=body.get("page_token"),
        ).to_dict()

    def set_policy(self, name: str, alias: str | None, text: str) -> dict[str, Any]:
        return self.tracker.promotion.set_policy(name, alias, text)

    def policies(self, name: str) -> dict[str, Any]:
        return {"policies": self.tracker.promotion.policies(name)}

    def decide(self, name: str, alias: str, action: str, version: int | None) -> dict[str, Any]:
        promotion = self.tracker.promotion
        if action == "rollback":
            return promotion.rollback(name, alias).to_dict()
        assert version is not None
        if action == "approve":
            return promotion.approve(name, version, alias)
        if action == "check":
            return promotion.check(name, version, alias).to_dict()
        return promotion.promote(name, version, alias).to_dict()

    def history(self, name: str, query: dict[str, Any]) -> dict[str, Any]:
        events = self.tracker.promotion.history(
            name, query.get("alias"), before=query.get("before"), limit=query.get("limit", 100)
        )
        return {"events": events}

    def holder_at(self, name: str, alias: str, at_ms: int | None) -> dict[str, Any]:
        return self.tracker.promotion.holder_at(name, alias, at_ms)

    def record_deployment(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.tracker.deployments.record(
            name, body["version"], body["env"], url=body.get("url"), note=body.get("note")
        ).to_dict()

    def current_deployment(self, name: str, env: str, at_ms: int | None) -> dict[str, Any]:
        return self.tracker.deployments.current(name, env, at_ms).to_dict()

    def log_production(self, name: str, env: str, body: dict[str, Any]) -> dict[str, Any]:
        return self.tracker.drift.log_production(
            name, env, body["data"], reference=body.get("reference"), time_ms=body.get("time_ms")
        )

    def alerts(self, name: str, query: dict[str, Any]) -> dict[str, Any]:
        found = self.tracker.drift.alerts(name, query.get("env"), query.get("limit", 100))
        return {"alerts": found}

    def drift(self, name: str, env: str, query: dict[str, Any]) -> dict[str, Any]:
        found = self.tracker.drift.drift(
            name, env, since_ms=query.get("since"), limit=query.get("limit", 5000)
        )
        return {"points": found}

    def log_reference(self, run_id: str, name: str, data: dict[str, Any]) -> dict[str, Any]:
        return self.tracker.drift.log_reference(run_id, name, data)

    def lineage(self, node: str, depth: int) -> dict[str, Any]:
        return self.tracker.lineage.lineage(node, depth).to_dict()
