"""The pusher's batched desired levels equal `compute_listing_atp`, listing by listing, on a catalog
with channel defaults and listing overrides, own locations, an offline location, a bundle and
negative availability."""

from __future__ import annotations

from stockbridge.services.availability import listing_atp
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    LocationSpec,
    Rules,
    define_channel,
    define_listing,
    define_location,
    set_location_online,
)
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.sync.desired import desired_levels
from tests.sync.helpers import listing_id

STOCK = {("TEE", "WH1"): 9, ("TEE", "WH2"): 4, ("TEE", "POP"): 30, ("MUG", "WH1"): 25, ("CAP", "WH2"): 3}


def _catalog(ctx: HubContext) -> list[tuple[str, str]]:
    for code in ("WH1", "WH2", "POP"):
        define_location(ctx, LocationSpec(code, code))
    for code in ("TEE", "MUG", "CAP", "EMPTY"):
        define_sku(ctx, SkuSpec(code, code))
    define_sku(ctx, SkuSpec("SET", "Tee and two mugs", components={"TEE": 1, "MUG": 2}))
    define_channel(
        ctx, ChannelSpec("shop", locations=("WH1", "WH2", "POP"), rules=Rules(buffer=1, max_quantity=20))
    )
    define_channel(
        ctx, ChannelSpec("market", locations=("WH1",), rules=Rules(share_percent=50, stop_below=3))
    )
    listings = [
        ListingSpec("shop", "TEE"),
        ListingSpec("shop", "MUG", Rules(buffer=0, max_quantity=10)),
        ListingSpec("shop", "CAP", locations=("WH2",)),
        ListingSpec("shop", "SET"),
        ListingSpec("shop", "EMPTY"),
        ListingSpec("market", "TEE"),
        ListingSpec("market", "MUG", Rules(share_percent=100)),
        ListingSpec("market", "SET", locations=("WH1", "WH2")),
    ]
    for spec in listings:
        define_listing(ctx, spec)
    events = [{"type": "receipt", "sku": s, "location": loc, "quantity": q} for (s, loc), q in STOCK.items()]
    events.append({"type": "sale", "sku": "CAP", "location": "WH2", "quantity": 3})
    assert ingest_events(ctx, events).summary()["applied"] == len(events)
    set_location_online(ctx, "POP", False)
    return [(spec.channel, spec.sku) for spec in listings]


def test_batched_desired_levels_equal_the_one_by_one_computation(ctx: HubContext) -> None:
    pairs = _catalog(ctx)
    ids = {pair: listing_id(ctx, pair[1], pair[0]) for pair in pairs}

    with ctx.read() as conn:
        batched = desired_levels(conn, ctx, list(ids.values()))

    expected = {pair: listing_atp(ctx, *pair).result.quantity for pair in pairs}
    assert {pair: batched[i] for pair, i in ids.items()} == expected
    assert len(set(expected.values())) >= 5, "the catalog exercises different rules"
