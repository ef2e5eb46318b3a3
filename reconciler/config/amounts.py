"""Rules for the amounts written in budgets: finite, not negative, whole cents, not absurd.

The schemas declare ``minimum: 0`` for editors and state the whole-cents rule in each amount's
``description`` (not as ``multipleOf: 0.01``, which binary-float validators get wrong for about
one value in nine); this module enforces both with messages that say what the amount is for.
Amounts are ``Decimal`` built from the scalar's text, so ``12000.10`` is exactly twelve thousand
and ten cents.
"""

from __future__ import annotations

import re
from decimal import Decimal

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.nodes import Document, Mapping, PathElement, Scalar, readable_path, resolve
from reconciler.money import is_exponent_notation
from reconciler.text import clip

MAX_AMOUNT = Decimal(10) ** 12  # a trillion credits: anything above is a typo
_CENT = Decimal("0.01")
# Decimal digits only: no YAML 1.1 octal (017 is 15), sexagesimal (1:30 is 90), hex, binary or
# exponent (1e3, 1.0e+2).
_PLAIN = re.compile(r"[-+]?(0|[1-9][0-9_]*)(\.[0-9_]*)?")
_PLAIN_FIX = "write amounts as plain decimals, e.g."

_ENVELOPE = "envelopes are credits per period and must be >= 0"
_BOUND = "envelope bounds are credits per period and must be >= 0"
_GUARD = "guards are limits per apply and must be >= 0"

# kind -> (path of the amount, what the "negative" message says about it)
AMOUNT_FIELDS: dict[str, tuple[tuple[tuple[str, ...], str], ...]] = {
    "Organization": (
        (
            ("headroom",),
            "headroom is what the organization wallet keeps in reserve and must be >= 0",
        ),
        (("guards", "max_movement_per_apply"), _GUARD),
        (("guards", "max_reclaim_per_apply"), _GUARD),
    ),
    "Team": (
        (("envelope",), _ENVELOPE),
        (("envelope_min",), _BOUND),
        (("envelope_max",), _BOUND),
    ),
}


def exponent_value(node: Scalar) -> Decimal | None:
    """The number an unquoted amount in exponent notation stands for (``1e3``: 1000), which
    YAML 1.1 leaves as text (it reads 1.0e+2 as a number but 1e3 as text, where YAML 1.2, JSON
    and editors read both as numbers: an unquoted one is refused as an amount alike); None for
    anything else."""
    if node.quoted or not isinstance(node.value, str) or not is_exponent_notation(node.text):
        return None
    return Decimal(node.text.replace("_", ""))


def _example(value: Decimal) -> str:
    """``value`` as a plain decimal (``1000.00``) when it is a sensible amount to show."""
    if not value.is_finite() or not -8 <= value.adjusted() <= 12:
        return "12000.00"
    if value == value.quantize(_CENT):
        return str(value.quantize(_CENT))
    return format(value, "f")


def amount_problem(value: Decimal, text: str, negative_rule: str, tag: str = "") -> str | None:
    """Why ``value`` (written as ``text``, after ``tag`` if any) is not an acceptable budget
    amount, or None."""
    plain = value.is_finite() and _PLAIN.fullmatch(text) is not None
    if plain and 0 <= value < MAX_AMOUNT and value == value.quantize(_CENT):
        return None  # the usual answer, without building a message
    shown = f"{tag} {clip(text)}" if tag else clip(text)
    if not value.is_finite():
        return f"{shown} is not a finite amount; write a number of credits like 12000.00"
    if is_exponent_notation(text):
        return (
            f"{shown} is not a plain decimal number (exponent notation); "
            f"{_PLAIN_FIX} {_example(value)}"
        )
    if not _PLAIN.fullmatch(text):
        return (
            f"{shown} is not a plain decimal number (YAML reads it as {clip(str(value))}); "
            f"{_PLAIN_FIX} 12000.00"
        )
    text = shown
    if value < 0:
        return f"{text} is negative; {negative_rule}"
    if value >= MAX_AMOUNT:
        return f"{text} is too large (the limit is {MAX_AMOUNT:,.2f}); check the amount"
    if value != value.quantize(_CENT):
        return f"{text} has more precision than cents; budget amounts have at most 2 decimal places"
    return None


def check_amounts(doc: Document, kind: str, prefix: str) -> list[Diagnostic]:
    """One diagnostic per amount of ``doc`` that breaks a rule (non-numbers are the schema's)."""
    found: list[Diagnostic] = []
    root = doc.root
    for path, rule in AMOUNT_FIELDS.get(kind, ()):
        if len(path) == 1:  # most amounts are top-level keys: one lookup
            node = root.get(path[0]) if isinstance(root, Mapping) else None
        else:
            node = resolve(root, path)[0]
        if not isinstance(node, Scalar):
            continue
        value = node.value if isinstance(node.value, Decimal) else exponent_value(node)
        if value is None:
            continue  # not a number: the schema says so
        problem = amount_problem(value, node.text, rule, node.tag)
        if problem is not None:
            key_path = readable_path(prefix, doc.root, path)
            found.append(
                Diagnostic("error", doc.file, node.mark.line, node.mark.col, key_path, problem)
            )
    if kind == "Team":
        found.extend(_check_bounds(doc, prefix))
    return found


def _amount(doc: Document, key: str) -> Scalar | None:
    node = doc.root.get(key) if isinstance(doc.root, Mapping) else None
    if isinstance(node, Scalar) and isinstance(node.value, Decimal) and node.value.is_finite():
        return node
    return None


def _check_bounds(doc: Document, prefix: str) -> list[Diagnostic]:
    low, high = _amount(doc, "envelope_min"), _amount(doc, "envelope_max")
    if low is None or high is None:
        return []
    assert isinstance(low.value, Decimal)
    assert isinstance(high.value, Decimal)
    if low.value <= high.value:
        return []
    path: list[PathElement] = ["envelope_min"]
    return [
        Diagnostic(
            "error",
            doc.file,
            low.mark.line,
            low.mark.col,
            readable_path(prefix, doc.root, path),
            f"{clip(low.text)} is greater than envelope_max {clip(high.text)} "
            f"(line {high.mark.line}); envelope_min must be <= envelope_max",
        )
    ]
