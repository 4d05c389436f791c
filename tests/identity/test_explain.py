"""Explanations carry the very numbers behind each decision."""

from __future__ import annotations

import math

import pytest

from stockbridge.identity.explain import explain_near_threshold, explain_pair
from stockbridge.identity.generator import generate_customers
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import Resolution, resolve

from .conftest import TODAY


@pytest.fixture(scope="module")
def resolution() -> Resolution:
    records = [
        *generate_customers(1500, seed=8).records,
        CustomerRecord(
            "a1",
            "Jon",
            "Smith",
            "jon.smith+shop@gmail.com",
            "07700 900123",
            "12 High St",
            "London",
            "SW1A 1AA",
        ),
        CustomerRecord(
            "b1",
            "Jonathan",
            "Smith",
            "jonsmith@googlemail.com",
            "+44 7700 900123",
            "12 High Street, Flat 2",
            "London",
            "SW1A 1AA",
        ),
    ]
    return resolve(records, TODAY)


def test_field_contributions_add_up_to_the_match_weight(resolution: Resolution) -> None:
    explanation = explain_pair(resolution, "a1", "b1", 0.5)
    total = explanation.prior_bits + sum(part.bits for part in explanation.contributions)
    assert math.isclose(total, explanation.match_weight, abs_tol=0.01)
    assert explanation.is_match and explanation.same_cluster
    by_field = {part.field: part for part in explanation.contributions}
    assert by_field["first_name"].level == "nickname"
    assert by_field["email"].level == "exact" and by_field["email"].left_value == "jonsmith@gmail.com"
    assert by_field["date_of_birth"].level == "missing" and by_field["date_of_birth"].bits == 0.0


def test_near_threshold_covers_every_match_and_close_non_matches(resolution: Resolution) -> None:
    explained = explain_near_threshold(resolution, 0.5, margin_bits=6.0)
    matches = int((resolution.probability >= 0.5).sum())
    assert sum(1 for e in explained if e.is_match) == matches
    non_matches = [e for e in explained if not e.is_match]
    assert non_matches and all(e.match_weight >= -6.0 - 0.01 for e in non_matches)


def test_unknown_ids_raise_key_error(resolution: Resolution) -> None:
    with pytest.raises(KeyError):
        explain_pair(resolution, "a1", "missing", 0.5)
