"""The shared async HTTP client of every connector: one aiohttp session per connection.

`HttpClient.send` makes exactly one attempt: wait for the rate limiter, send, read the body,
classify the status or the exception through the `FailureTable`, count the outcome. `request` is
`send` under the `RetryPolicy`. Platform clients that must look inside a 200 (GraphQL errors,
Shopify's THROTTLED) wrap `send` in their own attempt (or pass a `body_check`) and give that to `retry.call`; so do clients
that must sign each attempt afresh (OAuth 1.0a nonces and timestamps).
Timeouts are on by default; the session's connector bounds concurrent sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import aiohttp
import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from stockbridge.connectors.errors import ConnectorError, PermanentError, RateLimitedError
from stockbridge.connectors.http.failures import FailureTable
from stockbridge.connectors.http.metrics import HttpMetrics
from stockbridge.connectors.http.ratelimit import RateLimiter, Unlimited
from stockbridge.connectors.http.retry import RetryPolicy


@dataclass(frozen=True)
class HttpSettings:
    total_timeout_s: float = 30.0
    connect_timeout_s: float = 5.0
    read_timeout_s: float = 25.0
    connection_limit: int = 64  # sockets per session (per connection)
    user_agent: str = "stockbridge/0.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: CIMultiDictProxy[str]
    body: bytes
    url: str

    def json(self) -> Any:
        """The body as JSON; a body that is not JSON is a PermanentError (the remote broke its contract)."""
        try:
            return self._parsed
        except orjson.JSONDecodeError as exc:
            raise PermanentError(f"response from {self.url} is not JSON", status=self.status) from exc

    @cached_property
    def _parsed(self) -> Any:
        return orjson.loads(self.body)


BodyCheck = Callable[[HttpResponse], ConnectorError | None]


@dataclass
class HttpClient:
    """Talks to one remote base URL for one connection."""

    base_url: str
    connection: str
    headers: Mapping[str, str] = field(default_factory=dict)
    settings: HttpSettings = field(default_factory=HttpSettings)
    limiter: RateLimiter = field(default_factory=Unlimited)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    failures: FailureTable = field(default_factory=FailureTable)
    metrics: HttpMetrics = field(default_factory=HttpMetrics)
    session: aiohttp.ClientSession | None = None
    _owns_session: bool = field(default=False, init=False)

    def _session(self) -> aiohttp.ClientSession:
        if self.session is None or self.session.closed:
            s = self.settings
            self.session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(
                    total=s.total_timeout_s, sock_connect=s.connect_timeout_s, sock_read=s.read_timeout_s
                ),
                connector=aiohttp.TCPConnector(limit=s.connection_limit),
                headers={"User-Agent": s.user_agent},
            )
            self._owns_session = True
        return self.session

    def url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url.rstrip("/") + "/" + path.lstrip("/")

    async def send(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str = "",
        cost: float = 1.0,
        body_check: BodyCheck | None = None,
        body_first: frozenset[int] = frozenset(),
    ) -> HttpResponse:
        """One attempt; raises a classified ConnectorError for any failure.

        `body_check` looks inside an answer the status table accepted (e.g. GraphQL `errors` in a
        200); for statuses in `body_first` it looks first and the table only decides if it finds
        nothing (e.g. a 429 whose body says how long to wait).
        """
        operation = operation or f"{method} {path}"
        await self.limiter.acquire(cost)
        try:
            response = await self._exchange(method, path, json, params, headers, operation)
        except ConnectorError as error:
            self._count(operation, error)
            raise
        finally:
            self.limiter.settle(cost)
        failure = self._classify(response, operation, body_check, body_first)
        self._count(operation, failure)
        if failure is not None:
            raise failure
        return response

    def _classify(
        self, response: HttpResponse, operation: str, body_check: BodyCheck | None, body_first: frozenset[int]
    ) -> ConnectorError | None:
        def by_status() -> ConnectorError | None:
            return self.failures.classify_status(
                response.status,
                response.headers,
                response.body,
                connection=self.connection,
                operation=operation,
            )

        if body_check is None:
            return by_status()
        if response.status in body_first:
            return body_check(response) or by_status()
        return by_status() or body_check(response)

    async def _exchange(
        self,
        method: str,
        path: str,
        json: Any,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
        operation: str,
    ) -> HttpResponse:
        merged = CIMultiDict(self.headers)
        merged.update(headers or {})
        data = None
        if json is not None:
            data = orjson.dumps(json)
            merged.setdefault("Content-Type", "application/json")
        try:
            async with self._session().request(
                method, self.url(path), data=data, params=params, headers=merged
            ) as resp:
                body = await resp.read()
                # the query string may carry signed credentials (OAuth 1.0a): never keep it
                return HttpResponse(resp.status, resp.headers, body, str(resp.url.with_query(None)))
        except Exception as exc:
            raise self.failures.classify_exception(
                exc, connection=self.connection, operation=operation
            ) from exc

    def _count(self, operation: str, error: ConnectorError | None) -> None:
        outcome = "ok" if error is None else type(error).__name__
        self.metrics.record_request(self.connection, operation, outcome)
        if isinstance(error, RateLimitedError):
            self.metrics.record_throttled(self.connection, operation)
            self.limiter.pause(error.retry_after_s)

    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        operation: str = "",
        cost: float = 1.0,
    ) -> HttpResponse:
        """`send` with retries under the policy."""
        op = operation or f"{method} {path}"

        async def attempt() -> HttpResponse:
            return await self.send(
                method, path, json=json, params=params, headers=headers, operation=op, cost=cost
            )

        return await self.retry.call(attempt, connection=self.connection, operation=op)

    async def aclose(self) -> None:
        if self._owns_session and self.session is not None and not self.session.closed:
            await self.session.close()
