"""E-mail addresses: case, sub-address tags, Gmail dots and common domain typos.

Owns the canonical form used for matching. The original address is never replaced: the
golden record keeps every original as an alias.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

_DOMAIN_FIXES: dict[str, str] = {
    "googlemail.com": "gmail.com",
    "gmial.com": "gmail.com",
    "gmai.com": "gmail.com",
    "gamil.com": "gmail.com",
    "gnail.com": "gmail.com",
    "gmail.co": "gmail.com",
    "gmail.con": "gmail.com",
    "gmail.cm": "gmail.com",
    "gmaill.com": "gmail.com",
    "hotmial.com": "hotmail.com",
    "hotmai.com": "hotmail.com",
    "hotmail.con": "hotmail.com",
    "hotmal.com": "hotmail.com",
    "homtail.com": "hotmail.com",
    "yaho.com": "yahoo.com",
    "yahooo.com": "yahoo.com",
    "yahoo.con": "yahoo.com",
    "outlok.com": "outlook.com",
    "outloook.com": "outlook.com",
    "outlook.con": "outlook.com",
    "iclod.com": "icloud.com",
    "icloud.con": "icloud.com",
    "btinternet.con": "btinternet.com",
}
_DOTLESS = frozenset({"gmail.com"})


@dataclass(frozen=True)
class NormalisedEmail:
    """Canonical address, its local part, and whether the original was well-formed."""

    canonical: str
    local: str
    valid: bool


@lru_cache(maxsize=200_000)
def normalise_email(raw: str) -> NormalisedEmail:
    """Canonical form: lower case, domain typo fixed, `+tag` dropped, Gmail dots removed."""
    text = raw.strip().lower().strip("<>\"'")
    if "@" not in text:
        return NormalisedEmail("", "", False)
    local, _, domain = text.rpartition("@")
    domain = _DOMAIN_FIXES.get(domain.strip("."), domain.strip("."))
    local = local.split("+", 1)[0]
    if domain in _DOTLESS:
        local = local.replace(".", "")
    if not local or not domain:
        return NormalisedEmail("", "", False)
    return NormalisedEmail(f"{local}@{domain}", local, _is_valid(f"{local}@{domain}"))


def _is_valid(address: str) -> bool:
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
