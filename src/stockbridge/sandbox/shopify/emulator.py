"""The Shopify emulator: one shop behind the Admin GraphQL endpoint, with signed webhooks.

Composes the store, the cost bucket, the idempotency cache and the GraphQL endpoint on top of the
shared `Emulator` base (faults, counters, admin surface). Webhooks are signed like Shopify's:
`X-Shopify-Hmac-Sha256` = base64 HMAC-SHA256 of the raw body with the app's client secret.
Run it from a test with `EmulatorServer(ShopifyEmulator())`, or as a process with
`python -m stockbridge.sandbox shopify`.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from typing import Any

from aiohttp import web

from stockbridge.domain.clock import Clock
from stockbridge.sandbox.server import Emulator
from stockbridge.sandbox.shopify.cost import LeakyBucket
from stockbridge.sandbox.shopify.graphql_endpoint import GraphQLEndpoint
from stockbridge.sandbox.shopify.idempotency import IdempotencyCache
from stockbridge.sandbox.shopify.schema import SUPPORTED_VERSIONS
from stockbridge.sandbox.shopify.store import ShopifyStore
from stockbridge.sandbox.shopify.storefront import StorefrontRoutes
from stockbridge.sandbox.webhooks import Delivery, Sleep

DEFAULT_TOKEN = "shpat_sandbox_token"
DEFAULT_SECRET = "shpss_sandbox_secret"


def shopify_hmac(secret: str, body: bytes) -> str:
    """The value Shopify puts in `X-Shopify-Hmac-Sha256`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class ShopifyEmulator(Emulator):
    """An emulated Shopify shop."""

    name = "shopify"

    def __init__(
        self,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        *,
        access_token: str = DEFAULT_TOKEN,
        api_secret: str = DEFAULT_SECRET,
        shop_domain: str = "stockbridge-sandbox.myshopify.com",
        bucket_size: int = 2000,
        restore_rate: int = 100,
        webhook_api_version: str = SUPPORTED_VERSIONS[0],
        webhook_retry_delays: tuple[float, ...] = (),
    ) -> None:
        super().__init__(clock, sleep)
        self.webhooks.retry_delays = webhook_retry_delays
        self.access_tokens = {access_token}
        self.api_secret = api_secret
        self.webhook_api_version = webhook_api_version
        self.store = ShopifyStore(self.clock, shop_domain)
        self.store.sink = self.webhooks.emit
        self.bucket = LeakyBucket(self.clock, bucket_size, restore_rate)
        self.idempotency = IdempotencyCache()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/admin/api/{version}/graphql.json", GraphQLEndpoint(self).handle)
        app.router.add_post("/_emulator/throttle", self._set_throttle)
        StorefrontRoutes(self.store).register(app)

    async def _set_throttle(self, request: web.Request) -> web.Response:
        """Resize the cost bucket at runtime (e.g. a Plus plan's 1000 points/s); refills it."""
        body = await request.json()
        size, rate = (
            body.get("bucket_size", self.bucket.capacity),
            body.get("restore_rate", self.bucket.restore_rate),
        )
        if not (isinstance(size, int) and isinstance(rate, int) and size > 0 and rate > 0):
            return web.json_response(
                {"error": "bucket_size and restore_rate must be positive integers"}, status=400
            )
        self.bucket = LeakyBucket(self.clock, size, rate)
        return web.json_response(self.bucket.status())

    def state_snapshot(self) -> dict[str, Any]:
        return {
            **self.store.snapshot(),
            "throttle": self.bucket.status(),
            "idempotency_keys": len(self.idempotency),
        }

    def webhook_headers(self, delivery: Delivery) -> dict[str, str]:
        secret = delivery.subscription.secret or self.api_secret
        triggered = delivery.event.triggered_at.isoformat(timespec="microseconds").replace("+00:00", "Z")
        return {
            "X-Shopify-Topic": delivery.event.topic,
            "X-Shopify-Hmac-Sha256": shopify_hmac(secret, delivery.body),
            "X-Shopify-Shop-Domain": self.store.shop_domain,
            "X-Shopify-API-Version": self.webhook_api_version,
            "X-Shopify-Webhook-Id": delivery.delivery_id,
            "X-Shopify-Event-Id": delivery.event.event_id,
            "X-Shopify-Triggered-At": triggered,
            "User-Agent": "Shopify-Captain-Hook",
        }

    def unavailable_response(self) -> web.Response:
        return web.json_response({"errors": "Service Unavailable"}, status=503)

    def throttled_response(self) -> web.Response | None:
        return None  # Shopify throttles in-band: HTTP 200 with a THROTTLED error (graphql_endpoint).
