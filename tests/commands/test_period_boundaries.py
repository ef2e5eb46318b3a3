"""Plan and apply across a period boundary, with the instant injected (never the wall clock)."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from reconciler.sandbox.ledger import SqliteLedger
from tests.support.planning import m
from tests.support.workspace import Workspace


@pytest.mark.parametrize(
    ("last_second", "first_second", "old_id", "new_id"),
    [
        ("2026-11-30T23:59:59Z", "2026-12-01T00:00:00Z", "2026-11", "2026-12"),
        ("2026-12-31T23:59:59Z", "2027-01-01T00:00:00Z", "2026-12", "2027-01"),
    ],
)
def test_a_new_month_brings_each_wallet_back_to_its_envelope(
    workspace: Workspace,
    monkeypatch: pytest.MonkeyPatch,
    last_second: str,
    first_second: str,
    old_id: str,
    new_id: str,
) -> None:
    monkeypatch.setenv("RECONCILER_NOW", last_second)
    assert workspace.invoke("apply", "--auto-approve").exit_code == 0
    spent_at = datetime.fromisoformat(last_second.replace("Z", "+00:00"))
    with SqliteLedger(workspace.db, clock=lambda: spent_at) as ledger:
        hold = ledger.reserve("req-1", m(500), team_id="team_eng")
        ledger.settle(hold.reservation_id, m(400))
    same = workspace.invoke("plan", "--detailed-exitcode", "--format", "json")
    assert same.exit_code == 0, same.output
    assert json.loads(same.stdout)["period"]["id"] == old_id
    workspace.invoke("plan", "--out", "old.json")

    monkeypatch.setenv("RECONCILER_NOW", first_second)
    fresh = workspace.invoke("plan", "--detailed-exitcode", "--format", "json")
    assert fresh.exit_code == 2, fresh.output
    document = json.loads(fresh.stdout)
    assert document["period"]["id"] == new_id
    assert document["period"]["start"] == first_second
    # team_eng spent 400.00 of 1,200.00 in the old period: the new one refills it; team_ops
    # spent nothing and its carry already equals its envelope
    assert [(c["team_id"], c["action"], c["amount"]) for c in document["changes"]] == [
        ("team_eng", "allocate", "400.00")
    ]
    assert document["changes"][0]["reason"].startswith("new period")

    stale = workspace.invoke("apply", "old.json", "--auto-approve")
    assert stale.exit_code == 1
    assert f"is for period {old_id}, which ended" in stale.stderr
