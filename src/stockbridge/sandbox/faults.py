"""Fault switches shared by every emulator, and the seeded dice that apply them.

`FaultSettings` is the plain record a test or a separate process flips (in-process, or as JSON over
`/_emulator/faults`). `lost_response_rate` applies the request and then answers 502, the case where
a client must retry safely (idempotency keys, compare-and-set). `FaultInjector` turns the settings into decisions — fail this request? which
webhooks to drop, duplicate, delay or hold back for reordering? — from one `random.Random` seeded by
`seed`, so a run with the same seed and the same sequence of calls makes the same decisions.
It does not know HTTP; the server middleware and the webhook dispatcher act on its answers.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

DownMode = Literal["503", "drop"]


@dataclass
class FaultSettings:
    """What is broken right now. All off by default."""

    down: bool = False
    down_mode: DownMode = "503"
    error_rate: float = 0.0
    lost_response_rate: float = 0.0
    latency_ms: float = 0.0
    hard_throttle: bool = False
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_reorder_rate: float = 0.0
    webhook_delay_ms: float = 0.0
    webhook_delay_rate: float = 0.0
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_RATES = (
    "error_rate",
    "lost_response_rate",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
    "webhook_reorder_rate",
    "webhook_delay_rate",
)


class FaultSettingsError(ValueError):
    """A fault update named an unknown switch or gave a value out of range."""


@dataclass(frozen=True)
class WebhookFate:
    """What happens to one webhook event: how many copies, after what delay, held for reordering."""

    dropped: bool
    copies: int
    delay_s: float
    hold_for_reorder: bool


class FaultInjector:
    """Seeded decisions from the current `FaultSettings`."""

    def __init__(self, settings: FaultSettings | None = None) -> None:
        self.settings = settings or FaultSettings()
        self._rng = random.Random(self.settings.seed)

    def update(self, changes: dict[str, Any]) -> FaultSettings:
        """Apply a partial update; re-seeds when `seed` is given. Raises FaultSettingsError."""
        known = {f.name: f for f in fields(FaultSettings)}
        merged = self.settings.to_json()
        for name, value in changes.items():
            if name not in known:
                raise FaultSettingsError(f"unknown fault switch: {name}")
            merged[name] = _coerce(name, value, merged[name])
        if merged["down_mode"] not in ("503", "drop"):
            raise FaultSettingsError("down_mode must be '503' or 'drop'")
        self.settings = FaultSettings(**merged)
        if "seed" in changes:
            self._rng = random.Random(self.settings.seed)
        return self.settings

    def reset(self) -> None:
        self.settings = FaultSettings()
        self._rng = random.Random(0)

    def should_fail_request(self) -> bool:
        rate = self.settings.error_rate
        return rate > 0 and self._rng.random() < rate

    def should_lose_response(self) -> bool:
        rate = self.settings.lost_response_rate
        return rate > 0 and self._rng.random() < rate

    def webhook_fate(self) -> WebhookFate:
        s = self.settings
        dropped = s.webhook_drop_rate > 0 and self._rng.random() < s.webhook_drop_rate
        duplicated = s.webhook_duplicate_rate > 0 and self._rng.random() < s.webhook_duplicate_rate
        delayed = s.webhook_delay_ms > 0 and self._rng.random() < (s.webhook_delay_rate or 1.0)
        held = s.webhook_reorder_rate > 0 and self._rng.random() < s.webhook_reorder_rate
        return WebhookFate(
            dropped=dropped,
            copies=2 if duplicated else 1,
            delay_s=s.webhook_delay_ms / 1000.0 if delayed else 0.0,
            hold_for_reorder=held,
        )


def _coerce(name: str, value: Any, current: Any) -> Any:
    if isinstance(current, bool):
        if not isinstance(value, bool):
            raise FaultSettingsError(f"{name} must be a boolean")
        return value
    if name == "down_mode":
        return str(value)
    if name == "seed":
        if not isinstance(value, int) or isinstance(value, bool):
            raise FaultSettingsError("seed must be an integer")
        return value
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise FaultSettingsError(f"{name} must be a number")
    number = float(value)
    if number < 0 or (name in _RATES and number > 1):
        raise FaultSettingsError(f"{name} out of range: {value}")
    return number
