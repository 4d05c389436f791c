"""Polling is the safety net of Shopify webhooks for fulfilments and refunds too: the orders poll
reads each order with its fulfilments and refunds, and adding one moves the order's `updated_at`,
so a poll finds what a lost `fulfillments/create` or `refunds/create` would have said. A fulfilment
or refund seen both by webhook and by poll, in either order, moves the balance once: both paths
name it by the same GIDs, hence the same idempotency keys. On SQLite and PostgreSQL.

The emulator's webhooks are recorded as it emits them and delivered into the inbox by hand (signed
like Shopify's), so a test chooses which are lost and which arrive late or out of order."""

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
    deliver_shopify,
    poll_shopify,
    running_shop,
    shopify_hub,
    source_events,
)

pytestmark = pytest.mark.anyio
SEED: dict[str, Any] = {
    "locations": ["Shop location"],
    "products": [
        {"title": "Tee", "variants": [{"sku": "TEE-S", "available": {"Shop location": 7}}]},
        {"title": "Mug", "variants": [{"sku": "MUG", "available": {"Shop location": 4}}]},
    ],
}
STOCK = {"TEE-S": 7, "MUG": 4}


def process(ctx: HubContext) -> dict[str, int]:
    counts = process_inbox(ctx, shopify_inbound).counts
    assert set(counts) <= {"done"}, list_inbox(ctx)
    return counts


def keys(ctx: HubContext) -> list[tuple[str, str]]:
    """(type, idempotency key) of every event of the connection, in the order recorded."""
    return source_events(ctx, f"shopify:{SHOP}")


async def test_fulfilments_and_refunds_whose_webhooks_were_lost_are_caught_by_polling(
    ctx: HubContext,
) -> None:
    async with running_shop(SEED) as shop:
        shopify_hub(ctx, shop, STOCK)
        tee, mug = await shop.sell("TEE-S", 3), await shop.sell("MUG", 2)
        assert (await poll_shopify(ctx)).stored == 2
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
        second = await poll_shopify(
            ctx
        )  # the cursor is past both orders' sales: they come back by updated_at
        assert (second.fetched, second.stored) == (2, 2)
        assert process(ctx) == {"done": 2}

        assert sorted(t for t, _ in keys(ctx)) == ["fulfil", "return", "sale", "sale", "sale_cancelled"]
        shipped = balance(ctx, "TEE-S", "WH1")
        assert (shipped.on_hand, shipped.committed, shipped.available) == (7 - 3 + 1, 0, 5)
        released = balance(ctx, "MUG", "WH1")  # 1 of 2 refunded before shipping: released
        assert (released.on_hand, released.committed, released.available) == (4, 1, 3)

        assert (await poll_shopify(ctx)).stored == 0  # nothing changed since: the overlap stores nothing new
        assert verify_balances(ctx) == []


@pytest.mark.parametrize("first", ["webhooks", "poll"])
async def test_a_fulfilment_and_refunds_seen_by_webhook_and_by_poll_move_the_balance_once(
    ctx: HubContext, first: str
) -> None:
    async with running_shop(SEED) as shop:
        shopify_hub(ctx, shop, STOCK)
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
            deliver_shopify(ctx, movements)
            for _ in range(2):  # a movement before its order waits one pass
                process_inbox(ctx, shopify_inbound)
            assert set(keys(ctx)) == expected
            assert (await poll_shopify(ctx)).stored == 1
        else:
            assert (await poll_shopify(ctx)).stored == 1
            assert process(ctx) == {"done": 1}
            assert set(keys(ctx)) == expected
            deliver_shopify(ctx, everything)
        process(ctx)
        assert list_inbox(ctx, status="pending") == []

        assert sorted(keys(ctx)) == sorted(expected)  # each once
        tee = balance(ctx, "TEE-S", "WH1")
        assert (tee.on_hand, tee.committed, tee.available) == (7 - 2 + 1, 0, 6)
        assert verify_balances(ctx) == []
