"""Recording what the channel answered, one transaction per batch (a few statements for the
whole batch, not a few per listing).

applied  acked_quantity = what the channel now holds (its reported `remote_quantity`, else the
         quantity we set); unseen_units = the hub's number minus that: on a delta platform,
         sales the channel took that the hub has not recorded yet. Propagation latency is
         observed from the listing's `dirty_at`.
stale    compare-and-set refused (the channel moved, usually a sale): its reported level
         becomes the new base (None when unreported: the next round reads it first), the move
         is added to unseen_units, and the listing is re-marked dirty: the next round converges
         from the real value without offering the units the channel sold again
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
from stockbridge.sync.outbox import Claimed
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
        """A batch's answers, written in one transaction with a few statements."""
        now = self.ctx.clock.now()
        rebases: list[outbox.Rebase] = []
        again: list[Claimed] = []
        applied: list[PlannedLevel] = []
        failed: list[tuple[PlannedLevel, LevelChange, Exception]] = []
        for level, outcome in pairs:
            self._count(outcome.status)
            if outcome.status == "applied":
                rebases.append(_applied(level, outcome))
                if outcome.overwritten:  # the channel shows those units as still for sale: take them off
                    again.append(level.claimed)
                applied.append(level)
            elif outcome.status == "stale":
                rebases.append(
                    outbox.stale(
                        level.listing_id,
                        outcome.change,
                        outcome.remote_quantity,
                        base=level.acked,
                        forget_unseen=level.unseen_expired,
                    )
                )
                again.append(level.claimed)
            else:
                error = outcome.error or ConnectorError("the connector reported a failure without an error")
                failed.append((level, outcome.change, error))

        def work(conn: sa.Connection) -> None:
            outbox.rebase(conn, now, rebases)
            outbox.requeue(conn, self.ctx, again)
            for level, change, error in failed:
                self._failed(conn, level, change, error, tally)

        self.ctx.write(work)
        tally.stale += len(rebases) - len(applied)
        tally.applied += len(applied)
        for level in applied:
            if level.dirty_at is not None:
                tally.latencies.append(max((now - level.dirty_at).total_seconds(), 0.0))
            if self.metrics is not None:
                self.metrics.observe_latency(self.channel, level.dirty_at, now)

    def park_all(
        self, pairs: Sequence[tuple[PlannedLevel, LevelChange]], error: Exception, tally: Tally
    ) -> None:
        def work(conn: sa.Connection) -> None:
            for level, change in pairs:
                self._park(conn, level, change, error, tally)

        self.ctx.write(work)

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


def _applied(level: PlannedLevel, outcome: PushOutcome) -> outbox.Rebase:
    """The channel took the write: it holds its reported `remote_quantity`, else what we set. A
    delta platform holding less than we aimed at reveals sales it took meanwhile; sales our
    absolute write overwrote are not in what it holds either: both count as unseen, as do the
    sales a read-then-write connector saw between its read and its last write (`sold_meanwhile`,
    which includes the overwritten ones when it took them off again itself)."""
    holds = outcome.remote_quantity if outcome.remote_quantity is not None else outcome.change.quantity
    moved = _sold_since_base(level, outcome, holds) + max(outcome.overwritten, outcome.sold_meanwhile)
    return outbox.ack(level.listing_id, holds, moved, forget_unseen=level.unseen_expired)


def _sold_since_base(level: PlannedLevel, outcome: PushOutcome, holds: int) -> int:
    """Units the channel moved on its own since our base, as the write revealed them."""
    if level.acked is None:
        return 0
    if outcome.observed_before is not None:  # a read-then-write connector read it just before
        return level.acked - outcome.observed_before
    return level.target - holds  # a delta platform holding less than we aimed at
