"""The exposure guard: two channels sharing one SKU never show more together than the hub allows.

Shop and market each take 50% of the stock. When one sells out, the hub rebalances: the other
must come down before the first goes up, whatever order the pushers run in, and two pushers
racing for the same headroom (in-flight ceilings) never both get it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import multiprocessing
from concurrent.futures import ProcessPoolExecutor

import pytest
import sqlalchemy as sa

from stockbridge.services.bindings import bind
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    Rules,
    define_channel,
    define_listing,
)
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.connections import ConnectionSpec, ConnectionView, register_connection
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.store.schema_sync import listing_sync
from stockbridge.sync.exposure import guard_exposure
from stockbridge.sync.outbox import claim_dirty, shift_acknowledged
from stockbridge.sync.plan import plan_levels
from stockbridge.sync.pusher import Pusher
from tests.integration.race_workers import exposure_guard_once
from tests.sync.fakes import FakeChannel
from tests.sync.helpers import (
    LOCATION,
    fake_for,
    hub_with_channel,
    is_dirty,
    item_of,
    listing_id,
    sell_in_hub,
    set_stock,
    sku_id,
    sync_row,
)

MARKET, MARKET_CONNECTION = "market", "fake-market"


def two_channels(ctx: HubContext, share: int = 50) -> tuple[ConnectionView, ConnectionView]:
    shop = hub_with_channel(ctx, [])
    define_channel(ctx, ChannelSpec(MARKET, "Marketplace", "fake", locations=(LOCATION,)))
    market = register_connection(
        ctx, ConnectionSpec(MARKET_CONNECTION, "fake", MARKET, "http://127.0.0.1:2", {}, {"token": "t"})
    )
    define_sku(ctx, SkuSpec("HOT", "HOT"))
    for channel, connection in (("shop", "fake-shop"), (MARKET, MARKET_CONNECTION)):
        define_listing(ctx, ListingSpec(channel, "HOT", Rules(share_percent=share)))
        bind(ctx, connection, "sku", item_of("HOT"), str(sku_id(ctx, "HOT")))
    return shop, market


def market_fake() -> FakeChannel:
    fake = fake_for(["HOT"], start=0)
    fake.connection = MARKET_CONNECTION
    return fake


def push(pusher: Pusher, view: ConnectionView, fake: FakeChannel) -> int:
    """One round (plus the follow-up a stale compare-and-set asks for); how many were held."""
    report = asyncio.run(pusher.push_round(view, fake))
    if report.stale:
        return report.held + asyncio.run(pusher.push_round(view, fake)).held
    return report.held


def receive(ctx: HubContext, quantity: int) -> None:
    event = {"type": "receipt", "sku": "HOT", "location": LOCATION, "quantity": quantity}
    assert ingest_events(ctx, [event], source="test").summary()["applied"] == 1


def market_row(ctx: HubContext) -> dict[str, object]:
    with ctx.read() as conn:
        row = conn.execute(
            sa.select(listing_sync).where(listing_sync.c.listing_id == listing_id(ctx, "HOT", MARKET))
        ).first()
    return dict(row._mapping) if row is not None else {}


def test_an_increase_waits_until_the_other_channel_has_come_down(ctx: HubContext, pusher: Pusher) -> None:
    shop_view, market_view = two_channels(ctx)
    shop, market = fake_for(["HOT"], start=0), market_fake()
    set_stock(ctx, "HOT", 10)
    push(pusher, shop_view, shop), push(pusher, market_view, market)
    assert (shop.level(item_of("HOT")), market.level(item_of("HOT"))) == (5, 5)

    shop.sell(item_of("HOT"), 4)  # the shop's own order, recorded with its shift
    sell_in_hub(ctx, "HOT", 4)
    assert shop_view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, shop_view.channel_id, {sku_id(ctx, "HOT"): -4}))

    assert push(pusher, shop_view, shop) == 1, "1 -> 3 would let the two show 1 + 2 + 5 > 6"
    assert shop.level(item_of("HOT")) == 1 and is_dirty(ctx, "HOT")
    assert sync_row(ctx, "HOT")["ceiling"] is None

    assert push(pusher, market_view, market) == 0
    assert market.level(item_of("HOT")) == 3

    assert push(pusher, shop_view, shop) == 0
    assert shop.level(item_of("HOT")) == 3 and not is_dirty(ctx, "HOT")
    assert shop.level(item_of("HOT")) + market.level(item_of("HOT")) == 6


def test_an_increase_is_cut_to_the_headroom_and_finished_later(ctx: HubContext, pusher: Pusher) -> None:
    shop_view, market_view = two_channels(ctx)
    shop, market = fake_for(["HOT"], start=0), market_fake()
    set_stock(ctx, "HOT", 10)
    push(pusher, shop_view, shop), push(pusher, market_view, market)
    market.sell(item_of("HOT"), 5)  # the market sells out; the hub records it
    sell_in_hub(ctx, "HOT", 5)
    assert market_view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, market_view.channel_id, {sku_id(ctx, "HOT"): -5}))
    receive(ctx, 2)  # 7 available: 3 + 3 wanted, but the shop still shows 5

    assert push(pusher, market_view, market) > 0, "0 -> 3 cut to 2: 5 + 2 = 7"
    assert market.level(item_of("HOT")) == 2
    assert market_row(ctx)["ceiling"] is None, "the round's ceiling is cleared when it ends"
    push(pusher, shop_view, shop)
    assert shop.level(item_of("HOT")) == 3
    assert push(pusher, market_view, market) == 0
    assert (shop.level(item_of("HOT")), market.level(item_of("HOT"))) == (3, 3)


def test_what_one_channel_sold_beyond_its_share_comes_off_the_other(ctx: HubContext, pusher: Pusher) -> None:
    """Stock 20 at 10 + 10. The shop sells 8 the hub has not heard of, and a count finds 10 units
    gone: 2 are left. The shop's own sales take its target to 0 (5 - 8, stopped at 0), the
    market's target is still its half of 10 = 5, and 0 + 5 > 2: the market is lowered to the
    2 that exist, not to its share."""
    shop_view, market_view = two_channels(ctx)
    shop, market = fake_for(["HOT"], start=0), market_fake()
    set_stock(ctx, "HOT", 20)
    push(pusher, shop_view, shop), push(pusher, market_view, market)
    assert (shop.level(item_of("HOT")), market.level(item_of("HOT"))) == (10, 10)

    shop.sell(item_of("HOT"), 8)  # its orders are still on their way to the hub
    set_stock(ctx, "HOT", 10)
    push(pusher, shop_view, shop)  # stale from 10: the shop holds 2, 8 unseen; then 2 -> 0
    assert shop.level(item_of("HOT")) == 0 and sync_row(ctx, "HOT")["unseen_units"] == 8

    report = asyncio.run(pusher.push_round(market_view, market))
    assert (report.lowered, market.level(item_of("HOT"))) == (1, 2), "10 -> 2, not 10 -> 5"
    assert is_dirty(ctx, "HOT", MARKET), "lowered: looked at again next round"

    sell_in_hub(ctx, "HOT", 8)  # the shop's orders arrive: 2 available, 1 + 1 at rest
    assert shop_view.channel_id is not None
    ctx.write(lambda conn: shift_acknowledged(conn, shop_view.channel_id, {sku_id(ctx, "HOT"): -8}))
    push(pusher, market_view, market), push(pusher, shop_view, shop)
    assert (shop.level(item_of("HOT")), market.level(item_of("HOT"))) == (1, 1)


@pytest.mark.parametrize("wanted", [10, 12], ids=["at-its-target", "rising"])
def test_a_level_not_coming_down_is_lowered_too_when_the_sku_is_over_exposed(
    ctx: HubContext, pusher: Pusher, wanted: int
) -> None:
    """A listing whose channel already shows its target has no change of its own to push (the
    pusher would acknowledge it without a call), and a rising one would only be held; the guard
    takes the deficit off either."""
    shop_view, market_view = two_channels(ctx)
    shop, market = fake_for(["HOT"], start=0), market_fake()
    set_stock(ctx, "HOT", 20)
    push(pusher, shop_view, shop), push(pusher, market_view, market)
    shop.sell(item_of("HOT"), 8)
    set_stock(ctx, "HOT", 10)
    push(pusher, shop_view, shop)
    assert market_view.channel_id is not None
    claimed = claim_dirty(ctx, market_view.channel_id, 10)
    (level,) = plan_levels(ctx, market_view, claimed, multi_location=False).levels
    guarded = guard_exposure(ctx, [dataclasses.replace(level, desired=wanted)])  # its rules: 10 or 12
    assert [lv.target for lv in guarded.levels] == [2] and guarded.lowered == {level.listing_id}
    assert not guarded.held and not guarded.cut and not guarded.ceilings


def test_overlapping_shares_are_never_lowered(ctx: HubContext, pusher: Pusher) -> None:
    """100% each asks for more than exists, a risk the rules accept: an over-exposed SKU is not
    lowered below what the listing's own plan says."""
    shop_view, market_view = two_channels(ctx, share=100)
    shop, market = fake_for(["HOT"], start=0), market_fake()
    set_stock(ctx, "HOT", 10)
    push(pusher, shop_view, shop), push(pusher, market_view, market)
    shop.sell(item_of("HOT"), 8)
    set_stock(ctx, "HOT", 6)
    push(pusher, shop_view, shop)  # 8 unseen: the shop comes down to 0
    assert market_view.channel_id is not None
    claimed = claim_dirty(ctx, market_view.channel_id, 10)
    (level,) = plan_levels(ctx, market_view, claimed, multi_location=False).levels
    guarded = guard_exposure(ctx, [dataclasses.replace(level, desired=10)])  # 0 + 10 shown, 6 at rest
    assert [lv.target for lv in guarded.levels] == [10] and not guarded.lowered


