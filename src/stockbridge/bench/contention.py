"""Contention for one hot SKU: many processes reserving the last units through the hub, against
the bare conditional UPDATE on the same kind of row, in the same run.

Each of `workers` processes makes its share of `attempts` reservations of one unit (distinct
idempotency keys, at one location) until the attempts are spent; the stock is `stock` units.
Baseline: the same processes and attempts, each a single autocommitted
`UPDATE balances SET reserved = reserved + 1 WHERE ... AND available >= 1` on a fresh row.
Oversold units are counted from the database afterwards, not from what workers believe.
"""

from __future__ import annotations

import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from stockbridge.bench.scratch import scratch_database
from stockbridge.domain.clock import SystemClock
from stockbridge.errors import InsufficientStockError
from stockbridge.services.availability import list_balances
from stockbridge.services.catalog_places import LocationSpec, define_location
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.reservations import ReserveLine, ReserveRequest, reserve
from stockbridge.store.engine import make_engine, writer_lock
from stockbridge.store.ledger import AVAILABLE_EXPR
from stockbridge.store.schema import balances


@dataclass(frozen=True)
class ContentionResult:
    workers: int
    stock: int
    attempts: int
    reserved_units: int
    oversold_units: int
    ops_per_s: float
    baseline_ops_per_s: float
    ratio: float
    database: str

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def _hub_worker(url: str, worker: int, attempts: int, start_at: float) -> int:
    ctx = HubContext(make_engine(url, pool_size=1), SystemClock())
    _wait_until(start_at)
    held = 0
    for n in range(attempts):
        try:
            reserve(ctx, ReserveRequest(f"bench-{worker}-{n}", [ReserveLine("HOT", 1, "WH1")], ttl_s=3600))
            held += 1
        except InsufficientStockError:
            pass
    ctx.engine.dispose()
    return held


def _bare_worker(url: str, worker: int, attempts: int, start_at: float) -> int:
    engine = make_engine(url, pool_size=1)
    b = balances.c
    stmt = (
        sa.update(balances)
        .where(b.tenant_id == 1, b.sku_id == sa.bindparam("s"), b.location_id == sa.bindparam("l"))
        .where(AVAILABLE_EXPR >= 1)
        .values(reserved=b.reserved + 1)
    )
    with engine.connect() as conn:
        sku_id, location_id = conn.execute(sa.select(b.sku_id, b.location_id)).one()
    _wait_until(start_at)
    held = 0
    for _ in range(attempts):
        with writer_lock(engine), engine.begin() as conn:
            held += conn.execute(stmt, {"s": sku_id, "l": location_id}).rowcount
    engine.dispose()
    return held


def _wait_until(moment: float) -> None:
    while (left := moment - time.time()) > 0:
        time.sleep(min(left, 0.05))


def _stocked(url: str, stock: int) -> HubContext:
    ctx = HubContext(make_engine(url), SystemClock())
    define_location(ctx, LocationSpec("WH1"))
    define_sku(ctx, SkuSpec("HOT"))
    ingest_events(ctx, [{"type": "receipt", "sku": "HOT", "location": "WH1", "quantity": stock}])
    return ctx


def _race(url: str, worker_fn: Any, workers: int, attempts: int) -> tuple[int, float]:
    shares = [attempts // workers + (1 if i < attempts % workers else 0) for i in range(workers)]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        start_at = time.time() + 2.0  # every process connected and imported before the clock starts
        futures = [pool.submit(worker_fn, url, i, shares[i], start_at) for i in range(workers)]
        held = sum(f.result() for f in futures)
        elapsed = time.time() - start_at
    return held, elapsed


def bench_contention(url: str | None, *, workers: int, stock: int, attempts: int) -> ContentionResult:
    with scratch_database(url) as hub_url:
        ctx = _stocked(hub_url, stock)
        held, hub_s = _race(hub_url, _hub_worker, workers, attempts)
        (hot,) = list_balances(ctx, sku="HOT")
        reserved = hot.quantities.reserved
        oversold = max(0, reserved - stock) + max(0, -hot.quantities.available)
        database = ctx.engine.dialect.name
        ctx.engine.dispose()
        if held != reserved:
            raise AssertionError(f"workers think they hold {held} units, the database says {reserved}")
    with scratch_database(url) as base_url:
        _stocked(base_url, stock).engine.dispose()
        _, base_s = _race(base_url, _bare_worker, workers, attempts)
    hub_rate, base_rate = attempts / hub_s, attempts / base_s
    return ContentionResult(
        workers, stock, attempts, reserved, oversold, hub_rate, base_rate, hub_rate / base_rate, database
    )
