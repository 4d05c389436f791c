"""Looking into the hub and keeping it honest: `explain`, `quarantine`, `verify` and the
reservation sweeper (`reservations expire`)."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from stockbridge.cli_commands.explain_view import show_balance, show_listing
from stockbridge.cli_commands.runtime import EXIT_ERROR, DbOption, JsonOption, console, hub, print_json
from stockbridge.services.explain import explain_balance, explain_listing
from stockbridge.services.quarantine import (
    QuarantinedItem,
    discard_quarantined,
    list_quarantine,
    retry_quarantined,
)
from stockbridge.services.reservations import expire_due
from stockbridge.services.verify import Mismatch, repair_balances, verify_balances

explain_app = typer.Typer(no_args_is_help=True, help="How a number was made.")
quarantine_app = typer.Typer(no_args_is_help=True, help="Rejected input, kept with its reason.")
reservations_app = typer.Typer(no_args_is_help=True, help="Reservation housekeeping.")
Recent = Annotated[int, typer.Option(min=1, help="How many recent events to show.")]


@explain_app.command("balance")
def explain_balance_command(
    sku: str, location: str, recent: Recent = 20, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """Counters of one (SKU, location) balance, the formula for available, the events behind it."""
    with hub(db, migrate=False) as ctx:
        data = explain_balance(ctx, sku, location, recent=recent)
    if as_json:
        print_json(data)
    else:
        show_balance(console(), data)


@explain_app.command("listing")
def explain_listing_command(
    channel: str, sku: str, recent: Recent = 10, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """Each step of a listing's available-to-sell, the supply per location, the events behind it."""
    with hub(db, migrate=False) as ctx:
        data = explain_listing(ctx, channel, sku, recent=recent)
    if as_json:
        print_json(data)
    else:
        show_listing(console(), data)


@quarantine_app.command("list")
def quarantine_list(
    status: Annotated[str, typer.Option(help="open, resolved, discarded or all.")] = "open",
    limit: Annotated[int, typer.Option(min=1)] = 100,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """What was rejected, why, and which field to fix."""
    with hub(db, migrate=False) as ctx:
        items = list_quarantine(ctx, status=None if status == "all" else status, limit=limit)
    if as_json:
        print_json([i.__dict__ for i in items])
    else:
        console().print(quarantine_table(items, f"Quarantine ({status})"))


@quarantine_app.command("retry")
def quarantine_retry(
    ids: Annotated[list[int], typer.Argument(help="Quarantine ids.")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Apply items again after the data was fixed (e.g. the missing SKU now exists)."""
    with hub(db, migrate=False) as ctx:
        items = retry_quarantined(ctx, ids)
    if as_json:
        print_json([i.__dict__ for i in items])
    else:
        console().print(quarantine_table(items, "After retry"))
    if any(i.status == "open" for i in items):
        raise typer.Exit(EXIT_ERROR)


@quarantine_app.command("discard")
def quarantine_discard(
    item_id: Annotated[int, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why it is dropped (kept on the item).")],
    db: DbOption = None,
) -> None:
    """Give up on an item, with a reason."""
    with hub(db, migrate=False) as ctx:
        item = discard_quarantined(ctx, item_id, reason)
    console().print(quarantine_table([item], "Discarded"))


def quarantine_table(items: list[QuarantinedItem], title: str) -> Table:
    table = Table("id", "status", "source", "error", "field", "message", "attempts", title=title)
    for i in items:
        table.add_row(
            str(i.id),
            i.status,
            escape(i.source or ""),
            i.error_code,
            escape(i.field or ""),
            escape(i.message),
            str(i.attempts),
        )
    if not items:
        table.caption = "nothing here"
    return table


def verify(
    repair: Annotated[bool, typer.Option("--repair", help="Rewrite wrong balances from the ledger.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Re-derive every balance from the ledger and compare (exit code 1 on a mismatch left unrepaired)."""
    with hub(db, migrate=False) as ctx:
        wrong = repair_balances(ctx) if repair else verify_balances(ctx)
    if as_json:
        print_json({"mismatches": [mismatch_dict(m) for m in wrong], "repaired": repair and bool(wrong)})
    else:
        show_verification(wrong, repaired=repair)
    if wrong and not repair:
        raise typer.Exit(EXIT_ERROR)


def mismatch_dict(m: Mismatch) -> dict[str, object]:
    return {
        "sku_id": m.sku_id,
        "location_id": m.location_id,
        "live": m.live.as_dict(),
        "ledger": m.rebuilt.as_dict(),
    }


def show_verification(wrong: list[Mismatch], *, repaired: bool) -> None:
    out = console()
    if not wrong:
        out.print("[green]ledger verified:[/] every balance equals the sum of its ledger movements")
        return
    table = Table(
        "sku id", "location id", "live", "from ledger", title="Balances that differ from the ledger"
    )
    for m in wrong:
        live, rebuilt = m.live.as_dict(), m.rebuilt.as_dict()
        diff = [k for k in live if live[k] != rebuilt[k]]
        table.add_row(str(m.sku_id), str(m.location_id), _pick(live, diff), _pick(rebuilt, diff))
    out.print(table)
    out.print(
        "[yellow]repaired from the ledger[/]" if repaired else "[red]run `stockbridge verify --repair`[/]"
    )


def _pick(values: dict[str, int], names: list[str]) -> str:
    return ", ".join(f"{n} {values[n]}" for n in names)


@reservations_app.command("expire")
def reservations_expire(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Run the expiry sweeper once: release every held reservation whose time is up."""
    with hub(db, migrate=False) as ctx:
        total = 0
        while (swept := expire_due(ctx)) > 0:
            total += swept
    if as_json:
        print_json({"expired": total})
    else:
        console().print(f"expired {total} reservation(s)")
