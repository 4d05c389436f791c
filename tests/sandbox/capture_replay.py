"""Replay recorded Shopify responses against the emulator and list where the shapes differ.

A capture file names real GIDs. The replay builds a world in the emulator with one stocked item
(all quantities 0, at the primary location) per InventoryItem GID the capture treats as existing,
and one location per Location GID; GIDs in variables are rewritten to the emulator's. Ids and cursors
returned by earlier cases are aligned by position so later cases can use them.
Comparison: same keys and list lengths; exact values for the fields a connector branches on
(userErrors, names, deltas, quantities, codes, messages, flags); other leaves by kind only
(null / string / number / boolean), since ids and timestamps differ by nature.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stockbridge.sandbox.shopify import ShopifyEmulator

FIXTURES = Path(__file__).parent / "fixtures"
PRIMARY_LOCATION = "gid://shopify/Location/106318430514"
EXACT_KEYS = {
    "name",
    "delta",
    "quantity",
    "code",
    "message",
    "field",
    "isActive",
    "reason",
    "referenceDocumentUri",
    "ledgerDocumentUri",
    "quantityAfterChange",
    "hasNextPage",
    "hasPreviousPage",
    "tracked",
    "requiresShipping",
    "inventoryQuantity",
    "explanation",
    "path",
}
_GID = re.compile(r"gid://shopify/(InventoryItem|Location)/(\d+)")
_LEVEL = re.compile(r"gid://shopify/InventoryLevel/\d+\?inventory_item_id=\d+")
_ANY_GID = re.compile(r"^gid://shopify/\w+/\d+(\?.*)?$")


@dataclass(frozen=True)
class Case:
    name: str
    query: str
    variables: dict[str, Any]
    expected: dict[str, Any]


@dataclass
class Replay:
    """One capture file replayed on one emulator."""

    capture: dict[str, Any]
    primary_location: str = PRIMARY_LOCATION
    emulator: ShopifyEmulator = field(default_factory=ShopifyEmulator)
    ids: dict[str, str] = field(default_factory=dict)

    def build_world(self) -> None:
        text = json.dumps(self.capture)
        unknown = {v for k, v in _walk_items(self.capture) if k.lower().startswith("unknown")}
        store = self.emulator.store
        names = _location_names(self.capture)
        tracked = _tracked_flags(self.capture)
        for gid in sorted(set(_GID.findall(text))):
            full = f"gid://shopify/{gid[0]}/{gid[1]}"
            if full in unknown or gid[0] != "Location":
                continue
            self.ids[full] = store.add_location(names.get(full, f"Location {gid[1]}")).gid
        primary = self.ids.get(self.primary_location)
        for gid in sorted(set(_GID.findall(text))):
            full = f"gid://shopify/{gid[0]}/{gid[1]}"
            if full in unknown or gid[0] != "InventoryItem":
                continue
            product = store.add_product(f"Replay {gid[1]}", [(None, "10.00")])
            item = store.items[store.variants[product.variant_ids[0]].inventory_item_id]
            item.tracked = tracked.get(full, True)
            self.ids[full] = item.gid
            self.ids[gid[1]] = str(item.id)
            if primary is not None:
                level = store.activate(item.id, int(primary.rsplit("/", 1)[1]), 0)
                for level_gid in _LEVEL.findall(text):
                    if level_gid.endswith(f"inventory_item_id={gid[1]}"):
                        self.ids.setdefault(level_gid, level.gid)

    def rewrite(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self.rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        if isinstance(value, str):
            if value in self.ids:
                return self.ids[value]
            return re.sub(r"\d{8,}", lambda m: self.ids.get(m.group(0), m.group(0)), value)
        return value

    def learn_ids(self, expected: Any, actual: Any) -> None:
        if isinstance(expected, dict) and isinstance(actual, dict):
            for key in expected.keys() & actual.keys():
                if key in ("cursor", "startCursor", "endCursor") and isinstance(expected[key], str):
                    self.ids[expected[key]] = str(actual[key])
                self.learn_ids(expected[key], actual[key])
        elif isinstance(expected, list) and isinstance(actual, list):
            for e, a in zip(expected, actual, strict=False):
                self.learn_ids(e, a)
        elif isinstance(expected, str) and isinstance(actual, str) and _ANY_GID.match(expected):
            self.ids[expected] = actual


def _walk_items(value: Any) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append((k, v))
            out += _walk_items(v)
    elif isinstance(value, list):
        for v in value:
            out += _walk_items(v)
    return out


def _tracked_flags(capture: dict[str, Any]) -> dict[str, bool]:
    """The last `tracked` value the capture shows for each inventory item (setup order)."""
    flags: dict[str, bool] = {}
    for _, v in _walk_items(capture):
        if isinstance(v, dict) and isinstance(v.get("tracked"), bool) and isinstance(v.get("id"), str):
            flags[v["id"]] = v["tracked"]
    return flags


def _location_names(capture: dict[str, Any]) -> dict[str, str]:
    names: dict[str, str] = {}
    for _, v in _walk_items(capture):
        if (
            isinstance(v, dict)
            and isinstance(v.get("name"), str)
            and str(v.get("id")).startswith("gid://shopify/Location/")
        ):
            names.setdefault(v["id"], v["name"])
    return names


def differences(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Where `actual` departs from `expected` in shape, or in value for the exact keys."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected object, got {_kind(actual)}"]
        found = []
        if expected.keys() != actual.keys():
            found.append(f"{path}: keys {sorted(expected)} != {sorted(actual)}")
        for key in expected.keys() & actual.keys():
            if key in EXACT_KEYS and not isinstance(expected[key], dict | list):
                if expected[key] != actual[key]:
                    found.append(f"{path}.{key}: {expected[key]!r} != {actual[key]!r}")
            elif key in ("field", "path") and expected[key] != actual[key]:
                found.append(f"{path}.{key}: {expected[key]!r} != {actual[key]!r}")
            else:
                found += differences(expected[key], actual[key], f"{path}.{key}")
        return found
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(expected) != len(actual):
            return [f"{path}: expected list of {len(expected)}, got {_kind(actual)}"]
        return [
            d
            for i, (e, a) in enumerate(zip(expected, actual, strict=True))
            for d in differences(e, a, f"{path}[{i}]")
        ]
    if _kind(expected) != _kind(actual):
        return [f"{path}: expected {_kind(expected)}, got {_kind(actual)}"]
    return []


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return type(value).__name__


def selection_from(shapes: list[Any]) -> str:
    """A GraphQL selection set covering every key seen in `shapes` (dicts or lists of dicts)."""
    merged: dict[str, list[Any]] = {}
    for shape in shapes:
        for item in shape if isinstance(shape, list) else [shape]:
            if isinstance(item, dict):
                for key, value in item.items():
                    merged.setdefault(key, []).append(value)
    parts = []
    for key, values in merged.items():
        nested = [
            v for v in values if isinstance(v, dict) or (isinstance(v, list) and v and isinstance(v[0], dict))
        ]
        if nested or (any(isinstance(v, list) for v in values) and key == "userErrors"):
            inner = selection_from(nested) if nested else "field message code"
            parts.append(f"{key} {{ {inner} }}")
        else:
            parts.append(key)
    return " ".join(parts)


def derived_document(root: str, input_type: str, responses: list[dict[str, Any]]) -> str:
    """The mutation document a capture without a stored query must have sent, from its responses."""
    payloads = [r["data"][root] for r in responses]
    return (
        f"mutation Replay($input: {input_type}!, $idempotencyKey: String!) {{"
        f" {root}(input: $input) @idempotent(key: $idempotencyKey) {{"
        f" {selection_from(payloads)} }} }}"
    )


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data
