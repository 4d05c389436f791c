"""Survivorship rules of the golden record."""

from __future__ import annotations

import pytest

from stockbridge.identity.golden import build_golden_record, merged_consent
from stockbridge.identity.records import CustomerRecord


def _records() -> list[CustomerRecord]:
    return [
        CustomerRecord(
            "a",
            "J.",
            "Smith",
            "jon.smith+shop@gmail.com",
            "07700 900123",
            "12 High St",
            "London",
            "SW1A 1AA",
            source="shop-a",
            updated_at="2024-05-01",
            marketing_consent=True,
        ),
        CustomerRecord(
            "b",
            "Jonathan",
            "Smith",
            "jonsmith@googlemail.com",
            "+44 7700 900123",
            "12 High Street, Flat 2",
            "London",
            "SW1A 1AA",
            source="shop-b",
            updated_at="2025-01-10",
            marketing_consent=True,
        ),
        CustomerRecord(
            "c",
            "Jon",
            "Smith",
            "jon@work.example",
            "07911 123456",
            "4 Mill Lane",
            "Leeds",
            "LS1 4AB",
            source="shop-c",
            updated_at="2019-03-02",
            marketing_consent=False,
        ),
    ]


def test_most_recent_address_and_most_complete_name_survive() -> None:
    golden = build_golden_record("a", _records())
    assert golden.street == "12 High Street, Flat 2"
    assert (golden.first_name, golden.last_name) == ("Jonathan", "Smith")


def test_every_email_and_phone_is_kept_once_as_an_alias() -> None:
    golden = build_golden_record("a", _records())
    # jon.smith+shop@gmail.com and jonsmith@googlemail.com are one mailbox: the newest spelling stays.
    assert golden.emails == ("jonsmith@googlemail.com", "jon@work.example")
    assert len(golden.phones) == 2


def test_links_back_to_every_source_record() -> None:
    golden = build_golden_record("a", _records())
    assert [(s.record_id, s.source) for s in golden.sources] == [
        ("a", "shop-a"),
        ("b", "shop-b"),
        ("c", "shop-c"),
    ]


def test_marketing_consent_is_never_widened_by_a_merge() -> None:
    assert build_golden_record("a", _records()).marketing_consent is False
    assert merged_consent([True, None]) is None
    assert merged_consent([True, True]) is True
    assert merged_consent([None, None]) is None


def test_a_golden_record_needs_a_source() -> None:
    with pytest.raises(ValueError):
        build_golden_record("x", [])
