"""Per-listing push state as people read it: pending or not, what the channel acknowledged and
showed, attempts and the last error or skip reason (`listing_sync.last_error`). This is where a
skipped or failing listing is visible without reading logs (`stockbridge sync status`), with the
circuit breaker of its channel as the worker last recorded it (`closed` when never recorded).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from stockbridge.services.context import HubContext
from stockbridge.store.schema import channels, listings, skus
from stockbridge.store.schema_sync import channel_breakers, connections, listing_sync
from stockbridge.sync.breaker import BreakerState


@dataclass(frozen=True)
class ListingSyncStatus:
    channel: str
    sku: str
    dirty: bool
    dirty_at: datetime | None
    acked_quantity: int | None
    unseen_units: int
    acked_at: datetime | None
    observed_quantity: int | None
    observed_at: datetime | None
    attempts: int
    last_error: str | None
    breaker: BreakerState = "closed"

    def as_dict(self) -> dict[str, Any]:
        return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in self.__dict__.items()}


def listing_sync_status(
    ctx: HubContext, *, channel: str | None = None, problems_only: bool = False, limit: int = 1000
) -> list[ListingSyncStatus]:
    """Listings with their push state; `problems_only`: those with an error or skip reason."""
    s = listing_sync.c
    breaker = (
        sa.select(channel_breakers.c.state)
        .join(connections, connections.c.id == channel_breakers.c.connection_id)
        .where(connections.c.channel_id == listings.c.channel_id)
        .order_by(channel_breakers.c.updated_at.desc())
        .limit(1)
        .correlate(listings)
        .scalar_subquery()
    )
    query = (
        sa.select(
            channels.c.code.label("channel"),
            skus.c.code.label("sku"),
            listings.c.dirty,
            listings.c.dirty_at,
            s.acked_quantity,
            sa.func.coalesce(s.unseen_units, 0).label("unseen_units"),
            s.acked_at,
            s.observed_quantity,
            s.observed_at,
            sa.func.coalesce(s.attempts, 0).label("attempts"),
            s.last_error,
            sa.func.coalesce(breaker, "closed").label("breaker"),
        )
        .join(channels, channels.c.id == listings.c.channel_id)
        .join(skus, skus.c.id == listings.c.sku_id)
        .outerjoin(listing_sync, s.listing_id == listings.c.id)
        .where(listings.c.tenant_id == ctx.tenant_id)
        .order_by(channels.c.code, skus.c.code)
        .limit(limit)
    )
    if channel is not None:
        query = query.where(channels.c.code == channel)
    if problems_only:
        query = query.where(s.last_error.is_not(None))
    with ctx.read() as conn:
        return [ListingSyncStatus(**{**r._mapping, "dirty": bool(r.dirty)}) for r in conn.execute(query)]
