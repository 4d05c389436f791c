"""Group matched pairs into people without chaining strangers through one weak link.

Owns clustering. Pairs above the threshold form connected components; inside every
component of three or more records *all* pairs are scored and records are merged by
average linkage, so a cluster grows only while its members agree on average, not merely
through a single strong edge (a household member sharing a phone cannot pull in a
second person). Components that are still huge are re-split with a stricter threshold.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from stockbridge.identity.columns import IntArray
from stockbridge.identity.compare import FloatArray

PairScorer = Callable[[IntArray, IntArray], FloatArray]


@dataclass(frozen=True)
class ClusterPlan:
    """Threshold on match probability and the largest component scored densely."""

    threshold: float = 0.5
    max_component: int = 120


def connected_components(size: int, left: IntArray, right: IntArray) -> IntArray:
    """Label per node: the smallest node index of its component."""
    labels = np.arange(size, dtype=np.int64)
    if len(left) == 0:
        return labels
    while True:
        low = np.minimum(labels[left], labels[right])
        before = labels.copy()
        np.minimum.at(labels, left, low)
        np.minimum.at(labels, right, low)
        labels = labels[labels]
        if np.array_equal(before, labels):
            return labels


def cluster_records(
    size: int, left: IntArray, right: IntArray, probability: FloatArray, scorer: PairScorer, plan: ClusterPlan
) -> IntArray:
    """Cluster label per record (smallest record index in its cluster)."""
    strong = probability >= plan.threshold
    labels = connected_components(size, left[strong], right[strong])
    return _refine(labels, scorer, plan, plan.threshold)


def _refine(labels: IntArray, scorer: PairScorer, plan: ClusterPlan, threshold: float) -> IntArray:
    order = np.argsort(labels, kind="stable")
    sorted_labels = labels[order]
    starts = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    lengths = np.diff(np.r_[starts, len(labels)])
    groups = [order[s : s + n] for s, n in zip(starts, lengths, strict=True) if n >= 3]
    dense = [g for g in groups if len(g) <= plan.max_component]
    result = labels.copy()
    _average_linkage_all(dense, scorer, threshold, result)
    for group in (g for g in groups if len(g) > plan.max_component):
        _split_large(group, scorer, plan, threshold, result)
    return result


def _average_linkage_all(
    groups: list[IntArray], scorer: PairScorer, threshold: float, result: IntArray
) -> None:
    if not groups:
        return
    lefts, rights, offsets = [], [], [0]
    for group in groups:
        a, b = np.triu_indices(len(group), k=1)
        lefts.append(group[a])
        rights.append(group[b])
        offsets.append(offsets[-1] + len(a))
    scores = scorer(np.concatenate(lefts), np.concatenate(rights))
    for index, group in enumerate(groups):
        matrix = np.zeros((len(group), len(group)))
        a, b = np.triu_indices(len(group), k=1)
        matrix[a, b] = scores[offsets[index] : offsets[index + 1]]
        matrix += matrix.T
        for members in average_linkage(matrix, threshold):
            chosen = group[members]
            result[chosen] = chosen.min()


def average_linkage(matrix: FloatArray, threshold: float) -> list[list[int]]:
    """Agglomerate while the best mean cross-cluster match weight reaches `threshold`.

    `matrix` holds pair probabilities; they are averaged as log-odds (bits), so one pair
    that is certainly different outweighs several that are merely likely the same.
    """
    size = len(matrix)
    clipped = np.clip(matrix.astype(np.float64), 1e-9, 1 - 1e-9)
    sums = np.log2(clipped / (1 - clipped))
    np.fill_diagonal(sums, 0.0)
    threshold = float(np.log2(threshold / (1 - threshold)))
    counts = np.ones(size)
    alive = np.ones(size, dtype=bool)
    members: list[list[int]] = [[i] for i in range(size)]
    while alive.sum() > 1:
        means = sums / np.outer(counts, counts)
        means[~alive, :] = -np.inf
        means[:, ~alive] = -np.inf
        np.fill_diagonal(means, -np.inf)
        flat = int(np.argmax(means))
        i, j = divmod(flat, size)
        if means[i, j] < threshold:
            break
        sums[i, :] += sums[j, :]
        sums[:, i] += sums[:, j]
        counts[i] += counts[j]
        alive[j] = False
        members[i].extend(members[j])
    return [members[i] for i in np.flatnonzero(alive)]


def _split_large(
    group: IntArray, scorer: PairScorer, plan: ClusterPlan, threshold: float, result: IntArray
) -> None:
    """Re-cluster an oversized component: stricter edges first, then average linkage."""
    size = len(group)
    if size > _DENSE_LIMIT:
        a, b = _sampled_pairs(size)
        scores = scorer(group[a], group[b])
        keep = scores >= 1.0 - (1.0 - threshold) / 100.0
        result[group] = group[connected_components(size, a[keep], b[keep])]
        return
    a, b = np.triu_indices(size, k=1)
    matrix = np.zeros((size, size))
    matrix[a, b] = scorer(group[a], group[b])
    matrix += matrix.T
    _split_dense(group, matrix, plan, threshold, result)


def _split_dense(
    group: IntArray, matrix: FloatArray, plan: ClusterPlan, threshold: float, result: IntArray
) -> None:
    stricter = 1.0 - (1.0 - threshold) / 10.0
    a, b = np.nonzero(np.triu(matrix >= stricter, k=1))
    local = connected_components(len(group), a.astype(np.int64), b.astype(np.int64))
    for label in np.unique(local):
        members = np.flatnonzero(local == label)
        if len(members) <= plan.max_component or stricter > 0.999999:
            for cluster in average_linkage(matrix[np.ix_(members, members)], threshold):
                chosen = group[members[cluster]]
                result[chosen] = chosen.min()
        else:
            _split_dense(group[members], matrix[np.ix_(members, members)], plan, stricter, result)


_DENSE_LIMIT = 3000


def _sampled_pairs(size: int) -> tuple[IntArray, IntArray]:
    rng = np.random.default_rng(size)
    a = rng.integers(0, size, size * 200)
    b = rng.integers(0, size, size * 200)
    keep = a < b
    return a[keep], b[keep]
