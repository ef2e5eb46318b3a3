"""Fuzz targets: every parser that reads untrusted input answers with its own error, never a crash.

The note parser (any ledger note), the plan document reader (any plan file), the wire parsers
(any ledger answer) and the budgets loader (any YAML bytes). Briefly in the ordinary suite;
``make fuzz`` runs them with many more examples (``pytest tests/fuzz --fuzz-examples N``).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import config, notes
from reconciler.errors import ConfigError, ReconcilerError
from reconciler.exactjson import JSONSyntaxError
from reconciler.ledger import wire
from reconciler.planning.document import dumps, loads
from tests.support.proof import record

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=30)
JSON = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=30,
)


def fuzz(examples: int) -> Any:
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


@pytest.fixture
def examples(pytestconfig: pytest.Config) -> int:
    return int(pytestconfig.getoption("--fuzz-examples"))


def test_the_note_parser_reads_any_text(examples: int) -> None:
    @fuzz(examples)
    @given(
        st.text(max_size=300)
        | st.builds(lambda tail: "reconciler/v1 commit=" + tail, st.text(max_size=250))
    )
    def run(text: str) -> None:
        note = notes.parse_note(text)
        if note is not None:
            assert note.team_id
            assert (len(note.op_key), len(note.commit)) == (16, 40)

    run()
    record("fuzz examples", examples)


def plan_like(document: dict[str, Any], data: st.DataObject) -> str:
    """A real plan document with one random part replaced, as JSON text."""
    keys = list(document)
    key = data.draw(st.sampled_from(keys))
    edited = dict(document)
    edited[key] = data.draw(JSON)
    return json.dumps(edited)


def test_the_plan_reader_reads_any_text(examples: int, tmp_path: Path) -> None:
    golden = Path(__file__).resolve().parent.parent / "fixtures" / "plans" / "envelope_changes.json"
    document = json.loads(golden.read_text(encoding="utf-8"))

    @fuzz(examples)
    @given(st.data())
    def run(data: st.DataObject) -> None:
        text = data.draw(st.text(max_size=200) | st.builds(json.dumps, JSON))
        if data.draw(st.booleans()):
            text = plan_like(document, data)
        try:
            plan = loads(text, source="p.json")
        except ReconcilerError:
            return
        assert loads(dumps(plan), source="again.json") == plan

    run()
    record("fuzz examples", examples)


def test_the_wire_parsers_read_any_answer(examples: int) -> None:
    # the answers a ledger sends the client (the server's request parsers only ever see bodies
    # its OpenAPI validator accepted, which tests/sandbox/test_schemathesis.py fuzzes)
    parsers = [
        wire.parse_wallet,
        wire.parse_transaction,
        wire.parse_wallets,
        wire.parse_balance,
        wire.parse_transactions,
        wire.parse_transaction_response,
        wire.parse_reservation,
    ]

    @fuzz(examples)
    @given(
        st.sampled_from(parsers),
        st.binary(max_size=200) | st.builds(lambda v: json.dumps(v).encode(), JSON),
    )
    def run(parse: Any, body: bytes) -> None:
        try:
            parse(wire.loads(body))
        except (wire.WireError, JSONSyntaxError):
            return
        with contextlib.suppress(wire.WireError, JSONSyntaxError):
            wire.parse_error(body)

    run()
    record("fuzz examples", examples)


def test_the_budgets_loader_reads_any_bytes(
    examples: int, tmp_path_factory: pytest.TempPathFactory
) -> None:
    @fuzz(max(examples // 4, 10))
    @given(
        st.binary(max_size=400)
        | st.text(max_size=400).map(lambda t: ("apiVersion: reconciler/v1\n" + t).encode())
    )
    def run(data: bytes) -> None:
        budgets = tmp_path_factory.mktemp("budgets")
        (budgets / "org.yaml").write_bytes(data)
        with contextlib.suppress(ConfigError):  # a ConfigError is the expected refusal
            config.load(budgets)

    run()
    record("fuzz examples", examples)
