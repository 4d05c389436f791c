"""`ShopifyConnector`: the `Connector` protocol for one shop, and `build_connector`, its factory.

Composes the GraphQL client (shared HTTP layer + cost bucket), the streams, the level writer and
the webhook functions; owns nothing else. Capabilities: webhooks, compare-and-set
(`changeFromQuantity`), batches of 250, a cost bucket, levels per location.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import aiohttp

from stockbridge.connectors.base import (
    Capabilities,
    OrderCursor,
    RemoteOrder,
    WebhookMessage,
)
from stockbridge.connectors.composed import ComposedConnector
from stockbridge.connectors.errors import PermanentError
from stockbridge.connectors.http import CostBucket, HttpClient, HttpMetrics, Monotonic, RetryPolicy, Sleep
from stockbridge.connectors.shopify import queries, webhooks
from stockbridge.connectors.shopify.client import ShopifyGraphQLClient, shopify_failure_table
from stockbridge.connectors.shopify.config import ShopifyConfig
from stockbridge.connectors.shopify.streams import ShopifyStreams
from stockbridge.connectors.shopify.writers import MAX_BATCH, LevelWriter, new_idempotency_key

CAPABILITIES = Capabilities(
    webhooks=True,
    compare_and_set=True,
    max_batch=MAX_BATCH,
    rate_limit_model="cost_bucket",
    multi_location=True,
)


class ShopifyConnector(ComposedConnector):
    platform = "shopify"
    capabilities = CAPABILITIES
    streams: ShopifyStreams

    def __init__(
        self,
        connection: str,
        config: ShopifyConfig,
        client: ShopifyGraphQLClient,
        key_factory: Callable[[], str] = new_idempotency_key,
    ) -> None:
        self.connection = connection
        self.config = config
        self.client = client
        self.streams = ShopifyStreams(client, config)
        self.writer = LevelWriter(client, config, self.streams.levels, key_factory)

    async def check(self) -> None:
        data = await self.client.execute(queries.SHOP_QUERY, {}, "StockbridgeCheck", cost_hint=2)
        domain = (data.get("shop") or {}).get("myshopifyDomain")
        if domain != self.config.shop_domain:
            raise PermanentError(
                f"token belongs to {domain!r}, not {self.config.shop_domain!r}",
                connection=self.connection,
                operation="check",
            )

    async def order_versions(
        self, cursor: OrderCursor, *, limit: int = 250, until: datetime | None = None
    ) -> tuple[list[tuple[str, datetime]], OrderCursor]:
        """Which orders changed and when, for a point an order (see `ShopifyStreams`)."""
        return await self.streams.order_versions(cursor, limit, until)

    async def read_orders(self, order_ids: Sequence[str]) -> list[RemoteOrder]:
        return await self.streams.read_orders(order_ids)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return webhooks.verify(self.config.api_secret.get_secret_value(), headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        return webhooks.parse(self.config.api_secret.get_secret_value(), headers, body, self.connection)

    async def aclose(self) -> None:
        await self.client.http.aclose()


def build_connector(
    connection_code: str,
    config: ShopifyConfig,
    session_or_client: aiohttp.ClientSession | HttpClient | None = None,
    *,
    metrics: HttpMetrics | None = None,
    retry: RetryPolicy | None = None,
    monotonic: Monotonic = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    key_factory: Callable[[], str] = new_idempotency_key,
) -> ShopifyConnector:
    """Compose a connector. Given an `HttpClient`, its limiter must be the `CostBucket` to feed;
    given a session (or nothing), a client is built around it with a fresh cost bucket."""
    if isinstance(session_or_client, HttpClient):
        http = session_or_client
        if not isinstance(http.limiter, CostBucket):
            raise ValueError("a Shopify HttpClient must be limited by a CostBucket")
        bucket = http.limiter
    else:
        metrics = metrics or HttpMetrics()
        bucket = CostBucket(
            config.bucket_maximum,
            config.bucket_restore_rate,
            monotonic=monotonic,
            sleep=sleep,
            on_wait=lambda s: metrics.record_throttle_wait(connection_code, "limiter", s),
        )
        http = HttpClient(
            config.endpoint,
            connection_code,
            limiter=bucket,
            retry=retry or RetryPolicy(sleep=sleep, metrics=metrics),
            failures=shopify_failure_table(),
            metrics=metrics,
            session=session_or_client,
        )
    token = config.access_token.get_secret_value()
    client = ShopifyGraphQLClient(http, bucket, config.endpoint, token)
    return ShopifyConnector(connection_code, config, client, key_factory)
