"""Ingesting events: units, idempotency, all-or-nothing, quarantine — on SQLite and PostgreSQL."""

from __future__ import annotations

from stockbridge.services.availability import list_balances
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.quarantine import list_quarantine, retry_quarantined
from stockbridge.services.verify import verify_balances
from tests.integration.helpers import basic_catalog, receive


def _balance(ctx: HubContext, sku: str, location: str) -> dict[str, object]:
    (view,) = list_balances(ctx, sku=sku, location=location)
    return view.as_dict()


def test_receipt_in_cases_is_stored_in_base_units(ctx: HubContext) -> None:
    basic_catalog(ctx)
    report = ingest_events(
        ctx, [{"type": "receipt", "sku": "TSHIRT-BLUE-M", "location": "WH1", "quantity": 2, "unit": "case"}]
    )
    assert report.summary() == {"applied": 1, "duplicate": 0, "quarantined": 0}
    assert _balance(ctx, "TSHIRT-BLUE-M", "WH1")["on_hand"] == 24
    ingest_events(
        ctx, [{"type": "receipt", "sku": "TSHIRT-BLUE-M", "location": "WH1", "quantity": 1, "unit": "pallet"}]
    )
    assert _balance(ctx, "TSHIRT-BLUE-M", "WH1")["on_hand"] == 24 + 480


def test_fraction_of_a_base_unit_is_quarantined_naming_the_field(ctx: HubContext) -> None:
    basic_catalog(ctx)
    report = ingest_events(
        ctx,
        [{"type": "receipt", "sku": "TSHIRT-BLUE-M", "location": "WH1", "quantity": "0.05", "unit": "case"}],
    )
    (outcome,) = report.outcomes
    assert outcome.status == "quarantined"
    assert outcome.error is not None and outcome.error["field"] == "lines[0].quantity"
    assert list_balances(ctx, sku="TSHIRT-BLUE-M") == []


def test_same_key_twice_is_a_duplicate_and_different_payload_is_a_conflict(ctx: HubContext) -> None:
    basic_catalog(ctx)
    assert receive(ctx, "MUG", "WH1", 5, key="po-1").summary()["applied"] == 1
    again = receive(ctx, "MUG", "WH1", 5, key="po-1")
    assert again.summary() == {"applied": 0, "duplicate": 1, "quarantined": 0}
    conflict = receive(ctx, "MUG", "WH1", 6, key="po-1")
    assert conflict.outcomes[0].error is not None
    assert conflict.outcomes[0].error["code"] == "idempotency_conflict"
    assert _balance(ctx, "MUG", "WH1")["on_hand"] == 5


def test_alias_and_external_location_code_resolve_through_connection(ctx: HubContext) -> None:
    basic_catalog(ctx)
    report = ingest_events(
        ctx, [{"type": "receipt", "connection": "erp", "sku": "AB-12", "location": "01", "quantity": 3}]
    )
    assert report.summary()["applied"] == 1
    assert _balance(ctx, "TSHIRT-BLUE-M", "WH1")["on_hand"] == 3


def test_multi_line_event_is_all_or_nothing(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 2)
    receive(ctx, "TSHIRT-BLUE-M", "WH1", 10)
    report = ingest_events(
        ctx,
        [
            {
                "type": "sale",
                "idempotency_key": "order-9",
                "lines": [
                    {"sku": "TSHIRT-BLUE-M", "location": "WH1", "quantity": 4},
                    {"sku": "MUG", "location": "WH1", "quantity": 3},
                ],
            }
        ],
    )
    (outcome,) = report.outcomes
    assert outcome.status == "quarantined"
    assert outcome.error is not None and outcome.error["code"] == "insufficient_stock"
    assert outcome.error["shortfalls"] == [
        {"sku": "MUG", "location": "WH1", "state": "available", "requested": 3, "available": 2}
    ]
    assert _balance(ctx, "TSHIRT-BLUE-M", "WH1")["committed"] == 0


def test_ship_more_than_committed_is_quarantined_then_retried_after_fix(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 10)
    ship = {"type": "fulfil", "idempotency_key": "ship-1", "sku": "MUG", "location": "WH1", "quantity": 2}
    report = ingest_events(ctx, [ship])
    assert report.outcomes[0].status == "quarantined"
    (item,) = list_quarantine(ctx)
    assert item.error_code == "insufficient_stock" and "committed" in item.message
    ingest_events(ctx, [{"type": "sale", "sku": "MUG", "location": "WH1", "quantity": 2}])
    (retried,) = retry_quarantined(ctx, [item.id])
    assert retried.status == "resolved" and retried.attempts == 2
    assert _balance(ctx, "MUG", "WH1") | {} == _balance(ctx, "MUG", "WH1")
    balance = _balance(ctx, "MUG", "WH1")
    assert (balance["on_hand"], balance["committed"], balance["available"]) == (8, 0, 8)


