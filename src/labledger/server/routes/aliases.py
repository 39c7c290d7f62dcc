"""/api/v1/models/{model}: promotion policies, aliases (promote, check, approve, roll back,
unset), their holder at any time, and the history of every decision."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from labledger.core import registry
from labledger.server.deps import TrackerDep
from labledger.server.routes.common import INPUT_400, errors
from labledger.server.routes.registry_common import (
    MODEL_404,
    ROLE_403,
    VERSION_404,
    AliasPath,
    ModelPath,
)
from labledger.server.schemas import registry as schemas
from labledger.server.schemas.common import EmptyBody
from labledger.server.schemas.registry import ALIAS
from labledger.services.promotion import Decision

router = APIRouter(prefix="/api/v1/models/{model}", tags=["aliases"])
_GATE_409 = (
    409,
    "The alias's policy refuses the version (gate_failed: details.failed names every failed "
    "gate with the values compared; the refusal is recorded).",
)
_APPROVE_409 = (
    409,
    "Already approved by you under this policy (already_approved), or you asked for this "
    "promotion (self_approval).",
)


def _decision(found: Decision) -> schemas.DecisionPublic:
    return schemas.DecisionPublic.model_validate(found.to_dict())


@router.get(
    "/policies", response_model=schemas.PoliciesPublic, responses=errors(INPUT_400, MODEL_404)
)
def list_policies(model: ModelPath, tracker: TrackerDep) -> schemas.PoliciesPublic:
    found = tracker.promotion.policies(model)
    return schemas.PoliciesPublic(policies=[schemas.PolicyPublic(**p) for p in found])


@router.put(
    "/policies/{alias}",
    response_model=schemas.PolicyPublic,
    responses=errors(INPUT_400, ROLE_403, MODEL_404),
)
def set_alias_policy(
    model: ModelPath, alias: AliasPath, body: schemas.PolicyIn, tracker: TrackerDep
) -> schemas.PolicyPublic:
    """Set the promotion policy of an alias, written in YAML or JSON (maintainers); a
    policy that does not parse is 400 with its line and column."""
    return schemas.PolicyPublic(**tracker.promotion.set_policy(model, alias, body.policy))


@router.put(
    "/policy",
    response_model=schemas.PolicyPublic,
    responses=errors(INPUT_400, ROLE_403, MODEL_404),
)
def set_model_policy(
    model: ModelPath, body: schemas.PolicyIn, tracker: TrackerDep
) -> schemas.PolicyPublic:
    """Set the model's own policy: drift thresholds ``drift: {psi, ks}`` (maintainers)."""
    return schemas.PolicyPublic(**tracker.promotion.set_policy(model, None, body.policy))


@router.get(
    "/aliases/{alias}", response_model=schemas.HolderPublic, responses=errors(INPUT_400, MODEL_404)
)
def alias_holder(
    model: ModelPath,
    alias: AliasPath,
    tracker: TrackerDep,
    at: Annotated[
        int | None, Query(ge=0, le=2**63 - 1, description="Epoch ms; default now.")
    ] = None,
) -> schemas.HolderPublic:
    """Which version the alias pointed at, at time ``at``, and since when."""
    return schemas.HolderPublic(**tracker.promotion.holder_at(model, alias, at))


@router.post(
    "/aliases/{alias}/promote",
    response_model=schemas.DecisionPublic,
    responses=errors(INPUT_400, ROLE_403, VERSION_404, _GATE_409),
)
def promote(
    model: ModelPath, alias: AliasPath, body: schemas.VersionRefIn, tracker: TrackerDep
) -> schemas.DecisionPublic:
    """Point the alias at the version if its policy allows (maintainers)."""
    return _decision(tracker.promotion.promote(model, body.version, alias))


@router.post(
    "/aliases/{alias}/check",
    response_model=schemas.DecisionPublic,
    responses=errors(INPUT_400, VERSION_404),
)
def check_promotion(
    model: ModelPath, alias: AliasPath, body: schemas.VersionRefIn, tracker: TrackerDep
) -> schemas.DecisionPublic:
    """What promoting the version would decide now; nothing moves and nothing is recorded."""
    return _decision(tracker.promotion.check(model, body.version, alias))


@router.post(
    "/aliases/{alias}/approvals",
    status_code=201,
    response_model=schemas.ApprovalPublic,
    responses=errors(INPUT_400, ROLE_403, VERSION_404, _APPROVE_409),
)
def approve(
    model: ModelPath, alias: AliasPath, body: schemas.VersionRefIn, tracker: TrackerDep
) -> schemas.ApprovalPublic:
    """Approve the version for the alias under its current policy (maintainers)."""
    return schemas.ApprovalPublic(**tracker.promotion.approve(model, body.version, alias))


@router.get(
    "/aliases/{alias}/approvals",
    response_model=schemas.ApprovalsPublic,
    responses=errors(INPUT_400, VERSION_404),
)
def list_approvals(
    model: ModelPath,
    alias: AliasPath,
    tracker: TrackerDep,
    version: Annotated[int | None, Query(ge=1, le=registry.MAX_VERSION)] = None,
) -> schemas.ApprovalsPublic:
    """Approvals given; ``valid`` is false for those given under an earlier policy."""
    found = tracker.promotion.approvals(model, alias, version)
    return schemas.ApprovalsPublic(approvals=[schemas.ApprovalPublic(**a) for a in found])


@router.post(
    "/aliases/{alias}/rollback",
    response_model=schemas.DecisionPublic,
    responses=errors(INPUT_400, ROLE_403, MODEL_404, (409, "No earlier version (conflict).")),
)
def rollback(
    model: ModelPath, alias: AliasPath, _body: EmptyBody, tracker: TrackerDep
) -> schemas.DecisionPublic:
    """Move the alias back to the version it pointed at before its last move (maintainers)."""
    return _decision(tracker.promotion.rollback(model, alias))


@router.delete(
    "/aliases/{alias}",
    status_code=204,
    response_class=Response,
    responses=errors(INPUT_400, ROLE_403, (404, "No such model or alias (alias_not_found).")),
)
def unset_alias(model: ModelPath, alias: AliasPath, tracker: TrackerDep) -> Response:
    tracker.promotion.unset(model, alias)
    return Response(status_code=204)


@router.get(
    "/history", response_model=schemas.HistoryPublic, responses=errors(INPUT_400, MODEL_404)
)
def history(
    model: ModelPath,
    tracker: TrackerDep,
    alias: Annotated[
        str | None, Query(json_schema_extra={"maxLength": registry.MAX_ALIAS, "pattern": ALIAS})
    ] = None,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1, description="An event id.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> schemas.HistoryPublic:
    """Every decision on the model's aliases, newest first: moves, refusals with their gate
    results, rollbacks."""
    found = tracker.promotion.history(model, alias, before=before, limit=limit)
    return schemas.HistoryPublic(events=[schemas.AliasEventPublic.model_validate(e) for e in found])
