"""The warehouses: receipts, shipping, returns, transfers and cycle counts sent to the hub.

`plan_warehouse` makes the seeded job schedule; `WarehouseDriver` runs it against
`/api/v1/events` and keeps its own book of every unit it moved (`Physical`): what arrived, what
left, what came back and in which state, what is in transit, and what is on the shelves of each
warehouse. That book, not the hub's tables, is the audit's truth for the warehouse side. Every
event carries an idempotency key fixed before the first attempt, so the driver can retry through
a killed API without applying anything twice; a refused event (409/422) changes nothing in the book.

A warehouse run by an ERP without an API (`Scenario.file_drop`) gets the same jobs, but its events
go into files (`erp.ErpDrop`): movements as CSV, counts as snapshots, the opening and closing stock
as snapshots of the whole shelf, plus the ERP's own multi-line deliveries (one with a malformed
line) and a delivery file sent twice. The book records what the ERP physically did, so units it
received count as supply whether or not the hub could read the line that reported them.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from stockbridge.simulate.erp import ErpDrop
from stockbridge.simulate.scenarios import Scenario

JobKind = str  # ship, receipt, return, transfer, count; with a file drop also delivery, resend
RETRY_FOR_S = 90.0


@dataclass(frozen=True)
class Job:
    at_s: float
    kind: JobKind
    ref: int = 0  # delivery: 1 when one of its lines is malformed


@dataclass
class Physical:
    """The warehouses' own book, per SKU (and shelf per SKU and warehouse)."""

    received: Counter[str] = field(default_factory=Counter)
    shipped: Counter[str] = field(default_factory=Counter)
    returned_restock: Counter[str] = field(default_factory=Counter)
    returned_damaged: Counter[str] = field(default_factory=Counter)
    in_transit: Counter[str] = field(default_factory=Counter)
    transfers: int = 0
    counts: int = 0
    shelf: Counter[tuple[str, str]] = field(default_factory=Counter)  # on hand (damaged included)
    damaged_shelf: Counter[tuple[str, str]] = field(default_factory=Counter)
    refused: Counter[str] = field(default_factory=Counter)  # events the hub refused, by type
    via_files: Counter[str] = field(default_factory=Counter)  # units the file-drop warehouse took in
    unreported: Counter[str] = field(default_factory=Counter)  # its units in malformed lines, uncounted since


def plan_warehouse(scenario: Scenario, seed: int) -> list[Job]:
    """Seeded job moments over the trading time (shipping on a fixed beat, the rest Poisson)."""
    rng = random.Random(f"warehouse:{scenario.name}:{seed}")
    work, end = scenario.warehouse, scenario.duration_s
    jobs: list[Job] = []
    if work.ship_every_s > 0:
        jobs += [
            Job(round(t * work.ship_every_s, 4), "ship") for t in range(1, int(end / work.ship_every_s) + 1)
        ]
    for kind, rate in (
        ("receipt", work.receipts_per_s),
        ("return", work.returns_per_s),
        ("transfer", work.transfers_per_s),
        ("count", work.counts_per_s),
    ):
        at = 0.0
        while rate > 0:
            at += rng.expovariate(rate)
            if at >= end:
                break
            jobs.append(Job(round(at, 4), kind))
    if scenario.file_drop is not None:
        jobs += _erp_jobs(scenario, seed)
    return sorted(jobs, key=lambda j: (j.at_s, j.kind))


def _erp_jobs(scenario: Scenario, seed: int) -> list[Job]:
    """The ERP's deliveries (at least two, inside the first 80% of trading), which of them carry a
    malformed line, and which are sent twice (right after the original)."""
    drop, end = scenario.file_drop, scenario.duration_s
    assert drop is not None
    rng = random.Random(f"file-drop:{scenario.name}:{seed}")
    count = max(2, round(drop.deliveries_per_s * end))
    moments = sorted(round(rng.uniform(0.05, 0.8) * end, 4) for _ in range(count))
    bad = set(rng.sample(range(count), min(drop.malformed_rows, count)))
    jobs = [Job(at, "delivery", int(i in bad)) for i, at in enumerate(moments)]
    again = rng.sample(range(count), min(drop.duplicate_files, count))
    return jobs + [Job(round(moments[i] + 0.001, 4), "resend") for i in again]


