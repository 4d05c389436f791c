"""The customers router mounted on a tiny FastAPI app."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from stockbridge.identity.api import create_customers_router
from stockbridge.identity.generator import generate_customers
from stockbridge.identity.store import MergeStore

from .conftest import TickingClock


def _batch() -> list[dict[str, Any]]:
    background = [
        {k: v for k, v in vars(r).items() if k != "marketing_consent"}
        for r in generate_customers(300, 6).records
    ]
    return [
        *background,
        {
            "id": "a1",
            "first_name": "Jon",
            "last_name": "Smith",
            "email": "jon.smith+shop@gmail.com",
            "phone": "07700 900123",
            "street": "12 High St",
            "postcode": "SW1A 1AA",
            "marketing_consent": True,
        },
        {
            "id": "b1",
            "first_name": "Jonathan",
            "last_name": "Smith",
            "email": "jonsmith@googlemail.com",
            "phone": "+44 7700 900123",
            "street": "12 High Street",
            "postcode": "sw1a1aa",
        },
    ]


@pytest.fixture
def client(sqlite_store: MergeStore, clock: TickingClock) -> TestClient:
    app = FastAPI()
    app.include_router(create_customers_router(sqlite_store, clock))
    return TestClient(app)


def test_resolve_returns_clusters_and_explanations(client: TestClient) -> None:
    response = client.post("/customers/resolve", json={"customers": _batch(), "explain": True})
    assert response.status_code == 200
    body = response.json()
    clusters = {row["id"]: row["cluster_id"] for row in body["clusters"]}
    assert clusters["a1"] == clusters["b1"]
    assert any({e["left_id"], e["right_id"]} == {"a1", "b1"} for e in body["explanations"])


def test_explain_a_pair(client: TestClient) -> None:
    response = client.post(
        "/customers/explain", json={"customers": _batch(), "left_id": "a1", "right_id": "b1"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["is_match"] is True
    assert {c["field"] for c in body["contributions"]} >= {"first_name", "last_name", "email", "phone"}
    missing = client.post(
        "/customers/explain", json={"customers": _batch(), "left_id": "a1", "right_id": "zz"}
    )
    assert missing.status_code == 404


def test_proposals_can_be_reviewed_applied_and_undone(client: TestClient) -> None:
    created = client.post("/customers/resolve", json={"customers": _batch(), "propose": True}).json()[
        "proposals"
    ]
    proposal = next(p for p in created if "a1" in p["record_ids"])
    assert proposal["golden"]["marketing_consent"] is None
    listed = client.get("/customers/proposals", params={"status": "proposed"}).json()
    assert proposal["id"] in {p["id"] for p in listed}
    path = f"/customers/proposals/{proposal['id']}"
    assert client.post(f"{path}/accept", json={"reviewer": "alice"}).json()["decided_by"] == "alice"
    assert client.post(f"{path}/apply").json()["status"] == "applied"
    assert client.post(f"{path}/undo").json()["status"] == "undone"
    assert client.post(f"{path}/undo").status_code == 409
    assert client.post("/customers/proposals/nope/accept").status_code == 404
    assert client.post(f"{path}/explode").status_code == 404


def test_duplicate_ids_in_a_batch_are_rejected(client: TestClient) -> None:
    batch = _batch()
    response = client.post("/customers/resolve", json={"customers": [*batch, batch[0]]})
    assert response.status_code == 422


def test_router_works_without_an_injected_store() -> None:
    app = FastAPI()
    app.include_router(create_customers_router())
    client = TestClient(app)
    assert client.get("/customers/proposals").json() == []
