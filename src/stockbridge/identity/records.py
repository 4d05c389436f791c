"""Customer records as the resolver sees them: raw input and normalised values.

Owns the two value types that flow through the pipeline. It does not parse files (see
`csv_io`) nor decide matches (see `compare` and `fellegi_sunter`).
"""

from __future__ import annotations

from dataclasses import dataclass

FIELDS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "street",
    "city",
    "postcode",
    "region",
    "country",
    "date_of_birth",
    "source",
    "updated_at",
)


@dataclass(frozen=True)
class CustomerRecord:
    """One customer as a store holds it; every field is optional text."""

    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    street: str = ""
    city: str = ""
    postcode: str = ""
    region: str = ""
    country: str = ""
    date_of_birth: str = ""
    source: str = ""
    updated_at: str = ""
    marketing_consent: bool | None = None


@dataclass(frozen=True)
class NormalisedCustomer:
    """Comparable forms of one record; empty string means missing."""

    id: str
    first_name: str
    first_canonical: str
    last_name: str
    email: str
    email_local: str
    phone: str
    street: str
    street_number: str
    city: str
    postcode: str
    postcode_outward: str
    country: str
    date_of_birth: str
