"""The Shopify Admin GraphQL client: one POST per call, every failure classified, cost-metered.

HTTP-level failures go through the shared `FailureTable` with Shopify's rows added (402 frozen
shop and 423 locked shop stop like bad credentials; 404 is a wrong shop or version, not a
missing object). A 200 whose body carries top-level `errors` is classified by `GRAPHQL_CODES`:

    extensions.code           kind                 why
    THROTTLED                 RateLimitedError     wait = (requested - currentlyAvailable) / restoreRate
    ACCESS_DENIED             AuthError            missing scope
    SHOP_INACTIVE             AuthError            frozen / closed shop
    INTERNAL_SERVER_ERROR     TransientError       Shopify's own failure; retry
    SERVICE_UNAVAILABLE       TransientError
    TIMEOUT                   TransientError
    MAX_COST_EXCEEDED         PermanentError       the query is too expensive: a bug here
    anything else             PermanentError       validation, variables, BAD_REQUEST, ...

Every answer's `extensions.cost.throttleStatus` feeds the `CostBucket`, which makes the next call
wait until the points it will request (learned per operation) are available.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockbridge.connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from stockbridge.connectors.http import (
    CostBucket,
    FailureTable,
    HttpClient,
    HttpResponse,
    StatusRule,
    ThrottleStatus,
)

SHOPIFY_STATUS_RULES: tuple[StatusRule, ...] = (
    StatusRule(frozenset({402}), AuthError, "shop is frozen (payment required)"),
    StatusRule(frozenset({423}), AuthError, "shop is locked"),
    StatusRule(frozenset({404}), PermanentError, "shop or API version not found"),
)

GRAPHQL_CODES: Mapping[str, type[ConnectorError]] = {
    "THROTTLED": RateLimitedError,
    "ACCESS_DENIED": AuthError,
    "SHOP_INACTIVE": AuthError,
    "INTERNAL_SERVER_ERROR": TransientError,
    "SERVICE_UNAVAILABLE": TransientError,
    "TIMEOUT": TransientError,
    "MAX_COST_EXCEEDED": PermanentError,
}
DEFAULT_COST = 50.0  # before an operation's requested cost has been seen once
FALLBACK_THROTTLE_WAIT_S = 1.0
THROTTLE_STATUSES = frozenset(
    {429}
)  # THROTTLED usually comes in a 200; some report a 429  # THROTTLED although the bucket looks full: another limit applies


def shopify_failure_table(base: FailureTable | None = None) -> FailureTable:
    return (base or FailureTable()).with_rules(SHOPIFY_STATUS_RULES)


class ShopifyGraphQLClient:
    """Executes named GraphQL operations against one shop; returns `data` or raises."""

    def __init__(self, http: HttpClient, bucket: CostBucket, endpoint: str, access_token: str) -> None:
        self.http = http
        self.bucket = bucket
        self.endpoint = endpoint
        self._headers = {"X-Shopify-Access-Token": access_token, "Accept": "application/json"}
        self.requested_costs: dict[str, float] = {}

    @property
    def connection(self) -> str:
        return self.http.connection

    async def execute(
        self, document: str, variables: Mapping[str, Any], operation: str, cost_hint: float | None = None
    ) -> dict[str, Any]:
        """Run one operation under the retry policy; the same variables are re-sent on each retry."""

        async def attempt() -> dict[str, Any]:
            return await self._attempt(document, variables, operation, cost_hint)

        return await self.http.retry.call(attempt, connection=self.connection, operation=operation)

    async def _attempt(
        self, document: str, variables: Mapping[str, Any], operation: str, cost_hint: float | None
    ) -> dict[str, Any]:
        cost = self.requested_costs.get(operation, cost_hint or DEFAULT_COST)
        response = await self.http.send(
            "POST",
            self.endpoint,
            json={"query": document, "variables": dict(variables), "operationName": operation},
            headers=self._headers,
            operation=operation,
            cost=cost,
            body_check=lambda r: self._check_body(r, operation),
            body_first=THROTTLE_STATUSES,
        )
        data = response.json().get("data")
        if not isinstance(data, dict):
            raise PermanentError(
                "GraphQL answer has no data", connection=self.connection, operation=operation
            )
        return data

    def _check_body(self, response: HttpResponse, operation: str) -> ConnectorError | None:
        """Feed the cost bucket; classify top-level `errors` (a 200, or a 429 with Shopify's body)."""
        try:
            body = response.json()
        except PermanentError as error:
            return None if response.status in THROTTLE_STATUSES else error
        if not isinstance(body, dict):
            if response.status in THROTTLE_STATUSES:
                return None  # a bare 429: the status table applies Retry-After
            return PermanentError(
                "GraphQL answer is not an object", connection=self.connection, operation=operation
            )
        extensions = body.get("extensions")
        status = ThrottleStatus.from_extensions(extensions)
        requested = _requested_cost(extensions)
        if status is not None:
            self.bucket.observe(status)
        if requested is not None:
            self.requested_costs[operation] = requested
        errors = body.get("errors")
        return self._classify(errors, status, requested, operation) if errors else None

    def _classify(
        self, errors: Any, status: ThrottleStatus | None, requested: float | None, operation: str
    ) -> ConnectorError:
        first = errors[0] if isinstance(errors, list) and errors else {"message": str(errors)}
        extensions = first.get("extensions") if isinstance(first, dict) else None
        code = str((extensions or {}).get("code", "")) if isinstance(extensions, dict) else ""
        message = str(first.get("message", "GraphQL error")) if isinstance(first, dict) else str(first)
        kind = GRAPHQL_CODES.get(code, PermanentError)
        fields: dict[str, Any] = {"connection": self.connection, "operation": operation, "code": code}
        if kind is RateLimitedError:
            wait = self._throttle_wait(status, requested)
            return RateLimitedError(f"{code}: {message}", retry_after_s=wait, **fields)
        return kind(f"{code or 'GRAPHQL_ERROR'}: {message}", **fields)

    def _throttle_wait(self, status: ThrottleStatus | None, requested: float | None) -> float:
        if status is None or requested is None or status.restore_rate <= 0:
            return FALLBACK_THROTTLE_WAIT_S
        short = min(requested, status.maximum_available) - status.currently_available
        return short / status.restore_rate if short > 0 else FALLBACK_THROTTLE_WAIT_S


def _requested_cost(extensions: Any) -> float | None:
    cost = extensions.get("cost") if isinstance(extensions, dict) else None
    value = cost.get("requestedQueryCost") if isinstance(cost, dict) else None
    return float(value) if isinstance(value, int | float) else None
