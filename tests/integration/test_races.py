"""Races between processes for the last units, on SQLite and PostgreSQL.

Eight processes compete through the real services (their own engines and connections). The
database is the arbiter: whatever the interleaving, nothing is oversold and the balances still
equal the ledger.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor

from stockbridge.services.availability import list_balances
from stockbridge.services.catalog_places import ChannelSpec, LocationSpec, define_channel, define_location
from stockbridge.services.catalog_skus import SkuSpec, define_sku
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.services.verify import verify_balances
from tests.integration.race_workers import mixed_operations, reserve_last_units

WORKERS = 8


def _setup(ctx: HubContext, hot: int, warm: int) -> None:
    define_location(ctx, LocationSpec("WH1"))
    define_location(ctx, LocationSpec("WH2"))
    define_sku(ctx, SkuSpec("HOT"))
    define_sku(ctx, SkuSpec("WARM"))
    define_channel(ctx, ChannelSpec("shop", locations=("WH1", "WH2")))
    ingest_events(
        ctx,
        [
            {"type": "receipt", "sku": "HOT", "location": "WH1", "quantity": hot},
            {"type": "receipt", "sku": "WARM", "location": "WH2", "quantity": warm},
        ],
    )


def _pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("spawn"))


def test_eight_processes_never_reserve_more_than_the_stock(ctx: HubContext, db_url: str) -> None:
    stock = 40
    _setup(ctx, stock, 0)
    with _pool() as pool:
        results = list(
            pool.map(reserve_last_units, [db_url] * WORKERS, range(WORKERS), [10] * WORKERS, [1] * WORKERS)
        )
    reserved = sum(r.reserved_units for r in results)
    assert reserved == stock  # 80 attempts for 40 units: every unit held exactly once
    assert sum(r.refused for r in results) == WORKERS * 10 - stock
    (hot,) = list_balances(ctx, sku="HOT")
    assert hot.quantities.reserved == stock and hot.quantities.available == 0
    assert verify_balances(ctx) == []


def test_mixed_reserve_commit_release_and_sales_stay_within_stock(ctx: HubContext, db_url: str) -> None:
    stock, warm = 60, 15
    _setup(ctx, stock, warm)
    with _pool() as pool:
        results = list(
            pool.map(mixed_operations, [db_url] * WORKERS, range(WORKERS), [12] * WORKERS, [7] * WORKERS)
        )
    (hot,) = list_balances(ctx, sku="HOT")
    (cold,) = list_balances(ctx, sku="WARM")
    q = hot.quantities
    committed = sum(r.committed_units + r.sold_by_event_units for r in results)
    assert q.committed == committed
    assert q.reserved == 0  # every hold was committed or released
    assert q.committed + q.reserved <= stock and q.available == stock - committed >= 0
    assert cold.quantities.available >= 0 and cold.quantities.reserved == 0
    assert sum(r.reserved_units for r in results) == sum(
        r.committed_units + r.released_units for r in results
    )
    assert verify_balances(ctx) == []
