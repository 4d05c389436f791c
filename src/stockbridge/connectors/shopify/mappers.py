"""Shopify GraphQL nodes <-> the connector's value types. Pure functions, no I/O.

External ids are Shopify GIDs (`gid://shopify/InventoryItem/123`), kept as strings; `to_gid`
also accepts the bare numbers found in REST-style webhook payloads. Order status is reduced to
the hub's four: a cancelled order is "cancelled" whatever else it is, a fully refunded one
"refunded", a fulfilled one "fulfilled", anything else "open".
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from stockbridge.connectors.base import (
    LevelChange,
    OrderLine,
    RemoteLevel,
    RemoteLocation,
    RemoteOrder,
    RemoteVariant,
)

_GID = re.compile(r"^gid://shopify/(\w+)/(\d+)(?:\?.*)?$")
Node = Mapping[str, Any]
OrderStatus = Literal["open", "cancelled", "fulfilled", "refunded"]


def to_gid(kind: str, value: str | int) -> str:
    """`123`, `"123"` or a GID of that kind -> the GID; anything else is a ValueError."""
    text = str(value)
    if text.isdigit():
        return f"gid://shopify/{kind}/{text}"
    match = _GID.match(text)
    if match is None or match.group(1) != kind:
        raise ValueError(f"not a {kind} id: {text!r}")
    return f"gid://shopify/{kind}/{match.group(2)}"


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def shopify_search_time(moment: datetime) -> str:
    """A search-syntax timestamp, floored to the second (Shopify's `updated_at` granularity)."""
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def location(node: Node) -> RemoteLocation:
    return RemoteLocation(location_id=str(node["id"]), name=str(node["name"]), active=bool(node["isActive"]))


def variant(node: Node) -> RemoteVariant:
    item = node.get("inventoryItem") or {}
    product = node.get("product") or {}
    return RemoteVariant(
        item_id=str(item["id"]),
        sku=node.get("sku") or None,
        title=str(node.get("title") or ""),
        product_id=product.get("id"),
        variant_id=str(node["id"]),
        tracked=bool(item.get("tracked", True)),
        updated_at=parse_time(node.get("updatedAt")),
    )


def available_of(level_node: Node) -> int:
    for quantity in level_node.get("quantities") or ():
        if quantity.get("name") == "available":
            return int(quantity["quantity"])
    raise ValueError("level has no 'available' quantity")


def level(item_id: str, level_node: Node) -> RemoteLevel:
    return RemoteLevel(
        item_id=item_id, location_id=str(level_node["location"]["id"]), available=available_of(level_node)
    )


def order_status(node: Node) -> OrderStatus:
    if node.get("cancelledAt"):
        return "cancelled"
    if node.get("displayFinancialStatus") == "REFUNDED":
        return "refunded"
    if node.get("displayFulfillmentStatus") == "FULFILLED":
        return "fulfilled"
    return "open"


def order_line(node: Node) -> OrderLine:
    variant_node = node.get("variant") or {}
    item = variant_node.get("inventoryItem") or {}
    return OrderLine(item_id=item.get("id"), sku=node.get("sku") or None, quantity=int(node["quantity"]))


def order(node: Node, line_nodes: Sequence[Node]) -> RemoteOrder:
    """`raw` is the order node with all of its `line_nodes` as one page of `lineItems`."""
    updated = parse_time(node.get("updatedAt"))
    if updated is None:
        raise ValueError(f"order {node.get('id')} has no updatedAt")
    whole = {"nodes": list(line_nodes), "pageInfo": {"hasNextPage": False, "endCursor": None}}
    return RemoteOrder(
        order_id=str(node["id"]),
        status=order_status(node),
        updated_at=updated,
        lines=tuple(order_line(n) for n in line_nodes),
        raw={**node, "lineItems": whole},
    )


def quantity_input(change: LevelChange) -> dict[str, Any]:
    """One `InventoryQuantityInput`; `changeFromQuantity` is always present (null = no check)."""
    if change.location_id is None:
        raise ValueError("Shopify levels are per location: location_id is required")
    return {
        "inventoryItemId": to_gid("InventoryItem", change.item_id),
        "locationId": to_gid("Location", change.location_id),
        "quantity": change.quantity,
        "changeFromQuantity": change.expected,
    }
