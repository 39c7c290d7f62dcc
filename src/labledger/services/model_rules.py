"""The registry's rules about a version's content and life, used by ``ModelService``: which
files a version pins (stored ones only), the digest over them, whether a version is in use
(an alias or an environment holds it), and the tag edits models and versions share."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from labledger.core.entities import ArtifactState
from labledger.core.errors import ArtifactNotFoundError, ArtifactPendingError, VersionInUseError
from labledger.core.provenance import canonical_json, sha256_hex
from labledger.store import aliases as alias_repo
from labledger.store import artifacts as artifact_repo
from labledger.store import deployments as deploy_repo
from labledger.store import models as repo
from labledger.store.database import Connection


def files_digest(files: list[tuple[str, str, int]]) -> str:
    return sha256_hex(canonical_json([list(f) for f in files]))


def pinned_files(
    conn: Connection, run_pk: int, run_id: str, path: str
) -> list[tuple[str, str, int]]:
    entries = artifact_repo.list_entries(conn, run_pk, path)
    if not entries:
        raise ArtifactNotFoundError(
            f"run {run_id} has no artifact at {path!r}",
            details={"field": "path", "run_id": run_id, "path": path},
        )
    pending = [e.path for e in entries if e.state is not ArtifactState.STORED]
    if pending:
        raise ArtifactPendingError(
            f"artifact {pending[0]!r} of run {run_id} is not uploaded yet; register it once "
            "the run's artifacts are stored",
            details={"field": "path", "pending": pending[:10]},
        )
    return [(e.path, e.digest, e.size) for e in entries]


def refuse_in_use(conn: Connection, model: str, row: dict[str, Any]) -> None:
    held = alias_repo.holding(conn, row["id"])
    if held:
        raise VersionInUseError(
            f"version {row['version']} of {model!r} holds alias {held[0]!r}; move the alias first",
            details={"model": model, "version": row["version"], "aliases": held},
        )
    served = deploy_repo.serving_envs(conn, row["model_id"], row["version"])
    if served:
        raise VersionInUseError(
            f"version {row['version']} of {model!r} is deployed in {served[0]!r}",
            details={"model": model, "version": row["version"], "environments": served},
        )


def setter(tags: dict[str, str]) -> Callable[[Connection, Any, str, int], bool]:
    def edit(conn: Connection, table: Any, owner: str, owner_id: int) -> bool:
        repo.set_tags(conn, table, owner, owner_id, tags)
        return True

    return edit


def deleter(key: str) -> Callable[[Connection, Any, str, int], bool]:
    def edit(conn: Connection, table: Any, owner: str, owner_id: int) -> bool:
        return repo.delete_tag(conn, table, owner, owner_id, key)

    return edit
