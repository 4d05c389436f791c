"""Run every trading scenario with several seeds and record the audited summaries.

    .venv/bin/python bench/simulate/run_all.py                      # every scenario, seeds 1,2,3
    .venv/bin/python bench/simulate/run_all.py --scenarios flash-sale --seeds 1,2,3,4,5
    .venv/bin/python bench/simulate/run_all.py --scenarios steady-day --seeds 1 --duration 300

Each run is the same as `stockbridge simulate --scenario NAME --seed N --json` (hub API and worker
as real processes, emulators as real processes, independent audit). Results go to
`bench/simulate/results/<stamp>.jsonl` (one summary per line, steady-day with its memory samples)
and a Markdown table per scenario is printed: worst case for oversold / drift / lost, and the
spread of propagation p99 and outbound calls over the seeds.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from stockbridge.simulate.runner import RunOptions, run
from stockbridge.simulate.scenarios import SCENARIOS, get_scenario

RESULTS = Path(__file__).parent / "results"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scenarios", default=",".join(s for s in SCENARIOS if s != "trading-day"))
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--duration", type=float, default=None, help="override every scenario's duration")
    parser.add_argument("--rate", type=float, default=None, help="override every scenario's rate")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = args.out or RESULTS / f"{time.strftime('%Y%m%dT%H%M%S')}.jsonl"
    rows: list[dict[str, Any]] = []
    for name in args.scenarios.split(","):
        for seed in (int(s) for s in args.seeds.split(",")):
            scenario = get_scenario(name).with_overrides(args.duration, args.rate)
            report = run(RunOptions(scenario, seed))
            row = report.summary() | {"per_sku": report.data["per_sku"]}
            if name == "steady-day":
                row["memory"] = report.data["memory"]
            rows.append(row)
            with out.open("a") as handle:
                handle.write(json.dumps(row, separators=(",", ":")) + "\n")
            print(_line(row), file=sys.stderr, flush=True)
    print(table(rows))
    print(f"\nresults: {out}")
    return 0


def _line(row: dict[str, Any]) -> str:
    p = row["propagation_ms"]
    return (
        f"{row['scenario']} seed {row['seed']}: sold {row['units_sold']}, oversold {row['oversold_units']}, "
        f"drift {row['final_drift_units']}, lost {row['events_lost']}, p99 {p['p99']} ms, "
        f"calls {row['api_calls']}, converged {row['converged']}, wall {row['wall_s']} s"
    )


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| scenario | seeds | orders (accepted) | oversold max | drift max | events lost max | applied twice max "
        "| dup. webhooks dropped | propagation p50 / p99 ms (median over seeds) | p99 worst | push calls (median) "
        "| store requests (median) | converged |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_name.setdefault(row["scenario"], []).append(row)
    for name, group in by_name.items():
        p50 = [r["propagation_ms"]["p50"] for r in group if r["propagation_ms"]["p50"] is not None]
        p99 = [r["propagation_ms"]["p99"] for r in group if r["propagation_ms"]["p99"] is not None]
        requests = [sum(r["platform_requests"].values()) for r in group]
        lines.append(
            f"| {name} | {len(group)} | {_median([r['orders_attempted'] for r in group])} "
            f"({_median([r['orders_accepted'] for r in group])}) "
            f"| {max(r['oversold_units'] for r in group)} | {max(r['final_drift_units'] for r in group)} "
            f"| {max(r['events_lost'] for r in group)} | {max(r['applied_twice_units'] for r in group)} "
            f"| {_median([r['duplicates_dropped'] for r in group])} "
            f"| {_median(p50)} / {_median(p99)} | {max(p99, default=None)} "
            f"| {_median([r['api_calls'] for r in group])} | {_median(requests)} "
            f"| {sum(bool(r['converged']) for r in group)}/{len(group)} |"
        )
    return "\n".join(lines)


def _median(values: list[Any]) -> Any:
    return round(statistics.median(values), 1) if values else None


if __name__ == "__main__":
    sys.exit(main())
