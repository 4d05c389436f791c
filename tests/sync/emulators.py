"""The Shopify and WooCommerce emulators on loopback for sync tests, each on its own loop in a
thread, with just what these tests need: seed, read a level, take a storefront sale.

Self-contained on purpose (no other suite's conftest). The emulators' clocks start at the real
time, so connectors built from a stored connection (`installed_connector`, wall clock) pass
WooCommerce's OAuth timestamp window; the clocks never move, so nothing here depends on timing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from stockbridge.domain.clock import FrozenClock, SystemClock
from stockbridge.sandbox.server import ThreadedEmulatorServer
from stockbridge.sandbox.shopify import ShopifyEmulator
from stockbridge.sandbox.shopify.orders import CartLine, place_order
from stockbridge.sandbox.shopify.storefront import seed as seed_shopify
from stockbridge.sandbox.woocommerce import WooCommerceEmulator
from stockbridge.sandbox.woocommerce.storefront import resolve_line
from stockbridge.sandbox.woocommerce.storefront import seed as seed_woo

SHOP_DOMAIN = "stockbridge-sandbox.myshopify.com"
SHOPIFY_SEED: dict[str, Any] = {
    "locations": ["Shop location", "Warehouse"],
    "products": [
        {
            "title": "Tee",
            "variants": [
                {"sku": "TEE-S", "available": {"Shop location": 5, "Warehouse": 2}},
                {"sku": "TEE-M", "available": {"Shop location": 3}},
                {"sku": "TEE-L", "available": {"Shop location": 4, "Warehouse": 1}},
            ],
        },
        {"title": "Mug", "variants": [{"sku": "MUG", "available": {"Shop location": 9}}]},
        {"title": "Cap", "variants": [{"sku": "CAP", "available": {"Warehouse": 6}}]},
    ],
}
WOO_SEED: dict[str, Any] = {
    "products": [
        {"name": "Hoodie", "sku": "HOOD", "stock_quantity": 10},
        {"name": "Cap", "sku": "CAP", "stock_quantity": 0},
        {
            "name": "Sock",
            "variations": [
                {"sku": "SOCK-S", "stock_quantity": 6, "attributes": [{"name": "Size", "option": "S"}]},
                {"sku": "SOCK-L", "stock_quantity": 2, "attributes": [{"name": "Size", "option": "L"}]},
            ],
        },
    ]
}


@dataclass
class Shop:
    emulator: ShopifyEmulator
    server: ThreadedEmulatorServer

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def available(self, sku: str, location: str) -> int | None:
        def read() -> int | None:
            store = self.emulator.store
            variant = store.variant_by_sku(sku)
            assert variant is not None
            level = store.levels.get((variant.inventory_item_id, self._location_id(location)))
            return None if level is None else level.quantity("available")

        return self.server.call(read)

    def sell(self, sku: str, location: str, units: int) -> None:
        """A shopper checks out at the storefront; Shopify commits the units at once."""

        def checkout() -> None:
            variant = self.emulator.store.variant_by_sku(sku)
            assert variant is not None
            place_order(self.emulator.store, [CartLine(variant.id, units)], self._location_id(location))

        self.server.call(checkout)

    def _location_id(self, name: str) -> int:
        return next(loc.id for loc in self.emulator.store.locations.values() if loc.name == name)


@dataclass
class Site:
    emulator: WooCommerceEmulator
    server: ThreadedEmulatorServer

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def stock(self, sku: str) -> int | None:
        def read() -> int | None:
            store = self.emulator.store
            product_id, variation_id, _ = resolve_line(store, {"sku": sku})
            return (
                store.variations[variation_id] if variation_id else store.products[product_id]
            ).stock_quantity

        return self.server.call(read)

    def sell(self, sku: str, units: int) -> None:
        def checkout() -> None:
            line = resolve_line(self.emulator.store, {"sku": sku, "quantity": units})
            self.emulator.store.place_order([line], "shopper@example.com")

        self.server.call(checkout)


@contextmanager
def running_shopify() -> Iterator[Shop]:
    emulator = ShopifyEmulator(clock=FrozenClock(SystemClock().now()))
    seed_shopify(emulator.store, SHOPIFY_SEED)
    server = ThreadedEmulatorServer(emulator)
    server.start()
    try:
        yield Shop(emulator, server)
    finally:
        server.stop()


@contextmanager
def running_woocommerce() -> Iterator[Site]:
    emulator = WooCommerceEmulator(clock=FrozenClock(SystemClock().now()))
    seed_woo(emulator.store, WOO_SEED)
    server = ThreadedEmulatorServer(emulator)
    server.start()
    try:
        yield Site(emulator, server)
    finally:
        server.stop()
