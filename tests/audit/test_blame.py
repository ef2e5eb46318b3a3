"""``reconciler blame TEAM``: envelope changes from git with the movements that carried them."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.audit.conftest import NOW_AT, Workspace
from tests.support.clocks import TickingClock
from tests.support.planning import m


def test_blame_shows_each_change_its_movements_and_the_drift(workspace: Workspace) -> None:
    first = workspace.repo.head()
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    workspace.clock = TickingClock(NOW_AT + timedelta(hours=1))
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(50), note="console top-up", actor="console")
    workspace.write_teams(team_eng="1500.00", team_ops="300.00")
    raised = workspace.repo.commit("Raise eng (#12)", when=NOW_AT + timedelta(hours=2))
    result = workspace.invoke("blame", "team_eng", "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    changes = [
        (
            c["commit"],
            c["pr"],
            c["old_envelope"],
            c["new_envelope"],
            len(c["movements"]),
            [d["amount"] for d in c["drift"]],
        )
        for c in doc["changes"]
    ]
    assert changes == [
        (first, None, None, "1200.00", 1, ["50.00"]),
        (raised, 12, "1200.00", "1500.00", 0, []),
    ]
    text = workspace.invoke("blame", "team_eng").output
    assert f"{raised[:7]} 2026-11-15 Test Author (PR #12): 1,200.00 -> 1,500.00" in text
    assert "no movement carried this change" in text
    drift = [line for line in text.splitlines() if line.startswith("    drift ")]
    assert drift == ["    drift    2026-11-15 13:00:00  allocate +50.00  console  console top-up"]


def test_blame_of_an_unknown_team_exits_64(workspace: Workspace) -> None:
    result = workspace.invoke("blame", "team_nobody")
    assert result.exit_code == 64
    assert "unknown team 'team_nobody'" in result.output
