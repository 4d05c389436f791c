"""Reading a WooCommerce site through the connector, over real sockets: auth, pagination headers,
variants and levels, the single synthetic location."""

from __future__ import annotations

import pytest

from stockbridge.connectors.errors import AuthError, PermanentError
from stockbridge.connectors.http import HttpClient, ManualTime, RetryPolicy
from stockbridge.connectors.woocommerce import WooCommerceConnector, build_connector
from stockbridge.connectors.woocommerce.client import woo_failure_table
from tests.connectors.woocommerce.conftest import WooSite

pytestmark = pytest.mark.anyio


async def test_check_passes_with_good_keys_and_fails_as_auth_error_with_a_wrong_secret(
    site: WooSite, woo: WooCommerceConnector
) -> None:
    await woo.check()
    wrong = site.connector(consumer_secret="cs_wrong")
    try:
        with pytest.raises(AuthError) as caught:
            await wrong.check()
    finally:
        await wrong.aclose()
    assert caught.value.status == 401 and "cs_wrong" not in str(caught.value.as_dict())


@pytest.mark.parametrize("method", ["HMAC-SHA256", "HMAC-SHA1"])
async def test_oauth1_signatures_are_accepted_and_every_request_gets_a_fresh_nonce(
    site: WooSite, method: str
) -> None:
    nonces: list[str] = []

    def nonce() -> str:
        nonces.append(f"n{len(nonces)}")
        return nonces[-1]

    woo = build_connector(
        "woo",
        site.config(signature_method=method, per_page=1),
        clock=site.clock,
        nonce=nonce,
        retry=RetryPolicy(sleep=_no_sleep),
    )
    try:
        skus = sorted([v.sku or "" async for v in woo.variants()])
    finally:
        await woo.aclose()
    assert skus == ["CAP", "HOOD", "POSTER", "SOCK-L", "SOCK-S"]
    assert len(nonces) == len(set(nonces)) >= 5  # one page per product, then the variations
    assert site.emulator.counters.get("woocommerce_unauthorized") == 0


async def test_a_retried_request_is_signed_again_so_the_nonce_is_not_replayed(site: WooSite) -> None:
    site.emulator.faults.update({"error_rate": 0.5, "seed": 3})
    woo = site.connector()
    try:
        levels = [lv async for lv in woo.levels()]
    finally:
        await woo.aclose()
    assert site.emulator.counters.get("faults_5xx") >= 1
    assert site.emulator.counters.get("woocommerce_unauthorized") == 0
    assert len(levels) == 4


async def test_basic_auth_is_used_where_woocommerce_sees_https(site: WooSite) -> None:
    config = site.config(auth="basic")
    # A TLS terminator in front of the site tells WordPress the request came over https.
    http = HttpClient(
        config.api_root,
        "woo",
        headers={"X-Forwarded-Proto": "https"},
        failures=woo_failure_table(),
        retry=RetryPolicy(sleep=_no_sleep),
    )
    woo = build_connector("woo", config, http, clock=site.clock)
    try:
        await woo.check()
        site.emulator.counters.reset()
        wrong = build_connector(
            "woo",
            site.config(auth="oauth"),
            HttpClient(
                config.api_root,
                "woo",
                headers={"X-Forwarded-Proto": "https"},
                failures=woo_failure_table(),
            ),
            clock=site.clock,
        )
        with pytest.raises(AuthError):
            await wrong.check()  # over "https" WooCommerce wants the key pair, not a signature
        await wrong.aclose()
    finally:
        await woo.aclose()


async def test_variants_name_simple_products_and_variations_with_their_tracking(
    woo: WooCommerceConnector, site: WooSite
) -> None:
    variants = {v.sku: v async for v in woo.variants()}

    assert set(variants) == {"HOOD", "CAP", "POSTER", "SOCK-S", "SOCK-L"}
    assert variants["HOOD"].item_id == site.item_id("HOOD") and variants["HOOD"].tracked
    assert not variants["POSTER"].tracked
    sock = variants["SOCK-S"]
    assert sock.item_id == site.item_id("SOCK-S") == f"{sock.product_id}/{sock.variant_id}"
    assert sock.title == "Sock - S" and sock.updated_at is not None and sock.updated_at.tzinfo is not None


