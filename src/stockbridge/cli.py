"""The one command-line entry point, `stockbridge ...`.

Each command group lives in the package that owns its use case; this module only wires them.
"""

from __future__ import annotations

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, help="stockbridge: the stock hub.")


def _register_groups() -> None:
    # --- subcommand registry: one line per command group ---
    from stockbridge.identity.cli import app as customers_app

    app.add_typer(customers_app, name="customers", help="Customer identity resolution.")


def main() -> None:
    _register_groups()
    app()


if __name__ == "__main__":
    main()
