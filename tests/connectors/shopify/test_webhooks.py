"""Webhooks the emulator really delivers: verified over the raw body, parsed, deduplicated by event id."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from stockbridge.connectors.errors import AuthError
from stockbridge.connectors.shopify import ShopifyConnector
from stockbridge.connectors.shopify.webhooks import sign
from tests.connectors.shopify.conftest import Shop

pytestmark = pytest.mark.anyio
Delivery = tuple[dict[str, str], bytes]


@pytest.fixture
async def inbox() -> AsyncIterator[tuple[str, list[Delivery]]]:
    received: list[Delivery] = []

    async def hook(request: web.Request) -> web.Response:
        received.append((dict(request.headers), await request.read()))
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post("/hooks", hook)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}/hooks", received
    await runner.cleanup()


async def deliveries(shop: Shop, url: str, received: list[Delivery], **faults: float) -> list[Delivery]:
    await shop.admin("/_emulator/webhooks", {"topic": "inventory_levels/update", "url": url})
    shop.emulator.faults.update(dict(faults))
    await shop.sell(shop.item("MUG"), shop.location("Shop location"), 1)
    await shop.emulator.webhooks.drain()
    return received


async def test_a_real_delivery_verifies_and_parses(
    shop: Shop, connector: ShopifyConnector, inbox: tuple[str, list[Delivery]]
) -> None:
    [(headers, body)] = await deliveries(shop, *inbox)
    assert connector.verify_webhook(headers, body)
    message = connector.parse_webhook(headers, body)
    assert message.topic == "inventory_levels/update"
    assert message.delivery_id == headers["X-Shopify-Event-Id"]
    assert message.payload["available"] == 8
    assert message.triggered_at == shop.clock.now()


async def test_duplicate_deliveries_share_the_delivery_id(
    shop: Shop, connector: ShopifyConnector, inbox: tuple[str, list[Delivery]]
) -> None:
    received = await deliveries(shop, *inbox, webhook_duplicate_rate=1.0)
    assert len(received) == 2
    messages = [connector.parse_webhook(h, b) for h, b in received]
    assert messages[0].delivery_id == messages[1].delivery_id  # the inbox dedupes on this
    assert received[0][0]["X-Shopify-Webhook-Id"] != received[1][0]["X-Shopify-Webhook-Id"]


async def test_a_tampered_body_or_foreign_signature_is_rejected(
    shop: Shop, connector: ShopifyConnector, inbox: tuple[str, list[Delivery]]
) -> None:
    [(headers, body)] = await deliveries(shop, *inbox)
    tampered = body.replace(b'"available":8', b'"available":80')
    assert tampered != body
    assert not connector.verify_webhook(headers, tampered)
    with pytest.raises(AuthError):
        connector.parse_webhook(headers, tampered)
    foreign = {**headers, "X-Shopify-Hmac-Sha256": sign("another-apps-secret", body)}
    assert not connector.verify_webhook(foreign, body)


@pytest.mark.parametrize(
    "signature",
    [None, "", "not base64!", base64.b64encode(b"short").decode()],
    ids=["missing", "empty", "garbage", "short"],
)
async def test_malformed_signatures_are_rejected(connector: ShopifyConnector, signature: str | None) -> None:
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Event-Id": "e-1"}
    if signature is not None:
        headers["X-Shopify-Hmac-Sha256"] = signature
    assert not connector.verify_webhook(headers, b"{}")


async def test_header_names_are_case_insensitive_and_webhook_id_is_the_fallback(
    connector: ShopifyConnector,
) -> None:
    body = b'{"id": 1}'
    secret = connector.config.api_secret.get_secret_value()
    headers = {
        "x-shopify-hmac-sha256": sign(secret, body),
        "x-shopify-topic": "orders/create",
        "x-shopify-webhook-id": "w-9",
    }
    message = connector.parse_webhook(headers, body)
    assert (message.topic, message.delivery_id, message.triggered_at) == ("orders/create", "w-9", None)
