"""Restocking refunds on WooCommerce orders still open (processing), seen by webhook or by poll, on
SQLite and PostgreSQL, with the hub pushing its levels to the site between steps.

WooCommerce puts restocked units back in stock at once; the hub releases them at once (available
up, the order's committed down), so a push round leaves the site's level as it is. A completion
afterwards ships only what is still committed, and a unit restocked after shipping comes back on
hand; a cancel afterwards releases only the rest. Redeliveries and polls move nothing twice, and a
refund without restock moves nothing. The site's clock is frozen near now and moved between steps,
so that each step is a newer `date_modified` for the poll's cursor."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import Any

import pytest

from stockbridge.domain.clock import FrozenClock
from stockbridge.services.connections import load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.services.verify import verify_balances
from stockbridge.sync.connectors import installed_connector
from stockbridge.sync.discovery import discover
from stockbridge.sync.inbound_woocommerce import woo_inbound
from stockbridge.sync.inbox import list_inbox, process_inbox
from stockbridge.sync.pusher import Pusher
from stockbridge.sync.reconcile import reconcile
from stockbridge.sync.retry import Retrier
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


async def _no_wait(seconds: float) -> None:
    """The retrier's sleep: nothing here should wait."""


class Hub:
    """The hub beside one site: `see` hands it what changed since the last look (the webhooks
    emitted meanwhile, or one poll), `again` redelivers each order under a new delivery id and
    polls (a webhook-fed hub's first poll reads every order), `sync` is one push round and a
    reconciliation."""

    def __init__(self, ctx: HubContext, site: WooSite, seen_by: str) -> None:
        self.ctx, self.site, self.seen_by, self.delivered = ctx, site, seen_by, 0
        self.config = load_connection_config(ctx, WOO_CONNECTION)
        self.connector = installed_connector(self.config)
        self.pusher = Pusher(ctx, retrier=Retrier(sleep=_no_wait, rng=random.Random(1)))

    async def start(self) -> None:
        """Bind the site's products and push the hub's levels (8 of each) once."""
        await discover(self.ctx, WOO_CONNECTION, self.connector)
        assert (await self.sync()) == {"TEE": 8, "MUG": 8}

    async def see(self) -> None:
        assert isinstance(self.site.emulator.store.clock, FrozenClock)
        self.site.emulator.store.clock.advance(5)
        if self.seen_by == "webhooks":
            deliver_woo(self.ctx, self.site.emitted[self.delivered :])
            self.delivered = len(self.site.emitted)
        else:
            await poll_woo(self.ctx)
        self.process()

    async def again(self) -> None:
        """WooCommerce builds a payload when it sends it: a redelivery carries the current state."""
        latest = {p["id"]: (t, p, f"again-{e}") for t, p, e in self.site.emitted if t.startswith("order.")}
        deliver_woo(self.ctx, list(latest.values()))
        await poll_woo(self.ctx)
        self.process()

    def process(self) -> None:
        for _ in range(2):
            counts = process_inbox(self.ctx, woo_inbound).counts
            assert set(counts) <= {"done"}, list_inbox(self.ctx)

    async def sync(self) -> dict[str, int]:
        """One push round, after which reconciliation finds no drift; the site's stock of each
        product then."""
        report = await self.pusher.push_round(self.config.view, self.connector)
        assert (report.stopped, report.held, report.skipped) == (None, 0, []), report
        drift = await reconcile(self.pusher, self.config.view, self.connector)
        assert (drift.stopped, drift.drifts) == (None, []), drift
        store = self.site.emulator.store
        return {
            sku: int(store.products[self.site.product_id(sku)].stock_quantity or 0) for sku in ("TEE", "MUG")
        }

    def events(self, order: Any) -> list[tuple[str, str]]:
        prefix = f"woocommerce:{WOO_CONNECTION}:order:{order.id}:"
        found = source_events(self.ctx, f"woocommerce:{WOO_CONNECTION}")
        return sorted((t, k.removeprefix(prefix)) for t, k in found if k.startswith(prefix))

    def tee(self) -> tuple[int, int, int]:
        now = balance(self.ctx, "TEE", "WH1")
        return now.on_hand, now.committed, now.available


