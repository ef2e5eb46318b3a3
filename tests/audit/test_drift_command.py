"""``reconciler drift``: the current period's out-of-band flows, as the planner sees them."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

from tests.audit.conftest import NOW_AT, Workspace
from tests.support.budgets import organization_doc, team_doc, write_budgets
from tests.support.clocks import TickingClock
from tests.support.planning import m


def test_no_drift_exits_0_even_with_detailed_exitcode(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    result = workspace.invoke("drift", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert result.output == "No out-of-band flow on a managed team in 2026-11.\n"


def test_console_flows_listed_with_what_warn_and_correct_do(workspace: Workspace) -> None:
    write_budgets(
        workspace.budgets,
        organization=organization_doc(
            "org_acme",
            headroom="1000.00",
            ledger="sqlite:///.reconciler/sandbox.db",
            guards={"max_movement_per_apply": Decimal("5000.00")},
        ),
        teams=[team_doc("team_eng", "1200.00"), team_doc("team_ops", "300.00", drift="correct")],
    )
    workspace.repo.commit("ops drift: correct", when=NOW_AT - timedelta(days=1))
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    workspace.clock = TickingClock(NOW_AT + timedelta(hours=1))
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(50), note="offsite", actor="console")
        ledger.reclaim("team_ops", m(20), note="claw-back", actor="console")
    result = workspace.invoke("drift", "--format", "json", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    doc = json.loads(result.output)
    assert doc["period"] == "2026-11"
    rows = [
        (d["team_id"], d["amount"], d["actor"], d["note"], d["policy"], d["effect"])
        for d in doc["drift"]
    ]
    assert rows == [
        ("team_eng", "50.00", "console", "offsite", "warn", "left in place"),
        ("team_ops", "-20.00", "console", "claw-back", "correct", "reversed by this plan"),
    ]
    text = workspace.invoke("drift").output
    lines = text.splitlines()
    assert lines[0] == "Out-of-band flows in 2026-11:"
    assert lines[1].split() == ["TIME", "TEAM", "AMOUNT", "ACTOR", "NOTE", "DRIFT", "EFFECT"]
    assert lines[2].endswith("  team_eng  +50.00  console  offsite    warn     left in place")
    markdown = workspace.invoke("drift", "--format", "markdown").output
    assert "| team\\_ops | -20.00 | console | claw-back | correct | reversed by this plan |" in (
        markdown
    )
