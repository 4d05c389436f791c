"""Seeded shoppers placing storefront orders on the emulators.

`plan_orders` turns a scenario and a seed into the full order schedule up front (Poisson
arrivals over the trading time, a channel, a SKU, a quantity and a shopper each), so the same
seed always gives the same orders. `Shoppers` then places them at their moments through each
emulator's storefront endpoint (`POST /_emulator/storefront/orders`), where the channel accepts
the order from its own stock counter (committing stock, sending its webhooks) or refuses it as
out of stock. Every outcome is recorded: the channels' own order lists are the audit's truth,
and this log is the cross-check.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from stockbridge.simulate.scenarios import PLATFORMS, Scenario, sku_codes

ORDER_PATH = "/_emulator/storefront/orders"


@dataclass(frozen=True)
class PlannedOrder:
    at_s: float
    platform: str
    sku: str
    quantity: int
    shopper: int


@dataclass
class OrderLog:
    accepted: list[tuple[PlannedOrder, str]] = field(default_factory=list)  # with the channel's order id
    rejected: list[tuple[PlannedOrder, str]] = field(default_factory=list)  # with the reason
    rejected_while_available: int = 0  # refused though the hub held sellable stock (see audit)

    def units_sold(self) -> Counter[tuple[str, str]]:
        sold: Counter[tuple[str, str]] = Counter()
        for order, _ in self.accepted:
            sold[(order.platform, order.sku)] += order.quantity
        return sold


def plan_orders(scenario: Scenario, seed: int, platforms: Sequence[str] = PLATFORMS) -> list[PlannedOrder]:
    """The whole order schedule for a seed (independent of any other random stream)."""
    rng = random.Random(f"orders:{scenario.name}:{seed}")
    skus = sku_codes(scenario)
    orders: list[PlannedOrder] = []
    at = 0.0
    shopper_count = max(int(scenario.rate * scenario.duration_s), 1)
    while scenario.rate > 0:
        at += rng.expovariate(scenario.rate)
        if at >= scenario.duration_s:
            break
        hot = scenario.hot_sku_share > 0 and rng.random() < scenario.hot_sku_share
        sku = skus[0] if hot else rng.choice(skus[1:] if scenario.hot_sku_share > 0 else skus)
        orders.append(
            PlannedOrder(
                round(at, 4),
                rng.choice(list(platforms)),
                sku,
                rng.randint(1, scenario.max_quantity),
                rng.randrange(shopper_count),
            )
        )
    return orders


class Shoppers:
    """Places planned orders at their moments (relative to `start`), a bounded number at once."""

    def __init__(
        self,
        urls: dict[str, str],
        session: aiohttp.ClientSession,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        concurrency: int = 32,
    ) -> None:
        self.urls, self.session = urls, session
        self.monotonic = monotonic
        self.log = OrderLog()
        self._gate = asyncio.Semaphore(concurrency)
        self.placed = 0

    async def run(self, orders: Sequence[PlannedOrder], start: float, stop: asyncio.Event) -> OrderLog:
        tasks: list[asyncio.Task[None]] = []
        for order in orders:
            wait = start + order.at_s - self.monotonic()
            if wait > 0:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=wait)
                    break
                except TimeoutError:
                    pass
            await self._gate.acquire()
            tasks.append(asyncio.create_task(self._place(order)))
        await asyncio.gather(*tasks)
        return self.log

    async def _place(self, order: PlannedOrder) -> None:
        try:
            body = {
                "lines": [{"sku": order.sku, "quantity": order.quantity}],
                "email": f"s{order.shopper}@sim.test",
            }
            url = self.urls[order.platform] + ORDER_PATH
            for _ in range(3):  # the storefront path has no faults; this only guards a busy machine
                try:
                    async with self.session.post(
                        url, json=body, timeout=aiohttp.ClientTimeout(total=30)
                    ) as answer:
                        data = await answer.json(content_type=None)
                        self._record(order, answer.status, data)
                        return
                except (aiohttp.ClientError, TimeoutError):
                    await asyncio.sleep(0.2)
            self.log.rejected.append((order, "unreachable"))
        finally:
            self.placed += 1
            self._gate.release()

    def _record(self, order: PlannedOrder, status: int, data: object) -> None:
        if status == 201 and isinstance(data, dict):
            self.log.accepted.append((order, str(data.get("id"))))
            return
        reason = (
            str(data.get("error") or data.get("code") or status) if isinstance(data, dict) else str(status)
        )
        self.log.rejected.append((order, reason))
