"""The established-library baseline: the `recordlinkage` toolkit, used the way its docs show.

Indexing is the union of several exact blocks (like ours), comparison is per field
(Jaro-Winkler for strings, exact otherwise), and classification is its unsupervised
ECM (Fellegi–Sunter with EM on binary features). We also report its documented
"sum of agreeing features >= k" rule with k picked *in hindsight on the truth* — an
upper bound that flatters the baseline. Predicted pairs are turned into clusters by
transitive closure (connected components).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import recordlinkage as rl
from recordlinkage.preprocessing import clean

from stockbridge.identity.cluster import connected_components
from stockbridge.identity.normalise import StoreContext, normalise_record
from stockbridge.identity.records import CustomerRecord

BLOCKS: tuple[tuple[str, ...], ...] = (
    ("email",),
    ("phone",),
    ("first_name", "last_name"),
    ("postcode", "last_name"),
    ("date_of_birth", "last_name"),
)


@dataclass(frozen=True)
class BaselineResult:
    """Cluster labels after closure, for ECM and for the hindsight-tuned sum rule."""

    ecm_labels: list[int]
    ecm_pair_predictions: tuple[np.ndarray, np.ndarray]
    rule_labels: list[int]
    rule_k: int
    candidate_pairs: int


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)[-9:]


def frame(records: Sequence[CustomerRecord]) -> pd.DataFrame:
    """The records prepared with recordlinkage's own `clean` plus trivial e-mail/phone folding."""
    df = pd.DataFrame([vars(r) for r in records])
    for column in ("first_name", "last_name", "street", "city"):
        df[column] = clean(df[column].fillna(""))
    df["email"] = df["email"].str.strip().str.lower()
    df["phone"] = df["phone"].map(_digits)
    df["postcode"] = df["postcode"].str.upper().str.replace(r"\s+", "", regex=True)
    df["date_of_birth"] = df["date_of_birth"].str.strip()
    return df.where(df != "", np.nan).reset_index(drop=True)


def normalised_frame(records: Sequence[CustomerRecord], country: str) -> pd.DataFrame:
    """The records after *our* normalisers, to compare matching alone on equal input."""
    context = StoreContext(country, date(2026, 11, 25))
    rows = [normalise_record(r, context) for r in records]
    df = pd.DataFrame(
        {
            "first_name": [r.first_name for r in rows],
            "last_name": [r.last_name for r in rows],
            "email": [r.email for r in rows],
            "phone": [r.phone for r in rows],
            "street": [r.street for r in rows],
            "city": [r.city for r in rows],
            "postcode": [r.postcode for r in rows],
            "date_of_birth": [r.date_of_birth for r in rows],
        }
    )
    return df.where(df != "", np.nan).reset_index(drop=True)


def run_baseline(
    records: Sequence[CustomerRecord],
    truth: Sequence[str] | None = None,
    our_normalisation: bool = False,
    country: str = "GB",
) -> BaselineResult:
    df = normalised_frame(records, country) if our_normalisation else frame(records)
    indexer = rl.Index()
    for block in BLOCKS:
        indexer.add(rl.index.Block(list(block)))
    pairs = indexer.index(df)
    compare = rl.Compare()
    compare.string("first_name", "first_name", method="jarowinkler", threshold=0.85, label="first_name")
    compare.string("last_name", "last_name", method="jarowinkler", threshold=0.85, label="last_name")
    compare.exact("email", "email", label="email")
    compare.exact("phone", "phone", label="phone")
    compare.string("street", "street", method="jarowinkler", threshold=0.85, label="street")
    compare.exact("postcode", "postcode", label="postcode")
    compare.exact("date_of_birth", "date_of_birth", label="date_of_birth")
    features = compare.compute(pairs, df)
    ecm = rl.ECMClassifier(binarize=None)
    matches = ecm.fit_predict(features)
    left, right = _positions(matches)
    ecm_labels = connected_components(len(df), left, right).tolist()
    rule_k, rule_labels = _best_rule(features, len(df), truth)
    return BaselineResult(ecm_labels, (left, right), rule_labels, rule_k, len(pairs))


def _positions(index: pd.MultiIndex) -> tuple[np.ndarray, np.ndarray]:
    if len(index) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty
    return index.get_level_values(0).to_numpy(np.int64), index.get_level_values(1).to_numpy(np.int64)


def _best_rule(features: pd.DataFrame, size: int, truth: Sequence[str] | None) -> tuple[int, list[int]]:
    from stockbridge.identity.evaluation import pair_scores

    totals = features.sum(axis=1)
    best: tuple[float, int, list[int]] = (-1.0, 0, list(range(size)))
    for k in range(2, features.shape[1] + 1):
        left, right = _positions(totals[totals >= k].index)
        labels = connected_components(size, left, right).tolist()
        f1 = pair_scores(labels, truth).f1 if truth is not None else 0.0
        if f1 > best[0]:
            best = (f1, k, labels)
    return best[1], best[2]
