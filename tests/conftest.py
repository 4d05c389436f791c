"""Shared fixtures: a fresh hub database per test on SQLite and on the real PostgreSQL server.

The PostgreSQL server comes from STOCKBRIDGE_TEST_PG_URL. Without it a PostgreSQL test is skipped
locally, but fails under CI=true: the production database is never silently untested.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from stockbridge.domain.clock import FrozenClock
from stockbridge.services.context import HubContext
from stockbridge.store.engine import make_engine, sqlite_url, upgrade
from stockbridge.store.tables import metadata

PG_URL = os.environ.get("STOCKBRIDGE_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _pg_admin_url() -> str:
    return PG_URL


def pg_available() -> bool:
    try:
        engine = sa.create_engine(_pg_admin_url())
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


def require_pg() -> None:
    if not pg_available():
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required under CI but {PG_URL} is unreachable")
        pytest.skip("PostgreSQL not reachable (set STOCKBRIDGE_TEST_PG_URL)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "hub.db"
    upgrade(sqlite_url(path))
    return path


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """One migrated PostgreSQL database for the session; tests truncate it before use."""
    require_pg()
    name = f"sb_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def fresh_sqlite_url(template: Path, tmp_path: Path) -> str:
    path = tmp_path / "hub.db"
    shutil.copy(template, path)
    return sqlite_url(path)


def truncate_pg(url: str) -> None:
    engine = sa.create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables if t.name != "alembic_version")
    with engine.begin() as conn:
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return fresh_sqlite_url(sqlite_template, tmp_path)
    url: str = request.getfixturevalue("pg_database")
    truncate_pg(url)
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def ctx(db_url: str, clock: FrozenClock) -> Iterator[HubContext]:
    engine = make_engine(db_url)
    yield HubContext(engine, clock)
    engine.dispose()
