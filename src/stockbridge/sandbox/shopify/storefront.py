"""Test-only HTTP surface of the Shopify emulator: seed the shop, and trade as shoppers and staff do.

Not part of Shopify's API; it lives under `/_emulator/` so a simulator in another process can
seed a catalog, place storefront orders (which commit stock and emit `orders/create` +
`inventory_levels/update`), and cancel, fulfil, refund orders or edit products (each emitting the
webhooks Shopify would). Bodies use REST-style snake_case with numeric ids (GIDs are accepted too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from stockbridge.sandbox.shopify import payloads
from stockbridge.sandbox.shopify.orders import (
    CartLine,
    OrderFlowError,
    cancel_order,
    fulfill_order,
    place_order,
    refund_order,
)
from stockbridge.sandbox.shopify.store import ShopifyStore

Handler = Callable[[web.Request], Awaitable[web.Response]]


def numeric_id(value: Any) -> int:
    """Accept 123, "123" or "gid://shopify/Kind/123"."""
    text = str(value)
    return int(text.rsplit("/", 1)[-1].split("?")[0])


def seed(store: ShopifyStore, spec: dict[str, Any]) -> dict[str, Any]:
    """Create locations, products (with levels) and customers from a JSON spec; returns the ids."""
    locations = {name: store.add_location(name) for name in spec.get("locations", ["Shop location"])}
    created: list[dict[str, Any]] = []
    for p in spec.get("products", []):
        variants = p.get("variants", [{"sku": None, "price": "10.00"}])
        product = store.add_product(
            p["title"],
            [(v.get("sku"), str(v.get("price", "10.00"))) for v in variants],
            p.get("status", "ACTIVE"),
        )
        for vid, v in zip(product.variant_ids, variants, strict=True):
            item_id = store.variants[vid].inventory_item_id
            for loc_name, qty in (v.get("available") or {}).items():
                store.activate(item_id, locations[loc_name].id, int(qty))
        created.append(payloads.product(store, product))
    customers = [
        payloads.customer(store.add_customer(c["email"], c.get("first_name"), c.get("last_name")))
        for c in spec.get("customers", [])
    ]
    return {
        "locations": [payloads.location(loc) for loc in locations.values()],
        "products": created,
        "customers": customers,
    }


class StorefrontRoutes:
    """`/_emulator/seed`, `/_emulator/storefront/orders`, `/_emulator/orders/{id}/...`, product edits."""

    def __init__(self, store: ShopifyStore) -> None:
        self.store = store

    def register(self, app: web.Application) -> None:
        app.router.add_post("/_emulator/seed", self._guard(self.seed))
        app.router.add_post("/_emulator/storefront/orders", self._guard(self.place))
        app.router.add_post("/_emulator/orders/{id}/cancel", self._guard(self.cancel))
        app.router.add_post("/_emulator/orders/{id}/fulfill", self._guard(self.fulfill))
        app.router.add_post("/_emulator/orders/{id}/refund", self._guard(self.refund))
        app.router.add_patch("/_emulator/products/{id}", self._guard(self.edit_product))

    @staticmethod
    def _guard(handler: Handler) -> Handler:
        async def guarded(request: web.Request) -> web.Response:
            try:
                return await handler(request)
            except OrderFlowError as exc:
                return web.json_response({"error": exc.code, "message": str(exc)}, status=409)
            except (KeyError, ValueError, TypeError) as exc:
                return web.json_response({"error": "BAD_REQUEST", "message": repr(exc)}, status=400)

        return guarded

    async def seed(self, request: web.Request) -> web.Response:
        return web.json_response(seed(self.store, await request.json()), status=201)

    async def place(self, request: web.Request) -> web.Response:
        body = await request.json()
        lines = []
        for line in body["lines"]:
            if "sku" in line:
                variant = self.store.variant_by_sku(line["sku"])
                if variant is None:
                    raise OrderFlowError("INVALID_LINE", f"unknown sku {line['sku']}")
                variant_id = variant.id
            else:
                variant_id = numeric_id(line["variant_id"])
            lines.append(CartLine(variant_id, int(line.get("quantity", 1))))
        location = body.get("location_id")
        customer = body.get("customer_id")
        order = place_order(
            self.store,
            lines,
            numeric_id(location) if location else None,
            body.get("email"),
            numeric_id(customer) if customer else None,
        )
        return web.json_response(payloads.order(self.store, order), status=201)

    async def cancel(self, request: web.Request) -> web.Response:
        body = await _optional_json(request)
        order = cancel_order(
            self.store,
            numeric_id(request.match_info["id"]),
            str(body.get("reason", "customer")),
            bool(body.get("restock", True)),
        )
        return web.json_response(payloads.order(self.store, order))

    async def fulfill(self, request: web.Request) -> web.Response:
        order_id = numeric_id(request.match_info["id"])
        fulfillment = fulfill_order(self.store, order_id)
        return web.json_response(payloads.fulfillment(self.store.orders[order_id], fulfillment), status=201)

    async def refund(self, request: web.Request) -> web.Response:
        body = await _optional_json(request)
        order_id = numeric_id(request.match_info["id"])
        order = self.store.orders.get(order_id)
        if order is None:
            raise OrderFlowError("NOT_FOUND", f"order {order_id} not found")
        lines = {int(k): int(v) for k, v in (body.get("lines") or {}).items()}
        if not lines:
            lines = {li.id: li.current_quantity for li in order.line_items if li.current_quantity}
        refund = refund_order(self.store, order_id, lines, bool(body.get("restock", True)))
        return web.json_response(payloads.refund(order, refund), status=201)

    async def edit_product(self, request: web.Request) -> web.Response:
        product_id = numeric_id(request.match_info["id"])
        if product_id not in self.store.products:
            return web.json_response({"error": "NOT_FOUND"}, status=404)
        product = self.store.update_product(product_id, await request.json())
        return web.json_response(payloads.product(self.store, product))


async def _optional_json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    body = await request.json()
    return body if isinstance(body, dict) else {}
