"""Postal addresses: street abbreviations, house number, unit, postcode and country.

Owns the comparable street line ("12 high street"), the unit ("flat 2"), per-country
postcode formats and country names to ISO codes. It does not geocode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stockbridge.identity.normalise_text import fold

_STREET_TYPES: dict[str, str] = {
    "st": "street",
    "str": "strasse",
    "rd": "road",
    "ave": "avenue",
    "av": "avenue",
    "ln": "lane",
    "dr": "drive",
    "ct": "court",
    "pl": "place",
    "sq": "square",
    "blvd": "boulevard",
    "hwy": "highway",
    "cres": "crescent",
    "cl": "close",
    "gdns": "gardens",
    "tce": "terrace",
    "terr": "terrace",
    "pde": "parade",
    "pk": "park",
    "mt": "mount",
    "wy": "way",
    "gr": "grove",
    "gro": "grove",
    "cir": "circle",
    "cct": "circuit",
    "pkwy": "parkway",
    "bldg": "building",
    "ste": "suite",
}
_DIRECTIONS: dict[str, str] = {"n": "north", "s": "south", "e": "east", "w": "west"}
_UNIT_WORDS = frozenset({"flat", "apt", "apartment", "unit", "suite", "ste", "no", "room"})
_COUNTRIES: dict[str, str] = {
    "uk": "GB",
    "gb": "GB",
    "united kingdom": "GB",
    "great britain": "GB",
    "england": "GB",
    "scotland": "GB",
    "wales": "GB",
    "northern ireland": "GB",
    "us": "US",
    "usa": "US",
    "united states": "US",
    "united states of america": "US",
    "america": "US",
    "de": "DE",
    "germany": "DE",
    "deutschland": "DE",
    "fr": "FR",
    "france": "FR",
    "ie": "IE",
    "ireland": "IE",
    "au": "AU",
    "australia": "AU",
    "ca": "CA",
    "canada": "CA",
    "nl": "NL",
    "netherlands": "NL",
    "es": "ES",
    "spain": "ES",
    "it": "IT",
    "italy": "IT",
}
_POSTCODE_RULES: dict[str, tuple[re.Pattern[str], int]] = {
    "GB": (re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"), 3),
    "CA": (re.compile(r"^[A-Z][0-9][A-Z][0-9][A-Z][0-9]$"), 3),
    "NL": (re.compile(r"^[0-9]{4}[A-Z]{2}$"), 2),
    "IE": (re.compile(r"^[A-Z][0-9][0-9W][A-Z0-9]{4}$"), 4),
}
_DIGIT_POSTCODES: dict[str, int] = {"US": 5, "DE": 5, "FR": 5, "ES": 5, "IT": 5, "AU": 4}
_ALNUM = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class Street:
    """Comparable street line, its house number and the unit (flat) if any."""

    line: str
    number: str
    unit: str


@lru_cache(maxsize=400_000)
def normalise_street(raw: str) -> Street:
    """ "12 High St., Flat 2" -> Street("12 high street", "12", "flat 2")."""
    words = fold(raw.replace("#", " no ").replace("'", "").replace("’", "")).split()
    unit: list[str] = []
    kept: list[str] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word in _UNIT_WORDS and index + 1 < len(words) and any(c.isdigit() for c in words[index + 1]):
            unit = ["flat", words[index + 1]]
            index += 2
            continue
        kept.append(word)
        index += 1
    expanded = [_expand(word, pos, len(kept)) for pos, word in enumerate(kept)]
    number = next((w for w in expanded if w[:1].isdigit()), "")
    return Street(" ".join(expanded), number, " ".join(unit))


def _expand(word: str, position: int, count: int) -> str:
    if word == "st" and position < count - 1:
        return "saint"
    if word in _DIRECTIONS and count > 2:
        return _DIRECTIONS[word]
    return _STREET_TYPES.get(word, word)


@lru_cache(maxsize=1024)
def normalise_country(raw: str, default: str = "") -> str:
    """ISO 3166 alpha-2 code, or `default` when empty or unknown."""
    folded = fold(raw)
    if not folded:
        return default.upper()
    if folded in _COUNTRIES:
        return _COUNTRIES[folded]
    return folded.upper() if len(folded) == 2 else default.upper()


@dataclass(frozen=True)
class Postcode:
    """Formatted postcode, its outward (area) part, and whether it fits the country format."""

    code: str
    outward: str
    valid: bool


@lru_cache(maxsize=400_000)
def normalise_postcode(raw: str, country: str) -> Postcode:
    """ "sw1a1aa" in GB -> "SW1A 1AA"; "90210-1234" in US -> "90210"."""
    compact = _ALNUM.sub("", raw.upper())
    if not compact:
        return Postcode("", "", False)
    if country in _DIGIT_POSTCODES:
        width = _DIGIT_POSTCODES[country]
        digits = compact[:width] if compact.isdigit() or country == "US" else compact
        valid = digits.isdigit() and len(digits) == width
        return Postcode(digits, digits[: max(2, width - 2)], valid)
    rule = _POSTCODE_RULES.get(country)
    if rule is None:
        return Postcode(compact, compact[:3], True)
    pattern, inward = rule
    outward = compact[:-inward]
    return Postcode(f"{outward} {compact[-inward:]}", outward, bool(pattern.match(compact)))
