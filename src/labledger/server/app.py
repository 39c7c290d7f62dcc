"""The app factory.  Engines and services are built in the lifespan, never at import."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from labledger._version import __version__
from labledger.core.identity import SYSTEM
from labledger.core.settings import Settings
from labledger.server.auth import (
    build_rules,
    document_credentials,
    enforce_rule,
    missing_rules,
)
from labledger.server.errors import install_error_handlers
from labledger.server.frontdoor import FrontDoor, document_refusals
from labledger.server.headers import CORSMiddleware, SecurityHeaders, cors_options
from labledger.server.metrics import RequestMiddleware, ServerMetrics
from labledger.server.mlflow import door as mlflow_door
from labledger.server.routes import HAND_PARSED_BODIES, ROUTERS, ROUTERS_AND_RULES
from labledger.server.spa import install_ui
from labledger.services.tracker import Tracker
from labledger.services.webhooks import WebhookSender

log = logging.getLogger("labledger.server")


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def create_app(settings: Settings | None = None, *, tracker: Tracker | None = None) -> FastAPI:
    """Build the ASGI app.  Pass ``tracker`` to share one already open (tests, embedding);
    otherwise the app opens the settings' store, asking for credentials unless
    ``settings.auth`` is false."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = tracker is None
        app.state.tracker = tracker or Tracker.from_settings(settings, auth=settings.auth)
        own_work = app.state.tracker.for_principal(SYSTEM)  # metrics and the reaper
        app.state.metrics = ServerMetrics(own_work)
        reaper = None
        reaping = threading.Lock()  # held while a pass writes: shutdown waits for it
        if settings.heartbeat_timeout_s > 0:
            reaper = asyncio.create_task(_reap_silent_runs(own_work, settings, reaping))
        sender = WebhookSender(app.state.tracker.db)  # the registry's webhook outbox
        sender.start()
        try:
            yield
        finally:
            await run_in_threadpool(sender.stop)
            if reaper is not None:
                reaper.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reaper
                # a cancelled pass still runs in its thread: let it finish before the
                # store is closed under it
                await run_in_threadpool(reaping.acquire)
                reaping.release()
            if owned:
                app.state.tracker.close()

    app = FastAPI(
        title="LabLedger",
        version=__version__,
        lifespan=lifespan,
        generate_unique_id_function=_operation_id,
        dependencies=[Depends(enforce_rule)],  # every route's door rule, before anything
    )
    app.state.settings = settings
    if tracker is not None:
        app.state.tracker = tracker
    if tracker is not None:
        app.state.metrics = ServerMetrics(tracker)
    # outermost last: request ids and latency wrap the front door's refusals too
    app.add_middleware(
        FrontDoor,
        schema=lambda: app.openapi(),
        allowed_origins=settings.origins,
        streamed_prefixes=mlflow_door.ARTIFACT_PREFIXES,
    )
    cors = cors_options(settings.origins)
    if cors is not None:  # preflights of the listed origins, before the door refuses them
        app.add_middleware(CORSMiddleware, **cors)  # type: ignore[arg-type]
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMiddleware)
    install_error_handlers(app)
    for router in ROUTERS:
        app.include_router(router)
    app.state.rules = build_rules(ROUTERS_AND_RULES)
    unruled = missing_rules(app.routes, app.state.rules)
    if unruled:  # fail closed: a route nobody gave a rule never serves
        raise RuntimeError(f"routes without an access rule: {', '.join(unruled)}")

    _publish_hand_parsed_bodies(app)
    mlflow_door.mount(app, settings)  # MLflow's REST API and artifact proxy (docs/mlflow.md)
    install_ui(app)  # last: its catch-all route must not shadow the API
    return app


async def _reap_silent_runs(tracker: Tracker, settings: Settings, reaping: threading.Lock) -> None:
    """Mark runs whose writers went silent as killed, every quarter of the timeout (at most
    a minute).  Safe with several replicas: the update only touches runs still running."""
    timeout_ms = settings.heartbeat_timeout_s * 1000
    period = min(60.0, settings.heartbeat_timeout_s / 4)
    while True:
        try:
            killed = await run_in_threadpool(_reap_once, tracker, timeout_ms, reaping)
            if killed:
                log.warning("marked %d silent runs killed: %s", len(killed), ", ".join(killed))
        except Exception:  # noqa: BLE001 - the reaper must outlive a database hiccup
            log.exception("marking silent runs failed; will try again")
        await asyncio.sleep(period)


def _reap_once(tracker: Tracker, timeout_ms: int, reaping: threading.Lock) -> list[str]:
    with reaping:
        return tracker.runs.mark_silent_runs_killed(timeout_ms)


def app_from_env() -> FastAPI:
    """The app each worker of ``labledger server --workers N`` builds: its settings and log
    options come from the environment the parent set."""
    from labledger.server import logs

    logs.configure_from_env()
    return create_app(Settings.from_env())


def _publish_hand_parsed_bodies(app: FastAPI) -> None:
    """Routes that parse their body by hand (the batch route) reference its schema by name:
    publish those schemas in the OpenAPI document."""
    original = app.openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in HAND_PARSED_BODIES:
            body = model.model_json_schema(ref_template="#/components/schemas/{model}")
            for name, sub in body.pop("$defs", {}).items():
                components.setdefault(name, sub)
            components[model.__name__] = body
        document_refusals(schema)
        document_credentials(schema, app.state.rules)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
