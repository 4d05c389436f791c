"""Products, SKUs, their units of measure, aliases per connection and bundle recipes.

Aliases are data: the same item is `AB-12` in the ERP and `ab12-blue` on a marketplace. An alias
that would point at a second SKU is refused, naming both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa

from stockbridge.domain.units import UnitTable, compose_factor
from stockbridge.errors import AliasConflictError, NotFoundError, ValidationError
from stockbridge.services.context import HubContext
from stockbridge.store import ledger
from stockbridge.store.schema import bundle_components, products, sku_aliases, sku_units, skus


@dataclass(frozen=True)
class UnitSpec:
    name: str
    factor: int
    of: str | None = None  # "pallet = 40 case": factor 40 of "case"


@dataclass(frozen=True)
class SkuSpec:
    code: str
    title: str = ""
    product: str | None = None
    base_unit: str = "unit"
    units: Sequence[UnitSpec] = ()
    aliases: Mapping[str, Sequence[str]] = field(default_factory=dict)  # connection -> aliases
    components: Mapping[str, int] | None = None  # set for a bundle: component code -> quantity


@dataclass(frozen=True)
class SkuView:
    code: str
    title: str
    product: str | None
    base_unit: str
    is_bundle: bool
    units: dict[str, int]
    aliases: dict[str, list[str]]
    components: dict[str, int]


def define_sku(ctx: HubContext, spec: SkuSpec) -> SkuView:
    """Create or update a SKU with its units, aliases and (for bundles) components."""
    _validate(spec)
    ctx.write(lambda conn: _define(conn, ctx, spec))
    return get_sku(ctx, spec.code)


def add_alias(ctx: HubContext, code: str, connection: str, alias: str) -> SkuView:
    def work(conn: sa.Connection) -> None:
        _bind_alias(conn, ctx, _sku_id(conn, ctx, code), code, connection, alias)

    ctx.write(work)
    return get_sku(ctx, code)


def get_sku(ctx: HubContext, code: str) -> SkuView:
    with ctx.read() as conn:
        views = _views(conn, ctx, [code])
    if not views:
        raise NotFoundError(f"no SKU {code!r}", sku=code)
    return views[0]


def list_skus(ctx: HubContext, *, limit: int = 1000, after: str | None = None) -> list[SkuView]:
    query = sa.select(skus.c.code).where(skus.c.tenant_id == ctx.tenant_id).order_by(skus.c.code).limit(limit)
    if after:
        query = query.where(skus.c.code > after)
    with ctx.read() as conn:
        return _views(conn, ctx, list(conn.scalars(query)))


def _validate(spec: SkuSpec) -> None:
    if not spec.code.strip():
        raise ValidationError("code is required", field="code")
    if spec.components is not None:
        if not spec.components:
            raise ValidationError("a bundle needs at least one component", field="components")
        for code, qty in spec.components.items():
            if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
                raise ValidationError(
                    f"component {code} quantity must be a whole number >= 1", field="components"
                )
            if code == spec.code:
                raise ValidationError("a bundle cannot contain itself", field="components")


def _define(conn: sa.Connection, ctx: HubContext, spec: SkuSpec) -> None:
    now = ctx.clock.now()
    product_id = _product_id(conn, ctx, spec.product) if spec.product else None
    existing = conn.execute(
        sa.select(skus.c.id, skus.c.base_unit).where(
            skus.c.tenant_id == ctx.tenant_id, skus.c.code == spec.code
        )
    ).first()
    values = {"title": spec.title, "product_id": product_id, "base_unit": spec.base_unit}
    if existing is None:
        sku_id = conn.execute(
            sa.insert(skus).returning(skus.c.id),
            {
                "tenant_id": ctx.tenant_id,
                "code": spec.code,
                "is_bundle": spec.components is not None,
                "created_at": now,
            }
            | values,
        ).scalar_one()
    else:
        sku_id = existing.id
        if existing.base_unit != spec.base_unit:
            raise ValidationError("the base unit of an existing SKU cannot change", field="base_unit")
        conn.execute(sa.update(skus).where(skus.c.id == sku_id).values(**values))
    _set_units(conn, ctx, sku_id, spec)
    for connection, names in spec.aliases.items():
        for alias in names:
            _bind_alias(conn, ctx, sku_id, spec.code, connection, alias)
    if spec.components is not None:
        _set_components(conn, ctx, sku_id, spec.components)
        ledger.mark_listings_dirty(conn, ctx.tenant_id, [sku_id], now)


def _set_units(conn: sa.Connection, ctx: HubContext, sku_id: int, spec: SkuSpec) -> None:
    known: dict[str, int] = dict(
        conn.execute(
            sa.select(sku_units.c.unit, sku_units.c.factor).where(sku_units.c.sku_id == sku_id)
        ).all()
    )
    for i, unit in enumerate(spec.units):
        if unit.name == spec.base_unit:
            raise ValidationError(f"{unit.name} is the base unit", field=f"units[{i}].name")
        factor = compose_factor(
            unit.factor, unit.of, UnitTable(spec.base_unit, known), field=f"units[{i}].factor"
        )
        if unit.name in known and known[unit.name] != factor:
            conn.execute(
                sa.update(sku_units)
                .where(sku_units.c.sku_id == sku_id, sku_units.c.unit == unit.name)
                .values(factor=factor)
            )
        elif unit.name not in known:
            conn.execute(
                sa.insert(sku_units),
                {"tenant_id": ctx.tenant_id, "sku_id": sku_id, "unit": unit.name, "factor": factor},
            )
        known[unit.name] = factor


def _bind_alias(
    conn: sa.Connection, ctx: HubContext, sku_id: int, code: str, connection: str, alias: str
) -> None:
    a = sku_aliases.c
    current = conn.execute(
        sa.select(a.sku_id, skus.c.code)
        .join(skus, skus.c.id == a.sku_id)
        .where(a.tenant_id == ctx.tenant_id, a.connection == connection, a.alias == alias)
    ).first()
    if current is not None and current.sku_id != sku_id:
        raise AliasConflictError(
            f"alias {alias!r} on {connection!r} already points at SKU {current.code!r}, not {code!r}",
            field="aliases",
            alias=alias,
            connection=connection,
            existing_sku=current.code,
        )
    if current is None:
        conn.execute(
            sa.insert(sku_aliases),
            {"tenant_id": ctx.tenant_id, "connection": connection, "alias": alias, "sku_id": sku_id},
        )


def _set_components(
    conn: sa.Connection, ctx: HubContext, bundle_id: int, components: Mapping[str, int]
) -> None:
    ids = {code: _sku_id(conn, ctx, code, field="components") for code in components}
    nested = conn.scalar(
        sa.select(sa.func.count()).select_from(skus).where(skus.c.id.in_(ids.values()), skus.c.is_bundle)
    )
    if nested:
        raise ValidationError("a bundle's components must be plain SKUs, not bundles", field="components")
    conn.execute(sa.delete(bundle_components).where(bundle_components.c.bundle_sku_id == bundle_id))
    conn.execute(
        sa.insert(bundle_components),
        [
            {
                "tenant_id": ctx.tenant_id,
                "bundle_sku_id": bundle_id,
                "component_sku_id": ids[c],
                "quantity": q,
            }
            for c, q in sorted(components.items())
        ],
    )


def _product_id(conn: sa.Connection, ctx: HubContext, handle: str) -> int:
    found = conn.scalar(
        sa.select(products.c.id).where(products.c.tenant_id == ctx.tenant_id, products.c.handle == handle)
    )
    if found is not None:
        return int(found)
    row = {"tenant_id": ctx.tenant_id, "handle": handle, "title": handle, "created_at": ctx.clock.now()}
    return int(conn.execute(sa.insert(products).returning(products.c.id), row).scalar_one())


def _sku_id(conn: sa.Connection, ctx: HubContext, code: str, *, field: str = "sku") -> int:
    found = conn.scalar(sa.select(skus.c.id).where(skus.c.tenant_id == ctx.tenant_id, skus.c.code == code))
    if found is None:
        raise NotFoundError(f"no SKU {code!r}", sku=code, field=field)
    return int(found)


def _views(conn: sa.Connection, ctx: HubContext, codes: list[str]) -> list[SkuView]:
    if not codes:
        return []
    rows = conn.execute(
        sa.select(skus, products.c.handle)
        .outerjoin(products, products.c.id == skus.c.product_id)
        .where(skus.c.tenant_id == ctx.tenant_id, skus.c.code.in_(codes))
        .order_by(skus.c.code)
    ).all()
    ids = [r.id for r in rows]
    units: dict[int, dict[str, int]] = {}
    for sku_id, unit, factor in conn.execute(
        sa.select(sku_units.c.sku_id, sku_units.c.unit, sku_units.c.factor).where(sku_units.c.sku_id.in_(ids))
    ):
        units.setdefault(sku_id, {})[unit] = factor
    aliases: dict[int, dict[str, list[str]]] = {}
    for sku_id, connection, alias in conn.execute(
        sa.select(sku_aliases.c.sku_id, sku_aliases.c.connection, sku_aliases.c.alias)
        .where(sku_aliases.c.sku_id.in_(ids))
        .order_by(sku_aliases.c.alias)
    ):
        aliases.setdefault(sku_id, {}).setdefault(connection, []).append(alias)
    component_sku = skus.alias("component")
    comps: dict[int, dict[str, int]] = {}
    for bundle_id, code, qty in conn.execute(
        sa.select(bundle_components.c.bundle_sku_id, component_sku.c.code, bundle_components.c.quantity)
        .join(component_sku, component_sku.c.id == bundle_components.c.component_sku_id)
        .where(bundle_components.c.bundle_sku_id.in_(ids))
    ):
        comps.setdefault(bundle_id, {})[code] = qty
    return [
        SkuView(
            r.code,
            r.title,
            r.handle,
            r.base_unit,
            bool(r.is_bundle),
            units.get(r.id, {}),
            aliases.get(r.id, {}),
            comps.get(r.id, {}),
        )
        for r in rows
    ]
