"""Outbound webhook delivery shared by the emulators.

Owns subscriptions (topic -> URL, with a per-subscription secret), the delivery tasks, and the
webhook faults: each emitted event gets a seeded `WebhookFate` (dropped, duplicated, delayed, held
back so the next event overtakes it). The platform supplies a `HeaderBuilder` that signs the raw
body and names the headers its way; the body bytes signed are exactly the bytes sent.
Each copy is POSTed once, then re-sent after each of `retry_delays` while it keeps failing (the
same webhook id and body, as Shopify retries); `on_result` lets a platform react to outcomes
(WooCommerce disables a webhook after repeated failures). Every attempt is counted and logged.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp

from stockbridge.domain.clock import Clock
from stockbridge.sandbox.counters import Counters
from stockbridge.sandbox.faults import FaultInjector


@dataclass(frozen=True)
class Subscription:
    id: int
    topic: str
    url: str
    secret: str


@dataclass(frozen=True)
class WebhookEvent:
    topic: str
    payload: dict[str, Any]
    event_id: str
    triggered_at: datetime


@dataclass(frozen=True)
class Delivery:
    """One HTTP POST of one event to one subscription."""

    subscription: Subscription
    event: WebhookEvent
    delivery_id: str
    body: bytes


HeaderBuilder = Callable[[Delivery], dict[str, str]]
Sleep = Callable[[float], Awaitable[None]]


@dataclass
class DeliveryRecord:
    delivery_id: str
    event_id: str
    topic: str
    url: str
    status: int | None = None
    error: str | None = None


@dataclass
class _Outbox:
    held: list[Delivery] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    backlog: list[tuple[Delivery, float]] = field(default_factory=list)


def encode_body(payload: dict[str, Any]) -> bytes:
    """Compact JSON, as the platforms send it."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookDispatcher:
    """Signs and POSTs webhook events to subscribers, applying webhook faults."""

    def __init__(
        self,
        faults: FaultInjector,
        counters: Counters,
        build_headers: HeaderBuilder,
        clock: Clock,
        sleep: Sleep = asyncio.sleep,
        success_statuses: range = range(200, 300),
    ) -> None:
        self._faults = faults
        self._counters = counters
        self._build_headers = build_headers
        self._clock = clock
        self._sleep = sleep
        self._success = success_statuses
        self._ids = itertools.count(1)
        self._delivery_ids = itertools.count(1)
        self._outbox = _Outbox()
        self._session: aiohttp.ClientSession | None = None
        self.subscriptions: dict[int, Subscription] = {}
        self.log: list[DeliveryRecord] = []
        # Delays before re-sending a failed delivery (Shopify: 8 tries over 4 h; WooCommerce: none).
        self.retry_delays: tuple[float, ...] = ()
        self.on_result: Callable[[Subscription, bool], None] | None = None

    def subscribe(self, topic: str, url: str, secret: str = "") -> Subscription:
        sub = Subscription(id=next(self._ids), topic=topic, url=url, secret=secret)
        self.subscriptions[sub.id] = sub
        return sub

    def unsubscribe(self, subscription_id: int) -> bool:
        return self.subscriptions.pop(subscription_id, None) is not None

    def emit(self, topic: str, payload: dict[str, Any], event_id: str) -> None:
        """Queue one event for every subscription to `topic`; must run on the emulator's loop."""
        event = WebhookEvent(topic, payload, event_id, self._clock.now())
        for sub in [s for s in self.subscriptions.values() if s.topic == topic]:
            self._counters.inc("webhooks_emitted")
            self._plan(Delivery(sub, event, self._new_delivery_id(), encode_body(payload)))

    def _new_delivery_id(self) -> str:
        return str(uuid.UUID(int=(0xD << 124) | next(self._delivery_ids)))

    def _plan(self, delivery: Delivery) -> None:
        fate = self._faults.webhook_fate()
        if fate.dropped:
            self._counters.inc("webhooks_dropped")
            return
        held, self._outbox.held = self._outbox.held, []
        copies = [delivery]
        if fate.copies > 1:
            self._counters.inc("webhooks_duplicated")
            copies.append(
                Delivery(delivery.subscription, delivery.event, self._new_delivery_id(), delivery.body)
            )
        if fate.hold_for_reorder:
            self._counters.inc("webhooks_reordered")
            self._outbox.held.extend(copies)
            copies = []
        if fate.delay_s:
            self._counters.inc("webhooks_delayed")
        for item in [*copies, *held]:
            self._schedule(item, fate.delay_s if item in copies else 0.0)

    def _schedule(self, delivery: Delivery, delay_s: float) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._outbox.backlog.append((delivery, delay_s))
            return
        task = loop.create_task(self._deliver(delivery, delay_s))
        self._outbox.tasks.add(task)
        task.add_done_callback(self._outbox.tasks.discard)

    def release_backlog(self) -> None:
        """Schedule events emitted before the loop ran (e.g. while seeding)."""
        backlog, self._outbox.backlog = self._outbox.backlog, []
        for delivery, delay in backlog:
            self._schedule(delivery, delay)

    async def drain(self) -> int:
        """Release held events and wait until every scheduled delivery has finished."""
        self.release_backlog()
        held, self._outbox.held = self._outbox.held, []
        for delivery in held:
            self._schedule(delivery, 0.0)
        waited = 0
        while self._outbox.tasks:
            pending = list(self._outbox.tasks)
            waited += len(pending)
            await asyncio.gather(*pending, return_exceptions=True)
        return waited

    async def close(self) -> None:
        for task in list(self._outbox.tasks):
            task.cancel()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _post(self, delivery: Delivery, headers: dict[str, str]) -> int:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5, connect=1))
        async with self._session.post(delivery.subscription.url, data=delivery.body, headers=headers) as resp:
            await resp.read()
            return resp.status

    async def _deliver(self, delivery: Delivery, delay_s: float, attempt: int = 0) -> None:
        if delay_s:
            await self._sleep(delay_s)
        if delivery.subscription.id not in self.subscriptions:
            return
        record = DeliveryRecord(
            delivery.delivery_id, delivery.event.event_id, delivery.event.topic, delivery.subscription.url
        )
        self.log.append(record)
        await self._send(delivery, record)
        ok = record.status is not None and record.status in self._success
        self._counters.inc("webhooks_sent" if ok else "webhooks_failed")
        if self.on_result is not None:
            self.on_result(delivery.subscription, ok)
        if not ok and attempt < len(self.retry_delays):
            self._counters.inc("webhooks_retried")
            await self._deliver(delivery, self.retry_delays[attempt], attempt + 1)

    async def _send(self, delivery: Delivery, record: DeliveryRecord) -> None:
        headers = {"Content-Type": "application/json", **self._build_headers(delivery)}
        for connection_try in (1, 2):
            try:
                record.status = await self._post(delivery, headers)
                record.error = None
                return
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as exc:
                # A kept-alive connection the subscriber already closed: one fresh attempt, as HTTP
                # clients do; this is transport hygiene, not the platform's retry schedule.
                record.error = type(exc).__name__
                if connection_try == 2:
                    return
            except (aiohttp.ClientError, TimeoutError) as exc:
                record.error = type(exc).__name__
                return
