"""`/wp-json/wc/v3/products...`: products, variations and their batch endpoints.

Lists filter by `sku` (comma list), `stock_status`, `status`, `type`, `modified_after` /
`modified_before`, and sort by `orderby` (`id`, `date`, `modified`, `title`) and `order`.
Batch bodies `{"create": [], "update": [], "delete": []}` hold at most 100 items in total (413 over)
and are not atomic: a failing item answers `{"id", "error": {...}}` in its slot.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from stockbridge.sandbox.woocommerce import serializers
from stockbridge.sandbox.woocommerce.models import Product, Variation
from stockbridge.sandbox.woocommerce.rest import RestError, json_body, json_response, paginated
from stockbridge.sandbox.woocommerce.store import WooStore

API = "/wp-json/wc/v3"
BATCH_LIMIT = 100


def check_batch_size(body: dict[str, Any]) -> None:
    total = sum(len(body.get(part) or []) for part in ("create", "update", "delete"))
    if total > BATCH_LIMIT:
        raise RestError(
            "woocommerce_rest_request_entity_too_large",
            f"Unable to accept more than {BATCH_LIMIT} items for this request.",
            413,
        )


def parse_wp_date(raw: str) -> datetime:
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise RestError("rest_invalid_param", "Invalid parameter(s): modified_after", 400) from exc
    return moment.replace(tzinfo=None)


def filter_and_sort(request: web.Request, records: list[Any], fields: dict[str, str]) -> list[Any]:
    """Apply the collection filters WooCommerce shares across products and orders."""
    q = request.query
    if "modified_after" in q:
        after = parse_wp_date(q["modified_after"])
        records = [r for r in records if r.date_modified.replace(tzinfo=None) > after]
    if "modified_before" in q:
        before = parse_wp_date(q["modified_before"])
        records = [r for r in records if r.date_modified.replace(tzinfo=None) < before]
    if "after" in q:
        after = parse_wp_date(q["after"])
        records = [r for r in records if r.date_created.replace(tzinfo=None) > after]
    for param, attr in fields.items():
        if param in q and q[param] not in ("", "any"):
            wanted = set(q[param].split(","))
            records = [r for r in records if str(getattr(r, attr)) in wanted]
    orderby = {"id": "id", "date": "date_created", "modified": "date_modified", "title": "name"}.get(
        q.get("orderby", "date"), "date_created"
    )
    descending = q.get("order", "desc") == "desc"
    return sorted(records, key=lambda r: (getattr(r, orderby, r.id), r.id), reverse=descending)


class CatalogRoutes:
    def __init__(self, store: WooStore) -> None:
        self.store = store

    def register(self, app: web.Application, guard: Callable[..., Any]) -> None:
        r = app.router
        r.add_get(f"{API}/products", guard(self.list_products))
        r.add_post(f"{API}/products", guard(self.create_product))
        r.add_post(f"{API}/products/batch", guard(self.batch_products))
        r.add_get(f"{API}/products/{{id:\\d+}}", guard(self.get_product))
        r.add_route("PUT", f"{API}/products/{{id:\\d+}}", guard(self.update_product))
        r.add_patch(f"{API}/products/{{id:\\d+}}", guard(self.update_product))
        r.add_delete(f"{API}/products/{{id:\\d+}}", guard(self.delete_product))
        r.add_get(f"{API}/products/{{pid:\\d+}}/variations", guard(self.list_variations))
        r.add_post(f"{API}/products/{{pid:\\d+}}/variations", guard(self.create_variation))
        r.add_post(f"{API}/products/{{pid:\\d+}}/variations/batch", guard(self.batch_variations))
        r.add_get(f"{API}/products/{{pid:\\d+}}/variations/{{id:\\d+}}", guard(self.get_variation))
        r.add_route(
            "PUT", f"{API}/products/{{pid:\\d+}}/variations/{{id:\\d+}}", guard(self.update_variation)
        )
        r.add_patch(f"{API}/products/{{pid:\\d+}}/variations/{{id:\\d+}}", guard(self.update_variation))

    async def list_products(self, request: web.Request) -> web.Response:
        records = [p for p in self.store.products.values() if p.status != "trash"]
        records = filter_and_sort(
            request,
            records,
            {"sku": "sku", "stock_status": "stock_status", "status": "status", "type": "type"},
        )
        page, headers = paginated(request, records)
        return json_response([serializers.product(self.store, p) for p in page], headers=headers)

    async def get_product(self, request: web.Request) -> web.Response:
        product = self.store.get_product(int(request.match_info["id"]))
        return json_response(serializers.product(self.store, product))

    async def create_product(self, request: web.Request) -> web.Response:
        return json_response(self._create_product(await json_body(request)), status=201)

    def _create_product(self, body: dict[str, Any]) -> dict[str, Any]:
        if not body.get("name"):
            raise RestError("woocommerce_rest_product_invalid_name", "Product name is required.", 400)
        self._check_unique_sku(body.get("sku"), None)
        product = self.store.add_product(
            body["name"],
            body.get("sku", ""),
            str(body.get("regular_price") or "0"),
            body.get("type", "simple"),
        )
        rest = {k: v for k, v in body.items() if k not in ("name", "sku")}
        self.store.update_product(product, rest, topic="product.created")
        return serializers.product(self.store, product)

    async def update_product(self, request: web.Request) -> web.Response:
        product = self.store.get_product(int(request.match_info["id"]))
        return json_response(self._update_product(product, await json_body(request)))

    def _update_product(self, product: Product, body: dict[str, Any]) -> dict[str, Any]:
        self._check_unique_sku(body.get("sku"), product.id)
        return serializers.product(self.store, self.store.update_product(product, body))

    def _check_unique_sku(self, sku: Any, own_id: int | None) -> None:
        if not sku:
            return
        holders: list[Product | Variation] = [*self.store.products.values(), *self.store.variations.values()]
        if any(h.sku == sku and h.id != own_id for h in holders):
            raise RestError("product_invalid_sku", "Invalid or duplicated SKU.", 400)

    async def delete_product(self, request: web.Request) -> web.Response:
        product = self.store.get_product(int(request.match_info["id"]))
        product.status = "trash"
        self.store.emit("product.deleted", {"id": product.id})
        return json_response(serializers.product(self.store, product))

    async def batch_products(self, request: web.Request) -> web.Response:
        body = await json_body(request)
        check_batch_size(body)
        out: dict[str, list[Any]] = {}
        if body.get("create"):
            out["create"] = [_item(0, partial(self._create_product, b)) for b in body["create"]]
        if body.get("update"):
            out["update"] = [_item(_id_of(b), partial(self._update_product_body, b)) for b in body["update"]]
        if body.get("delete"):
            out["delete"] = [_item(int(i), partial(self._delete, int(i))) for i in body["delete"]]
        return json_response(out)

    def _update_product_body(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._update_product(self.store.get_product(_id_of(body)), body)

    def _delete(self, product_id: int) -> dict[str, Any]:
        product = self.store.get_product(product_id)
        del self.store.products[product_id]
        self.store.emit("product.deleted", {"id": product_id})
        return serializers.product(self.store, product)

    async def list_variations(self, request: web.Request) -> web.Response:
        parent = self.store.get_product(int(request.match_info["pid"]))
        records = [self.store.variations[v] for v in parent.variation_ids]
        records = filter_and_sort(request, records, {"sku": "sku", "stock_status": "stock_status"})
        page, headers = paginated(request, records)
        return json_response([serializers.variation(self.store, v) for v in page], headers=headers)

    async def get_variation(self, request: web.Request) -> web.Response:
        variation = self.store.get_variation(int(request.match_info["pid"]), int(request.match_info["id"]))
        return json_response(serializers.variation(self.store, variation))

    async def create_variation(self, request: web.Request) -> web.Response:
        parent_id = int(request.match_info["pid"])
        return json_response(self._create_variation(parent_id, await json_body(request)), status=201)

    def _create_variation(self, parent_id: int, body: dict[str, Any]) -> dict[str, Any]:
        self._check_unique_sku(body.get("sku"), None)
        variation = self.store.add_variation(
            parent_id,
            body.get("sku", ""),
            str(body.get("regular_price") or "0"),
            attributes=body.get("attributes"),
        )
        return self._update_variation(variation, {k: v for k, v in body.items() if k != "sku"})

    async def update_variation(self, request: web.Request) -> web.Response:
        variation = self.store.get_variation(int(request.match_info["pid"]), int(request.match_info["id"]))
        return json_response(self._update_variation(variation, await json_body(request)))

    def _update_variation_body(self, parent_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return self._update_variation(self.store.get_variation(parent_id, _id_of(body)), body)

    def _update_variation(self, variation: Variation, body: dict[str, Any]) -> dict[str, Any]:
        self._check_unique_sku(body.get("sku"), variation.id)
        return serializers.variation(self.store, self.store.update_variation(variation, body))

    async def batch_variations(self, request: web.Request) -> web.Response:
        parent_id = int(request.match_info["pid"])
        self.store.get_product(parent_id)
        body = await json_body(request)
        check_batch_size(body)
        out: dict[str, list[Any]] = {}
        if body.get("create"):
            out["create"] = [_item(0, partial(self._create_variation, parent_id, b)) for b in body["create"]]
        if body.get("update"):
            out["update"] = [
                _item(_id_of(b), partial(self._update_variation_body, parent_id, b)) for b in body["update"]
            ]
        return json_response(out)


def _id_of(body: dict[str, Any]) -> int:
    try:
        return int(body.get("id") or 0)
    except (TypeError, ValueError):
        return 0


def _item(item_id: int, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """One batch slot: the saved object, or `{"id", "error"}` when that item failed."""
    try:
        return run()
    except RestError as exc:
        return {
            "id": item_id,
            "error": {"code": exc.code, "message": exc.message, "data": {"status": exc.status}},
        }
