"""Exact money: Decimal at the edges, integer micro-USD (scale 6) inside.

Never a binary float. ``parse_amount`` takes the text of a YAML/JSON scalar; ``to_micros`` and
``from_micros`` convert between Decimal and integer micro-units; the ``format_*`` helpers render
amounts for people (``12,000.00``) and for JSON (``"12000.00"``, always a string).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MICROS_PER_UNIT = 1_000_000
CENT_MICROS = 10_000
CURRENCY = "USD"

_SCALE = Decimal(1) / MICROS_PER_UNIT
# Exponent notation (1e3, 1.0e+2, .5E-1). Amounts are written as plain decimals everywhere: in
# budgets files and on the command line alike.
_EXPONENT = re.compile(r"[-+]?([0-9][0-9_]*(\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9_]+")


class AmountError(ValueError):
    """Text or a Decimal that is not an acceptable amount. The message says why."""


def is_exponent_notation(text: str) -> bool:
    """True for a number written with an exponent (``1e3``), which amounts never use."""
    return _EXPONENT.fullmatch(text.strip()) is not None


def parse_amount(text: str | int | Decimal, *, places: int = 6) -> Decimal:
    """Parse an amount from its exact text; refuse non-finite, or more than ``places`` decimals."""
    if isinstance(text, bool):
        raise AmountError(f"{text!r} is not an amount")
    try:
        value = text if isinstance(text, Decimal) else Decimal(str(text).strip().replace("_", ""))
    except InvalidOperation as exc:
        raise AmountError(f"{text!r} is not a decimal number") from exc
    if not value.is_finite():
        raise AmountError(f"{text} is not a finite amount")
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -places and value != value.quantize(Decimal(1).scaleb(-places)):
        unit = "cents (2 decimal places)" if places == 2 else f"{places} decimal places"
        raise AmountError(f"{text} has more precision than {unit}")
    return value


def to_micros(value: Decimal | int | str) -> int:
    """Exact conversion to integer micro-units; more than 6 decimal places is an error."""
    amount = parse_amount(value if not isinstance(value, int) else Decimal(value))
    micros = amount * MICROS_PER_UNIT
    if micros != micros.to_integral_value():
        raise AmountError(f"{value} has more precision than 6 decimal places")
    return int(micros)


def from_micros(micros: int) -> Decimal:
    """The Decimal value of ``micros``, with 6 decimal places."""
    return (Decimal(micros) * _SCALE).quantize(_SCALE)


def decimal_str(micros: int) -> str:
    """JSON form: at least 2 decimals, more only where needed (``"12000.00"``, ``"0.001234"``)."""
    value = from_micros(micros)
    text = format(value.normalize(), "f")
    whole, _, frac = text.partition(".")
    frac = frac.rstrip("0").ljust(2, "0")
    return f"{whole}.{frac}"


def format_usd(micros: int, *, sign: bool = False) -> str:
    """Human form with thousands separators: ``12,000.00``; sub-cent digits kept when present."""
    text = decimal_str(abs(micros))
    whole, _, frac = text.partition(".")
    body = f"{int(whole):,}.{frac}"
    if micros < 0:
        return f"-{body}"
    return f"+{body}" if sign and micros > 0 else body


def is_whole_cents(micros: int) -> bool:
    return micros % CENT_MICROS == 0
