"""Worker processes for the race tests: each opens its own engine and hammers one hot SKU."""

from __future__ import annotations

import random
from dataclasses import dataclass

from stockbridge.domain.clock import SystemClock
from stockbridge.errors import InsufficientStockError
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.reservations import (
    ReserveLine,
    ReserveRequest,
    commit_reservation,
    release_reservation,
    reserve,
)
from stockbridge.store.engine import make_engine


@dataclass(frozen=True)
class WorkerResult:
    reserved_units: int
    refused: int
    committed_units: int
    released_units: int
    sold_by_event_units: int


def reserve_last_units(url: str, worker: int, attempts: int, quantity: int) -> WorkerResult:
    """Only reserve: the total held can never exceed the stock."""
    ctx = HubContext(make_engine(url, pool_size=1), SystemClock())
    held = refused = 0
    for n in range(attempts):
        try:
            reserve(ctx, ReserveRequest(f"w{worker}-{n}", [ReserveLine("HOT", quantity, "WH1")]))
            held += quantity
        except InsufficientStockError:
            refused += 1
    ctx.engine.dispose()
    return WorkerResult(held, refused, 0, 0, 0)


def mixed_operations(url: str, worker: int, attempts: int, seed: int) -> WorkerResult:
    """Reserve, commit or release, sell by event, and reserve two SKUs at once through the channel."""
    rng = random.Random(seed * 1000 + worker)
    ctx = HubContext(make_engine(url, pool_size=1), SystemClock())
    held = refused = committed = released = sold = 0
    for n in range(attempts):
        quantity = rng.randint(1, 3)
        action = rng.random()
        if action < 0.25:
            report = ingest_events(
                ctx,
                [
                    {
                        "type": "sale",
                        "idempotency_key": f"sale-{worker}-{n}",
                        "sku": "HOT",
                        "location": "WH1",
                        "quantity": quantity,
                    }
                ],
            )
            if report.summary()["applied"]:
                sold += quantity
            continue
        lines = [ReserveLine("HOT", quantity)]
        if action > 0.8:
            lines.append(ReserveLine("WARM", 1))
        try:
            view = reserve(ctx, ReserveRequest(f"m{worker}-{n}", lines, channel="shop"))
        except InsufficientStockError:
            refused += 1
            continue
        held += quantity
        if rng.random() < 0.6:
            commit_reservation(ctx, view.id)
            committed += quantity
        else:
            release_reservation(ctx, view.id)
            released += quantity
    ctx.engine.dispose()
    return WorkerResult(held, refused, committed, released, sold)


def exposure_guard_once(url: str, connection: str) -> int:
    """One pusher's guard for its connection's listings, each asking to go from 0 to 10; returns
    the level granted (the ceiling is left in place, as while the push is in flight)."""
    import dataclasses

    from stockbridge.services.connections import get_connection
    from stockbridge.sync.exposure import guard_exposure
    from stockbridge.sync.outbox import claim_dirty
    from stockbridge.sync.plan import plan_levels

    engine = make_engine(url)
    try:
        ctx = HubContext(engine, SystemClock())
        view = get_connection(ctx, connection)
        assert view.channel_id is not None
        claimed = claim_dirty(ctx, view.channel_id, 10)
        levels = plan_levels(ctx, view, claimed, multi_location=False).levels
        wanting = [dataclasses.replace(lv, acked=0, desired=10, unseen=0) for lv in levels]
        return sum(lv.target for lv in guard_exposure(ctx, wanting).levels)
    finally:
        engine.dispose()
