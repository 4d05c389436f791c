"""Reconciliation reads the channel, reports drift per listing (units and direction) and heals it."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from stockbridge.domain.clock import FrozenClock
from stockbridge.services.context import HubContext
from stockbridge.store.schema_sync import webhook_inbox
from stockbridge.sync.metrics import SyncMetrics
from stockbridge.sync.pusher import Pusher
from stockbridge.sync.reconcile import reconcile
from tests.sync.helpers import (
    CHANNEL,
    fake_for,
    hub_with_channel,
    inbox_delivery,
    is_dirty,
    item_of,
    set_stock,
    sync_row,
)


def _synced(ctx: HubContext, pusher: Pusher, codes: list[str]):  # type: ignore[no-untyped-def]
    view = hub_with_channel(ctx, codes)
    fake = fake_for(codes, start=0)
    for i, code in enumerate(codes):
        set_stock(ctx, code, 10 + i)
    asyncio.run(pusher.push_round(view, fake))
    return view, fake


def test_reconciliation_reports_drift_per_listing_with_units_and_direction(
    ctx: HubContext, pusher: Pusher, metrics: SyncMetrics
) -> None:
    view, fake = _synced(ctx, pusher, ["A", "B", "C"])
    fake.remote_levels[(item_of("A"), None)] = 14  # someone edited the level in the shop admin
    fake.sell(item_of("B"), 3)  # a sale the hub never heard of
    calls_before = len(fake.calls)

    report = asyncio.run(reconcile(pusher, view, fake, policy="report"))

    assert (report.checked, report.in_sync, report.pending) == (3, 1, 0)
    assert [(d.sku, d.desired, d.observed, d.units, d.direction) for d in report.drifts] == [
        ("A", 10, 14, 4, "over"),
        ("B", 11, 8, 3, "under"),
    ]
    assert report.drift_units == 7 and report.healed == 0
    assert len(fake.calls) == calls_before, "report policy writes nothing to the channel"
    assert sync_row(ctx, "B")["observed_quantity"] == 8
    assert metrics.drift_units.labels(CHANNEL)._value.get() == 7
    assert metrics.drift_listings.labels(CHANNEL)._value.get() == 2


def test_heal_pushes_the_hub_level_from_the_observed_base(ctx: HubContext, pusher: Pusher) -> None:
    view, fake = _synced(ctx, pusher, ["A", "B"])
    fake.remote_levels[(item_of("A"), None)] = 14
    del fake.remote_levels[(item_of("B"), None)]  # the level vanished on the channel

    report = asyncio.run(reconcile(pusher, view, fake, policy="heal", under_grace_s=0))

    assert [(d.sku, d.direction) for d in report.drifts] == [("A", "over"), ("B", "missing")]
    assert report.healed == 2 and report.push is not None and report.push.applied == 2
    assert [c.expected for c in fake.calls[-1]] == [14, None], "healing compares against what was observed"
    assert (fake.level(item_of("A")), fake.level(item_of("B"))) == (10, 11)
    again = asyncio.run(reconcile(pusher, view, fake))
    assert again.drifts == [] and again.in_sync == 2


def test_under_drift_is_healed_only_after_the_channel_has_shown_it_for_the_grace_period(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    view, fake = _synced(ctx, pusher, ["A", "B"])
    fake.sell(item_of("A"), 4)  # probably a sale whose order is still on its way to the hub
    fake.remote_levels[(item_of("B"), None)] = 30  # over: lowering never oversells

    first = asyncio.run(reconcile(pusher, view, fake, policy="heal", under_grace_s=30))
    assert [d.sku for d in first.deferred] == ["A"] and first.healed == 1
    assert (fake.level(item_of("A")), fake.level(item_of("B"))) == (6, 11)

    clock.advance(29)
    assert [d.sku for d in asyncio.run(reconcile(pusher, view, fake, policy="heal")).deferred] == ["A"]
    clock.advance(1)
    settled = asyncio.run(reconcile(pusher, view, fake, policy="heal"))
    assert (settled.deferred, settled.healed, fake.level(item_of("A"))) == ([], 1, 10)


def test_under_drift_waits_longer_while_the_inbox_is_behind(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    """The order behind an under drift may sit in an inbox backlog: the grace period is
    lengthened by the age of the oldest delivery never tried."""
    view, fake = _synced(ctx, pusher, ["A"])
    fake.sell(item_of("A"), 4)  # its order's webhook is in the inbox, not applied yet
    backlog = inbox_delivery(ctx, view.id, received_at=clock.now())
    asyncio.run(reconcile(pusher, view, fake, policy="heal", under_grace_s=30))

    clock.advance(45)
    held = asyncio.run(reconcile(pusher, view, fake, policy="heal", under_grace_s=30))
    assert ([d.sku for d in held.deferred], fake.level(item_of("A"))) == (["A"], 6), (
        "the inbox is 45 s behind"
    )

    with ctx.engine.begin() as conn:  # worked off
        conn.execute(sa.update(webhook_inbox).where(webhook_inbox.c.id == backlog).values(status="done"))
    healed = asyncio.run(reconcile(pusher, view, fake, policy="heal", under_grace_s=30))
    assert (healed.deferred, healed.healed, fake.level(item_of("A"))) == ([], 1, 10)


def test_a_changed_level_restarts_the_grace_period(
    ctx: HubContext, pusher: Pusher, clock: FrozenClock
) -> None:
    view, fake = _synced(ctx, pusher, ["A"])
    fake.sell(item_of("A"), 1)
    asyncio.run(reconcile(pusher, view, fake, policy="heal"))
    clock.advance(20)
    fake.sell(item_of("A"), 1)
    asyncio.run(reconcile(pusher, view, fake, policy="heal"))
    clock.advance(20)

    report = asyncio.run(reconcile(pusher, view, fake, policy="heal"))

    assert [d.observed for d in report.deferred] == [8], "shown for 20 s only, not 40"


def test_a_listing_with_a_push_pending_is_not_counted_as_drift(ctx: HubContext, pusher: Pusher) -> None:
    view, fake = _synced(ctx, pusher, ["A"])
    set_stock(ctx, "A", 3)

    report = asyncio.run(reconcile(pusher, view, fake))

    assert (report.pending, report.drifts) == (1, []) and is_dirty(ctx, "A")


def test_unbound_listings_are_reported_as_skipped(ctx: HubContext, pusher: Pusher) -> None:
    view = hub_with_channel(ctx, ["A"], bound=False)
    fake = fake_for(["A"])

    report = asyncio.run(reconcile(pusher, view, fake))

    assert report.checked == 0 and [s.sku for s in report.skipped] == ["A"]
    assert fake.reads == [], "nothing bound, nothing to read"
