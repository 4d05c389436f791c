"""Available-to-sell for one channel listing, with every step that made the number.

    supply  = sum over the listing's online locations of max(available, 0)
              (a bundle's supply at a location = min over components of floor(available / qty))
    then    - buffer (never below 0)
            x share %, rounded down
            min(cap)
            0 if below the stop-selling threshold

Rules come from the listing, falling back to its channel's defaults. The result is explainable:
`AtpResult.steps` lists each rule with the value before and after it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ListingRules:
    buffer: int = 0
    max_quantity: int | None = None
    share_percent: int = 100
    stop_below: int = 0


@dataclass(frozen=True)
class ComponentSupply:
    sku: str
    per_bundle: int
    available: int


@dataclass(frozen=True)
class LocationSupply:
    """What one location can contribute. `components` is set for bundles (then `available` is derived)."""

    location: str
    online: bool
    available: int
    components: tuple[ComponentSupply, ...] = ()

    @classmethod
    def for_bundle(cls, location: str, online: bool, components: Sequence[ComponentSupply]) -> LocationSupply:
        if not components:
            return cls(location, online, 0, ())
        buildable = min(max(c.available, 0) // c.per_bundle for c in components)
        return cls(location, online, buildable, tuple(components))


@dataclass(frozen=True)
class AtpStep:
    rule: str
    detail: str
    before: int
    after: int


@dataclass(frozen=True)
class AtpResult:
    quantity: int
    steps: tuple[AtpStep, ...]
    supplies: tuple[LocationSupply, ...] = field(default_factory=tuple)

    def as_dict(self) -> Mapping[str, object]:
        return {
            "quantity": self.quantity,
            "steps": [s.__dict__ for s in self.steps],
            "locations": [
                {
                    "location": s.location,
                    "online": s.online,
                    "available": s.available,
                    "counted": max(s.available, 0) if s.online else 0,
                    "components": [c.__dict__ for c in s.components],
                }
                for s in self.supplies
            ],
        }


def available_to_sell(rules: ListingRules, supplies: Sequence[LocationSupply]) -> AtpResult:
    steps: list[AtpStep] = []
    counted = [s for s in supplies if s.online]
    skipped = [s.location for s in supplies if not s.online]
    value = sum(max(s.available, 0) for s in counted)
    detail = " + ".join(f"{s.location}:{max(s.available, 0)}" for s in counted) or "no online location"
    if skipped:
        detail += f" (offline, not counted: {', '.join(skipped)})"
    steps.append(AtpStep("supply", detail, 0, value))
    value = _step(steps, "buffer", f"minus buffer {rules.buffer}", value, max(value - rules.buffer, 0))
    if rules.share_percent < 100:
        share = value * rules.share_percent // 100
        value = _step(steps, "share", f"{rules.share_percent}% rounded down", value, share)
    if rules.max_quantity is not None:
        value = _step(steps, "cap", f"at most {rules.max_quantity}", value, min(value, rules.max_quantity))
    if rules.stop_below > 0:
        stopped = 0 if value < rules.stop_below else value
        value = _step(steps, "stop_below", f"0 when below {rules.stop_below}", value, stopped)
    return AtpResult(value, tuple(steps), tuple(supplies))


def _step(steps: list[AtpStep], rule: str, detail: str, before: int, after: int) -> int:
    steps.append(AtpStep(rule, detail, before, after))
    return after
