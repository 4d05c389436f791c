"""Scale benchmark: generate N customers to CSV, then time the real CLI end to end.

Each run is a fresh process (`stockbridge customers resolve --input ... --output ...`),
so CSV parsing, normalisation, blocking, EM, scoring, clustering and writing are all
counted. Peak memory is the child's maximum resident set size. Accuracy against the
generator's truth column is computed afterwards from the written clusters.

    .venv/bin/python bench/identity/run_scale.py --count 1000000 --runs 3
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESULTS

from stockbridge.identity.csv_io import write_customers
from stockbridge.identity.evaluation import cluster_scores, pair_scores
from stockbridge.identity.generator import generate_customers

CLI = [sys.executable, "-m", "stockbridge.cli", "customers", "resolve"]


def _one_run(source: Path, output: Path) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    subprocess.run([*CLI, "--input", str(source), "--output", str(output)], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak_kib, before) / 1024 / 1024


def _accuracy(output: Path, truth: list[str]) -> dict[str, float]:
    with output.open(newline="") as handle:
        labels = [row["cluster_id"] for row in csv.DictReader(handle)]
    pairs, clusters = pair_scores(labels, truth), cluster_scores(labels, truth)
    return {
        "pair_precision": round(pairs.precision, 4),
        "pair_recall": round(pairs.recall, 4),
        "pair_f1": round(pairs.f1, 4),
        "cluster_f1": round(clusters.f1, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        source, output = Path(folder) / "customers.csv", Path(folder) / "clusters.csv"
        data = generate_customers(args.count, args.seed)
        write_customers(source, data.records)
        truth = data.entities
        del data
        runs = []
        for _ in range(args.runs):
            seconds, peak_gib = _one_run(source, output)
            runs.append(seconds)
            print(f"run: {seconds:.1f} s, peak RSS so far {peak_gib:.2f} GiB", flush=True)
        result = {
            "count": args.count,
            "runs_seconds": [round(s, 1) for s in runs],
            "median_seconds": round(statistics.median(runs), 1),
            "peak_rss_gib": round(peak_gib, 2),
            **_accuracy(output, truth),
        }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"scale_{args.count}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
