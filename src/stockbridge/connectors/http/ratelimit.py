"""Client-side rate limiters, one per connection, that wait *before* a call rather than after a 429.

`RateLimiter` is the port the HTTP client calls: `acquire(cost)` waits until `cost` may be spent
(returning the seconds waited), `settle(cost)` marks a call finished, `pause(seconds)` blocks every
caller after the server asked us to back off. `TokenBucket` spends one token per request at a
steady rate with a burst. `CostBucket` mirrors Shopify's leaky bucket of query-cost points: it is
fed by each response's `extensions.cost.throttleStatus` and waits until the points a query will
request are available. Each wait is reported to `on_wait(seconds)` (the throttle-wait metric).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from stockbridge.connectors.http.timing import Monotonic, Sleep

WaitListener = Callable[[float], None]


def _ignore_wait(seconds: float) -> None:
    return None


class RateLimiter(Protocol):
    async def acquire(self, cost: float = 1.0) -> float: ...

    def settle(self, cost: float = 1.0) -> None: ...

    def pause(self, seconds: float) -> None: ...


class Unlimited:
    """No client-side limit (the platform has none, or tests do not want one)."""

    async def acquire(self, cost: float = 1.0) -> float:
        return 0.0

    def settle(self, cost: float = 1.0) -> None:
        return None

    def pause(self, seconds: float) -> None:
        return None


class _Bucket:
    """Shared mechanics: a level that refills at `rate` per second up to `capacity`."""

    def __init__(
        self, capacity: float, rate: float, monotonic: Monotonic, sleep: Sleep, on_wait: WaitListener
    ) -> None:
        if capacity <= 0 or rate <= 0:
            raise ValueError("capacity and rate must be positive")
        self.capacity, self.rate = float(capacity), float(rate)
        self._monotonic, self._sleep, self._on_wait = monotonic, sleep, on_wait
        self._level = float(capacity)
        self._at = monotonic()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()

    def level(self) -> float:
        now = self._monotonic()
        self._level = min(self.capacity, self._level + (now - self._at) * self.rate)
        self._at = now
        return self._level

    def pause(self, seconds: float) -> None:
        self._blocked_until = max(self._blocked_until, self._monotonic() + max(0.0, seconds))

    def _wait_needed(self, cost: float) -> float:
        blocked = self._blocked_until - self._monotonic()
        want = min(cost, self.capacity)  # a call bigger than the bucket waits for a full bucket
        short = want - self.level()
        return max(blocked, short / self.rate if short > 0 else 0.0, 0.0)

    async def acquire(self, cost: float = 1.0) -> float:
        started = self._monotonic()
        slept = False
        async with self._lock:  # callers queue in order; the head waits for its points
            while (wait := self._wait_needed(cost)) > 1e-9:
                await self._sleep(wait)
                slept = True
            self._take(cost)
        waited = max(0.0, self._monotonic() - started) if slept else 0.0
        if slept:
            self._on_wait(waited)
        return waited

    def _take(self, cost: float) -> None:
        self.level()
        self._level -= cost


class TokenBucket(_Bucket):
    """`rate_per_s` requests per second on average, bursts of up to `burst`."""

    def __init__(
        self,
        rate_per_s: float,
        burst: float | None = None,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        on_wait: WaitListener = _ignore_wait,
    ) -> None:
        super().__init__(
            burst if burst is not None else max(1.0, rate_per_s), rate_per_s, monotonic, sleep, on_wait
        )

    def settle(self, cost: float = 1.0) -> None:
        return None


@dataclass(frozen=True)
class ThrottleStatus:
    """Shopify's `extensions.cost.throttleStatus`."""

    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_extensions(cls, extensions: Mapping[str, Any] | None) -> ThrottleStatus | None:
        """Read `{"cost": {"throttleStatus": {...}}}`; None when absent or malformed."""
        cost = (extensions or {}).get("cost")
        status = cost.get("throttleStatus") if isinstance(cost, Mapping) else None
        if not isinstance(status, Mapping):
            return None
        try:
            return cls(
                float(status["maximumAvailable"]),
                float(status["currentlyAvailable"]),
                float(status["restoreRate"]),
            )
        except (KeyError, TypeError, ValueError):
            return None


class CostBucket(_Bucket):
    """A local mirror of a server-side leaky bucket of cost points.

    Until the first observation it assumes a full bucket of `maximum` points restoring at
    `restore_rate`. `observe` replaces the estimate with what the server reported, minus the
    points of calls still in flight (acquired, not yet settled), whose cost the report cannot show.
    """

    def __init__(
        self,
        maximum: float = 1000.0,
        restore_rate: float = 50.0,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        on_wait: WaitListener = _ignore_wait,
    ) -> None:
        super().__init__(maximum, restore_rate, monotonic, sleep, on_wait)
        self.in_flight = 0.0

    def _take(self, cost: float) -> None:
        super()._take(cost)
        self.in_flight += cost

    def settle(self, cost: float = 1.0) -> None:
        self.in_flight = max(0.0, self.in_flight - cost)

    def observe(self, status: ThrottleStatus) -> None:
        self.capacity = max(1.0, status.maximum_available)
        self.rate = max(1e-6, status.restore_rate)
        self._level = min(self.capacity, status.currently_available) - self.in_flight
        self._at = self._monotonic()

    def seconds_until(self, cost: float) -> float:
        """How long until `cost` points are available (0 if they are now)."""
        short = min(cost, self.capacity) - self.level()
        return short / self.rate if short > 0 else 0.0
