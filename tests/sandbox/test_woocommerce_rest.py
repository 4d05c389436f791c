"""WooCommerce REST v3 conventions: pagination limits, error bodies, batches, stock rules, orders."""

from __future__ import annotations

from typing import Any

import httpx

from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET
from tests.sandbox.conftest import WooHarness

TLS = {"X-Forwarded-Proto": "https"}  # Basic auth path, as behind a TLS terminator


def client(woo: WooHarness) -> httpx.Client:
    return httpx.Client(
        base_url=f"{woo.base_url}/wp-json/wc/v3", auth=(DEFAULT_KEY, DEFAULT_SECRET), headers=TLS
    )


def test_per_page_over_100_is_refused(woo: WooHarness) -> None:
    response = client(woo).get("/products", params={"per_page": 101})
    assert response.status_code == 400
    assert response.json()["code"] == "rest_invalid_param"


def test_unknown_ids_and_routes_answer_in_wordpress_error_shape(woo: WooHarness) -> None:
    missing = client(woo).get("/products/999999")
    assert missing.status_code == 404
    assert missing.json() == {
        "code": "woocommerce_rest_product_invalid_id",
        "message": "Invalid ID.",
        "data": {"status": 404},
    }
    assert client(woo).get("/nothing-here").json()["code"] == "rest_no_route"


def test_a_batch_of_more_than_100_items_is_413(woo: WooHarness) -> None:
    update = [{"id": woo.product_id("CAP"), "stock_quantity": 1}] * 101
    response = client(woo).post("/products/batch", json={"update": update})
    assert response.status_code == 413
    assert response.json()["code"] == "woocommerce_rest_request_entity_too_large"
    assert client(woo).post("/products/batch", json={"update": update[:100]}).status_code == 200


def test_a_batch_is_not_atomic_and_reports_each_failed_item(woo: WooHarness) -> None:
    update = [{"id": woo.product_id("CAP"), "stock_quantity": 7}, {"id": 424242, "stock_quantity": 1}]
    result = client(woo).post("/products/batch", json={"update": update}).json()["update"]
    assert result[0]["stock_quantity"] == 7
    assert result[1] == {
        "id": 424242,
        "error": {
            "code": "woocommerce_rest_product_invalid_id",
            "message": "Invalid ID.",
            "data": {"status": 404},
        },
    }


def test_turning_stock_management_off_clears_quantity_and_backorders(woo: WooHarness) -> None:
    hood = woo.product_id("HOOD")
    body = client(woo).put(f"/products/{hood}", json={"backorders": "yes", "stock_quantity": -2}).json()
    assert (body["stock_quantity"], body["stock_status"], body["backordered"]) == (-2, "onbackorder", True)
    off = client(woo).put(f"/products/{hood}", json={"manage_stock": False}).json()
    assert (off["stock_quantity"], off["backorders"], off["manage_stock"]) == (None, "no", False)


def test_inventory_delta_adds_to_managed_stock(woo: WooHarness) -> None:
    hood = woo.product_id("HOOD")
    assert client(woo).put(f"/products/{hood}", json={"inventory_delta": -3}).json()["stock_quantity"] == 1


def sell(woo: WooHarness, sku: str, quantity: int) -> httpx.Response:
    return httpx.post(
        f"{woo.base_url}/_emulator/storefront/orders",
        json={"lines": [{"sku": sku, "quantity": quantity}], "email": "grace@example.com"},
    )


def test_a_storefront_order_reduces_stock_and_cancelling_restores_it(woo: WooHarness) -> None:
    order = sell(woo, "SOCK-S", 2)
    assert order.status_code == 201
    assert order.json()["status"] == "processing"
    sock = woo.product_id("")
    variations = {v["sku"]: v for v in client(woo).get(f"/products/{sock}/variations").json()}
    assert variations["SOCK-S"]["stock_quantity"] == 4
    assert sell(woo, "CAP", 1).status_code == 400
    cancelled = client(woo).put(f"/orders/{order.json()['id']}", json={"status": "cancelled"}).json()
    assert cancelled["status"] == "cancelled"
    variations = {v["sku"]: v for v in client(woo).get(f"/products/{sock}/variations").json()}
    assert variations["SOCK-S"]["stock_quantity"] == 6


def test_orders_filter_by_status(woo: WooHarness) -> None:
    first = sell(woo, "HOOD", 1).json()
    sell(woo, "HOOD", 1)
    client(woo).put(f"/orders/{first['id']}", json={"status": "completed"})
    completed = client(woo).get("/orders", params={"status": "completed"}).json()
    assert [o["id"] for o in completed] == [first["id"]]
    assert len(client(woo).get("/orders", params={"status": "any"}).json()) == 2


def test_customers_are_created_and_listed(woo: WooHarness) -> None:
    created = client(woo).post("/customers", json={"email": "alan@example.com", "first_name": "Alan"})
    assert created.status_code == 201
    emails: list[Any] = [c["email"] for c in client(woo).get("/customers").json()]
    assert emails == ["grace@example.com", "alan@example.com"]
    duplicate = client(woo).post("/customers", json={"email": "alan@example.com"})
    assert duplicate.status_code == 400


def test_hard_throttle_answers_429_with_retry_after(woo: WooHarness) -> None:
    woo.emulator.faults.update({"hard_throttle": True})
    response = client(woo).get("/products")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["data"] == {"status": 429}


def test_fields_trims_each_object_and_keeps_pagination_headers(woo: WooHarness) -> None:
    response = client(woo).get("/products", params={"_fields": "id,sku,stock_quantity", "per_page": 2})
    assert all(set(p) == {"id", "sku", "stock_quantity"} for p in response.json())
    assert response.headers["X-WP-Total"] == "3"


def test_a_refund_restocks_its_lines_and_fires_order_updated(woo: WooHarness) -> None:
    order = sell(woo, "HOOD", 2).json()
    line = order["line_items"][0]["id"]
    refund = client(woo).post(
        f"/orders/{order['id']}/refunds", json={"line_items": [{"id": line, "quantity": 1}]}
    )
    assert refund.status_code == 201
    assert refund.json()["amount"] == "30.00"
    assert client(woo).get(f"/products/{woo.product_id('HOOD')}").json()["stock_quantity"] == 3
    after = client(woo).get(f"/orders/{order['id']}").json()
    assert after["refunds"][0]["total"] == "-30.00"
    assert after["status"] == "processing"
    too_much = client(woo).post(f"/orders/{order['id']}/refunds", json={"amount": "100.00"})
    assert too_much.status_code == 400
    rest = client(woo).post(f"/orders/{order['id']}/refunds", json={"amount": "30.00", "api_restock": False})
    assert rest.status_code == 201
    assert client(woo).get(f"/orders/{order['id']}").json()["status"] == "refunded"


def test_a_variation_without_its_own_stock_reports_the_parents(woo: WooHarness) -> None:
    parent = (
        client(woo)
        .post(
            "/products", json={"name": "Belt", "type": "variable", "manage_stock": True, "stock_quantity": 5}
        )
        .json()
    )
    variation = client(woo).post(f"/products/{parent['id']}/variations", json={"sku": "BELT-M"}).json()
    assert (variation["manage_stock"], variation["stock_quantity"]) == ("parent", 5)
    sale = httpx.post(
        f"{woo.base_url}/_emulator/storefront/orders", json={"lines": [{"sku": "BELT-M", "quantity": 2}]}
    )
    assert sale.status_code == 201
    assert client(woo).get(f"/products/{parent['id']}").json()["stock_quantity"] == 3
