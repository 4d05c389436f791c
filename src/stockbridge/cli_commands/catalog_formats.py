"""Catalog files into specs: one JSON document (locations, skus, channels, listings) or one CSV
file per kind. Pure: reads text, returns a `CatalogRow` per record, each with its spec or the
reason it was rejected and where (`line 4` in a CSV, `skus[2]` in JSON). Nothing touches the hub.

CSV cells hold lists as `a;b` and maps as `key=value;key=value` (see docs/import-formats.md);
they are turned into the JSON shape first, so both formats share one set of checks.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from stockbridge.errors import ValidationError
from stockbridge.services.catalog_places import ChannelSpec, ListingSpec, LocationSpec, Rules
from stockbridge.services.catalog_skus import SkuSpec, UnitSpec

Spec = LocationSpec | SkuSpec | ChannelSpec | ListingSpec
KINDS = ("locations", "skus", "channels", "listings")  # also the order they are applied in
RULE_NAMES = ("buffer", "max_quantity", "share_percent", "stop_below")
CSV_COLUMNS: dict[str, tuple[str, ...]] = {
    "locations": ("code", "name", "kind", "online", "external_codes"),
    "skus": ("code", "title", "product", "base_unit", "units", "aliases", "components"),
    "channels": ("code", "name", "platform", "locations", *RULE_NAMES),
    "listings": ("channel", "sku", "locations", *RULE_NAMES),
}


_EXTRA = "\0extra"  # where DictReader puts the cells of a row longer than the header


class CatalogFileError(Exception):
    """The file as a whole cannot be read (not JSON, unknown CSV columns): nothing is imported."""


@dataclass(frozen=True)
class CatalogRow:
    kind: str
    where: str
    spec: Spec | None
    error: str | None = None

    @property
    def code(self) -> str:
        if isinstance(self.spec, ListingSpec):
            return f"{self.spec.channel}/{self.spec.sku}"
        return self.spec.code if self.spec is not None else "?"


def read_catalog_json(text: str, only: str | None = None) -> list[CatalogRow]:
    """A document `{"locations": [...], "skus": [...], ...}`; a bare list when `only` names its kind."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise CatalogFileError(f"not valid JSON: {error}") from None
    if isinstance(document, list) and only:
        document = {only: document}
    if not isinstance(document, dict):
        raise CatalogFileError("expected a JSON object with keys " + ", ".join(KINDS))
    unknown = sorted(set(document) - set(KINDS))
    if unknown:
        raise CatalogFileError(f"unknown keys {unknown}; expected some of {', '.join(KINDS)}")
    rows: list[CatalogRow] = []
    for kind in KINDS if only is None else (only,):
        items = document.get(kind, [])
        if not isinstance(items, list):
            raise CatalogFileError(f"{kind} must be a list")
        rows += [_row(kind, f"{kind}[{i}]", item) for i, item in enumerate(items)]
    return in_apply_order(rows)


def read_catalog_csv(text: str, kind: str) -> list[CatalogRow]:
    reader = csv.DictReader(io.StringIO(text), skipinitialspace=True, restkey=_EXTRA)
    header = [h.strip() for h in reader.fieldnames or []]
    reader.fieldnames = header
    required = CSV_COLUMNS[kind][:2] if kind == "listings" else CSV_COLUMNS[kind][:1]
    unknown = [h for h in header if h not in CSV_COLUMNS[kind]]
    if unknown or any(r not in header for r in required):
        raise CatalogFileError(
            f"{kind} CSV columns must include {', '.join(required)}"
            f" and may be {', '.join(CSV_COLUMNS[kind])};"
            f" got {', '.join(header) or 'no header'}"
        )
    try:
        return in_apply_order(
            [_csv_row(kind, f"line {reader.line_num}", record, header) for record in reader]
        )
    except csv.Error as error:
        raise CatalogFileError(f"unreadable CSV at line {reader.line_num}: {error}") from None


def _csv_row(kind: str, where: str, record: dict[str, Any], header: list[str]) -> CatalogRow:
    extra = record.pop(_EXTRA, None)
    if extra:
        return CatalogRow(kind, where, None, f"{len(header) + len(extra)} fields, header has {len(header)}")
    try:
        return _row(kind, where, _csv_to_json(kind, record))
    except ValidationError as error:
        return CatalogRow(kind, where, None, f"{error.field}: {error.message}")


def in_apply_order(rows: list[CatalogRow]) -> list[CatalogRow]:
    """Locations, plain SKUs, bundles (their components exist by then), channels, listings."""

    def rank(row: CatalogRow) -> int:
        bundle = isinstance(row.spec, SkuSpec) and row.spec.components is not None
        return KINDS.index(row.kind) * 2 + bundle

    return sorted(rows, key=rank)


def _row(kind: str, where: str, item: Any) -> CatalogRow:
    try:
        if not isinstance(item, Mapping):
            raise ValidationError("each entry must be an object", field="$")
        return CatalogRow(kind, where, _BUILDERS[kind](item))
    except ValidationError as error:
        return CatalogRow(kind, where, None, f"{error.field}: {error.message}")


def _location(m: Mapping[str, Any]) -> LocationSpec:
    _only_known(m, CSV_COLUMNS["locations"])
    return LocationSpec(
        code=_text(m, "code", required=True),
        name=_text(m, "name"),
        kind=_text(m, "kind") or "warehouse",
        online=_flag(m.get("online", True), "online"),
        external_codes=_str_map(m.get("external_codes", {}), "external_codes"),
    )


