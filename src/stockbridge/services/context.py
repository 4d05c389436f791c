"""What every use case needs: the engine, the clock and the tenant; plus transaction helpers.

`write()` runs a function in one write transaction and retries it when the database reports a
transient conflict (PostgreSQL deadlock or serialization failure, a unique key raced by another
process, SQLite busy). The function must therefore be safe to run again from the start.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from stockbridge.domain.clock import Clock, SystemClock
from stockbridge.store.engine import writer_lock

T = TypeVar("T")
_TRANSIENT_PG_CODES = {"40001", "40P01"}  # serialization_failure, deadlock_detected
_UNIQUE_VIOLATION = "23505"


@dataclass(frozen=True)
class HubContext:
    engine: Engine
    clock: Clock = field(default_factory=SystemClock)
    tenant_id: int = 1
    max_attempts: int = 8

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[sa.Connection]:
        with self.engine.connect().execution_options(read_only=True) as conn, conn.begin():
            yield conn

    def write(self, work: Callable[[sa.Connection], T]) -> T:
        for attempt in range(1, self.max_attempts + 1):
            try:
                with writer_lock(self.engine), self.engine.begin() as conn:
                    return work(conn)
            except (sa.exc.OperationalError, sa.exc.IntegrityError) as error:
                if attempt == self.max_attempts or not is_transient(error):
                    raise
                time.sleep(random.uniform(0, 0.002 * 2**attempt))
        raise AssertionError("unreachable")


def is_transient(error: sa.exc.DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    if code in _TRANSIENT_PG_CODES or code == _UNIQUE_VIOLATION:
        return True
    text = str(error.orig).lower()
    return "database is locked" in text or "unique constraint failed" in text
