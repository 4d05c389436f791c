"""Record what a sales channel did with an order: sold, shipped, cancelled, refunded with restock.

Facts become ledger events: `sale` (committed), `fulfil`, `sale_cancelled` (a cancel or a refund
of unshipped units), `return` (a restocking refund); a cancelled fulfilment is a `fulfil` event
that undoes, exactly, the movements of the one it cancels (units back on hand, committed again).
A `restock` (a channel that puts refunded units back without saying whether they shipped, e.g.
WooCommerce) releases what the order still has committed and returns only what it shipped and has
not had back: one event, `sale_cancelled`, or `return` if any unit comes back on hand.
The channel has already taken the order, so nothing here refuses stock: a sale the hub could not
cover is still committed (available goes negative where it landed) and flagged as a channel
oversell on its event; hence these events are appended with the ledger primitives, not
`ingest_events`, whose guard would refuse that sale.
Keys come from the platform's ids: `{platform}:{connection}:order:{id}:sale|cancel|{kind}:{id}`.
What was applied to an order (its keys, the units still committed to it) is kept on the order's
row in `bindings` (object type `order`; `services.order_history` owns that row), written with its
events; locking that row serialises one order's facts. A message may arrive twice, late or before
the order itself; every fact moves a balance at most once. Mapping channel ids to hub ids is the
caller's (sync.inbound_bindings). A message that is the order's whole state carries its `version`
(the channel's `updated_at`); the newest version recorded is kept on the order's row too
(`order_history.recorded_versions`), so that a poll need not read again, whole, an order the hub
already has at that version.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from stockbridge.domain.events import EventType, content_hash
from stockbridge.domain.quantities import Delta, Quantities, State
from stockbridge.errors import ValidationError
from stockbridge.services.context import HubContext
from stockbridge.services.order_history import (
    Key,
    OrderHistory,
    open_history,
    save_history,
)
from stockbridge.store import ledger
from stockbridge.store.references import ReferenceResolver
from stockbridge.store.schema import (
    channel_locations,
    channels,
    inventory_events,
    inventory_movements,
    listing_locations,
    listings,
    locations,
)

logger = logging.getLogger(__name__)
OVERSELL_REASON = "channel oversell"
MovementKind = Literal["fulfilment", "fulfilment_cancelled", "return", "release", "restock"]
_TYPES = {"fulfilment": EventType.FULFIL, "return": EventType.RETURN, "release": EventType.SALE_CANCELLED}


@dataclass(frozen=True)
class OrderLineRef:
    """One order line in hub terms: a SKU (a bundle's `parts` are its components) and its units."""

    sku_id: int
    quantity: int
    location_id: int | None = None
    parts: tuple[tuple[int, int], ...] = ()  # (sku id, units per unit); empty = the SKU itself

    def units(self) -> list[tuple[int, int]]:
        return [(s, self.quantity * per) for s, per in (self.parts or ((self.sku_id, 1),))]


@dataclass(frozen=True)
class OrderMovement:
    """A fulfilment, its cancellation (`fulfilment_cancelled`, named by the fulfilment's id), a
    refund's restock (`return`), a refund of unshipped units (`release`), or restocked units that
    may or may not have shipped (`restock`: released if still committed, else returned)."""

    movement_id: str
    kind: MovementKind
    lines: tuple[OrderLineRef, ...]


@dataclass(frozen=True)
class ChannelOrder:
    source: str  # "{platform}:{connection}"
    connection_id: int
    order_id: str
    channel: str | None
    lines: tuple[OrderLineRef, ...] | None  # None: this message does not carry the order's lines
    cancelled: bool = False
    movements: tuple[OrderMovement, ...] = ()
    occurred_at: datetime | None = None
    version: datetime | None = None  # the order's `updated_at`, when this is its whole state

    @property
    def prefix(self) -> str:
        return f"{self.source}:order:{self.order_id}:"

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)


