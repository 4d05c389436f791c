"""Reading stock: balances, available-to-sell per listing and per channel, explanations of both,
and the check that every balance still equals what its ledger adds up to.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import Ctx
from stockbridge.api.schemas_common import problem_responses
from stockbridge.api.schemas_stock import BalanceOut
from stockbridge.api.schemas_views import (
    BalanceExplainOut,
    ListingAtpOut,
    ListingExplainOut,
    MismatchOut,
    VerifyOut,
)
from stockbridge.services import availability, explain, verify
from stockbridge.services.availability import ListingAtp

router = APIRouter(tags=["stock"])


def _atp_out(atp: ListingAtp) -> ListingAtpOut:
    return ListingAtpOut.model_validate(atp.as_dict())


@router.get("/balances", response_model=list[BalanceOut])
def list_balances(
    ctx: Ctx,
    sku: Annotated[str | None, Query(description="Only this SKU code.")] = None,
    location: Annotated[str | None, Query(description="Only this location code.")] = None,
    limit: Annotated[int, Query(ge=1, le=10000)] = 1000,
) -> list[BalanceOut]:
    views = availability.list_balances(ctx, sku=sku, location=location, limit=limit)
    return [BalanceOut.model_validate(v.as_dict()) for v in views]


@router.get(
    "/balances/{sku}/{location}/explain", response_model=BalanceExplainOut, responses=problem_responses(404)
)
def explain_balance(
    sku: str, location: str, ctx: Ctx, recent: Annotated[int, Query(ge=0, le=500)] = 20
) -> BalanceExplainOut:
    """Each counter, the formula for available, the ledger re-derivation and the recent events."""
    return BalanceExplainOut.model_validate(explain.explain_balance(ctx, sku, location, recent=recent))


@router.get("/available-to-sell", response_model=list[ListingAtpOut])
def list_available_to_sell(
    ctx: Ctx,
    channel: Annotated[str | None, Query()] = None,
    sku: Annotated[str | None, Query()] = None,
) -> list[ListingAtpOut]:
    return [_atp_out(a) for a in availability.listings_atp(ctx, channel=channel, sku=sku)]


@router.get("/channels/{channel}/available-to-sell", response_model=list[ListingAtpOut])
def channel_available_to_sell(channel: str, ctx: Ctx) -> list[ListingAtpOut]:
    """Available-to-sell of every listing on one channel."""
    return [_atp_out(a) for a in availability.listings_atp(ctx, channel=channel)]


@router.get(
    "/listings/{channel}/{sku}/available-to-sell",
    response_model=ListingAtpOut,
    responses=problem_responses(404),
)
def listing_available_to_sell(channel: str, sku: str, ctx: Ctx) -> ListingAtpOut:
    return _atp_out(availability.listing_atp(ctx, channel, sku))


@router.get(
    "/listings/{channel}/{sku}/explain", response_model=ListingExplainOut, responses=problem_responses(404)
)
def explain_listing(
    channel: str, sku: str, ctx: Ctx, recent: Annotated[int, Query(ge=0, le=500)] = 10
) -> ListingExplainOut:
    """The available-to-sell steps plus the balances and recent events of every feeding location."""
    data = explain.explain_listing(ctx, channel, sku, recent=recent)
    return ListingExplainOut.model_validate({"channel": channel, "sku": sku, **data})


@router.get("/verify", response_model=VerifyOut)
def verify_balances(ctx: Ctx) -> VerifyOut:
    """Re-derive every balance from the ledger and list any that differ (none, normally)."""
    mismatches = [
        MismatchOut(
            sku_id=m.sku_id, location_id=m.location_id, live=m.live.as_dict(), rebuilt=m.rebuilt.as_dict()
        )
        for m in verify.verify_balances(ctx)
    ]
    return VerifyOut(consistent=not mismatches, mismatches=mismatches)
