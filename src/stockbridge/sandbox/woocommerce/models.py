"""The WooCommerce emulator's records: products, variations, orders, customers, webhooks.

Integer ids from one counter (WordPress posts share one id space); money as `Decimal`; stock fields
named as in the REST API (`manage_stock`, `stock_quantity`, `stock_status`, `backorders`).
A variation's `manage_stock` may be the string "parent" when it inherits stock from its product.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

ManageStock = bool | Literal["parent"]


@dataclass
class Product:
    id: int
    name: str
    slug: str
    type: str
    sku: str
    regular_price: Decimal
    date_created: datetime
    date_modified: datetime
    status: str = "publish"
    manage_stock: bool = False
    stock_quantity: int | None = None
    stock_status: str = "instock"
    backorders: str = "no"
    low_stock_amount: int | None = None
    variation_ids: list[int] = field(default_factory=list)
    total_sales: int = 0  # read-only "Amount of sales": units of paid orders, variations included


@dataclass
class Variation:
    id: int
    parent_id: int
    sku: str
    regular_price: Decimal
    date_created: datetime
    date_modified: datetime
    attributes: list[dict[str, str]] = field(default_factory=list)
    status: str = "publish"
    manage_stock: ManageStock = False
    stock_quantity: int | None = None
    stock_status: str = "instock"
    backorders: str = "no"
    low_stock_amount: int | None = None


@dataclass
class OrderLine:
    id: int
    product_id: int
    variation_id: int
    sku: str
    name: str
    quantity: int
    price: Decimal
    # Item meta WooCommerce keeps on the line (and shows in its REST `meta_data`): units whose stock
    # this line still holds (`_reduced_stock`, removed when an order gives its stock back) and units
    # put back by restocking refunds (`_restock_refunded_items`, a running total).
    reduced_stock: int | None = None
    restocked: int = 0
    meta_ids: dict[str, int] = field(default_factory=dict)


@dataclass
class Refund:
    id: int
    amount: Decimal
    reason: str
    lines: list[tuple[int, int]]  # (order line id, quantity)
    date_created: datetime
    item_ids: list[int] = field(default_factory=list)  # the refund's own line item ids, as `lines`


@dataclass
class Order:
    id: int
    status: str
    customer_id: int
    email: str
    line_items: list[OrderLine]
    date_created: datetime
    date_modified: datetime
    currency: str = "USD"
    date_paid: datetime | None = None
    date_completed: datetime | None = None
    stock_reduced: bool = False
    refunds: list[Refund] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((li.price * li.quantity for li in self.line_items), start=Decimal("0"))

    @property
    def refunded(self) -> Decimal:
        return sum((r.amount for r in self.refunds), start=Decimal("0"))


@dataclass
class Customer:
    id: int
    email: str
    first_name: str
    last_name: str
    username: str
    date_created: datetime
    date_modified: datetime


@dataclass
class Webhook:
    id: int
    name: str
    topic: str
    delivery_url: str
    secret: str
    date_created: datetime
    status: str = "active"
    failure_count: int = 0
    subscription_id: int = 0
