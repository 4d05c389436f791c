"""What a dropped file says: a stock **snapshot** (absolute counts) or **movements** (events).

The kind is read from the content. A CSV whose header has a `type` column, a JSON list, a JSON
object with `events`, and JSON Lines (`.jsonl`/`.ndjson`) are movements in the hub's event format
(read by the same readers as `stockbridge import stock`). A CSV with `sku`, `location`, `quantity`
(optional `unit`, `occurred_at`, `reference`; other columns ignored) and a JSON object
`{"snapshot": [{"sku", "location", "quantity", "unit"?}], "occurred_at"?}` are snapshots: each
row becomes a `count` event, an absolute on_hand figure that records the delta it implies. A
snapshot names only the rows it lists: a SKU it leaves out is not counted as zero.

Every row is keyed `files:<connection>:<content sha256>:<line or item>`, so dropping the same
bytes again is a no-op and two drops that differ in one row only apply that row. Pure: no I/O.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from stockbridge.cli_commands.stock_formats import (
    StockFileError,
    StockRow,
    read_stock_csv,
    read_stock_json,
    read_stock_jsonl,
)

FileKind = Literal["snapshot", "movements"]
SNAPSHOT_REQUIRED = ("sku", "location", "quantity")
SNAPSHOT_OPTIONAL = ("unit", "occurred_at", "reference")

__all__ = ["FileKind", "ParsedFile", "StockFileError", "StockRow", "content_key_prefix", "parse_drop"]


@dataclass(frozen=True)
class ParsedFile:
    kind: FileKind
    digest: str  # sha256 of the file's bytes
    rows: list[StockRow]


def content_key_prefix(connection: str, digest: str) -> str:
    return f"files:{connection}:{digest}"


def parse_drop(name: str, data: bytes, connection: str) -> ParsedFile:
    """Rows of one file, each with its payload (connection and source filled in) or its defect.
    Raises `StockFileError` when the file as a whole cannot be read."""
    digest = hashlib.sha256(data).hexdigest()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise StockFileError(f"not UTF-8 text: {error}") from None
    prefix = content_key_prefix(connection, digest)
    kind, rows = _read(name.lower(), text, prefix)
    return ParsedFile(kind, digest, [_stamped(row, connection, name) for row in rows])


def _read(name: str, text: str, prefix: str) -> tuple[FileKind, list[StockRow]]:
    if name.endswith((".jsonl", ".ndjson")):
        return "movements", read_stock_jsonl(text, prefix)
    if name.endswith(".json"):
        return _read_json(text, prefix)
    if name.endswith((".csv", ".txt")):
        header = next(csv.reader(io.StringIO(text), skipinitialspace=True), [])
        if "type" in (h.strip() for h in header):
            return "movements", read_stock_csv(text, prefix)
        return "snapshot", read_snapshot_csv(text, prefix)
    raise StockFileError("unknown file type: expected .csv, .txt, .json, .jsonl or .ndjson")


def _read_json(text: str, prefix: str) -> tuple[FileKind, list[StockRow]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise StockFileError(f"not valid JSON: {error}") from None
    if isinstance(document, Mapping) and "snapshot" in document:
        return "snapshot", read_snapshot_json(document, prefix)
    return "movements", read_stock_json(text, prefix)


def read_snapshot_csv(text: str, prefix: str) -> list[StockRow]:
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip() for h in next(reader, [])]
    missing = [c for c in SNAPSHOT_REQUIRED if c not in header]
    if missing or len(set(header)) != len(header):
        raise StockFileError(
            f"snapshot CSV header must name {', '.join(SNAPSHOT_REQUIRED)} once each"
            f" (optional: {', '.join(SNAPSHOT_OPTIONAL)}); missing: {missing or 'none'}"
        )
    rows = []
    for number, cells, problem in _csv_records(reader, len(header)):
        where = f"line {number}"
        record = {h: c.strip() for h, c in zip(header, cells, strict=False) if h in _SNAPSHOT_COLUMNS}
        if problem is not None:
            rows.append(StockRow(where, {"line": number, "cells": cells}, problem))
            continue
        rows.append(StockRow(where, _count_event(record, f"{prefix}:{number}")))
    return rows


def read_snapshot_json(document: Mapping[str, Any], prefix: str) -> list[StockRow]:
    items = document.get("snapshot")
    if not isinstance(items, list):
        raise StockFileError('"snapshot" must be a list of {sku, location, quantity, unit?} objects')
    occurred_at = document.get("occurred_at")
    rows = []
    for number, item in enumerate(items, 1):
        where = f"item {number}"
        if not isinstance(item, Mapping):
            rows.append(StockRow(where, {"item": number, "raw": item}, "a snapshot row must be an object"))
            continue
        record = {k: item[k] for k in _SNAPSHOT_COLUMNS if k in item}
        if occurred_at is not None:
            record.setdefault("occurred_at", occurred_at)
        rows.append(StockRow(where, _count_event(record, f"{prefix}:{number}")))
    return rows


_SNAPSHOT_COLUMNS = (*SNAPSHOT_REQUIRED, *SNAPSHOT_OPTIONAL)


def _count_event(record: Mapping[str, Any], key: str) -> dict[str, Any]:
    # An empty sku is kept so that ingest rejects the row naming `lines[0].sku`.
    event: dict[str, Any] = {"type": "count", "idempotency_key": key, "sku": ""}
    event |= {k: v for k, v in record.items() if v not in ("", None)}
    return event


def _csv_records(reader: Any, width: int) -> Iterator[tuple[int, list[str], str | None]]:
    while True:
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, [], f"unreadable CSV: {error}"
            continue
        if not any(c.strip() for c in cells):
            continue
        problem = None
        if len(cells) > width:
            problem = f"{len(cells)} fields but the header has {width} (unquoted comma?)"
        yield reader.line_num, cells, problem


def _stamped(row: StockRow, connection: str, name: str) -> StockRow:
    """Fill in the connection (aliases resolve under it) and where the row came from. `origin` is
    not part of the event (its hash ignores it); it tells a person reading the quarantine which
    file and line to fix. A row naming its own `connection` keeps it."""
    origin = f"{name} {row.where}"
    if not isinstance(row.payload, Mapping):
        error = row.error or "an event must be a JSON object"
        return StockRow(row.where, {"raw": row.payload, "origin": origin}, error)
    if row.error is not None:
        return StockRow(row.where, {**row.payload, "origin": origin}, row.error)
    payload = {"connection": connection, "source": f"files:{connection}", **row.payload, "origin": origin}
    return StockRow(row.where, payload, None)
