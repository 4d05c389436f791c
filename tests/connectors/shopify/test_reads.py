"""Reading the emulated shop over real sockets: check, locations, variants, levels, orders."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stockbridge.connectors.base import OrderCursor, RemoteLevel
from stockbridge.connectors.errors import AuthError, PermanentError
from stockbridge.connectors.shopify import ShopifyConnector
from stockbridge.connectors.testing import collect
from tests.connectors.shopify.conftest import Shop, running_shop

pytestmark = pytest.mark.anyio


async def test_check_passes_with_the_right_token_and_shop(connector: ShopifyConnector) -> None:
    await connector.check()


async def test_check_with_a_wrong_token_is_an_auth_error_without_retries(shop: Shop) -> None:
    bad = shop.connector(access_token="shpat_wrong")
    with pytest.raises(AuthError) as caught:
        await bad.check()
    assert caught.value.status == 401
    assert "shpat_wrong" not in repr(caught.value.as_dict())
    assert shop.emulator.counters.get("shopify_unauthorized") == 1
    await bad.aclose()


async def test_check_refuses_a_token_of_another_shop(shop: Shop) -> None:
    other = shop.connector(shop_domain="someone-else.myshopify.com")
    with pytest.raises(PermanentError, match="someone-else"):
        await other.check()
    await other.aclose()


async def test_locations_come_with_gids_names_and_activity_across_pages(shop: Shop) -> None:
    connector = shop.connector(location_page_size=1)
    locations = await collect(connector.locations())
    assert shop.emulator.counters.get("graphql_query:locations") == 2
    await connector.aclose()
    assert {loc.name for loc in locations} == {"Shop location", "Warehouse"}
    assert {loc.location_id for loc in locations} == {
        shop.location("Shop location"),
        shop.location("Warehouse"),
    }
    assert all(loc.active for loc in locations)


async def test_variants_carry_inventory_item_ids_and_skus_across_pages(shop: Shop) -> None:
    connector = shop.connector(variant_page_size=2)  # 5 variants: three pages
    variants = await collect(connector.variants())
    assert [v.sku for v in variants] == ["TEE-S", "TEE-M", "TEE-L", "MUG", "CAP"]
    assert all(v.item_id == shop.item(v.sku or "") for v in variants)
    assert all(v.variant_id and v.variant_id.startswith("gid://shopify/ProductVariant/") for v in variants)
    assert all(v.product_id and v.updated_at is not None and v.tracked for v in variants)
    assert shop.emulator.counters.get("graphql_query:productVariants") == 3
    await connector.aclose()


def level_map(levels: list[RemoteLevel]) -> dict[tuple[str, str | None], int]:
    return {(lv.item_id, lv.location_id): lv.available for lv in levels}


async def test_levels_page_through_items_and_continue_items_with_more_locations(shop: Shop) -> None:
    # Two items per page, one level inline per item: TEE-S and TEE-L need their own continuation.
    connector = shop.connector(item_page_size=2, levels_per_item=1)
    levels = level_map(await collect(connector.levels()))
    shop_loc, warehouse = shop.location("Shop location"), shop.location("Warehouse")
    assert levels == {
        (shop.item("TEE-S"), shop_loc): 5,
        (shop.item("TEE-S"), warehouse): 2,
        (shop.item("TEE-M"), shop_loc): 3,
        (shop.item("TEE-L"), shop_loc): 4,
        (shop.item("TEE-L"), warehouse): 1,
        (shop.item("MUG"), shop_loc): 9,
        (shop.item("CAP"), warehouse): 6,
    }
    assert shop.emulator.counters.get("graphql_query:inventoryItems") == 3
    assert shop.emulator.counters.get("graphql_query:inventoryItem") == 2
    await connector.aclose()


async def test_levels_for_given_items_only_and_unknown_ids_are_skipped(
    shop: Shop, connector: ShopifyConnector
) -> None:
    wanted = [shop.item("TEE-S"), shop.item("CAP"), "gid://shopify/InventoryItem/1"]
    levels = level_map(await collect(connector.levels(wanted)))
    assert levels == {
        (shop.item("TEE-S"), shop.location("Shop location")): 5,
        (shop.item("TEE-S"), shop.location("Warehouse")): 2,
        (shop.item("CAP"), shop.location("Warehouse")): 6,
    }


async def test_orders_follow_the_updated_at_cursor_with_ties_deduplicated(shop: Shop) -> None:
    connector = shop.connector(order_page_size=2)
    shop_loc = shop.location("Shop location")
    first = await shop.sell(shop.item("MUG"), shop_loc, 1)
    second = await shop.sell(shop.item("TEE-S"), shop_loc, 2)  # same instant as the first
    page, cursor = await connector.orders(OrderCursor(), limit=1)
    assert [o.order_id for o in page] == [first["admin_graphql_api_id"]]
    assert cursor.seen == {first["admin_graphql_api_id"]}
    page, cursor = await connector.orders(cursor, limit=10)  # the tie at the same instant still comes
    assert [o.order_id for o in page] == [second["admin_graphql_api_id"]]
    assert cursor.seen == {first["admin_graphql_api_id"], second["admin_graphql_api_id"]}
    assert (await connector.orders(cursor))[0] == []  # nothing new

    shop.clock.advance(90)
    third = await shop.sell(shop.item("TEE-M"), shop_loc, 1)
    page, later = await connector.orders(cursor)
    assert [o.order_id for o in page] == [third["admin_graphql_api_id"]]
    assert later.updated_after is not None and cursor.updated_after is not None
    assert later.updated_after - cursor.updated_after == timedelta(seconds=90)
    assert later.seen == {third["admin_graphql_api_id"]}
    [line] = page[0].lines
    assert (line.item_id, line.sku, line.quantity) == (shop.item("TEE-M"), "TEE-M", 1)
    assert page[0].status == "open"
    await connector.aclose()


async def test_a_cancelled_order_reappears_after_the_cursor_with_its_new_status(shop: Shop) -> None:
    connector = shop.connector()
    order = await shop.sell(shop.item("MUG"), shop.location("Shop location"), 1)
    _, cursor = await connector.orders(OrderCursor())
    shop.clock.advance(5)
    await shop.admin(f"/_emulator/orders/{order['id']}/cancel", {"restock": True})
    page, _ = await connector.orders(cursor)
    assert [(o.order_id, o.status) for o in page] == [(order["admin_graphql_api_id"], "cancelled")]
    await connector.aclose()


async def test_orders_with_more_lines_than_a_page_are_completed() -> None:
    spec = {
        "locations": ["Shop location"],
        "products": [
            {"title": f"P{n}", "variants": [{"sku": f"SKU-{n}", "available": {"Shop location": 5}}]}
            for n in range(5)
        ],
    }
    async with running_shop(spec) as shop:
        connector = shop.connector(lines_per_order=2)
        lines = [{"sku": f"SKU-{n}", "quantity": 1} for n in range(5)]
        await shop.admin("/_emulator/storefront/orders", {"lines": lines})
        [order], _ = await connector.orders(OrderCursor())
        assert sorted(line.sku or "" for line in order.lines) == [f"SKU-{n}" for n in range(5)]
        assert shop.emulator.counters.get("graphql_query:order") == 1  # 2 inline, 3 in one continuation
        await connector.aclose()


async def test_an_order_comes_with_its_fulfilments_and_refunds_read_whole() -> None:
    """Fulfilments and refunds move the order's updated_at, so the cursor finds the order again;
    their lines are continued past a page like the order's own, and `raw` holds them all."""
    spec = {
        "locations": ["Shop location"],
        "products": [
            {"title": f"P{n}", "variants": [{"sku": f"SKU-{n}", "available": {"Shop location": 5}}]}
            for n in range(5)
        ],
    }
    async with running_shop(spec) as shop:
        connector = shop.connector(lines_per_order=2)
        placed = await shop.admin(
            "/_emulator/storefront/orders", {"lines": [{"sku": f"SKU-{n}", "quantity": 2} for n in range(5)]}
        )
        [order], cursor = await connector.orders(OrderCursor())
        assert (order.raw["fulfillments"], order.raw["refunds"]) == ([], [])

        shop.clock.advance(30)
        fulfilment = await shop.admin(f"/_emulator/orders/{placed['id']}/fulfill", {})
        lines = {str(li["id"]): 1 for li in placed["line_items"][:3]}
        refund = await shop.admin(f"/_emulator/orders/{placed['id']}/refund", {"lines": lines})
        [again], _ = await connector.orders(cursor)

        assert again.order_id == order.order_id and again.updated_at > order.updated_at
        [shipped] = again.raw["fulfillments"]
        assert (shipped["id"], shipped["status"]) == (fulfilment["admin_graphql_api_id"], "SUCCESS")
        shipped_lines = shipped["fulfillmentLineItems"]
        assert [(n["lineItem"]["sku"], n["quantity"]) for n in shipped_lines["nodes"]] == [
            (f"SKU-{n}", 2) for n in range(5)
        ]
        assert shipped_lines["pageInfo"]["hasNextPage"] is False
        [refunded] = again.raw["refunds"]
        assert refunded["id"] == refund["admin_graphql_api_id"]
        assert [
            (n["lineItem"]["sku"], n["quantity"], n["restockType"])
            for n in refunded["refundLineItems"]["nodes"]
        ] == [(f"SKU-{n}", 1, "RETURN") for n in range(3)]
        assert len(again.raw["lineItems"]["nodes"]) == 5 and len(again.lines) == 5
        counters = shop.emulator.counters
        assert (counters.get("graphql_query:fulfillment"), counters.get("graphql_query:refund")) == (1, 1)
        await connector.aclose()


