"""Projects as experiments: what MLflow's experiment calls need beyond LabLedger's own project
calls — a numeric id, tags, rename, and a restorable "deleted" mark (MLflow's lifecycle:
a deleted experiment keeps its runs, leaves default listings and takes no new runs).

Every change is checked by the same policy as any other project change and audited in its
transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from labledger.core.errors import InvalidInputError, ProjectExistsError, ProjectNotFoundError
from labledger.core.identity import Action
from labledger.core.ids import now_ms
from labledger.core.validation import check_key, check_project_name, check_tag_value
from labledger.services import audit
from labledger.services.access import Guarded
from labledger.services.members import own_new_project
from labledger.store import access_state
from labledger.store import experiments as repo
from labledger.store import projects as project_repo
from labledger.store.database import Connection
from labledger.store.experiments import ProjectRow


@dataclass(frozen=True, slots=True)
class Experiment:
    id: int
    name: str
    created_ms: int
    updated_ms: int
    deleted: bool
    tags: dict[str, str] = field(default_factory=dict)


def _experiment(row: ProjectRow) -> Experiment:
    return Experiment(
        id=row.id,
        name=row.name,
        created_ms=row.created_ms,
        updated_ms=row.updated_ms,
        deleted=row.deleted_ms is not None,
        tags=row.tags,
    )


def _missing_id(project_id: int) -> ProjectNotFoundError:
    return ProjectNotFoundError(
        f"No experiment with id {project_id} exists", details={"experiment_id": project_id}
    )


class ExperimentService(Guarded):
    def create(self, name: str, tags: dict[str, str] | None = None) -> Experiment:
        """A new, empty project owned by the caller; refused if the name is taken (even by a
        deleted one, as MLflow refuses it)."""
        self.allow(Action.WRITE, project=name)
        name = check_project_name(name)
        tags = self._check_tags(tags or {})

        def apply(conn: Connection) -> int:
            project_id, created = project_repo.create_project_if_missing(conn, name, now_ms())
            if not created:
                raise ProjectExistsError(
                    f"Experiment '{name}' already exists.", details={"field": "name"}
                )
            own_new_project(conn, self.principal, project_id, name)
            for key, value in tags.items():
                repo.set_tag(conn, project_id, key, value)
            access_state.bump(conn)
            audit.record(
                conn,
                self.principal,
                "project.create",
                f"project:{name}",
                project=name,
                details={"tags": sorted(tags)},
            )
            return project_id

        project_id = self.db.run_write(apply)
        self._access_changed()
        return self.get(project_id)

    def get(self, project_id: int) -> Experiment:
        self.allow(Action.READ)  # signed in at all, before anything is looked at
        with self.db.read() as conn:
            row = repo.by_id(conn, project_id)
        if row is None or not self._may_read(row.name):
            raise _missing_id(project_id)
        return _experiment(row)

    def get_by_name(self, name: str) -> Experiment:
        self.allow(Action.READ)
        with self.db.read() as conn:
            row = repo.by_name(conn, name)
        if row is None or not self._may_read(row.name):
            raise ProjectNotFoundError(
                f"Could not find experiment with name '{name}'", details={"name": name}
            )
        return _experiment(row)

    def list(self) -> list[Experiment]:
        """Every experiment the caller may read, deleted ones included, oldest first."""
        self.allow(Action.READ)
        visible = self.visible_projects()
        with self.db.read() as conn:
            rows = repo.every(conn)
        return [_experiment(r) for r in rows if visible is None or r.name in visible]

    def set_tag(self, project_id: int, key: str, value: str) -> None:
        self.allow(Action.READ)
        key = check_key("key", key)
        value = check_tag_value("value", value)
        self._change(
            project_id, "project.tag.set", {"key": key}, lambda c, p: repo.set_tag(c, p, key, value)
        )

    def delete_tag(self, project_id: int, key: str) -> None:
        self.allow(Action.READ)

        def apply(conn: Connection, pid: int) -> None:
            if not repo.delete_tag(conn, pid, key):
                raise ProjectNotFoundError(
                    f"No tag with name: {key} in experiment with id {project_id}",
                    details={"field": "key"},
                )

        self._change(project_id, "project.tag.delete", {"key": key}, apply)

    def rename(self, project_id: int, name: str) -> None:
        self.allow(Action.READ)
        name = check_project_name(name)

        def apply(conn: Connection, pid: int) -> None:
            if project_repo.find_project_id(conn, name) not in (None, pid):
                raise ProjectExistsError(
                    f"Experiment '{name}' already exists.", details={"field": "new_name"}
                )
            repo.rename(conn, pid, name)
            access_state.bump(conn)

        self._change(project_id, "project.rename", {"new_name": name}, apply, Action.MANAGE)
        self._access_changed()

    def delete(self, project_id: int) -> None:
        """Mark deleted (restorable): the runs stay, as MLflow keeps them."""
        self._change(
            project_id,
            "project.delete",
            {},
            lambda c, p: repo.mark_deleted(c, p, now_ms()),
            Action.MANAGE,
        )

    def restore(self, project_id: int) -> None:
        self._change(
            project_id,
            "project.restore",
            {},
            lambda c, p: repo.mark_deleted(c, p, None),
            Action.MANAGE,
        )

    def check_active(self, project_id: int) -> Experiment:
        """The experiment, if runs may be created in it."""
        found = self.get(project_id)
        if found.deleted:
            raise InvalidInputError(
                f"The experiment {project_id} must be in the 'active' state. "
                "Current state is deleted.",
                details={"field": "experiment_id"},
            )
        return found

    # -- helpers ------------------------------------------------------------------------
    def _may_read(self, name: str) -> bool:
        visible = self.visible_projects()
        return visible is None or name in visible

    def _check_tags(self, tags: dict[str, str]) -> dict[str, str]:
        return {check_key("tags.key", k): check_tag_value(f"tags.{k}", v) for k, v in tags.items()}

    def _change(self, project_id, action, details, apply, needs=Action.WRITE) -> None:  # type: ignore[no-untyped-def]
        name = self.get(project_id).name
        self.allow(needs, project=name)

        def run(conn: Connection) -> None:
            row = repo.by_id(conn, project_id)
            if row is None:
                raise _missing_id(project_id)
            apply(conn, project_id)
            audit.record(
                conn,
                self.principal,
                action,
                f"project:{row.name}",
                project=row.name,
                details=details,
            )

        self.db.run_write(run)
