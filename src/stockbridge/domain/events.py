"""Inventory events: what may happen to stock, how a raw payload becomes a command, and the
balance changes each kind of event makes.

An event names SKUs and locations by code (or by a connection's alias); the service layer resolves
them to ids and base units (`ResolvedLine`), then `plan_line` turns each line into guarded
`PlannedChange`s against the current balances. Counts are absolute and record the delta they imply.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import orjson

from stockbridge.domain.quantities import Delta, Quantities, State
from stockbridge.errors import ValidationError


class EventType(StrEnum):
    RECEIPT = "receipt"  # goods arrived: on_hand up, consuming what was incoming
    EXPECTED = "expected"  # goods announced (purchase order, ASN): incoming up
    SALE = "sale"  # a sale committed directly (not through a reservation)
    SALE_CANCELLED = "sale_cancelled"  # a committed, unshipped sale cancelled: units available again
    FULFIL = "fulfil"  # pick/ship of committed units: leave the building
    RETURN = "return"  # back on hand: restock, damaged or quality_control
    TRANSFER_OUT = "transfer_out"  # leaves `location`, in transit to `to_location`
    TRANSFER_IN = "transfer_in"  # arrives at `location` out of in_transit
    COUNT = "count"  # absolute cycle count of on_hand
    ADJUSTMENT = "adjustment"  # signed on_hand change with a reason
    DAMAGE = "damage"  # available units found damaged
    MOVE = "move"  # between available, damaged, quality_control, safety_stock
    WRITE_OFF = "write_off"  # damaged or quality_control units disposed of
    RESERVATION_HELD = "reservation_held"
    RESERVATION_RELEASED = "reservation_released"
    RESERVATION_EXPIRED = "reservation_expired"
    RESERVATION_COMMITTED = "reservation_committed"


RESERVATION_TYPES = frozenset(
    {
        EventType.RESERVATION_HELD,
        EventType.RESERVATION_RELEASED,
        EventType.RESERVATION_EXPIRED,
        EventType.RESERVATION_COMMITTED,
    }
)
# Physical facts may reveal that more was promised than exists; they are not refused for that.
PHYSICAL_FACTS = frozenset({EventType.COUNT, EventType.ADJUSTMENT})
# Events that describe stock of their own and therefore cannot name a bundle.
NO_BUNDLES = frozenset({EventType.RECEIPT, EventType.EXPECTED, EventType.COUNT, EventType.ADJUSTMENT})
RETURN_DISPOSITIONS = {"restock": None, "damaged": State.DAMAGED, "quality_control": State.QUALITY_CONTROL}
MOVABLE = {
    "available": None,
    "damaged": State.DAMAGED,
    "quality_control": State.QUALITY_CONTROL,
    "safety_stock": State.SAFETY_STOCK,
}


@dataclass(frozen=True)
class EventLine:
    sku: str
    location: str
    quantity: Any
    unit: str | None = None
    to_location: str | None = None
    disposition: str | None = None
    from_state: str | None = None
    to_state: str | None = None

    def canonical(self) -> dict[str, Any]:
        return {k: v for k in _LINE_KEYS if (v := getattr(self, k)) is not None}


_LINE_KEYS = ("sku", "location", "quantity", "unit", "to_location", "disposition", "from_state", "to_state")


@dataclass(frozen=True)
class EventCommand:
    type: EventType
    idempotency_key: str
    lines: tuple[EventLine, ...]
    payload_hash: str
    source: str | None = None
    connection: str | None = None
    reference: str | None = None
    reason: str | None = None
    occurred_at: datetime | None = None

    def canonical(self) -> dict[str, Any]:
        """The event as plain JSON data, without its key and hash; what the hash is taken of."""
        return {
            "type": self.type.value,
            "idempotency_key": self.idempotency_key,
            "lines": [line.canonical() for line in self.lines],
            "source": self.source,
            "connection": self.connection,
            "reference": self.reference,
            "reason": self.reason,
            "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None,
        }


@dataclass(frozen=True)
class ResolvedLine:
    """One event line in ids and base units (signed for adjustments, absolute for counts)."""

    sku_id: int
    location_id: int
    quantity: int
    to_location_id: int | None = None
    disposition: str | None = None
    from_state: str | None = None
    to_state: str | None = None


@dataclass(frozen=True)
class PlannedChange:
    sku_id: int
    location_id: int
    delta: Delta
    guard_available: bool


def content_hash(data: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON (sorted keys) of `data`."""
    return hashlib.sha256(orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)).hexdigest()


def check_sign(event_type: EventType, quantity: int, *, field: str) -> None:
    """Counts may be zero, adjustments signed but not zero, everything else strictly positive."""
    if event_type is EventType.COUNT:
        ok, rule = quantity >= 0, "zero or more"
    elif event_type is EventType.ADJUSTMENT:
        ok, rule = quantity != 0, "non-zero"
    else:
        ok, rule = quantity > 0, "greater than zero"
    if not ok:
        raise ValidationError(f"{field} must be {rule} for a {event_type} event", field=field)


