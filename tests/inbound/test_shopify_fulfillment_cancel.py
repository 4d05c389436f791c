"""A fulfilment the hub applied (its units shipped out of on hand) and then cancelled on Shopify
(`fulfillmentCancel`) brings its units back: on hand again, committed again to the order, once.
Shopify says so with `fulfillments/update` (status `cancelled`), with `orders/updated` (the order
listing the fulfilment as cancelled), and to a poll (the order's `updatedAt` moves); the hub
undoes the shipment's own ledger movements under one key, whichever of these it sees, however often
and in whatever order (a cancellation seen before its fulfilment marks it spent). On SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from stockbridge.sandbox.shopify import DEFAULT_TOKEN
from stockbridge.services.context import HubContext
from stockbridge.services.verify import verify_balances
from stockbridge.sync.inbound_shopify import shopify_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from tests.inbound.helpers import (
    SHOP,
    Shop,
    balance,
    deliver_shopify,
    poll_shopify,
    running_shop,
    shopify_hub,
    source_events,
)
from tests.inbound.serving import serving

pytestmark = pytest.mark.anyio
SEED: dict[str, Any] = {
    "locations": ["Shop location"],
    "products": [{"title": "Tee", "variants": [{"sku": "TEE-S", "available": {"Shop location": 7}}]}],
}
CANCEL = """
mutation StockbridgeTestCancel($id: ID!) {
  fulfillmentCancel(id: $id) { fulfillment { id status } userErrors { field message } }
}
"""
TOPICS = ("orders/create", "orders/updated", "fulfillments/create", "fulfillments/update")


async def _cancel(shop: Shop, fulfilment_gid: str) -> None:
    """The merchant (or an app) cancels the fulfilment over Admin GraphQL."""
    shop.later()
    async with shop.session.post(
        f"{shop.base_url}/admin/api/2026-04/graphql.json",
        json={"query": CANCEL, "variables": {"id": fulfilment_gid}},
        headers={"X-Shopify-Access-Token": DEFAULT_TOKEN},
    ) as response:
        body = await response.json()
    payload = body["data"]["fulfillmentCancel"]
    assert payload["userErrors"] == [] and payload["fulfillment"]["status"] == "CANCELLED", body


def _process(ctx: HubContext) -> None:
    """Process until nothing waits: a fulfilment message before its order waits one pass."""
    for _ in range(3):
        counts = process_inbox(ctx, shopify_inbound).counts
        assert set(counts) <= {"done", "pending"}, list_inbox(ctx)
        if "pending" not in counts:
            return
    raise AssertionError(list_inbox(ctx, status="pending"))


def _tee(ctx: HubContext) -> tuple[int, int, int]:
    tee = balance(ctx, "TEE-S", "WH1")
    return tee.on_hand, tee.committed, tee.available


def _events(ctx: HubContext) -> list[tuple[str, str]]:
    return source_events(ctx, f"shopify:{SHOP}")


async def test_signed_webhooks_reverse_the_shipment_once_despite_duplicates_and_a_later_poll(
    ctx: HubContext,
) -> None:
    async with running_shop(SEED) as shop, serving(ctx, shopify_inbound) as hub_url:
        shopify_hub(ctx, shop, {"TEE-S": 7})
        for topic in TOPICS:
            shop.emulator.webhooks.subscribe(topic, f"{hub_url}/webhooks/shopify/{SHOP}")
        shop.emulator.faults.settings.webhook_duplicate_rate = 1.0  # every event delivered twice
        order = await shop.sell("TEE-S", 3)
        shop.later()
        fulfilment = await shop.admin(f"/_emulator/orders/{order['id']}/fulfill", {})
        await shop.emulator.webhooks.drain()
        _process(ctx)
        assert _tee(ctx) == (7 - 3, 0, 4)  # shipped

        await _cancel(shop, fulfilment["admin_graphql_api_id"])
        await shop.emulator.webhooks.drain()
        assert {r.status for r in shop.emulator.webhooks.log} == {200}
        updates = [r for r in shop.emulator.webhooks.log if r.topic == "fulfillments/update"]
        assert len(updates) == 2  # the duplicate: same event id, another webhook id
        _process(ctx)
        assert _tee(ctx) == (7, 3, 4)  # back on hand, committed again; available unchanged

        prefix = f"shopify:{SHOP}:order:{order['admin_graphql_api_id']}:"
        shipped = prefix + f"fulfilment:{fulfilment['admin_graphql_api_id']}"
        undone = prefix + f"fulfilment_cancelled:{fulfilment['admin_graphql_api_id']}"
        assert _events(ctx) == [("sale", prefix + "sale"), ("fulfil", shipped), ("fulfil", undone)]

        # Shopify redelivers the event later (a retry: same event id), and sends it anew.
        [(_, payload, event_id)] = shop.webhooks("fulfillments/update")
        deliver_shopify(ctx, [("fulfillments/update", payload, event_id)])
        deliver_shopify(ctx, [("fulfillments/update", payload, "another-event")])
        _process(ctx)
        polled = await poll_shopify(ctx)  # the order's newest version is known from its webhook
        assert polled.stored == 0
        _process(ctx)
        assert _tee(ctx) == (7, 3, 4)
        assert len(_events(ctx)) == 3
        assert verify_balances(ctx) == []


async def test_a_cancellation_whose_webhooks_were_lost_is_caught_by_polling(ctx: HubContext) -> None:
    async with running_shop(SEED) as shop:  # nobody subscribes: webhooks arrive only if delivered here
        shopify_hub(ctx, shop, {"TEE-S": 7})
        order = await shop.sell("TEE-S", 3)
        shop.later()
        fulfilment = await shop.admin(f"/_emulator/orders/{order['id']}/fulfill", {})
        deliver_shopify(ctx, shop.webhooks("orders/create", "fulfillments/create"))
        _process(ctx)
        assert _tee(ctx) == (4, 0, 4)

        await _cancel(shop, fulfilment["admin_graphql_api_id"])  # its webhooks are lost
        polled = await poll_shopify(ctx)
        assert (polled.read_whole, polled.stored) == (1, 1)
        _process(ctx)
        assert _tee(ctx) == (7, 3, 4)

        assert (await poll_shopify(ctx)).stored == 0  # nothing new since
        deliver_shopify(ctx, shop.webhooks("fulfillments/update", "orders/updated"))  # late after all
        _process(ctx)
        assert _tee(ctx) == (7, 3, 4)

        shop.later()
        again = await shop.admin(f"/_emulator/orders/{order['id']}/fulfill", {})  # shipped anew
        assert (await poll_shopify(ctx)).stored == 1
        _process(ctx)
        assert _tee(ctx) == (4, 0, 4)
        prefix = f"shopify:{SHOP}:order:{order['admin_graphql_api_id']}:"
        assert _events(ctx) == [
            ("sale", prefix + "sale"),
            ("fulfil", prefix + f"fulfilment:{fulfilment['admin_graphql_api_id']}"),
            ("fulfil", prefix + f"fulfilment_cancelled:{fulfilment['admin_graphql_api_id']}"),
            ("fulfil", prefix + f"fulfilment:{again['admin_graphql_api_id']}"),
        ]
        assert verify_balances(ctx) == []


@pytest.mark.parametrize("late", ["fulfillments/create", "orders/updated"])
async def test_a_cancellation_seen_before_its_fulfilment_moves_nothing_and_spends_it(
    ctx: HubContext, late: str
) -> None:
    """The hub never applied the shipment: undoing it moves nothing, and the shipment's own
    message, arriving late (still `success`), ships nothing."""
    async with running_shop(SEED) as shop:
        shopify_hub(ctx, shop, {"TEE-S": 7})
        order = await shop.sell("TEE-S", 3)
        shop.later()
        fulfilment = await shop.admin(f"/_emulator/orders/{order['id']}/fulfill", {})
        shipped_news = shop.webhooks(late)[-1]  # the order shipped, as this topic said it then
        await _cancel(shop, fulfilment["admin_graphql_api_id"])
        deliver_shopify(ctx, shop.webhooks("orders/create", "fulfillments/update"))
        _process(ctx)
        assert _tee(ctx) == (7, 3, 4)

        deliver_shopify(ctx, [shipped_news])
        _process(ctx)
        assert _tee(ctx) == (7, 3, 4)
        assert [t for t, _ in _events(ctx)] == ["sale", "fulfil"]  # the cancellation, moving nothing
        assert (await poll_shopify(ctx)).stored == 1  # the order as it is now: nothing new in it
        _process(ctx)
        assert _tee(ctx) == (7, 3, 4)
        assert len(_events(ctx)) == 2
        assert verify_balances(ctx) == []
