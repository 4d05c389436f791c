"""The app factory: `create_app(settings)` builds the REST API around one hub context.

Nothing is created at import time. Routers live in `api/routers/`, one per resource, mounted
under `/api/v1` behind the API-key guard; `/healthz`, `/docs` and `/openapi.json` stay open.
The lifespan runs the reservation expiry sweeper and, when the app built the context itself,
disposes of its engine at shutdown.

    /api/v1/skus, /locations, /channels, /listings/{channel}/{sku}     catalog (PUT defines)
    /api/v1/events, /events/bulk                                       stock movements
    /api/v1/reservations[/{id}/commit|release|extend]                  holds
    /api/v1/balances[/{sku}/{location}/explain], /available-to-sell,
    /listings/{channel}/{sku}/available-to-sell|explain, /verify      reading stock
    /api/v1/quarantine[/{id}/retry|discard]                            rejected input
    /api/v1/sync/breakers                                              channel circuit breakers
    /webhooks/{platform}/{connection}        (HMAC-signed, no API key) channel webhooks -> inbox
"""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, FastAPI

from stockbridge.api.auth import api_key_guard
from stockbridge.api.openapi import openapi_with
from stockbridge.api.problems import install_problem_handlers
from stockbridge.api.routers import balances, catalog, channels, events, health, locations, quarantine
from stockbridge.api.routers import metrics as metrics_routes
from stockbridge.api.routers import reservations as reservation_routes
from stockbridge.api.routers import sync as sync_routes
from stockbridge.api.routers import webhooks as webhook_routes
from stockbridge.api.schemas_stock import EventIn
from stockbridge.api.sweeper import ExpirySweeper, Sweep
from stockbridge.services.bootstrap import bootstrap
from stockbridge.services.context import HubContext
from stockbridge.services.reservations import expire_due
from stockbridge.settings import Settings

API_PREFIX = "/api/v1"
CUSTOMERS_MODULE = "stockbridge.identity.api"
logger = logging.getLogger(__name__)


def create_app(
    settings: Settings,
    ctx: HubContext | None = None,
    *,
    require_auth: bool = True,
    expiry_sweep: Sweep | None = expire_due,
    sweep_interval_s: float | None = None,
) -> FastAPI:
    """The API for one hub. `expiry_sweep=None` disables the background sweeper (tests)."""
    guard = api_key_guard(settings.api_keys, require_auth=require_auth)
    owns_ctx = ctx is None
    hub = ctx if ctx is not None else bootstrap(settings)
    interval = sweep_interval_s if sweep_interval_s is not None else settings.expiry_sweep_interval_s
    sweeper = ExpirySweeper(hub, expiry_sweep, interval) if expiry_sweep is not None else None

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if sweeper is not None:
                await stack.enter_async_context(sweeper.running())
            yield
        if owns_ctx:
            hub.engine.dispose()

    app = FastAPI(
        title="stockbridge",
        version="0.1.0",
        description="One source of truth for stock across shops, marketplaces and warehouses.",
        lifespan=lifespan,
    )
    app.state.ctx = hub
    install_problem_handlers(app)
    app.include_router(health.router)
    app.include_router(metrics_routes.router)  # Prometheus scrapes without the API key
    app.include_router(webhook_routes.router)  # signed by the platform, not behind the API key
    dependencies = [Depends(guard)] if guard is not None else []
    app.include_router(api_router(), prefix=API_PREFIX, dependencies=dependencies)
    app.openapi = openapi_with(app, [EventIn])  # type: ignore[method-assign]
    return app


def api_router() -> APIRouter:
    router = APIRouter()
    for part in (
        catalog.router,
        locations.router,
        channels.channels_router,
        channels.listings_router,
        events.router,
        reservation_routes.router,
        balances.router,
        quarantine.router,
        sync_routes.router,
    ):
        router.include_router(part)
    customers = _customers_router()
    if customers is not None:  # mounted at /customers, whether or not it carries that prefix itself
        prefix = "" if customers.prefix.startswith("/customers") else "/customers"
        router.include_router(customers, prefix=prefix)
    return router


def _customers_router() -> APIRouter | None:
    """The identity package's router, when that package provides one."""
    try:
        module: Any = importlib.import_module(CUSTOMERS_MODULE)
    except ImportError as error:
        if error.name != CUSTOMERS_MODULE:
            logger.warning("customer API not mounted: %s", error)
        return None
    factory = getattr(module, "create_customers_router", None)
    if factory is None:
        return None
    router = factory()
    return router if isinstance(router, APIRouter) else None
