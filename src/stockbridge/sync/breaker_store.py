"""The circuit breakers in the database (`channel_breakers`, one row per connection): written by
the sync worker, read by everyone else.

`DbBreakerStore` is the `BreakerStore` of the worker's `BreakerBoard`: a breaker is named by the
channel code; its row sits under the connection feeding that channel (one per channel). Each save
is one short upsert in its own write transaction, made only when the state or the failure count
changes; a failed save is logged and never stops a push round (the next change writes again).
`list_breakers` is what `stockbridge sync breakers`, `sync status`, `GET /api/v1/sync/breakers`
and the `/metrics` gauges show: every connection that feeds a channel, `closed` when no row was
ever written.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.services.context import HubContext
from stockbridge.store.schema import channels
from stockbridge.store.schema_sync import channel_breakers, connections
from stockbridge.sync.breaker import BREAKER_STATES, BreakerSnapshot, BreakerState

logger = logging.getLogger(__name__)


class DbBreakerStore:
    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx
        self._connections: dict[str, list[int]] = {}

    def load(self, name: str) -> BreakerSnapshot | None:
        """The latest stored state of the breaker of channel `name`, if any."""
        try:
            ids = self._connection_ids(name)
            if not ids:
                return None
            b = channel_breakers.c
            with self._ctx.read() as conn:
                row = conn.execute(
                    sa.select(b.state, b.since, b.consecutive_failures, b.last_error)
                    .where(b.connection_id.in_(ids))
                    .order_by(b.updated_at.desc())
                    .limit(1)
                ).first()
        except sa.exc.SQLAlchemyError:
            logger.warning(
                "circuit breaker %s: stored state unreadable, starting closed", name, exc_info=True
            )
            return None
        if row is None:
            return None
        state = _state(row.state)
        return BreakerSnapshot(
            name,
            state,
            int(row.consecutive_failures),
            row.since if state == "open" else None,
            None,
            row.since,
            row.last_error,
        )

    def save(self, snapshot: BreakerSnapshot) -> None:
        try:
            ids = self._connection_ids(snapshot.name)
            if ids:
                now = self._ctx.clock.now()
                self._ctx.write(lambda conn: _upsert(conn, self._ctx.tenant_id, ids, snapshot, now))
        except sa.exc.SQLAlchemyError:
            logger.warning("circuit breaker %s: state not recorded", snapshot.name, exc_info=True)

    def _connection_ids(self, channel: str) -> list[int]:
        if channel not in self._connections:
            with self._ctx.read() as conn:
                ids = conn.scalars(
                    sa.select(connections.c.id)
                    .join(channels, channels.c.id == connections.c.channel_id)
                    .where(connections.c.tenant_id == self._ctx.tenant_id, channels.c.code == channel)
                    .order_by(connections.c.id)
                ).all()
            if not ids:
                return []  # not cached: a connection registered later is found then
            self._connections[channel] = [int(i) for i in ids]
        return self._connections[channel]


def _upsert(
    conn: sa.Connection, tenant_id: int, ids: list[int], snapshot: BreakerSnapshot, now: datetime
) -> None:
    dialect: Any = postgresql if conn.dialect.name == "postgresql" else sqlite
    since = snapshot.opened_at if snapshot.state == "open" else snapshot.since
    values = {
        "state": snapshot.state,
        "since": since,
        "retry_at": snapshot.retry_at,
        "consecutive_failures": snapshot.consecutive_failures,
        "last_error": snapshot.last_error,
        "updated_at": now,
    }
    for connection_id in ids:
        conn.execute(
            dialect.insert(channel_breakers)
            .values(connection_id=connection_id, tenant_id=tenant_id, **values)
            .on_conflict_do_update(index_elements=["connection_id"], set_=values)
        )


@dataclass(frozen=True)
class BreakerRow:
    connection: str
    channel: str
    state: BreakerState
    since: datetime | None
    retry_at: datetime | None
    consecutive_failures: int
    last_error: str | None
    updated_at: datetime | None
    enabled: bool

    def as_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.__dict__.items()}


def list_breakers(ctx: HubContext, *, channel: str | None = None) -> list[BreakerRow]:
    """Each connection feeding a channel with its breaker as last recorded (`closed` if never)."""
    b = channel_breakers.c
    query = (
        sa.select(
            connections.c.code.label("connection"),
            channels.c.code.label("channel"),
            b.state,
            b.since,
            b.retry_at,
            sa.func.coalesce(b.consecutive_failures, 0).label("consecutive_failures"),
            b.last_error,
            b.updated_at,
            connections.c.enabled,
        )
        .join(channels, channels.c.id == connections.c.channel_id)
        .outerjoin(channel_breakers, b.connection_id == connections.c.id)
        .where(connections.c.tenant_id == ctx.tenant_id)
        .order_by(channels.c.code, connections.c.code)
    )
    if channel is not None:
        query = query.where(channels.c.code == channel)
    with ctx.read() as conn:
        return [
            BreakerRow(
                **{
                    **r._mapping,
                    "state": _state(r.state),
                    "consecutive_failures": int(r.consecutive_failures),
                    "enabled": bool(r.enabled),
                }
            )
            for r in conn.execute(query)
        ]


def _state(value: str | None) -> BreakerState:
    return value if value in BREAKER_STATES else "closed"
