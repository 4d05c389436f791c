"""The one shape of every platform connector, and the values that cross it.

A connector is built from a typed config (pydantic, at the edge) plus the shared HTTP client, and
offers: `check` (can we connect, with these credentials?), streams to read (locations, variants,
inventory levels, orders) with explicit cursors, `set_levels` (the outbound writer), and webhook
verification + parsing. It declares its `Capabilities`, which the sync engine reads to batch,
throttle and choose compare-and-set or delta. External ids are always strings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol


@dataclass(frozen=True)
class Capabilities:
    webhooks: bool
    compare_and_set: bool  # the platform can refuse a write whose "from" value is stale
    max_batch: int  # level changes per outbound call
    rate_limit_model: Literal["cost_bucket", "requests_per_second", "none"]
    multi_location: bool  # levels are per remote location (else one number per item)


@dataclass(frozen=True)
class RemoteLocation:
    location_id: str
    name: str
    active: bool = True


@dataclass(frozen=True)
class RemoteVariant:
    """A sellable item on the platform; `item_id` is what inventory writes address."""

    item_id: str
    sku: str | None
    title: str = ""
    product_id: str | None = None
    variant_id: str | None = None
    tracked: bool = True
    updated_at: datetime | None = None


@dataclass(frozen=True)
class RemoteLevel:
    item_id: str
    location_id: str | None
    available: int


@dataclass(frozen=True)
class LevelChange:
    """Set one remote level to `quantity`. `expected` is the last value the channel acknowledged:
    the compare-and-set "from" value, or the base of a delta where the platform has no CAS."""

    item_id: str
    location_id: str | None
    quantity: int
    expected: int | None
    reference: str = ""  # our own id for correlation (e.g. listing id), echoed in the outcome


PushStatus = Literal["applied", "stale", "failed"]


@dataclass(frozen=True)
class PushOutcome:
    change: LevelChange
    status: PushStatus
    remote_quantity: int | None = None  # what the channel holds now, when it told us
    error: Exception | None = None
    # sales the channel took between a read-then-write connector's read and its write: the
    # absolute level written does not reflect them (WooCommerce), so the hub must not assume it does
    overwritten: int = 0
    # what the channel held just before our write, when a read-then-write connector read it
    observed_before: int | None = None
    # every sale the channel took from that read to the answer of our last write, the overwritten
    # ones included (a connector that corrects an overwrite reports them here, not as overwritten)
    sold_meanwhile: int = 0


@dataclass(frozen=True)
class OrderLine:
    item_id: str | None
    sku: str | None
    quantity: int
    location_id: str | None = None


@dataclass(frozen=True)
class RemoteOrder:
    order_id: str
    status: Literal["open", "cancelled", "fulfilled", "refunded"]
    updated_at: datetime
    lines: tuple[OrderLine, ...]
    raw: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderCursor:
    """Orders updated at or after `updated_after` (minus the poller's look-back), `seen` being the
    ids already processed at exactly that instant (dedupe on ties)."""

    updated_after: datetime | None = None
    seen: frozenset[str] = frozenset()


@dataclass(frozen=True)
class WebhookMessage:
    topic: str
    delivery_id: str  # the platform's id for this delivery/event: the inbox's dedupe key
    payload: Mapping[str, Any]
    triggered_at: datetime | None = None


class Connector(Protocol):
    platform: str
    connection: str
    capabilities: Capabilities

    async def check(self) -> None:
        """Raise a ConnectorError unless credentials and connectivity are good."""

    def locations(self) -> AsyncIterator[RemoteLocation]: ...

    def variants(self) -> AsyncIterator[RemoteVariant]: ...

    def levels(self, item_ids: Sequence[str] | None = None) -> AsyncIterator[RemoteLevel]: ...

    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]:
        """At most `capabilities.max_batch` changes; one outcome per change, in order."""

    async def orders(
        self, cursor: OrderCursor, *, limit: int = 250
    ) -> tuple[list[RemoteOrder], OrderCursor]: ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Constant-time signature check over the raw body."""

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage: ...

    async def aclose(self) -> None: ...
