"""The failure table: every HTTP status and transport exception mapped to one of our error kinds.

The table is data, read top to bottom, first match wins (so specific rows precede ranges):

    status / exception                       kind                  why
    401, 403                                 AuthError             credentials or scopes rejected
    404, 410                                 RemoteNotFoundError   the remote object does not exist
    408, 425                                 TransientError        the server gave up waiting; retry
    429                                      RateLimitedError      honour Retry-After (default 1 s)
    501, 505                                 PermanentError        the server will never do this
    500-599 (with Retry-After on 503)        TransientError        server trouble; retry with backoff
    other 4xx                                PermanentError        the request itself is wrong
    TimeoutError                             TransientError        connect/read timeout
    aiohttp.InvalidURL                       PermanentError        our configuration is wrong
    aiohttp.ClientConnectionError (+resets)  TransientError        refused, reset, dropped
    aiohttp.ClientPayloadError               TransientError        truncated body
    aiohttp.ClientError (anything else)      TransientError

Platform packages prepend their own rows (`FailureTable.with_rules`). Errors carry the status, the
operation and a short body excerpt, never request headers (where the secrets are).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import aiohttp

from stockbridge.connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    RemoteNotFoundError,
    TransientError,
)

DEFAULT_RETRY_AFTER_S = 1.0
BODY_EXCERPT = 200


@dataclass(frozen=True)
class StatusRule:
    statuses: frozenset[int] | range
    kind: type[ConnectorError]
    reason: str


@dataclass(frozen=True)
class ExceptionRule:
    exception: type[BaseException]
    kind: type[ConnectorError]
    reason: str


STATUS_RULES: tuple[StatusRule, ...] = (
    StatusRule(frozenset({401, 403}), AuthError, "credentials or scopes rejected"),
    StatusRule(frozenset({404, 410}), RemoteNotFoundError, "remote object not found"),
    StatusRule(frozenset({408, 425}), TransientError, "request timed out at the server"),
    StatusRule(frozenset({429}), RateLimitedError, "rate limited"),
    StatusRule(frozenset({501, 505}), PermanentError, "not supported by the server"),
    StatusRule(range(500, 600), TransientError, "server error"),
    StatusRule(range(400, 500), PermanentError, "request refused"),
)

EXCEPTION_RULES: tuple[ExceptionRule, ...] = (
    ExceptionRule(TimeoutError, TransientError, "timed out"),
    ExceptionRule(asyncio.TimeoutError, TransientError, "timed out"),
    ExceptionRule(aiohttp.InvalidURL, PermanentError, "invalid URL"),
    ExceptionRule(aiohttp.ClientConnectionError, TransientError, "connection failed"),
    ExceptionRule(aiohttp.ClientPayloadError, TransientError, "response body incomplete"),
    ExceptionRule(aiohttp.ClientError, TransientError, "HTTP client error"),
)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds (also `2.0`) or an HTTP-date."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - now).total_seconds())


@dataclass(frozen=True)
class FailureTable:
    """Classifies one HTTP answer or one transport exception; `None` means success."""

    status_rules: tuple[StatusRule, ...] = STATUS_RULES
    exception_rules: tuple[ExceptionRule, ...] = EXCEPTION_RULES
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def with_rules(
        self, status_rules: tuple[StatusRule, ...] = (), exception_rules: tuple[ExceptionRule, ...] = ()
    ) -> FailureTable:
        """A table with platform rows ahead of the defaults."""
        return FailureTable(
            status_rules + self.status_rules, exception_rules + self.exception_rules, self.now
        )

    def classify_status(
        self, status: int, headers: Mapping[str, str], body: bytes, *, connection: str, operation: str
    ) -> ConnectorError | None:
        if status < 400:
            return None
        rule = next((r for r in self.status_rules if status in r.statuses), None)
        kind, reason = (rule.kind, rule.reason) if rule else (PermanentError, "unexpected status")
        message = f"HTTP {status}: {reason}"
        excerpt = body[:BODY_EXCERPT].decode("utf-8", "replace")
        retry_after = parse_retry_after(headers.get("Retry-After"), self.now())
        if issubclass(kind, RateLimitedError):
            wait = DEFAULT_RETRY_AFTER_S if retry_after is None else retry_after
            return RateLimitedError(
                message,
                retry_after_s=wait,
                connection=connection,
                operation=operation,
                status=status,
                body=excerpt,
            )
        extra: dict[str, object] = {"body": excerpt}
        if retry_after is not None and issubclass(kind, TransientError):
            extra["retry_after_s"] = retry_after  # e.g. 503 during maintenance
        return kind(message, connection=connection, operation=operation, status=status, **extra)

    def classify_exception(self, exc: BaseException, *, connection: str, operation: str) -> ConnectorError:
        if isinstance(exc, ConnectorError):
            return exc
        rule = next((r for r in self.exception_rules if isinstance(exc, r.exception)), None)
        kind, reason = (rule.kind, rule.reason) if rule else (PermanentError, "unexpected failure")
        return kind(f"{reason}: {type(exc).__name__}", connection=connection, operation=operation)
