"""Resolving the names events use (SKU codes and aliases, location codes and external codes) to
ids, units and bundle recipes, with bulk prefetch so a batch of events costs a handful of queries.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from stockbridge.domain.units import UnitTable
from stockbridge.errors import UnknownReferenceError
from stockbridge.store.schema import (
    bundle_components,
    location_codes,
    locations,
    sku_aliases,
    sku_units,
    skus,
)


@dataclass(frozen=True)
class SkuRef:
    id: int
    code: str
    is_bundle: bool
    units: UnitTable
    components: tuple[tuple[int, int], ...] = ()  # (component sku id, quantity per bundle)


@dataclass(frozen=True)
class LocationRef:
    id: int
    code: str
    online: bool


class ReferenceResolver:
    """Looks names up once per instance; use one per transaction (it caches what it saw)."""

    def __init__(self, conn: sa.Connection, tenant_id: int) -> None:
        self._conn, self._tenant = conn, tenant_id
        self._skus: dict[tuple[str | None, str], SkuRef | None] = {}
        self._locations: dict[tuple[str | None, str], LocationRef | None] = {}
        self._sku_codes: dict[int, str] = {}
        self._location_codes: dict[int, str] = {}

    def prefetch(
        self, sku_names: Iterable[str], location_names: Iterable[str], connection: str | None
    ) -> None:
        self._fetch_skus({n for n in sku_names if (connection, n) not in self._skus}, connection)
        self._fetch_locations(
            {n for n in location_names if (connection, n) not in self._locations}, connection
        )

    def sku(self, name: str, connection: str | None, *, field: str) -> SkuRef:
        if (connection, name) not in self._skus:
            self._fetch_skus({name}, connection)
        found = self._skus[(connection, name)]
        if found is None:
            where = f" (nor an alias on connection {connection!r})" if connection else ""
            raise UnknownReferenceError(f"unknown SKU {name!r}{where}", field=field, sku=name)
        return found

    def location(self, name: str, connection: str | None, *, field: str) -> LocationRef:
        if (connection, name) not in self._locations:
            self._fetch_locations({name}, connection)
        found = self._locations[(connection, name)]
        if found is None:
            raise UnknownReferenceError(f"unknown location {name!r}", field=field, location=name)
        return found

    def names(self, sku_id: int, location_id: int) -> tuple[str, str]:
        """Codes for ids (for error messages); looked up once each."""
        if sku_id not in self._sku_codes:
            code = self._conn.scalar(_q().sku_code, {"id": sku_id})
            self._sku_codes[sku_id] = code or f"sku#{sku_id}"
        if location_id not in self._location_codes:
            code = self._conn.scalar(_q().location_code, {"id": location_id})
            self._location_codes[location_id] = code or f"location#{location_id}"
        return self._sku_codes[sku_id], self._location_codes[location_id]

    def _fetch_skus(self, names: set[str], connection: str | None) -> None:
        if not names:
            return
        refs = _load(self._conn, _q().skus_by_code, {"t": self._tenant, "names": sorted(names)})
        found: dict[str, SkuRef] = {ref.code: ref for ref in refs.values()}
        missing = names - found.keys()
        if missing and connection:
            alias_rows = self._conn.execute(
                _q().aliases, {"t": self._tenant, "c": connection, "names": sorted(missing)}
            ).all()
            by_id = load_skus(self._conn, {sku_id for _, sku_id in alias_rows})
            found.update({alias: by_id[sku_id] for alias, sku_id in alias_rows if sku_id in by_id})
        self._sku_codes.update({ref.id: ref.code for ref in found.values()})
        for name in names:
            self._skus[(connection, name)] = found.get(name)

    def _fetch_locations(self, names: set[str], connection: str | None) -> None:
        if not names:
            return
        params = {"t": self._tenant, "names": sorted(names)}
        found = {
            n: LocationRef(i, c, bool(o)) for n, i, c, o in self._conn.execute(_q().locations_by_code, params)
        }
        missing = names - found.keys()
        if missing and connection:
            params = {"t": self._tenant, "c": connection, "names": sorted(missing)}
            rows = self._conn.execute(_q().locations_by_external, params)
            found.update({n: LocationRef(i, c, bool(o)) for n, i, c, o in rows})
        self._location_codes.update({ref.id: ref.code for ref in found.values()})
        for name in names:
            self._locations[(connection, name)] = found.get(name)


def load_skus(conn: sa.Connection, ids: set[int]) -> dict[int, SkuRef]:
    """SKUs by id with their unit tables and bundle recipes."""
    return _load(conn, _q().skus_by_id, {"ids": sorted(ids)}) if ids else {}


def _load(conn: sa.Connection, base_query: sa.Select[Any], params: dict[str, Any]) -> dict[int, SkuRef]:
    """SKUs from `base_query`, with units and recipes: two queries whatever the count."""
    base = conn.execute(base_query, params).all()
    if not base:
        return {}
    factors: dict[int, dict[str, int]] = {}
    recipes: dict[int, list[tuple[int, int]]] = {}
    for owner, kind, name, part, amount in conn.execute(_q().details, {"ids": [row.id for row in base]}):
        if kind == "unit":
            factors.setdefault(owner, {})[name] = amount
        else:
            recipes.setdefault(owner, []).append((part, amount))
    return {
        row.id: SkuRef(
            row.id,
            row.code,
            bool(row.is_bundle),
            UnitTable(row.base_unit, factors.get(row.id, {})),
            tuple(sorted(recipes.get(row.id, ()))),
        )
        for row in base
    }


@dataclass(frozen=True)
class _Queries:
    """The lookups, built once: constructing SQLAlchemy statements costs more than running them."""

    skus_by_code: sa.Select[Any]
    skus_by_id: sa.Select[Any]
    details: sa.CompoundSelect[Any]
    aliases: sa.Select[Any]
    locations_by_code: sa.Select[Any]
    locations_by_external: sa.Select[Any]
    sku_code: sa.Select[Any]
    location_code: sa.Select[Any]


@functools.cache
def _q() -> _Queries:
    names: sa.BindParameter[str] = sa.bindparam("names", expanding=True)
    ids: sa.BindParameter[int] = sa.bindparam("ids", expanding=True)
    tenant: sa.BindParameter[int] = sa.bindparam("t")
    connection: sa.BindParameter[str] = sa.bindparam("c")
    base = sa.select(skus.c.id, skus.c.code, skus.c.is_bundle, skus.c.base_unit)
    units = sa.select(
        sku_units.c.sku_id, sa.literal("unit"), sku_units.c.unit, sa.literal(0), sku_units.c.factor
    ).where(sku_units.c.sku_id.in_(ids))
    parts = sa.select(
        bundle_components.c.bundle_sku_id,
        sa.literal("part"),
        sa.literal(""),
        bundle_components.c.component_sku_id,
        bundle_components.c.quantity,
    ).where(bundle_components.c.bundle_sku_id.in_(ids))
    place = (locations.c.id, locations.c.code, locations.c.online)
    return _Queries(
        skus_by_code=base.where(skus.c.tenant_id == tenant, skus.c.code.in_(names)),
        skus_by_id=base.where(skus.c.id.in_(ids)),
        details=sa.union_all(units, parts),
        aliases=sa.select(sku_aliases.c.alias, sku_aliases.c.sku_id).where(
            sku_aliases.c.tenant_id == tenant,
            sku_aliases.c.connection == connection,
            sku_aliases.c.alias.in_(names),
        ),
        locations_by_code=sa.select(locations.c.code, *place).where(
            locations.c.tenant_id == tenant, locations.c.code.in_(names)
        ),
        locations_by_external=sa.select(location_codes.c.external_code, *place)
        .join(locations, locations.c.id == location_codes.c.location_id)
        .where(
            location_codes.c.tenant_id == tenant,
            location_codes.c.connection == connection,
            location_codes.c.external_code.in_(names),
        ),
        sku_code=sa.select(skus.c.code).where(skus.c.id == sa.bindparam("id")),
        location_code=sa.select(locations.c.code).where(locations.c.id == sa.bindparam("id")),
    )
