"""The one strict number parser (data-exchange §2) and the one decimal → text rule.
Pure: no database. The entry form, upload and API tests check that they use it."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from indicators.numbers import (
    MAX_DECIMAL_PLACES,
    NumberRefused,
    decimal_text,
    parse_number,
    parse_optional_number,
)

D = Decimal

ACCEPTED = [
    ("1234.5", D("1234.5")),
    ("1,234.5", D("1234.5")),
    ("1,234,567", D("1234567")),
    ("-1,234", D("-1234")),
    ("+12", D("12")),
    (".5", D("0.5")),
    ("5.", D("5")),
    ("0", D("0")),
    ("-0", D("0")),
    ("-0.000", D("0")),
    (" 42 ", D("42")),
    ("\u00a042\u00a0", D("42")),
    ("１２３４．５", D("1234.5")),  # full-width digits and point
    ("１，２３４", D("1234")),  # full-width comma
    ("\u22125", D("-5")),  # the minus sign of typeset documents
    ("1.5000000", D("1.5")),  # trailing zeros beyond the places are not more precision
    ("0.000001", D("0.000001")),
    ("999999999999999999", D("999999999999999999")),  # 18 digits: what NUMERIC(24,6) keeps
    ("999999999999999999.999999", D("999999999999999999.999999")),
]

# (text, words the English reason contains)
REFUSED = [
    ("1e309", "scientific"),  # was HTTP 500 in the entry form
    ("1e3", "scientific"),
    ("1E-7", "scientific"),
    ("1e-7", "scientific"),  # was stored as 0.000000
    ("99999999999999999999", "integer digits"),  # was HTTP 500
    ("1.1234567", "decimal places"),  # was stored rounded as 1.123457
    ("0.0000001", "decimal places"),
    ("1,2,3", "separator"),  # was stored as 123
    ("1,0,0", "separator"),
    ("12,34", "separator"),
    ("1,234,56", "separator"),
    (",123", "separator"),
    (" 1 000 ", "spaces inside"),
    ("1 000", "spaces inside"),
    ("12.5%", "percent"),
    ("NaN", "not a number"),
    ("Infinity", "not a number"),
    ("inf", "not a number"),
    ("abc", "not a number"),
    ("1.2.3", "not a number"),
    ("--1", "not a number"),
    ("+", "not a number"),
    (".", "not a number"),
    ("٣", "not a number"),  # Arabic-Indic digit: Decimal() would read it
    ("1" * 300, "too long"),
    ("0x10", "not a number"),
    ("1_000", "not a number"),
]


@pytest.mark.parametrize(("text", "value"), ACCEPTED)
def test_accepted_numbers_are_read_exactly(text, value):
    parsed = parse_number(text)
    assert parsed == value
    assert not parsed.is_signed() or parsed < 0


@pytest.mark.parametrize(("text", "reason"), REFUSED)
def test_refused_numbers_say_why_in_both_languages(text, reason):
    with pytest.raises(NumberRefused) as refused:
        parse_number(text)
    assert refused.value.code == "not_a_number"
    assert reason in refused.value.reason_en
    assert not refused.value.reason_zh.isascii()


@pytest.mark.parametrize("text", ["", "   ", "\u00a0"])
def test_an_empty_number_is_missing_or_none(text):
    with pytest.raises(NumberRefused) as refused:
        parse_number(text)
    assert refused.value.code == "missing_value"
    assert parse_optional_number(text) is None
    assert parse_optional_number(None) is None


def test_a_field_with_fewer_places_refuses_more():
    assert parse_number("12.34", max_decimal_places=2) == D("12.34")
    with pytest.raises(NumberRefused, match="more than 2 decimal places"):
        parse_number("12.345", max_decimal_places=2)
    with pytest.raises(NumberRefused, match="more than 3 integer digits"):
        parse_number("1,000", max_integer_digits=3)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (D("75000.000000"), "75000"),
        (D("6.800000"), "6.8"),
        (D("1E+3"), "1000"),
        (D("-0"), "0"),
        (D("-0.000000"), "0"),
        (D("0E-6"), "0"),
        (D("-0.2349"), "-0.2349"),
        (D("0.000001"), "0.000001"),
        (None, None),
        (5, "5"),
    ],
)
def test_decimal_text(value, text):
    assert decimal_text(value) == text


@given(
    st.decimals(
        min_value=D("-999999999999999999"),
        max_value=D("999999999999999999"),
        places=MAX_DECIMAL_PLACES,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_what_is_written_reads_back_the_same(value):
    assert parse_number(decimal_text(value)) == value
    grouped = format(value, ",f")
    assert parse_number(grouped) == value
