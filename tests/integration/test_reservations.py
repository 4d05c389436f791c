"""Reservations: hold, commit, release, extend, expire; idempotent; all-or-nothing; placement."""

from __future__ import annotations

import pytest

from stockbridge.domain.clock import FrozenClock
from stockbridge.errors import IdempotencyConflictError, InsufficientStockError, InvalidStateError
from stockbridge.services.availability import list_balances, listing_atp
from stockbridge.services.catalog_places import ListingSpec, define_listing, set_location_online
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.reservations import (
    ReserveLine,
    ReserveRequest,
    commit_reservation,
    expire_due,
    extend_reservation,
    get_reservation,
    release_reservation,
    reserve,
)
from stockbridge.services.verify import verify_balances
from tests.integration.helpers import basic_catalog, receive


def _q(ctx: HubContext, sku: str, location: str) -> dict[str, object]:
    (view,) = list_balances(ctx, sku=sku, location=location)
    return view.as_dict()


def test_hold_then_commit_moves_units_from_reserved_to_committed(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 5)
    held = reserve(ctx, ReserveRequest("cart-1", [ReserveLine("MUG", 3, "WH1")]))
    assert held.status == "held" and not held.duplicate
    assert (_q(ctx, "MUG", "WH1")["reserved"], _q(ctx, "MUG", "WH1")["available"]) == (3, 2)
    done = commit_reservation(ctx, held.id)
    assert done.status == "committed"
    balance = _q(ctx, "MUG", "WH1")
    assert (balance["reserved"], balance["committed"], balance["available"]) == (0, 3, 2)
    assert commit_reservation(ctx, held.id).status == "committed"  # idempotent
    assert _q(ctx, "MUG", "WH1")["committed"] == 3
    assert verify_balances(ctx) == []


def test_same_key_returns_the_same_reservation_and_other_payload_conflicts(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 5)
    first = reserve(ctx, ReserveRequest("cart-1", [ReserveLine("MUG", 2, "WH1")]))
    again = reserve(ctx, ReserveRequest("cart-1", [ReserveLine("MUG", 2, "WH1")]))
    assert again.id == first.id and again.duplicate
    assert _q(ctx, "MUG", "WH1")["reserved"] == 2
    with pytest.raises(IdempotencyConflictError):
        reserve(ctx, ReserveRequest("cart-1", [ReserveLine("MUG", 3, "WH1")]))


def test_multi_line_shortage_holds_nothing_and_names_every_short_line(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 1)
    receive(ctx, "TSHIRT-BLUE-M", "WH1", 1)
    with pytest.raises(InsufficientStockError) as caught:
        reserve(
            ctx,
            ReserveRequest("cart-2", [ReserveLine("MUG", 2, "WH1"), ReserveLine("TSHIRT-BLUE-M", 5, "WH1")]),
        )
    assert sorted((s.sku, s.requested, s.available) for s in caught.value.shortfalls) == [
        ("MUG", 2, 1),
        ("TSHIRT-BLUE-M", 5, 1),
    ]
    assert _q(ctx, "MUG", "WH1")["reserved"] == 0
    assert verify_balances(ctx) == []


def test_expiry_is_driven_by_the_clock_and_the_sweeper(ctx: HubContext, clock: FrozenClock) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 5)
    held = reserve(ctx, ReserveRequest("cart-3", [ReserveLine("MUG", 4, "WH1")], ttl_s=60))
    clock.advance(30)
    extend_reservation(ctx, held.id, 60)
    clock.advance(59)
    assert expire_due(ctx) == 0
    clock.advance(2)
    assert get_reservation(ctx, held.id).status == "expired"  # visible before the sweep
    with pytest.raises(InvalidStateError):
        commit_reservation(ctx, held.id)
    assert _q(ctx, "MUG", "WH1")["reserved"] == 4
    assert expire_due(ctx) == 1
    assert expire_due(ctx) == 0
    assert get_reservation(ctx, held.id).status == "expired"
    assert _q(ctx, "MUG", "WH1")["reserved"] == 0
    assert verify_balances(ctx) == []


def test_release_returns_units_and_cannot_then_commit(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 5)
    held = reserve(ctx, ReserveRequest("cart-4", [ReserveLine("MUG", 5, "WH1")]))
    release_reservation(ctx, held.id)
    assert _q(ctx, "MUG", "WH1")["available"] == 5
    with pytest.raises(InvalidStateError):
        commit_reservation(ctx, held.id)


def test_channel_placement_takes_the_location_with_most_and_skips_offline(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 3)
    receive(ctx, "MUG", "WH2", 7)
    held = reserve(ctx, ReserveRequest("o-1", [ReserveLine("MUG", 4)], channel="shop"))
    assert held.lines == [{"sku": "MUG", "location": "WH2", "quantity": 4}]
    set_location_online(ctx, "WH2", False)
    with pytest.raises(InsufficientStockError):
        reserve(ctx, ReserveRequest("o-2", [ReserveLine("MUG", 4)], channel="shop"))
    with pytest.raises(InsufficientStockError):
        reserve(ctx, ReserveRequest("o-3", [ReserveLine("MUG", 1, "WH2")]))
    placed = reserve(ctx, ReserveRequest("o-4", [ReserveLine("MUG", 3)], channel="shop"))
    assert placed.lines[0]["location"] == "WH1"


def test_bundle_reservation_holds_components_at_one_location(ctx: HubContext) -> None:
    basic_catalog(ctx)
    define_sku(ctx, SkuSpec("GIFT-SET", "Mug and tee", components={"MUG": 2, "TSHIRT-BLUE-M": 1}))
    receive(ctx, "MUG", "WH1", 10)
    receive(ctx, "TSHIRT-BLUE-M", "WH1", 1)
    receive(ctx, "MUG", "WH2", 4)
    receive(ctx, "TSHIRT-BLUE-M", "WH2", 5)
    define_listing(ctx, ListingSpec("shop", "GIFT-SET"))
    assert listing_atp(ctx, "shop", "GIFT-SET").result.quantity == 1 + 2
    held = reserve(ctx, ReserveRequest("o-9", [ReserveLine("GIFT-SET", 2)], channel="shop"))
    assert sorted((line["sku"], line["location"], line["quantity"]) for line in held.lines) == [
        ("MUG", "WH2", 4),
        ("TSHIRT-BLUE-M", "WH2", 2),
    ]
    assert listing_atp(ctx, "shop", "GIFT-SET").result.quantity == 1


def test_reservation_events_are_in_the_ledger(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 5)
    held = reserve(ctx, ReserveRequest("cart-5", [ReserveLine("MUG", 2, "WH1")]))
    commit_reservation(ctx, held.id)
    ingest_events(ctx, [{"type": "fulfil", "sku": "MUG", "location": "WH1", "quantity": 2}])
    balance = _q(ctx, "MUG", "WH1")
    assert (balance["on_hand"], balance["committed"], balance["available"]) == (3, 0, 3)
    assert verify_balances(ctx) == []
