"""Builders for inbound tests.

With the fake connector: two online warehouses feeding channel `shop`, a `fake` connection with a
webhook secret, two SKUs (TEE bound by item id, MUG matched by its SKU text), stock. With the
emulators: a WooCommerce site or a Shopify shop served on loopback (each recording the webhooks it
emits), the hub beside it, and the endpoint's and the poller's work done by hand."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import pytest
import sqlalchemy as sa

from stockbridge.connectors.woocommerce.webhooks import signature as woo_signature
from stockbridge.domain.clock import Clock, FrozenClock, SystemClock
from stockbridge.domain.quantities import Quantities
from stockbridge.sandbox.server import EmulatorServer
from stockbridge.sandbox.shopify import DEFAULT_SECRET as SHOPIFY_SECRET
from stockbridge.sandbox.shopify import DEFAULT_TOKEN as SHOPIFY_TOKEN
from stockbridge.sandbox.shopify import ShopifyEmulator, shopify_hmac
from stockbridge.sandbox.shopify.storefront import seed as shopify_seed
from stockbridge.sandbox.woocommerce import DEFAULT_KEY as WOO_KEY
from stockbridge.sandbox.woocommerce import DEFAULT_SECRET as WOO_SECRET
from stockbridge.sandbox.woocommerce import WooCommerceEmulator
from stockbridge.sandbox.woocommerce.storefront import seed as woo_seed
from stockbridge.services.bindings import bind
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
from stockbridge.store import ledger
from stockbridge.store.schema import inventory_events, locations, skus
from stockbridge.store.schema_sync import webhook_inbox
from stockbridge.sync.inbound_bindings import record_of
from stockbridge.sync.inbound_shopify import shopify_inbound
from stockbridge.sync.inbound_woocommerce import woo_inbound
from stockbridge.sync.inbox import accept_delivery
from stockbridge.sync.pollers import PollReport, poll_orders

SECRET, CONNECTION, CHANNEL = "s3cret", "fake-shop", "shop"
WEBHOOK_URL = f"/webhooks/fake/{CONNECTION}"


def hub(ctx: HubContext, *, tee_wh1: int = 5, tee_wh2: int = 3, mug_wh1: int = 4) -> None:
    define_location(ctx, LocationSpec("WH1", "Main"))
    define_location(ctx, LocationSpec("WH2", "Second"))
    define_channel(ctx, ChannelSpec(CHANNEL, "Web shop", "fake", locations=("WH1", "WH2")))
    for code in ("TEE", "MUG"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
    register_connection(ctx, ConnectionSpec(CONNECTION, "fake", CHANNEL, secrets={"webhook_secret": SECRET}))
    bind(ctx, CONNECTION, "sku", "item-tee", str(id_of(ctx, skus, "TEE")))
    bind(ctx, CONNECTION, "location", "loc-2", str(id_of(ctx, locations, "WH2")))
    receipts = [("TEE", "WH1", tee_wh1), ("TEE", "WH2", tee_wh2), ("MUG", "WH1", mug_wh1)]
    events = [
        {"type": "receipt", "sku": s, "location": loc, "quantity": q, "idempotency_key": f"r-{s}-{loc}"}
        for s, loc, q in receipts
        if q
    ]
    assert ingest_events(ctx, events, source="test").summary()["applied"] == len(events)


def id_of(ctx: HubContext, table: sa.Table, code: str) -> int:
    with ctx.read() as conn:
        found = conn.scalar(sa.select(table.c.id).where(table.c.code == code))
    assert found is not None, code
    return int(found)


def balance(ctx: HubContext, sku: str, location: str) -> Quantities:
    key = (id_of(ctx, skus, sku), id_of(ctx, locations, location))
    with ctx.read() as conn:
        return ledger.read_balances(conn, ctx.tenant_id, [key]).get(key, Quantities())


def inbox_rows(ctx: HubContext) -> list[Any]:
    with ctx.read() as conn:
        return list(conn.execute(sa.select(webhook_inbox).order_by(webhook_inbox.c.id)))


def order_events(ctx: HubContext, order_id: str) -> list[tuple[str, str]]:
    """(type, idempotency key) of every ledger event of one fake-shop order, in order."""
    e = inventory_events.c
    prefix = f"fake:{CONNECTION}:order:{order_id}:"
    with ctx.read() as conn:
        rows = conn.execute(
            sa.select(e.type, e.idempotency_key).where(e.idempotency_key.startswith(prefix)).order_by(e.id)
        )
        return [(r.type, r.idempotency_key) for r in rows]


def at(minute: int, second: int = 0) -> datetime:
    from datetime import UTC

    return datetime(2026, 1, 1, 10, minute, second, tzinfo=UTC)


def deliver(
    ctx: HubContext, fake: Any, topic: str, payload: dict[str, Any], event_id: str | None = None
) -> None:
    """What the endpoint does with a signed delivery: verify, parse, store in the inbox."""
    from tests.inbound.fakes import webhook

    body, headers = webhook(topic, payload, SECRET, event_id)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert fake.verify_webhook(lowered, body)
    record = record_of(load_connection_config(ctx, CONNECTION), ctx.tenant_id)
    accept_delivery(ctx, record, fake.parse_webhook(lowered, body), lowered, body)


# For tests of HTTP or CLI behaviour that no database difference can change: SQLite only.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


# --- Emulated platforms: a WooCommerce site and a Shopify shop on loopback, and the hub beside them.

Webhook = tuple[str, dict[str, Any], str]  # (topic, payload, event id) as the emulator emitted it
WOO_CONNECTION, WOO_CHANNEL, WOO_WEBHOOK_SECRET = "woo-1", "woo-shop", "woo-webhook-secret"
SHOP, SHOPIFY_CHANNEL, SHOP_DOMAIN = "shop-1", "shopify-main", "stockbridge-sandbox.myshopify.com"


def _recording(sink: Callable[[str, dict[str, Any], str], None], emitted: list[Webhook]) -> Any:
    """The emulator's webhook sink, recording each webhook before it goes out to subscribers."""

    def record(topic: str, payload: dict[str, Any], event_id: str) -> None:
        emitted.append((topic, payload, event_id))
        sink(topic, payload, event_id)

    return record


