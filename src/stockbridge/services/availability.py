"""Balances and available-to-sell as people read them: by SKU and location code, per listing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from stockbridge.domain.atp import AtpResult, ComponentSupply, ListingRules, LocationSupply, available_to_sell
from stockbridge.domain.quantities import STATES, Quantities
from stockbridge.errors import NotFoundError
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.references import SkuRef, load_skus
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
        sa.select(listings.c.id)
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
        ids = [int(i) for i in conn.scalars(query)]
        found = atp_of_listings(conn, ctx, ids)
    return [found[i] for i in ids]


def compute_listing_atp(conn: sa.Connection, ctx: HubContext, channel: str, sku: str) -> ListingAtp:
    listing_id = conn.scalar(
        sa.select(listings.c.id)
        .join(channels, channels.c.id == listings.c.channel_id)
        .join(skus, skus.c.id == listings.c.sku_id)
        .where(listings.c.tenant_id == ctx.tenant_id, channels.c.code == channel, skus.c.code == sku)
    )
    if listing_id is None:
        raise NotFoundError(f"no listing of {sku!r} on channel {channel!r}", channel=channel, sku=sku)
    return atp_of_listings(conn, ctx, [int(listing_id)])[int(listing_id)]


def atp_of_listings(
    conn: sa.Connection, ctx: HubContext, listing_ids: Sequence[int]
) -> dict[int, ListingAtp]:
    """Available-to-sell of many listings (any channels) in a handful of queries per 500: the one
    path behind a single listing's answer, the listing views and the pusher's desired levels."""
    out: dict[int, ListingAtp] = {}
    for start in range(0, len(listing_ids), 500):
        out.update(_chunk(conn, ctx, list(listing_ids[start : start + 500])))
    return out


_RULES = ("buffer", "max_quantity", "share_percent", "stop_below")
Feed = tuple[int, str, bool]  # (location id, code, online)


def _chunk(conn: sa.Connection, ctx: HubContext, ids: list[int]) -> dict[int, ListingAtp]:
    rows = conn.execute(
        sa.select(
            listings,
            channels.c.code.label("channel_code"),
            skus.c.code.label("sku_code"),
            *(channels.c[r].label(f"channel_{r}") for r in _RULES),
        )
        .join(channels, channels.c.id == listings.c.channel_id)
        .join(skus, skus.c.id == listings.c.sku_id)
        .where(listings.c.tenant_id == ctx.tenant_id, listings.c.id.in_(ids))
    ).all()
    feeds = _feeds(conn, ids, {int(r.channel_id) for r in rows})
    refs = load_skus(conn, {int(r.sku_id) for r in rows})
    keys = {(p, loc) for r in rows for p in _parts(refs[int(r.sku_id)]) for loc, _, _ in _feed_of(feeds, r)}
    stock = {key: q.available for key, q in ledger.read_balances(conn, ctx.tenant_id, keys).items()}
    codes = _codes(conn, {p for ref in refs.values() for p, _ in ref.components})
    result: dict[int, ListingAtp] = {}
    for r in rows:
        rules = _rules(r._mapping)
        supplies = _supplies(refs[int(r.sku_id)], _feed_of(feeds, r), stock, codes)
        result[int(r.id)] = ListingAtp(r.channel_code, r.sku_code, available_to_sell(rules, supplies), rules)
    return result


def _rules(m: Any) -> ListingRules:
    def pick(name: str, fallback: int) -> int:
        own, default = m[name], m[f"channel_{name}"]
        return int(own if own is not None else default if default is not None else fallback)

    cap = m["max_quantity"] if m["max_quantity"] is not None else m["channel_max_quantity"]
    return ListingRules(pick("buffer", 0), cap, pick("share_percent", 100), pick("stop_below", 0))


def _feeds(conn: sa.Connection, ids: list[int], channel_ids: set[int]) -> dict[tuple[str, int], list[Feed]]:
    """("listing", id) -> its own locations; ("channel", id) -> the channel's; ordered by code."""
    loc = locations.c
    own = conn.execute(
        sa.select(listing_locations.c.listing_id, loc.id, loc.code, loc.online)
        .join(locations, loc.id == listing_locations.c.location_id)
        .where(listing_locations.c.listing_id.in_(ids))
        .order_by(loc.code)
    ).all()
    shared = conn.execute(
        sa.select(channel_locations.c.channel_id, loc.id, loc.code, loc.online)
        .join(locations, loc.id == channel_locations.c.location_id)
        .where(channel_locations.c.channel_id.in_(channel_ids))
        .order_by(loc.code)
    ).all()
    feeds: dict[tuple[str, int], list[Feed]] = {}
    for kind, found in (("listing", own), ("channel", shared)):
        for owner, loc_id, code, online in found:
            feeds.setdefault((kind, int(owner)), []).append((int(loc_id), code, bool(online)))
    return feeds


def _feed_of(feeds: Mapping[tuple[str, int], list[Feed]], row: Any) -> list[Feed]:
    return feeds.get(("listing", int(row.id))) or feeds.get(("channel", int(row.channel_id)), [])


def _parts(ref: SkuRef) -> list[int]:
    return [p for p, _ in ref.components] if ref.is_bundle else [ref.id]


def _supplies(
    ref: SkuRef, feed: list[Feed], stock: Mapping[tuple[int, int], int], codes: Mapping[int, str]
) -> list[LocationSupply]:
    if not ref.is_bundle:
        return [LocationSupply(code, online, stock.get((ref.id, loc), 0)) for loc, code, online in feed]
    return [
        LocationSupply.for_bundle(
            code,
            online,
            [ComponentSupply(codes[p], per, stock.get((p, loc), 0)) for p, per in ref.components],
        )
        for loc, code, online in feed
    ]


def _codes(conn: sa.Connection, sku_ids: set[int]) -> dict[int, str]:
    if not sku_ids:
        return {}
    rows = conn.execute(sa.select(skus.c.id, skus.c.code).where(skus.c.id.in_(sku_ids)))
    return {int(i): c for i, c in rows}
