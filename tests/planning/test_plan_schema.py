"""The published plan schema documents every field a CI script may read."""

from __future__ import annotations

from typing import Any

from reconciler.planning import document
from tests.config.test_schemas import _property_schemas


def test_every_property_of_the_plan_schema_has_a_description() -> None:
    schema: dict[str, Any] = dict(document.schema())
    properties = _property_schemas(schema, "plan")
    assert len(properties) >= 57
    assert [where for where, sub in properties if not sub.get("description")] == []
