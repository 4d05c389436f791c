"""Fixtures for sync tests: a recording sleep (no real waiting) and a pusher wired to it."""

from __future__ import annotations

import random

import pytest
from prometheus_client import CollectorRegistry

from stockbridge.domain.clock import FrozenClock
from stockbridge.services.context import HubContext
from stockbridge.sync.breaker import BreakerBoard
from stockbridge.sync.metrics import SyncMetrics
from stockbridge.sync.pusher import PushConfig, Pusher
from stockbridge.sync.retry import Retrier, RetryPolicy


class RecordingSleep:
    """Stands in for `asyncio.sleep`: records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def metrics() -> SyncMetrics:
    return SyncMetrics(CollectorRegistry())


def make_pusher(
    ctx: HubContext,
    clock: FrozenClock,
    sleep: RecordingSleep,
    metrics: SyncMetrics | None = None,
    *,
    attempts: int = 3,
    threshold: int = 3,
    cool_down_s: float = 30.0,
    claim_limit: int = 1000,
) -> Pusher:
    on_change = metrics.breaker_changed if metrics is not None else None
    return Pusher(
        ctx,
        breakers=BreakerBoard(
            clock, failure_threshold=threshold, cool_down_s=cool_down_s, on_change=on_change
        ),
        retrier=Retrier(RetryPolicy(max_attempts=attempts, base_delay_s=0.1), sleep, random.Random(7)),
        metrics=metrics,
        config=PushConfig(claim_limit=claim_limit),
    )


@pytest.fixture
def pusher(ctx: HubContext, clock: FrozenClock, sleep: RecordingSleep, metrics: SyncMetrics) -> Pusher:
    return make_pusher(ctx, clock, sleep, metrics)
