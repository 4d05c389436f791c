"""Text folding shared by the field normalisers: case, accents and punctuation.

Owns only the character-level clean-up; field rules (nicknames, abbreviations) live in
their own `normalise_*` modules.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "ø": "o", "œ": "oe", "ł": "l", "đ": "d", "þ": "th"})
_NON_WORD = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=200_000)
def fold(text: str) -> str:
    """Lower-case, strip accents, turn punctuation into single spaces."""
    lowered = text.strip().lower().translate(_SPECIAL)
    decomposed = unicodedata.normalize("NFKD", lowered)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", ascii_only).strip()


def tokens(text: str) -> list[str]:
    """Folded words of `text`."""
    folded = fold(text)
    return folded.split() if folded else []