def _site_clock() -> FrozenClock:
    return FrozenClock(datetime.now(UTC).replace(microsecond=0))


async def test_restocked_units_of_a_processing_order_are_available_at_once_and_completing_ships_the_rest(
    ctx: HubContext, seen_by: str
) -> None:
    async with running_woo_site(_site_clock()) as site:
        woo_hub(ctx, site.base_url)
        hub, store = Hub(ctx, site, seen_by), site.emulator.store
        try:
            await hub.start()
            order = store.place_order([(site.product_id("TEE"), 0, 3)], "a@example.com", "processing")
            await hub.see()
            assert (hub.tee(), (await hub.sync())["TEE"]) == ((8, 3, 5), 5)

            (line,) = order.line_items
            store.refund_order(order, None, [(line.id, 2)], restock=True)
            assert (order.status, store.products[site.product_id("TEE")].stock_quantity) == ("processing", 7)
            await hub.see()
            assert hub.tee() == (8, 1, 7)  # released at once: the site's 7, not 5
            assert (await hub.sync())["TEE"] == 7  # the push round leaves the merchant's restock

            store.update_order(order, {"status": "completed"})
            await hub.see()
            assert (hub.tee(), (await hub.sync())["TEE"]) == ((7, 0, 7), 7)  # 1 shipped, not 3
            store.refund_order(order, None, [(line.id, 1)], restock=True)  # the shipped unit returns
            await hub.see()
            await hub.again()

            assert hub.events(order) == [
                ("fulfil", "fulfilment:completed"),
                ("return", f"restock:{line.id}:3"),
                ("sale", "sale"),
                ("sale_cancelled", f"restock:{line.id}:1"),
                ("sale_cancelled", f"restock:{line.id}:2"),
            ]
            assert (hub.tee(), (await hub.sync())["TEE"]) == ((8, 0, 8), 8)
            assert verify_balances(ctx) == []
        finally:
            await hub.connector.aclose()


async def test_cancelling_a_processing_order_after_a_restocking_refund_releases_only_the_rest(
    ctx: HubContext, seen_by: str
) -> None:
    async with running_woo_site(_site_clock()) as site:
        woo_hub(ctx, site.base_url)
        hub, store = Hub(ctx, site, seen_by), site.emulator.store
        try:
            await hub.start()
            order = store.place_order([(site.product_id("TEE"), 0, 3)], "a@example.com", "processing")
            await hub.see()
            (line,) = order.line_items
            store.refund_order(order, None, [(line.id, 1)], restock=True)
            await hub.see()
            assert (hub.tee(), (await hub.sync())["TEE"]) == ((8, 2, 6), 6)

            store.update_order(order, {"status": "cancelled"})  # the site gives back the 2 still held
            await hub.see()
            await hub.again()

            assert hub.events(order) == [
                ("sale", "sale"),
                ("sale_cancelled", "cancel"),
                ("sale_cancelled", f"restock:{line.id}:1"),
            ]
            assert (hub.tee(), (await hub.sync())["TEE"]) == ((8, 0, 8), 8)
            assert verify_balances(ctx) == []
        finally:
            await hub.connector.aclose()


async def test_a_refund_without_restock_on_a_processing_order_moves_nothing(
    ctx: HubContext, seen_by: str
) -> None:
    async with running_woo_site(_site_clock()) as site:
        woo_hub(ctx, site.base_url)
        hub, store = Hub(ctx, site, seen_by), site.emulator.store
        try:
            await hub.start()
            order = store.place_order([(site.product_id("TEE"), 0, 3)], "a@example.com", "processing")
            await hub.see()
            (line,) = order.line_items
            store.refund_order(order, None, [(line.id, 2)], restock=False)
            await hub.see()
            await hub.again()

            assert hub.events(order) == [("sale", "sale")]
            assert (hub.tee(), (await hub.sync())["TEE"]) == ((8, 3, 5), 5)  # the site kept it reduced
            store.update_order(order, {"status": "completed"})
            await hub.see()
            assert (hub.tee(), (await hub.sync())["TEE"]) == ((5, 0, 5), 5)  # all 3 shipped
            assert verify_balances(ctx) == []
        finally:
            await hub.connector.aclose()
