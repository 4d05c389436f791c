"""One simulated trading run, end to end: set up, trade, quiesce, audit.

    setup     emulators (subprocesses), hub database and catalog, connections, discovery,
              the hub's API, sync worker and inbound worker (subprocesses running `stockbridge
              serve`, `sync worker`, `inbound run`; with a file-drop warehouse also `files
              watch` on its drop folder), webhook subscriptions, opening stock received and
              pushed (the run waits until the stores show it)
    trade     shoppers, warehouses and the fault schedule, all on one seeded timeline
    quiesce   faults off, transfers landed, the ERP's closing snapshot dropped, webhooks
              drained; then wait (bounded) until nothing is dirty or pending, every channel sale
              is known to the hub and the channels show what the hub wants
    audit     `simulate.audit` on what the emulators and the warehouse book recorded (and, with
              a file drop, what the watcher reported and the quarantine holds)

Every process started is stopped in a `finally`, also when the run fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from stockbridge.services.bootstrap import bootstrap
from stockbridge.settings import Settings
from stockbridge.simulate import quiesce
from stockbridge.simulate.audit import AuditResult, audit, file_drop_findings
from stockbridge.simulate.erp import ErpDrop
from stockbridge.simulate.faults import FaultApplier, final_resets, plan_faults
from stockbridge.simulate.metrics import WorkerSamples, inbox_rows, scrape
from stockbridge.simulate.population import OrderLog, Shoppers, plan_orders
from stockbridge.simulate.processes import EmulatorSet, HubProcesses
from stockbridge.simulate.report import RunReport, build_report
from stockbridge.simulate.scenarios import WAREHOUSES, Scenario, sku_codes, starting_stock
from stockbridge.simulate.warehouse import WarehouseDriver, plan_warehouse
from stockbridge.simulate.world import World, bind_stores, define_hub, seed_stores, subscribe_webhooks
from stockbridge.sync.reconcile import DEFAULT_UNDER_GRACE_S

Progress = Callable[[str, dict[str, Any]], None]
# Alembic's upgrade is not thread-safe; runs in threads of one process (tests) take turns here.
_MIGRATE = threading.Lock()
QUIESCE_TIMEOUT_S = 90.0
WORKER_INTERVAL_S = 0.05


@dataclass
class RunOptions:
    scenario: Scenario
    seed: int
    folder: Path | None = None  # a temporary folder when None
    quiesce_timeout_s: float = QUIESCE_TIMEOUT_S
    progress: Progress | None = None
    on_ready: Callable[[HubProcesses, dict[str, str]], None] | None = None  # hub, store URLs
    after_report: Callable[[RunReport], Awaitable[None]] | None = None  # before teardown


@dataclass
class Live:
    """What a running simulation holds; `report.RunReport` is built from it."""

    options: RunOptions
    folder: Path
    hub: HubProcesses
    emulators: EmulatorSet
    session: aiohttp.ClientSession
    world: World | None = None
    driver: WarehouseDriver | None = None
    shoppers: Shoppers | None = None
    samples: WorkerSamples = field(default_factory=WorkerSamples)
    memory: list[dict[str, Any]] = field(default_factory=list)
    faults: FaultApplier | None = None
    trade_s: float = 0.0
    quiesce_s: float = 0.0
    quiesced: bool = False
    requests_at_start: dict[str, int] = field(default_factory=dict)
    requests_at_end: dict[str, int] = field(default_factory=dict)
    inbox: dict[str, int] = field(default_factory=dict)
    erp: ErpDrop | None = None
    file_drop: dict[str, Any] | None = None
    files_gap_units: int = 0

    def say(self, stage: str, **data: Any) -> None:
        if self.options.progress is not None:
            self.options.progress(stage, data)


def run(options: RunOptions) -> RunReport:
    """Run one scenario with one seed and return the audited report (synchronous entry point)."""
    if options.folder is not None:
        options.folder.mkdir(parents=True, exist_ok=True)
        return asyncio.run(_run_in(options, options.folder))
    with tempfile.TemporaryDirectory(prefix="stockbridge-sim-") as tmp:
        return asyncio.run(_run_in(options, Path(tmp)))


async def _run_in(options: RunOptions, folder: Path) -> RunReport:
    started = time.monotonic()
    database_url = f"sqlite:///{folder / 'hub.db'}"
    scenario = options.scenario
    hub = HubProcesses(
        database_url, folder, worker_args(scenario), inbound_args(scenario), files_args(scenario, folder)
    )
    emulators = EmulatorSet(folder)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        live = Live(options, folder, hub, emulators, session)
        try:
            await _setup(live, database_url)
            await _trade(live)
            await _quiesce(live)
            report = build_report(live, await _audit(live), time.monotonic() - started)
            if options.after_report is not None:
                await options.after_report(report)
        finally:
            await asyncio.gather(asyncio.to_thread(hub.close), asyncio.to_thread(emulators.close))
            live.say("stopped")
    return report


def worker_args(scenario: Scenario) -> list[str]:
    """`stockbridge sync worker` as the simulator runs it: short ticks, healing reconciliation on
    the scenario's schedule, the reconciler's default grace, no coalescing (push at once)."""
    interval, reconcile, grace = WORKER_INTERVAL_S, scenario.reconcile_every_s, DEFAULT_UNDER_GRACE_S
    return [
        f"--interval={interval}",
        f"--reconcile-every={reconcile}",
        "--heal",
        f"--grace={grace}",
        "--coalesce=0",
    ]


def inbound_args(scenario: Scenario) -> list[str]:
    """`stockbridge inbound run` as the simulator runs it: the inbox on the worker's beat, orders
    polled on the scenario's schedule."""
    return [f"--process-every-s={WORKER_INTERVAL_S}", f"--poll-every-s={scenario.poll_every_s}"]


