"""Feed `StockRow`s to `ingest_events` in batches (one transaction each) and say, per row, what
became of it. Rows the file reader already rejected, and rows the database itself refuses, are
put in the quarantine here, so every rejected row, whatever the reason, can be listed, retried
and discarded the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from stockbridge.cli_commands.stock_formats import StockRow
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import EventOutcome, ingest_events
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
    results: dict[int, RowResult] = {}
    refused = [(i, row) for i, row in enumerate(batch) if row.error is not None]
    readable = [(i, row) for i, row in enumerate(batch) if row.error is None]
    for (i, row), outcome in _ingest(ctx, readable, source):
        if isinstance(outcome, str):
            refused.append((i, replace(row, error=outcome)))
        else:
            results[i] = _result(row, outcome)
    results.update(_quarantine_refused(ctx, refused, source))
    return [results[i] for i in range(len(batch))]


Numbered = list[tuple[int, StockRow]]


def _ingest(
    ctx: HubContext, rows: Numbered, source: str
) -> list[tuple[tuple[int, StockRow], EventOutcome | str]]:
    """One transaction for the batch. Should the database itself refuse a value (e.g. a key longer
    than its column) the whole transaction is lost, so the batch is halved until that row stands
    alone: one bad row costs a few extra transactions, never the other rows."""
    if not rows:
        return []
    try:
        report = ingest_events(ctx, [row.payload for _, row in rows], source=source)
    except sa.exc.DataError as error:
        if len(rows) == 1:
            return [(rows[0], f"the database refused the row: {str(error.orig).splitlines()[0]}")]
        half = len(rows) // 2
        return _ingest(ctx, rows[:half], source) + _ingest(ctx, rows[half:], source)
    return list(zip(rows, report.outcomes, strict=True))


def _result(row: StockRow, o: EventOutcome) -> RowResult:
    error = o.error or {}
    return RowResult(
        row.where, o.status, o.idempotency_key, error.get("field"), error.get("message"), o.quarantine_id
    )


def _quarantine_refused(ctx: HubContext, rows: Numbered, source: str) -> dict[int, RowResult]:
    """Rows that never reached ingest (unreadable) or that the database refused."""
    if not rows:
        return {}

    def work(conn: sa.Connection) -> dict[int, RowResult]:
        now = ctx.clock.now()
        ids = insert_quarantine(
            conn,
            [quarantine_row(ctx.tenant_id, now, KIND, source, row.payload, _refusal(row)) for _, row in rows],
        )
        return {
            i: RowResult(row.where, "quarantined", None, "$", row.error, qid)
            for (i, row), qid in zip(rows, ids, strict=True)
        }

    return ctx.write(work)


def _refusal(row: StockRow) -> dict[str, str]:
    return {"code": "malformed_row", "message": f"{row.where}: {row.error}", "field": "$"}
