"""Ingest inventory events: validate, deduplicate, apply all-or-nothing per event, quarantine the rest.

A batch is one transaction. Each event is checked against the balances as the events before it
in the batch left them; an event that fails any guard changes nothing and goes to quarantine with
its reason. Duplicates (same idempotency key, same content) are reported, not reapplied; the same
key with different content is a conflict, quarantined too. Nothing is dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import sqlalchemy as sa

from stockbridge.domain.event_parsing import MAX_LENGTH, parse_event
from stockbridge.domain.events import PHYSICAL_FACTS, EventCommand, ResolvedLine, plan_line
from stockbridge.domain.quantities import Delta, Quantities, guard_failures
from stockbridge.errors import (
    IdempotencyConflictError,
    InsufficientStockError,
    Shortfall,
    StockbridgeError,
    ValidationError,
)
from stockbridge.services.context import HubContext
from stockbridge.services.resolution import prefetch, resolve_lines
from stockbridge.store import ledger
from stockbridge.store.quarantine import insert_quarantine, quarantine_row
from stockbridge.store.references import ReferenceResolver
from stockbridge.store.schema import inventory_events

Status = Literal["applied", "duplicate", "quarantined"]


@dataclass(frozen=True)
class EventOutcome:
    index: int
    status: Status
    idempotency_key: str | None = None
    event_id: int | None = None
    error: Mapping[str, Any] | None = None
    quarantine_id: int | None = None


@dataclass
class IngestReport:
    outcomes: list[EventOutcome] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    def summary(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("applied", "duplicate", "quarantined")}


def ingest_events(
    ctx: HubContext, payloads: Sequence[Any], *, source: str | None = None, kind: str = "event"
) -> IngestReport:
    """Apply a batch of raw event payloads in one transaction; failures are quarantined."""

    if source is not None and len(source) > MAX_LENGTH["source"]:
        raise ValidationError(f"source must be at most {MAX_LENGTH['source']} characters", field="source")

    def work(conn: sa.Connection) -> IngestReport:
        outcomes = apply_payloads(conn, ctx, payloads, source=source)
        failed = [o for o in outcomes if o.error is not None]
        now = ctx.clock.now()
        ids = insert_quarantine(
            conn,
            [
                quarantine_row(ctx.tenant_id, now, kind, source, payloads[o.index], o.error or {})
                for o in failed
            ],
        )
        for outcome, qid in zip(failed, ids, strict=True):
            outcomes[outcome.index] = replace(outcome, status="quarantined", quarantine_id=qid)
        return IngestReport(outcomes)

    return ctx.write(work)


def apply_payloads(
    conn: sa.Connection, ctx: HubContext, payloads: Sequence[Any], *, source: str | None = None
) -> list[EventOutcome]:
    """Parse and apply inside the caller's transaction; outcomes with `error` set were not applied."""
    commands: list[EventCommand | None] = []
    outcomes: list[EventOutcome | None] = []
    for i, raw in enumerate(payloads):
        try:
            commands.append(parse_event(raw))
            outcomes.append(None)
        except StockbridgeError as error:
            commands.append(None)
            outcomes.append(EventOutcome(i, "quarantined", _key_of(raw), error=error.as_dict()))
    _Batch(conn, ctx, source).run(commands, outcomes)
    return [o for o in outcomes if o is not None]


def _key_of(raw: Any) -> str | None:
    key = raw.get("idempotency_key") if isinstance(raw, Mapping) else None
    return key if isinstance(key, str) else None


