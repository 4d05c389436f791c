"""SKUs: define (PUT, idempotent), read, list, and bind one more alias."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from stockbridge.api.deps import Ctx
from stockbridge.api.schemas_catalog import AliasIn, SkuIn, SkuOut
from stockbridge.api.schemas_common import problem_responses
from stockbridge.services import catalog_skus
from stockbridge.services.catalog_skus import SkuView

router = APIRouter(prefix="/skus", tags=["catalog"])


def _out(view: SkuView) -> SkuOut:
    return SkuOut.model_validate(view, from_attributes=True)


@router.put("/{code}", response_model=SkuOut, responses=problem_responses(409, 422))
def put_sku(code: str, body: SkuIn, ctx: Ctx) -> SkuOut:
    """Create or update a SKU with its units, aliases and (for a bundle) components."""
    return _out(catalog_skus.define_sku(ctx, body.to_spec(code)))


@router.get("", response_model=list[SkuOut])
def list_skus(
    ctx: Ctx,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    after: Annotated[str | None, Query(description="Page on: the last code seen.")] = None,
) -> list[SkuOut]:
    return [_out(v) for v in catalog_skus.list_skus(ctx, limit=limit, after=after)]


@router.get("/{code}", response_model=SkuOut, responses=problem_responses(404))
def get_sku(code: str, ctx: Ctx) -> SkuOut:
    return _out(catalog_skus.get_sku(ctx, code))


@router.post("/{code}/aliases", response_model=SkuOut, responses=problem_responses(404, 409))
def add_alias(code: str, body: AliasIn, ctx: Ctx) -> SkuOut:
    """Bind an alias on a connection; one that already names another SKU is a 409."""
    return _out(catalog_skus.add_alias(ctx, code, body.connection, body.alias))
