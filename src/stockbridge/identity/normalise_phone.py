"""Phone numbers to E.164 through `phonenumbers`, the store's country as default region.

Owns phone parsing only. A number that cannot be parsed yields its bare digits so that
two identical malformed numbers can still agree.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

_NON_DIGIT = re.compile(r"\D+")


@lru_cache(maxsize=200_000)
def normalise_phone(raw: str, default_region: str = "GB") -> str:
    """E.164 form ("+447700900123"), bare digits when unparseable, "" when empty."""
    text = raw.strip()
    if not _NON_DIGIT.sub("", text):
        return ""
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, default_region.upper() or None)
    except phonenumbers.NumberParseException:
        return _NON_DIGIT.sub("", text)
    if not phonenumbers.is_possible_number(number):
        return _NON_DIGIT.sub("", text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def national_tail(e164: str, length: int = 9) -> str:
    """Last `length` digits, which agree even when one side lost its country code."""
    return _NON_DIGIT.sub("", e164)[-length:]
