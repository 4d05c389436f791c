"""WooCommerce JSON <-> the connector's values. Pure.

Item ids: a simple product's stock is addressed as `"<product id>"`, a variation's as
`"<product id>/<variation id>"`. A variation whose `manage_stock` is `"parent"` has no stock of
its own: it is addressed by its parent's id, so both name one number. WooCommerce has one stock
number per item and no locations: every level is at the connection's single synthetic location.
Dates: the `*_gmt` fields are UTC without a zone; we read those and make them aware.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from stockbridge.connectors.base import OrderLine, RemoteLevel, RemoteOrder, RemoteVariant

Node = Mapping[str, Any]
OrderStatus = Literal["open", "cancelled", "fulfilled", "refunded"]
ORDER_STATUSES: Mapping[str, OrderStatus] = {
    "pending": "open",
    "processing": "open",
    "on-hold": "open",
    "checkout-draft": "open",
    "completed": "fulfilled",
    "cancelled": "cancelled",
    "failed": "cancelled",
    "trash": "cancelled",
    "refunded": "refunded",
}


@dataclass(frozen=True)
class ItemRef:
    product_id: int
    variation_id: int | None = None

    @property
    def item_id(self) -> str:
        return str(self.product_id) if self.variation_id is None else f"{self.product_id}/{self.variation_id}"


def parse_item_id(item_id: str) -> ItemRef:
    """`"12"` or `"12/34"`; ValueError for anything else."""
    head, _, tail = item_id.partition("/")
    if not head.isdigit() or (tail and not tail.isdigit()) or (_ and not tail):
        raise ValueError(f"not a WooCommerce item id: {item_id!r}")
    return ItemRef(int(head), int(tail) if tail else None)


def parse_gmt(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def gmt_param(moment: datetime) -> str:
    """A `modified_after` value: UTC, whole seconds, no zone (sent with `dates_are_gmt=true`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def manages_own_stock(node: Node) -> bool:
    return node.get("manage_stock") is True


def product_variant(product: Node) -> RemoteVariant:
    return RemoteVariant(
        item_id=str(product["id"]),
        sku=product.get("sku") or None,
        title=str(product.get("name") or ""),
        product_id=str(product["id"]),
        variant_id=None,
        tracked=manages_own_stock(product),
        updated_at=parse_gmt(product.get("date_modified_gmt")),
    )


def variation_variant(product: Node, variation: Node) -> RemoteVariant:
    inherits = variation.get("manage_stock") == "parent"
    ref = ItemRef(int(product["id"]), None if inherits else int(variation["id"]))
    options = ", ".join(str(a.get("option", "")) for a in variation.get("attributes") or [])
    return RemoteVariant(
        item_id=ref.item_id,
        sku=variation.get("sku") or None,
        title=f"{product.get('name', '')} - {options}" if options else str(product.get("name") or ""),
        product_id=str(product["id"]),
        variant_id=str(variation["id"]),
        tracked=manages_own_stock(product) if inherits else manages_own_stock(variation),
        updated_at=parse_gmt(variation.get("date_modified_gmt")),
    )


def level(item_id: str, node: Node, location_id: str) -> RemoteLevel | None:
    """The item's stock, or None when WooCommerce does not manage it (no number to read)."""
    if not manages_own_stock(node) or node.get("stock_quantity") is None:
        return None
    return RemoteLevel(item_id, location_id, int(node["stock_quantity"]))


def order(node: Node, location_id: str) -> RemoteOrder:
    updated = parse_gmt(node.get("date_modified_gmt")) or parse_gmt(node.get("date_created_gmt"))
    if updated is None:
        raise ValueError(f"order {node.get('id')} has no date_modified_gmt")
    return RemoteOrder(
        order_id=str(node["id"]),
        status=ORDER_STATUSES.get(str(node.get("status")), "open"),
        updated_at=updated,
        lines=tuple(order_line(line, location_id) for line in node.get("line_items") or []),
        raw=node,
    )


def order_line(line: Node, location_id: str) -> OrderLine:
    product_id, variation_id = int(line.get("product_id") or 0), int(line.get("variation_id") or 0)
    item = ItemRef(product_id, variation_id or None).item_id if product_id else None
    return OrderLine(item, line.get("sku") or None, int(line.get("quantity") or 0), location_id)


def stock_update(ref: ItemRef, quantity: int) -> dict[str, Any]:
    """One `update` entry of a products or variations batch: the id and the new stock_quantity."""
    return {
        "id": ref.variation_id if ref.variation_id is not None else ref.product_id,
        "stock_quantity": quantity,
    }


def by_id(nodes: Sequence[Node]) -> dict[int, Node]:
    return {int(n["id"]): n for n in nodes}
