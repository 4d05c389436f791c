"""Persistence of merge proposals, their members and current cluster assignments.

Owns its own SQLAlchemy Core `MetaData` (tables prefixed `customer_`) for now, working on
SQLite and PostgreSQL. Every state change is one conditional UPDATE on the expected
status, so two reviewers racing on a proposal cannot both win. Lifecycle rules live in
`merges`; this module only stores.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

metadata = sa.MetaData()

proposals = sa.Table(
    "customer_merge_proposals",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("cluster_id", sa.String(200), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("confidence", sa.Float, nullable=False),
    sa.Column("golden", sa.JSON, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True)),
    sa.Column("decided_by", sa.String(200)),
)
members = sa.Table(
    "customer_merge_members",
    metadata,
    sa.Column("proposal_id", sa.String(64), sa.ForeignKey("customer_merge_proposals.id"), primary_key=True),
    sa.Column("record_id", sa.String(200), primary_key=True),
    sa.Column("previous_cluster_id", sa.String(200)),
)
assignments = sa.Table(
    "customer_cluster_assignments",
    metadata,
    sa.Column("record_id", sa.String(200), primary_key=True),
    sa.Column("cluster_id", sa.String(200), nullable=False, index=True),
)


@dataclass(frozen=True)
class StoredProposal:
    """A proposal row with its member record ids."""

    id: str
    cluster_id: str
    status: str
    confidence: float
    golden: dict[str, object]
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    record_ids: tuple[str, ...]


class MergeStore:
    """Tables for proposals and assignments on one engine."""

    def __init__(self, engine: sa.Engine) -> None:
        self._engine = engine

    def create_tables(self) -> None:
        metadata.create_all(self._engine)

    def add(self, proposal: StoredProposal) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                proposals.insert().values(
                    id=proposal.id,
                    cluster_id=proposal.cluster_id,
                    status=proposal.status,
                    confidence=proposal.confidence,
                    golden=proposal.golden,
                    created_at=proposal.created_at,
                    decided_at=proposal.decided_at,
                    decided_by=proposal.decided_by,
                )
            )
            conn.execute(
                members.insert(),
                [{"proposal_id": proposal.id, "record_id": record_id} for record_id in proposal.record_ids],
            )

    def find(self, proposal_id: str) -> StoredProposal | None:
        found = self.list(ids=(proposal_id,))
        return found[0] if found else None

    def list(self, status: str | None = None, ids: Sequence[str] = ()) -> list[StoredProposal]:
        query = sa.select(proposals).order_by(proposals.c.created_at, proposals.c.id)
        if status is not None:
            query = query.where(proposals.c.status == status)
        if ids:
            query = query.where(proposals.c.id.in_(list(ids)))
        with self._engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
            wanted = [row["id"] for row in rows]
            member_rows = (
                conn.execute(
                    sa.select(members.c.proposal_id, members.c.record_id)
                    .where(members.c.proposal_id.in_(wanted))
                    .order_by(members.c.record_id)
                ).all()
                if wanted
                else []
            )
        by_proposal: dict[str, list[str]] = {}
        for proposal_id, record_id in member_rows:
            by_proposal.setdefault(proposal_id, []).append(record_id)
        return [_proposal(row, by_proposal.get(row["id"], [])) for row in rows]

    def transition(
        self,
        proposal_id: str,
        expected: Sequence[str],
        status: str,
        at: datetime,
        by: str | None,
        apply: bool | None = None,
    ) -> bool:
        """Move to `status` if currently in `expected`; apply or undo assignments atomically."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                proposals.update()
                .where(proposals.c.id == proposal_id, proposals.c.status.in_(list(expected)))
                .values(status=status, decided_at=at, decided_by=by)
            ).rowcount
            if changed != 1:
                return False
            if apply is True:
                _apply(conn, proposal_id)
            elif apply is False:
                _undo(conn, proposal_id)
            return True

    def cluster_of(self, record_id: str) -> str | None:
        with self._engine.connect() as conn:
            value = conn.execute(
                sa.select(assignments.c.cluster_id).where(assignments.c.record_id == record_id)
            ).scalar_one_or_none()
        return None if value is None else str(value)


def _apply(conn: sa.Connection, proposal_id: str) -> None:
    cluster_id = conn.execute(
        sa.select(proposals.c.cluster_id).where(proposals.c.id == proposal_id)
    ).scalar_one()
    records = (
        conn.execute(sa.select(members.c.record_id).where(members.c.proposal_id == proposal_id))
        .scalars()
        .all()
    )
    for record_id in sorted(records):
        previous = conn.execute(
            sa.select(assignments.c.cluster_id).where(assignments.c.record_id == record_id)
        ).scalar_one_or_none()
        conn.execute(
            members.update()
            .where(members.c.proposal_id == proposal_id, members.c.record_id == record_id)
            .values(previous_cluster_id=previous)
        )
        if previous is None:
            conn.execute(assignments.insert().values(record_id=record_id, cluster_id=cluster_id))
        else:
            conn.execute(
                assignments.update().where(assignments.c.record_id == record_id).values(cluster_id=cluster_id)
            )


def _undo(conn: sa.Connection, proposal_id: str) -> None:
    rows = conn.execute(
        sa.select(members.c.record_id, members.c.previous_cluster_id)
        .where(members.c.proposal_id == proposal_id)
        .order_by(members.c.record_id)
    ).all()
    for record_id, previous in rows:
        if previous is None:
            conn.execute(assignments.delete().where(assignments.c.record_id == record_id))
        else:
            conn.execute(
                assignments.update().where(assignments.c.record_id == record_id).values(cluster_id=previous)
            )


def _proposal(row: sa.RowMapping, record_ids: list[str]) -> StoredProposal:
    return StoredProposal(
        id=row["id"],
        cluster_id=row["cluster_id"],
        status=row["status"],
        confidence=float(row["confidence"]),
        golden=dict(row["golden"]),
        created_at=row["created_at"],
        decided_at=row["decided_at"],
        decided_by=row["decided_by"],
        record_ids=tuple(record_ids),
    )
