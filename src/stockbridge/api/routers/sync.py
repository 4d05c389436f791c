"""Channel sync as the API shows it: `GET /sync/breakers`, the circuit breaker of each
connection's channel as the sync worker last recorded it (`closed` when never recorded)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from stockbridge.api.deps import Ctx
from stockbridge.sync.breaker_store import list_breakers

router = APIRouter(prefix="/sync", tags=["sync"])


class BreakerOut(BaseModel):
    connection: str
    channel: str
    state: Literal["closed", "half_open", "open"]
    since: datetime | None = Field(description="When it entered `state` (open: when it opened).")
    retry_at: datetime | None = Field(description="Open: when the worker may send a probe call.")
    consecutive_failures: int
    last_error: str | None = Field(description="Short, credentials masked.")
    updated_at: datetime | None = Field(description="When the worker last recorded it.")
    enabled: bool = Field(description="Whether the connection is synced.")


@router.get("/breakers", response_model=list[BreakerOut])
def list_channel_breakers(
    ctx: Ctx, channel: Annotated[str | None, Query(description="Only this channel.")] = None
) -> list[BreakerOut]:
    return [BreakerOut.model_validate(b, from_attributes=True) for b in list_breakers(ctx, channel=channel)]
