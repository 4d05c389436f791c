"""The webhook inbox: deliveries are stored durably before they are acknowledged, then processed.

`accept_delivery` stores a verified delivery once per (connection, delivery id), in one
transaction with the deliveries other threads are storing at the same time (`inbox_commit`);
pollers store the orders they read the same way (topic `poll/order`). `process_inbox` claims
pending rows one at a time in id order (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so many
workers share the work) and handles each inside the claiming transaction: parse with the
connector, map through the bindings, record the order facts (services.channel_orders). A worker
that dies before commit leaves the row pending for the next one. Outcomes per row:

    done          applied (or nothing new to apply; or ignored, with the reason in `error`)
    quarantined   an unknown SKU or location: kept in the core quarantine with its reason
    pending       a transient failure or an order not yet known: retried, `attempts` counts
    failed        permanent (unparseable, unsupported) or out of attempts: `error` says why
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import partial
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.connectors.base import WebhookMessage
from stockbridge.connectors.errors import ConnectorError
from stockbridge.errors import StockbridgeError, ValidationError
from stockbridge.services.channel_orders import record_channel_order
from stockbridge.services.connections import get_connection, load_connection_config
from stockbridge.services.context import HubContext, is_transient
from stockbridge.store import ledger
from stockbridge.store.quarantine import insert_quarantine, jsonable, quarantine_row
from stockbridge.store.schema import channels, listings, quarantine
from stockbridge.store.schema_sync import connections, listing_sync, webhook_inbox
from stockbridge.sync.inbound_bindings import (
    POLLED_ORDER_TOPIC,
    ConnectionRecord,
    ConnectorSource,
    Ignored,
    InboundConnector,
    InboundFacts,
    InboundResolver,
    LevelReport,
    OrderFacts,
    decode_remote_order,
    get_connection_by_id,
    to_channel_order,
)
from stockbridge.sync.inbox_commit import committer_for
from stockbridge.sync.outbox import record_observed, shift_acknowledged
from stockbridge.sync.plan import push_location

logger = logging.getLogger(__name__)
_i = webhook_inbox.c
MAX_ATTEMPTS = 5
_DROPPED_HEADERS = {"authorization", "cookie", "x-api-key"}


@dataclass(frozen=True)
class Accepted:
    inbox_id: int | None  # None when the delivery was already stored
    delivery_id: str
    duplicate: bool


def accept_delivery(
    ctx: HubContext,
    record: ConnectionRecord,
    message: WebhookMessage | None,
    headers: Mapping[str, str],
    body: bytes,
) -> Accepted:
    """Store one verified delivery (a duplicate delivery id stores nothing). An unparseable body is
    kept too, keyed by its hash, and fails in processing with the reason: nothing is dropped."""
    delivery_id = message.delivery_id if message else "body:" + hashlib.sha256(body).hexdigest()
    values = {
        "tenant_id": record.tenant_id,
        "connection_id": record.id,
        "topic": message.topic if message else "unparsed",
        "delivery_id": delivery_id[:200],
        "headers": {k.lower(): v for k, v in headers.items() if k.lower() not in _DROPPED_HEADERS},
        "body": body,
        "received_at": ctx.clock.now(),
        "status": "pending",
        "attempts": 0,
    }

    inbox_id = committer_for(ctx, insert_delivery).store(ctx, values)  # with whatever arrives beside it
    return Accepted(inbox_id, delivery_id, inbox_id is None)


def insert_delivery(conn: sa.Connection, values: Mapping[str, Any]) -> int | None:
    """Insert one inbox row unless its (connection, delivery id) is there; its id, else None."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(webhook_inbox).values(dict(values)).on_conflict_do_nothing().returning(_i.id)
    found = conn.execute(stmt).scalar()
    return None if found is None else int(found)


