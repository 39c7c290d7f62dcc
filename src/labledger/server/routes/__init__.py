"""The API's resources, one router each, in the order the app registers them.

Adding a resource: a new ``routes/<resource>.py`` (with ``schemas/<resource>.py``) and one
line here.  Order matters where literal paths share a prefix with templates: search's
``/runs/search`` must come before runs' ``/runs/{run_id}``.
"""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from labledger.server.routes import artifacts, health, projects, provenance, runs, search, uploads
from labledger.server.schemas.runs import RunBatch

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    projects.router,
    search.router,
    runs.router,
    artifacts.router,
    uploads.router,
    provenance.router,
)

# Bodies a route parses by hand (the hot ingest path): published in the OpenAPI document
# all the same, under these names.
HAND_PARSED_BODIES: tuple[type[BaseModel], ...] = (RunBatch,)
