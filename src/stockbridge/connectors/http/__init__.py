"""The shared HTTP layer of all connectors: client, failure table, retry policy, rate limiters.

    HttpClient      one aiohttp session per connection; `send` (one attempt) and `request` (retried)
    FailureTable    HTTP status / exception -> TransientError, RateLimitedError, AuthError, ...
    RetryPolicy     exponential backoff with full jitter; honours Retry-After and THROTTLED waits
    TokenBucket     requests per second;  CostBucket: Shopify-style cost points (throttleStatus)
    HttpMetrics     counters + listeners (requests, retries, throttle waits) for the sync engine
    ManualTime      injected clock + sleep for deterministic tests

Nothing here knows a platform; platform packages add rows to the table and read their own bodies.
"""

from stockbridge.connectors.http.client import BodyCheck, HttpClient, HttpResponse, HttpSettings
from stockbridge.connectors.http.failures import (
    EXCEPTION_RULES,
    STATUS_RULES,
    ExceptionRule,
    FailureTable,
    StatusRule,
    parse_retry_after,
)
from stockbridge.connectors.http.metrics import HttpMetrics, MetricEvent
from stockbridge.connectors.http.ratelimit import (
    CostBucket,
    RateLimiter,
    ThrottleStatus,
    TokenBucket,
    Unlimited,
)
from stockbridge.connectors.http.retry import RetryPolicy
from stockbridge.connectors.http.timing import ManualTime, Monotonic, Sleep

__all__ = [
    "EXCEPTION_RULES",
    "STATUS_RULES",
    "BodyCheck",
    "CostBucket",
    "ExceptionRule",
    "FailureTable",
    "HttpClient",
    "HttpMetrics",
    "HttpResponse",
    "HttpSettings",
    "ManualTime",
    "MetricEvent",
    "Monotonic",
    "RateLimiter",
    "RetryPolicy",
    "Sleep",
    "StatusRule",
    "ThrottleStatus",
    "TokenBucket",
    "Unlimited",
    "parse_retry_after",
]
