"""Orders by `modified_after` with the `OrderCursor` contract: ties at the cursor's instant are
deduplicated by id, nothing at or after the cursor is skipped, the cursor advances to the newest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stockbridge.connectors.base import OrderCursor
from stockbridge.connectors.woocommerce import WooCommerceConnector
from tests.connectors.woocommerce.conftest import WooSite

pytestmark = pytest.mark.anyio


async def test_orders_at_the_same_second_are_neither_skipped_nor_repeated(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    t0 = site.clock.now()
    a, b, c = (site.sell("HOOD").id for _ in range(3))  # three checkouts in one second
    site.clock.advance(5)
    d = site.sell("SOCK-S").id

    first, cursor = await woo.orders(OrderCursor(), limit=2)
    assert [o.order_id for o in first] == [str(a), str(b)]
    assert cursor == OrderCursor(t0, frozenset({str(a), str(b)}))

    second, cursor = await woo.orders(cursor, limit=10)
    assert [o.order_id for o in second] == [str(c), str(d)]  # c shares a's and b's second
    assert cursor == OrderCursor(t0 + timedelta(seconds=5), frozenset({str(d)}))

    third, same = await woo.orders(cursor)
    assert third == [] and same == cursor


async def test_a_later_change_to_an_old_order_is_read_again_with_its_new_status(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    order = site.sell("HOOD", 2)
    _, cursor = await woo.orders(OrderCursor())
    site.clock.advance(10)
    await woo.client.call("PUT", f"orders/{order.id}", body={"status": "cancelled"})

    (changed,), cursor = await woo.orders(cursor)

    assert (changed.order_id, changed.status) == (str(order.id), "cancelled")
    assert changed.updated_at == site.clock.now() and cursor.updated_after == site.clock.now()
    assert site.stock("HOOD") == 10  # WooCommerce restocked the cancelled order


async def test_a_look_back_rereads_the_overlap_without_losing_anything(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    site.sell("HOOD")
    site.clock.advance(30)
    site.sell("SOCK-L")
    _, cursor = await woo.orders(OrderCursor())

    assert cursor.updated_after is not None
    again, _ = await woo.orders(OrderCursor(cursor.updated_after - timedelta(seconds=60)))

    assert len(again) == 2  # the poller's look-back re-reads; ingest's idempotency makes that harmless


async def test_order_lines_name_the_items_the_writer_addresses(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    site.sell("SOCK-S", 2)
    site.sell("HOOD", 1, status="completed")

    orders, _ = await woo.orders(OrderCursor())

    lines = [
        (o.status, line.item_id, line.sku, line.quantity, line.location_id)
        for o in orders
        for line in o.lines
    ]
    assert lines == [
        ("open", site.item_id("SOCK-S"), "SOCK-S", 2, None),
        ("fulfilled", site.item_id("HOOD"), "HOOD", 1, None),
    ]
    assert orders[0].raw["status"] == "processing"
