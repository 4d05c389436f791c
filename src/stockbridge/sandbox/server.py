"""The shared emulator base: one aiohttp app per emulator, fault middleware, admin endpoints, runners.

An `Emulator` subclass adds the platform's own routes and state; this module adds, for all of them:
the fault middleware (downtime as 503 or a dropped connection, a share of 5xx, added latency,
hard throttling where the platform has no in-band throttle, responses lost after the work was done),
the admin surface under `/_emulator/` (faults, counters, full state, webhook subscriptions and a
drain), and two ways to run: `EmulatorServer` (async context manager on the caller's loop) and
`ThreadedEmulatorServer` (its own loop in a background thread, for synchronous clients). Both can
refuse connections outright (`refuse_connections` / `accept_connections`), the in-process form of
a platform that is down; over HTTP, `down_mode: "drop"` cuts accepted connections instead.
Admin paths never see faults.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from aiohttp import web

from stockbridge.domain.clock import Clock, SystemClock
from stockbridge.sandbox.counters import Counters
from stockbridge.sandbox.faults import FaultInjector, FaultSettingsError
from stockbridge.sandbox.webhooks import Delivery, Sleep, WebhookDispatcher

ADMIN_PREFIX = "/_emulator"
T = TypeVar("T")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class Emulator(ABC):
    """Base of every platform emulator: faults, counters, webhooks and the admin surface."""

    name = "emulator"
    webhook_success = range(200, 300)

    def __init__(self, clock: Clock | None = None, sleep: Sleep = asyncio.sleep) -> None:
        self.clock: Clock = clock or SystemClock()
        self.sleep = sleep
        self.faults = FaultInjector()
        self.counters = Counters()
        self.webhooks = WebhookDispatcher(
            self.faults, self.counters, self.webhook_headers, self.clock, sleep, self.webhook_success
        )

    @abstractmethod
    def add_routes(self, app: web.Application) -> None:
        """Register the platform's own routes (and its storefront/admin extras)."""

    @abstractmethod
    def state_snapshot(self) -> dict[str, Any]:
        """The full state as JSON-able data, for independent audits."""

    @abstractmethod
    def webhook_headers(self, delivery: Delivery) -> dict[str, str]:
        """Signed platform headers for one webhook delivery."""

    def unavailable_response(self) -> web.Response:
        return web.json_response({"errors": "Service Unavailable"}, status=503)

    def server_error_response(self) -> web.Response:
        return web.json_response({"errors": "Internal Server Error"}, status=500)

    def throttled_response(self) -> web.Response | None:
        """The answer under the hard-throttle fault, or None when the platform throttles in its handler."""
        return web.json_response({"errors": "Too Many Requests"}, status=429, headers={"Retry-After": "1"})

    def build_app(self) -> web.Application:
        app = web.Application(middlewares=[self._fault_middleware], client_max_size=16 * 1024 * 1024)
        _AdminRoutes(self).register(app)
        self.add_routes(app)
        return app

    @web.middleware
    async def _fault_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        settings = self.faults.settings
        self.counters.inc("requests_total")
        if settings.latency_ms:
            await self.sleep(settings.latency_ms / 1000.0)
        if settings.down:
            self.counters.inc("faults_down")
            if settings.down_mode == "drop" and request.transport is not None:
                request.transport.abort()
            return self.unavailable_response()
        if self.faults.should_fail_request():
            self.counters.inc("faults_5xx")
            return self.server_error_response()
        throttled = self.throttled_response() if settings.hard_throttle else None
        if throttled is not None:
            self.counters.inc("faults_throttled")
            return throttled
        response = await handler(request)
        if self.faults.should_lose_response():
            self.counters.inc("faults_lost_response")
            return web.json_response({"errors": "Bad Gateway"}, status=502)
        return response


