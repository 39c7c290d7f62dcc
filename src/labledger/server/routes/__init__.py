"""The API's resources, one router each, in the order the app registers them.

Adding a resource: a new ``routes/<resource>.py`` (with ``schemas/<resource>.py``) and one
line here, with the door rule of its routes (``server/auth.py``; routes that differ from
their router's rule are named there).  Order matters where literal paths share a prefix
with templates: search's ``/runs/search`` must come before runs' ``/runs/{run_id}``.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from labledger.server.auth import Rule
from labledger.server.routes import (
    aliases,
    artifacts,
    audit,
    auth,
    deployments,
    health,
    lineage,
    members,
    models,
    projects,
    provenance,
    runs,
    search,
    uploads,
    users,
)
from labledger.server.schemas.runs import RunBatch

SIGNED_IN = Rule.SIGNED_IN

ROUTERS_AND_RULES: tuple[tuple[APIRouter, Rule], ...] = (
    (health.router, SIGNED_IN),  # /healthz and /readyz public, /metrics admin: server/auth.py
    (auth.router, Rule.PUBLIC),  # signing in; logout needs a session: server/auth.py
    (projects.router, SIGNED_IN),
    (members.router, SIGNED_IN),
    (search.router, SIGNED_IN),
    (runs.router, SIGNED_IN),
    (artifacts.router, SIGNED_IN),
    (uploads.router, SIGNED_IN),
    (provenance.router, SIGNED_IN),
    (users.router, SIGNED_IN),
    (audit.router, SIGNED_IN),
    (models.router, SIGNED_IN),
    (aliases.router, SIGNED_IN),
    (deployments.router, SIGNED_IN),
    (lineage.router, SIGNED_IN),
)
ROUTERS: tuple[APIRouter, ...] = tuple(router for router, _ in ROUTERS_AND_RULES)

# Bodies a route parses by hand (the hot ingest path): published in the OpenAPI document
# all the same, under these names.
HAND_PARSED_BODIES: tuple[type[BaseModel], ...] = (RunBatch,)
