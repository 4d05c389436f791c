"""Reconciliation: read what a channel really shows, compare it with what the hub wants, heal drift.

For every listing of the connection's channel: desired = the listing's ATP now, observed = the
channel's level of the bound item (at the push location on multi-location platforms; see
`plan`). `observed_quantity`/`observed_at` are recorded in `listing_sync`. Drift per listing is
`observed - desired`: positive = "over" (the channel offers units the hub does not have: oversell
risk), negative = "under" (sales lost), "missing" = the channel has no level for the item.
Listings with a push pending (dirty) are counted as `pending`, not as drift: the pusher is about
to move them anyway. Unbound listings are reported as skips with their reason.

Policies: `report` changes nothing on the channel; `heal` takes each drifted listing's observed
value as its new base (so the compare-and-set "from" is right) and marks it dirty, then runs one
push round. "Over" drift is healed at once (lowering a level never oversells). "Under" and
"missing" drift usually mean the channel sold units whose order has not reached the hub yet:
raising the level now would offer those units again, so they are healed only once the channel
has shown the same value for `under_grace_s` (`listing_sync.observed_at` is "shown since"),
plus however far the hub is behind on its inbox (`plan.inbox_lag_s`); until then they are
reported as `deferred`. Run it on demand (`stockbridge sync reconcile
[--heal]`) or on a schedule (the worker).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

import sqlalchemy as sa

from stockbridge.connectors.base import Connector
from stockbridge.connectors.errors import PermanentError
from stockbridge.services.connections import ConnectionView
from stockbridge.store.schema import listings
from stockbridge.sync import outbox
from stockbridge.sync.calls import CallGate
from stockbridge.sync.outbox import Claimed
from stockbridge.sync.plan import PlannedLevel, Skip, inbox_lag_s, plan_levels
from stockbridge.sync.pusher import Pusher, RoundReport

Policy = Literal["report", "heal"]
DEFAULT_UNDER_GRACE_S = 30.0
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Drift:
    listing_id: int
    sku: str
    item_id: str
    desired: int
    observed: int | None

    @property
    def units(self) -> int:
        return abs((self.observed or 0) - self.desired)

    @property
    def direction(self) -> str:
        if self.observed is None:
            return "missing"
        return "over" if self.observed > self.desired else "under"

    def as_dict(self) -> dict[str, Any]:
        return self.__dict__ | {"units": self.units, "direction": self.direction}


@dataclass
class ReconcileReport:
    connection: str
    channel: str | None
    policy: Policy
    checked: int = 0
    in_sync: int = 0
    pending: int = 0
    drifts: list[Drift] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)
    healed: int = 0
    deferred: list[Drift] = field(default_factory=list)  # under/missing drift still in its grace period
    push: RoundReport | None = None
    stopped: str | None = None

    @property
    def drift_units(self) -> int:
        return sum(d.units for d in self.drifts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "connection": self.connection,
            "channel": self.channel,
            "policy": self.policy,
            "checked": self.checked,
            "in_sync": self.in_sync,
            "pending": self.pending,
            "drift_units": self.drift_units,
            "drifts": [d.as_dict() for d in self.drifts],
            "skipped": [s.__dict__ for s in self.skipped],
            "healed": self.healed,
            "deferred": [d.as_dict() for d in self.deferred],
            "push": None if self.push is None else self.push.as_dict(),
            "stopped": self.stopped,
        }


async def reconcile(
    pusher: Pusher,
    view: ConnectionView,
    connector: Connector,
    *,
    policy: Policy = "report",
    under_grace_s: float = DEFAULT_UNDER_GRACE_S,
) -> ReconcileReport:
    report = ReconcileReport(view.code, view.channel, policy)
    if view.channel_id is None or view.channel is None:
        report.stopped = "the connection feeds no channel"
        return report
    ctx = pusher.ctx
    everything, dirty = _channel_listings(pusher, view.channel_id)
    plan = plan_levels(ctx, view, everything, multi_location=connector.capabilities.multi_location)
    report.skipped = plan.skips
    gate = CallGate(view.channel, pusher.breakers.get(view.channel), pusher.retrier, pusher.metrics)
    location = plan.levels[0].location_id if plan.levels else None
    remote = (
        await gate.read_levels(connector, [lv.item_id for lv in plan.levels], location) if plan.levels else {}
    )
    if remote is None or isinstance(remote, PermanentError):
        report.stopped = gate.stopped if remote is None else f"levels refused: {remote}"
        return report
    _compare(pusher, plan.levels, remote, dirty, report)
    if pusher.metrics is not None:
        pusher.metrics.drift(view.channel, report.drift_units, len(report.drifts))
    if policy == "heal" and report.drifts:
        ready = _ready_to_heal(pusher, report, under_grace_s)
        if ready:
            _heal(pusher, ready)
            report.healed = len(ready)
            report.push = await pusher.push_round(view, connector)
    _log(report)
    return report


def _channel_listings(pusher: Pusher, channel_id: int) -> tuple[list[Claimed], set[int]]:
    l_ = listings.c
    with pusher.ctx.read() as conn:
        rows = conn.execute(
            sa.select(l_.id, l_.sku_id, l_.dirty)
            .where(l_.tenant_id == pusher.ctx.tenant_id, l_.channel_id == channel_id)
            .order_by(l_.id)
        ).all()
    return [Claimed(int(r.id), int(r.sku_id), None) for r in rows], {int(r.id) for r in rows if r.dirty}


def _compare(
    pusher: Pusher,
    levels: list[PlannedLevel],
    remote: dict[str, int],
    dirty: set[int],
    report: ReconcileReport,
) -> None:
    now = pusher.ctx.clock.now()

    def work(conn: sa.Connection) -> None:
        for level in levels:
            outbox.record_observed(conn, level.listing_id, remote.get(level.item_id), now)

    pusher.ctx.write(work)
    for level in levels:
        report.checked += 1
        observed = remote.get(level.item_id)
        if level.listing_id in dirty:
            report.pending += 1
        elif observed == level.desired:
            report.in_sync += 1
        else:
            report.drifts.append(Drift(level.listing_id, level.sku, level.item_id, level.desired, observed))


def _ready_to_heal(pusher: Pusher, report: ReconcileReport, under_grace_s: float) -> list[Drift]:
    """Over drift now; under/missing drift once the channel has shown it for the grace period,
    lengthened by how far the hub is behind on its inbox (the orders behind the drift may be
    waiting there: raising the level before they are applied would offer their units again)."""
    now, ready = pusher.ctx.clock.now(), []
    with pusher.ctx.read() as conn:
        since = outbox.observed_since(conn, [d.listing_id for d in report.drifts])
        wait_s = under_grace_s + inbox_lag_s(conn, pusher.ctx.tenant_id, now)
    for drift in report.drifts:
        shown = since.get(drift.listing_id)
        settled = shown is not None and (now - shown).total_seconds() >= wait_s
        if drift.direction == "over" or settled:
            ready.append(drift)
        else:
            report.deferred.append(drift)
    return ready


def _heal(pusher: Pusher, drifts: list[Drift]) -> None:
    ctx = pusher.ctx
    now = ctx.clock.now()

    def work(conn: sa.Connection) -> None:
        for drift in drifts:
            note = f"reconciliation: channel showed {drift.observed}, hub wants {drift.desired}"
            trust_hub = drift.direction != "over"  # under or missing: the grace period is over
            outbox.record_base(conn, drift.listing_id, drift.observed, now, note, trust_hub=trust_hub)
            outbox.requeue(conn, ctx, [Claimed(drift.listing_id, -1, now)])

    ctx.write(work)


def _log(report: ReconcileReport) -> None:
    logger.info(
        "reconcile %s: checked=%d in_sync=%d pending=%d drifted=%d units=%d skipped=%d healed=%d deferred=%d",
        report.connection,
        report.checked,
        report.in_sync,
        report.pending,
        len(report.drifts),
        report.drift_units,
        len(report.skipped),
        report.healed,
        len(report.deferred),
    )
