"""Reading a WooCommerce site: products and variations, their stock, the one location, orders.

Products are listed page by page (`per_page`, `page`, until `X-WP-TotalPages`); a variable
product's variations take one more paged list per product. Reading chosen items asks with
`include=<ids>` (WooCommerce's id filter) and `_fields` (just the stock fields), and still keeps
only the ids asked for, so an answer that ignores the filter is read to the end, not trusted.

Orders: `GET /orders?modified_after=<t - 1 s>&dates_are_gmt=true&orderby=modified&order=asc`.
WordPress compares `modified_after` strictly and to the second, so asking from one second before
the cursor and filtering here gives the `OrderCursor` contract: orders updated at or after
`updated_after`, minus those in `seen` at exactly that instant (ties deduplicated); the cursor
advances to the newest instant returned with every id seen there.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import aclosing
from datetime import timedelta

from stockbridge.connectors.base import OrderCursor, RemoteLevel, RemoteLocation, RemoteOrder, RemoteVariant
from stockbridge.connectors.woocommerce import mappers
from stockbridge.connectors.woocommerce.client import WooClient
from stockbridge.connectors.woocommerce.mappers import ItemRef, Node

ORDER_PARAMS = {"orderby": "modified", "order": "asc", "dates_are_gmt": "true", "status": "any"}
LIST_PARAMS = {"orderby": "id", "order": "asc"}
# WordPress `_fields`: the writer's read stays small; `total_sales` (products only) reveals sales
# taken between the writer's read and its write
STOCK_FIELDS = "id,manage_stock,stock_quantity,total_sales"


class WooStreams:
    def __init__(self, client: WooClient, location_id: str) -> None:
        self.client, self.location_id = client, location_id  # the synthetic location's id

    async def locations(self) -> AsyncIterator[RemoteLocation]:
        yield RemoteLocation(self.location_id, "WooCommerce stock", True)

    async def variants(self) -> AsyncIterator[RemoteVariant]:
        """One variant per stock-holding record (see `mappers`): item ids never repeat."""
        async for product, variation in self._records():
            if variation is None:
                yield mappers.product_variant(product)
            else:
                yield mappers.variation_variant(product, variation)

    async def levels(self, item_ids: Sequence[str] | None = None) -> AsyncIterator[RemoteLevel]:
        """Managed stock only: an item whose stock WooCommerce does not manage has no number."""
        if item_ids is None:
            stock = await self.all_stock()
        else:
            stock = await self.read_stock([mappers.parse_item_id(i) for i in item_ids])
        for ref, node in stock.items():
            found = mappers.level(ref.item_id, node)
            if found is not None:
                yield found

    async def all_stock(self) -> dict[ItemRef, Node]:
        stock: dict[ItemRef, Node] = {}
        async for product, variation in self._records():
            if variation is None:
                stock[ItemRef(int(product["id"]))] = product
            else:
                stock[ItemRef(int(product["id"]), int(variation["id"]))] = variation
        return stock

    async def _records(self) -> AsyncIterator[tuple[Node, Node | None]]:
        """(product, None) for a product that holds stock, (product, variation) for a variation
        that holds its own. A variable product holds stock only for variations that inherit it."""
        async for product in self._products():
            if product.get("type") != "variable":
                yield product, None
                continue
            inheriting = False
            async for variation in self._variations(int(product["id"])):
                if variation.get("manage_stock") == "parent":
                    inheriting = True
                else:
                    yield product, variation
            if inheriting:
                yield product, None

    async def read_stock(self, refs: Iterable[ItemRef]) -> dict[ItemRef, Node]:
        """The current records of the given items (missing ones are absent from the answer)."""
        wanted = set(refs)
        found: dict[ItemRef, Node] = {}
        products = {r.product_id for r in wanted if r.variation_id is None}
        if products:
            for pid, node in (await self._by_ids("products", products)).items():
                found[ItemRef(pid)] = node
        parents = sorted({r.product_id for r in wanted if r.variation_id is not None})
        for parent in parents:
            vids = {r.variation_id for r in wanted if r.product_id == parent and r.variation_id is not None}
            for vid, node in (await self._by_ids(f"products/{parent}/variations", vids)).items():
                found[ItemRef(parent, vid)] = node
        return {ref: node for ref, node in found.items() if ref in wanted}

    async def _by_ids(self, path: str, ids: set[int]) -> dict[int, Node]:
        found: dict[int, Node] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), self.client.config.per_page):
            chunk = ordered[start : start + self.client.config.per_page]
            params = {**LIST_PARAMS, "include": ",".join(map(str, chunk)), "_fields": STOCK_FIELDS}
            async with aclosing(self.client.pages(path, params, operation=f"GET {path} include")) as pages:
                async for page in pages:
                    found.update((i, n) for i, n in mappers.by_id(page).items() if i in ids)
                    if set(chunk) <= found.keys():
                        break
        return found

    async def orders(self, cursor: OrderCursor, limit: int) -> tuple[list[RemoteOrder], OrderCursor]:
        params = dict(ORDER_PARAMS)
        if cursor.updated_after is not None:
            params["modified_after"] = mappers.gmt_param(cursor.updated_after - timedelta(seconds=1))
        found: list[RemoteOrder] = []
        async with aclosing(self.client.pages("orders", params, operation="GET orders")) as pages:
            async for page in pages:
                for node in page:
                    order = mappers.order(node)
                    if not _already_seen(order, cursor):
                        found.append(order)
                if len(found) >= limit:
                    break
        found = found[:limit] if len(found) > limit else found
        return found, _advance(cursor, found)

    def _products(self) -> AsyncIterator[Node]:
        return _flatten(self.client.pages("products", LIST_PARAMS, operation="GET products"))

    def _variations(self, product_id: int) -> AsyncIterator[Node]:
        path = f"products/{product_id}/variations"
        return _flatten(self.client.pages(path, LIST_PARAMS, operation="GET variations"))


async def _flatten(pages: AsyncIterator[list[Node]]) -> AsyncIterator[Node]:
    async for page in pages:
        for node in page:
            yield node


def _already_seen(order: RemoteOrder, cursor: OrderCursor) -> bool:
    if cursor.updated_after is None:
        return False
    if order.updated_at < cursor.updated_after:
        return True  # asked from one second early to catch ties: drop what precedes the cursor
    return order.updated_at == cursor.updated_after and order.order_id in cursor.seen


def _advance(cursor: OrderCursor, found: Sequence[RemoteOrder]) -> OrderCursor:
    if not found:
        return cursor
    newest = max(o.updated_at for o in found)
    at_newest = {o.order_id for o in found if o.updated_at == newest}
    if newest == cursor.updated_after:
        at_newest |= cursor.seen
    return OrderCursor(updated_after=newest, seen=frozenset(at_newest))