@dataclass
class OrderOutcome:
    applied: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    oversold: list[dict[str, Any]] = field(default_factory=list)
    waiting: bool = False  # the order's sale is not recorded and this message cannot record it
    # How the channel's own level moved by what was recorded now, per SKU (its sale -q, its
    # cancellation or restock +q): for the pusher's base (sync.outbox.shift_acknowledged).
    channel_moves: dict[int, int] = field(default_factory=dict)

    def moved(self, changes: Mapping[Key, Delta], state: State, sign: int) -> None:
        for (sku_id, _), delta in changes.items():
            self.channel_moves[sku_id] = self.channel_moves.get(sku_id, 0) + sign * delta.get(state)


def record_channel_order(conn: sa.Connection, ctx: HubContext, order: ChannelOrder) -> OrderOutcome:
    """Apply every fact of `order` not yet recorded, inside the caller's transaction."""
    candidates = [order.key("sale"), order.key("cancel")]
    candidates += [order.key(m.kind, m.movement_id) for m in order.movements]
    candidates += [
        order.key("fulfilment", m.movement_id) for m in order.movements if m.kind == "fulfilment_cancelled"
    ]
    history = open_history(conn, ctx, order.connection_id, order.order_id, candidates)
    writer = _Writer(conn, ctx, order)
    outcome = OrderOutcome()
    sale = order.key("sale")
    if sale not in history.keys:
        if order.lines is None:
            outcome.waiting = True
            return outcome
        changes = _sale_changes(conn, ctx, order)
        outcome.oversold = writer.append(EventType.SALE, sale, changes, sale=True)
        outcome.moved(changes, State.COMMITTED, -1)
        history.take(changes)
        history.keys.add(sale)
        for sku_id, location_id in changes:
            history.sold_at.setdefault(sku_id, []).append(location_id)
        outcome.applied.append(sale)
    else:
        outcome.already.append(sale)
    for movement in order.movements:
        key = order.key(movement.kind, movement.movement_id)
        if movement.kind == "fulfilment_cancelled":
            _reverse_once(writer, history, outcome, key, order.key("fulfilment", movement.movement_id))
        else:
            _apply_once(writer, history, outcome, key, movement.kind, movement.lines)
    if order.cancelled:
        _apply_once(writer, history, outcome, order.key("cancel"), "cancel", ())
    if history.saw(order.version) or outcome.applied:
        save_history(conn, ctx, order.connection_id, order.order_id, history)
    return outcome


def _apply_once(
    writer: _Writer,
    history: OrderHistory,
    outcome: OrderOutcome,
    key: str,
    kind: str,
    lines: tuple[OrderLineRef, ...],
) -> None:
    if key in history.keys:
        outcome.already.append(key)
        return
    if kind == "restock":
        _restock(writer, history, outcome, key, lines)
        return
    if kind == "cancel":
        changes = {k: Delta.of(committed=-q) for k, q in history.committed.items() if q > 0}
        unmatched: list[dict[str, int]] = []
    elif kind == "return":
        changes, unmatched = _returns(history, lines)
    else:
        changes, unmatched = _take_committed(history, lines, kind)
    writer.append(_TYPES.get(kind, EventType.SALE_CANCELLED), key, changes, unmatched=unmatched)
    if kind == "return":
        outcome.moved(changes, State.ON_HAND, +1)
    elif kind != "fulfilment":
        outcome.moved(changes, State.COMMITTED, -1)
    history.take(changes)
    history.keys.add(key)
    outcome.applied.append(key)


