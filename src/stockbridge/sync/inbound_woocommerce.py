"""WooCommerce order payloads (REST v3 JSON, §2.5/§2.6) as `InboundFacts`, around the real
WooCommerce connector: the platform's inbound adapter (`installed_connector_source` picks it).

WooCommerce reduces stock when an order reaches `processing`, `on-hold` or `completed` and gives
back what its lines still hold when it is `cancelled` or `failed`; only processing and completed
set `date_paid`, so an on-hold order holds stock unpaid. Payloads carry the order's current
state, not events, so facts come from the status: a held order is a sale; `completed` is a
fulfilment of its lines (movement id `completed`); a cancelled or failed order releases what the
hub holds for it. Unpaid and gone, it may have been on hold or never held: the hub's own record
decides (`waits=False`: no sale recorded, nothing to release, nothing to wait for).

Refunds: WooCommerce does not say which refund restocked (the refund object has no such field, and
`api_restock` is not echoed); it keeps the running total on the order line, item meta
`_restock_refunded_items`, which webhooks and polls both carry. Each restocked unit is a `restock`
movement `{line id}:{n}` in every status, so a unit moves the balance once however often the order
is seen: WooCommerce puts it back in stock at once (`wc_restock_refunded_items`), and the hub
releases it while the order still has it committed (an open order: available again at once, as on
the site) or returns it once shipped. A completed order ships what its lines still hold (quantity
less restocked units), so that units released before shipping are not shipped as well (a hub that
first sees the order completed, with units restocked after shipping, records them as never
shipped and released: the same balances); a cancel releases only what is still committed. A refund without restock moves nothing; nor does the
status `refunded` itself (it restocks nothing in WooCommerce). Webhook and poll build facts from
the same `mappers.order`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockbridge.connectors.base import OrderLine, RemoteOrder, WebhookMessage
from stockbridge.connectors.woocommerce import mappers
from stockbridge.connectors.woocommerce.connector import WooCommerceConnector
from stockbridge.services.connections import ConnectionConfig
from stockbridge.sync.connectors import installed_connector
from stockbridge.sync.inbound_bindings import (
    Ignored,
    InboundFacts,
    OrderFacts,
    RemoteMovement,
    WebhookOnlyInbound,
)

HELD = {"processing", "on-hold", "completed"}
GIVEN_BACK = {"cancelled", "failed"}
REFUNDED = "refunded"
RESTOCKED = "_restock_refunded_items"


class WooInbound(WebhookOnlyInbound):
    platform = "woocommerce"

    def __init__(self, connector: WooCommerceConnector) -> None:
        super().__init__(connector)
        self.connector: WooCommerceConnector = connector

    def webhook_facts(self, message: WebhookMessage) -> InboundFacts:
        if message.topic in ("order.created", "order.updated", "order.restored"):
            return self.order_facts(mappers.order(message.payload))
        return Ignored(f"{message.topic} does not move stock")

    def order_facts(self, order: RemoteOrder) -> InboundFacts:
        raw: Mapping[str, Any] = order.raw
        status = str(raw.get("status"))
        if status not in HELD | GIVEN_BACK | {REFUNDED}:
            return Ignored(f"a {status} order holds no stock")
        paid = bool(raw.get("date_paid_gmt") or raw.get("date_paid"))
        shipped = status == "completed" or bool(raw.get("date_completed_gmt") or raw.get("date_completed"))
        movements = [RemoteMovement("completed", "fulfilment", _still_held(raw))] if shipped else []
        movements += _restocked_units(raw)
        sold = status in HELD or paid  # else: held only if the hub saw it on hold
        return OrderFacts(
            order.order_id,
            order.updated_at,
            order.lines if sold else None,
            cancelled=status in GIVEN_BACK and not shipped,
            movements=tuple(movements),
            waits=sold,
        )


def _still_held(raw: Mapping[str, Any]) -> tuple[OrderLine, ...]:
    """The order's lines less the units restocking refunds put back: what shipping takes."""
    lines = []
    for node in raw.get("line_items") or []:
        line = mappers.order_line(node)
        held = max(line.quantity - mappers.meta_int(node, RESTOCKED), 0)
        lines.append(OrderLine(line.item_id, line.sku, held, line.location_id))
    return tuple(lines)


def _restocked_units(raw: Mapping[str, Any]) -> list[RemoteMovement]:
    """One `restock` movement per unit a restocking refund put back, named by line and ordinal."""
    units = []
    for node in raw.get("line_items") or []:
        line = mappers.order_line(node)
        one = OrderLine(line.item_id, line.sku, 1, line.location_id)
        for n in range(1, mappers.meta_int(node, RESTOCKED) + 1):
            units.append(RemoteMovement(f"{node['id']}:{n}", "restock", (one,)))
    return units


def woo_inbound(config: ConnectionConfig) -> WooInbound:
    connector = installed_connector(config)
    assert isinstance(connector, WooCommerceConnector)
    return WooInbound(connector)
