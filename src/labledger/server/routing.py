"""Walking an app's routes, included routers' too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import fastapi.routing
from starlette.routing import BaseRoute


def flat_routes(routes: Iterable[BaseRoute]) -> Iterable[Any]:
    """Every route, included routers' too (FastAPI >= 0.16x keeps them apart)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    return contexts(list(routes)) if contexts is not None else routes