def _restock(
    writer: _Writer, history: OrderHistory, outcome: OrderOutcome, key: str, lines: tuple[OrderLineRef, ...]
) -> None:
    """Restocked units: out of what the order still has committed first (a release: the order
    will not ship them), then back on hand where they shipped from, up to what the order shipped
    and has not had back (a return); units beyond both are reported, never taken from elsewhere.
    The order's committed units go down by what was released, so that a later fulfilment ships,
    and a later cancel releases, only the rest."""
    committed, shipped = dict(history.committed), writer.shipped(history.keys)
    released: dict[Key, Delta] = {}
    returned: dict[Key, Delta] = {}
    unmatched: list[dict[str, int]] = []
    for line in lines:
        for sku_id, units in line.units():
            freed, units = _draw(committed, sku_id, units, line.location_id)
            back, units = _draw(shipped, sku_id, units, line.location_id)
            for spot, step in freed.items():
                released[spot] = released.get(spot, Delta()) + Delta.of(committed=-step)
            for spot, step in back.items():
                returned[spot] = returned.get(spot, Delta()) + Delta.of(on_hand=step)
            if units:
                unmatched.append({"sku_id": sku_id, "quantity": units})
    changes = {k: released.get(k, Delta()) + returned.get(k, Delta()) for k in released | returned}
    event_type = EventType.RETURN if returned else EventType.SALE_CANCELLED
    writer.append(event_type, key, changes, unmatched=unmatched)
    outcome.moved(released, State.COMMITTED, -1)
    outcome.moved(returned, State.ON_HAND, +1)
    history.take(changes)
    history.keys.add(key)
    outcome.applied.append(key)


def _reverse_once(
    writer: _Writer, history: OrderHistory, outcome: OrderOutcome, key: str, shipped: str
) -> None:
    """A cancelled fulfilment: what its `shipped` event took (committed and on hand) comes back at
    the same places. One the hub never applied reverses nothing and is marked spent, so that a late
    delivery of it, still `success`, ships nothing. Available does not move: no channel moves."""
    if key in history.keys:
        outcome.already.append(key)
        return
    changes = writer.recorded(shipped, negated=True) if shipped in history.keys else {}
    writer.append(EventType.FULFIL, key, changes, reverses=shipped)
    history.take(changes)
    history.keys.update((key, shipped))
    outcome.applied.append(key)


def _take_committed(
    history: OrderHistory, lines: Iterable[OrderLineRef], kind: str
) -> tuple[dict[Key, Delta], list[dict[str, int]]]:
    """Shipped or released units come out of what the order still has committed (stated location
    first); units beyond that are reported as unmatched, never taken from other orders."""
    changes: dict[Key, Delta] = {}
    unmatched: list[dict[str, int]] = []
    committed = dict(history.committed)
    for line in lines:
        for sku_id, units in line.units():
            taken, units = _draw(committed, sku_id, units, line.location_id)
            for spot, step in taken.items():
                delta = Delta.of(committed=-step, on_hand=-step if kind == "fulfilment" else 0)
                changes[spot] = changes[spot] + delta if spot in changes else delta
            if units:
                unmatched.append({"sku_id": sku_id, "quantity": units})
    return changes, unmatched


def _draw(pool: dict[Key, int], sku_id: int, units: int, prefer: int | None) -> tuple[dict[Key, int], int]:
    """Take up to `units` of `sku_id` out of `pool` (the `prefer` location first, then by id):
    what was taken where, and how many units are left over."""
    taken: dict[Key, int] = {}
    for spot in sorted((k for k in pool if k[0] == sku_id), key=lambda k: (k[1] != prefer, k[1])):
        step = min(units, pool[spot])
        if step > 0:
            pool[spot] -= step
            taken[spot] = step
            units -= step
    return taken, units


def _returns(
    history: OrderHistory, lines: Iterable[OrderLineRef]
) -> tuple[dict[Key, Delta], list[dict[str, int]]]:
    changes: dict[Key, Delta] = {}
    unmatched: list[dict[str, int]] = []
    for line in lines:
        for sku_id, units in line.units():
            location_id = line.location_id or next(iter(history.sold_at.get(sku_id, [])), None)
            if location_id is None:
                unmatched.append({"sku_id": sku_id, "quantity": units})
                continue
            key = (sku_id, location_id)
            changes[key] = changes.get(key, Delta()) + Delta.of(on_hand=units)
    return changes, unmatched


