"""Pushing levels to the emulated shop: compare-and-set, idempotency, per-change outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from stockbridge.connectors.base import LevelChange
from stockbridge.connectors.errors import PermanentError, RemoteNotFoundError, TransientError
from stockbridge.connectors.shopify import ShopifyConnector
from tests.connectors.shopify.conftest import Shop

pytestmark = pytest.mark.anyio


def change(
    shop: Shop, sku: str, location: str, quantity: int, expected: int | None, ref: str = ""
) -> LevelChange:
    return LevelChange(shop.item(sku), shop.location(location), quantity, expected, reference=ref)


async def test_a_push_with_the_right_expected_value_is_applied(
    shop: Shop, connector: ShopifyConnector
) -> None:
    [outcome] = await connector.set_levels([change(shop, "TEE-S", "Shop location", 8, expected=5)])
    assert (outcome.status, outcome.remote_quantity, outcome.error) == ("applied", 8, None)
    assert shop.available("TEE-S", "Shop location") == 8
    [group] = shop.emulator.store.groups.values()
    assert group.reason == "correction"
    assert group.reference_document_uri == f"gid://stockbridge/InventoryPush/{shop.keys[0]}"


async def test_a_sale_underneath_makes_the_push_stale_and_nothing_changes(shop: Shop) -> None:
    connector = shop.connector(stale_retries=0)
    try:
        await shop.sell(shop.item("TEE-S"), shop.location("Shop location"), 2)  # 5 -> 3 at the storefront
        [outcome] = await connector.set_levels([change(shop, "TEE-S", "Shop location", 8, expected=5)])
    finally:
        await connector.aclose()
    assert outcome.status == "stale"
    assert outcome.remote_quantity == 3  # from the follow-up read
    assert shop.available("TEE-S", "Shop location") == 3  # the sale survived
    assert not shop.emulator.store.groups


async def test_a_stale_push_is_re_sent_as_the_same_move_from_what_the_shop_holds(
    shop: Shop, connector: ShopifyConnector
) -> None:
    await shop.sell(shop.item("TEE-S"), shop.location("Shop location"), 2)  # 5 -> 3 at the storefront
    [outcome] = await connector.set_levels([change(shop, "TEE-S", "Shop location", 8, expected=5, ref="r")])
    assert (outcome.status, outcome.remote_quantity, outcome.observed_before) == ("applied", 6, 3)
    assert outcome.change.reference == "r" and outcome.change.expected == 5, "told of the change asked for"
    assert shop.available("TEE-S", "Shop location") == 6, "+3 from 3: the 2 sold stay sold"
    assert len(shop.keys) == 2, "the refused call and the re-sent one, each under its own key"


async def test_a_stale_decrease_is_never_re_sent_below_zero(shop: Shop, connector: ShopifyConnector) -> None:
    await shop.sell(shop.item("TEE-S"), shop.location("Shop location"), 4)  # 5 -> 1
    [outcome] = await connector.set_levels([change(shop, "TEE-S", "Shop location", 2, expected=5)])
    assert (outcome.status, outcome.remote_quantity, outcome.observed_before) == ("applied", 0, 1)
    assert shop.available("TEE-S", "Shop location") == 0


async def test_a_shop_that_went_up_by_itself_is_left_stale(shop: Shop, connector: ShopifyConnector) -> None:
    [edit] = await connector.set_levels([change(shop, "TEE-S", "Shop location", 8, expected=None)])
    assert edit.status == "applied", "someone restocks in the shop's admin: 5 -> 8"
    [outcome] = await connector.set_levels([change(shop, "TEE-S", "Shop location", 6, expected=5)])
    assert (outcome.status, outcome.remote_quantity) == ("stale", 8)
    assert shop.available("TEE-S", "Shop location") == 8, "the hub decides from the level it now knows"


async def test_a_shop_that_keeps_selling_stays_stale_after_the_re_sends(shop: Shop) -> None:
    connector = shop.connector(stale_retries=1)
    item, location = shop.item("TEE-S"), shop.location("Shop location")
    sells = 0
    original = connector.writer.read_levels

    async def read_then_sell(*args: Any, **kwargs: Any) -> Any:  # a sale right after every read
        nonlocal sells
        async for level in original(*args, **kwargs):
            yield level
        sells += 1
        await shop.sell(item, location, 1)

    connector.writer.read_levels = read_then_sell
    try:
        await shop.sell(item, location, 1)  # 5 -> 4
        [outcome] = await connector.set_levels([change(shop, "TEE-S", "Shop location", 9, expected=5)])
    finally:
        await connector.aclose()
    assert outcome.status == "stale" and outcome.change.expected == 5
    assert shop.available("TEE-S", "Shop location") == 5 - 1 - sells, "every sale survived"


async def test_in_a_mixed_batch_only_the_stale_change_is_refused(shop: Shop) -> None:
    connector = shop.connector(stale_retries=0)
    await shop.sell(shop.item("MUG"), shop.location("Shop location"), 1)  # 9 -> 8
    changes = [
        change(shop, "TEE-S", "Shop location", 1, expected=5, ref="a"),
        change(shop, "MUG", "Shop location", 20, expected=9, ref="b"),
        change(shop, "CAP", "Warehouse", 0, expected=6, ref="c"),
    ]
    try:
        outcomes = await connector.set_levels(changes)
    finally:
        await connector.aclose()
    assert [(o.change.reference, o.status, o.remote_quantity) for o in outcomes] == [
        ("a", "applied", 1),
        ("b", "stale", 8),
        ("c", "applied", 0),
    ]
    assert shop.available("TEE-S", "Shop location") == 1
    assert shop.available("MUG", "Shop location") == 8
    assert shop.available("CAP", "Warehouse") == 0
    assert len(shop.keys) == 2  # the refused call and the re-sent rest each had their own key


async def test_a_level_that_does_not_exist_fails_alone(shop: Shop, connector: ShopifyConnector) -> None:
    changes = [
        change(shop, "TEE-M", "Warehouse", 4, expected=0, ref="not-stocked"),
        change(shop, "TEE-M", "Shop location", 4, expected=3, ref="ok"),
    ]
    missing, ok = await connector.set_levels(changes)
    assert missing.status == "failed" and isinstance(missing.error, RemoteNotFoundError)
    assert missing.error.fields["code"] == "ITEM_NOT_STOCKED_AT_LOCATION"
    assert ok.status == "applied" and shop.available("TEE-M", "Shop location") == 4


async def test_unsendable_changes_fail_before_any_call(shop: Shop, connector: ShopifyConnector) -> None:
    no_location = LevelChange(shop.item("MUG"), None, 1, 9)
    first = change(shop, "MUG", "Shop location", 1, expected=9, ref="superseded")
    last = change(shop, "MUG", "Shop location", 2, expected=9, ref="kept")
    outcomes = await connector.set_levels([no_location, first, last])
    assert [o.status for o in outcomes] == ["failed", "failed", "applied"]
    assert all(isinstance(o.error, PermanentError) for o in outcomes[:2])
    assert shop.available("MUG", "Shop location") == 2


async def test_expected_none_sets_without_a_check(shop: Shop, connector: ShopifyConnector) -> None:
    await shop.sell(shop.item("MUG"), shop.location("Shop location"), 4)
    [outcome] = await connector.set_levels([change(shop, "MUG", "Shop location", 11, expected=None)])
    assert outcome.status == "applied" and shop.available("MUG", "Shop location") == 11


async def test_a_lost_response_is_retried_with_the_same_key_and_applied_once(shop: Shop) -> None:
    connector = shop.connector()
    shop.emulator.faults.update({"lost_response_rate": 1.0})  # applied, then answered 502
    shop.time.listeners.append(lambda _: shop.emulator.faults.reset())
    [outcome] = await connector.set_levels([change(shop, "TEE-L", "Shop location", 9, expected=4)])
    assert outcome.status == "applied"
    assert shop.available("TEE-L", "Shop location") == 9
    assert len(shop.emulator.store.groups) == 1  # the retry was replayed, not applied again
    assert shop.keys == ["test-key-1"]
    assert shop.emulator.counters.get("faults_lost_response") == 1
    await connector.aclose()


async def test_persistent_server_errors_fail_every_change_with_a_transient_error(shop: Shop) -> None:
    connector = shop.connector()
    shop.emulator.faults.update({"error_rate": 1.0})
    outcomes = await connector.set_levels(
        [change(shop, "TEE-S", "Shop location", 1, 5), change(shop, "MUG", "Shop location", 1, 9)]
    )
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all(isinstance(o.error, TransientError) and o.error.status == 500 for o in outcomes)
    assert shop.emulator.counters.get("faults_5xx") == connector.client.http.retry.max_attempts
    await connector.aclose()


async def test_more_than_250_changes_go_out_in_batches_of_250() -> None:
    from tests.connectors.shopify.conftest import running_shop

    spec = {
        "locations": ["Shop location"],
        "products": [
            {
                "title": "Bulk",
                "variants": [{"sku": f"B-{n}", "available": {"Shop location": 1}} for n in range(260)],
            }
        ],
    }
    async with running_shop(spec) as shop:
        connector = shop.connector()
        changes = [change(shop, f"B-{n}", "Shop location", 2, expected=1) for n in range(260)]
        outcomes = await connector.set_levels(changes)
        assert [o.status for o in outcomes] == ["applied"] * 260
        assert shop.emulator.counters.get("graphql_mutation:inventorySetQuantities") == 2
        await connector.aclose()


async def test_an_error_about_the_whole_input_fails_every_change(shop: Shop) -> None:
    connector = shop.connector(inventory_reason="because")
    outcomes = await connector.set_levels(
        [change(shop, "TEE-S", "Shop location", 1, 5), change(shop, "MUG", "Shop location", 1, 9)]
    )
    assert [o.status for o in outcomes] == ["failed", "failed"]
    assert all(
        isinstance(o.error, PermanentError) and o.error.fields["code"] == "INVALID_REASON" for o in outcomes
    )
    assert shop.available("TEE-S", "Shop location") == 5
    await connector.aclose()


async def test_an_out_of_range_quantity_fails_alone(shop: Shop, connector: ShopifyConnector) -> None:
    huge, fine = await connector.set_levels(
        [change(shop, "TEE-S", "Shop location", 2_000_000_000, 5), change(shop, "MUG", "Shop location", 3, 9)]
    )
    assert huge.status == "failed" and isinstance(huge.error, PermanentError)
    assert huge.error.fields["code"] == "INVALID_QUANTITY_TOO_HIGH"
    assert fine.status == "applied" and shop.available("MUG", "Shop location") == 3
