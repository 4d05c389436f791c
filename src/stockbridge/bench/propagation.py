"""Propagation: a burst of stock changes reaching every channel, against the emulators over loopback.

Set-up: a scratch SQLite hub with `skus` SKUs at one warehouse, one listing per SKU per channel,
the Shopify emulator (its real cost bucket: 2000 points, 100/s) and the WooCommerce emulator,
connections bound by discovery, every channel converged first (not measured).

Measured phase: `changes` stock changes (sales and receipts of random SKUs) ingested as fast as
the hub takes them, `ingest_batch` events per transaction (default: the inbox's
`ROWS_PER_TRANSACTION`, how the hub applies a burst of webhook deliveries; 1: each change in a
transaction of its own, which in this one process spreads the burst over several seconds), while the production sync worker runs with its default cadence,
`coalesce_s` and adaptive window up to `latency_target_s` (as `stockbridge sync worker` runs;
None: the window stays at `coalesce_s`). Latency per listing is from the hub accepting the first unpushed change
(`dirty_at`) to the channel acknowledging the level. `api_calls` counts level writes; the lower
bound is the sum over channels of ceil(distinct listings changed / the platform's batch size).

Naive phase, same run: another `changes` changes, each pushed on its own the moment it is
accepted (no coalescing, one level per call): the calls a timer-less, per-event integration makes.
Last, reconciliation reads every channel back: `final_drift_units` is what still differs.
"""

from __future__ import annotations

import asyncio
import math
import random
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry

from stockbridge.connectors.base import Connector
from stockbridge.domain.clock import FrozenClock, SystemClock
from stockbridge.sandbox.server import ThreadedEmulatorServer
from stockbridge.services.catalog_places import (
    ChannelSpec,
    LocationSpec,
    define_channel,
    define_location,
)
from stockbridge.services.connections import (
    ConnectionSpec,
    ConnectionView,
    list_connections,
    load_connection_config,
    register_connection,
)
from stockbridge.services.context import HubContext
from stockbridge.services.ingest import ingest_events
from stockbridge.store.engine import make_engine, sqlite_url, upgrade
from stockbridge.store.schema import listings, skus
from stockbridge.sync.connectors import installed_connector
from stockbridge.sync.discovery import discover
from stockbridge.sync.inbox import ROWS_PER_TRANSACTION
from stockbridge.sync.metrics import SyncMetrics
from stockbridge.sync.pusher import Pusher
from stockbridge.sync.reconcile import reconcile
from stockbridge.sync.worker import SyncWorker, WorkerConfig

PLATFORMS = ("shopify", "woocommerce")
SHOP_LOCATION = "Shop location"


class RecordingMetrics(SyncMetrics):
    """The production metrics, plus every latency sample and level-write count kept raw."""

    def __init__(self) -> None:
        super().__init__(CollectorRegistry())
        self.latencies_s: list[float] = []
        self.writes = 0

    def observe_latency(self, channel: str, accepted_at: datetime | None, acked_at: datetime) -> None:
        super().observe_latency(channel, accepted_at, acked_at)
        if accepted_at is not None:
            self.latencies_s.append(max((acked_at - accepted_at).total_seconds(), 0.0))

    def api_call(self, channel: str, operation: str, outcome: str) -> None:
        super().api_call(channel, operation, outcome)
        if operation == "set_levels":
            self.writes += 1

    def reset(self) -> None:
        self.latencies_s, self.writes = [], 0


@dataclass
class PropagationResult:
    channels: list[str]
    skus: int
    changes: int
    ingest_batch: int = ROWS_PER_TRANSACTION
    coalesce_s: float = 0.3
    latency_target_s: float | None = 1.0
    api_calls: int = 0
    api_calls_lower_bound: int = 0
    naive_api_calls: int = 0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    final_drift_units: int = 0
    distinct_listings_changed: dict[str, int] = field(default_factory=dict)
    ingest_s: float = 0.0
    converge_s: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 1) if isinstance(v, float) else v for k, v in self.__dict__.items()}