class _Writer:
    """Appends one event with its movements and balance changes; marks listings dirty."""

    def __init__(self, conn: sa.Connection, ctx: HubContext, order: ChannelOrder) -> None:
        self.conn, self.ctx, self.order = conn, ctx, order
        self.names = ReferenceResolver(conn, ctx.tenant_id)

    def append(
        self,
        event_type: EventType,
        key: str,
        changes: Mapping[Key, Delta],
        *,
        sale: bool = False,
        unmatched: list[dict[str, int]] | None = None,
        reverses: str | None = None,
    ) -> list[dict[str, Any]]:
        conn, tenant, now = self.conn, self.ctx.tenant_id, self.ctx.clock.now()
        ledger.ensure_balance_rows(conn, tenant, changes, now)
        before = ledger.lock_balances(conn, tenant, changes)
        after = {k: before[k].plus(d) for k, d in changes.items()}
        oversold = [
            self._oversold(k, before[k], after[k]) for k in changes if sale and after[k].available < 0
        ]
        extra: dict[str, Any] = {"oversold": oversold} if oversold else {}
        if reverses:
            extra["reverses"] = reverses
        row = self._row(
            event_type, key, changes, extra | ({"unmatched": unmatched} if unmatched else {}), now
        )
        ledger.write_balances(conn, tenant, after, now)
        (event_id,) = ledger.insert_events(conn, [row])
        ledger.insert_movements(conn, tenant, ((event_id, k, d) for k, d in changes.items() if d))
        ledger.mark_listings_dirty(conn, tenant, {s for s, _ in changes}, now)
        if oversold:
            logger.warning(
                "channel oversell on %s order %s: %s", self.order.source, self.order.order_id, oversold
            )
        return oversold

    def recorded(self, key: str, *, negated: bool = False) -> dict[Key, Delta]:
        """The balance changes the event `key` made (as recorded in its movements), or undoing them."""
        e, m, sign = inventory_events.c, inventory_movements.c, -1 if negated else 1
        rows = self.conn.execute(
            sa.select(m.sku_id, m.location_id, m.state, m.delta)
            .join(inventory_events, e.id == m.event_id)
            .where(e.tenant_id == self.ctx.tenant_id, e.idempotency_key == key)
        )
        pairs: dict[Key, list[tuple[State, int]]] = {}
        for r in rows:
            pairs.setdefault((int(r.sku_id), int(r.location_id)), []).append((State(r.state), sign * r.delta))
        return {k: Delta.from_pairs(p) for k, p in pairs.items()}

    def shipped(self, keys: Iterable[str]) -> dict[Key, int]:
        """Units the events `keys` took off hand, net of what they put back (fulfilments less
        returns and cancelled fulfilments), per (sku, location): what an order shipped and still
        has out."""
        e, m, wanted = inventory_events.c, inventory_movements.c, sorted(keys)
        totals: dict[Key, int] = {}
        for start in range(0, len(wanted), 500):
            rows = self.conn.execute(
                sa.select(m.sku_id, m.location_id, sa.func.sum(m.delta))
                .join(inventory_events, e.id == m.event_id)
                .where(
                    e.tenant_id == self.ctx.tenant_id,
                    e.idempotency_key.in_(wanted[start : start + 500]),
                    m.state == State.ON_HAND.value,
                )
                .group_by(m.sku_id, m.location_id)
            )
            for sku_id, location_id, total in rows:
                key = (int(sku_id), int(location_id))
                totals[key] = totals.get(key, 0) - int(total)
        return totals

    def _oversold(self, key: Key, before: Quantities, after: Quantities) -> dict[str, Any]:
        sku, location = self.names.names(*key)
        sold = after.committed - before.committed
        return {"sku": sku, "location": location, "sold": sold, "available_before": before.available}

    def _row(
        self,
        event_type: EventType,
        key: str,
        changes: Mapping[Key, Delta],
        extra: dict[str, Any],
        now: datetime,
    ) -> dict[str, Any]:
        lines = [
            {"sku": sku, "location": loc, **{s.value: v for s, v in delta.items()}}
            for (sku, loc), delta in ((self.names.names(*k), d) for k, d in sorted(changes.items()))
        ]
        order, occurred = self.order, self.order.occurred_at
        payload = {
            "type": event_type.value,
            "idempotency_key": key,
            "source": order.source,
            "reference": order.order_id,
            "occurred_at": occurred.isoformat() if occurred else None,
            "lines": lines,
            **extra,
        }
        reason = (
            f"{OVERSELL_REASON}: {len(extra['oversold'])} line(s) beyond available"
            if "oversold" in extra
            else None
        )
        return {
            "tenant_id": self.ctx.tenant_id,
            "idempotency_key": key,
            "payload_hash": content_hash(payload),
            "type": event_type.value,
            "source": order.source,
            "reference": f"order {order.order_id}",
            "reason": reason,
            "payload": payload,
            "occurred_at": occurred,
            "recorded_at": now,
        }


