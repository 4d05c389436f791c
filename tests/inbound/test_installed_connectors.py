"""The endpoint and the processor with the installed connectors (no fakes): a Shopify connection
verifies with the real Shopify HMAC, and the installed Shopify adapter maps the stored delivery
to order facts (here: an order for a SKU the hub does not know, quarantined with its reason)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stockbridge.api import create_app
from stockbridge.connectors.shopify.webhooks import sign
from stockbridge.services.connections import ConnectionSpec, register_connection
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from stockbridge.sync.inbound_bindings import installed_connector_source
from stockbridge.sync.inbox import process_inbox
from tests.inbound.helpers import inbox_rows, sqlite_only

pytestmark = sqlite_only

BODY = (
    b'{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508",'
    b'"line_items":[{"id":1,"sku":"NOT-IN-THE-HUB","quantity":2}]}'
)


def _headers(secret: str) -> dict[str, str]:
    return {
        "X-Shopify-Topic": "orders/create",
        "X-Shopify-Hmac-Sha256": sign(secret, BODY),
        "X-Shopify-Event-Id": "evt-1",
        "X-Shopify-Webhook-Id": "wh-1",
    }


@pytest.fixture
def client(ctx: HubContext) -> Iterator[TestClient]:
    settings = {"shop_domain": "demo.myshopify.com"}
    good = {"access_token": "t", "api_secret": "app-secret"}
    register_connection(ctx, ConnectionSpec("shopify-1", "shopify", None, "", settings, good))
    register_connection(
        ctx, ConnectionSpec("shopify-2", "shopify", None, "", settings, {"access_token": "t"})
    )
    app = create_app(Settings(api_keys=[SecretStr("k")]), ctx, expiry_sweep=None)
    with TestClient(app) as test_client:
        yield test_client


def test_a_shopify_delivery_is_verified_by_the_shopify_connector(client: TestClient, ctx: HubContext) -> None:
    bad = client.post("/webhooks/shopify/shopify-1", content=BODY, headers=_headers("wrong"))
    good = client.post("/webhooks/shopify/shopify-1", content=BODY, headers=_headers("app-secret"))
    assert (bad.status_code, good.status_code) == (401, 200)
    (row,) = inbox_rows(ctx)
    assert (row.topic, row.delivery_id) == ("orders/create", "evt-1")


def test_the_installed_shopify_adapter_maps_the_delivery(client: TestClient, ctx: HubContext) -> None:
    client.post("/webhooks/shopify/shopify-1", content=BODY, headers=_headers("app-secret"))
    counts = process_inbox(ctx, installed_connector_source).counts
    (row,) = inbox_rows(ctx)
    assert counts == {row.status: 1} and row.status != "failed", row.error
    assert "NOT-IN-THE-HUB" in (row.error or ""), row.error


def test_a_connection_without_its_secret_answers_503_so_the_platform_retries(
    client: TestClient, ctx: HubContext
) -> None:
    response = client.post("/webhooks/shopify/shopify-2", content=BODY, headers=_headers("app-secret"))
    assert response.status_code == 503 and response.json()["code"] == "connection_misconfigured"
    assert inbox_rows(ctx) == []


def test_a_platform_without_a_connector_is_404(ctx: HubContext, client: TestClient) -> None:
    register_connection(ctx, ConnectionSpec("odd-1", "no-such-platform", None, "", {}, {}))
    assert client.post("/webhooks/no-such-platform/odd-1", content=BODY).status_code == 404
