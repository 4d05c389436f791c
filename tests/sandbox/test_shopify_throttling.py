"""Shopify's cost model: `extensions.cost` on every answer and a leaky bucket that throttles."""

from __future__ import annotations

from tests.sandbox.conftest import ShopifyHarness, running_shopify

# Requested: 2 + m(10) x 2 = 10, where Shopify charges m(10) = 4 nodes for a page of 10 (captured).
PAGE = "{ productVariants(first: 10) { nodes { id inventoryItem { id } } } }"


def test_every_answer_reports_requested_and_actual_cost(shopify: ShopifyHarness) -> None:
    cost = shopify.gql(PAGE)["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 10
    assert cost["actualQueryCost"] == 2 + 3 * 2  # three variants came back; the rest is refunded
    assert cost["throttleStatus"] == {
        "maximumAvailable": 2000,
        "currentlyAvailable": 2000 - 8,
        "restoreRate": 100,
    }


def test_an_empty_bucket_throttles_without_executing_and_refills_with_time() -> None:
    with running_shopify(bucket_size=30, restore_rate=10) as shop:
        statuses = [
            shop.gql(PAGE)["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] for _ in range(3)
        ]
        assert statuses == [22, 14, 6]  # each call holds 10 then refunds 2
        throttled = shop.gql(PAGE)
        assert "data" not in throttled
        assert throttled["errors"] == [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
        assert throttled["extensions"]["cost"]["actualQueryCost"] is None
        assert throttled["extensions"]["cost"]["requestedQueryCost"] == 10
        assert shop.emulator.counters.get("shopify_throttled") == 1
        shop.clock.advance(0.3)  # 6 + 3 restored, 10 needed
        assert "data" not in shop.gql(PAGE)
        shop.clock.advance(0.1)
        assert shop.gql(PAGE)["data"]["productVariants"]["nodes"]


def test_hard_throttle_fault_throttles_every_request(shopify: ShopifyHarness) -> None:
    shopify.client.post("/_emulator/faults", json={"hard_throttle": True})
    assert shopify.gql(PAGE)["errors"][0]["extensions"]["code"] == "THROTTLED"
    shopify.client.post("/_emulator/faults", json={"hard_throttle": False})
    assert "data" in shopify.gql(PAGE)


def test_requested_cost_charges_big_pages_sub_linearly_as_captured() -> None:
    from stockbridge.sandbox.shopify.cost import requested_multiplier

    assert [requested_multiplier(n) for n in (1, 5, 10, 250)] == [1, 3, 4, 11]
    assert requested_multiplier(100) == 10


def test_a_query_over_1000_points_is_refused(shopify: ShopifyHarness) -> None:
    query = """{ products(first: 250) { nodes { variants(first: 250) { nodes {
      inventoryItem { inventoryLevels(first: 250) { nodes { location { id } } } } } } } } }"""
    body = shopify.gql(query)
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"
    assert "exceeds the single query max cost limit (1000)" in body["errors"][0]["message"]


def test_the_bucket_can_be_resized_at_runtime(shopify: ShopifyHarness) -> None:
    resized = shopify.client.post("/_emulator/throttle", json={"bucket_size": 8, "restore_rate": 1000})
    assert resized.json() == {"maximumAvailable": 8, "currentlyAvailable": 8, "restoreRate": 1000}
    assert shopify.gql(PAGE)["errors"][0]["extensions"]["code"] == "THROTTLED"  # 10 > 8
    assert shopify.client.post("/_emulator/throttle", json={"bucket_size": 0}).status_code == 400
