"""The schemas compiled into Python checks decide as jsonschema does; jsonschema only explains.

For generated documents of every kind, valid and broken (wrong types, unknown keys, missing
required keys, bad amounts, bad enums), the compiled check accepts exactly what jsonschema
accepts, and the diagnostics are the same with and without the compiled check in front.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
from decimal import InvalidOperation, localcontext
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.config import schema
from reconciler.config.checks import check_document
from reconciler.config.nodes import Mapping, to_plain
from reconciler.config.schemafast import UnsupportedSchemaKeyword, compile_schema
from reconciler.config.yamlload import compose

from .conftest import GATEWAY_A, ORG, TEAM_A

WRONG = ["[1, 2]", "{a: 1}", "~", "''", "yes", "12", "1.5", "true", "'text'", "'@x'"]
# Each field: (values the schema accepts, values it refuses). Amounts the schema accepts may
# still break an amount rule (negative, exponent, cents): that is ``amounts``' to say.
AMOUNT = (["12000.00", "0", "-5.00", "1.005", ".nan", "1e13", "0x10"], ["1e3", "'12'", "1:30"])
# "team_a\n": the patterns are searched as jsonschema does, so "$" matches before a final newline
ID = (["team_a", "team:a.b-c", '"team_a\\n"'], ["'team b'", "_bad", "x" * 70, "'a\\n'", "1"])
OWNERS = (["['@acme/eng']", "[a@b.c, '@x/y']", "[]"], ["['@a', '@a']", "['not owner']", "[1, 1]"])
FLAG = (["true", "false"], ["yes", "'true'", "on"])

FIELDS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "Team": {
        "id": ID,
        "envelope": AMOUNT,
        "name": (["Research", "x"], ["''"]),
        "owners": OWNERS,
        "mode": (["period", "balance"], ["perod", "Period"]),
        "rollover": FLAG,
        "drift": (["warn", "correct"], ["corect"]),
        "protect": FLAG,
        "removed": FLAG,
        "envelope_min": AMOUNT,
        "envelope_max": AMOUNT,
    },
    "Organization": {
        "id": ID,
        "period": (["monthly", "quarterly", "weekly", "none"], ["montly", "Monthly"]),
        "headroom": AMOUNT,
        "ledger": (["sqlite:///x.db", "https://api.example"], ["''"]),
        "defaults": (["{mode: balance}", "{}"], ["{rollover: yes}", "{drift: warn, extra: 1}"]),
        "guards": (["{max_movement_per_apply: 5.00}"], ["{max_reclaim_per_apply: '5'}", "{x: 1}"]),
    },
    "GatewayConfig": {
        "consumer_groups": (
            ["[{id: g1, wallet_team_id: team_a}]", "[]"],
            [
                "[{id: g1}]",
                "[{id: g1, wallet_team_id: team_a, extra: 1}]",
                "[{id: g1, wallet_team_id: '_bad'}, {id: g2, wallet_team_id: 1}]",
                "[x]",
            ],
        ),
        "cost_tracking": (["{wallet_enforcement: true}"], ["{wallet_enforcement: yes}", "{a: 1}"]),
    },
}
REQUIRED = {
    "Team": {"id", "envelope"},
    "Organization": {"id", "period", "headroom"},
    "GatewayConfig": {"consumer_groups"},
}
UNKNOWN_KEYS = ["envelop", "teams", "<<", "extra", "Id", "1"]


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, str]:
    """(kind, YAML text) of one document: a valid one, then up to three things broken (a key
    missing, a value of the wrong kind or out of its enum or pattern, an unknown key)."""
    kind = draw(st.sampled_from(sorted(FIELDS)))
    chosen: dict[str, str] = {}
    for key, (good, _bad) in FIELDS[kind].items():
        if key in REQUIRED[kind] or draw(st.booleans()):
            chosen[key] = draw(st.sampled_from(good))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        key = draw(st.sampled_from([*FIELDS[kind], *UNKNOWN_KEYS]))
        how = draw(st.sampled_from(["drop", "wrong", "refused"]))
        if how == "drop":
            chosen.pop(key, None)
        elif how == "refused" and key in FIELDS[kind]:
            chosen[key] = draw(st.sampled_from(FIELDS[kind][key][1]))
        else:
            chosen[key] = draw(st.sampled_from(WRONG))
    lines = ["apiVersion: reconciler/v1", f"kind: {kind}"]
    lines += [f"{key}: {value}" for key, value in chosen.items()]
    return kind, "\n".join(lines) + "\n"


def _explained(kind: str, root: Mapping) -> list[Any]:
    with localcontext() as context:
        context.traps[InvalidOperation] = False
        return list(schema._validator(kind).iter_errors(to_plain(root)))


@settings(max_examples=400, deadline=None)
@given(documents())
def test_the_compiled_check_accepts_exactly_what_jsonschema_accepts(
    document: tuple[str, str],
) -> None:
    kind, text = document
    (doc,), problems = compose(text, "x.yaml")
    assert problems == ()
    assert isinstance(doc.root, Mapping)
    accepted = schema._COMPILED[kind](doc.root)
    assert accepted == (not _explained(kind, doc.root))
    with_check = check_document(doc)[1]
    everything_to_jsonschema = dict.fromkeys(schema._COMPILED, lambda _node: False)
    with mock.patch.dict(schema._COMPILED, everything_to_jsonschema):
        assert check_document(doc)[1] == with_check


@pytest.mark.parametrize("text", [ORG, TEAM_A, GATEWAY_A])
def test_the_sample_documents_pass_the_compiled_check(text: str) -> None:
    (doc,), _problems = compose(text, "x.yaml")
    kind = str(to_plain(doc.root)["kind"])  # type: ignore[index, call-overload]
    assert schema._COMPILED[kind](doc.root)


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"type": "object", "patternProperties": {"^x": {}}}, "'patternProperties'"),
        ({"properties": {"a": {"$ref": "#/$defs/a"}}}, "'$ref'"),
        ({"oneOf": [{"type": "string"}]}, "'oneOf'"),
        ({"type": "string", "format": "email"}, "'format'"),
        ({"type": "integer"}, "'integer'"),
        ({"items": {"maxLength": 3}}, "'maxLength'"),
        ({"if": {"not": {}}}, "'not'"),
        ([{"type": "string"}], "not an object or a boolean"),
    ],
)
def test_a_keyword_the_compiler_does_not_know_is_refused(bad: Any, named: str) -> None:
    with pytest.raises(UnsupportedSchemaKeyword, match=named.replace("$", r"\$")):
        compile_schema(bad)


def test_importing_with_a_schema_it_cannot_compile_fails_loudly() -> None:
    texts = {name: schema.schema_text(kind) for kind, name in schema.SCHEMA_FILES.items()}
    team = texts["team.schema.json"]
    texts["team.schema.json"] = team.replace('"uniqueItems": true', '"maxItems": 5')
    assert texts["team.schema.json"] != team
    try:
        with mock.patch("importlib.resources.files") as files:
            files.return_value.joinpath.side_effect = lambda *parts: _Text(texts[parts[-1]])
            with pytest.raises(UnsupportedSchemaKeyword, match="'maxItems'"):
                importlib.reload(schema)
    finally:
        importlib.reload(schema)
    assert schema.schema_text("Team") == team


class _Text:
    """What ``importlib.resources`` gives for a schema file: only ``read_text`` is used."""

    def __init__(self, text: str) -> None:
        self.text = text

    def read_text(self, _encoding: str) -> str:
        return self.text


def test_valid_budgets_never_import_jsonschema(tmp_path: Path) -> None:
    budgets = tmp_path / "budgets"
    budgets.mkdir()
    for name, text in {"org.yaml": ORG, "team.yaml": TEAM_A, "gw.yaml": GATEWAY_A}.items():
        (budgets / name).write_text(text, encoding="utf-8")
    (budgets / "bad.yaml").write_text(TEAM_A.replace("team_a", "team_b") + "mode: x\n")
    program = (
        "import sys; from pathlib import Path; from reconciler.config import validate_dir; "
        "ok = validate_dir(Path(sys.argv[1])).ok; print(ok, 'jsonschema' in sys.modules)"
    )
    run = [sys.executable, "-c", program]
    (budgets / "bad.yaml").rename(tmp_path / "bad.yaml")
    valid = subprocess.run([*run, str(budgets)], capture_output=True, text=True, check=True)
    assert valid.stdout.split() == ["True", "False"]
    (tmp_path / "bad.yaml").rename(budgets / "bad.yaml")
    invalid = subprocess.run([*run, str(budgets)], capture_output=True, text=True, check=True)
    assert invalid.stdout.split() == ["False", "True"]