def files_args(scenario: Scenario, folder: Path) -> list[str] | None:
    """`stockbridge files watch` on the ERP's drop folder (files are renamed in whole, so they
    are taken at once), or None without a file-drop warehouse."""
    drop = scenario.file_drop
    if drop is None:
        return None
    return [
        f"--connection={drop.connection}",
        f"--folder={drop_folder(folder)}",
        f"--every-s={drop.watch_every_s}",
        "--settle-polls=0",
        "--json",
    ]


def drop_folder(folder: Path) -> Path:
    return folder / "erp-drop"


async def _setup(live: Live, database_url: str) -> None:
    scenario, skus = live.options.scenario, sku_codes(live.options.scenario)
    live.say("starting emulators")
    await asyncio.to_thread(live.emulators.start, ["shopify", "woocommerce"])
    push_location = await seed_stores(live.session, live.emulators.urls, skus)
    with _MIGRATE:
        ctx = bootstrap(Settings(database_url=database_url))
    try:
        live.world = define_hub(ctx, scenario, skus, live.emulators.urls, push_location)
        await bind_stores(ctx, live.world)
    finally:
        ctx.engine.dispose()
    live.say("starting the hub")
    await asyncio.to_thread(live.hub.start)
    await subscribe_webhooks(live.session, live.world, live.hub.api_url)
    rng = random.Random(f"warehouse-choices:{scenario.name}:{live.options.seed}")
    if scenario.file_drop is not None:
        drop = scenario.file_drop
        erp_rng = random.Random(f"erp-choices:{scenario.name}:{live.options.seed}")
        live.erp = ErpDrop(
            drop_folder(live.folder), drop.connection, drop.warehouse, drop.location_code, erp_rng
        )
    live.driver = WarehouseDriver(
        live.hub.api_url,
        live.session,
        skus,
        WAREHOUSES,
        rng,
        damaged_share=scenario.warehouse.damaged_share,
        monotonic=time.monotonic,
        erp=live.erp,
    )
    opening = {
        (sku, location): starting_stock(scenario, index)
        for index, sku in enumerate(skus)
        for location in WAREHOUSES
    }
    await live.driver.open_stock(opening)
    live.say("opening stock received; waiting for the stores to show it")
    await quiesce.wait_converged(live, timeout_s=live.options.quiesce_timeout_s)
    if live.options.on_ready is not None:
        live.options.on_ready(live.hub, dict(live.emulators.urls))


