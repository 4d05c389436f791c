"""WooCommerce orders seen only by polling (`modified_after`) give the events their webhooks give:
completed (shipped), marked refunded after shipping (WooCommerce restocks nothing: nothing comes
back), refunded with restock before shipping (its units released), cancelled after payment
(released), unpaid (nothing); same idempotency keys, same balances, on SQLite and PostgreSQL.

The emulator's `order.*` webhooks are recorded as it emits them; one run delivers them all (signed
like WooCommerce's) and never polls, the other loses them all and polls once at the end."""

from __future__ import annotations

from typing import Any

import pytest

from stockbridge.services.context import HubContext
from stockbridge.services.verify import verify_balances
from stockbridge.sync.inbound_woocommerce import woo_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from tests.inbound.helpers import (
    WOO_CONNECTION,
    balance,
    deliver_woo,
    poll_woo,
    running_woo_site,
    source_events,
    woo_hub,
)

pytestmark = pytest.mark.anyio


def _events(ctx: HubContext) -> set[tuple[str, str]]:
    found = source_events(ctx, f"woocommerce:{WOO_CONNECTION}")
    assert len(found) == len(set(found))
    return set(found)


@pytest.mark.parametrize("seen_by", ["webhooks", "poll"])
async def test_completed_refunded_and_cancelled_orders_give_the_same_events_by_poll_as_by_webhook(
    ctx: HubContext, seen_by: str
) -> None:
    async with running_woo_site() as site:
        woo_hub(ctx, site.base_url)
        store = site.emulator.store
        tee, mug = site.product_id("TEE"), site.product_id("MUG")
        shipped = store.place_order([(tee, 0, 2)], "a@example.com", "processing")
        store.update_order(shipped, {"status": "completed"})
        returned = store.place_order([(tee, 0, 1)], "b@example.com", "completed")
        store.update_order(returned, {"status": "refunded"})
        refunded = store.place_order([(mug, 0, 1)], "c@example.com", "processing")
        store.refund_order(refunded, None, [(refunded.line_items[0].id, 1)], restock=True)
        cancelled = store.place_order([(mug, 0, 2)], "d@example.com", "processing")
        store.update_order(cancelled, {"status": "cancelled"})
        unpaid = store.place_order([(mug, 0, 3)], "e@example.com", "pending")
        store.update_order(unpaid, {"status": "cancelled"})
        assert refunded.status == "refunded"

        if seen_by == "webhooks":
            deliver_woo(ctx, site.emitted)
        else:
            polled = await poll_woo(ctx)
            assert (polled.fetched, polled.stored) == (5, 5)
        for _ in range(2):
            counts = process_inbox(ctx, woo_inbound).counts
            assert set(counts) <= {"done"}, list_inbox(ctx)

        def key(order: Any, fact: str) -> str:
            return f"woocommerce:{WOO_CONNECTION}:order:{order.id}:{fact}"

        assert _events(ctx) == {
            ("sale", key(shipped, "sale")),
            ("fulfil", key(shipped, "fulfilment:completed")),
            ("sale", key(returned, "sale")),
            ("fulfil", key(returned, "fulfilment:completed")),
            ("sale", key(refunded, "sale")),
            ("sale_cancelled", key(refunded, f"restock:{refunded.line_items[0].id}:1")),
            ("sale", key(cancelled, "sale")),
            ("sale_cancelled", key(cancelled, "cancel")),
        }
        tee_now, mug_now = balance(ctx, "TEE", "WH1"), balance(ctx, "MUG", "WH1")
        assert (tee_now.on_hand, tee_now.committed) == (8 - 3, 0)  # 2 shipped; 1 shipped, refunded, kept
        assert (mug_now.on_hand, mug_now.committed) == (8, 0)  # released, released, never held
        assert verify_balances(ctx) == []
        assert site.emulator.store.products[tee].stock_quantity == 10 - 3  # the site agrees
        assert site.emulator.store.products[mug].stock_quantity == 5
