"""The failure table maps every status and transport failure to the kind the sync engine acts on."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from stockbridge.connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
    RemoteNotFoundError,
    TransientError,
)
from stockbridge.connectors.http import FailureTable, StatusRule, parse_retry_after

NOW = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
TABLE = FailureTable(now=lambda: NOW)


def classify(status: int, headers: dict[str, str] | None = None, body: bytes = b"") -> ConnectorError | None:
    return TABLE.classify_status(status, headers or {}, body, connection="c1", operation="op")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthError),
        (403, AuthError),
        (404, RemoteNotFoundError),
        (410, RemoteNotFoundError),
        (408, TransientError),
        (400, PermanentError),
        (413, PermanentError),
        (422, PermanentError),
        (500, TransientError),
        (502, TransientError),
        (503, TransientError),
        (504, TransientError),
        (501, PermanentError),
        (429, RateLimitedError),
    ],
)
def test_each_status_maps_to_exactly_its_kind(status: int, kind: type[ConnectorError]) -> None:
    error = classify(status)
    assert type(error) is kind
    assert error.status == status and error.connection == "c1" and error.operation == "op"


def test_success_and_redirect_statuses_are_not_failures() -> None:
    assert classify(200) is None and classify(204) is None and classify(304) is None


def test_429_honours_retry_after_seconds_and_defaults_to_one_second() -> None:
    limited = classify(429, {"Retry-After": "2.0"})
    assert isinstance(limited, RateLimitedError) and limited.retry_after_s == 2.0
    default = classify(429)
    assert isinstance(default, RateLimitedError) and default.retry_after_s == 1.0


def test_429_with_an_http_date_waits_until_that_moment() -> None:
    limited = classify(429, {"Retry-After": "Fri, 01 May 2026 12:00:30 GMT"})
    assert isinstance(limited, RateLimitedError) and limited.retry_after_s == 30.0


def test_503_with_retry_after_stays_transient_but_carries_the_hint() -> None:
    error = classify(503, {"Retry-After": "7"})
    assert type(error) is TransientError and error.fields["retry_after_s"] == 7.0


def test_errors_keep_a_short_body_excerpt_and_no_headers() -> None:
    error = classify(400, {"X-Shopify-Access-Token": "secret-token"}, b"x" * 1000)
    assert error is not None and len(error.fields["body"]) == 200
    assert "secret-token" not in repr(error.as_dict())


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError(), TransientError),
        (aiohttp.ServerDisconnectedError(), TransientError),
        (aiohttp.ClientConnectionError(), TransientError),
        (aiohttp.ClientPayloadError(), TransientError),
        (aiohttp.InvalidURL("nope"), PermanentError),
        (ValueError("bug"), PermanentError),
    ],
)
def test_exceptions_map_by_type(exc: BaseException, kind: type[ConnectorError]) -> None:
    assert type(TABLE.classify_exception(exc, connection="c", operation="o")) is kind


def test_platform_rows_take_precedence_over_the_defaults() -> None:
    table = TABLE.with_rules((StatusRule(frozenset({404}), TransientError, "eventually consistent"),))
    assert type(table.classify_status(404, {}, b"", connection="c", operation="o")) is TransientError
    assert type(table.classify_status(410, {}, b"", connection="c", operation="o")) is RemoteNotFoundError


def test_retry_after_parsing_rejects_garbage_and_clamps_the_past() -> None:
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("Fri, 01 May 2026 11:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("-3", NOW) == 0.0
