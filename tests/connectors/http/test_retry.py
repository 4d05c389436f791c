"""Retry: full-jitter backoff for transient failures, exact waits when throttled, no retry otherwise."""

from __future__ import annotations

import random

import pytest

from stockbridge.connectors.errors import AuthError, PermanentError, RateLimitedError, TransientError
from stockbridge.connectors.http import HttpMetrics, ManualTime, RetryPolicy

pytestmark = pytest.mark.anyio


class Flaky:
    """Fails with the given errors in order, then returns 'ok'."""

    def __init__(self, *errors: Exception) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def policy(time: ManualTime, **kwargs: object) -> RetryPolicy:
    return RetryPolicy(sleep=time.sleep, rng=random.Random(7), **kwargs)  # type: ignore[arg-type]


async def test_transient_failures_are_retried_with_full_jitter_backoff() -> None:
    time = ManualTime()
    attempt = Flaky(TransientError("a"), TransientError("b"), TransientError("c"))
    retry = policy(time, base_delay_s=1.0, max_delay_s=3.0)
    assert await retry.call(attempt) == "ok"
    assert attempt.calls == 4
    ceilings = [1.0, 2.0, 3.0]  # base * 2**n, capped at max_delay_s
    assert len(time.slept) == 3
    assert all(0.0 <= s <= c for s, c in zip(time.slept, ceilings, strict=True))
    expected = random.Random(7)
    assert time.slept == [expected.uniform(0, c) for c in ceilings]  # the injected rng decides


async def test_a_permanent_or_auth_failure_is_not_retried() -> None:
    for error in (PermanentError("bad"), AuthError("who")):
        time = ManualTime()
        attempt = Flaky(error)
        with pytest.raises(type(error)):
            await policy(time).call(attempt)
        assert attempt.calls == 1 and time.slept == []


async def test_after_max_attempts_the_last_transient_error_surfaces() -> None:
    time = ManualTime()
    attempt = Flaky(*(TransientError(f"e{i}") for i in range(5)))
    with pytest.raises(TransientError, match="e2"):
        await policy(time, max_attempts=3).call(attempt)
    assert attempt.calls == 3 and len(time.slept) == 2


async def test_rate_limited_waits_exactly_retry_after_and_is_recorded_as_a_throttle_wait() -> None:
    time = ManualTime()
    metrics = HttpMetrics()
    attempt = Flaky(RateLimitedError("slow", retry_after_s=2.5), RateLimitedError("slow", retry_after_s=0.5))
    retry = policy(time, metrics=metrics, max_attempts=1)  # throttling has its own budget
    assert await retry.call(attempt, connection="shop", operation="q") == "ok"
    assert time.slept == [2.5, 0.5]
    assert metrics.throttle_waits[("shop", "server")] == 2
    assert metrics.throttle_wait_seconds[("shop", "server")] == 3.0
    assert metrics.retries[("shop", "RateLimitedError")] == 2


async def test_a_wait_longer_than_max_wait_surfaces_instead_of_sleeping() -> None:
    time = ManualTime()
    attempt = Flaky(RateLimitedError("come back tomorrow", retry_after_s=86_400))
    with pytest.raises(RateLimitedError):
        await policy(time, max_wait_s=60).call(attempt)
    assert time.slept == []


async def test_a_transient_retry_after_hint_is_a_floor_for_the_backoff() -> None:
    time = ManualTime()
    attempt = Flaky(TransientError("maintenance", retry_after_s=4.0))
    await policy(time, base_delay_s=0.1).call(attempt)
    assert time.slept == [4.0]
