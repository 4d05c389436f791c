"""Per-field explanations of match decisions: which field added or removed how much.

Owns the readable account of a pair's score — level, values compared and contribution in
bits per field, plus prior and total — for every match and every non-match near the
threshold. The numbers are the very ones `scoring` used to decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stockbridge.identity.columns import IntArray
from stockbridge.identity.compare import compare_pairs
from stockbridge.identity.resolver import Resolution
from stockbridge.identity.scoring import field_contributions, probability

_SHOWN: dict[str, tuple[str, ...]] = {
    "first_name": ("first_name",),
    "last_name": ("last_name",),
    "email": ("email",),
    "phone": ("phone",),
    "address": ("street", "postcode"),
    "date_of_birth": ("date_of_birth",),
}


@dataclass(frozen=True)
class FieldContribution:
    """One field's level, the normalised values compared, and its weight in bits."""

    field: str
    level: str
    bits: float
    left_value: str
    right_value: str


@dataclass(frozen=True)
class PairExplanation:
    """Why two records were (or were not) judged the same customer."""

    left_id: str
    right_id: str
    probability: float
    match_weight: float
    prior_bits: float
    is_match: bool
    same_cluster: bool
    contributions: tuple[FieldContribution, ...]


def explain_indices(
    resolution: Resolution, left: IntArray, right: IntArray, threshold: float
) -> list[PairExplanation]:
    """Explanations for the record pairs (by position) `left[i]`, `right[i]`."""
    model, columns = resolution.model, resolution.columns
    levels = compare_pairs(columns, left, right)
    bits = field_contributions(model, columns, levels, left, right)
    totals = model.prior_bits + bits.sum(axis=1)
    chances = probability(totals)
    result: list[PairExplanation] = []
    for row, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        parts = []
        for index, field in enumerate(model.fields):
            level = int(levels[row, index])
            names = _SHOWN.get(field.name, (field.name,))
            parts.append(
                FieldContribution(
                    field.name,
                    "missing" if level < 0 else field.labels[level],
                    round(float(bits[row, index]), 3),
                    " ".join(str(columns.strings[n][a]) for n in names).strip(),
                    " ".join(str(columns.strings[n][b]) for n in names).strip(),
                )
            )
        result.append(
            PairExplanation(
                resolution.ids[a],
                resolution.ids[b],
                float(chances[row]),
                round(float(totals[row]), 3),
                round(model.prior_bits, 3),
                bool(chances[row] >= threshold),
                bool(resolution.cluster_of[a] == resolution.cluster_of[b]),
                tuple(parts),
            )
        )
    return result


def explain_pair(resolution: Resolution, left_id: str, right_id: str, threshold: float) -> PairExplanation:
    """Explanation of two records by id; raises KeyError when an id is unknown."""
    position = {record_id: index for index, record_id in enumerate(resolution.ids)}
    a = np.array([position[left_id]], dtype=np.int64)
    b = np.array([position[right_id]], dtype=np.int64)
    return explain_indices(resolution, a, b, threshold)[0]


def explain_near_threshold(
    resolution: Resolution,
    threshold: float,
    margin_bits: float = 6.0,
) -> list[PairExplanation]:
    """Every candidate pair judged a match, and every non-match within `margin_bits` of it."""
    threshold_bits = float(np.log2(threshold / (1.0 - threshold)))
    chances = np.clip(resolution.probability, 1e-300, 1 - 1e-16)
    bits = np.log2(chances / (1.0 - chances))
    chosen = np.flatnonzero(bits >= threshold_bits - margin_bits)
    return explain_indices(resolution, resolution.left[chosen], resolution.right[chosen], threshold)
