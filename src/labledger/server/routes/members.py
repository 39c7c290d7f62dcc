"""/api/v1/projects/{project}/members and creating a project for an owner."""

from __future__ import annotations

from fastapi import APIRouter

from labledger.server.deps import TrackerDep
from labledger.server.routes.common import INPUT_400, PROJECT_404, ProjectPath, errors
from labledger.server.routes.users import UserPath
from labledger.server.schemas import accounts as schemas
from labledger.services.members import ProjectMembers

router = APIRouter(prefix="/api/v1/projects", tags=["members"])
_403 = (403, "The caller's role does not allow it (permission_denied).")
_409 = (409, "That would leave the project without an owner (last_owner).")


def _members(found: ProjectMembers) -> schemas.MembersPublic:
    return schemas.MembersPublic(**found.to_dict())


@router.post(
    "",
    status_code=201,
    response_model=schemas.MembersPublic,
    responses=errors(INPUT_400, _403, (404, "No such owner (user_not_found).")),
)
def create_project(body: schemas.ProjectIn, tracker: TrackerDep) -> schemas.MembersPublic:
    """Create an empty project owned by ``owner`` (server admins; anyone else creates a
    project by logging its first run, and owns it)."""
    return _members(tracker.members.create_project(body.name, body.owner))


@router.get(
    "/{project}/members", response_model=schemas.MembersPublic, responses=errors(PROJECT_404)
)
def list_members(project: ProjectPath, tracker: TrackerDep) -> schemas.MembersPublic:
    return _members(tracker.members.list_members(project))


@router.put(
    "/{project}/members/{name}",
    response_model=schemas.MembersPublic,
    responses=errors(INPUT_400, _403, PROJECT_404, _409),
)
def set_member(
    project: ProjectPath, name: UserPath, body: schemas.MemberIn, tracker: TrackerDep
) -> schemas.MembersPublic:
    """Add a member or change its role (owners)."""
    return _members(tracker.members.set_member(project, name, body.role))


@router.delete(
    "/{project}/members/{name}",
    response_model=schemas.MembersPublic,
    responses=errors(INPUT_400, _403, PROJECT_404, _409),
)
def remove_member(
    project: ProjectPath, name: UserPath, tracker: TrackerDep
) -> schemas.MembersPublic:
    return _members(tracker.members.remove_member(project, name))


@router.put(
    "/{project}/default-role",
    response_model=schemas.MembersPublic,
    responses=errors(INPUT_400, _403, PROJECT_404),
)
def set_default_role(
    project: ProjectPath, body: schemas.DefaultRoleIn, tracker: TrackerDep
) -> schemas.MembersPublic:
    """Every signed-in user's role here (viewer, editor, or null for members only)."""
    tracker.members.set_default_role(project, body.role)
    return _members(tracker.members.list_members(project))
