"""Request validation for the sandbox server, against ``schemas/wallet-api.openapi.yaml``.

Bodies are parsed without floats (``wire.loads``) and checked with jsonschema against the
document's ``components/schemas``; the first problem becomes one message naming the field and
saying what is expected in JSON terms (``amount: expected a number, got true``). Values are
shown as JSON (``1E+400``, ``null``, ``"5"``), clipped to 40 characters: never a Python repr.
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import yaml
from jsonschema.exceptions import best_match  # type: ignore[import-untyped, unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from reconciler.ledger import wire
from reconciler.text import clip

DOCUMENT_URI = "urn:reconciler:wallet-api"
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


class InvalidBody(ValueError):
    """A request body or parameter that does not conform; the message names the field."""


@cache
def openapi_document() -> dict[str, Any]:
    """The wallet API's OpenAPI document, as shipped with the package."""
    text = (resources.files("reconciler") / "schemas" / "wallet-api.openapi.yaml").read_text(
        encoding="utf-8"
    )
    document: dict[str, Any] = yaml.safe_load(text)
    return document


class BodyValidator:
    """Validators for the request schemas of the OpenAPI document (built once)."""

    def __init__(self) -> None:
        document = openapi_document()
        resource = Resource.from_contents(document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._validators: dict[str, jsonschema.Draft202012Validator] = {}
        self._owner_id = re.compile(document["components"]["schemas"]["OwnerId"]["pattern"])

    def _validator(self, schema: str) -> jsonschema.Draft202012Validator:
        if schema not in self._validators:
            self._validators[schema] = jsonschema.Draft202012Validator(
                {"$ref": f"{DOCUMENT_URI}#/components/schemas/{schema}"},
                registry=self._registry,
            )
        return self._validators[schema]

    def validate(self, schema: str, raw: bytes) -> Any:
        """The parsed body, or InvalidBody naming the first field that does not conform."""
        try:
            body = wire.loads(raw)
        except wire.WireError as exc:
            raise InvalidBody(str(exc)) from exc
        error = best_match(self._validator(schema).iter_errors(body))
        if error is not None:
            raise InvalidBody(describe(error))
        return body

    def is_owner_id(self, value: str) -> bool:
        return self._owner_id.fullmatch(value) is not None


def query_time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        return wire.parse_timestamp(value, name)
    except wire.WireError as exc:
        raise InvalidBody(str(exc)) from exc


def query_limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise InvalidBody(f"limit: {value[:40]!r} is not an integer from 1 to {MAX_LIMIT}")
    return int(value)


_TYPE_NAMES = {"integer": "an integer", "object": "an object", "array": "an array"}


def shown(value: object) -> str:
    """``value`` as JSON text, clipped: ``true``, ``null``, ``1E+400``, ``"team a"``."""
    if isinstance(value, bool) or value is None:
        return wire.dumps(value)
    if isinstance(value, Decimal):
        return clip(str(value))
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, int):
        return clip(str(value))
    return clip(wire.dumps(value if isinstance(value, str) else str(value)))


def describe(error: Any) -> str:
    """One line for a jsonschema error: the field, what is expected, the value as JSON."""
    field = ".".join(clip(str(part)) for part in error.absolute_path) or "body"
    kind, expected, value = error.validator, error.validator_value, error.instance
    if kind == "type":
        names = expected if isinstance(expected, list) else [expected]
        wanted = " or ".join(_TYPE_NAMES.get(str(n), f"a {n}") for n in names)
        return f"{field}: expected {wanted}, got {shown(value)}"
    if kind in {"maximum", "exclusiveMaximum"}:
        bound = "at most" if kind == "maximum" else "less than"
        return f"{field}: {shown(value)} is too large; it must be {bound} {expected}"
    if kind in {"minimum", "exclusiveMinimum"}:
        bound = "at least" if kind == "minimum" else "more than"
        return f"{field}: {shown(value)} is too small; it must be {bound} {expected}"
    if kind == "maxLength":
        return f"{field} is {len(value)} characters long; the limit is {expected}"
    if kind == "minLength":
        return f"{field} must not be empty"
    if kind == "pattern":
        return f"{field}: {shown(value)} does not match {expected}"
    if kind == "enum":
        return f"{field}: {shown(value)} is not one of {', '.join(shown(v) for v in expected)}"
    if kind == "required":
        missing = [name for name in expected if name not in value]
        return f"{field}: {', '.join(repr(name) for name in missing)} is required"
    if kind == "additionalProperties":
        allowed = error.schema.get("properties", {})
        unknown = [clip(str(k)) for k in value if k not in allowed]
        return (
            f"{field}: unknown key {', '.join(repr(k) for k in unknown[:3])}; the allowed keys "
            f"are {', '.join(allowed)}"
        )
    return f"{field}: {shown(value)} is not valid here ({clip(str(kind))})"
