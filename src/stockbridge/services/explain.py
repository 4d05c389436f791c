"""How a number was made. For a (SKU, location) balance: each counter, the formula for available,
the same counters re-derived from the ledger, and the recent events behind them. For a listing:
the available-to-sell steps (supply per location, buffer, share, cap, threshold) plus the
balances and recent events of every location that feeds it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from stockbridge.domain.quantities import HELD_WITHIN_ON_HAND, Quantities
from stockbridge.errors import NotFoundError
from stockbridge.services.availability import compute_listing_atp
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.schema import inventory_events, inventory_movements, locations, skus

_m, _e = inventory_movements.c, inventory_events.c


def explain_balance(ctx: HubContext, sku: str, location: str, *, recent: int = 20) -> dict[str, Any]:
    with ctx.read() as conn:
        sku_id, location_id = _ids(conn, ctx, sku, location)
        live = ledger.read_balances(conn, ctx.tenant_id, [(sku_id, location_id)]).get(
            (sku_id, location_id), Quantities()
        )
        rebuilt = _rebuilt(conn, ctx, sku_id, location_id)
        events = _recent_events(conn, ctx, sku_id, location_id, recent)
    held = " - ".join(f"{s.value} {live.get(s)}" for s in HELD_WITHIN_ON_HAND)
    return {
        "sku": sku,
        "location": location,
        "balance": live.as_dict(),
        "formula": f"available = on_hand {live.on_hand} - {held} = {live.available}",
        "ledger_totals": rebuilt.as_dict(),
        "consistent_with_ledger": rebuilt == live,
        "recent_events": events,
    }


def explain_listing(ctx: HubContext, channel: str, sku: str, *, recent: int = 10) -> dict[str, Any]:
    with ctx.read() as conn:
        atp = compute_listing_atp(conn, ctx, channel, sku)
        location_ids = dict(
            conn.execute(
                sa.select(locations.c.code, locations.c.id).where(
                    locations.c.tenant_id == ctx.tenant_id,
                    locations.c.code.in_([s.location for s in atp.result.supplies]),
                )
            ).all()
        )
        component_codes = {c.sku for s in atp.result.supplies for c in s.components} or {sku}
        sku_ids = dict(
            conn.execute(
                sa.select(skus.c.code, skus.c.id).where(
                    skus.c.tenant_id == ctx.tenant_id, skus.c.code.in_(component_codes)
                )
            ).all()
        )
        events = {
            f"{code}@{loc}": _recent_events(conn, ctx, sku_ids[code], location_ids[loc], recent)
            for code in sorted(sku_ids)
            for loc in sorted(location_ids)
        }
    return atp.as_dict() | {"recent_events": events}


def _ids(conn: sa.Connection, ctx: HubContext, sku: str, location: str) -> tuple[int, int]:
    sku_id = conn.scalar(sa.select(skus.c.id).where(skus.c.tenant_id == ctx.tenant_id, skus.c.code == sku))
    if sku_id is None:
        raise NotFoundError(f"no SKU {sku!r}", sku=sku)
    location_id = conn.scalar(
        sa.select(locations.c.id).where(locations.c.tenant_id == ctx.tenant_id, locations.c.code == location)
    )
    if location_id is None:
        raise NotFoundError(f"no location {location!r}", location=location)
    return int(sku_id), int(location_id)


def _rebuilt(conn: sa.Connection, ctx: HubContext, sku_id: int, location_id: int) -> Quantities:
    totals = dict(
        conn.execute(
            sa.select(_m.state, sa.func.sum(_m.delta))
            .where(_m.tenant_id == ctx.tenant_id, _m.sku_id == sku_id, _m.location_id == location_id)
            .group_by(_m.state)
        ).all()
    )
    return Quantities(**{state: int(total) for state, total in totals.items()})


def _recent_events(
    conn: sa.Connection, ctx: HubContext, sku_id: int, location_id: int, limit: int
) -> list[dict[str, Any]]:
    ids = (
        sa.select(_m.event_id)
        .where(_m.tenant_id == ctx.tenant_id, _m.sku_id == sku_id, _m.location_id == location_id)
        .distinct()
        .order_by(_m.event_id.desc())
        .limit(limit)
        .subquery()
    )
    rows = conn.execute(
        sa.select(_e.id, _e.type, _e.idempotency_key, _e.source, _e.reference, _e.reason, _e.recorded_at)
        .where(_e.id.in_(sa.select(ids.c.event_id)))
        .order_by(_e.id.desc())
    ).all()
    changes: dict[int, dict[str, int]] = {}
    for event_id, state, delta in conn.execute(
        sa.select(_m.event_id, _m.state, _m.delta).where(
            _m.event_id.in_([r.id for r in rows]), _m.sku_id == sku_id, _m.location_id == location_id
        )
    ):
        changes.setdefault(event_id, {})[state] = changes.get(event_id, {}).get(state, 0) + int(delta)
    return [
        {
            "event_id": r.id,
            "type": r.type,
            "idempotency_key": r.idempotency_key,
            "source": r.source,
            "reference": r.reference,
            "reason": r.reason,
            "recorded_at": r.recorded_at.isoformat(),
            "changes": changes.get(r.id, {}),
        }
        for r in rows
    ]
