"""`outbox.rebase` writes a whole batch's new bases in a few statements; it must leave exactly the
rows that applying the same changes one listing at a time leaves (on SQLite and PostgreSQL)."""

from __future__ import annotations

import random

import sqlalchemy as sa

from stockbridge.domain.clock import FrozenClock
from stockbridge.services.context import HubContext
from stockbridge.store.schema_sync import listing_sync
from stockbridge.sync import outbox
from tests.sync.helpers import hub_with_channel, listing_id

_COLUMNS = ("acked_quantity", "unseen_units", "unseen_at", "acked_at", "observed_quantity", "observed_at")


def _rows(ctx: HubContext, ids: list[int]) -> list[dict[str, object]]:
    with ctx.read() as conn:
        found = {
            int(r.listing_id): r
            for r in conn.execute(sa.select(listing_sync).where(listing_sync.c.listing_id.in_(ids)))
        }
    return [
        {c: getattr(found[i], c) for c in (*_COLUMNS, "attempts", "last_error")} if i in found else {}
        for i in ids
    ]


def _random_change(rng: random.Random, listing: int) -> outbox.Rebase:
    acked = rng.choice([None, *range(0, 8)])
    return outbox.Rebase(
        listing,
        acked,
        moved=rng.randint(-4, 4),
        forget_unseen=rng.random() < 0.3,
        seen=rng.random() < 0.6,
        observe=acked is not None and rng.random() < 0.5,
        clear_attempts=rng.random() < 0.5,
        note=rng.choice([None, "stale: channel held 2, expected 3"]),
    )


def test_a_batch_leaves_the_rows_one_listing_at_a_time_leaves(ctx: HubContext, clock: FrozenClock) -> None:
    codes = [f"SKU-{i}" for i in range(16)]
    hub_with_channel(ctx, codes)
    ids = [listing_id(ctx, c) for c in codes]
    batched, single = ids[:8], ids[8:]
    ctx.write(
        lambda conn: conn.execute(sa.insert(listing_sync), [{"listing_id": i, "attempts": 2} for i in ids])
    )
    rng = random.Random(11)
    for _ in range(40):
        clock.advance(rng.choice([0, 1, 5]))
        now = clock.now()
        picked = rng.sample(range(8), rng.randint(1, 8))
        changes = [_random_change(rng, batched[i]) for i in picked]
        twins = [
            outbox.Rebase(
                single[batched.index(c.listing_id)],
                **{
                    k: getattr(c, k)
                    for k in ("acked", "moved", "forget_unseen", "seen", "observe", "clear_attempts", "note")
                },
            )
            for c in changes
        ]
        ctx.write(lambda conn, changes=changes, now=now: outbox.rebase(conn, now, list(reversed(changes))))
        for twin in twins:
            ctx.write(lambda conn, twin=twin, now=now: outbox.rebase(conn, now, [twin]))
        assert _rows(ctx, batched) == _rows(ctx, single)


def test_rebase_adds_the_move_to_the_stored_count_and_keeps_the_rules(
    ctx: HubContext, clock: FrozenClock
) -> None:
    codes = ["A", "B", "C", "D"]
    hub_with_channel(ctx, codes)
    a, b, c, d = (listing_id(ctx, code) for code in codes)
    start = clock.now()
    ctx.write(
        lambda conn: conn.execute(
            sa.insert(listing_sync),
            [
                {"listing_id": a, "acked_quantity": 10, "unseen_units": 3, "unseen_at": start},
                {"listing_id": b, "acked_quantity": 10, "unseen_units": -2, "unseen_at": start},
                {"listing_id": c, "acked_quantity": 10, "unseen_units": 3, "unseen_at": start},
                {"listing_id": d, "acked_quantity": 5, "unseen_units": 0, "unseen_at": None},
            ],
        )
    )
    ctx.write(lambda conn: outbox.record_observed(conn, d, 5, start))
    clock.advance(10)
    later = clock.now()
    batch = [
        outbox.ack(a, 7, 2),  # 3 stored + 2 revealed
        outbox.Rebase(b, 9, 0, seen=True),  # a recorded own sale is in the level read: clamped to 0
        outbox.ack(c, 7, 1, forget_unseen=True),  # the old guess expired: only the new move is left
        outbox.ack(d, 5),  # the channel still shows 5: "shown since" stays
    ]
    ctx.write(lambda conn: outbox.rebase(conn, later, batch))
    got = _rows(ctx, [a, b, c, d])
    assert (got[0]["unseen_units"], got[0]["unseen_at"]) == (5, later)
    assert (got[1]["unseen_units"], got[1]["unseen_at"]) == (0, None)
    assert (got[2]["unseen_units"], got[2]["unseen_at"]) == (1, later)
    assert (got[3]["observed_quantity"], got[3]["observed_at"], got[3]["attempts"]) == (5, start, 0)
    assert got[1]["observed_quantity"] is None  # not asked to record an observation
