"""Raw payloads become commands, or errors that name the field to fix."""

from __future__ import annotations

import pytest

from stockbridge.domain.event_parsing import parse_event
from stockbridge.errors import ValidationError


def test_flat_single_line_and_content_key() -> None:
    a = parse_event({"type": "receipt", "sku": "A", "location": "W", "quantity": 3})
    b = parse_event({"location": "W", "quantity": 3, "sku": "A", "type": "receipt"})
    assert a.idempotency_key == b.idempotency_key and a.idempotency_key.startswith("content:")
    assert a.lines[0].sku == "A"


def test_given_key_is_kept_and_hash_ignores_it() -> None:
    a = parse_event({"type": "receipt", "sku": "A", "location": "W", "quantity": 3, "idempotency_key": "k1"})
    b = parse_event({"type": "receipt", "sku": "A", "location": "W", "quantity": 3, "idempotency_key": "k2"})
    assert (a.idempotency_key, b.idempotency_key) == ("k1", "k2") and a.payload_hash == b.payload_hash


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ([], "$"),
        ({"type": "receipt"}, "lines"),
        ({"type": "reservation_held", "sku": "A", "location": "W", "quantity": 1}, "type"),
        ({"type": "receipt", "lines": [{"sku": "A", "quantity": 1}]}, "lines[0].location"),
        ({"type": "receipt", "lines": [{"sku": "A", "location": "W"}]}, "lines[0].quantity"),
        ({"type": "transfer_out", "sku": "A", "location": "W", "quantity": 1}, "lines[0].to_location"),
        ({"type": "adjustment", "sku": "A", "location": "W", "quantity": 1}, "reason"),
        (
            {"type": "return", "sku": "A", "location": "W", "quantity": 1, "disposition": "lost"},
            "lines[0].disposition",
        ),
        (
            {"type": "receipt", "sku": "A", "location": "W", "quantity": 1, "occurred_at": "yesterday"},
            "occurred_at",
        ),
        (
            {
                "type": "receipt",
                "sku": "A",
                "location": "W",
                "quantity": 1,
                "occurred_at": "2026-01-01T10:00",
            },
            "occurred_at",
        ),
        (
            {
                "type": "move",
                "sku": "A",
                "location": "W",
                "quantity": 1,
                "from_state": "damaged",
                "to_state": "damaged",
            },
            "lines[0].to_state",
        ),
    ],
)
def test_bad_payloads_name_the_field(payload: object, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_event(payload)
    assert caught.value.field == field
