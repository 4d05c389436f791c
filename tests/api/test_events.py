"""Events over HTTP: 201 applied, 200 duplicate, problems carrying the quarantine id, bulk outcomes."""

from __future__ import annotations

from fastapi.testclient import TestClient

from stockbridge.api.schemas_stock import MAX_BULK_EVENTS
from tests.api.helpers import V1, assert_problem, balance, define_catalog, ok, post_event, receive


def test_same_key_is_a_duplicate_and_different_payload_a_409_conflict(client: TestClient) -> None:
    define_catalog(client)
    first = receive(client, "MUG", "WH1", 5, idempotency_key="po-7")
    assert first["status"] == "applied" and isinstance(first["event_id"], int)
    again = ok(
        post_event(client, type="receipt", sku="MUG", location="WH1", quantity=5, idempotency_key="po-7")
    )
    assert again["status"] == "duplicate" and again["event_id"] == first["event_id"]
    conflict = post_event(
        client, type="receipt", sku="MUG", location="WH1", quantity=6, idempotency_key="po-7"
    )
    body = assert_problem(conflict, 409, "idempotency_conflict")
    assert body["field"] == "idempotency_key" and isinstance(body["quarantine_id"], int)
    assert balance(client, "MUG", "WH1")["on_hand"] == 5


def test_bad_event_is_a_422_naming_the_field_and_kept_in_quarantine(client: TestClient) -> None:
    define_catalog(client)
    response = post_event(client, type="receipt", sku="TEE", location="WH1", quantity="0.05", unit="case")
    body = assert_problem(response, 422, "unit_conversion_error")
    assert body["field"] == "lines[0].quantity"
    item = ok(client.get(f"{V1}/quarantine/{body['quarantine_id']}"))
    assert item["status"] == "open" and item["field"] == "lines[0].quantity"
    assert item["payload"]["quantity"] == "0.05"


def test_alias_and_external_location_code_resolve_through_the_connection(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "T-1", "01", 3, connection="erp")
    assert balance(client, "TEE", "WH1")["on_hand"] == 3


def test_bulk_reports_each_outcome_and_a_summary(client: TestClient) -> None:
    define_catalog(client)
    good = {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": 4, "idempotency_key": "b-1"}
    events = [
        good,
        {"type": "receipt", "sku": "NOPE", "location": "WH1", "quantity": 1},
        {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": -1},
        good,
        "not an object",
        {"type": "sale", "sku": "MUG", "location": "WH1", "quantity": 9},
    ]
    body = ok(client.post(f"{V1}/events/bulk", json={"events": events, "source": "erp-import"}))
    assert body["summary"] == {"applied": 1, "duplicate": 1, "quarantined": 4}
    outcomes = body["outcomes"]
    assert [o["status"] for o in outcomes] == [
        "applied", "quarantined", "quarantined", "duplicate", "quarantined", "quarantined",
    ]  # fmt: skip
    assert [o["error"]["field"] for o in outcomes if o["error"]] == [
        "lines[0].sku", "lines[0].quantity", "$", "lines[0].quantity",
    ]  # fmt: skip
    assert outcomes[5]["error"]["code"] == "insufficient_stock"
    assert all(isinstance(o["quarantine_id"], int) for o in outcomes if o["status"] == "quarantined")
    open_items = ok(client.get(f"{V1}/quarantine"))
    assert len(open_items) == 4 and {i["source"] for i in open_items} == {"erp-import"}
    assert balance(client, "MUG", "WH1")["on_hand"] == 4


def test_bulk_batch_limit_and_empty_batch_are_refused_naming_events(client: TestClient) -> None:
    too_many = [{"type": "receipt"}] * (MAX_BULK_EVENTS + 1)
    body = assert_problem(
        client.post(f"{V1}/events/bulk", json={"events": too_many}), 422, "validation_error"
    )
    assert body["field"] == "events"
    body = assert_problem(client.post(f"{V1}/events/bulk", json={"events": []}), 422, "validation_error")
    assert body["field"] == "events"


def test_quarantined_ship_is_retried_via_the_api_after_the_sale_arrives(client: TestClient) -> None:
    define_catalog(client)
    receive(client, "MUG", "WH1", 10)
    ship = post_event(client, type="fulfil", sku="MUG", location="WH1", quantity=2, idempotency_key="ship-1")
    problem = assert_problem(ship, 409, "insufficient_stock")
    assert problem["shortfalls"] == [
        {"sku": "MUG", "location": "WH1", "state": "committed", "requested": 2, "available": 0}
    ]
    item_id = problem["quarantine_id"]
    still_short = ok(client.post(f"{V1}/quarantine/{item_id}/retry"))
    assert (still_short["status"], still_short["attempts"]) == ("open", 2)

    ok(post_event(client, type="sale", sku="MUG", location="WH1", quantity=2), 201)
    retried = ok(client.post(f"{V1}/quarantine/retry", json={"ids": [item_id]}))
    assert [(r["status"], r["attempts"]) for r in retried] == [("resolved", 3)]
    mug = balance(client, "MUG", "WH1")
    assert (mug["on_hand"], mug["committed"], mug["available"]) == (8, 0, 8)
    assert ok(client.get(f"{V1}/quarantine")) == []
    assert_problem(client.post(f"{V1}/quarantine/{item_id}/retry"), 409, "invalid_state")


def test_discard_closes_an_item_with_its_reason(client: TestClient) -> None:
    define_catalog(client)
    problem = assert_problem(post_event(client, type="teleport", sku="MUG"), 422, "validation_error")
    assert problem["field"] == "type"
    item_id = problem["quarantine_id"]
    discarded = ok(client.post(f"{V1}/quarantine/{item_id}/discard", json={"reason": "test data"}))
    assert discarded["status"] == "discarded" and discarded["message"] == "discarded: test data"
    listed = ok(client.get(f"{V1}/quarantine", params={"status": "all"}))
    assert [i["id"] for i in listed] == [item_id]
    assert_problem(client.get(f"{V1}/quarantine/99999"), 404, "not_found")
