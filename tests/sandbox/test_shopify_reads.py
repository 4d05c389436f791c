"""The Shopify emulator answers reads like the Admin GraphQL API: auth, versions, pagination, filters."""

from __future__ import annotations

from datetime import timedelta

import httpx

from tests.sandbox.conftest import ShopifyHarness

VARIANTS_PAGE = """
query Page($first: Int!, $after: String) {
  productVariants(first: $first, after: $after) {
    edges { cursor node { id sku inventoryQuantity inventoryItem { id } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}
"""


def test_a_missing_or_wrong_token_gets_shopifys_401(shopify: ShopifyHarness) -> None:
    for headers in ({}, {"X-Shopify-Access-Token": "wrong"}):
        response = httpx.post(
            f"{shopify.server.base_url}/admin/api/2026-04/graphql.json",
            json={"query": "{ shop { name } }"},
            headers=headers,
        )
        assert response.status_code == 401
        assert response.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_both_pinned_versions_are_served_and_named_in_the_response(shopify: ShopifyHarness) -> None:
    for version in ("2026-04", "2026-07"):
        response = shopify.client.post(
            f"/admin/api/{version}/graphql.json", json={"query": "{ shop { name } }"}
        )
        assert response.status_code == 200
        assert response.headers["X-Shopify-API-Version"] == version
    old = shopify.client.post("/admin/api/2025-01/graphql.json", json={"query": "{ shop { name } }"})
    assert old.headers["X-Shopify-API-Version"] == "2026-04"  # removed versions fall forward
    assert (
        shopify.client.post("/admin/api/latest/graphql.json", json={"query": "{ shop { name } }"}).status_code
        == 404
    )


def test_documents_are_validated_against_the_real_schema(shopify: ShopifyHarness) -> None:
    body = shopify.gql("{ products(first: 1) { nodes { noSuchField } } }")
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "undefinedField"
    assert "noSuchField" in body["errors"][0]["message"]


def test_cursor_pagination_walks_every_variant_once(shopify: ShopifyHarness) -> None:
    seen: list[str] = []
    after = None
    pages = 0
    while True:
        page = shopify.gql(VARIANTS_PAGE, {"first": 2, "after": after})["data"]["productVariants"]
        seen += [edge["node"]["sku"] for edge in page["edges"]]
        pages += 1
        assert page["pageInfo"]["hasPreviousPage"] == (after is not None)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
        assert after == page["edges"][-1]["cursor"]
    assert sorted(seen) == ["MUG", "TEE-M", "TEE-S"]
    assert pages == 2


def test_page_size_over_250_and_missing_page_size_are_errors(shopify: ShopifyHarness) -> None:
    too_big = shopify.gql(VARIANTS_PAGE, {"first": 251})
    assert too_big["data"] is None
    assert "250" in too_big["errors"][0]["message"]
    missing = shopify.gql("{ products { nodes { id } } }")
    assert missing["errors"][0]["message"] == "you must provide one of first or last"


def test_levels_report_named_quantities_with_on_hand_derived(shopify: ShopifyHarness) -> None:
    query = """
    query($id: ID!) { inventoryItem(id: $id) { sku inventoryLevels(first: 5) { nodes {
        id location { name }
        quantities(names: ["available", "on_hand", "committed", "incoming"]) { name quantity }
    } } } }
    """
    item = shopify.gql(query, {"id": shopify.item_gid()})["data"]["inventoryItem"]
    levels = {lv["location"]["name"]: lv for lv in item["inventoryLevels"]["nodes"]}
    assert item["sku"] == "TEE-S"
    assert {q["name"]: q["quantity"] for q in levels["Shop location"]["quantities"]} == {
        "available": 5,
        "on_hand": 5,
        "committed": 0,
        "incoming": 0,
    }
    assert levels["Warehouse"]["id"].startswith("gid://shopify/InventoryLevel/")
    assert "?inventory_item_id=" in levels["Warehouse"]["id"]


