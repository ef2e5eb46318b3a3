"""JSON without binary floats: numbers are read as Decimal and written as exact tokens.

``loads`` parses numbers with a fraction or exponent as ``Decimal`` (integers stay ``int``) and
refuses ``NaN``/``Infinity``, objects with a duplicate key (JSON parsers disagree on which one
wins; money must not go to whichever came last) and integers longer than Python converts
(``sys.get_int_max_str_digits()``); every refusal is a :class:`JSONSyntaxError`. ``dumps``
writes ``Decimal`` and :class:`Number` as number tokens (``5000.00``, ``0.000001``) and refuses
floats outright, so no amount is ever rounded on the way.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from reconciler.text import clip

__all__ = ["JSONSyntaxError", "Number", "clip", "dumps", "loads", "parse_int", "unique_keys"]


class JSONSyntaxError(ValueError):
    """Text that is not JSON (or holds NaN/Infinity); the message says where."""


@dataclass(frozen=True, slots=True)
class Number:
    """An exact JSON number token, written as is by :func:`dumps`."""

    token: str


def loads(data: bytes | str) -> Any:
    """Parse JSON exactly (see the module docstring); JSONSyntaxError when it cannot be."""

    def refuse(name: str) -> Any:
        raise JSONSyntaxError(f"{name} is not a JSON number")

    try:
        return json.loads(
            data,
            parse_float=Decimal,
            parse_int=parse_int,
            parse_constant=refuse,
            object_pairs_hook=unique_keys,
        )
    except JSONSyntaxError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise JSONSyntaxError(f"body is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise JSONSyntaxError("body is nested too deeply") from exc
    except ValueError as exc:  # anything else the parser refuses: never an internal error
        raise JSONSyntaxError(f"body is not valid JSON: {clip(str(exc), 120)}") from exc


def parse_int(text: str) -> int:
    """A JSON integer token as ``int``; JSONSyntaxError when it has too many digits."""
    try:
        return int(text)
    except ValueError as exc:
        limit = sys.get_int_max_str_digits()
        raise JSONSyntaxError(
            f"the number {clip(text, 20)} has {len(text.lstrip('-'))} digits; "
            f"at most {limit} are allowed"
        ) from exc


def unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members as a dict; JSONSyntaxError naming the first duplicate key."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise JSONSyntaxError(f"duplicate key {clip(key)!r} in a JSON object")
        result[key] = value
    return result


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
