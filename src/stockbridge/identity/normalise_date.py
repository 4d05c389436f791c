"""Dates of birth in the formats shops export, checked against a supplied `today`.

Owns date parsing only. Day-first or month-first for slashed dates is decided by the
caller (the store's country), never guessed per row.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

_ISO = re.compile(r"^(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})(?:[T ].*)?$")
_SLASHED = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2}|\d{4})$")


@lru_cache(maxsize=200_000)
def normalise_date_of_birth(raw: str, today: date, month_first: bool = False) -> str:
    """ISO date ("1984-03-07") or "" when empty, impossible, or not before `today`."""
    text = raw.strip()
    iso = _ISO.match(text)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    else:
        slashed = _SLASHED.match(text)
        if not slashed:
            return ""
        first, second, year = (int(part) for part in slashed.groups())
        day, month = (second, first) if month_first else (first, second)
        if year < 100:
            year += 1900 if year > today.year % 100 else 2000
    try:
        parsed = date(year, month, day)
    except ValueError:
        return ""
    if parsed >= today or parsed.year < today.year - 120:
        return ""
    return parsed.isoformat()
