"""The second established baseline: Splink (DuckDB backend), set up as its tutorials show.

Splink is itself a Fellegi–Sunter implementation: u from random sampling, the prior from
deterministic rules, m by EM sessions on blocking rules, term-frequency adjustments on
names, clustering by connected components. It is fed the records after *our* normalisers
(ISO birth dates, E.164 phones, canonical e-mails), which can only help it. Reported at
the same 0.5 threshold as ours, and at the best of several thresholds picked in hindsight.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

from stockbridge.identity.evaluation import pair_scores
from stockbridge.identity.normalise import StoreContext, normalise_record
from stockbridge.identity.records import CustomerRecord

FIELDS = ("first_name", "last_name", "email", "phone", "street", "city", "postcode", "date_of_birth")
THRESHOLDS = (0.1, 0.2, 0.3, 0.5, 0.8, 0.9, 0.95, 0.99)


@dataclass(frozen=True)
class SplinkResult:
    labels_at_half: list[int]
    best_labels: list[int]
    best_threshold: float


def _frame(records: Sequence[CustomerRecord], country: str) -> pd.DataFrame:
    context = StoreContext(country, date(2026, 11, 25))
    rows = [normalise_record(r, context) for r in records]
    data = {field: [getattr(r, field) or None for r in rows] for field in FIELDS}
    return pd.DataFrame({"unique_id": list(range(len(rows))), **data})


def _present(df: pd.DataFrame, *columns: str) -> bool:
    return all(df[c].notna().sum() > 10 for c in columns)


def _settings(df: pd.DataFrame) -> SettingsCreator:
    keys = [
        ("email",),
        ("phone",),
        ("first_name", "last_name"),
        ("postcode", "last_name"),
        ("date_of_birth", "last_name"),
        ("street", "city"),
    ]
    comparisons = [
        cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
        cl.NameComparison("last_name").configure(term_frequency_adjustments=True),
        cl.JaroWinklerAtThresholds("street", [0.95, 0.88]),
        cl.ExactMatch("postcode").configure(term_frequency_adjustments=True),
        cl.ExactMatch("city").configure(term_frequency_adjustments=True),
    ]
    if _present(df, "email"):
        comparisons.append(cl.EmailComparison("email"))
    if _present(df, "phone"):
        comparisons.append(cl.ExactMatch("phone"))
    if _present(df, "date_of_birth"):
        comparisons.append(cl.DateOfBirthComparison("date_of_birth", input_is_string=True))
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=[block_on(*k) for k in keys if _present(df, *k)],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def run_splink(records: Sequence[CustomerRecord], truth: Sequence[str], country: str) -> SplinkResult:
    df = _frame(records, country)
    db_api = DuckDBAPI()
    linker = Linker(db_api.register(df), _settings(df), log_level=logging.WARNING)
    deterministic = (
        [block_on("first_name", "last_name", "email")]
        if _present(df, "email")
        else [block_on("first_name", "last_name", "date_of_birth")]
    )
    linker.training.estimate_probability_two_random_records_match(deterministic, recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6)
    for key in (("first_name", "last_name"), ("email",), ("postcode",), ("date_of_birth",)):
        if _present(df, *key):
            linker.training.estimate_parameters_using_expectation_maximisation(block_on(*key))
    predictions = linker.inference.predict(threshold_match_probability=0.05)
    labelled: dict[float, list[int]] = {}
    for threshold in THRESHOLDS:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, threshold)
        frame = clusters.as_pandas_dataframe().sort_values("unique_id")
        codes = pd.factorize(frame["cluster_id"])[0]
        labelled[threshold] = codes.tolist()
    best = max(THRESHOLDS, key=lambda t: pair_scores(labelled[t], truth).f1)
    return SplinkResult(labelled[0.5], labelled[best], best)
