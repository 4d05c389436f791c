"""The Shopify emulator's records: products, variants, inventory items, locations, levels, orders.

Plain mutable dataclasses with numeric ids (Shopify's legacy ids) and snake_case fields named after
the GraphQL fields, so the executor can read most scalars by name. `graphql_type` names the schema
type for abstract-type resolution. Rules about how quantities move live in `store.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

# Quantity names a level stores; `on_hand` is derived (see `InventoryLevel.quantity`).
STORED_NAMES = (
    "available",
    "committed",
    "reserved",
    "damaged",
    "quality_control",
    "safety_stock",
    "incoming",
)
ON_HAND_PARTS = ("available", "committed", "reserved", "damaged", "quality_control", "safety_stock")
ALL_NAMES = (*STORED_NAMES, "on_hand")


def gid(kind: str, number: int) -> str:
    return f"gid://shopify/{kind}/{number}"


@dataclass
class Location:
    graphql_type: ClassVar[str] = "Location"
    id: int
    name: str
    is_active: bool = True
    fulfills_online_orders: bool = True
    ships_inventory: bool = True

    @property
    def gid(self) -> str:
        return gid("Location", self.id)


@dataclass
class InventoryItem:
    graphql_type: ClassVar[str] = "InventoryItem"
    id: int
    sku: str | None
    variant_id: int
    created_at: datetime
    updated_at: datetime
    tracked: bool = True
    requires_shipping: bool = True

    @property
    def gid(self) -> str:
        return gid("InventoryItem", self.id)


@dataclass
class InventoryLevel:
    graphql_type: ClassVar[str] = "InventoryLevel"
    id: int
    item_id: int
    location_id: int
    created_at: datetime
    updated_at: datetime
    is_active: bool = True
    stored: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STORED_NAMES, 0))
    name_updated_at: dict[str, datetime] = field(default_factory=dict)

    @property
    def gid(self) -> str:
        # Shopify's level GIDs carry the item id as a query string.
        return f"gid://shopify/InventoryLevel/{self.id}?inventory_item_id={self.item_id}"

    def quantity(self, name: str) -> int:
        if name == "on_hand":
            return sum(self.stored[n] for n in ON_HAND_PARTS)
        return self.stored[name]


@dataclass
class Variant:
    graphql_type: ClassVar[str] = "ProductVariant"
    id: int
    product_id: int
    title: str
    sku: str | None
    price: Decimal
    inventory_item_id: int
    position: int
    created_at: datetime
    updated_at: datetime
    barcode: str | None = None
    inventory_policy: str = "DENY"
    taxable: bool = True

    @property
    def gid(self) -> str:
        return gid("ProductVariant", self.id)


@dataclass
class Product:
    graphql_type: ClassVar[str] = "Product"
    id: int
    title: str
    handle: str
    created_at: datetime
    updated_at: datetime
    status: str = "ACTIVE"
    vendor: str = "stockbridge-sandbox"
    product_type: str = ""
    tags: list[str] = field(default_factory=list)
    variant_ids: list[int] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("Product", self.id)


@dataclass
class Customer:
    graphql_type: ClassVar[str] = "Customer"
    id: int
    email: str | None
    first_name: str | None
    last_name: str | None
    created_at: datetime
    updated_at: datetime
    phone: str | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("Customer", self.id)


@dataclass
class LineItem:
    graphql_type: ClassVar[str] = "LineItem"
    id: int
    variant_id: int
    product_id: int
    sku: str | None
    title: str
    quantity: int
    price: Decimal
    location_id: int
    refunded_quantity: int = 0
    fulfilled_quantity: int = 0

    @property
    def gid(self) -> str:
        return gid("LineItem", self.id)

    @property
    def current_quantity(self) -> int:
        return self.quantity - self.refunded_quantity


@dataclass
class Order:
    graphql_type: ClassVar[str] = "Order"
    id: int
    number: int
    email: str | None
    customer_id: int | None
    line_items: list[LineItem]
    created_at: datetime
    updated_at: datetime
    currency: str = "USD"
    source_name: str = "web"
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None
    closed_at: datetime | None = None
    financial_status: str = "paid"
    fulfillment_status: str | None = None
    test: bool = False
    refunds: list[Refund] = field(default_factory=list)
    fulfillments: list[Fulfillment] = field(default_factory=list)

    @property
    def gid(self) -> str:
        return gid("Order", self.id)

    @property
    def name(self) -> str:
        return f"#{self.number}"

    @property
    def total_price(self) -> Decimal:
        return sum((li.price * li.quantity for li in self.line_items), Decimal("0.00"))


@dataclass
class Refund:
    """A refund's lines are (line item id, quantity); each line's restock type (`return`,
    `cancel`, `no_restock`) is fixed when the refund is made, as Shopify records it."""

    graphql_type: ClassVar[str] = "Refund"
    id: int
    order_id: int
    created_at: datetime
    lines: list[tuple[int, int]]  # (line item id, quantity)
    restock: bool
    restock_types: list[str] = field(default_factory=list)  # per line; empty: derived from `restock`

    @property
    def gid(self) -> str:
        return gid("Refund", self.id)

    def restock_type(self, index: int) -> str:
        if index < len(self.restock_types):
            return self.restock_types[index]
        return "return" if self.restock else "no_restock"

    def line_id(self, index: int) -> int:
        """The id of the refund's `index`-th refund line item."""
        return self.id * 100 + index


@dataclass
class Fulfillment:
    graphql_type: ClassVar[str] = "Fulfillment"
    id: int
    order_id: int
    location_id: int
    created_at: datetime
    lines: list[tuple[int, int]]  # (line item id, quantity)
    status: str = "success"  # REST spelling; `cancelled` once `fulfillmentCancel` undid it
    updated_at: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.updated_at = self.created_at

    @property
    def gid(self) -> str:
        return gid("Fulfillment", self.id)

    def line_id(self, index: int) -> int:
        """The id of the fulfilment's `index`-th fulfillment line item."""
        return self.id * 100 + index


@dataclass(frozen=True)
class FulfillmentLine:
    """One `FulfillmentLineItem`: so many units of an order line shipped by a fulfilment."""

    graphql_type: ClassVar[str] = "FulfillmentLineItem"
    id: int
    line_item: LineItem
    quantity: int

    @property
    def gid(self) -> str:
        return gid("FulfillmentLineItem", self.id)


@dataclass(frozen=True)
class RefundLine:
    """One `RefundLineItem`: so many units of an order line refunded, restocked or not."""

    graphql_type: ClassVar[str] = "RefundLineItem"
    id: int
    line_item: LineItem
    quantity: int
    restock_type: str  # return, cancel, no_restock (REST spelling)
    location_id: int | None

    @property
    def gid(self) -> str:
        return gid("RefundLineItem", self.id)


@dataclass
class InventoryChange:
    graphql_type: ClassVar[str] = "InventoryChange"
    name: str
    delta: int
    item_id: int
    location_id: int
    ledger_document_uri: str | None = None
    quantity_after_change: int | None = None  # Shopify returned null in every live capture.


@dataclass
class AdjustmentGroup:
    graphql_type: ClassVar[str] = "InventoryAdjustmentGroup"
    id: int
    created_at: datetime
    reason: str
    reference_document_uri: str | None
    changes: list[InventoryChange]

    @property
    def gid(self) -> str:
        return gid("InventoryAdjustmentGroup", self.id)
