"""Order flows of the emulated shop: a shopper's checkout, cancel, fulfil, cancel a fulfilment, refund.

These are what the storefront/admin endpoints (and `fulfillmentCancel`) drive so a simulator can
trade against the emulator. Inventory moves as Shopify moves it: placing an order takes units from
`available` into `committed`; fulfilling removes them from `committed` (on_hand drops); cancelling
a fulfilment brings its units back into `committed` (on hand again, the lines fulfillable again);
cancelling with restock puts unfulfilled units back into `available`; a restocking refund returns
units to `available`. Each flow emits the webhooks Shopify would (orders/create, orders/updated,
orders/cancelled, fulfillments/create, fulfillments/update, refunds/create, inventory_levels/update).
"""

from __future__ import annotations

from dataclasses import dataclass

from stockbridge.sandbox.shopify import payloads
from stockbridge.sandbox.shopify.models import Fulfillment, InventoryLevel, LineItem, Order, Refund, Variant
from stockbridge.sandbox.shopify.store import ShopifyStore


class OrderFlowError(ValueError):
    """A storefront request that the shop refuses (unknown variant, out of stock, wrong state)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CartLine:
    variant_id: int
    quantity: int


def place_order(
    store: ShopifyStore,
    lines: list[CartLine],
    location_id: int | None = None,
    email: str | None = None,
    customer_id: int | None = None,
) -> Order:
    """Check out a cart all-or-nothing at one location (default: the level with most available)."""
    plan = _plan_checkout(store, lines, location_id)
    now = store.clock.now()
    items = [
        LineItem(
            store.next_id(),
            v.id,
            v.product_id,
            v.sku,
            store.products[v.product_id].title,
            qty,
            v.price,
            lv.location_id,
        )
        for v, lv, qty in plan
    ]
    order = Order(store.next_id(), store.next_order_number(), email, customer_id, items, now, now)
    store.orders[order.id] = order
    store.emit("orders/create", payloads.order(store, order))
    for variant, level, qty in plan:
        if store.items[variant.inventory_item_id].tracked:
            store.move_for_order(level, {"available": -qty, "committed": qty})
    return order


def _plan_checkout(
    store: ShopifyStore, lines: list[CartLine], location_id: int | None
) -> list[tuple[Variant, InventoryLevel, int]]:
    """Check every line before anything moves; raises OrderFlowError on the first bad line."""
    if not lines:
        raise OrderFlowError("EMPTY_CART", "an order needs at least one line")
    plan = []
    for line in lines:
        variant = store.variants.get(line.variant_id)
        if variant is None or line.quantity <= 0:
            raise OrderFlowError("INVALID_LINE", f"unknown variant or bad quantity: {line.variant_id}")
        level = _pick_level(store, variant.inventory_item_id, location_id)
        if level is None:
            raise OrderFlowError("NOT_STOCKED", f"variant {variant.id} is not stocked at the location")
        tracked = store.items[variant.inventory_item_id].tracked
        available = level.quantity("available")
        if tracked and variant.inventory_policy == "DENY" and available < line.quantity:
            raise OrderFlowError("OUT_OF_STOCK", f"variant {variant.id} has only {available}")
        plan.append((variant, level, line.quantity))
    return plan


def _pick_level(store: ShopifyStore, item_id: int, location_id: int | None) -> InventoryLevel | None:
    if location_id is not None:
        return store.find_level(item_id, location_id)
    levels = store.levels_of_item(item_id)
    return max(levels, key=lambda lv: lv.quantity("available"), default=None)


def cancel_order(store: ShopifyStore, order_id: int, reason: str = "customer", restock: bool = True) -> Order:
    order = _get_open_order(store, order_id)
    now = store.clock.now()
    order.cancelled_at = now
    order.closed_at = now
    order.cancel_reason = reason
    order.updated_at = now
    for li in order.line_items:
        unfulfilled = li.current_quantity - li.fulfilled_quantity
        level = store.levels.get((store.variants[li.variant_id].inventory_item_id, li.location_id))
        if unfulfilled > 0 and level is not None:
            moves = {"committed": -unfulfilled}
            if restock:
                moves["available"] = unfulfilled
            store.move_for_order(level, moves)
    store.emit("orders/cancelled", payloads.order(store, order))
    store.emit("orders/updated", payloads.order(store, order))
    return order


def fulfill_order(store: ShopifyStore, order_id: int) -> Fulfillment:
    order = _get_open_order(store, order_id)
    lines = [(li.id, li.current_quantity - li.fulfilled_quantity) for li in order.line_items]
    lines = [(lid, qty) for lid, qty in lines if qty > 0]
    if not lines:
        raise OrderFlowError("NOTHING_TO_FULFILL", "every line is already fulfilled")
    now = store.clock.now()
    by_id = {li.id: li for li in order.line_items}
    fulfillment = Fulfillment(store.next_id(), order.id, by_id[lines[0][0]].location_id, now, lines)
    for lid, qty in lines:
        li = by_id[lid]
        li.fulfilled_quantity += qty
        level = store.levels.get((store.variants[li.variant_id].inventory_item_id, li.location_id))
        if level is not None:
            store.move_for_order(level, {"committed": -qty})
    order.fulfillments.append(fulfillment)
    order.fulfillment_status = _fulfillment_status(order)
    order.updated_at = now
    store.emit("fulfillments/create", payloads.fulfillment(order, fulfillment))
    store.emit("orders/updated", payloads.order(store, order))
    return fulfillment


def cancel_fulfillment(store: ShopifyStore, fulfillment_id: int) -> Fulfillment:
    """`fulfillmentCancel`: the shipment is undone. Its units are back on hand at the location they
    left, committed again to the order, whose lines can be fulfilled again. Emits
    `fulfillments/update` (the fulfilment, status `cancelled`) and `orders/updated`."""
    found = [(o, f) for o in store.orders.values() for f in o.fulfillments if f.id == fulfillment_id]
    if not found:
        raise OrderFlowError("NOT_FOUND", "Fulfillment does not exist.")
    order, fulfillment = found[0]
    if fulfillment.status != "success" or order.cancelled_at is not None:
        raise OrderFlowError("INVALID_STATE", "Fulfillment cannot be cancelled.")
    now = store.clock.now()
    by_id = {li.id: li for li in order.line_items}
    for lid, qty in fulfillment.lines:
        li = by_id[lid]
        li.fulfilled_quantity -= qty
        level = store.levels.get((store.variants[li.variant_id].inventory_item_id, li.location_id))
        if level is not None:
            store.move_for_order(level, {"committed": qty})
    fulfillment.status, fulfillment.updated_at = "cancelled", now
    order.fulfillment_status = _fulfillment_status(order)
    order.updated_at = now
    store.emit("fulfillments/update", payloads.fulfillment(order, fulfillment))
    store.emit("orders/updated", payloads.order(store, order))
    return fulfillment


def _fulfillment_status(order: Order) -> str | None:
    """The order's REST `fulfillment_status`: `fulfilled`, `partial`, or null (nothing shipped)."""
    live = [li for li in order.line_items if li.current_quantity > 0]
    if live and all(li.fulfilled_quantity >= li.current_quantity for li in live):
        return "fulfilled"
    return "partial" if any(li.fulfilled_quantity > 0 for li in order.line_items) else None


