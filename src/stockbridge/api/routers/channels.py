"""Channels (with default rules and feeding locations) and their listings (channel x SKU)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import Ctx
from stockbridge.api.schemas_catalog import ChannelIn, ChannelOut, ListingIn, ListingOut, RulesOut
from stockbridge.api.schemas_common import problem_responses
from stockbridge.services import availability, catalog_places
from stockbridge.services.availability import ListingAtp
from stockbridge.services.catalog_places import ChannelSpec, ListingSpec

channels_router = APIRouter(prefix="/channels", tags=["channels"])
listings_router = APIRouter(prefix="/listings", tags=["channels"])


@channels_router.put("/{code}", response_model=ChannelOut, responses=problem_responses(422))
def put_channel(code: str, body: ChannelIn, ctx: Ctx) -> ChannelOut:
    spec = ChannelSpec(code, body.name, body.platform, tuple(body.locations), body.rules.to_rules())
    return ChannelOut.model_validate(catalog_places.define_channel(ctx, spec))


@channels_router.get("", response_model=list[ChannelOut])
def list_channels(ctx: Ctx) -> list[ChannelOut]:
    return [ChannelOut.model_validate(row) for row in catalog_places.list_channels(ctx)]


@channels_router.get("/{code}", response_model=ChannelOut, responses=problem_responses(404))
def get_channel(code: str, ctx: Ctx) -> ChannelOut:
    return ChannelOut.model_validate(catalog_places.get_channel(ctx, code))


def listing_out(atp: ListingAtp) -> ListingOut:
    return ListingOut(
        channel=atp.channel,
        sku=atp.sku,
        rules=RulesOut.model_validate(atp.rules, from_attributes=True),
        locations=[s.location for s in atp.result.supplies],
        available_to_sell=atp.result.quantity,
    )


@listings_router.put("/{channel}/{sku}", response_model=ListingOut, responses=problem_responses(404, 422))
def put_listing(channel: str, sku: str, body: ListingIn, ctx: Ctx) -> ListingOut:
    """List a SKU on a channel; rules left out (and `locations: null`) follow the channel."""
    locations = tuple(body.locations) if body.locations is not None else None
    catalog_places.define_listing(ctx, ListingSpec(channel, sku, body.rules.to_rules(), locations))
    return listing_out(availability.listing_atp(ctx, channel, sku))


@listings_router.get("", response_model=list[ListingOut])
def list_listings(
    ctx: Ctx,
    channel: Annotated[str | None, Query()] = None,
    sku: Annotated[str | None, Query()] = None,
) -> list[ListingOut]:
    return [listing_out(atp) for atp in availability.listings_atp(ctx, channel=channel, sku=sku)]


@listings_router.get("/{channel}/{sku}", response_model=ListingOut, responses=problem_responses(404))
def get_listing(channel: str, sku: str, ctx: Ctx) -> ListingOut:
    return listing_out(availability.listing_atp(ctx, channel, sku))
