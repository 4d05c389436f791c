"""How the simulator's hub processes build connectors: the installed ones first, a local bridge else.

At the time of writing the connector packages offer neither `inbound_connector(config)` (the
installed source then verifies and parses webhooks but cannot map their payloads to order
facts) nor, for WooCommerce, a way to be built from a stored connection. Until they do, this module bridges the gap for the
simulator only: `sim_connector` builds the outbound connector (WooCommerce from settings and
secrets), `sim_inbound` wraps a connector with the two mappings the inbound path needs
(`webhook_facts`, `order_facts`). Each falls back only where the installed path lacks the
piece, so the packages' own implementations win as soon as they land.

Order facts name lines by SKU text only (never by item or location id): the hub then resolves the
SKU by code and places the sale at the channel's locations; the order id is the one the
platform's order stream uses (Shopify: the order GID), so a webhook and a poll of the same order
apply once.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from stockbridge.connectors.base import Connector, OrderCursor, OrderLine, RemoteOrder, WebhookMessage
from stockbridge.services.connections import ConnectionConfig
from stockbridge.sync import connectors as outbound
from stockbridge.sync import inbound_bindings as inbound
from stockbridge.sync.inbound_bindings import Ignored, InboundConnector, InboundFacts, OrderFacts

ORDER_TOPICS = {
    "shopify": {"orders/create", "orders/updated", "orders/cancelled", "orders/paid"},
    "woocommerce": {"order.created", "order.updated", "order.restored"},
}
WOO_SETTINGS = frozenset(
    {"auth", "signature_method", "per_page", "requests_per_second", "burst", "location_id"}
)


def sim_connector(config: ConnectionConfig) -> Connector:
    """The installed outbound connector, or (WooCommerce) one built from the stored connection."""
    try:
        return outbound.installed_connector(config)
    except outbound.UnsupportedPlatformError:
        if config.platform != "woocommerce":
            raise
    return _woocommerce(config)


def _woocommerce(config: ConnectionConfig) -> Connector:
    from stockbridge.connectors.woocommerce import WooCommerceConfig, build_connector

    settings = {k: v for k, v in config.view.settings.items() if k in WOO_SETTINGS}
    typed = WooCommerceConfig(
        base_url=config.view.base_url,
        consumer_key=config.secret("consumer_key"),
        consumer_secret=config.secret("consumer_secret"),
        webhook_secret=config.secret("webhook_secret"),
        **settings,
    )
    connector: Connector = build_connector(config.code, typed)
    return connector


def sim_inbound(config: ConnectionConfig) -> InboundConnector:
    """The platform package's own `inbound_connector` when it has one, else the bridge around the
    outbound connector (the installed fallback verifies and parses but cannot map payloads)."""
    module = importlib.import_module(f"stockbridge.connectors.{config.platform}")
    if getattr(module, "inbound_connector", None) is not None:
        return inbound.installed_connector_source(config)
    return InboundBridge(sim_connector(config))


class InboundBridge:
    """An `InboundConnector` made of a platform connector plus order mappings of its payloads."""

    def __init__(self, connector: Connector) -> None:
        self.connector = connector
        self.platform = connector.platform

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.connector.verify_webhook(headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        return self.connector.parse_webhook(headers, body)

    def webhook_facts(self, message: WebhookMessage) -> InboundFacts:
        if message.topic not in ORDER_TOPICS.get(self.platform, set()):
            return Ignored(f"topic {message.topic} carries no order facts the simulator uses")
        payload = message.payload
        if self.platform == "shopify":
            return OrderFacts(
                str(payload.get("admin_graphql_api_id") or f"gid://shopify/Order/{payload['id']}"),
                _time(payload.get("updated_at")),
                _lines(payload.get("line_items") or []),
                cancelled=bool(payload.get("cancelled_at")),
            )
        status = str(payload.get("status", ""))
        return OrderFacts(
            str(payload["id"]),
            _time(payload.get("date_modified_gmt")),
            _lines(payload.get("line_items") or []),
            cancelled=status in ("cancelled", "failed", "trash"),
        )

    def order_facts(self, order: RemoteOrder) -> OrderFacts:
        lines = tuple(OrderLine(None, line.sku, line.quantity) for line in order.lines)
        return OrderFacts(order.order_id, order.updated_at, lines, cancelled=order.status == "cancelled")

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        return await self.connector.orders(cursor, limit=limit)

    async def aclose(self) -> None:
        await self.connector.aclose()


def _lines(items: Sequence[Mapping[str, Any]]) -> tuple[OrderLine, ...]:
    return tuple(OrderLine(None, str(item.get("sku") or "") or None, int(item["quantity"])) for item in items)


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
