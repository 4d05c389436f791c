"""The dead-letter queue: work that failed permanently, parked with its reason until a person acts.

    park      store (connection, kind, reference, payload, error, reason); a second failure of the
              same open item (same connection, kind, reference) bumps `attempts` instead of adding
    list      by connection and status (open / replayed / discarded)
    replay    a parked push re-marks its listing dirty, so the pusher computes a fresh level (the
              parked payload is history, never re-sent as is); status becomes `replayed`
    discard   status `discarded`, with the reason recorded

Errors are stored as `ConnectorError.as_dict()`, which never carries a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from stockbridge.errors import InvalidStateError, NotFoundError
from stockbridge.services.context import HubContext
from stockbridge.store.schema import listings
from stockbridge.store.schema_sync import connections, dead_letters

PUSH = "push"


@dataclass(frozen=True)
class DeadLetter:
    id: int
    connection: str
    kind: str
    reference: str | None
    payload: dict[str, Any]
    error: dict[str, Any]
    reason: str
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__ | {
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class Parcel:
    """One item to park."""

    kind: str
    reference: str | None
    payload: Mapping[str, Any]
    error: Mapping[str, Any]
    reason: str


def park(conn: sa.Connection, ctx: HubContext, connection_id: int, parcels: Sequence[Parcel]) -> int:
    """Inside the caller's transaction; returns how many new entries were opened."""
    now, opened = ctx.clock.now(), 0
    d = dead_letters.c
    for parcel in parcels:
        bumped = conn.execute(
            sa.update(dead_letters)
            .where(
                d.tenant_id == ctx.tenant_id,
                d.connection_id == connection_id,
                d.kind == parcel.kind,
                d.reference == parcel.reference,
                d.status == "open",
            )
            .values(
                attempts=d.attempts + 1,
                payload=dict(parcel.payload),
                error=dict(parcel.error),
                reason=parcel.reason,
                updated_at=now,
            )
        ).rowcount
        if not bumped:
            conn.execute(sa.insert(dead_letters), _row(ctx, connection_id, parcel, now))
            opened += 1
    return opened


def list_dead_letters(
    ctx: HubContext, *, connection: str | None = None, status: str | None = "open", limit: int = 1000
) -> list[DeadLetter]:
    query = _select(ctx).order_by(dead_letters.c.id).limit(limit)
    if connection is not None:
        query = query.where(connections.c.code == connection)
    if status is not None:
        query = query.where(dead_letters.c.status == status)
    with ctx.read() as conn:
        return [_letter(r) for r in conn.execute(query)]


def get_dead_letter(ctx: HubContext, letter_id: int) -> DeadLetter:
    with ctx.read() as conn:
        row = conn.execute(_select(ctx).where(dead_letters.c.id == letter_id)).first()
    if row is None:
        raise NotFoundError(f"no dead letter {letter_id}", dead_letter=letter_id)
    return _letter(row)


def replay_dead_letter(ctx: HubContext, letter_id: int) -> DeadLetter:
    """Send it round again: a push re-marks its listing dirty (the pusher computes a fresh level)."""

    def work(conn: sa.Connection) -> None:
        row = _open(conn, ctx, letter_id)
        if row.kind == PUSH and row.reference is not None:
            now = ctx.clock.now()
            conn.execute(
                sa.update(listings)
                .where(listings.c.tenant_id == ctx.tenant_id, listings.c.id == int(row.reference))
                .values(
                    dirty=True, dirty_at=sa.case((listings.c.dirty.is_(True), listings.c.dirty_at), else_=now)
                )
            )
        _set_status(conn, letter_id, "replayed", ctx.clock.now())

    ctx.write(work)
    return get_dead_letter(ctx, letter_id)


def discard_dead_letter(ctx: HubContext, letter_id: int, reason: str = "") -> DeadLetter:
    def work(conn: sa.Connection) -> None:
        row = _open(conn, ctx, letter_id)
        note = f"{row.reason} | discarded: {reason}" if reason else row.reason
        _set_status(conn, letter_id, "discarded", ctx.clock.now(), reason=note)

    ctx.write(work)
    return get_dead_letter(ctx, letter_id)


def _open(conn: sa.Connection, ctx: HubContext, letter_id: int) -> Any:
    row = conn.execute(
        sa.select(dead_letters).where(
            dead_letters.c.tenant_id == ctx.tenant_id, dead_letters.c.id == letter_id
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no dead letter {letter_id}", dead_letter=letter_id)
    if row.status != "open":
        raise InvalidStateError(f"dead letter {letter_id} is {row.status}, not open", dead_letter=letter_id)
    return row


def _set_status(conn: sa.Connection, letter_id: int, status: str, now: datetime, **values: Any) -> None:
    conn.execute(
        sa.update(dead_letters)
        .where(dead_letters.c.id == letter_id)
        .values(status=status, updated_at=now, **values)
    )


def _select(ctx: HubContext) -> sa.Select[Any]:
    return (
        sa.select(dead_letters, connections.c.code.label("connection_code"))
        .join(connections, connections.c.id == dead_letters.c.connection_id)
        .where(dead_letters.c.tenant_id == ctx.tenant_id)
    )


def _row(ctx: HubContext, connection_id: int, parcel: Parcel, now: datetime) -> dict[str, Any]:
    return {
        "tenant_id": ctx.tenant_id,
        "connection_id": connection_id,
        "kind": parcel.kind,
        "reference": parcel.reference,
        "payload": dict(parcel.payload),
        "error": dict(parcel.error),
        "reason": parcel.reason,
        "status": "open",
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
    }


def _letter(row: Any) -> DeadLetter:
    return DeadLetter(
        id=int(row.id),
        connection=row.connection_code,
        kind=row.kind,
        reference=row.reference,
        payload=dict(row.payload),
        error=dict(row.error),
        reason=row.reason,
        status=row.status,
        attempts=int(row.attempts),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
