"""WooCommerce order payloads (REST v3 JSON, §2.5/§2.6) as `InboundFacts`, around the real
WooCommerce connector: the platform's inbound adapter (`installed_connector_source` picks it).

WooCommerce holds stock from payment (`processing`, `on-hold`, `completed`) and gives it back
when a paid order is `cancelled`, `failed` or `refunded`. Its payloads carry the order's current
state, not events, so the facts are derived from the status: `completed` is a fulfilment of every
line (movement id `completed`); a refund of a completed order returns every line (`refunded`);
cancelling, failing or refunding an unshipped paid order releases it. Unpaid orders hold nothing
and are ignored. Partial refunds carry no line detail in the order payload: not mapped here.
Webhook and poll build facts from the same `mappers.order`, so their ids and keys agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockbridge.connectors.base import RemoteOrder, WebhookMessage
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

PAID = {"processing", "on-hold", "completed"}
GIVEN_BACK = {"cancelled", "failed", "refunded"}


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
        status, paid = str(raw.get("status")), bool(raw.get("date_paid_gmt") or raw.get("date_paid"))
        if status not in PAID and not (status in GIVEN_BACK and paid):
            return Ignored(f"a {status} order holds no stock")
        shipped = status == "completed" or bool(raw.get("date_completed_gmt") or raw.get("date_completed"))
        movements = [RemoteMovement("completed", "fulfilment", order.lines)] if shipped else []
        if shipped and status == "refunded":
            movements.append(RemoteMovement("refunded", "return", order.lines))
        cancelled = status in GIVEN_BACK and not shipped
        return OrderFacts(order.order_id, order.updated_at, order.lines, cancelled, tuple(movements))


def woo_inbound(config: ConnectionConfig) -> WooInbound:
    connector = installed_connector(config)
    assert isinstance(connector, WooCommerceConnector)
    return WooInbound(connector)
