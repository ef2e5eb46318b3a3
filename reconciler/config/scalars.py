"""The value of a resolved YAML scalar: numbers as exact ``Decimal`` (never ``float``), YAML 1.2
booleans only, dates and anything else as the text written.

Both composers (``yamlload``'s event loop and ``yamlfast``'s pass over libyaml's nodes) read
scalars through ``scalar_value``, so a value means the same whichever of them read the file.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import yaml

from reconciler.config.nodes import ScalarValue

TAG = "tag:yaml.org,2002:"
_YAML12_BOOLS: dict[str, ScalarValue] = {
    spelling: value
    for word, value in (("true", True), ("false", False))
    for spelling in (word, word.capitalize(), word.upper())
}
_SPECIAL_FLOATS = {
    ".inf": Decimal("Infinity"),
    "+.inf": Decimal("Infinity"),
    "-.inf": Decimal("-Infinity"),
    ".nan": Decimal("NaN"),
}
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")
_NULL, _BOOL, _INT, _FLOAT = (TAG + name for name in ("null", "bool", "int", "float"))


def _decimal(text: str) -> ScalarValue:
    cleaned = text.strip().lower().replace("_", "")
    if cleaned in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[cleaned]
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return text  # YAML 1.1 sexagesimal and other oddities: left as text, the schema says why


def scalar_value(tag: str, text: str) -> ScalarValue:
    """The value of a resolved scalar: numbers as exact Decimal, dates and others as text."""
    if tag == _NULL:
        return None
    if tag == _BOOL:  # YAML 1.2 booleans only: yes/no/on/off stay text (DESIGN §3)
        return _YAML12_BOOLS.get(text, text)
    if tag == _INT:
        if _DECIMAL_INT.fullmatch(text):  # exact, and no int() digit limit
            return Decimal(text.replace("_", ""))
        try:
            return Decimal(_CONSTRUCTOR.construct_yaml_int(yaml.ScalarNode(tag, text)))
        except (ValueError, IndexError):  # "!!int" on text that is no integer
            return text
    if tag == _FLOAT:
        return _decimal(text)
    return text


# The safe loader's implicit resolvers by first character (the wildcard ones, if any, after
# them, as ``BaseResolver.resolve`` tries them): ``plain_value`` resolves with this table.
_IMPLICIT = yaml.resolver.Resolver.yaml_implicit_resolvers
_WILDCARD = tuple((tag, regexp.match) for tag, regexp in _IMPLICIT.get(None, ()))
_BY_FIRST = {
    first: (*((tag, regexp.match) for tag, regexp in resolvers), *_WILDCARD)
    for first, resolvers in _IMPLICIT.items()
    if first is not None
}
_STR = TAG + "str"
# Values by text; texts and values hold no references, so the cyclic collector never scans it.
_PLAIN: dict[str, ScalarValue] = {}
_PLAIN_LIMIT = 1 << 15


def plain_tag(text: str) -> str:
    """The tag YAML resolves a plain scalar (unquoted, untagged) to: ``Resolver.resolve``."""
    for tag, match in _BY_FIRST.get(text[:1], _WILDCARD):
        if match(text):
            return str(tag)
    return _STR


def plain_value(text: str) -> ScalarValue:
    """``scalar_value`` of a plain scalar, worked out once per text (a team id, a key, an
    amount: the same text recurs across files)."""
    if text in _PLAIN:
        return _PLAIN[text]
    if len(_PLAIN) >= _PLAIN_LIMIT:
        _PLAIN.clear()
    tag = plain_tag(text)
    value = _PLAIN[text] = text if tag == _STR else scalar_value(tag, text)
    return value
