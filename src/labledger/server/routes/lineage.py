"""/api/v1/lineage: the graph from datasets and commits through runs and versions to
deployments, from any node; /api/v1/.../webhooks: registry events sent to other systems."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from labledger.core import registry
from labledger.core.errors import LineageNodeNotFoundError
from labledger.core.validation import check_project_name
from labledger.server.deps import TrackerDep
from labledger.server.routes.common import INPUT_400, PROJECT_404, ProjectPath, errors
from labledger.server.routes.registry_common import ROLE_403
from labledger.server.schemas import registry as schemas
from labledger.server.schemas.common import HEX32, EmptyBody
from labledger.services.webhooks import Webhook

router = APIRouter(prefix="/api/v1", tags=["lineage"])
_NODE_404 = (404, "No such node, or none you may read (lineage_node_not_found).")
_HOOK_404 = (404, "No such webhook or delivery (webhook_not_found).")
MAX_ID = 2**63 - 1  # row ids are 64-bit integers


@router.get(
    "/lineage", response_model=schemas.LineagePublic, responses=errors(INPUT_400, _NODE_404)
)
def lineage(
    tracker: TrackerDep,
    node: Annotated[
        str,
        Query(
            min_length=1,
            max_length=600,
            description="run:<id>, dataset:<digest>, blob:<digest>, version:<model>/<n> (or "
            "<model>@<alias>), deployment:<id>; a bare run id or digest works too.",
        ),
    ],
    depth: Annotated[int, Query(ge=1, le=10)] = 4,
) -> schemas.LineagePublic:
    """Nodes and edges up to ``depth`` steps from ``node``, both ways."""
    if _beyond_the_store(node):
        raise LineageNodeNotFoundError(
            f"no lineage node {node!r} that you may read", details={"node": node}
        )
    return schemas.LineagePublic(**tracker.lineage.lineage(node, depth).to_dict())


def _beyond_the_store(node: str) -> bool:
    """A version number or deployment id no row can hold (PostgreSQL refused the lookup of
    version:m/99999999999 or deployment:<20 digits> with "out of range", a 500) or that is
    no ASCII number (deployment:² passed str.isdigit and failed int(); deployment:١ was
    taken for deployment:1 under another id): no such node."""
    kind, _, rest = node.partition(":")
    if kind == "deployment":
        return rest.isdigit() and not (rest.isascii() and int(rest) <= MAX_ID)
    _, slash, number = node.rpartition("/")
    return bool(slash) and number.isdecimal() and int(number) > registry.MAX_VERSION


def _hook(found: Webhook) -> schemas.WebhookPublic:
    return schemas.WebhookPublic(**found.to_dict())


@router.post(
    "/projects/{project}/webhooks",
    status_code=201,
    response_model=schemas.WebhookPublic,
    responses=errors(INPUT_400, ROLE_403, PROJECT_404),
)
def create_webhook(
    project: ProjectPath, body: schemas.WebhookIn, tracker: TrackerDep
) -> schemas.WebhookPublic:
    """Send the project's registry events to ``url`` (owners); the answer holds the signing
    secret, shown this once."""
    events = [str(e) for e in body.events] if body.events is not None else None
    # the rules the schema publishes: the service took a NUL in the project name to
    # PostgreSQL and some addresses to urlsplit, which raised (500s)
    project = check_project_name(project)
    url = registry.check_webhook_url(body.url)
    return _hook(tracker.webhooks.create(project, url, events))


@router.get(
    "/projects/{project}/webhooks",
    response_model=schemas.WebhooksPublic,
    responses=errors(INPUT_400, ROLE_403, PROJECT_404),
)
def list_webhooks(project: ProjectPath, tracker: TrackerDep) -> schemas.WebhooksPublic:
    found = tracker.webhooks.list_hooks(check_project_name(project))
    return schemas.WebhooksPublic(webhooks=[_hook(h) for h in found])


WebhookPath = Annotated[
    str, Path(description="A webhook id.", json_schema_extra={"pattern": HEX32})
]
DeliveryPath = Annotated[int, Path(description="A delivery id.", ge=1, le=2**63 - 1)]


@router.delete(
    "/webhooks/{webhook_id}",
    status_code=204,
    response_class=Response,
    responses=errors(ROLE_403, _HOOK_404),
)
def delete_webhook(webhook_id: WebhookPath, tracker: TrackerDep) -> Response:
    tracker.webhooks.delete(webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/{webhook_id}/deliveries",
    response_model=schemas.DeliveriesPublic,
    responses=errors(ROLE_403, _HOOK_404),
)
def list_deliveries(
    webhook_id: WebhookPath,
    tracker: TrackerDep,
    before: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> schemas.DeliveriesPublic:
    """Deliveries newest first, with their state, attempts and last error."""
    found = tracker.webhooks.deliveries(webhook_id, before=before, limit=limit)
    return schemas.DeliveriesPublic(deliveries=[schemas.DeliveryPublic(**d) for d in found])


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    status_code=204,
    response_class=Response,
    responses=errors(ROLE_403, _HOOK_404),
)
def replay_delivery(
    webhook_id: WebhookPath, delivery_id: DeliveryPath, _body: EmptyBody, tracker: TrackerDep
) -> Response:
    """Queue the delivery again (owners)."""
    tracker.webhooks.replay(webhook_id, delivery_id)
    return Response(status_code=204)
