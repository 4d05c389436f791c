"""End-to-end resolution: the issue's examples, hard negatives, and accuracy on generated data."""

from __future__ import annotations

from collections import Counter

from stockbridge.identity.blocking import BlockingPlan, candidate_pairs
from stockbridge.identity.columns import build_columns
from stockbridge.identity.evaluation import cluster_scores, pair_scores
from stockbridge.identity.generator import generate_customers
from stockbridge.identity.normalise import StoreContext, normalise_record
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import LabelledPair, ResolverConfig, resolve

from .conftest import TODAY


def _background(count: int = 1500) -> list[CustomerRecord]:
    return generate_customers(count, seed=3).records


def _jon_smith() -> list[CustomerRecord]:
    return [
        CustomerRecord(
            "a1",
            "Jon",
            "Smith",
            "jon.smith+shop@gmail.com",
            "07700 900123",
            "12 High St",
            "London",
            "SW1A 1AA",
            country="GB",
            source="shop-a",
            updated_at="2024-05-01",
        ),
        CustomerRecord(
            "b1",
            "Jonathan",
            "Smith",
            "jonsmith@googlemail.com",
            "+44 7700 900123",
            "12 High Street, Flat 2",
            "London",
            "sw1a1aa",
            country="UK",
            source="shop-b",
            updated_at="2025-01-10",
        ),
        CustomerRecord(
            "c1",
            "Jonathan",
            "Smith",
            "jonsmith@googlemail.com",
            "",
            "4 Mill Lane",
            "Leeds",
            "LS1 4AB",
            country="GB",
            source="shop-c",
            updated_at="2019-03-02",
        ),
    ]


def _cluster_of(records: list[CustomerRecord], config: ResolverConfig | None = None) -> dict[str, str]:
    result = resolve(records, TODAY, config)
    return dict(zip(result.ids, result.cluster_ids(), strict=True))


def test_the_jon_smith_records_from_three_stores_resolve_to_one_customer() -> None:
    clusters = _cluster_of(_background() + _jon_smith())
    assert clusters["a1"] == clusters["b1"] == clusters["c1"]
    assert sum(1 for value in clusters.values() if value == clusters["a1"]) == 3


def test_household_members_sharing_address_surname_and_landline_stay_apart() -> None:
    household = [
        CustomerRecord(
            "h1",
            "Mary",
            "Okafor",
            "mary.okafor@gmail.com",
            "020 7946 0991",
            "7 Elm Road",
            "Bristol",
            "BS1 5TR",
            country="GB",
        ),
        CustomerRecord(
            "h2",
            "Daniel",
            "Okafor",
            "dan.okafor@yahoo.com",
            "020 7946 0991",
            "7 Elm Rd",
            "Bristol",
            "BS15TR",
            country="GB",
        ),
        CustomerRecord(
            "h3",
            "Mary",
            "Okafor",
            "MARY.OKAFOR@gmail.com",
            "",
            "7 Elm Road",
            "Bristol",
            "BS1 5TR",
            country="GB",
        ),
    ]
    clusters = _cluster_of(_background() + household)
    assert clusters["h1"] == clusters["h3"]
    assert clusters["h1"] != clusters["h2"]


def test_two_people_with_a_common_name_in_different_towns_stay_apart() -> None:
    people = [
        CustomerRecord(
            "x1",
            "John",
            "Smith",
            "jsmith1@hotmail.com",
            "07700 900001",
            "3 Park Lane",
            "Leeds",
            "LS2 7AB",
            country="GB",
            date_of_birth="1970-01-05",
        ),
        CustomerRecord(
            "x2",
            "John",
            "Smith",
            "john.smith77@yahoo.com",
            "07700 900777",
            "90 Bridge Street",
            "Exeter",
            "EX1 1AA",
            country="GB",
            date_of_birth="1988-11-30",
        ),
    ]
    clusters = _cluster_of(_background() + people)
    assert clusters["x1"] != clusters["x2"]


def test_every_input_record_gets_a_cluster_and_singletons_are_their_own() -> None:
    records = _background(300)
    result = resolve(records, TODAY)
    assert len(result.cluster_ids()) == len(records)
    assert set(result.cluster_ids()) <= {r.id for r in records}


def test_generated_shop_data_resolves_with_high_pairwise_f1() -> None:
    data = generate_customers(6000, seed=21)
    result = resolve(data.records, TODAY)
    pairs = pair_scores(result.cluster_of.tolist(), data.entities)
    clusters = cluster_scores(result.cluster_of.tolist(), data.entities)
    assert pairs.precision > 0.93 and pairs.recall > 0.93
    assert clusters.f1 > 0.9


def test_blocking_work_grows_about_linearly() -> None:
    context = StoreContext("GB", TODAY)
    counts = []
    for size in (2000, 8000):
        records = generate_customers(size, seed=5).records
        columns = build_columns([normalise_record(r, context) for r in records])
        left, _ = candidate_pairs(columns, BlockingPlan())
        counts.append(len(left))
    assert counts[1] < counts[0] * 4 * 1.6


def test_labelled_pairs_are_accepted_and_keep_the_model_sane() -> None:
    records = _background(800) + _jon_smith()
    labelled = [LabelledPair("a1", "b1", True), LabelledPair("a1", "r0", False)]
    result = resolve(records, TODAY, labelled=labelled)
    clusters = dict(zip(result.ids, result.cluster_ids(), strict=True))
    assert clusters["a1"] == clusters["b1"]
    assert all(0 < m < 1 for field in result.model.fields for m in field.m)


def test_a_higher_threshold_never_makes_bigger_clusters() -> None:
    records = _background(1000)
    low = Counter(_cluster_of(records, ResolverConfig(threshold=0.3)).values())
    high = Counter(_cluster_of(records, ResolverConfig(threshold=0.95)).values())
    assert max(high.values()) <= max(low.values())
    assert len(high) >= len(low)
