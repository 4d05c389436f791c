"""How the emulator answers GraphQL reads: a resolver table keyed by (type, field) over the store.

graphql-core executes the validated document against the real schema; `resolve_field` looks up a
registered resolver first, then falls back to the record's snake_case attribute (ids become GIDs,
datetimes ISO-8601 `Z`, money two-decimal strings). Lists are filtered with Shopify search syntax,
sorted by the requested sort key, then paginated. Root fields register from `queries.py`,
mutations from `inventory.py` and `subscriptions.py`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from graphql import GraphQLResolveInfo

from stockbridge.sandbox.shopify.connections import IGNORED, matches, paginate, parse_query
from stockbridge.sandbox.shopify.idempotency import IdempotencyCache
from stockbridge.sandbox.shopify.models import Customer, InventoryLevel, Order, Product, Variant
from stockbridge.sandbox.shopify.store import ShopifyStore
from stockbridge.sandbox.webhooks import WebhookDispatcher

Info = GraphQLResolveInfo[Any]
Resolver = Callable[[Any, Info, dict[str, Any]], Any]
RESOLVERS: dict[tuple[str, str], Resolver] = {}
_GID = re.compile(r"^gid://shopify/(\w+)/(\d+)(\?.*)?$")


@dataclass
class RequestContext:
    store: ShopifyStore
    version: str
    idempotency: IdempotencyCache
    webhooks: WebhookDispatcher


def resolver(type_name: str, *field_names: str) -> Callable[[Resolver], Resolver]:
    def register(fn: Resolver) -> Resolver:
        for name in field_names:
            RESOLVERS[(type_name, name)] = fn
        return fn

    return register


def parse_gid(value: Any, kind: str) -> int | None:
    match = _GID.match(value) if isinstance(value, str) else None
    if match is None or match.group(1) != kind:
        return None
    return int(match.group(2))


def store_of(info: Info) -> ShopifyStore:
    context: RequestContext = info.context
    return context.store


def resolve_field(parent: Any, info: Info, **args: Any) -> Any:
    fn = RESOLVERS.get((info.parent_type.name, info.field_name))
    if fn is not None:
        return fn(parent, info, args)
    if isinstance(parent, dict):
        value = parent.get(info.field_name)
    elif info.field_name == "id":
        value = getattr(parent, "gid", None)
    elif info.field_name == "legacyResourceId":
        value = str(parent.id)
    else:
        value = getattr(parent, _snake(info.field_name), None)
    return _scalar(value)


def resolve_type(value: Any, info: Info, abstract: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("__typename")
    return getattr(value, "graphql_type", None)


def iso_utc(moment: datetime) -> str:
    """Shopify's DateTime format: `2026-05-01T12:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _scalar(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return value


def money_bag(amount: Decimal, currency: str = "USD") -> dict[str, Any]:
    money = {"amount": f"{amount:.2f}", "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": money}


def page(
    items: list[Any], args: dict[str, Any], value_of: Callable[[Any], Any] | None = None
) -> dict[str, Any]:
    """A page of `items` (in (`value_of`, id) order; by default in id order)."""
    descending = bool(args.get("reverse"))
    if descending:
        items = list(reversed(items))
    return paginate(
        items,
        lambda r: int(r.id),
        args.get("first"),
        args.get("after"),
        args.get("last"),
        args.get("before"),
        value_of=value_of,
        descending=descending,
    )


def filtered(records: list[Any], args: dict[str, Any], get: Callable[[Any, str], Any]) -> list[Any]:
    terms = parse_query(args.get("query"))
    return [r for r in records if matches(r, terms, get)]


def common_field(record: Any, name: str) -> Any:
    if name == "id":
        return int(record.id)
    if name in ("created_at", "updated_at", "sku", "title", "status", "email", "name"):
        value = getattr(record, name, None)
        return value.lower() if name == "status" and isinstance(value, str) else value
    return None


SORT_ATTR = {
    "UPDATED_AT": "updated_at",
    "CREATED_AT": "created_at",
    "PROCESSED_AT": "created_at",
    "TITLE": "title",
    "ID": "id",
    "NAME": "name",
    "SKU": "sku",
}


