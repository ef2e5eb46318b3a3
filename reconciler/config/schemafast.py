"""The schemas (``schemas/*.schema.json``) compiled into Python checks over the YAML tree.

``compile_schema`` turns a JSON Schema into one function ``check(node) -> bool``, keyword by
keyword, with jsonschema's meaning of each (draft 2020-12 as ``schema`` runs it: the numeric
keywords are left to ``amounts``). A document that passes never reaches jsonschema; one that
fails is checked again by jsonschema, which explains every problem (``schema.check_schema``).
So the compiled check decides, and never words anything.

Compiling is generic, not written per field: a schema edit changes the check with it. A
keyword this module does not know raises ``UnsupportedSchemaKeyword`` while compiling (at
import), so a new keyword can never be accepted silently; teach it here first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from reconciler.config.nodes import Mapping, Node, Scalar, Sequence, to_plain

Check = Callable[[Node], bool]

# Left to ``amounts`` (clearer messages, exact decimals); the explaining validator ignores them too.
NUMERIC_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
# Annotations: they say something to editors and readers, never about validity.
_ANNOTATIONS = frozenset(
    ("$schema", "$id", "$comment", "title", "description", "default", "examples", "deprecated")
)
# Read by the keyword they belong to (``if``).
_COMPANIONS = frozenset(("then", "else"))
_OBJECT_KEYWORDS = ("properties", "additionalProperties", "required")
_IGNORED = _ANNOTATIONS | _COMPANIONS | frozenset(NUMERIC_KEYWORDS)
# Checked together by ``_string`` when the type is exactly "string".
_STRING_KEYWORDS = ("type", "pattern", "minLength")


class UnsupportedSchemaKeyword(Exception):
    """A schema uses a keyword (or a form of one) the compiled check does not implement."""


def _always(_node: Node) -> bool:
    return True


def _is_string(node: Node) -> bool:
    # Class tests, not isinstance: nodes and YAML values are never subclassed (a bool is no
    # Decimal), and these run once or more per node of every document.
    return node.__class__ is Scalar and node.value.__class__ is str


def _of(value_class: type) -> Check:
    return lambda node: node.__class__ is Scalar and node.value.__class__ is value_class


_TYPES: dict[str, Check] = {
    "object": lambda node: node.__class__ is Mapping,
    "array": lambda node: node.__class__ is Sequence,
    "string": _is_string,
    # YAML numbers are Decimal (a bool is never one), which jsonschema counts as a number.
    "number": _of(Decimal),
    "boolean": _of(bool),
    "null": lambda node: node.__class__ is Scalar and node.value is None,
}


def _equal(one: Any, two: Any) -> bool:
    """jsonschema's ``equal``: ``True`` is not ``1``, and lists and mappings compare deeply."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return len(one) == len(two) and all(k in two and _equal(v, two[k]) for k, v in one.items())
    if isinstance(one, bool) or isinstance(two, bool):
        return False  # not the same object, so not the same boolean
    return bool(one == two)


def _value(node: Node) -> Any:
    return node.value if isinstance(node, Scalar) else to_plain(node)


def _type(names: Any, _schema: dict[str, Any]) -> Check:
    listed = names if isinstance(names, list) else [names]
    unknown = [name for name in listed if name not in _TYPES]
    if unknown:
        raise UnsupportedSchemaKeyword(f"type {unknown[0]!r}")
    checks = [_TYPES[name] for name in listed]
    if len(checks) == 1:
        return checks[0]
    return lambda node: any(check(node) for check in checks)


def _const(expected: Any, _schema: dict[str, Any]) -> Check:
    if isinstance(expected, str):  # a value equal to text is text
        return lambda node: node.__class__ is Scalar and node.value == expected
    return lambda node: _equal(_value(node), expected)


def _enum(choices: Any, _schema: dict[str, Any]) -> Check:
    if all(isinstance(choice, str) for choice in choices):
        strings = frozenset(choices)
        return lambda node: _is_string(node) and node.value in strings  # type: ignore[union-attr]
    return lambda node: any(_equal(_value(node), choice) for choice in choices)


def _pattern(pattern: str, _schema: dict[str, Any]) -> Check:
    search = re.compile(pattern).search  # search, as jsonschema does: the schema anchors it
    return lambda node: not _is_string(node) or search(node.value) is not None  # type: ignore[union-attr,arg-type]


def _min_length(least: int, _schema: dict[str, Any]) -> Check:
    return lambda node: not _is_string(node) or len(node.value) >= least  # type: ignore[union-attr,arg-type]


