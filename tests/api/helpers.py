"""Builders for API tests: a small catalog defined through the API itself."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

V1 = "/api/v1"
API_KEY = "test-key-0123456789"
OTHER_KEY = "second-key-abcdef"


def ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def define_catalog(client: TestClient) -> None:
    """WH1 and WH2; TEE (case = 12, alias on erp), MUG; channel `shop` fed by both, buffer 2."""
    ok(client.put(f"{V1}/locations/WH1", json={"name": "Main", "external_codes": {"erp": "01"}}))
    ok(client.put(f"{V1}/locations/WH2", json={"name": "Second"}))
    ok(
        client.put(
            f"{V1}/skus/TEE",
            json={"title": "Tee", "units": [{"name": "case", "factor": 12}], "aliases": {"erp": ["T-1"]}},
        )
    )
    ok(client.put(f"{V1}/skus/MUG", json={"title": "Mug"}))
    ok(client.put(f"{V1}/channels/shop", json={"locations": ["WH1", "WH2"], "rules": {"buffer": 2}}))
    ok(client.put(f"{V1}/listings/shop/TEE", json={}))
    ok(client.put(f"{V1}/listings/shop/MUG", json={"rules": {"max_quantity": 5, "buffer": 0}}))


def post_event(client: TestClient, **event: Any) -> Any:
    return client.post(f"{V1}/events", json=event)


def receive(client: TestClient, sku: str, location: str, quantity: int, **extra: Any) -> Any:
    response = post_event(client, type="receipt", sku=sku, location=location, quantity=quantity, **extra)
    return ok(response, 201)


def balance(client: TestClient, sku: str, location: str) -> dict[str, Any]:
    (row,) = ok(client.get(f"{V1}/balances", params={"sku": sku, "location": location}))
    assert isinstance(row, dict)
    return row


def atp(client: TestClient, channel: str, sku: str) -> int:
    body = ok(client.get(f"{V1}/listings/{channel}/{sku}/available-to-sell"))
    value = body["available_to_sell"]
    assert isinstance(value, int)
    return value


def assert_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert isinstance(body, dict)
    assert body["status"] == status and body["code"] == code
    assert {"type", "title", "detail"} <= set(body)
    return body
