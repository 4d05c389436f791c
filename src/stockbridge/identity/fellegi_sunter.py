"""Fellegi–Sunter match weights: u from random pairs, m and the prior learned by EM.

Owns the probabilistic model: per field and level the probability of that level among
matches (m) and among non-matches (u), the prior share of matches among all record pairs,
and the clip of the term-frequency adjustment (applied in `scoring`) that makes a shared
rare surname count for more than a shared common one. No labels are needed; a few pairs
labelled as matches, when given, anchor m.

Like Splink, m is learned in several EM sessions, each on the pairs sharing one training
key (e-mail, phone, name, address); the fields of that key carry no evidence inside its
session and are learned in the others. u comes from uniformly random pairs. Where fields
are known to be dependent among non-matches (household members share an address *and* a
surname, a landline, a family e-mail), a conditional u is read off candidate pairs that a
proxy marks as different people, and replaces u under that condition.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stockbridge.identity.compare import Comparison, FloatArray, LevelArray

_RADIX = 8
TF_CLIP_BITS = 4.0


@dataclass(frozen=True)
class FieldModel:
    """m and u probabilities for each level of one comparison."""

    name: str
    labels: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]
    tf_column: str | None

    def weights(self) -> FloatArray:
        """log2(m/u) per level: the evidence, in bits, that the level carries."""
        weights: FloatArray = np.log2(np.asarray(self.m) / np.asarray(self.u))
        return weights


@dataclass(frozen=True)
class ConditionalU:
    """u of `field` among pairs whose `given` comparison is on one of `given_levels`.

    Household members share an address *and* a surname, so once the address agrees a
    shared surname is far less surprising for a non-match than among random pairs.
    """

    field: int
    given: int
    given_levels: tuple[int, ...]
    proxy: int
    proxy_levels: tuple[int, ...]
    u: tuple[float, ...]
    affects: tuple[int, ...] = ()


@dataclass(frozen=True)
class MatchModel:
    """All field models and the prior probability that a candidate pair is a match."""

    fields: tuple[FieldModel, ...]
    prior: float
    conditionals: tuple[ConditionalU, ...] = ()

    @property
    def prior_bits(self) -> float:
        return float(np.log2(self.prior / (1.0 - self.prior)))


@dataclass(frozen=True)
class TrainingSession:
    """Level rows of the pairs sharing one training key, and the comparisons it fixes."""

    levels: LevelArray
    fixed: frozenset[int]


@dataclass(frozen=True)
class Dependency:
    """A field whose non-match agreement depends on another comparison's level.

    Its conditional u is read off the candidate pairs meeting the condition that a proxy
    comparison (on `proxy_level`) marks as different people.
    """

    field: int
    given: int
    given_levels: tuple[int, ...]
    proxy: int
    proxy_level: int
    affects: tuple[int, ...] = ()
    also_when: tuple[int, ...] = ()


@dataclass(frozen=True)
class LabelledLevels:
    """Level rows of pairs a person judged to be the same customer."""

    levels: LevelArray
    pseudo_count: float = 20.0


def estimate_u(random_levels: LevelArray, comparisons: Sequence[Comparison]) -> list[FloatArray]:
    """Level shares among random pairs, which are nearly all non-matches; smoothed."""
    result: list[FloatArray] = []
    for index, comparison in enumerate(comparisons):
        column = random_levels[:, index]
        counts = np.bincount(column[column >= 0], minlength=len(comparison.labels)).astype(np.float64)
        result.append((counts + 0.5) / (counts.sum() + 0.5 * len(counts)))
    return result


def initial_m(size: int) -> FloatArray:
    """A neutral start: agreement levels likely, disagreement rare."""
    raw = 0.5 ** np.arange(size, dtype=np.float64) * 4.0
    raw[-1] = 0.05
    start: FloatArray = raw / raw.sum()
    return start


def fit_model(
    sessions: Sequence[TrainingSession],
    all_levels: LevelArray,
    total_pairs: int,
    u: list[FloatArray],
    comparisons: Sequence[Comparison],
    labelled: LabelledLevels | None = None,
    iterations: int = 30,
    dependencies: Sequence[Dependency] = (),
) -> MatchModel:
    """m averaged over the sessions that learn it; then the prior over all record pairs."""
    sums = [np.zeros(len(c.labels)) for c in comparisons]
    seen = [0 for _ in comparisons]
    for session in sessions:
        patterns, counts = _patterns(session.levels, len(comparisons))
        masked = patterns.copy()
        for index in session.fixed:
            masked[:, index] = -1
        m, _ = _em(masked, counts, u, [initial_m(len(c.labels)) for c in comparisons], 0.5, iterations)
        for index in set(range(len(comparisons))) - set(session.fixed):
            sums[index] += m[index]
            seen[index] += 1
    m = [s / n if n else initial_m(len(s)) for s, n in zip(sums, seen, strict=True)]
    if labelled is not None and len(labelled.levels):
        m = _anchor(m, labelled)
    prior = _global_prior(_patterns(all_levels, len(comparisons)), m, u, total_pairs, iterations)
    fields = tuple(
        FieldModel(c.name, c.labels, tuple(map(float, m[i])), tuple(map(float, u[i])), c.tf_column)
        for i, c in enumerate(comparisons)
    )
    return MatchModel(fields, prior, _conditionals(all_levels, m, dependencies))


def _conditionals(
    levels: LevelArray, m: list[FloatArray], dependencies: Sequence[Dependency]
) -> tuple[ConditionalU, ...]:
    """Level shares of the dependent field among candidate pairs that meet the condition
    and that the proxy marks as non-matches (for example: same address, different first name)."""
    result: list[ConditionalU] = []
    for dependency in dependencies:
        rows = np.isin(levels[:, dependency.given], dependency.given_levels)
        rows &= levels[:, dependency.proxy] == dependency.proxy_level
        column = levels[rows, dependency.field]
        column = column[column >= 0]
        if len(column) < 20:
            continue
        counts = np.bincount(column, minlength=len(m[dependency.field])).astype(np.float64)
        u = (counts + 0.5) / (counts.sum() + 0.5 * len(counts))
        result.append(
            ConditionalU(
                dependency.field,
                dependency.given,
                dependency.given_levels,
                dependency.proxy,
                (dependency.proxy_level, *dependency.also_when),
                tuple(map(float, u)),
                dependency.affects,
            )
        )
    return tuple(result)


def _em(
    patterns: LevelArray,
    counts: FloatArray,
    u: list[FloatArray],
    m: list[FloatArray],
    prior: float,
    iterations: int,
) -> tuple[list[FloatArray], float]:
    for _ in range(iterations):
        weight = _posterior(patterns, m, u, prior) * counts
        prior = float(np.clip(weight.sum() / max(counts.sum(), 1e-9), 1e-9, 1 - 1e-6))
        m = [_share(patterns[:, i], weight, len(m_f)) for i, m_f in enumerate(m)]
    return m, prior


def _global_prior(
    patterns: tuple[LevelArray, FloatArray],
    m: list[FloatArray],
    u: list[FloatArray],
    total_pairs: int,
    iterations: int,
) -> float:
    """Share of all record pairs that match; pairs no blocking key found count as non-matches."""
    levels, counts = patterns
    prior = max(float(counts.sum()) / max(total_pairs, 1), 1e-12) * 0.5
    for _ in range(iterations * 2):
        expected = float((_posterior(levels, m, u, prior) * counts).sum())
        prior = float(np.clip(expected / max(total_pairs, 1), 1e-12, 0.5))
    return prior


def _anchor(m: list[FloatArray], labelled: LabelledLevels) -> list[FloatArray]:
    anchored: list[FloatArray] = []
    for index, m_f in enumerate(m):
        column = labelled.levels[:, index]
        counts = np.bincount(column[column >= 0], minlength=len(m_f)).astype(np.float64)
        anchored.append((m_f * labelled.pseudo_count + counts) / (labelled.pseudo_count + counts.sum()))
    return anchored


def _patterns(levels: LevelArray, width: int) -> tuple[LevelArray, FloatArray]:
    shifted = levels.astype(np.int64) + 1
    code = np.zeros(len(levels), dtype=np.int64)
    for index in range(width):
        code = code * _RADIX + shifted[:, index]
    _, first, counts = np.unique(code, return_index=True, return_counts=True)
    return levels[first], counts.astype(np.float64)


def _posterior(patterns: LevelArray, m: list[FloatArray], u: list[FloatArray], prior: float) -> FloatArray:
    bits = np.full(len(patterns), np.log2(prior / (1 - prior)))
    for index, (m_f, u_f) in enumerate(zip(m, u, strict=True)):
        bits += level_bits(patterns[:, index], np.log2(m_f / u_f))
    posterior: FloatArray = 1.0 / (1.0 + np.exp2(-np.clip(bits, -60, 60)))
    return posterior


def _share(column: LevelArray, weight: FloatArray, size: int) -> FloatArray:
    present = column >= 0
    counts = np.bincount(column[present], weights=weight[present], minlength=size)
    share: FloatArray = (counts + 1e-3) / (counts.sum() + 1e-3 * size)
    return share


def level_bits(column: LevelArray, weights: FloatArray) -> FloatArray:
    """Weight of each pair's level; 0 where the level is missing (-1)."""
    return np.where(column >= 0, weights[np.maximum(column, 0)], 0.0)
