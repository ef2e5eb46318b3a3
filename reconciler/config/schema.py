"""Check a document against the JSON Schema of its kind (``schemas/*.schema.json``).

The schemas ship inside the package (``reconciler/schemas`` links to the top-level ``schemas/``)
and are read with ``importlib.resources``. Numeric rules (``minimum``) stay in the schemas
for editors but are not enforced here: ``amounts`` checks them with clearer messages.
Each jsonschema error becomes a diagnostic at the line and column of the key it concerns.

jsonschema only explains: a document runs through the schema compiled into Python checks
(``schemafast``) first, and jsonschema is imported and run only when that check fails.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import InvalidOperation, localcontext
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from reconciler.config.diagnostics import Diagnostic
from reconciler.config.nodes import Document, Mapping, Node, PathElement, Scalar, resolve, to_plain
from reconciler.config.nodes import readable_path as _readable
from reconciler.config.schemafast import NUMERIC_KEYWORDS, Check, compile_schema
from reconciler.text import clip

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

SCHEMA_FILES = {
    "Organization": "organization.schema.json",
    "Team": "team.schema.json",
    "GatewayConfig": "gateway-config.schema.json",
}
_TYPE_PHRASES = {
    "string": "a string",
    "number": "a number like 12000.00",
    "boolean": "true or false",
    "object": "a mapping of keys to values",
    "array": "a list",
}
_REQUIRED_HINTS = {
    "envelope": "; give the team its credits per period, or mark it removed: true",
    "wallet_team_id": "; name the Team whose wallet pays for this group",
}


def schema_text(kind: str) -> str:
    """The JSON text of the schema for ``kind``, from the installed package."""
    return resources.files("reconciler").joinpath("schemas", SCHEMA_FILES[kind]).read_text("utf-8")


def _compile_all() -> dict[str, Check]:
    return {kind: compile_schema(json.loads(schema_text(kind))) for kind in SCHEMA_FILES}


# At import: a schema keyword the compiled check does not know fails here, loudly.
_COMPILED = _compile_all()


@cache
def _validator(kind: str) -> Any:
    """jsonschema's validator for ``kind``, imported and built only to explain a failure."""
    import jsonschema

    def ignore(*_args: Any) -> Iterator[ValidationError]:
        return iter(())

    extended = jsonschema.validators.extend(
        jsonschema.Draft202012Validator, dict.fromkeys(NUMERIC_KEYWORDS, ignore)
    )
    schema = json.loads(schema_text(kind))
    jsonschema.Draft202012Validator.check_schema(schema)
    return extended(schema)


def suggestion(word: str, choices: list[str]) -> str:
    """``; did you mean 'x'?`` when one choice is genuinely close to ``word``, else ``""``."""
    close = closest(word, choices)
    return f"; did you mean '{close}'?" if close else ""


def closest(word: str, choices: list[str]) -> str | None:
    """The choice within a few typos of ``word`` (ignoring case): at most one edit per four
    characters (a transposition is one edit), so ``team_reserch`` finds ``team_research`` and
    ``team_research`` does not find ``team_legal`` through their shared ``team_`` prefix."""
    budget = max(1, len(word) // 4)
    scored = [
        (_edits(word.lower(), choice.lower()), choice)
        for choice in choices
        if abs(len(word) - len(choice)) <= budget
    ]
    near = sorted((edits, choice) for edits, choice in scored if edits <= budget)
    return near[0][1] if near else None


def _edits(a: str, b: str) -> int:
    """Optimal-string-alignment distance: insertions, deletions, substitutions, transpositions."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        row = [i]
        for j, cb in enumerate(b, start=1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        previous2, previous = previous, row
    return previous[-1]


def _show(node: Node | None, value: object) -> str:
    if isinstance(node, Scalar):
        return f"'{clip(node.text)}'" if isinstance(node.value, str) else clip(node.text) or "null"
    if isinstance(node, Mapping):
        return "a mapping"
    return "a list" if node is not None else repr(value)


_YAML11_BOOLEANS = {
    "yes": "true",
    "on": "true",
    "y": "true",
    "no": "false",
    "off": "false",
    "n": "false",
}


def _yaml11_boolean(error: ValidationError, node: Node | None) -> str | None:
    """The fix for ``protect: yes``: YAML 1.1 read it as a boolean, YAML 1.2 tools as text."""
    if error.validator != "type" or "boolean" not in str(error.validator_value):
        return None
    if not isinstance(node, Scalar) or node.quoted or not isinstance(node.value, str):
        return None
    fix = _YAML11_BOOLEANS.get(node.text.lower())
    if fix is None:
        return None
    return (
        f"'{clip(node.text)}' is a YAML 1.1 boolean, which YAML 1.2 tools (editors, CI) read as "
        f"text; write {fix}"
    )


def _message(error: ValidationError, shown: str) -> str:
    """A one-line message for a value that breaks a schema rule; ``shown`` is the value."""
    kind = error.validator
    if kind == "type":
        expected = error.validator_value
        names = expected if isinstance(expected, list) else [expected]
        phrase = " or ".join(_TYPE_PHRASES.get(str(name), str(name)) for name in names)
        return f"expected {phrase}, got {shown}"
    if kind == "enum":
        choices = [str(choice) for choice in error.validator_value]
        hint = suggestion(str(error.instance), choices)
        return f"{shown} is not one of {', '.join(choices)}{hint}"
    if kind == "pattern":
        if "owners" in list(error.absolute_path):
            return f"{shown} is not a GitHub @user, @org/team or an email address"
        longest = re.search(r"\{0,(\d+)\}", str(error.validator_value))
        most = int(longest[1]) + 1 if longest else 128
        return (
            f"{shown} is not a valid id: use letters, digits, '_', '-', '.' and ':', "
            f"starting with a letter or digit (at most {most} characters)"
        )
    if kind == "minLength":
        return "must not be empty"
    if kind == "uniqueItems":
        return "lists the same entry more than once"
    if kind == "const":
        return f"{shown} must be {json.dumps(error.validator_value)}"
    return str(error.message)


def check_schema(doc: Document, kind: str, prefix: str) -> list[Diagnostic]:
    """Every schema violation of ``doc`` (whose kind is known) as diagnostics."""
    if _COMPILED[kind](doc.root):
        return []
    found: list[Diagnostic] = []

    def add(path: list[PathElement], message: str, *, at_value: bool = False) -> None:
        node, mark = resolve(doc.root, path)
        if at_value and isinstance(node, Scalar):
            mark = node.mark
        key_path = _readable(prefix, doc.root, path)
        found.append(Diagnostic("error", doc.file, mark.line, mark.col, key_path, message))

    with localcontext() as context:
        context.traps[InvalidOperation] = False  # NaN compares unequal instead of raising
        errors = list(_validator(kind).iter_errors(to_plain(doc.root)))
    for error in errors:
        path: list[PathElement] = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = sorted(error.schema.get("properties", {}))
            for key in error.instance:
                if key not in allowed:
                    hint = (
                        "; YAML merge keys are not supported, write the keys out"
                        if key == "<<"
                        else suggestion(key, allowed)
                    )
                    add([*path, key], f"unknown key '{clip(key)}'{hint}")
        elif error.validator == "required" and isinstance(error.instance, dict):
            for key in error.validator_value:
                if key not in error.instance:
                    add(path, f"missing required key '{key}'{_REQUIRED_HINTS.get(key, '')}")
        else:
            node, _mark = resolve(doc.root, path)
            message = _yaml11_boolean(error, node) or _message(error, _show(node, error.instance))
            add(path, message, at_value=True)
    return found
