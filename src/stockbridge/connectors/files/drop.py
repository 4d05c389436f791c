"""Watching a drop folder: take each finished file, turn its rows into events, file it away.

Per file: rename into `processing/`, parse (`formats.parse_drop`), apply the rows in batches (one
transaction each, through ingest's `apply_payloads` and quarantine), then move the file to `done/`.
A file that cannot be read at all (not UTF-8, bad header, not JSON) goes to `failed/` with a
`.error.txt` beside it and applies nothing. A bad *row* never fails its file: it is quarantined
with the file name and line in its message, and the other rows are applied.

Failure table:
    whole file unreadable        -> failed/ + reason file, nothing applied
    malformed or rejected row    -> quarantine ("stock.csv line 7: unknown SKU 'X'"), file done/
    same file dropped again      -> every row a duplicate (keys are content hash + row), done/
    database error mid-file      -> raised; the file stays in processing/ and is taken again on
                                    the next poll (rows already applied are then duplicates)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa

from stockbridge.connectors.files.config import FileDropConfig
from stockbridge.connectors.files.folders import DropFolder
from stockbridge.connectors.files.formats import FileKind, StockFileError, StockRow, parse_drop
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import apply_payloads
from stockbridge.store.quarantine import insert_quarantine, quarantine_row

log = logging.getLogger(__name__)
RowStatus = Literal["applied", "duplicate", "quarantined"]
Sleep = Callable[[float], Awaitable[None]]
SOURCE_MAX = 200


@dataclass(frozen=True)
class RowResult:
    where: str
    status: RowStatus
    idempotency_key: str | None = None
    field: str | None = None
    message: str | None = None
    quarantine_id: int | None = None


@dataclass(frozen=True)
class FileReport:
    name: str
    status: Literal["done", "failed"]
    moved_to: Path
    kind: FileKind | None = None
    digest: str | None = None
    results: tuple[RowResult, ...] = ()
    reason: str = ""

    def summary(self) -> dict[str, int]:
        counts = {"applied": 0, "duplicate": 0, "quarantined": 0}
        for result in self.results:
            counts[result.status] += 1
        return counts


class FileDropIngestor:
    """Polls one connection's drop folder and ingests what it finds."""

    def __init__(self, ctx: HubContext, config: FileDropConfig) -> None:
        self.ctx, self.config = ctx, config
        self.folder = DropFolder(config.root, config.settle_polls)

    def poll_once(self) -> list[FileReport]:
        """Process crash leftovers, then every settled inbox file, one at a time."""
        self.folder.ensure()
        reports = [self.process(path) for path in self.folder.leftovers()]
        for path in self.folder.ready():
            taken = self.folder.take(path)
            if taken is not None:
                reports.append(self.process(taken))
        return reports

    async def run(self, stop: asyncio.Event, *, interval_s: float, sleep: Sleep = asyncio.sleep) -> None:
        """Poll until `stop` is set; the blocking work runs in a thread, the wait is `sleep`."""
        while not stop.is_set():
            await asyncio.to_thread(self.poll_once)
            await sleep(interval_s)

    def process(self, path: Path) -> FileReport:
        """Ingest one file that is already in `processing/` and file it in done/ or failed/."""
        now = self.ctx.clock.now()
        try:
            parsed = parse_drop(path.name, path.read_bytes(), self.config.connection)
        except StockFileError as error:
            reason = f"{path.name}: {error}"
            log.warning("file drop failed", extra={"connection": self.config.connection, "file": path.name})
            moved = self.folder.finish(path, ok=False, now=now, reason=reason)
            return FileReport(path.name, "failed", moved, reason=reason)
        results = self._ingest(path.name, parsed.rows)
        moved = self.folder.finish(path, ok=True, now=now)
        report = FileReport(path.name, "done", moved, parsed.kind, parsed.digest, tuple(results))
        log.info("file drop done", extra={"file": path.name, **report.summary()})
        return report

    def _ingest(self, name: str, rows: Sequence[StockRow]) -> list[RowResult]:
        source = f"files:{self.config.connection}/{name}"[:SOURCE_MAX]  # the quarantine's column width
        results: list[RowResult] = []
        size = self.config.batch_size
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            results += self.ctx.write(
                partial(_apply_batch, ctx=self.ctx, batch=batch, name=name, source=source)
            )
        return results


def _apply_batch(
    conn: sa.Connection, ctx: HubContext, batch: Sequence[StockRow], name: str, source: str
) -> list[RowResult]:
    """One transaction: apply the readable rows, quarantine the rest with file and line."""
    readable = [row for row in batch if row.error is None]
    outcomes = iter(apply_payloads(conn, ctx, [row.payload for row in readable]))
    now = ctx.clock.now()
    results: list[RowResult] = []
    rejected: list[tuple[int, dict[str, Any], Any]] = []
    for row in batch:
        if row.error is not None:
            error: dict[str, Any] = {"code": "malformed_row", "message": row.error, "field": "$"}
            key = None
        else:
            outcome = next(outcomes)
            if outcome.error is None:
                results.append(RowResult(row.where, outcome.status, outcome.idempotency_key))
                continue
            error, key = dict(outcome.error), outcome.idempotency_key
        error["message"] = f"{name} {row.where}: {error.get('message', '')}"
        rejected.append((len(results), error, row.payload))
        results.append(RowResult(row.where, "quarantined", key, error.get("field"), error["message"]))
    ids = insert_quarantine(
        conn, [quarantine_row(ctx.tenant_id, now, "event", source, p, e) for _, e, p in rejected]
    )
    for (position, _, _), quarantine_id in zip(rejected, ids, strict=True):
        results[position] = replace(results[position], quarantine_id=quarantine_id)
    return results
