"""`inventoryActivate`: stock an inventory item at a location.

Uses the generic `UserError` (no `code`), as Shopify does for activation. Captured behaviour kept:
`available` or `onHand` seeds a new level (the windowing capture shows `available: 9` honoured);
setting both is refused; an already active level answers with itself plus an error when `onHand` is
given; a deactivated level is reactivated with its old id and quantities.
"""

from __future__ import annotations

from typing import Any

from stockbridge.sandbox.shopify.inventory import SET_LIMIT, run_idempotent
from stockbridge.sandbox.shopify.resolvers import Info, parse_gid, resolver, store_of
from stockbridge.sandbox.shopify.store import ShopifyStore


@resolver("Mutation", "inventoryActivate")
def inventory_activate(_: Any, info: Info, args: dict[str, Any]) -> Any:
    return run_idempotent(info, args, lambda: _activate(store_of(info), args))


def _activate(store: ShopifyStore, args: dict[str, Any]) -> dict[str, Any]:
    item_id = parse_gid(args["inventoryItemId"], "InventoryItem") or 0
    location = store.locations.get(parse_gid(args["locationId"], "Location") or 0)
    if item_id not in store.items or location is None:
        field = "inventoryItemId" if item_id not in store.items else "locationId"
        return {"inventoryLevel": None, "userErrors": [{"field": [field], "message": "Not found."}]}
    available, on_hand = args.get("available"), args.get("onHand")
    prefix = f"The product couldn't be stocked at {location.name} because"
    if available is not None and on_hand is not None:
        message = f"{prefix} not allowed to set available and on_hand quantities at the same time."
        return {
            "inventoryLevel": None,
            "userErrors": [
                {"field": ["available"], "message": message},
                {"field": ["onHand"], "message": message},
            ],
        }
    if on_hand is not None and not -SET_LIMIT <= on_hand <= SET_LIMIT:
        message = f"{prefix} the quantity needs to be between -1 billion and 1 billion."
        return {"inventoryLevel": None, "userErrors": [{"field": ["onHand"], "message": message}]}
    existing = store.find_level(item_id, location.id)
    if existing is not None:
        errors = []
        if on_hand is not None:
            errors.append(
                {
                    "field": ["onHand"],
                    "message": "Not allowed to set an on_hand quantity when the item is already active at "
                    "the location.",
                }
            )
        return {"inventoryLevel": existing, "userErrors": errors}
    seeded = on_hand if on_hand is not None else (available or 0)
    return {"inventoryLevel": store.activate(item_id, location.id, seeded), "userErrors": []}


@resolver("Mutation", "inventoryDeactivate")
def inventory_deactivate(_: Any, info: Info, args: dict[str, Any]) -> Any:
    return run_idempotent(info, args, lambda: _deactivate(store_of(info), args["inventoryLevelId"]))


def _deactivate(store: ShopifyStore, level_gid: str) -> dict[str, Any]:
    number = parse_gid(level_gid, "InventoryLevel")
    level = next((lv for lv in store.levels.values() if lv.id == number and lv.is_active), None)
    if level is None:
        return {
            "userErrors": [
                {"field": ["inventoryLevelId"], "message": "The inventory level could not be found."}
            ]
        }
    if len(store.levels_of_item(level.item_id)) == 1:
        location = store.locations[level.location_id].name
        message = (
            f"The product couldn't be unstocked from {location} because products need to be stocked "
            "at a minimum of 1 location."
        )
        return {"userErrors": [{"field": ["inventoryLevelId"], "message": message}]}
    level.is_active = False
    level.updated_at = store.clock.now()
    return {"userErrors": []}
