"""Proof that balances are a projection of the ledger: re-derive every counter from
`inventory_movements` and compare; optionally rewrite the projection from the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from stockbridge.domain.quantities import STATES, Quantities
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.schema import balances, inventory_movements

Key = tuple[int, int]


@dataclass(frozen=True)
class Mismatch:
    sku_id: int
    location_id: int
    live: Quantities
    rebuilt: Quantities


def rebuild_from_ledger(conn: sa.Connection, tenant_id: int) -> dict[Key, Quantities]:
    m = inventory_movements.c
    totals: dict[Key, dict[str, int]] = {}
    for sku_id, location_id, state, total in conn.execute(
        sa.select(m.sku_id, m.location_id, m.state, sa.func.sum(m.delta))
        .where(m.tenant_id == tenant_id)
        .group_by(m.sku_id, m.location_id, m.state)
    ):
        totals.setdefault((int(sku_id), int(location_id)), {})[state] = int(total)
    return {key: Quantities(**values) for key, values in totals.items()}


def live_balances(conn: sa.Connection, tenant_id: int) -> dict[Key, Quantities]:
    b = balances.c
    rows = conn.execute(
        sa.select(b.sku_id, b.location_id, *(b[s.value] for s in STATES)).where(b.tenant_id == tenant_id)
    )
    return {(r.sku_id, r.location_id): Quantities.from_mapping(r._mapping) for r in rows}


def verify_balances(ctx: HubContext) -> list[Mismatch]:
    with ctx.read() as conn:
        return _compare(live_balances(conn, ctx.tenant_id), rebuild_from_ledger(conn, ctx.tenant_id))


def repair_balances(ctx: HubContext) -> list[Mismatch]:
    """Rewrite every mismatching balance from the ledger; returns what was wrong."""

    def work(conn: sa.Connection) -> list[Mismatch]:
        rebuilt = rebuild_from_ledger(conn, ctx.tenant_id)
        ledger.ensure_balance_rows(conn, ctx.tenant_id, rebuilt, ctx.clock.now())
        live = ledger.lock_balances(
            conn, ctx.tenant_id, set(rebuilt) | set(live_balances(conn, ctx.tenant_id))
        )
        wrong = _compare(live, rebuilt)
        fixed = {(w.sku_id, w.location_id): w.rebuilt for w in wrong}
        ledger.write_balances(conn, ctx.tenant_id, fixed, ctx.clock.now())
        ledger.mark_listings_dirty(conn, ctx.tenant_id, {s for s, _ in fixed}, ctx.clock.now())
        return wrong

    return ctx.write(work)


def _compare(live: dict[Key, Quantities], rebuilt: dict[Key, Quantities]) -> list[Mismatch]:
    empty = Quantities()
    return [
        Mismatch(key[0], key[1], live.get(key, empty), rebuilt.get(key, empty))
        for key in sorted(set(live) | set(rebuilt))
        if live.get(key, empty) != rebuilt.get(key, empty)
    ]
