"""`stockbridge customers ...`: command-line front of identity resolution."""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Customer identity resolution.")


@app.command()
def resolve() -> None:
    """Resolve customers into clusters (being built)."""
    raise typer.Exit(code=1)
