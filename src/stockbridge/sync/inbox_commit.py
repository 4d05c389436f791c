"""Group commit for the webhook inbox: deliveries that arrive together are stored in one transaction.

A delivery must be durable before its 200. Stored one write transaction each, the API's webhook
threads queue on the database's one writer (SQLite) behind the inbox worker's transactions, one
delivery per turn: at 200 orders/s on the standard box the API waited 55-60 s in all for the
writer during a 76 s run, and the stores' 5 s delivery timeout cut 863-1,016 deliveries off per
run (polling found those orders later; a real platform disables such a webhook). Here every
delivery waiting when a transaction starts goes into it: the threads that want to store one
queue their rows; whoever finds no commit under way takes every queued row (up to `MAX_ROWS`)
and writes them in one transaction, then wakes the others, whose rows are either stored or
queued for the next one (which one of them writes). Each caller gets its own row's answer (its
inbox id, or None for a repeated delivery id), as if stored alone. If the shared transaction
fails, its rows are written one at a time, so a row that cannot be stored fails alone (its
caller sees the error and answers 500: the platform delivers it again) and the others are
stored.

One committer per engine (`committer_for`), shared by every thread of the process.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from stockbridge.services.context import HubContext

MAX_ROWS = 500  # rows per shared transaction
Insert = Callable[[sa.Connection, Mapping[str, Any]], int | None]


@dataclass
class _Row:
    values: Mapping[str, Any]
    done: bool = False
    inbox_id: int | None = None
    error: BaseException | None = None

    def finish(self, inbox_id: int | None = None, error: BaseException | None = None) -> None:
        self.inbox_id, self.error, self.done = inbox_id, error, True


class DeliveryCommitter:
    """Stores inbox rows for many threads, in as few transactions as the arrivals allow."""

    def __init__(self, insert: Insert) -> None:
        self._insert = insert  # no engine kept: the committer lives as long as its engine
        self._turn = threading.Condition()
        self._queued: list[_Row] = []
        self._committing = False
        self.transactions = 0  # transactions written (the tests read it)

    def store(self, ctx: HubContext, values: Mapping[str, Any]) -> int | None:
        """Store one row, durably, before returning: its inbox id, or None if it was there."""
        row = _Row(values)
        with self._turn:
            self._queued.append(row)
        while True:
            with self._turn:
                while self._committing and not row.done:
                    self._turn.wait()
                if row.done:
                    break
                self._committing = True
                batch, self._queued = self._queued[:MAX_ROWS], self._queued[MAX_ROWS:]
            try:
                self._commit(ctx, batch)
            finally:
                with self._turn:
                    self._committing = False
                    self._turn.notify_all()
        if row.error is not None:
            raise row.error
        return row.inbox_id

    def queued(self) -> int:
        """Rows waiting for a transaction."""
        with self._turn:
            return len(self._queued)

    def _commit(self, ctx: HubContext, batch: list[_Row]) -> None:
        try:
            try:
                ids = self._write(ctx, batch)
            except Exception as error:
                if len(batch) == 1:
                    batch[0].finish(error=error)
                else:  # one at a time: a row that cannot be stored fails alone
                    for row in batch:
                        self._commit_alone(ctx, row)
            else:
                for row, inbox_id in zip(batch, ids, strict=True):
                    row.finish(inbox_id)
        finally:  # interrupted: no caller may wait for a row that nobody will write
            for row in batch:
                if not row.done:
                    row.finish(error=RuntimeError("the transaction storing this delivery was interrupted"))

    def _commit_alone(self, ctx: HubContext, row: _Row) -> None:
        try:
            row.finish(self._write(ctx, [row])[0])
        except Exception as error:
            row.finish(error=error)

    def _write(self, ctx: HubContext, batch: list[_Row]) -> list[int | None]:
        ids = ctx.write(lambda conn: [self._insert(conn, row.values) for row in batch])
        self.transactions += 1
        return ids


_committers: weakref.WeakKeyDictionary[Engine, DeliveryCommitter] = weakref.WeakKeyDictionary()
_creating = threading.Lock()


def committer_for(ctx: HubContext, insert: Insert) -> DeliveryCommitter:
    """The committer of `ctx`'s engine (created on first use)."""
    with _creating:
        committer = _committers.get(ctx.engine)
        if committer is None:
            committer = _committers[ctx.engine] = DeliveryCommitter(insert)
        return committer
