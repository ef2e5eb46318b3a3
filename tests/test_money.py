from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconciler.money import (
    AmountError,
    decimal_str,
    format_usd,
    from_micros,
    is_exponent_notation,
    parse_amount,
    to_micros,
)


@pytest.mark.parametrize(
    ("text", "micros"),
    [("12000.50", 12_000_500_000), ("0.000001", 1), ("5", 5_000_000), ("1_000.25", 1_000_250_000)],
)
def test_to_micros_is_exact(text: str, micros: int) -> None:
    assert to_micros(text) == micros


@pytest.mark.parametrize("text", ["0.0000001", "nan", "inf", "-Infinity", "abc", ""])
def test_bad_amounts_are_refused(text: str) -> None:
    with pytest.raises(AmountError):
        to_micros(text)


def test_cents_precision_check_names_the_rule() -> None:
    with pytest.raises(AmountError, match=r"12\.345 has more precision than cents"):
        parse_amount("12.345", places=2)
    assert parse_amount("12.340", places=2) == Decimal("12.340")


def test_rendering() -> None:
    assert decimal_str(12_000_000_000) == "12000.00"
    assert decimal_str(1_234) == "0.001234"
    assert decimal_str(-2_500_000) == "-2.50"
    assert format_usd(2_300_000_000) == "2,300.00"
    assert format_usd(-2_300_000_000) == "-2,300.00"
    assert format_usd(5_000_000, sign=True) == "+5.00"


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_round_trip_through_decimal_and_text(micros: int) -> None:
    assert to_micros(from_micros(micros)) == micros
    assert to_micros(decimal_str(micros)) == micros


@pytest.mark.parametrize(
    ("text", "exponent"),
    [
        ("1e3", True),
        ("1.0e+2", True),
        (".5E-1", True),
        ("1000.00", False),
        ("ten", False),
        ("1_000", False),
    ],
)
def test_exponent_notation_is_recognised_by_its_form(text: str, exponent: bool) -> None:
    assert is_exponent_notation(text) is exponent
