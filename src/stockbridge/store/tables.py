"""Every table registered on the one MetaData (for Alembic, schema checks and test clean-up)."""

from __future__ import annotations

from stockbridge.store import schema, schema_sync
from stockbridge.store.metadata import metadata

__all__ = ["metadata", "schema", "schema_sync"]
