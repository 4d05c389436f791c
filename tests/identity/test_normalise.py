"""Field normalisers: names, e-mails, phones, addresses, postcodes, dates."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stockbridge.identity.normalise import StoreContext, normalise_record
from stockbridge.identity.normalise_address import normalise_country, normalise_postcode, normalise_street
from stockbridge.identity.normalise_date import normalise_date_of_birth
from stockbridge.identity.normalise_email import normalise_email
from stockbridge.identity.normalise_name import normalise_family_name, normalise_given_name
from stockbridge.identity.normalise_phone import normalise_phone
from stockbridge.identity.normalise_text import fold
from stockbridge.identity.records import CustomerRecord

TODAY = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("raw", "name", "canonical"),
    [
        ("Jon", "jon", "john"),
        ("Jonathan", "jonathan", "john"),
        ("  MR. Bill ", "bill", "william"),
        ("J.", "j", "j"),
        ("Zoë", "zoe", "zoe"),
        ("Siobhán", "siobhan", "siobhan"),
        ("", "", ""),
    ],
)
def test_given_names_fold_case_accents_titles_and_nicknames(raw: str, name: str, canonical: str) -> None:
    given_name = normalise_given_name(raw)
    assert (given_name.name, given_name.canonical) == (name, canonical)


def test_family_names_drop_punctuation_spaces_and_suffixes() -> None:
    assert normalise_family_name("O'Brien") == "obrien"
    assert normalise_family_name("Van der Berg") == "vanderberg"
    assert normalise_family_name("Núñez Jr.") == "nunez"
    assert normalise_family_name("MÜLLER") == "muller"


@given(st.text())
def test_fold_is_idempotent_lower_ascii(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert folded == folded.lower()
    assert folded.isascii()


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("Jon.Smith+shop@gmail.com", "jonsmith@gmail.com"),
        ("jonsmith@googlemail.com", "jonsmith@gmail.com"),
        ("jon.smith@gmial.com", "jonsmith@gmail.com"),
        ("Jane.Doe+news@Hotmial.com", "jane.doe@hotmail.com"),
        ("<A.B@Example.ORG>", "a.b@example.org"),
    ],
)
def test_emails_fold_tags_gmail_dots_and_domain_typos(raw: str, canonical: str) -> None:
    assert normalise_email(raw).canonical == canonical


def test_email_without_at_sign_is_missing_and_invalid() -> None:
    result = normalise_email("not an email")
    assert (result.canonical, result.valid) == ("", False)


@given(st.emails())
def test_any_valid_email_normalises_to_lower_case_without_tag(address: str) -> None:
    result = normalise_email(address)
    assert result.canonical == result.canonical.lower()
    assert "+" not in result.canonical.partition("@")[0]


@pytest.mark.parametrize(
    ("raw", "region", "e164"),
    [
        ("07700 900123", "GB", "+447700900123"),
        ("+44 7700 900123", "GB", "+447700900123"),
        ("0044 7700 900123", "US", "+447700900123"),
        ("(07700) 900 123", "GB", "+447700900123"),
        ("(212) 555-0123", "US", "+12125550123"),
        ("212.555.0123", "US", "+12125550123"),
        ("", "GB", ""),
        ("n/a", "GB", ""),
    ],
)
def test_phones_become_e164_with_the_store_country_as_default(raw: str, region: str, e164: str) -> None:
    assert normalise_phone(raw, region) == e164


def test_streets_expand_abbreviations_and_split_off_the_flat() -> None:
    assert normalise_street("12 High St.").line == normalise_street("12 High Street, Flat 2").line
    street = normalise_street("Flat 2, 12 High St")
    assert (street.line, street.number, street.unit) == ("12 high street", "12", "flat 2")
    assert normalise_street("1 St John's Rd").line == "1 saint johns road"


@pytest.mark.parametrize(
    ("raw", "country", "code", "valid"),
    [
        ("sw1a1aa", "GB", "SW1A 1AA", True),
        ("SW1A 1AA", "GB", "SW1A 1AA", True),
        ("90210-1234", "US", "90210", True),
        ("k1a0b1", "CA", "K1A 0B1", True),
        ("1234", "US", "1234", False),
    ],
)
def test_postcodes_follow_the_country_format(raw: str, country: str, code: str, valid: bool) -> None:
    postcode = normalise_postcode(raw, country)
    assert (postcode.code, postcode.valid) == (code, valid)


def test_country_names_become_iso_codes_with_a_default() -> None:
    assert normalise_country("United Kingdom") == "GB"
    assert normalise_country("usa") == "US"
    assert normalise_country("", "de") == "DE"


@pytest.mark.parametrize(
    ("raw", "month_first", "iso"),
    [
        ("1984-03-07", False, "1984-03-07"),
        ("07/03/1984", False, "1984-03-07"),
        ("03/07/1984", True, "1984-03-07"),
        ("19840307", False, "1984-03-07"),
        ("31/02/1984", False, ""),
        ("2030-01-01", False, ""),
        ("yesterday", False, ""),
    ],
)
def test_dates_of_birth_parse_or_drop(raw: str, month_first: bool, iso: str) -> None:
    assert normalise_date_of_birth(raw, TODAY, month_first) == iso


def test_a_record_normalises_every_field_using_its_country() -> None:
    record = CustomerRecord(
        "1",
        "Jon",
        "Smith",
        "jon.smith+shop@gmail.com",
        "(212) 555-0123",
        "12 High St",
        "New York",
        "10001-2222",
        country="USA",
        date_of_birth="03/07/1984",
    )
    result = normalise_record(record, StoreContext("GB", TODAY))
    assert result.phone == "+12125550123"
    assert result.postcode == "10001"
    assert result.date_of_birth == "1984-03-07"
    assert result.email == "jonsmith@gmail.com"
