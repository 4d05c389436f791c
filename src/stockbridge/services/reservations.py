"""Reservations: hold stock for a cart or an order, then commit it (a sale), release it, or let it
expire. Each hold is one conditional UPDATE per line, lines taken in (sku, location) order; the
row count is the answer, so concurrent processes can never hold more than is available.

A line without a location is placed by the channel's online locations, most available first;
when the guarded update finds it gone, the reservation is tried again elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from stockbridge.domain.event_parsing import MAX_LENGTH
from stockbridge.domain.events import EventType, content_hash, reservation_delta
from stockbridge.errors import (
    IdempotencyConflictError,
    InsufficientStockError,
    InvalidStateError,
    NotFoundError,
    Shortfall,
    ValidationError,
)
from stockbridge.services.context import HubContext
from stockbridge.services.placement import Placement, place_lines
from stockbridge.store import ledger
from stockbridge.store.references import ReferenceResolver
from stockbridge.store.schema import channels, reservation_lines, reservations

MAX_TTL_S = 30 * 24 * 3600


@dataclass(frozen=True)
class ReserveLine:
    sku: str
    quantity: Any
    location: str | None = None
    unit: str | None = None


@dataclass(frozen=True)
class ReserveRequest:
    idempotency_key: str
    lines: Sequence[ReserveLine]
    ttl_s: int = 900
    channel: str | None = None
    connection: str | None = None
    reference: str | None = None

    def canonical(self) -> dict[str, Any]:
        return {
            "lines": [line.__dict__ for line in self.lines],
            "ttl_s": self.ttl_s,
            "channel": self.channel,
            "connection": self.connection,
            "reference": self.reference,
        }


@dataclass(frozen=True)
class ReservationView:
    id: str
    status: str
    idempotency_key: str
    channel: str | None
    reference: str | None
    expires_at: datetime
    lines: list[dict[str, Any]]
    duplicate: bool = False


def reserve(ctx: HubContext, request: ReserveRequest) -> ReservationView:
    """Hold every line or none. Same key again returns the first result, marked `duplicate`."""
    if not 1 <= request.ttl_s <= MAX_TTL_S:
        raise ValidationError(f"ttl_s must be between 1 and {MAX_TTL_S}", field="ttl_s")
    if not request.lines:
        raise ValidationError("lines must be a non-empty list", field="lines")
    if not request.idempotency_key or len(request.idempotency_key) > MAX_LENGTH["idempotency_key"]:
        raise ValidationError("idempotency_key must be 1 to 300 characters", field="idempotency_key")
    if request.reference is not None and len(request.reference) > MAX_LENGTH["reference"]:
        raise ValidationError("reference must be at most 500 characters", field="reference")
    digest = content_hash(request.canonical())
    excluded: set[tuple[int, int]] = set()
    for attempt in range(4):
        with ctx.read() as conn:
            if attempt == 0 and (known := _find_by_key(conn, ctx, request.idempotency_key, digest)):
                return known
            placements = place_lines(conn, ctx, request, excluded)
        try:
            view = ctx.write(
                lambda conn, placed=placements: _hold(conn, ctx, request, digest, placed)  # type: ignore[misc]
            )
        except _Moved as moved:
            excluded |= moved.keys
            continue
        return view
    with ctx.read() as conn:
        place_lines(conn, ctx, request, excluded)  # raises InsufficientStockError naming every short line
    raise InsufficientStockError([], idempotency_key=request.idempotency_key)


def commit_reservation(ctx: HubContext, reservation_id: str) -> ReservationView:
    """The held units become committed (sold). Committing twice is a no-op."""
    return _finish(ctx, reservation_id, EventType.RESERVATION_COMMITTED, "committed")


def release_reservation(ctx: HubContext, reservation_id: str) -> ReservationView:
    return _finish(ctx, reservation_id, EventType.RESERVATION_RELEASED, "released")


def extend_reservation(ctx: HubContext, reservation_id: str, ttl_s: int) -> ReservationView:
    if not 1 <= ttl_s <= MAX_TTL_S:
        raise ValidationError(f"ttl_s must be between 1 and {MAX_TTL_S}", field="ttl_s")

    def work(conn: sa.Connection) -> None:
        now = ctx.clock.now()
        result = conn.execute(
            sa.update(reservations)
            .where(
                _r.id == reservation_id,
                _r.tenant_id == ctx.tenant_id,
                _r.status == "held",
                _r.expires_at > now,
            )
            .values(expires_at=now + timedelta(seconds=ttl_s), updated_at=now)
        )
        if result.rowcount != 1:
            _raise_not_held(conn, ctx, reservation_id, "extend")

    ctx.write(work)
    return get_reservation(ctx, reservation_id)


def expire_due(ctx: HubContext, *, limit: int = 500) -> int:
    """Release every held reservation whose time is up. Safe to run from many processes."""

    def work(conn: sa.Connection) -> list[str]:
        query = (
            sa.select(_r.id)
            .where(_r.tenant_id == ctx.tenant_id, _r.status == "held", _r.expires_at <= ctx.clock.now())
            .order_by(_r.expires_at)
            .limit(limit)
        )
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        due = list(conn.scalars(query))
        for reservation_id in due:
            _transition(
                conn, ctx, reservation_id, EventType.RESERVATION_EXPIRED, "expired", check_expiry=False
            )
        return due

    return len(ctx.write(work))


def get_reservation(ctx: HubContext, reservation_id: str) -> ReservationView:
    with ctx.read() as conn:
        return _view(conn, ctx, reservation_id)


_r = reservations.c


class _Moved(Exception):
    """A placed line found its location short; try again without it."""

    def __init__(self, keys: set[tuple[int, int]]) -> None:
        super().__init__("moved")
        self.keys = keys


def _hold(
    conn: sa.Connection, ctx: HubContext, request: ReserveRequest, digest: str, placements: list[Placement]
) -> ReservationView:
    """Insert the reservation, its lines and ledger event, then the guarded updates, in one go."""
    raced = _key_row(conn, ctx, request.idempotency_key)
    if raced is not None:  # another process took this key since we looked
        _check_same(raced, request.idempotency_key, digest)
        return replace(_view(conn, ctx, str(raced.id)), duplicate=True)
    now, reservation_id = ctx.clock.now(), str(uuid.uuid4())
    expires_at = now + timedelta(seconds=request.ttl_s)
    channel_id = _channel_id(conn, ctx, request.channel) if request.channel else None
    conn.execute(
        sa.insert(reservations),
        {
            "id": reservation_id,
            "tenant_id": ctx.tenant_id,
            "idempotency_key": request.idempotency_key,
            "payload_hash": digest,
            "channel_id": channel_id,
            "reference": request.reference,
            "status": "held",
            "expires_at": expires_at,
            "created_at": now,
            "updated_at": now,
        },
    )
    merged = _merge(placements)
    _insert_lines(conn, ctx, reservation_id, merged)
    _record(conn, ctx, reservation_id, EventType.RESERVATION_HELD, merged, now)
    ledger.mark_listings_dirty(conn, ctx.tenant_id, {s for (s, _), _ in merged}, now)
    # The guarded updates come last, in key order: row locks are held only until the commit.
    short = [
        key
        for key, qty in merged
        if not ledger.guarded_update(
            conn,
            ctx.tenant_id,
            key,
            reservation_delta(EventType.RESERVATION_HELD, qty),
            now,
            guard_available=True,
        )
    ]
    if short:
        moved = {(p.sku_id, p.location_id) for p in placements if p.auto_placed} & set(short)
        if moved:
            raise _Moved(moved)
        raise InsufficientStockError(
            describe_shortfalls(conn, ctx, [(k, q) for k, q in merged if k in short]),
            idempotency_key=request.idempotency_key,
        )
    names = {(p.sku_id, p.location_id): (p.sku, p.location) for p in placements}
    lines = [{"sku": names[k][0], "location": names[k][1], "quantity": q} for k, q in merged]
    return ReservationView(
        reservation_id, "held", request.idempotency_key, request.channel, request.reference, expires_at, lines
    )


def _merge(placements: list[Placement]) -> list[tuple[tuple[int, int], int]]:
    """One line per (sku, location), in the fixed lock order."""
    total: dict[tuple[int, int], int] = {}
    for p in placements:
        total[(p.sku_id, p.location_id)] = total.get((p.sku_id, p.location_id), 0) + p.quantity
    return sorted(total.items())


def _insert_lines(
    conn: sa.Connection, ctx: HubContext, reservation_id: str, merged: list[tuple[tuple[int, int], int]]
) -> None:
    conn.execute(
        sa.insert(reservation_lines),
        [
            {
                "reservation_id": reservation_id,
                "line_no": n,
                "tenant_id": ctx.tenant_id,
                "sku_id": sku_id,
                "location_id": location_id,
                "quantity": qty,
            }
            for n, ((sku_id, location_id), qty) in enumerate(merged)
        ],
    )


def _record(
    conn: sa.Connection,
    ctx: HubContext,
    reservation_id: str,
    event_type: EventType,
    merged: list[tuple[tuple[int, int], int]],
    now: datetime,
) -> None:
    """The ledger entry of a reservation step, keyed so that it can be recorded only once."""
    payload = {"reservation_id": reservation_id, "lines": [[s, loc, q] for (s, loc), q in merged]}
    (event_id,) = ledger.insert_events(
        conn,
        [
            {
                "tenant_id": ctx.tenant_id,
                "idempotency_key": f"reservation:{reservation_id}:{event_type.value}",
                "payload_hash": content_hash(payload),
                "type": event_type.value,
                "source": "reservations",
                "reference": reservation_id,
                "reason": None,
                "payload": payload,
                "occurred_at": now,
                "recorded_at": now,
            }
        ],
    )
    ledger.insert_movements(
        conn, ctx.tenant_id, ((event_id, key, reservation_delta(event_type, q)) for key, q in merged)
    )


def _finish(ctx: HubContext, reservation_id: str, event_type: EventType, status: str) -> ReservationView:
    def work(conn: sa.Connection) -> None:
        _transition(conn, ctx, reservation_id, event_type, status, check_expiry=True)

    ctx.write(work)
    return get_reservation(ctx, reservation_id)


def _transition(
    conn: sa.Connection,
    ctx: HubContext,
    reservation_id: str,
    event_type: EventType,
    status: str,
    *,
    check_expiry: bool,
) -> None:
    now = ctx.clock.now()
    conditions = [_r.id == reservation_id, _r.tenant_id == ctx.tenant_id, _r.status == "held"]
    if check_expiry and event_type is EventType.RESERVATION_COMMITTED:
        conditions.append(_r.expires_at > now)
    result = conn.execute(sa.update(reservations).where(*conditions).values(status=status, updated_at=now))
    if result.rowcount != 1:
        current = conn.scalar(
            sa.select(_r.status).where(_r.id == reservation_id, _r.tenant_id == ctx.tenant_id)
        )
        if current == status:
            return  # already done: idempotent
        _raise_not_held(conn, ctx, reservation_id, status)
    merged = [
        ((row.sku_id, row.location_id), int(row.quantity))
        for row in conn.execute(
            sa.select(reservation_lines)
            .where(reservation_lines.c.reservation_id == reservation_id)
            .order_by(reservation_lines.c.sku_id, reservation_lines.c.location_id)
        )
    ]
    _record(conn, ctx, reservation_id, event_type, merged, now)
    for key, qty in merged:
        if not ledger.guarded_update(
            conn, ctx.tenant_id, key, reservation_delta(event_type, qty), now, guard_available=False
        ):
            raise AssertionError(f"reserved balance below a held reservation at {key}: ledger corrupted")
    ledger.mark_listings_dirty(conn, ctx.tenant_id, {s for (s, _), _ in merged}, now)


def _raise_not_held(conn: sa.Connection, ctx: HubContext, reservation_id: str, action: str) -> None:
    row = conn.execute(
        sa.select(_r.status, _r.expires_at).where(_r.id == reservation_id, _r.tenant_id == ctx.tenant_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no reservation {reservation_id}", reservation_id=reservation_id)
    state = "expired" if row.status == "held" and row.expires_at <= ctx.clock.now() else row.status
    raise InvalidStateError(
        f"cannot {action} reservation {reservation_id}: it is {state}",
        reservation_id=reservation_id,
        status=state,
    )


def _find_by_key(conn: sa.Connection, ctx: HubContext, key: str, digest: str) -> ReservationView | None:
    row = _key_row(conn, ctx, key)
    if row is None:
        return None
    _check_same(row, key, digest)
    return replace(_view(conn, ctx, str(row.id)), duplicate=True)


def _key_row(conn: sa.Connection, ctx: HubContext, key: str) -> Any:
    return conn.execute(_BY_KEY, {"t": ctx.tenant_id, "k": key}).first()


_BY_KEY = sa.select(_r.id, _r.payload_hash).where(
    _r.tenant_id == sa.bindparam("t"), _r.idempotency_key == sa.bindparam("k")
)


def _check_same(row: Any, key: str, digest: str) -> None:
    if row.payload_hash != digest:
        raise IdempotencyConflictError(
            f"idempotency key {key!r} was already used for a different reservation", field="idempotency_key"
        )


def _channel_id(conn: sa.Connection, ctx: HubContext, code: str) -> int:
    found = conn.scalar(
        sa.select(channels.c.id).where(channels.c.tenant_id == ctx.tenant_id, channels.c.code == code)
    )
    if found is None:
        raise ValidationError(f"unknown channel {code!r}", field="channel")
    return int(found)


def describe_shortfalls(
    conn: sa.Connection, ctx: HubContext, wanted: list[tuple[tuple[int, int], int]]
) -> list[Shortfall]:
    current = ledger.read_balances(conn, ctx.tenant_id, [k for k, _ in wanted])
    resolver = ReferenceResolver(conn, ctx.tenant_id)
    out = []
    for key, qty in wanted:
        sku, location = resolver.names(*key)
        have = current[key].available if key in current else 0
        out.append(Shortfall(sku, location, "available", qty, have))
    return out


def _view(conn: sa.Connection, ctx: HubContext, reservation_id: str) -> ReservationView:
    row = conn.execute(
        sa.select(reservations, channels.c.code.label("channel_code"))
        .outerjoin(channels, channels.c.id == _r.channel_id)
        .where(_r.id == reservation_id, _r.tenant_id == ctx.tenant_id)
    ).first()
    if row is None:
        raise NotFoundError(f"no reservation {reservation_id}", reservation_id=reservation_id)
    resolver = ReferenceResolver(conn, ctx.tenant_id)
    lines = []
    for line in conn.execute(
        sa.select(reservation_lines)
        .where(reservation_lines.c.reservation_id == reservation_id)
        .order_by(reservation_lines.c.line_no)
    ):
        sku, location = resolver.names(line.sku_id, line.location_id)
        lines.append({"sku": sku, "location": location, "quantity": int(line.quantity)})
    status = "expired" if row.status == "held" and row.expires_at <= ctx.clock.now() else row.status
    return ReservationView(
        str(row.id), status, row.idempotency_key, row.channel_code, row.reference, row.expires_at, lines
    )
