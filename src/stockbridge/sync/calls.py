"""Every outbound call of a round goes through one gate: breaker, retries, metrics.

    breaker open (or its half-open probe already out)  -> no call; `stopped` says why
    TransientError / RateLimitedError                  -> retried by the `Retrier`; if retries run
                                                          out, the breaker counts a failure
    AuthError                                          -> the breaker counts a failure (nothing
                                                          will work until the configuration is fixed)
    PermanentError (or any other ConnectorError)       -> returned as a value: the request is wrong,
                                                          the channel is fine (breaker success)

Each attempt is counted (`stockbridge_sync_api_calls_total{outcome}`), each throttle wait too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from stockbridge.connectors.base import Connector, LevelChange, PushOutcome, RemoteLevel
from stockbridge.connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from stockbridge.sync.breaker import CircuitBreaker
from stockbridge.sync.metrics import SyncMetrics
from stockbridge.sync.retry import Retrier

T = TypeVar("T")


class CallGate:
    def __init__(
        self,
        channel: str,
        breaker: CircuitBreaker,
        retrier: Retrier,
        metrics: SyncMetrics | None,
        *,
        report_calls: Callable[[], None] | None = None,
    ) -> None:
        self.channel, self.breaker, self.metrics = channel, breaker, metrics
        self.retrier = dataclasses.replace(retrier, on_wait=self._waited)
        self._report_calls = report_calls
        self.stopped: str | None = None

    async def set_levels(
        self, connector: Connector, changes: Sequence[LevelChange]
    ) -> list[PushOutcome] | PermanentError | None:
        return await self._guarded("set_levels", lambda: connector.set_levels(changes))

    async def read_levels(
        self, connector: Connector, item_ids: Sequence[str], location_id: str | None
    ) -> dict[str, int] | PermanentError | None:
        """Current remote levels of `item_ids` (at `location_id` on multi-location platforms)."""

        async def read() -> list[RemoteLevel]:
            return [level async for level in connector.levels(list(item_ids))]

        levels = await self._guarded("levels", read)
        if levels is None or isinstance(levels, PermanentError):
            return levels
        wanted = set(item_ids)
        return {
            lv.item_id: lv.available
            for lv in levels
            if lv.item_id in wanted and (location_id is None or lv.location_id == location_id)
        }

    async def _guarded(self, operation: str, call: Callable[[], Awaitable[T]]) -> T | PermanentError | None:
        if not self.breaker.allow():
            self.stopped = "circuit breaker open"
            return None
        try:
            result = await self.retrier.run(lambda: self._attempt(operation, call))
        except (TransientError, AuthError) as error:
            self.breaker.record_failure(error)
            self.stopped = f"{operation} failed: {type(error).__name__}: {error}"
            return None
        except ConnectorError as error:
            self.breaker.record_success()
            if isinstance(error, PermanentError):
                return error
            return PermanentError(
                str(error), connection=error.connection, operation=operation, status=error.status
            )
        self.breaker.record_success()
        return result

    async def _attempt(self, operation: str, call: Callable[[], Awaitable[T]]) -> T:
        if self._report_calls is not None:
            self._report_calls()
        try:
            result = await call()
        except ConnectorError as error:
            self._count(operation, _outcome(error))
            raise
        self._count(operation, "ok")
        return result

    def _count(self, operation: str, outcome: str) -> None:
        if self.metrics is not None:
            self.metrics.api_call(self.channel, operation, outcome)

    def _waited(self, seconds: float, throttled: bool) -> None:
        if throttled and self.metrics is not None:
            self.metrics.throttled(self.channel, seconds)


def _outcome(error: ConnectorError) -> str:
    if isinstance(error, RateLimitedError):
        return "throttled"
    if isinstance(error, TransientError):
        return "transient"
    if isinstance(error, AuthError):
        return "auth"
    return "permanent"
