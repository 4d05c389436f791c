"""The quarantine: rejected input kept with its reason until the data is fixed and it is retried."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from stockbridge.store.schema import quarantine


def jsonable(payload: Any) -> Any:
    """The payload as JSON data; anything JSON cannot hold is kept as its text, never dropped."""
    return json.loads(json.dumps(payload, default=str))


def quarantine_row(
    tenant_id: int, now: datetime, kind: str, source: str | None, payload: Any, error: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "tenant_id": tenant_id,
        "kind": kind,
        "source": source,
        "payload": jsonable(payload),
        "error_code": str(error.get("code", "error")),
        "field": error.get("field"),
        "message": str(error.get("message", "")),
        "status": "open",
        "attempts": 1,
        "created_at": now,
        "updated_at": now,
    }


def insert_quarantine(conn: sa.Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Keep rejected items; returns their ids in the order given."""
    if not rows:
        return []
    result = conn.execute(
        sa.insert(quarantine).returning(quarantine.c.id, sort_by_parameter_order=True), rows
    )
    return [int(row.id) for row in result]
