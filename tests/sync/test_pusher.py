"""The pusher converges a channel: claim-and-clear, coalescing, batching, decreases first,
compare-and-set with stale convergence, deltas for platforms without it, visible skips."""

from __future__ import annotations

import asyncio
import dataclasses
import math
from collections.abc import Sequence

import sqlalchemy as sa

from stockbridge.connectors.base import LevelChange, PushOutcome
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.availability import listing_atp
from stockbridge.services.context import HubContext
from stockbridge.store.schema_sync import webhook_inbox
from stockbridge.sync.outbox import claim_dirty, shift_acknowledged
from stockbridge.sync.pusher import Pusher
from tests.sync.helpers import (
    CHANNEL,
    clear_all_dirty,
    fake_for,
    hub_with_channel,
    inbox_delivery,
    is_dirty,
    item_of,
    sell_in_hub,
    set_stock,
    sku_id,
    sync_row,
)


def atp(ctx: HubContext, code: str) -> int:
    return listing_atp(ctx, CHANNEL, code).result.quantity


def test_a_round_pushes_every_dirty_listing_and_records_what_the_channel_acknowledged(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A", "B", "C"])
    fake = fake_for(["A", "B", "C"], start=0)
    for code, quantity in (("A", 5), ("B", 7), ("C", 9)):
        set_stock(ctx, code, quantity)

    report = asyncio.run(pusher.push_round(view, fake))

    assert (report.claimed, report.applied, report.skipped, report.stopped) == (3, 3, [], None)
    assert [fake.level(item_of(c)) for c in "ABC"] == [5, 7, 9]
    assert [sync_row(ctx, c)["acked_quantity"] for c in "ABC"] == [5, 7, 9]
    assert not any(is_dirty(ctx, c) for c in "ABC")
    assert len(fake.reads) == 1, "never-acknowledged listings get their base in one read"
    assert all(change.expected == 0 for change in fake.calls[0]), "first push is compare-and-set against 0"


def test_a_change_committed_while_the_push_is_in_flight_is_pushed_by_the_next_round(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=10)
    set_stock(ctx, "A", 10)
    asyncio.run(pusher.push_round(view, fake))
    set_stock(ctx, "A", 8)

    async def sale_meanwhile(_changes: Sequence[LevelChange]) -> None:
        fake.before_write = None
        sell_in_hub(ctx, "A", 3)  # committed after the claim, before the channel answers

    fake.before_write = sale_meanwhile
    first = asyncio.run(pusher.push_round(view, fake))
    assert (first.applied, fake.level(item_of("A"))) == (1, 8)
    assert is_dirty(ctx, "A"), "the sale re-marked the listing the round had claimed and cleared"

    second = asyncio.run(pusher.push_round(view, fake))
    assert (second.applied, fake.level(item_of("A")), atp(ctx, "A")) == (1, 5, 5)
    assert not is_dirty(ctx, "A")


def test_a_claim_takes_the_flag_and_a_later_change_marks_the_listing_again(ctx: HubContext) -> None:
    view = hub_with_channel(ctx, ["A", "B"])
    set_stock(ctx, "A", 4)
    set_stock(ctx, "B", 4)
    assert view.channel_id is not None

    claimed = claim_dirty(ctx, view.channel_id, 10)
    assert len(claimed) == 2 and not is_dirty(ctx, "A")
    assert claim_dirty(ctx, view.channel_id, 10) == [], "a claimed listing is not claimed twice"
    sell_in_hub(ctx, "A", 1)
    again = claim_dirty(ctx, view.channel_id, 10)
    assert [c.listing_id for c in again] == [claimed[0].listing_id]


def test_many_changes_to_one_listing_are_coalesced_into_one_level(ctx: HubContext, pusher: Pusher) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"])
    for quantity in (3, 9, 4, 6):
        set_stock(ctx, "A", quantity)
    sell_in_hub(ctx, "A", 2)

    asyncio.run(pusher.push_round(view, fake))

    assert [[(c.item_id, c.quantity) for c in call] for call in fake.calls] == [[(item_of("A"), 4)]]


def test_calls_are_ceil_distinct_listings_over_max_batch(ctx: HubContext, pusher: Pusher) -> None:
    codes = [f"S{i:02d}" for i in range(11)]
    view = hub_with_channel(ctx, codes)
    fake = fake_for(codes, max_batch=4)
    for round_ in range(3):  # three changes per SKU, coalesced
        for i, code in enumerate(codes):
            set_stock(ctx, code, i + 1 + round_)

    report = asyncio.run(pusher.push_round(view, fake))

    assert len(fake.calls) == math.ceil(len(codes) / 4) == 3
    assert [len(call) for call in fake.calls] == [4, 4, 3]
    assert report.calls == len(fake.calls) + len(fake.reads)
    assert sorted(c.item_id for call in fake.calls for c in call) == sorted(item_of(c) for c in codes)


def test_decreases_are_pushed_before_increases(ctx: HubContext, pusher: Pusher) -> None:
    codes = ["A", "B", "C", "D", "E"]
    view = hub_with_channel(ctx, codes)
    fake = fake_for(codes, max_batch=2, start=5)
    for code in codes:
        set_stock(ctx, code, 5)
    asyncio.run(pusher.push_round(view, fake))
    fake.calls.clear()
    for code, quantity in (("A", 9), ("B", 1), ("C", 8), ("D", 2), ("E", 0)):
        set_stock(ctx, code, quantity)

    asyncio.run(pusher.push_round(view, fake))

    sent = [(c.item_id[-1], c.quantity < (c.expected or 0)) for call in fake.calls for c in call]
    assert [decrease for _, decrease in sent] == [True, True, True, False, False]
    assert {code for code, decrease in sent if decrease} == {"B", "D", "E"}
    assert [fake.level(item_of(c)) for c in codes] == [9, 1, 8, 2, 0]


def test_a_stale_compare_and_set_converges_next_round_without_offering_the_sold_units_again(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 10)
    asyncio.run(pusher.push_round(view, fake))
    fake.sell(item_of("A"), 2)  # the channel sold 2; the hub has not heard yet
    set_stock(ctx, "A", 15)

    stale = asyncio.run(pusher.push_round(view, fake))
    assert (stale.stale, stale.applied, fake.level(item_of("A"))) == (1, 0, 8), "nothing overwritten"
    row = sync_row(ctx, "A")
    assert (row["acked_quantity"], row["unseen_units"]) == (8, 2) and is_dirty(ctx, "A")

    converged = asyncio.run(pusher.push_round(view, fake))
    assert converged.applied == 1 and fake.calls[-1][0].expected == 8
    assert fake.level(item_of("A")) == 13 == atp(ctx, "A") - 2, "the 2 sold are not offered again"

    sell_in_hub(ctx, "A", 2)  # the channel's order arrives, recorded the way inbound does it
    assert view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, view.channel_id, {sku_id(ctx, "A"): -2}))
    settled = asyncio.run(pusher.push_round(view, fake))
    assert (settled.unchanged, fake.level(item_of("A")), atp(ctx, "A")) == (1, 13, 13)
    assert sync_row(ctx, "A")["unseen_units"] == 0


