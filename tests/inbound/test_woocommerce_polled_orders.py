"""WooCommerce orders seen only by polling (`modified_after`) give the events their webhooks give:
completed (shipped), refunded after shipping (returned), refunded or cancelled before shipping
(released), unpaid (nothing); same idempotency keys, same balances, on SQLite and PostgreSQL.

The emulator's `order.*` webhooks are recorded as it emits them; one run delivers them all (signed
like WooCommerce's) and never polls, the other loses them all and polls once at the end."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from stockbridge.connectors.woocommerce.webhooks import signature
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
from stockbridge.sync.inbox import accept_delivery, list_inbox, process_inbox
from stockbridge.sync.pollers import poll_orders
from tests.inbound.helpers import balance

pytestmark = pytest.mark.anyio
CONNECTION, CHANNEL, WEBHOOK_SECRET = "woo-1", "woo-shop", "woo-webhook-secret"
Webhook = tuple[str, dict[str, Any], str]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@asynccontextmanager
async def running_site() -> AsyncIterator[tuple[WooCommerceEmulator, str, list[Webhook]]]:
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
    emitted: list[Webhook] = []
    emit = emulator.store.sink

    def record(topic: str, payload: dict[str, Any], event_id: str) -> None:
        emitted.append((topic, payload, event_id))
        emit(topic, payload, event_id)

    emulator.store.sink = record  # nobody subscribes: webhooks reach the hub only through `deliver`
    async with EmulatorServer(emulator) as server:
        yield emulator, server.base_url, emitted
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


def deliver(ctx: HubContext, webhooks: list[Webhook]) -> None:
    config = load_connection_config(ctx, CONNECTION)
    inbound, record = woo_inbound(config), record_of(config, ctx.tenant_id)
    for topic, payload, event_id in webhooks:
        body = json.dumps(payload).encode()
        headers = {
            "x-wc-webhook-topic": topic,
            "x-wc-webhook-signature": signature(WEBHOOK_SECRET, body),
            "x-wc-webhook-delivery-id": event_id,
        }
        accept_delivery(ctx, record, inbound.parse_webhook(headers, body), headers, body)


def _events(ctx: HubContext) -> set[tuple[str, str]]:
    e = inventory_events.c
    with ctx.read() as conn:
        rows = conn.execute(
            sa.select(e.type, e.idempotency_key).where(e.source == f"woocommerce:{CONNECTION}")
        )
        found = [(r.type, r.idempotency_key) for r in rows]
    assert len(found) == len(set(found))
    return set(found)


@pytest.mark.parametrize("seen_by", ["webhooks", "poll"])
async def test_completed_refunded_and_cancelled_orders_give_the_same_events_by_poll_as_by_webhook(
    ctx: HubContext, seen_by: str
) -> None:
    async with running_site() as (site, base_url, emitted):
        _hub(ctx, base_url)
        store = site.store
        tee, mug = (next(p.id for p in store.products.values() if p.sku == sku) for sku in ("TEE", "MUG"))
        shipped = store.place_order([(tee, 0, 2)], "a@example.com", "processing")
        store.update_order(shipped, {"status": "completed"})
        returned = store.place_order([(tee, 0, 1)], "b@example.com", "completed")
        store.update_order(returned, {"status": "refunded"})
        refunded = store.place_order([(mug, 0, 1)], "c@example.com", "processing")
        store.refund_order(refunded, None, [(refunded.line_items[0].id, 1)], restock=True)
        cancelled = store.place_order([(mug, 0, 2)], "d@example.com", "on-hold")
        store.update_order(cancelled, {"status": "cancelled"})
        unpaid = store.place_order([(mug, 0, 3)], "e@example.com", "pending")
        store.update_order(unpaid, {"status": "cancelled"})
        assert refunded.status == "refunded"

        if seen_by == "webhooks":
            deliver(ctx, emitted)
        else:
            config = load_connection_config(ctx, CONNECTION)
            connector = woo_inbound(config)
            try:
                polled = await poll_orders(ctx, record_of(config, ctx.tenant_id), connector)
            finally:
                await connector.aclose()
            assert (polled.fetched, polled.stored) == (5, 5)
        for _ in range(2):
            counts = process_inbox(ctx, woo_inbound).counts
            assert set(counts) <= {"done"}, list_inbox(ctx)

        def key(order: Any, fact: str) -> str:
            return f"woocommerce:{CONNECTION}:order:{order.id}:{fact}"

        assert _events(ctx) == {
            ("sale", key(shipped, "sale")),
            ("fulfil", key(shipped, "fulfilment:completed")),
            ("sale", key(returned, "sale")),
            ("fulfil", key(returned, "fulfilment:completed")),
            ("return", key(returned, "return:refunded")),
            ("sale", key(refunded, "sale")),
            ("sale_cancelled", key(refunded, "cancel")),
            ("sale", key(cancelled, "sale")),
            ("sale_cancelled", key(cancelled, "cancel")),
        }
        tee_now, mug_now = balance(ctx, "TEE", "WH1"), balance(ctx, "MUG", "WH1")
        assert (tee_now.on_hand, tee_now.committed) == (8 - 2, 0)  # 2 shipped; 1 shipped and returned
        assert (mug_now.on_hand, mug_now.committed) == (8, 0)  # released, released, never held
        assert verify_balances(ctx) == []
        assert site.store.products[tee].stock_quantity == 10 - 2  # the site agrees
        assert site.store.products[mug].stock_quantity == 5
