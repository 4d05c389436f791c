"""Polling is the safety net of Shopify webhooks for fulfilments and refunds too: the orders poll
reads each order with its fulfilments and refunds, and adding one moves the order's `updated_at`,
so a poll finds what a lost `fulfillments/create` or `refunds/create` would have said. A fulfilment
or refund seen both by webhook and by poll, in either order, moves the balance once: both paths
name it by the same GIDs, hence the same idempotency keys. On SQLite and PostgreSQL.

The emulator's webhooks are recorded as it emits them and delivered into the inbox by hand (signed
like Shopify's), so a test chooses which are lost and which arrive late or out of order."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from stockbridge.domain.clock import FrozenClock
from stockbridge.sandbox.server import EmulatorServer
from stockbridge.sandbox.shopify import DEFAULT_SECRET, DEFAULT_TOKEN, ShopifyEmulator, shopify_hmac
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
from stockbridge.sync.inbox import accept_delivery, list_inbox, process_inbox
from stockbridge.sync.pollers import PollReport, poll_orders
from tests.inbound.helpers import balance

pytestmark = pytest.mark.anyio
SHOP, CHANNEL, SHOP_DOMAIN = "shop-1", "shopify-main", "stockbridge-sandbox.myshopify.com"
SEED: dict[str, Any] = {
    "locations": ["Shop location"],
    "products": [
        {"title": "Tee", "variants": [{"sku": "TEE-S", "available": {"Shop location": 7}}]},
        {"title": "Mug", "variants": [{"sku": "MUG", "available": {"Shop location": 4}}]},
    ],
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Shop:
    emulator: ShopifyEmulator
    base_url: str
    seeded: dict[str, Any]
    session: aiohttp.ClientSession
    emitted: list[tuple[str, dict[str, Any], str]] = field(default_factory=list)

    def location(self) -> str:
        return str(self.seeded["locations"][0]["admin_graphql_api_id"])

    async def admin(self, path: str, body: Any) -> Any:
        async with self.session.post(f"{self.base_url}{path}", json=body) as response:
            assert response.status in (200, 201), await response.text()
            return await response.json()

    async def sell(self, sku: str, units: int) -> Any:
        lines = [{"sku": sku, "quantity": units}]
        return await self.admin(
            "/_emulator/storefront/orders", {"lines": lines, "location_id": self.location()}
        )

    def later(self, seconds: int = 30) -> None:
        assert isinstance(self.emulator.clock, FrozenClock)
        self.emulator.clock.advance(seconds)

    def webhooks(self, *topics: str) -> list[tuple[str, dict[str, Any], str]]:
        return [w for w in self.emitted if w[0] in topics]


@asynccontextmanager
async def running_shop() -> AsyncIterator[Shop]:
    emulator = ShopifyEmulator(clock=FrozenClock(), shop_domain=SHOP_DOMAIN)
    seeded = seed(emulator.store, SEED)
    async with EmulatorServer(emulator) as server, aiohttp.ClientSession() as session:
        shop = Shop(emulator, server.base_url, seeded, session)
        emitted = emulator.store.sink

        def record(topic: str, payload: dict[str, Any], event_id: str) -> None:
            shop.emitted.append((topic, payload, event_id))
            emitted(topic, payload, event_id)

        emulator.store.sink = record  # nobody subscribes: every webhook is lost unless delivered here
        yield shop
        await emulator.webhooks.close()


def _hub(ctx: HubContext, shop: Shop) -> None:
    define_location(ctx, LocationSpec("WH1", "Main", external_codes={SHOP: shop.location()}))
    define_channel(ctx, ChannelSpec(CHANNEL, "Shopify", "shopify", locations=("WH1",)))
    for code in ("TEE-S", "MUG"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
    secrets = {"access_token": DEFAULT_TOKEN, "api_secret": DEFAULT_SECRET}
    register_connection(
        ctx, ConnectionSpec(SHOP, "shopify", CHANNEL, shop.base_url, {"shop_domain": SHOP_DOMAIN}, secrets)
    )
    receipts = [
        {"type": "receipt", "sku": sku, "location": "WH1", "quantity": q, "idempotency_key": f"r-{sku}"}
        for sku, q in (("TEE-S", 7), ("MUG", 4))
    ]
    assert ingest_events(ctx, receipts).summary()["applied"] == 2


def deliver(ctx: HubContext, webhooks: list[tuple[str, dict[str, Any], str]]) -> None:
    """What the endpoint does with each delivery: verify, parse, store (the real Shopify adapter)."""
    config = load_connection_config(ctx, SHOP)
    inbound, record = shopify_inbound(config), record_of(config, ctx.tenant_id)
    for topic, payload, event_id in webhooks:
        body = json.dumps(payload).encode()
        headers = {
            "x-shopify-topic": topic,
            "x-shopify-hmac-sha256": shopify_hmac(DEFAULT_SECRET, body),
            "x-shopify-event-id": event_id,
            "x-shopify-webhook-id": f"wh-{event_id}",
        }
        accept_delivery(ctx, record, inbound.parse_webhook(headers, body), headers, body)


async def poll(ctx: HubContext) -> PollReport:
    config = load_connection_config(ctx, SHOP)
    connector = shopify_inbound(config)
    try:
        return await poll_orders(ctx, record_of(config, ctx.tenant_id), connector, settle=None)
    finally:
        await connector.aclose()


def process(ctx: HubContext) -> dict[str, int]:
    counts = process_inbox(ctx, shopify_inbound).counts
    assert set(counts) <= {"done"}, list_inbox(ctx)
    return counts


def keys(ctx: HubContext) -> list[tuple[str, str]]:
    """(type, idempotency key) of every event of the connection, in the order recorded."""
    e = inventory_events.c
    with ctx.read() as conn:
        rows = conn.execute(
            sa.select(e.type, e.idempotency_key).where(e.source == f"shopify:{SHOP}").order_by(e.id)
        )
        return [(r.type, r.idempotency_key) for r in rows]


async def test_fulfilments_and_refunds_whose_webhooks_were_lost_are_caught_by_polling(
    ctx: HubContext,
) -> None:
    async with running_shop() as shop:
        _hub(ctx, shop)
        tee, mug = await shop.sell("TEE-S", 3), await shop.sell("MUG", 2)
        assert (await poll(ctx)).stored == 2
        assert process(ctx) == {"done": 2}
        assert [t for t, _ in keys(ctx)] == ["sale", "sale"]

        shop.later()
        await shop.admin(f"/_emulator/orders/{tee['id']}/fulfill", {})
        shop.later()
        await shop.admin(
            f"/_emulator/orders/{tee['id']}/refund", {"lines": {str(tee["line_items"][0]["id"]): 1}}
        )
        await shop.admin(
            f"/_emulator/orders/{mug['id']}/refund", {"lines": {str(mug["line_items"][0]["id"]): 1}}
        )
        second = await poll(ctx)  # the cursor is past both orders' sales: they come back by updated_at
        assert (second.fetched, second.stored) == (2, 2)
        assert process(ctx) == {"done": 2}

        assert sorted(t for t, _ in keys(ctx)) == ["fulfil", "return", "sale", "sale", "sale_cancelled"]
        shipped = balance(ctx, "TEE-S", "WH1")
        assert (shipped.on_hand, shipped.committed, shipped.available) == (7 - 3 + 1, 0, 5)
        released = balance(ctx, "MUG", "WH1")  # 1 of 2 refunded before shipping: released
        assert (released.on_hand, released.committed, released.available) == (4, 1, 3)

        assert (await poll(ctx)).stored == 0  # nothing changed since: the overlap stores nothing new
        assert verify_balances(ctx) == []


@pytest.mark.parametrize("first", ["webhooks", "poll"])
async def test_a_fulfilment_and_refunds_seen_by_webhook_and_by_poll_move_the_balance_once(
    ctx: HubContext, first: str
) -> None:
    async with running_shop() as shop:
        _hub(ctx, shop)
        order = await shop.sell("TEE-S", 3)
        line = str(order["line_items"][0]["id"])
        shop.later()
        cancel = await shop.admin(
            f"/_emulator/orders/{order['id']}/refund", {"lines": {line: 1}}
        )  # unshipped
        shop.later()
        shipped = await shop.admin(f"/_emulator/orders/{order['id']}/fulfill", {})
        shop.later()
        back = await shop.admin(f"/_emulator/orders/{order['id']}/refund", {"lines": {line: 1}})  # returned

        prefix = f"shopify:{SHOP}:order:{order['admin_graphql_api_id']}:"
        expected = {
            ("sale", prefix + "sale"),
            ("sale_cancelled", prefix + f"release:{cancel['admin_graphql_api_id']}"),
            ("fulfil", prefix + f"fulfilment:{shipped['admin_graphql_api_id']}"),
            ("return", prefix + f"return:{back['admin_graphql_api_id']}"),
        }
        # The movements' own webhooks, late and out of order, without the order payloads.
        movements = shop.webhooks("orders/create", "fulfillments/create", "refunds/create")[::-1]
        everything = shop.webhooks("orders/create", "orders/updated", "fulfillments/create", "refunds/create")
        if first == "webhooks":
            deliver(ctx, movements)
            for _ in range(2):  # a movement before its order waits one pass
                process_inbox(ctx, shopify_inbound)
            assert set(keys(ctx)) == expected
            assert (await poll(ctx)).stored == 1
        else:
            assert (await poll(ctx)).stored == 1
            assert process(ctx) == {"done": 1}
            assert set(keys(ctx)) == expected
            deliver(ctx, everything)
        process(ctx)
        assert list_inbox(ctx, status="pending") == []

        assert sorted(keys(ctx)) == sorted(expected)  # each once
        tee = balance(ctx, "TEE-S", "WH1")
        assert (tee.on_hand, tee.committed, tee.available) == (7 - 2 + 1, 0, 6)
        assert verify_balances(ctx) == []
