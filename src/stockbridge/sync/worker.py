"""The long-running sync worker of one hub: push every enabled connection, reconcile on a schedule.

Each tick: list enabled connections that feed a channel, build (once, then cache) each one's
connector through the injected `ConnectorFactory`, and run push rounds for all of them
concurrently. A connection keeps getting rounds within a tick while its last round filled the
claim limit or converged a stale compare-and-set (so a stale write is retried at once, not a
tick later), up to `max_rounds_per_tick`. Reconciliation runs per connection every
`reconcile_interval_s` on the injected clock (None: never; on demand through the CLI); the first
tick reconciles at once, which also heals listings a crashed process had claimed but not pushed.

Failures stay inside their connection: a connector that cannot be built or a round that raises
is logged with its connection and retried next tick; other channels carry on. Shutdown is
graceful: `stop` is checked between ticks (never in the middle of a round, so every claim is
settled or re-marked), then every connector is closed. Reservation expiry is not here: the
API's sweeper owns it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stockbridge.connectors.base import Connector
from stockbridge.services.connections import ConnectionView, list_connections, load_connection_config
from stockbridge.sync import outbox
from stockbridge.sync.connectors import ConnectorFactory
from stockbridge.sync.pusher import Pusher, RoundReport
from stockbridge.sync.reconcile import DEFAULT_UNDER_GRACE_S, Policy, ReconcileReport, reconcile

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class WorkerConfig:
    poll_interval_s: float = 0.2
    reconcile_interval_s: float | None = 300.0
    reconcile_policy: Policy = "report"
    under_grace_s: float = DEFAULT_UNDER_GRACE_S  # see reconcile: raising a level waits this long
    max_rounds_per_tick: int = 10
    # Coalescing: a backlog smaller than one batch waits until its oldest change is this old, so
    # a burst of changes leaves in full batches (calls near ceil(listings / batch)); latency
    # grows by at most this much. `sync worker` runs with 0.3 s.
    coalesce_s: float = 0.0
    max_ticks: int | None = None  # stop after this many ticks (None: until told)


@dataclass
class TickReport:
    rounds: list[RoundReport] = field(default_factory=list)
    reconciliations: list[ReconcileReport] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # connection -> what went wrong


class SyncWorker:
    def __init__(
        self,
        pusher: Pusher,
        factory: ConnectorFactory,
        *,
        config: WorkerConfig | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.pusher, self.factory = pusher, factory
        self.config = config or WorkerConfig()
        self.sleep = sleep
        self.ctx = pusher.ctx
        self._connectors: dict[str, Connector] = {}
        self._next_reconcile: dict[str, datetime] = {}
        self.ticks = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; then close every connector."""
        try:
            while not stop.is_set() and not self._done():
                await self.tick()
                if not self._done():
                    await self._idle(stop)
        finally:
            await self.close()

    def _done(self) -> bool:
        return self.config.max_ticks is not None and self.ticks >= self.config.max_ticks

    async def tick(self) -> TickReport:
        report = TickReport()
        views = [v for v in list_connections(self.ctx, enabled_only=True) if v.channel_id is not None]
        await self._drop_stale_connectors({v.code for v in views})
        await asyncio.gather(*(self._serve(view, report) for view in views))
        self.ticks += 1
        return report

    async def close(self) -> None:
        connectors, self._connectors = self._connectors, {}
        for code, connector in sorted(connectors.items()):
            try:
                await connector.aclose()
            except Exception:
                logger.exception("closing the connector of %s failed", code)

    async def _serve(self, view: ConnectionView, report: TickReport) -> None:
        try:
            connector = self._connector(view)
            if self._settling(view, connector):
                return
            for _ in range(max(self.config.max_rounds_per_tick, 1)):
                pushed = await self.pusher.push_round(view, connector)
                report.rounds.append(pushed)
                if not _again(pushed, self.pusher.config.claim_limit):
                    break
            if self._reconcile_due(view.code):
                report.reconciliations.append(
                    await reconcile(
                        self.pusher,
                        view,
                        connector,
                        policy=self.config.reconcile_policy,
                        under_grace_s=self.config.under_grace_s,
                    )
                )
        except Exception as error:  # one channel's failure must not stop the others
            logger.exception("sync of connection %s failed", view.code)
            report.errors[view.code] = f"{type(error).__name__}: {error}"

    def _settling(self, view: ConnectionView, connector: Connector) -> bool:
        """True while a part-batch backlog is younger than the coalescing window."""
        if self.config.coalesce_s <= 0 or view.channel_id is None:
            return False
        waiting, oldest = outbox.backlog(self.ctx, view.channel_id)
        if waiting == 0 or waiting >= connector.capabilities.max_batch or oldest is None:
            return False
        return (self.ctx.clock.now() - oldest).total_seconds() < self.config.coalesce_s

    def _connector(self, view: ConnectionView) -> Connector:
        if view.code not in self._connectors:
            self._connectors[view.code] = self.factory(load_connection_config(self.ctx, view.code))
        return self._connectors[view.code]

    async def _drop_stale_connectors(self, live: set[str]) -> None:
        for code in sorted(set(self._connectors) - live):  # disabled or removed meanwhile
            await self._connectors.pop(code).aclose()

    def _reconcile_due(self, code: str) -> bool:
        interval = self.config.reconcile_interval_s
        if interval is None:
            return False
        now = self.ctx.clock.now()
        due = self._next_reconcile.get(code, now)
        if now < due:
            return False
        self._next_reconcile[code] = now + timedelta(seconds=interval)
        return True

    async def _idle(self, stop: asyncio.Event) -> None:
        """Wait one poll interval, or less if asked to stop."""
        napping = asyncio.ensure_future(self.sleep(self.config.poll_interval_s))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({napping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (napping, stopping):
                task.cancel()


def _again(report: RoundReport, claim_limit: int) -> bool:
    if report.stopped is not None:
        return False
    return report.claimed >= claim_limit or report.stale > 0
