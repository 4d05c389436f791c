"""`GET /metrics`: Prometheus text exposition of the hub's registry (open, like `/healthz`).

The registry lives on `app.state.metrics_registry`. When the app factory's caller did not put one
there, the first scrape creates it with the sync gauges read from the database
(`HubStateCollector`: dirty backlog, oldest pending change, open dead letters, the circuit
breakers the worker recorded), so an API process shows the sync state even when the worker runs
elsewhere. A worker running in the same process registers its `SyncMetrics` on the same registry
(`registry_for(app)`).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from stockbridge.sync.metrics import HubStateCollector

router = APIRouter(tags=["metrics"])


def registry_for(app: FastAPI) -> CollectorRegistry:
    registry = getattr(app.state, "metrics_registry", None)
    if not isinstance(registry, CollectorRegistry):
        registry = CollectorRegistry()
        registry.register(HubStateCollector(app.state.ctx))
        app.state.metrics_registry = registry
    return registry


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    return Response(generate_latest(registry_for(request.app)), media_type=CONTENT_TYPE_LATEST)
