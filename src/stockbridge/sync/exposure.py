"""The exposure guard: channels together never show more of a SKU than the hub's rules allow at rest.

Every channel sells from its own counter and hears of the others' sales only through the hub.
Shares of 50% + 50% keep the *desired* levels within the stock, but not the levels in between: an
increase pushed to one channel while another still shows units that have since sold (its decrease
not acknowledged yet) lets the two together offer more than exists. So, per SKU `p` touched by an
increase in a push round (or by any level, where some channel has unrecorded sales of it: below),
the guard keeps

    Σ over listings L of p (every channel with an enabled connection) of exposure(L) × per(L, p)
        ≤ bound(p)

`exposure(L)` is the most the channel can be showing: the acknowledged level less the channel's
own sales recorded since (`acked_quantity + min(unseen_units, 0)`; never pushed: 0), or, while an
increase is in flight, its `ceiling`. `per(L, p)` is 1 for a listing of `p` itself and the recipe
quantity for a bundle containing `p`. When the rules fit the stock (Σ desired(L) × per(L, p) ≤
available(p), e.g. shares of 50% + 50%), `bound(p)` = available(p) over every location less the
sales channels are known to have taken that the ledger has not recorded yet (positive
`unseen_units`): the channels together never offer a unit that does not exist. When the rules
ask for more (overlapping shares, 100% everywhere: a choice to accept some risk), the bound is
the larger of that and what the rules show at rest (desired less those sales), so the guard
never holds a channel below its rules; it only orders the moves.

Increases are cut to the headroom: a listing cut to nothing is `held` (no call; it stays dirty
and is tried again next round), a listing cut part of the way is pushed and stays dirty (`cut`).
Where the shares fit the stock, a SKU can still end up over-exposed (negative headroom): a
channel sold beyond its own share before the hub could lower it, so its unrecorded sales
(positive `unseen_units`) lower the bound by more than its own target can fall (a target stops
at 0), or WooCommerce's read-then-write overwrote sales it took during a push (`overwritten`).
Then every listing of the SKU in the round, whatever its own plan (a decrease, no change, or an
increase that would otherwise only be held), is `lowered`: pushed below its target by the
deficit, at most to 0, so the rest of the pool comes off the other channels. Measured at 200
orders/s in the simulator: Shopify sold 18 units past its 50% share of a hot SKU while
WooCommerce still showed its whole share, and a WooCommerce write that overwrote 2 sales left
the pair 2 units over for the rest of the run, its listing held as an increase. Decreases and
unchanged levels of a SKU with no unrecorded sales on any listing are not looked at (one query
a round finds the SKUs that have some). With overlapping shares nothing is lowered: the rules
accept that risk. The check and the ceilings are written in one write transaction (SQLite: the
single writer; PostgreSQL: a transaction-scoped advisory lock per SKU, taken in id order), so two
pushers never spend the same headroom. Ceilings are cleared when the round ends (`clear_ceilings`)
and ignored after `CEILING_TTL_S`, so a pusher killed mid-call holds nothing back for long.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.services.context import HubContext
from stockbridge.store.references import load_skus
from stockbridge.store.schema import balances, bundle_components, listings
from stockbridge.store.schema_sync import connections, listing_sync
from stockbridge.sync.desired import desired_levels
from stockbridge.sync.plan import DEFAULT_UNSEEN_TTL_S, PlannedLevel, guess_horizon

CEILING_TTL_S = 120.0
LOCK_CLASS = 51_770  # first key of pg_advisory_xact_lock(int, int); the second is the SKU id

_b = balances.c
_AVAILABLE = (
    _b.on_hand - _b.committed - _b.reserved - _b.damaged - _b.quality_control - _b.safety_stock
)  # as `domain.quantities.Quantities.available`


@dataclass(frozen=True)
class Guarded:
    levels: list[PlannedLevel]  # to push (increases possibly cut)
    held: list[PlannedLevel]  # increases with no headroom at all: no call this round
    cut: frozenset[int]  # listing ids pushed below their target: they stay dirty
    ceilings: frozenset[int]  # listing ids whose ceiling this round set (clear when it ends)
    lowered: frozenset[int] = frozenset()  # pushed below their target: their SKU is over-exposed


@dataclass(frozen=True)
class _Sibling:
    listing_id: int
    sku_id: int
    exposure: int
    sold_unrecorded: int  # positive `unseen_units`: sales the channel took, not in the ledger yet


def is_increase(level: PlannedLevel) -> bool:
    return level.target > (level.acked if level.acked is not None else 0)


def guard_exposure(
    ctx: HubContext, levels: Sequence[PlannedLevel], unseen_ttl_s: float = DEFAULT_UNSEEN_TTL_S
) -> Guarded:
    """Cut the increases among `levels` to the headroom of their SKUs and lower the other levels
    of over-exposed SKUs (see the module docstring); record the increases' ceilings."""
    rising = sorted((lv for lv in levels if is_increase(lv)), key=lambda lv: lv.listing_id)
    steady = [lv for lv in levels if not is_increase(lv) and lv.acked is not None]
    with ctx.read() as conn:
        suspects = _sharing_unrecorded_sales(conn, ctx, steady)
    if not rising and not suspects:
        return Guarded(list(levels), [], frozenset(), frozenset())

    def work(conn: sa.Connection) -> tuple[dict[int, int], set[int]]:
        return _allowed_targets(conn, ctx, rising, suspects, unseen_ttl_s)

    allowed, lowered = ctx.write(work)
    pushed, held, cut = [], [], set()
    for lv in levels:
        target = allowed.get(lv.listing_id, lv.target)
        if target == lv.target:
            pushed.append(lv)
        elif lv.listing_id in lowered:
            pushed.append(dataclasses.replace(lv, desired=target + lv.unseen))
        elif target <= (lv.acked if lv.acked is not None else 0):
            held.append(lv)
        else:
            pushed.append(dataclasses.replace(lv, desired=target + lv.unseen))
            cut.add(lv.listing_id)
    ceilings = frozenset(allowed) - {h.listing_id for h in held} - lowered
    return Guarded(pushed, held, frozenset(cut), ceilings, lowered=frozenset(lowered))


