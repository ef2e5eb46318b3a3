"""A saved plan is an assertion (DESIGN §8): any edit is refused and moves nothing.

The plan document under test has an allocation, a reclaim, a deficit and fingerprints. Every
leaf of it is a candidate for a single-field edit (hypothesis picks the leaf and the new value);
consistent forgeries, where the editor also recomputes the public op key and plan id hashes, are
caught by the fresh plan and get their own tests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler import notes
from reconciler.planning.document import content_id, loads
from tests.support.workspace import COMMITTED, Workspace

Path_ = tuple[str | int, ...]


@pytest.fixture
def saved(workspace: Workspace) -> Workspace:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    workspace.write_teams(team_eng="1500.00", team_ops="100.00")
    workspace.repo.commit("eng up, ops down", when=COMMITTED + timedelta(minutes=1))
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    return workspace


def leaves(value: Any, path: Path_ = ()) -> Iterator[Path_]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, (*path, index))
    else:
        yield path


def get(document: Any, path: Path_) -> Any:
    for part in path:
        document = document[part]
    return document


def put(document: Any, path: Path_, value: Any) -> None:
    for part in path[:-1]:
        document = document[part]
    document[path[-1]] = value


def other_value(draw: st.DrawFn, old: Any) -> Any:
    """A value of the same shape as ``old`` but different (what a careful editor would type)."""
    if isinstance(old, bool):
        return not old
    if isinstance(old, int):
        return old + draw(st.integers(1, 5))
    if old is None:
        return draw(st.sampled_from(["Q4 launch", "sqlite:///.reconciler/other.db"]))
    text = str(old)
    if text.replace(".", "", 1).isdigit() and "." in text:
        delta = Decimal(draw(st.integers(1, 100_000))) / 100
        return f"{Decimal(text) + delta:.2f}"
    if text in {"allocate", "reclaim"}:
        return "reclaim" if text == "allocate" else "allocate"
    if text in {"team_eng", "team_ops"}:
        return "team_ops" if text == "team_eng" else "team_eng"
    if text and all(c in "0123456789abcdef" for c in text):
        return text[:-1] + ("0" if text[-1] != "0" else "1")
    if text.endswith("Z"):
        return text.replace(":00Z", ":01Z") if ":00Z" in text else text[:-1] + "+00:00"
    return text + draw(st.sampled_from(["x", " (approved)", "!"]))


def ledger_entries(workspace: Workspace) -> int:
    with workspace.ledger() as ledger:
        return ledger.entry_count()


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_single_field_edit_is_refused_and_moves_nothing(
    saved: Workspace, data: st.DataObject
) -> None:
    path = Path("plan.json")
    original = path.read_text(encoding="utf-8")
    document = json.loads(original)
    assert {c["action"] for c in document["changes"]} == {"allocate", "reclaim"}
    leaf = data.draw(st.sampled_from(sorted(leaves(document), key=repr)), label="field")
    old = get(document, leaf)
    new = other_value(data.draw, old)
    assert new != old
    put(document, leaf, new)
    before = ledger_entries(saved)
    try:
        path.write_text(json.dumps(document, indent=2), encoding="utf-8")
        result = saved.invoke("apply", "plan.json", "--auto-approve")
    finally:
        path.write_text(original, encoding="utf-8")
    assert result.exit_code in (1, 64), (leaf, new, result.output)
    assert result.stderr.startswith("error: "), result.output
    assert "Traceback" not in result.output
    assert ledger_entries(saved) == before


def consistent_summary(document: dict[str, Any]) -> None:
    """Make the summary agree with the changes, as a careful editor would."""
    for action in ("allocate", "reclaim"):
        total = sum(Decimal(c["amount"]) for c in document["changes"] if c["action"] == action)
        document["summary"][f"{action}_total"] = f"{total:.2f}"
    document["summary"]["change_count"] = len(document["changes"])


def forge(workspace: Workspace, edit: Any, *options: str) -> tuple[dict[str, Any], str]:
    """Edit plan.json with ``edit(document)``, then recompute every public hash as a forger
    would (op keys from the edited fields, the plan id from the content); apply it and return
    the document and apply's stderr (asserting it was refused and nothing moved)."""
    path = Path("plan.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    consistent_summary(document)
    prints = {f["team_id"]: f["flows_digest"] for f in document["fingerprints"]}
    for change in document["changes"]:
        change["op_key"] = notes.op_key(
            document["org_id"],
            document["period"]["id"],
            change["team_id"],
            change["action"],
            int(Decimal(change["amount"]) * 1_000_000),
            document["commit"],
            prints[change["team_id"]],
        )
    plan = loads(json.dumps(document), source="plan.json")
    document["plan_id"] = content_id(plan)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    before = ledger_entries(workspace)
    result = workspace.invoke("apply", "plan.json", "--auto-approve", *options)
    assert result.exit_code == 1, result.output
    assert ledger_entries(workspace) == before
    return document, result.stderr


def test_a_consistent_forgery_of_an_amount_is_caught_by_the_fresh_plan(saved: Workspace) -> None:
    def raise_allocation(document: dict[str, Any]) -> None:
        change = next(c for c in document["changes"] if c["action"] == "allocate")
        change["amount"] = "900.00"

    document, stderr = forge(saved, raise_allocation)
    assert stderr == (
        f"error: plan {document['plan_id']} was edited: it says allocate 900.00 team_eng for "
        "team_eng, a fresh plan says allocate 300.00 team_eng; run `reconciler plan` again\n"
    )


def test_a_lowered_headroom_is_caught(saved: Workspace) -> None:
    def lower(document: dict[str, Any]) -> None:
        document["org"]["headroom"] = "0.00"

    document, stderr = forge(saved, lower)
    assert stderr == (
        f"error: plan {document['plan_id']} was edited: org.headroom is 0.00 in the plan but "
        f"1,000.00 in the budgets at {document['commit'][:7]}; run `reconciler plan` again\n"
    )


def edit_and_apply(workspace: Workspace, edit: Any, *options: str) -> Any:
    """Edit plan.json with ``edit(document)`` (hashes left as they are) and apply it."""
    path = Path("plan.json")
    document = json.loads(path.read_text(encoding="utf-8"))
    edit(document)
    path.write_text(json.dumps(document), encoding="utf-8")
    return workspace.invoke("apply", "plan.json", "--auto-approve", *options)


def test_emptied_fingerprints_are_caught(saved: Workspace) -> None:
    def empty(document: dict[str, Any]) -> None:
        document["fingerprints"] = []

    result = edit_and_apply(saved, empty)
    assert result.exit_code == 1
    assert "has no team fingerprint" in result.stderr


def test_a_duplicated_change_is_caught(saved: Workspace) -> None:
    def duplicate(document: dict[str, Any]) -> None:
        document["changes"].append(dict(document["changes"][-1]))
        consistent_summary(document)

    result = edit_and_apply(saved, duplicate)
    assert result.exit_code == 1
    assert "moves a team twice" in result.stderr


def test_an_added_override_reason_is_refused(saved: Workspace) -> None:
    def add_reason(document: dict[str, Any]) -> None:
        document["override_reason"] = "approved"

    plain = edit_and_apply(saved, add_reason)
    assert (plain.exit_code, "was edited: its content no longer matches its plan id") == (
        1,
        plain.stderr[plain.stderr.index("was edited") : -len("; run `reconciler plan` again\n")],
    )
    document, stderr = forge(saved, add_reason, "--override-guards", "approved")
    assert stderr == (
        f"error: plan {document['plan_id']} was edited: it passes a guard with the reason "
        "'approved', but no guard is exceeded; run `reconciler plan` again\n"
    )
    unasked = saved.invoke("apply", "plan.json", "--auto-approve")
    assert unasked.exit_code == 64  # whoever applies must give the reason again


def test_the_untouched_plan_still_applies(saved: Workspace) -> None:
    result = saved.invoke("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert saved.invoke("plan", "--detailed-exitcode").exit_code == 0
