"""Counters of outbound HTTP behaviour that the sync engine exports (no metrics library here).

`HttpMetrics` counts requests by operation and outcome, retries by error kind, and throttle waits
(proactive waits by a rate limiter, and waits the server imposed through THROTTLED / 429 /
Retry-After) with their total seconds. Listeners receive every `MetricEvent` as it happens, so a
Prometheus exporter elsewhere can mirror them without this package importing it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

MetricKind = Literal["request", "retry", "throttle_wait", "throttled"]


@dataclass(frozen=True)
class MetricEvent:
    kind: MetricKind
    connection: str
    operation: str = ""
    outcome: str = ""  # "ok" or an error kind name; for throttle waits: "limiter" or "server"
    seconds: float = 0.0


@dataclass
class HttpMetrics:
    """Plain counters plus listeners; one instance may be shared by several clients."""

    requests: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (connection, op, outcome)
    retries: Counter[tuple[str, str]] = field(default_factory=Counter)  # (connection, error kind)
    throttle_waits: Counter[tuple[str, str]] = field(default_factory=Counter)  # (connection, source)
    throttle_wait_seconds: defaultdict[tuple[str, str], float] = field(
        default_factory=lambda: defaultdict(float)
    )
    throttled_responses: Counter[str] = field(default_factory=Counter)
    listeners: list[Callable[[MetricEvent], None]] = field(default_factory=list)

    def record_request(self, connection: str, operation: str, outcome: str) -> None:
        self.requests[(connection, operation, outcome)] += 1
        self._emit(MetricEvent("request", connection, operation, outcome))

    def record_retry(self, connection: str, operation: str, kind: str, delay_s: float) -> None:
        self.retries[(connection, kind)] += 1
        self._emit(MetricEvent("retry", connection, operation, kind, delay_s))

    def record_throttle_wait(self, connection: str, source: str, seconds: float) -> None:
        self.throttle_waits[(connection, source)] += 1
        self.throttle_wait_seconds[(connection, source)] += seconds
        self._emit(MetricEvent("throttle_wait", connection, "", source, seconds))

    def record_throttled(self, connection: str, operation: str) -> None:
        self.throttled_responses[connection] += 1
        self._emit(MetricEvent("throttled", connection, operation))

    def total_throttle_waits(self, connection: str | None = None) -> int:
        return sum(n for (conn, _), n in self.throttle_waits.items() if connection in (None, conn))

    def _emit(self, event: MetricEvent) -> None:
        for listener in self.listeners:
            listener(event)
