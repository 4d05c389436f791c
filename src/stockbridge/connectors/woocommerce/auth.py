"""How WooCommerce wants REST requests authenticated, as pure functions.

Over https: HTTP Basic with the consumer key as user and the consumer secret as password. Over
plain http WooCommerce refuses Basic and requires one-legged OAuth 1.0a (RFC 5849, no token): the
query carries `oauth_consumer_key`, `oauth_timestamp`, `oauth_nonce`, `oauth_signature_method`
and `oauth_signature`, the signature being HMAC over `METHOD&enc(url)&enc(sorted params)` with
key `consumer_secret&`. WooCommerce rejects a timestamp more than 15 minutes off and a nonce seen
before within that window, so every attempt (each retry too) must be signed afresh.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import quote


def new_nonce() -> str:
    return secrets.token_hex(16)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding as OAuth (and PHP's rawurlencode) does it: only unreserved kept."""
    return quote(value, safe="-._~")


def signature_base(method: str, url: str, params: Mapping[str, str]) -> str:
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items())
    joined = "&".join(f"{k}={v}" for k, v in pairs)
    return "&".join((method.upper(), percent_encode(url), percent_encode(joined)))


def oauth_query(
    method: str,
    url: str,
    params: Mapping[str, str],
    *,
    consumer_key: str,
    consumer_secret: str,
    timestamp: int,
    nonce: str,
    signature_method: str = "HMAC-SHA256",
) -> dict[str, str]:
    """`params` plus the OAuth parameters and the signature, ready to send as the query string.
    `url` is the request URL without its query."""
    signed = {
        **params,
        "oauth_consumer_key": consumer_key,
        "oauth_timestamp": str(timestamp),
        "oauth_nonce": nonce,
        "oauth_signature_method": signature_method,
    }
    digest = hashlib.sha1 if signature_method == "HMAC-SHA1" else hashlib.sha256
    base = signature_base(method, url, signed)
    mac = hmac.new(f"{consumer_secret}&".encode(), base.encode(), digest).digest()
    return {**signed, "oauth_signature": base64.b64encode(mac).decode()}


def basic_header(consumer_key: str, consumer_secret: str) -> str:
    token = base64.b64encode(f"{consumer_key}:{consumer_secret}".encode()).decode()
    return f"Basic {token}"
