"""`stockbridge balances` and `stockbridge available`: what is in stock per (SKU, location), and
what each channel listing may sell."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stockbridge.cli_commands.runtime import DbOption, JsonOption, console, hub, print_json
from stockbridge.domain.quantities import AVAILABLE, STATES, State
from stockbridge.services.availability import BalanceView, ListingAtp, list_balances, listings_atp

SHORT = {"on_hand": "on hand", "in_transit": "in transit", "quality_control": "QC", "safety_stock": "safety"}
SkuOption = Annotated[str | None, typer.Option("--sku", help="Only this SKU code.")]


def balances(
    sku: SkuOption = None,
    location: Annotated[str | None, typer.Option("--location", help="Only this location code.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many rows.")] = 1000,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Balances per (SKU, location): every counter and the available quantity."""
    with hub(db, migrate=False) as ctx:
        rows = list_balances(ctx, sku=sku, location=location, limit=limit)
    if as_json:
        print_json([r.as_dict() for r in rows])
    else:
        console().print(balance_table(rows))


def available(
    channel: Annotated[str | None, typer.Option("--channel", help="Only this channel code.")] = None,
    sku: SkuOption = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Available-to-sell of every channel listing, with the rules that shaped it."""
    with hub(db, migrate=False) as ctx:
        rows = listings_atp(ctx, channel=channel, sku=sku)
    if as_json:
        print_json([r.as_dict() for r in rows])
    else:
        console().print(atp_table(rows))


def balance_table(rows: list[BalanceView]) -> Table:
    """on_hand and available always; other counters only when some row has one (see the caption)."""
    shown = [s for s in STATES if s is State.ON_HAND or any(r.quantities.get(s) for r in rows)]
    hidden = [SHORT.get(s.value, s.value) for s in STATES if s not in shown]
    table = Table(
        "sku", "location", *(SHORT.get(s.value, s.value) for s in shown), AVAILABLE, title="Balances"
    )
    for column in table.columns[2:]:
        column.justify = "right"
    for r in rows:
        q = r.quantities
        table.add_row(
            escape(r.sku), escape(r.location), *(str(q.get(s)) for s in shown), f"[bold]{q.available}[/]"
        )
    if not rows:
        table.caption = "no balances"
    elif hidden:
        table.caption = f"zero everywhere: {', '.join(hidden)}"
    return table


def atp_table(rows: list[ListingAtp]) -> Table:
    table = Table("channel", "sku", "available to sell", "how", title="Available to sell")
    table.columns[2].justify = "right"
    for r in rows:
        first, *rest = r.result.steps
        how = ", ".join([f"{first.rule} {first.after}", *(f"{s.rule}→{s.after}" for s in rest)])
        table.add_row(escape(r.channel), escape(r.sku), f"[bold]{r.result.quantity}[/]", how)
    if not rows:
        table.caption = "no listings"
    return table
