"""Typed numbers are read as a clerk means them, or refused with a message that says how to write them."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from factories.indicators import GBT36132_2018, Message
from reporting.values import parse_raw_values


def parse(value):  # type: ignore[no-untyped-def]
    parsed, errors = parse_raw_values(GBT36132_2018, {"cod": value})
    return parsed.get("cod"), errors.get("cod", [])


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("12.5", D("12.5")),
        ("  12.5 ", D("12.5")),
        ("0", D("0")),
        (".5", D("0.5")),
        ("5.", D("5")),
        ("-3", D("-3")),  # read, then refused by the catalogue's "cannot be negative"
        ("１２．５", D("12.5")),  # full-width digits and point from a Chinese input method
        ("1,234,567", D("1234567")),  # two groups: no reading but thousands
        ("1,234.5", D("1234.5")),  # a grouping comma before a decimal point
        ("20,000.50", D("20000.50")),
        (12.5, D("12.5")),  # numbers as numbers: JSON, numeric Excel cells
        (1e-05, D("0.00001")),
        (7, D("7")),
        (D("3.25"), D("3.25")),
    ],
)
def test_numbers_a_clerk_would_write_are_read_as_meant(typed, number) -> None:  # type: ignore[no-untyped-def]
    value, errors = parse(typed)
    assert errors == []
    assert value == number


@pytest.mark.parametrize("typed", ["12,5", "0,75", "1,23", "1,2345", "12,34,567", "１２，５"])
def test_a_decimal_comma_is_refused_never_multiplied(typed) -> None:  # type: ignore[no-untyped-def]
    value, errors = parse(typed)
    assert value is None
    (message,) = errors
    assert "小数点" in message and "decimal point" in message.en


@pytest.mark.parametrize("typed", ["1,234", "12,500", "999,999"])
def test_a_single_comma_group_is_refused_as_ambiguous(typed) -> None:  # type: ignore[no-untyped-def]
    """ "12,500" is 12500 to a Chinese clerk and 12.5 to a European one: the platform asks instead of guessing."""
    value, errors = parse(typed)
    assert value is None
    (message,) = errors
    assert "逗号" in message and "comma" in message.en


@pytest.mark.parametrize("typed", ["1_000", "1 000", "1\u00a0000", "1\u2009000", "1'000"])
def test_underscores_spaces_and_apostrophes_inside_a_number_are_refused(typed) -> None:  # type: ignore[no-untyped-def]
    value, errors = parse(typed)
    assert value is None
    (message,) = errors
    assert "只填写数字" in message and "digits" in message.en


@pytest.mark.parametrize("typed", ["1e3", "1.23457E+11", "2E-3"])
def test_scientific_notation_in_text_is_refused(typed) -> None:  # type: ignore[no-untyped-def]
    """Excel shows a long number as 1.23457E+11 in a narrow column; copied as text it has lost digits."""
    value, errors = parse(typed)
    assert value is None
    (message,) = errors
    assert "科学计数法" in message and "scientific" in message.en


@pytest.mark.parametrize("typed", ["abc", "12%", "¥12", "١٢", "NaN", "Infinity", "--1", "1.2.3", "+", "."])
def test_anything_else_is_not_a_number(typed) -> None:  # type: ignore[no-untyped-def]
    value, errors = parse(typed)
    assert value is None
    (message,) = errors
    assert isinstance(message, Message) and "应为数字" in message


def test_every_refusal_names_the_field_and_exists_in_english() -> None:
    for typed in ("12,5", "1,234", "1_000", "1e3", "abc"):
        (message,) = parse(typed)[1]
        assert message.startswith("化学需氧量产生量") and message.en.startswith("COD generated")


def test_a_refusal_quotes_a_long_input_only_in_part() -> None:
    (message,) = parse("x" * 100_000)[1]
    assert len(message) < 120 and len(message.en) < 160
