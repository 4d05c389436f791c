"""Graded field comparisons of record pairs, vectorised over arrays of pairs.

Owns the comparison levels (exact, nickname, typo, initial, ...) of each field and how a
pair is put on a level. Level -1 means a value is missing on one side; it carries no
evidence. Weights for levels are learned in `fellegi_sunter`, not set here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from stockbridge.identity.columns import Columns, IntArray

LevelArray = npt.NDArray[np.int8]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Comparison:
    """One field comparison: its level labels and the column used for term frequencies."""

    name: str
    labels: tuple[str, ...]
    levels: Callable[[Columns, IntArray, IntArray], LevelArray]
    tf_column: str | None = None


def _similarity(
    columns: Columns,
    field: str,
    left: IntArray,
    right: IntArray,
    scorer: Callable[..., float] = JaroWinkler.normalized_similarity,
) -> FloatArray:
    """Similarity in [0, 1] for each pair, computed once per distinct pair of values."""
    codes = columns.codes[field]
    a, b = codes[left].astype(np.int64), codes[right].astype(np.int64)
    result = np.where(a == b, 1.0, 0.0)
    todo = np.flatnonzero((a != b) & (a >= 0) & (b >= 0))
    if len(todo) == 0:
        return result
    key = np.minimum(a[todo], b[todo]) * (int(codes.max()) + 1) + np.maximum(a[todo], b[todo])
    unique, first, inverse = np.unique(key, return_index=True, return_inverse=True)
    strings = columns.strings[field]
    queries = strings[left[todo][first]].tolist()
    choices = strings[right[todo][first]].tolist()
    scores = cpdist(queries, choices, scorer=scorer, workers=-1, dtype=np.float64)
    result[todo] = np.asarray(scores, dtype=np.float64)[inverse.reshape(-1)]
    del unique
    return result


def _missing(columns: Columns, field: str, left: IntArray, right: IntArray) -> npt.NDArray[np.bool_]:
    codes = columns.codes[field]
    missing: npt.NDArray[np.bool_] = (codes[left] < 0) | (codes[right] < 0)
    return missing


def _equal(columns: Columns, field: str, left: IntArray, right: IntArray) -> npt.NDArray[np.bool_]:
    codes = columns.codes[field]
    equal: npt.NDArray[np.bool_] = (codes[left] == codes[right]) & (codes[left] >= 0)
    return equal


def _select(missing: npt.NDArray[np.bool_], conditions: list[npt.NDArray[np.bool_]]) -> LevelArray:
    """First true condition's index; len(conditions) when none holds; -1 when missing."""
    levels = np.select(conditions, list(range(len(conditions))), default=len(conditions))
    return np.where(missing, -1, levels).astype(np.int8)


def _swapped(columns: Columns, left: IntArray, right: IntArray) -> npt.NDArray[np.bool_]:
    """Given and family name entered the other way round on one side."""
    first, last = columns.strings["first_name"], columns.strings["last_name"]
    swapped: npt.NDArray[np.bool_] = (
        _equal(columns, "name_key", left, right)
        & (first[left] != first[right])
        & (first[left] == last[right])
    )
    return swapped


def first_name_levels(columns: Columns, left: IntArray, right: IntArray) -> LevelArray:
    similarity = np.where(
        _swapped(columns, left, right), 1.0, _similarity(columns, "first_name", left, right)
    )
    lengths = columns.first_name_length
    initial = ((lengths[left] == 1) | (lengths[right] == 1)) & _equal(columns, "first_initial", left, right)
    return _select(
        _missing(columns, "first_name", left, right),
        [
            similarity == 1.0,
            _equal(columns, "first_canonical", left, right),
            similarity >= 0.92,
            initial,
            similarity >= 0.8,
        ],
    )


def last_name_levels(columns: Columns, left: IntArray, right: IntArray) -> LevelArray:
    similarity = np.where(_swapped(columns, left, right), 1.0, _similarity(columns, "last_name", left, right))
    return _select(
        _missing(columns, "last_name", left, right),
        [
            similarity == 1.0,
            similarity >= 0.92,
            similarity >= 0.84,
        ],
    )


def email_levels(columns: Columns, left: IntArray, right: IntArray) -> LevelArray:
    local = _similarity(columns, "email_local", left, right)
    same_domain = _equal(columns, "email_domain", left, right)
    return _select(
        _missing(columns, "email", left, right),
        [
            _equal(columns, "email", left, right),
            local == 1.0,
            same_domain & (local >= 0.9),
        ],
    )


def phone_levels(columns: Columns, left: IntArray, right: IntArray) -> LevelArray:
    edits = _similarity(columns, "phone", left, right, Levenshtein.normalized_similarity)
    return _select(
        _missing(columns, "phone", left, right),
        [
            _equal(columns, "phone", left, right),
            _equal(columns, "phone_tail", left, right),
            edits >= 0.9,
        ],
    )


def address_levels(columns: Columns, left: IntArray, right: IntArray) -> LevelArray:
    street = _similarity(columns, "street", left, right)
    number = _equal(columns, "street_number", left, right)
    postcode = _equal(columns, "postcode", left, right)
    postcode_missing = _missing(columns, "postcode", left, right)
    area = _equal(columns, "postcode_outward", left, right) | _equal(columns, "city", left, right)
    missing = _missing(columns, "street", left, right) & postcode_missing
    near_postcode = postcode | postcode_missing | _equal(columns, "postcode_outward", left, right)
    return _select(
        missing,
        [
            (street == 1.0) & (postcode | postcode_missing),
            number & (street >= 0.88) & near_postcode,
            postcode,
            area,
        ],
    )


def date_of_birth_levels(columns: Columns, left: IntArray, right: IntArray) -> LevelArray:
    edits = _similarity(columns, "date_of_birth", left, right, Levenshtein.normalized_similarity)
    return _select(_missing(columns, "date_of_birth", left, right), [edits == 1.0, edits >= 0.8])


COMPARISONS: tuple[Comparison, ...] = (
    Comparison(
        "first_name",
        ("exact", "nickname", "typo", "initial", "similar", "different"),
        first_name_levels,
        "first_name",
    ),
    Comparison("last_name", ("exact", "typo", "similar", "different"), last_name_levels, "last_name"),
    Comparison(
        "email", ("exact", "same local part", "similar local part, same domain", "different"), email_levels
    ),
    Comparison("phone", ("exact", "same national number", "one digit off", "different"), phone_levels),
    Comparison(
        "address",
        ("same street and postcode", "street typo", "same postcode", "same area", "different"),
        address_levels,
        "street",
    ),
    Comparison("date_of_birth", ("exact", "one digit off", "different"), date_of_birth_levels),
)


def compare_pairs(
    columns: Columns, left: IntArray, right: IntArray, comparisons: tuple[Comparison, ...] = COMPARISONS
) -> LevelArray:
    """Level matrix: one row per pair, one column per comparison."""
    matrix = np.empty((len(left), len(comparisons)), dtype=np.int8)
    for index, comparison in enumerate(comparisons):
        matrix[:, index] = comparison.levels(columns, left, right)
    return matrix
