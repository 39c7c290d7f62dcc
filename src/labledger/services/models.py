"""ModelService: registered models and their versions.

A model lives in a project and is judged by that project's roles: editors create models and
register versions, maintainers delete them.  A version points at a run and an artifact path
and is pinned by the digests of that path's files at registration: whatever later happens to
the run's manifest, the version names the same bytes (and blob GC keeps them).  A version an
alias points at, or that an environment serves, cannot be deleted.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from labledger.core.artifact_validation import check_artifact_path
from labledger.core.errors import (
    ModelExistsError,
)
from labledger.core.identity import Action
from labledger.core.ids import now_ms
from labledger.core.paging import decode_page_token, encode_page_token
from labledger.core.registry import check_description, check_model_name
from labledger.core.validation import (
    check_key,
    check_page_size,
    check_project_name,
    check_str,
    check_tags,
)
from labledger.services import audit, model_rules, webhooks
from labledger.services.members import own_new_project
from labledger.services.model_access import RegistryGuarded
from labledger.services.model_views import ModelInfo, ModelPage, VersionInfo, version_infos
from labledger.store import aliases as alias_repo
from labledger.store import models as repo
from labledger.store import projects as project_repo
from labledger.store import runs as run_repo
from labledger.store.database import Connection
from labledger.store.registry_tables import model_tags, version_tags

MODELS_PAGE = "models"


class ModelService(RegistryGuarded):
    # -- models -------------------------------------------------------------------------

    def create_model(
        self,
        name: str,
        project: str,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> ModelInfo:
        self.allow(Action.WRITE, project=project)
        project = check_project_name(project)
        name = check_model_name(name, "name")
        description = check_description(description)
        chosen = check_tags("tags", dict(tags or {}))

        def apply(conn: Connection) -> None:
            self._insert_model(conn, name, project, description, chosen)

        self.db.run_write(apply)
        return self.get_model(name)

    def _insert_model(
        self, conn: Connection, name: str, project: str, description: str, tags: dict[str, str]
    ) -> int:
        now = now_ms()
        project_id, created = project_repo.create_project_if_missing(conn, project, now)
        if created:
            own_new_project(conn, self.principal, project_id, project)
        else:
            self.allow(Action.WRITE, project=project)
        model_id = repo.insert_model(
            conn, name, project_id, description, now, self.principal.name[:120]
        )
        repo.set_tags(conn, model_tags, "model_id", model_id, tags)
        audit.record(
            conn,
            self.principal,
            "model.create",
            f"model:{name}",
            project=project,
            details={"description": description, "tags": tags},
        )
        return model_id

    def get_model(self, name: str) -> ModelInfo:
        model = self._model(Action.READ, name)
        with self.db.read() as conn:
            return self._info(conn, [model])[0]

    def _info(self, conn: Connection, models: list[dict[str, Any]]) -> list[ModelInfo]:
        ids = [m["id"] for m in models]
        tags = repo.model_tags_of(conn, ids)
        counts = repo.count_versions(conn, ids)
        out = []
        for m in models:
            current = alias_repo.all_current(conn, m["id"])
            latest = repo.next_version(conn, m["id"]) - 1 if counts.get(m["id"]) else None
            out.append(
                ModelInfo(
                    name=m["name"],
                    project=m["project"],
                    description=m["description"],
                    tags=tags[m["id"]],
                    aliases={a["alias"]: a["version"] for a in current},
                    latest_version=latest,
                    versions=counts.get(m["id"], 0),
                    created_ms=m["created_ms"],
                    updated_ms=m["updated_ms"],
                    created_by=m["created_by"],
                )
            )
        return out

    def list_models(
        self, *, name_like: str | None = None, page_token: str | None = None, limit: int = 100
    ) -> ModelPage:
        """Models the caller may read, by name, a page at a time."""
        self.allow(Action.READ)
        limit = check_page_size(limit)
        if name_like is not None:
            check_str("name_like", name_like, 250)
        after = None
        if page_token is not None:
            after = decode_page_token(MODELS_PAGE, page_token, lambda p: 0 < len(p) <= 250)
        visible = self.visible_projects()
        with self.db.read() as conn:
            rows = repo.list_models(
                conn, projects_in=visible, name_like=name_like, after=after, limit=limit + 1
            )
            found = self._info(conn, rows[:limit])
        token = encode_page_token(MODELS_PAGE, found[-1].name) if len(rows) > limit else None
        return ModelPage(found, token)

    def update_model(self, name: str, description: str) -> ModelInfo:
        model = self._model(Action.WRITE, name)
        description = check_description(description)

        def apply(conn: Connection) -> None:
            repo.touch_model(conn, model["id"], now_ms(), description)
            audit.record(
                conn,
                self.principal,
                "model.update",
                f"model:{model['name']}",
                project=model["project"],
                details={"description": description},
            )

        self.db.run_write(apply)
        return self.get_model(name)

    def set_model_tags(self, name: str, tags: Mapping[str, str]) -> ModelInfo:
        model = self._model(Action.WRITE, name)
        chosen = check_tags("tags", dict(tags))
        self._edit_tags(model, None, "set", {"tags": chosen}, model_rules.setter(chosen))
        return self.get_model(name)

    def delete_model_tag(self, name: str, key: str) -> ModelInfo:
        model = self._model(Action.WRITE, name)
        key = check_key("key", key)
        self._edit_tags(model, None, "delete", {"key": key}, model_rules.deleter(key))
        return self.get_model(name)

    def _edit_tags(
        self,
        model: dict[str, Any],
        version: int | None,
        verb: str,
        details: dict[str, Any],
        edit: Callable[[Connection, Any, str, int], bool],
    ) -> None:
        """Change the tags of the model (``version`` None) or of one version; audited when
        something changed."""

        def apply(conn: Connection) -> None:
            if version is None:
                table, owner, owner_id = model_tags, "model_id", model["id"]
                action, target = "model.tags", f"model:{model['name']}"
            else:
                row = self._version(conn, model, version)
                table, owner, owner_id = version_tags, "version_id", row["id"]
                action, target = "model.version.tags", f"model:{model['name']}/{row['version']}"
            if edit(conn, table, owner, owner_id):
                audit.record(
                    conn,
                    self.principal,
                    f"{action}.{verb}",
                    target,
                    project=model["project"],
                    details=details,
                )

        self.db.run_write(apply)

    def rename_model(self, name: str, new_name: str) -> ModelInfo:
        """A new name for the model; its versions, aliases and history stay with it."""
        model = self._model(Action.WRITE, name)
        new_name = check_model_name(new_name, "new_name")

        def apply(conn: Connection) -> None:
            if new_name != model["name"] and repo.find_model(conn, new_name) is not None:
                raise ModelExistsError(
                    f"a model named {new_name!r} exists", details={"field": "new_name"}
                )
            repo.rename_model(conn, model["id"], new_name, now_ms())
            audit.record(
                conn,
                self.principal,
                "model.rename",
                f"model:{new_name}",
                project=model["project"],
                details={"from": model["name"]},
            )

        self.db.run_write(apply)
        return self.get_model(new_name)

    def delete_model(self, name: str) -> None:
        """Maintainers delete a model none of whose versions holds an alias or is served."""
        model = self._model(Action.DELETE, name)

        def apply(conn: Connection) -> None:
            for row in repo.list_versions(conn, model["id"]):
                model_rules.refuse_in_use(conn, model["name"], row)
            repo.delete_model(conn, model["id"])
            audit.record(
                conn,
                self.principal,
                "model.delete",
                f"model:{model['name']}",
                project=model["project"],
            )

        self.db.run_write(apply)

    # -- versions -----------------------------------------------------------------------

    def register_version(
        self,
        name: str,
        run_id: str,
        path: str,
        *,
        description: str = "",
        tags: Mapping[str, str] | None = None,
    ) -> VersionInfo:
        """A new version of ``name`` (created in the run's project if it does not exist)
        from the files of ``run_id`` at ``path`` (one file, or a folder's files)."""
        self.allow(Action.READ, run_id=run_id)
        name = check_model_name(name, "name")
        path = check_artifact_path("path", path)
        description = check_description(description)
        chosen = check_tags("tags", dict(tags or {}))
        with self.db.read() as conn:
            existing = repo.find_model(conn, name)
            run_project = run_repo.get_run(conn, run_id).project
        if existing is not None:
            self._model(Action.WRITE, name)
        else:
            self.allow(Action.WRITE, project=run_project)

        def apply(conn: Connection) -> int:
            model = repo.find_model(conn, name)
            if model is None:
                self._insert_model(conn, name, run_project, "", {})
                model = repo.get_model(conn, name)
            run_pk, _ = run_repo.get_run_ref(conn, run_id)
            files = model_rules.pinned_files(conn, run_pk, run_id, path)
            now = now_ms()
            repo.touch_model(conn, model["id"], now)  # locks the model: numbers in order
            number = repo.next_version(conn, model["id"])
            version_id = repo.insert_version(
                conn,
                {
                    "model_id": model["id"],
                    "version": number,
                    "run_pk": run_pk,
                    "run_id": run_id,
                    "path": path,
                    "digest": model_rules.files_digest(files),
                    "description": description,
                    "created_ms": now,
                    "created_by": self.principal.name[:120],
                },
                files,
            )
            repo.set_tags(conn, version_tags, "version_id", version_id, chosen)
            details = {"version": number, "run_id": run_id, "path": path, "files": len(files)}
            audit.record(
                conn,
                self.principal,
                "model.version.register",
                f"model:{name}/{number}",
                project=model["project"],
                run_id=run_id,
                details=details,
            )
            webhooks.emit(
                conn, model["project_id"], "version.registered", {"model": name, **details}
            )
            return number

        number = self.db.run_write(apply)
        return self.get_version(name, number)

    def get_version(self, name: str, version: int) -> VersionInfo:
        model = self._model(Action.READ, name)
        with self.db.read() as conn:
            row = self._version(conn, model, version)
            return version_infos(conn, [row])[0]

    def list_versions(self, name: str) -> list[VersionInfo]:
        model = self._model(Action.READ, name)
        with self.db.read() as conn:
            return version_infos(conn, repo.list_versions(conn, model["id"]))

    def update_version(self, name: str, version: int, description: str) -> VersionInfo:
        model = self._model(Action.WRITE, name)
        description = check_description(description)

        def apply(conn: Connection) -> None:
            row = self._version(conn, model, version)
            repo.update_version(conn, row["id"], description)
            audit.record(
                conn,
                self.principal,
                "model.version.update",
                f"model:{model['name']}/{row['version']}",
                project=model["project"],
                details={"description": description},
            )

        self.db.run_write(apply)
        return self.get_version(name, version)

    def set_version_tags(self, name: str, version: int, tags: Mapping[str, str]) -> VersionInfo:
        model = self._model(Action.WRITE, name)
        chosen = check_tags("tags", dict(tags))
        self._edit_tags(model, version, "set", {"tags": chosen}, model_rules.setter(chosen))
        return self.get_version(name, version)

    def delete_version_tag(self, name: str, version: int, key: str) -> VersionInfo:
        model = self._model(Action.WRITE, name)
        key = check_key("key", key)
        self._edit_tags(model, version, "delete", {"key": key}, model_rules.deleter(key))
        return self.get_version(name, version)

    def delete_version(self, name: str, version: int) -> None:
        model = self._model(Action.DELETE, name)

        def apply(conn: Connection) -> None:
            row = self._version(conn, model, version)
            model_rules.refuse_in_use(conn, model["name"], row)
            alias_repo.delete_version_approvals(conn, row["id"])
            repo.delete_version(conn, row["id"])
            audit.record(
                conn,
                self.principal,
                "model.version.delete",
                f"model:{model['name']}/{row['version']}",
                project=model["project"],
                run_id=row["run_id"],
                details={"digest": row["digest"]},
            )

        self.db.run_write(apply)
