"""Request validation for the sandbox server, against ``schemas/wallet-api.openapi.yaml``.

Bodies are parsed without floats (``wire.loads``) and checked with jsonschema against the
document's ``components/schemas``; the first problem becomes one message naming the field.
"""

from __future__ import annotations

import re
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import yaml
from jsonschema.exceptions import best_match  # type: ignore[import-untyped, unused-ignore]
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from reconciler.ledger import wire

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
            field = ".".join(str(part) for part in error.absolute_path) or "body"
            raise InvalidBody(f"{field}: {' '.join(error.message.split())[:240]}")
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
