"""Inbound against the Shopify emulator: it signs and POSTs real webhooks to the hub's endpoint
(served by uvicorn on loopback); the inbox is processed with the real Shopify connector; a poll
over GraphQL then finds the same orders and applies nothing twice."""

from __future__ import annotations

from typing import Any

import pytest

from stockbridge.services.context import HubContext
from stockbridge.services.verify import verify_balances
from stockbridge.sync.inbound_shopify import shopify_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from tests.inbound.helpers import (
    SHOP,
    balance,
    poll_shopify,
    running_shop,
    shopify_hub,
    source_events,
)
from tests.inbound.serving import serving

pytestmark = pytest.mark.anyio
TOPICS = (
    "orders/create",
    "orders/updated",
    "orders/cancelled",
    "fulfillments/create",
    "refunds/create",
    "inventory_levels/update",
)
SEED: dict[str, Any] = {
    "locations": ["Shop location", "Warehouse"],
    "products": [
        {"title": "Tee", "variants": [{"sku": "TEE-S", "available": {"Shop location": 5, "Warehouse": 2}}]},
        {"title": "Mug", "variants": [{"sku": "MUG", "available": {"Shop location": 9}}]},
    ],
}


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
    return [t for t, _ in source_events(ctx, f"shopify:{SHOP}")]


async def test_webhooks_from_the_emulator_apply_once_and_a_poll_adds_nothing(ctx: HubContext) -> None:
    async with running_shop(SEED) as shop, serving(ctx, shopify_inbound) as hub_url:
        shopify_hub(ctx, shop, {"TEE-S": 7})
        for topic in TOPICS:
            shop.emulator.webhooks.subscribe(topic, f"{hub_url}/webhooks/shopify/{SHOP}")
        order = await shop.sell("TEE-S", 3, shop.location("Shop location"))
        await shop.admin(f"/_emulator/orders/{order['id']}/fulfill", {})
        await shop.admin(
            f"/_emulator/orders/{order['id']}/refund", {"lines": {str(order["line_items"][0]["id"]): 1}}
        )
        await shop.emulator.webhooks.drain()
        assert {r.status for r in shop.emulator.webhooks.log} == {200}

        settle(ctx)
        tee = balance(ctx, "TEE-S", "WH1")
        assert (tee.on_hand, tee.committed) == (7 - 3 + 1, 0)  # sold 3, shipped 3, 1 returned
        assert sorted(_event_types(ctx)) == ["fulfil", "return", "sale"]  # deliveries race: any order

        polled = await poll_shopify(ctx)
        # Listed, and known at that version from its webhooks: not read whole, nothing stored.
        assert (polled.fetched, polled.known, polled.read_whole, polled.stored) == (1, 1, 0, 0)
        assert process_inbox(ctx, shopify_inbound).counts == {}
        assert sorted(_event_types(ctx)) == ["fulfil", "return", "sale"]  # deliveries race: any order
        assert verify_balances(ctx) == []


async def test_a_cancelled_order_is_released_and_a_forged_delivery_is_refused(ctx: HubContext) -> None:
    async with running_shop(SEED) as shop, serving(ctx, shopify_inbound) as hub_url:
        shopify_hub(ctx, shop, {"TEE-S": 7})
        url = f"{hub_url}/webhooks/shopify/{SHOP}"
        for topic in TOPICS:
            shop.emulator.webhooks.subscribe(topic, url)
        shop.emulator.webhooks.subscribe("orders/create", url, secret="not-the-app-secret")
        order = await shop.sell("TEE-S", 2, shop.location("Shop location"))
        await shop.admin(f"/_emulator/orders/{order['id']}/cancel", {})
        await shop.emulator.webhooks.drain()
        statuses = sorted(r.status or 0 for r in shop.emulator.webhooks.log)
        assert statuses.count(401) == 1 and set(statuses) == {200, 401}
        settle(ctx)
        tee = balance(ctx, "TEE-S", "WH1")
        assert (tee.on_hand, tee.committed, tee.available) == (7, 0, 7)
        assert _event_types(ctx) == ["sale", "sale_cancelled"]