def sort_value(sort_key: Any, default: str = "ID") -> Callable[[Any], Any]:
    """A record's value of the sort key asked for (records tie on it in id order)."""
    attr = SORT_ATTR.get(str(sort_key or default), "id")
    return lambda r: getattr(r, attr, None) or ""


def sorted_records(records: list[Any], sort_key: Any, default: str = "ID") -> list[Any]:
    value = sort_value(sort_key, default)
    return sorted(records, key=lambda r: (value(r), r.id))


def sorted_page(records: list[Any], args: dict[str, Any], default: str = "ID") -> dict[str, Any]:
    """A root list: sorted by `sortKey` (and id), reversed by `reverse`, then paged by cursors
    that name the sort key's value, so a record re-sorted mid-listing skips no other."""
    sort_key = args.get("sortKey")
    return page(sorted_records(records, sort_key, default), args, sort_value(sort_key, default))


# --- nested fields ----------------------------------------------------------------------


@resolver("Product", "variants")
def _product_variants(product: Product, info: Info, args: dict[str, Any]) -> Any:
    store = store_of(info)
    return page([store.variants[v] for v in product.variant_ids], args)


@resolver("Product", "totalInventory")
def _total_inventory(product: Product, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).total_inventory(product)


@resolver("Product", "tracksInventory")
def _tracks(product: Product, info: Info, args: dict[str, Any]) -> Any:
    store = store_of(info)
    return any(store.items[store.variants[v].inventory_item_id].tracked for v in product.variant_ids)


@resolver("Product", "variantsCount")
def _variants_count(product: Product, info: Info, args: dict[str, Any]) -> Any:
    return {"count": len(product.variant_ids), "precision": "EXACT"}


@resolver("ProductVariant", "product")
def _variant_product(variant: Variant, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).products[variant.product_id]


@resolver("ProductVariant", "inventoryItem")
def _variant_item(variant: Variant, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).items[variant.inventory_item_id]


@resolver("ProductVariant", "inventoryQuantity")
def _variant_quantity(variant: Variant, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).inventory_quantity(variant)


@resolver("InventoryItem", "variant")
def _item_variant(item: Any, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).variants[item.variant_id]


@resolver("InventoryItem", "variants")
def _item_variants(item: Any, info: Info, args: dict[str, Any]) -> Any:
    return page([store_of(info).variants[item.variant_id]], args)


@resolver("InventoryItem", "inventoryLevels")
def _item_levels(item: Any, info: Info, args: dict[str, Any]) -> Any:
    levels = store_of(info).levels_of_item(item.id, bool(args.get("includeInactive")))
    # Captured: on an item's levels only `inventory_item_id` narrows; `location_id` is ignored.
    return page(filtered(levels, args, _level_field), args)


def _level_field(level: Any, name: str) -> Any:
    return level.item_id if name == "inventory_item_id" else IGNORED


@resolver("InventoryItem", "inventoryLevel")
def _item_level(item: Any, info: Info, args: dict[str, Any]) -> Any:
    location_id = parse_gid(args["locationId"], "Location")
    level = store_of(info).levels.get((item.id, location_id or 0))
    return level if level and (level.is_active or args.get("includeInactive")) else None


@resolver("Location", "inventoryLevels")
def _location_levels(location: Any, info: Info, args: dict[str, Any]) -> Any:
    return page(store_of(info).levels_at_location(location.id), args)


@resolver("Location", "inventoryLevel")
def _location_level(location: Any, info: Info, args: dict[str, Any]) -> Any:
    item_id = parse_gid(args["inventoryItemId"], "InventoryItem")
    return store_of(info).find_level(item_id or 0, location.id)


@resolver("Location", "hasActiveInventory")
def _has_inventory(location: Any, info: Info, args: dict[str, Any]) -> Any:
    return bool(store_of(info).levels_at_location(location.id))


@resolver("Location", "isPrimary")
def _is_primary(location: Any, info: Info, args: dict[str, Any]) -> Any:
    return location.id == min(store_of(info).locations)


@resolver("InventoryLevel", "item")
def _level_item(level: InventoryLevel, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).items[level.item_id]


@resolver("InventoryLevel", "location")
def _level_location(level: InventoryLevel, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).locations[level.location_id]


