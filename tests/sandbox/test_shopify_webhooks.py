"""Shop activity reaches subscribers as signed Shopify webhooks with REST-style payloads."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from stockbridge.sandbox.shopify import DEFAULT_SECRET
from tests.sandbox.conftest import ShopifyHarness, WebhookReceiver, running_shopify

SUBSCRIBE = """
mutation Sub($topic: WebhookSubscriptionTopic!, $uri: String!) {
  webhookSubscriptionCreate(topic: $topic, webhookSubscription: {uri: $uri}) {
    webhookSubscription { id topic uri }
    userErrors { field message }
  }
}
"""
TOPICS = (
    "ORDERS_CREATE",
    "ORDERS_UPDATED",
    "ORDERS_CANCELLED",
    "REFUNDS_CREATE",
    "FULFILLMENTS_CREATE",
    "INVENTORY_LEVELS_UPDATE",
    "PRODUCTS_UPDATE",
)


def subscribe_all(shop: ShopifyHarness, receiver: WebhookReceiver) -> None:
    for topic in TOPICS:
        payload = shop.gql(SUBSCRIBE, {"topic": topic, "uri": receiver.url})["data"][
            "webhookSubscriptionCreate"
        ]
        assert payload["userErrors"] == []
        assert payload["webhookSubscription"]["topic"] == topic


def bodies(receiver: WebhookReceiver, topic: str) -> list[dict[str, Any]]:
    return [json.loads(r.body) for r in receiver.requests if r.headers["X-Shopify-Topic"] == topic]


def sell(shop: ShopifyHarness, sku: str = "TEE-S", quantity: int = 2) -> dict[str, Any]:
    response = shop.client.post(
        "/_emulator/storefront/orders",
        json={"lines": [{"sku": sku, "quantity": quantity}], "email": "ada@example.com"},
    )
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_a_storefront_sale_commits_stock_and_emits_signed_webhooks(
    shopify: ShopifyHarness, receiver: WebhookReceiver
) -> None:
    subscribe_all(shopify, receiver)
    order = sell(shopify)
    shopify.server.drain_webhooks()
    assert sorted(receiver.topics()) == ["inventory_levels/update", "orders/create"]
    for request in receiver.requests:
        expected = base64.b64encode(hmac.new(DEFAULT_SECRET.encode(), request.body, hashlib.sha256).digest())
        assert request.headers["X-Shopify-Hmac-Sha256"] == expected.decode()
        assert request.headers["X-Shopify-Shop-Domain"] == "stockbridge-sandbox.myshopify.com"
        assert request.headers["X-Shopify-API-Version"] == "2026-04"
        for name in ("X-Shopify-Webhook-Id", "X-Shopify-Event-Id", "X-Shopify-Triggered-At"):
            assert request.headers[name]
    created = bodies(receiver, "orders/create")[0]
    assert created["id"] == order["id"]
    assert created["admin_graphql_api_id"] == f"gid://shopify/Order/{order['id']}"
    assert created["line_items"][0]["sku"] == "TEE-S"
    assert created["line_items"][0]["quantity"] == 2
    assert isinstance(created["total_price"], str)
    level = bodies(receiver, "inventory_levels/update")[0]
    assert level["available"] == 3  # Shop location had 5
    assert set(level) == {
        "inventory_item_id",
        "location_id",
        "available",
        "updated_at",
        "admin_graphql_api_id",
    }


def test_selling_more_than_available_is_refused(shopify: ShopifyHarness) -> None:
    response = shopify.client.post(
        "/_emulator/storefront/orders", json={"lines": [{"sku": "MUG", "quantity": 1}]}
    )
    assert response.status_code == 409
    assert response.json()["error"] == "OUT_OF_STOCK"


def test_cancel_fulfil_refund_emit_their_topics_and_move_stock(
    shopify: ShopifyHarness, receiver: WebhookReceiver
) -> None:
    subscribe_all(shopify, receiver)
    cancelled = sell(shopify)
    assert shopify.client.post(f"/_emulator/orders/{cancelled['id']}/cancel", json={}).status_code == 200
    kept = sell(shopify, quantity=1)
    assert shopify.client.post(f"/_emulator/orders/{kept['id']}/fulfill").status_code == 201
    line = kept["line_items"][0]["id"]
    refund = shopify.client.post(f"/_emulator/orders/{kept['id']}/refund", json={"lines": {str(line): 1}})
    assert refund.status_code == 201
    shopify.server.drain_webhooks()
    topics = set(receiver.topics())
    assert {"orders/cancelled", "orders/updated", "fulfillments/create", "refunds/create"} <= topics
    assert bodies(receiver, "orders/cancelled")[0]["cancelled_at"] is not None
    assert bodies(receiver, "refunds/create")[0]["refund_line_items"][0]["restock_type"] == "return"
    state = shopify.client.get("/_emulator/state").json()
    shop_level = next(
        lv
        for lv in state["inventory_levels"]
        if lv["available"] is not None
        and lv["location_id"] == state["locations"][0]["id"]
        and lv["inventory_item_id"] == shopify.seeded["products"][0]["variants"][0]["inventory_item_id"]
    )
    # 5 - 2 (cancelled, restocked) - 1 (fulfilled) + 1 (refund restocked) = 5; committed back to 0
    assert shop_level["quantities"]["available"] == 5
    assert shop_level["quantities"]["committed"] == 0


def test_a_product_edit_emits_products_update(shopify: ShopifyHarness, receiver: WebhookReceiver) -> None:
    subscribe_all(shopify, receiver)
    product_id = shopify.seeded["products"][0]["id"]
    assert (
        shopify.client.patch(f"/_emulator/products/{product_id}", json={"title": "Tee v2"}).status_code == 200
    )
    shopify.server.drain_webhooks()
    update = bodies(receiver, "products/update")[0]
    assert update["title"] == "Tee v2"
    assert [v["sku"] for v in update["variants"]] == ["TEE-S", "TEE-M"]


def test_duplicated_webhooks_share_the_event_id_but_not_the_webhook_id(
    shopify: ShopifyHarness, receiver: WebhookReceiver
) -> None:
    subscribe_all(shopify, receiver)
    shopify.client.post("/_emulator/faults", json={"webhook_duplicate_rate": 1.0})
    sell(shopify)
    shopify.server.drain_webhooks()
    created = [r for r in receiver.requests if r.headers["X-Shopify-Topic"] == "orders/create"]
    assert len(created) == 2
    assert created[0].headers["X-Shopify-Event-Id"] == created[1].headers["X-Shopify-Event-Id"]
    assert created[0].headers["X-Shopify-Webhook-Id"] != created[1].headers["X-Shopify-Webhook-Id"]
    assert created[0].body == created[1].body
    assert shopify.client.get("/_emulator/counters").json()["webhooks_duplicated"] == 2


def test_dropped_webhooks_are_counted_not_sent(shopify: ShopifyHarness, receiver: WebhookReceiver) -> None:
    subscribe_all(shopify, receiver)
    shopify.client.post("/_emulator/faults", json={"webhook_drop_rate": 1.0})
    sell(shopify)
    shopify.server.drain_webhooks()
    assert receiver.requests == []
    assert shopify.client.get("/_emulator/counters").json()["webhooks_dropped"] == 2


def test_a_held_back_webhook_is_overtaken_by_the_next_one(
    shopify: ShopifyHarness, receiver: WebhookReceiver
) -> None:
    shopify.client.post("/_emulator/webhooks", json={"topic": "orders/create", "url": receiver.url})
    shopify.client.post("/_emulator/faults", json={"webhook_reorder_rate": 1.0})
    first = sell(shopify, quantity=1)
    shopify.client.post("/_emulator/faults", json={"webhook_reorder_rate": 0.0})
    second = sell(shopify, quantity=1)
    shopify.server.drain_webhooks()
    sent_order = [json.loads(r.body)["id"] for r in receiver.requests]
    logged = shopify.emulator.webhooks.log
    assert sorted(sent_order) == sorted([first["id"], second["id"]])
    assert len({rec.event_id for rec in logged}) == 2
    assert shopify.emulator.counters.get("webhooks_reordered") == 1
    # The log records sends in the order they were started: the second order went first.
    first_event = next(
        r.headers["X-Shopify-Event-Id"] for r in receiver.requests if json.loads(r.body)["id"] == first["id"]
    )
    assert logged[-1].event_id == first_event


def test_failed_deliveries_are_retried_on_the_configured_schedule(receiver: WebhookReceiver) -> None:
    slept: list[float] = []

    async def fast_sleep(seconds: float) -> None:
        slept.append(seconds)

    with running_shopify(webhook_retry_delays=(60.0, 120.0), sleep=fast_sleep) as shop:
        shop.client.post("/_emulator/webhooks", json={"topic": "orders/create", "url": receiver.url})
        receiver.status = 503
        sell(shop, quantity=1)
        shop.server.drain_webhooks()
        assert len(receiver.requests) == 3
        assert len({r.headers["X-Shopify-Webhook-Id"] for r in receiver.requests}) == 1
        assert slept == [60.0, 120.0]
        assert shop.emulator.counters.get("webhooks_retried") == 2


def test_delayed_webhooks_wait_on_the_injected_sleep(receiver: WebhookReceiver) -> None:
    slept: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)

    with running_shopify(sleep=recording_sleep) as shop:
        shop.client.post("/_emulator/webhooks", json={"topic": "orders/create", "url": receiver.url})
        shop.client.post("/_emulator/faults", json={"webhook_delay_ms": 1500})
        sell(shop, quantity=1)
        shop.server.drain_webhooks()
        assert slept == [1.5]
        assert receiver.topics() == ["orders/create"]
        assert shop.emulator.counters.get("webhooks_delayed") == 1
