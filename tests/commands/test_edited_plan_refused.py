"""`apply PLANFILE` refuses a plan whose changes were edited (QA-B #6)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from reconciler import notes
from tests.support.planning import m
from tests.support.workspace import COMMITTED, Workspace


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("amount", "1000.00", "allocate 1,000.00 team_eng"),
        ("team_id", "team_ops", "allocate 1,200.00 team_ops"),
    ],
)
def test_an_edited_change_is_refused_before_anything_moves(
    workspace: Workspace, field: str, value: str, shown: str
) -> None:
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    path = workspace.repo.root / "plan.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    first = doc["changes"][0]
    assert (first["team_id"], first["action"], first["amount"]) == (
        "team_eng",
        "allocate",
        "1200.00",
    )
    first[field] = value
    if field == "amount":  # keep the summary consistent, as a careful editor would
        doc["summary"]["allocate_total"] = "1300.00"
        doc["org"]["available_after"] = "8700.00"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")

    result = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: plan {doc['plan_id']} was edited: change 1 ({shown}) does not match its op "
        "key; run `reconciler plan` again\n",
    )
    assert workspace.team_notes("team_eng") == []
    assert workspace.team_notes("team_ops") == []


def test_an_untouched_plan_file_still_applies(workspace: Workspace) -> None:
    assert workspace.invoke("plan", "--out", "plan.json").exit_code == 0
    result = workspace.invoke("apply", "plan.json", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert len(workspace.team_notes("team_eng")) == 1


def test_the_reason_claims_an_envelope_change_only_when_one_happened(
    workspace: Workspace,
) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    workspace.write_teams(team_eng="1500.00", team_ops="300.00")
    head = workspace.repo.commit("eng +300", when=COMMITTED + timedelta(minutes=1))
    raised = workspace.invoke("plan")
    assert "1  allocate  team_eng  300.00" in raised.stdout
    assert raised.stdout.count("envelope raised 1,200.00 → 1,500.00") == 1
    # a reconciler movement that did not follow the budgets (as an edited plan file once could)
    note = notes.format_note(
        notes.Note(head, "0123456789ab", "0123456789abcdef", "team_eng", "2026-11")
    )
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(5000), note=note)
    odd = workspace.invoke("plan")
    assert "1  reclaim  team_eng  4,700.00" in odd.stdout
    assert "allocated 6,200.00 this period; envelope 1,500.00" in odd.stdout
    assert "envelope lowered" not in odd.stdout
