"""A circuit breaker per channel: stop calling a platform that keeps failing, probe it after a pause.

    closed     calls flow; `failure_threshold` consecutive failures open it
    open       no calls until `cool_down_s` has passed on the injected clock
    half_open  one probe call is let through: success closes, failure re-opens (a new cool-down)

Only failures of the channel itself count (transient errors that outlived their retries, auth
errors); a request the platform refuses as wrong is the request's fault, not the channel's. The
state is visible (`snapshot()`, and a gauge in `sync.metrics`). `BreakerBoard` keeps one per channel.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from stockbridge.domain.clock import Clock

logger = logging.getLogger(__name__)

BreakerState = Literal["closed", "open", "half_open"]
STATE_VALUES: dict[BreakerState, int] = {"closed": 0, "half_open": 1, "open": 2}


@dataclass(frozen=True)
class BreakerSnapshot:
    name: str
    state: BreakerState
    consecutive_failures: int
    opened_at: datetime | None
    retry_at: datetime | None

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "opened_at": None if self.opened_at is None else self.opened_at.isoformat(),
            "retry_at": None if self.retry_at is None else self.retry_at.isoformat(),
        }


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        clock: Clock,
        *,
        failure_threshold: int = 5,
        cool_down_s: float = 30.0,
        on_change: Callable[[str, BreakerState], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or cool_down_s < 0:
            raise ValueError("failure_threshold must be >= 1 and cool_down_s >= 0")
        self.name, self._clock = name, clock
        self.failure_threshold, self.cool_down_s = failure_threshold, cool_down_s
        self._on_change = on_change
        self._state: BreakerState = "closed"
        self._failures = 0
        self._opened_at: datetime | None = None
        self._probe_out = False

    @property
    def state(self) -> BreakerState:
        if self._state == "open" and self._cooled_down():
            self._set("half_open")
        return self._state

    def allow(self) -> bool:
        """May a call go out now? In half-open, only one probe until it reports back."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probe_out:
            self._probe_out = True
            return True
        return False

    def record_success(self) -> None:
        self._failures, self._probe_out, self._opened_at = 0, False, None
        self._set("closed")

    def record_failure(self) -> None:
        self._failures += 1
        self._probe_out = False
        if self._state == "half_open" or self._failures >= self.failure_threshold:
            self._opened_at = self._clock.now()
            self._set("open")

    def snapshot(self) -> BreakerSnapshot:
        state = self.state
        retry_at = None
        if self._opened_at is not None and state == "open":
            retry_at = self._opened_at + timedelta(seconds=self.cool_down_s)
        return BreakerSnapshot(self.name, state, self._failures, self._opened_at, retry_at)

    def _cooled_down(self) -> bool:
        if self._opened_at is None:
            return True
        return (self._clock.now() - self._opened_at).total_seconds() >= self.cool_down_s

    def _set(self, state: BreakerState) -> None:
        if state != self._state:
            log = logger.warning if state == "open" else logger.info
            log(
                "circuit breaker %s: %s -> %s (consecutive failures %d)",
                self.name,
                self._state,
                state,
                self._failures,
            )
            self._state = state
            if self._on_change is not None:
                self._on_change(self.name, state)


class BreakerBoard:
    """One breaker per channel, created on first use with the same settings."""

    def __init__(
        self,
        clock: Clock,
        *,
        failure_threshold: int = 5,
        cool_down_s: float = 30.0,
        on_change: Callable[[str, BreakerState], None] | None = None,
    ) -> None:
        self._clock, self._threshold, self._cool_down = clock, failure_threshold, cool_down_s
        self._on_change = on_change
        self._breakers: dict[str, CircuitBreaker] = {}

    def get(self, name: str) -> CircuitBreaker:
        if name not in self._breakers:
            self._breakers[name] = CircuitBreaker(
                name,
                self._clock,
                failure_threshold=self._threshold,
                cool_down_s=self._cool_down,
                on_change=self._on_change,
            )
            if self._on_change is not None:
                self._on_change(name, "closed")
        return self._breakers[name]

    def snapshots(self) -> list[BreakerSnapshot]:
        return [b.snapshot() for _, b in sorted(self._breakers.items())]
