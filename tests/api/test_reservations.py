"""Reservations over HTTP: idempotent holds, every short line in the 409, state transitions, expiry."""

from __future__ import annotations

import time
from typing import Any

from fastapi.testclient import TestClient

from stockbridge.api import create_app
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.context import HubContext
from stockbridge.services.reservations import expire_due
from stockbridge.settings import Settings
from tests.api.helpers import API_KEY, V1, assert_problem, balance, define_catalog, ok, receive


def _hold(client: TestClient, key: str, *lines: tuple[str, int], **extra: Any) -> Any:
    body = {
        "idempotency_key": key,
        "lines": [{"sku": sku, "location": "WH1", "quantity": q} for sku, q in lines],
        **extra,
    }
    return client.post(f"{V1}/reservations", json=body)


def test_same_key_returns_the_first_hold_and_a_changed_request_is_a_409(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "MUG", "WH1", 10)
    first = _hold(client, "cart-1", ("MUG", 4))
    assert first.status_code == 201 and first.headers["location"].endswith(
        f"/reservations/{first.json()['id']}"
    )
    again = ok(_hold(client, "cart-1", ("MUG", 4)))
    assert again["id"] == first.json()["id"] and again["duplicate"] is True
    changed = assert_problem(_hold(client, "cart-1", ("MUG", 5)), 409, "idempotency_conflict")
    assert changed["field"] == "idempotency_key"
    assert balance(client, "MUG", "WH1")["reserved"] == 4


def test_idempotency_key_may_come_in_the_header(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "MUG", "WH1", 10)
    lines = [{"sku": "MUG", "location": "WH1", "quantity": 1}]
    response = client.post(f"{V1}/reservations", json={"lines": lines}, headers={"Idempotency-Key": "h-1"})
    assert ok(response, 201)["idempotency_key"] == "h-1"
    missing = assert_problem(
        client.post(f"{V1}/reservations", json={"lines": lines}), 422, "validation_error"
    )
    assert missing["field"] == "idempotency_key"


def test_insufficient_stock_is_a_409_listing_every_short_line(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "TEE", "WH1", 24)
    receive(client, "MUG", "WH1", 4)
    response = _hold(client, "big-order", ("TEE", 30), ("MUG", 10))
    body = assert_problem(response, 409, "insufficient_stock")
    assert body["shortfalls"] == [
        {"sku": "TEE", "location": "WH1", "state": "available", "requested": 30, "available": 24},
        {"sku": "MUG", "location": "WH1", "state": "available", "requested": 10, "available": 4},
    ]
    assert body["idempotency_key"] == "big-order"
    assert balance(client, "TEE", "WH1")["reserved"] == 0  # all or nothing
    assert ok(_hold(client, "small-order", ("TEE", 24), ("MUG", 4)), 201)["status"] == "held"


def test_release_commit_and_extend_follow_the_reservation_state(
    client: TestClient, clock: FrozenClock
) -> None:
    define_catalog(client)
    receive(client, "MUG", "WH1", 10)
    held = ok(_hold(client, "r-1", ("MUG", 3), ttl_s=60), 201)
    extended = ok(client.post(f"{V1}/reservations/{held['id']}/extend", json={"ttl_s": 600}))
    assert extended["expires_at"] > held["expires_at"]
    released = ok(client.post(f"{V1}/reservations/{held['id']}/release"))
    assert released["status"] == "released"
    assert ok(client.post(f"{V1}/reservations/{held['id']}/release"))["status"] == "released"  # no-op
    refused = assert_problem(client.post(f"{V1}/reservations/{held['id']}/commit"), 409, "invalid_state")
    assert refused["current_status"] == "released"
    assert balance(client, "MUG", "WH1")["reserved"] == 0
    assert_problem(client.get(f"{V1}/reservations/no-such-id"), 404, "not_found")

    late = ok(_hold(client, "r-2", ("MUG", 2), ttl_s=60), 201)
    clock.advance(61)
    assert ok(client.get(f"{V1}/reservations/{late['id']}"))["status"] == "expired"
    assert_problem(client.post(f"{V1}/reservations/{late['id']}/commit"), 409, "invalid_state")


def test_bad_reservation_requests_name_the_field(client: TestClient) -> None:
    define_catalog(client)
    empty = assert_problem(client.post(f"{V1}/reservations", json={"idempotency_key": "x", "lines": []}), 422,
                           "validation_error")  # fmt: skip
    assert empty["field"] == "lines"
    bad_ttl = assert_problem(_hold(client, "x", ("MUG", 1), ttl_s=0), 422, "validation_error")
    assert bad_ttl["field"] == "ttl_s"
    unknown = assert_problem(_hold(client, "y", ("NOPE", 1)), 422, "unknown_reference")
    assert unknown["field"] == "lines[0].sku"


def test_the_sweeper_expires_due_holds_in_the_background(
    settings: Settings, ctx: HubContext, clock: FrozenClock
) -> None:
    app = create_app(settings, ctx, expiry_sweep=expire_due, sweep_interval_s=0.02)
    with TestClient(app, headers={"X-API-Key": API_KEY}) as client:
        define_catalog(client)
        receive(client, "MUG", "WH1", 5)
        ok(_hold(client, "cart-9", ("MUG", 5), ttl_s=30), 201)
        clock.advance(31)
        deadline = time.monotonic() + 10
        while balance(client, "MUG", "WH1")["reserved"] and time.monotonic() < deadline:
            time.sleep(0.02)
        assert balance(client, "MUG", "WH1")["reserved"] == 0


def test_the_sweeper_is_injectable(settings: Settings, ctx: HubContext) -> None:
    calls: list[HubContext] = []

    def fake_sweep(hub: HubContext) -> int:
        calls.append(hub)
        return 0

    app = create_app(settings, ctx, expiry_sweep=fake_sweep, sweep_interval_s=0.01)
    with TestClient(app):
        deadline = time.monotonic() + 5
        while not calls and time.monotonic() < deadline:
            time.sleep(0.01)
    assert calls and calls[0] is ctx
