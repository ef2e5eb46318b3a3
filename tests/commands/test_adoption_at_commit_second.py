"""Adoption at the commit's one-second resolution (QA-B #2), through the real CLI and git."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from reconciler.sandbox.ledger import SqliteLedger
from tests.support.planning import m
from tests.support.workspace import Workspace

ADDED = datetime(2026, 11, 10, 10, 0, 0, tzinfo=UTC)


def _console_then_commit(workspace: Workspace, flow_at: datetime) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    with SqliteLedger(workspace.db, clock=lambda: flow_at, actor="console") as ledger:
        ledger.allocate("team_new", m(1000), note="console: pre-existing")
    workspace.write_teams(team_eng="1200.00", team_ops="300.00", team_new="1000.00")
    workspace.repo.commit("import team_new", when=ADDED)


def test_a_flow_in_the_same_second_as_the_adding_commit_is_adopted(workspace: Workspace) -> None:
    # git records the commit at 10:00:00; the console flow was at 10:00:00.244, before it.
    _console_then_commit(workspace, ADDED + timedelta(milliseconds=244))
    result = workspace.invoke("plan", "--detailed-exitcode")
    assert result.exit_code == 0, result.output
    assert "No changes. The ledger matches the budgets." in result.stdout
    assert "Drift" not in result.stdout


def test_a_flow_in_the_next_second_is_drift(workspace: Workspace) -> None:
    _console_then_commit(workspace, ADDED + timedelta(seconds=1))
    result = workspace.invoke("plan", "--detailed-exitcode")
    assert result.exit_code == 2, result.output
    assert "left in place  console: pre-existing" in result.stdout
    assert "allocate  team_new  1,000.00  1,000.00  0.00" in result.stdout
    # managed since this period: not a "new period", just nothing counted yet
    assert "0.00  nothing allocated this period yet: allocate envelope 1,000.00" in result.stdout
