"""Where each reservation line takes its stock from.

A line that names a location is held there. A line without one is placed at one of the channel's
online locations (the listing's own location list when it has one): the location with the most
available stock that covers the whole line (for a bundle, every component at the same location).
Placement only reads; the guarded update decides, and a lost race means placing again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa

from stockbridge.domain.quantities import Quantities
from stockbridge.errors import InsufficientStockError, Shortfall, ValidationError
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.references import ReferenceResolver, SkuRef
from stockbridge.store.schema import channel_locations, channels, listing_locations, listings, locations

if TYPE_CHECKING:
    from stockbridge.services.reservations import ReserveLine, ReserveRequest

Key = tuple[int, int]


@dataclass(frozen=True)
class Placement:
    line_index: int
    sku_id: int
    location_id: int
    quantity: int
    auto_placed: bool
    sku: str
    location: str


def place_lines(
    conn: sa.Connection, ctx: HubContext, request: ReserveRequest, excluded: set[Key]
) -> list[Placement]:
    resolver = ReferenceResolver(conn, ctx.tenant_id)
    taken: dict[Key, int] = {}
    out: list[Placement] = []
    for i, line in enumerate(request.lines):
        sku = resolver.sku(line.sku, request.connection, field=f"lines[{i}].sku")
        qty = sku.units.to_base(line.quantity, line.unit, field=f"lines[{i}].quantity")
        if qty <= 0:
            raise ValidationError("quantity must be greater than zero", field=f"lines[{i}].quantity")
        parts = list(sku.components) if sku.is_bundle else [(sku.id, 1)]
        if line.location:
            location = resolver.location(line.location, request.connection, field=f"lines[{i}].location")
            location_id, auto = location.id, False
        else:
            location_id, auto = _choose(conn, ctx, request, i, line, sku, qty, parts, excluded, taken), True
        placed = [
            Placement(i, part, location_id, qty * per, auto, *resolver.names(part, location_id))
            for part, per in parts
        ]
        for p in placed:
            taken[(p.sku_id, p.location_id)] = taken.get((p.sku_id, p.location_id), 0) + p.quantity
        out += placed
    return out


def _free(current: dict[Key, Quantities], taken: dict[Key, int], key: Key) -> int:
    return (current[key].available if key in current else 0) - taken.get(key, 0)


def _choose(
    conn: sa.Connection,
    ctx: HubContext,
    request: ReserveRequest,
    i: int,
    line: ReserveLine,
    sku: SkuRef,
    qty: int,
    parts: list[tuple[int, int]],
    excluded: set[Key],
    taken: dict[Key, int],
) -> int:
    if not request.channel:
        raise ValidationError(
            "a line without a location needs the request's channel", field=f"lines[{i}].location"
        )
    candidates = _channel_locations(conn, ctx, request.channel, sku.id)
    keys = [(part, loc) for loc in candidates for part, _ in parts]
    current = ledger.read_balances(conn, ctx.tenant_id, keys)
    best: tuple[int, int] | None = None  # (buildable, location)
    for loc in candidates:
        if any((part, loc) in excluded for part, _ in parts):
            continue
        buildable = min(_free(current, taken, (part, loc)) // per for part, per in parts)
        if buildable >= qty and (best is None or buildable > best[0]):
            best = (buildable, loc)
    if best is None:
        most = max((current[k].available for k in keys if k in current), default=0)
        raise InsufficientStockError(
            [
                Shortfall(
                    line.sku, f"any location of channel {request.channel}", "available", qty, max(most, 0)
                )
            ],
            idempotency_key=request.idempotency_key,
        )
    return best[1]


def _channel_locations(conn: sa.Connection, ctx: HubContext, channel: str, sku_id: int) -> list[int]:
    channel_id = conn.scalar(
        sa.select(channels.c.id).where(channels.c.tenant_id == ctx.tenant_id, channels.c.code == channel)
    )
    if channel_id is None:
        raise ValidationError(f"unknown channel {channel!r}", field="channel")
    own = conn.scalars(
        sa.select(listing_locations.c.location_id)
        .join(listings, listings.c.id == listing_locations.c.listing_id)
        .where(listings.c.channel_id == channel_id, listings.c.sku_id == sku_id)
    ).all()
    ids = (
        own
        or conn.scalars(
            sa.select(channel_locations.c.location_id).where(channel_locations.c.channel_id == channel_id)
        ).all()
    )
    online = conn.scalars(
        sa.select(locations.c.id)
        .where(locations.c.id.in_(ids), locations.c.online.is_(True))
        .order_by(locations.c.id)
    ).all()
    return list(online)
