"""listing_sync.ceiling / ceiling_at: the level an increase in flight may leave the channel at

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stockbridge.store.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("listing_sync", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ceiling", sa.BigInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("ceiling_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("listing_sync", schema=None) as batch_op:
        batch_op.drop_column("ceiling_at")
        batch_op.drop_column("ceiling")
