"""Reading a shop: locations, variants, inventory levels and orders, page by page with cursors.

Every stream follows `pageInfo { hasNextPage endCursor }`. Levels come from `inventoryItems` with
each item's first `levels_per_item` levels inline; an item stocked at more locations continues
with its own `inventoryLevels` cursor. Orders use `query: "updated_at:>=T"`, `sortKey: UPDATED_AT`
and the `OrderCursor` contract: orders at exactly `updated_after` whose ids are in `seen` are
skipped, and the returned cursor records the ids at the newest instant returned. Each order comes
with its fulfilments and refunds (adding one moves the order's `updated_at`, so a poll sees it);
its lines and theirs are read to the end, and `RemoteOrder.raw` holds the order whole.

Read whole, an order costs about 8 points (its lines, their variants and items, fulfilments,
refunds), so a shop's 100 points a second read about 12 orders a second. `order_versions` lists
only `id updatedAt` (1 point an order, by the same cursor contract, optionally up to `until`),
and `read_orders` reads whole just the orders named (`nodes(ids:)`, a page of ids at a time): a
poller reads whole only what it has not seen.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from datetime import datetime
from typing import Any

from stockbridge.connectors.base import OrderCursor, RemoteLevel, RemoteLocation, RemoteOrder, RemoteVariant
from stockbridge.connectors.shopify import mappers, queries
from stockbridge.connectors.shopify.client import ShopifyGraphQLClient
from stockbridge.connectors.shopify.config import ShopifyConfig

Page = Mapping[str, Any]


async def _pages(
    client: ShopifyGraphQLClient,
    document: str,
    operation: str,
    root: Sequence[str],
    variables: dict[str, Any],
    after: str | None = None,
) -> AsyncGenerator[Page, None]:
    """Yield each connection page found at path `root` in the data, following endCursor."""
    while True:
        data: Any = await client.execute(document, {**variables, "after": after}, operation)
        for key in root:
            data = data[key] if data is not None else None
        if data is None:
            return
        yield data
        info = data["pageInfo"]
        if not info["hasNextPage"]:
            return
        after = info["endCursor"]


class ShopifyStreams:
    def __init__(self, client: ShopifyGraphQLClient, config: ShopifyConfig) -> None:
        self.client = client
        self.config = config

    async def locations(self) -> AsyncIterator[RemoteLocation]:
        first = self.config.location_page_size
        async for page in _pages(
            self.client, queries.LOCATIONS_QUERY, "StockbridgeLocations", ("locations",), {"first": first}
        ):
            for node in page["nodes"]:
                yield mappers.location(node)

    async def variants(self) -> AsyncIterator[RemoteVariant]:
        first = self.config.variant_page_size
        async for page in _pages(
            self.client, queries.VARIANTS_QUERY, "StockbridgeVariants", ("productVariants",), {"first": first}
        ):
            for node in page["nodes"]:
                yield mappers.variant(node)

    async def levels(self, item_ids: Sequence[str] | None = None) -> AsyncIterator[RemoteLevel]:
        items = self._all_items() if item_ids is None else self._items_by_id(item_ids)
        async for item in items:
            async for found in self._levels_of(item):
                yield found

    async def _all_items(self) -> AsyncIterator[Page]:
        variables = {"first": self.config.item_page_size, "levels": self.config.levels_per_item}
        async for page in _pages(
            self.client, queries.ITEM_LEVELS_QUERY, "StockbridgeItemLevels", ("inventoryItems",), variables
        ):
            for node in page["nodes"]:
                yield node

    async def _items_by_id(self, item_ids: Sequence[str]) -> AsyncIterator[Page]:
        gids = list(dict.fromkeys(mappers.to_gid("InventoryItem", i) for i in item_ids))
        size = self.config.item_page_size
        for start in range(0, len(gids), size):
            variables = {"ids": gids[start : start + size], "levels": self.config.levels_per_item}
            data = await self.client.execute(
                queries.LEVELS_BY_ITEM_QUERY, variables, "StockbridgeLevelsByItem"
            )
            for node in data["nodes"]:
                if node and node.get("inventoryLevels") is not None:  # unknown ids come back null
                    yield node

    async def _levels_of(self, item: Page) -> AsyncIterator[RemoteLevel]:
        item_id = str(item["id"])
        connection = item["inventoryLevels"]
        for node in connection["nodes"]:
            yield mappers.level(item_id, node)
        if not connection["pageInfo"]["hasNextPage"]:
            return
        more = _pages(
            self.client,
            queries.MORE_ITEM_LEVELS_QUERY,
            "StockbridgeMoreItemLevels",
            ("inventoryItem", "inventoryLevels"),
            {"id": item_id, "first": 100},
            after=connection["pageInfo"]["endCursor"],
        )
        async for page in more:
            for node in page["nodes"]:
                yield mappers.level(item_id, node)

    async def orders(self, cursor: OrderCursor, limit: int) -> tuple[list[RemoteOrder], OrderCursor]:
        variables = {
            "first": min(self.config.order_page_size, max(limit, 1)),
            "query": _search(cursor, None),
            "lines": self.config.lines_per_order,
        }
        found: list[RemoteOrder] = []
        pages = _pages(self.client, queries.ORDERS_QUERY, "StockbridgeOrders", ("orders",), variables)
        async with aclosing(pages):  # we may stop mid-stream at `limit`
            async for page in pages:
                for node in page["nodes"]:
                    order = await self._order(node)
                    if not _already_seen(order.order_id, order.updated_at, cursor):
                        found.append(order)
                    if len(found) >= limit:
                        return found, _advance(cursor, _versions(found))
        return found, _advance(cursor, _versions(found))

    async def order_versions(
        self, cursor: OrderCursor, limit: int, until: datetime | None = None
    ) -> tuple[list[tuple[str, datetime]], OrderCursor]:
        """(id, updatedAt) of the orders `orders` would return (updated at or before `until`, if given)."""
        variables = {"first": min(250, max(limit, 1)), "query": _search(cursor, until)}
        found: list[tuple[str, datetime]] = []
        pages = _pages(
            self.client, queries.ORDER_VERSIONS_QUERY, "StockbridgeOrderVersions", ("orders",), variables
        )
        async with aclosing(pages):
            async for page in pages:
                for node in page["nodes"]:
                    updated = mappers.parse_time(node.get("updatedAt"))
                    if updated is None:
                        raise ValueError(f"order {node.get('id')} has no updatedAt")
                    version = (str(node["id"]), updated)
                    if until is not None and updated > until:
                        return found, _advance(cursor, found)  # sorted by updatedAt: no more to take
                    if not _already_seen(*version, cursor):
                        found.append(version)
                    if len(found) >= limit:
                        return found, _advance(cursor, found)
        return found, _advance(cursor, found)

    async def read_orders(self, order_ids: Sequence[str]) -> list[RemoteOrder]:
        """The named orders whole, as they are now, in the order asked (unknown ids left out)."""
        ids = list(dict.fromkeys(mappers.to_gid("Order", i) for i in order_ids))
        size, found = self.config.order_page_size, []
        for start in range(0, len(ids), size):
            variables = {"ids": ids[start : start + size], "lines": self.config.lines_per_order}
            data = await self.client.execute(queries.ORDERS_BY_ID_QUERY, variables, "StockbridgeOrdersById")
            for node in data["nodes"]:
                if node and node.get("id"):  # unknown ids come back null
                    found.append(await self._order(node))
        return found

    async def _order(self, node: Page) -> RemoteOrder:
        """The order with every line of it, of its fulfilments and of its refunds (connections
        cut at a page are continued from their own cursor), so the order is read whole."""
        lines = await self._rest_of("order", node)
        fulfillments = [await self._whole("fulfillment", f) for f in node.get("fulfillments") or ()]
        refunds = [await self._whole("refund", r) for r in node.get("refunds") or ()]
        return mappers.order({**node, "fulfillments": fulfillments, "refunds": refunds}, lines)

    async def _whole(self, owner: str, record: Page) -> Page:
        """`record` with its nested line connection read to the end, as one page."""
        nodes = await self._rest_of(owner, record)
        whole = {"nodes": nodes, "pageInfo": {"hasNextPage": False, "endCursor": None}}
        return {**record, _NESTED[owner][0]: whole}

    async def _rest_of(self, owner: str, record: Page) -> list[Page]:
        """Every node of `record`'s line connection: the inline page, then pages of 100 read
        by `owner(id:)` from its cursor."""
        field, document, operation = _NESTED[owner]
        connection = record[field]
        nodes = list(connection["nodes"])
        info = connection["pageInfo"]
        if info["hasNextPage"]:
            variables = {"id": record["id"], "first": 100}
            more = _pages(self.client, document, operation, (owner, field), variables, info["endCursor"])
            async with aclosing(more):
                async for page in more:
                    nodes.extend(page["nodes"])
        return nodes


# owner -> (its line connection, the document continuing it, that document's operation name)
_NESTED = {
    "order": ("lineItems", queries.MORE_ORDER_LINES_QUERY, "StockbridgeMoreOrderLines"),
    "fulfillment": (
        "fulfillmentLineItems",
        queries.MORE_FULFILLMENT_LINES_QUERY,
        "StockbridgeMoreFulfillmentLines",
    ),
    "refund": ("refundLineItems", queries.MORE_REFUND_LINES_QUERY, "StockbridgeMoreRefundLines"),
}


def _search(cursor: OrderCursor, until: datetime | None) -> str:
    """Search syntax for orders updated from the cursor and up to `until`, both floored to the
    second (Shopify's `updated_at` granularity)."""
    terms = []
    if cursor.updated_after is not None:
        terms.append(f"updated_at:>='{mappers.shopify_search_time(cursor.updated_after)}'")
    if until is not None:
        terms.append(f"updated_at:<='{mappers.shopify_search_time(until)}'")
    return " ".join(terms)


def _versions(orders: Sequence[RemoteOrder]) -> list[tuple[str, datetime]]:
    return [(o.order_id, o.updated_at) for o in orders]


def _already_seen(order_id: str, updated_at: datetime, cursor: OrderCursor) -> bool:
    if cursor.updated_after is None:
        return False
    if updated_at < cursor.updated_after:
        return True  # the search is floored to the second: drop what precedes the exact cursor
    return updated_at == cursor.updated_after and order_id in cursor.seen


def _advance(cursor: OrderCursor, found: Sequence[tuple[str, datetime]]) -> OrderCursor:
    if not found:
        return cursor
    newest = max(updated for _, updated in found)
    at_newest = {order_id for order_id, updated in found if updated == newest}
    if newest == cursor.updated_after:
        at_newest |= cursor.seen
    return OrderCursor(updated_after=newest, seen=frozenset(at_newest))
