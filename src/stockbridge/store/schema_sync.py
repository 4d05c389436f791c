"""Tables of channel sync: connections, id bindings, the webhook inbox, cursors, per-listing push
state, the dead-letter queue and the circuit breaker of each connection's channel.

Bindings map (connection, object type, external id) to our internal id; external ids are
strings. The inbox stores each webhook delivery durably before it is acknowledged, unique per
(connection, delivery id). Secrets of a connection sit in `secrets`, never returned or logged.
"""

from __future__ import annotations

import sqlalchemy as sa

from stockbridge.store.metadata import metadata
from stockbridge.store.types import BigId, UtcDateTime

connections = sa.Table(
    "connections",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.Integer, nullable=False, server_default="1"),
    sa.Column("code", sa.String(100), nullable=False),
    sa.Column("platform", sa.String(50), nullable=False),
    sa.Column("channel_id", sa.ForeignKey("channels.id"), nullable=True),
    sa.Column("base_url", sa.String(500), nullable=False, server_default=""),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("secrets", sa.JSON, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.UniqueConstraint("tenant_id", "code"),
)

bindings = sa.Table(
    "bindings",
    metadata,
    sa.Column("tenant_id", sa.Integer, primary_key=True, server_default="1"),
    sa.Column("connection_id", sa.ForeignKey("connections.id"), primary_key=True),
    sa.Column("object_type", sa.String(40), primary_key=True),  # sku, location, order, customer, product
    sa.Column("external_id", sa.String(200), primary_key=True),
    sa.Column("internal_id", sa.String(100), nullable=False),
    sa.Column("extra", sa.JSON, nullable=True),  # e.g. the variant id beside an inventory item id
    sa.Column("content_hash", sa.String(64), nullable=True),
    sa.Column("synced_at", UtcDateTime, nullable=False),
    sa.Index(None, "connection_id", "object_type", "internal_id"),
)

webhook_inbox = sa.Table(
    "webhook_inbox",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.Integer, nullable=False, server_default="1"),
    sa.Column("connection_id", sa.ForeignKey("connections.id"), nullable=False),
    sa.Column("topic", sa.String(100), nullable=False),
    sa.Column("delivery_id", sa.String(200), nullable=False),
    sa.Column("headers", sa.JSON, nullable=False),
    sa.Column("body", sa.LargeBinary, nullable=False),
    sa.Column("received_at", UtcDateTime, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="pending"),  # pending/done/failed
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("processed_at", UtcDateTime, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.UniqueConstraint("connection_id", "delivery_id"),
    sa.Index(None, "status", "id"),
)

sync_cursors = sa.Table(
    "sync_cursors",
    metadata,
    sa.Column("connection_id", sa.ForeignKey("connections.id"), primary_key=True),
    sa.Column("stream", sa.String(50), primary_key=True),
    sa.Column("value", sa.JSON, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

listing_sync = sa.Table(
    "listing_sync",
    metadata,
    sa.Column("listing_id", sa.ForeignKey("listings.id"), primary_key=True),
    sa.Column("acked_quantity", sa.BigInteger, nullable=True),  # what the channel last confirmed
    # units the channel moved on its own (its sales) that the hub has not recorded yet
    sa.Column("unseen_units", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("unseen_at", UtcDateTime, nullable=True),  # since when; unseen units expire
    sa.Column("acked_at", UtcDateTime, nullable=True),
    sa.Column("observed_quantity", sa.BigInteger, nullable=True),  # what reconciliation last read
    sa.Column("observed_at", UtcDateTime, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),
    # an increase in flight: the most the channel may show once it lands (the exposure guard)
    sa.Column("ceiling", sa.BigInteger, nullable=True),
    sa.Column("ceiling_at", UtcDateTime, nullable=True),
)

dead_letters = sa.Table(
    "dead_letters",
    metadata,
    sa.Column("id", BigId, primary_key=True, autoincrement=True),
    sa.Column("tenant_id", sa.Integer, nullable=False, server_default="1"),
    sa.Column("connection_id", sa.ForeignKey("connections.id"), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),  # push, webhook, poll
    sa.Column("reference", sa.String(200), nullable=True),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("error", sa.JSON, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False, server_default="open"),  # open/replayed/discarded
    sa.Column("attempts", sa.Integer, nullable=False, server_default="1"),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Index(None, "connection_id", "status"),
)

# The circuit breaker of the channel a connection feeds, as the sync worker last recorded it
# (`sync.breaker_store`): written on transitions and failure counts only, read by a restarted
# worker (an open breaker keeps its cool-down), the CLI, the REST API and /metrics.
channel_breakers = sa.Table(
    "channel_breakers",
    metadata,
    sa.Column("connection_id", sa.ForeignKey("connections.id"), primary_key=True),
    sa.Column("tenant_id", sa.Integer, nullable=False, server_default="1"),
    sa.Column("state", sa.String(20), nullable=False, server_default="closed"),  # closed/half_open/open
    sa.Column("since", UtcDateTime, nullable=True),  # when it entered `state`; open: when it opened
    sa.Column("retry_at", UtcDateTime, nullable=True),  # open: when a probe may go out
    sa.Column("consecutive_failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_error", sa.Text, nullable=True),  # short, credentials masked
    sa.Column("updated_at", UtcDateTime, nullable=False),
)
