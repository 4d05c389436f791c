"""The official `woocommerce` Python client works against the emulator (OAuth 1.0a over http)."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import WooHarness


def test_the_client_lists_products_with_wordpress_pagination_headers(woo: WooHarness) -> None:
    response = woo.api().get("products", params={"per_page": 2, "orderby": "id", "order": "asc"})
    assert response.status_code == 200
    assert [p["sku"] for p in response.json()] == ["HOOD", "CAP"]
    assert response.headers["X-WP-Total"] == "3"
    assert response.headers["X-WP-TotalPages"] == "2"
    assert 'rel="next"' in response.headers["Link"]
    second = woo.api().get("products", params={"per_page": 2, "page": 2, "orderby": "id", "order": "asc"})
    assert [p["sku"] for p in second.json()] == [""]
    assert 'rel="prev"' in second.headers["Link"]


def test_the_client_sets_stock_and_the_status_follows(woo: WooHarness) -> None:
    cap = woo.product_id("CAP")
    response = woo.api().put(f"products/{cap}", {"stock_quantity": 3})
    assert response.status_code == 200
    body = response.json()
    assert (body["manage_stock"], body["stock_quantity"], body["stock_status"]) == (True, 3, "instock")
    assert woo.api().get(f"products/{cap}").json()["stock_quantity"] == 3


def test_the_client_batch_updates_variations(woo: WooHarness) -> None:
    sock = woo.product_id("")
    variations = woo.api().get(f"products/{sock}/variations", params={"orderby": "id", "order": "asc"}).json()
    assert [(v["sku"], v["stock_status"]) for v in variations] == [
        ("SOCK-S", "instock"),
        ("SOCK-L", "outofstock"),
    ]
    update = [{"id": v["id"], "stock_quantity": 0} for v in variations]
    result = woo.api().post(f"products/{sock}/variations/batch", {"update": update}).json()
    assert [v["stock_status"] for v in result["update"]] == ["outofstock", "outofstock"]
    assert woo.api().get(f"products/{sock}").json()["stock_status"] == "outofstock"


def test_the_client_reads_orders_modified_after_a_cursor(woo: WooHarness) -> None:
    sale = httpx.post(
        f"{woo.base_url}/_emulator/storefront/orders", json={"lines": [{"sku": "HOOD", "quantity": 1}]}
    )
    assert sale.status_code == 201
    orders = woo.api().get("orders", params={"modified_after": "2000-01-01T00:00:00"}).json()
    assert [o["line_items"][0]["sku"] for o in orders] == ["HOOD"]
    assert woo.api().get("orders", params={"modified_after": "2999-01-01T00:00:00"}).json() == []


def test_a_wrong_secret_is_refused_with_the_wordpress_error_shape(woo: WooHarness) -> None:
    api = woo.api()
    api.consumer_secret = "cs_wrong"
    response = api.get("products")
    assert response.status_code == 401
    assert response.json() == {
        "code": "woocommerce_rest_authentication_error",
        "message": "Invalid signature - provided signature does not match.",
        "data": {"status": 401},
    }
