"""Processing the inbox: order facts become ledger events once, whatever the delivery order."""

from __future__ import annotations

from dataclasses import replace

import pytest
import sqlalchemy as sa

from stockbridge.services.catalog_skus import add_alias
from stockbridge.services.channel_orders import list_oversells
from stockbridge.services.context import HubContext
from stockbridge.services.quarantine import list_quarantine
from stockbridge.services.verify import verify_balances
from stockbridge.store.schema import listings, skus
from stockbridge.store.schema_sync import connections, listing_sync
from stockbridge.sync.inbox import process_inbox, requeue
from tests.inbound.fakes import FakeConnector, order_payload
from tests.inbound.helpers import at, balance, deliver, inbox_rows, order_events

KEY = "fake:fake-shop:order:"


def process(ctx: HubContext, fake: FakeConnector, **kw: int) -> dict[str, int]:
    return process_inbox(ctx, fake.for_config, **kw).counts


def test_an_order_commits_at_the_online_location_with_most_available(
    shop: HubContext, fake: FakeConnector
) -> None:
    deliver(
        shop, fake, "orders/create", order_payload("1", at(0), [("item-tee", "TEE", 2), (None, "MUG", 1)])
    )
    assert process(shop, fake) == {"done": 1}
    assert balance(shop, "TEE", "WH1").committed == 2  # WH1 has 5, WH2 has 3
    assert balance(shop, "TEE", "WH2").committed == 0
    assert balance(shop, "MUG", "WH1").committed == 1
    assert order_events(shop, "1") == [("sale", KEY + "1:sale")]
    assert inbox_rows(shop)[0].status == "done"


def test_a_location_named_by_the_order_is_used_through_its_binding(
    shop: HubContext, fake: FakeConnector
) -> None:
    deliver(shop, fake, "orders/create", order_payload("2", at(0), [("item-tee", "TEE", 2, "loc-2")]))
    process(shop, fake)
    assert (balance(shop, "TEE", "WH1").committed, balance(shop, "TEE", "WH2").committed) == (0, 2)


def test_the_same_order_delivered_twice_applies_once(shop: HubContext, fake: FakeConnector) -> None:
    payload = order_payload("3", at(0), [("item-tee", "TEE", 2)])
    deliver(shop, fake, "orders/create", payload, "evt-a")
    deliver(shop, fake, "orders/updated", payload, "evt-b")  # another delivery id, same facts
    assert process(shop, fake) == {"done": 2}
    assert balance(shop, "TEE", "WH1").committed == 2
    assert order_events(shop, "3") == [("sale", KEY + "3:sale")]


def test_a_cancellation_before_the_creation_nets_to_zero_and_the_late_creation_is_a_no_op(
    shop: HubContext, fake: FakeConnector
) -> None:
    deliver(
        shop, fake, "orders/cancelled", order_payload("4", at(5), [("item-tee", "TEE", 2)], cancelled=True)
    )
    deliver(shop, fake, "orders/create", order_payload("4", at(0), [("item-tee", "TEE", 2)]))
    assert process(shop, fake) == {"done": 2}
    tee = balance(shop, "TEE", "WH1")
    assert (tee.on_hand, tee.committed, tee.available) == (5, 0, 5)
    assert order_events(shop, "4") == [("sale", KEY + "4:sale"), ("sale_cancelled", KEY + "4:cancel")]


def test_a_cancellation_releases_only_what_was_not_shipped(shop: HubContext, fake: FakeConnector) -> None:
    shipped = [{"id": "f1", "line_items": [{"item_id": "item-tee", "sku": "TEE", "quantity": 1}]}]
    deliver(shop, fake, "orders/create", order_payload("5", at(0), [("item-tee", "TEE", 3)]))
    deliver(
        shop,
        fake,
        "orders/updated",
        order_payload("5", at(1), [("item-tee", "TEE", 3)], fulfillments=shipped),
    )
    deliver(
        shop,
        fake,
        "orders/cancelled",
        order_payload("5", at(2), [("item-tee", "TEE", 3)], fulfillments=shipped, cancelled=True),
    )
    process(shop, fake)
    tee = balance(shop, "TEE", "WH1")
    assert (tee.on_hand, tee.committed, tee.available) == (4, 0, 4)
    assert [t for t, _ in order_events(shop, "5")] == ["sale", "fulfil", "sale_cancelled"]