async def bench_propagation(
    channels: list[str],
    skus_count: int,
    changes: int,
    *,
    seed: int = 1,
    ingest_batch: int = ROWS_PER_TRANSACTION,
    coalesce_s: float = 0.3,
    latency_target_s: float | None = 1.0,
) -> PropagationResult:
    unknown = set(channels) - set(PLATFORMS)
    if unknown:
        raise ValueError(f"unknown channels: {', '.join(sorted(unknown))} (known: {', '.join(PLATFORMS)})")
    result = PropagationResult(channels, skus_count, changes, ingest_batch, coalesce_s, latency_target_s)
    with (
        tempfile.TemporaryDirectory(prefix="stockbridge-propagation-") as folder,
        _emulators(channels, skus_count) as urls,
    ):
        url = sqlite_url(Path(folder) / "hub.db")
        upgrade(url)
        ctx = HubContext(make_engine(url), SystemClock())
        rng = random.Random(seed)
        metrics = RecordingMetrics()
        pusher = Pusher(ctx, metrics=metrics)
        connectors = await _set_up(ctx, urls, skus_count, rng)
        try:
            await _converge(pusher, connectors)
            metrics.reset()
            await _burst(ctx, pusher, result, changes, rng)
            result.api_calls = metrics.writes
            result.p50_ms, result.p99_ms, result.max_ms = _quantiles_ms(metrics.latencies_s)
            result.api_calls_lower_bound = sum(
                math.ceil(result.distinct_listings_changed[view.code] / connector.capabilities.max_batch)
                for view, connector in connectors
            )
            metrics.reset()
            await _naive(ctx, pusher, connectors, changes, rng)
            result.naive_api_calls = metrics.writes
            result.final_drift_units = await _drift(pusher, connectors)
        finally:
            for _, connector in connectors:
                await connector.aclose()
            ctx.engine.dispose()
    return result


@contextmanager
def _emulators(channels: list[str], skus_count: int) -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        urls: dict[str, str] = {}
        for platform in channels:
            server = ThreadedEmulatorServer(_emulator(platform, skus_count))
            server.start()
            stack.callback(server.stop)
            urls[platform] = server.base_url
        yield urls


def _emulator(platform: str, skus_count: int) -> Any:
    clock = FrozenClock(SystemClock().now())  # WooCommerce's OAuth window needs a real date
    codes = [_code(i) for i in range(skus_count)]
    if platform == "shopify":
        from stockbridge.sandbox.shopify import ShopifyEmulator
        from stockbridge.sandbox.shopify.storefront import seed as seed_shopify

        shop = ShopifyEmulator(clock=SystemClock())
        products = [{"title": c, "variants": [{"sku": c, "available": {SHOP_LOCATION: 0}}]} for c in codes]
        seed_shopify(shop.store, {"locations": [SHOP_LOCATION], "products": products})
        return shop
    from stockbridge.sandbox.woocommerce import WooCommerceEmulator
    from stockbridge.sandbox.woocommerce.storefront import seed as seed_woo

    site = WooCommerceEmulator(clock=clock)
    seed_woo(site.store, {"products": [{"name": c, "sku": c, "stock_quantity": 0} for c in codes]})
    return site


def _code(i: int) -> str:
    return f"SKU-{i:05d}"


async def _set_up(
    ctx: HubContext, urls: dict[str, str], skus_count: int, rng: random.Random
) -> list[tuple[ConnectionView, Connector]]:
    define_location(ctx, LocationSpec("WH1", "Main", external_codes={"shopify": SHOP_LOCATION}))
    now = ctx.clock.now()
    with ctx.engine.begin() as conn:  # a large catalog in one statement; define_sku is for people
        conn.execute(
            sa.insert(skus), [{"code": _code(i), "title": "", "created_at": now} for i in range(skus_count)]
        )
    for platform, base_url in urls.items():
        define_channel(ctx, ChannelSpec(platform, platform, platform, locations=("WH1",)))
        with ctx.engine.begin() as conn:
            channel_id = conn.execute(
                sa.text("SELECT id FROM channels WHERE code = :c"), {"c": platform}
            ).scalar_one()
            sku_ids = conn.execute(sa.select(skus.c.id)).scalars().all()
            conn.execute(
                sa.insert(listings),
                [{"channel_id": channel_id, "sku_id": s, "created_at": now, "dirty": True} for s in sku_ids],
            )
        register_connection(ctx, _connection(platform, base_url))
    counts = [
        {"type": "count", "sku": _code(i), "location": "WH1", "quantity": rng.randint(20, 200)}
        for i in range(skus_count)
    ]
    ingest_events(ctx, counts, source="bench")
    connectors = []
    for view in list_connections(ctx, enabled_only=True):
        connector = installed_connector(load_connection_config(ctx, view.code))
        await discover(ctx, view.code, connector)
        connectors.append((view, connector))
    return connectors


