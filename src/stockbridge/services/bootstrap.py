"""The composition root: the one place that builds engines and contexts from `Settings`."""

from __future__ import annotations

from stockbridge.domain.clock import Clock, SystemClock
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from stockbridge.store.engine import make_engine, upgrade


def bootstrap(settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> HubContext:
    """A ready hub context: schema upgraded to the latest migration, engine pooled."""
    if migrate:
        upgrade(settings.database_url)
    return HubContext(make_engine(settings.database_url), clock or SystemClock(), settings.tenant_id)