def _sale_changes(conn: sa.Connection, ctx: HubContext, order: ChannelOrder) -> dict[Key, Delta]:
    changes: dict[Key, Delta] = {}
    taken: dict[Key, int] = {}
    for i, line in enumerate(order.lines or ()):
        location_id = line.location_id or _place(conn, ctx, order, line, taken, i)
        for sku_id, units in line.units():
            key = (sku_id, location_id)
            taken[key] = taken.get(key, 0) + units
            changes[key] = changes.get(key, Delta()) + Delta.of(committed=units)
    return changes


def _place(
    conn: sa.Connection,
    ctx: HubContext,
    order: ChannelOrder,
    line: OrderLineRef,
    taken: dict[Key, int],
    i: int,
) -> int:
    """The channel's online location with the most available for the whole line (a bundle's
    components counted together); if none covers it, the one with the most (an oversell)."""
    candidates = _channel_locations(conn, ctx.tenant_id, order.channel, line.sku_id)
    if not candidates:
        where = f"channel {order.channel!r} has no online location" if order.channel else "no channel"
        raise ValidationError(
            f"order line {i} names no location and {where} to place it at", field=f"lines[{i}].location"
        )
    parts = line.parts or ((line.sku_id, 1),)
    current = ledger.read_balances(conn, ctx.tenant_id, [(s, loc) for loc in candidates for s, _ in parts])

    def buildable(loc: int) -> int:
        free = [
            (current[(s, loc)].available if (s, loc) in current else 0) - taken.get((s, loc), 0)
            for s, _ in parts
        ]
        return min(f // per for f, (_, per) in zip(free, parts, strict=True))

    covering = [loc for loc in candidates if buildable(loc) >= line.quantity]
    return max(covering or candidates, key=lambda loc: (buildable(loc), -loc))


def _channel_locations(conn: sa.Connection, tenant_id: int, channel: str | None, sku_id: int) -> list[int]:
    """The listing's own locations if it has any, else the channel's; the online ones (one query)."""
    if channel is None:
        return []
    c, ll, cl = channels.c, listing_locations.c, channel_locations.c
    own = (
        sa.select(ll.location_id, sa.literal(True).label("own"))
        .join(listings, listings.c.id == ll.listing_id)
        .join(channels, c.id == listings.c.channel_id)
        .where(c.tenant_id == tenant_id, c.code == channel, listings.c.sku_id == sku_id)
    )
    shared = (
        sa.select(cl.location_id, sa.literal(False).label("own"))
        .join(channels, c.id == cl.channel_id)
        .where(c.tenant_id == tenant_id, c.code == channel)
    )
    both = sa.union_all(own, shared).subquery()
    query = sa.select(both.c.location_id, both.c.own, locations.c.online).join(
        locations, locations.c.id == both.c.location_id
    )
    rows = [(int(loc), bool(is_own), bool(online)) for loc, is_own, online in conn.execute(query)]
    chosen = [r for r in rows if r[1]] or rows
    return sorted({loc for loc, _, online in chosen if online})


def list_oversells(ctx: HubContext, *, limit: int = 100) -> list[dict[str, Any]]:
    """Channel sales that committed more than was available, newest first."""
    e = inventory_events.c
    query = (
        sa.select(e.id, e.source, e.reference, e.payload, e.recorded_at)
        .where(e.tenant_id == ctx.tenant_id, e.reason.startswith(OVERSELL_REASON))
        .order_by(e.id.desc())
        .limit(limit)
    )
    with ctx.read() as conn:
        return [
            {
                "event_id": r.id,
                "source": r.source,
                "reference": r.reference,
                "oversold": r.payload.get("oversold", []),
                "recorded_at": r.recorded_at,
            }
            for r in conn.execute(query)
        ]