@resolver("InventoryLevel", "canDeactivate")
def _can_deactivate(level: InventoryLevel, info: Info, args: dict[str, Any]) -> Any:
    return len(store_of(info).levels_of_item(level.item_id)) > 1


@resolver("InventoryLevel", "quantities")
def _quantities(level: InventoryLevel, info: Info, args: dict[str, Any]) -> Any:
    out = []
    for name in args["names"]:
        if name not in (*level.stored, "on_hand"):
            continue
        updated = level.name_updated_at.get(name)
        out.append(
            {
                "id": f"gid://shopify/InventoryQuantity/{level.id}?inventory_item_id={level.item_id}&name={name}",
                "name": name,
                "quantity": level.quantity(name),
                "updatedAt": iso_utc(updated) if updated else None,
            }
        )
    return out


@resolver("Order", "lineItems")
def _line_items(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return page(order.line_items, args)


@resolver("Order", "customer")
def _order_customer(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).customers.get(order.customer_id or 0)


@resolver("Order", "displayFinancialStatus")
def _financial(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return order.financial_status.upper()


@resolver("Order", "displayFulfillmentStatus")
def _fulfillment(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return _DISPLAY_FULFILLMENT.get(order.fulfillment_status or "unfulfilled", "UNFULFILLED")


# REST `fulfillment_status` -> `OrderDisplayFulfillmentStatus`
_DISPLAY_FULFILLMENT = {
    "unfulfilled": "UNFULFILLED",
    "partial": "PARTIALLY_FULFILLED",
    "fulfilled": "FULFILLED",
}


@resolver("Order", "totalPriceSet", "subtotalPriceSet", "currentTotalPriceSet")
def _order_total(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return money_bag(order.total_price, order.currency)


@resolver("Order", "closed")
def _closed(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return order.closed_at is not None


@resolver("Order", "currencyCode")
def _currency(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return order.currency


@resolver("Order", "cancelReason")
def _cancel_reason(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return order.cancel_reason.upper() if order.cancel_reason else None


@resolver("Order", "processedAt")
def _processed(order: Order, info: Info, args: dict[str, Any]) -> Any:
    return iso_utc(order.created_at)


@resolver("LineItem", "variant")
def _line_variant(line: Any, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).variants.get(line.variant_id)


@resolver("LineItem", "product")
def _line_product(line: Any, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).products.get(line.product_id)


@resolver("LineItem", "name")
def _line_name(line: Any, info: Info, args: dict[str, Any]) -> Any:
    return line.title


@resolver("LineItem", "originalUnitPriceSet")
def _line_price(line: Any, info: Info, args: dict[str, Any]) -> Any:
    return money_bag(line.price)


@resolver("Customer", "displayName")
def _display_name(customer: Customer, info: Info, args: dict[str, Any]) -> Any:
    name = " ".join(p for p in (customer.first_name, customer.last_name) if p)
    return name or customer.email or ""


@resolver("Customer", "defaultEmailAddress")
def _email(customer: Customer, info: Info, args: dict[str, Any]) -> Any:
    return {"emailAddress": customer.email} if customer.email else None


@resolver("Customer", "numberOfOrders")
def _order_count(customer: Customer, info: Info, args: dict[str, Any]) -> Any:
    return str(sum(1 for o in store_of(info).orders.values() if o.customer_id == customer.id))


@resolver("InventoryChange", "item")
def _change_item(change: Any, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).items.get(change.item_id)


@resolver("InventoryChange", "location")
def _change_location(change: Any, info: Info, args: dict[str, Any]) -> Any:
    return store_of(info).locations.get(change.location_id)


@resolver("InventoryAdjustmentGroup", "changes")
def _group_changes(group: Any, info: Info, args: dict[str, Any]) -> Any:
    items = {parse_gid(i, "InventoryItem") for i in args.get("inventoryItemIds") or []}
    locations = {parse_gid(i, "Location") for i in args.get("locationIds") or []}
    names = set(args.get("quantityNames") or [])
    return [
        c
        for c in group.changes
        if (not items or c.item_id in items)
        and (not locations or c.location_id in locations)
        and (not names or c.name in names)
    ]
