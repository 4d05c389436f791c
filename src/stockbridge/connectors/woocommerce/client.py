"""The WooCommerce REST v3 client: authenticated calls under `/wp-json/wc/v3/`, pagination, errors.

Built on the shared `HttpClient`: each attempt is one `send`, signed afresh (OAuth 1.0a over
http needs a new nonce and timestamp per attempt, so retries cannot reuse a signed URL), and
retried by the shared `RetryPolicy`. WooCommerce's own failure rows go ahead of the defaults:

    status   kind             why
    401      AuthError        bad key or secret, missing OAuth parameters, no write permission
    404      PermanentError   on a collection: wrong site or REST disabled (`rest_no_route`);
                              the writer maps a missing *item* to RemoteNotFoundError itself
    413      PermanentError   a batch over 100 items (the writer never sends one)
    429      RateLimitedError host or WAF throttling, Retry-After honoured (default table)

Collections are paged with `page`/`per_page` and read until `X-WP-TotalPages`.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping
from typing import Any

from stockbridge.connectors.errors import AuthError, PermanentError
from stockbridge.connectors.http import FailureTable, HttpClient, HttpResponse, StatusRule
from stockbridge.connectors.woocommerce.auth import basic_header, new_nonce, oauth_query
from stockbridge.connectors.woocommerce.config import WooCommerceConfig
from stockbridge.domain.clock import Clock

WOO_STATUS_RULES: tuple[StatusRule, ...] = (
    StatusRule(frozenset({401}), AuthError, "WooCommerce rejected the API key"),
    StatusRule(frozenset({404}), PermanentError, "no such route or resource"),
    StatusRule(frozenset({413}), PermanentError, "batch over WooCommerce's item limit"),
)
Json = Any


def woo_failure_table(base: FailureTable | None = None) -> FailureTable:
    return (base or FailureTable()).with_rules(WOO_STATUS_RULES)


class WooClient:
    """Sends authenticated REST calls for one site; answers parsed JSON or raises a ConnectorError."""

    def __init__(
        self, http: HttpClient, config: WooCommerceConfig, clock: Clock, nonce: Callable[[], str] = new_nonce
    ) -> None:
        self.http, self.config, self.clock, self.nonce = http, config, clock, nonce

    @property
    def connection(self) -> str:
        return self.http.connection

    async def get(
        self, path: str, params: Mapping[str, str] | None = None, *, operation: str = ""
    ) -> HttpResponse:
        return await self.call("GET", path, params=params, operation=operation)

    async def post(self, path: str, body: Json, *, operation: str = "") -> HttpResponse:
        return await self.call("POST", path, body=body, operation=operation)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: Json = None,
        operation: str = "",
        retry: bool = True,
    ) -> HttpResponse:
        """One call, retried under the policy unless `retry` is False (each attempt re-signed)."""
        op = operation or f"{method} {path}"

        async def attempt() -> HttpResponse:
            query, headers = self._authenticate(method, path, params or {})
            return await self.http.send(
                method, self._url(path), json=body, params=query, headers=headers, operation=op
            )

        if not retry:
            return await attempt()
        return await self.http.retry.call(attempt, connection=self.connection, operation=op)

    async def pages(
        self, path: str, params: Mapping[str, str] | None = None, *, operation: str = ""
    ) -> AsyncGenerator[list[Json], None]:
        """Every page of a collection, in order, until `X-WP-TotalPages` is reached."""
        page, total_pages = 1, 1
        while page <= total_pages:
            query = {**(params or {}), "per_page": str(self.config.per_page), "page": str(page)}
            response = await self.get(path, query, operation=operation or f"GET {path}")
            total_pages = _int_header(response, "X-WP-TotalPages", default=page)
            items = response.json()
            if not isinstance(items, list):
                raise PermanentError(
                    f"{path} did not answer a list", connection=self.connection, operation=operation
                )
            yield items
            page += 1

    def _url(self, path: str) -> str:
        return f"{self.config.api_root}/{path.lstrip('/')}"

    def _authenticate(
        self, method: str, path: str, params: Mapping[str, str]
    ) -> tuple[dict[str, str], dict[str, str]]:
        key = self.config.consumer_key.get_secret_value()
        secret = self.config.consumer_secret.get_secret_value()
        if self.config.uses_basic_auth:
            return dict(params), {"Authorization": basic_header(key, secret)}
        query = oauth_query(
            method,
            self._url(path),
            params,
            consumer_key=key,
            consumer_secret=secret,
            timestamp=int(self.clock.now().timestamp()),
            nonce=self.nonce(),
            signature_method=self.config.signature_method,
        )
        return query, {}


def _int_header(response: HttpResponse, name: str, *, default: int) -> int:
    try:
        return int(response.headers.get(name, default))
    except ValueError:
        return default
