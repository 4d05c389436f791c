"""WooCommerce REST authentication: one-legged OAuth 1.0a over http, Basic (or key params) over https.

Mirrors WooCommerce's `class-wc-rest-authentication.php`: over TLS the consumer key and secret come
from HTTP Basic or the `consumer_key`/`consumer_secret` query parameters; over plain http the request
must carry OAuth 1.0a parameters (query string or `Authorization: OAuth ...`), signed with HMAC-SHA1
or HMAC-SHA256 using `consumer_secret&` as key, over `METHOD&rawurlencode(url)&params` where every
key and value is rawurlencoded and its `%` double-encoded. The timestamp must be within 15 minutes
of the site's clock and a nonce may be used once within that window. A request behind a TLS
terminator is recognised by `X-Forwarded-Proto: https`. Key permissions (read / write / read_write)
are checked per method.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

from aiohttp import web

from stockbridge.domain.clock import Clock
from stockbridge.sandbox.woocommerce.rest import RestError

WINDOW_S = 15 * 60
AUTH_ERROR = "woocommerce_rest_authentication_error"
BASIC_REALM = (
    'Basic realm="WooCommerce API. Use a consumer key in the username field and a consumer secret in the '
    'password field."'
)
OAUTH_REQUIRED = (
    "oauth_consumer_key",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_signature",
    "oauth_signature_method",
)


@dataclass(frozen=True)
class ApiKey:
    consumer_key: str
    consumer_secret: str
    permissions: str = "read_write"


def rawurlencode(value: str) -> str:
    return quote(value, safe="-_.~")


def normalize(value: str) -> str:
    """WooCommerce's parameter normalisation: decode, rawurlencode, then double-encode `%`."""
    return rawurlencode(unquote(value)).replace("%", "%25")


def signature_base(method: str, url: str, params: dict[str, str]) -> str:
    pairs = [f"{normalize(k)}%3D{normalize(v)}" for k, v in sorted(params.items())]
    return f"{method.upper()}&{rawurlencode(url)}&{'%26'.join(pairs)}"


def sign(secret: str, base: str, method: str) -> str:
    digest = hashlib.sha1 if method == "HMAC-SHA1" else hashlib.sha256
    return base64.b64encode(hmac.new(f"{secret}&".encode(), base.encode(), digest).digest()).decode()


class Authenticator:
    """Decides whether a request is authenticated, raising `RestError` shaped as WooCommerce does."""

    def __init__(self, keys: list[ApiKey], clock: Clock) -> None:
        self.keys = {k.consumer_key: k for k in keys}
        self.clock = clock
        self._nonces: dict[tuple[str, str], float] = {}

    def authenticate(self, request: web.Request) -> ApiKey:
        key = self._basic(request) if _is_tls(request) else self._oauth(request)
        needs_write = request.method not in ("GET", "HEAD", "OPTIONS")
        if needs_write and key.permissions == "read":
            raise RestError(AUTH_ERROR, "The API key provided does not have write permissions.", 401)
        if not needs_write and key.permissions == "write":
            raise RestError(AUTH_ERROR, "The API key provided does not have read permissions.", 401)
        return key

    def _basic(self, request: web.Request) -> ApiKey:
        consumer_key = request.query.get("consumer_key")
        secret = request.query.get("consumer_secret")
        header = request.headers.get("Authorization", "")
        if consumer_key is None and header.startswith("Basic "):
            try:
                consumer_key, _, secret = base64.b64decode(header[6:]).decode().partition(":")
            except ValueError:
                consumer_key = None
        if not consumer_key:
            raise RestError("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
        key = self.keys.get(consumer_key)
        if key is None:
            raise RestError(AUTH_ERROR, "Consumer key is invalid.", 401, {"WWW-Authenticate": BASIC_REALM})
        if not hmac.compare_digest(key.consumer_secret, secret or ""):
            raise RestError(AUTH_ERROR, "Consumer secret is invalid.", 401, {"WWW-Authenticate": BASIC_REALM})
        return key

    def _oauth(self, request: web.Request) -> ApiKey:
        params = dict(request.query)
        params.update(_header_params(request.headers.get("Authorization", "")))
        if not any(k.startswith("oauth_") for k in params):
            raise RestError("woocommerce_rest_cannot_view", "Sorry, you cannot list resources.", 401)
        missing = [p for p in OAUTH_REQUIRED if not params.get(p)]
        if missing:
            raise RestError(
                "woocommerce_rest_authentication_missing_parameter",
                f"Missing OAuth parameter {', '.join(missing)}",
                401,
            )
        key = self.keys.get(params["oauth_consumer_key"])
        if key is None:
            raise RestError(AUTH_ERROR, "Consumer key is invalid.", 401)
        self._check_signature(request, dict(params), key)
        self._check_timestamp_and_nonce(params)
        return key

    def _check_signature(self, request: web.Request, params: dict[str, str], key: ApiKey) -> None:
        method = params["oauth_signature_method"]
        if method not in ("HMAC-SHA1", "HMAC-SHA256"):
            raise RestError(AUTH_ERROR, "Invalid signature - signature method is invalid.", 401)
        provided = params.pop("oauth_signature").replace(" ", "+")
        scheme = "https" if _is_tls(request) else "http"
        base = signature_base(request.method, f"{scheme}://{request.host}{request.path}", params)
        if not hmac.compare_digest(sign(key.consumer_secret, base, method), provided):
            raise RestError(AUTH_ERROR, "Invalid signature - provided signature does not match.", 401)

    def _check_timestamp_and_nonce(self, params: dict[str, str]) -> None:
        now = self.clock.now().timestamp()
        try:
            timestamp = int(params["oauth_timestamp"])
        except ValueError as exc:
            raise RestError(AUTH_ERROR, "Invalid timestamp.", 401) from exc
        if abs(now - timestamp) > WINDOW_S:
            raise RestError(AUTH_ERROR, "Invalid timestamp.", 401)
        self._nonces = {k: t for k, t in self._nonces.items() if now - t <= WINDOW_S}
        nonce_key = (params["oauth_consumer_key"], params["oauth_nonce"])
        if nonce_key in self._nonces:
            raise RestError(AUTH_ERROR, "Invalid nonce - nonce has already been used.", 401)
        self._nonces[nonce_key] = now


def _is_tls(request: web.Request) -> bool:
    return request.secure or request.headers.get("X-Forwarded-Proto", "").lower() == "https"


def _header_params(header: str) -> dict[str, str]:
    if not header.startswith("OAuth "):
        return {}
    return {k: unquote(v) for k, v in re.findall(r'(oauth_[a-z_-]*)="([^"]*)"', header)}
