"""The GraphQL client's error table, against a scripted loopback server answering as Shopify does."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from stockbridge.connectors.errors import (
    AuthError,
    ConnectorError,
    PermanentError,
    RateLimitedError,
)
from stockbridge.connectors.http import HttpMetrics, ManualTime, RetryPolicy
from stockbridge.connectors.shopify import ShopifyConfig, ShopifyConnector, build_connector

pytestmark = pytest.mark.anyio
Answer = tuple[int, Any, dict[str, str]]
COST = {"requestedQueryCost": 1, "actualQueryCost": 1}
SHOP = {"shop": {"id": "gid://shopify/Shop/1", "name": "s", "myshopifyDomain": "s.myshopify.com"}}


def throttle(current: float, maximum: float = 100, rate: float = 10) -> dict[str, Any]:
    return {"maximumAvailable": maximum, "currentlyAvailable": current, "restoreRate": rate}


def ok(current: float = 99) -> Answer:
    return 200, {"data": SHOP, "extensions": {"cost": {**COST, "throttleStatus": throttle(current)}}}, {}


def error(code: str, status: int = 200, **extra: Any) -> Answer:
    body = {"errors": [{"message": f"{code} happened", "extensions": {"code": code}}], **extra}
    return status, body, {}


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[list[Answer], ShopifyConnector, ManualTime, HttpMetrics]]:
    answers: list[Answer] = []

    async def graphql(request: web.Request) -> web.Response:
        assert request.headers["X-Shopify-Access-Token"] == "shpat_x"
        status, body, headers = answers.pop(0) if len(answers) > 1 else answers[0]
        return web.json_response(body, status=status, headers=headers)

    app = web.Application()
    app.router.add_post("/admin/api/2026-04/graphql.json", graphql)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    config = ShopifyConfig(
        shop_domain="s.myshopify.com",
        base_url=f"http://127.0.0.1:{runner.addresses[0][1]}",
        access_token="shpat_x",
        api_secret="secret",
    )
    time, metrics = ManualTime(), HttpMetrics()
    retry = RetryPolicy(sleep=time.sleep, rng=random.Random(0), metrics=metrics)
    connector = build_connector(
        "s", config, metrics=metrics, retry=retry, monotonic=time.monotonic, sleep=time.sleep
    )
    yield answers, connector, time, metrics
    await connector.aclose()
    await runner.cleanup()


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (error("ACCESS_DENIED"), AuthError),
        (error("SHOP_INACTIVE"), AuthError),
        (error("MAX_COST_EXCEEDED"), PermanentError),
        (error("BAD_REQUEST"), PermanentError),
        (error("INVALID_VARIABLE"), PermanentError),
        ((402, {"errors": "Unavailable Shop"}, {}), AuthError),
        ((423, {"errors": "Locked"}, {}), AuthError),
        ((404, {"errors": "Not Found"}, {}), PermanentError),
        ((200, {"data": None}, {}), PermanentError),
        ((200, "<html>oops</html>", {}), PermanentError),
    ],
)
async def test_non_retryable_answers_surface_at_once_as_their_kind(
    scripted: tuple[list[Answer], ShopifyConnector, ManualTime, HttpMetrics],
    answer: Answer,
    kind: type[ConnectorError],
) -> None:
    answers, connector, time, _ = scripted
    answers.append(answer)
    with pytest.raises(ConnectorError) as caught:
        await connector.check()
    assert type(caught.value) is kind
    assert time.slept == []


async def test_internal_server_error_in_a_200_is_retried(
    scripted: tuple[list[Answer], ShopifyConnector, ManualTime, HttpMetrics],
) -> None:
    answers, connector, time, metrics = scripted
    answers.extend([error("INTERNAL_SERVER_ERROR"), ok()])
    await connector.check()
    assert len(time.slept) == 1
    assert metrics.requests[("s", "StockbridgeCheck", "TransientError")] == 1


async def test_a_429_carrying_shopifys_throttle_body_waits_for_the_missing_points(
    scripted: tuple[list[Answer], ShopifyConnector, ManualTime, HttpMetrics],
) -> None:
    answers, connector, time, metrics = scripted
    cost = {"requestedQueryCost": 31, "actualQueryCost": None, "throttleStatus": throttle(current=1)}
    answers.extend([error("THROTTLED", status=429, extensions={"cost": cost}), ok()])
    await connector.check()
    assert time.slept == [pytest.approx(3.0)]  # (31 - 1) / 10, not the 1 s default of a bare 429
    assert metrics.throttled_responses["s"] == 1


async def test_a_bare_429_falls_back_to_retry_after(
    scripted: tuple[list[Answer], ShopifyConnector, ManualTime, HttpMetrics],
) -> None:
    answers, connector, time, _ = scripted
    answers.extend([(429, "slow down", {"Retry-After": "2"}), ok()])
    await connector.check()
    assert time.slept == [2.0]


async def test_the_wait_after_throttled_is_computed_from_throttle_status(
    scripted: tuple[list[Answer], ShopifyConnector, ManualTime, HttpMetrics],
) -> None:
    answers, connector, _, _ = scripted
    cost = {"requestedQueryCost": 500, "actualQueryCost": None, "throttleStatus": throttle(100, 1000, 50)}
    answers.append(error("THROTTLED", extensions={"cost": cost}))
    connector.client.http.retry.max_throttled_attempts = 1
    with pytest.raises(RateLimitedError) as caught:
        await connector.check()
    assert caught.value.retry_after_s == pytest.approx(8.0)  # (500 - 100) / 50


async def test_throttled_although_the_bucket_looks_full_waits_one_second(
    scripted: tuple[list[Answer], ShopifyConnector, ManualTime, HttpMetrics],
) -> None:
    answers, connector, time, _ = scripted
    cost = {"requestedQueryCost": 1, "actualQueryCost": None, "throttleStatus": throttle(100)}
    answers.extend([error("THROTTLED", extensions={"cost": cost}), ok()])
    await connector.check()
    assert time.slept == [1.0]
