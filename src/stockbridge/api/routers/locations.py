"""Locations: define (PUT), read, list, and switch online/offline (PATCH)."""

from __future__ import annotations

from fastapi import APIRouter

from stockbridge.api.deps import Ctx
from stockbridge.api.schemas_catalog import LocationIn, LocationOnlineIn, LocationOut
from stockbridge.api.schemas_common import problem_responses
from stockbridge.services import catalog_places

router = APIRouter(prefix="/locations", tags=["catalog"])


@router.put("/{code}", response_model=LocationOut, responses=problem_responses(422))
def put_location(code: str, body: LocationIn, ctx: Ctx) -> LocationOut:
    return LocationOut.model_validate(catalog_places.define_location(ctx, body.to_spec(code)))


@router.get("", response_model=list[LocationOut])
def list_locations(ctx: Ctx) -> list[LocationOut]:
    return [LocationOut.model_validate(row) for row in catalog_places.list_locations(ctx)]


@router.get("/{code}", response_model=LocationOut, responses=problem_responses(404))
def get_location(code: str, ctx: Ctx) -> LocationOut:
    return LocationOut.model_validate(catalog_places.get_location(ctx, code))


@router.patch("/{code}", response_model=LocationOut, responses=problem_responses(404))
def set_online(code: str, body: LocationOnlineIn, ctx: Ctx) -> LocationOut:
    """An offline location's stock stops counting towards any channel's available-to-sell."""
    return LocationOut.model_validate(catalog_places.set_location_online(ctx, code, body.online))
