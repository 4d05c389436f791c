"""Prometheus metrics of outbound sync, registered on a registry the caller passes in.

Nothing registers at import time (no global registry): `SyncMetrics(registry)` creates the
instruments, so tests and several hubs in one process never collide. The label `channel` is the
hub channel code the connection feeds (one connection per channel).

    stockbridge_sync_propagation_seconds      change accepted (listing dirty_at) -> channel ack
    stockbridge_sync_api_calls_total          outbound calls by channel, operation and outcome
    stockbridge_sync_throttle_waits_total     waits imposed by the platform's throttle signals
    stockbridge_sync_throttle_wait_seconds    ... and the seconds spent waiting (a counter)
    stockbridge_sync_levels_total             level changes by outcome (applied, stale, failed, ...)
    stockbridge_sync_skipped_total            listings not pushed, by reason (unbound, ...)
    stockbridge_sync_dead_letters_total       changes parked in the dead-letter queue
    stockbridge_sync_breaker_state            0 closed, 1 half-open, 2 open (this process's breakers)
    stockbridge_sync_drift_units              sum of |observed - desired| at the last reconciliation
    stockbridge_sync_drift_listings           listings that drifted at the last reconciliation

`HubStateCollector` adds gauges read from the database at scrape time, so that an API process
shows the sync state even when the worker runs elsewhere, and a restart loses none of it:

    stockbridge_sync_dirty_listings           listings waiting to be pushed
    stockbridge_sync_oldest_dirty_seconds     age of the oldest change not yet pushed
    stockbridge_sync_dead_letters_open        open dead letters, by connection
    stockbridge_sync_channel_breaker_state    the breaker as the worker recorded it (`channel_breakers`):
                                              0 closed, 1 half-open, 2 open; every channel fed by a
                                              connection, 0 when never recorded
    stockbridge_sync_channel_breaker_failures consecutive failures recorded with it

The stored breaker gauge has its own name: the worker's registry holds both, its live
`stockbridge_sync_breaker_state` and the stored one, and one name cannot have two sources.
Dashboards and alerts should use `stockbridge_sync_channel_breaker_state` (every process has it).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from stockbridge.services.context import HubContext
from stockbridge.store.schema import channels, listings
from stockbridge.store.schema_sync import connections, dead_letters
from stockbridge.sync.breaker import STATE_VALUES, BreakerState
from stockbridge.sync.breaker_store import list_breakers

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class SyncMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        p = "stockbridge_sync_"
        self.propagation = Histogram(
            p + "propagation_seconds",
            "Seconds from a stock change accepted by the hub to the channel acknowledging its level.",
            ["channel"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.api_calls = Counter(
            p + "api_calls", "Outbound API calls.", ["channel", "operation", "outcome"], registry=registry
        )
        self.throttle_waits = Counter(p + "throttle_waits", "Throttle waits.", ["channel"], registry=registry)
        self.throttle_seconds = Counter(
            p + "throttle_wait_seconds", "Seconds waited on throttling.", ["channel"], registry=registry
        )
        self.levels = Counter(
            p + "levels", "Level changes by outcome.", ["channel", "outcome"], registry=registry
        )
        self.skipped = Counter(
            p + "skipped", "Listings not pushed.", ["channel", "reason"], registry=registry
        )
        self.exposure_held = Counter(
            p + "exposure_held",
            "Increases held back or cut because the channels together would show more than exists.",
            ["channel"],
            registry=registry,
        )
        self.exposure_lowered = Counter(
            p + "exposure_lowered",
            "Levels pushed below their target because the channels together showed more than exists.",
            ["channel"],
            registry=registry,
        )
        self.dead_letters = Counter(
            p + "dead_letters", "Changes parked in the dead-letter queue.", ["channel"], registry=registry
        )
        self.breaker_state = Gauge(
            p + "breaker_state",
            "Circuit breaker: 0 closed, 1 half-open, 2 open.",
            ["channel"],
            registry=registry,
        )
        self.drift_units = Gauge(
            p + "drift_units", "Units of drift at the last reconciliation.", ["channel"], registry=registry
        )
        self.drift_listings = Gauge(
            p + "drift_listings",
            "Listings drifted at the last reconciliation.",
            ["channel"],
            registry=registry,
        )

    def observe_latency(self, channel: str, accepted_at: datetime | None, acked_at: datetime) -> None:
        if accepted_at is not None:
            self.propagation.labels(channel).observe(max((acked_at - accepted_at).total_seconds(), 0.0))

    def api_call(self, channel: str, operation: str, outcome: str) -> None:
        self.api_calls.labels(channel, operation, outcome).inc()

    def throttled(self, channel: str, seconds: float) -> None:
        self.throttle_waits.labels(channel).inc()
        self.throttle_seconds.labels(channel).inc(max(seconds, 0.0))

    def breaker_changed(self, channel: str, state: BreakerState) -> None:
        self.breaker_state.labels(channel).set(STATE_VALUES[state])

    def drift(self, channel: str, units: int, listings: int) -> None:
        self.drift_units.labels(channel).set(units)
        self.drift_listings.labels(channel).set(listings)


class HubStateCollector(Collector):
    """Gauges read at scrape time: dirty listings (and the oldest one's age), open dead letters,
    the stored circuit breakers."""

    def __init__(self, ctx: HubContext) -> None:
        self._ctx = ctx

    def collect(self) -> Iterable[GaugeMetricFamily]:
        dirty = GaugeMetricFamily(
            "stockbridge_sync_dirty_listings", "Listings waiting to be pushed.", labels=["channel"]
        )
        age = GaugeMetricFamily(
            "stockbridge_sync_oldest_dirty_seconds",
            "Age of the oldest change not yet pushed.",
            labels=["channel"],
        )
        parked = GaugeMetricFamily(
            "stockbridge_sync_dead_letters_open", "Open dead letters.", labels=["connection"]
        )
        breaker = GaugeMetricFamily(
            "stockbridge_sync_channel_breaker_state",
            "Circuit breaker as the sync worker recorded it: 0 closed, 1 half-open, 2 open.",
            labels=["channel"],
        )
        failures = GaugeMetricFamily(
            "stockbridge_sync_channel_breaker_failures",
            "Consecutive failures recorded with the channel's circuit breaker.",
            labels=["channel"],
        )
        now = self._ctx.clock.now()
        with self._ctx.read() as conn:
            for row in conn.execute(self._dirty_query()):
                code, count, oldest = row[0], int(row[1]), row[2]
                dirty.add_metric([code], count)
                age.add_metric(
                    [code], 0.0 if oldest is None else max((now - _aware(oldest)).total_seconds(), 0.0)
                )
            for row in conn.execute(self._parked_query()):
                parked.add_metric([row[0]], int(row[1]))
        worst: dict[str, tuple[int, int]] = {}  # one connection per channel; the worst if ever more
        for b in list_breakers(self._ctx):
            worst[b.channel] = max(
                worst.get(b.channel, (0, 0)), (STATE_VALUES[b.state], b.consecutive_failures)
            )
        for channel, (state, count) in sorted(worst.items()):
            breaker.add_metric([channel], state)
            failures.add_metric([channel], count)
        return [dirty, age, parked, breaker, failures]

    def _dirty_query(self) -> sa.Select[Any]:
        return (
            sa.select(channels.c.code, sa.func.count(), sa.func.min(listings.c.dirty_at))
            .join(channels, channels.c.id == listings.c.channel_id)
            .where(listings.c.tenant_id == self._ctx.tenant_id, listings.c.dirty.is_(True))
            .group_by(channels.c.code)
        )

    def _parked_query(self) -> sa.Select[Any]:
        return (
            sa.select(connections.c.code, sa.func.count())
            .join(connections, connections.c.id == dead_letters.c.connection_id)
            .where(dead_letters.c.tenant_id == self._ctx.tenant_id, dead_letters.c.status == "open")
            .group_by(connections.c.code)
        )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
