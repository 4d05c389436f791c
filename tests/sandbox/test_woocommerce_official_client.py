"""The official `woocommerce` Python client works against the emulator (OAuth 1.0a over http)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import httpx
import pytest
from woocommerce import API

from stockbridge.sandbox.server import ThreadedEmulatorServer
from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET, WooCommerceEmulator
from stockbridge.sandbox.woocommerce.storefront import seed as woo_seed
from tests.sandbox.conftest import WOO_SEED, WooHarness


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


@pytest.fixture
def tls_context(tmp_path: Path) -> ssl.SSLContext:
    """A self-signed certificate for 127.0.0.1, made with the openssl command line."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
def test_over_https_the_client_uses_basic_auth_and_it_is_verified(tls_context: ssl.SSLContext) -> None:
    emulator = WooCommerceEmulator()
    woo_seed(emulator.store, WOO_SEED)
    with ThreadedEmulatorServer(emulator, ssl_context=tls_context) as server:
        assert server.base_url.startswith("https://")
        api = API(
            url=server.base_url,
            consumer_key=DEFAULT_KEY,
            consumer_secret=DEFAULT_SECRET,
            version="wc/v3",
            verify_ssl=False,
            timeout=10,
        )
        response = api.get("products", params={"sku": "HOOD"})
        assert response.status_code == 200
        assert [p["sku"] for p in response.json()] == ["HOOD"]
        api.consumer_secret = "cs_wrong"
        refused = api.get("products")
        assert refused.status_code == 401
        assert refused.json()["message"] == "Consumer secret is invalid."