@dataclass
class InboxReport:
    counts: dict[str, int] = field(default_factory=dict)
    oversold: list[dict[str, Any]] = field(default_factory=list)

    def add(self, status: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1

    @property
    def processed(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Handled:
    """What became of one message: its inbox status, a note, any channel oversell it recorded."""

    status: str  # done, quarantined, pending, failed
    note: str | None = None
    oversold: tuple[dict[str, Any], ...] = ()


class OrderNotYetKnown(Exception):
    """The message refers to an order whose sale is not recorded yet: retry later."""


ROWS_PER_TRANSACTION = 50  # a write transaction per this many rows: SQLite's one writer is the limit


def process_inbox(
    ctx: HubContext, source: ConnectorSource, *, limit: int = 100, max_attempts: int = MAX_ATTEMPTS
) -> InboxReport:
    """One pass over pending rows in id order (each at most once per pass), up to `limit`."""
    report, after, left = InboxReport(), 0, limit
    connectors = _Connectors(ctx, source)
    while left > 0:
        size = min(ROWS_PER_TRANSACTION, left)
        handled = ctx.write(
            partial(
                _process_some,
                ctx=ctx,
                connectors=connectors,
                after=after,
                size=size,
                max_attempts=max_attempts,
            )
        )
        for row_id, result in handled:
            after = row_id
            report.add(result.status)
            report.oversold.extend(result.oversold)
        left -= len(handled)
        if len(handled) < size:
            break
    return report


def _process_some(
    conn: sa.Connection, *, ctx: HubContext, connectors: _Connectors, after: int, size: int, max_attempts: int
) -> list[tuple[int, Handled]]:
    """Up to `size` rows in one transaction, each in its own savepoint (`_handle_guarded`): one
    commit for many deliveries, and still a failing row is undone and classified alone."""
    handled: list[tuple[int, Handled]] = []
    while len(handled) < size:
        claimed = _process_next(conn, ctx, connectors, after, max_attempts)
        if claimed is None:
            break
        after = claimed[0]
        handled.append(claimed)
    return handled


class _Connectors:
    """One connector per connection for a whole pass (built from the connection's config)."""

    def __init__(self, ctx: HubContext, source: ConnectorSource) -> None:
        self._ctx, self._source = ctx, source
        self._built: dict[str, InboundConnector] = {}

    def get(self, record: ConnectionRecord) -> InboundConnector:
        """Raises LookupError (the row fails with the reason) when no connector can be built."""
        if record.code not in self._built:
            try:
                self._built[record.code] = self._source(load_connection_config(self._ctx, record.code))
            except ValidationError as error:  # a configuration problem, not the message's
                raise LookupError(
                    f"connection {record.code!r} cannot build its connector: {error.message}"
                ) from None
        return self._built[record.code]


def _process_next(
    conn: sa.Connection, ctx: HubContext, connectors: _Connectors, after: int, max_attempts: int
) -> tuple[int, Handled] | None:
    query = (
        sa.select(webhook_inbox)
        .where(_i.tenant_id == ctx.tenant_id, _i.status == "pending", _i.id > after)
        .order_by(_i.id)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    row = conn.execute(query).first()
    if row is None:
        return None
    result = _handle_guarded(conn, ctx, connectors, row)
    attempts = row.attempts + 1
    if result.status == "pending" and attempts >= max_attempts:
        result = Handled("failed", f"gave up after {attempts} attempts: {result.note}")
    done = result.status in ("done", "quarantined", "failed")
    conn.execute(
        sa.update(webhook_inbox)
        .where(_i.id == row.id)
        .values(
            status=result.status,
            attempts=attempts,
            error=result.note,
            processed_at=ctx.clock.now() if done else None,
        )
    )
    if result.status == "failed":
        logger.warning("inbox row %s (%s) failed: %s", row.id, row.topic, result.note)
    if result.status == "done" and row.error and row.error.startswith("quarantine #"):
        _resolve_quarantined(conn, ctx, int(row.id))
    return int(row.id), result


def _handle_guarded(conn: sa.Connection, ctx: HubContext, connectors: _Connectors, row: Any) -> Handled:
    """Handle one row inside a savepoint; what fails is undone and classified, the row stays."""
    savepoint = conn.begin_nested()
    try:
        result = _handle(conn, ctx, connectors, row)
    except OrderNotYetKnown as waiting:
        savepoint.rollback()
        return Handled("pending", str(waiting))
    except ValidationError as error:
        savepoint.rollback()
        return _quarantine(conn, ctx, row, error)
    except ConnectorError as error:
        savepoint.rollback()
        return Handled("pending" if error.retryable else "failed", f"{type(error).__name__}: {error.message}")
    except sa.exc.DBAPIError as error:
        savepoint.rollback()
        if is_transient(error):
            raise
        return Handled("pending", f"database error: {type(error.orig).__name__}")
    except (StockbridgeError, ValueError, KeyError, TypeError, LookupError) as error:
        savepoint.rollback()
        return Handled("failed", f"{type(error).__name__}: {error}")
    savepoint.commit()
    return result


def _handle(conn: sa.Connection, ctx: HubContext, connectors: _Connectors, row: Any) -> Handled:
    record = get_connection_by_id(conn, int(row.connection_id))
    if row.topic == "unparsed":
        raise ValueError("the body could not be parsed when it was received")
    connector = connectors.get(record)
    facts: InboundFacts
    if row.topic == POLLED_ORDER_TOPIC:
        facts = connector.order_facts(decode_remote_order(bytes(row.body)))
    else:
        facts = connector.webhook_facts(connector.parse_webhook(dict(row.headers), bytes(row.body)))
    if isinstance(facts, Ignored):
        return Handled("done", f"ignored: {facts.reason}")
    resolver = InboundResolver(conn, record)
    if isinstance(facts, LevelReport):
        return Handled("done", note_level_report(conn, ctx, record, resolver, facts))
    return apply_order_facts(conn, ctx, record, resolver, facts)


def apply_order_facts(
    conn: sa.Connection,
    ctx: HubContext,
    record: ConnectionRecord,
    resolver: InboundResolver,
    facts: OrderFacts,
) -> Handled:
    """The one path of order facts, from webhooks and from polling alike."""
    outcome = record_channel_order(conn, ctx, to_channel_order(resolver, record, facts))
    if outcome.waiting and not facts.waits:
        return Handled("done", f"ignored: order {facts.order_id} holds nothing in the hub")
    if outcome.waiting:
        raise OrderNotYetKnown(f"order {facts.order_id} is not known yet (its creation has not arrived)")
    if record.channel_id is not None:  # the channel moved its own level: not for the pusher to redo
        shift_acknowledged(conn, record.channel_id, outcome.channel_moves, ctx.clock.now())
    note = f"applied {len(outcome.applied)}, already recorded {len(outcome.already)}"
    return Handled("done", note, tuple(outcome.oversold))


def _quarantine(conn: sa.Connection, ctx: HubContext, row: Any, error: StockbridgeError) -> Handled:
    payload = {
        "inbox_id": row.id,
        "topic": row.topic,
        "delivery_id": row.delivery_id,
        "body": _text(row.body),
    }
    item = quarantine_once(conn, ctx, f"inbox:{row.id}", payload, error)
    return Handled("quarantined", f"quarantine #{item}: {error.message}")


def _resolve_quarantined(conn: sa.Connection, ctx: HubContext, inbox_id: int) -> None:
    """A requeued row that now applied: its quarantine entry is resolved, not left open."""
    q = quarantine.c
    conn.execute(
        sa.update(quarantine)
        .where(q.tenant_id == ctx.tenant_id, q.source == f"inbox:{inbox_id}", q.status == "open")
        .values(status="resolved", updated_at=ctx.clock.now())
    )


def quarantine_once(
    conn: sa.Connection, ctx: HubContext, source: str, payload: Mapping[str, Any], error: StockbridgeError
) -> int:
    """Keep a message in the core quarantine with its reason, once per source while it is open."""
    existing = conn.scalar(
        sa.select(quarantine.c.id).where(
            quarantine.c.tenant_id == ctx.tenant_id,
            quarantine.c.source == source,
            quarantine.c.status == "open",
        )
    )
    if existing is not None:
        return int(existing)
    row = quarantine_row(ctx.tenant_id, ctx.clock.now(), "channel_order", source, payload, error.as_dict())
    (item,) = insert_quarantine(conn, [row])
    return item


def _text(body: bytes) -> Any:
    try:
        return jsonable(body.decode())
    except UnicodeDecodeError:
        return body.hex()


def note_level_report(
    conn: sa.Connection,
    ctx: HubContext,
    record: ConnectionRecord,
    resolver: InboundResolver,
    report: LevelReport,
) -> str:
    """A channel's own level is never written into the hub's balances: it is kept as what the
    channel shows (`observed_quantity`, for reconciliation), and when it differs from what the
    channel last acknowledged from us the listing is marked dirty, so the pusher converges it
    again. Levels at a remote location the hub does not push to are not this listing's."""
    try:
        sku = resolver.sku(report.item_id, None, field="item_id")
    except ValidationError as error:
        return f"ignored: {error.message}"
    listing_id = conn.scalar(
        sa.select(listings.c.id)
        .join(channels, channels.c.id == listings.c.channel_id)
        .where(
            channels.c.tenant_id == record.tenant_id,
            channels.c.code == record.channel,
            listings.c.sku_id == sku.id,
        )
    )
    if listing_id is None:
        return f"ignored: no listing of {sku.code} on channel {record.channel!r}"
    if report.location_id is not None:
        target, _ = push_location(conn, ctx, get_connection(ctx, record.code))
        if target is not None and target != report.location_id:
            return f"ignored: {report.location_id} is not the location the hub pushes to ({target})"
    now = ctx.clock.now()
    record_observed(conn, listing_id, report.available, now)
    acked = conn.scalar(
        sa.select(listing_sync.c.acked_quantity).where(listing_sync.c.listing_id == listing_id)
    )
    if acked == report.available:
        return f"echo: {sku.code} at {report.available} as acknowledged"
    ledger.mark_listings_dirty(conn, record.tenant_id, {sku.id}, now)
    return f"drift: {sku.code} shows {report.available}, last acknowledged {acked}"


@dataclass(frozen=True)
class InboxRow:
    id: int
    connection: str
    topic: str
    delivery_id: str
    status: str
    attempts: int
    error: str | None
    received_at: Any
    processed_at: Any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def list_inbox(ctx: HubContext, *, status: str | None = None, limit: int = 100) -> list[InboxRow]:
    query = (
        sa.select(webhook_inbox, connections.c.code.label("connection"))
        .join(connections, connections.c.id == _i.connection_id)
        .where(_i.tenant_id == ctx.tenant_id)
        .order_by(_i.id)
        .limit(limit)
    )
    if status:
        query = query.where(_i.status == status)
    with ctx.read() as conn:
        return [
            InboxRow(
                r.id,
                r.connection,
                r.topic,
                r.delivery_id,
                r.status,
                r.attempts,
                r.error,
                r.received_at,
                r.processed_at,
            )
            for r in conn.execute(query)
        ]


def requeue(ctx: HubContext, inbox_id: int) -> bool:
    """Put a failed or quarantined row back to pending (after fixing bindings); safe: facts apply once."""

    def work(conn: sa.Connection) -> bool:
        result = conn.execute(
            sa.update(webhook_inbox)
            .where(_i.id == inbox_id, _i.tenant_id == ctx.tenant_id, _i.status.in_(("failed", "quarantined")))
            .values(status="pending", attempts=0, processed_at=None)
        )
        return result.rowcount == 1

    return ctx.write(work)
