"""`inbox` and `poll` commands: look at the webhook inbox, process it, requeue a row after fixing
its data, poll a connection's orders, and list channel oversells.

    inbox list [--status pending|done|quarantined|failed]    what arrived and what became of it
    inbox process [--limit N]                                one pass over the pending rows
    inbox requeue ID                                          failed/quarantined -> pending again
    poll CONNECTION [--lookback-s S] [--no-process]           read orders since the checkpoint
    run [--process-every-s S] [--poll-every-s S] [--metrics-port P]
                                                              both, until SIGINT/SIGTERM
    oversells                                                 channel sales beyond available

`app` uses the installed connectors; `make_app(source)` builds the same commands around another
connector source (tests use a fake one).
"""

from __future__ import annotations

import asyncio
import signal
from datetime import timedelta
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry, start_http_server
from rich.table import Table

from stockbridge.cli_commands.runtime import DbOption, JsonOption, console, fail, hub, print_json
from stockbridge.services.channel_orders import list_oversells
from stockbridge.services.connections import load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.sync.inbound_bindings import (
    ConnectionRecord,
    ConnectorSource,
    InboundConnector,
    installed_connector_source,
    record_of,
)
from stockbridge.sync.inbox import InboxReport, list_inbox, process_inbox, requeue
from stockbridge.sync.pollers import (
    DEFAULT_LOOKBACK,
    InboundLoop,
    InboundMetrics,
    InboxStateCollector,
    PollReport,
    poll_orders,
)

LimitOption = Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")]


def make_app(source: ConnectorSource = installed_connector_source) -> typer.Typer:
    app = typer.Typer(
        help="Inbound sync: the webhook inbox, order polling, channel oversells.", no_args_is_help=True
    )
    inbox = typer.Typer(help="The webhook inbox.", no_args_is_help=True)
    app.add_typer(inbox, name="inbox")
    _inbox_commands(inbox, source)
    _channel_commands(app, source)
    return app


def _inbox_commands(inbox: typer.Typer, source: ConnectorSource) -> None:
    @inbox.command("list")
    def list_rows(
        db: DbOption = None,
        as_json: JsonOption = False,
        status: Annotated[str | None, typer.Option(help="Only rows with this status.")] = None,
        limit: LimitOption = 100,
    ) -> None:
        """Inbox rows in arrival order, with attempts and the reason of what failed."""
        with hub(db) as ctx:
            rows = list_inbox(ctx, status=status, limit=limit)
        if as_json:
            print_json([r.as_dict() for r in rows])
            return
        table = Table("id", "connection", "topic", "delivery", "status", "attempts", "note")
        for r in rows:
            table.add_row(
                str(r.id), r.connection, r.topic, r.delivery_id, r.status, str(r.attempts), r.error or ""
            )
        console().print(table)

    @inbox.command("process")
    def process(
        db: DbOption = None,
        as_json: JsonOption = False,
        limit: LimitOption = 1000,
        max_attempts: Annotated[int, typer.Option(min=1, help="Give a row up after this many tries.")] = 5,
    ) -> None:
        """One pass over the pending rows: apply, quarantine, retry later or fail each."""
        with hub(db) as ctx:
            report = process_inbox(ctx, source, limit=limit, max_attempts=max_attempts)
        _print_report(report, as_json)

    @inbox.command("requeue")
    def requeue_row(inbox_id: int, db: DbOption = None) -> None:
        """Process a failed or quarantined row again (after fixing a binding or an alias)."""
        with hub(db) as ctx:
            if not requeue(ctx, inbox_id):
                fail(f"inbox row {inbox_id} is not failed or quarantined")
        console().print(f"inbox row {inbox_id} is pending again")


def _channel_commands(app: typer.Typer, source: ConnectorSource) -> None:
    @app.command("run")
    def run(
        db: DbOption = None,
        process_every_s: Annotated[float, typer.Option(min=0.01, help="Inbox passes this often.")] = 0.5,
        poll_every_s: Annotated[float, typer.Option(min=1, help="Poll every connection this often.")] = 300.0,
        poll: Annotated[bool, typer.Option("--poll/--no-poll", help="Poll orders as well.")] = True,
        metrics_port: Annotated[
            int | None,
            typer.Option(help="Serve /metrics on 127.0.0.1:PORT (inbox rows by status, passes, polls)."),
        ] = None,
    ) -> None:
        """Process the inbox and poll connections until SIGINT or SIGTERM (a poll runs beside the
        inbox passes, so a channel that is slow or down never holds up the inbox)."""
        with hub(db) as ctx:
            registry = CollectorRegistry()
            metrics = InboundMetrics(registry)
            registry.register(InboxStateCollector(ctx))
            if metrics_port is not None:
                start_http_server(metrics_port, addr="127.0.0.1", registry=registry)
            every = poll_every_s if poll else None
            loop = InboundLoop(ctx, source, process_every_s, every, metrics=metrics)
            asyncio.run(_until_signalled(loop))
        console().print(f"stopped; processed: {loop.processed}")

    @app.command("poll")
    def poll(
        connection: str,
        db: DbOption = None,
        as_json: JsonOption = False,
        lookback_s: Annotated[float, typer.Option(min=0, help="Re-read this far behind the cursor.")] = (
            DEFAULT_LOOKBACK.total_seconds()
        ),
        process_after: Annotated[
            bool, typer.Option("--process/--no-process", help="Process the inbox after.")
        ] = True,
    ) -> None:
        """Read the connection's orders since its checkpoint into the inbox (and process them)."""
        with hub(db) as ctx:
            config = load_connection_config(ctx, connection)
            record = record_of(config, ctx.tenant_id)
            connector = source(config)
            polled = asyncio.run(_poll_once(ctx, record, connector, timedelta(seconds=lookback_s)))
            report = process_inbox(ctx, source) if process_after else InboxReport()
        summary = {
            "fetched": polled.fetched,
            "stored": polled.stored,
            "known": polled.known,
            "skipped_ties": polled.skipped_ties,
            "cursor": polled.cursor.to_json(),
            "processed": report.counts,
        }
        if as_json:
            print_json(summary)
        else:
            console().print(f"{connection}: {summary}")

    @app.command("oversells")
    def oversells(db: DbOption = None, as_json: JsonOption = False, limit: LimitOption = 100) -> None:
        """Channel sales the hub could not cover (newest first)."""
        with hub(db) as ctx:
            found = list_oversells(ctx, limit=limit)
        if as_json:
            print_json(found)
            return
        table = Table("event", "source", "order", "oversold")
        for item in found:
            lines = ", ".join(
                f"{o['sku']}@{o['location']}: sold {o['sold']}, had {o['available_before']}"
                for o in item["oversold"]
            )
            table.add_row(str(item["event_id"]), item["source"], item["reference"], lines)
        console().print(table)


async def _poll_once(
    ctx: HubContext, record: ConnectionRecord, connector: InboundConnector, lookback: timedelta
) -> PollReport:
    try:
        return await poll_orders(ctx, record, connector, lookback=lookback)
    finally:
        await connector.aclose()


async def _until_signalled(loop: InboundLoop) -> None:
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(signum, stop.set)
    await loop.run(stop)


def _print_report(report: InboxReport, as_json: bool) -> None:
    if as_json:
        print_json({"counts": report.counts, "oversold": report.oversold})
        return
    counts = ", ".join(f"{n} {status}" for status, n in sorted(report.counts.items())) or "nothing pending"
    console().print(f"processed: {counts}")
    for item in report.oversold:
        console().print(f"[yellow]channel oversell:[/] {item}")


app = make_app()
