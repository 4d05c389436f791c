"""Working the quarantine: list what was rejected and why, retry after fixing data, or discard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from stockbridge.errors import InvalidStateError, NotFoundError
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import apply_payloads
from stockbridge.store.schema import quarantine

_q = quarantine.c


@dataclass(frozen=True)
class QuarantinedItem:
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


def list_quarantine(
    ctx: HubContext, *, status: str | None = "open", limit: int = 100
) -> list[QuarantinedItem]:
    query = sa.select(quarantine).where(_q.tenant_id == ctx.tenant_id).order_by(_q.id).limit(limit)
    if status:
        query = query.where(_q.status == status)
    with ctx.read() as conn:
        return [_item(row._mapping) for row in conn.execute(query)]


def get_quarantined(ctx: HubContext, item_id: int) -> QuarantinedItem:
    with ctx.read() as conn:
        row = conn.execute(
            sa.select(quarantine).where(_q.tenant_id == ctx.tenant_id, _q.id == item_id)
        ).first()
    if row is None:
        raise NotFoundError(f"no quarantined item {item_id}", id=item_id)
    return _item(row._mapping)


def retry_quarantined(ctx: HubContext, item_ids: Sequence[int]) -> list[QuarantinedItem]:
    """Apply each open item again; it becomes `resolved` if it now applies (or is a duplicate)."""

    def work(conn: sa.Connection) -> None:
        for item_id in item_ids:
            row = _open_row(conn, ctx, item_id)
            if row.kind != "event":
                raise InvalidStateError(
                    f"quarantined item {item_id} is a {row.kind}, not an event", id=item_id
                )
            (outcome,) = apply_payloads(conn, ctx, [row.payload])
            values: dict[str, Any] = {"attempts": row.attempts + 1, "updated_at": ctx.clock.now()}
            if outcome.error is None:
                values["status"] = "resolved"
            else:
                values |= {
                    "error_code": str(outcome.error.get("code")),
                    "field": outcome.error.get("field"),
                    "message": str(outcome.error.get("message")),
                }
            conn.execute(sa.update(quarantine).where(_q.id == item_id).values(**values))

    ctx.write(work)
    return [get_quarantined(ctx, i) for i in item_ids]


def discard_quarantined(ctx: HubContext, item_id: int, reason: str) -> QuarantinedItem:
    def work(conn: sa.Connection) -> None:
        _open_row(conn, ctx, item_id)
        conn.execute(
            sa.update(quarantine)
            .where(_q.id == item_id)
            .values(status="discarded", message=f"discarded: {reason}", updated_at=ctx.clock.now())
        )

    ctx.write(work)
    return get_quarantined(ctx, item_id)


def _open_row(conn: sa.Connection, ctx: HubContext, item_id: int) -> Any:
    row = conn.execute(sa.select(quarantine).where(_q.tenant_id == ctx.tenant_id, _q.id == item_id)).first()
    if row is None:
        raise NotFoundError(f"no quarantined item {item_id}", id=item_id)
    if row.status != "open":
        raise InvalidStateError(f"quarantined item {item_id} is {row.status}, not open", id=item_id)
    return row


def _item(row: Any) -> QuarantinedItem:
    return QuarantinedItem(**{name: row[name] for name in QuarantinedItem.__dataclass_fields__})
