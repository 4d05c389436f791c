"""A seeded Shopify emulator on this test's event loop, and connectors wired to it over loopback.

Time is shared: the connector sleeps on a `ManualTime` whose every advance also moves the
emulator's frozen clock, so the emulator's leaky bucket refills exactly as long as the connector
waited, and no test waits in real time.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from stockbridge.connectors.http import HttpMetrics, ManualTime, RetryPolicy
from stockbridge.connectors.shopify import ShopifyConfig, ShopifyConnector, build_connector
from stockbridge.connectors.shopify.mappers import to_gid
from stockbridge.domain.clock import FrozenClock
from stockbridge.sandbox.server import EmulatorServer
from stockbridge.sandbox.shopify import DEFAULT_SECRET, DEFAULT_TOKEN, ShopifyEmulator
from stockbridge.sandbox.shopify.storefront import seed

SHOP_DOMAIN = "stockbridge-sandbox.myshopify.com"
SEED: dict[str, Any] = {
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


@dataclass
class Shop:
    emulator: ShopifyEmulator
    base_url: str
    clock: FrozenClock
    time: ManualTime
    seeded: dict[str, Any]
    metrics: HttpMetrics = field(default_factory=HttpMetrics)
    keys: list[str] = field(default_factory=list)
    _session: aiohttp.ClientSession | None = None

    def config(self, **overrides: Any) -> ShopifyConfig:
        values: dict[str, Any] = {
            "shop_domain": SHOP_DOMAIN,
            "base_url": self.base_url,
            "access_token": DEFAULT_TOKEN,
            "api_secret": DEFAULT_SECRET,
            **overrides,
        }
        return ShopifyConfig(**values)

    def connector(self, **overrides: Any) -> ShopifyConnector:
        counter = itertools.count(1)

        def key() -> str:
            value = f"test-key-{next(counter)}"
            self.keys.append(value)
            return value

        retry = RetryPolicy(sleep=self.time.sleep, rng=random.Random(3), metrics=self.metrics)
        return build_connector(
            "shop-1",
            self.config(**overrides),
            metrics=self.metrics,
            retry=retry,
            monotonic=self.time.monotonic,
            sleep=self.time.sleep,
            key_factory=key,
        )

    def item(self, sku: str) -> str:
        variant = self.emulator.store.variant_by_sku(sku)
        assert variant is not None
        return to_gid("InventoryItem", variant.inventory_item_id)

    def location(self, name: str) -> str:
        return next(
            str(loc["admin_graphql_api_id"]) for loc in self.seeded["locations"] if loc["name"] == name
        )

    def available(self, sku: str, location: str) -> int:
        variant = self.emulator.store.variant_by_sku(sku)
        assert variant is not None
        loc_id = int(self.location(location).rsplit("/", 1)[1])
        return self.emulator.store.levels[(variant.inventory_item_id, loc_id)].quantity("available")

    async def admin(self, path: str, body: Any) -> Any:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(f"{self.base_url}{path}", json=body) as response:
            assert response.status in (200, 201), await response.text()
            return await response.json()

    async def sell(self, item_id: str, location_id: str | None, units: int) -> dict[str, Any]:
        """A shopper checks out `units` at the storefront (Shopify commits them)."""
        number = int(item_id.rsplit("/", 1)[1])
        variant_id = self.emulator.store.items[number].variant_id
        line = {"variant_id": variant_id, "quantity": units}
        result: dict[str, Any] = await self.admin(
            "/_emulator/storefront/orders", {"lines": [line], "location_id": location_id}
        )
        return result

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


@asynccontextmanager
async def running_shop(spec: dict[str, Any] | None = None, **options: Any) -> AsyncIterator[Shop]:
    clock = FrozenClock()
    emulator = ShopifyEmulator(clock=clock, **options)
    seeded = seed(emulator.store, spec or SEED)
    time = ManualTime()
    time.listeners.append(clock.advance)
    async with EmulatorServer(emulator) as server:
        shop = Shop(emulator, server.base_url, clock, time, seeded)
        try:
            yield shop
        finally:
            await shop.close()


@pytest.fixture
async def shop() -> AsyncIterator[Shop]:
    async with running_shop() as running:
        yield running


@pytest.fixture
async def connector(shop: Shop) -> AsyncIterator[ShopifyConnector]:
    built = shop.connector()
    yield built
    await built.aclose()
