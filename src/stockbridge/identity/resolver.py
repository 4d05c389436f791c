"""The library entry point: records in, clusters (people) and scored pairs out.

Owns the pipeline order — normalise, block, compare, learn weights, score, cluster — and
the configuration of each step. Input parsing and output writing live in `csv_io`,
persistence of merge decisions in `merges` and `store`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from stockbridge.identity.blocking import BlockingPlan, candidate_pairs
from stockbridge.identity.cluster import ClusterPlan, cluster_records
from stockbridge.identity.columns import Columns, IntArray, build_columns
from stockbridge.identity.compare import COMPARISONS, FloatArray, LevelArray, compare_pairs
from stockbridge.identity.fellegi_sunter import (
    Dependency,
    LabelledLevels,
    MatchModel,
    TrainingSession,
    estimate_u,
    fit_model,
)
from stockbridge.identity.normalise import StoreContext, normalise_record
from stockbridge.identity.records import CustomerRecord
from stockbridge.identity.scoring import score_pairs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ResolverConfig:
    """Knobs of the pipeline; the defaults suit shop customer data."""

    threshold: float = 0.5
    default_country: str = "GB"
    blocking: BlockingPlan = field(default_factory=BlockingPlan)
    max_component: int = 120
    u_sample_pairs: int = 1_000_000
    em_iterations: int = 40
    seed: int = 0


@dataclass(frozen=True)
class LabelledPair:
    """A pair of record ids a person has judged: same customer or not."""

    left_id: str
    right_id: str
    is_match: bool


@dataclass(frozen=True)
class Resolution:
    """Cluster label per record, the candidate pairs with their scores, and the model."""

    ids: list[str]
    cluster_of: IntArray
    left: IntArray
    right: IntArray
    levels: LevelArray
    probability: FloatArray
    model: MatchModel
    columns: Columns

    def cluster_ids(self) -> list[str]:
        """For each record, the id of the first record of its cluster."""
        return [self.ids[int(label)] for label in self.cluster_of]


def resolve(
    records: Sequence[CustomerRecord],
    today: date,
    config: ResolverConfig | None = None,
    labelled: Sequence[LabelledPair] = (),
) -> Resolution:
    """Resolve `records` into clusters of the same customer."""
    config = config or ResolverConfig()
    context = StoreContext(config.default_country, today)
    columns = build_columns([normalise_record(record, context) for record in records])
    left, right = candidate_pairs(columns, config.blocking)
    levels = compare_pairs(columns, left, right)
    model = _fit(columns, levels, left, right, config, [r.id for r in records], labelled)
    probability = score_pairs(model, columns, levels, left, right)

    def scorer(a: IntArray, b: IntArray) -> FloatArray:
        return score_pairs(model, columns, compare_pairs(columns, a, b), a, b)

    plan = ClusterPlan(config.threshold, config.max_component)
    cluster_of = cluster_records(columns.size, left, right, probability, scorer, plan)
    log.info(
        "resolved customers",
        extra={
            "records": columns.size,
            "candidate_pairs": len(left),
            "prior": model.prior,
            "clusters": len(np.unique(cluster_of)),
        },
    )
    return Resolution([r.id for r in records], cluster_of, left, right, levels, probability, model, columns)


TRAINING_KEYS: tuple[tuple[tuple[str, ...], frozenset[int]], ...] = (
    (("email",), frozenset({2})),
    (("phone",), frozenset({0, 3})),
    (("first_canonical", "last_name"), frozenset({0, 1})),
    (("postcode", "street_number"), frozenset({0, 1, 4})),
)


def _household(field: int, also_when: tuple[int, ...] = (-1, 4)) -> Dependency:
    """Same address, first names differ (or one is missing): `field` read among households."""
    return Dependency(
        field=field, given=4, given_levels=(0, 1, 2), proxy=0, proxy_level=5, also_when=also_when
    )


DEPENDENCIES: tuple[Dependency, ...] = (
    # Household members share an address and often a surname, a landline or a family e-mail.
    _household(1, also_when=(-1, 3, 4)),
    _household(2),
    _household(3),
    # E-mail local parts are made of names: with the surname shared, "jsmith@" on two
    # domains says little; read off same-surname pairs living at different addresses.
    Dependency(field=2, given=1, given_levels=(0,), proxy=4, proxy_level=4, affects=(1, 2), also_when=(-1,)),
    # Same surname, different first name: a shared phone is likely a family line.
    Dependency(field=3, given=1, given_levels=(0,), proxy=0, proxy_level=5),
)


def _fit(
    columns: Columns,
    levels: LevelArray,
    left: IntArray,
    right: IntArray,
    config: ResolverConfig,
    ids: list[str],
    labelled: Sequence[LabelledPair],
) -> MatchModel:
    # u needs many random pairs only when there are many records to draw them from.
    sample = min(config.u_sample_pairs, max(200_000, 20 * columns.size))
    a, b = random_pairs(columns.size, sample, config.seed)
    u = estimate_u(compare_pairs(columns, a, b), COMPARISONS)
    sessions = []
    for key, fixed in TRAINING_KEYS:
        mask = np.ones(len(left), dtype=bool)
        for name in key:
            codes = columns.codes[name]
            mask &= (codes[left] == codes[right]) & (codes[left] >= 0)
        if mask.any():
            sessions.append(TrainingSession(levels[mask], fixed))
    anchor = _labelled_levels(columns, ids, labelled)
    total = columns.size * (columns.size - 1) // 2
    return fit_model(sessions, levels, total, u, COMPARISONS, anchor, config.em_iterations, DEPENDENCIES)


def _labelled_levels(
    columns: Columns, ids: list[str], labelled: Sequence[LabelledPair]
) -> LabelledLevels | None:
    position = {record_id: index for index, record_id in enumerate(ids)}
    known = [p for p in labelled if p.is_match and p.left_id in position and p.right_id in position]
    if not known:
        return None
    la = np.array([position[p.left_id] for p in known], dtype=np.int64)
    lb = np.array([position[p.right_id] for p in known], dtype=np.int64)
    return LabelledLevels(compare_pairs(columns, la, lb))


def random_pairs(size: int, count: int, seed: int) -> tuple[IntArray, IntArray]:
    """Up to `count` distinct-record pairs drawn uniformly; all pairs when there are few."""
    if size < 2:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    if size * (size - 1) // 2 <= count:
        a, b = np.triu_indices(size, k=1)
        return a.astype(np.int64), b.astype(np.int64)
    rng = np.random.default_rng(seed)
    a = rng.integers(0, size, count, dtype=np.int64)
    b = rng.integers(0, size, count, dtype=np.int64)
    keep = a != b
    return a[keep], b[keep]
