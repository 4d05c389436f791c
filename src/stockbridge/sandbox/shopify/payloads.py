"""REST-style JSON bodies of Shopify webhooks (and of the emulator's state dump).

Webhook payloads are versioned REST representations: snake_case keys, numeric ids, money as
strings, `*_set` money objects, `admin_graphql_api_id` carrying the GID. `inventory_levels/update`
carries only `available`. Field lists follow Shopify's documented samples (see
platform-apis.md §1.11); fields the emulator has no data for are sent as null or empty.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from stockbridge.sandbox.shopify.models import (
    Customer,
    Fulfillment,
    InventoryLevel,
    LineItem,
    Location,
    Order,
    Product,
    Refund,
)

if TYPE_CHECKING:
    from stockbridge.sandbox.shopify.store import ShopifyStore


def ts(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="seconds")


def money(amount: Decimal, currency: str = "USD") -> dict[str, Any]:
    value = f"{amount:.2f}"
    return {
        "shop_money": {"amount": value, "currency_code": currency},
        "presentment_money": {"amount": value, "currency_code": currency},
    }


def inventory_level(level: InventoryLevel, updated_at: datetime) -> dict[str, Any]:
    return {
        "inventory_item_id": level.item_id,
        "location_id": level.location_id,
        "available": level.quantity("available"),
        "updated_at": ts(updated_at),
        "admin_graphql_api_id": level.gid,
    }


def location(loc: Location) -> dict[str, Any]:
    return {"id": loc.id, "name": loc.name, "active": loc.is_active, "admin_graphql_api_id": loc.gid}


def product(store: ShopifyStore, prod: Product) -> dict[str, Any]:
    variants = []
    for vid in prod.variant_ids:
        v = store.variants[vid]
        variants.append(
            {
                "id": v.id,
                "product_id": prod.id,
                "title": v.title,
                "price": f"{v.price:.2f}",
                "sku": v.sku,
                "position": v.position,
                "inventory_policy": v.inventory_policy.lower(),
                "barcode": v.barcode,
                "taxable": v.taxable,
                "inventory_item_id": v.inventory_item_id,
                "inventory_quantity": store.inventory_quantity(v),
                "created_at": ts(v.created_at),
                "updated_at": ts(v.updated_at),
                "admin_graphql_api_id": v.gid,
            }
        )
    return {
        "id": prod.id,
        "title": prod.title,
        "handle": prod.handle,
        "body_html": "",
        "vendor": prod.vendor,
        "product_type": prod.product_type,
        "status": prod.status.lower(),
        "tags": ", ".join(prod.tags),
        "created_at": ts(prod.created_at),
        "updated_at": ts(prod.updated_at),
        "published_at": ts(prod.created_at),
        "admin_graphql_api_id": prod.gid,
        "variants": variants,
        "options": [{"name": "Title", "position": 1, "values": [v["title"] for v in variants]}],
        "images": [],
    }


def customer(cust: Customer) -> dict[str, Any]:
    return {
        "id": cust.id,
        "email": cust.email,
        "first_name": cust.first_name,
        "last_name": cust.last_name,
        "phone": cust.phone,
        "tags": ", ".join(cust.tags),
        "created_at": ts(cust.created_at),
        "updated_at": ts(cust.updated_at),
        "admin_graphql_api_id": cust.gid,
    }


def line_item(item: LineItem, currency: str) -> dict[str, Any]:
    return {
        "id": item.id,
        "admin_graphql_api_id": item.gid,
        "variant_id": item.variant_id,
        "product_id": item.product_id,
        "sku": item.sku,
        "title": item.title,
        "name": item.title,
        "quantity": item.quantity,
        "current_quantity": item.current_quantity,
        "fulfillable_quantity": max(0, item.current_quantity - item.fulfilled_quantity),
        "price": f"{item.price:.2f}",
        "price_set": money(item.price, currency),
        "discount_allocations": [],
        "tax_lines": [],
        "requires_shipping": True,
        "fulfillment_status": "fulfilled" if item.fulfilled_quantity >= item.current_quantity else None,
    }


def order(store: ShopifyStore, o: Order) -> dict[str, Any]:
    total = o.total_price
    cust = store.customers.get(o.customer_id) if o.customer_id else None
    return {
        "id": o.id,
        "admin_graphql_api_id": o.gid,
        "name": o.name,
        "order_number": o.number,
        "email": o.email,
        "contact_email": o.email,
        "created_at": ts(o.created_at),
        "updated_at": ts(o.updated_at),
        "processed_at": ts(o.created_at),
        "cancelled_at": ts(o.cancelled_at),
        "cancel_reason": o.cancel_reason,
        "closed_at": ts(o.closed_at),
        "currency": o.currency,
        "presentment_currency": o.currency,
        "financial_status": o.financial_status,
        "fulfillment_status": o.fulfillment_status,
        "total_price": f"{total:.2f}",
        "subtotal_price": f"{total:.2f}",
        "total_tax": "0.00",
        "total_discounts": "0.00",
        "total_price_set": money(total, o.currency),
        "tags": "",
        "note": None,
        "source_name": o.source_name,
        "test": o.test,
        "customer": customer(cust) if cust else None,
        "billing_address": None,
        "shipping_address": None,
        "line_items": [line_item(li, o.currency) for li in o.line_items],
        "shipping_lines": [],
        "fulfillments": [fulfillment(o, f) for f in o.fulfillments],
        "refunds": [refund(o, r) for r in o.refunds],
    }


def refund(o: Order, r: Refund) -> dict[str, Any]:
    by_id = {li.id: li for li in o.line_items}
    lines = []
    for index, (line_id, qty) in enumerate(r.lines):
        li = by_id[line_id]
        restock_type = r.restock_type(index)
        lines.append(
            {
                "id": r.line_id(index),
                "line_item_id": line_id,
                "quantity": qty,
                "restock_type": restock_type,
                "location_id": li.location_id if restock_type != "no_restock" else None,
                "subtotal": f"{li.price * qty:.2f}",
                "line_item": line_item(li, o.currency),
            }
        )
    return {
        "id": r.id,
        "admin_graphql_api_id": r.gid,
        "order_id": o.id,
        "created_at": ts(r.created_at),
        "processed_at": ts(r.created_at),
        "restock": r.restock,
        "note": None,
        "refund_line_items": lines,
        "transactions": [],
        "order_adjustments": [],
    }


def fulfillment(o: Order, f: Fulfillment) -> dict[str, Any]:
    """The REST Fulfillment, as `fulfillments/create` and `fulfillments/update` carry it (a
    cancelled one keeps its line items, with `status: "cancelled"`)."""
    by_id = {li.id: li for li in o.line_items}
    return {
        "id": f.id,
        "admin_graphql_api_id": f.gid,
        "order_id": o.id,
        "location_id": f.location_id,
        "name": f"{o.name}.{o.fulfillments.index(f) + 1}",
        "status": f.status,
        "service": "manual",
        "shipment_status": None,
        "email": o.email or "",
        "destination": None,
        "created_at": ts(f.created_at),
        "updated_at": ts(f.updated_at),
        "tracking_company": None,
        "tracking_number": None,
        "tracking_numbers": [],
        "tracking_url": None,
        "tracking_urls": [],
        "receipt": {},
        "line_items": [{**line_item(by_id[lid], o.currency), "quantity": qty} for lid, qty in f.lines],
    }