def _object(schema: dict[str, Any]) -> Check:
    """``properties``, ``additionalProperties`` and ``required`` in one pass over a mapping."""
    known = {name: compile_schema(sub) for name, sub in schema.get("properties", {}).items()}
    extra = schema.get("additionalProperties", True)
    other = None if extra is False else compile_schema(extra)  # None: no other key allowed
    required = tuple(schema.get("required", ()))
    if other is _always:
        # Any other key is allowed: look up the keys the schema names (an ``if`` that tests
        # one key reads one key), not every key of the mapping.
        named = tuple((name, sub) for name, sub in known.items() if sub is not _always)

        def check_named(node: Node) -> bool:
            if node.__class__ is not Mapping:
                return True
            entries = node.by_key()
            for key, sub in named:
                entry = entries.get(key)
                if entry is not None and not sub(entry.value):
                    return False
            for key in required:  # noqa: SIM110 (a loop: no generator per mapping)
                if key not in entries:
                    return False
            return True

        return check_named

    def check(node: Node) -> bool:
        if node.__class__ is not Mapping:
            return True
        entries = node.by_key()
        for key, entry in entries.items():
            sub = known.get(key, other)
            if sub is None or not sub(entry.value):
                return False
        for key in required:  # noqa: SIM110 (a loop: no generator per mapping)
            if key not in entries:
                return False
        return True

    return check


def _string(schema: dict[str, Any]) -> Check:
    """``type: string`` with its ``pattern`` and ``minLength`` in one test."""
    pattern, least = schema.get("pattern"), schema.get("minLength", 0)
    search = re.compile(pattern).search if pattern is not None else None

    def check(node: Node) -> bool:
        if node.__class__ is not Scalar:
            return False
        value = node.value
        if value.__class__ is not str:
            return False
        return len(value) >= least and (search is None or search(value) is not None)

    return check


def _items(items: Any, _schema: dict[str, Any]) -> Check:
    sub = compile_schema(items)
    return lambda node: not isinstance(node, Sequence) or all(sub(item) for item in node.items)


def _unique(unique: Any, _schema: dict[str, Any]) -> Check:
    if not unique:
        return _always

    def check(node: Node) -> bool:
        if not isinstance(node, Sequence):
            return True
        values = [_value(item) for item in node.items]
        if all(isinstance(value, str) for value in values):
            return len(set(values)) == len(values)
        # Anything but text: pairwise, with jsonschema's equality.
        return not any(_equal(a, b) for i, a in enumerate(values) for b in values[i + 1 :])

    return check


def _if(condition: Any, schema: dict[str, Any]) -> Check:
    test = compile_schema(condition)
    then = compile_schema(schema.get("then", True))
    otherwise = compile_schema(schema.get("else", True))
    return lambda node: then(node) if test(node) else otherwise(node)


_KEYWORDS: dict[str, Callable[[Any, dict[str, Any]], Check]] = {
    "type": _type,
    "const": _const,
    "enum": _enum,
    "pattern": _pattern,
    "minLength": _min_length,
    "items": _items,
    "uniqueItems": _unique,
    "if": _if,
}


def compile_schema(schema: Any) -> Check:
    """One check for ``schema`` (a JSON Schema as parsed JSON); ``UnsupportedSchemaKeyword``
    when it uses anything this module does not implement."""
    if schema is True or schema == {}:
        return _always
    if schema is False:
        return lambda _node: False
    if not isinstance(schema, dict):
        raise UnsupportedSchemaKeyword(f"a schema that is not an object or a boolean: {schema!r}")
    checks: list[Check] = []
    if any(keyword in schema for keyword in _OBJECT_KEYWORDS):
        checks.append(_object(schema))
    folded: tuple[str, ...] = ()
    if schema.get("type") == "string":
        checks.append(_string(schema))
        folded = _STRING_KEYWORDS
    for keyword, value in schema.items():
        if keyword in folded:
            continue
        if keyword in _KEYWORDS:
            checks.append(_KEYWORDS[keyword](value, schema))
        elif keyword not in _IGNORED and keyword not in _OBJECT_KEYWORDS:
            raise UnsupportedSchemaKeyword(
                f"schema keyword {keyword!r} is not supported by the compiled check; "
                "implement it in reconciler/config/schemafast.py"
            )
    checks = [check for check in checks if check is not _always]
    if len(checks) == 1:
        return checks[0]

    def check_all(node: Node) -> bool:
        for check in checks:  # noqa: SIM110 (a loop: no generator per node on the hot path)
            if not check(node):
                return False
        return True

    return check_all
