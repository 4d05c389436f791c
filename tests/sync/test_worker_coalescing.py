"""The worker's coalescing window, on a fake channel and a frozen clock (no timed assertions): a
backlog that is still growing and younger than the window is held (whole batches at most), and
all of it leaves once the window is spent or the backlog has stopped growing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from stockbridge.connectors.base import Connector, LevelChange
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.bindings import bind
from stockbridge.services.catalog_places import ChannelSpec, ListingSpec, define_channel, define_listing
from stockbridge.services.connections import ConnectionConfig, ConnectionSpec, register_connection
from stockbridge.services.context import HubContext
from stockbridge.sync.pusher import Pusher
from stockbridge.sync.worker import Backlog, Hold, SyncWorker, WorkerConfig, coalesce
from tests.conftest import fresh_sqlite_url
from tests.sync.conftest import RecordingSleep
from tests.sync.fakes import FakeChannel
from tests.sync.helpers import (
    CONNECTION,
    LOCATION,
    clear_all_dirty,
    fake_for,
    hub_with_channel,
    is_dirty,
    item_of,
    set_stock,
    sku_id,
)

CODES = [f"S{i}" for i in range(20)]
WINDOW = 0.3
QUIET = 0.1


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    return fresh_sqlite_url(sqlite_template, tmp_path)


def _hub(ctx: HubContext, codes: Sequence[str]) -> None:
    """Listings start clean (as after a converged push), so only the test's changes are dirty."""
    hub_with_channel(ctx, codes)
    clear_all_dirty(ctx)


def _worker(pusher: Pusher, channels: dict[str, FakeChannel], **config: object) -> SyncWorker:
    def build(c: ConnectionConfig) -> Connector:
        return channels[c.code]

    settings: dict[str, object] = {
        "reconcile_interval_s": None,
        "coalesce_s": WINDOW,
        "quiet_s": QUIET,
        "latency_target_s": None,
    }
    return SyncWorker(pusher, build, config=WorkerConfig(**(settings | config)))  # type: ignore[arg-type]


def _pushed(shop: FakeChannel) -> list[list[str]]:
    return [[c.item_id for c in call] for call in shop.calls]


def _arrive(ctx: HubContext, clock: FrozenClock, codes: Sequence[str], every_s: float = 0.05) -> None:
    """One change per SKU, `every_s` apart: a backlog that keeps growing (never quiet)."""
    for code in codes:
        clock.advance(every_s)
        set_stock(ctx, code, 5)


