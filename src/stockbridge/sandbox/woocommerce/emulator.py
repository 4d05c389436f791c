"""The WooCommerce emulator: REST v3 under `/wp-json/wc/v3/`, authenticated, with signed webhooks.

Composes the store, the authenticator and the route groups on top of the shared `Emulator` base.
Webhooks carry WooCommerce's headers; `X-WC-Webhook-Signature` is base64 HMAC-SHA256 of the body
with the webhook's secret. Unlike WooCommerce, deliveries are built at event time (WooCommerce
builds them when its queue runs, so bursts of updates to one resource coalesce there).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from stockbridge.domain.clock import Clock
from stockbridge.sandbox.server import Emulator
from stockbridge.sandbox.webhooks import Delivery, Sleep
from stockbridge.sandbox.woocommerce.auth import ApiKey, Authenticator
from stockbridge.sandbox.woocommerce.rest import RestError, restrict_fields
from stockbridge.sandbox.woocommerce.routes_catalog import CatalogRoutes
from stockbridge.sandbox.woocommerce.routes_sales import SalesRoutes
from stockbridge.sandbox.woocommerce.store import WooStore
from stockbridge.sandbox.woocommerce.storefront import StorefrontRoutes

DEFAULT_KEY = "ck_sandbox0000000000000000000000000000000"
DEFAULT_SECRET = "cs_sandbox0000000000000000000000000000000"
Handler = Callable[[web.Request], Awaitable[web.Response]]


def woo_signature(secret: str, body: bytes) -> str:
    """The value WooCommerce puts in `X-WC-Webhook-Signature`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WooCommerceEmulator(Emulator):
    """An emulated WooCommerce site."""

    name = "woocommerce"
    webhook_success = range(200, 303)

    def __init__(
        self,
        clock: Clock | None = None,
        sleep: Sleep = asyncio.sleep,
        *,
        keys: list[ApiKey] | None = None,
        site_url: str = "http://stockbridge-sandbox.test",
    ) -> None:
        super().__init__(clock, sleep)
        self.store = WooStore(self.clock, site_url)
        self.store.sink = self.webhooks.emit
        self.auth = Authenticator(keys or [ApiKey(DEFAULT_KEY, DEFAULT_SECRET)], self.clock)
        self.sales = SalesRoutes(self.store, self.webhooks)
        self.webhooks.on_result = self.sales.record_delivery

    def guard(self, handler: Handler) -> Handler:
        """Authenticate, count, and turn `RestError` into WordPress-shaped error answers."""

        async def guarded(request: web.Request) -> web.Response:
            route = request.match_info.route.resource
            name = route.canonical if route is not None else request.path
            self.counters.inc(f"rest:{request.method} {name}")
            try:
                self.auth.authenticate(request)
                response = await handler(request)
            except RestError as exc:
                if exc.status == 401:
                    self.counters.inc("woocommerce_unauthorized")
                return exc.response()
            fields = request.query.get("_fields")
            return restrict_fields(response, fields) if fields else response

        return guarded

    def add_routes(self, app: web.Application) -> None:
        CatalogRoutes(self.store).register(app, self.guard)
        self.sales.register(app, self.guard)
        StorefrontRoutes(self.store).register(app)
        app.router.add_route("*", "/wp-json/{tail:.*}", self._no_route)

    async def _no_route(self, request: web.Request) -> web.Response:
        return RestError(
            "rest_no_route", "No route was found matching the URL and request method.", 404
        ).response()

    def state_snapshot(self) -> dict[str, Any]:
        return {**self.store.snapshot(), "webhooks": [vars(w) for w in self.sales.webhooks.values()]}

    def webhook_headers(self, delivery: Delivery) -> dict[str, str]:
        topic = delivery.event.topic
        resource, _, event = topic.partition(".")
        return {
            "X-WC-Webhook-Source": f"{self.store.site_url}/",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Resource": resource,
            "X-WC-Webhook-Event": event,
            "X-WC-Webhook-Signature": woo_signature(delivery.subscription.secret, delivery.body),
            "X-WC-Webhook-ID": str(delivery.subscription.id),
            "X-WC-Webhook-Delivery-ID": delivery.delivery_id.replace("-", ""),
            "User-Agent": "WooCommerce/9.9.0 Hookshot (WordPress/6.8.0)",
        }

    def unavailable_response(self) -> web.Response:
        body = {"code": "service_unavailable", "message": "Service Unavailable", "data": {"status": 503}}
        return web.json_response(body, status=503)

    def throttled_response(self) -> web.Response | None:
        # WooCommerce core has no REST rate limit; hosts and WAFs answer 429 with Retry-After.
        body = {"code": "rest_too_many_requests", "message": "Too many requests.", "data": {"status": 429}}
        return web.json_response(body, status=429, headers={"Retry-After": "1"})

    def server_error_response(self) -> web.Response:
        body = {
            "code": "internal_server_error",
            "message": "There has been a critical error on this website.",
            "data": {"status": 500},
        }
        return web.json_response(body, status=500)