def test_without_compare_and_set_the_delta_from_the_last_ack_keeps_sales_the_channel_took(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0, cas=False)
    set_stock(ctx, "A", 10)
    asyncio.run(pusher.push_round(view, fake))
    fake.sell(item_of("A"), 2)  # the channel took 2 units the hub has not seen
    set_stock(ctx, "A", 15)  # +5 received in the hub

    report = asyncio.run(pusher.push_round(view, fake))

    assert report.applied == 1 and report.stale == 0
    assert fake.calls[-1][0].expected == 10 and fake.calls[-1][0].quantity == 15
    assert fake.level(item_of("A")) == 13, "8 on the channel + 5 received: the 2 sold stay sold"
    row = sync_row(ctx, "A")
    assert (row["acked_quantity"], row["unseen_units"]) == (13, 2), "the channel holds 13: 2 sold unseen"

    sell_in_hub(ctx, "A", 2)  # the channel's order arrives, recorded the way inbound does it
    assert view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, view.channel_id, {sku_id(ctx, "A"): -2}))
    settled = asyncio.run(pusher.push_round(view, fake))
    assert (settled.unchanged, fake.level(item_of("A")), atp(ctx, "A")) == (1, 13, 13), "the sale counts once"


def test_an_unbound_listing_is_skipped_with_a_visible_reason(ctx: HubContext, pusher: Pusher) -> None:
    view = hub_with_channel(ctx, ["A", "B"], bound=False)
    from stockbridge.services.bindings import bind
    from tests.sync.helpers import CONNECTION, sku_id

    bind(ctx, CONNECTION, "sku", item_of("A"), str(sku_id(ctx, "A")))
    fake = fake_for(["A"])
    set_stock(ctx, "A", 3)
    set_stock(ctx, "B", 3)

    report = asyncio.run(pusher.push_round(view, fake))

    assert report.applied == 1
    assert [(s.sku, s.reason) for s in report.skipped] == [
        ("B", "SKU 'B' is not bound to a remote item on this connection")
    ]
    assert "not bound" in str(sync_row(ctx, "B")["last_error"])
    assert pusher.metrics is not None
    assert pusher.metrics.skipped.labels(CHANNEL, "unbound")._value.get() == 1


