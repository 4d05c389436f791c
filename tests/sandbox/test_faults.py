"""Fault switches flipped in-process or over /_emulator/faults change what clients see, reproducibly."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from stockbridge.sandbox.faults import FaultInjector, FaultSettingsError
from stockbridge.sandbox.server import ThreadedEmulatorServer
from stockbridge.sandbox.shopify import DEFAULT_TOKEN, ShopifyEmulator
from stockbridge.sandbox.shopify.storefront import seed
from tests.sandbox.conftest import SHOP_SEED, ShopifyHarness, WebhookReceiver

QUERY = {"query": "{ shop { name } }"}
GQL = "/admin/api/2026-04/graphql.json"


def test_downtime_answers_503_while_the_admin_surface_stays_up(shopify: ShopifyHarness) -> None:
    assert shopify.client.post("/_emulator/faults", json={"down": True}).status_code == 200
    assert shopify.client.post(GQL, json=QUERY).status_code == 503
    assert shopify.client.get("/_emulator/health").status_code == 200
    assert shopify.client.get("/_emulator/counters").json()["faults_down"] == 1
    shopify.client.post("/_emulator/faults/reset")
    assert shopify.client.post(GQL, json=QUERY).status_code == 200


def test_downtime_in_drop_mode_cuts_the_connection(shopify: ShopifyHarness) -> None:
    shopify.client.post("/_emulator/faults", json={"down": True, "down_mode": "drop"})
    with pytest.raises(httpx.TransportError):
        httpx.post(
            shopify.server.base_url + GQL, json=QUERY, headers={"X-Shopify-Access-Token": DEFAULT_TOKEN}
        )


def statuses(harness: ShopifyHarness, count: int) -> list[int]:
    return [harness.client.post(GQL, json=QUERY).status_code for _ in range(count)]


def test_a_share_of_5xx_is_reproducible_from_the_seed(shopify: ShopifyHarness) -> None:
    shopify.client.post("/_emulator/faults", json={"error_rate": 0.5, "seed": 7})
    first = statuses(shopify, 20)
    shopify.client.post("/_emulator/faults", json={"seed": 7})
    second = statuses(shopify, 20)
    assert first == second
    assert set(first) == {200, 500}
    assert shopify.emulator.counters.get("faults_5xx") == 2 * first.count(500)


def test_bad_fault_updates_are_refused(shopify: ShopifyHarness) -> None:
    assert shopify.client.post("/_emulator/faults", json={"error_rate": 2}).status_code == 400
    assert shopify.client.post("/_emulator/faults", json={"no_such_switch": 1}).status_code == 400
    with pytest.raises(FaultSettingsError):
        FaultInjector().update({"down": "yes"})


def test_added_latency_goes_through_the_injected_sleep() -> None:
    slept: list[float] = []

    async def recording_sleep(seconds: float) -> None:
        slept.append(seconds)
        await asyncio.sleep(0)

    emulator = ShopifyEmulator(sleep=recording_sleep)
    with ThreadedEmulatorServer(emulator) as server:
        emulator.faults.update({"latency_ms": 250})
        response = httpx.post(
            server.base_url + GQL, json=QUERY, headers={"X-Shopify-Access-Token": DEFAULT_TOKEN}
        )
        assert response.status_code == 200
    assert slept == [0.25]


def run_webhook_faults(receiver: WebhookReceiver, seed_value: int) -> tuple[list[str], dict[str, int]]:
    emulator = ShopifyEmulator()
    seed(emulator.store, SHOP_SEED)
    emulator.faults.update(
        {
            "webhook_drop_rate": 0.3,
            "webhook_duplicate_rate": 0.3,
            "webhook_reorder_rate": 0.3,
            "seed": seed_value,
        }
    )
    emulator.webhooks.subscribe("orders/create", receiver.url)
    emulator.webhooks.subscribe("inventory_levels/update", receiver.url)
    with ThreadedEmulatorServer(emulator) as server:
        for _ in range(6):
            httpx.post(server.base_url + "/_emulator/storefront/orders", json={"lines": [{"sku": "TEE-S"}]})
        server.drain_webhooks()
        log = [f"{r.topic}:{r.event_id}" for r in emulator.webhooks.log]
    counters = {k: v for k, v in emulator.counters.snapshot().items() if k.startswith("webhooks_")}
    return log, counters


def test_webhook_faults_are_deterministic_for_a_seed(receiver: WebhookReceiver) -> None:
    first = run_webhook_faults(receiver, 11)
    second = run_webhook_faults(receiver, 11)
    assert first == second
    assert first[1]["webhooks_dropped"] > 0
    assert first[1]["webhooks_duplicated"] > 0
    assert first[1]["webhooks_emitted"] == 12


def test_state_and_counters_are_readable_for_audits(shopify: ShopifyHarness) -> None:
    shopify.client.post("/_emulator/storefront/orders", json={"lines": [{"sku": "TEE-S", "quantity": 1}]})
    shopify.gql("{ shop { name } }")
    state = shopify.client.get("/_emulator/state").json()
    assert {"locations", "products", "inventory_levels", "orders", "customers", "throttle"} <= set(state)
    assert len(state["orders"]) == 1
    counters = shopify.client.get("/_emulator/counters").json()
    assert counters["graphql_query:shop"] == 1


def test_the_emulator_runs_as_its_own_process(tmp_path: Path) -> None:
    spec = tmp_path / "seed.json"
    spec.write_text(
        '{"locations": ["Shop location"], "products": [{"title": "A", "variants": [{"sku": "A-1"}]}]}'
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "stockbridge.sandbox", "shopify", "--port", "0", "--seed", str(spec)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        base_url = line.split()[-1]
        state = httpx.get(base_url + "/_emulator/state", timeout=10).json()
        assert state["products"][0]["variants"][0]["sku"] == "A-1"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_process_entry_point_builds_either_platform(tmp_path: Path) -> None:
    from stockbridge.sandbox.__main__ import build_emulator
    from stockbridge.sandbox.woocommerce import WooCommerceEmulator

    spec = tmp_path / "woo.json"
    spec.write_text('{"products": [{"name": "A", "sku": "A-1", "stock_quantity": 3}]}')
    woo = build_emulator("woocommerce", spec)
    assert isinstance(woo, WooCommerceEmulator)
    assert [p.sku for p in woo.store.products.values()] == ["A-1"]
    assert isinstance(build_emulator("shopify", None), ShopifyEmulator)


def test_counters_can_be_reset_between_runs(shopify: ShopifyHarness) -> None:
    shopify.gql("{ shop { name } }")
    assert shopify.client.get("/_emulator/counters").json()["requests_total"] == 1
    shopify.client.post("/_emulator/counters/reset")
    assert shopify.client.get("/_emulator/counters").json() == {}
