"""Claims on PostgreSQL skip rows another pusher holds (FOR UPDATE SKIP LOCKED); concurrent
claimers take disjoint sets and together take everything."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from stockbridge.services.context import HubContext
from stockbridge.store.schema import listings
from stockbridge.sync.outbox import Claimed, claim_dirty
from tests.sync.helpers import hub_with_channel, listing_id, set_stock

CODES = [f"S{i:02d}" for i in range(12)]


def _dirty_channel(ctx: HubContext) -> int:
    view = hub_with_channel(ctx, CODES, bound=False)
    for code in CODES:
        set_stock(ctx, code, 1)
    assert view.channel_id is not None
    return view.channel_id


def test_a_claim_skips_listings_locked_by_another_claimer_instead_of_waiting(ctx: HubContext) -> None:
    if ctx.dialect != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises writers")
    channel_id = _dirty_channel(ctx)
    held = listing_id(ctx, CODES[0])
    result: list[Claimed] = []
    with ctx.engine.connect() as other, other.begin():
        other.execute(sa.select(listings.c.id).where(listings.c.id == held).with_for_update())
        worker = threading.Thread(target=lambda: result.extend(claim_dirty(ctx, channel_id, 100)))
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive(), "the claim waited for a locked row"
    assert held not in {c.listing_id for c in result} and len(result) == len(CODES) - 1
    assert [c.listing_id for c in claim_dirty(ctx, channel_id, 100)] == [held]


def test_concurrent_claimers_take_disjoint_sets_that_cover_every_dirty_listing(ctx: HubContext) -> None:
    channel_id = _dirty_channel(ctx)
    taken: list[list[int]] = [[] for _ in range(4)]
    start = threading.Barrier(4)

    def claimer(slot: int) -> None:
        start.wait()
        while batch := claim_dirty(ctx, channel_id, 2):
            taken[slot].extend(c.listing_id for c in batch)

    threads = [threading.Thread(target=claimer, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    everything = [i for slot in taken for i in slot]
    assert sorted(everything) == sorted(listing_id(ctx, c) for c in CODES), (
        "each listing claimed exactly once"
    )
