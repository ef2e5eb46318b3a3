"""JSON without binary floats: numbers are read as Decimal and written as exact tokens.

``loads`` parses numbers with a fraction or exponent as ``Decimal`` (integers stay ``int``) and
refuses ``NaN``/``Infinity``; ``dumps`` writes ``Decimal`` and :class:`Number` as number tokens
(``5000.00``, ``0.000001``) and refuses floats outright, so no amount is ever rounded on the way.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


class JSONSyntaxError(ValueError):
    """Text that is not JSON (or holds NaN/Infinity); the message says where."""


@dataclass(frozen=True, slots=True)
class Number:
    """An exact JSON number token, written as is by :func:`dumps`."""

    token: str


def loads(data: bytes | str) -> Any:
    """Parse JSON; numbers with a fraction or exponent become Decimal; NaN/Infinity refused."""

    def refuse(name: str) -> Any:
        raise JSONSyntaxError(f"{name} is not a JSON number")

    try:
        return json.loads(data, parse_float=Decimal, parse_constant=refuse)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JSONSyntaxError(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise JSONSyntaxError("body is nested too deeply") from exc


def dumps(value: object) -> str:
    """Serialize JSON compactly; Decimal and :class:`Number` become exact number tokens."""
    parts: list[str] = []
    _encode(value, parts)
    return "".join(parts)


def _encode(value: object, out: list[str]) -> None:
    if value is None or isinstance(value, bool):
        out.append(json.dumps(value))
    elif isinstance(value, Number):
        out.append(value.token)
    elif isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} cannot be written as JSON")
        out.append(format(value, "f"))
    elif isinstance(value, int | str):
        out.append(json.dumps(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            out.append(("," if index else "") + json.dumps(str(key)) + ":")
            _encode(item, out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"{type(value).__name__} is not JSON serializable here (floats never are)")
