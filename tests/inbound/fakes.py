"""A hand-written fake channel for inbound tests: signs and parses webhooks like a platform
(HMAC-SHA256 over the raw body, base64, in a header), maps its payloads to `InboundFacts`, and
serves its orders by `updated_at` with cursor paging, as a platform's order list does.

Payloads (JSON): an order is `{"id", "updated_at", "cancelled", "line_items": [{"item_id", "sku",
"quantity", "location_id"}], "fulfillments": [{"id", "line_items"}], "refunds": [{"id", "restock",
"line_items"}]}`; `refunds/create` carries one refund with its `order_id`; `inventory_levels/update`
carries `{"item_id", "location_id", "available"}`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from stockbridge.connectors.base import OrderCursor, OrderLine, RemoteOrder, WebhookMessage
from stockbridge.services.connections import ConnectionConfig
from stockbridge.sync.inbound_bindings import (
    Ignored,
    InboundFacts,
    LevelReport,
    OrderFacts,
    RemoteMovement,
)

SIGNATURE, TOPIC, EVENT_ID = "x-fake-hmac-sha256", "x-fake-topic", "x-fake-event-id"
_ids = itertools.count(1)


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def webhook(
    topic: str, payload: Mapping[str, Any], secret: str, event_id: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """A delivery as the fake platform sends it: body bytes and signed headers."""
    body = json.dumps(payload, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Fake-Topic": topic,
        "X-Fake-Event-Id": event_id or f"auto-{next(_ids)}",
        "X-Fake-Hmac-Sha256": sign(body, secret),
    }
    return body, headers


def order_payload(
    order_id: str,
    updated_at: datetime,
    lines: Sequence[tuple[Any, ...]],
    *,
    cancelled: bool = False,
    fulfillments: list[dict[str, Any]] | None = None,
    refunds: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    return {
        "id": order_id,
        "updated_at": updated_at.isoformat(),
        "cancelled": cancelled,
        "line_items": [_item(*line) for line in lines],
        "fulfillments": fulfillments or [],
        "refunds": refunds or [],
    }


def _item(
    item_id: str | None, sku: str | None, quantity: int, location_id: str | None = None
) -> dict[str, Any]:
    return {"item_id": item_id, "sku": sku, "quantity": quantity, "location_id": location_id}


class FakeConnector:
    """Implements `InboundConnector` for platform `fake`, over an in-memory order list."""

    platform = "fake"

    def __init__(self, secret: str = "s3cret") -> None:
        self.secret = secret
        self.orders_by_id: dict[str, RemoteOrder] = {}
        self.order_calls: list[OrderCursor] = []
        self.fail_after_pages: int | None = None
        self.crash_on_topic: str | None = None
        self.closed = False

    def for_config(self, config: ConnectionConfig) -> FakeConnector:
        """A `ConnectorSource`: the secret must be the connection's own."""
        assert config.secret("webhook_secret") == self.secret
        return self

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        given = headers.get(SIGNATURE, "")
        return hmac.compare_digest(given.encode(), sign(body, self.secret).encode())

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        return WebhookMessage(headers[TOPIC], headers[EVENT_ID], json.loads(body))

    def webhook_facts(self, message: WebhookMessage) -> InboundFacts:
        if message.topic == self.crash_on_topic:
            raise WorkerCrash("the worker died mid-message")
        p = message.payload
        if message.topic.startswith("orders/"):
            return order_facts_of(p)
        if message.topic == "refunds/create":
            movement = _refund(p)
            return OrderFacts(str(p["order_id"]), None, None, movements=(movement,))
        if message.topic == "inventory_levels/update":
            return LevelReport(str(p["item_id"]), p.get("location_id"), int(p["available"]))
        return Ignored(f"topic {message.topic} is not about stock")

    def order_facts(self, order: RemoteOrder) -> OrderFacts:
        return order_facts_of(order.raw)

    def put_order(self, payload: dict[str, Any]) -> RemoteOrder:
        """The platform's own copy of an order (what a poll reads)."""
        facts = order_facts_of(payload)
        order = RemoteOrder(
            facts.order_id,
            "cancelled" if facts.cancelled else "open",
            datetime.fromisoformat(payload["updated_at"]),
            facts.lines or (),
            payload,
        )
        self.orders_by_id[order.order_id] = order
        return order

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        """Updated at or after `cursor.updated_after`, oldest first, skipping `seen` ids at that instant."""
        return self._page(cursor, limit, None)

    def _page(
        self, cursor: OrderCursor, limit: int, until: datetime | None
    ) -> tuple[list[RemoteOrder], OrderCursor]:
        self.order_calls.append(cursor)
        if self.fail_after_pages is not None and len(self.order_calls) > self.fail_after_pages:
            raise PlatformDown("the platform is down")
        start = cursor.updated_after
        ordered = sorted(self.orders_by_id.values(), key=lambda o: (o.updated_at, o.order_id))
        page = [
            o
            for o in ordered
            if (until is None or o.updated_at <= until)
            and (
                start is None
                or o.updated_at > start
                or (o.updated_at == start and o.order_id not in cursor.seen)
            )
        ][:limit]
        if not page:
            return [], cursor
        last = page[-1].updated_at
        seen = {o.order_id for o in page if o.updated_at == last}
        if last == start:
            seen |= cursor.seen
        return page, OrderCursor(last, frozenset(seen))

    async def aclose(self) -> None:
        self.closed = True


class ListingFakeConnector(FakeConnector):
    """A channel that lists order versions cheaply and reads orders whole by id, as Shopify does
    (`OrderVersionSource`); `read_whole` records every order it was asked to read whole."""

    def __init__(self, secret: str = "s3cret") -> None:
        super().__init__(secret)
        self.read_whole: list[str] = []

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        raise AssertionError("a poll of a listing channel reads orders whole only by id")

    async def order_versions(
        self, cursor: OrderCursor, *, limit: int = 250, until: datetime | None = None
    ) -> tuple[list[tuple[str, datetime]], OrderCursor]:
        page, after = self._page(cursor, limit, until)
        return [(o.order_id, o.updated_at) for o in page], after

    async def read_orders(self, order_ids: Sequence[str]) -> list[RemoteOrder]:
        self.read_whole.extend(order_ids)
        return [self.orders_by_id[i] for i in order_ids if i in self.orders_by_id]


class WorkerCrash(BaseException):
    """Stands for a worker process dying: not an Exception, so nothing handles it."""


class PlatformDown(Exception):
    pass


def order_facts_of(p: Mapping[str, Any]) -> OrderFacts:
    return OrderFacts(
        order_id=str(p["id"]),
        updated_at=datetime.fromisoformat(p["updated_at"]) if p.get("updated_at") else None,
        lines=tuple(_line(i) for i in p.get("line_items", [])),
        cancelled=bool(p.get("cancelled")),
        movements=(
            *(
                RemoteMovement(str(f["id"]), "fulfilment", tuple(_line(i) for i in f["line_items"]))
                for f in p.get("fulfillments", [])
            ),
            *(_refund(r) for r in p.get("refunds", [])),
        ),
    )


def _refund(r: Mapping[str, Any]) -> RemoteMovement:
    lines = tuple(_line(i) for i in r["line_items"])
    if r.get("restock") == "return":
        return RemoteMovement(str(r["id"]), "return", lines)
    return RemoteMovement(str(r["id"]), "release", lines)


def _line(i: Mapping[str, Any]) -> OrderLine:
    return OrderLine(i.get("item_id"), i.get("sku"), int(i["quantity"]), i.get("location_id"))
