"""MLflow's model registry endpoints over LabLedger's registry."""

from __future__ import annotations

from typing import Any

from labledger.server.mlflow.door import Call, Handler


def _search_logged_models(call: Call) -> dict[str, Any]:
    del call
    return {"models": []}


ENDPOINTS: dict[tuple[str, str], Handler] = {
    ("POST", "/logged-models/search"): _search_logged_models,
}
