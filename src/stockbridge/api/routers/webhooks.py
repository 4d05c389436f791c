"""Webhook endpoints: `POST /webhooks/{platform}/{connection}`, open (no API key) because the
platform authenticates each delivery with an HMAC over the raw body and the connection's secret.

The delivery is verified by the connection's connector (constant-time compare), stored in the
inbox, and only then acknowledged with 200; a repeated delivery id is acknowledged and not stored
again. Processing happens later (sync.inbox). 401 for a bad or missing signature, 404 for an
unknown connection or platform, 503 when the connection cannot build its connector (the platform
delivers again later). Tests swap the connectors with `app.state.connector_source`.
"""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from stockbridge.api.deps import Ctx
from stockbridge.api.problems import problem_response
from stockbridge.api.schemas_common import problem_responses
from stockbridge.connectors.base import WebhookMessage
from stockbridge.connectors.errors import ConnectorError
from stockbridge.errors import NotFoundError, ValidationError
from stockbridge.services.connections import load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.sync.connectors import UnsupportedPlatformError
from stockbridge.sync.inbound_bindings import (
    ConnectorSource,
    InboundConnector,
    installed_connector_source,
    record_of,
)
from stockbridge.sync.inbox import accept_delivery

router = APIRouter(prefix="/webhooks", tags=["webhooks"])
logger = logging.getLogger(__name__)


def get_connector_source(request: Request) -> ConnectorSource:
    source: ConnectorSource = getattr(request.app.state, "connector_source", installed_connector_source)
    return source


Source = Annotated[ConnectorSource, Depends(get_connector_source)]


@router.post("/{platform}/{connection}", responses=problem_responses(401, 404, 503))
async def receive_webhook(
    platform: str, connection: str, request: Request, ctx: Ctx, source: Source
) -> JSONResponse:
    body = await request.body()  # the exact bytes the signature covers
    headers = {k.lower(): v for k, v in request.headers.items()}
    return await run_in_threadpool(_receive, ctx, source, platform, connection, headers, body)


def _receive(
    ctx: HubContext, source: ConnectorSource, platform: str, code: str, headers: dict[str, str], body: bytes
) -> JSONResponse:
    try:
        config = load_connection_config(ctx, code)
    except NotFoundError:
        config = None
    if config is None or config.platform != platform or not config.view.enabled:
        return problem_response(404, "not_found", f"no {platform} connection {code!r}")
    record = record_of(config, ctx.tenant_id)
    try:
        connector = source(config)
    except UnsupportedPlatformError as error:
        return problem_response(404, "not_found", str(error))
    except ValidationError as error:  # e.g. a missing secret: the platform will retry later
        logger.warning("webhook for %s: connection misconfigured: %s", record.source, error.message)
        return problem_response(503, "connection_misconfigured", error.message)
    if not connector.verify_webhook(headers, body):
        logger.info("webhook for %s rejected: bad or missing signature", record.source)
        return problem_response(401, "invalid_signature", "the webhook signature does not match this body")
    accepted = accept_delivery(ctx, record, _parse(connector, headers, body), headers, body)
    status = "duplicate" if accepted.duplicate else "accepted"
    return JSONResponse(
        {"status": status, "delivery_id": accepted.delivery_id, "inbox_id": accepted.inbox_id}
    )


def _parse(connector: InboundConnector, headers: dict[str, str], body: bytes) -> WebhookMessage | None:
    """A signed body that cannot be parsed is still stored (and fails in processing, visibly)."""
    try:
        return connector.parse_webhook(headers, body)
    except (ConnectorError, ValueError, KeyError, TypeError) as error:
        logger.warning("signed webhook could not be parsed: %s", type(error).__name__)
        return None