def _connection(platform: str, base_url: str) -> ConnectionSpec:
    if platform == "shopify":
        from stockbridge.sandbox.shopify import DEFAULT_SECRET, DEFAULT_TOKEN

        secrets = {"access_token": DEFAULT_TOKEN, "api_secret": DEFAULT_SECRET}
        settings = {"shop_domain": "stockbridge-sandbox.myshopify.com"}
        return ConnectionSpec("shopify", "shopify", "shopify", base_url, settings, secrets)
    from stockbridge.sandbox.woocommerce import DEFAULT_KEY, DEFAULT_SECRET

    secrets = {"consumer_key": DEFAULT_KEY, "consumer_secret": DEFAULT_SECRET, "webhook_secret": "bench"}
    woo_settings: dict[str, Any] = {"requests_per_second": 25.0, "burst": 25}  # a modest shared host
    return ConnectionSpec("woocommerce", "woocommerce", "woocommerce", base_url, woo_settings, secrets)


async def _converge(pusher: Pusher, connectors: list[tuple[ConnectionView, Connector]]) -> None:
    for _ in range(1000):
        reports = [await pusher.push_round(view, connector) for view, connector in connectors]
        if all(r.claimed == 0 for r in reports):
            return
    raise RuntimeError("the channels did not converge before the measurement")


async def _burst(
    ctx: HubContext,
    pusher: Pusher,
    result: PropagationResult,
    changes: int,
    rng: random.Random,
) -> None:
    events = _changes(result.skus, changes, rng, "burst")
    touched = {e["sku"] for e in events}
    result.distinct_listings_changed = {channel: len(touched) for channel in result.channels}
    # the production worker, with its own connectors and default cadence; reconciliation is run last
    config = WorkerConfig(
        reconcile_interval_s=None, coalesce_s=result.coalesce_s, latency_target_s=result.latency_target_s
    )
    worker = SyncWorker(pusher, installed_connector, config=config)
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run(stop))
    started = time.perf_counter()
    await asyncio.to_thread(_ingest, ctx, events, result.ingest_batch)
    result.ingest_s = time.perf_counter() - started
    await _wait_clean(ctx, timeout_s=120)
    stop.set()
    await running
    result.converge_s = time.perf_counter() - started


async def _naive(
    ctx: HubContext,
    pusher: Pusher,
    connectors: list[tuple[ConnectionView, Connector]],
    changes: int,
    rng: random.Random,
) -> None:
    for event in _changes(_sku_count(ctx), changes, rng, "naive"):
        ingest_events(ctx, [event], source="bench")
        for view, connector in connectors:
            await pusher.push_round(view, connector)


async def _drift(pusher: Pusher, connectors: list[tuple[ConnectionView, Connector]]) -> int:
    total = 0
    for view, connector in connectors:
        report = await reconcile(pusher, view, connector, policy="report")
        total += report.drift_units
    return total


def _changes(skus_count: int, n: int, rng: random.Random, tag: str) -> list[dict[str, Any]]:
    events = []
    for i in range(n):
        kind = "sale" if rng.random() < 0.7 else "receipt"
        quantity = rng.randint(1, 2) if kind == "sale" else rng.randint(5, 20)
        sku = _code(rng.randrange(skus_count))
        events.append(
            {
                "type": kind,
                "sku": sku,
                "location": "WH1",
                "quantity": quantity,
                "idempotency_key": f"{tag}-{i}",
            }
        )
    return events


def _ingest(ctx: HubContext, events: list[dict[str, Any]], batch: int) -> None:
    for start in range(0, len(events), batch):
        ingest_events(ctx, events[start : start + batch], source="bench")


async def _wait_clean(ctx: HubContext, *, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with ctx.read() as conn:
            dirty = conn.scalar(sa.select(sa.func.count()).where(listings.c.dirty.is_(True)))
        if not dirty:
            return
        await asyncio.sleep(0.05)
    raise RuntimeError(f"listings still dirty after {timeout_s} s")


def _sku_count(ctx: HubContext) -> int:
    with ctx.read() as conn:
        return int(conn.scalar(sa.select(sa.func.count()).select_from(skus)) or 0)


def _quantiles_ms(samples: list[float]) -> tuple[float, float, float]:
    if not samples:
        return 0.0, 0.0, 0.0
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, math.ceil(0.99 * len(ordered)) - 1)]
    return statistics.median(ordered) * 1000, p99 * 1000, ordered[-1] * 1000
