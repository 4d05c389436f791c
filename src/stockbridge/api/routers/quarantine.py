"""The quarantine over HTTP: what was rejected and why; retry after fixing the data, or discard."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from stockbridge.api.deps import Ctx
from stockbridge.api.schemas_common import problem_responses
from stockbridge.api.schemas_views import DiscardIn, QuarantinedOut, RetryIn
from stockbridge.services import quarantine
from stockbridge.services.quarantine import QuarantinedItem

router = APIRouter(prefix="/quarantine", tags=["quarantine"])

Status = Literal["open", "resolved", "discarded", "all"]


def _out(item: QuarantinedItem) -> QuarantinedOut:
    return QuarantinedOut.model_validate(item, from_attributes=True)


@router.get("", response_model=list[QuarantinedOut])
def list_quarantine(
    ctx: Ctx,
    status: Annotated[Status, Query()] = "open",
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[QuarantinedOut]:
    items = quarantine.list_quarantine(ctx, status=None if status == "all" else status, limit=limit)
    return [_out(i) for i in items]


@router.get("/{item_id}", response_model=QuarantinedOut, responses=problem_responses(404))
def get_quarantined(item_id: int, ctx: Ctx) -> QuarantinedOut:
    return _out(quarantine.get_quarantined(ctx, item_id))


@router.post("/{item_id}/retry", response_model=QuarantinedOut, responses=problem_responses(404, 409))
def retry_one(item_id: int, ctx: Ctx) -> QuarantinedOut:
    """Apply the item again: `resolved` if it now applies, else still `open` with the new reason."""
    (item,) = quarantine.retry_quarantined(ctx, [item_id])
    return _out(item)


@router.post("/retry", response_model=list[QuarantinedOut], responses=problem_responses(404, 409))
def retry_many(body: RetryIn, ctx: Ctx) -> list[QuarantinedOut]:
    """Retry several open items in one transaction, in the order given."""
    return [_out(i) for i in quarantine.retry_quarantined(ctx, body.ids)]


@router.post("/{item_id}/discard", response_model=QuarantinedOut, responses=problem_responses(404, 409))
def discard(item_id: int, body: DiscardIn, ctx: Ctx) -> QuarantinedOut:
    return _out(quarantine.discard_quarantined(ctx, item_id, body.reason))
