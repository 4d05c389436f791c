"""Turn a raw `CustomerRecord` into its comparable `NormalisedCustomer`.

Owns the composition of the field normalisers and the store context they need (default
country for phones and postcodes, the reference date for birth dates).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from stockbridge.identity.normalise_address import normalise_country, normalise_postcode, normalise_street
from stockbridge.identity.normalise_date import normalise_date_of_birth
from stockbridge.identity.normalise_email import normalise_email
from stockbridge.identity.normalise_name import normalise_family_name, normalise_given_name
from stockbridge.identity.normalise_phone import normalise_phone
from stockbridge.identity.normalise_text import fold
from stockbridge.identity.records import CustomerRecord, NormalisedCustomer

_MONTH_FIRST = frozenset({"US"})


@dataclass(frozen=True)
class StoreContext:
    """What a record alone does not say: the store's country and today's date."""

    default_country: str
    today: date


def normalise_record(record: CustomerRecord, context: StoreContext) -> NormalisedCustomer:
    """All comparable forms of one record."""
    country = normalise_country(record.country, context.default_country)
    given = normalise_given_name(record.first_name)
    email = normalise_email(record.email) if record.email else None
    street = normalise_street(record.street)
    postcode = normalise_postcode(record.postcode, country)
    dob = normalise_date_of_birth(record.date_of_birth, context.today, country in _MONTH_FIRST)
    return NormalisedCustomer(
        id=record.id,
        first_name=given.name,
        first_canonical=given.canonical,
        last_name=normalise_family_name(record.last_name),
        email=email.canonical if email else "",
        email_local=email.local if email else "",
        phone=normalise_phone(record.phone, country or "GB") if record.phone else "",
        street=street.line,
        street_number=street.number,
        city=fold(record.city),
        postcode=postcode.code,
        postcode_outward=postcode.outward,
        country=country,
        date_of_birth=dob if record.date_of_birth else "",
    )
