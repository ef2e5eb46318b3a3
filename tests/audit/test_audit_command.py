"""``reconciler audit`` through the CLI: an apply, a console top-up, a forged note."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from reconciler import notes
from tests.audit.conftest import NOW_AT, Workspace
from tests.support.clocks import TickingClock
from tests.support.planning import m

FORGED = "ab" * 20


def touched(workspace: Workspace) -> str:
    """Apply the budgets, then a console top-up and a movement with a forged note."""
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    head = workspace.repo.head()
    workspace.clock = TickingClock(NOW_AT + timedelta(hours=1))
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(50), note="top-up for the offsite", actor="console")
        forged = notes.Note(FORGED, "abc123", "0123456789abcdef", "team_ops", "2026-11")
        ledger.allocate("team_ops", m(7), note=notes.format_note(forged), actor="mallory")
    return head


def test_json_lists_every_movement_and_finding(workspace: Workspace) -> None:
    head = touched(workspace)
    result = workspace.invoke("audit", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["format_version"] == 1
    rows = [(r["team_id"], r["action"], r["amount"], r["class"]) for r in doc["movements"]]
    assert rows == [
        ("team_eng", "allocate", "1200.00", "reconciler"),
        ("team_ops", "allocate", "300.00", "reconciler"),
        ("team_eng", "allocate", "50.00", "out_of_band"),
        ("team_ops", "allocate", "7.00", "reconciler"),
    ]
    first = doc["movements"][0]
    assert set(first) == {
        "transaction_id",
        "created_at",
        "team_id",
        "action",
        "amount",
        "note",
        "actor",
        "class",
        "commit",
        "commit_found",
        "on_branch",
        "pr",
        "author",
        "subject",
        "plan_id",
        "op_key",
        "dirty",
        "override_reason",
    }
    assert (first["commit"], first["commit_found"], first["on_branch"]) == (head, True, True)
    assert (first["subject"], first["author"], first["pr"]) == (
        "budgets for eng and ops",
        "Test Author",
        None,
    )
    assert first["created_at"] == "2026-11-15T12:00:00Z"
    assert doc["movements"][2]["actor"] == "console"
    assert [(f["kind"], f["team_id"]) for f in doc["findings"]] == [
        ("out_of_band", "team_eng"),
        ("unknown_commit", "team_ops"),
    ]
    assert doc["findings"][1]["transaction_id"] == doc["movements"][3]["transaction_id"]


def test_strict_exits_2_on_findings_and_0_on_a_clean_ledger(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    assert workspace.invoke("audit", "--strict").exit_code == 0
    touched(workspace)
    assert workspace.invoke("audit").exit_code == 0
    assert workspace.invoke("audit", "--strict").exit_code == 2
    assert (
        workspace.invoke(
            "audit", "--strict", "--team", "team_eng", "--until", "2026-11-15T12:30:00Z"
        ).exit_code
        == 0
    )


def test_csv_has_a_header_and_exact_amounts(workspace: Workspace) -> None:
    touched(workspace)
    result = workspace.invoke("audit", "--format", "csv", "--team", "team_eng")
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0][:6] == ["transaction_id", "created_at", "team_id", "action", "amount", "note"]
    assert [(r[2], r[4], r[7]) for r in rows[1:]] == [
        ("team_eng", "1200.00", "reconciler"),
        ("team_eng", "50.00", "out_of_band"),
    ]


def test_markdown_totals_per_team_and_class_then_findings(workspace: Workspace) -> None:
    touched(workspace)
    result = workspace.invoke("audit", "--format", "markdown")
    assert "| team\\_eng | out_of_band | +50.00 |" in result.output
    assert "| team\\_eng | reconciler | +1,200.00 |" in result.output
    assert "| unknown_commit | team\\_ops |" in result.output


def test_a_truncated_note_is_a_malformed_note_row(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    workspace.clock = TickingClock(NOW_AT + timedelta(hours=1))
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(1), note="reconciler/v1 commit=0a1b", actor="console")
    result = workspace.invoke("audit", "--format", "table")
    assert "malformed_note: team_eng: allocate of 1.00 has a note that starts like a " in (
        result.output
    )
    assert "out_of_band" in result.output


def test_bad_input_exits_64_with_the_fix(workspace: Workspace) -> None:
    cases = {
        ("--since", "yesterday"): "--since 'yesterday' is not a date: write YYYY-MM-DD",
        ("--since", "2026-12-01", "--until", "2026-11-01"): "later than --until",
        ("--team", "team_nobody"): "unknown team 'team_nobody'",
    }
    for args, message in cases.items():
        result = workspace.invoke("audit", *args)
        assert result.exit_code == 64, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output
