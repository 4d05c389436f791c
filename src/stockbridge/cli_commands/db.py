"""`stockbridge init` (create or upgrade the schema) and `stockbridge serve` (the REST API)."""

from __future__ import annotations

from typing import Annotated

import typer

from stockbridge.cli_commands.runtime import DbOption, command_errors, console, fail, load_settings
from stockbridge.settings import Settings
from stockbridge.store.engine import upgrade


def init(db: DbOption = None) -> None:
    """Create the database schema, or upgrade it to the latest migration."""
    settings = load_settings(db)
    with command_errors():
        upgrade(settings.database_url)
    console().print(f"[green]schema is up to date[/] at {_shown(settings.database_url)}")


def serve(
    db: DbOption = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind. Default: STOCKBRIDGE_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Port. Default: STOCKBRIDGE_PORT.")] = None,
    no_auth: Annotated[
        bool, typer.Option("--no-auth", help="Accept requests without an API key (local use only).")
    ] = False,
) -> None:
    """Run the REST API (OpenAPI at /docs) with uvicorn, after upgrading the schema.

    Requests need an `X-API-Key` header matching one of STOCKBRIDGE_API_KEYS (comma separated).
    """
    settings = load_settings(db)
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    if not settings.api_keys and not no_auth:
        fail("no API keys configured: set STOCKBRIDGE_API_KEYS=key1,key2 or pass --no-auth (local use only)")
    with command_errors():
        upgrade(settings.database_url)
    run_api(settings, require_auth=not no_auth)


def run_api(settings: Settings, *, require_auth: bool = True) -> None:
    """Serve `create_app(settings)` until interrupted; imported lazily, the API is heavy."""
    import uvicorn

    from stockbridge.api.app import create_app

    with command_errors():
        app = create_app(settings, require_auth=require_auth)
    console().print(f"API on http://{settings.host}:{settings.port}  (docs: /docs, Ctrl+C stops)")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")


def _shown(url: str) -> str:
    """The URL without its password, fit for a terminal."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
