"""Time as a port for outbound calls: a monotonic clock and a sleep function, both injected.

Rate limiters and the retry policy never call `time.monotonic()` or `asyncio.sleep()` directly;
they take a `Monotonic` and a `Sleep`. `ManualTime` is the deterministic pair for tests and
simulations: its `sleep` advances its own clock at once (and tells any listeners, e.g. an
emulator's frozen clock, so that both sides of a loopback test see the same time pass).
Sleepers are not overlapped: two tasks sleeping one second each move the clock two seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


class ManualTime:
    """A monotonic clock that moves only when something sleeps on it or `advance` is called."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self.slept: list[float] = []
        self.listeners: list[Callable[[float], None]] = []

    def monotonic(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
        for listener in self.listeners:
            listener(seconds)

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.slept.append(seconds)
        await asyncio.sleep(0)  # let ready tasks run "now" before time moves, as a real sleep would
        self.advance(seconds)
