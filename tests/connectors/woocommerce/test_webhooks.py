"""WooCommerce webhooks delivered by the emulator over a real socket, verified and parsed."""

from __future__ import annotations

import json

import pytest

from stockbridge.connectors.errors import AuthError, PermanentError
from stockbridge.connectors.woocommerce import WooCommerceConnector
from stockbridge.connectors.woocommerce.webhooks import signature
from tests.connectors.woocommerce.conftest import WEBHOOK_SECRET, Receiver, WooSite

pytestmark = pytest.mark.anyio


async def subscribe(woo: WooCommerceConnector, topic: str, url: str, secret: str = WEBHOOK_SECRET) -> None:
    body = {"name": topic, "topic": topic, "delivery_url": url, "secret": secret}
    response = await woo.client.post("webhooks", body)
    assert response.status == 201


async def test_a_real_delivery_verifies_and_parses_to_a_message(
    site: WooSite, woo: WooCommerceConnector, receiver: Receiver
) -> None:
    await subscribe(woo, "order.created", receiver.url)
    order = site.sell("HOOD", 2)
    site.server.run(site.emulator.webhooks.drain())

    (delivery,) = receiver.deliveries
    assert woo.verify_webhook(delivery.headers, delivery.body)
    message = woo.parse_webhook(delivery.headers, delivery.body)

    assert message.topic == "order.created" and message.payload["id"] == order.id
    assert (
        message.delivery_id == delivery.headers["X-WC-Webhook-Delivery-ID"] and len(message.delivery_id) == 32
    )
    assert message.triggered_at == site.clock.now()


async def test_a_tampered_body_or_another_secret_does_not_verify(
    site: WooSite, woo: WooCommerceConnector, receiver: Receiver
) -> None:
    await subscribe(woo, "product.updated", receiver.url, secret="someone-else")
    store, hood = site.emulator.store, int(site.item_id("HOOD"))
    site.server.call(lambda: store.update_product(store.products[hood], {"stock_quantity": 3}))
    site.server.run(site.emulator.webhooks.drain())

    (delivery,) = receiver.deliveries
    assert not woo.verify_webhook(delivery.headers, delivery.body)  # signed with another secret
    with pytest.raises(AuthError):
        woo.parse_webhook(delivery.headers, delivery.body)
    good = {**delivery.headers, "X-WC-Webhook-Signature": signature(WEBHOOK_SECRET, delivery.body)}
    assert woo.verify_webhook(good, delivery.body)
    tampered = delivery.body.replace(b'"stock_quantity":3', b'"stock_quantity":300')
    assert tampered != delivery.body and not woo.verify_webhook(good, tampered)
    assert not woo.verify_webhook({}, delivery.body)


async def test_header_names_are_matched_without_regard_to_case(woo: WooCommerceConnector) -> None:
    body = json.dumps({"id": 7, "date_modified_gmt": "2026-05-01T12:00:00"}).encode()
    headers = {
        "x-wc-webhook-signature": signature(WEBHOOK_SECRET, body),
        "x-wc-webhook-delivery-id": "abc123",
        "x-wc-webhook-topic": "product.updated",
    }
    message = woo.parse_webhook(headers, body)
    assert (message.topic, message.delivery_id, message.payload["id"]) == ("product.updated", "abc123", 7)


async def test_a_delivery_without_its_id_or_with_a_non_json_body_is_refused(
    woo: WooCommerceConnector,
) -> None:
    body = b"not json"
    signed = {
        "X-WC-Webhook-Signature": signature(WEBHOOK_SECRET, body),
        "X-WC-Webhook-Topic": "order.updated",
    }
    with pytest.raises(PermanentError):
        woo.parse_webhook(signed, body)
    with pytest.raises(PermanentError):
        woo.parse_webhook({**signed, "X-WC-Webhook-Delivery-ID": "d1"}, body)


async def test_the_creation_ping_parses_as_a_ping(woo: WooCommerceConnector) -> None:
    body = b"webhook_id=12"
    headers = {"X-WC-Webhook-Signature": signature(WEBHOOK_SECRET, body), "X-WC-Webhook-Delivery-ID": "p1"}
    message = woo.parse_webhook(headers, body)
    assert (message.topic, message.payload) == ("ping", {"webhook_id": "12"})
