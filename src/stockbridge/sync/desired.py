"""Desired available-to-sell for many listings of one channel in a handful of queries.

Same rules as `services.availability.compute_listing_atp` (which answers one listing at a time
with several queries each; a push round of a thousand listings would spend seconds there): rules
fall back from listing to channel, supply comes from the listing's own locations or else the
channel's, bundles are built from their components, and the pure `domain.atp.available_to_sell`
makes the number. A test holds the two paths equal on a catalog with bundles, overrides and an
offline location.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from stockbridge.domain.atp import ComponentSupply, ListingRules, LocationSupply, available_to_sell
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.references import SkuRef, load_skus
from stockbridge.store.schema import channel_locations, channels, listing_locations, listings, locations, skus

_RULES = ("buffer", "max_quantity", "share_percent", "stop_below")
Feed = tuple[int, str, bool]  # (location id, code, online)


def desired_levels(conn: sa.Connection, ctx: HubContext, listing_ids: Sequence[int]) -> dict[int, int]:
    """listing id -> available-to-sell now, for listings of one tenant (any channels)."""
    out: dict[int, int] = {}
    for start in range(0, len(listing_ids), 500):
        out.update(_chunk(conn, ctx, list(listing_ids[start : start + 500])))
    return out


def _chunk(conn: sa.Connection, ctx: HubContext, ids: list[int]) -> dict[int, int]:
    rows = conn.execute(
        sa.select(listings, *(channels.c[r].label(f"channel_{r}") for r in _RULES))
        .join(channels, channels.c.id == listings.c.channel_id)
        .where(listings.c.tenant_id == ctx.tenant_id, listings.c.id.in_(ids))
    ).all()
    feeds = _feeds(conn, ids, {int(r.channel_id) for r in rows})
    refs = load_skus(conn, {int(r.sku_id) for r in rows})
    keys = {(p, loc) for r in rows for p in _parts(refs[int(r.sku_id)]) for loc, _, _ in _feed_of(feeds, r)}
    balances = ledger.read_balances(conn, ctx.tenant_id, keys)
    stock = {key: q.available for key, q in balances.items()}
    codes = _codes(conn, {p for ref in refs.values() for p, _ in ref.components})
    result: dict[int, int] = {}
    for r in rows:
        supplies = _supplies(refs[int(r.sku_id)], _feed_of(feeds, r), stock, codes)
        result[int(r.id)] = available_to_sell(_rules(r._mapping), supplies).quantity
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
    return {
        int(i): c for i, c in conn.execute(sa.select(skus.c.id, skus.c.code).where(skus.c.id.in_(sku_ids)))
    }
