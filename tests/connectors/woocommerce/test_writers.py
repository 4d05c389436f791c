"""Pushing stock to WooCommerce, which has no compare-and-set: deltas from the acknowledged value,
batches of at most 100, per-item failures reported in order."""

from __future__ import annotations

import pytest

from stockbridge.connectors.base import LevelChange
from stockbridge.connectors.errors import PermanentError, RemoteNotFoundError, TransientError
from stockbridge.connectors.woocommerce import WooCommerceConnector
from stockbridge.connectors.woocommerce.mappers import ItemRef, Node
from stockbridge.connectors.woocommerce.streams import WooStreams
from tests.connectors.woocommerce.conftest import WooSite

pytestmark = pytest.mark.anyio
PRODUCTS_BATCH = "POST /wp-json/wc/v3/products/batch"
VARIATIONS_BATCH = "POST /wp-json/wc/v3/products/{pid}/variations/batch"


async def test_a_sale_the_shop_took_since_the_last_push_is_kept(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    hood = site.item_id("HOOD")  # acknowledged at 10
    site.sell("HOOD", 3)  # the shop sells 3 the hub has not heard of yet: 7 left

    (outcome,) = await woo.set_levels([LevelChange(hood, None, 8, expected=10)])  # hub: 2 fewer

    assert (outcome.status, outcome.remote_quantity) == ("applied", 5)  # 7 + (8 - 10), not 8
    assert (outcome.observed_before, outcome.overwritten) == (7, 0)
    assert site.stock("HOOD") == 5


def _selling_after_reads(site: WooSite, woo: WooCommerceConnector, sales: dict[int, int]) -> None:
    """Make checkouts land right after the writer's reads: after read n, `sales[n]` hoods."""
    streams = woo.streams
    original = streams.read_stock
    reads = 0

    async def read_then_sell(refs: object) -> dict[ItemRef, Node]:
        nonlocal reads
        found = await original(refs)  # type: ignore[arg-type]
        reads += 1
        if sales.get(reads):
            site.sell("HOOD", sales[reads])  # a checkout lands after the read, before the write
        return found

    streams.read_stock = read_then_sell  # type: ignore[method-assign]
    assert isinstance(streams, WooStreams)


async def test_a_sale_between_our_read_and_our_write_is_overwritten_but_reported(
    site: WooSite,
) -> None:
    """WooCommerce has no conditional write: the writer cannot close this window, but the
    product's `total_sales`, read before and answered after the write, tells it what it overwrote."""
    woo = site.connector(overwrite_corrections=0)
    _selling_after_reads(site, woo, {1: 2})
    try:
        (outcome,) = await woo.set_levels([LevelChange(site.item_id("HOOD"), None, 9, expected=10)])
    finally:
        await woo.aclose()

    assert outcome.status == "applied" and outcome.remote_quantity == 9  # 10 + (9 - 10) from the stale read
    assert site.stock("HOOD") == 9  # the 2 sold in the window are overwritten ...
    assert (outcome.overwritten, outcome.observed_before) == (2, 10)  # ... and reported for the hub
    assert outcome.sold_meanwhile == 2


async def test_overwritten_sales_are_taken_off_again_at_once(site: WooSite) -> None:
    woo = site.connector()
    _selling_after_reads(site, woo, {1: 2, 2: 1})  # 2 in the first window, 1 in the correction's
    try:
        (outcome,) = await woo.set_levels([LevelChange(site.item_id("HOOD"), None, 9, expected=10)])
    finally:
        await woo.aclose()

    # 10 -> 9 overwrote 2; the correction read 9, wrote 7 and overwrote 1; the next wrote 7 - 1 = 6
    assert site.stock("HOOD") == 6 == 10 - 1 - 3, "the hub's move of -1 and the 3 units sold"
    assert (outcome.status, outcome.remote_quantity, outcome.overwritten) == ("applied", 6, 0)
    assert (outcome.observed_before, outcome.sold_meanwhile) == (10, 3), "all 3 sales reach the hub"
    assert site.calls("POST /wp-json/wc/v3/products/batch") == 3


async def test_an_overwrite_left_after_the_corrections_is_reported(site: WooSite) -> None:
    woo = site.connector(overwrite_corrections=1)
    _selling_after_reads(site, woo, {1: 2, 2: 1})
    try:
        (outcome,) = await woo.set_levels([LevelChange(site.item_id("HOOD"), None, 9, expected=10)])
    finally:
        await woo.aclose()

    assert site.stock("HOOD") == 7, "the correction wrote 9 - 2 and overwrote the third sale"
    assert (outcome.remote_quantity, outcome.overwritten, outcome.sold_meanwhile) == (7, 1, 3)


async def test_without_a_base_the_level_is_set_absolutely(site: WooSite, woo: WooCommerceConnector) -> None:
    (outcome,) = await woo.set_levels([LevelChange(site.item_id("CAP"), None, 4, expected=None)])
    assert (outcome.status, outcome.remote_quantity, site.stock("CAP")) == ("applied", 4, 4)


async def test_products_and_variations_go_to_their_own_batch_endpoints_in_one_call_each(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    changes = [
        LevelChange(site.item_id("SOCK-S"), None, 1, expected=6, reference="a"),
        LevelChange(site.item_id("HOOD"), None, 12, expected=10, reference="b"),
        LevelChange(site.item_id("SOCK-L"), None, 5, expected=2, reference="c"),
        LevelChange(site.item_id("CAP"), None, 0, expected=0, reference="d"),
    ]

    outcomes = await woo.set_levels(changes)

    assert [(o.change.reference, o.status, o.remote_quantity) for o in outcomes] == [
        ("a", "applied", 1),
        ("b", "applied", 12),
        ("c", "applied", 5),
        ("d", "applied", 0),
    ]
    assert (site.calls(PRODUCTS_BATCH), site.calls(VARIATIONS_BATCH)) == (1, 1)
    assert (site.stock("SOCK-S"), site.stock("SOCK-L"), site.stock("HOOD")) == (1, 5, 12)


async def test_one_hundred_changes_are_one_batch_and_more_are_never_sent(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    def add_products() -> list[str]:
        return [
            str(site.emulator.store.add_product(f"Bulk {n}", f"B-{n}", stock_quantity=50).id)
            for n in range(101)
        ]

    ids = site.server.call(add_products)
    changes = [LevelChange(i, None, 40, expected=50) for i in ids]

    outcomes = await woo.set_levels(changes[:100])
    with pytest.raises(PermanentError):
        await woo.set_levels(changes)

    assert all(o.status == "applied" and o.remote_quantity == 40 for o in outcomes)
    assert site.calls(PRODUCTS_BATCH) == 1  # the refused 101 never reached the site
    assert site.emulator.counters.get("woocommerce_unauthorized") == 0


async def test_the_emulator_refuses_a_batch_over_one_hundred_with_413(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    """Why the writer caps at 100: WooCommerce answers 413 to the whole call beyond it."""
    body = {"update": [{"id": n, "stock_quantity": 1} for n in range(101)]}
    with pytest.raises(PermanentError) as caught:
        await woo.client.post("products/batch", body)
    assert caught.value.status == 413


async def test_items_that_cannot_be_written_fail_alone_and_in_order(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    changes = [
        LevelChange("not-an-id", None, 1, expected=None),
        LevelChange(site.item_id("POSTER"), None, 3, expected=None),
        LevelChange("999999", None, 1, expected=None),
        LevelChange(site.item_id("HOOD"), None, 11, expected=10),
        LevelChange(site.item_id("HOOD"), None, 12, expected=10),
    ]

    outcomes = await woo.set_levels(changes)

    assert [o.status for o in outcomes] == ["failed", "failed", "failed", "applied", "failed"]
    kinds = [type(o.error) for o in outcomes]
    assert kinds[:3] == [PermanentError, PermanentError, RemoteNotFoundError] and kinds[4] is PermanentError
    assert "manage_stock" in str(outcomes[1].error) and site.stock("POSTER") is None
    assert site.stock("HOOD") == 11


def breaking_the_write(site: WooSite, woo: WooCommerceConnector, fault: str) -> None:
    """Turn `fault` on after the writer's first read (so only the write meets it), off before any
    later read (the verification)."""
    original = woo.writer.streams.read_stock
    calls = 0

    def switch(rate: float) -> None:
        site.server.call(lambda: site.emulator.faults.update({fault: rate}))

    async def read(refs: object) -> dict[ItemRef, Node]:
        nonlocal calls
        calls += 1
        switch(0.0)
        found = await original(refs)  # type: ignore[arg-type]
        if calls == 1:
            switch(1.0)
        return found

    woo.writer.streams.read_stock = read  # type: ignore[method-assign]


async def test_a_lost_answer_is_verified_by_reading_back_instead_of_writing_twice(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    breaking_the_write(site, woo, "lost_response_rate")  # the write is applied, its answer is a 502

    (outcome,) = await woo.set_levels([LevelChange(site.item_id("HOOD"), None, 7, expected=10)])

    assert (outcome.status, outcome.remote_quantity) == ("applied", 7)
    assert site.stock("HOOD") == 7 and site.calls(PRODUCTS_BATCH) == 1  # written once, not retried
    assert site.emulator.counters.get("faults_lost_response") == 1


async def test_a_write_that_did_not_land_fails_as_transient_for_the_pusher_to_retry(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    breaking_the_write(site, woo, "error_rate")  # the write meets a 500 before it is applied

    (outcome,) = await woo.set_levels([LevelChange(site.item_id("HOOD"), None, 7, expected=10)])

    assert outcome.status == "failed" and isinstance(outcome.error, TransientError)
    assert site.stock("HOOD") == 10 and site.emulator.counters.get("faults_5xx") == 1
