"""Pollers: read each connection's orders by `updated_at` with an overlapping cursor and put them in
the inbox beside the webhooks (topic `poll/order`, delivery id `poll:{order id}@{updated_at}`),
so one path processes both: orders whose webhooks never came are caught, an order version seen
twice is stored once, and an order seen both ways applies once (its facts are keyed by its ids).

Each page is one transaction: its orders are stored and the cursor is checkpointed in the same
commit, so a crash never skips a page and never advances the cursor past an unstored order.
A poll starts at its checkpoint; it re-reads the look-back behind it only as a periodic sweep
(`sync.cursors`), so what a poll reads grows with what is new, not with the look-back.

A connector that lists order versions cheaply (`OrderVersionSource`, e.g. Shopify, whose cost
bucket pays for about 12 orders a second read whole) is listed, and only the versions the hub has
neither stored from a poll nor recorded (an order's newest whole state, `recorded_versions`) are
read whole; orders updated less than `settle` ago are left for the next poll, so that their
webhooks, normally there and processed within seconds, spare the channel's budget.

`InboundLoop` is the long-running worker (`stockbridge inbound run`) that processes the inbox and
polls on a schedule, each connection's poll on its own task so that a slow or unreachable channel
holds up neither the inbox nor the polls of the other connections; `InboundMetrics` and
`InboxStateCollector` are what it shows on `/metrics`.
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

from stockbridge.connectors.base import OrderCursor, RemoteOrder
from stockbridge.connectors.errors import ConnectorError
from stockbridge.errors import StockbridgeError
from stockbridge.services.connections import ConnectionConfig, list_connections, load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.services.order_history import recorded_versions
from stockbridge.store.schema_sync import webhook_inbox
from stockbridge.sync.cursors import TimeCursor, load_cursor, save_cursor
from stockbridge.sync.inbound_bindings import (
    POLLED_ORDER_TOPIC,
    ConnectionRecord,
    ConnectorSource,
    InboundConnector,
    OrderVersion,
    OrderVersionSource,
    encode_remote_order,
    record_of,
)
from stockbridge.sync.inbox import insert_delivery, process_inbox

logger = logging.getLogger(__name__)
ORDERS_STREAM = "orders"
DEFAULT_LOOKBACK = timedelta(minutes=10)
DEFAULT_SETTLE = timedelta(seconds=10)


@dataclass
class PollReport:
    pages: int = 0
    fetched: int = 0  # orders listed (read whole, or as versions)
    skipped_ties: int = 0  # already handled at the cursor's own instant
    stored: int = 0  # new inbox rows
    known: int = 0  # this version of the order was already in the inbox, or recorded
    read_whole: int = 0  # orders read whole
    swept: bool = False  # this poll re-read the look-back
    cursor: TimeCursor = field(default_factory=TimeCursor)


async def poll_orders(
    ctx: HubContext,
    record: ConnectionRecord,
    connector: InboundConnector,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    sweep_every: timedelta = timedelta(0),
    settle: timedelta | None = DEFAULT_SETTLE,
    page_size: int = 250,
    max_pages: int = 1000,
) -> PollReport:
    """Store one connection's orders from its checkpoint to the newest.

    The poll starts `lookback` before the checkpoint when a sweep is due (the last one started
    `sweep_every` ago or more: by default every poll sweeps, `InboundLoop` sweeps every half
    look-back), else at the checkpoint. Through an `OrderVersionSource`, only orders updated
    `settle` or longer ago (by the hub's clock; None: up to the newest) are listed, and only the
    versions the hub does not have are read whole."""
    now = ctx.clock.now()
    until = None if settle is None else now - settle
    with ctx.read() as conn:
        cursor = load_cursor(conn, record.id, ORDERS_STREAM)
    sweep = cursor.sweep_due(now, sweep_every)
    report = PollReport(cursor=cursor.swept(now) if sweep else cursor, swept=sweep)
    request = cursor.request(lookback if sweep else timedelta(0))
    for _ in range(max_pages):
        if isinstance(connector, OrderVersionSource):
            listed, orders, next_request = await _versioned_page(
                ctx, record, connector, report, request, page_size, until
            )
        else:
            whole, next_request = await connector.orders(request, limit=page_size)
            listed = [(o.order_id, o.updated_at) for o in whole]
            orders = [o for o in whole if report.cursor.is_new(o.order_id, o.updated_at)]
        if not listed:
            break
        fresh = sum(report.cursor.is_new(*version) for version in listed)
        advanced = report.cursor.advance(listed)
        stored = ctx.write(lambda conn, f=orders, c=advanced: _store_page(conn, ctx, record, f, c))  # type: ignore[misc]
        report.pages, report.fetched = report.pages + 1, report.fetched + len(listed)
        report.read_whole += len(orders)
        report.skipped_ties += len(listed) - fresh
        report.stored, report.known = report.stored + stored, report.known + fresh - stored
        report.cursor = advanced
        if next_request == request:
            break  # the connector cannot page further from here
        request = next_request
    logger.info(
        "polled %s: %s pages, %s orders, %s read whole, %s new%s",
        record.source,
        report.pages,
        report.fetched,
        report.read_whole,
        report.stored,
        " (swept the look-back)" if sweep else "",
    )
    return report


async def _versioned_page(
    ctx: HubContext,
    record: ConnectionRecord,
    connector: OrderVersionSource,
    report: PollReport,
    request: OrderCursor,
    page_size: int,
    until: datetime | None,
) -> tuple[list[OrderVersion], list[RemoteOrder], OrderCursor]:
    """One page of versions, and the orders among them read whole: those not yet known."""
    listed, next_request = await connector.order_versions(request, limit=page_size, until=until)
    fresh = [v for v in listed if report.cursor.is_new(*v)]
    if not fresh:
        return listed, [], next_request
    with ctx.read() as conn:
        unknown = _unknown(conn, record, fresh)
    return listed, (await connector.read_orders(unknown) if unknown else []), next_request


def _unknown(conn: sa.Connection, record: ConnectionRecord, versions: Sequence[OrderVersion]) -> list[str]:
    """Ids of the orders whose listed version is neither in the inbox from a poll nor recorded
    (the hub's newest whole state of the order at that version or later)."""
    keys = {_delivery_id(order_id, updated_at): order_id for order_id, updated_at in versions}
    stored = set(
        conn.scalars(
            sa.select(webhook_inbox.c.delivery_id).where(
                webhook_inbox.c.connection_id == record.id, webhook_inbox.c.delivery_id.in_(keys)
            )
        )
    )
    recorded = recorded_versions(conn, record.tenant_id, record.id, (i for i, _ in versions))
    wanted = [
        order_id
        for order_id, updated_at in versions
        if _delivery_id(order_id, updated_at) not in stored
        and not (order_id in recorded and recorded[order_id] >= updated_at)
    ]
    return list(dict.fromkeys(wanted))


def _delivery_id(order_id: str, updated_at: datetime) -> str:
    return f"poll:{order_id}@{updated_at.isoformat()}"[:200]


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
            "delivery_id": _delivery_id(order.order_id, order.updated_at),
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

    Each connection's poll runs on an asyncio task of its own: the inbox pass starts the polls
    that are due and goes on without waiting, so a channel that is slow or down (retries, backoff,
    a cost bucket that pays for few orders a second) holds up neither the inbox nor the polls of
    the other connections; a connection whose poll still runs when the next is due is skipped
    that time (one poll per connection at a time). When `stop` is set, running polls get
    `stop_grace_s` to finish their page before they are cancelled (each page is its own
    transaction, so a cancelled poll resumes at its checkpoint). Connectors are built once per
    connection and closed at the end; a connection whose poll fails is logged and tried again
    next time, the others carry on."""

    ctx: HubContext
    source: ConnectorSource
    process_every_s: float = 0.5
    poll_every_s: float | None = 300.0
    lookback: timedelta = DEFAULT_LOOKBACK
    sweep_every: timedelta | None = None  # None: half the look-back
    settle: timedelta | None = DEFAULT_SETTLE  # None: list up to the newest
    batch: int = 500
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    metrics: InboundMetrics | None = None
    stop_grace_s: float = 10.0
    connectors: dict[str, InboundConnector] = field(default_factory=dict)
    polled_at: datetime | None = None  # when polls were last started
    processed: dict[str, int] = field(default_factory=dict)
    poll_tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict, repr=False)

    @property
    def polling(self) -> bool:
        return any(not task.done() for task in self.poll_tasks.values())

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
            await self._end_polls()
            for connector in self.connectors.values():
                await connector.aclose()

    async def tick(self) -> int:
        """Start the polls that are due (each on its own task), then one inbox pass of at most
        `batch` rows; rows processed."""
        self.start_poll_if_due()
        report = await asyncio.to_thread(process_inbox, self.ctx, self.source, limit=self.batch)
        for status, n in report.counts.items():
            self.processed[status] = self.processed.get(status, 0) + n
            if self.metrics is not None:
                self.metrics.processed.labels(status).inc(n)
        return report.processed

    def start_poll_if_due(self) -> bool:
        """Every `poll_every_s`: start polling each enabled connection on a task of its own, but
        for one whose last poll still runs. True when any started."""
        if self.poll_every_s is None:
            return False
        now = self.ctx.clock.now()
        if self.polled_at is not None and now - self.polled_at < timedelta(seconds=self.poll_every_s):
            return False
        self.polled_at = now
        # The database work of a poll is short and runs on the loop (the inbox pass runs in a
        # thread meanwhile); what may take long is waiting on the channel, and that awaits.
        try:
            configs = _enabled_configs(self.ctx)
        except Exception:  # the database is away: the next poll tries again
            logger.exception("listing the connections to poll failed; next time again")
            return False
        started = False
        for config in configs:
            running = self.poll_tasks.get(config.code)
            if running is not None and not running.done():
                logger.debug("%s is still polling; its next poll waits for it", config.code)
                continue
            self.poll_tasks[config.code] = asyncio.create_task(
                self._poll(config), name=f"inbound-poll:{config.code}"
            )
            started = True
        return started

    async def _end_polls(self) -> None:
        tasks, self.poll_tasks = [t for t in self.poll_tasks.values() if not t.done()], {}
        if not tasks:
            return
        _done, pending = await asyncio.wait(tasks, timeout=self.stop_grace_s)
        for task in pending:
            task.cancel()
        for task in pending:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _poll(self, config: ConnectionConfig) -> None:
        outcome = "failed"
        try:
            if config.code not in self.connectors:
                self.connectors[config.code] = self.source(config)
            record = record_of(config, self.ctx.tenant_id)
            report = await poll_orders(
                self.ctx,
                record,
                self.connectors[config.code],
                lookback=self.lookback,
                sweep_every=self.lookback / 2 if self.sweep_every is None else self.sweep_every,
                settle=self.settle,
            )
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
