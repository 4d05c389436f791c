"""Merge lifecycle on SQLite and PostgreSQL: propose, review, apply, undo."""

from __future__ import annotations

import threading

import pytest

from stockbridge.identity import merges
from stockbridge.identity.generator import generate_customers
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import resolve
from stockbridge.identity.store import MergeStore

from .conftest import TODAY, TickingClock


def _records() -> list[CustomerRecord]:
    return [
        *generate_customers(400, seed=4).records,
        CustomerRecord(
            "a1",
            "Jon",
            "Smith",
            "jon.smith+shop@gmail.com",
            "07700 900123",
            "12 High St",
            "London",
            "SW1A 1AA",
            updated_at="2024-01-01",
            marketing_consent=True,
        ),
        CustomerRecord(
            "b1",
            "Jonathan",
            "Smith",
            "jonsmith@googlemail.com",
            "+44 7700 900123",
            "12 High Street",
            "London",
            "SW1A 1AA",
            updated_at="2025-01-01",
            marketing_consent=False,
        ),
    ]


def _proposal_for(store: MergeStore, clock: TickingClock, auto_accept: float | None = None) -> str:
    records = _records()
    created = merges.propose_merges(resolve(records, TODAY), records, store, clock, auto_accept)
    assert created
    return next(p.id for p in created if "a1" in p.record_ids)


def _lifecycle(store: MergeStore, clock: TickingClock) -> None:
    proposal_id = _proposal_for(store, clock)
    proposal = store.find(proposal_id)
    assert proposal is not None and proposal.status == merges.PROPOSED
    assert proposal.golden["marketing_consent"] is False
    merges.accept_merge(store, proposal_id, "alice", clock)
    with pytest.raises(merges.MergeStateError):
        merges.accept_merge(store, proposal_id, "bob", clock)
    merges.apply_merge(store, proposal_id, clock)
    assert store.cluster_of("a1") == store.cluster_of("b1") is not None
    undone = merges.undo_merge(store, proposal_id, clock)
    assert undone.status == merges.UNDONE
    assert store.cluster_of("a1") is None and store.cluster_of("b1") is None
    with pytest.raises(merges.MergeStateError):
        merges.undo_merge(store, proposal_id, clock)


def test_merge_lifecycle_on_sqlite(sqlite_store: MergeStore, clock: TickingClock) -> None:
    _lifecycle(sqlite_store, clock)


@pytest.mark.postgres
def test_merge_lifecycle_on_postgres(pg_store: MergeStore, clock: TickingClock) -> None:
    _lifecycle(pg_store, clock)


def test_proposing_twice_is_idempotent(sqlite_store: MergeStore, clock: TickingClock) -> None:
    records = _records()
    result = resolve(records, TODAY)
    first = merges.propose_merges(result, records, sqlite_store, clock)
    again = merges.propose_merges(result, records, sqlite_store, clock)
    assert first and not again
    assert len(sqlite_store.list()) == len(first)


def test_confident_proposals_are_auto_accepted(sqlite_store: MergeStore, clock: TickingClock) -> None:
    proposal_id = _proposal_for(sqlite_store, clock, auto_accept=0.5)
    proposal = sqlite_store.find(proposal_id)
    assert proposal is not None and proposal.status == merges.ACCEPTED and proposal.decided_by == "auto"


def test_rejected_merges_cannot_be_applied_and_unknown_ids_are_reported(
    sqlite_store: MergeStore, clock: TickingClock
) -> None:
    proposal_id = _proposal_for(sqlite_store, clock)
    merges.reject_merge(sqlite_store, proposal_id, "alice", clock)
    with pytest.raises(merges.MergeStateError):
        merges.apply_merge(sqlite_store, proposal_id, clock)
    with pytest.raises(merges.MergeNotFoundError):
        merges.accept_merge(sqlite_store, "nope", "alice", clock)


def test_undo_restores_the_previous_cluster_of_each_member(
    sqlite_store: MergeStore, clock: TickingClock
) -> None:
    proposal_id = _proposal_for(sqlite_store, clock)
    merges.accept_merge(sqlite_store, proposal_id, "alice", clock)
    merges.apply_merge(sqlite_store, proposal_id, clock)
    cluster = sqlite_store.cluster_of("a1")
    later = sqlite_store.find(proposal_id)
    assert later is not None
    records = _records()
    extra = [r for r in records if r.id in {"a1", "b1"}] + [
        CustomerRecord(
            "z9",
            "Jon",
            "Smith",
            "jonsmith@gmail.com",
            "07700900123",
            "12 High St",
            "London",
            "SW1A1AA",
            updated_at="2026-01-01",
        )
    ]
    second = merges.propose_merges(
        resolve(records + extra[2:], TODAY), records + extra[2:], sqlite_store, clock
    )
    widened = next(p for p in second if "z9" in p.record_ids)
    merges.accept_merge(sqlite_store, widened.id, "alice", clock)
    merges.apply_merge(sqlite_store, widened.id, clock)
    assert sqlite_store.cluster_of("a1") == widened.cluster_id
    merges.undo_merge(sqlite_store, widened.id, clock)
    assert sqlite_store.cluster_of("a1") == cluster
    assert sqlite_store.cluster_of("z9") is None


def _race(store: MergeStore, clock: TickingClock) -> None:
    proposal_id = _proposal_for(store, clock)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def review(reviewer: str) -> None:
        barrier.wait()
        try:
            merges.accept_merge(store, proposal_id, reviewer, clock)
            outcomes.append("won")
        except merges.MergeStateError:
            outcomes.append("lost")

    threads = [threading.Thread(target=review, args=(name,)) for name in ("alice", "bob")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "won"]


def test_two_reviewers_racing_to_accept_exactly_one_wins_on_sqlite(
    sqlite_store: MergeStore, clock: TickingClock
) -> None:
    _race(sqlite_store, clock)


@pytest.mark.postgres
def test_two_reviewers_racing_to_accept_exactly_one_wins_on_postgres(
    pg_store: MergeStore, clock: TickingClock
) -> None:
    _race(pg_store, clock)
