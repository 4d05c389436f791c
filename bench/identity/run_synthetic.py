"""Benchmark on generated shop customers with known truth (default 100k records, 3 seeds).

.venv/bin/python bench/identity/run_synthetic.py --count 100000 --seeds 1 2 3
"""

from __future__ import annotations

import argparse

from common import compare_systems, report

from stockbridge.identity.generator import generate_customers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=100_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--threshold", type=float, default=0.5)
    args = parser.parse_args()
    rows = []
    for seed in args.seeds:
        data = generate_customers(args.count, seed)
        rows += compare_systems(
            f"synthetic-{args.count}-seed{seed}", data.records, data.entities, "GB", args.threshold
        )
    report(rows, f"synthetic_{args.count}.json")


if __name__ == "__main__":
    main()
