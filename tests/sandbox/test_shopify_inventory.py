"""Inventory writes behave as Shopify 2026-04: compare-and-set, mandatory idempotency, all-or-nothing."""

from __future__ import annotations

from typing import Any

from tests.sandbox.conftest import ShopifyHarness

SET = """
mutation Set($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup {
      id reason referenceDocumentUri changes { name delta item { id } location { id } }
    }
    userErrors { field message code }
  }
}
"""
ADJUST = """
mutation Adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta ledgerDocumentUri } }
    userErrors { field message code }
  }
}
"""
LEVEL = """
query($id: ID!) { inventoryItem(id: $id) { inventoryLevels(first: 5) { nodes {
  location { name }
  quantities(names: ["available", "on_hand", "damaged", "incoming"]) { name quantity } } } } }
"""


def set_input(h: ShopifyHarness, quantity: int, change_from: int | None, **extra: Any) -> dict[str, Any]:
    entry = {
        "inventoryItemId": h.item_gid(),
        "locationId": h.location_gid(),
        "quantity": quantity,
        "changeFromQuantity": change_from,
    }
    return {
        "name": "available",
        "reason": "correction",
        "referenceDocumentUri": "logistics://hub/push/1",
        "quantities": [entry],
        **extra,
    }


def shop_levels(h: ShopifyHarness) -> dict[str, int]:
    nodes = h.gql(LEVEL, {"id": h.item_gid()})["data"]["inventoryItem"]["inventoryLevels"]["nodes"]
    level = next(n for n in nodes if n["location"]["name"] == "Shop location")
    return {q["name"]: q["quantity"] for q in level["quantities"]}


def test_set_with_matching_change_from_quantity_applies_and_mirrors_on_hand(shopify: ShopifyHarness) -> None:
    body = shopify.gql(SET, {"input": set_input(shopify, 8, 5), "key": "k-1"})
    payload = body["data"]["inventorySetQuantities"]
    assert payload["userErrors"] == []
    assert [(c["name"], c["delta"]) for c in payload["inventoryAdjustmentGroup"]["changes"]] == [
        ("available", 3),
        ("on_hand", 3),
    ]
    assert body["extensions"]["cost"]["requestedQueryCost"] == 13
    assert shop_levels(shopify)["available"] == 8


def test_a_stale_change_from_quantity_is_refused_and_changes_nothing(shopify: ShopifyHarness) -> None:
    sale = {"lines": [{"sku": "TEE-S", "quantity": 1}], "location_id": shopify.location_gid()}
    assert shopify.client.post("/_emulator/storefront/orders", json=sale).status_code == 201
    before = shop_levels(shopify)
    payload = shopify.gql(SET, {"input": set_input(shopify, 8, 5), "key": "k-2"})["data"][
        "inventorySetQuantities"
    ]
    assert payload["inventoryAdjustmentGroup"] is None
    assert payload["userErrors"] == [
        {
            "field": ["input", "quantities", "0", "changeFromQuantity"],
            "message": "The changeFromQuantity argument no longer matches the persisted quantity.",
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }
    ]
    assert shop_levels(shopify) == before


def test_explicit_null_change_from_quantity_skips_the_check(shopify: ShopifyHarness) -> None:
    payload = shopify.gql(SET, {"input": set_input(shopify, 1, None), "key": "k-3"})["data"][
        "inventorySetQuantities"
    ]
    assert payload["userErrors"] == []
    assert shop_levels(shopify)["available"] == 1


def test_omitting_change_from_quantity_is_a_top_level_error(shopify: ShopifyHarness) -> None:
    inp = set_input(shopify, 1, None)
    del inp["quantities"][0]["changeFromQuantity"]
    body = shopify.gql(SET, {"input": inp, "key": "k-4"})
    assert body["data"] == {"inventorySetQuantities": None}
    assert body["errors"][0]["message"] == (
        "InventoryQuantityInput must include the following argument: changeFromQuantity."
    )
    assert body["errors"][0]["extensions"]["code"] == "INVALID_FIELD_ARGUMENTS"


def test_the_idempotent_directive_is_required(shopify: ShopifyHarness) -> None:
    document = SET.replace("@idempotent(key: $key)", "").replace(", $key: String!", "")
    body = shopify.gql(document, {"input": set_input(shopify, 1, 5)})
    assert body["data"] == {"inventorySetQuantities": None}
    assert body["errors"][0]["message"] == (
        "The @idempotent directive is required for this mutation but was not provided."
    )
    assert body["errors"][0]["extensions"] == {"code": "BAD_REQUEST"}
    assert body["errors"][0]["path"] == ["inventorySetQuantities"]
    assert shop_levels(shopify)["available"] == 5


