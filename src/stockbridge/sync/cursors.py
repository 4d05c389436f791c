"""Incremental cursors as explicit values, persisted per (connection, stream) in `sync_cursors`.

A `TimeCursor` remembers the highest `updated_at` processed and the ids processed at exactly that
instant. A poll asks the channel for records updated since `last_value` and skips only a record it
has provably handled: same id at the same instant (dedupe on ties). Advancing keeps the ids of
every record at the new highest instant.

The look-back (records written late with an earlier timestamp) is a sweep, not a part of every
poll: a poll re-reads from `last_value - lookback` only when the last sweep started `sweep_every`
ago or more (`swept_at`, on the hub's clock). Re-reading is harmless (facts apply once) but not
free: a look-back on every poll re-reads `lookback` worth of orders each time, so that with frequent
polls a busy channel is re-read hundreds of times over and a poll never gets to its newest orders.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.connectors.base import OrderCursor
from stockbridge.store.schema_sync import sync_cursors


@dataclass(frozen=True)
class TimeCursor:
    last_value: datetime | None = None
    seen: frozenset[str] = frozenset()  # ids processed at exactly `last_value`
    swept_at: datetime | None = None  # when a poll last re-read the look-back (the hub's clock)

    def sweep_due(self, now: datetime, every: timedelta) -> bool:
        """Whether a poll starting `now` re-reads the look-back: when none has yet, or the last
        one started `every` ago or more (a first poll reads everything: a sweep of its own)."""
        return self.last_value is None or self.swept_at is None or now - self.swept_at >= every

    def swept(self, now: datetime) -> TimeCursor:
        return replace(self, swept_at=now)

    def request(self, lookback: timedelta) -> OrderCursor:
        """What to ask the channel for: everything since the look-back start (ties included)."""
        if self.last_value is None:
            return OrderCursor()
        start = self.last_value - lookback
        return OrderCursor(updated_after=start, seen=self.seen if start == self.last_value else frozenset())

    def is_new(self, record_id: str, updated_at: datetime) -> bool:
        return not (updated_at == self.last_value and record_id in self.seen)

    def advance(self, records: Iterable[tuple[str, datetime]]) -> TimeCursor:
        top, seen = self.last_value, set(self.seen)
        for record_id, updated_at in records:
            if top is None or updated_at > top:
                top, seen = updated_at, {record_id}
            elif updated_at == top:
                seen.add(record_id)
        return TimeCursor(top, frozenset(seen), self.swept_at)

    def to_json(self) -> dict[str, Any]:
        return {
            "last_value": self.last_value.isoformat() if self.last_value else None,
            "seen": sorted(self.seen),
            "swept_at": self.swept_at.isoformat() if self.swept_at else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> TimeCursor:
        if not isinstance(data, dict) or not data.get("last_value"):
            return cls()
        swept = data.get("swept_at")
        return cls(
            datetime.fromisoformat(data["last_value"]),
            frozenset(str(i) for i in data.get("seen", ())),
            datetime.fromisoformat(swept) if swept else None,
        )


def load_cursor(conn: sa.Connection, connection_id: int, stream: str) -> TimeCursor:
    value = conn.scalar(
        sa.select(sync_cursors.c.value).where(
            sync_cursors.c.connection_id == connection_id, sync_cursors.c.stream == stream
        )
    )
    return TimeCursor.from_json(value)


def save_cursor(
    conn: sa.Connection, connection_id: int, stream: str, cursor: TimeCursor, now: datetime
) -> None:
    """Checkpoint, inside the transaction that applied what the cursor moved past."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"value": cursor.to_json(), "updated_at": now}
    conn.execute(
        dialect.insert(sync_cursors)
        .values(connection_id=connection_id, stream=stream, **values)
        .on_conflict_do_update(index_elements=["connection_id", "stream"], set_=values)
    )
