"""Precision, recall and F1 of pairs and of whole clusters against known truth.

Owns the metrics used by tests and benchmarks. Pair metrics count every pair of records
put in one cluster; cluster metrics count clusters reproduced exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1, with the counts behind them."""

    precision: float
    recall: float
    f1: float
    true_positives: int
    predicted: int
    actual: int


def _scores(true_positives: int, predicted: int, actual: int) -> Scores:
    precision = true_positives / predicted if predicted else 1.0
    recall = true_positives / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, true_positives, predicted, actual)


def _groups(labels: Sequence[Hashable]) -> list[list[int]]:
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        groups[label].append(index)
    return list(groups.values())


def pair_scores(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> Scores:
    """Pairwise metrics of a clustering (labels aligned with records)."""
    predicted_pairs = sum(len(g) * (len(g) - 1) // 2 for g in _groups(predicted))
    actual_pairs = sum(len(g) * (len(g) - 1) // 2 for g in _groups(truth))
    joint = _groups(list(zip(predicted, truth, strict=True)))
    true_positives = sum(len(g) * (len(g) - 1) // 2 for g in joint)
    return _scores(true_positives, predicted_pairs, actual_pairs)


def cluster_scores(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> Scores:
    """Share of predicted clusters that equal a true cluster, and of true clusters found."""
    predicted_sets = {frozenset(g) for g in _groups(predicted)}
    true_sets = {frozenset(g) for g in _groups(truth)}
    exact = len(predicted_sets & true_sets)
    return _scores(exact, len(predicted_sets), len(true_sets))
