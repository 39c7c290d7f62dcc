"""ProvenanceService: a run's environment, datasets and annotations; verification of sealed
runs and blobs; the fields a project requires of its runs (metadata completeness)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from labledger.artifacts import BlobStore
from labledger.core import limits
from labledger.core.artifact_validation import check_digest, is_digest
from labledger.core.entities import DatasetRef, Run
from labledger.core.errors import InvalidInputError, LimitExceededError, RunNotFoundError
from labledger.core.identity import Action
from labledger.core.ids import is_valid_id
from labledger.core.paging import decode_page_token, encode_page_token
from labledger.core.validation import check_key, check_page_size, check_project_name
from labledger.services import audit, sealing
from labledger.services.access import Guarded
from labledger.services.completeness import check_field, missing_fields
from labledger.store import artifacts as artifact_repo
from labledger.store import projects as project_repo
from labledger.store import provenance as repo
from labledger.store import runs as run_repo
from labledger.store import seals as seal_repo
from labledger.store import tombstones
from labledger.store.database import Database


@dataclass
class Completeness:
    project: str
    required: list[str]
    runs: int = 0
    complete: int = 0
    incomplete: dict[str, list[str]] = field(default_factory=dict)  # run id -> missing

    @property
    def percent(self) -> float:
        return 100.0 if self.runs == 0 else 100.0 * self.complete / self.runs

    def to_dict(self) -> dict[str, Any]:
        """The report as every door answers it (the server's JSON, the embedded SDK)."""
        return {
            "project": self.project,
            "required": self.required,
            "runs": self.runs,
            "complete": self.complete,
            "percent": self.percent,
            "incomplete": self.incomplete,
        }


@dataclass
class RunCompleteness:
    required: list[str]
    missing: list[str]

    def to_dict(self) -> dict[str, Any]:
        """The report as every door answers it (the server's JSON, the embedded SDK)."""
        return {"required": self.required, "missing": self.missing}


# -- pages by position ---------------------------------------------------------------------
SEALS = "seals"
BLOBS = "blobs"


def _start(
    listing: str, page_token: str | None, after: str | None, is_position: Callable[[str], bool]
) -> str | None:
    """Where a page starts: after the position ``page_token`` stands for, or (deprecated)
    after ``after``; None for the first page, and for an ``after`` that is no position (the
    caller refuses it naming what it must be)."""
    if page_token is not None and after is not None:
        raise InvalidInputError(
            "give page_token or after (deprecated), not both", details={"field": "after"}
        )
    if page_token is not None:
        return decode_page_token(listing, page_token, is_position)
    if after is not None and isinstance(after, str) and is_position(after):
        return after
    return None


@dataclass
class SealedRunsPage:
    run_ids: list[str]
    next_after: str | None  # the last id when there is more: the deprecated ``after`` style

    @property
    def next_page_token(self) -> str | None:
        return None if self.next_after is None else encode_page_token(SEALS, self.next_after)

    def to_dict(self) -> dict[str, Any]:
        """The page as every door answers it."""
        return {
            "run_ids": self.run_ids,
            "next_page_token": self.next_page_token,
            "next_after": self.next_after,
        }


@dataclass
class BlobCheckPage:
    checked: int
    problems: list[str]
    next_after: str | None  # the last digest when there is more: the deprecated style

    @property
    def next_page_token(self) -> str | None:
        return None if self.next_after is None else encode_page_token(BLOBS, self.next_after)

    def to_dict(self) -> dict[str, Any]:
        """The page as every door answers it."""
        return {
            "checked": self.checked,
            "problems": self.problems,
            "next_page_token": self.next_page_token,
            "next_after": self.next_after,
        }


class ProvenanceService(Guarded):
    blob_store: BlobStore

    def __init__(self, db: Database, blob_store: BlobStore) -> None:
        super().__init__(db, blob_store)

    def _pk(self, conn: Any, run_id: str) -> int:
        if not is_valid_id(run_id):
            raise RunNotFoundError(f"run {run_id!r} does not exist", details={"run_id": run_id})
        pk, _ = run_repo.get_run_ref(conn, run_id)
        return pk

    def environment(self, run_id: str) -> tuple[dict[str, Any], str] | None:
        self.allow(Action.READ, run_id=run_id)
        with self.db.read() as conn:
            return repo.get_environment(conn, self._pk(conn, run_id))

    def datasets(self, run_id: str) -> list[DatasetRef]:
        self.allow(Action.READ, run_id=run_id)
        with self.db.read() as conn:
            return repo.list_datasets(conn, self._pk(conn, run_id))

    def annotations(self, run_id: str) -> list[dict[str, Any]]:
        self.allow(Action.READ, run_id=run_id)
        with self.db.read() as conn:
            return repo.list_annotations(conn, self._pk(conn, run_id))

    # -- verification ------------------------------------------------------------------

    def verify_run(self, run_id: str, *, blobs: bool = True) -> sealing.RunVerification:
        """Recompute a sealed run's record hash and (with ``blobs``) every artifact's digest;
        an unsealed run says why (``sealing.verify_record``); a deleted one its tombstone."""
        self.allow(Action.READ, run_id=run_id)
        with self.db.read() as conn:
            if is_valid_id(run_id) and run_repo.find_run_pk(conn, run_id) is None:
                stone = tombstones.find(conn, run_id)
                if stone is not None:
                    return sealing.verify_tombstone(stone)
            pk = self._pk(conn, run_id)
            result = sealing.verify_record(conn, pk, run_id)
            entries = seal_repo.manifest(conn, pk) if blobs and result.seal_hash else []
            stored = artifact_repo.known_digests(conn) if entries else set()
        pending = [e for e in entries if e[1] not in stored]
        for path, digest, _ in pending:
            result.problems.append(f"artifact {path}: blob {digest} was never stored")
        sealing.verify_blobs(self.blob_store, [e for e in entries if e[1] in stored], result)
        return result

    def list_sealed_runs(
        self,
        project: str | None = None,
        page_token: str | None = None,
        limit: int = 1000,
        *,
        after: str | None = None,
    ) -> SealedRunsPage:
        """A page of the ids ``verify --all`` checks (by id): every run that ended or was ever
        marked sealed, and every deleted run.  ``page_token`` is the previous page's
        ``next_page_token``; ``after`` (deprecated, kept for one release) its last id.
        Every project's at once is for server admins; a project's for its viewers."""
        self.allow(Action.READ if project is not None else Action.ADMIN, project=project)
        check_page_size(limit)
        start = _start(SEALS, page_token, after, is_valid_id)
        if after is not None and start is None:
            raise InvalidInputError(
                f"after must be a run id (32 lowercase hex characters), got {after!r}",
                details={"field": "after"},
            )
        with self.db.read() as conn:
            name = None if project is None else check_project_name(project)
            if name is not None:
                project_repo.get_project_id(conn, name)  # ProjectNotFoundError
            ids = seal_repo.verifiable_run_ids(conn, name, start, limit + 1)
        more = len(ids) > limit
        ids = ids[:limit]
        return SealedRunsPage(ids, ids[-1] if more else None)

    def verify_blobs(
        self, page_token: str | None = None, limit: int = 200, *, after: str | None = None
    ) -> BlobCheckPage:
        """Re-hash a page of stored blobs (by digest).  ``page_token`` is the previous
        page's ``next_page_token``; ``after`` (deprecated, kept for one release) its last
        digest."""
        self.allow(Action.ADMIN)
        check_page_size(limit)
        start = _start(BLOBS, page_token, after, is_digest)
        if after is not None and start is None:
            check_digest("after", after)
        with self.db.read() as conn:
            rows = artifact_repo.blob_page(conn, start, limit + 1)
        more = len(rows) > limit
        rows = rows[:limit]
        problems = [
            p
            for p in (sealing.blob_problem(self.blob_store, digest, size) for digest, size in rows)
            if p
        ]
        return BlobCheckPage(len(rows), problems, rows[-1][0] if more else None)

    def set_requirements(self, project: str, fields: list[str]) -> list[str]:
        self.allow(Action.MAINTAIN, project=project)
        project = check_project_name(project)
        if len(fields) > limits.MAX_REQUIRED_FIELDS:
            raise LimitExceededError(
                f"required has {len(fields)} fields; the limit is {limits.MAX_REQUIRED_FIELDS}",
                details={"field": "required", "limit": limits.MAX_REQUIRED_FIELDS},
            )
        clean = sorted({check_field(check_key("required", f)) for f in fields})

        def apply(conn: Any) -> None:
            from labledger.core.ids import now_ms

            project_id = project_repo.get_or_create_project_id(conn, project, now_ms())
            repo.set_requirements(conn, project_id, clean)
            audit.record(
                conn,
                self.principal,
                "project.requirements",
                f"project:{project}",
                project=project,
                details={"required": clean},
            )

        self.db.run_write(apply)
        return clean

    def projects_with_requirements(self) -> list[str]:
        self.allow(Action.READ)
        visible = self.visible_projects()
        with self.db.read() as conn:
            names = repo.projects_with_requirements(conn)
        return names if visible is None else [n for n in names if n in visible]

    def requirements(self, project: str) -> list[str]:
        self.allow(Action.READ, project=project)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, check_project_name(project))
            return repo.get_requirements(conn, project_id)

    def missing(self, run: Run) -> list[str]:
        """The project's required fields this run lacks."""
        self.allow(Action.READ, run_id=run.id)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, run.project)
            required = repo.get_requirements(conn, project_id)
            if not required:
                return []
            pk = self._pk(conn, run.id)
            env = repo.get_environment(conn, pk)
            datasets = repo.list_datasets(conn, pk)
        return missing_fields(required, run, env[0] if env else None, datasets)

    def run_completeness(self, run_id: str) -> RunCompleteness:
        """The fields the run's project requires, and those this run lacks."""
        self.allow(Action.READ, run_id=run_id)
        with self.db.read() as conn:
            pk = self._pk(conn, run_id)
            run = run_repo.get_run_by_pk(conn, pk)
            project_id = project_repo.get_project_id(conn, run.project)
            required = repo.get_requirements(conn, project_id)
            if not required:
                return RunCompleteness(required, [])
            env = repo.get_environment(conn, pk)
            datasets = repo.list_datasets(conn, pk)
        return RunCompleteness(
            required, missing_fields(required, run, env[0] if env else None, datasets)
        )

    def completeness(self, project: str, recent: int | None = None) -> Completeness:
        """How many of the project's runs (or of its ``recent`` latest) carry every
        required field."""
        self.allow(Action.READ, project=project)
        with self.db.read() as conn:
            project_id = project_repo.get_project_id(conn, check_project_name(project))
            required = repo.get_requirements(conn, project_id)
            report = Completeness(project, required)
            for pk in run_repo.project_run_pks(conn, project_id, recent):
                run = run_repo.get_run_by_pk(conn, pk)
                env = repo.get_environment(conn, pk)
                missing = missing_fields(
                    required, run, env[0] if env else None, repo.list_datasets(conn, pk)
                )
                report.runs += 1
                if missing:
                    report.incomplete[run.id] = missing
                else:
                    report.complete += 1
        return report


def check_required_list(value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInputError(
            "required must be an array of field names", details={"field": "required"}
        )
    return list(value)
