"""`stockbridge sync push|reconcile|discover|worker`: the commands that talk to platforms.

Exit codes: 0 done; 1 when a round or reconciliation stopped early (breaker open, the channel
failing, no channel to feed), when `reconcile` found drift it did not heal (no `--heal`, or
under-drift still in its grace period).
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import typer
from prometheus_client import CollectorRegistry, start_http_server
from rich.markup import escape

from stockbridge.cli_commands.runtime import EXIT_ERROR, DbOption, JsonOption, console, fail, hub, print_json
from stockbridge.services.connections import (
    ConnectionView,
    get_connection,
    list_connections,
    load_connection_config,
)
from stockbridge.services.context import HubContext
from stockbridge.sync.breaker import BreakerBoard
from stockbridge.sync.breaker_store import DbBreakerStore
from stockbridge.sync.connectors import ConnectorFactory, installed_connector
from stockbridge.sync.discovery import discover
from stockbridge.sync.metrics import HubStateCollector, SyncMetrics
from stockbridge.sync.pusher import Pusher
from stockbridge.sync.reconcile import DEFAULT_UNDER_GRACE_S, Policy, reconcile
from stockbridge.sync.worker import SyncWorker, WorkerConfig

T = TypeVar("T")
GraceOption = Annotated[
    float,
    typer.Option(
        "--grace", min=0, help="Seconds a channel must show a level below the hub's before healing raises it."
    ),
]
ConnectionOption = Annotated[str | None, typer.Option("--connection", help="Only this connection.")]


def register(app: typer.Typer) -> None:
    app.command("discover")(discover_command)
    app.command("push")(push_command)
    app.command("reconcile")(reconcile_command)
    app.command("worker")(worker_command)


def discover_command(
    tctx: typer.Context, connection: str, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """Read the channel's locations and variants and bind them (by SKU code, alias, location code)."""
    with hub(db, migrate=False) as ctx:
        view = get_connection(ctx, connection)
        reports = asyncio.run(_each(ctx, _factory(tctx), [view], lambda v, c: discover(ctx, v.code, c)))
    report = reports[0]
    if as_json:
        print_json(report.as_dict())
        return
    console().print(
        f"bound {len(report.bound)}, unchanged {report.unchanged}, unmatched {len(report.unmatched)}"
    )
    for item in report.unmatched:
        console().print(
            f"  {item.object_type} {escape(item.external_id)} ({escape(item.label)}): {escape(item.reason)}"
        )


def push_command(
    tctx: typer.Context, connection: ConnectionOption = None, db: DbOption = None, as_json: JsonOption = False
) -> None:
    """One push round for each enabled connection (or one): dirty listings -> the channel."""
    with hub(db, migrate=False) as ctx:
        pusher = Pusher(ctx, breakers=BreakerBoard(ctx.clock, store=DbBreakerStore(ctx)))
        reports = asyncio.run(_each(ctx, _factory(tctx), _targets(ctx, connection), pusher.push_round))
    rows = [r.as_dict() for r in reports]
    if as_json:
        print_json(rows)
    for r in reports if not as_json else []:
        line = f"{r.connection}: claimed {r.claimed}, applied {r.applied}, unchanged {r.unchanged}, "
        line += f"stale {r.stale}, requeued {r.requeued}, dead-lettered {r.dead_lettered}, calls {r.calls}"
        console().print(escape(line + (f" — stopped: {r.stopped}" if r.stopped else "")))
        for skip in r.skipped:
            console().print(f"  skipped {escape(skip.sku)}: {escape(skip.reason)}")
    if any(r.stopped for r in reports):
        raise typer.Exit(EXIT_ERROR)


