"""WooCommerce on-hold orders and refunds, seen by webhook or by poll, on SQLite and PostgreSQL.

An on-hold order holds stock unpaid (no `date_paid`): the hub commits it, and cancelling or failing
it releases exactly what it held; one cancelled before a poll saw it held moves nothing. A refund that
restocks gives its units back once (a `return` once the order shipped), however often the order is
delivered again; one without restock moves nothing. The site's clock is frozen near now and moved
between steps, so that each step is a newer `date_modified` for the poll's cursor."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from stockbridge.domain.clock import FrozenClock
from stockbridge.services.context import HubContext
from stockbridge.services.verify import verify_balances
from stockbridge.sync.inbound_woocommerce import woo_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from tests.inbound.helpers import (
    WOO_CONNECTION,
    WooSite,
    balance,
    deliver_woo,
    poll_woo,
    running_woo_site,
    source_events,
    woo_hub,
)

pytestmark = [pytest.mark.anyio, pytest.mark.parametrize("seen_by", ["webhooks", "poll"])]


class Hub:
    """The hub beside one site: `see` hands it what changed since the last look (the webhooks
    emitted meanwhile, or one poll), `again` redelivers each order under a new delivery id."""

    def __init__(self, ctx: HubContext, site: WooSite, seen_by: str) -> None:
        self.ctx, self.site, self.seen_by, self.delivered = ctx, site, seen_by, 0

    async def see(self) -> None:
        assert isinstance(self.site.emulator.store.clock, FrozenClock)
        self.site.emulator.store.clock.advance(5)
        if self.seen_by == "webhooks":
            deliver_woo(self.ctx, self.site.emitted[self.delivered :])
            self.delivered = len(self.site.emitted)
        else:
            await poll_woo(self.ctx)
        self.process()

    def again(self) -> None:
        """WooCommerce builds a payload when it sends it: a redelivery carries the current state."""
        latest = {p["id"]: (t, p, f"again-{e}") for t, p, e in self.site.emitted if t.startswith("order.")}
        deliver_woo(self.ctx, list(latest.values()))
        self.process()

    def process(self) -> None:
        for _ in range(2):
            counts = process_inbox(self.ctx, woo_inbound).counts
            assert set(counts) <= {"done"}, list_inbox(self.ctx)

    def events(self, order: Any) -> list[tuple[str, str]]:
        prefix = f"woocommerce:{WOO_CONNECTION}:order:{order.id}:"
        found = source_events(self.ctx, f"woocommerce:{WOO_CONNECTION}")
        return sorted((t, k.removeprefix(prefix)) for t, k in found if k.startswith(prefix))


def _site_clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


async def test_an_on_hold_order_holds_stock_and_cancelling_or_failing_it_releases_what_it_held(
    ctx: HubContext, seen_by: str
) -> None:
    async with running_woo_site(_site_clock()) as site:
        woo_hub(ctx, site.base_url)
        hub, store = Hub(ctx, site, seen_by), site.emulator.store
        tee, mug = site.product_id("TEE"), site.product_id("MUG")
        cancelled = store.place_order([(mug, 0, 2)], "a@example.com", "on-hold")
        failed = store.place_order([(tee, 0, 3)], "b@example.com", "on-hold")
        assert (cancelled.date_paid, store.products[mug].stock_quantity) == (None, 5 - 2)  # held, unpaid
        await hub.see()
        held_mug, held_tee = balance(ctx, "MUG", "WH1"), balance(ctx, "TEE", "WH1")
        assert (held_mug.committed, held_mug.available, held_tee.committed) == (2, 6, 3)

        store.update_order(cancelled, {"status": "cancelled"})
        store.update_order(failed, {"status": "failed"})
        unseen = store.place_order([(mug, 0, 1)], "c@example.com", "on-hold")
        store.update_order(unseen, {"status": "cancelled"})  # held and given back between two polls
        assert (store.products[mug].stock_quantity, store.products[tee].stock_quantity) == (5, 10)
        await hub.see()
        hub.again()  # WooCommerce redelivers under new delivery ids: nothing moves twice

        for order in (cancelled, failed):
            assert hub.events(order) == [("sale", "sale"), ("sale_cancelled", "cancel")]
        # Its order.created webhook showed it on hold; a poll sees it only cancelled: nothing to undo.
        seen_held = [("sale", "sale"), ("sale_cancelled", "cancel")] if seen_by == "webhooks" else []
        assert hub.events(unseen) == seen_held
        for sku in ("MUG", "TEE"):
            now = balance(ctx, sku, "WH1")
            assert (now.on_hand, now.committed, now.available) == (8, 0, 8)
        assert verify_balances(ctx) == []


async def test_restocked_refund_units_come_back_once_and_a_refund_without_restock_moves_nothing(
    ctx: HubContext, seen_by: str
) -> None:
    async with running_woo_site(_site_clock()) as site:
        woo_hub(ctx, site.base_url)
        hub, store = Hub(ctx, site, seen_by), site.emulator.store
        tee, mug = site.product_id("TEE"), site.product_id("MUG")
        shipped = store.place_order([(tee, 0, 3)], "a@example.com", "processing")
        store.update_order(shipped, {"status": "completed"})
        unshipped = store.place_order([(mug, 0, 2)], "b@example.com", "processing")
        await hub.see()

        (tee_line,), (mug_line,) = shipped.line_items, unshipped.line_items
        store.refund_order(shipped, None, [(tee_line.id, 2)], restock=True)  # a return of 2
        store.refund_order(shipped, None, [(tee_line.id, 1)], restock=False)  # kept by the customer
        store.refund_order(unshipped, None, [(mug_line.id, 1)], restock=False)
        store.refund_order(unshipped, None, [(mug_line.id, 1)], restock=True)  # fully refunded now
        assert (shipped.status, unshipped.status) == ("refunded", "refunded")
        assert (store.products[tee].stock_quantity, store.products[mug].stock_quantity) == (9, 4)
        await hub.see()
        hub.again()

        assert hub.events(shipped) == [
            ("fulfil", "fulfilment:completed"),
            ("return", f"restock:{tee_line.id}:1"),
            ("return", f"restock:{tee_line.id}:2"),
            ("sale", "sale"),
        ]
        assert hub.events(unshipped) == [
            ("sale", "sale"),
            ("sale_cancelled", f"restock:{mug_line.id}:1"),
        ]
        tee_now, mug_now = balance(ctx, "TEE", "WH1"), balance(ctx, "MUG", "WH1")
        assert (tee_now.on_hand, tee_now.committed, tee_now.available) == (8 - 3 + 2, 0, 7)
        # The unit refunded without restock stays out of stock, as WooCommerce keeps it reduced.
        assert (mug_now.on_hand, mug_now.committed, mug_now.available) == (8, 1, 7)
        assert verify_balances(ctx) == []
