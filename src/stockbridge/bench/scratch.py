"""Scratch databases for benchmarks: a temporary SQLite file, or a new database on the given
PostgreSQL server that is dropped afterwards. A benchmark never writes into a user's database.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from stockbridge.store.engine import sqlite_url, upgrade


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    """Yields the URL of a fresh, migrated database on the same server as `url`."""
    if url is None or url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="stockbridge-bench-") as folder:
            fresh = sqlite_url(Path(folder) / "bench.db")
            upgrade(fresh)
            yield fresh
        return
    name = f"stockbridge_bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    fresh = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(fresh)
        yield fresh
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
