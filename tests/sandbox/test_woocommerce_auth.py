"""WooCommerce authentication as WooCommerce checks it: OAuth 1.0a over http, Basic over https."""

from __future__ import annotations

import base64
import time

import httpx
from woocommerce.oauth import OAuth

from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET
from stockbridge.sandbox.woocommerce.auth import ApiKey, normalize, signature_base
from tests.sandbox.conftest import WooHarness, running_woo


def signed_url(
    woo: WooHarness,
    path: str,
    secret: str = DEFAULT_SECRET,
    method: str = "GET",
    timestamp: int | None = None,
) -> str:
    url = f"{woo.base_url}/wp-json/wc/v3/{path}"
    return str(
        OAuth(
            url,
            DEFAULT_KEY,
            secret,
            version="wc/v3",
            method=method,
            oauth_timestamp=timestamp or int(time.time()),
        ).get_oauth_url()
    )


def test_a_correctly_signed_request_passes_and_its_nonce_cannot_be_replayed(woo: WooHarness) -> None:
    url = signed_url(woo, "products")
    assert httpx.get(url).status_code == 200
    replay = httpx.get(url)
    assert replay.status_code == 401
    assert replay.json()["message"] == "Invalid nonce - nonce has already been used."


def test_a_signature_made_with_another_secret_is_refused(woo: WooHarness) -> None:
    response = httpx.get(signed_url(woo, "products", secret="cs_other"))
    assert response.status_code == 401
    assert response.json()["code"] == "woocommerce_rest_authentication_error"


def test_a_timestamp_outside_fifteen_minutes_is_refused(woo: WooHarness) -> None:
    response = httpx.get(signed_url(woo, "products", timestamp=int(time.time()) - 16 * 60))
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid timestamp."


def test_hmac_sha1_signatures_are_accepted_too(woo: WooHarness) -> None:
    import hashlib
    import hmac

    url = f"{woo.base_url}/wp-json/wc/v3/products"
    params = {
        "oauth_consumer_key": DEFAULT_KEY,
        "oauth_nonce": "n-sha1",
        "oauth_signature_method": "HMAC-SHA1",
        "oauth_timestamp": str(int(time.time())),
        "per_page": "5",
    }
    base = signature_base("GET", url, params)
    signature = base64.b64encode(
        hmac.new(f"{DEFAULT_SECRET}&".encode(), base.encode(), hashlib.sha1).digest()
    )
    response = httpx.get(url, params={**params, "oauth_signature": signature.decode()})
    assert response.status_code == 200


def test_missing_credentials_and_missing_oauth_parameters(woo: WooHarness) -> None:
    anonymous = httpx.get(f"{woo.base_url}/wp-json/wc/v3/products")
    assert anonymous.status_code == 401
    assert anonymous.json()["code"] == "woocommerce_rest_cannot_view"
    partial = httpx.get(f"{woo.base_url}/wp-json/wc/v3/products", params={"oauth_consumer_key": DEFAULT_KEY})
    assert partial.json()["code"] == "woocommerce_rest_authentication_missing_parameter"


def test_basic_auth_is_accepted_only_over_tls(woo: WooHarness) -> None:
    url = f"{woo.base_url}/wp-json/wc/v3/products"
    over_tls = httpx.get(url, auth=(DEFAULT_KEY, DEFAULT_SECRET), headers={"X-Forwarded-Proto": "https"})
    assert over_tls.status_code == 200
    wrong = httpx.get(url, auth=(DEFAULT_KEY, "cs_wrong"), headers={"X-Forwarded-Proto": "https"})
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Consumer secret is invalid."
    assert wrong.headers["WWW-Authenticate"].startswith('Basic realm="WooCommerce API.')
    over_http = httpx.get(url, auth=(DEFAULT_KEY, DEFAULT_SECRET))
    assert over_http.status_code == 401


def test_a_read_only_key_cannot_write() -> None:
    with running_woo(keys=[ApiKey("ck_ro", "cs_ro", "read")]) as woo:
        url = f"{woo.base_url}/wp-json/wc/v3/products/{woo.product_id('CAP')}"
        headers = {"X-Forwarded-Proto": "https"}
        assert httpx.get(url, auth=("ck_ro", "cs_ro"), headers=headers).status_code == 200
        write = httpx.put(url, auth=("ck_ro", "cs_ro"), headers=headers, json={"stock_quantity": 1})
        assert write.status_code == 401
        assert write.json()["message"] == "The API key provided does not have write permissions."


def test_parameter_normalisation_double_encodes_percent() -> None:
    assert normalize("2026-01-01T00:00:00") == "2026-01-01T00%253A00%253A00"
    assert normalize("a b") == "a%2520b"


def test_oauth_parameters_may_come_in_the_authorization_header(woo: WooHarness) -> None:
    import hashlib
    import hmac

    url = f"{woo.base_url}/wp-json/wc/v3/products"
    params = {
        "oauth_consumer_key": DEFAULT_KEY,
        "oauth_nonce": "n-header",
        "oauth_signature_method": "HMAC-SHA256",
        "oauth_timestamp": str(int(time.time())),
    }
    digest = hmac.new(
        f"{DEFAULT_SECRET}&".encode(), signature_base("GET", url, params).encode(), hashlib.sha256
    )
    signature = base64.b64encode(digest.digest()).decode()
    header = "OAuth " + ", ".join(f'{k}="{v}"' for k, v in {**params, "oauth_signature": signature}.items())
    assert httpx.get(url, headers={"Authorization": header}).status_code == 200