class WarehouseDriver:
    """Runs warehouse jobs against the hub API and books every unit it moves."""

    def __init__(
        self,
        api_url: str,
        session: aiohttp.ClientSession,
        skus: Sequence[str],
        warehouses: Sequence[str],
        rng: random.Random,
        *,
        damaged_share: float = 0.3,
        monotonic: Callable[[], float],
        sleep: Callable[[float], Any] = asyncio.sleep,
        erp: ErpDrop | None = None,
    ) -> None:
        self.api, self.session = api_url.rstrip("/") + "/api/v1", session
        self.skus, self.warehouses = list(skus), list(warehouses)
        self.rng, self.damaged_share = rng, damaged_share
        self.monotonic, self.sleep = monotonic, sleep
        self.erp = erp
        self.book = Physical()
        self._pending_in: list[tuple[float, str, str, int, str]] = []  # due, sku, to, qty, key
        self._seq = 0

    def _key(self, kind: str) -> str:
        self._seq += 1
        return f"sim-wh:{kind}:{self._seq}"

    async def receive(self, sku: str, location: str, quantity: int) -> bool:
        event = {"type": "receipt", "sku": sku, "location": location, "quantity": quantity}
        if await self.post(event, self._key("receipt")):
            self.book.received[sku] += quantity
            self.book.shelf[(sku, location)] += quantity
            self.book.via_files[sku] += quantity if self._by_file(location) else 0
            return True
        return False

    async def open_stock(self, quantities: Mapping[tuple[str, str], int]) -> None:
        """Opening stock per (SKU, warehouse): receipts through the API; the ERP's warehouse
        reports its whole shelf in one snapshot (its go-live stock report)."""
        for (sku, location), quantity in quantities.items():
            if not self._by_file(location):
                await self.receive(sku, location, quantity)
        if self.erp is None:
            return
        shelf = [(s, q) for (s, loc), q in quantities.items() if loc == self.erp.warehouse]
        if await self.erp.snapshot(shelf, "opening"):
            for sku, quantity in shelf:
                self._took_in(sku, self.erp.warehouse, quantity)
                self.book.unreported[sku] = 0

    async def closing_snapshot(self) -> None:
        """The ERP's end-of-day stock report: the whole shelf of its warehouse, as its book has it."""
        if self.erp is not None:
            where = self.erp.warehouse
            if await self.erp.snapshot([(s, self.book.shelf[(s, where)]) for s in self.skus], "closing"):
                self.book.counts += 1
                self.book.unreported.clear()

    async def file_warehouse_gap(self) -> int:
        """Units by which the hub's on-hand at the ERP's warehouse differs from what the ERP's files
        told it (its shelf less the units of malformed lines no snapshot has covered since): a file
        applied twice shows here. Read before the closing snapshot, which would heal such a gap."""
        if self.erp is None:
            return 0
        where = self.erp.warehouse
        rows = await self.get("/balances", {"location": where, "limit": "10000"})
        hub = {str(row["sku"]): int(row["on_hand"]) for row in rows or []}
        told = {s: self.book.shelf[(s, where)] - self.book.unreported[s] for s in self.skus}
        return sum(abs(hub.get(s, 0) - told[s]) for s in self.skus)

    def _took_in(self, sku: str, location: str, quantity: int) -> None:
        self.book.received[sku] += quantity
        self.book.shelf[(sku, location)] += quantity
        self.book.via_files[sku] += quantity

    def _by_file(self, location: str) -> bool:
        return self.erp is not None and location == self.erp.warehouse

    async def run(self, jobs: Sequence[Job], start: float, transit_s: float, stop: asyncio.Event) -> None:
        handlers = {"ship": self.ship, "receipt": self.receipt, "return": self.take_return}
        handlers |= {"count": self.count, "resend": self.resend}
        for job in jobs:
            wait = start + job.at_s - self.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    return
                except TimeoutError:
                    pass
            await self.arrivals()
            if job.kind == "transfer":
                await self.transfer(transit_s)
            elif job.kind == "delivery":
                await self.delivery(malformed=bool(job.ref))
            else:
                await handlers[job.kind]()

    async def ship(self) -> None:
        """Pick and ship everything the hub says is committed (orders the hub knows of)."""
        rows = await self.get("/balances", {"limit": "10000"})
        by_file: list[dict[str, Any]] = []
        for row in rows or []:
            quantity = int(row["committed"])
            if quantity <= 0:
                continue
            sku, location = str(row["sku"]), str(row["location"])
            event = {"type": "fulfil", "sku": sku, "location": location, "quantity": quantity}
            if self._by_file(location):
                by_file.append(event)  # the ERP reports a shipping run in one file
            elif await self.post(event, self._key("fulfil")):
                self._shipped(event)
        if by_file and self.erp is not None and await self.erp.movements(by_file, "shipment"):
            for event in by_file:
                self._shipped(event)

    def _shipped(self, event: Mapping[str, Any]) -> None:
        sku, quantity = str(event["sku"]), int(event["quantity"])
        self.book.shipped[sku] += quantity
        self.book.shelf[(sku, str(event["location"]))] -= quantity

    async def delivery(self, *, malformed: bool) -> None:
        """The ERP books a delivery of two to four SKUs into its warehouse; with `malformed`, one
        more line that the hub cannot read (the goods are on the shelf all the same)."""
        if self.erp is None:
            return
        rng, where = self.erp.rng, self.erp.warehouse
        lines: list[dict[str, Any]] = [
            {"type": "receipt", "sku": sku, "location": where, "quantity": rng.randint(3, 12)}
            for sku in rng.sample(self.skus, min(len(self.skus), rng.randint(2, 4)))
        ]
        bad: dict[str, Any] | None = None
        if malformed:
            bad = {"type": "receipt", "sku": rng.choice(self.skus), "location": where, "quantity": 4}
        if await self.erp.movements(lines, "delivery", malformed=bad):
            for event in [*lines, *([bad] if bad else [])]:
                self._took_in(str(event["sku"]), where, int(event["quantity"]))
            if bad is not None:
                self.book.unreported[str(bad["sku"])] += int(bad["quantity"])

    async def resend(self) -> None:
        if self.erp is not None:
            await self.erp.resend()

    async def receipt(self) -> None:
        await self.receive(
            self.rng.choice(self.skus), self.rng.choice(self.warehouses), self.rng.randint(5, 20)
        )

    async def take_return(self) -> None:
        candidates = [s for s in self.skus if self.book.shipped[s] > self._returned(s)]
        if not candidates:
            return
        sku, location = self.rng.choice(candidates), self.rng.choice(self.warehouses)
        damaged = self.rng.random() < self.damaged_share
        disposition = "damaged" if damaged else "restock"
        event = {
            "type": "return",
            "sku": sku,
            "location": location,
            "quantity": 1,
            "disposition": disposition,
        }
        if await self.post(event, self._key("return")):
            (self.book.returned_damaged if damaged else self.book.returned_restock)[sku] += 1
            self.book.shelf[(sku, location)] += 1
            if damaged:
                self.book.damaged_shelf[(sku, location)] += 1

    def _returned(self, sku: str) -> int:
        return self.book.returned_restock[sku] + self.book.returned_damaged[sku]

    async def transfer(self, transit_s: float) -> None:
        """Send a fifth of a shelf's available units to the other warehouse (only from a full shelf)."""
        sku, source = self.rng.choice(self.skus), self.rng.choice(self.warehouses)
        target = self.rng.choice([w for w in self.warehouses if w != source])
        rows = await self.get("/balances", {"sku": sku, "location": source})
        available = int(rows[0]["available"]) if rows else 0
        if available < 5:
            return
        quantity = available // 5
        event = {
            "type": "transfer_out",
            "sku": sku,
            "location": source,
            "to_location": target,
            "quantity": quantity,
        }
        if await self.post(event, self._key("transfer_out")):
            self.book.transfers += 1
            self.book.shelf[(sku, source)] -= quantity
            self.book.in_transit[sku] += quantity
            self._pending_in.append(
                (self.monotonic() + transit_s, sku, target, quantity, self._key("transfer_in"))
            )

    async def arrivals(self, *, all_now: bool = False) -> None:
        due = [p for p in self._pending_in if all_now or p[0] <= self.monotonic()]
        for item in due:
            _, sku, target, quantity, key = item
            event = {"type": "transfer_in", "sku": sku, "location": target, "quantity": quantity}
            if await self.post(event, key):
                self.book.in_transit[sku] -= quantity
                self.book.shelf[(sku, target)] += quantity
            self._pending_in.remove(item)

    async def count(self) -> None:
        """A cycle count: the shelf as the book has it (a correct hub sees no change)."""
        sku, location = self.rng.choice(self.skus), self.rng.choice(self.warehouses)
        event = {
            "type": "count",
            "sku": sku,
            "location": location,
            "quantity": self.book.shelf[(sku, location)],
        }
        if await self.post(event, self._key("count")):
            self.book.counts += 1

    async def set_online(self, location: str, online: bool) -> None:
        await self._send("PATCH", f"/locations/{location}", {"online": online})

    async def post(self, event: dict[str, Any], key: str) -> bool:
        """Apply one event; True when the hub applied it (or already had it under this key). An event
        at the ERP's warehouse becomes a file: True once the hub has taken the file."""
        if self.erp is not None and self._by_file(str(event["location"])):
            if event["type"] == "count":
                sku = str(event["sku"])
                counted = await self.erp.snapshot([(sku, int(event["quantity"]))])
                if counted:
                    self.book.unreported[sku] = 0
                return counted
            return await self.erp.movements([event], str(event["type"]))
        status = await self._send(
            "POST", "/events", {**event, "idempotency_key": key, "source": "sim-warehouse"}
        )
        if status in (200, 201):
            return True
        self.book.refused[str(event["type"])] += 1
        return False

    async def get(self, path: str, params: Mapping[str, str]) -> list[dict[str, Any]] | None:
        deadline = self.monotonic() + RETRY_FOR_S
        while self.monotonic() < deadline:
            try:
                async with self.session.get(self.api + path, params=dict(params)) as answer:
                    if answer.status == 200:
                        data = await answer.json()
                        return list(data) if isinstance(data, list) else None
            except (aiohttp.ClientError, TimeoutError):
                pass
            await self.sleep(0.2)
        return None

    async def _send(self, method: str, path: str, body: dict[str, Any]) -> int:
        """Retry through connection failures and 5xx (a killed or restarting API); bounded."""
        deadline = self.monotonic() + RETRY_FOR_S
        while self.monotonic() < deadline:
            try:
                async with self.session.request(method, self.api + path, json=body) as answer:
                    await answer.read()
                    if answer.status < 500:
                        return answer.status
            except (aiohttp.ClientError, TimeoutError):
                pass
            await self.sleep(0.2)
        return 599