def test_location_levels_and_variant_rollup(shopify: ShopifyHarness) -> None:
    query = """
    { locations(first: 5) { nodes { name inventoryLevels(first: 10) { nodes { item { sku } } } } }
      productVariants(first: 5, query: "sku:TEE-S") { nodes { sku inventoryQuantity } } }
    """
    data = shopify.gql(query)["data"]
    by_name = {loc["name"]: loc for loc in data["locations"]["nodes"]}
    assert sorted(n["item"]["sku"] for n in by_name["Warehouse"]["inventoryLevels"]["nodes"]) == ["TEE-S"]
    assert data["productVariants"]["nodes"] == [{"sku": "TEE-S", "inventoryQuantity": 7}]


def test_orders_filter_by_updated_at_and_sort(shopify: ShopifyHarness) -> None:
    first = shopify.client.post(
        "/_emulator/storefront/orders", json={"lines": [{"sku": "TEE-S", "quantity": 1}]}
    )
    assert first.status_code == 201
    cutoff = (shopify.clock.now() + timedelta(seconds=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    shopify.clock.advance(60)
    second = shopify.client.post(
        "/_emulator/storefront/orders", json={"lines": [{"sku": "TEE-M", "quantity": 1}]}
    )
    query = """
    query($q: String) { orders(first: 10, query: $q, sortKey: UPDATED_AT, reverse: true) {
      nodes { name updatedAt displayFulfillmentStatus lineItems(first: 5) { nodes { sku quantity } } } } }
    """
    everything = shopify.gql(query, {"q": None})["data"]["orders"]["nodes"]
    assert [o["name"] for o in everything] == [second.json()["name"], first.json()["name"]]
    recent = shopify.gql(query, {"q": f"updated_at:>'{cutoff}'"})["data"]["orders"]["nodes"]
    assert [o["name"] for o in recent] == [second.json()["name"]]
    assert recent[0]["lineItems"]["nodes"] == [{"sku": "TEE-M", "quantity": 1}]
    assert recent[0]["displayFulfillmentStatus"] == "UNFULFILLED"


def test_customers_are_listed(shopify: ShopifyHarness) -> None:
    data = shopify.gql(
        "{ customers(first: 5) { nodes { displayName defaultEmailAddress { emailAddress } } } }"
    )
    assert data["data"]["customers"]["nodes"] == [
        {"displayName": "Ada Lovelace", "defaultEmailAddress": {"emailAddress": "ada@example.com"}}
    ]


def test_node_and_nodes_resolve_any_supported_gid(shopify: ShopifyHarness) -> None:
    level_query = (
        """query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 1) { nodes { id } } } }"""
    )
    level_id = shopify.gql(level_query, {"id": shopify.item_gid()})["data"]["inventoryItem"][
        "inventoryLevels"
    ]
    query = """
    query($ids: [ID!]!) { nodes(ids: $ids) {
      __typename ... on InventoryItem { sku } ... on Location { name } ... on InventoryLevel { isActive } } }
    """
    ids = [shopify.item_gid(), shopify.location_gid(), level_id["nodes"][0]["id"], "gid://shopify/Product/1"]
    assert shopify.gql(query, {"ids": ids})["data"]["nodes"] == [
        {"__typename": "InventoryItem", "sku": "TEE-S"},
        {"__typename": "Location", "name": "Shop location"},
        {"__typename": "InventoryLevel", "isActive": True},
        None,
    ]


def test_a_cursor_survives_its_record_leaving_the_list(shopify: ShopifyHarness) -> None:
    query = """query($after: String) { products(first: 1, after: $after) { nodes { title } pageInfo { endCursor } } }"""
    first = shopify.gql(query, {"after": None})["data"]["products"]
    assert first["nodes"] == [{"title": "Tee"}]
    shopify.server.call(lambda: shopify.emulator.store.products.pop(min(shopify.emulator.store.products)))
    after = shopify.gql(query, {"after": first["pageInfo"]["endCursor"]})["data"]["products"]
    assert after["nodes"] == [{"title": "Mug"}]
