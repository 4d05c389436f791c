"""The worker pushes every enabled connection, keeps channels' failures apart, reconciles on its
schedule (injected clock) and shuts down gracefully, closing its connectors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from stockbridge.connectors.base import Connector
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.catalog_places import ChannelSpec, ListingSpec, define_channel, define_listing
from stockbridge.services.connections import ConnectionConfig, ConnectionSpec, register_connection
from stockbridge.services.context import HubContext
from stockbridge.sync.pusher import Pusher
from stockbridge.sync.worker import SyncWorker, WorkerConfig
from tests.conftest import fresh_sqlite_url
from tests.sync.conftest import RecordingSleep
from tests.sync.fakes import FakeChannel
from tests.sync.helpers import CONNECTION, LOCATION, fake_for, hub_with_channel, is_dirty, item_of, set_stock


@pytest.fixture
def db_url(sqlite_template: Path, tmp_path: Path) -> str:
    """SQLite only: the services under these commands run on both databases in the other tests."""
    return fresh_sqlite_url(sqlite_template, tmp_path)


def _factory(channels: dict[str, FakeChannel], built: list[str]):  # type: ignore[no-untyped-def]
    def build(config: ConnectionConfig) -> Connector:
        built.append(config.code)
        if config.code not in channels:
            raise RuntimeError(f"cannot build {config.code}")
        return channels[config.code]

    return build


def _second_channel(ctx: HubContext, code: str) -> None:
    define_channel(ctx, ChannelSpec("market", "Marketplace", "fake", locations=(LOCATION,)))
    define_listing(ctx, ListingSpec("market", "A"))
    register_connection(ctx, ConnectionSpec(code, "fake", "market"))


def test_a_tick_pushes_every_enabled_connection_and_isolates_a_broken_one(
    ctx: HubContext, pusher: Pusher
) -> None:
    hub_with_channel(ctx, ["A"])
    _second_channel(ctx, "broken")
    shop = fake_for(["A"])
    set_stock(ctx, "A", 4)
    built: list[str] = []
    worker = SyncWorker(
        pusher, _factory({CONNECTION: shop}, built), config=WorkerConfig(reconcile_interval_s=None)
    )

    report = asyncio.run(worker.tick())

    assert shop.level(item_of("A")) == 4 and not is_dirty(ctx, "A")
    assert list(report.errors) == ["broken"] and "cannot build broken" in report.errors["broken"]
    asyncio.run(worker.tick())
    assert built.count(CONNECTION) == 1, "a connector is built once and reused"


def test_reconciliation_runs_on_its_schedule(ctx: HubContext, pusher: Pusher, clock: FrozenClock) -> None:
    hub_with_channel(ctx, ["A"])
    shop = fake_for(["A"])
    config = WorkerConfig(reconcile_interval_s=60, reconcile_policy="heal")
    worker = SyncWorker(pusher, _factory({CONNECTION: shop}, []), config=config)

    assert len(asyncio.run(worker.tick()).reconciliations) == 1
    shop.remote_levels[(item_of("A"), None)] = 7  # drift made by hand on the channel
    clock.advance(59)
    assert asyncio.run(worker.tick()).reconciliations == []
    clock.advance(1)
    (healed,) = asyncio.run(worker.tick()).reconciliations
    assert healed.healed == 1 and shop.level(item_of("A")) == 0


def test_the_loop_stops_when_told_and_closes_its_connectors(
    ctx: HubContext, pusher: Pusher, sleep: RecordingSleep
) -> None:
    hub_with_channel(ctx, ["A"])
    shop = fake_for(["A"])
    worker = SyncWorker(
        pusher,
        _factory({CONNECTION: shop}, []),
        config=WorkerConfig(poll_interval_s=0.5, reconcile_interval_s=None),
        sleep=sleep,
    )

    async def scenario() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(worker.run(stop))
        while worker.ticks < 3:
            await asyncio.sleep(0)
        set_stock(ctx, "A", 2)
        while is_dirty(ctx, "A"):
            await asyncio.sleep(0)
        stop.set()
        await task

    asyncio.run(scenario())

    assert shop.closed and shop.level(item_of("A")) == 2
    assert sleep.waits and set(sleep.waits) == {0.5}


def test_max_ticks_ends_the_loop(ctx: HubContext, pusher: Pusher, sleep: RecordingSleep) -> None:
    hub_with_channel(ctx, ["A"])
    shop = fake_for(["A"])
    worker = SyncWorker(
        pusher,
        _factory({CONNECTION: shop}, []),
        config=WorkerConfig(max_ticks=2, reconcile_interval_s=None),
        sleep=sleep,
    )
    asyncio.run(worker.run(asyncio.Event()))
    assert worker.ticks == 2 and shop.closed and len(sleep.waits) == 1
