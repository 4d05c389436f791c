"""Root query fields of the Shopify emulator: lists with search, sort and pagination; lookups by id.

`products`, `productVariants`, `inventoryItems`, `locations`, `orders`, `customers` filter with
Shopify search syntax (see `connections.py`), sort by `sortKey`/`reverse`, then paginate. Single
lookups take a GID of the right kind and answer null for anything else; `node`/`nodes` accept any
supported GID, including InventoryLevel GIDs with their `?inventory_item_id=` suffix and an order's
fulfilments and refunds.
"""

from __future__ import annotations

from typing import Any

from stockbridge.sandbox.shopify.models import Order
from stockbridge.sandbox.shopify.order_reads import find_fulfillment, find_refund
from stockbridge.sandbox.shopify.resolvers import (
    RESOLVERS,
    Info,
    Resolver,
    common_field,
    filtered,
    parse_gid,
    resolver,
    sorted_page,
    store_of,
)
from stockbridge.sandbox.shopify.store import ShopifyStore


@resolver("QueryRoot", "products")
def _products(_: Any, info: Info, args: dict[str, Any]) -> Any:
    records = filtered(list(store_of(info).products.values()), args, common_field)
    return sorted_page(records, args)


@resolver("QueryRoot", "productVariants")
def _variants(_: Any, info: Info, args: dict[str, Any]) -> Any:
    records = filtered(list(store_of(info).variants.values()), args, common_field)
    return sorted_page(records, args)


@resolver("QueryRoot", "inventoryItems")
def _items(_: Any, info: Info, args: dict[str, Any]) -> Any:
    records = filtered(list(store_of(info).items.values()), args, common_field)
    return sorted_page(records, {**args, "sortKey": None})


@resolver("QueryRoot", "locations")
def _locations(_: Any, info: Info, args: dict[str, Any]) -> Any:
    records = [
        loc for loc in store_of(info).locations.values() if loc.is_active or args.get("includeInactive")
    ]
    return sorted_page(filtered(records, args, common_field), args, "NAME")


@resolver("QueryRoot", "orders")
def _orders(_: Any, info: Info, args: dict[str, Any]) -> Any:
    records = filtered(list(store_of(info).orders.values()), args, _order_field)
    return sorted_page(records, args, "PROCESSED_AT")


def _order_field(order: Order, name: str) -> Any:
    if name == "status":
        return "cancelled" if order.cancelled_at else ("closed" if order.closed_at else "open")
    if name == "financial_status":
        return order.financial_status
    if name == "fulfillment_status":
        return order.fulfillment_status or "unfulfilled"
    if name == "sku":
        skus = [li.sku for li in order.line_items]
        return next((s for s in skus if s), None)
    return common_field(order, name)


@resolver("QueryRoot", "customers")
def _customers(_: Any, info: Info, args: dict[str, Any]) -> Any:
    records = filtered(list(store_of(info).customers.values()), args, common_field)
    return sorted_page(records, args)


def _by_id(table: str, kind: str) -> Resolver:
    def fetch(_: Any, info: Info, args: dict[str, Any]) -> Any:
        number = parse_gid(args.get("id"), kind)
        return None if number is None else getattr(store_of(info), table).get(number)

    return fetch


for _field, _table, _kind in (
    ("product", "products", "Product"),
    ("productVariant", "variants", "ProductVariant"),
    ("inventoryItem", "items", "InventoryItem"),
    ("location", "locations", "Location"),
    ("order", "orders", "Order"),
    ("customer", "customers", "Customer"),
):
    RESOLVERS[("QueryRoot", _field)] = _by_id(_table, _kind)


@resolver("QueryRoot", "inventoryLevel")
def _level(_: Any, info: Info, args: dict[str, Any]) -> Any:
    number = parse_gid(args["id"], "InventoryLevel")
    levels = store_of(info).levels.values()
    return next((lv for lv in levels if lv.id == number), None)


@resolver("QueryRoot", "shop")
def _shop(_: Any, info: Info, args: dict[str, Any]) -> Any:
    domain = store_of(info).shop_domain
    return {
        "id": "gid://shopify/Shop/1",
        "name": domain.split(".")[0],
        "myshopifyDomain": domain,
        "currencyCode": "USD",
        "ianaTimezone": "UTC",
    }


_TABLES = {
    "Product": "products",
    "ProductVariant": "variants",
    "InventoryItem": "items",
    "Location": "locations",
    "Order": "orders",
    "Customer": "customers",
}


def find_node(store: ShopifyStore, gid: Any) -> Any:
    if not isinstance(gid, str) or not gid.startswith("gid://shopify/"):
        return None
    kind = gid.split("/")[3]
    number = parse_gid(gid, kind)
    if kind == "InventoryLevel":
        return next((lv for lv in store.levels.values() if lv.id == number), None)
    if kind == "Fulfillment":
        return find_fulfillment(store, number)
    if kind == "Refund":
        return find_refund(store, number)
    table = _TABLES.get(kind)
    return None if table is None or number is None else getattr(store, table).get(number)


@resolver("QueryRoot", "node")
def _node(_: Any, info: Info, args: dict[str, Any]) -> Any:
    return find_node(store_of(info), args["id"])


@resolver("QueryRoot", "nodes")
def _nodes(_: Any, info: Info, args: dict[str, Any]) -> Any:
    return [find_node(store_of(info), gid) for gid in args["ids"]]
