"""The Shopify emulator's in-memory shop: catalog, locations, inventory levels and their rules.

Owns id allocation, seeding (`add_location`, `add_product`, `activate`), applying inventory changes
the way Shopify propagates them (writes to `available` move `on_hand`; `incoming` stays outside
`on_hand`), and emitting webhook events through an injected sink after each change. Order flows
live in `orders.py`; GraphQL validation and userErrors live in `inventory.py`. Not thread-safe by
design: it is only touched from the emulator's event loop.
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from stockbridge.domain.clock import Clock
from stockbridge.sandbox.shopify import payloads
from stockbridge.sandbox.shopify.models import (
    AdjustmentGroup,
    Customer,
    InventoryChange,
    InventoryItem,
    InventoryLevel,
    Location,
    Order,
    Product,
    Variant,
)

EventSink = Callable[[str, dict[str, Any], str], None]


def _no_events(topic: str, payload: dict[str, Any], event_id: str) -> None:
    return None


class ShopifyStore:
    """State of one emulated shop."""

    def __init__(self, clock: Clock, shop_domain: str = "stockbridge-sandbox.myshopify.com") -> None:
        self.clock = clock
        self.shop_domain = shop_domain
        self.sink: EventSink = _no_events
        self._ids = itertools.count(9_000_000_001)
        self._event_ids = itertools.count(1)
        self._order_numbers = itertools.count(1001)
        self.locations: dict[int, Location] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.items: dict[int, InventoryItem] = {}
        self.levels: dict[tuple[int, int], InventoryLevel] = {}
        self.customers: dict[int, Customer] = {}
        self.orders: dict[int, Order] = {}
        self.groups: dict[int, AdjustmentGroup] = {}

    def next_id(self) -> int:
        return next(self._ids)

    def next_order_number(self) -> int:
        return next(self._order_numbers)

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        event_id = str(uuid.UUID(int=next(self._event_ids)))
        self.sink(topic, payload, event_id)

    # --- seeding -------------------------------------------------------------------------

    def add_location(self, name: str) -> Location:
        location = Location(id=self.next_id(), name=name)
        self.locations[location.id] = location
        return location

    def add_product(
        self, title: str, variants: Iterable[tuple[str | None, str]], status: str = "ACTIVE"
    ) -> Product:
        """Create a product with one variant per (sku, price); each gets its inventory item."""
        now = self.clock.now()
        handle = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "product"
        product = Product(id=self.next_id(), title=title, handle=handle, created_at=now, updated_at=now)
        product.status = status
        for position, (sku, price) in enumerate(variants, start=1):
            variant_id, item_id = self.next_id(), self.next_id()
            title_v = sku or "Default Title"
            self.variants[variant_id] = Variant(
                variant_id, product.id, title_v, sku, Decimal(price), item_id, position, now, now
            )
            self.items[item_id] = InventoryItem(item_id, sku, variant_id, now, now)
            product.variant_ids.append(variant_id)
        self.products[product.id] = product
        return product

    def activate(self, item_id: int, location_id: int, available: int = 0) -> InventoryLevel:
        """Stock an item at a location (idempotent); seeds `available` on a new level."""
        level = self.levels.get((item_id, location_id))
        now = self.clock.now()
        if level is None:
            level = InventoryLevel(self.next_id(), item_id, location_id, now, now)
            level.stored["available"] = available
            level.name_updated_at["available"] = now
            self.levels[(item_id, location_id)] = level
        level.is_active = True
        return level

    def add_customer(
        self, email: str, first_name: str | None = None, last_name: str | None = None
    ) -> Customer:
        now = self.clock.now()
        customer = Customer(self.next_id(), email, first_name, last_name, now, now)
        self.customers[customer.id] = customer
        return customer

    # --- lookups -------------------------------------------------------------------------

    def find_level(self, item_id: int, location_id: int) -> InventoryLevel | None:
        level = self.levels.get((item_id, location_id))
        return level if level is not None and level.is_active else None

    def levels_of_item(self, item_id: int, include_inactive: bool = False) -> list[InventoryLevel]:
        found = [lv for (i, _), lv in self.levels.items() if i == item_id]
        return sorted((lv for lv in found if include_inactive or lv.is_active), key=lambda lv: lv.id)

    def levels_at_location(self, location_id: int) -> list[InventoryLevel]:
        found = [lv for (_, loc), lv in self.levels.items() if loc == location_id and lv.is_active]
        return sorted(found, key=lambda lv: lv.id)

    def variant_by_sku(self, sku: str) -> Variant | None:
        return next((v for v in self.variants.values() if v.sku == sku), None)

    def inventory_quantity(self, variant: Variant) -> int:
        """`ProductVariant.inventoryQuantity`: available summed over active levels."""
        return sum(lv.quantity("available") for lv in self.levels_of_item(variant.inventory_item_id))

    def total_inventory(self, product: Product) -> int:
        return sum(self.inventory_quantity(self.variants[v]) for v in product.variant_ids)

    # --- inventory changes ---------------------------------------------------------------

    def apply_changes(
        self, reason: str, reference_document_uri: str | None, changes: list[InventoryChange]
    ) -> AdjustmentGroup:
        """Apply already-validated changes atomically and emit `inventory_levels/update` per level.

        `on_hand` rows in `changes` are the mirrored rows Shopify reports; they do not move stored
        quantities (on_hand is derived from its parts).
        """
        now = self.clock.now()
        touched: dict[tuple[int, int], InventoryLevel] = {}
        for change in changes:
            if change.name == "on_hand":
                continue
            level = self.levels[(change.item_id, change.location_id)]
            level.stored[change.name] += change.delta
            level.name_updated_at[change.name] = now
            level.updated_at = now
            touched[(change.item_id, change.location_id)] = level
        group = AdjustmentGroup(self.next_id(), now, reason, reference_document_uri, changes)
        self.groups[group.id] = group
        for level in touched.values():
            self.items[level.item_id].updated_at = now
            self.emit("inventory_levels/update", payloads.inventory_level(level, now))
        return group

    def move_for_order(self, level: InventoryLevel, moves: dict[str, int]) -> None:
        """Move quantities between states of one level for an order flow (no adjustment group)."""
        now = self.clock.now()
        for name, delta in moves.items():
            level.stored[name] += delta
            level.name_updated_at[name] = now
        level.updated_at = now
        self.items[level.item_id].updated_at = now
        self.emit("inventory_levels/update", payloads.inventory_level(level, now))

    def update_product(self, product_id: int, changes: dict[str, Any]) -> Product:
        product = self.products[product_id]
        for key in ("title", "status", "vendor", "product_type", "tags"):
            if key in changes:
                setattr(product, key, changes[key])
        product.updated_at = self.clock.now()
        self.emit("products/update", payloads.product(self, product))
        return product

    def snapshot(self) -> dict[str, Any]:
        """Everything, JSON-able, for independent audits."""
        return {
            "shop_domain": self.shop_domain,
            "locations": [payloads.location(loc) for loc in self.locations.values()],
            "products": [payloads.product(self, p) for p in self.products.values()],
            "inventory_levels": [
                {
                    **payloads.inventory_level(lv, lv.updated_at),
                    "is_active": lv.is_active,
                    "quantities": {name: lv.quantity(name) for name in (*lv.stored, "on_hand")},
                }
                for lv in self.levels.values()
            ],
            "customers": [payloads.customer(c) for c in self.customers.values()],
            "orders": [payloads.order(self, o) for o in self.orders.values()],
        }
