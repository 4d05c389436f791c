"""The core tables: catalog, locations, channels, listings, ledger, balances, reservations, quarantine.

Hot tables keep `tenant_id` in their key so that a distributed PostgreSQL could shard on
(tenant, sku). Balances are a projection of `inventory_movements`; `verify_balances` proves it.
"""

from __future__ import annotations

import sqlalchemy as sa

from stockbridge.store.metadata import metadata
from stockbridge.store.types import BigId, UtcDateTime


def _tenant() -> sa.Column[int]:
    return sa.Column("tenant_id", sa.Integer, nullable=False, server_default="1")


def _created() -> sa.Column[object]:
    return sa.Column("created_at", UtcDateTime, nullable=False)


products = sa.Table(
    "products",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("handle", sa.String(200), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    _created(),
    sa.UniqueConstraint("tenant_id", "handle"),
)

skus = sa.Table(
    "skus",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("code", sa.String(200), nullable=False),
    sa.Column("product_id", sa.ForeignKey("products.id"), nullable=True),
    sa.Column("title", sa.String(500), nullable=False, server_default=""),
    sa.Column("base_unit", sa.String(50), nullable=False, server_default="unit"),
    sa.Column("is_bundle", sa.Boolean, nullable=False, server_default=sa.false()),
    _created(),
    sa.UniqueConstraint("tenant_id", "code"),
)

sku_units = sa.Table(
    "sku_units",
    metadata,
    _tenant(),
    sa.Column("sku_id", sa.ForeignKey("skus.id"), primary_key=True),
    sa.Column("unit", sa.String(50), primary_key=True),
    sa.Column("factor", sa.Integer, nullable=False),
    sa.CheckConstraint("factor >= 1", name="factor_positive"),
)

sku_aliases = sa.Table(
    "sku_aliases",
    metadata,
    sa.Column("tenant_id", sa.Integer, primary_key=True, server_default="1"),
    sa.Column("connection", sa.String(100), primary_key=True),
    sa.Column("alias", sa.String(200), primary_key=True),
    sa.Column("sku_id", sa.ForeignKey("skus.id"), nullable=False),
)

bundle_components = sa.Table(
    "bundle_components",
    metadata,
    _tenant(),
    sa.Column("bundle_sku_id", sa.ForeignKey("skus.id"), primary_key=True),
    sa.Column("component_sku_id", sa.ForeignKey("skus.id"), primary_key=True),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.CheckConstraint("quantity >= 1", name="quantity_positive"),
)

locations = sa.Table(
    "locations",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("code", sa.String(100), nullable=False),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("kind", sa.String(20), nullable=False, server_default="warehouse"),
    sa.Column("online", sa.Boolean, nullable=False, server_default=sa.true()),
    _created(),
    sa.UniqueConstraint("tenant_id", "code"),
)

location_codes = sa.Table(
    "location_codes",
    metadata,
    sa.Column("tenant_id", sa.Integer, primary_key=True, server_default="1"),
    sa.Column("connection", sa.String(100), primary_key=True),
    sa.Column("external_code", sa.String(200), primary_key=True),
    sa.Column("location_id", sa.ForeignKey("locations.id"), nullable=False),
)

_RULES = ("buffer", "max_quantity", "share_percent", "stop_below")

channels = sa.Table(
    "channels",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("code", sa.String(100), nullable=False),
    sa.Column("name", sa.String(300), nullable=False, server_default=""),
    sa.Column("platform", sa.String(50), nullable=False, server_default="generic"),
    sa.Column("buffer", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_quantity", sa.Integer, nullable=True),
    sa.Column("share_percent", sa.Integer, nullable=False, server_default="100"),
    sa.Column("stop_below", sa.Integer, nullable=False, server_default="0"),
    _created(),
    sa.UniqueConstraint("tenant_id", "code"),
)

channel_locations = sa.Table(
    "channel_locations",
    metadata,
    sa.Column("channel_id", sa.ForeignKey("channels.id"), primary_key=True),
    sa.Column("location_id", sa.ForeignKey("locations.id"), primary_key=True),
)

listings = sa.Table(
    "listings",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("channel_id", sa.ForeignKey("channels.id"), nullable=False),
    sa.Column("sku_id", sa.ForeignKey("skus.id"), nullable=False),
    # NULL rule = use the channel's default.
    *(sa.Column(rule, sa.Integer, nullable=True) for rule in _RULES),
    # Outbox: set in the same transaction as any change that may move this listing's ATP.
    sa.Column("dirty", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Column("dirty_at", UtcDateTime, nullable=True),
    _created(),
    sa.UniqueConstraint("channel_id", "sku_id"),
    sa.Index(None, "tenant_id", "sku_id"),
    sa.Index(None, "dirty", "channel_id"),
)

listing_locations = sa.Table(
    "listing_locations",
    metadata,
    sa.Column("listing_id", sa.ForeignKey("listings.id"), primary_key=True),
    sa.Column("location_id", sa.ForeignKey("locations.id"), primary_key=True),
)

balances = sa.Table(
    "balances",
    metadata,
    sa.Column("tenant_id", sa.Integer, primary_key=True, server_default="1"),
    sa.Column("sku_id", sa.ForeignKey("skus.id"), primary_key=True),
    sa.Column("location_id", sa.ForeignKey("locations.id"), primary_key=True),
    *(
        sa.Column(state, sa.BigInteger, nullable=False, server_default="0")
        for state in (
            "on_hand",
            "committed",
            "reserved",
            "incoming",
            "in_transit",
            "damaged",
            "quality_control",
            "safety_stock",
        )
    ),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

inventory_events = sa.Table(
    "inventory_events",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("idempotency_key", sa.String(300), nullable=False),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("type", sa.String(40), nullable=False),
    sa.Column("source", sa.String(200), nullable=True),
    sa.Column("reference", sa.String(500), nullable=True),
    sa.Column("reason", sa.String(500), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("occurred_at", UtcDateTime, nullable=True),
    sa.Column("recorded_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant_id", "idempotency_key"),
)

inventory_movements = sa.Table(
    "inventory_movements",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("event_id", sa.ForeignKey("inventory_events.id"), nullable=False),
    sa.Column("sku_id", sa.BigInteger, nullable=False),
    sa.Column("location_id", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("delta", sa.BigInteger, nullable=False),
    sa.Index(None, "tenant_id", "sku_id", "location_id", "event_id"),
)

reservations = sa.Table(
    "reservations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _tenant(),
    sa.Column("idempotency_key", sa.String(300), nullable=False),
    sa.Column("payload_hash", sa.String(64), nullable=False),
    sa.Column("channel_id", sa.ForeignKey("channels.id"), nullable=True),
    sa.Column("reference", sa.String(500), nullable=True),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    _created(),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant_id", "idempotency_key"),
    sa.Index(None, "status", "expires_at"),
)

reservation_lines = sa.Table(
    "reservation_lines",
    metadata,
    sa.Column("reservation_id", sa.ForeignKey("reservations.id"), primary_key=True),
    sa.Column("line_no", sa.Integer, primary_key=True),
    _tenant(),
    sa.Column("sku_id", sa.BigInteger, nullable=False),
    sa.Column("location_id", sa.BigInteger, nullable=False),
    sa.Column("quantity", sa.BigInteger, nullable=False),
)

quarantine = sa.Table(
    "quarantine",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    _tenant(),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("source", sa.String(200), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("error_code", sa.String(60), nullable=False),
    sa.Column("field", sa.String(200), nullable=True),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    _created(),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(None, "tenant_id", "status"),
)