Lookup = Callable[[int, int], Quantities]


def plan_line(event_type: EventType, line: ResolvedLine, current: Lookup) -> list[PlannedChange]:
    """The guarded balance changes one resolved line makes, given the balances as they stand."""
    q, here = line.quantity, (line.sku_id, line.location_id)
    planner = _PLANNERS.get(event_type)
    if planner is None:
        raise ValidationError(f"{event_type} events are recorded by the reservations service", field="type")
    return [PlannedChange(*key, delta, guard) for key, delta, guard in planner(q, here, line, current)]


_Step = tuple[tuple[int, int], Delta, bool]


def _receipt(q: int, here: tuple[int, int], _line: ResolvedLine, current: Lookup) -> list[_Step]:
    consumed = min(q, max(current(*here).incoming, 0))
    return [(here, Delta.of(on_hand=q, incoming=-consumed), False)]


def _return(q: int, here: tuple[int, int], line: ResolvedLine, _c: Lookup) -> list[_Step]:
    held = RETURN_DISPOSITIONS[line.disposition or "restock"]
    extra = [(held, q)] if held else []
    return [(here, Delta.from_pairs([(State.ON_HAND, q), *extra]), False)]


def _transfer_out(q: int, here: tuple[int, int], line: ResolvedLine, _c: Lookup) -> list[_Step]:
    assert line.to_location_id is not None
    there = (line.sku_id, line.to_location_id)
    return [(here, Delta.of(on_hand=-q), True), (there, Delta.of(in_transit=q), False)]


def _count(q: int, here: tuple[int, int], _line: ResolvedLine, current: Lookup) -> list[_Step]:
    return [(here, Delta.of(on_hand=q - current(*here).on_hand), False)]


def _move(q: int, here: tuple[int, int], line: ResolvedLine, _c: Lookup) -> list[_Step]:
    source, target = MOVABLE[line.from_state or "available"], MOVABLE[line.to_state or "available"]
    pairs = [(s, v) for s, v in ((source, -q), (target, q)) if s is not None]
    return [(here, Delta.from_pairs(pairs), source is None)]


def _write_off(q: int, here: tuple[int, int], line: ResolvedLine, _c: Lookup) -> list[_Step]:
    held = MOVABLE[line.from_state or "damaged"] or State.DAMAGED
    return [(here, Delta.from_pairs([(State.ON_HAND, -q), (held, -q)]), False)]


def _simple(delta_of: Callable[[int], Delta], guard: bool) -> Callable[..., list[_Step]]:
    def plan(q: int, here: tuple[int, int], _line: ResolvedLine, _c: Lookup) -> list[_Step]:
        return [(here, delta_of(q), guard)]

    return plan


_PLANNERS: dict[EventType, Callable[..., list[_Step]]] = {
    EventType.RECEIPT: _receipt,
    EventType.EXPECTED: _simple(lambda q: Delta.of(incoming=q), False),
    EventType.SALE: _simple(lambda q: Delta.of(committed=q), True),
    EventType.SALE_CANCELLED: _simple(lambda q: Delta.of(committed=-q), False),
    EventType.FULFIL: _simple(lambda q: Delta.of(committed=-q, on_hand=-q), False),
    EventType.RETURN: _return,
    EventType.TRANSFER_OUT: _transfer_out,
    EventType.TRANSFER_IN: _simple(lambda q: Delta.of(in_transit=-q, on_hand=q), False),
    EventType.COUNT: _count,
    EventType.ADJUSTMENT: _simple(lambda q: Delta.of(on_hand=q), False),
    EventType.DAMAGE: _simple(lambda q: Delta.of(damaged=q), True),
    EventType.MOVE: _move,
    EventType.WRITE_OFF: _write_off,
}


def reservation_delta(event_type: EventType, quantity: int) -> Delta:
    """Balance change of one reservation line for each reservation event."""
    return _RESERVATION_DELTAS[event_type](quantity)


_RESERVATION_DELTAS: dict[EventType, Callable[[int], Delta]] = {
    EventType.RESERVATION_HELD: lambda q: Delta.of(reserved=q),
    EventType.RESERVATION_RELEASED: lambda q: Delta.of(reserved=-q),
    EventType.RESERVATION_EXPIRED: lambda q: Delta.of(reserved=-q),
    EventType.RESERVATION_COMMITTED: lambda q: Delta.of(reserved=-q, committed=q),
}


def changes_of(plans: Sequence[PlannedChange]) -> dict[tuple[int, int], Delta]:
    out: dict[tuple[int, int], Delta] = {}
    for p in plans:
        key = (p.sku_id, p.location_id)
        out[key] = out.get(key, Delta()) + p.delta
    return out