def test_an_unchanged_level_needs_no_call(ctx: HubContext, pusher: Pusher, clock: FrozenClock) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=4)
    set_stock(ctx, "A", 4)

    report = asyncio.run(pusher.push_round(view, fake))

    assert (report.unchanged, fake.calls, sync_row(ctx, "A")["acked_quantity"]) == (1, [], 4)
    clear_all_dirty(ctx)


def test_a_sale_the_channel_took_itself_shifts_the_base_so_a_delta_does_not_apply_it_twice(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A", "B"])
    fake = fake_for(["A", "B"], start=0, cas=False)
    set_stock(ctx, "A", 12)
    set_stock(ctx, "B", 12)
    asyncio.run(pusher.push_round(view, fake))
    fake.sell(item_of("A"), 3)  # both channels' shoppers buy 3; the shop applied it already
    fake.sell(item_of("B"), 3)
    sell_in_hub(ctx, "B", 3)  # B's order reaches the hub without shifting the base
    sell_in_hub(ctx, "A", 3)  # A's order reaches the hub the way inbound should record it
    assert view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, view.channel_id, {sku_id(ctx, "A"): -3}))

    report = asyncio.run(pusher.push_round(view, fake))

    assert report.unchanged == 1 and fake.level(item_of("A")) == 9 == atp(ctx, "A")
    assert fake.level(item_of("B")) == 6, "without the shift the delta takes the sale off twice"


def test_an_order_the_compare_and_set_channel_took_itself_needs_no_call_once_recorded(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 10)
    asyncio.run(pusher.push_round(view, fake))
    calls = len(fake.calls)
    fake.sell(item_of("A"), 2)
    sell_in_hub(ctx, "A", 2)  # the channel's own order, recorded with the shift
    assert view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, view.channel_id, {sku_id(ctx, "A"): -2}))

    report = asyncio.run(pusher.push_round(view, fake))

    assert (report.unchanged, len(fake.calls) - calls) == (1, 0), "no echo pushed back"
    assert fake.level(item_of("A")) == atp(ctx, "A") == 8


