"""The retry policy: which failures are retried, how long to wait, and when to give up.

Retry looks at the error's type, never its text: `TransientError` is retried with exponential
backoff and full jitter (`uniform(0, min(cap, base * 2**n))`, AWS's "full jitter"), a
`RateLimitedError` waits exactly the `retry_after_s` the server asked for (its own, larger attempt
budget, since throttling is expected), and `AuthError` / `PermanentError` surface at once. A wait
longer than `max_wait_s` is not slept through: the error surfaces so the caller's breaker or
scheduler decides. Sleep and randomness are injected.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from stockbridge.connectors.errors import ConnectorError, RateLimitedError
from stockbridge.connectors.http.metrics import HttpMetrics
from stockbridge.connectors.http.timing import Sleep

T = TypeVar("T")


@dataclass
class RetryPolicy:
    max_attempts: int = 5  # total tries for transient failures (1 = no retry)
    max_throttled_attempts: int = 12  # total tries while the server keeps throttling
    base_delay_s: float = 0.25
    max_delay_s: float = 30.0
    max_wait_s: float = 120.0  # never sleep longer than this for one retry
    sleep: Sleep = asyncio.sleep
    rng: random.Random = field(default_factory=random.Random)
    metrics: HttpMetrics | None = None

    def backoff_s(self, retry_number: int) -> float:
        """Full-jitter delay before retry number `retry_number` (1-based)."""
        ceiling = min(self.max_delay_s, self.base_delay_s * (2 ** (retry_number - 1)))
        return self.rng.uniform(0.0, ceiling)

    def delay_for(self, error: ConnectorError, transient_retries: int) -> float:
        if isinstance(error, RateLimitedError):
            return max(0.0, error.retry_after_s)
        hinted = error.fields.get("retry_after_s")
        if isinstance(hinted, int | float):
            return max(float(hinted), self.backoff_s(transient_retries))
        return self.backoff_s(transient_retries)

    def _exhausted(self, error: ConnectorError, tries: int, throttled: int) -> bool:
        if not error.retryable:
            return True
        if isinstance(error, RateLimitedError):
            return throttled >= self.max_throttled_attempts
        return tries >= self.max_attempts

    async def call(
        self, attempt: Callable[[], Awaitable[T]], *, connection: str = "", operation: str = ""
    ) -> T:
        """Run `attempt` until it succeeds or fails in a way this policy does not retry."""
        tries = throttled = 0
        while True:
            try:
                return await attempt()
            except ConnectorError as error:
                if isinstance(error, RateLimitedError):
                    throttled += 1
                else:
                    tries += 1
                if self._exhausted(error, tries, throttled):
                    raise
                delay = self.delay_for(error, max(tries, 1))
                if delay > self.max_wait_s:
                    raise
                self._record(error, connection, operation, delay)
                await self.sleep(delay)

    def _record(self, error: ConnectorError, connection: str, operation: str, delay: float) -> None:
        if self.metrics is None:
            return
        self.metrics.record_retry(connection, operation, type(error).__name__, delay)
        if isinstance(error, RateLimitedError):
            self.metrics.record_throttle_wait(connection, "server", delay)
