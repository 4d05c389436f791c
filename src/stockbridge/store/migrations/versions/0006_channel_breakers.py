"""channel_breakers: the circuit breaker of each connection's channel, as the worker last recorded it

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 11:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stockbridge.store.types

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "channel_breakers",
        sa.Column("connection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("state", sa.String(length=20), server_default="closed", nullable=False),
        sa.Column("since", stockbridge.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("retry_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["connections.id"],
            name=op.f("fk_channel_breakers_connection_id_connections"),
        ),
        sa.PrimaryKeyConstraint("connection_id", name=op.f("pk_channel_breakers")),
    )


def downgrade() -> None:
    op.drop_table("channel_breakers")
