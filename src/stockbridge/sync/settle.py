"""Recording what the channel answered, one transaction per batch.

applied  acked_quantity = the quantity we set: the base of the next change, in the hub's terms.
         What the channel reports holding (`remote_quantity`) is kept as observed: on a delta
         platform it can differ by the channel's own sales not yet ingested, which must not
         leak into the base (`outbox.shift_acknowledged` moves the base when they arrive, so
         they are applied exactly once in either order). Propagation latency is observed from
         the listing's `dirty_at`.
stale    compare-and-set refused (the channel moved, usually a sale): its reported level
         becomes the new base (None when unreported: the next round reads it first) and the
         listing is re-marked dirty, so the next round converges from the real value
failed   retryable errors re-mark the listing (up to `max_item_attempts`); anything else,
         or too many attempts, parks the change in the dead-letter queue with its reason
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from stockbridge.connectors.base import LevelChange, PushOutcome
from stockbridge.connectors.errors import ConnectorError
from stockbridge.services.context import HubContext
from stockbridge.sync import outbox
from stockbridge.sync.dead_letters import PUSH, Parcel, park
from stockbridge.sync.metrics import SyncMetrics
from stockbridge.sync.plan import PlannedLevel


@dataclass
class Tally:
    applied: int = 0
    stale: int = 0
    requeued: int = 0
    dead_lettered: int = 0
    latencies: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Settler:
    ctx: HubContext
    connection_id: int
    channel: str
    metrics: SyncMetrics | None
    max_item_attempts: int

    def outcomes(self, pairs: Sequence[tuple[PlannedLevel, PushOutcome]], tally: Tally) -> None:
        def work(conn: sa.Connection) -> None:
            for level, outcome in pairs:
                self._one(conn, level, outcome, tally)

        self.ctx.write(work)

    def park_all(
        self, pairs: Sequence[tuple[PlannedLevel, LevelChange]], error: Exception, tally: Tally
    ) -> None:
        def work(conn: sa.Connection) -> None:
            for level, change in pairs:
                self._park(conn, level, change, error, tally)

        self.ctx.write(work)

    def _one(self, conn: sa.Connection, level: PlannedLevel, outcome: PushOutcome, tally: Tally) -> None:
        now = self.ctx.clock.now()
        self._count(outcome.status)
        if outcome.status == "applied":
            outbox.record_ack(conn, level.listing_id, outcome.change.quantity, now)
            if outcome.remote_quantity is not None:
                outbox.record_observed(conn, level.listing_id, outcome.remote_quantity, now)
            tally.applied += 1
            if level.dirty_at is not None:
                tally.latencies.append(max((now - level.dirty_at).total_seconds(), 0.0))
            if self.metrics is not None:
                self.metrics.observe_latency(self.channel, level.dirty_at, now)
        elif outcome.status == "stale":
            note = f"stale: channel held {outcome.remote_quantity}, expected {outcome.change.expected}"
            outbox.record_base(conn, level.listing_id, outcome.remote_quantity, now, note)
            outbox.requeue(conn, self.ctx, [level.claimed])
            tally.stale += 1
        else:
            error = outcome.error or ConnectorError("the connector reported a failure without an error")
            self._failed(conn, level, outcome.change, error, tally)

    def _failed(
        self, conn: sa.Connection, level: PlannedLevel, change: LevelChange, error: Exception, tally: Tally
    ) -> None:
        retryable = bool(getattr(error, "retryable", False))
        if retryable and level.attempts + 1 < self.max_item_attempts:
            outbox.record_error(conn, level.listing_id, _describe(error), attempts=level.attempts + 1)
            outbox.requeue(conn, self.ctx, [level.claimed])
            tally.requeued += 1
            return
        self._park(conn, level, change, error, tally)

    def _park(
        self, conn: sa.Connection, level: PlannedLevel, change: LevelChange, error: Exception, tally: Tally
    ) -> None:
        reason = _describe(error)
        parcel = Parcel(
            PUSH, str(level.listing_id), _payload(self.channel, level, change), _error_dict(error), reason
        )
        park(conn, self.ctx, self.connection_id, [parcel])
        outbox.record_error(conn, level.listing_id, f"dead-lettered: {reason}", attempts=0)
        tally.dead_lettered += 1
        if self.metrics is not None:
            self.metrics.dead_letters.labels(self.channel).inc()

    def _count(self, status: str) -> None:
        if self.metrics is not None:
            self.metrics.levels.labels(self.channel, status).inc()


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


def _error_dict(error: Exception) -> dict[str, Any]:
    if isinstance(error, ConnectorError):
        return {
            k: v if isinstance(v, str | int | float | bool | None) else str(v)
            for k, v in error.as_dict().items()
        }
    return {"kind": type(error).__name__, "message": str(error)}


def _payload(channel: str, level: PlannedLevel, change: LevelChange) -> dict[str, Any]:
    return {
        "listing_id": level.listing_id,
        "channel": channel,
        "sku": level.sku,
        "item_id": change.item_id,
        "location_id": change.location_id,
        "quantity": change.quantity,
        "expected": change.expected,
    }