async def _trade(live: Live) -> None:
    scenario, seed = live.options.scenario, live.options.seed
    assert live.world is not None and live.driver is not None
    urls = {s.platform: s.base_url for s in live.world.stores}
    live.shoppers = Shoppers(urls, live.session)
    live.faults = FaultApplier(
        urls, live.session, lambda role: _kill(live, role), live.driver.set_online, time.monotonic
    )
    orders, jobs, actions = (
        plan_orders(scenario, seed),
        plan_warehouse(scenario, seed),
        plan_faults(scenario, seed),
    )
    live.say("trading", orders=len(orders), jobs=len(jobs), faults=len(actions))
    await _scrape_into(live, sign=-1)  # what setup pushed is not part of the run's numbers
    live.requests_at_start = await quiesce.platform_requests(live)
    stop, start = asyncio.Event(), time.monotonic()
    sampler = asyncio.create_task(_sample(live, start, stop))
    await asyncio.gather(
        live.shoppers.run(orders, start, stop),
        live.driver.run(jobs, start, scenario.warehouse.transfer_transit_s, stop),
        live.faults.run(actions, start, stop),
    )
    live.trade_s = time.monotonic() - start
    for action in final_resets(actions):
        await live.faults.apply(action)
    await live.driver.arrivals(all_now=True)
    live.files_gap_units = await live.driver.file_warehouse_gap()
    await live.driver.closing_snapshot()
    if live.erp is not None:
        live.faults.injected.update(live.erp.injected)
    stop.set()
    await sampler


async def _kill(live: Live, role: str) -> None:
    """Crash hub processes with SIGKILL and start them again: "api", or "worker", which kills the
    sync worker and the inbound worker together (metrics scraped first) — a crash of the host both
    workers share, and every kill exercises both restart paths (the outbox claims left behind by
    the pusher, the inbox rows and poll checkpoints left behind by the inbound worker), so a
    schedule of kills is the same for every seed in what it hits, only its moments differ."""
    hub = live.hub
    if role == "worker":
        await _scrape_into(live)
        hub.kill_workers()
        await asyncio.to_thread(hub.start_workers)
    else:
        assert hub.api is not None
        hub.api.kill()
        await asyncio.to_thread(hub.start_api)
    live.say("killed and restarted", role=role)


async def _scrape_into(live: Live, sign: int = 1) -> None:
    with contextlib.suppress(OSError):  # a worker that is not up has nothing to give
        live.samples.add(await asyncio.to_thread(scrape, live.hub.metrics_url), sign)


async def _sample(live: Live, start: float, stop: asyncio.Event) -> None:
    """Once a second: the hub processes' memory, and progress for a live display."""
    while not stop.is_set():
        entry: dict[str, Any] = {"t_s": round(time.monotonic() - start, 1)}
        for child in live.hub.children():
            entry[f"{child.name}_rss_kib"] = child.rss_kib()
        live.memory.append(entry)
        placed = live.shoppers.placed if live.shoppers else 0
        accepted = len(live.shoppers.log.accepted) if live.shoppers else 0
        live.say("tick", t_s=entry["t_s"], placed=placed, accepted=accepted)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=1.0)


async def _quiesce(live: Live) -> None:
    live.say("quiescing")
    started = time.monotonic()
    live.quiesced = await quiesce.wait_converged(live, timeout_s=live.options.quiesce_timeout_s)
    live.quiesce_s = time.monotonic() - started


async def _audit(live: Live) -> AuditResult:
    assert live.world is not None and live.driver is not None
    live.say("auditing")
    await _scrape_into(live)
    snapshot = await quiesce.read_world(live)
    live.requests_at_end = await quiesce.platform_requests(live)
    live.inbox = inbox_rows(await asyncio.to_thread(scrape, live.hub.inbound_metrics_url))
    if live.erp is not None and live.hub.files is not None:
        watched, quarantined = await quiesce.read_file_drop(live, live.hub.files.log_path)
        live.file_drop = file_drop_findings(live.erp, watched, quarantined, live.files_gap_units)
    orders = live.shoppers.log if live.shoppers else OrderLog()
    return audit(
        live.world.skus,
        snapshot.channels,
        live.driver.book,
        snapshot.balances,
        snapshot.atp,
        snapshot.ledger_consistent,
        orders,
    )
