"""Fixtures for the emulator tests: running emulators on loopback and a webhook receiver."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from woocommerce import API as WooAPI

from stockbridge.domain.clock import FrozenClock
from stockbridge.sandbox.server import ThreadedEmulatorServer
from stockbridge.sandbox.shopify import DEFAULT_TOKEN, ShopifyEmulator
from stockbridge.sandbox.shopify.storefront import seed
from stockbridge.sandbox.woocommerce import DEFAULT_KEY as WOO_KEY
from stockbridge.sandbox.woocommerce import DEFAULT_SECRET as WOO_SECRET
from stockbridge.sandbox.woocommerce import WooCommerceEmulator
from stockbridge.sandbox.woocommerce.storefront import seed as woo_seed

SHOP_SEED: dict[str, Any] = {
    "locations": ["Shop location", "Warehouse"],
    "products": [
        {
            "title": "Tee",
            "variants": [
                {"sku": "TEE-S", "price": "10.00", "available": {"Shop location": 5, "Warehouse": 2}},
                {"sku": "TEE-M", "price": "10.00", "available": {"Shop location": 3}},
            ],
        },
        {"title": "Mug", "variants": [{"sku": "MUG", "price": "7.50", "available": {"Shop location": 0}}]},
    ],
    "customers": [{"email": "ada@example.com", "first_name": "Ada", "last_name": "Lovelace"}],
}


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class WebhookReceiver:
    """A loopback HTTP server that records every POST and answers `status`."""

    url: str
    requests: list[Received] = field(default_factory=list)
    status: int = 200

    def topics(self) -> list[str]:
        return [
            r.headers.get("X-Shopify-Topic") or r.headers.get("X-WC-Webhook-Topic", "") for r in self.requests
        ]


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    state = WebhookReceiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.requests.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(state.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    class Server(ThreadingHTTPServer):
        request_queue_size = 128  # deliveries arrive concurrently; the default backlog of 5 drops SYNs

    server = Server(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass
class ShopifyHarness:
    emulator: ShopifyEmulator
    server: ThreadedEmulatorServer
    clock: FrozenClock
    seeded: dict[str, Any]
    client: httpx.Client

    def gql(self, query: str, variables: dict[str, Any] | None = None, version: str = "2026-04") -> Any:
        response = self.client.post(
            f"/admin/api/{version}/graphql.json", json={"query": query, "variables": variables or {}}
        )
        assert response.status_code == 200, response.text
        return response.json()

    def item_gid(self, product: int = 0, variant: int = 0) -> str:
        return f"gid://shopify/InventoryItem/{self.seeded['products'][product]['variants'][variant]['inventory_item_id']}"

    def location_gid(self, index: int = 0) -> str:
        return str(self.seeded["locations"][index]["admin_graphql_api_id"])


@contextmanager
def running_shopify(**options: Any) -> Iterator[ShopifyHarness]:
    """A seeded Shopify emulator on a frozen clock, served from a background thread."""
    clock = FrozenClock()
    emulator = ShopifyEmulator(clock=clock, **options)
    seeded = seed(emulator.store, SHOP_SEED)
    server = ThreadedEmulatorServer(emulator)
    server.start()
    headers = {"X-Shopify-Access-Token": DEFAULT_TOKEN}
    client = httpx.Client(base_url=server.base_url, headers=headers, timeout=10)
    try:
        yield ShopifyHarness(emulator, server, clock, seeded, client)
    finally:
        client.close()
        server.stop()


@pytest.fixture
def shopify() -> Iterator[ShopifyHarness]:
    with running_shopify() as harness:
        yield harness


WOO_SEED: dict[str, Any] = {
    "products": [
        {"name": "Hoodie", "sku": "HOOD", "price": "30.00", "stock_quantity": 4},
        {"name": "Cap", "sku": "CAP", "price": "12.00", "stock_quantity": 0},
        {
            "name": "Sock",
            "variations": [
                {
                    "sku": "SOCK-S",
                    "price": "5.00",
                    "stock_quantity": 6,
                    "attributes": [{"name": "Size", "option": "S"}],
                },
                {
                    "sku": "SOCK-L",
                    "price": "5.00",
                    "stock_quantity": 0,
                    "attributes": [{"name": "Size", "option": "L"}],
                },
            ],
        },
    ],
    "customers": [{"email": "grace@example.com", "first_name": "Grace", "last_name": "Hopper"}],
}


@dataclass
class WooHarness:
    emulator: WooCommerceEmulator
    server: ThreadedEmulatorServer
    seeded: dict[str, Any]

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def api(self, **options: Any) -> Any:
        """The official `woocommerce` client pointed at the emulator (OAuth 1.0a over http)."""
        return WooAPI(
            url=self.base_url,
            consumer_key=WOO_KEY,
            consumer_secret=WOO_SECRET,
            version="wc/v3",
            timeout=10,
            **options,
        )

    def product_id(self, sku: str) -> int:
        return next(int(p["id"]) for p in self.seeded["products"] if p["sku"] == sku)


@contextmanager
def running_woo(**options: Any) -> Iterator[WooHarness]:
    emulator = WooCommerceEmulator(**options)
    seeded = woo_seed(emulator.store, WOO_SEED)
    server = ThreadedEmulatorServer(emulator)
    server.start()
    try:
        yield WooHarness(emulator, server, seeded)
    finally:
        server.stop()


@pytest.fixture
def woo() -> Iterator[WooHarness]:
    with running_woo() as harness:
        yield harness
