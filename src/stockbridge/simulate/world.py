"""Setting up a simulated world: the emulated stores' catalogs, the hub's catalog, connections,
bindings and webhook subscriptions.

The hub side is defined through the hub's own services (the composition the CLI uses), on the
run's database, before the hub's processes start: two warehouses, one channel per emulated
store fed by both, one listing per SKU and channel with the scenario's share, and one connection
per store (discovered, so variants are bound by SKU code). The stores start at zero: the hub
pushes their levels once the warehouses have received stock. A file-drop warehouse gets its
ERP's location code, and every SKU its ERP alias, under the ERP's connection code.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from stockbridge.sandbox.shopify.emulator import DEFAULT_SECRET as SHOPIFY_SECRET
from stockbridge.sandbox.shopify.emulator import DEFAULT_TOKEN as SHOPIFY_TOKEN
from stockbridge.sandbox.woocommerce.emulator import DEFAULT_KEY as WOO_KEY
from stockbridge.sandbox.woocommerce.emulator import DEFAULT_SECRET as WOO_SECRET
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    LocationSpec,
    Rules,
    define_channel,
    define_listing,
    define_location,
)
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.connections import ConnectionSpec, load_connection_config, register_connection
from stockbridge.services.context import HubContext
from stockbridge.simulate.erp import erp_alias
from stockbridge.simulate.scenarios import WAREHOUSES, Scenario
from stockbridge.sync.connectors import installed_connector
from stockbridge.sync.discovery import discover

SHOP_DOMAIN = "stockbridge-sandbox.myshopify.com"
WOO_WEBHOOK_SECRET = "sim-woo-webhook-secret"
SHOP_LOCATION = "Shop location"


@dataclass(frozen=True)
class Store:
    """One emulated store as the hub knows it."""

    platform: str
    connection: str
    channel: str
    base_url: str


@dataclass(frozen=True)
class World:
    stores: tuple[Store, ...]
    skus: tuple[str, ...]
    push_location: str  # the Shopify location GID the hub pushes to

    def store(self, platform: str) -> Store:
        return next(s for s in self.stores if s.platform == platform)


async def seed_stores(session: aiohttp.ClientSession, urls: dict[str, str], skus: list[str]) -> str:
    """Create the catalog in both emulators (levels at zero); returns the Shopify location GID."""
    shop_spec = {
        "locations": [SHOP_LOCATION],
        "products": [
            {"title": s, "variants": [{"sku": s, "price": "10.00", "available": {SHOP_LOCATION: 0}}]}
            for s in skus
        ],
    }
    shop = await _post(session, urls["shopify"] + "/_emulator/seed", shop_spec)
    woo_spec = {"products": [{"name": s, "sku": s, "price": "10.00", "stock_quantity": 0} for s in skus]}
    await _post(session, urls["woocommerce"] + "/_emulator/seed", woo_spec)
    return str(shop["locations"][0]["admin_graphql_api_id"])


def define_hub(
    ctx: HubContext, scenario: Scenario, skus: list[str], urls: dict[str, str], push_location: str
) -> World:
    drop = scenario.file_drop
    for code in WAREHOUSES:
        external = {drop.connection: drop.location_code} if drop and drop.warehouse == code else {}
        define_location(ctx, LocationSpec(code, f"Warehouse {code}", external_codes=external))
    rules = Rules(share_percent=scenario.share_percent)
    stores = (
        Store("shopify", "shop", "shopify-main", urls["shopify"]),
        Store("woocommerce", "woo", "woo-main", urls["woocommerce"]),
    )
    for store in stores:
        define_channel(ctx, ChannelSpec(store.channel, store.channel, store.platform, WAREHOUSES, rules))
    for code in skus:
        define_sku(ctx, SkuSpec(code, code, aliases={drop.connection: [erp_alias(code)]} if drop else {}))
        for store in stores:
            define_listing(ctx, ListingSpec(store.channel, code))
    shop, woo = stores
    register_connection(
        ctx,
        ConnectionSpec(
            shop.connection,
            "shopify",
            shop.channel,
            shop.base_url,
            {"shop_domain": SHOP_DOMAIN, "push_location": push_location},
            {"access_token": SHOPIFY_TOKEN, "api_secret": SHOPIFY_SECRET},
        ),
    )
    woo_secrets = {
        "consumer_key": WOO_KEY,
        "consumer_secret": WOO_SECRET,
        "webhook_secret": WOO_WEBHOOK_SECRET,
    }
    woo_settings = {"requests_per_second": scenario.woo_requests_per_second, "burst": 10}
    register_connection(
        ctx,
        ConnectionSpec(woo.connection, "woocommerce", woo.channel, woo.base_url, woo_settings, woo_secrets),
    )
    return World(stores, tuple(skus), push_location)


async def bind_stores(ctx: HubContext, world: World) -> dict[str, Any]:
    """Discovery per connection: variants bound by SKU code. Returns what stayed unmatched."""
    unmatched: dict[str, Any] = {}
    for store in world.stores:
        connector = installed_connector(load_connection_config(ctx, store.connection))
        try:
            report = await discover(ctx, store.connection, connector)
        finally:
            await connector.aclose()
        unmatched[store.connection] = [u.label for u in report.unmatched if u.object_type == "sku"]
    return unmatched


async def subscribe_webhooks(session: aiohttp.ClientSession, world: World, api_url: str) -> None:
    topics = {
        "shopify": ("orders/create", "orders/cancelled"),
        "woocommerce": ("order.created", "order.updated"),
    }
    for store in world.stores:
        secret = WOO_WEBHOOK_SECRET if store.platform == "woocommerce" else ""
        for topic in topics[store.platform]:
            url = f"{api_url}/webhooks/{store.platform}/{store.connection}"
            await _post(
                session,
                store.base_url + "/_emulator/webhooks",
                {"topic": topic, "url": url, "secret": secret},
            )


async def _post(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> dict[str, Any]:
    async with session.post(url, json=body) as answer:
        answer.raise_for_status()
        data = await answer.json()
        return dict(data)
