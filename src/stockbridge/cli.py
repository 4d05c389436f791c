"""The one command-line entry point, `stockbridge ...`.

Each command group lives in its own module (`stockbridge.cli_commands.*`, or the package that owns
its use case); this module only wires them. Nothing is built at import time: every command builds
its settings and hub context from `--db` when it runs.
"""

from __future__ import annotations

import functools

import typer

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="stockbridge: the stock hub.",
)


def _register_groups() -> None:
    # --- subcommand registry: one line per command group ---
    from stockbridge.identity.cli import app as customers_app

    app.add_typer(customers_app, name="customers", help="Customer identity resolution.")
    from stockbridge.bench.cli import app as bench_app

    app.add_typer(bench_app, name="bench", help="Benchmarks: the hub against the bare database.")
    from stockbridge.sync.cli import app as sync_app
    from stockbridge.sync.inbound_cli import app as inbound_app

    app.add_typer(
        sync_app, name="sync", help="Outbound channel sync: connections, bindings, push, reconcile."
    )
    app.add_typer(inbound_app, name="inbound", help="Inbound channel sync: webhook inbox and polling.")
    from stockbridge.connectors.files.cli import app as files_app

    app.add_typer(files_app, name="files", help="File-drop connections: watch a partner's drop folder.")
    from stockbridge.simulate.cli import demo, simulate

    app.command("simulate")(simulate)
    app.command("demo")(demo)  # the trading day against the emulated stores (the README's main command)
    _register_core()


def _register_core() -> None:
    from stockbridge.cli_commands import db, demo, importing, inspect, stock

    app.command("init")(db.init)
    app.command("serve")(db.serve)
    app.add_typer(importing.app, name="import")
    app.command("balances")(stock.balances)
    app.command("available")(stock.available)
    app.add_typer(inspect.explain_app, name="explain")
    app.add_typer(inspect.quarantine_app, name="quarantine")
    app.command("verify")(inspect.verify)
    app.add_typer(inspect.reservations_app, name="reservations")
    app.command("tour")(demo.demo)  # the core alone, offline, in seconds


@functools.cache
def get_app() -> typer.Typer:
    """The app with every group registered (once); tests drive this through typer's CliRunner."""
    _register_groups()
    return app


def main() -> None:
    get_app()()


if __name__ == "__main__":
    main()
