"""The HTTP client over real loopback sockets: classification, retries, limits, timeouts, metrics."""

from __future__ import annotations

import asyncio
import random
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest
from aiohttp import web

from stockbridge.connectors.errors import AuthError, PermanentError, TransientError
from stockbridge.connectors.http import (
    HttpClient,
    HttpMetrics,
    HttpSettings,
    ManualTime,
    RetryPolicy,
    TokenBucket,
)

pytestmark = pytest.mark.anyio
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
RELEASE = web.AppKey("release", asyncio.Event)


@dataclass
class Script:
    """Answers requests to /thing from a queue of handlers; the last one repeats."""

    handlers: list[Handler] = field(default_factory=list)
    seen: list[web.Request] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        self.seen.append(request)
        await request.read()
        handler = self.handlers.pop(0) if len(self.handlers) > 1 else self.handlers[0]
        return await handler(request)


def answer(status: int, body: object = None, headers: dict[str, str] | None = None) -> Handler:
    async def handler(_: web.Request) -> web.StreamResponse:
        return web.json_response(
            body if body is not None else {"status": status}, status=status, headers=headers
        )

    return handler


async def drop(request: web.Request) -> web.StreamResponse:
    assert request.transport is not None
    request.transport.abort()
    return web.Response(status=500)


async def hang(request: web.Request) -> web.StreamResponse:
    await request.app[RELEASE].wait()  # until teardown: longer than any client timeout here
    return web.Response()


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, Script]]:
    script = Script()
    app = web.Application()
    app[RELEASE] = asyncio.Event()
    app.router.add_route("*", "/thing", script.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}", script
    app[RELEASE].set()
    await runner.cleanup()


def make_client(
    base_url: str, time: ManualTime, metrics: HttpMetrics | None = None, **kwargs: object
) -> HttpClient:
    metrics = metrics or HttpMetrics()
    retry = RetryPolicy(sleep=time.sleep, rng=random.Random(1), base_delay_s=0.5, metrics=metrics)
    return HttpClient(base_url, "conn-1", retry=retry, metrics=metrics, **kwargs)  # type: ignore[arg-type]


async def test_a_json_answer_round_trips(server: tuple[str, Script]) -> None:
    base, script = server
    script.handlers = [answer(200, {"ok": True})]
    client = make_client(base, ManualTime(), headers={"X-Token": "t"})
    response = await client.request("POST", "/thing", json={"a": 1})
    assert response.json() == {"ok": True}
    assert script.seen[0].headers["X-Token"] == "t"
    assert script.seen[0].headers["Content-Type"] == "application/json"
    await client.aclose()


async def test_server_errors_are_retried_until_success_and_counted(server: tuple[str, Script]) -> None:
    base, script = server
    script.handlers = [answer(503), answer(500), answer(200)]
    time = ManualTime()
    client = make_client(base, time)
    assert (await client.request("GET", "/thing", operation="get-thing")).status == 200
    assert len(script.seen) == 3 and len(time.slept) == 2
    assert client.metrics.requests[("conn-1", "get-thing", "TransientError")] == 2
    assert client.metrics.requests[("conn-1", "get-thing", "ok")] == 1
    await client.aclose()


async def test_persistent_downtime_surfaces_a_transient_error_after_max_attempts(
    server: tuple[str, Script],
) -> None:
    base, script = server
    script.handlers = [answer(503)]
    client = make_client(base, ManualTime())
    with pytest.raises(TransientError) as caught:
        await client.request("GET", "/thing")
    assert caught.value.status == 503 and len(script.seen) == client.retry.max_attempts
    await client.aclose()


