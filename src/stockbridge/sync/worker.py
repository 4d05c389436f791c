"""The long-running sync worker of one hub: push every enabled connection, reconcile on a schedule.

Each tick: list enabled connections that feed a channel, build (once, then cache) each one's
connector through the injected `ConnectorFactory`, and run push rounds for all of them
concurrently. A connection keeps getting rounds within a tick while its last round filled the
claim limit or converged a stale compare-and-set (so a stale write is retried at once, not a
tick later), up to `max_rounds_per_tick`. Reconciliation runs per connection every
`reconcile_interval_s` on the injected clock (None: never; on demand through the CLI); the first
tick reconciles at once, which also heals listings a crashed process had claimed but not pushed.
`tick` serves every connection and returns when all are done; `run` does not wait for a slow
channel: its ticks come every `poll_interval_s` (sooner when a held backlog is due) and skip a
connection whose serving is still under way, so one channel's long round never delays another.

Coalescing (`coalesce_s` > 0; see `coalesce`): a channel's backlog is held while it is still
growing and younger than the window, so a burst leaves once, in full batches, instead of in
part-filled batches that the rest of the burst makes dirty again. With `latency_target_s` the
window stretches for small backlogs, as far as the measured cost of pushing them allows.

Failures stay inside their connection: a connector that cannot be built or a round that raises
is logged with its connection and retried next tick; other channels carry on. Shutdown is
graceful: `stop` is checked between ticks (never in the middle of a round, so every claim is
settled or re-marked; rounds under way are awaited), then every connector is closed.
Reservation expiry is not here: the API's sweeper owns it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from stockbridge.connectors.base import Connector
from stockbridge.services.connections import ConnectionView, list_connections, load_connection_config
from stockbridge.services.context import HubContext
from stockbridge.store.schema import listings
from stockbridge.sync.connectors import ConnectorFactory
from stockbridge.sync.pusher import Pusher, RoundReport
from stockbridge.sync.reconcile import DEFAULT_UNDER_GRACE_S, Policy, ReconcileReport, reconcile

logger = logging.getLogger(__name__)
Sleep = Callable[[float], Awaitable[None]]
MIN_WAIT_S = 0.01  # the shortest nap between ticks, so a backlog due now cannot spin the loop
LOOK_SLACK_S = 0.1  # the adaptive window leaves this for the next look and the claim
# A round's cost per claimed listing until a connection's own rounds have measured it (then it is
# learned per connection): a round of ~500 listings took 0.2-0.4 s on Shopify (2 calls) and
# 0.23-0.85 s on WooCommerce (5 calls) on the standard box, depending on the day's load
FIRST_PER_LISTING_S = 0.0006
_l = listings.c


@dataclass(frozen=True)
class WorkerConfig:
    poll_interval_s: float = 0.2
    reconcile_interval_s: float | None = 300.0
    reconcile_policy: Policy = "report"
    under_grace_s: float = DEFAULT_UNDER_GRACE_S  # see reconcile: raising a level waits this long
    max_rounds_per_tick: int = 10
    # Coalescing (0: push at once). While a channel's backlog is still growing and its oldest
    # change is younger than the window, it is held (whole batches only, if
    # `whole_batches_while_growing`); all of it leaves once the window is spent or the backlog
    # has stopped growing (no listing became dirty for `quiet_s` while no round of this worker
    # was under way). `sync worker` runs with 0.3 s.
    coalesce_s: float = 0.0
    quiet_s: float = 0.1
    # Adaptive window (None: fixed at `coalesce_s`): stretched to this latency target minus the
    # expected time to push the backlog (seconds per listing, measured on recent rounds) and
    # `LOOK_SLACK_S`; never below `coalesce_s`.
    latency_target_s: float | None = 1.0
    # Off by default: in a burst, listings pushed before it ends are mostly changed again by the
    # rest of it and cost a second call (measured in docs/benchmarks.md, "Channel propagation").
    whole_batches_while_growing: bool = False
    max_ticks: int | None = None  # stop after this many ticks (None: until told)


@dataclass
class TickReport:
    rounds: list[RoundReport] = field(default_factory=list)
    reconciliations: list[ReconcileReport] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # connection -> what went wrong


@dataclass(frozen=True)
class Backlog:
    waiting: int  # dirty listings of the channel
    oldest: datetime | None  # their earliest dirty_at: latency counts from here
    newest: datetime | None  # their latest dirty_at: when the backlog last grew


@dataclass(frozen=True)
class Hold:
    limit: int | None  # what a round may claim now: None as much as it likes, 0 nothing (no round)
    recheck_in_s: float | None = None  # when the held rest is due (window spent or quiet)


def coalesce(
    backlog: Backlog,
    now: datetime,
    *,
    batch: int,
    window_s: float,
    quiet_s: float,
    whole_batches: bool = False,
) -> Hold:
    """The coalescing rule for one channel's backlog at `now`.

    Empty: no round. Oldest change at least `window_s` old, or no listing became dirty for
    `quiet_s` (the burst is over: waiting longer saves nothing): everything leaves. Otherwise it
    is held (whole batches may leave if `whole_batches`), to be looked at again when the window
    is spent or the backlog has been quiet for `quiet_s`, whichever comes first.
    """
    if backlog.waiting == 0 or backlog.oldest is None:
        return Hold(0)
    age = (now - backlog.oldest).total_seconds()
    quiet = (now - (backlog.newest or backlog.oldest)).total_seconds()
    if age >= window_s or quiet >= quiet_s:
        return Hold(None)
    whole = backlog.waiting // max(batch, 1) * max(batch, 1) if whole_batches else 0
    return Hold(whole, min(window_s - age, quiet_s - quiet))


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
        self._busy: dict[str, asyncio.Task[None]] = {}  # connection -> its serving under way
        self._due: dict[str, datetime] = {}  # connection -> when its held backlog is due
        # push cost per claimed listing, per connection (injected clock), learned from its rounds
        self._per_listing_s: dict[str, float] = {}
        self._calm_since: datetime | None = None  # when this worker's last round ended
        self.ticks = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Tick until `stop` is set; then let rounds under way finish and close every connector."""
        everyone = True
        try:
            while not stop.is_set() and not self._done():
                await self._start(TickReport(), everyone=everyone)
                if not self._done():
                    everyone = await self._idle(stop)
        finally:
            if self._busy:
                await asyncio.gather(*self._busy.values())
            await self.close()

    def _done(self) -> bool:
        return self.config.max_ticks is not None and self.ticks >= self.config.max_ticks

    async def tick(self) -> TickReport:
        """Serve every enabled connection (not already being served) and wait for all of them."""
        report = TickReport()
        await asyncio.gather(*await self._start(report))
        return report

    async def close(self) -> None:
        connectors, self._connectors = self._connectors, {}
        for code, connector in sorted(connectors.items()):
            try:
                await connector.aclose()
            except Exception:
                logger.exception("closing the connector of %s failed", code)

    async def _start(self, report: TickReport, *, everyone: bool = True) -> list[asyncio.Task[None]]:
        """Start serving the enabled connections not being served already: all of them, or (after
        a nap cut short for a held backlog) only those whose held backlog is due."""
        views = [v for v in list_connections(self.ctx, enabled_only=True) if v.channel_id is not None]
        await self._drop_stale_connectors({v.code for v in views})
        started = []
        # Quiet counts only while this worker was idle: its own rounds take the CPU and the
        # database from whatever feeds the backlog, so a pause during them proves nothing.
        calm = self.ctx.clock.now() if self._busy else self._calm_since
        soon = self.ctx.clock.now() + timedelta(seconds=MIN_WAIT_S)  # a timer may fire a hair early
        for view in views:
            due = self._due.get(view.code)
            if view.code in self._busy or not (everyone or (due is not None and due <= soon)):
                continue
            look = self._look(view, report, calm)  # before the task starts: the loop's next nap needs it
            if look is None:
                continue
            task = asyncio.ensure_future(self._serve(view, *look, report))
            self._busy[view.code] = task
            task.add_done_callback(self._finished(view.code))
            started.append(task)
        self.ticks += 1
        return started

    def _finished(self, code: str) -> Callable[[asyncio.Task[None]], None]:
        def drop(_: asyncio.Task[None]) -> None:
            self._busy.pop(code, None)

        return drop

    def _look(
        self, view: ConnectionView, report: TickReport, calm: datetime | None
    ) -> tuple[Connector, int | None] | None:
        """The connection's connector and what its round may claim (None: it cannot be served)."""
        try:
            connector = self._connector(view)
            return connector, self._claimable(view, connector, calm)
        except Exception as error:  # one channel's failure must not stop the others
            logger.exception("sync of connection %s failed", view.code)
            report.errors[view.code] = f"{type(error).__name__}: {error}"
            return None

    async def _serve(
        self, view: ConnectionView, connector: Connector, limit: int | None, report: TickReport
    ) -> None:
        try:
            for _ in range(max(self.config.max_rounds_per_tick, 1) if limit != 0 else 0):
                began = self.ctx.clock.now()
                pushed = await self.pusher.push_round(view, connector, limit=limit)
                self._learn(view.code, pushed, (self.ctx.clock.now() - began).total_seconds())
                report.rounds.append(pushed)
                self._calm_since = self.ctx.clock.now()
                if limit is not None or not _again(pushed, self.pusher.config.claim_limit):
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

    def _claimable(self, view: ConnectionView, connector: Connector, calm: datetime | None) -> int | None:
        """How many listings a round may claim now (None: as many as it likes; 0: no round)."""
        self._due.pop(view.code, None)
        if self.config.coalesce_s <= 0 or view.channel_id is None:
            return None
        backlog = _backlog(self.ctx, view.channel_id)
        now = self.ctx.clock.now()
        if backlog.newest is not None and calm is not None and calm > backlog.newest:
            backlog = dataclasses.replace(backlog, newest=calm)
        hold = coalesce(
            backlog,
            now,
            batch=connector.capabilities.max_batch,
            window_s=self._window(backlog.waiting, view.code),
            quiet_s=self.config.quiet_s,
            whole_batches=self.config.whole_batches_while_growing,
        )
        if hold.recheck_in_s is not None:
            self._due[view.code] = now + timedelta(seconds=hold.recheck_in_s)
        return hold.limit

    def _window(self, waiting: int, code: str) -> float:
        """The coalescing window for a backlog of `waiting` listings of connection `code`."""
        target = self.config.latency_target_s
        if target is None:
            return self.config.coalesce_s
        cost = waiting * self._per_listing_s.get(code, FIRST_PER_LISTING_S)
        return max(self.config.coalesce_s, target - LOOK_SLACK_S - cost)

    def _learn(self, code: str, pushed: RoundReport, seconds: float) -> None:
        if pushed.claimed > 0 and pushed.stopped is None:
            known = self._per_listing_s.get(code, FIRST_PER_LISTING_S)
            self._per_listing_s[code] = known + 0.3 * (seconds / pushed.claimed - known)

    def _connector(self, view: ConnectionView) -> Connector:
        if view.code not in self._connectors:
            self._connectors[view.code] = self.factory(load_connection_config(self.ctx, view.code))
        return self._connectors[view.code]

    async def _drop_stale_connectors(self, live: set[str]) -> None:
        for code in sorted(set(self._connectors) - live - set(self._busy)):  # disabled or removed
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

    async def _idle(self, stop: asyncio.Event) -> bool:
        """Wait one poll interval (less if a held backlog is due sooner), or less if asked to stop.
        True when the wait was a whole poll interval: every connection is looked at again."""
        now = self.ctx.clock.now()
        wait = min([self.config.poll_interval_s, *((d - now).total_seconds() for d in self._due.values())])
        whole = wait >= self.config.poll_interval_s
        napping = asyncio.ensure_future(self.sleep(max(wait, MIN_WAIT_S)))
        stopping = asyncio.ensure_future(stop.wait())
        try:
            await asyncio.wait({napping, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (napping, stopping):
                task.cancel()
        return whole


def _again(report: RoundReport, claim_limit: int) -> bool:
    if report.stopped is not None:
        return False
    return report.claimed >= claim_limit or report.stale > 0


def _backlog(ctx: HubContext, channel_id: int) -> Backlog:
    """`outbox.backlog` plus the newest dirty_at, which tells whether the backlog still grows."""
    with ctx.read() as conn:
        row = conn.execute(
            sa.select(sa.func.count(), sa.func.min(_l.dirty_at), sa.func.max(_l.dirty_at)).where(
                _l.channel_id == channel_id, _l.dirty.is_(True)
            )
        ).one()
    return Backlog(int(row[0]), row[1], row[2])
