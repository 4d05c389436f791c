"""From claimed listings to level changes: desired ATP, the remote item and location, the base.

Per listing: desired = its available-to-sell (`desired`, read *after* the claim), item = the
external id bound to the listing's SKU (`bindings`, object type `sku`), base =
`listing_sync.acked_quantity` (what the channel holds as far as we know), and the target the
channel should show = desired - `unseen_units` (units the channel sold on its own that the hub
has not recorded yet: they stay sold, they are not offered again).

Multi-location platforms (Shopify) hold one level per (item, remote location), but a listing has
one ATP. The whole ATP goes to exactly one remote location per connection, the *push location*:
  1. `settings["push_location"]` (a remote location id), when set; else
  2. the one remote location bound (object type `location`) to a hub location feeding the
     channel; else
  3. the only remote location bound for the connection.
Anything else (none, or several candidates) skips every listing with that reason. Other remote
locations are left alone: they are not this channel's stock. Platforms with one level per item
get `location_id=None`.

Listings that cannot be planned (unbound SKU, ambiguous binding, no push location) become `Skip`s
with a reason; the pusher records and reports them, never dropping one silently.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from stockbridge.services.connections import ConnectionView
from stockbridge.services.context import HubContext
from stockbridge.store.schema import channel_locations, skus
from stockbridge.store.schema_sync import bindings, webhook_inbox
from stockbridge.sync.desired import desired_levels
from stockbridge.sync.outbox import Claimed, SyncState, load_states

DEFAULT_UNSEEN_TTL_S = 60.0


@dataclass(frozen=True)
class PlannedLevel:
    listing_id: int
    sku: str
    desired: int
    item_id: str
    location_id: str | None
    acked: int | None  # what the channel holds as far as we know: the CAS "from", the delta base
    attempts: int
    claimed: Claimed
    unseen: int = 0  # units the channel sold on its own that the hub has not recorded yet
    unseen_at: datetime | None = None  # since when (they are forgotten after a while)
    unseen_expired: bool = False  # a guess of unseen sales outlived its time-to-live: dropped at the ack

    @property
    def target(self) -> int:
        """What the channel should show: the hub's number less what the channel already sold."""
        return max(self.desired - self.unseen, 0)

    @property
    def dirty_at(self) -> datetime | None:
        return self.claimed.dirty_at


@dataclass(frozen=True)
class Skip:
    listing_id: int
    sku: str
    reason: str


@dataclass(frozen=True)
class Plan:
    levels: list[PlannedLevel]
    skips: list[Skip]


def plan_levels(
    ctx: HubContext,
    view: ConnectionView,
    claimed: Sequence[Claimed],
    *,
    multi_location: bool,
    unseen_ttl_s: float = DEFAULT_UNSEEN_TTL_S,
) -> Plan:
    with ctx.read() as conn:
        codes = _sku_codes(conn, [c.sku_id for c in claimed])
        items = _sku_items(conn, ctx, view.id, [c.sku_id for c in claimed])
        states = load_states(conn, [c.listing_id for c in claimed])
        location, why = push_location(conn, ctx, view) if multi_location else (None, "")
        skips, planned = [], []
        for c in claimed:
            sku, bound = codes[c.sku_id], items.get(c.sku_id, [])
            reason = _skip_reason(bound, multi_location and location is None, why, sku)
            if reason:
                skips.append(Skip(c.listing_id, sku, reason))
            else:
                planned.append((c, sku, bound[0]))
        desired = desired_levels(conn, ctx, [c.listing_id for c, _, _ in planned])
        now = ctx.clock.now()
        trusted_after = guess_horizon(conn, ctx.tenant_id, now, unseen_ttl_s)
    levels = []
    for c, sku, item in planned:
        state = states.get(c.listing_id) or SyncState(None, 0, 0)
        level = PlannedLevel(
            c.listing_id, sku, desired[c.listing_id], item, location, state.acked_quantity, state.attempts, c
        )
        if _unseen_live(state, trusted_after):
            level = dataclasses.replace(level, unseen=state.unseen_units, unseen_at=state.unseen_at)
        elif state.unseen_units > 0:
            level = dataclasses.replace(level, unseen_expired=True)
        levels.append(level)
    return Plan(levels, skips)


