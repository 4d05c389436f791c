"""Run the core benchmarks several times on SQLite and PostgreSQL and print the medians.

    .venv/bin/python bench/run_core.py [--runs 5] [--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Each run is a fresh `stockbridge bench ... --json` process on scratch databases; the hub and its
baseline are measured in the same run, so machine load affects both. Prints one markdown table
(median and range per key) and the raw JSON lines, for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

STOCKBRIDGE = str(Path(sys.executable).with_name("stockbridge"))


def run(args: list[str]) -> dict[str, float]:
    out = subprocess.run([STOCKBRIDGE, "bench", *args, "--json"], check=True, capture_output=True, text=True)
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def summarise(name: str, results: list[dict[str, float]], keys: list[str]) -> None:
    print(f"\n{name} ({len(results)} runs)\n")
    print("| key | median | min | max |\n| --- | --- | --- | --- |")
    for key in keys:
        values = [float(r[key]) for r in results]
        print(f"| {key} | {statistics.median(values):.3f} | {min(values):.3f} | {max(values):.3f} |")
    for r in results:
        print(f"    {json.dumps(r, sort_keys=True)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--stock", type=int, default=1000)
    parser.add_argument("--attempts", type=int, default=2000)
    options = parser.parse_args()
    for label, db in (("SQLite", []), ("PostgreSQL", ["--db", options.pg])):
        ingest = [run(["ingest", *db, "--events", str(options.events)]) for _ in range(options.runs)]
        summarise(
            f"ingest on {label}",
            ingest,
            ["events_per_s", "baseline_events_per_s", "ratio", "duplicates_dropped"],
        )
        contention_args = ["contention", *db, "--workers", "8", "--stock", str(options.stock)]
        contention = [
            run([*contention_args, "--attempts", str(options.attempts)]) for _ in range(options.runs)
        ]
        summarise(
            f"contention on {label}",
            contention,
            ["reserved_units", "oversold_units", "ops_per_s", "baseline_ops_per_s", "ratio"],
        )


if __name__ == "__main__":
    main()
