"""What every registry service shares: a model is judged by its project's roles, and a model
the caller may not read does not exist for it."""

from __future__ import annotations

from typing import Any

from labledger.core.errors import ModelNotFoundError, ProjectNotFoundError
from labledger.core.identity import Action
from labledger.core.registry import check_model_name, check_version
from labledger.services.access import Guarded
from labledger.store import models as repo
from labledger.store.database import Connection


class RegistryGuarded(Guarded):
    def _model(self, action: Action, name: str) -> dict[str, Any]:
        """The model row, once the caller may ``action`` on its project (a model in a
        project the caller cannot read is "not found", as runs are)."""
        self.allow(Action.READ)  # signed in at all, before anything is looked at
        name = check_model_name(name)
        with self.db.read() as conn:
            model = repo.find_model(conn, name)
        if model is None:
            raise ModelNotFoundError(f"no model named {name!r}", details={"model": name})
        try:
            self.allow(Action.READ, project=model["project"])
        except ProjectNotFoundError:
            raise ModelNotFoundError(f"no model named {name!r}", details={"model": name}) from None
        if action is not Action.READ:
            self.allow(action, project=model["project"])
        return model

    @staticmethod
    def _version(conn: Connection, model: dict[str, Any], version: object) -> dict[str, Any]:
        return repo.get_version(conn, model["id"], check_version(version), model["name"])
