"""Inventory states and the guarded arithmetic on one (SKU, location) balance.

Vocabulary follows Shopify: `on_hand` counts every physical unit at a location, including the ones
committed to orders, reserved, damaged, in quality control or held as safety stock. `incoming` and
`in_transit` are not on hand yet. `available` is derived, never stored:

    available = on_hand - committed - reserved - damaged - quality_control - safety_stock

A change is a `Delta` per stored state. Its guard: no stored counter may end below zero, and a
change that lowers `available` may not take it below zero (unless it records a physical fact, such
as a count or an adjustment, which may reveal that more was promised than exists).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class State(StrEnum):
    ON_HAND = "on_hand"
    COMMITTED = "committed"
    RESERVED = "reserved"
    INCOMING = "incoming"
    IN_TRANSIT = "in_transit"
    DAMAGED = "damaged"
    QUALITY_CONTROL = "quality_control"
    SAFETY_STOCK = "safety_stock"


STATES: tuple[State, ...] = tuple(State)
# States that are part of on_hand but may not be sold.
HELD_WITHIN_ON_HAND: tuple[State, ...] = (
    State.COMMITTED,
    State.RESERVED,
    State.DAMAGED,
    State.QUALITY_CONTROL,
    State.SAFETY_STOCK,
)
AVAILABLE = "available"
_NAMES = {s: s.value for s in State}
_BY_NAME = {s.value: s for s in State}
_COUNTED_IN_AVAILABLE = frozenset({State.ON_HAND, *HELD_WITHIN_ON_HAND})


@dataclass(frozen=True)
class Quantities:
    """The stored counters of one balance row, in base units."""

    on_hand: int = 0
    committed: int = 0
    reserved: int = 0
    incoming: int = 0
    in_transit: int = 0
    damaged: int = 0
    quality_control: int = 0
    safety_stock: int = 0

    @property
    def available(self) -> int:
        return (
            self.on_hand
            - self.committed
            - self.reserved
            - self.damaged
            - self.quality_control
            - self.safety_stock
        )

    def get(self, state: State) -> int:
        value: int = getattr(self, _NAMES[state])
        return value

    def plus(self, delta: Delta) -> Quantities:
        values = dict(self.__dict__)
        for state, change in delta.changes:
            values[_NAMES[state]] += change
        return Quantities(**values)

    def as_dict(self) -> dict[str, int]:
        out = {s.value: self.get(s) for s in STATES}
        out[AVAILABLE] = self.available
        return out

    @classmethod
    def from_mapping(cls, row: Mapping[Any, Any]) -> Quantities:
        return cls(**{s.value: int(row[s.value]) for s in STATES})


@dataclass(frozen=True)
class Delta:
    """A change to some stored counters of one balance; zero entries are dropped."""

    changes: tuple[tuple[State, int], ...] = field(default_factory=tuple)

    @classmethod
    def of(cls, **by_state: int) -> Delta:
        return cls.from_pairs((_BY_NAME[k], v) for k, v in by_state.items())

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[State, int]]) -> Delta:
        total: dict[State, int] = {}
        for state, value in pairs:
            total[state] = total.get(state, 0) + value
        return cls(tuple((s, v) for s in STATES if (v := total.get(s, 0)) != 0))

    def items(self) -> tuple[tuple[State, int], ...]:
        return self.changes

    def get(self, state: State) -> int:
        for s, v in self.changes:
            if s is state:
                return v
        return 0

    @property
    def available_change(self) -> int:
        return sum(v if s is State.ON_HAND else -v for s, v in self.changes if s in _COUNTED_IN_AVAILABLE)

    def __add__(self, other: Delta) -> Delta:
        if not other.changes:
            return self
        if not self.changes:
            return other
        return Delta.from_pairs((*self.changes, *other.changes))

    def __bool__(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class GuardFailure:
    """Which quantity a change would take below zero: what it had and what it needed."""

    state: str
    have: int
    need: int


def guard_failures(before: Quantities, delta: Delta, *, guard_available: bool) -> list[GuardFailure]:
    """Everything `delta` would break on `before`; empty when the change is allowed."""
    failures = [
        GuardFailure(state.value, before.get(state), -change)
        for state, change in delta.items()
        if change < 0 and before.get(state) + change < 0
    ]
    change = delta.available_change
    if guard_available and change < 0 and before.available + change < 0:
        failures.append(GuardFailure(AVAILABLE, before.available, -change))
    return failures