@dataclass
class WooSite:
    """The emulated WooCommerce site on loopback; `emitted` holds every webhook it sent."""

    emulator: WooCommerceEmulator
    base_url: str
    emitted: list[Webhook] = field(default_factory=list)

    def product_id(self, sku: str) -> int:
        return next(p.id for p in self.emulator.store.products.values() if p.sku == sku)


@asynccontextmanager
async def running_woo_site(clock: Clock | None = None) -> AsyncIterator[WooSite]:
    """A site selling TEE (10 in stock) and MUG (5). Its webhooks reach only subscribers, if any.
    OAuth 1.0a checks timestamps against the site's clock: a given clock must be near now."""
    emulator = WooCommerceEmulator(clock=clock or SystemClock())
    woo_seed(
        emulator.store,
        {
            "products": [
                {"name": "Tee", "sku": "TEE", "stock_quantity": 10},
                {"name": "Mug", "sku": "MUG", "stock_quantity": 5},
            ]
        },
    )
    async with EmulatorServer(emulator) as server:
        site = WooSite(emulator, server.base_url)
        emulator.store.sink = _recording(emulator.store.sink, site.emitted)
        yield site
        await emulator.webhooks.close()


def woo_hub(ctx: HubContext, base_url: str) -> None:
    """WH1 feeding channel `woo-shop` through connection `woo-1`; TEE and MUG, 8 of each in WH1."""
    define_location(ctx, LocationSpec("WH1", "Main"))
    define_channel(ctx, ChannelSpec(WOO_CHANNEL, "Woo", "woocommerce", locations=("WH1",)))
    for code in ("TEE", "MUG"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(WOO_CHANNEL, code))
    secrets = {
        "consumer_key": WOO_KEY,
        "consumer_secret": WOO_SECRET,
        "webhook_secret": WOO_WEBHOOK_SECRET,
    }
    register_connection(
        ctx, ConnectionSpec(WOO_CONNECTION, "woocommerce", WOO_CHANNEL, base_url, {}, secrets)
    )
    receipts = [
        {"type": "receipt", "sku": s, "location": "WH1", "quantity": 8, "idempotency_key": f"r-{s}"}
        for s in ("TEE", "MUG")
    ]
    assert ingest_events(ctx, receipts).summary()["applied"] == 2


def deliver_woo(ctx: HubContext, webhooks: Sequence[Webhook]) -> None:
    """What the endpoint does with each delivery: verify, parse, store (the real WooCommerce adapter)."""
    config = load_connection_config(ctx, WOO_CONNECTION)
    inbound, record = woo_inbound(config), record_of(config, ctx.tenant_id)
    for topic, payload, event_id in webhooks:
        body = json.dumps(payload).encode()
        headers = {
            "x-wc-webhook-topic": topic,
            "x-wc-webhook-signature": woo_signature(WOO_WEBHOOK_SECRET, body),
            "x-wc-webhook-delivery-id": event_id,
        }
        accept_delivery(ctx, record, inbound.parse_webhook(headers, body), headers, body)


async def poll_woo(ctx: HubContext) -> PollReport:
    config = load_connection_config(ctx, WOO_CONNECTION)
    connector = woo_inbound(config)
    try:
        return await poll_orders(ctx, record_of(config, ctx.tenant_id), connector)
    finally:
        await connector.aclose()


