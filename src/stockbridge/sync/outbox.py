"""The outbox side of listings: claiming dirty listings, putting them back, and per-listing push
state (`listing_sync`: what the channel last acknowledged and observed, attempts, last error).

Claim protocol: one statement takes up to `limit` dirty listings of a channel, in id order, and
clears their flag in the same transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent
pushers take disjoint sets; SQLite: the single writer lock serialises claims). The desired level
is computed only *after* the claim commits, so a stock change committed after the claim marks
the listing dirty again (its flag is false now) and is pushed by a later round: never lost.
A claim that cannot be pushed (breaker open, transient failure) is put back with `requeue`,
keeping the earliest `dirty_at`, so propagation latency counts from the first accepted change.
A process that dies between claim and acknowledgement leaves the listing clean but unpushed;
reconciliation finds and heals that drift.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.connectors.base import LevelChange
from stockbridge.services.context import HubContext
from stockbridge.store.schema import listings
from stockbridge.store.schema_sync import listing_sync

_l = listings.c
_s = listing_sync.c


@dataclass(frozen=True)
class Claimed:
    listing_id: int
    sku_id: int
    dirty_at: datetime | None


@dataclass(frozen=True)
class SyncState:
    acked_quantity: int | None
    unseen_units: int
    attempts: int
    unseen_at: datetime | None = None


def claim_dirty(ctx: HubContext, channel_id: int, limit: int) -> list[Claimed]:
    """Take and clear up to `limit` dirty listings of one channel, atomically."""

    def work(conn: sa.Connection) -> list[Claimed]:
        pick = (
            sa.select(_l.id)
            .where(_l.tenant_id == ctx.tenant_id, _l.channel_id == channel_id, _l.dirty.is_(True))
            .order_by(_l.id)
            .limit(limit)
        )
        if conn.dialect.name == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        stmt = (
            sa.update(listings)
            .where(_l.id.in_(pick.scalar_subquery()), _l.dirty.is_(True))
            .values(dirty=False)
            .returning(_l.id, _l.sku_id, _l.dirty_at)
        )
        rows = conn.execute(stmt).all()
        return sorted(
            (Claimed(int(r.id), int(r.sku_id), r.dirty_at) for r in rows), key=lambda c: c.listing_id
        )

    return ctx.write(work)


def backlog(ctx: HubContext, channel_id: int) -> tuple[int, datetime | None]:
    """How many listings of the channel wait for a push, and since when the oldest has waited."""
    with ctx.read() as conn:
        row = conn.execute(
            sa.select(sa.func.count(), sa.func.min(listings.c.dirty_at)).where(
                listings.c.channel_id == channel_id, listings.c.dirty.is_(True)
            )
        ).one()
    return int(row[0]), row[1]


def requeue(conn: sa.Connection, ctx: HubContext, items: Iterable[Claimed]) -> None:
    """Mark claimed listings dirty again, keeping the earlier of the two `dirty_at`s (one
    statement, executed for every listing)."""
    now = ctx.clock.now()
    rows = [{"requeued_id": item.listing_id, "requeued_at": item.dirty_at or now} for item in items]
    if not rows:
        return
    when = sa.bindparam("requeued_at", type_=_l.dirty_at.type)
    earlier = sa.case((sa.and_(_l.dirty.is_(True), _l.dirty_at < when), _l.dirty_at), else_=when)
    conn.execute(
        sa.update(listings)
        .where(_l.tenant_id == ctx.tenant_id, _l.id == sa.bindparam("requeued_id"))
        .values(dirty=True, dirty_at=earlier),
        rows,
    )


def shift_acknowledged(
    conn: sa.Connection, channel_id: int, deltas: Mapping[int, int], now: datetime | None = None
) -> int:
    """A channel moved its own level (its own sale: -q; its own cancellation or restock: +q) and
    the hub is now recording that order: those units are no longer unseen.

    Call it in the same transaction that records the order in the ledger. `unseen_units` moves by
    the delta, so the next push neither takes the sale off a second time (delta platforms) nor
    keeps holding it back (compare-and-set platforms). `deltas` maps SKU id -> units; returns how
    many listings moved (a never-acknowledged listing has nothing to move: its first push reads
    the channel).
    """
    moved = 0
    moment: Any = now if now is not None else sa.func.current_timestamp()
    for sku_id, delta in sorted(deltas.items()):
        if delta == 0:
            continue
        listing = sa.select(_l.id).where(_l.channel_id == channel_id, _l.sku_id == sku_id).scalar_subquery()
        moved += conn.execute(
            sa.update(listing_sync)
            .where(_s.listing_id == listing, _s.acked_quantity.is_not(None))
            .values(unseen_units=_s.unseen_units + delta, unseen_at=sa.func.coalesce(_s.unseen_at, moment))
        ).rowcount
    return moved


def load_states(conn: sa.Connection, listing_ids: Sequence[int]) -> dict[int, SyncState]:
    states: dict[int, SyncState] = {}
    for start in range(0, len(listing_ids), 500):
        chunk = listing_ids[start : start + 500]
        rows = conn.execute(
            sa.select(_s.listing_id, _s.acked_quantity, _s.unseen_units, _s.attempts, _s.unseen_at).where(
                _s.listing_id.in_(chunk)
            )
        ).all()
        states.update(
            {
                int(r.listing_id): SyncState(
                    r.acked_quantity, int(r.unseen_units), int(r.attempts), r.unseen_at
                )
                for r in rows
            }
        )
    return states


@dataclass(frozen=True)
class Rebase:
    """One listing's new base: what the channel holds now (`acked`), and by how much it moved on
    its own since the stored base (`moved`, added to the stored `unseen_units`).

    `forget_unseen`: the positive guess outlived its time-to-live and the push ignored it, so it is
    dropped (the order never came); recorded own sales (negative) are facts and stay.
    `seen`: the level was read from the channel, so every sale recorded so far is in it and the
    count cannot stay negative. `observe`: also record `acked` as what the channel shows.
    `clear_attempts`: a successful write starts the retry count again."""

    listing_id: int
    acked: int | None
    moved: int = 0
    forget_unseen: bool = False
    seen: bool = True
    observe: bool = False
    clear_attempts: bool = False
    note: str | None = None


def rebase(conn: sa.Connection, now: datetime, changes: Sequence[Rebase]) -> None:
    """New bases for many listings in a few statements (a batch's acknowledgements).

    The stored counts are read under row locks (PostgreSQL, in listing order so two writers
    cannot deadlock), the new ones computed here (`_unseen_after`), and written back with one
    upsert per shape of row."""
    if not changes:
        return
    ordered = sorted(changes, key=lambda c: c.listing_id)
    stored = _stored_unseen(conn, [c.listing_id for c in ordered])
    shapes: dict[tuple[bool, bool], list[dict[str, Any]]] = {}
    for change in ordered:
        unseen, since = _unseen_after(stored.get(change.listing_id), change, now)
        row: dict[str, Any] = {
            "listing_id": change.listing_id,
            "acked_quantity": change.acked,
            "unseen_units": unseen,
            "unseen_at": since,
            "acked_at": now,
            "last_error": change.note,
        }
        if change.clear_attempts:
            row["attempts"] = 0
        if change.observe:
            row["observed_quantity"], row["observed_at"] = change.acked, now
        shapes.setdefault((change.clear_attempts, change.observe), []).append(row)
    for rows in shapes.values():
        insert = _insert(conn)
        set_ = {name: insert.excluded[name] for name in rows[0] if name != "listing_id"}
        if "observed_at" in set_:
            set_["observed_at"] = _observed_since(insert)
        conn.execute(insert.on_conflict_do_update(index_elements=["listing_id"], set_=set_), rows)


def _stored_unseen(conn: sa.Connection, listing_ids: Sequence[int]) -> dict[int, tuple[int, datetime | None]]:
    stored: dict[int, tuple[int, datetime | None]] = {}
    for start in range(0, len(listing_ids), 500):
        current = (
            sa.select(_s.listing_id, _s.unseen_units, _s.unseen_at)
            .where(_s.listing_id.in_(listing_ids[start : start + 500]))
            .order_by(_s.listing_id)
        )
        if conn.dialect.name == "postgresql":
            current = current.with_for_update()
        for r in conn.execute(current):
            stored[int(r.listing_id)] = (int(r.unseen_units), r.unseen_at)
    return stored


def _unseen_after(
    stored: tuple[int, datetime | None] | None, change: Rebase, now: datetime
) -> tuple[int, datetime | None]:
    """The stored count plus the move. After a `seen` level a negative result means the channel
    went up by itself (a manual edit, a restock): unexplained, it is dropped, the level read is
    the truth."""
    units, since = stored if stored is not None else (0, None)
    unseen = (0 if change.forget_unseen and units > 0 else units) + change.moved
    if change.seen:
        unseen = max(unseen, 0)
    if not unseen:
        return 0, None
    return unseen, now if change.moved or since is None else since


def record_ack(
    conn: sa.Connection,
    listing_id: int,
    holds: int,
    now: datetime,
    *,
    unseen_moved: int = 0,
    forget_unseen: bool = False,
    observed: bool = True,
) -> None:
    """The channel took our write and holds `holds`: the next compare-and-set "from" / delta base.

    `unseen_moved`: units the channel sold on its own between the previous base and our write, as
    the write revealed them (a delta platform holding less than we aimed at). They are added to
    the stored `unseen_units`, which already carries every own sale the hub recorded since that
    base (`shift_acknowledged`, possibly while our call was in flight), so the count stays exact.
    `observed`: the write saw the channel's level (false when no call was made). See `Rebase`."""
    rebase(conn, now, [ack(listing_id, holds, unseen_moved, forget_unseen=forget_unseen, seen=observed)])


def ack(
    listing_id: int, holds: int, moved: int = 0, *, forget_unseen: bool = False, seen: bool = True
) -> Rebase:
    """`record_ack` as a `Rebase`, for batches; a level `seen` is also recorded as observed."""
    return Rebase(listing_id, holds, moved, forget_unseen, seen, observe=seen, clear_attempts=True)


def record_stale(
    conn: sa.Connection,
    listing_id: int,
    change: LevelChange,
    remote: int | None,
    now: datetime,
    *,
    base: int | None,
    forget_unseen: bool = False,
) -> None:
    """A compare-and-set refused: the channel holds `remote`, not `change.expected`. See `stale`."""
    rebase(conn, now, [stale(listing_id, change, remote, base=base, forget_unseen=forget_unseen)])


def stale(
    listing_id: int, change: LevelChange, remote: int | None, *, base: int | None, forget_unseen: bool = False
) -> Rebase:
    """A compare-and-set refused: the channel holds `remote`, not `change.expected`.

    It moved on its own by `base - remote` since our stored base (`acked_quantity`, which the
    stored `unseen_units` belong to; `change.expected` may be that base less the sales recorded
    since): sales it took since. Those the hub has recorded already were counted into
    `unseen_units` by `shift_acknowledged` (negative); adding the move leaves exactly the sales
    the hub has not recorded yet. `remote` becomes the new "from" (None when unreported: read
    next round, nothing unseen is guessed)."""
    moved = base - remote if base is not None and remote is not None else 0
    return Rebase(
        listing_id,
        remote,
        moved,
        forget_unseen,
        seen=True,
        observe=remote is not None,
        note=f"stale: channel held {remote}, expected {change.expected}",
    )


def record_base(
    conn: sa.Connection,
    listing_id: int,
    quantity: int | None,
    now: datetime,
    note: str,
    *,
    trust_hub: bool = True,
) -> None:
    """Reconciliation: take what the channel holds as the new base.

    `trust_hub` (an under-drift that outlived its grace period): nothing unseen any more, the
    hub's number wins. Otherwise (a channel showing more than the hub wants) what it moved by
    since the old base counts as its own sales, as a stale compare-and-set does: those the hub
    recorded already cancel out, the rest stay held back as unseen (a guess that expires).
    Dropping them would let a sale that is still on its way count a second time when it arrives,
    and offer that unit again on another channel.
    """
    old = conn.scalar(sa.select(_s.acked_quantity).where(_s.listing_id == listing_id))
    if trust_hub or old is None or quantity is None:
        _upsert(
            conn,
            listing_id,
            acked_quantity=quantity,
            unseen_units=0,
            unseen_at=None,
            acked_at=now,
            last_error=note,
        )
        return
    rebase(conn, now, [Rebase(listing_id, quantity, int(old) - quantity, note=note)])


def record_observed(conn: sa.Connection, listing_id: int, quantity: int | None, now: datetime) -> None:
    """What the channel shows. `observed_at` is kept while the value stays the same, so it reads
    "the channel has shown this since" (reconciliation's grace period rests on it)."""
    insert = _insert(conn)
    stmt = insert.values(
        listing_id=listing_id, observed_quantity=quantity, observed_at=now
    ).on_conflict_do_update(
        index_elements=["listing_id"],
        set_={"observed_quantity": insert.excluded.observed_quantity, "observed_at": _observed_since(insert)},
    )
    conn.execute(stmt)


def _observed_since(insert: Any) -> Any:
    """`observed_at` on an upsert: kept while the channel shows the same value."""
    unchanged = _s.observed_quantity.is_not_distinct_from(insert.excluded.observed_quantity)
    return sa.case(
        (sa.and_(unchanged, _s.observed_at.is_not(None)), _s.observed_at), else_=insert.excluded.observed_at
    )


def observed_since(conn: sa.Connection, listing_ids: Sequence[int]) -> dict[int, datetime | None]:
    rows = conn.execute(
        sa.select(_s.listing_id, _s.observed_at).where(_s.listing_id.in_(list(listing_ids)))
    ).all()
    return {int(r.listing_id): r.observed_at for r in rows}


def record_error(conn: sa.Connection, listing_id: int, error: str, *, attempts: int | None = None) -> None:
    values: dict[str, Any] = {"last_error": error[:2000]}
    if attempts is not None:
        values["attempts"] = attempts
    _upsert(conn, listing_id, **values)


def reset_attempts(conn: sa.Connection, listing_ids: Iterable[int]) -> None:
    ids = list(listing_ids)
    if ids:
        conn.execute(sa.update(listing_sync).where(_s.listing_id.in_(ids)).values(attempts=0))


def _upsert(conn: sa.Connection, listing_id: int, **values: Any) -> None:
    insert = _insert(conn)
    stmt = insert.values(listing_id=listing_id, **values).on_conflict_do_update(
        index_elements=["listing_id"], set_=_excluded(insert, values)
    )
    conn.execute(stmt)


def _excluded(insert: Any, values: Mapping[str, Any]) -> dict[str, Any]:
    return {name: insert.excluded[name] for name in values}


def _insert(conn: sa.Connection) -> Any:
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(listing_sync)
