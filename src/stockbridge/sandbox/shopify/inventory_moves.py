"""`inventoryMoveQuantities` and the deprecated `inventorySetOnHandQuantities`.

A move shifts units between two states of one item at one location (available -> damaged,
incoming -> available, ...). Both terminals need the `changeFromQuantity` key; names must be in the
adjustable set and differ; ledger documents follow the adjust rules per terminal. The group reports
the `from` row, the `to` row, and an `on_hand` row when the move crosses the on-hand boundary
(only `incoming` lies outside it). `inventorySetOnHandQuantities` is `inventorySetQuantities` with
name `on_hand` under its old input shape (`setQuantities`).
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError

from stockbridge.sandbox.shopify.inventory import (
    ADJUST_NAMES,
    SET_LIMIT,
    Stage,
    UserError,
    check_array_size,
    common_checks,
    existence_errors,
    first_errors,
    ledger_error,
    payload,
    require_change_from,
    run_idempotent,
    set_quantities,
    user_error,
)
from stockbridge.sandbox.shopify.models import ON_HAND_PARTS, InventoryChange
from stockbridge.sandbox.shopify.resolvers import Info, parse_gid, resolver, store_of
from stockbridge.sandbox.shopify.store import ShopifyStore

NAME_MESSAGE = "The specified quantity name is invalid. Valid values are: " + ", ".join(ADJUST_NAMES) + "."


@resolver("Mutation", "inventorySetOnHandQuantities")
def inventory_set_on_hand_quantities(_: Any, info: Info, args: dict[str, Any]) -> Any:
    inp = args["input"]
    check_array_size(inp["setQuantities"])
    require_change_from(inp["setQuantities"], "InventorySetQuantityInput")
    as_set = {**inp, "name": "on_hand"}
    return run_idempotent(info, args, lambda: set_quantities(store_of(info), as_set, "setQuantities"))


@resolver("Mutation", "inventoryMoveQuantities")
def inventory_move_quantities(_: Any, info: Info, args: dict[str, Any]) -> Any:
    inp = args["input"]
    check_array_size(inp["changes"])
    terminals = [c[side] for c in inp["changes"] for side in ("from", "to")]
    if any("changeFromQuantity" not in t for t in terminals):
        raise GraphQLError(
            "InventoryMoveQuantityTerminalInput must include the following argument: changeFromQuantity.",
            extensions={"code": "INVALID_FIELD_ARGUMENTS"},
        )
    return run_idempotent(info, args, lambda: _move(store_of(info), inp))


def _flat(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `from` terminals as plain (item, location) entries, for the shared existence checks."""
    return [{"inventoryItemId": c["inventoryItemId"], "locationId": c["from"]["locationId"]} for c in changes]


def _move(store: ShopifyStore, inp: dict[str, Any]) -> dict[str, Any]:
    changes: list[dict[str, Any]] = inp["changes"]
    stages: list[Stage] = [
        lambda: _terminal_errors(changes),
        lambda: common_checks(inp),
        lambda: existence_errors(store, _flat(changes), "changes"),
        lambda: _stale_terminals(store, changes),
    ]
    errors = first_errors(stages)
    if errors:
        return payload(errors)
    rows: list[InventoryChange] = []
    for c in changes:
        item_id = parse_gid(c["inventoryItemId"], "InventoryItem") or 0
        location_id = parse_gid(c["from"]["locationId"], "Location") or 0
        src, dst, qty = c["from"], c["to"], c["quantity"]
        rows.append(InventoryChange(src["name"], -qty, item_id, location_id, src.get("ledgerDocumentUri")))
        rows.append(InventoryChange(dst["name"], qty, item_id, location_id, dst.get("ledgerDocumentUri")))
        on_hand = (qty if dst["name"] in ON_HAND_PARTS else 0) - (qty if src["name"] in ON_HAND_PARTS else 0)
        if on_hand:
            rows.append(InventoryChange("on_hand", on_hand, item_id, location_id))
    return payload([], store.apply_changes(inp["reason"], inp.get("referenceDocumentUri"), rows))


def _terminal_errors(changes: list[dict[str, Any]]) -> list[UserError]:
    errors: list[UserError] = []
    for i, c in enumerate(changes):
        base = ["input", "changes", str(i)]
        for side in ("from", "to"):
            if c[side]["name"] not in ADJUST_NAMES:
                errors.append(user_error([*base, side, "name"], NAME_MESSAGE, "INVALID_QUANTITY_NAME"))
        if errors:
            continue
        if c["from"]["name"] == c["to"]["name"]:
            errors.append(
                user_error(
                    base, "The quantity names for each change can't be the same.", "SAME_QUANTITY_NAME"
                )
            )
        if c["from"]["locationId"] != c["to"]["locationId"]:
            errors.append(
                user_error(base, "The locations for each change must be the same.", "DIFFERENT_LOCATIONS")
            )
        if not 0 <= c["quantity"] <= SET_LIMIT:
            code = "INVALID_QUANTITY_NEGATIVE" if c["quantity"] < 0 else "INVALID_QUANTITY_TOO_HIGH"
            errors.append(user_error([*base, "quantity"], "The quantity is out of range.", code))
        for side in ("from", "to"):
            found = ledger_error(
                c[side]["name"], c[side].get("ledgerDocumentUri"), [*base, side, "ledgerDocumentUri"]
            )
            if found is not None:
                errors.append(found)
    return errors


def _stale_terminals(store: ShopifyStore, changes: list[dict[str, Any]]) -> list[UserError]:
    errors: list[UserError] = []
    for i, c in enumerate(changes):
        level = store.find_level(
            parse_gid(c["inventoryItemId"], "InventoryItem") or 0,
            parse_gid(c["from"]["locationId"], "Location") or 0,
        )
        if level is None:
            continue
        for side in ("from", "to"):
            expected = c[side].get("changeFromQuantity")
            if expected is not None and level.quantity(c[side]["name"]) != expected:
                errors.append(
                    user_error(
                        ["input", "changes", str(i), side, "changeFromQuantity"],
                        "The changeFromQuantity argument no longer matches the persisted quantity.",
                        "CHANGE_FROM_QUANTITY_STALE",
                    )
                )
    return errors
