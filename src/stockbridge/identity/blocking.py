"""Candidate pairs from several blocking keys, so work grows near-linearly with records.

Owns which pairs get compared. Each key groups records sharing a value (e-mail, phone,
name, address...); groups larger than `max_block` are ordered and only compared within a
sliding window, so one very common value cannot make the work quadratic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stockbridge.identity.columns import CodeArray, Columns, IntArray

DEFAULT_KEYS: tuple[tuple[str, ...], ...] = (
    ("email",),
    ("phone",),
    ("first_canonical", "last_name"),
    ("postcode", "street_number"),
    ("last_name", "postcode_outward"),
    ("first_canonical", "date_of_birth"),
    ("email_local",),
    ("first_canonical", "street_number", "city"),
    ("name_key",),
    ("street", "city"),
    ("last_name", "date_of_birth"),
    ("date_of_birth", "street_number"),
)


@dataclass(frozen=True)
class BlockingPlan:
    """Keys (tuples of column names) and the cap above which a block is windowed."""

    keys: tuple[tuple[str, ...], ...] = DEFAULT_KEYS
    max_block: int = 60
    window: int = 12


def candidate_pairs(columns: Columns, plan: BlockingPlan) -> tuple[IntArray, IntArray]:
    """Unique pairs (left < right) sharing at least one blocking key."""
    encoded: list[IntArray] = []
    for key in plan.keys:
        block_codes = _key_codes(columns, key)
        encoded.append(_pairs_for_key(block_codes, columns.codes["postcode"], plan))
    if not encoded:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    unique = np.unique(np.concatenate(encoded))
    return unique // columns.size, unique % columns.size


def _key_codes(columns: Columns, key: Sequence[str]) -> IntArray:
    combined = columns.codes[key[0]].astype(np.int64)
    missing = combined < 0
    for field in key[1:]:
        part = columns.codes[field].astype(np.int64)
        missing |= part < 0
        combined = combined * (int(part.max(initial=0)) + 1) + np.maximum(part, 0)
        _, combined = np.unique(combined, return_inverse=True)
    return np.where(missing, -1, combined).astype(np.int64)


def _pairs_for_key(block_codes: IntArray, secondary: CodeArray, plan: BlockingPlan) -> IntArray:
    present = np.flatnonzero(block_codes >= 0)
    order = present[np.lexsort((secondary[present], block_codes[present]))]
    sorted_codes = block_codes[order]
    size = np.int64(len(block_codes))
    chunks: list[IntArray] = []
    for offset in range(1, plan.window + 1):
        same = sorted_codes[offset:] == sorted_codes[:-offset]
        left, right = order[:-offset][same], order[offset:][same]
        chunks.append(np.minimum(left, right) * size + np.maximum(left, right))
    chunks.append(_small_block_pairs(order, sorted_codes, plan, size))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)


def _small_block_pairs(
    order: IntArray, sorted_codes: CodeArray | IntArray, plan: BlockingPlan, size: np.int64
) -> IntArray:
    """All pairs of blocks bigger than the window but within `max_block`."""
    if len(sorted_codes) == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
    lengths = np.diff(np.r_[starts, len(sorted_codes)])
    chosen = (lengths > plan.window + 1) & (lengths <= plan.max_block)
    chunks: list[IntArray] = []
    for start, length in zip(starts[chosen], lengths[chosen], strict=True):
        members = order[start : start + length]
        left, right = np.triu_indices(int(length), k=plan.window + 1)
        a, b = members[left], members[right]
        chunks.append(np.minimum(a, b) * size + np.maximum(a, b))
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int64)
