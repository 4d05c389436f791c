"""The webhook endpoint: only correctly signed deliveries are stored, and stored before the 200."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stockbridge.api import create_app
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from stockbridge.store.engine import make_engine
from stockbridge.store.schema_sync import webhook_inbox
from tests.inbound.fakes import FakeConnector, order_payload, webhook
from tests.inbound.helpers import SECRET, WEBHOOK_URL, at, inbox_rows, sqlite_only

T = TypeVar("T")


def _order(order_id: str = "1001") -> dict[str, Any]:
    return order_payload(order_id, at(0), [("item-tee", "TEE", 2)])


def test_a_bad_signature_is_401_and_nothing_is_stored(client: TestClient, shop: HubContext) -> None:
    body, headers = webhook("orders/create", _order(), "not-the-secret")
    response = client.post(WEBHOOK_URL, content=body, headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "invalid_signature"
    assert inbox_rows(shop) == []


@sqlite_only
def test_a_missing_signature_or_a_changed_body_is_401(client: TestClient, shop: HubContext) -> None:
    body, headers = webhook("orders/create", _order(), SECRET)
    unsigned = {k: v for k, v in headers.items() if k != "X-Fake-Hmac-Sha256"}
    assert client.post(WEBHOOK_URL, content=body, headers=unsigned).status_code == 401
    tampered = body.replace(b'"quantity":2', b'"quantity":9')
    assert client.post(WEBHOOK_URL, content=tampered, headers=headers).status_code == 401
    assert inbox_rows(shop) == []


@sqlite_only
def test_an_unknown_connection_or_platform_is_404(client: TestClient, shop: HubContext) -> None:
    body, headers = webhook("orders/create", _order(), SECRET)
    assert client.post("/webhooks/fake/nobody", content=body, headers=headers).status_code == 404
    assert client.post("/webhooks/shopify/fake-shop", content=body, headers=headers).status_code == 404
    assert inbox_rows(shop) == []


def test_a_good_delivery_is_stored_with_its_exact_bytes_then_acknowledged(
    client: TestClient, shop: HubContext, db_url: str
) -> None:
    body, headers = webhook("orders/create", _order(), SECRET, event_id="evt-1")
    response = client.post(WEBHOOK_URL, content=body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "accepted"
    other = make_engine(db_url)  # a separate connection: the row is committed, not merely visible
    with other.connect() as conn:
        row = conn.execute(sa.select(webhook_inbox)).one()
    other.dispose()
    assert (row.topic, row.delivery_id, row.status, row.attempts) == ("orders/create", "evt-1", "pending", 0)
    assert bytes(row.body) == body
    assert row.headers["x-fake-topic"] == "orders/create"


def test_a_duplicate_delivery_is_acknowledged_and_stored_once(client: TestClient, shop: HubContext) -> None:
    body, headers = webhook("orders/create", _order(), SECRET, event_id="evt-7")
    first = client.post(WEBHOOK_URL, content=body, headers=headers)
    second = client.post(WEBHOOK_URL, content=body, headers=headers)
    assert (first.status_code, second.status_code) == (200, 200)
    assert (first.json()["status"], second.json()["status"]) == ("accepted", "duplicate")
    assert len(inbox_rows(shop)) == 1


@sqlite_only
def test_the_endpoint_needs_no_api_key_but_the_api_still_does(client: TestClient) -> None:
    body, headers = webhook("orders/create", _order(), SECRET)
    assert client.post(WEBHOOK_URL, content=body, headers=headers).status_code == 200
    assert client.get("/api/v1/skus").status_code == 401


@sqlite_only
def test_a_signed_body_that_cannot_be_parsed_is_kept_and_acknowledged(
    client: TestClient, shop: HubContext
) -> None:
    body, headers = webhook("orders/create", _order(), SECRET)
    del headers["X-Fake-Event-Id"]  # the fake cannot parse a delivery without its id
    response = client.post(WEBHOOK_URL, content=body, headers=headers)
    assert response.status_code == 200
    (row,) = inbox_rows(shop)
    assert row.topic == "unparsed" and row.delivery_id.startswith("body:")


class _BrokenInbox(HubContext):
    """A hub whose writes fail, as a full disk or a lost database would."""

    def write(self, work: Callable[[sa.Connection], T]) -> T:
        raise sa.exc.OperationalError("INSERT", {}, Exception("disk I/O error"))


@sqlite_only
def test_no_200_when_the_delivery_could_not_be_stored(shop: HubContext, fake: FakeConnector) -> None:
    broken = _BrokenInbox(shop.engine, shop.clock, shop.tenant_id)
    app = create_app(Settings(api_keys=[SecretStr("k")]), broken, expiry_sweep=None)
    app.state.connector_source = fake.for_config
    body, headers = webhook("orders/create", _order(), SECRET)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.post(WEBHOOK_URL, content=body, headers=headers)
    assert response.status_code == 500  # the platform will deliver again
    assert inbox_rows(shop) == []


@sqlite_only
def test_every_signed_topic_is_stored(client: TestClient, shop: HubContext) -> None:
    for topic in ("orders/create", "products/update"):
        body, headers = webhook(topic, _order(), SECRET)
        assert client.post(WEBHOOK_URL, content=body, headers=headers).status_code == 200
    assert [r.topic for r in inbox_rows(shop)] == ["orders/create", "products/update"]
