"""Request and response bodies for stock movements: events, reservations and balances.

Event payloads are *documented* here but passed to the domain parser as raw JSON, so that a
malformed event is quarantined with the field named, exactly as one arriving from a connector.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from stockbridge.api.schemas_common import InputModel

MAX_BULK_EVENTS = 5000

Quantity = Annotated[
    Any,
    WithJsonSchema(
        {
            "anyOf": [{"type": "integer"}, {"type": "number"}, {"type": "string"}],
            "description": "A whole number of `unit` (or of the base unit); decimal strings allowed.",
        }
    ),
]


class EventLineIn(BaseModel):
    sku: str = Field(description="SKU code, or an alias on `connection`.")
    location: str = Field(description="Location code, or its external code on `connection`.")
    quantity: Quantity
    unit: str | None = None
    to_location: str | None = Field(default=None, description="transfer_out: where it goes.")
    disposition: Literal["restock", "damaged", "quality_control"] | None = None
    from_state: str | None = None
    to_state: str | None = None


class EventIn(BaseModel):
    """One inventory event. A single-line event may also be written flat (sku, location, ...)."""

    type: str = Field(examples=["receipt"], description="receipt, expected, sale, fulfil, return, ...")
    idempotency_key: str | None = Field(default=None, description="Defaults to the content hash.")
    lines: list[EventLineIn] | None = None
    source: str | None = None
    connection: str | None = None
    reference: str | None = None
    reason: str | None = Field(default=None, description="Required for adjustments.")
    occurred_at: datetime | None = None


class BulkEventsIn(InputModel):
    events: list[Any] = Field(
        min_length=1,
        max_length=MAX_BULK_EVENTS,
        json_schema_extra={"items": {"$ref": "#/components/schemas/EventIn"}},
    )
    source: str | None = Field(default=None, description="Recorded with any quarantined event.")


class EventOutcomeOut(BaseModel):
    index: int
    status: Literal["applied", "duplicate", "quarantined"]
    idempotency_key: str | None = None
    event_id: int | None = None
    quarantine_id: int | None = None
    error: dict[str, Any] | None = None


class BulkEventsOut(BaseModel):
    summary: dict[str, int]
    outcomes: list[EventOutcomeOut]


class ReserveLineIn(InputModel):
    sku: str = Field(min_length=1)
    quantity: Quantity
    location: str | None = Field(default=None, description="Omit to let the channel's locations decide.")
    unit: str | None = None


class ReserveIn(InputModel):
    idempotency_key: str | None = Field(
        default=None, min_length=1, description="Or send the Idempotency-Key header."
    )
    lines: list[ReserveLineIn] = Field(min_length=1)
    ttl_s: int = Field(default=900, description="Seconds until the hold expires.")
    channel: str | None = None
    connection: str | None = None
    reference: str | None = None


class ExtendIn(InputModel):
    ttl_s: int = Field(description="New expiry, counted from now.")


class ReservationLineOut(BaseModel):
    sku: str
    location: str
    quantity: int


class ReservationOut(BaseModel):
    id: str
    status: str
    idempotency_key: str
    channel: str | None
    reference: str | None
    expires_at: datetime
    lines: list[ReservationLineOut]
    duplicate: bool = False


class BalanceOut(BaseModel):
    sku: str
    location: str
    on_hand: int
    committed: int
    reserved: int
    incoming: int
    in_transit: int
    damaged: int
    quality_control: int
    safety_stock: int
    available: int
