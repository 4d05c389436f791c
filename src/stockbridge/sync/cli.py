"""`stockbridge sync ...`: connections, bindings, status, breakers and dead letters (this module); pushing,
reconciling, discovery and the worker (`cli_run`).

Commands that talk to a platform build its connector with the factory found in the typer
context object (`{"connector_factory": ...}`, how tests hand in a fake), else the installed one.
Secrets given with `--secret name=value` are stored and never printed back (only their names).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import sqlalchemy as sa
import typer
from rich.markup import escape
from rich.table import Table

from stockbridge.cli_commands.runtime import DbOption, JsonOption, console, fail, hub, print_json
from stockbridge.errors import NotFoundError
from stockbridge.services.bindings import bind, list_bindings
from stockbridge.services.connections import (
    ConnectionSpec,
    list_connections,
    register_connection,
    set_connection_enabled,
)
from stockbridge.services.context import HubContext
from stockbridge.store.schema import locations, skus
from stockbridge.sync import cli_run
from stockbridge.sync.breaker_store import BreakerRow, list_breakers
from stockbridge.sync.dead_letters import discard_dead_letter, list_dead_letters, replay_dead_letter
from stockbridge.sync.status import listing_sync_status

app = typer.Typer(no_args_is_help=True, help="Channel sync: connections, bindings, pushing, reconciliation.")
connections_app = typer.Typer(no_args_is_help=True, help="Links to platform accounts.")
letters_app = typer.Typer(no_args_is_help=True, help="Permanent push failures, parked with their reason.")
app.add_typer(connections_app, name="connections")
app.add_typer(letters_app, name="dead-letters")
cli_run.register(app)

Pairs = Annotated[list[str] | None, typer.Option(help="name=value, repeatable.")]


@connections_app.command("add")
def connections_add(
    code: str,
    platform: Annotated[str, typer.Option(help="shopify, woocommerce, files, ...")],
    channel: Annotated[str | None, typer.Option(help="The hub channel this connection feeds.")] = None,
    base_url: Annotated[str, typer.Option(help="The platform's base URL.")] = "",
    setting: Pairs = None,
    secret: Pairs = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="Register without syncing.")] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Register a connection, or update it (secrets are kept unless --secret is given)."""
    spec = ConnectionSpec(
        code,
        platform,
        channel,
        base_url,
        _pairs(setting or [], "--setting"),
        _pairs(secret or [], "--secret") if secret else None,
        not disabled,
    )
    with hub(db) as ctx:
        view = register_connection(ctx, spec)
    _show_connections([view.as_dict()], as_json)


@connections_app.command("list")
def connections_list(db: DbOption = None, as_json: JsonOption = False) -> None:
    """Every connection, with the names (never the values) of its secrets."""
    with hub(db, migrate=False) as ctx:
        views = list_connections(ctx)
    _show_connections([v.as_dict() for v in views], as_json)


@connections_app.command("enable")
def connections_enable(
    code: str, off: Annotated[bool, typer.Option("--off")] = False, db: DbOption = None
) -> None:
    """Enable a connection (or disable it with --off)."""
    with hub(db, migrate=False) as ctx:
        view = set_connection_enabled(ctx, code, not off)
    console().print(f"{escape(view.code)}: {'enabled' if view.enabled else 'disabled'}")


