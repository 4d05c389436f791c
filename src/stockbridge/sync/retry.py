"""Retrying an outbound call: exponential backoff with full jitter for transient failures, and the
platform's own wait for throttling.

    TransientError      wait uniform(0, min(max_delay, base * 2**(attempt-1))), then retry
    RateLimitedError    wait retry_after_s (plus a little jitter, so channels do not stampede)
    anything else       raised at once (auth and permanent errors are not the retry's business)

Sleep and randomness are injected, so tests run in no time and can assert every wait.
Layering: a connector's HTTP client already retries single requests (`connectors.http`); this
retries the whole operation once the connector gives up, so the default stays small (3 attempts),
and what still fails counts once against the channel's circuit breaker.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from stockbridge.connectors.errors import RateLimitedError, TransientError

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    base_delay_s: float = 0.2
    max_delay_s: float = 30.0
    throttle_jitter_s: float = 0.05
    max_throttle_wait_s: float = 120.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        return rng.uniform(0, min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1)))


@dataclass
class Retrier:
    """Runs calls under a policy; `on_wait(seconds, throttled)` is told about every pause."""

    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    on_wait: Callable[[float, bool], None] | None = None
    on_error: Callable[[Exception], None] | None = None

    async def run(self, call: Callable[[], Awaitable[T]]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                return await call()
            except TransientError as error:
                if self.on_error is not None:
                    self.on_error(error)
                if attempt >= self.policy.max_attempts:
                    raise
                await self._pause(error, attempt)

    async def _pause(self, error: TransientError, attempt: int) -> None:
        throttled = isinstance(error, RateLimitedError)
        if isinstance(error, RateLimitedError):
            wait = min(max(error.retry_after_s, 0.0), self.policy.max_throttle_wait_s)
            wait += self.rng.uniform(0, self.policy.throttle_jitter_s)
        else:
            wait = self.policy.backoff(attempt, self.rng)
        if self.on_wait is not None:
            self.on_wait(wait, throttled)
        await self.sleep(wait)
