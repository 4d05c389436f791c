"""Person names: titles, suffixes, punctuation, accents, initials and nicknames.

Owns the rules for given and family names. A single letter stays a single letter so that
the comparison can recognise an initial ("J" against "Jon").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from stockbridge.identity.nicknames import canonical_given_name
from stockbridge.identity.normalise_text import fold

_TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "mme", "m"}
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq"})


@dataclass(frozen=True)
class GivenName:
    """A normalised given name and the canonical form used for nickname agreement."""

    name: str
    canonical: str


def _words(raw: str) -> list[str]:
    return fold(raw.replace("'", "").replace("’", "")).split()


@lru_cache(maxsize=200_000)
def normalise_given_name(raw: str) -> GivenName:
    """First given name, lower-case ASCII; "J." becomes "j", "Mr Jon" becomes "jon"."""
    words = [w for w in _words(raw) if w not in _TITLES or len(_words(raw)) == 1]
    if not words:
        return GivenName("", "")
    first = words[0]
    return GivenName(first, canonical_given_name(first))


@lru_cache(maxsize=200_000)
def normalise_family_name(raw: str) -> str:
    """Family name as one lower-case ASCII token ("O'Brien-Smith" -> "obriensmith")."""
    words = [w for w in _words(raw) if w not in _SUFFIXES]
    return "".join(words)
