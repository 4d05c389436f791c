"""The named scenarios, as data: catalog, demand, warehouse work and the faults to inject.

A `Scenario` says what the world looks like (SKUs, starting stock per warehouse, each channel's
share of available stock), how shoppers behave (orders per second, how much of the demand hits
one hot SKU, quantities), what the warehouses do (receipts, shipping, returns, transfers, counts)
and which faults strike when (as fractions of the run, so `--duration` stretches them), and
whether one warehouse is run by an ERP that exchanges files instead of calling the API. The
population, the warehouse driver and the fault schedule turn it into seeded plans; nothing here
runs anything.

Shares: channels hold independent stock counters and take orders before the hub hears of them, so
the sum of the channels' shares of available stock must stay at or under 100% for "never
oversell" to be something the hub can guarantee; scenarios where the warehouse itself takes
available units away (transfers) keep a margin below that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

FaultKind = Literal[
    "channel_down",
    "throttle",
    "webhook_chaos",
    "server_errors",
    "location_offline",
    "kill_worker",
    "kill_api",
]
PLATFORMS = ("shopify", "woocommerce")
WAREHOUSES = ("WH1", "WH2")


@dataclass(frozen=True)
class FaultWindow:
    """One fault on one target, from `start` to `end` (fractions of the trading time)."""

    kind: FaultKind
    target: str  # a platform, a warehouse code, or "hub"
    start: float
    end: float
    settings: Mapping[str, Any] = field(default_factory=dict)
    count: int = 1  # for kills: how many, at seeded moments inside the window


@dataclass(frozen=True)
class WarehouseWork:
    """How often each warehouse job runs (per second of trading; 0 = never)."""

    ship_every_s: float = 1.0
    receipts_per_s: float = 0.0
    returns_per_s: float = 0.0
    damaged_share: float = 0.3  # of returns, the share that comes back damaged
    transfers_per_s: float = 0.0
    transfer_transit_s: float = 1.0
    counts_per_s: float = 0.0


@dataclass(frozen=True)
class FileDrop:
    """One warehouse run by an ERP/WMS without an API: everything it does at `warehouse` (receipts,
    shipping, returns, transfers, counts, the opening and closing stock) reaches the hub as files in
    a drop folder that `stockbridge files watch` ingests, never through the API. Besides the
    scenario's warehouse jobs, the ERP books multi-line deliveries (`deliveries_per_s`, at least
    two), `malformed_rows` of them with one malformed line, and sends `duplicate_files` of them
    twice."""

    warehouse: str = "WH2"
    connection: str = "erp"
    location_code: str = "02"  # the warehouse's code in the ERP
    watch_every_s: float = 0.1
    deliveries_per_s: float = 0.3
    malformed_rows: int = 1
    duplicate_files: int = 1


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    duration_s: float
    rate: float  # orders per second, all channels together
    sku_count: int = 6
    stock_per_warehouse: int = 40
    hot_sku_share: float = 0.0  # share of orders for the first SKU
    hot_stock_per_warehouse: int | None = None
    max_quantity: int = 2
    share_percent: int = 50  # of available stock, per channel
    warehouse: WarehouseWork = WarehouseWork()
    faults: tuple[FaultWindow, ...] = ()
    woo_requests_per_second: float = 20.0
    reconcile_every_s: float = 3.0
    poll_every_s: float = 1.0
    file_drop: FileDrop | None = None

    def with_overrides(self, duration_s: float | None, rate: float | None) -> Scenario:
        return replace(
            self,
            duration_s=self.duration_s if duration_s is None else duration_s,
            rate=self.rate if rate is None else rate,
        )


_CHAOS = {
    "webhook_duplicate_rate": 0.3,
    "webhook_drop_rate": 0.1,
    "webhook_reorder_rate": 0.2,
    "webhook_delay_ms": 400.0,
    "webhook_delay_rate": 0.3,
}

SCENARIOS: dict[str, Scenario] = {
    s.name: s
    for s in (
        Scenario(
            "flash-sale",
            "One limited SKU, a crowd of buyers on every channel within seconds: last-unit contention.",
            duration_s=4.0,
            rate=250.0,
            sku_count=2,
            hot_sku_share=0.95,
            hot_stock_per_warehouse=50,
            max_quantity=1,
            warehouse=WarehouseWork(ship_every_s=0.0),
        ),
        Scenario(
            "webhook-chaos",
            "Webhooks duplicated (30%), reordered, delayed and lost (10%): polling and reconciliation heal.",
            duration_s=8.0,
            rate=15.0,
            faults=tuple(FaultWindow("webhook_chaos", p, 0.0, 1.0, _CHAOS) for p in PLATFORMS),
        ),
        Scenario(
            "channel-outage",
            "Shopify down mid-sale: the breaker opens, work waits, the channel converges after recovery.",
            duration_s=10.0,
            rate=12.0,
            faults=(FaultWindow("channel_down", "shopify", 0.25, 0.65),),
        ),
        Scenario(
            "throttle",
            "WooCommerce answers 429 to a share of calls and the hub's own limit is tight: still converges.",
            duration_s=8.0,
            rate=12.0,
            woo_requests_per_second=3.0,
            faults=(FaultWindow("throttle", "woocommerce", 0.1, 0.8),),
        ),
        Scenario(
            "warehouse-outage",
            "WH1 goes offline: its stock stops being sellable and sales are placed at WH2.",
            duration_s=8.0,
            rate=12.0,
            faults=(FaultWindow("location_offline", "WH1", 0.3, 0.7),),
        ),
        Scenario(
            "crash-restart",
            "The hub's worker and API are SIGKILLed at seeded moments and restarted: nothing lost or doubled.",
            duration_s=10.0,
            rate=12.0,
            faults=(
                FaultWindow("kill_worker", "hub", 0.1, 0.9, count=3),
                FaultWindow("kill_api", "hub", 0.1, 0.9, count=2),
            ),
        ),
        Scenario(
            "returns-and-transfers",
            "Receipts, returns (restocked and damaged), transfers in transit between warehouses, cycle counts.",
            duration_s=8.0,
            rate=10.0,
            share_percent=40,
            warehouse=WarehouseWork(
                ship_every_s=0.5,
                receipts_per_s=1.0,
                returns_per_s=1.0,
                transfers_per_s=0.8,
                transfer_transit_s=1.0,
                counts_per_s=0.5,
            ),
        ),
        Scenario(
            "erp-file-drop",
            "WH2 is run by an ERP without an API: its deliveries, shipments, returns and counts arrive "
            "as snapshot and movement files in a drop folder, with a malformed row and a file sent twice.",
            duration_s=8.0,
            rate=10.0,
            share_percent=40,
            warehouse=WarehouseWork(
                ship_every_s=1.0,
                receipts_per_s=0.5,
                returns_per_s=0.5,
                transfers_per_s=0.3,
                transfer_transit_s=1.0,
                counts_per_s=0.5,
            ),
            file_drop=FileDrop(),
        ),
        Scenario(
            "steady-day",
            "An ordinary trading day at a steady rate, with receipts and shipping (for load and memory).",
            duration_s=20.0,
            rate=20.0,
            sku_count=20,
            stock_per_warehouse=200,
            warehouse=WarehouseWork(ship_every_s=1.0, receipts_per_s=0.5),
        ),
        Scenario(
            "trading-day",
            "The demo: a day of trading with a flash sale on one SKU, returns, transfers, lossy webhooks "
            "and one crash of the hub's worker.",
            duration_s=20.0,
            rate=25.0,
            sku_count=8,
            hot_sku_share=0.4,
            hot_stock_per_warehouse=30,
            share_percent=40,
            warehouse=WarehouseWork(
                ship_every_s=1.0, receipts_per_s=0.3, returns_per_s=0.3, transfers_per_s=0.2, counts_per_s=0.2
            ),
            faults=(
                *(FaultWindow("webhook_chaos", p, 0.0, 1.0, {"webhook_drop_rate": 0.05}) for p in PLATFORMS),
                FaultWindow("kill_worker", "hub", 0.4, 0.6),
            ),
        ),
    )
}
DEMO_SCENARIO = "trading-day"


def get_scenario(name: str) -> Scenario:
    try:
        return SCENARIOS[name]
    except KeyError:
        known = ", ".join(SCENARIOS)
        raise KeyError(f"unknown scenario {name!r}; known: {known}") from None


def sku_codes(scenario: Scenario) -> list[str]:
    prefix = "FLASH" if scenario.hot_sku_share > 0 else "SKU"
    return [f"{prefix}-{i:03d}" for i in range(1, scenario.sku_count + 1)]


def starting_stock(scenario: Scenario, index: int) -> int:
    """Units per warehouse of the SKU at `index` (the first is the hot one when there is one)."""
    if index == 0 and scenario.hot_stock_per_warehouse is not None:
        return scenario.hot_stock_per_warehouse
    return scenario.stock_per_warehouse
