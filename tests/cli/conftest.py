"""Driving `stockbridge ...` in-process through typer's CliRunner, on the shared `db_url` databases."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from stockbridge.cli import get_app
from stockbridge.services.context import HubContext
from stockbridge.store.engine import make_engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
Invoke = Callable[..., Result]


@pytest.fixture
def invoke() -> Invoke:
    """`invoke("balances", "--db", url)`: runs the command, 200 columns wide so tables do not wrap."""
    runner = CliRunner(env={"COLUMNS": "200", "NO_COLOR": "1"})

    def run(*args: str) -> Result:
        return runner.invoke(get_app(), list(args))

    return run


@pytest.fixture
def hub_ctx(db_url: str) -> Iterator[HubContext]:
    """A context on the same database the commands use, for arranging and checking state."""
    engine = make_engine(db_url)
    yield HubContext(engine)
    engine.dispose()


@pytest.fixture
def with_catalog(invoke: Invoke, db_url: str) -> str:
    result = invoke("import", "catalog", str(EXAMPLES / "catalog.json"), "--db", db_url)
    assert result.exit_code == 0, result.output
    return db_url
