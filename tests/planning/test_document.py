"""The plan document: exact round trip, schema validation, one-line errors naming file and key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.errors import ConfigError
from reconciler.history import History
from reconciler.periods import PeriodKind, period_at
from reconciler.planning import document
from reconciler.planning.types import (
    Action,
    Change,
    Deficit,
    DriftItem,
    OrgSummary,
    Plan,
    RoutingChange,
    TeamFingerprint,
    UnmanagedWallet,
)
from tests.planning.scenarios import SCENARIOS
from tests.support.golden import FIXTURES
from tests.support.planning import COMMIT, NOW

micros = st.integers(min_value=0, max_value=10**15)
signed = st.integers(min_value=-(10**15), max_value=10**15)
text = st.text(max_size=40)
ident = st.from_regex(r"\Ateam_[a-z0-9_]{1,12}\Z")
hexes = st.from_regex(r"\A[0-9a-f]{16}\Z")
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)

plans = st.builds(
    Plan,
    plan_id=st.from_regex(r"\A[0-9a-f]{12}\Z"),
    created_at=moments,
    commit=st.just(COMMIT),
    dirty=st.booleans(),
    org_id=st.just("org_acme"),
    period=st.builds(period_at, st.sampled_from(PeriodKind), moments),
    org=st.builds(OrgSummary, signed, signed, micros),
    changes=st.lists(
        st.builds(Change, hexes, ident, st.sampled_from(Action), micros, micros, signed, text),
        max_size=4,
    ).map(tuple),
    deficits=st.lists(st.builds(Deficit, ident, micros, text), max_size=3).map(tuple),
    drift=st.lists(
        st.builds(
            DriftItem,
            ident,
            text,
            moments,
            signed,
            st.none() | text,
            st.none() | text,
            st.sampled_from(["warn", "correct"]),
        ),
        max_size=3,
    ).map(tuple),
    unmanaged=st.lists(st.builds(UnmanagedWallet, ident, text, signed, signed), max_size=3).map(
        tuple
    ),
    routing=st.lists(
        st.builds(RoutingChange, st.text(min_size=1), st.none() | ident, st.none() | ident),
        max_size=3,
    ).map(tuple),
    fingerprints=st.lists(
        st.builds(TeamFingerprint, ident, st.from_regex(r"\A[0-9a-f]{64}\Z"), st.integers(0, 99)),
        max_size=3,
    ).map(tuple),
    override_reason=st.none() | text,
    ledger=st.none() | text,
    warnings=st.lists(text, max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(plans)
def test_round_trip_is_exact(plan: Plan) -> None:
    text = document.dumps(plan)
    loaded = document.loads(text, source="plan.json")
    assert loaded == plan
    assert document.dumps(loaded) == text
    jsonschema.Draft202012Validator(document.schema()).validate(json.loads(text))


def test_every_golden_plan_validates_against_the_schema() -> None:
    schema = document.schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    goldens = sorted((FIXTURES / "plans").glob("*.json"))
    assert len(goldens) >= 15
    for path in goldens:
        text = path.read_text(encoding="utf-8")
        jsonschema.Draft202012Validator(schema).validate(json.loads(text))
        assert document.dumps(document.loads(text, source=path.name)) == text
    assert schema["$id"] == "urn:reconciler:schema:v1:plan"
    assert schema["properties"]["format_version"] == {
        "const": 1,
        "description": "Version of this document format.",
    }


def test_amounts_are_strings_and_times_are_utc_z() -> None:
    plan = _plan("new_period_with_carry")
    doc = json.loads(document.dumps(plan))
    assert doc["changes"][0]["amount"] == "500.00"
    assert doc["summary"] == {
        "has_changes": True,
        "change_count": 2,
        "allocate_total": "10800.00",
        "reclaim_total": "500.00",
    }
    assert doc["created_at"] == "2026-11-15T12:00:00Z"
    assert doc["period"] == {
        "kind": "monthly",
        "id": "2026-11",
        "start": "2026-11-01T00:00:00Z",
        "end": "2026-12-01T00:00:00Z",
    }
    assert list(doc)[:4] == ["format_version", "plan_id", "created_at", "commit"]


def _plan(name: str) -> Plan:
    from reconciler.planning import planner

    s = SCENARIOS[name]()
    return planner.plan(
        s.desired,
        s.observed,
        History(commit=COMMIT, dirty=False, managed_since=s.managed_since),
        now=NOW,
    )


def _edited(path: list[str | int], value: object) -> str:
    doc = json.loads(document.dumps(_plan("new_period_with_carry")))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(doc)


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (
            ["changes", 0, "amount"],
            500,
            "plan.json: changes[0].amount: 500 is not of type 'string'",
        ),
        (
            ["changes", 1, "amount"],
            "10800.0000001",
            "plan.json: changes[1].amount: '10800.0000001' does not match "
            "'^\\\\d+\\\\.\\\\d{2,6}$'",
        ),
        (
            ["changes", 0, "action"],
            "transfer",
            "plan.json: changes[0].action: 'transfer' is not one of ['allocate', 'reclaim']",
        ),
        (
            ["org"],
            {"available_before": "1.00", "available_after": "1.00"},
            "plan.json: org: 'headroom' is a required property",
        ),
        (
            ["summary", "allocate_total"],
            "1.00",
            "plan.json: summary: the totals do not match the changes (edited?)",
        ),
        (
            ["period", "id"],
            "2026-13",
            "plan.json: period.id: period id '2026-13' does not exist",
        ),
        (
            ["period", "start"],
            "2026-10-01T00:00:00Z",
            "plan.json: period: start/end 2026-10-01T00:00:00Z..2026-12-01T00:00:00Z do not "
            "match period 2026-11 (2026-11-01T00:00:00Z..2026-12-01T00:00:00Z)",
        ),
        (
            ["format_version"],
            0,
            "plan.json: format_version: 0 is not supported (this reconciler reads "
            "format_version 1): re-create the plan with `reconciler plan`",
        ),
    ],
)
def test_invalid_documents_are_one_line_config_errors(
    path: list[str | int], value: object, message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        document.loads(_edited(path, value), source="plan.json")
    assert str(err.value) == message


def test_unknown_key_is_refused() -> None:
    doc = json.loads(document.dumps(_plan("rollover")))
    doc["changes"][0]["amont"] = "1.00"
    with pytest.raises(ConfigError) as err:
        document.loads(json.dumps(doc), source="saved.json")
    assert str(err.value) == (
        "saved.json: changes[0]: Additional properties are not allowed ('amont' was unexpected)"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "{not json",
            "p.json: not a JSON plan document (line 1, column 2: Expecting property name "
            "enclosed in double quotes): write one with `reconciler plan --out FILE`",
        ),
        ("[1, 2]", "p.json: not a plan document (expected a JSON object)"),
        (
            '{"format_version": true}',
            "p.json: format_version: True is not supported (this reconciler reads "
            "format_version 1): re-create the plan with `reconciler plan`",
        ),
        (
            '{"format_version": 1.0}',
            "p.json: format_version: Decimal('1.0') is not supported (this reconciler reads "
            "format_version 1): re-create the plan with `reconciler plan`",
        ),
        (
            '{"plan_id": "x"}',
            "p.json: format_version: None is not supported (this reconciler reads "
            "format_version 1): re-create the plan with `reconciler plan`",
        ),
    ],
)
def test_not_a_plan(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as err:
        document.loads(text, source="p.json")
    assert str(err.value) == message


def test_sub_cent_and_negative_amounts_survive() -> None:
    plan = _plan("rollover")
    odd = Plan(
        **{
            **{f: getattr(plan, f) for f in plan.__dataclass_fields__},
            "org": OrgSummary(-1, 1_234_567, 0),
            "created_at": NOW + timedelta(microseconds=7),
        }
    )
    loaded = document.loads(document.dumps(odd), source="x")
    assert loaded.org == OrgSummary(-1, 1_234_567, 0)
    assert loaded.created_at == NOW + timedelta(microseconds=7)
