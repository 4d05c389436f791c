"""Feed `StockRow`s to `ingest_events` in batches (one transaction each) and say, per row, what
became of it. Rows the file reader already rejected are put in the quarantine here, so every
rejected row, whatever the reason, can be listed and discarded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from stockbridge.cli_commands.stock_formats import StockRow
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.store.quarantine import insert_quarantine, quarantine_row

BATCH_SIZE = 1000
KIND = "event"


@dataclass(frozen=True)
class RowResult:
    where: str
    status: str  # applied | duplicate | quarantined
    idempotency_key: str | None = None
    field: str | None = None
    message: str | None = None
    quarantine_id: int | None = None


@dataclass
class StockImportReport:
    source: str
    results: list[RowResult] = field(default_factory=list)

    def summary(self) -> dict[str, int]:
        counts = {"applied": 0, "duplicate": 0, "quarantined": 0}
        for r in self.results:
            counts[r.status] += 1
        return counts

    @property
    def rejected(self) -> list[RowResult]:
        return [r for r in self.results if r.status == "quarantined"]

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, **self.summary(), "rejected": [r.__dict__ for r in self.rejected]}


def import_stock(
    ctx: HubContext,
    rows: Sequence[StockRow],
    *,
    source: str,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int], None] = lambda _n: None,
) -> StockImportReport:
    """Apply every row; `on_batch(n)` after each batch of n rows (for a progress bar)."""
    report = StockImportReport(source)
    for start in range(0, len(rows), batch_size):
        batch = rows[start : start + batch_size]
        report.results += _import_batch(ctx, batch, source)
        on_batch(len(batch))
    return report


def _import_batch(ctx: HubContext, batch: Sequence[StockRow], source: str) -> list[RowResult]:
    readable = [row for row in batch if row.error is None]
    outcomes = iter(ingest_events(ctx, [r.payload for r in readable], source=source).outcomes)
    unreadable = iter(_quarantine_unreadable(ctx, [r for r in batch if r.error is not None], source))
    results = []
    for row in batch:
        if row.error is not None:
            results.append(next(unreadable))
            continue
        o = next(outcomes)
        error = o.error or {}
        results.append(
            RowResult(
                row.where,
                o.status,
                o.idempotency_key,
                error.get("field"),
                error.get("message"),
                o.quarantine_id,
            )
        )
    return results


def _quarantine_unreadable(ctx: HubContext, rows: list[StockRow], source: str) -> list[RowResult]:
    if not rows:
        return []

    def work(conn: sa.Connection) -> list[RowResult]:
        now = ctx.clock.now()
        ids = insert_quarantine(
            conn,
            [quarantine_row(ctx.tenant_id, now, KIND, source, row.payload, _malformed(row)) for row in rows],
        )
        return [
            RowResult(row.where, "quarantined", None, "$", row.error, qid)
            for row, qid in zip(rows, ids, strict=True)
        ]

    return ctx.write(work)


def _malformed(row: StockRow) -> dict[str, str]:
    return {"code": "malformed_row", "message": f"{row.where}: {row.error}", "field": "$"}
