"""Test-only surface of the WooCommerce emulator: seed the catalog and check out as a shopper.

Under `/_emulator/` (not part of WooCommerce): `POST /_emulator/seed` builds products, variations and
customers from a JSON spec; `POST /_emulator/storefront/orders` places a paid order (status
`processing`), which reduces stock and fires `order.created` as a checkout would.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from stockbridge.sandbox.woocommerce import serializers
from stockbridge.sandbox.woocommerce.rest import RestError, json_body, json_response
from stockbridge.sandbox.woocommerce.store import WooStore


def seed(store: WooStore, spec: dict[str, Any]) -> dict[str, Any]:
    """Products: `{"name", "sku", "price", "stock_quantity"}` or `{"name", "variations": [...]}`."""
    created = []
    for p in spec.get("products", []):
        if p.get("variations"):
            product = store.add_product(p["name"], p.get("sku", ""), str(p.get("price", "10.00")), "variable")
            for v in p["variations"]:
                store.add_variation(
                    product.id,
                    v.get("sku", ""),
                    str(v.get("price", "10.00")),
                    v.get("stock_quantity"),
                    v.get("attributes"),
                )
        else:
            product = store.add_product(
                p["name"], p.get("sku", ""), str(p.get("price", "10.00")), "simple", p.get("stock_quantity")
            )
        created.append(serializers.product(store, product))
    customers = [
        serializers.customer(store.add_customer(c["email"], c.get("first_name", ""), c.get("last_name", "")))
        for c in spec.get("customers", [])
    ]
    return {"products": created, "customers": customers}


def resolve_line(store: WooStore, line: dict[str, Any]) -> tuple[int, int, int]:
    quantity = int(line.get("quantity", 1))
    if "sku" in line:
        for variation in store.variations.values():
            if variation.sku == line["sku"]:
                return variation.parent_id, variation.id, quantity
        for product in store.products.values():
            if product.sku == line["sku"]:
                return product.id, 0, quantity
        raise RestError("woocommerce_rest_invalid_sku", f"Unknown SKU {line['sku']}.", 400)
    return int(line["product_id"]), int(line.get("variation_id", 0)), quantity


class StorefrontRoutes:
    def __init__(self, store: WooStore) -> None:
        self.store = store

    def register(self, app: web.Application) -> None:
        app.router.add_post("/_emulator/seed", self.seed)
        app.router.add_post("/_emulator/storefront/orders", self.place)

    async def seed(self, request: web.Request) -> web.Response:
        try:
            return json_response(seed(self.store, await json_body(request)), status=201)
        except RestError as exc:
            return exc.response()

    async def place(self, request: web.Request) -> web.Response:
        try:
            body = await json_body(request)
            lines = [resolve_line(self.store, line) for line in body.get("lines", [])]
            order = self.store.place_order(
                lines,
                str(body.get("email", "")),
                str(body.get("status", "processing")),
                int(body.get("customer_id", 0)),
            )
        except RestError as exc:
            return exc.response()
        return json_response(serializers.order(self.store, order), status=201)
