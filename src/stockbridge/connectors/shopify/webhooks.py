"""Shopify webhook deliveries: HMAC verification over the raw body, then parsing to a message.

`X-Shopify-Hmac-Sha256` is base64(HMAC-SHA256(raw body, app client secret)); it is compared with
`hmac.compare_digest`, and the body must be verified before it is parsed. The delivery id is
`X-Shopify-Event-Id`: Shopify documents it as identical across duplicate deliveries of one event,
so the inbox dedupes on it ("ignore duplicate webhooks"), whereas `X-Shopify-Webhook-Id` names one
delivery attempt-chain and differs between duplicates. It falls back to the webhook id only when a
delivery carries no event id. Header names are matched case-insensitively.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping

from stockbridge.connectors.base import WebhookMessage
from stockbridge.connectors.errors import AuthError, PermanentError
from stockbridge.connectors.shopify.mappers import parse_time

HMAC_HEADER = "X-Shopify-Hmac-Sha256"
TOPIC_HEADER = "X-Shopify-Topic"
EVENT_ID_HEADER = "X-Shopify-Event-Id"
WEBHOOK_ID_HEADER = "X-Shopify-Webhook-Id"
TRIGGERED_AT_HEADER = "X-Shopify-Triggered-At"


def header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in headers.items() if k.lower() == wanted), None)


def sign(secret: str, body: bytes) -> str:
    """The value Shopify sends in `X-Shopify-Hmac-Sha256` for `body`."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def verify(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    given = header(headers, HMAC_HEADER)
    if not given or not secret:
        return False
    try:
        given_bytes = base64.b64decode(given.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return hmac.compare_digest(given_bytes, expected)


def parse(secret: str, headers: Mapping[str, str], body: bytes, connection: str = "") -> WebhookMessage:
    """Verify, then parse; AuthError on a bad signature, PermanentError on a malformed delivery."""
    if not verify(secret, headers, body):
        raise AuthError("webhook signature does not match", connection=connection, operation="webhook")
    topic = header(headers, TOPIC_HEADER)
    delivery_id = header(headers, EVENT_ID_HEADER) or header(headers, WEBHOOK_ID_HEADER)
    if not topic or not delivery_id:
        raise PermanentError("webhook lacks topic or event id headers", connection=connection)
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise PermanentError("webhook body is not JSON", connection=connection) from exc
    if not isinstance(payload, dict):
        raise PermanentError("webhook body is not a JSON object", connection=connection)
    try:
        triggered_at = parse_time(header(headers, TRIGGERED_AT_HEADER))
    except ValueError:
        triggered_at = None
    return WebhookMessage(topic=topic, delivery_id=delivery_id, payload=payload, triggered_at=triggered_at)
