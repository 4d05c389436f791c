"""The emulator reads an order's fulfilments and refunds as the Admin GraphQL API does, and moves
the order's `updatedAt` when one is added, so a poll by `updated_at` finds them."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import ShopifyHarness

ORDER_MOVEMENTS = """
query Movements($q: String) {
  orders(first: 10, query: $q, sortKey: UPDATED_AT) {
    nodes {
      id updatedAt displayFulfillmentStatus displayFinancialStatus
      lineItems(first: 5) { nodes { id sku quantity currentQuantity } }
      fulfillments {
        id name status displayStatus totalQuantity createdAt location { id }
        fulfillmentLineItems(first: 5) {
          nodes { id quantity lineItem { id sku } }
          pageInfo { hasNextPage endCursor }
        }
      }
      refunds {
        id createdAt totalRefundedSet { shopMoney { amount } }
        refundLineItems(first: 5) {
          nodes { quantity restockType restocked location { id } lineItem { id sku } }
          pageInfo { hasNextPage endCursor }
        }
      }
    }
  }
}
"""


def _order(shopify: ShopifyHarness, lines: list[dict[str, Any]]) -> dict[str, Any]:
    response = shopify.client.post("/_emulator/storefront/orders", json={"lines": lines})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def _admin(shopify: ShopifyHarness, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = shopify.client.post(path, json=body)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def _since(shopify: ShopifyHarness, moment: str) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = shopify.gql(ORDER_MOVEMENTS, {"q": f"updated_at:>'{moment}'"})["data"][
        "orders"
    ]["nodes"]
    return nodes


def test_fulfilments_and_refunds_are_read_with_their_lines_and_move_updated_at(
    shopify: ShopifyHarness,
) -> None:
    order = _order(shopify, [{"sku": "TEE-S", "quantity": 3}])
    line_id = order["line_items"][0]["id"]
    placed = shopify.gql(ORDER_MOVEMENTS)["data"]["orders"]["nodes"][0]
    assert (placed["fulfillments"], placed["refunds"]) == ([], [])

    shopify.clock.advance(60)
    _admin(shopify, f"/_emulator/orders/{order['id']}/refund", {"lines": {str(line_id): 1}})  # unshipped
    shopify.clock.advance(60)
    fulfilment = _admin(shopify, f"/_emulator/orders/{order['id']}/fulfill", {})
    shopify.clock.advance(60)
    _admin(shopify, f"/_emulator/orders/{order['id']}/refund", {"lines": {str(line_id): 1}})  # shipped

    [read] = _since(shopify, placed["updatedAt"])  # a later updated_at finds the order again
    assert read["updatedAt"] > placed["updatedAt"]
    assert (read["displayFulfillmentStatus"], read["displayFinancialStatus"]) == (
        "FULFILLED",
        "PARTIALLY_REFUNDED",
    )
    [shipped] = read["fulfillments"]
    line_gid = f"gid://shopify/LineItem/{line_id}"
    assert shipped["id"] == fulfilment["admin_graphql_api_id"]
    assert (shipped["status"], shipped["displayStatus"], shipped["totalQuantity"]) == (
        "SUCCESS",
        "FULFILLED",
        2,
    )
    assert shipped["location"]["id"] == f"gid://shopify/Location/{fulfilment['location_id']}"
    assert [(n["quantity"], n["lineItem"]) for n in shipped["fulfillmentLineItems"]["nodes"]] == [
        (2, {"id": line_gid, "sku": "TEE-S"})
    ]
    # The first refund stays a cancel although the line was shipped since: its type was fixed then.
    kinds = [
        [(n["restockType"], n["quantity"], n["restocked"]) for n in r["refundLineItems"]["nodes"]]
        for r in read["refunds"]
    ]
    assert kinds == [[("CANCEL", 1, True)], [("RETURN", 1, True)]]
    assert all(
        n["location"]["id"] == shipped["location"]["id"]
        for r in read["refunds"]
        for n in r["refundLineItems"]["nodes"]
    )
    assert read["lineItems"]["nodes"] == [
        {"id": line_gid, "sku": "TEE-S", "quantity": 3, "currentQuantity": 1}
    ]


def test_the_webhooks_and_the_graphql_read_agree_on_ids_and_restock_types(shopify: ShopifyHarness) -> None:
    order = _order(shopify, [{"sku": "TEE-S", "quantity": 2}])
    line_id = order["line_items"][0]["id"]
    _admin(shopify, f"/_emulator/orders/{order['id']}/refund", {"lines": {str(line_id): 1}, "restock": False})
    refund = _admin(shopify, f"/_emulator/orders/{order['id']}/refund", {"lines": {str(line_id): 1}})
    [read] = shopify.gql(ORDER_MOVEMENTS)["data"]["orders"]["nodes"]
    assert [r["id"] for r in read["refunds"]][1] == refund["admin_graphql_api_id"]
    rest = [(n["restockType"], n["location"]) for r in read["refunds"] for n in r["refundLineItems"]["nodes"]]
    assert rest == [
        ("NO_RESTOCK", None),
        ("CANCEL", {"id": f"gid://shopify/Location/{refund['refund_line_items'][0]['location_id']}"}),
    ]
    assert refund["refund_line_items"][0]["restock_type"] == "cancel"


def test_fulfilments_and_refunds_are_found_by_id_and_their_lines_page(shopify: ShopifyHarness) -> None:
    order = _order(shopify, [{"sku": "TEE-S", "quantity": 1}, {"sku": "TEE-M", "quantity": 1}])
    fulfilment = _admin(shopify, f"/_emulator/orders/{order['id']}/fulfill", {})
    lines = {str(li["id"]): 1 for li in order["line_items"]}
    refund = _admin(shopify, f"/_emulator/orders/{order['id']}/refund", {"lines": lines})
    query = """
    query($f: ID!, $r: ID!, $after: String) {
      fulfillment(id: $f) { id fulfillmentLineItems(first: 1, after: $after) {
        nodes { lineItem { sku } } pageInfo { hasNextPage endCursor } } }
      refund(id: $r) { id refundLineItems(first: 1) { nodes { lineItem { sku } } pageInfo { hasNextPage } } }
      nodes(ids: [$f, $r]) { __typename id }
    }
    """
    ids = {"f": fulfilment["admin_graphql_api_id"], "r": refund["admin_graphql_api_id"]}
    data = shopify.gql(query, {**ids, "after": None})["data"]
    first = data["fulfillment"]["fulfillmentLineItems"]
    assert (first["nodes"], first["pageInfo"]["hasNextPage"]) == ([{"lineItem": {"sku": "TEE-S"}}], True)
    assert data["refund"]["refundLineItems"]["pageInfo"]["hasNextPage"] is True
    assert data["nodes"] == [
        {"__typename": "Fulfillment", "id": ids["f"]},
        {"__typename": "Refund", "id": ids["r"]},
    ]
    after = first["pageInfo"]["endCursor"]
    rest = shopify.gql(query, {**ids, "after": after})["data"]["fulfillment"]["fulfillmentLineItems"]
    assert (rest["nodes"], rest["pageInfo"]["hasNextPage"]) == ([{"lineItem": {"sku": "TEE-M"}}], False)
    unknown = shopify.gql(query, {"f": "gid://shopify/Fulfillment/1", "r": "gid://shopify/Refund/1"})
    assert (unknown["data"]["fulfillment"], unknown["data"]["refund"]) == (None, None)