class _AdminRoutes:
    """`/_emulator/...`: flip faults, read counters and state, manage webhook subscriptions."""

    def __init__(self, emulator: Emulator) -> None:
        self.emu = emulator

    def register(self, app: web.Application) -> None:
        p = ADMIN_PREFIX
        app.router.add_get(f"{p}/health", self.health)
        app.router.add_get(f"{p}/faults", self.get_faults)
        app.router.add_post(f"{p}/faults", self.set_faults)
        app.router.add_post(f"{p}/faults/reset", self.reset_faults)
        app.router.add_get(f"{p}/counters", self.get_counters)
        app.router.add_post(f"{p}/counters/reset", self.reset_counters)
        app.router.add_get(f"{p}/state", self.get_state)
        app.router.add_get(f"{p}/webhooks", self.list_webhooks)
        app.router.add_post(f"{p}/webhooks", self.add_webhook)
        app.router.add_delete(f"{p}/webhooks/{{id}}", self.delete_webhook)
        app.router.add_post(f"{p}/webhooks/drain", self.drain_webhooks)

    async def health(self, _: web.Request) -> web.Response:
        return web.json_response({"ok": True, "emulator": self.emu.name})

    async def get_faults(self, _: web.Request) -> web.Response:
        return web.json_response(self.emu.faults.settings.to_json())

    async def set_faults(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict):
            return web.json_response({"error": "expected a JSON object"}, status=400)
        try:
            settings = self.emu.faults.update(body)
        except FaultSettingsError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(settings.to_json())

    async def reset_faults(self, _: web.Request) -> web.Response:
        self.emu.faults.reset()
        return web.json_response(self.emu.faults.settings.to_json())

    async def get_counters(self, _: web.Request) -> web.Response:
        return web.json_response(self.emu.counters.snapshot())

    async def reset_counters(self, _: web.Request) -> web.Response:
        self.emu.counters.reset()
        return web.json_response({})

    async def get_state(self, _: web.Request) -> web.Response:
        return web.json_response(self.emu.state_snapshot())

    async def list_webhooks(self, _: web.Request) -> web.Response:
        subs = [vars(s) for s in self.emu.webhooks.subscriptions.values()]
        log = [vars(r) for r in self.emu.webhooks.log]
        return web.json_response({"subscriptions": subs, "deliveries": log})

    async def add_webhook(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not isinstance(body, dict) or not body.get("topic") or not body.get("url"):
            return web.json_response({"error": "topic and url are required"}, status=400)
        sub = self.emu.webhooks.subscribe(str(body["topic"]), str(body["url"]), str(body.get("secret", "")))
        return web.json_response(vars(sub), status=201)

    async def delete_webhook(self, request: web.Request) -> web.Response:
        removed = self.emu.webhooks.unsubscribe(int(request.match_info["id"]))
        return web.json_response({"deleted": removed}, status=200 if removed else 404)

    async def drain_webhooks(self, _: web.Request) -> web.Response:
        waited = await self.emu.webhooks.drain()
        return web.json_response({"drained": waited})


class EmulatorServer:
    """Runs an emulator on the current event loop: `async with EmulatorServer(emu) as server:`.

    With an `ssl_context` it serves https (WooCommerce then expects Basic auth instead of OAuth).
    """

    def __init__(
        self,
        emulator: Emulator,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.emulator = emulator
        self.host = host
        self.port = port
        self.ssl_context = ssl_context
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    @property
    def base_url(self) -> str:
        if self._runner is None:
            raise RuntimeError("emulator server is not running")
        scheme = "https" if self.ssl_context is not None else "http"
        return f"{scheme}://{self.host}:{self.port}"

    async def start(self) -> str:
        self._runner = web.AppRunner(self.emulator.build_app(), access_log=None)
        await self._runner.setup()
        await self._listen()
        self.port = int(self._runner.addresses[0][1])
        self.emulator.webhooks.release_backlog()
        return self.base_url

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, ssl_context=self.ssl_context)
        await self._site.start()

    async def refuse_connections(self) -> None:
        """Close the listening socket: new connections are refused (the admin surface too)."""
        if self._site is not None:
            await self._site.stop()
            self._site = None

    async def accept_connections(self) -> None:
        """Listen again on the same port after `refuse_connections`."""
        if self._site is None:
            await self._listen()

    async def stop(self) -> None:
        await self.emulator.webhooks.close()
        self._site = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> EmulatorServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


class ThreadedEmulatorServer:
    """Runs an emulator on its own loop in a daemon thread: `start()`, `stop()`, `base_url`."""

    def __init__(
        self,
        emulator: Emulator,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.emulator = emulator
        self._server = EmulatorServer(emulator, host, port, ssl_context)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"{emulator.name}-emulator", daemon=True
        )

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def start(self) -> str:
        self._thread.start()
        return self.run(self._server.start())

    def stop(self) -> None:
        if not self._thread.is_alive():
            return
        self.run(self._server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()

    def run(self, coro: Awaitable[T]) -> T:
        """Run a coroutine on the emulator's loop and wait for its result."""

        async def wrapper() -> T:
            return await coro

        future: Future[T] = asyncio.run_coroutine_threadsafe(wrapper(), self._loop)
        return future.result(timeout=30)

    def call(self, fn: Callable[[], T]) -> T:
        """Run a plain function on the emulator's loop (where its state lives)."""

        async def wrapper() -> T:
            return fn()

        return self.run(wrapper())

    def drain_webhooks(self) -> int:
        return self.run(self.emulator.webhooks.drain())

    def refuse_connections(self) -> None:
        self.run(self._server.refuse_connections())

    def accept_connections(self) -> None:
        self.run(self._server.accept_connections())

    def __enter__(self) -> ThreadedEmulatorServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
