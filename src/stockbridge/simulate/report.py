"""The run's summary: the JSON object `stockbridge simulate --json` prints, and a human rendering.

Keys (issue 4): scenario, seed, orders_attempted, orders_accepted, orders_rejected, units_sold,
oversold_units, undersold_units, final_drift_units, converged, events_lost, duplicates_dropped,
propagation_ms {p50, p95, p99, max}, api_calls, faults_injected, wall_s; plus what helps explain
them (applied_twice_units, balance_mismatch_units, ledger_consistent, quiesced, trade_s,
quiesce_s, orders_per_s, memory samples of the hub's processes, drifts left, per-SKU audit) and,
with a file-drop warehouse, `file_drop` (`audit.file_drop_findings`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table

from stockbridge.simulate.audit import AuditResult

if TYPE_CHECKING:
    from stockbridge.simulate.runner import Live


@dataclass(frozen=True)
class RunReport:
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        d = self.data
        return bool(d["converged"]) and d["oversold_units"] == 0 and d["events_lost"] == 0

    def summary(self) -> dict[str, Any]:
        """The JSON object without the bulky per-SKU and memory detail."""
        return {k: v for k, v in self.data.items() if k not in ("per_sku", "memory")}


def build_report(live: Live, result: AuditResult, wall_s: float) -> RunReport:
    options, log = live.options, live.shoppers.log if live.shoppers else None
    attempted = len(log.accepted) + len(log.rejected) if log else 0
    accepted = len(log.accepted) if log else 0
    api_calls = sum(live.samples.api_calls.values())
    data: dict[str, Any] = {
        "scenario": options.scenario.name,
        "seed": options.seed,
        "duration_s": options.scenario.duration_s,
        "rate": options.scenario.rate,
        "orders_attempted": attempted,
        "orders_accepted": accepted,
        "orders_rejected": attempted - accepted,
        "units_sold": result.units_sold,
        "oversold_units": result.oversold_units,
        "undersold_units": result.undersold_units,
        "final_drift_units": result.final_drift_units,
        "converged": live.quiesced and result.final_drift_units == 0 and result.events_lost == 0,
        "events_lost": result.events_lost,
        "duplicates_dropped": result.duplicates_dropped,
        "propagation_ms": live.samples.quantiles_ms(),
        "api_calls": api_calls,
        "api_calls_by_outcome": dict(live.samples.api_calls),
        "level_changes": dict(live.samples.levels),
        "platform_requests": {
            k: v - live.requests_at_start.get(k, 0) for k, v in live.requests_at_end.items()
        },
        "faults_injected": dict(live.faults.injected) if live.faults else {},
        "wall_s": round(wall_s, 2),
        "applied_twice_units": result.applied_twice_units,
        "balance_mismatch_units": result.balance_mismatch_units,
        "ledger_consistent": result.ledger_consistent,
        "quiesced": live.quiesced,
        "trade_s": round(live.trade_s, 2),
        "quiesce_s": round(live.quiesce_s, 2),
        "orders_per_s": round(attempted / live.trade_s, 1) if live.trade_s else 0.0,
        "rejections": dict(Counter(reason for _, reason in log.rejected)) if log else {},
        "inbox_rows": live.inbox,  # by status; failed or quarantined rows were acknowledged, not applied
        "hub_restarts": {c.name: c.starts - 1 for c in live.hub.children()},
        "drifts": result.drifts[:20],
        "memory": live.memory,
        "per_sku": result.per_sku,
    }
    if live.file_drop is not None:
        data["file_drop"] = live.file_drop
    return RunReport(data)


def render(report: RunReport, console: Console) -> None:
    d = report.data
    verdict = "[green]PASS[/]" if report.ok else "[red]FAIL[/]"
    console.print(f"\n[bold]{d['scenario']}[/] (seed {d['seed']}): {verdict}")
    table = Table(show_header=False, box=None, padding=(0, 2))
    p = d["propagation_ms"]
    rows = [
        (
            "orders",
            f"{d['orders_attempted']} attempted, {d['orders_accepted']} accepted, {d['orders_rejected']} refused",
        ),
        ("units sold", str(d["units_sold"])),
        ("oversold units", _flag(d["oversold_units"])),
        ("undersold units (upper bound)", str(d["undersold_units"])),
        ("events lost", _flag(d["events_lost"])),
        ("applied twice", _flag(d["applied_twice_units"])),
        ("duplicate webhooks dropped", str(d["duplicates_dropped"])),
        ("final drift (units)", _flag(d["final_drift_units"])),
        ("converged", "[green]yes[/]" if d["converged"] else "[red]no[/]"),
        ("propagation ms p50/p95/p99/max", f"{p['p50']} / {p['p95']} / {p['p99']} / {p['max']}"),
        ("outbound API calls (pushes)", str(d["api_calls"])),
        ("requests the stores received", ", ".join(f"{k}: {v}" for k, v in d["platform_requests"].items())),
        ("faults injected", ", ".join(f"{k}: {v}" for k, v in d["faults_injected"].items()) or "none"),
        ("ledger matches balances", "yes" if d["ledger_consistent"] else "[red]no[/]"),
        ("time", f"{d['trade_s']} s trading, {d['quiesce_s']} s to settle, {d['wall_s']} s in all"),
    ]
    if "file_drop" in d:
        drop = d["file_drop"]
        caught = sum(m["quarantined"] for m in drop["malformed_rows"])
        rows.append(
            (
                "file drop (ERP)",
                f"{drop['files_dropped']} files, {drop['files_resent']} resent"
                f" (rows applied again: {_flag(drop['resent_rows_applied'])}),"
                f" malformed rows quarantined {caught}/{len(drop['malformed_rows'])}",
            )
        )
    for name, value in rows:
        table.add_row(name, value)
    console.print(table)


def _flag(value: int) -> str:
    return f"[green]{value}[/]" if value == 0 else f"[red]{value}[/]"
