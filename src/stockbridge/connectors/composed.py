"""The delegation every API connector shares: reads go to its streams, writes to its level writer.

A platform connector composes a client, `streams` and a `writer` and inherits this class for the
read and write halves of the `Connector` protocol; it keeps what differs per platform (check,
webhook verification, capabilities) for itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from stockbridge.connectors.base import (
    LevelChange,
    OrderCursor,
    PushOutcome,
    RemoteLevel,
    RemoteLocation,
    RemoteOrder,
    RemoteVariant,
)


class Streams(Protocol):
    def locations(self) -> AsyncIterator[RemoteLocation]: ...

    def variants(self) -> AsyncIterator[RemoteVariant]: ...

    def levels(self, item_ids: Sequence[str] | None = None) -> AsyncIterator[RemoteLevel]: ...

    async def orders(self, cursor: OrderCursor, limit: int) -> tuple[list[RemoteOrder], OrderCursor]: ...


class LevelWriter(Protocol):
    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]: ...


class ComposedConnector:
    streams: Streams
    writer: LevelWriter

    def locations(self) -> AsyncIterator[RemoteLocation]:
        return self.streams.locations()

    def variants(self) -> AsyncIterator[RemoteVariant]:
        return self.streams.variants()

    def levels(self, item_ids: Sequence[str] | None = None) -> AsyncIterator[RemoteLevel]:
        return self.streams.levels(item_ids)

    async def set_levels(self, changes: Sequence[LevelChange]) -> list[PushOutcome]:
        return await self.writer.set_levels(changes)

    async def orders(self, cursor: OrderCursor, *, limit: int = 250) -> tuple[list[RemoteOrder], OrderCursor]:
        return await self.streams.orders(cursor, limit)
