"""Limiters wait before a call: a token bucket per request, a cost bucket fed by throttleStatus."""

from __future__ import annotations

import asyncio

import pytest

from stockbridge.connectors.http import CostBucket, ManualTime, ThrottleStatus, TokenBucket

pytestmark = pytest.mark.anyio


async def test_token_bucket_allows_a_burst_then_paces_at_the_rate() -> None:
    time = ManualTime()
    waits: list[float] = []
    bucket = TokenBucket(2.0, burst=3, monotonic=time.monotonic, sleep=time.sleep, on_wait=waits.append)
    for _ in range(3):
        assert await bucket.acquire() == 0.0
    assert await bucket.acquire() == pytest.approx(0.5)
    assert await bucket.acquire() == pytest.approx(0.5)
    assert waits == [pytest.approx(0.5), pytest.approx(0.5)]


async def test_pause_blocks_every_caller_until_it_ends() -> None:
    time = ManualTime()
    bucket = TokenBucket(100.0, burst=100, monotonic=time.monotonic, sleep=time.sleep)
    bucket.pause(3.0)
    assert await bucket.acquire() == pytest.approx(3.0)
    assert await bucket.acquire() == 0.0


def status(current: float, maximum: float = 100, rate: float = 10) -> ThrottleStatus:
    return ThrottleStatus(maximum_available=maximum, currently_available=current, restore_rate=rate)


async def test_cost_bucket_waits_for_the_points_a_query_will_request() -> None:
    time = ManualTime()
    waits: list[float] = []
    bucket = CostBucket(monotonic=time.monotonic, sleep=time.sleep, on_wait=waits.append)
    bucket.observe(status(current=20))
    assert await bucket.acquire(15) == 0.0  # 20 available
    bucket.settle(15)
    bucket.observe(status(current=5))
    assert await bucket.acquire(25) == pytest.approx(2.0)  # (25 - 5) / 10 points per second
    assert waits == [pytest.approx(2.0)]


async def test_cost_bucket_learns_bucket_size_and_restore_rate_from_the_server() -> None:
    time = ManualTime()
    bucket = CostBucket(maximum=1000, restore_rate=50, monotonic=time.monotonic, sleep=time.sleep)
    bucket.observe(status(current=0, maximum=40, rate=4))
    assert bucket.capacity == 40 and bucket.rate == 4
    assert bucket.seconds_until(500) == pytest.approx(10.0)  # capped at a full bucket: 40 / 4


async def test_in_flight_costs_are_subtracted_from_an_observation() -> None:
    time = ManualTime()
    bucket = CostBucket(monotonic=time.monotonic, sleep=time.sleep)
    bucket.observe(status(current=100))
    await bucket.acquire(30)  # still in flight when another response reports 100 available
    bucket.observe(status(current=100))
    assert bucket.level() == pytest.approx(70)
    bucket.settle(30)
    assert bucket.in_flight == 0


async def test_concurrent_callers_queue_and_each_gets_its_points() -> None:
    time = ManualTime()
    bucket = CostBucket(monotonic=time.monotonic, sleep=time.sleep)
    bucket.observe(status(current=10, rate=10))
    waited = await asyncio.gather(*(bucket.acquire(10) for _ in range(3)))
    assert sorted(waited) == [0.0, pytest.approx(1.0), pytest.approx(2.0)]
