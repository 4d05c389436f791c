"""Shopify's cost bucket honoured before and after THROTTLED; downtime retried, then surfaced."""

from __future__ import annotations

import pytest

from stockbridge.connectors.errors import RateLimitedError, TransientError
from stockbridge.connectors.testing import collect
from tests.connectors.shopify.conftest import running_shop

pytestmark = pytest.mark.anyio


async def test_the_cost_bucket_waits_before_a_call_so_the_shop_never_throttles() -> None:
    async with running_shop(bucket_size=40, restore_rate=10) as shop:
        connector = shop.connector(variant_page_size=1)  # each page requests 2 + 1 * 3 = 5 points
        for _ in range(4):
            assert len(await collect(connector.variants())) == 5
        assert shop.emulator.counters.get("shopify_throttled") == 0
        assert shop.metrics.total_throttle_waits("shop-1") > 0
        assert shop.metrics.throttle_waits[("shop-1", "server")] == 0
        assert connector.client.requested_costs["StockbridgeVariants"] == 5
        assert connector.client.bucket.capacity == 40 and connector.client.bucket.rate == 10
        await connector.aclose()


async def test_a_throttled_answer_waits_for_the_missing_points_then_succeeds() -> None:
    async with running_shop(bucket_size=100, restore_rate=10) as shop:
        connector = shop.connector()
        shop.emulator.bucket.drain()  # someone else spent the bucket
        await connector.check()  # `shop { ... }` requests 1 point: (1 - 0) / 10 = 0.1 s
        assert shop.emulator.counters.get("shopify_throttled") == 1
        assert shop.time.slept == [pytest.approx(0.1)]
        assert shop.metrics.throttled_responses["shop-1"] == 1
        assert shop.metrics.throttle_waits[("shop-1", "server")] == 1
        await connector.aclose()


async def test_hard_throttling_surfaces_a_rate_limited_error_after_its_budget() -> None:
    async with running_shop() as shop:
        connector = shop.connector()
        shop.emulator.faults.update({"hard_throttle": True})
        with pytest.raises(RateLimitedError) as caught:
            await connector.check()
        assert caught.value.fields["code"] == "THROTTLED"
        assert (
            shop.emulator.counters.get("shopify_throttled")
            == connector.client.http.retry.max_throttled_attempts
        )
        await connector.aclose()


async def test_a_brief_outage_is_retried_transparently() -> None:
    async with running_shop() as shop:
        connector = shop.connector()
        shop.emulator.faults.update({"down": True})
        shop.time.listeners.append(lambda _: shop.emulator.faults.reset())
        assert len(await collect(connector.locations())) == 2
        assert shop.emulator.counters.get("faults_down") == 1
        assert shop.metrics.retries[("shop-1", "TransientError")] == 1
        await connector.aclose()


@pytest.mark.parametrize("mode", ["503", "drop"])
async def test_persistent_downtime_surfaces_a_transient_error(mode: str) -> None:
    async with running_shop() as shop:
        connector = shop.connector()
        shop.emulator.faults.update({"down": True, "down_mode": mode})
        with pytest.raises(TransientError):
            await collect(connector.variants())
        assert shop.emulator.counters.get("faults_down") == connector.client.http.retry.max_attempts
        await connector.aclose()
