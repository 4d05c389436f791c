"""listing_sync.unseen_at: since when a listing holds unseen units (they expire after a while)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 08:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stockbridge.store.types

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listing_sync", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("unseen_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("listing_sync", schema=None) as batch_op:
        batch_op.drop_column("unseen_at")
