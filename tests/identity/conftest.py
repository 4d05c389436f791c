"""Fixtures for identity tests: a frozen clock, a fixed today, merge stores on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from stockbridge.identity.store import MergeStore

PG_URL = os.environ.get("STOCKBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TODAY = date(2026, 11, 25)


class TickingClock:
    """A clock that advances one second per reading, from a fixed start."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now = self.now.replace(second=(self.now.second + 1) % 60)
        return self.now


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
def sqlite_store(tmp_path: object) -> Iterator[MergeStore]:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/merges.db")
    store = MergeStore(engine)
    store.create_tables()
    yield store
    engine.dispose()


@pytest.fixture
def pg_store() -> Iterator[MergeStore]:
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception:
        admin.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI but {PG_URL} is unreachable")
        pytest.skip("PostgreSQL not reachable (set STOCKBRIDGE_TEST_PG_URL)")
    name = f"sb_identity_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine = sa.create_engine(sa.engine.make_url(PG_URL).set(database=name))
    store = MergeStore(engine)
    store.create_tables()
    yield store
    engine.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()
