"""CSV in and out for the CLI: customers in, `id,cluster_id` and explanations out.

Owns file formats. Unknown columns are ignored and missing ones allowed; a malformed row
(no id, a repeated id, too many cells, an unreadable consent flag) is reported with its
line number and skipped, never aborting the run.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from stockbridge.identity.explain import PairExplanation
from stockbridge.identity.records import FIELDS, CustomerRecord

_CONSENT = {
    "true": True,
    "yes": True,
    "1": True,
    "y": True,
    "false": False,
    "no": False,
    "0": False,
    "n": False,
}


@dataclass(frozen=True)
class RowProblem:
    """A skipped input row and why."""

    line: int
    message: str


def read_customers(handle: TextIO) -> tuple[list[CustomerRecord], list[RowProblem]]:
    """Records and problems from a CSV with an `id` column and any of the known fields."""
    reader = csv.DictReader(handle, restkey="__extra__")
    if reader.fieldnames is None or "id" not in [f.strip() for f in reader.fieldnames]:
        return [], [RowProblem(1, "header has no 'id' column")]
    records: list[CustomerRecord] = []
    problems: list[RowProblem] = []
    seen: set[str] = set()
    for row in reader:
        line = reader.line_num
        record, problem = _record(row, seen)
        if problem:
            problems.append(RowProblem(line, problem))
        elif record is not None:
            seen.add(record.id)
            records.append(record)
    return records, problems


def _record(row: dict[str | None, object], seen: set[str]) -> tuple[CustomerRecord | None, str]:
    if row.get("__extra__"):
        return None, "more cells than header columns"
    cells = {str(k).strip(): (v if isinstance(v, str) else "") for k, v in row.items() if k is not None}
    record_id = cells.get("id", "").strip()
    if not record_id:
        return None, "missing id"
    if record_id in seen:
        return None, f"duplicate id {record_id!r}"
    consent_text = cells.get("marketing_consent", "").strip().lower()
    if consent_text and consent_text not in _CONSENT:
        return None, f"unreadable marketing_consent {consent_text!r}"
    values = {field: cells.get(field, "").strip() for field in FIELDS}
    return CustomerRecord(id=record_id, marketing_consent=_CONSENT.get(consent_text), **values), ""


def load_customers(path: Path) -> tuple[list[CustomerRecord], list[RowProblem]]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as handle:
        return read_customers(handle)


def write_clusters(path: Path, ids: Sequence[str], cluster_ids: Sequence[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "cluster_id"])
        writer.writerows(zip(ids, cluster_ids, strict=True))


def write_explanations(path: Path, explanations: Iterable[PairExplanation]) -> None:
    """One row per pair and field: the per-field contributions behind each decision."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "left_id",
                "right_id",
                "decision",
                "same_cluster",
                "probability",
                "match_weight",
                "prior_bits",
                "field",
                "level",
                "bits",
                "left_value",
                "right_value",
            ]
        )
        for item in explanations:
            decision = "match" if item.is_match else "non-match"
            for part in item.contributions:
                writer.writerow(
                    [
                        item.left_id,
                        item.right_id,
                        decision,
                        item.same_cluster,
                        f"{item.probability:.6f}",
                        item.match_weight,
                        item.prior_bits,
                        part.field,
                        part.level,
                        part.bits,
                        part.left_value,
                        part.right_value,
                    ]
                )


def write_customers(
    path: Path, records: Iterable[CustomerRecord], truth: Sequence[str] | None = None
) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", *FIELDS, "marketing_consent", *(["entity"] if truth is not None else [])])
        for index, record in enumerate(records):
            consent = "" if record.marketing_consent is None else str(record.marketing_consent).lower()
            extra = [truth[index]] if truth is not None else []
            writer.writerow([record.id, *(getattr(record, f) for f in FIELDS), consent, *extra])
