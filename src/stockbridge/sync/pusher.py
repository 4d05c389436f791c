"""The outbound pusher: converge one channel to the levels the hub wants, in as few calls as allowed.

One round for a connection (= its channel):
  1. skip the round if the channel's circuit breaker is open (nothing is claimed);
  2. claim dirty listings and clear their flag atomically (`outbox.claim_dirty`), THEN compute each
     one's desired ATP (`plan.plan_levels`): a change after the claim re-marks it, never lost;
  3. unbound listings are skipped with a recorded reason (`listing_sync.last_error`, the report,
     a metric); listings whose desired level equals the acknowledged one need no call;
  4. a listing never acknowledged has no base: its remote level is read first (one `levels`
     call for all of them), so a first push is compare-and-set or a delta too, never blind;
  5. changes are ordered decreases first, then chunked to `capabilities.max_batch`: calls per
     round = ceil(changes / max_batch); each call retried (backoff + jitter, throttle waits)
     and guarded by the breaker;
  6. outcomes are recorded per batch (`settle`); whatever was claimed but not settled when the
     round stops (breaker, exhausted retries, auth failure, cancellation, a bug) is re-marked dirty.

Contract with connectors, `LevelChange(quantity, expected)`:
  - compare-and-set platforms set `quantity` only if the channel still holds `expected`, else
    answer `stale` with `remote_quantity` = what it holds (Shopify `changeFromQuantity`);
  - platforms without compare-and-set apply the *delta* `quantity - expected` to whatever the
    channel holds now (a relative adjustment where the platform has one, else read-modify-write
    in the shortest window it allows), and report `remote_quantity` = the level after the write
    when the platform returns it; they never answer `stale`;
  - `expected=None` (no level exists at that item/location) means: set `quantity` absolutely.
Per listing, `listing_sync.acked_quantity` is what the channel holds as far as we know (after
our write, or as a refused write reported it): the `expected` of the next change.
`unseen_units` are units the channel sold on its own that the hub has not recorded yet (a stale
compare-and-set whose channel value is below both the old base and our target, or a delta
platform reporting less than we aimed at, reveals them); the level pushed is `desired -
unseen_units`, so those units are not offered again. They expire after
`PushConfig.unseen_ttl_s` (the longest an order should take to reach the hub), after which the
hub's number is trusted again. Inbound processing
calls `outbox.shift_acknowledged` in the transaction that records the channel's own order, which
releases them: the sale then counts exactly once whether its order arrives before or after our
next push, and the echo costs no call. Without that call the units stay held back (never
oversold) until reconciliation heals the under-drift after its grace period.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from stockbridge.connectors.base import Connector, LevelChange
from stockbridge.connectors.errors import PermanentError
from stockbridge.domain.clock import Clock
from stockbridge.services.connections import ConnectionView
from stockbridge.services.context import HubContext
from stockbridge.sync import outbox
from stockbridge.sync.breaker import BreakerBoard, CircuitBreaker
from stockbridge.sync.calls import CallGate
from stockbridge.sync.exposure import Guarded, clear_ceilings, guard_exposure
from stockbridge.sync.metrics import SyncMetrics
from stockbridge.sync.outbox import Claimed
from stockbridge.sync.plan import DEFAULT_UNSEEN_TTL_S, PlannedLevel, Skip, plan_levels
from stockbridge.sync.retry import Retrier
from stockbridge.sync.settle import Settler, Tally

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class PushConfig:
    claim_limit: int = 1000
    max_item_attempts: int = 5
    unseen_ttl_s: float = DEFAULT_UNSEEN_TTL_S  # how long the channel's own unrecorded sales are held back


@dataclass
class RoundReport:
    connection: str
    channel: str | None
    claimed: int = 0
    applied: int = 0
    unchanged: int = 0
    stale: int = 0
    requeued: int = 0
    dead_lettered: int = 0
    held: int = 0  # increases the exposure guard held back or cut (they stay dirty)
    lowered: int = 0  # levels the exposure guard pushed below their target (a SKU over-exposed)
    calls: int = 0
    skipped: list[Skip] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    stopped: str | None = None  # why the round ended early, if it did

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["skipped"] = [s.__dict__ for s in self.skipped]
        data.pop("latencies_s")
        return data


class Pusher:
    def __init__(
        self,
        ctx: HubContext,
        *,
        breakers: BreakerBoard | None = None,
        retrier: Retrier | None = None,
        metrics: SyncMetrics | None = None,
        config: PushConfig | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.ctx, self.metrics = ctx, metrics
        self.config = config or PushConfig()
        on_change = metrics.breaker_changed if metrics is not None else None
        self.breakers = breakers or BreakerBoard(clock or ctx.clock, on_change=on_change)
        self.retrier = retrier or Retrier()

    async def push_round(
        self, view: ConnectionView, connector: Connector, *, limit: int | None = None
    ) -> RoundReport:
        """One round; `limit` claims fewer than `claim_limit` (the worker's coalescing)."""
        report = RoundReport(view.code, view.channel)
        if view.channel_id is None or view.channel is None:
            report.stopped = "the connection feeds no channel"
            return report
        breaker = self.breakers.get(view.channel)
        if breaker.state == "open":
            report.stopped = "circuit breaker open"
            return report
        most = self.config.claim_limit if limit is None else min(limit, self.config.claim_limit)
        claimed = outbox.claim_dirty(self.ctx, view.channel_id, most)
        report.claimed = len(claimed)
        pending = {c.listing_id: c for c in claimed}
        try:
            if claimed:
                await _Round(self, view, connector, breaker, report, pending).run(claimed)
        finally:
            self._requeue(pending, report)
        _log(report)
        return report

    def _requeue(self, pending: dict[int, Claimed], report: RoundReport) -> None:
        if pending:
            self.ctx.write(lambda conn: outbox.requeue(conn, self.ctx, list(pending.values())))
            report.requeued += len(pending)
            pending.clear()


class _Round:
    """One round's state: the connector, the breaker, what is still pending."""

    def __init__(
        self,
        pusher: Pusher,
        view: ConnectionView,
        connector: Connector,
        breaker: CircuitBreaker,
        report: RoundReport,
        pending: dict[int, Claimed],
    ) -> None:
        self.p, self.view, self.connector = pusher, view, connector
        self.report, self.pending = report, pending
        self.channel = view.channel or view.code
        self.gate = CallGate(
            self.channel, breaker, pusher.retrier, pusher.metrics, report_calls=self._count_call
        )
        self.settler = Settler(
            pusher.ctx, view.id, self.channel, pusher.metrics, pusher.config.max_item_attempts
        )
        self.tally = Tally()

    def _count_call(self) -> None:
        self.report.calls += 1

    async def run(self, claimed: Sequence[Claimed]) -> None:
        caps = self.connector.capabilities
        plan = plan_levels(
            self.p.ctx,
            self.view,
            claimed,
            multi_location=caps.multi_location,
            unseen_ttl_s=self.p.config.unseen_ttl_s,
        )
        self._skip(plan.skips)
        guarded: Guarded | None = None
        try:
            todo = await self._with_bases(plan.levels)
            if todo is not None:
                guarded = self._guard(todo)
                await self._push(self._drop_unchanged(guarded.levels), max(caps.max_batch, 1))
        finally:
            self._fold_tally()
            if guarded is not None:
                self._after_guard(guarded)

    def _guard(self, levels: list[PlannedLevel]) -> Guarded:
        """Hold back what would let the channels together show more than exists (`sync.exposure`):
        held listings go back to dirty at once, with no call; cut and lowered ones after their push."""
        guarded = guard_exposure(self.p.ctx, levels, self.p.config.unseen_ttl_s)
        if guarded.held:
            held = [lv.claimed for lv in guarded.held]
            self.p.ctx.write(lambda conn: outbox.requeue(conn, self.p.ctx, held))
            for lv in guarded.held:
                self.pending.pop(lv.listing_id, None)
        self.report.held += len(guarded.held) + len(guarded.cut)
        self.report.lowered += len(guarded.lowered)
        if self.p.metrics is not None and (guarded.held or guarded.cut):
            self.p.metrics.exposure_held.labels(self.channel).inc(len(guarded.held) + len(guarded.cut))
        if self.p.metrics is not None and guarded.lowered:
            self.p.metrics.exposure_lowered.labels(self.channel).inc(len(guarded.lowered))
        return guarded

    def _after_guard(self, guarded: Guarded) -> None:
        """The round is over: its ceilings go, and listings cut short or lowered are dirty again
        (a lowered one is looked at next round: once the sales behind the deficit are recorded,
        its own plan holds again)."""
        again = [lv.claimed for lv in guarded.levels if lv.listing_id in guarded.cut | guarded.lowered]
        again = [c for c in again if c.listing_id not in self.pending]  # unsettled ones are requeued anyway

        def work(conn: Any) -> None:
            clear_ceilings(conn, guarded.ceilings)
            if again:
                outbox.requeue(conn, self.p.ctx, again)

        if guarded.ceilings or again:
            self.p.ctx.write(work)

    async def _with_bases(self, levels: list[PlannedLevel]) -> list[PlannedLevel] | None:
        """Give never-acknowledged listings a base read from the channel (one call for all)."""
        unknown = [lv for lv in levels if lv.acked is None]
        if not unknown:
            return levels
        bases = await self.gate.read_levels(
            self.connector, [lv.item_id for lv in unknown], unknown[0].location_id
        )
        if bases is None:
            self.report.stopped = self.gate.stopped
            return None
        if isinstance(bases, PermanentError):  # the read itself is refused: park what needed it
            self.settler.park_all([(lv, _change(lv)) for lv in unknown], bases, self.tally)
            for lv in unknown:
                self.pending.pop(lv.listing_id, None)
            levels, bases = [lv for lv in levels if lv.acked is not None], {}
        based = [
            dataclasses.replace(lv, acked=bases.get(lv.item_id)) if lv.acked is None else lv for lv in levels
        ]
        return based

    async def _push(self, levels: list[PlannedLevel], batch: int) -> None:
        ordered = sorted(levels, key=lambda lv: (0 if _is_decrease(lv) else 1, lv.listing_id))
        for start in range(0, len(ordered), batch):
            chunk = ordered[start : start + batch]
            changes = [_change(lv) for lv in chunk]
            outcomes = await self.gate.set_levels(self.connector, changes)
            if isinstance(outcomes, PermanentError):
                self.settler.park_all(list(zip(chunk, changes, strict=True)), outcomes, self.tally)
            elif outcomes is None:
                self.report.stopped = self.gate.stopped
                return
            elif len(outcomes) != len(chunk):
                error = PermanentError(
                    f"connector answered {len(outcomes)} outcomes for {len(chunk)} changes"
                )
                self.settler.park_all(list(zip(chunk, changes, strict=True)), error, self.tally)
            else:
                self.settler.outcomes(list(zip(chunk, outcomes, strict=True)), self.tally)
            for lv in chunk:
                self.pending.pop(lv.listing_id, None)

    def _drop_unchanged(self, levels: list[PlannedLevel]) -> list[PlannedLevel]:
        """Listings whose channel already holds the desired level are acknowledged without a call."""
        same = [lv for lv in levels if lv.acked is not None and lv.acked == lv.target]
        if not same:
            return levels
        now = self.p.ctx.clock.now()

        acks = [
            outbox.ack(lv.listing_id, lv.target, forget_unseen=lv.unseen_expired, seen=False) for lv in same
        ]
        self.p.ctx.write(lambda conn: outbox.rebase(conn, now, acks))
        for lv in same:
            self.pending.pop(lv.listing_id, None)
        self.report.unchanged += len(same)
        done = {lv.listing_id for lv in same}
        return [lv for lv in levels if lv.listing_id not in done]

    def _skip(self, skips: Sequence[Skip]) -> None:
        if not skips:
            return

        def work(conn: Any) -> None:
            for s in skips:
                outbox.record_error(conn, s.listing_id, f"skipped: {s.reason}")

        self.p.ctx.write(work)
        for s in skips:
            self.pending.pop(s.listing_id, None)
            if self.p.metrics is not None:
                self.p.metrics.skipped.labels(self.channel, _reason_label(s.reason)).inc()
        self.report.skipped.extend(skips)

    def _fold_tally(self) -> None:
        t, r = self.tally, self.report
        r.applied, r.stale, r.dead_lettered = t.applied, t.stale, t.dead_lettered
        r.requeued += t.requeued
        r.latencies_s = list(t.latencies)


def _is_decrease(level: PlannedLevel) -> bool:
    return level.acked is not None and level.target < level.acked


def _change(level: PlannedLevel) -> LevelChange:
    """The change for the connector. After the channel's own sales the hub has recorded since the
    base (negative unseen), the channel is believed to hold `acked + unseen`: that is the
    compare-and-set "from" (a stale refusal would only cost a round) and the hub's number the
    "to". The delta a platform without compare-and-set applies is the same either way."""
    acked, quantity = level.acked, level.target
    if acked is not None and level.unseen < 0 and acked + level.unseen >= 0:
        acked, quantity = acked + level.unseen, max(quantity + level.unseen, 0)
    return LevelChange(level.item_id, level.location_id, quantity, acked, str(level.listing_id))


def _reason_label(reason: str) -> str:
    if "not bound" in reason:
        return "unbound"
    if "several remote items" in reason:
        return "ambiguous_binding"
    if "remote location" in reason:
        return "no_push_location"
    return "other"


def _log(report: RoundReport) -> None:
    if report.claimed or report.stopped:
        logger.info(
            "push round %s: claimed=%d applied=%d unchanged=%d stale=%d requeued=%d dead=%d skipped=%d calls=%d%s",
            report.connection,
            report.claimed,
            report.applied,
            report.unchanged,
            report.stale,
            report.requeued,
            report.dead_lettered,
            len(report.skipped),
            report.calls,
            f" stopped={report.stopped}" if report.stopped else "",
        )
