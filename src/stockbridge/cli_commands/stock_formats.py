"""Stock files into event payloads: CSV (one line per event line), JSON (a list of events) or
JSON Lines. Pure: every record becomes a `StockRow` that remembers where it came from (`line 7`,
`item 3`) and carries either a payload for `ingest_events` or the reason it could not be read.

Checking the payload (types, quantities, SKUs) is ingest's job, so that rejected rows land in the
quarantine with a field name. Here only the file's shape is judged: column count, JSON syntax.

Idempotency: a record without `idempotency_key` gets `<prefix>:<line or item number>`, the prefix
being the file name. Re-importing the same file is then a no-op (every row a duplicate), two
identical rows in one file stay two events, and a changed row under an old position is refused as
an idempotency conflict instead of being applied twice.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

LINE_COLUMNS = ("sku", "location", "quantity", "unit", "to_location", "disposition", "from_state", "to_state")
EVENT_COLUMNS = ("type", "reason", "reference", "occurred_at", "connection", "idempotency_key")
CSV_COLUMNS = (*EVENT_COLUMNS[:1], *LINE_COLUMNS, *EVENT_COLUMNS[1:])
REQUIRED_COLUMNS = ("type", "sku", "location", "quantity")


class StockFileError(Exception):
    """The file as a whole cannot be read (bad header, not JSON): nothing is imported."""


@dataclass(frozen=True)
class StockRow:
    where: str
    payload: Any = None
    error: str | None = None


def read_stock_csv(text: str, key_prefix: str) -> list[StockRow]:
    """Consecutive lines with the same `idempotency_key` form one multi-line event."""
    reader = csv.reader(io.StringIO(text), skipinitialspace=True)
    header = [h.strip() for h in next(reader, [])]
    _check_header(header)
    rows: list[StockRow] = []
    group: list[tuple[int, dict[str, str]]] = []
    for number, record, problem in _records(reader, header):
        if problem is not None:
            rows += _flush(group, key_prefix)
            group = []
            rows.append(StockRow(f"line {number}", {"line": number, "cells": record}, problem))
            continue
        key = record.get("idempotency_key")
        if group and not (key and group[-1][1].get("idempotency_key") == key):
            rows += _flush(group, key_prefix)
            group = []
        group.append((number, record))
    return rows + _flush(group, key_prefix)


def read_stock_json(text: str, key_prefix: str) -> list[StockRow]:
    """A list of events (or `{"events": [...]}`); each item as the API takes it, `lines` allowed."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise StockFileError(f"not valid JSON: {error}") from None
    if isinstance(document, Mapping) and isinstance(document.get("events"), list):
        document = document["events"]
    if not isinstance(document, list):
        raise StockFileError('expected a JSON list of events (or {"events": [...]})')
    return [StockRow(f"item {n}", _keyed(item, f"{key_prefix}:{n}")) for n, item in enumerate(document, 1)]


def read_stock_jsonl(text: str, key_prefix: str) -> list[StockRow]:
    """One event object per line; blank lines are skipped, a line that is not JSON is rejected."""
    rows = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            rows.append(StockRow(f"line {number}", {"line": number, "raw": line}, f"not valid JSON: {error}"))
            continue
        rows.append(StockRow(f"line {number}", _keyed(item, f"{key_prefix}:{number}")))
    return rows


def _check_header(header: list[str]) -> None:
    unknown = [h for h in header if h not in CSV_COLUMNS]
    missing = [r for r in REQUIRED_COLUMNS if r not in header]
    if unknown or missing or len(set(header)) != len(header):
        raise StockFileError(
            f"stock CSV header must name {', '.join(REQUIRED_COLUMNS)} once each and may add"
            f" {', '.join(c for c in CSV_COLUMNS if c not in REQUIRED_COLUMNS)};"
            f" unknown: {unknown or 'none'}, missing: {missing or 'none'}"
        )


def _records(reader: Any, header: list[str]) -> Iterator[tuple[int, dict[str, str], str | None]]:
    """(line number, cells by column, what is wrong or None) per non-blank record."""
    while True:
        try:
            cells: list[str] = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield reader.line_num, {}, f"unreadable CSV: {error}"
            continue
        if not any(c.strip() for c in cells):
            continue
        named = {h: c.strip() for h, c in zip(header, cells, strict=False) if c.strip()}
        if len(cells) > len(header):
            extra = {f"extra_{i}": c for i, c in enumerate(cells[len(header) :], 1)}
            problem = f"{len(cells)} fields but the header has {len(header)} (unquoted comma?)"
            yield reader.line_num, named | extra, problem
            continue
        yield reader.line_num, named, None


def _flush(group: list[tuple[int, dict[str, str]]], key_prefix: str) -> list[StockRow]:
    """One event from a run of lines; its event columns must agree line by line."""
    if not group:
        return []
    first_number, first = group[0]
    where = f"line {first_number}" if len(group) == 1 else f"lines {first_number}-{group[-1][0]}"
    for number, record in group[1:]:
        differing = [c for c in EVENT_COLUMNS if record.get(c) != first.get(c)]
        if differing:
            reason = (
                f"line {number} shares the idempotency_key of line {first_number} but differs in {differing}"
            )
            return [StockRow(where, {"lines": [r for _, r in group]}, reason)]
    event: dict[str, Any] = {c: first[c] for c in EVENT_COLUMNS if c in first}
    event.setdefault("idempotency_key", f"{key_prefix}:{first_number}")
    if len(group) == 1:  # flat; an empty sku cell is kept so ingest names lines[0].sku
        event |= {"sku": ""} | {c: first[c] for c in LINE_COLUMNS if c in first}
    else:
        event["lines"] = [{c: r[c] for c in LINE_COLUMNS if c in r} for _, r in group]
    return [StockRow(where, event)]


def _keyed(item: Any, default_key: str) -> Any:
    if isinstance(item, Mapping) and not item.get("idempotency_key"):
        return {**item, "idempotency_key": default_key}
    return item