@app.command("bind")
def bind_command(
    connection: str,
    object_type: Annotated[str, typer.Argument(help="sku, location, or another object type.")],
    external_id: str,
    internal: Annotated[str, typer.Argument(help="SKU or location code (other types: the internal id).")],
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bind one external id to a hub object."""
    with hub(db, migrate=False) as ctx:
        binding = bind(ctx, connection, object_type, external_id, _internal_id(ctx, object_type, internal))
    if as_json:
        print_json(binding.__dict__)
    else:
        console().print(
            f"bound {escape(connection)} {object_type} {escape(external_id)} -> {escape(internal)}"
        )


@app.command("bindings")
def bindings_command(
    connection: str,
    object_type: Annotated[str | None, typer.Option("--type", help="Only this object type.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The bindings of one connection."""
    with hub(db, migrate=False) as ctx:
        rows = [b.__dict__ for b in list_bindings(ctx, connection, object_type)]
    if as_json:
        print_json(rows)
        return
    table = Table("type", "external id", "internal id", "synced at")
    for row in rows:
        table.add_row(
            row["object_type"], escape(row["external_id"]), row["internal_id"], row["synced_at"].isoformat()
        )
    console().print(table)


@app.command("status")
def status_command(
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    problems: Annotated[
        bool, typer.Option("--problems", help="Only listings with an error or skip reason.")
    ] = False,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Each listing's push state: pending, acknowledged, observed, why it was skipped or failed, and
    the circuit breaker of its channel."""
    with hub(db, migrate=False) as ctx:
        rows = listing_sync_status(ctx, channel=channel, problems_only=problems)
        breakers = list_breakers(ctx, channel=channel)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table(
        "channel", "sku", "pending", "acked", "unseen", "observed", "attempts", "breaker", "last error"
    )
    for r in rows:
        table.add_row(
            r.channel,
            escape(r.sku),
            "yes" if r.dirty else "",
            _text(r.acked_quantity),
            str(r.unseen_units or ""),
            _text(r.observed_quantity),
            str(r.attempts or ""),
            "" if r.breaker == "closed" else r.breaker,
            escape(r.last_error or ""),
        )
    console().print(table)
    for b in breakers:
        if b.state != "closed":
            console().print(escape(f"breaker of {b.channel} ({b.connection}): {_breaker_line(b)}"))


@app.command("breakers")
def breakers_command(
    channel: Annotated[str | None, typer.Option(help="Only this channel.")] = None,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """The circuit breaker of each connection's channel, as the sync worker last recorded it."""
    with hub(db, migrate=False) as ctx:
        rows = list_breakers(ctx, channel=channel)
    if as_json:
        print_json([r.as_dict() for r in rows])
        return
    table = Table("connection", "channel", "state", "since", "retry at", "failures", "last error")
    for r in rows:
        table.add_row(
            escape(r.connection),
            r.channel,
            r.state,
            _when(r.since),
            _when(r.retry_at),
            str(r.consecutive_failures or ""),
            escape(r.last_error or ""),
        )
    console().print(table)


@letters_app.command("list")
def letters_list(
    connection: Annotated[str | None, typer.Option(help="Only this connection.")] = None,
    status: Annotated[str, typer.Option(help="open, replayed, discarded or all.")] = "open",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Parked failures with their reason."""
    with hub(db, migrate=False) as ctx:
        letters = list_dead_letters(ctx, connection=connection, status=None if status == "all" else status)
    if as_json:
        print_json([d.as_dict() for d in letters])
        return
    table = Table("id", "connection", "kind", "reference", "status", "attempts", "reason")
    for d in letters:
        table.add_row(
            str(d.id), d.connection, d.kind, d.reference or "", d.status, str(d.attempts), escape(d.reason)
        )
    console().print(table)


@letters_app.command("replay")
def letters_replay(letter_ids: list[int], db: DbOption = None) -> None:
    """Send parked items round again (a push re-marks its listing dirty)."""
    with hub(db, migrate=False) as ctx:
        for letter_id in letter_ids:
            letter = replay_dead_letter(ctx, letter_id)
            console().print(f"{letter.id}: {letter.status}")


@letters_app.command("discard")
def letters_discard(
    letter_id: int, reason: Annotated[str, typer.Option(help="Why it is dropped.")], db: DbOption = None
) -> None:
    """Drop a parked item for good, recording why."""
    with hub(db, migrate=False) as ctx:
        letter = discard_dead_letter(ctx, letter_id, reason)
    console().print(f"{letter.id}: {letter.status}")


def _text(value: int | None) -> str:
    return "" if value is None else str(value)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.isoformat(timespec="seconds")


def _breaker_line(b: BreakerRow) -> str:
    line = f"{b.state} since {_when(b.since)}, {b.consecutive_failures} consecutive failures"
    if b.retry_at is not None:
        line += f", probe from {_when(b.retry_at)}"
    return line + (f" — {b.last_error}" if b.last_error else "")


def _pairs(items: list[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            fail(f"{option} takes name=value")  # the item itself may be a secret: not echoed
        pairs[name.strip()] = value
    return pairs


def _internal_id(ctx: HubContext, object_type: str, internal: str) -> str:
    table = {"sku": skus, "location": locations}.get(object_type)
    if table is None:
        return internal
    with ctx.read() as conn:
        found = conn.scalar(
            sa.select(table.c.id).where(table.c.tenant_id == ctx.tenant_id, table.c.code == internal)
        )
    if found is None:
        raise NotFoundError(f"no {object_type} {internal!r}", field=object_type)
    return str(found)


def _show_connections(rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    table = Table("code", "platform", "channel", "base url", "settings", "secrets", "enabled")
    for r in rows:
        table.add_row(
            escape(r["code"]),
            r["platform"],
            r["channel"] or "",
            escape(r["base_url"]),
            escape(", ".join(f"{k}={v}" for k, v in r["settings"].items())),
            ", ".join(r["secrets"]),
            "yes" if r["enabled"] else "no",
        )
    console().print(table)