async def test_429_retry_after_is_honoured_by_waiting_exactly_that_long(server: tuple[str, Script]) -> None:
    base, script = server
    script.handlers = [answer(429, headers={"Retry-After": "3"}), answer(200)]
    time = ManualTime()
    limiter = TokenBucket(1000, burst=1000, monotonic=time.monotonic, sleep=time.sleep)
    client = make_client(base, time, limiter=limiter)
    await client.request("GET", "/thing")
    assert time.slept == [3.0]  # the retry slept once; the limiter's pause had already passed
    assert client.metrics.throttled_responses["conn-1"] == 1
    await client.aclose()


async def test_auth_and_request_errors_are_not_retried(server: tuple[str, Script]) -> None:
    base, script = server
    for status, kind in ((401, AuthError), (422, PermanentError)):
        script.handlers, script.seen = [answer(status)], []
        client = make_client(base, ManualTime())
        with pytest.raises(kind):
            await client.request("GET", "/thing")
        assert len(script.seen) == 1
        await client.aclose()


async def test_a_dropped_connection_is_transient_and_retried(server: tuple[str, Script]) -> None:
    base, script = server
    script.handlers = [drop, answer(200)]
    client = make_client(base, ManualTime())
    # POST: aiohttp itself may silently re-send an idempotent GET once; our policy must see the drop.
    assert (await client.request("POST", "/thing", json={})).status == 200
    assert client.metrics.requests[("conn-1", "POST /thing", "TransientError")] == 1
    await client.aclose()


async def test_a_refused_connection_is_transient() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound but not listening: connections are refused
        client = make_client(f"http://127.0.0.1:{port}", ManualTime())
        client.retry.max_attempts = 2
        with pytest.raises(TransientError, match="connection failed"):
            await client.request("GET", "/thing")
        await client.aclose()


async def test_a_client_owns_one_session_with_timeouts_and_a_connection_limit() -> None:
    client = make_client("http://127.0.0.1:9", ManualTime(), settings=HttpSettings(connection_limit=8))
    session = client._session()
    assert session is client._session()  # one session per connection, reused
    assert session.timeout.total == 30.0 and session.timeout.sock_connect == 5.0
    assert session.connector is not None and session.connector.limit == 8
    await client.aclose()
    assert session.closed


async def test_timeouts_are_classified_transient(server: tuple[str, Script]) -> None:
    base, script = server
    script.handlers = [hang]
    settings = HttpSettings(total_timeout_s=0.1, read_timeout_s=0.1)
    client = make_client(base, ManualTime(), settings=settings)
    with pytest.raises(TransientError, match="timed out"):
        await client.send("GET", "/thing")
    await client.aclose()


async def test_the_limiter_is_consulted_before_every_attempt(server: tuple[str, Script]) -> None:
    base, script = server
    script.handlers = [answer(200)]
    time = ManualTime()
    metrics = HttpMetrics()
    limiter = TokenBucket(
        2.0,
        burst=1,
        monotonic=time.monotonic,
        sleep=time.sleep,
        on_wait=lambda s: metrics.record_throttle_wait("conn-1", "limiter", s),
    )
    client = make_client(base, time, limiter=limiter, metrics=metrics)
    for _ in range(3):
        await client.request("GET", "/thing")
    assert time.slept == [pytest.approx(0.5), pytest.approx(0.5)]
    assert metrics.total_throttle_waits("conn-1") == 2
    await client.aclose()


async def test_a_non_json_body_is_a_permanent_error(server: tuple[str, Script]) -> None:
    base, script = server

    async def html(_: web.Request) -> web.StreamResponse:
        return web.Response(text="<html>", content_type="text/html")

    script.handlers = [html]
    client = make_client(base, ManualTime())
    with pytest.raises(PermanentError):
        (await client.request("GET", "/thing")).json()
    await client.aclose()


async def test_a_session_passed_in_is_used_and_not_closed(server: tuple[str, Script]) -> None:
    import aiohttp

    base, script = server
    script.handlers = [answer(200)]
    async with aiohttp.ClientSession() as session:
        client = make_client(base, ManualTime(), session=session)
        await client.request("GET", "/thing")
        await client.aclose()
        assert not session.closed
