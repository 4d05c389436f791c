"""Property: for any sequence of events and reservation steps, the live balances equal a rebuild
from the ledger, no stored counter goes negative, guarded sales never take available below zero,
and `reserved` equals the sum of held reservations.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockbridge.domain.clock import FrozenClock
from stockbridge.domain.quantities import STATES
from stockbridge.errors import InsufficientStockError, InvalidStateError
from stockbridge.services.availability import list_balances
from stockbridge.services.catalog_places import ChannelSpec, LocationSpec, define_channel, define_location
from stockbridge.services.catalog_skus import SkuSpec, UnitSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.reservations import (
    ReserveLine,
    ReserveRequest,
    commit_reservation,
    expire_due,
    release_reservation,
    reserve,
)
from stockbridge.services.verify import live_balances, verify_balances
from stockbridge.store.engine import make_engine, sqlite_url
from stockbridge.store.schema import reservation_lines, reservations
from tests.conftest import truncate_pg

SKUS = ("A", "B")
LOCS = ("L1", "L2")

quantity = st.integers(min_value=1, max_value=12)
line = st.fixed_dictionaries(
    {"sku": st.sampled_from(SKUS), "location": st.sampled_from(LOCS), "quantity": quantity}
)
simple_type = st.sampled_from(
    ["receipt", "expected", "sale", "sale_cancelled", "fulfil", "damage", "transfer_in"]
)
simple = st.builds(lambda t, ln: {"type": t, **ln}, simple_type, line)
returned = st.builds(
    lambda ln, d: {"type": "return", **ln, "disposition": d},
    line,
    st.sampled_from(["restock", "damaged", "quality_control"]),
)
count = st.builds(lambda ln, q: {"type": "count", **ln, "quantity": q}, line, st.integers(0, 30))
adjust = st.builds(
    lambda ln, q: {"type": "adjustment", **ln, "quantity": q, "reason": "test"},
    line,
    st.integers(-5, 5).filter(bool),
)
transfer = st.builds(
    lambda ln: {"type": "transfer_out", **ln, "to_location": "L2" if ln["location"] == "L1" else "L1"}, line
)
moved = st.builds(
    lambda ln, a, b: {"type": "move", **ln, "from_state": a, "to_state": b},
    line,
    st.sampled_from(["available", "damaged", "quality_control", "safety_stock"]),
    st.sampled_from(["available", "damaged", "quality_control", "safety_stock"]),
)
in_units = st.builds(lambda ln: {"type": "receipt", **ln, "quantity": 1, "unit": "case"}, line)
event = st.one_of(simple, returned, count, adjust, transfer, moved, in_units)
batch = st.lists(event, min_size=1, max_size=4).map(lambda evs: ("events", evs))
hold = st.builds(lambda lines: ("reserve", lines), st.lists(line, min_size=1, max_size=3))
finish = st.builds(
    lambda n, how: ("finish", n, how), st.integers(0, 20), st.sampled_from(["commit", "release"])
)
tick = st.builds(lambda s: ("tick", s), st.integers(1, 400))
step = st.one_of(batch, batch, hold, finish, tick)


def _catalog(ctx: HubContext) -> None:
    for loc in LOCS:
        define_location(ctx, LocationSpec(loc))
    for sku in SKUS:
        define_sku(ctx, SkuSpec(sku, units=(UnitSpec("case", 6),)))
    define_channel(ctx, ChannelSpec("shop", locations=LOCS))


def _run(ctx: HubContext, clock: FrozenClock, steps: list[Any]) -> None:
    held: list[str] = []
    for n, item in enumerate(steps):
        if item[0] == "events":
            ingest_events(ctx, item[1])
        elif item[0] == "reserve":
            lines = [ReserveLine(x["sku"], x["quantity"], x["location"]) for x in item[1]]
            fits = _fits(ctx, item[1])
            try:
                held.append(reserve(ctx, ReserveRequest(f"r{n}", lines, ttl_s=300)).id)
                assert fits, "reserved more than was available"
            except InsufficientStockError:
                assert not fits, "refused although every line was available"
        elif item[0] == "finish" and held:
            target = held[item[1] % len(held)]
            with contextlib.suppress(InvalidStateError):
                (commit_reservation if item[2] == "commit" else release_reservation)(ctx, target)
        elif item[0] == "tick":
            clock.advance(item[1])
            expire_due(ctx)
        _check(ctx)


def _check(ctx: HubContext) -> None:
    assert verify_balances(ctx) == []
    with ctx.read() as conn:
        balances = live_balances(conn, ctx.tenant_id)
        held = _held(conn)
    for key, q in balances.items():
        assert all(q.get(s) >= 0 for s in STATES), (key, q)
        assert q.reserved == held.get(key, 0), (key, q, held)


def _fits(ctx: HubContext, lines: list[dict[str, Any]]) -> bool:
    """Whether every (merged) line is covered by available stock right now."""
    wanted: dict[tuple[str, str], int] = {}
    for x in lines:
        wanted[(x["sku"], x["location"])] = wanted.get((x["sku"], x["location"]), 0) + x["quantity"]
    have = {(b.sku, b.location): b.quantities.available for b in list_balances(ctx)}
    return all(have.get(key, 0) >= q for key, q in wanted.items())


def _held(conn: sa.Connection) -> dict[tuple[int, int], int]:
    rows = conn.execute(
        sa.select(
            reservation_lines.c.sku_id,
            reservation_lines.c.location_id,
            sa.func.sum(reservation_lines.c.quantity),
        )
        .join(reservations, reservations.c.id == reservation_lines.c.reservation_id)
        .where(reservations.c.status == "held")
        .group_by(reservation_lines.c.sku_id, reservation_lines.c.location_id)
    )
    return {(s, loc): int(q) for s, loc, q in rows}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=12))
def test_sqlite_balances_always_equal_the_ledger(sqlite_template: Path, steps: list[Any]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hub.db"
        shutil.copy(sqlite_template, path)
        engine = make_engine(sqlite_url(path))
        clock = FrozenClock()
        ctx = HubContext(engine, clock)
        _catalog(ctx)
        _run(ctx, clock, steps)
        engine.dispose()


@pytest.mark.postgres
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step, min_size=1, max_size=10))
def test_postgres_balances_always_equal_the_ledger(pg_database: str, steps: list[Any]) -> None:
    truncate_pg(pg_database)
    engine = make_engine(pg_database)
    clock = FrozenClock()
    ctx = HubContext(engine, clock)
    _catalog(ctx)
    _run(ctx, clock, steps)
    engine.dispose()