class _Batch:
    """One batch inside one transaction: dedupe, resolve, lock, evaluate in order, write."""

    def __init__(self, conn: sa.Connection, ctx: HubContext, source: str | None) -> None:
        self.conn, self.ctx, self.now, self.source = conn, ctx, ctx.clock.now(), source
        self.resolver = ReferenceResolver(conn, ctx.tenant_id)

    def run(self, commands: list[EventCommand | None], outcomes: list[EventOutcome | None]) -> None:
        live = [(i, c) for i, c in enumerate(commands) if c is not None]
        fresh = self._dedupe(live, outcomes)
        prefetch(self.resolver, [c for _, c in fresh])
        resolved: list[tuple[int, EventCommand, list[ResolvedLine]]] = []
        for i, command in fresh:
            try:
                resolved.append((i, command, resolve_lines(self.resolver, command)))
            except StockbridgeError as error:
                outcomes[i] = EventOutcome(i, "quarantined", command.idempotency_key, error=error.as_dict())
        self._apply(resolved, outcomes)

    def _dedupe(
        self, live: list[tuple[int, EventCommand]], outcomes: list[EventOutcome | None]
    ) -> list[tuple[int, EventCommand]]:
        keys = sorted({c.idempotency_key for _, c in live})
        recorded: dict[str, tuple[str, int | None]] = {}
        for chunk_start in range(0, len(keys), 500):
            chunk = keys[chunk_start : chunk_start + 500]
            rows = self.conn.execute(
                sa.select(
                    inventory_events.c.idempotency_key, inventory_events.c.payload_hash, inventory_events.c.id
                )
                .where(inventory_events.c.tenant_id == self.ctx.tenant_id)
                .where(inventory_events.c.idempotency_key.in_(chunk))
            )
            recorded.update({k: (h, i) for k, h, i in rows})
        fresh = []
        for i, command in live:
            key = command.idempotency_key
            if key not in recorded:
                recorded[key] = (command.payload_hash, None)
                fresh.append((i, command))
            elif recorded[key][0] == command.payload_hash:
                outcomes[i] = EventOutcome(i, "duplicate", key, recorded[key][1])
            else:
                error = IdempotencyConflictError(
                    f"idempotency key {key!r} was already used for a different event", field="idempotency_key"
                )
                outcomes[i] = EventOutcome(i, "quarantined", key, error=error.as_dict())
        return fresh

    def _apply(
        self,
        resolved: list[tuple[int, EventCommand, list[ResolvedLine]]],
        outcomes: list[EventOutcome | None],
    ) -> None:
        keys = {k for _, _, lines in resolved for line in lines for k in _keys(line)}
        ledger.ensure_balance_rows(self.conn, self.ctx.tenant_id, keys, self.now)
        state = ledger.lock_balances(self.conn, self.ctx.tenant_id, keys)
        original = dict(state)
        accepted: list[tuple[int, EventCommand, dict[tuple[int, int], Delta]]] = []
        for i, command, lines in resolved:
            changes, shortfalls = _evaluate(command, lines, state, self.resolver)
            if shortfalls:
                field = f"lines[{shortfalls[0][0]}].quantity" if len(command.lines) == len(lines) else "lines"
                error = InsufficientStockError([s for _, s in shortfalls], field=field)
                outcomes[i] = EventOutcome(i, "quarantined", command.idempotency_key, error=error.as_dict())
                continue
            accepted.append((i, command, changes))
        self._write(accepted, outcomes, {k: v for k, v in state.items() if v != original[k]})

    def _write(
        self,
        accepted: list[tuple[int, EventCommand, dict[tuple[int, int], Delta]]],
        outcomes: list[EventOutcome | None],
        changed: dict[tuple[int, int], Quantities],
    ) -> None:
        ids = ledger.insert_events(self.conn, [self._event_row(c) for _, c, _ in accepted])
        ledger.insert_movements(
            self.conn,
            self.ctx.tenant_id,
            (
                (event_id, key, delta)
                for event_id, (_, _, ch) in zip(ids, accepted, strict=True)
                for key, delta in ch.items()
            ),
        )
        ledger.write_balances(self.conn, self.ctx.tenant_id, changed, self.now)
        ledger.mark_listings_dirty(self.conn, self.ctx.tenant_id, {s for s, _ in changed}, self.now)
        for event_id, (i, command, _) in zip(ids, accepted, strict=True):
            outcomes[i] = EventOutcome(i, "applied", command.idempotency_key, event_id)

    def _event_row(self, command: EventCommand) -> dict[str, Any]:
        return {
            "tenant_id": self.ctx.tenant_id,
            "idempotency_key": command.idempotency_key,
            "payload_hash": command.payload_hash,
            "type": command.type.value,
            "source": command.source or self.source,
            "reference": command.reference,
            "reason": command.reason,
            "payload": command.canonical(),
            "occurred_at": command.occurred_at,
            "recorded_at": self.now,
        }


def _keys(line: ResolvedLine) -> list[tuple[int, int]]:
    keys = [(line.sku_id, line.location_id)]
    if line.to_location_id is not None:
        keys.append((line.sku_id, line.to_location_id))
    return keys


def _evaluate(
    command: EventCommand,
    lines: list[ResolvedLine],
    state: dict[tuple[int, int], Quantities],
    resolver: ReferenceResolver,
) -> tuple[dict[tuple[int, int], Delta], list[tuple[int, Shortfall]]]:
    """Apply the event's lines to a private copy; commit the copy into `state` only if all pass."""
    local = dict(state)
    changes: dict[tuple[int, int], Delta] = {}
    shortfalls: list[tuple[int, Shortfall]] = []
    for line_no, line in enumerate(lines):
        for plan in plan_line(command.type, line, lambda s, loc: local[(s, loc)]):
            key = (plan.sku_id, plan.location_id)
            guard = plan.guard_available and command.type not in PHYSICAL_FACTS
            for f in guard_failures(local[key], plan.delta, guard_available=guard):
                sku, location = resolver.names(plan.sku_id, plan.location_id)
                shortfalls.append((line_no, Shortfall(sku, location, f.state, f.need, f.have)))
            local[key] = local[key].plus(plan.delta)
            changes[key] = changes[key] + plan.delta if key in changes else plan.delta
    if not shortfalls:
        state.update(local)
    return {k: d for k, d in changes.items() if d}, shortfalls
