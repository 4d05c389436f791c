"""Merge lifecycle: proposed -> accepted | rejected; accepted -> applied -> undone.

Owns the rules of the lifecycle and turning a `Resolution` into proposals (one per
multi-record cluster, with its golden record). Proposals at or above `auto_accept` are
accepted on creation. Applying records the previous cluster of every member so that an
undo restores it exactly. Errors:

    MergeError
     ├── MergeNotFoundError   no proposal with that id
     └── MergeStateError      the transition is not allowed from the current status
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime

import numpy as np

from stockbridge.identity.golden import build_golden_record
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import Resolution
from stockbridge.identity.store import MergeStore, StoredProposal

Clock = Callable[[], datetime]
PROPOSED, ACCEPTED, REJECTED, APPLIED, UNDONE = "proposed", "accepted", "rejected", "applied", "undone"


class MergeError(Exception):
    """Base of merge lifecycle errors."""


class MergeNotFoundError(MergeError):
    def __init__(self, proposal_id: str) -> None:
        super().__init__(f"no merge proposal {proposal_id!r}")
        self.proposal_id = proposal_id


class MergeStateError(MergeError):
    def __init__(self, proposal_id: str, wanted: str) -> None:
        super().__init__(f"merge proposal {proposal_id!r} cannot become {wanted!r} from its current status")
        self.proposal_id = proposal_id
        self.wanted = wanted


def proposal_id_for(record_ids: Sequence[str]) -> str:
    """Stable id of a proposal from its members, so proposing twice is idempotent."""
    return hashlib.sha256("\x1f".join(sorted(record_ids)).encode()).hexdigest()[:24]


def propose_merges(
    resolution: Resolution,
    records: Sequence[CustomerRecord],
    store: MergeStore,
    clock: Clock,
    auto_accept: float | None = None,
) -> list[StoredProposal]:
    """One proposal per cluster of two or more records; existing proposals are kept."""
    groups: dict[int, list[int]] = {}
    for index, label in enumerate(resolution.cluster_of.tolist()):
        groups.setdefault(label, []).append(index)
    created: list[StoredProposal] = []
    for label, indices in groups.items():
        if len(indices) < 2:
            continue
        ids = [records[i].id for i in indices]
        proposal_id = proposal_id_for(ids)
        if store.find(proposal_id) is not None:
            continue
        confidence = _confidence(resolution, label)
        golden = build_golden_record(records[label].id, [records[i] for i in indices])
        status = ACCEPTED if auto_accept is not None and confidence >= auto_accept else PROPOSED
        now = clock()
        proposal = StoredProposal(
            proposal_id,
            records[label].id,
            status,
            confidence,
            asdict(golden),
            now,
            now if status == ACCEPTED else None,
            "auto" if status == ACCEPTED else None,
            tuple(sorted(ids)),
        )
        store.add(proposal)
        created.append(proposal)
    return created


def _confidence(resolution: Resolution, label: int) -> float:
    """Mean match probability of the candidate pairs inside the cluster."""
    inside = (resolution.cluster_of[resolution.left] == label) & (
        resolution.cluster_of[resolution.right] == label
    )
    return float(np.mean(resolution.probability[inside])) if inside.any() else 0.0


def _move(
    store: MergeStore,
    proposal_id: str,
    expected: Sequence[str],
    status: str,
    clock: Clock,
    by: str | None,
    apply: bool | None = None,
) -> StoredProposal:
    if store.find(proposal_id) is None:
        raise MergeNotFoundError(proposal_id)
    if not store.transition(proposal_id, expected, status, clock(), by, apply):
        raise MergeStateError(proposal_id, status)
    found = store.find(proposal_id)
    assert found is not None
    return found


def accept_merge(store: MergeStore, proposal_id: str, reviewer: str, clock: Clock) -> StoredProposal:
    return _move(store, proposal_id, (PROPOSED,), ACCEPTED, clock, reviewer)


def reject_merge(store: MergeStore, proposal_id: str, reviewer: str, clock: Clock) -> StoredProposal:
    return _move(store, proposal_id, (PROPOSED, ACCEPTED), REJECTED, clock, reviewer)


def apply_merge(store: MergeStore, proposal_id: str, clock: Clock, by: str | None = None) -> StoredProposal:
    return _move(store, proposal_id, (ACCEPTED,), APPLIED, clock, by, apply=True)


def undo_merge(store: MergeStore, proposal_id: str, clock: Clock, by: str | None = None) -> StoredProposal:
    return _move(store, proposal_id, (APPLIED,), UNDONE, clock, by, apply=False)
