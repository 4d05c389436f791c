"""A hand-written in-memory channel implementing the `Connector` protocol, with switches for faults.

State: variants, locations and levels per (item, location). Writes honour compare-and-set when
the capabilities say so (a stale `expected` is refused with the level the channel holds), or
apply the delta `quantity - expected` otherwise. Switches:

    outage            every call raises `TransientError` (the channel is down)
    fail_next         exceptions raised by the next calls, one per call, in order
    item_errors       item id -> exception reported as a `failed` outcome for that item
    before_write      called (awaited) at the start of every `set_levels`: the test's seam to
                      interleave something "while the push is in flight"
    sell()            the channel takes a sale the hub has not seen (moves the remote level)

Every call is recorded (`calls`, `reads`) so tests can count API calls and inspect batches.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

from stockbridge.connectors.base import (
    Capabilities,
    LevelChange,
    OrderCursor,
    PushOutcome,
    RemoteLevel,
    RemoteLocation,
    RemoteOrder,
    RemoteVariant,
    WebhookMessage,
)
from stockbridge.connectors.errors import TransientError

Key = tuple[str, str | None]


@dataclass
class FakeChannel:
    connection: str = "fake-shop"
    capabilities: Capabilities = field(
        default_factory=lambda: Capabilities(
            webhooks=True, compare_and_set=True, max_batch=250, rate_limit_model="none", multi_location=False
        )
    )
    platform: str = "fake"
    webhook_secret: bytes = b"fake-secret"
    remote_variants: list[RemoteVariant] = field(default_factory=list)
    remote_locations: list[RemoteLocation] = field(default_factory=list)
    remote_levels: dict[Key, int] = field(default_factory=dict)
    remote_orders: list[RemoteOrder] = field(default_factory=list)
    outage: bool = False
    fail_next: list[Exception] = field(default_factory=list)
    item_errors: dict[str, Exception] = field(default_factory=dict)
    before_write: Callable[[Sequence[LevelChange]], Awaitable[None]] | None = None
    calls: list[list[LevelChange]] = field(default_factory=list)
    reads: list[list[str] | None] = field(default_factory=list)
    closed: bool = False

    # --- test helpers ---------------------------------------------------------------------
    def add_item(
        self, item_id: str, sku: str | None, quantity: int | None = None, location: str | None = None
    ) -> None:
        self.remote_variants.append(
            RemoteVariant(item_id, sku, title=sku or item_id, variant_id=f"v{item_id}")
        )
        if quantity is not None:
            self.remote_levels[(item_id, location)] = quantity

    def sell(self, item_id: str, quantity: int, location: str | None = None) -> None:
        self.remote_levels[(item_id, location)] -= quantity

    def level(self, item_id: str, location: str | None = None) -> int | None:
        return self.remote_levels.get((item_id, location))

    # --- the Connector protocol ----------------------------------------------------------------
    async def check(self) -> None:
        self._gate()

    async def locations(self) -> AsyncIterator[RemoteLocation]:  # type: ignore[override]
        self._gate()
        for location in self.remote_locations:
            yield location

    async def variants(self) -> AsyncIterator[RemoteVariant]:  # type: ignore[override]
        self._gate()
        for variant in self.remote_variants:
            yield variant

    async def levels(self, item_ids: Sequence[str] | None = None) -> AsyncIterator[RemoteLevel]:  # type: ignore[override]
        self.reads.append(None if item_ids is None else list(item_ids))
        self._gate()
        wanted = None if item_ids is None else set(item_ids)
        for (item, location), available in sorted(
            self.remote_levels.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            if wanted is None or item in wanted:
                yield RemoteLevel(item, location, available)

    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]:
        assert len(changes) <= self.capabilities.max_batch, "batch larger than max_batch"
        self.calls.append(list(changes))
        if self.before_write is not None:
            await self.before_write(changes)
        self._gate()
        return [self._apply(change) for change in changes]

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        self._gate()
        after = cursor.updated_after
        fresh = [
            o
            for o in sorted(self.remote_orders, key=lambda o: (o.updated_at, o.order_id))
            if (after is None or o.updated_at >= after) and o.order_id not in cursor.seen
        ][:limit]
        if not fresh:
            return [], cursor
        last = fresh[-1].updated_at
        seen = {o.order_id for o in fresh if o.updated_at == last}
        return fresh, OrderCursor(last, frozenset(seen | (cursor.seen if last == after else set())))

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        expected = hmac.new(self.webhook_secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, headers.get("x-fake-signature", ""))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        import json

        return WebhookMessage(
            headers.get("x-fake-topic", ""), headers.get("x-fake-delivery", ""), json.loads(body)
        )

    async def aclose(self) -> None:
        self.closed = True

    # --- internals -------------------------------------------------------------------------------
    def _gate(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)
        if self.outage:
            raise TransientError("channel down", connection=self.connection, status=503)

    def _apply(self, change: LevelChange) -> PushOutcome:
        if change.item_id in self.item_errors:
            return PushOutcome(change, "failed", error=self.item_errors[change.item_id])
        key = (change.item_id, change.location_id)
        current = self.remote_levels.get(key)
        if change.expected is None:
            self.remote_levels[key] = change.quantity
        elif self.capabilities.compare_and_set:
            if current != change.expected:
                return PushOutcome(change, "stale", remote_quantity=current)
            self.remote_levels[key] = change.quantity
        else:
            self.remote_levels[key] = (current or 0) + change.quantity - change.expected
        return PushOutcome(change, "applied", remote_quantity=self.remote_levels[key])
