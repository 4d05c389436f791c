"""Locations (with external codes per connection and an online switch), channels (with default
selling rules and the locations that feed them) and listings (channel x SKU, rules overridable).

Anything here that can move a listing's available-to-sell marks the affected listings dirty in
the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from stockbridge.errors import NotFoundError, ValidationError
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.schema import (
    balances,
    channel_locations,
    channels,
    listing_locations,
    listings,
    location_codes,
    locations,
    skus,
)

LOCATION_KINDS = ("warehouse", "store", "3pl", "in_transit")


@dataclass(frozen=True)
class LocationSpec:
    code: str
    name: str = ""
    kind: str = "warehouse"
    online: bool = True
    external_codes: Mapping[str, str] = field(default_factory=dict)  # connection -> code there


@dataclass(frozen=True)
class Rules:
    """Selling rules; on a listing, None means "use the channel's"."""

    buffer: int | None = None
    max_quantity: int | None = None
    share_percent: int | None = None
    stop_below: int | None = None


@dataclass(frozen=True)
class ChannelSpec:
    code: str
    name: str = ""
    platform: str = "generic"
    locations: Sequence[str] = ()
    rules: Rules = Rules()


@dataclass(frozen=True)
class ListingSpec:
    channel: str
    sku: str
    rules: Rules = Rules()
    locations: Sequence[str] | None = None  # None: the channel's locations


def define_location(ctx: HubContext, spec: LocationSpec) -> dict[str, object]:
    if spec.kind not in LOCATION_KINDS:
        raise ValidationError(f"kind must be one of {', '.join(LOCATION_KINDS)}", field="kind")

    def work(conn: sa.Connection) -> None:
        location_id = _upsert(
            conn, locations, ctx, spec.code, {"name": spec.name, "kind": spec.kind, "online": spec.online}
        )
        for connection, external in spec.external_codes.items():
            key = {"tenant_id": ctx.tenant_id, "connection": connection, "external_code": external}
            conn.execute(sa.delete(location_codes).filter_by(**key))
            conn.execute(sa.insert(location_codes), key | {"location_id": location_id})
        _mark_location_listings(conn, ctx, location_id)

    ctx.write(work)
    return get_location(ctx, spec.code)


def set_location_online(ctx: HubContext, code: str, online: bool) -> dict[str, object]:
    def work(conn: sa.Connection) -> None:
        location_id = _id_of(conn, locations, ctx, code, "location")
        conn.execute(sa.update(locations).where(locations.c.id == location_id).values(online=online))
        _mark_location_listings(conn, ctx, location_id)

    ctx.write(work)
    return get_location(ctx, code)


def get_location(ctx: HubContext, code: str) -> dict[str, object]:
    with ctx.read() as conn:
        row = conn.execute(
            sa.select(locations).where(locations.c.tenant_id == ctx.tenant_id, locations.c.code == code)
        ).first()
        if row is None:
            raise NotFoundError(f"no location {code!r}", location=code)
        codes = conn.execute(
            sa.select(location_codes.c.connection, location_codes.c.external_code).where(
                location_codes.c.location_id == row.id
            )
        ).all()
    return {
        "code": row.code,
        "name": row.name,
        "kind": row.kind,
        "online": bool(row.online),
        "external_codes": {c: e for c, e in codes},
    }


def list_locations(ctx: HubContext) -> list[dict[str, object]]:
    with ctx.read() as conn:
        codes = conn.scalars(
            sa.select(locations.c.code)
            .where(locations.c.tenant_id == ctx.tenant_id)
            .order_by(locations.c.code)
        ).all()
    return [get_location(ctx, c) for c in codes]


def define_channel(ctx: HubContext, spec: ChannelSpec) -> dict[str, object]:
    _check_rules(spec.rules, allow_none=False)
    defaults = {"buffer": 0, "share_percent": 100, "stop_below": 0, "max_quantity": None}
    rules = {k: v for k, v in spec.rules.__dict__.items() if v is not None}

    def work(conn: sa.Connection) -> None:
        channel_id = _upsert(
            conn,
            channels,
            ctx,
            spec.code,
            {"name": spec.name, "platform": spec.platform, **defaults, **rules},
        )
        conn.execute(sa.delete(channel_locations).where(channel_locations.c.channel_id == channel_id))
        rows = [
            {"channel_id": channel_id, "location_id": _id_of(conn, locations, ctx, c, "locations")}
            for c in dict.fromkeys(spec.locations)
        ]
        if rows:
            conn.execute(sa.insert(channel_locations), rows)
        _mark(conn, listings.c.channel_id == channel_id, ctx)

    ctx.write(work)
    return get_channel(ctx, spec.code)


def get_channel(ctx: HubContext, code: str) -> dict[str, object]:
    with ctx.read() as conn:
        row = conn.execute(
            sa.select(channels).where(channels.c.tenant_id == ctx.tenant_id, channels.c.code == code)
        ).first()
        if row is None:
            raise NotFoundError(f"no channel {code!r}", channel=code)
        feeds = conn.scalars(
            sa.select(locations.c.code)
            .join(channel_locations, channel_locations.c.location_id == locations.c.id)
            .where(channel_locations.c.channel_id == row.id)
            .order_by(locations.c.code)
        ).all()
    return {
        "code": row.code,
        "name": row.name,
        "platform": row.platform,
        "locations": list(feeds),
        "rules": {k: row._mapping[k] for k in ("buffer", "max_quantity", "share_percent", "stop_below")},
    }


def list_channels(ctx: HubContext) -> list[dict[str, object]]:
    with ctx.read() as conn:
        codes = conn.scalars(
            sa.select(channels.c.code).where(channels.c.tenant_id == ctx.tenant_id).order_by(channels.c.code)
        ).all()
    return [get_channel(ctx, c) for c in codes]


def define_listing(ctx: HubContext, spec: ListingSpec) -> dict[str, object]:
    _check_rules(spec.rules, allow_none=True)

    def work(conn: sa.Connection) -> None:
        channel_id = _id_of(conn, channels, ctx, spec.channel, "channel")
        sku_id = _id_of(conn, skus, ctx, spec.sku, "sku")
        now, values = ctx.clock.now(), dict(spec.rules.__dict__)
        existing = conn.scalar(
            sa.select(listings.c.id).where(listings.c.channel_id == channel_id, listings.c.sku_id == sku_id)
        )
        if existing is None:
            row = {"tenant_id": ctx.tenant_id, "channel_id": channel_id, "sku_id": sku_id, "created_at": now}
            existing = conn.execute(sa.insert(listings).returning(listings.c.id), row | values).scalar_one()
        else:
            conn.execute(sa.update(listings).where(listings.c.id == existing).values(**values))
        conn.execute(sa.delete(listing_locations).where(listing_locations.c.listing_id == existing))
        if spec.locations is not None:
            rows = [
                {"listing_id": existing, "location_id": _id_of(conn, locations, ctx, c, "locations")}
                for c in dict.fromkeys(spec.locations)
            ]
            if rows:
                conn.execute(sa.insert(listing_locations), rows)
        conn.execute(sa.update(listings).where(listings.c.id == existing).values(dirty=True, dirty_at=now))

    ctx.write(work)
    return {"channel": spec.channel, "sku": spec.sku}


def _check_rules(rules: Rules, *, allow_none: bool) -> None:
    for name, value in rules.__dict__.items():
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValidationError(f"{name} must be a whole number >= 0", field=f"rules.{name}")
    if rules.share_percent is not None and rules.share_percent > 100:
        raise ValidationError("share_percent must be between 0 and 100", field="rules.share_percent")


def _upsert(
    conn: sa.Connection, table: sa.Table, ctx: HubContext, code: str, values: dict[str, object]
) -> int:
    if not code.strip():
        raise ValidationError("code is required", field="code")
    found = conn.scalar(sa.select(table.c.id).where(table.c.tenant_id == ctx.tenant_id, table.c.code == code))
    if found is not None:
        conn.execute(sa.update(table).where(table.c.id == found).values(**values))
        return int(found)
    row = {"tenant_id": ctx.tenant_id, "code": code, "created_at": ctx.clock.now(), **values}
    return int(conn.execute(sa.insert(table).returning(table.c.id), row).scalar_one())


def _id_of(conn: sa.Connection, table: sa.Table, ctx: HubContext, code: str, what: str) -> int:
    found = conn.scalar(sa.select(table.c.id).where(table.c.tenant_id == ctx.tenant_id, table.c.code == code))
    if found is None:
        raise NotFoundError(f"no {what.rstrip('s')} {code!r}", field=what, code=code)
    return int(found)


def _mark_location_listings(conn: sa.Connection, ctx: HubContext, location_id: int) -> None:
    stocked = conn.scalars(
        sa.select(balances.c.sku_id).where(
            balances.c.tenant_id == ctx.tenant_id, balances.c.location_id == location_id
        )
    ).all()
    ledger.mark_listings_dirty(conn, ctx.tenant_id, stocked, ctx.clock.now())


def _mark(conn: sa.Connection, condition: sa.ColumnElement[bool], ctx: HubContext) -> None:
    conn.execute(
        sa.update(listings)
        .where(listings.c.tenant_id == ctx.tenant_id, listings.c.dirty.is_(False), condition)
        .values(dirty=True, dirty_at=ctx.clock.now())
    )
