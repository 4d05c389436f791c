"""Builders for inbound tests: two online warehouses feeding channel `shop`, a `fake` connection
with a webhook secret, two SKUs (TEE bound by item id, MUG matched by its SKU text), stock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from stockbridge.domain.quantities import Quantities
from stockbridge.services.bindings import bind
from stockbridge.services.catalog_places import (
    ChannelSpec,
    ListingSpec,
    LocationSpec,
    define_channel,
    define_listing,
    define_location,
)
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.connections import ConnectionSpec, register_connection
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.store import ledger
from stockbridge.store.schema import inventory_events, locations, skus
from stockbridge.store.schema_sync import webhook_inbox

SECRET, CONNECTION, CHANNEL = "s3cret", "fake-shop", "shop"
WEBHOOK_URL = f"/webhooks/fake/{CONNECTION}"


def hub(ctx: HubContext, *, tee_wh1: int = 5, tee_wh2: int = 3, mug_wh1: int = 4) -> None:
    define_location(ctx, LocationSpec("WH1", "Main"))
    define_location(ctx, LocationSpec("WH2", "Second"))
    define_channel(ctx, ChannelSpec(CHANNEL, "Web shop", "fake", locations=("WH1", "WH2")))
    for code in ("TEE", "MUG"):
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
    register_connection(ctx, ConnectionSpec(CONNECTION, "fake", CHANNEL, secrets={"webhook_secret": SECRET}))
    bind(ctx, CONNECTION, "sku", "item-tee", str(id_of(ctx, skus, "TEE")))
    bind(ctx, CONNECTION, "location", "loc-2", str(id_of(ctx, locations, "WH2")))
    receipts = [("TEE", "WH1", tee_wh1), ("TEE", "WH2", tee_wh2), ("MUG", "WH1", mug_wh1)]
    events = [
        {"type": "receipt", "sku": s, "location": loc, "quantity": q, "idempotency_key": f"r-{s}-{loc}"}
        for s, loc, q in receipts
        if q
    ]
    assert ingest_events(ctx, events, source="test").summary()["applied"] == len(events)


def id_of(ctx: HubContext, table: sa.Table, code: str) -> int:
    with ctx.read() as conn:
        found = conn.scalar(sa.select(table.c.id).where(table.c.code == code))
    assert found is not None, code
    return int(found)


def balance(ctx: HubContext, sku: str, location: str) -> Quantities:
    key = (id_of(ctx, skus, sku), id_of(ctx, locations, location))
    with ctx.read() as conn:
        return ledger.read_balances(conn, ctx.tenant_id, [key]).get(key, Quantities())


def inbox_rows(ctx: HubContext) -> list[Any]:
    with ctx.read() as conn:
        return list(conn.execute(sa.select(webhook_inbox).order_by(webhook_inbox.c.id)))


def order_events(ctx: HubContext, order_id: str) -> list[tuple[str, str]]:
    """(type, idempotency key) of every ledger event of one fake-shop order, in order."""
    e = inventory_events.c
    prefix = f"fake:{CONNECTION}:order:{order_id}:"
    with ctx.read() as conn:
        rows = conn.execute(
            sa.select(e.type, e.idempotency_key).where(e.idempotency_key.startswith(prefix)).order_by(e.id)
        )
        return [(r.type, r.idempotency_key) for r in rows]


def at(minute: int, second: int = 0) -> datetime:
    from datetime import UTC

    return datetime(2026, 1, 1, 10, minute, second, tzinfo=UTC)


def deliver(
    ctx: HubContext, fake: Any, topic: str, payload: dict[str, Any], event_id: str | None = None
) -> None:
    """What the endpoint does with a signed delivery: verify, parse, store in the inbox."""
    from stockbridge.services.connections import load_connection_config
    from stockbridge.sync.inbound_bindings import record_of
    from stockbridge.sync.inbox import accept_delivery
    from tests.inbound.fakes import webhook

    body, headers = webhook(topic, payload, SECRET, event_id)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert fake.verify_webhook(lowered, body)
    record = record_of(load_connection_config(ctx, CONNECTION), ctx.tenant_id)
    accept_delivery(ctx, record, fake.parse_webhook(lowered, body), lowered, body)


# For tests of HTTP or CLI behaviour that no database difference can change: SQLite only.
sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