def refund_order(store: ShopifyStore, order_id: int, lines: dict[int, int], restock: bool = True) -> Refund:
    """Refund quantities per line item id; restocked units return to `available`."""
    order = store.orders.get(order_id)
    if order is None:
        raise OrderFlowError("NOT_FOUND", f"order {order_id} not found")
    by_id = {li.id: li for li in order.line_items}
    for lid, qty in lines.items():
        if lid not in by_id or qty <= 0 or qty > by_id[lid].current_quantity:
            raise OrderFlowError("INVALID_REFUND", f"cannot refund {qty} of line {lid}")
    now = store.clock.now()
    kinds = [_restock_type(by_id[lid], restock) for lid in lines]
    refund = Refund(store.next_id(), order.id, now, list(lines.items()), restock, kinds)
    for lid, qty in lines.items():
        li = by_id[lid]
        unfulfilled = li.current_quantity - li.fulfilled_quantity
        li.refunded_quantity += qty
        level = store.levels.get((store.variants[li.variant_id].inventory_item_id, li.location_id))
        if level is None:
            continue
        from_committed = min(qty, max(unfulfilled, 0))
        moves = {"committed": -from_committed} if from_committed else {}
        if restock:
            moves["available"] = qty
        if moves:
            store.move_for_order(level, moves)
    order.refunds.append(refund)
    full = all(li.current_quantity == 0 for li in order.line_items)
    order.financial_status = "refunded" if full else "partially_refunded"
    order.updated_at = now
    store.emit("refunds/create", payloads.refund(order, refund))
    store.emit("orders/updated", payloads.order(store, order))
    return refund


def _restock_type(line: LineItem, restock: bool) -> str:
    """Restocking units never shipped cancels them; restocking shipped ones is a return. Fixed
    when the refund is made: a later fulfilment of the line does not change what this refund was."""
    if not restock:
        return "no_restock"
    return "cancel" if line.fulfilled_quantity == 0 else "return"


def _get_open_order(store: ShopifyStore, order_id: int) -> Order:
    order = store.orders.get(order_id)
    if order is None:
        raise OrderFlowError("NOT_FOUND", f"order {order_id} not found")
    if order.cancelled_at is not None:
        raise OrderFlowError("ALREADY_CANCELLED", f"order {order_id} is cancelled")
    return order
