"""REST v3 JSON of WooCommerce records (also the webhook bodies, which carry the same JSON).

Field names, types and enums follow the WooCommerce REST API v3 docs; only the fields a sync
hub reads are filled with real data, the rest carry WooCommerce's empty defaults.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stockbridge.sandbox.woocommerce.models import (
    Customer,
    Order,
    OrderLine,
    Product,
    Refund,
    Variation,
    Webhook,
)
from stockbridge.sandbox.woocommerce.rest import money, wp_date

if TYPE_CHECKING:
    from stockbridge.sandbox.woocommerce.store import WooStore


def _stock(record: Product | Variation) -> dict[str, Any]:
    return {
        "manage_stock": record.manage_stock,
        "stock_quantity": record.stock_quantity,
        "stock_status": record.stock_status,
        "backorders": record.backorders,
        "backorders_allowed": record.backorders != "no",
        "backordered": bool(record.manage_stock) and (record.stock_quantity or 0) < 0,
        "low_stock_amount": record.low_stock_amount,
    }


def product(store: WooStore, p: Product) -> dict[str, Any]:
    base = store.site_url
    return {
        "id": p.id,
        "name": p.name,
        "slug": p.slug,
        "permalink": f"{base}/product/{p.slug}/",
        "date_created": wp_date(p.date_created),
        "date_created_gmt": wp_date(p.date_created),
        "date_modified": wp_date(p.date_modified),
        "date_modified_gmt": wp_date(p.date_modified),
        "type": p.type,
        "status": p.status,
        "sku": p.sku,
        "price": money(p.regular_price),
        "regular_price": money(p.regular_price),
        "sale_price": "",
        "on_sale": False,
        "purchasable": True,
        "total_sales": p.total_sales,
        **_stock(p),
        "variations": list(p.variation_ids),
        "attributes": [],
        "categories": [],
        "images": [],
        "meta_data": [],
        "_links": {"self": [{"href": f"{base}/wp-json/wc/v3/products/{p.id}"}]},
    }


def variation(store: WooStore, v: Variation) -> dict[str, Any]:
    base = store.site_url
    parent = store.products.get(v.parent_id)
    # A variation that does not manage stock under a parent that does reports "parent" and its stock.
    inherits = v.manage_stock is False and parent is not None and parent.manage_stock is True
    stock = {**_stock(parent), "manage_stock": "parent"} if inherits and parent is not None else _stock(v)
    return {
        "id": v.id,
        "parent_id": v.parent_id,
        "date_created": wp_date(v.date_created),
        "date_created_gmt": wp_date(v.date_created),
        "date_modified": wp_date(v.date_modified),
        "date_modified_gmt": wp_date(v.date_modified),
        "sku": v.sku,
        "price": money(v.regular_price),
        "regular_price": money(v.regular_price),
        "sale_price": "",
        "status": v.status,
        **stock,
        "attributes": v.attributes,
        "meta_data": [],
        "_links": {"self": [{"href": f"{base}/wp-json/wc/v3/products/{v.parent_id}/variations/{v.id}"}]},
    }


def order(store: WooStore, o: Order) -> dict[str, Any]:
    total = o.total
    return {
        "id": o.id,
        "parent_id": 0,
        "number": str(o.id),
        "order_key": f"wc_order_{o.id:x}",
        "created_via": "checkout",
        "status": o.status,
        "currency": o.currency,
        "date_created": wp_date(o.date_created),
        "date_created_gmt": wp_date(o.date_created),
        "date_modified": wp_date(o.date_modified),
        "date_modified_gmt": wp_date(o.date_modified),
        "date_paid": wp_date(o.date_paid),
        "date_paid_gmt": wp_date(o.date_paid),
        "date_completed": wp_date(o.date_completed),
        "date_completed_gmt": wp_date(o.date_completed),
        "discount_total": "0.00",
        "shipping_total": "0.00",
        "total_tax": "0.00",
        "total": money(total),
        "customer_id": o.customer_id,
        "billing": {"email": o.email, "first_name": "", "last_name": ""},
        "shipping": {},
        "payment_method": "bacs",
        "line_items": [
            {
                "id": li.id,
                "name": li.name,
                "product_id": li.product_id,
                "variation_id": li.variation_id,
                "quantity": li.quantity,
                "sku": li.sku,
                "price": float(li.price),
                "subtotal": money(li.price * li.quantity),
                "total": money(li.price * li.quantity),
                "taxes": [],
                "meta_data": line_meta(li),
            }
            for li in o.line_items
        ],
        "refunds": [{"id": r.id, "reason": r.reason, "total": money(-r.amount)} for r in o.refunds],
        "meta_data": [],
    }


def _meta(meta_id: int, key: str, value: str) -> dict[str, Any]:
    return {"id": meta_id, "key": key, "value": value, "display_key": key, "display_value": value}


def line_meta(li: OrderLine) -> list[dict[str, Any]]:
    """A line's item meta as the REST API shows it: hidden keys (leading `_`) included."""
    found = []
    if li.reduced_stock is not None:
        found.append(_meta(li.meta_ids["_reduced_stock"], "_reduced_stock", str(li.reduced_stock)))
    if li.restocked:
        found.append(
            _meta(li.meta_ids["_restock_refunded_items"], "_restock_refunded_items", str(li.restocked))
        )
    return found


def refund(o: Order, r: Refund) -> dict[str, Any]:
    """A refund's own line items (own ids) name the order line in `_refunded_item_id`; quantities
    and totals are negative. Nothing in a refund says whether it restocked (see `line_meta`)."""
    by_id = {li.id: li for li in o.line_items}
    return {
        "id": r.id,
        "date_created": wp_date(r.date_created),
        "date_created_gmt": wp_date(r.date_created),
        "amount": money(r.amount),
        "reason": r.reason,
        "refunded_by": 1,
        "refunded_payment": False,
        "meta_data": [],
        "line_items": [
            {
                "id": item_id,
                "name": by_id[line_id].name,
                "product_id": by_id[line_id].product_id,
                "variation_id": by_id[line_id].variation_id,
                "quantity": -qty,
                "tax_class": "",
                "subtotal": money(-by_id[line_id].price * qty),
                "subtotal_tax": "0.00",
                "total": money(-by_id[line_id].price * qty),
                "total_tax": "0.00",
                "taxes": [],
                "meta_data": [_meta(item_id + 1_000_000, "_refunded_item_id", str(line_id))],
                "sku": by_id[line_id].sku,
                "price": float(-by_id[line_id].price),
            }
            for item_id, (line_id, qty) in zip(r.item_ids, r.lines, strict=True)
        ],
        "shipping_lines": [],
        "tax_lines": [],
        "fee_lines": [],
    }


def customer(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "date_created": wp_date(c.date_created),
        "date_created_gmt": wp_date(c.date_created),
        "date_modified": wp_date(c.date_modified),
        "date_modified_gmt": wp_date(c.date_modified),
        "email": c.email,
        "first_name": c.first_name,
        "last_name": c.last_name,
        "role": "customer",
        "username": c.username,
        "billing": {"email": c.email, "first_name": c.first_name, "last_name": c.last_name},
        "shipping": {},
        "is_paying_customer": False,
        "meta_data": [],
    }


def webhook(w: Webhook) -> dict[str, Any]:
    resource, _, event = w.topic.partition(".")
    return {
        "id": w.id,
        "name": w.name,
        "status": w.status,
        "topic": w.topic,
        "resource": resource,
        "event": event,
        "hooks": [],
        "delivery_url": w.delivery_url,
        "date_created": wp_date(w.date_created),
        "date_created_gmt": wp_date(w.date_created),
    }
