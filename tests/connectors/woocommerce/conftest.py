"""A seeded WooCommerce emulator on loopback (real sockets, frozen clock) and a connector to it."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from stockbridge.connectors.http import HttpMetrics, RetryPolicy
from stockbridge.connectors.woocommerce import WooCommerceConfig, WooCommerceConnector, build_connector
from stockbridge.domain.clock import FrozenClock
from stockbridge.sandbox.server import ThreadedEmulatorServer
from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET, WooCommerceEmulator
from stockbridge.sandbox.woocommerce.models import Order
from stockbridge.sandbox.woocommerce.storefront import resolve_line, seed

WEBHOOK_SECRET = "whsec-test"
SEED: dict[str, Any] = {
    "products": [
        {"name": "Hoodie", "sku": "HOOD", "stock_quantity": 10},
        {"name": "Cap", "sku": "CAP", "stock_quantity": 0},
        {"name": "Poster", "sku": "POSTER"},  # stock not managed
        {
            "name": "Sock",
            "variations": [
                {"sku": "SOCK-S", "stock_quantity": 6, "attributes": [{"name": "Size", "option": "S"}]},
                {"sku": "SOCK-L", "stock_quantity": 2, "attributes": [{"name": "Size", "option": "L"}]},
            ],
        },
    ]
}


async def _no_sleep(_seconds: float) -> None:
    return None


@dataclass
class WooSite:
    emulator: WooCommerceEmulator
    server: ThreadedEmulatorServer
    clock: FrozenClock

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def item_id(self, sku: str) -> str:
        """The connector's item id for a SKU: `"<product>"` or `"<product>/<variation>"`."""
        product_id, variation_id, _ = self.server.call(
            lambda: resolve_line(self.emulator.store, {"sku": sku})
        )
        return f"{product_id}/{variation_id}" if variation_id else str(product_id)

    def stock(self, sku: str) -> int | None:
        def read() -> int | None:
            store = self.emulator.store
            product_id, variation_id, _ = resolve_line(store, {"sku": sku})
            record = store.variations[variation_id] if variation_id else store.products[product_id]
            return record.stock_quantity

        return self.server.call(read)

    def sell(self, sku: str, quantity: int = 1, status: str = "processing") -> Order:
        """A storefront checkout: reduces stock at once, as WooCommerce does for a paid order."""

        def place() -> Order:
            line = resolve_line(self.emulator.store, {"sku": sku, "quantity": quantity})
            return self.emulator.store.place_order([line], "shopper@example.com", status)

        return self.server.call(place)

    def config(self, **changes: Any) -> WooCommerceConfig:
        values: dict[str, Any] = {
            "base_url": self.base_url,
            "consumer_key": DEFAULT_KEY,
            "consumer_secret": DEFAULT_SECRET,
            "webhook_secret": WEBHOOK_SECRET,
            "requests_per_second": 1000.0,
            "burst": 1000,
        }
        return WooCommerceConfig(**(values | changes))

    def connector(self, metrics: HttpMetrics | None = None, **changes: Any) -> WooCommerceConnector:
        retry = RetryPolicy(max_attempts=3, sleep=_no_sleep)
        return build_connector(
            "woo", self.config(**changes), clock=self.clock, metrics=metrics, retry=retry, sleep=_no_sleep
        )

    def calls(self, route: str) -> int:
        """REST calls the emulator answered on one route, e.g. `POST /wp-json/wc/v3/products/batch`."""
        return int(self.server.call(lambda: self.emulator.counters.get(f"rest:{route}")))


@pytest.fixture
def site() -> Iterator[WooSite]:
    with running_site() as running:
        yield running


@pytest.fixture
async def woo(site: WooSite) -> AsyncIterator[WooCommerceConnector]:
    connector = site.connector()
    yield connector
    await connector.aclose()


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    deliveries: list[Delivery]


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A loopback HTTP endpoint in its own thread that keeps each POST's headers and raw body."""
    state = Receiver("", [])
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                state.deliveries.append(Delivery(dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/webhooks/woocommerce/woo"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_site() -> Iterator[WooSite]:
    clock = FrozenClock()
    emulator = WooCommerceEmulator(clock=clock)
    seed(emulator.store, SEED)
    server = ThreadedEmulatorServer(emulator)
    server.start()
    try:
        yield WooSite(emulator, server, clock)
    finally:
        server.stop()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as state:
        yield state
