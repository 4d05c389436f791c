"""What every command shares: the `--db` and `--json` options, settings and a hub context built
from them, output as JSON or rich, and one translation of our errors into exit codes.

Exit codes: 0 done, 1 error (nothing or not everything done), 2 usage error (typer), 3 finished
but some input rows were rejected (they are in the quarantine).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any, NoReturn

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from stockbridge.domain.clock import Clock
from stockbridge.errors import StockbridgeError
from stockbridge.services.bootstrap import bootstrap
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings

EXIT_ERROR = 1
EXIT_REJECTED_ROWS = 3

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///path.db or postgresql+psycopg://...). "
        "Default: STOCKBRIDGE_DATABASE_URL, else ./stockbridge.db.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON instead of tables.")]


def load_settings(db: str | None) -> Settings:
    """Settings from the environment, with `--db` taking precedence over STOCKBRIDGE_DATABASE_URL."""
    try:
        return Settings(database_url=db) if db else Settings()
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        fail(f"invalid settings: {error}")


@contextmanager
def hub(db: str | None, *, migrate: bool = True, clock: Clock | None = None) -> Iterator[HubContext]:
    """A hub context for one command; its engine is disposed when the command ends."""
    with command_errors():
        ctx = bootstrap(load_settings(db), clock=clock, migrate=migrate)
        try:
            yield ctx
        finally:
            ctx.engine.dispose()


@contextmanager
def command_errors() -> Iterator[None]:
    """Our errors and database failures become one red line and exit code 1, not a traceback."""
    try:
        yield
    except StockbridgeError as error:
        where = error.fields.get("field")
        fail(f"{error.message}" + (f" (field: {where})" if where else ""))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as error:
        fail(f"database error: {error.orig}. Is the URL right, and has `stockbridge init` run?")


def fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    err_console().print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def console() -> Console:
    return Console(highlight=False)


def err_console() -> Console:
    return Console(stderr=True, highlight=False)


def print_json(data: Any) -> None:
    """One JSON document on stdout (dates as ISO text), nothing else: safe to pipe into jq."""
    typer.echo(json.dumps(data, indent=2, default=_jsonable, sort_keys=False))


def _jsonable(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "__dict__"):
        return value.__dict__
    return str(value)


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr (stdout stays clean for --json); yields `advance(n)`."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err_console()) as progress:
        task = progress.add_task(label, total=total)
        yield lambda n: progress.advance(task, n)