def test_a_refund_with_restock_returns_units_once_even_before_the_order_is_known(
    shop: HubContext, fake: FakeConnector
) -> None:
    refund = {
        "id": "r1",
        "order_id": "6",
        "restock": "return",
        "line_items": [{"item_id": "item-tee", "quantity": 1}],
    }
    deliver(shop, fake, "refunds/create", refund)
    assert process(shop, fake) == {"pending": 1}  # the order's creation has not arrived yet
    (row,) = inbox_rows(shop)
    assert (row.status, row.attempts) == ("pending", 1) and "not known yet" in row.error
    shipped = [{"id": "f1", "line_items": [{"item_id": "item-tee", "quantity": 2}]}]
    deliver(
        shop, fake, "orders/create", order_payload("6", at(0), [("item-tee", "TEE", 2)], fulfillments=shipped)
    )
    deliver(
        shop,
        fake,
        "orders/updated",
        order_payload("6", at(3), [("item-tee", "TEE", 2)], fulfillments=shipped, refunds=[refund]),
    )
    assert process(shop, fake) == {"pending": 1, "done": 2}  # the refund row came first in the pass
    assert process(shop, fake) == {"done": 1}  # ... and finds its refund already applied
    tee = balance(shop, "TEE", "WH1")
    assert (tee.on_hand, tee.committed) == (5 - 2 + 1, 0)
    assert [k.removeprefix(KEY + "6:") for _, k in order_events(shop, "6")] == [
        "sale",
        "fulfilment:f1",
        "return:r1",
    ]


def test_a_refund_of_unshipped_units_releases_them(shop: HubContext, fake: FakeConnector) -> None:
    refund = {"id": "r2", "restock": "release", "line_items": [{"item_id": "item-tee", "quantity": 1}]}
    deliver(
        shop, fake, "orders/create", order_payload("7", at(0), [("item-tee", "TEE", 2)], refunds=[refund])
    )
    process(shop, fake)
    assert balance(shop, "TEE", "WH1").committed == 1


def test_an_order_for_an_unknown_sku_is_quarantined_then_applies_once_fixed(
    shop: HubContext, fake: FakeConnector
) -> None:
    deliver(
        shop,
        fake,
        "orders/create",
        order_payload("8", at(0), [("item-x", "NOPE-1", 1), ("item-tee", "TEE", 1)]),
    )
    assert process(shop, fake) == {"quarantined": 1}
    (item,) = list_quarantine(shop)
    assert item.kind == "channel_order" and item.error_code == "unknown_reference"
    assert "NOPE-1" in item.message and item.field == "lines[0].sku"
    assert balance(shop, "TEE", "WH1").committed == 0  # the order is not applied in part
    (row,) = inbox_rows(shop)
    assert row.status == "quarantined" and f"quarantine #{item.id}" in row.error
    add_alias(shop, "MUG", "fake-shop", "NOPE-1")
    assert requeue(shop, row.id)
    assert process(shop, fake) == {"done": 1}
    assert (balance(shop, "MUG", "WH1").committed, balance(shop, "TEE", "WH1").committed) == (1, 1)
    assert list_quarantine(shop) == [] and list_quarantine(shop, status="resolved")[0].id == item.id


def test_a_channel_oversell_is_committed_and_reported_not_refused(
    shop: HubContext, fake: FakeConnector
) -> None:
    deliver(shop, fake, "orders/create", order_payload("9", at(0), [("item-tee", "TEE", 7)]))
    assert process(shop, fake) == {"done": 1}
    tee = balance(shop, "TEE", "WH1")  # no location covers 7: the one with most takes it
    assert (tee.committed, tee.available) == (7, -2)
    (oversell,) = list_oversells(shop)
    assert oversell["oversold"] == [{"sku": "TEE", "location": "WH1", "sold": 7, "available_before": 5}]


def test_unparseable_and_unsupported_messages_fail_with_their_reason(
    shop: HubContext, fake: FakeConnector
) -> None:
    deliver(shop, fake, "orders/create", {"id": "10", "updated_at": "not a time", "line_items": []})
    deliver(shop, fake, "products/update", {"id": "p1"})
    assert process(shop, fake) == {"failed": 1, "done": 1}
    failed, ignored = inbox_rows(shop)
    assert failed.status == "failed" and "ValueError" in failed.error
    assert ignored.status == "done" and ignored.error.startswith("ignored: topic products/update")


def test_a_message_that_keeps_waiting_fails_after_its_attempts(shop: HubContext, fake: FakeConnector) -> None:
    refund = {
        "id": "r9",
        "order_id": "404",
        "restock": "return",
        "line_items": [{"item_id": "item-tee", "quantity": 1}],
    }
    deliver(shop, fake, "refunds/create", refund)
    for _ in range(2):
        assert process(shop, fake, max_attempts=3) == {"pending": 1}
    assert process(shop, fake, max_attempts=3) == {"failed": 1}
    (row,) = inbox_rows(shop)
    assert (row.status, row.attempts) == ("failed", 3) and row.error.startswith("gave up after 3 attempts")