def _sku(m: Mapping[str, Any]) -> SkuSpec:
    _only_known(m, CSV_COLUMNS["skus"])
    units = m.get("units", [])
    if not isinstance(units, list):
        raise ValidationError("units must be a list", field="units")
    aliases = m.get("aliases", {})
    if not isinstance(aliases, Mapping) or not all(isinstance(v, list) for v in aliases.values()):
        raise ValidationError("aliases must map a connection to a list of aliases", field="aliases")
    components = m.get("components")
    return SkuSpec(
        code=_text(m, "code", required=True),
        title=_text(m, "title"),
        product=_text(m, "product") or None,
        base_unit=_text(m, "base_unit") or "unit",
        units=tuple(_unit(u, f"units[{i}]") for i, u in enumerate(units)),
        aliases={str(k): [str(a) for a in v] for k, v in aliases.items()},
        components=None if components is None else _int_map(components, "components"),
    )


def _unit(u: Any, where: str) -> UnitSpec:
    if not isinstance(u, Mapping) or not isinstance(u.get("name"), str):
        raise ValidationError('a unit is {"name": ..., "factor": ..., "of": ...}', field=where)
    return UnitSpec(u["name"], _int(u.get("factor"), f"{where}.factor"), u.get("of") or None)


def _channel(m: Mapping[str, Any]) -> ChannelSpec:
    _only_known(m, (*CSV_COLUMNS["channels"][:4], "rules"))
    return ChannelSpec(
        code=_text(m, "code", required=True),
        name=_text(m, "name"),
        platform=_text(m, "platform") or "generic",
        locations=tuple(_str_list(m.get("locations", []), "locations")),
        rules=_rules(m.get("rules", {})),
    )


def _listing(m: Mapping[str, Any]) -> ListingSpec:
    _only_known(m, ("channel", "sku", "locations", "rules"))
    feeds = m.get("locations")
    return ListingSpec(
        channel=_text(m, "channel", required=True),
        sku=_text(m, "sku", required=True),
        rules=_rules(m.get("rules", {})),
        locations=None if feeds is None else tuple(_str_list(feeds, "locations")),
    )


_BUILDERS: dict[str, Callable[[Mapping[str, Any]], Spec]] = {
    "locations": _location,
    "skus": _sku,
    "channels": _channel,
    "listings": _listing,
}


def _rules(value: Any) -> Rules:
    if not isinstance(value, Mapping):
        raise ValidationError("rules must be an object", field="rules")
    unknown = sorted(set(value) - set(RULE_NAMES))
    if unknown:
        raise ValidationError(f"unknown rules {unknown}; known: {', '.join(RULE_NAMES)}", field="rules")
    return Rules(**{k: None if v is None else _int(v, f"rules.{k}") for k, v in value.items()})


def _csv_to_json(kind: str, record: Mapping[str, str | None]) -> dict[str, Any]:
    """A CSV record in the JSON shape; empty cells are left out (defaults apply)."""
    cells = {k: v.strip() for k, v in record.items() if v is not None and v.strip()}
    out: dict[str, Any] = {k: v for k, v in cells.items() if k not in RULE_NAMES}
    rules = {k: cells[k] for k in RULE_NAMES if k in cells}
    if rules:
        out["rules"] = rules
    for name in ("locations",):
        if name in out:
            out[name] = _split(out[name], ";")
    for name in ("external_codes", "components"):
        if name in out:
            out[name] = dict(_pair(p, name) for p in _split(out[name], ";"))
    if "aliases" in out:
        out["aliases"] = {
            c: _split(a, "|") for c, a in (_pair(p, "aliases") for p in _split(out["aliases"], ";"))
        }
    if "units" in out:
        out["units"] = [_csv_unit(p) for p in _split(out["units"], ";")]
    return out


def _csv_unit(part: str) -> dict[str, Any]:
    """`case=12` or `pallet=40 case`."""
    name, amount = _pair(part, "units")
    factor, _, of = amount.partition(" ")
    return {"name": name, "factor": factor, "of": of.strip() or None}


def _split(text: str, sep: str) -> list[str]:
    return [p.strip() for p in text.split(sep) if p.strip()]


def _pair(part: str, name: str) -> tuple[str, str]:
    key, eq, value = part.partition("=")
    if not eq or not key.strip() or not value.strip():
        raise ValidationError(f"expected key=value, got {part!r}", field=name)
    return key.strip(), value.strip()


def _only_known(m: Mapping[str, Any], known: tuple[str, ...]) -> None:
    unknown = sorted(set(m) - set(known))
    if unknown:
        raise ValidationError(f"unknown fields {unknown}; known: {', '.join(known)}", field=unknown[0])


def _text(m: Mapping[str, Any], name: str, *, required: bool = False) -> str:
    value = m.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{name} is required", field=name)
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be text", field=name)
    return value.strip()


def _int(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValidationError(f"{name} must be a whole number, got {value!r}", field=name)


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "yes", "1", "y"):
        return True
    if text in ("false", "no", "0", "n"):
        return False
    raise ValidationError(f"{name} must be true or false, got {value!r}", field=name)


def _str_list(value: Any, name: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{name} must be a list of codes", field=name)
    return value


def _str_map(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValidationError(f"{name} must map a connection to a code", field=name)
    return {str(k): v for k, v in value.items()}


def _int_map(value: Any, name: str) -> dict[str, int]:
    if not isinstance(value, Mapping):
        raise ValidationError(f"{name} must map a SKU code to a quantity", field=name)
    return {str(k): _int(v, f"{name}.{k}") for k, v in value.items()}
