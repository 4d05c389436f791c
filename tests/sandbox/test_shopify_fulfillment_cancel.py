"""`fulfillmentCancel` on the emulator: the shipment is undone as Shopify undoes it. The units are
back on hand and committed to the order again, the order is unfulfilled again and its `updatedAt`
moves (a poll by `updated_at` finds it), and `fulfillments/update` goes out signed, carrying the
REST Fulfillment with `status: "cancelled"`. Mistakes are user errors that change nothing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from stockbridge.sandbox.shopify import DEFAULT_SECRET
from tests.sandbox.conftest import ShopifyHarness, WebhookReceiver
from tests.sandbox.test_shopify_webhooks import SUBSCRIBE, sell

CANCEL = """
mutation Cancel($id: ID!) {
  fulfillmentCancel(id: $id) {
    fulfillment { id status displayStatus fulfillmentLineItems(first: 5) { nodes { quantity } } }
    userErrors { field message }
  }
}
"""
ORDER = """
query Order($id: ID!) {
  order(id: $id) { updatedAt displayFulfillmentStatus fulfillments { id status } }
}
"""
LEVEL = """
query Level($item: ID!, $location: ID!) {
  inventoryItem(id: $item) {
    inventoryLevel(locationId: $location) { quantities(names: ["available", "committed", "on_hand"]) { name quantity } }
  }
}
"""


def _quantities(shopify: ShopifyHarness) -> dict[str, int]:
    data = shopify.gql(LEVEL, {"item": shopify.item_gid(), "location": shopify.location_gid()})
    level = data["data"]["inventoryItem"]["inventoryLevel"]
    return {q["name"]: q["quantity"] for q in level["quantities"]}


def _fulfil(shopify: ShopifyHarness, order: dict[str, Any]) -> dict[str, Any]:
    response = shopify.client.post(f"/_emulator/orders/{order['id']}/fulfill")
    assert response.status_code == 201, response.text
    fulfilment: dict[str, Any] = response.json()
    return fulfilment


def _cancel(shopify: ShopifyHarness, fulfilment_gid: str) -> dict[str, Any]:
    payload: dict[str, Any] = shopify.gql(CANCEL, {"id": fulfilment_gid})["data"]["fulfillmentCancel"]
    return payload


def test_cancelling_a_fulfilment_brings_its_units_back_committed_and_moves_the_order(
    shopify: ShopifyHarness,
) -> None:
    order = sell(shopify, quantity=2)  # 5 at the shop location: 3 available, 2 committed
    shopify.clock.advance(60)
    fulfilment = _fulfil(shopify, order)
    assert _quantities(shopify) == {"available": 3, "committed": 0, "on_hand": 3}
    shipped = shopify.gql(ORDER, {"id": order["admin_graphql_api_id"]})["data"]["order"]
    assert shipped["displayFulfillmentStatus"] == "FULFILLED"

    shopify.clock.advance(60)
    payload = _cancel(shopify, fulfilment["admin_graphql_api_id"])
    assert payload["userErrors"] == []
    assert payload["fulfillment"]["id"] == fulfilment["admin_graphql_api_id"]
    assert (payload["fulfillment"]["status"], payload["fulfillment"]["displayStatus"]) == (
        "CANCELLED",
        "CANCELED",
    )
    assert payload["fulfillment"]["fulfillmentLineItems"]["nodes"] == [{"quantity": 2}]  # kept
    assert _quantities(shopify) == {"available": 3, "committed": 2, "on_hand": 5}

    now = shopify.gql(ORDER, {"id": order["admin_graphql_api_id"]})["data"]["order"]
    assert now["updatedAt"] > shipped["updatedAt"]
    assert now["displayFulfillmentStatus"] == "UNFULFILLED"
    assert now["fulfillments"] == [{"id": fulfilment["admin_graphql_api_id"], "status": "CANCELLED"}]

    again = _fulfil(shopify, order)  # fulfillable again, as a new fulfilment
    assert again["id"] != fulfilment["id"]
    assert _quantities(shopify) == {"available": 3, "committed": 0, "on_hand": 3}


def test_fulfillments_update_is_signed_and_carries_the_cancelled_fulfilment(
    shopify: ShopifyHarness, receiver: WebhookReceiver
) -> None:
    for topic in ("FULFILLMENTS_CREATE", "FULFILLMENTS_UPDATE", "ORDERS_UPDATED"):
        created = shopify.gql(SUBSCRIBE, {"topic": topic, "uri": receiver.url})["data"]
        assert created["webhookSubscriptionCreate"]["userErrors"] == []
    order = sell(shopify, quantity=2)
    fulfilment = _fulfil(shopify, order)
    _cancel(shopify, fulfilment["admin_graphql_api_id"])
    shopify.server.drain_webhooks()

    [update] = [r for r in receiver.requests if r.headers["X-Shopify-Topic"] == "fulfillments/update"]
    digest = hmac.new(DEFAULT_SECRET.encode(), update.body, hashlib.sha256).digest()
    assert update.headers["X-Shopify-Hmac-Sha256"] == base64.b64encode(digest).decode()
    assert update.headers["X-Shopify-Event-Id"] and update.headers["X-Shopify-Webhook-Id"]
    body = json.loads(update.body)
    assert {
        k: body[k] for k in ("id", "admin_graphql_api_id", "order_id", "status", "location_id", "name")
    } == {
        "id": fulfilment["id"],
        "admin_graphql_api_id": fulfilment["admin_graphql_api_id"],
        "order_id": order["id"],
        "status": "cancelled",
        "location_id": fulfilment["location_id"],
        "name": fulfilment["name"],
    }
    assert [(li["id"], li["sku"], li["quantity"]) for li in body["line_items"]] == [
        (order["line_items"][0]["id"], "TEE-S", 2)
    ]
    assert body["updated_at"] >= body["created_at"]
    # The create and the update describe one fulfilment: the same fields, the status aside.
    [create] = [
        json.loads(r.body) for r in receiver.requests if r.headers["X-Shopify-Topic"] == "fulfillments/create"
    ]
    assert set(create) == set(body) and create["status"] == "success"
    orders_updated = [
        json.loads(r.body) for r in receiver.requests if r.headers["X-Shopify-Topic"] == "orders/updated"
    ]
    assert orders_updated[-1]["fulfillments"][0]["status"] == "cancelled"
    assert orders_updated[-1]["fulfillment_status"] is None


def test_unknown_or_already_cancelled_fulfilments_are_user_errors_that_change_nothing(
    shopify: ShopifyHarness,
) -> None:
    order = sell(shopify, quantity=1)
    fulfilment = _fulfil(shopify, order)
    assert _cancel(shopify, fulfilment["admin_graphql_api_id"])["userErrors"] == []
    before = _quantities(shopify)

    twice = _cancel(shopify, fulfilment["admin_graphql_api_id"])
    unknown = _cancel(shopify, "gid://shopify/Fulfillment/1")
    for payload in (twice, unknown):
        assert payload["fulfillment"] is None
        [error] = payload["userErrors"]
        assert error["field"] == ["id"] and error["message"]
    assert _quantities(shopify) == before