def inbox_lag_s(conn: sa.Connection, tenant_id: int, now: datetime) -> float:
    """How far the hub is behind on its inbox: the age of its oldest delivery never tried yet (0
    when there is none). Deliveries tried and left waiting are not backlog, so a stuck row does
    not count."""
    i = webhook_inbox.c
    oldest = conn.scalar(
        sa.select(i.received_at)
        .where(i.tenant_id == tenant_id, i.status == "pending", i.attempts == 0)
        .order_by(i.id)
        .limit(1)
    )
    return max((now - oldest).total_seconds(), 0.0) if oldest is not None else 0.0


def guess_horizon(conn: sa.Connection, tenant_id: int, now: datetime, ttl_s: float) -> datetime:
    """Guesses of unseen sales made after this moment are still trusted: `ttl_s` before `now`,
    moved further back by the inbox lag (`inbox_lag_s`). A guess stands for orders on their way
    to the hub; while the hub is behind on its inbox they may be sitting there, and dropping the
    guess then would offer their units again (measured: at 200 orders/s on the standard box the
    inbox lagged about 60 s, as long as the time-to-live, and channels oversold 15-30 units)."""
    return now - timedelta(seconds=ttl_s + inbox_lag_s(conn, tenant_id, now))


def _unseen_live(state: SyncState, trusted_after: datetime) -> bool:
    """Unseen units count while the base they belong to is known. A positive count (sales the
    channel took that the hub has not recorded) is a guess and counts only while made after
    `trusted_after` (see `guess_horizon`): an order takes at most the time-to-live to reach the
    hub (webhook or poll), plus however far the hub is behind on its inbox; after that, the
    hub's number is trusted again, so a wrong guess never holds stock back for long. A
    negative count (own sales the hub recorded after the base) is a fact and never expires."""
    if state.acked_quantity is None or not state.unseen_units:
        return False
    if state.unseen_units < 0:
        return True
    return state.unseen_at is not None and state.unseen_at > trusted_after


def push_location(conn: sa.Connection, ctx: HubContext, view: ConnectionView) -> tuple[str | None, str]:
    """The one remote location that receives listing levels, or None and why not."""
    configured = view.settings.get("push_location")
    if configured:
        return str(configured), ""
    b = bindings.c
    bound = conn.execute(
        sa.select(b.external_id, b.internal_id).where(
            b.tenant_id == ctx.tenant_id, b.connection_id == view.id, b.object_type == "location"
        )
    ).all()
    feeding = {
        str(i)
        for i in conn.scalars(
            sa.select(channel_locations.c.location_id).where(
                channel_locations.c.channel_id == view.channel_id
            )
        )
    }
    fed = sorted({r.external_id for r in bound if r.internal_id in feeding})
    if len(fed) == 1:
        return fed[0], ""
    if len(fed) == 0 and len(bound) == 1:
        return str(bound[0].external_id), ""
    return None, (
        f"no single remote location to push to ({len(fed) or len(bound)} candidates); "
        f"set settings.push_location on connection {view.code!r}"
    )


def _skip_reason(bound: Sequence[str], no_location: bool, why: str, sku: str) -> str:
    if not bound:
        return f"SKU {sku!r} is not bound to a remote item on this connection"
    if len(bound) > 1:
        return f"SKU {sku!r} is bound to several remote items: {', '.join(sorted(bound))}"
    return why if no_location else ""


def _sku_codes(conn: sa.Connection, sku_ids: Sequence[int]) -> dict[int, str]:
    rows = conn.execute(sa.select(skus.c.id, skus.c.code).where(skus.c.id.in_(sorted(set(sku_ids))))).all()
    return {int(r.id): r.code for r in rows}


def _sku_items(
    conn: sa.Connection, ctx: HubContext, connection_id: int, sku_ids: Sequence[int]
) -> dict[int, list[str]]:
    b = bindings.c
    wanted = sorted({str(s) for s in sku_ids})
    rows: list[Any] = []
    for start in range(0, len(wanted), 500):
        rows += conn.execute(
            sa.select(b.internal_id, b.external_id).where(
                b.tenant_id == ctx.tenant_id,
                b.connection_id == connection_id,
                b.object_type == "sku",
                b.internal_id.in_(wanted[start : start + 500]),
            )
        ).all()
    items: dict[int, list[str]] = {}
    for r in rows:
        items.setdefault(int(r.internal_id), []).append(r.external_id)
    return items