def test_a_growing_part_batch_backlog_younger_than_the_window_is_held(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    _hub(ctx, CODES)
    shop = fake_for(CODES, max_batch=2)
    worker = _worker(pusher, {CONNECTION: shop})

    _arrive(ctx, clock, CODES[:3])  # 3 dirty, the oldest 0.1 s old, the newest just now

    assert asyncio.run(worker.tick()).rounds == []
    assert shop.calls == [] and all(is_dirty(ctx, c) for c in CODES[:3])


def test_whole_batches_may_leave_while_the_backlog_grows_and_the_rest_stays_dirty(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    _hub(ctx, CODES)
    shop = fake_for(CODES, max_batch=2)
    worker = _worker(pusher, {CONNECTION: shop}, whole_batches_while_growing=True)

    _arrive(ctx, clock, CODES[:3])
    (held,) = asyncio.run(worker.tick()).rounds

    assert held.claimed == 2 and _pushed(shop) == [[item_of("S0"), item_of("S1")]]
    assert is_dirty(ctx, "S2")


def test_the_rest_leaves_once_the_window_is_spent_even_while_growing(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    _hub(ctx, CODES)
    shop = fake_for(CODES, max_batch=4)
    worker = _worker(pusher, {CONNECTION: shop})
    set_stock(ctx, "S0", 5)  # the oldest change: the window counts from here

    for step, code in enumerate(CODES[1:6], start=1):  # 0.05 s apart: growing, never quiet
        clock.advance(0.05)
        set_stock(ctx, code, 5)
        assert asyncio.run(worker.tick()).rounds == [], f"held at {0.05 * step:.2f} s"
    clock.advance(0.05)  # the oldest is now 0.3 s old
    set_stock(ctx, "S6", 5)
    (spent,) = asyncio.run(worker.tick()).rounds

    assert spent.claimed == 7 and len(shop.calls) == 2  # ceil(7 / 4): a part batch is allowed now
    assert not any(is_dirty(ctx, c) for c in CODES[:7])


def test_the_rest_leaves_once_the_backlog_stops_growing(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    _hub(ctx, CODES)
    shop = fake_for(CODES, max_batch=4)
    worker = _worker(pusher, {CONNECTION: shop})
    _arrive(ctx, clock, CODES[:3])
    assert asyncio.run(worker.tick()).rounds == []

    clock.advance(QUIET)  # no listing became dirty since: the burst is over, the oldest is 0.2 s old
    (settled,) = asyncio.run(worker.tick()).rounds

    assert settled.claimed == 3 and len(shop.calls) == 1
    assert [shop.level(item_of(c)) for c in CODES[:3]] == [5, 5, 5]


def test_a_single_change_with_no_further_arrivals_leaves_within_the_window(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    _hub(ctx, ["A"])
    shop = fake_for(["A"])
    worker = _worker(pusher, {CONNECTION: shop})
    set_stock(ctx, "A", 4)

    assert asyncio.run(worker.tick()).rounds == [] and is_dirty(ctx, "A")
    clock.advance(QUIET - 0.01)
    assert asyncio.run(worker.tick()).rounds == []
    clock.advance(0.01)  # quiet for QUIET < WINDOW
    asyncio.run(worker.tick())

    assert shop.level(item_of("A")) == 4 and not is_dirty(ctx, "A")


def test_a_pause_while_the_worker_pushes_is_not_taken_for_a_quiet_backlog(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    _hub(ctx, ["S0", "S1"])
    shop = fake_for(["S0", "S1"])
    worker = _worker(pusher, {CONNECTION: shop})

    async def meanwhile(_: Sequence[LevelChange]) -> None:  # S1 changes while S0 is being pushed
        set_stock(ctx, "S1", 2)
        clock.advance(0.05)  # the round ends 0.05 s after that change

    shop.before_write = meanwhile
    set_stock(ctx, "S0", 1)
    clock.advance(QUIET)
    asyncio.run(worker.tick())  # S0 quiet: pushed
    shop.before_write = None
    clock.advance(0.06)  # 0.11 s since S1's change, only 0.06 s since the round ended

    assert asyncio.run(worker.tick()).rounds == [] and is_dirty(ctx, "S1")
    clock.advance(0.04)
    (pushed,) = asyncio.run(worker.tick()).rounds
    assert pushed.claimed == 1 and shop.level(item_of("S1")) == 2


def test_the_loop_wakes_when_a_held_backlog_is_due_not_a_poll_interval_later(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock, sleep: RecordingSleep
) -> None:
    _hub(ctx, ["A"])
    shop = fake_for(["A"])
    worker = SyncWorker(
        pusher,
        lambda _: shop,
        config=WorkerConfig(
            poll_interval_s=0.5, reconcile_interval_s=None, coalesce_s=WINDOW, quiet_s=QUIET, max_ticks=2
        ),
        sleep=sleep,
    )
    set_stock(ctx, "A", 4)

    asyncio.run(worker.run(asyncio.Event()))

    assert sleep.waits == [pytest.approx(QUIET)]


def test_the_adaptive_window_holds_a_small_growing_backlog_longer_within_the_target(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    _hub(ctx, CODES)
    shop = fake_for(CODES, max_batch=250)
    worker = _worker(pusher, {CONNECTION: shop}, latency_target_s=1.0)
    set_stock(ctx, "S0", 5)

    _arrive(ctx, clock, CODES[1:18])  # still growing; the oldest is 0.85 s old, past the 0.3 s floor
    assert asyncio.run(worker.tick()).rounds == []
    _arrive(ctx, clock, CODES[18:19])  # 0.9 s: 1 s less the look slack and the push estimate is spent
    (pushed,) = asyncio.run(worker.tick()).rounds

    assert pushed.claimed == 19 and len(shop.calls) == 1


def test_a_slow_channel_does_not_hold_back_another_in_the_loop(
    ctx: HubContext, pusher: Pusher, sleep: RecordingSleep
) -> None:
    _hub(ctx, ["A"])
    define_channel(ctx, ChannelSpec("market", "Marketplace", "fake", locations=(LOCATION,)))
    define_listing(ctx, ListingSpec("market", "A"))
    register_connection(ctx, ConnectionSpec("market-conn", "fake", "market"))
    bind(ctx, "market-conn", "sku", item_of("A"), str(sku_id(ctx, "A")))
    shop, market = fake_for(["A"]), fake_for(["A"])
    market.connection = "market-conn"
    release = asyncio.Event()

    async def stuck(_: Sequence[LevelChange]) -> None:
        await release.wait()

    shop.before_write = stuck
    worker = SyncWorker(
        pusher,
        lambda c: {CONNECTION: shop, "market-conn": market}[c.code],
        config=WorkerConfig(reconcile_interval_s=None),
        sleep=sleep,
    )

    async def scenario() -> None:
        stop = asyncio.Event()
        running = asyncio.create_task(worker.run(stop))
        set_stock(ctx, "A", 3)
        while not shop.calls:
            await asyncio.sleep(0)
        set_stock(ctx, "A", 6)  # the shop's round is stuck in its write; the marketplace goes on
        while market.level(item_of("A")) != 6:
            await asyncio.sleep(0)
        release.set()
        stop.set()
        await running

    asyncio.run(scenario())

    assert market.level(item_of("A")) == 6 and shop.closed and market.closed


@pytest.mark.parametrize(
    ("waiting", "age", "quiet", "whole", "expected"),
    [
        (0, 0.0, 0.0, False, Hold(0)),
        (3, 0.2, 0.0, False, Hold(0, pytest.approx(QUIET))),
        (5, 0.2, 0.05, True, Hold(4, pytest.approx(0.05))),
        (5, WINDOW, 0.0, False, Hold(None)),
        (5, 0.2, QUIET, False, Hold(None)),
    ],
)
def test_the_rule(waiting: int, age: float, quiet: float, whole: bool, expected: Hold) -> None:
    now = FrozenClock().now()
    backlog = Backlog(waiting, now - timedelta(seconds=age), now - timedelta(seconds=quiet))
    hold = coalesce(backlog, now, batch=2, window_s=WINDOW, quiet_s=QUIET, whole_batches=whole)
    assert hold == expected