@pytest.mark.parametrize(
    ("acked", "location", "expected"),
    [(5, None, "echo"), (9, None, "drift"), (9, "loc-2", "drift"), (9, "loc-9", "ignored")],
)
def test_a_level_report_never_moves_the_hub_and_marks_drift(
    shop: HubContext, fake: FakeConnector, acked: int, location: str | None, expected: str
) -> None:
    with shop.engine.begin() as conn:
        listing = conn.scalar(sa.select(listings.c.id).order_by(listings.c.id).limit(1))  # TEE's
        conn.execute(sa.update(listings).values(dirty=False))
        conn.execute(sa.insert(listing_sync).values(listing_id=listing, acked_quantity=acked))
    deliver(
        shop,
        fake,
        "inventory_levels/update",
        {"item_id": "item-tee", "location_id": location, "available": 5},
    )
    process(shop, fake)
    (row,) = inbox_rows(shop)
    assert row.error.startswith(expected)
    assert balance(shop, "TEE", "WH1").on_hand == 5
    with shop.engine.connect() as conn:
        dirty = conn.scalar(sa.select(listings.c.dirty).where(listings.c.id == listing))
        observed = conn.scalar(
            sa.select(listing_sync.c.observed_quantity).where(listing_sync.c.listing_id == listing)
        )
    # loc-2 is where the hub pushes (the one bound remote location feeding the channel).
    assert (dirty, observed) == {"echo": (False, 5), "drift": (True, 5), "ignored": (False, None)}[expected]


def test_the_ledger_still_explains_every_balance(shop: HubContext, fake: FakeConnector) -> None:
    shipped = [{"id": "f1", "line_items": [{"item_id": "item-tee", "quantity": 1}]}]
    deliver(
        shop, fake, "orders/create", order_payload("11", at(0), [("item-tee", "TEE", 9), (None, "MUG", 2)])
    )
    deliver(
        shop,
        fake,
        "orders/cancelled",
        order_payload("11", at(1), [("item-tee", "TEE", 9)], fulfillments=shipped, cancelled=True),
    )
    process(shop, fake)
    assert verify_balances(shop) == []


def test_the_order_state_sits_on_its_binding_row_and_the_ledger_still_guards_keys(
    shop: HubContext, fake: FakeConnector
) -> None:
    from stockbridge.store.schema_sync import bindings

    payload = order_payload("12", at(0), [("item-tee", "TEE", 2)])
    deliver(shop, fake, "orders/create", payload, "evt-1")
    process(shop, fake)
    with shop.engine.begin() as conn:
        (state,) = conn.execute(
            sa.select(bindings.c.extra).where(bindings.c.object_type == "order")
        ).scalars()
        assert state["keys"] == [KEY + "12:sale"] and state["committed"][0][2] == 2
        conn.execute(sa.delete(bindings).where(bindings.c.object_type == "order"))  # the state is lost
    deliver(shop, fake, "orders/updated", payload, "evt-2")
    assert process(shop, fake) == {"done": 1}
    assert order_events(shop, "12") == [("sale", KEY + "12:sale")]
    assert balance(shop, "TEE", "WH1").committed == 2


def test_the_channels_own_moves_are_handed_to_the_pusher_base(shop: HubContext, fake: FakeConnector) -> None:
    from stockbridge.services.channel_orders import (
        ChannelOrder,
        OrderLineRef,
        OrderMovement,
        record_channel_order,
    )
    from tests.inbound.helpers import CONNECTION, id_of

    tee, mug = id_of(shop, skus, "TEE"), id_of(shop, skus, "MUG")
    with shop.engine.connect() as conn:
        connection_id = conn.scalar(sa.select(connections.c.id).where(connections.c.code == CONNECTION))
    assert connection_id is not None
    lines = (OrderLineRef(tee, 2), OrderLineRef(mug, 1))
    order = ChannelOrder("fake:fake-shop", int(connection_id), "M1", "shop", lines)
    sold = shop.write(lambda conn: record_channel_order(conn, shop, order))
    assert sold.channel_moves == {tee: -2, mug: -1}
    restock = OrderMovement("r1", "return", (OrderLineRef(tee, 1),))
    later = replace(order, cancelled=True, movements=(restock,))
    undone = shop.write(lambda conn: record_channel_order(conn, shop, later))
    assert undone.channel_moves == {tee: 1 + 2, mug: 1}  # restocked 1, released 2 and 1
    again = shop.write(lambda conn: record_channel_order(conn, shop, later))
    assert again.channel_moves == {} and again.applied == []


def test_recording_a_channel_sale_shifts_the_pushers_base_in_the_same_transaction(
    shop: HubContext, fake: FakeConnector
) -> None:
    with shop.engine.begin() as conn:
        listing = conn.scalar(sa.select(listings.c.id).order_by(listings.c.id).limit(1))  # TEE's
        conn.execute(sa.insert(listing_sync).values(listing_id=listing, acked_quantity=5))
    deliver(shop, fake, "orders/create", order_payload("S1", at(0), [("item-tee", "TEE", 2)]))
    process(shop, fake)
    with shop.engine.connect() as conn:
        row = conn.execute(sa.select(listing_sync).where(listing_sync.c.listing_id == listing)).one()._mapping
    # The sale is the channel's own: the base (acked, or unseen units where the pusher keeps
    # them apart) moves by it, so the next push neither repeats nor withholds it.
    moved = (5 - row["acked_quantity"]) - row.get("unseen_units", 0)
    assert moved == 2
