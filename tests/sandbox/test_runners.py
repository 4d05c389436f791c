"""Both ways of running an emulator in-process serve on an ephemeral loopback port."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import pytest

from stockbridge.sandbox.server import EmulatorServer, ThreadedEmulatorServer
from stockbridge.sandbox.shopify import DEFAULT_TOKEN, ShopifyEmulator
from stockbridge.sandbox.woocommerce import WooCommerceEmulator


def test_the_async_context_manager_serves_on_the_callers_loop() -> None:
    async def scenario() -> tuple[str, int, dict[str, object]]:
        async with EmulatorServer(ShopifyEmulator()) as server, aiohttp.ClientSession() as session:
            url = f"{server.base_url}/admin/api/2026-04/graphql.json"
            headers = {"X-Shopify-Access-Token": DEFAULT_TOKEN}
            async with session.post(
                url, json={"query": "{ shop { myshopifyDomain } }"}, headers=headers
            ) as resp:
                return server.base_url, resp.status, await resp.json()

    base_url, status, body = asyncio.run(scenario())
    assert base_url.startswith("http://127.0.0.1:")
    assert not base_url.endswith(":0")
    assert status == 200
    assert body["data"] == {"shop": {"myshopifyDomain": "stockbridge-sandbox.myshopify.com"}}


def test_two_threaded_emulators_run_side_by_side_and_stop_cleanly() -> None:
    shop, woo = ThreadedEmulatorServer(ShopifyEmulator()), ThreadedEmulatorServer(WooCommerceEmulator())
    shop.start()
    woo.start()
    try:
        assert shop.base_url != woo.base_url
        assert shop.call(lambda: shop.emulator.name) == "shopify"
        assert woo.call(lambda: woo.emulator.name) == "woocommerce"
    finally:
        shop.stop()
        woo.stop()
    shop.stop()  # stopping twice is harmless


def test_a_paused_emulator_refuses_connections_and_comes_back_on_the_same_port() -> None:
    with ThreadedEmulatorServer(WooCommerceEmulator()) as server:
        url = f"{server.base_url}/_emulator/health"
        assert httpx.get(url).status_code == 200
        server.refuse_connections()
        with pytest.raises(httpx.ConnectError):
            httpx.get(url)
        server.accept_connections()
        assert httpx.get(url).status_code == 200
