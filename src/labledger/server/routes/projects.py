"""/api/v1/projects."""

from __future__ import annotations

from fastapi import APIRouter

from labledger.server.deps import SearchServiceDep
from labledger.server.routes.common import PROJECT_404, ProjectPath, errors
from labledger.server.schemas import projects as schemas

router = APIRouter(prefix="/api/v1/projects", tags=["projects"])


@router.get("", response_model=schemas.ProjectsPublic)
def list_projects(service: SearchServiceDep) -> schemas.ProjectsPublic:
    return schemas.ProjectsPublic(
        projects=[
            schemas.ProjectPublic(
                name=p.name,
                created_ms=p.created_ms,
                run_count=p.run_count,
                last_activity_ms=p.last_activity_ms,
                runs_per_day=p.runs_per_day,
                role=p.role,  # type: ignore[arg-type]
            )
            for p in service.list_projects()
        ]
    )


@router.get(
    "/{project}/keys",
    response_model=schemas.ProjectKeysPublic,
    responses=errors((400, "Not a project name (invalid_input, limit_exceeded)."), PROJECT_404),
)
def list_project_keys(project: ProjectPath, service: SearchServiceDep) -> schemas.ProjectKeysPublic:
    """Param, metric and tag keys used in the project (filter suggestions, column picker)."""
    keys = service.list_project_keys(project)
    return schemas.ProjectKeysPublic(params=keys.params, metrics=keys.metrics, tags=keys.tags)
