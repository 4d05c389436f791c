"""`WooCommerceConnector`: the `Connector` protocol for one WooCommerce site, and its factory.

Composes the REST client (shared HTTP layer + a token bucket: WooCommerce has no throttle signal
of its own beyond a host's 429), the streams, the delta writer and the webhook functions.
Capabilities: webhooks, no compare-and-set (the writer pushes deltas from the acknowledged value),
batches of 100, requests per second, one synthetic location (one stock number per item).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
from pydantic import ValidationError as PydanticError

from stockbridge.connectors.base import (
    Capabilities,
    WebhookMessage,
)
from stockbridge.connectors.composed import ComposedConnector
from stockbridge.connectors.http import HttpClient, HttpMetrics, Monotonic, RetryPolicy, Sleep, TokenBucket
from stockbridge.connectors.woocommerce import webhooks
from stockbridge.connectors.woocommerce.auth import new_nonce
from stockbridge.connectors.woocommerce.client import WooClient, woo_failure_table
from stockbridge.connectors.woocommerce.config import WooCommerceConfig
from stockbridge.connectors.woocommerce.streams import WooStreams
from stockbridge.connectors.woocommerce.writers import MAX_BATCH, LevelWriter
from stockbridge.domain.clock import Clock, SystemClock
from stockbridge.errors import ValidationError

if TYPE_CHECKING:
    from stockbridge.services.connections import ConnectionConfig

SECRETS = ("consumer_key", "consumer_secret", "webhook_secret")

CAPABILITIES = Capabilities(
    webhooks=True,
    compare_and_set=False,
    max_batch=MAX_BATCH,
    rate_limit_model="requests_per_second",
    multi_location=False,
)


class WooCommerceConnector(ComposedConnector):
    platform = "woocommerce"
    capabilities = CAPABILITIES

    def __init__(self, connection: str, config: WooCommerceConfig, client: WooClient) -> None:
        self.connection, self.config, self.client = connection, config, client
        self.streams = WooStreams(client, config.location_id)
        self.writer = LevelWriter(client, self.streams)

    async def check(self) -> None:
        """One authenticated read (`GET products?per_page=1`): key, secret, URL and REST routing."""
        await self.client.get("products", {"per_page": "1"}, operation="check")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return webhooks.verify(self.config.webhook_secret.get_secret_value(), headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        return webhooks.parse(self.config.webhook_secret.get_secret_value(), headers, body, self.connection)

    async def aclose(self) -> None:
        await self.client.http.aclose()


def build_connector(
    connection_code: str,
    config: WooCommerceConfig,
    session_or_client: aiohttp.ClientSession | HttpClient | None = None,
    *,
    clock: Clock | None = None,
    metrics: HttpMetrics | None = None,
    retry: RetryPolicy | None = None,
    monotonic: Monotonic = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    nonce: Callable[[], str] = new_nonce,
) -> WooCommerceConnector:
    """Compose a connector. `clock` stamps OAuth timestamps (the site refuses ones 15 min off);
    given an `HttpClient`, it is used as it is (its limiter, retry and failure table)."""
    if isinstance(session_or_client, HttpClient):
        http = session_or_client
    else:
        metrics = metrics or HttpMetrics()
        limiter = TokenBucket(
            config.requests_per_second,
            config.burst,
            monotonic=monotonic,
            sleep=sleep,
            on_wait=lambda s: metrics.record_throttle_wait(connection_code, "limiter", s),
        )
        http = HttpClient(
            config.api_root,
            connection_code,
            limiter=limiter,
            retry=retry or RetryPolicy(sleep=sleep, metrics=metrics),
            failures=woo_failure_table(),
            metrics=metrics,
            session=session_or_client,
        )
    client = WooClient(http, config, clock or SystemClock(), nonce)
    return WooCommerceConnector(connection_code, config, client)


def connector_from_config(config: ConnectionConfig) -> WooCommerceConnector:
    """The sync engine's seam (`sync.connectors.installed_connector`): a stored connection's
    `base_url`, its settings that are `WooCommerceConfig` fields (others belong to the sync
    engine) and the secrets `consumer_key`, `consumer_secret`, `webhook_secret`."""
    fields = WooCommerceConfig.model_fields
    values: dict[str, Any] = {
        k: v for k, v in config.view.settings.items() if k in fields and k not in SECRETS
    }
    if config.view.base_url:
        values["base_url"] = config.view.base_url
    try:
        typed = WooCommerceConfig(**values, **{name: config.secret(name) for name in SECRETS})
    except PydanticError as error:
        names = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise ValidationError(
            f"invalid WooCommerce connection {config.code!r}: {names}", field=names
        ) from None
    return build_connector(config.code, typed)
