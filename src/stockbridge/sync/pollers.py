"""Pollers: read each connection's orders by `updated_at` with an overlapping cursor and put them in
the inbox beside the webhooks (topic `poll/order`, delivery id `poll:{order id}@{updated_at}`),
so one path processes both: orders whose webhooks never came are caught, an order version seen
twice is stored once, and an order seen both ways applies once (its facts are keyed by its ids).

Each page is one transaction: its orders are stored and the cursor is checkpointed in the same
commit, so a crash never skips a page and never advances the cursor past an unstored order.
`InboundLoop` is the long-running worker that polls on a schedule and processes the inbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from stockbridge.connectors.base import RemoteOrder
from stockbridge.connectors.errors import ConnectorError
from stockbridge.errors import StockbridgeError
from stockbridge.services.connections import ConnectionConfig, list_connections, load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.sync.cursors import TimeCursor, load_cursor, save_cursor
from stockbridge.sync.inbound_bindings import (
    POLLED_ORDER_TOPIC,
    ConnectionRecord,
    ConnectorSource,
    InboundConnector,
    encode_remote_order,
    record_of,
)
from stockbridge.sync.inbox import insert_delivery, process_inbox

logger = logging.getLogger(__name__)
ORDERS_STREAM = "orders"
DEFAULT_LOOKBACK = timedelta(minutes=10)


@dataclass
class PollReport:
    pages: int = 0
    fetched: int = 0
    skipped_ties: int = 0  # already handled at the cursor's own instant
    stored: int = 0  # new inbox rows
    known: int = 0  # this version of the order was already in the inbox
    cursor: TimeCursor = field(default_factory=TimeCursor)


async def poll_orders(
    ctx: HubContext,
    record: ConnectionRecord,
    connector: InboundConnector,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    page_size: int = 250,
    max_pages: int = 1000,
) -> PollReport:
    """Store one connection's orders from its checkpoint (minus `lookback`) to the newest."""
    with ctx.read() as conn:
        cursor = load_cursor(conn, record.id, ORDERS_STREAM)
    report = PollReport(cursor=cursor)
    request = cursor.request(lookback)
    for _ in range(max_pages):
        orders, next_request = await connector.orders(request, limit=page_size)
        if not orders:
            break
        fresh = [o for o in orders if report.cursor.is_new(o.order_id, o.updated_at)]
        advanced = report.cursor.advance((o.order_id, o.updated_at) for o in orders)
        stored = ctx.write(lambda conn, f=fresh, c=advanced: _store_page(conn, ctx, record, f, c))  # type: ignore[misc]
        report.pages, report.fetched = report.pages + 1, report.fetched + len(orders)
        report.skipped_ties += len(orders) - len(fresh)
        report.stored, report.known = report.stored + stored, report.known + len(fresh) - stored
        report.cursor = advanced
        if next_request == request:
            break  # the connector cannot page further from here
        request = next_request
    logger.info(
        "polled %s: %s pages, %s orders, %s new", record.source, report.pages, report.fetched, report.stored
    )
    return report


def _store_page(
    conn: sa.Connection,
    ctx: HubContext,
    record: ConnectionRecord,
    orders: Sequence[RemoteOrder],
    cursor: TimeCursor,
) -> int:
    now, stored = ctx.clock.now(), 0
    for order in orders:
        values = {
            "tenant_id": record.tenant_id,
            "connection_id": record.id,
            "topic": POLLED_ORDER_TOPIC,
            "delivery_id": f"poll:{order.order_id}@{order.updated_at.isoformat()}"[:200],
            "headers": {},
            "body": encode_remote_order(order),
            "received_at": now,
            "status": "pending",
            "attempts": 0,
        }
        stored += insert_delivery(conn, values) is not None
    save_cursor(conn, record.id, ORDERS_STREAM, cursor, now)
    return stored


@dataclass
class InboundLoop:
    """The long-running inbound worker: process the inbox every `process_every_s` and poll the
    orders of every enabled connection every `poll_every_s` (on the injected clock), until `stop`.
    Connectors are built once per connection and closed at the end; a connection whose poll fails
    is logged and tried again next time, the others carry on."""

    ctx: HubContext
    source: ConnectorSource
    process_every_s: float = 0.5
    poll_every_s: float | None = 300.0
    lookback: timedelta = DEFAULT_LOOKBACK
    batch: int = 500
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    connectors: dict[str, InboundConnector] = field(default_factory=dict)
    polled_at: datetime | None = None
    processed: dict[str, int] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    backlog = await self.tick() >= self.batch
                except Exception:  # e.g. the database is away: log, wait, try again
                    logger.exception("inbound tick failed; retrying after %s s", self.process_every_s)
                    backlog = False
                if not backlog:  # a full pass means more may be waiting: go on at once
                    await self.sleep(self.process_every_s)
        finally:
            for connector in self.connectors.values():
                await connector.aclose()

    async def tick(self) -> int:
        """Poll whatever is due, then one inbox pass of at most `batch` rows; rows processed."""
        now = self.ctx.clock.now()
        due = self.poll_every_s is not None and (
            self.polled_at is None or now - self.polled_at >= timedelta(seconds=self.poll_every_s)
        )
        if due:
            self.polled_at = now
            for config in await asyncio.to_thread(_enabled_configs, self.ctx):
                await self._poll(config)
        report = await asyncio.to_thread(process_inbox, self.ctx, self.source, limit=self.batch)
        for status, n in report.counts.items():
            self.processed[status] = self.processed.get(status, 0) + n
        return report.processed

    async def _poll(self, config: ConnectionConfig) -> None:
        try:
            if config.code not in self.connectors:
                self.connectors[config.code] = self.source(config)
            record = record_of(config, self.ctx.tenant_id)
            await poll_orders(self.ctx, record, self.connectors[config.code], lookback=self.lookback)
        except (ConnectorError, LookupError, StockbridgeError) as error:
            logger.warning("polling %s failed, next time again: %s", config.code, error)
        except Exception:  # a connector without an order stream, a bug: stays inside its connection
            logger.exception("polling %s failed, next time again", config.code)


def _enabled_configs(ctx: HubContext) -> list[ConnectionConfig]:
    return [load_connection_config(ctx, view.code) for view in list_connections(ctx, enabled_only=True)]
