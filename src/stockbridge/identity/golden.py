"""Golden record per cluster, by survivorship rules, with links to every source record.

Owns the rules: the most recent address wins; the most complete name wins; every e-mail
and phone is kept as an alias (originals, de-duplicated on their canonical form);
marketing consent is granted only if every record that states it grants it, so a merge
never widens consent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from stockbridge.identity.normalise_email import normalise_email
from stockbridge.identity.normalise_phone import normalise_phone
from stockbridge.identity.records import CustomerRecord


@dataclass(frozen=True)
class SourceLink:
    """A record that contributed to a golden record."""

    record_id: str
    source: str


@dataclass(frozen=True)
class GoldenRecord:
    """The surviving view of one customer."""

    cluster_id: str
    first_name: str
    last_name: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    street: str
    city: str
    postcode: str
    region: str
    country: str
    date_of_birth: str
    marketing_consent: bool | None
    sources: tuple[SourceLink, ...]


def build_golden_record(
    cluster_id: str, records: Sequence[CustomerRecord], default_country: str = "GB"
) -> GoldenRecord:
    """Apply survivorship to the records of one cluster (at least one)."""
    if not records:
        raise ValueError("a golden record needs at least one source record")
    newest_first = sorted(records, key=lambda r: r.updated_at, reverse=True)
    named = max(newest_first, key=_name_completeness)
    housed = next((r for r in newest_first if r.street or r.postcode), newest_first[0])
    return GoldenRecord(
        cluster_id=cluster_id,
        first_name=named.first_name.strip(),
        last_name=named.last_name.strip(),
        emails=_aliases([r.email for r in newest_first], lambda e: normalise_email(e).canonical or e.lower()),
        phones=_aliases([r.phone for r in newest_first], lambda p: normalise_phone(p, default_country) or p),
        street=housed.street,
        city=housed.city,
        postcode=housed.postcode,
        region=housed.region,
        country=housed.country or next((r.country for r in newest_first if r.country), ""),
        date_of_birth=next((r.date_of_birth for r in newest_first if r.date_of_birth), ""),
        marketing_consent=merged_consent([r.marketing_consent for r in records]),
        sources=tuple(SourceLink(r.id, r.source) for r in records),
    )


def _name_completeness(record: CustomerRecord) -> tuple[int, int]:
    first = record.first_name.strip().rstrip(".")
    return (int(len(first) > 1) + int(bool(record.last_name.strip())), len(first) + len(record.last_name))


def _aliases(values: Sequence[str], canonical: Callable[[str], str]) -> tuple[str, ...]:
    seen: set[str] = set()
    kept: list[str] = []
    for value in (v.strip() for v in values if v and v.strip()):
        key = canonical(value)
        if key not in seen:
            seen.add(key)
            kept.append(value)
    return tuple(kept)


def merged_consent(consents: Sequence[bool | None]) -> bool | None:
    """True only if every record says True; False if any says False; otherwise unknown."""
    if any(consent is False for consent in consents):
        return False
    if consents and all(consent is True for consent in consents):
        return True
    return None