def test_a_repeated_key_replays_the_first_result_without_applying_twice(shopify: ShopifyHarness) -> None:
    variables = {"input": set_input(shopify, 9, 5), "key": "retry-me"}
    first = shopify.gql(SET, variables)["data"]
    second = shopify.gql(SET, variables)["data"]
    assert first == second
    assert shop_levels(shopify)["available"] == 9
    other = shopify.gql(SET, {"input": set_input(shopify, 2, 9), "key": "retry-me"})["data"]
    assert other["inventorySetQuantities"]["userErrors"][0]["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
    assert shop_levels(shopify)["available"] == 9


def test_removed_ignore_compare_quantity_fails_variable_coercion(shopify: ShopifyHarness) -> None:
    body = shopify.gql(SET, {"input": set_input(shopify, 1, 5, ignoreCompareQuantity=True), "key": "k-5"})
    assert "data" not in body
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INVALID_VARIABLE"
    assert error["extensions"]["problems"] == [
        {
            "path": ["ignoreCompareQuantity"],
            "explanation": "Field is not defined on InventorySetQuantitiesInput",
        }
    ]


def test_a_batch_is_all_or_nothing(shopify: ShopifyHarness) -> None:
    inp = set_input(shopify, 7, 5)
    inp["quantities"].append(
        {
            "inventoryItemId": shopify.item_gid(0, 1),
            "locationId": shopify.location_gid(),
            "quantity": 1,
            "changeFromQuantity": 99,
        }
    )
    payload = shopify.gql(SET, {"input": inp, "key": "k-6"})["data"]["inventorySetQuantities"]
    assert [e["field"] for e in payload["userErrors"]] == [["input", "quantities", "1", "changeFromQuantity"]]
    assert shop_levels(shopify)["available"] == 5


def test_writes_to_an_unstocked_location_are_refused(shopify: ShopifyHarness) -> None:
    inp = set_input(shopify, 1, 0)
    inp["quantities"][0]["inventoryItemId"] = shopify.item_gid(0, 1)
    inp["quantities"][0]["locationId"] = shopify.location_gid(1)
    payload = shopify.gql(SET, {"input": inp, "key": "k-7"})["data"]["inventorySetQuantities"]
    assert payload["userErrors"][0]["code"] == "ITEM_NOT_STOCKED_AT_LOCATION"


def test_more_than_250_entries_is_a_top_level_input_size_error(shopify: ShopifyHarness) -> None:
    inp = set_input(shopify, 1, None)
    inp["quantities"] = inp["quantities"] * 251
    body = shopify.gql(SET, {"input": inp, "key": "k-8"})
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"


def test_adjusting_damaged_moves_on_hand_but_not_available(shopify: ShopifyHarness) -> None:
    change = {
        "inventoryItemId": shopify.item_gid(),
        "locationId": shopify.location_gid(),
        "delta": 2,
        "changeFromQuantity": 0,
        "ledgerDocumentUri": "https://erp.example/doc/1",
    }
    inp = {"name": "damaged", "reason": "damaged", "changes": [change]}
    payload = shopify.gql(ADJUST, {"input": inp, "key": "a-1"})["data"]["inventoryAdjustQuantities"]
    assert [
        (c["name"], c["delta"], c["ledgerDocumentUri"])
        for c in payload["inventoryAdjustmentGroup"]["changes"]
    ] == [
        ("damaged", 2, "https://erp.example/doc/1"),
        ("on_hand", 2, None),
    ]
    assert shop_levels(shopify) == {"available": 5, "on_hand": 7, "damaged": 2, "incoming": 0}


def test_adjusting_incoming_leaves_on_hand_alone_and_zero_deltas_are_a_no_op(shopify: ShopifyHarness) -> None:
    change = {
        "inventoryItemId": shopify.item_gid(),
        "locationId": shopify.location_gid(),
        "delta": 4,
        "changeFromQuantity": None,
        "ledgerDocumentUri": "https://erp.example/po/7",
    }
    payload = shopify.gql(
        ADJUST, {"input": {"name": "incoming", "reason": "received", "changes": [change]}, "key": "a-2"}
    )["data"]["inventoryAdjustQuantities"]
    assert [c["name"] for c in payload["inventoryAdjustmentGroup"]["changes"]] == ["incoming"]
    zero = {**change, "delta": 0, "ledgerDocumentUri": None}
    noop = shopify.gql(
        ADJUST, {"input": {"name": "available", "reason": "correction", "changes": [zero]}, "key": "a-3"}
    )["data"]["inventoryAdjustQuantities"]
    assert noop == {"inventoryAdjustmentGroup": None, "userErrors": []}
    assert shop_levels(shopify) == {"available": 5, "on_hand": 5, "damaged": 0, "incoming": 4}


def test_adjust_refuses_on_hand_and_bad_reasons(shopify: ShopifyHarness) -> None:
    change = {
        "inventoryItemId": shopify.item_gid(),
        "locationId": shopify.location_gid(),
        "delta": 1,
        "changeFromQuantity": None,
    }
    on_hand = shopify.gql(
        ADJUST, {"input": {"name": "on_hand", "reason": "correction", "changes": [change]}, "key": "a-4"}
    )["data"]["inventoryAdjustQuantities"]
    assert on_hand["userErrors"][0]["code"] == "INVALID_QUANTITY_NAME"
    reason = shopify.gql(
        ADJUST, {"input": {"name": "available", "reason": "because", "changes": [change]}, "key": "a-5"}
    )["data"]["inventoryAdjustQuantities"]
    assert reason["userErrors"][0]["code"] == "INVALID_REASON"


def test_a_retry_after_a_lost_response_replays_instead_of_applying_twice(shopify: ShopifyHarness) -> None:
    shopify.client.post("/_emulator/faults", json={"lost_response_rate": 1.0})
    variables = {"input": set_input(shopify, 2, 5), "key": "lost-1"}
    lost = shopify.client.post("/admin/api/2026-04/graphql.json", json={"query": SET, "variables": variables})
    assert lost.status_code == 502
    shopify.client.post("/_emulator/faults", json={"lost_response_rate": 0.0})
    retry = shopify.gql(SET, variables)["data"]["inventorySetQuantities"]
    assert retry["userErrors"] == []
    assert [c["delta"] for c in retry["inventoryAdjustmentGroup"]["changes"]] == [-3, -3]
    assert shop_levels(shopify)["available"] == 2
    assert shopify.emulator.counters.get("faults_lost_response") == 1


MOVE = """
mutation Move($input: InventoryMoveQuantitiesInput!, $key: String!) {
  inventoryMoveQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { changes { name delta } }
    userErrors { field code }
  }
}
"""


def move_input(h: ShopifyHarness, src: tuple[str, int | None], dst: tuple[str, int | None], qty: int) -> Any:
    def terminal(name: str, expected: int | None) -> dict[str, Any]:
        ledger = None if name == "available" else "https://wms.example/move/1"
        return {
            "locationId": h.location_gid(),
            "name": name,
            "changeFromQuantity": expected,
            "ledgerDocumentUri": ledger,
        }

    change = {"inventoryItemId": h.item_gid(), "quantity": qty, "from": terminal(*src), "to": terminal(*dst)}
    return {"reason": "received", "referenceDocumentUri": "logistics://wms/1", "changes": [change]}


def test_moving_incoming_to_available_raises_on_hand_and_stale_terminals_are_refused(
    shopify: ShopifyHarness,
) -> None:
    change = {
        "inventoryItemId": shopify.item_gid(),
        "locationId": shopify.location_gid(),
        "delta": 4,
        "changeFromQuantity": 0,
        "ledgerDocumentUri": "https://erp.example/po/9",
    }
    shopify.gql(
        ADJUST, {"input": {"name": "incoming", "reason": "received", "changes": [change]}, "key": "m-0"}
    )
    moved = shopify.gql(
        MOVE, {"input": move_input(shopify, ("incoming", 4), ("available", 5), 3), "key": "m-1"}
    )
    group = moved["data"]["inventoryMoveQuantities"]["inventoryAdjustmentGroup"]
    assert group["changes"] == [
        {"name": "incoming", "delta": -3},
        {"name": "available", "delta": 3},
        {"name": "on_hand", "delta": 3},
    ]
    assert shop_levels(shopify) == {"available": 8, "on_hand": 8, "damaged": 0, "incoming": 1}
    stale = shopify.gql(
        MOVE, {"input": move_input(shopify, ("available", 5), ("damaged", 0), 1), "key": "m-2"}
    )
    assert stale["data"]["inventoryMoveQuantities"]["userErrors"] == [
        {
            "field": ["input", "changes", "0", "from", "changeFromQuantity"],
            "code": "CHANGE_FROM_QUANTITY_STALE",
        }
    ]


DEACTIVATE = """
mutation Off($id: ID!, $key: String!) {
  inventoryDeactivate(inventoryLevelId: $id) @idempotent(key: $key) { userErrors { field message } }
}
"""


def test_deactivating_keeps_the_level_readable_as_inactive_but_not_the_last_one(
    shopify: ShopifyHarness,
) -> None:
    levels_query = """
    query($id: ID!) { inventoryItem(id: $id) {
      active: inventoryLevels(first: 5) { nodes { id } }
      all: inventoryLevels(first: 5, includeInactive: true) { nodes { id isActive } } } }
    """
    levels = shopify.gql(levels_query, {"id": shopify.item_gid()})["data"]["inventoryItem"]["all"]["nodes"]
    first, second = levels[0]["id"], levels[1]["id"]
    assert (
        shopify.gql(DEACTIVATE, {"id": first, "key": "d-1"})["data"]["inventoryDeactivate"]["userErrors"]
        == []
    )
    after = shopify.gql(levels_query, {"id": shopify.item_gid()})["data"]["inventoryItem"]
    assert [n["id"] for n in after["active"]["nodes"]] == [second]
    assert [(n["id"], n["isActive"]) for n in after["all"]["nodes"]] == [(first, False), (second, True)]
    last = shopify.gql(DEACTIVATE, {"id": second, "key": "d-2"})["data"]["inventoryDeactivate"]["userErrors"]
    assert "minimum of 1 location" in last[0]["message"]
