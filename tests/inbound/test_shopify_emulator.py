"""Inbound against the Shopify emulator: it signs and POSTs real webhooks to the hub's endpoint
(served by uvicorn on loopback); the inbox is processed with the real Shopify connector; a poll
over GraphQL then finds the same orders and applies nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from stockbridge.domain.clock import FrozenClock
from stockbridge.sandbox.server import EmulatorServer
from stockbridge.sandbox.shopify import DEFAULT_SECRET, DEFAULT_TOKEN, ShopifyEmulator
from stockbridge.sandbox.shopify.storefront import seed
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    LocationSpec,
    define_channel,
    define_listing,
    define_location,
)
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.connections import ConnectionSpec, load_connection_config, register_connection
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.verify import verify_balances
from stockbridge.store.schema import inventory_events
from stockbridge.sync.inbound_bindings import record_of
from stockbridge.sync.inbound_shopify import shopify_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from stockbridge.sync.pollers import poll_orders
from tests.inbound.helpers import balance
from tests.inbound.serving import serving

pytestmark = pytest.mark.anyio
SHOP, CHANNEL = "shop-1", "shopify-main"
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "fulfillments/create",
    "refunds/create",
    "inventory_levels/update",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


SHOP_DOMAIN = "stockbridge-sandbox.myshopify.com"
SEED: dict[str, Any] = {
    "locations": ["Shop location", "Warehouse"],
    "products": [
        {"title": "Tee", "variants": [{"sku": "TEE-S", "available": {"Shop location": 5, "Warehouse": 2}}]},
        {"title": "Mug", "variants": [{"sku": "MUG", "available": {"Shop location": 9}}]},
    ],
}


@dataclass
class Shop:
    """The emulated shop on loopback, with the storefront and admin calls a shopper and a
    merchant would make (each emits the webhooks Shopify would)."""

    emulator: ShopifyEmulator
    base_url: str
    seeded: dict[str, Any]
    session: aiohttp.ClientSession

    def location(self, name: str) -> str:
        return next(
            str(loc["admin_graphql_api_id"]) for loc in self.seeded["locations"] if loc["name"] == name
        )

    async def admin(self, path: str, body: Any) -> Any:
        async with self.session.post(f"{self.base_url}{path}", json=body) as response:
            assert response.status in (200, 201), await response.text()
            return await response.json()

    async def sell(self, sku: str, location: str, units: int) -> Any:
        line = {"sku": sku, "quantity": units}
        return await self.admin("/_emulator/storefront/orders", {"lines": [line], "location_id": location})


@asynccontextmanager
async def running_shop() -> AsyncIterator[Shop]:
    emulator = ShopifyEmulator(clock=FrozenClock(), shop_domain=SHOP_DOMAIN)
    seeded = seed(emulator.store, SEED)
    async with EmulatorServer(emulator) as server, aiohttp.ClientSession() as session:
        yield Shop(emulator, server.base_url, seeded, session)
        await emulator.webhooks.close()


def _hub(ctx: HubContext, shop: Shop) -> None:
    shop_location = shop.location("Shop location")
    define_location(ctx, LocationSpec("WH1", "Main", external_codes={SHOP: shop_location}))
    define_channel(ctx, ChannelSpec(CHANNEL, "Shopify", "shopify", locations=("WH1",)))
    for code in ("TEE-S", "MUG"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
    secrets = {"access_token": DEFAULT_TOKEN, "api_secret": DEFAULT_SECRET}
    register_connection(
        ctx, ConnectionSpec(SHOP, "shopify", CHANNEL, shop.base_url, {"shop_domain": SHOP_DOMAIN}, secrets)
    )
    receipt = {"type": "receipt", "sku": "TEE-S", "location": "WH1", "quantity": 7, "idempotency_key": "r1"}
    assert ingest_events(ctx, [receipt]).summary()["applied"] == 1


def settle(ctx: HubContext) -> None:
    """Process until nothing is pending: concurrent deliveries may reach the inbox out of order
    (a fulfilment before its order), and such a row waits one pass for the order."""
    for _ in range(3):
        report = process_inbox(ctx, shopify_inbound)
        assert report.counts.get("failed", 0) == 0, list_inbox(ctx)
        if "pending" not in report.counts:
            return
    raise AssertionError(f"still pending: {list_inbox(ctx, status='pending')}")


def _event_types(ctx: HubContext) -> list[str]:
    import sqlalchemy as sa

    e = inventory_events.c
    with ctx.read() as conn:
        return list(conn.scalars(sa.select(e.type).where(e.source == f"shopify:{SHOP}").order_by(e.id)))


async def test_webhooks_from_the_emulator_apply_once_and_a_poll_adds_nothing(ctx: HubContext) -> None:
    async with running_shop() as shop, serving(ctx, shopify_inbound) as hub_url:
        _hub(ctx, shop)
        for topic in TOPICS:
            shop.emulator.webhooks.subscribe(topic, f"{hub_url}/webhooks/shopify/{SHOP}")
        order = await shop.sell("TEE-S", shop.location("Shop location"), 3)
        await shop.admin(f"/_emulator/orders/{order['id']}/fulfill", {})
        await shop.admin(
            f"/_emulator/orders/{order['id']}/refund", {"lines": {str(order["line_items"][0]["id"]): 1}}
        )
        await shop.emulator.webhooks.drain()
        assert {r.status for r in shop.emulator.webhooks.log} == {200}

        source = shopify_inbound
        settle(ctx)
        tee = balance(ctx, "TEE-S", "WH1")
        assert (tee.on_hand, tee.committed) == (7 - 3 + 1, 0)  # sold 3, shipped 3, 1 returned
        assert sorted(_event_types(ctx)) == ["fulfil", "return", "sale"]  # deliveries race: any order

        config = load_connection_config(ctx, SHOP)
        connector = source(config)
        try:
            polled = await poll_orders(ctx, record_of(config, ctx.tenant_id), connector, settle=None)
        finally:
            await connector.aclose()
        # Listed, and known at that version from its webhooks: not read whole, nothing stored.
        assert (polled.fetched, polled.known, polled.read_whole, polled.stored) == (1, 1, 0, 0)
        assert process_inbox(ctx, source).counts == {}
        assert sorted(_event_types(ctx)) == ["fulfil", "return", "sale"]  # deliveries race: any order
        assert verify_balances(ctx) == []


async def test_a_cancelled_order_is_released_and_a_forged_delivery_is_refused(ctx: HubContext) -> None:
    async with running_shop() as shop, serving(ctx, shopify_inbound) as hub_url:
        _hub(ctx, shop)
        url = f"{hub_url}/webhooks/shopify/{SHOP}"
        for topic in TOPICS:
            shop.emulator.webhooks.subscribe(topic, url)
        shop.emulator.webhooks.subscribe("orders/create", url, secret="not-the-app-secret")
        order = await shop.sell("TEE-S", shop.location("Shop location"), 2)
        await shop.admin(f"/_emulator/orders/{order['id']}/cancel", {})
        await shop.emulator.webhooks.drain()
        statuses = sorted(r.status or 0 for r in shop.emulator.webhooks.log)
        assert statuses.count(401) == 1 and set(statuses) == {200, 401}
        settle(ctx)
        tee = balance(ctx, "TEE-S", "WH1")
        assert (tee.on_hand, tee.committed, tee.available) == (7, 0, 7)
        assert _event_types(ctx) == ["sale", "sale_cancelled"]
