"""The ERP/WMS without an API that runs one warehouse: the files it drops into the hub's drop folder.

It speaks its own codes (a SKU alias and a location code registered under its connection) and
writes two kinds of file, each atomically (a hidden temporary name, then a rename into `inbox/`),
in the formats of `connectors.files`: stock snapshots (JSON `{"snapshot": [...]}`, absolute counts
of the shelf) and movement files (CSV in the hub's event format: deliveries, shipments, returns,
transfers). After each drop it waits until the hub's watcher (`stockbridge files watch`) has taken
the file out of `inbox/` and `processing/`, the acknowledgement such partners watch for, so its
movements reach the hub in the order they happened. Its seeded faults: one delivery line
malformed (a note with an unquoted comma: the goods are on the shelf, the hub must quarantine the
line and learns of the units from the next snapshot) and one delivery file sent twice (same bytes,
same name). It records what it dropped; it never reads the hub's tables.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

MOVEMENT_COLUMNS = ("type", "sku", "location", "quantity", "to_location", "disposition", "reference")
PICKUP_TIMEOUT_S = 90.0
PICKUP_STEP_S = 0.02


def erp_alias(sku: str) -> str:
    """The SKU's code in the ERP (registered as the SKU's alias under the ERP's connection)."""
    return f"ERP-{sku}"


@dataclass(frozen=True)
class DroppedFile:
    name: str
    kind: str  # "snapshot" or "movements"
    rows: int
    malformed_lines: tuple[int, ...] = ()
    resent: bool = False
    picked_up: bool = True


@dataclass
class ErpDrop:
    """Writes one warehouse's files into `<root>/inbox/` and waits for the hub to take each."""

    root: Path
    connection: str
    warehouse: str  # the hub's code of the warehouse the ERP runs
    location_code: str  # the ERP's code of that warehouse
    rng: random.Random
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep
    files: list[DroppedFile] = field(default_factory=list)
    injected: Counter[str] = field(default_factory=Counter)
    _seq: int = 0
    _last_delivery: tuple[str, bytes, DroppedFile] | None = None

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def pending(self) -> int:
        """Files dropped but not yet filed away by the hub (in `inbox/` or `processing/`)."""
        return sum(
            1
            for folder in (self.inbox, self.root / "processing")
            if folder.exists()
            for path in folder.iterdir()
            if path.is_file() and not path.name.startswith(".")
        )

    async def snapshot(self, shelf: Sequence[tuple[str, int]], label: str = "count") -> bool:
        """A stock snapshot of the warehouse: `(sku, on hand)` rows, absolute."""
        name, document = self._name(label, "json"), self._document("CNT")
        rows = [
            {"sku": erp_alias(sku), "location": self.location_code, "quantity": qty, "reference": document}
            for sku, qty in shelf
        ]
        data = json.dumps({"snapshot": rows}, indent=1).encode() + b"\n"
        return await self._drop(name, data, DroppedFile(name, "snapshot", len(rows)))

    async def movements(
        self, events: Sequence[Mapping[str, Any]], label: str, *, malformed: Mapping[str, Any] | None = None
    ) -> bool:
        """One movements file with `events` (hub codes, translated here); `malformed`, if given, is
        one more line written with an unquoted comma in its reference, at a seeded position."""
        name, document = self._name(label, "csv"), self._document(label[:3].upper())
        lines = [self._csv_line(event, document) for event in events]
        bad_lines: tuple[int, ...] = ()
        if malformed is not None:
            at = self.rng.randrange(len(lines) + 1)
            fields = self._cells(malformed, f"{document}, pallet wrap torn")
            lines.insert(at, ",".join(fields) + "\n")
            bad_lines = (at + 2,)  # the header is line 1
        header = ",".join(MOVEMENT_COLUMNS) + "\n"
        data = (header + "".join(lines)).encode()
        dropped = DroppedFile(name, "movements", len(lines), bad_lines)
        ok = await self._drop(name, data, dropped)
        self.injected["malformed_rows"] += len(bad_lines)
        if label == "delivery":
            self._last_delivery = (name, data, dropped)
        return ok

    async def resend(self) -> bool:
        """The last delivery file again, same name and bytes (a partner retrying a transfer)."""
        if self._last_delivery is None:
            return False
        name, data, first = self._last_delivery
        self.injected["duplicate_files"] += 1
        again = DroppedFile(name, first.kind, first.rows, first.malformed_lines, resent=True)
        return await self._drop(name, data, again)

    def _name(self, label: str, extension: str) -> str:
        self._seq += 1
        return f"{self.connection}-{self._seq:05d}-{label}.{extension}"

    def _document(self, prefix: str) -> str:
        return f"{self.connection.upper()}-{prefix}-{self._seq:05d}"

    def _cells(self, event: Mapping[str, Any], reference: str) -> list[str]:
        to = event.get("to_location")
        codes = {
            "type": str(event["type"]),
            "sku": erp_alias(str(event["sku"])),
            "location": self._code(str(event["location"])),
            "quantity": str(event["quantity"]),
            "to_location": self._code(str(to)) if to else "",
            "disposition": str(event.get("disposition") or ""),
            "reference": reference,
        }
        return [codes[column] for column in MOVEMENT_COLUMNS]

    def _csv_line(self, event: Mapping[str, Any], reference: str) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(self._cells(event, reference))
        return out.getvalue()

    def _code(self, location: str) -> str:
        return self.location_code if location == self.warehouse else location

    async def _drop(self, name: str, data: bytes, dropped: DroppedFile) -> bool:
        """Write atomically into the inbox, then wait (bounded) until the hub has filed it away."""
        self.inbox.mkdir(parents=True, exist_ok=True)
        temporary = self.inbox / f".{name}.tmp"
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.inbox / name)
        deadline = self.monotonic() + PICKUP_TIMEOUT_S
        while self.monotonic() < deadline:
            if not (self.inbox / name).exists() and not (self.root / "processing" / name).exists():
                self.files.append(dropped)
                return True
            await self.sleep(PICKUP_STEP_S)
        self.files.append(replace(dropped, picked_up=False))
        return False
