"""Pollers: read each connection's orders by `updated_at` with an overlapping cursor and feed them
through the same path as webhooks (sync.inbox.apply_order_facts), so that orders whose webhooks
never came are caught, and orders seen twice are harmless (their facts apply once).

Each page is one transaction: its orders are applied (unknown SKUs quarantined, as for webhooks)
and the cursor is checkpointed in the same commit, so a crash never skips a page and never
advances the cursor past orders that were not applied.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from stockbridge.connectors.base import RemoteOrder
from stockbridge.errors import ValidationError
from stockbridge.services.context import HubContext
from stockbridge.sync.cursors import TimeCursor, load_cursor, save_cursor
from stockbridge.sync.inbound_bindings import ConnectionRecord, InboundConnector, InboundResolver
from stockbridge.sync.inbox import Handled, OrderNotYetKnown, apply_order_facts, quarantine_once

logger = logging.getLogger(__name__)
ORDERS_STREAM = "orders"
DEFAULT_LOOKBACK = timedelta(minutes=10)


@dataclass
class PollReport:
    pages: int = 0
    fetched: int = 0
    skipped_ties: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    oversold: list[dict[str, Any]] = field(default_factory=list)
    cursor: TimeCursor = field(default_factory=TimeCursor)

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1


async def poll_orders(
    ctx: HubContext,
    record: ConnectionRecord,
    connector: InboundConnector,
    *,
    lookback: timedelta = DEFAULT_LOOKBACK,
    page_size: int = 250,
    max_pages: int = 1000,
) -> PollReport:
    """Poll one connection's orders from its checkpoint (minus `lookback`) to the newest."""
    with ctx.read() as conn:
        cursor = load_cursor(conn, record.id, ORDERS_STREAM)
    report = PollReport(cursor=cursor)
    request = cursor.request(lookback)
    for _ in range(max_pages):
        orders, next_request = await connector.orders(request, limit=page_size)
        if not orders:
            break
        report.pages += 1
        report.fetched += len(orders)
        fresh = [o for o in orders if report.cursor.is_new(o.order_id, o.updated_at)]
        report.skipped_ties += len(orders) - len(fresh)
        advanced = report.cursor.advance((o.order_id, o.updated_at) for o in orders)
        handled = ctx.write(lambda conn, f=fresh, c=advanced: _apply_page(conn, ctx, record, connector, f, c))  # type: ignore[misc]
        for item in handled:  # counted once the page has committed (the work may have been retried)
            report.add(item.status)
            report.oversold.extend(item.oversold)
        report.cursor = advanced
        if next_request == request:
            break  # the connector cannot page further from here
        request = next_request
    logger.info(
        "polled %s: %s pages, %s orders, %s", record.source, report.pages, report.fetched, report.counts
    )
    return report


def _apply_page(
    conn: sa.Connection,
    ctx: HubContext,
    record: ConnectionRecord,
    connector: InboundConnector,
    orders: Sequence[RemoteOrder],
    cursor: TimeCursor,
) -> list[Handled]:
    handled: list[Handled] = []
    resolver = InboundResolver(conn, record)
    for order in orders:
        facts = connector.order_facts(order)
        savepoint = conn.begin_nested()
        try:
            handled.append(apply_order_facts(conn, ctx, record, resolver, facts))
        except OrderNotYetKnown as waiting:
            savepoint.rollback()
            handled.append(Handled("pending", str(waiting)))
            continue
        except ValidationError as error:
            savepoint.rollback()
            payload = {"connection": record.code, "order_id": order.order_id, "order": dict(order.raw)}
            quarantine_once(conn, ctx, f"poll:{record.source}:order:{order.order_id}", payload, error)
            handled.append(Handled("quarantined", error.message))
            continue
        savepoint.commit()
    save_cursor(conn, record.id, ORDERS_STREAM, cursor, ctx.clock.now())
    return handled
