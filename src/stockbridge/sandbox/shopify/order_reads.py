"""What an order has shipped and refunded, as the Admin GraphQL API reads it.

`Order.fulfillments` and `Order.refunds` are plain lists (`first` truncates them, and without it
every one comes back), each fulfilment with its `fulfillmentLineItems` and each refund with its
`refundLineItems` (`quantity`, `restockType`, `location`, `lineItem`) as connections; `fulfillment`
and `refund` look one up by GID at the root, as do `node`/`nodes`. Adding either moves the
order's `updatedAt` (see `orders.py`), which is how a poller by `updated_at` finds them.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from stockbridge.sandbox.shopify.connections import paginate
from stockbridge.sandbox.shopify.models import Fulfillment, FulfillmentLine, Order, Refund, RefundLine
from stockbridge.sandbox.shopify.resolvers import (
    Info,
    iso_utc,
    money_bag,
    page,
    parse_gid,
    resolver,
    store_of,
)
from stockbridge.sandbox.shopify.store import ShopifyStore


def find_fulfillment(store: ShopifyStore, number: int | None) -> Fulfillment | None:
    found = (f for o in store.orders.values() for f in o.fulfillments if f.id == number)
    return next(found, None)


def find_refund(store: ShopifyStore, number: int | None) -> Refund | None:
    return next((r for o in store.orders.values() for r in o.refunds if r.id == number), None)


def fulfillment_lines(order: Order, fulfillment: Fulfillment) -> list[FulfillmentLine]:
    by_id = {li.id: li for li in order.line_items}
    return [
        FulfillmentLine(fulfillment.line_id(i), by_id[lid], qty)
        for i, (lid, qty) in enumerate(fulfillment.lines)
    ]


def refund_lines(order: Order, refund: Refund) -> list[RefundLine]:
    by_id = {li.id: li for li in order.line_items}
    lines = []
    for index, (lid, qty) in enumerate(refund.lines):
        kind, li = refund.restock_type(index), by_id[lid]
        location = li.location_id if kind != "no_restock" else None
        lines.append(RefundLine(refund.line_id(index), li, qty, kind, location))
    return lines


def _truncated(items: list[Any], args: dict[str, Any]) -> list[Any]:
    first = args.get("first")
    return items if first is None else items[: max(first, 0)]


def _empty_connection() -> dict[str, Any]:
    return paginate([], int, first=0)


@resolver("Order", "fulfillments")
def _order_fulfillments(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return _truncated(order.fulfillments, args)


@resolver("Order", "refunds")
def _order_refunds(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return _truncated(order.refunds, args)


@resolver("Order", "fulfillmentsCount")
def _fulfillments_count(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return {"count": len(order.fulfillments), "precision": "EXACT"}


@resolver("QueryRoot", "fulfillment")
def _fulfillment_by_id(_: Any, info: Info, args: dict[str, Any]) -> Any:
    return find_fulfillment(store_of(info), parse_gid(args.get("id"), "Fulfillment"))


@resolver("QueryRoot", "refund")
def _refund_by_id(_: Any, info: Info, args: dict[str, Any]) -> Any:
    return find_refund(store_of(info), parse_gid(args.get("id"), "Refund"))


# --- Fulfillment ---------------------------------------------------------------------------


@resolver("Refund", "order")
@resolver("Fulfillment", "order")
def _parent_order(record: Fulfillment | Refund, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).orders[record.order_id]


@resolver("Fulfillment", "status")
def _fulfillment_status(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    return fulfillment.status.upper()


@resolver("Fulfillment", "displayStatus")
def _fulfillment_display(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    # `FulfillmentDisplayStatus` spells it CANCELED, `FulfillmentStatus` CANCELLED.
    shown = {"success": "FULFILLED", "cancelled": "CANCELED"}
    return shown.get(fulfillment.status, fulfillment.status.upper())


@resolver("Fulfillment", "name")
def _fulfillment_name(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    order = store_of(info).orders[fulfillment.order_id]
    return f"{order.name}.{order.fulfillments.index(fulfillment) + 1}"


@resolver("Fulfillment", "location")
def _fulfillment_location(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).locations.get(fulfillment.location_id)


@resolver("Fulfillment", "totalQuantity")
def _fulfillment_total(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    return sum(qty for _, qty in fulfillment.lines)


@resolver("Fulfillment", "requiresShipping")
def _fulfillment_ships(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    return True


@resolver("Fulfillment", "trackingInfo")
def _fulfillment_tracking(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    return []


@resolver("Fulfillment", "fulfillmentLineItems")
def _fulfillment_line_items(fulfillment: Fulfillment, info: Info, args: dict[str, Any]) -> Any:
    order = store_of(info).orders[fulfillment.order_id]
    return page(fulfillment_lines(order, fulfillment), args)


@resolver("FulfillmentLineItem", "originalTotalSet", "discountedTotalSet")
def _fulfillment_line_total(line: FulfillmentLine, info: Info, args: dict[str, Any]) -> Any:
    return money_bag(line.line_item.price * line.quantity)


# --- Refund --------------------------------------------------------------------------------


@resolver("Refund", "processedAt", "updatedAt")
def _refund_time(refund: Refund, info: Info, args: dict[str, Any]) -> Any:
    return iso_utc(refund.created_at)


@resolver("Refund", "refundLineItems")
def _refund_line_items(refund: Refund, info: Info, args: dict[str, Any]) -> Any:
    order = store_of(info).orders[refund.order_id]
    return page(refund_lines(order, refund), args)


@resolver("Refund", "totalRefundedSet")
def _refund_total(refund: Refund, info: Info, args: dict[str, Any]) -> Any:
    order = store_of(info).orders[refund.order_id]
    total = sum((line.line_item.price * line.quantity for line in refund_lines(order, refund)), Decimal(0))
    return money_bag(total, order.currency)


@resolver("Refund", "transactions", "refundShippingLines", "orderAdjustments")
def _refund_empty(refund: Refund, info: Info, args: dict[str, Any]) -> Any:
    return _empty_connection()


@resolver("Refund", "duties")
def _refund_duties(refund: Refund, info: Info, args: dict[str, Any]) -> Any:
    return []


@resolver("RefundLineItem", "restockType")
def _restock_type(line: RefundLine, info: Info, args: dict[str, Any]) -> Any:
    return line.restock_type.upper()


@resolver("RefundLineItem", "restocked")
def _restocked(line: RefundLine, info: Info, args: dict[str, Any]) -> Any:
    return line.restock_type != "no_restock"


@resolver("RefundLineItem", "location")
def _refund_location(line: RefundLine, info: Info, args: dict[str, Any]) -> Any:
    return None if line.location_id is None else store_of(info).locations.get(line.location_id)


@resolver("RefundLineItem", "priceSet")
def _refund_price(line: RefundLine, info: Info, args: dict[str, Any]) -> Any:
    return money_bag(line.line_item.price)


@resolver("RefundLineItem", "subtotalSet")
def _refund_subtotal(line: RefundLine, info: Info, args: dict[str, Any]) -> Any:
    return money_bag(line.line_item.price * line.quantity)


@resolver("RefundLineItem", "totalTaxSet")
def _refund_tax(line: RefundLine, info: Info, args: dict[str, Any]) -> Any:
    return money_bag(Decimal(0))
