"""Shopify webhook payloads (REST JSON, §1.11) as `InboundFacts`, around the real Shopify connector.

The inbound adapter of the platform (`installed_connector_source` picks it). Order ids are the GraphQL GIDs in both
paths (`admin_graphql_api_id` in webhooks, `id` in the orders stream), so a webhook and a poll of
one order share their idempotency keys. Line quantities are the ordered `quantity`; what later
leaves an order arrives as movements: fulfilments by id, refund lines by refund id and
`restock_type` (`return` back on hand, `cancel` released from committed, `no_restock` nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockbridge.connectors.base import OrderLine, WebhookMessage
from stockbridge.connectors.shopify import ShopifyConnector
from stockbridge.connectors.shopify.mappers import to_gid
from stockbridge.services.connections import ConnectionConfig
from stockbridge.sync.connectors import installed_connector
from stockbridge.sync.inbound_bindings import (
    Ignored,
    InboundFacts,
    LevelReport,
    OrderFacts,
    RemoteMovement,
    WebhookOnlyInbound,
)

ORDER_TOPICS = {"orders/create", "orders/updated", "orders/cancelled", "orders/paid", "orders/fulfilled"}


class ShopifyInbound(WebhookOnlyInbound):
    platform = "shopify"

    def __init__(self, connector: ShopifyConnector) -> None:
        super().__init__(connector)
        self.connector: ShopifyConnector = connector

    def webhook_facts(self, message: WebhookMessage) -> InboundFacts:
        p, topic = message.payload, message.topic
        if topic in ORDER_TOPICS:
            return _order(p)
        if topic == "fulfillments/create":
            return OrderFacts(to_gid("Order", p["order_id"]), None, None, movements=(_fulfilment(p),))
        if topic == "refunds/create":
            return OrderFacts(to_gid("Order", p["order_id"]), None, None, movements=_refund(p))
        if topic == "inventory_levels/update":
            location = to_gid("Location", p["location_id"]) if p.get("location_id") else None
            return LevelReport(to_gid("InventoryItem", p["inventory_item_id"]), location, int(p["available"]))
        return Ignored(f"{topic} does not move stock")


def shopify_inbound(config: ConnectionConfig) -> ShopifyInbound:
    connector = installed_connector(config)
    assert isinstance(connector, ShopifyConnector)
    return ShopifyInbound(connector)


def _order(p: Mapping[str, Any]) -> OrderFacts:
    movements = [_fulfilment(f) for f in p.get("fulfillments") or []]
    for refund in p.get("refunds") or []:
        movements.extend(_refund(refund))
    return OrderFacts(
        order_id=str(p["admin_graphql_api_id"]),
        updated_at=None,
        lines=tuple(_line(li, li["quantity"]) for li in p.get("line_items") or []),
        cancelled=bool(p.get("cancelled_at")),
        movements=tuple(movements),
    )


def _fulfilment(f: Mapping[str, Any]) -> RemoteMovement:
    location = to_gid("Location", f["location_id"]) if f.get("location_id") else None
    lines = tuple(_line(li, li["quantity"], location) for li in f.get("line_items") or [])
    return RemoteMovement(str(f["admin_graphql_api_id"]), "fulfilment", lines)


def _refund(r: Mapping[str, Any]) -> tuple[RemoteMovement, ...]:
    by_kind: dict[str, list[OrderLine]] = {"return": [], "release": []}
    for item in r.get("refund_line_items") or []:
        kind = {"return": "return", "cancel": "release"}.get(item.get("restock_type"))
        if kind:
            location = to_gid("Location", item["location_id"]) if item.get("location_id") else None
            by_kind[kind].append(_line(item["line_item"], item["quantity"], location))
    refund_id = str(r["admin_graphql_api_id"])
    return tuple(RemoteMovement(refund_id, kind, tuple(lines)) for kind, lines in by_kind.items() if lines)  # type: ignore[arg-type]


def _line(item: Mapping[str, Any], quantity: int, location: str | None = None) -> OrderLine:
    return OrderLine(item_id=None, sku=item.get("sku") or None, quantity=int(quantity), location_id=location)
