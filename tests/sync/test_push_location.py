"""On multi-location platforms a listing's one ATP goes to one remote location: the configured
`push_location`, else the bound remote location that feeds the channel, else the only one bound;
anything ambiguous skips with a reason."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from stockbridge.services.bindings import bind
from stockbridge.services.catalog_places import LocationSpec, define_location
from stockbridge.services.context import HubContext
from stockbridge.store.schema import locations
from stockbridge.sync.pusher import Pusher
from tests.sync.helpers import CONNECTION, LOCATION, fake_for, hub_with_channel, item_of, set_stock


def _two_remote_locations(ctx: HubContext) -> None:
    """loc-1 is bound to WH1 (which feeds the channel), loc-2 to WH9 (which does not)."""
    define_location(ctx, LocationSpec("WH9", "Not feeding the channel"))
    for remote, hub_code in (("loc-1", LOCATION), ("loc-2", "WH9")):
        bind(ctx, CONNECTION, "location", remote, _location_id(ctx, hub_code))


def _location_id(ctx: HubContext, code: str) -> str:
    with ctx.read() as conn:
        return str(conn.scalar(sa.select(locations.c.id).where(locations.c.code == code)))


def test_the_remote_location_bound_to_a_feeding_location_gets_the_level(
    ctx: HubContext, pusher: Pusher
) -> None:
    view = hub_with_channel(ctx, ["A"])
    _two_remote_locations(ctx)
    fake = fake_for(["A"], start=0, location="loc-1", multi_location=True)
    fake.remote_levels[(item_of("A"), "loc-2")] = 50
    set_stock(ctx, "A", 6)

    asyncio.run(pusher.push_round(view, fake))

    assert fake.calls[0][0].location_id == "loc-1"
    assert (fake.level(item_of("A"), "loc-1"), fake.level(item_of("A"), "loc-2")) == (6, 50)


def test_a_configured_push_location_wins(ctx: HubContext, pusher: Pusher) -> None:
    view = hub_with_channel(ctx, ["A"], settings={"push_location": "loc-2"})
    _two_remote_locations(ctx)
    fake = fake_for(["A"], start=0, location="loc-2", multi_location=True)
    set_stock(ctx, "A", 6)

    asyncio.run(pusher.push_round(view, fake))

    assert fake.level(item_of("A"), "loc-2") == 6 and fake.level(item_of("A"), "loc-1") is None


def test_no_single_candidate_skips_every_listing_with_the_reason(ctx: HubContext, pusher: Pusher) -> None:
    view = hub_with_channel(ctx, ["A"])
    fake = fake_for(["A"], multi_location=True)
    set_stock(ctx, "A", 6)

    report = asyncio.run(pusher.push_round(view, fake))

    assert fake.calls == [] and len(report.skipped) == 1
    assert report.skipped[0].reason == (
        "no single remote location to push to (0 candidates); set settings.push_location on connection 'fake-shop'"
    )
