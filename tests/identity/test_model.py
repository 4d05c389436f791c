"""Fellegi–Sunter weights, term frequencies, and clustering without chaining."""

from __future__ import annotations

import numpy as np

from stockbridge.identity.cluster import average_linkage, connected_components
from stockbridge.identity.compare import COMPARISONS
from stockbridge.identity.fellegi_sunter import TrainingSession, estimate_u, fit_model
from stockbridge.identity.generator import generate_customers
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import resolve

from .conftest import TODAY


def _synthetic_levels(rng: np.random.Generator, matches: int, non_matches: int) -> np.ndarray:
    width = len(COMPARISONS)
    rows = []
    for _ in range(matches):
        rows.append([0 if rng.random() < 0.9 else len(c.labels) - 1 for c in COMPARISONS])
    for _ in range(non_matches):
        rows.append([len(c.labels) - 1 if rng.random() < 0.95 else 0 for c in COMPARISONS])
    return np.array(rows, dtype=np.int8).reshape(-1, width)


def test_em_learns_that_agreement_is_evidence_for_a_match() -> None:
    rng = np.random.default_rng(0)
    levels = _synthetic_levels(rng, 400, 4000)
    random_levels = _synthetic_levels(rng, 0, 4000)
    u = estimate_u(random_levels, COMPARISONS)
    model = fit_model([TrainingSession(levels, frozenset())], levels, 10**7, u, COMPARISONS)
    for field in model.fields:
        weights = field.weights()
        assert weights[0] > 2 > weights[-1]
        assert abs(field.m[0] - 0.9) < 0.1


def test_a_shared_rare_surname_counts_for_more_than_a_shared_common_one() -> None:
    records = list(generate_customers(3000, seed=9).records)
    records += [
        CustomerRecord("rare1", "Anna", "Quenneville", phone="07700 900555"),
        CustomerRecord("rare2", "Anna", "Quenneville", email="aq@example.org"),
        CustomerRecord("common1", "Anna", "Smith", phone="07700 900556"),
        CustomerRecord("common2", "Anna", "Smith", email="as@example.org"),
    ]
    from stockbridge.identity.explain import explain_pair

    result = resolve(records, TODAY)
    rare = explain_pair(result, "rare1", "rare2", 0.5)
    common = explain_pair(result, "common1", "common2", 0.5)
    surname_bits = {
        e.left_id: next(c.bits for c in e.contributions if c.field == "last_name") for e in (rare, common)
    }
    assert surname_bits["rare1"] > surname_bits["common1"]


def test_connected_components_label_by_smallest_member() -> None:
    labels = connected_components(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert labels.tolist() == [0, 0, 0, 3, 4, 4]


def test_average_linkage_does_not_chain_through_one_strong_link() -> None:
    # A–B and B–C are strong, A–C and A–D, C–D are hopeless: no one big cluster.
    matrix = np.array(
        [
            [0.0, 0.99, 0.01, 0.0],
            [0.99, 0.0, 0.99, 0.0],
            [0.01, 0.99, 0.0, 0.99],
            [0.0, 0.0, 0.99, 0.0],
        ]
    )
    clusters = sorted(sorted(c) for c in average_linkage(matrix, 0.5))
    assert [0, 1, 2, 3] not in clusters
    assert all(len(c) <= 2 for c in clusters)


def test_average_linkage_joins_a_consistent_group() -> None:
    matrix = np.full((4, 4), 0.9)
    np.fill_diagonal(matrix, 0.0)
    assert sorted(sorted(c) for c in average_linkage(matrix, 0.5)) == [[0, 1, 2, 3]]