async def test_levels_read_every_page_the_wp_total_pages_header_announces(site: WooSite) -> None:
    for n in range(7):
        site.server.call(
            lambda n=n: site.emulator.store.add_product(f"Extra {n}", f"EX-{n}", stock_quantity=n)
        )
    woo = site.connector(per_page=3)
    try:
        levels = {lv.item_id: lv.available async for lv in woo.levels()}
    finally:
        await woo.aclose()

    # 11 products: 4 pages of 3 (X-WP-TotalPages: 4), then one page of the sock's variations
    assert site.calls("GET /wp-json/wc/v3/products") == 4
    assert site.calls("GET /wp-json/wc/v3/products/{pid}/variations") == 1
    assert levels[site.item_id("EX-6")] == 6 and levels[site.item_id("SOCK-L")] == 2
    assert site.item_id("POSTER") not in levels  # stock not managed: no number to report
    assert len(levels) == 7 + 4  # extras, HOOD, CAP and the two socks; the variable parent has none


async def test_levels_of_chosen_items_and_the_one_location(woo: WooCommerceConnector, site: WooSite) -> None:
    wanted = [site.item_id("SOCK-S"), site.item_id("HOOD")]
    levels = [(lv.item_id, lv.location_id, lv.available) async for lv in woo.levels(wanted)]

    assert sorted(levels) == sorted([(wanted[0], None, 6), (wanted[1], None, 10)])
    assert [(loc.location_id, loc.active) async for loc in woo.locations()] == [("default", True)]
    assert woo.capabilities.multi_location is False and woo.capabilities.max_batch == 100
    assert (woo.capabilities.compare_and_set, woo.capabilities.rate_limit_model) == (
        False,
        "requests_per_second",
    )


async def test_an_item_id_that_is_not_woocommerce_shaped_is_refused(woo: WooCommerceConnector) -> None:
    with pytest.raises(ValueError):
        [lv async for lv in woo.levels(["gid://shopify/InventoryItem/1"])]


async def test_a_wrong_base_url_is_a_permanent_error_not_a_missing_item(site: WooSite) -> None:
    woo = site.connector(base_url=site.base_url + "/shop")
    try:
        with pytest.raises(PermanentError) as caught:
            await woo.check()
    finally:
        await woo.aclose()
    assert caught.value.status == 404


async def _no_sleep(_seconds: float) -> None:
    return None


async def test_variations_that_inherit_the_parents_stock_are_one_item_the_parent(site: WooSite) -> None:
    store = site.emulator.store

    def share_stock() -> int:
        sock = next(p for p in store.products.values() if p.name == "Sock")
        store.update_product(sock, {"manage_stock": True, "stock_quantity": 9})
        large = next(v for v in store.variations.values() if v.sku == "SOCK-L")
        store.update_variation(large, {"manage_stock": "parent"})
        return sock.id

    sock_id = site.server.call(share_stock)
    woo = site.connector()
    try:
        items = sorted([(v.item_id, v.sku) async for v in woo.variants()])
        levels = {lv.item_id: lv.available async for lv in woo.levels()}
    finally:
        await woo.aclose()

    assert (str(sock_id), "") not in items and (str(sock_id), None) in items
    assert not any(sku == "SOCK-L" for _, sku in items)  # it has no stock of its own
    assert levels[str(sock_id)] == 9 and levels[site.item_id("SOCK-S")] == 6
    assert len(items) == len({i for i, _ in items})


async def test_reading_chosen_items_does_not_trust_the_include_filter(site: WooSite) -> None:
    """WooCommerce filters by `include`; an answer that ignores it (as the emulator's does) is
    read page by page until every asked-for item is found, and nothing else is reported."""
    for n in range(5):
        site.server.call(
            lambda n=n: site.emulator.store.add_product(f"Extra {n}", f"EX-{n}", stock_quantity=n)
        )
    woo = site.connector(per_page=2)
    try:
        levels = [(lv.item_id, lv.available) async for lv in woo.levels([site.item_id("EX-4")])]
    finally:
        await woo.aclose()
    assert levels == [(site.item_id("EX-4"), 4)]


async def test_requests_are_spaced_by_the_configured_rate(site: WooSite) -> None:
    time = ManualTime()
    woo = build_connector(
        "woo",
        site.config(requests_per_second=2.0, burst=1),
        clock=site.clock,
        monotonic=time.monotonic,
        sleep=time.sleep,
    )
    try:
        for _ in range(5):
            await woo.check()
    finally:
        await woo.aclose()
    assert sum(time.slept) == pytest.approx(2.0)  # 1 at once, then one every half second
