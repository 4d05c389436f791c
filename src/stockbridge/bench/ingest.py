"""Ledger ingest throughput: the hub's batch path against plain batched SQL writing the same rows.

Workload (deterministic for a seed): single-line events over `skus` SKUs and 4 locations — 55%
receipts, 25% sales (guarded), 10% adjustments, 5% counts, 5% damage — sent in batches of
`batch` events, with a share of deliveries repeated (the hub drops them as duplicates).
Baseline: the same event rows and movement rows (multi-row inserts) and one set-based balance
upsert per batch (deltas summed per row), in batches of the same size, with no parsing,
validation, deduplication, locking or guards: what plain batched SQL gets from the database.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from stockbridge.domain.clock import SystemClock
from stockbridge.services.catalog_places import LocationSpec, define_location
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.store import ledger
from stockbridge.store.engine import make_engine
from stockbridge.store.schema import balances, inventory_movements, locations, skus

LOCATIONS = ("WH1", "WH2", "WH3", "WH4")


@dataclass(frozen=True)
class IngestResult:
    events: int
    events_per_s: float
    baseline_events_per_s: float
    ratio: float
    duplicates_dropped: int
    quarantined: int
    database: str

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in self.__dict__.items()}


def make_events(n: int, skus_count: int, seed: int, duplicate_share: float) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    events: list[dict[str, Any]] = []
    for i in range(n):
        sku, loc, roll = f"SKU-{rng.randrange(skus_count):05d}", rng.choice(LOCATIONS), rng.random()
        event: dict[str, Any] = {"idempotency_key": f"bench-{i}", "sku": sku, "location": loc}
        if roll < 0.55:
            event |= {"type": "receipt", "quantity": rng.randint(5, 50)}
        elif roll < 0.80:
            event |= {"type": "sale", "quantity": rng.randint(1, 3)}
        elif roll < 0.90:
            event |= {"type": "adjustment", "quantity": rng.choice((-2, -1, 1, 2)), "reason": "bench"}
        elif roll < 0.95:
            event |= {"type": "count", "quantity": rng.randint(0, 60)}
        else:
            event |= {"type": "damage", "quantity": 1}
        events.append(event)
        if rng.random() < duplicate_share:
            events.append(dict(event))
    return events[:n]


def prepare_catalog(ctx: HubContext, skus_count: int) -> None:
    for code in LOCATIONS:
        define_location(ctx, LocationSpec(code))
    now = ctx.clock.now()
    with ctx.engine.begin() as conn:  # bulk SKU insert: define_sku per SKU is for people, not benchmarks
        conn.execute(
            sa.insert(skus),
            [{"code": f"SKU-{i:05d}", "title": "", "created_at": now} for i in range(skus_count)],
        )


def run_hub(url: str, events: list[dict[str, Any]], batch: int) -> tuple[float, int, int]:
    ctx = HubContext(make_engine(url), SystemClock())
    started = time.perf_counter()
    duplicates = quarantined = 0
    for start in range(0, len(events), batch):
        summary = ingest_events(ctx, events[start : start + batch], source="bench").summary()
        duplicates += summary["duplicate"]
        quarantined += summary["quarantined"]
    elapsed = time.perf_counter() - started
    ctx.engine.dispose()
    return elapsed, duplicates, quarantined


def run_baseline(url: str, events: list[dict[str, Any]], batch: int) -> float:
    engine = make_engine(url)
    with engine.connect() as conn:
        sku_ids = dict(conn.execute(sa.select(skus.c.code, skus.c.id)).all())
        loc_ids = dict(conn.execute(sa.select(locations.c.code, locations.c.id)).all())
    now = SystemClock().now()
    started = time.perf_counter()
    for start in range(0, len(events), batch):
        chunk = events[start : start + batch]
        with engine.begin() as conn:
            ids = ledger.insert_events(conn, [_event_row(e, start + i, now) for i, e in enumerate(chunk)])
            keys = [(sku_ids[e["sku"]], loc_ids[e["location"]]) for e in chunk]
            conn.execute(
                sa.insert(inventory_movements),
                [
                    {
                        "tenant_id": 1,
                        "event_id": i,
                        "sku_id": s,
                        "location_id": loc,
                        "state": "on_hand",
                        "delta": e["quantity"],
                    }
                    for i, (s, loc), e in zip(ids, keys, chunk, strict=True)
                ],
            )
            totals: dict[tuple[int, int], int] = {}
            for key, e in zip(keys, chunk, strict=True):
                totals[key] = totals.get(key, 0) + e["quantity"]
            upsert = _upsert(conn)
            conn.execute(
                upsert.on_conflict_do_update(
                    index_elements=["tenant_id", "sku_id", "location_id"],
                    set_={"on_hand": balances.c.on_hand + upsert.excluded.on_hand, "updated_at": now},
                ),
                [
                    {"tenant_id": 1, "sku_id": s, "location_id": loc, "on_hand": q, "updated_at": now}
                    for (s, loc), q in sorted(totals.items())
                ],
            )
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def _upsert(conn: sa.Connection) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(balances)


def _event_row(event: dict[str, Any], n: int, now: Any) -> dict[str, Any]:
    return {
        "tenant_id": 1,
        "idempotency_key": f"baseline-{n}",
        "payload_hash": "0" * 64,
        "type": event["type"],
        "source": "bench",
        "reference": None,
        "reason": event.get("reason"),
        "payload": event,
        "occurred_at": None,
        "recorded_at": now,
    }


def bench_ingest(
    url: str | None,
    events_count: int,
    *,
    skus_count: int = 2000,
    batch: int = 1000,
    seed: int = 1,
    duplicate_share: float = 0.02,
) -> IngestResult:
    from stockbridge.bench.scratch import scratch_database

    events = make_events(events_count, skus_count, seed, duplicate_share)
    with scratch_database(url) as hub_url:
        prepare_catalog(HubContext(make_engine(hub_url), SystemClock()), skus_count)
        hub_s, duplicates, quarantined = run_hub(hub_url, events, batch)
        database = make_engine(hub_url).dialect.name
    with scratch_database(url) as base_url:
        prepare_catalog(HubContext(make_engine(base_url), SystemClock()), skus_count)
        base_s = run_baseline(base_url, events, batch)
    hub_rate, base_rate = len(events) / hub_s, len(events) / base_s
    return IngestResult(
        len(events), hub_rate, base_rate, hub_rate / base_rate, duplicates, quarantined, database
    )
