"""WooCommerce webhooks: created over REST, delivered with WooCommerce's signed headers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import httpx

from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET
from tests.sandbox.conftest import WebhookReceiver, WooHarness

TLS = {"X-Forwarded-Proto": "https"}


def create_webhook(woo: WooHarness, topic: str, url: str, secret: str) -> None:
    response = httpx.post(
        f"{woo.base_url}/wp-json/wc/v3/webhooks",
        auth=(DEFAULT_KEY, DEFAULT_SECRET),
        headers=TLS,
        json={"name": topic, "topic": topic, "delivery_url": url, "secret": secret},
    )
    assert response.status_code == 201
    assert response.json()["status"] == "active"


def test_order_and_product_webhooks_are_signed_with_the_webhook_secret(
    woo: WooHarness, receiver: WebhookReceiver
) -> None:
    create_webhook(woo, "order.created", receiver.url, "s3cret")
    create_webhook(woo, "product.updated", receiver.url, "s3cret")
    sale = httpx.post(
        f"{woo.base_url}/_emulator/storefront/orders", json={"lines": [{"sku": "HOOD", "quantity": 1}]}
    )
    assert sale.status_code == 201
    hood = woo.product_id("HOOD")
    woo.api().put(f"products/{hood}", {"stock_quantity": 9})
    woo.server.drain_webhooks()
    assert sorted(receiver.topics()) == ["order.created", "product.updated"]
    for request in receiver.requests:
        digest = hmac.new(b"s3cret", request.body, hashlib.sha256).digest()
        assert request.headers["X-WC-Webhook-Signature"] == base64.b64encode(digest).decode()
        assert request.headers["X-WC-Webhook-Source"] == "http://stockbridge-sandbox.test/"
        assert request.headers["X-WC-Webhook-Resource"] in ("order", "product")
        assert request.headers["X-WC-Webhook-ID"]
        assert len(request.headers["X-WC-Webhook-Delivery-ID"]) == 32
        assert request.headers["User-Agent"].startswith("WooCommerce/")
    order = json.loads(
        next(r.body for r in receiver.requests if r.headers["X-WC-Webhook-Topic"] == "order.created")
    )
    assert order["id"] == sale.json()["id"]
    assert order["line_items"][0]["sku"] == "HOOD"
    product = json.loads(
        next(r.body for r in receiver.requests if r.headers["X-WC-Webhook-Topic"] == "product.updated")
    )
    assert product["stock_quantity"] == 9


def test_a_deleted_webhook_stops_delivering(woo: WooHarness, receiver: WebhookReceiver) -> None:
    create_webhook(woo, "order.created", receiver.url, "x")
    hooks = httpx.get(
        f"{woo.base_url}/wp-json/wc/v3/webhooks", auth=(DEFAULT_KEY, DEFAULT_SECRET), headers=TLS
    )
    hook_id = hooks.json()[0]["id"]
    deleted = httpx.delete(
        f"{woo.base_url}/wp-json/wc/v3/webhooks/{hook_id}", auth=(DEFAULT_KEY, DEFAULT_SECRET), headers=TLS
    )
    assert deleted.status_code == 200
    httpx.post(
        f"{woo.base_url}/_emulator/storefront/orders", json={"lines": [{"sku": "HOOD", "quantity": 1}]}
    )
    woo.server.drain_webhooks()
    assert receiver.requests == []


def test_a_webhook_failing_more_than_five_times_in_a_row_is_disabled(
    woo: WooHarness, receiver: WebhookReceiver
) -> None:
    create_webhook(woo, "order.created", receiver.url, "x")
    woo.api().put(f"products/{woo.product_id('HOOD')}", {"stock_quantity": 100})
    receiver.status = 500
    for _ in range(8):
        sale = {"lines": [{"sku": "HOOD", "quantity": 1}]}
        assert httpx.post(f"{woo.base_url}/_emulator/storefront/orders", json=sale).status_code == 201
        woo.server.drain_webhooks()
    hooks = httpx.get(
        f"{woo.base_url}/wp-json/wc/v3/webhooks", auth=(DEFAULT_KEY, DEFAULT_SECRET), headers=TLS
    )
    assert hooks.json()[0]["status"] == "disabled"
    assert len(receiver.requests) == 6  # never retried, and nothing sent after the sixth failure


def test_creating_a_product_over_rest_fires_product_created(
    woo: WooHarness, receiver: WebhookReceiver
) -> None:
    create_webhook(woo, "product.created", receiver.url, "k")
    create_webhook(woo, "product.updated", receiver.url, "k")
    created = woo.api().post(
        "products", {"name": "Scarf", "sku": "SCARF", "manage_stock": True, "stock_quantity": 2}
    )
    assert created.status_code == 201
    assert created.json()["stock_status"] == "instock"
    woo.server.drain_webhooks()
    assert receiver.topics() == ["product.created"]
    assert (
        woo.api().post("products", {"name": "Scarf 2", "sku": "SCARF"}).json()["code"]
        == "product_invalid_sku"
    )
