"""Inventory mutations `inventorySetQuantities` and `inventoryAdjustQuantities`, and their shared rules.

(`inventoryMoveQuantities` and the deprecated `inventorySetOnHandQuantities` are in
`inventory_moves.py`, `inventoryActivate` in `activation.py`, all built from the rules here.)

Each mutation requires `@idempotent(key:)` and, from 2026-04, the `changeFromQuantity` key on every
entry (explicit null skips the compare-and-set). Validation runs in stages — name, reason,
reference document, ledger documents, bounds, duplicates, existence, stocked-at-location, staleness —
and a stage that finds errors returns them all with `inventoryAdjustmentGroup: null` and changes
nothing. Messages and codes follow the recorded 2026-04 responses (see tests/sandbox/fixtures).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from graphql import GraphQLError

from stockbridge.sandbox.shopify.idempotency import MISMATCH, fingerprint, require_key
from stockbridge.sandbox.shopify.models import InventoryChange
from stockbridge.sandbox.shopify.resolvers import Info, RequestContext, parse_gid, resolver, store_of
from stockbridge.sandbox.shopify.store import ShopifyStore

REASONS = (
    "correction",
    "cycle_count_available",
    "damaged",
    "movement_canceled",
    "movement_created",
    "movement_received",
    "movement_updated",
    "other",
    "promotion",
    "quality_control",
    "received",
    "reservation_created",
    "reservation_deleted",
    "reservation_updated",
    "restock",
    "safety_stock",
    "shrinkage",
)
ADJUST_NAMES = ("available", "damaged", "incoming", "quality_control", "reserved", "safety_stock")
SET_NAMES = ("available", "on_hand")
MAX_INPUT_ARRAY = 250
SET_LIMIT, ADJUST_LIMIT = 1_000_000_000, 2_000_000_000
URI_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")

UserError = dict[str, Any]
Stage = Callable[[], list[UserError]]


def first_errors(stages: list[Stage]) -> list[UserError]:
    """Run validation stages in order; the first stage that finds errors decides."""
    for stage in stages:
        errors = stage()
        if errors:
            return errors
    return []


def user_error(field: list[str], message: str, code: str) -> UserError:
    return {"field": field, "message": message, "code": code}


def payload(errors: list[UserError], group: Any = None) -> dict[str, Any]:
    return {"inventoryAdjustmentGroup": group, "userErrors": errors}


def check_array_size(entries: list[Any]) -> None:
    if len(entries) > MAX_INPUT_ARRAY:
        raise GraphQLError(
            f"The input array size of {len(entries)} is greater than the maximum allowed of "
            f"{MAX_INPUT_ARRAY}.",
            extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
        )


def require_change_from(entries: list[dict[str, Any]], type_name: str) -> None:
    if any("changeFromQuantity" not in e for e in entries):
        raise GraphQLError(
            f"{type_name} must include the following argument: changeFromQuantity.",
            extensions={"code": "INVALID_FIELD_ARGUMENTS"},
        )


def run_idempotent(info: Info, args: dict[str, Any], run: Callable[[], dict[str, Any]]) -> Any:
    """Replay a cached result for a known key, refuse a reused key with other arguments, else run."""
    key = require_key(info)
    cache = info.context.idempotency if isinstance(info.context, RequestContext) else None
    assert cache is not None
    print_ = fingerprint(info.field_name, args)
    cached = cache.find(key)
    if cached is not None:
        if cached.fingerprint != print_:
            return payload([user_error(["idempotencyKey"], MISMATCH, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH")])
        return cached.result
    result = run()
    cache.remember(key, print_, result)
    return result


def common_checks(inp: dict[str, Any]) -> list[UserError]:
    if inp["reason"] not in REASONS:
        message = "The specified reason is invalid. Valid values are: " + ", ".join(REASONS) + "."
        return [user_error(["input", "reason"], message, "INVALID_REASON")]
    uri = inp.get("referenceDocumentUri")
    if uri is not None and not URI_PATTERN.match(uri):
        return [
            user_error(
                ["input", "referenceDocumentUri"],
                "The reference document URI is invalid.",
                "INVALID_REFERENCE_DOCUMENT",
            )
        ]
    return []


def existence_errors(store: ShopifyStore, entries: list[dict[str, Any]], list_name: str) -> list[UserError]:
    errors: list[UserError] = []
    for i, e in enumerate(entries):
        item_id = parse_gid(e["inventoryItemId"], "InventoryItem")
        location_id = parse_gid(e["locationId"], "Location")
        path = ["input", list_name, str(i)]
        if item_id not in store.items:
            errors.append(
                user_error(
                    [*path, "inventoryItemId"],
                    "The specified inventory item could not be found.",
                    "INVALID_INVENTORY_ITEM",
                )
            )
        if location_id not in store.locations:
            errors.append(
                user_error(
                    [*path, "locationId"], "The specified location could not be found.", "INVALID_LOCATION"
                )
            )
    if errors:
        return errors
    for i, e in enumerate(entries):
        key = (
            parse_gid(e["inventoryItemId"], "InventoryItem") or 0,
            parse_gid(e["locationId"], "Location") or 0,
        )
        if store.find_level(*key) is None:
            errors.append(
                user_error(
                    ["input", list_name, str(i), "locationId"],
                    "The specified inventory item is not stocked at the location.",
                    "ITEM_NOT_STOCKED_AT_LOCATION",
                )
            )
    return errors


def stale_errors(
    store: ShopifyStore, entries: list[dict[str, Any]], name: str, list_name: str
) -> list[UserError]:
    errors = []
    for i, e in enumerate(entries):
        expected = e.get("changeFromQuantity")
        level = store.find_level(
            parse_gid(e["inventoryItemId"], "InventoryItem") or 0, parse_gid(e["locationId"], "Location") or 0
        )
        if expected is not None and level is not None and level.quantity(name) != expected:
            errors.append(
                user_error(
                    ["input", list_name, str(i), "changeFromQuantity"],
                    "The changeFromQuantity argument no longer matches the persisted quantity.",
                    "CHANGE_FROM_QUANTITY_STALE",
                )
            )
    return errors


def entry_ids(e: dict[str, Any]) -> tuple[int, int]:
    return parse_gid(e["inventoryItemId"], "InventoryItem") or 0, parse_gid(e["locationId"], "Location") or 0


# --- inventorySetQuantities ---------------------------------------------------------------


@resolver("Mutation", "inventorySetQuantities")
def inventory_set_quantities(_: Any, info: Info, args: dict[str, Any]) -> Any:
    inp = args["input"]
    entries: list[dict[str, Any]] = inp["quantities"]
    check_array_size(entries)
    require_change_from(entries, "InventoryQuantityInput")
    return run_idempotent(info, args, lambda: set_quantities(store_of(info), inp, "quantities"))


def set_quantities(store: ShopifyStore, inp: dict[str, Any], list_name: str) -> dict[str, Any]:
    name = inp["name"]
    if name not in SET_NAMES:
        return payload(
            [
                user_error(
                    ["input", "name"],
                    "The quantity name must be either 'available' or 'on_hand'.",
                    "INVALID_NAME",
                )
            ]
        )
    stages: list[Stage] = [
        lambda: common_checks(inp),
        lambda: set_bounds(inp[list_name], name, list_name),
        lambda: duplicate_errors(inp[list_name], list_name),
        lambda: existence_errors(store, inp[list_name], list_name),
        lambda: stale_errors(store, inp[list_name], name, list_name),
    ]
    errors = first_errors(stages)
    if errors:
        return payload(errors)
    changes: list[InventoryChange] = []
    for e in inp[list_name]:
        item_id, location_id = entry_ids(e)
        delta = e["quantity"] - store.levels[(item_id, location_id)].quantity(name)
        if delta:
            changes.append(InventoryChange("available", delta, item_id, location_id))
            changes.append(InventoryChange("on_hand", delta, item_id, location_id))
    group = store.apply_changes(inp["reason"], inp.get("referenceDocumentUri"), changes)
    return payload([], group)


def set_bounds(entries: list[dict[str, Any]], name: str, list_name: str) -> list[UserError]:
    errors = []
    for i, e in enumerate(entries):
        path, q = ["input", list_name, str(i), "quantity"], e["quantity"]
        if q > SET_LIMIT:
            errors.append(
                user_error(
                    path, "The quantity can't be higher than 1,000,000,000.", "INVALID_QUANTITY_TOO_HIGH"
                )
            )
        elif q < -SET_LIMIT:
            errors.append(
                user_error(
                    path, "The quantity can't be lower than -1,000,000,000.", "INVALID_QUANTITY_TOO_LOW"
                )
            )
        elif name == "on_hand" and q < 0:
            errors.append(user_error(path, "The quantity can't be negative.", "INVALID_QUANTITY_NEGATIVE"))
    return errors


def duplicate_errors(entries: list[dict[str, Any]], list_name: str) -> list[UserError]:
    keys = [entry_ids(e) for e in entries]
    return [
        user_error(
            ["input", list_name, str(i), "locationId"],
            "The combination of inventoryItemId and locationId must be unique.",
            "NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR",
        )
        for i, key in enumerate(keys)
        if keys.count(key) > 1
    ]


# --- inventoryAdjustQuantities ------------------------------------------------------------


@resolver("Mutation", "inventoryAdjustQuantities")
def inventory_adjust_quantities(_: Any, info: Info, args: dict[str, Any]) -> Any:
    inp = args["input"]
    entries: list[dict[str, Any]] = inp["changes"]
    check_array_size(entries)
    require_change_from(entries, "InventoryChangeInput")
    return run_idempotent(info, args, lambda: _adjust(store_of(info), inp))


def _adjust(store: ShopifyStore, inp: dict[str, Any]) -> dict[str, Any]:
    name = inp["name"]
    if name not in ADJUST_NAMES:
        message = "The specified quantity name is invalid. Valid values are: " + ", ".join(ADJUST_NAMES) + "."
        return payload([user_error(["input", "name"], message, "INVALID_QUANTITY_NAME")])
    stages: list[Stage] = [
        lambda: common_checks(inp),
        lambda: _ledger_documents(inp["changes"], name),
        lambda: _delta_bounds(inp["changes"]),
        lambda: existence_errors(store, inp["changes"], "changes"),
        lambda: stale_errors(store, inp["changes"], name, "changes"),
    ]
    errors = first_errors(stages)
    if errors:
        return payload(errors)
    changes: list[InventoryChange] = []
    for e in inp["changes"]:
        if not e["delta"]:
            continue
        item_id, location_id = entry_ids(e)
        ledger = e.get("ledgerDocumentUri")
        changes.append(InventoryChange(name, e["delta"], item_id, location_id, ledger))
        if name != "incoming":
            changes.append(InventoryChange("on_hand", e["delta"], item_id, location_id))
    if not changes:
        return payload([])
    return payload([], store.apply_changes(inp["reason"], inp.get("referenceDocumentUri"), changes))


def ledger_error(name: str, uri: str | None, path: list[str]) -> UserError | None:
    """Ledger document rules: forbidden for `available`, required otherwise, never Shopify-internal."""
    if name == "available" and uri is not None:
        message, code = (
            "A ledger document URI is not allowed when adjusting available.",
            "INVALID_AVAILABLE_DOCUMENT",
        )
    elif name != "available" and uri is None:
        message = "A ledger document URI is required except when adjusting available."
        code = "INVALID_QUANTITY_DOCUMENT"
    elif uri is not None and uri.startswith("gid://shopify/"):
        message = "Internal (gid://shopify/) ledger documents are not allowed to be adjusted via API."
        code = "INTERNAL_LEDGER_DOCUMENT"
    elif uri is not None and not URI_PATTERN.match(uri):
        message, code = "The ledger document URI is invalid.", "INVALID_LEDGER_DOCUMENT"
    else:
        return None
    return user_error(path, message, code)


def _ledger_documents(entries: list[dict[str, Any]], name: str) -> list[UserError]:
    found = [
        ledger_error(name, e.get("ledgerDocumentUri"), ["input", "changes", str(i), "ledgerDocumentUri"])
        for i, e in enumerate(entries)
    ]
    errors = [e for e in found if e is not None]
    if errors:
        return errors
    if len({e.get("ledgerDocumentUri") for e in entries}) > 1:
        return [
            user_error(
                ["input", "changes"],
                "All changes must have the same ledger document URI or, in the case "
                "of adjusting available, no ledger document URI.",
                "MAX_ONE_LEDGER_DOCUMENT",
            )
        ]
    return []


def _delta_bounds(entries: list[dict[str, Any]]) -> list[UserError]:
    errors = []
    for i, e in enumerate(entries):
        path, d = ["input", "changes", str(i), "delta"], e["delta"]
        if d > ADJUST_LIMIT:
            errors.append(
                user_error(
                    path, "The quantity can't be higher than 2,000,000,000.", "INVALID_QUANTITY_TOO_HIGH"
                )
            )
        elif d < -ADJUST_LIMIT:
            errors.append(
                user_error(
                    path, "The quantity can't be lower than -2,000,000,000.", "INVALID_QUANTITY_TOO_LOW"
                )
            )
    return errors