def test_unseen_units_are_trusted_to_the_hub_again_after_their_time_to_live(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 10)
    asyncio.run(pusher.push_round(view, fake))
    fake.sell(item_of("A"), 2)  # an order that never reaches the hub
    set_stock(ctx, "A", 15)
    asyncio.run(pusher.push_round(view, fake))  # stale: 2 unseen
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 13

    clock.advance(pusher.config.unseen_ttl_s - 1)
    set_stock(ctx, "A", 16)
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 14, "still held back within the time-to-live"
    clock.advance(1)
    set_stock(ctx, "A", 17)
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 17 and sync_row(ctx, "A")["unseen_units"] == 0


def test_unseen_units_outlive_their_time_to_live_while_the_inbox_is_behind(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    """The orders a guess stands for may sit in an inbox backlog: the guess is kept while the
    oldest delivery never tried is older than the guess's time-to-live allows, and goes once
    the backlog is worked off."""
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 10)
    asyncio.run(pusher.push_round(view, fake))
    fake.sell(item_of("A"), 2)  # the order's webhook is in the inbox, not applied yet
    backlog = inbox_delivery(ctx, view.id, received_at=clock.now())
    set_stock(ctx, "A", 15)
    asyncio.run(pusher.push_round(view, fake))  # stale: 2 unseen
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 13

    clock.advance(pusher.config.unseen_ttl_s + 30)
    set_stock(ctx, "A", 16)
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 14, "held back: the inbox is 90 s behind"
    assert sync_row(ctx, "A")["unseen_units"] == 2

    with ctx.engine.begin() as conn:  # tried and left waiting: no longer backlog
        conn.execute(sa.update(webhook_inbox).where(webhook_inbox.c.id == backlog).values(attempts=1))
    set_stock(ctx, "A", 17)
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 17 and sync_row(ctx, "A")["unseen_units"] == 0


def test_sales_a_read_then_write_overwrote_are_held_back_and_pushed_down_next_round(
    ctx: HubContext, pusher: Pusher
) -> None:
    """A delta platform reports 2 sales inside its read-write window: the level it wrote (10)
    does not reflect them, so the hub holds them back (unseen) and the listing stays dirty."""
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0, cas=False)
    set_stock(ctx, "A", 8)
    asyncio.run(pusher.push_round(view, fake))
    set_stock(ctx, "A", 10)
    original = fake.set_levels

    async def overwriting(changes: Sequence[LevelChange]) -> list[PushOutcome]:
        outcomes = await original(changes)
        return [dataclasses.replace(o, overwritten=2) for o in outcomes]

    fake.set_levels = overwriting  # type: ignore[method-assign]
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 10 and is_dirty(ctx, "A")
    assert sync_row(ctx, "A")["unseen_units"] == 2

    fake.set_levels = original  # type: ignore[method-assign]
    asyncio.run(pusher.push_round(view, fake))
    assert fake.level(item_of("A")) == 8, "the 2 units the channel really sold are not offered again"


def test_after_a_recorded_own_sale_compare_and_set_starts_from_the_level_the_channel_holds(
    ctx: HubContext, pusher: Pusher
) -> None:
    """The channel sold 2 and the hub recorded it: the channel is believed to hold 8, so the next
    change is "from 8", not a compare-and-set from 10 that is bound to be refused as stale."""
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], start=0)
    set_stock(ctx, "A", 10)
    asyncio.run(pusher.push_round(view, fake))
    fake.sell(item_of("A"), 2)
    sell_in_hub(ctx, "A", 2)
    assert view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, view.channel_id, {sku_id(ctx, "A"): -2}))
    set_stock(ctx, "A", 15)

    report = asyncio.run(pusher.push_round(view, fake))

    (change,) = fake.calls[-1]
    assert (report.stale, report.applied, change.expected) == (0, 1, 8)
    assert fake.level(item_of("A")) == change.quantity == atp(ctx, "A")
    assert sync_row(ctx, "A")["unseen_units"] == 0 and sync_row(ctx, "A")["acked_quantity"] == atp(ctx, "A")
