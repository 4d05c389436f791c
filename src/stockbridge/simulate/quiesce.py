"""Reading the world at a moment, and waiting (bounded) until it is at rest.

`read_world` gathers what the audit needs: each emulator's state and webhook log (its truth) and
the hub's balances, available-to-sell and ledger check (through the API). `wait_converged`
polls until, twice in a row: no listing is dirty (the sync worker's gauge), no inbox row is
pending (the inbound worker's gauge), no dropped file waits in the drop folder, every unit the
channels sold is known to the hub, and every channel shows what the hub wants. It gives up at
the timeout and says so; the audit then reports the drift it finds. `read_file_drop` reads what
the file watcher reported per file (its `--json` lines) and the quarantine (through the API).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from stockbridge.simulate.audit import ChannelTruth, drifts, shopify_truth, woocommerce_truth
from stockbridge.simulate.metrics import dirty_listings, inbox_rows, scrape

if TYPE_CHECKING:
    from stockbridge.simulate.runner import Live

STEP_S = 0.5


@dataclass(frozen=True)
class Snapshot:
    channels: list[ChannelTruth]
    balances: list[dict[str, Any]]
    atp: list[dict[str, Any]]
    ledger_consistent: bool


async def _get(session: aiohttp.ClientSession, url: str) -> Any:
    async with session.get(url) as answer:
        answer.raise_for_status()
        return await answer.json()


async def read_world(live: Live) -> Snapshot:
    assert live.world is not None
    session, api = live.session, live.hub.api_url + "/api/v1"
    channels = []
    for store in live.world.stores:
        state = await _get(session, store.base_url + "/_emulator/state")
        log = (await _get(session, store.base_url + "/_emulator/webhooks"))["deliveries"]
        if store.platform == "shopify":
            channels.append(shopify_truth(store.channel, state, live.world.push_location, log))
        else:
            channels.append(woocommerce_truth(store.channel, state, log))
    balances = await _get(session, api + "/balances?limit=10000")
    atp = await _get(session, api + "/available-to-sell")
    verified = await _get(session, api + "/verify")
    return Snapshot(channels, list(balances), list(atp), bool(verified.get("consistent")))


async def read_file_drop(live: Live, watcher_log: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The file watcher's report of every file it filed away (in order), and every quarantine item."""
    text = await asyncio.to_thread(watcher_log.read_text, errors="replace")
    watched = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    quarantined = await _get(live.session, live.hub.api_url + "/api/v1/quarantine?status=all&limit=1000")
    return watched, list(quarantined)


async def platform_requests(live: Live) -> dict[str, int]:
    """Requests each emulator received on its platform API (the hub's pushes, reads and polls)."""
    assert live.world is not None
    counts = {}
    for store in live.world.stores:
        counters = await _get(live.session, store.base_url + "/_emulator/counters")
        counts[store.platform] = int(counters.get("requests_total", 0))
    return counts


async def _drain(live: Live) -> None:
    assert live.world is not None
    for store in live.world.stores:
        async with live.session.post(store.base_url + "/_emulator/webhooks/drain") as answer:
            await answer.read()


async def at_rest(live: Live) -> tuple[bool, dict[str, Any]]:
    """One look: is everything settled? Also says what is not."""
    await _drain(live)
    try:
        dirty = dirty_listings(await asyncio.to_thread(scrape, live.hub.metrics_url))
    except OSError:
        return False, {"worker": "unreachable"}
    try:
        pending = inbox_rows(await asyncio.to_thread(scrape, live.hub.inbound_metrics_url)).get("pending", 0)
    except OSError:
        return False, {"inbound": "unreachable"}
    try:
        snapshot = await read_world(live)
    except (aiohttp.ClientError, TimeoutError):
        return False, {"api": "unreachable"}
    files_pending = live.erp.pending() if live.erp is not None else 0
    unknown = _unknown_sales(live, snapshot)
    drifted = drifts(snapshot.channels, snapshot.atp)
    drift = sum(int(d["units"]) for d in drifted)
    status: dict[str, Any] = {
        "dirty": dirty,
        "inbox_pending": pending,
        "files_pending": files_pending,
        "unknown_sales": unknown,
        "drift_units": drift,
    }
    if drifted:
        status["first_drift"] = drifted[0]
    settled = dirty == 0 and pending == 0 and files_pending == 0 and unknown == 0 and drift == 0
    return settled, status


def _unknown_sales(live: Live, snapshot: Snapshot) -> int:
    assert live.driver is not None
    committed: dict[str, int] = {}
    for row in snapshot.balances:
        committed[str(row["sku"])] = committed.get(str(row["sku"]), 0) + int(row["committed"])
    missing = 0
    for sku in {s for c in snapshot.channels for s in c.sold}:
        sold = sum(c.sold[sku] for c in snapshot.channels)
        missing += max(sold - committed.get(sku, 0) - live.driver.book.shipped[sku], 0)
    return missing


async def wait_converged(live: Live, *, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    settled_once = False
    while time.monotonic() < deadline:
        settled, status = await at_rest(live)
        live.say("waiting for rest", **status)
        if settled and settled_once:
            return True
        settled_once = settled
        await asyncio.sleep(STEP_S)
    return False
