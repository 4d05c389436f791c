"""Polling orders through the same path as webhooks, with a checkpointed overlapping cursor."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import timedelta

import pytest
import sqlalchemy as sa
from prometheus_client import CollectorRegistry

from stockbridge.connectors.base import OrderCursor, RemoteOrder
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.catalog_places import ChannelSpec, ListingSpec, define_channel, define_listing
from stockbridge.services.catalog_skus import add_alias
from stockbridge.services.connections import (
    ConnectionConfig,
    ConnectionSpec,
    load_connection_config,
    register_connection,
)
from stockbridge.services.context import HubContext
from stockbridge.services.order_history import recorded_versions
from stockbridge.services.quarantine import list_quarantine
from stockbridge.store.schema_sync import sync_cursors
from stockbridge.sync.cursors import TimeCursor
from stockbridge.sync.inbound_bindings import record_of
from stockbridge.sync.inbox import process_inbox, requeue
from stockbridge.sync.pollers import InboundLoop, InboundMetrics, InboxStateCollector, PollReport, poll_orders
from tests.inbound.fakes import FakeConnector, ListingFakeConnector, PlatformDown, order_payload
from tests.inbound.helpers import CONNECTION, SECRET, at, balance, deliver, inbox_rows, order_events


def poll(ctx: HubContext, fake: FakeConnector, **kw: object) -> PollReport:
    record = record_of(load_connection_config(ctx, CONNECTION), ctx.tenant_id)
    return asyncio.run(poll_orders(ctx, record, fake, **kw))  # type: ignore[arg-type]


def poll_and_process(ctx: HubContext, fake: FakeConnector, **kw: object) -> dict[str, int]:
    poll(ctx, fake, **kw)
    return process_inbox(ctx, fake.for_config).counts


def stored_cursor(ctx: HubContext) -> tuple[TimeCursor, object]:
    with ctx.read() as conn:
        row = conn.execute(sa.select(sync_cursors.c.value, sync_cursors.c.updated_at)).one()
    return TimeCursor.from_json(row.value), row.updated_at


def test_a_poll_catches_an_order_whose_webhook_never_came(
    shop: HubContext, fake: FakeConnector, clock: FrozenClock
) -> None:
    fake.put_order(order_payload("1", at(0), [("item-tee", "TEE", 2)]))
    report = poll(shop, fake)
    assert (report.fetched, report.stored) == (1, 1)
    assert balance(shop, "TEE", "WH1").committed == 0  # stored, not yet processed
    assert process_inbox(shop, fake.for_config).counts == {"done": 1}
    assert balance(shop, "TEE", "WH1").committed == 2
    # a first poll reads everything: it counts as a sweep of the look-back
    assert stored_cursor(shop) == (TimeCursor(at(0), frozenset({"1"}), clock.now()), clock.now())


def test_polling_an_order_the_webhook_already_brought_changes_nothing(
    shop: HubContext, fake: FakeConnector
) -> None:
    payload = order_payload("2", at(0), [("item-tee", "TEE", 2)], cancelled=True)
    deliver(shop, fake, "orders/cancelled", payload)
    process_inbox(shop, fake.for_config)
    fake.put_order(payload)
    assert poll_and_process(shop, fake) == {"done": 1}
    assert poll(shop, fake).skipped_ties == 1  # the same order at the cursor's instant
    assert [t for t, _ in order_events(shop, "2")] == ["sale", "sale_cancelled"]
    assert balance(shop, "TEE", "WH1").committed == 0


def test_the_look_back_rereads_late_writes_and_ties_are_not_fed_twice(
    shop: HubContext, fake: FakeConnector, clock: FrozenClock
) -> None:
    fake.put_order(order_payload("A", at(30), [("item-tee", "TEE", 1)]))
    fake.put_order(order_payload("Z", at(28), [(None, "MUG", 1)]))
    assert poll_and_process(shop, fake) == {"done": 2}
    clock.advance(60)
    # Written after that poll, but stamped at or before its cursor (a slow platform transaction):
    fake.put_order(order_payload("B", at(30), [("item-tee", "TEE", 1)]))  # a tie with A
    fake.put_order(order_payload("C", at(27), [(None, "MUG", 1)]))  # inside the 5-minute look-back
    fake.put_order(order_payload("D", at(20), [(None, "MUG", 1)]))  # beyond it: left to reconciliation
    report = poll(shop, fake, lookback=timedelta(minutes=5))
    assert fake.order_calls[-2].updated_after == at(25)
    assert (report.fetched, report.skipped_ties, report.known, report.stored) == (4, 1, 1, 2)
    assert process_inbox(shop, fake.for_config).counts == {"done": 2}
    assert (balance(shop, "TEE", "WH1").committed, balance(shop, "MUG", "WH1").committed) == (2, 2)
    assert stored_cursor(shop) == (TimeCursor(at(30), frozenset({"A", "B"}), clock.now()), clock.now())


def test_the_cursor_is_checkpointed_after_each_page(
    shop: HubContext, fake: FakeConnector, clock: FrozenClock
) -> None:
    for n in range(3):
        fake.put_order(order_payload(f"P{n}", at(n), [("item-tee", "TEE", 1)]))
    fake.fail_after_pages = 2
    with pytest.raises(PlatformDown):
        poll(shop, fake, page_size=1)
    assert stored_cursor(shop)[0] == TimeCursor(at(1), frozenset({"P1"}), clock.now())
    assert process_inbox(shop, fake.for_config).counts == {"done": 2}
    fake.fail_after_pages = None
    assert poll(shop, fake, page_size=1, lookback=timedelta(0)).stored == 1
    assert fake.order_calls[-2] == OrderCursor(at(1), frozenset({"P1"}))  # resumed at the checkpoint
    assert process_inbox(shop, fake.for_config).counts == {"done": 1}
    assert balance(shop, "TEE", "WH1").committed == 3


def test_an_unknown_sku_seen_by_every_poll_is_quarantined_once_and_can_be_requeued(
    shop: HubContext, fake: FakeConnector
) -> None:
    fake.put_order(order_payload("Q", at(0), [("item-x", "NOPE", 1)]))
    assert poll_and_process(shop, fake) == {"quarantined": 1}
    assert poll_and_process(shop, fake, lookback=timedelta(minutes=1)) == {}  # re-read, stored once
    (item,) = list_quarantine(shop)
    assert item.error_code == "unknown_reference" and "NOPE" in item.message
    add_alias(shop, "MUG", CONNECTION, "NOPE")
    assert requeue(shop, inbox_rows(shop)[0].id)
    assert process_inbox(shop, fake.for_config).counts == {"done": 1}
    assert balance(shop, "MUG", "WH1").committed == 1


def test_the_inbound_loop_processes_the_inbox_and_polls_on_its_schedule(
    shop: HubContext, fake: FakeConnector, clock: FrozenClock
) -> None:
    deliver(shop, fake, "orders/create", order_payload("W", at(0), [("item-tee", "TEE", 1)]))
    fake.put_order(order_payload("P", at(0), [(None, "MUG", 1)]))  # its webhook never came
    stop, waits = asyncio.Event(), []
    start = clock.now()

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)
        if len(waits) == 5:
            stop.set()

    loop = InboundLoop(shop, fake.for_config, process_every_s=30, poll_every_s=60, sleep=sleep)
    asyncio.run(loop.run(stop))
    assert loop.processed == {"done": 2}
    assert loop.polled_at == start + timedelta(seconds=120)  # polled at 0, 60 and 120 s
    assert (balance(shop, "TEE", "WH1").committed, balance(shop, "MUG", "WH1").committed) == (1, 1)
    assert fake.closed


def test_a_failing_poll_stays_inside_its_connection_and_the_inbox_still_moves(
    shop: HubContext, fake: FakeConnector, clock: FrozenClock
) -> None:
    deliver(shop, fake, "orders/create", order_payload("W", at(0), [("item-tee", "TEE", 1)]))
    fake.fail_after_pages = 0  # the platform is down for every poll
    stop = asyncio.Event()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        stop.set()

    loop = InboundLoop(shop, fake.for_config, process_every_s=1, poll_every_s=60, sleep=sleep)
    asyncio.run(loop.run(stop))
    assert loop.processed == {"done": 1} and len(fake.order_calls) == 1
    assert balance(shop, "TEE", "WH1").committed == 1


def test_the_loop_works_off_a_backlog_without_waiting_between_full_passes(
    shop: HubContext, fake: FakeConnector
) -> None:
    for n in range(3):
        deliver(shop, fake, "orders/create", order_payload(f"B{n}", at(0), [("item-tee", "TEE", 1)]))
    stop, waits = asyncio.Event(), []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        stop.set()

    loop = InboundLoop(shop, fake.for_config, poll_every_s=None, batch=1, sleep=sleep)
    asyncio.run(loop.run(stop))
    assert loop.processed == {"done": 3} and len(waits) == 1


class HangingPolls(FakeConnector):
    """A channel whose order list does not answer until `release` is set (retries, backoff...)."""

    def __init__(self, secret: str) -> None:
        super().__init__(secret)
        self.release = asyncio.Event()
        self.waiting = 0

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        self.waiting += 1
        await self.release.wait()
        self.waiting -= 1
        return await super().orders(cursor, limit=limit)


def test_a_hanging_poll_does_not_hold_up_the_inbox(shop: HubContext, clock: FrozenClock) -> None:
    hanging = HangingPolls(SECRET)
    deliver(shop, hanging, "orders/create", order_payload("H1", at(0), [("item-tee", "TEE", 1)]))
    stop, seen_while_hanging = asyncio.Event(), []

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)  # a poll falls due at every pass: none starts while one still runs
        seen_while_hanging.append((dict(loop.processed), hanging.waiting))
        if len(seen_while_hanging) == 1:  # a sale arrives while the poll hangs
            deliver(shop, hanging, "orders/create", order_payload("H2", at(1), [("item-tee", "TEE", 2)]))
        if len(seen_while_hanging) == 3:
            hanging.release.set()
            stop.set()

    loop = InboundLoop(shop, hanging.for_config, process_every_s=1, poll_every_s=1, sleep=sleep)
    asyncio.run(loop.run(stop))
    assert seen_while_hanging == [({"done": 1}, 1), ({"done": 2}, 1), ({"done": 2}, 1)]
    assert len(hanging.order_calls) == 1, "one poll, finished after the stop, none started beside it"
    assert balance(shop, "TEE", "WH1").committed == 3
    assert hanging.closed and not loop.polling


def test_the_inbound_metrics_count_passes_and_polls_and_show_the_inbox(
    shop: HubContext, fake: FakeConnector, clock: FrozenClock
) -> None:
    deliver(shop, fake, "orders/create", order_payload("M", at(0), [("item-tee", "TEE", 1)]))
    deliver(shop, fake, "orders/create", order_payload("N", at(0), [("item-x", "NOPE", 1)]))
    fake.put_order(order_payload("P", at(0), [(None, "MUG", 1)]))
    registry = CollectorRegistry()
    registry.register(InboxStateCollector(shop))
    stop = asyncio.Event()

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        passes.append(seconds)
        if len(passes) == 2:
            stop.set()

    passes: list[float] = []
    loop = InboundLoop(shop, fake.for_config, poll_every_s=60, metrics=InboundMetrics(registry), sleep=sleep)
    asyncio.run(loop.run(stop))  # the poll stores P beside pass 1; pass 2 processes it at the latest
    value = registry.get_sample_value
    assert value("stockbridge_inbox_processed_total", {"status": "done"}) == 2
    assert value("stockbridge_inbox_processed_total", {"status": "quarantined"}) == 1
    assert value("stockbridge_inbound_polls_total", {"connection": CONNECTION, "outcome": "ok"}) == 1
    assert value("stockbridge_inbound_polled_orders_total", {"connection": CONNECTION}) == 1
    assert value("stockbridge_inbox_rows", {"status": "done"}) == 2
    assert value("stockbridge_inbox_rows", {"status": "quarantined"}) == 1
    assert value("stockbridge_inbox_rows", {"status": "pending"}) is None
    assert value("stockbridge_inbox_oldest_pending_seconds") == 0.0


# --- Regressions: at 100 orders/s the pollers missed orders whose webhooks never came ---------


def test_a_slow_channel_does_not_hold_up_the_polls_of_the_other_connections(
    shop: HubContext, clock: FrozenClock
) -> None:
    define_channel(shop, ChannelSpec("shop-two", "Second shop", "fake", locations=("WH1",)))
    define_listing(shop, ListingSpec("shop-two", "MUG"))
    secrets = {"webhook_secret": SECRET}
    register_connection(shop, ConnectionSpec("fake-two", "fake", "shop-two", secrets=secrets))
    slow, other = HangingPolls(SECRET), FakeConnector(SECRET)
    connectors = {CONNECTION: slow, "fake-two": other}
    other.put_order(order_payload("O1", at(0), [(None, "MUG", 1)]))  # its webhook never came
    stop, passes = asyncio.Event(), []

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)  # a poll of each connection falls due at every pass
        passes.append(seconds)
        if len(passes) == 1:  # sold while the slow channel's poll hangs; its webhook lost too
            other.put_order(order_payload("O2", at(1), [(None, "MUG", 2)]))
        if len(passes) == 3:
            slow.release.set()
            stop.set()

    loop = InboundLoop(shop, lambda c: connectors[c.code], process_every_s=1, poll_every_s=1, sleep=sleep)
    asyncio.run(loop.run(stop))
    process_inbox(shop, fake_source(connectors))
    assert balance(shop, "MUG", "WH1").committed == 3, "the other connection was polled again"
    assert len(slow.order_calls) == 1, "one poll of the slow channel at a time"
    assert not loop.polling


def fake_source(connectors: dict[str, FakeConnector]) -> Callable[[ConnectionConfig], FakeConnector]:
    return lambda config: connectors[config.code]


def test_between_sweeps_a_poll_starts_at_its_checkpoint_and_reads_only_what_is_new(
    shop: HubContext, fake: FakeConnector, clock: FrozenClock
) -> None:
    for n in range(5):
        fake.put_order(order_payload(f"S{n}", at(n), [(None, "MUG", 1)]))
    every = {"sweep_every": timedelta(minutes=5)}  # what the inbound loop uses: half the look-back
    assert poll(shop, fake, **every).fetched == 5  # the first poll reads everything
    clock.advance(60)  # polled again a minute later: the look-back (10 minutes) is not re-read
    fake.put_order(order_payload("S5", at(6), [(None, "MUG", 1)]))
    calls = len(fake.order_calls)
    report = poll(shop, fake, **every)
    assert fake.order_calls[calls] == OrderCursor(at(4), frozenset({"S4"}))
    assert (report.swept, report.fetched, report.stored) == (False, 1, 1)
    clock.advance(240)  # five minutes since the last sweep: one is due
    report = poll(shop, fake, **every)
    assert (report.swept, report.fetched, report.skipped_ties, report.stored) == (True, 6, 1, 0)
    assert stored_cursor(shop)[0].swept_at == clock.now()


def test_a_listing_channel_reads_whole_only_the_versions_the_hub_does_not_have(
    shop: HubContext, clock: FrozenClock
) -> None:
    listing = ListingFakeConnector(SECRET)
    delivered = order_payload("W", at(0), [("item-tee", "TEE", 1)])
    deliver(shop, listing, "orders/create", delivered)
    assert process_inbox(shop, listing.for_config).counts == {"done": 1}
    listing.put_order(delivered)
    listing.put_order(order_payload("L", at(1), [(None, "MUG", 2)]))  # its webhook was lost
    clock.set(at(5))
    listing.put_order(order_payload("Y", at(5) - timedelta(seconds=3), [(None, "MUG", 1)]))  # too young

    report = poll(shop, listing)
    assert listing.read_whole == ["L"]  # W is recorded at that version; Y is left to its webhook
    assert (report.fetched, report.known, report.read_whole, report.stored) == (2, 1, 1, 1)
    assert process_inbox(shop, listing.for_config).counts == {"done": 1}
    assert (balance(shop, "TEE", "WH1").committed, balance(shop, "MUG", "WH1").committed) == (1, 2)

    clock.advance(60)  # Y's webhook never came: now it is old enough to be read
    assert poll(shop, listing).stored == 1 and listing.read_whole == ["L", "Y"]
    assert process_inbox(shop, listing.for_config).counts == {"done": 1}
    assert balance(shop, "MUG", "WH1").committed == 3

    listing.put_order(order_payload("W", at(7), [("item-tee", "TEE", 1)], cancelled=True))  # updated
    clock.advance(120)
    report = poll(shop, listing)  # a sweep lists all three again
    assert listing.read_whole == ["L", "Y", "W"], "only the new version of W is read whole"
    assert (report.fetched, report.skipped_ties, report.known, report.stored) == (3, 1, 1, 1)
    assert process_inbox(shop, listing.for_config).counts == {"done": 1}
    assert balance(shop, "TEE", "WH1").committed == 0
    with shop.read() as conn:
        record = record_of(load_connection_config(shop, CONNECTION), shop.tenant_id)
        assert recorded_versions(conn, shop.tenant_id, record.id, ["W", "L", "Y", "X"]) == {
            "W": at(7),
            "L": at(1),
            "Y": at(5) - timedelta(seconds=3),
        }
