"""Available-to-sell per listing, dirty marking in the same transaction, and explanations."""

from __future__ import annotations

import sqlalchemy as sa

from stockbridge.services.availability import listing_atp, listings_atp
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    Rules,
    define_channel,
    define_listing,
    set_location_online,
)
from stockbridge.services.context import HubContext
from stockbridge.services.explain import explain_balance, explain_listing
from stockbridge.services.ingest import ingest_events
from stockbridge.services.reservations import ReserveLine, ReserveRequest, reserve
from stockbridge.store.schema import listings
from tests.integration.helpers import basic_catalog, receive


def _dirty(ctx: HubContext) -> int:
    with ctx.read() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).where(listings.c.dirty.is_(True))) or 0)


def _clean_all(ctx: HubContext) -> None:
    ctx.write(lambda conn: conn.execute(sa.update(listings).values(dirty=False)))


def test_listing_rules_override_channel_defaults(ctx: HubContext) -> None:
    basic_catalog(ctx)
    define_channel(
        ctx, ChannelSpec("market", locations=("WH1", "WH2"), rules=Rules(buffer=2, share_percent=50))
    )
    define_listing(ctx, ListingSpec("market", "MUG"))
    define_listing(
        ctx, ListingSpec("market", "TSHIRT-BLUE-M", Rules(buffer=0, max_quantity=5), locations=["WH2"])
    )
    receive(ctx, "MUG", "WH1", 11)
    receive(ctx, "MUG", "WH2", 3)
    receive(ctx, "TSHIRT-BLUE-M", "WH1", 100)
    receive(ctx, "TSHIRT-BLUE-M", "WH2", 7)
    assert listing_atp(ctx, "market", "MUG").result.quantity == (14 - 2) * 50 // 100
    tee = listing_atp(ctx, "market", "TSHIRT-BLUE-M")
    assert tee.result.quantity == 3  # only WH2 (7), then 50% -> 3, cap 5
    assert [s.rule for s in tee.result.steps] == ["supply", "buffer", "share", "cap"]
    assert {(a.channel, a.sku) for a in listings_atp(ctx, channel="market")} == {
        ("market", "MUG"),
        ("market", "TSHIRT-BLUE-M"),
    }


def test_stock_changes_mark_listings_dirty_in_the_same_transaction(ctx: HubContext) -> None:
    basic_catalog(ctx)
    define_listing(ctx, ListingSpec("shop", "MUG"))
    define_listing(ctx, ListingSpec("shop", "TSHIRT-BLUE-M"))
    _clean_all(ctx)
    receive(ctx, "MUG", "WH1", 5)
    assert _dirty(ctx) == 1
    _clean_all(ctx)
    ingest_events(ctx, [{"type": "receipt", "sku": "NOPE", "location": "WH1", "quantity": 1}])
    assert _dirty(ctx) == 0  # a quarantined event changes nothing
    set_location_online(ctx, "WH1", False)
    assert _dirty(ctx) == 1  # MUG has stock at WH1; TSHIRT has none there


def test_explain_balance_shows_formula_ledger_and_events(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 10, key="po-77")
    reserve(ctx, ReserveRequest("cart-1", [ReserveLine("MUG", 4, "WH1")]))
    ingest_events(
        ctx, [{"type": "damage", "sku": "MUG", "location": "WH1", "quantity": 1, "reference": "rma-3"}]
    )
    story = explain_balance(ctx, "MUG", "WH1")
    assert story["balance"]["available"] == 5
    assert story["formula"].startswith("available = on_hand 10 - committed 0 - reserved 4 - damaged 1")
    assert story["consistent_with_ledger"] is True
    kinds = [e["type"] for e in story["recent_events"]]
    assert kinds == ["damage", "reservation_held", "receipt"]
    assert story["recent_events"][2]["idempotency_key"] == "po-77"
    assert story["recent_events"][1]["changes"] == {"reserved": 4}


def test_explain_listing_lists_rules_locations_and_events(ctx: HubContext) -> None:
    basic_catalog(ctx)
    define_listing(ctx, ListingSpec("shop", "MUG", Rules(buffer=1)))
    receive(ctx, "MUG", "WH1", 4)
    receive(ctx, "MUG", "WH2", 2)
    set_location_online(ctx, "WH2", False)
    story = explain_listing(ctx, "shop", "MUG")
    assert story["available_to_sell"] == 3
    assert [(loc["location"], loc["counted"]) for loc in story["locations"]] == [("WH1", 4), ("WH2", 0)]
    assert "offline, not counted: WH2" in story["steps"][0]["detail"]
    assert set(story["recent_events"]) == {"MUG@WH1", "MUG@WH2"}
