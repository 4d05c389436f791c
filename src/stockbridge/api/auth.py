"""API-key authentication: the `X-API-Key` header against every configured key, in constant time.

The keys are read once from `Settings.api_keys` (SecretStr) and never logged or echoed. An API
with no keys configured refuses to start unless the caller explicitly opts out of auth.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Sequence
from typing import Annotated, ClassVar

from fastapi import Security
from fastapi.security import APIKeyHeader
from pydantic import SecretStr

from stockbridge.errors import StockbridgeError

API_KEY_HEADER = "X-API-Key"
# Module level so the guard's annotation resolves; it holds only the header name, no key.
API_KEY_SCHEME = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="A configured key.")
logger = logging.getLogger(__name__)


class AuthenticationError(StockbridgeError):
    """The request carried no API key, or one that matches no configured key."""

    code = "unauthorized"
    http_status = 401
    headers: ClassVar[dict[str, str]] = {"WWW-Authenticate": f'ApiKey header="{API_KEY_HEADER}"'}


class AuthConfigurationError(StockbridgeError):
    """The API was asked to require keys, but none (or an empty one) is configured."""

    code = "auth_not_configured"


def key_matches(presented: str, keys: Sequence[bytes]) -> bool:
    """Compare against every key, without stopping early, so timing tells nothing."""
    candidate = presented.encode("utf-8", "surrogateescape")
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(candidate, key)
    return matched


def api_key_guard(keys: Sequence[SecretStr], *, require_auth: bool) -> Callable[..., None] | None:
    """The dependency that checks the header; None when auth is explicitly switched off."""
    secrets = [k.get_secret_value().encode("utf-8") for k in keys]
    if any(not s for s in secrets):
        raise AuthConfigurationError("an empty API key is configured; remove it or set a real one")
    if not secrets:
        if require_auth:
            raise AuthConfigurationError(
                "no API keys configured: set STOCKBRIDGE_API_KEYS, or create the app with "
                "require_auth=False to run without authentication"
            )
        logger.warning("API authentication is disabled: every request is accepted")
        return None

    def check_api_key(presented: Annotated[str | None, Security(API_KEY_SCHEME)]) -> None:
        if not presented or not key_matches(presented, secrets):
            raise AuthenticationError(f"a valid {API_KEY_HEADER} header is required")

    return check_api_key
