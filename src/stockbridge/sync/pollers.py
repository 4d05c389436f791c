"""Pollers: read each connection's orders by `updated_at` with an overlapping cursor and put them in
the inbox beside the webhooks (topic `poll/order`, delivery id `poll:{order id}@{updated_at}`),
so one path processes both: orders whose webhooks never came are caught, an order version seen
twice is stored once, and an order seen both ways applies once (its facts are keyed by its ids).

Each page is one transaction: its orders are stored and the cursor is checkpointed in the same
commit, so a crash never skips a page and never advances the cursor past an unstored order.
`InboundLoop` is the long-running worker (`stockbridge inbound run`) that processes the inbox and
polls on a schedule, each poll on its own task so that a slow or unreachable channel never holds
up the inbox; `InboundMetrics` and `InboxStateCollector` are what it shows on `/metrics`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from stockbridge.connectors.base import RemoteOrder
from stockbridge.connectors.errors import ConnectorError
from stockbridge.errors import StockbridgeError
from stockbridge.services.connections import ConnectionConfig, list_connections, load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.store.schema_sync import webhook_inbox
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


class InboundMetrics:
    """Counters of the inbound worker, on a registry the caller passes in (nothing global):

    stockbridge_inbox_processed_total        inbox rows handled, by resulting status
    stockbridge_inbound_polls_total          polls by connection and outcome (ok, failed)
    stockbridge_inbound_polled_orders_total  order versions a poll stored as new inbox rows
    """

    def __init__(self, registry: CollectorRegistry) -> None:
        self.processed = Counter(
            "stockbridge_inbox_processed", "Inbox rows handled, by status.", ["status"], registry=registry
        )
        self.polls = Counter(
            "stockbridge_inbound_polls", "Order polls.", ["connection", "outcome"], registry=registry
        )
        self.polled_orders = Counter(
            "stockbridge_inbound_polled_orders",
            "Order versions a poll stored in the inbox.",
            ["connection"],
            registry=registry,
        )


class InboxStateCollector(Collector):
    """Inbox gauges read from the database at scrape time (so they survive a restart of the worker):

    stockbridge_inbox_rows{status}             rows by status (pending, done, failed, quarantined)
    stockbridge_inbox_oldest_pending_seconds   age of the oldest pending row (0 when none)
    """

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def collect(self) -> Iterable[GaugeMetricFamily]:
        rows = GaugeMetricFamily("stockbridge_inbox_rows", "Inbox rows by status.", labels=["status"])
        oldest = GaugeMetricFamily(
            "stockbridge_inbox_oldest_pending_seconds", "Age of the oldest pending inbox row."
        )
        c = webhook_inbox.c
        mine = c.tenant_id == self._ctx.tenant_id
        with self._ctx.read() as conn:
            counts = conn.execute(sa.select(c.status, sa.func.count()).where(mine).group_by(c.status))
            for status, n in counts:
                rows.add_metric([str(status)], int(n))
            first = conn.scalar(sa.select(sa.func.min(c.received_at)).where(mine, c.status == "pending"))
        age = 0.0 if first is None else (self._ctx.clock.now() - _aware(first)).total_seconds()
        oldest.add_metric([], max(age, 0.0))
        return [rows, oldest]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass
class InboundLoop:
    """The long-running inbound worker: process the inbox every `process_every_s` and poll the
    orders of every enabled connection every `poll_every_s` (on the injected clock), until `stop`.

    A poll runs on its own asyncio task (one at a time; the connections side by side): the inbox
    pass starts it when it is due and goes on without waiting, so a channel that is slow or down
    (retries, backoff) holds up neither the inbox nor the other connections. When `stop` is set,
    a running poll gets `stop_grace_s` to finish its page before it is cancelled (each page is its
    own transaction, so a cancelled poll resumes at its checkpoint). Connectors are built once per
    connection and closed at the end; a connection whose poll fails is logged and tried again next
    time, the others carry on."""

    ctx: HubContext
    source: ConnectorSource
    process_every_s: float = 0.5
    poll_every_s: float | None = 300.0
    lookback: timedelta = DEFAULT_LOOKBACK
    batch: int = 500
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    metrics: InboundMetrics | None = None
    stop_grace_s: float = 10.0
    connectors: dict[str, InboundConnector] = field(default_factory=dict)
    polled_at: datetime | None = None  # when the last poll started
    processed: dict[str, int] = field(default_factory=dict)
    poll_task: asyncio.Task[None] | None = field(default=None, repr=False)

    @property
    def polling(self) -> bool:
        return self.poll_task is not None and not self.poll_task.done()

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
            await self._end_poll()
            for connector in self.connectors.values():
                await connector.aclose()

    async def tick(self) -> int:
        """Start a poll if one is due (it runs on its own task), then one inbox pass of at most
        `batch` rows; rows processed."""
        self.start_poll_if_due()
        report = await asyncio.to_thread(process_inbox, self.ctx, self.source, limit=self.batch)
        for status, n in report.counts.items():
            self.processed[status] = self.processed.get(status, 0) + n
            if self.metrics is not None:
                self.metrics.processed.labels(status).inc(n)
        return report.processed

    def start_poll_if_due(self) -> bool:
        """Start polling every enabled connection on a task of its own, unless one still runs or
        the last one started less than `poll_every_s` ago. True when one started."""
        if self.poll_every_s is None or self.polling:
            return False
        now = self.ctx.clock.now()
        if self.polled_at is not None and now - self.polled_at < timedelta(seconds=self.poll_every_s):
            return False
        self.polled_at = now
        self.poll_task = asyncio.create_task(self._poll_all(), name="inbound-poll")
        return True

    async def _poll_all(self) -> None:
        # The database work of a poll is short and runs on the loop (the inbox pass runs in a
        # thread meanwhile); what may take long is waiting on the channel, and that awaits.
        try:
            configs = _enabled_configs(self.ctx)
        except Exception:  # the database is away: the next poll tries again
            logger.exception("listing the connections to poll failed; next time again")
            return
        await asyncio.gather(*(self._poll(config) for config in configs))

    async def _end_poll(self) -> None:
        task, self.poll_task = self.poll_task, None
        if task is None or task.done():
            return
        _done, pending = await asyncio.wait({task}, timeout=self.stop_grace_s)
        if pending:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self, config: ConnectionConfig) -> None:
        outcome = "failed"
        try:
            if config.code not in self.connectors:
                self.connectors[config.code] = self.source(config)
            record = record_of(config, self.ctx.tenant_id)
            report = await poll_orders(self.ctx, record, self.connectors[config.code], lookback=self.lookback)
            outcome = "ok"
            if self.metrics is not None:
                self.metrics.polled_orders.labels(config.code).inc(report.stored)
        except (ConnectorError, LookupError, StockbridgeError) as error:
            logger.warning("polling %s failed, next time again: %s", config.code, error)
        except Exception:  # a connector without an order stream, a bug: stays inside its connection
            logger.exception("polling %s failed, next time again", config.code)
        finally:
            if self.metrics is not None:
                self.metrics.polls.labels(config.code, outcome).inc()


def _enabled_configs(ctx: HubContext) -> list[ConnectionConfig]:
    return [load_connection_config(ctx, view.code) for view in list_connections(ctx, enabled_only=True)]
