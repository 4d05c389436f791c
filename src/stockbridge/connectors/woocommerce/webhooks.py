"""WooCommerce webhooks: signature check over the raw body and parsing into a `WebhookMessage`.

`X-WC-Webhook-Signature` is base64(HMAC-SHA256(raw body, webhook secret)); it is compared in
constant time. The inbox deduplicates on `X-WC-Webhook-Delivery-ID` (WooCommerce builds it from
the webhook id and the time: a redelivery of the same event by WooCommerce gets a new one, which
is why processing must be idempotent too). The topic is `X-WC-Webhook-Topic` (`order.updated`,
`product.updated` ...). The ping WooCommerce sends when a webhook is created is a form body
`webhook_id=<id>`: it verifies like any delivery and parses to topic `ping`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs

from stockbridge.connectors.base import WebhookMessage
from stockbridge.connectors.errors import AuthError, PermanentError
from stockbridge.connectors.woocommerce.mappers import parse_gmt

SIGNATURE = "X-WC-Webhook-Signature"
DELIVERY_ID = "X-WC-Webhook-Delivery-ID"
TOPIC = "X-WC-Webhook-Topic"


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Header lookup that ignores case even for a plain dict."""
    lowered = name.lower()
    return next((v for k, v in headers.items() if k.lower() == lowered), None)


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    provided = header(headers, SIGNATURE)
    if not secret or not provided:
        return False
    return hmac.compare_digest(signature(secret, body).encode(), provided.strip().encode())


def parse(secret: str, headers: Mapping[str, str], body: bytes, connection: str) -> WebhookMessage:
    """A verified delivery as a message; AuthError if the signature is wrong, PermanentError if the
    delivery lacks its id or its body is not what the topic promises."""
    fields: dict[str, Any] = {"connection": connection, "operation": "parse_webhook"}
    if not verify(secret, headers, body):
        raise AuthError("webhook signature does not match", **fields)
    delivery_id = header(headers, DELIVERY_ID)
    if not delivery_id:
        raise PermanentError(f"webhook without {DELIVERY_ID}", **fields)
    topic = header(headers, TOPIC)
    if not topic:
        return WebhookMessage("ping", delivery_id, _ping(body))
    try:
        payload = json.loads(body)
    except ValueError:
        raise PermanentError("webhook body is not JSON", **fields) from None
    if not isinstance(payload, dict):
        raise PermanentError("webhook body is not a JSON object", **fields)
    # WooCommerce sends no event time; the record's own modification time is the best there is.
    return WebhookMessage(topic, delivery_id, payload, parse_gmt(payload.get("date_modified_gmt")))


def _ping(body: bytes) -> dict[str, str]:
    form = parse_qs(body.decode("utf-8", "replace"))
    return {k: v[0] for k, v in form.items()}
