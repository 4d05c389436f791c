"""The warehouses: receipts, shipping, returns, transfers and cycle counts sent to the hub's REST API.

`plan_warehouse` makes the seeded job schedule; `WarehouseDriver` runs it against
`/api/v1/events` and keeps its own book of every unit it moved (`Physical`): what arrived, what
left, what came back and in which state, what is in transit, and what is on the shelves of each
warehouse. That book, not the hub's tables, is the audit's truth for the warehouse side. Every
event carries an idempotency key fixed before the first attempt, so the driver can retry through
a killed API without applying anything twice; a refused event (409/422) changes nothing in the book.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from stockbridge.simulate.scenarios import Scenario

JobKind = str  # ship, receipt, return, transfer, count
RETRY_FOR_S = 90.0


@dataclass(frozen=True)
class Job:
    at_s: float
    kind: JobKind


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
    return sorted(jobs, key=lambda j: (j.at_s, j.kind))


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
    ) -> None:
        self.api, self.session = api_url.rstrip("/") + "/api/v1", session
        self.skus, self.warehouses = list(skus), list(warehouses)
        self.rng, self.damaged_share = rng, damaged_share
        self.monotonic, self.sleep = monotonic, sleep
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
            return True
        return False

    async def run(self, jobs: Sequence[Job], start: float, transit_s: float, stop: asyncio.Event) -> None:
        handlers = {"ship": self.ship, "receipt": self.receipt, "return": self.take_return}
        handlers |= {"count": self.count}
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
            else:
                await handlers[job.kind]()

    async def ship(self) -> None:
        """Pick and ship everything the hub says is committed (orders the hub knows of)."""
        rows = await self.get("/balances", {"limit": "10000"})
        for row in rows or []:
            quantity = int(row["committed"])
            if quantity <= 0:
                continue
            sku, location = str(row["sku"]), str(row["location"])
            event = {"type": "fulfil", "sku": sku, "location": location, "quantity": quantity}
            if await self.post(event, self._key("fulfil")):
                self.book.shipped[sku] += quantity
                self.book.shelf[(sku, location)] -= quantity

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
        """Apply one event; True when the hub applied it (or already had it under this key)."""
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
