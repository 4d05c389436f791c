"""The WooCommerce emulator's in-memory shop and its stock rules.

Owns ids, the catalog (simple and variable products, variations), orders, customers and webhook
records, and the rules WooCommerce applies on save: `stock_status` follows `stock_quantity` when
stock is managed (`onbackorder` below zero if backorders are allowed, else `outofstock`), turning
`manage_stock` off clears `stock_quantity` and forces `backorders: "no"`, a variable product's
status is derived from its variations, and the hidden `inventory_delta` field adds to the stock
(read-add-write, as WooCommerce does). Every change is announced through the injected event sink.

Orders move stock as `wc-stock-functions.php` does: an order reaching processing, on-hold or
completed reduces it once (each line keeps `_reduced_stock`); cancelled, failed (WooCommerce 10.x,
PR #66256) or back to pending gives back what the lines still hold. Only processing and completed
set `date_paid` (an on-hold order holds stock unpaid). A refund restocks its lines only when asked
(`api_restock`), and only units a line still holds (`_reduced_stock` goes down,
`_restock_refunded_items` up); setting the status to refunded records a refund of the remainder
that restocks nothing (`wc_order_fully_refunded`).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from stockbridge.domain.clock import Clock
from stockbridge.sandbox.woocommerce import serializers
from stockbridge.sandbox.woocommerce.models import Customer, Order, OrderLine, Product, Refund, Variation
from stockbridge.sandbox.woocommerce.rest import RestError

EventSink = Callable[[str, dict[str, Any], str], None]
STOCK_REDUCING = ("processing", "on-hold", "completed")
STOCK_RESTORING = ("cancelled", "failed", "pending")
PAID = ("processing", "completed")  # the statuses that set `date_paid` (`maybe_set_date_paid`)
ORDER_STATUSES = ("pending", "processing", "on-hold", "completed", "cancelled", "refunded", "failed", "trash")


def _no_events(topic: str, payload: dict[str, Any], event_id: str) -> None:
    return None


class WooStore:
    """State of one emulated WooCommerce site."""

    def __init__(self, clock: Clock, site_url: str = "http://stockbridge-sandbox.test") -> None:
        self.clock = clock
        self.site_url = site_url
        self.sink: EventSink = _no_events
        self._ids = itertools.count(100)
        self._events = itertools.count(1)
        self.products: dict[int, Product] = {}
        self.variations: dict[int, Variation] = {}
        self.orders: dict[int, Order] = {}
        self.customers: dict[int, Customer] = {}

    def next_id(self) -> int:
        return next(self._ids)

    def emit(self, topic: str, payload: dict[str, Any]) -> None:
        self.sink(topic, payload, str(uuid.UUID(int=next(self._events))))

    # --- catalog -------------------------------------------------------------------------

    def add_product(
        self,
        name: str,
        sku: str = "",
        price: str = "10.00",
        kind: str = "simple",
        stock_quantity: int | None = None,
    ) -> Product:
        now = self.clock.now()
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        product = Product(self.next_id(), name, slug, kind, sku, Decimal(price), now, now)
        self.products[product.id] = product
        if stock_quantity is not None:
            self._apply_stock(product, {"manage_stock": True, "stock_quantity": stock_quantity})
        return product

    def add_variation(
        self,
        product_id: int,
        sku: str,
        price: str = "10.00",
        stock_quantity: int | None = None,
        attributes: list[dict[str, str]] | None = None,
    ) -> Variation:
        parent = self.get_product(product_id)
        now = self.clock.now()
        variation = Variation(self.next_id(), parent.id, sku, Decimal(price), now, now, attributes or [])
        self.variations[variation.id] = variation
        parent.variation_ids.append(variation.id)
        if stock_quantity is not None:
            self._apply_stock(variation, {"manage_stock": True, "stock_quantity": stock_quantity})
        self._derive_parent_status(parent)
        return variation

    def get_product(self, product_id: int) -> Product:
        product = self.products.get(product_id)
        if product is None or product.status == "trash":
            raise RestError("woocommerce_rest_product_invalid_id", "Invalid ID.", 404)
        return product

    def get_variation(self, product_id: int, variation_id: int) -> Variation:
        variation = self.variations.get(variation_id)
        if variation is None or variation.parent_id != product_id:
            raise RestError("woocommerce_rest_product_variation_invalid_id", "Invalid ID.", 404)
        return variation

    def update_product(
        self, product: Product, changes: dict[str, Any], topic: str = "product.updated"
    ) -> Product:
        for key in ("name", "sku", "status"):
            if key in changes:
                setattr(product, key, str(changes[key]))
        if "regular_price" in changes:
            product.regular_price = Decimal(str(changes["regular_price"] or "0"))
        self._apply_stock(product, changes)
        if product.type == "variable":
            self._derive_parent_status(product)
        product.date_modified = self.clock.now()
        self.emit(topic, serializers.product(self, product))
        return product

    def update_variation(self, variation: Variation, changes: dict[str, Any]) -> Variation:
        for key in ("sku", "status"):
            if key in changes:
                setattr(variation, key, str(changes[key]))
        if "regular_price" in changes:
            variation.regular_price = Decimal(str(changes["regular_price"] or "0"))
        self._apply_stock(variation, changes)
        variation.date_modified = self.clock.now()
        parent = self.products[variation.parent_id]
        self._derive_parent_status(parent)
        parent.date_modified = variation.date_modified
        self.emit("product.updated", serializers.product(self, parent))
        return variation

    def _apply_stock(self, record: Product | Variation, changes: dict[str, Any]) -> None:
        if "manage_stock" in changes:
            record.manage_stock = changes["manage_stock"]
        if "backorders" in changes:
            if changes["backorders"] not in ("no", "notify", "yes"):
                raise RestError("rest_invalid_param", "Invalid parameter(s): backorders", 400)
            record.backorders = changes["backorders"]
        if "low_stock_amount" in changes:
            record.low_stock_amount = changes["low_stock_amount"]
        if record.manage_stock is True:
            if changes.get("stock_quantity") is not None:
                record.stock_quantity = int(changes["stock_quantity"])
            elif "inventory_delta" in changes:
                record.stock_quantity = (record.stock_quantity or 0) + int(changes["inventory_delta"])
            record.stock_quantity = record.stock_quantity or 0
            record.stock_status = self._status_for(record.stock_quantity, record.backorders)
        elif record.manage_stock is False:
            record.stock_quantity = None
            record.low_stock_amount = None
            record.backorders = "no"
            if changes.get("stock_status") in ("instock", "outofstock", "onbackorder"):
                record.stock_status = changes["stock_status"]

    @staticmethod
    def _status_for(quantity: int, backorders: str) -> str:
        if quantity > 0:
            return "instock"
        return "onbackorder" if backorders != "no" else "outofstock"

    def _derive_parent_status(self, parent: Product) -> None:
        statuses = {self.variations[v].stock_status for v in parent.variation_ids}
        if statuses:
            parent.stock_status = next(s for s in ("instock", "onbackorder", "outofstock") if s in statuses)

    def stock_holder(self, product_id: int, variation_id: int) -> Product | Variation:
        """The record whose stock an order line moves (a variation managing 'parent' uses the product)."""
        if variation_id:
            variation = self.get_variation(product_id, variation_id)
            if variation.manage_stock is not False and variation.manage_stock != "parent":
                return variation
        return self.get_product(product_id)

    # --- customers -----------------------------------------------------------------------

    def add_customer(self, email: str, first_name: str = "", last_name: str = "") -> Customer:
        if any(c.email == email for c in self.customers.values()):
            raise RestError(
                "registration-error-email-exists",
                "An account is already registered with your email address.",
                400,
            )
        now = self.clock.now()
        customer = Customer(self.next_id(), email, first_name, last_name, email.split("@")[0], now, now)
        self.customers[customer.id] = customer
        self.emit("customer.created", serializers.customer(customer))
        return customer

    def update_customer(self, customer: Customer, changes: dict[str, Any]) -> Customer:
        for key in ("email", "first_name", "last_name"):
            if key in changes:
                setattr(customer, key, str(changes[key]))
        customer.date_modified = self.clock.now()
        self.emit("customer.updated", serializers.customer(customer))
        return customer

    # --- orders --------------------------------------------------------------------------

    def place_order(
        self, lines: list[tuple[int, int, int]], email: str, status: str = "processing", customer_id: int = 0
    ) -> Order:
        """Create an order of (product id, variation id, quantity) lines; refuses unsellable lines."""
        order_lines = []
        for product_id, variation_id, quantity in lines:
            holder = self.stock_holder(product_id, variation_id)
            managed = holder.manage_stock is True
            short = managed and (holder.stock_quantity or 0) < quantity and holder.backorders == "no"
            if quantity <= 0 or short or (not managed and holder.stock_status == "outofstock"):
                raise RestError(
                    "woocommerce_rest_invalid_product_quantity",
                    f"Not enough stock for product {product_id}.",
                    400,
                )
            record = self.variations[variation_id] if variation_id else self.products[product_id]
            name = self.products[product_id].name
            order_lines.append(
                OrderLine(
                    self.next_id(), product_id, variation_id, record.sku, name, quantity, record.regular_price
                )
            )
        now = self.clock.now()
        order = Order(self.next_id(), "pending", customer_id, email, order_lines, now, now)
        self.orders[order.id] = order
        self._set_status(order, status)
        self.emit("order.created", serializers.order(self, order))
        return order

    def update_order(self, order: Order, changes: dict[str, Any]) -> Order:
        if "status" in changes:
            if changes["status"] not in ORDER_STATUSES:
                raise RestError("rest_invalid_param", "Invalid parameter(s): status", 400)
            self._set_status(order, changes["status"])
        order.date_modified = self.clock.now()
        self.emit("order.updated", serializers.order(self, order))
        return order

    def refund_order(
        self,
        order: Order,
        amount: Decimal | None,
        lines: list[tuple[int, int]],
        restock: bool,
        reason: str = "",
    ) -> Refund:
        """A refund of `amount` (default: the refunded lines' value), restocking its lines if asked."""
        by_id = {li.id: li for li in order.line_items}
        if any(line_id not in by_id or qty <= 0 for line_id, qty in lines):
            raise RestError("woocommerce_rest_invalid_order_item", "Invalid order item.", 400)
        value = (
            amount if amount is not None else sum((by_id[i].price * q for i, q in lines), start=Decimal("0"))
        )
        if value < 0 or value > order.total - order.refunded:
            raise RestError("woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.", 400)
        now = self.clock.now()
        refund = Refund(self.next_id(), value, reason, lines, now, [self.next_id() for _ in lines])
        order.refunds.append(refund)
        if restock:
            for line_id, qty in lines:
                self._restock_refunded(by_id[line_id], qty)
        if order.refunded >= order.total:
            order.status = "refunded"
        order.date_modified = now
        self.emit("order.updated", serializers.order(self, order))
        return refund

    def _restock_refunded(self, line: OrderLine, quantity: int) -> None:
        """`wc_restock_refunded_items`: only a line that still holds stock is restocked."""
        holder = self.stock_holder(line.product_id, line.variation_id)
        if not line.reduced_stock or holder.manage_stock is not True:
            return
        self._restock(holder, quantity)
        line.reduced_stock -= quantity
        line.restocked += quantity
        line.meta_ids.setdefault("_restock_refunded_items", self.next_id())

    def _restock(self, holder: Product | Variation, quantity: int) -> None:
        holder.stock_quantity = (holder.stock_quantity or 0) + quantity
        holder.stock_status = self._status_for(holder.stock_quantity, holder.backorders)
        if isinstance(holder, Variation):
            self._derive_parent_status(self.products[holder.parent_id])

    def _set_status(self, order: Order, status: str) -> None:
        now = self.clock.now()
        if status in STOCK_REDUCING and not order.stock_reduced:
            self._reduce_stock(order)
        elif status in STOCK_RESTORING and order.stock_reduced:
            self._restore_stock(order)
        if status in PAID:
            order.date_paid = order.date_paid or now
        if status == "completed":
            order.date_completed = now
        order.status = status
        order.date_modified = now
        if status == "refunded" and order.total > order.refunded:
            order.refunds.append(
                Refund(self.next_id(), order.total - order.refunded, "Order fully refunded.", [], now)
            )

    def _reduce_stock(self, order: Order) -> None:
        """`wc_reduce_stock_levels`; the product's `total_sales` moves with the stock (as
        `wc_update_total_sales_counts` keeps it: the parent product counts its variations)."""
        order.stock_reduced = True
        for line in order.line_items:
            self._count_sales(line, line.quantity)
            holder = self.stock_holder(line.product_id, line.variation_id)
            if holder.manage_stock is True and not line.reduced_stock:
                self._restock(holder, -line.quantity)
                line.reduced_stock = line.quantity
                line.meta_ids["_reduced_stock"] = self.next_id()

    def _restore_stock(self, order: Order) -> None:
        """`wc_increase_stock_levels`: each line gives back what it still holds; the meta goes."""
        order.stock_reduced = False
        for line in order.line_items:
            self._count_sales(line, -line.quantity)
            if not line.reduced_stock:
                continue
            holder = self.stock_holder(line.product_id, line.variation_id)
            if holder.manage_stock is True:
                self._restock(holder, line.reduced_stock)
            line.reduced_stock = None
            line.meta_ids.pop("_reduced_stock", None)

    def _count_sales(self, line: OrderLine, quantity: int) -> None:
        product = self.products[line.product_id]
        product.total_sales = max(product.total_sales + quantity, 0)

    def snapshot(self) -> dict[str, Any]:
        return {
            "products": [serializers.product(self, p) for p in self.products.values()],
            "variations": [serializers.variation(self, v) for v in self.variations.values()],
            "orders": [serializers.order(self, o) for o in self.orders.values()],
            "customers": [serializers.customer(c) for c in self.customers.values()],
        }
