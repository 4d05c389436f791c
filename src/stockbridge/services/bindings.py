"""Bindings: (connection, object type, external id) -> internal id, and the binder that makes them.

External ids are strings; internal ids are our row ids as strings (`sku` -> skus.id, `location`
-> locations.id), stable when a code is renamed. `extra` keeps what else the platform needs beside
the external id (the variant id and SKU text beside an inventory item id); `content_hash` lets a
re-discovery skip what did not change.

The binder matches remote variants to SKUs by SKU code, then by the connection's alias
(`sku_aliases`), and remote locations via `location_codes` (by remote id, then by name). Every
remote item it cannot bind is reported with a reason; nothing is skipped silently.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.connectors.base import RemoteLocation, RemoteVariant
from stockbridge.services.connections import get_connection
from stockbridge.services.context import HubContext
from stockbridge.store.schema import location_codes, sku_aliases, skus
from stockbridge.store.schema_sync import bindings

SKU, LOCATION = "sku", "location"


@dataclass(frozen=True)
class Binding:
    connection: str
    object_type: str
    external_id: str
    internal_id: str
    extra: dict[str, Any] | None
    content_hash: str | None
    synced_at: datetime


@dataclass(frozen=True)
class Unmatched:
    object_type: str
    external_id: str
    label: str  # the remote SKU text or location name, for people
    reason: str


@dataclass
class BindReport:
    bound: list[Binding] = field(default_factory=list)
    unchanged: int = 0
    unmatched: list[Unmatched] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "bound": len(self.bound),
            "unchanged": self.unchanged,
            "unmatched": [u.__dict__ for u in self.unmatched],
        }


def bind(
    ctx: HubContext,
    connection: str,
    object_type: str,
    external_id: str,
    internal_id: str,
    extra: Mapping[str, Any] | None = None,
    content_hash: str | None = None,
) -> Binding:
    """Bind one external id (replacing what it was bound to before)."""
    connection_id = get_connection(ctx, connection).id
    row = _binding_row(ctx, connection_id, object_type, external_id, internal_id, extra, content_hash)
    ctx.write(lambda conn: upsert_bindings(conn, [row]))
    return Binding(
        connection, object_type, external_id, internal_id, row["extra"], content_hash, row["synced_at"]
    )


def unbind(ctx: HubContext, connection: str, object_type: str, external_id: str) -> bool:
    connection_id = get_connection(ctx, connection).id

    def work(conn: sa.Connection) -> bool:
        result = conn.execute(
            sa.delete(bindings).where(*binding_key(ctx, connection_id, object_type, external_id))
        )
        return result.rowcount == 1

    return ctx.write(work)


def find_internal_id(ctx: HubContext, connection: str, object_type: str, external_id: str) -> str | None:
    connection_id = get_connection(ctx, connection).id
    with ctx.read() as conn:
        found = conn.scalar(
            sa.select(bindings.c.internal_id).where(
                *binding_key(ctx, connection_id, object_type, external_id)
            )
        )
    return None if found is None else str(found)


def find_external_ids(ctx: HubContext, connection: str, object_type: str, internal_id: str) -> list[Binding]:
    """The other way round: every external id bound to one internal id (usually one)."""
    return list_bindings(ctx, connection, object_type, internal_id=internal_id)


def list_bindings(
    ctx: HubContext, connection: str, object_type: str | None = None, *, internal_id: str | None = None
) -> list[Binding]:
    connection_id = get_connection(ctx, connection).id
    b = bindings.c
    query = sa.select(bindings).where(b.tenant_id == ctx.tenant_id, b.connection_id == connection_id)
    if object_type is not None:
        query = query.where(b.object_type == object_type)
    if internal_id is not None:
        query = query.where(b.internal_id == internal_id)
    with ctx.read() as conn:
        rows = conn.execute(query.order_by(b.object_type, b.external_id)).all()
    return [
        Binding(connection, r.object_type, r.external_id, r.internal_id, r.extra, r.content_hash, r.synced_at)
        for r in rows
    ]


def upsert_bindings(conn: sa.Connection, rows: Sequence[Mapping[str, Any]]) -> None:
    if not rows:
        return
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(bindings)
    stmt = insert.on_conflict_do_update(
        index_elements=["tenant_id", "connection_id", "object_type", "external_id"],
        set_={c: insert.excluded[c] for c in ("internal_id", "extra", "content_hash", "synced_at")},
    )
    conn.execute(stmt, list(rows))


def bind_catalog(
    ctx: HubContext,
    connection: str,
    variants: Sequence[RemoteVariant],
    locations: Sequence[RemoteLocation],
) -> BindReport:
    """Match what a platform lists to our SKUs and locations, bind the matches, report the rest."""
    view = get_connection(ctx, connection)
    report = BindReport()

    def work(conn: sa.Connection) -> BindReport:
        report.bound.clear()
        report.unchanged, report.unmatched[:] = 0, []
        rows = _match_locations(conn, ctx, view.id, connection, locations, report)
        rows += _match_variants(conn, ctx, view.id, connection, variants, report)
        current = _current_hashes(conn, ctx, view.id)
        fresh = [r for r in rows if current.get((r["object_type"], r["external_id"])) != _identity(r)]
        report.unchanged = len(rows) - len(fresh)
        _release_rebound(conn, ctx, view.id, fresh)
        upsert_bindings(conn, fresh)
        report.bound = [_as_binding(connection, r) for r in fresh]
        return report

    return ctx.write(work)


def content_hash(values: Mapping[str, Any]) -> str:
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _match_variants(
    conn: sa.Connection,
    ctx: HubContext,
    connection_id: int,
    connection: str,
    variants: Sequence[RemoteVariant],
    report: BindReport,
) -> list[dict[str, Any]]:
    wanted = {v.sku for v in variants if v.sku}
    by_code, by_alias = _sku_lookup(conn, ctx, connection, wanted)
    taken: dict[int, str] = {}
    rows: list[dict[str, Any]] = []
    for variant in sorted(variants, key=lambda v: v.item_id):
        label = variant.sku or variant.title
        sku_id, reason = _resolve_variant(variant, by_code, by_alias, taken, connection)
        if sku_id is None:
            report.unmatched.append(Unmatched(SKU, variant.item_id, label, reason))
            continue
        taken[sku_id] = variant.item_id
        extra = {"sku": variant.sku, "variant_id": variant.variant_id, "product_id": variant.product_id}
        digest = content_hash(extra | {"title": variant.title, "internal_id": sku_id})
        rows.append(_binding_row(ctx, connection_id, SKU, variant.item_id, str(sku_id), extra, digest))
    return rows


def _resolve_variant(
    variant: RemoteVariant,
    by_code: Mapping[str, int],
    by_alias: Mapping[str, int],
    taken: Mapping[int, str],
    connection: str,
) -> tuple[int | None, str]:
    if not variant.tracked:
        return None, "inventory is not tracked on the platform for this item"
    if not variant.sku:
        return None, "the remote variant has no SKU"
    sku_id = by_code.get(variant.sku, by_alias.get(variant.sku))
    if sku_id is None:
        return None, f"no SKU code or {connection!r} alias {variant.sku!r} in the hub"
    if sku_id in taken:
        return None, f"SKU {variant.sku!r} is already matched by remote item {taken[sku_id]!r}"
    return sku_id, ""


def _sku_lookup(
    conn: sa.Connection, ctx: HubContext, connection: str, names: set[str]
) -> tuple[dict[str, int], dict[str, int]]:
    if not names:
        return {}, {}
    by_code = dict(
        conn.execute(
            sa.select(skus.c.code, skus.c.id).where(skus.c.tenant_id == ctx.tenant_id, skus.c.code.in_(names))
        ).all()
    )
    a = sku_aliases.c
    by_alias = dict(
        conn.execute(
            sa.select(a.alias, a.sku_id).where(
                a.tenant_id == ctx.tenant_id, a.connection == connection, a.alias.in_(names)
            )
        ).all()
    )
    return by_code, by_alias


def _match_locations(
    conn: sa.Connection,
    ctx: HubContext,
    connection_id: int,
    connection: str,
    remote: Sequence[RemoteLocation],
    report: BindReport,
) -> list[dict[str, Any]]:
    lc = location_codes.c
    codes = dict(
        conn.execute(
            sa.select(lc.external_code, lc.location_id).where(
                lc.tenant_id == ctx.tenant_id, lc.connection == connection
            )
        ).all()
    )
    rows: list[dict[str, Any]] = []
    for location in sorted(remote, key=lambda r: r.location_id):
        found = codes.get(location.location_id, codes.get(location.name))
        if not location.active:
            report.unmatched.append(
                Unmatched(LOCATION, location.location_id, location.name, "inactive remote location")
            )
        elif found is None:
            reason = f"no location code {location.location_id!r} or {location.name!r} for connection {connection!r}"
            report.unmatched.append(Unmatched(LOCATION, location.location_id, location.name, reason))
        else:
            extra = {"name": location.name}
            digest = content_hash(extra | {"internal_id": found})
            rows.append(
                _binding_row(ctx, connection_id, LOCATION, location.location_id, str(found), extra, digest)
            )
    return rows


def _current_hashes(
    conn: sa.Connection, ctx: HubContext, connection_id: int
) -> dict[tuple[str, str], tuple[str, str | None]]:
    b = bindings.c
    rows = conn.execute(
        sa.select(b.object_type, b.external_id, b.internal_id, b.content_hash).where(
            b.tenant_id == ctx.tenant_id, b.connection_id == connection_id
        )
    ).all()
    return {(r.object_type, r.external_id): (r.internal_id, r.content_hash) for r in rows}


def _identity(row: Mapping[str, Any]) -> tuple[str, str | None]:
    return row["internal_id"], row["content_hash"]


def _release_rebound(
    conn: sa.Connection, ctx: HubContext, connection_id: int, rows: Sequence[Mapping[str, Any]]
) -> None:
    """A SKU now matched by another remote item (deleted and re-created there) loses its old binding."""
    b = bindings.c
    for row in rows:
        if row["object_type"] != SKU:
            continue
        conn.execute(
            sa.delete(bindings).where(
                b.tenant_id == ctx.tenant_id,
                b.connection_id == connection_id,
                b.object_type == SKU,
                b.internal_id == row["internal_id"],
                b.external_id != row["external_id"],
            )
        )


def _binding_row(
    ctx: HubContext,
    connection_id: int,
    object_type: str,
    external_id: str,
    internal_id: str,
    extra: Mapping[str, Any] | None,
    digest: str | None,
) -> dict[str, Any]:
    return {
        "tenant_id": ctx.tenant_id,
        "connection_id": connection_id,
        "object_type": object_type,
        "external_id": str(external_id),
        "internal_id": str(internal_id),
        "extra": None if extra is None else dict(extra),
        "content_hash": digest,
        "synced_at": ctx.clock.now(),
    }


def _as_binding(connection: str, row: Mapping[str, Any]) -> Binding:
    return Binding(
        connection,
        row["object_type"],
        row["external_id"],
        row["internal_id"],
        row["extra"],
        row["content_hash"],
        row["synced_at"],
    )


def binding_key(
    ctx: HubContext, connection_id: int, object_type: str, external_id: str
) -> list[sa.ColumnElement[bool]]:
    """The conditions that pick one binding row: (tenant, connection, object type, external id)."""
    b = bindings.c
    return [
        b.tenant_id == ctx.tenant_id,
        b.connection_id == connection_id,
        b.object_type == object_type,
        b.external_id == external_id,
    ]
