"""WooCommerce JSON <-> the connector's values. Pure.

Item ids name stock-holding records: a product's stock is `"<product id>"`, a variation's
`"<product id>/<variation id>"`. Variations whose `manage_stock` is `"parent"` hold no stock of
their own: the variable product is then the item (one number for all of them), and those
variations are not items themselves. WooCommerce has one stock number per item and no locations:
levels and order lines carry `location_id=None` (the connector still lists one synthetic
location, so bindings have something to name).
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
    ref = ItemRef(int(product["id"]), int(variation["id"]))
    options = ", ".join(str(a.get("option", "")) for a in variation.get("attributes") or [])
    return RemoteVariant(
        item_id=ref.item_id,
        sku=variation.get("sku") or None,
        title=f"{product.get('name', '')} - {options}" if options else str(product.get("name") or ""),
        product_id=str(product["id"]),
        variant_id=str(variation["id"]),
        tracked=manages_own_stock(variation),
        updated_at=parse_gmt(variation.get("date_modified_gmt")),
    )


def level(item_id: str, node: Node) -> RemoteLevel | None:
    """The item's stock, or None when WooCommerce does not manage it (no number to read)."""
    if not manages_own_stock(node) or node.get("stock_quantity") is None:
        return None
    return RemoteLevel(item_id, None, int(node["stock_quantity"]))


def order(node: Node) -> RemoteOrder:
    updated = parse_gmt(node.get("date_modified_gmt")) or parse_gmt(node.get("date_created_gmt"))
    if updated is None:
        raise ValueError(f"order {node.get('id')} has no date_modified_gmt")
    return RemoteOrder(
        order_id=str(node["id"]),
        status=ORDER_STATUSES.get(str(node.get("status")), "open"),
        updated_at=updated,
        lines=tuple(order_line(line) for line in node.get("line_items") or []),
        raw=node,
    )


def order_line(line: Node) -> OrderLine:
    """The line's item as the variant it names; for a variation that inherits its parent's stock
    that id is not an item (the binder then falls back to the line's SKU)."""
    product_id, variation_id = int(line.get("product_id") or 0), int(line.get("variation_id") or 0)
    item = ItemRef(product_id, variation_id or None).item_id if product_id else None
    return OrderLine(item, line.get("sku") or None, int(line.get("quantity") or 0), None)


def meta_int(node: Node, key: str) -> int:
    """An integer item meta value (`_reduced_stock`, `_restock_refunded_items`; REST shows hidden
    keys in `meta_data`), 0 when absent or not a number."""
    for meta in node.get("meta_data") or []:
        if meta.get("key") == key:
            try:
                return int(str(meta.get("value")))
            except ValueError:
                return 0
    return 0


def stock_update(ref: ItemRef, quantity: int) -> dict[str, Any]:
    """One `update` entry of a products or variations batch: the id and the new stock_quantity."""
    return {
        "id": ref.variation_id if ref.variation_id is not None else ref.product_id,
        "stock_quantity": quantity,
    }


def by_id(nodes: Sequence[Node]) -> dict[int, Node]:
    return {int(n["id"]): n for n in nodes}
