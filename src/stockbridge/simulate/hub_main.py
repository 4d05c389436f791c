"""The hub's two processes as the simulator runs them: `python -m stockbridge.simulate.hub_main api|worker`.

`api` serves `create_app(settings)` with uvicorn, exactly as `stockbridge serve --no-auth` does,
but with the simulator's connector source on the webhook endpoint (see `simulate.connectors`).
`worker` runs the outbound `SyncWorker` (push rounds, scheduled reconciliation) and, beside it,
the inbound work no hub process runs yet: the inbox processor and the order pollers. It serves
its Prometheus metrics on 127.0.0.1 (the simulator reads propagation and call counts there) and
stops cleanly on SIGTERM/SIGINT between ticks. Both are meant to be SIGKILLed at any moment.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from dataclasses import dataclass

from stockbridge.services.connections import ConnectionConfig, list_connections, load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.settings import Settings
from stockbridge.simulate.connectors import sim_connector, sim_inbound
from stockbridge.sync.inbound_bindings import InboundConnector, record_of
from stockbridge.sync.inbox import process_inbox
from stockbridge.sync.pollers import poll_orders
from stockbridge.sync.worker import SyncWorker

logger = logging.getLogger("stockbridge.simulate.hub")


def run_api(database_url: str, port: int) -> None:
    import uvicorn

    from stockbridge.api.app import create_app

    settings = Settings(database_url=database_url, host="127.0.0.1", port=port)
    app = create_app(settings, require_auth=False)
    app.state.connector_source = sim_inbound
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@dataclass(frozen=True)
class InboundConfig:
    poll_every_s: float
    inbox_batch: int = 200


class CachedInbound:
    """One inbound connector per connection for the worker's life (closed at exit)."""

    def __init__(self) -> None:
        self.built: dict[str, InboundConnector] = {}

    def __call__(self, config: ConnectionConfig) -> InboundConnector:
        if config.code not in self.built:
            self.built[config.code] = sim_inbound(config)
        return self.built[config.code]

    async def aclose(self) -> None:
        for connector in self.built.values():
            close = getattr(connector, "aclose", None)
            if close is not None:
                await close()


async def poll_all(ctx: HubContext, source: CachedInbound) -> None:
    for view in list_connections(ctx, enabled_only=True):
        full = load_connection_config(ctx, view.code)
        try:
            await poll_orders(ctx, record_of(full, ctx.tenant_id), source(full))
        except Exception as error:  # a channel that is down is polled again next time
            logger.warning("polling %s failed: %s", view.code, type(error).__name__)


def drain_inbox(ctx: HubContext, source: CachedInbound, batch: int) -> None:
    for _ in range(50):
        if process_inbox(ctx, source, limit=batch).processed < batch:
            break


async def poll_loop(
    ctx: HubContext, source: CachedInbound, config: InboundConfig, stop: asyncio.Event
) -> None:
    """Pollers on their own beat: a channel that is down (retries, backoff) holds up nothing else."""
    while not stop.is_set():
        await poll_all(ctx, source)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=config.poll_every_s)


async def inbox_loop(
    ctx: HubContext, source: CachedInbound, config: InboundConfig, stop: asyncio.Event, interval: float
) -> None:
    """The inbox drained on its own beat, so a slow push or poll never holds back the sales."""
    while not stop.is_set():
        await asyncio.to_thread(drain_inbox, ctx, source, config.inbox_batch)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def outbound_loop(worker: SyncWorker, stop: asyncio.Event, interval: float) -> None:
    while not stop.is_set():
        await worker.tick()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def run_worker(args: argparse.Namespace) -> None:
    from prometheus_client import CollectorRegistry, start_http_server

    from stockbridge.services.bootstrap import bootstrap
    from stockbridge.sync.metrics import HubStateCollector, SyncMetrics
    from stockbridge.sync.pusher import Pusher
    from stockbridge.sync.worker import WorkerConfig

    ctx = bootstrap(Settings(database_url=args.db), migrate=False)
    registry = CollectorRegistry()
    metrics = SyncMetrics(registry)
    registry.register(HubStateCollector(ctx))
    start_http_server(args.metrics_port, addr="127.0.0.1", registry=registry)
    reconcile = args.reconcile_every or None
    config = WorkerConfig(args.interval, reconcile, "heal")
    worker = SyncWorker(Pusher(ctx, metrics=metrics), sim_connector, config=config)
    inbound = CachedInbound()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    inbound_config = InboundConfig(args.poll_every)
    try:
        await asyncio.gather(
            poll_loop(ctx, inbound, inbound_config, stop),
            inbox_loop(ctx, inbound, inbound_config, stop, args.interval),
            outbound_loop(worker, stop, args.interval),
        )
    finally:
        await worker.close()
        await inbound.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stockbridge.simulate.hub_main")
    parser.add_argument("role", choices=["api", "worker"])
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--metrics-port", type=int, default=0)
    parser.add_argument("--interval", type=float, default=0.05)
    parser.add_argument("--poll-every", type=float, default=1.0)
    parser.add_argument("--reconcile-every", type=float, default=5.0)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    if args.role == "api":
        run_api(args.db, args.port)
    else:
        asyncio.run(run_worker(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
