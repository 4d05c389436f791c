"""Shared helpers of the identity benchmarks: run both systems, score, print a table row."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from baseline_recordlinkage import run_baseline
from baseline_splink import run_splink

from stockbridge.identity.evaluation import Scores, cluster_scores, pair_scores
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.resolver import ResolverConfig, resolve

RESULTS = Path(__file__).parent / "results"


def scores(labels: Sequence[object], truth: Sequence[str]) -> dict[str, float]:
    pairs: Scores = pair_scores(labels, truth)  # type: ignore[arg-type]
    clusters: Scores = cluster_scores(labels, truth)  # type: ignore[arg-type]
    return {
        "pair_precision": round(pairs.precision, 4),
        "pair_recall": round(pairs.recall, 4),
        "pair_f1": round(pairs.f1, 4),
        "cluster_precision": round(clusters.precision, 4),
        "cluster_recall": round(clusters.recall, 4),
        "cluster_f1": round(clusters.f1, 4),
    }


def compare_systems(
    name: str, records: Sequence[CustomerRecord], truth: Sequence[str], country: str, threshold: float = 0.5
) -> list[dict[str, Any]]:
    """Rows for stockbridge and the recordlinkage variants on one dataset."""
    rows: list[dict[str, Any]] = []
    started = time.perf_counter()
    ours = resolve(records, date(2026, 11, 25), ResolverConfig(threshold=threshold, default_country=country))
    rows.append(
        {
            "dataset": name,
            "system": "stockbridge (unsupervised FS-EM + avg linkage)",
            "seconds": round(time.perf_counter() - started, 2),
            **scores(ours.cluster_of.tolist(), truth),
        }
    )
    for normalised in (False, True):
        started = time.perf_counter()
        base = run_baseline(records, truth, our_normalisation=normalised, country=country)
        seconds = round(time.perf_counter() - started, 2)
        prep = "our normalisers" if normalised else "its own cleaning"
        rows.append(
            {
                "dataset": name,
                "system": f"recordlinkage ECM ({prep})",
                "seconds": seconds,
                **scores(base.ecm_labels, truth),
            }
        )
        rows.append(
            {
                "dataset": name,
                "system": f"recordlinkage sum>={base.rule_k}, k tuned on truth ({prep})",
                "seconds": seconds,
                **scores(base.rule_labels, truth),
            }
        )
    started = time.perf_counter()
    spl = run_splink(records, truth, country)
    seconds = round(time.perf_counter() - started, 2)
    rows.append(
        {
            "dataset": name,
            "system": "splink (our normalisers), threshold 0.5",
            "seconds": seconds,
            **scores(spl.labels_at_half, truth),
        }
    )
    rows.append(
        {
            "dataset": name,
            "system": f"splink (our normalisers), threshold {spl.best_threshold} tuned on truth",
            "seconds": seconds,
            **scores(spl.best_labels, truth),
        }
    )
    return rows


def report(rows: list[dict[str, Any]], output: str) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / output).write_text(json.dumps(rows, indent=2) + "\n")
    header = ["dataset", "system", "pair_precision", "pair_recall", "pair_f1", "cluster_f1", "seconds"]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(str(row[h]) for h in header) + " |")
