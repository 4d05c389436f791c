"""Column-wise view of normalised customers, with each field factorised to integer codes.

Owns the layout the vectorised blocking and comparison work on: one string list and one
`int32` code array per field, code -1 meaning missing. It knows nothing of matching rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from stockbridge.identity.records import NormalisedCustomer

COLUMNS: tuple[str, ...] = (
    "first_name",
    "first_canonical",
    "last_name",
    "email",
    "email_local",
    "phone",
    "street",
    "street_number",
    "city",
    "postcode",
    "postcode_outward",
    "country",
    "date_of_birth",
)
DERIVED: dict[str, tuple[str, int]] = {"first_initial": ("first_name", 1), "phone_tail": ("phone", -9)}

IntArray = npt.NDArray[np.int64]
CodeArray = npt.NDArray[np.int32]


@dataclass(frozen=True)
class Columns:
    """Strings and codes per field for `size` records."""

    size: int
    strings: dict[str, npt.NDArray[np.object_]]
    codes: dict[str, CodeArray]
    counts: dict[str, IntArray]
    first_name_length: IntArray

    def frequency(self, field: str, codes: CodeArray) -> npt.NDArray[np.float64]:
        """Share of records holding each given code of `field` (0 for missing)."""
        table = self.counts[field]
        safe = np.where(codes >= 0, codes, 0)
        return np.where(codes >= 0, table[safe] / max(self.size, 1), 0.0)


def build_columns(customers: Sequence[NormalisedCustomer]) -> Columns:
    """Factorise every comparable field of `customers`."""
    strings: dict[str, npt.NDArray[np.object_]] = {}
    codes: dict[str, CodeArray] = {}
    counts: dict[str, IntArray] = {}
    for field in COLUMNS:
        values = [getattr(customer, field) for customer in customers]
        strings[field] = np.array(values, dtype=object)
        codes[field], counts[field] = factorise(values)
    for field, (source, cut) in DERIVED.items():
        values = [value[:cut] if cut > 0 else value[cut:] for value in strings[source].tolist()]
        strings[field] = np.array(values, dtype=object)
        codes[field], counts[field] = factorise(values)
    firsts, lasts = strings["first_name"].tolist(), strings["last_name"].tolist()
    name_keys = [" ".join(sorted((f, s))) if f and s else "" for f, s in zip(firsts, lasts, strict=True)]
    strings["name_key"] = np.array(name_keys, dtype=object)
    codes["name_key"], counts["name_key"] = factorise(name_keys)
    domains = [value.rpartition("@")[2] for value in strings["email"].tolist()]
    strings["email_domain"] = np.array(domains, dtype=object)
    codes["email_domain"], counts["email_domain"] = factorise(domains)
    lengths = np.fromiter(
        (len(v) for v in strings["first_name"].tolist()), dtype=np.int64, count=len(customers)
    )
    return Columns(len(customers), strings, codes, counts, lengths)


def factorise(values: Sequence[str]) -> tuple[CodeArray, IntArray]:
    """Codes (-1 for "") and the number of records per code."""
    index: dict[str, int] = {}
    codes = np.fromiter(
        (index.setdefault(value, len(index)) if value else -1 for value in values),
        dtype=np.int32,
        count=len(values),
    )
    counts = np.bincount(codes[codes >= 0], minlength=len(index)).astype(np.int64)
    return codes, counts