def test_overlapping_shares_are_never_held_below_their_rules(ctx: HubContext, pusher: Pusher) -> None:
    shop_view, market_view = two_channels(ctx, share=100)
    shop, market = fake_for(["HOT"], start=0), market_fake()
    set_stock(ctx, "HOT", 10)

    assert push(pusher, shop_view, shop) == 0 and push(pusher, market_view, market) == 0

    assert (shop.level(item_of("HOT")), market.level(item_of("HOT"))) == (10, 10)


def test_an_in_flight_increase_holds_its_headroom_for_the_other_pusher(ctx: HubContext) -> None:
    shop_view, market_view = two_channels(ctx)
    set_stock(ctx, "HOT", 10)
    for view in (shop_view, market_view):
        assert view.channel_id is not None
        levels = plan_levels(ctx, view, claim_dirty(ctx, view.channel_id, 10), multi_location=False).levels
        guarded = guard_exposure(ctx, [dataclasses.replace(lv, acked=0) for lv in levels])
        assert [lv.target for lv in guarded.levels] == [5] and not guarded.cut
    assert sync_row(ctx, "HOT")["ceiling"] == 5 and market_row(ctx)["ceiling"] == 5

    set_stock(ctx, "HOT", 6)  # stock drops while both increases are in flight
    assert shop_view.channel_id is not None
    claimed = claim_dirty(ctx, shop_view.channel_id, 10)
    (level,) = plan_levels(ctx, shop_view, claimed, multi_location=False).levels
    guarded = guard_exposure(ctx, [dataclasses.replace(level, acked=0)])
    assert level.target == 3
    assert [lv.target for lv in guarded.levels] == [1], "the market's ceiling of 5 leaves 1 unit of 6"
    assert guarded.cut == {level.listing_id}


