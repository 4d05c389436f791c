"""Explanations as people read them: the counters and formula of a balance, the available-to-sell
steps of a listing, and the recent ledger events behind both. Takes the dicts of
`services.explain` and prints them; computes nothing itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def show_balance(out: Console, data: Mapping[str, Any]) -> None:
    out.print(f"[bold]Balance of {data['sku']} at {data['location']}[/]")
    table = Table("counter", "live", "from ledger", title=None)
    table.columns[1].justify = table.columns[2].justify = "right"
    for name, value in data["balance"].items():
        table.add_row(name, str(value), str(data["ledger_totals"].get(name, "")))
    out.print(table)
    out.print(f"formula: {data['formula']}")
    verdict = (
        "[green]yes[/]" if data["consistent_with_ledger"] else "[bold red]NO (run stockbridge verify)[/]"
    )
    out.print(f"balance equals the ledger's sum of movements: {verdict}")
    out.print(events_table("Recent events", data["recent_events"]))


def show_listing(out: Console, data: Mapping[str, Any]) -> None:
    out.print(f"[bold]Available to sell of {data['sku']} on {data['channel']}: {data['quantity']}[/]")
    rules = data["rules"]
    cap = rules["max_quantity"] if rules["max_quantity"] is not None else "none"
    out.print(
        f"rules: buffer {rules['buffer']}, share {rules['share_percent']}%, cap {cap},"
        f" stop selling below {rules['stop_below']}"
    )
    out.print(_supply_table(data["locations"]))
    steps = Table("step", "rule", "detail", "before", "after", title="How the number was made")
    steps.columns[3].justify = steps.columns[4].justify = "right"
    for n, step in enumerate(data["steps"], 1):
        steps.add_row(
            str(n), step["rule"], escape(step["detail"]), str(step["before"]), f"[bold]{step['after']}[/]"
        )
    out.print(steps)
    for where, events in data["recent_events"].items():
        if events:  # a location that never held the SKU has nothing to show
            out.print(events_table(f"Recent events of {where}", events))


def _supply_table(locations: Sequence[Mapping[str, Any]]) -> Table:
    table = Table("location", "online", "available", "counted", "components", title="Supply per location")
    table.columns[2].justify = table.columns[3].justify = "right"
    for loc in locations:
        parts = ", ".join(
            f"{c['sku']}: {c['available']} // {c['per_bundle']} = {max(c['available'], 0) // c['per_bundle']}"
            for c in loc["components"]
        )
        online = "yes" if loc["online"] else "[red]no (offline)[/]"
        table.add_row(
            escape(loc["location"]), online, str(loc["available"]), str(loc["counted"]), escape(parts) or "-"
        )
    if not locations:
        table.caption = "the listing has no feeding location"
    return table


def events_table(title: str, events: Sequence[Mapping[str, Any]]) -> Table:
    table = Table(
        "id", "recorded at (UTC)", "type", "changes", "source", "idempotency key / note", title=title
    )
    table.columns[5].overflow = "fold"  # keys are long; show all of them, folded
    for e in events:
        changes = ", ".join(f"{state} {delta:+d}" for state, delta in sorted(e["changes"].items()))
        notes = [x for x in (e.get("reference"), e.get("reason")) if x and x not in e["idempotency_key"]]
        table.add_row(
            str(e["event_id"]),
            e["recorded_at"][:16].replace("T", " "),
            e["type"].replace("_", " "),  # lets "reservation committed" wrap between words
            changes,
            escape(e["source"] or ""),
            escape(" / ".join([e["idempotency_key"], *notes])),
        )
    if not events:
        table.caption = "no events yet"
    return table