@dataclass
class Shop:
    """The emulated Shopify shop on loopback, with the storefront and admin calls a shopper and a
    merchant would make (each emits the webhooks Shopify would); `emitted` holds them all."""

    emulator: ShopifyEmulator
    base_url: str
    seeded: dict[str, Any]
    session: aiohttp.ClientSession
    emitted: list[Webhook] = field(default_factory=list)

    def location(self, name: str | None = None) -> str:
        """The GID of the location called `name`, or of the first location."""
        found = [loc for loc in self.seeded["locations"] if name is None or loc["name"] == name]
        return str(found[0]["admin_graphql_api_id"])

    async def admin(self, path: str, body: Any) -> Any:
        async with self.session.post(f"{self.base_url}{path}", json=body) as response:
            assert response.status in (200, 201), await response.text()
            return await response.json()

    async def sell(self, sku: str, units: int, location: str | None = None) -> Any:
        lines = [{"sku": sku, "quantity": units}]
        return await self.admin(
            "/_emulator/storefront/orders", {"lines": lines, "location_id": location or self.location()}
        )

    def later(self, seconds: int = 30) -> None:
        assert isinstance(self.emulator.clock, FrozenClock)
        self.emulator.clock.advance(seconds)

    def webhooks(self, *topics: str) -> list[Webhook]:
        return [w for w in self.emitted if w[0] in topics]


@asynccontextmanager
async def running_shop(spec: dict[str, Any]) -> AsyncIterator[Shop]:
    """A shop seeded from `spec`, on a frozen clock. Its webhooks reach only subscribers, if any."""
    emulator = ShopifyEmulator(clock=FrozenClock(), shop_domain=SHOP_DOMAIN)
    seeded = shopify_seed(emulator.store, spec)
    async with EmulatorServer(emulator) as server, aiohttp.ClientSession() as session:
        shop = Shop(emulator, server.base_url, seeded, session)
        emulator.store.sink = _recording(emulator.store.sink, shop.emitted)
        yield shop
        await emulator.webhooks.close()


def shopify_hub(ctx: HubContext, shop: Shop, stock: Mapping[str, int]) -> None:
    """WH1 (the shop's first location) feeding `shopify-main` through connection `shop-1`; SKUs
    TEE-S and MUG; `stock` received into WH1."""
    define_location(ctx, LocationSpec("WH1", "Main", external_codes={SHOP: shop.location()}))
    define_channel(ctx, ChannelSpec(SHOPIFY_CHANNEL, "Shopify", "shopify", locations=("WH1",)))
    for code in ("TEE-S", "MUG"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(SHOPIFY_CHANNEL, code))
    secrets = {"access_token": SHOPIFY_TOKEN, "api_secret": SHOPIFY_SECRET}
    options = {"shop_domain": SHOP_DOMAIN}
    register_connection(
        ctx, ConnectionSpec(SHOP, "shopify", SHOPIFY_CHANNEL, shop.base_url, options, secrets)
    )
    receipts = [
        {"type": "receipt", "sku": sku, "location": "WH1", "quantity": q, "idempotency_key": f"r-{sku}"}
        for sku, q in stock.items()
    ]
    assert ingest_events(ctx, receipts).summary()["applied"] == len(receipts)


def deliver_shopify(ctx: HubContext, webhooks: Sequence[Webhook]) -> None:
    """What the endpoint does with each delivery: verify, parse, store (the real Shopify adapter)."""
    config = load_connection_config(ctx, SHOP)
    inbound, record = shopify_inbound(config), record_of(config, ctx.tenant_id)
    for topic, payload, event_id in webhooks:
        body = json.dumps(payload).encode()
        headers = {
            "x-shopify-topic": topic,
            "x-shopify-hmac-sha256": shopify_hmac(SHOPIFY_SECRET, body),
            "x-shopify-event-id": event_id,
            "x-shopify-webhook-id": f"wh-{event_id}",
        }
        accept_delivery(ctx, record, inbound.parse_webhook(headers, body), headers, body)


async def poll_shopify(ctx: HubContext) -> PollReport:
    config = load_connection_config(ctx, SHOP)
    connector = shopify_inbound(config)
    try:
        return await poll_orders(ctx, record_of(config, ctx.tenant_id), connector, settle=None)
    finally:
        await connector.aclose()


def source_events(ctx: HubContext, source: str, column: str = "idempotency_key") -> list[tuple[str, str]]:
    """(type, `column`) of every ledger event from `source`, in the order recorded."""
    e = inventory_events.c
    with ctx.read() as conn:
        rows = conn.execute(sa.select(e.type, e[column]).where(e.source == source).order_by(e.id))
        return [(r[0], r[1]) for r in rows]