def test_racing_pushers_never_spend_the_same_headroom(ctx: HubContext, db_url: str) -> None:
    """Six processes, each the pusher of its own channel, guard an increase to 10 of the same SKU
    at once. Stock 10, shares of 16% (1 unit each at rest): the headroom is 10 in all, so the
    ceilings granted add up to exactly 10 whatever the interleaving, never 6 x 10."""
    workers = 6
    hub_with_channel(ctx, [])
    define_sku(ctx, SkuSpec("HOT", "HOT"))
    for n in range(workers):
        define_channel(ctx, ChannelSpec(f"ch{n}", f"Channel {n}", "fake", locations=(LOCATION,)))
        register_connection(
            ctx, ConnectionSpec(f"conn{n}", "fake", f"ch{n}", "http://127.0.0.1:3", {}, {"token": "t"})
        )
        define_listing(ctx, ListingSpec(f"ch{n}", "HOT", Rules(share_percent=16)))
        bind(ctx, f"conn{n}", "sku", item_of("HOT"), str(sku_id(ctx, "HOT")))
    set_stock(ctx, "HOT", 10)
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        granted = list(
            pool.map(exposure_guard_once, [db_url] * workers, [f"conn{n}" for n in range(workers)])
        )
    assert sum(granted) == 10, granted
    with ctx.read() as conn:
        ceilings = conn.scalars(sa.select(listing_sync.c.ceiling)).all()
    assert sum(c or 0 for c in ceilings) == 10
