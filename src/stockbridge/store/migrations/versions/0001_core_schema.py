"""core schema

Revision ID: 0001
Revises:
Create Date: 2026-11-25 07:07:28.177598
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import stockbridge.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "channels",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), server_default="", nullable=False),
        sa.Column("platform", sa.String(length=50), server_default="generic", nullable=False),
        sa.Column("buffer", sa.Integer(), server_default="0", nullable=False),
        sa.Column("max_quantity", sa.Integer(), nullable=True),
        sa.Column("share_percent", sa.Integer(), server_default="100", nullable=False),
        sa.Column("stop_below", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_channels")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_channels_tenant_id_code")),
    )
    op.create_table(
        "inventory_events",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.String(length=500), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("occurred_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("recorded_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_events")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_inventory_events_tenant_id_idempotency_key")
        ),
    )
    op.create_table(
        "locations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=300), server_default="", nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="warehouse", nullable=False),
        sa.Column("online", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_locations")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_locations_tenant_id_code")),
    )
    op.create_table(
        "products",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("handle", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("created_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("tenant_id", "handle", name=op.f("uq_products_tenant_id_handle")),
    )
    op.create_table(
        "quarantine",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("error_code", sa.String(length=60), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantine")),
    )
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_quarantine_tenant_id_status"), ["tenant_id", "status"], unique=False
        )

    op.create_table(
        "channel_locations",
        sa.Column("channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_channel_locations_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_channel_locations_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("channel_id", "location_id", name=op.f("pk_channel_locations")),
    )
    op.create_table(
        "inventory_movements",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("event_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("delta", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["inventory_events.id"],
            name=op.f("fk_inventory_movements_event_id_inventory_events"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inventory_movements")),
    )
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inventory_movements_tenant_id_sku_id_location_id_event_id"),
            ["tenant_id", "sku_id", "location_id", "event_id"],
            unique=False,
        )

    op.create_table(
        "location_codes",
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("external_code", sa.String(length=200), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_location_codes_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "connection", "external_code", name=op.f("pk_location_codes")),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("idempotency_key", sa.String(length=300), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("reference", sa.String(length=500), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("expires_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("created_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_reservations_channel_id_channels")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sa.UniqueConstraint(
            "tenant_id", "idempotency_key", name=op.f("uq_reservations_tenant_id_idempotency_key")
        ),
    )
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reservations_status_expires_at"), ["status", "expires_at"], unique=False
        )

    op.create_table(
        "skus",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("code", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=500), server_default="", nullable=False),
        sa.Column("base_unit", sa.String(length=50), server_default="unit", nullable=False),
        sa.Column("is_bundle", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("created_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["product_id"], ["products.id"], name=op.f("fk_skus_product_id_products")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skus")),
        sa.UniqueConstraint("tenant_id", "code", name=op.f("uq_skus_tenant_id_code")),
    )
    op.create_table(
        "balances",
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("on_hand", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("committed", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("reserved", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("incoming", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("in_transit", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("damaged", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("quality_control", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("safety_stock", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("updated_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_balances_location_id_locations")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_balances_sku_id_skus")),
        sa.PrimaryKeyConstraint("tenant_id", "sku_id", "location_id", name=op.f("pk_balances")),
    )
    op.create_table(
        "bundle_components",
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("bundle_sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("component_sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity >= 1", name=op.f("ck_bundle_components_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["bundle_sku_id"], ["skus.id"], name=op.f("fk_bundle_components_bundle_sku_id_skus")
        ),
        sa.ForeignKeyConstraint(
            ["component_sku_id"], ["skus.id"], name=op.f("fk_bundle_components_component_sku_id_skus")
        ),
        sa.PrimaryKeyConstraint("bundle_sku_id", "component_sku_id", name=op.f("pk_bundle_components")),
    )
    op.create_table(
        "listings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("channel_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("buffer", sa.Integer(), nullable=True),
        sa.Column("max_quantity", sa.Integer(), nullable=True),
        sa.Column("share_percent", sa.Integer(), nullable=True),
        sa.Column("stop_below", sa.Integer(), nullable=True),
        sa.Column("dirty", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("dirty_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("created_at", stockbridge.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["channel_id"], ["channels.id"], name=op.f("fk_listings_channel_id_channels")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_listings_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listings")),
        sa.UniqueConstraint("channel_id", "sku_id", name=op.f("uq_listings_channel_id_sku_id")),
    )
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_listings_dirty_channel_id"), ["dirty", "channel_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_listings_tenant_id_sku_id"), ["tenant_id", "sku_id"], unique=False
        )

    op.create_table(
        "reservation_lines",
        sa.Column("reservation_id", sa.String(length=36), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("sku_id", sa.BigInteger(), nullable=False),
        sa.Column("location_id", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["reservation_id"],
            ["reservations.id"],
            name=op.f("fk_reservation_lines_reservation_id_reservations"),
        ),
        sa.PrimaryKeyConstraint("reservation_id", "line_no", name=op.f("pk_reservation_lines")),
    )
    op.create_table(
        "sku_aliases",
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("connection", sa.String(length=100), nullable=False),
        sa.Column("alias", sa.String(length=200), nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_sku_aliases_sku_id_skus")),
        sa.PrimaryKeyConstraint("tenant_id", "connection", "alias", name=op.f("pk_sku_aliases")),
    )
    op.create_table(
        "sku_units",
        sa.Column("tenant_id", sa.Integer(), server_default="1", nullable=False),
        sa.Column("sku_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("unit", sa.String(length=50), nullable=False),
        sa.Column("factor", sa.Integer(), nullable=False),
        sa.CheckConstraint("factor >= 1", name=op.f("ck_sku_units_factor_positive")),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_sku_units_sku_id_skus")),
        sa.PrimaryKeyConstraint("sku_id", "unit", name=op.f("pk_sku_units")),
    )
    op.create_table(
        "listing_locations",
        sa.Column("listing_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("location_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listings.id"], name=op.f("fk_listing_locations_listing_id_listings")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["locations.id"], name=op.f("fk_listing_locations_location_id_locations")
        ),
        sa.PrimaryKeyConstraint("listing_id", "location_id", name=op.f("pk_listing_locations")),
    )


def downgrade() -> None:

    op.drop_table("listing_locations")
    op.drop_table("sku_units")
    op.drop_table("sku_aliases")
    op.drop_table("reservation_lines")
    with op.batch_alter_table("listings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_listings_tenant_id_sku_id"))
        batch_op.drop_index(batch_op.f("ix_listings_dirty_channel_id"))

    op.drop_table("listings")
    op.drop_table("bundle_components")
    op.drop_table("balances")
    op.drop_table("skus")
    with op.batch_alter_table("reservations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reservations_status_expires_at"))

    op.drop_table("reservations")
    op.drop_table("location_codes")
    with op.batch_alter_table("inventory_movements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inventory_movements_tenant_id_sku_id_location_id_event_id"))

    op.drop_table("inventory_movements")
    op.drop_table("channel_locations")
    with op.batch_alter_table("quarantine", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_quarantine_tenant_id_status"))

    op.drop_table("quarantine")
    op.drop_table("products")
    op.drop_table("locations")
    op.drop_table("inventory_events")
    op.drop_table("channels")
