"""The independent audit: re-derive the truth from the channels and the warehouses, then judge the hub.

Truth comes from outside the hub: each emulator's own state (its orders, the level it shows, the
webhooks it delivered) and the warehouse driver's book (units received, shipped, returned, in
transit), which includes what the ERP of a file-drop warehouse physically did (`via_files`).
The hub is read only through its API (balances, available-to-sell, the ledger check,
the quarantine) and the file watcher's own report, and compared with that truth, per SKU:

    sold          units in orders the channels accepted (cancelled orders excluded)
    supply        units received (by API or in the ERP's files) + units returned to stock
    oversold      sold beyond supply
    hub sold      the hub's committed units + units the warehouses shipped (shipping needs a sale)
    events lost   units sold on a channel that the hub never applied (sold - hub sold, when > 0)
    applied twice units the hub applied beyond what was sold (hub sold - sold, when > 0)
    drift         per listing, |what the channel shows - what the hub wants it to show|
    undersold     refused units of a SKU that still had unsold sellable supply at the end (an
                  upper bound: the stock may have arrived after the refusal)

and per dropped file (`file_drop_findings`): every malformed line the ERP wrote is in the
quarantine under its file and line, a file sent twice applied no row the second time (in the
watcher's report, and in the hub's on-hand at the ERP's warehouse before the closing snapshot
equals what the files told it), and nothing else from the drop folder was quarantined or failed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from stockbridge.simulate.erp import ErpDrop
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
        row["shown"] = sum(c.shows.get(sku, 0) for c in channels)  # on offer at the end, all channels
        row["oversold"] = max(sold - supply, 0)
        row["lost"], row["twice"] = max(sold - hub_sold, 0), max(hub_sold - sold, 0)
        row["undersold"] = min(refused[sku], max(supply - sold, 0))
        row["mismatch"] = _mismatch(sku, hub[sku], book, sold)
        if book.via_files:
            row["via_files"] = book.via_files[sku]
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


def file_drop_findings(
    erp: ErpDrop,
    watched: Sequence[Mapping[str, Any]],
    quarantined: Sequence[Mapping[str, Any]],
    gap_before_closing_units: int = 0,
) -> dict[str, Any]:
    """Judge the drop folder: what the ERP dropped against the watcher's per-file reports (in
    order) and the quarantine items read through the API."""
    ours = [q for q in quarantined if str(q.get("source") or "").startswith(f"files:{erp.connection}/")]
    malformed, expected_prefixes = [], []
    for dropped in erp.files:
        for line in dropped.malformed_lines:
            prefix = f"{dropped.name} line {line}:"
            expected_prefixes.append(prefix)
            if dropped.resent:
                continue
            hits = [q for q in ours if str(q["message"]).startswith(prefix)]
            malformed.append(
                {
                    "file": dropped.name,
                    "line": line,
                    "quarantined": bool(hits) and all(q["error_code"] == "malformed_row" for q in hits),
                    "quarantine_ids": [q["id"] for q in hits],
                    "message": str(hits[0]["message"]) if hits else None,
                }
            )
    by_name: defaultdict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for report in watched:
        by_name[str(report["file"])].append(report)
    resent = []
    for dropped in (d for d in erp.files if d.resent):
        later = by_name[dropped.name][1:]
        resent.append(
            {
                "file": dropped.name,
                "rows": dropped.rows,
                "reports": len(later),
                "applied": sum(int(r["applied"]) for r in later),
                "duplicate": sum(int(r["duplicate"]) for r in later),
            }
        )
    unexpected = [q for q in ours if not str(q["message"]).startswith(tuple(expected_prefixes))]
    return {
        "files_dropped": sum(not d.resent for d in erp.files),
        "files_resent": len(resent),
        "files_not_picked_up": sum(not d.picked_up for d in erp.files),
        "files_failed": sum(r["status"] == "failed" for r in watched),
        "rows": {k: sum(int(r.get(k, 0)) for r in watched) for k in ("applied", "duplicate", "quarantined")},
        "malformed_rows": malformed,
        "resent": resent,
        "resent_rows_applied": sum(r["applied"] for r in resent),
        "gap_before_closing_units": gap_before_closing_units,
        "unexpected_quarantined": [str(q["message"]) for q in unexpected],
    }
