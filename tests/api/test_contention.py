"""Many clients racing through the API for the last units: the database decides, nobody oversells."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from tests.api.helpers import V1, balance, define_catalog, receive

STOCK, WORKERS, ATTEMPTS = 5, 8, 3


def test_concurrent_reservations_never_hold_more_than_is_available(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "MUG", "WH1", STOCK)

    def attempt(n: int) -> int:
        body = {"idempotency_key": f"cart-{n}", "lines": [{"sku": "MUG", "location": "WH1", "quantity": 1}]}
        return client.post(f"{V1}/reservations", json=body).status_code

    with ThreadPoolExecutor(WORKERS) as pool:
        statuses = list(pool.map(attempt, range(WORKERS * ATTEMPTS)))
    assert statuses.count(201) == STOCK
    assert statuses.count(409) == WORKERS * ATTEMPTS - STOCK
    mug = balance(client, "MUG", "WH1")
    assert (mug["reserved"], mug["available"]) == (STOCK, 0)