async def test_order_versions_list_ids_and_times_by_the_cursor_up_to_until(shop: Shop) -> None:
    connector = shop.connector()
    shop_loc = shop.location("Shop location")
    first = await shop.sell(shop.item("MUG"), shop_loc, 1)
    second = await shop.sell(shop.item("TEE-S"), shop_loc, 2)  # same instant as the first
    shop.clock.advance(30)
    third = await shop.sell(shop.item("TEE-M"), shop_loc, 1)
    start = shop.clock.now()
    listed, cursor = await connector.order_versions(OrderCursor(), until=start - timedelta(seconds=10))
    ids = [first["admin_graphql_api_id"], second["admin_graphql_api_id"]]
    assert [order_id for order_id, _ in listed] == ids  # the third is too recent
    assert cursor == OrderCursor(start - timedelta(seconds=30), frozenset(ids))
    rest, cursor = await connector.order_versions(cursor)
    assert rest == [(third["admin_graphql_api_id"], start)]
    assert (await connector.order_versions(cursor))[0] == []  # nothing new
    assert shop.emulator.counters.get("graphql_query:orders") == 3
    await connector.aclose()


async def test_read_orders_reads_the_named_orders_whole_and_leaves_out_unknown_ids(shop: Shop) -> None:
    connector = shop.connector(order_page_size=1)  # one order per request
    shop_loc = shop.location("Shop location")
    mug = await shop.sell(shop.item("MUG"), shop_loc, 1)
    tee = await shop.sell(shop.item("TEE-S"), shop_loc, 2)
    await shop.admin(f"/_emulator/orders/{tee['id']}/fulfill", {})
    orders = await connector.read_orders(
        [tee["admin_graphql_api_id"], "gid://shopify/Order/1", str(mug["id"])]
    )
    assert [o.order_id for o in orders] == [tee["admin_graphql_api_id"], mug["admin_graphql_api_id"]]
    [line] = orders[0].lines
    assert (line.item_id, line.sku, line.quantity) == (shop.item("TEE-S"), "TEE-S", 2)
    assert [f["status"] for f in orders[0].raw["fulfillments"]] == ["SUCCESS"]
    assert shop.emulator.counters.get("graphql_query:nodes") == 3
    await connector.aclose()
