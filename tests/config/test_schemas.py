"""The JSON Schemas themselves: valid draft 2020-12, documented, and right for editors."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from reconciler.config.nodes import to_plain
from reconciler.config.schema import SCHEMA_FILES, schema_text
from reconciler.config.yamlload import compose


def _schema(kind: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text(kind), parse_float=Decimal)
    return schema


def _property_schemas(node: Any, where: str) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            found.append((f"{where}.{name}", sub))
        for key, sub in node.items():
            found += _property_schemas(sub, f"{where}/{key}")
    return found


@pytest.mark.parametrize("kind", list(SCHEMA_FILES))
def test_schema_is_draft_2020_12_with_an_id_and_closed(kind: str) -> None:
    schema = _schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:reconciler:schema:v1:{SCHEMA_FILES[kind].split('.')[0]}"
    assert schema["additionalProperties"] is False
    assert schema["properties"]["kind"]["const"] == kind


@pytest.mark.parametrize("kind", list(SCHEMA_FILES))
def test_every_property_has_a_description(kind: str) -> None:
    properties = _property_schemas(_schema(kind), kind)
    assert len(properties) >= 5
    for where, sub in properties:
        assert sub.get("description"), where
        if sub.get("type") == "object":
            assert sub.get("additionalProperties") is False, where


@pytest.mark.parametrize("kind", list(SCHEMA_FILES))
def test_the_package_copy_is_the_top_level_schema(kind: str, repo_root: Path) -> None:
    top_level = (repo_root / "schemas" / SCHEMA_FILES[kind]).read_text(encoding="utf-8")
    assert schema_text(kind) == top_level


def _editor_errors(path: Path) -> list[str]:
    """What an editor would flag, with every keyword (minimum, multipleOf) enforced."""
    documents, problems = compose(path.read_text(encoding="utf-8"), str(path))
    assert problems == ()
    messages: list[str] = []
    for document in documents:
        instance = to_plain(document.root)
        assert isinstance(instance, dict)
        validator = jsonschema.Draft202012Validator(_schema(str(instance["kind"])))
        messages += [error.message for error in validator.iter_errors(instance)]
    return messages


def test_sample_budgets_satisfy_the_full_schemas(repo_root: Path) -> None:
    files = sorted((repo_root / "budgets").rglob("*.yaml"))
    assert files
    for path in files:
        assert _editor_errors(path) == [], path


def test_editors_flag_negative_amounts_and_leave_whole_cents_to_validate(
    tmp_path: Path,
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "apiVersion: reconciler/v1\nkind: Team\nid: t\nenvelope: -1.00\nenvelope_min: 0.001\n",
        encoding="utf-8",
    )
    assert _editor_errors(path) == ["Decimal('-1.00') is less than the minimum of 0"]


def _amount_schemas() -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for kind in SCHEMA_FILES:
        plain: dict[str, Any] = json.loads(schema_text(kind))  # ordinary float parsing
        for where, sub in _property_schemas(plain, kind):
            if sub.get("type") == "number":
                found.append((where, sub))
    return found


def test_every_amount_keyword_is_one_a_binary_float_validator_agrees_with() -> None:
    amounts = _amount_schemas()
    assert len(amounts) == 6
    for where, sub in amounts:
        assert "multipleOf" not in sub, where
        assert "whole cents" in sub["description"], where


@pytest.mark.parametrize(("where", "sub"), _amount_schemas())
def test_every_cent_value_up_to_1000_validates_with_float_parsing(
    where: str, sub: dict[str, Any]
) -> None:
    text = "[" + ", ".join(f"{cents // 100}.{cents % 100:02d}" for cents in range(100_001)) + "]"
    values = json.loads(text)  # 19.99, 0.07, ... as binary floats, as every standard tool reads
    assert isinstance(values[1999], float)  # float-ok: what standard validators see
    validator = jsonschema.Draft202012Validator({"type": "array", "items": sub})
    assert [error.message for error in validator.iter_errors(values)][:3] == [], where