def reconcile_command(
    tctx: typer.Context,
    connection: ConnectionOption = None,
    heal: Annotated[
        bool, typer.Option("--heal", help="Push the hub's level where the channel drifted.")
    ] = False,
    grace: GraceOption = DEFAULT_UNDER_GRACE_S,
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare what each channel shows with what the hub wants; report (or heal) the drift."""
    with hub(db, migrate=False) as ctx:
        pusher = Pusher(ctx, breakers=BreakerBoard(ctx.clock, store=DbBreakerStore(ctx)))

        def run(view: ConnectionView, connector: Any) -> Awaitable[Any]:
            return reconcile(
                pusher, view, connector, policy="heal" if heal else "report", under_grace_s=grace
            )

        reports = asyncio.run(_each(ctx, _factory(tctx), _targets(ctx, connection), run))
    if as_json:
        print_json([r.as_dict() for r in reports])
    for r in reports if not as_json else []:
        line = f"{r.connection}: checked {r.checked}, in sync {r.in_sync}, pending {r.pending}, "
        line += (
            f"drifted {len(r.drifts)} ({r.drift_units} units), healed {r.healed}, deferred {len(r.deferred)}"
        )
        console().print(escape(line))
        for d in r.drifts:
            console().print(
                f"  {escape(d.sku)}: wants {d.desired}, shows {d.observed} ({d.direction} {d.units})"
            )
    if (
        any(r.stopped for r in reports)
        or any(r.deferred for r in reports)
        or (not heal and any(r.drifts for r in reports))
    ):
        raise typer.Exit(EXIT_ERROR)


def worker_command(
    tctx: typer.Context,
    interval: Annotated[float, typer.Option(min=0, help="Seconds between ticks.")] = 0.2,
    reconcile_every: Annotated[
        float, typer.Option(min=0, help="Seconds between reconciliations (0: never).")
    ] = 300,
    heal: Annotated[bool, typer.Option("--heal", help="Scheduled reconciliation heals drift.")] = False,
    grace: GraceOption = DEFAULT_UNDER_GRACE_S,
    metrics_port: Annotated[int | None, typer.Option(help="Serve /metrics on 127.0.0.1:PORT.")] = None,
    max_ticks: Annotated[int | None, typer.Option(min=1, help="Stop after this many ticks.")] = None,
    coalesce: Annotated[
        float,
        typer.Option(min=0, help="Seconds a part-batch backlog may wait to fill a batch (0: push at once)."),
    ] = 0.3,
    latency_target: Annotated[
        float,
        typer.Option(
            min=0,
            help="Seconds a growing backlog may be held to fill batches, at most (0: fixed at --coalesce).",
        ),
    ] = 1.0,
    breaker_threshold: Annotated[
        int, typer.Option(min=1, help="Consecutive failed calls that open a channel's circuit breaker.")
    ] = 5,
    breaker_cool_down: Annotated[
        float, typer.Option(min=0, help="Seconds an open breaker waits before one probing call.")
    ] = 30.0,
    db: DbOption = None,
) -> None:
    """Run the sync loop until SIGINT/SIGTERM: push every enabled connection, reconcile on schedule.

    Circuit breakers are recorded in the database (`stockbridge sync breakers`); a restarted
    worker keeps an open one open until its cool-down has passed."""
    policy: Policy = "heal" if heal else "report"
    config = WorkerConfig(
        interval,
        reconcile_every or None,
        policy,
        grace,
        max_ticks=max_ticks,
        coalesce_s=coalesce,
        latency_target_s=latency_target or None,
    )
    with hub(db, migrate=False) as ctx:
        registry = CollectorRegistry()
        metrics = SyncMetrics(registry)
        registry.register(HubStateCollector(ctx))
        if metrics_port is not None:
            start_http_server(metrics_port, addr="127.0.0.1", registry=registry)
        # breakers recorded in `channel_breakers`: visible to the API and the CLI, resumed on restart
        breakers = BreakerBoard(
            ctx.clock,
            failure_threshold=breaker_threshold,
            cool_down_s=breaker_cool_down,
            on_change=metrics.breaker_changed,
            store=DbBreakerStore(ctx),
        )
        worker = SyncWorker(Pusher(ctx, metrics=metrics, breakers=breakers), _factory(tctx), config=config)
        asyncio.run(_run_worker(worker))
    console().print(f"worker stopped after {worker.ticks} ticks")


async def _run_worker(worker: SyncWorker) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await worker.run(stop)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)


async def _each(
    ctx: HubContext,
    factory: ConnectorFactory,
    views: list[ConnectionView],
    work: Callable[[ConnectionView, Any], Awaitable[T]],
) -> list[T]:
    results: list[T] = []
    for view in views:
        connector = factory(load_connection_config(ctx, view.code))
        try:
            results.append(await work(view, connector))
        finally:
            await connector.aclose()
    return results


def _targets(ctx: HubContext, connection: str | None) -> list[ConnectionView]:
    if connection is not None:
        return [get_connection(ctx, connection)]
    views = [v for v in list_connections(ctx, enabled_only=True) if v.channel is not None]
    if not views:
        fail("no enabled connection feeds a channel; add one with `stockbridge sync connections add`")
    return views


def _factory(tctx: typer.Context) -> ConnectorFactory:
    obj = tctx.obj if isinstance(tctx.obj, dict) else {}
    factory: ConnectorFactory = obj.get("connector_factory", installed_connector)
    return factory
