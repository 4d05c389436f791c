"""The file drop as a `Connector`: what the protocol means for a partner without an API.

    capabilities  no webhooks, no compare-and-set, large batches, no rate limit, multi-location
    check         the folders exist (created if missing) and a file can be written and renamed;
                  AuthError if the root is not a writable folder, TransientError for other I/O
    set_levels    one export file `outbox/levels-<time>.<fmt>` per call (item_id, location_id,
                  quantity, expected), written atomically; every change is `applied` once the
                  file is in place. A file cannot refuse a stale value, so `expected` is written
                  for the partner to see but not enforced: the partner takes the hub's absolute
                  number (the hub is the source of truth for what may be sold).
    levels        what we last exported per (item, location), kept in `state/levels.json`, so a
                  reconciliation pass compares the hub with what the partner was last told
    variants, locations   the items and locations present in that state
    orders        none: a partner's sales arrive as movement files (`drop.FileDropIngestor`)
    webhooks      none: `verify_webhook` is always False, `parse_webhook` raises

Item ids are whatever the sync engine binds a listing to (the SKU code or the partner's alias).
Stock *into* the hub (snapshots, movements) is read by `drop.FileDropIngestor`, not through this
protocol, because it writes the ledger directly.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticError

from stockbridge.connectors.base import (
    Capabilities,
    LevelChange,
    OrderCursor,
    PushOutcome,
    RemoteLevel,
    RemoteLocation,
    RemoteOrder,
    RemoteVariant,
    WebhookMessage,
)
from stockbridge.connectors.errors import AuthError, ConnectorError, PermanentError, TransientError
from stockbridge.connectors.files.config import FileDropConfig
from stockbridge.connectors.files.exports import render, stamp, write_export
from stockbridge.connectors.files.folders import DropFolder, write_atomic
from stockbridge.domain.clock import Clock, SystemClock
from stockbridge.errors import ValidationError

if TYPE_CHECKING:
    from stockbridge.services.connections import ConnectionConfig

LEVEL_COLUMNS = ("item_id", "location_id", "quantity", "expected", "reference")
_Key = tuple[str, str | None]


class FileConnector:
    platform = "files"

    def __init__(self, config: FileDropConfig, clock: Clock) -> None:
        self.config, self.clock = config, clock
        self.connection = config.connection
        self.folder = DropFolder(config.root, config.settle_polls)
        self.capabilities = Capabilities(
            webhooks=False,
            compare_and_set=False,
            max_batch=config.max_batch,
            rate_limit_model="none",
            multi_location=True,
        )

    async def check(self) -> None:
        await asyncio.to_thread(self._check)

    def _check(self) -> None:
        try:
            self.folder.ensure()
            probe = self.folder.state / "check.probe"
            write_atomic(probe, b"ok\n")
            probe.unlink()
        except (PermissionError, NotADirectoryError, FileExistsError) as error:  # configuration
            raise AuthError(
                f"cannot write to the drop folder: {error.strerror}", **self._fields("check")
            ) from None
        except OSError as error:
            raise TransientError(
                f"drop folder unavailable: {error.strerror}", **self._fields("check")
            ) from None

    async def locations(self) -> AsyncIterator[RemoteLocation]:
        for location_id in sorted({loc for _, loc in self._state() if loc is not None}):
            yield RemoteLocation(location_id, location_id)

    async def variants(self) -> AsyncIterator[RemoteVariant]:
        for item_id in sorted({item for item, _ in self._state()}):
            yield RemoteVariant(item_id, item_id, item_id)

    async def levels(self, item_ids: Sequence[str] | None = None) -> AsyncIterator[RemoteLevel]:
        wanted = set(item_ids) if item_ids is not None else None
        for (item, location), quantity in sorted(
            self._state().items(), key=lambda kv: (kv[0][0], kv[0][1] or "")
        ):
            if wanted is None or item in wanted:
                yield RemoteLevel(item, location, quantity)

    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]:
        if len(changes) > self.capabilities.max_batch:
            raise PermanentError(
                f"{len(changes)} changes exceed max_batch {self.capabilities.max_batch}",
                **self._fields("set_levels"),
            )
        if not changes:
            return []
        try:
            await asyncio.to_thread(self._write_levels, changes)
        except OSError as error:
            failure: ConnectorError = TransientError(
                f"export not written: {error.strerror}", **self._fields("set_levels")
            )
            return [PushOutcome(c, "failed", error=failure) for c in changes]
        return [PushOutcome(c, "applied", remote_quantity=c.quantity) for c in changes]

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        return [], cursor

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return False

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookMessage:
        raise PermanentError("a file connection receives no webhooks", **self._fields("parse_webhook"))

    async def aclose(self) -> None:
        return None

    def _write_levels(self, changes: Sequence[LevelChange]) -> Path:
        rows = [{k: getattr(c, k) for k in LEVEL_COLUMNS} for c in changes]
        path = write_export(
            self.folder, f"levels-{stamp(self.clock.now())}", rows, LEVEL_COLUMNS, self.config.export_format
        )
        state = self._state()
        state.update({(c.item_id, c.location_id): c.quantity for c in changes})
        entries = [{"item_id": i, "location_id": loc, "quantity": q} for (i, loc), q in state.items()]
        self.folder.state.mkdir(parents=True, exist_ok=True)
        write_atomic(self._state_path(), render(entries, ("item_id", "location_id", "quantity"), "json"))
        return path

    def _state(self) -> dict[_Key, int]:
        try:
            document: Any = json.loads(self._state_path().read_text())
        except FileNotFoundError:
            return {}
        return {(str(r["item_id"]), r["location_id"]): int(r["quantity"]) for r in document["rows"]}

    def _state_path(self) -> Path:
        return self.folder.state / "levels.json"

    def _fields(self, operation: str) -> dict[str, Any]:
        return {"connection": self.connection, "operation": operation}


def connector_from_config(config: ConnectionConfig) -> FileConnector:
    """The sync engine's seam: settings `root` (the drop folder; `folder` is taken as a synonym)
    and any other `FileDropConfig` field; the connection's code is the alias namespace. No secrets."""
    fields = FileDropConfig.model_fields
    settings = dict(config.view.settings)
    if "root" not in settings and "folder" in settings:
        settings["root"] = settings["folder"]
    values = {k: v for k, v in settings.items() if k in fields and k != "connection"}
    try:
        typed = FileDropConfig(connection=config.code, **values)
    except PydanticError as error:
        names = ", ".join(".".join(str(p) for p in e["loc"]) for e in error.errors())
        raise ValidationError(f"invalid file connection {config.code!r}: {names}", field=names) from None
    return FileConnector(typed, SystemClock())
