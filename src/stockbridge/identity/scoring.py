"""Score candidate pairs with a fitted `MatchModel`, term frequencies included.

Owns the arithmetic from comparison levels to match weight (bits) and probability,
field by field, so that `explain` can show exactly the same per-field contributions.
"""

from __future__ import annotations

import numpy as np

from stockbridge.identity.columns import Columns, IntArray
from stockbridge.identity.compare import FloatArray, LevelArray
from stockbridge.identity.fellegi_sunter import TF_CLIP_BITS, MatchModel, level_bits


def field_contributions(
    model: MatchModel, columns: Columns, levels: LevelArray, left: IntArray, right: IntArray
) -> FloatArray:
    """Bits per pair and field (pairs × fields), term-frequency adjusted on exact agreement."""
    result = np.empty((len(levels), len(model.fields)), dtype=np.float64)
    for index, field in enumerate(model.fields):
        column = levels[:, index]
        bits = level_bits(column, field.weights())
        conditioned = np.zeros(len(levels), dtype=bool)
        for conditional in (c for c in model.conditionals if c.field == index):
            applies = np.isin(levels[:, conditional.given], conditional.given_levels)
            applies &= np.isin(levels[:, conditional.proxy], conditional.proxy_levels)
            if conditional.affects:
                applies &= np.isin(column, conditional.affects)
            weights = np.log2(np.asarray(field.m) / np.asarray(conditional.u))
            bits = np.where(applies, level_bits(column, weights), bits)
            conditioned |= applies
        if field.tf_column is not None:
            # Inside a household a rare surname is no surprise: no frequency bonus there.
            adjustment = _tf_adjustment(columns, field.tf_column, field.u[0], column, left, right)
            bits += np.where(conditioned, np.minimum(adjustment, 0.0), adjustment)
        result[:, index] = bits
    return result


def _tf_adjustment(
    columns: Columns, tf_column: str, u_exact: float, column: LevelArray, left: IntArray, right: IntArray
) -> FloatArray:
    exact = column == 0
    frequency = np.maximum(columns.frequency(tf_column, columns.codes[tf_column][left]), 1e-9)
    adjustment = np.clip(np.log2(u_exact / frequency), -TF_CLIP_BITS, TF_CLIP_BITS)
    agree = exact & (columns.codes[tf_column][left] == columns.codes[tf_column][right])
    return np.where(agree, adjustment, 0.0)


def total_bits(model: MatchModel, contributions: FloatArray) -> FloatArray:
    """Prior plus the sum of field contributions."""
    bits: FloatArray = model.prior_bits + contributions.sum(axis=1)
    return bits


def probability(bits: FloatArray) -> FloatArray:
    """Match probability from match weight in bits."""
    chance: FloatArray = 1.0 / (1.0 + np.exp2(-np.clip(bits, -60, 60)))
    return chance


def score_pairs(
    model: MatchModel, columns: Columns, levels: LevelArray, left: IntArray, right: IntArray
) -> FloatArray:
    """Match probability of each pair."""
    return probability(total_bits(model, field_contributions(model, columns, levels, left, right)))
