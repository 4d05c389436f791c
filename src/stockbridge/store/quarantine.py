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


def insert_quarantine(
    conn: sa.Connection,
    tenant_id: int,
    now: datetime,
    kind: str,
    source: str | None,
    payload: Any,
    error: Mapping[str, Any],
) -> int:
    row = {
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
    return int(conn.execute(sa.insert(quarantine).returning(quarantine.c.id), row).scalar_one())