def clear_ceilings(conn: sa.Connection, listing_ids: Iterable[int]) -> None:
    ids = sorted(set(listing_ids))
    for start in range(0, len(ids), 500):
        conn.execute(
            sa.update(listing_sync)
            .where(listing_sync.c.listing_id.in_(ids[start : start + 500]))
            .values(ceiling=None, ceiling_at=None)
        )


def _allowed_targets(
    conn: sa.Connection,
    ctx: HubContext,
    rising: Sequence[PlannedLevel],
    suspects: Sequence[PlannedLevel],
    unseen_ttl_s: float,
) -> tuple[dict[int, int], set[int]]:
    """listing id -> the target it may be pushed to (== its target when the headroom covers it),
    and the listings lowered below their target. Where the shares fit the stock and the SKU is
    over-exposed (negative headroom), any of them, rising or not, takes the deficit off its
    level; otherwise increases are cut to the headroom. Suspects (not rising) first: what they
    take off makes room before any increase is sized."""
    own = [*suspects, *rising]
    own_skus = load_skus(conn, {lv.claimed.sku_id for lv in own})
    parts_of = {s: _parts(ref.id, ref.components) for s, ref in own_skus.items()}
    parts = sorted({p for recipe in parts_of.values() for p, _ in recipe})
    if conn.dialect.name == "postgresql":
        for part in parts:
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(LOCK_CLASS, part)))
    now = ctx.clock.now()
    siblings = _siblings(conn, ctx, parts, now, unseen_ttl_s)
    sibling_skus = load_skus(conn, {s.sku_id for s in siblings} - set(own_skus))
    for s, ref in sibling_skus.items():
        parts_of[s] = _parts(ref.id, ref.components)
    desired = desired_levels(conn, ctx, [s.listing_id for s in siblings])
    pushing = {lv.listing_id: _current(lv) for lv in own}
    headroom, fitting = _headroom(conn, parts, siblings, parts_of, desired, pushing)
    allowed: dict[int, int] = {}
    lowered: set[int] = set()
    ceilings: dict[int, int] = {}
    for lv in own:
        current, planned = _current(lv), _post(lv)
        recipe = parts_of[lv.claimed.sku_id]
        room = min(headroom.get(p, 0) // per for p, per in recipe)
        if room < 0 and all(p in fitting for p, _ in recipe):  # over-exposed: take the deficit off
            post = min(planned, max(current + room, 0))
            for p, per in recipe:
                headroom[p] = headroom.get(p, 0) + (current - post) * per
            if post < planned:
                allowed[lv.listing_id] = post - min(lv.unseen, 0)
                lowered.add(lv.listing_id)
            continue
        if not is_increase(lv):
            continue
        want = planned - current
        step = max(min(want, room), 0)
        for p, per in recipe:
            headroom[p] = headroom.get(p, 0) - step * per
        allowed[lv.listing_id] = lv.target if step == want else current + step - min(lv.unseen, 0)
        if step > 0:
            ceilings[lv.listing_id] = current + step
    _set_ceilings(conn, ceilings, now)
    return allowed, lowered


def _sharing_unrecorded_sales(
    conn: sa.Connection, ctx: HubContext, levels: Sequence[PlannedLevel]
) -> list[PlannedLevel]:
    """The levels whose SKU (or a component of it) some channel has sold units of that the
    ledger has not recorded yet (positive `unseen_units` on any listing of it or of a bundle
    containing it): only there can the channels together show more than the bound while every
    one of them sits at or under its own target. One query; guesses past their time-to-live
    still count here (the guard's own check leaves them out, as `_siblings` does)."""
    if not levels:
        return []
    s = listing_sync.c
    selling = set(
        conn.scalars(
            sa.select(listings.c.sku_id)
            .join(listing_sync, s.listing_id == listings.c.id)
            .where(listings.c.tenant_id == ctx.tenant_id, s.unseen_units > 0)
            .distinct()
        )
    )
    if not selling:
        return []
    refs = load_skus(conn, selling | {lv.claimed.sku_id for lv in levels})
    affected = {p for sku in selling for p, _ in _parts(sku, refs[sku].components)}
    return [
        lv
        for lv in levels
        if any(p in affected for p, _ in _parts(lv.claimed.sku_id, refs[lv.claimed.sku_id].components))
    ]


def _headroom(
    conn: sa.Connection,
    parts: Sequence[int],
    siblings: Sequence[_Sibling],
    parts_of: Mapping[int, list[tuple[int, int]]],
    desired: Mapping[int, int],
    pushing: Mapping[int, int],
) -> tuple[dict[int, int], set[int]]:
    """part SKU -> units an increase may still add: bound less the exposure of every listing
    (the listings being pushed at their current level, the others at their exposure); and the
    parts whose shares fit the stock (where a negative headroom is a promise broken)."""
    wanted = set(parts)
    exposure = dict.fromkeys(parts, 0)
    at_rest = dict.fromkeys(parts, 0)
    sold = dict.fromkeys(parts, 0)
    wants = dict.fromkeys(parts, 0)
    for s in siblings:
        shown = pushing.get(s.listing_id, s.exposure)  # a listing being pushed: its old ceiling is replaced
        for p, per in parts_of[s.sku_id]:
            if p in wanted:
                exposure[p] += shown * per
                at_rest[p] += max(desired.get(s.listing_id, 0) - s.sold_unrecorded, 0) * per
                sold[p] += s.sold_unrecorded * per
                wants[p] += desired.get(s.listing_id, 0) * per
    stock = _available(conn, parts)
    headroom = {p: _bound(stock.get(p, 0), sold[p], wants[p], at_rest[p]) - exposure[p] for p in parts}
    return headroom, {p for p in parts if wants[p] <= stock.get(p, 0)}


def _bound(stock: int, sold: int, wants: int, at_rest: int) -> int:
    """Shares that fit the stock: the stock less the sales known but not recorded yet.
    Overlapping shares (the rules ask for more than exists): what they show at rest."""
    return stock - sold if wants <= stock else max(stock - sold, at_rest)


def _siblings(
    conn: sa.Connection, ctx: HubContext, parts: Sequence[int], now: datetime, unseen_ttl_s: float
) -> list[_Sibling]:
    """Every listing of the parts or of a bundle containing one, on a channel the hub syncs."""
    bundles = conn.scalars(
        sa.select(bundle_components.c.bundle_sku_id).where(
            bundle_components.c.tenant_id == ctx.tenant_id, bundle_components.c.component_sku_id.in_(parts)
        )
    ).all()
    synced = sa.select(connections.c.channel_id).where(
        connections.c.tenant_id == ctx.tenant_id,
        connections.c.enabled.is_(True),
        connections.c.channel_id.is_not(None),
    )
    s = listing_sync.c
    rows = conn.execute(
        sa.select(
            listings.c.id,
            listings.c.sku_id,
            s.acked_quantity,
            s.unseen_units,
            s.unseen_at,
            s.ceiling,
            s.ceiling_at,
        )
        .select_from(listings.outerjoin(listing_sync, s.listing_id == listings.c.id))
        .where(
            listings.c.tenant_id == ctx.tenant_id,
            listings.c.sku_id.in_(sorted({*parts, *bundles})),
            listings.c.channel_id.in_(synced),
        )
    ).all()
    fresh_after = now - timedelta(seconds=CEILING_TTL_S)
    guessed_after = guess_horizon(conn, ctx.tenant_id, now, unseen_ttl_s)  # as `plan`
    out = []
    for r in rows:
        shown = max((r.acked_quantity or 0) + min(int(r.unseen_units or 0), 0), 0)
        if r.ceiling is not None and r.ceiling_at is not None and r.ceiling_at >= fresh_after:
            shown = max(shown, int(r.ceiling))
        unseen = int(r.unseen_units or 0)
        live = unseen > 0 and r.unseen_at is not None and r.unseen_at > guessed_after
        out.append(_Sibling(int(r.id), int(r.sku_id), shown, unseen if live else 0))
    return out


def _available(conn: sa.Connection, parts: Sequence[int]) -> dict[int, int]:
    rows = conn.execute(
        sa.select(_b.sku_id, sa.func.sum(_AVAILABLE)).where(_b.sku_id.in_(parts)).group_by(_b.sku_id)
    ).all()
    return {int(sku): int(total or 0) for sku, total in rows}


def _parts(sku_id: int, components: tuple[tuple[int, int], ...]) -> list[tuple[int, int]]:
    return list(components) if components else [(sku_id, 1)]


def _current(level: PlannedLevel) -> int:
    """The most the channel can show now: the acknowledged level less its own recorded sales."""
    return max((level.acked or 0) + min(level.unseen, 0), 0)


def _post(level: PlannedLevel) -> int:
    """The most the channel can show after the push lands."""
    return max(level.target + min(level.unseen, 0), 0) if level.acked is not None else level.target


def _set_ceilings(conn: sa.Connection, ceilings: Mapping[int, int], now: datetime) -> None:
    """listing id -> ceiling, in one upsert for the round (a never-pushed listing has no row yet)."""
    if not ceilings:
        return
    insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(listing_sync)
    stmt = insert.on_conflict_do_update(
        index_elements=["listing_id"],
        set_={"ceiling": insert.excluded.ceiling, "ceiling_at": insert.excluded.ceiling_at},
    )
    conn.execute(
        stmt,
        [{"listing_id": lid, "ceiling": c, "ceiling_at": now} for lid, c in sorted(ceilings.items())],
    )
