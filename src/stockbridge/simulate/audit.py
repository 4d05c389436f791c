"""The independent audit: re-derive the truth from the channels and the warehouses, then judge the hub.

Truth comes from outside the hub: each emulator's own state (its orders, the level it shows, the
webhooks it delivered) and the warehouse driver's book (units received, shipped, returned, in
transit). The hub is read only through its API (balances, available-to-sell, the ledger check)
and compared with that truth, per SKU:

    sold          units in orders the channels accepted (cancelled orders excluded)
    supply        units received + units returned to stock
    oversold      sold beyond supply
    hub sold      the hub's committed units + units the warehouses shipped (shipping needs a sale)
    events lost   units sold on a channel that the hub never applied (sold - hub sold, when > 0)
    applied twice units the hub applied beyond what was sold (hub sold - sold, when > 0)
    drift         per listing, |what the channel shows - what the hub wants it to show|
    undersold     refused units of a SKU that still had unsold sellable supply at the end (an
                  upper bound: the stock may have arrived after the refusal)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockbridge.simulate.population import OrderLog
from stockbridge.simulate.warehouse import Physical


@dataclass(frozen=True)
class ChannelTruth:
    """What one emulator recorded: units sold per SKU, the level it shows per SKU, deliveries."""

    channel: str
    sold: Counter[str]
    shows: dict[str, int]
    duplicate_deliveries: int


@dataclass
class AuditResult:
    units_sold: int = 0
    oversold_units: int = 0
    undersold_units: int = 0
    final_drift_units: int = 0
    events_lost: int = 0
    applied_twice_units: int = 0
    duplicates_dropped: int = 0
    balance_mismatch_units: int = 0
    ledger_consistent: bool = False
    per_sku: dict[str, dict[str, int]] = field(default_factory=dict)
    drifts: list[dict[str, Any]] = field(default_factory=list)


def shopify_truth(
    channel: str, state: Mapping[str, Any], push_location: str, deliveries: Sequence[Any]
) -> ChannelTruth:
    sold: Counter[str] = Counter()
    for order in state.get("orders", []):
        if order.get("cancelled_at"):
            continue
        for line in order.get("line_items", []):
            sold[str(line.get("sku"))] += int(line.get("current_quantity", line["quantity"]))
    item_sku = {
        str(v["inventory_item_id"]): str(v["sku"])
        for p in state.get("products", [])
        for v in p.get("variants", [])
    }
    location = push_location.rsplit("/", 1)[-1]
    shows = {
        item_sku[str(lv["inventory_item_id"])]: int(lv["available"])
        for lv in state.get("inventory_levels", [])
        if str(lv["location_id"]) == location and str(lv["inventory_item_id"]) in item_sku
    }
    return ChannelTruth(channel, sold, shows, duplicate_deliveries(deliveries))


def woocommerce_truth(channel: str, state: Mapping[str, Any], deliveries: Sequence[Any]) -> ChannelTruth:
    sold: Counter[str] = Counter()
    for order in state.get("orders", []):
        if order.get("status") in ("cancelled", "refunded", "failed", "trash"):
            continue
        for line in order.get("line_items", []):
            sold[str(line.get("sku"))] += int(line["quantity"])
    shows = {
        str(p["sku"]): int(p.get("stock_quantity") or 0) for p in state.get("products", []) if p.get("sku")
    }
    return ChannelTruth(channel, sold, shows, duplicate_deliveries(deliveries))


def duplicate_deliveries(deliveries: Sequence[Any]) -> int:
    """Extra copies of one event that the hub acknowledged (the first copy is the real one)."""
    acknowledged: Counter[str] = Counter()
    for record in deliveries:
        status = record.get("status") if isinstance(record, Mapping) else None
        if isinstance(status, int) and 200 <= status < 300:
            acknowledged[str(record.get("event_id"))] += 1
    return sum(n - 1 for n in acknowledged.values())


def audit(
    skus: Sequence[str],
    channels: Sequence[ChannelTruth],
    book: Physical,
    balances: Sequence[Mapping[str, Any]],
    atp: Sequence[Mapping[str, Any]],
    ledger_consistent: bool,
    orders: OrderLog,
) -> AuditResult:
    result = AuditResult(ledger_consistent=ledger_consistent)
    hub = _hub_totals(balances)
    refused = Counter(o.sku for o, reason in orders.rejected for _ in range(o.quantity))
    for sku in skus:
        sold = sum(c.sold[sku] for c in channels)
        supply = book.received[sku] + book.returned_restock[sku]
        hub_sold = hub[sku]["committed"] + book.shipped[sku]
        row = {"sold": sold, "supply": supply, "hub_sold": hub_sold, "shipped": book.shipped[sku]}
        row |= {f"sold:{c.channel}": c.sold[sku] for c in channels}
        row["oversold"] = max(sold - supply, 0)
        row["lost"], row["twice"] = max(sold - hub_sold, 0), max(hub_sold - sold, 0)
        row["undersold"] = min(refused[sku], max(supply - sold, 0))
        row["mismatch"] = _mismatch(sku, hub[sku], book, sold)
        result.per_sku[sku] = row
        result.units_sold += sold
        result.oversold_units += row["oversold"]
        result.events_lost += row["lost"]
        result.applied_twice_units += row["twice"]
        result.undersold_units += row["undersold"]
        result.balance_mismatch_units += row["mismatch"]
    result.duplicates_dropped = sum(c.duplicate_deliveries for c in channels)
    result.drifts = drifts(channels, atp)
    result.final_drift_units = sum(int(d["units"]) for d in result.drifts)
    return result


def _hub_totals(balances: Sequence[Mapping[str, Any]]) -> dict[str, Counter[str]]:
    totals: dict[str, Counter[str]] = {}
    for row in balances:
        counter = totals.setdefault(str(row["sku"]), Counter())
        for name in ("on_hand", "committed", "in_transit", "damaged", "available"):
            counter[name] += int(row[name])
    return _Default(totals)


class _Default(dict[str, Counter[str]]):
    def __missing__(self, key: str) -> Counter[str]:
        return Counter()


def _mismatch(sku: str, hub: Counter[str], book: Physical, sold: int) -> int:
    """Units by which the hub's per-SKU balances differ from the book and the channels."""
    returned = book.returned_restock[sku] + book.returned_damaged[sku]
    expected = {
        "on_hand": book.received[sku] + returned - book.shipped[sku] - book.in_transit[sku],
        "committed": sold - book.shipped[sku],
        "in_transit": book.in_transit[sku],
        "damaged": book.returned_damaged[sku],
    }
    return sum(abs(hub[name] - value) for name, value in expected.items())


def drifts(channels: Sequence[ChannelTruth], atp: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    by_channel = {c.channel: c for c in channels}
    found = []
    for listing in atp:
        truth = by_channel.get(str(listing["channel"]))
        if truth is None:
            continue
        sku, wants = str(listing["sku"]), int(listing["available_to_sell"])
        shows = truth.shows.get(sku, 0)
        if shows != wants:
            found.append(
                {
                    "channel": truth.channel,
                    "sku": sku,
                    "wants": wants,
                    "shows": shows,
                    "units": abs(shows - wants),
                }
            )
    return found
