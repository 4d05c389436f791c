"""Faults are normal: retries with backoff and throttle waits, a breaker per channel on a fake
clock, and a dead-letter queue that parks, lists, replays and discards."""

from __future__ import annotations

import asyncio

import pytest

from stockbridge.connectors.errors import AuthError, PermanentError, RateLimitedError, TransientError
from stockbridge.domain.clock import FrozenClock
from stockbridge.errors import InvalidStateError
from stockbridge.services.context import HubContext
from stockbridge.sync.breaker import CircuitBreaker
from stockbridge.sync.dead_letters import discard_dead_letter, list_dead_letters, replay_dead_letter
from stockbridge.sync.metrics import SyncMetrics
from stockbridge.sync.pusher import Pusher
from tests.sync.conftest import RecordingSleep, make_pusher
from tests.sync.helpers import (
    CHANNEL,
    CONNECTION,
    fake_for,
    hub_with_channel,
    is_dirty,
    item_of,
    set_stock,
    sync_row,
)


def test_transient_errors_are_retried_with_backoff_and_throttling_waits_as_told(
    ctx: HubContext, pusher: Pusher, sleep: RecordingSleep, metrics: SyncMetrics
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 6)
    asyncio.run(pusher.push_round(view, fake))  # establishes the base
    set_stock(ctx, "A", 4)
    fake.fail_next = [TransientError("502", status=502), RateLimitedError("slow down", retry_after_s=2.0)]

    report = asyncio.run(pusher.push_round(view, fake))

    assert (report.applied, fake.level(item_of("A"))) == (1, 4)
    assert len(sleep.waits) == 2
    assert 0 <= sleep.waits[0] <= 0.1, "first backoff is jittered within base delay"
    assert 2.0 <= sleep.waits[1] <= 2.05, "a throttle waits what the platform asked"
    assert metrics.throttle_waits.labels(CHANNEL)._value.get() == 1
    assert metrics.api_calls.labels(CHANNEL, "set_levels", "transient")._value.get() == 1
    assert metrics.api_calls.labels(CHANNEL, "set_levels", "throttled")._value.get() == 1


def test_the_breaker_opens_after_n_failures_and_half_opens_after_the_cool_down(
    ctx: HubContext, clock: FrozenClock, sleep: RecordingSleep, metrics: SyncMetrics
) -> None:
    pusher = make_pusher(ctx, clock, sleep, metrics, attempts=1, threshold=2, cool_down_s=30)
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 3)
    fake.outage = True
    breaker = pusher.breakers.get(CHANNEL)

    for _ in range(2):
        failed = asyncio.run(pusher.push_round(view, fake))
        assert failed.requeued == 1 and is_dirty(ctx, "A"), "nothing claimed is lost on failure"
    assert breaker.state == "open"
    assert metrics.breaker_state.labels(CHANNEL)._value.get() == 2
    reads_before = len(fake.reads)

    blocked = asyncio.run(pusher.push_round(view, fake))
    assert blocked.stopped == "circuit breaker open" and blocked.claimed == 0
    assert len(fake.reads) == reads_before, "no call while open"

    clock.advance(29)
    assert breaker.state == "open"
    clock.advance(1)
    assert breaker.state == "half_open"
    fake.outage = False
    healed = asyncio.run(pusher.push_round(view, fake))
    assert healed.applied == 1 and breaker.state == "closed"
    assert metrics.breaker_state.labels(CHANNEL)._value.get() == 0


def test_a_failed_half_open_probe_opens_the_breaker_again() -> None:
    clock = FrozenClock()
    breaker = CircuitBreaker("c", clock, failure_threshold=3, cool_down_s=10)
    for _ in range(3):
        breaker.record_failure()
    clock.advance(10)
    assert breaker.allow() and not breaker.allow(), "one probe at a time"
    breaker.record_failure()
    assert breaker.state == "open" and breaker.snapshot().retry_at is not None
    clock.advance(10)
    assert breaker.allow()
    breaker.record_success()
    assert breaker.snapshot().state == "closed" and breaker.snapshot().consecutive_failures == 0


def test_an_auth_error_counts_against_the_breaker_and_requeues(ctx: HubContext, pusher: Pusher) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"])
    set_stock(ctx, "A", 3)
    fake.fail_next = [AuthError("bad token", status=401)]

    report = asyncio.run(pusher.push_round(view, fake))

    assert report.stopped is not None and "AuthError" in report.stopped
    assert report.requeued == 1 and is_dirty(ctx, "A")
    assert pusher.breakers.get(CHANNEL).snapshot().consecutive_failures == 1


def test_permanent_failures_are_parked_listed_replayed_and_discarded(
    ctx: HubContext, pusher: Pusher, metrics: SyncMetrics
) -> None:
    view = hub_with_channel(ctx, ["A", "B", "C"])
    fake = fake_for(["A", "B", "C"])
    fake.item_errors = {
        item_of("A"): PermanentError("item is archived", status=422),
        item_of("B"): PermanentError("location not stocked", status=422),
    }
    for code in "ABC":
        set_stock(ctx, code, 2)

    report = asyncio.run(pusher.push_round(view, fake))

    assert (report.applied, report.dead_lettered) == (1, 2)
    letters = list_dead_letters(ctx, connection=CONNECTION)
    assert [(d.payload["sku"], d.reason) for d in letters] == [
        ("A", "PermanentError: item is archived"),
        ("B", "PermanentError: location not stocked"),
    ]
    assert letters[0].error["status"] == 422 and letters[0].payload["quantity"] == 2
    assert "dead-lettered" in str(sync_row(ctx, "A")["last_error"])
    assert metrics.dead_letters.labels(CHANNEL)._value.get() == 2
    assert not is_dirty(ctx, "A")

    fake.item_errors.clear()
    replayed = replay_dead_letter(ctx, letters[0].id)
    assert replayed.status == "replayed" and is_dirty(ctx, "A")
    discarded = discard_dead_letter(ctx, letters[1].id, "item removed from the shop")
    assert discarded.status == "discarded" and "item removed" in discarded.reason
    with pytest.raises(InvalidStateError):
        replay_dead_letter(ctx, letters[1].id)

    again = asyncio.run(pusher.push_round(view, fake))
    assert again.applied == 1 and fake.level(item_of("A")) == 2
    assert list_dead_letters(ctx) == []


def test_a_repeated_failure_of_the_same_listing_bumps_one_open_letter(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"])
    fake.item_errors = {item_of("A"): PermanentError("no")}
    set_stock(ctx, "A", 2)
    asyncio.run(pusher.push_round(view, fake))
    set_stock(ctx, "A", 3)
    asyncio.run(pusher.push_round(view, fake))

    letters = list_dead_letters(ctx)
    assert len(letters) == 1 and letters[0].attempts == 2 and letters[0].payload["quantity"] == 3


def test_a_retryable_item_failure_is_requeued_then_parked_after_max_attempts(
    ctx: HubContext, clock: FrozenClock, sleep: RecordingSleep
) -> None:
    pusher = make_pusher(ctx, clock, sleep)
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"])
    fake.item_errors = {item_of("A"): TransientError("lock timeout on item")}
    set_stock(ctx, "A", 2)

    rounds = [asyncio.run(pusher.push_round(view, fake)) for _ in range(5)]

    assert [r.requeued for r in rounds] == [1, 1, 1, 1, 0]
    assert rounds[-1].dead_lettered == 1 and not is_dirty(ctx, "A")