def test_unknown_sku_and_malformed_payloads_are_kept_with_reasons(ctx: HubContext) -> None:
    basic_catalog(ctx)
    report = ingest_events(
        ctx,
        [
            {"type": "receipt", "sku": "NOPE", "location": "WH1", "quantity": 1},
            {"type": "teleport", "sku": "MUG", "location": "WH1", "quantity": 1},
            {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": -1},
            "not an object",
            {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": 4},
        ],
    )
    assert [o.status for o in report.outcomes] == ["quarantined"] * 4 + ["applied"]
    fields = [item.field for item in list_quarantine(ctx)]
    assert fields == ["lines[0].sku", "type", "lines[0].quantity", "$"]
    assert _balance(ctx, "MUG", "WH1")["on_hand"] == 4


def test_every_event_type_keeps_balances_equal_to_the_ledger(ctx: HubContext) -> None:
    basic_catalog(ctx)
    events = [
        {"type": "expected", "sku": "MUG", "location": "WH1", "quantity": 10},
        {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": 8},
        {"type": "sale", "sku": "MUG", "location": "WH1", "quantity": 3},
        {"type": "fulfil", "sku": "MUG", "location": "WH1", "quantity": 2},
        {"type": "return", "sku": "MUG", "location": "WH1", "quantity": 1, "disposition": "damaged"},
        {"type": "transfer_out", "sku": "MUG", "location": "WH1", "to_location": "WH2", "quantity": 2},
        {"type": "transfer_in", "sku": "MUG", "location": "WH2", "quantity": 2},
        {"type": "count", "sku": "MUG", "location": "WH2", "quantity": 5},
        {"type": "adjustment", "sku": "MUG", "location": "WH2", "quantity": -1, "reason": "breakage"},
        {"type": "damage", "sku": "MUG", "location": "WH2", "quantity": 1},
        {"type": "write_off", "sku": "MUG", "location": "WH2", "quantity": 1},
        {"type": "move", "sku": "MUG", "location": "WH1", "quantity": 1, "to_state": "safety_stock"},
    ]
    report = ingest_events(ctx, events)
    assert report.summary()["applied"] == len(events), report.outcomes
    wh1 = _balance(ctx, "MUG", "WH1")
    assert wh1 == {
        "sku": "MUG",
        "location": "WH1",
        "on_hand": 8 - 2 + 1 - 2,
        "committed": 1,
        "reserved": 0,
        "incoming": 2,
        "in_transit": 0,
        "damaged": 1,
        "quality_control": 0,
        "safety_stock": 1,
        "available": 2,
    }
    wh2 = _balance(ctx, "MUG", "WH2")
    assert (wh2["on_hand"], wh2["in_transit"], wh2["damaged"], wh2["available"]) == (3, 0, 0, 3)
    assert verify_balances(ctx) == []


def test_bundle_sale_consumes_components(ctx: HubContext) -> None:
    basic_catalog(ctx)
    define_sku(ctx, SkuSpec("GIFT-SET", "Mug and tee", components={"MUG": 2, "TSHIRT-BLUE-M": 1}))
    receive(ctx, "MUG", "WH1", 5)
    receive(ctx, "TSHIRT-BLUE-M", "WH1", 5)
    report = ingest_events(ctx, [{"type": "sale", "sku": "GIFT-SET", "location": "WH1", "quantity": 2}])
    assert report.summary()["applied"] == 1
    assert _balance(ctx, "MUG", "WH1")["committed"] == 4
    assert _balance(ctx, "TSHIRT-BLUE-M", "WH1")["committed"] == 2
    refused = ingest_events(ctx, [{"type": "receipt", "sku": "GIFT-SET", "location": "WH1", "quantity": 1}])
    assert refused.outcomes[0].error is not None and refused.outcomes[0].error["field"] == "lines[0].sku"


def test_cancelled_sale_returns_committed_units_and_cannot_cancel_more(ctx: HubContext) -> None:
    basic_catalog(ctx)
    receive(ctx, "MUG", "WH1", 5)
    ingest_events(
        ctx, [{"type": "sale", "sku": "MUG", "location": "WH1", "quantity": 3, "idempotency_key": "o1"}]
    )
    report = ingest_events(
        ctx,
        [
            {
                "type": "sale_cancelled",
                "sku": "MUG",
                "location": "WH1",
                "quantity": 2,
                "idempotency_key": "o1-x",
            },
            {
                "type": "sale_cancelled",
                "sku": "MUG",
                "location": "WH1",
                "quantity": 2,
                "idempotency_key": "o1-y",
            },
        ],
    )
    assert [o.status for o in report.outcomes] == ["applied", "quarantined"]
    balance = _balance(ctx, "MUG", "WH1")
    assert (balance["committed"], balance["available"]) == (1, 4)


def test_texts_longer_than_their_columns_are_quarantined_not_fatal(ctx: HubContext) -> None:
    basic_catalog(ctx)
    report = ingest_events(
        ctx,
        [
            {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": 1, "idempotency_key": "k" * 301},
            {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": 1, "source": "s" * 201},
            {"type": "receipt", "sku": "MUG", "location": "WH1", "quantity": 2, "idempotency_key": "k" * 300},
        ],
        source="erp",
    )
    assert [o.status for o in report.outcomes] == ["quarantined", "quarantined", "applied"]
    assert [item.field for item in list_quarantine(ctx)] == ["idempotency_key", "source"]
    assert _balance(ctx, "MUG", "WH1")["on_hand"] == 2
