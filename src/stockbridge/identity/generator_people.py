"""Synthetic people and households: the ground truth behind generated customer records.

Owns who exists (names, addresses, e-mails, phones, birth dates, households). How each
person is written down by a store, with its typos and format quirks, lives in `generator`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import accumulate

from stockbridge.identity import generator_data as data
from stockbridge.identity.normalise_text import fold


@dataclass(frozen=True)
class Address:
    """A dwelling; households share one."""

    number: int
    street: str
    street_type: int
    unit: str
    town: str
    postcode: str
    region: str
    country: str


@dataclass(frozen=True)
class Person:
    """One real customer: the truth every generated record of them derives from."""

    entity: str
    first: str
    last: str
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    addresses: tuple[Address, ...]
    dob: date | None
    country: str


def zipf_weights(count: int, exponent: float) -> list[float]:
    """Cumulative Zipf weights for `random.choices(cum_weights=...)`."""
    return list(accumulate(1.0 / (rank + 1) ** exponent for rank in range(count)))


_FIRST_CUM = zipf_weights(len(data.FIRST_NAMES), 0.4)
_LAST_CUM = zipf_weights(len(data.SURNAMES), 0.5)


class PeopleFactory:
    """Draws people; keeps e-mail addresses unique unless a household shares one."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._emails: set[str] = set()

    def surname(self) -> str:
        if self._rng.random() < 0.35:
            return self._rng.choices(data.SURNAMES, cum_weights=_LAST_CUM)[0]
        parts = self._rng.choices(data.SURNAME_SYLLABLES, k=self._rng.choice((2, 2, 3)))
        return "".join(parts).capitalize()

    def first_name(self) -> str:
        return self._rng.choices(data.FIRST_NAMES, cum_weights=_FIRST_CUM)[0]

    def address(self, country: str) -> Address:
        rng = self._rng
        unit = f"Flat {rng.randint(1, 30)}" if rng.random() < 0.15 else ""
        street = rng.choice(data.STREET_NAMES)
        kind = rng.randrange(len(data.STREET_TYPES))
        if country == "GB":
            town, area = rng.choice(data.GB_TOWNS)
            letters = "ABDEFGHJLNPQRSTUWXYZ"
            postcode = (
                f"{area}{rng.randint(1, 28)} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
            )
            return Address(rng.randint(1, 250), street, kind, unit, town, postcode, "", "GB")
        index = rng.randrange(len(data.US_TOWNS))
        town, state = data.US_TOWNS[index]
        postcode = f"{10000 + index * 5000 + rng.randint(0, 4999):05d}"
        return Address(rng.randint(1, 9999), street, kind, unit, town, postcode, state, "US")

    def email(self, first: str, last: str) -> str:
        rng = self._rng
        f, surname = _ascii(first), _ascii(last)
        pattern = rng.randrange(6)
        local = (
            f"{f}.{surname}",
            f"{f}{surname}",
            f"{f[0]}{surname}",
            f"{f}_{surname}",
            f"{f}{rng.randint(1, 99)}",
            f"{surname}.{f}{rng.randint(60, 99)}",
        )[pattern]
        address = f"{local}@{rng.choice(data.EMAIL_HOSTS)}"
        while address in self._emails:
            address = f"{local}{rng.randint(1, 9999)}@{rng.choice(data.EMAIL_HOSTS)}"
        self._emails.add(address)
        return address

    def phone(self, country: str) -> str:
        rng = self._rng
        if country == "GB":
            return f"+447{rng.randint(400, 999)}{rng.randint(0, 999999):06d}"
        return f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"

    def dob(self) -> date | None:
        if self._rng.random() < 0.6:
            return None
        return date(1940, 1, 1) + timedelta(days=self._rng.randint(0, 365 * 65))

    def person(
        self,
        entity: str,
        country: str,
        last: str | None = None,
        home: Address | None = None,
        shared: tuple[str, ...] = (),
    ) -> Person:
        first, surname = self.first_name(), last or self.surname()
        emails = tuple(self.email(first, surname) for _ in range(2))
        phones = shared or (self.phone(country), self.phone(country))
        current = home or self.address(country)
        return Person(
            entity, first, surname, emails, phones, (current, self.address(country)), self.dob(), country
        )

    def household(self, first_entity: int, country: str) -> list[Person]:
        """Two to four people at one address, usually one surname, sometimes one landline."""
        rng = self._rng
        head = self.person(f"p{first_entity}", country)
        members = [head]
        for offset in range(1, rng.choice((2, 2, 3, 4))):
            surname = head.last if rng.random() < 0.8 else None
            phones = (head.phones[0], self.phone(country)) if rng.random() < 0.2 else ()
            member = self.person(f"p{first_entity + offset}", country, surname, head.addresses[0], phones)
            if rng.random() < 0.03:
                member = Person(
                    member.entity,
                    member.first,
                    member.last,
                    (head.emails[0],),
                    member.phones,
                    member.addresses,
                    member.dob,
                    country,
                )
            members.append(member)
        return members


def _ascii(name: str) -> str:
    return fold(name).replace(" ", "") or "x"
