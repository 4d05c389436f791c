"""What the hub has recorded of one channel order, kept beside its ledger events.

The state of an order (the keys of its recorded events, the units still committed to it per
(sku, location), where each SKU was sold, the newest whole version of it recorded) lives as the
`extra` of the order's row in `bindings` (object type `order`). `services.channel_orders` opens
it (creating and locking the row, so one order's facts apply one transaction at a time), changes
it while appending events, and saves it in the same transaction. The pollers read the recorded
versions (`recorded_versions`) to skip re-reading orders the hub already has at that version.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.domain.quantities import Delta, State
from stockbridge.services.bindings import binding_key
from stockbridge.services.context import HubContext
from stockbridge.store.schema import inventory_events
from stockbridge.store.schema_sync import bindings

ORDER_BINDING = "order"
Key = tuple[int, int]  # (sku_id, location_id)


@dataclass
class OrderHistory:
    """What the hub has recorded of one order: its event keys, the units still committed to it
    per (sku, location), and where each SKU was sold. Kept as the `extra` of the order's row in
    `bindings` (object type `order`), written in the same transaction as the events it sums."""

    keys: set[str] = field(default_factory=set)
    committed: dict[Key, int] = field(default_factory=dict)
    sold_at: dict[int, list[int]] = field(default_factory=dict)
    version: datetime | None = None  # the newest whole state of the order recorded

    def saw(self, version: datetime | None) -> bool:
        """Keep `version` if it is newer than the one kept; whether it was."""
        version = _aware(version) if version is not None else None
        if version is None or (self.version is not None and version <= self.version):
            return False
        self.version = version
        return True

    def take(self, changes: Mapping[Key, Delta]) -> None:
        for key, delta in changes.items():
            self.committed[key] = self.committed.get(key, 0) + delta.get(State.COMMITTED)

    def to_json(self) -> dict[str, Any]:
        return {
            "keys": sorted(self.keys),
            "committed": [[s, loc, q] for (s, loc), q in sorted(self.committed.items()) if q],
            "sold_at": [[s, locs] for s, locs in sorted(self.sold_at.items())],
            "version": self.version.isoformat() if self.version else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> OrderHistory:
        data = data if isinstance(data, dict) else {}
        version = data.get("version")
        return cls(
            set(data.get("keys", ())),
            {(int(s), int(loc)): int(q) for s, loc, q in data.get("committed", ())},
            {int(s): [int(loc) for loc in locs] for s, locs in data.get("sold_at", ())},
            _aware(datetime.fromisoformat(version)) if version else None,
        )


def open_history(
    conn: sa.Connection, ctx: HubContext, connection_id: int, order_id: str, candidates: Sequence[str]
) -> OrderHistory:
    """The order's state row, created if new and locked, so that the facts of one order apply one
    transaction at a time (SQLite has one writer anyway). Of the event keys `candidates`, those
    already in the ledger count as recorded even if the state lost them: an event is never
    appended twice."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    row = {
        "tenant_id": ctx.tenant_id,
        "connection_id": connection_id,
        "object_type": ORDER_BINDING,
        "external_id": order_id,
        "internal_id": order_id[:100],
        "extra": {},
        "synced_at": ctx.clock.now(),
    }
    conn.execute(dialect.insert(bindings).values(row).on_conflict_do_nothing())
    query = sa.select(bindings.c.extra).where(*binding_key(ctx, connection_id, ORDER_BINDING, order_id))
    history = OrderHistory.from_json(conn.scalar(query.with_for_update() if dialect is postgresql else query))
    e = inventory_events.c
    recorded = conn.scalars(
        sa.select(e.idempotency_key).where(
            e.tenant_id == ctx.tenant_id, e.idempotency_key.in_(list(candidates))
        )
    )
    history.keys.update(recorded)
    return history


def save_history(
    conn: sa.Connection, ctx: HubContext, connection_id: int, order_id: str, history: OrderHistory
) -> None:
    conn.execute(
        sa.update(bindings)
        .where(*binding_key(ctx, connection_id, ORDER_BINDING, order_id))
        .values(extra=history.to_json(), synced_at=ctx.clock.now())
    )


def recorded_versions(
    conn: sa.Connection, tenant_id: int, connection_id: int, order_ids: Iterable[str]
) -> dict[str, datetime]:
    """The newest whole state (`updated_at`) recorded of each of these orders of a connection, for
    those the hub has one of: everything the channel said of an order up to then is applied."""
    b, wanted = bindings.c, sorted(set(order_ids))
    found: dict[str, datetime] = {}
    for start in range(0, len(wanted), 500):
        rows = conn.execute(
            sa.select(b.external_id, b.extra).where(
                b.tenant_id == tenant_id,
                b.connection_id == connection_id,
                b.object_type == ORDER_BINDING,
                b.external_id.in_(wanted[start : start + 500]),
            )
        )
        for external_id, extra in rows:
            version = OrderHistory.from_json(extra).version
            if version is not None:
                found[str(external_id)] = version
    return found


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
