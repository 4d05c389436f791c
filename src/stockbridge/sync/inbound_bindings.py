"""The inbound model and its mapping: what a channel says (order facts, level reports, in the
channel's ids), the connector port that says it (`InboundConnector`: a platform package offers
`inbound_connector(config)`; without one, webhooks still verify and store, and processing fails
with that reason), and the connections and id bindings that turn the channel's item and location
ids into hub SKUs and locations.

Bindings are written by services.bindings (internal id = our row id as text). Lookups fall back
on what the core already knows: a SKU code or a connection alias equal to the channel's own SKU
text, a location code or a connection external code equal to the remote location id.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import sqlalchemy as sa

from stockbridge.connectors.base import Connector, OrderCursor, OrderLine, RemoteOrder, WebhookMessage
from stockbridge.errors import NotFoundError, UnknownReferenceError, ValidationError
from stockbridge.services.channel_orders import ChannelOrder, MovementKind, OrderLineRef, OrderMovement
from stockbridge.services.connections import ConnectionConfig
from stockbridge.store.references import ReferenceResolver, SkuRef, load_skus
from stockbridge.store.schema import channels
from stockbridge.store.schema_sync import bindings, connections
from stockbridge.sync.connectors import UnsupportedPlatformError, installed_connector

_c = connections.c
_bd = bindings.c


@dataclass(frozen=True)
class RemoteMovement:
    """A fulfilment, a refund restocking shipped units (`return`) or unshipped ones (`release`),
    or restocked units whatever they are (`restock`: released while committed, else returned),
    named by the platform's own id (fulfilment id, refund id, restocked unit) so that it applies
    once."""

    movement_id: str
    kind: MovementKind
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class OrderFacts:
    """What one message tells about one order. `lines` is None when the message does not carry
    the order's lines (e.g. a refund webhook); such a message waits until the order is known.
    `updated_at` is the order's own, given only by a message that is the order's whole state at
    that instant (an order webhook, a polled order): the version of it the hub then has.
    `waits` False: the message applies only to an order whose sale the hub recorded, and without
    one there is nothing to wait for (e.g. a WooCommerce order cancelled unpaid: it held stock only
    if it was on hold, which only the hub's own record can tell)."""

    order_id: str
    updated_at: datetime | None
    lines: tuple[OrderLine, ...] | None
    cancelled: bool = False
    movements: tuple[RemoteMovement, ...] = ()
    waits: bool = True


@dataclass(frozen=True)
class LevelReport:
    """The channel's own level of an item (e.g. Shopify `inventory_levels/update`): a drift signal."""

    item_id: str
    location_id: str | None
    available: int
    updated_at: datetime | None = None


@dataclass(frozen=True)
class Ignored:
    reason: str


InboundFacts = OrderFacts | LevelReport | Ignored


class InboundConnector(Protocol):
    """What the inbound path needs of a connector: the webhook half of `connectors.base.Connector`,
    its order stream, and the mapping of platform payloads to `InboundFacts`."""

    platform: str

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool: ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage: ...

    def webhook_facts(self, message: WebhookMessage) -> InboundFacts: ...

    def order_facts(self, order: RemoteOrder) -> InboundFacts:
        """What a polled order says (Ignored: e.g. an unpaid order that holds no stock)."""

    async def orders(
        self, cursor: OrderCursor, *, limit: int = 250
    ) -> tuple[list[RemoteOrder], OrderCursor]: ...

    async def aclose(self) -> None: ...


OrderVersion = tuple[str, datetime]  # (order id, its `updated_at`): an order as a listing names it


@runtime_checkable
class OrderVersionSource(Protocol):
    """A connector whose channel lists which orders changed (id and `updated_at`) for far less than
    reading them whole (Shopify: about 1 cost point per order listed, 8 per order read whole), so
    that a poll reads whole only the versions the hub has not recorded (`sync.pollers`).

    `order_versions` follows the `OrderCursor` contract of `orders` and lists only orders updated
    at or before `until` (when given); `read_orders` reads the named orders whole, as they are now (an
    order gone from the channel is left out)."""

    async def order_versions(
        self, cursor: OrderCursor, *, limit: int = 250, until: datetime | None = None
    ) -> tuple[list[OrderVersion], OrderCursor]: ...

    async def read_orders(self, order_ids: Sequence[str]) -> list[RemoteOrder]: ...


POLLED_ORDER_TOPIC = "poll/order"  # inbox rows a poller stored: the body is `encode_remote_order`


def encode_remote_order(order: RemoteOrder) -> bytes:
    data = {
        "order_id": order.order_id,
        "status": order.status,
        "updated_at": order.updated_at.isoformat(),
        "lines": [asdict(line) for line in order.lines],
        "raw": order.raw,
    }
    return json.dumps(data, separators=(",", ":"), default=str).encode()


def decode_remote_order(body: bytes) -> RemoteOrder:
    data = json.loads(body)
    lines = tuple(OrderLine(**line) for line in data["lines"])
    updated_at = datetime.fromisoformat(data["updated_at"])
    return RemoteOrder(str(data["order_id"]), data["status"], updated_at, lines, data.get("raw") or {})


def facts_from_remote_order(order: RemoteOrder) -> OrderFacts:
    """The facts a bare `RemoteOrder` carries: its lines and whether it is cancelled."""
    return OrderFacts(order.order_id, order.updated_at, order.lines, cancelled=order.status == "cancelled")


@dataclass(frozen=True)
class ConnectionRecord:
    """What processing needs of a connection (no secrets: connectors get `ConnectionConfig`)."""

    id: int
    tenant_id: int
    code: str
    platform: str
    channel: str | None
    enabled: bool
    channel_id: int | None = None

    @property
    def source(self) -> str:
        """The prefix of every idempotency key and quarantine source this connection produces."""
        return f"{self.platform}:{self.code}"


def record_of(config: ConnectionConfig, tenant_id: int) -> ConnectionRecord:
    view = config.view
    return ConnectionRecord(
        view.id, tenant_id, view.code, view.platform, view.channel, view.enabled, view.channel_id
    )


def get_connection_by_id(conn: sa.Connection, connection_id: int) -> ConnectionRecord:
    found = _one(conn, _c.id == connection_id)
    if found is None:
        raise NotFoundError(f"no connection #{connection_id}", connection_id=connection_id)
    return found


def _one(conn: sa.Connection, condition: sa.ColumnElement[bool]) -> ConnectionRecord | None:
    query = (
        sa.select(
            _c.id,
            _c.tenant_id,
            _c.code,
            _c.platform,
            _c.enabled,
            _c.channel_id,
            channels.c.code.label("channel_code"),
        )
        .select_from(connections.outerjoin(channels, channels.c.id == _c.channel_id))
        .where(condition)
    )
    row = conn.execute(query).first()
    if row is None:
        return None
    return ConnectionRecord(
        int(row.id),
        int(row.tenant_id),
        row.code,
        row.platform,
        row.channel_code,
        bool(row.enabled),
        None if row.channel_id is None else int(row.channel_id),
    )


def find_binding(
    conn: sa.Connection, record: ConnectionRecord, object_type: str, external_id: str
) -> int | None:
    """The internal row id an external id is bound to (services.bindings stores ids as text)."""
    found = conn.scalar(
        sa.select(_bd.internal_id).where(
            _bd.tenant_id == record.tenant_id,
            _bd.connection_id == record.id,
            _bd.object_type == object_type,
            _bd.external_id == external_id,
        )
    )
    return int(found) if found is not None and str(found).isdigit() else None


class InboundResolver:
    """Remote item and location ids to hub references, one instance per transaction."""

    def __init__(self, conn: sa.Connection, record: ConnectionRecord) -> None:
        self._conn, self._record = conn, record
        self._refs = ReferenceResolver(conn, record.tenant_id)

    @property
    def references(self) -> ReferenceResolver:
        return self._refs

    def sku(self, item_id: str | None, sku_text: str | None, *, field: str) -> SkuRef:
        """The SKU bound to `item_id`, else the SKU (or connection alias) named by the SKU text."""
        bound = find_binding(self._conn, self._record, "sku", item_id) if item_id else None
        if bound is not None and (ref := load_skus(self._conn, {bound}).get(bound)) is not None:
            return ref
        if not sku_text:
            raise UnknownReferenceError(
                f"item {item_id!r} has no binding and no SKU on connection {self._record.code!r}",
                field=field,
                item_id=item_id,
            )
        try:
            return self._refs.sku(sku_text, self._record.code, field=field)
        except UnknownReferenceError as error:
            raise UnknownReferenceError(
                f"{error.message} (item {item_id!r} on connection {self._record.code!r})",
                field=field,
                sku=sku_text,
                item_id=item_id,
            ) from None

    def location(self, remote_id: str | None, *, field: str) -> int | None:
        """The hub location of a remote location id; None when the channel names none."""
        if not remote_id:
            return None
        bound = find_binding(self._conn, self._record, "location", remote_id)
        return (
            bound if bound is not None else self._refs.location(remote_id, self._record.code, field=field).id
        )


ConnectorSource = Callable[[ConnectionConfig], InboundConnector]


def to_channel_order(resolver: InboundResolver, record: ConnectionRecord, facts: OrderFacts) -> ChannelOrder:
    """The facts in hub terms; an unknown item or location raises UnknownReferenceError."""
    lines = (
        None
        if facts.lines is None
        else tuple(_line(resolver, line, f"lines[{i}]") for i, line in enumerate(facts.lines))
    )
    movements = tuple(
        OrderMovement(
            m.movement_id,
            m.kind,
            tuple(
                _line(resolver, line, f"{m.kind}[{m.movement_id}].lines[{i}]")
                for i, line in enumerate(m.lines)
            ),
        )
        for m in facts.movements
    )
    return ChannelOrder(
        source=record.source,
        connection_id=record.id,
        order_id=facts.order_id,
        channel=record.channel,
        lines=lines,
        cancelled=facts.cancelled,
        movements=movements,
        occurred_at=facts.updated_at,
        version=facts.updated_at,
    )


def _line(resolver: InboundResolver, line: OrderLine, where: str) -> OrderLineRef:
    if not isinstance(line.quantity, int) or line.quantity < 0:
        raise ValidationError(
            f"{where}.quantity must be a whole number of zero or more", field=f"{where}.quantity"
        )
    sku = resolver.sku(line.item_id, line.sku, field=f"{where}.sku")
    location = resolver.location(line.location_id, field=f"{where}.location")
    return OrderLineRef(
        sku_id=sku.id,
        quantity=line.quantity,
        location_id=location,
        parts=sku.components if sku.is_bundle else (),
    )


def installed_connector_source(config: ConnectionConfig) -> InboundConnector:
    """The inbound adapter of the connection's platform: the hub's own for Shopify and WooCommerce,
    else the platform package's `inbound_connector(config)` when it offers one, else the outbound
    connector, which verifies and parses webhooks (so deliveries are stored) but cannot map them."""
    if config.platform in _ADAPTERS:
        module = importlib.import_module(_ADAPTERS[config.platform][0])
        adapter: InboundConnector = getattr(module, _ADAPTERS[config.platform][1])(config)
        return adapter
    module_or_none: Any = (
        importlib.import_module(f"stockbridge.connectors.{config.platform}") if _has_package(config) else None
    )
    factory = getattr(module_or_none, "inbound_connector", None)
    if factory is not None:
        inbound: InboundConnector = factory(config)
        return inbound
    return WebhookOnlyInbound(installed_connector(config))


# Imported lazily: the adapters import this module for the inbound model.
_ADAPTERS = {
    "shopify": ("stockbridge.sync.inbound_shopify", "shopify_inbound"),
    "woocommerce": ("stockbridge.sync.inbound_woocommerce", "woo_inbound"),
}


def _has_package(config: ConnectionConfig) -> bool:
    return importlib.util.find_spec(f"stockbridge.connectors.{config.platform}") is not None


class WebhookOnlyInbound:
    """The inbound side of any connector: verifies, parses and polls through it. Platform adapters
    subclass it and map payloads (`webhook_facts`); without one, processing a message fails with
    the reason (the row stays in the inbox, to be requeued once a mapping exists)."""

    def __init__(self, connector: Connector) -> None:
        self.connector, self.platform = connector, connector.platform

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.connector.verify_webhook(headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        return self.connector.parse_webhook(headers, body)

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        return await self.connector.orders(cursor, limit=limit)

    async def aclose(self) -> None:
        await self.connector.aclose()

    def order_facts(self, order: RemoteOrder) -> InboundFacts:
        return facts_from_remote_order(order)

    def webhook_facts(self, message: WebhookMessage) -> InboundFacts:
        raise UnsupportedPlatformError(
            f"the {self.platform} connector does not map webhook payloads to order facts (webhook_facts)"
        )
