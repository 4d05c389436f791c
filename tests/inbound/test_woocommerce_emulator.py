"""Inbound against the WooCommerce emulator: its signed `order.*` webhooks reach the endpoint over
loopback, are processed with the real WooCommerce connector, and a poll of the same orders over
REST (OAuth 1.0a) applies nothing twice."""

from __future__ import annotations

import pytest

from stockbridge.services.context import HubContext
from stockbridge.services.verify import verify_balances
from stockbridge.sync.inbound_woocommerce import woo_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from tests.inbound.helpers import (
    WOO_CONNECTION,
    WOO_WEBHOOK_SECRET,
    balance,
    poll_woo,
    running_woo_site,
    source_events,
    woo_hub,
)
from tests.inbound.serving import serving

pytestmark = pytest.mark.anyio
SOURCE = f"woocommerce:{WOO_CONNECTION}"


async def test_woocommerce_orders_by_webhook_and_poll_apply_once(ctx: HubContext) -> None:
    async with running_woo_site() as site, serving(ctx, woo_inbound) as hub_url:
        woo_hub(ctx, site.base_url)
        url = f"{hub_url}/webhooks/woocommerce/{WOO_CONNECTION}"
        for topic in ("order.created", "order.updated"):
            site.emulator.webhooks.subscribe(topic, url, WOO_WEBHOOK_SECRET)
        store = site.emulator.store
        shipped = store.place_order([(site.product_id("TEE"), 0, 2)], "a@example.com", "processing")
        store.update_order(shipped, {"status": "completed"})
        cancelled = store.place_order([(site.product_id("MUG"), 0, 1)], "b@example.com", "processing")
        store.update_order(cancelled, {"status": "cancelled"})
        store.place_order([(site.product_id("MUG"), 0, 3)], "c@example.com", "pending")  # unpaid
        await site.emulator.webhooks.drain()
        assert {r.status for r in site.emulator.webhooks.log} == {200}

        for _ in range(2):  # deliveries race; a late-arriving order waits one pass at most
            report = process_inbox(ctx, woo_inbound)
            assert report.counts.get("failed", 0) == 0, list_inbox(ctx)
        tee, mug = balance(ctx, "TEE", "WH1"), balance(ctx, "MUG", "WH1")
        assert (tee.on_hand, tee.committed, mug.on_hand, mug.committed) == (6, 0, 8, 0)
        before = source_events(ctx, SOURCE, "reference")
        assert sorted(t for t, _ in before) == ["fulfil", "sale", "sale", "sale_cancelled"]

        polled = await poll_woo(ctx)
        assert polled.fetched == 3
        counts = process_inbox(ctx, woo_inbound).counts
        assert counts.get("failed", 0) == 0 and source_events(ctx, SOURCE, "reference") == before
        assert verify_balances(ctx) == []
