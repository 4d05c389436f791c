"""Shopify webhook payloads (REST JSON, §1.11) and polled orders (Admin GraphQL) as `InboundFacts`,
around the real Shopify connector.

The inbound adapter of the platform (`installed_connector_source` picks it). Order ids are the GraphQL GIDs in both
paths (`admin_graphql_api_id` in webhooks, `id` in the orders stream), and so are fulfilment and
refund ids, so a webhook and a poll of one order share their idempotency keys: a fulfilment or a
refund seen both ways moves the balance once. Line quantities are the ordered `quantity`; what
later leaves an order arrives as movements: fulfilments by id (not a failed one), refund lines by
refund id and restock type (`return` back on hand, `cancel` released from committed, `no_restock`
and `legacy_restock` nothing). A fulfilment whose status became `cancelled` (`fulfillmentCancel`)
is a `fulfilment_cancelled` movement under the same fulfilment id: what its shipment took comes
back, once, however many ways it is seen. Webhooks carry them as `fulfillments/create`,
`fulfillments/update` and `refunds/create` (and inside order payloads); a polled order carries
them in its `fulfillments` and `refunds` (`RemoteOrder.raw`, read whole by the connector), mapped
by the same rules.

A poll lists order versions first (`OrderVersionSource`: a cost point an order, against about 8 for
one read whole) and reads whole only those the hub does not have: an order webhook is the order's
whole state at its `updated_at`, which becomes the version the hub has recorded of the order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from stockbridge.connectors.base import OrderCursor, OrderLine, RemoteOrder, WebhookMessage
from stockbridge.connectors.shopify import ShopifyConnector
from stockbridge.connectors.shopify.mappers import parse_time, to_gid
from stockbridge.services.channel_orders import MovementKind
from stockbridge.services.connections import ConnectionConfig
from stockbridge.sync.connectors import installed_connector
from stockbridge.sync.inbound_bindings import (
    Ignored,
    InboundFacts,
    LevelReport,
    OrderFacts,
    OrderVersion,
    RemoteMovement,
    WebhookOnlyInbound,
)

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled"}
RESTOCK_KINDS: dict[str, MovementKind] = {"return": "return", "cancel": "release"}
NOT_SHIPPED = {"error", "failure"}  # never shipped: the units stay committed
CANCELLED = "cancelled"  # shipped, then cancelled: the shipment is undone
FULFILLMENT_TOPICS = {"fulfillments/create", "fulfillments/update"}


class ShopifyInbound(WebhookOnlyInbound):
    platform = "shopify"

    def __init__(self, connector: ShopifyConnector) -> None:
        super().__init__(connector)
        self.connector: ShopifyConnector = connector

    def webhook_facts(self, message: WebhookMessage) -> InboundFacts:
        p, topic = message.payload, message.topic
        if topic in ORDER_TOPICS:
            return _order(p)
        if topic in FULFILLMENT_TOPICS:
            return OrderFacts(to_gid("Order", p["order_id"]), None, None, movements=_fulfilments([p]))
        if topic == "refunds/create":
            return OrderFacts(to_gid("Order", p["order_id"]), None, None, movements=_refund(p))
        if topic == "inventory_levels/update":
            location = to_gid("Location", p["location_id"]) if p.get("location_id") else None
            return LevelReport(to_gid("InventoryItem", p["inventory_item_id"]), location, int(p["available"]))
        return Ignored(f"{topic} does not move stock")

    async def order_versions(
        self, cursor: OrderCursor, *, limit: int = 250, until: datetime | None = None
    ) -> tuple[list[OrderVersion], OrderCursor]:
        """`OrderVersionSource`: a poll lists orders for a point each and reads whole only those
        the hub has not recorded at that version (a whole order costs about 8)."""
        return await self.connector.order_versions(cursor, limit=limit, until=until)

    async def read_orders(self, order_ids: Sequence[str]) -> list[RemoteOrder]:
        return await self.connector.read_orders(order_ids)

    def order_facts(self, order: RemoteOrder) -> InboundFacts:
        """A polled order: its lines, whether it is cancelled, and its fulfilments and refunds."""
        return OrderFacts(
            order_id=order.order_id,
            updated_at=order.updated_at,
            lines=order.lines,
            cancelled=order.status == "cancelled",
            movements=_polled_movements(order.raw),
        )


def shopify_inbound(config: ConnectionConfig) -> ShopifyInbound:
    connector = installed_connector(config)
    assert isinstance(connector, ShopifyConnector)
    return ShopifyInbound(connector)


# --- webhooks (REST JSON) -----------------------------------------------------------------


def _order(p: Mapping[str, Any]) -> OrderFacts:
    movements = list(_fulfilments(p.get("fulfillments") or []))
    for refund in p.get("refunds") or []:
        movements.extend(_refund(refund))
    return OrderFacts(
        order_id=str(p["admin_graphql_api_id"]),
        updated_at=parse_time(p.get("updated_at")),  # the payload is the order whole: its version
        lines=tuple(_line(li, li["quantity"]) for li in p.get("line_items") or []),
        cancelled=bool(p.get("cancelled_at")),
        movements=tuple(movements),
    )


def _fulfilments(found: Iterable[Mapping[str, Any]]) -> tuple[RemoteMovement, ...]:
    movements = []
    for f in found:
        kind = _fulfilment_kind(f.get("status"))
        if kind is None:
            continue
        location = to_gid("Location", f["location_id"]) if f.get("location_id") else None
        lines = tuple(_line(li, li["quantity"], location) for li in f.get("line_items") or [])
        movements.append(RemoteMovement(str(f["admin_graphql_api_id"]), kind, lines))
    return tuple(movements)


def _refund(r: Mapping[str, Any]) -> tuple[RemoteMovement, ...]:
    restocks = []
    for item in r.get("refund_line_items") or []:
        location = to_gid("Location", item["location_id"]) if item.get("location_id") else None
        restocks.append((item.get("restock_type"), _line(item["line_item"], item["quantity"], location)))
    return _restocks(str(r["admin_graphql_api_id"]), restocks)


def _line(item: Mapping[str, Any], quantity: int, location: str | None = None) -> OrderLine:
    return OrderLine(item_id=None, sku=item.get("sku") or None, quantity=int(quantity), location_id=location)


# --- polled orders (GraphQL, as the connector's orders stream reads them) -------------------


def _polled_movements(raw: Mapping[str, Any]) -> tuple[RemoteMovement, ...]:
    """The fulfilments, then the refunds, of a polled order node (the order webhooks list them
    in), each line naming its order line's inventory item like the order's own lines do."""
    items = {
        str(n["id"]): ((n.get("variant") or {}).get("inventoryItem") or {}).get("id")
        for n in (raw.get("lineItems") or {}).get("nodes") or []
        if n.get("id")
    }
    movements = []
    for f in raw.get("fulfillments") or []:
        kind = _fulfilment_kind(f.get("status"))
        if kind is None:
            continue
        location = (f.get("location") or {}).get("id")
        nodes = (f.get("fulfillmentLineItems") or {}).get("nodes") or []
        lines = tuple(_polled_line(n, items, location) for n in nodes)
        movements.append(RemoteMovement(str(f["id"]), kind, lines))
    for r in raw.get("refunds") or []:
        nodes = (r.get("refundLineItems") or {}).get("nodes") or []
        restocks = [
            (
                str(n.get("restockType") or "").lower(),
                _polled_line(n, items, (n.get("location") or {}).get("id")),
            )
            for n in nodes
        ]
        movements.extend(_restocks(str(r["id"]), restocks))
    return tuple(movements)


def _polled_line(node: Mapping[str, Any], items: Mapping[str, str | None], location: str | None) -> OrderLine:
    line = node.get("lineItem") or {}
    item_id = items.get(str(line.get("id")))
    return OrderLine(item_id, line.get("sku") or None, int(node.get("quantity") or 0), location)


# --- both ---------------------------------------------------------------------------------


def _fulfilment_kind(status: Any) -> MovementKind | None:
    """What a fulfilment in this status (REST `cancelled`, GraphQL `CANCELLED`) says: it shipped,
    its shipment was cancelled, or (failed, in error) nothing moved."""
    found = str(status or "success").lower()
    if found in NOT_SHIPPED:
        return None
    return "fulfilment_cancelled" if found == CANCELLED else "fulfilment"


def _restocks(refund_id: str, lines: Iterable[tuple[Any, OrderLine]]) -> tuple[RemoteMovement, ...]:
    """A refund's lines as at most two movements under its id: units back on hand (`return`) and
    unshipped units released (`release`); lines restocking nothing move nothing."""
    by_kind: dict[MovementKind, list[OrderLine]] = {"return": [], "release": []}
    for restock_type, line in lines:
        kind = RESTOCK_KINDS.get(str(restock_type or "").lower())
        if kind is not None:
            by_kind[kind].append(line)
    return tuple(RemoteMovement(refund_id, kind, tuple(found)) for kind, found in by_kind.items() if found)
