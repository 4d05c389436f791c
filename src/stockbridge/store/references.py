"""Resolving the names events use (SKU codes and aliases, location codes and external codes) to
ids, units and bundle recipes, with bulk prefetch so a batch of events costs a handful of queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
            code = self._conn.scalar(sa.select(skus.c.code).where(skus.c.id == sku_id))
            self._sku_codes[sku_id] = code or f"sku#{sku_id}"
        if location_id not in self._location_codes:
            code = self._conn.scalar(sa.select(locations.c.code).where(locations.c.id == location_id))
            self._location_codes[location_id] = code or f"location#{location_id}"
        return self._sku_codes[sku_id], self._location_codes[location_id]

    def _fetch_skus(self, names: set[str], connection: str | None) -> None:
        if not names:
            return
        refs = load_skus_where(self._conn, sa.and_(skus.c.tenant_id == self._tenant, skus.c.code.in_(names)))
        found: dict[str, SkuRef] = {ref.code: ref for ref in refs.values()}
        missing = names - found.keys()
        if missing and connection:
            alias_rows = self._conn.execute(
                sa.select(sku_aliases.c.alias, sku_aliases.c.sku_id).where(
                    sku_aliases.c.tenant_id == self._tenant,
                    sku_aliases.c.connection == connection,
                    sku_aliases.c.alias.in_(missing),
                )
            ).all()
            by_id = load_skus(self._conn, {sku_id for _, sku_id in alias_rows})
            found.update({alias: by_id[sku_id] for alias, sku_id in alias_rows if sku_id in by_id})
        self._sku_codes.update({ref.id: ref.code for ref in found.values()})
        for name in names:
            self._skus[(connection, name)] = found.get(name)

    def _fetch_locations(self, names: set[str], connection: str | None) -> None:
        if not names:
            return
        cols = (locations.c.id, locations.c.code, locations.c.online)
        query = sa.select(locations.c.code, *cols).where(
            locations.c.tenant_id == self._tenant, locations.c.code.in_(names)
        )
        found = {name: LocationRef(i, c, bool(o)) for name, i, c, o in self._conn.execute(query)}
        missing = names - found.keys()
        if missing and connection:
            query = (
                sa.select(location_codes.c.external_code, *cols)
                .join(locations, locations.c.id == location_codes.c.location_id)
                .where(
                    location_codes.c.tenant_id == self._tenant,
                    location_codes.c.connection == connection,
                    location_codes.c.external_code.in_(missing),
                )
            )
            found.update({n: LocationRef(i, c, bool(o)) for n, i, c, o in self._conn.execute(query)})
        self._location_codes.update({ref.id: ref.code for ref in found.values()})
        for name in names:
            self._locations[(connection, name)] = found.get(name)


def load_skus(conn: sa.Connection, ids: set[int]) -> dict[int, SkuRef]:
    """SKUs by id with their unit tables and bundle recipes."""
    return load_skus_where(conn, skus.c.id.in_(ids)) if ids else {}


def load_skus_where(conn: sa.Connection, condition: sa.ColumnElement[bool]) -> dict[int, SkuRef]:
    """SKUs matching `condition`, with units and recipes: two queries whatever the count."""
    base = conn.execute(
        sa.select(skus.c.id, skus.c.code, skus.c.is_bundle, skus.c.base_unit).where(condition)
    ).all()
    if not base:
        return {}
    ids = [row.id for row in base]
    units = sa.select(
        sku_units.c.sku_id.label("owner"),
        sa.literal("unit").label("kind"),
        sku_units.c.unit.label("name"),
        sa.literal(0).label("part"),
        sku_units.c.factor.label("amount"),
    ).where(sku_units.c.sku_id.in_(ids))
    parts = sa.select(
        bundle_components.c.bundle_sku_id,
        sa.literal("part"),
        sa.literal(""),
        bundle_components.c.component_sku_id,
        bundle_components.c.quantity,
    ).where(bundle_components.c.bundle_sku_id.in_(ids))
    factors: dict[int, dict[str, int]] = {}
    recipes: dict[int, list[tuple[int, int]]] = {}
    for owner, kind, name, part, amount in conn.execute(sa.union_all(units, parts)):
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
