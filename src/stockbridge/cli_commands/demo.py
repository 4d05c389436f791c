"""`stockbridge demo`: the core on a throw-away SQLite file (or `--db`), end to end and offline.
Builds the demo catalog through the catalog importer, runs the scripted day (see `demo_script`),
then shows balances, available-to-sell per channel with one listing explained, the quarantine
and the ledger verification. `--keep-running` then serves the API on that database.
"""

from __future__ import annotations

import json
import secrets
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.markup import escape
from rich.table import Table

from stockbridge.cli_commands.catalog_formats import read_catalog_json
from stockbridge.cli_commands.catalog_import import import_catalog
from stockbridge.cli_commands.db import run_api
from stockbridge.cli_commands.demo_script import DEMO_CATALOG, EXPLAINED_LISTING, DemoDay
from stockbridge.cli_commands.explain_view import show_listing
from stockbridge.cli_commands.inspect import quarantine_table, show_verification
from stockbridge.cli_commands.runtime import console, fail, hub, load_settings, progress_bar
from stockbridge.cli_commands.stock import atp_table, balance_table
from stockbridge.domain.clock import FrozenClock
from stockbridge.services.availability import list_balances, listings_atp
from stockbridge.services.context import HubContext
from stockbridge.services.explain import explain_listing
from stockbridge.services.quarantine import list_quarantine
from stockbridge.services.verify import verify_balances
from stockbridge.store.engine import sqlite_url


def demo(
    db: Annotated[
        str | None, typer.Option("--db", help="Database URL. Default: a new temporary SQLite file.")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the random orders.")] = 7,
    orders: Annotated[int, typer.Option(min=0, help="How many random orders the day has.")] = 60,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Then serve the API on 127.0.0.1 until Ctrl+C.")
    ] = False,
    port: Annotated[int | None, typer.Option(help="API port with --keep-running.")] = None,
) -> None:
    """Run a small day of the hub on a temporary database and show what it made of it."""
    url = db or sqlite_url(Path(tempfile.mkdtemp(prefix="stockbridge-demo-")) / "demo.db")
    out = console()
    out.rule("[bold]stockbridge demo")
    out.print(f"database: {url}")
    clock = FrozenClock(_start_of_day())
    with hub(url, clock=clock) as ctx:
        _build_catalog(ctx)
        day = DemoDay(ctx, clock, seed=seed, orders=orders)
        with progress_bar("a day of stock events", len(day.steps)) as advance:
            day.run(on_step=lambda: advance(1))
        _show_day(day)
        _show_results(ctx)
    out.print(
        f"\nlook around: [bold]stockbridge balances --db {url}[/] (also available, explain, quarantine list)"
    )
    if keep_running:
        _serve_demo(url, port)


def _serve_demo(url: str, port: int | None) -> None:
    """The API on loopback; without configured keys, a one-off key for this session is printed."""
    settings = load_settings(url)
    update: dict[str, object] = {"host": "127.0.0.1", "port": port or settings.port}
    if not settings.api_keys:
        key = secrets.token_urlsafe(16)
        update["api_keys"] = [SecretStr(key)]
        console().print("API key of this demo session (X-API-Key header, or Authorize in /docs):")
        console().print(key, soft_wrap=True)
    settings = settings.model_copy(update=update)
    console().print(f"OpenAPI docs: http://127.0.0.1:{settings.port}/docs")
    run_api(settings)


def _start_of_day() -> datetime:
    """08:00 UTC of the latest day whose demo hours (08:00-18:30) are over, so the API sees a past day."""
    now = datetime.now(UTC)
    day = now if now.hour >= 19 else now - timedelta(days=1)
    return day.replace(hour=8, minute=0, second=0, microsecond=0)


def _build_catalog(ctx: HubContext) -> None:
    rows = read_catalog_json(json.dumps(DEMO_CATALOG))
    with progress_bar("catalog", len(rows)) as advance:
        report = import_catalog(ctx, rows, on_row=lambda: advance(1))
    if report.rejected:
        fail(f"the demo catalog was rejected: {[r.error for r in report.rejected]}")
    console().print("catalog: " + ", ".join(f"{n} {kind}" for kind, n in report.defined.items()))


def _show_day(day: DemoDay) -> None:
    table = Table("time", "what happened", "outcome", title="The day (random orders summarised below)")
    fates: Counter[str] = Counter()
    for at, label, outcome in day.log:
        if label.startswith("order "):
            fates[next((w for w in _FATES if outcome.startswith(w)), "other")] += 1
        else:
            table.add_row(f"{at:%H:%M}", escape(label), escape(outcome))
    console().print(table)
    summary = ", ".join(f"{fates[w]} {w}" for w in (*_FATES, "other") if fates[w])
    console().print(f"random orders: {day.orders} ({summary or 'none'}); holds not paid in time expire")


_FATES = ("held", "refused", "committed", "released", "expired", "skipped")


def _show_results(ctx: HubContext) -> None:
    out = console()
    out.print(balance_table(list_balances(ctx)))
    out.print(atp_table(listings_atp(ctx)))
    out.rule(f"explain listing {EXPLAINED_LISTING[1]} on {EXPLAINED_LISTING[0]}")
    show_listing(out, explain_listing(ctx, *EXPLAINED_LISTING, recent=5))
    out.rule("quarantine")
    out.print(quarantine_table(list_quarantine(ctx), "Quarantine (open)"))
    out.rule("ledger verification")
    show_verification(verify_balances(ctx), repaired=False)
