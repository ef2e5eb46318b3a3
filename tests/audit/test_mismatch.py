"""``mismatch``: after the last movement carrying a commit, the team is off its envelope."""

from __future__ import annotations

import json
from datetime import timedelta

from tests.audit.conftest import NOW_AT, Workspace
from tests.support.clocks import TickingClock
from tests.support.planning import m


def findings(workspace: Workspace) -> list[tuple[str, str]]:
    doc = json.loads(workspace.invoke("audit", "--format", "json").output)
    return [(f["kind"], f["team_id"]) for f in doc["findings"]]


def test_a_complete_apply_has_no_mismatch_even_with_warn_drift(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    workspace.clock = TickingClock(NOW_AT + timedelta(hours=1))
    with workspace.ledger() as ledger:
        ledger.allocate("team_eng", m(50), note="console top-up", actor="console")
    assert findings(workspace) == [("out_of_band", "team_eng")]


def test_a_copied_note_on_a_hand_reclaim_is_a_mismatch(workspace: Workspace) -> None:
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    (note,) = [n for n in workspace.team_notes("team_eng") if n]
    workspace.clock = TickingClock(NOW_AT + timedelta(hours=1))
    with workspace.ledger() as ledger:
        ledger.reclaim("team_eng", m(100), note=note, actor="console")
    doc = json.loads(workspace.invoke("audit", "--format", "json").output)
    (finding,) = doc["findings"]
    assert (finding["kind"], finding["team_id"]) == ("mismatch", "team_eng")
    assert finding["transaction_id"] == doc["movements"][-1]["transaction_id"]
    head = workspace.repo.head()[:12]
    assert finding["message"].startswith(
        f"after the apply of {head} the team holds 1,100.00 for 2026-11, but that commit's "
        "envelope is 1,200.00"
    )
    assert workspace.invoke("audit", "--strict").exit_code == 2
