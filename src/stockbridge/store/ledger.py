"""Writing the ledger and its balance projection.

Two ways to change balances, both inside the caller's transaction:
- `guarded_update`: one conditional UPDATE whose WHERE clause is the guard; its row count is the
  answer (the reservation path: the database is the arbiter, nothing is read first).
- `lock_balances` + `write_balances`: take the rows in (sku, location) order (FOR UPDATE on
  PostgreSQL; SQLite's write lock is already held by BEGIN IMMEDIATE), let the domain evaluate a
  whole batch of events in order, then write the results back (the bulk ingest path).
Every change is also appended to `inventory_movements`, and listings of the touched SKUs (and of
bundles made of them) are marked dirty in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.domain.quantities import HELD_WITHIN_ON_HAND, STATES, Delta, Quantities, State
from stockbridge.store.schema import (
    balances,
    bundle_components,
    inventory_events,
    inventory_movements,
    listings,
    locations,
)

Key = tuple[int, int]  # (sku_id, location_id)
_b = balances.c
AVAILABLE_EXPR = _b.on_hand - sum((_b[s.value] for s in HELD_WITHIN_ON_HAND), sa.literal(0))


def _insert(conn: sa.Connection, table: sa.Table) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(table)


def ensure_balance_rows(conn: sa.Connection, tenant_id: int, keys: Iterable[Key], now: datetime) -> None:
    rows = [
        {"tenant_id": tenant_id, "sku_id": s, "location_id": loc, "updated_at": now}
        for s, loc in sorted(keys)
    ]
    if rows:
        conn.execute(_insert(conn, balances).on_conflict_do_nothing(), rows)


def lock_balances(conn: sa.Connection, tenant_id: int, keys: Iterable[Key]) -> dict[Key, Quantities]:
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    query = (
        sa.select(_b.sku_id, _b.location_id, *(_b[s.value] for s in STATES))
        .where(_b.tenant_id == tenant_id, sa.tuple_(_b.sku_id, _b.location_id).in_(ordered))
        .order_by(_b.sku_id, _b.location_id)
    )
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    return {(r.sku_id, r.location_id): Quantities.from_mapping(r._mapping) for r in conn.execute(query)}


def write_balances(
    conn: sa.Connection, tenant_id: int, values: Mapping[Key, Quantities], now: datetime
) -> None:
    """Write locked rows back with absolute values: one multi-row upsert, not a statement per row."""
    if not values:
        return
    rows = [
        {"tenant_id": tenant_id, "sku_id": s, "location_id": loc, "updated_at": now}
        | {st.value: q.get(st) for st in STATES}
        for (s, loc), q in sorted(values.items())
    ]
    conn.execute(_balances_upsert(conn.dialect.name), rows)


@functools.cache
def _balances_upsert(dialect: str) -> Any:
    """`write_balances`' statement, built once per dialect (building `excluded` is not cheap)."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(balances)
    columns = [st.value for st in STATES] + ["updated_at"]
    return insert.on_conflict_do_update(
        index_elements=[_b.tenant_id, _b.sku_id, _b.location_id],
        set_={name: insert.excluded[name] for name in columns},
    )


def guarded_update(
    conn: sa.Connection, tenant_id: int, key: Key, delta: Delta, now: datetime, *, guard_available: bool
) -> bool:
    """Apply `delta` to one row only if no counter goes negative (and available, when guarded).

    Requires the row to exist when the delta takes anything away; returns whether it applied.
    """
    guard = guard_available and delta.available_change < 0
    params: dict[str, Any] = {"t": tenant_id, "s": key[0], "l": key[1], "now": now}
    params |= {f"d_{state.value}": change for state, change in delta.items()}
    if guard:
        params["need"] = -delta.available_change
    stmt = _guarded_statement(tuple((state, change < 0) for state, change in delta.items()), guard)
    return conn.execute(stmt, params).rowcount == 1


@functools.cache
def _guarded_statement(shape: tuple[tuple[State, bool], ...], guard: bool) -> sa.Update:
    """One statement per shape of delta (which counters move, which go down), built once."""
    conditions = [
        _b.tenant_id == sa.bindparam("t"),
        _b.sku_id == sa.bindparam("s"),
        _b.location_id == sa.bindparam("l"),
    ]
    conditions += [_b[state.value] + sa.bindparam(f"d_{state.value}") >= 0 for state, down in shape if down]
    if guard:
        conditions.append(sa.bindparam("need") <= AVAILABLE_EXPR)
        online = sa.select(locations.c.id).where(
            locations.c.id == _b.location_id, locations.c.online.is_(True)
        )
        conditions.append(online.exists())
    values = {state.value: _b[state.value] + sa.bindparam(f"d_{state.value}") for state, _ in shape}
    return sa.update(balances).where(*conditions).values(updated_at=sa.bindparam("now"), **values)


def read_balances(conn: sa.Connection, tenant_id: int, keys: Iterable[Key]) -> dict[Key, Quantities]:
    ordered = sorted(set(keys))
    if not ordered:
        return {}
    query = sa.select(_b.sku_id, _b.location_id, *(_b[s.value] for s in STATES)).where(
        _b.tenant_id == tenant_id, sa.tuple_(_b.sku_id, _b.location_id).in_(ordered)
    )
    return {(r.sku_id, r.location_id): Quantities.from_mapping(r._mapping) for r in conn.execute(query)}


def insert_events(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> list[int]:
    """Append events in multi-row inserts; returns their ids in the order given.

    Ids come back with their idempotency keys (RETURNING, no ordering asked: asking SQLAlchemy to
    keep parameter order makes SQLite fall back to one statement per row).
    """
    if not rows:
        return []
    stmt = sa.insert(inventory_events).returning(inventory_events.c.idempotency_key, inventory_events.c.id)
    ids = {key: int(event_id) for key, event_id in conn.execute(stmt, list(rows))}
    return [ids[row["idempotency_key"]] for row in rows]


def insert_movements(
    conn: sa.Connection, tenant_id: int, event_id_changes: Iterable[tuple[int, Key, Delta]]
) -> int:
    rows = [
        {
            "tenant_id": tenant_id,
            "event_id": event_id,
            "sku_id": s,
            "location_id": loc,
            "state": st.value,
            "delta": d,
        }
        for event_id, (s, loc), delta in event_id_changes
        for st, d in delta.items()
    ]
    if rows:
        conn.execute(sa.insert(inventory_movements), rows)
    return len(rows)


def mark_listings_dirty(conn: sa.Connection, tenant_id: int, sku_ids: Iterable[int], now: datetime) -> None:
    """Outbox: every listing whose ATP may have moved (the SKU's own and its bundles')."""
    ids = sorted(set(sku_ids))
    if ids:
        conn.execute(_dirty_statement(conn.dialect.name), {"t": tenant_id, "ids": ids, "now": now})


@functools.cache
def _dirty_statement(dialect: str) -> sa.Update:
    ids: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)
    bundles = sa.select(bundle_components.c.bundle_sku_id).where(
        bundle_components.c.component_sku_id.in_(ids)
    )
    targets = sa.select(listings.c.id).where(
        listings.c.tenant_id == sa.bindparam("t"),
        listings.c.dirty.is_(False),
        sa.or_(listings.c.sku_id.in_(ids), listings.c.sku_id.in_(bundles)),
    )
    if dialect == "postgresql":  # lock in id order so concurrent markers cannot deadlock
        targets = targets.order_by(listings.c.id).with_for_update()
    return (
        sa.update(listings).where(listings.c.id.in_(targets)).values(dirty=True, dirty_at=sa.bindparam("now"))
    )
