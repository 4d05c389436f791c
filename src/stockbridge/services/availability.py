"""Balances and available-to-sell as people read them: by SKU and location code, per listing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from stockbridge.domain.atp import AtpResult, ComponentSupply, ListingRules, LocationSupply, available_to_sell
from stockbridge.domain.quantities import STATES, Quantities
from stockbridge.errors import NotFoundError
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.references import load_skus
from stockbridge.store.schema import (
    balances,
    channel_locations,
    channels,
    listing_locations,
    listings,
    locations,
    skus,
)


@dataclass(frozen=True)
class BalanceView:
    sku: str
    location: str
    quantities: Quantities

    def as_dict(self) -> dict[str, object]:
        return {"sku": self.sku, "location": self.location, **self.quantities.as_dict()}


@dataclass(frozen=True)
class ListingAtp:
    channel: str
    sku: str
    result: AtpResult
    rules: ListingRules

    def as_dict(self) -> dict[str, object]:
        return {
            "channel": self.channel,
            "sku": self.sku,
            "available_to_sell": self.result.quantity,
            "rules": self.rules.__dict__,
            **self.result.as_dict(),
        }


def list_balances(
    ctx: HubContext, *, sku: str | None = None, location: str | None = None, limit: int = 1000
) -> list[BalanceView]:
    b = balances.c
    query = (
        sa.select(skus.c.code, locations.c.code.label("location"), *(b[s.value] for s in STATES))
        .join(skus, skus.c.id == b.sku_id)
        .join(locations, locations.c.id == b.location_id)
        .where(b.tenant_id == ctx.tenant_id)
        .order_by(skus.c.code, locations.c.code)
        .limit(limit)
    )
    if sku:
        query = query.where(skus.c.code == sku)
    if location:
        query = query.where(locations.c.code == location)
    with ctx.read() as conn:
        return [
            BalanceView(r.code, r.location, Quantities.from_mapping(r._mapping)) for r in conn.execute(query)
        ]


def listing_atp(ctx: HubContext, channel: str, sku: str) -> ListingAtp:
    with ctx.read() as conn:
        return compute_listing_atp(conn, ctx, channel, sku)


def listings_atp(ctx: HubContext, *, channel: str | None = None, sku: str | None = None) -> list[ListingAtp]:
    query = (
        sa.select(channels.c.code.label("channel"), skus.c.code.label("sku"))
        .join(channels, channels.c.id == listings.c.channel_id)
        .join(skus, skus.c.id == listings.c.sku_id)
        .where(listings.c.tenant_id == ctx.tenant_id)
        .order_by(channels.c.code, skus.c.code)
    )
    if channel:
        query = query.where(channels.c.code == channel)
    if sku:
        query = query.where(skus.c.code == sku)
    with ctx.read() as conn:
        return [compute_listing_atp(conn, ctx, r.channel, r.sku) for r in conn.execute(query).all()]


def compute_listing_atp(conn: sa.Connection, ctx: HubContext, channel: str, sku: str) -> ListingAtp:
    row = conn.execute(
        sa.select(listings, *(channels.c[r].label(f"channel_{r}") for r in _RULES))
        .join(channels, channels.c.id == listings.c.channel_id)
        .join(skus, skus.c.id == listings.c.sku_id)
        .where(listings.c.tenant_id == ctx.tenant_id, channels.c.code == channel, skus.c.code == sku)
    ).first()
    if row is None:
        raise NotFoundError(f"no listing of {sku!r} on channel {channel!r}", channel=channel, sku=sku)
    m = row._mapping
    rules = ListingRules(
        buffer=_pick(m["buffer"], m["channel_buffer"], 0),
        max_quantity=m["max_quantity"] if m["max_quantity"] is not None else m["channel_max_quantity"],
        share_percent=_pick(m["share_percent"], m["channel_share_percent"], 100),
        stop_below=_pick(m["stop_below"], m["channel_stop_below"], 0),
    )
    supplies = _supplies(conn, ctx, int(m["id"]), int(m["channel_id"]), int(m["sku_id"]))
    return ListingAtp(channel, sku, available_to_sell(rules, supplies), rules)


_RULES = ("buffer", "max_quantity", "share_percent", "stop_below")


def _pick(own: int | None, channel_default: int | None, fallback: int) -> int:
    if own is not None:
        return own
    return channel_default if channel_default is not None else fallback


def feeding_locations(conn: sa.Connection, listing_id: int, channel_id: int) -> list[tuple[int, str, bool]]:
    own = conn.execute(
        sa.select(locations.c.id, locations.c.code, locations.c.online)
        .join(listing_locations, listing_locations.c.location_id == locations.c.id)
        .where(listing_locations.c.listing_id == listing_id)
        .order_by(locations.c.code)
    ).all()
    if own:
        return [(r.id, r.code, bool(r.online)) for r in own]
    rows = conn.execute(
        sa.select(locations.c.id, locations.c.code, locations.c.online)
        .join(channel_locations, channel_locations.c.location_id == locations.c.id)
        .where(channel_locations.c.channel_id == channel_id)
        .order_by(locations.c.code)
    ).all()
    return [(r.id, r.code, bool(r.online)) for r in rows]


def _supplies(
    conn: sa.Connection, ctx: HubContext, listing_id: int, channel_id: int, sku_id: int
) -> Sequence[LocationSupply]:
    feeds = feeding_locations(conn, listing_id, channel_id)
    sku = load_skus(conn, {sku_id})[sku_id]
    parts = list(sku.components) if sku.is_bundle else [(sku_id, 1)]
    current = ledger.read_balances(conn, ctx.tenant_id, [(p, loc) for loc, _, _ in feeds for p, _ in parts])
    codes = dict(
        conn.execute(sa.select(skus.c.id, skus.c.code).where(skus.c.id.in_([p for p, _ in parts]))).all()
    )

    def available(part: int, loc: int) -> int:
        return current[(part, loc)].available if (part, loc) in current else 0

    if not sku.is_bundle:
        return [LocationSupply(code, online, available(sku_id, loc)) for loc, code, online in feeds]
    return [
        LocationSupply.for_bundle(
            code, online, [ComponentSupply(codes[p], per, available(p, loc)) for p, per in parts]
        )
        for loc, code, online in feeds
    ]
