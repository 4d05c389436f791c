"""Response bodies that explain numbers: available-to-sell, explain, quarantine and verify."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from stockbridge.api.schemas_common import InputModel


class AtpRulesOut(BaseModel):
    buffer: int
    max_quantity: int | None
    share_percent: int
    stop_below: int


class AtpStepOut(BaseModel):
    rule: str
    detail: str
    before: int
    after: int


class ComponentSupplyOut(BaseModel):
    sku: str
    per_bundle: int
    available: int


class LocationSupplyOut(BaseModel):
    location: str
    online: bool
    available: int
    counted: int
    components: list[ComponentSupplyOut]


class AtpBreakdownOut(BaseModel):
    quantity: int
    steps: list[AtpStepOut] = Field(description="Each rule with the value before and after it.")
    locations: list[LocationSupplyOut]


class ListingAtpOut(AtpBreakdownOut):
    channel: str
    sku: str
    available_to_sell: int
    rules: AtpRulesOut = Field(description="The rules in effect (the listing's, else the channel's).")


class LedgerEventOut(BaseModel):
    event_id: int
    type: str
    idempotency_key: str
    source: str | None
    reference: str | None
    reason: str | None
    recorded_at: str
    changes: dict[str, int]


class BalanceExplainOut(BaseModel):
    sku: str
    location: str
    balance: dict[str, int]
    formula: str
    ledger_totals: dict[str, int]
    consistent_with_ledger: bool
    recent_events: list[LedgerEventOut]


class ListingExplainOut(AtpBreakdownOut):
    channel: str
    sku: str
    recent_events: dict[str, list[LedgerEventOut]] = Field(description='"SKU@LOCATION" -> events')


class QuarantinedOut(BaseModel):
    id: int
    kind: str
    source: str | None
    payload: Any
    error_code: str
    field: str | None
    message: str
    status: str
    attempts: int
    created_at: datetime
    updated_at: datetime


class DiscardIn(InputModel):
    reason: str = Field(min_length=1)


class RetryIn(InputModel):
    ids: list[int] = Field(min_length=1, max_length=1000)


class MismatchOut(BaseModel):
    sku_id: int
    location_id: int
    live: dict[str, int]
    rebuilt: dict[str, int]


class VerifyOut(BaseModel):
    consistent: bool
    mismatches: list[MismatchOut]
