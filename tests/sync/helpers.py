"""Builders for sync tests: a hub with one channel fed by one warehouse, a connection feeding the
channel, listed SKUs bound to the fake channel's items, and stock set by counts."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from stockbridge.connectors.base import Capabilities
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
from stockbridge.services.connections import ConnectionSpec, ConnectionView, register_connection
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.store.schema import channels, listings, skus
from stockbridge.store.schema_sync import listing_sync, webhook_inbox
from tests.sync.fakes import FakeChannel

CHANNEL, CONNECTION, LOCATION = "shop", "fake-shop", "WH1"
_keys = itertools.count()


def caps(*, cas: bool = True, max_batch: int = 250, multi_location: bool = False) -> Capabilities:
    return Capabilities(
        webhooks=True,
        compare_and_set=cas,
        max_batch=max_batch,
        rate_limit_model="none",
        multi_location=multi_location,
    )


def hub_with_channel(
    ctx: HubContext,
    sku_codes: Sequence[str],
    *,
    bound: bool = True,
    settings: dict[str, object] | None = None,
) -> ConnectionView:
    define_location(ctx, LocationSpec(LOCATION, "Main", external_codes={CONNECTION: "loc-1"}))
    define_channel(ctx, ChannelSpec(CHANNEL, "Web shop", "fake", locations=(LOCATION,)))
    view = register_connection(
        ctx,
        ConnectionSpec(
            CONNECTION, "fake", CHANNEL, "http://127.0.0.1:1", settings or {}, {"token": "s3cret"}
        ),
    )
    for code in sku_codes:
        define_sku(ctx, SkuSpec(code, code))
        define_listing(ctx, ListingSpec(CHANNEL, code))
        if bound:
            bind(ctx, CONNECTION, "sku", item_of(code), str(sku_id(ctx, code)))
    return view


def fake_for(
    sku_codes: Sequence[str], *, start: int | None = 0, location: str | None = None, **kw: object
) -> FakeChannel:
    channel = FakeChannel(CONNECTION, caps(**kw))  # type: ignore[arg-type]
    for code in sku_codes:
        channel.add_item(item_of(code), code, start, location)
    return channel


def item_of(code: str) -> str:
    return f"item-{code}"


def sku_id(ctx: HubContext, code: str) -> int:
    with ctx.read() as conn:
        return int(conn.scalar(sa.select(skus.c.id).where(skus.c.code == code)))


def listing_id(ctx: HubContext, code: str, channel: str = CHANNEL) -> int:
    with ctx.read() as conn:
        return int(
            conn.scalar(
                sa.select(listings.c.id)
                .join(skus, skus.c.id == listings.c.sku_id)
                .join(channels, channels.c.id == listings.c.channel_id)
                .where(skus.c.code == code, channels.c.code == channel)
            )
        )


def set_stock(ctx: HubContext, code: str, quantity: int) -> None:
    event = {"type": "count", "sku": code, "location": LOCATION, "quantity": quantity}
    report = ingest_events(ctx, [event | {"idempotency_key": f"count-{next(_keys)}"}], source="test")
    assert report.summary()["applied"] == 1, report.outcomes


def sell_in_hub(ctx: HubContext, code: str, quantity: int) -> None:
    event = {"type": "sale", "sku": code, "location": LOCATION, "quantity": quantity}
    report = ingest_events(ctx, [event | {"idempotency_key": f"sale-{next(_keys)}"}], source="test")
    assert report.summary()["applied"] == 1, report.outcomes


def is_dirty(ctx: HubContext, code: str, channel: str = CHANNEL) -> bool:
    listing = listing_id(ctx, code, channel)
    with ctx.read() as conn:
        return bool(conn.scalar(sa.select(listings.c.dirty).where(listings.c.id == listing)))


def clear_all_dirty(ctx: HubContext) -> None:
    ctx.write(lambda conn: conn.execute(sa.update(listings).values(dirty=False)))


def sync_row(ctx: HubContext, code: str) -> dict[str, object]:
    with ctx.read() as conn:
        row = conn.execute(
            sa.select(listing_sync).where(listing_sync.c.listing_id == listing_id(ctx, code))
        ).first()
    return {} if row is None else dict(row._mapping)


def inbox_delivery(ctx: HubContext, connection_id: int, *, received_at: datetime) -> int:
    """An inbox row never tried yet (the hub's backlog), received at `received_at`; its id."""
    row = {
        "connection_id": connection_id,
        "topic": "orders/create",
        "delivery_id": f"d-{next(_keys)}",
        "headers": {},
        "body": b"{}",
        "received_at": received_at,
    }
    with ctx.engine.begin() as conn:
        return int(conn.execute(sa.insert(webhook_inbox).values(row)).inserted_primary_key[0])
