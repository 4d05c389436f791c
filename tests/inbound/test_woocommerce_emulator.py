"""Inbound against the WooCommerce emulator: its signed `order.*` webhooks reach the endpoint over
loopback, are processed with the real WooCommerce connector, and a poll of the same orders over
REST (OAuth 1.0a) applies nothing twice."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import sqlalchemy as sa

from stockbridge.domain.clock import SystemClock
from stockbridge.sandbox.server import EmulatorServer
from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET, WooCommerceEmulator
from stockbridge.sandbox.woocommerce.storefront import seed
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
from stockbridge.sync.inbound_woocommerce import woo_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from stockbridge.sync.pollers import poll_orders
from tests.inbound.helpers import balance
from tests.inbound.serving import serving

pytestmark = pytest.mark.anyio
CONNECTION, CHANNEL, WEBHOOK_SECRET = "woo-1", "woo-shop", "woo-webhook-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def running_site() -> AsyncIterator[tuple[WooCommerceEmulator, str]]:
    emulator = WooCommerceEmulator(clock=SystemClock())  # OAuth 1.0a checks timestamps against now
    seed(
        emulator.store,
        {
            "products": [
                {"name": "Tee", "sku": "TEE", "stock_quantity": 10},
                {"name": "Mug", "sku": "MUG", "stock_quantity": 5},
            ]
        },
    )
    async with EmulatorServer(emulator) as server:
        yield emulator, server.base_url
        await emulator.webhooks.close()


def _hub(ctx: HubContext, base_url: str) -> None:
    define_location(ctx, LocationSpec("WH1", "Main"))
    define_channel(ctx, ChannelSpec(CHANNEL, "Woo", "woocommerce", locations=("WH1",)))
    for code in ("TEE", "MUG"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
    secrets = {
        "consumer_key": DEFAULT_KEY,
        "consumer_secret": DEFAULT_SECRET,
        "webhook_secret": WEBHOOK_SECRET,
    }
    register_connection(ctx, ConnectionSpec(CONNECTION, "woocommerce", CHANNEL, base_url, {}, secrets))
    receipts = [
        {"type": "receipt", "sku": s, "location": "WH1", "quantity": 8, "idempotency_key": f"r-{s}"}
        for s in ("TEE", "MUG")
    ]
    assert ingest_events(ctx, receipts).summary()["applied"] == 2


def _events(ctx: HubContext) -> list[tuple[str, str]]:
    e = inventory_events.c
    with ctx.read() as conn:
        rows = conn.execute(
            sa.select(e.type, e.reference).where(e.source == f"woocommerce:{CONNECTION}").order_by(e.id)
        )
        return [(r.type, r.reference) for r in rows]


def _product_id(emulator: WooCommerceEmulator, sku: str) -> int:
    return next(p.id for p in emulator.store.products.values() if p.sku == sku)


async def test_woocommerce_orders_by_webhook_and_poll_apply_once(ctx: HubContext) -> None:
    async with running_site() as (site, base_url), serving(ctx, woo_inbound) as hub_url:
        _hub(ctx, base_url)
        for topic in ("order.created", "order.updated"):
            site.webhooks.subscribe(topic, f"{hub_url}/webhooks/woocommerce/{CONNECTION}", WEBHOOK_SECRET)
        store = site.store
        shipped = store.place_order([(_product_id(site, "TEE"), 0, 2)], "a@example.com", "processing")
        store.update_order(shipped, {"status": "completed"})
        cancelled = store.place_order([(_product_id(site, "MUG"), 0, 1)], "b@example.com", "processing")
        store.update_order(cancelled, {"status": "cancelled"})
        store.place_order([(_product_id(site, "MUG"), 0, 3)], "c@example.com", "pending")  # unpaid
        await site.webhooks.drain()
        assert {r.status for r in site.webhooks.log} == {200}

        for _ in range(2):  # deliveries race; a late-arriving order waits one pass at most
            report = process_inbox(ctx, woo_inbound)
            assert report.counts.get("failed", 0) == 0, list_inbox(ctx)
        tee, mug = balance(ctx, "TEE", "WH1"), balance(ctx, "MUG", "WH1")
        assert (tee.on_hand, tee.committed, mug.on_hand, mug.committed) == (6, 0, 8, 0)
        before = _events(ctx)
        assert sorted(t for t, _ in before) == ["fulfil", "sale", "sale", "sale_cancelled"]

        config = load_connection_config(ctx, CONNECTION)
        connector = woo_inbound(config)
        try:
            polled = await poll_orders(ctx, record_of(config, ctx.tenant_id), connector)
        finally:
            await connector.aclose()
        assert polled.fetched == 3
        counts = process_inbox(ctx, woo_inbound).counts
        assert counts.get("failed", 0) == 0 and _events(ctx) == before
        assert verify_balances(ctx) == []
