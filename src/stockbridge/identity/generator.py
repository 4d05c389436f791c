"""Realistic shop-customer records with known truth, for tests and benchmarks.

Owns how stores write people down: nicknames, typos, initials, e-mail variants (case,
dots, `+tags`, googlemail, domain typos, a second address), phone formats, moved
addresses, abbreviations, missing fields. Households and common names supply the hard
negatives. Deterministic for a seed.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stockbridge.identity import generator_data as data
from stockbridge.identity.generator_people import Address, PeopleFactory, Person
from stockbridge.identity.nicknames import NICKNAMES
from stockbridge.identity.records import CustomerRecord

_VARIANTS: dict[str, list[str]] = {}
for _nick, _canon in NICKNAMES.items():
    _VARIANTS.setdefault(_canon, []).append(_nick)
_SOURCES = {"GB": ("shopify-uk", "amazon-uk", "ebay-uk"), "US": ("shopify-us", "amazon-us", "woo-us")}
_EPOCH = datetime(2019, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class GeneratedData:
    """Records and, aligned with them, the entity each one truly belongs to."""

    records: list[CustomerRecord]
    entities: list[str]


def generate_customers(count: int, seed: int = 0) -> GeneratedData:
    """About `count` records of people who appear one to five times each."""
    rng = random.Random(seed)
    factory = PeopleFactory(rng)
    records: list[CustomerRecord] = []
    entities: list[str] = []
    next_entity = 0
    while len(records) < count:
        country = "GB" if rng.random() < 0.65 else "US"
        people = (
            factory.household(next_entity, country)
            if rng.random() < 0.25
            else [factory.person(f"p{next_entity}", country)]
        )
        next_entity += len(people)
        for person in people:
            copies = rng.choices((1, 2, 3, 4, 5), weights=(50, 28, 13, 6, 3))[0]
            for copy in range(copies):
                records.append(_record(rng, person, f"r{len(records)}", copy))
                entities.append(person.entity)
    return GeneratedData(records[:count], entities[:count])


def _record(rng: random.Random, person: Person, record_id: str, copy: int) -> CustomerRecord:
    moved = copy > 0 and rng.random() < 0.15
    address = person.addresses[1 if moved else 0]
    has_address = rng.random() > 0.08
    updated = _EPOCH + timedelta(days=rng.randint(0, 500) + (0 if moved else 900))
    return CustomerRecord(
        id=record_id,
        first_name=_maybe(rng, 0.02, _first_name(rng, person.first)),
        last_name=_maybe(rng, 0.02, _case(rng, _typo(rng, person.last, 0.04))),
        email=_email(rng, person),
        phone=_phone(rng, person),
        street=_street(rng, address) if has_address else "",
        city=_maybe(rng, 0.1, _case(rng, address.town)) if has_address else "",
        postcode=_postcode(rng, address) if has_address else "",
        region=address.region if has_address else "",
        country=_maybe(rng, 0.05, rng.choice(_COUNTRY_SPELLINGS[address.country])),
        date_of_birth=_dob(rng, person),
        source=rng.choice(_SOURCES[person.country]),
        updated_at=updated.isoformat(),
        marketing_consent=rng.random() < 0.4,
    )


_COUNTRY_SPELLINGS = {"GB": ("GB", "United Kingdom", "UK", "gb"), "US": ("US", "USA", "United States")}


def _maybe(rng: random.Random, missing: float, value: str) -> str:
    return "" if rng.random() < missing else value


def _case(rng: random.Random, text: str) -> str:
    roll = rng.random()
    return text.upper() if roll < 0.05 else text.lower() if roll < 0.12 else text


def _typo(rng: random.Random, text: str, rate: float) -> str:
    if len(text) < 4 or rng.random() >= rate:
        return text
    pos = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return text[:pos] + text[pos + 1 :]
    if kind == 1:
        return text[:pos] + rng.choice(string.ascii_lowercase) + text[pos:]
    if kind == 2:
        return text[:pos] + rng.choice(string.ascii_lowercase) + text[pos + 1 :]
    return text[: pos - 1] + text[pos] + text[pos - 1] + text[pos + 1 :]


def _first_name(rng: random.Random, first: str) -> str:
    roll = rng.random()
    variants = _VARIANTS.get(NICKNAMES.get(first.lower(), first.lower()), [])
    if roll < 0.15 and variants:
        return _case(rng, rng.choice(variants).capitalize())
    if roll < 0.18:
        return first[0] + rng.choice((".", ""))
    return _case(rng, _typo(rng, first, 0.05))


def _email(rng: random.Random, person: Person) -> str:
    roll = rng.random()
    if roll < 0.12:
        return ""
    if roll < 0.27 and len(person.emails) > 1:
        return person.emails[1]
    local, _, host = person.emails[0].partition("@")
    roll = rng.random()
    if host == "gmail.com" and roll < 0.25:
        local = local.replace(".", "") if "." in local else local[:2] + "." + local[2:]
    elif roll < 0.35:
        local = f"{local}+{rng.choice(('shop', 'amazon', 'promo', 'news'))}"
    if host == "gmail.com" and rng.random() < 0.15:
        host = "googlemail.com"
    elif host in data.DOMAIN_TYPOS and rng.random() < 0.04:
        host = rng.choice(data.DOMAIN_TYPOS[host])
    address = f"{local}@{host}"
    return address.upper() if rng.random() < 0.03 else address if rng.random() < 0.8 else address.title()


def _phone(rng: random.Random, person: Person) -> str:
    roll = rng.random()
    if roll < 0.25:
        return ""
    number = person.phones[1] if roll < 0.32 else person.phones[0]
    if number.startswith("+44"):
        national = "0" + number[3:]
        return rng.choice(
            (
                national,
                f"{national[:5]} {national[5:]}",
                f"+44 {number[3:7]} {number[7:]}",
                f"0044{number[3:]}",
                f"({national[:5]}) {national[5:8]} {national[8:]}",
            )
        )
    digits = number[2:]
    return rng.choice(
        (
            f"({digits[:3]}) {digits[3:6]}-{digits[6:]}",
            f"{digits[:3]}-{digits[3:6]}-{digits[6:]}",
            f"+1 {digits[:3]} {digits[3:6]} {digits[6:]}",
            digits,
        )
    )


def _street(rng: random.Random, address: Address) -> str:
    full, short = data.STREET_TYPES[address.street_type]
    kind = short + rng.choice(("", ".")) if rng.random() < 0.4 else full
    line = f"{address.number} {_typo(rng, address.street, 0.04)} {kind}"
    if address.unit and rng.random() < 0.7:
        line = rng.choice((f"{line}, {address.unit}", f"{address.unit}, {line}"))
    return _case(rng, line)


def _postcode(rng: random.Random, address: Address) -> str:
    code = address.postcode
    if address.country == "GB":
        roll = rng.random()
        return code.replace(" ", "") if roll < 0.2 else code.lower() if roll < 0.3 else code
    return f"{code}-{rng.randint(1000, 9999)}" if rng.random() < 0.1 else code


def _dob(rng: random.Random, person: Person) -> str:
    if person.dob is None or rng.random() < 0.4:
        return ""
    dob = person.dob
    if rng.random() < 0.02:
        dob = dob.replace(day=min(28, dob.day % 28 + 1))
    if person.country == "US" and rng.random() < 0.5:
        return dob.strftime("%m/%d/%Y")
    return dob.strftime("%d/%m/%Y") if rng.random() < 0.5 else dob.isoformat()
