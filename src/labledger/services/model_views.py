"""What the registry answers with: models and versions as their callers see them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from labledger.store import models as repo
from labledger.store.database import Connection


@dataclass(frozen=True, slots=True)
class ModelInfo:
    name: str
    project: str
    description: str
    tags: dict[str, str]
    aliases: dict[str, int]
    latest_version: int | None
    versions: int
    created_ms: int
    updated_ms: int
    created_by: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "project": self.project,
            "description": self.description,
            "tags": self.tags,
            "aliases": self.aliases,
            "latest_version": self.latest_version,
            "versions": self.versions,
            "created_ms": self.created_ms,
            "updated_ms": self.updated_ms,
            "created_by": self.created_by,
        }


@dataclass(frozen=True, slots=True)
class VersionInfo:
    model: str
    project: str
    version: int
    run_id: str
    path: str
    digest: str
    description: str
    tags: dict[str, str]
    aliases: list[str]
    created_ms: int
    created_by: str
    files: list[dict[str, Any]] = field(default_factory=list)
    run_name: str | None = None
    run_status: str | None = None
    metrics: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "project": self.project,
            "version": self.version,
            "run_id": self.run_id,
            "path": self.path,
            "digest": self.digest,
            "description": self.description,
            "tags": self.tags,
            "aliases": self.aliases,
            "created_ms": self.created_ms,
            "created_by": self.created_by,
            "files": self.files,
            "run_name": self.run_name,
            "run_status": self.run_status,
            "metrics": self.metrics,
        }


def version_infos(conn: Connection, rows: list[dict[str, Any]]) -> list[VersionInfo]:
    """VersionInfo for version rows (tags, aliases and the source run's latest metrics)."""
    ids = [r["id"] for r in rows]
    tags = repo.version_tags_of(conn, ids)
    held = repo.aliases_of(conn, ids)
    files = repo.files_of_many(conn, ids)
    runs = repo.run_summaries(conn, list({r["run_pk"] for r in rows}))
    out = []
    for r in rows:
        run = runs.get(r["run_pk"])
        out.append(
            VersionInfo(
                model=r["model"],
                project=r["project"],
                version=r["version"],
                run_id=r["run_id"],
                path=r["path"],
                digest=r["digest"],
                description=r["description"],
                tags=tags[r["id"]],
                aliases=held[r["id"]],
                created_ms=r["created_ms"],
                created_by=r["created_by"],
                files=files[r["id"]],
                run_name=run[0] if run else None,
                run_status=run[1] if run else None,
                metrics=dict(run[2]) if run else {},
            )
        )
    return out


@dataclass(frozen=True, slots=True)
class VersionPage:
    versions: list[VersionInfo]
    next_page_token: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "versions": [v.to_dict() for v in self.versions],
            "next_page_token": self.next_page_token,
        }


@dataclass(frozen=True, slots=True)
class ModelPage:
    models: list[ModelInfo]
    next_page_token: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "models": [m.to_dict() for m in self.models],
            "next_page_token": self.next_page_token,
        }
